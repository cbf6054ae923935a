//! Issue 4 section 6: session resumption and client authentication against real TLS 1.2 peers,
//! both directions, over 127.0.0.1 only (rustls in memory).
//!
//! `spectls_client_vs_openssl_s_server` (spectls client, `openssl s_server -tls1_2 -www`; the
//! client fetches s_server's status page, which says "New"/"Reused, TLSv1.2" and prints the
//! client certificate; s_server's exit statistics count cache hits):
//!
//! | test                                               | s_server             | checks                                                       |
//! |----------------------------------------------------|----------------------|--------------------------------------------------------------|
//! | `session_id_resumption`                            | `-no_ticket`         | 2nd connection resumed by session ID, both sides              |
//! | `ticket_resumption`                                | `-no_cache`          | 2nd connection resumed by ticket (s_server has no cache)      |
//! | `unknown_session_falls_back_to_a_full_handshake`   | new s_server         | stale ID / ticket refused: full handshake, then resumes       |
//! | `resumption_keeps_client_identity`                 | `-Verify 1`          | the resumed session still carries the client certificate      |
//! | `client_auth_required`                             | `-Verify 1`          | cert verified (subject); none: handshake_failure; other CA: unknown_ca |
//! | `client_auth_optional`                             | `-verify 1`          | cert verified; none: works, "no client certificate available" |
//!
//! `openssl_s_client_vs_spectls_server` (`openssl s_client -tls1_2`, `-sess_out` then
//! `-sess_in`; spectls server over TCP):
//!
//! | test                                               | spectls server       | checks                                                       |
//! |----------------------------------------------------|----------------------|--------------------------------------------------------------|
//! | `session_id_resumption`                            | ID cache (default)   | s_client `-no_ticket` "Reused", same Session-ID; `is_resumed()` |
//! | `ticket_resumption`                                | `Ticketer`, no cache | s_client got the ticket, "Reused"; `is_resumed()`             |
//! | `unknown_session_falls_back_to_a_full_handshake`   | another server       | stale ID / ticket: "New", then the new session resumes        |
//! | `resumption_keeps_client_identity`                 | required client auth | resumed (ID, ticket) with `peer_certificates()` == the cert   |
//! | `client_auth_required`                             | required client auth | identity == cert; none: `NoCertificate` / s_client "alert handshake failure"; other CA: `UnknownIssuer` / "alert unknown ca" |
//! | `client_auth_optional`                             | optional client auth | identity with a cert, none without                            |
//!
//! `rustls_client_vs_spectls_server` and `spectls_client_vs_rustls_server` (rustls 0.23, ring,
//! TLS 1.2 only, in memory):
//!
//! | test                    | checks                                                                                    |
//! |-------------------------|-------------------------------------------------------------------------------------------|
//! | `session_id_resumption` | rustls default resumption vs spectls ID cache / spectls vs rustls default server cache: `is_resumed()` and `HandshakeKind::Resumed` |
//! | `ticket_resumption`     | rustls vs spectls `Ticketer` without ID cache / spectls vs rustls ring `Ticketer` without cache |
//! | `client_auth`           | `with_client_auth_cert` accepted, identity exposed; no cert and another CA's cert refused, the other side receives the alert |
//!
//! The server certificate is the committed ECDSA test certificate (`tests/data/certs`). Client
//! certificates are made per test with rcgen: a client CA and a leaf (ECDSA P-256, clientAuth
//! EKU, CN "spectls test client"), and a second CA with its own leaf that no server trusts; the
//! PEM files OpenSSL needs go to a temporary directory removed when the test ends.
//!
//! Peer binary `openssl`: without it a test is skipped with a `SKIPPED` line on stderr, or fails
//! with `SPECTLS_REQUIRE_PEERS=1` (as in `.ci/run`). Every peer is a child
//! process killed when its guard drops; sockets have 10 s timeouts; listeners bind 127.0.0.1
//! port 0, and `s_server` gets a port just released by such a listener (retrying on a lost
//! race), as in `tests/interop.rs`, with which these helpers are shared (`tests/common/peer.rs`).

mod common;

use common::peer::{
    accept, cert_file, connect, require, start_s_server_on_free_port, verifying_s_client, Peer,
    TIMEOUT,
};
use common::*;
use spectls::pki::RootCertStore;
use spectls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use spectls::session::{
    ClientSessionMemoryCache, ClientSessionValue, NoServerSessionStorage, StoresClientSessions,
    Ticketer,
};
use spectls::wire::{AlertDescription, CipherSuite};
use spectls::{
    CertificateError, ClientConfig, ClientConnection, ConnectionCommon, Error, ServerConfig,
    ServerConnection, Stream,
};
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// How much of a peer's output a failure message shows.
const TRANSCRIPT_CHARS: usize = 8000;

/// The subject common name of the trusted client certificate.
const CLIENT_CN: &str = "spectls test client";

// ---------------------------------------------------------------------------------------------
// Small helpers

/// The value after `label` on the first line of `text` that has it (s_client's session block).
fn field<'a>(text: &'a str, label: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|l| l.trim_start().strip_prefix(label))
        .map(str::trim)
}

// ---------------------------------------------------------------------------------------------
// Client certificates (rcgen), in memory and as PEM files for OpenSSL

/// A temporary directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "spectls-interop-sessions-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    /// Writes `contents` to `name` in the directory; returns the path as a string for argv.
    fn write(&self, name: &str, contents: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, contents).expect("write temp file");
        path.to_str().expect("UTF-8 temp path").to_string()
    }

    fn path(&self, name: &str) -> String {
        self.0
            .join(name)
            .to_str()
            .expect("UTF-8 temp path")
            .to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One client identity: a leaf certificate (clientAuth EKU) and its key, in DER and as files.
struct Identity {
    chain: Vec<CertificateDer<'static>>,
    pkcs8: Vec<u8>,
    cert_file: String,
    key_file: String,
}

impl Identity {
    fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(self.pkcs8.clone().into())
    }
}

/// The client PKI of one test: a trusted client CA with its leaf, and a leaf from another CA.
struct ClientPki {
    _dir: TempDir,
    /// The client CA certificate (DER), what servers trust.
    ca: CertificateDer<'static>,
    /// The client CA as a PEM file (`-CAfile` for s_server).
    ca_file: String,
    trusted: Identity,
    /// A clientAuth leaf from a CA no server here trusts.
    untrusted: Identity,
}

/// A CA (ECDSA P-256) named `cn` and a clientAuth leaf it signs, CN `leaf_cn`.
fn ca_and_leaf(
    dir: &TempDir,
    tag: &str,
    cn: &str,
    leaf_cn: &str,
) -> (CertificateDer<'static>, String, Identity) {
    let ca_key = rcgen::KeyPair::generate().expect("CA key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.distinguished_name = rcgen::DistinguishedName::new();
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn);
    ca_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let ca = ca_params.self_signed(&ca_key).expect("CA cert");
    let ca_pem = ca.pem();
    let ca_der = ca.der().clone();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().expect("leaf key");
    let mut params =
        rcgen::CertificateParams::new(vec!["client.test".to_string()]).expect("leaf params");
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, leaf_cn);
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    let cert = params.signed_by(&key, &issuer).expect("leaf cert");
    let ca_file = dir.write(&format!("{tag}-ca.pem"), &ca_pem);
    let identity = Identity {
        chain: vec![cert.der().clone()],
        pkcs8: key.serialize_der(),
        cert_file: dir.write(&format!("{tag}-client.pem"), &cert.pem()),
        key_file: dir.write(&format!("{tag}-client.key"), &key.serialize_pem()),
    };
    (ca_der, ca_file, identity)
}

fn client_pki() -> ClientPki {
    let dir = TempDir::new();
    let (ca, ca_file, trusted) = ca_and_leaf(&dir, "trusted", "spectls client CA", CLIENT_CN);
    let (_, _, untrusted) = ca_and_leaf(&dir, "rogue", "rogue client CA", "rogue client");
    ClientPki {
        _dir: dir,
        ca,
        ca_file,
        trusted,
        untrusted,
    }
}

impl ClientPki {
    /// spectls roots holding the client CA.
    fn roots(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots.add(self.ca.clone()).expect("client CA");
        roots
    }
}

// ---------------------------------------------------------------------------------------------
// spectls configurations

/// The default server: session-ID cache, no tickets.
fn id_server() -> Arc<ServerConfig> {
    Arc::new(server_builder(false).build().expect("server config"))
}

/// A server resuming by ticket only: no session-ID cache.
fn ticket_server() -> Arc<ServerConfig> {
    Arc::new(
        server_builder(false)
            .with_ticketer(Ticketer::new(Duration::from_secs(3600)).expect("ticketer"))
            .with_session_storage(Arc::new(NoServerSessionStorage))
            .build()
            .expect("server config"),
    )
}

/// A server asking for a client certificate from `pki`'s CA (required unless `optional`).
fn client_auth_server(pki: &ClientPki, optional: bool) -> Arc<ServerConfig> {
    Arc::new(
        server_builder(false)
            .with_client_cert_verifier(client_verifier(pki.roots(), optional))
            .build()
            .expect("server config"),
    )
}

/// A client trusting the test CA, with its own session cache (returned for inspection) and,
/// if given, a client certificate.
fn spectls_client(
    identity: Option<&Identity>,
) -> (Arc<ClientConfig>, Arc<ClientSessionMemoryCache>) {
    let cache = ClientSessionMemoryCache::new(8);
    let mut builder = ClientConfig::builder()
        .with_root_certificates(roots())
        .with_session_storage(cache.clone());
    if let Some(id) = identity {
        builder = builder
            .with_client_auth_cert(id.chain.clone(), id.key())
            .expect("client certificate");
    }
    (Arc::new(builder.build().expect("client config")), cache)
}

// ---------------------------------------------------------------------------------------------
// spectls over TCP

/// What the spectls client saw of one `s_server -www` connection.
struct Visit {
    resumed: bool,
    suite: Option<CipherSuite>,
    ems: bool,
    /// s_server's status page.
    page: String,
}

/// The spectls client fetches s_server's `-www` status page: handshake, `GET /`, the page up
/// to s_server's close_notify (a clean end of data is required), then our close_notify.
fn www_get(port: u16, config: &Arc<ClientConfig>) -> io::Result<Visit> {
    let sock = connect(port)?;
    let conn = ClientConnection::new(config.clone(), ServerName::try_from("localhost").unwrap())
        .map_err(io::Error::other)?;
    let mut tls = Stream::new(conn, sock);
    tls.handshake()?;
    tls.write_all(b"GET / HTTP/1.0\r\n\r\n")?;
    let mut page = Vec::new();
    tls.read_to_end(&mut page)?;
    // s_server may have closed the socket already after its close_notify.
    let _ = tls.close();
    Ok(Visit {
        resumed: tls.conn.is_resumed(),
        suite: tls.conn.negotiated_cipher_suite(),
        ems: tls.conn.extended_master_secret(),
        page: String::from_utf8_lossy(&page).into_owned(),
    })
}

/// What the spectls server saw of one connection it completed.
#[derive(Debug)]
struct Seen {
    resumed: bool,
    suite: Option<CipherSuite>,
    ems: bool,
    sni: Option<String>,
    peer_certificates: Option<Vec<CertificateDer<'static>>>,
}

/// A connection the spectls server did not complete: its error and a description.
#[derive(Debug)]
struct Refused {
    error: Option<Error>,
    what: String,
}

const CLIENT_LINE: &[u8] = b"hello from s_client\n";
const SERVER_LINE: &[u8] = b"hello from spectls\n";

/// One connection on the spectls server: handshake, read `CLIENT_LINE`, answer `SERVER_LINE`,
/// send close_notify and require the client's close_notify back.
fn serve_one(sock: TcpStream, config: &Arc<ServerConfig>) -> Result<Seen, Refused> {
    let refused = |what: &str, e: io::Error| Refused {
        error: inner(&e).cloned(),
        what: format!("{what}: {e}"),
    };
    let conn = ServerConnection::new(config.clone()).map_err(|e| Refused {
        what: format!("server: {e}"),
        error: Some(e),
    })?;
    let mut tls = Stream::new(conn, sock);
    tls.handshake()
        .map_err(|e| refused("spectls server handshake", e))?;
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    while !got.ends_with(b"\n") {
        match tls.read(&mut buf) {
            Ok(0) => {
                return Err(Refused {
                    error: None,
                    what: format!("client closed after {got:?}"),
                })
            }
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => return Err(refused("spectls server read", e)),
        }
    }
    if got != CLIENT_LINE {
        return Err(Refused {
            error: None,
            what: format!("received {:?}", String::from_utf8_lossy(&got)),
        });
    }
    tls.write_all(SERVER_LINE)
        .map_err(|e| refused("spectls server write", e))?;
    tls.close()
        .map_err(|e| refused("spectls server close_notify", e))?;
    match tls.read(&mut buf) {
        Ok(0) => {}
        Ok(n) => {
            return Err(Refused {
                error: None,
                what: format!("{n} more bytes where close_notify was expected"),
            })
        }
        Err(e) => return Err(refused("no close_notify from the client", e)),
    }
    let c = &tls.conn;
    Ok(Seen {
        resumed: c.is_resumed(),
        suite: c.negotiated_cipher_suite(),
        ems: c.extended_master_secret(),
        sni: c.server_name().map(String::from),
        peer_certificates: c.peer_certificates().map(<[_]>::to_vec),
    })
}

/// A spectls server thread serving `connections` connections on `listener` one after another,
/// all with `config`. Every step is bounded, so joining the thread is too.
fn spawn_spectls_server(
    listener: TcpListener,
    config: Arc<ServerConfig>,
    connections: usize,
) -> JoinHandle<Vec<Result<Seen, Refused>>> {
    thread::spawn(move || {
        let mut results = Vec::new();
        for _ in 0..connections {
            match accept(&listener) {
                Ok(sock) => results.push(serve_one(sock, &config)),
                Err(e) => {
                    results.push(Err(Refused {
                        error: None,
                        what: format!("accept: {e}"),
                    }));
                    break;
                }
            }
        }
        results
    })
}

// ---------------------------------------------------------------------------------------------
// openssl s_server -www and s_client

/// Starts `openssl s_server -www` (TLS 1.2, the ECDSA test certificate) for `naccept`
/// connections with `extra` arguments, and waits until it accepts.
fn start_s_server(openssl: &Path, naccept: usize, extra: &[&str]) -> (Peer, u16) {
    start_s_server_on_free_port(openssl, TRANSCRIPT_CHARS, |cmd| {
        cmd.args(["-naccept", &naccept.to_string(), "-tls1_2", "-www"])
            .arg("-cert")
            .arg(cert_file("server-ecdsa.pem"))
            .arg("-key")
            .arg(cert_file("server-ecdsa.key"))
            .args(extra);
    })
}

/// Waits for s_server to finish its `-naccept` connections and exit successfully.
fn finish_s_server(server: &mut Peer) {
    let status = server.wait_exit(TIMEOUT);
    assert!(
        status.is_some_and(|s| s.success()),
        "s_server did not exit successfully\n{}",
        server.transcript()
    );
}

/// Runs `openssl s_client` (TLS 1.2, trusting the test CA, SNI and hostname check `localhost`)
/// once against 127.0.0.1:`port` with `extra` arguments: it sends `CLIENT_LINE` and keeps its
/// stdin open (its end would make s_client close first); returns it after it exited.
fn run_s_client(openssl: &Path, port: u16, extra: &[&str]) -> Peer {
    let cmd = verifying_s_client(openssl, port, &["-tls1_2"], extra);
    let mut client = Peer::spawn(cmd, TRANSCRIPT_CHARS);
    client.write_stdin(CLIENT_LINE);
    client.wait_exit(TIMEOUT);
    client
}

/// The checks on an s_client run the spectls server completed.
fn check_s_client_ok(client: &Peer, seen: &Result<Seen, Refused>) -> Result<(), String> {
    let seen = seen
        .as_ref()
        .map_err(|r| format!("spectls server: {}", r.what))?;
    if seen.sni.as_deref() != Some("localhost") || !seen.ems {
        return Err(format!("spectls server: SNI or EMS missing: {seen:?}"));
    }
    if !client.status().is_some_and(|s| s.success()) {
        return Err("s_client did not exit successfully".into());
    }
    let out = client.stdout();
    for want in [
        "Verify return code: 0 (ok)",
        "Protocol  : TLSv1.2",
        "Extended master secret: yes",
        std::str::from_utf8(SERVER_LINE).unwrap(),
    ] {
        if !out.contains(want) {
            return Err(format!("s_client did not print {want:?}"));
        }
    }
    // s_client prints "closed" when SSL_read reports close_notify.
    let tail = out.split(std::str::from_utf8(SERVER_LINE).unwrap()).last();
    if !tail.is_some_and(|t| t.contains("closed\n")) {
        return Err("s_client did not report the server's close_notify (\"closed\")".into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// rustls 0.23 (ring provider, TLS 1.2 only), in memory

/// A rustls client trusting the test CA, with rustls's default resumption (in-memory store,
/// session IDs and tickets), and a client certificate if given.
fn rustls_client_for(identity: Option<&Identity>) -> Arc<rustls::ClientConfig> {
    let config = RustlsClient {
        identity: identity.map(|id| (id.chain.clone(), id.key())),
        ..RustlsClient::default()
    };
    Arc::new(config.config())
}

/// A rustls server with the ECDSA test certificate, verifying clients against `client_ca` if
/// given (required).
fn rustls_server_for(client_ca: Option<&CertificateDer<'static>>) -> rustls::ServerConfig {
    RustlsServer {
        client_ca,
        ..RustlsServer::default()
    }
    .config()
}

/// How an in-memory handshake ended on each side.
#[derive(Debug)]
struct Ended {
    spectls: Option<Error>,
    rustls: Option<rustls::Error>,
}

/// Runs the handshake between a spectls and a rustls connection in memory (bounded rounds);
/// whoever fails has its alert delivered to the other side.
fn mem_handshake(s: &mut ConnectionCommon, r: &mut rustls::Connection) -> Ended {
    let mut end = Ended {
        spectls: None,
        rustls: None,
    };
    for _ in 0..20 {
        let out = drain(s);
        if !out.is_empty() && end.rustls.is_none() {
            end.rustls = feed_rustls(r, &out).err();
        }
        let out = rustls_out(r);
        if !out.is_empty() && end.spectls.is_none() {
            end.spectls = feed(s, &out).err();
        }
        let failed = end.spectls.is_some() || end.rustls.is_some();
        let handshaking = s.is_handshaking() || r.is_handshaking();
        if !s.wants_write() && !r.wants_write() && (failed || !handshaking) {
            break;
        }
    }
    end
}

/// After a completed handshake: a line each way, then close_notify from spectls answered by
/// rustls.
fn mem_exchange(s: &mut ConnectionCommon, r: &mut rustls::Connection) -> Result<(), String> {
    s.writer()
        .write_all(b"ping from spectls\n")
        .map_err(|e| e.to_string())?;
    feed_rustls(r, &drain(s)).map_err(|e| format!("rustls: {e}"))?;
    let mut got = Vec::new();
    read_plaintext(&mut r.reader(), &mut got).map_err(|e| format!("rustls read: {e}"))?;
    if got != b"ping from spectls\n" {
        return Err(format!("rustls received {got:?}"));
    }
    r.writer()
        .write_all(b"pong from rustls\n")
        .map_err(|e| e.to_string())?;
    feed(s, &rustls_out(r)).map_err(|e| format!("spectls: {e}"))?;
    let mut got = Vec::new();
    read_plaintext(&mut s.reader(), &mut got).map_err(|e| format!("spectls read: {e}"))?;
    if got != b"pong from rustls\n" {
        return Err(format!("spectls received {got:?}"));
    }
    s.send_close_notify();
    feed_rustls(r, &drain(s)).map_err(|e| format!("rustls: {e}"))?;
    let mut rest = Vec::new();
    if !read_plaintext(&mut r.reader(), &mut rest).map_err(|e| format!("rustls read: {e}"))? {
        return Err("rustls did not see close_notify".into());
    }
    r.send_close_notify();
    feed(s, &rustls_out(r)).map_err(|e| format!("spectls: {e}"))?;
    if !read_plaintext(&mut s.reader(), &mut rest).map_err(|e| format!("spectls read: {e}"))? {
        return Err("spectls did not see close_notify".into());
    }
    Ok(())
}

/// A complete in-memory session (handshake, data, close) that must succeed.
fn mem_session(s: &mut ConnectionCommon, r: &mut rustls::Connection, what: &str) {
    let end = mem_handshake(s, r);
    assert!(
        end.spectls.is_none() && end.rustls.is_none(),
        "{what}: handshake failed: {end:?}"
    );
    assert!(
        !s.is_handshaking() && !r.is_handshaking(),
        "{what}: handshake did not finish"
    );
    assert_eq!(
        r.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_2),
        "{what}"
    );
    assert!(
        s.extended_master_secret(),
        "{what}: no extended master secret"
    );
    if let Err(e) = mem_exchange(s, r) {
        panic!("{what}: {e}");
    }
}

// =============================================================================================
// 1. Resumption

mod spectls_client_vs_openssl_s_server {
    use super::*;

    /// Two connections of one spectls client config to one s_server (started with `extra`,
    /// for two connections): the first is a full handshake, the second resumes it (the spectls
    /// client and s_server's page say so) with the session's suite. Returns the second visit,
    /// the session the client stored after the first, and s_server, which has exited (its
    /// statistics are in its stdout).
    fn resumes(openssl: &Path, extra: &[&str]) -> (Visit, ClientSessionValue, Peer) {
        let (mut server, port) = start_s_server(openssl, 2, extra);
        let (config, cache) = spectls_client(None);
        let first = www_get(port, &config)
            .unwrap_or_else(|e| panic!("first connection: {e}\n{}", server.transcript()));
        let stored = cache
            .get("localhost")
            .expect("session stored for localhost");
        let second = www_get(port, &config)
            .unwrap_or_else(|e| panic!("second connection: {e}\n{}", server.transcript()));
        finish_s_server(&mut server);
        let ctx = server.transcript();
        assert!(
            !first.resumed && first.page.contains("\nNew, TLSv1.2, Cipher is "),
            "first connection: full handshake\n{}\n{ctx}",
            first.page
        );
        assert!(
            second.resumed,
            "spectls client: second connection not resumed\n{}\n{ctx}",
            second.page
        );
        assert!(
            second.page.contains("\nReused, TLSv1.2, Cipher is "),
            "s_server's page does not say Reused\n{}",
            second.page
        );
        assert_eq!(
            second.suite, first.suite,
            "resumed with the session's suite"
        );
        (second, stored, server)
    }

    /// `s_server -no_ticket`: the spectls client (tickets offered) keeps the session ID and
    /// resumes with it.
    #[test]
    fn session_id_resumption() {
        let Some(openssl) = require("openssl") else {
            return;
        };
        let (second, stored, server) = resumes(&openssl, &["-no_ticket"]);
        assert!(
            !stored.session_id.is_empty() && stored.ticket.is_none(),
            "stored a session ID and no ticket: {stored:?}"
        );
        assert!(second.ems, "resumed session keeps EMS");
        assert!(
            server.stdout().contains("   1 session cache hits"),
            "s_server did not count a session cache hit\n{}",
            server.transcript()
        );
    }

    /// `s_server -no_cache`: no server-side cache, so only the ticket can resume (s_server
    /// also sends an empty session ID).
    #[test]
    fn ticket_resumption() {
        let Some(openssl) = require("openssl") else {
            return;
        };
        let (_, stored, server) = resumes(&openssl, &["-no_cache"]);
        assert!(
            stored.ticket.as_ref().is_some_and(|t| !t.is_empty()),
            "stored a ticket: {stored:?}"
        );
        assert!(
            server.stdout().contains("   0 items in the session cache"),
            "s_server -no_cache cached something\n{}",
            server.transcript()
        );
    }

    /// A session s_server does not know (a new s_server: fresh ticket key, empty cache) is
    /// offered, refused, and replaced by a full handshake whose session then resumes; by
    /// session ID and by ticket.
    #[test]
    fn unknown_session_falls_back_to_a_full_handshake() {
        let Some(openssl) = require("openssl") else {
            return;
        };
        for extra in [&["-no_ticket"][..], &[]] {
            let (config, cache) = spectls_client(None);
            let (mut old, port) = start_s_server(&openssl, 1, extra);
            let first = www_get(port, &config)
                .unwrap_or_else(|e| panic!("{extra:?}: first: {e}\n{}", old.transcript()));
            finish_s_server(&mut old);
            let stale = cache
                .get("localhost")
                .expect("session stored for localhost");
            let (mut new, port) = start_s_server(&openssl, 2, extra);
            let second = www_get(port, &config)
                .unwrap_or_else(|e| panic!("{extra:?}: second: {e}\n{}", new.transcript()));
            let third = www_get(port, &config)
                .unwrap_or_else(|e| panic!("{extra:?}: third: {e}\n{}", new.transcript()));
            finish_s_server(&mut new);
            assert!(!first.resumed, "{extra:?}: first connection resumed");
            assert!(
                !second.resumed && second.page.contains("\nNew, TLSv1.2, Cipher is "),
                "{extra:?}: a session unknown to s_server must give a full handshake\n{}",
                second.page
            );
            assert!(
                third.resumed && third.page.contains("\nReused, TLSv1.2, Cipher is "),
                "{extra:?}: the new session must resume\n{}",
                third.page
            );
            assert_ne!(
                cache.get("localhost"),
                Some(stale),
                "{extra:?}: the stale session is still cached"
            );
        }
    }

    /// s_server still sees the client certificate on a resumed connection (s_server's page
    /// prints the session's peer).
    #[test]
    fn resumption_keeps_client_identity() {
        let Some(openssl) = require("openssl") else {
            return;
        };
        let pki = client_pki();
        let (mut server, port) = start_s_server(
            &openssl,
            2,
            &[
                "-Verify",
                "1",
                "-verify_return_error",
                "-CAfile",
                &pki.ca_file,
            ],
        );
        let (config, _) = spectls_client(Some(&pki.trusted));
        let first = www_get(port, &config)
            .unwrap_or_else(|e| panic!("first connection: {e}\n{}", server.transcript()));
        let second = www_get(port, &config)
            .unwrap_or_else(|e| panic!("second connection: {e}\n{}", server.transcript()));
        finish_s_server(&mut server);
        assert!(!first.resumed);
        assert!(
            second.resumed && second.page.contains("\nReused, TLSv1.2, Cipher is "),
            "second connection not resumed\n{}",
            second.page
        );
        assert!(
            second.page.contains(&format!("Subject: CN={CLIENT_CN}")),
            "s_server lost the client certificate on resumption\n{}",
            second.page
        );
    }

    /// `s_server -Verify 1 -verify_return_error`: a certificate from the client CA is verified
    /// (s_server prints its subject); no certificate gets handshake_failure; a certificate from
    /// another CA gets unknown_ca.
    #[test]
    fn client_auth_required() {
        let Some(openssl) = require("openssl") else {
            return;
        };
        let pki = client_pki();
        let (mut server, port) = start_s_server(
            &openssl,
            3,
            &[
                "-Verify",
                "1",
                "-verify_return_error",
                "-CAfile",
                &pki.ca_file,
            ],
        );
        let (with_cert, _) = spectls_client(Some(&pki.trusted));
        let (without, _) = spectls_client(None);
        let (rogue, _) = spectls_client(Some(&pki.untrusted));

        let ok = www_get(port, &with_cert)
            .unwrap_or_else(|e| panic!("with a certificate: {e}\n{}", server.transcript()));
        assert!(
            ok.page.contains("Client certificate")
                && ok.page.contains(&format!("Subject: CN={CLIENT_CN}")),
            "s_server's page lacks the client certificate\n{}",
            ok.page
        );
        assert!(
            server.wait_output(
                format!("depth=0 CN = {CLIENT_CN}\nverify return:1"),
                TIMEOUT
            ),
            "s_server did not verify the client certificate\n{}",
            server.transcript()
        );

        let err = www_get(port, &without)
            .err()
            .expect("no certificate: refused");
        assert_eq!(
            inner(&err).cloned(),
            Some(Error::AlertReceived(AlertDescription::HandshakeFailure)),
            "no certificate: want s_server's handshake_failure, got {err}"
        );
        assert!(
            server.wait_output("peer did not return a certificate", TIMEOUT),
            "s_server did not report the missing certificate\n{}",
            server.transcript()
        );

        let err = www_get(port, &rogue)
            .err()
            .expect("rogue certificate: refused");
        assert_eq!(
            inner(&err).cloned(),
            Some(Error::AlertReceived(AlertDescription::UnknownCa)),
            "certificate from another CA: want s_server's unknown_ca, got {err}"
        );
        finish_s_server(&mut server);
        assert!(
            server
                .stderr()
                .contains("verify error:num=20:unable to get local issuer certificate"),
            "s_server did not reject the rogue certificate's issuer\n{}",
            server.transcript()
        );
    }

    /// `s_server -verify 1`: a certificate is verified when sent; none is fine too.
    #[test]
    fn client_auth_optional() {
        let Some(openssl) = require("openssl") else {
            return;
        };
        let pki = client_pki();
        let (mut server, port) = start_s_server(
            &openssl,
            2,
            &[
                "-verify",
                "1",
                "-verify_return_error",
                "-CAfile",
                &pki.ca_file,
            ],
        );
        let (with_cert, _) = spectls_client(Some(&pki.trusted));
        let (without, _) = spectls_client(None);
        let ok = www_get(port, &with_cert)
            .unwrap_or_else(|e| panic!("with a certificate: {e}\n{}", server.transcript()));
        assert!(
            ok.page.contains(&format!("Subject: CN={CLIENT_CN}")),
            "s_server's page lacks the client certificate\n{}",
            ok.page
        );
        let anonymous = www_get(port, &without)
            .unwrap_or_else(|e| panic!("without a certificate: {e}\n{}", server.transcript()));
        assert!(
            anonymous.page.contains("no client certificate available"),
            "s_server saw a client certificate\n{}",
            anonymous.page
        );
        finish_s_server(&mut server);
        assert!(
            server
                .stderr()
                .contains(&format!("depth=0 CN = {CLIENT_CN}\nverify return:1")),
            "s_server did not verify the client certificate\n{}",
            server.transcript()
        );
    }
}

mod openssl_s_client_vs_spectls_server {
    use super::*;

    /// Two s_client runs (`-sess_out`, then `-sess_in` of that file) against one spectls
    /// server; returns both s_clients and what the server saw.
    fn two_runs(
        openssl: &Path,
        config: Arc<ServerConfig>,
        extra: &[&str],
    ) -> (Peer, Peer, Vec<Result<Seen, Refused>>) {
        let dir = TempDir::new();
        let sess = dir.path("session.pem");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().unwrap().port();
        let server = spawn_spectls_server(listener, config, 2);
        let first = run_s_client(openssl, port, &[extra, &["-sess_out", &sess]].concat());
        assert!(
            Path::new(&sess).is_file(),
            "s_client wrote no session file: nothing to resume\n{}",
            first.transcript()
        );
        let second = run_s_client(openssl, port, &[extra, &["-sess_in", &sess]].concat());
        let seen = server.join().expect("server thread");
        (first, second, seen)
    }

    fn check_resumption(first: &Peer, second: &Peer, seen: &[Result<Seen, Refused>]) {
        for (i, client) in [first, second].into_iter().enumerate() {
            if let Err(e) = check_s_client_ok(client, &seen[i]) {
                panic!("connection {}: {e}\n{}", i + 1, client.transcript());
            }
        }
        let (s1, s2) = (seen[0].as_ref().unwrap(), seen[1].as_ref().unwrap());
        assert!(
            !s1.resumed && first.stdout().contains("\nNew, TLSv1.2, Cipher is "),
            "first connection: full handshake\n{}",
            first.transcript()
        );
        assert!(
            s2.resumed,
            "spectls server: second connection not resumed\n{}",
            second.transcript()
        );
        assert!(
            second.stdout().contains("\nReused, TLSv1.2, Cipher is "),
            "s_client did not print Reused\n{}",
            second.transcript()
        );
        assert_eq!(s2.suite, s1.suite, "resumed with the session's suite");
    }

    /// `s_client -no_ticket` against the default spectls server (session-ID cache).
    #[test]
    fn session_id_resumption() {
        let Some(openssl) = require("openssl") else {
            return;
        };
        let (first, second, seen) = two_runs(&openssl, id_server(), &["-no_ticket"]);
        check_resumption(&first, &second, &seen);
        let id1 = field(&first.stdout(), "Session-ID:").map(String::from);
        let id2 = field(&second.stdout(), "Session-ID:").map(String::from);
        assert!(
            id1.as_ref().is_some_and(|id| id.len() == 64) && id1 == id2,
            "s_client: the resumed Session-ID {id2:?} is not the first one {id1:?}"
        );
        assert!(
            !first.stdout().contains("TLS session ticket:"),
            "the ID-only server issued a ticket\n{}",
            first.transcript()
        );
    }

    /// s_client with tickets against a spectls server with a `Ticketer` and no ID cache.
    #[test]
    fn ticket_resumption() {
        let Some(openssl) = require("openssl") else {
            return;
        };
        let (first, second, seen) = two_runs(&openssl, ticket_server(), &[]);
        check_resumption(&first, &second, &seen);
        assert!(
            first
                .stdout()
                .contains("TLS session ticket lifetime hint: 3600 (seconds)"),
            "s_client did not get the spectls ticket\n{}",
            first.transcript()
        );
    }

    /// s_client offers a session a spectls server does not know (another server: another
    /// ticket key, another cache): a full handshake, whose session then resumes.
    #[test]
    fn unknown_session_falls_back_to_a_full_handshake() {
        let Some(openssl) = require("openssl") else {
            return;
        };
        type Make = fn() -> Arc<ServerConfig>;
        for (extra, make) in [
            (&["-no_ticket"][..], id_server as Make),
            (&[][..], ticket_server as Make),
        ] {
            let dir = TempDir::new();
            let (old_sess, new_sess) = (dir.path("old.pem"), dir.path("new.pem"));
            let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
            let port = listener.local_addr().unwrap().port();
            let old = spawn_spectls_server(listener, make(), 1);
            let first = run_s_client(&openssl, port, &[extra, &["-sess_out", &old_sess]].concat());
            let old_seen = old.join().expect("server thread");
            if let Err(e) = check_s_client_ok(&first, &old_seen[0]) {
                panic!("{extra:?}: first: {e}\n{}", first.transcript());
            }

            let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
            let port = listener.local_addr().unwrap().port();
            let new = spawn_spectls_server(listener, make(), 2);
            let second = run_s_client(
                &openssl,
                port,
                &[extra, &["-sess_in", &old_sess, "-sess_out", &new_sess]].concat(),
            );
            let third = run_s_client(&openssl, port, &[extra, &["-sess_in", &new_sess]].concat());
            let seen = new.join().expect("server thread");
            for (what, client, seen) in [("second", &second, &seen[0]), ("third", &third, &seen[1])]
            {
                if let Err(e) = check_s_client_ok(client, seen) {
                    panic!("{extra:?}: {what}: {e}\n{}", client.transcript());
                }
            }
            assert!(
                !seen[0].as_ref().unwrap().resumed
                    && second.stdout().contains("\nNew, TLSv1.2, Cipher is "),
                "{extra:?}: an unknown session must give a full handshake\n{}",
                second.transcript()
            );
            assert!(
                seen[1].as_ref().unwrap().resumed
                    && third.stdout().contains("\nReused, TLSv1.2, Cipher is "),
                "{extra:?}: the new session must resume\n{}",
                third.transcript()
            );
        }
    }

    /// A spectls server requiring client authentication resumes s_client's session (by ID and
    /// by ticket) with the client's verified identity.
    #[test]
    fn resumption_keeps_client_identity() {
        let Some(openssl) = require("openssl") else {
            return;
        };
        let pki = client_pki();
        let id = &pki.trusted;
        let by_id = Arc::new(
            server_builder(false)
                .with_client_cert_verifier(client_verifier(pki.roots(), false))
                .build()
                .expect("server config"),
        );
        let by_ticket = Arc::new(
            server_builder(false)
                .with_client_cert_verifier(client_verifier(pki.roots(), false))
                .with_ticketer(Ticketer::new(Duration::from_secs(3600)).expect("ticketer"))
                .with_session_storage(Arc::new(NoServerSessionStorage))
                .build()
                .expect("server config"),
        );
        for (config, tickets) in [(by_id, false), (by_ticket, true)] {
            let mut extra = vec!["-cert", &id.cert_file, "-key", &id.key_file];
            if !tickets {
                extra.push("-no_ticket");
            }
            let (first, second, seen) = two_runs(&openssl, config, &extra);
            check_resumption(&first, &second, &seen);
            for (n, seen) in seen.iter().enumerate() {
                assert_eq!(
                    seen.as_ref().unwrap().peer_certificates,
                    Some(id.chain.clone()),
                    "tickets: {tickets}: connection {}: the client's identity",
                    n + 1
                );
            }
        }
    }

    /// A spectls server requiring a client certificate: s_client with the client CA's
    /// certificate is accepted and its identity exposed; without one it is refused with
    /// `NoCertificate` (handshake_failure), with another CA's one with `UnknownIssuer`
    /// (unknown_ca).
    #[test]
    fn client_auth_required() {
        let Some(openssl) = require("openssl") else {
            return;
        };
        let pki = client_pki();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().unwrap().port();
        let server = spawn_spectls_server(listener, client_auth_server(&pki, false), 3);
        let id = &pki.trusted;
        let with_cert = run_s_client(
            &openssl,
            port,
            &["-cert", &id.cert_file, "-key", &id.key_file],
        );
        let without = run_s_client(&openssl, port, &[]);
        let rogue = &pki.untrusted;
        let with_rogue = run_s_client(
            &openssl,
            port,
            &["-cert", &rogue.cert_file, "-key", &rogue.key_file],
        );
        let seen = server.join().expect("server thread");

        if let Err(e) = check_s_client_ok(&with_cert, &seen[0]) {
            panic!("with a certificate: {e}\n{}", with_cert.transcript());
        }
        assert_eq!(
            seen[0].as_ref().unwrap().peer_certificates,
            Some(id.chain.clone()),
            "spectls server: verified identity"
        );

        let refused = seen[1]
            .as_ref()
            .expect_err("without a certificate: refused");
        assert_eq!(
            refused.error,
            Some(Error::InvalidCertificate(CertificateError::NoCertificate)),
            "{}",
            refused.what
        );
        assert!(
            without.stderr().contains("alert handshake failure"),
            "s_client did not report handshake_failure\n{}",
            without.transcript()
        );

        let refused = seen[2]
            .as_ref()
            .expect_err("another CA's certificate: refused");
        assert_eq!(
            refused.error,
            Some(Error::InvalidCertificate(CertificateError::UnknownIssuer)),
            "{}",
            refused.what
        );
        assert!(
            with_rogue.stderr().contains("alert unknown ca"),
            "s_client did not report unknown_ca\n{}",
            with_rogue.transcript()
        );
        for (what, client) in [("without", &without), ("rogue", &with_rogue)] {
            assert!(
                client.status().is_some_and(|s| !s.success()),
                "{what}: s_client exited successfully\n{}",
                client.transcript()
            );
        }
    }

    /// A spectls server asking for an optional client certificate.
    #[test]
    fn client_auth_optional() {
        let Some(openssl) = require("openssl") else {
            return;
        };
        let pki = client_pki();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().unwrap().port();
        let server = spawn_spectls_server(listener, client_auth_server(&pki, true), 2);
        let id = &pki.trusted;
        let with_cert = run_s_client(
            &openssl,
            port,
            &["-cert", &id.cert_file, "-key", &id.key_file],
        );
        let without = run_s_client(&openssl, port, &[]);
        let seen = server.join().expect("server thread");
        for (i, (what, client)) in [("with", &with_cert), ("without", &without)]
            .into_iter()
            .enumerate()
        {
            if let Err(e) = check_s_client_ok(client, &seen[i]) {
                panic!("{what} a certificate: {e}\n{}", client.transcript());
            }
        }
        assert_eq!(
            seen[0].as_ref().unwrap().peer_certificates,
            Some(id.chain.clone()),
            "spectls server: verified identity"
        );
        assert_eq!(
            seen[1].as_ref().unwrap().peer_certificates,
            None,
            "spectls server: anonymous client"
        );
    }
}

mod rustls_client_vs_spectls_server {
    use super::*;

    /// Two connections of one rustls client config (its default resumption) to `server`.
    fn resume(server: Arc<ServerConfig>) {
        let client = rustls_client_for(None);
        let mut kinds = Vec::new();
        for n in 1..=2 {
            let mut s = ServerConnection::new(server.clone()).expect("server");
            let mut r = rustls_client_with(&client);
            mem_session(&mut s, &mut r, &format!("connection {n}"));
            assert_eq!(s.server_name(), Some("localhost"));
            kinds.push((s.is_resumed(), r.handshake_kind()));
        }
        assert_eq!(
            kinds,
            [
                (false, Some(rustls::HandshakeKind::Full)),
                (true, Some(rustls::HandshakeKind::Resumed)),
            ],
            "(spectls is_resumed, rustls handshake_kind) of each connection"
        );
    }

    #[test]
    fn session_id_resumption() {
        resume(id_server());
    }

    #[test]
    fn ticket_resumption() {
        resume(ticket_server());
    }

    /// rustls with a client certificate against a spectls server requiring one; without one,
    /// and with another CA's one, spectls refuses and rustls receives the alert.
    #[test]
    fn client_auth() {
        let pki = client_pki();
        let server = client_auth_server(&pki, false);
        let mut s = ServerConnection::new(server.clone()).expect("server");
        let mut r = rustls_client_with(&rustls_client_for(Some(&pki.trusted)));
        mem_session(&mut s, &mut r, "with a certificate");
        assert_eq!(
            s.peer_certificates().map(<[_]>::to_vec),
            Some(pki.trusted.chain.clone()),
            "spectls server: verified identity"
        );

        for (what, identity, want, alert) in [
            (
                "without a certificate",
                None,
                CertificateError::NoCertificate,
                rustls::AlertDescription::HandshakeFailure,
            ),
            (
                "another CA's certificate",
                Some(&pki.untrusted),
                CertificateError::UnknownIssuer,
                rustls::AlertDescription::UnknownCA,
            ),
        ] {
            let mut s = ServerConnection::new(server.clone()).expect("server");
            let mut r = rustls_client_with(&rustls_client_for(identity));
            let end = mem_handshake(&mut s, &mut r);
            assert_eq!(
                end.spectls,
                Some(Error::InvalidCertificate(want)),
                "{what}: spectls: {end:?}"
            );
            assert_eq!(
                end.rustls,
                Some(rustls::Error::AlertReceived(alert)),
                "{what}: rustls: {end:?}"
            );
        }
    }
}

mod spectls_client_vs_rustls_server {
    use super::*;

    /// Two connections of one spectls client config to a rustls server; returns what the
    /// spectls client stored after the first.
    fn resume(server: rustls::ServerConfig) -> spectls::session::ClientSessionValue {
        let server = Arc::new(server);
        let (client, cache) = spectls_client(None);
        let mut kinds = Vec::new();
        let mut stored = None;
        for n in 1..=2 {
            let mut c =
                ClientConnection::new(client.clone(), ServerName::try_from("localhost").unwrap())
                    .expect("client");
            let mut r = rustls_server_with(&server);
            mem_session(&mut c, &mut r, &format!("connection {n}"));
            kinds.push((c.is_resumed(), r.handshake_kind()));
            stored = stored.or_else(|| cache.get("localhost"));
        }
        assert_eq!(
            kinds,
            [
                (false, Some(rustls::HandshakeKind::Full)),
                (true, Some(rustls::HandshakeKind::Resumed)),
            ],
            "(spectls is_resumed, rustls handshake_kind) of each connection"
        );
        stored.expect("session stored for localhost")
    }

    /// rustls's default server: session-ID cache, no tickets.
    #[test]
    fn session_id_resumption() {
        let stored = resume(rustls_server_for(None));
        assert!(
            !stored.session_id.is_empty() && stored.ticket.is_none(),
            "{stored:?}"
        );
    }

    /// rustls with ring's `Ticketer` and no session-ID cache.
    #[test]
    fn ticket_resumption() {
        let mut server = rustls_server_for(None);
        server.ticketer = rustls::crypto::ring::Ticketer::new().expect("rustls ticketer");
        server.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
        let stored = resume(server);
        assert!(stored.ticket.is_some(), "{stored:?}");
    }

    /// spectls with a client certificate against a rustls server requiring one
    /// (`WebPkiClientVerifier`); without one, and with another CA's one, rustls refuses and
    /// spectls receives the alert.
    #[test]
    fn client_auth() {
        let pki = client_pki();
        let server = Arc::new(rustls_server_for(Some(&pki.ca)));
        let (client, _) = spectls_client(Some(&pki.trusted));
        let mut c = ClientConnection::new(client, ServerName::try_from("localhost").unwrap())
            .expect("client");
        let mut r = rustls_server_with(&server);
        mem_session(&mut c, &mut r, "with a certificate");
        assert_eq!(
            r.peer_certificates().map(<[_]>::to_vec),
            Some(pki.trusted.chain.clone()),
            "rustls server: verified identity"
        );

        for (what, identity, want, alert) in [
            (
                "without a certificate",
                None,
                rustls::Error::NoCertificatesPresented,
                // rustls sends TLS 1.3's certificate_required (116) in TLS 1.2 too (named since
                // schema/rfc8446.tls adds the TLS 1.3 alerts).
                AlertDescription::CertificateRequired,
            ),
            (
                "another CA's certificate",
                Some(&pki.untrusted),
                rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
                AlertDescription::UnknownCa,
            ),
        ] {
            let (client, _) = spectls_client(identity);
            let mut c = ClientConnection::new(client, ServerName::try_from("localhost").unwrap())
                .expect("client");
            let mut r = rustls_server_with(&server);
            let end = mem_handshake(&mut c, &mut r);
            assert_eq!(end.rustls, Some(want), "{what}: rustls: {end:?}");
            assert_eq!(
                end.spectls,
                Some(Error::AlertReceived(alert)),
                "{what}: spectls: {end:?}"
            );
        }
    }
}
