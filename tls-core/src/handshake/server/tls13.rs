//! The TLS 1.3 server handshake (RFC 8446 section 2, 4), as an explicit state machine:
//!
//! ```text
//!                             <--  ClientHello + key_share
//! [HelloRetryRequest]         -->  (no share for a group we take)
//!                             <--  [ClientHello + key_share]
//!                             <--  (0-RTT: application data)
//! ServerHello + key_share
//! {EncryptedExtensions} {CertificateRequest}
//! {Certificate} {CertificateVerify} {Finished}  -->
//!                             <--  (0-RTT: EndOfEarlyData)
//!                             <--  {Certificate} {CertificateVerify} {Finished}
//! ```
//!
//! Resumed with a ticket's PSK (2.2), we send no CertificateRequest, Certificate or
//! CertificateVerify; and if we took the client's 0-RTT data (2.3, 4.2.10) it comes under the
//! client_early_traffic_secret until its EndOfEarlyData.
//!
//! [`SERVER13_TRANSITIONS`] is the machine. Negotiation is by server preference, as in TLS 1.2:
//! our suites and groups in our order; among the groups, one the client sent a share for wins
//! over asking for another (one round trip saved).

use super::{choose_alpn, read_offer, Offer};
use crate::config::ServerConfig;
use crate::crypto::hybrid::{is_hybrid, server_key_share_with};
use crate::crypto::key_schedule::{EarlySecret, ExporterSecret, MasterSecret, Secret};
use crate::crypto::sign13::{self, Signer};
use crate::crypto::suites::SupportedCipherSuite;
use crate::error::{Error, PeerIncompatible, PeerMisbehaved};
use crate::handshake::negotiation::{check_chain_len, random_struct};
use crate::handshake::table::{state_kinds, take13, Machine, Row, To};
use crate::handshake::tls13::{decrypter, encrypter, log_secret, Traffic};
use crate::handshake::{ignore, Context, EarlyState, Input, InputKind};
use crate::pki::key::check_signing_key_usage;
use crate::pki::resolve::CertifiedKey;
use crate::pki::verify::{ClientCertVerified, SignatureVerified};
use crate::version::TLS13;
use crate::wire::tls13::{
    Certificate, CertificateEntry, CertificateEntryBody, CertificateRequest, CertificateVerify,
    EncryptedExtensions, Finished, Handshake,
};
use crate::wire::*;
use pki_types::{CertificateDer, UnixTime};
use std::sync::Arc;

mod psk;

use HandshakeType as H;
use InputKind::Handshake as Hs;
use ServerStateKind13 as K;

state_kinds! {
    /// The TLS 1.3 server's states, as its table names them.
    pub(crate) enum ServerStateKind13 {
        /// Waiting for the ClientHello (TLS 1.3 was chosen from it).
        ExpectClientHello,
        /// A HelloRetryRequest went out: the second ClientHello comes next.
        ExpectClientHelloAfterRetry,
        /// Our flight sent, accepting the client's 0-RTT data: early data until EndOfEarlyData.
        ExpectEndOfEarlyData,
        /// Our flight sent with a CertificateRequest.
        ExpectCertificate,
        /// The client's chain verified.
        ExpectCertificateVerify,
        /// Our flight sent (and the client authenticated, if it was asked to).
        ExpectFinished,
        /// The handshake is complete.
        Connected,
    }
}

/// The states in which the client may send its compatibility change_cipher_spec (RFC 8446 D.4:
/// after its first ClientHello, until its Finished).
const MAY_SEE_CCS: &[K] = &[
    K::ExpectClientHelloAfterRetry,
    K::ExpectEndOfEarlyData,
    K::ExpectCertificate,
    K::ExpectCertificateVerify,
    K::ExpectFinished,
];

/// Every step the TLS 1.3 server may take.
#[rustfmt::skip]
pub(crate) static SERVER13_TRANSITIONS: &[Row<ServerState>] = &[
    Row { from: &[K::ExpectClientHello], on: Hs(H::ClientHello), to: To::States(&[K::ExpectClientHelloAfterRetry, K::ExpectEndOfEarlyData, K::ExpectCertificate, K::ExpectFinished]), handler: on_client_hello, note: "4.1.2; our flight (0-RTT data taken or skipped, 4.2.10), or 4.1.4 HelloRetryRequest for a group we take" },
    Row { from: &[K::ExpectClientHelloAfterRetry], on: Hs(H::ClientHello), to: To::States(&[K::ExpectCertificate, K::ExpectFinished]), handler: on_client_hello_after_retry, note: "4.1.2; only the key share (for our group) and cookie may change; no early_data" },
    Row { from: &[K::ExpectEndOfEarlyData], on: Hs(H::EndOfEarlyData), to: To::States(&[K::ExpectFinished]), handler: on_end_of_early_data, note: "4.5; the 0-RTT data ends, client handshake keys" },
    Row { from: &[K::ExpectCertificate], on: Hs(H::Certificate), to: To::States(&[K::ExpectCertificateVerify, K::ExpectFinished]), handler: on_certificate, note: "4.4.2; chain verified, or empty if optional" },
    Row { from: &[K::ExpectCertificateVerify], on: Hs(H::CertificateVerify), to: To::States(&[K::ExpectFinished]), handler: on_certificate_verify, note: "4.4.3; the client proves it holds its key" },
    Row { from: &[K::ExpectFinished], on: Hs(H::Finished), to: To::States(&[K::Connected]), handler: on_finished, note: "4.4.4; client Finished checked, application keys" },
    Row { from: &[K::Connected], on: Hs(H::KeyUpdate), to: To::Same, handler: on_key_update, note: "4.6.3; read keys move on, answered if requested" },
    Row { from: MAY_SEE_CCS, on: InputKind::ChangeCipherSpec, to: To::Same, handler: ignore, note: "5, D.4; a compatibility change_cipher_spec is dropped" },
];

/// What a HelloRetryRequest fixed, for the second ClientHello.
pub(crate) struct Retry {
    suite: &'static SupportedCipherSuite,
    group: NamedCurve,
    client_random: Random,
    session_id: Vec<u8>,
}

/// After our flight: what reading the client's needs.
pub(crate) struct Pending {
    suite: &'static SupportedCipherSuite,
    client_secret: Secret,
    client_app: Secret,
    server_app: Secret,
    exporter: ExporterSecret,
    /// For the resumption master secret, once the client's Finished is in the transcript.
    master: MasterSecret,
    /// The client can resume the way we would (psk_dhe_ke in its psk_key_exchange_modes,
    /// 4.2.9): tickets are worth sending.
    wants_tickets: bool,
}

/// A client chain that verified.
pub(crate) struct ClientIdentity {
    end_entity: CertificateDer<'static>,
    _verified: ClientCertVerified,
}

/// The client's identity, if we asked and it gave one: chain and signature.
pub(crate) struct ClientAuthenticated {
    _identity: ClientIdentity,
    _signature: SignatureVerified,
}

/// The TLS 1.3 server's states.
pub(crate) enum ServerState {
    ExpectClientHello,
    ExpectClientHelloAfterRetry(Retry),
    ExpectEndOfEarlyData(Pending),
    ExpectCertificate(Pending),
    ExpectCertificateVerify(Pending, ClientIdentity),
    ExpectFinished(Pending, Option<ClientAuthenticated>),
    Connected(Traffic),
}

impl Machine for ServerState {
    type Config = ServerConfig;
    type Kind = ServerStateKind13;

    fn kind(&self) -> K {
        match self {
            ServerState::ExpectClientHello => K::ExpectClientHello,
            ServerState::ExpectClientHelloAfterRetry(_) => K::ExpectClientHelloAfterRetry,
            ServerState::ExpectEndOfEarlyData(_) => K::ExpectEndOfEarlyData,
            ServerState::ExpectCertificate(_) => K::ExpectCertificate,
            ServerState::ExpectCertificateVerify(..) => K::ExpectCertificateVerify,
            ServerState::ExpectFinished(..) => K::ExpectFinished,
            ServerState::Connected(_) => K::Connected,
        }
    }

    fn table() -> &'static [Row<Self>] {
        SERVER13_TRANSITIONS
    }
}

/// Feeds one input to the TLS 1.3 server. Handshake messages go into the transcript before their
/// handler runs, except ClientHello (a PSK binder is checked against the hash before it),
/// CertificateVerify and Finished (checked against the hash before them) and KeyUpdate (in no
/// transcript).
pub(crate) fn handle(
    config: &Arc<ServerConfig>,
    state: ServerState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ServerState, Error> {
    input.log("server");
    // A ClientHello goes in by its handler: a PSK binder covers the transcript before it.
    if !matches!(
        input.kind(),
        Hs(H::ClientHello | H::CertificateVerify | H::Finished | H::KeyUpdate)
            | InputKind::ChangeCipherSpec
    ) {
        cx.transcript.add(input.bytes());
    }
    crate::handshake::table::dispatch(config, state, input, cx)
}

/// In a handler: the ClientHello of the input, whichever decoder read it (the first is read
/// before the version is known, as TLS 1.2's).
fn client_hello_of<'a>(input: &'a Input<'a>) -> Option<&'a ClientHello<'a>> {
    match input {
        Input::Handshake {
            msg: crate::wire::tls12::Handshake::ClientHello(ch),
            ..
        }
        | Input::Handshake13 {
            msg: Handshake::ClientHello(ch),
            ..
        } => Some(ch),
        _ => None,
    }
}

fn on_client_hello(
    config: &Arc<ServerConfig>,
    state: ServerState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ServerState, Error> {
    let (kind, on) = (state.kind(), input.kind());
    let (ServerState::ExpectClientHello, Some(ch)) = (state, client_hello_of(&input)) else {
        return Err(crate::handshake::table::misrouted(kind, on));
    };
    client_hello(config, ch, input.bytes(), None, cx)
}

fn on_client_hello_after_retry(
    config: &Arc<ServerConfig>,
    state: ServerState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ServerState, Error> {
    let (kind, on) = (state.kind(), input.kind());
    let (ServerState::ExpectClientHelloAfterRetry(retry), Some(ch)) =
        (state, client_hello_of(&input))
    else {
        return Err(crate::handshake::table::misrouted(kind, on));
    };
    // 4.2.10: the 0-RTT records we skipped after our HelloRetryRequest come before this hello;
    // none may follow it.
    cx.reader.end_early_data_skip();
    // 4.1.2: the second hello repeats the first but for what the retry asked for (and still
    // offers TLS 1.3).
    let still_tls13 = super::choose_version(config, ch).is_ok_and(|v| v == TLS13);
    if !still_tls13
        || ch.random != retry.client_random
        || ch.session_id.0 != retry.session_id.as_slice()
    {
        return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
            "second ClientHello changed its random, session ID or versions",
        )));
    }
    client_hello(config, ch, input.bytes(), Some(retry), cx)
}

/// What the TLS 1.3 extensions of a ClientHello offer, beyond TLS 1.2's [`Offer`].
struct Offer13<'a> {
    shares: Vec<&'a KeyShareEntry<'a>>,
    key_share_sent: bool,
    signature_algorithms_sent: bool,
}

fn read_offer13<'a>(exts: &'a [Extension<'a>], offer: &Offer<'_>) -> Result<Offer13<'a>, Error> {
    let mut o = Offer13 {
        shares: Vec::new(),
        key_share_sent: false,
        signature_algorithms_sent: false,
    };
    for e in exts {
        match e {
            Extension::KeyShare(KeyShare::ClientHello(k)) => {
                o.key_share_sent = true;
                o.shares.extend(&k.client_shares);
            }
            Extension::SignatureAlgorithms(_) => o.signature_algorithms_sent = true,
            _ => {}
        }
    }
    // 9.2: certificate authentication needs signature_algorithms; a key exchange needs both
    // supported_groups and key_share (we take no PSK yet).
    let missing = if !o.signature_algorithms_sent {
        Some("signature_algorithms")
    } else if offer.groups.is_none() {
        Some("supported_groups")
    } else if !o.key_share_sent {
        Some("key_share")
    } else {
        None
    };
    if let Some(name) = missing {
        return Err(Error::PeerMisbehaved(PeerMisbehaved::MissingExtension(
            name,
        )));
    }
    // 4.2.8: one share per group, each for a group in supported_groups.
    for (i, share) in o.shares.iter().enumerate() {
        if o.shares.iter().take(i).any(|s| s.group == share.group) {
            return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
                "two key shares for one group",
            )));
        }
        if !offer.groups.is_some_and(|g| g.contains(&share.group)) {
            return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
                "key share for a group not in supported_groups",
            )));
        }
    }
    Ok(o)
}

fn client_hello(
    config: &ServerConfig,
    ch: &ClientHello<'_>,
    bytes: &[u8],
    retry: Option<Retry>,
    cx: &mut Context<'_>,
) -> Result<ServerState, Error> {
    cx.check_flight_ends()?;
    // 4.1.2: exactly one compression method, null.
    if ch.compression_methods.as_slice() != [CompressionMethod::Null] {
        return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
            "legacy_compression_methods is not exactly null",
        )));
    }
    let exts = ch.extensions.as_deref().unwrap_or_default();
    let offer = read_offer(exts)?;
    let offer13 = read_offer13(exts, &offer)?;
    let suite = match &retry {
        Some(r) if ch.cipher_suites.contains(&r.suite.suite) => r.suite,
        Some(_) => {
            return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
                "second ClientHello dropped the suite we chose",
            )))
        }
        None => config
            .cipher_suites
            .iter()
            .find(|s| s.is_tls13() && ch.cipher_suites.contains(&s.suite))
            .copied()
            .ok_or(Error::PeerIncompatible(
                PeerIncompatible::NoCipherSuiteInCommon,
            ))?,
    };
    // Our most preferred group the client sent a share for, else one it supports (a retry).
    let share = config
        .groups
        .iter()
        .find_map(|g| offer13.shares.iter().find(|s| s.group == *g));
    // A classical share from a client that lists a hybrid group we prefer to that share's: a
    // retry for the hybrid, if configured (ServerConfigBuilder::with_retry_for_post_quantum).
    // A hybrid we rank below the share's group is not worth a round trip: our order decides.
    let pq_retry = match (share, &retry) {
        (Some(share), None) if config.retry_for_post_quantum && !is_hybrid(share.group) => config
            .groups
            .iter()
            .take_while(|g| **g != share.group)
            .find(|g| is_hybrid(**g) && offer.groups.is_some_and(|theirs| theirs.contains(g)))
            .copied(),
        _ => None,
    };
    if let Some(group) = pq_retry {
        cx.transcript.add(bytes);
        if psk::offers_early_data(exts) {
            // 4.2.10: as for any retry, the 0-RTT records are skipped.
            cx.reader.skip_early_data(early_skip_budget(config));
        }
        return hello_retry_request(ch, suite, group, cx);
    }
    let share = match (share, &retry) {
        (Some(share), Some(r)) if share.group != r.group || offer13.shares.len() != 1 => {
            return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
                "second ClientHello key_share is not the one share asked for",
            )))
        }
        (Some(share), _) => *share,
        (None, Some(_)) => {
            return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
                "second ClientHello without a share for the group asked for",
            )))
        }
        (None, None) => {
            let group = config
                .groups
                .iter()
                .find(|g| offer.groups.is_some_and(|theirs| theirs.contains(g)))
                .copied()
                .ok_or(Error::PeerIncompatible(PeerIncompatible::NoGroupInCommon))?;
            cx.transcript.add(bytes);
            if psk::offers_early_data(exts) {
                // 4.2.10: the client's 0-RTT records, in the clear to us, are skipped until
                // its second ClientHello.
                cx.reader.skip_early_data(early_skip_budget(config));
            }
            return hello_retry_request(ch, suite, group, cx);
        }
    };
    let early_offered = psk::offers_early_data(exts);
    if early_offered && retry.is_some() {
        // 4.2.10: "A client MUST NOT include the "early_data" extension in its followup
        // ClientHello."
        return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
            "early_data in the ClientHello after a HelloRetryRequest",
        )));
    }
    let alpn = choose_alpn(config, &offer)?;
    // A ticket of ours to resume with (its binder checked), else a full handshake.
    let resumption = psk::accept(config, ch, exts, &offer, alpn.as_deref(), suite, cx)?;
    let early_accepted = early_offered
        && resumption
            .as_ref()
            .is_some_and(|r| psk::accept_early_data(config, r, suite));
    cx.transcript.add(bytes);
    let certified = match &resumption {
        Some(_) => None,
        None => {
            let ck = config
                .cert_resolver
                .resolve(offer.sni.as_deref())
                .ok_or(Error::PeerIncompatible(PeerIncompatible::UnrecognizedName))?;
            let scheme = sign13::choose_scheme(&ck.key, &offer.schemes).ok_or(
                Error::PeerIncompatible(PeerIncompatible::NoSignatureSchemeInCommon),
            )?;
            Some((ck, scheme))
        }
    };

    // The key exchange: ring checks the client's point (off the curve, wrong length, an all-zero
    // X25519 result: illegal_parameter), crypto::hybrid a hybrid share.
    // Resumed with the PSK alone (psk_ke), there is none.
    let exchange = match &resumption {
        Some(r) if r.psk_only => None,
        _ => {
            // For a hybrid group: the exact share length and FIPS 203 7.2's checks on the
            // client's encapsulation key (illegal_parameter), then ML-KEM encapsulation.
            Some(server_key_share_with(
                share.group,
                share.key_exchange,
                &config.randomness,
            )?)
        }
    };
    let n = &mut *cx.negotiated;
    n.version = Some(TLS13);
    n.suite = Some(suite);
    n.group = exchange.as_ref().map(|_| share.group);
    n.signature_scheme = certified.as_ref().map(|(_, scheme)| *scheme);
    n.resumed = resumption.is_some();
    if let Some(r) = &resumption {
        n.peer_certificates = r.session.peer_certificates.clone();
    }
    n.alpn = alpn;
    n.sni = offer.sni.clone();
    n.peer_record_size_limit = offer.record_size_limit;
    if retry.is_none() {
        cx.transcript.start_hash(suite.hash)?;
    }
    let psk = resumption.as_ref().map(|r| r.session.psk.as_slice());
    let early_secret = EarlySecret::new(suite.hash, psk);
    let client_random = crate::handshake::negotiation::random_bytes(&ch.random);
    let log = &*config.key_log;
    let early_key = match (&resumption, early_accepted) {
        (Some(r), true) => {
            // 7.1: the early traffic secret is over the ClientHello alone.
            let secret =
                early_secret.client_early_traffic_secret(&cx.transcript.current_hash()?)?;
            log_secret(log, "CLIENT_EARLY_TRAFFIC_SECRET", &client_random, &secret);
            Some((decrypter(&secret, suite)?, r.session.max_early_data))
        }
        _ => None,
    };
    let server_random = config.randomness.bytes::<32>()?;
    cx.send13(&Handshake::ServerHello(ServerHello {
        server_version: crate::record::TLS12,
        random: random_struct(&server_random),
        session_id: SessionID(ch.session_id.0),
        cipher_suite: suite.suite,
        compression_method: CompressionMethod::Null,
        // key_share first, as OpenSSL and RFC 8448's traces order them.
        extensions: Some(
            exchange
                .as_ref()
                .map(|(our_public, _)| {
                    Extension::KeyShare(KeyShare::ServerHello(KeyShareServer::False(
                        KeyShareServerHello {
                            server_share: KeyShareEntry {
                                group: share.group,
                                key_exchange: our_public,
                            },
                        },
                    )))
                })
                .into_iter()
                .chain([Extension::SupportedVersions(
                    SupportedVersions::ServerHello {
                        selected_version: TLS13,
                    },
                )])
                .chain(resumption.as_ref().map(|r| {
                    Extension::PreSharedKey(PreSharedKeyExtension::ServerHello {
                        selected_identity: r.index,
                    })
                }))
                .collect(),
        ),
    }))?;
    cx.reader.set_version(crate::record::TLS12);
    if retry.is_none() && !ch.session_id.0.is_empty() {
        // D.4: the client is in compatibility mode; our change_cipher_spec follows the first
        // handshake message (after a retry it followed the HelloRetryRequest).
        cx.writer.write_plain_ccs(cx.tx);
    }
    let hello_hash = cx.transcript.current_hash()?;
    let secret = early_secret.handshake(exchange.as_ref().map(|(_, e)| &e[..]))?;
    let (client_secret, server_secret) = secret.traffic_secrets(&hello_hash)?;
    log_secret(
        log,
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        &client_random,
        &client_secret,
    );
    log_secret(
        log,
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        &client_random,
        &server_secret,
    );
    cx.writer
        .set_encrypter13(encrypter(&server_secret, suite)?, cx.tx)?;
    if let Some((early, max)) = early_key {
        cx.reader.set_decrypter13(early);
        cx.early.state = EarlyState::Receiving;
        cx.early.left = usize::try_from(max).unwrap_or(usize::MAX);
    } else {
        cx.reader.set_decrypter13(decrypter(&client_secret, suite)?);
        if early_offered {
            // 4.2.10: what does not open under the handshake key is the 0-RTT data we refuse.
            cx.reader.skip_early_data(early_skip_budget(config));
            cx.early.state = EarlyState::Rejected;
        }
    }

    send_encrypted_extensions(&offer, cx.early.state == EarlyState::Receiving, cx)?;
    // 4.3.2: a server authenticating with a PSK asks for no certificate.
    let ask_client = certified.is_some() && config.client_verifier.offer_client_auth();
    if ask_client {
        send_certificate_request(config, cx)?;
    }
    if let Some((ck, scheme)) = &certified {
        send_certificate(ck, offer.status_request, cx)?;
        let hash = cx.transcript.current_hash()?;
        let signature = sign13::sign(&ck.key, *scheme, Signer::Server, &hash)?;
        cx.send13(&Handshake::CertificateVerify(CertificateVerify {
            algorithm: *scheme,
            signature: &signature,
        }))?;
    }
    let verify_data = server_secret
        .finished_key()?
        .verify_data(&cx.transcript.current_hash()?);
    cx.send13(&Handshake::Finished(Finished {
        verify_data: &verify_data,
    }))?;

    let server_finished_hash = cx.transcript.current_hash()?;
    let master = secret.master()?;
    let (client_app, server_app, exporter) = master.application_secrets(&server_finished_hash)?;
    log_secret(log, "CLIENT_TRAFFIC_SECRET_0", &client_random, &client_app);
    log_secret(log, "SERVER_TRAFFIC_SECRET_0", &client_random, &server_app);
    log_secret(log, "EXPORTER_SECRET", &client_random, exporter.secret());
    cx.writer
        .set_encrypter13(encrypter(&server_app, suite)?, cx.tx)?;
    let pending = Pending {
        suite,
        client_secret,
        client_app,
        server_app,
        exporter,
        master,
        wants_tickets: psk::client_takes_tickets(config, exts),
    };
    Ok(if cx.early.state == EarlyState::Receiving {
        ServerState::ExpectEndOfEarlyData(pending)
    } else if ask_client {
        ServerState::ExpectCertificate(pending)
    } else {
        ServerState::ExpectFinished(pending, None)
    })
}

/// How much refused 0-RTT data we skip (4.2.10: up to our max_early_data_size): at least 16 KiB,
/// so a client holding a ticket from when early data was on here (or from a server sharing our
/// ticket keys) gets a 1-RTT handshake, not an error.
fn early_skip_budget(config: &ServerConfig) -> usize {
    usize::try_from(config.max_early_data)
        .unwrap_or(usize::MAX)
        .max(MIN_EARLY_SKIP)
}

/// See [`early_skip_budget`].
const MIN_EARLY_SKIP: usize = 16 * 1024;

/// 4.1.4: asks for a share of `group`. We keep no cookie: the retry state is in the connection.
fn hello_retry_request(
    ch: &ClientHello<'_>,
    suite: &'static SupportedCipherSuite,
    group: NamedCurve,
    cx: &mut Context<'_>,
) -> Result<ServerState, Error> {
    cx.transcript.start_hash(suite.hash)?;
    cx.transcript.replace_with_message_hash()?;
    cx.send13(&Handshake::ServerHello(ServerHello {
        server_version: crate::record::TLS12,
        random: random_struct(&HELLO_RETRY_REQUEST),
        session_id: SessionID(ch.session_id.0),
        cipher_suite: suite.suite,
        compression_method: CompressionMethod::Null,
        extensions: Some(vec![
            Extension::SupportedVersions(SupportedVersions::ServerHello {
                selected_version: TLS13,
            }),
            Extension::KeyShare(KeyShare::ServerHello(KeyShareServer::True(
                KeyShareHelloRetryRequest {
                    selected_group: group,
                },
            ))),
        ]),
    }))?;
    if !ch.session_id.0.is_empty() {
        cx.writer.write_plain_ccs(cx.tx);
    }
    // The second ClientHello is read as TLS 1.3's, with the suite's hash.
    cx.negotiated.version = Some(TLS13);
    cx.negotiated.suite = Some(suite);
    Ok(ServerState::ExpectClientHelloAfterRetry(Retry {
        suite,
        group,
        client_random: ch.random.clone(),
        session_id: ch.session_id.0.to_vec(),
    }))
}

/// 4.3.1: the answers to the client's extensions that are not about the key exchange.
fn send_encrypted_extensions(
    offer: &Offer<'_>,
    early_data: bool,
    cx: &mut Context<'_>,
) -> Result<(), Error> {
    let mut extensions = Vec::new();
    if early_data {
        extensions.push(Extension::EarlyData(
            EarlyDataIndication::EncryptedExtensions(Empty {}),
        ));
    }
    if offer.sni.is_some() {
        extensions.push(Extension::ServerName(
            ServerNameExtension::EncryptedExtensions,
        ));
    }
    let alpn = cx.negotiated.alpn.clone();
    if let Some(p) = &alpn {
        extensions.push(Extension::ApplicationLayerProtocolNegotiation(
            ProtocolNameList {
                protocol_name_list: vec![ProtocolName(p)],
            },
        ));
    }
    if let Some(limit) = offer.record_size_limit {
        // RFC 8449 4: ours in TLS 1.3's count (content type included); we send at most theirs.
        extensions.push(Extension::RecordSizeLimit(RecordSizeLimit(
            crate::crypto::cipher13::MAX_INNER_PLAINTEXT as u16,
        )));
        cx.writer.set_max_fragment(usize::from(limit));
    }
    cx.send13(&Handshake::EncryptedExtensions(EncryptedExtensions {
        extensions,
    }))
}

fn send_certificate_request(config: &ServerConfig, cx: &mut Context<'_>) -> Result<(), Error> {
    let schemes: Vec<SignatureScheme> = config
        .client_verifier
        .supported_schemes()
        .into_iter()
        .filter(|s| sign13::is_tls13_scheme(*s))
        .collect();
    let subjects = super::tls12::hint_subjects(config);
    let mut extensions = vec![Extension::SignatureAlgorithms(
        SignatureAndHashAlgorithmList {
            supported_signature_algorithms: schemes
                .iter()
                .map(|s| crate::crypto::sign::algorithm_of(*s))
                .collect(),
        },
    )];
    if !subjects.is_empty() {
        extensions.push(Extension::CertificateAuthorities(
            CertificateAuthoritiesExtension {
                authorities: subjects.iter().map(|s| DistinguishedName(s)).collect(),
            },
        ));
    }
    cx.send13(&Handshake::CertificateRequest(CertificateRequest {
        certificate_request_context: &[],
        extensions,
    }))
}

/// 4.4.2: our chain, with the OCSP response stapled to the leaf when the client asked (4.4.2.1).
fn send_certificate(
    ck: &CertifiedKey,
    status_request: bool,
    cx: &mut Context<'_>,
) -> Result<(), Error> {
    let staple = ck.ocsp.as_deref().filter(|_| status_request);
    let list = ck
        .cert
        .iter()
        .enumerate()
        .map(|(i, c)| CertificateEntry {
            body: CertificateEntryBody::X509 {
                cert_data: c.as_ref(),
            },
            extensions: match staple {
                Some(ocsp) if i == 0 => vec![Extension::StatusRequest(
                    CertificateStatusRequestExtension::Certificate(CertificateStatus::Ocsp(
                        OCSPResponse(ocsp),
                    )),
                )],
                _ => Vec::new(),
            },
        })
        .collect();
    cx.send13(&Handshake::Certificate(Certificate {
        certificate_request_context: &[],
        certificate_list: list,
    }))
}

fn on_certificate(
    config: &Arc<ServerConfig>,
    state: ServerState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ServerState, Error> {
    take13!(
        state,
        input,
        ServerState::ExpectCertificate(pending),
        Handshake::Certificate(c)
    );
    Ok(match client_certificate(config, &c, cx)? {
        Some(identity) => ServerState::ExpectCertificateVerify(pending, identity),
        None => ServerState::ExpectFinished(pending, None),
    })
}

fn client_certificate(
    config: &ServerConfig,
    c: &Certificate<'_>,
    cx: &mut Context<'_>,
) -> Result<Option<ClientIdentity>, Error> {
    if !c.certificate_request_context.is_empty() {
        return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
            "certificate_request_context is not ours",
        )));
    }
    check_chain_len(c.certificate_list.len())?;
    let (certs, _) = crate::handshake::client::tls13::entries(&c.certificate_list, false)?;
    let mut certs = certs.into_iter();
    let Some(end_entity) = certs.next() else {
        // 4.4.2.4: an empty list; fatal (certificate_required) only if we require one.
        if config.client_verifier.client_auth_mandatory() {
            return Err(Error::PeerIncompatible(
                PeerIncompatible::CertificateRequired,
            ));
        }
        return Ok(None);
    };
    let intermediates: Vec<CertificateDer<'static>> = certs.collect();
    let verified =
        config
            .client_verifier
            .verify_client_cert(&end_entity, &intermediates, UnixTime::now())?;
    check_signing_key_usage(&end_entity)?;
    cx.negotiated.peer_certificates = std::iter::once(end_entity.clone())
        .chain(intermediates)
        .collect();
    Ok(Some(ClientIdentity {
        end_entity,
        _verified: verified,
    }))
}

fn on_certificate_verify(
    config: &Arc<ServerConfig>,
    state: ServerState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ServerState, Error> {
    let bytes = input.bytes();
    take13!(
        state,
        input,
        ServerState::ExpectCertificateVerify(pending, identity),
        Handshake::CertificateVerify(cv)
    );
    if !config
        .client_verifier
        .supported_schemes()
        .contains(&cv.algorithm)
    {
        return Err(Error::PeerMisbehaved(
            PeerMisbehaved::SelectedUnofferedParameter("signature scheme"),
        ));
    }
    let message = sign13::signed_content(Signer::Client, &cx.transcript.current_hash()?);
    let signature = config.client_verifier.verify_tls13_signature(
        &message,
        &identity.end_entity,
        cv.algorithm,
        cv.signature,
    )?;
    cx.transcript.add(bytes);
    Ok(ServerState::ExpectFinished(
        pending,
        Some(ClientAuthenticated {
            _identity: identity,
            _signature: signature,
        }),
    ))
}

fn on_finished(
    config: &Arc<ServerConfig>,
    state: ServerState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ServerState, Error> {
    let bytes = input.bytes();
    take13!(
        state,
        input,
        ServerState::ExpectFinished(p, _client),
        Handshake::Finished(fin)
    );
    // The keys change after the client's Finished (RFC 8446 5.1).
    cx.check_flight_ends()?;
    p.client_secret
        .finished_key()?
        .verify(&cx.transcript.current_hash()?, fin.verify_data)?;
    cx.transcript.add(bytes);
    cx.reader
        .set_decrypter13(decrypter(&p.client_app, p.suite)?);
    let resumption = p
        .master
        .resumption_master_secret(&cx.transcript.current_hash()?)?;
    cx.complete13(p.exporter);
    if p.wants_tickets {
        psk::send_tickets(config, p.suite, &resumption, cx)?;
    }
    Ok(ServerState::Connected(Traffic {
        suite: p.suite,
        ours: p.server_app,
        theirs: p.client_app,
    }))
}

fn on_end_of_early_data(
    _config: &Arc<ServerConfig>,
    state: ServerState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ServerState, Error> {
    take13!(
        state,
        input,
        ServerState::ExpectEndOfEarlyData(p),
        Handshake::EndOfEarlyData(_)
    );
    // 4.5: the rest of the client's flight is under its handshake key.
    cx.reader
        .set_decrypter13(decrypter(&p.client_secret, p.suite)?);
    cx.early.state = EarlyState::Received;
    Ok(ServerState::ExpectFinished(p, None))
}

fn on_key_update(
    _config: &Arc<ServerConfig>,
    state: ServerState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ServerState, Error> {
    take13!(
        state,
        input,
        ServerState::Connected(mut traffic),
        Handshake::KeyUpdate(ku)
    );
    traffic.on_key_update(&ku, cx)?;
    Ok(ServerState::Connected(traffic))
}
