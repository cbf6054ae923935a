//! The TLS 1.2 client handshake (RFC 5246 section 7.3, ECDHE per RFC 8422), as an explicit
//! state machine. Each handler reads like the RFC's message flow. Full handshake:
//!
//! ```text
//! ClientHello            -->
//!                        <--  ServerHello, Certificate, [CertificateStatus],
//!                             ServerKeyExchange, [CertificateRequest], ServerHelloDone
//! [Certificate], ClientKeyExchange, [CertificateVerify], ChangeCipherSpec, Finished -->
//!                        <--  [NewSessionTicket], ChangeCipherSpec, Finished
//! ```
//!
//! Abbreviated handshake (session ID or ticket, RFC 5246 7.3 / RFC 5077 3.1):
//!
//! ```text
//! ClientHello            -->
//!                        <--  ServerHello, [NewSessionTicket], ChangeCipherSpec, Finished
//! ChangeCipherSpec, Finished -->
//! ```
//!
//! [`CLIENT_TRANSITIONS`] is the machine: each row names its handler, and `dispatch` runs only
//! the row the table lists for the current state and input. Verification results are values
//! carried in the states: the state after ServerKeyExchange holds a [`SignatureVerified`] and a
//! [`ServerCertVerified`], so the machine cannot reach the key exchange without both.

use super::{cache_key, store_session, Hello};
use crate::codec::Encode;
use crate::config::ClientConfig;
use crate::crypto::kx::KeyExchange;
use crate::crypto::prf::{self, MasterSecret};
use crate::crypto::sign::{algorithm_of, scheme_of};
use crate::crypto::suites::{SignatureFamily, SupportedCipherSuite};
use crate::error::{Error, PeerIncompatible, PeerMisbehaved};
use crate::handshake::negotiation::{
    alpn_answer, check_chain_len, check_initial_renegotiation_info, check_point_formats,
    random_bytes, record_size_limit, verify_equal,
};
use crate::handshake::table::{state_kinds, take, Machine, Row, To};
use crate::handshake::{self, Context, Input, InputKind, WriteKeys};
use crate::handshake::{ignore, refuse_renegotiation};
use crate::pki::key::{check_signing_key_usage, CertifiedKeyKind};
use crate::pki::resolve::CertifiedKey;
use crate::pki::verify::{ServerCertVerified, SignatureVerified};
use crate::session::{self, ClientSessionValue, Session};
use crate::wire::tls12::*;
use crate::wire::*;
use pki_types::{CertificateDer, UnixTime};
use std::sync::Arc;

use ClientStateKind as K;
use HandshakeType as H;
use InputKind::Handshake as Hs;

state_kinds! {
    /// The client's states, as its table names them.
    pub(crate) enum ClientStateKind {
        /// ClientHello sent.
        ExpectServerHello,
        /// A full handshake: the server's chain comes next.
        ExpectCertificate,
        /// We asked for a stapled OCSP response: it may come before ServerKeyExchange.
        ExpectCertificateStatus,
        /// Chain verified.
        ExpectServerKeyExchange,
        /// ECDHE parameters verified.
        ExpectServerHelloDone,
        /// As `ExpectServerHelloDone`, after a CertificateRequest.
        ExpectServerHelloDoneAfterCertRequest,
        /// Our Finished sent; the server acknowledged our ticket extension.
        ExpectNewSessionTicket,
        /// Our Finished sent.
        ExpectChangeCipherSpec,
        /// The server's ChangeCipherSpec arrived.
        ExpectFinished,
        /// Resuming; the server acknowledged our ticket extension.
        ResumedExpectNewSessionTicket,
        /// Resuming.
        ResumedExpectChangeCipherSpec,
        /// Resuming; the server's ChangeCipherSpec arrived.
        ResumedExpectFinished,
        /// The handshake is complete.
        Connected,
    }
}

/// Every state but `Connected`: RFC 5246 7.4.1.1, HelloRequest "will be ignored by the client if
/// the client is currently negotiating a session".
const NEGOTIATING: &[K] = &[
    K::ExpectServerHello,
    K::ExpectCertificate,
    K::ExpectCertificateStatus,
    K::ExpectServerKeyExchange,
    K::ExpectServerHelloDone,
    K::ExpectServerHelloDoneAfterCertRequest,
    K::ExpectNewSessionTicket,
    K::ExpectChangeCipherSpec,
    K::ExpectFinished,
    K::ResumedExpectNewSessionTicket,
    K::ResumedExpectChangeCipherSpec,
    K::ResumedExpectFinished,
];

/// Every step the client's handshake may take.
#[rustfmt::skip]
pub(crate) static CLIENT_TRANSITIONS: &[Row<ClientState>] = &[
    Row { from: &[K::ExpectServerHello], on: Hs(H::ServerHello), to: To::States(&[K::ExpectCertificate, K::ResumedExpectNewSessionTicket, K::ResumedExpectChangeCipherSpec]), handler: on_server_hello, note: "7.4.1.3; the server resumes if it echoes our session ID" },
    Row { from: &[K::ExpectCertificate], on: Hs(H::Certificate), to: To::States(&[K::ExpectServerKeyExchange, K::ExpectCertificateStatus]), handler: on_certificate, note: "7.4.2; chain verified here, or after the stapled OCSP response" },
    Row { from: &[K::ExpectCertificateStatus], on: Hs(H::CertificateStatus), to: To::States(&[K::ExpectServerKeyExchange]), handler: on_certificate_status, note: "RFC 6066 8; chain verified with the OCSP response" },
    Row { from: &[K::ExpectCertificateStatus], on: Hs(H::ServerKeyExchange), to: To::States(&[K::ExpectServerHelloDone]), handler: on_server_key_exchange_unstapled, note: "RFC 6066 8: the server may staple nothing; chain verified, then 7.4.3" },
    Row { from: &[K::ExpectServerKeyExchange], on: Hs(H::ServerKeyExchange), to: To::States(&[K::ExpectServerHelloDone]), handler: on_server_key_exchange, note: "7.4.3; ECDHE params, signature verified here" },
    Row { from: &[K::ExpectServerHelloDone], on: Hs(H::CertificateRequest), to: To::States(&[K::ExpectServerHelloDoneAfterCertRequest]), handler: on_certificate_request, note: "7.4.4; we answer with our certificate, or an empty one" },
    Row { from: &[K::ExpectServerHelloDone], on: Hs(H::ServerHelloDone), to: To::States(&[K::ExpectNewSessionTicket, K::ExpectChangeCipherSpec]), handler: on_server_hello_done, note: "7.4.5; we send ClientKeyExchange, CCS, Finished" },
    Row { from: &[K::ExpectServerHelloDoneAfterCertRequest], on: Hs(H::ServerHelloDone), to: To::States(&[K::ExpectNewSessionTicket, K::ExpectChangeCipherSpec]), handler: on_server_hello_done, note: "7.4.5; we send Certificate, ClientKeyExchange, [CertificateVerify], CCS, Finished" },
    Row { from: &[K::ExpectNewSessionTicket], on: Hs(H::NewSessionTicket), to: To::States(&[K::ExpectChangeCipherSpec]), handler: on_new_session_ticket, note: "RFC 5077 3.3; ticket kept for resumption" },
    Row { from: &[K::ExpectChangeCipherSpec], on: InputKind::ChangeCipherSpec, to: To::States(&[K::ExpectFinished]), handler: on_change_cipher_spec, note: "7.1; read keys switch" },
    Row { from: &[K::ExpectFinished], on: Hs(H::Finished), to: To::States(&[K::Connected]), handler: on_finished, note: "7.4.9; server verify_data checked, session stored" },
    Row { from: &[K::ResumedExpectNewSessionTicket], on: Hs(H::NewSessionTicket), to: To::States(&[K::ResumedExpectChangeCipherSpec]), handler: on_resumed_new_session_ticket, note: "RFC 5077 3.1; a fresh ticket" },
    Row { from: &[K::ResumedExpectChangeCipherSpec], on: InputKind::ChangeCipherSpec, to: To::States(&[K::ResumedExpectFinished]), handler: on_resumed_change_cipher_spec, note: "7.1; read keys switch" },
    Row { from: &[K::ResumedExpectFinished], on: Hs(H::Finished), to: To::States(&[K::Connected]), handler: on_resumed_finished, note: "7.4.9; server verify_data checked, we send CCS and Finished" },
    Row { from: &[K::Connected], on: Hs(H::HelloRequest), to: To::Same, handler: refuse_renegotiation, note: "7.4.1.1; refused with a no_renegotiation warning" },
    Row { from: NEGOTIATING, on: Hs(H::HelloRequest), to: To::Same, handler: ignore, note: "7.4.1.1; ignored while negotiating" },
];

/// The server's choices, checked against what we offered.
pub(crate) struct ServerChoice {
    hello: Box<Hello>,
    server_random: [u8; 32],
    suite: &'static SupportedCipherSuite,
    session_id: Vec<u8>,
    ticket_acked: bool,
}

/// A chain received but not yet verified (waiting for a stapled OCSP response).
pub(crate) struct UnverifiedChain {
    end_entity: CertificateDer<'static>,
    intermediates: Vec<CertificateDer<'static>>,
    /// The leaf's key, already checked against the suite and the offered curves.
    key: CertifiedKeyKind,
}

/// A verified chain: the certificate the server's signature must verify under.
pub(crate) struct VerifiedChain {
    end_entity: CertificateDer<'static>,
    key: CertifiedKeyKind,
    _verified: ServerCertVerified,
}

/// The server's ECDHE parameters, with the proof that it signed them.
pub(crate) struct VerifiedKeyExchange {
    group: NamedCurve,
    server_public: Vec<u8>,
    _chain: VerifiedChain,
    _signature: SignatureVerified,
}

/// What a CertificateRequest asked for (RFC 5246 7.4.4).
pub(crate) struct CertRequest {
    types: Vec<ClientCertificateType>,
    schemes: Vec<SignatureScheme>,
}

/// The client's states. Each holds what later steps need, and only that.
pub(crate) enum ClientState {
    ExpectServerHello(Box<Hello>),
    ExpectCertificate(ServerChoice),
    ExpectCertificateStatus(ServerChoice, UnverifiedChain),
    ExpectServerKeyExchange(ServerChoice, VerifiedChain),
    ExpectServerHelloDone {
        choice: ServerChoice,
        kx: VerifiedKeyExchange,
        request: Option<CertRequest>,
    },
    ExpectNewSessionTicket(Secrets),
    ExpectChangeCipherSpec(Secrets),
    ExpectFinished(Secrets),
    ResumedExpectNewSessionTicket(Secrets),
    ResumedExpectChangeCipherSpec(Secrets),
    ResumedExpectFinished(Secrets),
    Connected,
}

/// What the key exchange (or the resumed session) produced, and what to store afterwards.
pub(crate) struct Secrets {
    master: MasterSecret,
    /// Client and server random, for exports once the handshake completes.
    randoms: ([u8; 32], [u8; 32]),
    /// The session as it will be cached once the handshake completes.
    value: ClientSessionValue,
    /// Resumed handshakes: our write keys, used once the server's Finished checks out.
    write: Option<WriteKeys>,
}

impl Machine for ClientState {
    type Config = ClientConfig;
    type Kind = ClientStateKind;

    fn kind(&self) -> K {
        match self {
            ClientState::ExpectServerHello(_) => K::ExpectServerHello,
            ClientState::ExpectCertificate(_) => K::ExpectCertificate,
            ClientState::ExpectCertificateStatus(..) => K::ExpectCertificateStatus,
            ClientState::ExpectServerKeyExchange(..) => K::ExpectServerKeyExchange,
            ClientState::ExpectServerHelloDone { request: None, .. } => K::ExpectServerHelloDone,
            ClientState::ExpectServerHelloDone {
                request: Some(_), ..
            } => K::ExpectServerHelloDoneAfterCertRequest,
            ClientState::ExpectNewSessionTicket(_) => K::ExpectNewSessionTicket,
            ClientState::ExpectChangeCipherSpec(_) => K::ExpectChangeCipherSpec,
            ClientState::ExpectFinished(_) => K::ExpectFinished,
            ClientState::ResumedExpectNewSessionTicket(_) => K::ResumedExpectNewSessionTicket,
            ClientState::ResumedExpectChangeCipherSpec(_) => K::ResumedExpectChangeCipherSpec,
            ClientState::ResumedExpectFinished(_) => K::ResumedExpectFinished,
            ClientState::Connected => K::Connected,
        }
    }

    fn table() -> &'static [Row<Self>] {
        CLIENT_TRANSITIONS
    }
}

/// Feeds one input to the client machine. Every handshake message but HelloRequest goes into
/// the transcript (RFC 5246 7.4.9); a Finished only after its verify_data was checked against
/// the transcript before it.
pub(crate) fn handle(
    config: &Arc<ClientConfig>,
    state: ClientState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    if let Input::Handshake { msg, bytes } = &input {
        log::debug!("client received {msg:?}");
        if !matches!(msg.selector(), H::HelloRequest | H::Finished) {
            cx.transcript.add(bytes);
        }
    }
    handshake::table::dispatch(config, state, input, cx)
}

// ---------------------------------------------------------------------------------------------
// The handlers, one per row (in table order). Each takes the state and message its row names;
// `dispatch` runs it for nothing else.
// ---------------------------------------------------------------------------------------------

fn on_server_hello(
    config: &Arc<ClientConfig>,
    state: ClientState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    take!(
        state,
        input,
        ClientState::ExpectServerHello(hello),
        Handshake::ServerHello(sh)
    );
    server_hello(config, hello, sh, cx)
}

fn on_certificate(
    config: &Arc<ClientConfig>,
    state: ClientState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    take!(
        state,
        input,
        ClientState::ExpectCertificate(choice),
        Handshake::Certificate(c)
    );
    certificate(config, choice, c, cx)
}

fn on_certificate_status(
    config: &Arc<ClientConfig>,
    state: ClientState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    take!(
        state,
        input,
        ClientState::ExpectCertificateStatus(choice, chain),
        Handshake::CertificateStatus(CertificateStatus::Ocsp(ocsp))
    );
    let verified = verify_chain(config, &choice, chain, ocsp.0, cx)?;
    Ok(ClientState::ExpectServerKeyExchange(choice, verified))
}

fn on_server_key_exchange_unstapled(
    config: &Arc<ClientConfig>,
    state: ClientState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    take!(
        state,
        input,
        ClientState::ExpectCertificateStatus(choice, chain),
        Handshake::ServerKeyExchange(ske)
    );
    let verified = verify_chain(config, &choice, chain, &[], cx)?;
    server_key_exchange(config, choice, verified, ske, cx)
}

fn on_server_key_exchange(
    config: &Arc<ClientConfig>,
    state: ClientState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    take!(
        state,
        input,
        ClientState::ExpectServerKeyExchange(choice, chain),
        Handshake::ServerKeyExchange(ske)
    );
    server_key_exchange(config, choice, chain, ske, cx)
}

fn on_certificate_request(
    _config: &Arc<ClientConfig>,
    state: ClientState,
    input: Input<'_>,
    _cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    take!(
        state,
        input,
        ClientState::ExpectServerHelloDone {
            choice,
            kx,
            request: None,
        },
        Handshake::CertificateRequest(cr)
    );
    let request = CertRequest {
        types: cr.certificate_types.clone(),
        schemes: cr
            .supported_signature_algorithms
            .iter()
            .map(|a| scheme_of(a.clone()))
            .collect(),
    };
    Ok(ClientState::ExpectServerHelloDone {
        choice,
        kx,
        request: Some(request),
    })
}

fn on_server_hello_done(
    config: &Arc<ClientConfig>,
    state: ClientState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    take!(
        state,
        input,
        ClientState::ExpectServerHelloDone {
            choice,
            kx,
            request,
        },
        Handshake::ServerHelloDone(_)
    );
    server_hello_done(config, choice, kx, request, cx)
}

/// The ticket is kept for the session we store once the handshake completes.
fn on_new_session_ticket(
    _config: &Arc<ClientConfig>,
    state: ClientState,
    input: Input<'_>,
    _cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    take!(
        state,
        input,
        ClientState::ExpectNewSessionTicket(mut secrets),
        Handshake::NewSessionTicket(t)
    );
    keep_ticket(&mut secrets, &t);
    Ok(ClientState::ExpectChangeCipherSpec(secrets))
}

fn on_change_cipher_spec(
    _config: &Arc<ClientConfig>,
    state: ClientState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    take!(state, input, ClientState::ExpectChangeCipherSpec(secrets));
    cx.change_read_keys()?;
    Ok(ClientState::ExpectFinished(secrets))
}

fn on_finished(
    config: &Arc<ClientConfig>,
    state: ClientState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    let bytes = input.bytes();
    take!(
        state,
        input,
        ClientState::ExpectFinished(secrets),
        Handshake::Finished(fin)
    );
    check_server_finished(&secrets, &fin, bytes, cx)?;
    store_session(config, secrets.value);
    cx.complete(secrets.master, secrets.randoms);
    Ok(ClientState::Connected)
}

/// A renewed ticket: it replaces the one we resumed with.
fn on_resumed_new_session_ticket(
    _config: &Arc<ClientConfig>,
    state: ClientState,
    input: Input<'_>,
    _cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    take!(
        state,
        input,
        ClientState::ResumedExpectNewSessionTicket(mut secrets),
        Handshake::NewSessionTicket(t)
    );
    keep_ticket(&mut secrets, &t);
    Ok(ClientState::ResumedExpectChangeCipherSpec(secrets))
}

fn on_resumed_change_cipher_spec(
    _config: &Arc<ClientConfig>,
    state: ClientState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    take!(
        state,
        input,
        ClientState::ResumedExpectChangeCipherSpec(secrets)
    );
    cx.change_read_keys()?;
    Ok(ClientState::ResumedExpectFinished(secrets))
}

fn on_resumed_finished(
    config: &Arc<ClientConfig>,
    state: ClientState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    let bytes = input.bytes();
    take!(
        state,
        input,
        ClientState::ResumedExpectFinished(secrets),
        Handshake::Finished(fin)
    );
    check_server_finished(&secrets, &fin, bytes, cx)?;
    let write = secrets
        .write
        .ok_or_else(|| Error::Internal("no write keys for a resumed session".into()))?;
    cx.change_write_keys(write.0, write.1)?;
    let verify_data = secrets
        .master
        .verify_data(true, &cx.transcript.current_hash()?);
    cx.send(&Handshake::Finished(Finished { verify_data }))?;
    store_session(config, secrets.value);
    cx.complete(secrets.master, secrets.randoms);
    Ok(ClientState::Connected)
}

// ---------------------------------------------------------------------------------------------
// What the handlers do, in message order.
// ---------------------------------------------------------------------------------------------

fn check_server_finished(
    secrets: &Secrets,
    fin: &Finished,
    bytes: &[u8],
    cx: &mut Context<'_>,
) -> Result<(), Error> {
    let expected = secrets
        .master
        .verify_data(false, &cx.transcript.current_hash()?);
    verify_equal(&expected, &fin.verify_data)?;
    cx.transcript.add(bytes);
    Ok(())
}

fn keep_ticket(secrets: &mut Secrets, t: &NewSessionTicket<'_>) {
    // RFC 5077 3.3: an empty ticket means the server will not issue one after all.
    if !t.ticket.is_empty() {
        secrets.value.ticket = Some(t.ticket.to_vec());
        secrets.value.ticket_lifetime_hint = t.ticket_lifetime_hint;
        // The hint counts from now (a renewed ticket starts afresh, as the server's copy does).
        secrets.value.session.created = session::now();
    }
}
fn server_hello(
    config: &ClientConfig,
    mut hello: Box<Hello>,
    sh: ServerHello<'_>,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    if sh.server_version != crate::record::TLS12 {
        return Err(Error::PeerIncompatible(
            PeerIncompatible::UnsupportedVersion,
        ));
    }
    cx.reader.set_version(crate::record::TLS12);
    cx.writer.set_version(crate::record::TLS12);
    let suite = config
        .cipher_suites
        .iter()
        .find(|s| s.suite == sh.cipher_suite && !s.is_tls13())
        .copied()
        .ok_or(Error::PeerMisbehaved(
            PeerMisbehaved::SelectedUnofferedParameter("cipher suite"),
        ))?;
    // RFC 8446 4.1.3: a server that can do TLS 1.3 and negotiates 1.2 ends its random with
    // "DOWNGRD" and 1 (0 for 1.1 and below). We offered 1.3, so it is an attack.
    if !hello.key_shares.is_empty() && is_downgrade_sentinel(&sh.random) {
        return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
            "TLS 1.3 downgrade sentinel in a TLS 1.2 ServerHello",
        )));
    }
    if sh.compression_method != CompressionMethod::Null {
        return Err(Error::PeerMisbehaved(
            PeerMisbehaved::SelectedUnofferedParameter("compression method"),
        ));
    }
    let exts = sh.extensions.unwrap_or_default();
    // Duplicates: refused by the decoder (`unique` on ServerHello.extensions).
    let (mut ems, mut reneg, mut ticket_acked, mut status_acked) = (false, false, false, false);
    for e in &exts {
        match e {
            Extension::ExtendedMasterSecret(_) => ems = true,
            Extension::RenegotiationInfo(ri) => {
                check_initial_renegotiation_info(ri)?;
                reneg = true;
            }
            Extension::ApplicationLayerProtocolNegotiation(_)
                if config.alpn_protocols.is_empty() =>
            {
                return Err(unsolicited(e));
            }
            Extension::ApplicationLayerProtocolNegotiation(p) => {
                cx.negotiated.alpn = Some(alpn_answer(&config.alpn_protocols, p)?);
            }
            // RFC 6066 3: an empty server_name acknowledges the one we sent; without ours it is
            // unsolicited.
            Extension::ServerName(ServerNameExtension::ServerHello)
                if hello.offered_server_name => {}
            // We offered supported_groups; some servers echo it. Nothing in TLS 1.2 gives it a
            // meaning in a ServerHello, and RFC 5246 7.4.1.4 forbids only extensions we did not
            // offer, so it is ignored (as BoringSSL and OpenSSL do).
            Extension::EllipticCurves(_) => {}
            Extension::RecordSizeLimit(l) => {
                cx.negotiated.peer_record_size_limit = Some(record_size_limit(l)?);
            }
            Extension::EcPointFormats(f) => check_point_formats(&f.ec_point_format_list)?,
            // RFC 5077 3.2: empty, and only if we sent the extension.
            Extension::SessionTicket(t)
                if hello.offered_ticket_extension && t.ticket.is_empty() =>
            {
                ticket_acked = true
            }
            Extension::StatusRequest(CertificateStatusRequestExtension::ServerHello)
                if hello.offered_status_request =>
            {
                status_acked = true
            }
            // Anything we did not offer (RFC 5246 7.4.1.4: unsupported_extension).
            other => return Err(unsolicited(other)),
        }
    }
    if config.require_ems && !ems {
        return Err(Error::PeerIncompatible(
            PeerIncompatible::ExtendedMasterSecretRequired,
        ));
    }
    cx.negotiated.suite = Some(suite);
    cx.negotiated.extended_master_secret = ems;
    cx.negotiated.secure_renegotiation = reneg;
    cx.transcript.start_hash(suite.hash)?;
    let server_random = random_bytes(&sh.random);

    // Resumption: the server echoed the session ID we sent for a cached session.
    let echoed = |(_, sent_id): &(ClientSessionValue, Vec<u8>)| {
        !sent_id.is_empty() && sh.session_id.0 == sent_id.as_slice()
    };
    if hello.resuming.as_ref().is_some_and(echoed) {
        if let Some((value, sent_id)) = hello.resuming.take() {
            return resume(
                config,
                &hello,
                value,
                sent_id,
                suite,
                ems,
                server_random,
                ticket_acked,
                cx,
            );
        }
    }
    // A session ID we sent only for TLS 1.3's middlebox compatibility (RFC 8446 D.4) names no
    // session: a server echoing it claims to resume one we never had.
    if hello.resuming.is_none()
        && !hello.session_id.is_empty()
        && sh.session_id.0 == hello.session_id.as_slice()
    {
        return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
            "server echoed a session ID that names no session",
        )));
    }
    if hello.resuming.is_some() {
        // Offered and refused: the old session is of no further use (RFC 5077 3.4).
        config
            .session_storage
            .remove(&cache_key(&hello.server_name));
    }
    let choice = ServerChoice {
        server_random,
        suite,
        session_id: sh.session_id.0.to_vec(),
        ticket_acked,
        hello,
    };
    cx.negotiated.ocsp_requested = status_acked;
    Ok(ClientState::ExpectCertificate(choice))
}

/// Whether a ServerHello random ends with either downgrade sentinel (RFC 8446 4.1.3).
fn is_downgrade_sentinel(random: &Random) -> bool {
    let tail = random.random_bytes.get(20..).unwrap_or_default();
    tail == crate::handshake::negotiation::DOWNGRADE_TLS12
        || tail == crate::handshake::negotiation::DOWNGRADE_TLS11
}

fn unsolicited(e: &Extension<'_>) -> Error {
    Error::PeerMisbehaved(PeerMisbehaved::UnsolicitedExtension(e.selector().value()))
}

#[allow(clippy::too_many_arguments)]
fn resume(
    config: &ClientConfig,
    hello: &Hello,
    mut value: ClientSessionValue,
    sent_id: Vec<u8>,
    suite: &'static SupportedCipherSuite,
    ems: bool,
    server_random: [u8; 32],
    ticket_acked: bool,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    // RFC 5246 7.4.1.3: a resumed session keeps its cipher suite.
    if value.session.cipher_suite != suite.suite {
        return Err(Error::PeerMisbehaved(
            PeerMisbehaved::SelectedUnofferedParameter("cipher suite of the resumed session"),
        ));
    }
    // RFC 7627 5.3: the EMS state of a resumed session must not change.
    if value.session.extended_master_secret != ems {
        return Err(Error::PeerMisbehaved(
            PeerMisbehaved::ExtendedMasterSecretMismatch {
                session_used_ems: value.session.extended_master_secret,
            },
        ));
    }
    let master = MasterSecret::new(suite.hash, value.session.master_secret);
    let keys = master.key_block(suite, &hello.client_random, &server_random);
    let (write, read) = handshake::record_keys(suite, &keys, true)?;
    *cx.pending_read = Some(read);
    config
        .key_log
        .log("CLIENT_RANDOM", &hello.client_random, master.secret());
    cx.negotiated.peer_certificates = value.session.peer_certificates.clone();
    cx.negotiated.resumed = true;
    value.session_id = sent_id;
    let secrets = Secrets {
        master,
        randoms: (hello.client_random, server_random),
        value,
        write: Some(write),
    };
    Ok(if ticket_acked {
        ClientState::ResumedExpectNewSessionTicket(secrets)
    } else {
        ClientState::ResumedExpectChangeCipherSpec(secrets)
    })
}

fn certificate(
    config: &ClientConfig,
    choice: ServerChoice,
    c: Certificate<'_>,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    check_chain_len(c.certificate_list.len())?;
    let mut certs = c
        .certificate_list
        .iter()
        .map(|c| CertificateDer::from(c.0.to_vec()));
    let end_entity = certs.next().ok_or(Error::PeerMisbehaved(
        PeerMisbehaved::EmptyServerCertificate,
    ))?;
    let key = CertifiedKeyKind::of(&end_entity)?;
    // Its key signs the ServerKeyExchange (RFC 5246 7.4.2, 7.4.3).
    check_signing_key_usage(&end_entity)?;
    // RFC 5246 7.4.2: the certificate's key must be the kind the suite names (RSA for
    // ECDHE_RSA, ECDSA or EdDSA for ECDHE_ECDSA), and RFC 8422 5.3: an ECDSA key on a curve
    // we offered.
    if key.family() != Some(choice.suite.family) {
        return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
            "certificate key does not fit the cipher suite",
        )));
    }
    if key.curve().is_some_and(|c| !config.groups.contains(&c)) {
        return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
            "certificate curve not offered",
        )));
    }
    let chain = UnverifiedChain {
        end_entity,
        intermediates: certs.collect(),
        key,
    };
    if cx.negotiated.ocsp_requested {
        // Verified once we know whether a response is stapled.
        return Ok(ClientState::ExpectCertificateStatus(choice, chain));
    }
    let verified = verify_chain(config, &choice, chain, &[], cx)?;
    Ok(ClientState::ExpectServerKeyExchange(choice, verified))
}

fn verify_chain(
    config: &ClientConfig,
    choice: &ServerChoice,
    chain: UnverifiedChain,
    ocsp: &[u8],
    cx: &mut Context<'_>,
) -> Result<VerifiedChain, Error> {
    let verified = config.verifier.verify_server_cert(
        &chain.end_entity,
        &chain.intermediates,
        &choice.hello.server_name,
        ocsp,
        UnixTime::now(),
    )?;
    cx.negotiated.ocsp_response = (!ocsp.is_empty()).then(|| ocsp.to_vec());
    cx.negotiated.peer_certificates = std::iter::once(chain.end_entity.clone())
        .chain(chain.intermediates)
        .collect();
    Ok(VerifiedChain {
        end_entity: chain.end_entity,
        key: chain.key,
        _verified: verified,
    })
}

fn server_key_exchange(
    config: &ClientConfig,
    choice: ServerChoice,
    chain: VerifiedChain,
    ske: ServerKeyExchange<'_>,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    let ServerKeyExchange::EcDiffieHellman {
        params,
        signed_params,
    } = ske
    else {
        return Err(Error::UnexpectedMessage {
            state: "ExpectServerKeyExchange",
            got: "non-ECDHE ServerKeyExchange".into(),
            expected: "an ECDHE ServerKeyExchange".into(),
        });
    };
    let ECParameters::NamedCurve { namedcurve } = params.curve_params;
    // A hybrid group is TLS 1.3 only: a TLS 1.2 server cannot pick it, though we list it.
    if !config.groups.contains(&namedcurve) || crate::crypto::hybrid::is_hybrid(namedcurve) {
        return Err(Error::PeerMisbehaved(
            PeerMisbehaved::SelectedUnofferedParameter("group"),
        ));
    }
    let scheme = scheme_of(signed_params.algorithm.clone());
    if !choice.hello.offered_schemes.contains(&scheme) {
        return Err(Error::PeerMisbehaved(
            PeerMisbehaved::SelectedUnofferedParameter("signature scheme"),
        ));
    }
    if !chain.key.signs_with(scheme) {
        // An RSA scheme for an ECDSA certificate, or the reverse (its kind already fits the
        // suite).
        return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
            "signature scheme does not match the certificate's key",
        )));
    }
    // RFC 5246 7.4.3: the signature covers client_random + server_random + params.
    let signed = ServerKeyExchangeEcDiffieHellmanSignedParams {
        client_random: choice.hello.client_random,
        server_random: choice.server_random,
        params: params.clone(),
    }
    .to_vec();
    let verified = config.verifier.verify_tls12_signature(
        &signed,
        &chain.end_entity,
        scheme,
        signed_params.signature,
    )?;
    cx.negotiated.group = Some(namedcurve);
    cx.negotiated.signature_scheme = Some(scheme);
    let kx = VerifiedKeyExchange {
        group: namedcurve,
        server_public: params.public.point.to_vec(),
        _chain: chain,
        _signature: verified,
    };
    Ok(ClientState::ExpectServerHelloDone {
        choice,
        kx,
        request: None,
    })
}

/// Our certificate and the scheme to sign with, if we have one the server's request accepts.
fn client_credentials(
    config: &ClientConfig,
    request: &CertRequest,
) -> Option<(Arc<CertifiedKey>, SignatureScheme)> {
    let ck = config.client_auth_cert.clone()?;
    let wanted = match ck.key.family() {
        SignatureFamily::Ecdsa => ClientCertificateType::EcdsaSign,
        SignatureFamily::Rsa => ClientCertificateType::RsaSign,
        // A key's family is never that of the TLS 1.3 suites.
        SignatureFamily::Any => return None,
    };
    if !request.types.contains(&wanted) {
        return None;
    }
    let scheme = ck.key.choose_scheme(&request.schemes)?;
    Some((ck, scheme))
}

fn server_hello_done(
    config: &ClientConfig,
    choice: ServerChoice,
    kx: VerifiedKeyExchange,
    request: Option<CertRequest>,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    // Complete the agreement first: an invalid server point must fail before we send anything.
    let ours = KeyExchange::start(kx.group)?;
    let our_public = ours.public_key().to_vec();
    let pre_master = ours.complete(&kx.server_public)?;
    let credentials = request.as_ref().and_then(|r| client_credentials(config, r));
    if credentials.is_none() {
        // Nothing to sign: the raw messages are no longer needed.
        cx.transcript.stop_buffering();
    }
    if request.is_some() {
        // RFC 5246 7.4.6: our chain, or an empty one when we have nothing the server accepts.
        let chain: Vec<ASN1Cert<'_>> = match &credentials {
            Some((ck, _)) => ck.cert.iter().map(|c| ASN1Cert(c.as_ref())).collect(),
            None => Vec::new(),
        };
        cx.send(&Handshake::Certificate(Certificate {
            certificate_list: chain,
        }))?;
    }
    let cke = ClientKeyExchange::EcDiffieHellman(ClientECDiffieHellmanPublic {
        ecdh_yc: ECPoint { point: &our_public },
    });
    cx.send(&Handshake::ClientKeyExchange(cke))?;
    let suite = choice.suite;
    let master = MasterSecret::new(
        suite.hash,
        if cx.negotiated.extended_master_secret {
            // RFC 7627 4: the session hash runs through ClientKeyExchange.
            prf::extended_master_secret(suite.hash, &pre_master, &cx.transcript.current_hash()?)
        } else {
            prf::master_secret(
                suite.hash,
                &pre_master,
                &choice.hello.client_random,
                &choice.server_random,
            )
        },
    );
    if let Some((ck, scheme)) = &credentials {
        // RFC 5246 7.4.8: sign every handshake message so far.
        let messages = cx
            .transcript
            .buffered()
            .ok_or_else(|| Error::Internal("transcript not buffered for CertificateVerify".into()))?
            .to_vec();
        let signature = ck.key.sign(*scheme, &messages)?;
        cx.send(&Handshake::CertificateVerify(CertificateVerify {
            signature: DigitallySigned {
                algorithm: algorithm_of(*scheme),
                signature: &signature,
            },
        }))?;
    }
    config.key_log.log(
        "CLIENT_RANDOM",
        &choice.hello.client_random,
        master.secret(),
    );
    let keys = master.key_block(suite, &choice.hello.client_random, &choice.server_random);
    let (write, read) = handshake::record_keys(suite, &keys, true)?;
    cx.change_write_keys(write.0, write.1)?;
    *cx.pending_read = Some(read);
    let verify_data = master.verify_data(true, &cx.transcript.current_hash()?);
    cx.send(&Handshake::Finished(Finished { verify_data }))?;
    let value = ClientSessionValue {
        session_id: choice.session_id.clone(),
        ticket: None,
        ticket_lifetime_hint: 0,
        session: Session {
            cipher_suite: suite.suite,
            master_secret: *master.secret(),
            extended_master_secret: cx.negotiated.extended_master_secret,
            server_name: Some(cache_key(&choice.hello.server_name)),
            created: session::now(),
            peer_certificates: cx.negotiated.peer_certificates.clone(),
        },
    };
    let secrets = Secrets {
        master,
        randoms: (choice.hello.client_random, choice.server_random),
        value,
        write: None,
    };
    Ok(if choice.ticket_acked {
        ClientState::ExpectNewSessionTicket(secrets)
    } else {
        ClientState::ExpectChangeCipherSpec(secrets)
    })
}
