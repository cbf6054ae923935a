//! The example server (`examples/server.rs`) as a process: it answers only whole requests, drops
//! idle and slow peers after `--timeout`, waits at `--max-conns`, backs off on accept errors,
//! does not hold its close_notify back (TCP_NODELAY), and refuses to offer h2; and `curl` gets
//! TLS 1.3 from it (skipped with a `SKIPPED` line without curl, as the interop peers are). With
//! the example client (`examples/client.rs`): TLS 1.3 by default, `--tls12`/`--tls13`, `--groups`
//! forcing a HelloRetryRequest, `--reconnect` over each version. The demo (`examples/demo.rs`)
//! and the decoder (`examples/decode.rs`): both flows, TLS 1.3's opened with the key log.
//! `cargo test` builds the examples before it runs this.

mod common;

use common::example_bin::{example, server_args, Server};
use common::peer::{cert_file, Peer, TIMEOUT};
use spectls::capture::{Capture, Direction, Flow};
use spectls::version::TLS13;
use spectls::wire::{tls13::Handshake, NamedCurve, HELLO_RETRY_REQUEST};
use spectls::{ClientConfig, ClientConnection, Stream};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

const GET: &[u8] = b"GET / HTTP/1.0\r\n\r\n";
const OK: &[u8] = b"HTTP/1.0 200 OK";

/// A spectls client trusting the test CA, connected (sockets time out after `TIMEOUT`).
fn tls_client(port: u16) -> Stream<ClientConnection, TcpStream> {
    let sock = common::peer::connect(port).expect("connect to the example server");
    let conn = ClientConnection::new(
        Arc::new(common::client_config()),
        "localhost".try_into().expect("name"),
    )
    .expect("client connection");
    Stream::new(conn, sock)
}

/// Handshakes, sends `request` (if any) and close_notify, and returns everything received up
/// to the server's close_notify.
fn exchange(server: &Server, request: &[u8]) -> Vec<u8> {
    let mut tls = tls_client(server.port);
    tls.handshake()
        .unwrap_or_else(|e| panic!("handshake: {e}\n{}", server.log_tail()));
    if !request.is_empty() {
        tls.write_all(request).expect("send the request");
    }
    tls.close().expect("send close_notify");
    let mut reply = Vec::new();
    tls.read_to_end(&mut reply).unwrap_or_else(|e| {
        panic!(
            "after {:?} and close_notify, no clean close_notify came back: {e}\n{}",
            String::from_utf8_lossy(request),
            server.log_tail()
        )
    });
    reply
}

fn is_closed(result: &io::Result<usize>) -> bool {
    match result {
        Ok(0) => true,
        Err(e) => e.kind() == io::ErrorKind::ConnectionReset,
        Ok(_) => false,
    }
}

#[test]
fn only_a_whole_request_is_answered() {
    let server = Server::start(&[]);
    let reply = exchange(&server, GET);
    assert!(
        reply.starts_with(OK),
        "a whole request got {:?}",
        String::from_utf8_lossy(&reply)
    );
    for request in [&b""[..], b"GET / HTTP/1.0\r\n"] {
        let reply = exchange(&server, request);
        assert!(
            reply.is_empty(),
            "close_notify after {:?} (no blank line yet) was answered with {:?}",
            String::from_utf8_lossy(request),
            String::from_utf8_lossy(&reply)
        );
    }
}

#[test]
fn idle_sockets_neither_starve_clients_nor_stay_open() {
    const IDLE: usize = 1000;
    let server = Server::start(&["--timeout", "8"]);
    let mut idle = Vec::with_capacity(IDLE);
    // Connecting 1000 at once overflows the listen backlog (128 in std); the dropped SYNs are
    // retried a second later, so opening them can take seconds on a busy machine.
    let t0 = Instant::now();
    for i in 0..IDLE {
        let mut sock = TcpStream::connect(("127.0.0.1", server.port))
            .unwrap_or_else(|e| panic!("idle socket {i}: {e}"));
        if i % 2 == 1 {
            // Half a record: a handshake header promising 64 bytes, and one of them.
            sock.write_all(&[0x16, 0x03, 0x01, 0x00, 0x40, 0x01])
                .expect("half a record");
        }
        idle.push(sock);
    }
    let opening = t0.elapsed();
    let reply = exchange(&server, GET);
    assert!(
        reply.starts_with(OK),
        "with {IDLE} idle sockets open, a client got {:?}",
        String::from_utf8_lossy(&reply)
    );
    // The client was served while the idle sockets were still held, not after they went.
    for (i, sock) in idle.iter_mut().enumerate() {
        sock.set_nonblocking(true).expect("nonblocking");
        match sock.read(&mut [0u8; 1]) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            other => panic!(
                "idle socket {i} was already closed ({other:?}) when the client was served; \
                 the test needs them open then (opening them took {opening:?})\n{}",
                server.log_tail()
            ),
        }
    }
    let deadline = Instant::now() + Duration::from_secs(8) + TIMEOUT;
    for (i, sock) in idle.iter_mut().enumerate() {
        sock.set_nonblocking(false).expect("blocking");
        let left = deadline.saturating_duration_since(Instant::now());
        sock.set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .expect("read timeout");
        let result = sock.read(&mut [0u8; 1]);
        assert!(
            is_closed(&result),
            "idle socket {i} (of {IDLE}) was not closed by the server 8 s + {TIMEOUT:?} after \
             it connected: {result:?}\n{}",
            server.log_tail()
        );
    }
}

#[test]
fn a_trickling_client_is_dropped_at_the_deadline() {
    let server = Server::start(&["--timeout", "2"]);
    let mut conn = ClientConnection::new(
        Arc::new(common::client_config()),
        "localhost".try_into().expect("name"),
    )
    .expect("client connection");
    let mut hello = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut hello).expect("ClientHello");
    }
    let mut sock = common::peer::connect(server.port).expect("connect");
    let mut writer = sock.try_clone().expect("clone socket");
    let start = Instant::now();
    // One byte every 200 ms keeps every single read well inside --timeout; the ClientHello
    // would take far longer than TIMEOUT to arrive.
    thread::spawn(move || {
        for byte in hello {
            if writer.write_all(&[byte]).is_err() {
                break;
            }
            thread::sleep(Duration::from_millis(200));
        }
    });
    let result = sock.read(&mut [0u8; 1]);
    let took = start.elapsed();
    assert!(
        is_closed(&result),
        "the server kept a trickling client for {took:?} ({result:?})\n{}",
        server.log_tail()
    );
    assert!(
        took < Duration::from_secs(6),
        "closed only after {took:?} with --timeout 2"
    );
}

#[test]
fn at_max_conns_new_connections_wait_for_a_place() {
    let server = Server::start(&["--timeout", "2", "--max-conns", "2"]);
    let _idle: Vec<TcpStream> = (0..2)
        .map(|_| common::peer::connect(server.port).expect("idle socket"))
        .collect();
    let start = Instant::now();
    let reply = exchange(&server, GET);
    let waited = start.elapsed();
    assert!(
        reply.starts_with(OK),
        "got {:?}",
        String::from_utf8_lossy(&reply)
    );
    // Both places were held by idle sockets until their 2 s ran out.
    assert!(
        waited >= Duration::from_secs(1),
        "served after {waited:?} although --max-conns 2 were taken\n{}",
        server.log_tail()
    );
    assert!(
        server.stderr().contains("serving --max-conns 2"),
        "{}",
        server.log_tail()
    );
}

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/PID/stat");
    // The fields after the command name, which may itself hold spaces, start at field 3.
    let (_, rest) = stat.rsplit_once(')').expect("stat format");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| -> u64 {
        let value = fields.get(n - 3).expect("stat field");
        value.parse().expect("tick count")
    };
    field(14) + field(15)
}

fn ticks_per_second() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

#[test]
fn accept_errors_back_off() {
    // 32 descriptors: the server runs out after about 28 connections.
    let mut cmd = Command::new("sh");
    cmd.args(["-c", r#"ulimit -n 32 && exec "$0" "$@""#])
        .arg(example("server"));
    server_args(&mut cmd, &["--timeout", "5"]);
    let server = Server::spawn(cmd);
    let socks: Vec<TcpStream> = (0..60)
        .map(|_| common::peer::connect(server.port).expect("connect"))
        .collect();
    assert!(
        server.wait_stderr("(os error 24)", TIMEOUT),
        "the server never ran out of descriptors\n{}",
        server.log_tail()
    );
    let pid = server.peer.id();
    let before = cpu_ticks(pid);
    thread::sleep(Duration::from_secs(1));
    let used = (cpu_ticks(pid) - before) as f64 / ticks_per_second() as f64;
    // A retry loop without a pause burns the whole second.
    assert!(
        used < 0.1,
        "the server used {used:.2} s of CPU in 1 s while accept failed\n{}",
        server.log_tail()
    );
    drop(socks);
    let reply = exchange(&server, GET);
    assert!(
        reply.starts_with(OK),
        "after the descriptors came back: {:?}",
        String::from_utf8_lossy(&reply)
    );
    assert!(
        server.wait_stderr("accept: working again", TIMEOUT),
        "{}",
        server.log_tail()
    );
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

#[test]
fn server_does_not_hold_back_close_notify() {
    let server = Server::start(&[]);
    let mut times = Vec::new();
    for _ in 0..5 {
        // Default socket options, as most clients have.
        let mut tls = tls_client(server.port);
        tls.handshake().expect("handshake");
        let start = Instant::now();
        tls.write_all(GET).expect("request");
        let mut reply = Vec::new();
        tls.read_to_end(&mut reply)
            .expect("response and close_notify");
        times.push(start.elapsed());
        assert!(reply.starts_with(OK), "{}", String::from_utf8_lossy(&reply));
    }
    // With Nagle, the close_notify after the response waits ~40 ms for the delayed ACK.
    let median = median(times.clone());
    assert!(
        median < Duration::from_millis(30),
        "request to close_notify took {times:?}"
    );
}

#[test]
fn h2_is_refused_at_start_up() {
    for list in ["h2", "http/1.1,h2"] {
        let mut cmd = Command::new(example("server"));
        server_args(&mut cmd, &["--alpn", list]);
        let mut server = Peer::spawn(cmd, 4000);
        let status = server.wait_exit(TIMEOUT);
        assert_eq!(
            status.and_then(|s| s.code()),
            Some(2),
            "{}",
            server.transcript()
        );
        assert!(
            server.stderr().contains("HTTP/1.0 only"),
            "{}",
            server.transcript()
        );
    }
    // An HTTP/1 protocol is fine.
    let server = Server::start(&["--alpn", "http/1.1"]);
    assert!(exchange(&server, GET).starts_with(OK));
}

#[test]
fn echo_peer_that_stops_reading_is_dropped() {
    let server = Server::start(&["--echo", "--timeout", "2"]);
    let mut tls = tls_client(server.port);
    tls.handshake().expect("handshake");
    tls.sock
        .set_write_timeout(Some(Duration::from_millis(200)))
        .expect("write timeout");
    // Never read: the server's echo fills our receive buffer, then its writes block.
    let chunk = [0x55u8; 16384];
    let deadline = Instant::now() + Duration::from_secs(2) + TIMEOUT;
    // Writing more each time (queued behind what is pending) keeps touching the socket, which
    // is how we learn that the server closed it.
    let error = loop {
        match tls.write_all(&chunk) {
            Ok(()) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(e) => break e,
        }
        assert!(
            Instant::now() < deadline,
            "the server still holds a peer that stopped reading, 2 s + {TIMEOUT:?} later\n{}",
            server.log_tail()
        );
    };
    assert!(
        matches!(
            error.kind(),
            io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
        ),
        "{error}"
    );
}

/// Runs an example to its end (within `TIMEOUT`); its exit code, stdout and stderr.
fn run_example(name: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let mut cmd = Command::new(example(name));
    cmd.args(args);
    let mut peer = Peer::spawn(cmd, 4000);
    let status = peer.wait_exit(TIMEOUT);
    assert!(
        status.is_some(),
        "{name} did not finish:\n{}",
        peer.transcript()
    );
    (status.and_then(|s| s.code()), peer.stdout(), peer.stderr())
}

/// The example client against `server`, trusting the test CA, with `extra` flags.
fn run_client(server: &Server, extra: &[&str]) -> (Option<i32>, String, String) {
    let connect = format!("127.0.0.1:{}", server.port);
    let ca = cert_file("ca.pem");
    let mut args = vec![
        "--connect",
        &connect,
        "--server-name",
        "localhost",
        "--ca",
        ca.to_str().expect("UTF-8 path"),
    ];
    args.extend_from_slice(extra);
    run_example("client", &args)
}

/// The `connection N: ...` lines the client printed.
fn connection_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("connection "))
        .collect()
}

#[test]
fn example_pair_negotiates_tls13_by_default_and_each_version_when_forced() {
    let server = Server::start(&[]);
    for (flags, version) in [
        (&[][..], "TLSv1.3"),
        (&["--tls13"][..], "TLSv1.3"),
        (&["--tls12"][..], "TLSv1.2"),
    ] {
        let (code, stdout, stderr) = run_client(&server, flags);
        assert_eq!(code, Some(0), "client {flags:?}:\n{stderr}");
        let lines = connection_lines(&stderr);
        assert_eq!(lines.len(), 1, "{stderr}");
        assert!(
            lines[0].starts_with(&format!("connection 0: {version}, ")),
            "client {flags:?}: {}",
            lines[0]
        );
        // The server saw the same version and says so in its response.
        assert!(stdout.starts_with("HTTP/1.0 200 OK"), "{stdout}");
        assert!(
            stdout.contains(&format!("hello from spectls: {version} ")),
            "{stdout}"
        );
    }
    let log = server.stderr();
    let done: Vec<&str> = log
        .lines()
        .filter(|l| l.starts_with("handshake done: "))
        .collect();
    assert_eq!(done.len(), 3, "{log}");
    for (line, version) in done.iter().zip(["TLSv1.3", "TLSv1.3", "TLSv1.2"]) {
        assert!(
            line.starts_with(&format!("handshake done: {version}, ")),
            "{line}"
        );
    }
    // The suites match the versions: TLS 1.3's name no key exchange.
    assert!(done[0].contains("TLS_AES_128_GCM_SHA256"), "{}", done[0]);
    assert!(done[2].contains("TLS_ECDHE_ECDSA_"), "{}", done[2]);
}

#[test]
fn a_server_forced_to_one_version_refuses_the_other() {
    let server = Server::start(&["--tls12"]);
    let (code, _, stderr) = run_client(&server, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        connection_lines(&stderr)[0].starts_with("connection 0: TLSv1.2, "),
        "{stderr}"
    );
    let (code, _, stderr) = run_client(&server, &["--tls13"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("protocol_version"), "{stderr}");

    let server = Server::start(&["--tls13"]);
    let (code, _, stderr) = run_client(&server, &["--tls12"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("protocol_version"), "{stderr}");
    assert!(
        server.wait_stderr("UnsupportedVersion", TIMEOUT),
        "{}",
        server.log_tail()
    );

    let (code, _, stderr) = run_client(&server, &["--tls12", "--tls13"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("exclude each other"), "{stderr}");
}

/// A TLS 1.3 handshake with the example server by a spectls client offering one key share
/// (X25519, the first default group); the bytes that crossed the wire, decoded.
fn recorded_tls13_handshake(server: &Server) -> (Capture, Option<NamedCurve>) {
    let client = ClientConfig::builder()
        .with_root_certificates(common::roots())
        .with_protocol_versions(&[TLS13])
        .build()
        .expect("client config");
    let mut conn = ClientConnection::new(Arc::new(client), "localhost".try_into().expect("name"))
        .expect("client connection");
    let mut sock = common::peer::connect(server.port).expect("connect");
    let mut cap = Capture::default();
    while conn.is_handshaking() {
        let mut out = Vec::new();
        while conn.wants_write() {
            conn.write_tls(&mut out).expect("write_tls");
        }
        if !out.is_empty() {
            sock.write_all(&out).expect("send");
            cap.chunks.push((Direction::ClientToServer, out));
            continue;
        }
        let mut buf = [0u8; 16384];
        let n = sock
            .read(&mut buf)
            .unwrap_or_else(|e| panic!("read: {e}\n{}", server.log_tail()));
        assert!(n > 0, "the server closed:\n{}", server.log_tail());
        cap.chunks
            .push((Direction::ServerToClient, buf[..n].to_vec()));
        let mut input = &buf[..n];
        while !input.is_empty() {
            conn.read_tls(&mut input).expect("read_tls");
            conn.process_new_packets()
                .unwrap_or_else(|e| panic!("handshake: {e}\n{}", server.log_tail()));
        }
    }
    assert_eq!(conn.protocol_version(), Some(TLS13));
    (cap, conn.negotiated_group())
}

/// The randoms of the ServerHellos in a TLS 1.3 flow, in order.
fn server_hello_randoms(cap: &Capture) -> Vec<Vec<u8>> {
    let mut flow = Flow::new(cap);
    let events = flow.events().expect("the flow decodes");
    events
        .iter()
        .filter_map(|e| match e {
            spectls::capture::Event::Message13 {
                message: Handshake::ServerHello(sh),
                ..
            } => Some(spectls::codec::Encode::to_vec(&sh.random)),
            _ => None,
        })
        .collect()
}

#[test]
fn server_groups_force_a_hello_retry_request() {
    // X25519 allowed: the client's share is taken at once.
    let server = Server::start(&["--groups", "X25519,P-256"]);
    let (cap, group) = recorded_tls13_handshake(&server);
    assert_eq!(group, Some(NamedCurve::X25519));
    let randoms = server_hello_randoms(&cap);
    assert_eq!(randoms.len(), 1);
    assert_ne!(randoms[0], HELLO_RETRY_REQUEST);

    // P-256 only: a HelloRetryRequest, then the ServerHello for the client's P-256 share.
    let server = Server::start(&["--groups", "P-256"]);
    let (cap, group) = recorded_tls13_handshake(&server);
    assert_eq!(group, Some(NamedCurve::Secp256r1));
    let randoms = server_hello_randoms(&cap);
    assert_eq!(randoms.len(), 2, "{randoms:?}");
    assert_eq!(randoms[0], HELLO_RETRY_REQUEST);
    assert_ne!(randoms[1], HELLO_RETRY_REQUEST);
    // The example client gets through it too, and says which group it ended with.
    let (code, stdout, stderr) = run_client(&server, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.starts_with("HTTP/1.0 200 OK"), "{stdout}");
    assert!(
        connection_lines(&stderr)[0].contains("TLSv1.3, TLS_AES_128_GCM_SHA256, group secp256r1"),
        "{stderr}"
    );

    let mut cmd = Command::new(example("server"));
    server_args(&mut cmd, &["--groups", "P-521"]);
    let mut bad = Peer::spawn(cmd, 4000);
    assert_eq!(bad.wait_exit(TIMEOUT).and_then(|s| s.code()), Some(2));
    assert!(
        bad.stderr().contains("unknown group P-521"),
        "{}",
        bad.transcript()
    );
}

#[test]
fn reconnect_resumes_over_each_version_with_tickets_and_says_when_there_was_none() {
    let server = Server::start(&["--tickets"]);
    for (flags, version) in [(&["--tls12"][..], "TLSv1.2"), (&[][..], "TLSv1.3")] {
        let args: Vec<&str> = flags.iter().copied().chain(["--reconnect", "2"]).collect();
        let (code, _, stderr) = run_client(&server, &args);
        assert_eq!(code, Some(0), "{stderr}");
        let lines = connection_lines(&stderr);
        assert_eq!(lines.len(), 3, "{stderr}");
        assert!(
            lines[0].starts_with(&format!("connection 0: {version}, "))
                && lines[0].ends_with("resumed false"),
            "{}",
            lines[0]
        );
        for line in &lines[1..] {
            assert!(
                line.contains(&format!(": {version}, ")) && line.ends_with("resumed true"),
                "{line}"
            );
        }
        assert!(!stderr.contains("no TLS 1.3 ticket"), "{stderr}");
    }
    // Without --tickets the TLS 1.3 tickets are stateful, from the session cache.
    let server = Server::start(&[]);
    let (code, _, stderr) = run_client(&server, &["--reconnect", "1"]);
    assert_eq!(code, Some(0), "{stderr}");
    let lines = connection_lines(&stderr);
    assert!(
        lines.len() == 2 && lines[1].contains(": TLSv1.3, ") && lines[1].ends_with("resumed true"),
        "{stderr}"
    );
    // Without the cache either, a TLS 1.3 server sends none: the client says so.
    let server = Server::start(&["--no-cache"]);
    let (code, _, stderr) = run_client(&server, &["--reconnect", "1"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("--reconnect: no TLS 1.3 ticket to resume with (the server sent none"),
        "{stderr}"
    );
    let lines = connection_lines(&stderr);
    assert_eq!(lines.len(), 2, "{stderr}");
    for line in lines {
        assert!(
            line.contains(": TLSv1.3, ") && line.ends_with("resumed false"),
            "{line}"
        );
    }
}

/// The lines of `text` from the one starting with `from` up to (not including) the next line
/// starting with `until`, or the end.
fn section<'a>(text: &'a str, from: &str, until: &str) -> Vec<&'a str> {
    text.lines()
        .skip_while(|l| !l.starts_with(from))
        .enumerate()
        .take_while(|(i, l)| *i == 0 || !l.starts_with(until))
        .map(|(_, l)| l)
        .collect()
}

/// In `lines`, the record lines (`DIR: ... record ...`; the demo's plaintext summary lines are
/// not) each with the first line under it.
fn records_and_firsts<'a>(lines: &[&'a str]) -> Vec<(&'a str, &'a str)> {
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| {
            (l.starts_with("client -> server: ") || l.starts_with("server -> client: "))
                && l.contains(" record")
        })
        .map(|(i, l)| (*l, lines.get(i + 1).map_or("", |n| n.trim())))
        .collect()
}

/// The TLS 1.3 flow's record lines as `(record line prefix, first line under it)`, checked in
/// order against what RFC 8446 2 draws for a full handshake (compatibility ChangeCipherSpec
/// records aside). The server seals EncryptedExtensions to Finished in one record: its
/// messages are checked in order under it.
fn check_tls13_flow(lines: &[&str]) {
    let flight: Vec<&str> = lines
        .iter()
        .skip_while(|l| !l.trim().starts_with("encrypted_extensions("))
        .take_while(|l| !l.starts_with("client -> server: "))
        .filter(|l| l.starts_with("    ") && !l.starts_with("     ") && l.trim() != ")")
        .map(|l| l.trim())
        .collect();
    assert_eq!(
        flight,
        [
            "encrypted_extensions(",
            "certificate(",
            "certificate_verify(",
            "finished("
        ],
        "{lines:#?}"
    );
    let records: Vec<(&str, &str)> = records_and_firsts(lines)
        .into_iter()
        .filter(|(l, _)| !l.contains("ChangeCipherSpec record"))
        .collect();
    let expected = [
        ("client -> server: Handshake record", "client_hello("),
        ("server -> client: Handshake record", "server_hello("),
        (
            "server -> client: protected record",
            "encrypted_extensions(",
        ),
        ("client -> server: protected record", "finished("),
        (
            "client -> server: protected record",
            "\"hello from the spectls client\"",
        ),
        // The default server's stateful tickets (its session cache), in one record.
        ("server -> client: protected record", "new_session_ticket("),
        (
            "server -> client: protected record",
            "\"hello from the spectls server\"",
        ),
    ];
    assert!(records.len() >= expected.len(), "{records:#?}");
    for ((line, first), (prefix, want)) in records.iter().zip(expected) {
        assert!(
            line.starts_with(prefix) && *first == want,
            "{line} / {first}: expected {prefix} / {want}\n{records:#?}"
        );
    }
    // Each protected record says which secret opened it.
    let secrets: Vec<&str> = records
        .iter()
        .filter_map(|(l, _)| l.split_once(", opened with ").map(|(_, rest)| rest))
        .filter_map(|rest| rest.split_once(':').map(|(secret, _)| secret))
        .collect();
    assert_eq!(
        secrets[..3],
        [
            "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            "CLIENT_TRAFFIC_SECRET_0",
        ]
    );
    assert!(
        !lines.iter().any(|l| l.contains("not opened")),
        "{lines:#?}"
    );
}

#[test]
fn demo_prints_a_tls13_and_a_tls12_flow_with_tls13_opened() {
    let dir = std::env::temp_dir().join(format!("spectls-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (code, stdout, stderr) =
        run_example("demo", &["--save", dir.to_str().expect("UTF-8 path")]);
    assert_eq!(code, Some(0), "{stderr}\n{stdout}");

    let tls13 = section(&stdout, "=== TLSv1.3", "=== ");
    let tls12 = section(&stdout, "=== TLSv1.2", "=== ");
    assert!(tls13.contains(&"  protocol version   TLSv1.3"), "{stdout}");
    assert!(
        tls13.contains(&"  cipher suite       TLS_AES_128_GCM_SHA256"),
        "{stdout}"
    );
    assert!(tls12.contains(&"  protocol version   TLSv1.2"), "{stdout}");
    check_tls13_flow(&tls13);

    // TLS 1.2: the classic flight, and its encrypted Finished stays sealed.
    let firsts: Vec<&str> = records_and_firsts(&tls12)
        .into_iter()
        .map(|(_, first)| first)
        .filter(|f| f.ends_with('('))
        .collect();
    assert_eq!(
        firsts,
        [
            "client_hello(",
            "server_hello(",
            "certificate(",
            "server_key_exchange(",
            "server_hello_done(",
            "client_key_exchange(",
        ]
    );
    assert!(
        tls12
            .iter()
            .any(|l| l.starts_with("server -> client: protected Handshake record: aead(")),
        "{tls12:#?}"
    );

    // The saved TLS 1.3 connection decodes the same with the decode example and its key log.
    let trace = dir.join("demo-tls13.trace");
    let (code, decoded, stderr) = run_example("decode", &[trace.to_str().expect("UTF-8 path")]);
    assert_eq!(code, Some(0), "{stderr}\n{decoded}");
    assert!(
        decoded.contains("TLS 1.3: records opened with "),
        "{decoded}"
    );
    let lines: Vec<&str> = decoded.lines().collect();
    check_tls13_flow(&lines);
    assert!(
        decoded.contains("each re-encodes to its original bytes"),
        "{decoded}"
    );
    // Without the key log the records stay sealed, and say so.
    std::fs::remove_file(dir.join("demo-tls13.keylog")).expect("remove key log");
    let (code, decoded, stderr) = run_example("decode", &[trace.to_str().expect("UTF-8 path")]);
    assert_eq!(code, Some(0), "{stderr}\n{decoded}");
    assert!(stderr.contains("protected records stay sealed"), "{stderr}");
    assert!(
        decoded.contains(": protected record, ") && decoded.contains(", not opened: no key log"),
        "{decoded}"
    );
    assert!(!decoded.contains("encrypted_extensions("), "{decoded}");
    let _ = std::fs::remove_dir_all(&dir);
}
/// curl (OpenSSL or GnuTLS underneath, its defaults) gets TLS 1.3 from the example server: its
/// `-v` output names the version and the suite, and the response (which names the suite the
/// server negotiated) arrives. `--resolve` keeps it on 127.0.0.1.
#[test]
fn curl_negotiates_tls13() {
    let Some(curl) = common::peer::require("curl") else {
        return;
    };
    let server = Server::start(&[]);
    let mut cmd = Command::new(curl);
    cmd.args(["-v", "--silent", "--show-error", "--max-time", "10"])
        .arg("--cacert")
        .arg(cert_file("ca.pem"))
        .arg("--resolve")
        .arg(format!("localhost:{}:127.0.0.1", server.port))
        .arg(format!("https://localhost:{}/", server.port));
    let mut client = Peer::spawn(cmd, 4000);
    let status = client.wait_exit(TIMEOUT);
    let (out, err) = (client.stdout(), client.stderr());
    assert!(
        status.is_some_and(|s| s.success()),
        "curl failed\n{}\n--- server:\n{}",
        client.transcript(),
        server.log_tail()
    );
    // "SSL connection using TLSv1.3 / TLS_AES_256_GCM_SHA384" (OpenSSL-backed curl).
    let suite = err
        .lines()
        .find_map(|l| l.split_once("SSL connection using TLSv1.3 / "))
        .map(|(_, suite)| suite.trim().to_string());
    let Some(suite) = suite else {
        panic!("curl did not report TLSv1.3\n{}", client.transcript());
    };
    assert!(
        out.starts_with("hello from spectls") && out.contains(&suite),
        "the response does not name {suite}\n{}",
        client.transcript()
    );
}

/// The lines of the server's log that say how a handshake went.
/// The lines of the server's log that say how a handshake went, once `n` whole ones are there
/// (the server may log a handshake after the client already has its answer: a 0-RTT request
/// is answered in the server's first flight).
fn handshake_lines(server: &Server, n: usize) -> Vec<String> {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let log = server.stderr();
        // Only whole lines: the last piece may still be being written.
        let whole = log.rsplit_once('\n').map_or("", |(whole, _)| whole);
        let lines: Vec<String> = whole
            .lines()
            .filter(|l| l.starts_with("handshake done: "))
            .map(String::from)
            .collect();
        if lines.len() >= n || Instant::now() > deadline {
            return lines;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn the_example_pair_sends_its_request_as_early_data_when_the_server_allows_it() {
    let server = Server::start(&["--early-data", "4096"]);
    let (code, stdout, stderr) = run_client(&server, &["--reconnect", "2", "--early-data"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("HTTP/1.0 200 OK"), "{stdout}");
    let early: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("0-RTT request on connection "))
        .collect();
    assert_eq!(
        early,
        [
            "0-RTT request on connection 1: accepted",
            "0-RTT request on connection 2: accepted"
        ],
        "{stderr}"
    );
    let lines = handshake_lines(&server, 3);
    assert_eq!(lines.len(), 3, "{}", server.log_tail());
    assert!(
        lines[0].contains("resumed false, 0-RTT none"),
        "{}",
        lines[0]
    );
    for line in &lines[1..] {
        // The early request is answered in the server's first flight (0.5-RTT data).
        assert!(
            line.contains("resumed true, 0-RTT 18 bytes, answered in our first flight"),
            "{line}"
        );
    }
    // Tickets without early data: the client resumes and sends its request after the handshake.
    let server = Server::start(&["--tickets"]);
    let (code, _, stderr) = run_client(&server, &["--reconnect", "1", "--early-data"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("0-RTT request"), "{stderr}");
    assert!(
        connection_lines(&stderr)[1].ends_with("resumed true"),
        "{stderr}"
    );
}

#[test]
fn openssl_s_client_sends_early_data_to_the_example_server() {
    let Some(openssl) = common::peer::require("openssl") else {
        return;
    };
    let server = Server::start(&["--early-data", "4096"]);
    let dir = std::env::temp_dir().join(format!("spectls-example-early-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let session = dir.join("session.pem");
    let early = dir.join("early.txt");
    std::fs::write(&early, GET).expect("early data file");
    for round in 0..2 {
        let mut cmd = Command::new(&openssl);
        cmd.arg("s_client")
            .args(["-connect", &format!("127.0.0.1:{}", server.port)])
            .arg("-CAfile")
            .arg(cert_file("ca.pem"))
            .args(["-servername", "localhost", "-tls1_3", "-ign_eof"])
            .arg(if round == 0 { "-sess_out" } else { "-sess_in" })
            .arg(&session);
        if round == 1 {
            cmd.arg("-early_data").arg(&early);
        }
        let mut client = Peer::spawn(cmd, 64 * 1024);
        if round == 0 {
            client.write_stdin(GET);
        }
        client.close_stdin();
        assert!(
            client.wait_output("hello from spectls", TIMEOUT),
            "round {round}: {}\n{}",
            client.transcript(),
            server.log_tail()
        );
        client.wait_exit(TIMEOUT);
        if round == 1 {
            assert!(
                client.stdout().contains("Early data was accepted"),
                "{}",
                client.transcript()
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let lines = handshake_lines(&server, 2);
    assert_eq!(lines.len(), 2, "{}", server.log_tail());
    assert!(
        lines[1].contains("resumed true, 0-RTT 18 bytes"),
        "{}",
        lines[1]
    );
}

#[test]
fn a_rustls_client_sends_early_data_to_the_example_server() {
    let server = Server::start(&["--early-data", "4096"]);
    let mut config = common::RustlsClient {
        tls13: true,
        ..common::RustlsClient::default()
    }
    .config();
    config.enable_early_data = true;
    let config = Arc::new(config);
    let mut accepted = Vec::new();
    for _ in 0..2 {
        let mut conn =
            rustls::ClientConnection::new(config.clone(), "localhost".try_into().expect("name"))
                .expect("rustls client");
        let sent_early = match conn.early_data() {
            Some(mut early) => early.write(GET).expect("early data") == GET.len(),
            None => false,
        };
        let mut sock = common::peer::connect(server.port).expect("connect");
        let mut tls = rustls::Stream::new(&mut conn, &mut sock);
        tls.flush().expect("handshake");
        if !(sent_early && tls.conn.is_early_data_accepted()) {
            tls.write_all(GET).expect("request");
        }
        let mut reply = Vec::new();
        let _ = tls.read_to_end(&mut reply);
        assert!(
            reply.starts_with(OK),
            "{}\n{}",
            String::from_utf8_lossy(&reply),
            server.log_tail()
        );
        accepted.push((sent_early, conn.is_early_data_accepted()));
    }
    assert_eq!(accepted, [(false, false), (true, true)]);
    let lines = handshake_lines(&server, 2);
    assert!(
        lines[1].contains("resumed true, 0-RTT 18 bytes"),
        "{}",
        lines[1]
    );
}

/// The examples load their files through `pki::load_identity` and friends, and the client's
/// roots are the system store unless `--ca` (or `--mozilla-roots`) says otherwise: an
/// encrypted `--key` stops the server with the file named and the command that decrypts it,
/// and the client says which roots it used (the system's and Mozilla's do not hold the test
/// CA, so the handshake fails verification with them).
#[test]
fn examples_name_bad_files_and_say_which_roots() {
    let chain = cert_file("server-ecdsa.pem");
    let encrypted = cert_file("../keys/encrypted-pkcs8.pem");
    let (code, _, stderr) = run_example(
        "server",
        &[
            "--addr",
            "127.0.0.1:0",
            "--cert",
            chain.to_str().expect("UTF-8 path"),
            "--key",
            encrypted.to_str().expect("UTF-8 path"),
        ],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "error: configuration error: private key file {}: the key is encrypted",
            encrypted.display()
        )) && stderr.contains("openssl pkey -in"),
        "{stderr}"
    );

    let server = Server::start(&[]);
    let (code, _, stderr) = run_client(&server, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "roots: 1 CA certificate(s) from {} (--ca)",
            cert_file("ca.pem").display()
        )),
        "{stderr}"
    );
    let connect = format!("127.0.0.1:{}", server.port);
    let (code, _, stderr) = run_example(
        "client",
        &["--connect", &connect, "--server-name", "localhost"],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        (stderr.contains("roots: the system trust store, ")
            && stderr.contains("invalid peer certificate: UnknownIssuer"))
            || stderr.contains("no usable root certificate in the system trust store"),
        "{stderr}"
    );
    let (code, _, stderr) = run_example(
        "client",
        &[
            "--connect",
            &connect,
            "--server-name",
            "localhost",
            "--mozilla-roots",
        ],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("roots: Mozilla's, compiled in (webpki-roots), ")
            && stderr.contains("invalid peer certificate: UnknownIssuer"),
        "{stderr}"
    );
}
