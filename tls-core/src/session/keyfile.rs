//! Ticket keys shared by a fleet of servers through a key file, as nginx's
//! `ssl_session_ticket_key` and HAProxy's `tls-ticket-keys` files are: every server that loads
//! the same file opens the tickets the others sealed, so a client resumes wherever a load
//! balancer sends it.

use super::ticketer::{check_lifetime, open, seal, TicketKey};
use super::{lock, monotonic_clock, Clock, ProducesTickets, Ticketer};
use crate::Error;
use ring::rand::{SecureRandom, SystemRandom};
use std::fmt;
use std::fs::{File, Metadata};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use zeroize::Zeroizing;

/// At most this many keys in a file: one sealing, the rest opening tickets still alive.
pub const MAX_TICKET_KEYS: usize = 16;

/// A key line decodes to this many bytes: the 16-byte key name, then the 32-byte
/// ChaCha20-Poly1305 key.
const KEY_BYTES: usize = 16 + 32;

/// A key line is exactly this many base64 characters (48 bytes are 64 characters, without
/// padding: 48 is a multiple of 3).
const KEY_CHARS: usize = KEY_BYTES / 3 * 4;

/// A key file is at most this long (comments included); longer is refused unread.
const MAX_FILE_LEN: usize = 64 * 1024;

/// The file is looked at (a `stat`) at most this often, from `encrypt`/`decrypt`.
const CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// A [`ProducesTickets`] whose keys come from a file that a fleet of servers shares, so that
/// each server opens the others' tickets (TLS 1.2 RFC 5077 tickets and TLS 1.3 tickets alike).
/// Tickets are the same [`SealedTicket`](crate::wire::SealedTicket)s as [`Ticketer`]'s
/// (ChaCha20-Poly1305, the key name as the additional data); only where the keys come from
/// differs.
///
/// # The key file
///
/// A text file, one key per line:
///
/// ```text
/// # spectls ticket keys: the first key seals, every key opens.
/// # Newest first; remove a key once it has not sealed for a ticket lifetime.
/// # (These two are examples, public now: make your own with `openssl rand -base64 48`.)
/// rJkSBFYF7VFurY3Zmf642DrNfs4Dkel7NmsufSJkYJD1QWwbweoU6DV5cEKjy32q
/// u0iXhsA2iiCmnCXo/W4EK3uSpZsM1bxGEM3jLpFy4dBfTM06xxXnP3RRybOfHzFI
/// ```
///
/// - A key is 64 characters of base64 (RFC 4648 section 4: `A`-`Z`, `a`-`z`, `0`-`9`, `+`,
///   `/`; no padding, as 48 bytes need none) encoding 48 bytes: a 16-byte key name, sent in
///   the clear in every ticket to say which key sealed it, then the 32-byte ChaCha20-Poly1305
///   key. `openssl rand -base64 48` prints one, as does [`KeyFileTicketer::generate_line`]
///   (and `cargo run --example server -- --new-ticket-key`).
/// - Blank lines, and lines whose first non-blank character is `#`, are ignored. Leading and
///   trailing blanks (and a `\r` before the `\n`) are ignored; anything else on a key line, a
///   comment after the key included, makes the file malformed.
/// - The **first** key seals every new ticket; **every** key in the file opens tickets.
/// - 1 to [`MAX_TICKET_KEYS`] (16) keys; two keys with the same name, or a key of 32 zero
///   bytes, make the file malformed.
///
/// A malformed file is an [`Error::Config`] naming the file and the line (never a panic, and
/// never the key material): from [`KeyFileTicketer::new`] the server does not start; on a
/// reload the keys already loaded stay in force and the error is logged with `log::warn!`.
///
/// # Rotation
///
/// The ticketer looks at the file's modification time, size and (on Unix) inode at most once
/// a second, when it seals or opens a ticket, and reads it again when they changed;
/// [`KeyFileTicketer::reload`] reads it at once (on SIGHUP, say). Replace the file atomically
/// (write a new file, then rename it over the old one), so that no server reads it half
/// written. To rotate a fleet without a single failed resumption:
///
/// 1. Generate a new key and add it as the *second* line on every server: all of them now
///    open tickets sealed under it, none seals with it yet.
/// 2. Once every server has it, move it to the first line: servers seal with it.
/// 3. Once the old first key has not sealed for a ticket lifetime (the `lifetime` given to
///    [`KeyFileTicketer::new`]), no live ticket needs it: remove it.
///
/// Prepending the new key in one step works too: until every server has read the new file,
/// a ticket sealed under the new key and presented to a server that does not know it yet is
/// a full handshake, never an error. A removed key opens nothing any more: its tickets get
/// full handshakes.
///
/// # Nonces
///
/// See [`KeyFileTicketer::encrypt`](ProducesTickets::encrypt) in the source: each process
/// makes its own random nonce mask per key, so processes sharing a key do not repeat nonces.
pub struct KeyFileTicketer {
    path: PathBuf,
    lifetime: Duration,
    rng: SystemRandom,
    clock: Clock,
    state: Mutex<State>,
}

struct State {
    /// The keys in force, the sealing one first; never empty.
    keys: Arc<Vec<TicketKey>>,
    /// The file as last examined (loaded or refused); `None` if it could not be examined.
    seen: Option<Stamp>,
    /// When the file was last examined, on the ticketer's clock.
    checked: Duration,
}

/// What tells that a file changed without reading it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    /// Device and inode: a file renamed over the old one is another file even with the same
    /// time and size.
    #[cfg(unix)]
    id: (u64, u64),
}

impl Stamp {
    fn of(meta: &Metadata) -> Stamp {
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt;
        Stamp {
            modified: meta.modified().ok(),
            len: meta.len(),
            #[cfg(unix)]
            id: (meta.dev(), meta.ino()),
        }
    }
}

impl KeyFileTicketer {
    /// A ticketer with the keys in the file at `path` (format in the [type's
    /// documentation](KeyFileTicketer)); `lifetime` is the tickets' lifetime (the TLS 1.2
    /// ticket_lifetime_hint and the TLS 1.3 ticket_lifetime, at least one second, at most
    /// 2^32-1 seconds). An [`Error::Config`] if the file cannot be read or is malformed.
    pub fn new(path: impl AsRef<Path>, lifetime: Duration) -> Result<Arc<Self>, Error> {
        Self::with_clock(path.as_ref(), lifetime, monotonic_clock())
    }

    /// As [`KeyFileTicketer::new`], reading time from `clock`.
    pub(super) fn with_clock(
        path: &Path,
        lifetime: Duration,
        clock: Clock,
    ) -> Result<Arc<Self>, Error> {
        check_lifetime(lifetime)?;
        let rng = SystemRandom::new();
        let stamp = stamp(path);
        let keys = read_key_file(path, &rng)?;
        log::debug!(
            "ticket key file {}: loaded {} keys",
            path.display(),
            keys.len()
        );
        let checked = clock();
        Ok(Arc::new(KeyFileTicketer {
            path: path.to_path_buf(),
            lifetime,
            rng,
            clock,
            state: Mutex::new(State {
                keys: Arc::new(keys),
                seen: stamp,
                checked,
            }),
        }))
    }

    /// Reads the key file now, whether or not it changed. On success its keys replace the
    /// ones in force; on failure the keys in force stay, the error is logged (`log::warn!`)
    /// and returned.
    pub fn reload(&self) -> Result<(), Error> {
        let mut state = lock(&self.state);
        state.checked = (self.clock)();
        self.load(&mut state)
    }

    /// A new key line for a key file (64 base64 characters, no newline) from ring's
    /// `SystemRandom`: a random key name and a random key. Wiped when dropped.
    pub fn generate_line() -> Result<Zeroizing<String>, Error> {
        let mut material = Zeroizing::new([0u8; KEY_BYTES]);
        SystemRandom::new()
            .fill(material.as_mut_slice())
            .map_err(|_| Error::Internal("ticket key generation failed".into()))?;
        let mut line = Zeroizing::new(String::with_capacity(KEY_CHARS));
        encode_base64(material.as_slice(), &mut line);
        Ok(line)
    }

    /// The keys in force, after looking at the file if that is due.
    fn keys(&self) -> Arc<Vec<TicketKey>> {
        let now = (self.clock)();
        let mut state = lock(&self.state);
        if now.saturating_sub(state.checked) >= CHECK_INTERVAL {
            state.checked = now;
            self.check(&mut state);
        }
        state.keys.clone()
    }

    /// Reloads the file if it is not the one last examined. Each change is logged once.
    fn check(&self, state: &mut State) {
        match std::fs::metadata(&self.path) {
            Ok(meta) if state.seen == Some(Stamp::of(&meta)) => {}
            Ok(_) => {
                // A failure was logged by `load`; the same file is not retried until it
                // changes.
                let _logged = self.load(state);
            }
            Err(e) => {
                if state.seen.take().is_some() {
                    log::warn!(
                        "ticket key file {}: {e}; keeping the {} keys loaded before",
                        self.path.display(),
                        state.keys.len()
                    );
                }
            }
        }
    }

    /// Reads the file: its keys replace those in force, or on failure the keys stay.
    fn load(&self, state: &mut State) -> Result<(), Error> {
        // Taken before reading: a change while the file is read shows at the next check.
        state.seen = stamp(&self.path);
        match read_key_file(&self.path, &self.rng) {
            Ok(keys) => {
                log::info!(
                    "ticket key file {}: loaded {} keys",
                    self.path.display(),
                    keys.len()
                );
                state.keys = Arc::new(keys);
                Ok(())
            }
            Err(e) => {
                log::warn!("{e}; keeping the {} keys loaded before", state.keys.len());
                Err(e)
            }
        }
    }
}

impl Ticketer {
    /// Shorthand for [`KeyFileTicketer::new`]: tickets under the keys of a key file shared by
    /// a fleet of servers, instead of keys of this process's own.
    pub fn from_key_file(
        path: impl AsRef<Path>,
        lifetime: Duration,
    ) -> Result<Arc<KeyFileTicketer>, Error> {
        KeyFileTicketer::new(path, lifetime)
    }
}

impl ProducesTickets for KeyFileTicketer {
    fn enabled(&self) -> bool {
        true
    }

    fn lifetime(&self) -> u32 {
        u32::try_from(self.lifetime.as_secs()).unwrap_or(u32::MAX)
    }

    // Nonces. ChaCha20-Poly1305 must never see one (key, nonce) pair twice, and here many
    // processes, on many machines, seal under the same key without talking to each other. A
    // nonce is that of `Ticketer`: the key's nonce mask XOR a count of the tickets sealed
    // under it (in the low 64 bits). The count makes nonces unique within one process. The
    // mask is NOT in the file: each process makes its own from SystemRandom when it loads the
    // key (`TicketKey::from_secret`), so each process walks its own random 96-bit sequence.
    // Two processes, having sealed c1 and c2 tickets, repeat a nonce only if their masks agree
    // in the top 32 bits (2^-32) and their counts overlap in the low 64 (about
    // (c1 + c2) / 2^64). A fleet of 1000 processes (2^19 pairs), each sealing 2^32 tickets
    // under one key: 2^19 * 2^-32 * 2^33 / 2^64 = 2^-44. A fresh random nonce per ticket would
    // be worse for the same 2^42 tickets (birthday bound, 2^84 / 2^97 = 2^-13) and cost a
    // system call per ticket. A reload makes new masks and counts from zero again: that is
    // one more "process" in the sum, not a repeat.
    fn encrypt(&self, plain: &[u8]) -> Option<Vec<u8>> {
        seal(self.keys().first()?, plain)
    }

    fn decrypt(&self, ticket: &[u8]) -> Option<Vec<u8>> {
        open(self.keys().iter(), ticket)
    }
}

impl fmt::Debug for KeyFileTicketer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyFileTicketer")
            .field("path", &self.path)
            .field("aead", &"ChaCha20-Poly1305")
            .field("lifetime", &self.lifetime)
            .field("keys", &lock(&self.state).keys.len())
            .finish()
    }
}

/// The stamp of the file at `path`, if it can be examined.
fn stamp(path: &Path) -> Option<Stamp> {
    std::fs::metadata(path).ok().map(|m| Stamp::of(&m))
}

/// The keys of the file at `path`.
fn read_key_file(path: &Path, rng: &SystemRandom) -> Result<Vec<TicketKey>, Error> {
    let fail = |what: String| Error::Config(format!("ticket key file {}: {what}", path.display()));
    let file = File::open(path).map_err(|e| fail(e.to_string()))?;
    // Room for the largest file allowed and one byte more, allocated once: a growing Vec
    // would leave copies of key material behind, unwiped.
    let mut text = Zeroizing::new(Vec::with_capacity(MAX_FILE_LEN + 1));
    file.take(u64::try_from(MAX_FILE_LEN + 1).unwrap_or(u64::MAX))
        .read_to_end(&mut text)
        .map_err(|e| fail(e.to_string()))?;
    if text.len() > MAX_FILE_LEN {
        return Err(fail(format!("longer than {MAX_FILE_LEN} bytes")));
    }
    parse_keys(&text, rng).map_err(fail)
}

/// The keys of a key file's contents, in file order; the error says which line and why,
/// without the line's contents.
pub(super) fn parse_keys(text: &[u8], rng: &SystemRandom) -> Result<Vec<TicketKey>, String> {
    let mut keys: Vec<TicketKey> = Vec::new();
    let mut lines_of_keys = Vec::new();
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        let number = i + 1;
        let line = line.trim_ascii();
        if line.is_empty() || line.starts_with(b"#") {
            continue;
        }
        let at = |what: &str| format!("line {number}: {what}");
        if line.len() != KEY_CHARS {
            return Err(at(&format!(
                "a key is {KEY_CHARS} base64 characters ({KEY_BYTES} bytes: 16 of key name, 32 \
                 of key), this line has {} characters",
                line.len()
            )));
        }
        let mut material = Zeroizing::new([0u8; KEY_BYTES]);
        decode_base64(line, material.as_mut_slice())
            .ok_or_else(|| at("not base64 (RFC 4648: A-Z a-z 0-9 + /, no padding for 48 bytes)"))?;
        let (name, key) = material
            .split_first_chunk::<16>()
            .ok_or_else(|| at("too short"))?;
        let key: &[u8; 32] = key.try_into().map_err(|_| at("too short"))?;
        if key.iter().all(|&b| b == 0) {
            return Err(at("the key is all zero bytes"));
        }
        if let Some(other) = keys.iter().position(|k| k.name == *name) {
            let first = lines_of_keys.get(other).copied().unwrap_or_default();
            return Err(at(&format!("the same key name as line {first}")));
        }
        if keys.len() == MAX_TICKET_KEYS {
            return Err(at(&format!("more than {MAX_TICKET_KEYS} keys")));
        }
        let key = TicketKey::from_secret(*name, key, rng)
            .ok_or_else(|| "the system's random generator failed".to_string())?;
        keys.push(key);
        lines_of_keys.push(number);
    }
    if keys.is_empty() {
        return Err("no keys (a key file needs at least one key line)".into());
    }
    Ok(keys)
}

/// The RFC 4648 section 4 alphabet.
const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The 6 bits a base64 character stands for.
fn sextet(c: u8) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

/// Decodes unpadded base64 of exactly `out.len()` bytes, a multiple of 3, into `out`. `None`
/// (with `out` partly written) if `text` is not 4 characters per 3 bytes of the alphabet.
pub(super) fn decode_base64(text: &[u8], out: &mut [u8]) -> Option<()> {
    if !out.len().is_multiple_of(3) || text.len() != out.len() / 3 * 4 {
        return None;
    }
    for (quad, triple) in text.chunks_exact(4).zip(out.chunks_exact_mut(3)) {
        let mut bits = 0u32;
        for &c in quad {
            bits = (bits << 6) | sextet(c)?;
        }
        triple.copy_from_slice(bits.to_be_bytes().get(1..)?);
    }
    Some(())
}

/// Appends the base64 of `bytes`, whose length is a multiple of 3 (any remainder is dropped),
/// to `out`.
pub(super) fn encode_base64(bytes: &[u8], out: &mut String) {
    for triple in bytes.chunks_exact(3) {
        let bits = triple
            .iter()
            .fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
        for shift in [18u32, 12, 6, 0] {
            let index = usize::try_from((bits >> shift) & 0x3f).unwrap_or_default();
            out.push(char::from(BASE64.get(index).copied().unwrap_or(b'A')));
        }
    }
}

#[cfg(test)]
mod tests;
