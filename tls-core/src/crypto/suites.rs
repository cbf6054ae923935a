//! The cipher suites of the spectls profile: for TLS 1.2, ECDHE key exchange, AEAD record
//! protection (RFC 5288 AES-GCM, RFC 7905 ChaCha20-Poly1305) and the PRF hash each suite names;
//! for TLS 1.3 (RFC 8446 B.4), the AEAD and the HKDF hash alone (the key exchange and the
//! certificate's key type are negotiated by extensions).
//!
//! Everything a suite implies is data here, so the key schedule and record layer never match on
//! suite names.

use crate::wire::CipherSuite;
use ring::{aead, digest, hmac};

/// The hash of a suite's PRF (RFC 5246 section 5) and handshake transcript.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HashAlg {
    /// SHA-256: the default PRF hash of TLS 1.2.
    Sha256,
    /// SHA-384: named by the `_SHA384` suites (RFC 5289).
    Sha384,
}

impl HashAlg {
    /// Output length in bytes (also the length of one P_hash block).
    pub fn output_len(self) -> usize {
        match self {
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
        }
    }

    /// ring's HMAC for this hash.
    pub(crate) fn hmac_algorithm(self) -> hmac::Algorithm {
        match self {
            HashAlg::Sha256 => hmac::HMAC_SHA256,
            HashAlg::Sha384 => hmac::HMAC_SHA384,
        }
    }

    /// ring's digest for this hash.
    pub(crate) fn digest_algorithm(self) -> &'static digest::Algorithm {
        match self {
            HashAlg::Sha256 => &digest::SHA256,
            HashAlg::Sha384 => &digest::SHA384,
        }
    }
}

/// The AEAD that protects records (RFC 5246 section 6.2.3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AeadAlg {
    /// AES-128 in GCM (RFC 5288).
    Aes128Gcm,
    /// AES-256 in GCM (RFC 5288).
    Aes256Gcm,
    /// ChaCha20-Poly1305 (RFC 7905).
    ChaCha20Poly1305,
}

impl AeadAlg {
    /// Length of a write key (`enc_key_length`).
    pub fn key_len(self) -> usize {
        match self {
            AeadAlg::Aes128Gcm => 16,
            AeadAlg::Aes256Gcm | AeadAlg::ChaCha20Poly1305 => 32,
        }
    }

    /// Length of a write IV from the key block (`fixed_iv_length`): the 4-byte GCM salt
    /// (RFC 5288 section 3) or the whole 12-byte ChaCha20 nonce mask (RFC 7905 section 2).
    pub fn fixed_iv_len(self) -> usize {
        match self {
            AeadAlg::Aes128Gcm | AeadAlg::Aes256Gcm => 4,
            AeadAlg::ChaCha20Poly1305 => 12,
        }
    }

    /// Bytes of nonce carried in each record (`record_iv_length`): 8 for GCM, none for ChaCha20.
    pub fn explicit_nonce_len(self) -> usize {
        match self {
            AeadAlg::Aes128Gcm | AeadAlg::Aes256Gcm => 8,
            AeadAlg::ChaCha20Poly1305 => 0,
        }
    }

    /// Length of the authentication tag appended to each record.
    pub fn tag_len(self) -> usize {
        16
    }

    /// ring's AEAD for this algorithm.
    pub(crate) fn ring_algorithm(self) -> &'static aead::Algorithm {
        match self {
            AeadAlg::Aes128Gcm => &aead::AES_128_GCM,
            AeadAlg::Aes256Gcm => &aead::AES_256_GCM,
            AeadAlg::ChaCha20Poly1305 => &aead::CHACHA20_POLY1305,
        }
    }
}

/// What the server's certificate and ServerKeyExchange signature must be for a suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignatureFamily {
    /// `ECDHE_ECDSA` suites: ECDSA keys, and Ed25519 keys (RFC 8422 section 5.1.3 allows
    /// EdDSA certificates with these suites).
    Ecdsa,
    /// `ECDHE_RSA` suites: RSA keys (PKCS#1 v1.5 or PSS signatures).
    Rsa,
    /// TLS 1.3 suites: any key type; signature_algorithms alone decides (RFC 8446 4.4.2.2).
    Any,
}

/// A cipher suite spectls implements, with everything it implies.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct SupportedCipherSuite {
    /// The suite's wire value.
    pub suite: CipherSuite,
    /// PRF and transcript hash.
    pub hash: HashAlg,
    /// Record protection.
    pub aead: AeadAlg,
    /// The certificate and signature the key exchange needs.
    pub family: SignatureFamily,
}

/// `TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256` (0xc02b, RFC 5289).
pub static TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: SupportedCipherSuite = SupportedCipherSuite {
    suite: CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    hash: HashAlg::Sha256,
    aead: AeadAlg::Aes128Gcm,
    family: SignatureFamily::Ecdsa,
};

/// `TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384` (0xc02c, RFC 5289).
pub static TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: SupportedCipherSuite = SupportedCipherSuite {
    suite: CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    hash: HashAlg::Sha384,
    aead: AeadAlg::Aes256Gcm,
    family: SignatureFamily::Ecdsa,
};

/// `TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256` (0xcca9, RFC 7905).
pub static TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: SupportedCipherSuite =
    SupportedCipherSuite {
        suite: CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        hash: HashAlg::Sha256,
        aead: AeadAlg::ChaCha20Poly1305,
        family: SignatureFamily::Ecdsa,
    };

/// `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256` (0xc02f, RFC 5289).
pub static TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: SupportedCipherSuite = SupportedCipherSuite {
    suite: CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    hash: HashAlg::Sha256,
    aead: AeadAlg::Aes128Gcm,
    family: SignatureFamily::Rsa,
};

/// `TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384` (0xc030, RFC 5289).
pub static TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: SupportedCipherSuite = SupportedCipherSuite {
    suite: CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    hash: HashAlg::Sha384,
    aead: AeadAlg::Aes256Gcm,
    family: SignatureFamily::Rsa,
};

/// `TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256` (0xcca8, RFC 7905).
pub static TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: SupportedCipherSuite =
    SupportedCipherSuite {
        suite: CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        hash: HashAlg::Sha256,
        aead: AeadAlg::ChaCha20Poly1305,
        family: SignatureFamily::Rsa,
    };

/// `TLS_AES_128_GCM_SHA256` (0x1301, RFC 8446 B.4).
pub static TLS13_AES_128_GCM_SHA256: SupportedCipherSuite = SupportedCipherSuite {
    suite: CipherSuite::TLS_AES_128_GCM_SHA256,
    hash: HashAlg::Sha256,
    aead: AeadAlg::Aes128Gcm,
    family: SignatureFamily::Any,
};

/// `TLS_AES_256_GCM_SHA384` (0x1302, RFC 8446 B.4).
pub static TLS13_AES_256_GCM_SHA384: SupportedCipherSuite = SupportedCipherSuite {
    suite: CipherSuite::TLS_AES_256_GCM_SHA384,
    hash: HashAlg::Sha384,
    aead: AeadAlg::Aes256Gcm,
    family: SignatureFamily::Any,
};

/// `TLS_CHACHA20_POLY1305_SHA256` (0x1303, RFC 8446 B.4).
pub static TLS13_CHACHA20_POLY1305_SHA256: SupportedCipherSuite = SupportedCipherSuite {
    suite: CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
    hash: HashAlg::Sha256,
    aead: AeadAlg::ChaCha20Poly1305,
    family: SignatureFamily::Any,
};

impl SupportedCipherSuite {
    /// Whether this is a TLS 1.3 suite (the two versions never share a suite).
    pub fn is_tls13(&self) -> bool {
        self.family == SignatureFamily::Any
    }
}

/// The TLS 1.3 suites, in the default preference order (AES-128-GCM, AES-256-GCM,
/// ChaCha20-Poly1305, as for TLS 1.2).
pub static TLS13_CIPHER_SUITES: &[&SupportedCipherSuite] = &[
    &TLS13_AES_128_GCM_SHA256,
    &TLS13_AES_256_GCM_SHA384,
    &TLS13_CHACHA20_POLY1305_SHA256,
];

/// The TLS 1.2 suites, in the default server preference order: AES-128-GCM (fast with AES-NI,
/// and strong enough), then AES-256-GCM, then ChaCha20-Poly1305; ECDSA before RSA within each
/// (smaller, faster handshakes).
pub static TLS12_CIPHER_SUITES: &[&SupportedCipherSuite] = &[
    &TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    &TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    &TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    &TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    &TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    &TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
];

/// Every supported suite: the TLS 1.3 ones first (as rustls orders them), then TLS 1.2's.
pub static ALL_CIPHER_SUITES: &[&SupportedCipherSuite] = &[
    &TLS13_AES_128_GCM_SHA256,
    &TLS13_AES_256_GCM_SHA384,
    &TLS13_CHACHA20_POLY1305_SHA256,
    &TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    &TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    &TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    &TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    &TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    &TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
];

/// The supported suite with this wire value, if spectls implements it.
pub fn lookup(s: CipherSuite) -> Option<&'static SupportedCipherSuite> {
    ALL_CIPHER_SUITES.iter().copied().find(|cs| cs.suite == s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_finds_each_profile_suite_by_its_wire_value() {
        // Wire values from RFC 5289 / RFC 7905, independent of the table above.
        let expect: [(u16, HashAlg, AeadAlg, SignatureFamily); 6] = [
            (
                0xc02b,
                HashAlg::Sha256,
                AeadAlg::Aes128Gcm,
                SignatureFamily::Ecdsa,
            ),
            (
                0xc02c,
                HashAlg::Sha384,
                AeadAlg::Aes256Gcm,
                SignatureFamily::Ecdsa,
            ),
            (
                0xcca9,
                HashAlg::Sha256,
                AeadAlg::ChaCha20Poly1305,
                SignatureFamily::Ecdsa,
            ),
            (
                0xc02f,
                HashAlg::Sha256,
                AeadAlg::Aes128Gcm,
                SignatureFamily::Rsa,
            ),
            (
                0xc030,
                HashAlg::Sha384,
                AeadAlg::Aes256Gcm,
                SignatureFamily::Rsa,
            ),
            (
                0xcca8,
                HashAlg::Sha256,
                AeadAlg::ChaCha20Poly1305,
                SignatureFamily::Rsa,
            ),
        ];
        for (v, hash, aead, family) in expect {
            let cs = lookup(CipherSuite::from_value(v)).unwrap();
            assert_eq!(cs.suite.value(), v);
            assert_eq!(
                (cs.hash, cs.aead, cs.family),
                (hash, aead, family),
                "{v:#06x}"
            );
        }
        for (v, hash, aead) in [
            (0x1301, HashAlg::Sha256, AeadAlg::Aes128Gcm),
            (0x1302, HashAlg::Sha384, AeadAlg::Aes256Gcm),
            (0x1303, HashAlg::Sha256, AeadAlg::ChaCha20Poly1305),
        ] {
            let cs = lookup(CipherSuite::from_value(v)).unwrap();
            assert!(cs.is_tls13());
            assert_eq!((cs.hash, cs.aead), (hash, aead), "{v:#06x}");
        }
        assert_eq!(ALL_CIPHER_SUITES.len(), 9);
        assert!(TLS12_CIPHER_SUITES.iter().all(|s| !s.is_tls13()));
    }

    #[test]
    fn lookup_rejects_other_suites() {
        for v in [
            0x0000, 0x002f, 0x009c, 0xc009, 0xc027, 0x1304, 0x00ff, 0xcaca,
        ] {
            assert!(lookup(CipherSuite::from_value(v)).is_none(), "{v:#06x}");
        }
    }

    #[test]
    fn default_order_is_aes128_aes256_chacha_ecdsa_first() {
        let order: Vec<u16> = ALL_CIPHER_SUITES.iter().map(|s| s.suite.value()).collect();
        assert_eq!(
            order,
            [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8]
        );
    }

    #[test]
    fn algorithm_parameters() {
        assert_eq!(HashAlg::Sha256.output_len(), 32);
        assert_eq!(HashAlg::Sha384.output_len(), 48);
        for h in [HashAlg::Sha256, HashAlg::Sha384] {
            assert_eq!(h.digest_algorithm().output_len(), h.output_len());
            assert_eq!(
                h.hmac_algorithm().digest_algorithm().output_len(),
                h.output_len()
            );
        }
        let p = |a: AeadAlg| {
            (
                a.key_len(),
                a.fixed_iv_len(),
                a.explicit_nonce_len(),
                a.tag_len(),
            )
        };
        assert_eq!(p(AeadAlg::Aes128Gcm), (16, 4, 8, 16));
        assert_eq!(p(AeadAlg::Aes256Gcm), (32, 4, 8, 16));
        assert_eq!(p(AeadAlg::ChaCha20Poly1305), (32, 12, 0, 16));
        for a in [
            AeadAlg::Aes128Gcm,
            AeadAlg::Aes256Gcm,
            AeadAlg::ChaCha20Poly1305,
        ] {
            let r = a.ring_algorithm();
            assert_eq!(r.key_len(), a.key_len());
            assert_eq!(r.tag_len(), a.tag_len());
            // The key block's IV and the record's explicit part together make the 96-bit nonce.
            assert_eq!(a.fixed_iv_len() + a.explicit_nonce_len(), r.nonce_len());
        }
    }
}
