//! The server side: the stream [`TlsAcceptor::accept`](crate::TlsAcceptor::accept) gives.

use crate::common::{tls_stream_impls, Inner};
use spectls::ServerConnection;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A TLS server stream over the transport `IO`, its handshake complete (with
/// [`TlsAcceptor::early_data`](crate::TlsAcceptor::early_data), possibly still under way: see
/// there). It is `AsyncRead + AsyncWrite` itself; [`get_ref`](Self::get_ref) reaches the
/// [`ServerConnection`] for what was negotiated and the name the client asked for
/// (`server_name()`).
pub struct TlsStream<IO> {
    pub(crate) inner: Inner<IO, ServerConnection>,
}

tls_stream_impls!(ServerConnection);

impl<IO> TlsStream<IO> {
    /// How many of the bytes read so far were the client's 0-RTT data (with
    /// [`TlsAcceptor::early_data`](crate::TlsAcceptor::early_data)): the stream gives early
    /// data before any 1-RTT data, and no read mixes the two, so these are the first bytes
    /// read. Early data may be a replay (RFC 8446 8).
    pub fn early_data_read(&self) -> u64 {
        self.inner.early.read
    }
}
