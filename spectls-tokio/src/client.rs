//! The client side: the stream [`TlsConnector::connect`](crate::TlsConnector::connect) gives.

use crate::common::{tls_stream_impls, Inner};
use spectls::ClientConnection;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A TLS client stream over the transport `IO`, its handshake complete (with
/// [`TlsConnector::early_data`](crate::TlsConnector::early_data), possibly still under way: see
/// there). It is `AsyncRead + AsyncWrite` itself; [`get_ref`](Self::get_ref) reaches the
/// [`ClientConnection`] for what was negotiated.
pub struct TlsStream<IO> {
    pub(crate) inner: Inner<IO, ClientConnection>,
}

tls_stream_impls!(ClientConnection);
