//! spectls: TLS whose wire format is generated from the RFCs' own presentation language.
//!
//! This facade re-exports [`tls_core`]: the generated wire types ([`wire`]) and the codec runtime
//! ([`codec`]).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use tls_core::*;

pub mod capture;
