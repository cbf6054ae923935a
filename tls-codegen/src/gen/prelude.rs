//! The start of the generated module: its imports and the small helpers its items share, each
//! only if the items use it (so the generated code has nothing unused to hide).

use proc_macro2::{TokenStream, TokenTree};
use quote::{format_ident, quote};
use std::collections::BTreeSet;

/// The imports and helpers that `items` use.
pub(super) fn prelude(items: &TokenStream) -> TokenStream {
    let used = idents(items);
    let mut helpers = TokenStream::new();
    if used.contains("in_field") {
        helpers.extend(quote! {
            /// Puts a field on the path of a decode error from inside it:
            /// `r.u8().in_field("length")?`.
            trait InField {
                /// Adds the field `name` to the error's path.
                fn in_field(self, name: &'static str) -> Self;
            }
            impl<T> InField for Result<T, DecodeError> {
                #[inline]
                fn in_field(self, name: &'static str) -> Self {
                    self.map_err(|e| e.field(name))
                }
            }
        });
    }
    if used.contains("unknown_value") {
        helpers.extend(quote! {
            /// The error for a value a closed enum does not name, read at `offset`.
            #[cold]
            fn unknown_value(value: impl Into<u64>, offset: usize) -> DecodeError {
                DecodeError::new(DecodeErrorKind::UnknownValue { value: value.into() }, offset)
            }
        });
    }
    if used.contains("no_case") {
        helpers.extend(quote! {
            /// The error for a selector value that has no `case`, at `offset`.
            #[cold]
            fn no_case(value: impl Into<u64>, offset: usize) -> DecodeError {
                DecodeError::new(DecodeErrorKind::NoCase { value: value.into() }, offset)
            }
        });
    }
    if used.contains("need_context") {
        helpers.extend(quote! {
            /// Optional decode context that the arm being decoded needs: `MissingContext` if
            /// the caller gave `None`.
            #[inline]
            fn need_context<T>(v: Option<T>, key: &'static str, offset: usize) -> Result<T, DecodeError> {
                v.ok_or_else(|| DecodeError::new(DecodeErrorKind::MissingContext { key }, offset))
            }
        });
    }
    if used.contains("find_step") {
        helpers.extend(quote! {
            /// `encode_find` at the field `name`, which starts at `at`: found there if the path
            /// (`head` then `rest`) ends at it, or what `inner` found inside it if it goes on.
            #[inline]
            fn find_step(
                found: &mut Option<usize>,
                (head, rest): (Option<&str>, &[&str]),
                name: &str,
                at: usize,
                inner: Option<usize>,
            ) {
                if head == Some(name) && found.is_none() {
                    *found = if rest.is_empty() { Some(at) } else { inner };
                }
            }
        });
    }
    if used.contains("decode_whole") {
        helpers.extend(quote! {
            /// Decodes a value that must fill `bytes` exactly (what `Codec::from_bytes` does for
            /// types that need no context); errors are rooted at `type_name`.
            fn decode_whole<'a, T>(
                bytes: &'a [u8],
                type_name: &'static str,
                decode: impl FnOnce(&mut Reader<'a>) -> Result<T, DecodeError>,
            ) -> Result<T, DecodeError> {
                let mut r = Reader::new(bytes);
                let v = decode(&mut r).map_err(|e| e.root(type_name))?;
                r.finish().map_err(|e| e.root(type_name))?;
                Ok(v)
            }
        });
    }
    if used.contains("Redacted") {
        helpers.extend(quote! {
            /// `Debug` of a `secret` field: how long it is, never what it holds.
            struct Redacted(usize);
            impl fmt::Debug for Redacted {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    write!(f, "<redacted {} bytes>", self.0)
                }
            }
        });
    }
    let mut used = used;
    used.extend(idents(&helpers));
    let codec = [
        "Codec",
        "DecodeError",
        "DecodeErrorKind",
        "Encode",
        "Hex",
        "Reader",
        "put_opaque",
        "put_prefixed",
        "put_u24",
    ]
    .into_iter()
    .filter(|n| used.contains(*n))
    .map(|n| format_ident!("{n}"));
    let fmt = used.contains("fmt").then(|| {
        quote!(
            use core::fmt;
        )
    });
    let once_cell = used.contains("OnceCell").then(|| {
        quote!(
            use core::cell::OnceCell;
        )
    });
    quote! {
        use crate::codec::{#(#codec),*};
        #once_cell
        #fmt
        #helpers
    }
}

/// Every identifier in `tokens` (not the words of doc strings, which are literals).
fn idents(tokens: &TokenStream) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![tokens.clone()];
    while let Some(ts) = stack.pop() {
        for t in ts {
            match t {
                TokenTree::Ident(i) => {
                    out.insert(i.to_string());
                }
                TokenTree::Group(g) => stack.push(g.stream()),
                _ => {}
            }
        }
    }
    out
}
