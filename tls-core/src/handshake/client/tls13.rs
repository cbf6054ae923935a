//! The TLS 1.3 client handshake (RFC 8446 section 2, 4), as an explicit state machine:
//!
//! ```text
//! ClientHello + key_share     -->
//! (0-RTT: application data)   -->
//!                             <--  [HelloRetryRequest + cookie, key_share group]
//! [ClientHello + key_share]   -->
//!                             <--  ServerHello + key_share
//!                                  {EncryptedExtensions} {CertificateRequest}
//!                                  {Certificate} {CertificateVerify} {Finished}
//! (0-RTT accepted: EndOfEarlyData)  -->
//! {Certificate} {CertificateVerify} {Finished}  -->
//!                             <--  [NewSessionTicket] [KeyUpdate]
//! ```
//!
//! `{}` is under the handshake traffic keys, everything after under the application keys;
//! 0-RTT data and EndOfEarlyData under the client_early_traffic_secret of the ticket's PSK.
//! [`CLIENT13_TRANSITIONS`] is the machine. The state before Finished holds the verified chain
//! and the verified CertificateVerify, so the machine cannot complete without both.

use super::{send_hello, Hello};
use crate::config::ClientConfig;
use crate::crypto::key_schedule::{EarlySecret, HandshakeSecret, ResumptionMasterSecret, Secret};
use crate::crypto::sign13::{self, Signer};
use crate::crypto::suites::SupportedCipherSuite;
use crate::error::{Error, PeerMisbehaved};
use crate::handshake::negotiation::{alpn_answer, check_chain_len, record_size_limit};
use crate::handshake::table::{state_kinds, take13, Machine, Row, To};
use crate::handshake::tls13::{decrypter, encrypter, log_secret, misplaced, Traffic};
use crate::handshake::EarlyState;
use crate::handshake::{ignore, Context, Input, InputKind};
use crate::pki::key::check_signing_key_usage;
use crate::pki::resolve::CertifiedKey;
use crate::pki::verify::{ServerCertVerified, SignatureVerified};
use crate::session::Tls13Ticket;
use crate::version::TLS13;
use crate::wire::tls13::{
    Certificate, CertificateEntry, CertificateEntryBody, CertificateRequest, CertificateVerify,
    EncryptedExtensions, EndOfEarlyData, Finished, Handshake, NewSessionTicket,
};
use crate::wire::*;
use pki_types::{CertificateDer, UnixTime};
use std::sync::Arc;

use ClientStateKind13 as K;
use HandshakeType as H;
use InputKind::Handshake as Hs;

state_kinds! {
    /// The TLS 1.3 client's states, as its table names them.
    pub(crate) enum ClientStateKind13 {
        /// ClientHello sent (the version is chosen by the ServerHello that comes next).
        ExpectServerHello,
        /// A HelloRetryRequest was answered with a second ClientHello: no second retry.
        ExpectServerHelloAfterRetry,
        /// Handshake keys installed.
        ExpectEncryptedExtensions,
        /// The server may ask for our certificate before sending its own.
        ExpectCertificateOrCertificateRequest,
        /// After a CertificateRequest.
        ExpectCertificate,
        /// The server's chain verified.
        ExpectCertificateVerify,
        /// The server proved it holds its certificate's key.
        ExpectFinished,
        /// The handshake is complete.
        Connected,
    }
}

/// Every state before the server's Finished, in which a change_cipher_spec record may arrive
/// (RFC 8446 5: dropped; appendix D.4, middlebox compatibility).
const MAY_SEE_CCS: &[K] = &[
    K::ExpectServerHelloAfterRetry,
    K::ExpectEncryptedExtensions,
    K::ExpectCertificateOrCertificateRequest,
    K::ExpectCertificate,
    K::ExpectCertificateVerify,
    K::ExpectFinished,
];

/// Every step the TLS 1.3 client may take.
#[rustfmt::skip]
pub(crate) static CLIENT13_TRANSITIONS: &[Row<ClientState>] = &[
    Row { from: &[K::ExpectServerHello], on: Hs(H::ServerHello), to: To::States(&[K::ExpectEncryptedExtensions, K::ExpectServerHelloAfterRetry]), handler: on_server_hello, note: "4.1.3; handshake keys, or 4.1.4 HelloRetryRequest: a second ClientHello" },
    Row { from: &[K::ExpectServerHelloAfterRetry], on: Hs(H::ServerHello), to: To::States(&[K::ExpectEncryptedExtensions]), handler: on_server_hello_after_retry, note: "4.1.4; same suite, the group asked for; a second HelloRetryRequest is unexpected" },
    Row { from: &[K::ExpectEncryptedExtensions], on: Hs(H::EncryptedExtensions), to: To::States(&[K::ExpectCertificateOrCertificateRequest, K::ExpectFinished]), handler: on_encrypted_extensions, note: "4.3.1; ALPN, server_name, record_size_limit; resumed with our PSK: Finished next (2.2)" },
    Row { from: &[K::ExpectCertificateOrCertificateRequest], on: Hs(H::CertificateRequest), to: To::States(&[K::ExpectCertificate]), handler: on_certificate_request, note: "4.3.2; we answer with our certificate, or an empty one" },
    Row { from: &[K::ExpectCertificateOrCertificateRequest, K::ExpectCertificate], on: Hs(H::Certificate), to: To::States(&[K::ExpectCertificateVerify]), handler: on_certificate, note: "4.4.2; chain (and stapled OCSP) verified" },
    Row { from: &[K::ExpectCertificateVerify], on: Hs(H::CertificateVerify), to: To::States(&[K::ExpectFinished]), handler: on_certificate_verify, note: "4.4.3; signature over the transcript verified" },
    Row { from: &[K::ExpectFinished], on: Hs(H::Finished), to: To::States(&[K::Connected]), handler: on_finished, note: "4.4.4; server Finished checked; we send [Certificate, CertificateVerify], Finished" },
    Row { from: &[K::Connected], on: Hs(H::NewSessionTicket), to: To::Same, handler: on_new_session_ticket, note: "4.6.1; ticket kept (resumption: issue 14)" },
    Row { from: &[K::Connected], on: Hs(H::KeyUpdate), to: To::Same, handler: on_key_update, note: "4.6.3; read keys move on, answered if requested" },
    Row { from: MAY_SEE_CCS, on: InputKind::ChangeCipherSpec, to: To::Same, handler: ignore, note: "5, D.4; a compatibility change_cipher_spec is dropped" },
];

/// What a CertificateRequest asked for (RFC 8446 4.3.2).
pub(crate) struct CertRequest {
    context: Vec<u8>,
    schemes: Vec<SignatureScheme>,
}

/// The handshake so far, once the ServerHello gave us handshake keys.
pub(crate) struct Handshaking {
    suite: &'static SupportedCipherSuite,
    hello: Box<Hello>,
    secret: HandshakeSecret,
    client_secret: Secret,
    server_secret: Secret,
    request: Option<CertRequest>,
    /// The server accepted our ticket's PSK: it authenticated in the connection the ticket
    /// came from, and sends no Certificate now (RFC 8446 2.2).
    resumed: bool,
    /// We sent 0-RTT data with the ticket: the suite and ALPN protocol the server must keep to
    /// accept it (4.2.10).
    early: Option<(CipherSuite, Option<Vec<u8>>)>,
}

/// The server's chain, verified.
pub(crate) struct VerifiedChain {
    end_entity: CertificateDer<'static>,
    _verified: ServerCertVerified,
}

/// The server's identity, proven: its chain and its CertificateVerify, or the PSK of a ticket
/// from a connection where they were.
pub(crate) enum ServerAuthenticated {
    Certificate {
        _chain: VerifiedChain,
        _signature: SignatureVerified,
    },
    Psk,
}

/// After a HelloRetryRequest: the second ClientHello's hello and what the retry fixed.
pub(crate) struct Retried {
    hello: Box<Hello>,
    suite: &'static SupportedCipherSuite,
}

/// The TLS 1.3 client's states.
pub(crate) enum ClientState {
    ExpectServerHello(Box<Hello>),
    ExpectServerHelloAfterRetry(Retried),
    ExpectEncryptedExtensions(Handshaking),
    ExpectCertificateOrCertificateRequest(Handshaking),
    ExpectCertificate(Handshaking),
    ExpectCertificateVerify(Handshaking, VerifiedChain),
    ExpectFinished(Handshaking, ServerAuthenticated),
    Connected(Traffic, Tickets),
}

impl Machine for ClientState {
    type Config = ClientConfig;
    type Kind = ClientStateKind13;

    fn kind(&self) -> K {
        match self {
            ClientState::ExpectServerHello(_) => K::ExpectServerHello,
            ClientState::ExpectServerHelloAfterRetry(_) => K::ExpectServerHelloAfterRetry,
            ClientState::ExpectEncryptedExtensions(_) => K::ExpectEncryptedExtensions,
            ClientState::ExpectCertificateOrCertificateRequest(_) => {
                K::ExpectCertificateOrCertificateRequest
            }
            ClientState::ExpectCertificate(_) => K::ExpectCertificate,
            ClientState::ExpectCertificateVerify(..) => K::ExpectCertificateVerify,
            ClientState::ExpectFinished(..) => K::ExpectFinished,
            ClientState::Connected(..) => K::Connected,
        }
    }

    fn table() -> &'static [Row<Self>] {
        CLIENT13_TRANSITIONS
    }
}

/// Feeds one input to the TLS 1.3 client. Handshake messages go into the transcript before
/// their handler runs, except those whose handler needs the transcript before them: the
/// ServerHello (a HelloRetryRequest replaces ClientHello1 by its hash first), CertificateVerify
/// and Finished (checked against the hash before them); post-handshake messages are in none.
pub(crate) fn handle(
    config: &Arc<ClientConfig>,
    state: ClientState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    let kind = input.kind();
    input.log("client");
    let in_transcript = !matches!(
        kind,
        Hs(H::ServerHello
            | H::CertificateVerify
            | H::Finished
            | H::NewSessionTicket
            | H::KeyUpdate)
            | InputKind::ChangeCipherSpec
    );
    if in_transcript {
        cx.transcript.add(input.bytes());
    }
    crate::handshake::table::dispatch(config, state, input, cx)
}

/// In a handler: the ServerHello of the input, whichever decoder read it (the first is read
/// before the version is known, as TLS 1.2's).
fn server_hello_of<'a>(input: &'a Input<'a>) -> Option<&'a ServerHello<'a>> {
    match input {
        Input::Handshake {
            msg: crate::wire::tls12::Handshake::ServerHello(sh),
            ..
        }
        | Input::Handshake13 {
            msg: Handshake::ServerHello(sh),
            ..
        } => Some(sh),
        _ => None,
    }
}

fn on_server_hello(
    config: &Arc<ClientConfig>,
    state: ClientState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    let (kind, on) = (state.kind(), input.kind());
    let (ClientState::ExpectServerHello(hello), Some(sh)) = (state, server_hello_of(&input)) else {
        return Err(crate::handshake::table::misrouted(kind, on));
    };
    if is_retry_request(sh) {
        return hello_retry_request(config, hello, sh, input.bytes(), cx);
    }
    server_hello(config, hello, None, sh, input.bytes(), cx)
}

fn on_server_hello_after_retry(
    config: &Arc<ClientConfig>,
    state: ClientState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    let (kind, on) = (state.kind(), input.kind());
    let (ClientState::ExpectServerHelloAfterRetry(retried), Some(sh)) =
        (state, server_hello_of(&input))
    else {
        return Err(crate::handshake::table::misrouted(kind, on));
    };
    if is_retry_request(sh) {
        // RFC 8446 4.1.4: "If a client receives a second HelloRetryRequest in the same
        // connection ... it MUST abort the handshake with an unexpected_message alert."
        return Err(Error::UnexpectedMessage {
            state: crate::handshake::table::StateKind::name(kind),
            got: "a second HelloRetryRequest".into(),
            expected: "ServerHello".into(),
        });
    }
    server_hello(
        config,
        retried.hello,
        Some(retried.suite),
        sh,
        input.bytes(),
        cx,
    )
}

/// 4.2.10: after a first ClientHello that offers 0-RTT data with ticket `t`: our compatibility
/// change_cipher_spec, then the early data's key (7.1: over that ClientHello alone). The
/// application's early data is sealed under it until the server answers.
pub(super) fn start_early_data(
    config: &ClientConfig,
    t: &Tls13Ticket,
    client_random: &[u8; 32],
    cx: &mut Context<'_>,
) -> Result<(), Error> {
    let hello_hash = cx.transcript.hash_with(t.suite.hash, &[])?;
    let secret =
        EarlySecret::new(t.suite.hash, Some(&t.psk)).client_early_traffic_secret(&hello_hash)?;
    log_secret(
        &*config.key_log,
        "CLIENT_EARLY_TRAFFIC_SECRET",
        client_random,
        &secret,
    );
    cx.writer.write_plain_ccs(cx.tx);
    cx.writer
        .set_encrypter13(encrypter(&secret, t.suite)?, cx.tx)?;
    cx.early.state = EarlyState::Offered;
    cx.early.left = usize::try_from(t.max_early_data).unwrap_or(usize::MAX);
    Ok(())
}

/// RFC 8446 4.1.3: a HelloRetryRequest is a ServerHello whose random is the constant.
fn is_retry_request(sh: &ServerHello<'_>) -> bool {
    crate::handshake::negotiation::random_bytes(&sh.random) == HELLO_RETRY_REQUEST
}

/// The checks every ServerHello and HelloRetryRequest gets (RFC 8446 4.1.3): legacy_version
/// 0x0303, our session ID echoed, a TLS 1.3 suite we offered, null compression, and
/// supported_versions selecting TLS 1.3 (a ServerHello after a HelloRetryRequest must keep its
/// version, 4.1.4; the first hello's was checked before this machine was chosen).
fn check_hello_basics(
    config: &ClientConfig,
    hello: &Hello,
    sh: &ServerHello<'_>,
) -> Result<&'static SupportedCipherSuite, Error> {
    if sh.server_version != crate::record::TLS12 {
        return Err(Error::PeerIncompatible(
            crate::error::PeerIncompatible::UnsupportedVersion,
        ));
    }
    let selects_tls13 = sh.extensions.iter().flatten().any(|e| {
        matches!(e, Extension::SupportedVersions(SupportedVersions::ServerHello { selected_version })
            if *selected_version == TLS13)
    });
    if !selects_tls13 {
        return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
            "ServerHello version differs from the HelloRetryRequest's",
        )));
    }
    if sh.session_id.0 != hello.session_id.as_slice() {
        return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
            "legacy_session_id_echo is not our legacy_session_id",
        )));
    }
    if sh.compression_method != CompressionMethod::Null {
        return Err(Error::PeerMisbehaved(
            PeerMisbehaved::SelectedUnofferedParameter("compression method"),
        ));
    }
    config
        .cipher_suites
        .iter()
        .find(|s| s.is_tls13() && s.suite == sh.cipher_suite)
        .copied()
        .ok_or(Error::PeerMisbehaved(
            PeerMisbehaved::SelectedUnofferedParameter("cipher suite"),
        ))
}

fn hello_retry_request(
    config: &ClientConfig,
    mut hello: Box<Hello>,
    hrr: &ServerHello<'_>,
    bytes: &[u8],
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    let suite = check_hello_basics(config, &hello, hrr)?;
    cx.check_flight_ends()?;
    let (mut group, mut cookie) = (None, None);
    for e in hrr.extensions.iter().flatten() {
        match e {
            Extension::SupportedVersions(_) => {}
            Extension::KeyShare(KeyShare::ServerHello(KeyShareServer::True(k))) => {
                group = Some(k.selected_group)
            }
            Extension::Cookie(c) => cookie = Some(c.cookie),
            other => return Err(misplaced(other, false)),
        }
    }
    if let Some(g) = group {
        // 4.2.8: a group we offered in supported_groups, and not one we sent a share for.
        if !config.groups.contains(&g) || hello.key_shares.iter().any(|k| k.group() == g) {
            return Err(Error::PeerMisbehaved(
                PeerMisbehaved::SelectedUnofferedParameter("HelloRetryRequest group"),
            ));
        }
    }
    if group.is_none() && cookie.is_none() {
        // 4.1.4: a HelloRetryRequest that would not change the ClientHello.
        return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
            "HelloRetryRequest that changes nothing",
        )));
    }
    // 4.4.1: the transcript restarts with ClientHello1's hash in a message_hash message.
    cx.transcript.start_hash(suite.hash)?;
    cx.transcript.replace_with_message_hash()?;
    cx.transcript.add(bytes);
    cx.reader.set_version(crate::record::TLS12);
    cx.writer.set_version(crate::record::TLS12);
    if let Some(g) = group {
        hello.key_shares = vec![config.randomness.client_key_share(g)?];
    }
    if cx.early.state == EarlyState::Offered {
        // 4.1.4: a retry refuses 0-RTT data; the second hello is in the clear and offers none.
        cx.early.state = EarlyState::Rejected;
        cx.writer.clear_encrypter(cx.tx)?;
        hello.offered_early_data = false;
    }
    if !hello.ccs_sent {
        // D.4: our compatibility change_cipher_spec goes before the second ClientHello.
        cx.writer.write_plain_ccs(cx.tx);
        hello.ccs_sent = true;
    }
    send_hello(config, &hello, cookie, cx)?;
    cx.negotiated.version = Some(TLS13);
    Ok(ClientState::ExpectServerHelloAfterRetry(Retried {
        hello,
        suite,
    }))
}

fn server_hello(
    config: &ClientConfig,
    mut hello: Box<Hello>,
    retry_suite: Option<&'static SupportedCipherSuite>,
    sh: &ServerHello<'_>,
    bytes: &[u8],
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    let suite = check_hello_basics(config, &hello, sh)?;
    // The keys change after the ServerHello: its record must end with it (RFC 8446 5.1).
    cx.check_flight_ends()?;
    if retry_suite.is_some_and(|r| r.suite != suite.suite) {
        // 4.1.4: the ServerHello's suite must be the HelloRetryRequest's.
        return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
            "ServerHello suite differs from the HelloRetryRequest's",
        )));
    }
    // The ticket we offered in this hello (after a retry, only if its hash is the suite's).
    let offered = hello
        .psk
        .take()
        .filter(|t| retry_suite.is_none_or(|r| r.hash == t.suite.hash));
    let (mut share, mut accepted) = (None, None);
    for e in sh.extensions.iter().flatten() {
        match e {
            Extension::SupportedVersions(_) => {}
            Extension::KeyShare(KeyShare::ServerHello(KeyShareServer::False(k))) => {
                share = Some(&k.server_share)
            }
            Extension::PreSharedKey(PreSharedKeyExtension::ServerHello { selected_identity })
                if offered.is_some() =>
            {
                // 4.2.11: the one identity we offered, and a suite of the ticket's hash.
                let ticket = offered.as_ref().filter(|_| *selected_identity == 0).ok_or(
                    Error::PeerMisbehaved(PeerMisbehaved::SelectedUnofferedParameter(
                        "pre_shared_key",
                    )),
                )?;
                if ticket.suite.hash != suite.hash {
                    return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
                        "resumed with a suite of another hash than the ticket's",
                    )));
                }
                accepted = Some(ticket);
            }
            other => return Err(misplaced(other, false)),
        }
    }
    // 9.2: we offered no PSK, so the key exchange is the ServerHello's key_share.
    if hello.key_shares.is_empty() {
        return Err(Error::Internal(
            "TLS 1.3 chosen without a key share offered".into(),
        ));
    }
    let (group, ecdhe) = match share {
        Some(share) => {
            // 4.2.8: the group of one of our shares. The others are dropped (and wiped).
            let position = hello
                .key_shares
                .iter()
                .position(|k| k.group() == share.group)
                .ok_or(Error::PeerMisbehaved(
                    PeerMisbehaved::SelectedUnofferedParameter("key_share group"),
                ))?;
            let kx = hello.key_shares.swap_remove(position);
            hello.key_shares.clear();
            (Some(share.group), Some(kx.complete(share.key_exchange)?))
        }
        // 4.2.9: resumed with the PSK alone (psk_ke), which we offered.
        None if accepted.is_some() && config.enable_psk_ke => (None, None),
        // 9.2: otherwise the key exchange is the ServerHello's key_share.
        None => {
            return Err(Error::PeerMisbehaved(PeerMisbehaved::MissingExtension(
                "key_share",
            )))
        }
    };
    if retry_suite.is_none() {
        cx.transcript.start_hash(suite.hash)?;
    }
    // TLS 1.3 signs transcript hashes, never the messages: the copy kept for a TLS 1.2 client
    // certificate is not needed.
    cx.transcript.stop_buffering();
    cx.transcript.add(bytes);
    let hello_hash = cx.transcript.current_hash()?;
    let resumed = accepted.is_some();
    let psk = accepted.map(|t| t.psk.as_slice());
    let secret = EarlySecret::new(suite.hash, psk).handshake(ecdhe.as_deref().map(|e| &e[..]))?;
    let (client_secret, server_secret) = secret.traffic_secrets(&hello_hash)?;
    let random = &hello.client_random;
    log_secret(
        &*config.key_log,
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        random,
        &client_secret,
    );
    log_secret(
        &*config.key_log,
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        random,
        &server_secret,
    );
    cx.reader.set_version(crate::record::TLS12);
    cx.writer.set_version(crate::record::TLS12);
    cx.reader.set_decrypter13(decrypter(&server_secret, suite)?);
    if cx.early.state != EarlyState::Offered {
        // Our alerts from here on are under our handshake key, which the server now reads
        // with. (With 0-RTT data offered, the server's EncryptedExtensions says which key it
        // reads with: the early one if it took the data.)
        cx.writer
            .set_encrypter13(encrypter(&client_secret, suite)?, cx.tx)?;
    }
    let early = match (&accepted, cx.early.state) {
        (Some(t), EarlyState::Offered) => Some((t.suite.suite, t.alpn.clone())),
        _ => None,
    };
    if !hello.ccs_sent {
        // D.4: middlebox compatibility, before our first protected record, which may be an
        // alert about the server's flight rather than our Finished (as BoringSSL and rustls).
        cx.writer.write_plain_ccs(cx.tx);
    }
    if hello.resuming.is_some() {
        // A TLS 1.2 session offered, TLS 1.3 chosen: it will not be resumed.
        config
            .session_storage
            .remove(&super::cache_key(&hello.server_name));
    }
    let n = &mut *cx.negotiated;
    n.version = Some(TLS13);
    n.suite = Some(suite);
    n.group = group;
    n.extended_master_secret = false;
    n.resumed = resumed;
    if let Some(t) = accepted {
        n.peer_certificates = t.peer_certificates.clone();
    }
    Ok(ClientState::ExpectEncryptedExtensions(Handshaking {
        suite,
        hello,
        secret,
        client_secret,
        server_secret,
        request: None,
        resumed,
        early,
    }))
}

fn on_encrypted_extensions(
    config: &Arc<ClientConfig>,
    state: ClientState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    take13!(
        state,
        input,
        ClientState::ExpectEncryptedExtensions(hs),
        Handshake::EncryptedExtensions(ee)
    );
    encrypted_extensions(config, &hs, &ee, cx)?;
    early_data_answer(&hs, &ee, cx)?;
    if hs.resumed {
        return Ok(ClientState::ExpectFinished(hs, ServerAuthenticated::Psk));
    }
    Ok(ClientState::ExpectCertificateOrCertificateRequest(hs))
}

fn encrypted_extensions(
    config: &ClientConfig,
    hs: &Handshaking,
    ee: &EncryptedExtensions<'_>,
    cx: &mut Context<'_>,
) -> Result<(), Error> {
    for e in &ee.extensions {
        match e {
            Extension::ApplicationLayerProtocolNegotiation(p)
                if !config.alpn_protocols.is_empty() =>
            {
                cx.negotiated.alpn = Some(alpn_answer(&config.alpn_protocols, p)?);
            }
            Extension::ServerName(ServerNameExtension::EncryptedExtensions)
                if hs.hello.offered_server_name => {}
            // 4.2.7: the server may tell us its groups; informational only.
            Extension::EllipticCurves(_) => {}
            Extension::RecordSizeLimit(l) => {
                let limit = record_size_limit(l)?;
                cx.negotiated.peer_record_size_limit = Some(limit);
                cx.writer.set_max_fragment(usize::from(limit));
            }
            // Read by `early_data_answer`.
            Extension::EarlyData(EarlyDataIndication::EncryptedExtensions(_))
                if cx.early.state == EarlyState::Offered => {}
            // Extensions of the ClientHello that a server answers elsewhere in TLS 1.3
            // (key_share, supported_versions in ServerHello; status_request in Certificate).
            Extension::KeyShare(_)
            | Extension::SupportedVersions(_)
            | Extension::StatusRequest(_)
            | Extension::SignatureAlgorithms(_)
            | Extension::PskKeyExchangeModes(_)
            | Extension::Padding(_) => return Err(misplaced(e, true)),
            other => return Err(misplaced(other, false)),
        }
    }
    Ok(())
}

/// 4.2.10: whether the server took our 0-RTT data. Accepted, it must have resumed with our
/// ticket under the ticket's own suite and ALPN protocol (else `illegal_parameter`), and the
/// data goes on under the early key until our EndOfEarlyData; refused, our handshake key is
/// what the server reads from now on.
fn early_data_answer(
    hs: &Handshaking,
    ee: &EncryptedExtensions<'_>,
    cx: &mut Context<'_>,
) -> Result<(), Error> {
    if cx.early.state != EarlyState::Offered {
        return Ok(());
    }
    let accepted = ee.extensions.iter().any(|e| {
        matches!(
            e,
            Extension::EarlyData(EarlyDataIndication::EncryptedExtensions(_))
        )
    });
    if !accepted {
        cx.early.state = EarlyState::Rejected;
        return cx
            .writer
            .set_encrypter13(encrypter(&hs.client_secret, hs.suite)?, cx.tx);
    }
    let Some((suite, alpn)) = &hs.early else {
        return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
            "early data accepted without resuming with our ticket",
        )));
    };
    if *suite != hs.suite.suite {
        return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
            "early data accepted under another cipher suite than the ticket's",
        )));
    }
    if *alpn != cx.negotiated.alpn {
        return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
            "early data accepted with another ALPN protocol than the ticket's",
        )));
    }
    cx.early.state = EarlyState::Accepted;
    Ok(())
}

fn on_certificate_request(
    _config: &Arc<ClientConfig>,
    state: ClientState,
    input: Input<'_>,
    _cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    take13!(
        state,
        input,
        ClientState::ExpectCertificateOrCertificateRequest(mut hs),
        Handshake::CertificateRequest(cr)
    );
    hs.request = Some(certificate_request(&cr)?);
    Ok(ClientState::ExpectCertificate(hs))
}

fn certificate_request(cr: &CertificateRequest<'_>) -> Result<CertRequest, Error> {
    // 4.3.2: empty in the handshake (a context is for post-handshake authentication).
    if !cr.certificate_request_context.is_empty() {
        return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
            "certificate_request_context not empty in the handshake",
        )));
    }
    let schemes = cr
        .extensions
        .iter()
        .find_map(|e| match e {
            Extension::SignatureAlgorithms(s) => Some(
                s.supported_signature_algorithms
                    .iter()
                    .map(|a| crate::crypto::sign::scheme_of(a.clone()))
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        })
        .ok_or(Error::PeerIncompatible(
            crate::error::PeerIncompatible::Other(
                "CertificateRequest without signature_algorithms",
            ),
        ))?;
    Ok(CertRequest {
        context: cr.certificate_request_context.to_vec(),
        schemes,
    })
}

fn on_certificate(
    config: &Arc<ClientConfig>,
    state: ClientState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    take13!(
        state,
        input,
        ClientState::ExpectCertificateOrCertificateRequest(hs) | ClientState::ExpectCertificate(hs),
        Handshake::Certificate(c)
    );
    let chain = certificate(config, &hs, &c, cx)?;
    Ok(ClientState::ExpectCertificateVerify(hs, chain))
}

fn certificate(
    config: &ClientConfig,
    hs: &Handshaking,
    c: &Certificate<'_>,
    cx: &mut Context<'_>,
) -> Result<VerifiedChain, Error> {
    if !c.certificate_request_context.is_empty() {
        return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
            "server Certificate with a certificate_request_context",
        )));
    }
    check_chain_len(c.certificate_list.len())?;
    let (certs, ocsp) = entries(&c.certificate_list, hs.hello.offered_status_request)?;
    let mut certs = certs.into_iter();
    let end_entity = certs.next().ok_or(Error::PeerMisbehaved(
        PeerMisbehaved::EmptyServerCertificate,
    ))?;
    let intermediates: Vec<_> = certs.collect();
    check_signing_key_usage(&end_entity)?;
    let verified = config.verifier.verify_server_cert(
        &end_entity,
        &intermediates,
        &hs.hello.server_name,
        ocsp.unwrap_or_default(),
        UnixTime::now(),
    )?;
    cx.negotiated.ocsp_requested = ocsp.is_some();
    cx.negotiated.ocsp_response = ocsp.map(<[u8]>::to_vec);
    cx.negotiated.peer_certificates = std::iter::once(end_entity.clone())
        .chain(intermediates)
        .collect();
    Ok(VerifiedChain {
        end_entity,
        _verified: verified,
    })
}

/// The certificates of a TLS 1.3 Certificate message, and the OCSP response stapled to the
/// first (4.4.2.1). Entry extensions other than a status_request we asked for are refused.
pub(crate) fn entries<'a>(
    list: &'a [CertificateEntry<'a>],
    asked_for_ocsp: bool,
) -> Result<(Vec<CertificateDer<'static>>, Option<&'a [u8]>), Error> {
    let mut certs = Vec::with_capacity(list.len());
    let mut ocsp = None;
    for (i, entry) in list.iter().enumerate() {
        let CertificateEntryBody::X509 { cert_data } = &entry.body else {
            return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
                "raw public key certificate not negotiated",
            )));
        };
        certs.push(CertificateDer::from(cert_data.to_vec()));
        for e in &entry.extensions {
            match e {
                Extension::StatusRequest(CertificateStatusRequestExtension::Certificate(
                    CertificateStatus::Ocsp(r),
                )) if asked_for_ocsp && i == 0 => ocsp = Some(r.0),
                other => return Err(misplaced(other, false)),
            }
        }
    }
    Ok((certs, ocsp))
}

fn on_certificate_verify(
    config: &Arc<ClientConfig>,
    state: ClientState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    let bytes = input.bytes();
    take13!(
        state,
        input,
        ClientState::ExpectCertificateVerify(hs, chain),
        Handshake::CertificateVerify(cv)
    );
    let signature = certificate_verify(config, &hs, &chain, &cv, cx)?;
    cx.transcript.add(bytes);
    Ok(ClientState::ExpectFinished(
        hs,
        ServerAuthenticated::Certificate {
            _chain: chain,
            _signature: signature,
        },
    ))
}

fn certificate_verify(
    config: &ClientConfig,
    hs: &Handshaking,
    chain: &VerifiedChain,
    cv: &CertificateVerify<'_>,
    cx: &mut Context<'_>,
) -> Result<SignatureVerified, Error> {
    if !hs.hello.offered_schemes.contains(&cv.algorithm) {
        return Err(Error::PeerMisbehaved(
            PeerMisbehaved::SelectedUnofferedParameter("signature scheme"),
        ));
    }
    let message = sign13::signed_content(Signer::Server, &cx.transcript.current_hash()?);
    let verified = config.verifier.verify_tls13_signature(
        &message,
        &chain.end_entity,
        cv.algorithm,
        cv.signature,
    )?;
    cx.negotiated.signature_scheme = Some(cv.algorithm);
    Ok(verified)
}

fn on_finished(
    config: &Arc<ClientConfig>,
    state: ClientState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    let bytes = input.bytes();
    take13!(
        state,
        input,
        ClientState::ExpectFinished(hs, _authenticated),
        Handshake::Finished(fin)
    );
    let (traffic, tickets) = finished(config, hs, &fin, bytes, cx)?;
    Ok(ClientState::Connected(traffic, tickets))
}

/// The server's Finished checks out: the application secrets come from the transcript up to
/// it; we send our flight under the handshake key and switch to the application keys.
fn finished(
    config: &ClientConfig,
    hs: Handshaking,
    fin: &Finished<'_>,
    bytes: &[u8],
    cx: &mut Context<'_>,
) -> Result<(Traffic, Tickets), Error> {
    let suite = hs.suite;
    cx.check_flight_ends()?;
    hs.server_secret
        .finished_key()?
        .verify(&cx.transcript.current_hash()?, fin.verify_data)?;
    cx.transcript.add(bytes);
    let server_finished_hash = cx.transcript.current_hash()?;
    let master = hs.secret.master()?;
    let (client_app, server_app, exporter) = master.application_secrets(&server_finished_hash)?;
    let random = &hs.hello.client_random;
    log_secret(
        &*config.key_log,
        "CLIENT_TRAFFIC_SECRET_0",
        random,
        &client_app,
    );
    log_secret(
        &*config.key_log,
        "SERVER_TRAFFIC_SECRET_0",
        random,
        &server_app,
    );
    log_secret(
        &*config.key_log,
        "EXPORTER_SECRET",
        random,
        exporter.secret(),
    );
    cx.reader.set_decrypter13(decrypter(&server_app, suite)?);
    if cx.early.state == EarlyState::Accepted {
        // 4.5: the end of our 0-RTT data, under its key; the rest under the handshake key.
        cx.send13(&Handshake::EndOfEarlyData(EndOfEarlyData {}))?;
        cx.writer
            .set_encrypter13(encrypter(&hs.client_secret, suite)?, cx.tx)?;
        cx.early.state = EarlyState::Sent;
    }
    if let Some(request) = &hs.request {
        send_client_certificate(config, request, cx)?;
    }
    let verify_data = hs
        .client_secret
        .finished_key()?
        .verify_data(&cx.transcript.current_hash()?);
    cx.send13(&Handshake::Finished(Finished {
        verify_data: &verify_data,
    }))?;
    cx.writer
        .set_encrypter13(encrypter(&client_app, suite)?, cx.tx)?;
    // 7.1: the tickets' PSKs come from the whole handshake, our Finished included.
    let resumption = master.resumption_master_secret(&cx.transcript.current_hash()?)?;
    cx.complete13(exporter);
    Ok((
        Traffic {
            suite,
            ours: client_app,
            theirs: server_app,
        },
        Tickets {
            resumption,
            server: super::cache_key(&hs.hello.server_name),
        },
    ))
}

/// What turns a NewSessionTicket into a resumable ticket: the resumption master secret and
/// the name the tickets are kept under.
pub(crate) struct Tickets {
    resumption: ResumptionMasterSecret,
    server: String,
}

/// 4.4.2 and 4.4.3: our chain and its signature, or an empty Certificate when we have no
/// certificate the request accepts (the server decides whether that is enough).
fn send_client_certificate(
    config: &ClientConfig,
    request: &CertRequest,
    cx: &mut Context<'_>,
) -> Result<(), Error> {
    let chosen: Option<(Arc<CertifiedKey>, SignatureScheme)> = config
        .client_auth_cert
        .clone()
        .and_then(|ck| sign13::choose_scheme(&ck.key, &request.schemes).map(|s| (ck, s)));
    let list = match &chosen {
        Some((ck, _)) => ck
            .cert
            .iter()
            .map(|c| CertificateEntry {
                body: CertificateEntryBody::X509 {
                    cert_data: c.as_ref(),
                },
                extensions: Vec::new(),
            })
            .collect(),
        None => Vec::new(),
    };
    cx.send13(&Handshake::Certificate(Certificate {
        certificate_request_context: &request.context,
        certificate_list: list,
    }))?;
    if let Some((ck, scheme)) = chosen {
        let hash = cx.transcript.current_hash()?;
        let signature = sign13::sign(&ck.key, scheme, Signer::Client, &hash)?;
        cx.send13(&Handshake::CertificateVerify(CertificateVerify {
            algorithm: scheme,
            signature: &signature,
        }))?;
    }
    Ok(())
}

fn on_new_session_ticket(
    config: &Arc<ClientConfig>,
    state: ClientState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    take13!(
        state,
        input,
        ClientState::Connected(traffic, tickets),
        Handshake::NewSessionTicket(t)
    );
    new_session_ticket(config, &traffic, &tickets, &t, cx)?;
    Ok(ClientState::Connected(traffic, tickets))
}

/// 4.6.1: a ticket is kept, with its PSK, for the server it came from (at most
/// `MAX_TLS13_TICKETS_PER_SERVER`, the newest first); its lifetime is at most 7 days, 0 means
/// "do not keep", and only early_data may come with it.
fn new_session_ticket(
    config: &ClientConfig,
    traffic: &Traffic,
    tickets: &Tickets,
    t: &NewSessionTicket<'_>,
    cx: &mut Context<'_>,
) -> Result<(), Error> {
    if t.ticket_lifetime > 604_800 {
        return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
            "ticket_lifetime over 7 days",
        )));
    }
    for e in &t.extensions {
        if !matches!(e, Extension::EarlyData(_) | Extension::Unknown(..)) {
            return Err(misplaced(e, true));
        }
    }
    if t.ticket_lifetime == 0 || tickets.server.is_empty() {
        return Ok(());
    }
    let psk = tickets.resumption.psk(t.ticket_nonce)?;
    let max_early_data = t
        .extensions
        .iter()
        .find_map(|e| match e {
            Extension::EarlyData(EarlyDataIndication::NewSessionTicket {
                max_early_data_size,
            }) => Some(*max_early_data_size),
            _ => None,
        })
        .unwrap_or(0);
    config.session_storage.put_tls13(
        &tickets.server,
        Tls13Ticket {
            ticket: t.ticket.to_vec(),
            psk: zeroize::Zeroizing::new(psk.as_bytes().to_vec()),
            suite: traffic.suite,
            lifetime: t.ticket_lifetime,
            age_add: t.ticket_age_add,
            received_ms: crate::session::now_ms(),
            peer_certificates: cx.negotiated.peer_certificates.clone(),
            max_early_data,
            alpn: cx.negotiated.alpn.clone(),
        },
    );
    Ok(())
}

fn on_key_update(
    _config: &Arc<ClientConfig>,
    state: ClientState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    take13!(
        state,
        input,
        ClientState::Connected(mut traffic, tickets),
        Handshake::KeyUpdate(ku)
    );
    traffic.on_key_update(&ku, cx)?;
    Ok(ClientState::Connected(traffic, tickets))
}
