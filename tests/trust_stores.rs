//! The trust stores of `RootCertStore` behind cargo features (the root crate's dev-dependency on
//! tls-core turns both on for its tests): `from_system()` (native-certs) on this machine and
//! with `SSL_CERT_FILE`/`SSL_CERT_DIR` pointed at test files, its partial failures returned
//! beside the store, and `mozilla()` (webpki-roots).
//!
//! The environment variables are process-wide, so every `from_system` check is in one test
//! (tests run on parallel threads), and no other test in this binary reads them.

mod common;

use common::*;
use spectls::pki::RootCertStore;
use spectls::{ClientConfig, Error};
use std::path::Path;

/// Debian's bundle, which the `ca-certificates` package writes (and openssl-probe finds).
const DEBIAN_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

#[test]
fn system_store() {
    // 1. As this machine has it (no SSL_CERT_* override: the variables are cleared first).
    std::env::remove_var("SSL_CERT_FILE");
    std::env::remove_var("SSL_CERT_DIR");
    match RootCertStore::from_system() {
        Ok((store, problems)) => {
            eprintln!(
                "system trust store: {} roots, {} problem(s): {problems:?}",
                store.len(),
                problems.len()
            );
            if Path::new(DEBIAN_BUNDLE).exists() {
                // Debian's ca-certificates has about 140 roots.
                assert!(
                    store.len() > 100,
                    "only {} roots from {DEBIAN_BUNDLE}",
                    store.len()
                );
            } else {
                assert!(!store.is_empty());
            }
        }
        Err(e) => {
            // Only acceptable where there is no store to load, and the error must say so.
            assert!(
                !Path::new(DEBIAN_BUNDLE).exists(),
                "{DEBIAN_BUNDLE} exists but from_system failed: {e}"
            );
            let text = e.to_string();
            assert!(
                text.contains("no usable root certificate in the system trust store")
                    && text.contains("ca-certificates"),
                "{text}"
            );
            let msg = format!(
                "the system trust store is empty on this machine ({text}): install \
                 ca-certificates (Debian) to test loading it"
            );
            assert!(
                std::env::var_os("SPECTLS_REQUIRE_PEERS").is_none(),
                "SPECTLS_REQUIRE_PEERS is set: {msg}"
            );
            eprintln!("SKIPPED: {msg}");
        }
    }

    // 2. SSL_CERT_FILE names the test CA: the store is that one root, and a client with it
    //    verifies the test server.
    let ca = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/certs/ca.pem");
    std::env::set_var("SSL_CERT_FILE", &ca);
    let (store, problems) = RootCertStore::from_system().expect("the test CA as the system store");
    assert_eq!((store.len(), problems), (1, vec![]));
    let client = ClientConfig::builder()
        .with_root_certificates(store)
        .build()
        .expect("client config");
    let (mut c, mut s) = pair(client, server_config(false));
    handshake(&mut c, &mut s).expect("verified against the 'system' store");

    // 3. A partial failure is returned beside the store, naming the path: the CA loads, the
    //    directory does not exist.
    let dir = std::env::temp_dir().join(format!("spectls-no-such-dir-{}", std::process::id()));
    std::env::set_var("SSL_CERT_DIR", &dir);
    let (store, problems) = RootCertStore::from_system().expect("one root still loads");
    assert_eq!(store.len(), 1);
    assert_eq!(problems.len(), 1, "{problems:?}");
    match &problems[0] {
        Error::Config(text) => assert!(
            text.starts_with("system trust store: ") && text.contains(&*dir.to_string_lossy()),
            "{text}"
        ),
        other => panic!("{other:?}"),
    }

    // 4. Nothing loads: an error carrying every problem and what to do.
    let missing = dir.join("bundle.pem");
    std::env::set_var("SSL_CERT_FILE", &missing);
    let text = match RootCertStore::from_system() {
        Err(Error::Config(text)) => text,
        other => panic!("expected Error::Config, got {other:?}"),
    };
    assert!(
        text.starts_with("no usable root certificate in the system trust store (")
            && text.contains(&*missing.to_string_lossy())
            && text.contains(&*dir.to_string_lossy())
            && text.contains("SSL_CERT_FILE"),
        "{text}"
    );

    // 5. Certificates webpki cannot parse are skipped, and each is reported.
    let bad = std::env::temp_dir().join(format!("spectls-bad-roots-{}.pem", std::process::id()));
    let mut bundle = std::fs::read(&ca).expect("CA");
    bundle.extend_from_slice(b"-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n");
    std::fs::write(&bad, bundle).expect("write bundle");
    std::env::set_var("SSL_CERT_FILE", &bad);
    std::env::remove_var("SSL_CERT_DIR");
    let result = RootCertStore::from_system();
    let _ = std::fs::remove_file(&bad);
    let (store, problems) = result.expect("the CA still loads");
    assert_eq!(store.len(), 1);
    let fingerprint = ring::digest::digest(&ring::digest::SHA256, &[0x30, 0x03, 0x02, 0x01, 0x00])
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    assert_eq!(
        problems,
        [Error::Config(format!(
            "system trust store: certificate with SHA-256 fingerprint {fingerprint} skipped: \
             webpki cannot parse it"
        ))]
    );
    std::env::remove_var("SSL_CERT_FILE");
}

#[test]
fn mozilla_store_loads() {
    let store = RootCertStore::mozilla();
    assert!(store.len() > 100, "only {} Mozilla roots", store.len());
    // Usable as a client's roots (our test server is not under them, so that handshake fails
    // at verification, as it should).
    let client = ClientConfig::builder()
        .with_root_certificates(store)
        .build()
        .expect("client config");
    let (mut c, mut s) = pair(client, server_config(false));
    let err = handshake(&mut c, &mut s).expect_err("the test CA is not Mozilla's");
    assert_eq!(
        err,
        Error::InvalidCertificate(spectls::CertificateError::UnknownIssuer)
    );
}
