//! Checking the server: its certificate chain and name (rustls-webpki), and the TLS 1.2
//! signatures it makes with the certified key.
//!
//! A successful check returns a proof value ([`ServerCertVerified`], [`SignatureVerified`]) that
//! the client state machine stores in its state: it cannot reach "expect Finished" without both.
//!
//! # Custom verifiers (danger)
//!
//! [`ServerCertVerifier`] is the hook for replacing certificate verification. A custom
//! implementation replaces *all* of spectls' certificate checks: chain building to a trust
//! anchor, validity dates, key usage and the server name, and also the handshake signature
//! check. A verifier that returns success without checking makes the connection open to any
//! active attacker while still looking encrypted. spectls ships no such "accept anything"
//! verifier; if a tool needs one, it has to write it and own the consequences.

use crate::error::{CertificateError, Error, PeerMisbehaved};
use crate::wire::SignatureScheme;
use pki_types::{
    CertificateDer, ServerName, SignatureVerificationAlgorithm, TrustAnchor, UnixTime,
};
use std::fmt;
use std::sync::Arc;
use webpki::ring as algs;

/// Proof that a [`ServerCertVerifier`] accepted the server's certificate chain for the server
/// name.
///
/// Only verifiers should create one (with [`ServerCertVerified::assertion`]): holding it is how
/// the handshake knows the check happened.
#[derive(Debug)]
pub struct ServerCertVerified(());

impl ServerCertVerified {
    /// Asserts that the certificate was verified. Call this only at the end of a successful
    /// verification.
    pub fn assertion() -> Self {
        Self(())
    }
}

/// Proof that a handshake signature (ServerKeyExchange, CertificateVerify) verified with the
/// peer's certified key.
///
/// Only verifiers should create one (with [`SignatureVerified::assertion`]).
#[derive(Debug)]
pub struct SignatureVerified(());

impl SignatureVerified {
    /// Asserts that the signature was verified. Call this only at the end of a successful
    /// verification.
    pub fn assertion() -> Self {
        Self(())
    }
}

/// Decides whether to trust the server: its certificate chain and name, and the signatures it
/// makes in the handshake.
///
/// [`WebPkiServerVerifier`] is the implementation to use. Implementing this trait yourself
/// replaces every certificate check spectls makes; see the [module docs](self) for why that is
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

    /// The schemes [`ServerCertVerifier::verify_tls12_signature`] accepts, most preferred first:
    /// what the client offers in `signature_algorithms`.
    fn supported_schemes(&self) -> Vec<SignatureScheme>;
}

/// The trust anchors (root CAs) a [`WebPkiServerVerifier`] builds chains to.
#[derive(Debug, Clone, Default)]
pub struct RootCertStore {
    roots: Vec<TrustAnchor<'static>>,
}

impl RootCertStore {
    /// A store with no roots (which trusts nothing).
    pub fn empty() -> Self {
        Self::default()
    }

    /// Adds a DER certificate as a trust anchor (its subject, key and name constraints).
    ///
    /// A certificate webpki cannot parse is `Error::InvalidCertificate(BadEncoding)`.
    pub fn add(&mut self, der: CertificateDer<'_>) -> Result<(), Error> {
        let anchor = webpki::anchor_from_trusted_cert(&der)
            .map_err(|_| Error::InvalidCertificate(CertificateError::BadEncoding))?
            .to_owned();
        self.roots.push(anchor);
        Ok(())
    }

    /// Adds every certificate that parses and skips the rest (for system bundles, which hold
    /// a few odd certificates). Returns `(added, ignored)`.
    pub fn add_parsable_certificates<'a>(
        &mut self,
        certs: impl IntoIterator<Item = CertificateDer<'a>>,
    ) -> (usize, usize) {
        let (mut added, mut ignored) = (0, 0);
        for cert in certs {
            match self.add(cert) {
                Ok(()) => added += 1,
                Err(_) => ignored += 1,
            }
        }
        (added, ignored)
    }

    /// A store holding every certificate of a PEM bundle (e.g. the bytes of a `ca.pem` file).
    ///
    /// Strict, because these are the roots you chose: no certificate, or one that does not
    /// parse, is an error. Use [`RootCertStore::add_parsable_certificates`] with
    /// [`crate::crypto::sign::certs_from_pem`] to skip bad ones instead.
    pub fn from_pem(pem: &[u8]) -> Result<Self, Error> {
        let mut store = Self::empty();
        for cert in crate::crypto::sign::certs_from_pem(pem)? {
            store.add(cert)?;
        }
        Ok(store)
    }

    /// Adds trust anchors that are already parsed (e.g. from the `webpki-roots` crate).
    pub fn extend(&mut self, anchors: impl IntoIterator<Item = TrustAnchor<'static>>) {
        self.roots.extend(anchors);
    }

    /// The trust anchors, in the order they were added.
    pub fn roots(&self) -> &[TrustAnchor<'static>] {
        &self.roots
    }

    /// How many trust anchors the store holds.
    pub fn len(&self) -> usize {
        self.roots.len()
    }

    /// Whether the store holds no trust anchors.
    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }
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
        let cert = webpki::EndEntityCert::try_from(end_entity).map_err(cert_error)?;
        cert.verify_for_usage(
            CHAIN_ALGS,
            self.roots.roots(),
            intermediates,
            now,
            webpki::KeyUsage::server_auth(),
            None,
            None,
        )
        .map_err(cert_error)?;
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

/// Signature algorithms accepted inside certificate chains (webpki's full ring list, SHA-1
/// excluded as webpki does).
static CHAIN_ALGS: &[&dyn SignatureVerificationAlgorithm] = &[
    algs::ECDSA_P256_SHA256,
    algs::ECDSA_P256_SHA384,
    algs::ECDSA_P384_SHA256,
    algs::ECDSA_P384_SHA384,
    algs::ED25519,
    algs::RSA_PKCS1_2048_8192_SHA256,
    algs::RSA_PKCS1_2048_8192_SHA384,
    algs::RSA_PKCS1_2048_8192_SHA512,
    algs::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
    algs::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
    algs::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
    algs::RSA_PKCS1_3072_8192_SHA384,
    algs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
    algs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
    algs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
];

// The webpki algorithms that can check a TLS 1.2 signature made with a scheme. A TLS 1.2 ECDSA
// scheme is only a {hash, ecdsa} pair and does not bind the curve (RFC 8446 added that), so
// each ECDSA scheme lists both curves; webpki picks the one matching the key's SPKI.
static ECDSA_SHA256: &[&dyn SignatureVerificationAlgorithm] =
    &[algs::ECDSA_P256_SHA256, algs::ECDSA_P384_SHA256];
static ECDSA_SHA384: &[&dyn SignatureVerificationAlgorithm] =
    &[algs::ECDSA_P384_SHA384, algs::ECDSA_P256_SHA384];
static ED25519: &[&dyn SignatureVerificationAlgorithm] = &[algs::ED25519];
static RSA_PKCS1_SHA256: &[&dyn SignatureVerificationAlgorithm] =
    &[algs::RSA_PKCS1_2048_8192_SHA256];
static RSA_PKCS1_SHA384: &[&dyn SignatureVerificationAlgorithm] =
    &[algs::RSA_PKCS1_2048_8192_SHA384];
static RSA_PKCS1_SHA512: &[&dyn SignatureVerificationAlgorithm] =
    &[algs::RSA_PKCS1_2048_8192_SHA512];
static RSA_PSS_SHA256: &[&dyn SignatureVerificationAlgorithm] =
    &[algs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY];
static RSA_PSS_SHA384: &[&dyn SignatureVerificationAlgorithm] =
    &[algs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY];
static RSA_PSS_SHA512: &[&dyn SignatureVerificationAlgorithm] =
    &[algs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY];

/// The webpki algorithms for `scheme`, or `None` for a scheme spectls does not accept (SHA-1,
/// P-521, Ed448, `rsa_pss_pss_*`, unknown values).
fn algorithms_for(
    scheme: SignatureScheme,
) -> Option<&'static [&'static dyn SignatureVerificationAlgorithm]> {
    use SignatureScheme as S;
    Some(match scheme {
        S::EcdsaSecp256r1Sha256 => ECDSA_SHA256,
        S::EcdsaSecp384r1Sha384 => ECDSA_SHA384,
        S::Ed25519 => ED25519,
        S::RsaPssRsaeSha256 => RSA_PSS_SHA256,
        S::RsaPssRsaeSha384 => RSA_PSS_SHA384,
        S::RsaPssRsaeSha512 => RSA_PSS_SHA512,
        S::RsaPkcs1Sha256 => RSA_PKCS1_SHA256,
        S::RsaPkcs1Sha384 => RSA_PKCS1_SHA384,
        S::RsaPkcs1Sha512 => RSA_PKCS1_SHA512,
        _ => return None,
    })
}

/// Verifies a TLS 1.2 `signature` over `message` with the key in `cert` (no chain check).
///
/// A scheme outside the supported list is `SelectedUnofferedParameter` (we never offer one);
/// a scheme whose algorithm does not fit the certificate's key (an RSA scheme with an ECDSA
/// key) is `PeerMisbehaved::Other`; a signature that does not verify is `BadSignature`.
// webpki reports a key-type mismatch with a deprecated unit variant when built without `alloc`;
// matching both keeps this correct whatever features it is built with.
#[allow(deprecated)]
pub(crate) fn verify_signature(
    message: &[u8],
    cert: &CertificateDer<'_>,
    scheme: SignatureScheme,
    signature: &[u8],
) -> Result<SignatureVerified, Error> {
    let candidates = algorithms_for(scheme).ok_or(Error::PeerMisbehaved(
        PeerMisbehaved::SelectedUnofferedParameter("signature scheme"),
    ))?;
    let cert = webpki::EndEntityCert::try_from(cert).map_err(cert_error)?;
    for alg in candidates {
        match cert.verify_signature(*alg, message, signature) {
            Ok(()) => return Ok(SignatureVerified::assertion()),
            // This candidate is for another key type or curve: try the next.
            Err(
                webpki::Error::UnsupportedSignatureAlgorithmForPublicKey
                | webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_),
            ) => continue,
            Err(webpki::Error::InvalidSignatureForPublicKey) => {
                return Err(Error::PeerMisbehaved(PeerMisbehaved::BadSignature))
            }
            Err(e) => return Err(cert_error(e)),
        }
    }
    Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
        "signature scheme does not match the certificate's key",
    )))
}

/// Maps webpki's reasons to ours (each carries the alert RFC 5246 section 7.2 names).
fn cert_error(e: webpki::Error) -> Error {
    use webpki::Error as E;
    Error::InvalidCertificate(match e {
        E::UnknownIssuer => CertificateError::UnknownIssuer,
        E::CertExpired { .. } => CertificateError::Expired,
        // notAfter before notBefore: valid at no time, so never valid now.
        E::InvalidCertValidity => CertificateError::Expired,
        E::CertNotValidYet { .. } => CertificateError::NotValidYet,
        E::CertNotValidForName(_) => CertificateError::NotValidForName,
        E::CertRevoked => CertificateError::Revoked,
        E::BadDer
        | E::BadDerTime
        | E::TrailingData(_)
        | E::MalformedExtensions
        | E::UnsupportedCertVersion => CertificateError::BadEncoding,
        // RFC 5246 7.2: bad_certificate covers signatures that do not verify, as Other does.
        E::InvalidSignatureForPublicKey => {
            CertificateError::Other("a certificate's signature does not verify".into())
        }
        other => CertificateError::Other(format!("{other:?}")),
    })
}

// ---------------------------------------------------------------------------------------------
// Client certificates (server side).

/// Proof that a [`ClientCertVerifier`] accepted the client's certificate chain.
///
/// Only verifiers should create one (with [`ClientCertVerified::assertion`]): holding it is how
/// the server's handshake knows the check happened.
#[derive(Debug)]
pub struct ClientCertVerified(());

impl ClientCertVerified {
    /// Asserts that the client certificate was verified. Call this only at the end of a
    /// successful verification.
    pub fn assertion() -> Self {
        Self(())
    }
}

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
        let cert = webpki::EndEntityCert::try_from(end_entity).map_err(cert_error)?;
        cert.verify_for_usage(
            CHAIN_ALGS,
            self.roots.roots(),
            intermediates,
            now,
            webpki::KeyUsage::client_auth(),
            None,
            None,
        )
        .map_err(cert_error)?;
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
fn distinguished_name(subject_contents: &[u8]) -> Option<Vec<u8>> {
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

#[cfg(test)]
// Unit tests: a failed unwrap or index is a failed test, which is what we want.
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;
    use crate::crypto::sign::{certs_from_pem, private_key_from_pem, SigningKey};
    use pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose,
        IsCa, KeyPair, KeyUsagePurpose,
    };
    use std::time::Duration;

    const CA_PEM: &[u8] = include_bytes!("../../../tests/data/certs/ca.pem");
    const ECDSA_CERT_PEM: &[u8] = include_bytes!("../../../tests/data/certs/server-ecdsa.pem");
    const RSA_CERT_PEM: &[u8] = include_bytes!("../../../tests/data/certs/server-rsa.pem");
    const RSA_KEY_PEM: &[u8] = include_bytes!("../../../tests/data/certs/server-rsa.key");

    /// 2025-06-15T17:46:40Z: inside rcgen's default validity (1975..4096) and inside the
    /// committed certificates' 2020..2049.
    fn now() -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(1_750_009_600))
    }

    fn at_year(year: u64) -> UnixTime {
        // Mid-January of `year` (average Gregorian years, plus two weeks of slack).
        UnixTime::since_unix_epoch(Duration::from_secs(
            (year - 1970) * 31_556_952 + 14 * 86_400,
        ))
    }

    fn localhost() -> ServerName<'static> {
        ServerName::try_from("localhost").expect("DNS name")
    }

    fn loopback() -> ServerName<'static> {
        ServerName::try_from("127.0.0.1").expect("IP address")
    }

    fn ca(
        alg: &'static rcgen::SignatureAlgorithm,
        name: &str,
    ) -> CertifiedIssuer<'static, KeyPair> {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        CertifiedIssuer::self_signed(params, KeyPair::generate_for(alg).expect("key")).expect("CA")
    }

    fn intermediate(
        alg: &'static rcgen::SignatureAlgorithm,
        issuer: &CertifiedIssuer<'static, KeyPair>,
    ) -> CertifiedIssuer<'static, KeyPair> {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params
            .distinguished_name
            .push(DnType::CommonName, "spectls test intermediate");
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
        CertifiedIssuer::signed_by(params, KeyPair::generate_for(alg).expect("key"), issuer)
            .expect("intermediate")
    }

    struct Leaf {
        cert: CertificateDer<'static>,
        key: KeyPair,
    }

    fn leaf_with(
        alg: &'static rcgen::SignatureAlgorithm,
        issuer: &CertifiedIssuer<'static, KeyPair>,
        edit: impl FnOnce(&mut CertificateParams),
    ) -> Leaf {
        let mut params =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
                .expect("params");
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        edit(&mut params);
        let key = KeyPair::generate_for(alg).expect("key");
        let cert = params.signed_by(&key, issuer).expect("leaf").der().clone();
        Leaf { cert, key }
    }

    fn leaf(
        alg: &'static rcgen::SignatureAlgorithm,
        issuer: &CertifiedIssuer<'static, KeyPair>,
    ) -> Leaf {
        leaf_with(alg, issuer, |_| {})
    }

    fn verifier_for(roots: &[&CertificateDer<'static>]) -> WebPkiServerVerifier {
        let mut store = RootCertStore::empty();
        for root in roots {
            store.add((*root).clone()).expect("root");
        }
        WebPkiServerVerifier::new(Arc::new(store))
    }

    fn check(
        v: &WebPkiServerVerifier,
        leaf: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        name: &ServerName<'_>,
        at: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        v.verify_server_cert(leaf, intermediates, name, &[], at)
    }

    fn cert_err(r: Result<ServerCertVerified, Error>) -> CertificateError {
        match r {
            Err(Error::InvalidCertificate(c)) => c,
            other => panic!("expected a certificate error, got {other:?}"),
        }
    }

    const ALGS: [&rcgen::SignatureAlgorithm; 3] = [
        &rcgen::PKCS_ECDSA_P256_SHA256,
        &rcgen::PKCS_ECDSA_P384_SHA384,
        &rcgen::PKCS_ED25519,
    ];

    #[test]
    fn valid_chain_verifies_for_dns_name_and_ip_address() {
        for alg in ALGS {
            let ca = ca(alg, "rcgen test CA");
            let leaf = leaf(alg, &ca);
            let v = verifier_for(&[ca.der()]);
            check(&v, &leaf.cert, &[], &localhost(), now()).expect("localhost verifies");
            check(&v, &leaf.cert, &[], &loopback(), now()).expect("127.0.0.1 verifies");
            assert!(matches!(loopback(), ServerName::IpAddress(_)));
        }
    }

    #[test]
    fn mixed_algorithm_chain_with_intermediate() {
        let root = ca(&rcgen::PKCS_ECDSA_P384_SHA384, "root");
        let inter = intermediate(&rcgen::PKCS_ED25519, &root);
        let leaf = leaf(&rcgen::PKCS_ECDSA_P256_SHA256, &inter);
        let v = verifier_for(&[root.der()]);
        check(&v, &leaf.cert, &[inter.der().clone()], &localhost(), now()).expect("chain");
        // Without the intermediate there is no path to the root.
        assert_eq!(
            cert_err(check(&v, &leaf.cert, &[], &localhost(), now())),
            CertificateError::UnknownIssuer
        );
        // The intermediate alone is not trusted as an end-entity's root either.
        let only_inter = verifier_for(&[inter.der()]);
        check(&only_inter, &leaf.cert, &[], &localhost(), now()).expect("anchored at intermediate");
    }

    #[test]
    fn wrong_name_is_not_valid_for_name() {
        for alg in ALGS {
            let ca = ca(alg, "rcgen test CA");
            let leaf = leaf(alg, &ca);
            let v = verifier_for(&[ca.der()]);
            for name in [
                "example.com",
                "localhost.example",
                "xlocalhost",
                "127.0.0.2",
                "::1",
            ] {
                let name = ServerName::try_from(name).expect("name");
                assert_eq!(
                    cert_err(check(&v, &leaf.cert, &[], &name, now())),
                    CertificateError::NotValidForName,
                    "{name:?}"
                );
            }
        }
        // An IP address in the common name or as a DNS SAN does not count for an IP address.
        let ca = ca(&rcgen::PKCS_ECDSA_P256_SHA256, "CA");
        let dns_only = leaf_with(&rcgen::PKCS_ECDSA_P256_SHA256, &ca, |p| {
            p.subject_alt_names = vec![rcgen::SanType::DnsName(
                "localhost".try_into().expect("ia5"),
            )];
            p.distinguished_name.push(DnType::CommonName, "127.0.0.1");
        });
        let v = verifier_for(&[ca.der()]);
        check(&v, &dns_only.cert, &[], &localhost(), now()).expect("DNS SAN");
        assert_eq!(
            cert_err(check(&v, &dns_only.cert, &[], &loopback(), now())),
            CertificateError::NotValidForName
        );
    }

    #[test]
    fn unknown_ca_is_unknown_issuer() {
        for alg in ALGS {
            let real = ca(alg, "rcgen test CA");
            let other = ca(alg, "some other CA");
            let leaf = leaf(alg, &real);
            let v = verifier_for(&[other.der()]);
            assert_eq!(
                cert_err(check(&v, &leaf.cert, &[], &localhost(), now())),
                CertificateError::UnknownIssuer
            );
            // An unrelated real root.
            let committed = verifier_for(&[&certs_from_pem(CA_PEM).expect("CA")[0]]);
            assert_eq!(
                cert_err(check(&committed, &leaf.cert, &[], &localhost(), now())),
                CertificateError::UnknownIssuer
            );
            // A trusted root with the issuer's name but another key: the name alone must not
            // make a chain. webpki reports the failed signature (bad_certificate).
            let impostor = ca(alg, "rcgen test CA");
            let v = verifier_for(&[impostor.der()]);
            assert_eq!(
                cert_err(check(&v, &leaf.cert, &[], &localhost(), now())),
                CertificateError::Other("a certificate's signature does not verify".into())
            );
        }
    }

    #[test]
    fn validity_period_is_enforced() {
        for alg in ALGS {
            let ca = ca(alg, "rcgen test CA");
            let expired = leaf_with(alg, &ca, |p| {
                p.not_before = rcgen::date_time_ymd(2000, 1, 1);
                p.not_after = rcgen::date_time_ymd(2001, 1, 1);
            });
            let future = leaf_with(alg, &ca, |p| {
                p.not_before = rcgen::date_time_ymd(2100, 1, 1);
                p.not_after = rcgen::date_time_ymd(2101, 1, 1);
            });
            let v = verifier_for(&[ca.der()]);
            assert_eq!(
                cert_err(check(&v, &expired.cert, &[], &localhost(), now())),
                CertificateError::Expired
            );
            assert_eq!(
                cert_err(check(&v, &future.cert, &[], &localhost(), now())),
                CertificateError::NotValidYet
            );
            // The same certificates are fine at a time inside their window.
            check(&v, &expired.cert, &[], &localhost(), at_year(2000)).expect("in 2000");
            check(&v, &future.cert, &[], &localhost(), at_year(2100)).expect("in 2100");
        }
    }

    #[test]
    fn committed_test_chain_verifies() {
        let chain = certs_from_pem(ECDSA_CERT_PEM).expect("chain");
        let rsa_chain = certs_from_pem(RSA_CERT_PEM).expect("chain");
        let v = WebPkiServerVerifier::new(Arc::new(RootCertStore::from_pem(CA_PEM).expect("CA")));
        for chain in [&chain, &rsa_chain] {
            let (leaf, rest) = chain.split_first().expect("leaf");
            // The server sends the CA too; a root among the intermediates is harmless.
            check(&v, leaf, rest, &localhost(), now()).expect("localhost");
            check(&v, leaf, rest, &loopback(), now()).expect("127.0.0.1");
            check(&v, leaf, &[], &localhost(), now()).expect("without the CA in the chain");
            // Valid 2020-01-01 to 2049-12-31; the real clock works until the certificates
            // expire, after which scripts/capture.sh --regen-certs makes new ones.
            check(&v, leaf, rest, &localhost(), UnixTime::now()).expect("now");
            assert_eq!(
                cert_err(check(&v, leaf, rest, &localhost(), at_year(2051))),
                CertificateError::Expired
            );
            assert_eq!(
                cert_err(check(&v, leaf, rest, &localhost(), at_year(2019))),
                CertificateError::NotValidYet
            );
            assert_eq!(
                cert_err(check(
                    &v,
                    leaf,
                    rest,
                    &ServerName::try_from("example.com").expect("n"),
                    now()
                )),
                CertificateError::NotValidForName
            );
        }
    }

    #[test]
    fn garbage_certificates_are_bad_encoding() {
        let ca = ca(&rcgen::PKCS_ECDSA_P256_SHA256, "CA");
        let v = verifier_for(&[ca.der()]);
        let good = leaf(&rcgen::PKCS_ECDSA_P256_SHA256, &ca).cert;
        for bytes in [
            &[][..],
            &[0x30, 0x00][..],
            &[0xff; 40][..],
            &good[..good.len() - 1],
        ] {
            let der = CertificateDer::from(bytes.to_vec());
            assert_eq!(
                cert_err(check(&v, &der, &[], &localhost(), now())),
                CertificateError::BadEncoding
            );
        }
        // Truncations and bit flips anywhere: some error, never a panic, never success.
        for end in 0..good.len() {
            let der = CertificateDer::from(good[..end].to_vec());
            assert!(check(&v, &der, &[], &localhost(), now()).is_err());
        }
        for i in 0..good.len() {
            let mut bad = good.to_vec();
            bad[i] ^= 0x01;
            let der = CertificateDer::from(bad);
            assert!(
                check(&v, &der, &[], &localhost(), now()).is_err(),
                "flip at {i}"
            );
        }
    }

    #[test]
    fn root_cert_store() {
        let mut store = RootCertStore::empty();
        assert!(store.is_empty());
        // An empty store trusts nothing.
        let issuer = ca(&rcgen::PKCS_ECDSA_P256_SHA256, "CA");
        let leaf = leaf(&rcgen::PKCS_ECDSA_P256_SHA256, &issuer);
        assert_eq!(
            cert_err(check(
                &WebPkiServerVerifier::new(Arc::new(store.clone())),
                &leaf.cert,
                &[],
                &localhost(),
                now()
            )),
            CertificateError::UnknownIssuer
        );
        let ca_der = certs_from_pem(CA_PEM).expect("CA").remove(0);
        store.add(ca_der.clone()).expect("add");
        assert_eq!(store.len(), 1);
        assert_eq!(
            store.add(CertificateDer::from(vec![1, 2, 3])),
            Err(Error::InvalidCertificate(CertificateError::BadEncoding))
        );
        assert_eq!(store.len(), 1);
        let (added, ignored) = store.add_parsable_certificates(vec![
            ca_der.clone(),
            CertificateDer::from(vec![0x30, 0x00]),
            ca(&rcgen::PKCS_ED25519, "other").der().clone(),
        ]);
        assert_eq!((added, ignored), (2, 1));
        assert_eq!(store.len(), 3);
        assert_eq!(store.roots().len(), 3);
        let mut more = RootCertStore::empty();
        more.extend(store.roots().iter().cloned());
        assert_eq!(more.len(), 3);

        assert_eq!(RootCertStore::from_pem(CA_PEM).expect("CA").len(), 1);
        // The server chain files hold two certificates (leaf and CA).
        assert_eq!(
            RootCertStore::from_pem(ECDSA_CERT_PEM)
                .expect("chain")
                .len(),
            2
        );
        assert!(matches!(
            RootCertStore::from_pem(b""),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            RootCertStore::from_pem(RSA_KEY_PEM),
            Err(Error::Config(_))
        ));
    }

    /// Signs with every scheme `key` supports and checks the verifier's answer: success, and
    /// `BadSignature` for a flipped bit or a different message.
    fn assert_round_trips(v: &WebPkiServerVerifier, cert: &CertificateDer<'_>, key: &SigningKey) {
        let message = b"client_random || server_random || ServerECDHParams";
        assert!(!key.schemes().is_empty());
        for &scheme in key.schemes() {
            assert!(v.supported_schemes().contains(&scheme), "{scheme:?}");
            let sig = key.sign(scheme, message).expect("sign");
            v.verify_tls12_signature(message, cert, scheme, &sig)
                .unwrap_or_else(|e| panic!("{key:?} {scheme:?}: {e}"));
            for i in [0, sig.len() / 2, sig.len() - 1] {
                let mut bad = sig.clone();
                bad[i] ^= 0x04;
                assert_eq!(
                    v.verify_tls12_signature(message, cert, scheme, &bad)
                        .map(|_| ()),
                    Err(Error::PeerMisbehaved(PeerMisbehaved::BadSignature)),
                    "{scheme:?} flipped at {i}"
                );
            }
            assert_eq!(
                v.verify_tls12_signature(b"another message", cert, scheme, &sig)
                    .map(|_| ()),
                Err(Error::PeerMisbehaved(PeerMisbehaved::BadSignature))
            );
            assert_eq!(
                v.verify_tls12_signature(message, cert, scheme, &[])
                    .map(|_| ()),
                Err(Error::PeerMisbehaved(PeerMisbehaved::BadSignature))
            );
        }
    }

    fn signing_key(kp: &KeyPair) -> SigningKey {
        SigningKey::from_der(&PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            kp.serialize_der(),
        )))
        .expect("signing key")
    }

    #[test]
    fn signatures_round_trip_for_every_scheme() {
        for alg in ALGS {
            let ca = ca(alg, "rcgen test CA");
            let leaf = leaf(alg, &ca);
            let v = verifier_for(&[ca.der()]);
            assert_round_trips(&v, &leaf.cert, &signing_key(&leaf.key));
        }
        // RSA: ring cannot generate RSA keys, so the committed key and certificate.
        let rsa_chain = certs_from_pem(RSA_CERT_PEM).expect("chain");
        let rsa_key =
            SigningKey::from_der(&private_key_from_pem(RSA_KEY_PEM).expect("key")).expect("RSA");
        assert_eq!(rsa_key.schemes().len(), 6);
        let v = WebPkiServerVerifier::new(Arc::new(RootCertStore::from_pem(CA_PEM).expect("CA")));
        assert_round_trips(&v, &rsa_chain[0], &rsa_key);
    }

    #[test]
    fn tls12_ecdsa_schemes_do_not_bind_the_curve() {
        // Made with OpenSSL 3.0: `openssl dgst -sha256 -sign p384.pem msg` and
        // `openssl dgst -sha384 -sign p256.pem msg` (ring signs only the curve's own hash).
        const MSG: &[u8] = b"spectls: TLS 1.2 ECDSA schemes do not bind the curve";
        const P384_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDDN8D4n73ZqS8uSBrCb
gAnVHSbZwTZQhgOL72wjYKC3iPSN00XFUYvNzFNGmwJRilChZANiAASqXufP3eHK
Bk4yOKQcYWS63csS88/lzu1wSpG7OaeXqjqxWHWUvChBvC2/oLQnYlsugpwSa18E
CeqWUFwRgHs7+c/Xd5iEtIx0R9unaGLbtQwptQjWBis1BSSVQ1rTdzg=
-----END PRIVATE KEY-----
";
        const P384_SHA256_SIG: &str =
            "30640230064e346b85995df38528c7a5d980be7e53c313c311c72b2dcaf9\
            8b98fd6d587895ee3923db97e1e140bcc226e98489ac0230535189ac3e767ffab0401d6e55463c07728bc1\
            e884aa3f9c5a2dbd99bf36bcc979f4d25ee7c014f38be272b2fee228a5";
        const P256_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg2IAf+mxFUZ1zm5BM
6fgIuVDFZBOENWflRWQnMITZDnyhRANCAAToMrExGCnHuCBr0dRsUlUBcDx5/Z+e
pe91WJtFWZigPOfnpjfCn++x+6ufi3b159Re44lNHSUzXVdlxemNDlln
-----END PRIVATE KEY-----
";
        const P256_SHA384_SIG: &str =
            "304602210081988154e75d50cf22b5407954c46649e4be78bf11e755521c\
            61bbc799077de0022100fe5f25d32848235d1d633b9b20c619c2b22bd663db458474f50bca5e26fb16c6";
        let unhex = |s: &str| -> Vec<u8> {
            let s: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
            s.chunks(2)
                .map(|p| {
                    u8::from_str_radix(std::str::from_utf8(p).expect("ascii"), 16).expect("hex")
                })
                .collect()
        };
        let self_signed = |key_pem: &str| {
            let key = KeyPair::from_pem(key_pem).expect("rcgen key");
            CertificateParams::new(vec!["localhost".to_string()])
                .expect("params")
                .self_signed(&key)
                .expect("cert")
                .der()
                .clone()
        };
        let p384_cert = self_signed(P384_KEY);
        let p256_cert = self_signed(P256_KEY);
        let v = verifier_for(&[&p384_cert]);
        use SignatureScheme as S;
        // ecdsa_secp256r1_sha256 is {sha256, ecdsa}: a P-384 key may use it in TLS 1.2.
        v.verify_tls12_signature(
            MSG,
            &p384_cert,
            S::EcdsaSecp256r1Sha256,
            &unhex(P384_SHA256_SIG),
        )
        .expect("P-384 with SHA-256");
        v.verify_tls12_signature(
            MSG,
            &p256_cert,
            S::EcdsaSecp384r1Sha384,
            &unhex(P256_SHA384_SIG),
        )
        .expect("P-256 with SHA-384");
        // The hash still matters.
        assert_eq!(
            v.verify_tls12_signature(
                MSG,
                &p384_cert,
                S::EcdsaSecp384r1Sha384,
                &unhex(P384_SHA256_SIG)
            )
            .map(|_| ()),
            Err(Error::PeerMisbehaved(PeerMisbehaved::BadSignature))
        );
        assert_eq!(
            v.verify_tls12_signature(
                MSG,
                &p256_cert,
                S::EcdsaSecp256r1Sha256,
                &unhex(P256_SHA384_SIG)
            )
            .map(|_| ()),
            Err(Error::PeerMisbehaved(PeerMisbehaved::BadSignature))
        );
    }

    #[test]
    fn unsupported_and_mismatched_schemes_are_rejected() {
        use SignatureScheme as S;
        let ca = ca(&rcgen::PKCS_ECDSA_P256_SHA256, "CA");
        let ecdsa_leaf = leaf(&rcgen::PKCS_ECDSA_P256_SHA256, &ca);
        let ed_leaf = leaf(&rcgen::PKCS_ED25519, &ca);
        let key = signing_key(&ecdsa_leaf.key);
        let v = verifier_for(&[ca.der()]);
        let sig = key.sign(S::EcdsaSecp256r1Sha256, b"m").expect("sign");
        for scheme in [
            S::EcdsaSha1,
            S::RsaPkcs1Sha1,
            S::EcdsaSecp521r1Sha512,
            S::Ed448,
            S::RsaPssPssSha256,
            S::Unknown(0x0403 + 0x1000),
        ] {
            assert_eq!(
                v.verify_tls12_signature(b"m", &ecdsa_leaf.cert, scheme, &sig)
                    .map(|_| ()),
                Err(Error::PeerMisbehaved(
                    PeerMisbehaved::SelectedUnofferedParameter("signature scheme")
                )),
                "{scheme:?}"
            );
        }
        // A supported scheme of the wrong key type for the certificate.
        for (cert, scheme) in [
            (&ecdsa_leaf.cert, S::RsaPkcs1Sha256),
            (&ecdsa_leaf.cert, S::RsaPssRsaeSha256),
            (&ecdsa_leaf.cert, S::Ed25519),
            (&ed_leaf.cert, S::EcdsaSecp256r1Sha256),
        ] {
            assert!(
                matches!(
                    v.verify_tls12_signature(b"m", cert, scheme, &sig),
                    Err(Error::PeerMisbehaved(PeerMisbehaved::Other(_)))
                ),
                "{scheme:?}"
            );
        }
        // A malformed certificate.
        assert_eq!(
            v.verify_tls12_signature(
                b"m",
                &CertificateDer::from(vec![0x30]),
                S::EcdsaSecp256r1Sha256,
                &sig
            )
            .map(|_| ()),
            Err(Error::InvalidCertificate(CertificateError::BadEncoding))
        );
    }

    #[test]
    fn supported_schemes_all_have_algorithms() {
        let v = verifier_for(&[&certs_from_pem(CA_PEM).expect("CA")[0]]);
        assert_eq!(
            v.supported_schemes(),
            crate::crypto::sign::SUPPORTED_SIGNATURE_SCHEMES
        );
        for s in v.supported_schemes() {
            assert!(algorithms_for(s).is_some(), "{s:?}");
        }
        // And nothing else: every other 16-bit value is refused.
        let accepted = (0..=u16::MAX)
            .map(SignatureScheme::from_value)
            .filter(|s| algorithms_for(*s).is_some())
            .count();
        assert_eq!(accepted, v.supported_schemes().len());
    }

    #[test]
    fn webpki_errors_map_to_alerts() {
        use crate::wire::AlertDescription as A;
        let cases = [
            (webpki::Error::UnknownIssuer, A::UnknownCa),
            (webpki::Error::BadDer, A::BadCertificate),
            (webpki::Error::CertRevoked, A::CertificateRevoked),
            (webpki::Error::InvalidCertValidity, A::CertificateExpired),
            (webpki::Error::CaUsedAsEndEntity, A::BadCertificate),
        ];
        for (e, alert) in cases {
            assert_eq!(cert_error(e).alert(), Some(alert));
        }
    }
}

#[cfg(test)]
// Unit tests: a failed unwrap or index is a failed test, which is what we want.
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod client_auth_tests {
    use super::*;
    use crate::crypto::sign::{certs_from_pem, SigningKey};
    use crate::wire::AlertDescription;
    use pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose,
        IsCa, KeyPair, KeyUsagePurpose,
    };
    use std::time::Duration;

    const CA_PEM: &[u8] = include_bytes!("../../../tests/data/certs/ca.pem");

    /// 2025-06-15: inside rcgen's default validity (1975..4096).
    fn now() -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(1_750_009_600))
    }

    type Issuer = CertifiedIssuer<'static, KeyPair>;

    fn ca_with(alg: &'static rcgen::SignatureAlgorithm, dn: &[(DnType, &str)]) -> Issuer {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        for (ty, value) in dn {
            params.distinguished_name.push(ty.clone(), *value);
        }
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        CertifiedIssuer::self_signed(params, KeyPair::generate_for(alg).expect("key")).expect("CA")
    }

    fn ca(name: &str) -> Issuer {
        ca_with(
            &rcgen::PKCS_ECDSA_P256_SHA256,
            &[(DnType::CommonName, name)],
        )
    }

    struct Client {
        cert: CertificateDer<'static>,
        key: KeyPair,
    }

    fn client_with(
        alg: &'static rcgen::SignatureAlgorithm,
        issuer: &Issuer,
        edit: impl FnOnce(&mut CertificateParams),
    ) -> Client {
        // Client certificates name a person or a service, not a host: no SANs.
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params
            .distinguished_name
            .push(DnType::CommonName, "spectls test client");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        edit(&mut params);
        let key = KeyPair::generate_for(alg).expect("key");
        let cert = params.signed_by(&key, issuer).expect("leaf").der().clone();
        Client { cert, key }
    }

    fn client(issuer: &Issuer) -> Client {
        client_with(&rcgen::PKCS_ECDSA_P256_SHA256, issuer, |_| {})
    }

    fn store(roots: &[&CertificateDer<'static>]) -> Arc<RootCertStore> {
        let mut store = RootCertStore::empty();
        for root in roots {
            store.add((*root).clone()).expect("root");
        }
        Arc::new(store)
    }

    fn verifier(roots: &[&CertificateDer<'static>]) -> Arc<dyn ClientCertVerifier> {
        WebPkiClientVerifier::builder(store(roots))
            .build()
            .expect("verifier")
    }

    fn check(v: &dyn ClientCertVerifier, c: &CertificateDer<'_>) -> Result<(), Error> {
        v.verify_client_cert(c, &[], now()).map(|_| ())
    }

    fn cert_err(r: Result<(), Error>) -> CertificateError {
        match r {
            Err(Error::InvalidCertificate(c)) => c,
            other => panic!("expected a certificate error, got {other:?}"),
        }
    }

    /// One DER TLV at the start of `der`: (the whole TLV, its contents, what follows).
    fn tlv(der: &[u8]) -> (&[u8], &[u8], &[u8]) {
        let first = der[1];
        let (header, len) = if first < 0x80 {
            (2, usize::from(first))
        } else {
            let n = usize::from(first & 0x7f);
            let len = der[2..2 + n]
                .iter()
                .fold(0usize, |acc, b| acc << 8 | usize::from(*b));
            (2 + n, len)
        };
        (
            &der[..header + len],
            &der[header..header + len],
            &der[header + len..],
        )
    }

    /// The (issuer, subject) `Name`s of a certificate, as full DER TLVs.
    fn issuer_and_subject(cert: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let (_, certificate, _) = tlv(cert);
        let (_, tbs, _) = tlv(certificate);
        assert_eq!(tbs[0], 0xa0, "v3 certificate");
        let (_, _, rest) = tlv(tbs); // [0] version
        let (_, _, rest) = tlv(rest); // serialNumber
        let (_, _, rest) = tlv(rest); // signature
        let (issuer, _, rest) = tlv(rest);
        let (_, _, rest) = tlv(rest); // validity
        let (subject, _, _) = tlv(rest);
        (issuer.to_vec(), subject.to_vec())
    }

    #[test]
    fn client_auth_certificates_verify() {
        for alg in [
            &rcgen::PKCS_ECDSA_P256_SHA256,
            &rcgen::PKCS_ECDSA_P384_SHA384,
            &rcgen::PKCS_ED25519,
        ] {
            let ca = ca_with(alg, &[(DnType::CommonName, "client CA")]);
            let v = verifier(&[ca.der()]);
            check(&*v, &client_with(alg, &ca, |_| {}).cert).expect("clientAuth");
            // Both purposes listed: clientAuth is among them.
            let both = client_with(alg, &ca, |p| {
                p.extended_key_usages = vec![
                    ExtendedKeyUsagePurpose::ServerAuth,
                    ExtendedKeyUsagePurpose::ClientAuth,
                ];
            });
            check(&*v, &both.cert).expect("serverAuth + clientAuth");
            // No EKU extension at all means any purpose (RFC 5280 4.2.1.12), as webpki reads it.
            let any = client_with(alg, &ca, |p| p.extended_key_usages.clear());
            check(&*v, &any.cert).expect("no EKU");
        }
    }

    #[test]
    fn server_auth_only_certificate_is_rejected() {
        let ca = ca("client CA");
        let server_only = client_with(&rcgen::PKCS_ECDSA_P256_SHA256, &ca, |p| {
            p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
            p.subject_alt_names = vec![rcgen::SanType::DnsName(
                "localhost".try_into().expect("ia5"),
            )];
        });
        let v = verifier(&[ca.der()]);
        let err = check(&*v, &server_only.cert).expect_err("serverAuth only");
        assert!(
            matches!(
                &err,
                Error::InvalidCertificate(CertificateError::Other(s)) if s.contains("RequiredEku")
            ),
            "{err:?}"
        );
        assert_eq!(err.alert(), Some(AlertDescription::BadCertificate));
        // The same certificate is fine for a server verifier: the purpose is what differs.
        WebPkiServerVerifier::new(store(&[ca.der()]))
            .verify_server_cert(
                &server_only.cert,
                &[],
                &ServerName::try_from("localhost").expect("name"),
                &[],
                now(),
            )
            .expect("a server certificate");
    }

    #[test]
    fn expired_and_not_yet_valid_client_certificates() {
        let ca = ca("client CA");
        let v = verifier(&[ca.der()]);
        let expired = client_with(&rcgen::PKCS_ECDSA_P256_SHA256, &ca, |p| {
            p.not_before = rcgen::date_time_ymd(2000, 1, 1);
            p.not_after = rcgen::date_time_ymd(2001, 1, 1);
        });
        let future = client_with(&rcgen::PKCS_ECDSA_P256_SHA256, &ca, |p| {
            p.not_before = rcgen::date_time_ymd(2100, 1, 1);
            p.not_after = rcgen::date_time_ymd(2101, 1, 1);
        });
        assert_eq!(
            cert_err(check(&*v, &expired.cert)),
            CertificateError::Expired
        );
        assert_eq!(
            cert_err(check(&*v, &future.cert)),
            CertificateError::NotValidYet
        );
        let in_2000 = UnixTime::since_unix_epoch(Duration::from_secs(946_684_800 + 86_400 * 30));
        v.verify_client_cert(&expired.cert, &[], in_2000)
            .expect("valid in 2000");
    }

    #[test]
    fn unknown_ca_and_chains() {
        let real = ca("client CA");
        let other = ca("client CA"); // Same name, other key: the name alone must not chain.
        let unrelated = ca("unrelated CA");
        let leaf = client(&real);
        for roots in [[unrelated.der()], [&certs_from_pem(CA_PEM).expect("CA")[0]]] {
            assert_eq!(
                cert_err(check(&*verifier(&roots), &leaf.cert)),
                CertificateError::UnknownIssuer
            );
        }
        assert!(check(&*verifier(&[other.der()]), &leaf.cert).is_err());
        // Through an intermediate, which the client sends.
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params
            .distinguished_name
            .push(DnType::CommonName, "client intermediate");
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
        let inter = CertifiedIssuer::signed_by(
            params,
            KeyPair::generate_for(&rcgen::PKCS_ED25519).expect("key"),
            &real,
        )
        .expect("intermediate");
        let deep = client(&inter);
        let v = verifier(&[real.der()]);
        v.verify_client_cert(&deep.cert, &[inter.der().clone()], now())
            .expect("with the intermediate");
        assert_eq!(
            cert_err(check(&*v, &deep.cert)),
            CertificateError::UnknownIssuer
        );
        // A CA certificate is not a client certificate.
        assert!(check(&*v, real.der()).is_err());
    }

    #[test]
    fn garbage_client_certificates_fail_without_panicking() {
        let ca = ca("client CA");
        let v = verifier(&[ca.der()]);
        for bytes in [&[][..], &[0x30, 0x00][..], &[0xff; 40][..]] {
            assert_eq!(
                cert_err(check(&*v, &CertificateDer::from(bytes.to_vec()))),
                CertificateError::BadEncoding
            );
        }
        let good = client(&ca).cert;
        for end in 0..good.len() {
            assert!(check(&*v, &CertificateDer::from(good[..end].to_vec())).is_err());
        }
        for i in 0..good.len() {
            let mut bad = good.to_vec();
            bad[i] ^= 0x01;
            assert!(
                check(&*v, &CertificateDer::from(bad)).is_err(),
                "flip at {i}"
            );
        }
    }

    #[test]
    fn root_hint_subjects_are_the_roots_full_der_names() {
        // Names whose DER needs one, two and three length octets (< 128, < 256, larger).
        let short = ca("short CA");
        let medium = ca_with(
            &rcgen::PKCS_ED25519,
            &[
                (DnType::CountryName, "NZ"),
                (DnType::OrganizationName, "spectls test organisation"),
                (DnType::OrganizationalUnitName, "client authentication"),
                (DnType::CommonName, "a CA with a name longer than 127 bytes"),
            ],
        );
        let long_cn = "x".repeat(300);
        let long = ca_with(
            &rcgen::PKCS_ECDSA_P384_SHA384,
            &[(DnType::CommonName, long_cn.as_str())],
        );
        let committed = certs_from_pem(CA_PEM).expect("CA").remove(0);
        let cas = [short.der(), medium.der(), long.der(), &committed];
        let hints = verifier(&cas).root_hint_subjects();
        assert_eq!(hints.len(), cas.len());
        for (hint, ca) in hints.iter().zip(cas) {
            // One complete DER SEQUENCE, nothing after it.
            assert_eq!(hint[0], 0x30);
            let (whole, _, rest) = tlv(hint);
            assert_eq!(whole.len(), hint.len());
            assert!(rest.is_empty());
            // Exactly the CA's subject (and, self-signed, its issuer).
            let (issuer, subject) = issuer_and_subject(ca);
            assert_eq!(hint, &subject);
            assert_eq!(hint, &issuer);
        }
        assert!(hints[0].len() < 128 + 2);
        assert_eq!(hints[1][1], 0x81);
        assert_eq!(hints[2][1], 0x82);
        // The leaf's issuer field is what a client matches hints against.
        let (leaf_issuer, _) = issuer_and_subject(&client(&short).cert);
        assert_eq!(leaf_issuer, hints[0]);
    }

    #[test]
    fn distinguished_name_encoding() {
        assert_eq!(distinguished_name(&[]), Some(vec![0x30, 0x00]));
        assert_eq!(distinguished_name(&[1, 2]), Some(vec![0x30, 0x02, 1, 2]));
        for (len, header) in [
            (127usize, vec![0x30, 0x7f]),
            (128, vec![0x30, 0x81, 0x80]),
            (255, vec![0x30, 0x81, 0xff]),
            (256, vec![0x30, 0x82, 0x01, 0x00]),
            (65_531, vec![0x30, 0x82, 0xff, 0xfb]),
        ] {
            let der = distinguished_name(&vec![7; len]).expect("fits");
            assert_eq!(der[..header.len()], header[..], "{len}");
            assert_eq!(der.len(), header.len() + len);
        }
        // Beyond DistinguishedName<1..2^16-1> once the header is added.
        assert_eq!(distinguished_name(&vec![7; 65_532]), None);
        assert_eq!(distinguished_name(&vec![7; 70_000]), None);
    }

    #[test]
    fn mandatory_and_optional_modes() {
        let ca = ca("client CA");
        let required = WebPkiClientVerifier::builder(store(&[ca.der()]))
            .build()
            .expect("verifier");
        assert!(required.offer_client_auth());
        assert!(required.client_auth_mandatory());
        let optional = WebPkiClientVerifier::builder(store(&[ca.der()]))
            .allow_unauthenticated()
            .build()
            .expect("verifier");
        assert!(optional.offer_client_auth());
        assert!(!optional.client_auth_mandatory());
        // Optional still verifies what is presented.
        let leaf = client(&ca);
        check(&*optional, &leaf.cert).expect("good certificate");
        let stranger = client(&self::ca("other CA"));
        assert_eq!(
            cert_err(check(&*optional, &stranger.cert)),
            CertificateError::UnknownIssuer
        );
        // Both modes send the same hints.
        assert_eq!(required.root_hint_subjects(), optional.root_hint_subjects());
        // No roots: a configuration error in either mode.
        for builder in [
            WebPkiClientVerifier::builder(Arc::new(RootCertStore::empty())),
            WebPkiClientVerifier::builder(Arc::new(RootCertStore::empty())).allow_unauthenticated(),
        ] {
            assert!(matches!(builder.build(), Err(Error::Config(_))));
        }
    }

    #[test]
    fn certificate_verify_signatures() {
        let ca = ca("client CA");
        let v = verifier(&[ca.der()]);
        assert_eq!(
            v.supported_schemes(),
            crate::crypto::sign::SUPPORTED_SIGNATURE_SCHEMES
        );
        for alg in [
            &rcgen::PKCS_ECDSA_P256_SHA256,
            &rcgen::PKCS_ECDSA_P384_SHA384,
            &rcgen::PKCS_ED25519,
        ] {
            let leaf = client_with(alg, &ca, |_| {});
            let key = SigningKey::from_der(&PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
                leaf.key.serialize_der(),
            )))
            .expect("key");
            let transcript = b"handshake_messages so far";
            let scheme = key
                .choose_scheme(&v.supported_schemes())
                .expect("a scheme in common");
            let sig = key.sign(scheme, transcript).expect("sign");
            v.verify_tls12_signature(transcript, &leaf.cert, scheme, &sig)
                .expect("verifies");
            let mut bad = sig.clone();
            if let Some(b) = bad.last_mut() {
                *b ^= 1;
            }
            assert_eq!(
                v.verify_tls12_signature(transcript, &leaf.cert, scheme, &bad)
                    .map(|_| ()),
                Err(Error::PeerMisbehaved(PeerMisbehaved::BadSignature))
            );
        }
    }

    #[test]
    fn no_client_auth_never_asks_and_never_accepts() {
        let v: Arc<dyn ClientCertVerifier> = Arc::new(NoClientAuth);
        assert!(!v.offer_client_auth());
        assert!(!v.client_auth_mandatory());
        assert!(v.root_hint_subjects().is_empty());
        assert!(v.supported_schemes().is_empty());
        let ca = ca("client CA");
        let leaf = client(&ca);
        assert!(matches!(
            v.verify_client_cert(&leaf.cert, &[], now()),
            Err(Error::Internal(_))
        ));
        assert!(matches!(
            v.verify_tls12_signature(b"m", &leaf.cert, SignatureScheme::Ed25519, &[0; 64]),
            Err(Error::Internal(_))
        ));
    }
}
