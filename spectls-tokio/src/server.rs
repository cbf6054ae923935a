//! The server side: the stream [`TlsAcceptor::accept`](crate::TlsAcceptor::accept) gives.

use crate::common::{tls_stream_impls, Inner};
use spectls::ServerConnection;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A TLS server stream over the transport `IO`, its handshake complete. It is `AsyncRead +
/// AsyncWrite` itself; [`get_ref`](Self::get_ref) reaches the [`ServerConnection`] for what was
/// negotiated and the name the client asked for (`server_name()`).
pub struct TlsStream<IO> {
    pub(crate) inner: Inner<IO, ServerConnection>,
}

tls_stream_impls!(ServerConnection);
