//! `wire::tls13::Handshake` (RFC 8446's message set, schema/rfc8446.tls): messages decoded one
//! after another with X.509 certificates and a SHA-256 transcript, round trip on success; then the
//! first message with no context at all (only a Finished needs some), with SHA-384's length and
//! with raw public keys, each decoding or failing cleanly and round-tripping when it decodes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spectls::codec::Reader;
use spectls::wire::{tls13::Handshake, CertificateType};
use spectls_fuzz::assert_round_trip;

fuzz_target!(|data: &[u8]| {
    let mut r = Reader::new(data);
    while !r.is_empty() {
        let start = r.offset();
        match Handshake::decode(&mut r, Some(CertificateType::X509), Some(32)) {
            Ok(msg) => {
                assert_round_trip("tls13::Handshake", &msg, &data[start..r.offset()]);
                let _ = format!("{msg:?}");
                let _ = msg.selector();
            }
            Err(e) => {
                let _ = (e.to_string(), e.path(), e.alert());
                break;
            }
        }
    }
    for (cert_type, hash_len) in [
        (None, None),
        (Some(CertificateType::X509), Some(48)),
        (Some(CertificateType::RawPublicKey), Some(32)),
    ] {
        let mut r = Reader::new(data);
        if let Ok(msg) = Handshake::decode(&mut r, cert_type, hash_len) {
            assert_round_trip(
                "tls13::Handshake (other context)",
                &msg,
                &data[..r.offset()],
            );
        }
    }
});
