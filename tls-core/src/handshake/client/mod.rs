//! The client side: what it sends first (the ClientHello, with a cached session offered for
//! resumption) and the session it stores afterwards, shared by the protocol versions; the TLS 1.2
//! machine is in [`tls12`].

pub(crate) mod tls12;

pub(crate) use tls12::{handle, ClientState, ClientStateKind};

use crate::codec::Encode;
use crate::config::ClientConfig;
use crate::crypto::kx;
use crate::crypto::sign::algorithm_of;
use crate::crypto::transcript::Transcript;
use crate::error::Error;
use crate::handshake::negotiation::random_struct;
use crate::handshake::Context;
use crate::session::{self, ClientSessionValue};
use crate::wire::tls12::*;
use crate::wire::*;
use pki_types::ServerName;

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
    let offered_server_name = config.enable_sni && matches!(server_name, ServerName::DnsName(_));
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
    cx.writer
        .set_version(crate::record::INITIAL_CLIENT_RECORD_VERSION);
    let mut msg = Handshake::ClientHello(hello);
    // Room for a padded hello (512 bytes), so the encoding never reallocates.
    let mut bytes = Vec::with_capacity(512);
    msg.encode(&mut bytes);
    if let Handshake::ClientHello(hello) = &mut msg {
        if pad(hello, bytes.len()) {
            bytes.clear();
            msg.encode(&mut bytes);
        }
    }
    cx.send_encoded(&msg, &bytes)?;
    Ok(ClientState::ExpectServerHello(Hello {
        client_random,
        server_name,
        offered_schemes,
        resuming: resuming.map(|v| (v, session_id)),
        offered_ticket_extension,
        offered_status_request: config.enable_ocsp_stapling,
        offered_server_name,
    }))
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
            extensions.push(Extension::Padding(PaddingExtension { zeros }));
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
