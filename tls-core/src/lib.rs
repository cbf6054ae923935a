//! spectls core: the wire types generated from `schema/` and the codec runtime they use.
//!
//! The TLS 1.2 record layer, key schedule and state machines build on these; nothing here parses
//! bytes by hand: every message shape comes from the schema.
#![forbid(unsafe_code)]

pub mod codec;

/// Every TLS structure of the schema in `schema/`, generated at build time by `tls-codegen`.
///
/// Names follow the RFCs (`ClientHello`, `ASN1Cert`); see `schema/NOTATION.md` for how the
/// presentation language maps to Rust.
#[allow(
    non_camel_case_types,
    clippy::all,
    clippy::pedantic,
    missing_docs,
    unused_parens,
    unused_variables,
    unused_mut
)]
pub mod wire {
    include!(concat!(env!("OUT_DIR"), "/wire.rs"));
}
