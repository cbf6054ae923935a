//! Negative tests, messages out of order: an unexpected message in every state of both
//! handshake machines, renegotiation, and alerts. Every failure gives the right typed error on
//! the side that detects it, the right alert on the wire, the right `AlertReceived` on the other
//! side, and nothing panics.
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

use common::states::*;
use common::*;
use spectls::codec::{Codec, Encode};
use spectls::internal::tables::{client_transitions, server_transitions, InputKind, Transition};
use spectls::wire::{
    tls12::Handshake, Alert, AlertDescription as A, AlertLevel, ContentType, HandshakeType,
    HelloRequest,
};
use spectls::{Error, PeerMisbehaved, ServerConnection};
use std::io::{Read, Write};
use std::sync::Arc;

// ==========================================================================================
// Unexpected messages, every state of both machines
// ==========================================================================================

/// The handshake types only RFC 8446 names: they have no TLS 1.2 body, and tls-core refuses them
/// as unknown types.
const TLS13_ONLY: [HandshakeType; 7] = [
    HandshakeType::HelloVerifyRequestRESERVED,
    HandshakeType::EndOfEarlyData,
    HandshakeType::HelloRetryRequestRESERVED,
    HandshakeType::EncryptedExtensions,
    HandshakeType::SupplementalDataRESERVED,
    HandshakeType::KeyUpdate,
    HandshakeType::MessageHash,
];

#[test]
fn samples_cover_every_handshake_type() {
    let samples = sample_messages();
    for v in 0..=255u8 {
        if let Some(t) = HandshakeType::from_value(v).filter(|t| !TLS13_ONLY.contains(t)) {
            assert!(
                samples.iter().any(|m| decode_hs(m).selector() == t),
                "no sample of {t:?}"
            );
        }
    }
}

/// Drives a fresh connection to `state` for every input its table does not allow there and
/// checks the refusal: `UnexpectedMessage` naming the state and the input, sticky, and exactly one
/// fatal `unexpected_message` alert (opened with the victim's keys once it protects records).
fn unexpected_in_every_state(
    table: &[Transition],
    drive: fn(&'static str) -> AtState,
    skip: impl Fn(&str, InputKind) -> bool,
) -> usize {
    let mut checked = 0;
    for state in states_of(table) {
        for (kind, typ, payload) in injections() {
            if allowed(table, state, kind) || skip(state, kind) {
                continue;
            }
            let mut at = drive(state);
            assert_eq!(at.state, state);
            let got = at.inject(typ, &payload);
            let want = Error::UnexpectedMessage {
                state,
                got: kind.to_string(),
                expected: expected_in(table, state),
            };
            check_error(&mut at.victim, got, &want, A::UnexpectedMessage);
            assert_eq!(
                at.sent_alert(),
                fatal(A::UnexpectedMessage),
                "{state} on {kind}"
            );
            checked += 1;
        }
    }
    checked
}

/// RFC 5246 7.4.1.1: a HelloRequest while negotiating is ignored by the client, not refused;
/// `hello_request_while_negotiating_is_ignored*` cover it (the table allows it in most states).
fn hello_request_mid_handshake(state: &str, kind: InputKind) -> bool {
    state != "Connected" && kind == InputKind::Handshake(HandshakeType::HelloRequest)
}

#[test]
fn client_refuses_unexpected_messages_in_every_state() {
    let states = states_of(&client_transitions());
    assert!(states.len() >= 7, "{states:?}");
    let n = unexpected_in_every_state(
        &client_transitions(),
        client_at,
        hello_request_mid_handshake,
    );
    assert!(n >= states.len() * 10, "only {n} cases");
}

#[test]
fn server_refuses_unexpected_messages_in_every_state() {
    let states = states_of(&server_transitions());
    assert!(states.len() >= 5, "{states:?}");
    let n = unexpected_in_every_state(&server_transitions(), server_at, |_, _| false);
    assert!(n >= states.len() * 12, "only {n} cases");
}

#[test]
fn application_data_before_the_handshake_completes_is_unexpected() {
    for (table, drive) in [
        (
            client_transitions(),
            client_at as fn(&'static str) -> AtState,
        ),
        (server_transitions(), server_at),
    ] {
        for state in states_of(&table).into_iter().filter(|s| *s != "Connected") {
            let mut at = drive(state);
            let got = at.inject(ContentType::ApplicationData, b"too early");
            let err = got.clone().expect_err("application data refused");
            let Error::UnexpectedMessage { got: what, .. } = &err else {
                panic!("{state}: {err:?}")
            };
            assert_eq!(what, "application data");
            check_error(&mut at.victim, got, &err, A::UnexpectedMessage);
            assert_eq!(at.sent_alert(), fatal(A::UnexpectedMessage), "{state}");
            let mut buf = [0u8; 16];
            assert!(
                at.victim.reader().read(&mut buf).is_err(),
                "{state}: nothing delivered"
            );
        }
    }
}

#[test]
fn application_data_before_the_handshake_names_the_state() {
    for (table, drive) in [
        (
            client_transitions(),
            client_at as fn(&'static str) -> AtState,
        ),
        (server_transitions(), server_at),
    ] {
        for state in states_of(&table).into_iter().filter(|s| *s != "Connected") {
            let mut at = drive(state);
            let got = at.inject(ContentType::ApplicationData, b"too early");
            assert_eq!(
                got.unwrap_err(),
                Error::UnexpectedMessage {
                    state,
                    got: "application data".into(),
                    expected: expected_in(&table, state),
                }
            );
        }
    }
}

#[test]
fn hello_request_while_negotiating_is_ignored() {
    let hello_request = Handshake::HelloRequest(HelloRequest {}).to_vec();
    // In the clear, before each message of the server's first flight: ignored, kept out of the
    // transcript (or the Finished checks would fail), and the handshake completes.
    for k in 0..4 {
        let (mut c, mut s) = pair(client_config(), server_config(false));
        transfer(&mut c, &mut s).unwrap();
        let msgs = handshake_messages(&drain(&mut s));
        feed(&mut c, &reframe(&msgs[..k])).unwrap();
        feed(&mut c, &frame(ContentType::Handshake, &hello_request))
            .unwrap_or_else(|e| panic!("before message {k}: {e:?}"));
        assert!(!c.wants_write(), "nothing answers it");
        feed(&mut c, &reframe(&msgs[k..])).unwrap();
        handshake(&mut c, &mut s).expect("handshake completes");
    }
    // Protected, between the server's ChangeCipherSpec and Finished.
    let state = "ExpectFinished";
    assert!(allowed(
        &client_transitions(),
        state,
        InputKind::Handshake(HandshakeType::HelloRequest)
    ));
    let mut at = client_at(state);
    at.inject(ContentType::Handshake, &hello_request)
        .expect("ignored");
    assert!(at.sent().is_empty(), "nothing answers it");
    // The server's Finished, now record 1.
    let keys = at.keys.as_ref().unwrap();
    let (typ, finished) = keys.open(false, 0, &at.rest[0]);
    at.inject(typ, &finished).expect("Finished");
    assert!(!at.victim.is_handshaking());
    at.inject(ContentType::ApplicationData, b"hello").unwrap();
    let mut buf = [0u8; 8];
    let n = at.victim.reader().read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hello");
}

#[test]
fn hello_request_while_negotiating_is_ignored_in_every_state() {
    for state in states_of(&client_transitions())
        .into_iter()
        .filter(|s| *s != "Connected")
    {
        let mut at = client_at(state);
        let hello_request = Handshake::HelloRequest(HelloRequest {}).to_vec();
        at.inject(ContentType::Handshake, &hello_request)
            .unwrap_or_else(|e| panic!("{state}: {e:?}"));
        assert!(at.sent().is_empty(), "{state}: nothing answers it");
    }
}

#[test]
fn unknown_content_type_and_interleaved_fragments_are_unexpected() {
    // A record of content type 24 (heartbeat, RFC 6520: not spoken here) or 0 (RFC 8446's
    // invalid), before and after keys: the types only TLS 1.3 names are unknown to TLS 1.2.
    for (state, typ) in [
        ("ExpectServerHello", 24),
        ("Connected", 24),
        ("ExpectServerHello", 0),
    ] {
        let mut at = client_at(state);
        let mut record = at.record(ContentType::ApplicationData, &[1, 0, 16]);
        record[0] = typ;
        let got = feed(&mut at.victim, &record);
        let want = Error::UnexpectedMessage {
            state: "record layer",
            got: format!("record of content type {typ}"),
            expected: "handshake, change_cipher_spec, alert or application_data".into(),
        };
        check_error(&mut at.victim, got, &want, A::UnexpectedMessage);
        assert_eq!(at.sent_alert(), fatal(A::UnexpectedMessage), "{state}");
    }
    // Half a handshake message, then a ChangeCipherSpec (RFC 5246 6.2.1).
    let mut at = server_at("ExpectClientHello");
    let hello = Handshake::ClientHello(base_client_hello()).to_vec();
    feed(&mut at.victim, &frame(ContentType::Handshake, &hello[..20])).expect("half waits");
    let got = at.inject(ContentType::ChangeCipherSpec, &ccs_payload());
    let want = Error::PeerMisbehaved(PeerMisbehaved::HandshakeFragmentation);
    check_error(&mut at.victim, got, &want, A::UnexpectedMessage);
    assert_eq!(at.sent_alert(), fatal(A::UnexpectedMessage));
    // A handshake type that does not exist.
    let mut at = server_at("ExpectClientHello");
    let got = feed(
        &mut at.victim,
        &frame(ContentType::Handshake, &[99, 0, 0, 0]),
    );
    let err = got.clone().unwrap_err();
    assert!(matches!(err, Error::UnexpectedMessage { .. }), "{err:?}");
    check_error(&mut at.victim, got, &err, A::UnexpectedMessage);
    assert_eq!(at.sent_alert(), fatal(A::UnexpectedMessage));
    // The handshake types only TLS 1.3 names are as unknown to TLS 1.2 as 99.
    for t in TLS13_ONLY {
        let mut at = server_at("ExpectClientHello");
        let got = feed(
            &mut at.victim,
            &frame(ContentType::Handshake, &[t.value(), 0, 0, 0]),
        );
        check_error(&mut at.victim, got, &err, A::UnexpectedMessage);
        assert_eq!(at.sent_alert(), fatal(A::UnexpectedMessage), "{t:?}");
    }
}

// ==========================================================================================
// Renegotiation is refused
// ==========================================================================================

#[test]
fn renegotiation_is_refused_with_a_warning_and_the_connection_goes_on() {
    // The server asks the client (HelloRequest); the client asks the server (ClientHello).
    let requests = [
        (
            client_at as fn(&'static str) -> AtState,
            Handshake::HelloRequest(HelloRequest {}).to_vec(),
        ),
        (
            server_at,
            Handshake::ClientHello(base_client_hello()).to_vec(),
        ),
    ];
    for (drive, request) in requests {
        let mut at = drive("Connected");
        at.inject(ContentType::Handshake, &request)
            .expect("refused, not fatal");
        let sent = at.sent();
        assert_eq!(types_of(&sent), [ContentType::Alert]);
        assert_eq!(
            Alert::from_bytes(&sent[0].1).unwrap(),
            Alert {
                level: AlertLevel::Warning,
                description: A::NoRenegotiation
            }
        );
        assert!(!at.victim.is_handshaking());
        // Data still flows both ways, under the same keys.
        at.inject(ContentType::ApplicationData, b"still here")
            .expect("data after the refusal");
        let mut buf = [0u8; 32];
        let n = at.victim.reader().read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"still here");
        at.victim.writer().write_all(b"me too").unwrap();
        let sent = at.sent();
        assert_eq!(sent, [(ContentType::ApplicationData, b"me too".to_vec())]);
    }
}

// ==========================================================================================
// A fatal alert ends the connection, for good
// ==========================================================================================

#[test]
fn fatal_alert_received_is_sticky() {
    // During the handshake, in the clear.
    let (mut c, mut s) = pair(client_config(), server_config(false));
    transfer(&mut c, &mut s).unwrap();
    let server_flight = drain(&mut s);
    let alert = frame(
        ContentType::Alert,
        &alert_payload(AlertLevel::Fatal, A::HandshakeFailure),
    );
    let got = feed(&mut c, &alert);
    let want = Error::AlertReceived(A::HandshakeFailure);
    assert_eq!(got.unwrap_err(), want);
    assert!(!c.wants_write(), "an alert is not answered");
    for _ in 0..3 {
        assert_eq!(c.process_new_packets().unwrap_err(), want);
    }
    // Valid bytes afterwards change nothing.
    c.read_tls(&mut &server_flight[..]).ok();
    assert_eq!(c.process_new_packets().unwrap_err(), want);
    assert!(c.is_handshaking());
    assert!(c.negotiated_cipher_suite().is_none());
    io_fails_with(&mut c, &want);

    // After the handshake, protected: every fatal description the peer may send.
    for description in [A::InternalError, A::DecodeError, A::UserCanceled] {
        let mut at = server_at("Connected");
        at.inject(ContentType::ApplicationData, b"before")
            .expect("data");
        let got = at.inject(
            ContentType::Alert,
            &alert_payload(AlertLevel::Fatal, description),
        );
        let want = Error::AlertReceived(description);
        assert_eq!(got.unwrap_err(), want);
        assert!(at.sent().is_empty(), "an alert is not answered");
        assert_eq!(at.victim.process_new_packets().unwrap_err(), want);
        // Data that arrived before the alert is still delivered, then the error.
        let mut buf = [0u8; 16];
        let n = at.victim.reader().read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"before");
        io_fails_with(&mut at.victim, &want);
        // Even a correctly protected record afterwards is not processed.
        let got = at.inject(ContentType::ApplicationData, b"after");
        assert_eq!(got.unwrap_err(), want);
    }
}

#[test]
fn warning_alerts_do_not_end_the_handshake() {
    let (mut c, mut s) = pair(client_config(), server_config(false));
    let warning = frame(
        ContentType::Alert,
        &alert_payload(AlertLevel::Warning, A::UserCanceled),
    );
    feed(&mut s, &warning).expect("warning ignored by the server");
    feed(&mut c, &warning).expect("warning ignored by the client");
    handshake(&mut c, &mut s).expect("handshake completes");
}

#[test]
fn handshake_data_sent_past_our_answer_is_refused() {
    // Found by BoGo (PartialClientKeyExchangeWithClientHello): the ClientHello's record also
    // holds the first byte of a ClientKeyExchange, sent before the client could have seen our
    // flight. The flights of RFC 5246 7.3 alternate: unexpected_message.
    let mut s = ServerConnection::new(Arc::new(server_config(false))).unwrap();
    let mut record = client_hello_message();
    record.push(HandshakeType::ClientKeyExchange.value());
    let got = feed(&mut s, &frame(ContentType::Handshake, &record));
    check_error(
        &mut s,
        got,
        &Error::PeerMisbehaved(PeerMisbehaved::HandshakeFragmentation),
        A::UnexpectedMessage,
    );
    let out = drain(&mut s);
    assert_eq!(
        types_of(&split_records(&out)).last(),
        Some(&ContentType::Alert),
        "our flight, then the alert"
    );
    // Control: the ClientHello alone is answered.
    let mut s = ServerConnection::new(Arc::new(server_config(false))).unwrap();
    feed(
        &mut s,
        &frame(ContentType::Handshake, &client_hello_message()),
    )
    .expect("ClientHello");
    assert!(s.wants_write());
}
