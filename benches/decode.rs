//! Decode throughput: spectls's generated wire types against rustls's hand-written parser, on
//! real OpenSSL handshakes (`tests/data/captures/*.trace`).
//!
//! `cargo bench --bench decode` (about 10 s), `cargo bench --bench decode -- --quick` (smoke run,
//! about 2 s). Further arguments: `--per-record` also times every record of the server flight on
//! its own (to see which message costs what), and any other word filters the workloads by
//! substring (`-- flight`). Without `--bench` (which `cargo bench` always passes), e.g. under
//! `cargo test --benches`, it runs as `--quick`: the correctness checks plus a short timing.
//!
//! Workloads, per capture:
//!
//! * `ClientHello`: the first client -> server record.
//! * `server flight`: the server's first flight, every plaintext record from ServerHello to
//!   ServerHelloDone (ServerHello, Certificate, [CertificateStatus,] ServerKeyExchange,
//!   ServerHelloDone: one handshake message per record in these OpenSSL captures).
//!
//! Both sides start from the record bytes and end with typed messages, dropped after each op:
//!
//! * spectls: `TLSPlaintext::decode`, then `capture::decode_handshake` for every handshake message
//!   in the fragment (every extension, the ServerKeyExchange ECDH parameters and signature typed).
//! * rustls: the record header read with rustls's own `Codec`s, exactly as its deframer does
//!   (`read_opaque_message_header`: content type, version 0x03XX, 0 < length < 2^14 + 2048),
//!   the fragment borrowed into a `PlainMessage` (`Payload::Borrowed`, no copy), then
//!   `Message::try_from(plain.borrow_inbound())`: the borrowed `Message<'_>` rustls builds for
//!   every inbound record. This is rustls's zero-copy receive path.
//! * rustls (owned): the public convenience chain `OutboundOpaqueMessage::read` ->
//!   `into_plain_message` -> `Message::try_from(PlainMessage)` -> `Message<'static>`. It copies
//!   the fragment twice and then everything borrowed into owned buffers; shown for reference.
//!
//! Note that rustls keeps a TLS 1.2 ServerKeyExchange as an opaque (owned, copied) payload at
//! this stage (`ServerKeyExchangePayload::Unknown`) and only types it later, once the key
//! exchange algorithm is known; spectls types it here. So on the server flight spectls does
//! strictly more typing work than rustls.

use rustls::internal::msgs::base::Payload;
use rustls::internal::msgs::codec::{Codec as RCodec, Reader as RReader};
use rustls::internal::msgs::message::{Message, OutboundOpaqueMessage, PlainMessage};
use spectls::capture::{decode_handshake, Capture, Direction, Flow};
use spectls::codec::{Codec, Reader};
use spectls::wire::{tls12::Handshake, ContentType, HandshakeType, TLSPlaintext};
use std::hint::black_box;
use std::time::{Duration, Instant};

const CAPTURES: &[(&str, &str)] = &[
    (
        "ecdsa-aes128gcm",
        include_str!("../tests/data/captures/ecdsa-aes128gcm.trace"),
    ),
    (
        "rsa-aes128gcm",
        include_str!("../tests/data/captures/rsa-aes128gcm.trace"),
    ),
];

/// One workload: whole TLS records, each `&'static` (leaked once) so rustls can borrow them in a
/// `Payload<'static>` without copying.
struct Workload {
    name: String,
    records: Vec<&'static [u8]>,
    /// Expected handshake types, in order (from the bytes, independently of either decoder).
    types: Vec<u8>,
}

/// Splits a byte stream into records by their 5-byte headers (no decoder involved).
fn split_records(stream: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 5 <= stream.len() {
        let len = u16::from_be_bytes([stream[at + 3], stream[at + 4]]) as usize;
        let end = at + 5 + len;
        assert!(end <= stream.len(), "truncated record at offset {at}");
        out.push(&stream[at..end]);
        at = end;
    }
    assert_eq!(at, stream.len(), "stream does not end on a record boundary");
    out
}

/// Handshake message types in a handshake record's fragment, from the 4-byte message headers.
fn message_types(record: &[u8]) -> Vec<u8> {
    let frag = &record[5..];
    let mut types = Vec::new();
    let mut at = 0;
    while at + 4 <= frag.len() {
        types.push(frag[at]);
        at += 4 + u32::from_be_bytes([0, frag[at + 1], frag[at + 2], frag[at + 3]]) as usize;
    }
    assert_eq!(at, frag.len(), "handshake message split across records");
    types
}

fn workloads(filter: Option<&str>, per_record: bool) -> Vec<Workload> {
    let mut out = Vec::new();
    for (name, text) in CAPTURES {
        let cap = Capture::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let flow = Flow::new(&cap);
        let leak = |dir| -> Vec<&'static [u8]> {
            let stream: &'static [u8] = Box::leak(flow.stream(dir).to_vec().into_boxed_slice());
            split_records(stream)
        };
        let c2s = leak(Direction::ClientToServer);
        let s2c = leak(Direction::ServerToClient);

        let ch = c2s[0];
        assert_eq!(
            ch[0], 22,
            "{name}: first client record is not a handshake record"
        );
        out.push(Workload {
            name: format!("ClientHello ({name})"),
            types: message_types(ch),
            records: vec![ch],
        });

        // ServerHello .. ServerHelloDone.
        let mut flight = Vec::new();
        let mut types = Vec::new();
        for rec in &s2c {
            assert_eq!(
                rec[0], 22,
                "{name}: non-handshake record before ServerHelloDone"
            );
            flight.push(*rec);
            types.extend(message_types(rec));
            if types.last() == Some(&14) {
                break;
            }
        }
        assert_eq!(
            types.first(),
            Some(&2),
            "{name}: server flight does not start with ServerHello"
        );
        assert_eq!(types.last(), Some(&14), "{name}: no ServerHelloDone");
        if per_record {
            for rec in &flight {
                out.push(Workload {
                    name: format!("  {} ({name})", message_name(rec[5])),
                    types: message_types(rec),
                    records: vec![*rec],
                });
            }
        }
        out.push(Workload {
            name: format!("server flight ({name})"),
            records: flight,
            types,
        });
    }
    if let Some(f) = filter {
        out.retain(|w| w.name.contains(f));
    }
    out
}

fn message_name(t: u8) -> String {
    match HandshakeType::from_value(t) {
        Some(t) => format!("{t:?}"),
        None => format!("type {t}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The decoders under test. Each returns the number of handshake messages decoded, and hands every
// typed value to black_box before dropping it (drops, i.e. frees, are part of the op for both).

#[inline(never)]
fn spectls_decode(records: &[&'static [u8]]) -> usize {
    let mut n = 0;
    for rec in records {
        let mut r = Reader::new(black_box(rec));
        let plain = TLSPlaintext::decode(&mut r).expect("spectls: record");
        let mut hs = Reader::new(plain.fragment);
        while !hs.is_empty() {
            let msg = decode_handshake(&mut hs).expect("spectls: handshake");
            black_box(&msg);
            n += 1;
        }
        black_box(&plain);
    }
    n
}

/// rustls's `read_opaque_message_header` (crate-private), with its public `Codec`s.
#[inline(always)]
fn rustls_header(
    r: &mut RReader<'static>,
) -> Option<(rustls::ContentType, rustls::ProtocolVersion, &'static [u8])> {
    let typ = rustls::ContentType::read(r).ok()?;
    if let rustls::ContentType::Unknown(_) = typ {
        return None;
    }
    let version = rustls::ProtocolVersion::read(r).ok()?;
    if let rustls::ProtocolVersion::Unknown(v) = version {
        if v & 0xff00 != 0x0300 {
            return None;
        }
    }
    let len = u16::read(r).ok()?;
    if (typ != rustls::ContentType::ApplicationData && len == 0) || len >= 16_384 + 2048 {
        return None;
    }
    Some((typ, version, r.take(len as usize)?))
}

#[inline(never)]
fn rustls_decode(records: &[&'static [u8]]) -> usize {
    let mut n = 0;
    for rec in records {
        let mut r = RReader::init(black_box(rec));
        let (typ, version, fragment) = rustls_header(&mut r).expect("rustls: record");
        let plain = PlainMessage {
            typ,
            version,
            payload: Payload::Borrowed(fragment),
        };
        let msg = Message::try_from(plain.borrow_inbound()).expect("rustls: handshake");
        black_box(&msg);
        n += 1;
    }
    n
}

#[inline(never)]
fn rustls_owned_decode(records: &[&'static [u8]]) -> usize {
    let mut n = 0;
    for rec in records {
        let mut r = RReader::init(black_box(rec));
        let opaque = OutboundOpaqueMessage::read(&mut r).expect("rustls: record");
        let msg = Message::try_from(opaque.into_plain_message()).expect("rustls: handshake");
        black_box(&msg);
        n += 1;
    }
    n
}

/// Once, before timing: every decoder succeeds, decodes every message, and sees the same types.
fn check(w: &Workload) {
    let mut spectls_types = Vec::new();
    for rec in &w.records {
        let plain =
            TLSPlaintext::from_bytes(rec).unwrap_or_else(|e| panic!("{}: spectls: {e}", w.name));
        assert_eq!(plain.type_, ContentType::Handshake);
        let mut hs = Reader::new(plain.fragment);
        while !hs.is_empty() {
            let msg: Handshake<'_> =
                decode_handshake(&mut hs).unwrap_or_else(|e| panic!("{}: spectls: {e}", w.name));
            spectls_types.push(msg.selector().value());
        }
    }
    assert_eq!(
        spectls_types, w.types,
        "{}: spectls handshake types",
        w.name
    );

    let mut rustls_types = Vec::new();
    let mut owned_types = Vec::new();
    for rec in &w.records {
        let mut r = RReader::init(rec);
        let (typ, version, fragment) = rustls_header(&mut r).expect("rustls: record header");
        assert!(!r.any_left());
        let plain = PlainMessage {
            typ,
            version,
            payload: Payload::Borrowed(fragment),
        };
        let msg = Message::try_from(plain.borrow_inbound())
            .unwrap_or_else(|e| panic!("{}: rustls: {e:?}", w.name));
        // rustls's record-level parse reads one handshake message per record and (like its
        // joiner-less path) ignores what follows, so insist on exactly one here.
        rustls_types.push(handshake_type_of(&msg, w));

        let mut r = RReader::init(rec);
        let opaque = OutboundOpaqueMessage::read(&mut r).expect("rustls: record");
        let msg = Message::try_from(opaque.into_plain_message())
            .unwrap_or_else(|e| panic!("{}: rustls: {e:?}", w.name));
        owned_types.push(handshake_type_of(&msg, w));
    }
    assert_eq!(rustls_types, w.types, "{}: rustls handshake types", w.name);
    assert_eq!(
        owned_types, w.types,
        "{}: rustls (owned) handshake types",
        w.name
    );

    let n = w.types.len();
    assert_eq!(spectls_decode(&w.records), n);
    assert_eq!(rustls_decode(&w.records), n);
    assert_eq!(rustls_owned_decode(&w.records), n);
}

fn handshake_type_of(msg: &Message<'_>, w: &Workload) -> u8 {
    const TYPES: &[u8] = &[0, 1, 2, 4, 11, 12, 13, 14, 15, 16, 20, 21, 22];
    let found: Vec<u8> = TYPES
        .iter()
        .copied()
        .filter(|t| msg.is_handshake_type(rustls::HandshakeType::from(*t)))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "{}: rustls message is not one known handshake message: {msg:?}",
        w.name
    );
    let t = found[0];
    // Sanity: the spectls enum names the same number.
    assert!(HandshakeType::from_value(t).is_some());
    t
}

// ---------------------------------------------------------------------------------------------
// Timing.

struct Config {
    samples: usize,
    target: Duration,
    warmup: Duration,
}

type Decoder = fn(&[&'static [u8]]) -> usize;

const DECODERS: &[(&str, Decoder)] = &[
    ("spectls", spectls_decode),
    ("rustls", rustls_decode),
    ("rustls (owned)", rustls_owned_decode),
];

fn run(f: Decoder, records: &[&'static [u8]], iters: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        black_box(f(black_box(records)));
    }
    start.elapsed()
}

/// Iterations for one sample of about `target`.
fn calibrate(f: Decoder, records: &[&'static [u8]], target: Duration) -> u64 {
    let mut iters = 1u64;
    loop {
        let t = run(f, records, iters);
        if t >= target / 10 || iters >= 1 << 30 {
            let per = t.as_secs_f64() / iters as f64;
            return ((target.as_secs_f64() / per) as u64).max(1);
        }
        iters *= 4;
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// Median ns/op and the spread (min..max) for every decoder, samples interleaved.
fn measure(w: &Workload, cfg: &Config) -> Vec<(f64, f64, f64)> {
    // Warm up every decoder (caches, branch predictors, allocator free lists), then calibrate.
    for (_, f) in DECODERS {
        let start = Instant::now();
        while start.elapsed() < cfg.warmup {
            run(*f, &w.records, 100);
        }
    }
    let iters: Vec<u64> = DECODERS
        .iter()
        .map(|(_, f)| calibrate(*f, &w.records, cfg.target))
        .collect();
    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(cfg.samples); DECODERS.len()];
    for s in 0..cfg.samples {
        // Rotate the order each round so no decoder always runs right after another.
        for k in 0..DECODERS.len() {
            let i = (k + s) % DECODERS.len();
            let t = run(DECODERS[i].1, &w.records, iters[i]);
            samples[i].push(t.as_nanos() as f64 / iters[i] as f64);
        }
    }
    samples
        .into_iter()
        .map(|v| {
            let lo = v.iter().cloned().fold(f64::INFINITY, f64::min);
            let hi = v.iter().cloned().fold(0.0, f64::max);
            (median(v), lo, hi)
        })
        .collect()
}

fn verdict(ratio: f64) -> String {
    if ratio <= 1.0 {
        format!("spectls is {:.2}x faster", 1.0 / ratio)
    } else {
        format!("spectls is {:.2}x slower", ratio)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` passes `--bench`; without it (`cargo test --benches`) only smoke-test.
    let quick = args.iter().any(|a| a == "--quick") || !args.iter().any(|a| a == "--bench");
    let per_record = args.iter().any(|a| a == "--per-record");
    let filter = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map(String::as_str);
    let cfg = if quick {
        Config {
            samples: 5,
            target: Duration::from_millis(10),
            warmup: Duration::from_millis(20),
        }
    } else {
        Config {
            samples: 15,
            target: Duration::from_millis(30),
            warmup: Duration::from_millis(150),
        }
    };

    let workloads = workloads(filter, per_record);
    assert!(!workloads.is_empty(), "no workload matches {filter:?}");
    for w in &workloads {
        check(w);
    }
    println!(
        "decode bench: {} samples of ~{} ms per decoder, median ns per op (one op = all records of the workload){}",
        cfg.samples,
        cfg.target.as_millis(),
        if quick { " [--quick]" } else { "" }
    );
    println!();
    println!(
        "{:<40} {:>5} {:>6} {:>12} {:>12} {:>8}  {:<26} {:>15} {:>8}",
        "workload",
        "msgs",
        "bytes",
        "spectls ns",
        "rustls ns",
        "ratio",
        "",
        "rustls(own) ns",
        "ratio"
    );
    let mut spreads = Vec::new();
    for w in &workloads {
        let r = measure(w, &cfg);
        let (s, rl, ro) = (r[0].0, r[1].0, r[2].0);
        let bytes: usize = w.records.iter().map(|r| r.len()).sum();
        println!(
            "{:<40} {:>5} {:>6} {:>12.1} {:>12.1} {:>8.3}  {:<26} {:>15.1} {:>8.3}",
            w.name,
            w.types.len(),
            bytes,
            s,
            rl,
            s / rl,
            verdict(s / rl),
            ro,
            s / ro
        );
        spreads.push((w.name.clone(), r));
    }
    println!();
    println!("ratio = spectls / rustls (lower is better for spectls); spread of samples (min..max ns/op):");
    for (name, r) in spreads {
        let parts: Vec<String> = DECODERS
            .iter()
            .zip(&r)
            .map(|((d, _), (_, lo, hi))| format!("{d} {lo:.1}..{hi:.1}"))
            .collect();
        println!("  {name}: {}", parts.join(", "));
    }
}
