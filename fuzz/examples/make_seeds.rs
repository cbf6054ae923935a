//! Writes the committed seed corpora, `fuzz/seeds/<target>/`, from the recorded OpenSSL
//! connections in `tests/data/captures/*.trace` and from one in-memory spectls handshake.
//!
//! ```sh
//! cd fuzz && cargo run --release --example make_seeds     # rewrites seeds/ (~100 KB)
//! cd fuzz && cargo run --release --example make_seeds -- inplace   # only seeds/inplace/
//! ```
//!
//! Capture seeds are stable (the traces are committed); the spectls seeds carry fresh randoms, so
//! re-running changes their bytes but not their shape.

use spectls::capture::{Capture, Event, Flow};
use spectls::codec::{Codec, Encode, Reader};
use spectls::wire::{tls12::Handshake, ContentType, Extension, TLSPlaintext};
use spectls_fuzz::{
    client_config, client_config_with_groups, drain, feed, new_client_with, new_server, record,
    split_records,
};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

#[derive(Default)]
struct Seeds(BTreeMap<&'static str, BTreeMap<String, Vec<u8>>>);

impl Seeds {
    fn add(&mut self, target: &'static str, name: impl Into<String>, bytes: impl Into<Vec<u8>>) {
        let bytes = bytes.into();
        let dir = self.0.entry(target).or_default();
        // One copy of each input.
        if !dir.values().any(|b| *b == bytes) {
            dir.insert(name.into(), bytes);
        }
    }

    /// A copy of `target`'s seeds (name, bytes), to build other targets' seeds from.
    fn of(&self, target: &str) -> Vec<(String, Vec<u8>)> {
        self.0
            .get(target)
            .map(|d| d.iter().map(|(n, b)| (n.clone(), b.clone())).collect())
            .unwrap_or_default()
    }
}

/// Record descriptor for the reassembler target: a handshake record of `len` bytes.
fn hs(len: u16) -> [u8; 2] {
    (len & 0x1fff).to_be_bytes()
}

/// A reassembler input: descriptors, read chunk, payload.
fn reassembler_input(descriptors: &[[u8; 2]], chunk: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![descriptors.len() as u8];
    for d in descriptors {
        v.extend_from_slice(d);
    }
    v.push(chunk);
    v.extend_from_slice(payload);
    v
}

fn with_mode(mode: u8, tail: &[u8]) -> Vec<u8> {
    let mut v = vec![mode];
    v.extend_from_slice(tail);
    v
}

/// Every extension of a hello, encoded, and the body of its extensions vector.
fn extensions_of(exts: &[Extension<'_>]) -> (Vec<Vec<u8>>, Vec<u8>) {
    let each: Vec<Vec<u8>> = exts.iter().map(Encode::to_vec).collect();
    let all = each.concat();
    (each, all)
}

fn from_capture(seeds: &mut Seeds, name: &str, text: &str) {
    let cap = Capture::parse(text).expect("capture format");
    let mut flow = Flow::new(&cap);
    let c2s = flow
        .stream(spectls::capture::Direction::ClientToServer)
        .to_vec();
    let s2c = flow
        .stream(spectls::capture::Direction::ServerToClient)
        .to_vec();
    seeds.add("server_fresh", format!("{name}-c2s"), c2s.clone());
    seeds.add("client_fresh", format!("{name}-s2c"), s2c.clone());
    seeds.add(
        "client_after_flight",
        format!("{name}-s2c"),
        with_mode(0, &s2c),
    );

    let events = flow.events().expect("capture decodes");
    let mut client_hs = Vec::new();
    for (i, e) in events.iter().enumerate() {
        match e {
            Event::Record { dir, record, bytes } => {
                seeds.add("plaintext", format!("{name}-{i:02}-record"), *bytes);
                if *dir == spectls::capture::Direction::ClientToServer
                    && record.type_ == ContentType::Handshake
                {
                    client_hs.extend_from_slice(record.fragment);
                }
                if record.type_ == ContentType::ChangeCipherSpec {
                    seeds.add("change_cipher_spec", "ccs", record.fragment);
                }
            }
            Event::Protected { bytes, .. } | Event::Sealed { bytes, .. } => {
                seeds.add("ciphertext", format!("{name}-{i:02}-protected"), *bytes);
            }
            // The captures are TLS 1.2; TLS 1.3 messages would seed no target yet.
            Event::Message13 { .. } => {}
            Event::Message { message, bytes, .. } => {
                seeds.add("handshake", format!("{name}-{i:02}-message"), *bytes);
                let exts = match message {
                    Handshake::ClientHello(ch) => ch.extensions.as_deref(),
                    Handshake::ServerHello(sh) => sh.extensions.as_deref(),
                    _ => None,
                };
                if let Some(exts) = exts {
                    let (each, all) = extensions_of(exts);
                    seeds.add("extensions", format!("{name}-{i:02}-all"), all);
                    for (j, x) in each.into_iter().enumerate() {
                        seeds.add("extensions", format!("{name}-{i:02}-{j:02}"), x);
                    }
                }
            }
        }
    }
    // The client's plaintext handshake stream (ClientHello, ClientKeyExchange) in records cut
    // several ways and read in small pieces.
    let n = client_hs.len() as u16;
    seeds.add(
        "reassembler",
        format!("{name}-whole"),
        reassembler_input(&[], 0, &client_hs),
    );
    seeds.add(
        "reassembler",
        format!("{name}-1-4-rest"),
        reassembler_input(&[hs(1), hs(3)], 0, &client_hs),
    );
    seeds.add(
        "reassembler",
        format!("{name}-halves-read7"),
        reassembler_input(&[hs(n / 2)], 7, &client_hs),
    );
    seeds.add(
        "reassembler",
        format!("{name}-bytewise"),
        reassembler_input(&[hs(1); 31], 1, &client_hs),
    );
}

/// Handshake messages of a record stream (plaintext records only).
fn messages(stream: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for r in split_records(stream) {
        let rec = TLSPlaintext::from_bytes(r).expect("record");
        if rec.type_ != ContentType::Handshake {
            continue;
        }
        let mut rd = Reader::new(rec.fragment);
        if spectls::capture::decode_handshake(&mut rd).is_ok() && rd.is_empty() {
            out.push(rec.fragment.to_vec());
        }
    }
    out
}

fn from_spectls(seeds: &mut Seeds, with_cert: bool) {
    let tag = if with_cert { "spectls-cert" } else { "spectls" };
    // One real handshake (the server asks for a client certificate, staples OCSP, issues a
    // ticket), split into its records.
    let mut client = new_client_with(client_config(with_cert));
    let mut server = new_server();
    let hello = drain(&mut client);
    feed(&mut server, &hello, usize::MAX).expect("ClientHello");
    let flight = drain(&mut server);
    feed(&mut client, &flight, usize::MAX).expect("server flight");
    let second = drain(&mut client);
    feed(&mut server, &second, usize::MAX).expect("client flight");
    let last = drain(&mut server);
    feed(&mut client, &last, usize::MAX).expect("server Finished");
    assert!(!client.is_handshaking() && !server.is_handshaking());

    let all = [hello.clone(), flight.clone(), second.clone(), last.clone()];
    for (i, r) in all.iter().flat_map(|s| split_records(s)).enumerate() {
        let rec = TLSPlaintext::from_bytes(r).expect("record");
        seeds.add("plaintext", format!("{tag}-{i:02}"), r);
        seeds.add("ciphertext", format!("{tag}-{i:02}"), r);
        let _ = rec;
    }
    for (i, m) in all.iter().flat_map(|s| messages(s)).enumerate() {
        seeds.add("handshake", format!("{tag}-{i:02}"), m.clone());
        let mut rd = Reader::new(&m);
        let msg = spectls::capture::decode_handshake(&mut rd).expect("message");
        let exts = match &msg {
            Handshake::ClientHello(ch) => ch.extensions.as_deref(),
            Handshake::ServerHello(sh) => sh.extensions.as_deref(),
            _ => None,
        };
        if let Some(exts) = exts {
            let (each, all) = extensions_of(exts);
            seeds.add("extensions", format!("{tag}-{i:02}-all"), all);
            for (j, x) in each.into_iter().enumerate() {
                seeds.add("extensions", format!("{tag}-{i:02}-{j:02}"), x);
            }
        }
    }

    // Connection seeds: whole streams.
    seeds.add("server_fresh", format!("{tag}-hello"), hello.clone());
    seeds.add(
        "server_fresh",
        format!("{tag}-all"),
        [hello.clone(), second.clone()].concat(),
    );
    seeds.add("client_fresh", format!("{tag}-flight"), flight.clone());
    seeds.add(
        "client_fresh",
        format!("{tag}-all"),
        [flight.clone(), last.clone()].concat(),
    );
    let client_msgs = [messages(&hello), messages(&second)].concat();
    let payload = client_msgs.concat();
    seeds.add(
        "reassembler",
        format!("{tag}-client-messages"),
        reassembler_input(&[], 0, &payload),
    );
    seeds.add(
        "reassembler",
        format!("{tag}-client-messages-split"),
        reassembler_input(&[hs(5), hs(40), hs(300)], 3, &payload),
    );
    seeds.add(
        "reassembler",
        format!("{tag}-hello-ccs-between"),
        reassembler_input(
            &[hs(10), 0xc001u16.to_be_bytes()],
            0,
            &[client_msgs[0].clone(), vec![1]].concat(),
        ),
    );

    // Mode bytes alone: genuine prefixes (raw) and unmodified genuine streams (XOR with nothing);
    // then the other run's records as raw tails.
    let cert = if with_cert { 16 } else { 0 };
    for k in 0..8u8 {
        seeds.add(
            "server_after_hello",
            format!("mode{}", k | cert),
            vec![k | cert],
        );
        seeds.add(
            "server_after_hello",
            format!("mode{}", k | 8 | cert),
            vec![k | 8 | cert],
        );
    }
    let second_records = split_records(&second);
    for (i, _) in second_records.iter().enumerate() {
        seeds.add(
            "server_after_hello",
            format!("mode{}-other-run-from-{i}", i as u8 | cert),
            with_mode(i as u8 | cert, &second_records[i..].concat()),
        );
    }
    let cert = if with_cert { 32 } else { 0 };
    for k in 0..10u8 {
        seeds.add(
            "client_after_flight",
            format!("mode{}", k | cert),
            vec![k | cert],
        );
        seeds.add(
            "client_after_flight",
            format!("mode{}", k | 16 | cert),
            vec![k | 16 | cert],
        );
    }
    let flight_records = split_records(&flight);
    for (i, _) in flight_records.iter().enumerate() {
        seeds.add(
            "client_after_flight",
            format!("mode{}-other-run-from-{i}", i as u8 | cert),
            with_mode(i as u8 | cert, &flight_records[i..].concat()),
        );
    }
    let n = flight_records.len() as u8;
    // A CertificateRequest (ecdsa_sign, ecdsa_secp256r1_sha256, no CAs) where the server sent
    // none... (k = records up to ServerKeyExchange), then ServerHelloDone.
    let cert_request = record(
        ContentType::Handshake,
        &[13, 0, 0, 8, 1, 64, 0, 2, 4, 3, 0, 0],
    );
    seeds.add(
        "client_after_flight",
        format!("mode{}-certreq-done", (n - 2) | cert),
        with_mode(
            (n - 2) | cert,
            &[cert_request, flight_records[n as usize - 1].to_vec()].concat(),
        ),
    );
    seeds.add(
        "client_after_flight",
        format!("mode{}-ccs", n | cert),
        with_mode(n | cert, &record(ContentType::ChangeCipherSpec, &[1])),
    );
    seeds.add(
        "client_after_flight",
        format!("mode{}-other-run-end", n | cert),
        with_mode(n | cert, &last),
    );
}

fn resumption_seeds(seeds: &mut Seeds) {
    for mode in 0..64u8 {
        let k = (mode >> 2) & 7;
        if k <= 4 {
            seeds.add("resumption", format!("mode{mode:02}"), vec![mode]);
        }
    }
    // Raw tails a resumed client or server may see: a ChangeCipherSpec.
    let ccs = record(ContentType::ChangeCipherSpec, &[1]);
    for mode in [0b0000_0100u8, 0b0000_1000, 0b0000_0001, 0b0000_0011] {
        seeds.add(
            "resumption",
            format!("mode{mode:02}-ccs"),
            with_mode(mode, &ccs),
        );
    }
    // TLS 1.3 (bit 6): every variant (bit 1 psk_ke, bit 7 0-RTT), side, k <= 4, raw or XOR.
    for variant in [0u8, 2, 128, 130] {
        let name = match variant {
            0 => "dhe",
            2 => "psk_ke",
            128 => "0rtt-dhe",
            _ => "0rtt-psk_ke",
        };
        for side in [0u8, 1] {
            for k in 0..=4u8 {
                for xor in [0u8, 32] {
                    let mode = 64 | variant | side | xor | (k << 2);
                    let to = if side == 1 { "server" } else { "client" };
                    let how = if xor == 32 { "-xor" } else { "" };
                    seeds.add(
                        "resumption",
                        format!("tls13-{name}-{to}-k{k}{how}"),
                        vec![mode],
                    );
                }
            }
        }
    }
    // A second change_cipher_spec: to the client after its ServerHello and change_cipher_spec
    // (k = 2), to the server after the client's (k = 1; with 0-RTT, where early data is due).
    for (mode, name) in [
        (64 | 8, "tls13-dhe-client-k2-ccs"),
        (64 | 1 | 4, "tls13-dhe-server-k1-ccs"),
        (64 | 128 | 1 | 4, "tls13-0rtt-dhe-server-k1-ccs"),
    ] {
        seeds.add("resumption", name, with_mode(mode, &ccs));
    }
    // One byte changed by XOR: in the early data record (0-RTT, to the server, k = 1: a bad
    // record MAC), in EndOfEarlyData's record (k = 2), in the client's Finished record (k = 1
    // without 0-RTT), and in the server's EncryptedExtensions + Finished record (to the client,
    // k = 2).
    let flip = |at: usize| {
        let mut t = vec![0u8; at + 1];
        t[at] = 1;
        t
    };
    for (mode, name, at) in [
        (
            64 | 128 | 32 | 1 | 4,
            "tls13-0rtt-dhe-server-k1-xor-early",
            20,
        ),
        (
            64 | 128 | 2 | 32 | 1 | 8,
            "tls13-0rtt-psk_ke-server-k2-xor-eoed",
            10,
        ),
        (64 | 32 | 1 | 4, "tls13-dhe-server-k1-xor-finished", 10),
        (64 | 2 | 32 | 8, "tls13-psk_ke-client-k2-xor-finished", 30),
    ] {
        seeds.add("resumption", name, with_mode(mode, &flip(at)));
    }
}

/// The post-quantum hybrid key shares (the default client's X25519MLKEM768 and X25519 shares
/// are in `from_spectls`'s seeds): for `server_fresh`, a ClientHello whose one share is
/// SecP256r1MLKEM768, and one with only an X25519 share that lists X25519MLKEM768 (the server
/// asks for the hybrid: HelloRetryRequest), alone and followed by the client's second hello.
fn pq_seeds(seeds: &mut Seeds) {
    use spectls::wire::NamedCurve as G;
    let p256 = [G::SecP256r1MLKEM768, G::Secp256r1];
    let mut client = new_client_with(client_config_with_groups(&p256));
    seeds.add(
        "server_fresh",
        "pq-secp256r1mlkem768-hello",
        drain(&mut client),
    );
    let mut client = new_client_with(client_config_with_groups(&[G::X25519, G::X25519MLKEM768]));
    let mut server = new_server();
    let hello = drain(&mut client);
    feed(&mut server, &hello, usize::MAX).expect("ClientHello");
    let retry = drain(&mut server);
    feed(&mut client, &retry, usize::MAX).expect("HelloRetryRequest");
    let second = drain(&mut client);
    feed(&mut server, &second, usize::MAX).expect("second ClientHello");
    seeds.add("server_fresh", "pq-retry-hello", hello.clone());
    seeds.add(
        "server_fresh",
        "pq-retry-both-hellos",
        [hello, second].concat(),
    );
}

/// For the registry target: every seed of the other decoder targets that decodes as some
/// context-free type, as `[type index] + bytes` (at most 4 per type).
fn registry_seeds(seeds: &mut Seeds) {
    use spectls::wire::{round_trip, ROUND_TRIP_TYPES};
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    for t in ["handshake", "extensions", "plaintext", "alert"] {
        if let Some(dir) = seeds.0.get(t) {
            for b in dir.values() {
                inputs.push(b.clone());
                // Handshake bodies, extension bodies, record fragments.
                inputs.extend(b.get(4..).map(<[u8]>::to_vec));
                inputs.extend(b.get(5..).map(<[u8]>::to_vec));
            }
        }
    }
    for (i, name) in ROUND_TRIP_TYPES.iter().enumerate() {
        let mut n = 0;
        for b in &inputs {
            if n == 4 {
                break;
            }
            if let Some(Ok(rt)) = round_trip(name, b) {
                if rt.used > 0 {
                    let mut v = vec![i as u8];
                    v.extend_from_slice(&b[..rt.used]);
                    seeds.add("registry", format!("{name}-{n}"), v);
                    n += 1;
                }
            }
        }
        if n == 0 {
            seeds.add("registry", format!("{name}-empty"), vec![i as u8]);
        }
    }
}

/// For `inplace`: the fresh-connection streams of `server_fresh` / `client_fresh` behind the
/// differential mode bytes (0: server, 1: client; a few with small reads), a close_notify
/// followed by an incomplete record (read 64 bytes at a time) for each, then every mode byte
/// of the established-pair mode with three genuine writes (33, 13333 and 21675 bytes) and an
/// empty tail, then some tails: a ChangeCipherSpec, a plaintext alert, an empty and a truncated
/// application data record (raw), and a changed byte in the second record (XOR).
fn inplace_seeds(seeds: &mut Seeds) {
    for (from, side) in [("server_fresh", 0u8), ("client_fresh", 1)] {
        let streams = seeds.of(from);
        for (name, stream) in &streams {
            seeds.add(
                "inplace",
                format!("mode{side}-{name}"),
                with_mode(side, stream),
            );
            if name.starts_with("spectls") {
                for c in [1u8, 5, 33] {
                    let mode = side | c << 2;
                    seeds.add(
                        "inplace",
                        format!("mode{mode}-{name}"),
                        with_mode(mode, stream),
                    );
                }
            }
        }
    }
    // close_notify during the handshake, then a record cut short, read 64 bytes at a time (the
    // record after close_notify comes in a later read): what follows close_notify is ignored.
    let close_notify = record(ContentType::Alert, &[1, 0]);
    let cut = record(ContentType::Handshake, &[0; 100])[..64].to_vec();
    for mode in [4u8, 5] {
        seeds.add(
            "inplace",
            format!("mode{mode}-close-notify-then-cut"),
            with_mode(mode, &[&close_notify[..], &cut].concat()),
        );
    }
    // Established pair: k = 3 writes, a 17-byte answer.
    let params = [3u8 | 1 << 3, 10, 200, 255];
    for mode in (0..=255u8).filter(|m| m & 2 != 0) {
        seeds.add(
            "inplace",
            format!("mode{mode:03}"),
            with_mode(mode, &params),
        );
    }
    let ccs = record(ContentType::ChangeCipherSpec, &[1]);
    let alert = record(ContentType::Alert, &[2, 40]);
    let empty_data = record(ContentType::ApplicationData, &[]);
    let truncated = record(ContentType::ApplicationData, &[0; 40])[..20].to_vec();
    for mode in [2u8, 3, 2 | 32, 3 | 32 | 8] {
        for (name, tail) in [
            ("ccs", &ccs),
            ("alert", &alert),
            ("empty-data", &empty_data),
            ("truncated", &truncated),
        ] {
            seeds.add(
                "inplace",
                format!("mode{mode:03}-{name}"),
                with_mode(mode, &[&params[..], tail].concat()),
            );
        }
    }
    // XOR: the first record (33 bytes of plaintext, at most 62 on the wire) untouched, a byte of
    // the second changed; and one over the first record's length field.
    for mode in [2u8 | 16, 3 | 16, 3 | 16 | 8, 2 | 16 | 32 | 64] {
        let mut second = vec![0u8; 70];
        second.push(0x80);
        seeds.add(
            "inplace",
            format!("mode{mode:03}-second-changed"),
            with_mode(mode, &[&params[..], &second].concat()),
        );
        seeds.add(
            "inplace",
            format!("mode{mode:03}-length-changed"),
            with_mode(mode, &[&params[..], &[0, 0, 0, 0, 1]].concat()),
        );
    }
}

/// For `stream`: the fresh-connection streams of `server_fresh` / `client_fresh` behind the mode
/// byte (0: a server, 1: a client; plan 0) and an empty script byte; the spectls ones also with
/// every other plan, and with scripted transport calls (reads: 5 bytes, `Interrupted`,
/// `WouldBlock`, 100 bytes; writes: `Interrupted`, `WouldBlock`, 7 bytes; and a write taking
/// nothing). Then for each side a close_notify, a fatal alert, a warning alert, and nothing, as
/// the peer's whole stream (the issue 9.1 inputs).
fn stream_seeds(seeds: &mut Seeds) {
    for (from, side) in [("server_fresh", 0u8), ("client_fresh", 1)] {
        let streams = seeds.of(from);
        for (name, stream) in &streams {
            let add = |seeds: &mut Seeds, tag: &str, head: &[u8]| {
                seeds.add("stream", format!("{tag}-{name}"), [head, stream].concat());
            };
            add(seeds, &format!("mode{side}"), &[side, 0]);
            if name.starts_with("spectls") {
                for plan in 1..4u8 {
                    let mode = side | plan << 1;
                    add(seeds, &format!("mode{mode}"), &[mode, 0]);
                }
                add(
                    seeds,
                    &format!("mode{side}-scripted"),
                    &[side, 4 | 3 << 4, 5, 0, 1, 100, 1, 2, 7],
                );
                add(seeds, &format!("mode{side}-write-zero"), &[side, 1 << 4, 0]);
            }
        }
    }
    let close_notify = record(ContentType::Alert, &[1, 0]);
    let fatal = record(ContentType::Alert, &[2, 40]);
    let warning = record(ContentType::Alert, &[1, 90]);
    for side in [0u8, 1] {
        for (name, tail) in [
            ("close-notify", &close_notify[..]),
            ("fatal", &fatal),
            ("warning", &warning),
            ("eof", &[]),
        ] {
            seeds.add(
                "stream",
                format!("mode{side}-{name}"),
                [&[side, 0][..], tail].concat(),
            );
        }
    }
}

fn main() {
    // Targets named on the command line: only their directories are rewritten.
    let only: Vec<String> = std::env::args().skip(1).collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let captures = root.join("../tests/data/captures");
    let mut seeds = Seeds::default();
    let mut traces: Vec<PathBuf> = fs::read_dir(&captures)
        .expect("captures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "trace"))
        .collect();
    traces.sort();
    for t in &traces {
        let name = t
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_string();
        from_capture(&mut seeds, &name, &fs::read_to_string(t).expect("trace"));
    }
    from_spectls(&mut seeds, false);
    from_spectls(&mut seeds, true);
    pq_seeds(&mut seeds);
    resumption_seeds(&mut seeds);
    // Alerts: the common ones, a warning, an unknown description, and a bad level.
    for (n, a) in [
        ("close_notify", [1u8, 0]),
        ("handshake_failure", [2, 40]),
        ("decode_error", [2, 50]),
        ("no_renegotiation", [1, 100]),
        ("unknown_description", [2, 255]),
        ("bad_level", [3, 0]),
    ] {
        seeds.add("alert", n, a);
    }
    seeds.add("change_cipher_spec", "ccs", [1u8]);
    registry_seeds(&mut seeds);
    inplace_seeds(&mut seeds);
    stream_seeds(&mut seeds);

    let out = root.join("seeds");
    if only.is_empty() {
        let _ = fs::remove_dir_all(&out);
    }
    let mut total = 0;
    for (target, files) in &seeds.0 {
        if !only.is_empty() && !only.iter().any(|t| t == target) {
            continue;
        }
        let dir = out.join(target);
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("mkdir");
        for (name, bytes) in files {
            fs::write(dir.join(name), bytes).expect("write seed");
            total += bytes.len();
        }
        println!("{target}: {} seeds", files.len());
    }
    println!("total {total} bytes");
}
