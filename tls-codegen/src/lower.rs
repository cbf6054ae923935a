//! [`ast`](crate::ast) -> [`model`](crate::model): merges `extends`, resolves names, ties length and
//! selector fields to what they describe, and rejects what cannot be generated, with a diagnostic
//! pointing at the offending text.

use crate::ast::{self, Annotation, Decl, Dims, EnumValueKind, Expr, Loc, TypeExpr};
use crate::error::Diagnostic;
use crate::model::*;
use std::collections::{BTreeMap, BTreeSet};

const ANNOTATIONS: &[&str] = &["open", "extends", "typed_by", "typed", "length_of", "rest"];

/// Lowers every file's declarations (in file order) into one checked model.
pub fn lower(files: Vec<Vec<Decl>>) -> Result<Model, Vec<Diagnostic>> {
    let mut l = Lowerer::default();
    let decls = l.merge(files.into_iter().flatten().collect());
    if l.diags.is_empty() {
        l.declare(&decls);
    }
    if l.diags.is_empty() {
        // Enums first, so selects and `typed` registrations may name values defined later.
        let first = |d: &Decl| matches!(d.ty, TypeExpr::Enum(_)) || has(d, "open");
        for (i, d) in decls.iter().enumerate() {
            if let Some(a) = ann(d, "typed") {
                l.register_typed(i, a);
            }
            if first(d) {
                l.define(i, d);
            }
        }
        for (i, d) in decls.iter().enumerate() {
            if !first(d) {
                l.define(i, d);
            }
        }
    }
    if l.diags.is_empty() {
        l.analyse();
    }
    if l.diags.is_empty() {
        Ok(l.model)
    } else {
        Err(l.diags)
    }
}

/// A vector whose byte counts must be multiples of its element's size: (where, element, counts).
type MultipleCheck = (Loc, Wire, Vec<(u64, &'static str)>);

#[derive(Default)]
struct Lowerer {
    model: Model,
    diags: Vec<Diagnostic>,
    /// Constants by type name: (name, value, loc).
    constants: BTreeMap<String, Vec<(String, u64, Loc)>>,
    /// Element-size checks that need sizes computed first: (loc, element, byte counts, what).
    multiples: Vec<MultipleCheck>,
    /// `typed(Enum.value)` registrations: enum name -> (value, def index, loc).
    typed: BTreeMap<String, Vec<(String, usize, Loc)>>,
    /// Member types of top-level structs as written, for `Struct.field` selectors.
    members: BTreeMap<String, Vec<(String, String)>>,
}

fn has(d: &Decl, name: &str) -> bool {
    d.annotations.iter().any(|a| a.name == name)
}

fn ann<'d>(d: &'d Decl, name: &str) -> Option<&'d Annotation> {
    d.annotations.iter().find(|a| a.name == name)
}

impl Lowerer {
    fn err(&mut self, loc: Loc, msg: impl Into<String>) {
        self.diags.push(Diagnostic::new(loc, msg));
    }

    /// Folds `/*@ extends */` declarations into the definition they extend.
    fn merge(&mut self, decls: Vec<Decl>) -> Vec<Decl> {
        let (ext, mut base): (Vec<Decl>, Vec<Decl>) =
            decls.into_iter().partition(|d| has(d, "extends"));
        for e in ext {
            let Some(name) = e.name.clone() else {
                self.err(e.loc, "`extends` needs a named definition");
                continue;
            };
            let Some(target) = base
                .iter_mut()
                .find(|b| b.name.as_ref().map(|n| &n.text) == Some(&name.text))
            else {
                self.err(
                    name.loc,
                    format!("`extends` names `{}`, which is not defined", name.text),
                );
                continue;
            };
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

    fn check_annotations(&mut self, d: &Decl) {
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

    /// Assigns an index to every named definition and rejects duplicates.
    fn declare(&mut self, decls: &[Decl]) {
        for d in decls {
            self.check_annotations(d);
            let Some(name) = &d.name else {
                self.err(d.loc, "a top-level definition needs a name");
                continue;
            };
            if let Some(&prev) = self.model.by_name.get(&name.text) {
                let first = self.model.defs[prev].loc;
                self.diags.push(
                    Diagnostic::new(name.loc, format!("duplicate definition of `{}`", name.text))
                        .with_related("first defined at", first),
                );
                continue;
            }
            self.push_def(
                &name.text,
                camel(&name.text),
                d.doc.clone(),
                name.loc,
                DefKind::ContextEnum(Vec::new()),
            );
            if let TypeExpr::Struct(fields) = &d.ty {
                let members = fields.iter().filter_map(|f| match (&f.name, &f.ty) {
                    (Some(n), TypeExpr::Named(t)) => Some((n.text.clone(), t.text.clone())),
                    _ => None,
                });
                self.members.insert(name.text.clone(), members.collect());
            }
        }
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

    fn push_def(
        &mut self,
        name: &str,
        rust: String,
        doc: Vec<String>,
        loc: Loc,
        kind: DefKind,
    ) -> usize {
        let idx = self.model.defs.len();
        self.model.defs.push(Def {
            name: name.to_string(),
            rust,
            doc,
            loc,
            kind,
            borrows: false,
            size: None,
            context: BTreeMap::new(),
            typed_for: Vec::new(),
        });
        self.model.by_name.insert(name.to_string(), idx);
        idx
    }

    fn define(&mut self, idx: usize, d: &Decl) {
        let name = self.model.defs[idx].name.clone();
        let rust = self.model.defs[idx].rust.clone();
        let kind = match &d.ty {
            TypeExpr::Enum(e) => self.enum_def(e, has(d, "open"), &name),
            TypeExpr::Struct(fields) => DefKind::Struct(self.struct_def(&name, &rust, fields)),
            TypeExpr::Select(_) => {
                // A top-level `select (...) { ... } Name;` (RFC 8422 style) is a struct of one select.
                let mut inner = d.clone();
                inner.name = None;
                inner.annotations.clear();
                DefKind::Struct(self.struct_def(&name, &rust, std::slice::from_ref(&inner)))
            }
            TypeExpr::Named(t) if has(d, "open") => self.open_alias(d, t, &name),
            TypeExpr::Named(_) => match self.field_wire(d, &rust, &[], &name) {
                Some(w) => DefKind::Alias(w),
                None => return,
            },
        };
        self.model.defs[idx].kind = kind;
    }

    fn register_typed(&mut self, idx: usize, a: &Annotation) {
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

    fn enum_def(&mut self, e: &ast::EnumBody, open: bool, name: &str) -> DefKind {
        if e.values
            .iter()
            .all(|v| matches!(v.value, EnumValueKind::None))
            && e.width.is_none()
        {
            return DefKind::ContextEnum(e.values.iter().map(|v| v.name.text.clone()).collect());
        }
        let mut values = Vec::new();
        let mut ranges = Vec::new();
        let mut max = 0u64;
        for v in &e.values {
            match &v.value {
                EnumValueKind::None => self.err(
                    v.name.loc,
                    format!("`{}` needs a value: `{}` has values", v.name.text, name),
                ),
                EnumValueKind::Single(val) => match val.eval() {
                    Some(n) => {
                        max = max.max(n);
                        values.push(EnumVal {
                            name: v.name.text.clone(),
                            rust: camel(&v.name.text),
                            value: n,
                        });
                    }
                    None => self.err(
                        v.name.loc,
                        format!("value of `{}` is not a number", v.name.text),
                    ),
                },
                EnumValueKind::Range(lo, hi) => match (lo.eval(), hi.eval()) {
                    (Some(a), Some(b)) if a <= b => {
                        max = max.max(b);
                        ranges.push((v.name.text.clone(), a, b));
                    }
                    _ => self.err(
                        v.name.loc,
                        format!("range of `{}` must be two ascending numbers", v.name.text),
                    ),
                },
            }
        }
        let (width, limit) = match &e.width {
            Some(w) => match w.eval() {
                Some(m) if m > 0 => (prefix_width(m), m),
                _ => {
                    self.err(
                        e.values.first().map(|v| v.name.loc).unwrap_or_default(),
                        "enum width marker must be a number",
                    );
                    (1, 0xff)
                }
            },
            None => {
                let w = prefix_width(max);
                (w, max_for(w))
            }
        };
        let mut seen_names = BTreeMap::new();
        let mut seen_values = BTreeMap::new();
        for (v, src) in values.iter().zip(
            e.values
                .iter()
                .filter(|v| matches!(v.value, EnumValueKind::Single(_))),
        ) {
            if v.value > limit {
                self.err(
                    src.name.loc,
                    format!(
                        "value {} of `{}` does not fit the width of `{}` (at most {})",
                        v.value, v.name, name, limit
                    ),
                );
            }
            if let Some(prev) = seen_names.insert(v.rust.clone(), v.name.clone()) {
                self.err(
                    src.name.loc,
                    format!("`{}` appears twice in `{}` (as `{}`)", v.name, name, prev),
                );
            }
            if let Some(prev) = seen_values.insert(v.value, v.name.clone()) {
                self.err(
                    src.name.loc,
                    format!(
                        "`{}` and `{}` in `{}` share the value {}",
                        prev, v.name, name, v.value
                    ),
                );
            }
        }
        for (n, lo, hi) in &ranges {
            if *hi > limit {
                let loc = e
                    .values
                    .iter()
                    .find(|v| &v.name.text == n)
                    .map(|v| v.name.loc)
                    .unwrap_or_default();
                self.err(loc, format!("range {lo}..{hi} of `{n}` does not fit the width of `{name}` (at most {limit})"));
            }
        }
        DefKind::Enum(EnumDef {
            width,
            open,
            values,
            ranges,
        })
    }

    /// `/*@ open */ uint8 CipherSuite[2];`: an open enum whose values are the constants of its type.
    fn open_alias(&mut self, d: &Decl, t: &ast::Name, name: &str) -> DefKind {
        let width = match (&d.dims, t.text.as_str()) {
            (Some(Dims::Fixed(n)), "uint8" | "opaque") => n.eval(),
            (None, "uint8") => Some(1),
            (None, "uint16") => Some(2),
            (None, "uint24") => Some(3),
            (None, "uint32") => Some(4),
            _ => None,
        };
        let Some(width @ 1..=4) = width else {
            self.err(
                d.loc,
                format!("`open` on `{name}` needs a fixed size of 1 to 4 bytes"),
            );
            return DefKind::ContextEnum(Vec::new());
        };
        let values = self
            .constants
            .get(name)
            .map(|cs| {
                cs.iter()
                    .map(|(n, v, _)| EnumVal {
                        name: n.clone(),
                        rust: n.clone(),
                        value: *v,
                    })
                    .collect()
            })
            .unwrap_or_default();
        DefKind::Enum(EnumDef {
            width: width as u8,
            open: true,
            values,
            ranges: Vec::new(),
        })
    }

    fn struct_def(&mut self, name: &str, rust: &str, decls: &[Decl]) -> StructDef {
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
                if fields[j].role != Role::Stored {
                    self.err(
                        Loc::default(),
                        format!("`{}.{}` selects two selects", name, fields[j].name),
                    );
                }
                fields[j].role = Role::SelectorOf(i);
            }
        }
        for (i, f) in fields.iter().enumerate() {
            if matches!(f.wire, Wire::Optional(_)) && i + 1 != fields.len() {
                let loc = decls.get(i).map(|d| d.loc).unwrap_or_default();
                self.err(
                    loc,
                    "the trailing-optional `select (extensions_present)` must be the last field",
                );
            }
        }
        let s = StructDef { fields };
        if s.flattened_select().is_some() {
            let mut s = s;
            for f in &mut s.fields {
                rename_select(&mut f.wire, rust);
            }
            return s;
        }
        s
    }

    fn field(
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
        Some(Field {
            name: name.unwrap_or_default(),
            rust: rust_name,
            doc: d.doc.clone(),
            wire,
            role: Role::Stored,
        })
    }

    /// The wire shape of a non-select declaration: its type, crypto attribute and dimensions.
    fn field_wire(
        &mut self,
        d: &Decl,
        lifted_name: &str,
        siblings: &[Field],
        parent: &str,
    ) -> Option<Wire> {
        use ast::CryptoAttr::*;
        let base = match &d.ty {
            TypeExpr::Named(t) => self.resolve(t)?,
            TypeExpr::Struct(inner) => {
                let field = d.name.as_ref().map_or("", |n| n.text.as_str());
                let doc = match d.attr {
                    Some(DigitallySigned) => vec![format!(
                        "The content signed for `{parent}.{field}`: its encoding is what the signature covers (RFC 5246 section 4.7)."
                    )],
                    Some(AeadCiphered | StreamCiphered | BlockCiphered) => vec![format!(
                        "The plaintext of `{parent}.{field}`: on the wire it is ciphertext (RFC 5246 section 4.7)."
                    )],
                    _ => d.doc.clone(),
                };
                let idx = self.push_def(
                    lifted_name,
                    lifted_name.to_string(),
                    doc,
                    d.loc,
                    DefKind::ContextEnum(Vec::new()),
                );
                let s = self.struct_def(lifted_name, lifted_name, inner);
                self.model.defs[idx].kind = DefKind::Struct(s);
                Wire::Ref(idx)
            }
            TypeExpr::Enum(e) => {
                let idx = self.push_def(
                    lifted_name,
                    lifted_name.to_string(),
                    d.doc.clone(),
                    d.loc,
                    DefKind::ContextEnum(Vec::new()),
                );
                let kind = self.enum_def(e, has(d, "open"), lifted_name);
                self.model.defs[idx].kind = kind;
                Wire::Ref(idx)
            }
            TypeExpr::Select(_) => unreachable!("selects are lowered by `select`"),
        };
        match d.attr {
            Some(DigitallySigned) => {
                return match self.model.by_name.get("DigitallySigned") {
                    Some(&i) => Some(Wire::Ref(i)),
                    None => {
                        self.err(d.loc, "`digitally-signed` needs a `DigitallySigned` definition (RFC 5246 section 4.7)");
                        None
                    }
                };
            }
            Some(PublicKeyEncrypted) => {
                return Some(Wire::Vector {
                    elem: Box::new(Wire::UInt(1)),
                    floor: 0,
                    ceiling: 0xffff,
                    prefix: 2,
                });
            }
            Some(AeadCiphered | StreamCiphered | BlockCiphered) => {
                return Some(Wire::Vector {
                    elem: Box::new(Wire::UInt(1)),
                    floor: 0,
                    ceiling: u32::MAX as u64,
                    prefix: 0,
                });
            }
            None => {}
        }
        let is_opaque = matches!(&d.ty, TypeExpr::Named(t) if t.text == "opaque");
        match &d.dims {
            None if is_opaque => {
                self.err(
                    d.loc,
                    "`opaque` needs a vector: `[n]` or `<floor..ceiling>`",
                );
                None
            }
            None => Some(base),
            Some(Dims::Fixed(e)) => {
                if let Some(n) = e.eval() {
                    if n == 0 {
                        self.err(d.loc, "a fixed vector needs a length of at least 1");
                        return None;
                    }
                    if is_byte(&base) {
                        return Some(Wire::FixedBytes(n));
                    }
                    self.multiples
                        .push((d.loc, base.clone(), vec![(n, "fixed length")]));
                    return Some(Wire::FixedVec {
                        elem: Box::new(base),
                        bytes: n,
                    });
                }
                let r = e.as_ref()?;
                if !is_byte(&base) {
                    self.err(r.loc, "a length taken from another field is only supported for opaque/uint8 vectors");
                    return None;
                }
                // A sibling length field (`TLSPlaintext.length` or `length`) right before this one.
                let field = r
                    .text
                    .strip_prefix(&format!("{parent}."))
                    .unwrap_or(&r.text);
                if let Some(last) = siblings.last() {
                    if last.name == field && !field.contains('.') {
                        if let Wire::UInt(w) = last.wire {
                            return Some(Wire::Vector {
                                elem: Box::new(base),
                                floor: 0,
                                ceiling: max_for(w),
                                prefix: w,
                            });
                        }
                    }
                }
                if siblings.iter().any(|s| s.name == field) {
                    self.err(
                        r.loc,
                        format!(
                            "length field `{field}` must come right before the field it measures"
                        ),
                    );
                    return None;
                }
                Some(Wire::CtxBytes(r.text.clone()))
            }
            Some(Dims::Var { floor, ceiling }) => {
                let c = match ceiling.eval() {
                    Some(c) => c,
                    None => {
                        self.err(d.loc, "vector ceiling must be a number");
                        return None;
                    }
                };
                let f = match floor.as_ref().map(|f| f.eval()) {
                    None => 0,
                    Some(Some(f)) => f,
                    Some(None) => {
                        self.err(d.loc, "vector floor must be a number");
                        return None;
                    }
                };
                if f > c {
                    self.err(d.loc, format!("vector floor {f} is above its ceiling {c}"));
                    return None;
                }
                if c > u32::MAX as u64 {
                    self.err(
                        d.loc,
                        format!("vector ceiling {c} does not fit a length prefix (at most 2^32-1)"),
                    );
                    return None;
                }
                if c == 0 {
                    self.err(d.loc, "vector ceiling must be at least 1");
                    return None;
                }
                let prefix = if has(d, "rest") { 0 } else { prefix_width(c) };
                self.multiples
                    .push((d.loc, base.clone(), vec![(f, "floor"), (c, "ceiling")]));
                Some(Wire::Vector {
                    elem: Box::new(base),
                    floor: f,
                    ceiling: c,
                    prefix,
                })
            }
        }
    }

    fn resolve(&mut self, t: &ast::Name) -> Option<Wire> {
        if let Some(w) = uint_width(&t.text) {
            return Some(Wire::UInt(w));
        }
        if t.text == "opaque" {
            return Some(Wire::UInt(1));
        }
        match self.model.by_name.get(&t.text) {
            Some(&i) => Some(Wire::Ref(i)),
            None => {
                self.err(t.loc, format!("unknown type `{}`", t.text));
                None
            }
        }
    }

    fn enum_of(&self, w: &Wire) -> Option<usize> {
        match w {
            Wire::Ref(i) => match &self.model.defs[*i].kind {
                DefKind::Enum(_) | DefKind::ContextEnum(_) => Some(*i),
                _ => None,
            },
            _ => None,
        }
    }

    fn enum_values(&self, idx: usize) -> Vec<(String, String)> {
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

    fn select(
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
            return self.optional(s, parent, parent_rust, siblings);
        } else {
            self.err(s.selector.loc, format!("select on unknown field `{sel}`"));
            return None;
        };
        let known = self.enum_values(selector_def);
        let enum_name = self.model.defs[selector_def].name.clone();
        let fname = d.name.as_ref().map(|n| n.text.as_str()).unwrap_or("body");
        let rust = format!("{}{}", parent_rust, camel(fname));
        // Types lifted out of arms are named after the parent (and the select, if it has a name):
        // `ServerKeyExchangeEcDiffieHellmanSignedParams`.
        let arm_prefix = match &d.name {
            Some(n) => format!("{}{}", parent_rust, camel(&n.text)),
            None => parent_rust.to_string(),
        };
        let mut arms = Vec::new();
        let mut default = None;
        for arm in &s.arms {
            if let Some(loc) = arm.default {
                default = self.default_arm(
                    arm,
                    loc,
                    default.is_some(),
                    selector_def,
                    &arm_prefix,
                    parent,
                    siblings,
                );
                continue;
            }
            let first = arm
                .labels
                .first()
                .map(|l| camel(&l.text))
                .unwrap_or_default();
            let body = self.arm_body(
                &arm.decls,
                &format!("{arm_prefix}{first}"),
                parent,
                siblings,
            )?;
            for l in &arm.labels {
                match known.iter().find(|(n, _)| *n == l.text) {
                    Some((_, vr)) => {
                        if arms.iter().any(|a: &SelArm| a.label == l.text) {
                            self.err(l.loc, format!("`case {}` appears twice", l.text));
                        }
                        arms.push(SelArm {
                            label: l.text.clone(),
                            rust: camel(&l.text),
                            value_rust: vr.clone(),
                            body: body.clone(),
                        })
                    }
                    None => self.err(
                        l.loc,
                        format!("case label `{}` is not a value of `{}`", l.text, enum_name),
                    ),
                }
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
            arms,
            unknown_raw: false,
            default,
            doc: d.doc.clone(),
        }))
    }

    /// `default: T name;`: one declaration, on a select whose selector enum is `open` (a closed
    /// enum refuses unknown values before the select sees them).
    #[allow(clippy::too_many_arguments)]
    fn default_arm(
        &mut self,
        arm: &ast::Arm,
        loc: Loc,
        repeated: bool,
        selector_def: usize,
        arm_prefix: &str,
        parent: &str,
        siblings: &[Field],
    ) -> Option<Box<DefaultArm>> {
        if repeated {
            self.err(loc, "a select has at most one `default:` arm");
            return None;
        }
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
        let wire = self.field_wire(d, &format!("{arm_prefix}Unknown"), siblings, parent)?;
        let label = d
            .name
            .as_ref()
            .map_or("default".to_string(), |n| n.text.clone());
        Some(Box::new(DefaultArm { label, wire }))
    }

    /// `Handshake.msg_type` (a field of a defined struct) or `KeyExchangeAlgorithm` (an enum).
    fn context_selector(&self, sel: &str) -> Option<usize> {
        if let Some(&i) = self.model.by_name.get(sel) {
            return match &self.model.defs[i].kind {
                DefKind::Enum(_) | DefKind::ContextEnum(_) => Some(i),
                _ => None,
            };
        }
        let (s, f) = sel.split_once('.')?;
        let (_, ty) = self.members.get(s)?.iter().find(|(n, _)| n == f)?;
        self.enum_of(&Wire::Ref(*self.model.by_name.get(ty)?))
    }

    fn optional(
        &mut self,
        s: &ast::Select,
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

    fn arm_body(
        &mut self,
        decls: &[Decl],
        lifted: &str,
        parent: &str,
        siblings: &[Field],
    ) -> Option<ArmBody> {
        let real: Vec<&Decl> = decls.iter().filter(|d| !is_empty_struct(d)).collect();
        match real.as_slice() {
            [] => Some(ArmBody::Empty),
            [d] if d.name.is_none() => Some(ArmBody::Single(
                self.field_wire(d, lifted, siblings, parent)?,
            )),
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

    fn typed_by(
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
            source: SelectorSource::Sibling(j),
            arms,
            unknown_raw: true,
            default: None,
            doc: d.doc.clone(),
        };
        Some(Wire::Delimited {
            prefix: prefix_width(ceiling),
            floor,
            ceiling,
            inner: Box::new(Wire::Select(select)),
        })
    }

    /// Sizes, borrows, element-size checks and decode context, once every definition exists.
    fn analyse(&mut self) {
        for i in 0..self.model.defs.len() {
            let mut visiting = BTreeSet::new();
            self.model.defs[i].size = def_size(&self.model, i, &mut visiting);
        }
        for (loc, elem, counts) in std::mem::take(&mut self.multiples) {
            if let Some(s) = wire_size(&self.model, &elem, &mut BTreeSet::new()) {
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
        // Fixed points: borrowing and context needs flow from children to parents.
        loop {
            let mut changed = false;
            for i in 0..self.model.defs.len() {
                let b = def_borrows(&self.model, i);
                let ctx = def_context(&self.model, i);
                let d = &mut self.model.defs[i];
                if b != d.borrows || ctx != d.context {
                    d.borrows = b;
                    d.context = ctx;
                    changed = true;
                }
            }
            if !changed {
                break;
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

fn rename_select(w: &mut Wire, rust: &str) {
    match w {
        Wire::Select(s) => s.rust = rust.to_string(),
        Wire::Delimited { inner, .. } => rename_select(inner, rust),
        _ => {}
    }
}

fn enum_val_eq(a: &EnumValueKind, b: &EnumValueKind) -> bool {
    match (a, b) {
        (EnumValueKind::None, EnumValueKind::None) => true,
        (EnumValueKind::Single(x), EnumValueKind::Single(y)) => x.eval() == y.eval(),
        (EnumValueKind::Range(a1, a2), EnumValueKind::Range(b1, b2)) => {
            a1.eval() == b1.eval() && a2.eval() == b2.eval()
        }
        _ => false,
    }
}

fn is_empty_struct(d: &Decl) -> bool {
    matches!(&d.ty, TypeExpr::Struct(f) if f.is_empty()) && d.name.is_none()
}

fn is_byte(w: &Wire) -> bool {
    matches!(w, Wire::UInt(1))
}

fn uint_width(t: &str) -> Option<u8> {
    match t {
        "uint8" => Some(1),
        "uint16" => Some(2),
        "uint24" => Some(3),
        "uint32" => Some(4),
        "uint64" => Some(8),
        _ => None,
    }
}

pub(crate) fn max_for(width: u8) -> u64 {
    if width >= 8 {
        u64::MAX
    } else {
        (1u64 << (8 * width as u32)) - 1
    }
}

fn def_size(m: &Model, i: usize, visiting: &mut BTreeSet<usize>) -> Option<u64> {
    if !visiting.insert(i) {
        return None;
    }
    let r = match &m.defs[i].kind {
        DefKind::Enum(e) => Some(e.width as u64),
        DefKind::ContextEnum(_) | DefKind::ContextStruct => None,
        DefKind::Alias(w) => wire_size(m, w, visiting),
        DefKind::Struct(s) => s
            .fields
            .iter()
            .try_fold(0u64, |acc, f| Some(acc + wire_size(m, &f.wire, visiting)?)),
    };
    visiting.remove(&i);
    r
}

pub(crate) fn wire_size(m: &Model, w: &Wire, visiting: &mut BTreeSet<usize>) -> Option<u64> {
    match w {
        Wire::UInt(n) => Some(*n as u64),
        Wire::FixedBytes(n) => Some(*n),
        Wire::FixedVec { bytes, .. } => Some(*bytes),
        Wire::Ref(i) => def_size(m, *i, visiting),
        _ => None,
    }
}

fn wire_borrows(m: &Model, w: &Wire) -> bool {
    match w {
        Wire::UInt(_) | Wire::FixedBytes(_) => false,
        Wire::CtxBytes(_) => true,
        Wire::Ref(i) => m.defs[*i].borrows,
        Wire::FixedVec { elem, .. } => wire_borrows(m, elem),
        Wire::Vector { elem, .. } => is_byte(elem) || wire_borrows(m, elem),
        Wire::Delimited { inner, .. } | Wire::Optional(inner) => wire_borrows(m, inner),
        Wire::Select(s) => {
            s.unknown_raw
                || s.default.as_ref().is_some_and(|d| wire_borrows(m, &d.wire))
                || s.arms.iter().any(|a| arm_borrows(m, &a.body))
        }
    }
}

fn arm_borrows(m: &Model, b: &ArmBody) -> bool {
    match b {
        ArmBody::Empty => false,
        ArmBody::Single(w) => wire_borrows(m, w),
        ArmBody::Fields(fs) => fs.iter().any(|f| wire_borrows(m, &f.wire)),
    }
}

fn def_borrows(m: &Model, i: usize) -> bool {
    match &m.defs[i].kind {
        DefKind::Alias(w) => wire_borrows(m, w),
        DefKind::Struct(s) => s.fields.iter().any(|f| wire_borrows(m, &f.wire)),
        _ => false,
    }
}

fn def_context(m: &Model, i: usize) -> BTreeMap<String, CtxKind> {
    let d = &m.defs[i];
    let mut out = BTreeMap::new();
    match &d.kind {
        DefKind::Alias(w) => wire_context(m, w, &mut out),
        DefKind::Struct(s) => {
            for f in &s.fields {
                wire_context(m, &f.wire, &mut out);
            }
            // Keys this struct binds itself: `Handshake.msg_type` inside Handshake.
            out.retain(|k, _| {
                !s.fields
                    .iter()
                    .any(|f| *k == format!("{}.{}", d.name, f.name))
            });
        }
        _ => {}
    }
    out
}

pub(crate) fn wire_context(m: &Model, w: &Wire, out: &mut BTreeMap<String, CtxKind>) {
    match w {
        Wire::UInt(_) | Wire::FixedBytes(_) => {}
        Wire::CtxBytes(k) => {
            out.insert(k.clone(), CtxKind::Len);
        }
        Wire::Ref(i) => out.extend(
            m.defs[*i]
                .context
                .iter()
                .map(|(k, v)| (k.clone(), v.clone())),
        ),
        Wire::FixedVec { elem, .. } | Wire::Vector { elem, .. } => wire_context(m, elem, out),
        Wire::Delimited { inner, .. } | Wire::Optional(inner) => wire_context(m, inner, out),
        Wire::Select(s) => {
            if let SelectorSource::Context(k) = &s.source {
                out.insert(k.clone(), CtxKind::Enum(s.selector_def));
            }
            if let Some(d) = &s.default {
                wire_context(m, &d.wire, out);
            }
            for a in &s.arms {
                match &a.body {
                    ArmBody::Empty => {}
                    ArmBody::Single(w) => wire_context(m, w, out),
                    ArmBody::Fields(fs) => fs.iter().for_each(|f| wire_context(m, &f.wire, out)),
                }
            }
        }
    }
}
