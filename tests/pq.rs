//! Post-quantum hybrid key exchange (draft-ietf-tls-ecdhe-mlkem): X25519MLKEM768 and
//! SecP256r1MLKEM768 in TLS 1.3. spectls with itself for both groups; what the default client
//! offers; the server's preference and its HelloRetryRequest for the hybrid; every wrong share
//! length and an encapsulation key failing FIPS 203's modulus check refused with
//! illegal_parameter on the wire; a tampered ciphertext failing like any wrong key; TLS 1.2
//! leaving the hybrids alone; rustls on aws-lc-rs in both directions; headless Chromium against
//! the example server. (The ML-KEM known-answer vectors run in tls-core's unit tests,
//! `crypto::hybrid`, through the same key share code.)

mod common;

use common::example_bin::Server;
use common::tls13::{client13, server13};
use common::*;
use spectls::codec::Codec;
use spectls::version::{TLS12, TLS13};
use spectls::wire::{
    tls12::Handshake, AlertDescription as A, ClientHello, ContentType, Extension, KeyShare,
    KeyShareEntry, KeyShareServer, NamedCurve, HELLO_RETRY_REQUEST,
};
use spectls::{ClientConfig, Error, PeerMisbehaved, ServerConfig};
use std::sync::Arc;

const HYBRIDS: [NamedCurve; 2] = [NamedCurve::X25519MLKEM768, NamedCurve::SecP256r1MLKEM768];

fn invalid_share() -> Error {
    Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare)
}

/// The key share entries of a ClientHello: (group, key_exchange length).
fn shares_of(ch: &ClientHello<'_>) -> Vec<(NamedCurve, usize)> {
    ch.extensions
        .as_deref()
        .unwrap()
        .iter()
        .find_map(|e| match e {
            Extension::KeyShare(KeyShare::ClientHello(k)) => Some(
                k.client_shares
                    .iter()
                    .map(|s| (s.group, s.key_exchange.len()))
                    .collect(),
            ),
            _ => None,
        })
        .unwrap()
}

fn supported_groups_of(ch: &ClientHello<'_>) -> Vec<NamedCurve> {
    ch.extensions
        .as_deref()
        .unwrap()
        .iter()
        .find_map(|e| match e {
            Extension::EllipticCurves(g) => Some(g.named_curve_list.clone()),
            _ => None,
        })
        .unwrap()
}

fn shares_mut<'c, 'a>(ch: &'c mut ClientHello<'a>) -> &'c mut Vec<KeyShareEntry<'a>> {
    exts(ch)
        .iter_mut()
        .find_map(|e| match e {
            Extension::KeyShare(KeyShare::ClientHello(k)) => Some(&mut k.client_shares),
            _ => None,
        })
        .unwrap()
}

/// Whether a server flight starts with a HelloRetryRequest (RFC 8446 4.1.3's random).
fn is_retry(flight: &[u8]) -> bool {
    let records = split_records(flight);
    let Handshake::ServerHello(sh) = decode_hs(fragment_of(&records[0].1)) else {
        panic!("a ServerHello first")
    };
    random_of(&sh.random) == HELLO_RETRY_REQUEST
}

/// A full handshake in memory, counting the server's HelloRetryRequests and the bytes each way.
struct Run {
    retries: usize,
    client_bytes: usize,
    server_bytes: usize,
}

fn run(client: ClientConfig, server: ServerConfig) -> (Run, ClientConnectionPair) {
    let (mut c, mut s) = pair(client, server);
    let mut r = Run {
        retries: 0,
        client_bytes: 0,
        server_bytes: 0,
    };
    for _ in 0..10 {
        if !c.is_handshaking() && !s.is_handshaking() && !c.wants_write() && !s.wants_write() {
            break;
        }
        let out = drain(&mut c);
        r.client_bytes += out.len();
        feed(&mut s, &out).expect("server accepts");
        let out = drain(&mut s);
        // A flight in the clear starts with a ServerHello or a HelloRetryRequest.
        if split_records(&out)
            .first()
            .is_some_and(|(t, _)| *t == ContentType::Handshake)
        {
            r.retries += usize::from(is_retry(&out));
        }
        r.server_bytes += out.len();
        feed(&mut c, &out).expect("client accepts");
    }
    assert!(!c.is_handshaking() && !s.is_handshaking(), "handshake done");
    (r, (c, s))
}

type ClientConnectionPair = (spectls::ClientConnection, spectls::ServerConnection);

/// Application data both ways over a connected pair.
fn exchange_data(c: &mut spectls::ClientConnection, s: &mut spectls::ServerConnection) {
    use std::io::Write;
    c.writer().write_all(b"ping over ML-KEM").unwrap();
    transfer(c, s).unwrap();
    assert_eq!(read_all(s), b"ping over ML-KEM");
    s.writer().write_all(b"pong").unwrap();
    transfer(s, c).unwrap();
    assert_eq!(read_all(c), b"pong");
}

#[test]
fn spectls_negotiates_each_hybrid_group_with_itself() {
    for group in HYBRIDS {
        let client = client13(|b| b.with_groups(&[group]));
        let (r, (mut c, mut s)) = run(client, server13(false, |b| b));
        assert_eq!(r.retries, 0);
        assert_eq!(c.negotiated_group(), Some(group));
        assert_eq!(s.negotiated_group(), Some(group));
        assert_eq!(c.protocol_version(), Some(TLS13));
        exchange_data(&mut c, &mut s);
    }
}

#[test]
fn the_default_client_offers_x25519mlkem768_with_an_x25519_share_beside_it() {
    let mut c =
        spectls::ClientConnection::new(Arc::new(client13(|b| b)), "localhost".try_into().unwrap())
            .unwrap();
    let hello = handshake_payload(&drain(&mut c));
    let Handshake::ClientHello(ch) = decode_hs(&hello) else {
        panic!("ClientHello")
    };
    assert_eq!(
        shares_of(&ch),
        [(NamedCurve::X25519MLKEM768, 1216), (NamedCurve::X25519, 32)]
    );
    assert_eq!(
        supported_groups_of(&ch),
        [
            NamedCurve::X25519MLKEM768,
            NamedCurve::X25519,
            NamedCurve::Secp256r1,
            NamedCurve::Secp384r1
        ]
    );
    // The two X25519 keys are independent: the hybrid's X25519 half is not the X25519 share.
    let ext = ch
        .extensions
        .as_deref()
        .unwrap()
        .iter()
        .find_map(|e| match e {
            Extension::KeyShare(KeyShare::ClientHello(k)) => Some(k.client_shares.clone()),
            _ => None,
        })
        .unwrap();
    assert_ne!(&ext[0].key_exchange[1184..], ext[1].key_exchange);
    // The second share is the hybrid's classical half, and only when that group is listed.
    for (groups, want) in [
        (
            &[NamedCurve::X25519MLKEM768, NamedCurve::Secp256r1][..],
            &[(NamedCurve::X25519MLKEM768, 1216)][..],
        ),
        (
            &[
                NamedCurve::SecP256r1MLKEM768,
                NamedCurve::X25519,
                NamedCurve::Secp256r1,
            ],
            &[
                (NamedCurve::SecP256r1MLKEM768, 1249),
                (NamedCurve::Secp256r1, 65),
            ],
        ),
    ] {
        let mut c = spectls::ClientConnection::new(
            Arc::new(client13(|b| b.with_groups(groups))),
            "localhost".try_into().unwrap(),
        )
        .unwrap();
        let hello = handshake_payload(&drain(&mut c));
        let Handshake::ClientHello(ch) = decode_hs(&hello) else {
            panic!("ClientHello")
        };
        assert_eq!(shares_of(&ch), want);
    }
}

#[test]
fn the_server_prefers_the_hybrid_and_a_classical_server_answers_the_x25519_share() {
    // Default on both sides: the hybrid, one round trip.
    let (r, (c, s)) = run(client13(|b| b), server13(false, |b| b));
    assert_eq!(
        (r.retries, c.negotiated_group()),
        (0, Some(NamedCurve::X25519MLKEM768))
    );
    assert_eq!(s.negotiated_group(), Some(NamedCurve::X25519MLKEM768));
    // A server without post-quantum groups takes the X25519 share: still one round trip.
    let classical = server13(false, |b| {
        b.with_groups(&[NamedCurve::X25519, NamedCurve::Secp256r1])
    });
    let (r, (c, _)) = run(client13(|b| b), classical);
    assert_eq!(
        (r.retries, c.negotiated_group()),
        (0, Some(NamedCurve::X25519))
    );
    // A client with post-quantum turned off.
    let client = client13(|b| b.with_groups(&[NamedCurve::X25519, NamedCurve::Secp256r1]));
    let (r, (c, _)) = run(client, server13(false, |b| b));
    assert_eq!(
        (r.retries, c.negotiated_group()),
        (0, Some(NamedCurve::X25519))
    );
}

#[test]
fn a_client_listing_the_hybrid_without_a_share_for_it_is_asked_for_it() {
    // X25519 first: its one share is X25519, but it lists X25519MLKEM768.
    let groups = [NamedCurve::X25519, NamedCurve::X25519MLKEM768];
    let (r, (c, s)) = run(client13(|b| b.with_groups(&groups)), server13(false, |b| b));
    assert_eq!(r.retries, 1);
    assert_eq!(c.negotiated_group(), Some(NamedCurve::X25519MLKEM768));
    assert_eq!(s.negotiated_group(), Some(NamedCurve::X25519MLKEM768));
    // The same for SecP256r1MLKEM768 from a P-256 client.
    let groups = [NamedCurve::Secp256r1, NamedCurve::SecP256r1MLKEM768];
    let (r, (c, _)) = run(client13(|b| b.with_groups(&groups)), server13(false, |b| b));
    assert_eq!(
        (r.retries, c.negotiated_group()),
        (1, Some(NamedCurve::SecP256r1MLKEM768))
    );
    // A server that ranks X25519 above the hybrid takes the X25519 share: its order decides.
    let groups = [NamedCurve::X25519, NamedCurve::X25519MLKEM768];
    let (r, (c, s)) = run(
        client13(|b| b.with_groups(&groups)),
        server13(false, |b| b.with_groups(&groups)),
    );
    assert_eq!(
        (r.retries, c.negotiated_group(), s.negotiated_group()),
        (0, Some(NamedCurve::X25519), Some(NamedCurve::X25519))
    );
    // Turned off: the X25519 share is taken.
    let groups = [NamedCurve::X25519, NamedCurve::X25519MLKEM768];
    let (r, (c, _)) = run(
        client13(|b| b.with_groups(&groups)),
        server13(false, |b| b.with_retry_for_post_quantum(false)),
    );
    assert_eq!(
        (r.retries, c.negotiated_group()),
        (0, Some(NamedCurve::X25519))
    );
}

/// A real default TLS 1.3 ClientHello with its X25519MLKEM768 share (or, for `p256`, a
/// SecP256r1MLKEM768 one) replaced by `share`.
fn hello_with_share(group: NamedCurve, share: &[u8]) -> Vec<u8> {
    let mut c = spectls::ClientConnection::new(
        Arc::new(client13(|b| b.with_groups(&[group]))),
        "localhost".try_into().unwrap(),
    )
    .unwrap();
    let msg = handshake_payload(&drain(&mut c));
    let Handshake::ClientHello(mut ch) = decode_hs(&msg).clone() else {
        panic!()
    };
    let entries = shares_mut(&mut ch);
    assert_eq!(entries[0].group, group);
    entries[0].key_exchange = share;
    hs_record(&Handshake::ClientHello(ch))
}

/// The share a fresh client of `group` sends.
fn fresh_share(group: NamedCurve) -> Vec<u8> {
    spectls::internal::ClientKeyShare::start(group)
        .unwrap()
        .public_key()
        .to_vec()
}

#[test]
fn wrong_client_share_lengths_are_illegal_parameter_on_the_wire() {
    for group in HYBRIDS {
        let (len, _) = spectls::internal::share_lengths(group).unwrap();
        let good = fresh_share(group);
        for bad_len in [1, 32, 65, 1184, len - 1, len + 1, len + 32] {
            let mut share = good.clone();
            share.resize(bad_len, 7);
            server_refuses(
                server13(false, |b| b),
                &hello_with_share(group, &share),
                invalid_share(),
                A::IllegalParameter,
            );
        }
        // Control: the untouched share is accepted, with a ServerHello (no retry).
        let (mut s, got) = offer(server13(false, |b| b), &hello_with_share(group, &good));
        got.expect("accepted");
        let flight = drain(&mut s);
        assert!(!is_retry(&flight));
        assert_eq!(s.negotiated_group(), Some(group));
    }
}

/// FIPS 203 7.2: the Wycheproof vector whose first coefficient is q, and our own key with a
/// coefficient set to 4095, both refused with illegal_parameter.
#[test]
fn an_encapsulation_key_failing_the_modulus_check_is_illegal_parameter() {
    let vector = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tls-core/tests/data/mlkem/modulus.txt"
    ))
    .unwrap();
    let ek = vector
        .lines()
        .find_map(|l| l.strip_prefix("ek = "))
        .map(unhex)
        .unwrap();
    let x25519 = &fresh_share(NamedCurve::X25519);
    let share = [ek.as_slice(), x25519].concat();
    server_refuses(
        server13(false, |b| b),
        &hello_with_share(NamedCurve::X25519MLKEM768, &share),
        invalid_share(),
        A::IllegalParameter,
    );
    let mut share = fresh_share(NamedCurve::SecP256r1MLKEM768);
    // The ek follows the 65-byte point; its second coefficient is 12 bits from byte 66.5.
    share[66] |= 0xf0;
    share[67] = 0xff;
    server_refuses(
        server13(false, |b| b),
        &hello_with_share(NamedCurve::SecP256r1MLKEM768, &share),
        invalid_share(),
        A::IllegalParameter,
    );
}

/// The server's first flight with its ServerHello's key_exchange edited by `edit`.
fn server_flight_edited(
    group: NamedCurve,
    edit: impl FnOnce(&mut Vec<u8>),
) -> (spectls::ClientConnection, Vec<u8>) {
    let (mut c, mut s) = pair(
        client13(|b| b.with_groups(&[group])),
        server13(false, |b| b),
    );
    transfer(&mut c, &mut s).unwrap();
    let records = split_records(&drain(&mut s));
    let Handshake::ServerHello(mut sh) = decode_hs(fragment_of(&records[0].1)).clone() else {
        panic!("ServerHello")
    };
    let mut share = Vec::new();
    for e in sh.extensions.as_deref().unwrap() {
        if let Extension::KeyShare(KeyShare::ServerHello(KeyShareServer::False(k))) = e {
            assert_eq!(k.server_share.group, group);
            share = k.server_share.key_exchange.to_vec();
        }
    }
    edit(&mut share);
    for e in sh.extensions.as_mut().unwrap() {
        if let Extension::KeyShare(KeyShare::ServerHello(KeyShareServer::False(k))) = e {
            k.server_share.key_exchange = &share;
        }
    }
    let mut flight = hs_record(&Handshake::ServerHello(sh));
    for (_, r) in &records[1..] {
        flight.extend_from_slice(r);
    }
    (c, flight)
}

#[test]
fn wrong_server_share_lengths_are_illegal_parameter_on_the_wire() {
    for group in HYBRIDS {
        let (_, len) = spectls::internal::share_lengths(group).unwrap();
        for bad_len in [32, 65, 1088, len - 1, len + 1] {
            let (mut c, flight) = server_flight_edited(group, |s| s.resize(bad_len, 7));
            let got = feed(&mut c, &flight);
            failed_in_clear(&mut c, got, invalid_share(), A::IllegalParameter);
        }
    }
}

/// A ciphertext of the right length that is not the server's: ML-KEM's implicit rejection gives
/// the client another secret, so the server's encrypted flight does not open (bad_record_mac),
/// as with any wrong key; no error of its own.
#[test]
fn a_tampered_ciphertext_fails_like_a_wrong_key() {
    let (mut c, flight) = server_flight_edited(NamedCurve::X25519MLKEM768, |s| s[500] ^= 0x10);
    let got = feed(&mut c, &flight);
    let err = got.expect_err("wrong keys");
    assert_eq!(err, Error::BadRecordMac);
    assert_eq!(err.alert(), Some(A::BadRecordMac));
}

#[test]
fn tls12_never_uses_a_hybrid_group() {
    // A TLS 1.2 server whose list starts with the hybrids: ECDHE on X25519.
    let server = server_builder(false)
        .with_groups(&[NamedCurve::X25519MLKEM768, NamedCurve::X25519])
        .build()
        .unwrap();
    let client = client_with(|b| b.with_groups(spectls::crypto::SUPPORTED_GROUPS));
    let (mut c, mut s) = pair(client, server);
    // The TLS 1.2 ClientHello lists the hybrid; that is fine.
    let hello = drain(&mut c);
    let payload = handshake_payload(&hello);
    let Handshake::ClientHello(ch) = decode_hs(&payload) else {
        panic!()
    };
    assert_eq!(supported_groups_of(&ch)[0], NamedCurve::X25519MLKEM768);
    feed(&mut s, &hello).unwrap();
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(c.protocol_version(), Some(TLS12));
    assert_eq!(s.negotiated_group(), Some(NamedCurve::X25519));
    // A TLS 1.2 server with only hybrid groups has none in common with anyone.
    let server = server_builder(false)
        .with_groups(&[NamedCurve::X25519MLKEM768])
        .build()
        .unwrap();
    let client = client_with(|b| b.with_groups(spectls::crypto::SUPPORTED_GROUPS));
    let (mut c, mut s) = pair(client, server);
    assert_eq!(
        handshake(&mut c, &mut s).unwrap_err(),
        Error::PeerIncompatible(spectls::PeerIncompatible::NoGroupInCommon)
    );
    // A client offering 1.3 and 1.2 to a 1.2-only server gets X25519 over 1.2.
    let client = ClientConfig::builder()
        .with_root_certificates(roots())
        .with_protocol_versions(&[TLS13, TLS12])
        .build()
        .unwrap();
    let (mut c, mut s) = pair(client, server_config(false));
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(c.protocol_version(), Some(TLS12));
    assert_eq!(c.negotiated_group(), Some(NamedCurve::X25519));
}

#[test]
fn key_share_sizes_and_handshake_bytes() {
    // The numbers the README quotes: a full handshake's bytes each way (ECDSA P-256 chain).
    let mut rows = Vec::new();
    for (name, groups) in [
        ("X25519", &[NamedCurve::X25519][..]),
        ("X25519MLKEM768", &[NamedCurve::X25519MLKEM768][..]),
        (
            "X25519MLKEM768 + X25519 (default)",
            spectls::crypto::SUPPORTED_GROUPS,
        ),
    ] {
        let (r, (c, _)) = run(client13(|b| b.with_groups(groups)), server13(false, |b| b));
        rows.push((name, r.client_bytes, r.server_bytes));
        eprintln!(
            "{name}: client {} bytes, server {} bytes, group {}",
            r.client_bytes,
            r.server_bytes,
            c.negotiated_group().unwrap()
        );
    }
    // ML-KEM adds its encapsulation key (1184) to the client's flight, exactly, and its
    // ciphertext (1088) to the server's: the same certificate and messages otherwise, but for
    // the ECDSA signature, whose DER length varies by a byte or two from one handshake to the
    // next.
    let near = |got: usize, want: usize| got.abs_diff(want) <= 4;
    assert_eq!(rows[1].1 - rows[0].1, 1184);
    assert!(near(rows[1].2 - rows[0].2, 1088), "{rows:?}");
    // The default adds the X25519 share's KeyShareEntry (2 + 2 + 32) beside the hybrid, and
    // three more groups (6 bytes) to supported_groups.
    assert_eq!(rows[2].1 - rows[1].1, 36 + 6);
    assert!(near(rows[2].2, rows[1].2), "{rows:?}");
}

// ---------------------------------------------------------------------------------------------
// rustls on aws-lc-rs (its X25519MLKEM768 and SECP256R1MLKEM768)

fn aws_lc_provider(
    groups: &[&'static dyn rustls::crypto::SupportedKxGroup],
) -> Arc<rustls::crypto::CryptoProvider> {
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    provider.kx_groups = groups.to_vec();
    Arc::new(provider)
}

fn rustls_name(group: NamedCurve) -> rustls::NamedGroup {
    rustls::NamedGroup::from(group.value())
}

#[test]
fn rustls_aws_lc_rs_client_negotiates_the_hybrids_with_spectls() {
    use rustls::crypto::aws_lc_rs::kx_group;
    for (group, kx) in [
        (NamedCurve::X25519MLKEM768, kx_group::X25519MLKEM768),
        (NamedCurve::SecP256r1MLKEM768, kx_group::SECP256R1MLKEM768),
    ] {
        // The hybrid first, X25519 beside it (rustls sends both shares, as Chrome does).
        let config =
            rustls::ClientConfig::builder_with_provider(aws_lc_provider(&[kx, kx_group::X25519]))
                .with_protocol_versions(&[&rustls::version::TLS13])
                .unwrap()
                .with_root_certificates(rustls_roots(&spectls::pki::certs_from_pem(CA).unwrap()))
                .with_no_client_auth();
        let mut r = rustls_client_with(&Arc::new(config));
        let mut s = spectls::ServerConnection::new(Arc::new(server13(false, |b| b))).unwrap();
        rustls_handshake(&mut r, &mut s);
        assert_eq!(s.negotiated_group(), Some(group));
        assert_eq!(
            r.negotiated_key_exchange_group().map(|g| g.name()),
            Some(rustls_name(group))
        );
        let got = spectls_to_rustls(&mut s, &mut r).unwrap();
        assert!(got.data.is_empty());
        use std::io::Write;
        r.writer().write_all(b"hello from rustls").unwrap();
        let got = rustls_to_spectls(&mut r, &mut s).unwrap();
        assert_eq!(got.data, b"hello from rustls");
    }
}

#[test]
fn spectls_client_negotiates_the_hybrids_with_a_rustls_aws_lc_rs_server() {
    use rustls::crypto::aws_lc_rs::kx_group;
    for (group, groups) in [
        // spectls's defaults, rustls's defaults with post-quantum preferred.
        (
            NamedCurve::X25519MLKEM768,
            spectls::crypto::SUPPORTED_GROUPS,
        ),
        (
            NamedCurve::SecP256r1MLKEM768,
            &[NamedCurve::SecP256r1MLKEM768, NamedCurve::Secp256r1][..],
        ),
    ] {
        let chain = spectls::pki::certs_from_pem(ECDSA_CHAIN).unwrap();
        let key = spectls::pki::private_key_from_pem(ECDSA_KEY).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(aws_lc_provider(&[
            kx_group::X25519MLKEM768,
            kx_group::SECP256R1MLKEM768,
            kx_group::X25519,
            kx_group::SECP256R1,
        ]))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
        let mut r = rustls_server_with(&Arc::new(config));
        let mut c = spectls::ClientConnection::new(
            Arc::new(client13(|b| b.with_groups(groups))),
            "localhost".try_into().unwrap(),
        )
        .unwrap();
        rustls_handshake(&mut r, &mut c);
        assert_eq!(c.negotiated_group(), Some(group));
        assert_eq!(
            r.negotiated_key_exchange_group().map(|g| g.name()),
            Some(rustls_name(group))
        );
        use std::io::Write;
        c.writer().write_all(b"hello from spectls").unwrap();
        let got = spectls_to_rustls(&mut c, &mut r).unwrap();
        assert_eq!(got.data, b"hello from spectls");
    }
}

/// rustls asks spectls's X25519-only-share client for the hybrid when it prefers it and the
/// client listed it (rustls's own HelloRetryRequest), and spectls answers with a hybrid share.
#[test]
fn spectls_client_answers_a_rustls_retry_for_the_hybrid() {
    use rustls::crypto::aws_lc_rs::kx_group;
    let chain = spectls::pki::certs_from_pem(ECDSA_CHAIN).unwrap();
    let key = spectls::pki::private_key_from_pem(ECDSA_KEY).unwrap();
    let config =
        rustls::ServerConfig::builder_with_provider(aws_lc_provider(&[kx_group::X25519MLKEM768]))
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
    let mut r = rustls_server_with(&Arc::new(config));
    let groups = [NamedCurve::X25519, NamedCurve::X25519MLKEM768];
    let mut c = spectls::ClientConnection::new(
        Arc::new(client13(|b| b.with_groups(&groups))),
        "localhost".try_into().unwrap(),
    )
    .unwrap();
    rustls_handshake(&mut r, &mut c);
    assert_eq!(c.negotiated_group(), Some(NamedCurve::X25519MLKEM768));
}

// ---------------------------------------------------------------------------------------------
// Headless Chromium (it offers X25519MLKEM768 by default) against the example server

#[test]
fn chromium_negotiates_x25519mlkem768_with_the_example_server() {
    let server = Server::start(&["--tls13"]);
    let leaf = spectls::pki::certs_from_pem(ECDSA_CHAIN).unwrap().remove(0);
    let url = format!("https://localhost:{}/", server.port);
    let Some(page) = common::chromium::dump_dom(&url, &leaf) else {
        return;
    };
    let page = page.unwrap_or_else(|e| panic!("{e}\nserver:\n{}", server.log_tail()));
    assert!(
        page.contains("TLSv1.3"),
        "the page names the version: {page}\nserver:\n{}",
        server.log_tail()
    );
    assert!(
        server.wait_stderr("group X25519MLKEM768", std::time::Duration::from_secs(10)),
        "the server log shows the hybrid:\n{}",
        server.log_tail()
    );
}

#[test]
fn chromium_spki_pin_is_standard_base64() {
    for (input, want) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(common::chromium::base64(input.as_bytes()), want);
    }
}

#[test]
fn hybrid_shares_decode_as_their_schema_structs() {
    use spectls::wire::{SecP256r1MLKEM768ClientShare, X25519MLKEM768ClientShare};
    let share = fresh_share(NamedCurve::X25519MLKEM768);
    let s = X25519MLKEM768ClientShare::from_bytes(&share).unwrap();
    assert_eq!(&s.x25519_share[..], &share[1184..]);
    let share = fresh_share(NamedCurve::SecP256r1MLKEM768);
    let s = SecP256r1MLKEM768ClientShare::from_bytes(&share).unwrap();
    assert_eq!(s.secp256r1_share[0], 4);
    assert!(SecP256r1MLKEM768ClientShare::from_bytes(&share[1..]).is_err());
}
