//! One wire shape: the Rust type that holds it, the expression that decodes it, the code that
//! encodes it and the value its `Debug` shows.

use super::{ident, lit, lt, uint_ty, Gen};
use crate::model::*;
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};
use std::collections::{BTreeMap, BTreeSet};

/// How generated code reaches a value of a shape's type `T`.
#[derive(Clone)]
pub(super) enum Val {
    /// A place of type `T` (`self.random`), and the name to bind what it holds (`random`).
    Place(TokenStream, Ident),
    /// A binding of type `&T`: a match or loop variable.
    Ref(Ident),
}

impl Val {
    /// `self.name`.
    pub(super) fn field(name: &Ident) -> Val {
        Val::Place(quote!(self.#name), name.clone())
    }

    /// An expression of type `&T`.
    pub(super) fn by_ref(&self) -> TokenStream {
        match self {
            Val::Place(p, _) => quote!(&#p),
            Val::Ref(x) => quote!(#x),
        }
    }

    /// The value, for a `Copy` type.
    fn copied(&self) -> TokenStream {
        match self {
            Val::Place(p, _) => quote!(#p),
            Val::Ref(x) => quote!(*#x),
        }
    }

    /// A method receiver (auto-ref and auto-deref do the rest), or a `&[u8]` as it is.
    pub(super) fn recv(&self) -> TokenStream {
        match self {
            Val::Place(p, _) => quote!(#p),
            Val::Ref(x) => quote!(#x),
        }
    }

    pub(super) fn name(&self) -> &Ident {
        match self {
            Val::Place(_, n) | Val::Ref(n) => n,
        }
    }
}

/// Generated code of type `()`, and whether it is block-like (`for`, `if let`).
pub(super) struct Code {
    tokens: TokenStream,
    block: bool,
}

impl Code {
    pub(super) fn expr(tokens: TokenStream) -> Code {
        Code {
            tokens,
            block: false,
        }
    }

    fn block(tokens: TokenStream) -> Code {
        Code {
            tokens,
            block: true,
        }
    }

    /// As a statement.
    pub(super) fn stmt(&self) -> TokenStream {
        let t = &self.tokens;
        if self.block {
            t.clone()
        } else {
            quote!(#t;)
        }
    }

    /// As the body of a closure or a match arm.
    pub(super) fn body(&self) -> TokenStream {
        let t = &self.tokens;
        if self.block {
            quote!({ #t })
        } else {
            t.clone()
        }
    }

    /// Several as the body of a closure or a match arm.
    pub(super) fn body_of(codes: &[Code]) -> TokenStream {
        match codes {
            [one] => one.body(),
            _ => {
                let stmts = codes.iter().map(Code::stmt);
                quote!({ #(#stmts)* })
            }
        }
    }
}

/// What decoding code can name: locals bound to context keys (`Handshake.msg_type` ->
/// `msg_type`), and the locals of the fields decoded so far, by field index.
#[derive(Default, Clone)]
pub(super) struct Scope {
    pub bound: BTreeMap<String, Ident>,
    pub locals: Vec<Ident>,
    /// Context parameters of the enclosing function that are `Option`s.
    pub optional: BTreeSet<String>,
}

impl Scope {
    /// The scope of a function whose context parameters `optional` are `Option`s.
    pub(super) fn with_optional(optional: &BTreeSet<String>) -> Scope {
        Scope {
            optional: optional.clone(),
            ..Scope::default()
        }
    }
}

impl Gen<'_> {
    /// The Rust type holding a wire shape.
    pub(super) fn ty(&self, w: &Wire) -> TokenStream {
        match w {
            Wire::UInt(n) => uint_ty(*n),
            Wire::Ref(i) => self.def_ty(*i),
            Wire::FixedBytes(n) => {
                let n = lit(*n);
                quote!([u8; #n])
            }
            Wire::CtxBytes(_) => quote!(&'a [u8]),
            Wire::Vector { elem, .. } if matches!(**elem, Wire::UInt(1)) => quote!(&'a [u8]),
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
                let lt = lt(self.m.select_borrows(s));
                quote!(#n #lt)
            }
        }
    }

    /// Context parameters `, name: Type` for a set of context keys (`Option<Type>` for the
    /// `optional` ones).
    pub(super) fn params(
        &self,
        ctx: &BTreeMap<String, CtxKind>,
        optional: &BTreeSet<String>,
    ) -> TokenStream {
        let ps = ctx.iter().map(|(k, kind)| {
            let n = ident(&ctx_param(k));
            let t = match kind {
                CtxKind::Enum(i) => self.def_ty(*i),
                CtxKind::Len => quote!(usize),
                CtxKind::Bool => quote!(bool),
            };
            if optional.contains(k) {
                quote!(, #n: Option<#t>)
            } else {
                quote!(, #n: #t)
            }
        });
        quote!(#(#ps)*)
    }

    /// Arguments `, value` for a callee needing `needs` (`callee_optional` of them as
    /// `Option`s): the local a key is bound to, or the parameter of the same name; and the
    /// statements that unwrap an optional parameter the callee needs (`MissingContext` if it is
    /// `None`).
    pub(super) fn args(
        &self,
        needs: &BTreeMap<String, CtxKind>,
        callee_optional: &BTreeSet<String>,
        scope: &Scope,
    ) -> (TokenStream, TokenStream) {
        let mut unwrap = TokenStream::new();
        let a = needs.keys().map(|k| {
            let (v, have_opt) = match scope.bound.get(k) {
                Some(local) => (local.clone(), false),
                None => (ident(&ctx_param(k)), scope.optional.contains(k)),
            };
            match (have_opt, callee_optional.contains(k)) {
                (false, true) => quote!(, Some(#v)),
                (true, false) => {
                    unwrap.extend(quote!(let #v = need_context(#v, #k, r.offset())?;));
                    quote!(, #v)
                }
                _ => quote!(, #v),
            }
        });
        let args = quote!(#(#a)*);
        (unwrap, args)
    }

    /// The value of a context key the code needs as such: the local it is bound to, or the
    /// parameter (unwrapped by a statement added to `unwrap` if it is an `Option`).
    fn ctx_value(&self, k: &str, scope: &Scope, unwrap: &mut TokenStream) -> Ident {
        if let Some(local) = scope.bound.get(k) {
            return local.clone();
        }
        let v = ident(&ctx_param(k));
        if scope.optional.contains(k) {
            unwrap.extend(quote!(let #v = need_context(#v, #k, r.offset())?;));
        }
        v
    }

    /// An expression of type `Result<T, DecodeError>` reading `w` from `r`.
    pub(super) fn dec(&self, w: &Wire, scope: &Scope) -> TokenStream {
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
                let (unwrap, args) = self.args(&d.context, &d.optional, scope);
                with_unwrap(unwrap, quote!(#n::decode(r #args)))
            }
            Wire::FixedBytes(n) => {
                let n = lit(*n);
                quote!(r.array::<#n>())
            }
            Wire::CtxBytes(k) => {
                let mut unwrap = TokenStream::new();
                let len = self.ctx_value(k, scope, &mut unwrap);
                with_unwrap(unwrap, quote!(r.take(#len)))
            }
            Wire::Vector {
                elem,
                floor,
                ceiling,
                prefix,
            } => {
                let (p, f, c) = (lit(*prefix), lit(*floor), lit(*ceiling));
                if matches!(**elem, Wire::UInt(1)) {
                    quote!(r.opaque(#p, #f, #c))
                } else {
                    let size = lit(self.m.wire_size(elem).unwrap_or(1));
                    let e = self.decoder(elem, scope);
                    quote!(r.vector(#p, #f, #c, #size, #e))
                }
            }
            Wire::FixedVec { elem, bytes } => {
                let bytes = lit(*bytes);
                let e = self.decoder(elem, scope);
                quote!(r.fixed_vector(#bytes, #e))
            }
            Wire::Delimited {
                prefix,
                floor,
                ceiling,
                inner,
            } => {
                let (p, f, c) = (lit(*prefix), lit(*floor), lit(*ceiling));
                let e = self.decoder(inner, scope);
                quote!(r.delimited(#p, #f, #c, #e))
            }
            Wire::Optional(inner) => {
                let e = self.dec(inner, scope);
                quote!(if r.is_empty() { Ok(None) } else { #e.map(Some) })
            }
            Wire::Select(s) => {
                let n = ident(&s.rust);
                let mut unwrap = TokenStream::new();
                let sel = match &s.source {
                    SelectorSource::Context(k) => self.ctx_value(k, scope, &mut unwrap),
                    SelectorSource::Sibling(j) => scope
                        .locals
                        .get(*j)
                        .cloned()
                        .unwrap_or_else(|| format_ident!("selector")),
                };
                let (more, args) =
                    self.args(&self.m.select_context(s), &self.m.select_optional(s), scope);
                unwrap.extend(more);
                with_unwrap(unwrap, quote!(#n::decode_arm(r, #sel #args)))
            }
        }
    }

    /// Like [`dec`](Self::dec), and checks a field's prose rules: `unique`/`last` on each
    /// element of a vector of typed values as it is read, `zero` on an opaque vector's bytes.
    pub(super) fn dec_ruled(&self, w: &Wire, rules: &[Rule], scope: &Scope) -> TokenStream {
        if rules.is_empty() {
            return self.dec(w, scope);
        }
        match w {
            Wire::Optional(inner) => {
                let e = self.dec_ruled(inner, rules, scope);
                quote!(if r.is_empty() { Ok(None) } else { #e.map(Some) })
            }
            Wire::Delimited {
                prefix,
                floor,
                ceiling,
                inner,
            } => {
                let (p, f, c) = (lit(*prefix), lit(*floor), lit(*ceiling));
                let e = self.dec_ruled(inner, rules, scope);
                quote!(r.delimited(#p, #f, #c, |r| #e))
            }
            Wire::Vector {
                elem,
                floor,
                ceiling,
                prefix,
            } => {
                let (p, f, c) = (lit(*prefix), lit(*floor), lit(*ceiling));
                if matches!(**elem, Wire::UInt(1)) {
                    // `zero` is the only rule on a byte vector.
                    return quote!(r.zeros(#p, #f, #c));
                }
                let size = lit(self.m.wire_size(elem).unwrap_or(1));
                let e = self.decoder(elem, scope);
                let unique = rules.contains(&Rule::Unique);
                let sel = match **elem {
                    Wire::Ref(i) => match &self.m.defs[i].kind {
                        DefKind::Struct(s) => {
                            s.flattened_select().map(|s| self.def_ty(s.selector_def))
                        }
                        _ => None,
                    },
                    _ => None,
                };
                let last = rules.iter().find_map(|r| match r {
                    Rule::Last(v) => {
                        let v = ident(v);
                        Some(quote!(Some(#sel::#v.value().into())))
                    }
                    _ => None,
                });
                let last = last.unwrap_or_else(|| quote!(None));
                quote!(r.checked_vector(#p, #f, #c, #size, #e, |e| e.selector().value().into(), #unique, #last))
            }
            _ => self.dec(w, scope),
        }
    }

    /// A function decoding `w` from a reader: `T::decode` itself when it takes no context,
    /// otherwise a closure.
    fn decoder(&self, w: &Wire, scope: &Scope) -> TokenStream {
        match w {
            Wire::Ref(i) if self.m.defs[*i].context.is_empty() => {
                let n = ident(&self.m.defs[*i].rust);
                quote!(#n::decode)
            }
            _ => {
                let e = self.dec(w, scope);
                quote!(|r| #e)
            }
        }
    }

    /// Code writing `v` (of the shape `w`) to `out`.
    pub(super) fn enc(&self, w: &Wire, v: &Val) -> Code {
        match w {
            Wire::UInt(3) => {
                let x = v.copied();
                Code::expr(quote!(put_u24(out, #x)))
            }
            Wire::UInt(_) => {
                let x = v.recv();
                Code::expr(quote!(out.extend_from_slice(&#x.to_be_bytes())))
            }
            Wire::Ref(_) => {
                let x = v.recv();
                Code::expr(quote!(#x.encode(out)))
            }
            Wire::FixedBytes(_) => {
                let x = v.by_ref();
                Code::expr(quote!(out.extend_from_slice(#x)))
            }
            Wire::CtxBytes(_) => {
                let x = v.recv();
                Code::expr(quote!(out.extend_from_slice(#x)))
            }
            Wire::Vector { elem, prefix, .. } if *prefix > 0 && matches!(**elem, Wire::UInt(1)) => {
                // Opaque bytes: the length is known before writing, so it goes first, with no
                // placeholder to patch afterwards (`put_prefixed`'s way).
                let x = v.recv();
                let p = lit(*prefix);
                Code::expr(quote!(put_opaque(out, #p, #x)))
            }
            Wire::Vector { elem, prefix, .. } => {
                let body = if matches!(**elem, Wire::UInt(1)) {
                    let x = v.recv();
                    Code::expr(quote!(out.extend_from_slice(#x)))
                } else {
                    self.for_each(elem, v)
                };
                prefixed(*prefix, body)
            }
            Wire::FixedVec { elem, .. } => self.for_each(elem, v),
            Wire::Delimited { prefix, inner, .. } => prefixed(*prefix, self.enc(inner, v)),
            Wire::Optional(inner) => {
                let x = v.by_ref();
                let name = v.name();
                let e = self.enc(inner, &Val::Ref(name.clone())).stmt();
                Code::block(quote!(if let Some(#name) = #x { #e }))
            }
            Wire::Select(_) => {
                let x = v.recv();
                Code::expr(quote!(#x.encode_arm(out)))
            }
        }
    }

    /// `for e in &v { ... }`: each element of a vector.
    fn for_each(&self, elem: &Wire, v: &Val) -> Code {
        let x = v.by_ref();
        let e = self.enc(elem, &Val::Ref(format_ident!("e"))).stmt();
        Code::block(quote!(for e in #x { #e }))
    }

    /// What `Debug` shows for `v`, of type `&dyn Debug`: byte strings as `Hex`, a `secret` as
    /// only its length.
    pub(super) fn show(&self, w: &Wire, v: &Val, secret: bool) -> TokenStream {
        let mut bytes = w;
        while let Wire::Delimited { inner, .. } = bytes {
            bytes = inner;
        }
        if secret {
            let x = v.recv();
            return quote!(&Redacted(#x.len()));
        }
        match bytes {
            Wire::FixedBytes(_) => {
                let x = v.by_ref();
                quote!(&Hex(#x))
            }
            b if b.is_bytes() => {
                let x = v.recv();
                quote!(&Hex(#x))
            }
            _ => v.by_ref(),
        }
    }
}

/// A decoding expression preceded by statements unwrapping optional context, as one expression.
fn with_unwrap(unwrap: TokenStream, e: TokenStream) -> TokenStream {
    if unwrap.is_empty() {
        e
    } else {
        quote!(({ #unwrap #e }))
    }
}

/// `put_prefixed(out, prefix, |out| body)`; the body alone for a field without a length prefix.
fn prefixed(prefix: u8, body: Code) -> Code {
    if prefix == 0 {
        return body;
    }
    let p = lit(prefix);
    let b = body.body();
    Code::expr(quote!(put_prefixed(out, #p, |out| #b)))
}
