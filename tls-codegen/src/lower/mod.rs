//! [`ast`] -> [`model`](crate::model): merges `extends`, resolves names, ties length and
//! selector fields to what they describe, and rejects what cannot be generated, with a diagnostic
//! pointing at the offending text.
//!
//! In order (one file each): `merge` folds `extends` in and sets constants aside; `declare` names
//! every definition and fills each in, through `enums`, `structs` (fields, via `wire` for a
//! declaration's shape and `select` for selects) and `typed` (typed extensions); `analyse` runs
//! the checks that need the whole model, and the model's own analysis.

use crate::ast::{self, Annotation, Decl, Dims, EnumValueKind, Expr, Loc, TypeExpr};
use crate::error::Diagnostic;
use crate::model::*;
use std::collections::BTreeMap;

mod analyse;
mod declare;
mod enums;
mod fixed;
mod lint;
mod merge;
mod padded;
mod select;
mod structs;
mod typed;
mod wire;

use wire::{max_for, uint_width};

const ANNOTATIONS: &[&str] = &[
    "open",
    "extends",
    "typed_by",
    "typed",
    "length_of",
    "rest",
    "secret",
    "unique",
    "last",
    "zero",
    "padded",
    "partial",
    "allow",
    "in",
    "display",
];

/// Lowers every file's declarations (in file order) into one checked model (warnings dropped;
/// see [`lower_all`]).
pub fn lower(files: Vec<Vec<Decl>>) -> Result<Model, Vec<Diagnostic>> {
    match lower_all(files, &[], Vec::new()) {
        (Some(model), diags) if !diags.iter().any(Diagnostic::is_error) => Ok(model),
        (_, diags) => Err(diags.into_iter().filter(Diagnostic::is_error).collect()),
    }
}

/// Lowers every file's declarations (in file order) into one checked model, and runs the lints.
///
/// `broken` names definitions whose declarations did not parse: a reference to one is not
/// reported again as an unknown type. `texts` are the files' texts (by file index), which the
/// lints use to point at the exact text; without them they point at the declaration.
/// Returns the model if there was no error, and every error and warning found (warnings only
/// once the model is complete and error-free).
pub fn lower_all(
    files: Vec<Vec<Decl>>,
    broken: &[String],
    texts: Vec<String>,
) -> (Option<Model>, Vec<Diagnostic>) {
    let mut l = Lowerer {
        broken: broken.iter().cloned().collect(),
        texts,
        ..Lowerer::default()
    };
    let all: Vec<Decl> = files.into_iter().flatten().collect();
    let decls = l.merge(all.clone());
    if l.diags.is_empty() {
        l.declare(&decls);
    } else {
        l.structural = true;
    }
    l.collect_allows(&all);
    // Errors that leave every definition declared once do not stop the definitions' checks.
    if !l.structural {
        // Enums first, so selects and `typed` registrations may name values defined later.
        let first = |d: &Decl| matches!(d.ty, TypeExpr::Enum(_)) || has(d, "open");
        for (i, d) in decls.iter().enumerate() {
            if let Some(a) = ann(d, "typed") {
                l.register_typed(i, a);
            }
            if first(d) {
                l.define(i, d);
            }
        }
        for (i, d) in decls.iter().enumerate() {
            if !first(d) {
                l.define(i, d);
            }
        }
    }
    if l.diags.is_empty() {
        l.analyse();
    }
    if l.diags.is_empty() {
        l.lint(&all);
    }
    let mut diags = std::mem::take(&mut l.diags);
    let ok = diags.is_empty();
    diags.extend(l.warnings());
    (ok.then_some(l.model), diags)
}

/// A vector whose byte counts must be multiples of its element's size: (where, element, counts).
type MultipleCheck = (Loc, Wire, Vec<(u64, &'static str)>);

#[derive(Default)]
struct Lowerer {
    model: Model,
    diags: Vec<Diagnostic>,
    /// Constants by type name: (name, value, loc).
    constants: BTreeMap<String, Vec<(String, u64, Loc)>>,
    /// Element-size checks that need sizes computed first: (loc, element, byte counts, what).
    multiples: Vec<MultipleCheck>,
    /// `typed(Enum.value)` registrations: enum name -> (value, def index, loc).
    typed: BTreeMap<String, Vec<(String, usize, Loc)>>,
    /// Member types of top-level structs as written, for `Struct.field` selectors.
    members: BTreeMap<String, Vec<(String, String)>>,
    /// Where `extends` declarations add to a definition, by its (qualified) name.
    extended_at: BTreeMap<String, Vec<Loc>>,
    /// Names of definitions that did not parse: not reported as unknown types.
    broken: std::collections::BTreeSet<String>,
    /// The files' texts, by file index (for the lints' spans).
    texts: Vec<String>,
    /// `allow(lint)` regions: (lint, file, start, end) of the declaration it is on.
    allows: Vec<(String, usize, usize, usize)>,
    /// Lint findings, before `allow` regions are applied.
    lints: Vec<Diagnostic>,
    /// Rust type names given so far: Rust name -> (schema name, where).
    rust_types: BTreeMap<String, (String, Loc)>,
    /// Inside a definition annotated `partial`: its selects may leave values without arms.
    in_partial: bool,
    /// An error that leaves the definitions' indices unreliable (merge or duplicate names):
    /// the definitions are not checked further.
    structural: bool,
    /// The namespace of the definition being lowered (`in(tls13)`): its lifted types join it,
    /// and names resolve in it first.
    cur_ns: Option<String>,
}

/// The namespace a declaration's `in(ns)` annotation puts it in.
fn ns_of(d: &Decl) -> Option<String> {
    ann(d, "in").and_then(|a| a.arg.clone())
}

/// The key of a name in `Model::by_name`: `ns::Name` inside a namespace.
fn qual(ns: &Option<String>, name: &str) -> String {
    match ns {
        Some(ns) => format!("{ns}::{name}"),
        None => name.to_string(),
    }
}

fn has(d: &Decl, name: &str) -> bool {
    d.annotations.iter().any(|a| a.name == name)
}

fn ann<'d>(d: &'d Decl, name: &str) -> Option<&'d Annotation> {
    d.annotations.iter().find(|a| a.name == name)
}

impl Lowerer {
    fn err(&mut self, loc: Loc, msg: impl Into<String>) {
        self.diags.push(Diagnostic::new(loc, msg));
    }

    /// An error over `len` bytes from `loc`.
    fn err_span(&mut self, loc: Loc, len: usize, msg: impl Into<String>) {
        self.diags.push(Diagnostic::new(loc, msg).with_len(len));
    }
}
