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
                let required = self.def_required(i);
                let optional = context
                    .keys()
                    .filter(|k| !required.contains(*k))
                    .cloned()
                    .collect();
                let d = &mut self.defs[i];
                if borrows != d.borrows || context != d.context || optional != d.optional {
                    d.borrows = borrows;
                    d.context = context;
                    d.optional = optional;
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
                ArmBody::Fields(fs) => fs.iter().any(|f| self.field_borrows(f)),
            })
    }

    /// Whether a field's Rust value borrows; a fixed value is not stored.
    fn field_borrows(&self, f: &Field) -> bool {
        !f.is_fixed() && self.wire_borrows(&f.wire)
    }

    fn def_borrows(&self, i: usize) -> bool {
        match &self.defs[i].kind {
            DefKind::Alias(w) => self.wire_borrows(w),
            DefKind::Struct(s) => s.fields.iter().any(|f| self.field_borrows(f)),
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
                for f in s.fields.iter().filter(|f| !f.is_fixed()) {
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

    /// The context keys a definition's decoder cannot do without (the rest of its `context`
    /// is optional).
    fn def_required(&self, i: usize) -> BTreeSet<String> {
        let d = &self.defs[i];
        match &d.kind {
            DefKind::Alias(w) => self.wire_required(w),
            DefKind::Struct(s) => {
                let mut out: BTreeSet<String> = s
                    .fields
                    .iter()
                    .filter(|f| !f.is_fixed())
                    .flat_map(|f| self.wire_required(&f.wire))
                    .collect();
                out.retain(|k| {
                    !s.fields
                        .iter()
                        .any(|f| *k == format!("{}.{}", d.name, f.name))
                });
                out
            }
            _ => BTreeSet::new(),
        }
    }

    /// The context keys that reading `w` always needs: all it needs but the optional keys of
    /// the selects inside it.
    pub fn wire_required(&self, w: &Wire) -> BTreeSet<String> {
        match w {
            Wire::UInt(_) | Wire::FixedBytes(_) => BTreeSet::new(),
            Wire::CtxBytes(k) => BTreeSet::from([k.clone()]),
            Wire::Ref(i) => {
                let d = &self.defs[*i];
                d.context
                    .keys()
                    .filter(|k| !d.optional.contains(*k))
                    .cloned()
                    .collect()
            }
            Wire::FixedVec { elem, .. } | Wire::Vector { elem, .. } => self.wire_required(elem),
            Wire::Delimited { inner, .. } | Wire::Optional(inner) => self.wire_required(inner),
            Wire::Select(s) => {
                let optional = self.select_optional(s);
                let mut out: BTreeSet<String> = self
                    .select_context(s)
                    .into_keys()
                    .filter(|k| !optional.contains(k))
                    .collect();
                if let SelectorSource::Context(k) = &s.source {
                    out.insert(k.clone());
                }
                out
            }
        }
    }

    /// The context keys of a select's `decode_arm` that only some of its arms need: keys named
    /// by a type (`KeyExchangeAlgorithm`) and lengths (`Hash.length`), never a field such as
    /// `Handshake.msg_type` or `SecurityParameters.record_iv_length`, which whoever decodes the
    /// message always has.
    pub fn select_optional(&self, s: &Select) -> BTreeSet<String> {
        let mut arms: Vec<BTreeSet<String>> = s
            .arms
            .iter()
            .map(|a| self.arm_required(&a.body, &s.rust))
            .collect();
        if let Some(d) = &s.default {
            arms.push(self.wire_required(&d.wire));
        }
        if s.unknown_raw {
            arms.push(BTreeSet::new());
        }
        self.select_context(s)
            .into_iter()
            .filter(|(k, kind)| {
                let optional_kind = match kind {
                    CtxKind::Enum(_) => !k.contains('.'),
                    // A length only some messages have (`Hash.length`, TLS 1.3 Finished).
                    CtxKind::Len => !k.starts_with("SecurityParameters."),
                    CtxKind::Bool => false,
                };
                optional_kind && !arms.iter().all(|a| a.contains(k))
            })
            .map(|(k, _)| k)
            .collect()
    }

    /// The context keys a `case` arm's body always needs (less what its own fields bind).
    pub fn arm_required(&self, body: &ArmBody, select_rust: &str) -> BTreeSet<String> {
        match body {
            ArmBody::Empty => BTreeSet::new(),
            ArmBody::Single(w) => self.wire_required(w),
            ArmBody::Fields(fs) => {
                let mut out: BTreeSet<String> = fs
                    .iter()
                    .filter(|f| !f.is_fixed())
                    .flat_map(|f| self.wire_required(&f.wire))
                    .collect();
                out.retain(|k| !fs.iter().any(|f| *k == format!("{select_rust}.{}", f.name)));
                out
            }
        }
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
            ArmBody::Fields(fs) => fs
                .iter()
                .filter(|f| !f.is_fixed())
                .for_each(|f| self.wire_context(&f.wire, out)),
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
