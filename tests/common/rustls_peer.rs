//! rustls 0.23 (ring) as the in-memory peer: its configurations from the committed test
//! certificates (`RustlsClient`, `RustlsServer`), a key log whose master secrets a test can use
//! (`KeyLogStore`: with spectls' own `prf::key_block` they give both directions' traffic keys),
//! and moving bytes to and from it.

use super::*;
use rustls::crypto::CryptoProvider;
use spectls::pki::{certs_from_pem, private_key_from_pem};
use spectls::pki_types::{CertificateDer, PrivateKeyDer};
use spectls::wire::CipherSuite;
use spectls::ConnectionCommon;
use std::io;
use std::sync::{Arc, Mutex};

/// The TLS 1.2 master secrets a key log (rustls' or spectls') gets, by client random.
#[derive(Debug, Default)]
pub struct KeyLogStore(pub Mutex<Vec<(Vec<u8>, Vec<u8>)>>);

impl KeyLogStore {
    /// Forgets what was logged (before the connection whose keys a test needs).
    pub fn clear(&self) {
        self.0.lock().expect("lock").clear();
    }

    fn record(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        if label == "CLIENT_RANDOM" {
            self.0
                .lock()
                .expect("lock")
                .push((client_random.to_vec(), secret.to_vec()));
        }
    }
}

impl rustls::KeyLog for KeyLogStore {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        self.record(label, client_random, secret);
    }
}

/// The same store serves a spectls connection's key log.
impl spectls::keylog::KeyLog for KeyLogStore {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        self.record(label, client_random, secret);
    }
}

/// ring with every suite it has, as every rustls peer here uses unless a test needs one suite.
pub fn rustls_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// ring cut down to the one suite `suite`.
pub fn rustls_provider_for(suite: CipherSuite) -> Arc<CryptoProvider> {
    let mut provider = rustls::crypto::ring::default_provider();
    provider
        .cipher_suites
        .retain(|s| u16::from(s.suite()) == suite.value());
    assert_eq!(provider.cipher_suites.len(), 1, "rustls lacks {suite:?}");
    Arc::new(provider)
}

/// `provider` cut down to the one key exchange group `group` (unchanged if `None`).
fn with_group(
    provider: Arc<CryptoProvider>,
    group: Option<rustls::NamedGroup>,
) -> Arc<CryptoProvider> {
    let Some(group) = group else {
        return provider;
    };
    let mut provider = (*provider).clone();
    provider.kx_groups.retain(|g| g.name() == group);
    assert_eq!(provider.kx_groups.len(), 1, "rustls lacks {group:?}");
    Arc::new(provider)
}

/// rustls roots holding `cas`.
pub fn rustls_roots(cas: &[CertificateDer<'static>]) -> Arc<rustls::RootCertStore> {
    let mut roots = rustls::RootCertStore::empty();
    for ca in cas {
        roots.add(ca.clone()).expect("rustls root");
    }
    Arc::new(roots)
}

/// A rustls client: trusts the test CA, speaks TLS 1.2 only (or 1.3 too), keeps sessions (by
/// ID or ticket) in its config, rustls's defaults otherwise.
#[derive(Default)]
pub struct RustlsClient {
    /// Offers only this suite (ring's others are left out); all of ring's if `None`.
    pub suite: Option<CipherSuite>,
    /// Offers TLS 1.3 as well as TLS 1.2.
    pub tls13: bool,
    /// Presents this chain and key when a server asks for a certificate.
    pub identity: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
    /// Offers (and sends a key share for) only this group; ring's defaults if `None`.
    pub group: Option<rustls::NamedGroup>,
}

impl RustlsClient {
    pub fn config(self) -> rustls::ClientConfig {
        let provider = with_group(
            self.suite.map_or_else(rustls_provider, rustls_provider_for),
            self.group,
        );
        let versions: &[&rustls::SupportedProtocolVersion] = if self.tls13 {
            &[&rustls::version::TLS13, &rustls::version::TLS12]
        } else {
            &[&rustls::version::TLS12]
        };
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .expect("rustls protocol versions")
            .with_root_certificates(rustls_roots(&certs_from_pem(CA).expect("test CA")));
        match self.identity {
            Some((chain, key)) => builder
                .with_client_auth_cert(chain, key)
                .expect("rustls client certificate"),
            None => builder.with_no_client_auth(),
        }
    }
}

/// A rustls TLS 1.2 (or 1.3 too) server with the ECDSA (or RSA) test certificate, rustls's defaults otherwise
/// (its session-ID cache lives in the config: connections made from one config resume each
/// other).
#[derive(Default)]
pub struct RustlsServer<'a> {
    /// Accepts only this suite; all of ring's if `None`.
    pub suite: Option<CipherSuite>,
    /// The RSA test certificate instead of the ECDSA one.
    pub rsa: bool,
    /// Staples `OCSP_ECDSA` when asked (CertificateStatus, RFC 6066 8).
    pub ocsp: bool,
    /// Requires a client certificate issued by this CA.
    pub client_ca: Option<&'a CertificateDer<'static>>,
    /// Speaks TLS 1.3 as well as TLS 1.2 (preferring 1.3).
    pub tls13: bool,
    /// Accepts only this group (a client's share for another one gets a HelloRetryRequest).
    pub group: Option<rustls::NamedGroup>,
}

impl RustlsServer<'_> {
    pub fn config(self) -> rustls::ServerConfig {
        let provider = with_group(
            self.suite.map_or_else(rustls_provider, rustls_provider_for),
            self.group,
        );
        let versions: &[&rustls::SupportedProtocolVersion] = if self.tls13 {
            &[&rustls::version::TLS13, &rustls::version::TLS12]
        } else {
            &[&rustls::version::TLS12]
        };
        let builder = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .expect("rustls protocol versions");
        let builder = match self.client_ca {
            Some(ca) => builder.with_client_cert_verifier(
                rustls::server::WebPkiClientVerifier::builder_with_provider(
                    rustls_roots(std::slice::from_ref(ca)),
                    rustls_provider(),
                )
                .build()
                .expect("rustls client verifier"),
            ),
            None => builder.with_no_client_auth(),
        };
        let (chain, key) = if self.rsa {
            (RSA_CHAIN, RSA_KEY)
        } else {
            (ECDSA_CHAIN, ECDSA_KEY)
        };
        let chain = certs_from_pem(chain).expect("chain");
        let key = private_key_from_pem(key).expect("key");
        if self.ocsp {
            builder.with_single_cert_with_ocsp(chain, key, OCSP_ECDSA.to_vec())
        } else {
            builder.with_single_cert(chain, key)
        }
        .expect("rustls server config")
    }
}

/// What the rustls peer of the state drivers does beyond a plain full handshake.
#[derive(Clone, Copy, Default)]
pub struct PeerOptions {
    /// The server staples `OCSP_ECDSA` when asked (CertificateStatus, RFC 6066 8).
    pub ocsp: bool,
    /// The server issues session tickets (NewSessionTicket, RFC 5077).
    pub tickets: bool,
}

/// A rustls TLS 1.2 server with the ECDSA test certificate, logging its secrets to `log`. Its
/// session-ID cache lives in the config: connections made from one config resume each other.
pub fn rustls_server_config(
    log: Arc<KeyLogStore>,
    options: PeerOptions,
) -> Arc<rustls::ServerConfig> {
    let mut config = RustlsServer {
        ocsp: options.ocsp,
        ..RustlsServer::default()
    }
    .config();
    if options.tickets {
        config.ticketer = rustls::crypto::ring::Ticketer::new().expect("rustls ticketer");
    }
    config.key_log = log;
    Arc::new(config)
}

/// A rustls TLS 1.2 client trusting the test CA, presenting `identity` if a server asks, and
/// logging its secrets to `log`. It keeps sessions (by ID or ticket) in the config.
pub fn rustls_client_config(
    log: Arc<KeyLogStore>,
    identity: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
) -> Arc<rustls::ClientConfig> {
    let mut config = RustlsClient {
        identity,
        ..RustlsClient::default()
    }
    .config();
    config.key_log = log;
    Arc::new(config)
}

pub fn rustls_server_with(config: &Arc<rustls::ServerConfig>) -> rustls::Connection {
    rustls::ServerConnection::new(config.clone())
        .expect("rustls server")
        .into()
}

/// A rustls client connection to "localhost".
pub fn rustls_client_with(config: &Arc<rustls::ClientConfig>) -> rustls::Connection {
    rustls::ClientConnection::new(config.clone(), "localhost".try_into().expect("name"))
        .expect("rustls client")
        .into()
}

pub fn rustls_client(log: Arc<KeyLogStore>) -> rustls::Connection {
    rustls_client_with(&rustls_client_config(log, None))
}

// ------------------------------------------------------------------------------------------
// Moving bytes (the loops: `common::feed_each`)
// ------------------------------------------------------------------------------------------

impl SansIo for rustls::Connection {
    type State = rustls::IoState;
    type Error = rustls::Error;
    fn take_tls(&mut self, bytes: &mut &[u8]) -> io::Result<usize> {
        self.read_tls(bytes)
    }
    fn process(&mut self) -> Result<rustls::IoState, rustls::Error> {
        self.process_new_packets()
    }
    fn has_tls_to_write(&self) -> bool {
        self.wants_write()
    }
    fn give_tls(&mut self, out: &mut Vec<u8>) -> io::Result<usize> {
        self.write_tls(out)
    }
}

/// Everything the rustls connection `conn` has queued for the wire.
pub fn rustls_out(conn: &mut rustls::Connection) -> Vec<u8> {
    output(conn)
}

/// Gives `bytes` to the rustls connection `conn` (`feed_each`); the first error is returned.
pub fn feed_rustls(conn: &mut rustls::Connection, bytes: &[u8]) -> Result<(), rustls::Error> {
    feed_each(conn, bytes, |_, processed| processed.map(drop))
}

/// `feed_rustls`, which must succeed.
pub fn rustls_in(conn: &mut rustls::Connection, bytes: &[u8]) {
    feed_rustls(conn, bytes).expect("rustls accepts spectls' messages");
}

/// Runs a whole handshake between a rustls peer and a spectls connection (either may speak
/// first), so that both keep the session for resumption.
pub fn rustls_handshake(peer: &mut rustls::Connection, victim: &mut ConnectionCommon) {
    for _ in 0..10 {
        feed(victim, &rustls_out(peer)).expect("spectls accepts rustls' messages");
        rustls_in(peer, &drain(victim));
        if !peer.is_handshaking() && !victim.is_handshaking() && !peer.wants_write() {
            return;
        }
    }
    panic!("the handshake with rustls did not finish in 10 rounds");
}

// ------------------------------------------------------------------------------------------
// Sessions between spectls and rustls (the interop tests): data as it arrives, close_notify
// ------------------------------------------------------------------------------------------

/// Plaintext that arrived in one transfer, and whether close_notify followed it.
#[derive(Default)]
pub struct Received {
    pub data: Vec<u8>,
    pub closed: bool,
}

impl Received {
    /// Reads all available plaintext (`read_plaintext`), until close_notify.
    pub fn read(&mut self, reader: &mut dyn io::Read) -> io::Result<()> {
        if !self.closed {
            self.closed = read_plaintext(reader, &mut self.data)?;
        }
        Ok(())
    }
}

/// Moves every pending byte from spectls to rustls, which processes it; rustls's plaintext is
/// read as it arrives (rustls stops reading TLS while 16 KiB of it are unread).
pub fn spectls_to_rustls(
    s: &mut ConnectionCommon,
    r: &mut rustls::Connection,
) -> Result<Received, String> {
    let mut got = Received::default();
    feed_each(r, &drain(s), |r, processed| {
        processed.map_err(|e| format!("rustls rejected spectls's bytes: {e}"))?;
        got.read(&mut r.reader())
            .map_err(|e| format!("rustls read: {e}"))
    })?;
    Ok(got)
}

/// Moves every pending byte from rustls to spectls, which processes it; spectls's plaintext
/// is read as it arrives.
pub fn rustls_to_spectls(
    r: &mut rustls::Connection,
    s: &mut ConnectionCommon,
) -> Result<Received, String> {
    let mut got = Received::default();
    feed_each(s, &rustls_out(r), |s, processed| {
        processed.map_err(|e| format!("spectls rejected rustls's bytes: {e}"))?;
        got.read(&mut s.reader())
            .map_err(|e| format!("spectls read: {e}"))
    })?;
    Ok(got)
}

/// Checks one transfer delivered `want` and (if `close`) then close_notify.
pub fn check_received(who: &str, got: Received, want: &[u8], close: bool) -> Result<(), String> {
    if got.data != want {
        return Err(format!(
            "{who} received other data: {}",
            first_difference(&got.data, want)
        ));
    }
    if got.closed != close {
        return Err(format!(
            "{who}: close_notify {}",
            if close { "missing" } else { "too early" }
        ));
    }
    Ok(())
}

/// Runs the handshake between a spectls and a rustls connection (either may be the client),
/// failing on any plaintext before it completes.
pub fn rustls_session_handshake(
    s: &mut ConnectionCommon,
    r: &mut rustls::Connection,
) -> Result<(), String> {
    for _ in 0..10 {
        if !s.is_handshaking() && !r.is_handshaking() && !s.wants_write() && !r.wants_write() {
            break;
        }
        check_received("rustls", spectls_to_rustls(s, r)?, b"", false)?;
        check_received("spectls", rustls_to_spectls(r, s)?, b"", false)?;
    }
    if s.is_handshaking() || r.is_handshaking() {
        return Err("handshake did not finish in 10 rounds".into());
    }
    Ok(())
}

/// After the handshake: 40 000 bytes each way (three records), compared byte for byte, then
/// close_notify from `spectls_closes_first`'s side, answered by the other.
pub fn rustls_session_data_and_close(
    s: &mut ConnectionCommon,
    r: &mut rustls::Connection,
    spectls_closes_first: bool,
) -> Result<(), String> {
    let up = text(1, 8, 4999);
    io::Write::write_all(&mut s.writer(), &up).map_err(|e| e.to_string())?;
    check_received("rustls", spectls_to_rustls(s, r)?, &up, false)?;
    let down = text(2, 8, 4999);
    io::Write::write_all(&mut r.writer(), &down).map_err(|e| e.to_string())?;
    check_received("spectls", rustls_to_spectls(r, s)?, &down, false)?;

    if spectls_closes_first {
        s.send_close_notify();
        check_received("rustls", spectls_to_rustls(s, r)?, b"", true)?;
        r.send_close_notify();
        check_received("spectls", rustls_to_spectls(r, s)?, b"", true)?;
    } else {
        r.send_close_notify();
        check_received("spectls", rustls_to_spectls(r, s)?, b"", true)?;
        s.send_close_notify();
        check_received("rustls", spectls_to_rustls(s, r)?, b"", true)?;
    }
    Ok(())
}
