//! Asynchronous TLS for [tokio] on [spectls], as `tokio-rustls` is for rustls.
//!
//! A [`TlsConnector`] (from an `Arc<ClientConfig>`) and a [`TlsAcceptor`] (from an
//! `Arc<ServerConfig>`) run the handshake over any `AsyncRead + AsyncWrite + Unpin` transport
//! (usually a `tokio::net::TcpStream`) and give a [`client::TlsStream`] or a
//! [`server::TlsStream`], which are `AsyncRead + AsyncWrite` themselves:
//!
//! ```no_run
//! use spectls::{pki::RootCertStore, ClientConfig};
//! use spectls_tokio::TlsConnector;
//! use std::sync::Arc;
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//! use tokio::net::TcpStream;
//!
//! # async fn f() -> Result<(), Box<dyn std::error::Error>> {
//! let roots = RootCertStore::from_pem(&std::fs::read("ca.pem")?)?;
//! let config = ClientConfig::builder().with_root_certificates(roots).build()?;
//! let connector = TlsConnector::from(Arc::new(config));
//!
//! let tcp = TcpStream::connect("127.0.0.1:8443").await?;
//! let mut tls = connector.connect("localhost".try_into()?, tcp).await?;
//! println!("{:?}", tls.get_ref().1.protocol_version());
//! tls.write_all(b"GET / HTTP/1.0\r\n\r\n").await?;
//! let mut response = Vec::new();
//! tls.read_to_end(&mut response).await?; // ends at the server's close_notify
//! tls.shutdown().await?; // our close_notify
//! # Ok(()) }
//! ```
//!
//! And a server:
//!
//! ```no_run
//! use spectls::pki::{certs_from_pem, private_key_from_pem};
//! use spectls::ServerConfig;
//! use spectls_tokio::TlsAcceptor;
//! use std::sync::Arc;
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//! use tokio::net::TcpListener;
//!
//! # async fn f() -> Result<(), Box<dyn std::error::Error>> {
//! let config = ServerConfig::builder()
//!     .with_single_cert(
//!         certs_from_pem(&std::fs::read("server.pem")?)?,
//!         private_key_from_pem(&std::fs::read("server.key")?)?,
//!     )?
//!     .build()?;
//! let acceptor = TlsAcceptor::from(Arc::new(config));
//! let listener = TcpListener::bind("127.0.0.1:8443").await?;
//! loop {
//!     let (tcp, _) = listener.accept().await?;
//!     let acceptor = acceptor.clone();
//!     tokio::spawn(async move {
//!         let mut tls = acceptor.accept(tcp).await?;
//!         let (mut reader, mut writer) = tokio::io::split(tls);
//!         tokio::io::copy(&mut reader, &mut writer).await?; // echo until close_notify
//!         writer.shutdown().await
//!     });
//! }
//! # }
//! ```
//!
//! # How the streams behave
//!
//! - **Closing.** `shutdown()` sends close_notify, then shuts the transport's write side down.
//!   A read returns end of data (`Ok(0)`) only after the peer's close_notify; a transport that
//!   ends without one is an error of kind `io::ErrorKind::UnexpectedEof` (a possible truncation
//!   attack), as with spectls's blocking `Stream`. TLS errors are `io::ErrorKind::InvalidData`
//!   (or `UnexpectedEof` for a handshake cut short) with the [`spectls::Error`] as their source.
//! - **No busy loop, no blocking.** A future or a `poll_*` call returns `Pending` only when the
//!   transport did, so the task is woken by the transport; every step moves bytes or returns.
//! - **Back-pressure.** A read takes TLS from the transport only when the connection holds no
//!   plaintext for the application; a write takes at most 64 KiB and first sends what an earlier
//!   write queued, so neither side buffers without bound for a peer or an application that does
//!   not keep up.
//! - **Cancellation.** Reads are cancellation-safe: a read future dropped before it completes
//!   (in `tokio::select!`, under a timeout) loses nothing; the data stays in the connection for
//!   the next read. A write future that completed took its bytes; one dropped before took none.
//! - **Split.** `tokio::io::split` works. Reads never write to the transport (two tasks over
//!   one transport would otherwise take each other's wakers), so what a read makes the
//!   connection send (a fatal alert after a bad record, the answer to a TLS 1.3 KeyUpdate that
//!   asks for one) goes out with the next write, `flush()` or `shutdown()`.
//! - **0-RTT** (TLS 1.3 early data) is opt-in on both sides: [`TlsConnector::early_data`]
//!   gives the stream before the handshake and sends the first writes as early data (written
//!   again after the handshake if the server refuses them); [`TlsAcceptor::early_data`] gives
//!   the stream once the client's early data is accepted, and its reads deliver that data
//!   before the 1-RTT data. Until such a stream's handshake is complete, a client's reads,
//!   flush and shutdown (and writes past the early data allowance) drive it, reading and
//!   writing the transport; with `split`, a task waiting on a handshake that another task
//!   drives is woken when it completes (so do not drop the driving task's operation for good
//!   while another waits on it). Early data can be replayed: see the two methods.
//!
//! The handshake futures ([`Connect`], [`Accept`]) can be dropped at any point; the transport
//! goes with them.
//!
//! # HTTP
//!
//! With the cargo feature `hyper`, `http::HttpsConnector` is the connector of hyper-util's
//! legacy `Client` (HTTP/2 when the server's ALPN picks `h2`, HTTP/1.1 otherwise). Servers need
//! no glue: hyper-util's `TokioIo` makes a [`server::TlsStream`] hyper's I/O, and its ALPN
//! protocol (`get_ref().1.alpn_protocol()`) says which of hyper's builders to serve it with;
//! `examples/https_server.rs` does that.
//!
//! [tokio]: https://docs.rs/tokio
//! [spectls]: https://docs.rs/spectls
#![forbid(unsafe_code)]
// Peer data must never panic us, as in tls-core.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

pub mod client;
mod common;
#[cfg(feature = "hyper")]
pub mod http;
pub mod server;

/// The spectls this crate is built on, for its configuration and connection types.
pub use spectls;

use common::{Inner, MidHandshake};
use spectls::pki_types::ServerName;
use spectls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite};

/// Makes TLS client connections over async transports with one [`ClientConfig`]. Cheap to
/// clone (the config is shared).
#[derive(Clone)]
pub struct TlsConnector {
    config: Arc<ClientConfig>,
    early_data: bool,
}

impl From<Arc<ClientConfig>> for TlsConnector {
    fn from(config: Arc<ClientConfig>) -> Self {
        TlsConnector {
            config,
            early_data: false,
        }
    }
}

impl TlsConnector {
    /// The configuration the connections are made with.
    pub fn config(&self) -> &Arc<ClientConfig> {
        &self.config
    }

    /// Sends 0-RTT data (TLS 1.3 early data, RFC 8446 2.3) when it can: off by default. It
    /// needs a config with `enable_early_data(true)` and a stored ticket from the server that
    /// allows early data; then [`connect`](Self::connect) gives the stream at once, before the
    /// handshake, and what is written first goes out as early data with the ClientHello, up to
    /// the ticket's max_early_data_size. Writes past that wait for the handshake; a read,
    /// `flush()` or `shutdown()` completes it. Data the server refuses is written again as
    /// 1-RTT data after the handshake (once: the server skipped it unread), so the stream
    /// delivers it either way; `get_ref().1.is_early_data_accepted()` tells, once the handshake
    /// is complete, which happened.
    ///
    /// Early data can be replayed by an attacker (RFC 8446 8): send as early data only what is
    /// safe to act on twice (an idempotent request).
    pub fn early_data(mut self, enabled: bool) -> Self {
        self.early_data = enabled;
        self
    }

    /// Runs a TLS handshake with the server `domain` (a DNS name, checked against its
    /// certificate and sent as SNI, or an IP address) over `stream`. The future gives the
    /// stream once the handshake is complete, or the error that ended it; with
    /// [`early_data`](Self::early_data), before the handshake when 0-RTT is possible.
    pub fn connect<IO>(&self, domain: ServerName<'static>, stream: IO) -> Connect<IO>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        Connect(
            match ClientConnection::new(Arc::clone(&self.config), domain) {
                Ok(conn) => MidHandshake::Handshaking(Inner::new(stream, conn), self.early_data),
                Err(e) => MidHandshake::Error(common::io_error(e)),
            },
        )
    }
}

/// Accepts TLS connections over async transports with one [`ServerConfig`]. Cheap to clone
/// (the config is shared).
#[derive(Clone)]
pub struct TlsAcceptor {
    config: Arc<ServerConfig>,
    early_data: bool,
}

impl From<Arc<ServerConfig>> for TlsAcceptor {
    fn from(config: Arc<ServerConfig>) -> Self {
        TlsAcceptor {
            config,
            early_data: false,
        }
    }
}

impl TlsAcceptor {
    /// The configuration the connections are accepted with.
    pub fn config(&self) -> &Arc<ServerConfig> {
        &self.config
    }

    /// Reads the client's 0-RTT data through the stream: off by default. It needs a config
    /// that accepts early data (`with_early_data(max)`). When a client's early data is
    /// accepted, [`accept`](Self::accept) gives the stream once our first flight is sent,
    /// before the client's Finished; its reads give the early data first, then the 1-RTT data,
    /// as one byte stream, and complete the handshake on the way.
    /// [`server::TlsStream::early_data_read`] says how many of the bytes read were early data
    /// (always the first ones), and `get_ref().1.is_early_data_accepted()` whether there was
    /// any. Writes go out at once (0.5-RTT data, before the client's Finished), so an early
    /// request is answered with our first flight's round trip.
    ///
    /// Early data can be a replay (RFC 8446 8): the config's anti-replay record refuses a
    /// ClientHello it saw before (one record per config, or one shared through
    /// `with_anti_replay`), but a server of a fleet that shares ticket keys and not the record
    /// takes the replay; act on early data only when doing it twice is harmless. Off, the handshake completes before the
    /// stream is given and accepted early data stays apart in `get_mut().1.early_data()`.
    pub fn early_data(mut self, enabled: bool) -> Self {
        self.early_data = enabled;
        self
    }

    /// Runs a TLS handshake as the server over `stream` (a client that just connected). The
    /// future gives the stream once the handshake is complete, or the error that ended it;
    /// with [`early_data`](Self::early_data), once the client's early data is accepted.
    pub fn accept<IO>(&self, stream: IO) -> Accept<IO>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        Accept(match ServerConnection::new(Arc::clone(&self.config)) {
            Ok(conn) => MidHandshake::Handshaking(Inner::new(stream, conn), self.early_data),
            Err(e) => MidHandshake::Error(common::io_error(e)),
        })
    }
}

/// The client handshake in progress: [`TlsConnector::connect`]'s future.
pub struct Connect<IO>(MidHandshake<IO, ClientConnection>);

impl<IO: AsyncRead + AsyncWrite + Unpin> Future for Connect<IO> {
    type Output = io::Result<client::TlsStream<IO>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut()
            .0
            .poll(cx)
            .map_ok(|inner| client::TlsStream { inner })
    }
}

/// The server handshake in progress: [`TlsAcceptor::accept`]'s future.
pub struct Accept<IO>(MidHandshake<IO, ServerConnection>);

impl<IO: AsyncRead + AsyncWrite + Unpin> Future for Accept<IO> {
    type Output = io::Result<server::TlsStream<IO>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut()
            .0
            .poll(cx)
            .map_ok(|inner| server::TlsStream { inner })
    }
}
