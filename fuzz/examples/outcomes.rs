//! Replays a corpus through a connection target's body and counts how the connections ended
//! (the error, digits folded to `#`, or `Ok` when the input ran out first): a cheap view of how
//! deep the fuzzer got without a coverage build.
//!
//! ```sh
//! cargo run --release --example outcomes -- client_after_flight corpus/client_after_flight
//! ```

use std::collections::BTreeMap;
use std::fs;

fn main() {
    let mut args = std::env::args().skip(1);
    let target = args.next().expect("usage: outcomes TARGET DIR...");
    let run: fn(&[u8]) -> Result<(), spectls::Error> = match target.as_str() {
        "client_fresh" => spectls_fuzz::targets::client_fresh,
        "server_fresh" => spectls_fuzz::targets::server_fresh,
        "reassembler" => spectls_fuzz::targets::reassembler,
        "resumption" => spectls_fuzz::targets::resumption,
        "server_after_hello" => spectls_fuzz::targets::server_after_hello,
        "client_after_flight" => spectls_fuzz::targets::client_after_flight,
        "inplace" => spectls_fuzz::targets::inplace,
        other => panic!("not a connection target: {other}"),
    };
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut total = 0;
    for dir in args {
        for entry in fs::read_dir(&dir).expect("corpus directory") {
            let data = fs::read(entry.expect("entry").path()).expect("read");
            let outcome = match run(&data) {
                Ok(()) => "Ok (input ran out)".to_string(),
                Err(e) => e
                    .to_string()
                    .chars()
                    .map(|c| if c.is_ascii_digit() { '#' } else { c })
                    .collect(),
            };
            *counts.entry(outcome).or_default() += 1;
            total += 1;
        }
    }
    let mut sorted: Vec<_> = counts.into_iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    println!("{total} inputs, {} distinct outcomes", sorted.len());
    for (outcome, n) in sorted {
        println!("{n:6}  {outcome}");
    }
}
