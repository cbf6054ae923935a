//! Recorded TLS 1.2 connections (`tests/data/captures/*.trace`) decoded into a message flow.
//!
//! This is tooling for tests, examples and benchmarks: it reads the text capture format written
//! by `scripts/capture.sh` and decodes every record and plaintext handshake message with the
//! generated wire types. Records after ChangeCipherSpec are shown as AEAD ciphertext.

use crate::codec::{Codec, DecodeError, DecodeErrorKind, Encode, Reader};
use crate::wire::{
    tls12::Handshake, tls12::TLSCiphertext, CipherSuite, ContentType, KeyExchangeAlgorithm,
    PublicValueEncoding, TLSPlaintext,
};
use std::fmt;

/// Which way bytes went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Sent by the client.
    ClientToServer,
    /// Sent by the server.
    ServerToClient,
}

impl Direction {
    fn index(self) -> usize {
        self as usize
    }

    /// `client -> server` or `server -> client`.
    pub fn arrow(self) -> &'static str {
        match self {
            Direction::ClientToServer => "client -> server",
            Direction::ServerToClient => "server -> client",
        }
    }
}

/// A recorded connection: header comments and the chunks in the order they were read.
#[derive(Clone, Debug, Default)]
pub struct Capture {
    /// `# key: value` header lines.
    pub header: Vec<(String, String)>,
    /// The recorded bytes, one entry per read, in order.
    pub chunks: Vec<(Direction, Vec<u8>)>,
}

/// A problem with the capture file itself (not with the TLS bytes in it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError(pub String);

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FormatError {}

impl Capture {
    /// Parses the `spectls capture v1` text format.
    pub fn parse(text: &str) -> Result<Self, FormatError> {
        let mut cap = Capture::default();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_end();
            if let Some(h) = line.strip_prefix('#') {
                if let Some((k, v)) = h.split_once(':') {
                    cap.header
                        .push((k.trim().to_string(), v.trim().to_string()));
                }
                continue;
            }
            if line.is_empty() {
                continue;
            }
            let (dir, hex) = line
                .split_once(' ')
                .ok_or_else(|| FormatError(format!("line {}: expected `c2s|s2c HEX`", n + 1)))?;
            let dir = match dir {
                "c2s" => Direction::ClientToServer,
                "s2c" => Direction::ServerToClient,
                other => {
                    return Err(FormatError(format!(
                        "line {}: unknown direction `{other}`",
                        n + 1
                    )))
                }
            };
            let bytes =
                unhex(hex).ok_or_else(|| FormatError(format!("line {}: bad hex", n + 1)))?;
            cap.chunks.push((dir, bytes));
        }
        Ok(cap)
    }

    /// A header value, e.g. `scenario`.
    pub fn header(&self, key: &str) -> Option<&str> {
        self.header
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The bytes of one connection, split per direction, ready to be decoded with borrowing.
pub struct Flow {
    streams: [Vec<u8>; 2],
    /// For each record start (direction, offset in its stream), the chunk index it began in.
    order: Vec<(usize, Direction, usize)>,
    /// Plaintext handshake bytes per direction, reassembled across records.
    handshake: [Vec<u8>; 2],
}

/// One step of the decoded flow.
#[derive(Debug)]
pub enum Event<'a> {
    /// A plaintext record (its fragment is decoded into the events that follow).
    Record {
        /// Who sent it.
        dir: Direction,
        /// The decoded record.
        record: TLSPlaintext<'a>,
        /// Its bytes on the wire.
        bytes: &'a [u8],
    },
    /// A record protected by the negotiated AEAD.
    Protected {
        /// Who sent it.
        dir: Direction,
        /// The decoded record.
        record: TLSCiphertext<'a>,
        /// Its bytes on the wire.
        bytes: &'a [u8],
    },
    /// A complete plaintext handshake message, with its encoding.
    Message {
        /// Who sent it.
        dir: Direction,
        /// The decoded message.
        message: Handshake<'a>,
        /// Its bytes (reassembled if it spanned records).
        bytes: &'a [u8],
    },
}

/// A failure to decode the flow: which direction and record, and the decode error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowError {
    /// The direction being decoded.
    pub dir: Direction,
    /// Which record or message failed.
    pub what: String,
    /// Why.
    pub error: DecodeError,
}

impl fmt::Display for FlowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.dir.arrow(), self.what, self.error)
    }
}

impl std::error::Error for FlowError {}

impl Flow {
    /// Splits a capture into its two byte streams.
    pub fn new(cap: &Capture) -> Self {
        let mut streams = [Vec::new(), Vec::new()];
        let mut starts: Vec<(usize, Direction, usize)> = Vec::new();
        for (chunk, (dir, bytes)) in cap.chunks.iter().enumerate() {
            let s = &mut streams[dir.index()];
            // Record starts are found after the split below; remember where each chunk began.
            starts.push((chunk, *dir, s.len()));
            s.extend_from_slice(bytes);
        }
        Flow {
            streams,
            order: starts,
            handshake: [Vec::new(), Vec::new()],
        }
    }

    /// The whole byte stream sent in one direction.
    pub fn stream(&self, dir: Direction) -> &[u8] {
        &self.streams[dir.index()]
    }

    /// Decodes every record and plaintext handshake message, in the order they were sent.
    pub fn events(&mut self) -> Result<Vec<Event<'_>>, FlowError> {
        // Pass 1: collect plaintext handshake bytes per direction (needs owned buffers).
        let mut plan: Vec<(usize, Direction, usize, usize, bool)> = Vec::new();
        let mut handshake = [Vec::new(), Vec::new()];
        for dir in [Direction::ClientToServer, Direction::ServerToClient] {
            let stream = &self.streams[dir.index()];
            let mut r = Reader::new(stream);
            let mut protected = false;
            while !r.is_empty() {
                let start = r.offset();
                let rec = TLSPlaintext::decode(&mut r).map_err(|error| FlowError {
                    dir,
                    what: format!("record at offset {start}"),
                    error: error.root("TLSPlaintext"),
                })?;
                let chunk = self
                    .order
                    .iter()
                    .filter(|(_, d, off)| *d == dir && *off <= start)
                    .map(|(c, _, _)| *c)
                    .next_back()
                    .unwrap_or(0);
                plan.push((chunk, dir, start, r.offset(), protected));
                if !protected && rec.type_ == ContentType::Handshake {
                    handshake[dir.index()].extend_from_slice(rec.fragment);
                }
                if rec.type_ == ContentType::ChangeCipherSpec {
                    protected = true;
                }
            }
        }
        self.handshake = handshake;
        plan.sort_by_key(|(chunk, _, start, _, _)| (*chunk, *start));

        // Pass 2: decode, borrowing from the owned buffers.
        let suite = self.negotiated_suite();
        // The suite says how long its records' explicit nonce is (8 for AES-GCM, none for
        // ChaCha20-Poly1305, RFC 7905). A suite spectls does not implement is decoded as
        // AES-GCM's layout: its records only frame, they are never opened here.
        let iv_len = suite
            .and_then(crate::crypto::suites::lookup)
            .map_or(8, |s| s.aead.explicit_nonce_len());
        let mut events = Vec::new();
        let mut hs_pos = [0usize; 2];
        for (_, dir, start, end, protected) in plan {
            let bytes = &self.streams[dir.index()][start..end];
            if protected {
                let record =
                    TLSCiphertext::from_bytes(bytes, crate::wire::CipherType::Aead, iv_len)
                        .map_err(|error| FlowError {
                            dir,
                            what: format!("protected record at offset {start}"),
                            error,
                        })?;
                events.push(Event::Protected { dir, record, bytes });
                continue;
            }
            let record = TLSPlaintext::from_bytes(bytes).map_err(|error| FlowError {
                dir,
                what: format!("record at offset {start}"),
                error,
            })?;
            let is_hs = record.type_ == ContentType::Handshake;
            events.push(Event::Record { dir, record, bytes });
            if !is_hs {
                continue;
            }
            // Emit each handshake message once all of its bytes have arrived.
            let full = &self.handshake[dir.index()];
            let arrived = self.handshake_arrived(dir, start);
            let at = &mut hs_pos[dir.index()];
            while *at < arrived {
                let mut r = Reader::new(&full[*at..arrived]);
                let message = match decode_handshake(&mut r) {
                    Ok(m) => m,
                    // Not all of it yet: the rest comes in a later record.
                    Err(e)
                        if matches!(e.kind, DecodeErrorKind::Truncated { .. })
                            && arrived < full.len() =>
                    {
                        break
                    }
                    Err(error) => {
                        return Err(FlowError {
                            dir,
                            what: format!("handshake message at offset {at}"),
                            error: error.root("Handshake"),
                        })
                    }
                };
                let bytes = &full[*at..*at + r.offset()];
                *at += r.offset();
                events.push(Event::Message {
                    dir,
                    message,
                    bytes,
                });
            }
        }
        Ok(events)
    }

    /// How many plaintext handshake bytes of `dir` have arrived once the record at `start` has.
    fn handshake_arrived(&self, dir: Direction, upto: usize) -> usize {
        let mut r = Reader::new(&self.streams[dir.index()]);
        let mut total = 0;
        while !r.is_empty() && r.offset() <= upto {
            match TLSPlaintext::decode(&mut r) {
                Ok(rec) if rec.type_ == ContentType::Handshake => total += rec.fragment.len(),
                Ok(rec) if rec.type_ == ContentType::ChangeCipherSpec => break,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        total
    }

    /// The cipher suite from the ServerHello, if one was sent in the clear.
    pub fn negotiated_suite(&self) -> Option<CipherSuite> {
        let dir = Direction::ServerToClient;
        let stream = self.stream(dir);
        let mut plain = Vec::new();
        let mut r = Reader::new(stream);
        while let Ok(rec) = TLSPlaintext::decode(&mut r) {
            match rec.type_ {
                ContentType::Handshake => plain.extend_from_slice(rec.fragment),
                ContentType::ChangeCipherSpec => break,
                _ => {}
            }
        }
        let mut r = Reader::new(&plain);
        while !r.is_empty() {
            if let Handshake::ServerHello(sh) = decode_handshake(&mut r).ok()? {
                return Some(sh.cipher_suite);
            }
        }
        None
    }
}

/// Decodes one handshake message in the spectls profile: ECDHE key exchange with explicit
/// public values (the context RFC 5246 leaves to the negotiated cipher suite).
pub fn decode_handshake<'a>(r: &mut Reader<'a>) -> Result<Handshake<'a>, DecodeError> {
    Handshake::decode(
        r,
        Some(KeyExchangeAlgorithm::EcDiffieHellman),
        Some(PublicValueEncoding::Explicit),
    )
}

/// Checks that every event encodes back to exactly the bytes it was decoded from.
pub fn check_round_trip(events: &[Event<'_>]) -> Result<usize, String> {
    for (i, e) in events.iter().enumerate() {
        let (encoded, original) = match e {
            Event::Record { record, bytes, .. } => (record.to_vec(), *bytes),
            Event::Protected { record, bytes, .. } => (record.to_vec(), *bytes),
            Event::Message { message, bytes, .. } => (message.to_vec(), *bytes),
        };
        if encoded != original {
            return Err(format!("event {i} re-encodes differently:\n{e:#?}"));
        }
    }
    Ok(events.len())
}

/// A readable trace: one line per record, the decoded message under it.
pub fn render(events: &[Event<'_>]) -> String {
    let mut out = String::new();
    for e in events {
        match e {
            Event::Record { dir, record, .. } => out.push_str(&format!(
                "{}: {:?} record, {} bytes\n",
                dir.arrow(),
                record.type_,
                record.fragment.len()
            )),
            Event::Protected { dir, record, .. } => out.push_str(&format!(
                "{}: protected {:?} record: {:?}\n",
                dir.arrow(),
                record.type_,
                record.fragment
            )),
            Event::Message { message, .. } => {
                for line in format!("{message:#?}").lines() {
                    out.push_str("    ");
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
    }
    out
}
