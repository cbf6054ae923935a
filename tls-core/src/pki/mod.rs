//! Certificates: the trust anchors and verifiers that check the peer's chain and signatures
//! (rustls-webpki), the resolvers that pick our own certificate and key for a connection, and
//! PEM loading.

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
