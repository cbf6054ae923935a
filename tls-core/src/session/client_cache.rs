//! The client's cache of sessions and tickets, by server name.

use super::{lock, Session};
use crate::codec::Hex;
use crate::crypto::suites::SupportedCipherSuite;
use pki_types::CertificateDer;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex};
use zeroize::Zeroizing;

/// What a client keeps about a server to resume with it: the session ID and, if the server
/// issued one (RFC 5077 section 3.3), the ticket with its lifetime hint.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSessionValue {
    /// The session ID the server gave (may be empty when resuming by ticket).
    pub session_id: Vec<u8>,
    /// The ticket from NewSessionTicket, if any.
    pub ticket: Option<Vec<u8>>,
    /// NewSessionTicket.ticket_lifetime_hint, in seconds (0: unspecified). Once that long has
    /// passed since the ticket arrived (`session.created`), the client deletes the session
    /// instead of offering it (RFC 5077 section 3.3).
    pub ticket_lifetime_hint: u32,
    /// The session itself.
    pub session: Session,
}

impl fmt::Debug for ClientSessionValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSessionValue")
            .field("session_id", &Hex(&self.session_id))
            .field("ticket", &self.ticket.as_deref().map(Hex))
            .field("ticket_lifetime_hint", &self.ticket_lifetime_hint)
            .field("session", &self.session)
            .finish()
    }
}

/// A TLS 1.3 ticket (RFC 8446 4.6.1) with what resuming with it needs. Offered once: taken
/// out of the store when a ClientHello offers it.
#[derive(Clone)]
pub struct Tls13Ticket {
    /// The opaque ticket, sent back as the PSK identity.
    pub ticket: Vec<u8>,
    /// The PSK: `HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, ..)`.
    pub psk: Zeroizing<Vec<u8>>,
    /// The suite of the connection the ticket came from: a resumption must use its hash.
    pub suite: &'static SupportedCipherSuite,
    /// ticket_lifetime, in seconds (at most 7 days).
    pub lifetime: u32,
    /// ticket_age_add: added to the ticket's age in milliseconds, modulo 2^32, when offered.
    pub age_add: u32,
    /// When it arrived, in milliseconds since the Unix epoch.
    pub received_ms: u64,
    /// The server's chain in the connection the ticket came from (a resumed connection reports
    /// it as its peer's).
    pub peer_certificates: Vec<CertificateDer<'static>>,
    /// The ticket's max_early_data_size (RFC 8446 4.2.10): how much 0-RTT data a connection
    /// resuming with it may send; 0: none.
    pub max_early_data: u32,
    /// The ALPN protocol of the connection the ticket came from: 0-RTT data is sent only
    /// when it is one this connection offers, and accepted only if the server chooses it again.
    pub alpn: Option<Vec<u8>>,
}

impl fmt::Debug for Tls13Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tls13Ticket")
            .field("ticket", &Hex(&self.ticket))
            .field("psk", &format_args!("<redacted>"))
            .field("suite", &self.suite.suite)
            .field("lifetime", &self.lifetime)
            .field("received_ms", &self.received_ms)
            .field("max_early_data", &self.max_early_data)
            .field("alpn", &self.alpn)
            .finish_non_exhaustive()
    }
}

/// The TLS 1.3 tickets kept per server name at most (the newest replace the oldest).
pub const MAX_TLS13_TICKETS_PER_SERVER: usize = 8;

/// Where a client keeps the sessions it may resume, by server name. As rustls's
/// `ClientSessionStore`: a TLS 1.2 session per server, and TLS 1.3 tickets, each offered once.
pub trait StoresClientSessions: fmt::Debug + Send + Sync {
    /// Stores `value` for `server_name`, replacing what was there.
    fn put(&self, server_name: &str, value: ClientSessionValue);

    /// The value stored for `server_name`, if any.
    fn get(&self, server_name: &str) -> Option<ClientSessionValue>;

    /// Forgets what is stored for `server_name` (after a failed resumption, say).
    fn remove(&self, server_name: &str);

    /// Keeps a TLS 1.3 ticket for `server_name`. The default keeps none.
    fn put_tls13(&self, _server_name: &str, _ticket: Tls13Ticket) {}

    /// Takes out the newest TLS 1.3 ticket for `server_name` (a ticket is offered once,
    /// RFC 8446 C.4). The default has none.
    fn take_tls13(&self, _server_name: &str) -> Option<Tls13Ticket> {
        None
    }
}

/// A [`StoresClientSessions`] that keeps nothing: every handshake is a full one (as rustls's
/// type of the same name).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoClientSessionStorage;

impl StoresClientSessions for NoClientSessionStorage {
    fn put(&self, _server_name: &str, _value: ClientSessionValue) {}

    fn get(&self, _server_name: &str) -> Option<ClientSessionValue> {
        None
    }

    fn remove(&self, _server_name: &str) {}
}

/// An in-memory [`StoresClientSessions`] of at most `capacity` servers (the oldest entry is
/// evicted to make room), keyed by the server name in ASCII lower case. Thread-safe.
pub struct ClientSessionMemoryCache {
    capacity: usize,
    pub(super) inner: Mutex<ClientCacheInner>,
}

#[derive(Default)]
pub(super) struct ClientCacheInner {
    /// Boxed so that the table growing moves a pointer, not the master secret (see [`Session`]).
    pub(super) map: HashMap<String, Box<ClientSessionValue>>,
    /// The keys of `map`, oldest first.
    pub(super) order: VecDeque<String>,
    /// TLS 1.3 tickets by server name, oldest first; the names, oldest first.
    pub(super) tickets: HashMap<String, VecDeque<Tls13Ticket>>,
    pub(super) ticket_order: VecDeque<String>,
}

impl ClientSessionMemoryCache {
    /// A cache for at most `capacity` servers; 0 stores nothing.
    pub fn new(capacity: usize) -> Arc<Self> {
        Arc::new(ClientSessionMemoryCache {
            capacity,
            inner: Mutex::new(ClientCacheInner::default()),
        })
    }
}

impl StoresClientSessions for ClientSessionMemoryCache {
    fn put(&self, server_name: &str, value: ClientSessionValue) {
        if self.capacity == 0 {
            return;
        }
        let key = server_name.to_ascii_lowercase();
        let mut inner = lock(&self.inner);
        if inner.map.contains_key(&key) {
            inner.order.retain(|k| *k != key);
        } else {
            while inner.map.len() >= self.capacity {
                match inner.order.pop_front() {
                    Some(oldest) => inner.map.remove(&oldest),
                    None => break,
                };
            }
        }
        inner.order.push_back(key.clone());
        inner.map.insert(key, Box::new(value));
    }

    fn get(&self, server_name: &str) -> Option<ClientSessionValue> {
        lock(&self.inner)
            .map
            .get(&server_name.to_ascii_lowercase())
            .map(|value| ClientSessionValue::clone(value))
    }

    fn remove(&self, server_name: &str) {
        let key = server_name.to_ascii_lowercase();
        let mut inner = lock(&self.inner);
        if inner.map.remove(&key).is_some() {
            inner.order.retain(|k| *k != key);
        }
    }

    fn put_tls13(&self, server_name: &str, ticket: Tls13Ticket) {
        if self.capacity == 0 {
            return;
        }
        let key = server_name.to_ascii_lowercase();
        let mut inner = lock(&self.inner);
        if !inner.tickets.contains_key(&key) {
            while inner.tickets.len() >= self.capacity {
                match inner.ticket_order.pop_front() {
                    Some(oldest) => inner.tickets.remove(&oldest),
                    None => break,
                };
            }
            inner.ticket_order.push_back(key.clone());
        }
        let tickets = inner.tickets.entry(key).or_default();
        if tickets.len() == MAX_TLS13_TICKETS_PER_SERVER {
            tickets.pop_front();
        }
        tickets.push_back(ticket);
    }

    fn take_tls13(&self, server_name: &str) -> Option<Tls13Ticket> {
        let key = server_name.to_ascii_lowercase();
        let mut inner = lock(&self.inner);
        let tickets = inner.tickets.get_mut(&key)?;
        let newest = tickets.pop_back();
        if tickets.is_empty() {
            inner.tickets.remove(&key);
            inner.ticket_order.retain(|k| *k != key);
        }
        newest
    }
}

impl fmt::Debug for ClientSessionMemoryCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSessionMemoryCache")
            .field("capacity", &self.capacity)
            .field("len", &lock(&self.inner).map.len())
            .finish()
    }
}
