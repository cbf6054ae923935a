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
//! Verification results are values carried in the states: the state after ServerKeyExchange
//! holds a [`SignatureVerified`] and a [`ServerCertVerified`], so the machine cannot reach the
//! key exchange without both.

use crate::codec::Encode;
use crate::config::ClientConfig;
use crate::error::{CertificateError, Error, PeerIncompatible, PeerMisbehaved};
use crate::handshake::{
    self, check_chain_len, check_duplicates, verify_equal, Context, Input, InputKind, State,
    Transition, WriteKeys,
};
use crate::kx::{self, KeyExchange};
use crate::prf::{self, MasterSecret, Transcript};
use crate::resolve::CertifiedKey;
use crate::session::{self, ClientSessionValue, Session};
use crate::sign::{algorithm_of, scheme_of};
use crate::suites::{SignatureFamily, SupportedCipherSuite};
use crate::verify::{ServerCertVerified, SignatureVerified};
use crate::wire::*;
use pki_types::{CertificateDer, ServerName, UnixTime};
use std::sync::Arc;

use HandshakeType as H;
use InputKind::Handshake as Hs;

/// Every step the client's handshake may take.
#[rustfmt::skip]
pub static CLIENT_TRANSITIONS: &[Transition] = &[
    Transition { from: "ExpectServerHello", on: Hs(H::ServerHello), to: &["ExpectCertificate", "ResumedExpectNewSessionTicket", "ResumedExpectChangeCipherSpec"], note: "7.4.1.3; the server resumes if it echoes our session ID" },
    Transition { from: "ExpectCertificate", on: Hs(H::Certificate), to: &["ExpectServerKeyExchange", "ExpectCertificateStatus"], note: "7.4.2; chain verified here, or after the stapled OCSP response" },
    Transition { from: "ExpectCertificateStatus", on: Hs(H::CertificateStatus), to: &["ExpectServerKeyExchange"], note: "RFC 6066 8; chain verified with the OCSP response" },
    Transition { from: "ExpectCertificateStatus", on: Hs(H::ServerKeyExchange), to: &["ExpectServerHelloDone"], note: "RFC 6066 8: the server may staple nothing; chain verified, then 7.4.3" },
    Transition { from: "ExpectServerKeyExchange", on: Hs(H::ServerKeyExchange), to: &["ExpectServerHelloDone"], note: "7.4.3; ECDHE params, signature verified here" },
    Transition { from: "ExpectServerHelloDone", on: Hs(H::CertificateRequest), to: &["ExpectServerHelloDoneAfterCertRequest"], note: "7.4.4; we answer with our certificate, or an empty one" },
    Transition { from: "ExpectServerHelloDone", on: Hs(H::ServerHelloDone), to: &["ExpectNewSessionTicket", "ExpectChangeCipherSpec"], note: "7.4.5; we send ClientKeyExchange, CCS, Finished" },
    Transition { from: "ExpectServerHelloDoneAfterCertRequest", on: Hs(H::ServerHelloDone), to: &["ExpectNewSessionTicket", "ExpectChangeCipherSpec"], note: "7.4.5; we send Certificate, ClientKeyExchange, [CertificateVerify], CCS, Finished" },
    Transition { from: "ExpectNewSessionTicket", on: Hs(H::NewSessionTicket), to: &["ExpectChangeCipherSpec"], note: "RFC 5077 3.3; ticket kept for resumption" },
    Transition { from: "ExpectChangeCipherSpec", on: InputKind::ChangeCipherSpec, to: &["ExpectFinished"], note: "7.1; read keys switch" },
    Transition { from: "ExpectFinished", on: Hs(H::Finished), to: &["Connected"], note: "7.4.9; server verify_data checked, session stored" },
    Transition { from: "ResumedExpectNewSessionTicket", on: Hs(H::NewSessionTicket), to: &["ResumedExpectChangeCipherSpec"], note: "RFC 5077 3.1; a fresh ticket" },
    Transition { from: "ResumedExpectChangeCipherSpec", on: InputKind::ChangeCipherSpec, to: &["ResumedExpectFinished"], note: "7.1; read keys switch" },
    Transition { from: "ResumedExpectFinished", on: Hs(H::Finished), to: &["Connected"], note: "7.4.9; server verify_data checked, we send CCS and Finished" },
    Transition { from: "Connected", on: Hs(H::HelloRequest), to: &["Connected"], note: "7.4.1.1; refused with a no_renegotiation warning" },
    // 7.4.1.1: HelloRequest "will be ignored by the client if the client is currently negotiating a session".
    Transition { from: "ExpectServerHello", on: Hs(H::HelloRequest), to: &["ExpectServerHello"], note: "7.4.1.1; ignored while negotiating" },
    Transition { from: "ExpectCertificate", on: Hs(H::HelloRequest), to: &["ExpectCertificate"], note: "7.4.1.1; ignored while negotiating" },
    Transition { from: "ExpectCertificateStatus", on: Hs(H::HelloRequest), to: &["ExpectCertificateStatus"], note: "7.4.1.1; ignored while negotiating" },
    Transition { from: "ExpectServerKeyExchange", on: Hs(H::HelloRequest), to: &["ExpectServerKeyExchange"], note: "7.4.1.1; ignored while negotiating" },
    Transition { from: "ExpectServerHelloDone", on: Hs(H::HelloRequest), to: &["ExpectServerHelloDone"], note: "7.4.1.1; ignored while negotiating" },
    Transition { from: "ExpectServerHelloDoneAfterCertRequest", on: Hs(H::HelloRequest), to: &["ExpectServerHelloDoneAfterCertRequest"], note: "7.4.1.1; ignored while negotiating" },
    Transition { from: "ExpectNewSessionTicket", on: Hs(H::HelloRequest), to: &["ExpectNewSessionTicket"], note: "7.4.1.1; ignored while negotiating" },
    Transition { from: "ExpectChangeCipherSpec", on: Hs(H::HelloRequest), to: &["ExpectChangeCipherSpec"], note: "7.4.1.1; ignored while negotiating" },
    Transition { from: "ExpectFinished", on: Hs(H::HelloRequest), to: &["ExpectFinished"], note: "7.4.1.1; ignored while negotiating" },
    Transition { from: "ResumedExpectNewSessionTicket", on: Hs(H::HelloRequest), to: &["ResumedExpectNewSessionTicket"], note: "7.4.1.1; ignored while negotiating" },
    Transition { from: "ResumedExpectChangeCipherSpec", on: Hs(H::HelloRequest), to: &["ResumedExpectChangeCipherSpec"], note: "7.4.1.1; ignored while negotiating" },
    Transition { from: "ResumedExpectFinished", on: Hs(H::HelloRequest), to: &["ResumedExpectFinished"], note: "7.4.1.1; ignored while negotiating" },
];

/// What the client sent in its hello, kept to check the server's answer.
pub(crate) struct Hello {
    client_random: [u8; 32],
    server_name: ServerName<'static>,
    offered_schemes: Vec<SignatureScheme>,
    /// The session we offered to resume, and the session ID we sent for it.
    resuming: Option<(ClientSessionValue, Vec<u8>)>,
    offered_ticket_extension: bool,
    offered_status_request: bool,
}

/// The server's choices, checked against what we offered.
pub(crate) struct ServerChoice {
    hello: Hello,
    server_random: [u8; 32],
    suite: &'static SupportedCipherSuite,
    session_id: Vec<u8>,
    ticket_acked: bool,
}

/// A chain received but not yet verified (waiting for a stapled OCSP response).
pub(crate) struct UnverifiedChain {
    end_entity: CertificateDer<'static>,
    intermediates: Vec<CertificateDer<'static>>,
}

/// A verified chain: the certificate the server's signature must verify under.
pub(crate) struct VerifiedChain {
    end_entity: CertificateDer<'static>,
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
    ExpectServerHello(Hello),
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
    /// The session as it will be cached once the handshake completes.
    value: ClientSessionValue,
    /// Resumed handshakes: our write keys, used once the server's Finished checks out.
    write: Option<WriteKeys>,
}

impl State for ClientState {
    fn name(&self) -> &'static str {
        match self {
            ClientState::ExpectServerHello(_) => "ExpectServerHello",
            ClientState::ExpectCertificate(_) => "ExpectCertificate",
            ClientState::ExpectCertificateStatus(..) => "ExpectCertificateStatus",
            ClientState::ExpectServerKeyExchange(..) => "ExpectServerKeyExchange",
            ClientState::ExpectServerHelloDone { request: None, .. } => "ExpectServerHelloDone",
            ClientState::ExpectServerHelloDone {
                request: Some(_), ..
            } => "ExpectServerHelloDoneAfterCertRequest",
            ClientState::ExpectNewSessionTicket(_) => "ExpectNewSessionTicket",
            ClientState::ExpectChangeCipherSpec(_) => "ExpectChangeCipherSpec",
            ClientState::ExpectFinished(_) => "ExpectFinished",
            ClientState::ResumedExpectNewSessionTicket(_) => "ResumedExpectNewSessionTicket",
            ClientState::ResumedExpectChangeCipherSpec(_) => "ResumedExpectChangeCipherSpec",
            ClientState::ResumedExpectFinished(_) => "ResumedExpectFinished",
            ClientState::Connected => "Connected",
        }
    }
}

/// The key a session is cached under: the server name as the application gave it.
pub(crate) fn cache_key(name: &ServerName<'_>) -> String {
    match name {
        ServerName::DnsName(d) => d.as_ref().to_ascii_lowercase(),
        ServerName::IpAddress(ip) => format!("{:?}", std::net::IpAddr::from(*ip)),
        _ => String::new(),
    }
}

/// Sends the ClientHello and returns the first state. The transcript buffers every message
/// when we may have to sign them (client authentication, RFC 5246 7.4.8).
pub(crate) fn start(
    config: &ClientConfig,
    server_name: ServerName<'static>,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    if config.client_auth_cert.is_some() {
        *cx.transcript = Transcript::new_buffering();
    }
    // One system call for both the client random and the session ID a ticket offer carries.
    let randomness = kx::random::<64>()?;
    let (client_random, fresh_session_id) = randomness
        .split_first_chunk::<32>()
        .ok_or_else(|| Error::Internal("64 random bytes split at 32".into()))?;
    let client_random = *client_random;
    let offered_schemes = config.verifier.supported_schemes();
    // A cached session we can still offer: its suite must be one we offer now.
    let resuming = config
        .session_storage
        .get(&cache_key(&server_name))
        .filter(|v| {
            config
                .cipher_suites
                .iter()
                .any(|s| s.suite == v.session.cipher_suite)
        })
        .filter(|v| {
            // RFC 5077 3.3: a ticket past its lifetime hint is deleted with its session.
            let stale = v.ticket.is_some()
                && v.ticket_lifetime_hint != 0
                && v.session
                    .is_expired(u64::from(v.ticket_lifetime_hint), session::now());
            if stale {
                config.session_storage.remove(&cache_key(&server_name));
            }
            !stale
        });
    let session_id = match &resuming {
        // RFC 5077 3.4: with a ticket, a fresh session ID tells us whether the server accepted it.
        Some(v) if v.ticket.is_some() => fresh_session_id.to_vec(),
        Some(v) => v.session_id.clone(),
        None => Vec::new(),
    };
    let ticket = resuming.as_ref().and_then(|v| v.ticket.clone());

    let mut extensions = Vec::new();
    if let (true, ServerName::DnsName(dns)) = (config.enable_sni, &server_name) {
        extensions.push(Extension::ServerName(ServerNameExtension::ClientHello(
            ServerNameList {
                server_name_list: vec![crate::wire::ServerName::HostName(HostName(
                    dns.as_ref().as_bytes(),
                ))],
            },
        )));
    }
    extensions.push(Extension::EllipticCurves(NamedCurveList {
        named_curve_list: config.groups.clone(),
    }));
    extensions.push(Extension::EcPointFormats(ECPointFormatList {
        ec_point_format_list: vec![ECPointFormat::Uncompressed],
    }));
    extensions.push(Extension::SignatureAlgorithms(
        SignatureAndHashAlgorithmList {
            supported_signature_algorithms: offered_schemes
                .iter()
                .map(|s| algorithm_of(*s))
                .collect(),
        },
    ));
    let alpn: Vec<ProtocolName<'_>> = config
        .alpn_protocols
        .iter()
        .map(|p| ProtocolName(p))
        .collect();
    if !alpn.is_empty() {
        extensions.push(Extension::ApplicationLayerProtocolNegotiation(
            ProtocolNameList {
                protocol_name_list: alpn,
            },
        ));
    }
    extensions.push(Extension::ExtendedMasterSecret(ExtendedMasterSecret {}));
    // RFC 8449: we take full-size records; the server may ask us for smaller ones.
    extensions.push(Extension::RecordSizeLimit(RecordSizeLimit(
        crate::record::MAX_PLAINTEXT as u16,
    )));
    extensions.push(Extension::RenegotiationInfo(RenegotiationInfo {
        renegotiated_connection: &[],
    }));
    let offered_ticket_extension = config.enable_tickets || ticket.is_some();
    if offered_ticket_extension {
        extensions.push(Extension::SessionTicket(SessionTicket {
            ticket: ticket.as_deref().unwrap_or_default(),
        }));
    }
    if config.enable_ocsp_stapling {
        extensions.push(Extension::StatusRequest(
            CertificateStatusRequestExtension::ClientHello(CertificateStatusRequest::Ocsp(
                OCSPStatusRequest {
                    responder_id_list: Vec::new(),
                    request_extensions: Extensions(&[]),
                },
            )),
        ));
    }
    let hello = ClientHello {
        client_version: crate::record::TLS12,
        random: random_struct(&client_random),
        session_id: SessionID(&session_id),
        cipher_suites: config.cipher_suites.iter().map(|s| s.suite).collect(),
        compression_methods: vec![CompressionMethod::Null],
        extensions: Some(extensions),
    };
    cx.send(&Handshake::ClientHello(hello))?;
    Ok(ClientState::ExpectServerHello(Hello {
        client_random,
        server_name,
        offered_schemes,
        resuming: resuming.map(|v| (v, session_id)),
        offered_ticket_extension,
        offered_status_request: config.enable_ocsp_stapling,
    }))
}

/// The generated `Random` (RFC 5246 7.4.1.2) over 32 random bytes.
pub(crate) fn random_struct(bytes: &[u8; 32]) -> Random {
    let mut random_bytes = [0u8; 28];
    random_bytes.copy_from_slice(&bytes[4..]);
    Random {
        gmt_unix_time: u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]),
        random_bytes,
    }
}

/// The 32 bytes of a generated `Random`.
pub(crate) fn random_bytes(r: &Random) -> [u8; 32] {
    let mut out = [0u8; 32];
    out[..4].copy_from_slice(&r.gmt_unix_time.to_be_bytes());
    out[4..].copy_from_slice(&r.random_bytes);
    out
}

/// Feeds one input to the client machine.
pub(crate) fn handle(
    config: &Arc<ClientConfig>,
    state: ClientState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    use ClientState as S;
    handshake::dispatch(CLIENT_TRANSITIONS, state, input, |state, input| {
        let (msg, bytes) = match input {
            Input::Handshake { msg, bytes } => (Some(msg), bytes),
            Input::ChangeCipherSpec => (None, &[][..]),
        };
        // Every handshake message but HelloRequest goes into the transcript (RFC 5246 7.4.9);
        // a Finished only after its verify_data was checked against the transcript before it.
        if let Some(m) = &msg {
            log::debug!("client received {m:?}");
            if !matches!(m.selector(), H::HelloRequest | H::Finished) {
                cx.transcript.add(bytes);
            }
        }
        match (state, msg) {
            (S::ExpectServerHello(hello), Some(Handshake::ServerHello(sh))) => {
                server_hello(config, hello, sh, cx)
            }
            (S::ExpectCertificate(choice), Some(Handshake::Certificate(c))) => {
                certificate(config, choice, c, cx)
            }
            (
                S::ExpectCertificateStatus(choice, chain),
                Some(Handshake::CertificateStatus(CertificateStatus::Ocsp(ocsp))),
            ) => {
                let verified = verify_chain(config, &choice, chain, ocsp.0, cx)?;
                Ok(S::ExpectServerKeyExchange(choice, verified))
            }
            (
                S::ExpectCertificateStatus(choice, chain),
                Some(Handshake::ServerKeyExchange(ske)),
            ) => {
                let verified = verify_chain(config, &choice, chain, &[], cx)?;
                server_key_exchange(config, choice, verified, ske, cx)
            }
            (
                S::ExpectServerKeyExchange(choice, chain),
                Some(Handshake::ServerKeyExchange(ske)),
            ) => server_key_exchange(config, choice, chain, ske, cx),
            (
                S::ExpectServerHelloDone {
                    choice,
                    kx,
                    request: None,
                },
                Some(Handshake::CertificateRequest(cr)),
            ) => {
                let request = CertRequest {
                    types: cr.certificate_types.clone(),
                    schemes: cr
                        .supported_signature_algorithms
                        .iter()
                        .map(|a| scheme_of(a.clone()))
                        .collect(),
                };
                Ok(S::ExpectServerHelloDone {
                    choice,
                    kx,
                    request: Some(request),
                })
            }
            (
                S::ExpectServerHelloDone {
                    choice,
                    kx,
                    request,
                },
                Some(Handshake::ServerHelloDone(_)),
            ) => server_hello_done(config, choice, kx, request, cx),
            (S::ExpectNewSessionTicket(mut secrets), Some(Handshake::NewSessionTicket(t))) => {
                keep_ticket(&mut secrets, &t);
                Ok(S::ExpectChangeCipherSpec(secrets))
            }
            (S::ExpectChangeCipherSpec(secrets), None) => {
                cx.change_read_keys()?;
                Ok(S::ExpectFinished(secrets))
            }
            (S::ExpectFinished(secrets), Some(Handshake::Finished(fin))) => {
                check_server_finished(&secrets, &fin, bytes, cx)?;
                store_session(config, secrets.value);
                *cx.handshake_done = true;
                Ok(S::Connected)
            }
            (
                S::ResumedExpectNewSessionTicket(mut secrets),
                Some(Handshake::NewSessionTicket(t)),
            ) => {
                keep_ticket(&mut secrets, &t);
                Ok(S::ResumedExpectChangeCipherSpec(secrets))
            }
            (S::ResumedExpectChangeCipherSpec(secrets), None) => {
                cx.change_read_keys()?;
                Ok(S::ResumedExpectFinished(secrets))
            }
            (S::ResumedExpectFinished(secrets), Some(Handshake::Finished(fin))) => {
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
                *cx.handshake_done = true;
                Ok(S::Connected)
            }
            (S::Connected, Some(Handshake::HelloRequest(_))) => {
                cx.send_warning(AlertDescription::NoRenegotiation)?;
                Ok(S::Connected)
            }
            (state, Some(Handshake::HelloRequest(_))) => Ok(state),
            (state, msg) => Err(Error::UnexpectedMessage {
                state: state.name(),
                got: msg.map_or("ChangeCipherSpec".to_string(), |m| {
                    format!("{:?}", m.selector())
                }),
            }),
        }
    })
}

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

fn store_session(config: &ClientConfig, value: ClientSessionValue) {
    let key = value.session.server_name.clone().unwrap_or_default();
    if key.is_empty() || (value.session_id.is_empty() && value.ticket.is_none()) {
        return;
    }
    config.session_storage.put(&key, value);
}

fn server_hello(
    config: &ClientConfig,
    mut hello: Hello,
    sh: ServerHello<'_>,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    if sh.server_version != crate::record::TLS12 {
        return Err(Error::PeerIncompatible(
            PeerIncompatible::UnsupportedVersion,
        ));
    }
    cx.reader.set_version(crate::record::TLS12);
    let suite = config
        .cipher_suites
        .iter()
        .find(|s| s.suite == sh.cipher_suite)
        .copied()
        .ok_or(Error::PeerMisbehaved(
            PeerMisbehaved::SelectedUnofferedParameter("cipher suite"),
        ))?;
    if sh.compression_method != CompressionMethod::Null {
        return Err(Error::PeerMisbehaved(
            PeerMisbehaved::SelectedUnofferedParameter("compression method"),
        ));
    }
    let exts = sh.extensions.unwrap_or_default();
    check_duplicates(&exts)?;
    let (mut ems, mut reneg, mut ticket_acked, mut status_acked) = (false, false, false, false);
    for e in &exts {
        match e {
            Extension::ExtendedMasterSecret(_) => ems = true,
            Extension::RenegotiationInfo(ri) => {
                // RFC 5746 3.4: on an initial handshake it must be empty.
                if !ri.renegotiated_connection.is_empty() {
                    return Err(Error::PeerMisbehaved(PeerMisbehaved::BadRenegotiationInfo));
                }
                reneg = true;
            }
            Extension::ApplicationLayerProtocolNegotiation(_)
                if config.alpn_protocols.is_empty() =>
            {
                return Err(unsolicited(e));
            }
            Extension::ApplicationLayerProtocolNegotiation(p) => {
                let [chosen] = p.protocol_name_list.as_slice() else {
                    return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
                        "ALPN answer must name one protocol",
                    )));
                };
                if !config
                    .alpn_protocols
                    .iter()
                    .any(|o| o.as_slice() == chosen.0)
                {
                    return Err(Error::PeerMisbehaved(
                        PeerMisbehaved::SelectedUnofferedParameter("ALPN protocol"),
                    ));
                }
                cx.negotiated.alpn = Some(chosen.0.to_vec());
            }
            Extension::ServerName(ServerNameExtension::ServerHello) => {}
            Extension::RecordSizeLimit(l) => {
                if l.0 < 64 {
                    return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
                        "record_size_limit below 64",
                    )));
                }
                cx.negotiated.peer_record_size_limit = Some(l.0);
            }
            Extension::EcPointFormats(f) => {
                if !f
                    .ec_point_format_list
                    .contains(&ECPointFormat::Uncompressed)
                {
                    // RFC 8422 5.1.2: uncompressed must be in the list; illegal_parameter.
                    return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
                        "ec_point_formats without uncompressed",
                    )));
                }
            }
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
            PeerMisbehaved::ExtendedMasterSecretMismatch,
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
    let end_entity = certs
        .next()
        .ok_or(Error::InvalidCertificate(CertificateError::NoCertificate))?;
    let chain = UnverifiedChain {
        end_entity,
        intermediates: certs.collect(),
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
        });
    };
    let ECParameters::NamedCurve { namedcurve } = params.curve_params;
    if !config.groups.contains(&namedcurve) {
        return Err(Error::PeerMisbehaved(
            PeerMisbehaved::SelectedUnofferedParameter("group"),
        ));
    }
    let scheme = scheme_of(signed_params.algorithm.clone());
    if !choice.hello.offered_schemes.contains(&scheme) || !scheme_fits(scheme, choice.suite.family)
    {
        return Err(Error::PeerMisbehaved(
            PeerMisbehaved::SelectedUnofferedParameter("signature scheme"),
        ));
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

/// Whether a signature scheme belongs with the suite's authentication (ECDHE_ECDSA or ECDHE_RSA).
pub(crate) fn scheme_fits(scheme: SignatureScheme, family: SignatureFamily) -> bool {
    use SignatureScheme as S;
    match family {
        SignatureFamily::Ecdsa => matches!(
            scheme,
            S::EcdsaSecp256r1Sha256
                | S::EcdsaSecp384r1Sha384
                | S::EcdsaSecp521r1Sha512
                | S::Ed25519
        ),
        SignatureFamily::Rsa => matches!(
            scheme,
            S::RsaPkcs1Sha256
                | S::RsaPkcs1Sha384
                | S::RsaPkcs1Sha512
                | S::RsaPssRsaeSha256
                | S::RsaPssRsaeSha384
                | S::RsaPssRsaeSha512
        ),
    }
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
        value,
        write: None,
    };
    Ok(if choice.ticket_acked {
        ClientState::ExpectNewSessionTicket(secrets)
    } else {
        ClientState::ExpectChangeCipherSpec(secrets)
    })
}
