//! Decodes a recorded TLS 1.2 connection and prints every record and handshake message.
//!
//! `cargo run --example decode -- tests/data/captures/ecdsa-aes128gcm.trace`

use spectls::capture::{check_round_trip, render, Capture, Flow};
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: decode CAPTURE.trace");
        return ExitCode::from(2);
    };
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
    let suite = flow.negotiated_suite();
    let events = match flow.events() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{path}: {e} (alert: {:?})", e.error.alert());
            return ExitCode::FAILURE;
        }
    };
    print!("{}", render(&events));
    println!();
    if let Some(s) = suite {
        println!("negotiated cipher suite: {s:?}");
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
