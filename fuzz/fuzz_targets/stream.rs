//! `spectls::Stream` over an in-memory transport driven by the input, for a fresh client or
//! server (`spectls_fuzz::stream` has the layout). A spin (more than 10,000 transport calls) or a
//! connection that is stuck (no error, handshaking, wanting neither to read nor to write) panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    spectls_fuzz::targets::stream(data);
});
