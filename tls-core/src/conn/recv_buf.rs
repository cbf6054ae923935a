//! The receive buffer: TLS bytes not yet processed, and the plaintext opened in place in it.

use super::MAX_RECEIVE_BUFFER;
use crate::codec::Codec;

/// Received TLS bytes. `buf[proc..end]` is not processed yet; `unread` holds the decrypted
/// application data not yet read (ranges of `buf`, decrypted in place, served from there);
/// nothing before `start` is needed any more. `buf` is zero-filled only when it grows, and moved
/// down only when the free tail gets too short for the next read.
#[derive(Default)]
pub(super) struct RecvBuf {
    buf: Vec<u8>,
    start: usize,
    proc: usize,
    end: usize,
    unread: std::collections::VecDeque<std::ops::Range<usize>>,
}

impl RecvBuf {
    pub(super) fn is_empty(&self) -> bool {
        self.start == self.end
    }

    pub(super) fn unprocessed_len(&self) -> usize {
        self.end - self.proc
    }

    pub(super) fn unread_len(&self) -> usize {
        self.unread.iter().map(|r| r.len()).sum()
    }

    /// The unprocessed input.
    pub(super) fn data(&self) -> &[u8] {
        self.buf.get(self.proc..self.end).unwrap_or_default()
    }

    pub(super) fn data_mut(&mut self) -> &mut [u8] {
        self.buf.get_mut(self.proc..self.end).unwrap_or_default()
    }

    /// Where the next read goes: room for the rest of the record being received (its header
    /// says how long it is) and at least 2 KiB, so small flights keep the buffer small (a
    /// handshake flight that needs more takes another read).
    pub(super) fn spare(&mut self) -> &mut [u8] {
        let record = if self.end - self.proc >= 5 {
            crate::wire::RecordHeader::decode(&mut crate::codec::Reader::new(self.data()))
                .map_or(0, |h| 5 + usize::from(h.length))
        } else {
            0
        };
        // A full-size record means a stream: room for two, so reads stay large.
        let need = (self.proc - self.start)
            + if record > 4096 {
                MAX_RECEIVE_BUFFER
            } else {
                (self.unprocessed_len() + 2048).min(MAX_RECEIVE_BUFFER)
            };
        if self.buf.len() - self.start < need && self.start > 0 {
            let shift = self.start;
            self.buf.copy_within(shift..self.end, 0);
            self.start = 0;
            self.proc -= shift;
            self.end -= shift;
            for r in &mut self.unread {
                *r = r.start - shift..r.end - shift;
            }
        }
        if self.buf.len() < self.start + need {
            self.buf.resize(self.start + need, 0);
        }
        self.buf.get_mut(self.end..).unwrap_or_default()
    }

    pub(super) fn filled(&mut self, n: usize) {
        self.end = (self.end + n).min(self.buf.len());
    }

    /// `n` more input bytes were processed.
    pub(super) fn consume(&mut self, n: usize) {
        self.proc = (self.proc + n).min(self.end);
        self.settle();
    }

    /// Application data at `range` of the unprocessed input (as `data()` was when the record was
    /// taken off it, before `consume`) is kept for the reader.
    pub(super) fn keep_unread(&mut self, range: std::ops::Range<usize>) {
        if !range.is_empty() {
            self.unread
                .push_back(self.proc + range.start..self.proc + range.end);
        }
    }

    pub(super) fn read_unread(&mut self, out: &mut [u8]) -> usize {
        let mut n = 0;
        while n < out.len() {
            let Some(r) = self.unread.front_mut() else {
                break;
            };
            let take = r.len().min(out.len() - n);
            let (Some(dst), Some(src)) = (
                out.get_mut(n..n + take),
                self.buf.get(r.start..r.start + take),
            ) else {
                break;
            };
            dst.copy_from_slice(src);
            n += take;
            r.start += take;
            if r.start == r.end {
                self.unread.pop_front();
            }
        }
        self.settle();
        n
    }

    /// The first run of unread plaintext (one record's, or what is left of it); empty when
    /// there is none.
    pub(super) fn first_unread(&self) -> &[u8] {
        self.unread
            .front()
            .and_then(|r| self.buf.get(r.clone()))
            .unwrap_or_default()
    }

    /// `n` bytes at the front of `first_unread()` were used (more than it holds counts as all of
    /// it).
    pub(super) fn consume_unread(&mut self, n: usize) {
        if let Some(r) = self.unread.front_mut() {
            r.start += n.min(r.end - r.start);
            if r.start == r.end {
                self.unread.pop_front();
            }
        }
        self.settle();
    }

    /// Moves `start` up to the first byte still needed; resets to the front when nothing is.
    pub(super) fn settle(&mut self) {
        self.start = self.unread.front().map_or(self.proc, |r| r.start);
        if self.start == self.end {
            self.start = 0;
            self.proc = 0;
            self.end = 0;
        }
    }

    pub(super) fn release_if_empty(&mut self) {
        if self.is_empty() {
            self.buf = Vec::new();
        }
    }
}
