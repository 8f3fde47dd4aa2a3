//! A sealed `MockServerExt` for the testing kit.
//!
//! progenitor's httpmock helpers come with a public trait, `MockServerExt`,
//! with one method per operation, implemented for `httpmock::MockServer`.
//! A public trait that gains a method breaks whoever implements it, so a
//! new operation in the spec would be a breaking change. The kit exports
//! instead a sealed trait with the same methods, each delegating to
//! progenitor's (which stays private): consumers can call it, not implement
//! it, and adding a method to it breaks no one.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{FnArg, Item, Pat, TraitItem};

use crate::BuildResult;

/// The sealed trait and its implementation, from progenitor's helpers.
pub fn generate(helpers: &syn::File) -> BuildResult<TokenStream> {
    let generated = helpers
        .items
        .iter()
        .find_map(|item| match item {
            Item::Trait(t) if t.ident == "MockServerExt" => Some(t),
            _ => None,
        })
        .ok_or("progenitor's httpmock helpers have no MockServerExt trait")?;
    let mut declarations = Vec::new();
    let mut definitions = Vec::new();
    for item in &generated.items {
        let TraitItem::Fn(method) = item else {
            continue;
        };
        let sig = &method.sig;
        let name = &sig.ident;
        let args = sig
            .inputs
            .iter()
            .filter_map(|input| match input {
                FnArg::Typed(typed) => match &*typed.pat {
                    Pat::Ident(ident) => Some(Ok(ident.ident.clone())),
                    _ => Some(Err("an argument that is not a plain name")),
                },
                FnArg::Receiver(_) => None,
            })
            .collect::<Result<Vec<_>, _>>()?;
        let doc =
            format!(" Mocks the `{name}` operation: `config_fn` gets its typed `When` and `Then`.");
        declarations.push(quote! {
            #[doc = #doc]
            #sig;
        });
        definitions.push(quote! {
            #sig {
                generated::MockServerExt::#name(self, #(#args),*)
            }
        });
    }
    let sealed = format_ident!("sealed");
    Ok(quote! {
        /// One method per operation of the spec on httpmock's
        /// [`MockServer`](::httpmock::MockServer), with typed `When` and
        /// `Then` (see [`operations`]). Sealed: it is implemented for
        /// `MockServer` only, so the spec can grow new operations without
        /// breaking your code.
        pub trait MockServerExt: #sealed::Sealed {
            #(#declarations)*
        }

        impl MockServerExt for ::httpmock::MockServer {
            #(#definitions)*
        }

        mod #sealed {
            /// Implemented by the types `MockServerExt` is for, and no other.
            pub trait Sealed {}
            impl Sealed for ::httpmock::MockServer {}
        }
    })
}
