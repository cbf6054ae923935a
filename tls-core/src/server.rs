//! The TLS 1.2 server handshake (RFC 5246 section 7.3, ECDHE per RFC 8422), as an explicit
//! state machine:
//!
//! ```text
//!                        <--  ClientHello
//! ServerHello, Certificate, ServerKeyExchange, ServerHelloDone -->
//!                        <--  ClientKeyExchange, ChangeCipherSpec, Finished
//! ChangeCipherSpec, Finished -->
//! ```
//!
//! Negotiation is by server preference: our suites, groups and ALPN protocols in our order,
//! restricted to what the client offered and what our key can sign.

use crate::client::{random_bytes, random_struct, scheme_fits};
use crate::codec::Encode;
use crate::config::ServerConfig;
use crate::error::{Error, PeerIncompatible, PeerMisbehaved};
use crate::handshake::{
    self, check_duplicates, verify_equal, Context, Input, InputKind, State, Transition,
};
use crate::kx::{self, KeyExchange};
use crate::prf;
use crate::sign::{algorithm_of, scheme_of};
use crate::suites::SupportedCipherSuite;
use crate::wire::*;
use std::sync::Arc;

use HandshakeType as H;
use InputKind::Handshake as Hs;

/// Every step the server's handshake may take.
#[rustfmt::skip]
pub static SERVER_TRANSITIONS: &[Transition] = &[
    Transition { from: "ExpectClientHello", on: Hs(H::ClientHello), to: &["ExpectClientKeyExchange"], note: "7.4.1.2; we answer ServerHello, Certificate, ServerKeyExchange, ServerHelloDone" },
    Transition { from: "ExpectClientKeyExchange", on: Hs(H::ClientKeyExchange), to: &["ExpectChangeCipherSpec"], note: "7.4.7; ECDHE completes, keys derived" },
    Transition { from: "ExpectChangeCipherSpec", on: InputKind::ChangeCipherSpec, to: &["ExpectFinished"], note: "7.1; read keys switch" },
    Transition { from: "ExpectFinished", on: Hs(H::Finished), to: &["Connected"], note: "7.4.9; client verify_data checked, we send CCS and Finished" },
    Transition { from: "Connected", on: Hs(H::ClientHello), to: &["Connected"], note: "renegotiation refused with a no_renegotiation warning (RFC 5746 4.4)" },
];

/// Our record_size_limit (RFC 8449): TLS 1.2's full plaintext size.
const OUR_RECORD_SIZE_LIMIT: u16 = 1 << 14;

/// The server's states.
pub(crate) enum ServerState {
    ExpectClientHello,
    ExpectClientKeyExchange(Pending),
    ExpectChangeCipherSpec(Keys),
    ExpectFinished(Keys),
    Connected,
}

/// After our first flight: what the key exchange needs.
pub(crate) struct Pending {
    suite: &'static SupportedCipherSuite,
    client_random: [u8; 32],
    server_random: [u8; 32],
    kx: KeyExchange,
}

/// After the key exchange: the master secret and our write keys, used after the client's Finished.
pub(crate) struct Keys {
    suite: &'static SupportedCipherSuite,
    master: [u8; 48],
    write: crate::handshake::WriteKeys,
}

impl State for ServerState {
    fn name(&self) -> &'static str {
        match self {
            ServerState::ExpectClientHello => "ExpectClientHello",
            ServerState::ExpectClientKeyExchange(_) => "ExpectClientKeyExchange",
            ServerState::ExpectChangeCipherSpec(_) => "ExpectChangeCipherSpec",
            ServerState::ExpectFinished(_) => "ExpectFinished",
            ServerState::Connected => "Connected",
        }
    }
}

/// Feeds one input to the server machine.
pub(crate) fn handle(
    config: &Arc<ServerConfig>,
    state: ServerState,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<ServerState, Error> {
    handshake::dispatch(SERVER_TRANSITIONS, state, input, |state, input| {
        if let Input::Handshake { msg, bytes } = &input {
            // A renegotiating ClientHello is refused, not hashed; a Finished is hashed once checked.
            let renegotiation = matches!(state, ServerState::Connected);
            if !renegotiation && msg.selector() != H::Finished {
                cx.transcript.add(bytes);
            }
        }
        match (state, input) {
            (
                ServerState::ExpectClientHello,
                Input::Handshake {
                    msg: Handshake::ClientHello(ch),
                    ..
                },
            ) => client_hello(config, ch, cx),
            (
                ServerState::ExpectClientKeyExchange(p),
                Input::Handshake {
                    msg: Handshake::ClientKeyExchange(cke),
                    ..
                },
            ) => client_key_exchange(p, cke, cx),
            (ServerState::ExpectChangeCipherSpec(keys), Input::ChangeCipherSpec) => {
                cx.change_read_keys()?;
                Ok(ServerState::ExpectFinished(keys))
            }
            (
                ServerState::ExpectFinished(keys),
                Input::Handshake {
                    msg: Handshake::Finished(fin),
                    bytes,
                },
            ) => {
                let expected = prf::verify_data(
                    keys.suite.hash,
                    &keys.master,
                    true,
                    &cx.transcript.current_hash()?,
                );
                verify_equal(&expected, &fin.verify_data)?;
                cx.transcript.add(bytes);
                cx.change_write_keys(keys.write.0, keys.write.1)?;
                let verify_data = prf::verify_data(
                    keys.suite.hash,
                    &keys.master,
                    false,
                    &cx.transcript.current_hash()?,
                );
                cx.send(&Handshake::Finished(Finished { verify_data }))?;
                *cx.handshake_done = true;
                Ok(ServerState::Connected)
            }
            (
                ServerState::Connected,
                Input::Handshake {
                    msg: Handshake::ClientHello(_),
                    ..
                },
            ) => {
                cx.send_warning(AlertDescription::NoRenegotiation)?;
                Ok(ServerState::Connected)
            }
            (state, input) => Err(Error::UnexpectedMessage {
                state: state.name(),
                got: input.kind().to_string(),
            }),
        }
    })
}

/// What the client offered, gathered from its extensions.
#[derive(Default)]
struct Offer<'a> {
    groups: Option<Vec<NamedCurve>>,
    schemes: Vec<SignatureScheme>,
    alpn: Option<Vec<&'a [u8]>>,
    sni: Option<String>,
    ems: bool,
    point_formats: Option<Vec<ECPointFormat>>,
    record_size_limit: Option<u16>,
    renegotiation_info: bool,
}

fn read_offer<'a>(exts: &'a [Extension<'a>]) -> Result<Offer<'a>, Error> {
    check_duplicates(exts)?;
    let mut o = Offer::default();
    for e in exts {
        match e {
            Extension::EllipticCurves(g) => o.groups = Some(g.named_curve_list.clone()),
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
                // RFC 6066 3: at most one name per type; the host name is ASCII.
                o.sni = list.server_name_list.iter().find_map(|n| match n {
                    crate::wire::ServerName::HostName(h) => std::str::from_utf8(h.0)
                        .ok()
                        .map(|s| s.to_ascii_lowercase()),
                });
            }
            Extension::ExtendedMasterSecret(_) => o.ems = true,
            Extension::EcPointFormats(f) => o.point_formats = Some(f.ec_point_format_list.clone()),
            Extension::RecordSizeLimit(l) => {
                if l.0 < 64 {
                    return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
                        "record_size_limit below 64",
                    )));
                }
                o.record_size_limit = Some(l.0)
            }
            Extension::RenegotiationInfo(ri) => {
                if !ri.renegotiated_connection.is_empty() {
                    return Err(Error::PeerMisbehaved(PeerMisbehaved::BadRenegotiationInfo));
                }
                o.renegotiation_info = true;
            }
            // Unknown and unused extensions are ignored (RFC 5246 7.4.1.4).
            _ => {}
        }
    }
    Ok(o)
}

fn client_hello(
    config: &ServerConfig,
    ch: ClientHello<'_>,
    cx: &mut Context<'_>,
) -> Result<ServerState, Error> {
    let v = ch.client_version;
    if v.major != 3 || v.minor < 3 {
        return Err(Error::PeerIncompatible(
            PeerIncompatible::UnsupportedVersion,
        ));
    }
    if !ch.compression_methods.contains(&CompressionMethod::Null) {
        return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
            "null compression not offered",
        )));
    }
    let exts = ch.extensions.unwrap_or_default();
    let offer = read_offer(&exts)?;
    if config.require_ems && !offer.ems {
        return Err(Error::PeerIncompatible(
            PeerIncompatible::ExtendedMasterSecretRequired,
        ));
    }
    if let Some(f) = &offer.point_formats {
        if !f.contains(&ECPointFormat::Uncompressed) {
            // RFC 8422 5.1.2: "MUST ... abort the handshake with an illegal_parameter alert".
            return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
                "ec_point_formats without uncompressed",
            )));
        }
    }
    let secure_renegotiation = offer.renegotiation_info
        || ch
            .cipher_suites
            .contains(&CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV);

    let family = config.key.family();
    // RFC 8422 4: without supported_groups, assume the client takes secp256r1.
    let client_groups = offer
        .groups
        .clone()
        .unwrap_or_else(|| vec![NamedCurve::Secp256r1]);
    // RFC 8422 5.3: an ECDSA certificate's curve must be one the client supports, or no
    // ECDHE_ECDSA suite can be used with it.
    let curve_ok = config
        .key
        .ecdsa_curve()
        .is_none_or(|c| client_groups.contains(&c));
    let suite = config
        .cipher_suites
        .iter()
        .find(|s| curve_ok && s.family == family && ch.cipher_suites.contains(&s.suite))
        .copied()
        .ok_or(Error::PeerIncompatible(
            PeerIncompatible::NoCipherSuiteInCommon,
        ))?;
    let group = config
        .groups
        .iter()
        .find(|g| client_groups.contains(g))
        .copied()
        .ok_or(Error::PeerIncompatible(PeerIncompatible::NoGroupInCommon))?;
    let usable: Vec<SignatureScheme> = offer
        .schemes
        .iter()
        .copied()
        .filter(|s| scheme_fits(*s, family))
        .collect();
    let scheme = config
        .key
        .choose_scheme(&usable)
        .ok_or(Error::PeerIncompatible(
            PeerIncompatible::NoSignatureSchemeInCommon,
        ))?;
    let alpn = match &offer.alpn {
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
    };

    let n = &mut *cx.negotiated;
    n.suite = Some(suite);
    n.group = Some(group);
    n.signature_scheme = Some(scheme);
    n.alpn = alpn.clone();
    n.sni = offer.sni.clone();
    n.extended_master_secret = offer.ems;
    n.secure_renegotiation = secure_renegotiation;
    n.peer_record_size_limit = offer.record_size_limit;
    cx.transcript.start_hash(suite.hash)?;

    let client_random = random_bytes(&ch.random);
    let server_random = kx::random::<32>()?;
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
    if let Some(p) = &alpn {
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
    cx.send(&Handshake::ServerHello(ServerHello {
        server_version: crate::record::TLS12,
        random: random_struct(&server_random),
        session_id: SessionID(&[]),
        cipher_suite: suite.suite,
        compression_method: CompressionMethod::Null,
        extensions: Some(extensions),
    }))?;
    if let Some(limit) = offer.record_size_limit {
        cx.writer.set_max_fragment(limit as usize);
    }

    let chain: Vec<ASN1Cert<'_>> = config
        .cert_chain
        .iter()
        .map(|c| ASN1Cert(c.as_ref()))
        .collect();
    cx.send(&Handshake::Certificate(Certificate {
        certificate_list: chain,
    }))?;

    let kx = KeyExchange::start(group)?;
    let params = ServerECDHParams {
        curve_params: ECParameters::NamedCurve { namedcurve: group },
        public: ECPoint {
            point: kx.public_key(),
        },
    };
    // RFC 5246 7.4.3: sign client_random + server_random + params.
    let signed = ServerKeyExchangeEcDiffieHellmanSignedParams {
        client_random,
        server_random,
        params: params.clone(),
    }
    .to_vec();
    let signature = config.key.sign(scheme, &signed)?;
    cx.send(&Handshake::ServerKeyExchange(
        ServerKeyExchange::EcDiffieHellman {
            params,
            signed_params: DigitallySigned {
                algorithm: algorithm_of(scheme),
                signature: &signature,
            },
        },
    ))?;
    cx.send(&Handshake::ServerHelloDone(ServerHelloDone {}))?;
    Ok(ServerState::ExpectClientKeyExchange(Pending {
        suite,
        client_random,
        server_random,
        kx,
    }))
}

fn client_key_exchange(
    p: Pending,
    cke: ClientKeyExchange<'_>,
    cx: &mut Context<'_>,
) -> Result<ServerState, Error> {
    let ClientKeyExchange::EcDiffieHellman(public) = cke else {
        return Err(Error::UnexpectedMessage {
            state: "ExpectClientKeyExchange",
            got: "non-ECDHE ClientKeyExchange".into(),
        });
    };
    let pre_master = p.kx.complete(public.ecdh_yc.point)?;
    let master = if cx.negotiated.extended_master_secret {
        prf::extended_master_secret(p.suite.hash, &pre_master, &cx.transcript.current_hash()?)
    } else {
        prf::master_secret(
            p.suite.hash,
            &pre_master,
            &p.client_random,
            &p.server_random,
        )
    };
    let keys = prf::key_block(p.suite, &master, &p.client_random, &p.server_random);
    let (write, read) = handshake::record_keys(p.suite, &keys, false)?;
    *cx.pending_read = Some(read);
    Ok(ServerState::ExpectChangeCipherSpec(Keys {
        suite: p.suite,
        master,
        write,
    }))
}
