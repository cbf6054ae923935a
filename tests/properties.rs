//! Property tests of the generated codec: for every type in `wire::ROUND_TRIP_TYPES`, and for
//! handshake messages (which need decode context), whatever decodes encodes back to exactly the
//! bytes it was decoded from, and decoding that encoding gives the same value.
//!
//! Random bytes rarely decode into the deep types, so the inputs are seeded from real data: every
//! record and handshake message of the OpenSSL captures in `tests/data/captures/` and of
//! in-memory spectls handshakes (client authentication, tickets), each fed at every offset to
//! every type (so each extension body, certificate, vector, ... is tried against the type that
//! describes it), then mutated by proptest (byte flips, small-value writes, truncations,
//! insertions, deletions).

mod common;

use common::*;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::Config;
use spectls::capture::{Capture, Direction, Event, Flow};
use spectls::codec::{Encode, Reader};
use spectls::session::Ticketer;
use spectls::wire::{
    round_trip, tls12::Handshake, KeyExchangeAlgorithm, PublicValueEncoding, ROUND_TRIP_TYPES,
};
use spectls::{ClientConfig, ConnectionCommon, ServerConfig};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use std::time::Duration;

// ------------------------------------------------------------------------------------------
// The properties
// ------------------------------------------------------------------------------------------

/// `bytes` as the type `name`: `Ok(true)` if it decoded and round-tripped, `Ok(false)` if it did
/// not decode, `Err` if the round trip broke.
fn check_type(name: &str, bytes: &[u8]) -> Result<bool, String> {
    match round_trip(name, bytes) {
        None => Err(format!("{name} is not in the round_trip registry")),
        Some(Err(_)) => Ok(false),
        Some(Ok(rt)) => {
            let Some(taken) = bytes.get(..rt.used) else {
                return Err(format!("{name}: used {} of {} bytes", rt.used, bytes.len()));
            };
            if rt.encoded != taken {
                return Err(format!(
                    "{name}: encode(decode(b)) != b[..used]\n b:       {}\n encoded: {}",
                    hex(taken),
                    hex(&rt.encoded)
                ));
            }
            if !rt.same {
                return Err(format!(
                    "{name}: decode(encode(x)) != x for b = {}",
                    hex(taken)
                ));
            }
            Ok(true)
        }
    }
}

/// Every registered type on `bytes`; the names that decoded.
fn check_all_types(bytes: &[u8]) -> Result<Vec<&'static str>, String> {
    let mut decoded = Vec::new();
    for name in ROUND_TRIP_TYPES {
        if check_type(name, bytes)? {
            decoded.push(*name);
        }
    }
    Ok(decoded)
}

/// `bytes` as a handshake message in the spectls profile (ECDHE, explicit points): the same
/// two properties. `Ok(true)` if it decoded.
fn check_handshake(bytes: &[u8]) -> Result<bool, String> {
    let mut r = Reader::new(bytes);
    let Ok(msg) = Handshake::decode(
        &mut r,
        Some(KeyExchangeAlgorithm::EcDiffieHellman),
        Some(PublicValueEncoding::Explicit),
    ) else {
        return Ok(false);
    };
    let used = r.offset();
    let encoded = msg.to_vec();
    if bytes.get(..used) != Some(encoded.as_slice()) {
        return Err(format!(
            "Handshake: encode(decode(b)) != b[..used]\n b:       {}\n encoded: {}",
            hex(bytes.get(..used).unwrap_or(bytes)),
            hex(&encoded)
        ));
    }
    let mut r = Reader::new(&encoded);
    match Handshake::decode(
        &mut r,
        Some(KeyExchangeAlgorithm::EcDiffieHellman),
        Some(PublicValueEncoding::Explicit),
    ) {
        Ok(again) if again == msg && r.is_empty() => Ok(true),
        other => Err(format!(
            "Handshake: decode(encode(x)) != x for {}: {other:?}",
            hex(&encoded)
        )),
    }
}

// ------------------------------------------------------------------------------------------
// Seeds: real records and messages
// ------------------------------------------------------------------------------------------

struct Seeds {
    /// Whole handshake messages (plaintext), unique.
    messages: Vec<Vec<u8>>,
    /// Every other plaintext record, and the fragment of every plaintext record, unique.
    records: Vec<Vec<u8>>,
    /// Protected records (headers and ciphertext), unique; only tried from offset 0.
    protected: Vec<Vec<u8>>,
}

fn add_flow(
    cap: &Capture,
    messages: &mut BTreeSet<Vec<u8>>,
    records: &mut BTreeSet<Vec<u8>>,
    protected: &mut BTreeSet<Vec<u8>>,
) {
    let mut flow = Flow::new(cap);
    let events = flow.events().expect("the flow decodes");
    for e in &events {
        match e {
            Event::Message { bytes, .. } => {
                messages.insert(bytes.to_vec());
            }
            Event::Record { record, bytes, .. } => {
                records.insert(bytes.to_vec());
                records.insert(record.fragment.to_vec());
            }
            Event::Protected { bytes, .. } | Event::Sealed { bytes, .. } => {
                protected.insert(bytes.to_vec());
            }
            // The corpus is for the TLS 1.2 decoders (the captures are TLS 1.2).
            Event::Message13 { .. } => {}
        }
    }
}

fn captures() -> Vec<Capture> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/captures");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .expect("captures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "trace"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 7, "captures missing: {paths:?}");
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).expect("trace");
            Capture::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        })
        .collect()
}

/// Runs a handshake in memory and records both directions as a capture.
fn spectls_capture(client: ClientConfig, server: ServerConfig) -> Capture {
    fn flight(
        dir: Direction,
        from: &mut ConnectionCommon,
        to: &mut ConnectionCommon,
        chunks: &mut Vec<(Direction, Vec<u8>)>,
    ) {
        let buf = drain(from);
        if !buf.is_empty() {
            feed(to, &buf).expect("handshake");
            chunks.push((dir, buf));
        }
    }
    let (mut c, mut s) = pair(client, server);
    let mut chunks = Vec::new();
    for _ in 0..10 {
        flight(Direction::ClientToServer, &mut c, &mut s, &mut chunks);
        flight(Direction::ServerToClient, &mut s, &mut c, &mut chunks);
    }
    assert!(!c.is_handshaking() && !s.is_handshaking());
    Capture {
        header: Vec::new(),
        chunks,
    }
}

/// spectls handshakes that show what the OpenSSL captures do not: a CertificateRequest, a client
/// Certificate and CertificateVerify, spectls' own tickets.
fn spectls_captures() -> Vec<Capture> {
    let (chain, key, client_roots) = client_identity();

    let mut out = Vec::new();
    for rsa in [false, true] {
        let client = client_with(|b| {
            b.with_client_auth_cert(chain.clone(), key.clone_key())
                .expect("client cert")
                .with_alpn_protocols(vec![b"h2".to_vec(), b"http/1.1".to_vec()])
        });
        let server = server_builder(rsa)
            .with_client_cert_verifier(client_verifier(client_roots.clone(), false))
            .with_ticketer(Ticketer::new(Duration::from_secs(3600)).expect("ticketer"))
            .with_alpn_protocols(vec![b"http/1.1".to_vec()])
            .build()
            .expect("server config");
        out.push(spectls_capture(client, server));
    }
    out
}

/// Encoded values of the types no captured connection carries (RFC 6066 client_certificate_url).
fn constructed() -> Vec<Vec<u8>> {
    use spectls::wire::{
        CertChainType, CertificateURL, OfferedPsks, PskBinderEntry, PskIdentity, URLAndHash,
    };
    // A pre_shared_key offer (RFC 8446 4.2.11): no capture has one.
    let psks = OfferedPsks {
        identities: vec![PskIdentity {
            identity: b"ticket",
            obfuscated_ticket_age: 0x0102_0304,
        }],
        binders: vec![PskBinderEntry(&[0x42; 32])],
    };
    vec![
        psks.to_vec(),
        CertificateURL {
            type_: CertChainType::IndividualCerts,
            url_and_hash_list: vec![
                URLAndHash {
                    url: b"http://example.test/leaf.der",
                    padding: 1,
                    sha1hash: [0x5a; 20],
                },
                URLAndHash {
                    url: b"http://example.test/ca.der",
                    padding: 1,
                    sha1hash: [0xa5; 20],
                },
            ],
        }
        .to_vec(),
    ]
}

fn seeds() -> &'static Seeds {
    static SEEDS: OnceLock<Seeds> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let (mut messages, mut records, mut protected) =
            (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
        for cap in captures().iter().chain(&spectls_captures()) {
            add_flow(cap, &mut messages, &mut records, &mut protected);
        }
        records.extend(constructed());
        Seeds {
            messages: messages.into_iter().collect(),
            records: records.into_iter().collect(),
            protected: protected.into_iter().collect(),
        }
    })
}

/// Every seed, as one list (messages first).
fn all_seeds() -> Vec<&'static [u8]> {
    let s = seeds();
    s.messages
        .iter()
        .chain(&s.records)
        .chain(&s.protected)
        .map(Vec::as_slice)
        .collect()
}

// ------------------------------------------------------------------------------------------
// Exhaustive over the seeds
// ------------------------------------------------------------------------------------------

/// Every type at every offset of every captured message and plaintext record (protected ones
/// from their start only), and every message as a `Handshake`.
#[test]
fn every_type_round_trips_at_every_offset_of_the_seeds() {
    let s = seeds();
    let mut decoded: BTreeMap<&str, usize> = BTreeMap::new();
    let mut check = |bytes: &[u8]| {
        for name in check_all_types(bytes).unwrap_or_else(|e| panic!("{e}")) {
            *decoded.entry(name).or_default() += 1;
        }
    };
    for seed in s.messages.iter().chain(&s.records) {
        for at in 0..seed.len() {
            check(&seed[at..]);
        }
    }
    for seed in &s.protected {
        check(seed);
    }
    let mut messages = 0;
    for m in &s.messages {
        assert!(
            check_handshake(m).unwrap_or_else(|e| panic!("{e}")),
            "a captured message decodes: {}",
            hex(m)
        );
        messages += 1;
        for at in 1..m.len() {
            check_handshake(&m[at..]).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    assert!(messages > 40, "only {messages} distinct messages");
    // Every registered type decodes from some seed, so the sweep exercises each one's encoder
    // too. A type added to the schema that no seed reaches fails here: add a seed for it (a
    // capture, a spectls handshake that sends it, or a value in `constructed`).
    let never: Vec<_> = ROUND_TRIP_TYPES
        .iter()
        .filter(|n| !decoded.contains_key(*n))
        .collect();
    assert!(never.is_empty(), "never decoded from the seeds: {never:?}");
}

// ------------------------------------------------------------------------------------------
// Proptest: arbitrary and mutated bytes
// ------------------------------------------------------------------------------------------

/// Bytes that favour small values, so length prefixes and selectors are often plausible.
fn plausible_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![3 => any::<u8>(), 2 => 0u8..4, 1 => Just(0u8)],
        0..max,
    )
}

#[derive(Clone, Debug)]
enum Mutation {
    /// XOR a byte with a non-zero mask.
    Flip(Index, u8),
    /// Overwrite a byte with a small value (a length or selector edge).
    Set(Index, u8),
    /// Cut the input at a point.
    Truncate(Index),
    /// Insert bytes at a point.
    Insert(Index, Vec<u8>),
    /// Remove up to 8 bytes at a point.
    Delete(Index, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<Index>(), 1u8..=255).prop_map(|(i, m)| Mutation::Flip(i, m)),
        2 => (any::<Index>(), prop_oneof![0u8..4, Just(0xff), Just(0x80)])
            .prop_map(|(i, v)| Mutation::Set(i, v)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        2 => (any::<Index>(), plausible_bytes(6)).prop_map(|(i, b)| Mutation::Insert(i, b)),
        1 => (any::<Index>(), 1usize..8).prop_map(|(i, n)| Mutation::Delete(i, n)),
    ]
}

fn mutate(seed: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for m in mutations {
        let len = b.len();
        match m {
            Mutation::Flip(i, mask) if len > 0 => b[i.index(len)] ^= mask,
            Mutation::Set(i, v) if len > 0 => b[i.index(len)] = *v,
            Mutation::Truncate(i) => b.truncate(i.index(len + 1)),
            Mutation::Insert(i, bytes) => {
                let at = i.index(len + 1);
                b.splice(at..at, bytes.iter().copied());
            }
            Mutation::Delete(i, n) if len > 0 => {
                let at = i.index(len);
                b.drain(at..(at + n).min(len));
            }
            _ => {}
        }
    }
    b
}

proptest! {
    #![proptest_config(Config { cases: 1024, ..Config::default() })]

    /// Arbitrary bytes, as every type.
    #[test]
    fn arbitrary_bytes_round_trip_as_every_type(bytes in plausible_bytes(96)) {
        let r = check_all_types(&bytes);
        prop_assert!(r.is_ok(), "{}", r.unwrap_err());
        let r = check_handshake(&bytes);
        prop_assert!(r.is_ok(), "{}", r.unwrap_err());
    }
}

proptest! {
    #![proptest_config(Config { cases: 2048, ..Config::default() })]

    /// A mutated seed, from a chosen offset, as every type.
    #[test]
    fn mutated_seeds_round_trip_as_every_type(
        seed in any::<Index>(),
        offset in any::<Index>(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let seeds = all_seeds();
        let seed = seeds[seed.index(seeds.len())];
        let bytes = mutate(seed, &mutations);
        let at = offset.index(bytes.len() + 1);
        let r = check_all_types(&bytes[at..]);
        prop_assert!(r.is_ok(), "{}", r.unwrap_err());
    }

    /// A mutated handshake message still round-trips when it decodes.
    #[test]
    fn mutated_messages_round_trip_as_handshake(
        seed in any::<Index>(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let messages = &seeds().messages;
        let bytes = mutate(&messages[seed.index(messages.len())], &mutations);
        let r = check_handshake(&bytes);
        prop_assert!(r.is_ok(), "{}", r.unwrap_err());
    }
}

/// Mutations keep a useful share of inputs decodable (otherwise the mutation tests above would
/// only exercise decode errors): a fixed-seed sample of single mutations of the messages.
#[test]
fn single_mutations_of_messages_often_still_decode() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let messages = &seeds().messages;
    let (mut tried, mut decoded) = (0, 0);
    for _ in 0..400 {
        let (seed, m) = (any::<Index>(), mutation())
            .new_tree(&mut runner)
            .expect("value")
            .current();
        let bytes = mutate(&messages[seed.index(messages.len())], &[m]);
        tried += 1;
        if check_handshake(&bytes).unwrap_or_else(|e| panic!("{e}")) {
            decoded += 1;
        }
    }
    assert!(
        decoded * 10 >= tried,
        "only {decoded} of {tried} mutated messages decoded"
    );
}
