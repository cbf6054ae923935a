//! Records and handshake messages: framing, splitting and decoding what a connection sent, and
//! building what a test sends (hand-built hellos, one sample of every handshake message, a
//! server flight edited before the client sees it).

use super::*;
use spectls::codec::{Codec, Encode, Reader};
use spectls::internal::algorithm_of;
use spectls::internal::tables::InputKind;
use spectls::pki::certs_from_pem;
use spectls::wire::{
    tls12::Certificate, tls12::CertificateRequest, tls12::CertificateVerify, tls12::Finished,
    tls12::Handshake, tls12::NewSessionTicket, ASN1Cert, Alert, AlertDescription, AlertLevel,
    CertChainType, CertificateStatus, CertificateURL, ChangeCipherSpec, ChangeCipherSpecType,
    CipherSuite, ClientCertificateType, ClientECDiffieHellmanPublic, ClientHello,
    ClientKeyExchange, CompressionMethod, ContentType, DigitallySigned, ECParameters, ECPoint,
    ECPointFormat, ECPointFormatList, ExtendedMasterSecret, Extension, HandshakeHeader,
    HandshakeType, HelloRequest, KeyExchangeAlgorithm, NamedCurve, NamedCurveList, OCSPResponse,
    ProtocolVersion, PublicValueEncoding, Random, RenegotiationInfo, ServerECDHParams, ServerHello,
    ServerHelloDone, ServerKeyExchange, SessionID, SignatureAndHashAlgorithm,
    SignatureAndHashAlgorithmList, SignatureScheme, TLSPlaintext, URLAndHash,
};
use spectls::{ClientConfig, ClientConnection, Error, IoState, ServerConfig, ServerConnection};

// ------------------------------------------------------------------------------------------
// Framing, splitting, decoding
// ------------------------------------------------------------------------------------------

pub const TLS12: ProtocolVersion = ProtocolVersion { major: 3, minor: 3 };

/// Splits whole records (protected or not: the outer framing is the same) into (type, bytes).
pub fn split_records(bytes: &[u8]) -> Vec<(ContentType, Vec<u8>)> {
    let mut r = Reader::new(bytes);
    let mut out = Vec::new();
    while !r.is_empty() {
        let start = r.offset();
        let rec = TLSPlaintext::decode(&mut r).expect("whole records");
        out.push((rec.type_, bytes[start..r.offset()].to_vec()));
    }
    out
}

pub fn types_of(records: &[(ContentType, Vec<u8>)]) -> Vec<ContentType> {
    records.iter().map(|(t, _)| *t).collect()
}

/// The fragment of one whole record.
pub fn fragment_of(record: &[u8]) -> &[u8] {
    TLSPlaintext::from_bytes(record)
        .expect("one record")
        .fragment
}

/// One plaintext record.
pub fn frame(typ: ContentType, fragment: &[u8]) -> Vec<u8> {
    TLSPlaintext {
        type_: typ,
        version: TLS12,
        fragment,
    }
    .to_vec()
}

pub fn alert_payload(level: AlertLevel, description: AlertDescription) -> Vec<u8> {
    Alert { level, description }.to_vec()
}

pub fn fatal(description: AlertDescription) -> Alert {
    Alert {
        level: AlertLevel::Fatal,
        description,
    }
}

/// `data` in records of `typ`, at most `size` bytes each.
pub fn records_of(typ: ContentType, data: &[u8], size: usize) -> Vec<u8> {
    data.chunks(size).flat_map(|c| frame(typ, c)).collect()
}

/// The handshake bytes plaintext handshake records carry, joined.
pub fn handshake_payload(flight: &[u8]) -> Vec<u8> {
    let mut joined = Vec::new();
    for (typ, rec) in split_records(flight) {
        assert_eq!(typ, ContentType::Handshake, "a plaintext handshake flight");
        joined.extend_from_slice(fragment_of(&rec));
    }
    joined
}

/// The handshake messages carried by plaintext handshake records, whole, in order.
pub fn handshake_messages(flight: &[u8]) -> Vec<Vec<u8>> {
    let joined = handshake_payload(flight);
    let mut msgs = Vec::new();
    let mut r = Reader::new(&joined);
    while !r.is_empty() {
        let start = r.offset();
        let header = HandshakeHeader::decode(&mut r).expect("header");
        r.take(header.length as usize).expect("whole message");
        msgs.push(joined[start..r.offset()].to_vec());
    }
    msgs
}

/// One record per message.
pub fn reframe(msgs: &[Vec<u8>]) -> Vec<u8> {
    msgs.iter()
        .flat_map(|m| frame(ContentType::Handshake, m))
        .collect()
}

/// Decodes a handshake message the way the engine does (ECDHE context).
pub fn decode_hs(bytes: &[u8]) -> Handshake<'_> {
    Handshake::from_bytes(
        bytes,
        Some(KeyExchangeAlgorithm::EcDiffieHellman),
        Some(PublicValueEncoding::Explicit),
    )
    .expect("a valid handshake message")
}

pub fn random_of(r: &Random) -> [u8; 32] {
    let mut out = [0u8; 32];
    out[..4].copy_from_slice(&r.gmt_unix_time.to_be_bytes());
    out[4..].copy_from_slice(&r.random_bytes);
    out
}

/// A CertificateRequest for ECDSA client certificates (any CA).
pub fn certificate_request() -> CertificateRequest<'static> {
    CertificateRequest {
        certificate_types: vec![ClientCertificateType::EcdsaSign],
        supported_signature_algorithms: vec![ecdsa_p256()],
        certificate_authorities: vec![],
    }
}

pub fn ecdsa_p256() -> SignatureAndHashAlgorithm {
    algorithm_of(SignatureScheme::EcdsaSecp256r1Sha256)
}

/// A real spectls client's ClientHello message (without its record header).
pub fn client_hello_message() -> Vec<u8> {
    let (mut c, _) = pair(client_config(), server_config(false));
    let recs = split_records(&drain(&mut c));
    assert_eq!(types_of(&recs), [ContentType::Handshake], "one record");
    fragment_of(&recs[0].1).to_vec()
}

/// A minimal ClientHello the ECDSA test server accepts.
pub fn base_client_hello() -> ClientHello<'static> {
    ClientHello {
        client_version: TLS12,
        random: Random {
            gmt_unix_time: 0x5f5e_1000,
            random_bytes: [7; 28],
        },
        session_id: SessionID(&[]),
        cipher_suites: vec![CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256],
        compression_methods: vec![CompressionMethod::Null],
        extensions: Some(vec![
            // secp256r1 is needed for the server's P-256 certificate (RFC 8422 5.3).
            Extension::EllipticCurves(NamedCurveList {
                named_curve_list: vec![NamedCurve::X25519, NamedCurve::Secp256r1],
            }),
            Extension::EcPointFormats(ECPointFormatList {
                ec_point_format_list: vec![ECPointFormat::Uncompressed],
            }),
            Extension::SignatureAlgorithms(SignatureAndHashAlgorithmList {
                supported_signature_algorithms: vec![ecdsa_p256()],
            }),
            Extension::ExtendedMasterSecret(ExtendedMasterSecret {}),
            Extension::RenegotiationInfo(RenegotiationInfo {
                renegotiated_connection: &[],
            }),
        ]),
    }
}

/// A flight that ends with ChangeCipherSpec and a protected Finished, split into the
/// plaintext handshake messages before the ChangeCipherSpec and the records from it on.
pub fn split_at_ccs(flight: &[u8]) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let recs = split_records(flight);
    let ccs = recs
        .iter()
        .position(|(t, _)| *t == ContentType::ChangeCipherSpec)
        .expect("a ChangeCipherSpec");
    let before: Vec<u8> = recs[..ccs].iter().flat_map(|(_, r)| r.clone()).collect();
    let after: Vec<_> = recs[ccs..].iter().map(|(_, r)| r.clone()).collect();
    assert_eq!(
        types_of(&recs[ccs..]),
        [ContentType::ChangeCipherSpec, ContentType::Handshake],
        "ChangeCipherSpec, Finished"
    );
    (handshake_messages(&before), after)
}

pub fn kinds_of(msgs: &[Vec<u8>]) -> Vec<HandshakeType> {
    msgs.iter().map(|m| decode_hs(m).selector()).collect()
}

/// The session ID of an encoded ClientHello or ServerHello.
pub fn session_id_of(msg: &[u8]) -> Vec<u8> {
    match decode_hs(msg) {
        Handshake::ClientHello(ch) => ch.session_id.0.to_vec(),
        Handshake::ServerHello(sh) => sh.session_id.0.to_vec(),
        other => panic!("not a hello: {:?}", other.selector()),
    }
}

// ------------------------------------------------------------------------------------------
// Messages a test sends
// ------------------------------------------------------------------------------------------

/// A handshake message as one record.
pub fn hs_record(msg: &Handshake<'_>) -> Vec<u8> {
    frame(ContentType::Handshake, &msg.to_vec())
}

/// The ChangeCipherSpec message.
pub fn ccs_payload() -> Vec<u8> {
    ChangeCipherSpec {
        type_: ChangeCipherSpecType::ChangeCipherSpec,
    }
    .to_vec()
}

/// `base_client_hello` with `edit` applied, as a record.
pub fn client_hello_with(edit: impl FnOnce(&mut ClientHello<'static>)) -> Vec<u8> {
    let mut ch = base_client_hello();
    edit(&mut ch);
    hs_record(&Handshake::ClientHello(ch))
}

pub fn exts<'c, 'a>(ch: &'c mut ClientHello<'a>) -> &'c mut Vec<Extension<'a>> {
    ch.extensions.as_mut().expect("extensions")
}

/// A ServerHello as a record.
pub fn server_hello_record<'a>(edit: impl FnOnce(&mut ServerHello<'a>)) -> Vec<u8> {
    let mut sh = ServerHello {
        server_version: TLS12,
        random: Random {
            gmt_unix_time: 0x5f5e_1000,
            random_bytes: [9; 28],
        },
        session_id: SessionID(&[]),
        cipher_suite: CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        compression_method: CompressionMethod::Null,
        extensions: Some(vec![
            Extension::RenegotiationInfo(RenegotiationInfo {
                renegotiated_connection: &[],
            }),
            Extension::ExtendedMasterSecret(ExtendedMasterSecret {}),
        ]),
    };
    edit(&mut sh);
    hs_record(&Handshake::ServerHello(sh))
}

/// One valid message of every handshake type, encoded.
pub fn sample_messages() -> Vec<Vec<u8>> {
    let chain = certs_from_pem(ECDSA_CHAIN).expect("chain");
    let point = [9u8; 32];
    let signed = DigitallySigned {
        algorithm: ecdsa_p256(),
        signature: &[0x30, 0x00],
    };
    let msgs = [
        Handshake::HelloRequest(HelloRequest {}),
        Handshake::ClientHello(base_client_hello()),
        Handshake::ServerHello(ServerHello {
            server_version: TLS12,
            random: Random {
                gmt_unix_time: 1,
                random_bytes: [1; 28],
            },
            session_id: SessionID(&[]),
            cipher_suite: CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            compression_method: CompressionMethod::Null,
            extensions: None,
        }),
        Handshake::Certificate(Certificate {
            certificate_list: chain.iter().map(|c| ASN1Cert(c.as_ref())).collect(),
        }),
        Handshake::ServerKeyExchange(ServerKeyExchange::EcDiffieHellman {
            params: ServerECDHParams {
                curve_params: ECParameters::NamedCurve {
                    namedcurve: NamedCurve::X25519,
                },
                public: ECPoint { point: &point },
            },
            signed_params: signed.clone(),
        }),
        Handshake::CertificateRequest(certificate_request()),
        Handshake::ServerHelloDone(ServerHelloDone {}),
        Handshake::CertificateVerify(CertificateVerify { signature: signed }),
        Handshake::ClientKeyExchange(ClientKeyExchange::EcDiffieHellman(
            ClientECDiffieHellmanPublic {
                ecdh_yc: ECPoint { point: &point },
            },
        )),
        Handshake::Finished(Finished {
            verify_data: [0; 12],
        }),
        Handshake::NewSessionTicket(NewSessionTicket {
            ticket_lifetime_hint: 0,
            ticket: b"ticket",
        }),
        Handshake::CertificateUrl(CertificateURL {
            type_: CertChainType::IndividualCerts,
            url_and_hash_list: vec![URLAndHash {
                url: b"http://example.com/chain",
                padding: 1,
                sha1hash: [0; 20],
            }],
        }),
        Handshake::CertificateStatus(CertificateStatus::Ocsp(OCSPResponse(b"ocsp"))),
    ];
    msgs.iter().map(|m| m.to_vec()).collect()
}

/// Every input a state machine can be given, with its record: each handshake type, and
/// ChangeCipherSpec.
pub fn injections() -> Vec<(InputKind, ContentType, Vec<u8>)> {
    let mut out: Vec<_> = sample_messages()
        .into_iter()
        .map(|m| {
            let kind = InputKind::Handshake(decode_hs(&m).selector());
            (kind, ContentType::Handshake, m)
        })
        .collect();
    out.push((
        InputKind::ChangeCipherSpec,
        ContentType::ChangeCipherSpec,
        ccs_payload(),
    ));
    out
}

/// Runs a handshake in which `tamper` edits the server's first flight (as whole messages:
/// ServerHello, Certificate, ServerKeyExchange, ServerHelloDone) before the client sees it.
/// Returns what the client's `process_new_packets` said, with both connections.
pub fn with_server_flight(
    client: ClientConfig,
    server: ServerConfig,
    tamper: impl FnOnce(&mut Vec<Vec<u8>>),
) -> (ClientConnection, ServerConnection, Result<IoState, Error>) {
    let (mut c, mut s) = pair(client, server);
    transfer(&mut c, &mut s).expect("ClientHello");
    let mut msgs = handshake_messages(&drain(&mut s));
    tamper(&mut msgs);
    let got = feed(&mut c, &reframe(&msgs));
    (c, s, got)
}

/// An edit of a flight given as whole handshake messages.
pub type Tamper = fn(&mut Vec<Vec<u8>>);

/// Where the ServerKeyExchange is in a server flight.
pub fn ske_index(msgs: &[Vec<u8>]) -> usize {
    msgs.iter()
        .position(|m| m[0] == HandshakeType::ServerKeyExchange.value())
        .expect("a ServerKeyExchange")
}
