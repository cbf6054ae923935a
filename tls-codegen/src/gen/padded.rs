//! A `padded` struct (RFC 8446 section 5.2 `TLSInnerPlaintext`): the decoder scans from the end
//! for the last non-zero byte, which is the type; before it the content, after it the padding.
//! No hand-written step remains: `decode` and `encode` are complete.

use super::shapes::Val;
use super::{ident, Gen};
use crate::model::*;
use proc_macro2::TokenStream;
use quote::quote;

impl Gen<'_> {
    pub(super) fn padded_struct(&self, d: &Def, s: &StructDef) -> TokenStream {
        let [content, ty, zeros] = s.fields.as_slice() else {
            return TokenStream::new();
        };
        let n = ident(&d.rust);
        let extra = [format!(
            "`padded`: decoding scans from the end: the last non-zero byte is `{}`, the bytes \
             before it are `{}`, the zero bytes after it are counted in `{}`. All zero is \
             `DecodeErrorKind::AllPadding` (unexpected_message, RFC 8446 section 5.4).",
            ty.name, content.name, zeros.name
        )];
        let doc = self.def_doc(d, &extra).render(0);
        let (c, t, z) = (ident(&content.rust), ident(&ty.rust), ident(&zeros.rust));
        let (cdoc, tdoc) = (
            self.field_doc(content).render(4),
            self.field_doc(ty).render(4),
        );
        let zdoc = self.field_doc(zeros).render(4);
        let tty = self.ty(&ty.wire);
        let tdec = self.def_ty_name(&ty.wire);
        let (clabel, tlabel, zlabel) = (&content.rust, ty.name.as_str(), &zeros.rust);
        let tdebug = &ty.rust;
        let tshow = self.show(&ty.wire, &Val::field(&t), false);
        let name = &d.name;
        quote! {
            #doc
            #[derive(Clone, PartialEq, Eq)]
            pub struct #n<'a> {
                #cdoc pub #c: &'a [u8],
                #tdoc pub #t: #tty,
                #zdoc pub #z: usize
            }
            impl<'a> Codec<'a> for #n<'a> {
                fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
                    let (#c, mut #t, #z) = r.padded()?;
                    let #t = #tdec::decode(&mut #t).in_field(#tlabel)?;
                    Ok(Self { #c, #t, #z })
                }
            }
            impl Encode for #n<'_> {
                fn encode(&self, out: &mut Vec<u8>) {
                    out.extend_from_slice(self.#c);
                    self.#t.encode(out);
                    out.resize(out.len() + self.#z, 0);
                }
            }
            impl fmt::Debug for #n<'_> {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.debug_struct(#name)
                        .field(#clabel, &Hex(self.#c))
                        .field(#tdebug, #tshow)
                        .field(#zlabel, &self.#z)
                        .finish()
                }
            }
        }
    }

    /// The type name of a `Ref` shape, for calling its `decode`.
    fn def_ty_name(&self, w: &Wire) -> TokenStream {
        match w {
            Wire::Ref(i) => {
                let n = ident(&self.m.defs[*i].rust);
                quote!(#n)
            }
            _ => quote!(),
        }
    }
}
