//! RFC 8446's own appendix B (the complete listing of its presentation language) compiles.
//!
//! `data/rfc-blocks/rfc8446-appendix-b.tls` is the appendix B part of `rfc8446.pl` with the
//! fixes below applied, and nothing else (checked here); every fix is listed in the blocks'
//! README and in schema/README.md. It is compiled on its own: appendix B defines every type it
//! uses (its `Hash.length`, `length_of_padding`, `coordinate_length` and `TLSPlaintext.length`
//! are decode context).

use tls_codegen::model::{ArmBody, DefKind, Wire};

const BLOCKS: &str = include_str!("data/rfc-blocks/rfc8446.pl");
const FIXED: &str = include_str!("data/rfc-blocks/rfc8446-appendix-b.tls");

/// (as printed, as fixed): each occurs exactly once.
const FIXES: &[(&str, &str)] = &[
    // A naming template, not a definition: `VALUE` is not a number.
    ("      CipherSuite TLS_AEAD_HASH = VALUE;\n", ""),
    // Two values of one enum named alike.
    ("        RESERVED(40),  ", "        RESERVED_40(40),"),
    ("        RESERVED(46),  ", "        RESERVED_46(46),"),
    // `certificate_type` is no field: the negotiated certificate type, decode context.
    (
        "          select (certificate_type) {",
        "          /*@ partial */\n          select (CertificateType) {",
    ),
    // 2^16-1 is not a multiple of the 2-byte element.
    (
        "          NamedGroup named_group_list<2..2^16-1>;",
        "          NamedGroup named_group_list<2..2^16-2>;",
    ),
    // Handshake's length is its body's; the partial selects say so.
    (
        "          uint24 length;             /* bytes in message */\n          select (Handshake.msg_type) {",
        "          /*@ length_of(body) */\n          uint24 length;             /* bytes in message */\n          /*@ partial */\n          select (Handshake.msg_type) {",
    ),
    (
        "              case key_update:            KeyUpdate;\n          };",
        "              case key_update:            KeyUpdate;\n          } body;",
    ),
    (
        "    struct {\n        select (Handshake.msg_type) {\n            case new_session_ticket:",
        "    struct {\n        /*@ partial */\n        select (Handshake.msg_type) {\n            case new_session_ticket:",
    ),
    (
        "    struct {\n        select (Handshake.msg_type) {\n            case client_hello: OfferedPsks;",
        "    struct {\n        /*@ partial */\n        select (Handshake.msg_type) {\n            case client_hello: OfferedPsks;",
    ),
    (
        "      struct {\n          select (Handshake.msg_type) {\n              case client_hello:\n                   ProtocolVersion versions",
        "      struct {\n          /*@ partial */\n          select (Handshake.msg_type) {\n              case client_hello:\n                   ProtocolVersion versions",
    ),
];

#[test]
fn the_copy_is_appendix_b_with_the_listed_fixes_only() {
    let start = BLOCKS
        .find("/* @block rfc8446 section B.1 ")
        .expect("appendix B");
    let mut text = BLOCKS[start..].to_string();
    for (printed, fixed) in FIXES {
        assert_eq!(text.matches(printed).count(), 1, "{printed}");
        text = text.replacen(printed, fixed, 1);
    }
    assert_eq!(text.trim_end(), FIXED.trim_end());
}

#[test]
fn appendix_b_compiles() {
    let compiled =
        tls_codegen::compile_sources(vec![("rfc8446-appendix-b.tls".into(), FIXED.into())])
            .unwrap_or_else(|e| panic!("{e}"));
    let m = &compiled.model;
    let def = |name: &str| &m.defs[*m.by_name.get(name).unwrap_or_else(|| panic!("{name}"))];
    // Every definition of the listing is there.
    for name in [
        "ContentType",
        "TLSPlaintext",
        "TLSInnerPlaintext",
        "TLSCiphertext",
        "AlertLevel",
        "AlertDescription",
        "Alert",
        "HandshakeType",
        "Handshake",
        "ProtocolVersion",
        "Random",
        "CipherSuite",
        "ClientHello",
        "ServerHello",
        "Extension",
        "ExtensionType",
        "KeyShareEntry",
        "KeyShareClientHello",
        "KeyShareHelloRetryRequest",
        "KeyShareServerHello",
        "UncompressedPointRepresentation",
        "PskKeyExchangeMode",
        "PskKeyExchangeModes",
        "Empty",
        "EarlyDataIndication",
        "PskIdentity",
        "PskBinderEntry",
        "OfferedPsks",
        "PreSharedKeyExtension",
        "SupportedVersions",
        "Cookie",
        "SignatureScheme",
        "SignatureSchemeList",
        "NamedGroup",
        "NamedGroupList",
        "DistinguishedName",
        "CertificateAuthoritiesExtension",
        "OIDFilter",
        "OIDFilterExtension",
        "PostHandshakeAuth",
        "EncryptedExtensions",
        "CertificateRequest",
        "CertificateType",
        "CertificateEntry",
        "Certificate",
        "CertificateVerify",
        "Finished",
        "NewSessionTicket",
        "EndOfEarlyData",
        "KeyUpdateRequest",
        "KeyUpdate",
    ] {
        def(name);
    }
    // Handshake: the ten messages behind a uint24 length, selected by msg_type.
    let DefKind::Struct(hs) = &def("Handshake").kind else {
        panic!("Handshake is a struct");
    };
    let sel = hs.flattened_select().expect("Handshake is its select");
    let labels: Vec<&str> = sel.arms.iter().map(|a| a.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "client_hello",
            "server_hello",
            "end_of_early_data",
            "encrypted_extensions",
            "certificate_request",
            "certificate",
            "certificate_verify",
            "finished",
            "new_session_ticket",
            "key_update",
        ]
    );
    assert!(matches!(
        hs.fields[1].wire,
        Wire::Delimited { prefix: 3, .. }
    ));
    // CertificateEntry's select takes the certificate type as context; Finished its hash length.
    assert!(def("CertificateEntry")
        .context
        .contains_key("CertificateType"));
    assert!(def("Finished").context.contains_key("Hash.length"));
    // PreSharedKeyExtension: OfferedPsks from the client, a selected identity from the server.
    let DefKind::Struct(psk) = &def("PreSharedKeyExtension").kind else {
        panic!("a struct");
    };
    let arms = &psk.flattened_select().expect("a select").arms;
    assert!(matches!(&arms[1].body, ArmBody::Fields(f) if f[0].name == "selected_identity"));
    // The generated Rust parses.
    let rust = compiled.rust();
    assert!(!rust.contains("compile_error!"), "{rust}");
    assert!(rust.contains("pub enum Handshake<'a>"));
}
