//! The async client and server against other TLS stacks, TLS 1.3 and TLS 1.2 each:
//!
//! | test                                | client                     | server                     |
//! |-------------------------------------|----------------------------|----------------------------|
//! | `async_client_vs_openssl_s_server`  | spectls-tokio              | `openssl s_server -rev`    |
//! | `openssl_s_client_vs_async_server`  | `openssl s_client`         | spectls-tokio              |
//! | `gnutls_cli_vs_async_server`        | `gnutls-cli`               | spectls-tokio              |
//! | `async_client_vs_gnutls_serv`       | spectls-tokio              | `gnutls-serv --echo` (netns)|
//! | `async_client_vs_tokio_rustls`      | spectls-tokio              | tokio-rustls (rustls, ring)|
//! | `tokio_rustls_vs_async_server`      | tokio-rustls (rustls, ring)| spectls-tokio              |
//!
//! Each checks the version on both sides where the peer reports it, data both ways (more than
//! one record) compared byte for byte, and close_notify both ways. The peers are child
//! processes (`common::peer`, the root crate's helper): a missing binary skips the test with a
//! `SKIPPED` line naming its package, or fails it under `SPECTLS_REQUIRE_PEERS=1`.
//! gnutls-serv binds every interface, so it runs in a private network namespace with only
//! loopback (`gnutls_serv_netns_child`, `#[ignore]`d, is that part), as in the root crate.

mod common;

use common::peer::{
    cert_file, locate, loopback_only_namespace, require, run_in_private_netns,
    start_s_server_on_free_port, verifying_s_client, Peer, TIMEOUT,
};
use common::*;
use spectls::version::TLS13;
use spectls::wire::ProtocolVersion;
use std::io;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

const TRANSCRIPT_CHARS: usize = 4000;

/// 3 lines of 7000 bytes: more than one 16 KiB record, lines short enough for s_server's
/// 16 KiB line buffer.
fn payload(seed: u64) -> Vec<u8> {
    text(seed, 3, 7000)
}

/// What the async servers answer: the lines reversed, then a marker line.
fn reply(data: &[u8]) -> Vec<u8> {
    let mut out = reverse_lines(data);
    out.extend_from_slice(REPLY_END);
    out
}

const REPLY_END: &[u8] = b"--- end of the spectls-tokio reply ---\n";

fn openssl_flag(version: &ProtocolVersion) -> &'static str {
    if *version == TLS13 {
        "-tls1_3"
    } else {
        "-tls1_2"
    }
}

fn gnutls_priority(version: &ProtocolVersion) -> &'static str {
    if *version == TLS13 {
        "NORMAL:-VERS-ALL:+VERS-TLS1.3"
    } else {
        "NORMAL:-VERS-ALL:+VERS-TLS1.2"
    }
}

/// The name OpenSSL and GnuTLS print for `version`.
fn version_name(version: &ProtocolVersion) -> (&'static str, &'static str) {
    if *version == TLS13 {
        ("TLSv1.3", "TLS1.3")
    } else {
        ("TLSv1.2", "TLS1.2")
    }
}

/// Over an established stream: sends `data`, reads `answer.len()` bytes and compares, sends
/// close_notify, then requires the peer's close_notify (a clean end of data).
async fn client_session<S: AsyncRead + AsyncWrite + Unpin>(
    tls: &mut S,
    data: &[u8],
    answer: &[u8],
) -> Result<(), String> {
    tls.write_all(data)
        .await
        .map_err(|e| format!("write: {e}"))?;
    let mut got = vec![0u8; answer.len()];
    tls.read_exact(&mut got)
        .await
        .map_err(|e| format!("read the answer: {e}"))?;
    if got != answer {
        return Err("the answer differs".into());
    }
    tls.shutdown()
        .await
        .map_err(|e| format!("close_notify: {e}"))?;
    let mut rest = Vec::new();
    tls.read_to_end(&mut rest)
        .await
        .map_err(|e| format!("no close_notify from the peer after ours: {e}"))?;
    if !rest.is_empty() {
        return Err(format!("{} bytes after the answer", rest.len()));
    }
    Ok(())
}

/// Who sends close_notify first once the async server has answered.
#[derive(Clone, Copy)]
enum Closer {
    Server,
    Client,
}

/// An async spectls server for one connection on a fresh port: reads `len` bytes, answers
/// `reply(...)`, then exchanges close_notify in `closer`'s order (requiring the client's).
/// Returns the port and the task, which gives what the server received and the version.
async fn spawn_async_server(
    version: &ProtocolVersion,
    len: usize,
    closer: Closer,
) -> (
    u16,
    tokio::task::JoinHandle<Result<(Vec<u8>, Option<ProtocolVersion>), String>>,
) {
    let listener = listen().await;
    let port = listener.local_addr().expect("address").port();
    let acceptor = acceptor(version);
    let task = tokio::spawn(async move {
        let run = async {
            let (sock, _) = listener.accept().await.map_err(|e| e.to_string())?;
            let mut tls = acceptor
                .accept(sock)
                .await
                .map_err(|e| format!("handshake: {e}"))?;
            let mut got = vec![0u8; len];
            tls.read_exact(&mut got)
                .await
                .map_err(|e| format!("read: {e}"))?;
            tls.write_all(&reply(&got))
                .await
                .map_err(|e| format!("write: {e}"))?;
            tls.flush().await.map_err(|e| format!("flush: {e}"))?;
            let mut rest = Vec::new();
            match closer {
                Closer::Server => {
                    tls.shutdown().await.map_err(|e| format!("close: {e}"))?;
                    tls.read_to_end(&mut rest)
                        .await
                        .map_err(|e| format!("the client's close_notify: {e}"))?;
                }
                Closer::Client => {
                    tls.read_to_end(&mut rest)
                        .await
                        .map_err(|e| format!("the client's close_notify: {e}"))?;
                    tls.shutdown().await.map_err(|e| format!("close: {e}"))?;
                }
            }
            let version = tls.get_ref().1.protocol_version();
            Ok((got, version))
        };
        tokio::time::timeout(LIMIT, run)
            .await
            .unwrap_or_else(|_| Err(format!("not done within {LIMIT:?}")))
    });
    (port, task)
}

/// Runs blocking `Peer` work (waits with sleeps) off the runtime's threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("blocking task")
}

// ---------------------------------------------------------------------------------------------
// openssl

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_client_vs_openssl_s_server() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    for (name, version) in VERSIONS {
        let flag = openssl_flag(&version);
        let openssl = openssl.clone();
        let (mut server, port) = blocking(move || {
            start_s_server_on_free_port(&openssl, TRANSCRIPT_CHARS, |cmd| {
                cmd.args(["-naccept", "1", flag])
                    .arg("-cert")
                    .arg(cert_file("server-ecdsa.pem"))
                    .arg("-key")
                    .arg(cert_file("server-ecdsa.key"))
                    .arg("-cert_chain")
                    .arg(cert_file("ca.pem"))
                    .arg("-rev");
            })
        })
        .await;
        let data = payload(1);
        let session = async {
            let tcp = TcpStream::connect(("127.0.0.1", port))
                .await
                .map_err(|e| format!("connect: {e}"))?;
            let mut tls = connector(&version)
                .connect(localhost(), tcp)
                .await
                .map_err(|e| format!("handshake: {e}"))?;
            if tls.get_ref().1.protocol_version() != Some(version.clone()) {
                return Err(format!(
                    "negotiated {:?}",
                    tls.get_ref().1.protocol_version()
                ));
            }
            client_session(&mut tls, &data, &reverse_lines(&data)).await
        };
        let result = bounded(name, session).await;
        let (status, server) = blocking(move || (server.wait_exit(TIMEOUT), server)).await;
        if let Err(e) = result {
            panic!("{name}: {e}\n{}", server.transcript());
        }
        let err = server.stderr();
        assert!(
            status.is_some_and(|s| s.success()) && err.contains("CONNECTION CLOSED"),
            "{name}: s_server did not see a clean close\n{}",
            server.transcript()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openssl_s_client_vs_async_server() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    for (name, version) in VERSIONS {
        let data = payload(2);
        let (port, server) = spawn_async_server(&version, data.len(), Closer::Server).await;
        let mut client = Peer::spawn(
            verifying_s_client(&openssl, port, &[openssl_flag(&version)], &[]),
            TRANSCRIPT_CHARS,
        );
        // stdin stays open until s_client exits: its end would make s_client close first.
        client.write_stdin(&data);
        let seen = bounded(name, server).await.expect("server task");
        let (status, mut client) = blocking(move || (client.wait_exit(TIMEOUT), client)).await;
        client.close_stdin();
        let (got, negotiated) =
            seen.unwrap_or_else(|e| panic!("{name}: server: {e}\n{}", client.transcript()));
        assert!(got == data, "{name}: the server got other data");
        assert_eq!(negotiated, Some(version.clone()), "{name}");
        let out = client.stdout_bytes();
        let (openssl_name, _) = version_name(&version);
        let checks = [
            (
                status.is_some_and(|s| s.success()),
                "s_client exited successfully",
            ),
            (
                common::peer::contains(&out, &reply(&data)),
                "s_client printed the reply",
            ),
            (
                common::peer::contains(&out, b"Verify return code: 0 (ok)"),
                "s_client verified the certificate",
            ),
            (
                common::peer::contains(&out, format!("New, {openssl_name}").as_bytes()),
                "s_client reports the version",
            ),
            // s_client prints "closed" when SSL_read reports close_notify.
            (
                common::peer::contains(&out, b"\nclosed\n"),
                "s_client saw the server's close_notify",
            ),
        ];
        for (ok, what) in checks {
            assert!(ok, "{name}: not so: {what}\n{}", client.transcript());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// gnutls

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gnutls_cli_vs_async_server() {
    let Some(gnutls_cli) = require("gnutls-cli") else {
        return;
    };
    for (name, version) in VERSIONS {
        let data = payload(3);
        // The client closes first: gnutls-cli sends close_notify at the end of its stdin, and
        // prints "Peer has closed" when the server's close_notify comes back.
        let (port, server) = spawn_async_server(&version, data.len(), Closer::Client).await;
        let mut cmd = Command::new(&gnutls_cli);
        cmd.arg("--x509cafile")
            .arg(cert_file("ca.pem"))
            .args(["-p", &port.to_string()])
            .args(["--sni-hostname", "localhost"])
            .args(["--verify-hostname", "localhost"])
            .args(["--priority", gnutls_priority(&version)])
            .arg("127.0.0.1");
        let mut client = Peer::spawn(cmd, TRANSCRIPT_CHARS);
        client.write_stdin(&data);
        let (replied, status, client) = blocking(move || {
            let replied = client.wait_output(REPLY_END, TIMEOUT);
            client.close_stdin();
            let status = client.wait_exit(TIMEOUT);
            (replied, status, client)
        })
        .await;
        let seen = bounded(name, server).await.expect("server task");
        let (got, negotiated) =
            seen.unwrap_or_else(|e| panic!("{name}: server: {e}\n{}", client.transcript()));
        assert!(got == data, "{name}: the server got other data");
        assert_eq!(negotiated, Some(version.clone()), "{name}");
        let out = client.stdout_bytes();
        let (_, gnutls_name) = version_name(&version);
        let checks = [
            (replied, "gnutls-cli printed the reply's end"),
            (
                common::peer::contains(&out, &reply(&data)),
                "gnutls-cli printed the reply",
            ),
            (
                status.is_some_and(|s| s.success()),
                "gnutls-cli exited successfully",
            ),
            (
                common::peer::contains(&out, b"- Status: The certificate is trusted."),
                "gnutls-cli trusted the certificate",
            ),
            (
                common::peer::contains(&out, format!("- Description: ({gnutls_name}").as_bytes()),
                "gnutls-cli reports the version",
            ),
            (
                common::peer::contains(&out, b"- Peer has closed the GnuTLS connection"),
                "gnutls-cli saw the server's close_notify",
            ),
        ];
        for (ok, what) in checks {
            assert!(ok, "{name}: not so: {what}\n{}", client.transcript());
        }
    }
}

const NETNS_ENV: &str = "SPECTLS_TOKIO_INTEROP_NETNS_VERSION";
const NETNS_CHILD: &str = "gnutls_serv_netns_child";
const NETNS_OK: &str = "gnutls-serv async netns session passed:";

#[test]
fn async_client_vs_gnutls_serv() {
    // All three looked up before returning, so a skip names every missing one at once.
    let (Some(unshare), Some(_), Some(_)) =
        (require("unshare"), require("ip"), require("gnutls-serv"))
    else {
        return;
    };
    for (name, _) in VERSIONS {
        let marker = format!("{NETNS_OK} {name}");
        run_in_private_netns(&unshare, NETNS_CHILD, (NETNS_ENV, name), &marker);
    }
}

#[tokio::test]
#[ignore = "not a test on its own: async_client_vs_gnutls_serv runs it inside `unshare --net`"]
async fn gnutls_serv_netns_child() {
    let Ok(name) = std::env::var(NETNS_ENV) else {
        eprintln!("{NETNS_ENV} is not set: nothing to do outside async_client_vs_gnutls_serv");
        return;
    };
    let (_, version) = VERSIONS
        .into_iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("{NETNS_ENV}={name}: no such version"));
    // The outer test found both before starting this one: missing now is a failure, not a skip.
    let ip = locate("ip").expect("ip: found by the outer test");
    let gnutls_serv = locate("gnutls-serv").expect("gnutls-serv: found by the outer test");
    // gnutls-serv binds every interface: refuse to start it anywhere but here.
    loopback_only_namespace(&ip);

    let port = common::peer::free_port(); // nothing else runs in this namespace: no race
    let mut cmd = Command::new(gnutls_serv);
    cmd.args(["--echo", "-p", &port.to_string()])
        .arg("--x509certfile")
        .arg(cert_file("server-ecdsa.pem"))
        .arg("--x509keyfile")
        .arg(cert_file("server-ecdsa.key"))
        .args(["--priority", gnutls_priority(&version)]);
    let server = Peer::spawn(cmd, TRANSCRIPT_CHARS);
    let data = payload(4);
    let session = async {
        // Until gnutls-serv listens (bounded).
        let deadline = Instant::now() + TIMEOUT;
        let tcp = loop {
            match TcpStream::connect(("127.0.0.1", port)).await {
                Ok(tcp) => break tcp,
                Err(e) if Instant::now() > deadline => return Err(format!("connect: {e}")),
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        };
        let mut tls = connector(&version)
            .connect(localhost(), tcp)
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        if tls.get_ref().1.protocol_version() != Some(version.clone()) {
            return Err(format!(
                "negotiated {:?}",
                tls.get_ref().1.protocol_version()
            ));
        }
        // --echo answers the data unchanged.
        client_session(&mut tls, &data, &data).await
    };
    if let Err(e) = bounded(&name, session).await {
        panic!("{name}: {e}\n{}", server.transcript());
    }
    let (_, gnutls_name) = version_name(&version);
    let want = format!("- Version: {gnutls_name}");
    let (seen, server) = blocking(move || {
        let mut server = server;
        (server.wait_output(want.as_bytes(), TIMEOUT), server)
    })
    .await;
    assert!(
        seen,
        "{name}: gnutls-serv did not report the version\n{}",
        server.transcript()
    );
    println!("{NETNS_OK} {name}");
}

// ---------------------------------------------------------------------------------------------
// rustls via tokio-rustls

fn rustls_version(version: &ProtocolVersion) -> &'static rustls::SupportedProtocolVersion {
    if *version == TLS13 {
        &rustls::version::TLS13
    } else {
        &rustls::version::TLS12
    }
}

fn rustls_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

#[tokio::test]
async fn async_client_vs_tokio_rustls() {
    for (name, version) in VERSIONS {
        let config = rustls::ServerConfig::builder_with_provider(rustls_provider())
            .with_protocol_versions(&[rustls_version(&version)])
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(
                spectls::pki::certs_from_pem(ECDSA_CHAIN).expect("chain"),
                spectls::pki::private_key_from_pem(ECDSA_KEY).expect("key"),
            )
            .expect("rustls server config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let (c, s) = tcp_pair().await;
        let data = payload(5);
        let len = data.len();
        let server = tokio::spawn(async move {
            let mut tls = acceptor.accept(s).await?;
            let mut got = vec![0u8; len];
            tls.read_exact(&mut got).await?;
            tls.write_all(&reverse_lines(&got)).await?;
            tls.flush().await?;
            // The client closes first; rustls reports its close_notify as the end of data.
            let mut rest = Vec::new();
            tls.read_to_end(&mut rest).await?;
            tls.shutdown().await?;
            let negotiated = tls.get_ref().1.protocol_version();
            io::Result::Ok((got, negotiated))
        });
        let session = async {
            let mut tls = connector(&version)
                .connect(localhost(), c)
                .await
                .map_err(|e| format!("handshake: {e}"))?;
            let negotiated = tls.get_ref().1.protocol_version();
            client_session(&mut tls, &data, &reverse_lines(&data))
                .await
                .map(|()| negotiated)
        };
        let negotiated = bounded(name, session)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(negotiated, Some(version.clone()), "{name}");
        let (got, theirs) = bounded(name, server)
            .await
            .expect("server task")
            .unwrap_or_else(|e| panic!("{name}: rustls server: {e}"));
        assert!(got == data, "{name}: rustls got other data");
        assert_eq!(theirs, Some(rustls_version(&version).version), "{name}");
    }
}

#[tokio::test]
async fn tokio_rustls_vs_async_server() {
    for (name, version) in VERSIONS {
        let mut roots = rustls::RootCertStore::empty();
        for ca in spectls::pki::certs_from_pem(CA).expect("CA") {
            roots.add(ca).expect("root");
        }
        let config = rustls::ClientConfig::builder_with_provider(rustls_provider())
            .with_protocol_versions(&[rustls_version(&version)])
            .expect("versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let data = payload(6);
        let (port, server) = spawn_async_server(&version, data.len(), Closer::Server).await;
        let session = async {
            let tcp = TcpStream::connect(("127.0.0.1", port))
                .await
                .map_err(|e| format!("connect: {e}"))?;
            let mut tls = connector
                .connect("localhost".try_into().expect("name"), tcp)
                .await
                .map_err(|e| format!("handshake: {e}"))?;
            let negotiated = tls.get_ref().1.protocol_version();
            // The server closes first: the reply, then its close_notify (a clean end).
            tls.write_all(&data)
                .await
                .map_err(|e| format!("write: {e}"))?;
            let mut answer = Vec::new();
            tls.read_to_end(&mut answer)
                .await
                .map_err(|e| format!("read to the server's close_notify: {e}"))?;
            tls.shutdown().await.map_err(|e| format!("close: {e}"))?;
            Ok::<_, String>((answer, negotiated))
        };
        let (answer, theirs) = bounded(name, session)
            .await
            .unwrap_or_else(|e| panic!("{name}: rustls client: {e}"));
        assert!(answer == reply(&data), "{name}: rustls got another answer");
        assert_eq!(theirs, Some(rustls_version(&version).version), "{name}");
        let (got, negotiated) = bounded(name, server)
            .await
            .expect("server task")
            .unwrap_or_else(|e| panic!("{name}: server: {e}"));
        assert!(got == data, "{name}: the server got other data");
        assert_eq!(negotiated, Some(version.clone()), "{name}");
    }
}
