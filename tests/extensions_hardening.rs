//! Hardening of the hello extensions and the record version: RFC 6066 server_name rules on the
//! server, unknown ServerName / status_request / certificate types skipped rather than refused,
//! and the record layer's version check (RFC 5246 6.2.1, appendix E.1).
//!
//! Everything runs in memory. Crafted bodies are written as raw extension bytes
//! (`Extension::Unknown` encodes any type with the bytes given), so the tests say exactly what
//! is on the wire.

mod common;

use common::*;
use spectls::codec::Encode;
use spectls::pki::{certs_from_pem, private_key_from_pem};
use spectls::wire::{
    tls12::CertificateRequest, tls12::Handshake, AlertDescription as A, ClientCertificateType,
    ContentType, Extension, ExtensionType, HandshakeType,
};
use spectls::{ClientConfig, ClientConnection, Error, PeerMisbehaved};
use std::sync::Arc;

// ------------------------------------------------------------------------------------------
// Records and messages (the rest: `common::records`)
// ------------------------------------------------------------------------------------------

/// `record` with its header's version bytes replaced.
fn with_version(mut record: Vec<u8>, major: u8, minor: u8) -> Vec<u8> {
    record[1] = major;
    record[2] = minor;
    record
}

/// A ClientHello the ECDSA test server accepts, with `extra` extensions (type, raw body) added.
fn client_hello_record(extra: &[(ExtensionType, Vec<u8>)]) -> Vec<u8> {
    let mut ch = base_client_hello();
    ch.extensions
        .as_mut()
        .expect("extensions")
        .extend(extra.iter().map(|(t, b)| Extension::Unknown(*t, b)));
    frame(ContentType::Handshake, &Handshake::ClientHello(ch).to_vec())
}

/// A 2-byte length prefix, then `body`.
fn u16_prefixed(body: &[u8]) -> Vec<u8> {
    let mut out = u16::try_from(body.len())
        .expect("short")
        .to_be_bytes()
        .to_vec();
    out.extend_from_slice(body);
    out
}

/// A server_name extension body: the ServerNameList of (name_type, name) entries, each name
/// with its 2-byte length (RFC 6066 3).
fn sni_body(names: &[(u8, &[u8])]) -> Vec<u8> {
    let mut list = Vec::new();
    for (t, n) in names {
        list.push(*t);
        list.extend(u16_prefixed(n));
    }
    u16_prefixed(&list)
}

fn sni(names: &[(u8, &[u8])]) -> Vec<u8> {
    client_hello_record(&[(ExtensionType::ServerName, sni_body(names))])
}

// ------------------------------------------------------------------------------------------
// Outcomes (`offer`, `server_accepts`, `server_refuses`: `common::checks`)
// ------------------------------------------------------------------------------------------

fn not_a_dns_name() -> Error {
    Error::PeerMisbehaved(PeerMisbehaved::Other(
        "server_name host_name not a DNS name",
    ))
}

// ------------------------------------------------------------------------------------------
// server_name (RFC 6066 3)
// ------------------------------------------------------------------------------------------

#[test]
fn host_name_that_is_not_a_dns_name_is_illegal_parameter() {
    let bad: &[&[u8]] = &[
        b"exa\0mple.com",          // NUL
        b"exa\x07mple.com",        // control character
        b"local host",             // space
        "café.example".as_bytes(), // UTF-8 beyond ASCII (an IDN goes as its A-label)
        b"\xff\xfe.example",       // not UTF-8: was silently "no SNI"
        b"example..com",           // empty label
        b".example.com",           // empty first label
        b"example.com.",           // trailing dot (RFC 6066: "without a trailing dot")
        b".",                      // the root
        b"127.0.0.1",              // IPv4 literal
        b"[::1]",                  // IPv6 literal, as in URLs
        b"::1",                    // IPv6 literal
        b"-example.com",           // label starting with a hyphen
    ];
    for name in bad {
        let (mut s, got) = offer(server_config(false), &sni(&[(0, name)]));
        failed_in_clear(&mut s, got, not_a_dns_name(), A::IllegalParameter);
        assert_eq!(s.server_name(), None, "{name:?}");
    }
}

#[test]
fn empty_host_name_is_a_decode_error_from_the_schema() {
    // HostName<1..2^16-1>: the floor is the schema's, so this never reaches the server's check.
    let (_, got) = offer(server_config(false), &sni(&[(0, b"")]));
    let err = got.expect_err("empty host_name");
    assert!(matches!(err, Error::Decode(_)), "{err:?}");
    assert_eq!(err.alert(), Some(A::DecodeError));
}

#[test]
fn two_host_names_are_illegal_parameter() {
    // RFC 6066 3: "MUST NOT contain more than one name of the same name_type". The server used
    // to take the first one.
    let want = Error::PeerMisbehaved(PeerMisbehaved::Other(
        "server_name with two names of one name_type",
    ));
    server_refuses(
        server_config(false),
        &sni(&[(0, b"localhost"), (0, b"example.com")]),
        want.clone(),
        A::IllegalParameter,
    );
    // Also when the two are the same name, and for two names of one unknown type.
    server_refuses(
        server_config(false),
        &sni(&[(0, b"localhost"), (0, b"localhost")]),
        want.clone(),
        A::IllegalParameter,
    );
    server_refuses(
        server_config(false),
        &sni(&[(9, b"a"), (9, b"b")]),
        want,
        A::IllegalParameter,
    );
}

#[test]
fn valid_host_names_are_accepted_and_lowercased() {
    for (name, want) in [
        (&b"localhost"[..], "localhost"),
        (b"Example.COM", "example.com"),
        (b"xn--caf-dma.example", "xn--caf-dma.example"),
        (b"_service.example", "_service.example"),
        (b"a-b.c1.example", "a-b.c1.example"),
    ] {
        let (s, _) = server_accepts(server_config(false), &sni(&[(0, name)]));
        assert_eq!(s.server_name(), Some(want));
    }
}

#[test]
fn server_name_of_an_unknown_type_is_skipped() {
    // RFC 6066 3: a later NameType's data "MUST begin with a 16-bit length field"; a server
    // that does not know the type steps over it. Before, NameType was closed: illegal_parameter.
    let (s, msgs) = server_accepts(
        server_config(false),
        &sni(&[(7, b"\x00\x01opaque"), (0, b"Localhost")]),
    );
    assert_eq!(
        s.server_name(),
        Some("localhost"),
        "the host_name after it is used"
    );
    let Handshake::ServerHello(sh) = decode_hs(&msgs[0]) else {
        panic!("not a ServerHello")
    };
    let acked = sh.extensions.unwrap_or_default();
    assert!(
        acked
            .iter()
            .any(|e| e.selector() == ExtensionType::ServerName),
        "server_name acknowledged (RFC 6066 3)"
    );
    // Only an unknown type (an empty body too): no SNI, and no acknowledgement.
    for body in [&b"something"[..], b""] {
        let (s, msgs) = server_accepts(server_config(false), &sni(&[(255, body)]));
        assert_eq!(s.server_name(), None);
        let Handshake::ServerHello(sh) = decode_hs(&msgs[0]) else {
            panic!("not a ServerHello")
        };
        let acked = sh.extensions.unwrap_or_default();
        assert!(!acked
            .iter()
            .any(|e| e.selector() == ExtensionType::ServerName));
    }
    // An unknown type's length still frames it: one running past the list is a decode error.
    let mut list = vec![7u8, 0x00, 0x09, b'x'];
    list.extend_from_slice(&[0, 0, 9]);
    let (_, got) = offer(
        server_config(false),
        &client_hello_record(&[(ExtensionType::ServerName, u16_prefixed(&list))]),
    );
    assert_eq!(got.expect_err("overrun").alert(), Some(A::DecodeError));
}

#[test]
fn client_never_sends_a_trailing_dot_or_an_ip_as_sni() {
    let sni_sent = |name: &'static str| {
        let mut c =
            ClientConnection::new(Arc::new(client_config()), name.try_into().expect("name"))
                .expect("client");
        let msgs = handshake_messages(&drain(&mut c));
        let Handshake::ClientHello(ch) = decode_hs(&msgs[0]) else {
            panic!("not a ClientHello")
        };
        ch.extensions
            .unwrap_or_default()
            .iter()
            .find(|e| e.selector() == ExtensionType::ServerName)
            .map(|e| e.to_vec()[4..].to_vec())
    };
    // "localhost." goes as "localhost" (RFC 6066 3), which our server accepts.
    assert_eq!(sni_sent("localhost."), Some(sni_body(&[(0, b"localhost")])));
    assert_eq!(sni_sent("127.0.0.1"), None);
    assert_eq!(sni_sent("::1"), None);
}

/// RFC 7685: a ClientHello message of 256 to 511 bytes is padded to 512 (some F5 terminators
/// hang on that range, as BoringSSL's ClientHelloPadding test says); smaller and larger ones go
/// as they are. The server name's length moves the hello through the range.
#[test]
fn client_hello_between_256_and_511_bytes_is_padded_to_512() {
    // `labels` 41-byte labels in the server name, and `alpn` 100-byte ALPN protocols.
    let hello_with = |labels: usize, alpn: usize| {
        let mut name = vec!["a".repeat(40); labels];
        name.push("example".into());
        let name = name.join(".");
        let config = client_with(|b| b.with_alpn_protocols(vec![vec![b'p'; 100]; alpn]));
        let mut c = ClientConnection::new(Arc::new(config), name.try_into().expect("name"))
            .expect("client");
        handshake_messages(&drain(&mut c)).remove(0)
    };
    let mut sizes = Vec::new();
    let shapes = (0..7)
        .map(|labels| (labels, 0))
        .chain([(6, 1), (6, 2), (0, 4)]);
    for (labels, alpn) in shapes {
        let msg = hello_with(labels, alpn);
        let Handshake::ClientHello(ch) = decode_hs(&msg) else {
            panic!("not a ClientHello")
        };
        let exts = ch.extensions.unwrap_or_default();
        let padding = exts
            .iter()
            .position(|e| e.selector() == ExtensionType::Padding);
        match padding {
            Some(i) => {
                assert_eq!(i, exts.len() - 1, "padding is the last extension");
                let Extension::Padding(p) = &exts[i] else {
                    panic!("padding decodes typed")
                };
                assert!(!p.zeros.is_empty() && p.zeros.iter().all(|b| *b == 0));
                // 512 exactly, unless the gap was under 5 bytes (extension header + one byte).
                assert!((512..517).contains(&msg.len()), "{}", msg.len());
                assert_eq!(msg.len() == 512, 512 - (msg.len() - 4 - p.zeros.len()) >= 5);
            }
            None => assert!(!(256..512).contains(&msg.len()), "{} unpadded", msg.len()),
        }
        sizes.push((msg.len(), padding.is_some()));
    }
    // The names took the hello from below the range to above it, padding it in between.
    assert!(sizes.iter().any(|&(n, p)| n < 256 && !p), "{sizes:?}");
    assert!(sizes.iter().any(|&(_, p)| p), "{sizes:?}");
    assert!(sizes.iter().any(|&(n, p)| n > 516 && !p), "{sizes:?}");
}

// ------------------------------------------------------------------------------------------
// status_request (RFC 6066 8)
// ------------------------------------------------------------------------------------------

/// Whether the server's flight staples (CertificateStatus) and acknowledges status_request.
fn stapled(msgs: &[Vec<u8>]) -> (bool, bool) {
    let Handshake::ServerHello(sh) = decode_hs(&msgs[0]) else {
        panic!("not a ServerHello")
    };
    let acked = sh
        .extensions
        .unwrap_or_default()
        .iter()
        .any(|e| e.selector() == ExtensionType::StatusRequest);
    let status = msgs
        .iter()
        .any(|m| m[0] == HandshakeType::CertificateStatus.value());
    (status, acked)
}

#[test]
fn status_request_of_an_unknown_type_is_ignored() {
    // status_type 2 (ocsp_multi, RFC 6961) with its body: the rest of the extension.
    let ocsp_multi = [2u8, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00];
    let (_, msgs) = server_accepts(
        ocsp_server(),
        &client_hello_record(&[(ExtensionType::StatusRequest, ocsp_multi.to_vec())]),
    );
    assert_eq!(
        stapled(&msgs),
        (false, false),
        "no stapling, no acknowledgement"
    );
    // A type alone, without a body, likewise.
    let (_, msgs) = server_accepts(
        ocsp_server(),
        &client_hello_record(&[(ExtensionType::StatusRequest, vec![0xee])]),
    );
    assert_eq!(stapled(&msgs), (false, false));
    // Control: ocsp with empty responder and extension lists is stapled.
    let (_, msgs) = server_accepts(
        ocsp_server(),
        &client_hello_record(&[(ExtensionType::StatusRequest, vec![1, 0, 0, 0, 0])]),
    );
    assert_eq!(stapled(&msgs), (true, true));
}

// ------------------------------------------------------------------------------------------
// CertificateRequest with a certificate type we do not know (RFC 5246 7.4.4)
// ------------------------------------------------------------------------------------------

/// The client's answer to the server's first flight with its CertificateRequest's types
/// replaced by the raw `types` (none of them decodes as a known value before the fix).
fn client_answers_cert_request(client: ClientConfig, types: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
    let (mut c, mut s) = pair(client, client_auth_server(roots()));
    transfer(&mut c, &mut s).expect("ClientHello accepted");
    let mut flight = Vec::new();
    for msg in handshake_messages(&drain(&mut s)) {
        if msg[0] != HandshakeType::CertificateRequest.value() {
            flight.extend(frame(ContentType::Handshake, &msg));
            continue;
        }
        let Handshake::CertificateRequest(cr) = decode_hs(&msg) else {
            panic!("not a CertificateRequest")
        };
        // Rebuilt with placeholder types of the right count, then the raw values put in.
        let placeholder = CertificateRequest {
            certificate_types: vec![ClientCertificateType::RsaSign; types.len()],
            ..cr
        };
        let mut bytes = Handshake::CertificateRequest(placeholder).to_vec();
        bytes[5..5 + types.len()].copy_from_slice(types);
        flight.extend(frame(ContentType::Handshake, &bytes));
    }
    feed(&mut c, &flight)?;
    let out = drain(&mut c);
    let handshake: Vec<u8> = split_records(&out)
        .into_iter()
        .take_while(|(t, _)| *t == ContentType::Handshake)
        .flat_map(|(_, r)| r)
        .collect();
    Ok(handshake_messages(&handshake))
}

#[test]
fn certificate_request_with_an_unknown_type_is_answered() {
    const GOST_SIGN256: u8 = 67; // RFC 9189
    let certificate_len = |msgs: &[Vec<u8>]| {
        let Handshake::Certificate(c) = decode_hs(&msgs[0]) else {
            panic!("not a Certificate")
        };
        c.certificate_list.len()
    };
    // Only the unknown type: we have nothing it asks for, so an empty Certificate, then the key
    // exchange (no CertificateVerify). Before, the request was refused (illegal_parameter).
    let msgs = client_answers_cert_request(client_config(), &[GOST_SIGN256])
        .expect("CertificateRequest accepted");
    assert_eq!(
        kinds_of(&msgs),
        [HandshakeType::Certificate, HandshakeType::ClientKeyExchange]
    );
    assert_eq!(certificate_len(&msgs), 0);
    // The unknown type beside ecdsa_sign(64): our ECDSA certificate goes, and is signed for.
    let with_cert = ClientConfig::builder()
        .with_root_certificates(roots())
        .with_client_auth_cert(
            certs_from_pem(ECDSA_CHAIN).expect("chain"),
            private_key_from_pem(ECDSA_KEY).expect("key"),
        )
        .expect("client certificate")
        .build()
        .expect("client config");
    let msgs = client_answers_cert_request(with_cert, &[GOST_SIGN256, 64, 0xff])
        .expect("CertificateRequest accepted");
    assert_eq!(
        kinds_of(&msgs),
        [
            HandshakeType::Certificate,
            HandshakeType::ClientKeyExchange,
            HandshakeType::CertificateVerify
        ]
    );
    assert!(certificate_len(&msgs) > 0);
}

// ------------------------------------------------------------------------------------------
// Record version (RFC 5246 6.2.1, appendix E.1)
// ------------------------------------------------------------------------------------------

fn wrong_version(major: u8, minor: u8) -> Error {
    Error::PeerMisbehaved(PeerMisbehaved::WrongRecordVersion(u16::from_be_bytes([
        major, minor,
    ])))
}

#[test]
fn record_version_not_3_x_is_protocol_version() {
    for (major, minor) in [(0, 0), (0xff, 0xff), (2, 0), (4, 3)] {
        let record = with_version(sni(&[(0, b"localhost")]), major, minor);
        server_refuses(
            server_config(false),
            &record,
            wrong_version(major, minor),
            A::ProtocolVersion,
        );
        // Refused on the header alone, before the body arrives.
        let (mut s, got) = offer(server_config(false), &record[..5]);
        failed_in_clear(&mut s, got, wrong_version(major, minor), A::ProtocolVersion);
    }
}

#[test]
fn first_client_hello_record_may_carry_any_3_x() {
    // RFC 5246 E.1: a client may put its first ClientHello in a {3,0} or {3,1} record (OpenSSL
    // uses {3,1}), or a higher one.
    for minor in [0, 1, 2, 3, 4] {
        let (_, msgs) = server_accepts(
            server_config(false),
            &with_version(sni(&[(0, b"localhost")]), 3, minor),
        );
        let Handshake::ServerHello(sh) = decode_hs(&msgs[0]) else {
            panic!("not a ServerHello")
        };
        assert_eq!(sh.server_version, TLS12);
    }
}

#[test]
fn after_server_hello_the_server_takes_only_3_3_records() {
    // The client's ClientKeyExchange, in the clear, in a {3,1} record: before, it was taken.
    let (mut c, mut s) = pair(client_config(), server_config(false));
    transfer(&mut c, &mut s).expect("ClientHello");
    transfer(&mut s, &mut c).expect("server flight");
    let recs = split_records(&drain(&mut c));
    assert_eq!(recs[0].0, ContentType::Handshake, "ClientKeyExchange first");
    let got = feed(&mut s, &with_version(recs[0].1.clone(), 3, 1));
    failed_in_clear(&mut s, got, wrong_version(3, 1), A::ProtocolVersion);
}

#[test]
fn after_server_hello_the_client_takes_only_3_3_records() {
    // The server's Certificate record (after its ServerHello record) in a {3,1} record.
    let (mut c, mut s) = pair(client_config(), server_config(false));
    transfer(&mut c, &mut s).expect("ClientHello");
    let recs = split_records(&drain(&mut s));
    assert!(
        recs.len() >= 2,
        "ServerHello and Certificate in records of their own"
    );
    let mut flight = recs[0].1.clone();
    flight.extend(with_version(recs[1].1.clone(), 3, 1));
    let got = feed(&mut c, &flight);
    failed_in_clear(&mut c, got, wrong_version(3, 1), A::ProtocolVersion);
    // Control: a ServerHello record itself may be {3,1}; the rest {3,3} is then fine.
    let (mut c, mut s) = pair(client_config(), server_config(false));
    transfer(&mut c, &mut s).expect("ClientHello");
    let recs = split_records(&drain(&mut s));
    let mut flight = with_version(recs[0].1.clone(), 3, 1);
    for (_, r) in &recs[1..] {
        flight.extend_from_slice(r);
    }
    feed(&mut c, &flight).expect("server flight accepted");
}

#[test]
fn after_the_handshake_a_3_1_record_is_protocol_version() {
    // Protected application data whose header says {3,1}: refused for its version (before, the
    // AEAD caught the changed header: bad_record_mac).
    let (mut c, mut s) = pair(client_config(), server_config(false));
    handshake(&mut c, &mut s).expect("handshake");
    std::io::Write::write_all(&mut c.writer(), b"hello").expect("write");
    let recs = split_records(&drain(&mut c));
    let got = feed(&mut s, &with_version(recs[0].1.clone(), 3, 1));
    check_error(&mut s, got, &wrong_version(3, 1), A::ProtocolVersion);
    let alert = drain(&mut s);
    assert_eq!(
        types_of(&split_records(&alert)),
        [ContentType::Alert],
        "one (sealed) alert"
    );
    // The client reads it: protocol_version.
    assert_eq!(
        feed(&mut c, &alert).expect_err("alert"),
        Error::AlertReceived(A::ProtocolVersion)
    );
}
