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

/// One problem found in a schema, at a place in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where the problem is.
    pub loc: Loc,
    /// What is wrong, without the location.
    pub message: String,
    /// Another place the message refers to (e.g. the first of two duplicate definitions).
    pub related: Option<(String, Loc)>,
}

impl Diagnostic {
    /// A diagnostic at `loc`, with no related place.
    pub fn new(loc: Loc, message: impl Into<String>) -> Self {
        Diagnostic {
            loc,
            message: message.into(),
            related: None,
        }
    }

    /// Adds the other place the message refers to, introduced by `what` (`"first defined at"`).
    pub fn with_related(mut self, what: impl Into<String>, loc: Loc) -> Self {
        self.related = Some((what.into(), loc));
        self
    }

    /// `file:line:col: message`.
    pub fn render(&self, sources: &Sources) -> String {
        let at = |loc: Loc| {
            let (line, col) = sources.line_col(loc);
            format!("{}:{}:{}", sources.name(loc.file), line, col)
        };
        match &self.related {
            Some((what, loc)) => {
                format!("{}: {} ({} {})", at(self.loc), self.message, what, at(*loc))
            }
            None => format!("{}: {}", at(self.loc), self.message),
        }
    }
}

/// Every diagnostic of a failed compilation, rendered against its sources.
#[derive(Debug, Clone)]
pub struct Error {
    /// One rendered `file:line:col: message` per problem (or `path: error` for an I/O failure).
    pub diagnostics: Vec<String>,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.diagnostics {
            writeln!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}
