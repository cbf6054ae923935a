//! Session resumption building blocks: the state a resumable session carries, the server's
//! session-ID cache (RFC 5246 section 7.4.1.2), the client's session cache and the ticket
//! sealer of RFC 5077 section 4.
//!
//! The conventions follow rustls (`StoresServerSessions`, `ServerSessionMemoryCache`,
//! `ClientSessionMemoryCache`, `ProducesTickets`, `Ticketer`). Both byte formats here come from
//! the schema (`schema/rfc5077.tls`): a [`Session`] is stored as the generated
//! [`SessionState`], and a ticket is the generated [`SealedTicket`]. This module only seals,
//! opens and keeps things; it frames no bytes by hand.

use crate::codec::{Codec, Encode, Hex};
use crate::wire::{ASN1Cert, CipherSuite, ProtocolVersion, SealedTicket, SessionState};
use crate::Error;
use pki_types::CertificateDer;
use ring::aead;
use ring::rand::{SecureRandom, SystemRandom};
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// The only version a [`Session`] is encoded with: TLS 1.2.
const TLS12: ProtocolVersion = ProtocolVersion { major: 3, minor: 3 };

/// The current time in seconds since the Unix epoch (0 if the system clock is before 1970).
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A source of monotonic time, as the time elapsed since some fixed origin. Injectable so tests
/// can move time without sleeping.
type Clock = Box<dyn Fn() -> Duration + Send + Sync>;

/// A clock that counts from the moment it is made.
fn monotonic_clock() -> Clock {
    let origin = Instant::now();
    Box::new(move || origin.elapsed())
}

/// Locks `m`, carrying on with the data if another thread panicked while holding it (every
/// update here leaves the data consistent, so a poisoned lock holds nothing half-done).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What a resumable session carries (RFC 5077 section 4's `StatePlaintext`, adapted; on the wire
/// as the generated [`SessionState`]).
///
/// `Debug` never prints the master secret, and the master secret is wiped when a `Session` is
/// dropped ([`ZeroizeOnDrop`]).
///
/// `Clone` because the session stores hand out copies ([`StoresServerSessions::get`] returns
/// one, as rustls's API does) while keeping their own; every copy wipes itself. The caches keep
/// each session in a box of its own, so that a hash table growing moves a pointer, not the
/// secret (a move leaves the old bytes behind, unwiped).
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    /// The cipher suite of the session; an abbreviated handshake must select it again.
    pub cipher_suite: CipherSuite,
    /// The master secret.
    pub master_secret: [u8; 48],
    /// Whether the master secret is the RFC 7627 extended master secret; RFC 7627 section 5.3
    /// ties resumption to it.
    pub extended_master_secret: bool,
    /// The SNI host name the session was made under (RFC 6066 section 3), if any. `Some("")`
    /// is stored as `None`.
    pub server_name: Option<String>,
    /// When the full handshake completed, in seconds since the Unix epoch (see [`now`]); moved
    /// forward when a ticket renews the session (on a client: when the ticket arrived).
    pub created: u64,
    /// The peer's certificate chain: the client's (client authentication) on a server, the
    /// server's on a client. Empty for an anonymous peer.
    pub peer_certificates: Vec<CertificateDer<'static>>,
}

impl Session {
    /// The session as an encoded [`SessionState`].
    ///
    /// Values from a real handshake always fit the schema's bounds (the SNI name is at most
    /// 2^16-1 bytes, the chain came in a Certificate message with the same 2^24-1 bound); a
    /// session that exceeds them encodes to bytes [`Session::decode`] rejects.
    pub fn encode(&self) -> Vec<u8> {
        SessionState {
            protocol_version: TLS12,
            cipher_suite: self.cipher_suite,
            master_secret: self.master_secret,
            extended_master_secret: u8::from(self.extended_master_secret),
            server_name: self.server_name.as_deref().unwrap_or_default().as_bytes(),
            created: self.created,
            peer_certificates: self
                .peer_certificates
                .iter()
                .map(|c| ASN1Cert(c.as_ref()))
                .collect(),
        }
        .to_vec()
    }

    /// Decodes an encoded [`SessionState`]. `None` if the bytes are not exactly one, if its
    /// version is not TLS 1.2, if `extended_master_secret` is neither 0 nor 1, or if the
    /// server name is not UTF-8.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let state = SessionState::from_bytes(bytes).ok()?;
        if state.protocol_version != TLS12 {
            return None;
        }
        let extended_master_secret = match state.extended_master_secret {
            0 => false,
            1 => true,
            _ => return None,
        };
        let server_name = match state.server_name {
            [] => None,
            name => Some(String::from_utf8(name.to_vec()).ok()?),
        };
        Some(Session {
            cipher_suite: state.cipher_suite,
            master_secret: state.master_secret,
            extended_master_secret,
            server_name,
            created: state.created,
            peer_certificates: state
                .peer_certificates
                .iter()
                .map(|c| CertificateDer::from(c.0.to_vec()))
                .collect(),
        })
    }

    /// Whether the session is too old to resume at `now` (Unix seconds) under a lifetime of
    /// `lifetime_secs`: a session is valid for `created <= now < created + lifetime_secs`.
    /// A session created in the future (the clock went back) counts as expired, and a lifetime
    /// of 0 expires every session.
    pub fn is_expired(&self, lifetime_secs: u64, now: u64) -> bool {
        match now.checked_sub(self.created) {
            Some(age) => age >= lifetime_secs,
            None => true,
        }
    }

    /// Seals the session into a ticket with `tickets`; `None` if tickets are disabled or the
    /// ticket cannot be made (for instance, a certificate chain too long for a ticket).
    pub fn seal(&self, tickets: &dyn ProducesTickets) -> Option<Vec<u8>> {
        if !tickets.enabled() {
            return None;
        }
        // The encoding holds the master secret in the clear.
        tickets.encrypt(&Zeroizing::new(self.encode()))
    }

    /// Opens a ticket made by [`Session::seal`]. The same `None` for a ticket under an unknown
    /// or expired key, one that fails authentication, one that does not decode as a
    /// [`SealedTicket`] or whose contents do not decode as a [`SessionState`], and when tickets
    /// are disabled. It does not check [`Session::is_expired`].
    pub fn open(tickets: &dyn ProducesTickets, ticket: &[u8]) -> Option<Self> {
        if !tickets.enabled() {
            return None;
        }
        // The opened ticket holds the master secret in the clear.
        Session::decode(&Zeroizing::new(tickets.decrypt(ticket)?))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.master_secret.zeroize();
    }
}

impl ZeroizeOnDrop for Session {}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("cipher_suite", &self.cipher_suite)
            .field("master_secret", &format_args!("<redacted>"))
            .field("extended_master_secret", &self.extended_master_secret)
            .field("server_name", &self.server_name)
            .field("created", &self.created)
            .field(
                "peer_certificates",
                &format_args!("<{} certificates>", self.peer_certificates.len()),
            )
            .finish()
    }
}

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
    inner: Mutex<ServerCacheInner>,
}

#[derive(Default)]
struct ServerCacheInner {
    /// Session and the clock reading when it was stored. Boxed so that the table growing moves
    /// a pointer, not the master secret (see [`Session`]).
    map: HashMap<Vec<u8>, (Box<Session>, Duration)>,
    /// The keys of `map`, oldest first.
    order: VecDeque<Vec<u8>>,
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

/// Where a client keeps the sessions it may resume, by server name. As rustls's
/// `ClientSessionStore`, reduced to what TLS 1.2 needs.
pub trait StoresClientSessions: fmt::Debug + Send + Sync {
    /// Stores `value` for `server_name`, replacing what was there.
    fn put(&self, server_name: &str, value: ClientSessionValue);

    /// The value stored for `server_name`, if any.
    fn get(&self, server_name: &str) -> Option<ClientSessionValue>;

    /// Forgets what is stored for `server_name` (after a failed resumption, say).
    fn remove(&self, server_name: &str);
}

/// An in-memory [`StoresClientSessions`] of at most `capacity` servers (the oldest entry is
/// evicted to make room), keyed by the server name in ASCII lower case. Thread-safe.
pub struct ClientSessionMemoryCache {
    capacity: usize,
    inner: Mutex<ClientCacheInner>,
}

#[derive(Default)]
struct ClientCacheInner {
    /// Boxed so that the table growing moves a pointer, not the master secret (see [`Session`]).
    map: HashMap<String, Box<ClientSessionValue>>,
    /// The keys of `map`, oldest first.
    order: VecDeque<String>,
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
}

impl fmt::Debug for ClientSessionMemoryCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSessionMemoryCache")
            .field("capacity", &self.capacity)
            .field("len", &lock(&self.inner).map.len())
            .finish()
    }
}

/// Seals and opens session tickets (RFC 5077). As rustls's trait of the same name.
pub trait ProducesTickets: fmt::Debug + Send + Sync {
    /// Whether the server issues and accepts tickets at all.
    fn enabled(&self) -> bool;

    /// How long a ticket is worth keeping, in seconds: NewSessionTicket.ticket_lifetime_hint.
    fn lifetime(&self) -> u32;

    /// Seals `plain` into a ticket; `None` if that is not possible.
    fn encrypt(&self, plain: &[u8]) -> Option<Vec<u8>>;

    /// Opens a ticket made by `encrypt`. `None` for anything that is not such a ticket, under a
    /// key still accepted, whatever the reason.
    fn decrypt(&self, ticket: &[u8]) -> Option<Vec<u8>>;
}

/// A ticket on the wire (NewSessionTicket.ticket, the SessionTicket extension) is at most
/// 2^16-1 bytes.
const MAX_TICKET_LEN: usize = 0xffff;
/// key_name, nonce, the encrypted_state length prefix and the AEAD tag.
const TICKET_OVERHEAD: usize = 16 + 12 + 2 + TAG_LEN;
const TAG_LEN: usize = 16;
static TICKET_AEAD: &aead::Algorithm = &aead::CHACHA20_POLY1305;

/// One ticket key, its random name, and what makes its nonces.
///
/// The nonce mask is wiped on drop, and the random bytes the key was made from as soon as the
/// key is set up. The key itself cannot be: ring's `LessSafeKey` keeps its expanded key
/// schedule in memory it does not let us clear.
struct TicketKey {
    name: [u8; 16],
    key: aead::LessSafeKey,
    /// Random per key; XORed with the count of tickets sealed so far it is each ticket's nonce
    /// (as TLS 1.3 builds record nonces, RFC 8446 5.3): unique under this key without a system
    /// call per ticket, and not a bare counter on the wire.
    nonce_mask: [u8; 12],
    sealed: AtomicU64,
}

impl TicketKey {
    fn generate(rng: &SystemRandom) -> Option<TicketKey> {
        let mut material = Zeroizing::new([0u8; 16 + 32 + 12]);
        rng.fill(material.as_mut_slice()).ok()?;
        let (name, rest) = material.split_first_chunk::<16>()?;
        let (key, nonce_mask) = rest.split_first_chunk::<32>()?;
        let unbound = aead::UnboundKey::new(TICKET_AEAD, key).ok()?;
        Some(TicketKey {
            name: *name,
            key: aead::LessSafeKey::new(unbound),
            nonce_mask: nonce_mask.try_into().ok()?,
            sealed: AtomicU64::new(0),
        })
    }

    /// The next nonce; `None` once 2^64 tickets were sealed under this key (never, in practice).
    fn next_nonce(&self) -> Option<[u8; 12]> {
        // Stops at the top rather than wrapping, so no nonce repeats.
        let n = self
            .sealed
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_add(1))
            .ok()?;
        let mut nonce = self.nonce_mask;
        nonce
            .iter_mut()
            .skip(4)
            .zip(n.to_be_bytes())
            .for_each(|(m, c)| *m ^= c);
        Some(nonce)
    }
}

impl Drop for TicketKey {
    fn drop(&mut self) {
        self.nonce_mask.zeroize();
    }
}

struct TicketKeys {
    current: Arc<TicketKey>,
    /// The key `current` replaced, if that happened exactly one lifetime before `current_since`.
    previous: Option<Arc<TicketKey>>,
    /// When `current` started sealing, on the ticketer's clock, aligned to whole lifetimes.
    current_since: Duration,
}

/// The [`ProducesTickets`] of spectls: ChaCha20-Poly1305 under keys from ring's
/// `SystemRandom`, in the [`SealedTicket`] format of `schema/rfc5077.tls` (a random 16-byte
/// key_name per key, as the AEAD's additional data, and a 12-byte nonce per ticket that is
/// unique under its key: a per-key counter XORed with a random per-key mask).
///
/// Keys rotate: after `lifetime` the current key becomes the previous one and a new current key
/// is made; tickets are opened under either. A ticket is thus accepted for at least `lifetime`
/// and at most twice that after it was issued; a key is forgotten after two lifetimes.
pub struct Ticketer {
    lifetime: Duration,
    rng: SystemRandom,
    clock: Clock,
    keys: Mutex<TicketKeys>,
}

impl Ticketer {
    /// A ticketer whose keys rotate every `lifetime` (at least one second, at most 2^32-1
    /// seconds, the range of ticket_lifetime_hint).
    pub fn new(lifetime: Duration) -> Result<Arc<Self>, Error> {
        Self::with_clock(lifetime, monotonic_clock())
    }

    /// As [`Ticketer::new`], reading time from `clock`.
    pub(crate) fn with_clock(lifetime: Duration, clock: Clock) -> Result<Arc<Self>, Error> {
        if lifetime.as_secs() == 0 || lifetime.as_secs() > u64::from(u32::MAX) {
            return Err(Error::Config(format!(
                "ticket lifetime {lifetime:?} is outside 1 second ..= 2^32-1 seconds"
            )));
        }
        let rng = SystemRandom::new();
        let current = TicketKey::generate(&rng)
            .ok_or_else(|| Error::Internal("ticket key generation failed".into()))?;
        let current_since = clock();
        Ok(Arc::new(Ticketer {
            lifetime,
            rng,
            clock,
            keys: Mutex::new(TicketKeys {
                current: Arc::new(current),
                previous: None,
                current_since,
            }),
        }))
    }

    /// The keys in force now, rotating first if a lifetime has passed. `None` if a new key
    /// was due and could not be made: then nothing is sealed or opened.
    fn keys(&self) -> Option<(Arc<TicketKey>, Option<Arc<TicketKey>>)> {
        let now = (self.clock)();
        let mut keys = lock(&self.keys);
        let age = now.saturating_sub(keys.current_since);
        if age >= self.lifetime {
            let lifetime = self.lifetime.as_nanos();
            let periods = age.as_nanos() / lifetime;
            let fresh = Arc::new(TicketKey::generate(&self.rng)?);
            let old = std::mem::replace(&mut keys.current, fresh);
            // Only a key that stopped sealing within the last lifetime is still accepted.
            keys.previous = (periods == 1).then_some(old);
            // The rotation time the schedule says, not `now`, so no key outlives 2 lifetimes.
            let into_period = u64::try_from(age.as_nanos() % lifetime).ok()?;
            keys.current_since = now.saturating_sub(Duration::from_nanos(into_period));
        }
        Some((keys.current.clone(), keys.previous.clone()))
    }
}

impl ProducesTickets for Ticketer {
    fn enabled(&self) -> bool {
        true
    }

    fn lifetime(&self) -> u32 {
        u32::try_from(self.lifetime.as_secs()).unwrap_or(u32::MAX)
    }

    fn encrypt(&self, plain: &[u8]) -> Option<Vec<u8>> {
        if plain.len() > MAX_TICKET_LEN - TICKET_OVERHEAD {
            return None;
        }
        let (current, _) = self.keys()?;
        let nonce = current.next_nonce()?;
        let mut sealed = Vec::with_capacity(plain.len() + TAG_LEN);
        sealed.extend_from_slice(plain);
        let tag = current
            .key
            .seal_in_place_separate_tag(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(&current.name),
                &mut sealed,
            )
            .ok()?;
        sealed.extend_from_slice(tag.as_ref());
        Some(
            SealedTicket {
                key_name: current.name,
                nonce,
                encrypted_state: &sealed,
            }
            .to_vec(),
        )
    }

    fn decrypt(&self, ticket: &[u8]) -> Option<Vec<u8>> {
        let sealed = SealedTicket::from_bytes(ticket).ok()?;
        let (current, previous) = self.keys()?;
        // key_name is not secret (it is sent in the clear), so a plain comparison is fine.
        let key = std::iter::once(&current)
            .chain(previous.as_ref())
            .find(|k| k.name == sealed.key_name)?;
        let mut plain = sealed.encrypted_state.to_vec();
        let len = key
            .key
            .open_in_place(
                aead::Nonce::assume_unique_for_key(sealed.nonce),
                aead::Aad::from(&sealed.key_name),
                &mut plain,
            )
            .ok()?
            .len();
        plain.truncate(len);
        Some(plain)
    }
}

impl fmt::Debug for Ticketer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ticketer")
            .field("aead", &"ChaCha20-Poly1305")
            .field("lifetime", &self.lifetime)
            .finish()
    }
}

#[cfg(test)]
// Unit tests: a failed unwrap or index is a failed test, which is what we want.
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// A clock the test moves by hand, in milliseconds.
    fn manual_clock() -> (Arc<AtomicU64>, Clock) {
        let ms = Arc::new(AtomicU64::new(0));
        let reader = ms.clone();
        (
            ms,
            Box::new(move || Duration::from_millis(reader.load(Ordering::SeqCst))),
        )
    }

    fn set(clock: &AtomicU64, secs: f64) {
        clock.store((secs * 1000.0) as u64, Ordering::SeqCst);
    }

    fn sample() -> Session {
        Session {
            cipher_suite: CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            master_secret: std::array::from_fn(|i| i as u8),
            extended_master_secret: true,
            server_name: Some("example.com".into()),
            created: 0x0102_0304_0506_0708,
            peer_certificates: vec![
                CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x05]),
                CertificateDer::from(vec![0xaa]),
            ],
        }
    }

    fn anonymous(n: u8) -> Session {
        Session {
            cipher_suite: CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
            master_secret: [n; 48],
            extended_master_secret: false,
            server_name: None,
            created: u64::from(n),
            peer_certificates: Vec::new(),
        }
    }

    fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn session_encodes_to_the_schema_layout_and_back() {
        let s = sample();
        let bytes = s.encode();
        let mut want = unhex("0303 c02b");
        want.extend(0u8..48); // master_secret[48]
        want.extend(unhex(
            "01
             000b 6578616d706c652e636f6d
             0102030405060708
             00000c 000005 3003020105 000001 aa",
        ));
        assert_eq!(bytes, want);
        assert_eq!(Session::decode(&bytes), Some(s));

        // No name, no EMS, no certificates.
        let a = anonymous(7);
        let bytes = a.encode();
        let mut want = unhex("0303 cca8");
        want.extend([7u8; 48]);
        want.extend(unhex("00 0000 0000000000000007 000000"));
        assert_eq!(bytes, want);
        assert_eq!(Session::decode(&bytes), Some(a));

        // An empty name is no name.
        // (Session has a Drop impl, so no `..` struct update: fields are set one by one.)
        let mut empty_name = anonymous(1);
        empty_name.server_name = Some(String::new());
        assert_eq!(
            Session::decode(&empty_name.encode()).unwrap().server_name,
            None
        );
    }

    #[test]
    fn session_decode_rejects_malformed_input() {
        let good = sample().encode();
        for len in 0..good.len() {
            assert_eq!(Session::decode(&good[..len]), None, "prefix of {len}");
        }
        let mut longer = good.clone();
        longer.push(0);
        assert_eq!(Session::decode(&longer), None, "trailing byte");

        let at_ems = 2 + 2 + 48;
        let at_name = at_ems + 1;
        let patched = |at: usize, b: u8| {
            let mut v = good.clone();
            v[at] = b;
            v
        };
        assert_eq!(Session::decode(&patched(1, 1)), None, "TLS 1.0");
        assert_eq!(Session::decode(&patched(at_ems, 2)), None, "EMS flag 2");
        assert_eq!(
            Session::decode(&patched(at_name + 2, 0xff)),
            None,
            "not UTF-8"
        );
        assert_eq!(
            Session::decode(&patched(at_name + 1, 0x0c)),
            None,
            "name length"
        );

        // An empty certificate breaks ASN.1Cert's floor of 1.
        let mut empty_cert = anonymous(3);
        empty_cert.peer_certificates = vec![CertificateDer::from(Vec::new())];
        assert_eq!(Session::decode(&empty_cert.encode()), None);

        assert_eq!(Session::decode(&[0xff; 200]), None);
        assert_eq!(Session::decode(b"garbage"), None);
    }

    /// A session, and so every copy a cache hands out, wipes its master secret when dropped.
    /// Compile-time: `Session` did not implement `ZeroizeOnDrop` before it did.
    #[test]
    fn session_is_wiped_on_drop() {
        fn assert_zeroize_on_drop<T: ZeroizeOnDrop>() {}
        assert_zeroize_on_drop::<Session>();
    }

    #[test]
    fn session_debug_hides_the_master_secret() {
        let mut s = sample();
        s.master_secret = [0xab; 48];
        let shown = format!("{s:?} {s:#?}");
        assert!(shown.contains("example.com"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
        for leak in ["171", "abab", "ABAB", "0xab"] {
            assert!(!shown.contains(leak), "{leak} in {shown}");
        }
        let v = ClientSessionValue {
            session_id: vec![1; 32],
            ticket: Some(vec![2; 100]),
            ticket_lifetime_hint: 7,
            session: s,
        };
        let shown = format!("{v:?}");
        assert!(!shown.contains("171") && !shown.contains("abab"), "{shown}");
    }

    #[test]
    fn session_expiry_boundaries() {
        let mut s = anonymous(1);
        s.created = 1000;
        assert!(!s.is_expired(60, 1000));
        assert!(!s.is_expired(60, 1059));
        assert!(s.is_expired(60, 1060));
        assert!(s.is_expired(60, u64::MAX));
        assert!(s.is_expired(60, 999), "created in the future");
        assert!(s.is_expired(0, 1000), "lifetime 0");
        assert!(!s.is_expired(u64::MAX, u64::MAX));
        assert!(now() > 1_600_000_000);
    }

    #[test]
    fn server_cache_evicts_the_oldest() {
        let cache = ServerSessionMemoryCache::new(2, Duration::from_secs(3600));
        assert!(cache.can_cache());
        assert!(cache.put(b"a".to_vec(), anonymous(1)));
        assert!(cache.put(b"b".to_vec(), anonymous(2)));
        assert_eq!(cache.get(b"a"), Some(anonymous(1)));
        // Storing "a" again replaces it and makes it the newest: "b" goes first.
        assert!(cache.put(b"a".to_vec(), anonymous(11)));
        assert!(cache.put(b"c".to_vec(), anonymous(3)));
        assert_eq!(cache.get(b"b"), None);
        assert_eq!(cache.get(b"a"), Some(anonymous(11)));
        assert_eq!(cache.get(b"c"), Some(anonymous(3)));
        assert!(cache.put(b"d".to_vec(), anonymous(4)));
        assert_eq!(cache.get(b"a"), None);
        assert_eq!(cache.get(b"c"), Some(anonymous(3)));
        assert_eq!(cache.get(b"d"), Some(anonymous(4)));
        assert_eq!(lock(&cache.inner).map.len(), 2);
        assert_eq!(lock(&cache.inner).order.len(), 2);

        // Empty IDs are never sessions; a zero capacity stores nothing.
        assert!(!cache.put(Vec::new(), anonymous(5)));
        assert_eq!(cache.get(b""), None);
        let none = ServerSessionMemoryCache::new(0, Duration::from_secs(3600));
        assert!(!none.put(b"a".to_vec(), anonymous(1)));
        assert_eq!(none.get(b"a"), None);
    }

    #[test]
    fn server_cache_expires_entries() {
        let (t, clock) = manual_clock();
        let cache = ServerSessionMemoryCache::with_clock(10, Duration::from_secs(10), clock);
        cache.put(b"a".to_vec(), anonymous(1));
        set(&t, 5.0);
        cache.put(b"b".to_vec(), anonymous(2));
        set(&t, 9.999);
        assert_eq!(cache.get(b"a"), Some(anonymous(1)));
        assert_eq!(cache.get(b"b"), Some(anonymous(2)));
        set(&t, 10.0);
        // Expired entries are dropped by any use of the cache, not only hidden.
        assert_eq!(cache.get(b"b"), Some(anonymous(2)));
        assert_eq!(lock(&cache.inner).map.len(), 1);
        assert_eq!(cache.get(b"a"), None);
        set(&t, 15.0);
        assert_eq!(cache.get(b"b"), None);
        assert!(lock(&cache.inner).map.is_empty());
        assert!(lock(&cache.inner).order.is_empty());

        // A clock that goes back: "d" is stored later but at an earlier reading than "c";
        // it still expires on its own age although it is not the oldest entry.
        set(&t, 100.0);
        cache.put(b"c".to_vec(), anonymous(3));
        set(&t, 90.0);
        cache.put(b"d".to_vec(), anonymous(4));
        set(&t, 100.0);
        assert_eq!(cache.get(b"d"), None);
        assert_eq!(cache.get(b"c"), Some(anonymous(3)));
        assert_eq!(lock(&cache.inner).order.len(), 1);

        // A zero lifetime, on the real clock: nothing comes back.
        let zero = ServerSessionMemoryCache::new(10, Duration::ZERO);
        assert!(zero.put(b"a".to_vec(), anonymous(1)));
        assert_eq!(zero.get(b"a"), None);
    }

    #[test]
    fn server_cache_is_shared_between_threads() {
        let cache = ServerSessionMemoryCache::new(1000, Duration::from_secs(3600));
        let small = ServerSessionMemoryCache::new(50, Duration::from_secs(3600));
        let threads: Vec<_> = (0..8u8)
            .map(|t| {
                let cache = cache.clone();
                let small = small.clone();
                std::thread::spawn(move || {
                    for i in 0..100u8 {
                        let id = vec![t, i];
                        assert!(cache.put(id.clone(), anonymous(i)));
                        assert_eq!(cache.get(&id), Some(anonymous(i)));
                        small.put(id.clone(), anonymous(i));
                        small.get(&id);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        for t in 0..8u8 {
            for i in 0..100u8 {
                assert_eq!(cache.get(&[t, i]), Some(anonymous(i)));
            }
        }
        let inner = lock(&small.inner);
        assert_eq!(inner.map.len(), 50);
        assert_eq!(inner.order.len(), 50);
    }

    #[test]
    fn no_server_session_storage_stores_nothing() {
        let s = NoServerSessionStorage;
        assert!(!s.can_cache());
        assert!(!s.put(b"a".to_vec(), anonymous(1)));
        assert_eq!(s.get(b"a"), None);
    }

    fn client_value(n: u8) -> ClientSessionValue {
        ClientSessionValue {
            session_id: vec![n; 32],
            ticket: Some(vec![n; 10]),
            ticket_lifetime_hint: 300,
            session: anonymous(n),
        }
    }

    #[test]
    fn client_cache_is_case_insensitive_and_bounded() {
        let cache = ClientSessionMemoryCache::new(2);
        cache.put("Example.COM", client_value(1));
        assert_eq!(cache.get("example.com"), Some(client_value(1)));
        assert_eq!(cache.get("EXAMPLE.com"), Some(client_value(1)));
        assert_eq!(cache.get("example.org"), None);
        cache.put("EXAMPLE.COM", client_value(2));
        assert_eq!(cache.get("example.com"), Some(client_value(2)));
        assert_eq!(lock(&cache.inner).map.len(), 1);

        cache.put("b.example", client_value(3));
        cache.put("c.example", client_value(4));
        assert_eq!(cache.get("example.com"), None, "oldest evicted");
        assert_eq!(cache.get("b.example"), Some(client_value(3)));
        assert_eq!(cache.get("c.example"), Some(client_value(4)));

        cache.remove("B.Example");
        assert_eq!(cache.get("b.example"), None);
        cache.put("d.example", client_value(5));
        assert_eq!(
            cache.get("c.example"),
            Some(client_value(4)),
            "room was free"
        );
        assert_eq!(cache.get("d.example"), Some(client_value(5)));
        assert_eq!(lock(&cache.inner).order.len(), 2);

        let none = ClientSessionMemoryCache::new(0);
        none.put("a", client_value(1));
        assert_eq!(none.get("a"), None);
    }

    #[test]
    fn ticket_nonces_are_a_masked_counter_that_never_wraps() {
        let key = TicketKey::generate(&SystemRandom::new()).unwrap();
        let first = key.next_nonce().unwrap();
        assert_eq!(first, key.nonce_mask, "counter 0 is the mask itself");
        for i in 1..=300u64 {
            let nonce = key.next_nonce().unwrap();
            let diff: Vec<u8> = nonce.iter().zip(first).map(|(a, b)| a ^ b).collect();
            assert_eq!(diff[..4], [0; 4]);
            assert_eq!(diff[4..], i.to_be_bytes());
        }
        key.sealed.store(u64::MAX - 1, Ordering::Relaxed);
        assert!(key.next_nonce().is_some(), "the last one");
        assert_eq!(key.next_nonce(), None, "exhausted, not wrapped");
        assert_eq!(key.next_nonce(), None);
        assert_eq!(key.sealed.load(Ordering::Relaxed), u64::MAX);
    }

    #[test]
    fn ticketer_round_trip_in_the_sealed_ticket_format() {
        let t = Ticketer::new(Duration::from_secs(3600)).unwrap();
        assert!(t.enabled());
        assert_eq!(t.lifetime(), 3600);
        let plain = b"session state";
        let one = t.encrypt(plain).unwrap();
        let two = t.encrypt(plain).unwrap();
        assert_eq!(t.decrypt(&one).as_deref(), Some(&plain[..]));
        assert_eq!(t.decrypt(&two).as_deref(), Some(&plain[..]));
        assert_eq!(one.len(), 16 + 12 + 2 + plain.len() + 16);

        let a = SealedTicket::from_bytes(&one).unwrap();
        let b = SealedTicket::from_bytes(&two).unwrap();
        assert_eq!(a.key_name, b.key_name, "one key");
        assert_ne!(a.nonce, b.nonce, "fresh nonces");
        assert_eq!(a.encrypted_state.len(), plain.len() + 16);
        assert_ne!(&a.encrypted_state[..plain.len()], plain, "encrypted");
        assert_eq!(one[..16], a.key_name);
        assert_eq!(one[28..30], [0, (plain.len() + 16) as u8]);

        // Opened independently with ring: the AEAD is keyed by the current key, with the
        // ticket's nonce and key_name as the additional data (and nothing else).
        let (key, _) = t.keys().unwrap();
        let open = |aad: &[u8]| {
            let mut buf = a.encrypted_state.to_vec();
            key.key
                .open_in_place(
                    aead::Nonce::assume_unique_for_key(a.nonce),
                    aead::Aad::from(aad),
                    &mut buf,
                )
                .map(|p| p.to_vec())
                .ok()
        };
        assert_eq!(open(&a.key_name).as_deref(), Some(&plain[..]));
        assert_eq!(open(&[]), None);

        // The empty plaintext still makes a valid ticket (the tag meets the floor of 16).
        let empty = t.encrypt(b"").unwrap();
        assert_eq!(t.decrypt(&empty), Some(Vec::new()));
        // A ticket must fit NewSessionTicket.ticket<0..2^16-1>.
        let max = 0xffff - 46;
        assert_eq!(t.encrypt(&vec![0; max]).unwrap().len(), 0xffff);
        assert_eq!(t.encrypt(&vec![0; max + 1]), None);
    }

    #[test]
    fn ticketer_rejects_any_tampering() {
        let t = Ticketer::new(Duration::from_secs(3600)).unwrap();
        let ticket = t.encrypt(b"the state of a session").unwrap();
        for i in 0..ticket.len() {
            for bit in [0x01, 0x80] {
                let mut bad = ticket.clone();
                bad[i] ^= bit;
                assert_eq!(t.decrypt(&bad), None, "byte {i} bit {bit:#x}");
            }
        }
        for len in 0..ticket.len() {
            assert_eq!(t.decrypt(&ticket[..len]), None, "prefix of {len}");
        }
        let mut longer = ticket.clone();
        longer.push(0);
        assert_eq!(t.decrypt(&longer), None);
        assert!(t.decrypt(&ticket).is_some());
    }

    #[test]
    fn ticketer_rejects_garbage_and_foreign_tickets() {
        let t = Ticketer::new(Duration::from_secs(3600)).unwrap();
        let other = Ticketer::new(Duration::from_secs(3600)).unwrap();
        let foreign = other.encrypt(b"state").unwrap();
        assert!(other.decrypt(&foreign).is_some());
        assert_eq!(t.decrypt(&foreign), None);

        // The foreign ticket re-labelled with our key name still fails authentication.
        let ours = t.encrypt(b"state").unwrap();
        let mut relabelled = foreign.clone();
        relabelled[..16].copy_from_slice(&ours[..16]);
        assert_eq!(t.decrypt(&relabelled), None);

        for garbage in [
            &[][..],
            &[0][..],
            &[0; 45][..],
            &[0; 46][..],
            &[0xff; 100][..],
            b"definitely not a session ticket, but long enough to parse",
        ] {
            assert_eq!(t.decrypt(garbage), None, "{garbage:?}");
        }
        // Well framed (key_name, nonce, 16-byte state), but nothing we sealed.
        let mut framed = vec![0u8; 28];
        framed.extend([0, 16]);
        framed.extend([0u8; 16]);
        assert!(SealedTicket::from_bytes(&framed).is_ok());
        assert_eq!(t.decrypt(&framed), None);
    }

    #[test]
    fn ticketer_keys_rotate() {
        let (t, clock) = manual_clock();
        let tk = Ticketer::with_clock(Duration::from_secs(100), clock).unwrap();
        let name = |ticket: &[u8]| SealedTicket::from_bytes(ticket).unwrap().key_name;

        let a = tk.encrypt(b"a").unwrap(); // key 1, made at 0
        set(&t, 99.999);
        assert!(tk.decrypt(&a).is_some());
        assert_eq!(
            name(&tk.encrypt(b"x").unwrap()),
            name(&a),
            "no rotation yet"
        );

        set(&t, 100.0); // key 2; key 1 is previous
        let b = tk.encrypt(b"b").unwrap();
        assert_ne!(name(&b), name(&a));
        assert_eq!(tk.decrypt(&a).as_deref(), Some(&b"a"[..]), "previous key");
        set(&t, 199.0);
        let b_late = tk.encrypt(b"b late").unwrap();
        assert_eq!(name(&b_late), name(&b));
        assert!(tk.decrypt(&a).is_some());

        set(&t, 200.0); // key 3; key 1 is two rotations old
        assert_eq!(tk.decrypt(&a), None, "two rotations old");
        assert!(tk.decrypt(&b).is_some());
        assert!(
            tk.decrypt(&b_late).is_some(),
            "b_late valid 100s after issue"
        );
        let c = tk.encrypt(b"c").unwrap();
        assert!(name(&c) != name(&a) && name(&c) != name(&b));

        // Rotation follows the schedule, not the moment of the call: key 3 began at 200 even
        // though nothing happened until 250, so key 2 is gone at 300.
        set(&t, 250.0);
        assert!(tk.decrypt(&b).is_some());
        set(&t, 300.0);
        assert_eq!(tk.decrypt(&b), None);
        assert_eq!(tk.decrypt(&b_late), None);
        assert!(tk.decrypt(&c).is_some());

        // Idle for two lifetimes or more: the rotation drops every earlier key at once.
        let d = tk.encrypt(b"d").unwrap(); // key 4, began at 300
        set(&t, 500.0); // key 5 begins at 500; key 4 stopped sealing at 400 in the schedule
        assert_eq!(tk.decrypt(&d), None, "idle for two lifetimes");
        assert_eq!(tk.decrypt(&c), None);
        let e = tk.encrypt(b"e").unwrap();
        set(&t, 650.0); // key 6 began at 600
        assert!(tk.decrypt(&e).is_some(), "previous after one rotation");
        set(&t, 700.0); // key 7
        assert_eq!(tk.decrypt(&e), None);
        assert!(tk.decrypt(&tk.encrypt(b"f").unwrap()).is_some());
        assert_eq!(tk.lifetime(), 100);
    }

    #[test]
    fn ticketer_lifetime_must_fit_the_hint() {
        assert!(matches!(
            Ticketer::new(Duration::ZERO),
            Err(Error::Config(_))
        ));
        assert!(Ticketer::new(Duration::from_millis(999)).is_err());
        assert!(Ticketer::new(Duration::from_secs(u64::from(u32::MAX) + 1)).is_err());
        assert_eq!(
            Ticketer::new(Duration::from_secs(u64::from(u32::MAX)))
                .unwrap()
                .lifetime(),
            u32::MAX
        );
        let shown = format!("{:?}", Ticketer::new(Duration::from_secs(60)).unwrap());
        assert!(shown.contains("ChaCha20"), "{shown}");
    }

    #[test]
    fn sessions_travel_in_tickets() {
        let t = Ticketer::new(Duration::from_secs(3600)).unwrap();
        let s = sample();
        let ticket = s.seal(t.as_ref()).unwrap();
        let sealed = SealedTicket::from_bytes(&ticket).unwrap();
        assert_eq!(sealed.encrypted_state.len(), s.encode().len() + 16);
        assert_eq!(Session::open(t.as_ref(), &ticket), Some(s));

        let mut bad = ticket.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(Session::open(t.as_ref(), &bad), None);
        // Authentic, but not a SessionState: the same None.
        let not_a_session = t.encrypt(b"not a session").unwrap();
        assert_eq!(Session::open(t.as_ref(), &not_a_session), None);

        #[derive(Debug)]
        struct Disabled;
        impl ProducesTickets for Disabled {
            fn enabled(&self) -> bool {
                false
            }
            fn lifetime(&self) -> u32 {
                0
            }
            fn encrypt(&self, plain: &[u8]) -> Option<Vec<u8>> {
                Some(plain.to_vec())
            }
            fn decrypt(&self, ticket: &[u8]) -> Option<Vec<u8>> {
                Some(ticket.to_vec())
            }
        }
        assert_eq!(sample().seal(&Disabled), None);
        assert_eq!(Session::open(&Disabled, &sample().encode()), None);
    }
}
