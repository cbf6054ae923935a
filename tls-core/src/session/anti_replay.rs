//! The server's 0-RTT replay defence (RFC 8446 8.2): a record of the ClientHellos whose early
//! data was accepted, for as long as their tickets' ages keep them fresh.

use super::{lock, monotonic_clock, Clock};
use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

/// ClientHellos whose 0-RTT data a server accepted (RFC 8446 8.2, "ClientHello recording"),
/// each kept for `window`, at most `capacity` at once.
///
/// A ClientHello is known by its PSK binder: an HMAC over the whole hello, so a replayed hello
/// has the same one, and a client cannot make two hellos share one. The server accepts early
/// data only from a ticket whose reported age is within a few seconds of the real one (8.3), so
/// a replay that comes later than `window` after the original is refused by that check instead.
///
/// Full (a flood of 0-RTT hellos within one window) means refused: early data is then rejected
/// (the handshake goes on in 1-RTT), never accepted unchecked. One recorder serves one server
/// process; servers that share ticket keys (a fleet) must each refuse what another accepted, so
/// either give each its own keys for 0-RTT or use single-use stateful tickets in a shared store.
pub struct AntiReplay {
    window: Duration,
    capacity: usize,
    clock: Clock,
    seen: Mutex<Seen>,
}

#[derive(Default)]
struct Seen {
    binders: HashSet<Vec<u8>>,
    /// The binders in the order they were recorded, with the time each stops mattering.
    expiry: VecDeque<(Duration, Vec<u8>)>,
}

impl AntiReplay {
    /// A recorder keeping each hello for `window`, at most `capacity` at once.
    pub fn new(window: Duration, capacity: usize) -> Self {
        Self::with_clock(window, capacity, monotonic_clock())
    }

    pub(crate) fn with_clock(window: Duration, capacity: usize, clock: Clock) -> Self {
        AntiReplay {
            window,
            capacity,
            clock,
            seen: Mutex::new(Seen::default()),
        }
    }

    /// Records the hello with this `binder`: `true` if it is new (its early data may be
    /// accepted), `false` if it was seen within the window or there is no room left.
    pub fn check_and_record(&self, binder: &[u8]) -> bool {
        let now = (self.clock)();
        let mut seen = lock(&self.seen);
        while let Some((until, _)) = seen.expiry.front() {
            if *until > now {
                break;
            }
            if let Some((_, old)) = seen.expiry.pop_front() {
                seen.binders.remove(&old);
            }
        }
        if seen.binders.contains(binder) || seen.binders.len() >= self.capacity {
            return false;
        }
        seen.binders.insert(binder.to_vec());
        seen.expiry.push_back((now + self.window, binder.to_vec()));
        true
    }

    /// How many hellos are recorded now (expired ones may still count until the next check).
    pub fn len(&self) -> usize {
        lock(&self.seen).binders.len()
    }

    /// Whether no hello is recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for AntiReplay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AntiReplay")
            .field("window", &self.window)
            .field("capacity", &self.capacity)
            .field("recorded", &self.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    fn clocked(window: u64, capacity: usize) -> (AntiReplay, Arc<AtomicU64>) {
        let secs = Arc::new(AtomicU64::new(0));
        let read = secs.clone();
        let clock: Clock = Box::new(move || Duration::from_secs(read.load(Ordering::Relaxed)));
        (
            AntiReplay::with_clock(Duration::from_secs(window), capacity, clock),
            secs,
        )
    }

    #[test]
    fn a_hello_is_accepted_once_within_the_window() {
        let (r, time) = clocked(20, 10);
        assert!(r.check_and_record(b"binder-a"));
        assert!(!r.check_and_record(b"binder-a"));
        assert!(r.check_and_record(b"binder-b"));
        time.store(19, Ordering::Relaxed);
        assert!(!r.check_and_record(b"binder-a"));
        // Past the window the record is dropped (the ticket-age check refuses such a replay).
        time.store(20, Ordering::Relaxed);
        assert!(r.check_and_record(b"binder-a"));
        assert_eq!(r.len(), 1);
    }

    #[test]
    fn a_full_recorder_refuses_rather_than_forgets() {
        let (r, time) = clocked(10, 2);
        assert!(r.check_and_record(b"1"));
        assert!(r.check_and_record(b"2"));
        assert!(!r.check_and_record(b"3"));
        assert!(!r.check_and_record(b"1"));
        time.store(10, Ordering::Relaxed);
        assert!(r.check_and_record(b"3"));
        assert_eq!(r.len(), 1);
    }
}
