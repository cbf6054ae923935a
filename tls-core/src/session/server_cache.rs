//! The server's session-ID cache (RFC 5246 section 7.4.1.2).

use super::{lock, monotonic_clock, Clock, Session};
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where a server keeps sessions by session ID, for resumption by ID (RFC 5246 section
/// 7.4.1.2). As rustls's trait of the same name.
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

/// An in-memory [`StoresServerSessions`]: at most `capacity` sessions (the oldest is evicted to
/// make room), each returned for at most `lifetime` after it was stored (older ones are
/// dropped). Thread-safe. Session IDs are 1..32 bytes; an empty ID is never stored.
pub struct ServerSessionMemoryCache {
    capacity: usize,
    lifetime: Duration,
    clock: Clock,
    pub(super) inner: Mutex<ServerCacheInner>,
}

#[derive(Default)]
pub(super) struct ServerCacheInner {
    /// Session and the clock reading when it was stored. Boxed so that the table growing moves
    /// a pointer, not the master secret (see [`Session`]).
    pub(super) map: HashMap<Vec<u8>, (Box<Session>, Duration)>,
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
}

impl StoresServerSessions for ServerSessionMemoryCache {
    fn remove(&self, id: &[u8]) {
        let mut inner = lock(&self.inner);
        if inner.map.remove(id).is_some() {
            inner.order.retain(|k| k.as_slice() != id);
        }
    }

    fn put(&self, id: Vec<u8>, value: Session) -> bool {
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
        inner.map.insert(id, (Box::new(value), now));
        true
    }

    fn get(&self, id: &[u8]) -> Option<Session> {
        if id.is_empty() {
            return None;
        }
        let now = (self.clock)();
        let mut inner = lock(&self.inner);
        inner.expire(now, self.lifetime);
        let (session, at) = inner.map.get(id)?;
        // `expire` works from the front; this also covers a clock that went backwards.
        if now.saturating_sub(*at) >= self.lifetime {
            inner.map.remove(id);
            inner.order.retain(|k| k.as_slice() != id);
            return None;
        }
        Some(Session::clone(session))
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
