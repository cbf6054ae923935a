//! A `ClientConnection` past its first message: it gets the first k records of a genuine
//! handshake from a real spectls `ServerConnection` created in the same execution, then the fuzz
//! input (raw, or XORed over the rest of the genuine records).
//!
//! Why a real server per execution rather than a flight captured once: the ServerKeyExchange
//! signature covers the client's random, which is fresh for every `ClientConnection`, so a stored
//! flight can never get a client past ServerKeyExchange (everything after it would go unfuzzed).
//! A genuine same-run flight can; it costs one server key share and signature, one chain
//! verification and one signature verification per execution (ECDSA P-256, ~2000 execs/s).
//!
//! Input layout: `spectls_fuzz::targets::client_after_flight` and README.md.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = spectls_fuzz::targets::client_after_flight(data);
});
