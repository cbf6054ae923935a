//! What the client and server state machines share: the inputs they take, the transition tables
//! that say which input each state allows, and the context through which they send messages and
//! install keys.
//!
//! The tables are data: `dispatch` refuses any (state, input) pair they do not list with
//! `unexpected_message` before a handler runs, and checks that the handler moved to a state the
//! table allows. `render_table` prints them; a snapshot test keeps them reviewed.

use crate::cipher::{RecordDecrypter, RecordEncrypter};
use crate::codec::Encode;
use crate::error::{CertificateError, Error, PeerMisbehaved};
use crate::prf::{KeyBlock, Transcript};
use crate::record::{RecordReader, RecordWriter};
use crate::suites::SupportedCipherSuite;
use crate::wire::{
    Alert, AlertDescription, AlertLevel, ChangeCipherSpec, ChangeCipherSpecType, ContentType,
    Extension, Handshake, HandshakeType, NamedCurve, SignatureScheme,
};
use pki_types::CertificateDer;
use std::collections::BTreeSet;
use std::fmt;

/// What a state machine is fed: a whole, decoded handshake message, or a ChangeCipherSpec.
pub(crate) enum Input<'a> {
    Handshake { msg: Handshake<'a>, bytes: &'a [u8] },
    ChangeCipherSpec,
}

impl Input<'_> {
    pub(crate) fn kind(&self) -> InputKind {
        match self {
            Input::Handshake { msg, .. } => InputKind::Handshake(msg.selector()),
            Input::ChangeCipherSpec => InputKind::ChangeCipherSpec,
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

/// One allowed step: in state `from`, input `on` leads to one of `to`.
#[derive(Clone, Copy, Debug)]
pub struct Transition {
    /// The state's name.
    pub from: &'static str,
    /// The input it accepts.
    pub on: InputKind,
    /// The states it may lead to.
    pub to: &'static [&'static str],
    /// Why, in the RFC's terms.
    pub note: &'static str,
}

/// The transition table as a Markdown table, one row per allowed (state, input) pair.
pub fn render_table(table: &[Transition]) -> String {
    let mut out = String::from("| state | input | next state | note |\n|---|---|---|---|\n");
    for t in table {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            t.from,
            t.on,
            t.to.join(" or "),
            t.note
        ));
    }
    out
}

/// The transition table as a Graphviz digraph.
pub fn render_dot(name: &str, table: &[Transition]) -> String {
    let mut out = format!("digraph {name} {{\n");
    for t in table {
        for to in t.to {
            out.push_str(&format!("  {} -> {} [label=\"{}\"];\n", t.from, to, t.on));
        }
    }
    out.push_str("}\n");
    out
}

/// A state of one side's machine.
pub(crate) trait State: Sized {
    /// The name the transition table uses.
    fn name(&self) -> &'static str;
}

/// The row that lets state `from` take `kind`, or the `unexpected_message` error. Also asked
/// from a handshake message's 4-byte header, so a message out of place is refused as unexpected
/// whatever its body holds, before the body is buffered or decoded.
pub(crate) fn allowed<'t>(
    table: &'t [Transition],
    from: &'static str,
    kind: InputKind,
) -> Result<&'t Transition, Error> {
    table
        .iter()
        .find(|t| t.from == from && t.on == kind)
        .ok_or_else(|| Error::UnexpectedMessage {
            state: from,
            got: kind.to_string(),
        })
}

/// Runs one input through a machine: refuses what the table does not list, runs the handler, and
/// checks the handler landed where the table says.
pub(crate) fn dispatch<S: State>(
    table: &[Transition],
    state: S,
    input: Input<'_>,
    handler: impl FnOnce(S, Input<'_>) -> Result<S, Error>,
) -> Result<S, Error> {
    let from = state.name();
    let kind = input.kind();
    let row = allowed(table, from, kind)?;
    let next = handler(state, input)?;
    if !row.to.contains(&next.name()) {
        return Err(Error::Internal(format!(
            "state machine went from {from} on {kind} to {}, which the table does not allow",
            next.name()
        )));
    }
    Ok(next)
}

/// What has been agreed, for the application to inspect.
#[derive(Clone, Debug, Default)]
pub(crate) struct Negotiated {
    pub suite: Option<&'static SupportedCipherSuite>,
    pub group: Option<NamedCurve>,
    pub signature_scheme: Option<SignatureScheme>,
    pub alpn: Option<Vec<u8>>,
    pub sni: Option<String>,
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
}

impl Context<'_> {
    /// Encodes, records in the transcript, and sends a handshake message.
    pub(crate) fn send(&mut self, msg: &Handshake<'_>) -> Result<(), Error> {
        log::debug!("sent {msg:?}");
        // Most handshake messages fit; a certificate chain grows it once or twice.
        let mut bytes = Vec::with_capacity(512);
        msg.encode(&mut bytes);
        self.transcript.add(&bytes);
        self.writer.write(ContentType::Handshake, &bytes, self.tx)
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

/// The most certificates we accept in a Certificate message (server chain, or client chain on a
/// server asking for one). Real chains are 2 to 4 long (leaf, one or two intermediates, perhaps
/// the root); 10 is well above that and bounds the copies and the path building the verifier
/// does for the peer. A longer chain is refused before it is verified, as
/// `CertificateError::Other` (`bad_certificate`). The chain's size in bytes is bounded by the
/// configured `max_certificate_list_size`.
pub(crate) const MAX_CERTIFICATE_CHAIN: usize = 10;

/// Refuses a Certificate message with more than [`MAX_CERTIFICATE_CHAIN`] certificates.
pub(crate) fn check_chain_len(certificates: usize) -> Result<(), Error> {
    if certificates > MAX_CERTIFICATE_CHAIN {
        return Err(Error::InvalidCertificate(CertificateError::Other(format!(
            "certificate chain of {certificates} certificates; at most {MAX_CERTIFICATE_CHAIN} accepted"
        ))));
    }
    Ok(())
}

/// Rejects a hello that carries the same extension twice (RFC 5246 section 7.4.1.4). There is no
/// cap on their number: the message size limit bounds it (OpenSSL takes 100+), and the check is
/// O(n log n).
pub(crate) fn check_duplicates(exts: &[Extension<'_>]) -> Result<(), Error> {
    let mut seen = BTreeSet::new();
    for e in exts {
        let t = e.selector().value();
        if !seen.insert(t) {
            return Err(Error::PeerMisbehaved(PeerMisbehaved::DuplicateExtension(t)));
        }
    }
    Ok(())
}

/// Compares a received verify_data with ours without leaking where they differ.
pub(crate) fn verify_equal(a: &[u8], b: &[u8]) -> Result<(), Error> {
    use subtle::ConstantTimeEq;
    // subtle's comparison takes the same time whatever the contents (the lengths, which are
    // public, decide at once), and keeps the optimiser from turning it into an early exit,
    // which a hand-written fold does not promise.
    if bool::from(a.ct_eq(b)) {
        Ok(())
    } else {
        Err(Error::PeerMisbehaved(PeerMisbehaved::BadFinished))
    }
}
