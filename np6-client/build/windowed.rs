//! `np6_client::windows::Windowed` for the request of every operation
//! that reads a time window (`x-np6-item-time`, with its window in
//! `x-np6-ordered-params`; `np6-spec` checks both), so that
//! `windows::Export` serves it with no Rust written: the window set
//! through the request's setters, the item's time read from its property.

use np6_spec::Operation;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Type;

use crate::BuildResult;
use crate::signature::Signature;

/// The impl for `op`'s request `type_name` whose items are `item`; nothing
/// for an operation that reads no window.
pub fn generate(
    op: &Operation,
    sig: &Signature<'_>,
    type_name: &syn::Ident,
    item: &Type,
) -> BuildResult<TokenStream> {
    let Some(property) = &op.item_time else {
        return Ok(TokenStream::new());
    };
    let Some((start, end)) = &op.ordered_params else {
        return Err("x-np6-item-time without x-np6-ordered-params".into());
    };
    let set_start = format_ident!("set_{}", sig.arg(start)?.0);
    let set_end = format_ident!("set_{}", sig.arg(end)?.0);
    // typify names fields after the property, in snake case.
    let field = format_ident!("{}", heck::ToSnakeCase::to_snake_case(property.as_str()));
    Ok(quote! {
        impl crate::windows::sealed::Sealed for #type_name<'_> {}

        impl crate::windows::Windowed for #type_name<'_> {
            type Item = #item;

            fn between(
                self,
                start: ::std::option::Option<::chrono::DateTime<::chrono::Utc>>,
                end: ::chrono::DateTime<::chrono::Utc>,
            ) -> Self {
                self.#set_start(start).#set_end(::std::option::Option::Some(end))
            }

            fn item_time(item: &Self::Item) -> ::std::option::Option<::chrono::DateTime<::chrono::Utc>> {
                crate::generated_support::AsTime::as_time(&item.#field)
            }

            fn stream(
                self,
            ) -> impl ::std::future::Future<
                Output = ::std::result::Result<crate::Items<Self::Item>, crate::Error>,
            > + ::std::marker::Send {
                #type_name::stream(self)
            }
        }
    })
}
