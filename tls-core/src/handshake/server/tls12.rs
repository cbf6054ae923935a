//! The TLS 1.2 server handshake (RFC 5246 section 7.3, ECDHE per RFC 8422), as an explicit
//! state machine. Full handshake:
//!
//! ```text
//!                        <--  ClientHello
//! ServerHello, Certificate, [CertificateStatus], ServerKeyExchange,
//! [CertificateRequest], ServerHelloDone -->
//!                        <--  [Certificate], ClientKeyExchange, [CertificateVerify],
//!                             ChangeCipherSpec, Finished
//! [NewSessionTicket], ChangeCipherSpec, Finished -->
//! ```
//!
//! Abbreviated handshake, when the client offers a session we cached (by ID) or sealed (ticket):
//!
//! ```text
//!                        <--  ClientHello
//! ServerHello, [NewSessionTicket], ChangeCipherSpec, Finished -->
//!                        <--  ChangeCipherSpec, Finished
//! ```
//!
//! [`SERVER_TRANSITIONS`] is the machine: each row names its handler. Negotiation is by server
//! preference: our suites, groups and ALPN protocols in our order, restricted to what the client
//! offered and what our key can sign.

use super::{read_offer, Offer};
use crate::codec::Encode;
use crate::config::ServerConfig;
use crate::crypto::kx::{self, KeyExchange};
use crate::crypto::prf::{self, MasterSecret};
use crate::crypto::sign::{algorithm_of, scheme_of};
use crate::crypto::suites::SupportedCipherSuite;
use crate::crypto::transcript::Transcript;
use crate::error::{CertificateError, Error, PeerIncompatible, PeerMisbehaved};
use crate::handshake::negotiation::{
    check_chain_len, check_point_formats, random_bytes, random_struct, scheme_fits, verify_equal,
};
use crate::handshake::table::{state_kinds, take, Machine, Row, To};
use crate::handshake::{self, refuse_renegotiation, Context, Input, InputKind, WriteKeys};
use crate::pki::key::check_signing_key_usage;
use crate::pki::resolve::CertifiedKey;
use crate::pki::verify::{ClientCertVerified, SignatureVerified};
use crate::session::{self, Session};
use crate::wire::tls12::*;
use crate::wire::*;
use pki_types::{CertificateDer, UnixTime};
use std::sync::Arc;

use HandshakeType as H;
use InputKind::Handshake as Hs;
use ServerStateKind as K;

state_kinds! {
    /// The server's states, as its table names them.
    pub(crate) enum ServerStateKind {
        /// Waiting for the client's first message.
        ExpectClientHello,
        /// Our flight sent with a CertificateRequest.
        ExpectClientCertificate,
        /// Our flight sent (and the client's certificate received, if we asked).
        ExpectClientKeyExchange,
        /// Keys derived; the client sent a certificate, so it must prove it holds the key.
        ExpectCertificateVerify,
        /// Keys derived.
        ExpectChangeCipherSpec,
        /// The client's ChangeCipherSpec arrived.
        ExpectFinished,
        /// Resuming: our ChangeCipherSpec and Finished sent.
        ResumedExpectChangeCipherSpec,
        /// Resuming; the client's ChangeCipherSpec arrived.
        ResumedExpectFinished,
        /// The handshake is complete.
        Connected,
    }
}

/// Every step the server's handshake may take.
#[rustfmt::skip]
pub(crate) static SERVER_TRANSITIONS: &[Row<ServerState>] = &[
    Row { from: &[K::ExpectClientHello], on: Hs(H::ClientHello), to: To::States(&[K::ExpectClientKeyExchange, K::ExpectClientCertificate, K::ResumedExpectChangeCipherSpec]), handler: on_client_hello, note: "7.4.1.2; full handshake, or abbreviated for a session we cached or sealed" },
    Row { from: &[K::ExpectClientCertificate], on: Hs(H::Certificate), to: To::States(&[K::ExpectClientKeyExchange]), handler: on_certificate, note: "7.4.6; chain verified (or none, if optional)" },
    Row { from: &[K::ExpectClientKeyExchange], on: Hs(H::ClientKeyExchange), to: To::States(&[K::ExpectCertificateVerify, K::ExpectChangeCipherSpec]), handler: on_client_key_exchange, note: "7.4.7; ECDHE completes, keys derived" },
    Row { from: &[K::ExpectCertificateVerify], on: Hs(H::CertificateVerify), to: To::States(&[K::ExpectChangeCipherSpec]), handler: on_certificate_verify, note: "7.4.8; the client proves it holds its certificate's key" },
    Row { from: &[K::ExpectChangeCipherSpec], on: InputKind::ChangeCipherSpec, to: To::States(&[K::ExpectFinished]), handler: on_change_cipher_spec, note: "7.1; read keys switch" },
    Row { from: &[K::ExpectFinished], on: Hs(H::Finished), to: To::States(&[K::Connected]), handler: on_finished, note: "7.4.9; client verify_data checked; we send [NewSessionTicket], CCS, Finished" },
    Row { from: &[K::ResumedExpectChangeCipherSpec], on: InputKind::ChangeCipherSpec, to: To::States(&[K::ResumedExpectFinished]), handler: on_resumed_change_cipher_spec, note: "7.1; read keys switch" },
    Row { from: &[K::ResumedExpectFinished], on: Hs(H::Finished), to: To::States(&[K::Connected]), handler: on_resumed_finished, note: "7.4.9; client verify_data checked" },
    Row { from: &[K::Connected], on: Hs(H::ClientHello), to: To::Same, handler: refuse_renegotiation, note: "renegotiation refused with a no_renegotiation warning (RFC 5746 4.4)" },
];

/// Our record_size_limit (RFC 8449): TLS 1.2's full plaintext size.
const OUR_RECORD_SIZE_LIMIT: u16 = 1 << 14;

/// The server's states.
pub(crate) enum ServerState {
    ExpectClientHello,
    ExpectClientCertificate(Pending),
    ExpectClientKeyExchange(Pending),
    ExpectCertificateVerify(Keys, ClientIdentity),
    ExpectChangeCipherSpec(Keys),
    ExpectFinished(Keys),
    ResumedExpectChangeCipherSpec(Keys),
    ResumedExpectFinished(Keys),
    Connected,
}

/// After our first flight: what the key exchange needs.
pub(crate) struct Pending {
    suite: &'static SupportedCipherSuite,
    client_random: [u8; 32],
    server_random: [u8; 32],
    kx: KeyExchange,
    resumption: Resumption,
    client: Option<ClientIdentity>,
}

/// How the session will be kept for resumption once the handshake completes.
pub(crate) struct Resumption {
    session_id: Vec<u8>,
    issue_ticket: bool,
    server_name: Option<String>,
}

/// A client certificate chain that verified, with the proof.
pub(crate) struct ClientIdentity {
    chain: Vec<CertificateDer<'static>>,
    _verified: ClientCertVerified,
}

/// After the key exchange: the master secret and our write keys.
pub(crate) struct Keys {
    suite: &'static SupportedCipherSuite,
    master: MasterSecret,
    /// Client and server random, for exports once the handshake completes.
    randoms: ([u8; 32], [u8; 32]),
    write: Option<WriteKeys>,
    resumption: Resumption,
    /// A client certificate's signature over the handshake, when one was presented.
    _client_signature: Option<SignatureVerified>,
}

impl Machine for ServerState {
    type Config = ServerConfig;
    type Kind = ServerStateKind;

    fn kind(&self) -> K {
        match self {
            ServerState::ExpectClientHello => K::ExpectClientHello,
            ServerState::ExpectClientCertificate(_) => K::ExpectClientCertificate,
            ServerState::ExpectClientKeyExchange(_) => K::ExpectClientKeyExchange,
            ServerState::ExpectCertificateVerify(..) => K::ExpectCertificateVerify,
            ServerState::ExpectChangeCipherSpec(_) => K::ExpectChangeCipherSpec,
            ServerState::ExpectFinished(_) => K::ExpectFinished,
            ServerState::ResumedExpectChangeCipherSpec(_) => K::ResumedExpectChangeCipherSpec,
            ServerState::ResumedExpectFinished(_) => K::ResumedExpectFinished,
            ServerState::Connected => K::Connected,
        }
    }

    fn table() -> &'static [Row<Self>] {
        SERVER_TRANSITIONS
    }
}

/// Feeds one input to the server machine. A renegotiating ClientHello is refused, not hashed;
/// Finished and CertificateVerify are hashed once checked against the transcript before them.
pub(crate) fn handle(
    config: &Arc<ServerConfig>,
    state: ServerState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ServerState, Error> {
    if let Input::Handshake { msg, bytes } = &input {
        log::debug!("server received {msg:?}");
        let renegotiation = matches!(state, ServerState::Connected);
        if !renegotiation && !matches!(msg.selector(), H::Finished | H::CertificateVerify) {
            cx.transcript.add(bytes);
        }
    }
    handshake::table::dispatch(config, state, input, cx)
}

// ---------------------------------------------------------------------------------------------
// The handlers, one per row (in table order). Each takes the state and message its row names;
// `dispatch` runs it for nothing else.
// ---------------------------------------------------------------------------------------------

fn on_client_hello(
    config: &Arc<ServerConfig>,
    state: ServerState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ServerState, Error> {
    take!(
        state,
        input,
        ServerState::ExpectClientHello,
        Handshake::ClientHello(ch)
    );
    client_hello(config, ch, cx)
}

fn on_certificate(
    config: &Arc<ServerConfig>,
    state: ServerState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ServerState, Error> {
    take!(
        state,
        input,
        ServerState::ExpectClientCertificate(mut p),
        Handshake::Certificate(c)
    );
    p.client = client_certificate(config, c, cx)?;
    Ok(ServerState::ExpectClientKeyExchange(p))
}

fn on_client_key_exchange(
    config: &Arc<ServerConfig>,
    state: ServerState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ServerState, Error> {
    take!(
        state,
        input,
        ServerState::ExpectClientKeyExchange(p),
        Handshake::ClientKeyExchange(cke)
    );
    client_key_exchange(config, p, cke, cx)
}

fn on_certificate_verify(
    config: &Arc<ServerConfig>,
    state: ServerState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ServerState, Error> {
    let bytes = input.bytes();
    take!(
        state,
        input,
        ServerState::ExpectCertificateVerify(mut keys, client),
        Handshake::CertificateVerify(cv)
    );
    keys._client_signature = Some(certificate_verify(config, &client, &cv, cx)?);
    cx.transcript.add(bytes);
    Ok(ServerState::ExpectChangeCipherSpec(keys))
}

fn on_change_cipher_spec(
    _config: &Arc<ServerConfig>,
    state: ServerState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ServerState, Error> {
    take!(state, input, ServerState::ExpectChangeCipherSpec(keys));
    cx.change_read_keys()?;
    Ok(ServerState::ExpectFinished(keys))
}

fn on_finished(
    config: &Arc<ServerConfig>,
    state: ServerState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ServerState, Error> {
    let bytes = input.bytes();
    take!(
        state,
        input,
        ServerState::ExpectFinished(keys),
        Handshake::Finished(fin)
    );
    check_client_finished(&keys, &fin, bytes, cx)?;
    let session = session_of(&keys, cx);
    if keys.resumption.issue_ticket {
        send_ticket(config, &session, cx)?;
    }
    if !keys.resumption.session_id.is_empty() {
        config
            .session_storage
            .put(keys.resumption.session_id.clone(), session);
    }
    let write = keys
        .write
        .ok_or_else(|| Error::Internal("no write keys".into()))?;
    cx.change_write_keys(write.0, write.1)?;
    let verify_data = keys
        .master
        .verify_data(false, &cx.transcript.current_hash()?);
    cx.send(&Handshake::Finished(Finished { verify_data }))?;
    cx.complete(keys.master, keys.randoms);
    Ok(ServerState::Connected)
}

fn on_resumed_change_cipher_spec(
    _config: &Arc<ServerConfig>,
    state: ServerState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ServerState, Error> {
    take!(
        state,
        input,
        ServerState::ResumedExpectChangeCipherSpec(keys)
    );
    cx.change_read_keys()?;
    Ok(ServerState::ResumedExpectFinished(keys))
}

fn on_resumed_finished(
    _config: &Arc<ServerConfig>,
    state: ServerState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ServerState, Error> {
    let bytes = input.bytes();
    take!(
        state,
        input,
        ServerState::ResumedExpectFinished(keys),
        Handshake::Finished(fin)
    );
    check_client_finished(&keys, &fin, bytes, cx)?;
    cx.complete(keys.master, keys.randoms);
    Ok(ServerState::Connected)
}

// ---------------------------------------------------------------------------------------------
// What the handlers do, in message order.
// ---------------------------------------------------------------------------------------------

fn check_client_finished(
    keys: &Keys,
    fin: &Finished,
    bytes: &[u8],
    cx: &mut Context<'_>,
) -> Result<(), Error> {
    let expected = keys
        .master
        .verify_data(true, &cx.transcript.current_hash()?);
    verify_equal(&expected, &fin.verify_data)?;
    cx.transcript.add(bytes);
    Ok(())
}

/// The session as it is cached or sealed into a ticket.
fn session_of(keys: &Keys, cx: &Context<'_>) -> Session {
    Session {
        cipher_suite: keys.suite.suite,
        master_secret: *keys.master.secret(),
        extended_master_secret: cx.negotiated.extended_master_secret,
        server_name: keys.resumption.server_name.clone(),
        created: session::now(),
        peer_certificates: cx.negotiated.peer_certificates.clone(),
    }
}

/// RFC 5077 3.3: a NewSessionTicket sealing the session; an empty one if sealing fails.
fn send_ticket(
    config: &ServerConfig,
    session: &Session,
    cx: &mut Context<'_>,
) -> Result<(), Error> {
    let Some(ticketer) = &config.ticketer else {
        return Ok(());
    };
    let ticket = session.seal(ticketer.as_ref()).unwrap_or_default();
    cx.send(&Handshake::NewSessionTicket(NewSessionTicket {
        ticket_lifetime_hint: ticketer.lifetime(),
        ticket: &ticket,
    }))
}

/// A session the client offered that we may resume (RFC 5246 7.4.1.2, RFC 5077 3.4, RFC 7627 5.3,
/// RFC 6066 3); `None` means a full handshake.
fn resumable(
    config: &ServerConfig,
    ch: &ClientHello<'_>,
    offer: &Offer<'_>,
) -> Result<Option<(Session, &'static SupportedCipherSuite)>, Error> {
    let session = match (offer.ticket, &config.ticketer) {
        (Some(t), Some(ticketer)) if !t.is_empty() => Session::open(ticketer.as_ref(), t),
        _ if !ch.session_id.0.is_empty() => config.session_storage.get(ch.session_id.0),
        _ => None,
    };
    let Some(session) =
        session.filter(|s| !s.is_expired(config.session_lifetime.as_secs(), session::now()))
    else {
        return Ok(None);
    };
    // RFC 7627 5.3: "If the original session used the "extended_master_secret" extension but
    // the new ClientHello does not contain it, the server MUST abort the abbreviated
    // handshake." We abort the connection (handshake_failure), as OpenSSL does, rather than
    // fall back to a full handshake: a client that dropped EMS from a hello resuming an EMS
    // session is either broken or being tampered with. (The other way round, a session
    // without EMS offered in a hello with it, the RFC asks for a full handshake: below.)
    if session.extended_master_secret && !offer.ems {
        return Err(Error::PeerMisbehaved(
            PeerMisbehaved::ExtendedMasterSecretMismatch {
                session_used_ems: true,
            },
        ));
    }
    let Some(suite) = config
        .cipher_suites
        .iter()
        .copied()
        .find(|s| s.suite == session.cipher_suite)
    else {
        return Ok(None);
    };
    let ok = ch.cipher_suites.contains(&suite.suite)
        && session.extended_master_secret == offer.ems
        && session.server_name == offer.sni;
    Ok(ok.then_some((session, suite)))
}

fn client_hello(
    config: &ServerConfig,
    ch: ClientHello<'_>,
    cx: &mut Context<'_>,
) -> Result<ServerState, Error> {
    // RFC 5246 appendix E.1 and RFC 8446 appendix D: a client offering more than TLS 1.2
    // ({3,4}, or versions that do not exist yet such as {4,1} or {254,254}) gets TLS 1.2; only
    // a client that cannot do 1.2 is refused.
    // With supported_versions, the extension chose TLS 1.2 and legacy_version means nothing
    // (RFC 8446 4.2.1).
    let v = &ch.client_version;
    let has_supported_versions = ch
        .extensions
        .iter()
        .flatten()
        .any(|e| matches!(e, Extension::SupportedVersions(_)));
    if (v.major, v.minor) < (3, 3) && !has_supported_versions {
        return Err(Error::PeerIncompatible(
            PeerIncompatible::UnsupportedVersion,
        ));
    }
    if !ch.compression_methods.contains(&CompressionMethod::Null) {
        return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
            "null compression not offered",
        )));
    }
    let offer = read_offer(ch.extensions.as_deref().unwrap_or_default())?;
    if config.require_ems && !offer.ems {
        return Err(Error::PeerIncompatible(
            PeerIncompatible::ExtendedMasterSecretRequired,
        ));
    }
    if let Some(f) = &offer.point_formats {
        check_point_formats(f)?;
    }
    let alpn = super::choose_alpn(config, &offer)?;
    let n = &mut *cx.negotiated;
    n.alpn = alpn;
    n.sni = offer.sni.clone();
    n.extended_master_secret = offer.ems;
    n.secure_renegotiation = offer.renegotiation_info
        || ch
            .cipher_suites
            .contains(&CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
    n.peer_record_size_limit = offer.record_size_limit;
    let client_random = random_bytes(&ch.random);
    let mut server_random = kx::random::<32>()?;
    if config.versions.contains(&crate::version::TLS13) {
        // RFC 8446 4.1.3: we could have done TLS 1.3, so a 1.3 client can tell it was
        // downgraded.
        if let Some(tail) = server_random.get_mut(24..) {
            tail.copy_from_slice(&crate::handshake::negotiation::DOWNGRADE_TLS12);
        }
    }
    let issue_ticket =
        offer.ticket.is_some() && config.ticketer.as_ref().is_some_and(|t| t.enabled());

    if let Some((session, suite)) = resumable(config, &ch, &offer)? {
        return resume(
            config,
            &ch,
            &offer,
            session,
            suite,
            client_random,
            server_random,
            issue_ticket,
            cx,
        );
    }

    let ck = config
        .cert_resolver
        .resolve(offer.sni.as_deref())
        .ok_or(Error::PeerIncompatible(PeerIncompatible::UnrecognizedName))?;
    let family = ck.key.family();
    // RFC 8422 4: without supported_groups, assume the client takes secp256r1.
    let client_groups = offer.groups.unwrap_or(&[NamedCurve::Secp256r1]);
    // RFC 8422 5.3: an ECDSA certificate's curve must be one the client supports, or no
    // ECDHE_ECDSA suite can be used with it.
    let curve_ok = ck
        .key
        .ecdsa_curve()
        .is_none_or(|c| client_groups.contains(&c));
    let suite = config
        .cipher_suites
        .iter()
        .find(|s| s.family == family && ch.cipher_suites.contains(&s.suite))
        .copied()
        .ok_or(Error::PeerIncompatible(
            PeerIncompatible::NoCipherSuiteInCommon,
        ))?;
    if !curve_ok {
        // Suites in common, but not the curve our certificate's key is on: say so.
        return Err(Error::PeerIncompatible(
            PeerIncompatible::CertificateCurveNotOffered,
        ));
    }
    // The post-quantum hybrids are TLS 1.3 only (draft-ietf-tls-ecdhe-mlkem): never ECDHE here.
    let group = config
        .groups
        .iter()
        .find(|g| !crate::crypto::hybrid::is_hybrid(**g) && client_groups.contains(g))
        .copied()
        .ok_or(Error::PeerIncompatible(PeerIncompatible::NoGroupInCommon))?;
    let usable: Vec<SignatureScheme> = offer
        .schemes
        .iter()
        .copied()
        .filter(|s| scheme_fits(*s, family))
        .collect();
    let scheme = ck
        .key
        .choose_scheme(&usable)
        .ok_or(Error::PeerIncompatible(
            PeerIncompatible::NoSignatureSchemeInCommon,
        ))?;
    let ask_client = config.client_verifier.offer_client_auth();
    if ask_client {
        // RFC 5246 7.4.8: CertificateVerify signs the handshake messages themselves.
        let mut buffering = Transcript::new_buffering();
        buffering.add(cx.transcript.buffered().unwrap_or_default());
        *cx.transcript = buffering;
    }
    cx.negotiated.suite = Some(suite);
    cx.negotiated.group = Some(group);
    cx.negotiated.signature_scheme = Some(scheme);
    cx.transcript.start_hash(suite.hash)?;
    let staple = ck.ocsp.as_ref().filter(|_| offer.status_request);
    // A session ID only when we can cache the session (RFC 5246 7.4.1.3).
    let session_id = if config.session_storage.can_cache() {
        kx::random::<32>()?.to_vec()
    } else {
        Vec::new()
    };
    cx.negotiated.session_id = session_id.clone();

    let alpn = cx.negotiated.alpn.clone();
    let mut extensions =
        server_extensions(&offer, alpn.as_deref(), cx.negotiated.secure_renegotiation);
    if issue_ticket {
        extensions.push(Extension::SessionTicket(SessionTicket { ticket: &[] }));
    }
    if staple.is_some() {
        extensions.push(Extension::StatusRequest(
            CertificateStatusRequestExtension::ServerHello,
        ));
    }
    cx.send(&Handshake::ServerHello(ServerHello {
        server_version: crate::record::TLS12,
        random: random_struct(&server_random),
        session_id: SessionID(&session_id),
        cipher_suite: suite.suite,
        compression_method: CompressionMethod::Null,
        extensions: Some(extensions),
    }))?;
    cx.reader.set_version(crate::record::TLS12);
    if let Some(limit) = offer.record_size_limit {
        cx.writer.set_max_fragment(limit as usize);
    }
    let chain: Vec<ASN1Cert<'_>> = ck.cert.iter().map(|c| ASN1Cert(c.as_ref())).collect();
    cx.send(&Handshake::Certificate(Certificate {
        certificate_list: chain,
    }))?;
    if let Some(ocsp) = staple {
        cx.send(&Handshake::CertificateStatus(CertificateStatus::Ocsp(
            OCSPResponse(ocsp),
        )))?;
    }
    let kx = KeyExchange::start(group)?;
    send_server_key_exchange(&ck, scheme, group, &kx, &client_random, &server_random, cx)?;
    if ask_client {
        send_certificate_request(config, cx)?;
    }
    cx.send(&Handshake::ServerHelloDone(ServerHelloDone {}))?;
    let pending = Pending {
        suite,
        client_random,
        server_random,
        kx,
        resumption: Resumption {
            session_id,
            issue_ticket,
            server_name: offer.sni.clone(),
        },
        client: None,
    };
    Ok(if ask_client {
        ServerState::ExpectClientCertificate(pending)
    } else {
        ServerState::ExpectClientKeyExchange(pending)
    })
}

/// The ServerHello extensions every handshake answers with.
fn server_extensions<'o>(
    offer: &Offer<'_>,
    alpn: Option<&'o [u8]>,
    secure_renegotiation: bool,
) -> Vec<Extension<'o>> {
    let mut extensions = Vec::new();
    if secure_renegotiation {
        extensions.push(Extension::RenegotiationInfo(RenegotiationInfo {
            renegotiated_connection: &[],
        }));
    }
    if offer.ems {
        extensions.push(Extension::ExtendedMasterSecret(ExtendedMasterSecret {}));
    }
    if offer.sni.is_some() {
        extensions.push(Extension::ServerName(ServerNameExtension::ServerHello));
    }
    if offer.point_formats.is_some() {
        extensions.push(Extension::EcPointFormats(ECPointFormatList {
            ec_point_format_list: vec![ECPointFormat::Uncompressed],
        }));
    }
    if let Some(p) = alpn {
        extensions.push(Extension::ApplicationLayerProtocolNegotiation(
            ProtocolNameList {
                protocol_name_list: vec![ProtocolName(p)],
            },
        ));
    }
    if offer.record_size_limit.is_some() {
        extensions.push(Extension::RecordSizeLimit(RecordSizeLimit(
            OUR_RECORD_SIZE_LIMIT,
        )));
    }
    extensions
}

#[allow(clippy::too_many_arguments)]
fn resume(
    config: &ServerConfig,
    ch: &ClientHello<'_>,
    offer: &Offer<'_>,
    session: Session,
    suite: &'static SupportedCipherSuite,
    client_random: [u8; 32],
    server_random: [u8; 32],
    issue_ticket: bool,
    cx: &mut Context<'_>,
) -> Result<ServerState, Error> {
    cx.negotiated.suite = Some(suite);
    cx.negotiated.resumed = true;
    cx.negotiated.session_id = ch.session_id.0.to_vec();
    cx.negotiated.peer_certificates = session.peer_certificates.clone();
    cx.transcript.start_hash(suite.hash)?;
    let alpn = cx.negotiated.alpn.clone();
    let mut extensions =
        server_extensions(offer, alpn.as_deref(), cx.negotiated.secure_renegotiation);
    if issue_ticket {
        extensions.push(Extension::SessionTicket(SessionTicket { ticket: &[] }));
    }
    // RFC 5077 3.4: echo the client's session ID, also when resuming by ticket.
    cx.send(&Handshake::ServerHello(ServerHello {
        server_version: crate::record::TLS12,
        random: random_struct(&server_random),
        session_id: SessionID(ch.session_id.0),
        cipher_suite: suite.suite,
        compression_method: CompressionMethod::Null,
        extensions: Some(extensions),
    }))?;
    cx.reader.set_version(crate::record::TLS12);
    if let Some(limit) = offer.record_size_limit {
        cx.writer.set_max_fragment(limit as usize);
    }
    let master = MasterSecret::new(suite.hash, session.master_secret);
    config
        .key_log
        .log("CLIENT_RANDOM", &client_random, master.secret());
    if issue_ticket {
        // The session renewed as of now (field by field: Session wipes itself in Drop, which
        // rules out `..` struct update).
        let mut renewed = session.clone();
        renewed.created = session::now();
        send_ticket(config, &renewed, cx)?;
    }
    let keys = master.key_block(suite, &client_random, &server_random);
    let (write, read) = handshake::record_keys(suite, &keys, false)?;
    cx.change_write_keys(write.0, write.1)?;
    *cx.pending_read = Some(read);
    let verify_data = master.verify_data(false, &cx.transcript.current_hash()?);
    cx.send(&Handshake::Finished(Finished { verify_data }))?;
    Ok(ServerState::ResumedExpectChangeCipherSpec(Keys {
        suite,
        master,
        randoms: (client_random, server_random),
        write: None,
        resumption: Resumption {
            session_id: Vec::new(),
            issue_ticket: false,
            server_name: session.server_name.clone(),
        },
        _client_signature: None,
    }))
}

fn send_server_key_exchange(
    ck: &CertifiedKey,
    scheme: SignatureScheme,
    group: NamedCurve,
    kx: &KeyExchange,
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    cx: &mut Context<'_>,
) -> Result<(), Error> {
    let params = ServerECDHParams {
        curve_params: ECParameters::NamedCurve { namedcurve: group },
        public: ECPoint {
            point: kx.public_key(),
        },
    };
    // RFC 5246 7.4.3: sign client_random + server_random + params.
    let signed = ServerKeyExchangeEcDiffieHellmanSignedParams {
        client_random: *client_random,
        server_random: *server_random,
        params: params.clone(),
    }
    .to_vec();
    let signature = ck.key.sign(scheme, &signed)?;
    cx.send(&Handshake::ServerKeyExchange(
        ServerKeyExchange::EcDiffieHellman {
            params,
            signed_params: DigitallySigned {
                algorithm: algorithm_of(scheme),
                signature: &signature,
            },
        },
    ))
}

/// RFC 5246 7.4.4: the certificate types and schemes we verify, and the CAs we trust.
/// The client verifier's CA names for a CertificateRequest: as many as fit the 2^16-1 bytes
/// of certificate_authorities (a hint only).
pub(super) fn hint_subjects(config: &ServerConfig) -> Vec<Vec<u8>> {
    let mut room = 0xffffusize;
    config
        .client_verifier
        .root_hint_subjects()
        .into_iter()
        .take_while(|s| {
            let need = s.len() + 2;
            room = room.saturating_sub(need);
            room > 0
        })
        .collect()
}

fn send_certificate_request(config: &ServerConfig, cx: &mut Context<'_>) -> Result<(), Error> {
    let subjects = hint_subjects(config);
    cx.send(&Handshake::CertificateRequest(CertificateRequest {
        certificate_types: vec![
            ClientCertificateType::EcdsaSign,
            ClientCertificateType::RsaSign,
        ],
        supported_signature_algorithms: config
            .client_verifier
            .supported_schemes()
            .into_iter()
            .map(algorithm_of)
            .collect(),
        certificate_authorities: subjects.iter().map(|s| DistinguishedName(s)).collect(),
    }))
}

fn client_certificate(
    config: &ServerConfig,
    c: Certificate<'_>,
    cx: &mut Context<'_>,
) -> Result<Option<ClientIdentity>, Error> {
    check_chain_len(c.certificate_list.len())?;
    let mut certs = c
        .certificate_list
        .iter()
        .map(|c| CertificateDer::from(c.0.to_vec()));
    let Some(end_entity) = certs.next() else {
        // RFC 5246 7.4.6: an empty list; fatal only if we require a certificate.
        if config.client_verifier.client_auth_mandatory() {
            return Err(Error::InvalidCertificate(CertificateError::NoCertificate));
        }
        return Ok(None);
    };
    let intermediates: Vec<CertificateDer<'static>> = certs.collect();
    let verified =
        config
            .client_verifier
            .verify_client_cert(&end_entity, &intermediates, UnixTime::now())?;
    // Its key signs the CertificateVerify (RFC 5246 7.4.8).
    check_signing_key_usage(&end_entity)?;
    let chain: Vec<CertificateDer<'static>> =
        std::iter::once(end_entity).chain(intermediates).collect();
    cx.negotiated.peer_certificates = chain.clone();
    Ok(Some(ClientIdentity {
        chain,
        _verified: verified,
    }))
}

fn certificate_verify(
    config: &ServerConfig,
    client: &ClientIdentity,
    cv: &CertificateVerify<'_>,
    cx: &mut Context<'_>,
) -> Result<SignatureVerified, Error> {
    let scheme = scheme_of(cv.signature.algorithm.clone());
    if !config.client_verifier.supported_schemes().contains(&scheme) {
        return Err(Error::PeerMisbehaved(
            PeerMisbehaved::SelectedUnofferedParameter("signature scheme"),
        ));
    }
    let messages = cx
        .transcript
        .buffered()
        .ok_or_else(|| Error::Internal("transcript not buffered for CertificateVerify".into()))?;
    let leaf = client
        .chain
        .first()
        .ok_or(Error::InvalidCertificate(CertificateError::NoCertificate))?;
    config
        .client_verifier
        .verify_tls12_signature(messages, leaf, scheme, cv.signature.signature)
}

fn client_key_exchange(
    config: &ServerConfig,
    p: Pending,
    cke: ClientKeyExchange<'_>,
    cx: &mut Context<'_>,
) -> Result<ServerState, Error> {
    let ClientKeyExchange::EcDiffieHellman(public) = cke else {
        return Err(Error::UnexpectedMessage {
            state: "ExpectClientKeyExchange",
            got: "non-ECDHE ClientKeyExchange".into(),
            expected: "an ECDHE ClientKeyExchange".into(),
        });
    };
    let pre_master = p.kx.complete(public.ecdh_yc.point)?;
    let master = MasterSecret::new(
        p.suite.hash,
        if cx.negotiated.extended_master_secret {
            prf::extended_master_secret(p.suite.hash, &pre_master, &cx.transcript.current_hash()?)
        } else {
            prf::master_secret(
                p.suite.hash,
                &pre_master,
                &p.client_random,
                &p.server_random,
            )
        },
    );
    config
        .key_log
        .log("CLIENT_RANDOM", &p.client_random, master.secret());
    let keys = master.key_block(p.suite, &p.client_random, &p.server_random);
    let (write, read) = handshake::record_keys(p.suite, &keys, false)?;
    *cx.pending_read = Some(read);
    if p.client.is_none() {
        // No CertificateVerify will come: the raw messages are no longer needed.
        cx.transcript.stop_buffering();
    }
    let keys = Keys {
        suite: p.suite,
        master,
        randoms: (p.client_random, p.server_random),
        write: Some(write),
        resumption: p.resumption,
        _client_signature: None,
    };
    Ok(match p.client {
        Some(client) => ServerState::ExpectCertificateVerify(keys, client),
        None => ServerState::ExpectChangeCipherSpec(keys),
    })
}
