//! An abbreviated handshake between a real client and a real server, the fuzz input going to one
//! side after k genuine records from the other: TLS 1.2 session resumption by ticket or by
//! session ID (RFC 5246 7.3, RFC 5077), or TLS 1.3 resumption by ticket (RFC 8446 2.2) with
//! (EC)DHE or the PSK alone, with or without 0-RTT data (2.3). The session or ticket comes from
//! one genuine full handshake made once per process; the stores never change afterwards, so
//! executions stay independent.
//! Input layout: `spectls_fuzz::targets::resumption`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = spectls_fuzz::targets::resumption(data);
});
