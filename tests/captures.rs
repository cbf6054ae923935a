//! Every record and plaintext handshake message of every OpenSSL capture decodes, its decoded trace
//! is pinned by a snapshot, and re-encoding gives back the identical bytes.

mod common;

use common::capture;
use spectls::capture::{check_round_trip, render, Event, Flow};
use spectls::wire::{tls12::Handshake, CipherSuite, Extension};

/// Decodes a capture, checks the round trip and snapshots the trace; returns the handshake types
/// seen in order.
fn decode(name: &str) -> Vec<String> {
    let cap = capture(name);
    let mut flow = Flow::new(&cap);
    let events = flow.events().unwrap_or_else(|e| panic!("{name}: {e}"));
    let n = check_round_trip(&events).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(n > 10, "{name}: only {n} events");
    // Every byte of both directions was accounted for by some record.
    let record_bytes: usize = events
        .iter()
        .map(|e| match e {
            Event::Record { bytes, .. }
            | Event::Protected { bytes, .. }
            | Event::Sealed { bytes, .. } => bytes.len(),
            Event::Message { .. } | Event::Message13 { .. } => 0,
        })
        .sum();
    let total: usize = cap.chunks.iter().map(|(_, b)| b.len()).sum();
    assert_eq!(record_bytes, total, "{name}: records cover the capture");
    insta::assert_snapshot!(name, render(&events));
    events
        .iter()
        .filter_map(|e| match e {
            Event::Message { message, .. } => Some(format!("{:?}", message.selector())),
            _ => None,
        })
        .collect()
}

const FULL: &[&str] = &[
    "ClientHello",
    "ServerHello",
    "Certificate",
    "ServerKeyExchange",
    "ServerHelloDone",
    "ClientKeyExchange",
    "NewSessionTicket",
];

#[test]
fn ecdsa_aes128gcm_with_sni_alpn_ems_ticket_ocsp() {
    let types = decode("ecdsa-aes128gcm");
    assert_eq!(
        types,
        [
            "ClientHello",
            "ServerHello",
            "Certificate",
            "CertificateStatus",
            "ServerKeyExchange",
            "ServerHelloDone",
            "ClientKeyExchange",
            "NewSessionTicket"
        ]
    );
}

#[test]
fn ecdsa_aes256gcm() {
    assert_eq!(decode("ecdsa-aes256gcm"), FULL);
}

#[test]
fn ecdsa_chacha20() {
    assert_eq!(decode("ecdsa-chacha20"), FULL);
}

#[test]
fn rsa_aes128gcm() {
    assert_eq!(decode("rsa-aes128gcm"), FULL);
}

#[test]
fn rsa_chacha20() {
    assert_eq!(decode("rsa-chacha20"), FULL);
}

#[test]
fn resumed_by_ticket() {
    assert_eq!(decode("resume-ticket"), ["ClientHello", "ServerHello"]);
}

#[test]
fn resumed_by_session_id() {
    assert_eq!(decode("resume-session-id"), ["ClientHello", "ServerHello"]);
}

#[test]
fn typed_fields_of_the_full_handshake() {
    let cap = capture("ecdsa-aes128gcm");
    let mut flow = Flow::new(&cap);
    assert_eq!(
        flow.negotiated_suite(),
        Some(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
    );
    let events = flow.events().expect("decodes");
    let messages: Vec<&Handshake> = events
        .iter()
        .filter_map(|e| match e {
            Event::Message { message, .. } => Some(message),
            _ => None,
        })
        .collect();
    let Handshake::ClientHello(ch) = messages[0] else {
        panic!("first message")
    };
    let exts = ch.extensions.as_ref().expect("extensions");
    let sni = exts.iter().find_map(|e| match e {
        Extension::ServerName(s) => Some(format!("{s:?}")),
        _ => None,
    });
    assert!(sni.expect("server_name").contains("\"localhost\""));
    let alpn = exts.iter().find_map(|e| match e {
        Extension::ApplicationLayerProtocolNegotiation(p) => Some(
            p.protocol_name_list
                .iter()
                .map(|n| n.0.to_vec())
                .collect::<Vec<_>>(),
        ),
        _ => None,
    });
    assert_eq!(alpn.expect("alpn"), [b"h2".to_vec(), b"http/1.1".to_vec()]);
    assert!(exts
        .iter()
        .any(|e| matches!(e, Extension::ExtendedMasterSecret(_))));
    let Handshake::Certificate(cert) = messages[2] else {
        panic!("third message")
    };
    assert_eq!(cert.certificate_list.len(), 2, "leaf and CA");
    // The leaf is the DER certificate from tests/data/certs/server-ecdsa.pem.
    assert_eq!(cert.certificate_list[0].0.first(), Some(&0x30));
}
