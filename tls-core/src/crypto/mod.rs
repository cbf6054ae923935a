//! The cryptography under the handshake and the records, all on ring: the cipher suites (public,
//! in [`suites`]), the TLS 1.3 key schedule ([`key_schedule`], for issue 13), and inside, the
//! TLS 1.2 PRF and key schedule, record protection (AEAD), key
//! exchange and signatures.

pub mod cipher;
pub mod key_schedule;
pub(crate) mod kx;
pub mod prf;
pub(crate) mod sign;
pub mod suites;
pub mod transcript;

pub use kx::SUPPORTED_GROUPS;
pub use sign::{SigningKey, SUPPORTED_SIGNATURE_SCHEMES, TLS12_DEFAULT_SCHEMES};
