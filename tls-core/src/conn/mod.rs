//! The sans-IO connection: bytes in (`read_tls`), bytes out (`write_tls`), plaintext through
//! `reader()`/`writer()`, and `process_new_packets` in between, as in rustls.
//!
//! All input is parsed by generated code before any state changes; the first error is sticky:
//! it is returned from then on, and the alert it calls for is queued for `write_tls`.

mod early;
mod plaintext;
mod recv_buf;
mod sides;
pub(crate) mod stream;
mod unbuffered;

pub use early::{ReadEarlyData, WriteEarlyData};
pub(crate) use plaintext::io_error;
pub use plaintext::{Reader, Writer};
use recv_buf::RecvBuf;
pub use sides::{ClientConnection, ServerConnection};
pub use unbuffered::InPlaceRead;

use crate::codec::{Codec, Encode};
use crate::config::{ClientConfig, ServerConfig};
use crate::crypto::transcript::Transcript;
use crate::error::{Error, PeerMisbehaved};
use crate::handshake::client::{self, ClientHandshake};
use crate::handshake::server::{self, ServerHandshake};
use crate::handshake::{Context, EarlyData, EarlyState, Exporter, Input, InputKind, Negotiated};
use crate::record::{HandshakeJoiner, RecordReader, RecordWriter, MAX_CIPHERTEXT, MAX_PLAINTEXT};
use crate::version::TLS13;
use crate::wire::{
    tls12::Handshake, tls13, Alert, AlertDescription, AlertLevel, CertificateType,
    ChangeCipherSpec, CipherSuite, ContentType, KeyExchangeAlgorithm, NamedCurve, ProtocolVersion,
    PublicValueEncoding, SignatureScheme,
};
use pki_types::CertificateDer;
use std::io;
use std::sync::Arc;

/// Plaintext we buffer for the application before we stop reading from the network:
/// `wants_read()` is false while this much is unread. Four full records: enough to keep a bulk
/// transfer streaming, small enough that an application that does not read bounds our memory.
/// (`process_new_packets` still opens what is already in the receive buffer, so the buffer can
/// exceed this by at most that much.)
const MAX_PLAINTEXT_BUFFER: usize = 64 * 1024;
/// Encrypted input we buffer before asking the caller to call `process_new_packets`: two whole
/// records of the largest size (RFC 5246 6.2.3: 2^14 + 2048 bytes, plus the 5-byte header), so a
/// record that straddles two reads always fits. `read_tls` returns an error while it is full.
pub(super) const MAX_RECEIVE_BUFFER: usize = 2 * (MAX_CIPHERTEXT + 5);
/// Empty application data records we accept in a row. RFC 5246 6.2.1 allows them (some stacks
/// send one before each record as a BEAST countermeasure), but a peer can send them without end
/// to make us spend CPU on AEAD opens that deliver nothing. 32 is OpenSSL's and rustls' limit;
/// the next one is `PeerMisbehaved::TooManyEmptyRecords` (`unexpected_message`). Only a record
/// that delivers something (non-empty application data, handshake, ChangeCipherSpec) resets
/// the count.
const MAX_EMPTY_RECORDS_IN_A_ROW: usize = 32;
/// Warning alerts other than close_notify we accept in a row. They are informational in TLS 1.2
/// (we ignore them), so a stream of them only burns CPU; a real peer sends one now and then
/// (e.g. `no_renegotiation`). The next one is `PeerMisbehaved::TooManyWarningAlerts`
/// (`unexpected_message`). 4 is BoringSSL's limit (BoGo's `SendWarningAlerts-TooMany` sends 5);
/// OpenSSL's is 5. Reset as for empty records.
const MAX_WARNING_ALERTS_IN_A_ROW: usize = 4;
/// Renegotiation requests refused in a row. Each HelloRequest (to a client) or ClientHello (to a
/// server) after the handshake is answered with a `no_renegotiation` warning; a peer sending
/// them without reading would make our output grow without end. The next one is
/// `PeerMisbehaved::TooManyRenegotiationRequests` (`unexpected_message`). Only application data
/// resets the count.
const MAX_RENEGOTIATIONS_REFUSED_IN_A_ROW: usize = 8;
/// TLS 1.3 post-handshake messages (NewSessionTicket, KeyUpdate) we take in a row without
/// application data in between: a peer that sends them without end would make us derive keys
/// and answer KeyUpdates without end. Servers send a few tickets (OpenSSL 2, rustls 2 to 4);
/// the next one is `TooManyRenegotiationRequests` (`unexpected_message`).
const MAX_POST_HANDSHAKE_MESSAGES_IN_A_ROW: usize = 32;

/// The configuration a connection was made with, kept for cleanup when the state machine is
/// not around (it is taken out while it runs).
enum SideConfig {
    Client(Arc<ClientConfig>, String),
    Server(Arc<ServerConfig>),
}

enum Machine {
    Client(Arc<ClientConfig>, ClientHandshake),
    Server(Arc<ServerConfig>, ServerHandshake),
}

/// What both sides have: the record layer, buffers, negotiated parameters. `ClientConnection`
/// and `ServerConnection` dereference to it.
pub struct ConnectionCommon {
    machine: Option<Machine>,
    machine_config: Option<SideConfig>,
    writer: RecordWriter,
    reader: RecordReader,
    joiner: HandshakeJoiner,
    transcript: Transcript,
    negotiated: Negotiated,
    pending_read: Option<crate::handshake::ReadKeys>,
    handshake_done: bool,
    /// Set when the handshake completes: what RFC 5705 exports need (the master secret, wiped
    /// when the connection is dropped, and the randoms).
    exporter: Option<Exporter>,
    /// Received, not yet processed TLS bytes.
    rx: RecvBuf,
    /// The receive buffer was given back once the handshake was over.
    rx_released: bool,
    /// TLS bytes waiting for `write_tls`.
    tx: Vec<u8>,
    /// How much of `tx` was already written.
    tx_sent: usize,
    /// Decrypted application data waiting for `reader()`.
    /// Application data written before the handshake finished.
    early_out: Vec<u8>,
    error: Option<Error>,
    /// The peer sent close_notify.
    peer_closed: bool,
    /// The transport reported end of file.
    transport_eof: bool,
    sent_close_notify: bool,
    /// Empty application data records since the last record that delivered something.
    empty_records_in_a_row: usize,
    /// Warning alerts (not close_notify) since the last record that delivered something.
    warnings_in_a_row: usize,
    /// Renegotiation requests refused since the last application data.
    renegotiations_refused_in_a_row: usize,
    /// While a handshake message runs: more handshake data is buffered after it.
    trailing_handshake: bool,
    /// 0-RTT data, sent (client) or received (server).
    early: EarlyData,
}

/// Counts from one `process_new_packets` call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IoState {
    /// TLS bytes waiting to be written.
    pub tls_bytes_to_write: usize,
    /// Plaintext bytes waiting to be read.
    pub plaintext_bytes_to_read: usize,
    /// The peer closed the connection cleanly (close_notify).
    pub peer_has_closed: bool,
}

impl ConnectionCommon {
    fn new(machine: Machine, max_certificate_list_size: usize) -> Self {
        ConnectionCommon {
            machine_config: None,
            machine: Some(machine),
            writer: RecordWriter::new(),
            reader: RecordReader::new(),
            joiner: HandshakeJoiner::new(max_certificate_list_size),
            transcript: Transcript::new(),
            negotiated: Negotiated::default(),
            pending_read: None,
            handshake_done: false,
            exporter: None,
            rx: RecvBuf::default(),
            rx_released: false,
            tx: Vec::new(),
            tx_sent: 0,
            early_out: Vec::new(),
            error: None,
            peer_closed: false,
            transport_eof: false,
            sent_close_notify: false,
            empty_records_in_a_row: 0,
            warnings_in_a_row: 0,
            renegotiations_refused_in_a_row: 0,
            trailing_handshake: false,
            early: EarlyData::default(),
        }
    }

    fn context(&mut self) -> (Option<Machine>, Context<'_>) {
        let machine = self.machine.take();
        let cx = Context {
            writer: &mut self.writer,
            reader: &mut self.reader,
            tx: &mut self.tx,
            transcript: &mut self.transcript,
            negotiated: &mut self.negotiated,
            pending_read: &mut self.pending_read,
            handshake_done: &mut self.handshake_done,
            exporter: &mut self.exporter,
            trailing_handshake: self.trailing_handshake,
            early: &mut self.early,
        };
        (machine, cx)
    }

    /// Reads TLS bytes from `rd` (one read call). Returns 0 at end of stream, and without reading
    /// once the peer sent close_notify.
    pub fn read_tls(&mut self, rd: &mut dyn io::Read) -> io::Result<usize> {
        if self.peer_closed {
            // As rustls: after close_notify there is nothing more to read (and what the peer
            // sends anyway is not taken in).
            return Ok(0);
        }
        if self.rx.unread_len() >= MAX_PLAINTEXT_BUFFER {
            // As rustls does: a caller that ignores wants_read() must not make us buffer
            // without bound; it has to read the plaintext first.
            return Err(io::Error::other(
                "received plaintext buffer full: read it with reader()",
            ));
        }
        if self.rx.unprocessed_len() >= MAX_RECEIVE_BUFFER {
            return Err(io::Error::other(
                "receive buffer full: call process_new_packets",
            ));
        }
        let result = rd.read(self.rx.spare());
        let n = *result.as_ref().unwrap_or(&0);
        self.rx.filled(n);
        if let Ok(0) = result {
            self.transport_eof = true;
        }
        result
    }

    /// Writes queued TLS bytes to `wr` (one write call).
    pub fn write_tls(&mut self, wr: &mut dyn io::Write) -> io::Result<usize> {
        let pending = self.tx.get(self.tx_sent..).unwrap_or_default();
        if pending.is_empty() {
            return Ok(0);
        }
        // An offset, not a drain: a transport taking a little at a time must not make us move
        // the rest of a large buffer on every call.
        let n = wr.write(pending)?;
        self.tx_sent = self.tx_sent.saturating_add(n).min(self.tx.len());
        if self.tx_sent == self.tx.len() {
            self.tx.clear();
            self.tx_sent = 0;
            if self.tx.capacity() > 4 * (MAX_CIPHERTEXT + 5) {
                // A big write's buffer is not kept for the life of the connection.
                self.tx = Vec::new();
            }
        }
        Ok(n)
    }

    /// Whether we want TLS bytes from the peer.
    pub fn wants_read(&self) -> bool {
        self.error.is_none()
            && !self.peer_closed
            && !self.transport_eof
            && self.rx.unread_len() < MAX_PLAINTEXT_BUFFER
            && self.rx.unprocessed_len() < MAX_RECEIVE_BUFFER
    }

    /// Whether there are TLS bytes to write.
    pub fn wants_write(&self) -> bool {
        self.tx.len() > self.tx_sent
    }

    /// Whether the handshake is still going on.
    pub fn is_handshaking(&self) -> bool {
        !self.handshake_done
    }

    /// Processes every complete record received so far. Errors are sticky: after one, this keeps
    /// returning it, and the alert it calls for is queued for `write_tls`.
    pub fn process_new_packets(&mut self) -> Result<IoState, Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let mut result = self.process_records();
        if result.is_ok() && self.transport_eof && !self.handshake_done {
            // The transport ended mid-handshake: what is left can never complete. (After the
            // handshake, EOF without close_notify is the reader's `UnexpectedEof` instead.)
            result = Err(Error::UnexpectedEof);
        }
        if let Err(e) = &result {
            self.fail(e.clone());
        }
        result?;
        Ok(IoState {
            tls_bytes_to_write: self.tx.len() - self.tx_sent,
            plaintext_bytes_to_read: self.rx.unread_len(),
            peer_has_closed: self.peer_closed,
        })
    }

    /// RFC 5246 7.2: a connection that ends with a fatal alert, sent or received, must not be
    /// resumed; both sides forget its session.
    fn forget_session(&self) {
        match &self.machine_config {
            Some(SideConfig::Client(config, key)) => config.session_storage.remove(key),
            Some(SideConfig::Server(config)) if !self.negotiated.session_id.is_empty() => {
                config.session_storage.remove(&self.negotiated.session_id)
            }
            _ => {}
        }
    }

    fn fail(&mut self, e: Error) {
        self.forget_session();
        // Half a flight is not sent: only the alert.
        self.writer.discard_pending();
        if let Some(desc) = e.alert() {
            let alert = Alert {
                level: AlertLevel::Fatal,
                description: desc,
            };
            // Best effort: if even this fails there is nothing more to tell the peer.
            let _ = self
                .writer
                .write(ContentType::Alert, &alert.to_vec(), &mut self.tx);
        }
        self.error = Some(e);
    }

    fn process_records(&mut self) -> Result<(), Error> {
        // Taken out for the loop so a record's bytes can be handed to the handlers without
        // copying them; nothing below touches `self.rx`.
        let mut rx = std::mem::take(&mut self.rx);
        let mut pos = 0;
        let result = loop {
            // RFC 5246 7.2.1: nothing after close_notify is acted on (not even in a later call).
            if self.peer_closed {
                pos = rx.unprocessed_len();
                break Ok(());
            }
            let input = rx.data_mut().get_mut(pos..).unwrap_or_default();
            let rec = match self.reader.read(input) {
                Ok(Some(rec)) => rec,
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            };
            let base = pos;
            pos += rec.consumed;
            if rec.skipped {
                match self.check_skipped_record() {
                    Ok(()) => continue,
                    Err(e) => break Err(e),
                }
            }
            let range = base + rec.plaintext.start..base + rec.plaintext.end;
            let data = rx.data().get(range.clone()).unwrap_or_default();
            match self.handle_record(rec.typ, data, rec.unprotected) {
                // Served to `reader()` from where it was decrypted: no copy.
                Ok(true) => rx.keep_unread(range),
                Ok(false) => {}
                Err(e) => break Err(e),
            }
            if self.error.is_some() {
                break Ok(());
            }
        };
        rx.consume(pos);
        if self.handshake_done && !self.rx_released {
            // The handshake's receive buffer is not kept for an idle connection.
            rx.release_if_empty();
            self.rx_released = true;
        }
        self.rx = rx;
        result
    }

    /// A 0-RTT record the record layer skipped (refused early data) is dropped, but not between
    /// the fragments of a handshake message: RFC 8446 5.1 allows no other record there, skipped
    /// 0-RTT data no more than any other.
    fn check_skipped_record(&self) -> Result<(), Error> {
        if self.joiner.is_empty() {
            return Ok(());
        }
        Err(Error::UnexpectedMessage {
            state: "record layer",
            got: "record of content type 23 (0-RTT data) inside a fragmented handshake message"
                .into(),
            expected: "the rest of the handshake message".into(),
        })
    }

    /// Handles one record's plaintext. `Ok(true)`: it is application data for the reader.
    fn handle_record(
        &mut self,
        typ: ContentType,
        data: &[u8],
        unprotected: bool,
    ) -> Result<bool, Error> {
        let tls13 = self.negotiated.version == Some(TLS13);
        // RFC 5246 6.2.1: no other record type inside a fragmented handshake message.
        if typ != ContentType::Handshake && !self.joiner.is_empty() {
            return Err(Error::PeerMisbehaved(
                PeerMisbehaved::HandshakeFragmentation,
            ));
        }
        match typ {
            ContentType::ApplicationData => {
                if !self.handshake_done {
                    if self.early.state == EarlyState::Receiving {
                        // 0-RTT data (RFC 8446 4.2.10), kept apart from the 1-RTT data.
                        self.early.receive(data)?;
                        return Ok(false);
                    }
                    return Err(self.unexpected("application data"));
                }
                // Empty application data records are allowed (RFC 5246 6.2.1) and carry nothing;
                // a run of them is bounded.
                if data.is_empty() {
                    self.empty_records_in_a_row += 1;
                    if self.empty_records_in_a_row > MAX_EMPTY_RECORDS_IN_A_ROW {
                        return Err(Error::PeerMisbehaved(PeerMisbehaved::TooManyEmptyRecords));
                    }
                    return Ok(false);
                }
                self.empty_records_in_a_row = 0;
                self.warnings_in_a_row = 0;
                self.renegotiations_refused_in_a_row = 0;
                Ok(true)
            }
            ContentType::Alert => {
                if unprotected && self.handshake_done {
                    // RFC 8446 5: once keys are in use every alert is protected.
                    return Err(self.unexpected("unprotected alert"));
                }
                let alert = Alert::from_bytes(data)?;
                // RFC 8446 6: in TLS 1.3 every alert but close_notify and user_canceled is
                // fatal, whatever level it claims.
                let level = match alert.description {
                    AlertDescription::CloseNotify | AlertDescription::UserCanceled => alert.level,
                    _ if tls13 => AlertLevel::Fatal,
                    _ => alert.level,
                };
                match (level, alert.description) {
                    (_, AlertDescription::CloseNotify) => {
                        self.peer_closed = true;
                        if !self.handshake_done {
                            // The peer gave up before the handshake completed: nothing more
                            // will come, so waiting for the rest of it would never end.
                            return Err(Error::AlertReceived(AlertDescription::CloseNotify));
                        }
                        Ok(false)
                    }
                    (AlertLevel::Warning, _) => {
                        self.warnings_in_a_row += 1;
                        if self.warnings_in_a_row > MAX_WARNING_ALERTS_IN_A_ROW {
                            return Err(Error::PeerMisbehaved(
                                PeerMisbehaved::TooManyWarningAlerts,
                            ));
                        }
                        Ok(false)
                    }
                    (AlertLevel::Fatal, d) => Err(Error::AlertReceived(d)),
                }
            }
            ContentType::ChangeCipherSpec if self.reader.is_tls13() && !unprotected => {
                // RFC 8446 5: a change_cipher_spec inside a protected record.
                Err(self.unexpected("protected ChangeCipherSpec"))
            }
            ContentType::ChangeCipherSpec if tls13 => {
                // D.4: the peer's compatibility record, allowed (and dropped) by the table in
                // the states before its Finished; a run of them is bounded as empty records are.
                ChangeCipherSpec::from_bytes(data).map_err(|_| {
                    self.unexpected("ChangeCipherSpec that is not the single byte 1")
                })?;
                self.empty_records_in_a_row += 1;
                if self.empty_records_in_a_row > MAX_EMPTY_RECORDS_IN_A_ROW {
                    return Err(Error::PeerMisbehaved(PeerMisbehaved::TooManyEmptyRecords));
                }
                self.run(Input::ChangeCipherSpec)?;
                Ok(false)
            }
            ContentType::ChangeCipherSpec => {
                // RFC 8446 5 (and OpenSSL in TLS 1.2): anything but the one byte 0x01 is an
                // unexpected message, not a malformed one.
                ChangeCipherSpec::from_bytes(data).map_err(|_| {
                    self.unexpected("ChangeCipherSpec that is not the single byte 1")
                })?;
                self.empty_records_in_a_row = 0;
                self.warnings_in_a_row = 0;
                self.run(Input::ChangeCipherSpec)?;
                Ok(false)
            }
            ContentType::Handshake => {
                if data.is_empty() {
                    return Err(Error::UnexpectedMessage {
                        state: "record layer",
                        got: "empty handshake record".into(),
                        expected: "a handshake record of at least one byte".into(),
                    });
                }
                self.empty_records_in_a_row = 0;
                self.warnings_in_a_row = 0;
                self.joiner.push(data);
                // The state must allow the message's type (read from its 4-byte header) before
                // its body is waited for or decoded: out of place is `unexpected_message`,
                // whatever the body holds.
                while let Some(header) =
                    self.joiner.header(self.negotiated.version == Some(TLS13))?
                {
                    self.check_allowed(InputKind::Handshake(header.msg_type))?;
                    let Some(n) = self.joiner.whole_len(&header)? else {
                        break;
                    };
                    if self.handshake_done {
                        // After the handshake every message is a renegotiation request, which
                        // the state machine refuses with a warning (TLS 1.2), or a ticket or
                        // KeyUpdate (TLS 1.3): bounded either way.
                        self.renegotiations_refused_in_a_row += 1;
                        let limit = if tls13 {
                            MAX_POST_HANDSHAKE_MESSAGES_IN_A_ROW
                        } else {
                            MAX_RENEGOTIATIONS_REFUSED_IN_A_ROW
                        };
                        if self.renegotiations_refused_in_a_row > limit {
                            return Err(Error::PeerMisbehaved(
                                PeerMisbehaved::TooManyRenegotiationRequests,
                            ));
                        }
                    }
                    let (answered_from, negotiating) = (self.tx.len(), !self.handshake_done);
                    let epoch = self.reader.epoch();
                    let joiner = std::mem::replace(&mut self.joiner, HandshakeJoiner::new(0));
                    self.trailing_handshake = joiner.bytes().len() > n;
                    let bytes = joiner.bytes().get(..n).unwrap_or_default();
                    let result = if self.negotiated.version == Some(TLS13) {
                        let hash_len = self.negotiated.suite.map(|s| s.hash.output_len());
                        tls13::Handshake::from_bytes(bytes, Some(CertificateType::X509), hash_len)
                            .map_err(Error::from)
                            .and_then(|msg| self.run(Input::Handshake13 { msg, bytes }))
                    } else {
                        Handshake::from_bytes(
                            bytes,
                            Some(KeyExchangeAlgorithm::EcDiffieHellman),
                            Some(PublicValueEncoding::Explicit),
                        )
                        .map_err(Error::from)
                        .and_then(|msg| self.run(Input::Handshake { msg, bytes }))
                    };
                    self.joiner = joiner;
                    self.joiner.consume(n);
                    result?;
                    // RFC 8446 5.1: handshake data must not straddle a key change; what follows
                    // the message that changed the keys was protected with the old ones.
                    if self.reader.epoch() != epoch && !self.joiner.is_empty() {
                        return Err(Error::UnexpectedMessage {
                            state: "record layer",
                            got: "handshake data in the record that changed the keys".into(),
                            expected: "the key change at a record boundary".into(),
                        });
                    }
                    // The handshake's flights alternate (RFC 5246 7.3): once we answered, more
                    // of the peer's handshake already in hand was sent before it could have
                    // seen our answer.
                    if negotiating && self.tx.len() > answered_from && !self.joiner.is_empty() {
                        return Err(Error::PeerMisbehaved(
                            PeerMisbehaved::HandshakeFragmentation,
                        ));
                    }
                }
                Ok(false)
            }
            // The record layer refuses the types only TLS 1.3 names before any record reaches
            // here (`RecordReader::read`); the same answer, should one ever get this far.
            ContentType::Invalid | ContentType::Heartbeat => Err(Error::UnexpectedMessage {
                state: "record layer",
                got: format!("record of content type {}", typ.value()),
                expected: "handshake, change_cipher_spec, alert or application_data".into(),
            }),
        }
    }

    /// Refuses an input the current state's rows of the transition table do not list.
    fn check_allowed(&self, kind: InputKind) -> Result<(), Error> {
        match &self.machine {
            Some(Machine::Client(_, s)) => s.allowed(kind),
            Some(Machine::Server(_, s)) => s.allowed(kind),
            None => Err(Error::ConnectionClosed),
        }
    }

    /// `unexpected_message` for `got` (a content type the current state does not take), with
    /// what the state's rows of the transition table expect.
    fn unexpected(&self, got: &str) -> Error {
        match &self.machine {
            Some(Machine::Client(_, s)) => s.unexpected(got),
            Some(Machine::Server(_, s)) => s.unexpected(got),
            None => Error::ConnectionClosed,
        }
    }

    fn run(&mut self, input: Input<'_>) -> Result<(), Error> {
        let was_done = self.handshake_done;
        let (machine, mut cx) = self.context();
        let machine = match machine {
            // The machine was taken out of `self` for the handler; on error it is dropped.
            Some(Machine::Client(config, state)) => {
                let state = client::handle(&config, state, input, &mut cx)?;
                Machine::Client(config, state)
            }
            Some(Machine::Server(config, state)) => {
                let state = server::handle(&config, state, input, &mut cx)?;
                Machine::Server(config, state)
            }
            None => return Err(Error::ConnectionClosed),
        };
        self.machine = Some(machine);
        // The handler's TLS 1.3 handshake messages, sealed together.
        self.writer.flush(&mut self.tx)?;
        if self.handshake_done && !was_done {
            if let Some(limit) = self.negotiated.peer_record_size_limit {
                self.writer.set_max_fragment(limit as usize);
            }
            let early = std::mem::take(&mut self.early_out);
            self.writer
                .write(ContentType::ApplicationData, &early, &mut self.tx)?;
        }
        Ok(())
    }

    /// Application data to send. Before the handshake completes it is buffered, except on a
    /// server that accepted 0-RTT data (see below).
    fn write_plaintext(&mut self, data: &[u8]) -> io::Result<usize> {
        if let Some(e) = &self.error {
            return Err(io::Error::other(e.clone()));
        }
        if self.sent_close_notify {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "close_notify already sent",
            ));
        }
        // A TLS 1.3 server that took the client's 0-RTT data may answer it at once, under its
        // application key (0.5-RTT data, RFC 8446 2.3): the answer reaches the client with our
        // flight instead of a round trip later.
        let half_rtt = matches!(
            self.early.state,
            EarlyState::Receiving | EarlyState::Received
        );
        if !self.handshake_done && !half_rtt {
            self.early_out.extend_from_slice(data);
            return Ok(data.len());
        }
        self.update_keys_if_due().map_err(io::Error::other)?;
        self.writer
            .write(ContentType::ApplicationData, data, &mut self.tx)
            .map_err(io::Error::other)?;
        Ok(data.len())
    }

    fn read_plaintext(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.rx.read_unread(buf);
        if n > 0 || (buf.is_empty() && self.rx.unread_len() > 0) {
            return Ok(n);
        }
        self.no_plaintext().map(|()| 0)
    }

    /// `Reader::fill_buf`: the next run of received plaintext, without copying it; or what
    /// `read_plaintext` says when there is none (an empty slice at the clean end).
    fn fill_plaintext(&mut self) -> io::Result<&[u8]> {
        if self.rx.unread_len() == 0 {
            self.no_plaintext()?;
        }
        Ok(self.rx.first_unread())
    }

    /// What a read finds when no plaintext is buffered: `Ok` at the clean end (close_notify),
    /// the connection's error, `UnexpectedEof` at a close without close_notify, or
    /// `WouldBlock`.
    fn no_plaintext(&self) -> io::Result<()> {
        // The error first: a close_notify before the handshake completed is one
        // (`AlertReceived(CloseNotify)`), and a connection that never got going did not end
        // cleanly. (Once close_notify arrived nothing more is processed, so no later error
        // hides a clean close.)
        if let Some(e) = &self.error {
            return Err(io_error(e.clone()));
        }
        if self.peer_closed {
            return Ok(());
        }
        if self.transport_eof {
            // RFC 5246 7.2.1: a close without close_notify may be a truncation attack.
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                Error::UnexpectedEof,
            ));
        }
        Err(io::ErrorKind::WouldBlock.into())
    }
}

impl ConnectionCommon {
    /// Queues a close_notify alert: we will send no more data.
    pub fn send_close_notify(&mut self) {
        if self.sent_close_notify || self.error.is_some() {
            return;
        }
        self.sent_close_notify = true;
        let alert = Alert {
            level: AlertLevel::Warning,
            description: AlertDescription::CloseNotify,
        };
        if let Err(e) = self.writer.close(&alert.to_vec(), &mut self.tx) {
            self.error = Some(e);
        }
    }

    /// The negotiated protocol version ([`TLS13`](crate::version::TLS13) or
    /// [`TLS12`](crate::version::TLS12)) once the ServerHello is known.
    pub fn protocol_version(&self) -> Option<ProtocolVersion> {
        self.negotiated.suite.and(self.negotiated.version.clone())
    }

    /// TLS 1.3: sends a KeyUpdate, so what we send from now on is under a new key, and asks the
    /// peer to update its own (RFC 8446 4.6.3). `ApiMisuse` before the handshake completes or
    /// on a TLS 1.2 connection.
    pub fn refresh_traffic_keys(&mut self) -> Result<(), Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        self.update_keys(true)
    }

    fn update_keys(&mut self, request: bool) -> Result<(), Error> {
        let (mut machine, mut cx) = self.context();
        let result = match &mut machine {
            Some(Machine::Client(_, s)) => s.update_keys(request, &mut cx),
            Some(Machine::Server(_, s)) => s.update_keys(request, &mut cx),
            None => Err(Error::ConnectionClosed),
        };
        self.machine = machine;
        result
    }

    /// RFC 8446 5.5: before our sending key has sealed as many records as its AEAD safely can
    /// (2^24.5 for AES-GCM), move to the next one with a KeyUpdate (not asking the peer to).
    pub(crate) fn update_keys_if_due(&mut self) -> Result<(), Error> {
        if self.writer.key_update_due() {
            self.update_keys(false)?;
        }
        Ok(())
    }

    /// The negotiated cipher suite.
    pub fn negotiated_cipher_suite(&self) -> Option<CipherSuite> {
        self.negotiated.suite.map(|s| s.suite)
    }

    /// The negotiated ECDHE group.
    pub fn negotiated_group(&self) -> Option<NamedCurve> {
        self.negotiated.group
    }

    /// The signature scheme the server signed its key exchange with.
    pub fn negotiated_signature_scheme(&self) -> Option<SignatureScheme> {
        self.negotiated.signature_scheme
    }

    /// The ALPN protocol agreed on, if any.
    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        self.negotiated.alpn.as_deref()
    }

    /// The peer's certificate chain (leaf first), once received and verified: the server's
    /// chain on a client, the client's identity on a server that asked for one.
    pub fn peer_certificates(&self) -> Option<&[CertificateDer<'static>]> {
        (!self.negotiated.peer_certificates.is_empty())
            .then_some(self.negotiated.peer_certificates.as_slice())
    }

    /// Whether this handshake resumed an earlier session (abbreviated handshake).
    pub fn is_resumed(&self) -> bool {
        self.negotiated.resumed
    }

    /// The OCSP response the server stapled (RFC 6066 8), as handed to the verifier.
    pub fn ocsp_response(&self) -> Option<&[u8]> {
        self.negotiated.ocsp_response.as_deref()
    }

    /// Whether the extended master secret (RFC 7627) is in use.
    pub fn extended_master_secret(&self) -> bool {
        self.negotiated.extended_master_secret
    }

    /// Keying material exported from the connection's secrets (RFC 5705 for TLS 1.2), as
    /// rustls' method of the same name: fills `output` from the master secret, `label` and
    /// `context`, and returns it. Both ends get the same bytes for the same arguments.
    ///
    /// `None` and `Some(&[])` are different contexts (RFC 5705 section 4 hashes the context's
    /// length only when there is one). Errors: `ApiMisuse` before the handshake is complete,
    /// for a label TLS reserves for itself ("client finished", "server finished", "master
    /// secret", "key expansion", "extended master secret") and for a context over 65535
    /// bytes; after a fatal error, that error.
    ///
    /// ```no_run
    /// # fn f(conn: &tls_core::ClientConnection) -> Result<(), tls_core::Error> {
    /// let key = conn.export_keying_material([0u8; 32], b"EXPORTER-my-protocol", None)?;
    /// # Ok(()) }
    /// ```
    pub fn export_keying_material<T: AsMut<[u8]>>(
        &self,
        mut output: T,
        label: &[u8],
        context: Option<&[u8]>,
    ) -> Result<T, Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        match (&self.exporter, self.handshake_done) {
            (Some(exporter), true) => {
                exporter.export(label, context, output.as_mut())?;
                Ok(output)
            }
            _ => Err(Error::ApiMisuse(
                "keying material can only be exported once the handshake is complete",
            )),
        }
    }

    /// Whether the peer signalled secure renegotiation (RFC 5746); we never renegotiate.
    pub fn secure_renegotiation(&self) -> bool {
        self.negotiated.secure_renegotiation
    }

    /// Drives the connection over blocking I/O until there is nothing left to do right now: the
    /// handshake completes (if running) and queued bytes are written. Returns (read, written).
    ///
    /// While the handshake is running this returns only once it completed, or with an error:
    /// a peer that closes, sends an alert or stops mid-handshake is an error (`UnexpectedEof`
    /// for a transport close or a close_notify, `InvalidData` for the rest), never `Ok((0, 0))`.
    pub fn complete_io<T: io::Read + io::Write>(
        &mut self,
        io: &mut T,
    ) -> io::Result<(usize, usize)> {
        let until_handshaked = self.is_handshaking();
        let (mut rd, mut wr) = (0, 0);
        loop {
            wr += self.flush_tls(io)?;
            if let Some(e) = &self.error {
                return Err(io_error(e.clone()));
            }
            if until_handshaked && !self.is_handshaking() {
                return Ok((rd, wr));
            }
            if !until_handshaked && rd + wr > 0 {
                return Ok((rd, wr));
            }
            if !self.wants_read() {
                if self.is_handshaking() {
                    // Unreachable by the invariant (a handshaking connection without an error
                    // always wants to read or write), kept so a broken invariant cannot spin.
                    return Err(io_error(Error::Internal(
                        "handshake neither reads, writes nor failed".into(),
                    )));
                }
                return Ok((rd, wr));
            }
            match self.read_tls(io) {
                Ok(n) => rd += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            // Also at end of stream: it turns a handshake cut short into `UnexpectedEof`.
            let processed = self.process_new_packets();
            if processed.is_err() {
                // Tell the peer why before giving up (best effort: it may be gone).
                let _ = self.flush_tls(io);
            }
            processed.map_err(io_error)?;
            if self.transport_eof {
                return Ok((rd, wr));
            }
        }
    }

    /// Writes everything queued to `io` and flushes it. A transport that takes nothing is an
    /// error (`WriteZero`), not a reason to try again forever.
    pub(crate) fn flush_tls(&mut self, io: &mut dyn io::Write) -> io::Result<usize> {
        let mut written = 0;
        while self.wants_write() {
            match self.write_tls(io) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        io.flush()?;
        Ok(written)
    }
}

/// Plaintext size limit re-exported for users sizing buffers.
pub const MAX_FRAGMENT_LEN: usize = MAX_PLAINTEXT;
