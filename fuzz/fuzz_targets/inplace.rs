//! The unbuffered path (`read_tls_in_place`, `write_tls_into`): on fresh connections, a
//! differential against `read_tls` + `process_new_packets` (same error, parameters, output and
//! plaintext); on an established pair from a genuine handshake made in the same execution,
//! genuine application data records (then fuzz bytes, raw or XORed over them) read in place, and
//! an answer sealed with `write_tls_into` and read in place by the peer.
//!
//! Input layout: `spectls_fuzz::targets::inplace` and README.md.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = spectls_fuzz::targets::inplace(data);
});
