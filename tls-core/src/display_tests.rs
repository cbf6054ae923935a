//! `Display` of the wire types people read in logs and errors (issue 15, part 4): the generated
//! enums print the schema's names, which are the RFCs' and IANA's (`x25519`,
//! `TLS_AES_128_GCM_SHA256`, `handshake_failure`), unknown values as `unknown(n)`;
//! `ProtocolVersion` prints OpenSSL's `TLSv1.3` (`version.rs`).

use crate::crypto::kx::ALL_GROUPS;
use crate::crypto::sign::SUPPORTED_SIGNATURE_SCHEMES;
use crate::crypto::suites::ALL_CIPHER_SUITES;
use crate::version::{TLS12, TLS13};
use crate::wire::*;

#[test]
fn protocol_versions_print_as_openssl_does() {
    assert_eq!(TLS13.to_string(), "TLSv1.3");
    assert_eq!(TLS12.to_string(), "TLSv1.2");
    let v = |major, minor| ProtocolVersion { major, minor }.to_string();
    assert_eq!(v(3, 2), "TLSv1.1");
    assert_eq!(v(3, 1), "TLSv1");
    assert_eq!(v(3, 0), "SSLv3");
    // GREASE (RFC 8701) and DTLS 1.2 are not versions spectls names.
    assert_eq!(v(0x7a, 0x7a), "unknown(0x7a7a)");
    assert_eq!(v(0xfe, 0xfd), "unknown(0xfefd)");
    assert_eq!(format!("[{:<8}]", TLS13), "[TLSv1.3 ]");
}

#[test]
fn enums_print_the_rfc_names() {
    assert_eq!(ContentType::Handshake.to_string(), "handshake");
    assert_eq!(ContentType::ApplicationData.to_string(), "application_data");
    assert_eq!(
        ContentType::ChangeCipherSpec.to_string(),
        "change_cipher_spec"
    );
    assert_eq!(HandshakeType::ClientHello.to_string(), "client_hello");
    assert_eq!(
        HandshakeType::EncryptedExtensions.to_string(),
        "encrypted_extensions"
    );
    assert_eq!(HandshakeType::KeyUpdate.to_string(), "key_update");
    assert_eq!(HandshakeType::MessageHash.to_string(), "message_hash");
    assert_eq!(
        AlertDescription::HandshakeFailure.to_string(),
        "handshake_failure"
    );
    assert_eq!(AlertDescription::CloseNotify.to_string(), "close_notify");
    assert_eq!(
        AlertDescription::MissingExtension.to_string(),
        "missing_extension"
    );
    assert_eq!(
        AlertDescription::NoApplicationProtocol.to_string(),
        "no_application_protocol"
    );
    assert_eq!(AlertLevel::Fatal.to_string(), "fatal");
    assert_eq!(ExtensionType::ServerName.to_string(), "server_name");
    assert_eq!(ExtensionType::KeyShare.to_string(), "key_share");
    assert_eq!(
        ExtensionType::ApplicationLayerProtocolNegotiation.to_string(),
        "application_layer_protocol_negotiation"
    );
    // The schema keeps RFC 8422's `elliptic_curves`; `display` prints IANA's name.
    assert_eq!(
        ExtensionType::EllipticCurves.to_string(),
        "supported_groups"
    );
    assert_eq!(
        format!("{:?}", ExtensionType::EllipticCurves),
        "EllipticCurves"
    );
    assert_eq!(NamedCurve::X25519.to_string(), "x25519");
    assert_eq!(NamedCurve::Secp256r1.to_string(), "secp256r1");
    assert_eq!(NamedCurve::Ffdhe2048.to_string(), "ffdhe2048");
    assert_eq!(
        SignatureScheme::EcdsaSecp256r1Sha256.to_string(),
        "ecdsa_secp256r1_sha256"
    );
    assert_eq!(
        SignatureScheme::RsaPssRsaeSha256.to_string(),
        "rsa_pss_rsae_sha256"
    );
    assert_eq!(SignatureScheme::Ed25519.to_string(), "ed25519");
    assert_eq!(
        CipherSuite::TLS_AES_128_GCM_SHA256.to_string(),
        "TLS_AES_128_GCM_SHA256"
    );
    assert_eq!(
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256.to_string(),
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
    );
    assert_eq!(
        CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV.to_string(),
        "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"
    );
    // Debug is unchanged: the Rust variant.
    assert_eq!(format!("{:?}", NamedCurve::X25519), "X25519");
    assert_eq!(
        format!("{:?}", Some(SignatureScheme::Ed25519)),
        "Some(Ed25519)"
    );
}

#[test]
fn unknown_values_print_their_number() {
    // One-byte enums in decimal (as the RFCs number alerts), wider ones in hex at their width.
    assert_eq!(
        AlertDescription::from_value(200).to_string(),
        "unknown(200)"
    );
    assert_eq!(
        ExtensionType::from_value(0x7a7a).to_string(),
        "unknown(0x7a7a)"
    );
    assert_eq!(
        NamedCurve::from_value(0x11ee).to_string(),
        "unknown(0x11ee)"
    );
    assert_eq!(
        NamedCurve::from_value(0x0a0a).to_string(),
        "unknown(0x0a0a)"
    );
    assert_eq!(
        SignatureScheme::from_value(0x0101).to_string(),
        "unknown(0x0101)"
    );
    assert_eq!(
        CipherSuite::from_value(0x00ff).to_string(),
        "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"
    );
    assert_eq!(
        CipherSuite::from_value(0x1305).to_string(),
        "TLS_AES_128_CCM_8_SHA256"
    );
    assert_eq!(
        CipherSuite::from_value(0x5600).to_string(),
        "unknown(0x5600)"
    );
    // Padding applies to names and numbers alike.
    assert_eq!(format!("[{:>8}]", NamedCurve::X25519), "[  x25519]");
    assert_eq!(
        format!("[{:<17}]", NamedCurve::from_value(1)),
        "[unknown(0x0001)  ]"
    );
}

/// The IANA registries' names (TLS Cipher Suites, TLS Supported Groups, TLS SignatureScheme at
/// iana.org/assignments/tls-parameters) for every value spectls negotiates.
const IANA_SUITES: &[(u16, &str)] = &[
    (0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
    (0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
    (0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
    (0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
    (0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
    (0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
    (0x1301, "TLS_AES_128_GCM_SHA256"),
    (0x1302, "TLS_AES_256_GCM_SHA384"),
    (0x1303, "TLS_CHACHA20_POLY1305_SHA256"),
];
const IANA_GROUPS: &[(u16, &str)] = &[
    (23, "secp256r1"),
    (24, "secp384r1"),
    (29, "x25519"),
    (0x11eb, "SecP256r1MLKEM768"),
    (0x11ec, "X25519MLKEM768"),
];
const IANA_SCHEMES: &[(u16, &str)] = &[
    (0x0401, "rsa_pkcs1_sha256"),
    (0x0501, "rsa_pkcs1_sha384"),
    (0x0601, "rsa_pkcs1_sha512"),
    (0x0403, "ecdsa_secp256r1_sha256"),
    (0x0503, "ecdsa_secp384r1_sha384"),
    (0x0804, "rsa_pss_rsae_sha256"),
    (0x0805, "rsa_pss_rsae_sha384"),
    (0x0806, "rsa_pss_rsae_sha512"),
    (0x0807, "ed25519"),
];

/// Every supported value has its IANA name, and the tables above name nothing spectls does
/// not support (a new suite, group or scheme must be added to them).
fn check(what: &str, supported: &[(u16, String)], iana: &[(u16, &str)]) {
    for (value, shown) in supported {
        let name = iana
            .iter()
            .find(|(v, _)| v == value)
            .unwrap_or_else(|| panic!("{what} {value:#06x} ({shown}) is not in the IANA table"))
            .1;
        assert_eq!(shown, name, "{what} {value:#06x}");
    }
    assert_eq!(
        supported.len(),
        iana.len(),
        "{what}: the table names more than spectls supports"
    );
}

#[test]
fn supported_values_print_their_iana_names() {
    let suites: Vec<(u16, String)> = ALL_CIPHER_SUITES
        .iter()
        .map(|s| (s.suite.value(), s.suite.to_string()))
        .collect();
    check("cipher suite", &suites, IANA_SUITES);
    let groups: Vec<(u16, String)> = ALL_GROUPS
        .iter()
        .map(|g| (g.value(), g.to_string()))
        .collect();
    check("group", &groups, IANA_GROUPS);
    let schemes: Vec<(u16, String)> = SUPPORTED_SIGNATURE_SCHEMES
        .iter()
        .map(|s| (s.value(), s.to_string()))
        .collect();
    check("signature scheme", &schemes, IANA_SCHEMES);
}
