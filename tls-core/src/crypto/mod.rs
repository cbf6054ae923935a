//! The cryptography under the handshake and the records, all on ring: cipher suites, the TLS 1.2
//! PRF and key schedule, record protection (AEAD), key exchange and signatures.

pub mod cipher;
pub mod kx;
pub mod prf;
pub mod sign;
pub mod suites;
