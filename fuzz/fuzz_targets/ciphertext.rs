//! `wire::tls12::TLSCiphertext` with AEAD context: an 8-byte explicit nonce (AES-GCM, RFC 5288) and
//! none (ChaCha20-Poly1305, RFC 7905); also the stream/block contexts spectls does not
//! implement (they must fail cleanly). Round trip on success.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spectls::codec::Reader;
use spectls::wire::{tls12::TLSCiphertext, CipherType};
use spectls_fuzz::assert_round_trip;

fuzz_target!(|data: &[u8]| {
    for (cipher, iv) in [
        (CipherType::Aead, 8),
        (CipherType::Aead, 0),
        (CipherType::Aead, 12),
        (CipherType::Stream, 0),
        (CipherType::Block, 16),
    ] {
        let mut r = Reader::new(data);
        while !r.is_empty() {
            let start = r.offset();
            match TLSCiphertext::decode(&mut r, cipher, iv) {
                Ok(rec) => {
                    assert_round_trip("TLSCiphertext", &rec, &data[start..r.offset()]);
                    let _ = format!("{rec:?}");
                }
                Err(e) => {
                    let _ = (e.to_string(), e.alert());
                    break;
                }
            }
        }
        if let Ok(rec) = TLSCiphertext::from_bytes(data, cipher, iv) {
            assert_round_trip("TLSCiphertext::from_bytes", &rec, data);
        }
    }
});
