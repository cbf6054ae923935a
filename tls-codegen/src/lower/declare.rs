//! Definitions by name: an index for each (duplicates refused), annotations checked, and each
//! definition's kind filled in once every name is known.

use super::*;

impl Lowerer {
    pub(super) fn check_annotations(&mut self, d: &Decl) {
        for a in &d.annotations {
            if !ANNOTATIONS.contains(&a.name.as_str()) {
                let known = ANNOTATIONS.join(", ");
                self.err(
                    a.loc,
                    format!("unknown annotation `{}` (known: {known})", a.name),
                );
            }
        }
    }

    /// `secret` marks a field; anywhere else it would protect nothing.
    pub(super) fn refuse_secret(&mut self, d: &Decl) {
        if let Some(a) = ann(d, "secret") {
            self.err(
                a.loc,
                "`secret` marks a named field (of a struct or a `case` arm), not this declaration",
            );
        }
    }

    /// Assigns an index to every named definition and rejects duplicates.
    pub(super) fn declare(&mut self, decls: &[Decl]) {
        for d in decls {
            self.check_annotations(d);
            self.refuse_secret(d);
            self.refuse_field_rules(d);
            let Some(name) = &d.name else {
                self.err(d.loc, "a top-level definition needs a name");
                self.structural = true;
                continue;
            };
            self.cur_ns = ns_of(d);
            if let Some(a) = ann(d, "in") {
                let ok = a.arg.as_deref().is_some_and(|ns| {
                    ns.starts_with(|c: char| c.is_ascii_lowercase())
                        && ns
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                });
                if !ok {
                    self.err(
                        a.loc,
                        "`in(ns)` takes a namespace name in lower case, e.g. `in(tls13)`",
                    );
                }
            }
            let key = qual(&self.cur_ns, &name.text);
            if let Some(&prev) = self.model.by_name.get(&key) {
                let first = self.model.defs[prev].loc;
                self.diags.push(
                    Diagnostic::new(name.loc, format!("duplicate definition of `{}`", name.text))
                        .with_len(name.text.len())
                        .with_related_span("first defined at", first, name.text.len()),
                );
                self.structural = true;
                continue;
            }
            let idx = self.push_def(
                &name.text,
                camel(&name.text),
                d.doc.clone(),
                (name.loc, d.loc),
                DefKind::ContextEnum(Vec::new()),
            );
            if let Some(at) = self.extended_at.remove(&key) {
                self.model.defs[idx].extended_at = at;
            }
            if let TypeExpr::Struct(fields) = &d.ty {
                let members = fields.iter().filter_map(|f| match (&f.name, &f.ty) {
                    (Some(n), TypeExpr::Named(t)) => Some((n.text.clone(), t.text.clone())),
                    _ => None,
                });
                self.members.insert(key, members.collect());
            }
        }
        self.cur_ns = None;
        for (ty, consts) in &self.constants {
            if !self.model.by_name.contains_key(ty) {
                let loc = consts[0].2;
                self.diags.push(Diagnostic::new(
                    loc,
                    format!("constant of unknown type `{ty}`"),
                ));
            }
        }
    }

    pub(super) fn push_def(
        &mut self,
        name: &str,
        rust: String,
        doc: Vec<String>,
        (loc, start): (Loc, Loc),
        kind: DefKind,
    ) -> usize {
        self.check_rust_type(name, &rust, loc);
        let idx = self.model.defs.len();
        self.model.defs.push(Def {
            name: name.to_string(),
            rust,
            doc,
            loc,
            start,
            extended_at: Vec::new(),
            kind,
            borrows: false,
            size: None,
            context: BTreeMap::new(),
            optional: Default::default(),
            typed_for: Vec::new(),
            ns: self.cur_ns.clone(),
        });
        self.model.by_name.insert(qual(&self.cur_ns, name), idx);
        idx
    }

    /// Two definitions may not become one Rust type, nor a Rust keyword.
    fn check_rust_type(&mut self, name: &str, rust: &str, loc: Loc) {
        if rust == "Self" {
            self.err_span(
                loc,
                name.len(),
                format!("`{name}` becomes the Rust type `Self`, a keyword: rename it"),
            );
        }
        if let Some((first, at)) = self.rust_types.get(rust).cloned() {
            if first != name {
                self.diags.push(
                    Diagnostic::new(
                        loc,
                        format!("`{name}` and `{first}` both become the Rust type `{rust}`"),
                    )
                    .with_len(name.len())
                    .with_related_span("first defined at", at, first.len()),
                );
            }
        } else {
            self.rust_types
                .insert(rust.to_string(), (name.to_string(), loc));
        }
    }

    pub(super) fn define(&mut self, idx: usize, d: &Decl) {
        self.in_partial = has(d, "partial");
        let name = self.model.defs[idx].name.clone();
        let rust = self.model.defs[idx].rust.clone();
        self.cur_ns = self.model.defs[idx].ns.clone();
        let kind = match &d.ty {
            TypeExpr::Enum(e) => self.enum_def(e, has(d, "open"), &name),
            TypeExpr::Struct(fields) if has(d, "padded") => match self.padded(d, fields) {
                Some(s) => DefKind::Struct(s),
                None => return,
            },
            TypeExpr::Struct(fields) => DefKind::Struct(self.struct_def(&name, &rust, fields)),
            TypeExpr::Select(_) => {
                // A top-level `select (...) { ... } Name;` (RFC 8422 style) is a struct of one select.
                let mut inner = d.clone();
                inner.name = None;
                inner.annotations.retain(|a| a.name == "partial");
                DefKind::Struct(self.struct_def(&name, &rust, std::slice::from_ref(&inner)))
            }
            TypeExpr::Named(t) if has(d, "open") => self.open_alias(d, t, &name),
            TypeExpr::Named(_) => match self.field_wire(d, &rust, &[], &name) {
                Some(w) => DefKind::Alias(w),
                None => {
                    self.cur_ns = None;
                    return;
                }
            },
        };
        let mut kind = kind;
        self.display_names(d, &name, &mut kind);
        self.model.defs[idx].kind = kind;
        self.in_partial = false;
        self.cur_ns = None;
    }

    /// `display(value = text, ...)`: what `Display` prints for those values of an enum, where
    /// the name users know is not the RFC's (IANA's `supported_groups` for RFC 8422's
    /// `elliptic_curves`). Every other value prints its schema name.
    fn display_names(&mut self, d: &Decl, name: &str, kind: &mut DefKind) {
        let anns: Vec<Annotation> = d
            .annotations
            .iter()
            .filter(|a| a.name == "display")
            .cloned()
            .collect();
        if anns.is_empty() {
            return;
        }
        let DefKind::Enum(e) = kind else {
            for a in &anns {
                self.err(
                    a.loc,
                    format!("`display` names values of an enum on the wire; `{name}` is not one"),
                );
            }
            return;
        };
        let mut given: BTreeMap<String, Loc> = BTreeMap::new();
        for a in &anns {
            let pairs: Vec<Option<(&str, &str)>> = match a.arg.as_deref() {
                Some(arg) if !arg.is_empty() => arg
                    .split(',')
                    .map(|p| {
                        let (v, t) = p.split_once('=')?;
                        let (v, t) = (v.trim(), t.trim());
                        let word = |s: &str| {
                            !s.is_empty()
                                && s.chars()
                                    .all(|c| c.is_ascii_graphic() && c != '=' && c != '"')
                        };
                        (word(v) && word(t)).then_some((v, t))
                    })
                    .collect(),
                _ => vec![None],
            };
            for pair in pairs {
                let Some((value, text)) = pair else {
                    self.err(
                        a.loc,
                        "`display` takes `value = name` pairs, e.g. `display(elliptic_curves = supported_groups)`",
                    );
                    continue;
                };
                if given.insert(value.to_string(), a.loc).is_some() {
                    self.err(
                        a.loc,
                        format!("`display` gives `{value}` of `{name}` two names"),
                    );
                    continue;
                }
                match e.values.iter_mut().find(|v| v.name == value) {
                    Some(v) => v.display = text.to_string(),
                    None => self.err(
                        a.loc,
                        format!("`display` names `{value}`, which is not a value of `{name}`"),
                    ),
                }
            }
        }
    }
}
