//! Schema sources and the `file:line:col: message` diagnostics reported against them.

use crate::ast::Loc;
use std::fmt;

/// The schema files being compiled, by index.
#[derive(Default, Debug, Clone)]
pub struct Sources {
    files: Vec<SourceFile>,
}

#[derive(Debug, Clone)]
struct SourceFile {
    name: String,
    label: String,
    text: String,
}

impl Sources {
    /// Registers a file's name and text; returns its index. Its label is its name.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> usize {
        let name = name.into();
        self.add_labelled(name.clone(), name, text)
    }

    /// Registers a file's name (for diagnostics), label (for generated code, which must not
    /// depend on where the schema is checked out: `schema/rfc5246.tls`) and text; returns its
    /// index.
    pub fn add_labelled(
        &mut self,
        name: impl Into<String>,
        label: impl Into<String>,
        text: impl Into<String>,
    ) -> usize {
        self.files.push(SourceFile {
            name: name.into(),
            label: label.into(),
            text: text.into(),
        });
        self.files.len() - 1
    }

    /// The text of file `file`.
    pub fn text(&self, file: usize) -> &str {
        &self.files[file].text
    }

    /// The name of file `file`, as given to [`add`](Self::add).
    pub fn name(&self, file: usize) -> &str {
        &self.files[file].name
    }

    /// The label of file `file`: what generated code calls it.
    pub fn label(&self, file: usize) -> &str {
        &self.files[file].label
    }

    /// `label:line` of a location, as generated docs cite it.
    pub fn cite(&self, loc: Loc) -> String {
        format!("{}:{}", self.label(loc.file), self.line_col(loc).0)
    }

    /// How many files are registered.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether no file is registered.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// 1-based line and column of a location.
    pub fn line_col(&self, loc: Loc) -> (usize, usize) {
        let text = self.text(loc.file);
        let upto = &text[..loc.offset.min(text.len())];
        let line = upto.matches('\n').count() + 1;
        let col = upto.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }
}

/// How bad a [`Diagnostic`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The schema cannot be compiled.
    Error,
    /// The schema compiles, but almost certainly not as meant; silenced per declaration by
    /// `/*@ allow(lint) */` (the lints are listed in `schema/NOTATION.md`).
    Warning,
}

/// One problem found in a schema, at a place in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where the problem is.
    pub loc: Loc,
    /// How many bytes from `loc` the problem spans (what the caret form underlines); 0 or 1 for
    /// a single `^`.
    pub len: usize,
    /// What is wrong, without the location.
    pub message: String,
    /// Another place the message refers to (e.g. the first of two duplicate definitions),
    /// introduced by `what` (`"first defined at"`).
    pub related: Option<(String, Loc)>,
    /// Error or warning.
    pub severity: Severity,
    /// The rest, rarely set (boxed, so that a `Result<_, Diagnostic>` stays small).
    pub detail: Box<Detail>,
}

/// The less common parts of a [`Diagnostic`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Detail {
    /// The length of the related place's span (0 or 1 for a single `^`).
    pub related_len: usize,
    /// For a warning, the lint's name (what `allow(...)` takes).
    pub lint: Option<&'static str>,
    /// Advice lines, rendered as `= help: ...`.
    pub help: Vec<String>,
    /// Further places, each a `note: ...` block of its own (e.g. where an unclosed `{` ran out).
    pub notes: Vec<(String, Loc)>,
}

impl Diagnostic {
    /// An error at `loc`, with no related place.
    pub fn new(loc: Loc, message: impl Into<String>) -> Self {
        Diagnostic {
            loc,
            len: 0,
            message: message.into(),
            related: None,
            severity: Severity::Error,
            detail: Box::default(),
        }
    }

    /// A warning of lint `lint` at `loc`; its help says how to allow it.
    pub fn warning(lint: &'static str, loc: Loc, message: impl Into<String>) -> Self {
        let mut d = Diagnostic::new(loc, message);
        d.severity = Severity::Warning;
        d.detail.lint = Some(lint);
        d
    }

    /// Sets how many bytes from `loc` the problem spans.
    pub fn with_len(mut self, len: usize) -> Self {
        self.len = len;
        self
    }

    /// Adds the other place the message refers to, introduced by `what` (`"first defined at"`).
    pub fn with_related(mut self, what: impl Into<String>, loc: Loc) -> Self {
        self.related = Some((what.into(), loc));
        self
    }

    /// Adds the other place the message refers to, with the length of its span.
    pub fn with_related_span(mut self, what: impl Into<String>, loc: Loc, len: usize) -> Self {
        self.related = Some((what.into(), loc));
        self.detail.related_len = len;
        self
    }

    /// Adds an advice line (`= help: ...`).
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.detail.help.push(help.into());
        self
    }

    /// Adds a further place, shown as a `note: what` block.
    pub fn with_note(mut self, what: impl Into<String>, loc: Loc) -> Self {
        self.detail.notes.push((what.into(), loc));
        self
    }

    /// Whether it is an error (not a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The one-line form, `file:line:col: message` (a warning's message is prefixed
    /// `warning[lint]: `).
    pub fn render_short(&self, sources: &Sources) -> String {
        let at = |loc: Loc| {
            let (line, col) = sources.line_col(loc);
            format!("{}:{}:{}", sources.name(loc.file), line, col)
        };
        let kind = match (self.severity, self.detail.lint) {
            (Severity::Warning, Some(l)) => format!("warning[{l}]: "),
            (Severity::Warning, None) => "warning: ".into(),
            (Severity::Error, _) => String::new(),
        };
        match &self.related {
            Some((what, loc)) => {
                format!(
                    "{}: {kind}{} ({} {})",
                    at(self.loc),
                    self.message,
                    what,
                    at(*loc)
                )
            }
            None => format!("{}: {kind}{}", at(self.loc), self.message),
        }
    }

    /// The one-line form; the name [`render_short`](Self::render_short) had before.
    pub fn render(&self, sources: &Sources) -> String {
        self.render_short(sources)
    }

    /// The rustc-style form: a header, the place with the source line and a caret under the
    /// span, a `note:` block for every related place, and `= help:` lines.
    ///
    /// ```text
    /// error: unknown type `Nope`
    ///  --> t.tls:1:10
    ///   |
    /// 1 | struct { Nope x; } S;
    ///   |          ^^^^
    /// ```
    pub fn render_caret(&self, sources: &Sources) -> String {
        let mut places = vec![(self.loc, self.len)];
        if let Some((_, loc)) = &self.related {
            places.push((*loc, self.detail.related_len));
        }
        places.extend(self.detail.notes.iter().map(|(_, l)| (*l, 0)));
        let gutter = places
            .iter()
            .map(|(l, _)| sources.line_col(*l).0.to_string().len())
            .max()
            .unwrap_or(1);
        let head = match (self.severity, self.detail.lint) {
            (Severity::Warning, Some(l)) => format!("warning[{l}]"),
            (Severity::Warning, None) => "warning".into(),
            (Severity::Error, _) => "error".into(),
        };
        let mut out = format!("{head}: {}\n", self.message);
        out += &snippet(sources, self.loc, self.len, gutter);
        if let Some((what, loc)) = &self.related {
            let what = what
                .strip_suffix(" at")
                .map_or(what.clone(), |w| format!("{w} here"));
            out += &format!("note: {what}\n");
            out += &snippet(sources, *loc, self.detail.related_len, gutter);
        }
        for (what, loc) in &self.detail.notes {
            out += &format!("note: {what}\n");
            out += &snippet(sources, *loc, 0, gutter);
        }
        if !self.detail.help.is_empty() {
            out += &format!("{:gutter$} |\n", "");
        }
        for h in &self.detail.help {
            out += &format!("{:gutter$} = help: {h}\n", "");
        }
        out
    }
}

/// ` --> file:line:col`, the source line and a caret line under `len` bytes from `loc`.
fn snippet(sources: &Sources, loc: Loc, len: usize, gutter: usize) -> String {
    let (line, col) = sources.line_col(loc);
    let text = sources.text(loc.file);
    let line_text = text.lines().nth(line - 1).unwrap_or("");
    let pad = "";
    let mut out = format!("{pad:gutter$}--> {}:{line}:{col}\n", sources.name(loc.file));
    out += &format!("{pad:gutter$} |\n");
    out += &format!("{line:>gutter$} | {}\n", line_text.trim_end());
    // Underline within the line only; tabs are kept so the caret lines up under them.
    let before: String = line_text
        .chars()
        .take(col - 1)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let rest = line_text.chars().count().saturating_sub(col - 1);
    // `len` counts bytes; the caret line counts characters.
    let chars = text
        .get(loc.offset..(loc.offset + len).min(text.len()))
        .map_or(len, |s| s.chars().count());
    let width = chars.max(1).min(rest.max(1));
    out += &format!("{pad:gutter$} | {before}{}\n", "^".repeat(width));
    out
}

/// Every diagnostic of a failed compilation, rendered against its sources. Its `Display` is the
/// rustc-style caret form of each (what a build script panics with); [`short`](Self::short)
/// gives one `file:line:col: message` line each.
#[derive(Debug, Clone)]
pub struct Error {
    /// One rendered `file:line:col: message` per problem (or `path: error` for an I/O failure).
    pub diagnostics: Vec<String>,
    /// The same problems in the caret form, one multi-line string each.
    pub rendered: Vec<String>,
}

impl Error {
    /// An error of diagnostics rendered against `sources` (both forms).
    pub fn from_diagnostics(diags: &[Diagnostic], sources: &Sources) -> Self {
        Error {
            diagnostics: diags.iter().map(|d| d.render_short(sources)).collect(),
            rendered: diags.iter().map(|d| d.render_caret(sources)).collect(),
        }
    }

    /// An error that has no place in a schema (an I/O failure): both forms are `message`.
    pub fn plain(message: String) -> Self {
        Error {
            diagnostics: vec![message.clone()],
            rendered: vec![message],
        }
    }

    /// One `file:line:col: message` line per problem, each ending in a newline.
    pub fn short(&self) -> String {
        self.diagnostics.iter().map(|d| format!("{d}\n")).collect()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.rendered.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
            if !d.ends_with('\n') {
                writeln!(f)?;
            }
        }
        let errors = self
            .rendered
            .iter()
            .filter(|d| d.starts_with("error"))
            .count();
        let warnings = self
            .rendered
            .iter()
            .filter(|d| d.starts_with("warning"))
            .count();
        if errors + warnings > 1 {
            writeln!(f)?;
            match (errors, warnings) {
                (e, 0) => writeln!(f, "{e} errors")?,
                (0, w) => writeln!(f, "{w} warnings")?,
                (e, w) => writeln!(f, "{e} errors, {w} warnings")?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for Error {}
