//! An `openssl s_server`-like TLS 1.2 server.
//!
//! `cargo run --release --example server -- --addr 127.0.0.1:8443 [--cert chain.pem --key key.pem]
//! [--alpn h2,http/1.1] [--echo] [--client-ca ca.pem [--require-client-cert]] [--tickets]
//! [--sni-cert name=chain.pem,key.pem ...]`
//!
//! `--client-ca` asks clients for a certificate issued by that CA (connections without one are
//! accepted unless `--require-client-cert`); `--tickets` issues RFC 5077 session tickets
//! (session-ID resumption is always on); `--sni-cert` (repeatable) serves that chain to clients
//! asking for `name`, the default certificate to the others.
//!
//! Without `--cert`/`--key` it makes a self-signed ECDSA certificate for `localhost` and
//! 127.0.0.1 at start-up and says where its PEM was written (pass it to `curl --cacert`). Each
//! connection gets a thread: it reads an HTTP/1.x request up to the blank line and answers
//! `HTTP/1.0 200 OK` naming the negotiated suite, then sends close_notify; with `--echo` it sends
//! back every byte it receives until the peer closes. A failed handshake is logged and the
//! server keeps serving.

use spectls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use spectls::resolve::{CertifiedKey, ResolvesServerCertUsingSni};
use spectls::session::Ticketer;
use spectls::sign::{certs_from_pem, private_key_from_pem};
use spectls::verify::{RootCertStore, WebPkiClientVerifier};
use spectls::{ServerConfig, ServerConnection, Stream};
use std::error::Error;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

struct Args {
    addr: String,
    cert: Option<String>,
    key: Option<String>,
    alpn: Vec<Vec<u8>>,
    echo: bool,
    client_ca: Option<String>,
    require_client_cert: bool,
    tickets: bool,
    sni_certs: Vec<(String, String, String)>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        addr: "127.0.0.1:8443".into(),
        cert: None,
        key: None,
        alpn: Vec::new(),
        echo: false,
        client_ca: None,
        require_client_cert: false,
        tickets: false,
        sni_certs: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--addr" => args.addr = value()?,
            "--cert" => args.cert = Some(value()?),
            "--key" => args.key = Some(value()?),
            "--alpn" => args.alpn = value()?.split(',').map(|p| p.as_bytes().to_vec()).collect(),
            "--echo" => args.echo = true,
            "--client-ca" => args.client_ca = Some(value()?),
            "--require-client-cert" => args.require_client_cert = true,
            "--tickets" => args.tickets = true,
            "--sni-cert" => {
                let v = value()?;
                let (name, files) = v
                    .split_once('=')
                    .ok_or("--sni-cert takes name=chain.pem,key.pem")?;
                let (chain, key) = files
                    .split_once(',')
                    .ok_or("--sni-cert takes name=chain.pem,key.pem")?;
                args.sni_certs
                    .push((name.to_string(), chain.to_string(), key.to_string()));
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.cert.is_some() != args.key.is_some() {
        return Err("--cert and --key go together".into());
    }
    if args.require_client_cert && args.client_ca.is_none() {
        return Err("--require-client-cert needs --client-ca".into());
    }
    Ok(args)
}

/// A self-signed certificate for localhost/127.0.0.1; its PEM is written next to the temp dir.
fn default_cert() -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), Box<dyn Error>>
{
    let key = rcgen::KeyPair::generate()?;
    let params =
        rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])?;
    let cert = params.self_signed(&key)?;
    let path = std::env::temp_dir().join(format!("spectls-server-{}.pem", std::process::id()));
    std::fs::write(&path, cert.pem())?;
    eprintln!("no --cert given: generated a self-signed certificate for localhost; its PEM (use as CA) is {}", path.display());
    Ok((
        vec![cert.der().clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    ))
}

fn serve(config: Arc<ServerConfig>, sock: TcpStream, echo: bool) -> Result<(), Box<dyn Error>> {
    let conn = ServerConnection::new(config)?;
    let mut tls = Stream::new(conn, sock);
    tls.handshake()?;
    let suite = tls.conn.negotiated_cipher_suite();
    eprintln!(
        "handshake done: {suite:?}, resumed {}, SNI {:?}, client certificate {}",
        tls.conn.is_resumed(),
        tls.conn.server_name(),
        if tls.conn.peer_certificates().is_some() {
            "verified"
        } else {
            "none"
        }
    );
    if echo {
        let mut buf = [0u8; 16384];
        loop {
            let n = tls.read(&mut buf)?;
            if n == 0 {
                break;
            }
            tls.write_all(&buf[..n])?;
        }
        tls.close()?;
        return Ok(());
    }
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && !request.windows(2).any(|w| w == b"\n\n")
    {
        let n = tls.read(&mut buf)?;
        if n == 0 {
            break;
        }
        request.extend_from_slice(&buf[..n]);
        if request.len() > 64 * 1024 {
            return Err("request head too long".into());
        }
    }
    let body = format!("hello from spectls: {suite:?}\n");
    // One write, so the response goes out as one record rather than one per formatted piece.
    let response = format!(
        "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    tls.write_all(response.as_bytes())?;
    tls.close()?;
    // Answer the client's close_notify if it sends one; a plain TCP close is fine too.
    let _ = tls.read(&mut buf);
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let setup = || -> Result<(Arc<ServerConfig>, TcpListener), Box<dyn Error>> {
        let (chain, key) = match (&args.cert, &args.key) {
            (Some(c), Some(k)) => (
                certs_from_pem(&std::fs::read(c)?)?,
                private_key_from_pem(&std::fs::read(k)?)?,
            ),
            _ => default_cert()?,
        };
        let mut builder = if args.sni_certs.is_empty() {
            ServerConfig::builder().with_single_cert(chain, key)?
        } else {
            let mut resolver = ResolvesServerCertUsingSni::new();
            for (name, chain_file, key_file) in &args.sni_certs {
                let ck = CertifiedKey::from_der(
                    certs_from_pem(&std::fs::read(chain_file)?)?,
                    private_key_from_pem(&std::fs::read(key_file)?)?,
                )?;
                resolver.add(name, ck)?;
            }
            let resolver = resolver.with_default(CertifiedKey::from_der(chain, key)?);
            ServerConfig::builder().with_cert_resolver(Arc::new(resolver))
        };
        builder = builder.with_alpn_protocols(args.alpn.clone());
        if let Some(ca) = &args.client_ca {
            let roots = RootCertStore::from_pem(&std::fs::read(ca)?)?;
            let verifier = WebPkiClientVerifier::builder(Arc::new(roots));
            let verifier = if args.require_client_cert {
                verifier
            } else {
                verifier.allow_unauthenticated()
            };
            builder = builder.with_client_cert_verifier(verifier.build()?);
        }
        if args.tickets {
            builder = builder.with_ticketer(Ticketer::new(Duration::from_secs(6 * 60 * 60))?);
        }
        let config = builder.build()?;
        Ok((Arc::new(config), TcpListener::bind(&args.addr)?))
    };
    let (config, listener) = match setup() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!("listening on {}", args.addr);
    for sock in listener.incoming() {
        let Ok(sock) = sock else { continue };
        let (config, echo) = (config.clone(), args.echo);
        thread::spawn(move || {
            let peer = sock.peer_addr().map(|a| a.to_string()).unwrap_or_default();
            if let Err(e) = serve(config, sock, echo) {
                eprintln!("{peer}: {e}");
            }
        });
    }
    ExitCode::SUCCESS
}
