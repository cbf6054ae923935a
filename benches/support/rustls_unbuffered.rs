//! A driver for rustls's *unbuffered* connection API over memory buffers: the fair baseline for
//! spectls's in-place bulk API.
//!
//! rustls's buffered `ClientConnection`/`ServerConnection` copy application data through their
//! own send and receive buffers; the unbuffered API (`UnbufferedClientConnection`,
//! `UnbufferedServerConnection`, `process_tls_records`) instead encrypts straight into a caller's
//! buffer and decrypts records inside the caller's buffer, which is what spectls's in-place API
//! does too. This module completes a handshake in memory and then moves application data one way
//! (client to server) with no copies beyond those the rustls 0.23 API itself makes:
//!
//! * send: `WriteTraffic::encrypt` takes the whole payload in one call and fragments it into
//!   16 KiB records itself (no per-call size limit); the caller's buffer must be an initialized
//!   `&mut [u8]` of at least the size rustls asks for, so it is zero-filled when it grows. Inside
//!   rustls each record is sealed in a fresh `Vec` and then copied into that buffer.
//! * receive: `process_tls_records` decrypts each record in place in the caller's buffer, but
//!   rustls 0.23 then copies the plaintext into an owned `Vec` that `ReadTraffic::next_record`
//!   lends out (one record per `process_tls_records` call). The ciphertext is never copied here:
//!   consumed bytes are skipped by an offset into the buffer, dropped once at the end.

use std::sync::Arc;

use rustls::client::UnbufferedClientConnection;
use rustls::server::UnbufferedServerConnection;
use rustls::unbuffered::{
    ConnectionState, EncodeError, EncodeTlsData, EncryptError, InsufficientSizeError,
    UnbufferedStatus, WriteTraffic,
};

/// A client and server pair of rustls unbuffered connections that completed a handshake (TLS 1.2
/// or 1.3, as the configs allow) in memory.
pub struct UnbufferedPair {
    client: UnbufferedClientConnection,
    server: UnbufferedServerConnection,
}

impl UnbufferedPair {
    /// Runs a full (or, with resumption on and a primed cache, resumed) handshake between new
    /// connections made from these configs, for the server name `localhost`. Panics on any
    /// failure.
    pub fn new(client: Arc<rustls::ClientConfig>, server: Arc<rustls::ServerConfig>) -> Self {
        let name = "localhost".try_into().expect("server name");
        let mut pair = UnbufferedPair {
            client: UnbufferedClientConnection::new(client, name).expect("rustls client"),
            server: UnbufferedServerConnection::new(server).expect("rustls server"),
        };
        let mut c2s = Vec::new();
        let mut s2c = Vec::new();
        // A TLS 1.2 full handshake takes two round trips, 1.3 one; bound the loop well above.
        for _ in 0..8 {
            let client_ready = client_step(&mut pair.client, &mut s2c, &mut c2s);
            let server_ready = server_step(&mut pair.server, &mut c2s, &mut s2c);
            if client_ready && server_ready && c2s.is_empty() && s2c.is_empty() {
                return pair;
            }
        }
        panic!("rustls unbuffered handshake did not complete");
    }

    /// The negotiated cipher suite, as the client sees it (`None` before the handshake).
    pub fn suite(&self) -> Option<rustls::CipherSuite> {
        self.client.negotiated_cipher_suite().map(|s| s.suite())
    }

    /// The negotiated protocol version as on the wire (0x0303, 0x0304): (client, server).
    pub fn versions(&self) -> (Option<u16>, Option<u16>) {
        (
            self.client.protocol_version().map(u16::from),
            self.server.protocol_version().map(u16::from),
        )
    }

    /// The client encrypts `data` as application data records of up to 16 KiB each (one
    /// `WriteTraffic::encrypt` call; rustls fragments), replacing the contents of `wire` with
    /// the TLS bytes. `wire` only allocates when it must grow.
    pub fn send(&mut self, data: &[u8], wire: &mut Vec<u8>) {
        wire.clear();
        if data.is_empty() {
            return;
        }
        let UnbufferedStatus { discard, state } = self.client.process_tls_records(&mut []);
        assert_eq!(discard, 0, "client: nothing was read");
        match state.expect("client: process_tls_records") {
            ConnectionState::WriteTraffic(mut w) => encrypt_into(&mut w, data, wire),
            other => panic!("client: expected WriteTraffic, got {other:?}"),
        }
    }

    /// The server processes every record in `wire` in place, calling `sink` with each decrypted
    /// application data payload in order, and returns the total plaintext length. `wire` is
    /// empty afterwards. Panics on anything other than application data, or if bytes are left
    /// over (a partial record).
    pub fn receive(&mut self, wire: &mut Vec<u8>, sink: &mut dyn FnMut(&[u8])) -> usize {
        let mut offset = 0;
        let mut total = 0;
        while offset < wire.len() {
            let UnbufferedStatus { mut discard, state } =
                self.server.process_tls_records(&mut wire[offset..]);
            match state.expect("server: process_tls_records") {
                ConnectionState::ReadTraffic(mut r) => {
                    while let Some(record) = r.next_record() {
                        let record = record.expect("server: next_record");
                        discard += record.discard;
                        total += record.payload.len();
                        sink(record.payload);
                    }
                }
                // Reached after only empty records, or stuck on a partial one.
                ConnectionState::WriteTraffic(_) => assert!(
                    discard > 0,
                    "server: {} bytes left unprocessed",
                    wire.len() - offset
                ),
                other => panic!("server: expected application data, got {other:?}"),
            }
            offset += discard;
        }
        wire.clear();
        total
    }
}

/// Seals `data` into `wire` (empty on entry) with one `encrypt` call, sizing `wire` to exactly
/// what rustls asks for: a first call with no room fails without side effects and reports it.
fn encrypt_into<D>(w: &mut WriteTraffic<'_, D>, data: &[u8], wire: &mut Vec<u8>) {
    let need = match w.encrypt(data, &mut []) {
        Err(EncryptError::InsufficientSize(InsufficientSizeError { required_size })) => {
            required_size
        }
        other => panic!("encrypt: expected a size request, got {other:?}"),
    };
    wire.resize(need, 0);
    let written = w.encrypt(data, wire).expect("encrypt");
    wire.truncate(written);
}

/// Appends one pending handshake record to `out`.
fn encode_into<D>(e: &mut EncodeTlsData<'_, D>, out: &mut Vec<u8>) {
    let need = match e.encode(&mut []) {
        Ok(_) => return,
        Err(EncodeError::InsufficientSize(InsufficientSizeError { required_size })) => {
            required_size
        }
        Err(err) => panic!("encode: {err}"),
    };
    let start = out.len();
    out.resize(start + need, 0);
    let written = e.encode(&mut out[start..]).expect("encode");
    out.truncate(start + written);
}

/// One handshake turn for one side: consumes `incoming`, appends what it sends to `outgoing`,
/// and returns whether the connection may now send application data.
macro_rules! handshake_step {
    ($name:ident, $conn:ty, $side:literal) => {
        fn $name(conn: &mut $conn, incoming: &mut Vec<u8>, outgoing: &mut Vec<u8>) -> bool {
            loop {
                let UnbufferedStatus { discard, state } = conn.process_tls_records(incoming);
                let done = match state.expect(concat!($side, ": handshake")) {
                    ConnectionState::EncodeTlsData(mut e) => {
                        encode_into(&mut e, outgoing);
                        None
                    }
                    // `outgoing` is the peer's input: appending to it was the transmission.
                    ConnectionState::TransmitTlsData(t) => {
                        t.done();
                        None
                    }
                    ConnectionState::BlockedHandshake => Some(false),
                    ConnectionState::WriteTraffic(_) => Some(true),
                    other => panic!(concat!($side, ": unexpected {:?} in the handshake"), other),
                };
                incoming.drain(..discard);
                if let Some(ready) = done {
                    return ready;
                }
            }
        }
    };
}

handshake_step!(client_step, UnbufferedClientConnection, "client");
handshake_step!(server_step, UnbufferedServerConnection, "server");
