//! The server side: reading what the client offers (the ClientHello's extensions, its server
//! name), shared by the protocol versions, and the version choice. The machines are in
//! [`tls12`] and [`tls13`]; [`ServerHandshake`] holds whichever runs.
//!
//! Version negotiation (RFC 8446 4.2.1, appendix D) happens before either table, on the first
//! ClientHello: with supported_versions, the highest version in it that we enable (TLS 1.3
//! first); without it, TLS 1.2 if its legacy_version is at least {3,3} and we enable 1.2.
//! Anything else is `protocol_version`.

pub(crate) mod tls12;
pub(crate) mod tls13;

pub(crate) use tls12::{ServerState, ServerStateKind};

use crate::config::ServerConfig;
use crate::crypto::sign::scheme_of;
use crate::error::{Error, PeerIncompatible, PeerMisbehaved};
use crate::handshake::negotiation::{check_initial_renegotiation_info, record_size_limit};
use crate::handshake::table::{self, Machine};
use crate::handshake::{Context, Input, InputKind};
use crate::version::{TLS12, TLS13};
use crate::wire::*;
use std::sync::Arc;

/// Whichever machine runs: TLS 1.2's until a ClientHello chooses TLS 1.3. TLS 1.2's states
/// are boxed (its largest hold record keys, about a kilobyte): every step moves the state, and
/// a TLS 1.3 connection then moves only its own, smaller, states. The box is reused from step
/// to step. (So the TLS 1.3 variant is the large one, on purpose.)
#[allow(clippy::large_enum_variant)]
pub(crate) enum ServerHandshake {
    Tls12(Box<ServerState>),
    Tls13(tls13::ServerState),
}

impl ServerHandshake {
    /// The first state.
    pub(crate) fn new() -> Self {
        ServerHandshake::Tls12(Box::new(ServerState::ExpectClientHello))
    }

    /// The row that allows `kind` now, or `unexpected_message`.
    pub(crate) fn allowed(&self, kind: InputKind) -> Result<(), Error> {
        match self {
            ServerHandshake::Tls12(s) => table::allowed::<ServerState>(s.kind(), kind).map(drop),
            ServerHandshake::Tls13(s) => {
                table::allowed::<tls13::ServerState>(s.kind(), kind).map(drop)
            }
        }
    }

    /// `unexpected_message` for `got`, naming what the current state expects.
    pub(crate) fn unexpected(&self, got: &str) -> Error {
        match self {
            ServerHandshake::Tls12(s) => table::unexpected::<ServerState>(s.kind(), got.into()),
            ServerHandshake::Tls13(s) => {
                table::unexpected::<tls13::ServerState>(s.kind(), got.into())
            }
        }
    }

    /// Sends a KeyUpdate (TLS 1.3, after the handshake); `request`: ask the client for one in
    /// return.
    pub(crate) fn update_keys(&mut self, request: bool, cx: &mut Context<'_>) -> Result<(), Error> {
        match self {
            ServerHandshake::Tls13(tls13::ServerState::Connected(traffic)) => {
                traffic.send_key_update(request, cx)
            }
            _ => Err(Error::ApiMisuse(
                "key updates are for TLS 1.3 connections whose handshake is complete",
            )),
        }
    }
}

/// Feeds one input to the server: the first ClientHello chooses the version (see the module
/// documentation), then that version's table runs.
pub(crate) fn handle(
    config: &Arc<ServerConfig>,
    state: ServerHandshake,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ServerHandshake, Error> {
    let mut boxed = match state {
        ServerHandshake::Tls12(boxed) => boxed,
        ServerHandshake::Tls13(state) => {
            return tls13::handle(config, state, input, cx).map(ServerHandshake::Tls13)
        }
    };
    let current = std::mem::replace(&mut *boxed, ServerState::Connected);
    if let (
        ServerState::ExpectClientHello,
        Input::Handshake {
            msg: crate::wire::tls12::Handshake::ClientHello(ch),
            ..
        },
    ) = (&current, &input)
    {
        if choose_version(config, ch)? == TLS13 {
            cx.negotiated.version = Some(TLS13);
            let state = tls13::ServerState::ExpectClientHello;
            return tls13::handle(config, state, input, cx).map(ServerHandshake::Tls13);
        }
        cx.negotiated.version = Some(TLS12);
    }
    *boxed = tls12::handle(config, current, input, cx)?;
    Ok(ServerHandshake::Tls12(boxed))
}

/// The version for a ClientHello (see the module documentation).
fn choose_version(config: &ServerConfig, ch: &ClientHello<'_>) -> Result<ProtocolVersion, Error> {
    let offered = ch.extensions.iter().flatten().find_map(|e| match e {
        Extension::SupportedVersions(SupportedVersions::ClientHello { versions }) => {
            Some(versions.as_slice())
        }
        _ => None,
    });
    let we_take = |v: ProtocolVersion| config.versions.contains(&v);
    let chosen = match offered {
        Some(list) => [TLS13, TLS12]
            .into_iter()
            .find(|v| list.contains(v) && we_take(v.clone())),
        None => {
            let v = &ch.client_version;
            ((v.major, v.minor) >= (3, 3) && we_take(TLS12)).then_some(TLS12)
        }
    };
    chosen.ok_or(Error::PeerIncompatible(
        PeerIncompatible::UnsupportedVersion,
    ))
}

/// The ALPN protocol for an offer (RFC 7301 3.2): our most preferred one the client offered;
/// none in common is `no_application_protocol`; no ALPN on either side is no protocol.
pub(crate) fn choose_alpn(
    config: &ServerConfig,
    offer: &Offer<'_>,
) -> Result<Option<Vec<u8>>, Error> {
    Ok(match &offer.alpn {
        Some(theirs) if !config.alpn_protocols.is_empty() => Some(
            config
                .alpn_protocols
                .iter()
                .find(|p| theirs.contains(&p.as_slice()))
                .cloned()
                .ok_or(Error::PeerIncompatible(
                    PeerIncompatible::NoApplicationProtocol,
                ))?,
        ),
        _ => None,
    })
}

/// What the client offered, gathered from its extensions.
#[derive(Default)]
pub(crate) struct Offer<'a> {
    groups: Option<&'a [NamedCurve]>,
    schemes: Vec<SignatureScheme>,
    alpn: Option<Vec<&'a [u8]>>,
    sni: Option<String>,
    ems: bool,
    point_formats: Option<&'a [ECPointFormat]>,
    record_size_limit: Option<u16>,
    renegotiation_info: bool,
    /// `Some` when the client sent session_ticket: the ticket, possibly empty.
    ticket: Option<&'a [u8]>,
    status_request: bool,
}

pub(crate) fn read_offer<'a>(exts: &'a [Extension<'a>]) -> Result<Offer<'a>, Error> {
    // No two extensions of one type: the schema's `unique` (ClientHello.extensions) makes the
    // decoder refuse them, as `PeerMisbehaved::DuplicateExtension`.
    let mut o = Offer::default();
    for e in exts {
        match e {
            Extension::EllipticCurves(g) => o.groups = Some(&g.named_curve_list),
            Extension::SignatureAlgorithms(s) => {
                o.schemes = s
                    .supported_signature_algorithms
                    .iter()
                    .map(|a| scheme_of(a.clone()))
                    .collect()
            }
            Extension::ApplicationLayerProtocolNegotiation(p) => {
                o.alpn = Some(p.protocol_name_list.iter().map(|n| n.0).collect())
            }
            Extension::ServerName(ServerNameExtension::ClientHello(list)) => {
                o.sni = host_name_of(&list.server_name_list)?;
            }
            Extension::ExtendedMasterSecret(_) => o.ems = true,
            Extension::EcPointFormats(f) => o.point_formats = Some(&f.ec_point_format_list),
            Extension::RecordSizeLimit(l) => o.record_size_limit = Some(record_size_limit(l)?),
            Extension::RenegotiationInfo(ri) => {
                check_initial_renegotiation_info(ri)?;
                o.renegotiation_info = true;
            }
            Extension::SessionTicket(t) => o.ticket = Some(t.ticket),
            Extension::StatusRequest(CertificateStatusRequestExtension::ClientHello(
                CertificateStatusRequest::Ocsp(_),
            )) => o.status_request = true,
            // Another status_type (the schema's `default:` arm): no stapling, as OpenSSL and
            // rustls do; RFC 6066 8 lets a server ignore the request.
            Extension::StatusRequest(_) => {}
            // Unknown and unused extensions are ignored (RFC 5246 7.4.1.4).
            _ => {}
        }
    }
    Ok(o)
}

/// The host_name of a ClientHello's server_name list (RFC 6066 3), lowercased. The schema
/// frames the list and skips names of unknown types (its `default:` arm); the rules it cannot
/// state are checked here, each breach an `illegal_parameter`: at most one name per name_type,
/// and a host_name that is an ASCII DNS name "without a trailing dot", not an IP literal.
fn host_name_of(list: &[ServerName<'_>]) -> Result<Option<String>, Error> {
    let refuse = |why| Error::PeerMisbehaved(PeerMisbehaved::Other(why));
    let mut host = None;
    let mut types = std::collections::BTreeSet::new();
    for n in list {
        if !types.insert(n.selector().value()) {
            return Err(refuse("server_name with two names of one name_type"));
        }
        if let ServerName::HostName(h) = n {
            host = Some(dns_host_name(h.0).ok_or(refuse("server_name host_name not a DNS name"))?);
        }
    }
    Ok(host)
}

/// `bytes` as a DNS host name for SNI, lowercased, or `None`. pki-types' `DnsName` checks the
/// syntax (ASCII letters, digits, `-`, `_`; no empty label; at most 253 bytes; an all-numeric
/// last label, as in 127.0.0.1, is refused) but accepts one trailing dot, which RFC 6066 forbids.
fn dns_host_name(bytes: &[u8]) -> Option<String> {
    if bytes.last() == Some(&b'.') {
        return None;
    }
    pki_types::DnsName::try_from(bytes).ok()?;
    let name = std::str::from_utf8(bytes).ok()?;
    // "Literal IPv4 and IPv6 addresses are not permitted": DnsName already refuses them; this
    // says so whatever its version.
    if name.parse::<std::net::IpAddr>().is_ok() {
        return None;
    }
    Some(name.to_ascii_lowercase())
}
