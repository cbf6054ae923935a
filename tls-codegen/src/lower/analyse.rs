//! Checks that need every definition to exist: element-size multiples, connection-state structs,
//! `typed` registrations of unknown enums; and the model's sizes, borrows and context.

use super::*;

impl Lowerer {
    /// Element-size checks, connection-state structs and the model's analysis, once every
    /// definition exists.
    pub(super) fn analyse(&mut self) {
        for (loc, elem, counts) in std::mem::take(&mut self.multiples) {
            if let Some(s) = self.model.wire_size(&elem) {
                for (n, what) in counts {
                    if s > 1 && n % s != 0 {
                        self.err(
                            loc,
                            format!("vector {what} {n} is not a multiple of the element size {s}"),
                        );
                    }
                }
            }
        }
        // A struct with a context-only member (RFC 5246's SecurityParameters) is connection state,
        // not a message: it names selector types and lengths but is never generated.
        loop {
            let mut changed = false;
            for i in 0..self.model.defs.len() {
                let DefKind::Struct(s) = &self.model.defs[i].kind else {
                    continue;
                };
                let context_only = s.fields.iter().any(|f| match &f.wire {
                    Wire::Ref(j) => matches!(
                        self.model.defs[*j].kind,
                        DefKind::ContextEnum(_) | DefKind::ContextStruct
                    ),
                    _ => false,
                });
                if context_only {
                    self.model.defs[i].kind = DefKind::ContextStruct;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        // Field defaults and rules need every size and value.
        self.fixed_and_rules();
        // Sizes; borrowing and context needs, which flow from children to parents.
        self.model.analyse();
        // A byte-string constant is a value of a fixed-size type of exactly its length.
        for c in self.model.byte_constants.clone() {
            match self.model.by_name.get(&c.ty) {
                None => self.err(c.loc, format!("constant of unknown type `{}`", c.ty)),
                Some(&i) if self.model.defs[i].size != Some(c.bytes.len() as u64) => self.err(
                    c.loc,
                    format!(
                        "constant `{}` has {} bytes; `{}` is not a type of that fixed size",
                        c.name,
                        c.bytes.len(),
                        c.ty
                    ),
                ),
                Some(_) => {}
            }
        }
        // Typed registrations must point at something that decodes without its own length prefix issues.
        for (e, regs) in &self.typed {
            if !self.model.by_name.contains_key(e) {
                let loc = regs[0].2;
                self.diags.push(Diagnostic::new(
                    loc,
                    format!("`typed({e}.…)`: unknown enum `{e}`"),
                ));
            }
        }
    }
}
