//! The key schedule and record protection against real OpenSSL 3.0 connections.
//!
//! For each capture in `tests/data/captures/`, the NSS key log gives the master secret. From it
//! and the hello randoms we derive the key block, decrypt every protected record of both
//! directions, check both Finished messages against `verify_data` over the transcript we
//! rebuild, check the application data (`GET / HTTP/1.0` and the `HTTP/1.0 200` answer) and the
//! closing alerts, and re-seal what we decrypted to get OpenSSL's bytes back.

mod common;

use common::{capture, capture_file, unhex};
use spectls::capture::{decode_handshake, Direction, Event, Flow};
use spectls::codec::{Encode, Reader};
use spectls::crypto::suites::{self, AeadAlg, HashAlg, SupportedCipherSuite};
use spectls::internal::cipher::{RecordDecrypter, RecordEncrypter};
use spectls::internal::prf::{self, KeyBlock};
use spectls::internal::Transcript;
use spectls::wire::{tls12::Handshake, tls12::TLSCiphertext, ContentType, ProtocolVersion};
use spectls::Error;

const C2S: Direction = Direction::ClientToServer;
const S2C: Direction = Direction::ServerToClient;

/// The one `CLIENT_RANDOM <client random> <master secret>` line of an NSS key log.
fn keylog(name: &str) -> ([u8; 32], [u8; 48]) {
    let text = capture_file(name, "keylog");
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("CLIENT_RANDOM "))
        .collect();
    assert_eq!(lines.len(), 1, "{name}: one CLIENT_RANDOM line");
    let parts: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(parts.len(), 3, "{name}: {}", lines[0]);
    (
        unhex(parts[1]).try_into().unwrap(),
        unhex(parts[2]).try_into().unwrap(),
    )
}

/// What a capture must contain, written down from `tests/data/captures/README.md` and RFC 5246
/// section 7.3, not derived from the capture.
struct Expect {
    name: &'static str,
    suite: &'static SupportedCipherSuite,
    hash: HashAlg,
    aead: AeadAlg,
    /// Handshake messages in transcript order, with who sent them ("F" = Finished, whose
    /// plaintext only exists after decryption).
    messages: &'static [(Direction, &'static str)],
}

const FULL: &[(Direction, &str)] = &[
    (C2S, "ClientHello"),
    (S2C, "ServerHello"),
    (S2C, "Certificate"),
    (S2C, "ServerKeyExchange"),
    (S2C, "ServerHelloDone"),
    (C2S, "ClientKeyExchange"),
    (C2S, "Finished"),
    (S2C, "NewSessionTicket"),
    (S2C, "Finished"),
];

const FULL_WITH_OCSP: &[(Direction, &str)] = &[
    (C2S, "ClientHello"),
    (S2C, "ServerHello"),
    (S2C, "Certificate"),
    (S2C, "CertificateStatus"),
    (S2C, "ServerKeyExchange"),
    (S2C, "ServerHelloDone"),
    (C2S, "ClientKeyExchange"),
    (C2S, "Finished"),
    (S2C, "NewSessionTicket"),
    (S2C, "Finished"),
];

/// RFC 5246 section 7.3, abbreviated handshake: the server finishes first.
const RESUMED: &[(Direction, &str)] = &[
    (C2S, "ClientHello"),
    (S2C, "ServerHello"),
    (S2C, "Finished"),
    (C2S, "Finished"),
];

/// What we found while walking a capture.
#[derive(Default)]
struct Walk {
    messages: Vec<(Direction, String)>,
    finished_checked: [bool; 2],
    app_data: [Vec<u8>; 2],
    first_app_record: [Option<Vec<u8>>; 2],
    alerts: [Vec<Vec<u8>>; 2],
    protected_records: [u64; 2],
    /// Every protected record, decrypted.
    opened: Vec<Opened>,
}

/// One protected record and what it decrypted to.
struct Opened {
    dir: Direction,
    seq: u64,
    typ: ContentType,
    plain: Vec<u8>,
    /// The captured fragment (nonce_explicit + ciphertext + tag).
    captured: Vec<u8>,
}

fn idx(d: Direction) -> usize {
    match d {
        C2S => 0,
        S2C => 1,
    }
}

fn tls12() -> ProtocolVersion {
    ProtocolVersion { major: 3, minor: 3 }
}

/// The encoded AEAD fragment (nonce_explicit + ciphertext + tag) of a protected record.
fn fragment(record: &TLSCiphertext<'_>) -> Vec<u8> {
    let mut f = Vec::new();
    record.fragment.encode_arm(&mut f);
    f
}

fn check_capture(e: &Expect) -> Walk {
    let name = e.name;
    let cap = capture(name);
    let (logged_client_random, master) = keylog(name);
    let mut flow = Flow::new(&cap);
    let events = flow.events().unwrap_or_else(|err| panic!("{name}: {err}"));

    // Hello randoms and the suite, from the plaintext hellos.
    let (mut client_random, mut server_random, mut suite) = (None, None, None);
    for ev in &events {
        match ev {
            Event::Message {
                message: Handshake::ClientHello(ch),
                ..
            } => client_random = Some(<[u8; 32]>::try_from(ch.random.to_vec()).unwrap()),
            Event::Message {
                message: Handshake::ServerHello(sh),
                ..
            } => {
                server_random = Some(<[u8; 32]>::try_from(sh.random.to_vec()).unwrap());
                suite = suites::lookup(sh.cipher_suite);
            }
            _ => {}
        }
    }
    let client_random = client_random.expect("ClientHello");
    let server_random = server_random.expect("ServerHello");
    assert_eq!(
        client_random, logged_client_random,
        "{name}: key log belongs to this connection"
    );
    let suite = suite.unwrap_or_else(|| panic!("{name}: negotiated suite is supported"));
    assert_eq!(suite, e.suite, "{name}");
    assert_eq!((suite.hash, suite.aead), (e.hash, e.aead), "{name}");

    let keys = prf::key_block(suite, &master, &client_random, &server_random);
    let decrypter = |dir| {
        let (k, iv) = match dir {
            C2S => (&keys.client_write_key, &keys.client_write_iv),
            S2C => (&keys.server_write_key, &keys.server_write_iv),
        };
        RecordDecrypter::new(suite.aead, k, iv).unwrap()
    };
    let decrypters = [decrypter(C2S), decrypter(S2C)];

    // The transcript as the state machine will keep it: buffered until ServerHello names the
    // hash. A buffering twin checks that both see the same bytes.
    let mut transcript = Transcript::new();
    let mut twin = Transcript::new_buffering();
    let mut all_messages: Vec<u8> = Vec::new();
    let mut ccs_seen = [false; 2];
    let mut w = Walk::default();

    for ev in &events {
        match ev {
            Event::Record { dir, record, .. } => {
                assert!(
                    !ccs_seen[idx(*dir)],
                    "{name}: plaintext record after ChangeCipherSpec"
                );
                if record.type_ == ContentType::ChangeCipherSpec {
                    assert_eq!(record.fragment, [1], "{name}: ChangeCipherSpec body");
                    ccs_seen[idx(*dir)] = true;
                }
            }
            Event::Message {
                dir,
                message,
                bytes,
            } => {
                transcript.add(bytes);
                twin.add(bytes);
                all_messages.extend_from_slice(bytes);
                w.messages.push((*dir, format!("{:?}", message.selector())));
                if let Handshake::ServerHello(_) = message {
                    transcript.start_hash(suite.hash).unwrap();
                    twin.start_hash(suite.hash).unwrap();
                }
            }
            Event::Protected { dir, record, .. } => {
                let d = idx(*dir);
                assert!(
                    ccs_seen[d],
                    "{name}: protected record before ChangeCipherSpec"
                );
                let seq = w.protected_records[d];
                w.protected_records[d] += 1;
                assert_eq!(record.version, tls12(), "{name}");
                let captured = fragment(record);
                let mut buf = captured.clone();
                let plain = decrypters[d]
                    .open(seq, record.type_, record.version.clone(), &mut buf)
                    .unwrap_or_else(|err| {
                        panic!("{name}: {dir:?} record {seq} ({:?}): {err}", record.type_)
                    })
                    .to_vec();
                // Plaintext length = fragment - explicit nonce - tag.
                assert_eq!(
                    plain.len() + suite.aead.explicit_nonce_len() + 16,
                    captured.len()
                );
                w.opened.push(Opened {
                    dir: *dir,
                    seq,
                    typ: record.type_,
                    plain: plain.clone(),
                    captured: captured.clone(),
                });

                if seq == 0 {
                    // RFC 5246 7.4.9: the first record after ChangeCipherSpec is Finished.
                    assert_eq!(record.type_, ContentType::Handshake, "{name}");
                    let mut r = Reader::new(&plain);
                    let msg = decode_handshake(&mut r).unwrap();
                    assert!(r.is_empty(), "{name}: Finished fills its record");
                    let Handshake::Finished(fin) = &msg else {
                        panic!("{name}: {dir:?} first protected message is {msg:?}");
                    };
                    let from_client = *dir == C2S;
                    let hash = transcript.current_hash().unwrap();
                    assert_eq!(hash, twin.current_hash().unwrap());
                    assert_eq!(twin.buffered().unwrap(), &all_messages[..]);
                    assert_eq!(hash.len(), suite.hash.output_len());
                    let expected = prf::verify_data(suite.hash, &master, from_client, &hash);
                    assert_eq!(
                        fin.verify_data, expected,
                        "{name}: {dir:?} Finished verify_data"
                    );
                    // The check can fail: the other side's label gives another value.
                    assert_ne!(
                        fin.verify_data,
                        prf::verify_data(suite.hash, &master, !from_client, &hash),
                        "{name}"
                    );
                    w.finished_checked[d] = true;
                    transcript.add(&plain);
                    twin.add(&plain);
                    all_messages.extend_from_slice(&plain);
                    w.messages.push((*dir, "Finished".into()));
                    continue;
                }
                match record.type_ {
                    ContentType::ApplicationData => {
                        if w.first_app_record[d].is_none() {
                            w.first_app_record[d] = Some(plain.clone());
                        }
                        w.app_data[d].extend_from_slice(&plain);
                    }
                    ContentType::Alert => w.alerts[d].push(plain),
                    other => panic!("{name}: unexpected protected {other:?} record"),
                }
            }
            Event::Sealed { .. } | Event::Message13 { .. } => {
                panic!("{name}: a TLS 1.3 event in a TLS 1.2 capture")
            }
        }
    }

    let got: Vec<(Direction, &str)> = w.messages.iter().map(|(d, m)| (*d, m.as_str())).collect();
    assert_eq!(
        got, e.messages,
        "{name}: handshake messages in transcript order"
    );
    assert_eq!(w.finished_checked, [true, true], "{name}");
    assert_eq!(
        w.first_app_record[0].as_deref(),
        Some(&b"GET / HTTP/1.0\r\n\r\n"[..]),
        "{name}: the client's request"
    );
    assert_eq!(w.app_data[0], b"GET / HTTP/1.0\r\n\r\n", "{name}");
    let answer = &w.app_data[1];
    assert!(
        answer.starts_with(b"HTTP/1.0 200"),
        "{name}: server answer starts {:?}",
        String::from_utf8_lossy(&answer[..answer.len().min(40)])
    );
    // s_server -www prints the negotiated suite in its status page.
    let text = String::from_utf8_lossy(answer);
    assert!(
        text.contains("TLSv1.2"),
        "{name}: status page names TLS 1.2"
    );
    // Both sides close with a warning close_notify (RFC 5246 7.2.1): level 1, description 0.
    assert_eq!(w.alerts, [vec![vec![1, 0]], vec![vec![1, 0]]], "{name}");
    w
}

/// Re-seals every decrypted record with our encrypter. ChaCha20's nonce comes from the sequence
/// number alone, so the bytes must be OpenSSL's exactly. For GCM the explicit nonce is the
/// sender's choice: ours is the sequence number, OpenSSL 3.0's a random start counting up, so
/// the bytes differ; there we check our record opens with the decrypter that opened OpenSSL's.
/// Returns how many re-sealed records equal the captured ones.
fn reseal(e: &Expect, w: &Walk, keys: &KeyBlock) -> usize {
    let enc = |dir| {
        let (k, iv) = match dir {
            C2S => (&keys.client_write_key, &keys.client_write_iv),
            S2C => (&keys.server_write_key, &keys.server_write_iv),
        };
        RecordEncrypter::new(e.aead, k, iv).unwrap()
    };
    let dec = |dir| {
        let (k, iv) = match dir {
            C2S => (&keys.client_write_key, &keys.client_write_iv),
            S2C => (&keys.server_write_key, &keys.server_write_iv),
        };
        RecordDecrypter::new(e.aead, k, iv).unwrap()
    };
    let (encs, decs) = ([enc(C2S), enc(S2C)], [dec(C2S), dec(S2C)]);
    let mut identical = 0;
    for Opened {
        dir,
        seq,
        typ,
        plain,
        captured,
    } in &w.opened
    {
        let mut out = Vec::new();
        encs[idx(*dir)]
            .seal(*seq, *typ, tls12(), plain, &mut out)
            .unwrap();
        assert_eq!(out.len(), captured.len(), "{}", e.name);
        if e.aead == AeadAlg::ChaCha20Poly1305 {
            assert_eq!(&out, captured, "{}: {dir:?} record {seq}", e.name);
        } else {
            assert_eq!(out[..8], seq.to_be_bytes(), "{}", e.name);
            let opened = decs[idx(*dir)]
                .open(*seq, *typ, tls12(), &mut out.clone())
                .unwrap()
                .to_vec();
            assert_eq!(&opened, plain, "{}", e.name);
        }
        if &out == captured {
            identical += 1;
        }
    }
    identical
}

fn keys_of(name: &str) -> (KeyBlock, &'static SupportedCipherSuite, [u8; 48]) {
    let cap = capture(name);
    let mut flow = Flow::new(&cap);
    let events = flow.events().unwrap();
    let (mut cr, mut sr, mut suite) = (Vec::new(), Vec::new(), None);
    for ev in &events {
        if let Event::Message { message, .. } = ev {
            match message {
                Handshake::ClientHello(ch) => cr = ch.random.to_vec(),
                Handshake::ServerHello(sh) => {
                    sr = sh.random.to_vec();
                    suite = suites::lookup(sh.cipher_suite);
                }
                _ => {}
            }
        }
    }
    let (_, master) = keylog(name);
    let suite = suite.unwrap();
    let kb = prf::key_block(
        suite,
        &master,
        &cr.try_into().unwrap(),
        &sr.try_into().unwrap(),
    );
    (kb, suite, master)
}

fn run(e: &Expect) {
    let w = check_capture(e);
    let (keys, _, _) = keys_of(e.name);
    let identical = reseal(e, &w, &keys);
    if e.aead == AeadAlg::ChaCha20Poly1305 {
        assert_eq!(identical, w.opened.len(), "{}", e.name);
    } else {
        // OpenSSL's GCM explicit nonces are not the sequence number, so opening them proves the
        // decrypter takes the nonce from the record, as RFC 5288 section 3 requires.
        assert!(
            w.opened
                .iter()
                .all(|o| o.captured[..8] != o.seq.to_be_bytes()),
            "{}",
            e.name
        );
        assert_eq!(identical, 0, "{}", e.name);
    }
    // Every protected record was opened: Finished, request, close_notify from the client;
    // Finished, the status page (one or more records), close_notify from the server.
    assert!(w.protected_records[0] >= 3, "{}", e.name);
    assert!(w.protected_records[1] >= 3, "{}", e.name);
}

#[test]
fn ecdsa_aes128gcm_sha256() {
    run(&Expect {
        name: "ecdsa-aes128gcm",
        suite: &suites::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        hash: HashAlg::Sha256,
        aead: AeadAlg::Aes128Gcm,
        messages: FULL_WITH_OCSP,
    });
}

#[test]
fn ecdsa_aes256gcm_sha384() {
    run(&Expect {
        name: "ecdsa-aes256gcm",
        suite: &suites::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        hash: HashAlg::Sha384,
        aead: AeadAlg::Aes256Gcm,
        messages: FULL,
    });
}

#[test]
fn ecdsa_chacha20_poly1305() {
    run(&Expect {
        name: "ecdsa-chacha20",
        suite: &suites::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        hash: HashAlg::Sha256,
        aead: AeadAlg::ChaCha20Poly1305,
        messages: FULL,
    });
}

#[test]
fn rsa_aes128gcm_sha256() {
    run(&Expect {
        name: "rsa-aes128gcm",
        suite: &suites::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        hash: HashAlg::Sha256,
        aead: AeadAlg::Aes128Gcm,
        messages: FULL,
    });
}

#[test]
fn rsa_chacha20_poly1305() {
    run(&Expect {
        name: "rsa-chacha20",
        suite: &suites::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        hash: HashAlg::Sha256,
        aead: AeadAlg::ChaCha20Poly1305,
        messages: FULL,
    });
}

#[test]
fn resume_ticket_abbreviated() {
    run(&Expect {
        name: "resume-ticket",
        suite: &suites::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        hash: HashAlg::Sha256,
        aead: AeadAlg::Aes128Gcm,
        messages: RESUMED,
    });
}

#[test]
fn resume_session_id_abbreviated() {
    run(&Expect {
        name: "resume-session-id",
        suite: &suites::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        hash: HashAlg::Sha256,
        aead: AeadAlg::Aes128Gcm,
        messages: RESUMED,
    });
}

/// The first protected record of each side, opened with everything right but one thing.
#[test]
fn wrong_keys_sequence_or_direction_fail_on_real_records() {
    for name in ["ecdsa-aes256gcm", "rsa-chacha20", "resume-ticket"] {
        let (keys, suite, master) = keys_of(name);
        let cap = capture(name);
        let mut flow = Flow::new(&cap);
        let events = flow.events().unwrap();
        let first = |dir| {
            events
                .iter()
                .find_map(|ev| match ev {
                    Event::Protected { dir: d, record, .. } if *d == dir => {
                        Some((record.type_, fragment(record)))
                    }
                    _ => None,
                })
                .unwrap()
        };
        let (typ, client_fin) = first(C2S);
        let open = |key: &[u8], iv: &[u8], seq, typ| {
            let dec = RecordDecrypter::new(suite.aead, key, iv).unwrap();
            let mut f = client_fin.clone();
            dec.open(seq, typ, tls12(), &mut f).map(<[u8]>::to_vec)
        };
        let (ck, civ) = (&keys.client_write_key, &keys.client_write_iv);
        assert!(open(ck, civ, 0, typ).is_ok(), "{name}: control");
        assert_eq!(open(ck, civ, 1, typ), Err(Error::BadRecordMac), "{name}");
        assert_eq!(
            open(ck, civ, 0, ContentType::ApplicationData),
            Err(Error::BadRecordMac),
            "{name}"
        );
        // The server's keys do not open the client's records.
        assert_eq!(
            open(&keys.server_write_key, &keys.server_write_iv, 0, typ),
            Err(Error::BadRecordMac),
            "{name}"
        );
        // A key block from a master secret one bit off does not either.
        let mut bad_master = master;
        bad_master[47] ^= 1;
        let cap_keys = {
            let mut cr = [0u8; 32];
            let mut sr = [0u8; 32];
            for ev in &events {
                if let Event::Message { message, .. } = ev {
                    match message {
                        Handshake::ClientHello(ch) => cr.copy_from_slice(&ch.random.to_vec()),
                        Handshake::ServerHello(sh) => sr.copy_from_slice(&sh.random.to_vec()),
                        _ => {}
                    }
                }
            }
            // The seed order matters: swapping the randoms gives other keys.
            let swapped = prf::key_block(suite, &master, &sr, &cr);
            assert_eq!(
                open(&swapped.client_write_key, &swapped.client_write_iv, 0, typ),
                Err(Error::BadRecordMac),
                "{name}: key expansion seed is server_random + client_random"
            );
            prf::key_block(suite, &bad_master, &cr, &sr)
        };
        assert_eq!(
            open(
                &cap_keys.client_write_key,
                &cap_keys.client_write_iv,
                0,
                typ
            ),
            Err(Error::BadRecordMac),
            "{name}"
        );
        // Any single flipped byte of the real record is caught.
        let dec = RecordDecrypter::new(suite.aead, ck, civ).unwrap();
        for i in 0..client_fin.len() {
            let mut f = client_fin.clone();
            f[i] ^= 0x20;
            assert_eq!(
                dec.open(0, typ, tls12(), &mut f),
                Err(Error::BadRecordMac),
                "{name}: byte {i}"
            );
        }
        // And the server's first record opens with the server keys at sequence 0.
        let (styp, server_fin) = first(S2C);
        let dec = RecordDecrypter::new(suite.aead, &keys.server_write_key, &keys.server_write_iv)
            .unwrap();
        let mut f = server_fin.clone();
        assert!(dec.open(0, styp, tls12(), &mut f).is_ok(), "{name}");
    }
}
