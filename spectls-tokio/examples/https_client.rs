//! An HTTPS client: hyper-util's `Client` over spectls's `HttpsConnector` (feature `hyper`).
//!
//! `cargo run -p spectls-tokio --example https_client -- [--ca ca.pem | --test-ca] [--http1]
//! [--data TEXT] URL`
//!
//! It fetches `URL` (`https://` only) and prints, on stdout, the status, the HTTP version, what
//! the TLS handshake negotiated, a blank line and the body:
//!
//! ```text
//! status: 200 OK
//! http: HTTP/2.0
//! tls: TLSv1.3 TLS_AES_128_GCM_SHA256, ALPN h2
//!
//! <!DOCTYPE html>...
//! ```
//!
//! HTTP/2 is used when the server picks `h2` in ALPN; `--http1` offers only `http/1.1`.
//! `--data TEXT` sends a `POST` with that body (`https_server`'s `/echo` sends it back) instead
//! of a `GET`.
//!
//! Trust: the CA certificates of a PEM file with `--ca FILE`; the test CA that
//! `https_server`'s embedded certificate chains to (`tests/data/certs/ca.pem`, compiled in) with
//! `--test-ca`; otherwise the system trust store (`RootCertStore::from_system`, as the blocking
//! example client does). Whichever, no host is trusted by default for being local: a test CA
//! trusted without being asked for would trust it for every name. A `roots:` line on stderr
//! says which store was used. Errors are printed with their causes (an unknown issuer, a name
//! mismatch, a refused `http://` URL) and exit with status 1; bad arguments with 2.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use spectls::pki::RootCertStore;
use spectls::ClientConfig;
use spectls_tokio::http::{HttpsConnector, TlsInfo};
use std::error::Error;
use std::io::Write;
use std::process::ExitCode;

/// The test CA (`https_server`'s embedded certificate is issued by it), for `--test-ca`.
const TEST_CA: &[u8] = include_bytes!("../../tests/data/certs/ca.pem");

struct Args {
    ca: Option<String>,
    test_ca: bool,
    http1: bool,
    data: Option<String>,
    url: String,
}

fn parse_args() -> Result<Args, String> {
    let (mut ca, mut test_ca, mut http1, mut data, mut url) = (None, false, false, None, None);
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--ca" => ca = Some(value()?),
            "--test-ca" => test_ca = true,
            "--http1" => http1 = true,
            "--data" => data = Some(value()?),
            other if other.starts_with("--") => return Err(format!("unknown argument {other}")),
            other if url.is_none() => url = Some(other.to_string()),
            other => return Err(format!("one URL only: {other}")),
        }
    }
    if ca.is_some() && test_ca {
        return Err("--ca and --test-ca exclude each other".into());
    }
    let url = url.ok_or("no URL")?;
    Ok(Args {
        ca,
        test_ca,
        http1,
        data,
        url,
    })
}

/// The roots the server is verified against, and a `roots:` line saying which.
fn trust_store(args: &Args) -> Result<RootCertStore, Box<dyn Error + Send + Sync>> {
    if let Some(path) = &args.ca {
        let roots = RootCertStore::from_pem_file(path)?;
        eprintln!(
            "roots: {} CA certificate(s) from {path} (--ca)",
            roots.len()
        );
        return Ok(roots);
    }
    if args.test_ca {
        eprintln!("roots: the test CA, tests/data/certs/ca.pem (--test-ca)");
        return Ok(RootCertStore::from_pem(TEST_CA)?);
    }
    let (roots, skipped) = RootCertStore::from_system()?;
    eprintln!(
        "roots: the system trust store, {} certificates",
        roots.len()
    );
    for problem in skipped {
        eprintln!("roots: skipped: {problem}");
    }
    Ok(roots)
}

async fn run(args: Args) -> Result<(), Box<dyn Error + Send + Sync>> {
    let config = ClientConfig::builder().with_root_certificates(trust_store(&args)?);
    let mut connector = HttpsConnector::builder(config);
    if args.http1 {
        connector = connector.http1_only();
    }
    let client = Client::builder(TokioExecutor::new()).build(connector.build()?);

    let request = match args.data {
        Some(data) => Request::builder()
            .method(Method::POST)
            .uri(&args.url)
            .body(Full::new(Bytes::from(data)))?,
        None => Request::builder()
            .uri(&args.url)
            .body(Full::new(Bytes::new()))?,
    };
    let response = client.request(request).await?;
    let head = format!(
        "status: {}\nhttp: {:?}\ntls: {}\n\n",
        response.status(),
        response.version(),
        response
            .extensions()
            .get::<TlsInfo>()
            .map_or_else(|| "none".into(), ToString::to_string)
    );
    let body = response.into_body().collect().await?.to_bytes();
    let mut out = std::io::stdout().lock();
    out.write_all(head.as_bytes())?;
    out.write_all(&body)?;
    out.flush()?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!(
                "{e}\nusage: https_client [--ca ca.pem | --test-ca] [--http1] [--data TEXT] URL"
            );
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // hyper-util's own message (`client error (Connect)`) says little; the causes say
            // what went wrong.
            let mut text = format!("error: {e}");
            let mut source = e.source();
            while let Some(s) = source {
                text.push_str(&format!(": {s}"));
                source = s.source();
            }
            eprintln!("{text}");
            ExitCode::FAILURE
        }
    }
}
