//! Helpers the test binaries share: spectls configurations from the root crate's test
//! certificates, TCP on 127.0.0.1, bounded waits, a transport that counts how often it is
//! polled, and `peer` (openssl and gnutls as child processes).
#![allow(dead_code)]

/// Headless Chromium as a client (the root crate's helper, as `example_bin`).
#[allow(unreachable_pub)]
#[path = "../../../tests/common/chromium.rs"]
pub(crate) mod chromium;
/// The example binaries as child processes: the root crate's helper (`example`, `Server`),
/// shared rather than copied; its `super::peer` is ours.
#[allow(unreachable_pub)]
#[path = "../../../tests/common/example_bin.rs"]
pub(crate) mod example_bin;
/// openssl and gnutls as child processes, TCP helpers, `require` (the root crate's helper, as
/// `example_bin`).
#[allow(unreachable_pub)]
#[path = "../../../tests/common/peer.rs"]
pub(crate) mod peer;
/// Test payloads (`text`, `reverse_lines`): the root crate's helper, as `example_bin`.
#[allow(unreachable_pub)]
#[path = "../../../tests/common/text.rs"]
mod text;
// Not every test binary uses them (as with dead code, see the top of this file).
#[allow(unused_imports)]
pub(crate) use text::{reverse_lines, text};

use spectls::pki::{certs_from_pem, private_key_from_pem, RootCertStore};
use spectls::version::{TLS12, TLS13};
use spectls::wire::ProtocolVersion;
use spectls::{ClientConfig, ServerConfig};
use spectls_tokio::{client, server, TlsAcceptor, TlsConnector};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

pub(crate) const CA: &[u8] = include_bytes!("../../../tests/data/certs/ca.pem");
pub(crate) const ECDSA_CHAIN: &[u8] = include_bytes!("../../../tests/data/certs/server-ecdsa.pem");
pub(crate) const ECDSA_KEY: &[u8] = include_bytes!("../../../tests/data/certs/server-ecdsa.key");
pub(crate) const RSA_CHAIN: &[u8] = include_bytes!("../../../tests/data/certs/server-rsa.pem");
pub(crate) const RSA_KEY: &[u8] = include_bytes!("../../../tests/data/certs/server-rsa.key");

/// Bound on every wait of a test (a handshake, a read, a peer's answer).
pub(crate) const LIMIT: Duration = Duration::from_secs(10);

/// Both versions, as a test names them.
pub(crate) const VERSIONS: [(&str, ProtocolVersion); 2] = [("TLS 1.3", TLS13), ("TLS 1.2", TLS12)];

/// `fut`, failing the test if it takes longer than `LIMIT`.
pub(crate) async fn bounded<F: Future>(what: &str, fut: F) -> F::Output {
    tokio::time::timeout(LIMIT, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: not done within {LIMIT:?}"))
}

pub(crate) fn roots() -> RootCertStore {
    RootCertStore::from_pem(CA).expect("test CA")
}

/// A client trusting the test CA, speaking only `version`.
pub(crate) fn client_config(version: &ProtocolVersion) -> Arc<ClientConfig> {
    Arc::new(
        ClientConfig::builder()
            .with_root_certificates(roots())
            .with_protocol_versions(std::slice::from_ref(version))
            .build()
            .expect("client config"),
    )
}

/// A server with the ECDSA test certificate (chained to the test CA), speaking only `version`.
pub(crate) fn server_config(version: &ProtocolVersion) -> Arc<ServerConfig> {
    Arc::new(
        ServerConfig::builder()
            .with_protocol_versions(std::slice::from_ref(version))
            .with_single_cert(
                certs_from_pem(ECDSA_CHAIN).expect("chain"),
                private_key_from_pem(ECDSA_KEY).expect("key"),
            )
            .expect("cert")
            .build()
            .expect("server config"),
    )
}

pub(crate) fn connector(version: &ProtocolVersion) -> TlsConnector {
    TlsConnector::from(client_config(version))
}

pub(crate) fn acceptor(version: &ProtocolVersion) -> TlsAcceptor {
    TlsAcceptor::from(server_config(version))
}

pub(crate) fn localhost() -> spectls::pki_types::ServerName<'static> {
    "localhost".try_into().expect("name")
}

/// A listener on 127.0.0.1 (a free port).
pub(crate) async fn listen() -> TcpListener {
    TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0")
}

/// A TCP connection on 127.0.0.1: (the client's end, the server's end).
pub(crate) async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = listen().await;
    let addr = listener.local_addr().expect("address");
    let (client, server) = tokio::join!(TcpStream::connect(addr), listener.accept());
    (client.expect("connect"), server.expect("accept").0)
}

/// An async spectls client and server connected over TCP on 127.0.0.1, handshake done.
pub(crate) async fn tls_pair(
    version: &ProtocolVersion,
) -> (client::TlsStream<TcpStream>, server::TlsStream<TcpStream>) {
    let (c, s) = tcp_pair().await;
    tls_over(version, c, s).await
}

/// An async spectls client on `c` and server on `s` (e.g. a [`Counted`] transport), handshake
/// done.
pub(crate) async fn tls_over<C, S>(
    version: &ProtocolVersion,
    c: C,
    s: S,
) -> (client::TlsStream<C>, server::TlsStream<S>)
where
    C: AsyncRead + AsyncWrite + Unpin,
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (c, s) = bounded("handshake", async {
        tokio::join!(
            connector(version).connect(localhost(), c),
            acceptor(version).accept(s)
        )
    })
    .await;
    (c.expect("client handshake"), s.expect("server handshake"))
}

/// How often a [`Counted`] transport was polled, and how many bytes went through it.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) read_polls: AtomicU64,
    pub(crate) write_polls: AtomicU64,
    pub(crate) bytes_read: AtomicU64,
    pub(crate) bytes_written: AtomicU64,
}

impl Counters {
    pub(crate) fn polls(&self) -> u64 {
        self.read_polls.load(Ordering::Relaxed) + self.write_polls.load(Ordering::Relaxed)
    }

    pub(crate) fn bytes_read(&self) -> u64 {
        self.bytes_read.load(Ordering::Relaxed)
    }
}

/// A transport that counts the polls it gets: a task polled in a loop shows up as a count that
/// keeps growing while nothing happens on the wire.
#[derive(Debug)]
pub(crate) struct Counted<IO> {
    pub(crate) io: IO,
    pub(crate) counters: Arc<Counters>,
}

impl<IO> Counted<IO> {
    pub(crate) fn new(io: IO) -> (Self, Arc<Counters>) {
        let counters = Arc::new(Counters::default());
        (
            Counted {
                io,
                counters: Arc::clone(&counters),
            },
            counters,
        )
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Counted<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.counters.read_polls.fetch_add(1, Ordering::Relaxed);
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        let n = (buf.filled().len() - before) as u64;
        self.counters.bytes_read.fetch_add(n, Ordering::Relaxed);
        polled
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Counted<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.counters.write_polls.fetch_add(1, Ordering::Relaxed);
        let polled = Pin::new(&mut self.io).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            self.counters
                .bytes_written
                .fetch_add(n as u64, Ordering::Relaxed);
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// CPU time (user + system) the calling thread used so far, from /proc (Linux).
pub(crate) fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").expect("/proc/thread-self/stat");
    // Fields after the command (which is in parentheses and may hold spaces): utime and stime
    // are the 14th and 15th fields of the line, in clock ticks (100 a second on Linux).
    let after = &stat[stat.rfind(')').expect("stat format") + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 =
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    Duration::from_millis(ticks * 10)
}

/// SHA-256 of `data`, as a hex string.
pub(crate) fn sha256(data: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, data).as_ref())
}

pub(crate) fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
