//! Which kind of key a certificate certifies, read from its SubjectPublicKeyInfo: what the
//! handshake checks against the cipher suite (RFC 5246 7.4.2), the offered curves (RFC 8422 5.3)
//! and the signature scheme the peer signs with. webpki parses the certificate; only the
//! AlgorithmIdentifier at the front of the SPKI is matched here.

use crate::crypto::sign::{ALG_ID_ECDSA_P256, ALG_ID_ECDSA_P384};
use crate::crypto::suites::SignatureFamily;
use crate::error::{CertificateError, Error};
use crate::handshake::negotiation::scheme_fits;
use crate::wire::{NamedCurve, SignatureScheme};
use pki_types::CertificateDer;

/// The public key of a certificate, as far as TLS 1.2 cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CertifiedKeyKind {
    Rsa,
    EcdsaP256,
    EcdsaP384,
    Ed25519,
    /// Any other algorithm or curve (P-521, RSA-PSS keys, DSA, ...): spectls signs and
    /// verifies with none of them, so no suite fits it.
    Other,
}

// The DER of each AlgorithmIdentifier (RFC 5280 4.1.2.7; RFC 8017 A.1 for RSA, RFC 8410 3 for
// Ed25519; the ECDSA ones, RFC 5480 2.1.1, are shared with the signing keys' PKCS#8 headers).
const RSA: &[u8] = &[
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
];
const ED25519: &[u8] = &[0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70];

impl CertifiedKeyKind {
    /// The key of `cert`; a certificate webpki cannot parse is `BadEncoding`.
    pub(crate) fn of(cert: &CertificateDer<'_>) -> Result<Self, Error> {
        let parsed = webpki::EndEntityCert::try_from(cert)
            .map_err(|_| Error::InvalidCertificate(CertificateError::BadEncoding))?;
        let spki = parsed.subject_public_key_info();
        let algorithm = sequence_contents(spki.as_ref()).unwrap_or_default();
        Ok([
            (RSA, CertifiedKeyKind::Rsa),
            (ALG_ID_ECDSA_P256, CertifiedKeyKind::EcdsaP256),
            (ALG_ID_ECDSA_P384, CertifiedKeyKind::EcdsaP384),
            (ED25519, CertifiedKeyKind::Ed25519),
        ]
        .into_iter()
        .find(|(id, _)| algorithm.starts_with(id))
        .map_or(CertifiedKeyKind::Other, |(_, kind)| kind))
    }

    /// The algorithm's name, as [`SigningKey`](crate::pki::SigningKey) names its own (so that
    /// a key and a certificate can be compared by it).
    pub(crate) fn name(self) -> &'static str {
        match self {
            CertifiedKeyKind::Rsa => "RSA",
            CertifiedKeyKind::EcdsaP256 => "ECDSA P-256",
            CertifiedKeyKind::EcdsaP384 => "ECDSA P-384",
            CertifiedKeyKind::Ed25519 => "Ed25519",
            CertifiedKeyKind::Other => "of an algorithm spectls does not sign with",
        }
    }

    /// The suites' authentication this key can do.
    pub(crate) fn family(self) -> Option<SignatureFamily> {
        match self {
            CertifiedKeyKind::Rsa => Some(SignatureFamily::Rsa),
            CertifiedKeyKind::EcdsaP256
            | CertifiedKeyKind::EcdsaP384
            | CertifiedKeyKind::Ed25519 => Some(SignatureFamily::Ecdsa),
            CertifiedKeyKind::Other => None,
        }
    }

    /// The curve an ECDSA key is on, which the client must have offered (RFC 8422 5.3).
    pub(crate) fn curve(self) -> Option<NamedCurve> {
        match self {
            CertifiedKeyKind::EcdsaP256 => Some(NamedCurve::Secp256r1),
            CertifiedKeyKind::EcdsaP384 => Some(NamedCurve::Secp384r1),
            _ => None,
        }
    }

    /// Whether this key makes signatures of `scheme`. In TLS 1.2 an ECDSA scheme names the hash
    /// only, so any ECDSA key fits any ECDSA scheme.
    pub(crate) fn signs_with(self, scheme: SignatureScheme) -> bool {
        match self {
            CertifiedKeyKind::Rsa => scheme_fits(scheme, SignatureFamily::Rsa),
            CertifiedKeyKind::EcdsaP256 | CertifiedKeyKind::EcdsaP384 => {
                scheme != SignatureScheme::Ed25519 && scheme_fits(scheme, SignatureFamily::Ecdsa)
            }
            CertifiedKeyKind::Ed25519 => scheme == SignatureScheme::Ed25519,
            CertifiedKeyKind::Other => false,
        }
    }
}

/// The key `cert` certifies: its kind and the contents of its SubjectPublicKeyInfo's
/// `subjectPublicKey` BIT STRING (an EC point, 32 Ed25519 bytes, or the DER RSAPublicKey: what
/// ring's key pairs give as their public key). A certificate webpki cannot parse, or an SPKI
/// that is not a SEQUENCE of an AlgorithmIdentifier and a whole-byte BIT STRING, is
/// `BadEncoding`.
pub(crate) fn subject_public_key(
    cert: &CertificateDer<'_>,
) -> Result<(CertifiedKeyKind, Vec<u8>), Error> {
    let bad = || Error::InvalidCertificate(CertificateError::BadEncoding);
    let kind = CertifiedKeyKind::of(cert)?;
    let parsed = webpki::EndEntityCert::try_from(cert).map_err(|_| bad())?;
    let spki = parsed.subject_public_key_info();
    let fields = sequence_contents(spki.as_ref()).ok_or_else(bad)?;
    let (_algorithm_tag, _algorithm, rest) = tlv(fields).ok_or_else(bad)?;
    match tlv(rest).ok_or_else(bad)? {
        (0x03, bits, []) => match bits.split_first() {
            Some((0, key)) => Ok((kind, key.to_vec())),
            _ => Err(bad()),
        },
        _ => Err(bad()),
    }
}

/// RFC 5280 4.2.1.3: "digitalSignature", bit 0 of the keyUsage BIT STRING (its most significant
/// bit).
const DIGITAL_SIGNATURE: u8 = 0x80;
/// The DER of the keyUsage extension's OID, id-ce 15 (2.5.29.15).
const KEY_USAGE_OID: &[u8] = &[0x06, 0x03, 0x55, 0x1d, 0x0f];

/// Checks that `cert`'s key may sign the handshake: RFC 5246 7.4.2 (the server's key signs
/// ServerKeyExchange) and 7.4.8 (the client's signs CertificateVerify) require "the
/// digitalSignature bit MUST be set if the Key Usage extension is present" (RFC 8446 4.4.2.2
/// says it in those words). webpki checks the extended key usage but not this, so it is read
/// here: the extensions of the TBSCertificate, then keyUsage's bits. A certificate without the
/// extension may sign. One that webpki accepted but whose extensions cannot be walked is
/// `BadEncoding`.
pub(crate) fn check_signing_key_usage(cert: &CertificateDer<'_>) -> Result<(), Error> {
    match key_usage(cert.as_ref()) {
        Err(()) => Err(Error::InvalidCertificate(CertificateError::BadEncoding)),
        Ok(Some(bits)) if bits.first().is_none_or(|b| b & DIGITAL_SIGNATURE == 0) => {
            Err(Error::InvalidCertificate(CertificateError::KeyUsage))
        }
        Ok(_) => Ok(()),
    }
}

/// The keyUsage bits of a DER certificate (after the BIT STRING's unused-bits byte), `None`
/// without the extension.
fn key_usage(der: &[u8]) -> Result<Option<&[u8]>, ()> {
    let cert = sequence_contents(der).ok_or(())?;
    let tbs = sequence_contents(cert).ok_or(())?;
    // TBSCertificate: version [0], serialNumber, signature, issuer, validity, subject,
    // subjectPublicKeyInfo, issuerUniqueID [1], subjectUniqueID [2], extensions [3].
    let mut rest = tbs;
    let mut extensions = None;
    while !rest.is_empty() {
        let (tag, contents, next) = tlv(rest).ok_or(())?;
        if tag == 0xa3 {
            extensions = Some(sequence_contents(contents).ok_or(())?);
        }
        rest = next;
    }
    let Some(mut rest) = extensions else {
        return Ok(None);
    };
    while !rest.is_empty() {
        // Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
        let (tag, extension, next) = tlv(rest).ok_or(())?;
        rest = next;
        if tag != 0x30 || !extension.starts_with(KEY_USAGE_OID) {
            continue;
        }
        let mut fields = extension.get(KEY_USAGE_OID.len()..).ok_or(())?;
        let (mut tag, mut value, mut after) = tlv(fields).ok_or(())?;
        if tag == 0x01 {
            fields = after;
            (tag, value, after) = tlv(fields).ok_or(())?;
        }
        if tag != 0x04 || !after.is_empty() {
            return Err(());
        }
        // KeyUsage ::= BIT STRING: the unused-bits count, then the bits.
        let (tag, bits, after) = tlv(value).ok_or(())?;
        let (_unused, bits) = bits.split_first().ok_or(())?;
        if tag != 0x03 || !after.is_empty() {
            return Err(());
        }
        return Ok(Some(bits));
    }
    Ok(None)
}

/// The contents of the DER SEQUENCE at the front of `der` (short or long form length).
fn sequence_contents(der: &[u8]) -> Option<&[u8]> {
    match tlv(der)? {
        (0x30, contents, _) => Some(contents),
        _ => None,
    }
}

/// The DER element at the front of `der`: its tag, its contents and what follows it (lengths
/// in the short form or the long form of up to three bytes).
fn tlv(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = match first {
        n if n < 0x80 => (usize::from(n), rest),
        0x81..=0x83 => {
            let n = usize::from(first - 0x80);
            let bytes = rest.get(..n)?;
            let len = bytes
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            (len, rest.get(n..)?)
        }
        _ => return None,
    };
    Some((tag, rest.get(..len)?, rest.get(len..)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::certs_from_pem;

    fn leaf(pem: &[u8]) -> CertifiedKeyKind {
        CertifiedKeyKind::of(&certs_from_pem(pem).unwrap()[0]).unwrap()
    }

    #[test]
    fn the_test_certificates_keys() {
        let ecdsa = leaf(include_bytes!("../../../tests/data/certs/server-ecdsa.pem"));
        assert_eq!(ecdsa, CertifiedKeyKind::EcdsaP256);
        assert_eq!(ecdsa.curve(), Some(NamedCurve::Secp256r1));
        assert_eq!(ecdsa.family(), Some(SignatureFamily::Ecdsa));
        assert!(ecdsa.signs_with(SignatureScheme::EcdsaSecp384r1Sha384));
        assert!(!ecdsa.signs_with(SignatureScheme::RsaPssRsaeSha256));
        let rsa = leaf(include_bytes!("../../../tests/data/certs/server-rsa.pem"));
        assert_eq!(rsa, CertifiedKeyKind::Rsa);
        assert_eq!(
            (rsa.curve(), rsa.family()),
            (None, Some(SignatureFamily::Rsa))
        );
        assert!(rsa.signs_with(SignatureScheme::RsaPkcs1Sha256));
        assert!(!rsa.signs_with(SignatureScheme::EcdsaSecp256r1Sha256));
    }

    #[test]
    fn rcgen_keys_of_every_kind() {
        for (alg, want) in [
            (&rcgen::PKCS_ECDSA_P256_SHA256, CertifiedKeyKind::EcdsaP256),
            (&rcgen::PKCS_ECDSA_P384_SHA384, CertifiedKeyKind::EcdsaP384),
            (&rcgen::PKCS_ED25519, CertifiedKeyKind::Ed25519),
        ] {
            let key = rcgen::KeyPair::generate_for(alg).unwrap();
            let cert = rcgen::CertificateParams::new(vec!["x.test".into()])
                .unwrap()
                .self_signed(&key)
                .unwrap();
            assert_eq!(CertifiedKeyKind::of(cert.der()).unwrap(), want, "{alg:?}");
        }
    }

    /// A self-signed rcgen certificate with `usages` (none: no keyUsage extension).
    fn with_key_usage(usages: Vec<rcgen::KeyUsagePurpose>) -> CertificateDer<'static> {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["x.test".into()]).unwrap();
        params.key_usages = usages;
        params.self_signed(&key).unwrap().der().clone()
    }

    #[test]
    fn key_usage_must_allow_signing_when_present() {
        use rcgen::KeyUsagePurpose::*;
        let ok = [
            vec![],
            vec![DigitalSignature],
            vec![KeyAgreement, DigitalSignature],
        ];
        for usages in ok {
            let cert = with_key_usage(usages.clone());
            assert_eq!(check_signing_key_usage(&cert), Ok(()), "{usages:?}");
        }
        for usages in [
            vec![KeyAgreement],
            vec![KeyEncipherment],
            vec![KeyCertSign, CrlSign],
        ] {
            let cert = with_key_usage(usages.clone());
            assert_eq!(
                check_signing_key_usage(&cert),
                Err(Error::InvalidCertificate(CertificateError::KeyUsage)),
                "{usages:?}"
            );
        }
        // The extension is found whatever else the certificate carries, and read as bits: the
        // test certificates (openssl-made, keyUsage digitalSignature) sign.
        let pem = include_bytes!("../../../tests/data/certs/server-ecdsa.pem");
        let cert = &certs_from_pem(pem).unwrap()[0];
        assert!(key_usage(cert.as_ref()).unwrap().is_some());
        assert_eq!(check_signing_key_usage(cert), Ok(()));
    }

    #[test]
    fn key_usage_of_a_broken_certificate_is_bad_encoding() {
        let cert = with_key_usage(vec![rcgen::KeyUsagePurpose::DigitalSignature]);
        // Every truncation fails cleanly (no panic), as an encoding error or as no usage found.
        for n in 0..cert.len() {
            let _ = key_usage(&cert[..n]);
        }
        assert_eq!(
            check_signing_key_usage(&CertificateDer::from(vec![0x30, 0x03, 1, 2, 3])),
            Err(Error::InvalidCertificate(CertificateError::BadEncoding))
        );
        // A certificate reduced to its extensions: keyUsage whose value is an INTEGER, not a
        // BIT STRING, is malformed; the BIT STRING 0x80 (unused bits 7) is digitalSignature.
        let wrap = |ext: &[u8]| {
            let n = ext.len() as u8;
            [&[0x30, n + 6, 0x30, n + 4, 0xa3, n + 2, 0x30, n][..], ext].concat()
        };
        let integer = wrap(&[
            0x30, 0x0a, 0x06, 0x03, 0x55, 0x1d, 0x0f, 0x04, 0x03, 0x02, 0x01, 0x80,
        ]);
        assert_eq!(key_usage(&integer), Err(()));
        let critical_bits = wrap(&[
            0x30, 0x0e, 0x06, 0x03, 0x55, 0x1d, 0x0f, 0x01, 0x01, 0xff, 0x04, 0x04, 0x03, 0x02,
            0x07, 0x80,
        ]);
        assert_eq!(key_usage(&critical_bits), Ok(Some(&[0x80][..])));
    }

    #[test]
    fn garbage_is_bad_encoding_and_lengths_are_checked() {
        assert_eq!(
            CertifiedKeyKind::of(&CertificateDer::from(vec![0x30, 0x03, 1, 2, 3])),
            Err(Error::InvalidCertificate(CertificateError::BadEncoding))
        );
        assert_eq!(sequence_contents(&[0x30, 0x02, 7, 8, 9]), Some(&[7, 8][..]));
        assert_eq!(sequence_contents(&[0x30, 0x81, 0x01, 7]), Some(&[7][..]));
        assert_eq!(sequence_contents(&[0x30, 0x05, 7]), None);
        assert_eq!(sequence_contents(&[0x31, 0x01, 7]), None);
        assert_eq!(sequence_contents(&[]), None);
    }
}
