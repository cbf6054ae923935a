//! An abbreviated handshake (session resumption by ticket or by session ID, RFC 5246 7.3 and
//! RFC 5077) between a real client and a real server, the fuzz input going to one side after
//! k genuine records from the other. The session comes from one genuine full handshake made
//! once per process; the stores never change afterwards, so executions stay independent.
//! Input layout: `spectls_fuzz::targets::resumption`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = spectls_fuzz::targets::resumption(data);
});
