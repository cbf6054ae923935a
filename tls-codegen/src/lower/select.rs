//! `select`: where the selector comes from (a sibling field or decode context), one arm per
//! `case` label, the `default:` arm, and the trailing-optional `select (extensions_present)`.

use super::*;

impl Lowerer {
    pub(super) fn enum_of(&self, w: &Wire) -> Option<usize> {
        match w {
            Wire::Ref(i) => match &self.model.defs[*i].kind {
                DefKind::Enum(_) | DefKind::ContextEnum(_) => Some(*i),
                _ => None,
            },
            _ => None,
        }
    }

    pub(super) fn enum_values(&self, idx: usize) -> Vec<(String, String)> {
        match &self.model.defs[idx].kind {
            DefKind::Enum(e) => e
                .values
                .iter()
                .map(|v| (v.name.clone(), v.rust.clone()))
                .collect(),
            DefKind::ContextEnum(v) => v.iter().map(|n| (n.clone(), camel(n))).collect(),
            _ => Vec::new(),
        }
    }

    pub(super) fn select(
        &mut self,
        s: &ast::Select,
        d: &Decl,
        parent: &str,
        parent_rust: &str,
        siblings: &[Field],
    ) -> Option<Wire> {
        let labels: Vec<&str> = s
            .arms
            .iter()
            .flat_map(|a| a.labels.iter().map(|l| l.text.as_str()))
            .collect();
        let sel = &s.selector.text;
        if let Some((lhs, rhs)) = sel.split_once("==") {
            return self.compare_select(
                s,
                d,
                parent,
                parent_rust,
                siblings,
                lhs.trim(),
                rhs.trim(),
            );
        }
        let local = sel.strip_prefix(&format!("{parent}.")).unwrap_or(sel);
        let sibling = siblings.iter().position(|f| f.name == local).or_else(|| {
            siblings
                .iter()
                .position(|f| matches!(&f.wire, Wire::Ref(i) if self.model.defs[*i].name == *sel))
        });
        let (source, selector_def) = if let Some(j) = sibling {
            match self.enum_of(&siblings[j].wire) {
                Some(e) => (SelectorSource::Sibling(j), e),
                None => {
                    self.err(
                        s.selector.loc,
                        format!("selector `{sel}` is not an enum field"),
                    );
                    return None;
                }
            }
        } else if let Some(e) = self.context_selector(sel) {
            (SelectorSource::Context(sel.clone()), e)
        } else if !labels.is_empty() && labels.iter().all(|l| *l == "true" || *l == "false") {
            return self.optional(s, d, parent, parent_rust, siblings);
        } else {
            self.err(s.selector.loc, format!("select on unknown field `{sel}`"));
            return None;
        };
        let known = self.enum_values(selector_def);
        let enum_name = self.model.defs[selector_def].name.clone();
        let (rust, arm_prefix) = select_names(d, parent_rust);
        let mut arms = Vec::new();
        let mut default = None;
        for arm in &s.arms {
            if let Some(loc) = arm.default {
                default = if default.is_some() {
                    self.err(loc, "a select has at most one `default:` arm");
                    None
                } else {
                    self.default_arm(arm, loc, selector_def, &arm_prefix, parent, siblings)
                };
                continue;
            }
            let body = self.case_body(arm, &arm_prefix, parent, siblings)?;
            for l in &arm.labels {
                match known.iter().find(|(n, _)| *n == l.text) {
                    Some((_, vr)) => {
                        if arms.iter().any(|a: &SelArm| a.label == l.text) {
                            self.err(l.loc, format!("`case {}` appears twice", l.text));
                        } else if let Some(other) =
                            arms.iter().find(|a: &&SelArm| a.rust == camel(&l.text))
                        {
                            let first = s
                                .arms
                                .iter()
                                .flat_map(|a| a.labels.iter())
                                .find(|x| x.text == other.label)
                                .map_or(l.loc, |x| x.loc);
                            self.diags.push(
                                Diagnostic::new(
                                    l.loc,
                                    format!(
                                        "`case {}` and `case {}` both become the Rust variant `{}`",
                                        l.text,
                                        other.label,
                                        camel(&l.text)
                                    ),
                                )
                                .with_len(l.text.len())
                                .with_related_span(
                                    "first defined at",
                                    first,
                                    other.label.len(),
                                ),
                            );
                        }
                        arms.push(SelArm {
                            label: l.text.clone(),
                            rust: camel(&l.text),
                            value_rust: vr.clone(),
                            body: body.clone(),
                        })
                    }
                    None => self.err_span(
                        l.loc,
                        l.text.len(),
                        format!("case label `{}` is not a value of `{}`", l.text, enum_name),
                    ),
                }
            }
        }
        // Every named value needs an arm, unless the arm set is deliberately partial.
        let partial = self.in_partial || has(d, "partial");
        let has_default = s.arms.iter().any(|a| a.default.is_some());
        if !partial && !has_default {
            let labelled: Vec<&str> = s
                .arms
                .iter()
                .flat_map(|a| a.labels.iter().map(|l| l.text.as_str()))
                .collect();
            let missing: Vec<String> = known
                .iter()
                .filter(|(n, _)| !labelled.contains(&n.as_str()))
                .map(|(n, _)| format!("`{n}`"))
                .collect();
            if !missing.is_empty() {
                self.diags.push(
                    Diagnostic::new(
                        s.selector.loc,
                        format!(
                            "select on `{sel}` has no `case` for {} of `{enum_name}`",
                            missing.join(", ")
                        ),
                    )
                    .with_len(sel.len())
                    .with_help(
                        "add the arms, or write /*@ partial */ before the select if values \
                         without an arm are meant to be a decode error",
                    ),
                );
            }
        }
        if default.is_some() {
            // The default arm's variant is `Unknown`: a case may not take that name.
            for arm in &s.arms {
                for l in arm.labels.iter().filter(|l| camel(&l.text) == "Unknown") {
                    self.err(
                        l.loc,
                        format!(
                            "`case {}` clashes with the `default:` arm's `Unknown` variant",
                            l.text
                        ),
                    );
                }
            }
        }
        Some(Wire::Select(Select {
            rust,
            selector_def,
            source,
            boolean: false,
            arms,
            unknown_raw: false,
            default,
            doc: d.doc.clone(),
            loc: d.loc,
        }))
    }

    /// `select (Struct.field == Constant) { case true: ...; case false: ...; }`: a select on a
    /// `bool` context that `Struct` binds once `field` is decoded (and that is `false` on every
    /// decode path not through `Struct`). Both arms are required.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn compare_select(
        &mut self,
        s: &ast::Select,
        d: &Decl,
        parent: &str,
        parent_rust: &str,
        siblings: &[Field],
        lhs: &str,
        rhs: &str,
    ) -> Option<Wire> {
        let key = format!("{lhs} == {rhs}");
        let loc = s.selector.loc;
        let Some((st, field)) = lhs.split_once('.') else {
            self.err(
                loc,
                format!("`{lhs} == {rhs}`: the left side names a field, `Struct.field`"),
            );
            return None;
        };
        let binder = self.lookup(st);
        let has_field = self
            .members
            .get(&qual(&self.cur_ns, st))
            .or_else(|| self.members.get(st))
            .is_some_and(|m| m.iter().any(|(n, _)| n == field));
        let (Some(binder), true) = (binder, has_field) else {
            self.err(
                loc,
                format!("`{lhs}`: no struct `{st}` with a field `{field}`"),
            );
            return None;
        };
        let Some(constant) = self.model.byte_constants.iter().position(|c| c.name == rhs) else {
            self.err(
                loc,
                format!("`{rhs}`: no byte-string constant of that name"),
            );
            return None;
        };
        if !self.model.comparisons.iter().any(|c| c.key == key) {
            self.model.comparisons.push(Comparison {
                key: key.clone(),
                binder,
                field: field.to_string(),
                constant,
            });
        }
        let (rust, arm_prefix) = select_names(d, parent_rust);
        let mut arms = Vec::new();
        for arm in &s.arms {
            if let Some(l) = arm.default {
                self.err(
                    l,
                    "a `==` select has `case true:` and `case false:`, no `default:`",
                );
                continue;
            }
            let body = self.case_body(arm, &arm_prefix, parent, siblings)?;
            for l in &arm.labels {
                if l.text != "true" && l.text != "false" {
                    self.err(
                        l.loc,
                        format!(
                            "`case {}`: a `==` select's cases are `true` and `false`",
                            l.text
                        ),
                    );
                } else if arms.iter().any(|a: &SelArm| a.label == l.text) {
                    self.err(l.loc, format!("`case {}` appears twice", l.text));
                } else {
                    arms.push(SelArm {
                        label: l.text.clone(),
                        rust: camel(&l.text),
                        value_rust: l.text.clone(),
                        body: body.clone(),
                    });
                }
            }
        }
        if arms.len() != 2 {
            self.err(
                loc,
                "a `==` select needs both `case true:` and `case false:`",
            );
            return None;
        }
        Some(Wire::Select(Select {
            rust,
            selector_def: binder,
            boolean: true,
            source: SelectorSource::Context(key),
            arms,
            unknown_raw: false,
            default: None,
            doc: d.doc.clone(),
            loc: d.loc,
        }))
    }

    /// `default: T name;`: one declaration, on a select whose selector enum is `open` (a closed
    /// enum refuses unknown values before the select sees them).
    pub(super) fn default_arm(
        &mut self,
        arm: &ast::Arm,
        loc: Loc,
        selector_def: usize,
        arm_prefix: &str,
        parent: &str,
        siblings: &[Field],
    ) -> Option<Box<DefaultArm>> {
        let def = &self.model.defs[selector_def];
        if !matches!(&def.kind, DefKind::Enum(e) if e.open) {
            let name = def.name.clone();
            self.err(
                loc,
                format!("`default:` needs an `open` selector enum; `{name}` is closed"),
            );
            return None;
        }
        let real: Vec<&Decl> = arm.decls.iter().filter(|d| !is_empty_struct(d)).collect();
        let [d] = real.as_slice() else {
            self.err(loc, "a `default:` arm holds exactly one declaration");
            return None;
        };
        self.check_annotations(d);
        self.refuse_secret(d);
        let wire = self.field_wire(d, &format!("{arm_prefix}Unknown"), siblings, parent)?;
        let label = d
            .name
            .as_ref()
            .map_or("default".to_string(), |n| n.text.clone());
        Some(Box::new(DefaultArm { label, wire }))
    }

    /// `Handshake.msg_type` (a field of a defined struct) or `KeyExchangeAlgorithm` (an enum).
    pub(super) fn context_selector(&self, sel: &str) -> Option<usize> {
        if let Some(i) = self.lookup(sel) {
            return match &self.model.defs[i].kind {
                DefKind::Enum(_) | DefKind::ContextEnum(_) => Some(i),
                _ => None,
            };
        }
        let (s, f) = sel.split_once('.')?;
        // The struct in this namespace, at the root, or else in any namespace: the key is bound
        // by whichever struct of that name encloses the decode (`Handshake.msg_type` in both
        // `tls12::Handshake` and `tls13::Handshake`).
        let suffix = format!("::{s}");
        let members = self
            .members
            .get(&qual(&self.cur_ns, s))
            .or_else(|| self.members.get(s))
            .or_else(|| {
                self.members
                    .iter()
                    .find(|(k, _)| k.ends_with(&suffix))
                    .map(|(_, v)| v)
            })?;
        let (_, ty) = members.iter().find(|(n, _)| n == f)?;
        self.enum_of(&Wire::Ref(self.lookup(ty)?))
    }

    pub(super) fn optional(
        &mut self,
        s: &ast::Select,
        d: &Decl,
        parent: &str,
        parent_rust: &str,
        siblings: &[Field],
    ) -> Option<Wire> {
        let present = s
            .arms
            .iter()
            .find(|a| a.labels.iter().any(|l| l.text == "true"));
        let absent = s
            .arms
            .iter()
            .find(|a| a.labels.iter().any(|l| l.text == "false"));
        if let Some(loc) = s.arms.iter().find_map(|a| a.default) {
            self.err(loc, "a `true`/`false` select has no `default:` arm");
            return None;
        }
        if present.is_some() && absent.is_none() && !has(d, "partial") && !self.in_partial {
            self.err_span(
                s.selector.loc,
                s.selector.text.len(),
                format!(
                    "select on `{}` has no `case false`: write `case false: struct {{}};`",
                    s.selector.text
                ),
            );
            return None;
        }
        let absent_empty = absent.is_none_or(|a| a.decls.iter().all(is_empty_struct));
        match present.map(|a| a.decls.as_slice()) {
            Some([d]) if absent_empty && d.name.is_some() => {
                let child = format!("{}{}", parent_rust, camel(&d.name.as_ref()?.text));
                let w = self.field_wire(d, &child, siblings, parent)?;
                Some(Wire::Optional(Box::new(w)))
            }
            _ => {
                self.err(s.selector.loc, "a `true`/`false` select needs `case false: struct {};` and `case true:` with one named field");
                None
            }
        }
    }

    pub(super) fn arm_body(
        &mut self,
        decls: &[Decl],
        lifted: &str,
        parent: &str,
        siblings: &[Field],
    ) -> Option<ArmBody> {
        let real: Vec<&Decl> = decls.iter().filter(|d| !is_empty_struct(d)).collect();
        match real.as_slice() {
            [] => Some(ArmBody::Empty),
            [d] if d.name.is_none() => {
                self.check_annotations(d);
                self.refuse_secret(d);
                Some(ArmBody::Single(
                    self.field_wire(d, lifted, siblings, parent)?,
                ))
            }
            _ => {
                let owned: Vec<Decl> = real.into_iter().cloned().collect();
                let s = self.struct_def(lifted, lifted, &owned);
                if s.fields.iter().any(|f| f.name.is_empty()) {
                    self.err(
                        decls[0].loc,
                        "a case arm with several members needs a name on each",
                    );
                    return None;
                }
                Some(ArmBody::Fields(s.fields))
            }
        }
    }
}

pub(super) fn is_empty_struct(d: &Decl) -> bool {
    matches!(&d.ty, TypeExpr::Struct(f) if f.is_empty()) && d.name.is_none()
}

impl Lowerer {
    /// The body of a `case` arm; types lifted out of it are named after its first label.
    fn case_body(
        &mut self,
        arm: &ast::Arm,
        arm_prefix: &str,
        parent: &str,
        siblings: &[Field],
    ) -> Option<ArmBody> {
        let first = arm
            .labels
            .first()
            .map(|l| camel(&l.text))
            .unwrap_or_default();
        self.arm_body(
            &arm.decls,
            &format!("{arm_prefix}{first}"),
            parent,
            siblings,
        )
    }
}

/// The Rust name of a select's enum, and the prefix of the types lifted out of its arms: both
/// after the parent and the select's name, if it has one
/// (`ServerKeyExchangeEcDiffieHellmanSignedParams`).
fn select_names(d: &Decl, parent_rust: &str) -> (String, String) {
    let fname = d.name.as_ref().map(|n| n.text.as_str()).unwrap_or("body");
    let rust = format!("{}{}", parent_rust, camel(fname));
    let arm_prefix = match &d.name {
        Some(n) => format!("{}{}", parent_rust, camel(&n.text)),
        None => parent_rust.to_string(),
    };
    (rust, arm_prefix)
}
