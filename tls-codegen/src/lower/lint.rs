//! Lints: what compiles but is almost certainly not what the RFC means, reported as warnings
//! that `/*@ allow(lint) */` silences for a declaration and everything inside it. The list, with
//! meanings, is in `schema/NOTATION.md`.

use super::*;

/// Every lint: its name (what `allow` takes) and what it finds.
pub(super) const LINTS: &[(&str, &str)] = &[
    (
        "wide_prefix",
        "a vector ceiling of exactly 2^8, 2^16 or 2^24: a length prefix one byte wider than meant",
    ),
    (
        "implied_length",
        "a `length` / `*_length` integer field that no `length_of` ties to the later field it measures",
    ),
    (
        "implicit_width",
        "an enum without a width marker whose largest value does not fill the width it gets",
    ),
    (
        "inner_length",
        "a `typed` body that is one opaque vector with a length prefix as wide as the typed_by region's own",
    ),
];

impl Lowerer {
    /// Records the region of every declaration with `allow(lint)`, refusing unknown lint names.
    pub(super) fn collect_allows(&mut self, decls: &[Decl]) {
        for d in decls {
            for a in d.annotations.iter().filter(|a| a.name == "allow") {
                let arg = a.arg.clone().unwrap_or_default();
                let names: Vec<&str> = arg
                    .split(',')
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .collect();
                if names.is_empty() {
                    self.err(a.loc, "`allow` takes lint names: `allow(wide_prefix)`");
                }
                for n in names {
                    if LINTS.iter().any(|(l, _)| *l == n) {
                        self.allows
                            .push((n.to_string(), d.loc.file, d.loc.offset, d.end));
                    } else {
                        let known: Vec<&str> = LINTS.iter().map(|(l, _)| *l).collect();
                        // Point at the name inside the annotation, if the text is at hand.
                        let at = self
                            .texts
                            .get(a.loc.file)
                            .and_then(|t| t.get(a.loc.offset..))
                            .and_then(|t| t.find(n))
                            .map_or((a.loc, 3), |i| {
                                let offset = a.loc.offset + i;
                                (
                                    Loc {
                                        file: a.loc.file,
                                        offset,
                                    },
                                    n.len(),
                                )
                            });
                        self.diags.push(
                            Diagnostic::new(at.0, format!("unknown lint `{n}` in `allow`"))
                                .with_len(at.1)
                                .with_help(format!("known lints: {}", known.join(", "))),
                        );
                    }
                }
            }
            match &d.ty {
                TypeExpr::Struct(fields) => self.collect_allows(fields),
                TypeExpr::Select(s) => {
                    for arm in &s.arms {
                        self.collect_allows(&arm.decls);
                    }
                }
                _ => {}
            }
        }
    }

    /// The lint findings not allowed where they are, in source order.
    pub(super) fn warnings(&mut self) -> Vec<Diagnostic> {
        let mut out: Vec<Diagnostic> = std::mem::take(&mut self.lints)
            .into_iter()
            .filter(|w| {
                !self.allows.iter().any(|(lint, file, start, end)| {
                    Some(lint.as_str()) == w.detail.lint
                        && *file == w.loc.file
                        && (*start..*end).contains(&w.loc.offset)
                })
            })
            .collect();
        out.sort_by_key(|w| (w.loc.file, w.loc.offset));
        out.dedup();
        out
    }

    /// Runs every lint over the declarations as written (and the model, for `typed` bodies).
    pub(super) fn lint(&mut self, decls: &[Decl]) {
        let mut tied = Vec::new();
        collect_fixed_refs(decls, &mut tied);
        for d in decls {
            let context = d.name.as_ref().is_some_and(|n| {
                self.model
                    .by_name
                    .get(&n.text)
                    .is_some_and(|&i| matches!(self.model.defs[i].kind, DefKind::ContextStruct))
            });
            if !context {
                self.lint_decl(d, &tied);
            }
        }
        self.lint_inner_length();
    }

    fn lint_decl(&mut self, d: &Decl, tied: &[String]) {
        self.lint_wide_prefix(d);
        self.lint_implicit_width(d);
        match &d.ty {
            TypeExpr::Struct(fields) => {
                self.lint_implied_length(fields, tied);
                for f in fields {
                    self.lint_decl(f, tied);
                }
            }
            TypeExpr::Select(s) => {
                for arm in &s.arms {
                    self.lint_implied_length(&arm.decls, tied);
                    for f in &arm.decls {
                        self.lint_decl(f, tied);
                    }
                }
            }
            _ => {}
        }
    }

    /// `<0..2^16>`: a ceiling that is a power of 256 needs one prefix byte more than one below it.
    fn lint_wide_prefix(&mut self, d: &Decl) {
        let Some(Dims::Var { ceiling, .. }) = &d.dims else {
            return;
        };
        if has(d, "rest") || d.attr.is_some() {
            return;
        }
        let (exp, meant) = match ceiling.eval() {
            Some(0x100) => (8, "2^8-1"),
            Some(0x1_0000) => (16, "2^16-1"),
            Some(0x100_0000) => (24, "2^24-1"),
            _ => return,
        };
        let (loc, len) = self.span_of(d, '<', '>');
        let width = exp / 8 + 1;
        self.lints.push(
            Diagnostic::warning(
                "wide_prefix",
                loc,
                format!(
                    "vector ceiling 2^{exp} gets a {width}-byte length prefix, one byte wider than the RFCs' `<..{meant}>`"
                ),
            )
            .with_len(len)
            .with_help(format!("did you mean `{meant}`?"))
            .with_help(allow_help("wide_prefix")),
        );
    }

    /// `enum { a(1), b(2) } E;`: the RFCs always close an enum with its width marker (`(255)`);
    /// without one the width is the largest value's, which a later value may outgrow. An enum
    /// whose largest value fills its width (`reserved(248..255)`) says its width already.
    fn lint_implicit_width(&mut self, d: &Decl) {
        let TypeExpr::Enum(e) = &d.ty else {
            return;
        };
        if e.width.is_some() || has(d, "extends") {
            return;
        }
        let max = e
            .values
            .iter()
            .filter_map(|v| match &v.value {
                EnumValueKind::None => None,
                EnumValueKind::Single(x) => x.eval(),
                EnumValueKind::Range(_, hi) => hi.eval(),
            })
            .max();
        let Some(max) = max else {
            return; // context-only: never on the wire
        };
        let width = prefix_width(max);
        if max == max_for(width) {
            return;
        }
        let (loc, len) = match &d.name {
            Some(n) => (n.loc, n.text.len()),
            None => (d.loc, 4),
        };
        let what = d
            .name
            .as_ref()
            .map_or("this enum".to_string(), |n| format!("`{}`", n.text));
        let marker = max_for(width);
        self.lints.push(
            Diagnostic::warning(
                "implicit_width",
                loc,
                format!(
                    "{what} has no width marker: it is {width} byte(s) wide because its largest value is {max}"
                ),
            )
            .with_len(len)
            .with_help(format!(
                "write the width the RFC means as the last entry, e.g. `({marker})`"
            ))
            .with_help(allow_help("implicit_width")),
        );
    }

    /// `uint24 length;` followed by more fields, with no `length_of` saying which it measures.
    fn lint_implied_length(&mut self, fields: &[Decl], tied: &[String]) {
        for (i, f) in fields.iter().enumerate() {
            let (Some(name), TypeExpr::Named(t)) = (&f.name, &f.ty) else {
                continue;
            };
            let is_length = name.text == "length" || name.text.ends_with("_length");
            if !is_length
                || uint_width(&t.text).is_none()
                || f.dims.is_some()
                || f.default.is_some()
                || has(f, "length_of")
                || i + 1 == fields.len()
                || tied
                    .iter()
                    .any(|r| *r == name.text || r.ends_with(&format!(".{}", name.text)))
            {
                continue;
            }
            self.lints.push(
                Diagnostic::warning(
                    "implied_length",
                    name.loc,
                    format!(
                        "`{}` looks like the length of a later field, but nothing ties it to one: \
                         it is decoded as a number and the field it measures gets no length check",
                        name.text
                    ),
                )
                .with_len(name.text.len())
                .with_help("add /*@ length_of(field) */ before it, naming the field it measures")
                .with_help(allow_help("implied_length")),
            );
        }
    }

    /// A `typed` body that is one opaque vector whose prefix is as wide as the `typed_by`
    /// region's: the bytes carry two lengths where the RFC most likely means one.
    fn lint_inner_length(&mut self) {
        let mut regions: BTreeMap<usize, u8> = BTreeMap::new();
        for def in &self.model.defs {
            let fields = match &def.kind {
                DefKind::Struct(s) => s.fields.iter().collect::<Vec<_>>(),
                _ => continue,
            };
            for f in fields {
                if let Wire::Delimited { prefix, inner, .. } = &f.wire {
                    if let Wire::Select(s) = inner.as_ref() {
                        if s.unknown_raw {
                            regions.insert(s.selector_def, *prefix);
                        }
                    }
                }
            }
        }
        let mut found = Vec::new();
        for (enum_name, regs) in &self.typed {
            let Some(&e) = self.model.by_name.get(enum_name) else {
                continue;
            };
            let Some(&outer) = regions.get(&e) else {
                continue;
            };
            for (value, def, _) in regs {
                let d = &self.model.defs[*def];
                let vector = match &d.kind {
                    DefKind::Alias(w) => Some((w, d.loc, d.name.len())),
                    DefKind::Struct(s) if s.fields.len() == 1 => {
                        let f = &s.fields[0];
                        Some((&f.wire, f.loc, f.end.saturating_sub(f.loc.offset)))
                    }
                    _ => None,
                };
                if let Some((Wire::Vector { elem, prefix, .. }, loc, len)) = vector {
                    if matches!(**elem, Wire::UInt(1)) && *prefix == outer {
                        let what = (d.name.clone(), enum_name.clone(), value.clone());
                        found.push((loc, len, what, outer));
                    }
                }
            }
        }
        for (loc, len, (name, e, v), width) in found {
            self.lints.push(
                Diagnostic::warning(
                    "inner_length",
                    loc,
                    format!(
                        "`{name}`, the body of `typed({e}.{v})`, is one opaque vector with a \
                         {width}-byte length of its own inside the {width}-byte length of its \
                         region: two lengths for one value"
                    ),
                )
                .with_len(len)
                .with_help(
                    "if the body has no length of its own, write /*@ rest */ before the vector",
                )
                .with_help(allow_help("inner_length")),
            );
        }
    }

    /// The `open`..`close` part of a declaration's text (its vector part), or its start.
    fn span_of(&self, d: &Decl, open: char, close: char) -> (Loc, usize) {
        let text = self
            .texts
            .get(d.loc.file)
            .and_then(|t| t.get(d.loc.offset..d.end));
        if let Some(t) = text {
            if let (Some(s), Some(e)) = (t.rfind(open), t.rfind(close)) {
                if s < e {
                    let loc = Loc {
                        file: d.loc.file,
                        offset: d.loc.offset + s,
                    };
                    return (loc, e - s + 1);
                }
            }
        }
        (d.loc, 0)
    }
}

fn allow_help(lint: &str) -> String {
    format!("if it is meant, write /*@ allow({lint}) */ before the declaration")
}

/// Every name used as a fixed vector length (`opaque fragment[TLSPlaintext.length]`): a length
/// field so named is tied to its field already.
fn collect_fixed_refs(decls: &[Decl], out: &mut Vec<String>) {
    for d in decls {
        if let Some(Dims::Fixed(Expr::Ref(n))) = &d.dims {
            out.push(n.text.clone());
        }
        match &d.ty {
            TypeExpr::Struct(fields) => collect_fixed_refs(fields, out),
            TypeExpr::Select(s) => {
                for arm in &s.arms {
                    collect_fixed_refs(&arm.decls, out);
                }
            }
            _ => {}
        }
    }
}
