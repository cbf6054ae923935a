//! Rustdoc for generated items: schema comments as paragraphs, wrapped to fit [`WIDTH`] columns,
//! and the schema line each item comes from.

use super::Gen;
use crate::ast::Loc;
use crate::model::*;
use proc_macro2::TokenStream;
use quote::quote;

/// The column generated doc comments stay within (at their indentation, `/// ` included).
pub(super) const WIDTH: usize = 100;

/// Rustdoc as paragraphs, wrapped when rendered at an indentation.
#[derive(Default, Clone)]
pub(super) struct Doc {
    paras: Vec<String>,
}

impl Doc {
    /// A doc of one paragraph.
    pub(super) fn of(text: impl Into<String>) -> Doc {
        let mut d = Doc::default();
        d.para(text);
        d
    }

    /// Adds a paragraph (nothing, if it is empty).
    pub(super) fn para(&mut self, text: impl Into<String>) -> &mut Doc {
        let text = text.into();
        if !text.trim().is_empty() {
            self.paras.push(text);
        }
        self
    }

    /// Adds one paragraph per entry: each schema comment is a paragraph of its own.
    pub(super) fn paras(&mut self, texts: &[String]) -> &mut Doc {
        for t in texts {
            self.para(t.as_str());
        }
        self
    }

    /// `#[doc]` attributes for an item indented by `indent` columns, each line within [`WIDTH`].
    pub(super) fn render(&self, indent: usize) -> TokenStream {
        let width = WIDTH.saturating_sub(indent + 4).max(40);
        let mut lines = Vec::new();
        for (i, p) in self.paras.iter().enumerate() {
            if i > 0 {
                lines.push(String::new());
            }
            lines.extend(wrap(p, width).into_iter().map(|l| format!(" {l}")));
        }
        quote! { #(#[doc = #lines])* }
    }
}

/// Greedy word wrap to `width` characters. A word longer than the width gets a line of its own.
/// A line never starts with what Markdown would read as a list item, heading, quote or rule
/// (`-`, `+`, `*`, `#`, `>`, `1.`): such a word takes the word before it along.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<Vec<&str>> = Vec::new();
    let mut line: Vec<&str> = Vec::new();
    let mut len = 0;
    for word in text.split_whitespace() {
        let w = word.chars().count();
        if !line.is_empty() && len + 1 + w > width {
            let mut next = Vec::new();
            if starts_block(word) && line.len() > 1 {
                next.extend(line.pop());
            }
            lines.push(std::mem::take(&mut line));
            line = next;
            len = line.iter().map(|w| w.chars().count() + 1).sum::<usize>();
            len = len.saturating_sub(1);
        }
        if !line.is_empty() {
            len += 1;
        }
        line.push(word);
        len += w;
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines.into_iter().map(|l| l.join(" ")).collect()
}

/// Whether a word at the start of a line would begin a Markdown block.
fn starts_block(word: &str) -> bool {
    let marker = |c: char| word.chars().all(|x| x == c);
    let ordered = word
        .strip_suffix(['.', ')'])
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
    word.starts_with('>')
        || word.starts_with("```")
        || ['-', '+', '*', '#', '='].into_iter().any(marker)
        || ordered
}

impl Gen<'_> {
    /// `` `schema/rfc5246.tls:183` ``: the file and line of a location.
    pub(super) fn cite(&self, loc: Loc) -> String {
        format!("`{}`", self.sources.cite(loc))
    }

    /// "From `schema/rfc5246.tls:160`, extended at `schema/rfc6066.tls:24`."
    pub(super) fn origin(&self, d: &Def) -> String {
        let mut s = format!("From {}", self.cite(d.start));
        if !d.extended_at.is_empty() {
            let at: Vec<String> = d.extended_at.iter().map(|l| self.cite(*l)).collect();
            s.push_str(", extended at ");
            s.push_str(&at.join(", "));
        }
        s.push('.');
        s
    }

    /// A field's rustdoc: its schema comments, or for a field without one its declaration as
    /// the schema writes it.
    pub(super) fn field_doc(&self, f: &Field) -> Doc {
        let mut doc = Doc::default();
        doc.paras(&f.doc);
        if f.doc.is_empty() {
            doc.para(format!("`{}`", self.decl_text(f.loc, f.end)));
        }
        doc
    }

    /// The text of a declaration with the annotation comment right before it, other comments
    /// left out and white space collapsed.
    fn decl_text(&self, loc: Loc, end: usize) -> String {
        let file = self.sources.text(loc.file);
        let text = file.get(loc.offset..end).unwrap_or_default();
        let before = file.get(..loc.offset).unwrap_or_default().trim_end();
        let annotation = before
            .strip_suffix("*/")
            .and_then(|b| b.rfind("/*@").map(|at| &before[at..]))
            .filter(|a| a.matches("*/").count() == 1);
        let mut out = annotation.map_or(String::new(), |a| format!("{a} "));
        let mut rest = text;
        while let Some(start) = rest.find("/*") {
            out.push_str(&rest[..start]);
            out.push(' ');
            rest = rest[start..]
                .find("*/")
                .map_or("", |e| &rest[start + e + 2..]);
        }
        out.push_str(rest);
        out.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_within_the_width() {
        let text = "one two three four five six seven eight nine ten";
        assert_eq!(
            wrap(text, 14),
            ["one two three", "four five six", "seven eight", "nine ten"]
        );
        assert_eq!(
            wrap("averyveryverylongword x", 5),
            ["averyveryverylongword", "x"]
        );
    }

    #[test]
    fn no_line_starts_a_markdown_block() {
        // `- b` would be a list item, `2.` an ordered one, `>` a quote.
        assert_eq!(wrap("aaaa bb - b", 7), ["aaaa", "bb - b"]);
        assert_eq!(wrap("section 7.4 in 2. a", 14), ["section 7.4", "in 2. a"]);
        assert_eq!(wrap("a b > c", 4), ["a", "b >", "c"]);
    }
}
