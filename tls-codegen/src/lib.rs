//! The spectls schema compiler.
//!
//! Reads TLS wire formats written in the RFCs' presentation language (RFC 5246 section 4, plus the
//! few `/*@ ... */` annotations described in `schema/NOTATION.md`) and generates Rust types with
//! strict `decode` and length-computing `encode`. Used from `tls-core`'s `build.rs`, and as the
//! `tls-codegen` binary (`check`, `emit`, `parse`).
//!
//! ```
//! let compiled = tls_codegen::compile_sources(vec![(
//!     "example.tls".into(),
//!     "enum { warning(1), fatal(2), (255) } AlertLevel;\nstruct { AlertLevel level; opaque data<0..2^8-1>; } Note;".into(),
//! )])
//! .unwrap();
//! assert_eq!(compiled.model.defs.len(), 2);
//! assert!(compiled.rust().contains("pub struct Note<'a>"));
//!
//! let err = tls_codegen::compile_sources(vec![("bad.tls".into(), "struct { Missing m; } S;".into())]).err().unwrap();
//! assert_eq!(err.to_string(), "bad.tls:1:10: unknown type `Missing`\n");
//! ```
#![forbid(unsafe_code)]

pub mod ast;
mod error;
mod gen;
pub mod lower;
pub mod model;
mod parse;

pub use error::{Diagnostic, Error, Sources};

use std::path::{Path, PathBuf};

/// A compiled schema: its checked model and where it came from.
pub struct Compiled {
    /// The schema files, which diagnostics and locations refer to.
    pub sources: Sources,
    /// The checked schema that code generation reads.
    pub model: model::Model,
}

impl Compiled {
    /// The generated Rust source, formatted, under a `// @generated` header naming the schema
    /// files and the generator.
    pub fn rust(&self) -> String {
        let tokens = gen::generate(&self.model, &self.sources);
        let body = match syn::parse2::<syn::File>(tokens.clone()) {
            Ok(file) => prettyplease::unparse(&file),
            // Unreachable for well-formed output; keep the raw tokens so the failure is visible.
            Err(e) => format!("compile_error!({:?});\n{}", e.to_string(), tokens),
        };
        gen::header(&self.sources) + &body
    }
}

/// Parses one source text into its declarations (the grammar alone, no checks).
pub fn parse(name: &str, text: &str) -> Result<Vec<ast::Decl>, Error> {
    let mut sources = Sources::default();
    let file = sources.add(name, text);
    parse::parse_file(&sources, file).map_err(|d| Error {
        diagnostics: vec![d.render(&sources)],
    })
}

/// Compiles named source texts as one schema.
pub fn compile_sources(files: Vec<(String, String)>) -> Result<Compiled, Error> {
    let mut sources = Sources::default();
    for (name, text) in files {
        sources.add(name, text);
    }
    compile(sources)
}

fn compile(sources: Sources) -> Result<Compiled, Error> {
    let mut decls = Vec::new();
    let mut diags = Vec::new();
    for f in 0..sources.len() {
        match parse::parse_file(&sources, f) {
            Ok(d) => decls.push(d),
            Err(d) => diags.push(d),
        }
    }
    if diags.is_empty() {
        match lower::lower(decls) {
            Ok(model) => return Ok(Compiled { sources, model }),
            Err(d) => diags = d,
        }
    }
    Err(Error {
        diagnostics: diags.iter().map(|d| d.render(&sources)).collect(),
    })
}

/// The `.tls` files of a schema directory, sorted by name (or the path itself if it is a file).
pub fn schema_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tls"))
        .collect();
    files.sort();
    Ok(files)
}

/// Compiles every `.tls` file under the given paths (directories or files) as one schema.
///
/// Diagnostics name each file by its path; generated code by a label that does not depend on
/// where the schema is: `schema/rfc5246.tls` for a file of the directory `../schema`, a file
/// given by itself as given (or by its directory and name, if given as an absolute path).
pub fn compile_paths(paths: &[PathBuf]) -> Result<Compiled, Error> {
    let mut sources = Sources::default();
    for p in paths {
        for f in schema_files(p).map_err(|e| io_error(p, e))? {
            let text = std::fs::read_to_string(&f).map_err(|e| io_error(&f, e))?;
            let label = if p.is_file() && p.is_relative() {
                f.display().to_string()
            } else {
                last_two(&f)
            };
            sources.add_labelled(f.display().to_string(), label, text);
        }
    }
    compile(sources)
}

/// `dir/name` for a path `.../dir/name`.
fn last_two(f: &Path) -> String {
    let full = f.canonicalize().unwrap_or_else(|_| f.to_path_buf());
    let name = full.file_name().unwrap_or_default().to_string_lossy();
    match full.parent().and_then(Path::file_name) {
        Some(dir) => format!("{}/{name}", dir.to_string_lossy()),
        None => name.into_owned(),
    }
}

fn io_error(p: &Path, e: std::io::Error) -> Error {
    Error {
        diagnostics: vec![format!("{}: {e}", p.display())],
    }
}

/// For build scripts: compiles the schema under `paths` and writes the Rust to `out`, printing
/// `cargo:rerun-if-changed` for every input. Panics with the diagnostics on error, which is how a
/// build script reports failure.
pub fn build(paths: &[PathBuf], out: &Path) {
    for p in paths {
        println!("cargo:rerun-if-changed={}", p.display());
        for f in schema_files(p).unwrap_or_default() {
            println!("cargo:rerun-if-changed={}", f.display());
        }
    }
    match compile_paths(paths) {
        Ok(c) => {
            if let Err(e) = std::fs::write(out, c.rust()) {
                panic!("writing {}: {e}", out.display());
            }
        }
        Err(e) => panic!("schema errors:\n{e}"),
    }
}
