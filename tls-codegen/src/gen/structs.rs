//! Aliases (newtypes) and structs: their fields, `decode` (a `Codec` impl, or an inherent one
//! taking context), `Encode` and `Debug`. A struct whose only stored field is a select is that
//! select's enum, with `decode`/`encode` reading and writing the fields around it.

use super::shapes::{Code, Scope, Val};
use super::{anon_lt, ident, lit, lt, Gen};
use crate::model::*;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use std::collections::BTreeMap;

impl Gen<'_> {
    /// `impl Codec` for context-free types, inherent `decode`/`from_bytes` for the others.
    /// `uses_r`: whether `body` reads from `r` (an empty struct does not).
    pub(super) fn decode_impls(&self, d: &Def, body: TokenStream, uses_r: bool) -> TokenStream {
        let n = ident(&d.rust);
        let lt = lt(d.borrows);
        let name = &d.name;
        if d.context.is_empty() {
            let r = if uses_r { quote!(r) } else { quote!(_r) };
            quote! {
                impl<'a> Codec<'a> for #n #lt {
                    #[inline]
                    fn decode(#r: &mut Reader<'a>) -> Result<Self, DecodeError> { #body }
                }
            }
        } else {
            let params = self.params(&d.context, &d.optional);
            let names = d.context.keys().map(|k| ident(&ctx_param(k)));
            quote! {
                impl<'a> #n #lt {
                    /// Decodes one value from the front of `r`, given context that is not in the bytes.
                    #[inline]
                    pub fn decode(r: &mut Reader<'a> #params) -> Result<Self, DecodeError> { #body }
                    /// Decodes a value that must fill `bytes` exactly.
                    pub fn from_bytes(bytes: &'a [u8] #params) -> Result<Self, DecodeError> {
                        decode_whole(bytes, #name, |r| Self::decode(r #(, #names)*))
                    }
                }
            }
        }
    }

    pub(super) fn alias(&self, d: &Def, w: &Wire) -> TokenStream {
        let n = ident(&d.rust);
        let lt = lt(d.borrows);
        let anon = anon_lt(d.borrows);
        let doc = self.def_doc(d, &[]).render(0);
        let t = self.ty(w);
        let dec = self.dec(w, &self.def_scope(d, &[w]));
        let this = Val::Place(quote!(self.0), ident("value"));
        let enc = self.enc(w, &this).stmt();
        let show = self.show(w, &this, false);
        let decode = self.decode_impls(d, quote!(#dec.map(Self)), true);
        let name = &d.name;
        quote! {
            #doc
            #[derive(Clone, PartialEq, Eq)]
            pub struct #n #lt(pub #t);
            #decode
            impl Encode for #n #anon {
                fn encode(&self, out: &mut Vec<u8>) { #enc }
            }
            impl fmt::Debug for #n #anon {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.debug_tuple(#name).field(#show).finish()
                }
            }
        }
    }

    /// Statements decoding `fields` in order into locals named after them. `scope` holds the
    /// context keys already bound; a field binds `struct_name.field` for those after it.
    pub(super) fn dec_fields(
        &self,
        struct_name: &str,
        fields: &[Field],
        scope: &Scope,
    ) -> TokenStream {
        let mut scope = scope.clone();
        scope.locals.clear();
        let mut stmts = TokenStream::new();
        for f in fields {
            let local = ident(&f.rust);
            let label = f.name.as_str();
            let stmt = match &f.wire {
                // A fixed value: read and compared, not stored.
                _ if f.is_fixed() => {
                    let Role::Fixed(bytes) = &f.role else {
                        continue;
                    };
                    let bytes = bytes.iter().map(|b| lit(*b));
                    quote!(r.fixed(&[#(#bytes),*]).in_field(#label)?;)
                }
                // The trailing-optional form: present when bytes remain.
                Wire::Optional(inner) => {
                    let e = self.dec_ruled(inner, &f.rules, &scope);
                    quote! {
                        let #local = if r.is_empty() { None } else { Some(#e.in_field(#label)?) };
                    }
                }
                // A select names its arm on the error path itself; an unnamed member has no name.
                w if is_select(w) || label.is_empty() => {
                    let e = self.dec(w, &scope);
                    quote!(let #local = #e?;)
                }
                w => {
                    let e = self.dec_ruled(w, &f.rules, &scope);
                    quote!(let #local = #e.in_field(#label)?;)
                }
            };
            stmts.extend(stmt);
            if !f.is_fixed() {
                scope
                    .bound
                    .insert(format!("{struct_name}.{}", f.name), local.clone());
            }
            // A comparison on this field, for the fields after it that select on it.
            for c in &self.m.comparisons {
                if self.m.defs[c.binder].name != struct_name || c.field != f.name {
                    continue;
                }
                let mut later = BTreeMap::new();
                for g in fields.iter().skip_while(|g| g.name != f.name).skip(1) {
                    self.m.wire_context(&g.wire, &mut later);
                }
                if later.contains_key(&c.key) {
                    let k = &self.m.byte_constants[c.constant];
                    let konst = ident(&k.rust);
                    let cmp = ident(&ctx_param(&c.key));
                    stmts.extend(quote!(let #cmp = #local.to_vec() == #konst;));
                    scope.bound.insert(c.key.clone(), cmp);
                }
            }
            scope.locals.push(local);
        }
        stmts
    }

    /// The scope a definition's fields are decoded in: a comparison its fields select on that
    /// is neither its parameter nor bound by it is `false` (its binder is not on the way in).
    fn def_scope(&self, d: &Def, wires: &[&Wire]) -> Scope {
        let mut needs = BTreeMap::new();
        for w in wires {
            self.m.wire_context(w, &mut needs);
        }
        let mut scope = Scope::with_optional(&d.optional);
        for (k, kind) in needs {
            let bound_here = self
                .m
                .comparisons
                .iter()
                .any(|c| c.key == k && self.m.defs[c.binder].name == d.name);
            if kind == CtxKind::Bool && !d.context.contains_key(&k) && !bound_here {
                scope.bound.insert(k, format_ident!("false"));
            }
        }
        scope
    }

    /// Code encoding `fields` in order; a selector is written from its select's variant.
    pub(super) fn enc_fields(&self, fields: &[Field], access: impl Fn(&Field) -> Val) -> Vec<Code> {
        fields
            .iter()
            .map(|f| match &f.role {
                Role::SelectorOf(j) => self.enc_selector(&access(&fields[*j])),
                Role::Stored => self.enc(&f.wire, &access(f)),
                Role::Fixed(bytes) => {
                    let bytes = bytes.iter().map(|b| lit(*b));
                    Code::expr(quote!(out.extend_from_slice(&[#(#bytes),*])))
                }
            })
            .collect()
    }

    /// The stored fields: `/// doc` `pub`? `name: Type`, at `indent`.
    pub(super) fn field_defs(&self, fields: &[&Field], indent: usize, public: bool) -> TokenStream {
        let vis = if public { quote!(pub) } else { quote!() };
        let defs = fields.iter().map(|f| {
            let doc = self.field_doc(f).render(indent);
            let n = ident(&f.rust);
            let t = self.ty(&f.wire);
            quote!(#doc #vis #n: #t)
        });
        quote!(#(#defs),*)
    }

    /// `.field("name", value)` for each stored field.
    pub(super) fn debug_fields(
        &self,
        fields: &[&Field],
        access: impl Fn(&Field) -> Val,
    ) -> TokenStream {
        let fs = fields.iter().map(|f| {
            let label = &f.rust;
            let show = self.show(&f.wire, &access(f), f.secret);
            quote!(.field(#label, #show))
        });
        quote!(#(#fs)*)
    }

    pub(super) fn plain_struct(&self, d: &Def, s: &StructDef) -> TokenStream {
        let n = ident(&d.rust);
        let lt = lt(d.borrows);
        let anon = anon_lt(d.borrows);
        let doc = self.def_doc(d, &fixed_doc(&s.fields)).render(0);
        let stored: Vec<&Field> = s.fields.iter().filter(|f| f.role == Role::Stored).collect();
        let names = stored.iter().map(|f| ident(&f.rust));
        let fields = self.field_defs(&stored, 4, true);
        let wires: Vec<&Wire> = s.fields.iter().map(|f| &f.wire).collect();
        let body = self.dec_fields(&d.name, &s.fields, &self.def_scope(d, &wires));
        let decode = self.decode_impls(
            d,
            quote!(#body Ok(Self { #(#names),* })),
            !s.fields.is_empty(),
        );
        let place = |f: &Field| Val::field(&ident(&f.rust));
        let enc: Vec<TokenStream> = self
            .enc_fields(&s.fields, place)
            .iter()
            .map(Code::stmt)
            .collect();
        let out = if enc.is_empty() {
            quote!(_out)
        } else {
            quote!(out)
        };
        let debug = self.debug_fields(&stored, place);
        let selects = self.nested_selects(&s.fields);
        let find = self.encode_find_fn(s, place);
        let name = &d.name;
        quote! {
            #doc
            #[derive(Clone, PartialEq, Eq)]
            pub struct #n #lt { #fields }
            #decode
            impl Encode for #n #anon {
                fn encode(&self, #out: &mut Vec<u8>) { #(#enc)* }
                #find
            }
            impl fmt::Debug for #n #anon {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.debug_struct(#name) #debug .finish()
                }
            }
            #selects
        }
    }

    /// The enums of selects inside fields (a flattened struct's select is the struct itself).
    pub(super) fn nested_selects(&self, fields: &[Field]) -> TokenStream {
        let mut out = TokenStream::new();
        for f in fields {
            let mut w = &f.wire;
            while let Wire::Delimited { inner, .. } | Wire::Optional(inner) = w {
                w = inner;
            }
            if let Wire::Select(s) = w {
                out.extend(self.select_enum(s, None));
            }
        }
        out
    }

    /// A struct whose only stored field is a select: generated as that select's enum, whose
    /// `decode` reads the derived fields (selector, length) around it.
    pub(super) fn flat_struct(&self, d: &Def, s: &StructDef, sel: &Select) -> TokenStream {
        let wires: Vec<&Wire> = s.fields.iter().map(|f| &f.wire).collect();
        let body = self.dec_fields(&d.name, &s.fields, &self.def_scope(d, &wires));
        let last = s
            .fields
            .iter()
            .find(|f| f.role == Role::Stored)
            .map(|f| ident(&f.rust));
        let decode = self.decode_impls(d, quote!(#body Ok(#last)), true);
        let this = |_: &Field| Val::Place(quote!(self), ident("value"));
        let enc = self.enc_fields(&s.fields, this);
        let enc = enc.iter().map(Code::stmt);
        let n = ident(&d.rust);
        let anon = anon_lt(d.borrows);
        let inner = self.select_enum(sel, Some(self.def_doc(d, &[])));
        let find = self.encode_find_fn(s, this);
        quote! {
            #inner
            #decode
            impl Encode for #n #anon {
                fn encode(&self, out: &mut Vec<u8>) { #(#enc)* }
                #find
            }
        }
    }
}

/// A select, or a select behind a length prefix.
fn is_select(w: &Wire) -> bool {
    match w {
        Wire::Select(_) => true,
        Wire::Delimited { inner, .. } => is_select(inner),
        _ => false,
    }
}

/// The rustdoc paragraph naming a struct's fixed values (field defaults), if it has any.
fn fixed_doc(fields: &[Field]) -> Vec<String> {
    let fixed: Vec<String> = fields
        .iter()
        .filter_map(|f| match &f.role {
            Role::Fixed(bytes) => {
                let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                Some(format!("`{}` (bytes `0x{hex}`)", f.name))
            }
            _ => None,
        })
        .collect();
    if fixed.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "Fixed values, checked when decoding, written when encoding, not stored: {}.",
        fixed.join(", ")
    )]
}
