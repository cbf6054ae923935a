//! Verifying a client certificate: the trait a server asks, the webpki implementation and
//! its builder, and the policy that never asks.

use super::{verify_chain, verify_signature, ClientCertVerified, SignatureVerified};
use crate::error::Error;
use crate::pki::roots::RootCertStore;
use crate::wire::SignatureScheme;
use pki_types::{CertificateDer, UnixTime};
use std::fmt;
use std::sync::Arc;

/// Decides whether a server asks for a client certificate, and whether to trust the one it gets
/// (its chain, and the CertificateVerify signature made with its key).
///
/// [`WebPkiClientVerifier`] is the implementation to use; [`NoClientAuth`] never asks.
/// Implementing this trait yourself replaces every client certificate check spectls makes.
pub trait ClientCertVerifier: fmt::Debug + Send + Sync {
    /// Whether the server sends a CertificateRequest at all.
    fn offer_client_auth(&self) -> bool {
        true
    }

    /// Whether a client that sends no certificate (an empty Certificate message) is refused.
    /// Only consulted when [`ClientCertVerifier::offer_client_auth`] is true.
    fn client_auth_mandatory(&self) -> bool;

    /// DER-encoded `DistinguishedName`s (each a full `Name` SEQUENCE) to send in
    /// CertificateRequest.certificate_authorities (RFC 5246 section 7.4.4), so the client can
    /// pick a certificate these roots issued. Empty means "any".
    fn root_hint_subjects(&self) -> Vec<Vec<u8>>;

    /// Verifies `end_entity` (with the `intermediates` the client sent, in its order) at time
    /// `now`.
    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, Error>;

    /// Verifies the CertificateVerify `signature` over `message` (the handshake messages so
    /// far) made with `scheme` by the key certified in `cert` (the end-entity certificate
    /// already passed to [`ClientCertVerifier::verify_client_cert`]).
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

    /// The schemes [`ClientCertVerifier::verify_tls12_signature`] accepts, most preferred first:
    /// what the server lists in CertificateRequest.supported_signature_algorithms.
    fn supported_schemes(&self) -> Vec<SignatureScheme>;
}

/// The standard client certificate verifier: builds a chain from the client's certificate to
/// one of the roots with rustls-webpki (validity at `now`, basic constraints, name constraints,
/// the clientAuth extended key usage if the certificate lists any). Client certificates carry
/// no name to check.
///
/// Made with [`WebPkiClientVerifier::builder`]. Not checked (wave 1): revocation.
#[derive(Debug, Clone)]
pub struct WebPkiClientVerifier {
    roots: Arc<RootCertStore>,
    // Computed once: every CertificateRequest sends the same list.
    root_hints: Vec<Vec<u8>>,
    mandatory: bool,
}

impl WebPkiClientVerifier {
    /// Starts a verifier trusting `roots`, requiring a client certificate unless
    /// [`ClientVerifierBuilder::allow_unauthenticated`] is called.
    pub fn builder(roots: Arc<RootCertStore>) -> ClientVerifierBuilder {
        ClientVerifierBuilder {
            roots,
            mandatory: true,
        }
    }
}

/// Builds a [`WebPkiClientVerifier`].
#[derive(Debug, Clone)]
pub struct ClientVerifierBuilder {
    roots: Arc<RootCertStore>,
    mandatory: bool,
}

impl ClientVerifierBuilder {
    /// Also accepts clients that send no certificate. A client that does send one must still
    /// pass verification: "optional" never means "unchecked".
    pub fn allow_unauthenticated(mut self) -> Self {
        self.mandatory = false;
        self
    }

    /// Finishes the verifier. An empty root store is `Error::Config`: it would refuse every
    /// client certificate, which is a forgotten root file, not a configuration that can work.
    pub fn build(self) -> Result<Arc<dyn ClientCertVerifier>, Error> {
        if self.roots.is_empty() {
            return Err(Error::Config(
                "the client certificate root store is empty".into(),
            ));
        }
        let root_hints = self
            .roots
            .roots()
            .iter()
            .filter_map(|anchor| distinguished_name(anchor.subject.as_ref()))
            .collect();
        Ok(Arc::new(WebPkiClientVerifier {
            roots: self.roots,
            root_hints,
            mandatory: self.mandatory,
        }))
    }
}

impl ClientCertVerifier for WebPkiClientVerifier {
    fn client_auth_mandatory(&self) -> bool {
        self.mandatory
    }

    fn root_hint_subjects(&self) -> Vec<Vec<u8>> {
        self.root_hints.clone()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        verify_chain(
            end_entity,
            intermediates,
            &self.roots,
            now,
            webpki::KeyUsage::client_auth(),
        )?;
        Ok(ClientCertVerified::assertion())
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

/// The full DER `Name` for a trust anchor's subject, or `None` if it cannot be a TLS
/// `DistinguishedName` (`opaque <1..2^16-1>`).
///
/// webpki keeps only the *contents* of the subject's `Name` SEQUENCE, but RFC 5246 section 7.4.4
/// sends the whole DER `DistinguishedName`, so the SEQUENCE header is put back here.
pub(super) fn distinguished_name(subject_contents: &[u8]) -> Option<Vec<u8>> {
    let der = crate::crypto::sign::der_wrap(0x30, subject_contents)?;
    // The header adds up to 4 bytes; the result must still fit the TLS vector.
    u16::try_from(der.len()).ok()?;
    Some(der)
}

/// The default client certificate policy: never ask for one.
///
/// Its `verify_*` methods are never meant to be reached (the server does not request a
/// certificate, and an unrequested one is an unexpected message); if they are, they fail with
/// `Error::Internal` rather than accept anything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoClientAuth;

impl ClientCertVerifier for NoClientAuth {
    fn offer_client_auth(&self) -> bool {
        false
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> Vec<Vec<u8>> {
        Vec::new()
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        Err(Error::Internal(
            "client certificate checked, but client authentication is off".into(),
        ))
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _scheme: SignatureScheme,
        _signature: &[u8],
    ) -> Result<SignatureVerified, Error> {
        Err(Error::Internal(
            "client signature checked, but client authentication is off".into(),
        ))
    }

    fn supported_schemes(&self) -> Vec<SignatureScheme> {
        Vec::new()
    }
}
