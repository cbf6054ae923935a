//! `wire::tls12::Handshake` in the spectls profile (ECDHE, explicit public values), messages decoded one
//! after another, round trip on success; then the same bytes under every other key-exchange
//! context, and with none, which must decode or fail cleanly (and round-trip when they decode).
#![no_main]

use libfuzzer_sys::fuzz_target;
use spectls::codec::Reader;
use spectls::wire::{tls12::Handshake, KeyExchangeAlgorithm as K, PublicValueEncoding as P};
use spectls_fuzz::assert_round_trip;

fn run(data: &[u8], kx: K, pv: P) {
    let mut r = Reader::new(data);
    while !r.is_empty() {
        let start = r.offset();
        match Handshake::decode(&mut r, Some(kx), Some(pv)) {
            Ok(msg) => {
                assert_round_trip("Handshake", &msg, &data[start..r.offset()]);
                let _ = format!("{msg:?}");
                let _ = msg.selector();
            }
            Err(e) => {
                let _ = (e.to_string(), e.path(), e.alert());
                break;
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    run(data, K::EcDiffieHellman, P::Explicit);
    if let Ok(msg) = Handshake::from_bytes(data, Some(K::EcDiffieHellman), Some(P::Explicit)) {
        assert_round_trip("Handshake::from_bytes", &msg, data);
    }
    // The other contexts, only on the first message (cheap; most arms are the same).
    for kx in [
        K::DheDss,
        K::DheRsa,
        K::DhAnon,
        K::Rsa,
        K::DhDss,
        K::DhRsa,
        K::EcDiffieHellman,
    ] {
        for pv in [P::Implicit, P::Explicit] {
            let mut r = Reader::new(data);
            if let Ok(msg) = Handshake::decode(&mut r, Some(kx), Some(pv)) {
                assert_round_trip("Handshake (other context)", &msg, &data[..r.offset()]);
            }
        }
    }
    // No context: messages that need none decode; the key exchanges fail cleanly with
    // MissingContext, never otherwise.
    let mut r = Reader::new(data);
    match Handshake::decode(&mut r, None, None) {
        Ok(msg) => assert_round_trip("Handshake (no context)", &msg, &data[..r.offset()]),
        Err(e) => {
            let _ = (e.to_string(), e.path(), e.alert());
        }
    }
});
