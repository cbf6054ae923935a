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

/// The contents of the DER SEQUENCE at the front of `der` (short or long form length).
fn sequence_contents(der: &[u8]) -> Option<&[u8]> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    if tag != 0x30 {
        return None;
    }
    let (len, rest) = match first {
        n if n < 0x80 => (usize::from(n), rest),
        0x81 => {
            let (&n, rest) = rest.split_first()?;
            (usize::from(n), rest)
        }
        0x82 => {
            let (bytes, rest) = rest.split_first_chunk::<2>()?;
            (usize::from(u16::from_be_bytes(*bytes)), rest)
        }
        _ => return None,
    };
    rest.get(..len)
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
