//! A `ServerConnection` past its first message: it has received a VALID ClientHello from a real
//! spectls `ClientConnection` (and answered it), and maybe more genuine client records, then
//! gets the fuzz input as the rest of the client's stream (raw, or XORed over the rest of the
//! genuine records).
//!
//! The plain mode replays one ClientHello captured once (`OnceLock`): a ClientHello carries no
//! per-connection secret, so any fresh server accepts it. The other modes run a real client per
//! execution, because the client's later messages are bound to this server's random and key
//! share.
//!
//! Input layout: `spectls_fuzz::targets::server_after_hello` and README.md.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = spectls_fuzz::targets::server_after_hello(data);
});
