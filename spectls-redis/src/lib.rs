//! A [Redis] session store for spectls servers, so that a fleet of servers behind a load
//! balancer resumes each other's sessions: TLS 1.2 sessions by session ID, and TLS 1.3 stateful
//! tickets (a server without a ticketer issues tickets that are random IDs and keeps the state
//! they stand for in its session store).
//!
//! [`RedisSessionStore`] implements spectls's
//! [`StoresServerSessions`] on the synchronous client of
//! the [`redis`] crate:
//!
//! - keys are a prefix (default [`DEFAULT_PREFIX`], `spectls:`), then `tls12:` or `tls13:`,
//!   then the session ID or ticket in lowercase hex: `spectls:tls13:9f86d0...`;
//! - values are spectls's own encodings, [`Session::encode`] and [`Session13::encode`];
//! - each key expires after the store's lifetime (`SET key value PX ms`), which should be the
//!   server's `with_session_lifetime`;
//! - a TLS 1.2 session is read with `GET` and stays until it expires (or a connection that
//!   used it ends with a fatal alert: `DEL`); a TLS 1.3 ticket's state is taken with `GETDEL`,
//!   atomically, so a ticket resumes once across the whole fleet (single use, which RFC 8446
//!   8.1's anti-replay for 0-RTT relies on). `GETDEL` needs Redis 6.2 or later.
//!
//! # Redis must be private
//!
//! The values hold the session secrets in the clear: a TLS 1.2 session's master secret, a
//! TLS 1.3 ticket's PSK. Whoever can read the store can decrypt the recorded traffic of every
//! session in it, and whoever can write it can make the servers resume sessions of their
//! choosing. As with rustls's and nginx's shared session caches, the Redis server must be
//! trusted and private: on the servers' own network or loopback, with access control (a
//! password in the URL, `redis://:password@host/`) and nothing else using it. This crate speaks
//! plain TCP to Redis (no TLS to Redis), so the network between the servers and Redis must be
//! trusted too.
//!
//! # Redis going away never fails a handshake
//!
//! Every Redis error or timeout is a miss: `get` and `take_tls13` answer `None` (a full
//! handshake), `put` and `put_tls13` answer `false` (no session ID, no ticket), and the error is
//! logged with `log::warn!`. Connecting, reading and writing each wait at most a short timeout
//! ([`DEFAULT_CONNECT_TIMEOUT`], [`DEFAULT_IO_TIMEOUT`]: 200 ms), so a dead or hung Redis adds at
//! most about one timeout to a handshake. After a connection failure the store does not try
//! again for [`DEFAULT_RETRY_AFTER`] (1 s): meanwhile every call is a miss at once (otherwise each
//! handshake would wait out the timeout two or three times, once per ticket it issues and per
//! ticket it is offered). The first call after that reconnects.
//!
//! The store holds one connection behind a mutex: calls from concurrent handshakes take turns.
//! Each is one round trip (about 0.1 ms to a Redis on the same network).
//!
//! # Example
//!
//! ```no_run
//! use spectls::pki::{certs_from_pem, private_key_from_pem};
//! use spectls::ServerConfig;
//! use spectls_redis::RedisSessionStore;
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Sessions and tickets live 12 hours: the keys' TTL and the server's lifetime agree.
//! let lifetime = Duration::from_secs(12 * 60 * 60);
//! let store = RedisSessionStore::new("redis://:secret@10.0.0.5:6379/", lifetime)?
//!     .with_prefix("frontend:")
//!     .with_io_timeout(Duration::from_millis(150));
//! let config = ServerConfig::builder()
//!     .with_single_cert(
//!         certs_from_pem(&std::fs::read("chain.pem")?)?,
//!         private_key_from_pem(&std::fs::read("key.pem")?)?,
//!     )?
//!     .with_session_storage(Arc::new(store))
//!     .with_session_lifetime(lifetime)
//!     .build()?;
//! // Every server of the fleet is configured the same way, with the same Redis and prefix;
//! // none has a ticketer (with one, TLS 1.3 tickets are sealed by it, not stored).
//! # let _ = config;
//! # Ok(())
//! # }
//! ```
//!
//! [Redis]: https://redis.io/

#![forbid(unsafe_code)]

/// The `redis` crate this store is built on, for [`redis::IntoConnectionInfo`] and
/// [`redis::RedisError`].
pub use redis;

use log::{info, warn};
use spectls::session::{Session, Session13, StoresServerSessions};
use std::fmt;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// The key prefix unless [`RedisSessionStore::with_prefix`] sets another.
pub const DEFAULT_PREFIX: &str = "spectls:";

/// How long connecting to Redis may take (TCP and the connection's setup) unless
/// [`RedisSessionStore::with_connect_timeout`] sets another.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_millis(200);

/// How long one read or write on the connection may wait unless
/// [`RedisSessionStore::with_io_timeout`] sets another.
pub const DEFAULT_IO_TIMEOUT: Duration = Duration::from_millis(200);

/// How long the store stays away from Redis after a connection failure unless
/// [`RedisSessionStore::with_retry_after`] sets another.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);

/// The longest session ID or ticket the store keeps or looks up, in bytes: spectls makes
/// 32-byte ones, and a longer identity a client offers is a miss without a round trip.
pub const MAX_ID_LEN: usize = 64;

/// The shortest timeout used: the standard library refuses a zero one.
const MIN_TIMEOUT: Duration = Duration::from_millis(1);

/// A [`StoresServerSessions`] on a Redis server, shared by every spectls server configured with
/// the same Redis and prefix. See the [crate documentation](crate) for the keys, the values,
/// what Redis must be trusted with, and what happens when it is unreachable.
pub struct RedisSessionStore {
    client: redis::Client,
    prefix: Vec<u8>,
    lifetime: Duration,
    connect_timeout: Duration,
    io_timeout: Duration,
    retry_after: Duration,
    link: Mutex<Link>,
}

/// The connection, made when first needed and dropped after an error.
#[derive(Default)]
struct Link {
    conn: Option<redis::Connection>,
    /// When connecting or a command last failed for want of Redis; cleared on reconnecting.
    down_since: Option<Instant>,
}

/// Which of the store's two key spaces.
#[derive(Clone, Copy)]
enum Space {
    Tls12,
    Tls13,
}

impl RedisSessionStore {
    /// A store on the Redis server at `redis` (a URL such as `redis://127.0.0.1:6379/` or
    /// `redis://:password@host:port/db`, or anything else [`redis::IntoConnectionInfo`] takes),
    /// keeping each session for `lifetime` (the keys' TTL, with millisecond precision; use the
    /// server's `with_session_lifetime`). A zero lifetime stores nothing.
    ///
    /// Fails only if `redis` is not a valid address (a `rediss://` URL is not: this crate has no
    /// TLS to Redis). It does not connect: the first session stored or looked up does.
    pub fn new(
        redis: impl redis::IntoConnectionInfo,
        lifetime: Duration,
    ) -> Result<Self, redis::RedisError> {
        Ok(RedisSessionStore {
            client: redis::Client::open(redis)?,
            prefix: DEFAULT_PREFIX.as_bytes().to_vec(),
            lifetime,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            io_timeout: DEFAULT_IO_TIMEOUT,
            retry_after: DEFAULT_RETRY_AFTER,
            link: Mutex::new(Link::default()),
        })
    }

    /// The prefix of every key (default [`DEFAULT_PREFIX`]): servers that are to resume each
    /// other's sessions use the same one, and other users of the same Redis another.
    pub fn with_prefix(mut self, prefix: impl Into<Vec<u8>>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long connecting may take, TCP and the connection's setup together (default
    /// [`DEFAULT_CONNECT_TIMEOUT`]; at least 1 ms).
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout.max(MIN_TIMEOUT);
        self
    }

    /// How long each read or write on the connection may wait (default [`DEFAULT_IO_TIMEOUT`];
    /// at least 1 ms). A command waits at most about this for its answer.
    pub fn with_io_timeout(mut self, timeout: Duration) -> Self {
        self.io_timeout = timeout.max(MIN_TIMEOUT);
        self
    }

    /// After a connection failure (refused, timed out, dropped), how long every call is a miss
    /// without trying Redis (default [`DEFAULT_RETRY_AFTER`]); the first call after it
    /// reconnects. Zero tries again on every call.
    pub fn with_retry_after(mut self, pause: Duration) -> Self {
        self.retry_after = pause;
        self
    }

    /// The Redis key of `id` in `space`: the prefix, the space, the ID in hex.
    fn key(&self, space: Space, id: &[u8]) -> Vec<u8> {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let tag: &[u8] = match space {
            Space::Tls12 => b"tls12:",
            Space::Tls13 => b"tls13:",
        };
        let mut key = Vec::with_capacity(self.prefix.len() + tag.len() + 2 * id.len());
        key.extend_from_slice(&self.prefix);
        key.extend_from_slice(tag);
        for b in id {
            key.push(HEX[usize::from(b >> 4)]);
            key.push(HEX[usize::from(b & 0x0f)]);
        }
        key
    }

    /// Whether `id` can be a key of ours at all.
    fn usable(id: &[u8]) -> bool {
        !id.is_empty() && id.len() <= MAX_ID_LEN
    }

    /// Stores `value` under `key` for the lifetime.
    fn set(&self, what: &str, key: Vec<u8>, value: &[u8]) -> bool {
        let ms = u64::try_from(self.lifetime.as_millis()).unwrap_or(u64::MAX);
        if ms == 0 {
            return false;
        }
        let mut cmd = redis::cmd("SET");
        cmd.arg(key).arg(value).arg("PX").arg(ms);
        self.run::<()>(what, &cmd).is_some()
    }

    /// Runs `cmd`, connecting first if need be; `None` (logged) if Redis cannot answer.
    fn run<T: redis::FromRedisValue>(&self, what: &str, cmd: &redis::Cmd) -> Option<T> {
        let mut link = lock(&self.link);
        if link.conn.is_none() {
            if link
                .down_since
                .is_some_and(|since| since.elapsed() < self.retry_after)
            {
                return None;
            }
            match self.connect() {
                Ok(conn) => {
                    if link.down_since.take().is_some() {
                        info!("spectls-redis: reconnected to Redis");
                    }
                    link.conn = Some(conn);
                }
                Err(e) => {
                    warn!(
                        "spectls-redis: {what}: cannot connect to Redis: {e} (a miss; next \
                         attempt in {:?})",
                        self.retry_after
                    );
                    link.down_since = Some(Instant::now());
                    return None;
                }
            }
        }
        let conn = link.conn.as_mut()?;
        match cmd.query::<T>(conn) {
            Ok(value) => Some(value),
            Err(e) => {
                // After a timeout the answer may still come: the connection is out of step, so
                // it goes, whatever the error.
                link.conn = None;
                let unreachable = e.is_io_error()
                    || e.is_timeout()
                    || e.is_connection_dropped()
                    || e.is_connection_refusal();
                if unreachable {
                    link.down_since = Some(Instant::now());
                }
                warn!("spectls-redis: {what} failed: {e} (a miss)");
                None
            }
        }
    }

    fn connect(&self) -> redis::RedisResult<redis::Connection> {
        let conn = self
            .client
            .get_connection_with_timeout(self.connect_timeout)?;
        conn.set_read_timeout(Some(self.io_timeout))?;
        conn.set_write_timeout(Some(self.io_timeout))?;
        Ok(conn)
    }
}

/// Locks `m`, carrying on if another thread panicked holding it (the link is then at worst a
/// connection out of step, which the next error drops).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl StoresServerSessions for RedisSessionStore {
    /// `SET prefix:tls12:<id> <Session::encode()> PX <lifetime>`.
    fn put(&self, id: Vec<u8>, value: Session) -> bool {
        if !Self::usable(&id) {
            return false;
        }
        let encoded = Zeroizing::new(value.encode());
        self.set(
            "storing a TLS 1.2 session",
            self.key(Space::Tls12, &id),
            &encoded,
        )
    }

    /// `GET prefix:tls12:<id>`; a value that does not decode is a miss.
    fn get(&self, id: &[u8]) -> Option<Session> {
        if !Self::usable(id) {
            return None;
        }
        let mut cmd = redis::cmd("GET");
        cmd.arg(self.key(Space::Tls12, id));
        let value = self.run::<Option<Vec<u8>>>("looking up a TLS 1.2 session", &cmd)??;
        Session::decode(&Zeroizing::new(value))
    }

    /// Always `true`: whether Redis is up is known only when it is used.
    fn can_cache(&self) -> bool {
        true
    }

    /// `DEL` of `id` in both key spaces.
    fn remove(&self, id: &[u8]) {
        if !Self::usable(id) {
            return;
        }
        let mut cmd = redis::cmd("DEL");
        cmd.arg(self.key(Space::Tls12, id))
            .arg(self.key(Space::Tls13, id));
        let _ = self.run::<i64>("removing a session", &cmd);
    }

    /// `SET prefix:tls13:<id> <Session13::encode()> PX <lifetime>`.
    fn put_tls13(&self, id: Vec<u8>, value: Session13) -> bool {
        if !Self::usable(&id) {
            return false;
        }
        self.set(
            "storing a TLS 1.3 ticket",
            self.key(Space::Tls13, &id),
            &value.encode(),
        )
    }

    /// `GETDEL prefix:tls13:<id>`: whoever takes it first has it, on any server of the fleet.
    fn take_tls13(&self, id: &[u8]) -> Option<Session13> {
        if !Self::usable(id) {
            return None;
        }
        let mut cmd = redis::cmd("GETDEL");
        cmd.arg(self.key(Space::Tls13, id));
        let value = self.run::<Option<Vec<u8>>>("taking a TLS 1.3 ticket", &cmd)??;
        Session13::decode(&Zeroizing::new(value))
    }
}

impl fmt::Debug for RedisSessionStore {
    /// The settings and whether a connection is open; never the address (it may hold a
    /// password).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never wait for the lock: a call may be waiting on a hung Redis.
        let connected = match self.link.try_lock() {
            Ok(link) => Some(link.conn.is_some()),
            Err(_) => None,
        };
        f.debug_struct("RedisSessionStore")
            .field("prefix", &String::from_utf8_lossy(&self.prefix))
            .field("lifetime", &self.lifetime)
            .field("connect_timeout", &self.connect_timeout)
            .field("io_timeout", &self.io_timeout)
            .field("retry_after", &self.retry_after)
            .field("connected", &connected)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_prefix_the_space_and_the_id_in_hex() {
        let store = RedisSessionStore::new("redis://127.0.0.1:1/", Duration::from_secs(60))
            .unwrap()
            .with_prefix("app:");
        assert_eq!(
            store.key(Space::Tls12, &[0x00, 0xab, 0xff]),
            b"app:tls12:00abff"
        );
        assert_eq!(store.key(Space::Tls13, &[0x12]), b"app:tls13:12");
        let default = RedisSessionStore::new("redis://127.0.0.1:1/", Duration::ZERO).unwrap();
        assert_eq!(default.key(Space::Tls13, &[1]), b"spectls:tls13:01");
    }

    #[test]
    fn ids_out_of_bounds_and_a_zero_lifetime_never_reach_redis() {
        // Nothing listens on port 1: were Redis asked, the store would go down for a while.
        let store = RedisSessionStore::new("redis://127.0.0.1:1/", Duration::ZERO)
            .unwrap()
            .with_retry_after(Duration::from_secs(3600));
        let session = Session {
            cipher_suite: spectls::wire::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            master_secret: [7; 48],
            extended_master_secret: true,
            server_name: None,
            created: 1,
            peer_certificates: Vec::new(),
        };
        assert!(!store.put(vec![1; 32], session.clone()), "zero lifetime");
        assert!(!store.put(Vec::new(), session.clone()));
        assert!(!store.put(vec![1; MAX_ID_LEN + 1], session));
        assert!(store.get(&[]).is_none());
        assert!(store.take_tls13(&[2; MAX_ID_LEN + 1]).is_none());
        assert!(
            lock(&store.link).down_since.is_none(),
            "Redis was not asked"
        );
    }

    #[test]
    fn an_unreachable_redis_is_a_miss_and_is_left_alone_for_a_while() {
        let store = RedisSessionStore::new("redis://127.0.0.1:1/", Duration::from_secs(60))
            .unwrap()
            .with_retry_after(Duration::from_secs(3600));
        assert!(store.get(&[1; 32]).is_none());
        let down = lock(&store.link).down_since.expect("marked down");
        // Within the pause: a miss at once, without trying (the mark does not move).
        assert!(store.take_tls13(&[1; 32]).is_none());
        assert_eq!(lock(&store.link).down_since, Some(down));
        assert!(format!("{store:?}").contains("connected: Some(false)"));
    }

    #[test]
    fn a_rediss_url_is_refused_and_debug_shows_no_password() {
        assert!(RedisSessionStore::new("rediss://127.0.0.1/", Duration::from_secs(1)).is_err());
        assert!(RedisSessionStore::new("not a url", Duration::from_secs(1)).is_err());
        let store = RedisSessionStore::new("redis://:hunter2@127.0.0.1:1/", Duration::from_secs(1))
            .unwrap();
        let debug = format!("{store:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("spectls:"), "{debug}");
    }
}
