//! 0-RTT data (RFC 8446 2.3, 4.2.10) through the connection: a client writes it before the
//! handshake completes, a server reads it apart from the 1-RTT data. As rustls's
//! `WriteEarlyData` and `ReadEarlyData`.

use super::{io_error, ClientConnection, ConnectionCommon, ServerConnection};
use crate::handshake::EarlyState;
use crate::wire::ContentType;
use std::io;

/// Writes 0-RTT data: see [`ClientConnection::early_data`].
pub struct WriteEarlyData<'a> {
    conn: &'a mut ConnectionCommon,
}

impl WriteEarlyData<'_> {
    /// How many more bytes the ticket's max_early_data_size allows.
    pub fn bytes_left(&self) -> usize {
        self.conn.early.left
    }
}

impl io::Write for WriteEarlyData<'_> {
    /// Seals as much of `buf` as the ticket still allows under the early traffic key, queued
    /// for `write_tls`; `Ok(0)` once the allowance is spent.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let conn = &mut *self.conn;
        if let Some(e) = &conn.error {
            return Err(io_error(e.clone()));
        }
        let n = buf.len().min(conn.early.left);
        let data = buf.get(..n).unwrap_or_default();
        conn.writer
            .write(ContentType::ApplicationData, data, &mut conn.tx)
            .map_err(io_error)?;
        conn.early.left -= n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Reads the 0-RTT data a client sent: see [`ServerConnection::early_data`].
pub struct ReadEarlyData<'a> {
    conn: &'a mut ConnectionCommon,
}

impl ReadEarlyData<'_> {
    /// How many bytes of early data are waiting.
    pub fn len(&self) -> usize {
        self.conn.early.received.len()
    }

    /// Whether none is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl io::Read for ReadEarlyData<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let received = &mut self.conn.early.received;
        let n = buf.len().min(received.len());
        buf.iter_mut()
            .zip(received.drain(..n))
            .for_each(|(to, from)| *to = from);
        Ok(n)
    }
}

impl ClientConnection {
    /// Where to write 0-RTT data, while it can be sent: the ClientHello offered it (the config
    /// enables it, and the ticket we resume with allows it) and the server has not refused it
    /// nor has the handshake moved past it. `None` otherwise.
    ///
    /// Early data goes out with the ClientHello, before the server is authenticated, and an
    /// attacker can replay it (RFC 8446 8): write only what is safe to act on twice. Whether the
    /// server took it is [`is_early_data_accepted`](Self::is_early_data_accepted) once the
    /// handshake is complete; data it refused is not sent again by the library.
    pub fn early_data(&mut self) -> Option<WriteEarlyData<'_>> {
        let writable = matches!(self.early.state, EarlyState::Offered | EarlyState::Accepted);
        (writable && self.error.is_none()).then_some(WriteEarlyData { conn: self })
    }

    /// Whether the server accepted our 0-RTT data (RFC 8446 4.2.10: its EncryptedExtensions
    /// said so). `false` before the server answered, and when none was sent.
    pub fn is_early_data_accepted(&self) -> bool {
        self.early.accepted()
    }
}

impl ServerConnection {
    /// The 0-RTT data the client sent and we accepted (see `ServerConfigBuilder::with_early_data`),
    /// while some is waiting to be read. It is never mixed into `reader()`: it may be a replay
    /// (RFC 8446 8), so the application decides what it is safe to do with it.
    ///
    /// Once early data is accepted, what the application writes (`writer()`) goes out at once,
    /// before the handshake completes, under our application traffic key (0.5-RTT data, RFC
    /// 8446 2.3): an answer to an early request reaches the client with our first flight. The
    /// client is not yet authenticated by its Finished then (it was, by its ticket's PSK); an
    /// attacker replaying its ClientHello cannot read the answer, which is under keys from the
    /// client's fresh (EC)DHE share.
    pub fn early_data(&mut self) -> Option<ReadEarlyData<'_>> {
        (!self.early.received.is_empty()).then_some(ReadEarlyData { conn: self })
    }

    /// Whether we accepted the client's 0-RTT data in this handshake.
    pub fn is_early_data_accepted(&self) -> bool {
        self.early.accepted()
    }
}
