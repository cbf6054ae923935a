//! `wire::Extension`: hello extensions decoded one after another in a ClientHello context and in
//! a ServerHello context (the `select (Handshake.msg_type)` bodies differ: server_name,
//! status_request), round trip on success. Every typed extension body is reached through its
//! `extension_type`; unknown ones must come back as the same raw bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spectls::codec::Reader;
use spectls::wire::{Extension, HandshakeType};
use spectls_fuzz::assert_round_trip;

fuzz_target!(|data: &[u8]| {
    for ctx in [
        HandshakeType::ClientHello,
        HandshakeType::ServerHello,
        // Not a hello: bodies that select on the message type have no arm for it.
        HandshakeType::Certificate,
    ] {
        let mut r = Reader::new(data);
        while !r.is_empty() {
            let start = r.offset();
            match Extension::decode(&mut r, ctx) {
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
        if let Ok(ext) = Extension::from_bytes(data, ctx) {
            assert_round_trip("Extension::from_bytes", &ext, data);
        }
    }
});
