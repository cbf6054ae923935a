//! The main job: a spectls server and a spectls client complete a real TLS 1.3 handshake and
//! then a real TLS 1.2 handshake over 127.0.0.1, exchange a message each way, close with
//! close_notify, and print what was negotiated and the decoded message flow as it crossed the
//! wire. TLS 1.3 encrypts everything after the ServerHello: the demo collects the client's key
//! log in memory (`capture::MemoryKeyLog`) and opens those records with it, as Wireshark does
//! with an `SSLKEYLOGFILE`, so EncryptedExtensions, Certificate, CertificateVerify and Finished
//! are decoded too.
//!
//! `cargo run --example demo [-- --suite chacha20|aes256|aes128] [--rsa] [--save DIR]`
//!
//! `--save DIR` also writes each connection as `DIR/demo-tls13.trace` and `DIR/demo-tls12.trace`
//! (the capture format of `tests/data/captures/`) with its key log beside it (`.keylog`), for
//! the decode example: `cargo run --example decode -- DIR/demo-tls13.trace`.
//!
//! The server uses the certificate embedded from `tests/data/certs/` (a test CA and a
//! `localhost` leaf); the client trusts that CA.

use spectls::capture::{render, Capture, Direction, Flow, KeyLogSecrets, MemoryKeyLog};
use spectls::crypto::suites::{self, SupportedCipherSuite};
use spectls::pki::RootCertStore;
use spectls::pki::{certs_from_pem, private_key_from_pem};
use spectls::version::{TLS12, TLS13};
use spectls::wire::ProtocolVersion;
use spectls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection, Stream};
use std::cell::RefCell;
use std::error::Error;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::rc::Rc;
use std::sync::Arc;
use std::thread;

const CA: &[u8] = include_bytes!("../tests/data/certs/ca.pem");
const ECDSA_CHAIN: &[u8] = include_bytes!("../tests/data/certs/server-ecdsa.pem");
const ECDSA_KEY: &[u8] = include_bytes!("../tests/data/certs/server-ecdsa.key");
const RSA_CHAIN: &[u8] = include_bytes!("../tests/data/certs/server-rsa.pem");
const RSA_KEY: &[u8] = include_bytes!("../tests/data/certs/server-rsa.key");

/// A transport that keeps a copy of every chunk it carries, for decoding afterwards.
struct Recorder {
    sock: TcpStream,
    log: Rc<RefCell<Capture>>,
}

impl Read for Recorder {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.sock.read(buf)?;
        if n > 0 {
            self.log
                .borrow_mut()
                .chunks
                .push((Direction::ServerToClient, buf[..n].to_vec()));
        }
        Ok(n)
    }
}

impl Write for Recorder {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.sock.write(buf)?;
        self.log
            .borrow_mut()
            .chunks
            .push((Direction::ClientToServer, buf[..n].to_vec()));
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.sock.flush()
    }
}

/// A negotiated value as people read it (`TLSv1.3`, `x25519`), or `none`.
fn shown<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "none".into(), |v| v.to_string())
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rsa = args.iter().any(|a| a == "--rsa");
    let suite = args
        .iter()
        .position(|a| a == "--suite")
        .and_then(|i| args.get(i + 1))
        .map(String::as_str);
    // TLS 1.3 suites do not name the certificate's key type; TLS 1.2's do.
    let tls13: &'static SupportedCipherSuite = match suite {
        Some("chacha20") => &suites::TLS13_CHACHA20_POLY1305_SHA256,
        Some("aes256") => &suites::TLS13_AES_256_GCM_SHA384,
        _ => &suites::TLS13_AES_128_GCM_SHA256,
    };
    let tls12: &'static SupportedCipherSuite = match (suite, rsa) {
        (Some("chacha20"), false) => &suites::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        (Some("chacha20"), true) => &suites::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        (Some("aes256"), false) => &suites::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        (Some("aes256"), true) => &suites::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        (_, false) => &suites::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        (_, true) => &suites::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    };
    let (chain, key) = if rsa {
        (RSA_CHAIN, RSA_KEY)
    } else {
        (ECDSA_CHAIN, ECDSA_KEY)
    };
    let save = args
        .iter()
        .position(|a| a == "--save")
        .map(|i| args.get(i + 1).ok_or("--save needs a directory"))
        .transpose()?;
    println!("spectls loopback demo: a TLS 1.3 handshake, then a TLS 1.2 one\n");
    for (version, suite, name) in [(TLS13, tls13, "demo-tls13"), (TLS12, tls12, "demo-tls12")] {
        let (capture, secrets) = connection(version, suite, chain, key)?;
        if let Some(dir) = save {
            let path = std::path::Path::new(dir).join(name);
            std::fs::write(path.with_extension("trace"), capture.to_text())?;
            std::fs::write(path.with_extension("keylog"), secrets.to_text())?;
            println!("saved as {}.trace and .keylog\n", path.display());
        }
    }
    Ok(())
}

/// One connection over loopback with only `version` and `suite` configured, printed; returns
/// what crossed the wire and the client's key log.
fn connection(
    version: ProtocolVersion,
    suite: &'static SupportedCipherSuite,
    chain: &[u8],
    key: &[u8],
) -> Result<(Capture, KeyLogSecrets), Box<dyn Error>> {
    let server_config = Arc::new(
        ServerConfig::builder()
            .with_single_cert(certs_from_pem(chain)?, private_key_from_pem(key)?)?
            .with_protocol_versions(std::slice::from_ref(&version))
            .with_alpn_protocols(vec![b"http/1.1".to_vec()])
            .build()?,
    );
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let server = thread::spawn(move || -> Result<(String, Option<String>), String> {
        let (sock, _) = listener.accept().map_err(|e| e.to_string())?;
        let conn = ServerConnection::new(server_config).map_err(|e| e.to_string())?;
        let mut tls = Stream::new(conn, sock);
        let mut buf = [0u8; 256];
        let n = tls.read(&mut buf).map_err(|e| e.to_string())?;
        let got = String::from_utf8_lossy(&buf[..n]).into_owned();
        tls.write_all(b"hello from the spectls server")
            .map_err(|e| e.to_string())?;
        tls.close().map_err(|e| e.to_string())?;
        // Wait for the client's close_notify.
        let eof = tls.read(&mut buf).map_err(|e| e.to_string())?;
        if eof != 0 {
            return Err("expected close_notify".into());
        }
        Ok((got, tls.conn.server_name().map(str::to_owned)))
    });

    let mut roots = RootCertStore::empty();
    for ca in certs_from_pem(CA)? {
        roots.add(ca)?;
    }
    // The client's secrets, kept to open the TLS 1.3 records afterwards.
    let key_log = Arc::new(MemoryKeyLog::default());
    let client_config = Arc::new(
        ClientConfig::builder()
            .with_root_certificates(roots)
            .with_protocol_versions(std::slice::from_ref(&version))
            .with_cipher_suites(&[suite])
            .with_alpn_protocols(vec![b"h2".to_vec(), b"http/1.1".to_vec()])
            .with_key_log(key_log.clone())
            .build()?,
    );
    let log = Rc::new(RefCell::new(Capture::default()));
    let sock = TcpStream::connect(addr)?;
    let conn = ClientConnection::new(client_config, "localhost".try_into()?)?;
    let mut tls = Stream::new(
        conn,
        Recorder {
            sock,
            log: log.clone(),
        },
    );
    tls.write_all(b"hello from the spectls client")?;
    let mut reply = Vec::new();
    tls.read_to_end(&mut reply)?;
    tls.close()?;
    let (server_got, sni) = server.join().map_err(|_| "server thread panicked")??;

    let c = &tls.conn;
    let name = shown(c.protocol_version());
    println!("=== {name}: client and server on {addr}\n");
    println!("negotiated:");
    println!("  protocol version   {name}");
    println!(
        "  cipher suite       {}",
        shown(c.negotiated_cipher_suite())
    );
    println!("  key exchange group {}", shown(c.negotiated_group()));
    println!(
        "  server signature   {}",
        shown(c.negotiated_signature_scheme())
    );
    println!(
        "  ALPN               {}",
        shown(c.alpn_protocol().map(String::from_utf8_lossy))
    );
    if version == TLS12 {
        // TLS 1.3 has both built in (RFC 8446 4.4, 4.1.2): nothing to negotiate.
        println!("  extended master    {}", c.extended_master_secret());
        println!(
            "  secure renegotiation signalled {}",
            c.secure_renegotiation()
        );
    }
    println!(
        "  server certificate chain: {} certificates",
        c.peer_certificates().map_or(0, |p| p.len())
    );
    println!("  SNI seen by server {}", shown(sni.as_deref()));
    println!("\nclient -> server: {server_got:?}");
    println!("server -> client: {:?}\n", String::from_utf8_lossy(&reply));

    let secrets = key_log.secrets();
    if version == TLS13 {
        println!(
            "message flow (decoded from the bytes on the wire; records after the ServerHello \
             opened with the {} secrets of the client's key log):\n",
            secrets.len()
        );
    } else {
        println!("message flow (decoded from the bytes on the wire):\n");
    }
    let mut capture = log.borrow().clone();
    capture.header.push((
        "scenario".into(),
        format!(
            "examples/demo.rs, {name}, {}, spectls client and server",
            suite.suite
        ),
    ));
    let mut flow = Flow::new(&capture).with_key_log(secrets.clone());
    let events = flow.events()?;
    print!("{}", render(&events));
    println!();
    Ok((capture, secrets))
}
