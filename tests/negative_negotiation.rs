//! Negative tests, negotiation: a client offering nothing we support (hand-built ClientHello to a
//! real server) and a server choosing what was not offered (hand-built ServerHello to a real
//! client). Every failure gives the right typed error on the side that detects it, the right
//! alert on the wire, the right `AlertReceived` on the other side, and nothing panics.
//!
//! Everything runs in process over memory (sans-IO). Messages a test injects are built with the
//! generated wire types and framed with `wire::TLSPlaintext` (`common::records`). To reach the
//! states that read only protected records (after the peer's ChangeCipherSpec), the peer is
//! rustls with a key log (`common::rustls_peer`, `common::states`): its master secret gives both
//! directions' traffic keys (through spectls' own `prf::key_block`), so a test can seal records
//! as the peer would and open what spectls sends back, alerts included. The failure checks
//! (`check_error`, `failed_in_clear`, `failed_encrypted`, `receives_alert`) are in
//! `common::checks`.
//!
//! The negative tests are split by subject: `negative_certificates.rs`, `negative_tampering.rs`,
//! `negative_message_order.rs`, `negative_negotiation.rs`, `negative_robustness.rs`,
//! `negative_resumption.rs`.

mod common;

use common::states::*;
use common::*;
use spectls::codec::{Codec, DecodeErrorKind, Encode};
use spectls::crypto::suites::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
use spectls::internal::algorithm_of;
use spectls::pki::{
    ServerCertVerified, ServerCertVerifier, SignatureVerified, WebPkiServerVerifier,
};
use spectls::pki_types::{CertificateDer, ServerName, UnixTime};
use spectls::wire::{
    tls12::Handshake, Alert, AlertDescription as A, CertificateStatusRequestExtension, CipherSuite,
    ClientHello, CompressionMethod, ContentType, DigitallySigned, ECPointFormat, ECPointFormatList,
    ExtendedMasterSecret, Extension, ExtensionType, HashAlgorithm, MaxFragmentLength, NamedCurve,
    NamedCurveList, ProtocolName, ProtocolNameList, ProtocolVersion, RecordSizeLimit,
    RenegotiationInfo, ServerKeyExchange, ServerNameExtension, SessionTicket, SignatureAlgorithm,
    SignatureAndHashAlgorithm, SignatureAndHashAlgorithmList, SignatureScheme,
};
use spectls::{
    ClientConfig, ClientConnection, Error, PeerIncompatible, PeerMisbehaved, ServerConfig,
    ServerConnection,
};
use std::sync::Arc;

// ==========================================================================================
// A client offering nothing we support (hand-built ClientHello)
// ==========================================================================================

/// The server refuses the ClientHello with `want` and nothing but the alert (`server_refuses`),
/// before it negotiated anything.
#[track_caller]
fn refuses_before_negotiating(server: ServerConfig, record: &[u8], want: Error, alert: A) {
    let s = server_refuses(server, record, want, alert);
    assert!(s.is_handshaking());
    assert_eq!(s.negotiated_cipher_suite(), None, "nothing negotiated");
    assert_eq!(s.alpn_protocol(), None);
}

#[test]
fn client_hello_with_nothing_in_common_is_refused() {
    let incompatible = |p| Error::PeerIncompatible(p);
    // Control: the base ClientHello is accepted.
    let (s, _) = server_accepts(server_config(false), &client_hello_with(|_| {}));
    assert_eq!(
        s.negotiated_cipher_suite(),
        Some(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
    );
    // Only suites spectls does not do.
    refuses_before_negotiating(
        server_config(false),
        &client_hello_with(|ch| {
            ch.cipher_suites = vec![
                CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA,
                CipherSuite::TLS_RSA_WITH_AES_256_CBC_SHA,
            ]
        }),
        incompatible(PeerIncompatible::NoCipherSuiteInCommon),
        A::HandshakeFailure,
    );
    // Only suites for another key type (ECDHE_RSA to an ECDSA server).
    refuses_before_negotiating(
        server_config(false),
        &client_hello_with(|ch| {
            ch.cipher_suites = vec![CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
        }),
        incompatible(PeerIncompatible::NoCipherSuiteInCommon),
        A::HandshakeFailure,
    );
    // Only groups spectls does not do, to an RSA server.
    let unsupported_groups = || {
        Extension::EllipticCurves(NamedCurveList {
            named_curve_list: vec![
                NamedCurve::Secp521r1,
                NamedCurve::X448,
                NamedCurve::Unknown(0x0100),
            ],
        })
    };
    refuses_before_negotiating(
        server_config(true),
        &client_hello_with(|ch| {
            ch.cipher_suites = vec![CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256];
            exts(ch)[0] = unsupported_groups();
            exts(ch)[2] = Extension::SignatureAlgorithms(SignatureAndHashAlgorithmList {
                supported_signature_algorithms: vec![algorithm_of(
                    SignatureScheme::RsaPssRsaeSha256,
                )],
            });
        }),
        incompatible(PeerIncompatible::NoGroupInCommon),
        A::HandshakeFailure,
    );
    // To an ECDSA server the same offer rules out its P-256 certificate first (RFC 8422 5.1,
    // 5.3), and the error says so.
    refuses_before_negotiating(
        server_config(false),
        &client_hello_with(|ch| exts(ch)[0] = unsupported_groups()),
        incompatible(PeerIncompatible::CertificateCurveNotOffered),
        A::HandshakeFailure,
    );
    // No signature scheme the ECDSA key can use: RSA ones, and ECDSA with SHA-1.
    refuses_before_negotiating(
        server_config(false),
        &client_hello_with(|ch| {
            exts(ch)[2] = Extension::SignatureAlgorithms(SignatureAndHashAlgorithmList {
                supported_signature_algorithms: vec![
                    algorithm_of(SignatureScheme::RsaPkcs1Sha256),
                    algorithm_of(SignatureScheme::RsaPssRsaeSha256),
                    SignatureAndHashAlgorithm {
                        hash: HashAlgorithm::Sha1,
                        signature: SignatureAlgorithm::Ecdsa,
                    },
                ],
            })
        }),
        incompatible(PeerIncompatible::NoSignatureSchemeInCommon),
        A::HandshakeFailure,
    );
    // No signature_algorithms at all: RFC 5246 7.4.1.4.1 then means SHA-1, which we never sign.
    refuses_before_negotiating(
        server_config(false),
        &client_hello_with(|ch| {
            exts(ch).retain(|e| e.selector() != ExtensionType::SignatureAlgorithms)
        }),
        incompatible(PeerIncompatible::NoSignatureSchemeInCommon),
        A::HandshakeFailure,
    );
    // A server that requires the extended master secret, a client without it.
    refuses_before_negotiating(
        ecdsa_server_with(|b| b.require_extended_master_secret(true)),
        &client_hello_with(|ch| {
            exts(ch).retain(|e| e.selector() != ExtensionType::ExtendedMasterSecret)
        }),
        incompatible(PeerIncompatible::ExtendedMasterSecretRequired),
        A::HandshakeFailure,
    );
}

#[test]
fn client_hello_with_old_version_is_protocol_version() {
    for (major, minor) in [(3, 1), (3, 2), (3, 0), (2, 0)] {
        refuses_before_negotiating(
            server_config(false),
            &client_hello_with(|ch| ch.client_version = ProtocolVersion { major, minor }),
            Error::PeerIncompatible(PeerIncompatible::UnsupportedVersion),
            A::ProtocolVersion,
        );
    }
    // Control: a client that also speaks TLS 1.3 ({3, 4}) gets TLS 1.2.
    let mut s = ServerConnection::new(Arc::new(server_config(false))).unwrap();
    feed(
        &mut s,
        &client_hello_with(|ch| ch.client_version = ProtocolVersion { major: 3, minor: 4 }),
    )
    .expect("newer client accepted");
    let msgs = handshake_messages(&drain(&mut s));
    let Handshake::ServerHello(sh) = decode_hs(&msgs[0]) else {
        panic!("not a ServerHello")
    };
    assert_eq!(sh.server_version, TLS12);
}

#[test]
fn alpn_without_overlap_is_no_application_protocol() {
    let alpn_server = || ecdsa_server_with(|b| b.with_alpn_protocols(vec![b"h2".to_vec()]));
    let offering = |names: &'static [&'static [u8]]| {
        client_hello_with(move |ch| {
            exts(ch).push(Extension::ApplicationLayerProtocolNegotiation(
                ProtocolNameList {
                    protocol_name_list: names.iter().map(|n| ProtocolName(n)).collect(),
                },
            ))
        })
    };
    refuses_before_negotiating(
        alpn_server(),
        &offering(&[b"http/1.1", b"spdy/3"]),
        Error::PeerIncompatible(PeerIncompatible::NoApplicationProtocol),
        A::NoApplicationProtocol,
    );
    // Controls: overlap, and no ALPN offered at all.
    let (s, _) = server_accepts(alpn_server(), &offering(&[b"http/1.1", b"h2"]));
    assert_eq!(s.alpn_protocol(), Some(&b"h2"[..]));
    let (s, _) = server_accepts(alpn_server(), &client_hello_with(|_| {}));
    assert_eq!(s.alpn_protocol(), None);

    // Both real sides.
    let client = client_with(|b| b.with_alpn_protocols(vec![b"http/1.1".to_vec()]));
    let (mut c, mut s) = pair(client, alpn_server());
    let got = feed(&mut s, &drain(&mut c));
    let out = failed_in_clear(
        &mut s,
        got,
        Error::PeerIncompatible(PeerIncompatible::NoApplicationProtocol),
        A::NoApplicationProtocol,
    );
    receives_alert(&mut c, &out, A::NoApplicationProtocol);
}

#[test]
fn real_client_with_nothing_in_common_reads_handshake_failure() {
    // No suite in common: an RSA-only client, an ECDSA server.
    let client = client_with(|b| {
        b.with_cipher_suites(&[&spectls::crypto::suites::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256])
    });
    let cases = [
        (
            client,
            server_config(false),
            PeerIncompatible::NoCipherSuiteInCommon,
        ),
        (
            client_with(|b| b.with_groups(&[NamedCurve::X25519])),
            server_config_with_groups(true, &[NamedCurve::Secp384r1]),
            PeerIncompatible::NoGroupInCommon,
        ),
        (
            ClientConfig::builder()
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(OnlySchemes(vec![
                    SignatureScheme::EcdsaSecp384r1Sha384,
                    SignatureScheme::RsaPssRsaeSha256,
                ])))
                .build()
                .unwrap(),
            server_config(false),
            PeerIncompatible::NoSignatureSchemeInCommon,
        ),
    ];
    for (client, server, want) in cases {
        let (mut c, mut s) = pair(client, server);
        let got = feed(&mut s, &drain(&mut c));
        let out = failed_in_clear(
            &mut s,
            got,
            Error::PeerIncompatible(want),
            A::HandshakeFailure,
        );
        receives_alert(&mut c, &out, A::HandshakeFailure);
        io_fails_with(&mut c, &Error::AlertReceived(A::HandshakeFailure));
    }
}

/// The webpki verifier, offering only some signature schemes.
#[derive(Debug)]
struct OnlySchemes(Vec<SignatureScheme>);

impl ServerCertVerifier for OnlySchemes {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        WebPkiServerVerifier::new(Arc::new(roots())).verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        scheme: SignatureScheme,
        signature: &[u8],
    ) -> Result<SignatureVerified, Error> {
        WebPkiServerVerifier::new(Arc::new(roots()))
            .verify_tls12_signature(message, cert, scheme, signature)
    }

    fn supported_schemes(&self) -> Vec<SignatureScheme> {
        self.0.clone()
    }
}

#[test]
fn client_hello_breaking_rules_is_refused() {
    let misbehaved = |p| Error::PeerMisbehaved(p);
    // The same extension twice.
    refuses_before_negotiating(
        server_config(false),
        &client_hello_with(|ch| {
            exts(ch).push(Extension::ExtendedMasterSecret(ExtendedMasterSecret {}))
        }),
        misbehaved(PeerMisbehaved::DuplicateExtension(23)),
        A::DecodeError,
    );
    refuses_before_negotiating(
        server_config(false),
        &client_hello_with(|ch| {
            let unknown = Extension::Unknown(ExtensionType::Unknown(0x1234), b"x");
            exts(ch).insert(0, unknown.clone());
            exts(ch).push(unknown);
        }),
        misbehaved(PeerMisbehaved::DuplicateExtension(0x1234)),
        A::DecodeError,
    );
    // A renegotiation_info that is not empty on an initial handshake (RFC 5746 3.6).
    refuses_before_negotiating(
        server_config(false),
        &client_hello_with(|ch| {
            exts(ch)[4] = Extension::RenegotiationInfo(RenegotiationInfo {
                renegotiated_connection: &[1; 12],
            })
        }),
        misbehaved(PeerMisbehaved::BadRenegotiationInfo),
        A::HandshakeFailure,
    );
    // record_size_limit below 64 (RFC 8449 4: illegal_parameter).
    refuses_before_negotiating(
        server_config(false),
        &client_hello_with(|ch| exts(ch).push(Extension::RecordSizeLimit(RecordSizeLimit(63)))),
        misbehaved(PeerMisbehaved::Other("record_size_limit below 64")),
        A::IllegalParameter,
    );
    // No null compression.
    refuses_before_negotiating(
        server_config(false),
        &client_hello_with(|ch| ch.compression_methods = vec![CompressionMethod::Unknown(1)]),
        misbehaved(PeerMisbehaved::Other("null compression not offered")),
        A::IllegalParameter,
    );
    // Control: the record layer version of a ClientHello may be any {03,XX} (RFC 5246 E.1).
    for minor in [0, 1] {
        let mut record = client_hello_with(|_| {});
        record[2] = minor;
        server_accepts(server_config(false), &record);
    }
    // Control: unknown extensions are ignored.
    server_accepts(
        server_config(false),
        &client_hello_with(|ch| {
            exts(ch).push(Extension::Unknown(ExtensionType::Unknown(0x1234), b"x"))
        }),
    );
}

#[test]
fn client_hello_without_uncompressed_points_is_illegal_parameter() {
    let (mut s, got) = offer(
        server_config(false),
        &client_hello_with(|ch| {
            exts(ch)[1] = Extension::EcPointFormats(ECPointFormatList {
                ec_point_format_list: vec![ECPointFormat::Unknown(1)],
            })
        }),
    );
    let err = got.clone().expect_err("refused");
    failed_in_clear(&mut s, got, err, A::IllegalParameter);
}

/// The encoded base ClientHello message, patched, as a record.
fn malformed_client_hello(patch: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut msg = Handshake::ClientHello(base_client_hello()).to_vec();
    patch(&mut msg);
    frame(ContentType::Handshake, &msg)
}

#[track_caller]
fn refused_as_malformed(record: &[u8], kind: fn(&DecodeErrorKind) -> bool, path: &str) {
    let (mut s, got) = offer(server_config(false), record);
    let err = got.clone().expect_err("malformed ClientHello refused");
    let Error::Decode(d) = &err else {
        panic!("not a decode error: {err:?}")
    };
    assert!(kind(&d.kind), "{d}");
    assert_eq!(d.path(), path, "{d}");
    assert!(
        err.to_string().contains(path),
        "the message names the field: {err}"
    );
    failed_in_clear(&mut s, got, err.clone(), A::DecodeError);
}

#[test]
fn malformed_client_hello_is_decode_error_with_a_path() {
    // Offsets in the handshake message: type(1) length(3) client_version(2) random(32)
    // session_id length(1)=0, then cipher_suites length(2) at 39, the one suite at 41,
    // compression_methods length(1) at 43, null at 44, extensions length(2) at 45.
    const CS_LEN: usize = 39;
    const CM_LEN: usize = 43;
    const EXT_LEN: usize = 45;
    let base = Handshake::ClientHello(base_client_hello()).to_vec();
    assert_eq!(base[CS_LEN..CS_LEN + 2], [0, 2]);
    assert_eq!(base[CM_LEN..CM_LEN + 2], [1, 0]);
    // Control: untouched it decodes.
    server_accepts(server_config(false), &frame(ContentType::Handshake, &base));

    // A cipher_suites length that is not a multiple of 2.
    refused_as_malformed(
        &malformed_client_hello(|m| m[CS_LEN + 1] = 3),
        |k| {
            matches!(
                k,
                DecodeErrorKind::NotMultiple {
                    length: 3,
                    element: 2
                }
            )
        },
        "Handshake.client_hello.cipher_suites",
    );
    // A cipher_suites length running past the message.
    refused_as_malformed(
        &malformed_client_hello(|m| m[CS_LEN] = 0x10),
        |k| matches!(k, DecodeErrorKind::Truncated { .. }),
        "Handshake.client_hello.cipher_suites",
    );
    // An empty compression_methods (floor 1).
    refused_as_malformed(
        &malformed_client_hello(|m| {
            m.remove(CM_LEN + 1);
            m[CM_LEN] = 0;
            m[3] -= 1;
        }),
        |k| {
            matches!(
                k,
                DecodeErrorKind::LengthOutOfRange {
                    length: 0,
                    floor: 1,
                    ..
                }
            )
        },
        "Handshake.client_hello.compression_methods",
    );
    // An extensions block one byte longer than what follows.
    refused_as_malformed(
        &malformed_client_hello(|m| m[EXT_LEN + 1] += 1),
        |k| matches!(k, DecodeErrorKind::Truncated { .. }),
        "Handshake.client_hello.extensions",
    );
    // A byte after the extensions, inside the handshake message.
    refused_as_malformed(
        &malformed_client_hello(|m| {
            m.push(0);
            m[3] += 1;
        }),
        |k| matches!(k, DecodeErrorKind::TrailingBytes { count: 1 }),
        "Handshake",
    );
    // Inside the first extension (supported_groups): an odd list length.
    // extension type(2) length(2) list length(2) at EXT_LEN + 2 + 4.
    refused_as_malformed(
        &malformed_client_hello(|m| m[EXT_LEN + 2 + 5] = 3),
        |k| {
            matches!(
                k,
                DecodeErrorKind::NotMultiple { .. } | DecodeErrorKind::TrailingBytes { .. }
            )
        },
        "Handshake.client_hello.extensions[0].elliptic_curves.named_curve_list",
    );
}

#[test]
fn oversized_records_and_messages_are_refused() {
    // A plaintext record longer than 2^14 (RFC 5246 6.2.1).
    let mut s = ServerConnection::new(Arc::new(server_config(false))).unwrap();
    let got = feed(
        &mut s,
        &frame(ContentType::Handshake, &vec![0u8; (1 << 14) + 1]),
    );
    failed_in_clear(
        &mut s,
        got,
        Error::RecordOverflow { ciphertext: false },
        A::RecordOverflow,
    );
    // A protected record longer than 2^14 + 2048: refused from its header alone.
    let mut at = server_at("Connected");
    let header = [23u8, 3, 3, 0x48, 0x01];
    let got = feed(&mut at.victim, &header);
    check_error(
        &mut at.victim,
        got,
        &Error::RecordOverflow { ciphertext: true },
        A::RecordOverflow,
    );
    assert_eq!(at.sent_alert(), fatal(A::RecordOverflow));
    // A handshake message announcing more than we buffer (a ClientHello over 131,396 bytes).
    let mut s = ServerConnection::new(Arc::new(server_config(false))).unwrap();
    let got = feed(
        &mut s,
        &frame(ContentType::Handshake, &[1, 0x02, 0x01, 0x45]),
    );
    let err = got.clone().expect_err("huge message refused");
    assert!(matches!(err, Error::PeerMisbehaved(_)), "{err:?}");
    failed_in_clear(&mut s, got, err.clone(), err.alert().unwrap());
}

// ==========================================================================================
// A server choosing what was not offered (hand-built ServerHello to a real client)
// ==========================================================================================

/// A client that sent its ClientHello.
fn fresh_client(config: ClientConfig) -> ClientConnection {
    let mut c =
        ClientConnection::new(Arc::new(config), "localhost".try_into().unwrap()).expect("client");
    drain(&mut c);
    c
}

#[track_caller]
fn client_refuses(config: ClientConfig, record: &[u8], want: Error, alert: A) {
    let mut c = fresh_client(config);
    let got = feed(&mut c, record);
    failed_in_clear(&mut c, got, want, alert);
    assert!(c.negotiated_cipher_suite().is_none(), "nothing negotiated");
}

#[test]
fn server_hello_choosing_unoffered_parameters_is_illegal_parameter() {
    // Control: a hand-built ServerHello with an offered suite is accepted.
    let mut c = fresh_client(client_config());
    feed(&mut c, &server_hello_record(|_| {})).expect("valid ServerHello");
    assert_eq!(
        c.negotiated_cipher_suite(),
        Some(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
    );

    client_refuses(
        client_config(),
        &server_hello_record(|sh| sh.cipher_suite = CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA),
        unoffered("cipher suite"),
        A::IllegalParameter,
    );
    // A suite spectls implements but this client did not offer.
    client_refuses(
        client_with(|b| b.with_cipher_suites(&[&TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256])),
        &server_hello_record(|sh| {
            sh.cipher_suite = CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
        }),
        unoffered("cipher suite"),
        A::IllegalParameter,
    );
    // The renegotiation SCSV is not a suite to choose.
    client_refuses(
        client_config(),
        &server_hello_record(|sh| sh.cipher_suite = CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV),
        unoffered("cipher suite"),
        A::IllegalParameter,
    );
    client_refuses(
        client_config(),
        &server_hello_record(|sh| sh.compression_method = CompressionMethod::Unknown(1)),
        unoffered("compression method"),
        A::IllegalParameter,
    );
    for (major, minor) in [(3, 1), (3, 4)] {
        client_refuses(
            client_config(),
            &server_hello_record(|sh| sh.server_version = ProtocolVersion { major, minor }),
            Error::PeerIncompatible(PeerIncompatible::UnsupportedVersion),
            A::ProtocolVersion,
        );
    }
    // ALPN: a protocol the client did not offer, and two protocols.
    let alpn_client = || client_with(|b| b.with_alpn_protocols(vec![b"h2".to_vec()]));
    let answering =
        |names: &'static [&'static [u8]]| {
            server_hello_record(move |sh| {
                sh.extensions.as_mut().unwrap().push(
                    Extension::ApplicationLayerProtocolNegotiation(ProtocolNameList {
                        protocol_name_list: names.iter().map(|n| ProtocolName(n)).collect(),
                    }),
                )
            })
        };
    client_refuses(
        alpn_client(),
        &answering(&[b"http/1.1"]),
        unoffered("ALPN protocol"),
        A::IllegalParameter,
    );
    client_refuses(
        alpn_client(),
        &answering(&[b"h2", b"h2"]),
        Error::PeerMisbehaved(PeerMisbehaved::Other("ALPN answer must name one protocol")),
        A::IllegalParameter,
    );
    // Control: the offered protocol is accepted.
    let mut c = fresh_client(alpn_client());
    feed(&mut c, &answering(&[b"h2"])).expect("offered ALPN protocol");
    assert_eq!(c.alpn_protocol(), Some(&b"h2"[..]));
}

#[test]
fn server_hello_breaking_rules_is_refused() {
    let with_ext = |e: Extension<'static>| {
        server_hello_record(move |sh| sh.extensions.as_mut().unwrap().push(e))
    };
    client_refuses(
        client_config(),
        &with_ext(Extension::ExtendedMasterSecret(ExtendedMasterSecret {})),
        Error::PeerMisbehaved(PeerMisbehaved::DuplicateExtension(23)),
        A::DecodeError,
    );
    client_refuses(
        client_config(),
        &server_hello_record(|sh| {
            sh.extensions.as_mut().unwrap()[0] = Extension::RenegotiationInfo(RenegotiationInfo {
                renegotiated_connection: &[0; 24],
            })
        }),
        Error::PeerMisbehaved(PeerMisbehaved::BadRenegotiationInfo),
        A::HandshakeFailure,
    );
    client_refuses(
        client_config(),
        &with_ext(Extension::RecordSizeLimit(RecordSizeLimit(10))),
        Error::PeerMisbehaved(PeerMisbehaved::Other("record_size_limit below 64")),
        A::IllegalParameter,
    );
    client_refuses(
        client_with(|b| b.require_extended_master_secret(true)),
        &server_hello_record(|sh| {
            sh.extensions
                .as_mut()
                .unwrap()
                .retain(|e| e.selector() != ExtensionType::ExtendedMasterSecret)
        }),
        Error::PeerIncompatible(PeerIncompatible::ExtendedMasterSecretRequired),
        A::HandshakeFailure,
    );
}

/// A client that offers neither session_ticket nor status_request (both are on by default).
fn client_offering_less() -> ClientConfig {
    client_with(|b| b.enable_tickets(false).enable_ocsp_stapling(false))
}

/// Extensions `client_offering_less` never offers.
fn unsolicited_extensions() -> Vec<(Extension<'static>, &'static str)> {
    vec![
        (
            Extension::SessionTicket(SessionTicket { ticket: &[] }),
            "session_ticket",
        ),
        (
            Extension::StatusRequest(CertificateStatusRequestExtension::ServerHello),
            "status_request",
        ),
        (
            Extension::MaxFragmentLength(MaxFragmentLength::Pow2_9),
            "max_fragment_length",
        ),
        // ALPN, from a client that offered none.
        (
            Extension::ApplicationLayerProtocolNegotiation(ProtocolNameList {
                protocol_name_list: vec![ProtocolName(b"h2")],
            }),
            "ALPN protocol",
        ),
    ]
}

#[test]
fn server_hello_with_unsolicited_extension_is_refused() {
    for (ext, what) in unsolicited_extensions() {
        let want =
            Error::PeerMisbehaved(PeerMisbehaved::UnsolicitedExtension(ext.selector().value()));
        let record = server_hello_record(|sh| sh.extensions.as_mut().unwrap().push(ext));
        let mut c = fresh_client(client_offering_less());
        let got = feed(&mut c, &record);
        failed_in_clear(&mut c, got, want, A::UnsupportedExtension);
        assert!(c.negotiated_cipher_suite().is_none(), "{what}");
    }
}

#[test]
fn server_hello_with_unsolicited_extension_is_unsupported_extension() {
    for (ext, what) in unsolicited_extensions() {
        let record = server_hello_record(|sh| sh.extensions.as_mut().unwrap().push(ext));
        let mut c = fresh_client(client_offering_less());
        feed(&mut c, &record).expect_err(what);
        let recs = split_records(&drain(&mut c));
        assert_eq!(
            Alert::from_bytes(fragment_of(&recs[0].1)).unwrap(),
            fatal(A::UnsupportedExtension),
            "{what}"
        );
    }
}

#[test]
fn server_hello_answering_offered_ticket_and_status_request_is_accepted() {
    // Controls: the default client offers both, so their (empty) answers are accepted.
    let offered = [
        Extension::SessionTicket(SessionTicket { ticket: &[] }),
        Extension::StatusRequest(CertificateStatusRequestExtension::ServerHello),
    ];
    let record = server_hello_record(|sh| sh.extensions.as_mut().unwrap().extend(offered));
    let mut c = fresh_client(client_config());
    feed(&mut c, &record).expect("answers to what was offered");
    assert_eq!(
        c.negotiated_cipher_suite(),
        Some(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
    );
    // The default client still never offers max_fragment_length or (without protocols) ALPN.
    for (ext, what) in unsolicited_extensions() {
        if matches!(
            ext.selector(),
            ExtensionType::SessionTicket | ExtensionType::StatusRequest
        ) {
            continue;
        }
        let want =
            Error::PeerMisbehaved(PeerMisbehaved::UnsolicitedExtension(ext.selector().value()));
        let record = server_hello_record(|sh| sh.extensions.as_mut().unwrap().push(ext));
        let mut c = fresh_client(client_config());
        let got = feed(&mut c, &record);
        failed_in_clear(&mut c, got, want, A::UnsupportedExtension);
        assert!(c.negotiated_cipher_suite().is_none(), "{what}");
    }
}

/// Rewrites the client's ClientHello on its way to the server.
fn rewrite_client_hello(
    c: &mut ClientConnection,
    edit: impl FnOnce(&mut ClientHello<'_>),
) -> Vec<u8> {
    let msgs = handshake_messages(&drain(c));
    let Handshake::ClientHello(mut ch) = decode_hs(&msgs[0]) else {
        panic!("not a ClientHello")
    };
    edit(&mut ch);
    hs_record(&Handshake::ClientHello(ch))
}

#[test]
fn server_key_exchange_with_unoffered_group_or_scheme_is_illegal_parameter() {
    // An attacker adds secp256r1 to an X25519-only client's groups; the server (preferring
    // secp256r1) signs genuine parameters for a group the client never offered. (An RSA server:
    // an ECDSA P-256 certificate would already be refused, its curve not offered.)
    let (mut c, mut s) = pair(
        client_with(|b| b.with_groups(&[NamedCurve::X25519])),
        server_config_with_groups(true, &[NamedCurve::Secp256r1, NamedCurve::X25519]),
    );
    let hello = rewrite_client_hello(&mut c, |ch| {
        for e in ch.extensions.as_mut().unwrap() {
            if let Extension::EllipticCurves(g) = e {
                g.named_curve_list = vec![NamedCurve::Secp256r1, NamedCurve::X25519];
            }
        }
    });
    feed(&mut s, &hello).expect("ClientHello");
    let got = feed(&mut c, &drain(&mut s));
    let out = failed_in_clear(&mut c, got, unoffered("group"), A::IllegalParameter);
    receives_alert(&mut s, &out, A::IllegalParameter);

    // A client offering only ECDSA P-384 signatures; the attacker offers P-256 for it.
    let only = ClientConfig::builder()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(OnlySchemes(vec![
            SignatureScheme::EcdsaSecp384r1Sha384,
        ])))
        .build()
        .unwrap();
    let (mut c, mut s) = pair(only, server_config(false));
    let hello = rewrite_client_hello(&mut c, |ch| {
        for e in ch.extensions.as_mut().unwrap() {
            if let Extension::SignatureAlgorithms(l) = e {
                l.supported_signature_algorithms = vec![ecdsa_p256()];
            }
        }
    });
    feed(&mut s, &hello).expect("ClientHello");
    let got = feed(&mut c, &drain(&mut s));
    let out = failed_in_clear(
        &mut c,
        got,
        unoffered("signature scheme"),
        A::IllegalParameter,
    );
    receives_alert(&mut s, &out, A::IllegalParameter);

    // A ServerKeyExchange claiming an RSA scheme for an ECDHE_ECDSA suite.
    let (mut c, mut s, got) = with_server_flight(client_config(), server_config(false), |msgs| {
        let i = ske_index(msgs);
        let Handshake::ServerKeyExchange(ServerKeyExchange::EcDiffieHellman {
            params,
            signed_params,
        }) = decode_hs(&msgs[i])
        else {
            panic!("not an ECDHE ServerKeyExchange")
        };
        let rewritten = Handshake::ServerKeyExchange(ServerKeyExchange::EcDiffieHellman {
            params,
            signed_params: DigitallySigned {
                algorithm: algorithm_of(SignatureScheme::RsaPkcs1Sha256),
                signature: signed_params.signature,
            },
        })
        .to_vec();
        msgs[i] = rewritten;
    });
    // Offered (the client takes RSA schemes too), but not one the ECDSA certificate makes.
    let out = failed_in_clear(
        &mut c,
        got,
        Error::PeerMisbehaved(PeerMisbehaved::Other(
            "signature scheme does not match the certificate's key",
        )),
        A::IllegalParameter,
    );
    receives_alert(&mut s, &out, A::IllegalParameter);
}

// Found by BoGo (scripts/bogo.sh).

#[test]
fn a_server_name_ack_is_accepted_only_for_a_server_name_sent() {
    let ack = || {
        server_hello_record(|sh| {
            sh.extensions
                .as_mut()
                .unwrap()
                .push(Extension::ServerName(ServerNameExtension::ServerHello))
        })
    };
    // Control: to a DNS name, SNI went out; its acknowledgement is fine.
    let mut c = fresh_client(client_config());
    feed(&mut c, &ack()).expect("server_name acknowledged");
    // SNI off (and so for an IP address): the acknowledgement is unsolicited (RFC 6066 3).
    client_refuses(
        client_with(|b| b.enable_sni(false)),
        &ack(),
        Error::PeerMisbehaved(PeerMisbehaved::UnsolicitedExtension(0)),
        A::UnsupportedExtension,
    );
}

#[test]
fn supported_groups_echoed_in_the_server_hello_is_ignored() {
    // We offered it; RFC 5246 7.4.1.4 forbids only extensions we did not offer.
    let mut c = fresh_client(client_config());
    let record = server_hello_record(|sh| {
        sh.extensions
            .as_mut()
            .unwrap()
            .push(Extension::EllipticCurves(NamedCurveList {
                named_curve_list: vec![NamedCurve::X25519],
            }))
    });
    feed(&mut c, &record).expect("supported_groups in a ServerHello");
    assert_eq!(
        c.negotiated_cipher_suite(),
        Some(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
    );
}

#[test]
fn the_client_hello_record_says_tls_1_0_and_later_records_tls_1_2() {
    let (mut c, mut s) = pair(client_config(), server_config(false));
    let hello = drain(&mut c);
    assert_eq!(
        hello[..3],
        [22, 3, 1],
        "RFC 8446 5.1's legacy_record_version"
    );
    feed(&mut s, &hello).expect("the server takes it");
    feed(&mut c, &drain(&mut s)).expect("server flight");
    let flight = drain(&mut c);
    assert_eq!(flight[..3], [22, 3, 3], "after the ServerHello: TLS 1.2");
    feed(&mut s, &flight).expect("client flight");
    handshake(&mut c, &mut s).expect("handshake");
}

#[test]
fn a_first_record_that_is_not_tls_is_a_wrong_version() {
    // An HTTP request sent to a TLS port: 'G' is no content type, and "ET" no version. The
    // version is checked first, as for any record: protocol_version.
    let mut s = ServerConnection::new(Arc::new(server_config(false))).unwrap();
    let got = feed(&mut s, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    failed_in_clear(
        &mut s,
        got,
        Error::PeerMisbehaved(PeerMisbehaved::WrongRecordVersion(u16::from_be_bytes(
            *b"ET",
        ))),
        A::ProtocolVersion,
    );
    // An unknown content type with a TLS version stays an unexpected message.
    let mut s = ServerConnection::new(Arc::new(server_config(false))).unwrap();
    let got = feed(&mut s, &[42, 3, 3, 0, 1, 0]);
    failed_in_clear(
        &mut s,
        got,
        Error::UnexpectedMessage {
            state: "record layer",
            got: "record of content type 42".into(),
            expected: "handshake, change_cipher_spec, alert or application_data".into(),
        },
        A::UnexpectedMessage,
    );
}

#[test]
fn an_ecdsa_certificate_on_a_curve_not_offered_is_refused() {
    // Found by BoGo (CheckLeafCurve). RFC 8422 5.3: the server's ECDSA key must be on a curve
    // the client offered; this client offers X25519 and P-384, the certificate is P-256.
    let (mut c, mut s) = pair(
        client_with(|b| b.with_groups(&[NamedCurve::X25519, NamedCurve::Secp384r1])),
        server_config(false),
    );
    let hello = rewrite_client_hello(&mut c, |ch| {
        for e in ch.extensions.as_mut().unwrap() {
            if let Extension::EllipticCurves(g) = e {
                // As a server that ignored the rule would see it.
                g.named_curve_list = vec![NamedCurve::X25519, NamedCurve::Secp256r1];
            }
        }
    });
    feed(&mut s, &hello).expect("ClientHello");
    let got = feed(&mut c, &drain(&mut s));
    let out = failed_in_clear(
        &mut c,
        got,
        Error::PeerMisbehaved(PeerMisbehaved::Other("certificate curve not offered")),
        A::IllegalParameter,
    );
    receives_alert(&mut s, &out, A::IllegalParameter);
}
