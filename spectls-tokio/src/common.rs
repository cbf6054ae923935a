//! What both sides share: a connection and its transport, driven through `poll_*` calls.
//!
//! The rules every function here keeps:
//!
//! - `Poll::Pending` is returned only right after the transport returned it, so a waker is always
//!   registered: a task is woken by the transport, never left asleep, never polled in a loop.
//! - Every pass of a loop either moves bytes (to or from the transport) or returns.
//! - Reads never write to the transport and writes never read from it (outside the handshake,
//!   which one future drives alone). With `tokio::io::split`, the two halves run in different
//!   tasks over one transport, and a transport keeps a single waker per direction: a read that
//!   polled the write side would take the writing task's waker and could leave it asleep for
//!   good. What a read makes the connection queue (an alert, an answer to a KeyUpdate) goes out
//!   on the next write, flush or shutdown.
//! - Plaintext moves into the caller's buffer only in the poll that returns `Ready`, so a read
//!   future dropped before it completes loses nothing: the data stays in the connection.
//! - 0-RTT (see `Early`): a stream given before its handshake completed finishes it on the
//!   first operation that needs it. On the client, that operation reads and writes the
//!   transport (a read, a write past the early data allowance, flush, shutdown); a task that
//!   waits for a handshake another task drives is woken when it completes (`Early::wakers`),
//!   since the transport keeps only the driving task's waker.

use spectls::wire::AlertDescription;
use spectls::{ClientConnection, ConnectionCommon, ServerConnection};
use std::io::{self, BufRead, IoSlice, Read, Write};
use std::ops::DerefMut;
use std::pin::Pin;
use std::task::{ready, Context, Poll, Waker};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Plaintext one `poll_write` takes at most: four full records. The connection seals what it
/// takes at once, so this bounds the TLS queued per connection (a write first sends what an
/// earlier one queued); it is also rustls's default buffer limit.
pub(crate) const MAX_WRITE_CHUNK: usize = 64 * 1024;

/// A vectored write whose first slice is at least this long (a full record) writes that slice
/// alone; shorter ones are gathered (copied) so that they go out in as few records as fit.
const GATHER_BELOW: usize = 16 * 1024;

/// A spectls error as an `io::Error`, as spectls's blocking `Stream` reports it: the peer
/// closing early is `UnexpectedEof`, everything else `InvalidData`, with the spectls error as
/// the source (`io::Error::get_ref()` and `downcast` give it back).
pub(crate) fn io_error(e: spectls::Error) -> io::Error {
    let kind = match e {
        spectls::Error::UnexpectedEof
        | spectls::Error::AlertReceived(AlertDescription::CloseNotify) => {
            io::ErrorKind::UnexpectedEof
        }
        _ => io::ErrorKind::InvalidData,
    };
    io::Error::new(kind, e)
}

/// The transport seen through `std::io` for one poll: `Pending` becomes `WouldBlock` (with the
/// waker registered by the transport), so the sans-IO `read_tls` and `write_tls` can use it.
struct SyncIo<'a, 'b, IO> {
    io: &'a mut IO,
    cx: &'a mut Context<'b>,
}

impl<IO: AsyncRead + Unpin> Read for SyncIo<'_, '_, IO> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut buf = ReadBuf::new(buf);
        match Pin::new(&mut *self.io).poll_read(self.cx, &mut buf) {
            Poll::Ready(Ok(())) => Ok(buf.filled().len()),
            Poll::Ready(Err(e)) => Err(e),
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

impl<IO: AsyncWrite + Unpin> Write for SyncIo<'_, '_, IO> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match Pin::new(&mut *self.io).poll_write(self.cx, buf) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match Pin::new(&mut *self.io).poll_flush(self.cx) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

/// `WouldBlock` from the adapter back to `Pending`.
fn poll_of<T>(result: io::Result<T>) -> Poll<io::Result<T>> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Poll::Pending,
        other => Poll::Ready(other),
    }
}

/// What differs between the sides for 0-RTT.
pub(crate) trait Side: DerefMut<Target = ConnectionCommon> + Unpin {
    /// Client: writes what the early data allowance takes of `buf` (`Ok(0)` once it is spent);
    /// `None` when early data can no longer be written. Server: always `None`.
    fn write_early(&mut self, buf: &[u8]) -> Option<io::Result<usize>>;
    /// Server: copies received early data into `buf`; `None` when none is waiting (or
    /// `buf` is full). Client: always `None`.
    fn read_early(&mut self, buf: &mut ReadBuf<'_>) -> Option<usize>;
    /// Client: whether early data can be written now. Server: always `false`.
    fn early_writable(&mut self) -> bool;
    /// Whether the server accepted early data in this handshake (either side's view).
    fn early_accepted(&self) -> bool;
}

impl Side for ClientConnection {
    fn write_early(&mut self, buf: &[u8]) -> Option<io::Result<usize>> {
        self.early_data().map(|mut early| early.write(buf))
    }

    fn read_early(&mut self, _: &mut ReadBuf<'_>) -> Option<usize> {
        None
    }

    fn early_writable(&mut self) -> bool {
        self.early_data().is_some()
    }

    fn early_accepted(&self) -> bool {
        self.is_early_data_accepted()
    }
}

impl Side for ServerConnection {
    fn write_early(&mut self, _: &[u8]) -> Option<io::Result<usize>> {
        None
    }

    fn early_writable(&mut self) -> bool {
        false
    }

    fn read_early(&mut self, buf: &mut ReadBuf<'_>) -> Option<usize> {
        let mut early = self.early_data()?;
        let dst = buf.initialize_unfilled();
        // Reading from a Vec cannot fail; a failure would be reported as nothing read.
        let n = early.read(dst).unwrap_or(0);
        buf.advance(n);
        (n > 0).then_some(n)
    }

    fn early_accepted(&self) -> bool {
        self.is_early_data_accepted()
    }
}

/// A stream's 0-RTT state: a stream given to the application before its handshake completed.
#[derive(Default)]
pub(crate) struct Early {
    /// The handshake is still to be completed by the stream's operations.
    pub(crate) pending: bool,
    /// Server: reads give the client's early data first (it precedes all 1-RTT data).
    pub(crate) reading: bool,
    /// Client: the bytes written as early data, written again as 1-RTT data if the server
    /// refuses them (the core does not resend). At most the ticket's max_early_data_size.
    pub(crate) sent: Vec<u8>,
    /// Server: how many bytes reads delivered as early data.
    pub(crate) read: u64,
    /// Tasks that returned `Pending` while driving the handshake: woken when it completes or
    /// fails, for the one whose transport waker another task took.
    wakers: Vec<Waker>,
}

impl Early {
    fn wait(&mut self, waker: &Waker) {
        if !self.wakers.iter().any(|w| w.will_wake(waker)) {
            self.wakers.push(waker.clone());
        }
    }

    fn wake_all(&mut self) {
        self.wakers.drain(..).for_each(Waker::wake);
    }
}

/// A connection (`C`: a `ClientConnection` or a `ServerConnection`) over a transport.
pub(crate) struct Inner<IO, C> {
    pub(crate) io: IO,
    pub(crate) conn: C,
    pub(crate) early: Early,
}

impl<IO, C> Inner<IO, C>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    C: Side,
{
    pub(crate) fn new(io: IO, conn: C) -> Self {
        Inner {
            io,
            conn,
            early: Early::default(),
        }
    }
    /// One `read_tls` from the transport: the bytes taken (0 at its end), or `Pending`.
    fn read_io(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let mut io = SyncIo {
            io: &mut self.io,
            cx,
        };
        loop {
            match poll_of(self.conn.read_tls(&mut io)) {
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }

    /// Writes queued TLS until none is left: `Ready(Ok(()))` then, `Pending` when the transport
    /// takes no more for now.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut io = SyncIo {
            io: &mut self.io,
            cx,
        };
        while self.conn.wants_write() {
            match poll_of(self.conn.write_tls(&mut io)) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Drives the handshake: `Ready(Ok(()))` once it is complete and our last flight is written
    /// and flushed. A peer that closes mid-handshake is `UnexpectedEof`; an alert received or
    /// sent is `InvalidData` carrying the spectls error.
    ///
    /// With `until_early` (a server that hands out its stream early), it is also ready once
    /// the client's early data is accepted and our first flight is out: the rest of the
    /// handshake is then the stream's reads.
    pub(crate) fn poll_handshake(
        &mut self,
        cx: &mut Context<'_>,
        until_early: bool,
    ) -> Poll<io::Result<()>> {
        loop {
            let write_pending = match self.poll_drain(cx) {
                Poll::Ready(Ok(())) => match Pin::new(&mut self.io).poll_flush(cx) {
                    Poll::Ready(result) => {
                        result?;
                        false
                    }
                    Poll::Pending => true,
                },
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => true,
            };
            if !self.conn.is_handshaking() || (until_early && self.conn.early_accepted()) {
                // Done, once the last flight is out.
                return if write_pending {
                    Poll::Pending
                } else {
                    Poll::Ready(Ok(()))
                };
            }
            if !self.conn.wants_read() {
                if write_pending {
                    // The transport's write side will wake us.
                    return Poll::Pending;
                }
                // A handshaking connection without an error wants to read or to write (the core's
                // invariant); should that ever break, fail rather than wait forever or spin.
                return Poll::Ready(Err(io_error(
                    self.conn
                        .process_new_packets()
                        .err()
                        .unwrap_or(spectls::Error::Internal(
                            "handshake neither reads, writes nor failed".into(),
                        )),
                )));
            }
            match self.read_io(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                // Also at the transport's end: processing turns a handshake cut short into
                // `UnexpectedEof`.
                Poll::Ready(Ok(_)) => {
                    if let Err(e) = self.conn.process_new_packets() {
                        // Tell the peer why, if the transport takes it now (best effort: nothing
                        // waits for it; one task drives the handshake, so no waker is taken
                        // from anyone).
                        let _ = self.poll_drain(cx);
                        return Poll::Ready(Err(io_error(e)));
                    }
                }
            }
        }
    }

    /// Completes a handshake the stream was given before (0-RTT): `Ready(Ok(()))` at once when
    /// there is none. Then, on a client whose early data the server refused, queues that data
    /// again as 1-RTT data, ahead of anything written after it.
    fn poll_finish_early(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.early.pending {
            return Poll::Ready(Ok(()));
        }
        loop {
            match self.poll_handshake(cx, false) {
                Poll::Pending => {
                    self.early.wait(cx.waker());
                    return Poll::Pending;
                }
                Poll::Ready(Err(e)) => {
                    self.early.wake_all();
                    return Poll::Ready(Err(e));
                }
                Poll::Ready(Ok(())) => {}
            }
            let sent = std::mem::take(&mut self.early.sent);
            if sent.is_empty() || self.conn.early_accepted() {
                break;
            }
            // Refused: written again, sealed under the application key now that the handshake
            // is complete, and sent before we go on (the next pass drains it): a read that
            // waits for the answer to it would otherwise wait for good.
            self.conn.writer().write_all(&sent)?;
        }
        self.early.pending = false;
        self.early.wake_all();
        Poll::Ready(Ok(()))
    }

    /// Server, after an early `Accept`: the client's early data, then (once it is all read
    /// and the handshake is complete) nothing: `None` means go on with 1-RTT data. Reads the
    /// transport for more early data and for the rest of the handshake, never writes to it.
    fn poll_read_early(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Option<Poll<io::Result<()>>> {
        loop {
            if let Some(n) = self.conn.read_early(buf) {
                self.early.read += n as u64;
                return Some(Poll::Ready(Ok(())));
            }
            if !self.conn.is_handshaking() {
                self.early.reading = false;
                if self.early.pending {
                    self.early.pending = false;
                    self.early.wake_all();
                }
                return None;
            }
            match self.read_io(cx) {
                Poll::Pending => return Some(Poll::Pending),
                Poll::Ready(Err(e)) => return Some(Poll::Ready(Err(e))),
                Poll::Ready(Ok(_)) => {
                    if let Err(e) = self.conn.process_new_packets() {
                        // Its alert goes out with the next write, flush or shutdown.
                        return Some(Poll::Ready(Err(io_error(e))));
                    }
                }
            }
        }
    }

    pub(crate) fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        if self.early.reading {
            if let Some(poll) = self.poll_read_early(cx, buf) {
                return poll;
            }
        }
        ready!(self.poll_finish_early(cx))?;
        loop {
            if let Some(result) = self.take_plaintext(buf) {
                return Poll::Ready(result);
            }
            // Nothing to give: read more TLS. The reader said nothing is buffered and there is
            // no error nor end, so the connection wants input (its plaintext buffer is empty).
            if !self.conn.wants_read() {
                return Poll::Ready(Err(io_error(spectls::Error::Internal(
                    "no plaintext, no end of data, and no wish to read".into(),
                ))));
            }
            match self.read_io(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(_)) => {
                    // An error is kept by the connection; the reader reports it above, after
                    // any plaintext that came before it. Its alert is queued for our next
                    // write, flush or shutdown (see the module's notes).
                    let _ = self.conn.process_new_packets();
                }
            }
        }
    }

    /// Plaintext the connection holds, copied into `buf` (which is not zero-filled first: only
    /// the bytes delivered are written), across records until `buf` is full or none is left.
    /// `None` when there is none yet and no end nor error: more TLS is needed. What was
    /// decrypted before an error or the end is delivered before them; an empty read is the
    /// peer's close_notify; the transport ending without one is `UnexpectedEof`; an error is
    /// the connection's (sticky: a read after data delivered reports it).
    fn take_plaintext(&mut self, buf: &mut ReadBuf<'_>) -> Option<io::Result<()>> {
        let mut reader = self.conn.reader();
        let mut delivered = false;
        while buf.remaining() > 0 {
            match reader.fill_buf() {
                Ok(data) => {
                    if data.is_empty() {
                        // The end (after what was delivered).
                        break;
                    }
                    let n = data.len().min(buf.remaining());
                    buf.put_slice(data.get(..n).unwrap_or_default());
                    reader.consume(n);
                    delivered = true;
                }
                Err(_) if delivered => break,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return None,
                Err(e) => return Some(Err(e)),
            }
        }
        Some(Ok(()))
    }

    pub(crate) fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        // Back-pressure: nothing new is taken while TLS from an earlier write is still queued.
        // Pending here means nothing was taken.
        match self.poll_drain(cx) {
            Poll::Ready(Ok(())) => {}
            other => return other.map_ok(|()| 0),
        }
        let take = buf.get(..MAX_WRITE_CHUNK).unwrap_or(buf);
        if self.early.pending {
            // A client before its handshake completed: early data while the ticket's allowance
            // lasts (a server writes 0.5-RTT data through the writer, below).
            if let Some(result) = self.conn.write_early(take) {
                let n = result?;
                if n > 0 {
                    self.early
                        .sent
                        .extend_from_slice(take.get(..n).unwrap_or_default());
                    return self.start_sending(cx, n);
                }
            }
            if !self.early.reading {
                // No more early data: the rest waits for the handshake (the connection would
                // otherwise buffer it without bound until then).
                ready!(self.poll_finish_early(cx))?;
                match self.poll_drain(cx) {
                    Poll::Ready(Ok(())) => {}
                    other => return other.map_ok(|()| 0),
                }
            }
        }
        let n = self.conn.writer().write(take)?;
        self.start_sending(cx, n)
    }

    /// After the connection took `n` bytes of plaintext: sends what it can of their records now.
    /// The bytes are taken whether or not the transport takes them at once; a transport error
    /// is reported (the connection is broken then anyway).
    fn start_sending(&mut self, cx: &mut Context<'_>, n: usize) -> Poll<io::Result<usize>> {
        match self.poll_drain(cx) {
            // Pending: the rest goes out on the next write, flush or shutdown (and the transport
            // wakes this task when it can take more, which does no harm).
            Poll::Ready(Ok(())) | Poll::Pending => Poll::Ready(Ok(n)),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
        }
    }

    pub(crate) fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let mut nonempty = bufs.iter().filter(|b| !b.is_empty());
        let Some(first) = nonempty.next() else {
            return Poll::Ready(Ok(0));
        };
        if first.len() >= GATHER_BELOW || nonempty.next().is_none() || self.early.pending {
            return self.poll_write(cx, first);
        }
        match self.poll_drain(cx) {
            Poll::Ready(Ok(())) => {}
            other => return other.map_ok(|()| 0),
        }
        // Small slices (an HTTP head before its body, say) gathered into one write, so they
        // share records instead of each costing a record of its own.
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        let mut gathered = Vec::with_capacity(total.min(MAX_WRITE_CHUNK));
        for b in bufs {
            let room = MAX_WRITE_CHUNK - gathered.len();
            if room == 0 {
                break;
            }
            gathered.extend_from_slice(b.get(..room).unwrap_or(b));
        }
        let n = self.conn.writer().write(&gathered)?;
        self.start_sending(cx, n)
    }

    pub(crate) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.early.reading {
            // A client's flush completes its handshake (as tokio-rustls's does); a server's
            // flush only writes, its reads complete the handshake.
            ready!(self.poll_finish_early(cx))?;
        }
        match self.poll_drain(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut self.io).poll_flush(cx),
            other => other,
        }
    }

    /// Sends close_notify (once: the connection queues it at most once), flushes it, then shuts
    /// the transport's write side down.
    pub(crate) fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // close_notify goes out after the handshake (on a server too: it reads the rest of it).
        ready!(self.poll_finish_early(cx))?;
        self.conn.send_close_notify();
        match self.poll_flush(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut self.io).poll_shutdown(cx),
            other => other,
        }
    }
}

/// A handshake in progress, as a future's state.
pub(crate) enum MidHandshake<IO, C> {
    /// The handshake runs; with `true`, the stream is given early when 0-RTT allows (client:
    /// at once if early data can be written; server: once the client's is accepted).
    Handshaking(Inner<IO, C>, bool),
    /// Creating the connection failed: reported on the first poll.
    Error(io::Error),
    End,
}

impl<IO, C> MidHandshake<IO, C>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    C: Side,
{
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Inner<IO, C>>> {
        match std::mem::replace(self, MidHandshake::End) {
            MidHandshake::Handshaking(mut inner, early) => {
                if early && inner.conn.early_writable() {
                    // A client that can write early data: the stream now, the ClientHello
                    // goes out with its first write (or read, flush, shutdown).
                    inner.early.pending = true;
                    return Poll::Ready(Ok(inner));
                }
                match inner.poll_handshake(cx, early) {
                    Poll::Ready(Ok(())) => {
                        if inner.conn.is_handshaking() {
                            // A server that accepted early data, its first flight out.
                            inner.early.pending = true;
                            inner.early.reading = true;
                        }
                        Poll::Ready(Ok(inner))
                    }
                    Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                    Poll::Pending => {
                        *self = MidHandshake::Handshaking(inner, early);
                        Poll::Pending
                    }
                }
            }
            MidHandshake::Error(e) => Poll::Ready(Err(e)),
            MidHandshake::End => Poll::Ready(Err(io::Error::other(
                "TLS handshake future polled after it completed",
            ))),
        }
    }
}

/// The `AsyncRead`/`AsyncWrite` impls and accessors of a side's `TlsStream`, which holds an
/// `Inner<IO, $conn>` as `inner`.
macro_rules! tls_stream_impls {
    ($conn:ty) => {
        impl<IO> TlsStream<IO> {
            /// The transport and the connection (for the negotiated parameters:
            /// `protocol_version()`, `negotiated_cipher_suite()`, `alpn_protocol()`,
            /// `peer_certificates()`, ...).
            pub fn get_ref(&self) -> (&IO, &$conn) {
                (&self.inner.io, &self.inner.conn)
            }

            /// The transport and the connection, mutably. Reading from or writing to the
            /// transport directly corrupts the TLS stream.
            pub fn get_mut(&mut self) -> (&mut IO, &mut $conn) {
                (&mut self.inner.io, &mut self.inner.conn)
            }

            /// The transport and the connection, taking the stream apart. Plaintext the
            /// connection received but nobody read yet stays in it (`reader()`), and TLS it
            /// queued but did not write yet is in it too (`write_tls`).
            pub fn into_inner(self) -> (IO, $conn) {
                (self.inner.io, self.inner.conn)
            }
        }

        impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsStream<IO> {
            /// Plaintext from the peer. Reads TLS from the transport only when the connection
            /// holds no plaintext (so at most its buffer's worth is taken in while the
            /// application does not read), and never writes to it. A clean close (close_notify)
            /// is the end of data; the transport ending without one is
            /// `io::ErrorKind::UnexpectedEof` (a truncation). Cancellation-safe: a read future
            /// dropped before completing loses no data.
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                self.get_mut().inner.poll_read(cx, buf)
            }
        }

        impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsStream<IO> {
            /// Encrypts up to 64 KiB of `buf` and starts sending it. TLS queued by an earlier
            /// call is sent first, and nothing new is taken until it is (back-pressure: at most
            /// one call's records are queued).
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                self.get_mut().inner.poll_write(cx, buf)
            }

            /// As `poll_write`; small slices are gathered so that they share records.
            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                self.get_mut().inner.poll_write_vectored(cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            /// Writes out every queued TLS record, then flushes the transport.
            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.get_mut().inner.poll_flush(cx)
            }

            /// Sends close_notify, then shuts the transport's write side down. Reading goes
            /// on until the peer's own close_notify (or the transport's end).
            fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.get_mut().inner.poll_shutdown(cx)
            }
        }

        impl<IO: std::fmt::Debug> std::fmt::Debug for TlsStream<IO> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct("TlsStream")
                    .field("io", &self.inner.io)
                    .field("protocol_version", &self.inner.conn.protocol_version())
                    .field("cipher_suite", &self.inner.conn.negotiated_cipher_suite())
                    .finish_non_exhaustive()
            }
        }
    };
}
pub(crate) use tls_stream_impls;
