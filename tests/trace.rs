//! The handshake trace: every message, as its generated `Debug`, through the `log` crate at debug
//! level; never a secret.

mod common;

use common::*;
use spectls::keylog::KeyLog;
use spectls::ClientConfig;
use std::sync::{Arc, Mutex};

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

#[derive(Debug, Default)]
struct Secrets(Mutex<Vec<Vec<u8>>>);

impl KeyLog for Secrets {
    fn log(&self, _label: &str, _client_random: &[u8], secret: &[u8]) {
        self.0.lock().unwrap().push(secret.to_vec());
    }
}

#[test]
fn handshake_trace_has_every_message_and_no_secret() {
    log::set_logger(&LOGGER).unwrap();
    log::set_max_level(log::LevelFilter::Debug);
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
    let master = secrets.0.lock().unwrap()[0].clone();
    let hex: String = master.iter().map(|b| format!("{b:02x}")).collect();
    assert!(!trace.contains(&hex[..16]), "secret in the trace");
    assert!(!trace.contains(
        &format!("{:?}", &master[..8])
            .trim_end_matches(']')
            .to_string()
    ));

    // TLS 1.3: the protected messages are traced as they are decoded, and none of the five
    // secrets appears. (One logger per process: the same test goes on.)
    LOGGER.0.lock().unwrap().clear();
    let secrets = Arc::new(Secrets::default());
    let client = ClientConfig::builder()
        .with_root_certificates(roots())
        .with_protocol_versions(&[spectls::version::TLS13])
        .with_key_log(secrets.clone())
        .build()
        .unwrap();
    let server = server_builder(false)
        .with_protocol_versions(&[spectls::version::TLS13])
        .build()
        .unwrap();
    let (mut c, mut s) = pair(client, server);
    handshake(&mut c, &mut s).unwrap();
    c.refresh_traffic_keys().unwrap();
    transfer(&mut c, &mut s).unwrap();
    let lines = LOGGER.0.lock().unwrap().clone();
    let trace = lines.join("\n");
    for (who, what) in [
        ("sent", "client_hello("),
        ("server received", "client_hello("),
        ("sent", "server_hello("),
        ("sent", "encrypted_extensions("),
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
    let logged = secrets.0.lock().unwrap().clone();
    assert_eq!(logged.len(), 5);
    for secret in logged {
        let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        assert!(!trace.contains(&hex[..16]), "secret in the trace");
    }
}
