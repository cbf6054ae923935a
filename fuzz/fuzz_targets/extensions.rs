//! `wire::Extension`: hello extensions decoded one after another in a ClientHello context and in
//! a ServerHello context (the `select (Handshake.msg_type)` bodies differ: server_name,
//! status_request), also of a HelloRetryRequest (key_share), round trip on success. Every typed extension body is reached through its
//! `extension_type`; unknown ones must come back as the same raw bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spectls::codec::Reader;
use spectls::wire::{Extension, HandshakeType};
use spectls_fuzz::assert_round_trip;

fuzz_target!(|data: &[u8]| {
    // (msg_type, whether the ServerHello is a HelloRetryRequest)
    for (ctx, hrr) in [
        (HandshakeType::ClientHello, false),
        (HandshakeType::ServerHello, false),
        (HandshakeType::ServerHello, true),
        // A message no extension body has an arm for: they refuse it cleanly.
        (HandshakeType::Finished, false),
    ] {
        let mut r = Reader::new(data);
        while !r.is_empty() {
            let start = r.offset();
            match Extension::decode(&mut r, ctx, hrr) {
                Ok(ext) => {
                    assert_round_trip("Extension", &ext, &data[start..r.offset()]);
                    let _ = format!("{ext:?}");
                    let _ = ext.selector().value();
                }
                Err(e) => {
                    let _ = (e.to_string(), e.path(), e.alert());
                    break;
                }
            }
        }
        if let Ok(ext) = Extension::from_bytes(data, ctx, hrr) {
            assert_round_trip("Extension::from_bytes", &ext, data);
        }
    }
});
