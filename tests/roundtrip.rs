//! Round trip on constructed values: every handshake message type, record type and typed extension
//! encodes to the bytes the RFC layout says, and decodes back to the same value.

use spectls::codec::{Codec, Encode};
use spectls::wire::tls12::*;
use spectls::wire::*;

fn handshake_round_trip(msg: Handshake<'_>, body_len: usize) -> Vec<u8> {
    let bytes = msg.to_vec();
    // msg_type and the uint24 length are written from the variant and the body.
    assert_eq!(bytes[0], msg.selector().value());
    assert_eq!(
        u32::from_be_bytes([0, bytes[1], bytes[2], bytes[3]]) as usize,
        body_len
    );
    assert_eq!(bytes.len(), 4 + body_len);
    let back = Handshake::from_bytes(
        &bytes,
        Some(KeyExchangeAlgorithm::EcDiffieHellman),
        Some(PublicValueEncoding::Explicit),
    )
    .unwrap_or_else(|e| panic!("{msg:?}: {e}"));
    assert_eq!(back, msg);
    bytes
}

fn random() -> Random {
    Random {
        gmt_unix_time: 0x5f5e_0000,
        random_bytes: [0x42; 28],
    }
}

fn ecdh_params<'a>(point: &'a [u8]) -> ServerECDHParams<'a> {
    ServerECDHParams {
        curve_params: ECParameters::NamedCurve {
            namedcurve: NamedCurve::X25519,
        },
        public: ECPoint { point },
    }
}

fn sig(alg: (HashAlgorithm, SignatureAlgorithm), signature: &[u8]) -> DigitallySigned<'_> {
    DigitallySigned {
        algorithm: SignatureAndHashAlgorithm {
            hash: alg.0,
            signature: alg.1,
        },
        signature,
    }
}

#[test]
fn hello_request_and_server_hello_done_are_empty() {
    assert_eq!(
        handshake_round_trip(Handshake::HelloRequest(HelloRequest {}), 0),
        [0, 0, 0, 0]
    );
    assert_eq!(
        handshake_round_trip(Handshake::ServerHelloDone(ServerHelloDone {}), 0),
        [14, 0, 0, 0]
    );
}

#[test]
fn client_hello_with_every_client_extension() {
    let exts = vec![
        Extension::ServerName(ServerNameExtension::ClientHello(ServerNameList {
            server_name_list: vec![ServerName::HostName(HostName(b"example.com"))],
        })),
        Extension::MaxFragmentLength(MaxFragmentLength::Pow2_12),
        Extension::StatusRequest(CertificateStatusRequestExtension::ClientHello(
            CertificateStatusRequest::Ocsp(OCSPStatusRequest {
                responder_id_list: vec![ResponderID(&[1, 2])],
                request_extensions: Extensions(&[]),
            }),
        )),
        Extension::EllipticCurves(NamedCurveList {
            named_curve_list: vec![NamedCurve::X25519, NamedCurve::Secp256r1],
        }),
        Extension::EcPointFormats(ECPointFormatList {
            ec_point_format_list: vec![ECPointFormat::Uncompressed],
        }),
        Extension::SignatureAlgorithms(SignatureAndHashAlgorithmList {
            supported_signature_algorithms: vec![
                SignatureAndHashAlgorithm {
                    hash: HashAlgorithm::Sha256,
                    signature: SignatureAlgorithm::Ecdsa,
                },
                SignatureAndHashAlgorithm {
                    hash: HashAlgorithm::Intrinsic,
                    signature: SignatureAlgorithm::Unknown(4),
                },
            ],
        }),
        Extension::ApplicationLayerProtocolNegotiation(ProtocolNameList {
            protocol_name_list: vec![ProtocolName(b"h2"), ProtocolName(b"http/1.1")],
        }),
        Extension::ExtendedMasterSecret(ExtendedMasterSecret {}),
        Extension::SessionTicket(SessionTicket { ticket: &[9; 40] }),
        Extension::RecordSizeLimit(RecordSizeLimit(16385)),
        Extension::RenegotiationInfo(RenegotiationInfo {
            renegotiated_connection: &[],
        }),
        Extension::Unknown(ExtensionType::Unknown(0x0a0a), &[]),
    ];
    let ch = ClientHello {
        client_version: ProtocolVersion { major: 3, minor: 3 },
        random: random(),
        session_id: SessionID(&[1; 32]),
        cipher_suites: vec![
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            CipherSuite::Unknown(0x0a0a),
            CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV,
        ],
        compression_methods: vec![CompressionMethod::Null],
        extensions: Some(exts),
    };
    let body = ch.to_vec();
    let bytes = handshake_round_trip(Handshake::ClientHello(ch), body.len());
    // client_version, random, then session_id<0..32> with its 1-byte length.
    assert_eq!(&bytes[4..6], [3, 3]);
    assert_eq!(bytes[4 + 34], 32);
    // cipher_suites<2..2^16-2>: 2-byte length 6, then the suites.
    assert_eq!(
        &bytes[4 + 35 + 32..4 + 35 + 32 + 8],
        [0, 6, 0xc0, 0x2c, 0x0a, 0x0a, 0x00, 0xff]
    );
}

#[test]
fn client_hello_without_extensions() {
    let ch = ClientHello {
        client_version: ProtocolVersion { major: 3, minor: 3 },
        random: random(),
        session_id: SessionID(&[]),
        cipher_suites: vec![CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256],
        compression_methods: vec![CompressionMethod::Null],
        extensions: None,
    };
    let bytes = handshake_round_trip(Handshake::ClientHello(ch), 2 + 32 + 1 + 4 + 2);
    assert_eq!(
        &bytes[bytes.len() - 2..],
        [1, 0],
        "ends with the compression methods"
    );
}

#[test]
fn server_hello_with_server_extensions() {
    let sh = ServerHello {
        server_version: ProtocolVersion { major: 3, minor: 3 },
        random: random(),
        session_id: SessionID(&[7; 32]),
        cipher_suite: CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        compression_method: CompressionMethod::Null,
        extensions: Some(vec![
            Extension::ServerName(ServerNameExtension::ServerHello),
            Extension::StatusRequest(CertificateStatusRequestExtension::ServerHello),
            Extension::RenegotiationInfo(RenegotiationInfo {
                renegotiated_connection: &[],
            }),
            Extension::ExtendedMasterSecret(ExtendedMasterSecret {}),
            Extension::ApplicationLayerProtocolNegotiation(ProtocolNameList {
                protocol_name_list: vec![ProtocolName(b"h2"), ProtocolName(b"x")],
            }),
        ]),
    };
    let body = sh.to_vec();
    let bytes = handshake_round_trip(Handshake::ServerHello(sh), body.len());
    // The empty server_name and status_request bodies are 4 bytes each: type and zero length.
    let exts = &bytes[4 + 2 + 32 + 33 + 2 + 1 + 2..];
    assert_eq!(&exts[..8], [0, 0, 0, 0, 0, 5, 0, 0]);
}

#[test]
fn certificate_and_status() {
    let c = Certificate {
        certificate_list: vec![ASN1Cert(&[0x30, 0x03, 1, 2, 3]), ASN1Cert(&[0x30, 0])],
    };
    let bytes = handshake_round_trip(Handshake::Certificate(c), 3 + 3 + 5 + 3 + 2);
    assert_eq!(&bytes[4..10], [0, 0, 13, 0, 0, 5]);
    let s = CertificateStatus::Ocsp(OCSPResponse(&[0x30, 0x82]));
    let bytes = handshake_round_trip(Handshake::CertificateStatus(s), 1 + 3 + 2);
    assert_eq!(&bytes[4..], [1, 0, 0, 2, 0x30, 0x82]);
}

#[test]
fn ecdhe_key_exchange_messages() {
    let point = [9u8; 32];
    let ske = ServerKeyExchange::EcDiffieHellman {
        params: ecdh_params(&point),
        signed_params: sig(
            (HashAlgorithm::Sha256, SignatureAlgorithm::Ecdsa),
            &[0x30; 70],
        ),
    };
    let bytes = handshake_round_trip(Handshake::ServerKeyExchange(ske), 3 + 1 + 32 + 2 + 2 + 70);
    // RFC 8422 section 5.4: curve_type named_curve(3), NamedCurve x25519(29), ECPoint<1..2^8-1>.
    assert_eq!(&bytes[4..9], [3, 0, 29, 32, 9]);
    let cke = ClientKeyExchange::EcDiffieHellman(ClientECDiffieHellmanPublic {
        ecdh_yc: ECPoint { point: &point },
    });
    let bytes = handshake_round_trip(Handshake::ClientKeyExchange(cke), 33);
    assert_eq!(bytes[4], 32);
}

#[test]
fn signed_content_encodes_as_the_rfc_says() {
    // The bytes a server signs for ServerKeyExchange (RFC 5246 section 7.4.3).
    let point = [1u8; 65];
    let signed = ServerKeyExchangeEcDiffieHellmanSignedParams {
        client_random: [0xc1; 32],
        server_random: [0x5e; 32],
        params: ecdh_params(&point),
    };
    let bytes = signed.to_vec();
    assert_eq!(bytes.len(), 32 + 32 + 3 + 1 + 65);
    assert_eq!(&bytes[64..68], [3, 0, 29, 65]);
}

#[test]
fn certificate_request_verify_finished_ticket() {
    let cr = CertificateRequest {
        certificate_types: vec![
            ClientCertificateType::EcdsaSign,
            ClientCertificateType::RsaSign,
        ],
        supported_signature_algorithms: vec![SignatureAndHashAlgorithm {
            hash: HashAlgorithm::Sha384,
            signature: SignatureAlgorithm::Ecdsa,
        }],
        certificate_authorities: vec![DistinguishedName(&[0x30, 0])],
    };
    let bytes = handshake_round_trip(Handshake::CertificateRequest(cr), 1 + 2 + 2 + 2 + 2 + 2 + 2);
    assert_eq!(&bytes[4..7], [2, 64, 1]);
    let cv = CertificateVerify {
        signature: sig(
            (HashAlgorithm::Intrinsic, SignatureAlgorithm::Unknown(4)),
            &[5; 256],
        ),
    };
    let bytes = handshake_round_trip(Handshake::CertificateVerify(cv), 2 + 2 + 256);
    assert_eq!(&bytes[4..8], [8, 4, 1, 0]);
    let fin = Finished {
        verify_data: [0xf1; 12],
    };
    assert_eq!(
        handshake_round_trip(Handshake::Finished(fin), 12)[..4],
        [20, 0, 0, 12]
    );
    let t = NewSessionTicket {
        ticket_lifetime_hint: 7200,
        ticket: &[0xee; 100],
    };
    let bytes = handshake_round_trip(Handshake::NewSessionTicket(t), 4 + 2 + 100);
    assert_eq!(&bytes[4..10], [0, 0, 0x1c, 0x20, 0, 100]);
}

#[test]
fn records_alerts_and_change_cipher_spec() {
    let ccs = ChangeCipherSpec {
        type_: ChangeCipherSpecType::ChangeCipherSpec,
    };
    assert_eq!(ccs.to_vec(), [1]);
    let alert = Alert {
        level: AlertLevel::Fatal,
        description: AlertDescription::HandshakeFailure,
    };
    assert_eq!(alert.to_vec(), [2, 40]);
    assert_eq!(Alert::from_bytes(&[2, 40]).expect("alert"), alert);
    let fragment = alert.to_vec();
    let rec = TLSPlaintext {
        type_: ContentType::Alert,
        version: ProtocolVersion { major: 3, minor: 3 },
        fragment: &fragment,
    };
    let bytes = rec.to_vec();
    assert_eq!(bytes, [21, 3, 3, 0, 2, 2, 40]);
    assert_eq!(TLSPlaintext::from_bytes(&bytes).expect("record"), rec);
    // AES-GCM: 8-byte explicit nonce, then ciphertext and tag.
    let ct = TLSCiphertext {
        type_: ContentType::ApplicationData,
        version: ProtocolVersion { major: 3, minor: 3 },
        fragment: TLSCiphertextFragment::Aead(GenericAEADCipher {
            nonce_explicit: &[0, 0, 0, 0, 0, 0, 0, 1],
            aead_output: &[0xaa; 20],
        }),
    };
    let bytes = ct.to_vec();
    assert_eq!(&bytes[..5], [23, 3, 3, 0, 28]);
    assert_eq!(
        TLSCiphertext::from_bytes(&bytes, CipherType::Aead, 8).expect("gcm"),
        ct
    );
    // ChaCha20-Poly1305 (RFC 7905): no explicit nonce.
    let back = TLSCiphertext::from_bytes(&bytes, CipherType::Aead, 0).expect("chacha");
    let TLSCiphertextFragment::Aead(f) = back.fragment;
    assert_eq!((f.nonce_explicit.len(), f.aead_output.len()), (0, 28));
}

#[test]
fn every_context_free_type_is_in_the_round_trip_registry() {
    use spectls::internal::{round_trip, ROUND_TRIP_TYPES};
    assert!(ROUND_TRIP_TYPES.len() > 60, "{}", ROUND_TRIP_TYPES.len());
    for name in [
        "ClientHello",
        "ServerHello",
        "Extension",
        "Certificate",
        "TLSPlaintext",
        "Alert",
        "SessionState",
    ] {
        assert!(
            !ROUND_TRIP_TYPES.contains(&name) || round_trip(name, &[]).is_some(),
            "{name}"
        );
    }
    assert!(round_trip("NoSuchType", &[1, 2]).is_none());
    let alert = round_trip("Alert", &[2, 40, 99]).unwrap().unwrap();
    assert_eq!(
        (alert.used, alert.encoded.as_slice(), alert.same),
        (2, &[2u8, 40][..], true)
    );
    assert!(
        round_trip("Alert", &[9, 40]).unwrap().is_err(),
        "closed AlertLevel"
    );
}
