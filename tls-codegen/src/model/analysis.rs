//! What lowering and code generation both ask of a shape: its encoded size, whether its Rust
//! type borrows from the input, and which decode context it needs. The per-definition answers
//! (`Def::size`, `Def::borrows`, `Def::context`) are computed once by [`Model::analyse`]; the
//! per-shape questions read them.

use super::*;
use std::collections::BTreeSet;

impl Model {
    /// Fills in every definition's `size`, then `borrows` and `context` (which flow from children
    /// to parents, so they are iterated to a fixed point).
    pub fn analyse(&mut self) {
        for i in 0..self.defs.len() {
            self.defs[i].size = self.def_size(i, &mut BTreeSet::new());
        }
        // A comparison's context reaches only the definitions its binder contains.
        let reach: BTreeMap<String, BTreeSet<usize>> = self
            .comparisons
            .iter()
            .map(|c| (c.key.clone(), self.reachable(c.binder)))
            .collect();
        loop {
            let mut changed = false;
            for i in 0..self.defs.len() {
                let borrows = self.def_borrows(i);
                let context = self.def_context(i, &reach);
                let d = &mut self.defs[i];
                if borrows != d.borrows || context != d.context {
                    d.borrows = borrows;
                    d.context = context;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
    }

    /// Encoded size in bytes of a wire shape, if every value has the same one.
    pub fn wire_size(&self, w: &Wire) -> Option<u64> {
        self.wire_size_in(w, &mut BTreeSet::new())
    }

    fn wire_size_in(&self, w: &Wire, visiting: &mut BTreeSet<usize>) -> Option<u64> {
        match w {
            Wire::UInt(n) => Some(*n as u64),
            Wire::FixedBytes(n) => Some(*n),
            Wire::FixedVec { bytes, .. } => Some(*bytes),
            Wire::Ref(i) => self.def_size(*i, visiting),
            _ => None,
        }
    }

    fn def_size(&self, i: usize, visiting: &mut BTreeSet<usize>) -> Option<u64> {
        if !visiting.insert(i) {
            return None;
        }
        let size = match &self.defs[i].kind {
            DefKind::Enum(e) => Some(e.width as u64),
            DefKind::ContextEnum(_) | DefKind::ContextStruct => None,
            DefKind::Alias(w) => self.wire_size_in(w, visiting),
            DefKind::Struct(s) => s.fields.iter().try_fold(0u64, |acc, f| {
                Some(acc + self.wire_size_in(&f.wire, visiting)?)
            }),
        };
        visiting.remove(&i);
        size
    }

    /// Whether the Rust type holding `w` borrows from the decoded bytes (needs `'a`).
    pub fn wire_borrows(&self, w: &Wire) -> bool {
        match w {
            Wire::UInt(_) | Wire::FixedBytes(_) => false,
            Wire::CtxBytes(_) => true,
            Wire::Ref(i) => self.defs[*i].borrows,
            Wire::FixedVec { elem, .. } => self.wire_borrows(elem),
            Wire::Vector { elem, .. } => matches!(**elem, Wire::UInt(1)) || self.wire_borrows(elem),
            Wire::Delimited { inner, .. } | Wire::Optional(inner) => self.wire_borrows(inner),
            Wire::Select(s) => self.select_borrows(s),
        }
    }

    /// Whether a select's enum borrows: raw unknown bodies do, and so does any arm that does.
    pub fn select_borrows(&self, s: &Select) -> bool {
        s.unknown_raw
            || s.default
                .as_ref()
                .is_some_and(|d| self.wire_borrows(&d.wire))
            || s.arms.iter().any(|a| match &a.body {
                ArmBody::Empty => false,
                ArmBody::Single(w) => self.wire_borrows(w),
                ArmBody::Fields(fs) => fs.iter().any(|f| self.wire_borrows(&f.wire)),
            })
    }

    fn def_borrows(&self, i: usize) -> bool {
        match &self.defs[i].kind {
            DefKind::Alias(w) => self.wire_borrows(w),
            DefKind::Struct(s) => s.fields.iter().any(|f| self.wire_borrows(&f.wire)),
            _ => false,
        }
    }

    /// The definitions decoding `from` may decode (itself included).
    pub fn reachable(&self, from: usize) -> BTreeSet<usize> {
        fn wire(m: &Model, w: &Wire, seen: &mut BTreeSet<usize>) {
            match w {
                Wire::Ref(i) => def(m, *i, seen),
                Wire::FixedVec { elem, .. } | Wire::Vector { elem, .. } => wire(m, elem, seen),
                Wire::Delimited { inner, .. } | Wire::Optional(inner) => wire(m, inner, seen),
                Wire::Select(s) => {
                    if let Some(d) = &s.default {
                        wire(m, &d.wire, seen);
                    }
                    for a in &s.arms {
                        match &a.body {
                            ArmBody::Empty => {}
                            ArmBody::Single(w) => wire(m, w, seen),
                            ArmBody::Fields(fs) => fs.iter().for_each(|f| wire(m, &f.wire, seen)),
                        }
                    }
                }
                _ => {}
            }
        }
        fn def(m: &Model, i: usize, seen: &mut BTreeSet<usize>) {
            if !seen.insert(i) {
                return;
            }
            match &m.defs[i].kind {
                DefKind::Alias(w) => wire(m, w, seen),
                DefKind::Struct(s) => s.fields.iter().for_each(|f| wire(m, &f.wire, seen)),
                _ => {}
            }
        }
        let mut seen = BTreeSet::new();
        def(self, from, &mut seen);
        seen
    }

    fn def_context(
        &self,
        i: usize,
        reach: &BTreeMap<String, BTreeSet<usize>>,
    ) -> BTreeMap<String, CtxKind> {
        let d = &self.defs[i];
        let mut out = BTreeMap::new();
        match &d.kind {
            DefKind::Alias(w) => self.wire_context(w, &mut out),
            DefKind::Struct(s) => {
                for f in &s.fields {
                    self.wire_context(&f.wire, &mut out);
                }
                // Keys this struct binds itself: `Handshake.msg_type` inside Handshake.
                out.retain(|k, _| {
                    !s.fields
                        .iter()
                        .any(|f| *k == format!("{}.{}", d.name, f.name))
                });
                // Comparisons it binds itself: `ServerHello.random == HelloRetryRequest`.
                out.retain(|k, _| {
                    !self.comparisons.iter().any(|c| {
                        c.key == *k && c.binder == i && s.fields.iter().any(|f| f.name == c.field)
                    })
                });
            }
            _ => {}
        }
        // A comparison is `false` wherever its binder is not on the way in.
        out.retain(|k, kind| {
            *kind != CtxKind::Bool || reach.get(k).is_some_and(|r| r.contains(&i))
        });
        out
    }

    /// Adds to `out` the decode context that reading `w` needs.
    pub fn wire_context(&self, w: &Wire, out: &mut BTreeMap<String, CtxKind>) {
        match w {
            Wire::UInt(_) | Wire::FixedBytes(_) => {}
            Wire::CtxBytes(k) => {
                out.insert(k.clone(), CtxKind::Len);
            }
            Wire::Ref(i) => out.extend(
                self.defs[*i]
                    .context
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone())),
            ),
            Wire::FixedVec { elem, .. } | Wire::Vector { elem, .. } => self.wire_context(elem, out),
            Wire::Delimited { inner, .. } | Wire::Optional(inner) => self.wire_context(inner, out),
            Wire::Select(s) => {
                if let SelectorSource::Context(k) = &s.source {
                    let kind = if s.boolean {
                        CtxKind::Bool
                    } else {
                        CtxKind::Enum(s.selector_def)
                    };
                    out.insert(k.clone(), kind);
                }
                if let Some(d) = &s.default {
                    self.wire_context(&d.wire, out);
                }
                for a in &s.arms {
                    self.arm_context(&a.body, out);
                }
            }
        }
    }

    /// Adds to `out` the decode context that reading a `case` arm's body needs.
    pub fn arm_context(&self, body: &ArmBody, out: &mut BTreeMap<String, CtxKind>) {
        match body {
            ArmBody::Empty => {}
            ArmBody::Single(w) => self.wire_context(w, out),
            ArmBody::Fields(fs) => fs.iter().for_each(|f| self.wire_context(&f.wire, out)),
        }
    }

    /// The context a select's `decode_arm` takes besides its selector: what its arms need (a
    /// selector taken from context arrives as the selector itself).
    pub fn select_context(&self, s: &Select) -> BTreeMap<String, CtxKind> {
        let mut out = BTreeMap::new();
        if let Some(d) = &s.default {
            self.wire_context(&d.wire, &mut out);
        }
        for a in &s.arms {
            self.arm_context(&a.body, &mut out);
        }
        if let SelectorSource::Context(k) = &s.source {
            out.remove(k);
        }
        out
    }
}
