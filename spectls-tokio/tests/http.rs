//! HTTP over spectls-tokio (feature `hyper`): the examples `https_server` and `https_client`
//! as child processes (built by `cargo test`, found as the root crate's tests find theirs),
//! real HTTP clients and servers as peers, and `HttpsConnector` in-process.
//!
//! | test                                   | client                      | server                     |
//! |----------------------------------------|-----------------------------|----------------------------|
//! | `curl_http2_and_http11`                | `curl --http2`, `--http1.1` | `https_server`             |
//! | `example_client_vs_example_server`     | `https_client`              | `https_server`             |
//! | `example_client_vs_openssl_s_server_www` | `https_client`            | `openssl s_server -www`    |
//! | `chromium_loads_the_page_over_h2`      | headless Chromium           | `https_server`             |
//! | `connector_refuses_an_untrusted_server`| `HttpsConnector`            | spectls-tokio (rcgen cert) |
//! | `connector_refuses_http_urls`          | `HttpsConnector`            | plain TCP                  |
//!
//! What each checks: the page's content (its `#tls` line names the TLS version, suite, ALPN and
//! HTTP version the server saw), `/echo`'s body, and the server's log line for the connection
//! (`ALPN h2, HTTP/2` or `ALPN http/1.1, HTTP/1.1`). A missing curl, openssl or chromium skips
//! its test with a `SKIPPED` line naming the package, or fails it under
//! `SPECTLS_REQUIRE_PEERS=1` (as CI runs).

mod common;

use common::chromium;
use common::example_bin::{example, Server};
use common::peer::{cert_file, require, start_s_server_on_free_port, Peer, TIMEOUT};
use common::{bounded, listen, CA, ECDSA_CHAIN};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use spectls::pki::{certs_from_pem, RootCertStore};
use spectls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use spectls::ServerConfig;
use spectls::{CertificateError, ClientConfig};
use spectls_tokio::http::{HttpsConnector, UrlRefused};
use spectls_tokio::TlsAcceptor;
use std::error::Error;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// The example server with `extra` arguments, on a free port of 127.0.0.1, serving its
/// embedded test certificate (for localhost, issued by `tests/data/certs/ca.pem`).
fn https_server(extra: &[&str]) -> Server {
    let mut cmd = Command::new(example("https_server"));
    cmd.args(["--port", "0"]).args(extra);
    Server::spawn(cmd)
}

/// Runs `cmd` to its end (within `limit`); its transcript on failure or time-out.
fn run(cmd: Command, limit: Duration) -> Peer {
    let mut peer = Peer::spawn(cmd, 4000);
    if peer.wait_exit(limit).is_none() {
        panic!("not done within {limit:?}:\n{}", peer.transcript());
    }
    peer
}

fn succeeded(peer: &Peer) -> bool {
    peer.status().is_some_and(|s| s.success())
}

/// `curl` to the example server over `--resolve localhost:PORT:127.0.0.1`, trusting the test CA.
fn curl(curl: &std::path::Path, port: u16, args: &[&str], path: &str) -> Command {
    let mut cmd = Command::new(curl);
    cmd.args(["--silent", "--show-error", "--max-time", "10"])
        .arg("--cacert")
        .arg(cert_file("ca.pem"))
        .arg("--resolve")
        .arg(format!("localhost:{port}:127.0.0.1"))
        .args(args)
        .arg(format!("https://localhost:{port}{path}"));
    cmd
}

/// Waits for the server's log to show `needle`, failing with the log's tail otherwise.
fn expect_log(server: &Server, needle: &str) {
    assert!(
        server.wait_stderr(needle, TIMEOUT),
        "the server's log does not show {needle:?}:\n{}",
        server.log_tail()
    );
}

/// curl, HTTP/2 and HTTP/1.1, against the example server speaking TLS 1.3 and TLS 1.2: the page
/// over `--http2` names ALPN h2 and HTTP/2.0, `/echo` over `--http1.1` sends the body back, the
/// server logs each connection with its ALPN and HTTP version. Before them, a curl that does
/// not trust the test CA fails its handshake: the server logs it and goes on serving.
#[test]
fn curl_http2_and_http11() {
    let Some(curl_bin) = require("curl") else {
        return;
    };
    for (version, flag, suite_prefix) in [
        ("TLSv1.3", "--tls13", "TLS_"),
        ("TLSv1.2", "--tls12", "TLS_ECDHE_ECDSA_WITH_"),
    ] {
        let server = https_server(&[flag]);
        let port = server.port;

        // Without --cacert (an empty CA path so the system store does not decide): refused.
        let mut untrusting = Command::new(&curl_bin);
        untrusting
            .args(["--silent", "--max-time", "10", "--capath", "/nonexistent"])
            .args(["--cacert", "/dev/null"])
            .arg("--resolve")
            .arg(format!("localhost:{port}:127.0.0.1"))
            .arg(format!("https://localhost:{port}/"));
        let refused = run(untrusting, TIMEOUT);
        assert!(
            !succeeded(&refused),
            "{version}: curl without the test CA got through\n{}",
            refused.transcript()
        );
        expect_log(&server, "handshake failed with 127.0.0.1:");

        let page = run(curl(&curl_bin, port, &["--http2"], "/"), TIMEOUT);
        let out = page.stdout();
        assert!(
            succeeded(&page)
                && out.contains("<title>spectls https_server</title>")
                && out.contains(&format!("<p id=\"tls\">{version}, {suite_prefix}"))
                && out.contains(", ALPN h2, HTTP/2.0</p>"),
            "{version}: curl --http2 did not get the page over h2\n{}\n--- server:\n{}",
            page.transcript(),
            server.log_tail()
        );
        expect_log(&server, &format!(": {version}, {suite_prefix}"));
        expect_log(&server, ", ALPN h2, HTTP/2\n");
        expect_log(&server, ": GET / HTTP/2.0 -> 200 OK");

        let body = "echo this, please: \u{e9}\u{e8} 0123456789";
        let echo = run(
            curl(
                &curl_bin,
                port,
                &["--http1.1", "--data-binary", body],
                "/echo",
            ),
            TIMEOUT,
        );
        assert!(
            succeeded(&echo) && echo.stdout() == body,
            "{version}: curl --http1.1 POST /echo did not get its body back\n{}\n--- server:\n{}",
            echo.transcript(),
            server.log_tail()
        );
        expect_log(&server, ", ALPN http/1.1, HTTP/1.1\n");
        expect_log(&server, ": POST /echo HTTP/1.1 -> 200 OK");
    }
}

/// The example client against the example server: HTTP/2 by default (the page, and the TLS
/// line the client prints from the connector's `TlsInfo`), `--http1` offers only http/1.1 (and
/// `/echo` sends the POSTed body back).
#[test]
fn example_client_vs_example_server() {
    let server = https_server(&[]);
    let url = format!("https://localhost:{}/", server.port);
    let mut cmd = Command::new(example("https_client"));
    cmd.arg("--test-ca").arg(&url);
    let h2 = run(cmd, TIMEOUT);
    let out = h2.stdout();
    assert!(
        succeeded(&h2)
            && out.starts_with("status: 200 OK\nhttp: HTTP/2.0\ntls: TLSv1.3 TLS_")
            && out.contains(", ALPN h2\n\n<!DOCTYPE html>")
            && out.contains("<h1>Hello from spectls over hyper</h1>")
            && out.contains(", ALPN h2, HTTP/2.0</p>"),
        "https_client did not get the page over HTTP/2\n{}\n--- server:\n{}",
        h2.transcript(),
        server.log_tail()
    );
    assert!(
        h2.stderr().contains("roots: the test CA"),
        "{}",
        h2.transcript()
    );
    expect_log(&server, ", ALPN h2, HTTP/2\n");

    // IP address in the URL: the certificate names 127.0.0.1 too.
    let echo_url = format!("https://127.0.0.1:{}/echo", server.port);
    let mut cmd = Command::new(example("https_client"));
    cmd.args(["--test-ca", "--http1", "--data", "ping over http/1.1"])
        .arg(&echo_url);
    let h1 = run(cmd, TIMEOUT);
    assert_eq!(
        h1.stdout().split_once("\ntls: ").map(|(head, _)| head),
        Some("status: 200 OK\nhttp: HTTP/1.1"),
        "https_client --http1 did not use HTTP/1.1\n{}",
        h1.transcript()
    );
    assert!(
        succeeded(&h1)
            && h1.stdout().contains(", ALPN http/1.1\n\n")
            && h1.stdout().ends_with("\n\nping over http/1.1"),
        "https_client --http1 --data: no echo\n{}\n--- server:\n{}",
        h1.transcript(),
        server.log_tail()
    );
    expect_log(&server, ", ALPN http/1.1, HTTP/1.1\n");
    expect_log(&server, ": POST /echo HTTP/1.1 -> 200 OK");
}

/// The example client against `openssl s_server -www` (no ALPN there, so HTTP/1.x; it answers
/// HTTP/1.0 with a page listing its ciphers, and closes).
#[test]
fn example_client_vs_openssl_s_server_www() {
    let Some(openssl) = require("openssl") else {
        return;
    };
    let (_server, port) = start_s_server_on_free_port(&openssl, 4000, |cmd| {
        cmd.arg("-www")
            .arg("-cert")
            .arg(cert_file("server-ecdsa.pem"))
            .arg("-key")
            .arg(cert_file("server-ecdsa.key"));
    });
    let mut cmd = Command::new(example("https_client"));
    cmd.arg("--test-ca")
        .arg(format!("https://localhost:{port}/"));
    let client = run(cmd, TIMEOUT);
    let out = client.stdout();
    assert!(
        succeeded(&client)
            && out.starts_with("status: 200 OK\nhttp: HTTP/1.0\ntls: TLSv1.3 TLS_")
            && out.contains(", no ALPN\n\n")
            && out.contains("Ciphers supported in s_server binary"),
        "https_client did not get s_server's page\n{}",
        client.transcript()
    );
}

/// Headless Chromium loads the page from the example server over the loopback, trusting its
/// certificate by the SHA-256 of its public key (`--ignore-certificate-errors-spki-list`, which
/// needs its own `--user-data-dir`): the dumped DOM has the page's heading, and the server's
/// log shows the connection negotiated TLS 1.3 and h2 and served `GET /` over HTTP/2.
#[test]
fn chromium_loads_the_page_over_h2() {
    let server = https_server(&[]);
    let chain = certs_from_pem(ECDSA_CHAIN).expect("certificates");
    let url = format!("https://localhost:{}/", server.port);
    let Some(page) = chromium::dump_dom(&url, &chain[0]) else {
        return;
    };
    let dom = page.unwrap_or_else(|e| panic!("{e}\n--- server:\n{}", server.log_tail()));
    assert!(
        dom.contains("<title>spectls https_server</title>")
            && dom.contains("<h1>Hello from spectls over hyper</h1>")
            && dom.contains("TLSv1.3, TLS_")
            // Chromium offers the post-quantum hybrid, which the server prefers.
            && dom.contains(", X25519MLKEM768, ALPN h2, HTTP/2.0</p>"),
        "chromium's DOM is not the page over h2\n{dom}\n--- server:\n{}",
        server.log_tail()
    );
    expect_log(&server, ": TLSv1.3, TLS_");
    expect_log(&server, ", X25519MLKEM768, ALPN h2, HTTP/2\n");
    expect_log(&server, ": GET / HTTP/2.0 -> 200 OK");
}

/// The connector against a server whose certificate the test CA did not issue (a self-signed
/// one from rcgen): the request fails, and the error's causes include spectls's
/// `InvalidCertificate(UnknownIssuer)`.
#[tokio::test]
async fn connector_refuses_an_untrusted_server() {
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .expect("params")
        .self_signed(&key)
        .expect("self-signed");
    let config = ServerConfig::builder()
        .with_single_cert(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .expect("certificate")
        .build()
        .expect("server config");
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = listen().await;
    let port = listener.local_addr().expect("port").port();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.expect("accept");
        acceptor.accept(tcp).await.map(|_| ())
    });

    let client = test_client(HttpsConnector::builder(trusting_test_ca()).build());
    let result = bounded(
        "request",
        client.get(format!("https://localhost:{port}/").parse().expect("url")),
    )
    .await;
    let Err(e) = result else {
        panic!("a server the test CA did not certify was accepted");
    };
    let certificate_error = causes(&e).find_map(|c| match c.downcast_ref::<spectls::Error>() {
        Some(spectls::Error::InvalidCertificate(c)) => Some(c.clone()),
        _ => None,
    });
    assert_eq!(
        certificate_error,
        Some(CertificateError::UnknownIssuer),
        "not a certificate error: {}",
        chain(&e)
    );
    // The server got our unknown_ca alert.
    let served = bounded("server", server).await.expect("server task");
    let alert = served.expect_err("the server's handshake should fail");
    assert!(
        alert.to_string().contains("unknown_ca"),
        "server saw: {alert}"
    );
}

/// An `http://` URL is refused with `UrlRefused` (saying why) before anything connects; with
/// `https_or_http` the same connector speaks plain HTTP to a plain TCP server.
#[tokio::test]
async fn connector_refuses_http_urls() {
    let listener = listen().await;
    let port = listener.local_addr().expect("port").port();
    let url: hyper::Uri = format!("http://127.0.0.1:{port}/").parse().expect("url");

    let client = test_client(HttpsConnector::builder(trusting_test_ca()).build());
    let Err(e) = bounded("request", client.get(url.clone())).await else {
        panic!("http:// was not refused");
    };
    let refused = causes(&e).find_map(|c| c.downcast_ref::<UrlRefused>());
    let Some(refused) = refused else {
        panic!("not refused by the connector: {}", chain(&e));
    };
    assert!(
        refused.to_string().contains("plain http:// refused"),
        "{refused}"
    );

    // Allowed: a plain HTTP/1.1 answer from a bare TCP server.
    let server = tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.expect("accept");
        let mut request = Vec::new();
        let mut buf = [0u8; 1024];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            use tokio::io::AsyncReadExt;
            let n = tcp.read(&mut buf).await.expect("read");
            assert!(n > 0, "client closed before its request");
            request.extend_from_slice(&buf[..n]);
        }
        tcp.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nplain")
            .await
            .expect("write");
        request
    });
    let client = test_client(
        HttpsConnector::builder(trusting_test_ca())
            .https_or_http()
            .build(),
    );
    let response = bounded("plain request", client.get(url))
        .await
        .expect("plain http allowed");
    assert_eq!(response.status(), 200);
    assert!(response
        .extensions()
        .get::<spectls_tokio::http::TlsInfo>()
        .is_none());
    let body = bounded("body", response.into_body().collect())
        .await
        .expect("body")
        .to_bytes();
    assert_eq!(&body[..], b"plain");
    let request = bounded("server", server).await.expect("server task");
    assert!(request.starts_with(b"GET / HTTP/1.1\r\n"), "{request:?}");
}

fn trusting_test_ca() -> spectls::ClientConfigBuilder {
    ClientConfig::builder().with_root_certificates(RootCertStore::from_pem(CA).expect("test CA"))
}

type TestClient = Client<HttpsConnector, Empty<Bytes>>;

fn test_client(connector: Result<HttpsConnector, spectls::Error>) -> TestClient {
    Client::builder(TokioExecutor::new()).build(connector.expect("connector"))
}

/// `e` and its sources.
fn causes<'a>(e: &'a (dyn Error + 'static)) -> impl Iterator<Item = &'a (dyn Error + 'static)> {
    std::iter::successors(Some(e), |e| (*e).source())
}

fn chain(e: &(dyn Error + 'static)) -> String {
    causes(e)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}
