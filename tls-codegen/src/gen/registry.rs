//! The round-trip registry: every type that decodes without context, by schema name, for
//! property tests and fuzzing.

use super::{ident, Gen};
use crate::model::*;
use proc_macro2::TokenStream;
use quote::quote;

impl Gen<'_> {
    pub(super) fn round_trip_registry(&self) -> TokenStream {
        let codec_types: Vec<&Def> = self
            .m
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
        // A namespaced type by its path: `tls13::Certificate`.
        let names: Vec<String> = codec_types
            .iter()
            .map(|d| match &d.ns {
                Some(ns) => format!("{ns}::{}", d.name),
                None => d.name.clone(),
            })
            .collect();
        let types = codec_types.iter().map(|d| {
            let n = ident(&d.rust);
            match &d.ns {
                Some(ns) => {
                    let ns = ident(ns);
                    quote!(#ns::#n)
                }
                None => quote!(#n),
            }
        });
        quote! {
            /// The schema names of every type [`round_trip`] knows: all that decode without context.
            /// For spectls's property tests and fuzzing, not API (tls-core re-exports it under
            /// `internal`).
            #[doc(hidden)]
            pub const ROUND_TRIP_TYPES: &[&str] = &[#(#names),*];

            /// What [`round_trip`] found for some bytes.
            #[doc(hidden)]
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
            #[doc(hidden)]
            pub fn round_trip(type_name: &str, bytes: &[u8]) -> Option<Result<RoundTrip, DecodeError>> {
                let encoded = OnceCell::new();
                let found = match type_name {
                    #(#names => round_trip_as::<#types>(bytes, &encoded),)*
                    _ => return None,
                };
                Some(found.map(|(used, same)| RoundTrip {
                    used,
                    encoded: encoded.into_inner().unwrap_or_default(),
                    same,
                }))
            }

            /// Decodes a `T` from the front of `bytes`, encodes it into `encoded` and decodes that
            /// again: how many bytes the value took, and whether the second decoding gives the
            /// same value. (`encoded` comes from the caller so that both values borrow for `'b`.)
            fn round_trip_as<'b, T: Codec<'b> + PartialEq>(
                bytes: &'b [u8],
                encoded: &'b OnceCell<Vec<u8>>,
            ) -> Result<(usize, bool), DecodeError> {
                let mut r = Reader::new(bytes);
                let v = T::decode(&mut r)?;
                let encoded = encoded.get_or_init(|| v.to_vec());
                Ok((r.offset(), T::from_bytes(encoded).is_ok_and(|w| w == v)))
            }
        }
    }
}
