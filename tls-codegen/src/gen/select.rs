//! A select's enum: one variant per `case` label (and `Unknown` for raw or `default:` bodies),
//! with `selector`, `decode_arm` (which calls a function of its own for each arm with fields),
//! `encode_arm` and `Debug`.

use super::docs::Doc;
use super::shapes::{Code, Scope, Val};
use super::{anon_lt, ident, lt, Gen};
use crate::model::*;
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};
use std::collections::{BTreeMap, BTreeSet};

/// The pieces of a select's enum, gathered arm by arm.
#[derive(Default)]
struct Arms {
    variants: Vec<TokenStream>,
    selector: Vec<TokenStream>,
    decode: Vec<TokenStream>,
    decode_fns: Vec<TokenStream>,
    encode: Vec<TokenStream>,
    debug: Vec<TokenStream>,
    /// Whether any arm of `decode_arm` reads from `r`, and any of `encode_arm` writes to `out`.
    reads: bool,
    writes: bool,
}

impl Gen<'_> {
    /// Writes a select's selector, taken from the variant of `select`.
    pub(super) fn enc_selector(&self, select: &Val) -> Code {
        let x = match select {
            Val::Place(p, _) => p.clone(),
            Val::Ref(x) => quote!(#x),
        };
        Code::expr(quote!(#x.selector().encode(out)))
    }

    /// The enum of a select, with `doc` for a flattened struct's (otherwise the select's own).
    pub(super) fn select_enum(&self, s: &Select, doc: Option<Doc>) -> TokenStream {
        let n = ident(&s.rust);
        let borrows = self.m.select_borrows(s);
        let (lt, anon) = (lt(borrows), anon_lt(borrows));
        let sel_ty = self.sel_ty(s);
        let sel_def = &self.m.defs[s.selector_def];
        let doc = doc
            .unwrap_or_else(|| {
                let mut d = Doc::default();
                d.paras(&s.doc);
                match &s.source {
                    SelectorSource::Context(k) if s.boolean => {
                        d.para(format!("Selected by `{k}`."))
                    }
                    _ => d.para(format!("Selected by `{}`.", sel_def.name)),
                };
                d.para(format!("From {}.", self.cite(s.loc)));
                d
            })
            .render(0);
        // In `decode_arm`, a selector taken from context is the `selector` parameter itself.
        let mut scope = Scope::with_optional(&self.m.select_optional(s));
        if let SelectorSource::Context(k) = &s.source {
            scope.bound.insert(k.clone(), format_ident!("selector"));
        }
        let mut arms = Arms::default();
        let mut nested = TokenStream::new();
        for a in &s.arms {
            self.arm(s, a, &scope, &mut arms);
            match &a.body {
                ArmBody::Single(Wire::Select(inner)) => {
                    nested.extend(self.select_enum(inner, None))
                }
                ArmBody::Fields(fs) => nested.extend(self.nested_selects(fs)),
                _ => {}
            }
        }
        let mut find_arms: Vec<TokenStream> = s.arms.iter().map(|a| self.find_arm(a)).collect();
        if s.unknown_raw || s.default.is_some() {
            find_arms.push(quote!(Self::Unknown(..) => { self.encode_arm(out); None }));
        }
        let find_body = if s.arms.is_empty() {
            quote!({
                self.encode_arm(out);
                None
            })
        } else {
            quote!({
                let (head, rest) = match path.split_first() {
                    Some((h, r)) => (Some(*h), r),
                    None => (None, path),
                };
                let at = out.len();
                match self { #(#find_arms)* }
            })
        };
        let path = if s.arms.is_empty() {
            quote!(_path)
        } else {
            quote!(path)
        };
        let fallback = self.unknown_arm(s, &scope, &mut arms);
        let covered = match &sel_def.kind {
            // Both `case true` and `case false` (lowering requires them).
            _ if s.boolean => true,
            DefKind::Enum(e) if !e.open => e
                .values
                .iter()
                .all(|v| s.arms.iter().any(|a| a.value_rust == v.rust)),
            DefKind::ContextEnum(values) => values
                .iter()
                .all(|v| s.arms.iter().any(|a| a.value_rust == camel(v))),
            _ => false,
        };
        // A value every arm misses has no arm to reach when the cases cover the enum.
        let fallback = if covered {
            quote!()
        } else {
            arms.reads = true;
            fallback
        };
        let params = self.params(&self.m.select_context(s), &self.m.select_optional(s));
        let r = if arms.reads { quote!(r) } else { quote!(_r) };
        let out = if arms.writes {
            quote!(out)
        } else {
            quote!(_out)
        };
        let Arms {
            variants,
            selector,
            decode,
            decode_fns,
            encode,
            debug,
            ..
        } = arms;
        quote! {
            #doc
            #[derive(Clone, PartialEq, Eq)]
            pub enum #n #lt { #(#variants),* }
            impl<'a> #n #lt {
                /// The selector value this variant is written with.
                pub fn selector(&self) -> #sel_ty {
                    match self { #(#selector)* }
                }
                /// Decodes the arm chosen by `selector`.
                #[inline]
                pub fn decode_arm(#r: &mut Reader<'a>, selector: #sel_ty #params) -> Result<Self, DecodeError> {
                    match selector { #(#decode)* #fallback }
                }
                #(#decode_fns)*
                /// Encodes the arm's content (not the selector).
                pub fn encode_arm(&self, #out: &mut Vec<u8>) {
                    match self { #(#encode)* }
                }
                /// Encodes like `encode_arm`, and returns where in `out` the field at `path`
                /// starts (its first step names the arm; see `Encode::encode_find`).
                pub fn encode_arm_find(&self, out: &mut Vec<u8>, #path: &[&str]) -> Option<usize> #find_body
            }
            impl fmt::Debug for #n #anon {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    match self { #(#debug)* }
                }
            }
            #nested
        }
    }

    /// The selector's Rust type: its enum, or `bool` for a comparison.
    fn sel_ty(&self, s: &Select) -> TokenStream {
        if s.boolean {
            quote!(bool)
        } else {
            self.def_ty(s.selector_def)
        }
    }

    /// The variant of one `case` label, and its part of each method.
    fn arm(&self, s: &Select, a: &SelArm, scope: &Scope, arms: &mut Arms) {
        let v = ident(&a.rust);
        let sel_ty = self.sel_ty(s);
        let val = ident(&a.value_rust);
        // `SelectorEnum::Value`, or `true` / `false` for a comparison.
        let sel_ty = if s.boolean {
            quote!()
        } else {
            quote!(#sel_ty::)
        };
        let label = a.label.as_str();
        let doc = Doc::of(format!("`case {label}`")).render(4);
        let body = format_ident!("body");
        match &a.body {
            ArmBody::Empty => {
                arms.variants.push(quote!(#doc #v));
                arms.selector.push(quote!(Self::#v => #sel_ty #val,));
                arms.decode.push(quote!(#sel_ty #val => Ok(Self::#v),));
                arms.encode.push(quote!(Self::#v => {}));
                arms.debug.push(quote!(Self::#v => f.write_str(#label),));
            }
            ArmBody::Single(w) => {
                let t = self.ty(w);
                arms.variants.push(quote!(#doc #v(#t)));
                arms.selector.push(quote!(Self::#v(_) => #sel_ty #val,));
                let e = self.dec(w, scope);
                arms.decode
                    .push(quote!(#sel_ty #val => #e.map(Self::#v).in_field(#label),));
                let enc = self.enc(w, &Val::Ref(body.clone())).body();
                arms.encode.push(quote!(Self::#v(#body) => #enc,));
                let show = self.show(w, &Val::Ref(body.clone()), false);
                arms.debug
                    .push(quote!(Self::#v(#body) => f.debug_tuple(#label).field(#show).finish(),));
                arms.reads = true;
                arms.writes = true;
            }
            ArmBody::Fields(fs) => {
                let stored: Vec<&Field> = fs.iter().filter(|f| f.role == Role::Stored).collect();
                let names: Vec<Ident> = stored.iter().map(|f| ident(&f.rust)).collect();
                let fields = self.field_defs(&stored, 8, false);
                arms.variants.push(quote!(#doc #v { #fields }));
                arms.selector.push(quote!(Self::#v { .. } => #sel_ty #val,));
                // The arm's fields are decoded by a function of its own, which takes the
                // context they need (less what they bind themselves).
                let decode = format_ident!("decode_case_{}", snake(label));
                let mut needs = BTreeMap::new();
                self.m.arm_context(&a.body, &mut needs);
                needs.retain(|k, _| !fs.iter().any(|f| *k == format!("{}.{}", s.rust, f.name)));
                // Optional context stays optional: the arm's fields unwrap what they need.
                let optional: BTreeSet<String> = needs
                    .keys()
                    .filter(|k| scope.optional.contains(*k))
                    .cloned()
                    .collect();
                let params = self.params(&needs, &optional);
                let (_, args) = self.args(&needs, &optional, scope);
                let stmts = self.dec_fields(&s.rust, fs, &Scope::with_optional(&optional));
                let fn_doc = Doc::of(format!("Decodes the fields of `case {label}`.")).render(4);
                arms.decode_fns.push(quote! {
                    #fn_doc
                    #[inline]
                    fn #decode(r: &mut Reader<'a> #params) -> Result<Self, DecodeError> {
                        #stmts
                        Ok(Self::#v { #(#names),* })
                    }
                });
                arms.decode
                    .push(quote!(#sel_ty #val => Self::#decode(r #args).in_field(#label),));
                let bound = |f: &Field| Val::Ref(ident(&f.rust));
                let enc = Code::body_of(&self.enc_fields(fs, bound));
                arms.encode.push(quote!(Self::#v { #(#names),* } => #enc,));
                let debug = self.debug_fields(&stored, bound);
                arms.debug.push(quote!(
                    Self::#v { #(#names),* } => f.debug_struct(#label) #debug .finish(),
                ));
                arms.reads = true;
                arms.writes = true;
            }
        }
    }

    /// The `Unknown` variant (raw bytes of a typed extension, or a `default:` body) with its
    /// part of each method; returns `decode_arm`'s arm for values without a `case`.
    fn unknown_arm(&self, s: &Select, scope: &Scope, arms: &mut Arms) -> TokenStream {
        let sel_ty = self.sel_ty(s);
        let body = format_ident!("body");
        if s.unknown_raw {
            let doc = Doc::of("A value with no registered body, kept as raw bytes.").render(4);
            arms.variants.push(quote!(#doc Unknown(#sel_ty, &'a [u8])));
            arms.selector
                .push(quote!(Self::Unknown(value, _) => *value,));
            arms.encode
                .push(quote!(Self::Unknown(_, #body) => out.extend_from_slice(#body),));
            arms.debug.push(quote!(
                Self::Unknown(value, #body) => f.debug_tuple("Unknown").field(value).field(&Hex(#body)).finish(),
            ));
            arms.writes = true;
            quote!(other => Ok(Self::Unknown(other, r.rest())),)
        } else if let Some(d) = &s.default {
            let t = self.ty(&d.wire);
            let label = d.label.as_str();
            let doc = Doc::of("`default:` a value without a `case`, with its body.").render(4);
            arms.variants.push(quote!(#doc Unknown(#sel_ty, #t)));
            arms.selector
                .push(quote!(Self::Unknown(value, _) => *value,));
            let enc = self.enc(&d.wire, &Val::Ref(body.clone())).body();
            arms.encode.push(quote!(Self::Unknown(_, #body) => #enc,));
            let show = self.show(&d.wire, &Val::Ref(body.clone()), false);
            arms.debug.push(quote!(
                Self::Unknown(value, #body) => f.debug_tuple("Unknown").field(value).field(#show).finish(),
            ));
            arms.writes = true;
            let e = self.dec(&d.wire, scope);
            quote!(other => #e.map(|#body| Self::Unknown(other, #body)).in_field(#label),)
        } else {
            quote!(other => Err(no_case(other.value(), r.offset())),)
        }
    }
}
