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
//! assert_eq!(err.short(), "bad.tls:1:10: unknown type `Missing`\n");
//! assert_eq!(
//!     err.to_string(),
//!     "error: unknown type `Missing`\n --> bad.tls:1:10\n  |\n1 | struct { Missing m; } S;\n  |          ^^^^^^^\n"
//! );
//! ```
//!
//! A schema that compiles may still draw warnings (lints, `schema/NOTATION.md`): they are in
//! [`Compiled::warnings`], and [`build`] fails on them unless [`Build::allow_warnings`] says
//! otherwise.
#![forbid(unsafe_code)]

pub mod ast;
mod error;
mod gen;
pub mod lower;
pub mod model;
mod parse;

pub use error::{Detail, Diagnostic, Error, Severity, Sources};

use std::path::{Path, PathBuf};

/// A compiled schema: its checked model and where it came from.
pub struct Compiled {
    /// The schema files, which diagnostics and locations refer to.
    pub sources: Sources,
    /// The checked schema that code generation reads.
    pub model: model::Model,
    /// The warnings of the compilation (lints not allowed at their site), in source order.
    pub warnings: Vec<Diagnostic>,
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

    /// The warnings in the caret form, each followed by a blank line; empty if there are none.
    pub fn render_warnings(&self) -> String {
        self.warnings
            .iter()
            .map(|w| w.render_caret(&self.sources) + "\n")
            .collect()
    }
}

/// Parses one source text into its declarations (the grammar alone, no checks). Every syntax
/// error of the text is reported, not only the first.
pub fn parse(name: &str, text: &str) -> Result<Vec<ast::Decl>, Error> {
    let mut sources = Sources::default();
    let file = sources.add(name, text);
    let parsed = parse::parse_file(&sources, file);
    if parsed.diags.is_empty() {
        Ok(parsed.decls)
    } else {
        Err(Error::from_diagnostics(&parsed.diags, &sources))
    }
}

/// Compiles named source texts as one schema.
pub fn compile_sources(files: Vec<(String, String)>) -> Result<Compiled, Error> {
    let mut sources = Sources::default();
    for (name, text) in files {
        sources.add(name, text);
    }
    compile(sources)
}

/// Parses every file (recovering after each syntax error), then checks the declarations that
/// parsed, so one run reports the syntax errors of every file and the errors the checks find.
fn compile(sources: Sources) -> Result<Compiled, Error> {
    let mut decls = Vec::new();
    let mut diags = Vec::new();
    let mut broken = Vec::new();
    for f in 0..sources.len() {
        let parsed = parse::parse_file(&sources, f);
        decls.push(parsed.decls);
        diags.extend(parsed.diags);
        broken.extend(parsed.broken);
    }
    let texts = (0..sources.len())
        .map(|f| sources.text(f).to_string())
        .collect();
    let (model, found) = lower::lower_all(decls, &broken, texts);
    let (errors, warnings): (Vec<Diagnostic>, Vec<Diagnostic>) =
        found.into_iter().partition(Diagnostic::is_error);
    diags.extend(errors);
    match model {
        Some(model) if diags.is_empty() => Ok(Compiled {
            sources,
            model,
            warnings,
        }),
        _ => Err(Error::from_diagnostics(&diags, &sources)),
    }
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
    Error::plain(format!("{}: {e}", p.display()))
}

/// For build scripts: compiles the schema under `paths` and writes the Rust to `out`, printing
/// `cargo:rerun-if-changed` for every input. Panics with the diagnostics on an error, and on a
/// warning, which is how a build script reports failure. [`Build`] can accept warnings.
pub fn build(paths: &[PathBuf], out: &Path) {
    Build::new(paths, out).run()
}

/// A build script's compilation, with options; [`build`] is `Build::new(paths, out).run()`.
///
/// ```no_run
/// # use std::path::PathBuf;
/// tls_codegen::Build::new(&[PathBuf::from("../schema")], &PathBuf::from("wire.rs"))
///     .allow_warnings(true)
///     .run();
/// ```
#[derive(Debug, Clone)]
pub struct Build {
    paths: Vec<PathBuf>,
    out: PathBuf,
    allow_warnings: bool,
}

impl Build {
    /// Compiles the schema under `paths` (directories or files) into `out`.
    pub fn new(paths: &[PathBuf], out: &Path) -> Self {
        Build {
            paths: paths.to_vec(),
            out: out.to_path_buf(),
            allow_warnings: false,
        }
    }

    /// Whether warnings are accepted (printed as `cargo:warning=` lines) instead of failing the
    /// build. Off by default.
    pub fn allow_warnings(mut self, allow: bool) -> Self {
        self.allow_warnings = allow;
        self
    }

    /// Compiles and writes the Rust, printing `cargo:rerun-if-changed` for every input. Panics
    /// with the diagnostics (caret form) on an error, or on a warning unless warnings are allowed.
    pub fn run(self) {
        for p in &self.paths {
            println!("cargo:rerun-if-changed={}", p.display());
            for f in schema_files(p).unwrap_or_default() {
                println!("cargo:rerun-if-changed={}", f.display());
            }
        }
        match compile_paths(&self.paths) {
            Ok(c) => {
                if !c.warnings.is_empty() {
                    if !self.allow_warnings {
                        panic!(
                            "schema warnings (fix them, allow them at their site with \
                             /*@ allow(lint) */, or use tls_codegen::Build::allow_warnings):\n{}",
                            c.render_warnings()
                        );
                    }
                    for w in &c.warnings {
                        println!("cargo:warning={}", w.render_short(&c.sources));
                    }
                }
                if let Err(e) = std::fs::write(&self.out, c.rust()) {
                    panic!("writing {}: {e}", self.out.display());
                }
            }
            Err(e) => panic!("schema errors:\n{e}"),
        }
    }
}
