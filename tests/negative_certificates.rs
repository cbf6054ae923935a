//! Negative tests, certificates: every failure gives the right typed error on the side that
//! detects it, the right alert on the wire, the right `AlertReceived` on the other side, and
//! nothing panics.
//!
//! Everything runs in process over memory (sans-IO). Messages a test injects are built with the
//! generated wire types and framed with `wire::TLSPlaintext` (`common::records`). To reach the
//! states that read only protected records (after the peer's ChangeCipherSpec), the peer is
//! rustls with a key log (`common::rustls_peer`, `common::states`): its master secret gives both
//! directions' traffic keys (through spectls' own `prf::key_block`), so a test can seal records
//! as the peer would and open what spectls sends back, alerts included. The failure checks
//! (`check_error`, `failed_in_clear`, `failed_encrypted`, `receives_alert`) are in
//! `common::checks`.
//!
//! The negative tests are split by subject: `negative_certificates.rs`, `negative_tampering.rs`,
//! `negative_message_order.rs`, `negative_negotiation.rs`, `negative_robustness.rs`,
//! `negative_resumption.rs`.

mod common;

use common::*;
use rcgen::{date_time_ymd, ExtendedKeyUsagePurpose, KeyUsagePurpose};
use spectls::pki_types::ServerName;
use spectls::wire::{tls12::Handshake, AlertDescription as A, ExtensionType};
use spectls::{
    CertificateError, ClientConfig, ClientConnection, Error, ServerConfig, ServerConnection,
};
use std::io::{Read, Write};
use std::sync::Arc;

// ------------------------------------------------------------------------------------------
// Connections and checks of this file
// ------------------------------------------------------------------------------------------

/// A client connection to `name` and a server connection.
fn connect(
    client: ClientConfig,
    name: &'static str,
    server: ServerConfig,
) -> (ClientConnection, ServerConnection) {
    let c =
        ClientConnection::new(Arc::new(client), name.try_into().expect("name")).expect("client");
    let s = ServerConnection::new(Arc::new(server)).expect("server");
    (c, s)
}

/// The client refuses the server's certificate: the exact error, the alert in the clear, and the
/// server reads that alert.
#[track_caller]
fn rejects_certificate(
    client: ClientConfig,
    name: &'static str,
    server: ServerConfig,
    want: CertificateError,
    alert: A,
) {
    let (mut c, mut s) = connect(client, name, server);
    transfer(&mut c, &mut s).expect("ClientHello accepted");
    let got = feed(&mut c, &drain(&mut s));
    let out = failed_in_clear(&mut c, got, Error::InvalidCertificate(want), alert);
    assert!(
        c.peer_certificates().is_none(),
        "no unverified chain is exposed"
    );
    receives_alert(&mut s, &out, alert);
}

// ==========================================================================================
// Certificates
// ==========================================================================================

#[test]
fn wrong_host_name_is_bad_certificate() {
    for rsa in [false, true] {
        rejects_certificate(
            client_config(),
            "example.com",
            server_config(rsa),
            CertificateError::NotValidForName,
            A::BadCertificate,
        );
        // An IP address the certificate does not list.
        rejects_certificate(
            client_config(),
            "127.0.0.2",
            server_config(rsa),
            CertificateError::NotValidForName,
            A::BadCertificate,
        );
    }
}

#[test]
fn unknown_ca_is_unknown_ca() {
    // The committed server certificate, a client trusting only an unrelated rcgen CA.
    let other = rcgen_ca("some other CA");
    rejects_certificate(
        trusting(&other),
        "localhost",
        server_config(false),
        CertificateError::UnknownIssuer,
        A::UnknownCa,
    );
    // An rcgen chain whose intermediate the server does not send.
    let root = rcgen_ca("rcgen root");
    let inter = rcgen_intermediate(&root);
    let (leaf, key) = rcgen_leaf(&inter, |_| {});
    rejects_certificate(
        trusting(&root),
        "localhost",
        serving(vec![leaf.clone()], key.clone_key()),
        CertificateError::UnknownIssuer,
        A::UnknownCa,
    );
    // Control: the same chain with its intermediate connects.
    let (mut c, mut s) = connect(
        trusting(&root),
        "localhost",
        serving(vec![leaf, inter.der().clone()], key),
    );
    handshake(&mut c, &mut s).expect("full chain verifies");
}

#[test]
fn expired_or_not_yet_valid_leaf_is_certificate_expired() {
    let ca = rcgen_ca("rcgen test CA");
    // Control: a leaf with rcgen's default validity under the same CA connects.
    let (leaf, key) = rcgen_leaf(&ca, |_| {});
    let (mut c, mut s) = connect(trusting(&ca), "localhost", serving(vec![leaf], key));
    handshake(&mut c, &mut s).expect("valid leaf");

    let (leaf, key) = rcgen_leaf(&ca, |p| {
        p.not_before = date_time_ymd(2000, 1, 1);
        p.not_after = date_time_ymd(2001, 1, 1);
    });
    rejects_certificate(
        trusting(&ca),
        "localhost",
        serving(vec![leaf], key),
        CertificateError::Expired,
        A::CertificateExpired,
    );

    let (leaf, key) = rcgen_leaf(&ca, |p| {
        p.not_before = date_time_ymd(2090, 1, 1);
        p.not_after = date_time_ymd(2100, 1, 1);
    });
    rejects_certificate(
        trusting(&ca),
        "localhost",
        serving(vec![leaf], key),
        CertificateError::NotValidYet,
        A::CertificateExpired,
    );
}

#[test]
fn leaf_not_for_server_auth_is_bad_certificate() {
    let ca = rcgen_ca("rcgen test CA");
    let (leaf, key) = rcgen_leaf(&ca, |p| {
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    });
    let (mut c, mut s) = connect(trusting(&ca), "localhost", serving(vec![leaf], key));
    transfer(&mut c, &mut s).expect("ClientHello accepted");
    let got = feed(&mut c, &drain(&mut s));
    let err = got.clone().expect_err("client-auth-only leaf refused");
    assert!(
        matches!(err, Error::InvalidCertificate(CertificateError::Other(_))),
        "{err:?}"
    );
    let out = failed_in_clear(&mut c, got, err, A::BadCertificate);
    receives_alert(&mut s, &out, A::BadCertificate);
}

/// RFC 5246 7.4.2 / RFC 8446 4.4.2.2: the server's key signs the ServerKeyExchange, so a
/// keyUsage extension must allow digitalSignature. webpki does not check it; spectls does
/// (BoGo's ECDSAKeyUsage-Client). A leaf without the extension, or with the bit among others,
/// connects.
#[test]
fn server_key_without_digital_signature_usage_is_unsupported_certificate() {
    use KeyUsagePurpose::*;
    let ca = rcgen_ca("rcgen test CA");
    for usages in [
        vec![],
        vec![DigitalSignature],
        vec![KeyEncipherment, DigitalSignature],
    ] {
        let (leaf, key) = rcgen_leaf(&ca, |p| p.key_usages = usages.clone());
        let (mut c, mut s) = connect(trusting(&ca), "localhost", serving(vec![leaf], key));
        handshake(&mut c, &mut s).unwrap_or_else(|e| panic!("{usages:?}: {e}"));
    }
    for usages in [vec![KeyAgreement], vec![KeyEncipherment, KeyCertSign]] {
        let (leaf, key) = rcgen_leaf(&ca, |p| p.key_usages = usages);
        rejects_certificate(
            trusting(&ca),
            "localhost",
            serving(vec![leaf], key),
            CertificateError::KeyUsage,
            A::UnsupportedCertificate,
        );
    }
}

/// The same for a client certificate, whose key signs the CertificateVerify (RFC 5246 7.4.8;
/// BoGo's ECDSAKeyUsage-Server): the server refuses it after verifying the chain.
#[test]
fn client_key_without_digital_signature_usage_is_unsupported_certificate() {
    use KeyUsagePurpose::*;
    let ca = rcgen_ca("rcgen client CA");
    let mut client_roots = spectls::pki::RootCertStore::empty();
    client_roots.add(ca.der().clone()).expect("root");
    let server = Arc::new(client_auth_server(client_roots));
    for (usages, accepted) in [(vec![DigitalSignature], true), (vec![KeyAgreement], false)] {
        let (leaf, key) = rcgen_leaf(&ca, |p| {
            p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
            p.key_usages = usages.clone();
        });
        let client = ClientConfig::builder()
            .with_root_certificates(roots())
            .with_client_auth_cert(vec![leaf], key)
            .expect("client certificate")
            .build()
            .expect("client config");
        let mut c = ClientConnection::new(Arc::new(client), "localhost".try_into().unwrap())
            .expect("client");
        let mut s = ServerConnection::new(server.clone()).expect("server");
        let got = handshake(&mut c, &mut s);
        if accepted {
            got.unwrap_or_else(|e| panic!("{usages:?}: {e}"));
            continue;
        }
        // The first error is the server's, on the client's second flight.
        assert_eq!(
            got,
            Err(Error::InvalidCertificate(CertificateError::KeyUsage)),
            "{usages:?}"
        );
        assert_eq!(
            Error::InvalidCertificate(CertificateError::KeyUsage).alert(),
            Some(A::UnsupportedCertificate)
        );
    }
}

#[test]
fn ip_address_name_connects_without_sni() {
    let name = ServerName::try_from("127.0.0.1").expect("IP address");
    assert!(matches!(name, ServerName::IpAddress(_)));
    let sni_of = |c: &mut ClientConnection| {
        let hello = drain(c);
        let msgs = handshake_messages(&hello);
        let Handshake::ClientHello(ch) = decode_hs(&msgs[0]) else {
            panic!("not a ClientHello")
        };
        let has_sni = ch
            .extensions
            .expect("extensions")
            .iter()
            .any(|e| e.selector() == ExtensionType::ServerName);
        (has_sni, hello)
    };
    // Control: with a DNS name the same configuration sends SNI.
    let (mut dns, _) = pair(client_config(), server_config(false));
    assert!(sni_of(&mut dns).0);

    for rsa in [false, true] {
        let mut c = ClientConnection::new(Arc::new(client_config()), name.clone()).expect("client");
        let mut s = ServerConnection::new(Arc::new(server_config(rsa))).expect("server");
        let (has_sni, hello) = sni_of(&mut c);
        assert!(
            !has_sni,
            "no server_name extension for an IP address (RFC 6066 3)"
        );
        feed(&mut s, &hello).expect("ClientHello");
        handshake(&mut c, &mut s).expect("127.0.0.1 is in the certificate");
        assert_eq!(s.server_name(), None);
        assert!(c.peer_certificates().is_some());
        c.writer().write_all(b"over an IP").unwrap();
        transfer(&mut c, &mut s).unwrap();
        let mut buf = [0u8; 32];
        let n = s.reader().read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"over an IP");
    }
}
