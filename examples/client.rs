//! An `openssl s_client`-like TLS 1.3 and TLS 1.2 client.
//!
//! `cargo run --release --example client -- --connect 127.0.0.1:8443 [--server-name localhost]
//! [--ca ca.pem | --mozilla-roots] [--alpn h2,http/1.1] [--tls12 | --tls13] [--cert chain.pem --key key.pem]
//! [--groups X25519MLKEM768,X25519] [--reconnect N [--early-data]] [--keylog]`
//!
//! It offers TLS 1.3 and TLS 1.2, preferring 1.3; `--tls12` or `--tls13` offers only that one.
//! `--groups` (names `X25519MLKEM768`, `SecP256r1MLKEM768`, `X25519`, `P-256`, `P-384`, in
//! preference order) sets the key exchange groups; by default X25519MLKEM768 (post-quantum
//! hybrid, with an X25519 share beside it), X25519, P-256, P-384.
//! `--cert`/`--key` is the certificate presented when the server asks for one; `--reconnect N`
//! makes N more connections that try to resume, printing whether each did (over TLS 1.3 with
//! the tickets the server sent, and saying so when it sent none); with `--early-data`, a
//! resuming connection sends its request as 0-RTT data when the ticket allows it (the example
//! server does with `--early-data N`) and says whether the server accepted it (if not, the
//! request is sent again after the handshake); `--keylog` writes secrets to
//! the file named by
//! `SSLKEYLOGFILE` (NSS key log format; TLS 1.3's five secrets per connection, TLS 1.2's one).
//!
//! Verifies the server against the operating system's trust store by default
//! (`RootCertStore::from_system`, rustls-native-certs: `/etc/ssl/certs` on Debian, or
//! `SSL_CERT_FILE`/`SSL_CERT_DIR`), against the CA certificates in a PEM file with `--ca FILE`,
//! or against Mozilla's roots compiled in (webpki-roots) with `--mozilla-roots`; its first line
//! (`roots: ...`, on stderr) says which, how many, and any system store entry it skipped. It
//! sends `GET / HTTP/1.0`, prints what was negotiated under the names OpenSSL and the IANA
//! registries use (`connection 0: TLSv1.3, TLS_AES_128_GCM_SHA256, group x25519, signature
//! ecdsa_secp256r1_sha256, ...`, the wire types' `Display`) and the response. A failed handshake
//! exits non-zero with the error. Certificate and key files are read with `pki::load_identity`,
//! whose errors name the file and what is wrong with it.

use spectls::keylog::KeyLogFile;
use spectls::pki::RootCertStore;
use spectls::pki_types::ServerName;
use spectls::version::{TLS12, TLS13};
use spectls::wire::{NamedCurve, ProtocolVersion};
use spectls::{ClientConfig, ClientConnection, Stream};
use std::error::Error;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::sync::Arc;

struct Args {
    connect: String,
    server_name: Option<String>,
    ca: Option<String>,
    mozilla_roots: bool,
    alpn: Vec<Vec<u8>>,
    cert: Option<String>,
    key: Option<String>,
    reconnect: usize,
    early_data: bool,
    keylog: bool,
    /// The versions offered: both unless `--tls12` or `--tls13`.
    versions: Vec<ProtocolVersion>,
    /// `--groups`, or the default list when empty.
    groups: Vec<NamedCurve>,
}

/// A `--groups` name: IANA's for the hybrids, OpenSSL's `-groups` spelling for the others.
fn group(name: &str) -> Result<NamedCurve, String> {
    match name {
        "X25519MLKEM768" => Ok(NamedCurve::X25519MLKEM768),
        "SecP256r1MLKEM768" => Ok(NamedCurve::SecP256r1MLKEM768),
        "X25519" | "x25519" => Ok(NamedCurve::X25519),
        "P-256" | "prime256v1" | "secp256r1" => Ok(NamedCurve::Secp256r1),
        "P-384" | "secp384r1" => Ok(NamedCurve::Secp384r1),
        other => Err(format!(
            "--groups: unknown group {other} (X25519MLKEM768, SecP256r1MLKEM768, X25519, P-256, P-384)"
        )),
    }
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        connect: String::new(),
        server_name: None,
        ca: None,
        mozilla_roots: false,
        alpn: Vec::new(),
        cert: None,
        key: None,
        reconnect: 0,
        early_data: false,
        keylog: false,
        versions: vec![TLS13, TLS12],
        groups: Vec::new(),
    };
    let mut only = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--connect" => args.connect = value()?,
            "--server-name" => args.server_name = Some(value()?),
            "--ca" => args.ca = Some(value()?),
            "--mozilla-roots" => args.mozilla_roots = true,
            "--alpn" => args.alpn = value()?.split(',').map(|p| p.as_bytes().to_vec()).collect(),
            "--cert" => args.cert = Some(value()?),
            "--key" => args.key = Some(value()?),
            "--reconnect" => {
                args.reconnect = value()?.parse().map_err(|e| format!("--reconnect: {e}"))?
            }
            "--keylog" => args.keylog = true,
            "--groups" => {
                args.groups = value()?.split(',').map(group).collect::<Result<_, _>>()?;
            }
            "--early-data" => args.early_data = true,
            "--tls12" | "--tls13" => {
                if only.is_some_and(|o| o != a) {
                    return Err("--tls12 and --tls13 exclude each other".into());
                }
                args.versions = vec![if a == "--tls12" { TLS12 } else { TLS13 }];
                only = Some(a.clone());
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.cert.is_some() != args.key.is_some() {
        return Err("--cert and --key go together".into());
    }
    if args.ca.is_some() && args.mozilla_roots {
        return Err("--ca and --mozilla-roots exclude each other".into());
    }
    if args.connect.is_empty() {
        return Err(
            "usage: client --connect HOST:PORT [--server-name NAME] [--ca ca.pem | --mozilla-roots] \
             [--alpn a,b] \
             [--tls12 | --tls13] [--cert chain.pem --key key.pem] [--groups a,b] \
             [--reconnect N [--early-data]] \
             [--keylog]"
                .into(),
        );
    }
    Ok(args)
}

fn run(args: Args) -> Result<(), Box<dyn Error>> {
    let roots = trust_store(&args)?;
    let mut builder = ClientConfig::builder()
        .with_root_certificates(roots)
        .with_protocol_versions(&args.versions)
        .with_alpn_protocols(args.alpn.clone())
        .enable_early_data(args.early_data);
    if !args.groups.is_empty() {
        builder = builder.with_groups(&args.groups);
    }
    if let (Some(cert), Some(key)) = (&args.cert, &args.key) {
        builder = builder.with_client_auth_files(cert, key)?;
    }
    if args.keylog {
        builder = builder.with_key_log(Arc::new(KeyLogFile::new()));
    }
    let config = Arc::new(builder.build()?);
    let host = args.server_name.clone().unwrap_or_else(|| {
        args.connect
            .rsplit_once(':')
            .map_or(args.connect.clone(), |(h, _)| {
                h.trim_matches(['[', ']']).to_string()
            })
    });
    let server_name = ServerName::try_from(host)?;
    for attempt in 0..=args.reconnect {
        let sock = TcpStream::connect(&args.connect)?;
        // Each flight and the final close_notify go out at once rather than after an ACK.
        sock.set_nodelay(true)?;
        let mut conn = ClientConnection::new(config.clone(), server_name.clone())?;
        // 0-RTT: the request goes with the ClientHello (a GET, safe to replay).
        let sent_early = match conn.early_data() {
            Some(mut early) => early.write(REQUEST)? == REQUEST.len(),
            None => false,
        };
        let mut tls = Stream::new(conn, sock);
        tls.handshake()?;
        let c = &tls.conn;
        let version = c.protocol_version();
        // Extended master secret is a TLS 1.2 extension; TLS 1.3's key schedule has it built in.
        let ems = if version == Some(TLS12) {
            format!(", EMS {}", c.extended_master_secret())
        } else {
            String::new()
        };
        eprintln!(
            "connection {attempt}: {}, {}, group {}, signature {}, ALPN {}{ems}, resumed {}",
            shown(version.as_ref()),
            shown(c.negotiated_cipher_suite()),
            shown(c.negotiated_group()),
            shown(c.negotiated_signature_scheme()),
            shown(c.alpn_protocol().map(String::from_utf8_lossy)),
            c.is_resumed()
        );
        if attempt > 0 && version == Some(TLS13) && !c.is_resumed() {
            eprintln!(
                "--reconnect: no TLS 1.3 ticket to resume with (the server sent none, or did not \
                 take it back)"
            );
        }
        let early_accepted = sent_early && tls.conn.is_early_data_accepted();
        if sent_early {
            eprintln!(
                "0-RTT request on connection {attempt}: {}",
                if early_accepted {
                    "accepted"
                } else {
                    "rejected: sent again after the handshake"
                }
            );
        }
        if !early_accepted {
            tls.write_all(REQUEST)?;
        }
        let mut response = Vec::new();
        tls.read_to_end(&mut response)?;
        if attempt == 0 {
            std::io::stdout().write_all(&response)?;
        }
        tls.close()?;
    }
    Ok(())
}

/// The roots the server is verified against: `--ca`'s file, Mozilla's with `--mozilla-roots`,
/// or the system's; a `roots:` line on stderr says which (and what the system store skipped).
fn trust_store(args: &Args) -> Result<RootCertStore, Box<dyn Error>> {
    if let Some(path) = &args.ca {
        let roots = RootCertStore::from_pem_file(path)?;
        eprintln!(
            "roots: {} CA certificate(s) from {path} (--ca)",
            roots.len()
        );
        return Ok(roots);
    }
    if args.mozilla_roots {
        let roots = RootCertStore::mozilla();
        eprintln!(
            "roots: Mozilla's, compiled in (webpki-roots), {} certificates (--mozilla-roots)",
            roots.len()
        );
        return Ok(roots);
    }
    let (roots, skipped) = RootCertStore::from_system()?;
    eprintln!(
        "roots: the system trust store, {} certificates{}",
        roots.len(),
        if skipped.is_empty() {
            String::new()
        } else {
            format!(" ({} problem(s), below)", skipped.len())
        }
    );
    for problem in &skipped {
        eprintln!("roots: skipped: {problem}");
    }
    Ok(roots)
}

/// What we ask the server for.
const REQUEST: &[u8] = b"GET / HTTP/1.0\r\n\r\n";

/// A negotiated value as people read it (`TLSv1.3`, `x25519`), or `none`.
fn shown<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "none".into(), |v| v.to_string())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
