use super::client::distinguished_name;
use super::*;
use crate::crypto::SigningKey;
use crate::pki::certs_from_pem;
use crate::pki::roots::RootCertStore;
use crate::wire::AlertDescription;
use pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use pki_types::{ServerName, UnixTime};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use std::sync::Arc;
use std::time::Duration;

const CA_PEM: &[u8] = include_bytes!("../../../../tests/data/certs/ca.pem");

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
