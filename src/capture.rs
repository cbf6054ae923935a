//! Recorded connections (`tests/data/captures/*.trace`, or bytes an example recorded) decoded
//! into a message flow.
//!
//! This is tooling for tests, examples and benchmarks: it reads the text capture format written
//! by `scripts/capture.sh` and decodes every record and handshake message with the generated wire
//! types.
//!
//! TLS 1.2: records after ChangeCipherSpec are shown as AEAD ciphertext. TLS 1.3 (the
//! ServerHello's supported_versions says so): everything after the ServerHello is encrypted, so
//! with the connection's NSS key log ([`KeyLogSecrets`], [`Flow::with_key_log`]) the records are
//! opened as Wireshark would: the traffic keys derived from the logged `*_TRAFFIC_SECRET*`
//! lines (`crypto::key_schedule`), each record opened with `crypto::cipher13`, and the
//! handshake messages inside decoded as `wire::tls13::Handshake`. Without the key log they are
//! shown as ciphertext.

use crate::codec::{Codec, DecodeError, DecodeErrorKind, Encode, Reader};
use crate::crypto::cipher13::Tls13Decrypter;
use crate::crypto::key_schedule::Secret;
use crate::crypto::suites::{lookup, SupportedCipherSuite};
use crate::keylog::KeyLog;
use crate::version::TLS13;
use crate::wire::{
    tls12::Handshake, tls12::TLSCiphertext, tls13, Alert, CertificateType, CipherSuite,
    ContentType, Extension, HandshakeType, KeyExchangeAlgorithm, ProtocolVersion,
    PublicValueEncoding, ServerHello, SupportedVersions, TLSPlaintext,
};
use std::fmt;
use std::sync::{Mutex, PoisonError};

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

    /// The `spectls capture v1` text of this capture, as [`Capture::parse`] reads it.
    pub fn to_text(&self) -> String {
        let mut out = String::from("# spectls capture v1\n");
        for (k, v) in &self.header {
            out.push_str(&format!("# {k}: {v}\n"));
        }
        for (dir, bytes) in &self.chunks {
            let dir = match dir {
                Direction::ClientToServer => "c2s",
                Direction::ServerToClient => "s2c",
            };
            out.push_str(&format!("{dir} {}\n", hex(bytes)));
        }
        out
    }

    /// A header value, e.g. `scenario`.
    pub fn header(&self, key: &str) -> Option<&str> {
        self.header
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
    /// Plaintext handshake bytes per direction, reassembled across records (in TLS 1.3, those
    /// of the opened records too).
    handshake: [Vec<u8>; 2],
    /// The key log, for opening TLS 1.3 records.
    secrets: KeyLogSecrets,
    /// What opening each protected TLS 1.3 record gave, in the order `events` met them.
    opened: Vec<OpenedRecord>,
}

/// One protected TLS 1.3 record after an attempt to open it: the secret tried (its key log
/// label) and the content type and content, or why it could not be opened.
struct OpenedRecord {
    secret: String,
    result: Result<(ContentType, Vec<u8>), String>,
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
    /// A protected TLS 1.3 record (outer type application_data), opened if the key log has the
    /// secret it was sealed with.
    Sealed {
        /// Who sent it.
        dir: Direction,
        /// The record as framed on the wire.
        record: tls13::TLSCiphertext<'a>,
        /// Its bytes on the wire.
        bytes: &'a [u8],
        /// Its content, or why it was not opened (no key log, a secret missing from it, a record
        /// that does not authenticate under the logged secret).
        opened: Result<Unsealed<'a>, &'a str>,
    },
    /// A complete TLS 1.3 handshake message: the hellos in the clear, the rest from opened
    /// records.
    Message13 {
        /// Who sent it.
        dir: Direction,
        /// The decoded message.
        message: tls13::Handshake<'a>,
        /// Its bytes (reassembled if it spanned records).
        bytes: &'a [u8],
    },
}

/// The inside of an opened TLS 1.3 record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsealed<'a> {
    /// The real content type (`TLSInnerPlaintext.type`).
    pub typ: ContentType,
    /// The content, without the content type and padding.
    pub content: &'a [u8],
    /// The key log label of the traffic secret that opened it (application traffic secrets
    /// after a KeyUpdate say how many updates on from `*_TRAFFIC_SECRET_0`).
    pub secret: &'a str,
}

/// The secrets of an NSS key log (`SSLKEYLOGFILE`): `LABEL <client_random hex> <secret hex>`
/// lines, as [`crate::keylog::KeyLogFile`] writes them or [`MemoryKeyLog`] collects them. Its
/// `Debug` shows only the labels.
#[derive(Clone, Default)]
pub struct KeyLogSecrets {
    entries: Vec<(String, Vec<u8>, Vec<u8>)>,
}

impl fmt::Debug for KeyLogSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(|(label, _, _)| label))
            .finish()
    }
}

impl KeyLogSecrets {
    /// Parses key log text; blank lines and `#` comments are skipped.
    pub fn parse(text: &str) -> Result<Self, FormatError> {
        let mut secrets = KeyLogSecrets::default();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = || FormatError(format!("key log line {}: expected `LABEL HEX HEX`", n + 1));
            let mut parts = line.split_whitespace();
            let (Some(label), Some(random), Some(secret), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err(bad());
            };
            let (Some(random), Some(secret)) = (unhex(random), unhex(secret)) else {
                return Err(bad());
            };
            secrets.add(label, &random, &secret);
        }
        Ok(secrets)
    }

    /// Adds one secret.
    pub fn add(&mut self, label: &str, client_random: &[u8], secret: &[u8]) {
        self.entries
            .push((label.to_string(), client_random.to_vec(), secret.to_vec()));
    }

    /// The secret logged under `label` for the connection whose ClientHello.random is
    /// `client_random` (the last one, if it was logged twice).
    pub fn get(&self, label: &str, client_random: &[u8]) -> Option<&[u8]> {
        self.entries
            .iter()
            .rev()
            .find(|(l, r, _)| l == label && r == client_random)
            .map(|(_, _, secret)| secret.as_slice())
    }

    /// The key log text: one `LABEL <client_random hex> <secret hex>` line per secret.
    pub fn to_text(&self) -> String {
        self.entries
            .iter()
            .map(|(label, random, secret)| format!("{label} {} {}\n", hex(random), hex(secret)))
            .collect()
    }

    /// How many secrets there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A [`KeyLog`] that keeps the secrets in memory, for decoding a recorded connection afterwards
/// (the demo's: `with_key_log(Arc::new(MemoryKeyLog::default()))`). It holds live secrets: for
/// debugging and tests only, as a key log file is.
#[derive(Default)]
pub struct MemoryKeyLog(Mutex<KeyLogSecrets>);

impl fmt::Debug for MemoryKeyLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MemoryKeyLog")
            .field(&self.secrets())
            .finish()
    }
}

impl MemoryKeyLog {
    /// A copy of what was logged so far.
    pub fn secrets(&self) -> KeyLogSecrets {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl KeyLog for MemoryKeyLog {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .add(label, client_random, secret);
    }
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
            secrets: KeyLogSecrets::default(),
            opened: Vec::new(),
        }
    }

    /// Opens TLS 1.3 records with the secrets of this key log (TLS 1.2 flows do not use it).
    pub fn with_key_log(mut self, secrets: KeyLogSecrets) -> Self {
        self.secrets = secrets;
        self
    }

    /// The whole byte stream sent in one direction.
    pub fn stream(&self, dir: Direction) -> &[u8] {
        &self.streams[dir.index()]
    }

    /// Decodes every record and handshake message, in the order they were sent.
    pub fn events(&mut self) -> Result<Vec<Event<'_>>, FlowError> {
        if self.negotiated_version() == Some(TLS13) {
            return self.events13();
        }
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
                let chunk = self.chunk_of(dir, start);
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
        self.server_hello(|sh| sh.cipher_suite)
    }

    /// The version from the ServerHello (or HelloRetryRequest): its supported_versions, else
    /// its `server_version`.
    pub fn negotiated_version(&self) -> Option<ProtocolVersion> {
        self.server_hello(|sh| {
            let selected = sh.extensions.iter().flatten().find_map(|e| match e {
                Extension::SupportedVersions(SupportedVersions::ServerHello {
                    selected_version,
                }) => Some(selected_version.clone()),
                _ => None,
            });
            selected.unwrap_or_else(|| sh.server_version.clone())
        })
    }

    /// `f` of the server's first ServerHello (a HelloRetryRequest in TLS 1.3 is one too).
    fn server_hello<T>(&self, f: impl FnOnce(&ServerHello<'_>) -> T) -> Option<T> {
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
                return Some(f(&sh));
            }
        }
        None
    }

    /// The client's ClientHello.random: what the key log names the connection by.
    fn client_random(&self) -> Option<Vec<u8>> {
        let mut r = Reader::new(self.stream(Direction::ClientToServer));
        let rec = TLSPlaintext::decode(&mut r).ok()?;
        match decode_handshake(&mut Reader::new(rec.fragment)).ok()? {
            Handshake::ClientHello(ch) => Some(ch.random.to_vec()),
            _ => None,
        }
    }

    /// [`Flow::events`] for TLS 1.3: records of outer type application_data are protected (the
    /// hellos, alerts before the keys, and compatibility change_cipher_spec are not).
    fn events13(&mut self) -> Result<Vec<Event<'_>>, FlowError> {
        let suite = self.negotiated_suite().and_then(lookup);
        let client_random = self.client_random();
        // Pass 1: frame every record, open the protected ones, and collect handshake bytes.
        // Each step: (chunk, dir, start, end, handshake bytes arrived after it, opened index).
        let mut plan: Vec<(usize, Direction, usize, usize, usize, Option<usize>)> = Vec::new();
        let mut handshake = [Vec::new(), Vec::new()];
        let mut opened = Vec::new();
        for dir in [Direction::ClientToServer, Direction::ServerToClient] {
            let mut keys = Keys13::new(dir, suite, client_random.as_deref(), &self.secrets);
            let stream = &self.streams[dir.index()];
            let hs = &mut handshake[dir.index()];
            let mut r = Reader::new(stream);
            while !r.is_empty() {
                let start = r.offset();
                let rec = TLSPlaintext::decode(&mut r).map_err(|error| FlowError {
                    dir,
                    what: format!("record at offset {start}"),
                    error: error.root("TLSPlaintext"),
                })?;
                let end = r.offset();
                let chunk = self.chunk_of(dir, start);
                let mut index = None;
                match rec.type_ {
                    ContentType::Handshake => hs.extend_from_slice(rec.fragment),
                    ContentType::ApplicationData => {
                        let record = stream.get(start..end).unwrap_or_default();
                        let result = keys.open(record);
                        if let Ok((ContentType::Handshake, content)) = &result.result {
                            let before = hs.len();
                            hs.extend_from_slice(content);
                            keys.after_handshake(hs, before);
                        }
                        index = Some(opened.len());
                        opened.push(result);
                    }
                    _ => {}
                }
                plan.push((chunk, dir, start, end, hs.len(), index));
            }
        }
        self.handshake = handshake;
        self.opened = opened;
        plan.sort_by_key(|(chunk, _, start, _, _, _)| (*chunk, *start));

        // Pass 2: decode, borrowing from the owned buffers.
        let hash_len = suite.map(|s| s.hash.output_len());
        let mut events = Vec::new();
        let mut hs_pos = [0usize; 2];
        for (_, dir, start, end, arrived, index) in plan {
            let bytes = &self.streams[dir.index()][start..end];
            let carries_handshake = match index.and_then(|i| self.opened.get(i)) {
                Some(o) => {
                    let record =
                        tls13::TLSCiphertext::from_bytes(bytes).map_err(|error| FlowError {
                            dir,
                            what: format!("protected record at offset {start}"),
                            error,
                        })?;
                    let opened = match &o.result {
                        Ok((typ, content)) => Ok(Unsealed {
                            typ: *typ,
                            content,
                            secret: &o.secret,
                        }),
                        Err(why) => Err(why.as_str()),
                    };
                    let hs = matches!(
                        opened,
                        Ok(Unsealed {
                            typ: ContentType::Handshake,
                            ..
                        })
                    );
                    events.push(Event::Sealed {
                        dir,
                        record,
                        bytes,
                        opened,
                    });
                    hs
                }
                None => {
                    let record = TLSPlaintext::from_bytes(bytes).map_err(|error| FlowError {
                        dir,
                        what: format!("record at offset {start}"),
                        error,
                    })?;
                    let hs = record.type_ == ContentType::Handshake;
                    events.push(Event::Record { dir, record, bytes });
                    hs
                }
            };
            if !carries_handshake {
                continue;
            }
            let full = &self.handshake[dir.index()];
            let at = &mut hs_pos[dir.index()];
            while *at < arrived {
                let mut r = Reader::new(&full[*at..arrived]);
                let message =
                    match tls13::Handshake::decode(&mut r, Some(CertificateType::X509), hash_len) {
                        Ok(m) => m,
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
                events.push(Event::Message13 {
                    dir,
                    message,
                    bytes,
                });
            }
        }
        Ok(events)
    }

    /// The chunk in which the record of `dir` at `start` began.
    fn chunk_of(&self, dir: Direction, start: usize) -> usize {
        self.order
            .iter()
            .filter(|(_, d, off)| *d == dir && *off <= start)
            .map(|(c, _, _)| *c)
            .next_back()
            .unwrap_or(0)
    }
}

/// Which traffic secret one direction of a TLS 1.3 connection uses, as a reader of its records
/// tracks it: the handshake traffic secret until that side's Finished, then the application
/// traffic secret, the next one after each KeyUpdate (RFC 8446 7.2). The sequence number starts
/// at 0 with each key (5.3).
struct Keys13<'k> {
    dir: Direction,
    suite: Option<&'static SupportedCipherSuite>,
    client_random: Option<&'k [u8]>,
    secrets: &'k KeyLogSecrets,
    /// The secret in use: `None` until its first record, loaded from the key log then.
    current: Option<(String, Secret, Tls13Decrypter)>,
    /// Whether the side's Finished went by (application secrets from then on).
    application: bool,
    /// KeyUpdates seen since the application secret was taken.
    updates: usize,
    seq: u64,
    /// Why records can no longer be opened: once one fails, the sequence is lost.
    failed: Option<String>,
    /// How far the handshake bytes were scanned for Finished and KeyUpdate.
    scanned: usize,
}

impl<'k> Keys13<'k> {
    fn new(
        dir: Direction,
        suite: Option<&'static SupportedCipherSuite>,
        client_random: Option<&'k [u8]>,
        secrets: &'k KeyLogSecrets,
    ) -> Self {
        Keys13 {
            dir,
            suite,
            client_random,
            secrets,
            current: None,
            application: false,
            updates: 0,
            seq: 0,
            failed: None,
            scanned: 0,
        }
    }

    /// The key log label of the secret this direction's next record is sealed with.
    fn label(&self) -> &'static str {
        match (self.dir, self.application) {
            (Direction::ClientToServer, false) => "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            (Direction::ServerToClient, false) => "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            (Direction::ClientToServer, true) => "CLIENT_TRAFFIC_SECRET_0",
            (Direction::ServerToClient, true) => "SERVER_TRAFFIC_SECRET_0",
        }
    }

    /// The secret, traffic keys and opener for the current stage, from the key log.
    fn load(&self) -> Result<(String, Secret, Tls13Decrypter), String> {
        let label = self.label();
        let suite = self
            .suite
            .filter(|s| s.is_tls13())
            .ok_or("the ServerHello names no TLS 1.3 suite spectls implements")?;
        let random = self
            .client_random
            .ok_or("no ClientHello.random to look the key log up by")?;
        if self.secrets.is_empty() {
            return Err("no key log".into());
        }
        let bytes = self
            .secrets
            .get(label, random)
            .ok_or_else(|| format!("no {label} for this connection in the key log"))?;
        let mut secret = Secret::from_bytes(suite.hash, bytes);
        for _ in 0..self.updates {
            secret = secret.next_traffic_secret().map_err(|e| e.to_string())?;
        }
        let name = match self.updates {
            0 => label.to_string(),
            n => format!(
                "{label} after {n} KeyUpdate{}",
                if n == 1 { "" } else { "s" }
            ),
        };
        let keys = secret.traffic_keys(suite.aead).map_err(|e| e.to_string())?;
        let opener =
            Tls13Decrypter::new(suite.aead, keys.key(), keys.iv()).map_err(|e| e.to_string())?;
        Ok((name, secret, opener))
    }

    /// Opens the next protected record of this direction.
    fn open(&mut self, record: &[u8]) -> OpenedRecord {
        let label = self.label().to_string();
        let fail = |secret: String, why: String| OpenedRecord {
            secret,
            result: Err(why),
        };
        if let Some(why) = &self.failed {
            return fail(label, why.clone());
        }
        if self.current.is_none() {
            match self.load() {
                Ok(c) => self.current = Some(c),
                Err(why) => {
                    self.failed = Some(why.clone());
                    return fail(label, why);
                }
            }
        }
        let Some((name, _, opener)) = &self.current else {
            return fail(label, "no traffic key".into());
        };
        let mut buf = record.to_vec();
        let mut scratch = Vec::new();
        match opener.open(self.seq, &mut buf, &mut scratch) {
            Ok(o) => {
                self.seq += 1;
                let content = buf.get(o.content).unwrap_or_default().to_vec();
                OpenedRecord {
                    secret: name.clone(),
                    result: Ok((o.typ, content)),
                }
            }
            Err(e) => {
                let why = format!("does not open under {name} (record {}): {e}", self.seq);
                self.failed = Some(why.clone());
                fail(name.clone(), why)
            }
        }
    }

    /// Looks at the handshake messages completed since the last call (the opened ones start at
    /// `from`): after Finished the application secret is next, after a KeyUpdate the next one.
    fn after_handshake(&mut self, hs: &[u8], from: usize) {
        self.scanned = self.scanned.max(from);
        while let Some(&[typ, l0, l1, l2]) = hs.get(self.scanned..self.scanned + 4) {
            let len = usize::from(l0) << 16 | usize::from(l1) << 8 | usize::from(l2);
            let end = self.scanned + 4 + len;
            if end > hs.len() {
                break;
            }
            let typ = HandshakeType::from_bytes(&[typ]).ok();
            if typ == Some(HandshakeType::Finished) && !self.application {
                self.application = true;
                self.current = None;
                self.seq = 0;
            } else if typ == Some(HandshakeType::KeyUpdate) && self.application {
                self.updates += 1;
                self.current = None;
                self.seq = 0;
            }
            self.scanned = end;
        }
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
            Event::Sealed { record, bytes, .. } => (record.to_vec(), *bytes),
            Event::Message13 { message, bytes, .. } => (message.to_vec(), *bytes),
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
            Event::Message { message, .. } => indent(&mut out, &format!("{message:#?}")),
            Event::Message13 { message, .. } => indent(&mut out, &format!("{message:#?}")),
            Event::Sealed {
                dir,
                record,
                opened,
                ..
            } => {
                let len = record.encrypted_record.len();
                match opened {
                    Err(why) => out.push_str(&format!(
                        "{}: protected record, {len} bytes, not opened: {why}\n",
                        dir.arrow()
                    )),
                    Ok(inner) => {
                        out.push_str(&format!(
                            "{}: protected record, {len} bytes, opened with {}: {:?}, {} bytes\n",
                            dir.arrow(),
                            inner.secret,
                            inner.typ,
                            inner.content.len()
                        ));
                        render_content(&mut out, inner);
                    }
                }
            }
        }
    }
    out
}

/// Writes `text` indented under its record line.
fn indent(out: &mut String, text: &str) {
    for line in text.lines() {
        out.push_str("    ");
        out.push_str(line);
        out.push('\n');
    }
}

/// The inside of an opened record other than handshake messages (those are events of their
/// own): an alert decoded, application data as text when it is short UTF-8.
fn render_content(out: &mut String, inner: &Unsealed<'_>) {
    match inner.typ {
        ContentType::Alert => match Alert::from_bytes(inner.content) {
            Ok(alert) => indent(out, &format!("{alert:?}")),
            Err(e) => indent(out, &format!("undecodable alert: {e}")),
        },
        ContentType::ApplicationData => match std::str::from_utf8(inner.content) {
            Ok(text) if text.len() <= 80 => indent(out, &format!("{text:?}")),
            _ => {}
        },
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::{certs_from_pem, private_key_from_pem, RootCertStore};
    use crate::version::TLS12;
    use crate::wire::NamedCurve;
    use crate::wire::HELLO_RETRY_REQUEST;
    use crate::{ClientConfig, ClientConnection, ConnectionCommon, ServerConfig, ServerConnection};
    use std::io::{Read, Write};
    use std::sync::Arc;

    const CA: &[u8] = include_bytes!("../tests/data/certs/ca.pem");
    const CHAIN: &[u8] = include_bytes!("../tests/data/certs/server-ecdsa.pem");
    const KEY: &[u8] = include_bytes!("../tests/data/certs/server-ecdsa.key");

    /// A client and server connection of `version`, the server taking only `groups`, and the
    /// client's key log.
    fn pair(
        version: ProtocolVersion,
        groups: &[NamedCurve],
    ) -> (ClientConnection, ServerConnection, Arc<MemoryKeyLog>) {
        let key_log = Arc::new(MemoryKeyLog::default());
        let roots = RootCertStore::from_pem(CA).unwrap();
        let client = ClientConfig::builder()
            .with_root_certificates(roots)
            .with_protocol_versions(std::slice::from_ref(&version))
            .with_key_log(key_log.clone())
            .build()
            .unwrap();
        let server = ServerConfig::builder()
            .with_single_cert(
                certs_from_pem(CHAIN).unwrap(),
                private_key_from_pem(KEY).unwrap(),
            )
            .unwrap()
            .with_protocol_versions(&[version])
            .with_groups(groups)
            .build()
            .unwrap();
        let c = ClientConnection::new(Arc::new(client), "localhost".try_into().unwrap()).unwrap();
        let s = ServerConnection::new(Arc::new(server)).unwrap();
        (c, s, key_log)
    }

    /// Moves what `from` has queued to `to`, recording it as one chunk.
    fn send(
        cap: &mut Capture,
        dir: Direction,
        from: &mut ConnectionCommon,
        to: &mut ConnectionCommon,
    ) {
        let mut bytes = Vec::new();
        while from.wants_write() {
            from.write_tls(&mut bytes).unwrap();
        }
        if bytes.is_empty() {
            return;
        }
        let mut input = bytes.as_slice();
        while !input.is_empty() {
            to.read_tls(&mut input).unwrap();
            to.process_new_packets().unwrap();
        }
        cap.chunks.push((dir, bytes));
    }

    /// Runs the handshake, one message each way, a KeyUpdate from the client if `key_update`,
    /// and close_notify both ways; returns the recorded bytes.
    fn converse(c: &mut ClientConnection, s: &mut ServerConnection, key_update: bool) -> Capture {
        let mut cap = Capture::default();
        for _ in 0..5 {
            send(&mut cap, Direction::ClientToServer, c, s);
            send(&mut cap, Direction::ServerToClient, s, c);
        }
        assert!(!c.is_handshaking() && !s.is_handshaking());
        c.writer().write_all(b"ping").unwrap();
        send(&mut cap, Direction::ClientToServer, c, s);
        if key_update {
            c.refresh_traffic_keys().unwrap();
            c.writer().write_all(b"after the update").unwrap();
            send(&mut cap, Direction::ClientToServer, c, s);
            // The server answers update_requested with its own KeyUpdate.
            s.writer().write_all(b"updated too").unwrap();
            send(&mut cap, Direction::ServerToClient, s, c);
        }
        let mut got = Vec::new();
        let _ = s.reader().read_to_end(&mut got);
        s.writer().write_all(b"pong").unwrap();
        send(&mut cap, Direction::ServerToClient, s, c);
        c.send_close_notify();
        send(&mut cap, Direction::ClientToServer, c, s);
        s.send_close_notify();
        send(&mut cap, Direction::ServerToClient, s, c);
        cap
    }

    /// Opened records other than handshake: the secret, the content type, the content.
    type Contents = Vec<(String, ContentType, Vec<u8>)>;

    /// The handshake messages of a flow as `dir type`, and the opened non-handshake contents.
    fn summary(events: &[Event<'_>]) -> (Vec<String>, Contents) {
        let mut messages = Vec::new();
        let mut contents = Vec::new();
        for e in events {
            match e {
                Event::Message13 { dir, message, .. } => {
                    messages.push(format!("{} {:?}", dir.arrow(), message.selector()))
                }
                Event::Sealed {
                    opened: Ok(inner), ..
                } if inner.typ != ContentType::Handshake => {
                    contents.push((inner.secret.to_string(), inner.typ, inner.content.to_vec()))
                }
                _ => {}
            }
        }
        (messages, contents)
    }

    const C2S: &str = "client -> server";
    const S2C: &str = "server -> client";

    #[test]
    fn tls13_flow_is_opened_with_the_key_log() {
        let (mut c, mut s, key_log) = pair(TLS13, &[NamedCurve::X25519]);
        let cap = converse(&mut c, &mut s, false);
        let mut flow = Flow::new(&cap).with_key_log(key_log.secrets());
        assert_eq!(flow.negotiated_version(), Some(TLS13));
        let events = flow.events().unwrap();
        let n = check_round_trip(&events).unwrap();
        // Every byte on the wire belongs to one record event.
        let framed: usize = events
            .iter()
            .map(|e| match e {
                Event::Record { bytes, .. } | Event::Sealed { bytes, .. } => bytes.len(),
                _ => 0,
            })
            .sum();
        let total: usize = cap.chunks.iter().map(|(_, b)| b.len()).sum();
        assert_eq!(framed, total);
        assert!(n > 10);
        let (messages, contents) = summary(&events);
        assert_eq!(
            messages,
            [
                format!("{C2S} ClientHello"),
                format!("{S2C} ServerHello"),
                format!("{S2C} EncryptedExtensions"),
                format!("{S2C} Certificate"),
                format!("{S2C} CertificateVerify"),
                format!("{S2C} Finished"),
                format!("{C2S} Finished"),
                // The default server's two stateful tickets, from its session cache.
                format!("{S2C} NewSessionTicket"),
                format!("{S2C} NewSessionTicket"),
            ]
        );
        let close = Alert {
            level: crate::wire::AlertLevel::Warning,
            description: crate::wire::AlertDescription::CloseNotify,
        }
        .to_vec();
        assert_eq!(
            contents,
            [
                (
                    "CLIENT_TRAFFIC_SECRET_0".into(),
                    ContentType::ApplicationData,
                    b"ping".to_vec()
                ),
                (
                    "SERVER_TRAFFIC_SECRET_0".into(),
                    ContentType::ApplicationData,
                    b"pong".to_vec()
                ),
                (
                    "CLIENT_TRAFFIC_SECRET_0".into(),
                    ContentType::Alert,
                    close.clone()
                ),
                ("SERVER_TRAFFIC_SECRET_0".into(), ContentType::Alert, close),
            ]
        );
        // The decrypted Certificate is the server's chain, and Finished has the suite's hash length.
        let chain = certs_from_pem(CHAIN).unwrap();
        for e in &events {
            if let Event::Message13 { message, .. } = e {
                match message {
                    tls13::Handshake::Certificate(cert) => {
                        assert_eq!(cert.certificate_list.len(), chain.len());
                    }
                    tls13::Handshake::Finished(f) => assert_eq!(f.verify_data.len(), 32),
                    _ => {}
                }
            }
        }
        let text = render(&events);
        assert!(
            text.contains("opened with SERVER_HANDSHAKE_TRAFFIC_SECRET: Handshake"),
            "{text}"
        );
        assert!(text.contains("\"pong\""), "{text}");
    }

    #[test]
    fn hello_retry_request_and_key_update_are_followed() {
        // The client's one share is X25519; a server taking only P-256 asks for another.
        let (mut c, mut s, key_log) = pair(TLS13, &[NamedCurve::Secp256r1]);
        let cap = converse(&mut c, &mut s, true);
        assert_eq!(c.negotiated_group(), Some(NamedCurve::Secp256r1));
        let mut flow = Flow::new(&cap).with_key_log(key_log.secrets());
        let events = flow.events().unwrap();
        check_round_trip(&events).unwrap();
        let hrr = events.iter().find_map(|e| match e {
            Event::Message13 {
                message: tls13::Handshake::ServerHello(sh),
                ..
            } => Some(sh.random.to_vec()),
            _ => None,
        });
        assert_eq!(hrr.as_deref(), Some(&HELLO_RETRY_REQUEST[..]));
        let (messages, contents) = summary(&events);
        assert_eq!(
            messages[..6],
            [
                format!("{C2S} ClientHello"),
                format!("{S2C} ServerHello"),
                format!("{C2S} ClientHello"),
                format!("{S2C} ServerHello"),
                format!("{S2C} EncryptedExtensions"),
                format!("{S2C} Certificate"),
            ]
        );
        assert!(
            messages.contains(&format!("{C2S} KeyUpdate")),
            "{messages:?}"
        );
        assert!(
            messages.contains(&format!("{S2C} KeyUpdate")),
            "{messages:?}"
        );
        let data: Vec<(String, Vec<u8>)> = contents
            .into_iter()
            .filter(|(_, typ, _)| *typ == ContentType::ApplicationData)
            .map(|(secret, _, content)| (secret, content))
            .collect();
        assert_eq!(
            data,
            [
                ("CLIENT_TRAFFIC_SECRET_0".into(), b"ping".to_vec()),
                (
                    "CLIENT_TRAFFIC_SECRET_0 after 1 KeyUpdate".into(),
                    b"after the update".to_vec()
                ),
                (
                    "SERVER_TRAFFIC_SECRET_0 after 1 KeyUpdate".into(),
                    b"updated too".to_vec()
                ),
                (
                    "SERVER_TRAFFIC_SECRET_0 after 1 KeyUpdate".into(),
                    b"pong".to_vec()
                ),
            ]
        );
    }

    /// The reasons records were not opened for, in order.
    fn failures(events: &[Event<'_>]) -> Vec<String> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::Sealed {
                    opened: Err(why), ..
                } => Some(why.to_string()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn without_the_right_secrets_records_stay_sealed() {
        let (mut c, mut s, key_log) = pair(TLS13, &[NamedCurve::X25519]);
        let cap = converse(&mut c, &mut s, false);

        // No key log: only the hellos are decoded, every protected record says why.
        let mut flow = Flow::new(&cap);
        let events = flow.events().unwrap();
        check_round_trip(&events).unwrap();
        assert_eq!(
            summary(&events).0,
            [format!("{C2S} ClientHello"), format!("{S2C} ServerHello")]
        );
        let why = failures(&events);
        assert!(
            !why.is_empty() && why.iter().all(|w| w == "no key log"),
            "{why:?}"
        );

        // A wrong secret: the first server record fails to authenticate, and so do the rest.
        let real = key_log.secrets();
        let mut wrong = KeyLogSecrets::default();
        for (label, random, secret) in &real.entries {
            let mut secret = secret.clone();
            if label == "SERVER_HANDSHAKE_TRAFFIC_SECRET" {
                secret[0] ^= 1;
            }
            wrong.add(label, random, &secret);
        }
        let mut flow = Flow::new(&cap).with_key_log(wrong);
        let events = flow.events().unwrap();
        let why = failures(&events);
        assert!(
            why.iter().all(|w| w
                .starts_with("does not open under SERVER_HANDSHAKE_TRAFFIC_SECRET (record 0): ")),
            "{why:?}"
        );
        // The client's records still open: its Finished is decoded.
        assert!(summary(&events).0.contains(&format!("{C2S} Finished")));

        // Another connection's key log: nothing for this client random.
        let (mut c2, mut s2, other) = pair(TLS13, &[NamedCurve::X25519]);
        converse(&mut c2, &mut s2, false);
        let mut flow = Flow::new(&cap).with_key_log(other.secrets());
        let why = failures(&flow.events().unwrap());
        assert!(
            why.contains(
                &"no SERVER_HANDSHAKE_TRAFFIC_SECRET for this connection in the key log"
                    .to_string()
            ),
            "{why:?}"
        );
    }

    #[test]
    fn tls12_flows_are_unchanged_by_a_key_log() {
        let (mut c, mut s, key_log) = pair(TLS12, &[NamedCurve::X25519]);
        let cap = converse(&mut c, &mut s, false);
        let mut flow = Flow::new(&cap).with_key_log(key_log.secrets());
        assert_eq!(flow.negotiated_version(), Some(TLS12));
        let events = flow.events().unwrap();
        check_round_trip(&events).unwrap();
        assert!(events.iter().any(|e| matches!(e, Event::Protected { .. })));
        assert!(!events
            .iter()
            .any(|e| matches!(e, Event::Sealed { .. } | Event::Message13 { .. })));
    }

    #[test]
    fn captures_and_key_logs_written_as_text_decode_the_same() {
        let (mut c, mut s, key_log) = pair(TLS13, &[NamedCurve::X25519]);
        let mut cap = converse(&mut c, &mut s, false);
        cap.header.push(("scenario".into(), "in memory".into()));
        let secrets = key_log.secrets();
        // TLS 1.3: five secrets (RFC 8446 7.1 and the NSS labels), all for one client random.
        assert_eq!(secrets.len(), 5);
        let text = cap.to_text();
        assert!(text.starts_with("# spectls capture v1\n# scenario: in memory\nc2s 16"));
        let reread = Capture::parse(&text).unwrap();
        assert_eq!(reread.chunks, cap.chunks);
        assert_eq!(reread.header("scenario"), Some("in memory"));
        let rekeyed = KeyLogSecrets::parse(&secrets.to_text()).unwrap();
        let original = render(&Flow::new(&cap).with_key_log(secrets).events().unwrap());
        let again = render(&Flow::new(&reread).with_key_log(rekeyed).events().unwrap());
        assert_eq!(original, again);
        assert!(again.contains("certificate_verify("), "{again}");
    }

    #[test]
    fn key_log_text_round_trips_through_the_parser() {
        let text =
            "# a comment\n\nCLIENT_HANDSHAKE_TRAFFIC_SECRET 0102 a0b1\nEXPORTER_SECRET 0102 ff\n";
        let secrets = KeyLogSecrets::parse(text).unwrap();
        assert_eq!(secrets.len(), 2);
        assert_eq!(
            secrets.get("CLIENT_HANDSHAKE_TRAFFIC_SECRET", &[1, 2]),
            Some(&[0xa0, 0xb1][..])
        );
        assert_eq!(
            secrets.get("CLIENT_HANDSHAKE_TRAFFIC_SECRET", &[1, 3]),
            None
        );
        // Debug names the labels, never the secrets.
        assert_eq!(
            format!("{secrets:?}"),
            r#"["CLIENT_HANDSHAKE_TRAFFIC_SECRET", "EXPORTER_SECRET"]"#
        );
        for bad in ["LABEL 0102", "LABEL 01 02 03", "LABEL 0g 00"] {
            assert_eq!(
                KeyLogSecrets::parse(bad).unwrap_err(),
                FormatError("key log line 1: expected `LABEL HEX HEX`".into()),
                "{bad}"
            );
        }
    }
}
