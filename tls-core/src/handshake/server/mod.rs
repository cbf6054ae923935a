//! The server side: reading what the client offers (the ClientHello's extensions, its server
//! name), shared by the protocol versions; the TLS 1.2 machine is in [`tls12`].

pub(crate) mod tls12;

pub(crate) use tls12::{handle, ServerState, ServerStateKind};

use crate::crypto::sign::scheme_of;
use crate::error::{Error, PeerMisbehaved};
use crate::handshake::negotiation::{check_initial_renegotiation_info, record_size_limit};
use crate::wire::*;

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
