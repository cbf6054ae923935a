//! The handshake trace, TLS 1.2 and TLS 1.3: every message, as its generated `Debug`, through the
//! `log` crate at debug level; never a secret.

mod common;

use common::*;
use spectls::keylog::KeyLog;
use spectls::version::TLS13;
use spectls::ClientConfig;
use std::sync::{Arc, Mutex, Once};

/// A logger that keeps what it is given (this test binary's only logger).
struct Keep(Mutex<Vec<String>>);

impl log::Log for Keep {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.level() <= log::Level::Debug
    }
    fn log(&self, r: &log::Record<'_>) {
        self.0.lock().unwrap().push(format!("{}", r.args()));
    }
    fn flush(&self) {}
}

static LOGGER: Keep = Keep(Mutex::new(Vec::new()));

/// Installs `LOGGER` once for the tests of this binary (which share it: each checks its own
/// lines are there, and that no secret is in any line).
fn install_logger() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        log::set_logger(&LOGGER).unwrap();
        log::set_max_level(log::LevelFilter::Debug);
    });
}

#[derive(Debug, Default)]
struct Secrets(Mutex<Vec<(String, Vec<u8>)>>);

impl KeyLog for Secrets {
    fn log(&self, label: &str, _client_random: &[u8], secret: &[u8]) {
        self.0
            .lock()
            .unwrap()
            .push((label.to_string(), secret.to_vec()));
    }
}

/// Panics if `secret` is in `trace` as hex or as the start of a `Debug` byte list.
fn assert_absent(trace: &str, label: &str, secret: &[u8]) {
    let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    assert!(!trace.contains(&hex[..16]), "{label} in the trace");
    assert!(
        !trace.contains(format!("{:?}", &secret[..8]).trim_end_matches(']')),
        "{label} in the trace"
    );
}

#[test]
fn handshake_trace_has_every_message_and_no_secret() {
    install_logger();
    let secrets = Arc::new(Secrets::default());
    let client = ClientConfig::builder()
        .with_root_certificates(roots())
        .with_key_log(secrets.clone())
        .build()
        .unwrap();
    let (mut c, mut s) = pair(client, server_config(false));
    handshake(&mut c, &mut s).unwrap();
    let lines = LOGGER.0.lock().unwrap().clone();
    let trace = lines.join("\n");
    for (who, what) in [
        ("sent", "client_hello("),
        ("server received", "client_hello("),
        ("sent", "server_hello("),
        ("client received", "certificate("),
        ("client received", "server_key_exchange("),
        ("client received", "server_hello_done"),
        ("server received", "client_key_exchange("),
        ("client received", "finished("),
        ("server received", "finished("),
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(who) && l.contains(what)),
            "no `{who} {what}` in:\n{trace}"
        );
    }
    // The master secret never appears, in any form Debug could print it.
    let (label, master) = secrets.0.lock().unwrap()[0].clone();
    assert_eq!(label, "CLIENT_RANDOM");
    assert_absent(&trace, &label, &master);
}

#[test]
fn tls13_trace_has_every_message_and_no_secret() {
    install_logger();
    let secrets = Arc::new(Secrets::default());
    let client = ClientConfig::builder()
        .with_root_certificates(roots())
        .with_protocol_versions(&[TLS13])
        .with_key_log(secrets.clone())
        .build()
        .unwrap();
    // The helper pins TLS 1.2; the last call wins.
    let server = ecdsa_server_with(|b| b.with_protocol_versions(&[TLS13]));
    let (mut c, mut s) = pair(client, server);
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(c.protocol_version(), Some(TLS13));
    c.refresh_traffic_keys().unwrap();
    transfer(&mut c, &mut s).unwrap();
    let lines = LOGGER.0.lock().unwrap().clone();
    let trace = lines.join("\n");
    for (who, what) in [
        ("server received", "client_hello("),
        ("client received", "server_hello("),
        ("client received", "encrypted_extensions("),
        ("client received", "certificate("),
        ("client received", "certificate_verify("),
        ("client received", "finished("),
        ("server received", "finished("),
        ("sent", "key_update("),
        ("server received", "key_update("),
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(who) && l.contains(what)),
            "no `{who} {what}` in:\n{trace}"
        );
    }
    // None of the five TLS 1.3 secrets appears.
    let logged = secrets.0.lock().unwrap().clone();
    let mut labels: Vec<&str> = logged.iter().map(|(l, _)| l.as_str()).collect();
    labels.sort();
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
    for (label, secret) in &logged {
        assert_absent(&trace, label, secret);
    }
}
