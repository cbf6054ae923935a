//! Every context-free type of the schema through the generated round-trip registry
//! (`internal::round_trip`): `data[0]` picks the type from `internal::ROUND_TRIP_TYPES`, the rest is
//! decoded as it; on success the encoding must be exactly the bytes used, and decoding that
//! encoding must give the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spectls::internal::{round_trip, ROUND_TRIP_TYPES};
use spectls_fuzz::hex;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let name = ROUND_TRIP_TYPES[pick as usize % ROUND_TRIP_TYPES.len()];
    match round_trip(name, bytes).expect("a registered name") {
        Ok(rt) => {
            assert!(
                rt.encoded == bytes[..rt.used],
                "{name} does not round-trip:\n  in:  {}\n  out: {}",
                hex(&bytes[..rt.used]),
                hex(&rt.encoded)
            );
            assert!(rt.same, "{name}: decoding the encoding gives another value");
        }
        Err(e) => {
            let _ = (e.to_string(), e.path(), e.alert());
        }
    }
});
