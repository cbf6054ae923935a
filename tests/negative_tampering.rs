//! Negative tests, tampered and truncated records and messages: every failure gives the right
//! typed error on the side that detects it, the right alert on the wire, the right
//! `AlertReceived` on the other side, and nothing panics.
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
use spectls::crypto::suites::{
    TLS12_CIPHER_SUITES, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
};
use spectls::pki::private_key_from_pem;
use spectls::wire::{
    tls12::Certificate, tls12::CertificateVerify, tls12::Finished, tls12::Handshake, Alert,
    AlertDescription as A, ClientECDiffieHellmanPublic, ClientKeyExchange, ContentType,
    DigitallySigned, ECParameters, ECPoint, ExtensionType, HandshakeType, HashAlgorithm,
    NamedCurve, ServerECDHParams, ServerKeyExchange, ServerKeyExchangeEcDiffieHellmanSignedParams,
    SignatureAlgorithm, SignatureAndHashAlgorithm, SignatureScheme,
};
use spectls::{
    ClientConnection, ConnectionCommon, Error, IoState, PeerMisbehaved, ServerConnection,
};
use std::io::{self, Read, Write};

// ==========================================================================================
// Tampered records
// ==========================================================================================

#[test]
fn tampered_application_data_is_bad_record_mac() {
    const DATA: &[u8] = b"attack at dawn";
    for suite in TLS12_CIPHER_SUITES {
        let explicit = suite.aead.explicit_nonce_len();
        let len = 5 + explicit + DATA.len() + 16;
        // The content type (authenticated as additional data), the explicit nonce (GCM), the
        // ciphertext and the tag.
        let mut positions = vec![
            0,
            5 + explicit,
            5 + explicit + DATA.len() - 1,
            len - 16,
            len - 1,
        ];
        if explicit > 0 {
            positions.extend([5, 5 + explicit - 1]);
        }
        for client_sends in [true, false] {
            // Control: untouched, the record is accepted.
            let (mut c, mut s) = connected(suite);
            let (from, to): (&mut ConnectionCommon, &mut ConnectionCommon) = if client_sends {
                (&mut c, &mut s)
            } else {
                (&mut s, &mut c)
            };
            from.writer().write_all(DATA).unwrap();
            let record = drain(from);
            assert_eq!(record.len(), len);
            feed(to, &record).expect("untouched record");
            let mut buf = [0u8; 64];
            let n = to.reader().read(&mut buf).unwrap();
            assert_eq!(&buf[..n], DATA);

            for &pos in &positions {
                let (mut c, mut s) = connected(suite);
                let (from, to): (&mut ConnectionCommon, &mut ConnectionCommon) = if client_sends {
                    (&mut c, &mut s)
                } else {
                    (&mut s, &mut c)
                };
                from.writer().write_all(DATA).unwrap();
                let mut record = drain(from);
                record[pos] ^= 0x01;
                let got = feed(to, &record);
                let out = failed_encrypted(to, got, Error::BadRecordMac, A::BadRecordMac);
                io_fails_with(to, &Error::BadRecordMac);
                receives_alert(from, &out, A::BadRecordMac);
            }
        }
    }
}

#[test]
fn replayed_dropped_reordered_or_unprotected_records_are_bad_record_mac() {
    for suite in TLS12_CIPHER_SUITES {
        let records = || {
            let (mut c, s) = connected(suite);
            c.writer().write_all(b"one").unwrap();
            let one = drain(&mut c);
            c.writer().write_all(b"two").unwrap();
            let two = drain(&mut c);
            (c, s, one, two)
        };
        // Replayed.
        let (mut c, mut s, one, _) = records();
        feed(&mut s, &one).expect("first time");
        let got = feed(&mut s, &one);
        let out = failed_encrypted(&mut s, got, Error::BadRecordMac, A::BadRecordMac);
        receives_alert(&mut c, &out, A::BadRecordMac);
        // Dropped.
        let (mut c, mut s, _, two) = records();
        let got = feed(&mut s, &two);
        let out = failed_encrypted(&mut s, got, Error::BadRecordMac, A::BadRecordMac);
        receives_alert(&mut c, &out, A::BadRecordMac);
        // Reordered.
        let (mut c, mut s, one, two) = records();
        let got = feed(&mut s, &[two, one].concat());
        let out = failed_encrypted(&mut s, got, Error::BadRecordMac, A::BadRecordMac);
        receives_alert(&mut c, &out, A::BadRecordMac);
        // Sent in the clear once keys are on.
        let (mut c, mut s, _, _) = records();
        let got = feed(&mut s, &frame(ContentType::ApplicationData, b"plain"));
        let out = failed_encrypted(&mut s, got, Error::BadRecordMac, A::BadRecordMac);
        receives_alert(&mut c, &out, A::BadRecordMac);
    }
}

#[test]
fn tampered_client_finished_is_bad_record_mac() {
    let flight = || {
        let (mut c, mut s) = pair(client_config(), server_config(false));
        transfer(&mut c, &mut s).unwrap();
        transfer(&mut s, &mut c).unwrap();
        let recs = split_records(&drain(&mut c));
        assert_eq!(
            types_of(&recs),
            [
                ContentType::Handshake,
                ContentType::ChangeCipherSpec,
                ContentType::Handshake
            ]
        );
        (c, s, recs)
    };
    let (_, _, recs) = flight();
    for pos in 5..recs[2].1.len() {
        let (mut c, mut s, recs) = flight();
        feed(&mut s, &[recs[0].1.clone(), recs[1].1.clone()].concat())
            .expect("ClientKeyExchange, ChangeCipherSpec");
        let mut finished = recs[2].1.clone();
        finished[pos] ^= 0x80;
        let got = feed(&mut s, &finished);
        // The server's own ChangeCipherSpec has not gone out: its alert is in the clear.
        let out = failed_in_clear(&mut s, got, Error::BadRecordMac, A::BadRecordMac);
        assert!(s.is_handshaking());
        receives_alert(&mut c, &out, A::BadRecordMac);
    }
}

#[test]
fn tampered_server_finished_is_bad_record_mac() {
    let flight = || {
        let (mut c, mut s) = pair(client_config(), server_config(false));
        transfer(&mut c, &mut s).unwrap();
        transfer(&mut s, &mut c).unwrap();
        transfer(&mut c, &mut s).unwrap();
        let recs = split_records(&drain(&mut s));
        assert_eq!(
            types_of(&recs),
            [ContentType::ChangeCipherSpec, ContentType::Handshake]
        );
        (c, s, recs)
    };
    let (_, _, recs) = flight();
    for pos in 5..recs[1].1.len() {
        let (mut c, mut s, recs) = flight();
        feed(&mut c, &recs[0].1).expect("ChangeCipherSpec");
        let mut finished = recs[1].1.clone();
        finished[pos] ^= 0x80;
        let got = feed(&mut c, &finished);
        let out = failed_encrypted(&mut c, got, Error::BadRecordMac, A::BadRecordMac);
        assert!(c.is_handshaking());
        receives_alert(&mut s, &out, A::BadRecordMac);
    }
}

#[test]
fn tampered_server_key_exchange_is_bad_signature() {
    for rsa in [false, true] {
        // Control: the flight as sent completes.
        let (mut c, mut s, got) = with_server_flight(client_config(), server_config(rsa), |_| {});
        got.expect("untampered flight");
        handshake(&mut c, &mut s).expect("handshake");

        let tampers: [(&str, Tamper); 3] = [
            ("signature", |msgs| {
                let i = ske_index(msgs);
                let n = msgs[i].len();
                msgs[i][n - 2] ^= 0x01;
            }),
            ("ECDHE public key", |msgs| {
                // type(1) length(3) curve_type(1) named_curve(2) point length(1) point...
                let i = ske_index(msgs);
                msgs[i][4 + 4 + 10] ^= 0x01;
            }),
            ("server random", |msgs| {
                // type(1) length(3) server_version(2) random(32)...
                msgs[0][4 + 2 + 8] ^= 0x01;
            }),
        ];
        for (what, tamper) in tampers {
            let (mut c, mut s, got) =
                with_server_flight(client_config(), server_config(rsa), tamper);
            let out = failed_in_clear(
                &mut c,
                got,
                Error::PeerMisbehaved(PeerMisbehaved::BadSignature),
                A::DecryptError,
            );
            assert!(
                c.negotiated_group().is_none(),
                "{what}: unverified parameters unused"
            );
            receives_alert(&mut s, &out, A::DecryptError);
        }
    }
}

#[test]
fn tampered_client_random_is_bad_signature() {
    let (mut c, mut s) = pair(client_config(), server_config(false));
    let mut msgs = handshake_messages(&drain(&mut c));
    msgs[0][4 + 2 + 8] ^= 0x01;
    feed(&mut s, &reframe(&msgs)).expect("the server cannot tell");
    let got = feed(&mut c, &drain(&mut s));
    let out = failed_in_clear(
        &mut c,
        got,
        Error::PeerMisbehaved(PeerMisbehaved::BadSignature),
        A::DecryptError,
    );
    receives_alert(&mut s, &out, A::DecryptError);
}

#[test]
fn stripped_extended_master_secret_is_caught_by_finished() {
    // An attacker removes extended_master_secret from the ClientHello: both sides fall back to
    // the classic master secret (same keys), but the transcripts differ, so the server's check
    // of the client's Finished fails.
    let (mut c, mut s) = pair(client_config(), server_config(false));
    let msgs = handshake_messages(&drain(&mut c));
    let Handshake::ClientHello(mut ch) = decode_hs(&msgs[0]) else {
        panic!("not a ClientHello")
    };
    exts(&mut ch).retain(|e| e.selector() != ExtensionType::ExtendedMasterSecret);
    feed(&mut s, &hs_record(&Handshake::ClientHello(ch))).expect("ClientHello");
    transfer(&mut s, &mut c).expect("the client accepts a server without EMS");
    assert!(!c.extended_master_secret());
    let got = feed(&mut s, &drain(&mut c));
    let out = failed_in_clear(
        &mut s,
        got,
        Error::PeerMisbehaved(PeerMisbehaved::BadFinished),
        A::DecryptError,
    );
    receives_alert(&mut c, &out, A::DecryptError);
}

#[test]
fn bad_verify_data_is_bad_finished() {
    // Correctly sealed Finished messages with the wrong verify_data, both directions.
    let finished = Handshake::Finished(Finished {
        verify_data: [0x42; 12],
    })
    .to_vec();
    let mut at = client_at("ExpectFinished");
    let got = at.inject(ContentType::Handshake, &finished);
    let want = Error::PeerMisbehaved(PeerMisbehaved::BadFinished);
    check_error(&mut at.victim, got, &want, A::DecryptError);
    assert_eq!(at.sent_alert(), fatal(A::DecryptError));

    let mut at = server_at("ExpectFinished");
    let got = at.inject(ContentType::Handshake, &finished);
    check_error(&mut at.victim, got, &want, A::DecryptError);
    assert_eq!(at.victim_seq, None, "the server alerts in the clear");
    assert_eq!(at.sent_alert(), fatal(A::DecryptError));

    // The abbreviated handshake: the server's Finished comes first, so now the client alerts
    // in the clear and the server under its keys.
    let mut at = client_at("ResumedExpectFinished");
    let got = at.inject(ContentType::Handshake, &finished);
    check_error(&mut at.victim, got, &want, A::DecryptError);
    assert_eq!(at.victim_seq, None, "the client alerts in the clear");
    assert_eq!(at.sent_alert(), fatal(A::DecryptError));

    let mut at = server_at("ResumedExpectFinished");
    let got = at.inject(ContentType::Handshake, &finished);
    check_error(&mut at.victim, got, &want, A::DecryptError);
    assert_eq!(at.victim_seq, Some(1), "the server alerts under its keys");
    assert_eq!(at.sent_alert(), fatal(A::DecryptError));
}

#[test]
fn resumed_states_complete_with_the_peers_finished() {
    // Controls for the drivers: the peer's own Finished completes the abbreviated handshake.
    for drive in [client_at as fn(&'static str) -> AtState, server_at] {
        let mut at = drive("ResumedExpectFinished");
        let keys = at.keys.as_ref().expect("keys");
        let (typ, finished) = keys.open(!at.victim_is_client, 0, &at.rest[0]);
        at.inject(typ, &finished).expect("the peer's Finished");
        assert!(!at.victim.is_handshaking());
        assert!(at.victim.is_resumed());
        let out = split_records(&drain(&mut at.victim));
        if at.victim_is_client {
            // Only now the client's ChangeCipherSpec and Finished (its record 0).
            assert_eq!(
                types_of(&out),
                [ContentType::ChangeCipherSpec, ContentType::Handshake]
            );
            let (typ, finished) = at.keys.as_ref().expect("keys").open(true, 0, &out[1].1);
            assert_eq!(typ, ContentType::Handshake);
            assert_eq!(decode_hs(&finished).selector(), HandshakeType::Finished);
        } else {
            assert!(out.is_empty(), "the server has nothing more to say");
        }
    }
}

#[test]
fn tampered_client_certificate_verify_is_refused() {
    let certificate_verify = |at: &AtState| {
        let msg = handshake_messages(&at.rest[0]).remove(0);
        assert_eq!(decode_hs(&msg).selector(), HandshakeType::CertificateVerify);
        msg
    };
    // Control: the client's own CertificateVerify, then its ChangeCipherSpec and Finished.
    let mut at = server_at("ExpectCertificateVerify");
    let cv = certificate_verify(&at);
    at.inject(ContentType::Handshake, &cv)
        .expect("CertificateVerify");
    feed(
        &mut at.victim,
        &[at.rest[1].clone(), at.rest[2].clone()].concat(),
    )
    .expect("ChangeCipherSpec, Finished");
    assert!(!at.victim.is_handshaking());
    assert_eq!(at.victim.peer_certificates().map(|c| c.len()), Some(1));

    // A flipped bit in the signature.
    let mut at = server_at("ExpectCertificateVerify");
    let mut cv = certificate_verify(&at);
    let last = cv.len() - 1;
    cv[last] ^= 0x01;
    let got = at.inject(ContentType::Handshake, &cv);
    let want = Error::PeerMisbehaved(PeerMisbehaved::BadSignature);
    check_error(&mut at.victim, got, &want, A::DecryptError);
    assert_eq!(at.sent_alert(), fatal(A::DecryptError));
    assert!(at.victim.is_handshaking());

    // A scheme the server did not ask for (ECDSA with SHA-1), the signature unchanged.
    let mut at = server_at("ExpectCertificateVerify");
    let cv = certificate_verify(&at);
    let Handshake::CertificateVerify(original) = decode_hs(&cv) else {
        panic!("not a CertificateVerify")
    };
    let sha1 = Handshake::CertificateVerify(CertificateVerify {
        signature: DigitallySigned {
            algorithm: SignatureAndHashAlgorithm {
                hash: HashAlgorithm::Sha1,
                signature: SignatureAlgorithm::Ecdsa,
            },
            signature: original.signature.signature,
        },
    })
    .to_vec();
    let got = at.inject(ContentType::Handshake, &sha1);
    check_error(
        &mut at.victim,
        got,
        &unoffered("signature scheme"),
        A::IllegalParameter,
    );
    assert_eq!(at.sent_alert(), fatal(A::IllegalParameter));
}

#[test]
fn tampered_record_version_is_refused() {
    for suite in TLS12_CIPHER_SUITES {
        for (pos, mask) in [(1, 0x01), (2, 0x01), (2, 0x02)] {
            let (mut c, mut s) = connected(suite);
            c.writer().write_all(b"attack at dawn").unwrap();
            let mut record = drain(&mut c);
            record[pos] ^= mask;
            let got = feed(&mut s, &record);
            assert!(
                got.is_err(),
                "{:?}: record version {:02x?} accepted",
                suite.suite,
                &record[1..3]
            );
        }
    }
}

#[test]
fn invalid_key_shares_are_illegal_parameter() {
    let bad_points = bad_points();
    let want = Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare);
    for (group, point) in &bad_points {
        let server = || ecdsa_server_with(|b| b.with_groups(&[*group]));
        // From the client, in its ClientKeyExchange.
        let (mut c, mut s) = pair(client_config(), server());
        transfer(&mut c, &mut s).unwrap();
        transfer(&mut s, &mut c).unwrap();
        let recs = split_records(&drain(&mut c));
        let cke = Handshake::ClientKeyExchange(ClientKeyExchange::EcDiffieHellman(
            ClientECDiffieHellmanPublic {
                ecdh_yc: ECPoint { point },
            },
        ));
        let flight = [hs_record(&cke), recs[1].1.clone(), recs[2].1.clone()].concat();
        let got = feed(&mut s, &flight);
        let out = failed_in_clear(&mut s, got, want.clone(), A::IllegalParameter);
        receives_alert(&mut c, &out, A::IllegalParameter);

        assert_eq!(s.negotiated_group(), Some(*group));

        // From the server, in a ServerKeyExchange correctly signed by its certified key. The
        // alert must be the last record; see the ignored test below for what comes before it.
        let (mut c, mut s, got) = signed_bad_server_point(*group, point);
        check_error(&mut c, got, &want, A::IllegalParameter);
        let out = drain(&mut c);
        let recs = split_records(&out);
        let (typ, last) = recs.last().expect("records");
        assert_eq!(*typ, ContentType::Alert);
        assert_eq!(
            Alert::from_bytes(fragment_of(last)).unwrap(),
            fatal(A::IllegalParameter)
        );
        // The server reads the alert (alone: what precedes it is the ignored test's concern).
        receives_alert(&mut s, last, A::IllegalParameter);
    }
}

fn bad_points() -> [(NamedCurve, Vec<u8>); 4] {
    [
        // A small-order X25519 point: the shared secret would be all zeros.
        (NamedCurve::X25519, vec![0; 32]),
        // Not on the curve.
        (NamedCurve::Secp256r1, [vec![4], vec![1; 64]].concat()),
        // Compressed: RFC 8422 allows only uncompressed points.
        (NamedCurve::Secp256r1, [vec![2], vec![1; 32]].concat()),
        (NamedCurve::Secp384r1, [vec![4], vec![1; 96]].concat()),
    ]
}

/// A server flight whose ServerKeyExchange carries `point` for `group`, signed by the server's
/// certified key over the real randoms: only the point is wrong.
fn signed_bad_server_point(
    group: NamedCurve,
    point: &[u8],
) -> (ClientConnection, ServerConnection, Result<IoState, Error>) {
    let (mut c, mut s) = pair(client_config(), server_config(false));
    let hello = drain(&mut c);
    let hello_msgs = handshake_messages(&hello);
    let Handshake::ClientHello(ch) = decode_hs(&hello_msgs[0]) else {
        panic!("not a ClientHello")
    };
    let client_random = random_of(&ch.random);
    feed(&mut s, &hello).unwrap();
    let mut msgs = handshake_messages(&drain(&mut s));
    let Handshake::ServerHello(sh) = decode_hs(&msgs[0]) else {
        panic!("not a ServerHello")
    };
    let server_random = random_of(&sh.random);
    let params = ServerECDHParams {
        curve_params: ECParameters::NamedCurve { namedcurve: group },
        public: ECPoint { point },
    };
    let key =
        spectls::pki::SigningKey::from_der(&private_key_from_pem(ECDSA_KEY).unwrap()).unwrap();
    let signature = key
        .sign(
            SignatureScheme::EcdsaSecp256r1Sha256,
            &ServerKeyExchangeEcDiffieHellmanSignedParams {
                client_random,
                server_random,
                params: params.clone(),
            }
            .to_vec(),
        )
        .unwrap();
    let i = ske_index(&msgs);
    msgs[i] = Handshake::ServerKeyExchange(ServerKeyExchange::EcDiffieHellman {
        params,
        signed_params: DigitallySigned {
            algorithm: ecdsa_p256(),
            signature: &signature,
        },
    })
    .to_vec();
    let got = feed(&mut c, &reframe(&msgs));
    (c, s, got)
}

#[test]
fn invalid_server_key_share_is_refused_before_anything_is_sent() {
    for (group, point) in bad_points() {
        let (mut c, _, got) = signed_bad_server_point(group, &point);
        failed_in_clear(
            &mut c,
            got,
            Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare),
            A::IllegalParameter,
        );
    }
}

#[test]
fn empty_server_certificate_is_refused() {
    let (mut c, mut s, got) = with_server_flight(client_config(), server_config(false), |msgs| {
        msgs[1] = Handshake::Certificate(Certificate {
            certificate_list: vec![],
        })
        .to_vec();
    });
    let want = Error::PeerMisbehaved(PeerMisbehaved::EmptyServerCertificate);
    let out = failed_in_clear(&mut c, got, want, A::DecodeError);
    receives_alert(&mut s, &out, A::DecodeError);
}

#[test]
fn second_certificate_request_is_unexpected() {
    let request = sample_messages()
        .into_iter()
        .find(|m| m[0] == HandshakeType::CertificateRequest.value())
        .unwrap();
    let (mut c, _, got) = with_server_flight(client_config(), server_config(false), |msgs| {
        let done = msgs.pop().unwrap();
        msgs.push(request.clone());
        msgs.push(request.clone());
        msgs.push(done);
    });
    let want = Error::UnexpectedMessage {
        state: "ExpectServerHelloDoneAfterCertRequest",
        got: "CertificateRequest".into(),
        expected: "ServerHelloDone or HelloRequest".into(),
    };
    failed_in_clear(&mut c, got, want, A::UnexpectedMessage);
}

// ==========================================================================================
// Truncation
// ==========================================================================================

fn eof(conn: &mut ConnectionCommon) {
    assert_eq!(conn.read_tls(&mut &b""[..]).expect("read_tls"), 0);
    conn.process_new_packets()
        .expect("EOF by itself is not a protocol error");
}

#[track_caller]
fn reads_unexpected_eof(conn: &mut ConnectionCommon) {
    let mut buf = [0u8; 64];
    for _ in 0..2 {
        let e = conn
            .reader()
            .read(&mut buf)
            .expect_err("never Ok(0) without close_notify");
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(inner(&e), Some(&Error::UnexpectedEof));
    }
    let mut all = Vec::new();
    assert_eq!(
        conn.reader().read_to_end(&mut all).unwrap_err().kind(),
        io::ErrorKind::UnexpectedEof
    );
}

#[test]
fn eof_without_close_notify_is_unexpected_eof() {
    let (mut c, mut s) = connected(&TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
    c.writer().write_all(b"transfer $100").unwrap();
    transfer(&mut c, &mut s).unwrap();
    eof(&mut s);
    // What arrived before the EOF is delivered, then the truncation is reported.
    let mut buf = [0u8; 64];
    let n = s.reader().read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"transfer $100");
    reads_unexpected_eof(&mut s);
    assert!(!s.wants_read());

    // EOF in the middle of a record: the partial record is not delivered.
    let (mut c, mut s) = connected(&TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
    c.writer().write_all(b"transfer $100000").unwrap();
    let record = drain(&mut c);
    feed(&mut s, &record[..record.len() / 2]).expect("half a record waits");
    eof(&mut s);
    reads_unexpected_eof(&mut s);

    // EOF during the handshake: an error at once (it can never complete), with no alert.
    let (mut c, mut s) = pair(client_config(), server_config(false));
    transfer(&mut c, &mut s).unwrap();
    assert_eq!(c.read_tls(&mut &b""[..]).expect("read_tls"), 0);
    assert_eq!(c.process_new_packets(), Err(Error::UnexpectedEof));
    assert!(c.is_handshaking() && !c.wants_read() && !c.wants_write());
    reads_unexpected_eof(&mut c);
}

#[test]
fn eof_after_close_notify_is_clean() {
    let (mut c, mut s) = connected(&TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256);
    c.writer().write_all(b"last words").unwrap();
    c.send_close_notify();
    transfer(&mut c, &mut s).unwrap();
    eof(&mut s);
    let mut buf = [0u8; 64];
    let n = s.reader().read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"last words");
    assert_eq!(s.reader().read(&mut buf).unwrap(), 0);
    assert_eq!(s.reader().read(&mut buf).unwrap(), 0);
    let mut all = Vec::new();
    assert_eq!(s.reader().read_to_end(&mut all).unwrap(), 0);
    // The client may not write after its close_notify.
    assert!(c.writer().write(b"more").is_err());
}
