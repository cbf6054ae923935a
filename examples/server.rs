//! An `openssl s_server`-like TLS 1.3 and TLS 1.2 server.
//!
//! `cargo run --release --example server -- --addr 127.0.0.1:8443 [--cert chain.pem --key key.pem]
//! [--alpn http/1.1] [--tls12 | --tls13] [--groups P-256,X25519] [--echo]
//! [--client-ca ca.pem [--require-client-cert]] [--tickets | --ticket-keys FILE] [--early-data N]
//! [--no-cache] [--sni-cert name=chain.pem,key.pem ...] [--timeout SECS] [--max-conns N]`, or
//! `cargo run --example server -- --new-ticket-key` to print a line for a ticket key file.
//!
//! It speaks TLS 1.3 and TLS 1.2, preferring 1.3; `--tls12` or `--tls13` accepts only that one.
//! `--groups` (names `X25519MLKEM768`, `SecP256r1MLKEM768`, `X25519`, `P-256`, `P-384`,
//! comma-separated, in preference order) limits the key exchange groups: `--groups P-256` sends
//! a HelloRetryRequest to TLS 1.3 clients whose key shares are X25519MLKEM768 and X25519, as
//! spectls's are; `--groups X25519,P-256` turns post-quantum key exchange off. By default the
//! post-quantum hybrids come first (TLS 1.3 only), and a client that lists X25519MLKEM768 but
//! sent only an X25519 share is asked for the hybrid (a HelloRetryRequest). The log line of each
//! handshake names the group (`group X25519MLKEM768`). `--client-ca` asks clients for a certificate issued by that
//! CA (connections without one are accepted unless `--require-client-cert`); `--tickets` issues
//! session tickets (RFC 5077 in TLS 1.2, two NewSessionTickets after each TLS 1.3 handshake) and
//! resumes with them, under keys of its own; `--ticket-keys FILE` does the same under the keys
//! of a ticket key file (implies `--tickets`), so that servers started with the same file resume
//! each other's sessions, as behind a load balancer. The file has one base64 key per line, the
//! first one sealing, all of them opening (the format is `spectls::session::KeyFileTicketer`'s);
//! it is read again within a second of changing, and a bad new version is ignored with a `WARN`
//! line on stderr. `--new-ticket-key` prints a fresh key line (`openssl rand -base64 48` makes
//! one too). Without tickets the session cache resumes TLS 1.2 by session ID and TLS 1.3 with
//! stateful tickets (random IDs, each resuming once); `--no-cache` turns the cache off
//! (`openssl s_server -no_cache`), so without tickets nothing resumes. `--early-data N` (implies
//! `--tickets`) lets TLS 1.3 clients resuming with our tickets send up to N bytes of 0-RTT data:
//! a request that arrives that way is answered as any other (this server's only answer is a page
//! that changes nothing, so a replay is harmless), and its log line says so. `--sni-cert`
//! (repeatable) serves that chain to clients asking for `name`, the default certificate to the
//! others.
//!
//! Without `--cert`/`--key` it makes a self-signed ECDSA certificate for `localhost` and
//! 127.0.0.1 at start-up and says where its PEM was written (pass it to `curl --cacert`). It
//! prints the address it listens on (`--addr 127.0.0.1:0` picks a free port). Each connection
//! gets a thread: it reads an HTTP/1.x request up to the blank line and answers `HTTP/1.0 200 OK`
//! naming the negotiated version and suite (`TLSv1.3 TLS_AES_128_GCM_SHA256`), then sends close_notify; a client that closes before a whole
//! request gets close_notify and no response. With `--echo` it sends back every byte it receives
//! until the peer closes. A failed connection is logged and the server keeps serving.
//!
//! The server speaks HTTP/1.0 only, so `--alpn` refuses `h2` (exit code 2).
//!
//! Limits, so that idle or slow clients cannot pin the server: every socket read and write
//! waits at most `--timeout` seconds (default 10), and the handshake plus request and response
//! (in `--echo` mode, the handshake) must finish within that time in total, so a client
//! trickling a byte at a time is dropped too. At most `--max-conns` connections (default 1024)
//! are served at once; further ones wait in the kernel's listen backlog until one ends (at the
//! latest after `--timeout`). Accept errors such as EMFILE (out of file descriptors) are logged
//! and retried every 100 ms rather than in a busy loop.

use spectls::pki::load_identity;
use spectls::pki::{CertifiedKey, ResolvesServerCertUsingSni};
use spectls::pki::{RootCertStore, WebPkiClientVerifier};
use spectls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use spectls::session::{KeyFileTicketer, NoServerSessionStorage, Ticketer};
use spectls::version::{TLS12, TLS13};
use spectls::wire::{NamedCurve, ProtocolVersion};
use spectls::{ServerConfig, ServerConnection, Stream};
use std::error::Error;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

/// spectls's warnings (a ticket key file that changed into a bad one, say) on stderr.
struct StderrLog;

impl log::Log for StderrLog {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Warn
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            eprintln!("{}: {}", record.level(), record.args());
        }
    }

    fn flush(&self) {}
}

static LOG: StderrLog = StderrLog;

/// How long the accept loop sleeps after an accept error: the failed connection stays queued,
/// so retrying at once would spin until a descriptor frees up.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

struct Args {
    addr: String,
    cert: Option<String>,
    key: Option<String>,
    alpn: Vec<Vec<u8>>,
    echo: bool,
    client_ca: Option<String>,
    require_client_cert: bool,
    tickets: bool,
    early_data: u32,
    /// `--ticket-keys`: a ticket key file shared with other servers.
    ticket_keys: Option<String>,
    /// `--new-ticket-key`: print a key line and exit.
    new_ticket_key: bool,
    no_cache: bool,
    sni_certs: Vec<(String, String, String)>,
    timeout: Duration,
    max_conns: usize,
    /// The versions accepted: both unless `--tls12` or `--tls13`.
    versions: Vec<ProtocolVersion>,
    /// `--groups`, or the default list when empty.
    groups: Vec<NamedCurve>,
}

/// A `--groups` name as OpenSSL's `-groups` spells it.
fn group(name: &str) -> Result<NamedCurve, String> {
    match name {
        "X25519" | "x25519" => Ok(NamedCurve::X25519),
        "P-256" | "prime256v1" | "secp256r1" => Ok(NamedCurve::Secp256r1),
        "P-384" | "secp384r1" => Ok(NamedCurve::Secp384r1),
        "X25519MLKEM768" => Ok(NamedCurve::X25519MLKEM768),
        "SecP256r1MLKEM768" => Ok(NamedCurve::SecP256r1MLKEM768),
        other => Err(format!(
            "--groups: unknown group {other} (X25519MLKEM768, SecP256r1MLKEM768, X25519, P-256, P-384)"
        )),
    }
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        addr: "127.0.0.1:8443".into(),
        cert: None,
        key: None,
        alpn: Vec::new(),
        echo: false,
        client_ca: None,
        require_client_cert: false,
        tickets: false,
        early_data: 0,
        ticket_keys: None,
        new_ticket_key: false,
        no_cache: false,
        sni_certs: Vec::new(),
        timeout: Duration::from_secs(10),
        max_conns: 1024,
        versions: vec![TLS13, TLS12],
        groups: Vec::new(),
    };
    let mut only = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--addr" => args.addr = value()?,
            "--cert" => args.cert = Some(value()?),
            "--key" => args.key = Some(value()?),
            "--alpn" => args.alpn = value()?.split(',').map(|p| p.as_bytes().to_vec()).collect(),
            "--echo" => args.echo = true,
            "--tls12" | "--tls13" => {
                if only.is_some_and(|o| o != a) {
                    return Err("--tls12 and --tls13 exclude each other".into());
                }
                args.versions = vec![if a == "--tls12" { TLS12 } else { TLS13 }];
                only = Some(a.clone());
            }
            "--groups" => {
                args.groups = value()?.split(',').map(group).collect::<Result<_, _>>()?;
            }
            "--client-ca" => args.client_ca = Some(value()?),
            "--require-client-cert" => args.require_client_cert = true,
            "--tickets" => args.tickets = true,
            "--early-data" => {
                let v = value()?;
                args.early_data = v.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                    format!("--early-data takes a positive number of bytes, not {v}")
                })?;
                args.tickets = true;
            }
            "--ticket-keys" => args.ticket_keys = Some(value()?),
            "--new-ticket-key" => args.new_ticket_key = true,
            "--no-cache" => args.no_cache = true,
            "--sni-cert" => {
                let v = value()?;
                let (name, files) = v
                    .split_once('=')
                    .ok_or("--sni-cert takes name=chain.pem,key.pem")?;
                let (chain, key) = files
                    .split_once(',')
                    .ok_or("--sni-cert takes name=chain.pem,key.pem")?;
                args.sni_certs
                    .push((name.to_string(), chain.to_string(), key.to_string()));
            }
            "--timeout" => {
                let v = value()?;
                args.timeout = v
                    .parse::<f64>()
                    .ok()
                    .and_then(|s| Duration::try_from_secs_f64(s).ok())
                    .filter(|t| !t.is_zero())
                    .ok_or_else(|| {
                        format!("--timeout takes a positive number of seconds, not {v}")
                    })?;
            }
            "--max-conns" => {
                let v = value()?;
                args.max_conns = v
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("--max-conns takes a positive integer, not {v}"))?;
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.cert.is_some() != args.key.is_some() {
        return Err("--cert and --key go together".into());
    }
    if args.require_client_cert && args.client_ca.is_none() {
        return Err("--require-client-cert needs --client-ca".into());
    }
    if args.alpn.iter().any(|p| p == b"h2") {
        // A client that gets h2 would send the HTTP/2 preface and get HTTP/1.0 back.
        return Err("--alpn h2: this server speaks HTTP/1.0 only and must not offer HTTP/2".into());
    }
    Ok(args)
}

/// A self-signed certificate for localhost/127.0.0.1; its PEM is written next to the temp dir.
fn default_cert() -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), Box<dyn Error>>
{
    let key = rcgen::KeyPair::generate()?;
    let params =
        rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])?;
    let cert = params.self_signed(&key)?;
    let path = std::env::temp_dir().join(format!("spectls-server-{}.pem", std::process::id()));
    std::fs::write(&path, cert.pem())?;
    eprintln!("no --cert given: generated a self-signed certificate for localhost; its PEM (use as CA) is {}", path.display());
    Ok((
        vec![cert.der().clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    ))
}

/// A connection's socket with its time limits: each read, write or flush waits at most `idle`
/// and never past `deadline` (when set). `Stream` drives the handshake through `flush` as well,
/// so the deadline holds even in a loop that does no socket I/O.
struct Timed {
    sock: TcpStream,
    idle: Duration,
    deadline: Option<Instant>,
}

impl Timed {
    /// How long the next call may wait.
    fn limit(&self) -> io::Result<Duration> {
        let Some(deadline) = self.deadline else {
            return Ok(self.idle);
        };
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "connection took longer than --timeout",
            ));
        }
        Ok(left.min(self.idle))
    }
}

/// A socket timeout shows up as WouldBlock on Unix; say what happened instead.
fn timed_out(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::WouldBlock {
        io::Error::new(io::ErrorKind::TimedOut, "peer idle for --timeout")
    } else {
        e
    }
}

impl Read for Timed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.sock.set_read_timeout(Some(self.limit()?))?;
        self.sock.read(buf).map_err(timed_out)
    }
}

impl Write for Timed {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.sock.set_write_timeout(Some(self.limit()?))?;
        self.sock.write(buf).map_err(timed_out)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.limit()?;
        self.sock.flush()
    }
}

fn serve(
    config: Arc<ServerConfig>,
    sock: TcpStream,
    echo: bool,
    timeout: Duration,
) -> Result<(), Box<dyn Error>> {
    // Without it, the close_notify after the response waits for the client's delayed ACK.
    sock.set_nodelay(true)?;
    let sock = Timed {
        sock,
        idle: timeout,
        deadline: Some(Instant::now() + timeout),
    };
    let conn = ServerConnection::new(config)?;
    let mut tls = Stream::new(conn, sock);
    // The client's first flight, and with it any 0-RTT data: the start of what it sends (here,
    // its request). A whole request that comes that way is answered at once, in our first
    // flight (0.5-RTT data), before the handshake completes.
    tls.conn.read_tls(&mut tls.sock)?;
    let mut request = Vec::new();
    if tls.conn.process_new_packets().is_ok() {
        if let Some(mut early) = tls.conn.early_data() {
            early.read_to_end(&mut request)?;
        }
    }
    let early_bytes = request.len();
    let suite = tls.conn.negotiated_cipher_suite();
    let version = shown(tls.conn.protocol_version());
    let answered_early = !echo && is_whole_request(&request);
    if answered_early {
        tls.conn
            .writer()
            .write_all(response(&version, suite).as_bytes())?;
    } else if echo {
        tls.conn.writer().write_all(&request)?;
    }
    // Completes the handshake (or reports what failed in the first flight, with its alert).
    tls.handshake()?;
    eprintln!(
        "handshake done: {version}, {}, group {}, resumed {}, 0-RTT {}, SNI {}, client certificate {}",
        shown(suite),
        shown(tls.conn.negotiated_group()),
        tls.conn.is_resumed(),
        if tls.conn.is_early_data_accepted() {
            format!(
                "{early_bytes} bytes{}",
                if answered_early {
                    ", answered in our first flight"
                } else {
                    ""
                }
            )
        } else {
            "none".into()
        },
        shown(tls.conn.server_name()),
        if tls.conn.peer_certificates().is_some() {
            "verified"
        } else {
            "none"
        }
    );
    if echo {
        // An echo session lasts as long as the peer keeps talking (and reading).
        tls.sock.deadline = None;
        let mut buf = [0u8; 16384];
        loop {
            let n = tls.read(&mut buf)?;
            if n == 0 {
                break;
            }
            tls.write_all(&buf[..n])?;
        }
        tls.close()?;
        return Ok(());
    }
    let mut buf = [0u8; 4096];
    if answered_early {
        tls.close()?;
        let _ = tls.read(&mut buf);
        return Ok(());
    }
    while !is_whole_request(&request) {
        let n = tls.read(&mut buf)?;
        if n == 0 {
            // close_notify before a whole request: there is nothing to answer.
            tls.close()?;
            return Err(format!(
                "closed after {} bytes, before a whole request",
                request.len()
            )
            .into());
        }
        request.extend_from_slice(&buf[..n]);
        if request.len() > 64 * 1024 {
            return Err("request head too long".into());
        }
    }
    tls.write_all(response(&version, suite).as_bytes())?;
    tls.close()?;
    // Answer the client's close_notify if it sends one; a plain TCP close is fine too.
    let _ = tls.read(&mut buf);
    Ok(())
}

/// Whether `request` holds a whole HTTP/1.x request head.
fn is_whole_request(request: &[u8]) -> bool {
    request.windows(4).any(|w| w == b"\r\n\r\n") || request.windows(2).any(|w| w == b"\n\n")
}

/// Our one answer, naming what was negotiated; one string, so it goes out as one record.
fn response(version: &str, suite: Option<spectls::wire::CipherSuite>) -> String {
    let body = format!("hello from spectls: {version} {}\n", shown(suite));
    format!(
        "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// A negotiated value as people read it (`TLSv1.3`, `x25519`), or `none`.
fn shown<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "none".into(), |v| v.to_string())
}

/// Counts the connections being served, so that the accept loop can stop at `--max-conns`.
struct Slots {
    taken: Mutex<usize>,
    freed: Condvar,
    max: usize,
}

/// One connection's place among `--max-conns`; given back on drop, however the thread ends.
struct Slot(Arc<Slots>);

impl Slots {
    /// Waits for a free place. Meanwhile nothing is accepted, so new connections queue in the
    /// listen backlog (and beyond it the kernel drops SYNs, which clients retry).
    fn acquire(self: &Arc<Self>) -> Slot {
        // Nothing panics while holding the lock, so a poisoned one still counts correctly.
        let mut taken = self.taken.lock().unwrap_or_else(PoisonError::into_inner);
        if *taken >= self.max {
            eprintln!(
                "serving --max-conns {} connections: new ones wait to be accepted",
                self.max
            );
        }
        while *taken >= self.max {
            taken = self
                .freed
                .wait(taken)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *taken += 1;
        Slot(Arc::clone(self))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut taken = self.0.taken.lock().unwrap_or_else(PoisonError::into_inner);
        *taken = taken.saturating_sub(1);
        self.0.freed.notify_one();
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if log::set_logger(&LOG).is_ok() {
        log::set_max_level(log::LevelFilter::Warn);
    }
    if args.new_ticket_key {
        return match KeyFileTicketer::generate_line() {
            Ok(line) => {
                println!("{}", *line);
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let setup = || -> Result<(Arc<ServerConfig>, TcpListener), Box<dyn Error>> {
        // --cert/--key and --sni-cert are loaded by with_cert_files / pki::load_identity: a
        // missing file, no certificate, no key, an encrypted key or a key that is not the
        // certificate's is an error naming the file.
        let identity = || -> Result<CertifiedKey, Box<dyn Error>> {
            Ok(match (&args.cert, &args.key) {
                (Some(c), Some(k)) => load_identity(c, k)?,
                _ => {
                    let (chain, key) = default_cert()?;
                    CertifiedKey::from_der(chain, key)?
                }
            })
        };
        let mut builder = if args.sni_certs.is_empty() {
            match (&args.cert, &args.key) {
                (Some(c), Some(k)) => ServerConfig::builder().with_cert_files(c, k)?,
                _ => {
                    let (chain, key) = default_cert()?;
                    ServerConfig::builder().with_single_cert(chain, key)?
                }
            }
        } else {
            let mut resolver = ResolvesServerCertUsingSni::new();
            for (name, chain_file, key_file) in &args.sni_certs {
                resolver.add(name, load_identity(chain_file, key_file)?)?;
            }
            let resolver = resolver.with_default(identity()?);
            ServerConfig::builder().with_cert_resolver(Arc::new(resolver))
        };
        builder = builder
            .with_alpn_protocols(args.alpn.clone())
            .with_protocol_versions(&args.versions);
        if !args.groups.is_empty() {
            builder = builder.with_groups(&args.groups);
        }
        if let Some(ca) = &args.client_ca {
            let roots = RootCertStore::from_pem_file(ca)?;
            let verifier = WebPkiClientVerifier::builder(Arc::new(roots));
            let verifier = if args.require_client_cert {
                verifier
            } else {
                verifier.allow_unauthenticated()
            };
            builder = builder.with_client_cert_verifier(verifier.build()?);
        }
        if args.no_cache {
            builder = builder.with_session_storage(Arc::new(NoServerSessionStorage));
        }
        let ticket_lifetime = Duration::from_secs(6 * 60 * 60);
        if let Some(file) = &args.ticket_keys {
            builder = builder.with_ticketer(KeyFileTicketer::new(file, ticket_lifetime)?);
        } else if args.tickets {
            builder = builder.with_ticketer(Ticketer::new(ticket_lifetime)?);
        }
        builder = builder.with_early_data(args.early_data);
        let config = builder.build()?;
        Ok((Arc::new(config), TcpListener::bind(&args.addr)?))
    };
    let (config, listener) = match setup() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(addr) => eprintln!("listening on {addr}"),
        Err(_) => eprintln!("listening on {}", args.addr),
    }
    let slots = Arc::new(Slots {
        taken: Mutex::new(0),
        freed: Condvar::new(),
        max: args.max_conns,
    });
    // Set while accept keeps failing, so the log says so once rather than ten times a second.
    let mut failing = false;
    loop {
        let slot = slots.acquire();
        let sock = match listener.accept() {
            Ok((sock, _)) => sock,
            // The client gave up before we took it; the next one may be fine.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionAborted | io::ErrorKind::Interrupted
                ) =>
            {
                continue
            }
            Err(e) => {
                if !failing {
                    eprintln!("accept: {e}; retrying every {ACCEPT_BACKOFF:?}");
                    failing = true;
                }
                thread::sleep(ACCEPT_BACKOFF);
                continue;
            }
        };
        if std::mem::take(&mut failing) {
            eprintln!("accept: working again");
        }
        let peer = sock.peer_addr().map(|a| a.to_string()).unwrap_or_default();
        let (config, echo, timeout) = (config.clone(), args.echo, args.timeout);
        let spawned = thread::Builder::new().spawn(move || {
            let _slot = slot;
            if let Err(e) = serve(config, sock, echo, timeout) {
                eprintln!("{peer}: {e}");
            }
        });
        if let Err(e) = spawned {
            // Out of threads or memory: the socket was dropped with the closure; wait as for
            // an accept error.
            eprintln!("cannot start a thread for a connection: {e}");
            thread::sleep(ACCEPT_BACKOFF);
        }
    }
}
