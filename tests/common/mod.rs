//! Shared test scaffolding, one copy for every test binary (those that need any say `mod common;`):
//! configurations from the committed test certificates, moving TLS bytes into and out of a
//! sans-IO connection of either library (`feed`, `drain`, `feed_each`), and in-memory handshakes
//! between two spectls connections. Submodules: `records` (framing, splitting, hand-built
//! messages), `checks` (what a failed connection must look like), `rustls_peer` (rustls as the
//! in-memory peer, with a key log), `pki` (rcgen certificates), `states` (connections driven to
//! every state of the handshake tables), `peer` (openssl and gnutls as child processes, TCP),
//! `example_bin` (the example binaries, the example server as a child process), `chromium`
//! (headless Chromium loading one page).
//! `checks`, `pki`, `records` and `rustls_peer` are re-exported here, so `use common::*;` is
//! enough for them.
//
// Each test binary compiles this whole tree but calls only part of it, so the rest is dead code
// in that binary (and which part differs from binary to binary): without this allow every
// binary would warn about the helpers only the others use. It covers `common` and its
// submodules only, never a test file.
#![allow(dead_code)]

pub mod checks;
pub mod chromium;
pub mod example_bin;
pub mod peer;
pub mod pki;
pub mod records;
pub mod rustls_peer;
pub mod states;
pub mod text;
pub mod tls13;

// The prelude of `use common::*;`. A binary that uses nothing of one of these would warn that
// its re-export is unused, as dead code would (see above).
#[allow(unused_imports)]
pub use {checks::*, pki::*, records::*, rustls_peer::*, text::*};

use spectls::capture::Capture;
use spectls::crypto::suites::{SignatureFamily, SupportedCipherSuite};
use spectls::pki::RootCertStore;
use spectls::pki::{certs_from_pem, private_key_from_pem};
use spectls::{
    ClientConfig, ClientConnection, ConnectionCommon, Error, IoState, ServerConfig,
    ServerConnection,
};
use std::io::{self, Read};
use std::sync::Arc;

pub const CA: &[u8] = include_bytes!("../data/certs/ca.pem");
pub const ECDSA_CHAIN: &[u8] = include_bytes!("../data/certs/server-ecdsa.pem");
pub const ECDSA_KEY: &[u8] = include_bytes!("../data/certs/server-ecdsa.key");
pub const RSA_CHAIN: &[u8] = include_bytes!("../data/certs/server-rsa.pem");
pub const RSA_KEY: &[u8] = include_bytes!("../data/certs/server-rsa.key");
/// The OCSP response for the ECDSA test certificate.
pub const OCSP_ECDSA: &[u8] = include_bytes!("../data/certs/ocsp-ecdsa.der");

// ------------------------------------------------------------------------------------------
// Payloads for the interop tests, and comparing them
// ------------------------------------------------------------------------------------------

/// Where two byte strings first differ, for failure messages.
pub fn first_difference(got: &[u8], want: &[u8]) -> String {
    match got.iter().zip(want).position(|(a, b)| a != b) {
        Some(i) => format!(
            "first difference at byte {i} of {} (got {:?}, want {:?})",
            want.len(),
            String::from_utf8_lossy(&got[i..got.len().min(i + 16)]),
            String::from_utf8_lossy(&want[i..want.len().min(i + 16)])
        ),
        None => format!("got {} bytes, want {}", got.len(), want.len()),
    }
}

/// Lowercase hex.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Bytes from lowercase or uppercase hex.
pub fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex: {s}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// The text of `tests/data/captures/<name>.<ext>` (recorded OpenSSL connections: `trace`, and
/// their key logs, `keylog`).
pub fn capture_file(name: &str, ext: &str) -> String {
    let path = format!(
        "{}/tests/data/captures/{name}.{ext}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The capture `tests/data/captures/<name>.trace`.
pub fn capture(name: &str) -> Capture {
    Capture::parse(&capture_file(name, "trace")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

// ------------------------------------------------------------------------------------------
// spectls configurations and connections
// ------------------------------------------------------------------------------------------

/// Roots holding the test CA.
pub fn roots() -> RootCertStore {
    RootCertStore::from_pem(CA).expect("test CA")
}

/// A client trusting the test CA.
pub fn client_config() -> ClientConfig {
    client_with(|b| b)
}

/// A client trusting the test CA, edited by `build`. TLS 1.2 only: the tests that use these
/// helpers are about TLS 1.2; the TLS 1.3 ones ask for it with `with_protocol_versions`.
pub fn client_with(
    build: impl FnOnce(spectls::ClientConfigBuilder) -> spectls::ClientConfigBuilder,
) -> ClientConfig {
    build(
        ClientConfig::builder()
            .with_root_certificates(roots())
            .with_protocol_versions(&[spectls::version::TLS12]),
    )
    .build()
    .expect("client config")
}

/// A server builder with the test ECDSA (or RSA) certificate, TLS 1.2 only (see `client_with`).
pub fn server_builder(rsa: bool) -> spectls::ServerConfigBuilder {
    let (chain, key) = if rsa {
        (RSA_CHAIN, RSA_KEY)
    } else {
        (ECDSA_CHAIN, ECDSA_KEY)
    };
    ServerConfig::builder()
        .with_protocol_versions(&[spectls::version::TLS12])
        .with_single_cert(
            certs_from_pem(chain).expect("chain"),
            private_key_from_pem(key).expect("key"),
        )
        .expect("cert")
}

/// A server with the test ECDSA (or RSA) certificate.
pub fn server_config(rsa: bool) -> ServerConfig {
    server_config_with_groups(rsa, spectls::crypto::SUPPORTED_GROUPS)
}

/// A server with the test ECDSA (or RSA) certificate that does ECDHE only on `groups`.
pub fn server_config_with_groups(rsa: bool, groups: &[spectls::wire::NamedCurve]) -> ServerConfig {
    server_builder(rsa)
        .with_groups(groups)
        .build()
        .expect("server config")
}

/// A server config with the ECDSA test certificate, edited by `build`.
pub fn ecdsa_server_with(
    build: impl FnOnce(spectls::ServerConfigBuilder) -> spectls::ServerConfigBuilder,
) -> ServerConfig {
    build(server_builder(false)).build().expect("server config")
}

/// A server with the ECDSA test certificate that staples its OCSP response (`OCSP_ECDSA`).
pub fn ocsp_server() -> ServerConfig {
    ServerConfig::builder()
        .with_protocol_versions(&[spectls::version::TLS12])
        .with_single_cert_with_ocsp(
            certs_from_pem(ECDSA_CHAIN).expect("chain"),
            private_key_from_pem(ECDSA_KEY).expect("key"),
            OCSP_ECDSA.to_vec(),
        )
        .expect("cert")
        .build()
        .expect("server config")
}

/// A server connection waiting for its ClientHello (ECDSA test certificate).
pub fn fresh_server() -> ServerConnection {
    ServerConnection::new(Arc::new(server_config(false))).expect("server")
}

/// A client connection to "localhost" and a server connection.
pub fn pair(client: ClientConfig, server: ServerConfig) -> (ClientConnection, ServerConnection) {
    let c = ClientConnection::new(Arc::new(client), "localhost".try_into().expect("name"))
        .expect("client");
    let s = ServerConnection::new(Arc::new(server)).expect("server");
    (c, s)
}

/// A connected pair using `suite` (the server has the certificate the suite signs with).
pub fn connected(suite: &'static SupportedCipherSuite) -> (ClientConnection, ServerConnection) {
    let client = client_with(|b| b.with_cipher_suites(&[suite]));
    let (mut c, mut s) = pair(client, server_config(suite.family == SignatureFamily::Rsa));
    handshake(&mut c, &mut s).expect("handshake");
    assert_eq!(c.negotiated_cipher_suite(), Some(suite.suite));
    (c, s)
}

// ------------------------------------------------------------------------------------------
// Moving TLS bytes: one copy of the loops, for spectls and rustls alike
// ------------------------------------------------------------------------------------------

/// A sans-IO connection of either library (`spectls::ConnectionCommon`, `rustls::Connection`),
/// as the loops below drive it.
pub trait SansIo {
    /// What `process_new_packets` returns on success.
    type State;
    /// What it returns on failure.
    type Error;
    /// `read_tls` from a slice.
    fn take_tls(&mut self, bytes: &mut &[u8]) -> io::Result<usize>;
    /// `process_new_packets`.
    fn process(&mut self) -> Result<Self::State, Self::Error>;
    /// `wants_write`.
    fn has_tls_to_write(&self) -> bool;
    /// `write_tls` to a `Vec`.
    fn give_tls(&mut self, out: &mut Vec<u8>) -> io::Result<usize>;
}

impl SansIo for ConnectionCommon {
    type State = IoState;
    type Error = Error;
    fn take_tls(&mut self, bytes: &mut &[u8]) -> io::Result<usize> {
        self.read_tls(bytes)
    }
    fn process(&mut self) -> Result<IoState, Error> {
        self.process_new_packets()
    }
    fn has_tls_to_write(&self) -> bool {
        self.wants_write()
    }
    fn give_tls(&mut self, out: &mut Vec<u8>) -> io::Result<usize> {
        self.write_tls(out)
    }
}

/// Everything `conn` has queued for the wire.
pub fn output<C: SansIo + ?Sized>(conn: &mut C) -> Vec<u8> {
    let mut out = Vec::new();
    while conn.has_tls_to_write() {
        conn.give_tls(&mut out).expect("write to a Vec");
    }
    out
}

/// Gives `bytes` to `conn`: `read_tls`, then `process_new_packets`, until they are used up;
/// `each` gets `conn` and what processing returned after every step (to stop at an error, or to
/// read the plaintext as it arrives: rustls takes no more while 16 KiB of it are unread, spectls
/// none while 64 KiB are). The first error `each` returns ends it. So does a `read_tls` that
/// takes nothing: once close_notify came, neither library takes more input (`Ok(0)`), and
/// looping on would never end. Never signals end of stream.
pub fn feed_each<C: SansIo + ?Sized, E>(
    conn: &mut C,
    mut bytes: &[u8],
    mut each: impl FnMut(&mut C, Result<C::State, C::Error>) -> Result<(), E>,
) -> Result<(), E> {
    while !bytes.is_empty() {
        if conn.take_tls(&mut bytes).expect("read from a slice") == 0 {
            break;
        }
        let processed = conn.process();
        each(conn, processed)?;
    }
    Ok(())
}

/// Everything the spectls connection `conn` has queued for the wire.
pub fn drain(conn: &mut ConnectionCommon) -> Vec<u8> {
    output(conn)
}

/// Gives `bytes` to the spectls connection `conn` and processes them (`feed_each`); the first
/// error is returned (an error from before, too), else the last state.
pub fn feed(conn: &mut ConnectionCommon, bytes: &[u8]) -> Result<IoState, Error> {
    let mut state = conn.process_new_packets()?;
    feed_each(conn, bytes, |_, processed| {
        state = processed?;
        Ok::<(), Error>(())
    })?;
    Ok(state)
}

/// Reads the plaintext `reader` has now (either library's reader: `WouldBlock` once there is
/// none, `Ok(0)` after close_notify) into `into`; true once close_notify was read.
pub fn read_plaintext(reader: &mut dyn Read, into: &mut Vec<u8>) -> io::Result<bool> {
    let mut buf = [0u8; 16384];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok(true),
            Ok(n) => into.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
            Err(e) => return Err(e),
        }
    }
}

/// The plaintext the spectls connection `conn` has now (`read_plaintext`).
pub fn read_all(conn: &mut ConnectionCommon) -> Vec<u8> {
    let mut out = Vec::new();
    read_plaintext(&mut conn.reader(), &mut out).expect("read");
    out
}

/// Moves every pending TLS byte from `from` to `to` and lets `to` process it.
pub fn transfer(from: &mut ConnectionCommon, to: &mut ConnectionCommon) -> Result<usize, Error> {
    let buf = drain(from);
    feed(to, &buf)?;
    Ok(buf.len())
}

/// Runs the handshake in memory; the first error on either side is returned.
pub fn handshake(c: &mut ClientConnection, s: &mut ServerConnection) -> Result<(), Error> {
    for _ in 0..10 {
        if !c.is_handshaking() && !s.is_handshaking() && !c.wants_write() && !s.wants_write() {
            return Ok(());
        }
        transfer(c, s)?;
        transfer(s, c)?;
    }
    Err(Error::Internal(
        "handshake did not finish in 10 rounds".into(),
    ))
}
