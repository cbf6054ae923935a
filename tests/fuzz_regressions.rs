//! Regression tests from fuzzing (`fuzz/`, cargo-fuzz): every input here went through the same
//! public API the fuzz target uses, with the exact bytes the fuzzer (or the seed generator)
//! produced. A test pins what must happen: no panic, the documented error, and the round-trip
//! property of the generated decoders.
//!
//! The committed seed corpora (`fuzz/seeds/<target>/`) are replayed too, so `cargo test` runs the
//! decoders, and the harness itself (`fuzz/src/lib.rs`, included below) of the `client_fresh`,
//! `server_fresh`, `inplace` and `stream` targets, over them without libFuzzer.

use spectls::codec::{Codec, Encode, Reader};
use spectls::wire::{
    tls12::Handshake, tls12::TLSCiphertext, Alert, AlertDescription, ChangeCipherSpec, CipherType,
    Extension, HandshakeType, KeyExchangeAlgorithm, PublicValueEncoding, TLSPlaintext,
};
use spectls::Error;
use spectls_fuzz::targets::handshake;
use spectls_fuzz::{drain, feed, new_client, new_server};
use std::io::{Read, Write};
use std::path::Path;

/// The fuzz harness library (`fuzz/src/lib.rs`: the targets' configurations, `feed`, `drain`,
/// `finish`, the connection targets' bodies and the `stream` target's transport), included as a
/// module: the fuzz crate is its own workspace (it needs libFuzzer), but its harness is plain
/// spectls public API, and replaying the seeds through the harness itself keeps the two from
/// drifting apart. Only part of it is used here, hence the allow.
#[allow(dead_code)]
#[path = "../fuzz/src/lib.rs"]
mod spectls_fuzz;

fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let p = e.unwrap().path();
            (p.display().to_string(), std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seeds in {}", dir.display());
    out
}

/// Decodes values one after another from `data`; each that decodes encodes back to its bytes.
fn round_trips<'a, T: Encode + std::fmt::Debug>(
    name: &str,
    data: &'a [u8],
    mut decode: impl FnMut(&mut Reader<'a>) -> Result<T, spectls::codec::DecodeError>,
) -> usize {
    let mut r = Reader::new(data);
    let mut n = 0;
    while !r.is_empty() {
        let start = r.offset();
        let Ok(v) = decode(&mut r) else { break };
        assert_eq!(v.to_vec(), &data[start..r.offset()], "{name}: {v:?}");
        let _ = format!("{v:?}");
        n += 1;
    }
    n
}

#[test]
fn decoder_seeds_round_trip() {
    for (name, data) in seeds("plaintext") {
        assert!(
            round_trips(&name, &data, TLSPlaintext::decode) > 0,
            "{name}"
        );
    }
    for (name, data) in seeds("ciphertext") {
        for iv in [8, 0] {
            round_trips(&name, &data, |r| {
                TLSCiphertext::decode(r, CipherType::Aead, iv)
            });
        }
    }
    for (name, data) in seeds("handshake") {
        let n = round_trips(&name, &data, |r| {
            Handshake::decode(
                r,
                Some(KeyExchangeAlgorithm::EcDiffieHellman),
                Some(PublicValueEncoding::Explicit),
            )
        });
        assert!(n > 0, "{name}");
    }
    for (name, data) in seeds("extensions") {
        let ch = round_trips(&name, &data, |r| {
            Extension::decode(r, HandshakeType::ClientHello, false)
        });
        let sh = round_trips(&name, &data, |r| {
            Extension::decode(r, HandshakeType::ServerHello, false)
        });
        assert!(ch + sh > 0, "{name}");
    }
    for (name, data) in seeds("alert") {
        round_trips(&name, &data, Alert::decode);
    }
    for (name, data) in seeds("change_cipher_spec") {
        assert_eq!(round_trips(&name, &data, ChangeCipherSpec::decode), 1);
    }
}

/// The `client_fresh` and `server_fresh` targets on their seeds: no panic, errors sticky, the
/// progress invariant after every step, and the rest of the API after the input
/// (`spectls_fuzz::finish`).
#[test]
fn connection_seeds_do_not_panic() {
    for (_, data) in seeds("client_fresh") {
        let _ = spectls_fuzz::targets::client_fresh(&data);
    }
    for (_, data) in seeds("server_fresh") {
        let _ = spectls_fuzz::targets::server_fresh(&data);
    }
}

/// The after-flight targets in their TLS 1.3 modes (a genuine TLS 1.3 handshake replayed up to
/// record k, then the input, raw or XORed over the rest): every k, with and without a client
/// certificate. The genuine stream itself (XOR with nothing) completes: `Ok`.
#[test]
fn tls13_after_flight_modes_run_genuine_and_mutated_streams() {
    let garbage: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
    for k in 0..8u8 {
        for cert in [0u8, 32] {
            let genuine = spectls_fuzz::targets::client_after_flight(&[64 | 16 | cert | k]);
            assert!(genuine.is_ok(), "client k={k} cert={cert}: {genuine:?}");
            let mut input = vec![64 | 16 | cert | k];
            input.extend_from_slice(&garbage);
            assert!(spectls_fuzz::targets::client_after_flight(&input).is_err());
            input[0] = 64 | cert | k;
            let _ = spectls_fuzz::targets::client_after_flight(&input);
        }
    }
    for k in 0..8u8 {
        for cert in [0u8, 16] {
            let genuine = spectls_fuzz::targets::server_after_hello(&[32 | 8 | cert | k]);
            assert!(genuine.is_ok(), "server k={k} cert={cert}: {genuine:?}");
            let mut input = vec![32 | 8 | cert | k];
            input.extend_from_slice(&garbage);
            let _ = spectls_fuzz::targets::server_after_hello(&input);
            input[0] = 32 | cert | k;
            let _ = spectls_fuzz::targets::server_after_hello(&input);
        }
    }
}

/// The `resumption` target's TLS 1.3 modes (mode bit 6: a ticket from a full handshake made
/// once, resumed with (EC)DHE or with the PSK alone (bit 1), with or without 0-RTT data (bit
/// 7)), both sides, every k: the genuine stream itself (XOR with nothing) completes, garbage
/// XORed over it fails, and raw garbage runs. The harness asserts that each genuine hello
/// resumes, that 0-RTT data is accepted exactly in the 0-RTT modes, and that the server reads
/// it as written.
#[test]
fn tls13_resumption_modes_run_genuine_and_mutated_streams() {
    let garbage: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
    for variant in [0u8, 2, 128, 130] {
        for side in [0u8, 1] {
            for k in 0..8u8 {
                let mode = 64 | variant | side | (k << 2);
                let genuine = spectls_fuzz::targets::resumption(&[mode | 32]);
                assert!(genuine.is_ok(), "mode {mode}: {genuine:?}");
                let mut input = vec![mode | 32];
                input.extend_from_slice(&garbage);
                assert!(
                    spectls_fuzz::targets::resumption(&input).is_err(),
                    "mode {mode}: garbage over the genuine records"
                );
                input[0] = mode;
                let _ = spectls_fuzz::targets::resumption(&input);
            }
        }
    }
}

#[test]
fn stream_seeds_replay() {
    // The `stream` target on its seeds: `Stream` over the in-memory transport, for a client or
    // a server; a spin (over `MAX_TRANSPORT_CALLS` transport calls) or a stuck connection
    // panics inside the harness.
    let mut max_calls = 0;
    for (name, data) in seeds("stream") {
        let Some((&mode, rest)) = data.split_first() else {
            continue;
        };
        let plan = (mode >> 1) & 3;
        let calls = if mode & 1 == 1 {
            spectls_fuzz::stream::run(new_client(), plan, rest)
        } else {
            spectls_fuzz::stream::run(new_server(), plan, rest)
        };
        assert!(calls > 0, "{name}: the stream used its transport");
        max_calls = max_calls.max(calls);
    }
    assert!(
        max_calls < spectls_fuzz::stream::MAX_TRANSPORT_CALLS / 10,
        "{max_calls}"
    );
}

/// The issue 9.1 inputs through the `stream` harness: a close_notify, a fatal alert or nothing
/// as the peer's whole stream ends `handshake()` with an error after a handful of transport
/// calls, for both sides.
#[test]
fn stream_harness_ends_promptly_on_close_notify_alert_or_eof() {
    for input in [
        &[0x15, 3, 3, 0, 2, 1, 0][..],
        &[0x15, 3, 3, 0, 2, 2, 40],
        &[],
    ] {
        let data = [&[0u8][..], input].concat();
        assert!(
            spectls_fuzz::stream::run(new_client(), 0, &data) < 32,
            "{input:02x?}"
        );
        assert!(
            spectls_fuzz::stream::run(new_server(), 0, &data) < 32,
            "{input:02x?}"
        );
    }
}

/// The OpenSSL captures' server streams go to a fresh spectls client: it refuses them cleanly
/// (their ServerKeyExchange was signed over another client's random), never with a panic.
#[test]
fn captured_server_streams_fail_cleanly() {
    for (name, data) in seeds("client_fresh") {
        if !name.contains("-s2c") {
            continue;
        }
        let mut c = new_client();
        let _ = drain(&mut c);
        let err = feed(&mut c, &data, usize::MAX).expect_err(&name);
        assert!(err.alert().is_some(), "{name}: {err:?} sends an alert");
    }
}

// Findings: one test per minimised crash, with the bytes from `fuzz/artifacts/` (see
// fuzz/README.md "Findings"; `common::unhex`, after a `mod common;`, turns `xxd -p` output
// into the input).

/// Found while writing the connection harnesses (not by libFuzzer), fixed in 2c5e0f7: `read_tls`
/// did not enforce the plaintext limit itself. A caller looping `read_tls` +
/// `process_new_packets` without consulting `wants_read()` (or reading the plaintext) buffered
/// whatever an authenticated peer sent: all 8 MiB here, while `wants_read()` had turned false
/// after ~68 KB (`MAX_PLAINTEXT_BUFFER` is 64 KiB). Like rustls's, `read_tls` must refuse input
/// in that state.
#[test]
fn read_tls_refuses_input_while_plaintext_buffer_is_full() {
    let mut c = new_client();
    let mut s = new_server();
    handshake(&mut c, &mut s, false);
    let chunk = vec![7u8; 1 << 20];
    let mut refused = false;
    for _ in 0..8 {
        s.writer().write_all(&chunk).unwrap();
        let tls = drain(&mut s);
        let mut rd = &tls[..];
        while !rd.is_empty() {
            match c.read_tls(&mut rd) {
                Ok(_) => {}
                Err(_) => {
                    refused = true;
                    break;
                }
            }
            c.process_new_packets().unwrap();
        }
        if refused {
            break;
        }
    }
    let buffered = c.process_new_packets().unwrap().plaintext_bytes_to_read;
    assert!(
        refused,
        "read_tls never refused; {buffered} plaintext bytes buffered"
    );
    assert!(
        buffered <= 128 * 1024,
        "{buffered} plaintext bytes buffered"
    );
}

/// Replays the committed seeds of the `inplace` target (`fuzz/seeds/inplace/`, layout in
/// fuzz/README.md) through the target itself. Fresh connections (mode bit 1 clear):
/// `read_tls` + `process_new_packets` (in reads of `64 * (mode >> 2)` bytes) and
/// `read_tls_in_place` end with the same error or none, the same parameters, plaintext (none) and
/// output. Established pairs (bit 1 set; always a full handshake here: bit 5 is set, where the
/// fuzz target resumes a ticket when it is clear): the genuine records before the first byte the
/// tail changes arrive intact and in order, nothing after it does, and then the victim's answer
/// (or, after an error, that error again from `write_tls_into` and its alert) reaches the peer
/// in place.
#[test]
fn inplace_seeds_replay() {
    for (name, mut data) in seeds("inplace") {
        let Some(mode) = data.first_mut() else {
            continue;
        };
        if *mode & 2 != 0 {
            *mode |= 32;
        }
        let result = std::panic::catch_unwind(|| spectls_fuzz::targets::inplace(&data));
        assert!(result.is_ok(), "{name}");
    }
}

/// Found by the `inplace` target (its differential mode, on a seed one mutation away), fixed
/// with this test: after close_notify, the buffered path went on processing one more record per
/// `process_new_packets` call, so a server answered a ClientHello that followed a close_notify
/// in the same read, and data after close_notify reached `reader()`. RFC 5246 7.2.1: nothing
/// after close_notify counts. Now the rest of the buffer is dropped and `read_tls` takes no more
/// (returns 0, as rustls's does).
#[test]
fn nothing_after_close_notify_is_processed() {
    // In the clear: close_notify, then a genuine ClientHello, in one read.
    let mut hello = new_client();
    let hello = drain(&mut hello);
    let mut input = vec![21, 3, 3, 0, 2, 1, 0];
    input.extend_from_slice(&hello);
    let mut s = new_server();
    assert_eq!(s.read_tls(&mut &input[..]).unwrap(), input.len());
    for _ in 0..3 {
        // A close_notify before the handshake completed ends it with an error (issue 9: it
        // used to leave a connection that wanted neither to read nor to write).
        assert_eq!(
            s.process_new_packets().unwrap_err(),
            Error::AlertReceived(AlertDescription::CloseNotify)
        );
        assert!(
            !s.wants_write(),
            "the ClientHello after close_notify is not answered"
        );
        assert!(s.is_handshaking() && s.negotiated_cipher_suite().is_none());
    }
    assert_eq!(
        s.read_tls(&mut &hello[..]).unwrap(),
        0,
        "no more input taken"
    );
    assert!(!s.wants_read());

    // Protected: data, close_notify, more data in one read; only the first data is read.
    let (mut c, mut s) = (new_client(), new_server());
    handshake(&mut c, &mut s, false);
    c.writer().write_all(b"before").unwrap();
    let mut input = drain(&mut c);
    c.send_close_notify();
    input.extend(drain(&mut c));
    // A record after close_notify that would fail authentication if it were looked at.
    input.extend_from_slice(&[23, 3, 3, 0, 5, 1, 2, 3, 4, 5]);
    let mut rd = &input[..];
    s.read_tls(&mut rd).unwrap();
    let state = s.process_new_packets().unwrap();
    assert!(state.peer_has_closed);
    assert_eq!(state.plaintext_bytes_to_read, 6);
    assert_eq!(s.process_new_packets().unwrap().plaintext_bytes_to_read, 6);
    let mut got = Vec::new();
    s.reader().read_to_end(&mut got).unwrap();
    assert_eq!(got, b"before");
}
