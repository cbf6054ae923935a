//! Interop with real TLS 1.2 peers, every cipher suite, both directions, over 127.0.0.1 only.
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
//! Each module has one test per suite: the ECDSA suites run with `server-ecdsa.{pem,key}`, the
//! RSA suites with `server-rsa.{pem,key}`, both chained to `ca.pem`, which the client trusts
//! (the peer restricted to that one suite, spectls offering its defaults). Every test checks the
//! negotiated suite, the extended master secret, more than one record of data in each
//! direction, compared byte for byte, and close_notify both ways (who sends it first varies with
//! the peer, so spectls is both the closer and the responder). The two `*_variants` tests add
//! each ECDHE group and RSA signature scheme with OpenSSL, and handshake messages fragmented over
//! 512-byte records.
//!
//! Peer binaries (`openssl`, `gnutls-cli`, `gnutls-serv`, `unshare`, `ip`): a test whose peer is
//! missing is skipped with a `SKIPPED` line on stderr naming the binary and the package to
//! install, or fails with `SPECTLS_REQUIRE_PEERS=1` (`.ci/run` installs them and sets it). Every peer
//! is a child process killed when its guard drops; sockets have 10 s timeouts; listeners bind
//! 127.0.0.1 port 0, and `s_server`, which needs a port number up front, gets one just released
//! by such a listener and is restarted on another if it loses the race for it.
//!
//! ## gnutls-serv in a network namespace
//! `gnutls-serv` cannot be told to bind only 127.0.0.1: it listens on every interface. So it
//! runs where loopback is the only interface, a fresh network namespace, together with the
//! spectls client that talks to it. The test re-executes its own binary there:
//!
//! 1. `spectls_client_vs_gnutls_serv::<suite>` runs
//!    `unshare --net --pid --fork --kill-child -- <this test binary> gnutls_serv_netns_child
//!    --exact --ignored --nocapture` with `SPECTLS_INTEROP_NETNS_CASE=<suite>` in the
//!    environment, and waits (bounded) for it to pass.
//! 2. `gnutls_serv_netns_child`, `#[ignore]`d so that it never runs on its own, finds the
//!    variable, brings `lo` up, checks that `lo` is the only interface, starts `gnutls-serv`,
//!    runs the spectls client against it, checks gnutls-serv's view of the session, and prints
//!    a marker line the outer test looks for (a name filter matching nothing would also exit 0).
//!
//! The new PID namespace plus `--kill-child` means killing `unshare` (timeout, drop) kills
//! everything inside it, gnutls-serv included: nothing outlives the test.

mod common;

use common::peer::{
    accept, cert_file, connect, contains, find, free_port, locate, loopback_only_namespace,
    require, run_in_private_netns, start_s_server_on_free_port, verifying_s_client, Peer, TIMEOUT,
};
use common::*;
use spectls::crypto::suites::{self, SignatureFamily, SupportedCipherSuite};
use spectls::pki_types::ServerName;
use spectls::wire::{NamedCurve, SignatureScheme};
use spectls::{ClientConnection, ConnectionCommon, ServerConnection, Stream};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::thread::{self, JoinHandle};

/// How much of a peer's output a failure message shows: the payloads are tens of kilobytes.
const TRANSCRIPT_CHARS: usize = 6000;

// ---------------------------------------------------------------------------------------------
// The suites and their names in each peer

/// One cipher suite and how each peer names it.
struct Case {
    /// The test function name, also passed to the namespace child.
    name: &'static str,
    suite: &'static SupportedCipherSuite,
    /// OpenSSL's name (`-cipher`, and what s_client prints).
    openssl: &'static str,
    /// GnuTLS's cipher name (priority string, and what gnutls prints).
    gnutls: &'static str,
}

impl Case {
    fn rsa(&self) -> bool {
        self.suite.family == SignatureFamily::Rsa
    }

    /// The certificate chain (leaf, then CA) and key the server uses for this suite.
    fn chain_and_key(&self) -> (PathBuf, PathBuf) {
        let kind = if self.rsa() { "rsa" } else { "ecdsa" };
        (
            cert_file(&format!("server-{kind}.pem")),
            cert_file(&format!("server-{kind}.key")),
        )
    }

    /// A GnuTLS priority string allowing TLS 1.2 and only this suite.
    fn gnutls_priority(&self) -> String {
        let kx = if self.rsa() {
            "ECDHE-RSA"
        } else {
            "ECDHE-ECDSA"
        };
        format!(
            "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+{}:-KX-ALL:+{kx}:-MAC-ALL:+AEAD",
            self.gnutls
        )
    }
}

static ECDHE_ECDSA_AES128_GCM_SHA256: Case = Case {
    name: "ecdhe_ecdsa_aes128_gcm_sha256",
    suite: &suites::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    openssl: "ECDHE-ECDSA-AES128-GCM-SHA256",
    gnutls: "AES-128-GCM",
};
static ECDHE_ECDSA_AES256_GCM_SHA384: Case = Case {
    name: "ecdhe_ecdsa_aes256_gcm_sha384",
    suite: &suites::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    openssl: "ECDHE-ECDSA-AES256-GCM-SHA384",
    gnutls: "AES-256-GCM",
};
static ECDHE_ECDSA_CHACHA20_POLY1305_SHA256: Case = Case {
    name: "ecdhe_ecdsa_chacha20_poly1305_sha256",
    suite: &suites::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    openssl: "ECDHE-ECDSA-CHACHA20-POLY1305",
    gnutls: "CHACHA20-POLY1305",
};
static ECDHE_RSA_AES128_GCM_SHA256: Case = Case {
    name: "ecdhe_rsa_aes128_gcm_sha256",
    suite: &suites::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    openssl: "ECDHE-RSA-AES128-GCM-SHA256",
    gnutls: "AES-128-GCM",
};
static ECDHE_RSA_AES256_GCM_SHA384: Case = Case {
    name: "ecdhe_rsa_aes256_gcm_sha384",
    suite: &suites::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    openssl: "ECDHE-RSA-AES256-GCM-SHA384",
    gnutls: "AES-256-GCM",
};
static ECDHE_RSA_CHACHA20_POLY1305_SHA256: Case = Case {
    name: "ecdhe_rsa_chacha20_poly1305_sha256",
    suite: &suites::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    openssl: "ECDHE-RSA-CHACHA20-POLY1305",
    gnutls: "CHACHA20-POLY1305",
};

static CASES: [&Case; 6] = [
    &ECDHE_ECDSA_AES128_GCM_SHA256,
    &ECDHE_ECDSA_AES256_GCM_SHA384,
    &ECDHE_ECDSA_CHACHA20_POLY1305_SHA256,
    &ECDHE_RSA_AES128_GCM_SHA256,
    &ECDHE_RSA_AES256_GCM_SHA384,
    &ECDHE_RSA_CHACHA20_POLY1305_SHA256,
];

/// One `#[test]` per suite in a module named after the pairing.
macro_rules! per_suite {
    ($module:ident, $run:ident) => {
        mod $module {
            use super::*;
            #[test]
            fn ecdhe_ecdsa_aes128_gcm_sha256() {
                $run(&ECDHE_ECDSA_AES128_GCM_SHA256);
            }
            #[test]
            fn ecdhe_ecdsa_aes256_gcm_sha384() {
                $run(&ECDHE_ECDSA_AES256_GCM_SHA384);
            }
            #[test]
            fn ecdhe_ecdsa_chacha20_poly1305_sha256() {
                $run(&ECDHE_ECDSA_CHACHA20_POLY1305_SHA256);
            }
            #[test]
            fn ecdhe_rsa_aes128_gcm_sha256() {
                $run(&ECDHE_RSA_AES128_GCM_SHA256);
            }
            #[test]
            fn ecdhe_rsa_aes256_gcm_sha384() {
                $run(&ECDHE_RSA_AES256_GCM_SHA384);
            }
            #[test]
            fn ecdhe_rsa_chacha20_poly1305_sha256() {
                $run(&ECDHE_RSA_CHACHA20_POLY1305_SHA256);
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
// Small helpers: payloads and comparisons

/// 3 lines of 7000 bytes: more than one 16 KiB record, lines short enough for s_server's
/// 16 KiB line buffer.
fn client_payload(case: &Case) -> Vec<u8> {
    text(case.suite.suite.value() as u64, 3, 7000)
}

/// What the spectls servers answer: the client's lines reversed, then a marker line.
const REPLY_END: &[u8] = b"END-OF-SPECTLS-REPLY\n";

fn server_reply(payload: &[u8]) -> Vec<u8> {
    let mut reply = reverse_lines(payload);
    reply.extend_from_slice(REPLY_END);
    reply
}

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

// ---------------------------------------------------------------------------------------------
// spectls over TCP: the client and the server sides

/// The spectls client (default suites, trusting the test CA, SNI `localhost`) against a server
/// on 127.0.0.1:`port` that answers `send` with `expect`: checks the suite, the extended master
/// secret and the data; then sends close_notify and requires the server's close_notify back.
/// Returns the group and signature scheme the server chose.
fn spectls_client_session(
    port: u16,
    case: &Case,
    send: &[u8],
    expect: &[u8],
) -> Result<(Option<NamedCurve>, Option<SignatureScheme>), String> {
    let sock = connect(port).map_err(|e| format!("connect to 127.0.0.1:{port}: {e}"))?;
    let conn = ClientConnection::new(
        Arc::new(client_config()),
        ServerName::try_from("localhost").unwrap(),
    )
    .map_err(|e| format!("client: {e}"))?;
    let mut tls = Stream::new(conn, sock);
    tls.handshake()
        .map_err(|e| format!("spectls client handshake: {e}"))?;
    let c = &tls.conn;
    let negotiated = (c.negotiated_group(), c.negotiated_signature_scheme());
    ensure!(
        c.negotiated_cipher_suite() == Some(case.suite.suite),
        "negotiated {:?}, want {:?}",
        c.negotiated_cipher_suite(),
        case.suite.suite
    );
    ensure!(c.protocol_version().is_some(), "no protocol version");
    ensure!(
        c.extended_master_secret(),
        "no extended master secret with the server"
    );
    ensure!(
        c.peer_certificates().is_some_and(|certs| !certs.is_empty()),
        "no server certificate recorded"
    );
    tls.write_all(send)
        .map_err(|e| format!("spectls client write: {e}"))?;
    let mut got = vec![0u8; expect.len()];
    tls.read_exact(&mut got)
        .map_err(|e| format!("spectls client read of {} bytes: {e}", expect.len()))?;
    ensure!(
        got == expect,
        "server's answer differs: {}",
        first_difference(&got, expect)
    );
    tls.close()
        .map_err(|e| format!("spectls client close_notify: {e}"))?;
    let mut rest = Vec::new();
    match tls.read_to_end(&mut rest) {
        Ok(_) if rest.is_empty() => Ok(negotiated),
        Ok(_) => Err(format!(
            "{} unexpected bytes after the answer: {:?}",
            rest.len(),
            String::from_utf8_lossy(&rest)
        )),
        Err(e) => Err(format!(
            "no close_notify from the server after ours (want a clean end of data): {e}"
        )),
    }
}

/// Who sends close_notify first once the spectls server has answered.
#[derive(Clone, Copy)]
enum Closer {
    /// The server closes, then waits for the client's close_notify.
    Server,
    /// The server waits for the client's close_notify, then answers it.
    Client,
}

/// What the spectls server saw.
struct ServerReport {
    suite: Option<spectls::wire::CipherSuite>,
    ems: bool,
    sni: Option<String>,
    received: Vec<u8>,
}

/// A spectls server thread for one connection on `listener`: reads `expect_len` bytes, sends
/// `reply`, and exchanges close_notify in the order `closer` says. Every step is bounded, so
/// joining the thread is too.
fn spawn_spectls_server(
    listener: TcpListener,
    case: &'static Case,
    expect_len: usize,
    reply: Vec<u8>,
    closer: Closer,
) -> JoinHandle<Result<ServerReport, String>> {
    thread::spawn(move || {
        let sock = accept(&listener).map_err(|e| format!("accept: {e}"))?;
        let conn = ServerConnection::new(Arc::new(server_config(case.rsa())))
            .map_err(|e| format!("server: {e}"))?;
        let mut tls = Stream::new(conn, sock);
        tls.handshake()
            .map_err(|e| format!("spectls server handshake: {e}"))?;
        let mut received = Vec::new();
        let mut buf = [0u8; 16384];
        while received.len() < expect_len {
            match tls.read(&mut buf) {
                Ok(0) => {
                    return Err(format!(
                        "client closed after {} of {expect_len} bytes",
                        received.len()
                    ))
                }
                Ok(n) => received.extend_from_slice(&buf[..n]),
                Err(e) => {
                    return Err(format!(
                        "spectls server read ({} of {expect_len} bytes so far): {e}",
                        received.len()
                    ))
                }
            }
        }
        tls.write_all(&reply)
            .map_err(|e| format!("spectls server write: {e}"))?;
        let expect_close =
            |tls: &mut Stream<ServerConnection, TcpStream>| match tls.read(&mut [0u8; 1024]) {
                Ok(0) => Ok(()),
                Ok(n) => Err(format!("{n} more bytes where close_notify was expected")),
                Err(e) => Err(format!("no close_notify from the client: {e}")),
            };
        match closer {
            Closer::Server => {
                tls.close()
                    .map_err(|e| format!("spectls server close_notify: {e}"))?;
                expect_close(&mut tls)?;
            }
            Closer::Client => {
                expect_close(&mut tls)?;
                tls.close()
                    .map_err(|e| format!("spectls server close_notify: {e}"))?;
            }
        }
        Ok(ServerReport {
            suite: tls.conn.negotiated_cipher_suite(),
            ems: tls.conn.extended_master_secret(),
            sni: tls.conn.server_name().map(String::from),
            received,
        })
    })
}

/// The checks every spectls-server test makes on what the server saw.
fn check_server_report(
    case: &Case,
    report: Result<ServerReport, String>,
    payload: &[u8],
) -> Result<(), String> {
    let report = report?;
    ensure!(
        report.suite == Some(case.suite.suite),
        "spectls server negotiated {:?}, want {:?}",
        report.suite,
        case.suite.suite
    );
    ensure!(report.ems, "spectls server: no extended master secret");
    ensure!(
        report.sni.as_deref() == Some("localhost"),
        "spectls server saw SNI {:?}, want \"localhost\"",
        report.sni
    );
    ensure!(
        report.received == payload,
        "spectls server received other data than the client sent: {}",
        first_difference(&report.received, payload)
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// 1. spectls client vs openssl s_server

/// Starts `openssl s_server -rev` for one connection and waits until it accepts.
fn start_s_server(openssl: &Path, case: &Case, extra: &[&str]) -> (Peer, u16) {
    let (chain, key) = case.chain_and_key();
    start_s_server_on_free_port(openssl, TRANSCRIPT_CHARS, |cmd| {
        cmd.args(["-naccept", "1", "-tls1_2", "-cipher", case.openssl])
            .arg("-cert")
            .arg(&chain)
            .arg("-key")
            .arg(&key)
            .arg("-cert_chain")
            .arg(cert_file("ca.pem"))
            .arg("-rev")
            .args(extra);
    })
}

fn spectls_client_vs_s_server(case: &'static Case) {
    let Some(openssl) = require("openssl") else {
        return;
    };
    s_server_session(&openssl, case, &[]);
}

/// The spectls client against `openssl s_server -rev` with `extra` arguments; returns the group
/// and signature scheme s_server chose.
fn s_server_session(
    openssl: &Path,
    case: &Case,
    extra: &[&str],
) -> (Option<NamedCurve>, Option<SignatureScheme>) {
    let (mut server, port) = start_s_server(openssl, case, extra);
    let payload = client_payload(case);
    let result = spectls_client_session(port, case, &payload, &reverse_lines(&payload));
    let status = server.wait_exit(TIMEOUT);
    let negotiated =
        result.unwrap_or_else(|e| panic!("{} {extra:?}: {e}\n{}", case.name, server.transcript()));
    let err = server.stderr();
    let problems: Vec<String> = [
        (
            status.is_some_and(|s| s.success()),
            "s_server did not exit successfully".to_string(),
        ),
        (
            err.contains(&format!("Ciphersuite: {}", case.openssl)),
            format!("s_server did not report Ciphersuite: {}", case.openssl),
        ),
        (
            err.contains("Protocol version: TLSv1.2"),
            "s_server did not report TLSv1.2".into(),
        ),
        // -rev prints this when BIO_gets sees a clean end of data (close_notify) and then
        // answers with its own close_notify (which the client required above).
        (
            err.contains("CONNECTION CLOSED"),
            "s_server did not see a clean close".into(),
        ),
    ]
    .into_iter()
    .filter(|(ok, _)| !ok)
    .map(|(_, msg)| msg)
    .collect();
    assert!(
        problems.is_empty(),
        "{} {extra:?}: {problems:?}\n{}",
        case.name,
        server.transcript()
    );
    negotiated
}

// ---------------------------------------------------------------------------------------------
// 2. openssl s_client vs spectls server

fn s_client_vs_spectls_server(case: &'static Case) {
    let Some(openssl) = require("openssl") else {
        return;
    };
    s_client_session(&openssl, case, &[], &[]);
}

/// A real TLS 1.3-capable client (s_client with its default versions, 1.3 and 1.2, and so
/// supported_versions in its hello) negotiates TLS 1.2 with the spectls server (RFC 8446 D).
#[test]
fn openssl_s_client_offering_tls13_gets_tls12() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    s_client_session_offering(&openssl, &ECDHE_ECDSA_AES128_GCM_SHA256, &[], &[], &[]);
}

/// `openssl s_client` with `extra` arguments against the spectls server; `want` are more lines
/// s_client must print.
fn s_client_session(openssl: &Path, case: &'static Case, extra: &[&str], want: &[&str]) {
    s_client_session_offering(openssl, case, &["-tls1_2"], extra, want)
}

/// As `s_client_session`, with `versions` as s_client's version arguments.
fn s_client_session_offering(
    openssl: &Path,
    case: &'static Case,
    versions: &[&str],
    extra: &[&str],
    want: &[&str],
) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = listener.local_addr().unwrap().port();
    let payload = client_payload(case);
    let reply = server_reply(&payload);
    // The server closes first: s_client prints "closed" and answers with its close_notify.
    let server = spawn_spectls_server(listener, case, payload.len(), reply.clone(), Closer::Server);
    let protocol: Vec<&str> = versions
        .iter()
        .copied()
        .chain(["-cipher", case.openssl])
        .collect();
    let cmd = verifying_s_client(openssl, port, &protocol, extra);
    let mut client = Peer::spawn(cmd, TRANSCRIPT_CHARS);
    // stdin stays open until s_client exits: its end would make s_client close first.
    client.write_stdin(&payload);
    let report = server.join().expect("server thread");
    let status = client.wait_exit(TIMEOUT);
    client.close_stdin();
    let out = client.stdout_bytes();
    let checks = check_server_report(case, report, &payload).and_then(|()| {
        ensure!(
            status.is_some_and(|s| s.success()),
            "s_client did not exit successfully"
        );
        ensure!(
            contains(&out, &reply),
            "s_client's output lacks the server's reply"
        );
        for want in [
            "Verify return code: 0 (ok)".to_string(),
            "Extended master secret: yes".to_string(),
            "Protocol  : TLSv1.2".to_string(),
            format!("Cipher is {}", case.openssl),
            format!("Cipher    : {}", case.openssl),
        ]
        .into_iter()
        .chain(want.iter().map(|w| w.to_string()))
        {
            ensure!(
                contains(&out, want.as_bytes()),
                "s_client did not print {want:?}"
            );
        }
        // s_client prints "closed" when SSL_read reports close_notify (SSL_ERROR_ZERO_RETURN).
        let after_reply = find(&out, REPLY_END).map_or(&out[..0], |i| &out[i..]);
        ensure!(
            contains(after_reply, b"\nclosed\n"),
            "s_client did not report the server's close_notify (\"closed\")"
        );
        Ok(())
    });
    if let Err(e) = checks {
        panic!("{} {extra:?}: {e}\n{}", case.name, client.transcript());
    }
}

// ---------------------------------------------------------------------------------------------
// 1 and 2 beyond the suites: groups, signature schemes, fragmented handshake messages

/// Each group and RSA signature scheme s_server can be held to, and s_server cutting every
/// record (handshake messages included: the RSA Certificate message is over 1 KB) to 512 bytes.
#[test]
fn spectls_client_vs_openssl_s_server_variants() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    use NamedCurve as G;
    use SignatureScheme as S;
    /// Suite, s_server arguments, the group and signature scheme it must then choose.
    type Variant = (&'static Case, &'static [&'static str], Option<G>, Option<S>);
    let variants: [Variant; 10] = [
        // s_server asks for a client certificate (optional): we answer with an empty one.
        (
            &ECDHE_ECDSA_AES128_GCM_SHA256,
            &["-verify", "1"],
            None,
            None,
        ),
        (
            &ECDHE_ECDSA_AES128_GCM_SHA256,
            &["-groups", "P-256"],
            Some(G::Secp256r1),
            None,
        ),
        (
            &ECDHE_ECDSA_AES256_GCM_SHA384,
            &["-groups", "P-384"],
            Some(G::Secp384r1),
            None,
        ),
        (
            &ECDHE_RSA_AES128_GCM_SHA256,
            &["-groups", "X25519"],
            Some(G::X25519),
            None,
        ),
        (
            &ECDHE_RSA_AES128_GCM_SHA256,
            &["-sigalgs", "RSA+SHA256"],
            None,
            Some(S::RsaPkcs1Sha256),
        ),
        (
            &ECDHE_RSA_AES256_GCM_SHA384,
            &["-sigalgs", "RSA+SHA384"],
            None,
            Some(S::RsaPkcs1Sha384),
        ),
        (
            &ECDHE_RSA_AES256_GCM_SHA384,
            &["-sigalgs", "RSA+SHA512"],
            None,
            Some(S::RsaPkcs1Sha512),
        ),
        (
            &ECDHE_RSA_AES128_GCM_SHA256,
            &["-sigalgs", "RSA-PSS+SHA384"],
            None,
            Some(S::RsaPssRsaeSha384),
        ),
        (
            &ECDHE_RSA_CHACHA20_POLY1305_SHA256,
            &["-sigalgs", "RSA-PSS+SHA512"],
            None,
            Some(S::RsaPssRsaeSha512),
        ),
        (
            &ECDHE_RSA_CHACHA20_POLY1305_SHA256,
            &["-max_send_frag", "512"],
            None,
            None,
        ),
    ];
    for (case, extra, group, scheme) in variants {
        let (got_group, got_scheme) = s_server_session(&openssl, case, extra);
        if group.is_some() {
            assert_eq!(got_group, group, "{} {extra:?}: group", case.name);
        }
        if scheme.is_some() {
            assert_eq!(
                got_scheme, scheme,
                "{} {extra:?}: signature scheme",
                case.name
            );
        }
    }
}

/// Each group and signature scheme s_client can ask the spectls server for, as s_client
/// reports them.
#[test]
fn openssl_s_client_vs_spectls_server_variants() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    let variants: [(&'static Case, &[&str], &[&str]); 10] = [
        (
            &ECDHE_ECDSA_AES128_GCM_SHA256,
            &["-groups", "P-256"],
            &["Server Temp Key: ECDH, prime256v1, 256 bits"],
        ),
        (
            // RSA: a client offering only P-384 cannot take the P-256 ECDSA certificate.
            &ECDHE_RSA_AES256_GCM_SHA384,
            &["-groups", "P-384"],
            &["Server Temp Key: ECDH, secp384r1, 384 bits"],
        ),
        (
            &ECDHE_RSA_AES128_GCM_SHA256,
            &["-groups", "X25519"],
            &["Server Temp Key: X25519, 253 bits"],
        ),
        (
            &ECDHE_ECDSA_CHACHA20_POLY1305_SHA256,
            &["-sigalgs", "ECDSA+SHA256"],
            &["Peer signing digest: SHA256", "Peer signature type: ECDSA"],
        ),
        (
            &ECDHE_RSA_AES128_GCM_SHA256,
            &["-sigalgs", "RSA+SHA256"],
            &["Peer signing digest: SHA256", "Peer signature type: RSA\n"],
        ),
        (
            &ECDHE_RSA_AES256_GCM_SHA384,
            &["-sigalgs", "RSA+SHA384"],
            &["Peer signing digest: SHA384", "Peer signature type: RSA\n"],
        ),
        (
            &ECDHE_RSA_AES256_GCM_SHA384,
            &["-sigalgs", "RSA+SHA512"],
            &["Peer signing digest: SHA512", "Peer signature type: RSA\n"],
        ),
        (
            &ECDHE_RSA_AES128_GCM_SHA256,
            &["-sigalgs", "RSA-PSS+SHA256"],
            &[
                "Peer signing digest: SHA256",
                "Peer signature type: RSA-PSS",
            ],
        ),
        (
            &ECDHE_RSA_AES256_GCM_SHA384,
            &["-sigalgs", "RSA-PSS+SHA384"],
            &[
                "Peer signing digest: SHA384",
                "Peer signature type: RSA-PSS",
            ],
        ),
        (
            &ECDHE_RSA_CHACHA20_POLY1305_SHA256,
            &["-sigalgs", "RSA-PSS+SHA512"],
            &[
                "Peer signing digest: SHA512",
                "Peer signature type: RSA-PSS",
            ],
        ),
    ];
    for (case, extra, want) in variants {
        s_client_session(&openssl, case, extra, want);
    }
}

/// RFC 8422 section 5.3 (as RFC 4492 section 2.2 before it): with an ECDHE_ECDSA suite the
/// server's certificate public key "MUST use a curve and point format supported by the client".
/// A client offering only secp384r1 cannot take the P-256 test certificate, so the server must
/// decline the ECDSA suites with handshake_failure, as `openssl s_server` does ("no shared
/// cipher"). spectls instead chooses the suite and signs with the P-256 key; OpenSSL rejects
/// the ServerKeyExchange (`tls12_check_peer_sigalg: wrong curve`) with illegal_parameter.
#[test]
fn server_declines_ecdsa_suites_when_client_lacks_the_certificate_curve() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    let case = &ECDHE_ECDSA_AES128_GCM_SHA256;
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = listener.local_addr().unwrap().port();
    let server = spawn_spectls_server(listener, case, 1, Vec::new(), Closer::Server);
    let mut cmd = Command::new(openssl);
    cmd.arg("s_client")
        .args(["-connect", &format!("127.0.0.1:{port}")])
        .args(["-tls1_2", "-cipher", case.openssl, "-groups", "P-384"])
        .arg("-CAfile")
        .arg(cert_file("ca.pem"))
        .args(["-servername", "localhost", "-nocommands"]);
    let mut client = Peer::spawn(cmd, TRANSCRIPT_CHARS);
    client.write_stdin(b"x");
    let report = server.join().expect("server thread");
    client.wait_exit(TIMEOUT);
    let err = client.stderr();
    match report {
        Ok(_) => panic!("the handshake completed\n{}", client.transcript()),
        Err(e) => assert!(
            e.contains("peer incompatible") && err.contains("alert handshake failure"),
            "want the spectls server to refuse the ECDSA suite (its own peer-incompatible error, \
             handshake_failure to the client); got: {e}\n{}",
            client.transcript()
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// 3a. gnutls-cli vs spectls server

fn gnutls_cli_vs_spectls_server(case: &'static Case) {
    let Some(gnutls_cli) = require("gnutls-cli") else {
        return;
    };
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = listener.local_addr().unwrap().port();
    let payload = client_payload(case);
    let reply = server_reply(&payload);
    // The client closes first: gnutls-cli sends close_notify at the end of its stdin, and
    // prints "Peer has closed" when the server's close_notify comes back.
    let server = spawn_spectls_server(listener, case, payload.len(), reply.clone(), Closer::Client);
    let mut cmd = Command::new(gnutls_cli);
    cmd.arg("--x509cafile")
        .arg(cert_file("ca.pem"))
        .args(["-p", &port.to_string()])
        .args([
            "--sni-hostname",
            "localhost",
            "--verify-hostname",
            "localhost",
        ])
        .args(["--priority", &case.gnutls_priority()])
        .arg("127.0.0.1");
    let mut client = Peer::spawn(cmd, TRANSCRIPT_CHARS);
    client.write_stdin(&payload);
    let replied = client.wait_output(REPLY_END, TIMEOUT);
    client.close_stdin();
    let report = server.join().expect("server thread");
    let status = client.wait_exit(TIMEOUT);
    let out = client.stdout_bytes();
    let checks = check_server_report(case, report, &payload).and_then(|()| {
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
            "- Description: (TLS1.2-X.509)-".to_string(),
            format!("-({})\n", case.gnutls),
            "extended master secret".to_string(),
            // Printed only for a clean close (gnutls_record_recv() == 0).
            "- Peer has closed the GnuTLS connection".to_string(),
        ] {
            ensure!(
                contains(&out, want.as_bytes()),
                "gnutls-cli did not print {want:?}"
            );
        }
        Ok(())
    });
    if let Err(e) = checks {
        panic!("{}: {e}\n{}", case.name, client.transcript());
    }
}

// ---------------------------------------------------------------------------------------------
// 3b. spectls client vs gnutls-serv, inside a private network namespace

const NETNS_ENV: &str = "SPECTLS_INTEROP_NETNS_CASE";
const NETNS_CHILD: &str = "gnutls_serv_netns_child";
const NETNS_OK: &str = "gnutls-serv netns session passed:";

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
    let (chain, key) = case.chain_and_key();
    let mut cmd = Command::new(gnutls_serv);
    cmd.args(["--echo", "-p", &port.to_string()])
        .arg("--x509certfile")
        .arg(&chain)
        .arg("--x509keyfile")
        .arg(&key)
        .args(["--priority", &case.gnutls_priority()]);
    let mut server = Peer::spawn(cmd, TRANSCRIPT_CHARS);
    let payload = client_payload(case);
    // connect() retries until gnutls-serv listens; the echo answers the payload unchanged.
    if let Err(e) = spectls_client_session(port, case, &payload, &payload) {
        panic!("{}: {e}\n{}", case.name, server.transcript());
    }
    for want in [
        "- Version: TLS1.2".to_string(),
        format!("- Cipher: {}", case.gnutls),
        format!(
            "- Key Exchange: ECDHE-{}",
            if case.rsa() { "RSA" } else { "ECDSA" }
        ),
        "extended master secret".to_string(),
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
// 4. rustls 0.23 (ring provider, TLS 1.2 only), in memory

/// A rustls TLS 1.2 client restricted to this case's suite.
fn rustls_client(case: &Case) -> rustls::Connection {
    let config = RustlsClient {
        suite: Some(case.suite.suite),
        ..RustlsClient::default()
    };
    rustls_client_with(&Arc::new(config.config()))
}

/// A rustls TLS 1.2 server restricted to this case's suite, with the certificate it signs with.
fn rustls_server(case: &Case) -> rustls::Connection {
    let config = RustlsServer {
        suite: Some(case.suite.suite),
        rsa: case.rsa(),
        ..RustlsServer::default()
    };
    rustls_server_with(&Arc::new(config.config()))
}

/// A full session between a spectls and a rustls connection over memory: handshake, 40 000
/// bytes each way, then close_notify from `spectls_closes_first`'s side, answered by the other.
fn spectls_rustls_session(
    case: &Case,
    s: &mut ConnectionCommon,
    r: &mut rustls::Connection,
    spectls_closes_first: bool,
) -> Result<(), String> {
    rustls_session_handshake(s, r)?;
    ensure!(
        s.negotiated_cipher_suite() == Some(case.suite.suite),
        "spectls negotiated {:?}, want {:?}",
        s.negotiated_cipher_suite(),
        case.suite.suite
    );
    let rustls_suite = r.negotiated_cipher_suite().map(|cs| u16::from(cs.suite()));
    ensure!(
        rustls_suite == Some(case.suite.suite.value()),
        "rustls negotiated {:04x?}, want {:?}",
        rustls_suite,
        case.suite.suite
    );
    ensure!(
        r.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_2),
        "rustls: version {:?}",
        r.protocol_version()
    );
    ensure!(
        s.extended_master_secret(),
        "spectls: no extended master secret"
    );
    rustls_session_data_and_close(s, r, spectls_closes_first)
}

fn spectls_client_vs_rustls_server(case: &'static Case) {
    let mut c = ClientConnection::new(
        Arc::new(client_config()),
        ServerName::try_from("localhost").unwrap(),
    )
    .unwrap();
    let mut r = rustls_server(case);
    if let Err(e) = spectls_rustls_session(case, &mut c, &mut r, true) {
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
    let mut s = ServerConnection::new(Arc::new(server_config(case.rsa()))).unwrap();
    let mut r = rustls_client(case);
    if let Err(e) = spectls_rustls_session(case, &mut s, &mut r, false) {
        panic!("{}: {e}", case.name);
    }
    assert_eq!(s.server_name(), Some("localhost"), "spectls server: SNI");
}
