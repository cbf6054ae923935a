//! Plaintext through `std::io`: the reader and writer a connection hands out, and how its
//! errors become `io::Error`s.

use super::ConnectionCommon;
use crate::error::Error;
use crate::wire::AlertDescription;
use std::io;

impl ConnectionCommon {
    /// Plaintext received from the peer.
    pub fn reader(&mut self) -> Reader<'_> {
        Reader { conn: self }
    }

    /// Plaintext to send to the peer.
    pub fn writer(&mut self) -> Writer<'_> {
        Writer { conn: self }
    }
}

/// A connection error as an `io::Error`: the peer closing early is `UnexpectedEof` (as
/// `read_exact` reports a short stream); everything else the peer did is `InvalidData`.
pub(crate) fn io_error(e: Error) -> io::Error {
    let kind = match e {
        Error::UnexpectedEof | Error::AlertReceived(AlertDescription::CloseNotify) => {
            io::ErrorKind::UnexpectedEof
        }
        _ => io::ErrorKind::InvalidData,
    };
    io::Error::new(kind, e)
}

/// Reads plaintext received from the peer. `Ok(0)` means the peer closed cleanly
/// (close_notify); a transport close without one is `ErrorKind::UnexpectedEof`; no data yet is
/// `ErrorKind::WouldBlock`.
pub struct Reader<'c> {
    conn: &'c mut ConnectionCommon,
}

impl io::Read for Reader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.conn.read_plaintext(buf)
    }
}

/// Received plaintext without a copy into a caller's buffer: `fill_buf` gives the next run of
/// it (at most one record's), `consume` takes what was used. With none buffered, `fill_buf`
/// answers as `read` does: an empty slice at the clean end, `WouldBlock` while more is to come,
/// or the error. (The async adapter copies from it straight into the caller's `ReadBuf`, so it
/// need not zero-fill that buffer first.)
impl io::BufRead for Reader<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.conn.fill_plaintext()
    }

    fn consume(&mut self, amt: usize) {
        self.conn.rx.consume_unread(amt);
    }
}

/// Writes plaintext for the peer; it is encrypted into records for `write_tls`.
pub struct Writer<'c> {
    conn: &'c mut ConnectionCommon,
}

impl io::Write for Writer<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.conn.write_plaintext(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
