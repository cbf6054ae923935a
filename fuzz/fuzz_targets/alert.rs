//! `wire::Alert` (Codec): decode from the front and as a whole; round trip on success.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spectls::codec::{Codec, Reader};
use spectls::wire::Alert;
use spectls_fuzz::assert_round_trip;

fuzz_target!(|data: &[u8]| {
    let mut r = Reader::new(data);
    match Alert::decode(&mut r) {
        Ok(a) => {
            assert_round_trip("Alert", &a, &data[..r.offset()]);
            let _ = format!("{a:?}");
        }
        Err(e) => {
            let _ = (e.to_string(), e.alert());
        }
    }
    if let Ok(a) = Alert::from_bytes(data) {
        assert_round_trip("Alert::from_bytes", &a, data);
    }
});
