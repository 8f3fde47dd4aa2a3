//! The operation table (`np6_client::spec::OPERATIONS`), the request
//! builders of `np6_client::requests` (see `requests.rs`), and
//! `Client::call_operation`, which drives any operation by its
//! `operationId` with JSON arguments (public: the operations it takes are
//! those `np6_client::operations()` describes).
//!
//! The table is data only (it goes into `spec`, which imports nothing of
//! the crate); everything that calls the client goes into `requests`.

use heck::ToSnakeCase;
use np6_spec::{Operation, Spec};
use proc_macro2::TokenStream;
use quote::quote;

use crate::BuildResult;
use crate::normalize::Adapted;
use crate::signature::{self, Signature};

/// What `generate` writes: the table (`operations.rs`, in
/// `np6_client::spec`) and the request builders with `call_operation`
/// (`requests.rs`, in `np6_client::requests`).
pub struct Generated {
    pub operations: TokenStream,
    pub requests: TokenStream,
}

pub fn generate(spec: &Spec, adapted: &Adapted, generated: &syn::File) -> BuildResult<Generated> {
    let mut requests = Vec::new();
    let mut table = Vec::new();
    let mut dispatch = Vec::new();
    for op in &spec.operations {
        let method_name = op.id.to_snake_case();
        let context = |e: Box<dyn std::error::Error>| format!("operation {}: {e}", op.id);
        let sig = signature::find(generated, &method_name).map_err(context)?;
        let index = table.len();
        requests.push(crate::requests::generate(op, &sig, index).map_err(context)?);
        dispatch.push(dispatch_arm(op, &sig, index).map_err(context)?);
        let empty_success = adapted
            .empty_success
            .get(&op.id)
            .map_or(&[][..], Vec::as_slice);
        table.push(table_entry(op, &method_name, empty_success));
    }
    let header = &spec.api_key_header;
    let operations = quote! {
        /// The header that carries the API key (the spec's `apiKey` security scheme).
        pub const API_KEY_HEADER: &str = #header;

        /// Every operation of the spec, in spec order.
        pub static OPERATIONS: &[crate::spec::Operation] = &[ #(#table),* ];
    };
    let call_operation = quote! {
        impl crate::Client {
            /// Calls an operation by its `operationId`, with its arguments as
            /// JSON (parameters by their spec name, the request body as `body`)
            /// and its result as JSON. For tools that drive every operation
            /// the same way (fixture replay, command lines); code that knows
            /// the operation should call its typed method.
            ///
            /// The operations, their parameters and bodies are described by
            /// [`operations()`](crate::operations).
            ///
            /// ```no_run
            /// # async fn run(client: np6_client::Client) -> Result<(), np6_client::Error> {
            /// let args = serde_json::json!({"startDate": "2019-08-24T14:15:22Z"});
            /// let entries = client.call_operation("getMailRedlist", args.as_object().unwrap()).await?;
            /// # Ok(()) }
            /// ```
            ///
            /// # Errors
            ///
            /// `InvalidArgument` for an unknown operation or an argument that
            /// does not decode as the parameter's type; otherwise those of the
            /// typed method.
            #[allow(clippy::let_unit_value)]
            pub async fn call_operation(
                &self,
                operation_id: &str,
                args: &::serde_json::Map<::std::string::String, ::serde_json::Value>,
            ) -> ::std::result::Result<::serde_json::Value, crate::Error> {
                match operation_id {
                    #(#dispatch)*
                    other => Err(crate::generated_support::unknown_operation(self, other)),
                }
            }
        }
    };
    Ok(Generated {
        operations,
        requests: quote! { #(#requests)* #call_operation },
    })
}

/// One arm of `call_operation`: decode each argument, build the request,
/// send it, encode the result.
fn dispatch_arm(op: &Operation, sig: &Signature<'_>, index: usize) -> BuildResult<TokenStream> {
    let id = &op.id;
    let name = sig.name;
    let mut decode = Vec::new();
    let mut required = Vec::new();
    let mut optional = Vec::new();
    let names = op
        .params
        .iter()
        .map(|p| (p.name.as_str(), p.required))
        .chain(sig.body().map(|_| ("body", true)));
    for (spec_name, is_required) in names {
        let (ident, ty) = if spec_name == "body" {
            sig.body().ok_or("no body argument")?
        } else {
            sig.arg(spec_name)?
        };
        let local = quote::format_ident!("arg_{}", ident);
        let (owned, pass) = signature::owned(ty);
        decode.push(
            quote! { let #local: #owned = crate::generated_support::arg(self, OPERATION, args, #spec_name)?; },
        );
        if is_required {
            required.push(signature::lend(&local, pass));
        } else {
            let set = quote::format_ident!("set_{}", ident);
            optional.push(quote! { .#set(#local) });
        }
    }
    Ok(quote! {
        #id => {
            const OPERATION: &crate::spec::Operation = &crate::spec::OPERATIONS[#index];
            #(#decode)*
            let value = self.#name(#(#required),*) #(#optional)* .send().await?;
            crate::generated_support::to_json(OPERATION, &value)
        }
    })
}

fn table_entry(op: &Operation, method_name: &str, empty_success: &[(u16, &str)]) -> TokenStream {
    let Operation { id, path, .. } = op;
    let method = op.method.as_str();
    let idempotent = op.method.is_idempotent();
    let statuses = op.statuses();
    let empty_status = empty_success.iter().map(|(s, _)| s);
    let empty_json = empty_success.iter().map(|(_, j)| j);
    quote! {
        crate::spec::Operation {
            id: #id,
            method_name: #method_name,
            method: #method,
            path: #path,
            statuses: &[#(#statuses),*],
            empty_success: &[#((#empty_status, #empty_json)),*],
            idempotent: #idempotent,
        }
    }
}

#[cfg(test)]
#[path = "tests/operations.rs"]
mod tests;
