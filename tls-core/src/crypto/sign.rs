//! Our own signing keys: loading them (PKCS#8, PKCS#1, SEC1, PEM), choosing a signature scheme
//! the peer accepts, and signing ServerKeyExchange / CertificateVerify contents with ring.
//!
//! TLS 1.2 names a signature by a `SignatureAndHashAlgorithm` pair (RFC 5246 section 7.4.1.4.1);
//! RFC 8446 section 4.2.3 gave `SignatureScheme` the same two octets, so spectls works in
//! `SignatureScheme` internally and converts at the wire with [`scheme_of`] / [`algorithm_of`].

use crate::crypto::suites::SignatureFamily;
use crate::error::Error;
use crate::wire::{HashAlgorithm, SignatureAlgorithm, SignatureAndHashAlgorithm, SignatureScheme};
use pki_types::{CertificateDer, PrivateKeyDer};
use ring::rand::SystemRandom;
use ring::signature::{self as ring_sig, EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair};
use std::fmt;

/// The scheme a TLS 1.2 hash/signature pair names: `hash << 8 | signature`.
///
/// Pairs that no scheme names come back as `SignatureScheme::Unknown` and still round-trip.
pub fn scheme_of(alg: SignatureAndHashAlgorithm) -> SignatureScheme {
    SignatureScheme::from_value(u16::from_be_bytes([
        alg.hash.value(),
        alg.signature.value(),
    ]))
}

/// The TLS 1.2 hash/signature pair that carries a scheme on the wire (the inverse of
/// [`scheme_of`]).
///
/// Schemes newer than RFC 5246 give pairs outside its registry (`rsa_pss_rsae_sha256` is
/// `{hash: 8, signature: 4}`); those decode to `Unknown` halves and encode back unchanged.
pub fn algorithm_of(s: SignatureScheme) -> SignatureAndHashAlgorithm {
    let [hash, signature] = s.value().to_be_bytes();
    SignatureAndHashAlgorithm {
        hash: HashAlgorithm::from_value(hash),
        signature: SignatureAlgorithm::from_value(signature),
    }
}

/// The schemes spectls offers and accepts in TLS 1.2, most preferred first.
///
/// No SHA-1 (RFC 9155 deprecates it in TLS 1.2 signatures), no P-521, no `rsa_pss_pss_*`
/// (keys with RSASSA-PSS SPKIs are not supported).
pub static SUPPORTED_SIGNATURE_SCHEMES: &[SignatureScheme] = &[
    SignatureScheme::EcdsaSecp256r1Sha256,
    SignatureScheme::EcdsaSecp384r1Sha384,
    SignatureScheme::Ed25519,
    SignatureScheme::RsaPssRsaeSha256,
    SignatureScheme::RsaPssRsaeSha384,
    SignatureScheme::RsaPssRsaeSha512,
    SignatureScheme::RsaPkcs1Sha256,
    SignatureScheme::RsaPkcs1Sha384,
    SignatureScheme::RsaPkcs1Sha512,
];

/// What a TLS 1.2 peer supports when it sends no `signature_algorithms` extension
/// (RFC 5246 section 7.4.1.4.1: `{sha1, rsa}` and `{sha1, ecdsa}`; `{sha1, dsa}` has no
/// scheme and spectls has no DSA keys).
///
/// Pass this to [`SigningKey::choose_scheme`] in that case. spectls never signs with SHA-1, so
/// the result is `None` and the handshake fails with no scheme in common.
pub static TLS12_DEFAULT_SCHEMES: &[SignatureScheme] =
    &[SignatureScheme::RsaPkcs1Sha1, SignatureScheme::EcdsaSha1];

// Per key type, in SUPPORTED_SIGNATURE_SCHEMES order. ring signs ECDSA only with the hash that
// matches the curve, so an ECDSA key has exactly one scheme.
static P256_SCHEMES: &[SignatureScheme] = &[SignatureScheme::EcdsaSecp256r1Sha256];
static P384_SCHEMES: &[SignatureScheme] = &[SignatureScheme::EcdsaSecp384r1Sha384];
static ED25519_SCHEMES: &[SignatureScheme] = &[SignatureScheme::Ed25519];
static RSA_SCHEMES: &[SignatureScheme] = &[
    SignatureScheme::RsaPssRsaeSha256,
    SignatureScheme::RsaPssRsaeSha384,
    SignatureScheme::RsaPssRsaeSha512,
    SignatureScheme::RsaPkcs1Sha256,
    SignatureScheme::RsaPkcs1Sha384,
    SignatureScheme::RsaPkcs1Sha512,
];

// The DER AlgorithmIdentifier of an ECDSA key on each curve (RFC 5480 2.1.1):
// SEQUENCE { id-ecPublicKey, namedCurve }. A SEC1 key gets it as its PKCS#8 header, so that ring,
// which only reads PKCS#8, does all the parsing; `pki::key` finds a certificate's curve by it.
pub(crate) const ALG_ID_ECDSA_P256: &[u8] = &[
    0x30, 0x13, // AlgorithmIdentifier
    0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, // id-ecPublicKey
    0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, // prime256v1
];
pub(crate) const ALG_ID_ECDSA_P384: &[u8] = &[
    0x30, 0x10, // AlgorithmIdentifier
    0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, // id-ecPublicKey
    0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22, // secp384r1
];
/// PKCS#8 `version` 0 (RFC 5208 5), before the AlgorithmIdentifier.
const PKCS8_VERSION: &[u8] = &[0x02, 0x01, 0x00];

/// A private key spectls can sign handshake messages with: ECDSA P-256 or P-384, Ed25519, or
/// RSA (2048 to 8192 bits, as ring allows).
///
/// `Debug` names the algorithm only, never key material.
pub struct SigningKey {
    kind: KeyKind,
}

enum KeyKind {
    Ecdsa {
        pair: EcdsaKeyPair,
        schemes: &'static [SignatureScheme],
        curve: &'static str,
    },
    Ed25519(Ed25519KeyPair),
    Rsa(RsaKeyPair),
}

impl SigningKey {
    /// Loads a private key: PKCS#8 (ECDSA P-256/P-384, Ed25519, RSA), PKCS#1 (RSA) or SEC1
    /// (ECDSA P-256/P-384).
    ///
    /// Anything else, or a malformed key, is `Error::Config`.
    pub fn from_der(key: &PrivateKeyDer<'_>) -> Result<Self, Error> {
        let kind = match key {
            PrivateKeyDer::Pkcs8(k) => Self::pkcs8(k.secret_pkcs8_der())?,
            PrivateKeyDer::Pkcs1(k) => RsaKeyPair::from_der(k.secret_pkcs1_der())
                .map(KeyKind::Rsa)
                .map_err(|e| Error::Config(format!("PKCS#1 RSA private key rejected: {e}")))?,
            PrivateKeyDer::Sec1(k) => Self::sec1(k.secret_sec1_der())?,
            _ => return Err(Error::Config("unsupported private key format".into())),
        };
        Ok(Self { kind })
    }

    fn pkcs8(der: &[u8]) -> Result<KeyKind, Error> {
        let rng = SystemRandom::new();
        if let Ok(pair) =
            EcdsaKeyPair::from_pkcs8(&ring_sig::ECDSA_P256_SHA256_ASN1_SIGNING, der, &rng)
        {
            return Ok(ecdsa_p256(pair));
        }
        if let Ok(pair) =
            EcdsaKeyPair::from_pkcs8(&ring_sig::ECDSA_P384_SHA384_ASN1_SIGNING, der, &rng)
        {
            return Ok(ecdsa_p384(pair));
        }
        // Accepts PKCS#8 v1 (what `openssl genpkey` writes) as well as v2; v2's public key is
        // checked against the private key.
        if let Ok(pair) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
            return Ok(KeyKind::Ed25519(pair));
        }
        RsaKeyPair::from_pkcs8(der).map(KeyKind::Rsa).map_err(|e| {
            Error::Config(format!(
                "PKCS#8 private key is not ECDSA P-256/P-384, Ed25519 or a usable RSA key \
                 (as RSA: {e})"
            ))
        })
    }

    fn sec1(der: &[u8]) -> Result<KeyKind, Error> {
        let rng = SystemRandom::new();
        // The curve is fixed by the PKCS#8 header we add; ring rejects a scalar of the wrong
        // length or a SEC1 `parameters` field naming another curve.
        let as_pkcs8 = |algorithm: &[u8]| {
            let mut body = [PKCS8_VERSION, algorithm].concat();
            body.extend(der_wrap(0x04, der)?);
            der_wrap(0x30, &body)
        };
        if let Some(p8) = as_pkcs8(ALG_ID_ECDSA_P256) {
            if let Ok(pair) =
                EcdsaKeyPair::from_pkcs8(&ring_sig::ECDSA_P256_SHA256_ASN1_SIGNING, &p8, &rng)
            {
                return Ok(ecdsa_p256(pair));
            }
        }
        if let Some(p8) = as_pkcs8(ALG_ID_ECDSA_P384) {
            if let Ok(pair) =
                EcdsaKeyPair::from_pkcs8(&ring_sig::ECDSA_P384_SHA384_ASN1_SIGNING, &p8, &rng)
            {
                return Ok(ecdsa_p384(pair));
            }
        }
        Err(Error::Config(
            "SEC1 private key is not a valid ECDSA P-256 or P-384 key (with its public key)".into(),
        ))
    }

    /// The cipher suite family this key can authenticate: ECDHE_ECDSA suites for ECDSA and
    /// Ed25519 keys (RFC 8422 section 5.1.1), ECDHE_RSA suites for RSA keys.
    pub fn family(&self) -> SignatureFamily {
        match self.kind {
            KeyKind::Ecdsa { .. } | KeyKind::Ed25519(_) => SignatureFamily::Ecdsa,
            KeyKind::Rsa(_) => SignatureFamily::Rsa,
        }
    }

    /// The curve of an ECDSA key: RFC 8422 5.3 lets an ECDHE_ECDSA server use it only if the
    /// client listed that curve in supported_groups. `None` for RSA and Ed25519 keys.
    pub fn ecdsa_curve(&self) -> Option<crate::wire::NamedCurve> {
        use crate::wire::NamedCurve;
        match &self.kind {
            KeyKind::Ecdsa { schemes, .. }
                if schemes.contains(&SignatureScheme::EcdsaSecp384r1Sha384) =>
            {
                Some(NamedCurve::Secp384r1)
            }
            KeyKind::Ecdsa { .. } => Some(NamedCurve::Secp256r1),
            _ => None,
        }
    }

    /// The schemes this key can sign with, in spectls' preference order (a subset of
    /// [`SUPPORTED_SIGNATURE_SCHEMES`]).
    pub fn schemes(&self) -> &[SignatureScheme] {
        match &self.kind {
            KeyKind::Ecdsa { schemes, .. } => schemes,
            KeyKind::Ed25519(_) => ED25519_SCHEMES,
            KeyKind::Rsa(_) => RSA_SCHEMES,
        }
    }

    /// Our most preferred scheme among those the peer `offered` (the peer's order is ignored),
    /// or `None` when there is none in common.
    ///
    /// If the peer sent no `signature_algorithms` extension, pass [`TLS12_DEFAULT_SCHEMES`]
    /// (RFC 5246 section 7.4.1.4.1); since spectls never signs with SHA-1 that gives `None`.
    pub fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<SignatureScheme> {
        self.schemes()
            .iter()
            .copied()
            .find(|ours| offered.contains(ours))
    }

    /// Signs `message` (the bytes RFC 5246 says to sign, e.g. `client_random + server_random +
    /// ServerECDHParams`) with `scheme`, giving the `signature` field's contents: an ASN.1
    /// DER ECDSA signature, a 64-byte Ed25519 signature or an RSA signature the modulus' length.
    ///
    /// A scheme outside [`SigningKey::schemes`] is our own bug (`Error::Internal`): callers pass
    /// what [`SigningKey::choose_scheme`] returned.
    pub fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, Error> {
        if !self.schemes().contains(&scheme) {
            return Err(Error::Internal(format!(
                "{} key cannot sign with {scheme}",
                self.algorithm()
            )));
        }
        let rng = SystemRandom::new();
        match &self.kind {
            KeyKind::Ecdsa { pair, .. } => pair
                .sign(&rng, message)
                .map(|sig| sig.as_ref().to_vec())
                .map_err(|_| Error::Internal("ECDSA signing failed".into())),
            KeyKind::Ed25519(pair) => Ok(pair.sign(message).as_ref().to_vec()),
            KeyKind::Rsa(pair) => {
                let padding: &'static dyn ring_sig::RsaEncoding = match scheme {
                    SignatureScheme::RsaPssRsaeSha256 => &ring_sig::RSA_PSS_SHA256,
                    SignatureScheme::RsaPssRsaeSha384 => &ring_sig::RSA_PSS_SHA384,
                    SignatureScheme::RsaPssRsaeSha512 => &ring_sig::RSA_PSS_SHA512,
                    SignatureScheme::RsaPkcs1Sha256 => &ring_sig::RSA_PKCS1_SHA256,
                    SignatureScheme::RsaPkcs1Sha384 => &ring_sig::RSA_PKCS1_SHA384,
                    SignatureScheme::RsaPkcs1Sha512 => &ring_sig::RSA_PKCS1_SHA512,
                    _ => return Err(Error::Internal(format!("no RSA padding for {scheme}"))),
                };
                let mut sig = vec![0; pair.public().modulus_len()];
                pair.sign(padding, &rng, message, &mut sig)
                    .map_err(|_| Error::Internal("RSA signing failed".into()))?;
                Ok(sig)
            }
        }
    }

    /// Checks that `end_entity` certifies this key's public key, by signing a probe message and
    /// verifying it with the certificate (no certificate parsing of our own).
    ///
    /// A server configured with a certificate and an unrelated key would otherwise fail every
    /// handshake at the client's signature check; this reports it as `Error::Config` up front.
    pub fn check_certificate(&self, end_entity: &CertificateDer<'_>) -> Result<(), Error> {
        const PROBE: &[u8] = b"spectls: does this key match its certificate?";
        let scheme = self
            .schemes()
            .first()
            .copied()
            .ok_or_else(|| Error::Internal("signing key without schemes".into()))?;
        let signature = self.sign(scheme, PROBE)?;
        crate::pki::verify::verify_signature(PROBE, end_entity, scheme, &signature)
            .map(|_| ())
            .map_err(|e| {
                Error::Config(format!(
                    "the {} private key does not match the certificate ({e})",
                    self.algorithm()
                ))
            })
    }

    /// The public key, as a certificate's SubjectPublicKeyInfo carries it in its BIT STRING:
    /// the uncompressed EC point, the 32 Ed25519 bytes, or the DER RSAPublicKey.
    pub(crate) fn public_key(&self) -> &[u8] {
        use ring::signature::KeyPair;
        match &self.kind {
            KeyKind::Ecdsa { pair, .. } => pair.public_key().as_ref(),
            KeyKind::Ed25519(pair) => pair.public_key().as_ref(),
            KeyKind::Rsa(pair) => pair.public_key().as_ref(),
        }
    }

    /// The key's algorithm, e.g. `ECDSA P-256` or `RSA`.
    pub(crate) fn algorithm(&self) -> &'static str {
        match &self.kind {
            KeyKind::Ecdsa { curve, .. } => curve,
            KeyKind::Ed25519(_) => "Ed25519",
            KeyKind::Rsa(_) => "RSA",
        }
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}

fn ecdsa_p256(pair: EcdsaKeyPair) -> KeyKind {
    KeyKind::Ecdsa {
        pair,
        schemes: P256_SCHEMES,
        curve: "ECDSA P-256",
    }
}

fn ecdsa_p384(pair: EcdsaKeyPair) -> KeyKind {
    KeyKind::Ecdsa {
        pair,
        schemes: P384_SCHEMES,
        curve: "ECDSA P-384",
    }
}

/// DER-encodes `tag` + definite length + `content` (X.690 section 8.1.3). `None` only for
/// contents too long for a 4-octet length, which no key is.
pub(crate) fn der_wrap(tag: u8, content: &[u8]) -> Option<Vec<u8>> {
    let len = u32::try_from(content.len()).ok()?;
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    match u8::try_from(len) {
        Ok(short) if short < 0x80 => out.push(short),
        _ => {
            let octets: Vec<u8> = len
                .to_be_bytes()
                .into_iter()
                .skip_while(|b| *b == 0)
                .collect();
            out.push(0x80 | u8::try_from(octets.len()).ok()?);
            out.extend(octets);
        }
    }
    out.extend_from_slice(content);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::pem::{certs_from_pem, private_key_from_pem};
    use pki_types::{PrivatePkcs8KeyDer, PrivateSec1KeyDer};
    use ring::signature::{KeyPair, UnparsedPublicKey};

    const CA_PEM: &[u8] = include_bytes!("../../../tests/data/certs/ca.pem");
    const ECDSA_CERT_PEM: &[u8] = include_bytes!("../../../tests/data/certs/server-ecdsa.pem");
    const ECDSA_KEY_PEM: &[u8] = include_bytes!("../../../tests/data/certs/server-ecdsa.key");
    const RSA_CERT_PEM: &[u8] = include_bytes!("../../../tests/data/certs/server-rsa.pem");
    const RSA_KEY_PEM: &[u8] = include_bytes!("../../../tests/data/certs/server-rsa.key");

    // Throwaway keys made with OpenSSL 3.0 for the formats the committed files do not cover.
    // `openssl ecparam -genkey -name prime256v1 -noout` (SEC1, with the curve parameters).
    const P256_SEC1_PEM: &str = "-----BEGIN EC PRIVATE KEY-----
MHcCAQEEINiAH/psRVGdc5uQTOn4CLlQxWQThDVn5UVkJzCE2Q58oAoGCCqGSM49
AwEHoUQDQgAE6DKxMRgpx7gga9HUbFJVAXA8ef2fnqXvdVibRVmYoDzn56Y3wp/v
sfurn4t29efUXuOJTR0lM11XZcXpjQ5ZZw==
-----END EC PRIVATE KEY-----
";
    // `openssl ecparam -genkey -name secp384r1 -noout`, then `openssl pkcs8 -topk8` of it.
    const P384_SEC1_PEM: &str = "-----BEGIN EC PRIVATE KEY-----
MIGkAgEBBDDN8D4n73ZqS8uSBrCbgAnVHSbZwTZQhgOL72wjYKC3iPSN00XFUYvN
zFNGmwJRilCgBwYFK4EEACKhZANiAASqXufP3eHKBk4yOKQcYWS63csS88/lzu1w
SpG7OaeXqjqxWHWUvChBvC2/oLQnYlsugpwSa18ECeqWUFwRgHs7+c/Xd5iEtIx0
R9unaGLbtQwptQjWBis1BSSVQ1rTdzg=
-----END EC PRIVATE KEY-----
";
    const P384_PKCS8_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDDN8D4n73ZqS8uSBrCb
gAnVHSbZwTZQhgOL72wjYKC3iPSN00XFUYvNzFNGmwJRilChZANiAASqXufP3eHK
Bk4yOKQcYWS63csS88/lzu1wSpG7OaeXqjqxWHWUvChBvC2/oLQnYlsugpwSa18E
CeqWUFwRgHs7+c/Xd5iEtIx0R9unaGLbtQwptQjWBis1BSSVQ1rTdzg=
-----END PRIVATE KEY-----
";
    // `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 | openssl rsa -traditional`.
    const RSA_PKCS1_PEM: &str = "-----BEGIN RSA PRIVATE KEY-----
MIIEpAIBAAKCAQEA54rrsNHzRGS7wNC1tvj3iwkBgnKjRCeECJGH9fLai591Rcji
G3PnK+XhkJ1bpwleS03pmMZMThkyOg7t3MYlPw0mTKbm+8IA+LKq7SM5taajOIUe
oyouIhkaocdf5bmQqmwNuCkeTbXAuesiEfdCMgpmr94sttUxMbnxCcNMdyFwDY45
Bib55loEvsyD2szPomBTC26f80KBCaRpxlnpE6OL7VrAH6YqKx10O+OpZbKYm3FV
o+4dTCt4Px/RQFedV925TljQ2WM2mJ+0+AkP0HOOzCsuaDBdnUvPq8tKSbKkw/Sv
5dG0E7D68554CoWVTHHQDlyGwg0gKRy2XHudbwIDAQABAoIBAFx/ZdqUdO9copjL
h9xZp2J2rZC0RT7j3l4h7UO2ydG/WPUQ5Cr9aVtjEXJZOpUHLBE/RdOPXEpSzHrf
Hez1h0mh8ivq/RmUDhlMHvZu/Q3xTQE2RN//6MAccUQxxsCaGg3K7swkOQPoWN6s
7UZqFZqyBwW45vn/PxDTbFRvHav0//VQKjtmlXonA6vIAlqPAMnIZDZrTWV3ds/R
Uyoe3IiOIwwg5eVz8KqMM1xGr4RUc/jRo8VoX0+eTy0qdnAoqjv6109fo/ApyorG
iG1jRHjkmA5O7//VMjcrsRHNKYPo/of42lmea597PEDXemPBB10XoMWWw0c5vdAK
5eM7rSkCgYEA/1IdTWJDh8ZW3O6fw6+vTp8uJhUnBGi2mYlWrgdqZVQG4/VUBMD7
SfRgVmtelLM4n+FeAU+Tvvlxbr30h5FSziW+7R+iiiePObes/uWP3IjQJpz9OmqW
k+ZUZK09BDqiHIIX11c7q5nR0RFoj8gENCXbltt8OoLDobsVBTcqTSMCgYEA6Cic
uJBQhYH+YrLkf8OwYI0kuJXLWXkTDeMen2yVlshHTp+4kM/ouJaYNwILnpjqtb6M
QkxaZolt1CkU9WP4krjIiFIKbFya3fv0VRgKR3NQ/O3wsL09Tm3WTBc+Pyoilosb
Rp1N6FijLXsw+hK8QI8nWd/97T5UIc3bq/ZMkUUCgYBZRtlAKc/7NftBnZ73ygK+
tyJn5pWSERtobIGGsMkfTVZrd2k9kE1N+smE7l5QGKsAHMnGI5FCAe8MDhfnH4WY
19H/EETBkjuerv8q0hKPxrciCVryhjrI1I1F9t2TEP2GgmbbwYD36/1V4YRyYjo2
EdbK1UyHGRpW/xfGjxeXiQKBgQChSg3Pn9uBVZXBRl2/cdnoykZXwyH6sEYPoNnW
kp6+mbgIpKiaWwdorp9joBUogz6VM6PIL7migRn/iucXsPOyI5SWOMErFY82Z+QQ
9lm12CTNBBXzBBZClcaLKJ7DTWeoRU6W2ZSVtnbvkyWspzWIeKwzIY4Ns/7JWXaj
WsNJLQKBgQDkqlkV7pYPucixPzTHsS4fAoCkffNrQdhk+bb2qnsntX1awoieJ/iL
/k65WviF4y4y1OPz8Gbo0S+vSs57Uvlwimk/Oivt/XT6j9A1q+1vO31BnddPsTFs
pOyndghhxwolIkMPXJTXmgpVzJ2FD3/FczrYc2L4OQZEWlqOHrD7bg==
-----END RSA PRIVATE KEY-----
";
    // `openssl genpkey -algorithm ED25519`: PKCS#8 v1, without the public key.
    const ED25519_PKCS8_V1_PEM: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIMGJv2P24tv1TBfr/HYIGZ3PrfnDKNpYINHn5Sz34xYi
-----END PRIVATE KEY-----
";

    const MESSAGE: &[u8] = b"client_random || server_random || ServerECDHParams";

    fn key_from_pem(pem: &[u8]) -> SigningKey {
        SigningKey::from_der(&private_key_from_pem(pem).expect("PEM key")).expect("usable key")
    }

    fn rcgen_key(alg: &'static rcgen::SignatureAlgorithm) -> SigningKey {
        let kp = rcgen::KeyPair::generate_for(alg).expect("rcgen key");
        let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(kp.serialize_der()));
        SigningKey::from_der(&der).expect("usable key")
    }

    /// The raw public key ring verifies against (an EC point, 32 Ed25519 bytes, or an
    /// RSAPublicKey).
    fn public_key(key: &SigningKey) -> Vec<u8> {
        match &key.kind {
            KeyKind::Ecdsa { pair, .. } => pair.public_key().as_ref().to_vec(),
            KeyKind::Ed25519(pair) => pair.public_key().as_ref().to_vec(),
            KeyKind::Rsa(pair) => pair.public_key().as_ref().to_vec(),
        }
    }

    /// ring's verification algorithm for a signature `key` made with `scheme`.
    fn ring_verifier(
        key: &SigningKey,
        scheme: SignatureScheme,
    ) -> &'static dyn ring_sig::VerificationAlgorithm {
        use SignatureScheme as S;
        match (scheme, key.algorithm()) {
            (S::EcdsaSecp256r1Sha256, "ECDSA P-256") => &ring_sig::ECDSA_P256_SHA256_ASN1,
            (S::EcdsaSecp384r1Sha384, "ECDSA P-384") => &ring_sig::ECDSA_P384_SHA384_ASN1,
            (S::Ed25519, _) => &ring_sig::ED25519,
            (S::RsaPssRsaeSha256, _) => &ring_sig::RSA_PSS_2048_8192_SHA256,
            (S::RsaPssRsaeSha384, _) => &ring_sig::RSA_PSS_2048_8192_SHA384,
            (S::RsaPssRsaeSha512, _) => &ring_sig::RSA_PSS_2048_8192_SHA512,
            (S::RsaPkcs1Sha256, _) => &ring_sig::RSA_PKCS1_2048_8192_SHA256,
            (S::RsaPkcs1Sha384, _) => &ring_sig::RSA_PKCS1_2048_8192_SHA384,
            (S::RsaPkcs1Sha512, _) => &ring_sig::RSA_PKCS1_2048_8192_SHA512,
            other => panic!("no ring verifier for {other:?}"),
        }
    }

    /// Signs with every scheme of `key`, checks ring accepts each signature and rejects it
    /// once a bit is flipped.
    fn assert_signs_all_schemes(key: &SigningKey) {
        let public = public_key(key);
        assert!(!key.schemes().is_empty());
        for &scheme in key.schemes() {
            let mut sig = key.sign(scheme, MESSAGE).expect("sign");
            let alg = ring_verifier(key, scheme);
            UnparsedPublicKey::new(alg, &public)
                .verify(MESSAGE, &sig)
                .unwrap_or_else(|_| panic!("{key:?} {scheme:?} signature does not verify"));
            if let Some(last) = sig.last_mut() {
                *last ^= 1;
            }
            assert!(
                UnparsedPublicKey::new(alg, &public)
                    .verify(MESSAGE, &sig)
                    .is_err(),
                "{scheme:?}: flipped signature verifies"
            );
        }
    }

    #[test]
    fn scheme_and_pair_round_trip() {
        let named = [
            SignatureScheme::RsaPkcs1Sha256,
            SignatureScheme::RsaPkcs1Sha384,
            SignatureScheme::RsaPkcs1Sha512,
            SignatureScheme::EcdsaSecp256r1Sha256,
            SignatureScheme::EcdsaSecp384r1Sha384,
            SignatureScheme::EcdsaSecp521r1Sha512,
            SignatureScheme::RsaPssRsaeSha256,
            SignatureScheme::RsaPssRsaeSha384,
            SignatureScheme::RsaPssRsaeSha512,
            SignatureScheme::Ed25519,
            SignatureScheme::Ed448,
            SignatureScheme::RsaPssPssSha256,
            SignatureScheme::RsaPssPssSha384,
            SignatureScheme::RsaPssPssSha512,
            SignatureScheme::RsaPkcs1Sha1,
            SignatureScheme::EcdsaSha1,
            SignatureScheme::Unknown(0x0000),
            SignatureScheme::Unknown(0xfe01),
            SignatureScheme::Unknown(0xffff),
        ];
        for s in named {
            let pair = algorithm_of(s);
            assert_eq!(
                u16::from_be_bytes([pair.hash.value(), pair.signature.value()]),
                s.value()
            );
            assert_eq!(scheme_of(pair), s);
        }
        let pair = |hash, signature| SignatureAndHashAlgorithm {
            hash: HashAlgorithm::from_value(hash),
            signature: SignatureAlgorithm::from_value(signature),
        };
        // RFC 8446 4.2.3 values against their TLS 1.2 pairs.
        let expect = [
            (0x0804, 8, 4, SignatureScheme::RsaPssRsaeSha256),
            (0x0807, 8, 7, SignatureScheme::Ed25519),
            (0x0403, 4, 3, SignatureScheme::EcdsaSecp256r1Sha256),
            (0x0503, 5, 3, SignatureScheme::EcdsaSecp384r1Sha384),
            (0x0401, 4, 1, SignatureScheme::RsaPkcs1Sha256),
            (0x0201, 2, 1, SignatureScheme::RsaPkcs1Sha1),
            (0x0203, 2, 3, SignatureScheme::EcdsaSha1),
        ];
        for (value, hash, sig, scheme) in expect {
            assert_eq!(SignatureScheme::from_value(value), scheme);
            assert_eq!(scheme_of(pair(hash, sig)), scheme);
            assert_eq!(algorithm_of(scheme), pair(hash, sig));
        }
        assert_eq!(
            algorithm_of(SignatureScheme::RsaPssRsaeSha256),
            SignatureAndHashAlgorithm {
                hash: HashAlgorithm::Intrinsic,
                signature: SignatureAlgorithm::Unknown(4)
            }
        );
        assert_eq!(
            algorithm_of(SignatureScheme::Ed25519),
            SignatureAndHashAlgorithm {
                hash: HashAlgorithm::Intrinsic,
                signature: SignatureAlgorithm::Ed25519
            }
        );
        // Every pair maps to a scheme and back unchanged.
        for v in 0..=u16::MAX {
            let s = SignatureScheme::from_value(v);
            assert_eq!(scheme_of(algorithm_of(s)).value(), v);
        }
    }

    #[test]
    fn supported_schemes_are_in_preference_order_without_sha1() {
        use SignatureScheme as S;
        assert_eq!(
            SUPPORTED_SIGNATURE_SCHEMES,
            &[
                S::EcdsaSecp256r1Sha256,
                S::EcdsaSecp384r1Sha384,
                S::Ed25519,
                S::RsaPssRsaeSha256,
                S::RsaPssRsaeSha384,
                S::RsaPssRsaeSha512,
                S::RsaPkcs1Sha256,
                S::RsaPkcs1Sha384,
                S::RsaPkcs1Sha512,
            ]
        );
        for s in SUPPORTED_SIGNATURE_SCHEMES {
            assert_ne!(algorithm_of(*s).hash, HashAlgorithm::Sha1, "{s:?}");
        }
        // Each key type's list is the supported list filtered, so preference is one order.
        for schemes in [P256_SCHEMES, P384_SCHEMES, ED25519_SCHEMES, RSA_SCHEMES] {
            let filtered: Vec<_> = SUPPORTED_SIGNATURE_SCHEMES
                .iter()
                .filter(|s| schemes.contains(s))
                .copied()
                .collect();
            assert_eq!(filtered, schemes);
        }
    }

    #[test]
    fn loads_every_supported_key_format() {
        use SignatureScheme as S;
        let cases: Vec<(&str, SigningKey, SignatureFamily, &[S])> = vec![
            (
                "committed P-256 PKCS#8",
                key_from_pem(ECDSA_KEY_PEM),
                SignatureFamily::Ecdsa,
                &[S::EcdsaSecp256r1Sha256],
            ),
            (
                "P-256 SEC1",
                key_from_pem(P256_SEC1_PEM.as_bytes()),
                SignatureFamily::Ecdsa,
                &[S::EcdsaSecp256r1Sha256],
            ),
            (
                "P-384 SEC1",
                key_from_pem(P384_SEC1_PEM.as_bytes()),
                SignatureFamily::Ecdsa,
                &[S::EcdsaSecp384r1Sha384],
            ),
            (
                "P-384 PKCS#8",
                key_from_pem(P384_PKCS8_PEM.as_bytes()),
                SignatureFamily::Ecdsa,
                &[S::EcdsaSecp384r1Sha384],
            ),
            (
                "rcgen P-256",
                rcgen_key(&rcgen::PKCS_ECDSA_P256_SHA256),
                SignatureFamily::Ecdsa,
                &[S::EcdsaSecp256r1Sha256],
            ),
            (
                "rcgen P-384",
                rcgen_key(&rcgen::PKCS_ECDSA_P384_SHA384),
                SignatureFamily::Ecdsa,
                &[S::EcdsaSecp384r1Sha384],
            ),
            (
                "rcgen Ed25519 (PKCS#8 v2)",
                rcgen_key(&rcgen::PKCS_ED25519),
                SignatureFamily::Ecdsa,
                &[S::Ed25519],
            ),
            (
                "OpenSSL Ed25519 (PKCS#8 v1)",
                key_from_pem(ED25519_PKCS8_V1_PEM.as_bytes()),
                SignatureFamily::Ecdsa,
                &[S::Ed25519],
            ),
            (
                "committed RSA PKCS#8",
                key_from_pem(RSA_KEY_PEM),
                SignatureFamily::Rsa,
                RSA_SCHEMES,
            ),
            (
                "RSA PKCS#1",
                key_from_pem(RSA_PKCS1_PEM.as_bytes()),
                SignatureFamily::Rsa,
                RSA_SCHEMES,
            ),
        ];
        for (name, key, family, schemes) in &cases {
            assert_eq!(key.family(), *family, "{name}");
            assert_eq!(key.schemes(), *schemes, "{name}");
            assert_signs_all_schemes(key);
        }
        // SEC1 and PKCS#8 forms of one key are the same key.
        assert_eq!(
            public_key(&key_from_pem(P384_SEC1_PEM.as_bytes())),
            public_key(&key_from_pem(P384_PKCS8_PEM.as_bytes()))
        );
        let debug = format!("{:?}", cases[0].1);
        assert_eq!(debug, "SigningKey { algorithm: \"ECDSA P-256\", .. }");
    }

    #[test]
    fn rejects_malformed_and_mismatched_keys() {
        let p256 = private_key_from_pem(P256_SEC1_PEM.as_bytes()).expect("PEM");
        let sec1 = p256.secret_der().to_vec();
        let rsa = private_key_from_pem(RSA_KEY_PEM).expect("PEM");
        let pkcs8 = rsa.secret_der().to_vec();
        // Every truncation and a flipped byte in each position: an error, never a panic.
        for end in 0..sec1.len() {
            let k = PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(sec1[..end].to_vec()));
            assert!(
                matches!(SigningKey::from_der(&k), Err(Error::Config(_))),
                "{end}"
            );
        }
        for i in 0..sec1.len() {
            let mut bad = sec1.clone();
            bad[i] ^= 0x80;
            let _ = SigningKey::from_der(&PrivateKeyDer::Sec1(bad.into()));
        }
        for end in (0..pkcs8.len()).step_by(7) {
            let k = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pkcs8[..end].to_vec()));
            assert!(
                matches!(SigningKey::from_der(&k), Err(Error::Config(_))),
                "{end}"
            );
        }
        // Formats carry the key type: PKCS#8 bytes are not PKCS#1 or SEC1, and vice versa.
        assert!(matches!(
            SigningKey::from_der(&PrivateKeyDer::Pkcs1(pkcs8.clone().into())),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            SigningKey::from_der(&PrivateKeyDer::Sec1(pkcs8.clone().into())),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            SigningKey::from_der(&PrivateKeyDer::Pkcs8(sec1.clone().into())),
            Err(Error::Config(_))
        ));
    }

    #[test]
    fn der_wrap_lengths() {
        assert_eq!(der_wrap(0x04, &[]), Some(vec![0x04, 0x00]));
        assert_eq!(
            der_wrap(0x04, &[7; 0x7f]).map(|v| v[..2].to_vec()),
            Some(vec![0x04, 0x7f])
        );
        assert_eq!(
            der_wrap(0x30, &[7; 0x80]).map(|v| v[..3].to_vec()),
            Some(vec![0x30, 0x81, 0x80])
        );
        assert_eq!(
            der_wrap(0x30, &[7; 0x1234]).map(|v| (v[..4].to_vec(), v.len())),
            Some((vec![0x30, 0x82, 0x12, 0x34], 0x1238))
        );
    }

    #[test]
    fn choose_scheme_follows_our_preference() {
        use SignatureScheme as S;
        let rsa = key_from_pem(RSA_KEY_PEM);
        let p256 = key_from_pem(ECDSA_KEY_PEM);
        let p384 = key_from_pem(P384_PKCS8_PEM.as_bytes());
        let ed = rcgen_key(&rcgen::PKCS_ED25519);
        // The peer's order does not matter; ours (PSS before PKCS#1, SHA-256 first) does.
        assert_eq!(
            rsa.choose_scheme(&[S::RsaPkcs1Sha256, S::RsaPssRsaeSha384, S::RsaPssRsaeSha512]),
            Some(S::RsaPssRsaeSha384)
        );
        assert_eq!(
            rsa.choose_scheme(&[S::RsaPkcs1Sha512, S::RsaPkcs1Sha384]),
            Some(S::RsaPkcs1Sha384)
        );
        assert_eq!(
            rsa.choose_scheme(SUPPORTED_SIGNATURE_SCHEMES),
            Some(S::RsaPssRsaeSha256)
        );
        assert_eq!(
            p256.choose_scheme(SUPPORTED_SIGNATURE_SCHEMES),
            Some(S::EcdsaSecp256r1Sha256)
        );
        assert_eq!(
            p384.choose_scheme(SUPPORTED_SIGNATURE_SCHEMES),
            Some(S::EcdsaSecp384r1Sha384)
        );
        assert_eq!(
            ed.choose_scheme(SUPPORTED_SIGNATURE_SCHEMES),
            Some(S::Ed25519)
        );
        // Nothing in common.
        assert_eq!(
            rsa.choose_scheme(&[S::EcdsaSecp256r1Sha256, S::Ed25519]),
            None
        );
        assert_eq!(
            p256.choose_scheme(&[S::EcdsaSecp384r1Sha384, S::RsaPssRsaeSha256]),
            None
        );
        assert_eq!(ed.choose_scheme(&[S::Ed448, S::Unknown(0x0808)]), None);
        for key in [&rsa, &p256, &p384, &ed] {
            assert_eq!(key.choose_scheme(&[]), None);
            // No signature_algorithms extension: SHA-1 only, which we never use.
            assert_eq!(key.choose_scheme(TLS12_DEFAULT_SCHEMES), None, "{key:?}");
        }
    }

    #[test]
    fn sign_refuses_schemes_the_key_cannot_do() {
        use SignatureScheme as S;
        let rsa = key_from_pem(RSA_KEY_PEM);
        let p256 = key_from_pem(ECDSA_KEY_PEM);
        for s in [
            S::EcdsaSecp256r1Sha256,
            S::RsaPkcs1Sha1,
            S::RsaPssPssSha256,
            S::Unknown(0x0420),
        ] {
            assert!(
                matches!(rsa.sign(s, MESSAGE), Err(Error::Internal(_))),
                "{s:?}"
            );
        }
        for s in [
            S::EcdsaSecp384r1Sha384,
            S::EcdsaSha1,
            S::RsaPkcs1Sha256,
            S::Ed25519,
        ] {
            assert!(
                matches!(p256.sign(s, MESSAGE), Err(Error::Internal(_))),
                "{s:?}"
            );
        }
    }

    #[test]
    fn pem_helpers_load_the_committed_files() {
        assert_eq!(certs_from_pem(CA_PEM).expect("CA").len(), 1);
        // Leaf then CA.
        let ecdsa = certs_from_pem(ECDSA_CERT_PEM).expect("ECDSA chain");
        assert_eq!(ecdsa.len(), 2);
        assert_eq!(ecdsa[1], certs_from_pem(CA_PEM).expect("CA")[0]);
        assert_eq!(certs_from_pem(RSA_CERT_PEM).expect("RSA chain").len(), 2);
        // A key file has no certificates; a certificate file has no key.
        assert!(matches!(certs_from_pem(RSA_KEY_PEM), Err(Error::Config(_))));
        assert!(matches!(certs_from_pem(b""), Err(Error::Config(_))));
        assert!(matches!(
            private_key_from_pem(CA_PEM),
            Err(Error::Config(_))
        ));
        // Broken base64 is an error, not a skipped section.
        let broken = b"-----BEGIN CERTIFICATE-----\nMII!!!\n-----END CERTIFICATE-----\n";
        assert!(matches!(certs_from_pem(broken), Err(Error::Config(_))));
        let unterminated = b"-----BEGIN CERTIFICATE-----\nMIIB\n";
        assert!(matches!(
            certs_from_pem(unterminated),
            Err(Error::Config(_))
        ));

        assert!(matches!(
            private_key_from_pem(ECDSA_KEY_PEM),
            Ok(PrivateKeyDer::Pkcs8(_))
        ));
        assert!(matches!(
            private_key_from_pem(RSA_KEY_PEM),
            Ok(PrivateKeyDer::Pkcs8(_))
        ));
        assert!(matches!(
            private_key_from_pem(RSA_PKCS1_PEM.as_bytes()),
            Ok(PrivateKeyDer::Pkcs1(_))
        ));
        assert!(matches!(
            private_key_from_pem(P256_SEC1_PEM.as_bytes()),
            Ok(PrivateKeyDer::Sec1(_))
        ));
    }

    #[test]
    fn check_certificate_matches_key_and_leaf() {
        let ecdsa_leaf = &certs_from_pem(ECDSA_CERT_PEM).expect("chain")[0];
        let rsa_leaf = &certs_from_pem(RSA_CERT_PEM).expect("chain")[0];
        let ecdsa = key_from_pem(ECDSA_KEY_PEM);
        let rsa = key_from_pem(RSA_KEY_PEM);
        ecdsa
            .check_certificate(ecdsa_leaf)
            .expect("ECDSA key matches its leaf");
        rsa.check_certificate(rsa_leaf)
            .expect("RSA key matches its leaf");
        assert!(matches!(
            ecdsa.check_certificate(rsa_leaf),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            rsa.check_certificate(ecdsa_leaf),
            Err(Error::Config(_))
        ));
        // Same algorithm, different key.
        let other = key_from_pem(P256_SEC1_PEM.as_bytes());
        assert!(matches!(
            other.check_certificate(ecdsa_leaf),
            Err(Error::Config(_))
        ));
        // The CA's certificate is not the leaf's.
        let ca = &certs_from_pem(CA_PEM).expect("CA")[0];
        assert!(matches!(ecdsa.check_certificate(ca), Err(Error::Config(_))));
    }
}
