//! Typed extensions: `typed(Enum.value)` registrations, and the `typed_by(field)` field whose
//! bytes they decode.

use super::*;

impl Lowerer {
    pub(super) fn register_typed(&mut self, idx: usize, a: &Annotation) {
        match a.arg.as_deref().and_then(|s| s.split_once('.')) {
            Some((e, v)) => {
                self.typed
                    .entry(e.to_string())
                    .or_default()
                    .push((v.to_string(), idx, a.loc));
                self.model.defs[idx]
                    .typed_for
                    .push((e.to_string(), v.to_string()));
            }
            None => self.err(
                a.loc,
                "`typed` takes `Enum.value`, e.g. `typed(ExtensionType.server_name)`",
            ),
        }
    }

    pub(super) fn typed_by(
        &mut self,
        d: &Decl,
        a: &Annotation,
        parent_rust: &str,
        siblings: &[Field],
    ) -> Option<Wire> {
        let sel = a.arg.clone().unwrap_or_default();
        let Some(j) = siblings.iter().position(|f| f.name == sel) else {
            self.err(
                a.loc,
                format!("`typed_by({sel})`: no earlier field `{sel}`"),
            );
            return None;
        };
        let Some(e) = self.enum_of(&siblings[j].wire) else {
            self.err(
                a.loc,
                format!("`typed_by({sel})`: `{sel}` is not an enum field"),
            );
            return None;
        };
        let (floor, ceiling) = match &d.dims {
            Some(Dims::Var { floor, ceiling }) if matches!(&d.ty, TypeExpr::Named(t) if t.text == "opaque") => {
                (
                    floor.as_ref().and_then(Expr::eval).unwrap_or(0),
                    ceiling.eval().unwrap_or(0),
                )
            }
            _ => {
                self.err(
                    a.loc,
                    "`typed_by` goes on an `opaque name<floor..ceiling>` field",
                );
                return None;
            }
        };
        let known = self.enum_values(e);
        let enum_name = self.model.defs[e].name.clone();
        let mut arms = Vec::new();
        for (value, def, loc) in self.typed.get(&enum_name).cloned().unwrap_or_default() {
            if arms.iter().any(|a: &SelArm| a.label == value) {
                self.err(
                    loc,
                    format!("`typed({enum_name}.{value})` is registered twice"),
                );
                continue;
            }
            match known.iter().find(|(n, _)| *n == value) {
                Some((_, vr)) => arms.push(SelArm {
                    label: value.clone(),
                    rust: camel(&value),
                    value_rust: vr.clone(),
                    body: ArmBody::Single(Wire::Ref(def)),
                }),
                None => self.err(
                    loc,
                    format!(
                        "`typed({enum_name}.{value})`: `{value}` is not a value of `{enum_name}`"
                    ),
                ),
            }
        }
        let rust = format!("{}{}", parent_rust, camel(&d.name.as_ref()?.text));
        let select = Select {
            rust,
            selector_def: e,
            boolean: false,
            source: SelectorSource::Sibling(j),
            arms,
            unknown_raw: true,
            default: None,
            doc: d.doc.clone(),
            loc: d.loc,
        };
        Some(Wire::Delimited {
            prefix: prefix_width(ceiling),
            floor,
            ceiling,
            inner: Box::new(Wire::Select(select)),
        })
    }
}
