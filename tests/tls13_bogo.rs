//! TLS 1.3 engine regressions that BoringSSL's test suite (BoGo, `scripts/bogo.sh`) found, each
//! reproduced here in memory between a spectls client and server, one test per fix, naming the
//! BoGo tests it made pass.

mod common;

use common::records::*;
use common::*;
use spectls::version::TLS13;
use spectls::wire::ContentType;
use spectls::Error;

fn tls13_pair() -> (spectls::ClientConnection, spectls::ServerConnection) {
    pair(
        client_with(|b| b.with_protocol_versions(&[TLS13])),
        ecdsa_server_with(|b| b.with_protocol_versions(&[TLS13])),
    )
}

/// BoGo `*-TLS13` client tests that fail on the server's encrypted flight (EmptyCertificateList,
/// UnknownExtension-Client, TrailingMessageData-TLS13-*, ...): the runner, like a middlebox,
/// reads a change_cipher_spec before the client's first protected record (RFC 8446 D.4), and
/// that record may be an alert about the server's flight, not the client's Finished. The client
/// sends its compatibility change_cipher_spec as soon as it has the ServerHello.
#[test]
fn client_sends_ccs_before_an_alert_about_the_encrypted_flight() {
    let (mut c, mut s) = tls13_pair();
    transfer(&mut c, &mut s).expect("ClientHello");
    let flight = split_records(&drain(&mut s));
    let first_protected = flight
        .iter()
        .position(|(t, _)| *t == ContentType::ApplicationData)
        .expect("an encrypted flight");
    // Tamper with the EncryptedExtensions record's tag: the client can open nothing after the
    // ServerHello and answers with a protected bad_record_mac alert.
    let mut bytes = Vec::new();
    for (i, (_, record)) in flight.iter().enumerate() {
        let mut record = record.clone();
        if i == first_protected {
            if let Some(last) = record.last_mut() {
                *last ^= 1;
            }
        }
        bytes.extend_from_slice(&record);
    }
    assert_eq!(feed(&mut c, &bytes).err(), Some(Error::BadRecordMac));
    let sent = split_records(&drain(&mut c));
    assert_eq!(
        types_of(&sent),
        [ContentType::ChangeCipherSpec, ContentType::ApplicationData],
        "the compatibility change_cipher_spec, then the protected alert"
    );
    assert_eq!(fragment_of(&sent[0].1), [1]);
}

/// The change_cipher_spec moved earlier is still sent once, before the client's Finished in a
/// handshake that succeeds.
#[test]
fn client_sends_one_ccs_in_a_full_handshake() {
    let (mut c, mut s) = tls13_pair();
    transfer(&mut c, &mut s).expect("ClientHello");
    transfer(&mut s, &mut c).expect("server flight");
    let sent = split_records(&drain(&mut c));
    assert_eq!(
        types_of(&sent),
        [ContentType::ChangeCipherSpec, ContentType::ApplicationData],
        "change_cipher_spec, then the protected Finished"
    );
    feed(&mut s, &sent.concat_records()).expect("client Finished");
    assert!(!s.is_handshaking());
    assert_eq!(c.protocol_version(), Some(TLS13));
}

trait Concat {
    fn concat_records(&self) -> Vec<u8>;
}

impl Concat for Vec<(ContentType, Vec<u8>)> {
    fn concat_records(&self) -> Vec<u8> {
        self.iter().flat_map(|(_, r)| r.clone()).collect()
    }
}

/// Replaces the first `from` in `bytes` with `to` (same length).
fn patch(bytes: &mut [u8], from: &[u8], to: &[u8]) {
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("the bytes to patch");
    bytes[at..at + to.len()].copy_from_slice(to);
}

/// BoGo `ServerBogusVersion`: a TLS 1.3 ServerHello's legacy_version must be 0x0303 (RFC 8446
/// 4.1.3); supported_versions selecting TLS 1.3 does not make another value acceptable.
#[test]
fn client_refuses_a_tls13_server_hello_with_a_bogus_legacy_version() {
    let (mut c, mut s) = tls13_pair();
    transfer(&mut c, &mut s).expect("ClientHello");
    let mut flight = drain(&mut s);
    // Record header (5), handshake header (4), then legacy_version.
    assert_eq!(flight[9..11], [3, 3]);
    flight[9..11].copy_from_slice(&[0x12, 0x34]);
    assert_eq!(
        feed(&mut c, &flight).err(),
        Some(Error::PeerIncompatible(
            spectls::PeerIncompatible::UnsupportedVersion
        ))
    );
}

/// BoGo `SecondServerHelloWrongVersion-TLS13` (and `-NoVersion`): the ServerHello after a
/// HelloRetryRequest must keep the version the HelloRetryRequest selected (RFC 8446 4.1.4).
#[test]
fn client_refuses_a_second_server_hello_that_changes_the_version() {
    use spectls::wire::NamedCurve;
    let (mut c, mut s) = pair(
        client_with(|b| {
            b.with_protocol_versions(&[TLS13])
                .with_groups(&[NamedCurve::X25519, NamedCurve::Secp256r1])
        }),
        ecdsa_server_with(|b| {
            b.with_protocol_versions(&[TLS13])
                .with_groups(&[NamedCurve::Secp256r1])
        }),
    );
    transfer(&mut c, &mut s).expect("ClientHello");
    transfer(&mut s, &mut c).expect("HelloRetryRequest");
    transfer(&mut c, &mut s).expect("second ClientHello");
    let mut flight = drain(&mut s);
    // supported_versions (0x002b) selecting TLS 1.3, turned into one selecting 0x1234.
    patch(
        &mut flight,
        &[0, 0x2b, 0, 2, 3, 4],
        &[0, 0x2b, 0, 2, 0x12, 0x34],
    );
    assert_eq!(
        feed(&mut c, &flight).err(),
        Some(Error::PeerMisbehaved(spectls::PeerMisbehaved::Other(
            "ServerHello version differs from the HelloRetryRequest's"
        )))
    );
}
