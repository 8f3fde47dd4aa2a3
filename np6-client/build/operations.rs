//! One public method per operation on `np6_client::Client`, and the
//! operation table.
//!
//! The methods are derived from the methods progenitor generated (read back
//! with syn), so argument and result types are exactly progenitor's: nothing
//! here re-implements typify. Each method
//! - takes the arguments in spec order (path in path order, then the others),
//! - checks them as the spec asks (non-empty path segments,
//!   `x-np6-ordered-params`, `x-np6-body-from-path`) before any request,
//! - sends date-time query values at whole seconds, as NP6 documents them,
//! - and runs the call through `Client::execute` (retries, deadline, typed
//!   errors, tracing), returning the decoded value.

use heck::ToSnakeCase;
use proc_macro2::TokenStream;
use quote::quote;
use syn::{
    FnArg, GenericArgument, ImplItem, ImplItemFn, Item, Pat, PathArguments, ReturnType, Type,
};

use np6_spec::{Location, Operation, Spec};

use crate::BuildResult;
use crate::normalize::Adapted;

pub fn generate(spec: &Spec, adapted: &Adapted, generated: &syn::File) -> BuildResult<TokenStream> {
    let methods = generated_methods(generated);
    let mut wrappers = Vec::new();
    let mut table = Vec::new();
    let mut dispatch: Vec<TokenStream> = Vec::new();
    for facts in &spec.operations {
        let method_name = facts.id.to_snake_case();
        let method = methods
            .iter()
            .find(|m| m.sig.ident == method_name)
            .ok_or_else(|| {
                format!(
                    "progenitor generated no method {method_name} for operation {}",
                    facts.id
                )
            })?;
        wrappers.push(
            wrapper(facts, method, table.len())
                .map_err(|e| format!("operation {}: {e}", facts.id))?,
        );
        dispatch.push(
            dispatch_arm(facts, method, table.len())
                .map_err(|e| format!("operation {}: {e}", facts.id))?,
        );
        let empty_success = adapted
            .empty_success
            .get(&facts.id)
            .map_or(&[][..], Vec::as_slice);
        table.push(table_entry(facts, &method_name, empty_success));
    }
    let header = &spec.api_key_header;
    let version = &spec.version;
    Ok(quote! {
        /// The spec's `info.version`, sent by every request as `api-version`.
        pub const API_VERSION: &str = #version;

        /// The header that carries the API key (the spec's `apiKey` security scheme).
        pub const API_KEY_HEADER: &str = #header;

        /// Every operation of the spec, in spec order.
        pub static OPERATIONS: &[crate::spec::Operation] = &[ #(#table),* ];

        #(#wrappers)*

        impl crate::Client {
            /// Calls an operation by its `operationId`, with its arguments as
            /// JSON (parameters by their spec name, the request body as `body`)
            /// and its result as JSON. For tools that drive every operation
            /// the same way (fixture replay, command lines); code that knows
            /// the operation should call its typed method.
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
                    other => Err(crate::error::unknown_operation(other)),
                }
            }
        }
    })
}

/// One arm of `call_operation`: decode each argument, call, encode.
fn dispatch_arm(facts: &Operation, method: &ImplItemFn, index: usize) -> BuildResult<TokenStream> {
    let id = &facts.id;
    let name = &method.sig.ident;
    let mut decode = Vec::new();
    let mut pass = Vec::new();
    let mut names: Vec<String> = facts.params.iter().map(|p| p.name.clone()).collect();
    if method.sig.inputs.iter().any(
        |i| matches!(i, FnArg::Typed(t) if matches!(&*t.pat, Pat::Ident(p) if p.ident == "body")),
    ) {
        names.push("body".to_owned());
    }
    for spec_name in &names {
        let snake = spec_name.to_snake_case();
        let ty = method
            .sig
            .inputs
            .iter()
            .find_map(|input| match input {
                FnArg::Typed(t) if matches!(&*t.pat, Pat::Ident(p) if p.ident == snake || p.ident == format!("{snake}_")) => {
                    Some((*t.ty).clone())
                }
                _ => None,
            })
            .ok_or_else(|| format!("no argument for {spec_name}"))?;
        let local = quote::format_ident!("arg_{}", snake);
        let (owned, how) = owned_type(&ty);
        decode.push(
            quote! { let #local: #owned = crate::generated_support::arg(OPERATION, args, #spec_name)?; },
        );
        pass.push(match how {
            Pass::Value => quote! { #local },
            Pass::Ref => quote! { &#local },
            Pass::OptionRef => quote! { #local.as_ref() },
        });
    }
    Ok(quote! {
        #id => {
            const OPERATION: &crate::spec::Operation = &OPERATIONS[#index];
            #(#decode)*
            let value = self.#name(#(#pass),*).await?;
            crate::generated_support::to_json(OPERATION, &value)
        }
    })
}

enum Pass {
    Value,
    Ref,
    OptionRef,
}

/// The owned form of an argument type, and how to lend it back.
fn owned_type(ty: &Type) -> (TokenStream, Pass) {
    match ty {
        Type::Reference(r) => match &*r.elem {
            Type::Path(p) if p.path.is_ident("str") => (quote!(::std::string::String), Pass::Ref),
            elem => (quote!(#elem), Pass::Ref),
        },
        Type::Path(_) => {
            if let Ok(Type::Reference(inner)) = first_generic(ty, "Option") {
                let elem = &inner.elem;
                return match &**elem {
                    Type::Path(e) if e.path.is_ident("str") => (
                        quote!(::std::option::Option<::std::string::String>),
                        Pass::OptionRef,
                    ),
                    elem => (quote!(::std::option::Option<#elem>), Pass::OptionRef),
                };
            }
            (quote!(#ty), Pass::Value)
        }
        other => (quote!(#other), Pass::Value),
    }
}

fn generated_methods(file: &syn::File) -> Vec<&ImplItemFn> {
    file.items
        .iter()
        .filter_map(|item| match item {
            Item::Impl(imp) if imp.trait_.is_none() => Some(imp),
            _ => None,
        })
        .filter(|imp| matches!(&*imp.self_ty, Type::Path(p) if p.path.is_ident("Client")))
        .flat_map(|imp| &imp.items)
        .filter_map(|item| match item {
            ImplItem::Fn(f) if f.sig.asyncness.is_some() => Some(f),
            _ => None,
        })
        .collect()
}

fn table_entry(facts: &Operation, method_name: &str, empty_success: &[(u16, &str)]) -> TokenStream {
    let Operation { id, path, .. } = facts;
    let method = facts.method.as_str();
    let idempotent = facts.method.is_idempotent();
    let statuses = facts.statuses();
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

fn wrapper(facts: &Operation, method: &ImplItemFn, index: usize) -> BuildResult<TokenStream> {
    let name = &method.sig.ident;
    let generics = &method.sig.generics;
    let docs = method.attrs.iter().filter(|a| a.path().is_ident("doc"));
    let value_type = response_value_type(&method.sig.output)?;

    // progenitor's arguments, by Rust name.
    let mut args: Vec<(syn::Ident, Type)> = Vec::new();
    for input in method.sig.inputs.iter().skip(1) {
        let FnArg::Typed(typed) = input else {
            return Err("unexpected receiver".into());
        };
        let Pat::Ident(ident) = &*typed.pat else {
            return Err("unexpected argument pattern".into());
        };
        args.push((ident.ident.clone(), (*typed.ty).clone()));
    }
    let call_args: Vec<_> = args.iter().map(|(ident, _)| ident.clone()).collect();
    let find = |spec_name: &str| -> BuildResult<(syn::Ident, Type)> {
        let snake = spec_name.to_snake_case();
        args.iter()
            .find(|(ident, _)| *ident == snake || *ident == format!("{snake}_"))
            .cloned()
            .ok_or_else(|| {
                format!("parameter {spec_name} has no argument {snake} in progenitor's method")
                    .into()
            })
    };

    // Arguments in spec order, then the body.
    let mut ordered = Vec::new();
    let mut checks = Vec::new();
    for param in &facts.params {
        let (ident, ty) = find(&param.name)?;
        let spec_name = &param.name;
        let in_path = param.location == Location::Path;
        if in_path && param.json_type == "string" {
            checks.push(
                quote! { crate::generated_support::check_path_segment(OPERATION, #spec_name, #ident)?; },
            );
        }
        if !in_path && param.is_date_time() {
            checks.push(if param.required {
                quote! { let #ident = &crate::generated_support::whole_seconds(#ident); }
            } else {
                quote! {
                    let #ident = #ident.map(crate::generated_support::whole_seconds);
                    let #ident = #ident.as_ref();
                }
            });
        }
        ordered.push(quote! { #ident: #ty });
    }
    let body = args.iter().find(|(ident, _)| ident == "body");
    if let Some((ident, ty)) = body {
        ordered.push(quote! { #ident: #ty });
    }
    if ordered.len() != args.len() {
        return Err(
            "progenitor's method has arguments the spec does not list as parameters".into(),
        );
    }
    if let Some((first, second)) = &facts.ordered_params {
        let (a, _) = find(first)?;
        let (b, _) = find(second)?;
        checks.push(
            quote! { crate::generated_support::check_ordered(OPERATION, (#first, #a), (#second, #b))?; },
        );
    }
    if !facts.body_from_path.is_empty() {
        if body.is_none() {
            return Err("x-np6-body-from-path on an operation without a JSON body".into());
        }
        let Some((_, body_ty)) = body else {
            return Err("no body argument".into());
        };
        let Type::Reference(body_ref) = body_ty else {
            return Err("the body is not passed by reference".into());
        };
        let owned_ty = &body_ref.elem;
        let mut fills = Vec::new();
        for (property, param) in &facts.body_from_path {
            let (ident, _) = find(param)?;
            // typify names fields after the property, in snake case.
            let field = quote::format_ident!("{}", property.to_snake_case());
            fills.push(quote! {
                if crate::generated_support::mirror_missing(OPERATION, #property, #param, &body.#field, &#ident)? {
                    crate::generated_support::Mirror::fill(&mut filled.get_or_insert_with(|| ::std::boxed::Box::new(body.clone())).#field, #ident.clone());
                }
            });
        }
        // Boxed: the copy is rare (the caller left the field out) and
        // lives as long as the call, so inline it would grow every call's
        // future.
        checks.push(quote! {
            let mut filled: ::std::option::Option<::std::boxed::Box<#owned_ty>> = None;
            #(#fills)*
            let body = filled.as_deref().unwrap_or(body);
        });
    }

    let method_name = name.to_string();
    let errors_doc = format!(
        " # Errors\n\n An [`Error`](crate::Error): `InvalidArgument` before any request when an \
         argument breaks the spec's rules, otherwise what the call met (see [`crate::Error`]). \
         Documented statuses: {:?}.\n\n Retries and deadlines follow the client's configuration \
         (`{method_name}` is {}).",
        facts.statuses(),
        if facts.method.is_idempotent() {
            "idempotent: retried"
        } else {
            "not idempotent: not retried unless the caller opts in"
        }
    );
    Ok(quote! {
        impl crate::Client {
            #(#docs)*
            #[doc = ""]
            #[doc = #errors_doc]
            #[allow(clippy::clone_on_copy)]
            pub async fn #name #generics (&'a self, #(#ordered),*) -> ::std::result::Result<#value_type, crate::Error> {
                const OPERATION: &crate::spec::Operation = &OPERATIONS[#index];
                #(#checks)*
                self.execute(OPERATION, || self.inner.#name(#(#call_args),*)).await
            }
        }
    })
}

/// `Result<ResponseValue<T>, Error<E>>` -> `T`.
fn response_value_type(output: &ReturnType) -> BuildResult<Type> {
    let ReturnType::Type(_, ty) = output else {
        return Err("method returns nothing".into());
    };
    let result = first_generic(ty, "Result")?;
    first_generic(&result, "ResponseValue")
}

fn first_generic(ty: &Type, outer: &str) -> BuildResult<Type> {
    if let Type::Path(path) = ty
        && let Some(segment) = path.path.segments.last()
        && segment.ident == outer
        && let PathArguments::AngleBracketed(args) = &segment.arguments
        && let Some(GenericArgument::Type(inner)) = args.args.first()
    {
        return Ok(inner.clone());
    }
    Err(format!("unexpected return type shape (expected {outer}<..>)").into())
}
