//! The handshake reassembler (record layer + `HandshakeJoiner`) of a `ServerConnection`, through
//! the public API only.
//!
//! Input layout: `n = data[0] & 31`, then `n` big-endian u16 record descriptors, then one byte
//! `c` (the largest `read_tls` read; 0 = everything at once), then the payload: a handshake byte
//! stream. The payload is cut into records by the descriptors: the low 13 bits are the record's
//! fragment length (clamped to what is left; 0 = an empty record), the top 3 bits its content
//! type (6 = change_cipher_spec, 7 = alert, anything else = handshake); what is left after the
//! last descriptor goes in handshake records of at most 2^14 bytes.
//!
//! Property (besides "no panic"): when every record is a non-empty handshake record, the outcome
//! (the sticky error or success, and whether the handshake moved on) is the same as when the same
//! payload arrives in maximal records in one read. Record boundaries must not matter.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = spectls_fuzz::targets::reassembler(data);
});
