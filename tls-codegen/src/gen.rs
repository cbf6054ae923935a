//! [`model`](crate::model) -> Rust source. The generated code uses the runtime in
//! `crate::codec` (`Reader`, `Codec`, `Encode`, `DecodeError`, `put_prefixed`, `Hex`).

use crate::model::*;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
use std::collections::BTreeMap;

/// Generates the whole module body for a checked model.
pub fn generate(m: &Model) -> TokenStream {
    let mut items = TokenStream::new();
    for (i, d) in m.defs.iter().enumerate() {
        items.extend(Gen { m }.def(i, d));
    }
    let registry = round_trip_registry(m);
    quote! {
        use crate::codec::{Codec, DecodeError, DecodeErrorKind, Encode, Reader};
        #items
        #registry
    }
}

/// For property tests and fuzzing: every type that decodes without outside context, by schema
/// name, with one function that decodes, re-encodes and decodes again.
fn round_trip_registry(m: &Model) -> TokenStream {
    let codec_types: Vec<&Def> = m
        .defs
        .iter()
        .filter(|d| {
            d.context.is_empty()
                && matches!(
                    d.kind,
                    DefKind::Enum(_) | DefKind::Alias(_) | DefKind::Struct(_)
                )
        })
        .collect();
    let names: Vec<&str> = codec_types.iter().map(|d| d.name.as_str()).collect();
    let arms = codec_types.iter().map(|d| {
        let name = d.name.as_str();
        let t = ident(&d.rust);
        quote! {
            #name => {
                let mut r = Reader::new(bytes);
                Some(#t::decode(&mut r).map(|v| {
                    let used = r.offset();
                    let encoded = v.to_vec();
                    let same = #t::from_bytes(&encoded).is_ok_and(|w| w == v);
                    RoundTrip { used, encoded, same }
                }))
            }
        }
    });
    quote! {
        /// The schema names of every type [`round_trip`] knows: all that decode without context.
        pub const ROUND_TRIP_TYPES: &[&str] = &[#(#names),*];

        /// What [`round_trip`] found for some bytes.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct RoundTrip {
            /// How many input bytes the value took.
            pub used: usize,
            /// The value encoded again.
            pub encoded: Vec<u8>,
            /// Whether decoding `encoded` gives the same value.
            pub same: bool,
        }

        /// Decodes `bytes` as the type named `type_name`, then encodes and decodes it again:
        /// `None` for an unknown name, the decode error, or what the round trip gave.
        /// For property tests: `encoded` must equal `bytes[..used]` and `same` must hold.
        pub fn round_trip(type_name: &str, bytes: &[u8]) -> Option<Result<RoundTrip, DecodeError>> {
            match type_name {
                #(#arms)*
                _ => None,
            }
        }
    }
}

struct Gen<'m> {
    m: &'m Model,
}

fn ident(s: &str) -> Ident {
    if let Some(raw) = s.strip_prefix("r#") {
        Ident::new_raw(raw, Span::call_site())
    } else {
        Ident::new(s, Span::call_site())
    }
}

fn docs(lines: &[String]) -> TokenStream {
    let lines = lines.iter().map(|l| format!(" {}", l.trim()));
    quote! { #(#[doc = #lines])* }
}

/// An unsuffixed integer literal, so the generated code reads like the schema.
fn lit(n: impl Into<u64>) -> proc_macro2::Literal {
    proc_macro2::Literal::u64_unsuffixed(n.into())
}

fn uint_ty(width: u8) -> TokenStream {
    match width {
        1 => quote!(u8),
        2 => quote!(u16),
        3 | 4 => quote!(u32),
        _ => quote!(u64),
    }
}

fn is_bytes(w: &Wire) -> bool {
    match w {
        Wire::FixedBytes(_) | Wire::CtxBytes(_) => true,
        Wire::Vector { elem, .. } => matches!(elem.as_ref(), Wire::UInt(1)),
        _ => false,
    }
}

impl Gen<'_> {
    fn lt(&self, borrows: bool) -> TokenStream {
        if borrows {
            quote!(<'a>)
        } else {
            quote!()
        }
    }

    fn def_ty(&self, i: usize) -> TokenStream {
        let d = &self.m.defs[i];
        let n = ident(&d.rust);
        let lt = self.lt(d.borrows);
        quote!(#n #lt)
    }

    /// The Rust type holding a wire shape.
    fn ty(&self, w: &Wire) -> TokenStream {
        match w {
            Wire::UInt(n) => uint_ty(*n),
            Wire::Ref(i) => self.def_ty(*i),
            Wire::FixedBytes(n) => {
                let n = lit(*n);
                quote!([u8; #n])
            }
            Wire::CtxBytes(_) => quote!(&'a [u8]),
            Wire::Vector { elem, .. } if matches!(elem.as_ref(), Wire::UInt(1)) => quote!(&'a [u8]),
            Wire::Vector { elem, .. } | Wire::FixedVec { elem, .. } => {
                let e = self.ty(elem);
                quote!(Vec<#e>)
            }
            Wire::Delimited { inner, .. } => self.ty(inner),
            Wire::Optional(inner) => {
                let t = self.ty(inner);
                quote!(Option<#t>)
            }
            Wire::Select(s) => {
                let n = ident(&s.rust);
                let lt = self.lt(self.m.select_borrows(s));
                quote!(#n #lt)
            }
        }
    }

    /// Context parameters `name: Type` for a set of context keys.
    fn params(&self, ctx: &BTreeMap<String, CtxKind>) -> TokenStream {
        let ps = ctx.iter().map(|(k, kind)| {
            let n = ident(&ctx_param(k));
            let t = match kind {
                CtxKind::Enum(i) => self.def_ty(*i),
                CtxKind::Len => quote!(usize),
            };
            quote!(, #n: #t)
        });
        quote!(#(#ps)*)
    }

    /// Arguments for a callee needing `needs`, given the locals this scope binds.
    fn args(
        &self,
        needs: &BTreeMap<String, CtxKind>,
        bound: &BTreeMap<String, Ident>,
    ) -> TokenStream {
        let a = needs.keys().map(|k| match bound.get(k) {
            Some(local) => quote!(, #local),
            None => {
                let p = ident(&ctx_param(k));
                quote!(, #p)
            }
        });
        quote!(#(#a)*)
    }

    /// An expression of type `Result<T, DecodeError>` reading `w` from `r`.
    fn dec(&self, w: &Wire, bound: &BTreeMap<String, Ident>) -> TokenStream {
        match w {
            Wire::UInt(n) => {
                let f = match n {
                    1 => quote!(u8),
                    2 => quote!(u16),
                    3 => quote!(u24),
                    4 => quote!(u32),
                    _ => quote!(u64),
                };
                quote!(r.#f())
            }
            Wire::Ref(i) => {
                let d = &self.m.defs[*i];
                let n = ident(&d.rust);
                let args = self.args(&d.context, bound);
                quote!(#n::decode(r #args))
            }
            Wire::FixedBytes(n) => {
                let n = lit(*n);
                quote!(r.array::<#n>())
            }
            Wire::CtxBytes(k) => {
                let len = bound
                    .get(k)
                    .cloned()
                    .unwrap_or_else(|| ident(&ctx_param(k)));
                quote!(r.take(#len))
            }
            Wire::Vector {
                elem,
                floor,
                ceiling,
                prefix,
            } if matches!(elem.as_ref(), Wire::UInt(1)) => {
                let (p, f, c) = (lit(*prefix), lit(*floor), lit(*ceiling));
                quote!(r.opaque(#p, #f, #c))
            }
            Wire::Vector {
                elem,
                floor,
                ceiling,
                prefix,
            } => {
                let size = lit(self.m.wire_size(elem).unwrap_or(1));
                let (p, f, c) = (lit(*prefix), lit(*floor), lit(*ceiling));
                let e = self.dec(elem, bound);
                quote!(r.vector(#p, #f, #c, #size, |r| #e))
            }
            Wire::FixedVec { elem, bytes } => {
                let bytes = lit(*bytes);
                let e = self.dec(elem, bound);
                quote!(r.fixed_vector(#bytes, |r| #e))
            }
            Wire::Delimited {
                prefix,
                floor,
                ceiling,
                inner,
            } => {
                let (p, f, c) = (lit(*prefix), lit(*floor), lit(*ceiling));
                let e = self.dec(inner, bound);
                quote!(r.delimited(#p, #f, #c, |r| #e))
            }
            Wire::Optional(inner) => {
                let e = self.dec(inner, bound);
                quote!(if r.is_empty() { Ok(None) } else { (#e).map(Some) })
            }
            Wire::Select(s) => {
                let n = ident(&s.rust);
                let sel = match &s.source {
                    SelectorSource::Context(k) => bound
                        .get(k)
                        .cloned()
                        .unwrap_or_else(|| ident(&ctx_param(k))),
                    SelectorSource::Sibling(_) => format_ident!("__selector"),
                };
                let args = self.args(&self.m.select_context(s), bound);
                quote!(#n::decode_arm(r, #sel #args))
            }
        }
    }

    /// Statements writing `v` (an expression of type `&T`) to `out`.
    fn enc(&self, w: &Wire, v: TokenStream) -> TokenStream {
        match w {
            Wire::UInt(3) => quote!(crate::codec::put_u24(out, *#v);),
            Wire::UInt(_) => quote!(out.extend_from_slice(&(*#v).to_be_bytes());),
            Wire::Ref(_) => quote!(Encode::encode(#v, out);),
            Wire::FixedBytes(_) => quote!(out.extend_from_slice(&#v[..]);),
            Wire::CtxBytes(_) => quote!(out.extend_from_slice(#v);),
            Wire::Vector { elem, prefix, .. } if matches!(elem.as_ref(), Wire::UInt(1)) => {
                let prefix = lit(*prefix);
                quote!(crate::codec::put_prefixed(out, #prefix, |out| out.extend_from_slice(#v));)
            }
            Wire::Vector { elem, prefix, .. } => {
                let prefix = lit(*prefix);
                let e = self.enc(elem, quote!(e));
                quote!(crate::codec::put_prefixed(out, #prefix, |out| { for e in (#v).iter() { #e } });)
            }
            Wire::FixedVec { elem, .. } => {
                let e = self.enc(elem, quote!(e));
                quote!(for e in (#v).iter() { #e })
            }
            Wire::Delimited { prefix, inner, .. } => {
                let prefix = lit(*prefix);
                let e = self.enc(inner, v);
                quote!(crate::codec::put_prefixed(out, #prefix, |out| { #e });)
            }
            Wire::Optional(inner) => {
                let e = self.enc(inner, quote!(x));
                quote!(if let Some(x) = #v { #e })
            }
            Wire::Select(_) => quote!((#v).encode_arm(out);),
        }
    }

    /// `Debug` for one value: byte strings as hex.
    fn show(&self, w: &Wire, v: TokenStream) -> TokenStream {
        if is_bytes(w) {
            quote!(&crate::codec::Hex(&#v[..]))
        } else {
            quote!(&#v)
        }
    }

    fn def(&self, i: usize, d: &Def) -> TokenStream {
        let mut doc = d.doc.clone();
        if doc.is_empty() {
            doc.push(format!("`{}`", d.name));
        }
        for (e, v) in &d.typed_for {
            doc.push(String::new());
            doc.push(format!("The body of `{e}.{v}`."));
        }
        let doc = docs(&doc);
        match &d.kind {
            DefKind::Enum(e) => self.wire_enum(d, e, doc),
            DefKind::ContextEnum(vals) => {
                let n = ident(&d.rust);
                let vs: Vec<Ident> = vals.iter().map(|v| ident(&camel(v))).collect();
                let idx = 0..vs.len() as u64;
                quote! {
                    #doc
                    ///
                    /// Context for decoding: chosen by the connection, never on the wire.
                    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
                    pub enum #n { #(#vs),* }
                    impl #n {
                        /// Position in the definition (these values are never on the wire).
                        pub fn value(self) -> u64 { match self { #(Self::#vs => #idx),* } }
                    }
                }
            }
            DefKind::ContextStruct => TokenStream::new(),
            DefKind::Alias(w) => self.alias(i, d, w, doc),
            DefKind::Struct(s) => match s.flattened_select() {
                Some(sel) => self.flat_struct(d, s, sel, doc),
                None => self.plain_struct(d, s, doc),
            },
        }
    }

    fn wire_enum(&self, d: &Def, e: &EnumDef, doc: TokenStream) -> TokenStream {
        let n = ident(&d.rust);
        let repr = uint_ty(e.width);
        let vs: Vec<Ident> = e.values.iter().map(|v| ident(&v.rust)).collect();
        let vdocs = e
            .values
            .iter()
            .map(|v| format!(" `{}({})`", v.name, v.value));
        let nums: Vec<TokenStream> = e
            .values
            .iter()
            .map(|v| {
                let lit = proc_macro2::Literal::u64_unsuffixed(v.value);
                quote!(#lit)
            })
            .collect();
        let mut extra = Vec::new();
        for (name, lo, hi) in &e.ranges {
            extra.push(format!("Reserved: `{name}({lo:#x}..{hi:#x})`."));
        }
        let extra = docs(&extra);
        let read = match e.width {
            1 => quote!(r.u8()),
            2 => quote!(r.u16()),
            3 => quote!(r.u24()),
            _ => quote!(r.u32()),
        };
        let write = if e.width == 3 {
            quote!(crate::codec::put_u24(out, self.value());)
        } else {
            quote!(out.extend_from_slice(&self.value().to_be_bytes());)
        };
        let names = e.values.iter().map(|v| v.rust.clone());
        // Traces print names on one line even in `{:#?}`; unnamed values in the RFCs' usual base.
        let unknown_fmt = match e.width {
            1 => "Unknown({})".to_string(),
            w => format!("Unknown({{:#0{}x}})", 2 + 2 * w as usize),
        };
        let debug_unknown = if e.open {
            quote!(Self::Unknown(v) => write!(f, #unknown_fmt, v),)
        } else {
            quote!()
        };
        let debug = quote! {
            impl core::fmt::Debug for #n {
                fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                    match self { #( Self::#vs => f.write_str(#names), )* #debug_unknown }
                }
            }
        };
        if e.open {
            quote! {
                #doc
                #extra
                ///
                /// Open: values this schema does not name decode to `Unknown` and encode back unchanged.
                #[derive(Clone, Copy, PartialEq, Eq, Hash)]
                #[allow(non_camel_case_types)]
                pub enum #n { #( #[doc = #vdocs] #vs, )* Unknown(#repr) }
                impl #n {
                    /// The value for a wire number; numbers without a name give `Unknown`.
                    pub fn from_value(v: #repr) -> Self {
                        match v { #( #nums => Self::#vs, )* _ => Self::Unknown(v) }
                    }
                    /// The wire number.
                    pub fn value(self) -> #repr {
                        match self { #( Self::#vs => #nums, )* Self::Unknown(v) => v }
                    }
                }
                impl<'a> Codec<'a> for #n {
                    #[inline]
                    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
                        Ok(Self::from_value(#read?))
                    }
                }
                impl Encode for #n {
                    fn encode(&self, out: &mut Vec<u8>) { #write }
                }
                #debug
            }
        } else {
            quote! {
                #doc
                #extra
                ///
                /// Closed: a value this schema does not name is a decode error.
                #[derive(Clone, Copy, PartialEq, Eq, Hash)]
                #[allow(non_camel_case_types)]
                pub enum #n { #( #[doc = #vdocs] #vs, )* }
                impl #n {
                    /// The value for a wire number, if this enum names it.
                    pub fn from_value(v: #repr) -> Option<Self> {
                        match v { #( #nums => Some(Self::#vs), )* _ => None }
                    }
                    /// The wire number.
                    pub fn value(self) -> #repr {
                        match self { #( Self::#vs => #nums, )* }
                    }
                }
                impl<'a> Codec<'a> for #n {
                    #[inline]
                    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
                        let at = r.offset();
                        let v = #read?;
                        Self::from_value(v).ok_or_else(|| DecodeError::new(DecodeErrorKind::UnknownValue { value: v as u64 }, at))
                    }
                }
                impl Encode for #n {
                    fn encode(&self, out: &mut Vec<u8>) { #write }
                }
                #debug
            }
        }
    }

    /// `impl Codec` for context-free types, inherent `decode`/`from_bytes` for the others.
    fn decode_impls(&self, d: &Def, body: TokenStream) -> TokenStream {
        let n = ident(&d.rust);
        let lt = self.lt(d.borrows);
        let name = &d.name;
        if d.context.is_empty() {
            quote! {
                impl<'a> Codec<'a> for #n #lt {
                    #[inline]
                    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> { #body }
                }
            }
        } else {
            let params = self.params(&d.context);
            let names = d.context.keys().map(|k| ident(&ctx_param(k)));
            quote! {
                impl<'a> #n #lt {
                    /// Decodes one value from the front of `r`, given context that is not in the bytes.
                    #[inline]
                    pub fn decode(r: &mut Reader<'a> #params) -> Result<Self, DecodeError> { #body }
                    /// Decodes a value that must fill `bytes` exactly.
                    pub fn from_bytes(bytes: &'a [u8] #params) -> Result<Self, DecodeError> {
                        let mut r = Reader::new(bytes);
                        let v = Self::decode(&mut r #(, #names)*).map_err(|e| e.root(#name))?;
                        r.finish().map_err(|e| e.root(#name))?;
                        Ok(v)
                    }
                }
            }
        }
    }

    fn alias(&self, _i: usize, d: &Def, w: &Wire, doc: TokenStream) -> TokenStream {
        let n = ident(&d.rust);
        let lt = self.lt(d.borrows);
        let t = self.ty(w);
        let dec = self.dec(w, &BTreeMap::new());
        let enc = self.enc(w, quote!(&self.0));
        let show = self.show(w, quote!(self.0));
        let decode = self.decode_impls(d, quote!(Ok(Self(#dec?))));
        let name = &d.name;
        quote! {
            #doc
            #[derive(Clone, PartialEq, Eq)]
            pub struct #n #lt(pub #t);
            #decode
            impl #lt Encode for #n #lt {
                fn encode(&self, out: &mut Vec<u8>) { #enc }
            }
            impl #lt core::fmt::Debug for #n #lt {
                fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                    f.debug_tuple(#name).field(#show).finish()
                }
            }
        }
    }

    /// Decodes `fields` in order into locals; returns statements and the bound context.
    fn dec_fields(
        &self,
        struct_name: &str,
        fields: &[Field],
        outer: &BTreeMap<String, Ident>,
    ) -> TokenStream {
        let mut bound = outer.clone();
        let mut stmts = TokenStream::new();
        for f in fields {
            let local = if matches!(f.role, Role::SelectorOf(_)) {
                format_ident!("__selector")
            } else {
                ident(&f.rust)
            };
            let mut e = self.dec(&f.wire, &bound);
            let label = f.name.as_str();
            let flattened = matches!(&f.wire, Wire::Select(_))
                || matches!(&f.wire, Wire::Delimited { inner, .. } if matches!(inner.as_ref(), Wire::Select(_)));
            if !flattened && !label.is_empty() {
                e = quote!((#e).map_err(|e| e.field(#label)));
            }
            stmts.extend(quote!(let #local = #e?;));
            bound.insert(format!("{struct_name}.{}", f.name), local);
        }
        stmts
    }

    fn enc_fields(&self, fields: &[Field], access: impl Fn(&Field) -> TokenStream) -> TokenStream {
        let mut stmts = TokenStream::new();
        for f in fields {
            match f.role {
                Role::SelectorOf(j) => {
                    let sel = access(&fields[j]);
                    stmts.extend(quote!(Encode::encode(&(#sel).selector(), out);));
                }
                Role::Stored => stmts.extend(self.enc(&f.wire, access(f))),
            }
        }
        stmts
    }

    fn plain_struct(&self, d: &Def, s: &StructDef, doc: TokenStream) -> TokenStream {
        let n = ident(&d.rust);
        let lt = self.lt(d.borrows);
        let stored: Vec<&Field> = s.fields.iter().filter(|f| f.role == Role::Stored).collect();
        let names: Vec<Ident> = stored.iter().map(|f| ident(&f.rust)).collect();
        let tys = stored.iter().map(|f| self.ty(&f.wire));
        let fdocs = stored.iter().map(|f| docs(&f.doc));
        let labels = stored.iter().map(|f| f.rust.clone());
        let shows = stored.iter().map(|f| {
            let n = ident(&f.rust);
            self.show(&f.wire, quote!(self.#n))
        });
        let body = self.dec_fields(&d.name, &s.fields, &BTreeMap::new());
        let decode = self.decode_impls(d, quote!(#body Ok(Self { #(#names),* })));
        let enc = self.enc_fields(&s.fields, |f| {
            let n = ident(&f.rust);
            quote!(&self.#n)
        });
        let selects = self.nested_selects(&s.fields);
        let name = &d.name;
        quote! {
            #doc
            #[derive(Clone, PartialEq, Eq)]
            pub struct #n #lt { #( #fdocs pub #names: #tys, )* }
            #decode
            impl #lt Encode for #n #lt {
                #[allow(unused_variables)]
                fn encode(&self, out: &mut Vec<u8>) { #enc }
            }
            impl #lt core::fmt::Debug for #n #lt {
                fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                    f.debug_struct(#name) #( .field(#labels, #shows) )* .finish()
                }
            }
            #selects
        }
    }

    /// The enums for selects inside struct fields (not flattened ones).
    fn nested_selects(&self, fields: &[Field]) -> TokenStream {
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
    fn flat_struct(&self, d: &Def, s: &StructDef, sel: &Select, doc: TokenStream) -> TokenStream {
        let body = self.dec_fields(&d.name, &s.fields, &BTreeMap::new());
        let last = s
            .fields
            .iter()
            .find(|f| f.role == Role::Stored)
            .map(|f| ident(&f.rust));
        let decode = self.decode_impls(d, quote!(#body Ok(#last)));
        let enc = self.enc_fields(&s.fields, |_| quote!(self));
        let n = ident(&d.rust);
        let lt = self.lt(d.borrows);
        let inner = self.select_enum(sel, Some(doc));
        quote! {
            #inner
            #decode
            impl #lt Encode for #n #lt {
                fn encode(&self, out: &mut Vec<u8>) { #enc }
            }
        }
    }

    fn select_enum(&self, s: &Select, doc: Option<TokenStream>) -> TokenStream {
        let n = ident(&s.rust);
        let lt = self.lt(self.m.select_borrows(s));
        let sel_ty = self.def_ty(s.selector_def);
        let doc = doc.unwrap_or_else(|| {
            let mut d = s.doc.clone();
            d.push(format!(
                "Selected by `{}`.",
                self.m.defs[s.selector_def].name
            ));
            docs(&d)
        });
        let mut variants = Vec::new();
        let mut selector_arms = Vec::new();
        let mut decode_arms = Vec::new();
        let mut encode_arms = Vec::new();
        let mut debug_arms = Vec::new();
        let mut nested = TokenStream::new();
        let needs = self.m.select_context(s);
        let bound = BTreeMap::new();
        for a in &s.arms {
            let v = ident(&a.rust);
            let val = ident(&a.value_rust);
            let label = a.label.as_str();
            let vdoc = format!(" `case {}`", a.label);
            selector_arms.push(quote!(Self::#v { .. } => #sel_ty::#val,));
            match &a.body {
                ArmBody::Empty => {
                    variants.push(quote!(#[doc = #vdoc] #v));
                    decode_arms.push(quote!(#sel_ty::#val => Ok(Self::#v),));
                    encode_arms.push(quote!(Self::#v => {}));
                    debug_arms.push(quote!(Self::#v => f.write_str(#label),));
                }
                ArmBody::Single(w) => {
                    let t = self.ty(w);
                    variants.push(quote!(#[doc = #vdoc] #v(#t)));
                    let e = self.dec(w, &bound);
                    decode_arms.push(
                        quote!(#sel_ty::#val => Ok(Self::#v((#e).map_err(|e| e.field(#label))?)),),
                    );
                    let enc = self.enc(w, quote!(x));
                    encode_arms.push(quote!(Self::#v(x) => { #enc }));
                    let show = self.show(w, quote!(x));
                    debug_arms
                        .push(quote!(Self::#v(x) => f.debug_tuple(#label).field(#show).finish(),));
                    if let Wire::Select(inner) = w {
                        nested.extend(self.select_enum(inner, None));
                    }
                }
                ArmBody::Fields(fs) => {
                    let stored: Vec<&Field> =
                        fs.iter().filter(|f| f.role == Role::Stored).collect();
                    let names: Vec<Ident> = stored.iter().map(|f| ident(&f.rust)).collect();
                    let tys = stored.iter().map(|f| self.ty(&f.wire));
                    let fdocs = stored.iter().map(|f| docs(&f.doc));
                    variants.push(quote!(#[doc = #vdoc] #v { #( #fdocs #names: #tys ),* }));
                    let body = self.dec_fields(&s.rust, fs, &bound);
                    decode_arms.push(quote!(#sel_ty::#val => (|| -> Result<Self, DecodeError> { #body Ok(Self::#v { #(#names),* }) })().map_err(|e| e.field(#label)),));
                    let enc = self.enc_fields(fs, |f| {
                        let n = ident(&f.rust);
                        quote!(#n)
                    });
                    encode_arms.push(quote!(Self::#v { #(#names),* } => { #enc }));
                    let labels = stored.iter().map(|f| f.rust.clone());
                    let shows = stored.iter().map(|f| {
                        let n = ident(&f.rust);
                        self.show(&f.wire, quote!(#n))
                    });
                    debug_arms.push(quote!(Self::#v { #(#names),* } => f.debug_struct(#label) #( .field(#labels, #shows) )* .finish(),));
                    nested.extend(self.nested_selects(fs));
                }
            }
        }
        let unknown = if s.unknown_raw {
            variants.push(quote!(
                /// A value with no registered body, kept as raw bytes.
                Unknown(#sel_ty, &'a [u8])
            ));
            selector_arms.push(quote!(Self::Unknown(v, _) => *v,));
            encode_arms.push(quote!(Self::Unknown(_, b) => out.extend_from_slice(b),));
            debug_arms.push(quote!(Self::Unknown(v, b) => f.debug_tuple("Unknown").field(v).field(&crate::codec::Hex(b)).finish(),));
            quote!(other => Ok(Self::Unknown(other, r.rest())),)
        } else if let Some(d) = &s.default {
            let t = self.ty(&d.wire);
            let label = d.label.as_str();
            variants.push(quote!(
                /// `default:` a value without a `case`, with its body.
                Unknown(#sel_ty, #t)
            ));
            selector_arms.push(quote!(Self::Unknown(v, _) => *v,));
            let e = self.dec(&d.wire, &bound);
            let enc = self.enc(&d.wire, quote!(x));
            encode_arms.push(quote!(Self::Unknown(_, x) => { #enc }));
            let show = self.show(&d.wire, quote!(x));
            debug_arms.push(quote!(Self::Unknown(v, x) => f.debug_tuple("Unknown").field(v).field(#show).finish(),));
            quote!(other => Ok(Self::Unknown(other, (#e).map_err(|e| e.field(#label))?)),)
        } else {
            quote!(other => Err(DecodeError::new(DecodeErrorKind::NoCase { value: other.value() as u64 }, r.offset())),)
        };
        let params = self.params(&needs);
        quote! {
            #doc
            #[derive(Clone, PartialEq, Eq)]
            pub enum #n #lt { #(#variants),* }
            impl<'a> #n #lt {
                /// The selector value this variant is written with.
                pub fn selector(&self) -> #sel_ty {
                    match self { #(#selector_arms)* }
                }
                /// Decodes the arm chosen by `selector`.
                #[allow(unreachable_patterns, unused_variables, clippy::redundant_closure_call)]
                #[inline]
                pub fn decode_arm(r: &mut Reader<'a>, selector: #sel_ty #params) -> Result<Self, DecodeError> {
                    match selector { #(#decode_arms)* #unknown }
                }
                /// Encodes the arm's content (not the selector).
                #[allow(unused_variables)]
                pub fn encode_arm(&self, out: &mut Vec<u8>) {
                    match self { #(#encode_arms)* }
                }
            }
            impl #lt core::fmt::Debug for #n #lt {
                fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                    match self { #(#debug_arms)* }
                }
            }
            #nested
        }
    }
}
