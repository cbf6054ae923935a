//! Schema sources and the `file:line:col: message` diagnostics reported against them.

use crate::ast::Loc;
use std::fmt;

/// The schema files being compiled, by index.
#[derive(Default, Debug, Clone)]
pub struct Sources {
    files: Vec<(String, String)>,
}

impl Sources {
    /// Registers a file's name and text; returns its index.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> usize {
        self.files.push((name.into(), text.into()));
        self.files.len() - 1
    }

    /// The text of file `file`.
    pub fn text(&self, file: usize) -> &str {
        &self.files[file].1
    }

    /// The name of file `file`, as given to [`add`](Self::add).
    pub fn name(&self, file: usize) -> &str {
        &self.files[file].0
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
