//! A real `redis-server` as a child process on a free loopback port (killed when its guard
//! drops), spectls configurations from the root crate's test certificates, and in-memory
//! handshakes.
//
// Each test binary uses part of this module.
#![allow(dead_code)]

use spectls::pki::{certs_from_pem, private_key_from_pem, RootCertStore};
use spectls::session::ClientSessionMemoryCache;
use spectls::version::{TLS12, TLS13};
use spectls::{ClientConfig, ClientConnection, ConnectionCommon, ServerConfig, ServerConnection};
use spectls_redis::RedisSessionStore;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

pub(crate) const CA: &[u8] = include_bytes!("../../../tests/data/certs/ca.pem");
pub(crate) const CHAIN: &[u8] = include_bytes!("../../../tests/data/certs/server-ecdsa.pem");
pub(crate) const KEY: &[u8] = include_bytes!("../../../tests/data/certs/server-ecdsa.key");

/// Set to `1` (as `.ci/run` does), a missing `redis-server` fails the test instead of skipping
/// it: the root crate's convention (`tests/common/peer.rs`).
pub(crate) const REQUIRE_PEERS_ENV: &str = "SPECTLS_REQUIRE_PEERS";

/// How long `redis-server` may take to answer its first PING.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// Where `redis-server` is: the first directory on `PATH` that has it.
fn locate() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("redis-server"))
        .find(|candidate| candidate.is_file())
}

/// The `redis-server` binary, or `None` after a loud `SKIPPED` line on stderr (the caller
/// returns); with `SPECTLS_REQUIRE_PEERS=1` a missing one is a panic instead.
pub(crate) fn require_redis() -> Option<PathBuf> {
    if let Some(found) = locate() {
        return Some(found);
    }
    // libtest runs each test on a thread named after it.
    let test = thread::current()
        .name()
        .map_or_else(|| "<unnamed test>".to_string(), str::to_string);
    let what = format!(
        "{}::{test}: redis-server not installed (apt-get install redis-server)",
        env!("CARGO_CRATE_NAME")
    );
    // Anything but unset, empty or 0 asks for failure: a typo must not quietly turn it off.
    let required = std::env::var_os(REQUIRE_PEERS_ENV).is_some_and(|v| !v.is_empty() && v != "0");
    if required {
        panic!("{what}; {REQUIRE_PEERS_ENV} is set, so a missing peer is a failure");
    }
    // Straight to the process's stderr: libtest captures eprintln! of passing tests.
    let line = format!("SKIPPED: {what}; set {REQUIRE_PEERS_ENV}=1 to fail instead\n");
    let _ = io::stderr().lock().write_all(line.as_bytes());
    None
}

/// A running `redis-server`, killed when dropped.
pub(crate) struct Redis {
    child: Option<Child>,
    pub(crate) port: u16,
}

impl Redis {
    /// Starts `redis-server` on a free 127.0.0.1 port, with no persistence, and waits until it
    /// answers PING. `None` if it is not installed (see [`require_redis`]).
    pub(crate) fn start() -> Option<Redis> {
        let bin = require_redis()?;
        // A port another process takes between our probe and redis-server's bind: try again.
        for _ in 0..5 {
            if let Some(redis) = Self::spawn(&bin, free_port()) {
                return Some(redis);
            }
        }
        panic!("redis-server did not start on any of 5 ports");
    }

    /// As [`Redis::start`], on `port` (one a killed server used); `None` if it cannot have it.
    pub(crate) fn start_on(port: u16) -> Option<Redis> {
        Self::spawn(&require_redis()?, port)
    }

    fn spawn(bin: &Path, port: u16) -> Option<Redis> {
        let child = Command::new(bin)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-server");
        let mut redis = Redis {
            child: Some(child),
            port,
        };
        redis.wait_ready().then_some(redis)
    }

    /// Whether it answers PING before `START_TIMEOUT`; `false` if it exited (port taken).
    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if let Some(child) = self.child.as_mut() {
                if child.try_wait().ok().flatten().is_some() {
                    self.child = None;
                    return false;
                }
            }
            if self.ping() {
                return true;
            }
            thread::sleep(Duration::from_millis(20));
        }
        false
    }

    fn ping(&self) -> bool {
        let Ok(mut s) = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
        let mut buf = [0u8; 7];
        s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
    }

    /// `redis://127.0.0.1:<port>/`.
    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// A client connection of the test's own, to look at what the store wrote.
    pub(crate) fn inspect(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .and_then(|c| c.get_connection_with_timeout(Duration::from_secs(5)))
            .expect("connect to the test's redis-server")
    }

    /// Kills the server now and waits until it is gone.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A port nothing listens on right now.
pub(crate) fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A store on `url` with short timeouts and no pause after failures (each test says otherwise).
pub(crate) fn store(url: &str, lifetime: Duration) -> RedisSessionStore {
    RedisSessionStore::new(url, lifetime)
        .expect("store")
        .with_connect_timeout(Duration::from_millis(250))
        .with_io_timeout(Duration::from_millis(250))
        .with_retry_after(Duration::ZERO)
}

/// A server of one version (TLS 1.2 or 1.3) with the ECDSA test certificate, `store` as its
/// session storage, no ticketer, and `lifetime` as its session lifetime.
pub(crate) fn server(
    version: u8,
    store: RedisSessionStore,
    lifetime: Duration,
) -> Arc<ServerConfig> {
    let version = if version == 12 { TLS12 } else { TLS13 };
    Arc::new(
        ServerConfig::builder()
            .with_single_cert(
                certs_from_pem(CHAIN).expect("chain"),
                private_key_from_pem(KEY).expect("key"),
            )
            .expect("certificate")
            .with_protocol_versions(&[version])
            .with_session_storage(Arc::new(store))
            .with_session_lifetime(lifetime)
            .build()
            .expect("server config"),
    )
}

/// A client (both versions) trusting the test CA, keeping its sessions and tickets in `cache`.
/// The servers have no ticketer, so TLS 1.2 resumes by session ID.
pub(crate) fn client(cache: &Arc<ClientSessionMemoryCache>) -> Arc<ClientConfig> {
    Arc::new(
        ClientConfig::builder()
            .with_root_certificates(RootCertStore::from_pem(CA).expect("CA"))
            .with_session_storage(cache.clone())
            .build()
            .expect("client config"),
    )
}

/// Everything `conn` has queued for the wire.
fn drain(conn: &mut ConnectionCommon) -> Vec<u8> {
    let mut out = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut out).expect("write to a Vec");
    }
    out
}

/// Gives `bytes` to `conn` and processes them.
fn feed(conn: &mut ConnectionCommon, mut bytes: &[u8]) -> Result<(), spectls::Error> {
    conn.process_new_packets()?;
    while !bytes.is_empty() {
        if conn.read_tls(&mut bytes).expect("read from a slice") == 0 {
            break;
        }
        conn.process_new_packets()?;
    }
    Ok(())
}

fn transfer(from: &mut ConnectionCommon, to: &mut ConnectionCommon) -> Result<(), spectls::Error> {
    let bytes = drain(from);
    feed(to, &bytes)
}

fn read_all(conn: &mut ConnectionCommon) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match conn.reader().read(&mut buf) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return out,
            Err(e) => panic!("read: {e}"),
        }
    }
}

/// What a connection came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub(crate) resumed: bool,
    pub(crate) tls13: bool,
}

/// A whole connection in memory: the handshake, then a little data each way (so the TLS 1.3
/// tickets that follow the client's Finished reach the client). Panics on any error: the point
/// of these tests is that Redis never causes one.
pub(crate) fn connect(client: &Arc<ClientConfig>, server: &Arc<ServerConfig>) -> Outcome {
    let mut c = ClientConnection::new(client.clone(), "localhost".try_into().expect("name"))
        .expect("client");
    let mut s = ServerConnection::new(server.clone()).expect("server");
    for _ in 0..10 {
        if !c.is_handshaking() && !s.is_handshaking() && !c.wants_write() && !s.wants_write() {
            break;
        }
        transfer(&mut c, &mut s).expect("server side of the handshake");
        transfer(&mut s, &mut c).expect("client side of the handshake");
    }
    assert!(!c.is_handshaking() && !s.is_handshaking(), "handshake done");
    s.writer().write_all(b"hello").expect("write");
    transfer(&mut s, &mut c).expect("to the client");
    assert_eq!(read_all(&mut c), b"hello");
    c.writer().write_all(b"hi").expect("write");
    transfer(&mut c, &mut s).expect("to the server");
    assert_eq!(read_all(&mut s), b"hi");
    assert_eq!(c.is_resumed(), s.is_resumed());
    Outcome {
        resumed: s.is_resumed(),
        tls13: s.protocol_version() == Some(TLS13),
    }
}
