//! TLS 1.3 in process: spectls against spectls over memory. Every suite, group and key type;
//! HelloRetryRequest; version negotiation and the downgrade sentinel; client authentication;
//! KeyUpdate; exports and key log lines. The peer's protected records are opened and re-sealed
//! with the secrets it logs (`common::tls13::Epoch`), so tampered and out-of-place messages
//! reach the machine under the right keys.

mod common;

use common::tls13::*;
use common::*;
use spectls::codec::Encode;
use spectls::crypto::suites::{self, SupportedCipherSuite, TLS13_CIPHER_SUITES};
use spectls::version::{TLS12, TLS13};
use spectls::wire::tls13::{
    Certificate, CertificateVerify, EncryptedExtensions, Finished, Handshake as Hs13, KeyUpdate,
};
use spectls::wire::{
    tls12::Handshake, AlertDescription as A, ContentType, Extension, KeyShare, KeyShareEntry,
    KeyShareHelloRetryRequest, KeyShareServer, KeyUpdateRequest, NamedCurve, ServerHello,
    SignatureScheme, SupportedVersions, HELLO_RETRY_REQUEST,
};
use spectls::{Error, PeerIncompatible, PeerMisbehaved};
use std::io::Write;
use std::sync::Arc;

/// spectls's groups without the post-quantum hybrids, in their default order.
const CLASSICAL_GROUPS: &[NamedCurve] = &[
    NamedCurve::X25519,
    NamedCurve::Secp256r1,
    NamedCurve::Secp384r1,
];

const GROUPS: [NamedCurve; 3] = [
    NamedCurve::X25519,
    NamedCurve::Secp256r1,
    NamedCurve::Secp384r1,
];

/// Data both ways, then close_notify both ways.
fn exchange(c: &mut spectls::ClientConnection, s: &mut spectls::ServerConnection) {
    let up: Vec<u8> = (0..40_000u32).map(|i| (i % 251) as u8).collect();
    c.writer().write_all(&up).unwrap();
    transfer(c, s).unwrap();
    assert_eq!(read_all(s), up);
    s.writer().write_all(b"and back").unwrap();
    transfer(s, c).unwrap();
    assert_eq!(read_all(c), b"and back");
    c.send_close_notify();
    transfer(c, s).unwrap();
    assert!(s.process_new_packets().unwrap().peer_has_closed);
}

#[test]
fn every_suite_group_and_key_type_completes_and_carries_data() {
    for suite in TLS13_CIPHER_SUITES {
        for group in GROUPS {
            for rsa in [false, true] {
                let client = client13(|b| b.with_cipher_suites(&[suite]).with_groups(&[group]));
                let server = server13(rsa, |b| b.with_groups(&[group]));
                let (mut c, mut s) = pair(client, server);
                handshake(&mut c, &mut s).unwrap();
                for conn in [&*c, &*s] {
                    assert_eq!(conn.protocol_version(), Some(TLS13));
                    assert_eq!(conn.negotiated_cipher_suite(), Some(suite.suite));
                    assert_eq!(conn.negotiated_group(), Some(group));
                    assert!(!conn.extended_master_secret(), "no EMS in TLS 1.3");
                }
                // RFC 8446 4.2.3: RSA signs with PSS only in TLS 1.3.
                let scheme = if rsa {
                    SignatureScheme::RsaPssRsaeSha256
                } else {
                    SignatureScheme::EcdsaSecp256r1Sha256
                };
                assert_eq!(c.negotiated_signature_scheme(), Some(scheme));
                assert_eq!(c.peer_certificates().unwrap().len(), 2, "leaf and CA");
                exchange(&mut c, &mut s);
            }
        }
    }
}

#[test]
fn defaults_negotiate_tls13_and_say_so_in_the_first_flights() {
    let (mut c, mut s) = pair(
        ClientConfig::builder()
            .with_root_certificates(roots())
            .build()
            .unwrap(),
        ServerConfig::builder()
            .with_single_cert(
                spectls::pki::certs_from_pem(ECDSA_CHAIN).unwrap(),
                spectls::pki::private_key_from_pem(ECDSA_KEY).unwrap(),
            )
            .unwrap()
            .build()
            .unwrap(),
    );
    let hello = drain(&mut c);
    let payload = handshake_payload(&hello);
    let Handshake::ClientHello(ch) = decode_hs(&payload) else {
        panic!("ClientHello")
    };
    let exts = ch.extensions.as_deref().unwrap();
    assert!(exts.iter().any(|e| matches!(e,
        Extension::SupportedVersions(SupportedVersions::ClientHello { versions })
            if *versions == [TLS13, TLS12])));
    let shares: Vec<_> = exts
        .iter()
        .find_map(|e| match e {
            Extension::KeyShare(KeyShare::ClientHello(k)) => Some(k.client_shares.clone()),
            _ => None,
        })
        .unwrap();
    // X25519MLKEM768 (post-quantum hybrid) and X25519 beside it (tests/pq.rs has the rest).
    let groups: Vec<_> = shares
        .iter()
        .map(|s| (s.group, s.key_exchange.len()))
        .collect();
    assert_eq!(
        groups,
        [(NamedCurve::X25519MLKEM768, 1216), (NamedCurve::X25519, 32)]
    );
    assert_eq!(ch.session_id.0.len(), 32, "D.4: compatibility mode");
    assert!(ch.cipher_suites[..3]
        .iter()
        .all(|s| suites::lookup(*s).unwrap().is_tls13()));
    feed(&mut s, &hello).unwrap();
    let flight = split_records(&drain(&mut s));
    // ServerHello in the clear, the compatibility CCS, then EncryptedExtensions, Certificate,
    // CertificateVerify and Finished sealed together in one record.
    assert_eq!(
        types_of(&flight),
        [
            ContentType::Handshake,
            ContentType::ChangeCipherSpec,
            ContentType::ApplicationData
        ]
    );
    let Handshake::ServerHello(sh) = decode_hs(fragment_of(&flight[0].1)) else {
        panic!("ServerHello")
    };
    assert_eq!(sh.session_id.0, ch.session_id.0, "echoed");
    assert_eq!(sh.server_version, TLS12, "legacy_version");
    let mut all = Vec::new();
    for (_, r) in &flight {
        all.extend_from_slice(r);
    }
    feed(&mut c, &all).unwrap();
    assert!(!c.is_handshaking());
    let client_flight = split_records(&drain(&mut c));
    assert_eq!(
        types_of(&client_flight),
        [ContentType::ChangeCipherSpec, ContentType::ApplicationData],
        "compatibility CCS, then the protected Finished"
    );
    feed(&mut s, &client_flight.concat_records()).unwrap();
    assert!(!s.is_handshaking());
    assert_eq!(c.protocol_version(), Some(TLS13));
    exchange(&mut c, &mut s);
}

/// Concatenates split records back into bytes.
trait Concat {
    fn concat_records(&self) -> Vec<u8>;
}

impl Concat for Vec<(ContentType, Vec<u8>)> {
    fn concat_records(&self) -> Vec<u8> {
        self.iter().flat_map(|(_, r)| r.clone()).collect()
    }
}

use spectls::{ClientConfig, ServerConfig};

#[test]
fn server_asks_again_for_its_group_and_the_second_hello_changes_only_the_share() {
    // The client's share is X25519; the server takes only P-256 (RFC 8446 4.1.4).
    let client = client13(|b| b.with_groups(&[NamedCurve::X25519, NamedCurve::Secp256r1]));
    let server = server13(false, |b| b.with_groups(&[NamedCurve::Secp256r1]));
    let (mut c, mut s) = pair(client, server);
    let first = drain(&mut c);
    feed(&mut s, &first).unwrap();
    let hrr = split_records(&drain(&mut s));
    assert_eq!(
        types_of(&hrr),
        [ContentType::Handshake, ContentType::ChangeCipherSpec],
        "HelloRetryRequest, compatibility CCS"
    );
    let Handshake::ServerHello(sh) = decode_hs(fragment_of(&hrr[0].1)) else {
        panic!("HelloRetryRequest")
    };
    assert_eq!(random_of(&sh.random), HELLO_RETRY_REQUEST);
    assert!(sh.extensions.as_deref().unwrap().iter().any(|e| matches!(e,
        Extension::KeyShare(KeyShare::ServerHello(KeyShareServer::True(k)))
            if k.selected_group == NamedCurve::Secp256r1)));
    feed(&mut c, &hrr.concat_records()).unwrap();
    let second = split_records(&drain(&mut c));
    assert_eq!(
        types_of(&second),
        [ContentType::ChangeCipherSpec, ContentType::Handshake],
        "our compatibility CCS goes before the second ClientHello"
    );
    let payload = handshake_payload(&first);
    let (Handshake::ClientHello(ch1), Handshake::ClientHello(ch2)) =
        (decode_hs(&payload), decode_hs(fragment_of(&second[1].1)))
    else {
        panic!("two ClientHellos")
    };
    assert_eq!(ch1.random, ch2.random);
    assert_eq!(ch1.session_id.0, ch2.session_id.0);
    assert_eq!(ch1.cipher_suites, ch2.cipher_suites);
    let share_of = |ch: &spectls::wire::ClientHello<'_>| {
        ch.extensions
            .as_deref()
            .unwrap()
            .iter()
            .find_map(|e| match e {
                Extension::KeyShare(KeyShare::ClientHello(k)) => {
                    Some(k.client_shares.iter().map(|s| s.group).collect::<Vec<_>>())
                }
                _ => None,
            })
            .unwrap()
    };
    assert_eq!(share_of(&ch1), [NamedCurve::X25519]);
    assert_eq!(share_of(&ch2), [NamedCurve::Secp256r1]);
    feed(&mut s, &second.concat_records()).unwrap();
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(c.negotiated_group(), Some(NamedCurve::Secp256r1));
    assert_eq!(s.negotiated_group(), Some(NamedCurve::Secp256r1));
    exchange(&mut c, &mut s);
}

/// A HelloRetryRequest record for `client_hello` (its session ID echoed) asking for `group`.
fn hello_retry_request(client_hello: &[u8], group: Option<NamedCurve>) -> Vec<u8> {
    let payload = handshake_payload(client_hello);
    let Handshake::ClientHello(ch) = decode_hs(&payload) else {
        panic!("ClientHello")
    };
    let mut extensions = vec![Extension::SupportedVersions(
        SupportedVersions::ServerHello {
            selected_version: TLS13,
        },
    )];
    if let Some(selected_group) = group {
        extensions.push(Extension::KeyShare(KeyShare::ServerHello(
            KeyShareServer::True(KeyShareHelloRetryRequest { selected_group }),
        )));
    }
    let [a, b, c, d, rest @ ..] = HELLO_RETRY_REQUEST;
    hs_record(&Handshake::ServerHello(ServerHello {
        server_version: TLS12,
        random: spectls::wire::Random {
            gmt_unix_time: u32::from_be_bytes([a, b, c, d]),
            random_bytes: rest,
        },
        session_id: ch.session_id.clone(),
        cipher_suite: suites::TLS13_AES_128_GCM_SHA256.suite,
        compression_method: spectls::wire::CompressionMethod::Null,
        extensions: Some(extensions),
    }))
}

#[test]
fn a_retry_request_that_changes_nothing_or_asks_twice_is_refused() {
    // Asking for the group the client already sent a share for, or for nothing at all.
    for group in [Some(NamedCurve::X25519), None] {
        let mut c = spectls::ClientConnection::new(
            Arc::new(client13(|b| b)),
            "localhost".try_into().unwrap(),
        )
        .unwrap();
        let hello = drain(&mut c);
        let got = feed(&mut c, &hello_retry_request(&hello, group));
        let want = match group {
            Some(_) => unoffered("HelloRetryRequest group"),
            None => Error::PeerMisbehaved(PeerMisbehaved::Other(
                "HelloRetryRequest that changes nothing",
            )),
        };
        failed_in_clear(&mut c, got, want, A::IllegalParameter);
    }
    // A group the client never offered.
    let mut c = spectls::ClientConnection::new(
        Arc::new(client13(|b| b.with_groups(&[NamedCurve::X25519]))),
        "localhost".try_into().unwrap(),
    )
    .unwrap();
    let hello = drain(&mut c);
    let got = feed(
        &mut c,
        &hello_retry_request(&hello, Some(NamedCurve::Secp384r1)),
    );
    failed_in_clear(
        &mut c,
        got,
        unoffered("HelloRetryRequest group"),
        A::IllegalParameter,
    );
    // A second HelloRetryRequest (RFC 8446 4.1.4: unexpected_message).
    let client = client13(|b| b.with_groups(&[NamedCurve::X25519, NamedCurve::Secp256r1]));
    let mut c =
        spectls::ClientConnection::new(Arc::new(client), "localhost".try_into().unwrap()).unwrap();
    let hello = drain(&mut c);
    feed(
        &mut c,
        &hello_retry_request(&hello, Some(NamedCurve::Secp256r1)),
    )
    .unwrap();
    drain(&mut c);
    let got = feed(
        &mut c,
        &hello_retry_request(&hello, Some(NamedCurve::Secp256r1)),
    );
    let err = got.clone().unwrap_err();
    assert!(
        matches!(&err, Error::UnexpectedMessage { got, .. } if got == "a second HelloRetryRequest"),
        "{err:?}"
    );
    failed_in_clear(&mut c, got, err, A::UnexpectedMessage);
}

// ---------------------------------------------------------------------------------------------
// Version negotiation and the downgrade sentinel (RFC 8446 4.1.3, 4.2.1)

/// The last 8 bytes of the server random in the first record of `flight`.
fn server_random_tail(flight: &[u8]) -> [u8; 8] {
    let msgs = handshake_messages(flight);
    let Handshake::ServerHello(sh) = decode_hs(&msgs[0]) else {
        panic!("ServerHello")
    };
    random_of(&sh.random)[24..].try_into().unwrap()
}

#[test]
fn a_tls13_server_negotiating_tls12_says_so_in_its_random() {
    // A TLS 1.2-only client and a server that could do 1.3: the sentinel.
    let server = server_builder(false)
        .with_protocol_versions(&[TLS13, TLS12])
        .build()
        .unwrap();
    let (mut c, mut s) = pair(client_config(), server);
    transfer(&mut c, &mut s).unwrap();
    let flight = drain(&mut s);
    assert_eq!(&server_random_tail(&flight), b"DOWNGRD\x01");
    feed(&mut c, &flight).unwrap();
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(c.protocol_version(), Some(TLS12));
    // A server that cannot do 1.3 leaves its random alone, and a 1.3 client takes 1.2 from it.
    let (mut c, mut s) = pair(
        client13(|b| b.with_protocol_versions(&[TLS13, TLS12])),
        server_config(false),
    );
    transfer(&mut c, &mut s).unwrap();
    let flight = drain(&mut s);
    assert_ne!(&server_random_tail(&flight), b"DOWNGRD\x01");
    feed(&mut c, &flight).unwrap();
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(c.protocol_version(), Some(TLS12));
    assert_eq!(s.protocol_version(), Some(TLS12));
    exchange(&mut c, &mut s);
}

/// `hello` with supported_versions (and key_share) taken out, as a downgrading attacker would.
fn strip_tls13(hello: &[u8]) -> Vec<u8> {
    let mut msg = handshake_payload(hello);
    let Handshake::ClientHello(mut ch) = decode_hs(&msg).clone() else {
        panic!("ClientHello")
    };
    ch.extensions
        .as_mut()
        .unwrap()
        .retain(|e| !matches!(e, Extension::SupportedVersions(_) | Extension::KeyShare(_)));
    msg = Handshake::ClientHello(ch).to_vec();
    frame(ContentType::Handshake, &msg)
}

#[test]
fn a_client_that_offered_tls13_refuses_a_downgraded_server_hello() {
    let client = client13(|b| b.with_protocol_versions(&[TLS13, TLS12]));
    let server = server_builder(false)
        .with_protocol_versions(&[TLS13, TLS12])
        .build()
        .unwrap();
    let (mut c, mut s) = pair(client, server);
    let hello = drain(&mut c);
    feed(&mut s, &strip_tls13(&hello)).unwrap();
    let flight = drain(&mut s);
    assert_eq!(&server_random_tail(&flight), b"DOWNGRD\x01");
    let got = feed(&mut c, &flight);
    failed_in_clear(
        &mut c,
        got,
        Error::PeerMisbehaved(PeerMisbehaved::Other(
            "TLS 1.3 downgrade sentinel in a TLS 1.2 ServerHello",
        )),
        A::IllegalParameter,
    );
}

#[test]
fn versions_with_nothing_in_common_are_protocol_version() {
    // A 1.3-only client and a 1.2-only server.
    let (mut c, mut s) = pair(client13(|b| b), server_config(false));
    let hello = drain(&mut c);
    let got = feed(&mut s, &hello);
    let alert = failed_in_clear(
        &mut s,
        got,
        Error::PeerIncompatible(PeerIncompatible::UnsupportedVersion),
        A::ProtocolVersion,
    );
    receives_alert(&mut c, &alert, A::ProtocolVersion);
    // A 1.2-only client and a 1.3-only server.
    let (mut c, mut s) = pair(client_config(), server13(false, |b| b));
    let hello = drain(&mut c);
    let got = feed(&mut s, &hello);
    failed_in_clear(
        &mut s,
        got,
        Error::PeerIncompatible(PeerIncompatible::UnsupportedVersion),
        A::ProtocolVersion,
    );
    // A 1.3-only client answered with a TLS 1.2 ServerHello (no supported_versions).
    let mut c =
        spectls::ClientConnection::new(Arc::new(client13(|b| b)), "localhost".try_into().unwrap())
            .unwrap();
    let hello = drain(&mut c);
    let sh = server_hello_to(
        &hello,
        suites::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256.suite,
        vec![],
    );
    let got = feed(&mut c, &sh);
    failed_in_clear(
        &mut c,
        got,
        Error::PeerIncompatible(PeerIncompatible::UnsupportedVersion),
        A::ProtocolVersion,
    );
}

/// A ServerHello record answering the ClientHello record `hello`: its random and session ID
/// echoed, `suite`, `extensions`.
fn server_hello_to(
    hello: &[u8],
    suite: spectls::wire::CipherSuite,
    extensions: Vec<Extension<'_>>,
) -> Vec<u8> {
    let payload = handshake_payload(hello);
    let Handshake::ClientHello(ch) = decode_hs(&payload) else {
        panic!("ClientHello")
    };
    hs_record(&Handshake::ServerHello(ServerHello {
        server_version: TLS12,
        random: ch.random.clone(),
        session_id: ch.session_id.clone(),
        cipher_suite: suite,
        compression_method: spectls::wire::CompressionMethod::Null,
        extensions: Some(extensions),
    }))
}

#[test]
fn a_server_hello_selecting_tls12_in_supported_versions_is_illegal_parameter() {
    let mut c =
        spectls::ClientConnection::new(Arc::new(client13(|b| b)), "localhost".try_into().unwrap())
            .unwrap();
    let hello = drain(&mut c);
    let sh = server_hello_to(
        &hello,
        suites::TLS13_AES_128_GCM_SHA256.suite,
        vec![Extension::SupportedVersions(
            SupportedVersions::ServerHello {
                selected_version: TLS12,
            },
        )],
    );
    let got = feed(&mut c, &sh);
    failed_in_clear(&mut c, got, unoffered("version"), A::IllegalParameter);
}

// ---------------------------------------------------------------------------------------------
// The server's checks of a TLS 1.3 ClientHello

/// A real TLS 1.3 ClientHello (offering 1.3 and 1.2, the classical groups: one X25519
/// share), edited. (The hybrid shares' checks are in tests/pq.rs.)
fn client_hello13(edit: impl FnOnce(&mut spectls::wire::ClientHello<'_>)) -> Vec<u8> {
    let mut c = spectls::ClientConnection::new(
        Arc::new(client13(|b| {
            b.with_protocol_versions(&[TLS13, TLS12])
                .with_groups(CLASSICAL_GROUPS)
        })),
        "localhost".try_into().unwrap(),
    )
    .unwrap();
    let msg = handshake_payload(&drain(&mut c));
    let Handshake::ClientHello(mut ch) = decode_hs(&msg).clone() else {
        panic!()
    };
    edit(&mut ch);
    hs_record(&Handshake::ClientHello(ch))
}

fn shares<'c, 'a>(ch: &'c mut spectls::wire::ClientHello<'a>) -> &'c mut Vec<KeyShareEntry<'a>> {
    exts(ch)
        .iter_mut()
        .find_map(|e| match e {
            Extension::KeyShare(KeyShare::ClientHello(k)) => Some(&mut k.client_shares),
            _ => None,
        })
        .unwrap()
}

fn server_both() -> ServerConfig {
    server_builder(false)
        .with_protocol_versions(&[TLS13, TLS12])
        .build()
        .unwrap()
}

#[test]
fn a_client_hello_missing_a_mandatory_extension_is_missing_extension() {
    for (name, ty) in [
        ("signature_algorithms", 13u16),
        ("supported_groups", 10),
        ("key_share", 51),
    ] {
        let record = client_hello13(|ch| exts(ch).retain(|e| e.selector().value() != ty));
        server_refuses(
            server_both(),
            &record,
            Error::PeerMisbehaved(PeerMisbehaved::MissingExtension(name)),
            A::MissingExtension,
        );
    }
}

#[test]
fn illegal_client_key_shares_are_illegal_parameter() {
    let other = |why| Error::PeerMisbehaved(PeerMisbehaved::Other(why));
    let bad_share = Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare);
    // An X25519 point of small order: the shared secret is all zeros (RFC 7748 6.1).
    static X25519_LOW_ORDER: [u8; 32] = [0u8; 32];
    let mut off_curve = vec![4u8];
    off_curve.extend_from_slice(&[1u8; 64]);
    type Edit = Box<dyn Fn(&mut spectls::wire::ClientHello<'_>)>;
    let cases: Vec<(Edit, Error)> = vec![
        (
            Box::new(|ch| {
                let s = shares(ch)[0].clone();
                shares(ch).push(s);
            }),
            other("two key shares for one group"),
        ),
        (
            Box::new(|ch| {
                exts(ch).iter_mut().for_each(|e| {
                    if let Extension::EllipticCurves(g) = e {
                        g.named_curve_list.retain(|g| *g != NamedCurve::X25519);
                    }
                })
            }),
            other("key share for a group not in supported_groups"),
        ),
        (
            Box::new(|ch| shares(ch)[0].key_exchange = &X25519_LOW_ORDER),
            bad_share.clone(),
        ),
        (
            Box::new(|ch| shares(ch)[0].key_exchange = &[9u8; 31]),
            bad_share.clone(),
        ),
    ];
    for (i, (edit, want)) in cases.into_iter().enumerate() {
        let record = client_hello13(|ch| edit(ch));
        let (mut s, got) = offer(server_both(), &record);
        assert!(got.is_err(), "case {i}: {want:?}");
        failed_in_clear(&mut s, got, want, A::IllegalParameter);
    }
    // An off-curve P-256 point as the only share.
    let off: &'static [u8] = Box::leak(off_curve.into_boxed_slice());
    let record = client_hello13(|ch| {
        *shares(ch) = vec![KeyShareEntry {
            group: NamedCurve::Secp256r1,
            key_exchange: off,
        }]
    });
    server_refuses(server_both(), &record, bad_share, A::IllegalParameter);
    // Compression methods other than exactly null.
    let record = client_hello13(|ch| {
        ch.compression_methods
            .push(spectls::wire::CompressionMethod::from_value(1))
    });
    server_refuses(
        server_both(),
        &record,
        other("legacy_compression_methods is not exactly null"),
        A::IllegalParameter,
    );
}

#[test]
fn a_client_hello_with_only_other_groups_shares_gets_a_retry_and_no_group_is_handshake_failure() {
    // Supported groups in common but no share: a retry (tested in full above).
    let record = client_hello13(|ch| {
        *shares(ch) = Vec::new();
    });
    let (mut s, got) = offer(server_both(), &record);
    got.unwrap();
    let flight = split_records(&drain(&mut s));
    let Handshake::ServerHello(sh) = decode_hs(fragment_of(&flight[0].1)) else {
        panic!()
    };
    assert_eq!(random_of(&sh.random), HELLO_RETRY_REQUEST);
    // No group in common.
    let server = server_builder(false)
        .with_protocol_versions(&[TLS13])
        .with_groups(&[NamedCurve::Secp384r1])
        .build()
        .unwrap();
    let record = client_hello13(|ch| {
        *shares(ch) = Vec::new();
        exts(ch).iter_mut().for_each(|e| {
            if let Extension::EllipticCurves(g) = e {
                g.named_curve_list = vec![NamedCurve::X25519];
            }
        })
    });
    server_refuses(
        server,
        &record,
        Error::PeerIncompatible(PeerIncompatible::NoGroupInCommon),
        A::HandshakeFailure,
    );
}

// ---------------------------------------------------------------------------------------------
// The client's checks of the server's protected flight

/// A client and server after the server's first flight, with the server's handshake epoch for
/// re-sealing it: (client, server, the flight's records, server-handshake epoch, suite).
struct ServerFlight {
    c: spectls::ClientConnection,
    s: spectls::ServerConnection,
    hello: Vec<u8>,
    /// The protected records' handshake messages, opened.
    messages: Vec<Vec<u8>>,
    epoch: Epoch,
}

fn server_flight(
    edit_client: impl FnOnce(spectls::ClientConfigBuilder) -> spectls::ClientConfigBuilder,
    server: ServerConfig,
    secrets: Arc<Secrets>,
) -> ServerFlight {
    let (mut c, mut s) = pair(client13(edit_client), server);
    transfer(&mut c, &mut s).unwrap();
    let flight = split_records(&drain(&mut s));
    let suite: &SupportedCipherSuite = &suites::TLS13_AES_128_GCM_SHA256;
    let mut epoch = Epoch::new(suite, &secrets.get("SERVER_HANDSHAKE_TRAFFIC_SECRET"));
    let mut messages = Vec::new();
    for (t, r) in &flight[2..] {
        assert_eq!(*t, ContentType::ApplicationData);
        let (typ, content) = epoch.open(r);
        assert_eq!(typ, ContentType::Handshake);
        messages.extend(messages13(&content));
    }
    ServerFlight {
        c,
        s,
        hello: flight[..2].to_vec().concat_records(),
        messages,
        epoch: Epoch::new(suite, &secrets.get("SERVER_HANDSHAKE_TRAFFIC_SECRET")),
    }
}

/// No tickets: the tests that seal records under the server's traffic secret count them from
/// the handshake on.
fn logging_server(secrets: &Arc<Secrets>) -> ServerConfig {
    server13(false, |b| {
        b.with_key_log(secrets.clone()).with_tls13_tickets(0)
    })
}

impl ServerFlight {
    /// Gives the client the ServerHello and the protected `messages` (each in its own record).
    fn deliver(&mut self, messages: &[Vec<u8>]) -> Result<spectls::IoState, Error> {
        let mut bytes = self.hello.clone();
        for m in messages {
            bytes.extend(self.epoch.seal(ContentType::Handshake, m));
        }
        feed(&mut self.c, &bytes)
    }
}

#[test]
fn the_genuine_flight_resealed_completes() {
    let secrets = Arc::new(Secrets::default());
    let mut f = server_flight(|b| b, logging_server(&secrets), secrets.clone());
    let kinds: Vec<u8> = f.messages.iter().map(|m| m[0]).collect();
    assert_eq!(
        kinds,
        [8, 11, 15, 20],
        "EE, Certificate, CertificateVerify, Finished"
    );
    let msgs = f.messages.clone();
    f.deliver(&msgs).unwrap();
    assert!(!f.c.is_handshaking());
    transfer(&mut f.c, &mut f.s).unwrap();
    assert!(!f.s.is_handshaking());
}

#[test]
fn tampered_finished_and_certificate_verify_are_decrypt_error() {
    for (index, want) in [
        (3, Error::PeerMisbehaved(PeerMisbehaved::BadFinished)),
        (2, Error::PeerMisbehaved(PeerMisbehaved::BadSignature)),
    ] {
        let secrets = Arc::new(Secrets::default());
        let mut f = server_flight(|b| b, logging_server(&secrets), secrets.clone());
        let mut msgs = f.messages.clone();
        let last = msgs[index].len() - 1;
        msgs[index][last] ^= 1;
        let got = f.deliver(&msgs);
        let err = got.clone().unwrap_err();
        assert_eq!(err, want);
        check_error(&mut f.c, got, &want, A::DecryptError);
        // The compatibility CCS (sent once the ServerHello was read), then the alert,
        // protected under the client's handshake key.
        let out = split_records(&drain(&mut f.c));
        assert_eq!(
            types_of(&out),
            [ContentType::ChangeCipherSpec, ContentType::ApplicationData]
        );
        let out = &out[1..];
        let mut client_epoch = Epoch::new(
            &suites::TLS13_AES_128_GCM_SHA256,
            &secrets.get("CLIENT_HANDSHAKE_TRAFFIC_SECRET"),
        );
        let (typ, alert) = client_epoch.open(&out[0].1);
        assert_eq!((typ, alert), (ContentType::Alert, vec![2, 51]));
    }
}

#[test]
fn a_flipped_ciphertext_bit_is_bad_record_mac() {
    let secrets = Arc::new(Secrets::default());
    let (mut c, mut s) = pair(client13(|b| b), logging_server(&secrets));
    transfer(&mut c, &mut s).unwrap();
    let mut flight = drain(&mut s);
    let n = flight.len();
    flight[n - 3] ^= 0x80;
    let got = feed(&mut c, &flight);
    check_error(&mut c, got, &Error::BadRecordMac, A::BadRecordMac);
}

/// A minimal TLS 1.3 message of each type a server could send out of place.
fn server_messages() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "EncryptedExtensions",
            encode13(&Hs13::EncryptedExtensions(EncryptedExtensions {
                extensions: Vec::new(),
            })),
        ),
        (
            "Certificate",
            encode13(&Hs13::Certificate(Certificate {
                certificate_request_context: &[],
                certificate_list: Vec::new(),
            })),
        ),
        (
            "CertificateVerify",
            encode13(&Hs13::CertificateVerify(CertificateVerify {
                algorithm: SignatureScheme::EcdsaSecp256r1Sha256,
                signature: &[0; 70],
            })),
        ),
        (
            "Finished",
            encode13(&Hs13::Finished(Finished {
                verify_data: &[0; 32],
            })),
        ),
        (
            "KeyUpdate",
            encode13(&Hs13::KeyUpdate(KeyUpdate {
                request_update: KeyUpdateRequest::UpdateNotRequested,
            })),
        ),
        // A TLS 1.2 message: no TLS 1.3 state takes it.
        ("ServerHelloDone", vec![14, 0, 0, 0]),
    ]
}

#[test]
fn every_out_of_place_server_message_is_unexpected_message_in_every_state() {
    let table = spectls::internal::tables::client13_transitions();
    let states = [
        "ExpectEncryptedExtensions",
        "ExpectCertificateOrCertificateRequest",
        "ExpectCertificateVerify",
        "ExpectFinished",
    ];
    let mut checked = 0;
    for (at, state) in states.iter().enumerate() {
        for (name, msg) in server_messages() {
            let allowed = table
                .iter()
                .any(|t| t.from == *state && t.on.to_string() == name);
            if allowed {
                continue;
            }
            let secrets = Arc::new(Secrets::default());
            let mut f = server_flight(|b| b, logging_server(&secrets), secrets.clone());
            let mut msgs = f.messages[..at].to_vec();
            msgs.push(msg);
            let got = f.deliver(&msgs);
            let err = got.clone().unwrap_err();
            assert!(
                matches!(&err, Error::UnexpectedMessage { state: s, .. } if s == state),
                "{state} {name}: {err:?}"
            );
            check_error(&mut f.c, got, &err, A::UnexpectedMessage);
            checked += 1;
        }
    }
    assert!(checked >= 15, "{checked}");
}

#[test]
fn a_protected_change_cipher_spec_and_one_after_the_handshake_are_unexpected() {
    // Inside the encryption (RFC 8446 5).
    let secrets = Arc::new(Secrets::default());
    let mut f = server_flight(|b| b, logging_server(&secrets), secrets.clone());
    let mut bytes = f.hello.clone();
    bytes.extend(f.epoch.seal(ContentType::ChangeCipherSpec, &[1]));
    let got = feed(&mut f.c, &bytes);
    let err = got.clone().unwrap_err();
    assert!(
        matches!(&err, Error::UnexpectedMessage { got, .. } if got == "protected ChangeCipherSpec")
    );
    check_error(&mut f.c, got, &err, A::UnexpectedMessage);
    // In the clear once the handshake is over.
    let (mut c, mut s) = connected13();
    let got = feed(&mut c, &frame(ContentType::ChangeCipherSpec, &[1]));
    let err = got.clone().unwrap_err();
    assert!(matches!(err, Error::UnexpectedMessage { .. }), "{err:?}");
    check_error(&mut c, got, &err, A::UnexpectedMessage);
    // An unprotected alert once the handshake is over.
    let got = feed(
        &mut s,
        &frame(ContentType::Alert, &[2, A::HandshakeFailure.value()]),
    );
    let err = got.clone().unwrap_err();
    assert!(matches!(&err, Error::UnexpectedMessage { got, .. } if got == "unprotected alert"));
}

// ---------------------------------------------------------------------------------------------
// Client authentication (RFC 8446 4.3.2, 4.4.2)

#[test]
fn client_authentication_required_optional_and_refused() {
    let (chain, key, roots) = client_identity();
    // Required, presented.
    let server = server13(false, |b| {
        b.with_client_cert_verifier(client_verifier(roots.clone(), false))
    });
    let client = client13(|b| {
        b.with_client_auth_cert(chain.clone(), key.clone_key())
            .unwrap()
    });
    let (mut c, mut s) = pair(client, server);
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(s.peer_certificates().unwrap()[0], chain[0]);
    exchange(&mut c, &mut s);
    // Optional, none: an empty Certificate, and the handshake completes.
    let server = server13(false, |b| {
        b.with_client_cert_verifier(client_verifier(roots.clone(), true))
    });
    let (mut c, mut s) = pair(client13(|b| b), server);
    handshake(&mut c, &mut s).unwrap();
    assert!(s.peer_certificates().is_none());
    exchange(&mut c, &mut s);
    // Required, none: certificate_required.
    let server = server13(false, |b| {
        b.with_client_cert_verifier(client_verifier(roots, false))
    });
    let (mut c, mut s) = pair(client13(|b| b), server);
    transfer(&mut c, &mut s).unwrap();
    transfer(&mut s, &mut c).unwrap();
    let got = feed(&mut s, &drain(&mut c));
    check_error(
        &mut s,
        got,
        &Error::PeerIncompatible(PeerIncompatible::CertificateRequired),
        A::CertificateRequired,
    );
    receives_alert(&mut c, &drain(&mut s), A::CertificateRequired);
}

// ---------------------------------------------------------------------------------------------
// After the handshake: KeyUpdate, exports, key log

#[test]
fn key_updates_both_ways_keep_data_flowing() {
    let (mut c, mut s) = connected13();
    for round in 0..3 {
        c.refresh_traffic_keys().unwrap();
        c.writer().write_all(b"after our update").unwrap();
        transfer(&mut c, &mut s).unwrap();
        assert_eq!(read_all(&mut s), b"after our update", "round {round}");
        // The server answered update_requested with its own KeyUpdate.
        s.writer().write_all(b"after its update").unwrap();
        transfer(&mut s, &mut c).unwrap();
        assert_eq!(read_all(&mut c), b"after its update");
        s.refresh_traffic_keys().unwrap();
        transfer(&mut s, &mut c).unwrap();
        transfer(&mut c, &mut s).unwrap();
        s.writer().write_all(b"x").unwrap();
        transfer(&mut s, &mut c).unwrap();
        assert_eq!(read_all(&mut c), b"x");
    }
    exchange(&mut c, &mut s);
}

#[test]
fn a_key_update_is_answered_once_and_a_flood_is_refused() {
    let secrets = Arc::new(Secrets::default());
    let (mut c, mut s) = pair(client13(|b| b), logging_server(&secrets));
    handshake(&mut c, &mut s).unwrap();
    let suite = &suites::TLS13_AES_128_GCM_SHA256;
    let mut server_secret = spectls::crypto::key_schedule::Secret::from_bytes(
        suite.hash,
        &secrets.get("SERVER_TRAFFIC_SECRET_0"),
    );
    let key_update = |request| {
        encode13(&Hs13::KeyUpdate(KeyUpdate {
            request_update: request,
        }))
    };
    // One update_requested: the client answers with exactly one KeyUpdate.
    let mut epoch = Epoch::new(suite, server_secret.as_bytes());
    feed(
        &mut c,
        &epoch.seal(
            ContentType::Handshake,
            &key_update(KeyUpdateRequest::UpdateRequested),
        ),
    )
    .unwrap();
    let mut client_epoch = Epoch::new(suite, &secrets.get("CLIENT_TRAFFIC_SECRET_0"));
    let answer = split_records(&drain(&mut c));
    assert_eq!(answer.len(), 1);
    let (typ, msg) = client_epoch.open(&answer[0].1);
    assert_eq!(typ, ContentType::Handshake);
    assert_eq!(msg, key_update(KeyUpdateRequest::UpdateNotRequested));
    // A second request before we sent any application data: answered by the first answer.
    server_secret = server_secret.next_traffic_secret().unwrap();
    let mut epoch = Epoch::new(suite, server_secret.as_bytes());
    feed(
        &mut c,
        &epoch.seal(
            ContentType::Handshake,
            &key_update(KeyUpdateRequest::UpdateRequested),
        ),
    )
    .unwrap();
    assert!(drain(&mut c).is_empty(), "requests together get one answer");
    // Application data from us, then a request: answered again, under our next key.
    c.writer().write_all(b"data").unwrap();
    let client_secret = spectls::crypto::key_schedule::Secret::from_bytes(
        suite.hash,
        &secrets.get("CLIENT_TRAFFIC_SECRET_0"),
    )
    .next_traffic_secret()
    .unwrap();
    let mut client_epoch = Epoch::new(suite, client_secret.as_bytes());
    assert_eq!(
        client_epoch.open(&split_records(&drain(&mut c))[0].1),
        (ContentType::ApplicationData, b"data".to_vec())
    );
    server_secret = server_secret.next_traffic_secret().unwrap();
    let mut epoch = Epoch::new(suite, server_secret.as_bytes());
    feed(
        &mut c,
        &epoch.seal(
            ContentType::Handshake,
            &key_update(KeyUpdateRequest::UpdateRequested),
        ),
    )
    .unwrap();
    let answer = split_records(&drain(&mut c));
    assert_eq!(answer.len(), 1);
    assert_eq!(
        client_epoch.open(&answer[0].1),
        (
            ContentType::Handshake,
            key_update(KeyUpdateRequest::UpdateNotRequested)
        )
    );
    // More without application data from the server in between: the 33rd post-handshake
    // message in a row (3 above, 30 here) is refused.
    let mut got = Err(Error::ConnectionClosed);
    for i in 0..33 {
        server_secret = server_secret.next_traffic_secret().unwrap();
        let mut epoch = Epoch::new(suite, server_secret.as_bytes());
        got = feed(
            &mut c,
            &epoch.seal(
                ContentType::Handshake,
                &key_update(KeyUpdateRequest::UpdateNotRequested),
            ),
        );
        if i < 29 {
            got.clone().unwrap_or_else(|e| panic!("update {i}: {e:?}"));
        } else if i == 29 {
            assert!(got.is_err(), "the 33rd in a row");
            break;
        }
    }
    let want = Error::PeerMisbehaved(PeerMisbehaved::TooManyRenegotiationRequests);
    check_error(&mut c, got, &want, A::UnexpectedMessage);
}

#[test]
fn exports_agree_and_an_empty_context_is_no_context() {
    let (c, s) = connected13();
    let a = c
        .export_keying_material([0u8; 32], b"EXPORTER-test", None)
        .unwrap();
    let b = s
        .export_keying_material([0u8; 32], b"EXPORTER-test", None)
        .unwrap();
    assert_eq!(a, b);
    let empty = c
        .export_keying_material([0u8; 32], b"EXPORTER-test", Some(&[]))
        .unwrap();
    assert_eq!(a, empty, "RFC 8446 7.5: no context is an empty one");
    let other = c
        .export_keying_material([0u8; 32], b"EXPORTER-test", Some(b"ctx"))
        .unwrap();
    assert_ne!(a, other);
    let (c2, _) = connected13();
    assert_ne!(
        a,
        c2.export_keying_material([0u8; 32], b"EXPORTER-test", None)
            .unwrap()
    );
}

#[test]
fn both_sides_log_the_five_tls13_secrets_and_agree() {
    let (cs, ss) = (Arc::new(Secrets::default()), Arc::new(Secrets::default()));
    let (mut c, mut s) = pair(
        client13(|b| b.with_key_log(cs.clone())),
        server13(false, |b| b.with_key_log(ss.clone())),
    );
    handshake(&mut c, &mut s).unwrap();
    let labels = [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0",
        "SERVER_TRAFFIC_SECRET_0",
        "EXPORTER_SECRET",
    ];
    assert_eq!(cs.labels(), labels);
    assert_eq!(ss.labels(), labels);
    for l in labels {
        assert_eq!(cs.get(l), ss.get(l), "{l}");
        assert_eq!(cs.get(l).len(), 32, "SHA-256 suite");
    }
    // The logged secret opens what the client sends.
    c.writer().write_all(b"secret").unwrap();
    let records = split_records(&drain(&mut c));
    let mut epoch = Epoch::new(
        &suites::TLS13_AES_128_GCM_SHA256,
        &cs.get("CLIENT_TRAFFIC_SECRET_0"),
    );
    assert_eq!(
        epoch.open(&records[0].1),
        (ContentType::ApplicationData, b"secret".to_vec())
    );
}

#[test]
fn alerts_other_than_close_notify_are_fatal_whatever_their_level() {
    let secrets = Arc::new(Secrets::default());
    let (mut c, mut s) = pair(client13(|b| b), logging_server(&secrets));
    handshake(&mut c, &mut s).unwrap();
    let mut epoch = Epoch::new(
        &suites::TLS13_AES_128_GCM_SHA256,
        &secrets.get("SERVER_TRAFFIC_SECRET_0"),
    );
    // A "warning" unrecognized_name (RFC 8446 6: the level is ignored).
    let got = feed(
        &mut c,
        &epoch.seal(ContentType::Alert, &[1, A::UnrecognizedName.value()]),
    );
    assert_eq!(got.unwrap_err(), Error::AlertReceived(A::UnrecognizedName));
    let _ = s;
}

#[test]
fn the_tls13_transcript_of_a_real_handshake_decodes_message_by_message() {
    // What the client received, opened with the logged secrets and decoded as TLS 1.3.
    let secrets = Arc::new(Secrets::default());
    let f = server_flight(|b| b, logging_server(&secrets), secrets.clone());
    let decoded: Vec<String> = f
        .messages
        .iter()
        .map(|m| format!("{:?}", decode13(m, 32).selector()))
        .collect();
    assert_eq!(
        decoded,
        [
            "EncryptedExtensions",
            "Certificate",
            "CertificateVerify",
            "Finished"
        ]
    );
    let Hs13::EncryptedExtensions(ee) = decode13(&f.messages[0], 32) else {
        panic!()
    };
    // server_name acknowledged, record_size_limit answered.
    assert_eq!(ee.extensions.len(), 2, "{ee:?}");
}

// ---------------------------------------------------------------------------------------------
// Extensions answered in TLS 1.3's places: ALPN and server_name in EncryptedExtensions, the
// stapled OCSP response in the leaf's CertificateEntry, record_size_limit counting the type.

#[test]
fn alpn_is_agreed_in_encrypted_extensions_or_refused() {
    let server = server13(false, |b| {
        b.with_alpn_protocols(vec![b"h2".to_vec(), b"http/1.1".to_vec()])
    });
    let client = client13(|b| b.with_alpn_protocols(vec![b"http/1.1".to_vec()]));
    let (mut c, mut s) = pair(client, server.clone());
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(c.alpn_protocol(), Some(&b"http/1.1"[..]));
    assert_eq!(s.alpn_protocol(), Some(&b"http/1.1"[..]));
    let client = client13(|b| b.with_alpn_protocols(vec![b"spdy/1".to_vec()]));
    let (mut c, mut s) = pair(client, server);
    let hello = drain(&mut c);
    let got = feed(&mut s, &hello);
    let alert = failed_in_clear(
        &mut s,
        got,
        Error::PeerIncompatible(PeerIncompatible::NoApplicationProtocol),
        A::NoApplicationProtocol,
    );
    receives_alert(&mut c, &alert, A::NoApplicationProtocol);
}

#[test]
fn the_ocsp_response_is_stapled_to_the_leaf_entry() {
    let server = ServerConfig::builder()
        .with_protocol_versions(&[TLS13])
        .with_single_cert_with_ocsp(
            spectls::pki::certs_from_pem(ECDSA_CHAIN).unwrap(),
            spectls::pki::private_key_from_pem(ECDSA_KEY).unwrap(),
            OCSP_ECDSA.to_vec(),
        )
        .unwrap()
        .build()
        .unwrap();
    let (mut c, mut s) = pair(client13(|b| b), server.clone());
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(c.ocsp_response(), Some(OCSP_ECDSA));
    // Not asked for, not sent.
    let (mut c, mut s) = pair(client13(|b| b.enable_ocsp_stapling(false)), server);
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(c.ocsp_response(), None);
}

#[test]
fn a_small_record_size_limit_bounds_every_protected_record_the_server_sends() {
    // The client asks for records of at most 64 bytes of inner plaintext (RFC 8449 4: content
    // type included, so 63 bytes of content).
    let record = client_hello13(|ch| {
        exts(ch).iter_mut().for_each(|e| {
            if let Extension::RecordSizeLimit(l) = e {
                l.0 = 64;
            }
        })
    });
    let (mut s, got) = offer(server13(false, |b| b), &record);
    got.unwrap();
    s.writer().write_all(&[7u8; 1000]).unwrap();
    let records = split_records(&drain(&mut s));
    let tag = 16;
    for (t, r) in &records[2..] {
        assert_eq!(*t, ContentType::ApplicationData);
        assert!(fragment_of(r).len() <= 64 + tag, "{}", fragment_of(r).len());
    }
    // The certificate alone takes more than one record at this size.
    assert!(records.len() > 10, "{}", records.len());
}

#[test]
fn a_server_hello_after_a_retry_must_still_select_tls13() {
    let client = client13(|b| b.with_groups(&[NamedCurve::X25519, NamedCurve::Secp256r1]));
    let mut c =
        spectls::ClientConnection::new(Arc::new(client), "localhost".try_into().unwrap()).unwrap();
    let hello = drain(&mut c);
    feed(
        &mut c,
        &hello_retry_request(&hello, Some(NamedCurve::Secp256r1)),
    )
    .unwrap();
    let second = split_records(&drain(&mut c));
    let Handshake::ClientHello(ch2) = decode_hs(fragment_of(&second[1].1)) else {
        panic!()
    };
    let share = [4u8; 65];
    let sh = hs_record(&Handshake::ServerHello(ServerHello {
        server_version: TLS12,
        random: ch2.random.clone(),
        session_id: ch2.session_id.clone(),
        cipher_suite: suites::TLS13_AES_128_GCM_SHA256.suite,
        compression_method: spectls::wire::CompressionMethod::Null,
        // key_share only: supported_versions is missing.
        extensions: Some(vec![Extension::KeyShare(KeyShare::ServerHello(
            KeyShareServer::False(spectls::wire::KeyShareServerHello {
                server_share: KeyShareEntry {
                    group: NamedCurve::Secp256r1,
                    key_exchange: &share,
                },
            }),
        ))]),
    }));
    let got = feed(&mut c, &sh);
    failed_in_clear(
        &mut c,
        got,
        Error::PeerMisbehaved(PeerMisbehaved::Other(
            "ServerHello version differs from the HelloRetryRequest's",
        )),
        A::IllegalParameter,
    );
}

#[test]
fn handshake_data_after_a_retry_request_in_its_record_gets_only_the_alert() {
    // RFC 8446 5.1 / 4.1.4: the client answers a HelloRetryRequest, so nothing may follow it
    // in the flight; BoGo's PartialServerHelloWithHelloRetryRequest. No second ClientHello goes
    // out, only the alert.
    let client = client13(|b| b.with_groups(&[NamedCurve::X25519, NamedCurve::Secp256r1]));
    let mut c =
        spectls::ClientConnection::new(Arc::new(client), "localhost".try_into().unwrap()).unwrap();
    let hello = drain(&mut c);
    let hrr = hello_retry_request(&hello, Some(NamedCurve::Secp256r1));
    let mut payload = fragment_of(&hrr).to_vec();
    payload.extend_from_slice(&[2, 0, 0, 80, 3, 3]); // the start of a ServerHello
    let got = feed(&mut c, &frame(ContentType::Handshake, &payload));
    failed_in_clear(
        &mut c,
        got,
        Error::PeerMisbehaved(PeerMisbehaved::HandshakeFragmentation),
        A::UnexpectedMessage,
    );
}

// ---------------------------------------------------------------------------------------------
// The tables and progress: every 1.3 state ends on a close or end of stream

#[test]
fn the_tls13_tables_name_exactly_the_declared_states() {
    use spectls::internal::tables::*;
    for (table, declared) in [
        (client13_transitions(), client13_states()),
        (server13_transitions(), server13_states()),
    ] {
        let mut listed: Vec<&str> = Vec::new();
        for t in &table {
            for s in std::iter::once(&t.from).chain(&t.to) {
                if !listed.contains(s) {
                    listed.push(s);
                }
            }
        }
        let mut declared = declared;
        listed.sort_unstable();
        declared.sort_unstable();
        assert_eq!(listed, declared);
    }
}

#[test]
fn every_tls13_client_state_ends_on_close_notify_or_end_of_stream() {
    // After the ServerHello, and after each message of the protected flight but the last.
    for at in 0..4 {
        for eof in [false, true] {
            let secrets = Arc::new(Secrets::default());
            let mut f = server_flight(|b| b, logging_server(&secrets), secrets.clone());
            let msgs = f.messages[..at].to_vec();
            f.deliver(&msgs).unwrap();
            assert!(f.c.is_handshaking());
            let got = if eof {
                assert_eq!(f.c.read_tls(&mut &[][..]).unwrap(), 0);
                f.c.process_new_packets()
            } else {
                // A close_notify under the server's handshake key.
                let alert = f.epoch.seal(ContentType::Alert, &[1, 0]);
                feed(&mut f.c, &alert)
            };
            let want = if eof {
                Error::UnexpectedEof
            } else {
                Error::AlertReceived(A::CloseNotify)
            };
            assert_eq!(got.unwrap_err(), want, "after {at} messages");
            assert!(!f.c.wants_read(), "after {at}: no more reading");
            assert!(f.c.is_handshaking());
        }
    }
    // The server, after the ClientHello (waiting for the client's Finished).
    let (mut c, mut s) = pair(client13(|b| b), server13(false, |b| b));
    transfer(&mut c, &mut s).unwrap();
    assert_eq!(s.read_tls(&mut &[][..]).unwrap(), 0);
    assert_eq!(s.process_new_packets().unwrap_err(), Error::UnexpectedEof);
}

#[test]
fn the_second_client_hello_echoes_the_retry_cookie() {
    // RFC 8446 4.2.2: a HelloRetryRequest's cookie comes back in the second ClientHello.
    let mut c = spectls::ClientConnection::new(
        Arc::new(client13(|b| {
            b.with_groups(&[NamedCurve::X25519, NamedCurve::Secp256r1])
        })),
        "localhost".try_into().unwrap(),
    )
    .unwrap();
    let hello = drain(&mut c);
    let payload = handshake_payload(&hello_retry_request(&hello, None));
    let Handshake::ServerHello(mut hrr) = decode_hs(&payload).clone() else {
        panic!()
    };
    let cookie = [0x5a; 40];
    hrr.extensions
        .as_mut()
        .unwrap()
        .push(Extension::Cookie(spectls::wire::Cookie { cookie: &cookie }));
    feed(&mut c, &hs_record(&Handshake::ServerHello(hrr))).unwrap();
    let second = split_records(&drain(&mut c));
    let Handshake::ClientHello(ch2) = decode_hs(fragment_of(&second[1].1)) else {
        panic!()
    };
    let echoed = ch2
        .extensions
        .as_deref()
        .unwrap()
        .iter()
        .find_map(|e| match e {
            Extension::Cookie(c) => Some(c.cookie.to_vec()),
            _ => None,
        });
    assert_eq!(echoed, Some(cookie.to_vec()));
    // The key share did not change: the retry asked only for the cookie.
    let shares: Vec<_> = ch2
        .extensions
        .as_deref()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            Extension::KeyShare(KeyShare::ClientHello(k)) => {
                Some(k.client_shares.iter().map(|s| s.group).collect::<Vec<_>>())
            }
            _ => None,
        })
        .collect();
    assert_eq!(shares, [vec![NamedCurve::X25519]]);
}

#[test]
fn every_out_of_place_client_message_is_unexpected_message_in_every_server_state() {
    let table = spectls::internal::tables::server13_transitions();
    let suite = &suites::TLS13_AES_128_GCM_SHA256;
    let (chain, key, roots) = client_identity();
    let client_messages = || {
        let mut msgs = server_messages();
        msgs.push((
            "NewSessionTicket",
            encode13(&Hs13::NewSessionTicket(
                spectls::wire::tls13::NewSessionTicket {
                    ticket_lifetime: 1,
                    ticket_age_add: 2,
                    ticket_nonce: &[],
                    ticket: &[1],
                    extensions: Vec::new(),
                },
            )),
        ));
        msgs.push(("ClientHello", handshake_payload(&client_hello13(|_| {}))));
        msgs
    };
    let mut checked = 0;
    // (the server state, client auth asked, how many genuine client messages first)
    for (state, auth, genuine) in [
        ("ExpectFinished", false, 0),
        ("ExpectCertificate", true, 0),
        ("ExpectCertificateVerify", true, 1),
        ("ExpectFinished", true, 2),
    ] {
        for (name, msg) in client_messages() {
            let allowed = table
                .iter()
                .any(|t| t.from == state && t.on.to_string() == name);
            if allowed {
                continue;
            }
            let secrets = Arc::new(Secrets::default());
            let server = server13(false, |b| {
                let b = b.with_key_log(secrets.clone());
                if auth {
                    b.with_client_cert_verifier(client_verifier(roots.clone(), false))
                } else {
                    b
                }
            });
            let client = client13(|b| {
                b.with_client_auth_cert(chain.clone(), key.clone_key())
                    .unwrap()
            });
            let (mut c, mut s) = pair(client, server);
            transfer(&mut c, &mut s).unwrap();
            transfer(&mut s, &mut c).unwrap();
            // The client's genuine flight: CCS, then [Certificate, CertificateVerify], Finished.
            let flight = split_records(&drain(&mut c));
            let mut open = Epoch::new(suite, &secrets.get("CLIENT_HANDSHAKE_TRAFFIC_SECRET"));
            let mut msgs = Vec::new();
            for (t, r) in &flight[1..] {
                assert_eq!(*t, ContentType::ApplicationData);
                msgs.extend(messages13(&open.open(r).1));
            }
            let mut seal = Epoch::new(suite, &secrets.get("CLIENT_HANDSHAKE_TRAFFIC_SECRET"));
            let mut bytes = Vec::new();
            for m in msgs.iter().take(genuine).chain(std::iter::once(&msg)) {
                bytes.extend(seal.seal(ContentType::Handshake, m));
            }
            let got = feed(&mut s, &bytes);
            let err = got.clone().unwrap_err();
            assert!(
                matches!(&err, Error::UnexpectedMessage { state: st, .. } if st == &state),
                "{state} {name}: {err:?}"
            );
            check_error(&mut s, got, &err, A::UnexpectedMessage);
            checked += 1;
        }
    }
    assert!(checked >= 20, "{checked}");
}

#[test]
fn a_tls13_server_hello_without_key_share_is_missing_extension() {
    let mut c =
        spectls::ClientConnection::new(Arc::new(client13(|b| b)), "localhost".try_into().unwrap())
            .unwrap();
    let hello = drain(&mut c);
    let sh = server_hello_to(
        &hello,
        suites::TLS13_AES_128_GCM_SHA256.suite,
        vec![Extension::SupportedVersions(
            SupportedVersions::ServerHello {
                selected_version: TLS13,
            },
        )],
    );
    let got = feed(&mut c, &sh);
    failed_in_clear(
        &mut c,
        got,
        Error::PeerMisbehaved(PeerMisbehaved::MissingExtension("key_share")),
        A::MissingExtension,
    );
}

// ---------------------------------------------------------------------------------------------
// Resumption, the client side (issue 14 in progress): tickets from a rustls server

/// A rustls TLS 1.3 server (ECDSA certificate), issuing its default tickets.
fn rustls_tls13_server() -> Arc<rustls::ServerConfig> {
    let mut config = RustlsServer {
        tls13: true,
        ..RustlsServer::default()
    }
    .config();
    config.max_early_data_size = 0;
    Arc::new(config)
}

/// A spectls client connection and a rustls server connection through one handshake and a
/// little data each way (the tickets rustls sends after its Finished arrive with it).
fn connect_to_rustls(
    client: &Arc<ClientConfig>,
    server: &Arc<rustls::ServerConfig>,
) -> (spectls::ClientConnection, rustls::Connection) {
    let mut c =
        spectls::ClientConnection::new(client.clone(), "localhost".try_into().unwrap()).unwrap();
    let mut s = rustls_server_with(server);
    rustls_handshake(&mut s, &mut c);
    s.writer().write_all(b"ticket time").unwrap();
    feed(&mut c, &rustls_out(&mut s)).unwrap();
    assert_eq!(read_all(&mut c), b"ticket time");
    (c, s)
}

/// A session store that counts the TLS 1.3 tickets put in and taken out.
#[derive(Debug)]
struct CountingStore {
    inner: Arc<spectls::session::ClientSessionMemoryCache>,
    puts: std::sync::atomic::AtomicUsize,
    takes: std::sync::atomic::AtomicUsize,
}

impl spectls::session::StoresClientSessions for CountingStore {
    fn put(&self, name: &str, value: spectls::session::ClientSessionValue) {
        self.inner.put(name, value)
    }
    fn get(&self, name: &str) -> Option<spectls::session::ClientSessionValue> {
        self.inner.get(name)
    }
    fn remove(&self, name: &str) {
        self.inner.remove(name)
    }
    fn put_tls13(&self, name: &str, ticket: spectls::session::Tls13Ticket) {
        self.puts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.put_tls13(name, ticket)
    }
    fn take_tls13(&self, name: &str) -> Option<spectls::session::Tls13Ticket> {
        let t = self.inner.take_tls13(name);
        if t.is_some() {
            self.takes.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        t
    }
}

#[test]
fn tickets_from_a_rustls_server_are_kept_offered_once_and_resume() {
    use std::sync::atomic::Ordering::SeqCst;
    let store = Arc::new(CountingStore {
        inner: spectls::session::ClientSessionMemoryCache::new(16),
        puts: Default::default(),
        takes: Default::default(),
    });
    let client = Arc::new(client13(|b| b.with_session_storage(store.clone())));
    let server = rustls_tls13_server();
    let (c, s) = connect_to_rustls(&client, &server);
    assert!(!c.is_resumed());
    let rustls::Connection::Server(s) = s else {
        panic!()
    };
    assert_eq!(s.handshake_kind(), Some(rustls::HandshakeKind::Full));
    let tickets = store.puts.load(SeqCst);
    assert!(tickets >= 1, "rustls sends tickets after its Finished");
    assert_eq!(store.takes.load(SeqCst), 0);
    // Each connection takes one ticket out (single use, RFC 8446 C.4), resumes with it, and
    // keeps the fresh ones the server sends.
    for round in 1..=3 {
        let (c, s) = connect_to_rustls(&client, &server);
        let rustls::Connection::Server(s) = s else {
            panic!()
        };
        assert!(c.is_resumed(), "round {round}");
        assert_eq!(s.handshake_kind(), Some(rustls::HandshakeKind::Resumed));
        assert_eq!(c.protocol_version(), Some(TLS13));
        assert_eq!(store.takes.load(SeqCst), round);
        assert_eq!(store.puts.load(SeqCst), tickets * (round + 1));
        // The resumed connection reports the chain of the one the ticket came from.
        assert_eq!(c.peer_certificates().unwrap().len(), 2, "round {round}");
    }
}

/// A ServerHello record answering `hello` with TLS 1.3, a fresh X25519 share and `extra`.
fn tls13_server_hello_with(hello: &[u8], extra: Vec<Extension<'static>>) -> Vec<u8> {
    let kx = spectls::internal::KeyExchange::start(NamedCurve::X25519).unwrap();
    let share: &'static [u8] = Box::leak(kx.public_key().to_vec().into_boxed_slice());
    let mut exts = vec![
        Extension::KeyShare(KeyShare::ServerHello(KeyShareServer::False(
            spectls::wire::KeyShareServerHello {
                server_share: KeyShareEntry {
                    group: NamedCurve::X25519,
                    key_exchange: share,
                },
            },
        ))),
        Extension::SupportedVersions(SupportedVersions::ServerHello {
            selected_version: TLS13,
        }),
    ];
    exts.extend(extra);
    server_hello_to(hello, suites::TLS13_AES_128_GCM_SHA256.suite, exts)
}

#[test]
fn a_server_hello_choosing_a_psk_we_did_not_offer_is_refused() {
    use spectls::session::StoresClientSessions;
    use spectls::wire::PreSharedKeyExtension;
    let psk = |i| {
        Extension::PreSharedKey(PreSharedKeyExtension::ServerHello {
            selected_identity: i,
        })
    };
    // No ticket offered: the extension is unsolicited.
    let mut c =
        spectls::ClientConnection::new(Arc::new(client13(|b| b)), "localhost".try_into().unwrap())
            .unwrap();
    let hello = drain(&mut c);
    let got = feed(&mut c, &tls13_server_hello_with(&hello, vec![psk(0)]));
    failed_in_clear(
        &mut c,
        got,
        Error::PeerMisbehaved(PeerMisbehaved::UnsolicitedExtension(41)),
        A::UnsupportedExtension,
    );
    // One ticket offered, identity 1 chosen.
    let store = spectls::session::ClientSessionMemoryCache::new(4);
    store.put_tls13(
        "localhost",
        spectls::session::Tls13Ticket {
            ticket: vec![7; 40],
            psk: vec![9; 32].into(),
            suite: &suites::TLS13_AES_128_GCM_SHA256,
            lifetime: 3600,
            age_add: 12345,
            received_ms: spectls::internal::now() * 1000,
            peer_certificates: Vec::new(),
            max_early_data: 0,
            alpn: None,
        },
    );
    let client = client13(|b| b.with_session_storage(store.clone()));
    let mut c =
        spectls::ClientConnection::new(Arc::new(client), "localhost".try_into().unwrap()).unwrap();
    let hello = drain(&mut c);
    let payload = handshake_payload(&hello);
    let Handshake::ClientHello(ch) = decode_hs(&payload) else {
        panic!()
    };
    assert!(
        matches!(
            ch.extensions.as_deref().unwrap().last(),
            Some(Extension::PreSharedKey(_))
        ),
        "the ticket is offered, last"
    );
    assert!(store.take_tls13("localhost").is_none(), "and taken out");
    let got = feed(&mut c, &tls13_server_hello_with(&hello, vec![psk(1)]));
    failed_in_clear(
        &mut c,
        got,
        unoffered("pre_shared_key"),
        A::IllegalParameter,
    );
}

#[test]
fn resumption_across_a_hello_retry_request_recomputes_the_binder() {
    // rustls takes only P-256; our share is X25519: every handshake has a HelloRetryRequest, so
    // the binder of the second ClientHello covers ClientHello1's hash and the retry (4.2.11.2).
    let mut config = RustlsServer {
        tls13: true,
        group: Some(rustls::NamedGroup::secp256r1),
        ..RustlsServer::default()
    }
    .config();
    config.max_early_data_size = 0;
    let server = Arc::new(config);
    let client = Arc::new(client13(|b| {
        b.with_groups(&[NamedCurve::X25519, NamedCurve::Secp256r1])
    }));
    let (c, _) = connect_to_rustls(&client, &server);
    assert!(!c.is_resumed());
    assert_eq!(c.negotiated_group(), Some(NamedCurve::Secp256r1));
    let (c, s) = connect_to_rustls(&client, &server);
    let rustls::Connection::Server(s) = s else {
        panic!()
    };
    assert!(c.is_resumed());
    assert_eq!(s.handshake_kind(), Some(rustls::HandshakeKind::Resumed));
    // The retry happened: our first share was X25519.
    assert_eq!(c.negotiated_group(), Some(NamedCurve::Secp256r1));
}

// ---------------------------------------------------------------------------------------------
// Resumption, both sides spectls (issue 14 in progress): tickets from our server

fn ticketing_server() -> ServerConfig {
    server13(false, |b| {
        b.with_ticketer(
            spectls::session::Ticketer::new(std::time::Duration::from_secs(3600)).unwrap(),
        )
    })
}

/// A handshake and a little data each way, so the tickets our server sends after the client's
/// Finished reach the client.
fn connect_pair(
    client: &Arc<ClientConfig>,
    server: &Arc<ServerConfig>,
) -> (spectls::ClientConnection, spectls::ServerConnection) {
    let mut c =
        spectls::ClientConnection::new(client.clone(), "localhost".try_into().unwrap()).unwrap();
    let mut s = spectls::ServerConnection::new(server.clone()).unwrap();
    handshake(&mut c, &mut s).unwrap();
    s.writer().write_all(b"tickets").unwrap();
    transfer(&mut s, &mut c).unwrap();
    assert_eq!(read_all(&mut c), b"tickets");
    (c, s)
}

#[test]
fn our_server_issues_two_tickets_and_resumes_with_them() {
    let client = Arc::new(client13(|b| b));
    let server = Arc::new(ticketing_server());
    let (c, s) = connect_pair(&client, &server);
    assert!(!c.is_resumed() && !s.is_resumed());
    for round in 1..=3 {
        let (mut c, mut s) = connect_pair(&client, &server);
        assert!(c.is_resumed() && s.is_resumed(), "round {round}");
        assert_eq!(c.protocol_version(), Some(TLS13));
        // No certificate this time; the chain of the first connection is still reported.
        assert_eq!(c.negotiated_signature_scheme(), None);
        assert_eq!(c.peer_certificates().unwrap().len(), 2);
        exchange(&mut c, &mut s);
    }
    // No ticketer and no session store, no tickets: every connection is a full one. (With the
    // default session cache the tickets are stateful: tests/stateful13.rs.)
    let server = Arc::new(server13(false, |b| {
        b.with_session_storage(Arc::new(spectls::session::NoServerSessionStorage))
    }));
    let client = Arc::new(client13(|b| b));
    for _ in 0..2 {
        let (c, s) = connect_pair(&client, &server);
        assert!(!c.is_resumed() && !s.is_resumed());
    }
}

#[test]
fn a_bad_binder_is_decrypt_error_and_an_unknown_ticket_a_full_handshake() {
    use spectls::session::StoresClientSessions;
    let store = spectls::session::ClientSessionMemoryCache::new(4);
    let client = Arc::new(client13(|b| b.with_session_storage(store.clone())));
    let server = Arc::new(ticketing_server());
    connect_pair(&client, &server);
    // A ticket of ours with a PSK that is not its own: the binder cannot verify.
    let mut ticket = store.take_tls13("localhost").expect("a ticket");
    ticket.psk = vec![0x42; 32].into();
    store.put_tls13("localhost", ticket);
    let mut c =
        spectls::ClientConnection::new(client.clone(), "localhost".try_into().unwrap()).unwrap();
    let mut s = spectls::ServerConnection::new(server.clone()).unwrap();
    let hello = drain(&mut c);
    let got = feed(&mut s, &hello);
    failed_in_clear(
        &mut s,
        got,
        Error::PeerMisbehaved(PeerMisbehaved::BadBinder),
        A::DecryptError,
    );
    // A ticket another server sealed: not ours, so a full handshake.
    let other = Arc::new(ticketing_server());
    let (c, s) = connect_pair(&client, &other);
    assert!(!c.is_resumed() && !s.is_resumed());
}

#[test]
fn a_ticket_is_not_taken_under_another_server_name() {
    let client = Arc::new(client13(|b| b));
    let server = Arc::new(ticketing_server());
    connect_pair(&client, &server);
    // The client keeps tickets by name: a connection to another name offers none.
    let mut c =
        spectls::ClientConnection::new(client.clone(), "127.0.0.1".try_into().unwrap()).unwrap();
    let hello = drain(&mut c);
    let payload = handshake_payload(&hello);
    let Handshake::ClientHello(ch) = decode_hs(&payload) else {
        panic!()
    };
    assert!(!ch
        .extensions
        .as_deref()
        .unwrap()
        .iter()
        .any(|e| matches!(e, Extension::PreSharedKey(_))));
}

#[test]
fn no_tickets_for_a_client_that_cannot_resume_with_them() {
    use spectls::session::StoresClientSessions;
    // Without psk_key_exchange_modes (tickets off) the client could not use a ticket: none is
    // sent (RFC 8446 4.2.9; BoGo's TLS13-ExpectNoSessionTicketOnBadKEMode-Server).
    let store = spectls::session::ClientSessionMemoryCache::new(4);
    let client = Arc::new(client13(|b| {
        b.enable_tickets(false).with_session_storage(store.clone())
    }));
    let server = Arc::new(ticketing_server());
    let (mut c, _) = connect_pair(&client, &server);
    assert!(store.take_tls13("localhost").is_none());
    assert!(drain(&mut c).is_empty());
    // With them, two.
    let client = Arc::new(client13(|b| b.with_session_storage(store.clone())));
    connect_pair(&client, &server);
    assert!(store.take_tls13("localhost").is_some());
    assert!(store.take_tls13("localhost").is_some());
    assert!(store.take_tls13("localhost").is_none());
}

#[test]
fn a_rustls_client_resumes_with_our_tickets() {
    let rustls_config = Arc::new(
        RustlsClient {
            tls13: true,
            ..RustlsClient::default()
        }
        .config(),
    );
    let server = Arc::new(ticketing_server());
    for round in 0..3 {
        let mut r = rustls_client_with(&rustls_config);
        let mut s = spectls::ServerConnection::new(server.clone()).unwrap();
        rustls_handshake(&mut r, &mut s);
        // Our tickets follow the client's Finished: let them reach rustls.
        s.writer().write_all(b"tickets").unwrap();
        rustls_in(&mut r, &drain(&mut s));
        let rustls::Connection::Client(r) = r else {
            panic!()
        };
        assert_eq!(s.protocol_version(), Some(TLS13));
        assert_eq!(s.is_resumed(), round > 0, "round {round}");
        assert_eq!(
            r.handshake_kind(),
            Some(if round > 0 {
                rustls::HandshakeKind::Resumed
            } else {
                rustls::HandshakeKind::Full
            })
        );
        assert!(r.tls13_tickets_received() >= 2, "round {round}");
    }
}

#[test]
fn our_server_resumes_across_its_own_hello_retry_request() {
    // The server takes only P-256; the client's share is X25519: a retry each time, and the
    // second ClientHello's binder (over message_hash, the retry and itself) must verify.
    let server = Arc::new(server13(false, |b| {
        b.with_groups(&[NamedCurve::Secp256r1]).with_ticketer(
            spectls::session::Ticketer::new(std::time::Duration::from_secs(3600)).unwrap(),
        )
    }));
    let client = Arc::new(client13(|b| {
        b.with_groups(&[NamedCurve::X25519, NamedCurve::Secp256r1])
    }));
    let (c, _) = connect_pair(&client, &server);
    assert!(!c.is_resumed());
    let (mut c, mut s) = connect_pair(&client, &server);
    assert!(c.is_resumed() && s.is_resumed());
    assert_eq!(s.negotiated_group(), Some(NamedCurve::Secp256r1));
    exchange(&mut c, &mut s);
}

#[test]
fn psk_only_resumption_happens_only_when_both_sides_allow_it() {
    // (client offers psk_ke, server resumes with it) -> no key exchange on resumption.
    for (client_psk_ke, server_psk_ke) in [(true, true), (true, false), (false, true)] {
        let client = Arc::new(client13(|b| b.enable_psk_ke(client_psk_ke)));
        let server = Arc::new(server13(false, |b| {
            b.with_ticketer(
                spectls::session::Ticketer::new(std::time::Duration::from_secs(3600)).unwrap(),
            )
            .enable_psk_ke(server_psk_ke)
        }));
        let (c, _) = connect_pair(&client, &server);
        assert_eq!(c.negotiated_group(), Some(NamedCurve::X25519MLKEM768));
        let mut c = spectls::ClientConnection::new(client.clone(), "localhost".try_into().unwrap())
            .unwrap();
        let mut s = spectls::ServerConnection::new(server.clone()).unwrap();
        let hello = drain(&mut c);
        feed(&mut s, &hello).unwrap();
        let flight = drain(&mut s);
        let sh_record = &split_records(&flight)[0].1;
        let Handshake::ServerHello(sh) = decode_hs(&sh_record[5..]) else {
            panic!("a ServerHello")
        };
        let has_share = sh
            .extensions
            .iter()
            .flatten()
            .any(|e| matches!(e, Extension::KeyShare(_)));
        let psk_only = client_psk_ke && server_psk_ke;
        assert_eq!(has_share, !psk_only, "{client_psk_ke} {server_psk_ke}");
        feed(&mut c, &flight).unwrap();
        handshake(&mut c, &mut s).unwrap();
        assert!(c.is_resumed() && s.is_resumed());
        let group = (!psk_only).then_some(NamedCurve::X25519MLKEM768);
        assert_eq!(c.negotiated_group(), group);
        assert_eq!(s.negotiated_group(), group);
        exchange(&mut c, &mut s);
    }
}

#[test]
fn a_server_hello_without_key_share_is_psk_only_only_if_we_offered_it() {
    // A client that does not offer psk_ke, facing a server that resumes with the PSK alone (the
    // ServerHello of a psk_ke server to a psk_ke client, replayed to one that is not).
    let store = spectls::session::ClientSessionMemoryCache::new(4);
    let offering = Arc::new(client13(|b| {
        b.enable_psk_ke(true).with_session_storage(store.clone())
    }));
    let server = Arc::new(server13(false, |b| {
        b.with_ticketer(
            spectls::session::Ticketer::new(std::time::Duration::from_secs(3600)).unwrap(),
        )
        .enable_psk_ke(true)
    }));
    connect_pair(&offering, &server);
    let strict = Arc::new(client13(|b| b.with_session_storage(store.clone())));
    let mut c = spectls::ClientConnection::new(strict, "localhost".try_into().unwrap()).unwrap();
    let hello = drain(&mut c);
    // The server resumes with psk_dhe_ke for this client (no psk_ke offered); rebuild its
    // ServerHello without the key_share to play a server that ignores the client's modes.
    let mut s = spectls::ServerConnection::new(server).unwrap();
    feed(&mut s, &hello).unwrap();
    let flight = drain(&mut s);
    let sh_record = &split_records(&flight)[0].1;
    let Handshake::ServerHello(mut sh) = decode_hs(&sh_record[5..]) else {
        panic!("a ServerHello")
    };
    sh.extensions
        .as_mut()
        .unwrap()
        .retain(|e| !matches!(e, Extension::KeyShare(_)));
    let mut record = vec![22, 3, 3, 0, 0];
    Handshake::ServerHello(sh).encode(&mut record);
    let len = (record.len() - 5) as u16;
    record[3..5].copy_from_slice(&len.to_be_bytes());
    let got = feed(&mut c, &record);
    failed_in_clear(
        &mut c,
        got,
        Error::PeerMisbehaved(PeerMisbehaved::MissingExtension("key_share")),
        A::MissingExtension,
    );
}

#[test]
fn a_client_with_tickets_off_leaves_a_shared_stores_tickets_alone() {
    use spectls::session::StoresClientSessions;
    let store = spectls::session::ClientSessionMemoryCache::new(4);
    let with = Arc::new(client13(|b| b.with_session_storage(store.clone())));
    connect_pair(&with, &Arc::new(ticketing_server()));
    // A config sharing the store but with tickets off offers no PSK (it would have no
    // psk_key_exchange_modes to go with it, RFC 8446 4.2.9) and takes none out.
    let without = Arc::new(client13(|b| {
        b.enable_tickets(false).with_session_storage(store.clone())
    }));
    let mut c = spectls::ClientConnection::new(without, "localhost".try_into().unwrap()).unwrap();
    let payload = handshake_payload(&drain(&mut c));
    let Handshake::ClientHello(ch) = decode_hs(&payload) else {
        panic!()
    };
    assert!(!ch.extensions.as_deref().unwrap().iter().any(|e| matches!(
        e,
        Extension::PreSharedKey(_) | Extension::PskKeyExchangeModes(_)
    )));
    assert!(store.take_tls13("localhost").is_some());
    assert!(store.take_tls13("localhost").is_some());
}
