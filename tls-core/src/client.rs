//! The TLS 1.2 client handshake (RFC 5246 section 7.3, ECDHE per RFC 8422), as an explicit
//! state machine. Each handler reads like the RFC's message flow:
//!
//! ```text
//! ClientHello            -->
//!                        <--  ServerHello, Certificate, ServerKeyExchange,
//!                             [CertificateRequest], ServerHelloDone
//! [Certificate], ClientKeyExchange, ChangeCipherSpec, Finished -->
//!                        <--  ChangeCipherSpec, Finished
//! ```
//!
//! Verification results are values carried in the states: the state after ServerKeyExchange
//! holds a [`SignatureVerified`] and a [`ServerCertVerified`], so the machine cannot reach the
//! key exchange without both.

use crate::codec::Encode;
use crate::config::ClientConfig;
use crate::error::{CertificateError, Error, PeerIncompatible, PeerMisbehaved};
use crate::handshake::{
    self, check_duplicates, verify_equal, Context, Input, InputKind, State, Transition,
};
use crate::kx::{self, KeyExchange};
use crate::prf;
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
    Transition { from: "ExpectServerHello", on: Hs(H::ServerHello), to: &["ExpectCertificate"], note: "7.4.1.3; full handshake (no resumption offered)" },
    Transition { from: "ExpectCertificate", on: Hs(H::Certificate), to: &["ExpectServerKeyExchange"], note: "7.4.2; chain verified here" },
    Transition { from: "ExpectServerKeyExchange", on: Hs(H::ServerKeyExchange), to: &["ExpectServerHelloDone"], note: "7.4.3; ECDHE params, signature verified here" },
    Transition { from: "ExpectServerHelloDone", on: Hs(H::CertificateRequest), to: &["ExpectServerHelloDoneAfterCertRequest"], note: "7.4.4; to be answered with an empty Certificate" },
    Transition { from: "ExpectServerHelloDone", on: Hs(H::ServerHelloDone), to: &["ExpectChangeCipherSpec"], note: "7.4.5; we send ClientKeyExchange, CCS, Finished" },
    Transition { from: "ExpectServerHelloDoneAfterCertRequest", on: Hs(H::ServerHelloDone), to: &["ExpectChangeCipherSpec"], note: "7.4.5; we send Certificate (empty), ClientKeyExchange, CCS, Finished" },
    Transition { from: "ExpectChangeCipherSpec", on: InputKind::ChangeCipherSpec, to: &["ExpectFinished"], note: "7.1; read keys switch" },
    Transition { from: "ExpectFinished", on: Hs(H::Finished), to: &["Connected"], note: "7.4.9; server verify_data checked" },
    Transition { from: "Connected", on: Hs(H::HelloRequest), to: &["Connected"], note: "7.4.1.1; refused with a no_renegotiation warning" },
    // 7.4.1.1: HelloRequest "will be ignored by the client if the client is currently negotiating a session".
    Transition { from: "ExpectServerHello", on: Hs(H::HelloRequest), to: &["ExpectServerHello"], note: "7.4.1.1; ignored while negotiating" },
    Transition { from: "ExpectCertificate", on: Hs(H::HelloRequest), to: &["ExpectCertificate"], note: "7.4.1.1; ignored while negotiating" },
    Transition { from: "ExpectServerKeyExchange", on: Hs(H::HelloRequest), to: &["ExpectServerKeyExchange"], note: "7.4.1.1; ignored while negotiating" },
    Transition { from: "ExpectServerHelloDone", on: Hs(H::HelloRequest), to: &["ExpectServerHelloDone"], note: "7.4.1.1; ignored while negotiating" },
    Transition { from: "ExpectServerHelloDoneAfterCertRequest", on: Hs(H::HelloRequest), to: &["ExpectServerHelloDoneAfterCertRequest"], note: "7.4.1.1; ignored while negotiating" },
    Transition { from: "ExpectChangeCipherSpec", on: Hs(H::HelloRequest), to: &["ExpectChangeCipherSpec"], note: "7.4.1.1; ignored while negotiating" },
    Transition { from: "ExpectFinished", on: Hs(H::HelloRequest), to: &["ExpectFinished"], note: "7.4.1.1; ignored while negotiating" },
];

/// What the client sent in its hello, kept to check the server's answer.
pub(crate) struct Hello {
    client_random: [u8; 32],
    server_name: ServerName<'static>,
    offered_schemes: Vec<SignatureScheme>,
}

/// The server's choices, checked against what we offered.
pub(crate) struct ServerChoice {
    hello: Hello,
    server_random: [u8; 32],
    suite: &'static SupportedCipherSuite,
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

/// The client's states. Each holds what later steps need, and only that.
pub(crate) enum ClientState {
    ExpectServerHello(Hello),
    ExpectCertificate(ServerChoice),
    ExpectServerKeyExchange(ServerChoice, VerifiedChain),
    ExpectServerHelloDone {
        choice: ServerChoice,
        kx: VerifiedKeyExchange,
        cert_requested: bool,
    },
    ExpectChangeCipherSpec(Secrets),
    ExpectFinished(Secrets),
    Connected,
}

/// What the key exchange produced.
pub(crate) struct Secrets {
    suite: &'static SupportedCipherSuite,
    master: [u8; 48],
}

impl State for ClientState {
    fn name(&self) -> &'static str {
        match self {
            ClientState::ExpectServerHello(_) => "ExpectServerHello",
            ClientState::ExpectCertificate(_) => "ExpectCertificate",
            ClientState::ExpectServerKeyExchange(..) => "ExpectServerKeyExchange",
            ClientState::ExpectServerHelloDone {
                cert_requested: false,
                ..
            } => "ExpectServerHelloDone",
            ClientState::ExpectServerHelloDone {
                cert_requested: true,
                ..
            } => "ExpectServerHelloDoneAfterCertRequest",
            ClientState::ExpectChangeCipherSpec(_) => "ExpectChangeCipherSpec",
            ClientState::ExpectFinished(_) => "ExpectFinished",
            ClientState::Connected => "Connected",
        }
    }
}

/// Sends the ClientHello and returns the first state.
pub(crate) fn start(
    config: &ClientConfig,
    server_name: ServerName<'static>,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    let client_random = kx::random::<32>()?;
    let offered_schemes = config.verifier.supported_schemes();
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
    let hello = ClientHello {
        client_version: crate::record::TLS12,
        random: random_struct(&client_random),
        session_id: SessionID(&[]),
        cipher_suites: config.cipher_suites.iter().map(|s| s.suite).collect(),
        compression_methods: vec![CompressionMethod::Null],
        extensions: Some(extensions),
    };
    cx.send(&Handshake::ClientHello(hello))?;
    Ok(ClientState::ExpectServerHello(Hello {
        client_random,
        server_name,
        offered_schemes,
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
    handshake::dispatch(CLIENT_TRANSITIONS, state, input, |state, input| {
        // Every handshake message but HelloRequest goes into the transcript (RFC 5246 7.4.9);
        // a Finished only after its verify_data was checked against the transcript before it.
        if let Input::Handshake { msg, bytes } = &input {
            if !matches!(msg.selector(), H::HelloRequest | H::Finished) {
                cx.transcript.add(bytes);
            }
        }
        match (state, input) {
            (
                ClientState::ExpectServerHello(hello),
                Input::Handshake {
                    msg: Handshake::ServerHello(sh),
                    ..
                },
            ) => server_hello(config, hello, sh, cx),
            (
                ClientState::ExpectCertificate(choice),
                Input::Handshake {
                    msg: Handshake::Certificate(c),
                    ..
                },
            ) => certificate(config, choice, c, cx),
            (
                ClientState::ExpectServerKeyExchange(choice, chain),
                Input::Handshake {
                    msg: Handshake::ServerKeyExchange(ske),
                    ..
                },
            ) => server_key_exchange(config, choice, chain, ske, cx),
            (
                ClientState::ExpectServerHelloDone { choice, kx, .. },
                Input::Handshake {
                    msg: Handshake::CertificateRequest(_),
                    ..
                },
            ) => Ok(ClientState::ExpectServerHelloDone {
                choice,
                kx,
                cert_requested: true,
            }),
            (
                ClientState::ExpectServerHelloDone {
                    choice,
                    kx,
                    cert_requested,
                },
                Input::Handshake {
                    msg: Handshake::ServerHelloDone(_),
                    ..
                },
            ) => server_hello_done(choice, kx, cert_requested, cx),
            (ClientState::ExpectChangeCipherSpec(secrets), Input::ChangeCipherSpec) => {
                cx.change_read_keys()?;
                Ok(ClientState::ExpectFinished(secrets))
            }
            (
                ClientState::ExpectFinished(secrets),
                Input::Handshake {
                    msg: Handshake::Finished(fin),
                    bytes,
                },
            ) => {
                let expected = prf::verify_data(
                    secrets.suite.hash,
                    &secrets.master,
                    false,
                    &cx.transcript.current_hash()?,
                );
                verify_equal(&expected, &fin.verify_data)?;
                cx.transcript.add(bytes);
                *cx.handshake_done = true;
                Ok(ClientState::Connected)
            }
            (
                ClientState::Connected,
                Input::Handshake {
                    msg: Handshake::HelloRequest(_),
                    ..
                },
            ) => {
                cx.send_warning(AlertDescription::NoRenegotiation)?;
                Ok(ClientState::Connected)
            }
            (
                state,
                Input::Handshake {
                    msg: Handshake::HelloRequest(_),
                    ..
                },
            ) => Ok(state),
            (state, input) => Err(Error::UnexpectedMessage {
                state: state.name(),
                got: input.kind().to_string(),
            }),
        }
    })
}

fn server_hello(
    config: &ClientConfig,
    hello: Hello,
    sh: ServerHello<'_>,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    if sh.server_version != crate::record::TLS12 {
        return Err(Error::PeerIncompatible(
            PeerIncompatible::UnsupportedVersion,
        ));
    }
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
    let mut ems = false;
    let mut reneg = false;
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
                return Err(Error::PeerMisbehaved(PeerMisbehaved::UnsolicitedExtension(
                    ExtensionType::ApplicationLayerProtocolNegotiation.value(),
                )));
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
            // Anything we did not offer (RFC 5246 7.4.1.4: unsupported_extension).
            other => {
                return Err(Error::PeerMisbehaved(PeerMisbehaved::UnsolicitedExtension(
                    other.selector().value(),
                )));
            }
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
    Ok(ClientState::ExpectCertificate(ServerChoice {
        hello,
        server_random: random_bytes(&sh.random),
        suite,
    }))
}

fn certificate(
    config: &ClientConfig,
    choice: ServerChoice,
    c: Certificate<'_>,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    let mut certs = c
        .certificate_list
        .iter()
        .map(|c| CertificateDer::from(c.0.to_vec()));
    let end_entity = certs
        .next()
        .ok_or(Error::InvalidCertificate(CertificateError::NoCertificate))?;
    let intermediates: Vec<CertificateDer<'static>> = certs.collect();
    let verified = config.verifier.verify_server_cert(
        &end_entity,
        &intermediates,
        &choice.hello.server_name,
        &[],
        UnixTime::now(),
    )?;
    cx.negotiated.peer_certificates = std::iter::once(end_entity.clone())
        .chain(intermediates)
        .collect();
    Ok(ClientState::ExpectServerKeyExchange(
        choice,
        VerifiedChain {
            end_entity,
            _verified: verified,
        },
    ))
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
        cert_requested: false,
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

fn server_hello_done(
    choice: ServerChoice,
    kx: VerifiedKeyExchange,
    cert_requested: bool,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    if cert_requested {
        // No client certificate configured: RFC 5246 7.4.6 says send an empty one.
        cx.send(&Handshake::Certificate(Certificate {
            certificate_list: Vec::new(),
        }))?;
    }
    // Complete the agreement first: an invalid server point must fail before we send anything.
    let ours = KeyExchange::start(kx.group)?;
    let our_public = ours.public_key().to_vec();
    let pre_master = ours.complete(&kx.server_public)?;
    let cke = ClientKeyExchange::EcDiffieHellman(ClientECDiffieHellmanPublic {
        ecdh_yc: ECPoint { point: &our_public },
    });
    cx.send(&Handshake::ClientKeyExchange(cke))?;
    let suite = choice.suite;
    let master = if cx.negotiated.extended_master_secret {
        // RFC 7627 4: the session hash runs through ClientKeyExchange.
        prf::extended_master_secret(suite.hash, &pre_master, &cx.transcript.current_hash()?)
    } else {
        prf::master_secret(
            suite.hash,
            &pre_master,
            &choice.hello.client_random,
            &choice.server_random,
        )
    };
    let keys = prf::key_block(
        suite,
        &master,
        &choice.hello.client_random,
        &choice.server_random,
    );
    let (write, read) = handshake::record_keys(suite, &keys, true)?;
    cx.change_write_keys(write.0, write.1)?;
    *cx.pending_read = Some(read);
    let verify_data = prf::verify_data(suite.hash, &master, true, &cx.transcript.current_hash()?);
    cx.send(&Handshake::Finished(Finished { verify_data }))?;
    Ok(ClientState::ExpectChangeCipherSpec(Secrets {
        suite,
        master,
    }))
}
