//! `wire::TLSPlaintext` (Codec): records decoded one after another from the input; each one that
//! decodes must encode back to exactly the bytes it used.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spectls::codec::{Codec, Reader};
use spectls::wire::TLSPlaintext;
use spectls_fuzz::assert_round_trip;

fuzz_target!(|data: &[u8]| {
    let mut r = Reader::new(data);
    while !r.is_empty() {
        let start = r.offset();
        match TLSPlaintext::decode(&mut r) {
            Ok(rec) => {
                assert_round_trip("TLSPlaintext", &rec, &data[start..r.offset()]);
                let _ = format!("{rec:?}");
            }
            Err(e) => {
                let _ = (e.to_string(), e.path(), e.alert());
                break;
            }
        }
    }
    // from_bytes: the whole input as one record.
    if let Ok(rec) = TLSPlaintext::from_bytes(data) {
        assert_round_trip("TLSPlaintext::from_bytes", &rec, data);
    }
});
