//! Negative tests, robustness: garbage, prefixes and mutations of real flights never panic, and
//! a connection either waits or fails with an alert.
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
use spectls::codec::Codec;
use spectls::wire::{Alert, ContentType};
use spectls::{ConnectionCommon, Error, IoState, ServerConnection};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

// ==========================================================================================
// Robustness: garbage, prefixes and mutations never panic
// ==========================================================================================

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Feeds `input` to `conn` without panicking; it either waits or fails, and a failure that owes
/// an alert queues one (in the clear: nothing here gets past the first flight's keys).
#[track_caller]
fn survives(conn: &mut ConnectionCommon, input: &[u8], what: &str) -> Result<IoState, Error> {
    let got = catch_unwind(AssertUnwindSafe(|| feed(conn, input)))
        .unwrap_or_else(|_| panic!("panicked on {what}: {input:02x?}"));
    let again = catch_unwind(AssertUnwindSafe(|| conn.process_new_packets()))
        .unwrap_or_else(|_| panic!("panicked re-processing {what}"));
    match &got {
        Ok(_) => assert!(again.is_ok(), "{what}"),
        Err(e) => {
            assert_eq!(again.as_ref().unwrap_err(), e, "{what}: sticky");
            let out = drain(conn);
            if let Some(alert) = e.alert() {
                let recs = split_records(&out);
                let last = recs
                    .last()
                    .unwrap_or_else(|| panic!("{what}: no alert for {e:?}"));
                assert_eq!(last.0, ContentType::Alert, "{what}");
                if let Ok(a) = Alert::from_bytes(fragment_of(&last.1)) {
                    assert_eq!(a, fatal(alert), "{what}");
                }
            }
        }
    }
    got
}

#[test]
fn random_garbage_never_panics() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..400 {
        let len = (rng.next() % 300) as usize;
        let mut input = rng.bytes(len);
        // Half the time, a plausible record header, so the fuzz reaches the message decoders.
        if round % 2 == 0 && len >= 9 {
            input[0] = [20, 21, 22, 23][(rng.next() % 4) as usize];
            input[1..3].copy_from_slice(&[3, 3]);
            input[3..5].copy_from_slice(&((len - 5) as u16).to_be_bytes());
            if input[0] == 22 {
                input[5] = [1, 2, 11, 12, 14, 16, 20][(rng.next() % 7) as usize];
                input[6..9].copy_from_slice(&[0, ((len - 9) >> 8) as u8, (len - 9) as u8]);
            }
        }
        let mut s = ServerConnection::new(Arc::new(server_config(false))).unwrap();
        let _ = survives(&mut s, &input, &format!("server round {round}"));
        let (mut c, _) = pair(client_config(), server_config(false));
        drain(&mut c);
        let _ = survives(&mut c, &input, &format!("client round {round}"));
    }
}

#[test]
fn every_prefix_of_a_client_hello_waits() {
    let (mut c, _) = pair(client_config(), server_config(false));
    let hello = drain(&mut c);
    for n in 0..hello.len() {
        let mut s = ServerConnection::new(Arc::new(server_config(false))).unwrap();
        survives(&mut s, &hello[..n], &format!("prefix {n}")).expect("a prefix waits");
        assert!(!s.wants_write(), "prefix {n}: nothing to say yet");
        assert!(s.wants_read());
    }
    // Byte by byte, then whole.
    let mut s = ServerConnection::new(Arc::new(server_config(false))).unwrap();
    for (i, b) in hello.iter().enumerate() {
        feed(&mut s, &[*b]).unwrap_or_else(|e| panic!("byte {i}: {e:?}"));
    }
    assert!(s.wants_write(), "the whole ClientHello is answered");
}

#[test]
fn every_prefix_of_the_server_flights_waits() {
    let (mut c, mut s) = pair(client_config(), server_config(true));
    transfer(&mut c, &mut s).unwrap();
    let first = drain(&mut s);
    for (i, b) in first.iter().enumerate() {
        feed(&mut c, &[*b]).unwrap_or_else(|e| panic!("byte {i}: {e:?}"));
        assert_eq!(c.wants_write(), i == first.len() - 1, "byte {i}");
    }
    transfer(&mut c, &mut s).unwrap();
    let last = drain(&mut s);
    for (i, b) in last.iter().enumerate() {
        feed(&mut c, &[*b]).unwrap_or_else(|e| panic!("byte {i}: {e:?}"));
        assert_eq!(c.is_handshaking(), i < last.len() - 1, "byte {i}");
    }
}

/// Each single-byte mutation of one flight, given to a fresh connection at the point it expects
/// that flight. `setup` returns the victim and the untouched flight.
fn mutate_flight(what: &str, setup: &dyn Fn() -> (Victim, Vec<u8>)) -> (usize, usize) {
    let (_, flight) = setup();
    let (mut ok, mut failed) = (0, 0);
    for pos in 0..flight.len() {
        for mask in [0x01u8, 0x80, 0xff] {
            let (mut victim, mut input) = setup();
            // Signature lengths vary a little between runs.
            let Some(byte) = input.get_mut(pos) else {
                continue;
            };
            *byte ^= mask;
            match survives(
                &mut victim,
                &input,
                &format!("{what} byte {pos} ^ {mask:#04x}"),
            ) {
                Ok(_) => ok += 1,
                Err(_) => failed += 1,
            }
        }
    }
    (ok, failed)
}

#[test]
fn mutated_client_hello_never_panics() {
    let (ok, failed) = mutate_flight("ClientHello", &|| {
        let (mut c, s) = pair(client_config(), server_config(false));
        let hello = drain(&mut c);
        (Box::new(s) as Victim, hello)
    });
    assert!(failed > 0 && ok > 0, "ok {ok}, failed {failed}");
}

#[test]
fn mutated_server_flight_never_panics() {
    let (ok, failed) = mutate_flight("server flight", &|| {
        let (mut c, mut s) = pair(client_config(), server_config(false));
        transfer(&mut c, &mut s).unwrap();
        let flight = drain(&mut s);
        (Box::new(c) as Victim, flight)
    });
    // Nearly every byte is covered by a length, the certificate or the signature.
    assert!(failed > ok, "ok {ok}, failed {failed}");
}

#[test]
fn mutated_client_key_exchange_flight_never_panics() {
    let (ok, failed) = mutate_flight("client second flight", &|| {
        let (mut c, mut s) = pair(client_config(), server_config(false));
        transfer(&mut c, &mut s).unwrap();
        transfer(&mut s, &mut c).unwrap();
        let flight = drain(&mut c);
        (Box::new(s) as Victim, flight)
    });
    assert!(failed > ok, "ok {ok}, failed {failed}");
}

#[test]
fn mutated_server_finished_flight_never_panics() {
    let (ok, failed) = mutate_flight("server second flight", &|| {
        let (mut c, mut s) = pair(client_config(), server_config(false));
        transfer(&mut c, &mut s).unwrap();
        transfer(&mut s, &mut c).unwrap();
        transfer(&mut c, &mut s).unwrap();
        let flight = drain(&mut s);
        (Box::new(c) as Victim, flight)
    });
    assert!(failed > ok, "ok {ok}, failed {failed}");
}
