//! Session resumption building blocks: the state a resumable session carries, the server's
//! session-ID cache (RFC 5246 section 7.4.1.2), the client's session cache and the ticket
//! sealer of RFC 5077 section 4, with keys of its own ([`Ticketer`]) or from a key file that
//! a fleet of servers shares ([`KeyFileTicketer`]).
//!
//! The conventions follow rustls (`StoresServerSessions`, `ServerSessionMemoryCache`,
//! `ClientSessionMemoryCache`, `ProducesTickets`, `Ticketer`). Both byte formats here come from
//! the schema (`schema/rfc5077.tls`): a [`Session`] is stored as the generated
//! [`SessionState`], and a ticket is the generated [`SealedTicket`]. This module only seals,
//! opens and keeps things; it frames no bytes by hand.
//!
//! [`SealedTicket`]: crate::wire::SealedTicket

mod anti_replay;
mod client_cache;
mod keyfile;
mod server_cache;
mod ticketer;

pub use anti_replay::AntiReplay;
pub use client_cache::{
    ClientSessionMemoryCache, ClientSessionValue, NoClientSessionStorage, StoresClientSessions,
    Tls13Ticket, MAX_TLS13_TICKETS_PER_SERVER,
};
pub use keyfile::{KeyFileTicketer, MAX_TICKET_KEYS};
pub use server_cache::{NoServerSessionStorage, ServerSessionMemoryCache, StoresServerSessions};
pub use ticketer::{ProducesTickets, Ticketer};

use crate::codec::{Codec, Encode};
use crate::wire::{ASN1Cert, CipherSuite, ProtocolVersion, SessionState};
use pki_types::CertificateDer;
use std::fmt;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// The only version a [`Session`] is encoded with: TLS 1.2.
const TLS12: ProtocolVersion = ProtocolVersion { major: 3, minor: 3 };

/// Milliseconds since the Unix epoch (TLS 1.3 ticket ages are in milliseconds).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

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
            ticket_age_add: 0,
            alpn: &[],
            max_early_data_size: 0,
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
    /// [`SealedTicket`](crate::wire::SealedTicket) or whose contents do not decode as a
    /// [`SessionState`], and when tickets are disabled. It does not check
    /// [`Session::is_expired`].
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

#[cfg(test)]
mod tests;

/// The state a TLS 1.3 ticket seals (RFC 8446 4.6.1): the PSK and what the server checks
/// before it resumes with it. Encoded as the generated `SessionState` with version { 3, 4 }
/// (see `schema/rfc5077.tls`); wiped on drop.
///
/// `Clone` for the session stores, as [`Session`]; every copy wipes its PSK.
#[derive(Clone)]
pub struct Session13 {
    /// The suite of the connection that issued the ticket: a resumption uses its hash.
    pub cipher_suite: CipherSuite,
    /// The PSK, `Hash.length` bytes (at most 48).
    pub psk: Zeroizing<Vec<u8>>,
    /// The ticket's ticket_age_add.
    pub age_add: u32,
    /// The SNI host_name of the connection, if any.
    pub server_name: Option<String>,
    /// When the ticket was issued, in seconds since the Unix epoch.
    pub created: u64,
    /// The client's chain, if it authenticated.
    pub peer_certificates: Vec<CertificateDer<'static>>,
    /// The ALPN protocol the connection chose, if any: a resumption that chooses another is a
    /// full handshake, and 0-RTT needs the same (RFC 8446 4.2.10).
    pub alpn: Option<Vec<u8>>,
    /// The ticket's max_early_data_size: how much 0-RTT data it allows (0: none).
    pub max_early_data: u32,
}

/// TLS 1.3 on the wire: the version of a [`Session13`]'s encoding.
const TLS13: ProtocolVersion = ProtocolVersion { major: 3, minor: 4 };

impl Session13 {
    /// The encoded state (the PSK in the clear: seal it, or wipe it).
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut psk = Zeroizing::new([0u8; 48]);
        psk.iter_mut()
            .zip(self.psk.iter())
            .for_each(|(to, from)| *to = *from);
        Zeroizing::new(
            SessionState {
                protocol_version: TLS13,
                cipher_suite: self.cipher_suite,
                master_secret: *psk,
                extended_master_secret: 0,
                server_name: self.server_name.as_deref().unwrap_or_default().as_bytes(),
                created: self.created,
                peer_certificates: self
                    .peer_certificates
                    .iter()
                    .map(|c| ASN1Cert(c.as_ref()))
                    .collect(),
                ticket_age_add: self.age_add,
                alpn: self.alpn.as_deref().unwrap_or_default(),
                max_early_data_size: self.max_early_data,
            }
            .to_vec(),
        )
    }

    /// The state of an encoding, if it is a TLS 1.3 one of a suite spectls knows.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let state = SessionState::from_bytes(bytes).ok()?;
        let suite = crate::crypto::suites::lookup(state.cipher_suite)?;
        if state.protocol_version != TLS13 || !suite.is_tls13() {
            return None;
        }
        let server_name = match state.server_name {
            [] => None,
            name => Some(String::from_utf8(name.to_vec()).ok()?),
        };
        let psk = Zeroizing::new(state.master_secret.get(..suite.hash.output_len())?.to_vec());
        let alpn = (!state.alpn.is_empty()).then(|| state.alpn.to_vec());
        let mut master = state.master_secret;
        master.zeroize();
        Some(Session13 {
            cipher_suite: state.cipher_suite,
            psk,
            age_add: state.ticket_age_add,
            server_name,
            created: state.created,
            peer_certificates: state
                .peer_certificates
                .iter()
                .map(|c| CertificateDer::from(c.0.to_vec()))
                .collect(),
            alpn,
            max_early_data: state.max_early_data_size,
        })
    }

    /// The ticket: the encoded state sealed by `tickets`, or `None` if they are off.
    pub fn seal(&self, tickets: &dyn ProducesTickets) -> Option<Vec<u8>> {
        if !tickets.enabled() {
            return None;
        }
        tickets.encrypt(&self.encode())
    }

    /// The state a ticket holds, if `tickets` opens it and it is a TLS 1.3 one.
    pub fn open(tickets: &dyn ProducesTickets, ticket: &[u8]) -> Option<Self> {
        if !tickets.enabled() {
            return None;
        }
        Session13::decode(&Zeroizing::new(tickets.decrypt(ticket)?))
    }
}

impl fmt::Debug for Session13 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session13")
            .field("cipher_suite", &self.cipher_suite)
            .field("psk", &format_args!("<redacted>"))
            .field("server_name", &self.server_name)
            .field("created", &self.created)
            .field("alpn", &self.alpn)
            .field("max_early_data", &self.max_early_data)
            .finish_non_exhaustive()
    }
}
