//! The TLS 1.3 wire types (`wire::tls13`, schema/rfc8446.tls) on real messages: the RFC 8448
//! traces' ClientHello, ServerHello, HelloRetryRequest and EncryptedExtensions decode to the
//! right types (the HelloRetryRequest's key_share by the `ServerHello.random ==
//! HelloRetryRequest` select) and encode back byte for byte. The bytes are copied from RFC 8448
//! (sections 3 and 5).

use spectls::codec::{Encode, Reader};
use spectls::wire;
use spectls::wire::tls13::Handshake;
use spectls::wire::*;

fn unhex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s
        .bytes()
        .filter(u8::is_ascii_hexdigit)
        .map(|c| (c as char).to_digit(16).unwrap_or(0) as u8)
        .collect();
    digits.chunks(2).map(|p| (p[0] << 4) | p[1]).collect()
}

/// RFC 8448 section 5: the server's HelloRetryRequest (a ServerHello with the magic random).
const HRR: &str = "02 00 00 ac 03 03 cf 21 ad 74 e5 9a 61 11
         be 1d 8c 02 1e 65 b8 91 c2 a2 11 16 7a bb 8c 5e 07 9e 09 e2 c8
         a8 33 9c 00 13 01 00 00 84 00 33 00 02 00 17 00 2c 00 74 00 72
         71 dc d0 4b b8 8b c3 18 91 19 39 8a 00 00 00 00 ee fa fc 76 c1
         46 b8 23 b0 96 f8 aa ca d3 65 dd 00 30 95 3f 4e df 62 56 36 e5
         f2 1b b2 e2 3f cc 65 4b 1b 5b 40 31 8d 10 d1 37 ab cb b8 75 74
         e3 6e 8a 1f 02 5f 7d fa 5d 6e 50 78 1b 5e da 4a a1 5b 0c 8b e7
         78 25 7d 16 aa 30 30 e9 e7 84 1d d9 e4 c0 34 22 67 e8 ca 0c af
         57 1f b2 b7 cf f0 f9 34 b0 00 2b 00 02 03 04";

/// RFC 8448 section 3: the server's ServerHello.
const SERVER_HELLO: &str = "02 00 00 56 03 03 a6 af 06 a4 12 18 60 dc 5e
         6e 60 24 9c d3 4c 95 93 0c 8a c5 cb 14 34 da c1 55 77 2e d3 e2
         69 28 00 13 01 00 00 2e 00 33 00 24 00 1d 00 20 c9 82 88 76 11
         20 95 fe 66 76 2b db f7 c6 72 e1 56 d6 cc 25 3b 83 3d f1 dd 69
         b1 b0 4e 75 1f 0f 00 2b 00 02 03 04";

/// RFC 8448 section 3: the client's ClientHello.
const CLIENT_HELLO: &str = "01 00 00 c0 03 03 cb 34 ec b1 e7 81 63 ba
         1c 38 c6 da cb 19 6a 6d ff a2 1a 8d 99 12 ec 18 a2 ef 62 83 02
         4d ec e7 00 00 06 13 01 13 03 13 02 01 00 00 91 00 00 00 0b 00
         09 00 00 06 73 65 72 76 65 72 ff 01 00 01 00 00 0a 00 14 00 12
         00 1d 00 17 00 18 00 19 01 00 01 01 01 02 01 03 01 04 00 23 00
         00 00 33 00 26 00 24 00 1d 00 20 99 38 1d e5 60 e4 bd 43 d2 3d
         8e 43 5a 7d ba fe b3 c0 6e 51 c1 3c ae 4d 54 13 69 1e 52 9a af
         2c 00 2b 00 03 02 03 04 00 0d 00 20 00 1e 04 03 05 03 06 03 02
         03 08 04 08 05 08 06 04 01 05 01 06 01 02 01 04 02 05 02 06 02
         02 02 00 2d 00 02 01 01 00 1c 00 02 40 01";

/// Decodes a whole TLS 1.3 handshake message (X.509 certificates, SHA-256 transcript hash).
fn decode(bytes: &[u8]) -> Handshake<'_> {
    let mut r = Reader::new(bytes);
    let msg = Handshake::decode(&mut r, Some(CertificateType::X509), Some(32)).expect("decodes");
    assert!(r.is_empty(), "the whole message");
    assert_eq!(msg.to_vec(), bytes, "encodes back byte for byte");
    msg
}

fn extensions<'a>(sh: &'a ServerHello<'a>) -> &'a [Extension<'a>] {
    sh.extensions.as_deref().unwrap_or_default()
}

#[test]
fn hello_retry_request_decodes_its_key_share_as_the_retry_form() {
    let bytes = unhex(HRR);
    let Handshake::ServerHello(sh) = decode(&bytes) else {
        panic!("not a ServerHello");
    };
    assert_eq!(sh.random.to_vec(), HELLO_RETRY_REQUEST);
    assert_eq!(sh.cipher_suite, CipherSuite::TLS_AES_128_GCM_SHA256);
    let exts = extensions(&sh);
    assert_eq!(exts.len(), 3);
    assert_eq!(
        exts[0],
        Extension::KeyShare(KeyShare::ServerHello(KeyShareServer::True(
            KeyShareHelloRetryRequest {
                selected_group: NamedCurve::Secp256r1
            }
        )))
    );
    let Extension::Cookie(cookie) = &exts[1] else {
        panic!("not a cookie: {:?}", exts[1]);
    };
    assert_eq!(cookie.cookie.len(), 0x72);
    assert_eq!(&cookie.cookie[..4], &[0x71, 0xdc, 0xd0, 0x4b]);
    assert_eq!(
        exts[2],
        Extension::SupportedVersions(SupportedVersions::ServerHello {
            selected_version: ProtocolVersion { major: 3, minor: 4 }
        })
    );
}

#[test]
fn server_hello_decodes_its_key_share_as_the_server_form() {
    let bytes = unhex(SERVER_HELLO);
    let Handshake::ServerHello(sh) = decode(&bytes) else {
        panic!("not a ServerHello");
    };
    assert_ne!(sh.random.to_vec(), HELLO_RETRY_REQUEST);
    let exts = extensions(&sh);
    let Extension::KeyShare(KeyShare::ServerHello(KeyShareServer::False(share))) = &exts[0] else {
        panic!("not a ServerHello key_share: {:?}", exts[0]);
    };
    assert_eq!(share.server_share.group, NamedCurve::X25519);
    assert_eq!(share.server_share.key_exchange.len(), 32);
    assert_eq!(&share.server_share.key_exchange[..3], &[0xc9, 0x82, 0x88]);
}

#[test]
fn a_retry_key_share_outside_a_retry_is_refused() {
    // The HelloRetryRequest's key_share body (a bare group, 2 bytes) in a ServerHello whose random
    // is not the magic value: the ServerHello form wants a whole KeyShareEntry.
    let mut bytes = unhex(HRR);
    bytes[6] ^= 1;
    let mut r = Reader::new(&bytes);
    let err =
        Handshake::decode(&mut r, Some(CertificateType::X509), Some(32)).expect_err("refused");
    assert!(err.to_string().contains("key_share"), "{err}");
}

#[test]
fn client_hello_decodes_the_tls13_extensions() {
    let bytes = unhex(CLIENT_HELLO);
    let Handshake::ClientHello(ch) = decode(&bytes) else {
        panic!("not a ClientHello");
    };
    let exts = ch.extensions.as_deref().unwrap_or_default();
    let shares = exts.iter().find_map(|e| match e {
        Extension::KeyShare(KeyShare::ClientHello(k)) => Some(k),
        _ => None,
    });
    let shares = shares.expect("a ClientHello key_share");
    assert_eq!(shares.client_shares.len(), 1);
    assert_eq!(shares.client_shares[0].group, NamedCurve::X25519);
    assert!(exts.contains(&Extension::SupportedVersions(
        SupportedVersions::ClientHello {
            versions: vec![ProtocolVersion { major: 3, minor: 4 }]
        }
    )));
    assert!(
        exts.contains(&Extension::PskKeyExchangeModes(PskKeyExchangeModes {
            ke_modes: vec![PskKeyExchangeMode::PskDheKe]
        }))
    );
    // The same bytes are a TLS 1.2 Handshake too: the hello is one shared type.
    // (It needs no key exchange context: only ServerKeyExchange and ClientKeyExchange do.)
    let tls12 = wire::tls12::Handshake::from_bytes(&bytes, None, None).expect("decodes as TLS 1.2");
    assert_eq!(tls12, wire::tls12::Handshake::ClientHello(ch));
}

/// RFC 8448 section 3: the server's EncryptedExtensions.
const ENCRYPTED_EXTENSIONS: &str = "08 00 00 24 00 22 00 0a 00 14 00
         12 00 1d 00 17 00 18 00 19 01 00 01 01 01 02 01 03 01 04 00 1c
         00 02 40 01 00 00 00 00";

#[test]
fn encrypted_extensions_carry_the_server_name_acknowledgement() {
    let bytes = unhex(ENCRYPTED_EXTENSIONS);
    let Handshake::EncryptedExtensions(ee) = decode(&bytes) else {
        panic!("not EncryptedExtensions");
    };
    assert_eq!(ee.extensions.len(), 3);
    let Extension::EllipticCurves(groups) = &ee.extensions[0] else {
        panic!("not supported_groups: {:?}", ee.extensions[0]);
    };
    assert_eq!(groups.named_curve_list.len(), 9);
    assert_eq!(groups.named_curve_list[4], NamedCurve::Ffdhe2048);
    assert_eq!(
        ee.extensions[1],
        Extension::RecordSizeLimit(RecordSizeLimit(0x4001))
    );
    // server_name, empty, in the EncryptedExtensions (RFC 8446 4.2).
    assert_eq!(
        ee.extensions[2],
        Extension::ServerName(ServerNameExtension::EncryptedExtensions)
    );
}

#[test]
fn tls13_only_messages_decode() {
    // EncryptedExtensions with no extensions, KeyUpdate(update_requested), a SHA-256 Finished.
    let ee = [0x08, 0, 0, 2, 0, 0];
    assert_eq!(
        decode(&ee),
        Handshake::EncryptedExtensions(wire::tls13::EncryptedExtensions { extensions: vec![] })
    );
    let ku = [0x18, 0, 0, 1, 1];
    assert_eq!(
        decode(&ku),
        Handshake::KeyUpdate(wire::tls13::KeyUpdate {
            request_update: KeyUpdateRequest::UpdateRequested
        })
    );
    let mut fin = vec![0x14, 0, 0, 32];
    fin.extend([0xab; 32]);
    assert_eq!(
        decode(&fin),
        Handshake::Finished(wire::tls13::Finished {
            verify_data: &[0xab; 32]
        })
    );
    // A TLS 1.2 peer's 12-byte Finished is not a TLS 1.3 one.
    let short = [0x14, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    assert!(Handshake::decode(
        &mut Reader::new(&short),
        Some(CertificateType::X509),
        Some(32)
    )
    .is_err());
}

/// RFC 8701 lets a client put GREASE values in its cipher suites, extensions, supported_groups,
/// key_share, signature_algorithms, supported_versions and psk_key_exchange_modes. A hello with
/// all of them decodes, as either version's Handshake, and keeps every value.
#[test]
fn grease_values_decode_wherever_a_client_may_send_them() {
    let bytes = unhex(CLIENT_HELLO);
    let Handshake::ClientHello(mut ch) = decode(&bytes) else {
        panic!("not a ClientHello");
    };
    ch.cipher_suites.insert(0, CipherSuite::Unknown(0x0a0a));
    let exts = ch.extensions.as_mut().expect("extensions");
    let mut seen = 0;
    for e in exts.iter_mut() {
        match e {
            Extension::EllipticCurves(list) => {
                list.named_curve_list.insert(0, NamedCurve::Unknown(0x2a2a))
            }
            Extension::KeyShare(KeyShare::ClientHello(shares)) => shares.client_shares.insert(
                0,
                KeyShareEntry {
                    group: NamedCurve::Unknown(0x2a2a),
                    key_exchange: &[0],
                },
            ),
            Extension::SupportedVersions(SupportedVersions::ClientHello { versions }) => versions
                .insert(
                    0,
                    ProtocolVersion {
                        major: 0x3a,
                        minor: 0x3a,
                    },
                ),
            Extension::SignatureAlgorithms(list) => list.supported_signature_algorithms.insert(
                0,
                SignatureAndHashAlgorithm {
                    hash: HashAlgorithm::Unknown(0x4a),
                    signature: SignatureAlgorithm::Unknown(0x4a),
                },
            ),
            Extension::PskKeyExchangeModes(modes) => {
                modes.ke_modes.insert(0, PskKeyExchangeMode::Unknown(0x0b))
            }
            _ => continue,
        }
        seen += 1;
    }
    assert_eq!(seen, 5, "the hello has every extension GREASE goes into");
    exts.insert(0, Extension::Unknown(ExtensionType::Unknown(0x1a1a), &[0]));
    let greased = Handshake::ClientHello(ch).to_vec();

    let again = decode(&greased);
    assert_eq!(again.to_vec(), greased);
    let tls12 = wire::tls12::Handshake::from_bytes(&greased, None, None).expect("TLS 1.2 too");
    assert_eq!(tls12.to_vec(), greased);
    let Handshake::ClientHello(ch) = again else {
        panic!("not a ClientHello");
    };
    assert_eq!(ch.cipher_suites[0], CipherSuite::Unknown(0x0a0a));
    let modes = ch
        .extensions
        .iter()
        .flatten()
        .find_map(|e| match e {
            Extension::PskKeyExchangeModes(m) => Some(m.ke_modes.clone()),
            _ => None,
        })
        .expect("psk_key_exchange_modes");
    assert_eq!(
        modes,
        [
            PskKeyExchangeMode::Unknown(0x0b),
            PskKeyExchangeMode::PskDheKe
        ]
    );
}

/// Decode context only some TLS 1.3 messages need is optional: a ClientHello decodes without a
/// certificate type or hash length; a Finished without its hash length is `MissingContext`
/// (an internal error: the caller knows the suite by then), not a guess.
#[test]
fn tls13_context_is_demanded_only_by_the_messages_that_need_it() {
    let hello = unhex(CLIENT_HELLO);
    let msg = Handshake::from_bytes(&hello, None, None).expect("a ClientHello needs no context");
    assert_eq!(msg.to_vec(), hello);
    let mut fin = vec![0x14, 0, 0, 32];
    fin.extend([7u8; 32]);
    let err = Handshake::from_bytes(&fin, None, None).expect_err("Finished needs Hash.length");
    assert_eq!(
        err.kind,
        spectls::codec::DecodeErrorKind::MissingContext { key: "Hash.length" }
    );
    assert_eq!(err.alert(), AlertDescription::InternalError);
    assert!(Handshake::from_bytes(&fin, None, Some(32)).is_ok());
}
