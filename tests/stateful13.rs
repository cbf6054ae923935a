//! Stateful TLS 1.3 tickets (issue 14): a server without a ticketer issues tickets that are
//! random IDs, keeps the state each stands for in its session store, and takes it out when the
//! ticket comes back, once. A ticket the store no longer has is a full handshake, never an error.

mod common;

use common::tls13::*;
use common::*;
use spectls::session::{
    ClientSessionMemoryCache, NoServerSessionStorage, ServerSessionMemoryCache, Session, Session13,
    StoresClientSessions, StoresServerSessions, Ticketer, Tls13Ticket,
};
use spectls::version::TLS13;
use spectls::{ClientConfig, ServerConfig};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

const HOUR: Duration = Duration::from_secs(3600);

/// A TLS 1.3 server whose only resumption is its session store (no ticketer), with a session
/// lifetime of an hour.
fn stateful_server(store: Arc<dyn StoresServerSessions>) -> Arc<ServerConfig> {
    Arc::new(server13(false, |b| {
        b.with_session_storage(store).with_session_lifetime(HOUR)
    }))
}

/// A TLS 1.3 client keeping its tickets in `store`.
fn client(store: &Arc<ClientSessionMemoryCache>) -> Arc<ClientConfig> {
    Arc::new(client13(|b| b.with_session_storage(store.clone())))
}

/// A handshake and a little data each way (the tickets follow the client's Finished); whether
/// both sides report a resumed connection.
fn connect(client: &Arc<ClientConfig>, server: &Arc<ServerConfig>) -> bool {
    let mut c =
        spectls::ClientConnection::new(client.clone(), "localhost".try_into().unwrap()).unwrap();
    let mut s = spectls::ServerConnection::new(server.clone()).unwrap();
    handshake(&mut c, &mut s).expect("handshake");
    assert_eq!(c.protocol_version(), Some(TLS13));
    s.writer().write_all(b"tickets").unwrap();
    transfer(&mut s, &mut c).unwrap();
    assert_eq!(read_all(&mut c), b"tickets");
    c.writer().write_all(b"thanks").unwrap();
    transfer(&mut c, &mut s).unwrap();
    assert_eq!(read_all(&mut s), b"thanks");
    assert_eq!(c.is_resumed(), s.is_resumed());
    s.is_resumed()
}

/// Every TLS 1.3 ticket the client store has for localhost, newest first (taking them out).
fn take_all(store: &ClientSessionMemoryCache) -> Vec<Tls13Ticket> {
    std::iter::from_fn(|| store.take_tls13("localhost")).collect()
}

#[test]
fn a_server_with_only_a_session_cache_issues_random_id_tickets_that_stand_for_stored_state() {
    let cache = ServerSessionMemoryCache::new(16, HOUR);
    let server = stateful_server(cache.clone());
    let store = ClientSessionMemoryCache::new(8);
    assert!(!connect(&client(&store), &server));
    let tickets = take_all(&store);
    assert_eq!(tickets.len(), 2, "two tickets, the default count");
    assert_ne!(tickets[0].ticket, tickets[1].ticket);
    for ticket in &tickets {
        // A random 32-byte ID: a sealed state (SessionState + nonce + tag) is far longer.
        assert_eq!(ticket.ticket.len(), 32);
        assert_eq!(
            u64::from(ticket.lifetime),
            HOUR.as_secs(),
            "the session lifetime"
        );
        // The store holds the state it stands for: the PSK the client derived, its age_add.
        let state = cache
            .take_tls13(&ticket.ticket)
            .expect("stored under the ticket");
        assert_eq!(&state.psk[..], &ticket.psk[..]);
        assert_eq!(state.age_add, ticket.age_add);
        assert_eq!(state.server_name.as_deref(), Some("localhost"));
        assert!(cache.take_tls13(&ticket.ticket).is_none(), "taken once");
    }
}

#[test]
fn stateful_tickets_resume_and_each_resumption_gets_fresh_ones() {
    let cache = ServerSessionMemoryCache::new(64, HOUR);
    let server = stateful_server(cache);
    let store = ClientSessionMemoryCache::new(8);
    let client = client(&store);
    assert!(!connect(&client, &server));
    // Each connection uses one ticket and gets two: the client never runs out.
    for round in 1..=4 {
        assert!(connect(&client, &server), "round {round}");
    }
    // The resumed connection reports the chain of the full one and did no signature.
    let mut c =
        spectls::ClientConnection::new(client.clone(), "localhost".try_into().unwrap()).unwrap();
    let mut s = spectls::ServerConnection::new(server.clone()).unwrap();
    handshake(&mut c, &mut s).unwrap();
    assert!(c.is_resumed());
    assert_eq!(c.negotiated_signature_scheme(), None);
    assert_eq!(c.peer_certificates().unwrap().len(), 2);
}

#[test]
fn a_stateful_ticket_offered_twice_resumes_once() {
    let server = stateful_server(ServerSessionMemoryCache::new(16, HOUR));
    let store = ClientSessionMemoryCache::new(8);
    let client = client(&store);
    connect(&client, &server);
    let ticket = take_all(&store).remove(0);
    // The same ticket, offered by two connections (a replay): the first resumes, the second
    // finds nothing under it and is a full handshake, with no error.
    store.put_tls13("localhost", ticket.clone());
    assert!(connect(&client, &server));
    take_all(&store);
    store.put_tls13("localhost", ticket);
    assert!(!connect(&client, &server));
}

/// A store that takes TLS 1.3 state in but has lost it when asked (a restarted cache, an
/// evicted entry, another machine's store), counting the calls.
#[derive(Debug, Default)]
struct Forgetful {
    puts: AtomicUsize,
    takes: AtomicUsize,
}

impl StoresServerSessions for Forgetful {
    fn put(&self, _id: Vec<u8>, _value: Session) -> bool {
        false
    }
    fn get(&self, _id: &[u8]) -> Option<Session> {
        None
    }
    fn remove(&self, _id: &[u8]) {}
    fn put_tls13(&self, _id: Vec<u8>, _value: Session13) -> bool {
        self.puts.fetch_add(1, SeqCst);
        true
    }
    fn take_tls13(&self, _id: &[u8]) -> Option<Session13> {
        self.takes.fetch_add(1, SeqCst);
        None
    }
}

#[test]
fn a_ticket_the_store_lost_is_a_full_handshake() {
    let forgetful = Arc::new(Forgetful::default());
    let server = stateful_server(forgetful.clone());
    let store = ClientSessionMemoryCache::new(8);
    let client = client(&store);
    for round in 0..3 {
        assert!(!connect(&client, &server), "round {round}");
    }
    assert_eq!(forgetful.puts.load(SeqCst), 6, "two tickets a connection");
    assert_eq!(
        forgetful.takes.load(SeqCst),
        2,
        "one offered by each later connection"
    );

    // Another server's store (a restart, or a machine that does not share it): a full
    // handshake, and this server's tickets then resume with it.
    let first = stateful_server(ServerSessionMemoryCache::new(16, HOUR));
    let second = stateful_server(ServerSessionMemoryCache::new(16, HOUR));
    take_all(&store);
    connect(&client, &first);
    assert!(!connect(&client, &second));
    assert!(connect(&client, &second));

    // A cache too small for both tickets keeps the newer: the older is a full handshake.
    let tiny = ServerSessionMemoryCache::new(1, HOUR);
    let server = stateful_server(tiny);
    take_all(&store);
    connect(&client, &server);
    let mut tickets = take_all(&store);
    let newest = tickets.remove(0);
    store.put_tls13("localhost", tickets.remove(0));
    assert!(!connect(&client, &server), "the evicted ticket");
    take_all(&store);
    store.put_tls13("localhost", newest);
    // The full handshake just now stored two more and so evicted `newest` too.
    assert!(!connect(&client, &server));
}

#[test]
fn stateful_tickets_die_with_the_session_lifetime() {
    // A lifetime of 0 s: the cache returns nothing and the server advertises 0 s.
    let server = Arc::new(server13(false, |b| {
        b.with_session_storage(ServerSessionMemoryCache::new(16, HOUR))
            .with_session_lifetime(Duration::ZERO)
    }));
    let store = ClientSessionMemoryCache::new(8);
    let client = client(&store);
    connect(&client, &server);
    assert!(!connect(&client, &server));
}

#[test]
fn no_ticketer_and_no_store_sends_no_tickets() {
    let server = stateful_server(Arc::new(NoServerSessionStorage));
    let store = ClientSessionMemoryCache::new(8);
    let client = client(&store);
    assert!(!connect(&client, &server));
    assert!(take_all(&store).is_empty());
    // A store that keeps only TLS 1.2 sessions (the trait's defaults for TLS 1.3) takes no
    // tickets either: none is sent.
    #[derive(Debug)]
    struct Only12;
    impl StoresServerSessions for Only12 {
        fn put(&self, _: Vec<u8>, _: Session) -> bool {
            true
        }
        fn get(&self, _: &[u8]) -> Option<Session> {
            None
        }
        fn remove(&self, _: &[u8]) {}
    }
    let server = stateful_server(Arc::new(Only12));
    assert!(!connect(&client, &server));
    assert!(take_all(&store).is_empty());
}

#[test]
fn with_a_ticketer_tickets_are_sealed_and_the_store_is_not_used() {
    let forgetful = Arc::new(Forgetful::default());
    let server = Arc::new(server13(false, |b| {
        b.with_session_storage(forgetful.clone())
            .with_ticketer(Ticketer::new(HOUR).unwrap())
    }));
    let store = ClientSessionMemoryCache::new(8);
    let client = client(&store);
    connect(&client, &server);
    let tickets = take_all(&store);
    assert_eq!(tickets.len(), 2);
    assert!(tickets.iter().all(|t| t.ticket.len() > 32), "sealed state");
    for t in tickets.into_iter().rev() {
        store.put_tls13("localhost", t);
    }
    assert!(connect(&client, &server));
    assert_eq!(forgetful.puts.load(SeqCst), 0);
    assert_eq!(forgetful.takes.load(SeqCst), 0);
}

#[test]
fn a_rustls_client_resumes_with_our_stateful_tickets() {
    let rustls_config = Arc::new(
        RustlsClient {
            tls13: true,
            ..RustlsClient::default()
        }
        .config(),
    );
    let server = stateful_server(ServerSessionMemoryCache::new(64, HOUR));
    for round in 0..3 {
        let mut r = rustls_client_with(&rustls_config);
        let mut s = spectls::ServerConnection::new(server.clone()).unwrap();
        rustls_handshake(&mut r, &mut s);
        s.writer().write_all(b"tickets").unwrap();
        rustls_in(&mut r, &drain(&mut s));
        let rustls::Connection::Client(r) = r else {
            panic!()
        };
        assert_eq!(s.is_resumed(), round > 0, "round {round}");
        assert!(r.tls13_tickets_received() >= 2, "round {round}");
    }
}
