//! Certificates: the trust anchors and verifiers that check the peer's chain and signatures
//! (rustls-webpki), the resolvers that pick our own certificate and key for a connection, and
//! PEM loading ([`load_identity`], [`load_certs`], [`load_private_key`] read files, with errors
//! that name the file and what is wrong with it).
//!
//! Trust stores: [`RootCertStore::from_pem_file`] for your own CA bundle,
//! `RootCertStore::from_system` for the operating system's (cargo feature `native-certs`) and
//! `RootCertStore::mozilla` for Mozilla's, compiled in (cargo feature `webpki-roots`).
//!
//! # Custom verifiers (danger)
//!
//! [`ServerCertVerifier`] is the hook for replacing certificate verification. A custom
//! implementation replaces *all* of spectls' certificate checks: chain building to a trust
//! anchor, validity dates, key usage and the server name, and also the handshake signature
//! check. A verifier that returns success without checking makes the connection open to any
//! active attacker while still looking encrypted. spectls ships no such "accept anything"
//! verifier; if a tool needs one, it has to write it and own the consequences.

pub(crate) mod files;
pub(crate) mod key;
pub(crate) mod pem;
pub(crate) mod resolve;
pub(crate) mod roots;
pub(crate) mod verify;

pub use crate::crypto::SigningKey;
pub(crate) use files::load_certs_what;
pub use files::{load_certs, load_identity, load_private_key};
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
