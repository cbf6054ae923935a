//! `tls-codegen check|emit|parse PATH...`: check a schema, print its generated Rust, or parse
//! files with the grammar alone.

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: tls-codegen check|emit|parse PATH...
  check  compile the .tls files under PATH (directory or files) as one schema and report errors
  emit   print the generated Rust for the schema
  parse  parse each file with the grammar only (no checks), e.g. RFC text blocks";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let paths: Vec<PathBuf> = rest.iter().map(PathBuf::from).collect();
    if paths.is_empty() {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    match cmd.as_str() {
        "check" | "emit" => match tls_codegen::compile_paths(&paths) {
            Ok(c) => {
                if cmd == "emit" {
                    print!("{}", c.rust());
                } else {
                    let m = &c.model;
                    println!(
                        "ok: {} files, {} definitions",
                        c.sources.len(),
                        m.defs.len()
                    );
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprint!("{e}");
                ExitCode::FAILURE
            }
        },
        "parse" => {
            let mut failed = false;
            for p in &paths {
                let result = std::fs::read_to_string(p)
                    .map_err(|e| format!("{}: {e}", p.display()))
                    .and_then(|t| {
                        tls_codegen::parse(&p.display().to_string(), &t).map_err(|e| e.to_string())
                    });
                match result {
                    Ok(d) => println!("{}: {} declarations", p.display(), d.len()),
                    Err(e) => {
                        eprint!("{e}");
                        failed = true;
                    }
                }
            }
            if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
