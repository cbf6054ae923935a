use super::*;
use crate::crypto::SigningKey;
use crate::pki::roots::RootCertStore;
use crate::pki::{certs_from_pem, private_key_from_pem};
use pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use pki_types::{ServerName, UnixTime};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use std::sync::Arc;
use std::time::Duration;

const CA_PEM: &[u8] = include_bytes!("../../../../tests/data/certs/ca.pem");
const ECDSA_CERT_PEM: &[u8] = include_bytes!("../../../../tests/data/certs/server-ecdsa.pem");
const RSA_CERT_PEM: &[u8] = include_bytes!("../../../../tests/data/certs/server-rsa.pem");
const RSA_KEY_PEM: &[u8] = include_bytes!("../../../../tests/data/certs/server-rsa.key");

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

fn ca(alg: &'static rcgen::SignatureAlgorithm, name: &str) -> CertifiedIssuer<'static, KeyPair> {
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
    let mut params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
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
    const P384_SHA256_SIG: &str = "30640230064e346b85995df38528c7a5d980be7e53c313c311c72b2dcaf9\
        8b98fd6d587895ee3923db97e1e140bcc226e98489ac0230535189ac3e767ffab0401d6e55463c07728bc1\
        e884aa3f9c5a2dbd99bf36bcc979f4d25ee7c014f38be272b2fee228a5";
    const P256_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg2IAf+mxFUZ1zm5BM
6fgIuVDFZBOENWflRWQnMITZDnyhRANCAAToMrExGCnHuCBr0dRsUlUBcDx5/Z+e
pe91WJtFWZigPOfnpjfCn++x+6ufi3b159Re44lNHSUzXVdlxemNDlln
-----END PRIVATE KEY-----
";
    const P256_SHA384_SIG: &str = "304602210081988154e75d50cf22b5407954c46649e4be78bf11e755521c\
        61bbc799077de0022100fe5f25d32848235d1d633b9b20c619c2b22bd663db458474f50bca5e26fb16c6";
    let unhex = |s: &str| -> Vec<u8> {
        let s: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        s.chunks(2)
            .map(|p| u8::from_str_radix(std::str::from_utf8(p).expect("ascii"), 16).expect("hex"))
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
