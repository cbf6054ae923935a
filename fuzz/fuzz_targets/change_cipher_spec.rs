//! `wire::ChangeCipherSpec` (Codec): decode from the front and as a whole; round trip on success.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spectls::codec::{Codec, Reader};
use spectls::wire::ChangeCipherSpec;
use spectls_fuzz::assert_round_trip;

fuzz_target!(|data: &[u8]| {
    let mut r = Reader::new(data);
    match ChangeCipherSpec::decode(&mut r) {
        Ok(c) => {
            assert_round_trip("ChangeCipherSpec", &c, &data[..r.offset()]);
            let _ = format!("{c:?}");
        }
        Err(e) => {
            let _ = (e.to_string(), e.alert());
        }
    }
    if let Ok(c) = ChangeCipherSpec::from_bytes(data) {
        assert_round_trip("ChangeCipherSpec::from_bytes", &c, data);
    }
});
