//! The engine in process: spectls client against spectls server over memory, the state tables.

mod common;

use common::*;
use spectls::client::CLIENT_TRANSITIONS;
use spectls::handshake::{render_dot, render_table};
use spectls::server::SERVER_TRANSITIONS;
use spectls::suites::SignatureFamily;
use spectls::suites::ALL_CIPHER_SUITES;
use spectls::wire::NamedCurve;
use spectls::{ClientConfig, ServerConfig};
use std::io::{Read, Write};

#[test]
fn state_tables() {
    insta::assert_snapshot!("client_transitions", render_table(CLIENT_TRANSITIONS));
    insta::assert_snapshot!("server_transitions", render_table(SERVER_TRANSITIONS));
    insta::assert_snapshot!("client_dot", render_dot("client", CLIENT_TRANSITIONS));
}

#[test]
fn every_suite_and_group_completes_and_carries_data() {
    for suite in ALL_CIPHER_SUITES {
        for group in [
            NamedCurve::X25519,
            NamedCurve::Secp256r1,
            NamedCurve::Secp384r1,
        ] {
            let rsa = suite.family == SignatureFamily::Rsa;
            let client = ClientConfig::builder()
                .with_root_certificates(roots())
                .with_cipher_suites(&[suite])
                .with_groups(&[group])
                .build()
                .unwrap();
            let (mut c, mut s) = pair(client, server_config(rsa));
            handshake(&mut c, &mut s)
                .unwrap_or_else(|e| panic!("{:?} {group:?}: {e}", suite.suite));
            assert_eq!(c.negotiated_cipher_suite(), Some(suite.suite));
            assert_eq!(s.negotiated_cipher_suite(), Some(suite.suite));
            assert_eq!(c.negotiated_group(), Some(group));
            assert!(c.extended_master_secret() && s.extended_master_secret());
            assert_eq!(s.server_name(), Some("localhost"));
            // Data both ways, including a write bigger than one record.
            let big = vec![0x5a; 40_000];
            c.writer().write_all(&big).unwrap();
            transfer(&mut c, &mut s).unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 8192];
            while let Ok(n) = s.reader().read(&mut buf) {
                got.extend_from_slice(&buf[..n]);
            }
            assert_eq!(got, big);
            s.writer().write_all(b"pong").unwrap();
            transfer(&mut s, &mut c).unwrap();
            let n = c.reader().read(&mut buf).unwrap();
            assert_eq!(&buf[..n], b"pong");
            // close_notify both ways: a clean end of data.
            c.send_close_notify();
            transfer(&mut c, &mut s).unwrap();
            assert_eq!(s.reader().read(&mut buf).unwrap(), 0);
            s.send_close_notify();
            transfer(&mut s, &mut c).unwrap();
            assert_eq!(c.reader().read(&mut buf).unwrap(), 0);
        }
    }
}

#[test]
fn alpn_is_negotiated_by_server_preference() {
    let client = ClientConfig::builder()
        .with_root_certificates(roots())
        .with_alpn_protocols(vec![b"http/1.1".to_vec(), b"h2".to_vec()])
        .build()
        .unwrap();
    let server = ServerConfig::builder()
        .with_single_cert(
            spectls::sign::certs_from_pem(ECDSA_CHAIN).unwrap(),
            spectls::sign::private_key_from_pem(ECDSA_KEY).unwrap(),
        )
        .unwrap()
        .with_alpn_protocols(vec![b"h2".to_vec(), b"http/1.1".to_vec()])
        .build()
        .unwrap();
    let (mut c, mut s) = pair(client, server);
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(c.alpn_protocol(), Some(&b"h2"[..]));
    assert_eq!(s.alpn_protocol(), Some(&b"h2"[..]));
}
