//! The unbuffered path: `write_tls_into` seals straight into the caller's buffer and
//! `read_tls_in_place` opens records where they lie. Checked against spectls's own buffered
//! path and against rustls, for data, handshakes driven entirely in place, ordering with queued
//! records, partial records, tampering, close_notify and misuse.

mod common;

use common::*;
use spectls::{ConnectionCommon, Error};
use std::io::{Read, Write};
use std::sync::Arc;

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 + i / 1000) as u8).collect()
}

/// Feeds `wire` to `to` through `read_tls_in_place`, collecting the plaintext; drops consumed
/// bytes as the API asks. Returns the plaintext and what was left (an incomplete record).
fn read_all_in_place(to: &mut ConnectionCommon, wire: &mut Vec<u8>) -> Result<Vec<u8>, Error> {
    let mut got = Vec::new();
    let mut pos = 0;
    loop {
        let r = to.read_tls_in_place(&mut wire[pos..])?;
        got.extend_from_slice(r.plaintext);
        if r.consumed == 0 {
            break;
        }
        pos += r.consumed;
    }
    wire.drain(..pos);
    Ok(got)
}

fn established() -> (spectls::ClientConnection, spectls::ServerConnection) {
    let (mut c, mut s) = pair(client_config(), server_config(false));
    handshake(&mut c, &mut s).expect("handshake");
    (c, s)
}

#[test]
fn data_both_ways_matches_what_was_sent() {
    let (mut c, mut s) = established();
    for len in [1, 100, 16384, 16385, 100_000, 1 << 20] {
        let data = pattern(len);
        let mut wire = Vec::new();
        c.write_tls_into(&data, &mut wire).expect("seal");
        // 5-byte header, 8-byte explicit nonce, 16-byte tag per 2^14-byte record.
        assert_eq!(wire.len(), len + len.div_ceil(1 << 14) * 29);
        assert_eq!(read_all_in_place(&mut s, &mut wire).expect("open"), data);
        assert!(wire.is_empty());

        s.write_tls_into(&data, &mut wire).expect("seal");
        assert_eq!(read_all_in_place(&mut c, &mut wire).expect("open"), data);
    }
}

#[test]
fn one_record_per_call_and_plaintext_lies_in_the_buffer() {
    let (mut c, mut s) = established();
    let mut wire = Vec::new();
    c.write_tls_into(b"first", &mut wire).expect("seal");
    c.write_tls_into(b"second", &mut wire).expect("seal");
    let first_len = wire.len() - (5 + 8 + 6 + 16);
    let start = wire.as_ptr() as usize;
    let r = s.read_tls_in_place(&mut wire).expect("open");
    assert_eq!((r.consumed, r.plaintext), (first_len, &b"first"[..]));
    // Decrypted where it lay: right after the header and explicit nonce.
    assert_eq!(r.plaintext.as_ptr() as usize, start + 5 + 8);
    let r = s.read_tls_in_place(&mut wire[first_len..]).expect("open");
    assert_eq!(r.plaintext, b"second");
    assert!(!r.peer_has_closed);
}

#[test]
fn buffered_and_in_place_interoperate() {
    let (mut c, mut s) = established();
    let data = pattern(50_000);
    // In place out, buffered in.
    let mut wire = Vec::new();
    c.write_tls_into(&data, &mut wire).expect("seal");
    feed(&mut s, &wire).expect("process");
    let mut got = vec![0; data.len()];
    s.reader().read_exact(&mut got).expect("read");
    assert_eq!(got, data);
    // Buffered out, in place in.
    s.writer().write_all(&data).expect("write");
    let mut wire = drain(&mut s);
    assert_eq!(read_all_in_place(&mut c, &mut wire).expect("open"), data);
}

#[test]
fn queued_records_go_out_first() {
    let (mut c, mut s) = established();
    // Buffered but not yet written: it was sealed first, so it must reach the wire first.
    c.writer().write_all(b"queued").expect("write");
    assert!(c.wants_write());
    let mut wire = Vec::new();
    c.write_tls_into(b"direct", &mut wire).expect("seal");
    assert!(!c.wants_write());
    assert_eq!(
        read_all_in_place(&mut s, &mut wire).expect("in order"),
        b"queueddirect"
    );
}

#[test]
fn handshake_driven_entirely_in_place() {
    let (mut c, mut s) = pair(client_config(), server_config(true));
    let mut wire = Vec::new();
    let mut flight = |from: &mut ConnectionCommon, to: &mut ConnectionCommon| {
        wire.extend(drain(from));
        let got = read_all_in_place(to, &mut wire).expect("handshake in place");
        assert!(got.is_empty(), "no application data during the handshake");
        assert!(wire.is_empty(), "every handshake record processed");
    };
    for _ in 0..6 {
        flight(&mut c, &mut s);
        flight(&mut s, &mut c);
    }
    let mut wire = Vec::new();
    assert!(!c.is_handshaking() && !s.is_handshaking());
    assert_eq!(
        c.negotiated_cipher_suite(),
        s.negotiated_cipher_suite(),
        "both sides agree"
    );
    c.write_tls_into(b"after", &mut wire).expect("seal");
    assert_eq!(
        read_all_in_place(&mut s, &mut wire).expect("open"),
        b"after"
    );
}

#[test]
fn partial_records_wait_for_the_rest() {
    let (mut c, mut s) = established();
    let mut wire = Vec::new();
    c.write_tls_into(&pattern(3000), &mut wire).expect("seal");
    for cut in [0, 1, 4, 5, 12, 13, wire.len() - 1] {
        let mut part = wire[..cut].to_vec();
        let r = s
            .read_tls_in_place(&mut part)
            .expect("incomplete is not an error");
        assert_eq!((r.consumed, r.plaintext.len()), (0, 0), "cut at {cut}");
    }
    assert_eq!(
        read_all_in_place(&mut s, &mut wire).expect("whole"),
        pattern(3000)
    );
}

#[test]
fn tampered_record_is_bad_record_mac_sticky_with_an_alert() {
    let (mut c, mut s) = established();
    let mut wire = Vec::new();
    c.write_tls_into(b"attack at dawn", &mut wire)
        .expect("seal");
    let last = wire.len() - 1;
    wire[last] ^= 1;
    assert_eq!(
        s.read_tls_in_place(&mut wire.clone()),
        Err(Error::BadRecordMac)
    );
    // Sticky: the genuine record is refused too, and process_new_packets agrees.
    wire[last] ^= 1;
    assert_eq!(s.read_tls_in_place(&mut wire), Err(Error::BadRecordMac));
    assert_eq!(s.process_new_packets(), Err(Error::BadRecordMac));
    assert!(s.wants_write(), "a bad_record_mac alert is queued");
    let mut alert = Vec::new();
    s.write_tls(&mut alert).expect("write_tls");
    assert_eq!(alert[0], 21, "alert record");
    assert_eq!(
        c.write_tls_into(b"x", &mut Vec::new()),
        Ok(()),
        "the client did not fail"
    );
    assert_eq!(
        read_all_in_place(&mut c, &mut alert),
        Err(Error::AlertReceived(
            spectls::wire::AlertDescription::BadRecordMac
        ))
    );
}

#[test]
fn close_notify_is_reported_and_ends_sending() {
    let (mut c, mut s) = established();
    let mut wire = Vec::new();
    c.write_tls_into(b"bye", &mut wire).expect("seal");
    c.send_close_notify();
    assert_eq!(
        c.write_tls_into(b"more", &mut Vec::new()),
        Err(Error::ApiMisuse("write_tls_into after close_notify"))
    );
    wire.extend(drain(&mut c));
    let r = s.read_tls_in_place(&mut wire).expect("data");
    assert_eq!((r.plaintext, r.peer_has_closed), (&b"bye"[..], false));
    let n = r.consumed;
    let r = s.read_tls_in_place(&mut wire[n..]).expect("close_notify");
    assert!(r.peer_has_closed);
    assert!(r.plaintext.is_empty());
    assert_eq!(n + r.consumed, wire.len());
    assert!(s.process_new_packets().expect("clean").peer_has_closed);
}

#[test]
fn misuse_is_refused_without_harming_the_connection() {
    let (mut c, mut s) = pair(client_config(), server_config(false));
    assert_eq!(
        c.write_tls_into(b"early", &mut Vec::new()),
        Err(Error::ApiMisuse(
            "write_tls_into before the handshake is complete"
        ))
    );
    assert_eq!(Error::ApiMisuse("x").alert(), None);
    // Half a ClientHello through read_tls, then the in-place path: refused, nothing lost.
    let hello = drain(&mut c);
    s.read_tls(&mut &hello[..10]).expect("read_tls");
    s.process_new_packets().expect("incomplete");
    let mut rest = hello[10..].to_vec();
    assert_eq!(
        s.read_tls_in_place(&mut rest),
        Err(Error::ApiMisuse(
            "read_tls_in_place while bytes from read_tls are unprocessed or unread"
        ))
    );
    assert!(!s.wants_write(), "no alert for misuse");
    s.read_tls(&mut &rest[..]).expect("read_tls");
    s.process_new_packets()
        .expect("the buffered path carries on");
    handshake(&mut c, &mut s).expect("handshake completes");
}

/// Runs a handshake between a rustls connection and a spectls one, spectls reading in place.
fn with_rustls(rustls: &mut rustls::Connection, ours: &mut ConnectionCommon) {
    let mut wire = Vec::new();
    for _ in 0..6 {
        wire.extend(rustls_out(rustls));
        assert!(read_all_in_place(ours, &mut wire)
            .expect("in place")
            .is_empty());
        rustls_in(rustls, &drain(ours));
    }
    assert!(!rustls.is_handshaking() && !ours.is_handshaking());
}

fn exchange_with_rustls(rustls: &mut rustls::Connection, ours: &mut ConnectionCommon) {
    let data = pattern(60_000); // under rustls's 64 KiB send buffer limit
    rustls.writer().write_all(&data).expect("rustls write");
    let mut wire = rustls_out(rustls);
    assert_eq!(read_all_in_place(ours, &mut wire).expect("open"), data);

    ours.write_tls_into(&data, &mut wire).expect("seal");
    let mut got = Vec::new();
    feed_each(rustls, &wire, |rustls, processed| {
        processed.expect("rustls process");
        read_plaintext(&mut rustls.reader(), &mut got).map(drop)
    })
    .expect("rustls read");
    assert_eq!(got, data);
}

#[test]
fn rustls_client_to_spectls_server_in_place() {
    let mut rustls = rustls_client_with(&Arc::new(RustlsClient::default().config()));
    let mut s = spectls::ServerConnection::new(Arc::new(server_config(false))).expect("server");
    with_rustls(&mut rustls, &mut s);
    exchange_with_rustls(&mut rustls, &mut s);
}

#[test]
fn spectls_client_to_rustls_server_in_place() {
    let mut rustls = rustls_server_with(&Arc::new(RustlsServer::default().config()));
    let mut c = spectls::ClientConnection::new(
        Arc::new(client_config()),
        "localhost".try_into().expect("name"),
    )
    .expect("client");
    // The client speaks first: its ClientHello goes to rustls before the loop.
    rustls_in(&mut rustls, &drain(&mut c));
    with_rustls(&mut rustls, &mut c);
    exchange_with_rustls(&mut rustls, &mut c);
}
