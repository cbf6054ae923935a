//! `encode_find`: encoding a value while finding where the field at a path starts (RFC 8446
//! section 4.2.11.2: the PSK binders are computed over the ClientHello up to its binders list).
//!
//! A path names struct fields and select arms by their schema names, and passes through vectors
//! (the first element that has the path wins) and through a struct that is a select (`Handshake`):
//! `["client_hello", "extensions", "pre_shared_key", "client_hello", "binders"]` in a
//! `Handshake`. The offset is where the field's encoding starts, its length prefix included.
//! Enums and aliases find nothing inside themselves (the `Encode` default).

use super::shapes::Val;
use super::{ident, lit, Gen};
use crate::model::*;
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

impl Gen<'_> {
    /// An expression of type `Option<usize>` that encodes `v` (of shape `w`) and finds `path`
    /// (an ident of type `&[&str]`) inside it; `None` if the shape holds nothing to find.
    fn find(&self, w: &Wire, v: &Val, path: &Ident) -> Option<TokenStream> {
        match w {
            Wire::Ref(i) => match &self.m.defs[*i].kind {
                DefKind::Struct(s) if has_find(s) => {
                    let x = v.recv();
                    Some(quote!(#x.encode_find(out, #path)))
                }
                _ => None,
            },
            Wire::Vector { elem, .. } | Wire::FixedVec { elem, .. }
                if !matches!(**elem, Wire::UInt(1)) =>
            {
                let inner = self.find(elem, &Val::Ref(format_ident!("e")), path)?;
                let x = v.by_ref();
                let p = lit(match w {
                    Wire::Vector { prefix, .. } => *prefix,
                    _ => 0,
                });
                Some(quote!({
                    let mut found = None;
                    put_prefixed(out, #p, |out| {
                        for e in #x {
                            let f = #inner;
                            found = found.or(f);
                        }
                    });
                    found
                }))
            }
            Wire::Delimited { prefix, inner, .. } => {
                let inner = self.find(inner, v, path)?;
                let p = lit(*prefix);
                Some(quote!({
                    let mut found = None;
                    put_prefixed(out, #p, |out| found = #inner);
                    found
                }))
            }
            Wire::Optional(inner) => {
                let name = v.name().clone();
                let inner = self.find(inner, &Val::Ref(name.clone()), path)?;
                let x = v.by_ref();
                Some(quote!(match #x { Some(#name) => #inner, None => None }))
            }
            Wire::Select(_) => {
                let x = v.recv();
                Some(quote!(#x.encode_arm_find(out, #path)))
            }
            _ => None,
        }
    }

    /// Statements that encode `fields` (as `enc_fields` does) and set `found` to where the
    /// field `head` starts (or to what `rest` finds inside it). An unnamed field (a struct's
    /// only select) takes the whole path, `whole`.
    pub(super) fn find_fields(
        &self,
        fields: &[Field],
        access: impl Fn(&Field) -> Val,
        whole: &Ident,
    ) -> TokenStream {
        let rest = format_ident!("rest");
        let encs = self.enc_fields(fields, &access);
        let mut out = TokenStream::new();
        for (f, enc) in fields.iter().zip(encs) {
            let name = f.name.as_str();
            let stored = f.role == Role::Stored;
            let flat = stored && (name.is_empty() || self.flattens(f, fields));
            let found = if stored {
                let p = if flat { whole } else { &rest };
                self.find(&f.wire, &access(f), p)
            } else {
                None
            };
            let enc = enc.stmt();
            out.extend(match found {
                Some(inner) if flat => quote! {
                    let inner = #inner;
                    found = found.or(inner);
                },
                Some(inner) => quote! {
                    let at = out.len();
                    let inner = #inner;
                    find_step(&mut found, (head, rest), #name, at, inner);
                },
                None => quote! {
                    find_step(&mut found, (head, rest), #name, out.len(), None);
                    #enc
                },
            });
        }
        out
    }

    /// Whether `f` is the select that a flattened struct is: its path steps are the arms.
    fn flattens(&self, f: &Field, fields: &[Field]) -> bool {
        let s = StructDef {
            fields: fields.to_vec(),
            padded: false,
        };
        s.flattened_select().is_some() && select_of(&f.wire).is_some()
    }

    /// `fn encode_find` of a struct (plain or flattened), inside its `impl Encode`.
    pub(super) fn encode_find_fn(
        &self,
        s: &StructDef,
        access: impl Fn(&Field) -> Val,
    ) -> TokenStream {
        if !has_find(s) {
            return TokenStream::new();
        }
        let path = format_ident!("path");
        if s.flattened_select().is_some() {
            // A struct that is a select: the path's steps are its arms; the fields around the
            // select (selector, length) are written as usual.
            let encs = self.enc_fields(&s.fields, &access);
            let mut stmts = TokenStream::new();
            let mut tail = quote!(found);
            let last = s.fields.len().saturating_sub(1);
            for (i, (f, enc)) in s.fields.iter().zip(encs).enumerate() {
                let found = match f.role {
                    Role::Stored => self.find(&f.wire, &access(f), &path),
                    _ => None,
                };
                match found {
                    Some(inner) if i == last => tail = inner,
                    Some(inner) => stmts.extend(quote!(let found = #inner;)),
                    None => stmts.extend(enc.stmt()),
                }
            }
            return quote! {
                fn encode_find(&self, out: &mut Vec<u8>, path: &[&str]) -> Option<usize> {
                    #stmts
                    #tail
                }
            };
        }
        let stmts = self.find_fields(&s.fields, access, &path);
        quote! {
            fn encode_find(&self, out: &mut Vec<u8>, path: &[&str]) -> Option<usize> {
                let (head, rest) = match path.split_first() {
                    Some((h, r)) => (Some(*h), r),
                    None => (None, path),
                };
                let mut found: Option<usize> = None;
                #stmts
                found
            }
        }
    }

    /// The arm of a select's `encode_arm_find` for one `case`: `at` is where the arm starts.
    pub(super) fn find_arm(&self, a: &SelArm) -> TokenStream {
        let v = ident(&a.rust);
        let label = a.label.as_str();
        let body = format_ident!("body");
        let rest = format_ident!("rest");
        match &a.body {
            ArmBody::Empty => {
                quote!(Self::#v => (head == Some(#label) && rest.is_empty()).then_some(at),)
            }
            ArmBody::Single(w) => match self.find(w, &Val::Ref(body.clone()), &rest) {
                Some(inner) => quote!(Self::#v(#body) => {
                    let inner = #inner;
                    if head == Some(#label) {
                        if rest.is_empty() { Some(at) } else { inner }
                    } else {
                        None
                    }
                }),
                None => {
                    let enc = self.enc(w, &Val::Ref(body.clone())).stmt();
                    quote!(Self::#v(#body) => {
                        #enc
                        (head == Some(#label) && rest.is_empty()).then_some(at)
                    })
                }
            },
            ArmBody::Fields(fs) => {
                let stored: Vec<Ident> = fs
                    .iter()
                    .filter(|f| f.role == Role::Stored)
                    .map(|f| ident(&f.rust))
                    .collect();
                let bound = |f: &Field| Val::Ref(ident(&f.rust));
                let whole = format_ident!("sub");
                let stmts = self.find_fields(fs, bound, &whole);
                quote!(Self::#v { #(#stored),* } => {
                    let sub: &[&str] = if head == Some(#label) { rest } else { &[] };
                    let here = head == Some(#label) && rest.is_empty();
                    let (head, rest) = match sub.split_first() {
                        Some((h, r)) => (Some(*h), r),
                        None => (None, sub),
                    };
                    let mut found: Option<usize> = here.then_some(at);
                    #stmts
                    found
                })
            }
        }
    }
}

/// Whether a struct's `encode_find` finds anything (it has fields, and is not `padded`).
pub(super) fn has_find(s: &StructDef) -> bool {
    !s.padded && !s.fields.is_empty()
}

fn select_of(w: &Wire) -> Option<&Select> {
    match w {
        Wire::Select(s) => Some(s),
        Wire::Delimited { inner, .. } => select_of(inner),
        _ => None,
    }
}
