//! What a failed connection must look like: the exact error and its alert, sticky, nothing but
//! the alert sent (in the clear or sealed), the peer reading that alert, and the application
//! seeing the error rather than data or a clean end.

use super::*;
use spectls::codec::Codec;
use spectls::wire::{Alert, AlertDescription, ContentType, HandshakeType};
use spectls::{ConnectionCommon, Error, IoState, PeerMisbehaved, ServerConfig, ServerConnection};
use std::io::{self, Read, Write};
use std::sync::Arc;

/// The spectls error inside an `io::Error` from `reader()`/`writer()`.
pub fn inner(e: &io::Error) -> Option<&Error> {
    e.get_ref().and_then(|i| i.downcast_ref::<Error>())
}

/// `got` is `victim`'s failure: the exact error, the alert it maps to, sticky, and it reads
/// no more.
#[track_caller]
pub fn check_error(
    victim: &mut ConnectionCommon,
    got: Result<IoState, Error>,
    want: &Error,
    alert: AlertDescription,
) {
    let err = got.expect_err("the connection should fail");
    assert_eq!(&err, want);
    assert_eq!(err.alert(), Some(alert), "alert for {err:?}");
    assert_eq!(
        victim.process_new_packets().expect_err("errors are sticky"),
        err
    );
    assert!(!victim.wants_read(), "a failed connection reads no more");
}

/// `check_error`, and the only record `victim` queued is an alert (in the clear or sealed: the
/// caller checks which). Returns that record, for the peer.
#[track_caller]
pub fn failed_with_one_alert(
    victim: &mut ConnectionCommon,
    got: Result<IoState, Error>,
    want: &Error,
    alert: AlertDescription,
) -> Vec<u8> {
    check_error(victim, got, want, alert);
    let out = drain(victim);
    assert_eq!(
        types_of(&split_records(&out)),
        [ContentType::Alert],
        "only the alert is sent"
    );
    out
}

/// A failure before `victim` protects its records: the only record it queued is the fatal
/// alert, in the clear. Returns the bytes for the peer.
#[track_caller]
pub fn failed_in_clear(
    victim: &mut ConnectionCommon,
    got: Result<IoState, Error>,
    want: Error,
    alert: AlertDescription,
) -> Vec<u8> {
    let out = failed_with_one_alert(victim, got, &want, alert);
    assert_eq!(
        Alert::from_bytes(fragment_of(&out)).expect("a plaintext alert"),
        fatal(alert)
    );
    out
}

/// A failure once `victim` protects its records: one alert record the size of a sealed 2-byte
/// alert (GCM: 8-byte explicit nonce + 16-byte tag; ChaCha20: tag only). Its body is checked by
/// the peer, which must read exactly that alert.
#[track_caller]
pub fn failed_encrypted(
    victim: &mut ConnectionCommon,
    got: Result<IoState, Error>,
    want: Error,
    alert: AlertDescription,
) -> Vec<u8> {
    let out = failed_with_one_alert(victim, got, &want, alert);
    let len = fragment_of(&out).len();
    assert!(
        len == 2 + 8 + 16 || len == 2 + 16,
        "a sealed 2-byte alert, not {len} bytes"
    );
    out
}

/// `peer` reads the alert: `AlertReceived(alert)`, sticky, and it answers nothing.
#[track_caller]
pub fn receives_alert(peer: &mut ConnectionCommon, bytes: &[u8], alert: AlertDescription) {
    drain(peer);
    let err = feed(peer, bytes).expect_err("the peer should fail");
    assert_eq!(err, Error::AlertReceived(alert));
    assert_eq!(peer.process_new_packets().expect_err("sticky"), err);
    assert!(!peer.wants_write(), "no alert answers a fatal alert");
}

/// After a failure the application sees the error, not data or a clean end.
#[track_caller]
pub fn io_fails_with(conn: &mut ConnectionCommon, want: &Error) {
    let mut buf = [0u8; 16];
    let e = conn.reader().read(&mut buf).expect_err("read must fail");
    assert_eq!(inner(&e), Some(want), "read: {e:?}");
    let e = conn.writer().write(b"x").expect_err("write must fail");
    assert_eq!(inner(&e), Some(want), "write: {e:?}");
    assert!(!conn.wants_read());
}

/// The error for a ServerHello (or ServerKeyExchange) choosing `what` the client did not offer.
pub fn unoffered(what: &'static str) -> Error {
    Error::PeerMisbehaved(PeerMisbehaved::SelectedUnofferedParameter(what))
}

/// Offers `record` (a ClientHello, say) to a fresh server: the server and its answer.
pub fn offer(server: ServerConfig, record: &[u8]) -> (ServerConnection, Result<IoState, Error>) {
    let mut s = ServerConnection::new(Arc::new(server)).expect("server");
    let got = feed(&mut s, record);
    (s, got)
}

/// The server answers `record` with a ServerHello: the connection and its first flight's
/// messages.
#[track_caller]
pub fn server_accepts(server: ServerConfig, record: &[u8]) -> (ServerConnection, Vec<Vec<u8>>) {
    let (mut s, got) = offer(server, record);
    got.expect("ClientHello accepted");
    let msgs = handshake_messages(&drain(&mut s));
    assert_eq!(msgs[0][0], HandshakeType::ServerHello.value());
    (s, msgs)
}

/// The server refuses `record` with `want` and nothing but the alert, in the clear; the
/// connection, for more checks.
#[track_caller]
pub fn server_refuses(
    server: ServerConfig,
    record: &[u8],
    want: Error,
    alert: AlertDescription,
) -> ServerConnection {
    let (mut s, got) = offer(server, record);
    failed_in_clear(&mut s, got, want, alert);
    s
}
