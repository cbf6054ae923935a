//! HTTPS for hyper (feature `hyper`): [`HttpsConnector`], the connector of hyper-util's
//! legacy `Client`, as hyper-rustls's is for rustls.
//!
//! The connector opens TCP with an inner connector (hyper-util's `HttpConnector` unless you
//! give another), runs the TLS handshake over it with a [`TlsConnector`],
//! and offers ALPN `h2` and `http/1.1`. When the server picks `h2`, the connection says so
//! (`Connected::negotiated_h2`) and the `Client` speaks HTTP/2 on it; otherwise HTTP/1.1. What
//! the handshake negotiated reaches every response as a [`TlsInfo`] in its extensions.
//!
//! A failed handshake (a certificate the roots do not vouch for, say) is a [`spectls::Error`]
//! among the causes of the `Client`'s error (`std::error::Error::source`), so
//! `downcast_ref::<spectls::Error>()` on them finds it; a refused URL is a [`UrlRefused`].
//!
//! Only `https://` URLs are served: an `http://` one is refused with an error saying so, unless
//! [`HttpsConnectorBuilder::https_or_http`] allows plain HTTP.
//!
//! ```no_run
//! use http_body_util::{BodyExt, Empty};
//! use hyper::body::Bytes;
//! use hyper_util::client::legacy::Client;
//! use hyper_util::rt::TokioExecutor;
//! use spectls::{pki::RootCertStore, ClientConfig};
//! use spectls_tokio::http::{HttpsConnector, TlsInfo};
//!
//! # async fn f() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let roots = RootCertStore::from_pem_file("ca.pem")?;
//! let connector =
//!     HttpsConnector::builder(ClientConfig::builder().with_root_certificates(roots)).build()?;
//! let client = Client::builder(TokioExecutor::new()).build::<_, Empty<Bytes>>(connector);
//!
//! let response = client.get("https://localhost:8443/".parse()?).await?;
//! println!("{} over {:?}", response.status(), response.version()); // HTTP/2.0 if ALPN chose h2
//! if let Some(tls) = response.extensions().get::<TlsInfo>() {
//!     println!("{tls}"); // TLSv1.3 TLS_AES_128_GCM_SHA256, ALPN h2
//! }
//! let body = response.into_body().collect().await?.to_bytes();
//! # Ok(()) }
//! ```

use crate::{client, TlsConnector};
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper::Uri;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::TokioIo;
use spectls::pki_types::ServerName;
use spectls::wire::{CipherSuite, ProtocolVersion};
use spectls::{ClientConfigBuilder, ClientConnection};
use std::fmt;
use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// The error type of [`HttpsConnector`]'s futures, as hyper-util's connectors have it.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// ALPN's name for HTTP/2 (RFC 7540 3.3).
const H2: &[u8] = b"h2";
/// ALPN's name for HTTP/1.1 (RFC 7301 6).
const HTTP11: &[u8] = b"http/1.1";

/// A hyper-util connector for `https://` URLs: TCP by the inner connector `T`, then TLS by
/// spectls, with HTTP/2 when the server's ALPN picks it. Made by [`HttpsConnector::builder`];
/// cheap to clone (the client configuration is shared).
#[derive(Clone)]
pub struct HttpsConnector<T = HttpConnector> {
    http: T,
    tls: TlsConnector,
    allow_http: bool,
}

impl<T> fmt::Debug for HttpsConnector<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpsConnector")
            .field("allow_http", &self.allow_http)
            .finish_non_exhaustive()
    }
}

impl HttpsConnector {
    /// Starts a connector from a client configuration that is not built yet: the builder sets
    /// its ALPN protocols (`h2`, `http/1.1`, or only `http/1.1`) and builds it.
    pub fn builder(config: ClientConfigBuilder) -> HttpsConnectorBuilder {
        HttpsConnectorBuilder {
            config,
            http1_only: false,
            allow_http: false,
        }
    }
}

impl<T> HttpsConnector<T> {
    /// A connector from its parts: `http` opens the transport (it must accept `https://` URLs:
    /// hyper-util's `HttpConnector` needs `enforce_http(false)`), `tls` runs the handshake with
    /// the ALPN protocols its configuration offers (HTTP/2 is used when the server picks
    /// `h2`). Plain `http://` URLs are refused.
    pub fn from_parts(http: T, tls: TlsConnector) -> Self {
        HttpsConnector {
            http,
            tls,
            allow_http: false,
        }
    }
}

/// Builds an [`HttpsConnector`]: [`HttpsConnector::builder`].
#[must_use]
pub struct HttpsConnectorBuilder {
    config: ClientConfigBuilder,
    http1_only: bool,
    allow_http: bool,
}

impl fmt::Debug for HttpsConnectorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpsConnectorBuilder")
            .field("http1_only", &self.http1_only)
            .field("allow_http", &self.allow_http)
            .finish_non_exhaustive()
    }
}

impl HttpsConnectorBuilder {
    /// Offers only `http/1.1` in ALPN, so that connections never use HTTP/2.
    pub fn http1_only(mut self) -> Self {
        self.http1_only = true;
        self
    }

    /// Also serves `http://` URLs, over plain TCP without TLS. Off by default: a URL typed with
    /// the wrong scheme should fail, not quietly go out unencrypted.
    pub fn https_or_http(mut self) -> Self {
        self.allow_http = true;
        self
    }

    /// The connector, over hyper-util's `HttpConnector` (told to accept `https://` URLs).
    /// Fails as the configuration's `build` does.
    pub fn build(self) -> Result<HttpsConnector<HttpConnector>, spectls::Error> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        self.wrap_connector(http)
    }

    /// The connector, over `http` for the transport (it must accept `https://` URLs).
    pub fn wrap_connector<T>(self, http: T) -> Result<HttpsConnector<T>, spectls::Error> {
        let alpn = if self.http1_only {
            vec![HTTP11.to_vec()]
        } else {
            vec![H2.to_vec(), HTTP11.to_vec()]
        };
        let config = self.config.with_alpn_protocols(alpn).build()?;
        Ok(HttpsConnector {
            http,
            tls: TlsConnector::from(Arc::new(config)),
            allow_http: self.allow_http,
        })
    }
}

/// What a connection's TLS handshake negotiated; the [`HttpsConnector`] puts it in the
/// extensions of every response that came over the connection
/// (`response.extensions().get::<TlsInfo>()`). Displayed as `TLSv1.3 TLS_AES_128_GCM_SHA256,
/// ALPN h2`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsInfo {
    /// The protocol version.
    pub protocol_version: Option<ProtocolVersion>,
    /// The cipher suite.
    pub cipher_suite: Option<CipherSuite>,
    /// The ALPN protocol the server picked, if any.
    pub alpn_protocol: Option<Vec<u8>>,
}

impl TlsInfo {
    fn of(conn: &ClientConnection) -> Self {
        TlsInfo {
            protocol_version: conn.protocol_version(),
            cipher_suite: conn.negotiated_cipher_suite(),
            alpn_protocol: conn.alpn_protocol().map(<[u8]>::to_vec),
        }
    }
}

impl fmt::Display for TlsInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.protocol_version {
            Some(v) => write!(f, "{v}")?,
            None => f.write_str("none")?,
        }
        match &self.cipher_suite {
            Some(s) => write!(f, " {s}")?,
            None => f.write_str(" none")?,
        }
        match &self.alpn_protocol {
            Some(p) => write!(f, ", ALPN {}", String::from_utf8_lossy(p)),
            None => f.write_str(", no ALPN"),
        }
    }
}

/// The connection an [`HttpsConnector`] gives: TLS over the inner connector's transport, or
/// that transport alone for an `http://` URL when
/// [`https_or_http`](HttpsConnectorBuilder::https_or_http) allowed it. hyper's `Read` and
/// `Write`, and hyper-util's `Connection` (HTTP/2 when ALPN picked `h2`).
pub enum MaybeHttpsStream<T> {
    /// Plain TCP (an allowed `http://` URL).
    Http(T),
    /// TLS over the transport, its handshake complete (boxed: a connection's state is a few
    /// KiB, which the plain variant need not carry).
    Https(Box<TokioIo<client::TlsStream<TokioIo<T>>>>),
}

impl<T> MaybeHttpsStream<T> {
    /// The TLS connection (for what was negotiated), unless this is plain HTTP.
    pub fn tls(&self) -> Option<&ClientConnection> {
        match self {
            MaybeHttpsStream::Http(_) => None,
            MaybeHttpsStream::Https(tls) => Some(tls.inner().get_ref().1),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for MaybeHttpsStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MaybeHttpsStream::Http(io) => f.debug_tuple("Http").field(io).finish(),
            MaybeHttpsStream::Https(tls) => f.debug_tuple("Https").field(tls.inner()).finish(),
        }
    }
}

impl<T: Connection + Read + Write + Unpin> Connection for MaybeHttpsStream<T> {
    fn connected(&self) -> Connected {
        match self {
            MaybeHttpsStream::Http(io) => io.connected(),
            MaybeHttpsStream::Https(tls) => {
                let (io, conn) = tls.inner().get_ref();
                let connected = io.inner().connected().extra(TlsInfo::of(conn));
                if conn.alpn_protocol() == Some(H2) {
                    connected.negotiated_h2()
                } else {
                    connected
                }
            }
        }
    }
}

impl<T: Read + Write + Unpin> Read for MaybeHttpsStream<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeHttpsStream::Http(io) => Pin::new(io).poll_read(cx, buf),
            MaybeHttpsStream::Https(tls) => Pin::new(&mut **tls).poll_read(cx, buf),
        }
    }
}

impl<T: Read + Write + Unpin> Write for MaybeHttpsStream<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MaybeHttpsStream::Http(io) => Pin::new(io).poll_write(cx, buf),
            MaybeHttpsStream::Https(tls) => Pin::new(&mut **tls).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MaybeHttpsStream::Http(io) => Pin::new(io).poll_write_vectored(cx, bufs),
            MaybeHttpsStream::Https(tls) => Pin::new(&mut **tls).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            MaybeHttpsStream::Http(io) => io.is_write_vectored(),
            MaybeHttpsStream::Https(tls) => tls.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeHttpsStream::Http(io) => Pin::new(io).poll_flush(cx),
            MaybeHttpsStream::Https(tls) => Pin::new(&mut **tls).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeHttpsStream::Http(io) => Pin::new(io).poll_shutdown(cx),
            MaybeHttpsStream::Https(tls) => Pin::new(&mut **tls).poll_shutdown(cx),
        }
    }
}

/// The error of a URL the connector does not serve: its scheme, or a missing host.
#[derive(Debug)]
pub struct UrlRefused(String);

impl fmt::Display for UrlRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UrlRefused {}

/// `HttpsConnector`'s future: the connection, or why there is none.
type Connecting<T> = Pin<Box<dyn Future<Output = Result<MaybeHttpsStream<T>, BoxError>> + Send>>;

impl<T> tower_service::Service<Uri> for HttpsConnector<T>
where
    T: tower_service::Service<Uri>,
    T::Response: Connection + Read + Write + Send + Unpin + 'static,
    T::Future: Send + 'static,
    T::Error: Into<BoxError>,
{
    type Response = MaybeHttpsStream<T::Response>;
    type Error = BoxError;
    type Future = Connecting<T::Response>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.http.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") if self.allow_http => false,
            Some("http") => {
                return refused(format!(
                    "{uri}: plain http:// refused, this connector makes TLS connections only \
                     (HttpsConnectorBuilder::https_or_http allows http://)"
                ))
            }
            Some(other) => return refused(format!("{uri}: scheme {other} is not https")),
            None => return refused(format!("{uri}: no scheme (https:// expected)")),
        };
        let name = match uri.host().map(server_name) {
            Some(Ok(name)) => name,
            Some(Err(e)) => return refused(format!("{uri}: {e}")),
            None => return refused(format!("{uri}: no host")),
        };
        let connecting = self.http.call(uri);
        let tls = self.tls.clone();
        Box::pin(async move {
            let io = connecting.await.map_err(Into::into)?;
            if !https {
                return Ok(MaybeHttpsStream::Http(io));
            }
            let stream = tls
                .connect(name, TokioIo::new(io))
                .await
                .map_err(handshake_error)?;
            Ok(MaybeHttpsStream::Https(Box::new(TokioIo::new(stream))))
        })
    }
}

/// A URL's host as the name to verify (a DNS name, or an IP address; `[::1]` without its
/// brackets).
fn server_name(host: &str) -> Result<ServerName<'static>, String> {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    ServerName::try_from(bare.to_string())
        .map_err(|e| format!("host {host} is not a DNS name or IP address: {e}"))
}

/// A failed handshake as the [`spectls::Error`] itself when there is one (hyper-util's error
/// then has it among its sources, where `downcast_ref` finds it; an `io::Error` would hide it
/// from `source()`), else the transport's error.
fn handshake_error(e: io::Error) -> BoxError {
    if e.get_ref()
        .is_some_and(|inner| inner.is::<spectls::Error>())
    {
        if let Some(inner) = e.into_inner() {
            return inner;
        }
        return Box::new(io::Error::other("TLS handshake failed"));
    }
    Box::new(e)
}

fn refused<T: 'static>(why: String) -> Connecting<T> {
    Box::pin(async move { Err(Box::new(UrlRefused(why)) as BoxError) })
}
