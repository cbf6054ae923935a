//! TLS 1.3 CertificateVerify (RFC 8446 section 4.4.3): the content a signature covers, which
//! schemes a key may sign it with, signing with a [`SigningKey`] and verifying with the peer's
//! end-entity certificate.
//!
//! The TLS 1.3 engine (issue 13) uses this for the server's CertificateVerify and, with client
//! authentication, the client's. It differs from TLS 1.2 in three ways:
//!
//! - the signature covers [`signed_content`]: 64 spaces, a context string naming the signer,
//!   a zero octet and the transcript hash, not the handshake messages themselves;
//! - RSA keys sign with RSASSA-PSS only (`rsa_pss_rsae_*`); the `rsa_pkcs1_*` schemes are
//!   refused "regardless of whether RSASSA-PKCS1-v1_5 algorithms appear in
//!   signature_algorithms";
//! - an ECDSA scheme names its curve: `ecdsa_secp256r1_sha256` is a P-256 key's only scheme and
//!   `ecdsa_secp384r1_sha384` a P-384 key's.

use crate::crypto::sign::SigningKey;
use crate::error::{Error, PeerMisbehaved};
use crate::pki::key::CertifiedKeyKind;
use crate::pki::verify::{verify_signature, SignatureVerified};
use crate::wire::SignatureScheme;
use pki_types::CertificateDer;

/// Which side signs a CertificateVerify: each has its own context string, so a server's
/// signature cannot be replayed as a client's or the other way round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signer {
    /// The server's CertificateVerify: "TLS 1.3, server CertificateVerify".
    Server,
    /// The client's CertificateVerify (client authentication): "TLS 1.3, client
    /// CertificateVerify".
    Client,
}

impl Signer {
    /// The context string of RFC 8446 section 4.4.3, without the zero octet that follows it.
    pub fn context(self) -> &'static [u8] {
        match self {
            Signer::Server => b"TLS 1.3, server CertificateVerify",
            Signer::Client => b"TLS 1.3, client CertificateVerify",
        }
    }
}

/// The 64 octets of 0x20 every TLS 1.3 signed content starts with (RFC 8446 section 4.4.3).
const PREFIX: [u8; 64] = [0x20; 64];

/// The octets a CertificateVerify signature covers (RFC 8446 section 4.4.3): 64 octets of 0x20,
/// the [`Signer::context`], a single 0 octet, then `transcript_hash`, which is
/// Transcript-Hash(Handshake Context, Certificate): the hash of every handshake message up to
/// and including the signer's Certificate.
pub fn signed_content(signer: Signer, transcript_hash: &[u8]) -> Vec<u8> {
    let context = signer.context();
    let mut content = Vec::with_capacity(PREFIX.len() + context.len() + 1 + transcript_hash.len());
    content.extend_from_slice(&PREFIX);
    content.extend_from_slice(context);
    content.push(0);
    content.extend_from_slice(transcript_hash);
    content
}

/// Whether TLS 1.3 allows `scheme` in a CertificateVerify at all: the `rsa_pss_rsae_*` schemes,
/// `ecdsa_secp256r1_sha256`, `ecdsa_secp384r1_sha384` and `ed25519`, the subset of
/// [`crate::crypto::SUPPORTED_SIGNATURE_SCHEMES`] that is neither RSASSA-PKCS1-v1_5 nor SHA-1.
pub fn is_tls13_scheme(scheme: SignatureScheme) -> bool {
    use SignatureScheme as S;
    matches!(
        scheme,
        S::RsaPssRsaeSha256
            | S::RsaPssRsaeSha384
            | S::RsaPssRsaeSha512
            | S::EcdsaSecp256r1Sha256
            | S::EcdsaSecp384r1Sha384
            | S::Ed25519
    )
}

/// Whether a certified key of `kind` makes TLS 1.3 signatures of `scheme`: RSA keys the PSS
/// schemes, an ECDSA key the one scheme naming its curve, an Ed25519 key `ed25519`.
fn key_fits(kind: CertifiedKeyKind, scheme: SignatureScheme) -> bool {
    use SignatureScheme as S;
    match kind {
        CertifiedKeyKind::Rsa => matches!(
            scheme,
            S::RsaPssRsaeSha256 | S::RsaPssRsaeSha384 | S::RsaPssRsaeSha512
        ),
        CertifiedKeyKind::EcdsaP256 => scheme == S::EcdsaSecp256r1Sha256,
        CertifiedKeyKind::EcdsaP384 => scheme == S::EcdsaSecp384r1Sha384,
        CertifiedKeyKind::Ed25519 => scheme == S::Ed25519,
        CertifiedKeyKind::Other => false,
    }
}

/// Our most preferred TLS 1.3 scheme for `key` among those the peer `offered` in
/// signature_algorithms (the peer's order is ignored), or `None` when there is none in common
/// (the handshake then fails: `handshake_failure`, RFC 8446 4.1.1).
///
/// [`SigningKey::choose_scheme`] without the PKCS#1 schemes; an ECDSA key already has only the
/// scheme of its curve.
pub fn choose_scheme(key: &SigningKey, offered: &[SignatureScheme]) -> Option<SignatureScheme> {
    key.schemes()
        .iter()
        .copied()
        .find(|ours| is_tls13_scheme(*ours) && offered.contains(ours))
}

/// Signs a CertificateVerify: the `signature` field's contents for `scheme` over
/// [`signed_content`]`(signer, transcript_hash)`.
///
/// A scheme TLS 1.3 forbids or `key` cannot make is our own bug (`Error::Internal`): pass what
/// [`choose_scheme`] returned.
pub fn sign(
    key: &SigningKey,
    scheme: SignatureScheme,
    signer: Signer,
    transcript_hash: &[u8],
) -> Result<Vec<u8>, Error> {
    if !is_tls13_scheme(scheme) {
        return Err(Error::Internal(format!(
            "{scheme} is not a TLS 1.3 CertificateVerify scheme"
        )));
    }
    key.sign(scheme, &signed_content(signer, transcript_hash))
}

/// Verifies the peer's CertificateVerify `signature`, made with `scheme` by the key of
/// `end_entity` (the first certificate of the peer's Certificate message; its chain is checked
/// separately by the certificate verifier), over [`signed_content`]`(signer,
/// transcript_hash)`.
///
/// Errors, each with its alert:
/// - a scheme TLS 1.3 forbids (`rsa_pkcs1_*`, SHA-1, anything spectls does not verify):
///   `PeerMisbehaved::Other`, `illegal_parameter`;
/// - a scheme that does not fit the certificate's key (an RSA scheme with an ECDSA key,
///   `ecdsa_secp256r1_sha256` with a P-384 key): `PeerMisbehaved::Other`, `illegal_parameter`;
/// - a signature that does not verify: `PeerMisbehaved::BadSignature`, `decrypt_error`, as in
///   TLS 1.2;
/// - a certificate that does not parse: `Error::InvalidCertificate`.
///
/// That `scheme` is one we offered in signature_algorithms is the caller's check.
pub fn verify(
    end_entity: &CertificateDer<'_>,
    scheme: SignatureScheme,
    signer: Signer,
    transcript_hash: &[u8],
    signature: &[u8],
) -> Result<SignatureVerified, Error> {
    verify_message(
        end_entity,
        scheme,
        &signed_content(signer, transcript_hash),
        signature,
    )
}

/// [`verify`] for a `message` already built by [`signed_content`]: what the certificate
/// verifiers' `verify_tls13_signature` does by default.
pub fn verify_message(
    end_entity: &CertificateDer<'_>,
    scheme: SignatureScheme,
    message: &[u8],
    signature: &[u8],
) -> Result<SignatureVerified, Error> {
    if !is_tls13_scheme(scheme) {
        return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
            "signature scheme not allowed in a TLS 1.3 CertificateVerify",
        )));
    }
    if !key_fits(CertifiedKeyKind::of(end_entity)?, scheme) {
        return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
            "signature scheme does not match the certificate's key",
        )));
    }
    // The key's type and curve now match the scheme, so of the TLS 1.2 candidates (which
    // try both curves for an ECDSA hash) only the algorithm of the scheme's own curve applies.
    verify_signature(message, end_entity, scheme, signature)
}

#[cfg(test)]
mod tests;
