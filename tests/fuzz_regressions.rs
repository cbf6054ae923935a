//! Regression tests from fuzzing (`fuzz/`, cargo-fuzz): every input here went through the same
//! public API the fuzz target uses, with the exact bytes the fuzzer (or the seed generator)
//! produced. A test pins what must happen: no panic, the documented error, and the round-trip
//! property of the generated decoders.
//!
//! The committed seed corpora (`fuzz/seeds/<target>/`) are replayed too, so `cargo test` runs the
//! decoder and fresh-connection harnesses over them without libFuzzer, and the `stream` target's
//! harness itself (`fuzz/src/stream.rs`, included below) over its seeds.

use spectls::codec::{Codec, Encode, Reader};
use spectls::pki::{certs_from_pem, private_key_from_pem};
use spectls::pki::{RootCertStore, WebPkiClientVerifier};
use spectls::session::Ticketer;
use spectls::wire::{
    Alert, AlertDescription, ChangeCipherSpec, CipherType, Extension, Handshake, HandshakeType,
    KeyExchangeAlgorithm, PublicValueEncoding, TLSCiphertext, TLSPlaintext,
};
use spectls::{
    ClientConfig, ClientConnection, ConnectionCommon, Error, ServerConfig, ServerConnection,
};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The `stream` fuzz target's transport and driver, shared with `fuzz/` (public API only).
#[path = "../fuzz/src/stream.rs"]
mod stream_harness;

const CA: &[u8] = include_bytes!("data/certs/ca.pem");
const ECDSA_CHAIN: &[u8] = include_bytes!("data/certs/server-ecdsa.pem");
const ECDSA_KEY: &[u8] = include_bytes!("data/certs/server-ecdsa.key");
const ECDSA_OCSP: &[u8] = include_bytes!("data/certs/ocsp-ecdsa.der");

/// The fuzz targets' client: test CA, ALPN `h2`, `http/1.1`.
fn client() -> ClientConnection {
    let config = ClientConfig::builder()
        .with_root_certificates(RootCertStore::from_pem(CA).unwrap())
        .with_alpn_protocols(vec![b"h2".to_vec(), b"http/1.1".to_vec()])
        .build()
        .unwrap();
    ClientConnection::new(Arc::new(config), "localhost".try_into().unwrap()).unwrap()
}

/// The fuzz targets' server: ECDSA test certificate with its OCSP response, ALPN `http/1.1`,
/// optional client authentication against the test CA, tickets.
fn server() -> ServerConnection {
    let roots = Arc::new(RootCertStore::from_pem(CA).unwrap());
    let config = ServerConfig::builder()
        .with_single_cert_with_ocsp(
            certs_from_pem(ECDSA_CHAIN).unwrap(),
            private_key_from_pem(ECDSA_KEY).unwrap(),
            ECDSA_OCSP.to_vec(),
        )
        .unwrap()
        .with_alpn_protocols(vec![b"http/1.1".to_vec()])
        .with_client_cert_verifier(
            WebPkiClientVerifier::builder(roots)
                .allow_unauthenticated()
                .build()
                .unwrap(),
        )
        .with_ticketer(Ticketer::new(Duration::from_secs(3600)).unwrap())
        .build()
        .unwrap();
    ServerConnection::new(Arc::new(config)).unwrap()
}

fn drain(conn: &mut ConnectionCommon) -> Vec<u8> {
    let mut out = Vec::new();
    while conn.wants_write() {
        if conn.write_tls(&mut out).unwrap() == 0 {
            break;
        }
    }
    out
}

/// `read_tls` + `process_new_packets` until the input is used up or processing fails; the
/// failure must be sticky.
fn feed(conn: &mut ConnectionCommon, input: &[u8]) -> Result<(), Error> {
    let mut rd = input;
    while !rd.is_empty() {
        // Ok(0): the peer closed (close_notify); nothing more is taken in.
        if let Ok(0) = conn.read_tls(&mut rd) {
            break;
        }
        if let Err(e) = conn.process_new_packets() {
            assert_eq!(conn.process_new_packets().err(), Some(e.clone()), "sticky");
            return Err(e);
        }
        // The progress invariant (as the fuzz targets check it).
        assert!(
            conn.wants_read() || conn.wants_write() || !conn.is_handshaking(),
            "stuck: no error, handshaking, wants neither to read nor to write"
        );
    }
    Ok(())
}

/// The rest of the API after the input (what the fuzz targets' `finish` does).
fn finish(conn: &mut ConnectionCommon) {
    let _ = drain(conn);
    let mut buf = [0u8; 4096];
    let _ = conn.reader().read(&mut buf);
    let _ = conn.writer().write(b"fuzz");
    conn.send_close_notify();
    let _ = drain(conn);
    let _ = conn.read_tls(&mut &[][..]);
    let _ = conn.process_new_packets();
    let _ = conn.reader().read(&mut buf);
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

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
                KeyExchangeAlgorithm::EcDiffieHellman,
                PublicValueEncoding::Explicit,
            )
        });
        assert!(n > 0, "{name}");
    }
    for (name, data) in seeds("extensions") {
        let ch = round_trips(&name, &data, |r| {
            Extension::decode(r, HandshakeType::ClientHello)
        });
        let sh = round_trips(&name, &data, |r| {
            Extension::decode(r, HandshakeType::ServerHello)
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

#[test]
fn connection_seeds_do_not_panic() {
    for (_, data) in seeds("client_fresh") {
        let mut c = client();
        let _ = drain(&mut c);
        let _ = feed(&mut c, &data);
        finish(&mut c);
    }
    for (_, data) in seeds("server_fresh") {
        let mut s = server();
        let _ = feed(&mut s, &data);
        finish(&mut s);
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
            stream_harness::run(client(), plan, rest)
        } else {
            stream_harness::run(server(), plan, rest)
        };
        assert!(calls > 0, "{name}: the stream used its transport");
        max_calls = max_calls.max(calls);
    }
    assert!(
        max_calls < stream_harness::MAX_TRANSPORT_CALLS / 10,
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
        assert!(stream_harness::run(client(), 0, &data) < 32, "{input:02x?}");
        assert!(stream_harness::run(server(), 0, &data) < 32, "{input:02x?}");
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
        let mut c = client();
        let _ = drain(&mut c);
        let err = feed(&mut c, &data).expect_err(&name);
        assert!(err.alert().is_some(), "{name}: {err:?} sends an alert");
    }
}

// Findings: one test per minimised crash, with the bytes from `fuzz/artifacts/` (see
// fuzz/README.md "Findings").
#[allow(dead_code)]
fn _keep_unhex() -> Vec<u8> {
    unhex("")
}

/// Runs a full handshake in memory between `c` and `s`.
fn handshake(c: &mut ClientConnection, s: &mut ServerConnection) {
    for _ in 0..8 {
        let to_server = drain(c);
        feed(s, &to_server).unwrap();
        let to_client = drain(s);
        feed(c, &to_client).unwrap();
    }
    assert!(!c.is_handshaking() && !s.is_handshaking());
}

/// Found while writing the connection harnesses (not by libFuzzer), fixed in 2c5e0f7: `read_tls`
/// did not enforce the plaintext limit itself. A caller looping `read_tls` +
/// `process_new_packets` without consulting `wants_read()` (or reading the plaintext) buffered
/// whatever an authenticated peer sent: all 8 MiB here, while `wants_read()` had turned false
/// after ~68 KB (`MAX_PLAINTEXT_BUFFER` is 64 KiB). Like rustls's, `read_tls` must refuse input
/// in that state.
#[test]
fn read_tls_refuses_input_while_plaintext_buffer_is_full() {
    let mut c = client();
    let mut s = server();
    handshake(&mut c, &mut s);
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

/// `read_tls_in_place` over `input` as the `inplace` fuzz target calls it: again on the rest of
/// the buffer until a call consumes nothing; a call never consumes more than it was given, and
/// an error is sticky (again on the same bytes, from `process_new_packets`, from
/// `write_tls_into`). Returns the plaintext of each application data record and the outcome.
fn read_in_place(conn: &mut ConnectionCommon, input: &[u8]) -> (Vec<Vec<u8>>, Result<(), Error>) {
    let mut buf = input.to_vec();
    let mut pos = 0;
    let mut records = Vec::new();
    loop {
        let remaining = buf.len() - pos;
        match conn.read_tls_in_place(&mut buf[pos..]) {
            Ok(r) => {
                assert!(
                    r.consumed <= remaining,
                    "consumed {} of {remaining}",
                    r.consumed
                );
                if !r.plaintext.is_empty() {
                    records.push(r.plaintext.to_vec());
                }
                if r.consumed == 0 {
                    return (records, Ok(()));
                }
                pos += r.consumed;
            }
            Err(e) => {
                assert_eq!(
                    conn.read_tls_in_place(&mut buf[pos..]),
                    Err(e.clone()),
                    "sticky"
                );
                assert_eq!(conn.process_new_packets(), Err(e.clone()), "sticky");
                assert_eq!(conn.write_tls_into(b"x", &mut Vec::new()), Err(e.clone()));
                assert!(!conn.wants_read());
                return (records, Err(e));
            }
        }
    }
}

/// The `inplace` target's client for its suite choice (`mode` bits 2-3): AES-128-GCM,
/// AES-256-GCM, ChaCha20-Poly1305, or all of them.
fn inplace_client(suite: u8) -> ClientConnection {
    use spectls::crypto::suites::*;
    let suites: Vec<&'static SupportedCipherSuite> = match suite {
        0 => vec![&TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256],
        1 => vec![&TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384],
        2 => vec![&TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256],
        _ => ALL_CIPHER_SUITES.to_vec(),
    };
    let config = ClientConfig::builder()
        .with_root_certificates(RootCertStore::from_pem(CA).unwrap())
        .with_alpn_protocols(vec![b"h2".to_vec(), b"http/1.1".to_vec()])
        .with_cipher_suites(&suites)
        .build()
        .unwrap();
    ClientConnection::new(Arc::new(config), "localhost".try_into().unwrap()).unwrap()
}

/// Application data `n` bytes long, different for each `seed` (the fuzz target's pattern).
fn inplace_pattern(seed: usize, n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| (i.wrapping_mul(31) ^ seed.wrapping_mul(101) ^ (i >> 8)) as u8)
        .collect()
}

/// Fresh connections: `a` gets `stream` through `read_tls` (reads of at most `chunk` bytes) +
/// `process_new_packets`, `b` through `read_tls_in_place`; both must end the same way.
fn inplace_differential(
    name: &str,
    a: &mut ConnectionCommon,
    b: &mut ConnectionCommon,
    stream: &[u8],
    chunk: usize,
) {
    let mut rd = stream;
    let ra = loop {
        if rd.is_empty() {
            break Ok(());
        }
        let mut piece = &rd[..rd.len().min(chunk)];
        let n = match a.read_tls(&mut piece) {
            // The peer closed (close_notify): nothing more is taken in.
            Ok(0) => break Ok(()),
            Ok(n) => n,
            Err(_) => 0,
        };
        rd = &rd[n..];
        if let Err(e) = a.process_new_packets() {
            break Err(e);
        }
    };
    let (plain, rb) = read_in_place(b, stream);
    assert!(plain.is_empty(), "{name}");
    assert_eq!(ra, rb, "{name}: read_tls and read_tls_in_place disagree");
    assert_eq!(a.is_handshaking(), b.is_handshaking(), "{name}");
    assert_eq!(
        a.negotiated_cipher_suite(),
        b.negotiated_cipher_suite(),
        "{name}"
    );
    assert_eq!(a.wants_write(), b.wants_write(), "{name}");
    finish(b);
}

/// Replays the committed seeds of the `inplace` target (`fuzz/seeds/inplace/`, layout in
/// fuzz/README.md). Fresh connections (mode bit 1 clear): `read_tls` + `process_new_packets` (in
/// reads of `64 * (mode >> 2)` bytes) and `read_tls_in_place` end with the same error or none,
/// the same handshake state and suite, and both send something or neither. Established pairs
/// (bit 1 set; always a full handshake here, where the fuzz target resumes a ticket when bit 5
/// is clear): the genuine records before the first byte the tail changes arrive intact and in
/// order, nothing after it does, and then the victim's answer (or, after an error, that error
/// again from `write_tls_into` and its alert) reaches the peer in place.
#[test]
fn inplace_seeds_replay() {
    for (name, data) in seeds("inplace") {
        let Some((&mode, rest)) = data.split_first() else {
            continue;
        };
        if mode & 2 == 0 {
            let chunk = match (mode >> 2) as usize {
                0 => usize::MAX,
                c => 64 * c,
            };
            if mode & 1 == 0 {
                inplace_differential(&name, &mut server(), &mut server(), rest, chunk);
            } else {
                let (mut a, mut b) = (client(), client());
                let _ = drain(&mut a);
                let _ = drain(&mut b);
                inplace_differential(&name, &mut a, &mut b, rest, chunk);
            }
            continue;
        }

        let to_server = mode & 1 != 0;
        let xor = mode & 16 != 0;
        let params = rest.first().copied().unwrap_or(0);
        let k = (params & 7) as usize;
        let reply = inplace_pattern(1000, 17 * ((params >> 3) as usize).pow(2));
        let tail = rest.get(1 + k..).unwrap_or_default();
        let mut c = inplace_client((mode >> 2) & 3);
        let mut s = server();
        if mode & 64 != 0 {
            for _ in 0..4 {
                let (got, r) = read_in_place(&mut s, &drain(&mut c));
                assert!(got.is_empty() && r.is_ok(), "{name}");
                let (got, r) = read_in_place(&mut c, &drain(&mut s));
                assert!(got.is_empty() && r.is_ok(), "{name}");
            }
            assert!(!c.is_handshaking() && !s.is_handshaking(), "{name}");
        } else {
            handshake(&mut c, &mut s);
        }
        let (victim, peer): (&mut ConnectionCommon, &mut ConnectionCommon) = if to_server {
            (&mut s, &mut c)
        } else {
            (&mut c, &mut s)
        };

        // Genuine writes; each record's place on the wire and its plaintext.
        let mut genuine = Vec::new();
        let mut records = Vec::new();
        for j in 0..k {
            let size = rest.get(1 + j).copied().unwrap_or(0) as usize;
            let payload = inplace_pattern(j, size * size / 3);
            let start = genuine.len();
            if mode & 128 != 0 {
                peer.writer().write_all(&payload).unwrap();
                genuine.extend_from_slice(&drain(peer));
            } else {
                peer.write_tls_into(&payload, &mut genuine).unwrap();
            }
            let mut lens = Vec::new();
            let mut at = start;
            while at < genuine.len() {
                let len = 5 + u16::from_be_bytes([genuine[at + 3], genuine[at + 4]]) as usize;
                lens.push(len);
                at += len;
            }
            if lens.is_empty() {
                continue;
            }
            let overhead = (genuine.len() - start - 5 * lens.len() - payload.len()) / lens.len();
            let (mut at, mut off) = (start, 0);
            for len in lens {
                let plain = len - 5 - overhead;
                records.push((at + len, payload[off..off + plain].to_vec()));
                at += len;
                off += plain;
            }
        }
        let mut wire = genuine.clone();
        if xor {
            for (i, t) in tail.iter().enumerate() {
                match wire.get_mut(i) {
                    Some(w) => *w ^= t,
                    None => wire.push(*t),
                }
            }
        } else {
            wire.extend_from_slice(tail);
        }
        let first_change = wire
            .iter()
            .zip(&genuine)
            .position(|(w, g)| w != g)
            .unwrap_or(genuine.len());
        let expected: Vec<Vec<u8>> = records
            .into_iter()
            .filter(|(end, plain)| *end <= first_change && !plain.is_empty())
            .map(|(_, plain)| plain)
            .collect();
        let (got, result) = read_in_place(victim, &wire);
        assert!(
            got == expected,
            "{name}: genuine records arrive intact, nothing else"
        );

        let mut out = Vec::new();
        match result {
            Err(e) => {
                assert_eq!(
                    victim.write_tls_into(&reply, &mut out),
                    Err(e.clone()),
                    "{name}"
                );
                let (_, heard) = read_in_place(peer, &drain(victim));
                if let Some(d) = e.alert() {
                    assert_eq!(heard, Err(Error::AlertReceived(d)), "{name}");
                }
            }
            Ok(()) => {
                victim.write_tls_into(&reply, &mut out).unwrap();
                let (heard, r) = read_in_place(peer, &out);
                assert_eq!(r, Ok(()), "{name}");
                assert!(heard.concat() == reply, "{name}: the answer arrives intact");
            }
        }
        finish(victim);
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
    let mut hello = client();
    let hello = drain(&mut hello);
    let mut input = vec![21, 3, 3, 0, 2, 1, 0];
    input.extend_from_slice(&hello);
    let mut s = server();
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
    let (mut c, mut s) = (client(), server());
    handshake(&mut c, &mut s);
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
