//! Keying-material exporters (RFC 5705) on TLS 1.2 connections: spectls and rustls export the
//! same bytes for the same label and context, in both directions, for every suite, in full and
//! resumed handshakes; no context and an empty context differ; the labels TLS reserves, and
//! exports before the handshake completes or after a fatal error, are refused.

mod common;

use common::*;
use spectls::crypto::prf::RESERVED_EXPORTER_LABELS;
use spectls::crypto::suites::{SignatureFamily, TLS12_CIPHER_SUITES};
use spectls::{ClientConnection, ConnectionCommon, Error, ServerConnection};
use std::sync::Arc;

const LABEL: &[u8] = b"EXPORTER-spectls-test";

/// The contexts every comparison runs with: none, empty, short, and one of 300 bytes.
fn contexts() -> Vec<Option<Vec<u8>>> {
    vec![
        None,
        Some(Vec::new()),
        Some(b"context".to_vec()),
        Some((0..300).map(|i| i as u8).collect()),
    ]
}

/// spectls' export of `len` bytes.
fn ours(conn: &ConnectionCommon, len: usize, context: Option<&[u8]>) -> Vec<u8> {
    conn.export_keying_material(vec![0u8; len], LABEL, context)
        .expect("spectls export")
}

/// rustls' export of `len` bytes.
fn theirs(conn: &rustls::Connection, len: usize, context: Option<&[u8]>) -> Vec<u8> {
    conn.export_keying_material(vec![0u8; len], LABEL, context)
        .expect("rustls export")
}

/// Both ends agree on every context and on a 1-byte, a 32-byte and a 200-byte output (several
/// PRF blocks); every 32- and 200-byte result is distinct from the others of the same length.
fn same_exports(spectls: &ConnectionCommon, rustls: &rustls::Connection) {
    for len in [1, 32, 200] {
        let mut seen = Vec::new();
        for context in contexts() {
            let a = ours(spectls, len, context.as_deref());
            let b = theirs(rustls, len, context.as_deref());
            assert_eq!(a, b, "length {len}, context {context:?}");
            assert_eq!(a.len(), len);
            // One byte is too few to tell contexts apart: 4 random bytes collide 2.3% of the
            // time, and this runs for many handshakes. Longer outputs must all differ.
            if len > 1 {
                assert!(
                    !seen.contains(&a),
                    "length {len}: {context:?} repeats an export"
                );
                seen.push(a);
            }
        }
    }
    // Another label, other bytes.
    let a = spectls
        .export_keying_material([0u8; 32], b"EXPORTER-other", None)
        .unwrap();
    let b = rustls
        .export_keying_material([0u8; 32], b"EXPORTER-other", None)
        .unwrap();
    assert_eq!(a, b);
    assert_ne!(a[..], ours(spectls, 32, None)[..]);
}

#[test]
fn spectls_client_and_rustls_server_export_the_same_bytes_for_every_suite() {
    for suite in TLS12_CIPHER_SUITES {
        let server = Arc::new(
            RustlsServer {
                suite: Some(suite.suite),
                rsa: suite.family == SignatureFamily::Rsa,
                ..RustlsServer::default()
            }
            .config(),
        );
        let client = Arc::new(client_with(|b| b.with_cipher_suites(&[suite])));
        for resumed in [false, true] {
            let mut peer = rustls_server_with(&server);
            let mut c = ClientConnection::new(client.clone(), "localhost".try_into().unwrap())
                .expect("client");
            // The client speaks first.
            rustls_in(&mut peer, &drain(&mut c));
            rustls_handshake(&mut peer, &mut c);
            assert_eq!(c.negotiated_cipher_suite(), Some(suite.suite));
            assert_eq!(c.is_resumed(), resumed, "{:?}", suite.suite);
            same_exports(&c, &peer);
        }
    }
}

#[test]
fn rustls_client_and_spectls_server_export_the_same_bytes_for_every_suite() {
    for suite in TLS12_CIPHER_SUITES {
        let client = Arc::new(
            RustlsClient {
                suite: Some(suite.suite),
                ..RustlsClient::default()
            }
            .config(),
        );
        let server = Arc::new(server_config(suite.family == SignatureFamily::Rsa));
        for resumed in [false, true] {
            let mut peer = rustls_client_with(&client);
            let mut s = ServerConnection::new(server.clone()).expect("server");
            rustls_handshake(&mut peer, &mut s);
            assert_eq!(s.negotiated_cipher_suite(), Some(suite.suite));
            assert_eq!(s.is_resumed(), resumed, "{:?}", suite.suite);
            same_exports(&s, &peer);
        }
    }
}

/// Two spectls ends agree too, and a new connection (new randoms, new master secret) exports
/// other bytes.
#[test]
fn spectls_pair_exports_the_same_bytes_and_each_connection_its_own() {
    let (c, s) = connected(TLS12_CIPHER_SUITES[0]);
    for context in contexts() {
        assert_eq!(
            ours(&c, 48, context.as_deref()),
            ours(&s, 48, context.as_deref())
        );
    }
    let (c2, _) = connected(TLS12_CIPHER_SUITES[0]);
    assert_ne!(ours(&c, 48, None), ours(&c2, 48, None));
}

/// The labels RFC 5705 section 4 (and RFC 7627) reserve for TLS itself are refused on both
/// sides, whatever the context, and the connection goes on working.
#[test]
fn reserved_labels_are_refused() {
    let (mut c, mut s) = connected(TLS12_CIPHER_SUITES[0]);
    for label in RESERVED_EXPORTER_LABELS {
        for context in [None, Some(&b""[..])] {
            for conn in [&*c, &*s] {
                assert!(
                    matches!(
                        conn.export_keying_material([0u8; 12], label, context),
                        Err(Error::ApiMisuse(_))
                    ),
                    "{}",
                    String::from_utf8_lossy(label)
                );
            }
        }
    }
    let too_long = vec![0u8; 65536];
    assert!(matches!(
        c.export_keying_material([0u8; 12], LABEL, Some(&too_long)),
        Err(Error::ApiMisuse(_))
    ));
    // Not sticky: exports and data still work.
    assert_eq!(ours(&c, 16, None), ours(&s, 16, None));
    std::io::Write::write_all(&mut c.writer(), b"still up").unwrap();
    transfer(&mut c, &mut s).unwrap();
    assert_eq!(read_all(&mut s), b"still up");
}

/// Nothing is exported before the handshake completes: not on a fresh connection, not midway
/// (the client has sent its Finished but not yet checked the server's).
#[test]
fn no_export_before_the_handshake_completes() {
    let not_yet = |conn: &ConnectionCommon| {
        assert!(matches!(
            conn.export_keying_material([0u8; 32], LABEL, None),
            Err(Error::ApiMisuse(_))
        ));
    };
    let (mut c, mut s) = pair(client_config(), server_config(false));
    not_yet(&c);
    not_yet(&s);
    transfer(&mut c, &mut s).unwrap(); // ClientHello
    transfer(&mut s, &mut c).unwrap(); // ServerHello .. ServerHelloDone
    transfer(&mut c, &mut s).unwrap(); // ClientKeyExchange, ChangeCipherSpec, Finished
    assert!(c.is_handshaking());
    not_yet(&c);
    // The server has checked the client's Finished and sent its own: complete on its side.
    assert!(!s.is_handshaking());
    let server_side = ours(&s, 32, None);
    transfer(&mut s, &mut c).unwrap();
    assert!(!c.is_handshaking());
    assert_eq!(ours(&c, 32, None), server_side);
}

/// After a fatal error the export returns that error.
#[test]
fn no_export_after_a_fatal_error() {
    let (mut c, mut s) = connected(TLS12_CIPHER_SUITES[0]);
    let before = ours(&c, 32, None);
    assert_eq!(ours(&s, 32, None), before);
    // A record whose ciphertext is corrupted: bad_record_mac, fatal.
    std::io::Write::write_all(&mut s.writer(), b"data").unwrap();
    let mut bytes = drain(&mut s);
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let err = feed(&mut c, &bytes).unwrap_err();
    assert_eq!(err, Error::BadRecordMac);
    assert_eq!(
        c.export_keying_material([0u8; 32], LABEL, None),
        Err(Error::BadRecordMac)
    );
}
