//! A fresh `ClientConnection` that has written its ClientHello, fed the input as the server's
//! byte stream (one `read_tls` per record-layer buffer, `process_new_packets` after each).
//! Nothing may panic; errors are fine (and must be sticky).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = spectls_fuzz::targets::client_fresh(data);
});
