//! The server's session cache: TLS 1.2 sessions by session ID (RFC 5246 section 7.4.1.2) and
//! the state of stateful TLS 1.3 tickets by ticket (RFC 8446 4.6.1).

use super::{lock, monotonic_clock, Clock, Session, Session13};
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where a server keeps sessions by session ID, for resumption by ID (RFC 5246 section
/// 7.4.1.2), and, if it implements [`put_tls13`](Self::put_tls13) and
/// [`take_tls13`](Self::take_tls13), the state of stateful TLS 1.3 tickets. As rustls's trait of
/// the same name.
///
/// A TLS 1.3 server without a ticketer issues stateful tickets when its store takes them: the
/// ticket is a random 32-byte ID, and the [`Session13`] it stands for is kept here under it,
/// to be taken out once by the connection that offers it back.
///
/// No method fails the handshake: a store that cannot answer (a remote store that is down)
/// answers `None` or `false`, and the connection is a full handshake.
pub trait StoresServerSessions: fmt::Debug + Send + Sync {
    /// Stores `value` under `id`, replacing what was there. Returns whether it was stored.
    fn put(&self, id: Vec<u8>, value: Session) -> bool;

    /// The session stored under `id`, if any and still fresh.
    fn get(&self, id: &[u8]) -> Option<Session>;

    /// Whether this store keeps anything; when `false`, the server need not make a session ID.
    fn can_cache(&self) -> bool {
        true
    }

    /// Forgets the session under `id`: a connection that ended with a fatal alert must not be
    /// resumed (RFC 5246 7.2).
    fn remove(&self, id: &[u8]);

    /// Stores the state of a stateful TLS 1.3 ticket under `id`, the ticket itself. Returns
    /// whether it was stored: when `false`, the ticket is not sent. The default stores nothing
    /// (no stateful TLS 1.3 tickets).
    fn put_tls13(&self, _id: Vec<u8>, _value: Session13) -> bool {
        false
    }

    /// Takes the state stored under `id` by [`put_tls13`](Self::put_tls13) out of the store, if
    /// it is there and still fresh: a second take of the same `id` must find nothing. Single use
    /// is what RFC 8446 8.1's anti-replay for 0-RTT relies on, so a store shared between
    /// servers must take atomically. The default finds nothing.
    fn take_tls13(&self, _id: &[u8]) -> Option<Session13> {
        None
    }
}

/// A store that keeps nothing: session-ID resumption off.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoServerSessionStorage;

impl StoresServerSessions for NoServerSessionStorage {
    fn remove(&self, _id: &[u8]) {}

    fn put(&self, _id: Vec<u8>, _value: Session) -> bool {
        false
    }

    fn get(&self, _id: &[u8]) -> Option<Session> {
        None
    }

    fn can_cache(&self) -> bool {
        false
    }
}

/// An in-memory [`StoresServerSessions`]: at most `capacity` entries (the oldest is evicted to
/// make room), each returned for at most `lifetime` after it was stored (older ones are
/// dropped). Thread-safe. Session IDs are 1..32 bytes; an empty ID is never stored.
///
/// It keeps both TLS 1.2 sessions and the state of stateful TLS 1.3 tickets, which share the
/// capacity: `capacity` bounds the memory whatever the mix of versions (each TLS 1.3 handshake
/// stores one entry per ticket it issues). A TLS 1.3 entry is taken out when it is used; a
/// TLS 1.2 one stays until it expires or is evicted. An ID holds one entry, of one version:
/// [`get`](StoresServerSessions::get) finds only TLS 1.2 sessions and
/// [`take_tls13`](StoresServerSessions::take_tls13) only TLS 1.3 state.
pub struct ServerSessionMemoryCache {
    capacity: usize,
    lifetime: Duration,
    clock: Clock,
    pub(super) inner: Mutex<ServerCacheInner>,
}

/// What the server cache keeps under an ID. Boxed so that the table growing moves a pointer,
/// not the secret (see [`Session`]).
pub(super) enum Entry {
    /// A TLS 1.2 session, by session ID.
    Tls12(Box<Session>),
    /// The state of a stateful TLS 1.3 ticket, by ticket.
    Tls13(Box<Session13>),
}

#[derive(Default)]
pub(super) struct ServerCacheInner {
    /// Entry and the clock reading when it was stored.
    pub(super) map: HashMap<Vec<u8>, (Entry, Duration)>,
    /// The keys of `map`, oldest first.
    pub(super) order: VecDeque<Vec<u8>>,
}

impl ServerCacheInner {
    /// Drops entries stored `lifetime` or longer ago. The clock is monotonic and the lifetime
    /// fixed, so they are at the front of `order`.
    fn expire(&mut self, now: Duration, lifetime: Duration) {
        while let Some(oldest) = self.order.front() {
            let stale = match self.map.get(oldest) {
                Some((_, at)) => now.saturating_sub(*at) >= lifetime,
                None => true,
            };
            if !stale {
                break;
            }
            if let Some(key) = self.order.pop_front() {
                self.map.remove(&key);
            }
        }
    }

    fn evict_oldest(&mut self) {
        if let Some(key) = self.order.pop_front() {
            self.map.remove(&key);
        }
    }

    fn forget(&mut self, id: &[u8]) {
        if self.map.remove(id).is_some() {
            self.order.retain(|k| k.as_slice() != id);
        }
    }
}

impl ServerSessionMemoryCache {
    /// A cache of at most `capacity` sessions, each kept for `lifetime`. A capacity of 0 stores
    /// nothing; a zero lifetime returns nothing.
    pub fn new(capacity: usize, lifetime: Duration) -> Arc<Self> {
        Self::with_clock(capacity, lifetime, monotonic_clock())
    }

    /// As [`ServerSessionMemoryCache::new`], reading time from `clock`.
    pub(crate) fn with_clock(capacity: usize, lifetime: Duration, clock: Clock) -> Arc<Self> {
        Arc::new(ServerSessionMemoryCache {
            capacity,
            lifetime,
            clock,
            inner: Mutex::new(ServerCacheInner::default()),
        })
    }

    /// Stores `entry` under `id`, replacing what was there (of either version).
    fn insert(&self, id: Vec<u8>, entry: Entry) -> bool {
        if self.capacity == 0 || id.is_empty() {
            return false;
        }
        let now = (self.clock)();
        let mut inner = lock(&self.inner);
        inner.expire(now, self.lifetime);
        if inner.map.contains_key(&id) {
            inner.order.retain(|k| *k != id);
        } else {
            while inner.map.len() >= self.capacity {
                inner.evict_oldest();
            }
        }
        inner.order.push_back(id.clone());
        inner.map.insert(id, (entry, now));
        true
    }

    /// Runs `found` on the fresh entry under `id`, if there is one, with the cache locked.
    fn with_fresh<T>(
        &self,
        id: &[u8],
        found: impl FnOnce(&mut ServerCacheInner) -> Option<T>,
    ) -> Option<T> {
        if id.is_empty() {
            return None;
        }
        let now = (self.clock)();
        let mut inner = lock(&self.inner);
        inner.expire(now, self.lifetime);
        let (_, at) = inner.map.get(id)?;
        // `expire` works from the front; this also covers a clock that went backwards.
        if now.saturating_sub(*at) >= self.lifetime {
            inner.forget(id);
            return None;
        }
        found(&mut inner)
    }
}

impl StoresServerSessions for ServerSessionMemoryCache {
    fn remove(&self, id: &[u8]) {
        lock(&self.inner).forget(id);
    }

    fn put(&self, id: Vec<u8>, value: Session) -> bool {
        self.insert(id, Entry::Tls12(Box::new(value)))
    }

    fn get(&self, id: &[u8]) -> Option<Session> {
        self.with_fresh(id, |inner| match inner.map.get(id) {
            Some((Entry::Tls12(session), _)) => Some(Session::clone(session)),
            _ => None,
        })
    }

    fn put_tls13(&self, id: Vec<u8>, value: Session13) -> bool {
        self.insert(id, Entry::Tls13(Box::new(value)))
    }

    fn take_tls13(&self, id: &[u8]) -> Option<Session13> {
        self.with_fresh(id, |inner| {
            if !matches!(inner.map.get(id), Some((Entry::Tls13(_), _))) {
                return None;
            }
            inner.order.retain(|k| k.as_slice() != id);
            match inner.map.remove(id) {
                Some((Entry::Tls13(state), _)) => Some(*state),
                _ => None,
            }
        })
    }
}

impl fmt::Debug for ServerSessionMemoryCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerSessionMemoryCache")
            .field("capacity", &self.capacity)
            .field("lifetime", &self.lifetime)
            .field("len", &lock(&self.inner).map.len())
            .finish()
    }
}
