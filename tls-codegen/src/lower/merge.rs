//! `extends`: folds every extending declaration into the definition it extends, and sets the
//! constants (`CipherSuite TLS_X = { 0xC0, 0x2B };`) aside, before any name is resolved.

use super::*;
use crate::ast::Value;

impl Lowerer {
    /// Folds `/*@ extends */` declarations into the definition they extend.
    pub(super) fn merge(&mut self, decls: Vec<Decl>) -> Vec<Decl> {
        let (ext, mut base): (Vec<Decl>, Vec<Decl>) =
            decls.into_iter().partition(|d| has(d, "extends"));
        for e in ext {
            let Some(name) = e.name.clone() else {
                self.err(e.loc, "`extends` needs a named definition");
                continue;
            };
            let ns = ns_of(&e);
            self.extended_at
                .entry(qual(&ns, &name.text))
                .or_default()
                .push(e.loc);
            let Some(target) = base
                .iter_mut()
                .find(|b| b.name.as_ref().map(|n| &n.text) == Some(&name.text) && ns_of(b) == ns)
            else {
                self.err(
                    name.loc,
                    format!("`extends` names `{}`, which is not defined", name.text),
                );
                continue;
            };
            // `display` names values the extension may add: it goes with them to the base.
            target.annotations.extend(
                e.annotations
                    .iter()
                    .filter(|a| a.name == "display")
                    .cloned(),
            );
            match (&mut target.ty, e.ty) {
                (TypeExpr::Enum(b), TypeExpr::Enum(x)) => {
                    for v in x.values {
                        let same_name = b.values.iter().find(|o| o.name.text == v.name.text);
                        match same_name {
                            Some(o) if enum_val_eq(&o.value, &v.value) => {}
                            Some(_) => self.err(
                                v.name.loc,
                                format!(
                                    "`{}` already has `{}` with another value",
                                    name.text, v.name.text
                                ),
                            ),
                            None => b.values.push(v),
                        }
                    }
                }
                (TypeExpr::Struct(b), TypeExpr::Struct(x)) => {
                    for xd in x {
                        let TypeExpr::Select(xs) = xd.ty else {
                            self.err(xd.loc, "an extending struct may hold only selects");
                            continue;
                        };
                        let bs = b.iter_mut().find_map(|bd| match &mut bd.ty {
                            TypeExpr::Select(s) if s.selector.text == xs.selector.text => Some(s),
                            _ => None,
                        });
                        match bs {
                            Some(bs) => bs.arms.extend(xs.arms),
                            None => self.err(
                                xs.selector.loc,
                                format!(
                                    "`{}` has no select on `{}` to extend",
                                    name.text, xs.selector.text
                                ),
                            ),
                        }
                    }
                }
                _ => self.err(
                    name.loc,
                    format!(
                        "`extends` on `{}` must match its kind (enum or struct)",
                        name.text
                    ),
                ),
            }
        }
        // Constants are not definitions: collect them once names are known.
        base.retain(|d| {
            if d.default.is_none() {
                return true;
            }
            if let (TypeExpr::Named(t), Some(n)) = (&d.ty, &d.name) {
                // A byte list longer than a number: a byte-string constant.
                if let Some([Value::List(items)]) = d.default.as_deref() {
                    let bytes: Option<Vec<u8>> = items
                        .iter()
                        .map(|v| v.eval().and_then(|b| u8::try_from(b).ok()))
                        .collect();
                    if let Some(bytes) = bytes.filter(|b| b.len() > 8) {
                        self.model.byte_constants.push(ByteConst {
                            name: n.text.clone(),
                            rust: snake(&n.text).to_uppercase(),
                            ty: t.text.clone(),
                            bytes,
                            doc: d.doc.clone(),
                            loc: n.loc,
                        });
                        return false;
                    }
                }
                let value = d
                    .default
                    .as_ref()
                    .and_then(|v| (v.len() == 1).then(|| v[0].eval()).flatten());
                match value {
                    Some(v) => self.constants.entry(t.text.clone()).or_default().push((
                        n.text.clone(),
                        v,
                        n.loc,
                    )),
                    None => self.diags.push(Diagnostic::new(
                        n.loc,
                        format!("constant `{}` needs a numeric value", n.text),
                    )),
                }
            }
            false
        });
        base
    }
}

pub(super) fn enum_val_eq(a: &EnumValueKind, b: &EnumValueKind) -> bool {
    match (a, b) {
        (EnumValueKind::None, EnumValueKind::None) => true,
        (EnumValueKind::Single(x), EnumValueKind::Single(y)) => x.eval() == y.eval(),
        (EnumValueKind::Range(a1, a2), EnumValueKind::Range(b1, b2)) => {
            a1.eval() == b1.eval() && a2.eval() == b2.eval()
        }
        _ => false,
    }
}
