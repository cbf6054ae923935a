//! Decodes a recorded TLS 1.2 or TLS 1.3 connection and prints every record and handshake
//! message.
//!
//! `cargo run --example decode -- tests/data/captures/ecdsa-aes128gcm.trace [KEYLOG]`
//!
//! A TLS 1.3 connection's records after the ServerHello are opened with its NSS key log: KEYLOG,
//! or else the `.keylog` file beside the capture if there is one (`cargo run --example demo --
//! --save DIR` writes both).

use spectls::capture::{check_round_trip, render, Capture, Flow, KeyLogSecrets};
use spectls::version::TLS13;
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: decode CAPTURE.trace [KEYLOG]");
        return ExitCode::from(2);
    };
    let keylog = args.next().unwrap_or_else(|| {
        Path::new(&path)
            .with_extension("keylog")
            .display()
            .to_string()
    });
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let cap = match Capture::parse(&text) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(s) = cap.header("scenario") {
        println!("scenario: {s}\n");
    }
    let mut flow = Flow::new(&cap);
    if flow.negotiated_version() == Some(TLS13) {
        // An unreadable key log is not fatal: the records are then shown sealed.
        match std::fs::read_to_string(&keylog).map(|t| KeyLogSecrets::parse(&t)) {
            Ok(Ok(secrets)) => {
                println!(
                    "TLS 1.3: records opened with {keylog} ({} secrets)\n",
                    secrets.len()
                );
                flow = flow.with_key_log(secrets);
            }
            Ok(Err(e)) => eprintln!("{keylog}: {e}; protected records stay sealed"),
            Err(e) => eprintln!("{keylog}: {e}; protected records stay sealed"),
        }
    }
    let suite = flow.negotiated_suite();
    let events = match flow.events() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{path}: {e} (alert: {})", e.error.alert());
            return ExitCode::FAILURE;
        }
    };
    print!("{}", render(&events));
    println!();
    if let Some(s) = suite {
        println!("negotiated cipher suite: {s}");
    }
    match check_round_trip(&events) {
        Ok(n) => {
            println!("{n} records and messages decoded; each re-encodes to its original bytes");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
