//! RFC 8448's example TLS 1.3 handshakes, message by message: every plaintext handshake message
//! of its five traces (40 messages, `tests/data/rfc8448/`) decodes as `wire::tls13::Handshake`,
//! is the message the trace says it is, and encodes back to the identical bytes. The decoded
//! messages of each trace are pinned by a snapshot (`tests/snapshots/rfc8448__*.snap`), reviewed
//! like the generated code. The resumed trace's ClientHello also checks the schema's partial
//! encode (the PSK binders' offset) and the `last(pre_shared_key)` rule.

mod common;

use common::unhex;
use spectls::codec::{DecodeErrorKind, Encode, Reader};
use spectls::wire::tls13::Handshake;
use spectls::wire::{
    AlertDescription, CertificateType, Extension, ExtensionType, HandshakeType, KeyShare,
    KeyShareServer, PreSharedKeyExtension, HELLO_RETRY_REQUEST,
};
use std::fmt::Write as _;

const MESSAGES: &str = include_str!("data/rfc8448/messages.txt");

/// Where the PSK binders are in a Handshake holding a ClientHello (RFC 8446 4.2.11.2).
const BINDERS: &[&str] = &[
    "client_hello",
    "extensions",
    "pre_shared_key",
    "client_hello",
    "binders",
];

struct Message {
    sender: &'static str,
    name: &'static str,
    bytes: Vec<u8>,
}

/// The messages of one trace, in order.
fn trace(name: &str) -> Vec<Message> {
    MESSAGES
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let cols: Vec<&'static str> = l.split(' ').collect();
            assert_eq!(cols.len(), 4, "{l}");
            (cols[0], cols[1], cols[2], cols[3])
        })
        .filter(|(t, ..)| *t == name)
        .map(|(_, sender, name, hex)| Message {
            sender,
            name,
            bytes: unhex(hex),
        })
        .collect()
}

/// Decodes one whole message: X.509 certificates, and SHA-256 (every trace uses
/// TLS_AES_128_GCM_SHA256), so Finished's verify_data is 32 bytes.
fn decode(bytes: &[u8]) -> Handshake<'_> {
    let mut r = Reader::new(bytes);
    let msg = Handshake::decode(&mut r, Some(CertificateType::X509), Some(32))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(r.is_empty(), "the message fills its bytes");
    msg
}

/// Checks every message of a trace and snapshots their decoded forms; returns the messages.
fn check(name: &str, count: usize) -> Vec<Message> {
    let messages = trace(name);
    assert_eq!(messages.len(), count, "{name}: messages in the data");
    let mut shown = String::new();
    for (i, m) in messages.iter().enumerate() {
        let msg = decode(&m.bytes);
        assert_eq!(
            format!("{:?}", msg.selector()),
            m.name,
            "{name} #{i}: the trace names this message"
        );
        assert_eq!(msg.to_vec(), m.bytes, "{name} #{i} {}: re-encoded", m.name);
        writeln!(shown, "#{i} {} {}: {msg:#?}\n", m.sender, m.name).unwrap();
    }
    insta::assert_snapshot!(name, shown);
    messages
}

fn extensions<'a>(msg: &'a Handshake<'a>) -> &'a [Extension<'a>] {
    match msg {
        Handshake::ClientHello(ch) => ch.extensions.as_deref().unwrap_or_default(),
        Handshake::ServerHello(sh) => sh.extensions.as_deref().unwrap_or_default(),
        _ => &[],
    }
}

#[test]
fn simple_1rtt() {
    let m = check("simple-1rtt", 8);
    let names: Vec<&str> = m.iter().map(|m| m.name).collect();
    assert_eq!(
        names,
        [
            "ClientHello",
            "ServerHello",
            "EncryptedExtensions",
            "Certificate",
            "CertificateVerify",
            "Finished",
            "Finished",
            "NewSessionTicket"
        ]
    );
}

#[test]
fn resumed_0rtt() {
    let m = check("resumed-0rtt", 6);
    let hello = decode(&m[0].bytes);
    // The ClientHello offers early data and a PSK, the PSK last.
    let types: Vec<ExtensionType> = extensions(&hello).iter().map(|e| e.selector()).collect();
    assert!(types.contains(&ExtensionType::EarlyData), "{types:?}");
    assert_eq!(types.last(), Some(&ExtensionType::PreSharedKey));

    // RFC 8446 4.2.11.2: the binder is computed over the hello truncated before the binders
    // list. RFC 8448 section 4 prints that prefix: 477 octets ("ClientHello prefix").
    let (bytes, at) = hello.encode_with_offset(BINDERS);
    assert_eq!(bytes, m[0].bytes);
    assert_eq!(at, Some(477));
    // What follows is the binders list: its 2-byte length, one 32-byte binder.
    assert_eq!(&bytes[477..480], [0x00, 0x21, 0x20]);
    assert_eq!(bytes.len(), 477 + 2 + 1 + 32);

    // `last(pre_shared_key)`: the same hello with pre_shared_key moved to the front is refused
    // at the extension after it, illegal_parameter.
    let Handshake::ClientHello(mut ch) = hello.clone() else {
        panic!("not a ClientHello")
    };
    let exts = ch.extensions.as_mut().expect("extensions");
    let psk = exts.pop().expect("pre_shared_key");
    assert!(matches!(
        psk,
        Extension::PreSharedKey(PreSharedKeyExtension::ClientHello(_))
    ));
    exts.insert(0, psk);
    let reordered = Handshake::ClientHello(ch).to_vec();
    // (A ClientHello needs no decode context: no certificate type, no hash length.)
    let err = Handshake::decode(&mut Reader::new(&reordered), None, None)
        .expect_err("pre_shared_key not last");
    assert_eq!(
        err.kind,
        DecodeErrorKind::NotLast {
            value: ExtensionType::PreSharedKey.value().into()
        }
    );
    assert_eq!(err.alert(), AlertDescription::IllegalParameter);

    // The hello is padded (RFC 7685: type 21, 0x57 zero bytes). `zero`: a padding byte that is
    // not zero is refused, illegal_parameter.
    let padding = types.iter().position(|t| *t == ExtensionType::Padding);
    assert!(padding.is_some(), "{types:?}");
    let at = m[0]
        .bytes
        .windows(4)
        .position(|w| w == [0x00, 0x15, 0x00, 0x57])
        .expect("the padding extension's header");
    let mut bad = m[0].bytes.clone();
    bad[at + 4 + 10] = 1;
    let err = Handshake::decode(
        &mut Reader::new(&bad),
        Some(CertificateType::X509),
        Some(32),
    )
    .expect_err("non-zero padding");
    assert_eq!(err.kind, DecodeErrorKind::NotZero);
    assert_eq!(err.offset, at + 4 + 10);
    assert_eq!(err.alert(), AlertDescription::IllegalParameter);
}

#[test]
fn hello_retry_request() {
    let m = check("hello-retry-request", 9);
    // The second message is the HelloRetryRequest: a ServerHello with the special random,
    // whose key_share is the retry form (a group, no share).
    let retry = decode(&m[1].bytes);
    let Handshake::ServerHello(sh) = &retry else {
        panic!("not a ServerHello")
    };
    assert_eq!(sh.random.to_vec(), HELLO_RETRY_REQUEST);
    assert!(extensions(&retry).iter().any(|e| matches!(
        e,
        Extension::KeyShare(KeyShare::ServerHello(KeyShareServer::True(_)))
    )));
    // The real ServerHello after it carries a share.
    let real = decode(&m[3].bytes);
    assert!(extensions(&real).iter().any(|e| matches!(
        e,
        Extension::KeyShare(KeyShare::ServerHello(KeyShareServer::False(_)))
    )));
    assert_eq!(decode(&m[2].bytes).selector(), HandshakeType::ClientHello);
}

#[test]
fn client_auth() {
    let m = check("client-auth", 10);
    assert_eq!(m[3].name, "CertificateRequest");
    assert_eq!(m[7].sender, "client");
    assert_eq!(m[7].name, "Certificate");
}

#[test]
fn compatibility_mode() {
    let m = check("compatibility-mode", 7);
    // Middlebox compatibility mode (RFC 8446 D.4): the client sends a 32-byte session ID,
    // which the server echoes.
    let (Handshake::ClientHello(ch), Handshake::ServerHello(sh)) =
        (decode(&m[0].bytes), decode(&m[1].bytes))
    else {
        panic!("not the hellos")
    };
    assert_eq!(ch.session_id.0.len(), 32);
    assert_eq!(sh.session_id, ch.session_id);
}
