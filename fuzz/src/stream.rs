//! The `stream` target's harness: `spectls::Stream` over an in-memory transport that the fuzz
//! input controls, with a hard cap on transport calls, so a loop that makes no progress (issue
//! 9.1: `Stream` spinning on `complete_io` after a close_notify mid-handshake) is a panic, not a
//! hang. Only `spectls`'s public API and `std`: the root workspace's `tests/fuzz_regressions.rs`
//! includes this file (`#[path]`) to replay the seeds under `cargo test`.
//!
//! Input: `data[0]` mode (bit 0: the victim is a client (1) or a server (0); bits 1-2: what the
//! application does: 0 `handshake()`, `write`, `read`s; 1 `read` first; 2 `write` first; 3
//! `handshake()`, `close()`, `read`s); `data[1]`: `r = data[1] & 15` read-script bytes, `w =
//! data[1] >> 4` write-script bytes, which follow; the rest is the peer's byte stream. Read script
//! byte b, one per transport read until used up: 0 `Interrupted`, 1 `WouldBlock`, else a read of
//! at most b bytes; after it, reads take whatever fits. Write script byte b, one per transport
//! write: 0 `Ok(0)`, 1 `Interrupted`, 2 `WouldBlock`, else at most b bytes are taken; after it,
//! writes take everything. Once the stream is used up, reads return `Ok(0)` (end of stream).

use spectls::{ConnectionCommon, Stream};
use std::io::{self, Read, Write};
use std::ops::DerefMut;

/// More transport calls than this is a spin: the input is at most a few hundred KB, each read
/// either takes a byte, is scripted, or is the end of stream, which ends every loop of ours.
pub const MAX_TRANSPORT_CALLS: usize = 10_000;

/// Application calls (`read`, `write`, ...) per execution.
const MAX_APP_CALLS: usize = 64;

/// A transport whose reads come from the fuzz input and whose writes are collected.
pub struct Transport<'a> {
    input: &'a [u8],
    read_script: &'a [u8],
    write_script: &'a [u8],
    /// Every byte the connection wrote.
    pub written: Vec<u8>,
    /// Transport calls so far (read, write, flush).
    pub calls: usize,
}

impl<'a> Transport<'a> {
    /// The transport for `input` (after the mode byte): its scripts and the peer's stream.
    pub fn new(input: &'a [u8]) -> Transport<'a> {
        let (lens, rest) = input.split_first().map_or((0, input), |(l, r)| (*l, r));
        let r = ((lens & 15) as usize).min(rest.len());
        let (read_script, rest) = rest.split_at(r);
        let w = ((lens >> 4) as usize).min(rest.len());
        let (write_script, rest) = rest.split_at(w);
        Transport {
            input: rest,
            read_script,
            write_script,
            written: Vec::new(),
            calls: 0,
        }
    }

    fn call(&mut self, what: &str) {
        self.calls += 1;
        assert!(
            self.calls <= MAX_TRANSPORT_CALLS,
            "spin: more than {MAX_TRANSPORT_CALLS} transport calls (last: {what})"
        );
    }
}

impl Read for Transport<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.call("read");
        let mut max = usize::MAX;
        if let Some((&b, rest)) = self.read_script.split_first() {
            self.read_script = rest;
            match b {
                0 => return Err(io::ErrorKind::Interrupted.into()),
                1 => return Err(io::ErrorKind::WouldBlock.into()),
                n => max = n as usize,
            }
        }
        let n = buf.len().min(self.input.len()).min(max);
        buf[..n].copy_from_slice(&self.input[..n]);
        self.input = &self.input[n..];
        Ok(n)
    }
}

impl Write for Transport<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.call("write");
        let mut max = usize::MAX;
        if let Some((&b, rest)) = self.write_script.split_first() {
            self.write_script = rest;
            match b {
                0 => return Ok(0),
                1 => return Err(io::ErrorKind::Interrupted.into()),
                2 => return Err(io::ErrorKind::WouldBlock.into()),
                n => max = n as usize,
            }
        }
        let n = buf.len().min(max);
        self.written.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.call("flush");
        Ok(())
    }
}

/// What must hold after every application call: the progress invariant, and a handshake that
/// `Stream` reported done is done.
fn check(conn: &mut ConnectionCommon, what: &str) {
    let failed = conn.process_new_packets().is_err();
    assert!(
        failed || conn.wants_read() || conn.wants_write() || !conn.is_handshaking(),
        "stuck after {what}: no error, handshaking, wants neither to read nor to write"
    );
}

/// Runs the application's calls on `conn` (a fresh client that has not written its ClientHello
/// yet, or a fresh server) over a transport built from `data` (see the module docs, without the
/// mode byte, which selects `conn` and `plan` in the caller: `plan = (data[0] >> 1) & 3`).
/// Panics on a spin or a broken invariant; returns the transport calls made.
pub fn run<C: DerefMut<Target = ConnectionCommon>>(conn: C, plan: u8, data: &[u8]) -> usize {
    let mut stream = Stream::new(conn, Transport::new(data));
    let mut buf = [0u8; 4096];
    let mut reads = |stream: &mut Stream<C, Transport<'_>>, what: &str| {
        for _ in 0..MAX_APP_CALLS {
            let r = stream.read(&mut buf);
            check(&mut stream.conn, what);
            match r {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
    };
    let handshake = |stream: &mut Stream<C, Transport<'_>>| {
        // WouldBlock and Interrupted are worth another try (a non-blocking caller's loop);
        // anything else ends it.
        for _ in 0..MAX_APP_CALLS {
            let r = stream.handshake();
            check(&mut stream.conn, "handshake()");
            match r {
                Ok(()) => {
                    assert!(
                        !stream.conn.is_handshaking(),
                        "handshake() Ok while handshaking"
                    );
                    return true;
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                    ) => {}
                Err(_) => return false,
            }
        }
        false
    };
    match plan & 3 {
        0 => {
            if handshake(&mut stream) {
                let _ = stream.write(b"fuzz");
                check(&mut stream.conn, "write");
            }
            reads(&mut stream, "read");
        }
        1 => reads(&mut stream, "read first"),
        2 => {
            let _ = stream.write(b"fuzz");
            check(&mut stream.conn, "write first");
            reads(&mut stream, "read");
        }
        _ => {
            handshake(&mut stream);
            let _ = stream.close();
            check(&mut stream.conn, "close()");
            reads(&mut stream, "read after close");
        }
    }
    // Every call again, after whatever ended it: an answer, never a spin.
    let _ = stream.handshake();
    let _ = stream.write(b"again");
    let _ = stream.flush();
    let _ = stream.read(&mut buf);
    check(&mut stream.conn, "the calls again");
    stream.sock.calls
}
