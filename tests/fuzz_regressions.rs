//! Regression tests from fuzzing (`fuzz/`, cargo-fuzz): every input here went through the same
//! public API the fuzz target uses, with the exact bytes the fuzzer (or the seed generator)
//! produced. A test pins what must happen: no panic, the documented error, and the round-trip
//! property of the generated decoders.
//!
//! The committed seed corpora (`fuzz/seeds/<target>/`) are replayed too, so `cargo test` runs the
//! decoder and fresh-connection harnesses over them without libFuzzer.

use spectls::codec::{Codec, Encode, Reader};
use spectls::session::Ticketer;
use spectls::sign::{certs_from_pem, private_key_from_pem};
use spectls::verify::{RootCertStore, WebPkiClientVerifier};
use spectls::wire::{
    Alert, ChangeCipherSpec, CipherType, Extension, Handshake, HandshakeType, KeyExchangeAlgorithm,
    PublicValueEncoding, TLSCiphertext, TLSPlaintext,
};
use spectls::{
    ClientConfig, ClientConnection, ConnectionCommon, Error, ServerConfig, ServerConnection,
};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

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
        let _ = conn.read_tls(&mut rd);
        if let Err(e) = conn.process_new_packets() {
            assert_eq!(conn.process_new_packets().err(), Some(e.clone()), "sticky");
            return Err(e);
        }
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
