//! The client side: what it sends first (the ClientHello, offering TLS 1.3 and TLS 1.2 with a
//! cached TLS 1.2 session for resumption), the version choice the server's answer makes, and the
//! session it stores afterwards. The machines are in [`tls12`] and [`tls13`]; [`ClientHandshake`]
//! holds whichever runs.
//!
//! Version negotiation (RFC 8446 4.1.3, 4.2.1) happens before either table: the first
//! ServerHello (or HelloRetryRequest) picks the machine. With `supported_versions` it must
//! select TLS 1.3, which we offered; without it, it is a TLS 1.2 ServerHello, taken only if we
//! offered 1.2 (and checked for the downgrade sentinel when we offered 1.3 too).

pub(crate) mod tls12;
pub(crate) mod tls13;

pub(crate) use tls12::{ClientState, ClientStateKind};

use crate::codec::Encode;
use crate::config::ClientConfig;
use crate::crypto::hybrid::{classical_half, ClientKeyShare};
use crate::crypto::key_schedule::EarlySecret;
use crate::crypto::sign::algorithm_of;
use crate::crypto::transcript::Transcript;
use crate::error::{Error, PeerIncompatible, PeerMisbehaved};
use crate::handshake::negotiation::random_struct;
use crate::handshake::table::{self, Machine};
use crate::handshake::{Context, Input, InputKind};
use crate::session::{self, ClientSessionValue, Tls13Ticket};
use crate::version::{TLS12, TLS13};
use crate::wire::tls12::*;
use crate::wire::*;
use pki_types::ServerName;
use std::sync::Arc;

/// What the client sent in its hello, kept to check the server's answer.
pub(crate) struct Hello {
    client_random: [u8; 32],
    server_name: ServerName<'static>,
    offered_schemes: Vec<SignatureScheme>,
    /// The session we offered to resume, and the session ID we sent for it.
    resuming: Option<(ClientSessionValue, Vec<u8>)>,
    offered_ticket_extension: bool,
    offered_status_request: bool,
    /// We sent server_name (a DNS name, SNI enabled): the server may acknowledge it.
    offered_server_name: bool,
    /// TLS 1.3 offered (not empty): our key shares, the first group's and, when that is a
    /// post-quantum hybrid, the first classical group's too (each with its own key).
    key_shares: Vec<ClientKeyShare>,
    /// A TLS 1.3 ticket offered as a PSK (psk_dhe_ke), taken out of the store for this hello.
    psk: Option<Tls13Ticket>,
    /// 0-RTT data offered with it (early_data, RFC 8446 4.2.10): the first hello only.
    offered_early_data: bool,
    /// Our compatibility change_cipher_spec went out (RFC 8446 D.4: once, after the first
    /// ClientHello when 0-RTT data follows it, else before our next flight).
    ccs_sent: bool,
    session_id: Vec<u8>,
    /// The 1.2 session ticket we offered, sent again in a second ClientHello.
    ticket: Option<Vec<u8>>,
    offered_tls12: bool,
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
) -> Result<ClientHandshake, Error> {
    if config.client_auth_cert.is_some() {
        *cx.transcript = Transcript::new_buffering();
    }
    // One system call for both the client random and the session ID a ticket offer carries.
    let randomness = config.randomness.bytes::<64>()?;
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
    let offered_tls13 = config.versions.contains(&TLS13);
    let offered_tls12 = config.versions.contains(&TLS12);
    let resuming = resuming.filter(|_| offered_tls12);
    let session_id = match &resuming {
        // RFC 5077 3.4: with a ticket, a fresh session ID tells us whether the server accepted it.
        Some(v) if v.ticket.is_some() => fresh_session_id.to_vec(),
        Some(v) => v.session_id.clone(),
        // RFC 8446 D.4: middlebox compatibility mode, a non-empty legacy_session_id.
        None if offered_tls13 => fresh_session_id.to_vec(),
        None => Vec::new(),
    };
    let ticket = resuming.as_ref().and_then(|v| v.ticket.clone());
    // A TLS 1.3 ticket for this server, still alive, of a suite we offer (RFC 8446 4.6.1:
    // a ticket is used once, so it leaves the store now).
    // Without tickets enabled we send no psk_key_exchange_modes, which a PSK offer needs
    // (RFC 8446 4.2.9): a store shared with another config is left alone.
    let psk = (offered_tls13 && config.enable_tickets)
        .then(|| config.session_storage.take_tls13(&cache_key(&server_name)))
        .flatten()
        .filter(|t| config.cipher_suites.contains(&t.suite))
        .filter(|t| {
            let age = session::now_ms().saturating_sub(t.received_ms);
            age < u64::from(t.lifetime) * 1000
        });
    let key_shares = if offered_tls13 {
        first_key_shares(config)?
    } else {
        Vec::new()
    };
    let offered_server_name = config.enable_sni && matches!(server_name, ServerName::DnsName(_));
    // 4.2.10: 0-RTT under the ticket's PSK, if it allows some and its ALPN protocol is one we
    // offer again (the server must choose the same to accept).
    let offered_early_data = config.enable_early_data
        && psk.as_ref().is_some_and(|t| {
            t.max_early_data > 0
                && t.alpn
                    .as_ref()
                    .is_none_or(|p| config.alpn_protocols.contains(p))
        });
    // Boxed: it travels through the states until the handshake is over, and moving a state
    // (each step moves one) then moves a pointer, not the whole hello.
    let mut hello = Box::new(Hello {
        client_random,
        server_name,
        offered_schemes,
        resuming: resuming.map(|v| (v, session_id.clone())),
        offered_ticket_extension: config.enable_tickets || ticket.is_some(),
        offered_status_request: config.enable_ocsp_stapling,
        offered_server_name,
        key_shares,
        session_id,
        ticket,
        offered_tls12,
        psk,
        offered_early_data,
        ccs_sent: false,
    });
    cx.writer
        .set_version(crate::record::INITIAL_CLIENT_RECORD_VERSION);
    send_hello(config, &hello, None, cx)?;
    if let Some(t) = hello.psk.as_ref().filter(|_| hello.offered_early_data) {
        tls13::start_early_data(config, t, &hello.client_random, cx)?;
        hello.ccs_sent = true;
    }
    Ok(ClientHandshake::Tls12(Box::new(
        ClientState::ExpectServerHello(hello),
    )))
}

/// The key shares of a first ClientHello: one for our first group and, when that is a
/// post-quantum hybrid whose classical half we also offer (X25519 for X25519MLKEM768, as in the
/// default list), one for that group too, so that a server that knows either answers in one
/// round trip (rustls does the same). The classical share has a key of its own (Chrome reuses
/// the hybrid's X25519 key for it; independent keys are simpler and cost one X25519 key
/// generation).
fn first_key_shares(config: &ClientConfig) -> Result<Vec<ClientKeyShare>, Error> {
    let Some(&first) = config.groups.first() else {
        return Ok(Vec::new());
    };
    let mut shares = vec![config.randomness.client_key_share(first)?];
    if let Some(classical) = classical_half(first).filter(|g| config.groups.contains(g)) {
        shares.push(config.randomness.client_key_share(classical)?);
    }
    Ok(shares)
}

/// Encodes and sends the ClientHello `hello` describes; a second one (after a
/// HelloRetryRequest) carries the server's `cookie` and our new key share, and nothing else
/// changes (RFC 8446 4.1.2).
fn send_hello(
    config: &ClientConfig,
    hello: &Hello,
    cookie: Option<&[u8]>,
    cx: &mut Context<'_>,
) -> Result<(), Error> {
    let mut extensions = Vec::new();
    if let (true, ServerName::DnsName(dns)) = (hello.offered_server_name, &hello.server_name) {
        extensions.push(Extension::ServerName(ServerNameExtension::ClientHello(
            ServerNameList {
                server_name_list: vec![crate::wire::ServerName::HostName(HostName(
                    dns.as_ref().as_bytes(),
                ))],
            },
        )));
    }
    if !hello.key_shares.is_empty() {
        let versions = config
            .versions
            .iter()
            .filter(|v| **v == TLS13 || **v == TLS12)
            .cloned()
            .collect();
        extensions.push(Extension::SupportedVersions(
            SupportedVersions::ClientHello { versions },
        ));
        extensions.push(Extension::KeyShare(KeyShare::ClientHello(
            KeyShareClientHello {
                client_shares: hello
                    .key_shares
                    .iter()
                    .map(|k| KeyShareEntry {
                        group: k.group(),
                        key_exchange: k.public_key(),
                    })
                    .collect(),
            },
        )));
        if config.enable_tickets {
            // Without it a TLS 1.3 server sends no tickets (RFC 8446 4.2.9).
            extensions.push(Extension::PskKeyExchangeModes(PskKeyExchangeModes {
                ke_modes: if config.enable_psk_ke {
                    vec![PskKeyExchangeMode::PskDheKe, PskKeyExchangeMode::PskKe]
                } else {
                    vec![PskKeyExchangeMode::PskDheKe]
                },
            }));
        }
        if let Some(cookie) = cookie {
            extensions.push(Extension::Cookie(Cookie { cookie }));
        }
    }
    extensions.push(Extension::EllipticCurves(NamedCurveList {
        named_curve_list: config.groups.clone(),
    }));
    extensions.push(Extension::EcPointFormats(ECPointFormatList {
        ec_point_format_list: vec![ECPointFormat::Uncompressed],
    }));
    extensions.push(Extension::SignatureAlgorithms(
        SignatureAndHashAlgorithmList {
            supported_signature_algorithms: hello
                .offered_schemes
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
    if hello.offered_tls12 {
        extensions.push(Extension::ExtendedMasterSecret(ExtendedMasterSecret {}));
    }
    // RFC 8449: we take full-size records; the server may ask us for smaller ones. (In TLS 1.3
    // the limit counts the content type: 2^14 + 1, section 4.)
    let limit = if !hello.key_shares.is_empty() {
        crate::crypto::cipher13::MAX_INNER_PLAINTEXT
    } else {
        crate::record::MAX_PLAINTEXT
    };
    extensions.push(Extension::RecordSizeLimit(RecordSizeLimit(limit as u16)));
    if hello.offered_tls12 {
        extensions.push(Extension::RenegotiationInfo(RenegotiationInfo {
            renegotiated_connection: &[],
        }));
        if hello.offered_ticket_extension {
            extensions.push(Extension::SessionTicket(SessionTicket {
                ticket: hello.ticket.as_deref().unwrap_or_default(),
            }));
        }
    }
    if hello.offered_status_request {
        extensions.push(Extension::StatusRequest(
            CertificateStatusRequestExtension::ClientHello(CertificateStatusRequest::Ocsp(
                OCSPStatusRequest {
                    responder_id_list: Vec::new(),
                    request_extensions: Extensions(&[]),
                },
            )),
        ));
    }
    if hello.offered_early_data {
        extensions.push(Extension::EarlyData(EarlyDataIndication::ClientHello(
            Empty {},
        )));
    }
    // RFC 8446 4.2.11: the PSK goes last, with a binder of its hash's length filled in below;
    // after a HelloRetryRequest only if the suite it chose has the ticket's hash.
    let psk = hello
        .psk
        .as_ref()
        .filter(|t| cx.transcript.hash_alg().is_none_or(|h| h == t.suite.hash));
    let binder;
    if let Some(t) = psk {
        let age = session::now_ms().saturating_sub(t.received_ms);
        extensions.push(psk_offer(t, age, &PSK_BINDER_PLACEHOLDER));
    }
    let suites = config
        .cipher_suites
        .iter()
        .filter(|s| {
            if s.is_tls13() {
                !hello.key_shares.is_empty()
            } else {
                hello.offered_tls12
            }
        })
        .map(|s| s.suite)
        .collect();
    let msg_hello = ClientHello {
        client_version: crate::record::TLS12,
        random: random_struct(&hello.client_random),
        session_id: SessionID(&hello.session_id),
        cipher_suites: suites,
        compression_methods: vec![CompressionMethod::Null],
        extensions: Some(extensions),
    };
    let mut msg = Handshake::ClientHello(msg_hello);
    // Room for a padded hello (512 bytes), so the encoding never reallocates.
    let mut bytes = Vec::with_capacity(512);
    msg.encode(&mut bytes);
    if let Handshake::ClientHello(hello) = &mut msg {
        if pad(hello, bytes.len()) {
            bytes.clear();
            msg.encode(&mut bytes);
        }
    }
    if let Some(t) = psk {
        // 4.2.11.2: the binder covers the transcript up to this hello, truncated before the
        // binders list, under the ticket's PSK.
        bytes.clear();
        let offset = msg
            .encode_find(&mut bytes, BINDERS)
            .ok_or_else(|| Error::Internal("no binders in our ClientHello".into()))?;
        let truncated = bytes.get(..offset).unwrap_or_default();
        let hash = cx.transcript.hash_with(t.suite.hash, truncated)?;
        binder = EarlySecret::new(t.suite.hash, Some(&t.psk))
            .res_binder_key()?
            .finished_key()?
            .verify_data(&hash);
        if let Handshake::ClientHello(ClientHello {
            extensions: Some(extensions),
            ..
        }) = &mut msg
        {
            if let Some(Extension::PreSharedKey(PreSharedKeyExtension::ClientHello(offer))) =
                extensions.last_mut()
            {
                offer.binders = vec![PskBinderEntry(&binder)];
            }
        }
        bytes.clear();
        msg.encode(&mut bytes);
    }
    cx.send_encoded(&msg, &bytes)
}

/// Where the PSK binders are in a Handshake holding a ClientHello (RFC 8446 4.2.11.2).
const BINDERS: &[&str] = &[
    "client_hello",
    "extensions",
    "pre_shared_key",
    "client_hello",
    "binders",
];

/// The binder's place while the hello is encoded to find where the binders go: as long as the
/// longest binder (SHA-384's), cut to the ticket's hash length.
static PSK_BINDER_PLACEHOLDER: [u8; 48] = [0; 48];

/// The pre_shared_key extension offering ticket `t`, `age` milliseconds old (obfuscated with
/// its ticket_age_add, 4.2.11.1), with a placeholder binder of its hash's length.
fn psk_offer<'a>(t: &'a Tls13Ticket, age: u64, placeholder: &'a [u8]) -> Extension<'a> {
    let obfuscated_ticket_age = (age as u32).wrapping_add(t.age_add);
    Extension::PreSharedKey(PreSharedKeyExtension::ClientHello(OfferedPsks {
        identities: vec![PskIdentity {
            identity: &t.ticket,
            obfuscated_ticket_age,
        }],
        binders: vec![PskBinderEntry(
            placeholder
                .get(..t.suite.hash.output_len())
                .unwrap_or(placeholder),
        )],
    }))
}

/// Whichever machine runs: TLS 1.2's until a ServerHello chooses TLS 1.3. TLS 1.2's states
/// are boxed (its largest holds a key block's record keys, about a kilobyte): every step moves
/// the state, and a TLS 1.3 connection then moves only its own, smaller, states. The box is
/// reused from step to step. (So the TLS 1.3 variant is the large one, on purpose.)
#[allow(clippy::large_enum_variant)]
pub(crate) enum ClientHandshake {
    Tls12(Box<ClientState>),
    Tls13(tls13::ClientState),
    /// Holds the place while `start` makes the first state (never seen after).
    Starting,
}

impl ClientHandshake {
    /// What the connection holds while `start` makes the first state.
    pub(crate) fn placeholder() -> Self {
        ClientHandshake::Starting
    }

    /// The row that allows `kind` now, or `unexpected_message`.
    pub(crate) fn allowed(&self, kind: InputKind) -> Result<(), Error> {
        match self {
            ClientHandshake::Tls12(s) => table::allowed::<ClientState>(s.kind(), kind).map(drop),
            ClientHandshake::Tls13(s) => {
                table::allowed::<tls13::ClientState>(s.kind(), kind).map(drop)
            }
            ClientHandshake::Starting => Err(running()),
        }
    }

    /// `unexpected_message` for `got`, naming what the current state expects.
    pub(crate) fn unexpected(&self, got: &str) -> Error {
        match self {
            ClientHandshake::Tls12(s) => table::unexpected::<ClientState>(s.kind(), got.into()),
            ClientHandshake::Tls13(s) => {
                table::unexpected::<tls13::ClientState>(s.kind(), got.into())
            }
            ClientHandshake::Starting => running(),
        }
    }

    /// Sends a KeyUpdate (TLS 1.3, after the handshake); `request`: ask the server for one in
    /// return.
    pub(crate) fn update_keys(&mut self, request: bool, cx: &mut Context<'_>) -> Result<(), Error> {
        match self {
            ClientHandshake::Tls13(tls13::ClientState::Connected(traffic, _)) => {
                traffic.send_key_update(request, cx)
            }
            _ => Err(Error::ApiMisuse(
                "key updates are for TLS 1.3 connections whose handshake is complete",
            )),
        }
    }
}

/// The state was asked for before `start` made it: a bug of ours.
fn running() -> Error {
    Error::Internal("handshake state used before the ClientHello was sent".into())
}

/// Feeds one input to the client: the first ServerHello chooses the version (see the module
/// documentation), then that version's table runs.
pub(crate) fn handle(
    config: &Arc<ClientConfig>,
    state: ClientHandshake,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ClientHandshake, Error> {
    let mut boxed = match state {
        ClientHandshake::Tls12(boxed) => boxed,
        ClientHandshake::Tls13(state) => {
            return tls13::handle(config, state, input, cx).map(ClientHandshake::Tls13)
        }
        ClientHandshake::Starting => return Err(running()),
    };
    let current = std::mem::replace(&mut *boxed, ClientState::Connected);
    if let (
        ClientState::ExpectServerHello(hello),
        Input::Handshake {
            msg: Handshake::ServerHello(sh),
            ..
        },
    ) = (&current, &input)
    {
        if choose_version(hello, sh)? == TLS13 {
            cx.negotiated.version = Some(TLS13);
            let ClientState::ExpectServerHello(hello) = current else {
                return Err(Error::Internal("the hello vanished while choosing".into()));
            };
            let state = tls13::ClientState::ExpectServerHello(hello);
            return tls13::handle(config, state, input, cx).map(ClientHandshake::Tls13);
        }
        cx.negotiated.version = Some(TLS12);
        if cx.early.state == crate::handshake::EarlyState::Offered {
            // RFC 8446 D.3: "A client that attempts to send 0-RTT data MUST fail a connection
            // if it receives a ServerHello with TLS 1.2 or older." (A TLS 1.2 server cannot
            // skip the 0-RTT data.) Our alert goes in the clear, which it can read.
            cx.early.state = crate::handshake::EarlyState::Rejected;
            cx.writer.clear_encrypter(cx.tx)?;
            return Err(Error::PeerIncompatible(PeerIncompatible::Other(
                "a TLS 1.2 ServerHello to a ClientHello that sent 0-RTT data",
            )));
        }
    }
    *boxed = tls12::handle(config, current, input, cx)?;
    Ok(ClientHandshake::Tls12(boxed))
}

/// The version a ServerHello selects (RFC 8446 4.2.1): supported_versions' one, which must be
/// TLS 1.3 and offered; without it, TLS 1.2 if we offered it.
fn choose_version(hello: &Hello, sh: &ServerHello<'_>) -> Result<ProtocolVersion, Error> {
    let selected = sh.extensions.iter().flatten().find_map(|e| match e {
        Extension::SupportedVersions(SupportedVersions::ServerHello { selected_version }) => {
            Some(selected_version.clone())
        }
        _ => None,
    });
    match selected {
        Some(v) if v == TLS13 && !hello.key_shares.is_empty() => Ok(TLS13),
        // A version we did not offer, or TLS 1.2 named in supported_versions (which only
        // TLS 1.3 may select): RFC 8446 4.2.1, illegal_parameter.
        Some(_) => Err(Error::PeerMisbehaved(
            PeerMisbehaved::SelectedUnofferedParameter("version"),
        )),
        None if hello.offered_tls12 => Ok(TLS12),
        None => Err(Error::PeerIncompatible(
            PeerIncompatible::UnsupportedVersion,
        )),
    }
}

/// Zero bytes for the padding extension: at most 256 are ever needed.
static PADDING: [u8; 256] = [0; 256];

/// RFC 7685 section 4's use of the padding extension: some servers (F5 terminators) hang on a
/// ClientHello message between 256 and 511 bytes long, so one in that range is padded to 512, as
/// BoringSSL, Chrome and NSS do. The extension takes 4 bytes of its own and carries at least one
/// zero byte (some servers refuse an empty last extension). It goes last: it measures everything
/// before it.
/// `len` is the encoded message's, header included; returns whether it added the extension.
fn pad(hello: &mut ClientHello<'_>, len: usize) -> bool {
    if !(256..512).contains(&len) {
        return false;
    }
    let body = (512 - len).saturating_sub(4).max(1);
    match (hello.extensions.as_mut(), PADDING.get(..body)) {
        (Some(extensions), Some(zeros)) => {
            // pre_shared_key stays last (RFC 8446 4.2.11).
            let at = match extensions.last() {
                Some(Extension::PreSharedKey(_)) => extensions.len() - 1,
                _ => extensions.len(),
            };
            extensions.insert(at, Extension::Padding(PaddingExtension { zeros }));
            true
        }
        _ => false,
    }
}

fn store_session(config: &ClientConfig, value: ClientSessionValue) {
    let key = value.session.server_name.clone().unwrap_or_default();
    if key.is_empty() || (value.session_id.is_empty() && value.ticket.is_none()) {
        return;
    }
    config.session_storage.put(&key, value);
}
