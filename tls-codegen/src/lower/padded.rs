//! `padded` structs (RFC 8446 section 5.2 `TLSInnerPlaintext`): content, a one-byte type and
//! zero padding, which only a scan from the end can tell apart.

use super::*;

impl Lowerer {
    /// `/*@ padded */ struct { opaque content[...]; T type; uint8 zeros[...]; } Name;`: the
    /// lengths in brackets are what the scan finds, so they name nothing the decoder needs.
    pub(super) fn padded(&mut self, d: &Decl, decls: &[Decl]) -> Option<StructDef> {
        for f in decls {
            self.check_annotations(f);
        }
        let shape = "a `padded` struct is `opaque content[...]; T type; uint8 zeros[...];` with T a one-byte enum";
        let [content, ty, zeros] = decls else {
            self.err(d.loc, shape);
            return None;
        };
        let bytes = |x: &Decl| {
            matches!(&x.ty, TypeExpr::Named(t) if t.text == "opaque" || t.text == "uint8")
                && x.dims.is_some()
                && x.default.is_none()
                && x.annotations.is_empty()
        };
        let enum_ty = match &ty.ty {
            TypeExpr::Named(t) => self.model.by_name.get(&t.text).copied(),
            _ => None,
        };
        let one_byte = enum_ty
            .is_some_and(|i| matches!(&self.model.defs[i].kind, DefKind::Enum(e) if e.width == 1));
        let (Some(e), true, true, true) = (enum_ty, one_byte, bytes(content), bytes(zeros)) else {
            self.err(d.loc, shape);
            return None;
        };
        let rest = || Wire::Vector {
            elem: Box::new(Wire::UInt(1)),
            floor: 0,
            ceiling: u32::MAX as u64,
            prefix: 0,
        };
        let field = |x: &Decl, wire: Wire| {
            let name = x.name.as_ref().map(|n| n.text.clone()).unwrap_or_default();
            Field {
                rust: snake(&name),
                name,
                doc: x.doc.clone(),
                wire,
                role: Role::Stored,
                secret: false,
                rules: Vec::new(),
                default: None,
                loc: x.loc,
                end: x.end,
            }
        };
        Some(StructDef {
            fields: vec![
                field(content, rest()),
                field(ty, Wire::Ref(e)),
                field(zeros, rest()),
            ],
            padded: true,
        })
    }
}
