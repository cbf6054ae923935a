use super::*;
use crate::crypto::SUPPORTED_SIGNATURE_SCHEMES;
use crate::pki::{certs_from_pem, private_key_from_pem};
use crate::test_support::unhex;
use num_bigint::BigUint;
use pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use ring::digest::{digest, SHA256};
use SignatureScheme as S;

/// Every handshake message of RFC 8448 (see tests/data/rfc8448/README.md).
const MESSAGES: &str = include_str!("../../../../tests/data/rfc8448/messages.txt");

const ECDSA_CERT_PEM: &[u8] = include_bytes!("../../../../tests/data/certs/server-ecdsa.pem");
const ECDSA_KEY_PEM: &[u8] = include_bytes!("../../../../tests/data/certs/server-ecdsa.key");
const RSA_CERT_PEM: &[u8] = include_bytes!("../../../../tests/data/certs/server-rsa.pem");
const RSA_KEY_PEM: &[u8] = include_bytes!("../../../../tests/data/certs/server-rsa.key");

/// The handshake messages of an RFC 8448 trace, in order: (sender, name, whole message).
fn messages(trace: &str) -> Vec<(String, String, Vec<u8>)> {
    let found: Vec<_> = MESSAGES
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split(' ').collect::<Vec<_>>())
        .filter(|f| f[0] == trace)
        .map(|f| (f[1].to_string(), f[2].to_string(), unhex(f[3])))
        .collect();
    assert!(!found.is_empty(), "{trace}");
    found
}

/// The `sender`'s `name` message of `trace`.
fn message(trace: &str, sender: &str, name: &str) -> Vec<u8> {
    let mut found = messages(trace)
        .into_iter()
        .filter(|(s, n, _)| s == sender && n == name);
    let (_, _, bytes) = found.next().unwrap();
    assert!(found.next().is_none(), "{trace} {sender} {name} twice");
    bytes
}

/// SHA-256 (all RFC 8448 traces use TLS_AES_128_GCM_SHA256) over every message of `trace` up to
/// and including the `sender`'s `name` message: Transcript-Hash(Handshake Context, Certificate)
/// when that message is the signer's Certificate. After a HelloRetryRequest (section 5) the
/// first ClientHello counts as the synthetic message_hash message of RFC 8446 4.4.1.
fn transcript_hash_through(trace: &str, sender: &str, name: &str) -> Vec<u8> {
    let mut all = Vec::new();
    for (i, (s, n, bytes)) in messages(trace).into_iter().enumerate() {
        if i == 0 && trace == "hello-retry-request" {
            all.extend_from_slice(&[0xfe, 0, 0, 32]);
            all.extend_from_slice(digest(&SHA256, &bytes).as_ref());
            continue;
        }
        all.extend_from_slice(&bytes);
        if s == sender && n == name {
            return digest(&SHA256, &all).as_ref().to_vec();
        }
    }
    panic!("{trace}: no {sender} {name}");
}

/// The first certificate of a TLS 1.3 Certificate message (RFC 8446 4.4.2): handshake header,
/// certificate_request_context<0..255>, certificate_list<0..2^24-1> of
/// {cert_data<1..2^24-1>, extensions<0..2^16-1>}.
fn leaf_of(certificate_message: &[u8]) -> CertificateDer<'static> {
    assert_eq!(certificate_message[0], 11, "not a Certificate message");
    let body = &certificate_message[4..];
    let context_len = usize::from(body[0]);
    let list = &body[1 + context_len + 3..];
    let len = |b: &[u8]| usize::from(b[0]) << 16 | usize::from(b[1]) << 8 | usize::from(b[2]);
    let cert_len = len(list);
    CertificateDer::from(list[3..3 + cert_len].to_vec())
}

/// The scheme and signature of a CertificateVerify message (RFC 8446 4.4.3).
fn certificate_verify(message: &[u8]) -> (SignatureScheme, Vec<u8>) {
    assert_eq!(message[0], 15, "not a CertificateVerify message");
    let scheme = S::from_value(u16::from_be_bytes([message[4], message[5]]));
    let len = usize::from(u16::from_be_bytes([message[6], message[7]]));
    assert_eq!(message.len(), 8 + len);
    (scheme, message[8..].to_vec())
}

/// One DER TLV: (tag, contents, rest). Lengths up to 2 octets, as in the certificates here.
fn tlv(der: &[u8]) -> (u8, &[u8], &[u8]) {
    let (len, start) = match der[1] {
        n if n < 0x80 => (usize::from(n), 2),
        0x81 => (usize::from(der[2]), 3),
        0x82 => (usize::from(der[2]) << 8 | usize::from(der[3]), 4),
        other => panic!("length form {other:#x}"),
    };
    (der[0], &der[start..start + len], &der[start + len..])
}

/// The RSA modulus and public exponent of a certificate with an rsaEncryption key (RFC 8017
/// A.1.1 RSAPublicKey inside the SPKI's BIT STRING).
fn rsa_public_key(cert: &CertificateDer<'_>) -> (BigUint, BigUint) {
    let parsed = webpki::EndEntityCert::try_from(cert).unwrap();
    let spki = parsed.subject_public_key_info();
    // SEQUENCE { AlgorithmIdentifier, BIT STRING }.
    let (tag, spki, _) = tlv(spki.as_ref());
    assert_eq!(tag, 0x30);
    let (tag, _, rest) = tlv(spki);
    assert_eq!(tag, 0x30);
    let (tag, bits, _) = tlv(rest);
    assert_eq!((tag, bits[0]), (0x03, 0));
    let (tag, key, _) = tlv(&bits[1..]);
    assert_eq!(tag, 0x30);
    let (tag, n, rest) = tlv(key);
    assert_eq!(tag, 0x02);
    let (tag, e, _) = tlv(rest);
    assert_eq!(tag, 0x02);
    (BigUint::from_bytes_be(n), BigUint::from_bytes_be(e))
}

/// MGF1 with SHA-256 (RFC 8017 B.2.1).
fn mgf1_sha256(seed: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for counter in 0u32.. {
        if out.len() >= len {
            break;
        }
        out.extend_from_slice(digest(&SHA256, &[seed, &counter.to_be_bytes()].concat()).as_ref());
    }
    out.truncate(len);
    out
}

/// RSASSA-PSS-VERIFY with SHA-256, MGF1-SHA-256 and a 32-octet salt (RFC 8017 8.1.2 and
/// EMSA-PSS-VERIFY, 9.1.2), the parameters of `rsa_pss_rsae_sha256` (RFC 8446 4.2.3). Written
/// out here because ring refuses RSA keys under 2048 bits, and RFC 8448's are 1024.
fn rsa_pss_sha256_verifies(n: &BigUint, e: &BigUint, message: &[u8], signature: &[u8]) -> bool {
    const H_LEN: usize = 32;
    let mod_bits = usize::try_from(n.bits()).unwrap();
    let k = mod_bits.div_ceil(8);
    if signature.len() != k {
        return false;
    }
    let s = BigUint::from_bytes_be(signature);
    if &s >= n {
        return false;
    }
    let em_bits = mod_bits - 1;
    let em_len = em_bits.div_ceil(8);
    let m = s.modpow(e, n).to_bytes_be();
    if m.len() > em_len {
        return false;
    }
    let mut em = vec![0; em_len - m.len()];
    em.extend_from_slice(&m);
    let m_hash = digest(&SHA256, message);
    if em[em_len - 1] != 0xbc {
        return false;
    }
    let (masked_db, h) = em[..em_len - 1].split_at(em_len - H_LEN - 1);
    let top_mask = 0xffu8 >> (8 * em_len - em_bits);
    if masked_db[0] & !top_mask != 0 {
        return false;
    }
    let mut db: Vec<u8> = masked_db
        .iter()
        .zip(mgf1_sha256(h, masked_db.len()))
        .map(|(a, b)| a ^ b)
        .collect();
    db[0] &= top_mask;
    let ps_len = em_len - H_LEN - H_LEN - 2;
    if db[..ps_len].iter().any(|b| *b != 0) || db[ps_len] != 1 {
        return false;
    }
    let salt = &db[ps_len + 1..];
    let m_prime = [&[0u8; 8][..], m_hash.as_ref(), salt].concat();
    digest(&SHA256, &m_prime).as_ref() == h
}

fn bad_signature() -> Error {
    Error::PeerMisbehaved(PeerMisbehaved::BadSignature)
}

fn forbidden_scheme() -> Error {
    Error::PeerMisbehaved(PeerMisbehaved::Other(
        "signature scheme not allowed in a TLS 1.3 CertificateVerify",
    ))
}

fn scheme_mismatch() -> Error {
    Error::PeerMisbehaved(PeerMisbehaved::Other(
        "signature scheme does not match the certificate's key",
    ))
}

/// `f(input with one byte flipped)` for a byte at the start, middle and end.
fn each_flip(input: &[u8], mut f: impl FnMut(&[u8])) {
    for i in [0, input.len() / 2, input.len() - 1] {
        let mut changed = input.to_vec();
        changed[i] ^= 0x01;
        f(&changed);
    }
}

#[test]
fn signed_content_is_the_rfc_8446_layout() {
    let hash: Vec<u8> = (0u8..32).collect();
    // "TLS 1.3, server CertificateVerify" and "TLS 1.3, client CertificateVerify" in ASCII.
    let server_context = unhex("544c5320312e332c207365727665722043657274696669636174655665726966");
    let server_context = [&server_context[..], &unhex("79")].concat();
    let client_context = unhex("544c5320312e332c20636c69656e742043657274696669636174655665726966");
    let client_context = [&client_context[..], &unhex("79")].concat();
    assert_eq!(Signer::Server.context(), server_context.as_slice());
    assert_eq!(Signer::Client.context(), client_context.as_slice());
    for (signer, context) in [
        (Signer::Server, &server_context),
        (Signer::Client, &client_context),
    ] {
        let mut want = vec![0x20; 64];
        want.extend_from_slice(context);
        want.push(0);
        want.extend_from_slice(&hash);
        assert_eq!(want.len(), 64 + 33 + 1 + 32);
        assert_eq!(signed_content(signer, &hash), want);
    }
    // A SHA-384 transcript hash is carried whole.
    let long = [0xab; 48];
    let content = signed_content(Signer::Client, &long);
    assert_eq!(content.len(), 64 + 33 + 1 + 48);
    assert_eq!(&content[98..], &long[..]);
}

#[test]
fn tls13_schemes_exclude_pkcs1_and_sha1() {
    let allowed: Vec<_> = SUPPORTED_SIGNATURE_SCHEMES
        .iter()
        .copied()
        .filter(|s| is_tls13_scheme(*s))
        .collect();
    assert_eq!(
        allowed,
        [
            S::EcdsaSecp256r1Sha256,
            S::EcdsaSecp384r1Sha384,
            S::Ed25519,
            S::RsaPssRsaeSha256,
            S::RsaPssRsaeSha384,
            S::RsaPssRsaeSha512,
        ]
    );
    for s in [
        S::RsaPkcs1Sha256,
        S::RsaPkcs1Sha384,
        S::RsaPkcs1Sha512,
        S::RsaPkcs1Sha1,
        S::EcdsaSha1,
        S::EcdsaSecp521r1Sha512,
        S::Ed448,
        S::RsaPssPssSha256,
        S::Unknown(0x0420),
    ] {
        assert!(!is_tls13_scheme(s), "{s:?}");
    }
    // Which key makes which scheme.
    use CertifiedKeyKind as K;
    for kind in [K::Rsa, K::EcdsaP256, K::EcdsaP384, K::Ed25519, K::Other] {
        let fits: Vec<_> = SUPPORTED_SIGNATURE_SCHEMES
            .iter()
            .copied()
            .filter(|s| key_fits(kind, *s))
            .collect();
        let want: &[S] = match kind {
            K::Rsa => &[
                S::RsaPssRsaeSha256,
                S::RsaPssRsaeSha384,
                S::RsaPssRsaeSha512,
            ],
            K::EcdsaP256 => &[S::EcdsaSecp256r1Sha256],
            K::EcdsaP384 => &[S::EcdsaSecp384r1Sha384],
            K::Ed25519 => &[S::Ed25519],
            K::Other => &[],
        };
        assert_eq!(fits, want, "{kind:?}");
    }
}

/// RFC 8448 section 3 (and the same server key in sections 5 and 7): the server's
/// rsa_pss_rsae_sha256 CertificateVerify over the hash of ClientHello..Certificate.
#[test]
fn rfc8448_rsa_pss_server_signatures() {
    for trace in ["simple-1rtt", "hello-retry-request", "compatibility-mode"] {
        let cert = leaf_of(&message(trace, "server", "Certificate"));
        assert_eq!(cert.len(), 432, "{trace}");
        assert_eq!(CertifiedKeyKind::of(&cert), Ok(CertifiedKeyKind::Rsa));
        let (scheme, signature) =
            certificate_verify(&message(trace, "server", "CertificateVerify"));
        assert_eq!(scheme, S::RsaPssRsaeSha256, "{trace}");
        assert_eq!(signature.len(), 128, "{trace}");
        let hash = transcript_hash_through(trace, "server", "Certificate");
        let (n, e) = rsa_public_key(&cert);
        assert_eq!((n.bits(), e.clone()), (1024, BigUint::from(65537u32)));

        let content = signed_content(Signer::Server, &hash);
        assert!(
            rsa_pss_sha256_verifies(&n, &e, &content, &signature),
            "{trace}"
        );
        // The client's context string, a changed hash or signature: no longer verifies.
        let client = signed_content(Signer::Client, &hash);
        assert!(!rsa_pss_sha256_verifies(&n, &e, &client, &signature));
        each_flip(&hash, |h| {
            let c = signed_content(Signer::Server, h);
            assert!(!rsa_pss_sha256_verifies(&n, &e, &c, &signature));
        });
        each_flip(&signature, |s| {
            assert!(!rsa_pss_sha256_verifies(&n, &e, &content, s));
        });

        // ring (so webpki, so `verify`) refuses 1024-bit RSA keys: even the genuine signature
        // fails as a bad signature, never as accepted.
        assert_eq!(
            verify(&cert, scheme, Signer::Server, &hash, &signature).unwrap_err(),
            bad_signature()
        );
        // Scheme checks come first: PKCS#1 and ECDSA schemes are refused for this RSA key.
        for (s, want) in [
            (S::RsaPkcs1Sha256, forbidden_scheme()),
            (S::RsaPkcs1Sha1, forbidden_scheme()),
            (S::EcdsaSecp256r1Sha256, scheme_mismatch()),
            (S::Ed25519, scheme_mismatch()),
        ] {
            assert_eq!(
                verify(&cert, s, Signer::Server, &hash, &signature).unwrap_err(),
                want,
                "{s:?}"
            );
        }
    }
}

/// RFC 8448 section 6: the server signs with ecdsa_secp256r1_sha256 and a P-256 key.
#[test]
fn rfc8448_client_auth_server_ecdsa_signature() {
    const TRACE: &str = "client-auth";
    let cert = leaf_of(&message(TRACE, "server", "Certificate"));
    assert_eq!(CertifiedKeyKind::of(&cert), Ok(CertifiedKeyKind::EcdsaP256));
    let (scheme, signature) = certificate_verify(&message(TRACE, "server", "CertificateVerify"));
    assert_eq!(scheme, S::EcdsaSecp256r1Sha256);
    assert_eq!(signature.len(), 71);
    let hash = transcript_hash_through(TRACE, "server", "Certificate");

    assert!(verify(&cert, scheme, Signer::Server, &hash, &signature).is_ok());
    assert_eq!(
        verify(&cert, scheme, Signer::Client, &hash, &signature).unwrap_err(),
        bad_signature()
    );
    each_flip(&hash, |h| {
        assert_eq!(
            verify(&cert, scheme, Signer::Server, h, &signature).unwrap_err(),
            bad_signature()
        );
    });
    each_flip(&signature, |s| {
        assert_eq!(
            verify(&cert, scheme, Signer::Server, &hash, s).unwrap_err(),
            bad_signature()
        );
    });
    // The hash of one message too few (before the Certificate) is another content.
    let short = transcript_hash_through(TRACE, "server", "CertificateRequest");
    assert_eq!(
        verify(&cert, scheme, Signer::Server, &short, &signature).unwrap_err(),
        bad_signature()
    );
    // TLS 1.2 would take any ECDSA hash for a P-256 key; TLS 1.3 binds the curve.
    for (s, want) in [
        (S::EcdsaSecp384r1Sha384, scheme_mismatch()),
        (S::RsaPssRsaeSha256, scheme_mismatch()),
        (S::Ed25519, scheme_mismatch()),
        (S::EcdsaSha1, forbidden_scheme()),
        (S::RsaPkcs1Sha256, forbidden_scheme()),
    ] {
        assert_eq!(
            verify(&cert, s, Signer::Server, &hash, &signature).unwrap_err(),
            want,
            "{s:?}"
        );
    }
}

/// RFC 8448 section 6: the client signs with rsa_pss_rsae_sha256 over the hash of
/// ClientHello..server Finished, client Certificate.
#[test]
fn rfc8448_client_auth_client_rsa_pss_signature() {
    const TRACE: &str = "client-auth";
    let cert = leaf_of(&message(TRACE, "client", "Certificate"));
    assert_eq!(CertifiedKeyKind::of(&cert), Ok(CertifiedKeyKind::Rsa));
    let (scheme, signature) = certificate_verify(&message(TRACE, "client", "CertificateVerify"));
    assert_eq!(scheme, S::RsaPssRsaeSha256);
    let hash = transcript_hash_through(TRACE, "client", "Certificate");
    let (n, e) = rsa_public_key(&cert);
    assert_eq!(n.bits(), 1024);

    let content = signed_content(Signer::Client, &hash);
    assert!(rsa_pss_sha256_verifies(&n, &e, &content, &signature));
    let server = signed_content(Signer::Server, &hash);
    assert!(!rsa_pss_sha256_verifies(&n, &e, &server, &signature));
    each_flip(&hash, |h| {
        let c = signed_content(Signer::Client, h);
        assert!(!rsa_pss_sha256_verifies(&n, &e, &c, &signature));
    });
    each_flip(&signature, |s| {
        assert!(!rsa_pss_sha256_verifies(&n, &e, &content, s));
    });
    // The server's transcript hash (through its own Certificate) is not the client's.
    let servers_hash = transcript_hash_through(TRACE, "server", "Certificate");
    let c = signed_content(Signer::Client, &servers_hash);
    assert!(!rsa_pss_sha256_verifies(&n, &e, &c, &signature));
    assert_eq!(
        verify(&cert, S::RsaPkcs1Sha256, Signer::Client, &hash, &signature).unwrap_err(),
        forbidden_scheme()
    );
}

fn key_from_pem(pem: &[u8]) -> SigningKey {
    SigningKey::from_der(&private_key_from_pem(pem).unwrap()).unwrap()
}

/// A fresh rcgen key and a self-signed certificate for it.
fn rcgen_pair(alg: &'static rcgen::SignatureAlgorithm) -> (SigningKey, CertificateDer<'static>) {
    let kp = rcgen::KeyPair::generate_for(alg).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["x.test".into()])
        .unwrap()
        .self_signed(&kp)
        .unwrap();
    let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(kp.serialize_der()));
    (SigningKey::from_der(&der).unwrap(), cert.der().clone())
}

/// Sign with each TLS 1.3 scheme of each kind of key, verify with its certificate; every change
/// breaks it; the schemes the key cannot make are refused on both sides.
#[test]
fn sign_then_verify_round_trips() {
    let (p384, p384_cert) = rcgen_pair(&rcgen::PKCS_ECDSA_P384_SHA384);
    let (ed25519, ed25519_cert) = rcgen_pair(&rcgen::PKCS_ED25519);
    let cases: Vec<(&str, SigningKey, CertificateDer<'static>, &[S])> = vec![
        (
            "P-256",
            key_from_pem(ECDSA_KEY_PEM),
            certs_from_pem(ECDSA_CERT_PEM).unwrap().remove(0),
            &[S::EcdsaSecp256r1Sha256],
        ),
        ("P-384", p384, p384_cert, &[S::EcdsaSecp384r1Sha384]),
        ("Ed25519", ed25519, ed25519_cert, &[S::Ed25519]),
        (
            "RSA",
            key_from_pem(RSA_KEY_PEM),
            certs_from_pem(RSA_CERT_PEM).unwrap().remove(0),
            &[
                S::RsaPssRsaeSha256,
                S::RsaPssRsaeSha384,
                S::RsaPssRsaeSha512,
            ],
        ),
    ];
    let sha256: Vec<u8> = (1u8..=32).collect();
    let sha384: Vec<u8> = (100u8..148).collect();
    for (name, key, cert, schemes) in &cases {
        assert_eq!(
            choose_scheme(key, SUPPORTED_SIGNATURE_SCHEMES),
            Some(schemes[0]),
            "{name}"
        );
        for scheme in SUPPORTED_SIGNATURE_SCHEMES.iter().copied() {
            let hash = &sha256;
            if !schemes.contains(&scheme) {
                // Not signed (PKCS#1 is refused even though the RSA key makes it in TLS 1.2),
                // and a signature claiming the scheme is refused before it is checked.
                assert!(
                    matches!(
                        sign(key, scheme, Signer::Server, hash),
                        Err(Error::Internal(_))
                    ),
                    "{name} {scheme:?}"
                );
                let want = if is_tls13_scheme(scheme) {
                    scheme_mismatch()
                } else {
                    forbidden_scheme()
                };
                assert_eq!(
                    verify(cert, scheme, Signer::Server, hash, &[0; 64]).unwrap_err(),
                    want,
                    "{name} {scheme:?}"
                );
                continue;
            }
            for hash in [&sha256, &sha384] {
                for signer in [Signer::Server, Signer::Client] {
                    let other = match signer {
                        Signer::Server => Signer::Client,
                        Signer::Client => Signer::Server,
                    };
                    let signature = sign(key, scheme, signer, hash).unwrap();
                    assert!(verify(cert, scheme, signer, hash, &signature).is_ok());
                    assert_eq!(
                        verify(cert, scheme, other, hash, &signature).unwrap_err(),
                        bad_signature(),
                        "{name} {scheme:?}"
                    );
                    each_flip(hash, |h| {
                        assert_eq!(
                            verify(cert, scheme, signer, h, &signature).unwrap_err(),
                            bad_signature()
                        );
                    });
                    each_flip(&signature, |s| {
                        assert_eq!(
                            verify(cert, scheme, signer, hash, s).unwrap_err(),
                            bad_signature()
                        );
                    });
                    if scheme == S::RsaPssRsaeSha256 {
                        // The hand-written verifier the RFC 8448 tests use agrees with ring.
                        let (n, e) = rsa_public_key(cert);
                        let content = signed_content(signer, hash);
                        assert!(rsa_pss_sha256_verifies(&n, &e, &content, &signature));
                        let content = signed_content(other, hash);
                        assert!(!rsa_pss_sha256_verifies(&n, &e, &content, &signature));
                    }
                }
            }
        }
    }
    // Another key of the same kind: a bad signature, not a scheme error.
    let (other_p384, _) = rcgen_pair(&rcgen::PKCS_ECDSA_P384_SHA384);
    let signature = sign(
        &other_p384,
        S::EcdsaSecp384r1Sha384,
        Signer::Server,
        &sha384,
    )
    .unwrap();
    assert_eq!(
        verify(
            &cases[1].2,
            S::EcdsaSecp384r1Sha384,
            Signer::Server,
            &sha384,
            &signature
        )
        .unwrap_err(),
        bad_signature()
    );
}

#[test]
fn choose_scheme_skips_pkcs1() {
    let rsa = key_from_pem(RSA_KEY_PEM);
    let p256 = key_from_pem(ECDSA_KEY_PEM);
    // TLS 1.2 would pick PKCS#1 here; TLS 1.3 has nothing in common.
    assert_eq!(
        rsa.choose_scheme(&[S::RsaPkcs1Sha256]),
        Some(S::RsaPkcs1Sha256)
    );
    assert_eq!(
        choose_scheme(&rsa, &[S::RsaPkcs1Sha256, S::RsaPkcs1Sha512]),
        None
    );
    assert_eq!(
        choose_scheme(&rsa, &[S::RsaPkcs1Sha256, S::RsaPssRsaeSha512]),
        Some(S::RsaPssRsaeSha512)
    );
    // Our preference, not the peer's order.
    assert_eq!(
        choose_scheme(&rsa, &[S::RsaPssRsaeSha384, S::RsaPssRsaeSha256]),
        Some(S::RsaPssRsaeSha256)
    );
    assert_eq!(choose_scheme(&p256, &[S::EcdsaSecp384r1Sha384]), None);
    assert_eq!(
        choose_scheme(&p256, &[S::Ed25519, S::EcdsaSecp256r1Sha256]),
        Some(S::EcdsaSecp256r1Sha256)
    );
    assert_eq!(choose_scheme(&p256, &[]), None);
}

#[test]
fn verify_refuses_a_certificate_that_does_not_parse() {
    let garbage = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00]);
    assert!(matches!(
        verify(
            &garbage,
            S::EcdsaSecp256r1Sha256,
            Signer::Server,
            &[0; 32],
            &[0; 64]
        ),
        Err(Error::InvalidCertificate(_))
    ));
}
