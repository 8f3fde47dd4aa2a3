//! The public descriptions of the operations (`np6_client::operations()`,
//! `np6_client::SPEC_VERSION`), generated from the model of the spec into
//! `descriptions.rs`, which `src/operation.rs` includes: each operation's
//! method, path, summary, parameters and body, as data, so that a program
//! that drives every operation the same way (the `np6` command line) needs
//! no spec reader of its own.

use np6_spec::{Location, Operation, Spec};
use proc_macro2::TokenStream;
use quote::quote;

/// The constants of `descriptions.rs`: the spec's version and one
/// description per operation, in spec order.
pub fn generate(spec: &Spec) -> TokenStream {
    let version = &spec.version;
    let operations = spec.operations.iter().map(operation);
    quote! {
        /// The `info.version` of the spec this client was generated from,
        /// sent by every request as `api-version`.
        pub const SPEC_VERSION: &str = #version;

        static OPERATIONS: &[Operation] = &[ #(#operations),* ];
    }
}

fn operation(op: &Operation) -> TokenStream {
    let id = &op.id;
    let method = op.method.as_str();
    let path = &op.path;
    let summary = option(op.summary.as_deref());
    let params = op.params.iter().map(|p| {
        let name = &p.name;
        let location = match p.location {
            Location::Path => quote!(Location::Path),
            Location::Query => quote!(Location::Query),
            Location::Header => quote!(Location::Header),
            Location::Cookie => quote!(Location::Cookie),
        };
        let json_type = &p.json_type;
        let format = option(p.format.as_deref());
        let required = p.required;
        quote! {
            Parameter {
                name: #name,
                location: #location,
                json_type: #json_type,
                format: #format,
                required: #required,
            }
        }
    });
    let body = match &op.body {
        Some(body) => {
            let required = body.required;
            quote!(Some(RequestBody { required: #required }))
        }
        None => quote!(None),
    };
    quote! {
        Operation {
            id: #id,
            method: #method,
            path: #path,
            summary: #summary,
            parameters: &[ #(#params),* ],
            body: #body,
        }
    }
}

fn option(text: Option<&str>) -> TokenStream {
    match text {
        Some(text) => quote!(Some(#text)),
        None => quote!(None),
    }
}
