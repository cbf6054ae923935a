//! Source text -> [`ast`](crate::ast): the pest grammar, then comments attached by position.

use crate::ast::*;
use crate::error::{Diagnostic, Sources};
use pest::iterators::Pair;
use pest::Parser as _;

#[derive(pest_derive::Parser)]
#[grammar = "grammar.pest"]
struct Grammar;

/// What parsing one file gives: the declarations that parsed, a diagnostic for each that did
/// not, and the names those would have defined (best effort), so that later checks do not report
/// them as unknown.
pub(crate) struct Parsed {
    /// The declarations that parsed (or were repaired: a missing `;`), in file order.
    pub decls: Vec<Decl>,
    /// Syntax errors, at most one per declaration.
    pub diags: Vec<Diagnostic>,
    /// Names the declarations that failed would have defined.
    pub broken: Vec<String>,
}

/// Parses one schema file (already registered in `sources` as `file`) into its declarations,
/// declaration by declaration: after a syntax error it resumes at the next top-level declaration,
/// so one error does not hide the next.
pub(crate) fn parse_file(sources: &Sources, file: usize) -> Parsed {
    pest::set_error_detail(true);
    let text = sources.text(file);
    let mut out = Parsed {
        decls: Vec::new(),
        diags: Vec::new(),
        broken: Vec::new(),
    };
    // Starts of declarations that failed: an annotation before one is not reported as dangling.
    let mut failed_starts = Vec::new();
    let mut pos = skip_trivia(text, 0);
    while pos < text.len() {
        match parse_decl(text, pos, file) {
            Ok((d, end)) => {
                out.decls.push(d);
                pos = end;
            }
            Err(fail) => {
                failed_starts.push(pos);
                if let Some(name) = fail.name {
                    out.broken.push(name);
                }
                if let Some(d) = fail.repaired {
                    out.decls.push(d);
                }
                out.diags.push(fail.diag);
                pos = fail.resume.max(pos + 1);
                // Never inside a character: a resume point one byte on may be.
                while !text.is_char_boundary(pos) {
                    pos += 1;
                }
            }
        }
        pos = skip_trivia(text, pos);
    }
    // `skip_trivia` stops at the end of the text inside an unterminated comment.
    if let Some(open) = unterminated_comment(text) {
        out.diags.push(
            Diagnostic::new(
                Loc { file, offset: open },
                "unclosed comment: expected `*/`",
            )
            .with_len(2),
        );
    }
    let comments = scan_comments(text);
    attach_comments(&mut out, &comments, text, file, &failed_starts);
    out
}

/// A declaration that did not parse.
struct Failure {
    diag: Diagnostic,
    /// Where to look for the next declaration.
    resume: usize,
    /// The name it would have defined.
    name: Option<String>,
    /// The declaration as parsed once a missing `;` is put in, if that was all that was wrong.
    repaired: Option<Decl>,
}

/// Parses the declaration starting at `start`; on success returns it and the offset after it.
fn parse_decl(text: &str, start: usize, file: usize) -> Result<(Decl, usize), Box<Failure>> {
    let b = Builder { file, base: start };
    let err = match Grammar::parse(Rule::decl, &text[start..]) {
        Ok(mut pairs) => {
            let p = pairs.next().expect("pest returns the decl rule");
            let end = start + p.as_span().end();
            return match b.decl(p) {
                Ok(d) => Ok((d, end)),
                Err(diag) => Err(Box::new(Failure {
                    diag,
                    resume: end,
                    name: None,
                    repaired: None,
                })),
            };
        }
        Err(e) => e,
    };
    let at = start
        + match err.location {
            pest::error::InputLocation::Pos(p) => p,
            pest::error::InputLocation::Span((s, _)) => s,
        };
    // With error detail on, pest also knows the literal tokens it tried at the furthest point.
    let attempts = err
        .parse_attempts()
        .map(|a| (start + a.max_position, a.expected_tokens()))
        .filter(|(pos, tokens)| *pos >= at && !tokens.is_empty());
    let at = attempts.as_ref().map_or(at, |(pos, _)| *pos);
    let positives = match &err.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        pest::error::ErrorVariant::CustomError { .. } => Vec::new(),
    };
    let Scan {
        stop,
        unclosed,
        early_close,
    } = scan_to_semicolon(text, start);
    let name = would_define(&text[start..stop]);
    // A missing `;` (or `,` between enum values): the declaration parses with one put just
    // after the token before the error, in place of the white space there (no offset moves).
    let prev = trim_trivia_end(text, at);
    let ws = (prev > start && prev < at)
        // ASCII white space only: the `;` put in its place must take exactly its one byte.
        .then(|| {
            text[prev..at]
                .find(|c: char| c.is_ascii_whitespace())
                .map(|i| prev + i)
        })
        .flatten();
    let fixes = [
        (";", "every declaration and struct member ends with `;`"),
        (",", "enum values are separated by `,`"),
        (":", "a `case` label ends with `:`"),
    ];
    for (punct, help) in ws.map_or(&[][..], |_| &fixes[..]) {
        let ws = ws.unwrap_or(prev);
        let mut fixed = text[start..].to_string();
        fixed.replace_range(ws - start..ws - start + 1, punct);
        if let Ok(mut pairs) = Grammar::parse(Rule::decl, &fixed) {
            let p = pairs.next().expect("pest returns the decl rule");
            let end = start + p.as_span().end();
            let repaired = b.decl(p).ok();
            let resume = if end > ws + 1 { end } else { at };
            return Err(Box::new(Failure {
                diag: Diagnostic::new(Loc { file, offset: prev }, format!("expected `{punct}`"))
                    .with_len(1)
                    .with_help(*help),
                resume: if repaired.is_some() { resume } else { stop },
                name: if repaired.is_some() { None } else { name },
                repaired,
            }));
        }
    }
    if let Some(open) = unclosed.filter(|_| early_close.is_none_or(|c| at >= c)) {
        let (what, note_at, resume) = match early_close {
            Some(c) => ("this `}` lines up with an outer `{`", c, stop),
            None => match next_column0_decl(text, open) {
                // Resume at the next line that starts a declaration in column 0, if any.
                Some(n) => ("expected `}` before this declaration", n, n),
                None => ("the file ends here", text.trim_end().len(), text.len()),
            },
        };
        return Err(Box::new(Failure {
            diag: Diagnostic::new(Loc { file, offset: open }, "unclosed `{`: expected `}`")
                .with_len(1)
                .with_note(
                    what,
                    Loc {
                        file,
                        offset: note_at,
                    },
                ),
            resume,
            name,
            repaired: None,
        }));
    }
    let found = describe_found(text, at);
    Err(Box::new(Failure {
        diag: Diagnostic::new(
            Loc { file, offset: at },
            format!(
                "syntax error: expected {}, found {found}",
                attempts
                    .as_ref()
                    .filter(|_| at > start)
                    .and_then(|(_, t)| describe_tokens(t, text[..at].chars().last()))
                    .unwrap_or_else(|| describe(&positives))
            ),
        )
        .with_len(token_len(text, at)),
        // Nothing of a declaration parsed (a stray `}`): skip just that token.
        resume: if at == start {
            start + token_len(text, at)
        } else {
            stop
        },
        name,
        repaired: None,
    }))
}

/// Skips white space and comments from `pos`.
fn skip_trivia(text: &str, mut pos: usize) -> usize {
    loop {
        let rest = &text[pos..];
        let trimmed = rest.trim_start();
        pos += rest.len() - trimmed.len();
        if trimmed.starts_with("/*") {
            match trimmed.strip_prefix("/*").and_then(|t| t.find("*/")) {
                Some(e) => pos += e + 4,
                None => return text.len(),
            }
        } else {
            return pos;
        }
    }
}

/// The start of a `/*` that is never closed, outside strings and other comments.
fn unterminated_comment(text: &str) -> Option<usize> {
    let mut i = 0;
    let mut in_string = false;
    let bytes = text.as_bytes();
    while i + 1 < bytes.len() {
        if bytes[i] == b'"' {
            in_string = !in_string;
        } else if !in_string && bytes[i] == b'/' && bytes[i + 1] == b'*' {
            match text[i + 2..].find("*/") {
                Some(e) => i += 2 + e + 2,
                None => return Some(i),
            }
            continue;
        }
        i += 1;
    }
    None
}

/// The end of the last token before `pos`, skipping back over white space and comments.
fn trim_trivia_end(text: &str, mut pos: usize) -> usize {
    loop {
        let before = text[..pos].trim_end();
        pos = before.len();
        if before.ends_with("*/") {
            match before.strip_suffix("*/").and_then(|b| b.rfind("/*")) {
                Some(s) => pos = s,
                None => return pos,
            }
        } else {
            return pos;
        }
    }
}

/// What [`scan_to_semicolon`] finds.
struct Scan {
    /// Just after the first `;` outside braces, or the end of the text.
    stop: usize,
    /// The `{` most likely left unclosed: one still open where a `}` indented like an outer
    /// block's closes, or the outermost one still open at the end of the text.
    unclosed: Option<usize>,
    /// The `}` that closed an outer block while an inner one was still open.
    early_close: Option<usize>,
}

/// From `start`, finds the end of the declaration (the first `;` outside braces) and, by
/// indentation, a `{` that is most likely never closed.
fn scan_to_semicolon(text: &str, start: usize) -> Scan {
    let bytes = text.as_bytes();
    let indent = |at: usize| {
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        text[line_start..].len() - text[line_start..].trim_start().len()
    };
    let mut open: Vec<usize> = Vec::new();
    let mut suspect = None;
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |e| i + 2 + e + 2);
                continue;
            }
            b'"' => {
                i = text[i + 1..]
                    .find('"')
                    .map_or(bytes.len(), |e| i + 1 + e + 1);
                continue;
            }
            b'{' => open.push(i),
            b'}' => {
                // A `}` indented less than the line of the innermost `{` closes an outer block.
                while open.len() > 1 && indent(open[open.len() - 1]) > indent(i) {
                    let inner = open.pop();
                    if suspect.is_none() {
                        suspect = inner.map(|o| (o, i));
                    }
                }
                open.pop();
            }
            b';' if open.is_empty() => {
                return Scan {
                    stop: i + 1,
                    unclosed: suspect.map(|s| s.0),
                    early_close: suspect.map(|s| s.1),
                }
            }
            _ => {}
        }
        i += 1;
    }
    Scan {
        stop: bytes.len(),
        unclosed: suspect.map(|s| s.0).or(open.first().copied()),
        early_close: suspect.map(|s| s.1),
    }
}

/// The first line after the one holding `from` that starts (in column 0) with a name: most
/// likely the next top-level declaration.
fn next_column0_decl(text: &str, from: usize) -> Option<usize> {
    let comments = scan_comments(text);
    let in_comment = |pos: usize| comments.iter().any(|c| (c.start..c.end).contains(&pos));
    let mut pos = text[from..].find('\n')? + from + 1;
    while pos < text.len() {
        let line = &text[pos..];
        if line.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') && !in_comment(pos) {
            return Some(pos);
        }
        pos += line.find('\n')? + 1;
    }
    None
}

/// The name a declaration's text would define: the last name before its `;`, vector part and
/// `= value` dropped (`} Name`, `uint8 Name[2]`).
fn would_define(decl: &str) -> Option<String> {
    let mut s = decl.trim_end().trim_end_matches(';');
    if let Some(eq) = s.rfind('=') {
        if !s[eq..].contains('}') {
            s = &s[..eq];
        }
    }
    let s = s.trim_end();
    let s = match s.chars().last() {
        Some(']') => s.rfind('[').map_or(s, |i| &s[..i]),
        Some('>') => s.rfind('<').map_or(s, |i| &s[..i]),
        _ => s,
    }
    .trim_end();
    let start = s
        .char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '^'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let name = &s[start..];
    (!name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit())).then(|| name.to_string())
}

/// How long the token at `at` is (1 for punctuation, at least 1).
fn token_len(text: &str, at: usize) -> usize {
    let rest = &text[at.min(text.len())..];
    let n = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    if n > 0 {
        n
    } else {
        // One character, however many bytes it takes (the result is used to slice).
        rest.chars().next().map_or(1, char::len_utf8)
    }
}

/// What is at `at`, for "found ...": `` `}` ``, `` `name` ``, or end of file.
fn describe_found(text: &str, at: usize) -> String {
    let rest = &text[at.min(text.len())..];
    match rest.chars().next() {
        None => "end of file".into(),
        Some(_) => format!("`{}`", &rest[..token_len(text, at).min(rest.len())]),
    }
}

/// The tokens pest tried, as a person would list them: `` `,` or `}` ``, "a number", "a name".
/// White space and comments are left out; so are operators, and the characters that would only
/// continue the token just before (`after`), unless nothing else is left.
fn describe_tokens<T: std::fmt::Display>(tokens: &[T], after: Option<char>) -> Option<String> {
    let continues = after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let mut names: Vec<String> = Vec::new();
    let mut operators: Vec<String> = Vec::new();
    let push = |names: &mut Vec<String>, n: String| {
        if !names.contains(&n) {
            names.push(n);
        }
    };
    for t in tokens {
        // pest does not export its token type; its display is the token, or `a..z` for a range.
        let token = t.to_string();
        let range = token.len() == 4 && token.get(1..3) == Some("..");
        match token.as_str() {
            t if t.trim().is_empty() || t == "/*" || t == "BUILTIN_RULE" => {}
            _ if range && continues => {}
            t if range && t.starts_with(|c: char| c.is_ascii_digit()) => {
                push(&mut names, "a number".into())
            }
            _ if range => push(&mut names, "a name".into()),
            "+" | "-" | "*" | "^" => push(&mut operators, format!("`{token}`")),
            "0x" | "_" if continues => {}
            "0x" => push(&mut names, "a number".into()),
            "\"" => push(&mut names, "a string".into()),
            "_" => push(&mut names, "a name".into()),
            _ => push(&mut names, format!("`{token}`")),
        }
    }
    if names.is_empty() {
        names = operators;
    }
    match names.as_slice() {
        [] => None,
        [one] => Some(one.clone()),
        [init @ .., last] => Some(format!("{} or {last}", init.join(", "))),
    }
}

fn describe(rules: &[Rule]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for r in rules {
        let n = match r {
            Rule::decl | Rule::crypto_attr | Rule::type_expr | Rule::select => "a declaration",
            Rule::struct_body | Rule::enum_body => "a declaration",
            Rule::ident | Rule::name | Rule::selector => "a name",
            Rule::expr | Rule::term | Rule::number | Rule::power => "a number",
            Rule::enum_item | Rule::enum_value | Rule::width_marker => "an enum value",
            Rule::range => "a range `a..b`",
            Rule::dims | Rule::fixed_dim | Rule::var_dim => "`[n]` or `<floor..ceiling>`",
            Rule::arm | Rule::case_labels | Rule::default_label => "`case` or `default`",
            Rule::default => "`=`",
            Rule::op => "an operator",
            Rule::value | Rule::brace_list | Rule::string => "a value",
            Rule::EOI => "end of file",
            _ => "more input",
        };
        if !names.contains(&n) {
            names.push(n);
        }
    }
    match names.as_slice() {
        [] => "something else".into(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

struct Builder {
    file: usize,
    /// Offset of the parsed text in the file.
    base: usize,
}

impl Builder {
    fn loc(&self, p: &Pair<Rule>) -> Loc {
        Loc {
            file: self.file,
            offset: self.base + p.as_span().start(),
        }
    }

    fn name(&self, p: Pair<Rule>) -> Name {
        // `name` and `selector` wrap an ident; an ident is its own text.
        let loc = self.loc(&p);
        let text = p.as_str().trim().to_string();
        Name { text, loc }
    }

    fn decl(&self, p: Pair<Rule>) -> Result<Decl, Diagnostic> {
        let loc = self.loc(&p);
        let end = self.base + p.as_span().end();
        let mut d = Decl {
            attr: None,
            ty: TypeExpr::Struct(Vec::new()),
            name: None,
            dims: None,
            default: None,
            doc: Vec::new(),
            annotations: Vec::new(),
            loc,
            end,
        };
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::crypto_attr => {
                    d.attr = Some(match c.as_str() {
                        "digitally-signed" => CryptoAttr::DigitallySigned,
                        "aead-ciphered" => CryptoAttr::AeadCiphered,
                        "stream-ciphered" => CryptoAttr::StreamCiphered,
                        "block-ciphered" => CryptoAttr::BlockCiphered,
                        _ => CryptoAttr::PublicKeyEncrypted,
                    })
                }
                Rule::select => {
                    let mut inner = c.into_inner();
                    let selector = self.name(inner.next().expect("selector"));
                    let mut arms = Vec::new();
                    for a in inner {
                        match a.as_rule() {
                            Rule::arm => arms.push(self.arm(a)?),
                            Rule::name => d.name = Some(self.name(a)),
                            _ => {}
                        }
                    }
                    d.ty = TypeExpr::Select(Select { selector, arms });
                }
                Rule::type_expr => d.ty = self.type_expr(c)?,
                Rule::name => d.name = Some(self.name(c)),
                Rule::dims => d.dims = Some(self.dims(c)),
                Rule::default => d.default = Some(c.into_inner().map(|v| self.value(v)).collect()),
                _ => {}
            }
        }
        Ok(d)
    }

    fn arm(&self, p: Pair<Rule>) -> Result<Arm, Diagnostic> {
        let mut arm = Arm {
            labels: Vec::new(),
            default: None,
            decls: Vec::new(),
        };
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::case_labels => arm.labels.extend(c.into_inner().map(|i| self.name(i))),
                Rule::default_label => arm.default = Some(self.loc(&c)),
                Rule::decl => arm.decls.push(self.decl(c)?),
                _ => {}
            }
        }
        Ok(arm)
    }

    fn type_expr(&self, p: Pair<Rule>) -> Result<TypeExpr, Diagnostic> {
        let c = p.into_inner().next().expect("type_expr has one child");
        Ok(match c.as_rule() {
            Rule::struct_body => TypeExpr::Struct(
                c.into_inner()
                    .map(|d| self.decl(d))
                    .collect::<Result<_, _>>()?,
            ),
            Rule::enum_body => {
                let mut body = EnumBody {
                    values: Vec::new(),
                    width: None,
                };
                for item in c.into_inner() {
                    let i = item.into_inner().next().expect("enum_item has one child");
                    match i.as_rule() {
                        Rule::width_marker => {
                            body.width = Some(self.expr(i.into_inner().next().expect("expr")))
                        }
                        _ => body.values.push(self.enum_value(i)),
                    }
                }
                TypeExpr::Enum(body)
            }
            _ => TypeExpr::Named(self.name(c)),
        })
    }

    fn enum_value(&self, p: Pair<Rule>) -> EnumValue {
        let mut inner = p.into_inner();
        let name = self.name(inner.next().expect("enum value name"));
        let value = match inner.next() {
            None => EnumValueKind::None,
            Some(v) if v.as_rule() == Rule::range => {
                let mut r = v.into_inner();
                let lo = self.expr(r.next().expect("range start"));
                let hi = self.expr(r.next().expect("range end"));
                EnumValueKind::Range(lo, hi)
            }
            Some(v) if v.as_rule() == Rule::brace_list => EnumValueKind::Single(self.brace_list(v)),
            Some(v) => EnumValueKind::Single(Value::Expr(self.expr(v))),
        };
        EnumValue { name, value }
    }

    fn dims(&self, p: Pair<Rule>) -> Dims {
        let c = p.into_inner().next().expect("dims has one child");
        let fixed = c.as_rule() == Rule::fixed_dim;
        let mut exprs: Vec<Expr> = c.into_inner().map(|e| self.expr(e)).collect();
        if fixed {
            Dims::Fixed(exprs.remove(0))
        } else {
            let ceiling = exprs.pop().expect("vector ceiling");
            Dims::Var {
                floor: exprs.pop(),
                ceiling,
            }
        }
    }

    fn value(&self, p: Pair<Rule>) -> Value {
        let c = p.into_inner().next().expect("value has one child");
        match c.as_rule() {
            Rule::string => {
                let s = c.as_str();
                Value::Str(s[1..s.len() - 1].to_string())
            }
            Rule::brace_list => self.brace_list(c),
            _ => Value::Expr(self.expr(c)),
        }
    }

    fn brace_list(&self, p: Pair<Rule>) -> Value {
        Value::List(p.into_inner().map(|v| self.value(v)).collect())
    }

    fn expr(&self, p: Pair<Rule>) -> Expr {
        let mut inner = p.into_inner();
        let mut acc = self.term(inner.next().expect("term"));
        while let Some(op) = inner.next() {
            let rhs = self.term(inner.next().expect("term after operator"));
            let op = op.as_str().chars().next().unwrap_or('+');
            acc = Expr::Bin(Box::new(acc), op, Box::new(rhs));
        }
        acc
    }

    fn term(&self, p: Pair<Rule>) -> Expr {
        let c = p.into_inner().next().expect("term has one child");
        match c.as_rule() {
            Rule::power => {
                let mut n = c.into_inner();
                let base = number(n.next().expect("base").as_str());
                let exp = number(n.next().expect("exponent").as_str());
                Expr::Num(base.saturating_pow(exp.min(64) as u32))
            }
            Rule::number => Expr::Num(number(c.as_str())),
            Rule::expr => self.expr(c),
            _ => Expr::Ref(self.name(c)),
        }
    }
}

fn number(s: &str) -> u64 {
    // The grammar admits only digits or 0x-hex; overflow saturates and is caught by range checks.
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).unwrap_or(u64::MAX),
        None => s.parse().unwrap_or(u64::MAX),
    }
}

/// A `/* ... */` comment found in the source text.
struct Comment {
    start: usize,
    end: usize,
    body: String,
}

fn scan_comments(text: &str) -> Vec<Comment> {
    let mut out = Vec::new();
    let mut i = 0;
    let bytes = text.as_bytes();
    let mut in_string = false;
    while i + 1 < bytes.len() {
        if bytes[i] == b'"' {
            in_string = !in_string;
        } else if !in_string && bytes[i] == b'/' && bytes[i + 1] == b'*' {
            let body_start = i + 2;
            let close = text[body_start..].find("*/").map(|p| body_start + p);
            let Some(close) = close else { break };
            out.push(Comment {
                start: i,
                end: close + 2,
                body: text[body_start..close].to_string(),
            });
            i = close + 2;
            continue;
        }
        i += 1;
    }
    out
}

/// Attaches each comment to a declaration: a comment that follows a `;` on the same line documents
/// the declaration ending there; any other comment belongs to the next declaration that starts after
/// it with only white space and comments between. `/*@ ... */` comments are annotations.
fn attach_comments(
    out: &mut Parsed,
    comments: &[Comment],
    text: &str,
    file: usize,
    failed_starts: &[usize],
) {
    let decls = &mut out.decls;
    let diags = &mut out.diags;
    for c in comments {
        let before = &text[..c.start];
        let prev = before.trim_end_matches([' ', '\t']);
        let trailing = prev.ends_with(';') || prev.ends_with(',');
        let is_annotation = c.body.starts_with('@');
        if trailing && !is_annotation {
            if let Some(d) = find_decl_mut(decls, &|d| d.end == prev.len()) {
                d.doc.push(clean_doc(&c.body));
            }
            continue;
        }
        // Leading: the next declaration after the comment, with nothing but white space and
        // comments between, and no blank line (a blank line ends a doc comment's reach, so file
        // headers and section banners stay out of the rustdoc).
        let mut pos = c.end;
        let mut blank_line = false;
        loop {
            let rest = &text[pos..];
            let trimmed = rest.trim_start();
            blank_line |= rest[..rest.len() - trimmed.len()].matches('\n').count() > 1;
            pos += rest.len() - trimmed.len();
            if trimmed.starts_with("/*") {
                match trimmed.find("*/") {
                    Some(e) => pos += e + 2,
                    None => break,
                }
            } else {
                break;
            }
        }
        let target = find_decl_mut(decls, &|d| d.loc.offset == pos).filter(|_| !blank_line);
        if is_annotation {
            let loc = Loc {
                file,
                offset: c.start,
            };
            let Some(d) = target else {
                if !failed_starts.contains(&pos) {
                    diags.push(Diagnostic::new(
                        loc,
                        "annotation is not directly followed by a declaration",
                    ));
                }
                continue;
            };
            match parse_annotations(&c.body[1..], loc) {
                Ok(a) => d.annotations.extend(a),
                Err(e) => diags.push(e),
            }
        } else if let Some(d) = target {
            d.doc.push(clean_doc(&c.body));
        }
    }
}

fn find_decl_mut<'d>(decls: &'d mut [Decl], pred: &dyn Fn(&Decl) -> bool) -> Option<&'d mut Decl> {
    for d in decls.iter_mut() {
        if pred(d) {
            return Some(d);
        }
        let children: &mut [Decl] = match &mut d.ty {
            TypeExpr::Struct(ds) => ds,
            TypeExpr::Select(s) => {
                for arm in &mut s.arms {
                    if let Some(found) = find_decl_mut(&mut arm.decls, pred) {
                        return Some(found);
                    }
                }
                continue;
            }
            _ => continue,
        };
        if let Some(found) = find_decl_mut(children, pred) {
            return Some(found);
        }
    }
    None
}

fn clean_doc(body: &str) -> String {
    body.lines()
        .map(|l| l.trim().trim_start_matches('*').trim())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `open, typed_by(extension_type)` -> two annotations.
fn parse_annotations(body: &str, loc: Loc) -> Result<Vec<Annotation>, Diagnostic> {
    let mut out = Vec::new();
    let mut rest = body.trim();
    while !rest.is_empty() {
        let name_end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let name = &rest[..name_end];
        if name.is_empty() {
            return Err(Diagnostic::new(
                loc,
                format!("malformed annotation `{body}`"),
            ));
        }
        rest = rest[name_end..].trim_start();
        let mut arg = None;
        if let Some(r) = rest.strip_prefix('(') {
            let close = r.find(')').ok_or_else(|| {
                Diagnostic::new(loc, format!("unclosed `(` in annotation `{name}`"))
            })?;
            arg = Some(r[..close].trim().to_string());
            rest = r[close + 1..].trim_start();
        }
        out.push(Annotation {
            name: name.to_string(),
            arg,
            loc,
        });
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
    }
    Ok(out)
}
