//! The engine in process: spectls client against spectls server over memory, the state tables.

mod common;

use common::*;
use spectls::crypto::suites::SignatureFamily;
use spectls::crypto::suites::TLS12_CIPHER_SUITES;
use spectls::internal::tables::{
    client13_transitions, client_transitions, render_dot, render_table, server13_transitions,
    server_transitions,
};
use spectls::wire::NamedCurve;
use spectls::ClientConfig;
use std::io::{Read, Write};

#[test]
fn state_tables() {
    let (client, server) = (client_transitions(), server_transitions());
    insta::assert_snapshot!("client_transitions", render_table(&client));
    insta::assert_snapshot!("server_transitions", render_table(&server));
    insta::assert_snapshot!("client_dot", render_dot("client", &client));
    insta::assert_snapshot!("server_dot", render_dot("server", &server));
    let (client, server) = (client13_transitions(), server13_transitions());
    insta::assert_snapshot!("client13_transitions", render_table(&client));
    insta::assert_snapshot!("server13_transitions", render_table(&server));
    insta::assert_snapshot!("client13_dot", render_dot("client13", &client));
    insta::assert_snapshot!("server13_dot", render_dot("server13", &server));
}

/// `Reader` as `BufRead` (what the async adapter reads through): `fill_buf` gives the received
/// plaintext a record at a time without a copy, `consume` takes part or all of it, and with
/// none buffered it answers as `read` does (`WouldBlock`, then an empty slice after
/// close_notify).
#[test]
fn reader_fill_buf_gives_records_in_place() {
    use spectls::crypto::suites::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
    use std::io::BufRead;
    let pairs = [
        connected(&TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
        common::tls13::connected13(),
    ];
    for (mut c, mut s) in pairs {
        let err = s.reader().fill_buf().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
        // Three records: 16384 + 16384 + 7232 bytes.
        let big: Vec<u8> = (0..40_000u32).map(|i| (i % 251) as u8).collect();
        c.writer().write_all(&big).unwrap();
        transfer(&mut c, &mut s).unwrap();
        let first = s.reader().fill_buf().unwrap().to_vec();
        assert_eq!(first.len(), 16384, "one record's plaintext at a time");
        assert_eq!(first, big[..16384]);
        s.reader().consume(100);
        assert_eq!(s.reader().fill_buf().unwrap(), &big[100..16384]);
        let mut got = big[..100].to_vec();
        loop {
            let mut reader = s.reader();
            let chunk = match reader.fill_buf() {
                Ok(chunk) => chunk.to_vec(),
                Err(e) => {
                    assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock);
                    break;
                }
            };
            got.extend_from_slice(&chunk);
            // More than there is counts as all of it.
            reader.consume(chunk.len() + 7);
        }
        assert_eq!(got, big);
        c.send_close_notify();
        transfer(&mut c, &mut s).unwrap();
        assert_eq!(s.reader().fill_buf().unwrap(), b"");
        let mut buf = [0u8; 16];
        assert_eq!(s.reader().read(&mut buf).unwrap(), 0);
    }
}

#[test]
fn every_suite_and_group_completes_and_carries_data() {
    for suite in TLS12_CIPHER_SUITES {
        for group in [
            NamedCurve::X25519,
            NamedCurve::Secp256r1,
            NamedCurve::Secp384r1,
        ] {
            let rsa = suite.family == SignatureFamily::Rsa;
            // RFC 8422 5.3: the client must list the ECDSA certificate's curve (P-256) too; the
            // server is limited to `group` for the key exchange.
            let client = ClientConfig::builder()
                .with_root_certificates(roots())
                .with_cipher_suites(&[suite])
                .with_groups(&[group, NamedCurve::Secp256r1])
                .build()
                .unwrap();
            let (mut c, mut s) = pair(client, server_config_with_groups(rsa, &[group]));
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
    let server = server_builder(false)
        .with_alpn_protocols(vec![b"h2".to_vec(), b"http/1.1".to_vec()])
        .build()
        .unwrap();
    let (mut c, mut s) = pair(client, server);
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(c.alpn_protocol(), Some(&b"h2"[..]));
    assert_eq!(s.alpn_protocol(), Some(&b"h2"[..]));
}

/// Handshake bytes in records of at most `size` bytes.
fn handshake_records(payload: &[u8], size: usize) -> Vec<u8> {
    records_of(spectls::wire::ContentType::Handshake, payload, size)
}

#[test]
fn handshake_messages_split_across_records_and_coalesced() {
    for size in [1, 7, 16_384] {
        let (mut c, mut s) = pair(client_config(), server_config(false));
        // The ClientHello, one byte (or 7, or all) per record.
        let hello = handshake_payload(&drain(&mut c));
        feed(&mut s, &handshake_records(&hello, size)).unwrap();
        // The server's first flight: four messages, split or coalesced into one record.
        let flight = handshake_payload(&drain(&mut s));
        feed(&mut c, &handshake_records(&flight, size))
            .unwrap_or_else(|e| panic!("records of {size}: {e}"));
        handshake(&mut c, &mut s).unwrap();
        assert!(!c.is_handshaking() && !s.is_handshaking());
    }
}

#[test]
fn another_record_type_inside_a_fragmented_message_is_refused() {
    use spectls::wire::{AlertDescription, AlertLevel, ContentType};
    let (mut c, mut s) = pair(client_config(), server_config(false));
    let hello = handshake_payload(&drain(&mut c));
    let mut bytes = handshake_records(&hello[..10], 10);
    let warning = alert_payload(AlertLevel::Warning, AlertDescription::UserCanceled);
    bytes.extend(frame(ContentType::Alert, &warning));
    let err = feed(&mut s, &bytes).unwrap_err();
    assert_eq!(
        err,
        spectls::Error::PeerMisbehaved(spectls::PeerMisbehaved::HandshakeFragmentation)
    );
    assert_eq!(err.alert(), Some(AlertDescription::UnexpectedMessage));
}

#[test]
fn empty_records() {
    use spectls::wire::ContentType;
    // An empty handshake record is not allowed (RFC 5246 6.2.1)...
    let (_, mut s) = pair(client_config(), server_config(false));
    let empty = frame(ContentType::Handshake, &[]);
    assert!(matches!(
        feed(&mut s, &empty),
        Err(spectls::Error::UnexpectedMessage { .. })
    ));
    // ...an empty application data record is, and carries nothing.
    let (mut c, mut s) = pair(client_config(), server_config(false));
    handshake(&mut c, &mut s).unwrap();
    c.writer().write_all(b"").unwrap();
    c.writer().write_all(b"x").unwrap();
    transfer(&mut c, &mut s).unwrap();
    let mut buf = [0u8; 4];
    assert_eq!(s.reader().read(&mut buf).unwrap(), 1);
}

#[test]
fn unknown_values_from_the_client_are_ignored() {
    use spectls::codec::Encode;
    use spectls::wire::tls12::Handshake;
    use spectls::wire::*;
    let (mut c, mut s) = pair(client_config(), server_config(false));
    let payload = handshake_payload(&drain(&mut c));
    let Handshake::ClientHello(mut ch) = Handshake::from_bytes(
        &payload,
        Some(KeyExchangeAlgorithm::EcDiffieHellman),
        Some(PublicValueEncoding::Explicit),
    )
    .unwrap() else {
        panic!("not a ClientHello")
    };
    // GREASE-style values (RFC 8701) everywhere a client may list things.
    ch.cipher_suites.insert(0, CipherSuite::Unknown(0x0a0a));
    let mut exts = ch.extensions.take().unwrap();
    for e in exts.iter_mut() {
        match e {
            Extension::EllipticCurves(g) => {
                g.named_curve_list.insert(0, NamedCurve::Unknown(0x1a1a))
            }
            Extension::SignatureAlgorithms(a) => a.supported_signature_algorithms.insert(
                0,
                SignatureAndHashAlgorithm {
                    hash: HashAlgorithm::Unknown(0x2a),
                    signature: SignatureAlgorithm::Unknown(0x2a),
                },
            ),
            _ => {}
        }
    }
    exts.insert(0, Extension::Unknown(ExtensionType::Unknown(0x3a3a), &[0]));
    ch.extensions = Some(exts);
    let hello = Handshake::ClientHello(ch).to_vec();
    feed(&mut s, &handshake_records(&hello, 16_384)).unwrap();
    let flight = handshake_payload(&drain(&mut s));
    assert!(
        flight.len() > 300,
        "the server answered with its whole first flight"
    );
    assert_eq!(
        s.negotiated_cipher_suite(),
        Some(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
    );
}

#[test]
fn ecdsa_suites_need_the_certificate_curve_in_supported_groups() {
    // RFC 8422 5.3: with only X25519 offered, the P-256 certificate cannot sign for ECDHE_ECDSA.
    let client = ClientConfig::builder()
        .with_root_certificates(roots())
        .with_groups(&[NamedCurve::X25519])
        .build()
        .unwrap();
    let (mut c, mut s) = pair(client, server_config(false));
    let err = handshake(&mut c, &mut s).unwrap_err();
    // The error names the cause (issue 9.3), not "no cipher suite in common".
    assert_eq!(
        err,
        spectls::Error::PeerIncompatible(spectls::PeerIncompatible::CertificateCurveNotOffered)
    );
    assert_eq!(
        err.alert(),
        Some(spectls::wire::AlertDescription::HandshakeFailure)
    );
    // An RSA server has no such constraint.
    let client = ClientConfig::builder()
        .with_root_certificates(roots())
        .with_groups(&[NamedCurve::X25519])
        .build()
        .unwrap();
    let (mut c, mut s) = pair(client, server_config(true));
    handshake(&mut c, &mut s).unwrap();
}

/// A transport that takes at most 100 bytes per write.
struct Trickle(Vec<u8>);

impl Write for Trickle {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = buf.len().min(100);
        self.0.extend_from_slice(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn partial_transport_writes_deliver_everything_in_order() {
    let (mut c, mut s) = pair(client_config(), server_config(false));
    handshake(&mut c, &mut s).unwrap();
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    c.writer().write_all(&data).unwrap();
    let mut t = Trickle(Vec::new());
    let mut calls = 0;
    while c.wants_write() {
        c.write_tls(&mut t).unwrap();
        calls += 1;
    }
    assert!(calls > 1000, "{calls} calls");
    // Read the plaintext as it arrives: the receiver refuses more input while 64 KiB is unread.
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    feed_each(&mut *s, &t.0, |s, processed| {
        processed.unwrap();
        while let Ok(n) = s.reader().read(&mut buf) {
            got.extend_from_slice(&buf[..n]);
        }
        Ok::<(), ()>(())
    })
    .unwrap();
    assert_eq!(got, data);
}
