//! Issue 9's TLS 1.2 hardening, items 2 and 3: version tolerance, and the right alert for the
//! right fault. Each test failed before its fix (the note on each says what it got then).
//!
//! Everything runs in process over memory (sans-IO), peers included (rustls as the real
//! TLS 1.3-capable client).

mod common;

use common::*;
use spectls::codec::Encode;
use spectls::wire::{
    tls12::Certificate, tls12::Handshake, ASN1Cert, AlertDescription as A, ContentType,
    HandshakeType, ProtocolVersion,
};
use spectls::{CertificateError, Error, IoState, ServerConnection};
use std::io::Write;
use std::sync::Arc;

/// The error in `got`, which must be an `UnexpectedMessage`.
#[track_caller]
fn unexpected(got: &Result<IoState, Error>) -> Error {
    match got {
        Err(e @ Error::UnexpectedMessage { .. }) => e.clone(),
        other => panic!("expected UnexpectedMessage, got {other:?}"),
    }
}

// ------------------------------------------------------------------------------------------
// 2. Version tolerance (RFC 5246 appendix E.1, RFC 8446 appendix D)
// ------------------------------------------------------------------------------------------

/// Before: {4,1} and {254,254} got a protocol_version alert.
#[test]
fn client_version_above_tls12_gets_a_tls12_server_hello() {
    for (major, minor) in [(3, 4), (3, 255), (4, 1), (254, 254), (255, 255)] {
        let msg = client_hello_message();
        let Handshake::ClientHello(mut ch) = decode_hs(&msg) else {
            panic!("a ClientHello")
        };
        ch.client_version = ProtocolVersion { major, minor };
        let mut s = fresh_server();
        feed(
            &mut s,
            &frame(ContentType::Handshake, &Handshake::ClientHello(ch).to_vec()),
        )
        .unwrap_or_else(|e| panic!("{{{major},{minor}}} refused: {e}"));
        let recs = split_records(&drain(&mut s));
        let Handshake::ServerHello(sh) = decode_hs(fragment_of(&recs[0].1)) else {
            panic!("not a ServerHello")
        };
        assert_eq!(sh.server_version, TLS12, "{{{major},{minor}}}");
        assert_eq!(s.protocol_version(), Some(TLS12));
    }
}

/// A real TLS 1.3-capable client (rustls with both versions) completes a TLS 1.2 handshake
/// with the spectls server and exchanges data.
#[test]
fn rustls_offering_tls13_and_tls12_negotiates_tls12() {
    let config = RustlsClient {
        tls13: true,
        ..RustlsClient::default()
    }
    .config();
    let mut r = rustls_client_with(&Arc::new(config));
    let mut s = fresh_server();
    for _ in 0..4 {
        feed(&mut s, &rustls_out(&mut r)).expect("spectls accepts rustls's bytes");
        feed_rustls(&mut r, &drain(&mut s)).expect("rustls accepts spectls's bytes");
    }
    assert!(!s.is_handshaking() && !r.is_handshaking());
    assert_eq!(r.protocol_version(), Some(rustls::ProtocolVersion::TLSv1_2));
    assert_eq!(s.protocol_version(), Some(TLS12));
    s.writer().write_all(b"over TLS 1.2").expect("write");
    feed_rustls(&mut r, &drain(&mut s)).expect("rustls accepts spectls's bytes");
    let mut got = [0u8; 32];
    let n = std::io::Read::read(&mut r.reader(), &mut got).expect("rustls reads");
    assert_eq!(&got[..n], b"over TLS 1.2");
}

// ------------------------------------------------------------------------------------------
// 3. The right alert for the right fault
// ------------------------------------------------------------------------------------------

/// A handshake message of type `typ` whose body is `body`, framed by hand (it need not parse).
fn raw_message(typ: HandshakeType, body: &[u8]) -> Vec<u8> {
    let mut msg = vec![typ.value()];
    msg.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    msg.extend_from_slice(body);
    msg
}

/// Before: a Finished of the wrong length to a fresh server got decode_error, a ClientKeyExchange
/// with a malformed point decode_error; now the (state, type) pair is refused from the header.
#[test]
fn out_of_place_messages_are_unexpected_whatever_their_body() {
    for (typ, body) in [
        (HandshakeType::Finished, &[0xff; 3][..]),
        (HandshakeType::ClientKeyExchange, &[0xff; 7][..]),
        (HandshakeType::ServerHelloDone, &[1, 2, 3][..]),
        (HandshakeType::CertificateVerify, &[][..]),
    ] {
        let mut s = fresh_server();
        let got = feed(
            &mut s,
            &frame(ContentType::Handshake, &raw_message(typ, body)),
        );
        let want = unexpected(&got);
        failed_in_clear(&mut s, got, want, A::UnexpectedMessage);
    }
    // The client too: a Finished (3 bytes, malformed) where the ServerHello should be.
    let (mut c, _) = pair(client_config(), server_config(false));
    drain(&mut c);
    let got = feed(
        &mut c,
        &frame(
            ContentType::Handshake,
            &raw_message(HandshakeType::Finished, &[0; 3]),
        ),
    );
    let want = unexpected(&got);
    failed_in_clear(&mut c, got, want, A::UnexpectedMessage);
}

/// Before: the server waited for the whole 60,000-byte body of a Certificate it could never
/// accept. Now the header alone is refused.
#[test]
fn out_of_place_message_is_refused_at_its_header_before_its_body() {
    // Whatever it announces: out of place comes before too large.
    for len in [60_000u32, 200_000] {
        let mut s = fresh_server();
        let mut head = vec![HandshakeType::Certificate.value()];
        head.extend_from_slice(&len.to_be_bytes()[1..]);
        let got = feed(&mut s, &frame(ContentType::Handshake, &head));
        let want = unexpected(&got);
        failed_in_clear(&mut s, got, want, A::UnexpectedMessage);
    }
}

/// The client's second flight, cut before its ChangeCipherSpec: the server is then waiting for
/// ChangeCipherSpec.
fn server_expecting_change_cipher_spec() -> ServerConnection {
    let (mut c, mut s) = pair(client_config(), server_config(false));
    transfer(&mut c, &mut s).expect("ClientHello");
    transfer(&mut s, &mut c).expect("server flight");
    let flight = split_records(&drain(&mut c));
    let ccs = flight
        .iter()
        .position(|(t, _)| *t == ContentType::ChangeCipherSpec)
        .expect("a ChangeCipherSpec");
    for (_, record) in &flight[..ccs] {
        feed(&mut s, record).expect("ClientKeyExchange");
    }
    s
}

/// Before: `02` got illegal_parameter and `01 01` decode_error. RFC 8446 5 and OpenSSL:
/// unexpected_message. The control shows the state takes a genuine one.
#[test]
fn change_cipher_spec_that_is_not_the_byte_1_is_unexpected_message() {
    for payload in [&[2u8][..], &[1, 1][..], &[0][..]] {
        let mut s = server_expecting_change_cipher_spec();
        let got = feed(&mut s, &frame(ContentType::ChangeCipherSpec, payload));
        let want = unexpected(&got);
        failed_in_clear(&mut s, got, want, A::UnexpectedMessage);
    }
    let mut s = server_expecting_change_cipher_spec();
    feed(&mut s, &frame(ContentType::ChangeCipherSpec, &[1])).expect("a genuine one");
}

/// Before: decode_error. The Certificate message is well framed; the DER inside is corrupt:
/// RFC 5246 7.2.2 bad_certificate.
#[test]
fn certificate_whose_der_does_not_parse_is_bad_certificate() {
    for der in [
        &b"\x30\x03abc"[..],
        &b"not DER at all"[..],
        &[0x30, 0x82, 0xff][..],
    ] {
        let (mut c, mut s) = pair(client_config(), server_config(false));
        transfer(&mut c, &mut s).expect("ClientHello");
        let recs = split_records(&drain(&mut s));
        assert_eq!(recs[0].0, ContentType::Handshake);
        feed(&mut c, &recs[0].1).expect("ServerHello");
        let bad = Handshake::Certificate(Certificate {
            certificate_list: vec![ASN1Cert(der)],
        })
        .to_vec();
        let got = feed(&mut c, &frame(ContentType::Handshake, &bad));
        failed_in_clear(
            &mut c,
            got,
            Error::InvalidCertificate(CertificateError::BadEncoding),
            A::BadCertificate,
        );
    }
}

/// Before: after our close_notify, a fatal alert (or a no_renegotiation warning) still went
/// out. RFC 5246 7.2.1: close_notify is the last thing we send.
#[test]
fn nothing_is_sent_after_our_close_notify() {
    // A record that fails authentication after we closed: an error, but no alert.
    let (mut c, mut s) = pair(client_config(), server_config(false));
    handshake(&mut c, &mut s).expect("handshake");
    s.send_close_notify();
    let close = split_records(&drain(&mut s));
    assert_eq!(close.len(), 1);
    assert_eq!(close[0].0, ContentType::Alert);
    let got = feed(
        &mut s,
        &[
            23, 3, 3, 0, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
        ],
    );
    assert_eq!(got, Err(Error::BadRecordMac));
    assert!(!s.wants_write(), "no alert after close_notify");
    assert!(drain(&mut s).is_empty());

    // Closing mid-handshake: the peer's flight gets no answer at all.
    let (mut c, mut s) = pair(client_config(), server_config(false));
    transfer(&mut c, &mut s).expect("ClientHello");
    c.send_close_notify();
    assert_eq!(split_records(&drain(&mut c)).len(), 1, "the close_notify");
    transfer(&mut s, &mut c).expect("server flight");
    assert!(
        drain(&mut c).is_empty(),
        "no ClientKeyExchange, CCS or Finished"
    );
    // ...nor does a malformed message that follows.
    let got = feed(
        &mut c,
        &frame(
            ContentType::Handshake,
            &raw_message(HandshakeType::Finished, &[]),
        ),
    );
    assert!(got.is_err());
    assert!(drain(&mut c).is_empty(), "no alert after close_notify");
}
