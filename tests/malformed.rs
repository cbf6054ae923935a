//! Malformed input: for every kind of constraint, bytes that break it fail with the expected
//! `DecodeError` (kind, field path, offset) and the alert RFC 5246 asks for. Nothing panics.

use spectls::capture::{decode_handshake, Capture, Event, Flow};
use spectls::codec::{Codec, DecodeError, DecodeErrorKind, Encode, Reader};
use spectls::wire::*;

/// A small ClientHello: two suites, null compression, then EMS and server_name(localhost).
fn client_hello() -> Vec<u8> {
    ClientHello {
        client_version: ProtocolVersion { major: 3, minor: 3 },
        random: Random {
            gmt_unix_time: 0x01020304,
            random_bytes: [7; 28],
        },
        session_id: SessionID(&[]),
        cipher_suites: vec![
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        ],
        compression_methods: vec![CompressionMethod::Null],
        extensions: Some(vec![
            Extension::ExtendedMasterSecret(ExtendedMasterSecret {}),
            Extension::ServerName(ServerNameExtension::ClientHello(ServerNameList {
                server_name_list: vec![ServerName::HostName(HostName(b"localhost"))],
            })),
        ]),
    }
    .to_vec()
}

// Offsets in `client_hello()`: version 0..2, random 2..34, session_id length 34,
// cipher_suites length 35..37, suites 37..41, compression length 41, method 42,
// extensions length 43..45, EMS type 45..47, EMS length 47..49, server_name type 49..51,
// its length 51..53, list length 53..55, name_type 55.
const SESSION_ID_LEN: usize = 34;
const SUITES_LEN: usize = 35;
const COMPRESSION_LEN: usize = 41;
const EMS_LEN: usize = 47;
const NAME_TYPE: usize = 55;

fn decode(bytes: &[u8]) -> Result<ClientHello<'_>, DecodeError> {
    ClientHello::from_bytes(bytes, HandshakeType::ClientHello)
}

fn expect_err(
    bytes: &[u8],
    kind: DecodeErrorKind,
    path: &str,
    offset: usize,
    alert: AlertDescription,
) {
    let e = decode(bytes).expect_err("must not decode");
    assert_eq!(e.kind, kind, "{e}");
    assert_eq!(e.path(), path, "{e}");
    assert_eq!(e.offset, offset, "{e}");
    assert_eq!(e.alert(), alert, "{e}");
}

#[test]
fn the_fixture_is_valid() {
    let b = client_hello();
    let ch = decode(&b).expect("valid");
    assert_eq!(ch.cipher_suites.len(), 2);
    assert_eq!(ch.to_vec(), b);
    assert_eq!(b[NAME_TYPE], 0, "host_name");
}

#[test]
fn truncated_vector() {
    let mut b = client_hello();
    b[SUITES_LEN..SUITES_LEN + 2].copy_from_slice(&0x0100u16.to_be_bytes());
    expect_err(
        &b,
        DecodeErrorKind::Truncated {
            needed: 256,
            available: b.len() - 37,
        },
        "ClientHello.cipher_suites",
        37,
        AlertDescription::DecodeError,
    );
}

#[test]
fn length_not_a_multiple_of_the_element() {
    let mut b = client_hello();
    b[SUITES_LEN..SUITES_LEN + 2].copy_from_slice(&3u16.to_be_bytes());
    expect_err(
        &b,
        DecodeErrorKind::NotMultiple {
            length: 3,
            element: 2,
        },
        "ClientHello.cipher_suites",
        SUITES_LEN,
        AlertDescription::DecodeError,
    );
}

#[test]
fn floor_violated() {
    let mut b = client_hello();
    b[COMPRESSION_LEN] = 0;
    expect_err(
        &b,
        DecodeErrorKind::LengthOutOfRange {
            length: 0,
            floor: 1,
            ceiling: 255,
        },
        "ClientHello.compression_methods",
        COMPRESSION_LEN,
        AlertDescription::DecodeError,
    );
}

#[test]
fn ceiling_violated() {
    let mut b = client_hello();
    b[SESSION_ID_LEN] = 33;
    expect_err(
        &b,
        DecodeErrorKind::LengthOutOfRange {
            length: 33,
            floor: 0,
            ceiling: 32,
        },
        "ClientHello.session_id",
        SESSION_ID_LEN,
        AlertDescription::DecodeError,
    );
}

#[test]
fn extension_data_longer_than_its_body() {
    // EMS says 1 byte of data and takes the first byte of the next extension: its empty body leaves
    // it over, and the rest of the list no longer parses as extensions.
    let mut b = client_hello();
    b[EMS_LEN..EMS_LEN + 2].copy_from_slice(&1u16.to_be_bytes());
    expect_err(
        &b,
        DecodeErrorKind::TrailingBytes { count: 1 },
        "ClientHello.extensions[0]",
        EMS_LEN + 2,
        AlertDescription::DecodeError,
    );
}

#[test]
fn extension_data_longer_than_declared_list() {
    let mut b = client_hello();
    b[EMS_LEN..EMS_LEN + 2].copy_from_slice(&0x4000u16.to_be_bytes());
    let e = decode(&b).expect_err("must not decode");
    assert!(
        matches!(e.kind, DecodeErrorKind::Truncated { needed: 0x4000, .. }),
        "{e}"
    );
    assert_eq!(e.path(), "ClientHello.extensions[0]");
}

#[test]
fn unknown_value_of_a_closed_enum_deep_inside() {
    // max_fragment_length is closed (RFC 6066 4: any other value is an illegal_parameter).
    let fixture = client_hello();
    let mut ch = decode(&fixture).expect("valid");
    ch.extensions = Some(vec![Extension::MaxFragmentLength(
        MaxFragmentLength::Pow2_9,
    )]);
    let mut b = ch.to_vec();
    let last = b.len() - 1;
    b[last] = 7;
    expect_err(
        &b,
        DecodeErrorKind::UnknownValue { value: 7 },
        "ClientHello.extensions[0].max_fragment_length",
        last,
        AlertDescription::IllegalParameter,
    );
}

#[test]
fn unknown_name_type_deep_inside_is_kept_with_its_body() {
    // NameType is open and ServerName has a `default:` arm (RFC 6066 3: a later name type's
    // data begins with a 16-bit length), so name_type 7 keeps the 2-byte-prefixed body.
    let mut b = client_hello();
    b[NAME_TYPE] = 7;
    let ch = decode(&b).expect("an unknown name type decodes");
    let Some(Extension::ServerName(ServerNameExtension::ClientHello(list))) =
        ch.extensions.as_ref().and_then(|e| e.get(1))
    else {
        panic!("server_name")
    };
    assert_eq!(
        list.server_name_list,
        [ServerName::Unknown(NameType::Unknown(7), b"localhost")]
    );
    assert_eq!(ch.to_vec(), b);
}

#[test]
fn trailing_bytes_after_a_message() {
    let mut b = client_hello();
    b.push(0);
    let e = decode(&b).expect_err("must not decode");
    assert_eq!(e.kind, DecodeErrorKind::TrailingBytes { count: 1 });
    assert_eq!(e.path(), "ClientHello");
    assert_eq!(e.offset, b.len() - 1);
    let e = Alert::from_bytes(&[2, 40, 0]).expect_err("three bytes");
    assert_eq!(e.kind, DecodeErrorKind::TrailingBytes { count: 1 });
    assert_eq!(e.path(), "Alert");
    assert_eq!(e.alert(), AlertDescription::DecodeError);
}

#[test]
fn closed_and_open_enums() {
    let e = Alert::from_bytes(&[3, 40]).expect_err("alert level 3");
    assert_eq!(e.kind, DecodeErrorKind::UnknownValue { value: 3 });
    assert_eq!(e.path(), "Alert.level");
    assert_eq!(e.alert(), AlertDescription::IllegalParameter);
    // An open enum keeps the value and writes it back.
    let a = Alert::from_bytes(&[2, 201]).expect("unknown description");
    assert_eq!(a.description, AlertDescription::Unknown(201));
    assert_eq!(a.to_vec(), [2, 201]);
    assert_eq!(
        CipherSuite::from_value(0x1234),
        CipherSuite::Unknown(0x1234)
    );
    assert_eq!(CipherSuite::Unknown(0x1234).to_vec(), [0x12, 0x34]);
    let e = TLSPlaintext::from_bytes(&[99, 3, 3, 0, 0]).expect_err("content type 99");
    assert_eq!(
        (e.kind, e.path().as_str()),
        (
            DecodeErrorKind::UnknownValue { value: 99 },
            "TLSPlaintext.type"
        )
    );
}

#[test]
fn select_on_a_value_the_schema_reserves() {
    // RFC 8422 deprecates the explicit curve types (1..2): a closed enum without a name for them.
    let e = ECParameters::from_bytes(&[1, 0, 23]).expect_err("explicit_prime");
    assert_eq!(e.kind, DecodeErrorKind::UnknownValue { value: 1 });
    assert_eq!(e.path(), "ECParameters.curve_type");
    assert_eq!(e.alert(), AlertDescription::IllegalParameter);
    let ok = ECParameters::from_bytes(&[3, 0, 23]).expect("named_curve secp256r1");
    assert_eq!(
        ok,
        ECParameters::NamedCurve {
            namedcurve: NamedCurve::Secp256r1
        }
    );
    assert_eq!(ok.to_vec(), [3, 0, 23]);
}

#[test]
fn unknown_extensions_are_kept_in_order() {
    let mut b = client_hello();
    // Append extension 0x7a7a (a GREASE value) with 2 bytes of data and fix the lengths.
    b.extend_from_slice(&[0x7a, 0x7a, 0, 2, 0xab, 0xcd]);
    let ext_len = u16::from_be_bytes([b[43], b[44]]) + 6;
    b[43..45].copy_from_slice(&ext_len.to_be_bytes());
    let ch = decode(&b).expect("valid");
    let exts = ch.extensions.as_ref().expect("extensions");
    assert_eq!(exts.len(), 3);
    assert_eq!(
        exts[2],
        Extension::Unknown(ExtensionType::Unknown(0x7a7a), &[0xab, 0xcd])
    );
    assert_eq!(ch.to_vec(), b);
}

/// Every proper prefix of every captured handshake message fails cleanly; every single-byte
/// change either decodes to something that re-encodes to the changed bytes, or fails. No panics.
#[test]
fn prefixes_and_mutations_never_panic() {
    let text = include_str!("data/captures/ecdsa-aes128gcm.trace");
    let cap = Capture::parse(text).expect("capture");
    let mut flow = Flow::new(&cap);
    let events = flow.events().expect("decodes");
    let mut checked = 0;
    for e in &events {
        let Event::Message { bytes, .. } = e else {
            continue;
        };
        for n in 0..bytes.len() {
            let mut r = Reader::new(&bytes[..n]);
            assert!(
                decode_handshake(&mut r).is_err(),
                "prefix of {n} bytes decoded"
            );
        }
        let mut m = bytes.to_vec();
        for i in 0..m.len().min(400) {
            for flip in [0x01u8, 0x80, 0xff] {
                m[i] ^= flip;
                let mut r = Reader::new(&m);
                if let Ok(msg) = decode_handshake(&mut r) {
                    let used = r.offset();
                    assert_eq!(msg.to_vec(), &m[..used], "byte {i} ^ {flip:#x}");
                }
                m[i] ^= flip;
                checked += 1;
            }
        }
    }
    assert!(checked > 1000);
}
