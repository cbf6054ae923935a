//! spectls: TLS 1.2 whose wire format is generated from the RFCs' own presentation language.
//!
//! This facade re-exports [`tls_core`]: the connections and configs ([`ClientConnection`],
//! [`ServerConnection`], [`ClientConfig`], [`ServerConfig`], [`Stream`]), the generated wire types
//! ([`wire`]) and the codec runtime ([`codec`]); [`capture`] decodes recorded connections.
#![forbid(unsafe_code)]
// The workspace's lints (Cargo.toml `[workspace.lints]`), for the library only.
#![warn(missing_docs, unreachable_pub)]

pub use tls_core::*;

pub mod capture;

// The README's example is compiled (not run) as a doctest, so it cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
