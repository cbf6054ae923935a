//! A blocking `Read + Write` over a connection and a transport, like rustls's `StreamOwned`.

use crate::conn::{io_error, ConnectionCommon};
use std::io::{self, Read, Write};
use std::ops::DerefMut;

/// TLS over any blocking `Read + Write` (usually a `TcpStream`). Reads complete the handshake
/// first; writes are flushed to the transport before `write` returns.
pub struct Stream<C, T> {
    /// The TLS connection (`ClientConnection` or `ServerConnection`).
    pub conn: C,
    /// The transport.
    pub sock: T,
}

impl<C, T> Stream<C, T>
where
    C: DerefMut<Target = ConnectionCommon>,
    T: Read + Write,
{
    /// Joins a connection and a transport.
    pub fn new(conn: C, sock: T) -> Self {
        Stream { conn, sock }
    }

    /// Runs the handshake to completion. A peer that closes or fails mid-handshake is an error.
    pub fn handshake(&mut self) -> io::Result<()> {
        // Not a spin: while handshaking, complete_io returns only once the handshake is done,
        // or with an error.
        while self.conn.is_handshaking() {
            self.conn.complete_io(&mut self.sock)?;
        }
        Ok(())
    }

    /// Sends close_notify and flushes it.
    pub fn close(&mut self) -> io::Result<()> {
        self.conn.send_close_notify();
        self.conn.flush_tls(&mut self.sock).map(drop)
    }
}

impl<C, T> Read for Stream<C, T>
where
    C: DerefMut<Target = ConnectionCommon>,
    T: Read + Write,
{
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.handshake()?;
        loop {
            match self.conn.reader().read(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                other => return other,
            }
            // Flush anything pending (e.g. our answer to a close_notify) before blocking.
            self.conn.flush_tls(&mut self.sock)?;
            let eof = self.conn.read_tls(&mut self.sock)? == 0;
            if let Err(e) = self.conn.process_new_packets() {
                let _ = self.conn.flush_tls(&mut self.sock);
                return Err(io_error(e));
            }
            if eof {
                // The reader says whether this was a clean close or a truncation; it has no
                // "nothing yet" left to give once the transport ended.
                return match self.conn.reader().read(buf) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        Err(io_error(crate::Error::UnexpectedEof))
                    }
                    other => other,
                };
            }
        }
    }
}

impl<C, T> Write for Stream<C, T>
where
    C: DerefMut<Target = ConnectionCommon>,
    T: Read + Write,
{
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.handshake()?;
        let n = self.conn.writer().write(buf)?;
        self.conn.flush_tls(&mut self.sock)?;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.conn.flush_tls(&mut self.sock).map(drop)
    }
}
