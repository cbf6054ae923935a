//! Checks and conversions both sides' handshakes make, whatever the protocol version.

use crate::crypto::suites::SignatureFamily;
use crate::error::{CertificateError, Error, PeerMisbehaved};
use crate::wire::{ECPointFormat, Random, RecordSizeLimit, RenegotiationInfo, SignatureScheme};

/// The generated `Random` (RFC 5246 7.4.1.2) over 32 random bytes.
pub(crate) fn random_struct(bytes: &[u8; 32]) -> Random {
    let [a, b, c, d, rest @ ..] = *bytes;
    Random {
        gmt_unix_time: u32::from_be_bytes([a, b, c, d]),
        random_bytes: rest,
    }
}

/// The 32 bytes of a generated `Random`.
pub(crate) fn random_bytes(r: &Random) -> [u8; 32] {
    let mut out = [0u8; 32];
    let (time, rest) = out.split_at_mut(4);
    time.copy_from_slice(&r.gmt_unix_time.to_be_bytes());
    rest.copy_from_slice(&r.random_bytes);
    out
}

/// RFC 8446 4.1.3: the last 8 bytes of a TLS 1.3-capable server's random when it negotiates
/// TLS 1.2 ("DOWNGRD" and 1) ...
pub(crate) const DOWNGRADE_TLS12: [u8; 8] = *b"DOWNGRD\x01";
/// ... or TLS 1.1 and below ("DOWNGRD" and 0).
pub(crate) const DOWNGRADE_TLS11: [u8; 8] = *b"DOWNGRD\x00";

/// Whether a signature scheme belongs with the suite's authentication (ECDHE_ECDSA or ECDHE_RSA).
pub(crate) fn scheme_fits(scheme: SignatureScheme, family: SignatureFamily) -> bool {
    use SignatureScheme as S;
    match family {
        SignatureFamily::Any => crate::crypto::sign13::is_tls13_scheme(scheme),
        SignatureFamily::Ecdsa => matches!(
            scheme,
            S::EcdsaSecp256r1Sha256
                | S::EcdsaSecp384r1Sha384
                | S::EcdsaSecp521r1Sha512
                | S::Ed25519
        ),
        SignatureFamily::Rsa => matches!(
            scheme,
            S::RsaPkcs1Sha256
                | S::RsaPkcs1Sha384
                | S::RsaPkcs1Sha512
                | S::RsaPssRsaeSha256
                | S::RsaPssRsaeSha384
                | S::RsaPssRsaeSha512
        ),
    }
}

/// The most certificates we accept in a Certificate message (server chain, or client chain on a
/// server asking for one). Real chains are 2 to 4 long (leaf, one or two intermediates, perhaps
/// the root); 10 is well above that and bounds the copies and the path building the verifier
/// does for the peer. A longer chain is refused before it is verified, as
/// `CertificateError::Other` (`bad_certificate`). The chain's size in bytes is bounded by the
/// configured `max_certificate_list_size`.
pub(crate) const MAX_CERTIFICATE_CHAIN: usize = 10;

/// Refuses a Certificate message with more than [`MAX_CERTIFICATE_CHAIN`] certificates.
pub(crate) fn check_chain_len(certificates: usize) -> Result<(), Error> {
    if certificates > MAX_CERTIFICATE_CHAIN {
        return Err(Error::InvalidCertificate(CertificateError::Other(format!(
            "certificate chain of {certificates} certificates; at most {MAX_CERTIFICATE_CHAIN} accepted"
        ))));
    }
    Ok(())
}

/// Compares a received verify_data with ours without leaking where they differ.
pub(crate) fn verify_equal(a: &[u8], b: &[u8]) -> Result<(), Error> {
    use subtle::ConstantTimeEq;
    // subtle's comparison takes the same time whatever the contents (the lengths, which are
    // public, decide at once), and keeps the optimiser from turning it into an early exit,
    // which a hand-written fold does not promise.
    if bool::from(a.ct_eq(b)) {
        Ok(())
    } else {
        Err(Error::PeerMisbehaved(PeerMisbehaved::BadFinished))
    }
}

/// A peer's record_size_limit (RFC 8449 4): below 64 is `illegal_parameter`.
pub(crate) fn record_size_limit(l: &RecordSizeLimit) -> Result<u16, Error> {
    if l.0 < 64 {
        return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
            "record_size_limit below 64",
        )));
    }
    Ok(l.0)
}

/// renegotiation_info in an initial handshake (RFC 5746 3.4, 3.6): it must be empty.
pub(crate) fn check_initial_renegotiation_info(ri: &RenegotiationInfo<'_>) -> Result<(), Error> {
    if !ri.renegotiated_connection.is_empty() {
        return Err(Error::PeerMisbehaved(PeerMisbehaved::BadRenegotiationInfo));
    }
    Ok(())
}

/// A peer's ec_point_formats (RFC 8422 5.1.2): it must list uncompressed, or the handshake is
/// aborted with `illegal_parameter`.
pub(crate) fn check_point_formats(formats: &[ECPointFormat]) -> Result<(), Error> {
    if !formats.contains(&ECPointFormat::Uncompressed) {
        return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
            "ec_point_formats without uncompressed",
        )));
    }
    Ok(())
}

/// The protocol a server's ALPN answer names (RFC 7301 3.1): exactly one, and one we offered
/// (`offered`, not empty: an answer to no offer is the caller's unsolicited extension).
pub(crate) fn alpn_answer(
    offered: &[Vec<u8>],
    answer: &crate::wire::ProtocolNameList<'_>,
) -> Result<Vec<u8>, Error> {
    let [chosen] = answer.protocol_name_list.as_slice() else {
        return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
            "ALPN answer must name one protocol",
        )));
    };
    if !offered.iter().any(|o| o.as_slice() == chosen.0) {
        return Err(Error::PeerMisbehaved(
            PeerMisbehaved::SelectedUnofferedParameter("ALPN protocol"),
        ));
    }
    Ok(chosen.0.to_vec())
}
