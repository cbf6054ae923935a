//! Sealing sessions into tickets and opening them again (RFC 5077 section 4), with rotating
//! keys.

use super::{lock, monotonic_clock, Clock};
use crate::codec::{Codec, Encode};
use crate::wire::SealedTicket;
use crate::Error;
use ring::aead;
use ring::rand::{SecureRandom, SystemRandom};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use zeroize::{Zeroize, Zeroizing};

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
pub(super) struct TicketKey {
    pub(super) name: [u8; 16],
    pub(super) key: aead::LessSafeKey,
    /// Random per key; XORed with the count of tickets sealed so far it is each ticket's nonce
    /// (as TLS 1.3 builds record nonces, RFC 8446 5.3): unique under this key without a system
    /// call per ticket, and not a bare counter on the wire.
    pub(super) nonce_mask: [u8; 12],
    pub(super) sealed: AtomicU64,
}

impl TicketKey {
    pub(super) fn generate(rng: &SystemRandom) -> Option<TicketKey> {
        let mut material = Zeroizing::new([0u8; 16 + 32]);
        rng.fill(material.as_mut_slice()).ok()?;
        let (name, key) = material.split_first_chunk::<16>()?;
        Self::from_secret(*name, key.try_into().ok()?, rng)
    }

    /// The key named `name` with the ChaCha20-Poly1305 key `key` (the caller wipes `key`),
    /// and a fresh random nonce mask from `rng`: the mask is never derived from `key`, so
    /// every `TicketKey` made from the same secret (in other processes sharing a key file, or
    /// after a reload) counts from a mask of its own (see [`TicketKey::nonce_mask`]).
    pub(super) fn from_secret(
        name: [u8; 16],
        key: &[u8; 32],
        rng: &SystemRandom,
    ) -> Option<TicketKey> {
        let mut nonce_mask = [0u8; 12];
        rng.fill(&mut nonce_mask).ok()?;
        let unbound = aead::UnboundKey::new(TICKET_AEAD, key).ok()?;
        Some(TicketKey {
            name,
            key: aead::LessSafeKey::new(unbound),
            nonce_mask,
            sealed: AtomicU64::new(0),
        })
    }

    /// The next nonce; `None` once 2^64 tickets were sealed under this key (never, in practice).
    pub(super) fn next_nonce(&self) -> Option<[u8; 12]> {
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
        check_lifetime(lifetime)?;
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
    pub(super) fn keys(&self) -> Option<(Arc<TicketKey>, Option<Arc<TicketKey>>)> {
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
        let (current, _) = self.keys()?;
        seal(&current, plain)
    }

    fn decrypt(&self, ticket: &[u8]) -> Option<Vec<u8>> {
        let (current, previous) = self.keys()?;
        open(
            std::iter::once(current.as_ref()).chain(previous.as_deref()),
            ticket,
        )
    }
}

/// A ticket lifetime must be at least one second and fit ticket_lifetime_hint (2^32-1 seconds).
pub(super) fn check_lifetime(lifetime: Duration) -> Result<(), Error> {
    if lifetime.as_secs() == 0 || lifetime.as_secs() > u64::from(u32::MAX) {
        return Err(Error::Config(format!(
            "ticket lifetime {lifetime:?} is outside 1 second ..= 2^32-1 seconds"
        )));
    }
    Ok(())
}

/// Seals `plain` under `key` as a [`SealedTicket`]: ChaCha20-Poly1305 with the key's next
/// nonce and its key_name as the additional data. `None` if the ticket would not fit
/// NewSessionTicket.ticket or the key's nonces are used up. The one ticket layout of every
/// ticketer here ([`Ticketer`] and [`KeyFileTicketer`](super::KeyFileTicketer)).
pub(super) fn seal(key: &TicketKey, plain: &[u8]) -> Option<Vec<u8>> {
    if plain.len() > MAX_TICKET_LEN - TICKET_OVERHEAD {
        return None;
    }
    let nonce = key.next_nonce()?;
    let mut sealed = Vec::with_capacity(plain.len() + TAG_LEN);
    sealed.extend_from_slice(plain);
    let tag = key
        .key
        .seal_in_place_separate_tag(
            aead::Nonce::assume_unique_for_key(nonce),
            aead::Aad::from(&key.name),
            &mut sealed,
        )
        .ok()?;
    sealed.extend_from_slice(tag.as_ref());
    Some(
        SealedTicket {
            key_name: key.name,
            nonce,
            encrypted_state: &sealed,
        }
        .to_vec(),
    )
}

/// Opens a ticket made by [`seal`] under whichever of `keys` has its key_name. `None` for
/// anything else.
pub(super) fn open<'k>(
    mut keys: impl Iterator<Item = &'k TicketKey>,
    ticket: &[u8],
) -> Option<Vec<u8>> {
    let sealed = SealedTicket::from_bytes(ticket).ok()?;
    // key_name is not secret (it is sent in the clear), so a plain comparison is fine.
    let key = keys.find(|k| k.name == sealed.key_name)?;
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

impl fmt::Debug for Ticketer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ticketer")
            .field("aead", &"ChaCha20-Poly1305")
            .field("lifetime", &self.lifetime)
            .finish()
    }
}
