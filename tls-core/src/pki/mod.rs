//! Certificates: the trust anchors and verifiers that check the peer's chain and signatures
//! (rustls-webpki), the resolvers that pick our own certificate and key for a connection, and
//! PEM loading.
//!
//! # Custom verifiers (danger)
//!
//! [`ServerCertVerifier`] is the hook for replacing certificate verification. A custom
//! implementation replaces *all* of spectls' certificate checks: chain building to a trust
//! anchor, validity dates, key usage and the server name, and also the handshake signature
//! check. A verifier that returns success without checking makes the connection open to any
//! active attacker while still looking encrypted. spectls ships no such "accept anything"
//! verifier; if a tool needs one, it has to write it and own the consequences.

pub(crate) mod key;
pub(crate) mod pem;
pub(crate) mod resolve;
pub(crate) mod roots;
pub(crate) mod verify;

pub use crate::crypto::SigningKey;
pub use pem::{certs_from_pem, private_key_from_pem};
pub use resolve::{
    CertifiedKey, ResolvesServerCert, ResolvesServerCertUsingSni, SingleCertResolver,
};
pub use roots::RootCertStore;
pub use verify::{
    ClientCertVerified, ClientCertVerifier, ClientVerifierBuilder, NoClientAuth,
    ServerCertVerified, ServerCertVerifier, SignatureVerified, WebPkiClientVerifier,
    WebPkiServerVerifier,
};
