//! Shared test helpers: configs from the committed test certificates, and in-memory transfer
//! between two sans-IO connections; `peer` has the real peer processes of the interop tests, `states`
//! connections driven to every state of the handshake tables (a rustls peer whose keys we know).
#![allow(dead_code)]

pub mod peer;
pub mod states;

use spectls::pki::RootCertStore;
use spectls::pki::{certs_from_pem, private_key_from_pem};
use spectls::{
    ClientConfig, ClientConnection, ConnectionCommon, Error, IoState, ServerConfig,
    ServerConnection,
};
use std::sync::Arc;

pub const CA: &[u8] = include_bytes!("../data/certs/ca.pem");
pub const ECDSA_CHAIN: &[u8] = include_bytes!("../data/certs/server-ecdsa.pem");
pub const ECDSA_KEY: &[u8] = include_bytes!("../data/certs/server-ecdsa.key");
pub const RSA_CHAIN: &[u8] = include_bytes!("../data/certs/server-rsa.pem");
pub const RSA_KEY: &[u8] = include_bytes!("../data/certs/server-rsa.key");

/// Roots holding the test CA.
pub fn roots() -> RootCertStore {
    RootCertStore::from_pem(CA).expect("test CA")
}

/// A client trusting the test CA.
pub fn client_config() -> ClientConfig {
    ClientConfig::builder()
        .with_root_certificates(roots())
        .build()
        .expect("client config")
}

/// A server with the test ECDSA (or RSA) certificate.
pub fn server_config(rsa: bool) -> ServerConfig {
    server_config_with_groups(rsa, spectls::crypto::SUPPORTED_GROUPS)
}

/// A server with the test ECDSA (or RSA) certificate that does ECDHE only on `groups`.
pub fn server_config_with_groups(rsa: bool, groups: &[spectls::wire::NamedCurve]) -> ServerConfig {
    let (chain, key) = if rsa {
        (RSA_CHAIN, RSA_KEY)
    } else {
        (ECDSA_CHAIN, ECDSA_KEY)
    };
    ServerConfig::builder()
        .with_single_cert(
            certs_from_pem(chain).expect("chain"),
            private_key_from_pem(key).expect("key"),
        )
        .expect("cert")
        .with_groups(groups)
        .build()
        .expect("server config")
}

/// A client connection to "localhost" and a server connection.
pub fn pair(client: ClientConfig, server: ServerConfig) -> (ClientConnection, ServerConnection) {
    let c = ClientConnection::new(Arc::new(client), "localhost".try_into().expect("name"))
        .expect("client");
    let s = ServerConnection::new(Arc::new(server)).expect("server");
    (c, s)
}

/// Everything `conn` has queued for the wire.
pub fn drain(conn: &mut ConnectionCommon) -> Vec<u8> {
    let mut out = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut out).expect("write to a Vec");
    }
    out
}

/// Gives `bytes` to `conn` and processes them; the first error is returned. Never signals EOF.
pub fn feed(conn: &mut ConnectionCommon, mut bytes: &[u8]) -> Result<IoState, Error> {
    let mut state = conn.process_new_packets()?;
    while !bytes.is_empty() {
        // 0: the peer closed (close_notify); nothing more is taken in.
        if conn.read_tls(&mut bytes).expect("read from a slice") == 0 {
            break;
        }
        state = conn.process_new_packets()?;
    }
    Ok(state)
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
