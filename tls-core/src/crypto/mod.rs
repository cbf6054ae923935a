//! The cryptography under the handshake and the records, all on ring: the cipher suites (public,
//! in [`suites`]), the TLS 1.3 key schedule ([`key_schedule`]), record protection ([`cipher13`])
//! and CertificateVerify signatures ([`sign13`]), all for issue 13, and inside, the TLS 1.2 PRF
//! and key schedule, record protection (AEAD), key exchange and signatures.

pub mod cipher;
pub mod cipher13;
pub(crate) mod hybrid;
pub mod key_schedule;
pub(crate) mod kx;
pub mod prf;
#[cfg(test)]
mod record_test_support;
pub(crate) mod sign;
pub mod sign13;
pub mod suites;
pub mod transcript;

pub use kx::{ALL_GROUPS, SERVER_GROUPS, SUPPORTED_GROUPS};

/// Record sequence numbers must not wrap (RFC 5246 section 6.1, RFC 8446 section 5.3); both record
/// layers stop well before: a record numbered this or higher is never sealed or opened.
pub(crate) const SEQ_LIMIT: u64 = u64::MAX - 1;
pub use sign::{SigningKey, SUPPORTED_SIGNATURE_SCHEMES, TLS12_DEFAULT_SCHEMES};
