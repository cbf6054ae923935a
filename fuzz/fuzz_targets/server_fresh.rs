//! A fresh `ServerConnection` fed the input as the client's byte stream.
//! Nothing may panic; errors are fine (and must be sticky).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = spectls_fuzz::targets::server_fresh(data);
});
