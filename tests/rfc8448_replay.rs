//! RFC 8448 section 3 (the simple 1-RTT handshake) replayed against the spectls TLS 1.3 server,
//! with the trace's server randomness injected (`with_scripted_randomness`, a test-only hook):
//! the trace's ClientHello in, and out comes the trace's ServerHello byte for byte, the trace's
//! handshake traffic secrets in the key log, records the RFC's handshake key and IV open, and the
//! trace's own protected client Finished record opens under the keys the server derived.
//!
//! Where the replay has to stop, and why (so nothing here pretends otherwise):
//! - After the ServerHello the trace's server sends its own EncryptedExtensions (with
//!   supported_groups), and its 1024-bit RSA certificate and signature. ring refuses RSA keys
//!   under 2048 bits, so spectls cannot load that key to sign with, and its own certificate
//!   makes a different transcript: the trace's client Finished, which covers the trace's
//!   transcript, must therefore fail verification (`decrypt_error`). That it fails *as a
//!   Finished* (not `bad_record_mac`) proves the record was opened with the trace's keys.
//! - The client side cannot be replayed byte for byte: the trace's ClientHello carries
//!   extensions spectls does not send (a session ticket extension, FFDHE groups, a
//!   record_size_limit of 0x4001 with other extensions in another order), so the transcripts
//!   differ from the first message.
//!
//! What the RFC prints that spectls cannot reproduce through a connection is checked directly:
//! every secret of the key schedule (`crypto::key_schedule` tests) and every protected record
//! (`tests/rfc8448_records.rs`).

mod common;

use common::tls13::*;
use common::*;
use spectls::crypto::suites;
use spectls::wire::{AlertDescription as A, ContentType};
use spectls::{Error, PeerMisbehaved};
use std::sync::Arc;

const MESSAGES: &str = include_str!("data/rfc8448/messages.txt");
const KEY_SCHEDULE: &str = include_str!("data/rfc8448/key_schedule.txt");
const RECORDS: &str = include_str!("data/rfc8448/records.txt");

/// RFC 8448 section 3: "{server} create an ephemeral x25519 key pair: private key".
const SERVER_X25519_PRIVATE: &str =
    "b1580eeadf6dd589b8ef4f2d5652578cc810e9980191ec8d058308cea216a21e";

/// A message of the simple 1-RTT trace, by sender and name.
fn message(sender: &str, name: &str) -> Vec<u8> {
    MESSAGES
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split(' ').collect::<Vec<_>>())
        .find(|c| c.len() == 4 && c[0] == "simple-1rtt" && c[1] == sender && c[2] == name)
        .map(|c| unhex(c[3]))
        .unwrap_or_else(|| panic!("no {sender} {name}"))
}

/// A key-schedule value of the simple 1-RTT trace (the server's lines), by step and field.
fn schedule(step: &str, field: &str) -> Vec<u8> {
    KEY_SCHEDULE
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .find(|c| c.len() == 5 && c[0] == "simple-1rtt" && c[2] == step && c[3] == field)
        .map(|c| unhex(c[4]))
        .unwrap_or_else(|| panic!("no {step} {field}"))
}

/// A record line of the simple 1-RTT trace: (key name, record bytes).
fn record(sender: &str, content: &str) -> Vec<u8> {
    RECORDS
        .lines()
        .map(|l| l.split(' ').collect::<Vec<_>>())
        .find(|c| c[0] == "record" && c[1] == "simple-1rtt" && c[2] == sender && c[6] == content)
        .map(|c| unhex(c[7]))
        .unwrap_or_else(|| panic!("no {sender} {content} record"))
}

/// The write key and IV the trace prints for `name` (`server-handshake`, ...).
fn trace_keys(name: &str) -> (Vec<u8>, Vec<u8>) {
    RECORDS
        .lines()
        .map(|l| l.split(' ').collect::<Vec<_>>())
        .find(|c| c[0] == "key" && c[1] == "simple-1rtt" && c[2] == name)
        .map(|c| (unhex(c[3]), unhex(c[4])))
        .unwrap_or_else(|| panic!("no {name} keys"))
}

#[test]
fn our_server_answers_the_trace_client_hello_with_the_trace_server_hello_and_secrets() {
    let client_hello = message("client", "ClientHello");
    let server_hello = message("server", "ServerHello");
    // ServerHello: type, length (3), legacy_version (2), then the 32-byte random.
    let server_random = server_hello[6..38].to_vec();
    let secrets = Arc::new(Secrets::default());
    let server = server13(false, |b| {
        b.with_key_log(secrets.clone())
            .with_scripted_randomness(vec![unhex(SERVER_X25519_PRIVATE), server_random])
    });
    let (mut s, got) = offer(server, &frame(ContentType::Handshake, &client_hello));
    got.expect("the trace's ClientHello is accepted");
    let flight = split_records(&drain(&mut s));

    // The ServerHello, byte for byte (the trace's client sent no session ID: no CCS follows).
    assert_eq!(fragment_of(&flight[0].1), server_hello.as_slice());
    assert_eq!(flight[1].0, ContentType::ApplicationData);

    // The handshake traffic secrets are the RFC's.
    assert_eq!(
        secrets.get("CLIENT_HANDSHAKE_TRAFFIC_SECRET"),
        schedule("derive secret \"tls13 c hs traffic\":", "expanded")
    );
    assert_eq!(
        secrets.get("SERVER_HANDSHAKE_TRAFFIC_SECRET"),
        schedule("derive secret \"tls13 s hs traffic\":", "expanded")
    );

    // The RFC's server handshake key and IV open our first protected record: our
    // EncryptedExtensions.
    let (key, iv) = trace_keys("server-handshake");
    let dec = spectls::crypto::cipher13::Tls13Decrypter::new(
        suites::TLS13_AES_128_GCM_SHA256.aead,
        &key,
        &iv,
    )
    .unwrap();
    let mut rec = flight[1].1.clone();
    let opened = dec.open(0, &mut rec, &mut Vec::new()).unwrap();
    assert_eq!(opened.typ, ContentType::Handshake);
    assert_eq!(rec[opened.content][0], 8, "EncryptedExtensions");

    // The trace's client Finished record opens under our client handshake keys; its verify_data
    // covers the trace's transcript, not ours, so it is a bad Finished (decrypt_error), not a
    // bad record.
    let got = feed(&mut s, &record("client", "Finished"));
    check_error(
        &mut s,
        got,
        &Error::PeerMisbehaved(PeerMisbehaved::BadFinished),
        A::DecryptError,
    );
}
