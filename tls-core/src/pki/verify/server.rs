//! Verifying the server: the trait a client asks, and the webpki implementation.

use super::{cert_error, verify_chain, verify_signature, ServerCertVerified, SignatureVerified};
use crate::error::Error;
use crate::pki::roots::RootCertStore;
use crate::wire::SignatureScheme;
use pki_types::{CertificateDer, ServerName, UnixTime};
use std::fmt;
use std::sync::Arc;

/// Decides whether to trust the server: its certificate chain and name, and the signatures it
/// makes in the handshake.
///
/// [`WebPkiServerVerifier`] is the implementation to use. Implementing this trait yourself
/// replaces every certificate check spectls makes; see [`crate::pki`] for why that is
/// dangerous.
pub trait ServerCertVerifier: fmt::Debug + Send + Sync {
    /// Verifies `end_entity` (with the `intermediates` the server sent, in its order) for
    /// `server_name` at time `now`.
    ///
    /// `ocsp_response` is the stapled OCSP response, empty if none was sent.
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error>;

    /// Verifies a TLS 1.2 handshake `signature` over `message` made with `scheme` by the key
    /// certified in `cert` (the end-entity certificate already passed to
    /// [`ServerCertVerifier::verify_server_cert`]).
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        scheme: SignatureScheme,
        signature: &[u8],
    ) -> Result<SignatureVerified, Error>;

    /// Verifies a TLS 1.3 CertificateVerify `signature` over `message` (the content RFC 8446
    /// 4.4.3 builds: 64 spaces, the context string, a zero byte and the transcript hash) made
    /// with `scheme` by the key certified in `cert`. The default applies TLS 1.3's rules (no
    /// PKCS#1 v1.5, each ECDSA scheme only with its own curve) and verifies with ring.
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        scheme: SignatureScheme,
        signature: &[u8],
    ) -> Result<SignatureVerified, Error> {
        crate::crypto::sign13::verify_message(cert, scheme, message, signature)
    }

    /// The schemes [`ServerCertVerifier::verify_tls12_signature`] accepts, most preferred first:
    /// what the client offers in `signature_algorithms`.
    fn supported_schemes(&self) -> Vec<SignatureScheme>;
}

/// The standard verifier: builds a chain from the server's certificate to one of the roots with
/// rustls-webpki (validity at `now`, basic constraints, name constraints, the serverAuth
/// extended key usage if the certificate lists any), then checks the certificate is valid for
/// the server name (a DNS name, or an IP address against IP address SANs).
///
/// Not checked (wave 1): revocation. The stapled OCSP response is ignored and no CRLs are used.
#[derive(Debug, Clone)]
pub struct WebPkiServerVerifier {
    roots: Arc<RootCertStore>,
}

impl WebPkiServerVerifier {
    /// A verifier trusting `roots`.
    ///
    /// An empty store makes a verifier that rejects every server (`UnknownIssuer`); configs
    /// should refuse one up front (`RootCertStore::is_empty`) as a forgotten root file.
    pub fn new(roots: Arc<RootCertStore>) -> Self {
        Self { roots }
    }

    /// The roots this verifier trusts.
    pub fn roots(&self) -> &RootCertStore {
        &self.roots
    }
}

impl ServerCertVerifier for WebPkiServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let cert = verify_chain(
            end_entity,
            intermediates,
            &self.roots,
            now,
            webpki::KeyUsage::server_auth(),
        )?;
        cert.verify_is_valid_for_subject_name(server_name)
            .map_err(cert_error)?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        scheme: SignatureScheme,
        signature: &[u8],
    ) -> Result<SignatureVerified, Error> {
        verify_signature(message, cert, scheme, signature)
    }

    fn supported_schemes(&self) -> Vec<SignatureScheme> {
        crate::crypto::sign::SUPPORTED_SIGNATURE_SCHEMES.to_vec()
    }
}
