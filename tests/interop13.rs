//! Interop with real TLS 1.3 peers over 127.0.0.1 only (TLS 1.2 is `interop.rs`).
//!
//! Every cipher suite (TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384,
//! TLS_CHACHA20_POLY1305_SHA256), both directions, one test per suite in each module:
//!
//! | module                               | client             | server                  | transport     |
//! |--------------------------------------|--------------------|-------------------------|---------------|
//! | `spectls_client_vs_openssl_s_server` | spectls (`Stream`) | `openssl s_server -rev` | TCP           |
//! | `openssl_s_client_vs_spectls_server` | `openssl s_client` | spectls (`Stream`)      | TCP           |
//! | `gnutls_cli_vs_spectls_server`       | `gnutls-cli`       | spectls (`Stream`)      | TCP           |
//! | `spectls_client_vs_gnutls_serv`      | spectls (`Stream`) | `gnutls-serv --echo`    | TCP in netns  |
//! | `spectls_client_vs_rustls_server`    | spectls            | rustls 0.23 (ring)      | memory        |
//! | `rustls_client_vs_spectls_server`    | rustls 0.23 (ring) | spectls                 | memory        |
//!
//! spectls speaks TLS 1.3 only there (`with_protocol_versions(&[TLS13])`), the peer is held to
//! the one suite, the server has `server-ecdsa.{pem,key}` (chained to `ca.pem`, which the
//! client trusts). Each test checks the version (1.3) and the suite on both sides, more than
//! one record of data each way compared byte for byte, and close_notify both ways.
//!
//! Beyond the suites (OpenSSL unless named):
//!
//! - `groups_*`: X25519, P-256 and P-384 each way, the client's share for that group, so no
//!   HelloRetryRequest (checked on the wire).
//! - `variants_*`: record padding and no middlebox compatibility each way; the RSA certificate
//!   (RSA-PSS, each hash); s_server cutting its records to 512 bytes, so that the encrypted
//!   Certificate arrives in pieces.
//! - `p384_and_ed25519_server_keys_with_openssl`: a P-384 key signs with
//!   ecdsa_secp384r1_sha384 (TLS 1.3 ties ECDSA schemes to curves), and an Ed25519 key, both ways.
//! - `hello_retry_*`: HelloRetryRequest each way, with OpenSSL and rustls: spectls's X25519
//!   share against a server taking only P-256 or P-384, and a client's X25519 share against a
//!   spectls server `with_groups(&[Secp256r1])` (or P-384). Checked: the group retried to, the
//!   HelloRetryRequest as the server's first message on the wire, and the peer's own view
//!   (OpenSSL's `-msg`/`-trace`: two ClientHellos, the HRR random; rustls's `handshake_kind`).
//! - `client_auth_*`: a spectls server requiring (or optionally taking) a client certificate
//!   against s_client with `-cert/-key` (the server gets the chain), without one (optional:
//!   completes; required: certificate_required, reported by s_client); the spectls client with
//!   and without a certificate against `s_server -Verify 1` (required) / `-verify 1` (optional).
//!   `client_auth_key_types_with_openssl`: RSA, P-384 and Ed25519 client keys both ways.
//!   `client_auth_with_rustls_both_ways`: a certificate each way with rustls. The client
//!   identities come from rcgen.
//! - `secrets_and_exporter_match_openssl_s_client`: the spectls server's key log and s_client's
//!   `-keylogfile` hold the same five secrets, and keying material exported with no context is
//!   the same on both sides. `alpn_with_openssl_both_ways`: ALPN in EncryptedExtensions.
//! - `gnutls_cli_hello_retry_and_key_update_vs_spectls_server`: both with GnuTLS too (its
//!   `^rekey^` and `^rekey1^` inline commands).
//! - `key_update_*`: s_client's typed `k` and `K` against the spectls server, and spectls's
//!   `refresh_traffic_keys()` against s_server and rustls (and rustls's own KeyUpdate against
//!   spectls): OpenSSL's message trace shows each KeyUpdate and its answer, and data keeps
//!   flowing both ways after each.
//! - `half_close_*`: close_notify closes one direction only (RFC 8446 6.1): the spectls client
//!   reads s_server's answer after sending its close_notify, and the spectls server answers
//!   gnutls-cli after receiving its close_notify.
//! - `tls12_fallback_*`: spectls with 1.3 and 1.2 against a 1.2-only OpenSSL negotiates 1.2.
//! - `downgrade_sentinel_*` (RFC 8446 4.1.3), through an in-test proxy that re-encodes the
//!   ClientHello without supported_versions (and key_share) with the `spectls::wire` types: a
//!   1.3-capable s_server then answers TLS 1.2 with DOWNGRD\x01 ending its random and the
//!   spectls client aborts with illegal_parameter; the spectls server sets the sentinel and
//!   s_client aborts ("inappropriate fallback").
//!
//! `curl` against the example server (TLS 1.3 by default) is in `examples_server.rs`.
//!
//! Peers, skipping, timeouts and the gnutls-serv network namespace work as in `interop.rs`
//! (`common::peer`): a missing binary is a `SKIPPED` line naming its package, a failure with
//! `SPECTLS_REQUIRE_PEERS=1`; every child is killed when its guard drops; sockets time out after
//! 10 s; gnutls-serv runs inside `unshare --net --pid` next to the spectls client
//! (`gnutls_serv_netns_child`, `#[ignore]`d, is that part).

mod common;

use common::peer::{
    accept, cert_file, connect, contains, find, free_port, locate, loopback_only_namespace,
    require, run_in_private_netns, start_s_server_on_free_port, Peer, TIMEOUT,
};
use common::*;
use spectls::codec::{Codec, Encode, Reader};
use spectls::crypto::suites::{self, SupportedCipherSuite};
use spectls::pki::{certs_from_pem, private_key_from_pem, RootCertStore};
use spectls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use spectls::version::{TLS12, TLS13};
use spectls::wire::tls13::Handshake;
use spectls::wire::{
    AlertDescription, CertificateType, ContentType, Extension, KeyShare, KeyShareServer,
    NamedCurve, ProtocolVersion, SignatureScheme, TLSPlaintext, HELLO_RETRY_REQUEST,
};
use spectls::{
    ClientConfig, ClientConfigBuilder, ClientConnection, Error, PeerIncompatible, ServerConfig,
    ServerConfigBuilder, ServerConnection, Stream,
};
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::thread::{self, JoinHandle};

/// How much of a peer's output a failure message shows: the payloads are tens of kilobytes.
const TRANSCRIPT_CHARS: usize = 6000;

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

// ---------------------------------------------------------------------------------------------
// The suites and their names in each peer

struct Case {
    /// The test function name, also passed to the namespace child.
    name: &'static str,
    suite: &'static SupportedCipherSuite,
    /// OpenSSL's (and the RFC's) name: `-ciphersuites`, and what s_server/s_client print.
    openssl: &'static str,
    /// GnuTLS's cipher name (priority string, and what gnutls prints).
    gnutls: &'static str,
}

impl Case {
    /// A GnuTLS priority string allowing TLS 1.3 and only this suite.
    fn gnutls_priority(&self) -> String {
        format!(
            "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+{}:-MAC-ALL:+AEAD",
            self.gnutls
        )
    }
}

static AES_128_GCM_SHA256: Case = Case {
    name: "aes_128_gcm_sha256",
    suite: &suites::TLS13_AES_128_GCM_SHA256,
    openssl: "TLS_AES_128_GCM_SHA256",
    gnutls: "AES-128-GCM",
};
static AES_256_GCM_SHA384: Case = Case {
    name: "aes_256_gcm_sha384",
    suite: &suites::TLS13_AES_256_GCM_SHA384,
    openssl: "TLS_AES_256_GCM_SHA384",
    gnutls: "AES-256-GCM",
};
static CHACHA20_POLY1305_SHA256: Case = Case {
    name: "chacha20_poly1305_sha256",
    suite: &suites::TLS13_CHACHA20_POLY1305_SHA256,
    openssl: "TLS_CHACHA20_POLY1305_SHA256",
    gnutls: "CHACHA20-POLY1305",
};

static CASES: [&Case; 3] = [
    &AES_128_GCM_SHA256,
    &AES_256_GCM_SHA384,
    &CHACHA20_POLY1305_SHA256,
];

/// One `#[test]` per suite in a module named after the pairing.
macro_rules! per_suite {
    ($module:ident, $run:ident) => {
        mod $module {
            use super::*;
            #[test]
            fn aes_128_gcm_sha256() {
                $run(&AES_128_GCM_SHA256);
            }
            #[test]
            fn aes_256_gcm_sha384() {
                $run(&AES_256_GCM_SHA384);
            }
            #[test]
            fn chacha20_poly1305_sha256() {
                $run(&CHACHA20_POLY1305_SHA256);
            }
        }
    };
}

per_suite!(
    spectls_client_vs_openssl_s_server,
    spectls_client_vs_s_server
);
per_suite!(
    openssl_s_client_vs_spectls_server,
    s_client_vs_spectls_server
);
per_suite!(gnutls_cli_vs_spectls_server, gnutls_cli_vs_spectls_server);
per_suite!(spectls_client_vs_gnutls_serv, spectls_client_vs_gnutls_serv);
per_suite!(
    spectls_client_vs_rustls_server,
    spectls_client_vs_rustls_server
);
per_suite!(
    rustls_client_vs_spectls_server,
    rustls_client_vs_spectls_server
);

// ---------------------------------------------------------------------------------------------
// Configurations

/// A spectls client trusting the test CA, TLS 1.3 only, edited by `edit`.
fn client13(edit: impl FnOnce(ClientConfigBuilder) -> ClientConfigBuilder) -> ClientConfig {
    edit(
        ClientConfig::builder()
            .with_root_certificates(roots())
            .with_protocol_versions(&[TLS13]),
    )
    .build()
    .expect("client config")
}

/// A spectls server with the ECDSA test certificate, TLS 1.3 only, edited by `edit`.
fn server13(edit: impl FnOnce(ServerConfigBuilder) -> ServerConfigBuilder) -> ServerConfig {
    edit(
        ServerConfig::builder()
            .with_protocol_versions(&[TLS13])
            .with_single_cert(
                certs_from_pem(ECDSA_CHAIN).expect("chain"),
                private_key_from_pem(ECDSA_KEY).expect("key"),
            )
            .expect("cert"),
    )
    .build()
    .expect("server config")
}

/// A spectls server with the RSA test certificate, TLS 1.3 only.
fn rsa_server13() -> ServerConfig {
    ServerConfig::builder()
        .with_protocol_versions(&[TLS13])
        .with_single_cert(
            certs_from_pem(RSA_CHAIN).expect("chain"),
            private_key_from_pem(RSA_KEY).expect("key"),
        )
        .expect("cert")
        .build()
        .expect("server config")
}

/// 3 lines of 7000 bytes: more than one 16 KiB record, lines short enough for s_server's
/// 16 KiB line buffer.
fn payload(seed: u64) -> Vec<u8> {
    text(seed, 3, 7000)
}

/// What the spectls servers answer to round `round`: the lines reversed, then a marker line.
fn server_reply(round: usize, data: &[u8]) -> Vec<u8> {
    let mut reply = reverse_lines(data);
    reply.extend_from_slice(reply_end(round).as_bytes());
    reply
}

/// Types `rounds` into `client`, each answered before the next; before every round but the
/// first, the key-update command `rekey(i)` (alone in its write), waiting (bounded) until
/// `done(client)` counts `i` of them performed. What went wrong, if anything.
fn rekeyed_rounds(
    client: &mut Peer,
    rounds: &[Vec<u8>],
    rekey: impl Fn(usize) -> &'static [u8],
    done: impl Fn(&Peer) -> usize,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (i, round) in rounds.iter().enumerate() {
        if i > 0 {
            client.write_stdin(rekey(i));
            let deadline = std::time::Instant::now() + TIMEOUT;
            while done(client) < i && std::time::Instant::now() < deadline {
                thread::sleep(std::time::Duration::from_millis(10));
            }
        }
        client.write_stdin(round);
        if !client.wait_output(reply_end(i), TIMEOUT) {
            problems.push(format!("no reply to round {i}"));
            break;
        }
    }
    problems
}

fn reply_end(round: usize) -> String {
    format!("END-OF-SPECTLS-REPLY-{round}\n")
}

/// The spectls error inside an I/O error from `Stream`.
fn tls_error(e: &io::Error) -> Option<Error> {
    e.get_ref()?.downcast_ref::<Error>().cloned()
}

// ---------------------------------------------------------------------------------------------
// The wire, as the peers exchanged it

/// The exporter label the sessions' keying material is compared under.
const EXPORTER_LABEL: &[u8] = b"EXPORTER-spectls-interop13";

/// A transport keeping a copy of every byte it reads and writes: the records as they went over
/// the wire, for checks on the plaintext part of the handshake (HelloRetryRequest, randoms).
struct Tap {
    sock: TcpStream,
    read: Vec<u8>,
    written: Vec<u8>,
}

impl Tap {
    fn new(sock: TcpStream) -> Tap {
        Tap {
            sock,
            read: Vec::new(),
            written: Vec::new(),
        }
    }
}

impl Read for Tap {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.sock.read(buf)?;
        self.read.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

impl Write for Tap {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.sock.write(buf)?;
        self.written.extend_from_slice(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.sock.flush()
    }
}

/// The first handshake message of the first record of `wire` (a server's first flight), which
/// must be a ServerHello or HelloRetryRequest: its random and, for a HelloRetryRequest, the
/// group it asks for.
fn first_server_hello(wire: &[u8]) -> Result<([u8; 32], Option<NamedCurve>), String> {
    let record = TLSPlaintext::decode(&mut Reader::new(wire))
        .map_err(|e| format!("the server's first record: {e}"))?;
    ensure!(
        record.type_ == ContentType::Handshake,
        "the server's first record is {:?}",
        record.type_
    );
    let msg = Handshake::decode(
        &mut Reader::new(record.fragment),
        Some(CertificateType::X509),
        Some(32),
    )
    .map_err(|e| format!("the server's first message: {e}"))?;
    let Handshake::ServerHello(sh) = msg else {
        return Err(format!(
            "the server's first message is {:?}",
            msg.selector()
        ));
    };
    let random: [u8; 32] = sh
        .random
        .to_vec()
        .try_into()
        .map_err(|_| "a random of 32 bytes")?;
    let retry_group = sh.extensions.iter().flatten().find_map(|e| match e {
        Extension::KeyShare(KeyShare::ServerHello(KeyShareServer::True(hrr))) => {
            Some(hrr.selected_group)
        }
        _ => None,
    });
    Ok((random, retry_group))
}

/// Whether `wire` (a server's output) starts with a HelloRetryRequest, and the group it names.
fn hello_retry_group(wire: &[u8]) -> Result<Option<NamedCurve>, String> {
    let (random, group) = first_server_hello(wire)?;
    if random.as_slice() != HELLO_RETRY_REQUEST {
        return Ok(None);
    }
    group
        .map(Some)
        .ok_or_else(|| "a HelloRetryRequest without a key_share group".into())
}

// ---------------------------------------------------------------------------------------------
// spectls over TCP: the client and the server sides

/// What a spectls endpoint negotiated, and the wire it saw.
#[derive(Default)]
struct Seen {
    version: Option<ProtocolVersion>,
    suite: Option<spectls::wire::CipherSuite>,
    group: Option<NamedCurve>,
    scheme: Option<SignatureScheme>,
    alpn: Option<Vec<u8>>,
    /// 32 bytes exported with `EXPORTER_LABEL` and no context, once the handshake is done.
    exported: Option<[u8; 32]>,
    peer_certificates: Vec<CertificateDer<'static>>,
    sni: Option<String>,
    /// Every byte the peer sent, and every byte we sent.
    wire_in: Vec<u8>,
    wire_out: Vec<u8>,
    /// What the spectls side received (servers), in order.
    received: Vec<u8>,
    /// The error the session ended with, if it failed inside TLS.
    error: Option<Error>,
}

impl Seen {
    fn of(conn: &spectls::ConnectionCommon, tap: &Tap) -> Seen {
        Seen {
            version: conn.protocol_version(),
            suite: conn.negotiated_cipher_suite(),
            group: conn.negotiated_group(),
            scheme: conn.negotiated_signature_scheme(),
            alpn: conn.alpn_protocol().map(<[u8]>::to_vec),
            exported: conn
                .export_keying_material([0u8; 32], EXPORTER_LABEL, None)
                .ok(),
            peer_certificates: conn.peer_certificates().unwrap_or_default().to_vec(),
            wire_in: tap.read.clone(),
            wire_out: tap.written.clone(),
            ..Seen::default()
        }
    }

    /// The checks every 1.3 session makes on what spectls negotiated.
    fn check(&self, case: &Case) -> Result<(), String> {
        ensure!(
            self.version == Some(TLS13),
            "spectls negotiated {:?}, want TLS 1.3",
            self.version
        );
        ensure!(
            self.suite == Some(case.suite.suite),
            "spectls negotiated {:?}, want {:?}",
            self.suite,
            case.suite.suite
        );
        Ok(())
    }
}

/// The spectls client session: `rounds` of data, each answered by the server with `answer` of
/// it (read in full before the next round); with `key_update`, `refresh_traffic_keys()` before
/// every round but the first. Then close_notify, and the server's close_notify back.
struct ClientRun<'a> {
    rounds: &'a [Vec<u8>],
    answer: fn(&[u8]) -> Vec<u8>,
    key_update: bool,
}

fn spectls_client_session(
    port: u16,
    config: ClientConfig,
    run: &ClientRun<'_>,
) -> Result<Seen, String> {
    let sock = connect(port).map_err(|e| format!("connect to 127.0.0.1:{port}: {e}"))?;
    let conn = ClientConnection::new(Arc::new(config), "localhost".try_into().expect("name"))
        .map_err(|e| format!("client: {e}"))?;
    let mut tls = Stream::new(conn, Tap::new(sock));
    tls.handshake()
        .map_err(|e| format!("spectls client handshake: {e}"))?;
    for (i, round) in run.rounds.iter().enumerate() {
        if i > 0 && run.key_update {
            tls.conn
                .refresh_traffic_keys()
                .map_err(|e| format!("refresh_traffic_keys: {e}"))?;
        }
        tls.write_all(round)
            .map_err(|e| format!("spectls client write {i}: {e}"))?;
        let want = (run.answer)(round);
        let mut got = vec![0u8; want.len()];
        tls.read_exact(&mut got)
            .map_err(|e| format!("spectls client read {i}: {e}"))?;
        ensure!(
            got == want,
            "answer {i} differs: {}",
            first_difference(&got, &want)
        );
    }
    tls.close()
        .map_err(|e| format!("spectls client close_notify: {e}"))?;
    let mut rest = Vec::new();
    match tls.read_to_end(&mut rest) {
        Ok(_) if rest.is_empty() => Ok(Seen::of(&tls.conn, &tls.sock)),
        Ok(_) => Err(format!("{} unexpected bytes after the answers", rest.len())),
        Err(e) => Err(format!(
            "no close_notify from the server after ours (want a clean end of data): {e}"
        )),
    }
}

/// As `spectls_client_session`, but the failure keeps what was seen (for tests of failures).
fn spectls_client_failing(port: u16, config: ClientConfig, run: &ClientRun<'_>) -> Seen {
    let sock = connect(port).expect("connect");
    let conn = ClientConnection::new(Arc::new(config), "localhost".try_into().expect("name"))
        .expect("client");
    let mut tls = Stream::new(conn, Tap::new(sock));
    let result = tls.handshake().and_then(|()| {
        for round in run.rounds {
            tls.write_all(round)?;
            let mut got = vec![0u8; (run.answer)(round).len()];
            tls.read_exact(&mut got)?;
        }
        tls.read_to_end(&mut Vec::new()).map(drop)
    });
    let mut seen = Seen::of(&tls.conn, &tls.sock);
    seen.error = result.err().as_ref().and_then(tls_error);
    seen
}

/// Who sends close_notify first once the spectls server has answered.
#[derive(Clone, Copy)]
enum Closer {
    /// The server closes, then waits for the client's close_notify.
    Server,
    /// The server waits for the client's close_notify, then answers it.
    Client,
}

/// What a spectls server thread saw; on failure, what went wrong too.
type ServerResult = Result<Seen, (String, Box<Seen>)>;

/// A spectls server thread for one connection on `listener`: for each of `rounds` (byte
/// counts) reads that much and answers `server_reply(round, ...)`, then exchanges close_notify
/// in the order `closer` says. Every step is bounded, so joining the thread is too. On failure
/// the error comes with what was seen (`Seen::error` holds spectls's error).
fn spawn_spectls_server(
    listener: TcpListener,
    config: ServerConfig,
    rounds: Vec<usize>,
    closer: Closer,
) -> JoinHandle<ServerResult> {
    thread::spawn(move || {
        let sock = accept(&listener).map_err(|e| (format!("accept: {e}"), Box::default()))?;
        let conn = ServerConnection::new(Arc::new(config))
            .map_err(|e| (format!("server: {e}"), Box::default()))?;
        let mut tls = Stream::new(conn, Tap::new(sock));
        let mut received = Vec::new();
        let result = serve(&mut tls, &rounds, closer, &mut received);
        let mut seen = Seen::of(&tls.conn, &tls.sock);
        seen.sni = tls.conn.server_name().map(String::from);
        seen.received = received;
        match result {
            Ok(()) => Ok(seen),
            Err((what, e)) => {
                seen.error = e.as_ref().and_then(tls_error);
                let e = e.map_or_else(String::new, |e| e.to_string());
                Err((format!("{what}: {e}"), Box::new(seen)))
            }
        }
    })
}

type ServeError = (String, Option<io::Error>);

fn serve(
    tls: &mut Stream<ServerConnection, Tap>,
    rounds: &[usize],
    closer: Closer,
    received: &mut Vec<u8>,
) -> Result<(), ServeError> {
    tls.handshake()
        .map_err(|e| ("spectls server handshake".to_string(), Some(e)))?;
    let mut buf = [0u8; 16384];
    for (i, &len) in rounds.iter().enumerate() {
        let start = received.len();
        while received.len() - start < len {
            let want = (len - (received.len() - start)).min(buf.len());
            match tls.read(&mut buf[..want]) {
                Ok(0) => return Err((format!("client closed in round {i}"), None)),
                Ok(n) => received.extend_from_slice(&buf[..n]),
                Err(e) => return Err((format!("spectls server read in round {i}"), Some(e))),
            }
        }
        let reply = server_reply(i, &received[start..]);
        tls.write_all(&reply)
            .map_err(|e| ("spectls server write".to_string(), Some(e)))?;
    }
    let expect_close = |tls: &mut Stream<ServerConnection, Tap>| match tls.read(&mut [0u8; 1024]) {
        Ok(0) => Ok(()),
        Ok(n) => Err((
            format!("{n} more bytes where close_notify was expected"),
            None,
        )),
        Err(e) => Err(("no close_notify from the client".to_string(), Some(e))),
    };
    match closer {
        Closer::Server => {
            tls.close()
                .map_err(|e| ("spectls server close_notify".to_string(), Some(e)))?;
            expect_close(tls)
        }
        Closer::Client => {
            expect_close(tls)?;
            tls.close()
                .map_err(|e| ("spectls server close_notify".to_string(), Some(e)))
        }
    }
}

/// A listener on 127.0.0.1 and its port.
fn listen() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("local address").port();
    (listener, port)
}

// ---------------------------------------------------------------------------------------------
// openssl

/// `openssl s_server -rev` (answers each line reversed) for one connection, with the ECDSA test
/// certificate and `extra`.
fn start_s_server(openssl: &Path, extra: &[&str]) -> (Peer, u16) {
    start_s_server_on_free_port(openssl, TRANSCRIPT_CHARS, |cmd| {
        cmd.args(["-naccept", "1"])
            .arg("-cert")
            .arg(cert_file("server-ecdsa.pem"))
            .arg("-key")
            .arg(cert_file("server-ecdsa.key"))
            .arg("-cert_chain")
            .arg(cert_file("ca.pem"))
            .arg("-rev")
            .args(extra);
    })
}

/// `openssl s_client` to 127.0.0.1:`port` trusting the test CA and requiring the name
/// `localhost`; `commands` leaves its typed commands (`Q`, `k`, `K`, ...) on.
fn s_client(openssl: &Path, port: u16, commands: bool, extra: &[&str]) -> Command {
    let mut cmd = Command::new(openssl);
    cmd.arg("s_client")
        .args(["-connect", &format!("127.0.0.1:{port}")])
        .arg("-CAfile")
        .arg(cert_file("ca.pem"))
        .args(["-servername", "localhost", "-verify_hostname", "localhost"])
        .arg("-verify_return_error")
        .args(extra);
    if !commands {
        cmd.arg("-nocommands");
    }
    cmd
}

/// The spectls client against `openssl s_server -rev` with `extra`; checks s_server's view
/// (version, suite, a clean close) and returns spectls's.
fn s_server_session(
    openssl: &Path,
    config: ClientConfig,
    extra: &[&str],
    key_update: bool,
) -> Result<(Seen, Peer), String> {
    let (mut server, port) = start_s_server(openssl, extra);
    let rounds = [payload(1), payload(2), payload(3)];
    let run = ClientRun {
        rounds: if key_update { &rounds } else { &rounds[..1] },
        answer: reverse_lines,
        key_update,
    };
    let result = spectls_client_session(port, config, &run);
    let status = server.wait_exit(TIMEOUT);
    let seen = result.map_err(|e| format!("{extra:?}: {e}\n{}", server.transcript()))?;
    let err = server.stderr();
    let problems: Vec<&str> = [
        (
            status.is_some_and(|s| s.success()),
            "s_server did not exit successfully",
        ),
        // -rev prints this when it reads a clean end of data (close_notify), then answers
        // with its own close_notify (which the client required).
        (
            err.contains("CONNECTION CLOSED"),
            "s_server did not see a clean close",
        ),
    ]
    .into_iter()
    .filter(|(ok, _)| !ok)
    .map(|(_, msg)| msg)
    .collect();
    ensure!(
        problems.is_empty(),
        "{extra:?}: {problems:?}\n{}",
        server.transcript()
    );
    Ok((seen, server))
}

/// s_server's own report of the version and suite.
fn check_s_server_reports(server: &Peer, version: &str, suite: &str) -> Result<(), String> {
    let err = server.stderr();
    for want in [
        format!("Protocol version: {version}"),
        format!("Ciphersuite: {suite}"),
    ] {
        ensure!(
            err.contains(&want),
            "s_server did not report {want:?}\n{}",
            server.transcript()
        );
    }
    Ok(())
}

fn spectls_client_vs_s_server(case: &'static Case) {
    let Some(openssl) = require("openssl") else {
        return;
    };
    let config = client13(|b| b);
    let extra = ["-tls1_3", "-ciphersuites", case.openssl];
    let checks = s_server_session(&openssl, config, &extra, false).and_then(|(seen, server)| {
        seen.check(case)?;
        ensure!(
            seen.peer_certificates.len() == 2,
            "the server's chain: {} certificates",
            seen.peer_certificates.len()
        );
        check_s_server_reports(&server, "TLSv1.3", case.openssl)
    });
    if let Err(e) = checks {
        panic!("{}: {e}", case.name);
    }
}

/// `openssl s_client` (`extra` added) against a spectls server with `config`, which answers
/// one round (`payload(seed)`) and closes first. Checks s_client's exit, the reply and its
/// close_notify ("closed"), the lines in `want`, and the server's SNI and data; returns the
/// server's view and s_client's output.
fn s_client_session(
    openssl: &Path,
    config: ServerConfig,
    extra: &[&str],
    want: &[&str],
) -> Result<(Seen, String), String> {
    let (listener, port) = listen();
    let data = payload(7);
    let reply = server_reply(0, &data);
    let server = spawn_spectls_server(listener, config, vec![data.len()], Closer::Server);
    let mut client = Peer::spawn(s_client(openssl, port, false, extra), TRANSCRIPT_CHARS);
    // stdin stays open until s_client exits: its end would make s_client close first.
    client.write_stdin(&data);
    let report = server.join().expect("server thread");
    let status = client.wait_exit(TIMEOUT);
    client.close_stdin();
    let out = client.stdout_bytes();
    let checks = || {
        let seen = report.map_err(|(e, _)| e)?;
        ensure!(
            seen.sni.as_deref() == Some("localhost"),
            "spectls server saw SNI {:?}",
            seen.sni
        );
        ensure!(
            seen.received == data,
            "spectls server received other data: {}",
            first_difference(&seen.received, &data)
        );
        ensure!(
            status.is_some_and(|s| s.success()),
            "s_client did not exit successfully"
        );
        ensure!(
            contains(&out, &reply),
            "s_client's output lacks the server's reply"
        );
        for want in ["Verify return code: 0 (ok)"].iter().chain(want) {
            ensure!(
                contains(&out, want.as_bytes()),
                "s_client did not print {want:?}"
            );
        }
        // s_client prints "closed" when SSL_read reports close_notify (SSL_ERROR_ZERO_RETURN).
        let end = reply_end(0);
        let after_reply = find(&out, end.as_bytes()).map_or(&out[..0], |i| &out[i..]);
        ensure!(
            contains(after_reply, b"\nclosed\n"),
            "s_client did not report the server's close_notify (\"closed\")"
        );
        Ok(seen)
    };
    checks()
        .map(|seen| (seen, client.stdout()))
        .map_err(|e| format!("{extra:?}: {e}\n{}", client.transcript()))
}

fn s_client_vs_spectls_server(case: &'static Case) {
    let Some(openssl) = require("openssl") else {
        return;
    };
    let extra = ["-tls1_3", "-ciphersuites", case.openssl];
    // No "Protocol  :" or "Cipher    :" lines: s_client prints its SSL-Session block only for a
    // session it could resume, and spectls issues no TLS 1.3 tickets (issue 14).
    let want = [format!("New, TLSv1.3, Cipher is {}\n", case.openssl)];
    let want: Vec<&str> = want.iter().map(String::as_str).collect();
    let result = s_client_session(&openssl, server13(|b| b), &extra, &want)
        .and_then(|(seen, _)| seen.check(case));
    if let Err(e) = result {
        panic!("{}: {e}", case.name);
    }
}

// ---------------------------------------------------------------------------------------------
// gnutls-cli vs spectls server

fn gnutls_cli_vs_spectls_server(case: &'static Case) {
    let Some(gnutls_cli) = require("gnutls-cli") else {
        return;
    };
    let (listener, port) = listen();
    let data = payload(11);
    let reply = server_reply(0, &data);
    // The client closes first: gnutls-cli sends close_notify at the end of its stdin, and
    // prints "Peer has closed" when the server's close_notify comes back.
    let server = spawn_spectls_server(listener, server13(|b| b), vec![data.len()], Closer::Client);
    let mut cmd = Command::new(gnutls_cli);
    cmd.arg("--x509cafile")
        .arg(cert_file("ca.pem"))
        .args(["-p", &port.to_string()])
        .args(["--sni-hostname", "localhost"])
        .args(["--verify-hostname", "localhost"])
        .args(["--priority", &case.gnutls_priority()])
        .arg("127.0.0.1");
    let mut client = Peer::spawn(cmd, TRANSCRIPT_CHARS);
    client.write_stdin(&data);
    let replied = client.wait_output(reply_end(0), TIMEOUT);
    client.close_stdin();
    let report = server.join().expect("server thread");
    let status = client.wait_exit(TIMEOUT);
    let out = client.stdout_bytes();
    let checks = || {
        let seen = report.map_err(|(e, _)| e)?;
        seen.check(case)?;
        ensure!(
            seen.received == data,
            "spectls server received other data: {}",
            first_difference(&seen.received, &data)
        );
        ensure!(
            replied && contains(&out, &reply),
            "gnutls-cli's output lacks the server's reply"
        );
        ensure!(
            status.is_some_and(|s| s.success()),
            "gnutls-cli did not exit successfully"
        );
        for want in [
            "- Status: The certificate is trusted.".to_string(),
            "- Description: (TLS1.3-X.509)-".to_string(),
            format!("-({})\n", case.gnutls),
            // Printed only for a clean close (gnutls_record_recv() == 0).
            "- Peer has closed the GnuTLS connection".to_string(),
        ] {
            ensure!(
                contains(&out, want.as_bytes()),
                "gnutls-cli did not print {want:?}"
            );
        }
        Ok(())
    };
    if let Err(e) = checks() {
        panic!("{}: {e}\n{}", case.name, client.transcript());
    }
}

/// gnutls-cli sends its share for P-256 (GnuTLS sends one per kind of group: P-256 and P-384
/// are one kind); the spectls server takes only P-384 and retries.
/// Then gnutls-cli's inline commands `^rekey^` (KeyUpdate, update_requested: we answer with
/// ours) and `^rekey1^` (update_not_requested) between rounds of data, each answered in full.
#[test]
fn gnutls_cli_hello_retry_and_key_update_vs_spectls_server() {
    let Some(gnutls_cli) = require("gnutls-cli") else {
        return;
    };
    let rounds = [payload(71), payload(72), payload(73)];
    let (listener, port) = listen();
    let config = server13(|b| b.with_groups(&[NamedCurve::Secp384r1]));
    let server = spawn_spectls_server(
        listener,
        config,
        rounds.iter().map(Vec::len).collect(),
        Closer::Client,
    );
    let mut cmd = Command::new(gnutls_cli);
    cmd.arg("--x509cafile")
        .arg(cert_file("ca.pem"))
        .args(["-p", &port.to_string()])
        .args(["--sni-hostname", "localhost"])
        .args(["--verify-hostname", "localhost"])
        .args([
            "--priority",
            "NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-SECP256R1:+GROUP-SECP384R1",
        ])
        .arg("--inline-commands")
        .arg("127.0.0.1");
    let mut client = Peer::spawn(cmd, TRANSCRIPT_CHARS);
    let problems = rekeyed_rounds(
        &mut client,
        &rounds,
        |i| if i == 1 { b"^rekey^\n" } else { b"^rekey1^\n" },
        |c| c.stdout().matches("- Rekey was completed").count(),
    );
    client.close_stdin();
    let report = server.join().expect("server thread");
    let status = client.wait_exit(TIMEOUT);
    let out = client.stdout_bytes();
    let checks = || {
        let seen = report.map_err(|(e, _)| e)?;
        ensure!(problems.is_empty(), "{problems:?}");
        ensure!(
            hello_retry_group(&seen.wire_out)? == Some(NamedCurve::Secp384r1),
            "our first message is not a HelloRetryRequest for P-384"
        );
        ensure!(
            seen.group == Some(NamedCurve::Secp384r1),
            "{:?}",
            seen.group
        );
        let all: Vec<u8> = rounds.concat();
        ensure!(
            seen.received == all,
            "the server received other data: {}",
            first_difference(&seen.received, &all)
        );
        for (i, round) in rounds.iter().enumerate() {
            ensure!(
                contains(&out, &server_reply(i, round)),
                "gnutls-cli's output lacks reply {i}"
            );
        }
        let rekeys = String::from_utf8_lossy(&out)
            .matches("- Rekey was completed")
            .count();
        ensure!(rekeys == 2, "gnutls-cli completed {rekeys} rekeys, want 2");
        for want in [
            "- Description: (TLS1.3-X.509)-(ECDHE-SECP384R1)-",
            "- Peer has closed the GnuTLS connection",
        ] {
            ensure!(
                contains(&out, want.as_bytes()),
                "gnutls-cli did not print {want:?}"
            );
        }
        ensure!(
            status.is_some_and(|s| s.success()),
            "gnutls-cli did not exit successfully"
        );
        Ok(())
    };
    if let Err(e) = checks() {
        panic!("{e}\n{}", client.transcript());
    }
}

// ---------------------------------------------------------------------------------------------
// spectls client vs gnutls-serv, inside a private network namespace (see interop.rs)

const NETNS_ENV: &str = "SPECTLS_INTEROP13_NETNS_CASE";
const NETNS_CHILD: &str = "gnutls_serv_netns_child";
const NETNS_OK: &str = "gnutls-serv TLS 1.3 netns session passed:";

fn spectls_client_vs_gnutls_serv(case: &'static Case) {
    // All three looked up before returning, so a skip names every missing one at once.
    let (Some(unshare), Some(_), Some(_)) =
        (require("unshare"), require("ip"), require("gnutls-serv"))
    else {
        return;
    };
    let marker = format!("{NETNS_OK} {}", case.name);
    run_in_private_netns(&unshare, NETNS_CHILD, (NETNS_ENV, case.name), &marker);
}

#[test]
#[ignore = "not a test on its own: spectls_client_vs_gnutls_serv::* run it inside `unshare --net`"]
fn gnutls_serv_netns_child() {
    let Ok(name) = std::env::var(NETNS_ENV) else {
        eprintln!("{NETNS_ENV} is not set: nothing to do outside spectls_client_vs_gnutls_serv");
        return;
    };
    let case = CASES
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("{NETNS_ENV}={name}: no such case"));
    // The outer test found both before starting this one: missing now is a failure, not a skip.
    let ip = locate("ip").expect("ip: found by the outer test");
    let gnutls_serv = locate("gnutls-serv").expect("gnutls-serv: found by the outer test");
    // gnutls-serv binds every interface: refuse to start it anywhere but here.
    loopback_only_namespace(&ip);

    let port = free_port(); // nothing else runs in this namespace: no race for it
    let mut cmd = Command::new(gnutls_serv);
    cmd.args(["--echo", "-p", &port.to_string()])
        .arg("--x509certfile")
        .arg(cert_file("server-ecdsa.pem"))
        .arg("--x509keyfile")
        .arg(cert_file("server-ecdsa.key"))
        .args(["--priority", &case.gnutls_priority()]);
    let mut server = Peer::spawn(cmd, TRANSCRIPT_CHARS);
    let rounds = [payload(13)];
    let run = ClientRun {
        rounds: &rounds,
        answer: <[u8]>::to_vec,
        key_update: false,
    };
    // connect() retries until gnutls-serv listens; the echo answers the payload unchanged.
    let checked = spectls_client_session(port, client13(|b| b), &run).and_then(|s| s.check(case));
    if let Err(e) = checked {
        panic!("{}: {e}\n{}", case.name, server.transcript());
    }
    for want in [
        "- Version: TLS1.3".to_string(),
        format!("- Cipher: {}", case.gnutls),
        "- Given server name[1]: localhost".to_string(),
    ] {
        assert!(
            server.wait_output(want.as_bytes(), TIMEOUT),
            "{}: gnutls-serv did not print {want:?}\n{}",
            case.name,
            server.transcript()
        );
    }
    println!("{NETNS_OK} {}", case.name);
}

// ---------------------------------------------------------------------------------------------
// rustls 0.23 (ring), in memory

/// The checks on a finished handshake between spectls and rustls.
fn check_rustls_session(
    case: Option<&Case>,
    s: &spectls::ConnectionCommon,
    r: &rustls::Connection,
) -> Result<(), String> {
    ensure!(
        s.protocol_version() == Some(TLS13),
        "spectls: version {:?}",
        s.protocol_version()
    );
    ensure!(
        r.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3),
        "rustls: version {:?}",
        r.protocol_version()
    );
    let rustls_suite = r.negotiated_cipher_suite().map(|cs| u16::from(cs.suite()));
    ensure!(
        rustls_suite == s.negotiated_cipher_suite().map(|cs| cs.value()),
        "rustls negotiated {rustls_suite:04x?}, spectls {:?}",
        s.negotiated_cipher_suite()
    );
    if let Some(case) = case {
        ensure!(
            s.negotiated_cipher_suite() == Some(case.suite.suite),
            "spectls negotiated {:?}, want {:?}",
            s.negotiated_cipher_suite(),
            case.suite.suite
        );
    }
    let rustls_group = r
        .negotiated_key_exchange_group()
        .map(|g| u16::from(g.name()));
    ensure!(
        rustls_group == s.negotiated_group().map(|g| g.value()),
        "rustls's group {rustls_group:04x?}, spectls's {:?}",
        s.negotiated_group()
    );
    Ok(())
}

fn rustls_server13(suite: Option<&Case>, group: Option<rustls::NamedGroup>) -> rustls::Connection {
    let config = RustlsServer {
        suite: suite.map(|c| c.suite.suite),
        tls13: true,
        group,
        ..RustlsServer::default()
    };
    rustls_server_with(&Arc::new(config.config()))
}

fn rustls_client13(suite: Option<&Case>, group: Option<rustls::NamedGroup>) -> rustls::Connection {
    let config = RustlsClient {
        suite: suite.map(|c| c.suite.suite),
        tls13: true,
        group,
        ..RustlsClient::default()
    };
    rustls_client_with(&Arc::new(config.config()))
}

fn spectls_client_vs_rustls_server(case: &'static Case) {
    let mut c =
        ClientConnection::new(Arc::new(client13(|b| b)), "localhost".try_into().unwrap()).unwrap();
    let mut r = rustls_server13(Some(case), None);
    let result = rustls_session_handshake(&mut c, &mut r)
        .and_then(|()| check_rustls_session(Some(case), &c, &r))
        .and_then(|()| rustls_session_data_and_close(&mut c, &mut r, true));
    if let Err(e) = result {
        panic!("{}: {e}", case.name);
    }
    let rustls::Connection::Server(server) = &r else {
        unreachable!()
    };
    assert_eq!(
        server.server_name(),
        Some("localhost"),
        "rustls server: SNI"
    );
}

fn rustls_client_vs_spectls_server(case: &'static Case) {
    let mut s = ServerConnection::new(Arc::new(server13(|b| b))).unwrap();
    let mut r = rustls_client13(Some(case), None);
    let result = rustls_session_handshake(&mut s, &mut r)
        .and_then(|()| check_rustls_session(Some(case), &s, &r))
        .and_then(|()| rustls_session_data_and_close(&mut s, &mut r, false));
    if let Err(e) = result {
        panic!("{}: {e}", case.name);
    }
    assert_eq!(s.server_name(), Some("localhost"), "spectls server: SNI");
}

// ---------------------------------------------------------------------------------------------
// Groups

/// OpenSSL's names for a group: `-groups`, and s_client's "Server Temp Key" line.
const GROUPS: [(NamedCurve, &str, &str); 3] = [
    (
        NamedCurve::X25519,
        "X25519",
        "Server Temp Key: X25519, 253 bits",
    ),
    (
        NamedCurve::Secp256r1,
        "P-256",
        "Server Temp Key: ECDH, prime256v1, 256 bits",
    ),
    (
        NamedCurve::Secp384r1,
        "P-384",
        "Server Temp Key: ECDH, secp384r1, 384 bits",
    ),
];

/// The spectls client offering (and sending its share for) only the group s_server is held to:
/// that group, and no HelloRetryRequest.
#[test]
fn groups_spectls_client_vs_openssl_s_server() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    for (group, name, _) in GROUPS {
        let config = client13(|b| b.with_groups(&[group]));
        let extra = ["-tls1_3", "-groups", name];
        let checked = s_server_session(&openssl, config, &extra, false).and_then(|(seen, _)| {
            ensure!(
                seen.group == Some(group),
                "negotiated {:?}, want {group:?}",
                seen.group
            );
            ensure!(
                hello_retry_group(&seen.wire_in)?.is_none(),
                "a HelloRetryRequest though our share was for {group:?}"
            );
            ensure!(seen.version == Some(TLS13), "version {:?}", seen.version);
            Ok(())
        });
        if let Err(e) = checked {
            panic!("{name}: {e}");
        }
    }
}

#[test]
fn groups_openssl_s_client_vs_spectls_server() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    for (group, name, temp_key) in GROUPS {
        let extra = ["-tls1_3", "-groups", name];
        let checked = s_client_session(&openssl, server13(|b| b), &extra, &[temp_key]).and_then(
            |(seen, _)| {
                ensure!(
                    seen.group == Some(group),
                    "negotiated {:?}, want {group:?}",
                    seen.group
                );
                ensure!(
                    hello_retry_group(&seen.wire_out)?.is_none(),
                    "we sent a HelloRetryRequest for a share we take"
                );
                Ok(())
            },
        );
        if let Err(e) = checked {
            panic!("{name}: {e}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Signatures and fragmentation

/// The length of every protected record in `wire` (its header left out).
fn protected_lengths(wire: &[u8]) -> Vec<usize> {
    split_records(wire)
        .iter()
        .filter(|(t, _)| *t == ContentType::ApplicationData)
        .map(|(_, r)| r.len() - 5)
        .collect()
}

/// s_server padding its records and without middlebox compatibility; the RSA certificate
/// (TLS 1.3 signs with RSA-PSS only, RFC 8446 4.2.3), with each RSA-PSS
/// hash s_server can be held to, and s_server cutting every record to 512 bytes (its encrypted
/// Certificate message, over 1 KB with the RSA chain, arrives in pieces).
#[test]
fn variants_spectls_client_vs_openssl_s_server() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    use SignatureScheme as S;
    let (rsa_cert, rsa_key) = (cert_file("server-rsa.pem"), cert_file("server-rsa.key"));
    let rsa = |extra: &[&str]| -> Vec<String> {
        [
            "-tls1_3",
            "-cert",
            &rsa_cert.to_string_lossy(),
            "-key",
            &rsa_key.to_string_lossy(),
        ]
        .iter()
        .map(|a| a.to_string())
        .chain(extra.iter().map(|a| a.to_string()))
        .collect()
    };
    let ecdsa = |extra: &[&str]| -> Vec<String> {
        std::iter::once("-tls1_3")
            .chain(extra.iter().copied())
            .map(String::from)
            .collect()
    };
    let variants: [(Vec<String>, &[S]); 7] = [
        // Every record padded to a multiple of 512 bytes (RFC 8446 5.4): we strip the zeros.
        (
            ecdsa(&["-record_padding", "512"]),
            &[S::EcdsaSecp256r1Sha256],
        ),
        // No middlebox compatibility (RFC 8446 D.4): no ChangeCipherSpec from s_server.
        (ecdsa(&["-no_middlebox"]), &[S::EcdsaSecp256r1Sha256]),
        (
            rsa(&[]),
            &[
                S::RsaPssRsaeSha256,
                S::RsaPssRsaeSha384,
                S::RsaPssRsaeSha512,
            ],
        ),
        (rsa(&["-sigalgs", "RSA-PSS+SHA256"]), &[S::RsaPssRsaeSha256]),
        (rsa(&["-sigalgs", "RSA-PSS+SHA384"]), &[S::RsaPssRsaeSha384]),
        (rsa(&["-sigalgs", "RSA-PSS+SHA512"]), &[S::RsaPssRsaeSha512]),
        (
            rsa(&["-max_send_frag", "512"]),
            &[
                S::RsaPssRsaeSha256,
                S::RsaPssRsaeSha384,
                S::RsaPssRsaeSha512,
            ],
        ),
    ];
    for (extra, schemes) in variants {
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        let (seen, _) = s_server_session(&openssl, client13(|b| b), &extra, false)
            .unwrap_or_else(|e| panic!("{e}"));
        if extra.contains(&"-record_padding") {
            // Protected records: inner plaintext padded to 512-byte blocks, plus the 16-byte tag.
            let lengths = protected_lengths(&seen.wire_in);
            assert!(
                !lengths.is_empty() && lengths.iter().all(|n| n % 512 == 16),
                "s_server's protected records are not padded: {lengths:?}"
            );
        }
        if extra.contains(&"-no_middlebox") {
            let ccs =
                types_of(&split_records(&seen.wire_in)).contains(&ContentType::ChangeCipherSpec);
            assert!(!ccs, "s_server sent ChangeCipherSpec with -no_middlebox");
        }
        assert_eq!(seen.version, Some(TLS13), "{extra:?}");
        assert!(
            seen.scheme.is_some_and(|s| schemes.contains(&s)),
            "{extra:?}: signature scheme {:?}, want one of {schemes:?}",
            seen.scheme
        );
    }
}

/// The spectls server against s_client padding its records or without middlebox
/// compatibility; then with the RSA certificate, s_client held to each RSA-PSS hash.
#[test]
fn variants_openssl_s_client_vs_spectls_server() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    // s_client padding its records, and without middlebox compatibility (an empty
    // legacy_session_id, which we echo, and no ChangeCipherSpec).
    for extra in [
        &["-tls1_3", "-record_padding", "512"][..],
        &["-tls1_3", "-no_middlebox"],
    ] {
        let want = ["New, TLSv1.3, Cipher is "];
        let (seen, _) = s_client_session(&openssl, server13(|b| b), extra, &want)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(seen.version, Some(TLS13), "{extra:?}");
        if extra.contains(&"-record_padding") {
            // Protected records: inner plaintext padded to 512-byte blocks, plus the 16-byte tag.
            let lengths = protected_lengths(&seen.wire_in);
            assert!(
                !lengths.is_empty() && lengths.iter().all(|n| n % 512 == 16),
                "s_client's protected records are not padded: {lengths:?}"
            );
        } else {
            let ccs =
                types_of(&split_records(&seen.wire_in)).contains(&ContentType::ChangeCipherSpec);
            assert!(!ccs, "s_client sent ChangeCipherSpec with -no_middlebox");
        }
    }
    use SignatureScheme as S;
    for (sigalgs, digest, scheme) in [
        ("RSA-PSS+SHA256", "SHA256", S::RsaPssRsaeSha256),
        ("RSA-PSS+SHA384", "SHA384", S::RsaPssRsaeSha384),
        ("RSA-PSS+SHA512", "SHA512", S::RsaPssRsaeSha512),
    ] {
        let extra = ["-tls1_3", "-sigalgs", sigalgs];
        let want = [
            "Peer signature type: RSA-PSS".to_string(),
            format!("Peer signing digest: {digest}"),
        ];
        let want: Vec<&str> = want.iter().map(String::as_str).collect();
        let (seen, _) = s_client_session(&openssl, rsa_server13(), &extra, &want)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(seen.version, Some(TLS13), "{sigalgs}");
        assert_eq!(seen.scheme, Some(scheme), "{sigalgs}");
    }
}

/// A server certificate for localhost from a fresh rcgen CA, its key of `alg`, and the files
/// OpenSSL takes (`ca.pem`, `server.pem`, `server.key`).
struct ServerIdentity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    roots: RootCertStore,
    dir: TempDir,
}

impl ServerIdentity {
    /// `key` (PEM) if given, else a fresh one.
    fn new(
        test: &str,
        alg: &'static rcgen::SignatureAlgorithm,
        key: Option<&str>,
    ) -> ServerIdentity {
        let ca = rcgen_ca("spectls interop13 server CA");
        let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("params");
        let key = match key {
            Some(pem) => rcgen::KeyPair::from_pem_and_sign_algo(pem, alg).expect("key"),
            None => rcgen::KeyPair::generate_for(alg).expect("key"),
        };
        let cert = params.signed_by(&key, &ca).expect("server certificate");
        let dir = TempDir::new(test);
        for (name, pem) in [
            ("ca.pem", ca.pem()),
            ("server.pem", cert.pem()),
            ("server.key", key.serialize_pem()),
        ] {
            std::fs::write(dir.0.join(name), pem).expect("write a PEM file");
        }
        let mut roots = RootCertStore::empty();
        roots.add(ca.der().clone()).expect("root");
        ServerIdentity {
            chain: vec![cert.der().clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            roots,
            dir,
        }
    }
}

/// TLS 1.3 ties each ECDSA scheme to its curve (RFC 8446 4.2.3): a P-384 key signs with
/// ecdsa_secp384r1_sha384 only. And Ed25519. A server key of each, both ways with OpenSSL.
#[test]
fn p384_and_ed25519_server_keys_with_openssl() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    for (alg, scheme, openssl_type) in [
        (
            &rcgen::PKCS_ECDSA_P384_SHA384,
            SignatureScheme::EcdsaSecp384r1Sha384,
            "Peer signature type: ECDSA",
        ),
        (
            &rcgen::PKCS_ED25519,
            SignatureScheme::Ed25519,
            "Peer signature type: ed25519",
        ),
    ] {
        // ring writes Ed25519 keys as PKCS#8 v2 (with the public key), which OpenSSL 3.0
        // cannot read: OpenSSL makes that one (v1), and both sides use it.
        let generated = (scheme == SignatureScheme::Ed25519).then(|| {
            let out = Command::new(&openssl)
                .args(["genpkey", "-algorithm", "ed25519"])
                .output()
                .expect("openssl genpkey");
            String::from_utf8(out.stdout).expect("PEM")
        });
        let id = ServerIdentity::new(&format!("server-key-{scheme:?}"), alg, generated.as_deref());
        // spectls client -> s_server with that key
        let (cert, key) = (id.dir.file("server.pem"), id.dir.file("server.key"));
        let extra = ["-tls1_3", "-cert", &cert, "-key", &key];
        let config = ClientConfig::builder()
            .with_root_certificates(id.roots.clone())
            .with_protocol_versions(&[TLS13])
            .build()
            .expect("client config");
        let (seen, _) = s_server_session(&openssl, config, &extra, false)
            .unwrap_or_else(|e| panic!("{scheme:?}: {e}"));
        assert_eq!(seen.scheme, Some(scheme), "spectls client");

        // s_client -> spectls server with that key
        let config = ServerConfig::builder()
            .with_protocol_versions(&[TLS13])
            .with_single_cert(id.chain.clone(), id.key.clone_key())
            .expect("cert")
            .build()
            .expect("server config");
        let (listener, port) = listen();
        let data = payload(81);
        let server = spawn_spectls_server(listener, config, vec![data.len()], Closer::Server);
        let mut cmd = Command::new(&openssl);
        cmd.arg("s_client")
            .args(["-connect", &format!("127.0.0.1:{port}")])
            .args(["-tls1_3", "-CAfile", &id.dir.file("ca.pem")])
            .args(["-servername", "localhost", "-verify_hostname", "localhost"])
            .args(["-verify_return_error", "-nocommands"]);
        let mut client = Peer::spawn(cmd, TRANSCRIPT_CHARS);
        client.write_stdin(&data);
        let report = server.join().expect("server thread");
        client.wait_exit(TIMEOUT);
        let out = client.stdout();
        match report {
            Ok(seen) => assert_eq!(seen.scheme, Some(scheme), "spectls server"),
            Err((e, _)) => panic!("{scheme:?}: {e}\n{}", client.transcript()),
        }
        for want in [openssl_type, "Verify return code: 0 (ok)", "\nclosed\n"] {
            assert!(
                out.contains(want),
                "{scheme:?}: s_client did not print {want:?}\n{}",
                client.transcript()
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// HelloRetryRequest

/// The spectls client's default share is X25519; s_server takes only P-256 (then P-384), so it
/// asks for that one in a HelloRetryRequest. s_server's `-msg` shows both ClientHellos.
#[test]
fn hello_retry_spectls_client_vs_openssl_s_server() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    for (group, name, _) in &GROUPS[1..] {
        let extra = ["-tls1_3", "-groups", name, "-msg"];
        let checked = s_server_session(&openssl, client13(|b| b), &extra, false).and_then(
            |(seen, server)| {
                ensure!(
                    hello_retry_group(&seen.wire_in)? == Some(*group),
                    "s_server's first message is not a HelloRetryRequest for {group:?}"
                );
                ensure!(
                    seen.group == Some(*group),
                    "negotiated {:?}, want {group:?}",
                    seen.group
                );
                let hellos = server.stdout().matches(", ClientHello").count();
                ensure!(
                    hellos == 2,
                    "s_server's -msg shows {hellos} ClientHellos, want 2\n{}",
                    server.transcript()
                );
                Ok(())
            },
        );
        if let Err(e) = checked {
            panic!("{name}: {e}");
        }
    }
}

/// s_client sends its share for X25519, the first of its groups; the spectls server takes only
/// P-256 and retries. s_client's `-trace` shows the HelloRetryRequest's random (RFC 8446 4.1.3:
/// SHA-256 of "HelloRetryRequest", printed as a time and 28 bytes) and two ClientHellos.
#[test]
fn hello_retry_openssl_s_client_vs_spectls_server() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    let config = server13(|b| b.with_groups(&[NamedCurve::Secp256r1]));
    let extra = ["-tls1_3", "-groups", "X25519:P-256", "-trace"];
    let hrr_random = hex(&HELLO_RETRY_REQUEST).to_uppercase();
    let want = [
        format!("gmt_unix_time=0x{}", &hrr_random[..8]),
        format!("random_bytes (len=28): {}", &hrr_random[8..]),
        "Server Temp Key: ECDH, prime256v1, 256 bits".to_string(),
    ];
    let want: Vec<&str> = want.iter().map(String::as_str).collect();
    let checked = s_client_session(&openssl, config, &extra, &want).and_then(|(seen, out)| {
        ensure!(
            hello_retry_group(&seen.wire_out)? == Some(NamedCurve::Secp256r1),
            "our first message is not a HelloRetryRequest for P-256"
        );
        ensure!(
            seen.group == Some(NamedCurve::Secp256r1),
            "{:?}",
            seen.group
        );
        let hellos = out.matches("    ClientHello, Length=").count();
        ensure!(hellos == 2, "s_client's -trace shows {hellos} ClientHellos");
        Ok(())
    });
    if let Err(e) = checked {
        panic!("{e}");
    }
}

/// rustls takes only P-256: the spectls client's X25519 share gets a HelloRetryRequest, which
/// both sides see (rustls's `handshake_kind`, the first record spectls received).
#[test]
fn hello_retry_spectls_client_vs_rustls_server() {
    let mut c =
        ClientConnection::new(Arc::new(client13(|b| b)), "localhost".try_into().unwrap()).unwrap();
    let mut r = rustls_server13(None, Some(rustls::NamedGroup::secp256r1));
    rustls_in(&mut r, &drain(&mut c));
    let first_flight = rustls_out(&mut r);
    assert_eq!(
        hello_retry_group(&first_flight),
        Ok(Some(NamedCurve::Secp256r1)),
        "rustls's first message"
    );
    feed(&mut c, &first_flight).expect("spectls takes the HelloRetryRequest");
    let result = rustls_session_handshake(&mut c, &mut r)
        .and_then(|()| check_rustls_session(None, &c, &r))
        .and_then(|()| rustls_session_data_and_close(&mut c, &mut r, true));
    result.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.negotiated_group(), Some(NamedCurve::Secp256r1));
    assert_eq!(
        r.handshake_kind(),
        Some(rustls::HandshakeKind::FullWithHelloRetryRequest)
    );
}

/// rustls sends its share for X25519; the spectls server takes only P-384 and retries.
#[test]
fn hello_retry_rustls_client_vs_spectls_server() {
    let config = server13(|b| b.with_groups(&[NamedCurve::Secp384r1]));
    let mut s = ServerConnection::new(Arc::new(config)).unwrap();
    let mut r = rustls_client13(None, None);
    feed(&mut s, &rustls_out(&mut r)).expect("spectls takes rustls's ClientHello");
    let first_flight = drain(&mut s);
    assert_eq!(
        hello_retry_group(&first_flight),
        Ok(Some(NamedCurve::Secp384r1)),
        "our first message"
    );
    rustls_in(&mut r, &first_flight);
    let result = rustls_session_handshake(&mut s, &mut r)
        .and_then(|()| check_rustls_session(None, &s, &r))
        .and_then(|()| rustls_session_data_and_close(&mut s, &mut r, false));
    result.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.negotiated_group(), Some(NamedCurve::Secp384r1));
    assert_eq!(
        r.handshake_kind(),
        Some(rustls::HandshakeKind::FullWithHelloRetryRequest)
    );
}

// ---------------------------------------------------------------------------------------------
// Client authentication

/// A directory of this test's own under the system's temporary one, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("spectls-interop13-{}-{test}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temporary directory");
        TempDir(dir)
    }

    /// The path of `name` in it, as a peer's argument.
    fn file(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A client certificate from a fresh rcgen CA, as the peers take it: DER for spectls, PEM
/// files (`ca.pem`, `client.pem`, `client.key`) for openssl.
struct ClientIdentity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    ca: CertificateDer<'static>,
    roots: RootCertStore,
    dir: TempDir,
}

impl ClientIdentity {
    fn new(test: &str) -> ClientIdentity {
        Self::with_key(test, rcgen::KeyPair::generate().expect("key"))
    }

    fn with_key(test: &str, key: rcgen::KeyPair) -> ClientIdentity {
        use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose};
        let ca = rcgen_ca("spectls interop13 client CA");
        let mut params =
            CertificateParams::new(vec!["client.test".to_string()]).expect("client params");
        params
            .distinguished_name
            .push(DnType::CommonName, "spectls interop13 client");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let cert = params.signed_by(&key, &ca).expect("client certificate");
        let dir = TempDir::new(test);
        for (name, pem) in [
            ("ca.pem", ca.pem()),
            ("client.pem", cert.pem()),
            ("client.key", key.serialize_pem()),
        ] {
            std::fs::write(dir.0.join(name), pem).expect("write a PEM file");
        }
        let mut roots = RootCertStore::empty();
        roots.add(ca.der().clone()).expect("root");
        ClientIdentity {
            chain: vec![cert.der().clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            ca: ca.der().clone(),
            roots,
            dir,
        }
    }

    fn file(&self, name: &str) -> String {
        self.dir.file(name)
    }
}

/// s_client with `-cert/-key` against a spectls server requiring a client certificate: the
/// server has the verified chain.
#[test]
fn client_auth_openssl_s_client_with_cert_vs_spectls_server_requiring() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    let id = ClientIdentity::new("s-client-cert");
    let config =
        server13(|b| b.with_client_cert_verifier(client_verifier(id.roots.clone(), false)));
    let (cert, key) = (id.file("client.pem"), id.file("client.key"));
    let extra = ["-tls1_3", "-cert", &cert, "-key", &key];
    let (seen, _) = s_client_session(&openssl, config, &extra, &["New, TLSv1.3, Cipher is "])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(seen.peer_certificates, id.chain, "the client's chain");
}

/// s_client without a certificate against a spectls server that asks but does not require
/// one: the handshake completes (an empty Certificate) and the server has no client chain.
#[test]
fn client_auth_openssl_s_client_without_cert_vs_spectls_server_optional() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    let id = ClientIdentity::new("s-client-optional");
    let config = server13(|b| b.with_client_cert_verifier(client_verifier(id.roots.clone(), true)));
    let (seen, out) = s_client_session(
        &openssl,
        config,
        &["-tls1_3"],
        &["New, TLSv1.3, Cipher is "],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(seen.peer_certificates.is_empty(), "a client chain appeared");
    // The server did ask (a CertificateRequest names its CA).
    assert!(
        out.contains("Acceptable client certificate CA names")
            && out.contains("interop13 client CA"),
        "s_client saw no CertificateRequest naming the CA:\n{out}"
    );
}

/// s_client without a certificate against a spectls server requiring one: the server fails
/// with certificate_required (RFC 8446 4.4.2.4), and s_client reports that alert.
#[test]
fn client_auth_openssl_s_client_without_cert_vs_spectls_server_requiring() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    let id = ClientIdentity::new("s-client-required");
    let config =
        server13(|b| b.with_client_cert_verifier(client_verifier(id.roots.clone(), false)));
    let (listener, port) = listen();
    let server = spawn_spectls_server(listener, config, vec![1], Closer::Server);
    let mut client = Peer::spawn(
        s_client(&openssl, port, false, &["-tls1_3"]),
        TRANSCRIPT_CHARS,
    );
    client.write_stdin(b"x\n");
    let report = server.join().expect("server thread");
    client.wait_exit(TIMEOUT);
    let Err((e, seen)) = report else {
        panic!(
            "the server accepted no certificate\n{}",
            client.transcript()
        );
    };
    assert_eq!(
        seen.error,
        Some(Error::PeerIncompatible(
            PeerIncompatible::CertificateRequired
        )),
        "{e}"
    );
    assert_eq!(
        seen.error.as_ref().and_then(Error::alert),
        Some(AlertDescription::CertificateRequired)
    );
    assert!(
        client.wait_output("alert certificate required", TIMEOUT),
        "s_client did not report certificate_required\n{}",
        client.transcript()
    );
}

/// The spectls client presents its certificate to `s_server -Verify 1` (required), which
/// verifies it against the client CA and prints its subject.
#[test]
fn client_auth_spectls_client_with_cert_vs_openssl_s_server() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    let id = ClientIdentity::new("spectls-client-cert");
    let ca = id.file("ca.pem");
    let config = client13(|b| {
        b.with_client_auth_cert(id.chain.clone(), id.key.clone_key())
            .expect("client certificate")
    });
    let extra = ["-tls1_3", "-Verify", "1", "-CAfile", &ca];
    let (_, server) =
        s_server_session(&openssl, config, &extra, false).unwrap_or_else(|e| panic!("{e}"));
    let err = server.stderr();
    for want in ["depth=0 CN = spectls interop13 client", "verify return:1"] {
        assert!(
            server.stdout().contains(want) || err.contains(want),
            "s_server did not print {want:?}\n{}",
            server.transcript()
        );
    }
}

/// No certificate for `s_server -verify 1` (optional): our empty Certificate completes the
/// handshake.
#[test]
fn client_auth_spectls_client_without_cert_vs_openssl_s_server_optional() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    let id = ClientIdentity::new("spectls-client-optional");
    let ca = id.file("ca.pem");
    let extra = ["-tls1_3", "-verify", "1", "-CAfile", &ca, "-msg"];
    let (seen, server) = s_server_session(&openssl, client13(|b| b), &extra, false)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(seen.version, Some(TLS13));
    // s_server asked, and got an empty Certificate: no context, no certificates.
    let out = server.stdout();
    let asked = out
        .lines()
        .any(|l| l.starts_with(">>> TLS 1.3, Handshake [") && l.ends_with("], CertificateRequest"));
    let empty = "<<< TLS 1.3, Handshake [length 0008], Certificate\n    0b 00 00 04 00 00 00 00\n";
    assert!(
        asked && out.contains(empty),
        "s_server's -msg lacks its CertificateRequest or our empty Certificate\n{}",
        server.transcript()
    );
}

/// No certificate for `s_server -Verify 1` (required): s_server sends certificate_required,
/// which the spectls client sees after its Finished (its handshake had completed).
#[test]
fn client_auth_spectls_client_without_cert_vs_openssl_s_server_requiring() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    let id = ClientIdentity::new("spectls-client-required");
    let ca = id.file("ca.pem");
    let (mut server, port) = start_s_server(&openssl, &["-tls1_3", "-Verify", "1", "-CAfile", &ca]);
    let rounds = [payload(17)];
    let run = ClientRun {
        rounds: &rounds,
        answer: reverse_lines,
        key_update: false,
    };
    let seen = spectls_client_failing(port, client13(|b| b), &run);
    server.wait_exit(TIMEOUT);
    assert_eq!(
        seen.error,
        Some(Error::AlertReceived(AlertDescription::CertificateRequired)),
        "\n{}",
        server.transcript()
    );
    assert!(
        server
            .stderr()
            .contains("peer did not return a certificate"),
        "s_server's reason\n{}",
        server.transcript()
    );
}

/// Client keys other than P-256, both ways with OpenSSL: RSA (the test RSA key: CertificateVerify
/// with RSA-PSS), P-384 and Ed25519 (made by OpenSSL: see `p384_and_ed25519_server_keys...`).
#[test]
fn client_auth_key_types_with_openssl() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    let ed25519 = Command::new(&openssl)
        .args(["genpkey", "-algorithm", "ed25519"])
        .output()
        .expect("openssl genpkey");
    let keys = [
        (
            "rsa",
            rcgen::KeyPair::from_pem_and_sign_algo(
                &String::from_utf8_lossy(RSA_KEY),
                &rcgen::PKCS_RSA_SHA256,
            ),
        ),
        (
            "p384",
            rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384),
        ),
        (
            "ed25519",
            rcgen::KeyPair::from_pem_and_sign_algo(
                &String::from_utf8_lossy(&ed25519.stdout),
                &rcgen::PKCS_ED25519,
            ),
        ),
    ];
    for (name, key) in keys {
        let id = ClientIdentity::with_key(&format!("client-key-{name}"), key.expect("key"));
        // The spectls client -> s_server -Verify 1
        let ca = id.file("ca.pem");
        let config = client13(|b| {
            b.with_client_auth_cert(id.chain.clone(), id.key.clone_key())
                .expect("client certificate")
        });
        let extra = ["-tls1_3", "-Verify", "1", "-CAfile", &ca];
        let (_, server) = s_server_session(&openssl, config, &extra, false)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let err = server.stderr();
        assert!(
            err.contains("depth=0 CN = spectls interop13 client")
                && err.contains("verify return:1"),
            "{name}: s_server did not verify our certificate\n{}",
            server.transcript()
        );
        // s_client -cert/-key -> a spectls server requiring a certificate
        let config =
            server13(|b| b.with_client_cert_verifier(client_verifier(id.roots.clone(), false)));
        let (cert, key) = (id.file("client.pem"), id.file("client.key"));
        let extra = ["-tls1_3", "-cert", &cert, "-key", &key];
        let (seen, _) = s_client_session(&openssl, config, &extra, &["New, TLSv1.3, Cipher is "])
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(seen.peer_certificates, id.chain, "{name}");
    }
}

/// rustls requiring a client certificate, the spectls client presenting one; then rustls
/// presenting one to a spectls server requiring it. Each side has the other's chain.
#[test]
fn client_auth_with_rustls_both_ways() {
    let id = ClientIdentity::new("rustls");
    // spectls client -> rustls server
    let config = client13(|b| {
        b.with_client_auth_cert(id.chain.clone(), id.key.clone_key())
            .expect("client certificate")
    });
    let mut c = ClientConnection::new(Arc::new(config), "localhost".try_into().unwrap()).unwrap();
    let server = RustlsServer {
        tls13: true,
        client_ca: Some(&id.ca),
        ..RustlsServer::default()
    };
    let mut r = rustls_server_with(&Arc::new(server.config()));
    rustls_session_handshake(&mut c, &mut r)
        .and_then(|()| check_rustls_session(None, &c, &r))
        .and_then(|()| rustls_session_data_and_close(&mut c, &mut r, true))
        .unwrap_or_else(|e| panic!("spectls client: {e}"));
    assert_eq!(r.peer_certificates(), Some(&id.chain[..]));

    // rustls client -> spectls server
    let config =
        server13(|b| b.with_client_cert_verifier(client_verifier(id.roots.clone(), false)));
    let mut s = ServerConnection::new(Arc::new(config)).unwrap();
    let client = RustlsClient {
        tls13: true,
        identity: Some((id.chain.clone(), id.key.clone_key())),
        ..RustlsClient::default()
    };
    let mut r = rustls_client_with(&Arc::new(client.config()));
    rustls_session_handshake(&mut s, &mut r)
        .and_then(|()| check_rustls_session(None, &s, &r))
        .and_then(|()| rustls_session_data_and_close(&mut s, &mut r, false))
        .unwrap_or_else(|e| panic!("spectls server: {e}"));
    assert_eq!(s.peer_certificates(), Some(&id.chain[..]));
}

// ---------------------------------------------------------------------------------------------
// Secrets, exporter, ALPN

/// Every secret a key log gets, as `LABEL client_random secret` lines (NSS key log format).
#[derive(Debug, Default)]
struct KeyLogLines(std::sync::Mutex<Vec<String>>);

impl spectls::KeyLog for KeyLogLines {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let line = format!("{label} {} {}", hex(client_random), hex(secret));
        self.0.lock().expect("lock").push(line);
    }
}

/// The spectls server's key log and s_client's `-keylogfile` hold the same five TLS 1.3
/// secrets (both handshake and both application traffic secrets, the exporter secret), and
/// keying material exported under one label with no context (RFC 8446 7.5: an empty one) is
/// the same on both sides (s_client's `-keymatexport`).
#[test]
fn secrets_and_exporter_match_openssl_s_client() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    let dir = TempDir::new("keylog");
    let keylog = dir.file("keylog.txt");
    let ours = Arc::new(KeyLogLines::default());
    let config = server13(|b| b.with_key_log(ours.clone()));
    let label = String::from_utf8_lossy(EXPORTER_LABEL).into_owned();
    let extra = [
        "-tls1_3",
        "-keylogfile",
        &keylog,
        "-keymatexport",
        &label,
        "-keymatexportlen",
        "32",
    ];
    let (seen, out) =
        s_client_session(&openssl, config, &extra, &[]).unwrap_or_else(|e| panic!("{e}"));
    // `LABEL client_random secret`; OpenSSL may write the hex in either case.
    let mut theirs: Vec<String> = std::fs::read_to_string(&keylog)
        .expect("s_client's key log")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| match l.split_once(' ') {
            Some((label, hex)) => format!("{label} {}", hex.to_ascii_lowercase()),
            None => l.to_string(),
        })
        .collect();
    let mut ours = ours.0.lock().expect("lock").clone();
    theirs.sort();
    ours.sort();
    let labels: Vec<&str> = ours.iter().filter_map(|l| l.split(' ').next()).collect();
    assert_eq!(
        labels,
        [
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            "CLIENT_TRAFFIC_SECRET_0",
            "EXPORTER_SECRET",
            "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            "SERVER_TRAFFIC_SECRET_0",
        ]
    );
    assert_eq!(ours, theirs, "the key logs differ");
    let exported = seen.exported.expect("exported keying material");
    let want = format!("Keying material: {}", hex(&exported).to_uppercase());
    assert!(
        out.contains(&want),
        "s_client exported other keying material than {want:?}:\n{out}"
    );
}

/// ALPN each way: the server's choice (from the client's list) on both sides.
#[test]
fn alpn_with_openssl_both_ways() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    let config = client13(|b| b.with_alpn_protocols(vec![b"h2".to_vec(), b"http/1.1".to_vec()]));
    let (seen, mut server) =
        s_server_session(&openssl, config, &["-tls1_3", "-alpn", "http/1.1"], false)
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(seen.alpn.as_deref(), Some(&b"http/1.1"[..]));
    assert!(
        server.wait_output("ALPN protocols selected: http/1.1", TIMEOUT),
        "{}",
        server.transcript()
    );

    let config = server13(|b| b.with_alpn_protocols(vec![b"http/1.1".to_vec()]));
    let extra = ["-tls1_3", "-alpn", "h2,http/1.1"];
    let (seen, _) = s_client_session(&openssl, config, &extra, &["ALPN protocol: http/1.1"])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(seen.alpn.as_deref(), Some(&b"http/1.1"[..]));
}

// ---------------------------------------------------------------------------------------------
// KeyUpdate

/// `payload(seed)` with every line starting with `#`, so that no line is one of s_client's
/// command letters.
fn command_safe_payload(seed: u64) -> Vec<u8> {
    let mut out = Vec::new();
    for line in text(seed, 3, 6000).split_inclusive(|&b| b == b'\n') {
        out.push(b'#');
        out.extend_from_slice(line);
    }
    out
}

/// s_client's `-msg` lines for a KeyUpdate it sent (`>>>`) or received (`<<<`), with the
/// message bytes: `update_requested` is its last byte.
fn key_update_lines(direction: &str, update_requested: bool) -> String {
    format!(
        "{direction} TLS 1.3, Handshake [length 0005], KeyUpdate\n    18 00 00 01 0{}\n",
        u8::from(update_requested)
    )
}

/// s_client with its commands on: after a first round of data, `k` (KeyUpdate,
/// update_not_requested), a second round, `K` (update_requested: the spectls server must send
/// its own KeyUpdate, update_not_requested), a third round. s_client's `-msgfile` shows the
/// KeyUpdates each way; every round is answered in full (under the keys both sides moved to).
#[test]
fn key_update_openssl_s_client_commands_vs_spectls_server() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    let rounds = [
        command_safe_payload(21),
        command_safe_payload(22),
        command_safe_payload(23),
    ];
    let (listener, port) = listen();
    let server = spawn_spectls_server(
        listener,
        server13(|b| b),
        rounds.iter().map(Vec::len).collect(),
        Closer::Server,
    );
    // The message trace in a file: on stdout it would cut the replies apart.
    let dir = TempDir::new("s-client-key-update");
    let msgfile = dir.file("msg.txt");
    let mut client = Peer::spawn(
        s_client(
            &openssl,
            port,
            true,
            &["-tls1_3", "-msg", "-msgfile", &msgfile],
        ),
        TRANSCRIPT_CHARS,
    );
    // Each command alone in its write: s_client looks at the first byte of what one read
    // returned.
    let mut problems = rekeyed_rounds(
        &mut client,
        &rounds,
        |i| if i == 1 { b"k\n" } else { b"K\n" },
        |c| c.stderr().matches("KEYUPDATE").count(),
    );
    let report = server.join().expect("server thread");
    let status = client.wait_exit(TIMEOUT);
    let out = client.stdout_bytes();
    match report {
        Ok(seen) => {
            let all: Vec<u8> = rounds.concat();
            if seen.received != all {
                problems.push(format!(
                    "the server received other data: {}",
                    first_difference(&seen.received, &all)
                ));
            }
        }
        Err((e, _)) => problems.push(e),
    }
    for (i, round) in rounds.iter().enumerate() {
        if !contains(&out, &server_reply(i, round)) {
            problems.push(format!("s_client's output lacks reply {i}"));
        }
    }
    let msg = std::fs::read_to_string(&msgfile).unwrap_or_default();
    // k and K from s_client; one KeyUpdate back, for K only, not asking for another.
    let counts = [
        msg.matches(&key_update_lines(">>>", false)).count(),
        msg.matches(&key_update_lines(">>>", true)).count(),
        msg.matches(&key_update_lines("<<<", false)).count(),
        msg.matches(&key_update_lines("<<<", true)).count(),
    ];
    if counts != [1, 1, 1, 0] {
        problems.push(format!(
            "KeyUpdates (sent not requested / requested, received not requested / requested) \
             {counts:?}, want [1, 1, 1, 0]"
        ));
    }
    if !status.is_some_and(|s| s.success()) {
        problems.push("s_client did not exit successfully".into());
    }
    assert!(
        problems.is_empty(),
        "{problems:?}\n{}\n--- msgfile:\n{}",
        client.transcript(),
        msg.lines()
            .filter(|l| !l.starts_with("    "))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// `refresh_traffic_keys()` before the second and third rounds against s_server: s_server's
/// `-msg` shows each KeyUpdate coming in and its own going out (update_requested), and data
/// flows on both ways.
#[test]
fn key_update_spectls_client_vs_openssl_s_server() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    let (seen, server) = s_server_session(&openssl, client13(|b| b), &["-tls1_3", "-msg"], true)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(seen.version, Some(TLS13));
    let out = server.stdout();
    // Ours ask for an update; each of s_server's answers does not ask back.
    let received = out.matches(&key_update_lines("<<<", true)).count();
    let sent = out.matches(&key_update_lines(">>>", false)).count();
    assert_eq!(
        (received, sent, out.matches("KeyUpdate").count()),
        (2, 2, 4),
        "s_server's KeyUpdates (received update_requested, sent update_not_requested, all)\n{}",
        server.transcript()
    );
}

/// One round of 20 000 bytes each way between spectls and rustls.
fn rustls_round(
    s: &mut spectls::ConnectionCommon,
    r: &mut rustls::Connection,
    seed: u64,
) -> Result<(), String> {
    let up = text(seed, 4, 5000);
    s.writer().write_all(&up).map_err(|e| e.to_string())?;
    check_received("rustls", spectls_to_rustls(s, r)?, &up, false)?;
    let down = text(seed + 1, 4, 5000);
    r.writer().write_all(&down).map_err(|e| e.to_string())?;
    check_received("spectls", rustls_to_spectls(r, s)?, &down, false)
}

/// Whether `wire` starts with a protected record of 22 bytes: a KeyUpdate (4-byte header and
/// 1-byte body, the inner content type, a 16-byte tag). The data records here are far longer.
fn starts_with_key_update(wire: &[u8]) -> bool {
    wire.starts_with(&[23, 3, 3, 0, 22]) && wire.len() >= 5 + 22
}

/// KeyUpdate both ways with rustls, spectls as client and as server: spectls's
/// `refresh_traffic_keys()` (rustls answers with its own), then rustls's, with data each way
/// after each.
#[test]
fn key_update_spectls_vs_rustls() {
    for spectls_client in [true, false] {
        let (mut s, mut r): (
            Box<dyn std::ops::DerefMut<Target = spectls::ConnectionCommon>>,
            _,
        ) = if spectls_client {
            let c =
                ClientConnection::new(Arc::new(client13(|b| b)), "localhost".try_into().unwrap())
                    .unwrap();
            (Box::new(c), rustls_server13(None, None))
        } else {
            let s = ServerConnection::new(Arc::new(server13(|b| b))).unwrap();
            (Box::new(s), rustls_client13(None, None))
        };
        let s = &mut **s;
        let result = (|| {
            rustls_session_handshake(s, &mut r)?;
            check_rustls_session(None, s, &r)?;
            rustls_round(s, &mut r, 31)?;
            s.refresh_traffic_keys().map_err(|e| e.to_string())?;
            let ours = drain(s);
            ensure!(
                starts_with_key_update(&ours),
                "spectls's KeyUpdate: {}",
                hex(&ours)
            );
            feed_rustls(&mut r, &ours).map_err(|e| format!("rustls: {e}"))?;
            // rustls answers update_requested ahead of its next data (RFC 8446 4.6.3 lets it
            // wait); spectls must read what follows under rustls's next key.
            r.writer().write_all(b"after").map_err(|e| e.to_string())?;
            let theirs = rustls_out(&mut r);
            ensure!(
                starts_with_key_update(&theirs),
                "rustls's answer: {}",
                hex(&theirs)
            );
            let mut got = Received::default();
            feed_each(s, &theirs, |s, processed| {
                processed.map_err(|e| format!("spectls: {e}"))?;
                got.read(&mut s.reader()).map_err(|e| e.to_string())
            })?;
            check_received("spectls", got, b"after", false)?;
            ensure!(!s.wants_write(), "spectls answered an update_not_requested");
            rustls_round(s, &mut r, 41)?;
            r.refresh_traffic_keys().map_err(|e| e.to_string())?;
            check_received("spectls", rustls_to_spectls(&mut r, s)?, b"", false)?;
            // spectls answers update_requested at once.
            let answer = drain(s);
            ensure!(
                starts_with_key_update(&answer),
                "spectls's answer: {}",
                hex(&answer)
            );
            feed_rustls(&mut r, &answer).map_err(|e| format!("rustls: {e}"))?;
            rustls_round(s, &mut r, 51)?;
            rustls_session_data_and_close(s, &mut r, spectls_client)
        })();
        if let Err(e) = result {
            panic!("spectls client: {spectls_client}: {e}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// close_notify is a half close (RFC 8446 6.1)

/// The spectls client sends its data and close_notify at once, then reads: s_server's answer
/// (sent after our close_notify reached it) must still arrive, then its close_notify.
#[test]
fn half_close_spectls_client_vs_openssl_s_server() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    let (mut server, port) = start_s_server(&openssl, &["-tls1_3"]);
    let data = payload(91);
    let result = (|| {
        let sock = connect(port).map_err(|e| e.to_string())?;
        let conn =
            ClientConnection::new(Arc::new(client13(|b| b)), "localhost".try_into().unwrap())
                .map_err(|e| e.to_string())?;
        let mut tls = Stream::new(conn, sock);
        tls.write_all(&data).map_err(|e| format!("write: {e}"))?;
        tls.close().map_err(|e| format!("close_notify: {e}"))?;
        let mut got = Vec::new();
        tls.read_to_end(&mut got)
            .map_err(|e| format!("read after our close_notify: {e}"))?;
        let want = reverse_lines(&data);
        ensure!(got == want, "answer: {}", first_difference(&got, &want));
        Ok(())
    })();
    server.wait_exit(TIMEOUT);
    if let Err(e) = result {
        panic!("{e}\n{}", server.transcript());
    }
}

/// gnutls-cli sends its data and, at the end of its input, close_notify (a write shutdown),
/// and keeps reading: the spectls server reads to that close_notify, then answers and closes.
#[test]
fn half_close_gnutls_cli_vs_spectls_server() {
    let Some(gnutls_cli) = require("gnutls-cli") else {
        return;
    };
    let (listener, port) = listen();
    let data = payload(93);
    let reply = server_reply(0, &data);
    let answer = reply.clone();
    let server = thread::spawn(move || -> Result<Vec<u8>, String> {
        let sock = accept(&listener).map_err(|e| format!("accept: {e}"))?;
        let conn = ServerConnection::new(Arc::new(server13(|b| b))).map_err(|e| e.to_string())?;
        let mut tls = Stream::new(conn, sock);
        let mut received = Vec::new();
        tls.read_to_end(&mut received)
            .map_err(|e| format!("read to close_notify: {e}"))?;
        tls.write_all(&answer)
            .map_err(|e| format!("write after the client's close_notify: {e}"))?;
        tls.close().map_err(|e| format!("close_notify: {e}"))?;
        Ok(received)
    });
    let mut cmd = Command::new(gnutls_cli);
    cmd.arg("--x509cafile")
        .arg(cert_file("ca.pem"))
        .args(["-p", &port.to_string()])
        .args(["--sni-hostname", "localhost"])
        .args(["--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.3"])
        .arg("127.0.0.1");
    let mut client = Peer::spawn(cmd, TRANSCRIPT_CHARS);
    client.write_stdin(&data);
    client.close_stdin();
    let received = server.join().expect("server thread");
    let status = client.wait_exit(TIMEOUT);
    let out = client.stdout_bytes();
    let checks = || {
        let received = received?;
        ensure!(
            received == data,
            "the server received other data: {}",
            first_difference(&received, &data)
        );
        ensure!(
            contains(&out, &reply),
            "gnutls-cli's output lacks the reply"
        );
        ensure!(
            contains(&out, b"- Peer has closed the GnuTLS connection"),
            "gnutls-cli saw no close_notify"
        );
        ensure!(status.is_some_and(|s| s.success()), "gnutls-cli failed");
        Ok(())
    };
    if let Err(e) = checks() {
        panic!("{e}\n{}", client.transcript());
    }
}

// ---------------------------------------------------------------------------------------------
// TLS 1.2 fallback

/// The spectls client offering 1.3 and 1.2 against `s_server -tls1_2`: TLS 1.2.
#[test]
fn tls12_fallback_spectls_client_vs_openssl_s_server() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    let config = client13(|b| b.with_protocol_versions(&[TLS13, TLS12]));
    let (seen, server) =
        s_server_session(&openssl, config, &["-tls1_2"], false).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(seen.version, Some(TLS12));
    assert!(
        seen.suite
            .is_some_and(|s| suites::TLS12_CIPHER_SUITES.iter().any(|t| t.suite == s)),
        "{:?}",
        seen.suite
    );
    assert!(
        server.stderr().contains("Protocol version: TLSv1.2"),
        "{}",
        server.transcript()
    );
}

/// The spectls server with 1.3 and 1.2 against `s_client -tls1_2`: TLS 1.2.
#[test]
fn tls12_fallback_openssl_s_client_vs_spectls_server() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    let config = server13(|b| b.with_protocol_versions(&[TLS13, TLS12]));
    let (seen, _) = s_client_session(&openssl, config, &["-tls1_2"], &["Protocol  : TLSv1.2"])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(seen.version, Some(TLS12));
}

// ---------------------------------------------------------------------------------------------
// The downgrade sentinel (RFC 8446 4.1.3), through a proxy that edits the ClientHello

/// RFC 8446 4.1.3: the last 8 bytes of a TLS 1.2 ServerHello random from a 1.3-capable server.
const DOWNGRADE_TLS12: &[u8; 8] = b"DOWNGRD\x01";

/// What the proxy saw.
#[derive(Debug, Default)]
struct ProxyLog {
    /// The client's ClientHello record, and the one forwarded.
    hello: Vec<u8>,
    forwarded: Vec<u8>,
    /// Everything after the ClientHello, each way.
    client_to_server: Vec<u8>,
    server_to_client: Vec<u8>,
}

/// Reads one whole record.
fn read_record(sock: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut record = vec![0u8; 5];
    sock.read_exact(&mut record)?;
    let len = u16::from_be_bytes([record[3], record[4]]) as usize;
    record.resize(5 + len, 0);
    sock.read_exact(&mut record[5..])?;
    Ok(record)
}

/// The ClientHello `record` without the extensions `strip` picks, re-encoded with the wire
/// types and reframed (record length fixed up).
fn strip_extensions(record: &[u8], strip: fn(&Extension<'_>) -> bool) -> Result<Vec<u8>, String> {
    let rec = TLSPlaintext::from_bytes(record).map_err(|e| format!("record: {e}"))?;
    let mut r = Reader::new(rec.fragment);
    let msg = Handshake::decode(&mut r, Some(CertificateType::X509), Some(32))
        .map_err(|e| format!("ClientHello: {e}"))?;
    ensure!(r.is_empty(), "more than the ClientHello in its record");
    let Handshake::ClientHello(mut hello) = msg else {
        return Err(format!("not a ClientHello: {:?}", msg.selector()));
    };
    let extensions = hello.extensions.as_mut().ok_or("no extensions")?;
    let before = extensions.len();
    extensions.retain(|e| !strip(e));
    ensure!(extensions.len() < before, "nothing to strip");
    let fragment = Handshake::ClientHello(hello).to_vec();
    Ok(TLSPlaintext {
        type_: rec.type_,
        version: rec.version,
        fragment: &fragment,
    }
    .to_vec())
}

/// Copies `from` to `to` (recording it) until either ends, then shuts `to` down for writing.
fn pump(mut from: TcpStream, mut to: TcpStream) -> JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 16384];
        while let Ok(n @ 1..) = from.read(&mut buf) {
            seen.extend_from_slice(&buf[..n]);
            if to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
        seen
    })
}

/// A proxy on 127.0.0.1 for one connection to 127.0.0.1:`upstream`, editing the ClientHello
/// with `strip_extensions`; returns its port and what it saw.
fn start_proxy(
    upstream: u16,
    strip: fn(&Extension<'_>) -> bool,
) -> (u16, JoinHandle<Result<ProxyLog, String>>) {
    let (listener, port) = listen();
    let proxy = thread::spawn(move || {
        let mut client = accept(&listener).map_err(|e| format!("proxy accept: {e}"))?;
        let mut server = connect(upstream).map_err(|e| format!("proxy connect: {e}"))?;
        let hello = read_record(&mut client).map_err(|e| format!("proxy read: {e}"))?;
        let forwarded = strip_extensions(&hello, strip)?;
        server
            .write_all(&forwarded)
            .map_err(|e| format!("proxy write: {e}"))?;
        let clone = |s: &TcpStream| s.try_clone().map_err(|e| format!("proxy: {e}"));
        let down = pump(clone(&server)?, clone(&client)?);
        let up = pump(client, server);
        Ok(ProxyLog {
            hello,
            forwarded,
            client_to_server: up.join().expect("proxy thread"),
            server_to_client: down.join().expect("proxy thread"),
        })
    });
    (port, proxy)
}

fn is_supported_versions_or_key_share(e: &Extension<'_>) -> bool {
    matches!(e, Extension::SupportedVersions(_) | Extension::KeyShare(_))
}

fn is_supported_versions(e: &Extension<'_>) -> bool {
    matches!(e, Extension::SupportedVersions(_))
}

/// (a) The spectls client (1.3 and 1.2) through a proxy that strips supported_versions and
/// key_share to a default (1.3-capable) `openssl s_server`: OpenSSL answers TLS 1.2 with
/// DOWNGRD\x01 ending its random, and the spectls client refuses it with illegal_parameter,
/// which s_server receives.
#[test]
fn downgrade_sentinel_spectls_client_refuses_it() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    let (mut server, upstream) = start_s_server(&openssl, &[]);
    let (port, proxy) = start_proxy(upstream, is_supported_versions_or_key_share);
    let config = client13(|b| b.with_protocol_versions(&[TLS13, TLS12]));
    let rounds = [payload(61)];
    let run = ClientRun {
        rounds: &rounds,
        answer: reverse_lines,
        key_update: false,
    };
    let seen = spectls_client_failing(port, config, &run);
    let log = proxy
        .join()
        .expect("proxy thread")
        .unwrap_or_else(|e| panic!("{e}"));
    server.wait_exit(TIMEOUT);
    let (random, _) = first_server_hello(&log.server_to_client).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        &random[24..],
        DOWNGRADE_TLS12,
        "OpenSSL's TLS 1.2 ServerHello random"
    );
    let error = seen.error.unwrap_or_else(|| {
        panic!(
            "the spectls client accepted the downgrade\n{}",
            server.transcript()
        )
    });
    assert!(
        error.to_string().contains("downgrade"),
        "{error:?}\n{}",
        server.transcript()
    );
    assert_eq!(error.alert(), Some(AlertDescription::IllegalParameter));
    // Our alert, in plaintext: the 1.2 handshake never got to encryption.
    assert!(
        contains(&log.client_to_server, &[21, 3, 3, 0, 2, 2, 47]),
        "no illegal_parameter alert on the wire: {}",
        hex(&log.client_to_server)
    );
    assert!(
        server.stderr().contains("alert illegal parameter"),
        "s_server did not report our alert\n{}",
        server.transcript()
    );
    assert!(log.forwarded.len() < log.hello.len());
}

/// (b) Default `openssl s_client` through a proxy that strips supported_versions to the
/// spectls server (1.3 and 1.2): our TLS 1.2 ServerHello random ends with DOWNGRD\x01 and
/// OpenSSL aborts the handshake.
#[test]
fn downgrade_sentinel_spectls_server_sets_it() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    let config = server13(|b| b.with_protocol_versions(&[TLS13, TLS12]));
    let (listener, upstream) = listen();
    let server = spawn_spectls_server(listener, config, vec![1], Closer::Server);
    let (port, proxy) = start_proxy(upstream, is_supported_versions);
    let mut client = Peer::spawn(s_client(&openssl, port, false, &[]), TRANSCRIPT_CHARS);
    client.write_stdin(b"x\n");
    let report = server.join().expect("server thread");
    let log = proxy
        .join()
        .expect("proxy thread")
        .unwrap_or_else(|e| panic!("{e}"));
    let status = client.wait_exit(TIMEOUT);
    let (random, _) = first_server_hello(&log.server_to_client).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        &random[24..],
        DOWNGRADE_TLS12,
        "our TLS 1.2 ServerHello random"
    );
    let Err((e, seen)) = report else {
        panic!("the handshake completed\n{}", client.transcript());
    };
    assert_eq!(seen.version, Some(TLS12), "{e}");
    assert_eq!(
        seen.error,
        Some(Error::AlertReceived(AlertDescription::IllegalParameter)),
        "{e}\n{}",
        client.transcript()
    );
    assert!(
        !status.is_some_and(|s| s.success()) && client.stderr().contains("inappropriate fallback"),
        "s_client did not abort on the sentinel\n{}",
        client.transcript()
    );
}

/// The spectls client resumes with the tickets `openssl s_server` sends after a TLS 1.3
/// handshake (PSK with (EC)DHE, RFC 8446 2.2; the server side of resumption is issue 14): three
/// connections from one config, the second and third resumed, each taking one ticket. s_server's
/// `-www` page says so from its side ("Reused").
#[test]
fn spectls_client_resumes_with_openssl_s_server_tickets() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    let (server, port) = start_s_server_on_free_port(&openssl, TRANSCRIPT_CHARS, |cmd| {
        cmd.args(["-naccept", "3", "-www"])
            .arg("-cert")
            .arg(cert_file("server-ecdsa.pem"))
            .arg("-key")
            .arg(cert_file("server-ecdsa.key"))
            .arg("-cert_chain")
            .arg(cert_file("ca.pem"));
    });
    let config = Arc::new(client13(|b| b));
    for round in 0..3 {
        let sock = connect(port).expect("connect");
        let conn =
            ClientConnection::new(config.clone(), "localhost".try_into().expect("name")).unwrap();
        let mut tls = Stream::new(conn, sock);
        tls.handshake()
            .unwrap_or_else(|e| panic!("round {round}: {e}\n{}", server.transcript()));
        tls.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
        let mut page = Vec::new();
        tls.read_to_end(&mut page).unwrap();
        let page = String::from_utf8_lossy(&page);
        assert_eq!(tls.conn.protocol_version(), Some(spectls::version::TLS13));
        assert_eq!(tls.conn.is_resumed(), round > 0, "round {round}");
        let from_server = if round > 0 {
            "Reused, TLSv1.3"
        } else {
            "New, TLSv1.3"
        };
        assert!(page.contains(from_server), "round {round}: {page}");
    }
}

/// Our server on a fresh port for `rounds` connections: each completes its handshake, runs
/// `serve` (whose results are returned in order), sends "hello\n" and close_notify, and reads
/// what is left. Each round's `openssl s_client` waits for that "hello".
fn serve_s_client_rounds<T: Send + 'static>(
    config: ServerConfig,
    rounds: usize,
    serve: impl Fn(&mut Stream<ServerConnection, TcpStream>) -> T + Send + 'static,
) -> (u16, JoinHandle<Vec<T>>) {
    let (listener, port) = listen();
    let config = Arc::new(config);
    let server = thread::spawn(move || {
        let mut seen = Vec::new();
        for _ in 0..rounds {
            let sock = accept(&listener).expect("accept");
            let conn = ServerConnection::new(config.clone()).expect("server");
            let mut tls = Stream::new(conn, sock);
            tls.handshake().expect("handshake");
            seen.push(serve(&mut tls));
            tls.write_all(b"hello\n").expect("write");
            tls.conn.send_close_notify();
            let _ = tls.flush();
            let mut rest = Vec::new();
            let _ = tls.read_to_end(&mut rest);
        }
        seen
    });
    (port, server)
}

/// One `openssl s_client -tls1_3 extra` connection to our server on `port`, until it printed
/// the server's "hello" and exited; its stdout.
fn s_client_round(openssl: &Path, port: u16, round: usize, extra: &[&str]) -> String {
    let mut args = vec!["-tls1_3"];
    args.extend_from_slice(extra);
    let mut client = Peer::spawn(s_client(openssl, port, false, &args), TRANSCRIPT_CHARS);
    assert!(
        client.wait_output("hello", TIMEOUT),
        "round {round}: {}",
        client.transcript()
    );
    client.close_stdin();
    client.wait_exit(TIMEOUT);
    client.stdout()
}

/// A TLS 1.3 server sealing tickets with a ticketer of its own, edited by `edit`.
fn ticketing_server13(
    edit: impl FnOnce(ServerConfigBuilder) -> ServerConfigBuilder,
) -> ServerConfig {
    server13(|b| {
        edit(
            b.with_ticketer(
                spectls::session::Ticketer::new(std::time::Duration::from_secs(3600))
                    .expect("ticketer"),
            ),
        )
    })
}

/// OpenSSL's word for a first and a resumed TLS 1.3 session.
fn new_or_reused(round: usize) -> &'static str {
    if round == 0 {
        "New, TLSv1.3"
    } else {
        "Reused, TLSv1.3"
    }
}

/// `openssl s_client` resumes with a ticket of the spectls server (`-sess_out`, then
/// `-sess_in`): the second connection is "Reused" on OpenSSL's side and resumed on ours.
#[test]
fn openssl_s_client_resumes_with_a_spectls_server_ticket() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    let (port, server) =
        serve_s_client_rounds(ticketing_server13(|b| b), 2, |tls| tls.conn.is_resumed());
    let dir = TempDir::new("s-client-resume");
    let session = dir.file("session.pem");
    for (round, flag) in [(0, "-sess_out"), (1, "-sess_in")] {
        let out = s_client_round(&openssl, port, round, &[flag, &session]);
        assert!(out.contains(new_or_reused(round)), "round {round}: {out}");
    }
    assert_eq!(server.join().expect("server thread"), [false, true]);
}

/// 0-RTT (RFC 8446 2.3) from `openssl s_client`: a ticket of ours (`-sess_out`), then a
/// resumption that sends `-early_data` with it. We read the early data apart from the rest and
/// echo it back as 1-RTT data; s_client says "Early data was accepted".
#[test]
fn openssl_s_client_sends_early_data_that_we_accept() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    let config = ticketing_server13(|b| b.with_early_data(16384));
    let (port, server) = serve_s_client_rounds(config, 2, |tls| {
        let mut early = Vec::new();
        if let Some(mut e) = tls.conn.early_data() {
            e.read_to_end(&mut early).expect("early data");
        }
        tls.write_all(b"early: ").expect("write");
        tls.write_all(&early).expect("write");
        tls.write_all(b"\n").expect("write");
        (
            tls.conn.is_resumed(),
            tls.conn.is_early_data_accepted(),
            early,
        )
    });
    let dir = TempDir::new("s-client-early");
    let session = dir.file("session.pem");
    let early = dir.file("early.txt");
    std::fs::write(&early, b"GET /zero-rtt").expect("early data file");
    s_client_round(&openssl, port, 0, &["-sess_out", &session]);
    let out = s_client_round(
        &openssl,
        port,
        1,
        &["-sess_in", &session, "-early_data", &early],
    );
    assert!(
        out.contains("Early data was accepted") && out.contains("early: GET /zero-rtt"),
        "{out}"
    );
    assert_eq!(
        server.join().expect("server thread"),
        [
            (false, false, Vec::new()),
            (true, true, b"GET /zero-rtt".to_vec())
        ]
    );
}

/// 0-RTT to `openssl s_server -early_data`: its tickets (a first connection, whose data we
/// read so that the tickets before it are processed), then early data with the next one;
/// s_server prints what it received as early data, and accepted it.
#[test]
fn spectls_client_sends_early_data_to_openssl_s_server() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    let (mut server, port) = start_s_server_on_free_port(&openssl, TRANSCRIPT_CHARS, |cmd| {
        cmd.args(["-naccept", "2", "-early_data", "-tls1_3"])
            .arg("-cert")
            .arg(cert_file("server-ecdsa.pem"))
            .arg("-key")
            .arg(cert_file("server-ecdsa.key"))
            .arg("-cert_chain")
            .arg(cert_file("ca.pem"));
    });
    let config = Arc::new(client13(|b| b.enable_early_data(true)));
    // Round 0: the tickets.
    let sock = connect(port).expect("connect");
    let conn =
        ClientConnection::new(config.clone(), "localhost".try_into().expect("name")).unwrap();
    let mut tls = Stream::new(conn, sock);
    tls.handshake()
        .unwrap_or_else(|e| panic!("{e}\n{}", server.transcript()));
    assert!(tls.conn.early_data().is_none(), "no ticket yet");
    server.write_stdin(b"tickets\n");
    let mut line = [0u8; 8];
    tls.read_exact(&mut line).expect("s_server's line");
    assert_eq!(&line, b"tickets\n");
    tls.conn.send_close_notify();
    let _ = tls.flush();
    drop(tls);
    // Round 1: early data.
    let sock = connect(port).expect("connect");
    let mut conn =
        ClientConnection::new(config.clone(), "localhost".try_into().expect("name")).unwrap();
    let mut early = conn
        .early_data()
        .expect("s_server's ticket allows early data");
    early.write_all(b"zero round trips\n").expect("early data");
    let mut tls = Stream::new(conn, sock);
    tls.handshake()
        .unwrap_or_else(|e| panic!("{e}\n{}", server.transcript()));
    assert!(tls.conn.is_resumed());
    assert!(tls.conn.is_early_data_accepted(), "{}", server.transcript());
    assert!(
        server.wait_output("zero round trips", TIMEOUT),
        "{}",
        server.transcript()
    );
    // s_server writes the early data itself to stdout and the "Early data received:" header
    // through a buffered BIO flushed just after it: wait for the header too.
    assert!(
        server.wait_output("Early data received", TIMEOUT),
        "{}",
        server.transcript()
    );
    tls.conn.send_close_notify();
    let _ = tls.flush();
}

/// PSK-only resumption (psk_ke, RFC 8446 4.2.9) with `openssl s_client -allow_no_dhe_kex`,
/// which offers it: our server, configured to take it, resumes without a key exchange.
#[test]
fn openssl_s_client_resumes_psk_only_when_both_allow_it() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    let config = ticketing_server13(|b| b.enable_psk_ke(true));
    let (port, server) = serve_s_client_rounds(config, 2, |tls| {
        (tls.conn.is_resumed(), tls.conn.negotiated_group())
    });
    let dir = TempDir::new("s-client-psk-ke");
    let session = dir.file("session.pem");
    for (round, flag) in [(0, "-sess_out"), (1, "-sess_in")] {
        let out = s_client_round(
            &openssl,
            port,
            round,
            &["-allow_no_dhe_kex", flag, &session],
        );
        assert!(out.contains(new_or_reused(round)), "round {round}: {out}");
    }
    assert_eq!(
        server.join().expect("server thread"),
        [(false, Some(NamedCurve::X25519)), (true, None)]
    );
}
