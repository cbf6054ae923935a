//! TLS 1.3 0-RTT data (RFC 8446 2.3, 4.2.10, 8), in process: spectls against spectls, and
//! against rustls both ways. Accepted; rejected (server off, another ALPN protocol, a ticket
//! whose age is off, a replayed ClientHello, a HelloRetryRequest); more than the ticket allows;
//! data never mixed with 1-RTT data; the refused data skipped, bounded.

mod common;

use common::tls13::*;
use common::*;
use spectls::session::{ClientSessionMemoryCache, StoresClientSessions, Ticketer};
use spectls::wire::{tls12::Handshake, AlertDescription as A, ContentType, NamedCurve};
use spectls::{
    ClientConfig, ClientConnection, Error, PeerMisbehaved, ServerConfig, ServerConnection,
};
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

const REQUEST: &[u8] = b"GET /early HTTP/1.1\r\nHost: localhost\r\n\r\n";

/// A client that sends 0-RTT data, keeping its tickets in `store`.
fn early_client(store: &Arc<ClientSessionMemoryCache>, alpn: &[&[u8]]) -> Arc<ClientConfig> {
    Arc::new(client13(|b| {
        b.enable_early_data(true)
            .with_session_storage(store.clone())
            .with_alpn_protocols(alpn.iter().map(|p| p.to_vec()).collect())
    }))
}

/// A server with `ticketer`, accepting `max` bytes of 0-RTT data (0: off).
fn early_server(
    ticketer: &Arc<Ticketer>,
    max: u32,
    edit: impl FnOnce(spectls::ServerConfigBuilder) -> spectls::ServerConfigBuilder,
) -> Arc<ServerConfig> {
    Arc::new(server13(false, |b| {
        edit(b.with_ticketer(ticketer.clone()).with_early_data(max))
    }))
}

fn ticketer() -> Arc<Ticketer> {
    Ticketer::new(Duration::from_secs(3600)).unwrap()
}

/// A full handshake that leaves the server's tickets in the client's store.
fn get_tickets(client: &Arc<ClientConfig>, server: &Arc<ServerConfig>) {
    let mut c = ClientConnection::new(client.clone(), "localhost".try_into().unwrap()).unwrap();
    let mut s = ServerConnection::new(server.clone()).unwrap();
    handshake(&mut c, &mut s).unwrap();
    s.writer().write_all(b"tickets").unwrap();
    transfer(&mut s, &mut c).unwrap();
    assert_eq!(read_all(&mut c), b"tickets");
}

/// A client connection that wrote `data` as early data (all of it must fit).
fn with_early(client: &Arc<ClientConfig>, data: &[u8]) -> ClientConnection {
    let mut c = ClientConnection::new(client.clone(), "localhost".try_into().unwrap()).unwrap();
    let mut early = c.early_data().expect("0-RTT offered");
    assert_eq!(early.write(data).unwrap(), data.len());
    c
}

/// The rest of the handshake, then 1-RTT data both ways (none of it early data).
fn finish(c: &mut ClientConnection, s: &mut ServerConnection) {
    handshake(c, s).unwrap();
    c.writer().write_all(b"one round trip later").unwrap();
    transfer(c, s).unwrap();
    assert_eq!(read_all(s), b"one round trip later");
    s.writer().write_all(b"answer").unwrap();
    transfer(s, c).unwrap();
    assert_eq!(read_all(c), b"answer");
}

fn read_early(s: &mut ServerConnection) -> Vec<u8> {
    let mut got = Vec::new();
    if let Some(mut early) = s.early_data() {
        early.read_to_end(&mut got).unwrap();
    }
    got
}

#[test]
fn early_data_is_accepted_read_apart_and_ends_with_end_of_early_data() {
    let store = ClientSessionMemoryCache::new(8);
    let client = early_client(&store, &[]);
    let server = early_server(&ticketer(), 1024, |b| b);
    get_tickets(&client, &server);
    let mut c = ClientConnection::new(client.clone(), "localhost".try_into().unwrap()).unwrap();
    let mut early = c.early_data().expect("0-RTT offered");
    assert_eq!(early.bytes_left(), 1024);
    assert_eq!(early.write(REQUEST).unwrap(), REQUEST.len());
    assert_eq!(early.bytes_left(), 1024 - REQUEST.len());
    let mut s = ServerConnection::new(server.clone()).unwrap();
    // The early data is there with the ClientHello: before the handshake completes.
    transfer(&mut c, &mut s).unwrap();
    assert!(s.is_handshaking());
    assert!(s.is_early_data_accepted());
    assert_eq!(read_early(&mut s), REQUEST);
    assert!(s.early_data().is_none(), "read once");
    assert!(read_all(&mut s).is_empty(), "never mixed with 1-RTT data");
    // The server's flight accepts it; more may follow until our EndOfEarlyData.
    transfer(&mut s, &mut c).unwrap();
    assert!(c.is_early_data_accepted() && c.is_resumed());
    assert!(
        c.early_data().is_none(),
        "EndOfEarlyData went with our Finished"
    );
    finish(&mut c, &mut s);
    assert!(s.is_resumed() && s.is_early_data_accepted());
}

#[test]
fn the_client_writes_no_more_than_the_ticket_allows() {
    let store = ClientSessionMemoryCache::new(8);
    let client = early_client(&store, &[]);
    let server = early_server(&ticketer(), 100, |b| b);
    get_tickets(&client, &server);
    let mut c = ClientConnection::new(client.clone(), "localhost".try_into().unwrap()).unwrap();
    let mut early = c.early_data().unwrap();
    assert_eq!(early.write(&[7; 150]).unwrap(), 100);
    assert_eq!(early.write(&[7; 10]).unwrap(), 0);
    let mut s = ServerConnection::new(server.clone()).unwrap();
    transfer(&mut c, &mut s).unwrap();
    assert_eq!(read_early(&mut s), vec![7; 100]);
    finish(&mut c, &mut s);
}

#[test]
fn more_early_data_than_the_ticket_allows_is_unexpected_message() {
    let store = ClientSessionMemoryCache::new(8);
    let client = early_client(&store, &[]);
    let server = early_server(&ticketer(), 100, |b| b);
    get_tickets(&client, &server);
    // A client that claims the ticket allows more than it does.
    let mut t = store.take_tls13("localhost").unwrap();
    assert_eq!(t.max_early_data, 100);
    t.max_early_data = 1000;
    store.put_tls13("localhost", t);
    let mut c = with_early(&client, &[1; 101]);
    let mut s = ServerConnection::new(server.clone()).unwrap();
    let flight = drain(&mut c);
    server_refuses_early_data(
        &mut c,
        &mut s,
        &flight,
        Error::PeerMisbehaved(PeerMisbehaved::TooMuchEarlyData),
        A::UnexpectedMessage,
    );
}

/// The server takes the ClientHello and compatibility change_cipher_spec at the front of
/// `flight` and sends its own flight; then it reads the 0-RTT records that follow and must fail
/// with `want`, sending only the alert, which the client reads after the server's flight.
fn server_refuses_early_data(
    c: &mut ClientConnection,
    s: &mut ServerConnection,
    flight: &[u8],
    want: Error,
    alert: A,
) {
    let hello_record = 5 + usize::from(u16::from_be_bytes([flight[3], flight[4]]));
    let (hello, early) = flight.split_at(hello_record + 6);
    feed(s, hello).unwrap();
    let server_flight = drain(s);
    let got = feed(s, early);
    check_error(s, got, &want, alert);
    let out = drain(s);
    let records = split_records(&out);
    assert_eq!(types_of(&records), [ContentType::ApplicationData]);
    // Header, then the alert, its content type and the tag.
    assert_eq!(
        records[0].1.len(),
        5 + 2 + 1 + 16,
        "a sealed two-byte alert"
    );
    feed(c, &server_flight).unwrap();
    receives_alert(c, &out, alert);
}

/// The handshake completes in 1-RTT: the early data is skipped by the server, reported
/// refused to the client, and not sent again.
fn refused(c: &mut ClientConnection, s: &mut ServerConnection) {
    finish(c, s);
    assert!(!c.is_early_data_accepted() && !s.is_early_data_accepted());
    assert!(s.early_data().is_none());
    assert!(c.early_data().is_none());
}

#[test]
fn a_server_with_early_data_off_skips_it_and_completes_in_one_round_trip() {
    let store = ClientSessionMemoryCache::new(8);
    let client = early_client(&store, &[]);
    let keys = ticketer();
    get_tickets(&client, &early_server(&keys, 1024, |b| b));
    // Same ticket keys, early data now off: resumed, the early records skipped unread.
    let off = early_server(&keys, 0, |b| b);
    let mut c = with_early(&client, REQUEST);
    let mut s = ServerConnection::new(off.clone()).unwrap();
    refused(&mut c, &mut s);
    assert!(c.is_resumed() && s.is_resumed());
    // A server with early data off issues tickets that allow none: nothing is offered.
    let store = ClientSessionMemoryCache::new(8);
    let client = early_client(&store, &[]);
    get_tickets(&client, &off);
    let mut c = ClientConnection::new(client.clone(), "localhost".try_into().unwrap()).unwrap();
    assert!(c.early_data().is_none());
}

#[test]
fn refused_early_data_is_skipped_only_up_to_a_bound() {
    let store = ClientSessionMemoryCache::new(8);
    let client = early_client(&store, &[]);
    let keys = ticketer();
    get_tickets(&client, &early_server(&keys, 64 * 1024, |b| b));
    // The server now takes none and skips at most 16 KiB of what it refuses.
    let off = early_server(&keys, 0, |b| b);
    let mut c = with_early(&client, &[3; 20_000]);
    let mut s = ServerConnection::new(off.clone()).unwrap();
    let flight = drain(&mut c);
    server_refuses_early_data(
        &mut c,
        &mut s,
        &flight,
        Error::PeerMisbehaved(PeerMisbehaved::TooMuchEarlyData),
        A::UnexpectedMessage,
    );
}

#[test]
fn a_ticket_from_another_alpn_protocol_resumes_nothing_and_takes_no_early_data() {
    let store = ClientSessionMemoryCache::new(8);
    let client = early_client(&store, &[b"h2", b"http/1.1"]);
    let keys = ticketer();
    let h2 = early_server(&keys, 1024, |b| b.with_alpn_protocols(vec![b"h2".to_vec()]));
    get_tickets(&client, &h2);
    let http11 = early_server(&keys, 1024, |b| {
        b.with_alpn_protocols(vec![b"http/1.1".to_vec()])
    });
    let mut c = with_early(&client, REQUEST);
    let mut s = ServerConnection::new(http11).unwrap();
    refused(&mut c, &mut s);
    assert!(!c.is_resumed() && !s.is_resumed());
    assert_eq!(c.alpn_protocol(), Some(&b"http/1.1"[..]));
    // The ticket's protocol again: accepted.
    get_tickets(&client, &h2);
    let mut c = with_early(&client, REQUEST);
    let mut s = ServerConnection::new(h2).unwrap();
    transfer(&mut c, &mut s).unwrap();
    assert_eq!(read_early(&mut s), REQUEST);
    finish(&mut c, &mut s);
    assert!(c.is_early_data_accepted());
}

#[test]
fn a_client_that_does_not_offer_the_tickets_alpn_protocol_sends_no_early_data() {
    let store = ClientSessionMemoryCache::new(8);
    let keys = ticketer();
    let server = early_server(&keys, 1024, |b| {
        b.with_alpn_protocols(vec![b"h2".to_vec(), b"http/1.1".to_vec()])
    });
    get_tickets(&early_client(&store, &[b"h2"]), &server);
    let client = early_client(&store, &[b"http/1.1"]);
    let mut c = ClientConnection::new(client, "localhost".try_into().unwrap()).unwrap();
    assert!(c.early_data().is_none());
}

#[test]
fn a_ticket_whose_age_is_off_resumes_nothing_and_takes_no_early_data() {
    let store = ClientSessionMemoryCache::new(8);
    let client = early_client(&store, &[]);
    let server = early_server(&ticketer(), 1024, |b| b);
    get_tickets(&client, &server);
    // The client says the ticket is a minute old; the server knows it is fresh.
    let mut t = store.take_tls13("localhost").unwrap();
    t.received_ms -= 60_000;
    store.put_tls13("localhost", t);
    let mut c = with_early(&client, REQUEST);
    let mut s = ServerConnection::new(server).unwrap();
    refused(&mut c, &mut s);
    assert!(!c.is_resumed() && !s.is_resumed());
}

#[test]
fn a_replayed_client_hello_gets_its_early_data_refused() {
    let store = ClientSessionMemoryCache::new(8);
    let client = early_client(&store, &[]);
    let server = early_server(&ticketer(), 1024, |b| b);
    get_tickets(&client, &server);
    let mut c = with_early(&client, REQUEST);
    let first_flight = drain(&mut c);
    let mut s = ServerConnection::new(server.clone()).unwrap();
    feed(&mut s, &first_flight).unwrap();
    assert_eq!(read_early(&mut s), REQUEST);
    // An attacker sends the same bytes again, to the same server: the hello resumes (its
    // binder is good) but its early data is skipped, never delivered.
    let mut replay = ServerConnection::new(server.clone()).unwrap();
    feed(&mut replay, &first_flight).unwrap();
    assert!(!replay.is_early_data_accepted());
    assert!(replay.early_data().is_none());
    assert!(replay.is_handshaking() && !drain(&mut replay).is_empty());
    // The genuine connection completes.
    transfer(&mut s, &mut c).unwrap();
    finish(&mut c, &mut s);
    assert!(c.is_early_data_accepted());
}

#[test]
fn a_hello_retry_request_refuses_early_data_and_the_second_hello_offers_none() {
    let store = ClientSessionMemoryCache::new(8);
    let client = early_client(&store, &[]);
    let keys = ticketer();
    get_tickets(&client, &early_server(&keys, 1024, |b| b));
    // The server takes only P-256; the client's share is X25519: a retry.
    let p256 = early_server(&keys, 1024, |b| b.with_groups(&[NamedCurve::Secp256r1]));
    let mut c = with_early(&client, REQUEST);
    let mut s = ServerConnection::new(p256).unwrap();
    transfer(&mut c, &mut s).unwrap();
    assert!(s.is_handshaking() && s.early_data().is_none());
    // The retry: the client stops offering (and sending) early data.
    transfer(&mut s, &mut c).unwrap();
    assert!(c.early_data().is_none());
    let second = drain(&mut c);
    // Our compatibility change_cipher_spec went before the early data: none before this hello.
    let payload = handshake_payload(&second);
    let Handshake::ClientHello(ch) = decode_hs(&payload) else {
        panic!("a second ClientHello")
    };
    assert!(!ch
        .extensions
        .as_deref()
        .unwrap()
        .iter()
        .any(|e| matches!(e, spectls::wire::Extension::EarlyData(_))));
    feed(&mut s, &second).unwrap();
    refused(&mut c, &mut s);
    assert!(c.is_resumed() && s.is_resumed());
}

#[test]
fn the_early_secret_is_logged_by_both_sides() {
    let store = ClientSessionMemoryCache::new(8);
    let client_log = Arc::new(Secrets::default());
    let server_log = Arc::new(Secrets::default());
    let client = Arc::new(client13(|b| {
        b.enable_early_data(true)
            .with_session_storage(store.clone())
            .with_key_log(client_log.clone())
    }));
    let server = early_server(&ticketer(), 1024, |b| b.with_key_log(server_log.clone()));
    get_tickets(&client, &server);
    let mut c = with_early(&client, REQUEST);
    let mut s = ServerConnection::new(server).unwrap();
    finish(&mut c, &mut s);
    let label = "CLIENT_EARLY_TRAFFIC_SECRET";
    assert_eq!(client_log.get(label).len(), 32);
    assert_eq!(client_log.get(label), server_log.get(label));
}

// ---------------------------------------------------------------------------------------------
// rustls

#[test]
fn a_rustls_client_sends_early_data_that_we_accept() {
    let mut config = RustlsClient {
        tls13: true,
        ..RustlsClient::default()
    }
    .config();
    config.enable_early_data = true;
    let config = Arc::new(config);
    let server = early_server(&ticketer(), 4096, |b| b);
    // A full handshake for the tickets.
    let mut r = rustls_client_with(&config);
    let mut s = ServerConnection::new(server.clone()).unwrap();
    rustls_handshake(&mut r, &mut s);
    s.writer().write_all(b"tickets").unwrap();
    rustls_in(&mut r, &drain(&mut s));
    // Then 0-RTT.
    let rustls::Connection::Client(mut rc) = rustls_client_with(&config) else {
        panic!()
    };
    let mut early = rc.early_data().expect("rustls offers 0-RTT");
    assert_eq!(early.write(REQUEST).unwrap(), REQUEST.len());
    let mut r = rustls::Connection::Client(rc);
    let mut s = ServerConnection::new(server).unwrap();
    feed(&mut s, &rustls_out(&mut r)).unwrap();
    assert_eq!(read_early(&mut s), REQUEST);
    rustls_handshake(&mut r, &mut s);
    let rustls::Connection::Client(rc) = r else {
        panic!()
    };
    assert!(rc.is_early_data_accepted());
    assert!(s.is_resumed() && s.is_early_data_accepted());
}

#[test]
fn rustls_accepts_our_early_data() {
    let mut config = RustlsServer {
        tls13: true,
        ..RustlsServer::default()
    }
    .config();
    config.max_early_data_size = 4096;
    let server = Arc::new(config);
    let store = ClientSessionMemoryCache::new(8);
    let client = early_client(&store, &[]);
    let mut c = ClientConnection::new(client.clone(), "localhost".try_into().unwrap()).unwrap();
    let mut r = rustls_server_with(&server);
    rustls_handshake(&mut r, &mut c);
    r.writer().write_all(b"tickets").unwrap();
    feed(&mut c, &rustls_out(&mut r)).unwrap();
    assert_eq!(read_all(&mut c), b"tickets");
    let t = store.take_tls13("localhost").expect("a rustls ticket");
    assert_eq!(t.max_early_data, 4096);
    store.put_tls13("localhost", t);

    let mut c = with_early(&client, REQUEST);
    let rustls::Connection::Server(mut rs) = rustls_server_with(&server) else {
        panic!()
    };
    rs.read_tls(&mut &drain(&mut c)[..]).unwrap();
    rs.process_new_packets().unwrap();
    let mut got = Vec::new();
    rs.early_data()
        .expect("rustls accepted the early data")
        .read_to_end(&mut got)
        .unwrap();
    assert_eq!(got, REQUEST);
    let mut r = rustls::Connection::Server(rs);
    rustls_handshake(&mut r, &mut c);
    assert!(c.is_early_data_accepted() && c.is_resumed());
}

#[test]
fn stateful_tickets_carry_early_data_once() {
    // No ticketer: the session cache keeps each ticket's state, taken out when it is offered.
    let store = ClientSessionMemoryCache::new(8);
    let client = early_client(&store, &[]);
    let server = Arc::new(server13(false, |b| b.with_early_data(1024)));
    get_tickets(&client, &server);
    let mut c = with_early(&client, REQUEST);
    let first_flight = drain(&mut c);
    let mut s = ServerConnection::new(server.clone()).unwrap();
    feed(&mut s, &first_flight).unwrap();
    assert_eq!(read_early(&mut s), REQUEST);
    // A replay of that flight finds no ticket any more: a full handshake, its early data
    // skipped.
    let mut replay = ServerConnection::new(server.clone()).unwrap();
    feed(&mut replay, &first_flight).unwrap();
    assert!(!replay.is_early_data_accepted() && replay.early_data().is_none());
    transfer(&mut s, &mut c).unwrap();
    finish(&mut c, &mut s);
    assert!(c.is_early_data_accepted() && c.is_resumed());
}

#[test]
fn the_server_answers_early_data_in_its_first_flight() {
    // 0-RTT request, 0.5-RTT answer: the client has the answer one round trip after it began.
    let store = ClientSessionMemoryCache::new(8);
    let client = early_client(&store, &[]);
    let server = early_server(&ticketer(), 1024, |b| b);
    get_tickets(&client, &server);
    let mut c = with_early(&client, REQUEST);
    let mut s = ServerConnection::new(server).unwrap();
    transfer(&mut c, &mut s).unwrap();
    assert_eq!(read_early(&mut s), REQUEST);
    s.writer()
        .write_all(b"HTTP/1.1 200 OK\r\n\r\nearly answer")
        .unwrap();
    assert!(s.is_handshaking());
    transfer(&mut s, &mut c).unwrap();
    assert!(!c.is_handshaking());
    assert_eq!(read_all(&mut c), b"HTTP/1.1 200 OK\r\n\r\nearly answer");
    // The handshake then completes as usual.
    finish(&mut c, &mut s);
    // Without accepted early data, a server's writes wait for the handshake.
    let store = ClientSessionMemoryCache::new(8);
    let client = early_client(&store, &[]);
    let off = early_server(&ticketer(), 0, |b| b);
    let mut c = ClientConnection::new(client, "localhost".try_into().unwrap()).unwrap();
    let mut s = ServerConnection::new(off).unwrap();
    transfer(&mut c, &mut s).unwrap();
    s.writer().write_all(b"too soon").unwrap();
    transfer(&mut s, &mut c).unwrap();
    assert!(read_all(&mut c).is_empty());
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(read_all(&mut c), b"too soon");
}

#[test]
fn a_server_that_chooses_tls12_fails_on_the_early_data_and_says_so() {
    // RFC 8446 D.3: a server that does not know 0-RTT cannot skip it. The client's ticket is
    // from a TLS 1.3 server; the same name now answers with a TLS 1.2-only one.
    let store = ClientSessionMemoryCache::new(8);
    let client = Arc::new(
        ClientConfig::builder()
            .with_root_certificates(roots())
            .enable_early_data(true)
            .with_session_storage(store.clone())
            .build()
            .unwrap(),
    );
    get_tickets(&client, &early_server(&ticketer(), 1024, |b| b));
    let mut c = with_early(&client, REQUEST);
    let tls12 = Arc::new(
        server_builder(false)
            .with_protocol_versions(&[spectls::version::TLS12])
            .build()
            .unwrap(),
    );
    let mut s = ServerConnection::new(tls12).unwrap();
    let got = feed(&mut s, &drain(&mut c));
    let err = got.expect_err("the early data is no TLS 1.2 record it can take");
    assert_eq!(err.alert(), Some(A::UnexpectedMessage), "{err:?}");
    // The client gets the server's hello and the alert: an error, no panic, nothing sent
    // under the early key any more.
    let got = feed(&mut c, &drain(&mut s));
    assert!(got.is_err(), "{got:?}");
    assert!(c.early_data().is_none());
}

/// RFC 8446 D.3: "A client that attempts to send 0-RTT data MUST fail a connection if it
/// receives a ServerHello with TLS 1.2 or older." (BoGo's EarlyDataVersionDowngrade-Client.)
/// The alert goes in the clear, where a TLS 1.2 server can read it.
#[test]
fn a_client_that_sent_early_data_fails_on_a_tls12_server_hello() {
    let store = ClientSessionMemoryCache::new(8);
    let both = |b: spectls::ClientConfigBuilder| {
        b.enable_early_data(true)
            .with_session_storage(store.clone())
            .with_protocol_versions(&[spectls::version::TLS13, spectls::version::TLS12])
    };
    let client = Arc::new(client13(both));
    get_tickets(&client, &early_server(&ticketer(), 1024, |b| b));
    let mut c = with_early(&client, REQUEST);
    // A server that speaks only TLS 1.2 now.
    let mut s = ServerConnection::new(Arc::new(server_builder(false).build().unwrap())).unwrap();
    let flight = drain(&mut c);
    let hello_record = 5 + usize::from(u16::from_be_bytes([flight[3], flight[4]]));
    feed(&mut s, &flight[..hello_record]).unwrap();
    let server_flight = drain(&mut s);
    let got = feed(&mut c, &server_flight);
    check_error(
        &mut c,
        got,
        &Error::PeerIncompatible(spectls::PeerIncompatible::Other(
            "a TLS 1.2 ServerHello to a ClientHello that sent 0-RTT data",
        )),
        A::HandshakeFailure,
    );
    let out = drain(&mut c);
    let records = split_records(&out);
    assert_eq!(types_of(&records), [ContentType::Alert], "unprotected");
    assert_eq!(
        fragment_of(&records[0].1),
        [2, 40],
        "fatal handshake_failure"
    );
    assert!(c.early_data().is_none() && !c.is_early_data_accepted());
}

/// RFC 8446 5.1: no other record between the fragments of a handshake message. 0-RTT data
/// the server skips after its HelloRetryRequest (BoGo's SkipEarlyData-HRR-Interleaved) is no
/// exception: unexpected_message.
#[test]
fn skipped_early_data_inside_a_fragmented_client_hello_is_unexpected_message() {
    let store = ClientSessionMemoryCache::new(8);
    let client = early_client(&store, &[]);
    let keys = ticketer();
    get_tickets(&client, &early_server(&keys, 1024, |b| b));
    let p256 = early_server(&keys, 1024, |b| b.with_groups(&[NamedCurve::Secp256r1]));
    let mut c = with_early(&client, REQUEST);
    let mut s = ServerConnection::new(p256).unwrap();
    transfer(&mut c, &mut s).unwrap();
    transfer(&mut s, &mut c).unwrap();
    // The second ClientHello in two records, a (skippable) 0-RTT record between them.
    let second = drain(&mut c);
    let payload = handshake_payload(&second);
    let fake_early = frame(ContentType::ApplicationData, &[0xaa; 40]);
    let mut bytes = frame(ContentType::Handshake, &payload[..16]);
    bytes.extend_from_slice(&fake_early);
    bytes.extend_from_slice(&frame(ContentType::Handshake, &payload[16..]));
    let got = feed(&mut s, &bytes);
    let err = got.expect_err("interleaved");
    assert!(
        matches!(&err, Error::UnexpectedMessage { got, .. } if got.contains("inside a fragmented handshake message")),
        "{err:?}"
    );
    assert_eq!(err.alert(), Some(A::UnexpectedMessage));
    // Before any fragment, the same record is skipped, as RFC 8446 4.2.10 asks.
    let mut s = ServerConnection::new(early_server(&keys, 1024, |b| {
        b.with_groups(&[NamedCurve::Secp256r1])
    }))
    .unwrap();
    let mut c = with_early(&client, REQUEST);
    transfer(&mut c, &mut s).unwrap();
    transfer(&mut s, &mut c).unwrap();
    let second = drain(&mut c);
    let mut bytes = fake_early.clone();
    bytes.extend_from_slice(&second);
    feed(&mut s, &bytes).unwrap();
    // After the second ClientHello no 0-RTT data may come (4.2.10): a record that does not
    // open under the handshake key is bad_record_mac, no longer skipped.
    let got = feed(&mut s, &frame(ContentType::ApplicationData, &[0xbb; 40]));
    check_error(&mut s, got, &Error::BadRecordMac, A::BadRecordMac);
}
