//! The wire shape of one declaration: its type resolved (inline structs and enums lifted into
//! definitions of their own), its crypto attribute, and its vector dimensions.

use super::*;

impl Lowerer {
    /// The wire shape of a non-select declaration: its type, crypto attribute and dimensions.
    pub(super) fn field_wire(
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
                    (d.loc, d.loc),
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
                    (d.loc, d.loc),
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

    pub(super) fn resolve(&mut self, t: &ast::Name) -> Option<Wire> {
        if let Some(w) = uint_width(&t.text) {
            return Some(Wire::UInt(w));
        }
        if t.text == "opaque" {
            return Some(Wire::UInt(1));
        }
        match self.lookup(&t.text) {
            Some(i) => Some(Wire::Ref(i)),
            // A definition that did not parse: its syntax error is reported already.
            None if self.broken.contains(&t.text) => None,
            None => {
                self.err_span(t.loc, t.text.len(), format!("unknown type `{}`", t.text));
                None
            }
        }
    }
}

impl Lowerer {
    /// A definition by name: in the current namespace first, then at the root. (A root
    /// definition cannot name a namespaced one.)
    pub(super) fn lookup(&self, name: &str) -> Option<usize> {
        if self.cur_ns.is_some() {
            if let Some(&i) = self.model.by_name.get(&qual(&self.cur_ns, name)) {
                return Some(i);
            }
        }
        self.model.by_name.get(name).copied()
    }
}

pub(super) fn is_byte(w: &Wire) -> bool {
    matches!(w, Wire::UInt(1))
}

pub(super) fn uint_width(t: &str) -> Option<u8> {
    match t {
        "uint8" => Some(1),
        "uint16" => Some(2),
        "uint24" => Some(3),
        "uint32" => Some(4),
        "uint64" => Some(8),
        _ => None,
    }
}

pub(super) fn max_for(width: u8) -> u64 {
    if width >= 8 {
        u64::MAX
    } else {
        (1u64 << (8 * width as u32)) - 1
    }
}
