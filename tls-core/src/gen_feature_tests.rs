//! The generator's features for TLS 1.3 (issue 12), on bytes: field defaults as fixed values,
//! the prose rules `unique`, `last(value)` and `zero`, the `padded` TLSInnerPlaintext,
//! `encode_find` (PSK binders) and decode context that only some messages need. The types come
//! from `tests/data/gen_features.tls` (module `wire_gen_test`).

use crate::codec::{Codec, DecodeError, DecodeErrorKind, Encode};
use crate::test_support::unhex;
use crate::wire::AlertDescription;
use crate::wire_gen_test::*;

const BINDER_PATH: &[&str] = &[
    "client_hello",
    "extensions",
    "pre_shared_key",
    "client_hello",
    "binders",
];

fn hello(extensions: Vec<Extension<'static>>) -> ClientHello<'static> {
    ClientHello {
        random: [0x11; 32],
        legacy_session_id: &[],
        cipher_suites: vec![CipherSuite([0x13, 0x01])],
        extensions,
    }
}

fn psk() -> Extension<'static> {
    Extension::PreSharedKey(PreSharedKeyExtension::ClientHello(OfferedPsks {
        identities: vec![PskIdentity {
            identity: b"ticket",
            obfuscated_ticket_age: 7,
        }],
        binders: vec![PskBinderEntry(&[0xbb; 32])],
    }))
}

fn raw(t: u16, body: &'static [u8]) -> Extension<'static> {
    Extension::Unknown(ExtensionType::from_value(t), body)
}

fn decode(bytes: &[u8]) -> Result<Handshake<'_>, DecodeError> {
    Handshake::from_bytes(bytes, None)
}

/// The bytes of a Handshake(ClientHello) up to its extensions, for hand-written variants.
fn hello_head(version: &str, compression: &str) -> String {
    format!("{version} {} 00 0002 1301 {compression}", "11".repeat(32))
}

/// A Handshake(ClientHello) from its body's hex.
fn handshake(body: &str) -> Vec<u8> {
    let body = unhex(body);
    let mut out = vec![1];
    out.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    out.extend(body);
    out
}

#[test]
fn fixed_values_are_written_and_not_stored() {
    let ch = hello(vec![raw(43, &[2, 3, 4, 5])]);
    let bytes = ch.to_vec();
    // legacy_version 0x0303 first, legacy_compression_methods `01 00` after the suites.
    assert_eq!(
        bytes,
        unhex(&format!(
            "{} 0008 002b 0004 02030405",
            hello_head("0303", "0100")
        ))
    );
    let back = ClientHello::from_bytes(&bytes, HandshakeType::ClientHello).unwrap();
    assert_eq!(back, ch);
    // ServerHello: `{ 3, 3 }` and a plain `= 0` on a uint8.
    let sh = ServerHello {
        random: [0x22; 32],
        legacy_session_id_echo: &[],
        cipher_suite: CipherSuite([0x13, 0x02]),
        extensions: vec![raw(43, &[3, 4])],
    };
    let bytes = sh.to_vec();
    assert_eq!(&bytes[..2], [3, 3]);
    assert_eq!(&bytes[34..38], [0, 0x13, 0x02, 0]);
    assert_eq!(
        ServerHello::from_bytes(&bytes, HandshakeType::ServerHello).unwrap(),
        sh
    );
    // An enum value by name: `ContentType opaque_type = application_data`.
    let ct = TLSCiphertext {
        encrypted_record: &[0xab, 0xcd],
    };
    assert_eq!(ct.to_vec(), unhex("17 0303 0002 abcd"));
}

#[test]
fn a_different_fixed_value_is_illegal_parameter() {
    let e = decode(&handshake(&format!(
        "{} 0008 002b 0004 02030405",
        hello_head("0301", "0100")
    )))
    .unwrap_err();
    assert_eq!(
        e.kind,
        DecodeErrorKind::NotFixed {
            expected: 0x0303,
            got: 0x0301
        }
    );
    assert_eq!(e.path(), "Handshake.client_hello.legacy_version");
    assert_eq!(e.offset, 4);
    assert_eq!(e.alert(), AlertDescription::IllegalParameter);

    // RFC 8446 4.1.2: legacy_compression_methods is exactly one zero byte.
    let e = decode(&handshake(&format!(
        "{} 0008 002b 0004 02030405",
        hello_head("0303", "020001")
    )))
    .unwrap_err();
    assert_eq!(
        e.kind,
        DecodeErrorKind::NotFixed {
            expected: 0x0100,
            got: 0x0200
        }
    );
    assert_eq!(
        e.path(),
        "Handshake.client_hello.legacy_compression_methods"
    );
    assert_eq!(e.offset, 4 + 2 + 32 + 1 + 4);
    assert_eq!(e.alert(), AlertDescription::IllegalParameter);

    let e = TLSCiphertext::from_bytes(&unhex("16 0303 0001 ab")).unwrap_err();
    assert_eq!(
        e.kind,
        DecodeErrorKind::NotFixed {
            expected: 23,
            got: 22
        }
    );
    assert_eq!(e.path(), "TLSCiphertext.opaque_type");
    let e = TLSCiphertext::from_bytes(&unhex("17 0301 0001 ab")).unwrap_err();
    assert_eq!(e.path(), "TLSCiphertext.legacy_record_version");
    assert_eq!(e.offset, 1);
    // Too short to hold the fixed value: truncated, not a wrong value.
    let e = TLSCiphertext::from_bytes(&unhex("17 03")).unwrap_err();
    assert!(matches!(e.kind, DecodeErrorKind::Truncated { .. }), "{e}");
}

#[test]
fn a_repeated_extension_is_decode_error_at_the_second() {
    let body = format!(
        "{} 000e 002b 0001 02 0015 0000 002b 0001 03",
        hello_head("0303", "0100")
    );
    let e = decode(&handshake(&body)).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::Duplicate { value: 43 });
    assert_eq!(e.path(), "Handshake.client_hello.extensions[2]");
    assert_eq!(e.offset, 4 + 2 + 32 + 1 + 4 + 2 + 2 + 5 + 4);
    assert_eq!(e.alert(), AlertDescription::DecodeError);
    // The same types once each decode.
    let ok = format!("{} 0009 002b 0001 02 0015 0000", hello_head("0303", "0100"));
    decode(&handshake(&ok)).unwrap();
}

#[test]
fn pre_shared_key_must_be_last() {
    let last = hello(vec![raw(43, &[2, 3, 4, 5]), psk()]);
    let bytes = Handshake::ClientHello(last.clone()).to_vec();
    assert_eq!(decode(&bytes).unwrap(), Handshake::ClientHello(last));

    let not_last = Handshake::ClientHello(hello(vec![psk(), raw(43, &[2, 3, 4, 5])])).to_vec();
    let e = decode(&not_last).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::NotLast { value: 41 });
    assert_eq!(e.path(), "Handshake.client_hello.extensions[1]");
    assert_eq!(e.offset, not_last.len() - 8, "at the extension after it");
    assert_eq!(e.alert(), AlertDescription::IllegalParameter);
}

#[test]
fn padding_must_be_zero() {
    let ok = Handshake::ClientHello(hello(vec![Extension::Padding(Padding { zeros: &[0; 5] })]));
    let mut bytes = ok.to_vec();
    assert_eq!(decode(&bytes).unwrap(), ok);
    let at = bytes.len() - 2;
    bytes[at] = 1;
    let e = decode(&bytes).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::NotZero);
    assert_eq!(e.offset, at);
    assert_eq!(
        e.path(),
        "Handshake.client_hello.extensions[0].padding.zeros"
    );
    assert_eq!(e.alert(), AlertDescription::IllegalParameter);
}

#[test]
fn inner_plaintext_finds_its_type_from_the_end() {
    // No padding.
    let bytes = unhex("0102 03 16");
    let p = TLSInnerPlaintext::from_bytes(&bytes).unwrap();
    assert_eq!(
        (p.content, p.type_, p.zeros),
        (&[1u8, 2, 3][..], ContentType::Handshake, 0)
    );
    // Padding of 0..n bytes; zeros inside the content stay content.
    for n in 0..5 {
        let bytes = [&[0xaa, 0, 0x17][..], &vec![0; n]].concat();
        let p = TLSInnerPlaintext::from_bytes(&bytes).unwrap();
        assert_eq!(p.content, [0xaa, 0]);
        assert_eq!(p.type_, ContentType::ApplicationData);
        assert_eq!(p.zeros, n);
        assert_eq!(p.to_vec(), bytes, "encodes content, type and the zeros");
    }
    // Empty content.
    let bytes = unhex("15 0000");
    let p = TLSInnerPlaintext::from_bytes(&bytes).unwrap();
    assert_eq!(
        (p.content.len(), p.type_, p.zeros),
        (0, ContentType::Alert, 2)
    );
}

#[test]
fn inner_plaintext_without_a_type_is_unexpected_message() {
    for bytes in [vec![], vec![0], vec![0; 10]] {
        let e = TLSInnerPlaintext::from_bytes(&bytes).unwrap_err();
        assert_eq!(e.kind, DecodeErrorKind::AllPadding);
        assert_eq!(e.offset, 0);
        assert_eq!(e.alert(), AlertDescription::UnexpectedMessage);
    }
    // A type ContentType does not name: the closed enum's error, at the type byte.
    let e = TLSInnerPlaintext::from_bytes(&unhex("0102 63 0000")).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::UnknownValue { value: 0x63 });
    assert_eq!(e.path(), "TLSInnerPlaintext.type");
    assert_eq!(e.offset, 2);
}

#[test]
fn encode_find_gives_the_truncated_client_hello() {
    let ch = hello(vec![raw(43, &[2, 3, 4, 5]), psk()]);
    let msg = Handshake::ClientHello(ch.clone());
    let (bytes, at) = msg.encode_with_offset(BINDER_PATH);
    assert_eq!(bytes, msg.to_vec(), "the same encoding as encode");
    let at = at.expect("binders found");
    // The binders list is the end of the message: its 2-byte length, then one 32-byte entry.
    assert_eq!(bytes.len() - at, 2 + 1 + 32);
    assert_eq!(&bytes[at..at + 3], [0, 33, 32]);
    // RFC 8446 4.2.11.2: the truncated ClientHello is everything before it.
    let truncated = &bytes[..at];
    assert!(truncated.ends_with(b"ticket\x00\x00\x00\x07"));
    // The same path inside the ClientHello alone, less the Handshake header.
    let (alone, at_alone) = ch.encode_with_offset(&BINDER_PATH[1..]);
    assert_eq!(at_alone, Some(at - 4));
    assert_eq!(alone, bytes[4..]);
    // Paths that name fields directly, and ones that name nothing.
    assert_eq!(ch.encode_with_offset(&["random"]).1, Some(2));
    assert_eq!(
        ch.encode_with_offset(&["legacy_compression_methods"]).1,
        Some(2 + 32 + 1 + 4)
    );
    assert_eq!(msg.encode_with_offset(&["server_hello"]).1, None);
    assert_eq!(msg.encode_with_offset(&["client_hello", "nope"]).1, None);
    let no_psk = Handshake::ClientHello(hello(vec![raw(43, &[2, 3, 4, 5])]));
    assert_eq!(no_psk.encode_with_offset(BINDER_PATH).1, None);
}

#[test]
fn a_client_hello_needs_no_key_exchange_context() {
    let msg = Handshake::ClientHello(hello(vec![raw(43, &[2, 3, 4, 5])]));
    let bytes = msg.to_vec();
    assert_eq!(Handshake::from_bytes(&bytes, None).unwrap(), msg);
    assert_eq!(
        Handshake::from_bytes(&bytes, Some(KeyExchangeAlgorithm::Psk)).unwrap(),
        msg
    );
    // A message that needs it, without it: the caller's mistake, internal_error.
    let cke = Handshake::ClientKeyExchange(ClientKeyExchange::Ecdhe { point: &[4, 1, 2] });
    let bytes = cke.to_vec();
    let e = Handshake::from_bytes(&bytes, None).unwrap_err();
    assert_eq!(
        e.kind,
        DecodeErrorKind::MissingContext {
            key: "KeyExchangeAlgorithm"
        }
    );
    assert_eq!(e.offset, 4);
    assert_eq!(e.alert(), AlertDescription::InternalError);
    assert_eq!(
        Handshake::from_bytes(&bytes, Some(KeyExchangeAlgorithm::Ecdhe)).unwrap(),
        cke
    );
}

/// The project's own schema: a real ClientHello (OpenSSL's, from a capture) decodes with no key
/// exchange context, and `encode_find` goes through the optional extension list and a typed
/// extension.
#[test]
fn real_client_hello_with_no_context() {
    use crate::codec::Reader;
    use crate::wire::{tls12::Handshake as H12, TLSPlaintext};
    let trace = include_str!("../../tests/data/captures/ecdsa-aes128gcm.trace");
    let line = trace.lines().find_map(|l| l.strip_prefix("c2s ")).unwrap();
    let record = unhex(line);
    let plain = TLSPlaintext::decode(&mut Reader::new(&record)).unwrap();
    let hs = H12::from_bytes(plain.fragment, None, None).unwrap();
    let H12::ClientHello(ch) = &hs else {
        panic!("not a ClientHello: {hs:?}")
    };
    let (bytes, at) = hs.encode_with_offset(&["client_hello", "extensions"]);
    assert_eq!(bytes, plain.fragment);
    // The extensions' 2-byte length prefix, then the first extension.
    let at = at.unwrap();
    let len = usize::from(u16::from_be_bytes([bytes[at], bytes[at + 1]]));
    assert_eq!(at + 2 + len, bytes.len());
    // A path that ends at a typed extension's arm gives where its body starts, after the
    // extension's type and length.
    let (_, sni) = hs.encode_with_offset(&["client_hello", "extensions", "server_name"]);
    let has_sni = ch
        .extensions
        .iter()
        .flatten()
        .any(|e| e.selector().value() == 0);
    assert!(has_sni, "the capture's ClientHello carries SNI");
    let sni = sni.unwrap();
    assert_eq!(
        &bytes[sni - 4..sni - 2],
        [0, 0],
        "extension type server_name"
    );
}
