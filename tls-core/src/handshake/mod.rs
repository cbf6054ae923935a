//! The handshake: what the client and server state machines share. The inputs they take, the
//! [`table`]s that say which input each state allows and which handler runs it, the context
//! through which handlers send messages and install keys, and the [`negotiation`] checks both
//! sides make. Each side is a folder ([`client`], [`server`]) with one file per protocol
//! version's machine.

pub(crate) mod client;
pub(crate) mod negotiation;
pub(crate) mod server;
pub(crate) mod table;
pub(crate) mod tls13;

use crate::codec::Encode;
use crate::crypto::cipher::{RecordDecrypter, RecordEncrypter};
use crate::crypto::key_schedule::ExporterSecret;
use crate::crypto::prf::{self, KeyBlock, MasterSecret};
use crate::crypto::suites::SupportedCipherSuite;
use crate::crypto::transcript::Transcript;
use crate::error::{Error, PeerMisbehaved};
use crate::record::{RecordReader, RecordWriter};
use crate::wire::{
    tls12::Handshake, Alert, AlertDescription, AlertLevel, ChangeCipherSpec, ChangeCipherSpecType,
    ContentType, HandshakeType, NamedCurve, SignatureScheme,
};
use pki_types::CertificateDer;
use std::fmt;
use std::sync::Arc;
use table::Machine;

/// What a state machine is fed: a whole, decoded handshake message (decoded as TLS 1.2's or,
/// once TLS 1.3 is chosen, as TLS 1.3's), or a ChangeCipherSpec.
pub(crate) enum Input<'a> {
    Handshake {
        msg: Handshake<'a>,
        bytes: &'a [u8],
    },
    Handshake13 {
        msg: crate::wire::tls13::Handshake<'a>,
        bytes: &'a [u8],
    },
    ChangeCipherSpec,
}

impl<'a> Input<'a> {
    /// The encoded handshake message (empty for ChangeCipherSpec), as the transcript takes it.
    pub(crate) fn bytes(&self) -> &'a [u8] {
        match self {
            Input::Handshake { bytes, .. } | Input::Handshake13 { bytes, .. } => bytes,
            Input::ChangeCipherSpec => &[],
        }
    }

    /// The debug trace line of a received message (`side` is who received it).
    pub(crate) fn log(&self, side: &str) {
        match self {
            Input::Handshake { msg, .. } => log::debug!("{side} received {msg:?}"),
            Input::Handshake13 { msg, .. } => log::debug!("{side} received {msg:?}"),
            Input::ChangeCipherSpec => {}
        }
    }

    pub(crate) fn kind(&self) -> InputKind {
        match self {
            Input::Handshake { msg, .. } => InputKind::Handshake(msg.selector()),
            Input::Handshake13 { msg, .. } => InputKind::Handshake(msg.selector()),
            Input::ChangeCipherSpec => InputKind::ChangeCipherSpec,
        }
    }
}

/// What keying-material exports (RFC 5705, RFC 8446 7.5) are computed from.
// One per connection, kept for its life: boxing would add an allocation for no saving.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Exporter {
    /// TLS 1.2: the master secret and the randoms.
    Tls12(prf::Exporter),
    /// TLS 1.3: the exporter_master_secret.
    Tls13(ExporterSecret),
}

impl Exporter {
    /// Fills `out`. In TLS 1.3 no context and an empty one are the same (RFC 8446 7.5).
    pub(crate) fn export(
        &self,
        label: &[u8],
        context: Option<&[u8]>,
        out: &mut [u8],
    ) -> Result<(), Error> {
        match self {
            Exporter::Tls12(e) => e.export(label, context, out),
            Exporter::Tls13(e) => e.export(label, context.unwrap_or_default(), out),
        }
    }
}

/// The kind of an input (a handshake message type, or ChangeCipherSpec), as the transition
/// tables name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// A handshake message of this type.
    Handshake(HandshakeType),
    /// A ChangeCipherSpec record.
    ChangeCipherSpec,
}

impl fmt::Display for InputKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputKind::Handshake(t) => write!(f, "{t:?}"),
            InputKind::ChangeCipherSpec => f.write_str("ChangeCipherSpec"),
        }
    }
}

/// What has been agreed, for the application to inspect.
#[derive(Clone, Debug, Default)]
pub(crate) struct Negotiated {
    pub suite: Option<&'static SupportedCipherSuite>,
    pub group: Option<NamedCurve>,
    pub signature_scheme: Option<SignatureScheme>,
    pub alpn: Option<Vec<u8>>,
    pub sni: Option<String>,
    /// The protocol version, once chosen (ServerHello sent or received, or HelloRetryRequest).
    pub version: Option<crate::wire::ProtocolVersion>,
    pub peer_certificates: Vec<CertificateDer<'static>>,
    pub extended_master_secret: bool,
    pub secure_renegotiation: bool,
    /// The peer's record_size_limit (RFC 8449), if it sent one.
    pub peer_record_size_limit: Option<u16>,
    /// The handshake resumed an earlier session.
    pub resumed: bool,
    /// We asked for (client) or were asked for (server) a stapled OCSP response, and it was agreed.
    pub ocsp_requested: bool,
    /// The OCSP response the server stapled (RFC 6066 8).
    pub ocsp_response: Option<Vec<u8>>,
    /// Server: the session ID this connection's session is (or would be) cached under.
    pub session_id: Vec<u8>,
}

/// Where 0-RTT data (RFC 8446 2.3, 4.2.10) stands in a connection.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EarlyState {
    /// None offered (client) or none coming (server).
    #[default]
    Disabled,
    /// Client: offered with the ClientHello; writable under the early key, no answer yet.
    Offered,
    /// Client: the server's EncryptedExtensions accepted it; writable until EndOfEarlyData.
    Accepted,
    /// Client: accepted, and EndOfEarlyData sent.
    Sent,
    /// The server did not take it (client: not resent; server: skipped unread).
    Rejected,
    /// Server: accepted; early data records come until EndOfEarlyData.
    Receiving,
    /// Server: accepted, and EndOfEarlyData received.
    Received,
}

/// 0-RTT data: where it stands, how much more may pass, and (server) what came.
#[derive(Debug, Default)]
pub(crate) struct EarlyData {
    pub state: EarlyState,
    /// Client: bytes it may still send; server: bytes it may still receive.
    pub left: usize,
    /// Server: early data received and not yet read by the application.
    pub received: Vec<u8>,
}

impl EarlyData {
    /// The server accepted it (either side's view).
    pub(crate) fn accepted(&self) -> bool {
        matches!(
            self.state,
            EarlyState::Accepted | EarlyState::Sent | EarlyState::Receiving | EarlyState::Received
        )
    }

    /// Server: an early data record's content, within the ticket's max_early_data_size.
    pub(crate) fn receive(&mut self, data: &[u8]) -> Result<(), Error> {
        self.left = self
            .left
            .checked_sub(data.len())
            .ok_or(Error::PeerMisbehaved(PeerMisbehaved::TooMuchEarlyData))?;
        self.received.extend_from_slice(data);
        Ok(())
    }
}

/// What the handlers act on: the outgoing records, the transcript, the negotiated parameters.
pub(crate) struct Context<'c> {
    pub writer: &'c mut RecordWriter,
    pub reader: &'c mut RecordReader,
    pub tx: &'c mut Vec<u8>,
    pub transcript: &'c mut Transcript,
    pub negotiated: &'c mut Negotiated,
    /// Keys to start reading with at the peer's next ChangeCipherSpec.
    pub pending_read: &'c mut Option<ReadKeys>,
    /// Set when the handshake is complete.
    pub handshake_done: &'c mut bool,
    /// Set with `handshake_done`: the master secret and randoms, kept for RFC 5705 exports.
    pub exporter: &'c mut Option<Exporter>,
    /// More of the peer's handshake data follows the message being handled, in the same
    /// record (or an earlier one).
    pub trailing_handshake: bool,
    /// 0-RTT data.
    pub early: &'c mut EarlyData,
}

impl Context<'_> {
    /// The handshake is complete: keeps the master secret and the (client, server) randoms for
    /// exports, and says so. The one place both are set, so neither is ever set without the other.
    pub(crate) fn complete(&mut self, master: MasterSecret, randoms: ([u8; 32], [u8; 32])) {
        *self.exporter = Some(Exporter::Tls12(prf::Exporter::new(
            master, randoms.0, randoms.1,
        )));
        *self.handshake_done = true;
    }

    /// The TLS 1.3 handshake is complete: exports come from `exporter` from now on.
    pub(crate) fn complete13(&mut self, exporter: ExporterSecret) {
        *self.exporter = Some(Exporter::Tls13(exporter));
        *self.handshake_done = true;
    }

    /// A message that ends the peer's flight (we answer it) must be the last handshake data
    /// we hold: anything after it was sent before the peer could have seen our answer, or
    /// straddles a key change (RFC 8446 5.1). Checked before we answer, so nothing but the
    /// alert goes out.
    pub(crate) fn check_flight_ends(&self) -> Result<(), Error> {
        if self.trailing_handshake {
            return Err(Error::PeerMisbehaved(
                PeerMisbehaved::HandshakeFragmentation,
            ));
        }
        Ok(())
    }

    /// Encodes, records in the transcript, and sends a handshake message.
    pub(crate) fn send(&mut self, msg: &Handshake<'_>) -> Result<(), Error> {
        // Most handshake messages fit; a certificate chain grows it once or twice.
        let mut bytes = Vec::with_capacity(512);
        msg.encode(&mut bytes);
        self.send_encoded(msg, &bytes)
    }

    /// Sends `msg`, already encoded as `bytes` (by a caller that needed its length).
    pub(crate) fn send_encoded(&mut self, msg: &Handshake<'_>, bytes: &[u8]) -> Result<(), Error> {
        log::debug!("sent {msg:?}");
        self.transcript.add(bytes);
        self.writer.write(ContentType::Handshake, bytes, self.tx)
    }

    /// Sends ChangeCipherSpec and starts protecting what we write from here on.
    pub(crate) fn change_write_keys(
        &mut self,
        enc: RecordEncrypter,
        explicit_nonce_len: usize,
    ) -> Result<(), Error> {
        let ccs = ChangeCipherSpec {
            type_: ChangeCipherSpecType::ChangeCipherSpec,
        };
        self.writer
            .write(ContentType::ChangeCipherSpec, &ccs.to_vec(), self.tx)?;
        self.writer.set_encrypter(enc, explicit_nonce_len);
        Ok(())
    }

    /// At the peer's ChangeCipherSpec: starts removing protection with the keys computed earlier.
    pub(crate) fn change_read_keys(&mut self) -> Result<(), Error> {
        let (dec, n) = self
            .pending_read
            .take()
            .ok_or_else(|| Error::Internal("no read keys at ChangeCipherSpec".into()))?;
        self.reader.set_decrypter(dec, n);
        Ok(())
    }

    /// Sends a warning alert (e.g. `no_renegotiation`).
    pub(crate) fn send_warning(&mut self, description: AlertDescription) -> Result<(), Error> {
        let alert = Alert {
            level: AlertLevel::Warning,
            description,
        };
        self.writer
            .write(ContentType::Alert, &alert.to_vec(), self.tx)
    }
}

/// Protection for what we send, with its explicit nonce length.
pub(crate) type WriteKeys = (RecordEncrypter, usize);
/// Protection for what we receive, with its explicit nonce length.
pub(crate) type ReadKeys = (RecordDecrypter, usize);

/// Both directions' record protection from a key block: (ours, theirs).
pub(crate) fn record_keys(
    suite: &SupportedCipherSuite,
    keys: &KeyBlock,
    we_are_client: bool,
) -> Result<(WriteKeys, ReadKeys), Error> {
    let (wk, wiv, rk, riv) = if we_are_client {
        (
            &keys.client_write_key,
            &keys.client_write_iv,
            &keys.server_write_key,
            &keys.server_write_iv,
        )
    } else {
        (
            &keys.server_write_key,
            &keys.server_write_iv,
            &keys.client_write_key,
            &keys.client_write_iv,
        )
    };
    let n = suite.aead.explicit_nonce_len();
    Ok((
        (RecordEncrypter::new(suite.aead, wk, wiv)?, n),
        (RecordDecrypter::new(suite.aead, rk, riv)?, n),
    ))
}

/// A row handler for renegotiation requests after the handshake (HelloRequest to a client,
/// ClientHello to a server): refused with a `no_renegotiation` warning (RFC 5746 4.2, 4.4).
pub(crate) fn refuse_renegotiation<M: Machine>(
    _config: &Arc<M::Config>,
    state: M,
    _input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<M, Error> {
    if cx.writer.is_closed() {
        // After our close_notify nothing more may be written (RFC 5246 7.2.1), so the request
        // cannot be refused in words: it ends the connection (BoringSSL's NO_RENEGOTIATION).
        return Err(Error::PeerMisbehaved(
            PeerMisbehaved::RenegotiationAttempted,
        ));
    }
    cx.send_warning(AlertDescription::NoRenegotiation)?;
    Ok(state)
}

/// A row handler for a message that changes nothing (HelloRequest while negotiating, RFC 5246
/// 7.4.1.1).
pub(crate) fn ignore<M: Machine>(
    _config: &Arc<M::Config>,
    state: M,
    _input: Input<'_>,
    _cx: &mut Context<'_>,
) -> Result<M, Error> {
    Ok(state)
}
