//! `tls-codegen check|emit|parse [--allow-warnings] PATH...`: check a schema, print its generated
//! Rust, or parse files with the grammar alone.

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: tls-codegen check|emit|parse [--allow-warnings] PATH...
  check  compile the .tls files under PATH (directory or files) as one schema and report
         errors and warnings
  emit   print the generated Rust for the schema (warnings go to stderr)
  parse  parse each file with the grammar only (no checks), e.g. RFC text blocks

Diagnostics are printed rustc-style to stderr. Exit status: 0 on success, 1 on errors, and 1 on
warnings too (lints, schema/NOTATION.md) unless --allow-warnings is given; 2 on bad usage.
A lint is allowed at one site with /*@ allow(lint_name) */ before the declaration.";

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let allow_warnings = args.iter().any(|a| a == "--allow-warnings");
    args.retain(|a| a != "--allow-warnings");
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
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
                eprint!("{}", c.render_warnings());
                let failed = !c.warnings.is_empty() && !allow_warnings;
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
                if !c.warnings.is_empty() {
                    eprintln!(
                        "{} warning(s){}",
                        c.warnings.len(),
                        if allow_warnings {
                            " (allowed by --allow-warnings)"
                        } else {
                            ": failing (pass --allow-warnings to accept them)"
                        }
                    );
                }
                if failed {
                    ExitCode::FAILURE
                } else {
                    ExitCode::SUCCESS
                }
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
