//! Every record and plaintext handshake message of every OpenSSL capture decodes, its decoded trace
//! is pinned by a snapshot, and re-encoding gives back the identical bytes. The TLS 1.3 capture
//! (`tests/data/captures13/`, `scripts/capture13.sh`) is opened with its key log, so its encrypted
//! messages are decoded and pinned too.

mod common;

use common::capture;
use spectls::capture::{check_round_trip, render, Capture, Event, Flow, KeyLogSecrets, Unsealed};
use spectls::version::TLS13;
use spectls::wire::{tls12::Handshake, tls13, CipherSuite, ContentType, Extension};
use spectls::wire::{CertificateStatus, CertificateStatusRequestExtension, HELLO_RETRY_REQUEST};

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

/// `tests/data/captures13/<name>.<ext>`.
fn capture13_file(name: &str, ext: &str) -> String {
    let path = format!(
        "{}/tests/data/captures13/{name}.{ext}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn openssl_tls13_with_hello_retry_request_opened_with_its_key_log() {
    let name = "openssl-hrr-aes256";
    let cap = Capture::parse(&capture13_file(name, "trace")).expect("capture");
    let secrets = KeyLogSecrets::parse(&capture13_file(name, "keylog")).expect("key log");
    let mut flow = Flow::new(&cap).with_key_log(secrets);
    assert_eq!(flow.negotiated_version(), Some(TLS13));
    assert_eq!(
        flow.negotiated_suite(),
        Some(CipherSuite::TLS_AES_256_GCM_SHA384)
    );
    let events = flow.events().expect("decodes");
    check_round_trip(&events).expect("round trip");
    let record_bytes: usize = events
        .iter()
        .map(|e| match e {
            Event::Record { bytes, .. } | Event::Sealed { bytes, .. } => bytes.len(),
            _ => 0,
        })
        .sum();
    let total: usize = cap.chunks.iter().map(|(_, b)| b.len()).sum();
    assert_eq!(record_bytes, total, "records cover the capture");
    insta::assert_snapshot!(format!("tls13-{name}"), render(&events));

    let messages: Vec<(&str, &tls13::Handshake)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Message13 { dir, message, .. } => Some((dir.arrow(), message)),
            _ => None,
        })
        .collect();
    let types: Vec<String> = messages
        .iter()
        .map(|(dir, m)| format!("{dir} {:?}", m.selector()))
        .collect();
    let (c2s, s2c) = ("client -> server", "server -> client");
    assert_eq!(
        types,
        [
            format!("{c2s} ClientHello"),
            format!("{s2c} ServerHello"),
            format!("{c2s} ClientHello"),
            format!("{s2c} ServerHello"),
            format!("{s2c} EncryptedExtensions"),
            format!("{s2c} Certificate"),
            format!("{s2c} CertificateVerify"),
            format!("{s2c} Finished"),
            format!("{c2s} Finished"),
            format!("{s2c} NewSessionTicket"),
            format!("{s2c} NewSessionTicket"),
        ]
    );
    // The first ServerHello is OpenSSL's HelloRetryRequest, the second a real one.
    let randoms: Vec<Vec<u8>> = messages
        .iter()
        .filter_map(|(_, m)| match m {
            tls13::Handshake::ServerHello(sh) => Some(spectls::codec::Encode::to_vec(&sh.random)),
            _ => None,
        })
        .collect();
    assert_eq!(randoms[0], HELLO_RETRY_REQUEST);
    assert_ne!(randoms[1], HELLO_RETRY_REQUEST);
    for (_, m) in &messages {
        match m {
            // SHA-384: Finished is 48 bytes.
            tls13::Handshake::Finished(f) => assert_eq!(f.verify_data.len(), 48),
            // The stapled OCSP response rides in the leaf's entry (RFC 8446 4.4.2.1).
            tls13::Handshake::Certificate(cert) => {
                assert_eq!(cert.certificate_list.len(), 2, "leaf and CA");
                let ocsp = cert.certificate_list[0]
                    .extensions
                    .iter()
                    .find_map(|e| match e {
                        Extension::StatusRequest(
                            CertificateStatusRequestExtension::Certificate(
                                CertificateStatus::Ocsp(response),
                            ),
                        ) => Some(response.0),
                        _ => None,
                    });
                let staple = std::fs::read(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/tests/data/certs/ocsp-ecdsa.der"
                ))
                .expect("ocsp-ecdsa.der");
                assert_eq!(ocsp, Some(&staple[..]), "the staple s_server was given");
            }
            _ => {}
        }
    }
    // The request as s_client sent it, under the client's first application traffic secret.
    let request = events.iter().find_map(|e| match e {
        Event::Sealed {
            opened:
                Ok(Unsealed {
                    typ: ContentType::ApplicationData,
                    content,
                    secret,
                }),
            ..
        } if *secret == "CLIENT_TRAFFIC_SECRET_0" => Some(*content),
        _ => None,
    });
    assert_eq!(request, Some(&b"GET / HTTP/1.0\r\n\r\n"[..]));

    // Without the key log only the hellos are readable.
    let mut sealed = Flow::new(&cap);
    let events = sealed.events().expect("decodes");
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::Message13 { .. }))
            .count(),
        4
    );
}
