//! Checking the server: its certificate chain and name (rustls-webpki), and the TLS 1.2
//! signatures it makes with the certified key.
//!
//! A successful check returns a proof value ([`ServerCertVerified`], [`SignatureVerified`]) that
//! the client state machine stores in its state: it cannot reach "expect Finished" without both.
//!
//! The dangers of replacing a verifier: see [`crate::pki`].
//!
//! Client certificates (a server asking for one) are checked the same way by a
//! [`ClientCertVerifier`]; the trust anchors of both are a [`crate::pki::RootCertStore`].

mod client;
mod server;

pub use client::{ClientCertVerifier, ClientVerifierBuilder, NoClientAuth, WebPkiClientVerifier};
pub use server::{ServerCertVerifier, WebPkiServerVerifier};

use crate::error::{CertificateError, Error, PeerMisbehaved};
use crate::pki::roots::RootCertStore;
use crate::wire::SignatureScheme;
use pki_types::{CertificateDer, SignatureVerificationAlgorithm, UnixTime};
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

/// Builds a chain from `end_entity` through `intermediates` to one of `roots`, valid at `now` and
/// for `usage` (serverAuth or clientAuth): the check both webpki verifiers make. Returns the
/// parsed certificate for further checks (the server's name).
fn verify_chain<'c>(
    end_entity: &'c CertificateDer<'c>,
    intermediates: &[CertificateDer<'_>],
    roots: &RootCertStore,
    now: UnixTime,
    usage: webpki::KeyUsage,
) -> Result<webpki::EndEntityCert<'c>, Error> {
    let cert = webpki::EndEntityCert::try_from(end_entity).map_err(cert_error)?;
    cert.verify_for_usage(
        CHAIN_ALGS,
        roots.roots(),
        intermediates,
        now,
        usage,
        None,
        None,
    )
    .map_err(cert_error)?;
    Ok(cert)
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

#[cfg(test)]
mod tests;

#[cfg(test)]
mod client_auth_tests;
