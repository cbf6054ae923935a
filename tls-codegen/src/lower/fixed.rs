//! Field defaults as fixed values, and the prose rules (`unique`, `last`, `zero`) on fields:
//! both need every definition's size and values, so they are resolved once all exist.

use super::*;
use crate::ast::Value;

/// The longest fixed value: its expected and found encodings are reported as one number.
const MAX_FIXED: usize = 8;

impl Lowerer {
    /// Fills in the encoding of every field default and checks every field's rules, in the
    /// definitions that generate code (a context-only struct generates nothing, so its defaults
    /// stay documentation).
    pub(super) fn fixed_and_rules(&mut self) {
        for i in 0..self.model.defs.len() {
            let DefKind::Struct(s) = &self.model.defs[i].kind else {
                continue;
            };
            let mut s = s.clone();
            let mut diags = Vec::new();
            for f in &mut s.fields {
                self.fix_field(f, &mut diags);
            }
            self.model.defs[i].kind = DefKind::Struct(s);
            self.diags.extend(diags);
        }
    }

    /// `unique`, `last` and `zero` mark fields; on a definition they would check nothing.
    pub(super) fn refuse_field_rules(&mut self, d: &Decl) {
        for a in &d.annotations {
            if matches!(a.name.as_str(), "unique" | "last" | "zero") {
                self.err(
                    a.loc,
                    format!(
                        "`{}` marks a field (of a struct or a `case` arm), not a definition",
                        a.name
                    ),
                );
            }
        }
    }

    fn fix_field(&self, f: &mut Field, diags: &mut Vec<Diagnostic>) {
        if let (Role::Fixed(bytes), Some(written)) = (&mut f.role, &f.default) {
            match self.fixed_bytes(&f.wire, written) {
                Ok(b) => *bytes = b,
                Err(msg) => diags.push(Diagnostic::new(
                    f.loc,
                    format!("the default of `{}` cannot be generated: {msg}", f.name),
                )),
            }
        }
        let mut rules = std::mem::take(&mut f.rules);
        for r in &mut rules {
            if let Err(msg) = self.check_rule(&f.wire, r) {
                diags.push(Diagnostic::new(f.loc, msg));
            }
        }
        f.rules = rules;
        self.fix_wire(&mut f.wire, diags);
    }

    fn fix_wire(&self, w: &mut Wire, diags: &mut Vec<Diagnostic>) {
        match w {
            Wire::Delimited { inner, .. } | Wire::Optional(inner) => self.fix_wire(inner, diags),
            Wire::Select(s) => {
                for a in &mut s.arms {
                    if let ArmBody::Fields(fs) = &mut a.body {
                        for f in fs {
                            self.fix_field(f, diags);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// The encoding of a default `written` for a field of shape `w`.
    fn fixed_bytes(&self, w: &Wire, written: &[Value]) -> Result<Vec<u8>, String> {
        let [v] = written else {
            return Err("a value joined with `+` is computed, not fixed".into());
        };
        let bytes = match w {
            Wire::UInt(n) => number(v, *n as usize)?,
            Wire::FixedBytes(n) => listed(v, *n as usize)?,
            Wire::Ref(i) => {
                let d = &self.model.defs[*i];
                match &d.kind {
                    DefKind::Enum(e) => {
                        let value = match v {
                            Value::Expr(Expr::Ref(n)) => {
                                match e.values.iter().find(|x| x.name == n.text) {
                                    Some(x) => x.value,
                                    None => {
                                        return Err(format!(
                                            "`{}` is not a value of `{}`",
                                            n.text, d.name
                                        ))
                                    }
                                }
                            }
                            _ => {
                                let n = v.eval().ok_or("not a number or a value name")?;
                                if !e.open && !e.values.iter().any(|x| x.value == n) {
                                    return Err(format!("{n} is not a value of `{}`", d.name));
                                }
                                n
                            }
                        };
                        number(&Value::Expr(Expr::Num(value)), e.width as usize)?
                    }
                    _ => match self.model.wire_size(w) {
                        Some(n) => listed(v, n as usize)?,
                        None => return Err(format!("`{}` has no fixed size", d.name)),
                    },
                }
            }
            Wire::Vector {
                elem,
                floor,
                ceiling,
                prefix,
            } if matches!(**elem, Wire::UInt(1)) => {
                let body = match v {
                    Value::Str(s) => s.as_bytes().to_vec(),
                    Value::List(items) => items
                        .iter()
                        .map(|x| x.eval().filter(|b| *b <= 0xff).map(|b| b as u8))
                        .collect::<Option<Vec<u8>>>()
                        .ok_or("a byte list holds numbers up to 255")?,
                    _ => return Err("a vector's value is a byte list such as `{ 0 }`".into()),
                };
                let len = body.len() as u64;
                if len < *floor || len > *ceiling {
                    return Err(format!("{len} bytes is outside <{floor}..{ceiling}>"));
                }
                let mut out = len.to_be_bytes()[8 - *prefix as usize..].to_vec();
                out.extend(body);
                out
            }
            _ => {
                return Err(
                    "only numbers, enums, fixed-size types and byte vectors can be fixed".into(),
                )
            }
        };
        if bytes.len() > MAX_FIXED {
            return Err(format!("its encoding is longer than {MAX_FIXED} bytes"));
        }
        Ok(bytes)
    }

    /// Checks that a rule fits the field's shape; `last(name)` becomes `last(Variant)`.
    fn check_rule(&self, w: &Wire, r: &mut Rule) -> Result<(), String> {
        let mut w = w;
        while let Wire::Optional(inner) | Wire::Delimited { inner, .. } = w {
            w = inner;
        }
        match r {
            Rule::Zero if matches!(w, Wire::Vector { elem, .. } if matches!(**elem, Wire::UInt(1))) => {
                Ok(())
            }
            Rule::Zero => Err("`zero` goes on an opaque vector field (`opaque x<..>`)".into()),
            Rule::Unique | Rule::Last(_) => {
                let sel = match w {
                    Wire::Vector { elem, .. } => match **elem {
                        Wire::Ref(i) => match &self.model.defs[i].kind {
                            DefKind::Struct(s) => s.flattened_select().map(|s| s.selector_def),
                            _ => None,
                        },
                        _ => None,
                    },
                    _ => None,
                };
                let Some(sel) = sel else {
                    return Err(
                        "`unique` and `last` go on a vector of typed values (such as `Extension extensions<...>`)"
                            .into(),
                    );
                };
                if let Rule::Last(name) = r {
                    let values = self.enum_values(sel);
                    match values.iter().find(|(n, _)| n == name) {
                        Some((_, rust)) => *name = rust.clone(),
                        None => {
                            return Err(format!(
                                "`last({name})`: `{name}` is not a value of `{}`",
                                self.model.defs[sel].name
                            ))
                        }
                    }
                }
                Ok(())
            }
        }
    }
}

/// A number as `width` big-endian bytes.
fn number(v: &Value, width: usize) -> Result<Vec<u8>, String> {
    let n = v.eval().ok_or("not a number")?;
    if width < 8 && n >> (8 * width) != 0 {
        return Err(format!("{n} does not fit {width} bytes"));
    }
    Ok(n.to_be_bytes()[8 - width.min(8)..].to_vec())
}

/// A value of a fixed-size type: its bytes `{ 3, 3 }` (exactly `size` of them), or a number
/// written as its big-endian encoding of that size.
fn listed(v: &Value, size: usize) -> Result<Vec<u8>, String> {
    match v {
        Value::List(items) => {
            let bytes = items
                .iter()
                .map(|x| x.eval().filter(|b| *b <= 0xff).map(|b| b as u8))
                .collect::<Option<Vec<u8>>>()
                .ok_or("a byte list holds numbers up to 255")?;
            if bytes.len() != size {
                return Err(format!(
                    "{} bytes listed for a {size}-byte type",
                    bytes.len()
                ));
            }
            Ok(bytes)
        }
        _ if size > MAX_FIXED => Err(format!("its encoding is longer than {MAX_FIXED} bytes")),
        _ => number(v, size),
    }
}
