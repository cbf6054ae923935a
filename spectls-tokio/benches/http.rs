//! HTTP over tokio on loopback: the same minimal hyper server on spectls-tokio and on
//! tokio-rustls (rustls 0.23, ring provider), driven by `wrk`, and the memory each holds per idle
//! connection. One run does both parts, TLS 1.3 and TLS 1.2:
//!
//! `cargo bench -p spectls-tokio --bench http` (about 6 minutes), or `scripts/bench-http.sh`
//! (the same, after `ulimit -n` is raised as far as the shell allows). Arguments after `--`:
//! `--duration S` (seconds per wrk run, default 5), `--rounds R` (default 5), `--connections C`
//! (wrk's, default 32), `--idle N` (idle connections, default 10000), `--no-load`, `--no-idle`,
//! `--quick` (1 s runs, 1 round, 500 idle connections: a smoke run).
//!
//! **The server** is this binary re-executed with `SPECTLS_BENCH_HTTP_SERVER=<stack>/<version>`
//! (`spectls/1.3`, `rustls/1.2`, ...), so the process measured holds nothing but the server. The
//! same code serves on both stacks; only the acceptor differs: a tokio `current_thread` runtime
//! (one thread accepts, handshakes and serves: one core), a `TcpListener` on 127.0.0.1 with
//! TCP_NODELAY on every connection, and per connection `TlsAcceptor::accept` then hyper 1's
//! HTTP/1.1 `serve_connection` (default settings, keep-alive on) answering every request with
//! `200 OK`, `content-type: text/plain` and a 13-byte body. Same certificate and key
//! (`tests/data/certs/server-ecdsa.pem`, ECDSA P-256), both servers pinned to one version, one
//! suite (TLS13_AES_128_GCM_SHA256, or TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 for 1.2) and
//! one group (X25519), no resumption (no session cache, no tickets: rustls's
//! `send_tls13_tickets = 0`), no ALPN. Each server prints what its first connection negotiated
//! (version, suite and group by their code points), the run warns if the two stacks differ,
//! and it counts the handshakes each server completed and fails if any was resumed.
//!
//! **Load**: `wrk -t1 -c32 -d5s --latency https://localhost:<port>/` (wrk's client is OpenSSL:
//! it offers X25519 among its key shares, so there is no HelloRetryRequest). On the 2 cores
//! here the server has one thread and wrk one. Two modes: keep-alive (wrk reuses its 32
//! connections) and `-H 'Connection: close'` (hyper closes after each answer, with
//! close_notify: a full handshake per request). Each (version, mode) runs `rounds` times for
//! each stack, the two stacks alternating and the order swapped every round, a fresh server
//! process per run; the table has the medians of requests/s, p50 and p99 latency (wrk's
//! `--latency` distribution: from sending a request to its answer, so in `close` mode the
//! handshake before it is not in the latency, only in requests/s) and of the server's CPU time
//! per request (user + system from `/proc/<pid>/stat`, over the steady middle of the run, from
//! 0.5 s after the start to 0.5 s before the end, divided by the requests the server answered
//! meanwhile). Each run's line also has wrk's CPU share over that window: near 100% means the
//! client, not the server, set the pace. On a shared machine the CPU time per request is the
//! steadier number; p99 moves with whatever else runs. Without `wrk` (Debian package `wrk`) the
//! load part is skipped.
//!
//! **Idle**: a server child per stack and version, and one without TLS (`plain`: the same hyper
//! server on the bare TCP stream, to tell the TLS layer's share from hyper's and tokio's); this
//! process is the client (tokio-rustls on ring, the same client for both servers, 32
//! handshakes in flight). One warm-up connection (handshake, one request, closed), then the
//! server's VmRSS from `/proc/<pid>/status` (the baseline: listening, idle, its one-time setup
//! done), then N connections each do a handshake
//! and one request (`GET /`, the answer read whole), so the server's buffers are in the state a
//! kept-alive connection waits in, and are held open; once the server has counted N + 1
//! requests, VmRSS again. Per connection = (after - before) / N: the TLS stream, the TCP
//! socket's user-space side, the tokio task and hyper's connection state (the same for both
//! stacks). Needs about N + 100 open files per process: the open-files limit is raised to its
//! hard limit (`rlimit`), and if that is too low the run says so and uses fewer connections.
//!
//! Ratios follow the README's convention: spectls / rustls for rates, rustls / spectls for
//! costs (latency, memory), so 1.00 or more means spectls is level or ahead.

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::io::{self, BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const CA: &[u8] = include_bytes!("../../tests/data/certs/ca.pem");
const CHAIN: &[u8] = include_bytes!("../../tests/data/certs/server-ecdsa.pem");
const KEY: &[u8] = include_bytes!("../../tests/data/certs/server-ecdsa.key");
/// The versions of the libraries compared, as locked.
const LOCK: &str = include_str!("../../Cargo.lock");

/// The environment variable that makes this binary the server child.
const SERVER_ENV: &str = "SPECTLS_BENCH_HTTP_SERVER";
/// The answer's body.
const BODY: &[u8] = b"Hello, world\n";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Stack {
    Spectls,
    Rustls,
    /// No TLS: the same hyper server on the bare TCP stream (the idle part's baseline, so the
    /// TLS layer's own share of a connection's memory can be told apart).
    Plain,
}

impl Stack {
    fn name(self) -> &'static str {
        match self {
            Stack::Spectls => "spectls",
            Stack::Rustls => "rustls",
            Stack::Plain => "plain",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Version {
    Tls13,
    Tls12,
}

impl Version {
    fn name(self) -> &'static str {
        match self {
            Version::Tls13 => "1.3",
            Version::Tls12 => "1.2",
        }
    }
}

fn parse_spec(spec: &str) -> (Stack, Version) {
    let (stack, version) = spec.split_once('/').expect("<stack>/<version>");
    let stack = match stack {
        "spectls" => Stack::Spectls,
        "rustls" => Stack::Rustls,
        "plain" => Stack::Plain,
        other => panic!("unknown stack {other}"),
    };
    let version = match version {
        "1.3" => Version::Tls13,
        "1.2" => Version::Tls12,
        other => panic!("unknown version {other}"),
    };
    (stack, version)
}

/// Raises the open-files limit to its hard limit; returns the soft limit then in force.
fn raise_nofile() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("cannot raise RLIMIT_NOFILE: {e}");
            rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The server child.

/// Counters the child reports on `stats`.
#[derive(Default)]
struct Counters {
    handshakes: AtomicU64,
    resumed: AtomicU64,
    failed: AtomicU64,
    requests: AtomicU64,
    reported: AtomicBool,
}

/// What a connection negotiated, by code points (names differ between the libraries).
fn report_negotiated(
    counters: &Counters,
    version: Option<u16>,
    suite: Option<(u16, String)>,
    group: Option<(u16, String)>,
    resumed: bool,
) {
    if resumed {
        counters.resumed.fetch_add(1, Relaxed);
    }
    if counters.reported.swap(true, Relaxed) {
        return;
    }
    let (suite, suite_name) = suite.unwrap_or_default();
    let (group, group_name) = group.unwrap_or_default();
    println!(
        "negotiated version=0x{:04x} suite=0x{suite:04x} group=0x{group:04x} ({suite_name}, \
         {group_name})",
        version.unwrap_or(0)
    );
}

enum Acceptor {
    Spectls(spectls_tokio::TlsAcceptor),
    Rustls(tokio_rustls::TlsAcceptor),
    Plain,
}

fn spectls_acceptor(version: Version) -> spectls_tokio::TlsAcceptor {
    use spectls::crypto::suites;
    use spectls::wire::NamedCurve;
    let (v, suite) = match version {
        Version::Tls13 => (spectls::version::TLS13, &suites::TLS13_AES_128_GCM_SHA256),
        Version::Tls12 => (
            spectls::version::TLS12,
            &suites::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        ),
    };
    let config = spectls::ServerConfig::builder()
        .with_single_cert(
            spectls::pki::certs_from_pem(CHAIN).expect("chain"),
            spectls::pki::private_key_from_pem(KEY).expect("key"),
        )
        .expect("spectls cert")
        .with_protocol_versions(&[v])
        .with_cipher_suites(&[suite])
        .with_groups(&[NamedCurve::X25519])
        .with_session_storage(Arc::new(spectls::session::NoServerSessionStorage))
        .build()
        .expect("spectls server config");
    spectls_tokio::TlsAcceptor::from(Arc::new(config))
}

/// The rustls provider on ring, cut down to one suite and X25519.
fn rustls_provider(version: Version) -> rustls::crypto::CryptoProvider {
    let suite = match version {
        Version::Tls13 => rustls::CipherSuite::TLS13_AES_128_GCM_SHA256,
        Version::Tls12 => rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    };
    let mut provider = rustls::crypto::ring::default_provider();
    provider.cipher_suites.retain(|s| s.suite() == suite);
    assert_eq!(provider.cipher_suites.len(), 1, "rustls lacks the suite");
    provider.kx_groups = vec![rustls::crypto::ring::kx_group::X25519];
    provider
}

fn rustls_version(version: Version) -> &'static rustls::SupportedProtocolVersion {
    match version {
        Version::Tls13 => &rustls::version::TLS13,
        Version::Tls12 => &rustls::version::TLS12,
    }
}

fn rustls_acceptor(version: Version) -> tokio_rustls::TlsAcceptor {
    let mut config =
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls_provider(version)))
            .with_protocol_versions(&[rustls_version(version)])
            .expect("rustls version")
            .with_no_client_auth()
            .with_single_cert(
                spectls::pki::certs_from_pem(CHAIN).expect("chain"),
                spectls::pki::private_key_from_pem(KEY).expect("key"),
            )
            .expect("rustls cert");
    config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

async fn hello(
    req: Request<Incoming>,
    counters: Arc<Counters>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    drop(req);
    counters.requests.fetch_add(1, Relaxed);
    let response = Response::builder()
        .header("content-type", "text/plain")
        .body(Full::new(Bytes::from_static(BODY)))
        .expect("response");
    Ok(response)
}

/// HTTP/1.1 over an established TLS stream, with hyper's defaults, until the client leaves.
async fn serve<S>(tls: S, counters: Arc<Counters>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |req| hello(req, counters.clone()));
    // Errors (a client gone without close_notify when wrk stops) end the connection, no more.
    let _ = http1::Builder::new()
        .serve_connection(TokioIo::new(tls), service)
        .await;
}

async fn handle(acceptor: Arc<Acceptor>, tcp: TcpStream, counters: Arc<Counters>) {
    let _ = tcp.set_nodelay(true);
    match &*acceptor {
        Acceptor::Spectls(a) => match a.accept(tcp).await {
            Ok(tls) => {
                counters.handshakes.fetch_add(1, Relaxed);
                let conn = tls.get_ref().1;
                report_negotiated(
                    &counters,
                    conn.protocol_version()
                        .map(|v| u16::from_be_bytes([v.major, v.minor])),
                    conn.negotiated_cipher_suite()
                        .map(|s| (s.value(), format!("{s:?}"))),
                    conn.negotiated_group()
                        .map(|g| (g.value(), format!("{g:?}"))),
                    conn.is_resumed(),
                );
                serve(tls, counters).await;
            }
            Err(_) => {
                counters.failed.fetch_add(1, Relaxed);
            }
        },
        Acceptor::Rustls(a) => match a.accept(tcp).await {
            Ok(tls) => {
                counters.handshakes.fetch_add(1, Relaxed);
                let conn = tls.get_ref().1;
                report_negotiated(
                    &counters,
                    conn.protocol_version().map(u16::from),
                    conn.negotiated_cipher_suite()
                        .map(|s| (u16::from(s.suite()), format!("{:?}", s.suite()))),
                    conn.negotiated_key_exchange_group()
                        .map(|g| (u16::from(g.name()), format!("{:?}", g.name()))),
                    conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed),
                );
                serve(tls, counters).await;
            }
            Err(_) => {
                counters.failed.fetch_add(1, Relaxed);
            }
        },
        Acceptor::Plain => {
            // No handshake: counted when accepted.
            counters.handshakes.fetch_add(1, Relaxed);
            serve(tcp, counters).await;
        }
    }
}

/// The child: serves until its standard input ends. Prints `listening <port>` when ready,
/// `negotiated ...` after the first handshake, and `stats ...` for each `stats` line read.
fn server_main(spec: &str) {
    let (stack, version) = parse_spec(spec);
    raise_nofile();
    let acceptor = Arc::new(match stack {
        Stack::Spectls => Acceptor::Spectls(spectls_acceptor(version)),
        Stack::Rustls => Acceptor::Rustls(rustls_acceptor(version)),
        Stack::Plain => Acceptor::Plain,
    });
    let counters = Arc::new(Counters::default());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).expect("bind");
    println!("listening {}", listener.local_addr().expect("addr").port());
    let stats = counters.clone();
    std::thread::spawn(move || {
        for line in io::stdin().lock().lines() {
            match line.as_deref() {
                Ok("stats") => println!(
                    "stats handshakes={} resumed={} failed={} requests={}",
                    stats.handshakes.load(Relaxed),
                    stats.resumed.load(Relaxed),
                    stats.failed.load(Relaxed),
                    stats.requests.load(Relaxed),
                ),
                Ok(_) => {}
                Err(_) => break,
            }
        }
        // Standard input closed: the parent is done with us.
        std::process::exit(0);
    });
    rt.block_on(async move {
        loop {
            match listener.accept().await {
                Ok((tcp, _)) => {
                    tokio::spawn(handle(acceptor.clone(), tcp, counters.clone()));
                }
                Err(e) => {
                    // Out of file descriptors, say: wait for some to be closed.
                    eprintln!("server {spec}: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    });
}

// ---------------------------------------------------------------------------------------------
// The parent's handle on a server child.

struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    port: u16,
    negotiated: Option<String>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Stats {
    handshakes: u64,
    resumed: u64,
    failed: u64,
    requests: u64,
}

impl Server {
    fn start(stack: Stack, version: Version) -> Server {
        let exe = std::env::current_exe().expect("current_exe");
        let mut child = Command::new(exe)
            .env(SERVER_ENV, format!("{}/{}", stack.name(), version.name()))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn server child");
        let stdin = child.stdin.take();
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("server's first line");
        let port = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("server said {line:?}, not `listening <port>`"));
        Server {
            child,
            stdin,
            stdout,
            port,
            negotiated: None,
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The child's CPU time so far (user + system), in seconds.
    fn cpu(&self) -> f64 {
        cpu_of(self.pid()).expect("the server's /proc/<pid>/stat")
    }

    fn stats(&mut self) -> Stats {
        let stdin = self.stdin.as_mut().expect("stdin");
        stdin.write_all(b"stats\n").expect("ask the server");
        stdin.flush().expect("ask the server");
        loop {
            let mut line = String::new();
            let n = self.stdout.read_line(&mut line).expect("server output");
            assert!(n > 0, "the server exited");
            let line = line.trim();
            if let Some(rest) = line.strip_prefix("negotiated ") {
                self.negotiated = Some(rest.to_string());
            } else if let Some(rest) = line.strip_prefix("stats ") {
                let mut s = Stats::default();
                for field in rest.split_whitespace() {
                    let (k, v) = field.split_once('=').expect("k=v");
                    let v = v.parse().expect("count");
                    match k {
                        "handshakes" => s.handshakes = v,
                        "resumed" => s.resumed = v,
                        "failed" => s.failed = v,
                        "requests" => s.requests = v,
                        _ => {}
                    }
                }
                return s;
            }
        }
    }

    /// Closes the child's standard input (it exits) and waits for it.
    fn stop(mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// Load: wrk.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    KeepAlive,
    Close,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::KeepAlive => "keep-alive",
            Mode::Close => "close",
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct WrkResult {
    rps: f64,
    /// The server's CPU time per request answered, microseconds.
    cpu: f64,
    /// wrk's CPU time over wall-clock time (1.0: one core's worth).
    wrk_cpu: f64,
    /// Microseconds.
    p50: f64,
    p99: f64,
    errors: u64,
    non2xx: u64,
}

/// wrk's durations (`812.00us`, `1.23ms`, `2.00s`, `1.00m`) in microseconds.
fn micros(s: &str) -> Option<f64> {
    let (num, unit) = s.split_at(s.find(|c: char| c.is_ascii_alphabetic())?);
    let num: f64 = num.parse().ok()?;
    let scale = match unit {
        "us" => 1.0,
        "ms" => 1e3,
        "s" => 1e6,
        "m" => 60e6,
        "h" => 3600e6,
        _ => return None,
    };
    Some(num * scale)
}

fn parse_wrk(out: &str) -> Option<WrkResult> {
    let mut rps = None;
    let mut p50 = None;
    let mut p99 = None;
    let mut errors = 0;
    let mut non2xx = 0;
    for line in out.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", n] => rps = n.parse().ok(),
            ["50%", t] => p50 = micros(t),
            ["99%", t] => p99 = micros(t),
            ["Non-2xx", "or", "3xx", "responses:", n] => non2xx = n.parse().unwrap_or(0),
            ["Socket", "errors:", rest @ ..] => {
                // connect 0, read 0, write 0, timeout 0
                errors = rest
                    .iter()
                    .filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok())
                    .sum();
            }
            _ => {}
        }
    }
    Some(WrkResult {
        rps: rps?,
        cpu: 0.0,
        wrk_cpu: 0.0,
        p50: p50?,
        p99: p99?,
        errors,
        non2xx,
    })
}

struct LoadOpts {
    duration: u64,
    rounds: usize,
    connections: usize,
}

/// A process's CPU time so far (user + system), in seconds; None once it is gone.
fn cpu_of(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command name in parentheses: state is field 3, utime 14, stime 15.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / clock_ticks())
}

/// One wrk run against `server`. The server's CPU time per request and wrk's CPU share are
/// taken over the steady middle of the run (from 0.5 s after the start to 0.5 s before the
/// end), between two counts of the requests the server answered.
fn run_wrk(server: &mut Server, mode: Mode, opts: &LoadOpts) -> (WrkResult, String) {
    let port = server.port;
    let mut cmd = Command::new("wrk");
    cmd.args([
        "-t1",
        &format!("-c{}", opts.connections),
        &format!("-d{}s", opts.duration),
        "--latency",
    ]);
    if mode == Mode::Close {
        cmd.args(["-H", "Connection: close"]);
    }
    cmd.arg(format!("https://localhost:{port}/"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().expect("run wrk");
    let wrk_pid = child.id();
    let edge = Duration::from_millis(500);
    let window = Duration::from_secs(opts.duration).saturating_sub(2 * edge);
    std::thread::sleep(edge);
    let (t0, s0, cpu0, wrk0) = (
        Instant::now(),
        server.stats(),
        server.cpu(),
        cpu_of(wrk_pid),
    );
    std::thread::sleep(window);
    let (t1, s1, cpu1, wrk1) = (
        Instant::now(),
        server.stats(),
        server.cpu(),
        cpu_of(wrk_pid),
    );
    let out = child.wait_with_output().expect("wrk's output");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    match parse_wrk(&text) {
        Some(mut r) => {
            let requests = s1.requests.saturating_sub(s0.requests).max(1);
            r.cpu = (cpu1 - cpu0) * 1e6 / requests as f64;
            r.wrk_cpu = match (wrk0, wrk1) {
                (Some(a), Some(b)) => (b - a) / (t1 - t0).as_secs_f64(),
                _ => f64::NAN,
            };
            (r, text)
        }
        None => panic!(
            "cannot read wrk's output:\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn fmt_us(us: f64) -> String {
    if us >= 1000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{us:.0} us")
    }
}

/// `wrk --version`'s first line, or None when wrk is not installed.
fn wrk_version() -> Option<String> {
    let out = Command::new("wrk").arg("--version").output().ok()?;
    // wrk prints its version and usage, and exits with 1.
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    text.lines().next().map(|l| l.trim().to_string())
}

fn load(opts: &LoadOpts, wrk: &str) {
    println!(
        "\n## Load: {wrk}; wrk -t1 -c{} -d{}s --latency, {} round(s), median of rounds",
        opts.connections, opts.duration, opts.rounds
    );
    println!("server: one tokio current_thread runtime (1 core); wrk: 1 thread (the other core)\n");
    let mut rows = Vec::new();
    for version in [Version::Tls13, Version::Tls12] {
        for mode in [Mode::KeepAlive, Mode::Close] {
            let mut results: [Vec<WrkResult>; 2] = [Vec::new(), Vec::new()];
            let mut negotiated: [Option<String>; 2] = [None, None];
            let mut stats = [Stats::default(); 2];
            for round in 0..opts.rounds {
                let order = if round % 2 == 0 {
                    [Stack::Spectls, Stack::Rustls]
                } else {
                    [Stack::Rustls, Stack::Spectls]
                };
                for stack in order {
                    let i = stack as usize;
                    let mut server = Server::start(stack, version);
                    let (r, text) = run_wrk(&mut server, mode, opts);
                    let s = server.stats();
                    if r.non2xx > 0 || s.handshakes == 0 {
                        eprintln!("{text}");
                    }
                    println!(
                        "  TLS {} {:<10} {:<7} round {}: {:>9.0} req/s  p50 {:>9}  p99 {:>9}  \
                         server CPU {:.1} us/req  wrk CPU {:.0}%  handshakes {} (resumed {}, \
                         failed {}), wrk socket errors {}",
                        version.name(),
                        mode.name(),
                        stack.name(),
                        round + 1,
                        r.rps,
                        fmt_us(r.p50),
                        fmt_us(r.p99),
                        r.cpu,
                        r.wrk_cpu * 100.0,
                        s.handshakes,
                        s.resumed,
                        s.failed,
                        r.errors
                    );
                    assert_eq!(s.resumed, 0, "no handshake may be resumed");
                    assert_eq!(r.non2xx, 0, "every answer is 200");
                    negotiated[i] = server.negotiated.take().or(negotiated[i].take());
                    stats[i].handshakes += s.handshakes;
                    results[i].push(r);
                    server.stop();
                }
            }
            for stack in [Stack::Spectls, Stack::Rustls] {
                println!(
                    "  {} negotiated: {}",
                    stack.name(),
                    negotiated[stack as usize].as_deref().unwrap_or("nothing")
                );
            }
            // Compared by code points (the names are each library's own).
            let codes = |i: usize| {
                negotiated[i]
                    .as_deref()
                    .map(|n| n.split(" (").next().unwrap_or(n).to_string())
            };
            if codes(0) != codes(1) {
                println!("  WARNING: the two servers negotiated different parameters");
            }
            let med =
                |i: usize, f: fn(&WrkResult) -> f64| median(results[i].iter().map(f).collect());
            rows.push((
                version,
                mode,
                [0, 1].map(|i| {
                    (
                        med(i, |r| r.rps),
                        med(i, |r| r.p50),
                        med(i, |r| r.p99),
                        med(i, |r| r.cpu),
                    )
                }),
            ));
        }
    }
    let (spectls_v, rustls_v) = (
        locked_version("spectls-tokio"),
        format!(
            "{} (tokio-rustls {})",
            locked_version("rustls"),
            locked_version("tokio-rustls")
        ),
    );
    println!("\nspectls-tokio {spectls_v}; rustls {rustls_v}, ring provider");
    println!("ratio: spectls/rustls for req/s, rustls/spectls for latency (>= 1.00: spectls level or ahead)\n");
    println!("| TLS | mode | stack | req/s | p50 | p99 | server CPU/req |");
    println!("|---|---|---|---|---|---|---|");
    for (version, mode, [s, r]) in &rows {
        for (name, (rps, p50, p99, cpu)) in [("spectls", s), ("rustls", r)] {
            println!(
                "| {} | {} | {name} | {rps:.0} | {} | {} | {cpu:.1} us |",
                version.name(),
                mode.name(),
                fmt_us(*p50),
                fmt_us(*p99)
            );
        }
        println!(
            "| {} | {} | **ratio** | {:.2} | {:.2} | {:.2} | {:.2} |",
            version.name(),
            mode.name(),
            s.0 / r.0,
            r.1 / s.1,
            r.2 / s.2,
            r.3 / s.3
        );
    }
}

/// The kernel's clock ticks per second (`getconf CLK_TCK`; 100 on Linux when that fails).
fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// A package's version in the workspace's Cargo.lock.
fn locked_version(name: &str) -> String {
    let needle = format!("name = \"{name}\"\nversion = \"");
    LOCK.find(&needle)
        .and_then(|i| LOCK[i + needle.len()..].split('"').next())
        .unwrap_or("?")
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// Idle connections.

/// A line of `/proc/<pid>/status` in bytes (`VmRSS:  1234 kB`).
fn proc_status(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

fn rustls_client(version: Version) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for c in spectls::pki::certs_from_pem(CA).expect("ca.pem") {
        roots.add(c).expect("root");
    }
    let mut provider = rustls_provider(version);
    // An ECDHE_ECDSA server may only use a P-256 certificate with a client that lists
    // secp256r1 (RFC 8422 5.1.1); X25519 stays first, so it is what is used.
    provider
        .kx_groups
        .push(rustls::crypto::ring::kx_group::SECP256R1);
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[rustls_version(version)])
        .expect("rustls version")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.resumption = rustls::client::Resumption::disabled();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Connects, completes the handshake (over TLS when `connector` is there), sends one request
/// and reads its answer whole.
async fn idle_client(
    connector: Option<tokio_rustls::TlsConnector>,
    port: u16,
) -> io::Result<Box<dyn Io>> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
    tcp.set_nodelay(true)?;
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    let mut tls: Box<dyn Io> = match connector {
        Some(c) => Box::new(c.connect(name, tcp).await?),
        None => Box::new(tcp),
    };
    tls.write_all(b"GET / HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .await?;
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.ends_with(BODY) {
        let n = tls.read(&mut buf).await?;
        if n == 0 || answer.len() > 4096 {
            return Err(io::Error::other("no whole answer"));
        }
        answer.extend_from_slice(&buf[..n]);
    }
    Ok(tls)
}

struct IdleResult {
    n: usize,
    before: u64,
    after: u64,
    anon_before: u64,
    anon_after: u64,
    elapsed: Duration,
}

fn idle_one(stack: Stack, version: Version, n: usize) -> IdleResult {
    let mut server = Server::start(stack, version);
    let port = server.port;
    let connector = (stack != Stack::Plain).then(|| rustls_client(version));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // Warm-up: the server's first handshake and request, closed again, before the baseline.
    let warm = rt
        .block_on(idle_client(connector.clone(), port))
        .expect("warm-up connection");
    drop(warm);
    wait_requests(&mut server, 1);
    let pid = server.pid();
    let before = proc_status(pid, "VmRSS");
    let anon_before = proc_status(pid, "RssAnon");
    let t0 = Instant::now();
    let streams = rt.block_on(async {
        let limit = Arc::new(tokio::sync::Semaphore::new(32));
        let mut tasks = Vec::with_capacity(n);
        for _ in 0..n {
            let permit = limit.clone().acquire_owned().await.expect("semaphore");
            let connector = connector.clone();
            tasks.push(tokio::spawn(async move {
                let tls = idle_client(connector, port).await;
                drop(permit);
                tls
            }));
        }
        let mut streams = Vec::with_capacity(n);
        for t in tasks {
            streams.push(t.await.expect("task").expect("idle connection"));
        }
        streams
    });
    let elapsed = t0.elapsed();
    wait_requests(&mut server, n as u64 + 1);
    let after = proc_status(pid, "VmRSS");
    let anon_after = proc_status(pid, "RssAnon");
    let s = server.stats();
    assert_eq!(s.handshakes, n as u64 + 1, "every connection's handshake");
    assert_eq!(s.resumed, 0, "no resumption");
    drop(streams);
    drop(rt);
    server.stop();
    IdleResult {
        n,
        before,
        after,
        anon_before,
        anon_after,
        elapsed,
    }
}

/// Waits (bounded) until the server has answered `n` requests.
fn wait_requests(server: &mut Server, n: u64) {
    let t0 = Instant::now();
    loop {
        let s = server.stats();
        if s.requests >= n {
            return;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "the server answered {} of {n} requests",
            s.requests
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn idle(n_wanted: usize) {
    let limit = raise_nofile();
    // This process holds the client ends; the server child raises its own limit the same way.
    let n = if limit >= n_wanted as u64 + 100 {
        n_wanted
    } else {
        let n = limit.saturating_sub(100) as usize;
        println!(
            "\nNOTE: the open-files limit is {limit} (hard limit reached): {n_wanted} idle \
             connections need about {} per process. Raise it (as root: `ulimit -Hn 65536`, or \
             scripts/bench-http.sh); measuring {n} connections instead.",
            n_wanted + 100
        );
        n
    };
    println!(
        "\n## Idle: {n} connections held open on one server process (handshake + one request \
         each); server VmRSS delta / {n}; client: tokio-rustls for both\n"
    );
    let measure = |stack: Stack, version: Version| {
        let r = idle_one(stack, version, n);
        let per_conn = (r.after as f64 - r.before as f64) / r.n as f64;
        let anon = (r.anon_after as f64 - r.anon_before as f64) / r.n as f64;
        let label = match stack {
            Stack::Plain => "no TLS".to_string(),
            _ => format!("TLS {}", version.name()),
        };
        println!(
            "  {label:<7} {:<7}: VmRSS {:.1} MiB -> {:.1} MiB, {per_conn:.0} B/connection \
             (RssAnon {anon:.0} B/connection); {} connections in {:.1} s",
            stack.name(),
            r.before as f64 / 1048576.0,
            r.after as f64 / 1048576.0,
            r.n,
            r.elapsed.as_secs_f64()
        );
        per_conn
    };
    // The same hyper server on bare TCP: what a connection costs without TLS.
    let plain = measure(Stack::Plain, Version::Tls13);
    let mut rows = Vec::new();
    for version in [Version::Tls13, Version::Tls12] {
        let s = measure(Stack::Spectls, version);
        let r = measure(Stack::Rustls, version);
        rows.push((version, s, r));
    }
    println!(
        "\nper connection, in bytes of server VmRSS; \"TLS share\" = minus the same server \
         without TLS ({plain:.0} B);\nratio: rustls/spectls (>= 1.00: spectls holds as little \
         or less)\n"
    );
    println!("| TLS | spectls | rustls | ratio | spectls TLS share | rustls TLS share | ratio |");
    println!("|---|---|---|---|---|---|---|");
    for (version, s, r) in rows {
        println!(
            "| {} | {s:.0} | {r:.0} | {:.2} | {:.0} | {:.0} | {:.2} |",
            version.name(),
            r / s,
            s - plain,
            r - plain,
            (r - plain) / (s - plain)
        );
    }
}

// ---------------------------------------------------------------------------------------------

fn main() {
    if let Ok(spec) = std::env::var(SERVER_ENV) {
        server_main(&spec);
        return;
    }
    let mut opts = LoadOpts {
        duration: 5,
        rounds: 5,
        connections: 32,
    };
    let mut idle_n = 10_000;
    let (mut do_load, mut do_idle) = (true, true);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |what: &str| -> u64 {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{arg} needs a number ({what})"))
        };
        match arg.as_str() {
            "--bench" => {}
            "--duration" => opts.duration = value("seconds"),
            "--rounds" => opts.rounds = value("rounds") as usize,
            "--connections" => opts.connections = value("connections") as usize,
            "--idle" => idle_n = value("connections") as usize,
            "--no-load" => do_load = false,
            "--no-idle" => do_idle = false,
            "--quick" => {
                opts.duration = 1;
                opts.rounds = 1;
                idle_n = 500;
            }
            other => panic!("unknown argument {other}"),
        }
    }
    println!(
        "HTTP/1.1 (hyper {}) over TLS on loopback: spectls-tokio against tokio-rustls {} \
         (rustls {}, ring {})",
        locked_version("hyper"),
        locked_version("tokio-rustls"),
        locked_version("rustls"),
        locked_version("ring"),
    );
    if do_load {
        match wrk_version() {
            Some(v) => load(&opts, &v),
            None => println!(
                "\nSKIPPED load: wrk not installed (apt-get install wrk); the idle part still runs"
            ),
        }
    }
    if do_idle {
        idle(idle_n);
    }
}
