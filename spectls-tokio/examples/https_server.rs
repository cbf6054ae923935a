//! An HTTPS server: hyper's HTTP/1.1 and HTTP/2 over spectls-tokio, the version chosen by ALPN.
//!
//! `cargo run -p spectls-tokio --example https_server -- [--port N] [--cert chain.pem --key
//! key.pem] [--tls12 | --tls13]`
//!
//! It listens on 127.0.0.1:N (default 8443; `--port 0` picks a free port) and says so first
//! (`listening on 127.0.0.1:PORT`, on stderr, where all its log goes). It offers ALPN `h2` and
//! `http/1.1` and serves each connection with hyper's HTTP/2 server when the client picked
//! `h2`, with its HTTP/1.1 server otherwise (`http/1.1`, or a client without ALPN). Routes:
//!
//! - `GET /`: a small HTML page (title `spectls https_server`) whose `#tls` line names what the
//!   connection negotiated: `TLSv1.3, TLS_AES_128_GCM_SHA256, X25519MLKEM768, ALPN h2, HTTP/2.0`
//!   (version, suite, key exchange group, ALPN, HTTP version);
//! - `POST /echo`: the request body back (at most 1 MiB), `application/octet-stream`;
//! - anything else: 404.
//!
//! Without `--cert`/`--key` it serves the test certificate embedded from
//! `tests/data/certs/server-ecdsa.pem` (for `localhost` and 127.0.0.1, issued by the test CA
//! `tests/data/certs/ca.pem`: give that to `curl --cacert` or `https_client --test-ca`). It
//! speaks TLS 1.3 and 1.2, preferring 1.3; `--tls12` or `--tls13` accepts only that one.
//!
//! The log has one line per connection once its handshake is done (`connection from
//! 127.0.0.1:PORT: TLSv1.3, TLS_AES_128_GCM_SHA256, X25519MLKEM768, ALPN h2, HTTP/2`), one per request
//! (`request from ...: GET / HTTP/2.0 -> 200 OK`), and one per failure: a failed handshake (or
//! one not done within 10 seconds) or a broken connection is logged and the server goes on.

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use spectls::pki::{certs_from_pem, private_key_from_pem};
use spectls::version::{TLS12, TLS13};
use spectls::wire::ProtocolVersion;
use spectls::ServerConfig;
use spectls_tokio::TlsAcceptor;
use std::convert::Infallible;
use std::error::Error;
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

/// The embedded test identity (the same files the tests and the blocking examples use).
const CHAIN: &[u8] = include_bytes!("../../tests/data/certs/server-ecdsa.pem");
const KEY: &[u8] = include_bytes!("../../tests/data/certs/server-ecdsa.key");

/// How long a client may take over its handshake.
const HANDSHAKE_LIMIT: Duration = Duration::from_secs(10);

/// The largest body `POST /echo` takes.
const ECHO_LIMIT: usize = 1024 * 1024;

struct Args {
    port: u16,
    cert: Option<String>,
    key: Option<String>,
    versions: Vec<ProtocolVersion>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        port: 8443,
        cert: None,
        key: None,
        versions: vec![TLS13, TLS12],
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--port" => {
                let v = value()?;
                args.port = v.parse().map_err(|_| format!("--port: not a port: {v}"))?;
            }
            "--cert" => args.cert = Some(value()?),
            "--key" => args.key = Some(value()?),
            "--tls12" => args.versions = vec![TLS12],
            "--tls13" => args.versions = vec![TLS13],
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.cert.is_some() != args.key.is_some() {
        return Err("--cert and --key go together".into());
    }
    Ok(args)
}

/// One line on stderr in one write, so that a reader of the log never sees half of it.
fn log(line: String) {
    let _ = std::io::stderr()
        .lock()
        .write_all(format!("{line}\n").as_bytes());
}

fn config(args: &Args) -> Result<ServerConfig, Box<dyn Error>> {
    let builder = ServerConfig::builder().with_protocol_versions(&args.versions);
    // --cert/--key: errors name the file (missing, no certificate, encrypted key, ...).
    let builder = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => builder.with_cert_files(cert, key)?,
        _ => {
            log(
                "no --cert: serving the embedded test certificate for localhost and 127.0.0.1 \
                 (issued by the test CA, tests/data/certs/ca.pem)"
                    .into(),
            );
            builder.with_single_cert(certs_from_pem(CHAIN)?, private_key_from_pem(KEY)?)?
        }
    };
    Ok(builder
        .with_alpn_protocols(vec![b"h2".to_vec(), b"http/1.1".to_vec()])
        .build()?)
}

/// What a connection negotiated, for its log line, its page and its requests' log lines.
struct Negotiated {
    peer: SocketAddr,
    tls: String,
}

/// Handshake, then HTTP/2 or HTTP/1.1 by ALPN until the client is done. Every failure is
/// logged here; nothing reaches the accept loop.
async fn connection(acceptor: TlsAcceptor, tcp: TcpStream, peer: SocketAddr) {
    let tls = match tokio::time::timeout(HANDSHAKE_LIMIT, acceptor.accept(tcp)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => return log(format!("handshake failed with {peer}: {e}")),
        Err(_) => {
            return log(format!(
                "handshake with {peer}: not done within {HANDSHAKE_LIMIT:?}"
            ))
        }
    };
    let conn = tls.get_ref().1;
    let h2 = conn.alpn_protocol() == Some(b"h2");
    let alpn = conn.alpn_protocol().map_or_else(
        || "none".into(),
        |p| String::from_utf8_lossy(p).into_owned(),
    );
    let negotiated = Arc::new(Negotiated {
        peer,
        tls: format!(
            "{}, {}, {}, ALPN {alpn}",
            shown(conn.protocol_version()),
            shown(conn.negotiated_cipher_suite()),
            shown(conn.negotiated_group())
        ),
    });
    log(format!(
        "connection from {peer}: {}, {}",
        negotiated.tls,
        if h2 { "HTTP/2" } else { "HTTP/1.1" }
    ));
    let service = service_fn(move |request| respond(Arc::clone(&negotiated), request));
    let io = TokioIo::new(tls);
    let served = if h2 {
        http2::Builder::new(TokioExecutor::new())
            .serve_connection(io, service)
            .await
    } else {
        http1::Builder::new().serve_connection(io, service).await
    };
    if let Err(e) = served {
        log(format!("connection from {peer} failed: {}", chain(&e)));
    }
}

async fn respond(
    negotiated: Arc<Negotiated>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let line = format!(
        "{} {} {:?}",
        request.method(),
        request.uri().path(),
        request.version()
    );
    let version = request.version();
    let response = match (request.method(), request.uri().path()) {
        (&Method::GET, "/") => answer(
            StatusCode::OK,
            "text/html; charset=utf-8",
            page(&negotiated, version),
        ),
        (&Method::POST, "/echo") => {
            match Limited::new(request.into_body(), ECHO_LIMIT)
                .collect()
                .await
            {
                Ok(body) => answer(StatusCode::OK, "application/octet-stream", body.to_bytes()),
                Err(e) => answer(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "text/plain",
                    format!("cannot echo this body: {e}\n"),
                ),
            }
        }
        (_, "/" | "/echo") => answer(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            "GET / or POST /echo\n",
        ),
        _ => answer(StatusCode::NOT_FOUND, "text/plain", "not found\n"),
    };
    log(format!(
        "request from {}: {line} -> {}",
        negotiated.peer,
        response.status()
    ));
    Ok(response)
}

fn answer(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    if let Ok(value) = content_type.parse() {
        response
            .headers_mut()
            .insert(hyper::header::CONTENT_TYPE, value);
    }
    response
}

/// The page: its title and heading are what a browser test looks for, and its `#tls` line says
/// what this connection negotiated (no peer input goes into it).
fn page(negotiated: &Negotiated, version: hyper::Version) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>spectls https_server</title></head>\n\
         <body><h1>Hello from spectls over hyper</h1>\n\
         <p id=\"tls\">{}, {version:?}</p>\n</body></html>\n",
        negotiated.tls
    )
}

/// An error and its sources (hyper's own message alone is terse: `connection error`).
fn chain(e: &dyn Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

/// A negotiated value as people read it (`TLSv1.3`), or `none`.
fn shown<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "none".into(), |v| v.to_string())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("{e}\nusage: https_server [--port N] [--cert chain.pem --key key.pem] [--tls12 | --tls13]");
            return ExitCode::from(2);
        }
    };
    let acceptor = match config(&args) {
        Ok(config) => TlsAcceptor::from(Arc::new(config)),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match TcpListener::bind(("127.0.0.1", args.port)).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: cannot listen on 127.0.0.1:{}: {e}", args.port);
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(addr) => log(format!("listening on {addr}")),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    }
    loop {
        match listener.accept().await {
            Ok((tcp, peer)) => {
                tokio::spawn(connection(acceptor.clone(), tcp, peer));
            }
            Err(e) => {
                // EMFILE and the like: the connection stays queued, so wait before retrying
                // rather than spin.
                log(format!("accept failed: {e}"));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}
