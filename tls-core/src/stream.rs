//! A blocking `Read + Write` over a connection and a transport, like rustls's `StreamOwned`.

use crate::conn::ConnectionCommon;
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

    /// Runs the handshake to completion.
    pub fn handshake(&mut self) -> io::Result<()> {
        while self.conn.is_handshaking() {
            self.conn.complete_io(&mut self.sock)?;
        }
        Ok(())
    }

    /// Sends close_notify and flushes it.
    pub fn close(&mut self) -> io::Result<()> {
        self.conn.send_close_notify();
        while self.conn.wants_write() {
            self.conn.write_tls(&mut self.sock)?;
        }
        self.sock.flush()
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
            while self.conn.wants_write() {
                self.conn.write_tls(&mut self.sock)?;
            }
            if self.conn.read_tls(&mut self.sock)? == 0 {
                // Let the reader say whether this was a clean close or a truncation.
                self.conn
                    .process_new_packets()
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                return self.conn.reader().read(buf);
            }
            if let Err(e) = self.conn.process_new_packets() {
                while self.conn.wants_write() {
                    if self.conn.write_tls(&mut self.sock).is_err() {
                        break;
                    }
                }
                return Err(io::Error::new(io::ErrorKind::InvalidData, e));
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
        while self.conn.wants_write() {
            self.conn.write_tls(&mut self.sock)?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        while self.conn.wants_write() {
            self.conn.write_tls(&mut self.sock)?;
        }
        self.sock.flush()
    }
}
