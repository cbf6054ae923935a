//! Headless Chromium (Debian's `chromium`) as a TLS client: one page load with `--dump-dom`,
//! trusting one certificate by its key (`--ignore-certificate-errors-spki-list`), in a fresh
//! profile, with a time limit. Missing chromium skips the test (`peer::require`).

use super::peer::{require, Peer};
use rustls::server::ParsedCertificate;
use spectls::pki_types::CertificateDer;
use std::process::Command;
use std::time::Duration;

/// How long one page load may take (Chromium starts in a second or two).
const CHROMIUM_TIMEOUT: Duration = Duration::from_secs(60);

/// Loads `url` in headless Chromium, which accepts the certificate whose key is `leaf`'s (the
/// base64 SHA-256 of its SubjectPublicKeyInfo), and returns the page as Chromium's DOM dump:
/// `None` when chromium is not installed (the test is skipped, or fails under
/// SPECTLS_REQUIRE_PEERS=1), `Err` with its output when it failed or ran out of time.
pub fn dump_dom(url: &str, leaf: &CertificateDer<'_>) -> Option<Result<String, String>> {
    let chromium = require("chromium")?;
    let spki = ParsedCertificate::try_from(leaf)
        .expect("a parsable leaf certificate")
        .subject_public_key_info();
    let pin = base64(ring::digest::digest(&ring::digest::SHA256, spki.as_ref()).as_ref());
    let profile = std::env::temp_dir().join(format!(
        "spectls-chromium-{}-{}",
        std::process::id(),
        super::peer::free_port()
    ));
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .arg(format!("--ignore-certificate-errors-spki-list={pin}"))
    // Servers under test listen on 127.0.0.1 only: no try at ::1 first.
    .arg("--host-resolver-rules=MAP localhost 127.0.0.1")
    .args(["--dump-dom", url]);
    let mut peer = Peer::spawn(cmd, 4000);
    let status = peer.wait_exit(CHROMIUM_TIMEOUT);
    let _ = std::fs::remove_dir_all(&profile);
    match status {
        Some(s) if s.success() => Some(Ok(peer.stdout())),
        Some(s) => Some(Err(format!("chromium exited {s}:\n{}", peer.transcript()))),
        None => Some(Err(format!(
            "chromium did not finish in {CHROMIUM_TIMEOUT:?}:\n{}",
            peer.transcript()
        ))),
    }
}

/// Standard base64 with padding (RFC 4648 section 4), as Chromium's SPKI list takes it.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
