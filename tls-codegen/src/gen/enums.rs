//! Enums on the wire (open or closed) and context-only enums.

use super::docs::Doc;
use super::{ident, lit, uint_ty, Gen};
use crate::model::*;
use proc_macro2::{Ident, TokenStream};
use quote::quote;

impl Gen<'_> {
    pub(super) fn wire_enum(&self, d: &Def, e: &EnumDef) -> TokenStream {
        let n = ident(&d.rust);
        let repr = uint_ty(e.width);
        let vs: Vec<Ident> = e.values.iter().map(|v| ident(&v.rust)).collect();
        let vdocs = e
            .values
            .iter()
            .map(|v| Doc::of(format!("`{}({})`", v.name, v.value)).render(4));
        let nums: Vec<_> = e.values.iter().map(|v| lit(v.value)).collect();
        let names = e.values.iter().map(|v| v.rust.as_str());
        let mut extra: Vec<String> = e
            .ranges
            .iter()
            .map(|(name, lo, hi)| format!("Reserved: `{name}({lo:#x}..{hi:#x})`."))
            .collect();
        extra.push(if e.open {
            "Open: values this schema does not name decode to `Unknown` and encode back unchanged."
                .into()
        } else {
            "Closed: a value this schema does not name is a decode error.".into()
        });
        let doc = self.def_doc(d, &extra).render(0);
        // Constants of an open alias keep their schema names (`TLS_NULL_WITH_NULL_NULL`).
        let allow = if e.values.iter().any(|v| camel(&v.rust) != v.rust) {
            quote!(#[allow(non_camel_case_types)])
        } else {
            quote!()
        };
        let read = match e.width {
            1 => quote!(r.u8()),
            2 => quote!(r.u16()),
            3 => quote!(r.u24()),
            _ => quote!(r.u32()),
        };
        let write = if e.width == 3 {
            quote!(put_u24(out, self.value());)
        } else {
            quote!(out.extend_from_slice(&self.value().to_be_bytes());)
        };
        // Traces print names on one line even in `{:#?}`; unnamed values in the RFCs' usual base.
        let unknown_fmt = match e.width {
            1 => "Unknown({value})".to_string(),
            w => format!("Unknown({{value:#0{}x}})", 2 + 2 * w as usize),
        };
        // What people read: the RFC's (or IANA's, `display`) name; `f.pad`, so `{:<20}` aligns.
        let shown = e.values.iter().map(|v| v.display.as_str());
        let unknown_display = match e.width {
            1 => "unknown({value})".to_string(),
            w => format!("unknown({{value:#0{}x}})", 2 + 2 * w as usize),
        };
        let display = |unknown: TokenStream| {
            quote! {
                impl fmt::Display for #n {
                    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        match self { #( Self::#vs => f.pad(#shown), )* #unknown }
                    }
                }
            }
        };
        let debug = |unknown: TokenStream| {
            quote! {
                impl fmt::Debug for #n {
                    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        match self { #( Self::#vs => f.write_str(#names), )* #unknown }
                    }
                }
            }
        };
        if e.open {
            let debug = debug(quote!(Self::Unknown(value) => write!(f, #unknown_fmt),));
            let display =
                display(quote!(Self::Unknown(value) => f.pad(&format!(#unknown_display)),));
            let unknown_doc = Doc::of("A value this schema does not name.").render(4);
            quote! {
                #doc
                #[derive(Clone, Copy, PartialEq, Eq, Hash)]
                #allow
                pub enum #n { #( #vdocs #vs, )* #unknown_doc Unknown(#repr) }
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
                        #read.map(Self::from_value)
                    }
                }
                impl Encode for #n {
                    fn encode(&self, out: &mut Vec<u8>) { #write }
                }
                #debug
                #display
            }
        } else {
            let debug = debug(quote!());
            let display = display(quote!());
            quote! {
                #doc
                #[derive(Clone, Copy, PartialEq, Eq, Hash)]
                #allow
                pub enum #n { #( #vdocs #vs, )* }
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
                        Self::from_value(v).ok_or_else(|| unknown_value(v, at))
                    }
                }
                impl Encode for #n {
                    fn encode(&self, out: &mut Vec<u8>) { #write }
                }
                #debug
                #display
            }
        }
    }

    /// An enum without values: context a decoder takes, chosen by the connection.
    pub(super) fn context_enum(&self, d: &Def, values: &[String]) -> TokenStream {
        let n = ident(&d.rust);
        let doc = self
            .def_doc(
                d,
                &["Context for decoding: chosen by the connection, never on the wire.".into()],
            )
            .render(0);
        let vs: Vec<Ident> = values.iter().map(|v| ident(&camel(v))).collect();
        let vdocs = values.iter().map(|v| Doc::of(format!("`{v}`")).render(4));
        let idx = (0..vs.len() as u64).map(lit);
        quote! {
            #doc
            #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
            pub enum #n { #( #vdocs #vs ),* }
            impl #n {
                /// Position in the definition (these values are never on the wire).
                pub fn value(self) -> u64 { match self { #(Self::#vs => #idx),* } }
            }
        }
    }
}
