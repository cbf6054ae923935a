//! Structs: their fields in wire order, length fields folded into the field they measure, and
//! sibling selectors tied to the selects they choose.

use super::*;

impl Lowerer {
    pub(super) fn struct_def(&mut self, name: &str, rust: &str, decls: &[Decl]) -> StructDef {
        let mut fields: Vec<Field> = Vec::new();
        let mut pending_length: Option<(u8, String, Loc)> = None;
        for (i, d) in decls.iter().enumerate() {
            let fname = d.name.as_ref().map(|n| n.text.clone());
            // `opaque fragment[TLSPlaintext.length]` / `/*@ length_of(body) */`: the previous field is a length.
            if let Some((width, target, loc)) = pending_length.take() {
                let ok = fname.as_deref() == Some(target.as_str());
                if !ok {
                    self.err(
                        loc,
                        format!(
                            "`length_of({target})` must come right before the field `{target}`"
                        ),
                    );
                }
                let Some(mut f) = self.field(d, name, rust, &fields) else {
                    continue;
                };
                f.wire = Wire::Delimited {
                    prefix: width,
                    floor: 0,
                    ceiling: max_for(width),
                    inner: Box::new(f.wire),
                };
                fields.push(f);
                continue;
            }
            if let Some(a) = ann(d, "length_of") {
                let width = match &d.ty {
                    TypeExpr::Named(t) => uint_width(&t.text),
                    _ => None,
                };
                match (width, a.arg.clone()) {
                    (Some(w), Some(target)) if d.dims.is_none() => {
                        // Not a field of its own: it becomes the prefix of the next one.
                        pending_length = Some((w, target, a.loc));
                    }
                    _ => self.err(a.loc, "`length_of(field)` goes on a uint8/16/24/32 field"),
                }
                if i + 1 == decls.len() {
                    self.err(a.loc, "`length_of` names a field that does not follow");
                }
                continue;
            }
            if let Some(f) = self.field(d, name, rust, &fields) {
                // `opaque fragment[TLSPlaintext.length]` consumed the length field before it.
                if matches!(f.wire, Wire::Vector { prefix: 1.., .. })
                    && matches!(d.dims, Some(Dims::Fixed(_)))
                {
                    fields.pop();
                }
                fields.push(f);
            }
        }
        // Selectors that are sibling fields are written from the select's variant.
        for i in 0..fields.len() {
            let sel = match &fields[i].wire {
                Wire::Select(s) => Some(s.source.clone()),
                Wire::Delimited { inner, .. } => match inner.as_ref() {
                    Wire::Select(s) => Some(s.source.clone()),
                    _ => None,
                },
                _ => None,
            };
            if let Some(SelectorSource::Sibling(j)) = sel {
                if matches!(fields[j].role, Role::Fixed(_)) {
                    self.err(
                        fields[j].loc,
                        format!(
                            "`{}.{}` has a fixed value and cannot select",
                            name, fields[j].name
                        ),
                    );
                    continue;
                }
                if fields[j].role != Role::Stored {
                    self.err(
                        Loc::default(),
                        format!("`{}.{}` selects two selects", name, fields[j].name),
                    );
                }
                fields[j].role = Role::SelectorOf(i);
            }
        }
        // Two fields may not become one Rust field.
        let mut seen: BTreeMap<&str, &Field> = BTreeMap::new();
        let mut clashes = Vec::new();
        for f in fields.iter().filter(|f| !f.name.is_empty()) {
            match seen.get(f.rust.as_str()) {
                Some(first) => clashes.push(
                    Diagnostic::new(
                        self.name_at(f),
                        if first.name == f.name {
                            format!("`{name}` has two fields named `{}`", f.name)
                        } else {
                            format!(
                                "fields `{}` and `{}` of `{name}` both become the Rust field `{}`",
                                f.name, first.name, f.rust
                            )
                        },
                    )
                    .with_len(f.name.len())
                    .with_related_span(
                        "first defined at",
                        self.name_at(first),
                        first.name.len(),
                    ),
                ),
                None => {
                    seen.insert(&f.rust, f);
                }
            }
        }
        self.diags.extend(clashes);
        for (i, f) in fields.iter().enumerate() {
            if matches!(f.wire, Wire::Optional(_)) && i + 1 != fields.len() {
                let loc = decls.get(i).map(|d| d.loc).unwrap_or_default();
                self.err(
                    loc,
                    "the trailing-optional `select (extensions_present)` must be the last field",
                );
            }
        }
        let s = StructDef {
            fields,
            padded: false,
        };
        if s.flattened_select().is_some() {
            let mut s = s;
            for f in &mut s.fields {
                rename_select(&mut f.wire, rust);
            }
            return s;
        }
        s
    }

    pub(super) fn field(
        &mut self,
        d: &Decl,
        parent: &str,
        parent_rust: &str,
        siblings: &[Field],
    ) -> Option<Field> {
        self.check_annotations(d);
        let name = d.name.as_ref().map(|n| n.text.clone());
        let rust_name = name.as_deref().map(snake).unwrap_or_else(|| "body".into());
        let wire = match &d.ty {
            TypeExpr::Select(s) => self.select(s, d, parent, parent_rust, siblings)?,
            _ => {
                if let Some(a) = ann(d, "typed_by") {
                    self.typed_by(d, a, parent_rust, siblings)?
                } else {
                    let child = format!(
                        "{}{}",
                        parent_rust,
                        camel(name.as_deref().unwrap_or("body"))
                    );
                    self.field_wire(d, &child, siblings, parent)?
                }
            }
        };
        let secret = ann(d, "secret").map(|a| a.loc);
        if let Some(loc) = secret.filter(|_| !wire.is_bytes()) {
            self.err(
                loc,
                "`secret` goes on an opaque (byte string) field: its `Debug` shows only its length",
            );
        }
        // The trailing-optional form names its field after the arm's field.
        let (name, rust_name) = match (&wire, &d.ty) {
            (Wire::Optional(_), TypeExpr::Select(s)) => {
                let inner = s
                    .arms
                    .iter()
                    .flat_map(|a| a.decls.iter())
                    .find_map(|d| d.name.as_ref());
                let n = inner
                    .map(|n| n.text.clone())
                    .unwrap_or_else(|| "extensions".into());
                (Some(n.clone()), snake(&n))
            }
            _ => (name, rust_name),
        };
        // Rules may also sit on the field inside a trailing-optional select's `case true:`.
        let mut rules = self.rules(d);
        if let TypeExpr::Select(s) = &d.ty {
            if matches!(wire, Wire::Optional(_)) {
                for inner in s.arms.iter().flat_map(|a| a.decls.iter()) {
                    rules.extend(self.rules(inner));
                }
            }
        }
        let role = match &d.default {
            Some(_) => Role::Fixed(Vec::new()),
            None => Role::Stored,
        };
        Some(Field {
            name: name.unwrap_or_default(),
            rust: rust_name,
            doc: d.doc.clone(),
            wire,
            role,
            secret: secret.is_some(),
            rules,
            default: d.default.clone(),
            loc: d.loc,
            end: d.end,
        })
    }

    /// The prose rules annotated on a field, checked against its shape once every definition is
    /// known (see `fixed`).
    fn rules(&mut self, d: &Decl) -> Vec<Rule> {
        let mut out = Vec::new();
        for a in &d.annotations {
            match (a.name.as_str(), &a.arg) {
                ("unique", None) => out.push(Rule::Unique),
                ("zero", None) => out.push(Rule::Zero),
                ("last", Some(v)) => out.push(Rule::Last(v.clone())),
                ("unique" | "zero", Some(_)) => {
                    self.err(a.loc, format!("`{}` takes no argument", a.name))
                }
                ("last", None) => self.err(
                    a.loc,
                    "`last` names a selector value, e.g. `last(pre_shared_key)`",
                ),
                ("padded", _) => self.err(a.loc, "`padded` goes on a struct definition"),
                ("display", _) => self.err(a.loc, "`display` goes on an enum definition"),
                _ => {}
            }
        }
        out
    }
}

impl Lowerer {
    /// Where a field's name is written (its declaration's last use of the name), or where the
    /// declaration starts if the text is not at hand.
    fn name_at(&self, f: &Field) -> Loc {
        let text = self
            .texts
            .get(f.loc.file)
            .and_then(|t| t.get(f.loc.offset..f.end));
        let at = text.and_then(|t| {
            t.match_indices(f.name.as_str())
                .filter(|(i, _)| {
                    let before = t[..*i].chars().last();
                    let after = t[i + f.name.len()..].chars().next();
                    let word =
                        |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
                    !word(before) && !word(after)
                })
                .last()
                .map(|(i, _)| i)
        });
        Loc {
            file: f.loc.file,
            offset: f.loc.offset + at.unwrap_or(0),
        }
    }
}

pub(super) fn rename_select(w: &mut Wire, rust: &str) {
    match w {
        Wire::Select(s) => s.rust = rust.to_string(),
        Wire::Delimited { inner, .. } => rename_select(inner, rust),
        _ => {}
    }
}
