//! Negative tests: every failure gives the right typed error on the side that detects it, the
//! right alert on the wire, the right `AlertReceived` on the other side, and nothing panics.
//!
//! Everything runs in process over memory (sans-IO). Messages a test injects are built with the
//! generated wire types and framed with `wire::TLSPlaintext`. To reach the states that read only
//! protected records (after the peer's ChangeCipherSpec), the peer is rustls with a key log: its
//! master secret gives both directions' traffic keys (through spectls' own `prf::key_block`), so a
//! test can seal records as the peer would and open what spectls sends back, alerts included.

mod common;

use common::states::*;
use common::*;
use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, CertifiedIssuer, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use spectls::codec::{Codec, DecodeErrorKind, Encode};
use spectls::crypto::suites::{
    lookup, SignatureFamily, SupportedCipherSuite, ALL_CIPHER_SUITES,
    TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
};
use spectls::internal::algorithm_of;
use spectls::internal::tables::InputKind;
use spectls::internal::tables::{client_transitions, server_transitions, Transition};
use spectls::pki::{certs_from_pem, private_key_from_pem};
use spectls::pki::{
    RootCertStore, ServerCertVerified, ServerCertVerifier, SignatureVerified, WebPkiServerVerifier,
};
use spectls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use spectls::session::{
    ClientSessionMemoryCache, ClientSessionValue, NoServerSessionStorage, ServerSessionMemoryCache,
    Session, StoresClientSessions, StoresServerSessions, Ticketer,
};
use spectls::wire::{
    ASN1Cert, Alert, AlertDescription as A, AlertLevel, CertChainType, Certificate,
    CertificateStatus, CertificateStatusRequestExtension, CertificateURL, CertificateVerify,
    ChangeCipherSpec, ChangeCipherSpecType, CipherSuite, ClientECDiffieHellmanPublic, ClientHello,
    ClientKeyExchange, CompressionMethod, ContentType, DigitallySigned, ECParameters, ECPoint,
    ECPointFormat, ECPointFormatList, ExtendedMasterSecret, Extension, ExtensionType, Finished,
    Handshake, HandshakeType, HashAlgorithm, HelloRequest, HostName, MaxFragmentLength, NamedCurve,
    NamedCurveList, NewSessionTicket, OCSPResponse, ProtocolName, ProtocolNameList,
    ProtocolVersion, Random, RecordSizeLimit, RenegotiationInfo, ServerECDHParams, ServerHello,
    ServerHelloDone, ServerKeyExchange, ServerKeyExchangeEcDiffieHellmanSignedParams,
    ServerNameExtension, ServerNameList, SessionID, SessionTicket, SignatureAlgorithm,
    SignatureAndHashAlgorithm, SignatureAndHashAlgorithmList, SignatureScheme, URLAndHash,
};
use spectls::{
    CertificateError, ClientConfig, ClientConnection, ConnectionCommon, Error, IoState,
    PeerIncompatible, PeerMisbehaved, ServerConfig, ServerConnection,
};
use std::io::{self, Read, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

// ------------------------------------------------------------------------------------------
// Bytes in, bytes out, records and messages
// ------------------------------------------------------------------------------------------

fn hs_record(msg: &Handshake<'_>) -> Vec<u8> {
    frame(ContentType::Handshake, &msg.to_vec())
}

fn ccs_payload() -> Vec<u8> {
    ChangeCipherSpec {
        type_: ChangeCipherSpecType::ChangeCipherSpec,
    }
    .to_vec()
}

// ------------------------------------------------------------------------------------------
// Failure checks, both sides (`check_error`, `failed_in_clear`: `common::states`)
// ------------------------------------------------------------------------------------------

/// A failure once `victim` protects its records: one alert record the size of a sealed 2-byte
/// alert (GCM: 8-byte explicit nonce + 16-byte tag; ChaCha20: tag only). Its body is checked by
/// the peer, which must read exactly that alert.
#[track_caller]
fn failed_encrypted(
    victim: &mut ConnectionCommon,
    got: Result<IoState, Error>,
    want: Error,
    alert: A,
) -> Vec<u8> {
    let out = failed_with_one_alert(victim, got, &want, alert);
    let len = fragment_of(&out).len();
    assert!(
        len == 2 + 8 + 16 || len == 2 + 16,
        "a sealed 2-byte alert, not {len} bytes"
    );
    out
}

/// `peer` reads the alert: `AlertReceived(alert)`, sticky, and it answers nothing.
#[track_caller]
fn receives_alert(peer: &mut ConnectionCommon, bytes: &[u8], alert: A) {
    drain(peer);
    let err = feed(peer, bytes).expect_err("the peer should fail");
    assert_eq!(err, Error::AlertReceived(alert));
    assert_eq!(peer.process_new_packets().expect_err("sticky"), err);
    assert!(!peer.wants_write(), "no alert answers a fatal alert");
}

/// After a failure the application sees the error, not data or a clean end.
#[track_caller]
fn io_fails_with(conn: &mut ConnectionCommon, want: &Error) {
    let mut buf = [0u8; 16];
    let e = conn.reader().read(&mut buf).expect_err("read must fail");
    assert_eq!(inner(&e), Some(want), "read: {e:?}");
    let e = conn.writer().write(b"x").expect_err("write must fail");
    assert_eq!(inner(&e), Some(want), "write: {e:?}");
    assert!(!conn.wants_read());
}

// ------------------------------------------------------------------------------------------
// Configurations and connections
// ------------------------------------------------------------------------------------------

fn client_with(
    build: impl FnOnce(spectls::ClientConfigBuilder) -> spectls::ClientConfigBuilder,
) -> ClientConfig {
    build(ClientConfig::builder().with_root_certificates(roots()))
        .build()
        .expect("client config")
}

fn connect(
    client: ClientConfig,
    name: &'static str,
    server: ServerConfig,
) -> (ClientConnection, ServerConnection) {
    let c =
        ClientConnection::new(Arc::new(client), name.try_into().expect("name")).expect("client");
    let s = ServerConnection::new(Arc::new(server)).expect("server");
    (c, s)
}

/// A connected pair using `suite`.
fn connected(suite: &'static SupportedCipherSuite) -> (ClientConnection, ServerConnection) {
    let client = client_with(|b| b.with_cipher_suites(&[suite]));
    let (mut c, mut s) = pair(client, server_config(suite.family == SignatureFamily::Rsa));
    handshake(&mut c, &mut s).expect("handshake");
    assert_eq!(c.negotiated_cipher_suite(), Some(suite.suite));
    (c, s)
}

// ------------------------------------------------------------------------------------------
// The transition tables (connections in every state: `common::states`)
// ------------------------------------------------------------------------------------------

fn allowed(table: &[Transition], state: &str, kind: InputKind) -> bool {
    table.iter().any(|t| t.from == state && t.on == kind)
}

// ------------------------------------------------------------------------------------------
// Hand-built messages
// ------------------------------------------------------------------------------------------

/// `base_client_hello` with `edit` applied, as a record.
fn client_hello_with(edit: impl FnOnce(&mut ClientHello<'static>)) -> Vec<u8> {
    let mut ch = base_client_hello();
    edit(&mut ch);
    hs_record(&Handshake::ClientHello(ch))
}

fn exts<'c, 'a>(ch: &'c mut ClientHello<'a>) -> &'c mut Vec<Extension<'a>> {
    ch.extensions.as_mut().expect("extensions")
}

/// A ServerHello as a record.
fn server_hello_record<'a>(edit: impl FnOnce(&mut ServerHello<'a>)) -> Vec<u8> {
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
fn sample_messages() -> Vec<Vec<u8>> {
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
fn injections() -> Vec<(InputKind, ContentType, Vec<u8>)> {
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

// ------------------------------------------------------------------------------------------
// rcgen certificates
// ------------------------------------------------------------------------------------------

fn rcgen_intermediate(issuer: &Ca) -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params
        .distinguished_name
        .push(DnType::CommonName, "rcgen intermediate");
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    CertifiedIssuer::signed_by(params, KeyPair::generate().expect("key"), issuer)
        .expect("intermediate")
}

/// A P-256 leaf for localhost and 127.0.0.1 (server auth), edited by `edit`, and its key.
fn rcgen_leaf(
    issuer: &Ca,
    edit: impl FnOnce(&mut CertificateParams),
) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
    let mut params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .expect("params");
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    edit(&mut params);
    let key = KeyPair::generate().expect("key");
    let cert = params.signed_by(&key, issuer).expect("leaf").der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    (cert, key)
}

fn trusting(ca: &Ca) -> ClientConfig {
    let mut store = RootCertStore::empty();
    store.add(ca.der().clone()).expect("root");
    ClientConfig::builder()
        .with_root_certificates(store)
        .build()
        .expect("client config")
}

fn serving(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> ServerConfig {
    ServerConfig::builder()
        .with_single_cert(chain, key)
        .expect("cert")
        .build()
        .expect("server config")
}

/// The client refuses the server's certificate: the exact error, the alert in the clear, and the
/// server reads that alert.
#[track_caller]
fn rejects_certificate(
    client: ClientConfig,
    name: &'static str,
    server: ServerConfig,
    want: CertificateError,
    alert: A,
) {
    let (mut c, mut s) = connect(client, name, server);
    transfer(&mut c, &mut s).expect("ClientHello accepted");
    let got = feed(&mut c, &drain(&mut s));
    let out = failed_in_clear(&mut c, got, Error::InvalidCertificate(want), alert);
    assert!(
        c.peer_certificates().is_none(),
        "no unverified chain is exposed"
    );
    receives_alert(&mut s, &out, alert);
}

// ==========================================================================================
// 1. Certificates
// ==========================================================================================

#[test]
fn wrong_host_name_is_bad_certificate() {
    for rsa in [false, true] {
        rejects_certificate(
            client_config(),
            "example.com",
            server_config(rsa),
            CertificateError::NotValidForName,
            A::BadCertificate,
        );
        // An IP address the certificate does not list.
        rejects_certificate(
            client_config(),
            "127.0.0.2",
            server_config(rsa),
            CertificateError::NotValidForName,
            A::BadCertificate,
        );
    }
}

#[test]
fn unknown_ca_is_unknown_ca() {
    // The committed server certificate, a client trusting only an unrelated rcgen CA.
    let other = rcgen_ca("some other CA");
    rejects_certificate(
        trusting(&other),
        "localhost",
        server_config(false),
        CertificateError::UnknownIssuer,
        A::UnknownCa,
    );
    // An rcgen chain whose intermediate the server does not send.
    let root = rcgen_ca("rcgen root");
    let inter = rcgen_intermediate(&root);
    let (leaf, key) = rcgen_leaf(&inter, |_| {});
    rejects_certificate(
        trusting(&root),
        "localhost",
        serving(vec![leaf.clone()], key.clone_key()),
        CertificateError::UnknownIssuer,
        A::UnknownCa,
    );
    // Control: the same chain with its intermediate connects.
    let (mut c, mut s) = connect(
        trusting(&root),
        "localhost",
        serving(vec![leaf, inter.der().clone()], key),
    );
    handshake(&mut c, &mut s).expect("full chain verifies");
}

#[test]
fn expired_or_not_yet_valid_leaf_is_certificate_expired() {
    let ca = rcgen_ca("rcgen test CA");
    // Control: a leaf with rcgen's default validity under the same CA connects.
    let (leaf, key) = rcgen_leaf(&ca, |_| {});
    let (mut c, mut s) = connect(trusting(&ca), "localhost", serving(vec![leaf], key));
    handshake(&mut c, &mut s).expect("valid leaf");

    let (leaf, key) = rcgen_leaf(&ca, |p| {
        p.not_before = date_time_ymd(2000, 1, 1);
        p.not_after = date_time_ymd(2001, 1, 1);
    });
    rejects_certificate(
        trusting(&ca),
        "localhost",
        serving(vec![leaf], key),
        CertificateError::Expired,
        A::CertificateExpired,
    );

    let (leaf, key) = rcgen_leaf(&ca, |p| {
        p.not_before = date_time_ymd(2090, 1, 1);
        p.not_after = date_time_ymd(2100, 1, 1);
    });
    rejects_certificate(
        trusting(&ca),
        "localhost",
        serving(vec![leaf], key),
        CertificateError::NotValidYet,
        A::CertificateExpired,
    );
}

#[test]
fn leaf_not_for_server_auth_is_bad_certificate() {
    let ca = rcgen_ca("rcgen test CA");
    let (leaf, key) = rcgen_leaf(&ca, |p| {
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    });
    let (mut c, mut s) = connect(trusting(&ca), "localhost", serving(vec![leaf], key));
    transfer(&mut c, &mut s).expect("ClientHello accepted");
    let got = feed(&mut c, &drain(&mut s));
    let err = got.clone().expect_err("client-auth-only leaf refused");
    assert!(
        matches!(err, Error::InvalidCertificate(CertificateError::Other(_))),
        "{err:?}"
    );
    let out = failed_in_clear(&mut c, got, err, A::BadCertificate);
    receives_alert(&mut s, &out, A::BadCertificate);
}

#[test]
fn ip_address_name_connects_without_sni() {
    let name = ServerName::try_from("127.0.0.1").expect("IP address");
    assert!(matches!(name, ServerName::IpAddress(_)));
    let sni_of = |c: &mut ClientConnection| {
        let hello = drain(c);
        let msgs = handshake_messages(&hello);
        let Handshake::ClientHello(ch) = decode_hs(&msgs[0]) else {
            panic!("not a ClientHello")
        };
        let has_sni = ch
            .extensions
            .expect("extensions")
            .iter()
            .any(|e| e.selector() == ExtensionType::ServerName);
        (has_sni, hello)
    };
    // Control: with a DNS name the same configuration sends SNI.
    let (mut dns, _) = pair(client_config(), server_config(false));
    assert!(sni_of(&mut dns).0);

    for rsa in [false, true] {
        let mut c = ClientConnection::new(Arc::new(client_config()), name.clone()).expect("client");
        let mut s = ServerConnection::new(Arc::new(server_config(rsa))).expect("server");
        let (has_sni, hello) = sni_of(&mut c);
        assert!(
            !has_sni,
            "no server_name extension for an IP address (RFC 6066 3)"
        );
        feed(&mut s, &hello).expect("ClientHello");
        handshake(&mut c, &mut s).expect("127.0.0.1 is in the certificate");
        assert_eq!(s.server_name(), None);
        assert!(c.peer_certificates().is_some());
        c.writer().write_all(b"over an IP").unwrap();
        transfer(&mut c, &mut s).unwrap();
        let mut buf = [0u8; 32];
        let n = s.reader().read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"over an IP");
    }
}

// ==========================================================================================
// 2. Tampered records
// ==========================================================================================

#[test]
fn tampered_application_data_is_bad_record_mac() {
    const DATA: &[u8] = b"attack at dawn";
    for suite in ALL_CIPHER_SUITES {
        let explicit = suite.aead.explicit_nonce_len();
        let len = 5 + explicit + DATA.len() + 16;
        // The content type (authenticated as additional data), the explicit nonce (GCM), the
        // ciphertext and the tag.
        let mut positions = vec![
            0,
            5 + explicit,
            5 + explicit + DATA.len() - 1,
            len - 16,
            len - 1,
        ];
        if explicit > 0 {
            positions.extend([5, 5 + explicit - 1]);
        }
        for client_sends in [true, false] {
            // Control: untouched, the record is accepted.
            let (mut c, mut s) = connected(suite);
            let (from, to): (&mut ConnectionCommon, &mut ConnectionCommon) = if client_sends {
                (&mut c, &mut s)
            } else {
                (&mut s, &mut c)
            };
            from.writer().write_all(DATA).unwrap();
            let record = drain(from);
            assert_eq!(record.len(), len);
            feed(to, &record).expect("untouched record");
            let mut buf = [0u8; 64];
            let n = to.reader().read(&mut buf).unwrap();
            assert_eq!(&buf[..n], DATA);

            for &pos in &positions {
                let (mut c, mut s) = connected(suite);
                let (from, to): (&mut ConnectionCommon, &mut ConnectionCommon) = if client_sends {
                    (&mut c, &mut s)
                } else {
                    (&mut s, &mut c)
                };
                from.writer().write_all(DATA).unwrap();
                let mut record = drain(from);
                record[pos] ^= 0x01;
                let got = feed(to, &record);
                let out = failed_encrypted(to, got, Error::BadRecordMac, A::BadRecordMac);
                io_fails_with(to, &Error::BadRecordMac);
                receives_alert(from, &out, A::BadRecordMac);
            }
        }
    }
}

#[test]
fn replayed_dropped_reordered_or_unprotected_records_are_bad_record_mac() {
    for suite in ALL_CIPHER_SUITES {
        let records = || {
            let (mut c, s) = connected(suite);
            c.writer().write_all(b"one").unwrap();
            let one = drain(&mut c);
            c.writer().write_all(b"two").unwrap();
            let two = drain(&mut c);
            (c, s, one, two)
        };
        // Replayed.
        let (mut c, mut s, one, _) = records();
        feed(&mut s, &one).expect("first time");
        let got = feed(&mut s, &one);
        let out = failed_encrypted(&mut s, got, Error::BadRecordMac, A::BadRecordMac);
        receives_alert(&mut c, &out, A::BadRecordMac);
        // Dropped.
        let (mut c, mut s, _, two) = records();
        let got = feed(&mut s, &two);
        let out = failed_encrypted(&mut s, got, Error::BadRecordMac, A::BadRecordMac);
        receives_alert(&mut c, &out, A::BadRecordMac);
        // Reordered.
        let (mut c, mut s, one, two) = records();
        let got = feed(&mut s, &[two, one].concat());
        let out = failed_encrypted(&mut s, got, Error::BadRecordMac, A::BadRecordMac);
        receives_alert(&mut c, &out, A::BadRecordMac);
        // Sent in the clear once keys are on.
        let (mut c, mut s, _, _) = records();
        let got = feed(&mut s, &frame(ContentType::ApplicationData, b"plain"));
        let out = failed_encrypted(&mut s, got, Error::BadRecordMac, A::BadRecordMac);
        receives_alert(&mut c, &out, A::BadRecordMac);
    }
}

#[test]
fn tampered_client_finished_is_bad_record_mac() {
    let flight = || {
        let (mut c, mut s) = pair(client_config(), server_config(false));
        transfer(&mut c, &mut s).unwrap();
        transfer(&mut s, &mut c).unwrap();
        let recs = split_records(&drain(&mut c));
        assert_eq!(
            types_of(&recs),
            [
                ContentType::Handshake,
                ContentType::ChangeCipherSpec,
                ContentType::Handshake
            ]
        );
        (c, s, recs)
    };
    let (_, _, recs) = flight();
    for pos in 5..recs[2].1.len() {
        let (mut c, mut s, recs) = flight();
        feed(&mut s, &[recs[0].1.clone(), recs[1].1.clone()].concat())
            .expect("ClientKeyExchange, ChangeCipherSpec");
        let mut finished = recs[2].1.clone();
        finished[pos] ^= 0x80;
        let got = feed(&mut s, &finished);
        // The server's own ChangeCipherSpec has not gone out: its alert is in the clear.
        let out = failed_in_clear(&mut s, got, Error::BadRecordMac, A::BadRecordMac);
        assert!(s.is_handshaking());
        receives_alert(&mut c, &out, A::BadRecordMac);
    }
}

#[test]
fn tampered_server_finished_is_bad_record_mac() {
    let flight = || {
        let (mut c, mut s) = pair(client_config(), server_config(false));
        transfer(&mut c, &mut s).unwrap();
        transfer(&mut s, &mut c).unwrap();
        transfer(&mut c, &mut s).unwrap();
        let recs = split_records(&drain(&mut s));
        assert_eq!(
            types_of(&recs),
            [ContentType::ChangeCipherSpec, ContentType::Handshake]
        );
        (c, s, recs)
    };
    let (_, _, recs) = flight();
    for pos in 5..recs[1].1.len() {
        let (mut c, mut s, recs) = flight();
        feed(&mut c, &recs[0].1).expect("ChangeCipherSpec");
        let mut finished = recs[1].1.clone();
        finished[pos] ^= 0x80;
        let got = feed(&mut c, &finished);
        let out = failed_encrypted(&mut c, got, Error::BadRecordMac, A::BadRecordMac);
        assert!(c.is_handshaking());
        receives_alert(&mut s, &out, A::BadRecordMac);
    }
}

/// Runs a handshake in which `tamper` edits the server's first flight (as whole messages:
/// ServerHello, Certificate, ServerKeyExchange, ServerHelloDone) before the client sees it.
/// Returns what the client's `process_new_packets` said, with both connections.
fn with_server_flight(
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
type Tamper = fn(&mut Vec<Vec<u8>>);

fn ske_index(msgs: &[Vec<u8>]) -> usize {
    msgs.iter()
        .position(|m| m[0] == HandshakeType::ServerKeyExchange.value())
        .expect("a ServerKeyExchange")
}

#[test]
fn tampered_server_key_exchange_is_bad_signature() {
    for rsa in [false, true] {
        // Control: the flight as sent completes.
        let (mut c, mut s, got) = with_server_flight(client_config(), server_config(rsa), |_| {});
        got.expect("untampered flight");
        handshake(&mut c, &mut s).expect("handshake");

        let tampers: [(&str, Tamper); 3] = [
            ("signature", |msgs| {
                let i = ske_index(msgs);
                let n = msgs[i].len();
                msgs[i][n - 2] ^= 0x01;
            }),
            ("ECDHE public key", |msgs| {
                // type(1) length(3) curve_type(1) named_curve(2) point length(1) point...
                let i = ske_index(msgs);
                msgs[i][4 + 4 + 10] ^= 0x01;
            }),
            ("server random", |msgs| {
                // type(1) length(3) server_version(2) random(32)...
                msgs[0][4 + 2 + 8] ^= 0x01;
            }),
        ];
        for (what, tamper) in tampers {
            let (mut c, mut s, got) =
                with_server_flight(client_config(), server_config(rsa), tamper);
            let out = failed_in_clear(
                &mut c,
                got,
                Error::PeerMisbehaved(PeerMisbehaved::BadSignature),
                A::DecryptError,
            );
            assert!(
                c.negotiated_group().is_none(),
                "{what}: unverified parameters unused"
            );
            receives_alert(&mut s, &out, A::DecryptError);
        }
    }
}

#[test]
fn tampered_client_random_is_bad_signature() {
    let (mut c, mut s) = pair(client_config(), server_config(false));
    let mut msgs = handshake_messages(&drain(&mut c));
    msgs[0][4 + 2 + 8] ^= 0x01;
    feed(&mut s, &reframe(&msgs)).expect("the server cannot tell");
    let got = feed(&mut c, &drain(&mut s));
    let out = failed_in_clear(
        &mut c,
        got,
        Error::PeerMisbehaved(PeerMisbehaved::BadSignature),
        A::DecryptError,
    );
    receives_alert(&mut s, &out, A::DecryptError);
}

#[test]
fn stripped_extended_master_secret_is_caught_by_finished() {
    // An attacker removes extended_master_secret from the ClientHello: both sides fall back to
    // the classic master secret (same keys), but the transcripts differ, so the server's check
    // of the client's Finished fails.
    let (mut c, mut s) = pair(client_config(), server_config(false));
    let msgs = handshake_messages(&drain(&mut c));
    let Handshake::ClientHello(mut ch) = decode_hs(&msgs[0]) else {
        panic!("not a ClientHello")
    };
    exts(&mut ch).retain(|e| e.selector() != ExtensionType::ExtendedMasterSecret);
    feed(&mut s, &hs_record(&Handshake::ClientHello(ch))).expect("ClientHello");
    transfer(&mut s, &mut c).expect("the client accepts a server without EMS");
    assert!(!c.extended_master_secret());
    let got = feed(&mut s, &drain(&mut c));
    let out = failed_in_clear(
        &mut s,
        got,
        Error::PeerMisbehaved(PeerMisbehaved::BadFinished),
        A::DecryptError,
    );
    receives_alert(&mut c, &out, A::DecryptError);
}

#[test]
fn bad_verify_data_is_bad_finished() {
    // Correctly sealed Finished messages with the wrong verify_data, both directions.
    let finished = Handshake::Finished(Finished {
        verify_data: [0x42; 12],
    })
    .to_vec();
    let mut at = client_at("ExpectFinished");
    let got = at.inject(ContentType::Handshake, &finished);
    let want = Error::PeerMisbehaved(PeerMisbehaved::BadFinished);
    check_error(&mut at.victim, got, &want, A::DecryptError);
    assert_eq!(at.sent_alert(), fatal(A::DecryptError));

    let mut at = server_at("ExpectFinished");
    let got = at.inject(ContentType::Handshake, &finished);
    check_error(&mut at.victim, got, &want, A::DecryptError);
    assert_eq!(at.victim_seq, None, "the server alerts in the clear");
    assert_eq!(at.sent_alert(), fatal(A::DecryptError));

    // The abbreviated handshake: the server's Finished comes first, so now the client alerts
    // in the clear and the server under its keys.
    let mut at = client_at("ResumedExpectFinished");
    let got = at.inject(ContentType::Handshake, &finished);
    check_error(&mut at.victim, got, &want, A::DecryptError);
    assert_eq!(at.victim_seq, None, "the client alerts in the clear");
    assert_eq!(at.sent_alert(), fatal(A::DecryptError));

    let mut at = server_at("ResumedExpectFinished");
    let got = at.inject(ContentType::Handshake, &finished);
    check_error(&mut at.victim, got, &want, A::DecryptError);
    assert_eq!(at.victim_seq, Some(1), "the server alerts under its keys");
    assert_eq!(at.sent_alert(), fatal(A::DecryptError));
}

#[test]
fn resumed_states_complete_with_the_peers_finished() {
    // Controls for the drivers: the peer's own Finished completes the abbreviated handshake.
    for drive in [client_at as fn(&'static str) -> AtState, server_at] {
        let mut at = drive("ResumedExpectFinished");
        let keys = at.keys.as_ref().expect("keys");
        let (typ, finished) = keys.open(!at.victim_is_client, 0, &at.rest[0]);
        at.inject(typ, &finished).expect("the peer's Finished");
        assert!(!at.victim.is_handshaking());
        assert!(at.victim.is_resumed());
        let out = split_records(&drain(&mut at.victim));
        if at.victim_is_client {
            // Only now the client's ChangeCipherSpec and Finished (its record 0).
            assert_eq!(
                types_of(&out),
                [ContentType::ChangeCipherSpec, ContentType::Handshake]
            );
            let (typ, finished) = at.keys.as_ref().expect("keys").open(true, 0, &out[1].1);
            assert_eq!(typ, ContentType::Handshake);
            assert_eq!(decode_hs(&finished).selector(), HandshakeType::Finished);
        } else {
            assert!(out.is_empty(), "the server has nothing more to say");
        }
    }
}

#[test]
fn tampered_client_certificate_verify_is_refused() {
    let certificate_verify = |at: &AtState| {
        let msg = handshake_messages(&at.rest[0]).remove(0);
        assert_eq!(decode_hs(&msg).selector(), HandshakeType::CertificateVerify);
        msg
    };
    // Control: the client's own CertificateVerify, then its ChangeCipherSpec and Finished.
    let mut at = server_at("ExpectCertificateVerify");
    let cv = certificate_verify(&at);
    at.inject(ContentType::Handshake, &cv)
        .expect("CertificateVerify");
    feed(
        &mut at.victim,
        &[at.rest[1].clone(), at.rest[2].clone()].concat(),
    )
    .expect("ChangeCipherSpec, Finished");
    assert!(!at.victim.is_handshaking());
    assert_eq!(at.victim.peer_certificates().map(|c| c.len()), Some(1));

    // A flipped bit in the signature.
    let mut at = server_at("ExpectCertificateVerify");
    let mut cv = certificate_verify(&at);
    let last = cv.len() - 1;
    cv[last] ^= 0x01;
    let got = at.inject(ContentType::Handshake, &cv);
    let want = Error::PeerMisbehaved(PeerMisbehaved::BadSignature);
    check_error(&mut at.victim, got, &want, A::DecryptError);
    assert_eq!(at.sent_alert(), fatal(A::DecryptError));
    assert!(at.victim.is_handshaking());

    // A scheme the server did not ask for (ECDSA with SHA-1), the signature unchanged.
    let mut at = server_at("ExpectCertificateVerify");
    let cv = certificate_verify(&at);
    let Handshake::CertificateVerify(original) = decode_hs(&cv) else {
        panic!("not a CertificateVerify")
    };
    let sha1 = Handshake::CertificateVerify(CertificateVerify {
        signature: DigitallySigned {
            algorithm: SignatureAndHashAlgorithm {
                hash: HashAlgorithm::Sha1,
                signature: SignatureAlgorithm::Ecdsa,
            },
            signature: original.signature.signature,
        },
    })
    .to_vec();
    let got = at.inject(ContentType::Handshake, &sha1);
    check_error(
        &mut at.victim,
        got,
        &unoffered("signature scheme"),
        A::IllegalParameter,
    );
    assert_eq!(at.sent_alert(), fatal(A::IllegalParameter));
}

#[test]
fn tampered_record_version_is_refused() {
    for suite in ALL_CIPHER_SUITES {
        for (pos, mask) in [(1, 0x01), (2, 0x01), (2, 0x02)] {
            let (mut c, mut s) = connected(suite);
            c.writer().write_all(b"attack at dawn").unwrap();
            let mut record = drain(&mut c);
            record[pos] ^= mask;
            let got = feed(&mut s, &record);
            assert!(
                got.is_err(),
                "{:?}: record version {:02x?} accepted",
                suite.suite,
                &record[1..3]
            );
        }
    }
}

#[test]
fn invalid_key_shares_are_illegal_parameter() {
    let bad_points = bad_points();
    let want = Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare);
    for (group, point) in &bad_points {
        let server = || ecdsa_server_with(|b| b.with_groups(&[*group]));
        // From the client, in its ClientKeyExchange.
        let (mut c, mut s) = pair(client_config(), server());
        transfer(&mut c, &mut s).unwrap();
        transfer(&mut s, &mut c).unwrap();
        let recs = split_records(&drain(&mut c));
        let cke = Handshake::ClientKeyExchange(ClientKeyExchange::EcDiffieHellman(
            ClientECDiffieHellmanPublic {
                ecdh_yc: ECPoint { point },
            },
        ));
        let flight = [hs_record(&cke), recs[1].1.clone(), recs[2].1.clone()].concat();
        let got = feed(&mut s, &flight);
        let out = failed_in_clear(&mut s, got, want.clone(), A::IllegalParameter);
        receives_alert(&mut c, &out, A::IllegalParameter);

        assert_eq!(s.negotiated_group(), Some(*group));

        // From the server, in a ServerKeyExchange correctly signed by its certified key. The
        // alert must be the last record; see the ignored test below for what comes before it.
        let (mut c, mut s, got) = signed_bad_server_point(*group, point);
        check_error(&mut c, got, &want, A::IllegalParameter);
        let out = drain(&mut c);
        let recs = split_records(&out);
        let (typ, last) = recs.last().expect("records");
        assert_eq!(*typ, ContentType::Alert);
        assert_eq!(
            Alert::from_bytes(fragment_of(last)).unwrap(),
            fatal(A::IllegalParameter)
        );
        // The server reads the alert (alone: what precedes it is the ignored test's concern).
        receives_alert(&mut s, last, A::IllegalParameter);
    }
}

fn bad_points() -> [(NamedCurve, Vec<u8>); 4] {
    [
        // A small-order X25519 point: the shared secret would be all zeros.
        (NamedCurve::X25519, vec![0; 32]),
        // Not on the curve.
        (NamedCurve::Secp256r1, [vec![4], vec![1; 64]].concat()),
        // Compressed: RFC 8422 allows only uncompressed points.
        (NamedCurve::Secp256r1, [vec![2], vec![1; 32]].concat()),
        (NamedCurve::Secp384r1, [vec![4], vec![1; 96]].concat()),
    ]
}

/// A server flight whose ServerKeyExchange carries `point` for `group`, signed by the server's
/// certified key over the real randoms: only the point is wrong.
fn signed_bad_server_point(
    group: NamedCurve,
    point: &[u8],
) -> (ClientConnection, ServerConnection, Result<IoState, Error>) {
    let (mut c, mut s) = pair(client_config(), server_config(false));
    let hello = drain(&mut c);
    let hello_msgs = handshake_messages(&hello);
    let Handshake::ClientHello(ch) = decode_hs(&hello_msgs[0]) else {
        panic!("not a ClientHello")
    };
    let client_random = random_of(&ch.random);
    feed(&mut s, &hello).unwrap();
    let mut msgs = handshake_messages(&drain(&mut s));
    let Handshake::ServerHello(sh) = decode_hs(&msgs[0]) else {
        panic!("not a ServerHello")
    };
    let server_random = random_of(&sh.random);
    let params = ServerECDHParams {
        curve_params: ECParameters::NamedCurve { namedcurve: group },
        public: ECPoint { point },
    };
    let key =
        spectls::pki::SigningKey::from_der(&private_key_from_pem(ECDSA_KEY).unwrap()).unwrap();
    let signature = key
        .sign(
            SignatureScheme::EcdsaSecp256r1Sha256,
            &ServerKeyExchangeEcDiffieHellmanSignedParams {
                client_random,
                server_random,
                params: params.clone(),
            }
            .to_vec(),
        )
        .unwrap();
    let i = ske_index(&msgs);
    msgs[i] = Handshake::ServerKeyExchange(ServerKeyExchange::EcDiffieHellman {
        params,
        signed_params: DigitallySigned {
            algorithm: ecdsa_p256(),
            signature: &signature,
        },
    })
    .to_vec();
    let got = feed(&mut c, &reframe(&msgs));
    (c, s, got)
}

#[test]
fn invalid_server_key_share_is_refused_before_anything_is_sent() {
    for (group, point) in bad_points() {
        let (mut c, _, got) = signed_bad_server_point(group, &point);
        failed_in_clear(
            &mut c,
            got,
            Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare),
            A::IllegalParameter,
        );
    }
}

#[test]
fn empty_server_certificate_is_refused() {
    let (mut c, mut s, got) = with_server_flight(client_config(), server_config(false), |msgs| {
        msgs[1] = Handshake::Certificate(Certificate {
            certificate_list: vec![],
        })
        .to_vec();
    });
    let want = Error::InvalidCertificate(CertificateError::NoCertificate);
    let out = failed_in_clear(&mut c, got, want, A::HandshakeFailure);
    receives_alert(&mut s, &out, A::HandshakeFailure);
}

#[test]
fn second_certificate_request_is_unexpected() {
    let request = sample_messages()
        .into_iter()
        .find(|m| m[0] == HandshakeType::CertificateRequest.value())
        .unwrap();
    let (mut c, _, got) = with_server_flight(client_config(), server_config(false), |msgs| {
        let done = msgs.pop().unwrap();
        msgs.push(request.clone());
        msgs.push(request.clone());
        msgs.push(done);
    });
    let want = Error::UnexpectedMessage {
        state: "ExpectServerHelloDoneAfterCertRequest",
        got: "CertificateRequest".into(),
        expected: "ServerHelloDone or HelloRequest".into(),
    };
    failed_in_clear(&mut c, got, want, A::UnexpectedMessage);
}

// ==========================================================================================
// 3. Truncation
// ==========================================================================================

fn eof(conn: &mut ConnectionCommon) {
    assert_eq!(conn.read_tls(&mut &b""[..]).expect("read_tls"), 0);
    conn.process_new_packets()
        .expect("EOF by itself is not a protocol error");
}

#[track_caller]
fn reads_unexpected_eof(conn: &mut ConnectionCommon) {
    let mut buf = [0u8; 64];
    for _ in 0..2 {
        let e = conn
            .reader()
            .read(&mut buf)
            .expect_err("never Ok(0) without close_notify");
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(inner(&e), Some(&Error::UnexpectedEof));
    }
    let mut all = Vec::new();
    assert_eq!(
        conn.reader().read_to_end(&mut all).unwrap_err().kind(),
        io::ErrorKind::UnexpectedEof
    );
}

#[test]
fn eof_without_close_notify_is_unexpected_eof() {
    let (mut c, mut s) = connected(&TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
    c.writer().write_all(b"transfer $100").unwrap();
    transfer(&mut c, &mut s).unwrap();
    eof(&mut s);
    // What arrived before the EOF is delivered, then the truncation is reported.
    let mut buf = [0u8; 64];
    let n = s.reader().read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"transfer $100");
    reads_unexpected_eof(&mut s);
    assert!(!s.wants_read());

    // EOF in the middle of a record: the partial record is not delivered.
    let (mut c, mut s) = connected(&TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
    c.writer().write_all(b"transfer $100000").unwrap();
    let record = drain(&mut c);
    feed(&mut s, &record[..record.len() / 2]).expect("half a record waits");
    eof(&mut s);
    reads_unexpected_eof(&mut s);

    // EOF during the handshake: an error at once (it can never complete), with no alert.
    let (mut c, mut s) = pair(client_config(), server_config(false));
    transfer(&mut c, &mut s).unwrap();
    assert_eq!(c.read_tls(&mut &b""[..]).expect("read_tls"), 0);
    assert_eq!(c.process_new_packets(), Err(Error::UnexpectedEof));
    assert!(c.is_handshaking() && !c.wants_read() && !c.wants_write());
    reads_unexpected_eof(&mut c);
}

#[test]
fn eof_after_close_notify_is_clean() {
    let (mut c, mut s) = connected(&TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256);
    c.writer().write_all(b"last words").unwrap();
    c.send_close_notify();
    transfer(&mut c, &mut s).unwrap();
    eof(&mut s);
    let mut buf = [0u8; 64];
    let n = s.reader().read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"last words");
    assert_eq!(s.reader().read(&mut buf).unwrap(), 0);
    assert_eq!(s.reader().read(&mut buf).unwrap(), 0);
    let mut all = Vec::new();
    assert_eq!(s.reader().read_to_end(&mut all).unwrap(), 0);
    // The client may not write after its close_notify.
    assert!(c.writer().write(b"more").is_err());
}

// ==========================================================================================
// 4. Unexpected messages, every state of both machines
// ==========================================================================================

#[test]
fn samples_cover_every_handshake_type() {
    let samples = sample_messages();
    for v in 0..=255u8 {
        if let Some(t) = HandshakeType::from_value(v) {
            assert!(
                samples.iter().any(|m| decode_hs(m).selector() == t),
                "no sample of {t:?}"
            );
        }
    }
}

/// Drives a fresh connection to `state` for every input its table does not allow there and
/// checks the refusal: `UnexpectedMessage` naming the state and the input, sticky, and exactly one
/// fatal `unexpected_message` alert (opened with the victim's keys once it protects records).
fn unexpected_in_every_state(
    table: &[Transition],
    drive: fn(&'static str) -> AtState,
    skip: impl Fn(&str, InputKind) -> bool,
) -> usize {
    let mut checked = 0;
    for state in states_of(table) {
        for (kind, typ, payload) in injections() {
            if allowed(table, state, kind) || skip(state, kind) {
                continue;
            }
            let mut at = drive(state);
            assert_eq!(at.state, state);
            let got = at.inject(typ, &payload);
            let want = Error::UnexpectedMessage {
                state,
                got: kind.to_string(),
                expected: expected_in(table, state),
            };
            check_error(&mut at.victim, got, &want, A::UnexpectedMessage);
            assert_eq!(
                at.sent_alert(),
                fatal(A::UnexpectedMessage),
                "{state} on {kind}"
            );
            checked += 1;
        }
    }
    checked
}

/// RFC 5246 7.4.1.1: a HelloRequest while negotiating is ignored by the client, not refused;
/// `hello_request_while_negotiating_is_ignored*` cover it (the table allows it in most states).
fn hello_request_mid_handshake(state: &str, kind: InputKind) -> bool {
    state != "Connected" && kind == InputKind::Handshake(HandshakeType::HelloRequest)
}

#[test]
fn client_refuses_unexpected_messages_in_every_state() {
    let states = states_of(&client_transitions());
    assert!(states.len() >= 7, "{states:?}");
    let n = unexpected_in_every_state(
        &client_transitions(),
        client_at,
        hello_request_mid_handshake,
    );
    assert!(n >= states.len() * 10, "only {n} cases");
}

#[test]
fn server_refuses_unexpected_messages_in_every_state() {
    let states = states_of(&server_transitions());
    assert!(states.len() >= 5, "{states:?}");
    let n = unexpected_in_every_state(&server_transitions(), server_at, |_, _| false);
    assert!(n >= states.len() * 12, "only {n} cases");
}

#[test]
fn application_data_before_the_handshake_completes_is_unexpected() {
    for (table, drive) in [
        (
            client_transitions(),
            client_at as fn(&'static str) -> AtState,
        ),
        (server_transitions(), server_at),
    ] {
        for state in states_of(&table).into_iter().filter(|s| *s != "Connected") {
            let mut at = drive(state);
            let got = at.inject(ContentType::ApplicationData, b"too early");
            let err = got.clone().expect_err("application data refused");
            let Error::UnexpectedMessage { got: what, .. } = &err else {
                panic!("{state}: {err:?}")
            };
            assert_eq!(what, "application data");
            check_error(&mut at.victim, got, &err, A::UnexpectedMessage);
            assert_eq!(at.sent_alert(), fatal(A::UnexpectedMessage), "{state}");
            let mut buf = [0u8; 16];
            assert!(
                at.victim.reader().read(&mut buf).is_err(),
                "{state}: nothing delivered"
            );
        }
    }
}

#[test]
fn application_data_before_the_handshake_names_the_state() {
    for (table, drive) in [
        (
            client_transitions(),
            client_at as fn(&'static str) -> AtState,
        ),
        (server_transitions(), server_at),
    ] {
        for state in states_of(&table).into_iter().filter(|s| *s != "Connected") {
            let mut at = drive(state);
            let got = at.inject(ContentType::ApplicationData, b"too early");
            assert_eq!(
                got.unwrap_err(),
                Error::UnexpectedMessage {
                    state,
                    got: "application data".into(),
                    expected: expected_in(&table, state),
                }
            );
        }
    }
}

#[test]
fn hello_request_while_negotiating_is_ignored() {
    let hello_request = Handshake::HelloRequest(HelloRequest {}).to_vec();
    // In the clear, before each message of the server's first flight: ignored, kept out of the
    // transcript (or the Finished checks would fail), and the handshake completes.
    for k in 0..4 {
        let (mut c, mut s) = pair(client_config(), server_config(false));
        transfer(&mut c, &mut s).unwrap();
        let msgs = handshake_messages(&drain(&mut s));
        feed(&mut c, &reframe(&msgs[..k])).unwrap();
        feed(&mut c, &frame(ContentType::Handshake, &hello_request))
            .unwrap_or_else(|e| panic!("before message {k}: {e:?}"));
        assert!(!c.wants_write(), "nothing answers it");
        feed(&mut c, &reframe(&msgs[k..])).unwrap();
        handshake(&mut c, &mut s).expect("handshake completes");
    }
    // Protected, between the server's ChangeCipherSpec and Finished.
    let state = "ExpectFinished";
    assert!(allowed(
        &client_transitions(),
        state,
        InputKind::Handshake(HandshakeType::HelloRequest)
    ));
    let mut at = client_at(state);
    at.inject(ContentType::Handshake, &hello_request)
        .expect("ignored");
    assert!(at.sent().is_empty(), "nothing answers it");
    // The server's Finished, now record 1.
    let keys = at.keys.as_ref().unwrap();
    let (typ, finished) = keys.open(false, 0, &at.rest[0]);
    at.inject(typ, &finished).expect("Finished");
    assert!(!at.victim.is_handshaking());
    at.inject(ContentType::ApplicationData, b"hello").unwrap();
    let mut buf = [0u8; 8];
    let n = at.victim.reader().read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hello");
}

#[test]
fn hello_request_while_negotiating_is_ignored_in_every_state() {
    for state in states_of(&client_transitions())
        .into_iter()
        .filter(|s| *s != "Connected")
    {
        let mut at = client_at(state);
        let hello_request = Handshake::HelloRequest(HelloRequest {}).to_vec();
        at.inject(ContentType::Handshake, &hello_request)
            .unwrap_or_else(|e| panic!("{state}: {e:?}"));
        assert!(at.sent().is_empty(), "{state}: nothing answers it");
    }
}

#[test]
fn unknown_content_type_and_interleaved_fragments_are_unexpected() {
    // A record of content type 24 (heartbeat, RFC 6520: not spoken here), before and after keys.
    for state in ["ExpectServerHello", "Connected"] {
        let mut at = client_at(state);
        let mut record = at.record(ContentType::ApplicationData, &[1, 0, 16]);
        record[0] = 24;
        let got = feed(&mut at.victim, &record);
        let want = Error::UnexpectedMessage {
            state: "record layer",
            got: "record of content type 24".into(),
            expected: "handshake, change_cipher_spec, alert or application_data".into(),
        };
        check_error(&mut at.victim, got, &want, A::UnexpectedMessage);
        assert_eq!(at.sent_alert(), fatal(A::UnexpectedMessage), "{state}");
    }
    // Half a handshake message, then a ChangeCipherSpec (RFC 5246 6.2.1).
    let mut at = server_at("ExpectClientHello");
    let hello = Handshake::ClientHello(base_client_hello()).to_vec();
    feed(&mut at.victim, &frame(ContentType::Handshake, &hello[..20])).expect("half waits");
    let got = at.inject(ContentType::ChangeCipherSpec, &ccs_payload());
    let want = Error::PeerMisbehaved(PeerMisbehaved::HandshakeFragmentation);
    check_error(&mut at.victim, got, &want, A::UnexpectedMessage);
    assert_eq!(at.sent_alert(), fatal(A::UnexpectedMessage));
    // A handshake type that does not exist.
    let mut at = server_at("ExpectClientHello");
    let got = feed(
        &mut at.victim,
        &frame(ContentType::Handshake, &[99, 0, 0, 0]),
    );
    let err = got.clone().unwrap_err();
    assert!(matches!(err, Error::UnexpectedMessage { .. }), "{err:?}");
    check_error(&mut at.victim, got, &err, A::UnexpectedMessage);
    assert_eq!(at.sent_alert(), fatal(A::UnexpectedMessage));
}

// ==========================================================================================
// 5. A client offering nothing we support (hand-built ClientHello)
// ==========================================================================================

/// Offers `record` to a fresh server: its answer.
fn offer(server: ServerConfig, record: &[u8]) -> (ServerConnection, Result<IoState, Error>) {
    let mut s = ServerConnection::new(Arc::new(server)).expect("server");
    let got = feed(&mut s, record);
    (s, got)
}

/// The server refuses the ClientHello with `want` and nothing but the alert.
#[track_caller]
fn server_refuses(server: ServerConfig, record: &[u8], want: Error, alert: A) {
    let (mut s, got) = offer(server, record);
    failed_in_clear(&mut s, got, want, alert);
    assert!(s.is_handshaking());
    assert_eq!(s.negotiated_cipher_suite(), None, "nothing negotiated");
    assert_eq!(s.alpn_protocol(), None);
}

/// The server answers with a ServerHello: the decoded ServerHello's suite.
#[track_caller]
fn server_accepts(server: ServerConfig, record: &[u8]) -> ServerConnection {
    let (mut s, got) = offer(server, record);
    got.expect("ClientHello accepted");
    let msgs = handshake_messages(&drain(&mut s));
    assert_eq!(msgs[0][0], HandshakeType::ServerHello.value());
    s
}

#[test]
fn client_hello_with_nothing_in_common_is_refused() {
    let incompatible = |p| Error::PeerIncompatible(p);
    // Control: the base ClientHello is accepted.
    let s = server_accepts(server_config(false), &client_hello_with(|_| {}));
    assert_eq!(
        s.negotiated_cipher_suite(),
        Some(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
    );
    // Only suites spectls does not do.
    server_refuses(
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
    server_refuses(
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
    server_refuses(
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
    server_refuses(
        server_config(false),
        &client_hello_with(|ch| exts(ch)[0] = unsupported_groups()),
        incompatible(PeerIncompatible::CertificateCurveNotOffered),
        A::HandshakeFailure,
    );
    // No signature scheme the ECDSA key can use: RSA ones, and ECDSA with SHA-1.
    server_refuses(
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
    server_refuses(
        server_config(false),
        &client_hello_with(|ch| {
            exts(ch).retain(|e| e.selector() != ExtensionType::SignatureAlgorithms)
        }),
        incompatible(PeerIncompatible::NoSignatureSchemeInCommon),
        A::HandshakeFailure,
    );
    // A server that requires the extended master secret, a client without it.
    server_refuses(
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
        server_refuses(
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
    server_refuses(
        alpn_server(),
        &offering(&[b"http/1.1", b"spdy/3"]),
        Error::PeerIncompatible(PeerIncompatible::NoApplicationProtocol),
        A::NoApplicationProtocol,
    );
    // Controls: overlap, and no ALPN offered at all.
    let s = server_accepts(alpn_server(), &offering(&[b"http/1.1", b"h2"]));
    assert_eq!(s.alpn_protocol(), Some(&b"h2"[..]));
    let s = server_accepts(alpn_server(), &client_hello_with(|_| {}));
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
            ServerConfig::builder()
                .with_single_cert(
                    certs_from_pem(RSA_CHAIN).unwrap(),
                    private_key_from_pem(RSA_KEY).unwrap(),
                )
                .unwrap()
                .with_groups(&[NamedCurve::Secp384r1])
                .build()
                .unwrap(),
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
    server_refuses(
        server_config(false),
        &client_hello_with(|ch| {
            exts(ch).push(Extension::ExtendedMasterSecret(ExtendedMasterSecret {}))
        }),
        misbehaved(PeerMisbehaved::DuplicateExtension(23)),
        A::IllegalParameter,
    );
    server_refuses(
        server_config(false),
        &client_hello_with(|ch| {
            let unknown = Extension::Unknown(ExtensionType::Unknown(0x1234), b"x");
            exts(ch).insert(0, unknown.clone());
            exts(ch).push(unknown);
        }),
        misbehaved(PeerMisbehaved::DuplicateExtension(0x1234)),
        A::IllegalParameter,
    );
    // A renegotiation_info that is not empty on an initial handshake (RFC 5746 3.6).
    server_refuses(
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
    server_refuses(
        server_config(false),
        &client_hello_with(|ch| exts(ch).push(Extension::RecordSizeLimit(RecordSizeLimit(63)))),
        misbehaved(PeerMisbehaved::Other("record_size_limit below 64")),
        A::IllegalParameter,
    );
    // No null compression.
    server_refuses(
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
    failed_in_clear(&mut s, got, Error::RecordOverflow, A::RecordOverflow);
    // A protected record longer than 2^14 + 2048: refused from its header alone.
    let mut at = server_at("Connected");
    let header = [23u8, 3, 3, 0x48, 0x01];
    let got = feed(&mut at.victim, &header);
    check_error(
        &mut at.victim,
        got,
        &Error::RecordOverflow,
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
// 6. A server choosing what was not offered (hand-built ServerHello to a real client)
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

fn unoffered(what: &'static str) -> Error {
    Error::PeerMisbehaved(PeerMisbehaved::SelectedUnofferedParameter(what))
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
        A::IllegalParameter,
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
    // secp256r1) signs genuine parameters for a group the client never offered.
    let (mut c, mut s) = pair(
        client_with(|b| b.with_groups(&[NamedCurve::X25519])),
        ecdsa_server_with(|b| b.with_groups(&[NamedCurve::Secp256r1, NamedCurve::X25519])),
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
    let out = failed_in_clear(
        &mut c,
        got,
        unoffered("signature scheme"),
        A::IllegalParameter,
    );
    receives_alert(&mut s, &out, A::IllegalParameter);
}

// ==========================================================================================
// 7. Renegotiation is refused
// ==========================================================================================

#[test]
fn renegotiation_is_refused_with_a_warning_and_the_connection_goes_on() {
    // The server asks the client (HelloRequest); the client asks the server (ClientHello).
    let requests = [
        (
            client_at as fn(&'static str) -> AtState,
            Handshake::HelloRequest(HelloRequest {}).to_vec(),
        ),
        (
            server_at,
            Handshake::ClientHello(base_client_hello()).to_vec(),
        ),
    ];
    for (drive, request) in requests {
        let mut at = drive("Connected");
        at.inject(ContentType::Handshake, &request)
            .expect("refused, not fatal");
        let sent = at.sent();
        assert_eq!(types_of(&sent), [ContentType::Alert]);
        assert_eq!(
            Alert::from_bytes(&sent[0].1).unwrap(),
            Alert {
                level: AlertLevel::Warning,
                description: A::NoRenegotiation
            }
        );
        assert!(!at.victim.is_handshaking());
        // Data still flows both ways, under the same keys.
        at.inject(ContentType::ApplicationData, b"still here")
            .expect("data after the refusal");
        let mut buf = [0u8; 32];
        let n = at.victim.reader().read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"still here");
        at.victim.writer().write_all(b"me too").unwrap();
        let sent = at.sent();
        assert_eq!(sent, [(ContentType::ApplicationData, b"me too".to_vec())]);
    }
}

// ==========================================================================================
// 8. A fatal alert ends the connection, for good
// ==========================================================================================

#[test]
fn fatal_alert_received_is_sticky() {
    // During the handshake, in the clear.
    let (mut c, mut s) = pair(client_config(), server_config(false));
    transfer(&mut c, &mut s).unwrap();
    let server_flight = drain(&mut s);
    let alert = frame(
        ContentType::Alert,
        &alert_payload(AlertLevel::Fatal, A::HandshakeFailure),
    );
    let got = feed(&mut c, &alert);
    let want = Error::AlertReceived(A::HandshakeFailure);
    assert_eq!(got.unwrap_err(), want);
    assert!(!c.wants_write(), "an alert is not answered");
    for _ in 0..3 {
        assert_eq!(c.process_new_packets().unwrap_err(), want);
    }
    // Valid bytes afterwards change nothing.
    c.read_tls(&mut &server_flight[..]).ok();
    assert_eq!(c.process_new_packets().unwrap_err(), want);
    assert!(c.is_handshaking());
    assert!(c.negotiated_cipher_suite().is_none());
    io_fails_with(&mut c, &want);

    // After the handshake, protected: every fatal description the peer may send.
    for description in [A::InternalError, A::DecodeError, A::UserCanceled] {
        let mut at = server_at("Connected");
        at.inject(ContentType::ApplicationData, b"before")
            .expect("data");
        let got = at.inject(
            ContentType::Alert,
            &alert_payload(AlertLevel::Fatal, description),
        );
        let want = Error::AlertReceived(description);
        assert_eq!(got.unwrap_err(), want);
        assert!(at.sent().is_empty(), "an alert is not answered");
        assert_eq!(at.victim.process_new_packets().unwrap_err(), want);
        // Data that arrived before the alert is still delivered, then the error.
        let mut buf = [0u8; 16];
        let n = at.victim.reader().read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"before");
        io_fails_with(&mut at.victim, &want);
        // Even a correctly protected record afterwards is not processed.
        let got = at.inject(ContentType::ApplicationData, b"after");
        assert_eq!(got.unwrap_err(), want);
    }
}

#[test]
fn warning_alerts_do_not_end_the_handshake() {
    let (mut c, mut s) = pair(client_config(), server_config(false));
    let warning = frame(
        ContentType::Alert,
        &alert_payload(AlertLevel::Warning, A::UserCanceled),
    );
    feed(&mut s, &warning).expect("warning ignored by the server");
    feed(&mut c, &warning).expect("warning ignored by the client");
    handshake(&mut c, &mut s).expect("handshake completes");
}

// ==========================================================================================
// 9. Robustness: garbage, prefixes and mutations never panic
// ==========================================================================================

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Feeds `input` to `conn` without panicking; it either waits or fails, and a failure that owes
/// an alert queues one (in the clear: nothing here gets past the first flight's keys).
#[track_caller]
fn survives(conn: &mut ConnectionCommon, input: &[u8], what: &str) -> Result<IoState, Error> {
    let got = catch_unwind(AssertUnwindSafe(|| feed(conn, input)))
        .unwrap_or_else(|_| panic!("panicked on {what}: {input:02x?}"));
    let again = catch_unwind(AssertUnwindSafe(|| conn.process_new_packets()))
        .unwrap_or_else(|_| panic!("panicked re-processing {what}"));
    match &got {
        Ok(_) => assert!(again.is_ok(), "{what}"),
        Err(e) => {
            assert_eq!(again.as_ref().unwrap_err(), e, "{what}: sticky");
            let out = drain(conn);
            if let Some(alert) = e.alert() {
                let recs = split_records(&out);
                let last = recs
                    .last()
                    .unwrap_or_else(|| panic!("{what}: no alert for {e:?}"));
                assert_eq!(last.0, ContentType::Alert, "{what}");
                if let Ok(a) = Alert::from_bytes(fragment_of(&last.1)) {
                    assert_eq!(a, fatal(alert), "{what}");
                }
            }
        }
    }
    got
}

#[test]
fn random_garbage_never_panics() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..400 {
        let len = (rng.next() % 300) as usize;
        let mut input = rng.bytes(len);
        // Half the time, a plausible record header, so the fuzz reaches the message decoders.
        if round % 2 == 0 && len >= 9 {
            input[0] = [20, 21, 22, 23][(rng.next() % 4) as usize];
            input[1..3].copy_from_slice(&[3, 3]);
            input[3..5].copy_from_slice(&((len - 5) as u16).to_be_bytes());
            if input[0] == 22 {
                input[5] = [1, 2, 11, 12, 14, 16, 20][(rng.next() % 7) as usize];
                input[6..9].copy_from_slice(&[0, ((len - 9) >> 8) as u8, (len - 9) as u8]);
            }
        }
        let mut s = ServerConnection::new(Arc::new(server_config(false))).unwrap();
        let _ = survives(&mut s, &input, &format!("server round {round}"));
        let (mut c, _) = pair(client_config(), server_config(false));
        drain(&mut c);
        let _ = survives(&mut c, &input, &format!("client round {round}"));
    }
}

#[test]
fn every_prefix_of_a_client_hello_waits() {
    let (mut c, _) = pair(client_config(), server_config(false));
    let hello = drain(&mut c);
    for n in 0..hello.len() {
        let mut s = ServerConnection::new(Arc::new(server_config(false))).unwrap();
        survives(&mut s, &hello[..n], &format!("prefix {n}")).expect("a prefix waits");
        assert!(!s.wants_write(), "prefix {n}: nothing to say yet");
        assert!(s.wants_read());
    }
    // Byte by byte, then whole.
    let mut s = ServerConnection::new(Arc::new(server_config(false))).unwrap();
    for (i, b) in hello.iter().enumerate() {
        feed(&mut s, &[*b]).unwrap_or_else(|e| panic!("byte {i}: {e:?}"));
    }
    assert!(s.wants_write(), "the whole ClientHello is answered");
}

#[test]
fn every_prefix_of_the_server_flights_waits() {
    let (mut c, mut s) = pair(client_config(), server_config(true));
    transfer(&mut c, &mut s).unwrap();
    let first = drain(&mut s);
    for (i, b) in first.iter().enumerate() {
        feed(&mut c, &[*b]).unwrap_or_else(|e| panic!("byte {i}: {e:?}"));
        assert_eq!(c.wants_write(), i == first.len() - 1, "byte {i}");
    }
    transfer(&mut c, &mut s).unwrap();
    let last = drain(&mut s);
    for (i, b) in last.iter().enumerate() {
        feed(&mut c, &[*b]).unwrap_or_else(|e| panic!("byte {i}: {e:?}"));
        assert_eq!(c.is_handshaking(), i < last.len() - 1, "byte {i}");
    }
}

/// Each single-byte mutation of one flight, given to a fresh connection at the point it expects
/// that flight. `setup` returns the victim and the untouched flight.
fn mutate_flight(what: &str, setup: &dyn Fn() -> (Victim, Vec<u8>)) -> (usize, usize) {
    let (_, flight) = setup();
    let (mut ok, mut failed) = (0, 0);
    for pos in 0..flight.len() {
        for mask in [0x01u8, 0x80, 0xff] {
            let (mut victim, mut input) = setup();
            // Signature lengths vary a little between runs.
            let Some(byte) = input.get_mut(pos) else {
                continue;
            };
            *byte ^= mask;
            match survives(
                &mut victim,
                &input,
                &format!("{what} byte {pos} ^ {mask:#04x}"),
            ) {
                Ok(_) => ok += 1,
                Err(_) => failed += 1,
            }
        }
    }
    (ok, failed)
}

#[test]
fn mutated_client_hello_never_panics() {
    let (ok, failed) = mutate_flight("ClientHello", &|| {
        let (mut c, s) = pair(client_config(), server_config(false));
        let hello = drain(&mut c);
        (Box::new(s) as Victim, hello)
    });
    assert!(failed > 0 && ok > 0, "ok {ok}, failed {failed}");
}

#[test]
fn mutated_server_flight_never_panics() {
    let (ok, failed) = mutate_flight("server flight", &|| {
        let (mut c, mut s) = pair(client_config(), server_config(false));
        transfer(&mut c, &mut s).unwrap();
        let flight = drain(&mut s);
        (Box::new(c) as Victim, flight)
    });
    // Nearly every byte is covered by a length, the certificate or the signature.
    assert!(failed > ok, "ok {ok}, failed {failed}");
}

#[test]
fn mutated_client_key_exchange_flight_never_panics() {
    let (ok, failed) = mutate_flight("client second flight", &|| {
        let (mut c, mut s) = pair(client_config(), server_config(false));
        transfer(&mut c, &mut s).unwrap();
        transfer(&mut s, &mut c).unwrap();
        let flight = drain(&mut c);
        (Box::new(s) as Victim, flight)
    });
    assert!(failed > ok, "ok {ok}, failed {failed}");
}

#[test]
fn mutated_server_finished_flight_never_panics() {
    let (ok, failed) = mutate_flight("server second flight", &|| {
        let (mut c, mut s) = pair(client_config(), server_config(false));
        transfer(&mut c, &mut s).unwrap();
        transfer(&mut s, &mut c).unwrap();
        transfer(&mut c, &mut s).unwrap();
        let flight = drain(&mut s);
        (Box::new(c) as Victim, flight)
    });
    assert!(failed > ok, "ok {ok}, failed {failed}");
}

// ==========================================================================================
// 10. Resumption only of the very session: a changed offer or answer is not a resumption
// ==========================================================================================

/// How a spectls server keeps its sessions.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Keeping {
    /// In its session-ID cache (the default).
    SessionId,
    /// In tickets only (no session-ID cache).
    Ticket,
}

fn session_server(keeping: Keeping) -> Arc<ServerConfig> {
    Arc::new(ecdsa_server_with(|b| match keeping {
        Keeping::SessionId => b,
        Keeping::Ticket => b
            .with_ticketer(Ticketer::new(Duration::from_secs(3600)).expect("ticketer"))
            .with_session_storage(Arc::new(NoServerSessionStorage)),
    }))
}

/// A spectls client that completed one full handshake with `server`, in a second connection
/// offering that session: the connection (its ClientHello drained), the ClientHello message, the
/// session ID it offers and the session's cipher suite.
fn offering_the_session(
    server: &Arc<ServerConfig>,
) -> (ClientConnection, Vec<u8>, Vec<u8>, CipherSuite) {
    let client = Arc::new(client_config());
    let name = || ServerName::try_from("localhost").expect("name");
    let mut c = ClientConnection::new(client.clone(), name()).expect("client");
    let mut s = ServerConnection::new(server.clone()).expect("server");
    handshake(&mut c, &mut s).expect("full handshake");
    assert!(!c.is_resumed() && !s.is_resumed());
    let suite = c.negotiated_cipher_suite().expect("suite");
    let mut c = ClientConnection::new(client, name()).expect("client");
    let hello = handshake_messages(&drain(&mut c)).remove(0);
    let offered = session_id_of(&hello);
    assert_eq!(offered.len(), 32, "the client offers its session");
    (c, hello, offered, suite)
}

/// Gives the server the (edited) ClientHello.
fn offer_edited(
    server: &Arc<ServerConfig>,
    hello: &[u8],
    edit: impl FnOnce(&mut ClientHello<'_>),
) -> (ServerConnection, Vec<u8>) {
    let Handshake::ClientHello(mut ch) = decode_hs(hello) else {
        panic!("not a ClientHello")
    };
    edit(&mut ch);
    let mut s = ServerConnection::new(server.clone()).expect("server");
    feed(&mut s, &hs_record(&Handshake::ClientHello(ch))).expect("ClientHello accepted");
    let flight = drain(&mut s);
    (s, flight)
}

/// The server answered with a full handshake: a session ID that is not the offered one (a
/// fresh one when it caches sessions by ID, none otherwise), then its Certificate.
#[track_caller]
fn full_handshake_answer(
    s: &ServerConnection,
    flight: &[u8],
    offered: &[u8],
    keeping: Keeping,
    what: &str,
) {
    assert!(
        split_records(flight)
            .iter()
            .all(|(t, _)| *t == ContentType::Handshake),
        "{keeping:?}, {what}: resumed (a ChangeCipherSpec follows) instead of a full handshake"
    );
    let msgs = handshake_messages(flight);
    let kinds = kinds_of(&msgs);
    assert_eq!(
        kinds[..2],
        [HandshakeType::ServerHello, HandshakeType::Certificate],
        "{keeping:?}, {what}: a full handshake"
    );
    assert_eq!(
        kinds.last(),
        Some(&HandshakeType::ServerHelloDone),
        "{keeping:?}, {what}"
    );
    let id = session_id_of(&msgs[0]);
    assert_ne!(
        id, offered,
        "{keeping:?}, {what}: the offered session is not resumed"
    );
    match keeping {
        Keeping::SessionId => assert_eq!(id.len(), 32, "{keeping:?}, {what}: a fresh ID"),
        Keeping::Ticket => assert!(id.is_empty(), "{keeping:?}, {what}: no ID without a cache"),
    }
    assert!(!s.is_resumed(), "{keeping:?}, {what}");
}

#[test]
fn changed_client_hello_gets_a_full_handshake_not_the_session() {
    for keeping in [Keeping::SessionId, Keeping::Ticket] {
        let server = session_server(keeping);
        let (_, hello, offered, suite) = offering_the_session(&server);

        // Control: the ClientHello as sent resumes the session.
        let (s, flight) = offer_edited(&server, &hello, |_| {});
        let recs = split_records(&flight);
        let ccs = recs
            .iter()
            .position(|(t, _)| *t == ContentType::ChangeCipherSpec)
            .expect("an abbreviated handshake");
        let before: Vec<u8> = recs[..ccs].iter().flat_map(|(_, r)| r.clone()).collect();
        let msgs = handshake_messages(&before);
        assert_eq!(session_id_of(&msgs[0]), offered, "{keeping:?}: echoed");
        assert!(s.is_resumed(), "{keeping:?}");
        assert_eq!(s.negotiated_cipher_suite(), Some(suite));

        // (a) Without extended_master_secret (RFC 7627 5.3): the session used it, so the
        // server "MUST abort the abbreviated handshake": handshake_failure, as OpenSSL does,
        // not a silent full handshake.
        let Handshake::ClientHello(mut ch) = decode_hs(&hello) else {
            panic!("not a ClientHello")
        };
        exts(&mut ch).retain(|e| e.selector() != ExtensionType::ExtendedMasterSecret);
        let mut s = ServerConnection::new(server.clone()).expect("server");
        let got = feed(&mut s, &hs_record(&Handshake::ClientHello(ch)));
        failed_in_clear(
            &mut s,
            got,
            Error::PeerMisbehaved(PeerMisbehaved::ExtendedMasterSecretMismatch),
            A::HandshakeFailure,
        );

        // (b) Another server name, or none (RFC 6066 3): the session was made for localhost.
        let (s, flight) = offer_edited(&server, &hello, |ch| {
            for e in exts(ch).iter_mut() {
                if e.selector() == ExtensionType::ServerName {
                    *e = Extension::ServerName(ServerNameExtension::ClientHello(ServerNameList {
                        server_name_list: vec![spectls::wire::ServerName::HostName(HostName(
                            b"other.test",
                        ))],
                    }));
                }
            }
        });
        full_handshake_answer(&s, &flight, &offered, keeping, "other SNI");
        assert_eq!(s.server_name(), Some("other.test"));
        let (s, flight) = offer_edited(&server, &hello, |ch| {
            exts(ch).retain(|e| e.selector() != ExtensionType::ServerName)
        });
        full_handshake_answer(&s, &flight, &offered, keeping, "no SNI");
        assert_eq!(s.server_name(), None);

        // (c) Without the session's cipher suite (RFC 5246 7.4.1.2).
        let (s, flight) = offer_edited(&server, &hello, |ch| {
            ch.cipher_suites.retain(|c| *c != suite);
            assert!(!ch.cipher_suites.is_empty());
        });
        full_handshake_answer(&s, &flight, &offered, keeping, "no session suite");
        let chosen = s.negotiated_cipher_suite().expect("a suite");
        assert_ne!(chosen, suite);
    }
}

#[test]
fn client_hello_adding_ems_to_a_session_without_it_gets_a_full_handshake() {
    // The other direction of RFC 7627 5.3: a session made without EMS (put in the server's
    // cache, or sealed with its ticketer, directly), offered by a ClientHello with EMS.
    let suite = CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
    let session = Session {
        cipher_suite: suite,
        master_secret: [7; 48],
        extended_master_secret: false,
        server_name: None,
        created: spectls::internal::now(),
        peer_certificates: Vec::new(),
    };
    let id = [0x42u8; 32];
    for keeping in [Keeping::SessionId, Keeping::Ticket] {
        let cache = ServerSessionMemoryCache::new(4, Duration::from_secs(3600));
        let ticketer = Ticketer::new(Duration::from_secs(3600)).expect("ticketer");
        let ticket = session.seal(ticketer.as_ref()).expect("ticket");
        let server = Arc::new(ecdsa_server_with(|b| match keeping {
            Keeping::SessionId => {
                assert!(cache.put(id.to_vec(), session.clone()));
                b.with_session_storage(cache.clone())
            }
            Keeping::Ticket => b
                .with_ticketer(ticketer.clone())
                .with_session_storage(Arc::new(NoServerSessionStorage)),
        }));
        // The base ClientHello (no SNI, like the session) offering the session.
        let hello = {
            let mut ch = base_client_hello();
            ch.session_id = SessionID(&id);
            if keeping == Keeping::Ticket {
                exts(&mut ch).push(Extension::SessionTicket(SessionTicket { ticket: &ticket }));
            }
            Handshake::ClientHello(ch).to_vec()
        };
        let without_ems = |ch: &mut ClientHello<'_>| {
            exts(ch).retain(|e| e.selector() != ExtensionType::ExtendedMasterSecret)
        };
        // Control: without EMS, as the session was made, it resumes.
        let (s, flight) = offer_edited(&server, &hello, without_ems);
        let recs = split_records(&flight);
        assert_eq!(recs[0].0, ContentType::Handshake);
        let sh = handshake_messages(&recs[0].1).remove(0);
        assert_eq!(session_id_of(&sh), id, "{keeping:?}: echoed");
        assert!(s.is_resumed(), "{keeping:?}");
        assert!(recs
            .iter()
            .any(|(t, _)| *t == ContentType::ChangeCipherSpec));
        // With EMS: a full handshake.
        let (s, flight) = offer_edited(&server, &hello, |_| {});
        full_handshake_answer(&s, &flight, &id, keeping, "EMS added");
        assert!(s.extended_master_secret());
    }
}

/// A ServerHello that echoes `session_id`, choosing `suite`, with or without EMS.
fn resuming_server_hello(session_id: &[u8], suite: CipherSuite, ems: bool) -> Vec<u8> {
    server_hello_record(|sh| {
        sh.session_id = SessionID(session_id);
        sh.cipher_suite = suite;
        if !ems {
            sh.extensions
                .as_mut()
                .unwrap()
                .retain(|e| e.selector() != ExtensionType::ExtendedMasterSecret);
        }
    })
}

#[test]
fn resumption_answer_changing_the_session_is_refused() {
    for keeping in [Keeping::SessionId, Keeping::Ticket] {
        let server = session_server(keeping);

        // Control: the session's suite and EMS state resume it.
        let (mut c, _, offered, suite) = offering_the_session(&server);
        feed(&mut c, &resuming_server_hello(&offered, suite, true)).expect("resumed");
        assert!(c.is_resumed(), "{keeping:?}");
        assert_eq!(c.negotiated_cipher_suite(), Some(suite));

        // (a) Another cipher suite the client offered (RFC 5246 7.4.1.3: a resumed session
        // keeps its suite).
        let (mut c, hello, offered, suite) = offering_the_session(&server);
        let Handshake::ClientHello(ch) = decode_hs(&hello) else {
            panic!("not a ClientHello")
        };
        let other = *ch
            .cipher_suites
            .iter()
            .find(|s| **s != suite && lookup(**s).is_some())
            .expect("another offered suite");
        let got = feed(&mut c, &resuming_server_hello(&offered, other, true));
        failed_in_clear(
            &mut c,
            got,
            unoffered("cipher suite of the resumed session"),
            A::IllegalParameter,
        );

        // (b) The EMS state flipped (RFC 7627 5.3): the session used EMS, the answer does not.
        let (mut c, _, offered, suite) = offering_the_session(&server);
        let got = feed(&mut c, &resuming_server_hello(&offered, suite, false));
        failed_in_clear(
            &mut c,
            got,
            Error::PeerMisbehaved(PeerMisbehaved::ExtendedMasterSecretMismatch),
            A::HandshakeFailure,
        );
    }
}

#[test]
fn resumption_answer_adding_ems_to_a_session_without_it_is_refused() {
    // The other direction of RFC 7627 5.3: a cached session made without EMS (put in the
    // client's cache directly), and a ServerHello resuming it with EMS.
    let suite = CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
    let session_id = [0x42u8; 32];
    let client = || {
        let cache = ClientSessionMemoryCache::new(4);
        cache.put(
            "localhost",
            ClientSessionValue {
                session_id: session_id.to_vec(),
                ticket: None,
                ticket_lifetime_hint: 0,
                session: Session {
                    cipher_suite: suite,
                    master_secret: [7; 48],
                    extended_master_secret: false,
                    server_name: Some("localhost".into()),
                    created: spectls::internal::now(),
                    peer_certificates: certs_from_pem(ECDSA_CHAIN).expect("chain"),
                },
            },
        );
        let mut c = ClientConnection::new(
            Arc::new(client_with(|b| b.with_session_storage(cache))),
            "localhost".try_into().unwrap(),
        )
        .expect("client");
        let hello = handshake_messages(&drain(&mut c)).remove(0);
        assert_eq!(
            session_id_of(&hello),
            session_id,
            "the cached session is offered"
        );
        c
    };
    // Control: the answer without EMS resumes it.
    let mut c = client();
    feed(&mut c, &resuming_server_hello(&session_id, suite, false)).expect("resumed");
    assert!(c.is_resumed());
    assert!(!c.extended_master_secret());

    let mut c = client();
    let got = feed(&mut c, &resuming_server_hello(&session_id, suite, true));
    failed_in_clear(
        &mut c,
        got,
        Error::PeerMisbehaved(PeerMisbehaved::ExtendedMasterSecretMismatch),
        A::HandshakeFailure,
    );
}

/// What a new connection from `client` offers: its session ID and its ticket (empty if none).
fn next_offer(client: &Arc<ClientConfig>) -> (Vec<u8>, Vec<u8>) {
    let mut c =
        ClientConnection::new(client.clone(), "localhost".try_into().unwrap()).expect("client");
    let hello = handshake_messages(&drain(&mut c)).remove(0);
    let Handshake::ClientHello(ch) = decode_hs(&hello) else {
        panic!("not a ClientHello")
    };
    let ticket = ch
        .extensions
        .unwrap_or_default()
        .iter()
        .find_map(|e| match e {
            Extension::SessionTicket(t) => Some(t.ticket.to_vec()),
            _ => None,
        })
        .unwrap_or_default();
    (ch.session_id.0.to_vec(), ticket)
}

#[test]
fn client_forgets_a_session_after_a_fatal_alert() {
    // RFC 5246 7.2: "Servers and clients MUST forget any session-identifiers, keys, and secrets
    // associated with a failed connection. Thus, any connection terminated with a fatal alert
    // MUST NOT be resumed."
    for keeping in [Keeping::SessionId, Keeping::Ticket] {
        let server = session_server(keeping);
        let client = Arc::new(client_config());
        let resumable = || {
            let mut c = ClientConnection::new(client.clone(), "localhost".try_into().unwrap())
                .expect("client");
            let mut s = ServerConnection::new(server.clone()).expect("server");
            handshake(&mut c, &mut s).expect("handshake");
            let (id, ticket) = next_offer(&client);
            assert!(!id.is_empty(), "{keeping:?}: the session is offered");
            assert_eq!(ticket.is_empty(), keeping == Keeping::SessionId);
            (c, s)
        };
        let forgotten = |what: &str| {
            let (id, ticket) = next_offer(&client);
            assert!(
                id.is_empty() && ticket.is_empty(),
                "{keeping:?}, {what}: the session is offered again"
            );
        };

        // The client refuses a resuming ServerHello (sends a fatal alert).
        let suite = resumable().0.negotiated_cipher_suite().expect("suite");
        let mut c =
            ClientConnection::new(client.clone(), "localhost".try_into().unwrap()).expect("client");
        let offered = session_id_of(&handshake_messages(&drain(&mut c))[0]);
        let got = feed(&mut c, &resuming_server_hello(&offered, suite, false));
        assert_eq!(
            got.unwrap_err(),
            Error::PeerMisbehaved(PeerMisbehaved::ExtendedMasterSecretMismatch)
        );
        forgotten("after sending an alert in the resumed handshake");

        // The client receives a fatal alert in answer to its resuming ClientHello.
        resumable();
        let mut c =
            ClientConnection::new(client.clone(), "localhost".try_into().unwrap()).expect("client");
        drain(&mut c);
        let alert = frame(
            ContentType::Alert,
            &alert_payload(AlertLevel::Fatal, A::HandshakeFailure),
        );
        feed(&mut c, &alert).expect_err("fatal alert");
        forgotten("after receiving a fatal alert");

        // A connection that completed, then failed (a tampered record).
        let (mut c, mut s) = resumable();
        s.writer().write_all(b"data").unwrap();
        let mut record = drain(&mut s);
        let last = record.len() - 1;
        record[last] ^= 1;
        feed(&mut c, &record).expect_err("bad_record_mac");
        forgotten("after a fatal alert on application data");
    }
}

#[test]
fn server_forgets_a_session_after_a_fatal_alert() {
    let server = session_server(Keeping::SessionId);
    let client = Arc::new(client_config());
    let full = || {
        let mut c =
            ClientConnection::new(client.clone(), "localhost".try_into().unwrap()).expect("client");
        let mut s = ServerConnection::new(server.clone()).expect("server");
        handshake(&mut c, &mut s).expect("handshake");
        (c, s)
    };
    // The ClientHello offering the session: while the session is resumable the server resumes
    // it; once forgotten, the same ClientHello gets a full handshake.
    let offering = || {
        let mut c =
            ClientConnection::new(client.clone(), "localhost".try_into().unwrap()).expect("client");
        let hello = handshake_messages(&drain(&mut c)).remove(0);
        (c, hello)
    };
    let resumes = |hello: &[u8]| offer_edited(&server, hello, |_| {}).0.is_resumed();

    // A resumed handshake failing at the client's Finished (tampered: bad_record_mac).
    full();
    let (mut c, hello) = offering();
    assert!(resumes(&hello), "control: the session resumes");
    let mut s = ServerConnection::new(server.clone()).expect("server");
    feed(&mut s, &frame(ContentType::Handshake, &hello)).expect("ClientHello");
    assert!(s.is_resumed());
    feed(&mut c, &drain(&mut s)).expect("ServerHello, ChangeCipherSpec, Finished");
    let mut finished = drain(&mut c);
    let last = finished.len() - 1;
    finished[last] ^= 1;
    feed(&mut s, &finished).expect_err("bad_record_mac");
    let offered = session_id_of(&hello);
    let (s, flight) = offer_edited(&server, &hello, |_| {});
    full_handshake_answer(
        &s,
        &flight,
        &offered,
        Keeping::SessionId,
        "after a failed resumed handshake",
    );

    // A connection that completed, then failed (a tampered record from the client).
    let (mut c, mut s) = full();
    let (_, hello) = offering();
    assert!(resumes(&hello), "control: the session resumes");
    c.writer().write_all(b"data").unwrap();
    let mut record = drain(&mut c);
    let last = record.len() - 1;
    record[last] ^= 1;
    feed(&mut s, &record).expect_err("bad_record_mac");
    let offered = session_id_of(&hello);
    let (s, flight) = offer_edited(&server, &hello, |_| {});
    full_handshake_answer(
        &s,
        &flight,
        &offered,
        Keeping::SessionId,
        "after a fatal alert on application data",
    );
}
