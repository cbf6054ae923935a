//! Source text -> [`ast`](crate::ast): the pest grammar, then comments attached by position.

use crate::ast::*;
use crate::error::{Diagnostic, Sources};
use pest::iterators::Pair;
use pest::Parser as _;

#[derive(pest_derive::Parser)]
#[grammar = "grammar.pest"]
struct Grammar;

/// Parses one schema file (already registered in `sources` as `file`) into its declarations.
pub(crate) fn parse_file(sources: &Sources, file: usize) -> Result<Vec<Decl>, Diagnostic> {
    let text = sources.text(file);
    let mut pairs = Grammar::parse(Rule::file, text).map_err(|e| {
        let offset = match e.location {
            pest::error::InputLocation::Pos(p) => p,
            pest::error::InputLocation::Span((s, _)) => s,
        };
        let expected = match &e.variant {
            pest::error::ErrorVariant::ParsingError { positives, .. } => describe(positives),
            pest::error::ErrorVariant::CustomError { message } => message.clone(),
        };
        Diagnostic::new(
            Loc { file, offset },
            format!("syntax error: expected {expected}"),
        )
    })?;
    let root = pairs.next().expect("pest returns the file rule");
    let b = Builder { file };
    let mut decls: Vec<Decl> = root
        .into_inner()
        .filter(|p| p.as_rule() == Rule::decl)
        .map(|p| b.decl(p))
        .collect::<Result<_, _>>()?;
    let comments = scan_comments(text);
    attach_comments(&mut decls, &comments, text, file)?;
    Ok(decls)
}

fn describe(rules: &[Rule]) -> String {
    let names: Vec<&str> = rules
        .iter()
        .map(|r| match r {
            Rule::decl => "a declaration",
            Rule::ident | Rule::name | Rule::selector => "a name",
            Rule::expr | Rule::term | Rule::number | Rule::power => "a number",
            Rule::enum_item | Rule::enum_value => "an enum value",
            Rule::dims | Rule::fixed_dim | Rule::var_dim => "`[n]` or `<floor..ceiling>`",
            Rule::arm | Rule::case_labels | Rule::default_label => "`case` or `default`",
            Rule::EOI => "end of file",
            _ => "more input",
        })
        .collect();
    let mut names = names;
    names.dedup();
    if names.is_empty() {
        "something else".into()
    } else {
        names.join(" or ")
    }
}

struct Builder {
    file: usize,
}

impl Builder {
    fn loc(&self, p: &Pair<Rule>) -> Loc {
        Loc {
            file: self.file,
            offset: p.as_span().start(),
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
        let end = p.as_span().end();
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
    decls: &mut [Decl],
    comments: &[Comment],
    text: &str,
    file: usize,
) -> Result<(), Diagnostic> {
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
                return Err(Diagnostic::new(
                    loc,
                    "annotation is not directly followed by a declaration",
                ));
            };
            d.annotations.extend(parse_annotations(&c.body[1..], loc)?);
        } else if let Some(d) = target {
            d.doc.push(clean_doc(&c.body));
        }
    }
    Ok(())
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
