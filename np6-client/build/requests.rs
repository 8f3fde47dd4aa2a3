//! One public method per operation on `np6_client::Client`, returning a
//! request builder (`np6_client::requests::<Operation>`).
//!
//! Growth is additive: required parameters and the request body are
//! arguments of the method, optional parameters are setters of the
//! builder, so a new optional parameter adds a setter and breaks no call.
//! `send()` then
//! - checks the arguments as the spec asks (path segments that a URL can
//!   carry, `x-np6-ordered-params`, `x-np6-body-from-path`) before any
//!   request, and asks for a path of its own when progenitor's URL would
//!   not carry a string path parameter as it is,
//! - sends date-time query values at whole seconds, as NP6 documents them,
//! - and runs the call through `Client::execute` (retries, deadline, typed
//!   errors, tracing), returning the decoded value.

use heck::ToUpperCamelCase;
use np6_spec::{Location, Operation};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Type;

use crate::BuildResult;
use crate::signature::{self, Pass, Signature};

/// An argument of the operation: a parameter or the body.
struct Arg {
    /// progenitor's argument name (`field_id`, `type_`).
    ident: syn::Ident,
    /// The builder's private field.
    field: syn::Ident,
    /// progenitor's argument type.
    ty: Type,
    /// Required: an argument of the client method; else a setter.
    required: bool,
    /// The owned type an optional argument is kept as (an `Option`).
    owned: TokenStream,
    pass: Pass,
    spec_name: String,
    description: Option<String>,
}

/// The name of an operation's request builder type.
pub fn type_name(op: &Operation) -> syn::Ident {
    format_ident!("{}", op.id.to_upper_camel_case())
}

/// The arguments of an operation: its parameters (path ones first), then
/// the body.
fn args(op: &Operation, sig: &Signature<'_>) -> BuildResult<Vec<Arg>> {
    let mut args = Vec::new();
    for param in &op.params {
        let (ident, ty) = sig.arg(&param.name)?;
        let (owned, pass) = signature::owned(ty);
        args.push(Arg {
            field: format_ident!("arg_{}", ident),
            ident: ident.clone(),
            ty: ty.clone(),
            required: param.required,
            owned,
            pass,
            spec_name: param.name.clone(),
            description: param.description.clone(),
        });
    }
    if let Some((ident, ty)) = sig.body() {
        let (owned, pass) = signature::owned(ty);
        args.push(Arg {
            field: format_ident!("arg_{}", ident),
            ident: ident.clone(),
            ty: ty.clone(),
            required: true,
            owned,
            pass,
            spec_name: "body".to_owned(),
            description: None,
        });
    }
    if args.len() != sig.args.len() {
        return Err("progenitor's method has arguments the spec does not list".into());
    }
    for arg in args.iter().filter(|a| !a.required) {
        if signature::option_inner(&arg.owned).is_none() {
            return Err(format!("optional parameter {} is not an Option", arg.spec_name).into());
        }
        if arg.ident == "send" || arg.ident == "client" {
            return Err(format!(
                "parameter {} would shadow the request builder's own `{}`",
                arg.spec_name, arg.ident
            )
            .into());
        }
    }
    Ok(args)
}

/// The builder type, its setters and `send`, and the client method.
pub fn generate(op: &Operation, sig: &Signature<'_>, index: usize) -> BuildResult<TokenStream> {
    let args = args(op, sig)?;
    let type_name = type_name(op);
    let name = sig.name;
    let value = &sig.value;
    let method_docs = method_docs(op, &args, name);

    let fields = args.iter().map(|a| {
        let (field, ty) = (&a.field, &a.ty);
        if a.required {
            quote! { #field: #ty }
        } else {
            let owned = &a.owned;
            quote! { #field: #owned }
        }
    });
    let required: Vec<&Arg> = args.iter().filter(|a| a.required).collect();
    let method_params = required.iter().map(|a| {
        let (ident, ty) = (&a.ident, &a.ty);
        quote! { #ident: #ty }
    });
    let init = args.iter().map(|a| {
        let (field, ident) = (&a.field, &a.ident);
        if a.required {
            quote! { #field: #ident }
        } else {
            quote! { #field: ::std::option::Option::None }
        }
    });
    let setters = args.iter().filter(|a| !a.required).map(setter);
    let lend: Vec<TokenStream> = args
        .iter()
        .map(|a| {
            let (ident, field) = (&a.ident, &a.field);
            let value = if a.required {
                quote! { #field }
            } else {
                signature::lend(field, a.pass)
            };
            quote! { let #ident = #value; }
        })
        .collect();
    let checks = checks(op, sig, &args)?;
    let raw_path = raw_path(op, &args);
    let call_args: Vec<&syn::Ident> = sig.args.iter().map(|(ident, _)| ident).collect();

    let type_doc = format!(
        " A `{}` request ({} `{}`): set its optional parameters, then [`send`](Self::send) \
         it. Made by [`Client::{name}`](crate::Client::{name}).",
        op.id,
        op.method.as_str(),
        op.path,
    );
    let errors_doc = format!(
        " # Errors\n\n An [`Error`](crate::Error): `InvalidArgument` before any request when an \
         argument breaks the spec's rules, otherwise what the call met (see [`crate::Error`]). \
         Documented statuses: {:?}.\n\n Retries and deadlines follow the client's configuration \
         (`{}` is {}).",
        op.statuses(),
        op.id,
        if op.method.is_idempotent() {
            "idempotent: retried"
        } else {
            "not idempotent: not retried unless the caller opts in"
        }
    );
    // `send()`, and `stream()` for an array: the same checks before any
    // request, then the call through `execute` or `execute_stream`.
    let sending = |method: TokenStream, doc: &str, returns: TokenStream, execute: TokenStream| {
        let all_fields = args.iter().map(|a| &a.field);
        quote! {
            #[doc = #doc]
            #[doc = ""]
            #[doc = #errors_doc]
            #[allow(clippy::clone_on_copy)]
            pub async fn #method(self) -> ::std::result::Result<#returns, crate::Error> {
                const OPERATION: &crate::spec::Operation = &crate::spec::OPERATIONS[#index];
                let Self { client, #(#all_fields),* } = self;
                #(#lend)*
                #(#checks)*
                #raw_path
                client
                    .#execute(OPERATION, raw_path, |attempt: crate::attempt::AttemptClient| async move {
                        attempt.#name(#(#call_args),*).await
                    })
                    .await
            }
        }
    };
    let send = sending(
        quote!(send),
        " Sends the request, with the client's retries and deadline.",
        quote!(#value),
        quote!(execute),
    );
    let (stream, windowed) = match array_item(value) {
        Some(item) => (
            sending(
                quote!(stream),
                " Sends the request and reads the answer's items as they arrive: memory holds \
                 one item, whatever the answer's size. The call is made and retried as \
                 [`send`](Self::send) does until the answer begins; the \
                 [`Items`](crate::Items) then yield each item, or one error that says how many \
                 came before it.",
                quote!(crate::Items<#item>),
                quote!(execute_stream),
            ),
            crate::windowed::generate(op, sig, &type_name, item)?,
        ),
        None => (TokenStream::new(), TokenStream::new()),
    };
    let builder_doc = format!(
        " Required parameters and the body are arguments; optional parameters are set on the \
         returned [`{type_name}`](crate::requests::{type_name}), which [`send`](crate::requests::{type_name}::send)s it."
    );
    Ok(quote! {
        #[doc = #type_doc]
        #[derive(Debug, Clone)]
        #[must_use = "a request is sent only by `.send().await`"]
        pub struct #type_name<'a> {
            client: &'a crate::Client,
            #(#fields,)*
        }

        impl<'a> #type_name<'a> {
            #(#setters)*

            #send

            #stream
        }

        #windowed

        impl crate::Client {
            #[doc = #method_docs]
            #[doc = ""]
            #[doc = #builder_doc]
            pub fn #name<'a>(&'a self, #(#method_params),*) -> #type_name<'a> {
                #type_name { client: self, #(#init,)* }
            }
        }
    })
}

/// The client method's docs: the operation's summary and description,
/// its arguments, and an example that compiles whatever the spec says.
fn method_docs(op: &Operation, args: &[Arg], name: &syn::Ident) -> String {
    let mut doc = String::new();
    for text in [&op.summary, &op.description].into_iter().flatten() {
        doc.push_str(text.trim());
        doc.push_str("\n\n");
    }
    doc.push_str(&format!("`{} {}`\n\n", op.method.as_str(), op.path));
    let describe = |a: &Arg| match &a.description {
        Some(text) => format!("- `{}`: {}\n", a.spec_name, text.trim()),
        None => format!("- `{}`\n", a.spec_name),
    };
    let (required, optional): (Vec<&Arg>, Vec<&Arg>) = args.iter().partition(|a| a.required);
    if !required.is_empty() {
        doc.push_str("Arguments:\n");
        required.iter().for_each(|a| doc.push_str(&describe(a)));
        doc.push('\n');
    }
    if !optional.is_empty() {
        doc.push_str("Optional, set on the request:\n");
        optional.iter().for_each(|a| doc.push_str(&describe(a)));
        doc.push('\n');
    }
    // The example takes each required argument in its owned form.
    let owned = |a: &Arg| a.owned.to_string().replace("crate ::", "np6_client ::");
    let params: String = required
        .iter()
        .map(|a| format!(", {}: {}", a.ident, owned(a)))
        .collect();
    let lent: Vec<String> = required
        .iter()
        .map(|a| signature::lend(&a.ident, a.pass).to_string())
        .collect();
    doc.push_str(&format!(
        "```no_run\n# use np6_client::types;\n\
         # async fn example(client: np6_client::Client{params}) -> Result<(), np6_client::Error> {{\n\
         let answer = client.{name}({}).send().await?;\n# let _ = answer;\n# Ok(())\n# }}\n```",
        lent.join(", ")
    ));
    doc
}

/// `T` when the operation's value is `Vec<T>` (its success is a JSON
/// array): its request then has `stream()` too.
pub fn array_item(value: &Type) -> Option<&Type> {
    let Type::Path(path) = value else { return None };
    let last = path.path.segments.last()?;
    if last.ident != "Vec" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first() {
        Some(syn::GenericArgument::Type(item)) if args.args.len() == 1 => Some(item),
        _ => None,
    }
}

/// `name(value)` and `set_name(Option<value>)` for an optional parameter.
fn setter(arg: &Arg) -> TokenStream {
    let (ident, field) = (&arg.ident, &arg.field);
    let set = format_ident!("set_{}", ident);
    let inner = signature::option_inner(&arg.owned);
    let about = match &arg.description {
        Some(text) => format!(" `{}`: {}", arg.spec_name, text.trim()),
        None => format!(" The `{}` parameter.", arg.spec_name),
    };
    let set_doc = format!(" Sets `{}`, or leaves it out with `None`.", arg.spec_name);
    quote! {
        #[doc = #about]
        pub fn #ident(mut self, value: impl ::std::convert::Into<#inner>) -> Self {
            self.#field = ::std::option::Option::Some(value.into());
            self
        }

        #[doc = #set_doc]
        pub fn #set(mut self, value: ::std::option::Option<#inner>) -> Self {
            self.#field = value;
            self
        }
    }
}

/// The argument checks `send` runs before any request.
fn checks(op: &Operation, sig: &Signature<'_>, args: &[Arg]) -> BuildResult<Vec<TokenStream>> {
    let mut checks = Vec::new();
    if has_string_path_param(op) {
        checks.push(quote! { let mut needs_raw_path = false; });
    }
    for param in &op.params {
        let Some(arg) = args.iter().find(|a| a.spec_name == param.name) else {
            continue;
        };
        let (ident, spec_name) = (&arg.ident, &param.name);
        let in_path = param.location == Location::Path;
        if in_path && param.json_type == "string" {
            checks.push(quote! {
                needs_raw_path |= crate::adapted::check_path_segment(OPERATION, #spec_name, #ident)?;
            });
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
    }
    if let Some((first, second)) = &op.ordered_params {
        let (a, _) = sig.arg(first)?;
        let (b, _) = sig.arg(second)?;
        checks.push(
            quote! { crate::generated_support::check_ordered(OPERATION, (#first, #a), (#second, #b))?; },
        );
    }
    if !op.body_from_path.is_empty() {
        checks.push(body_from_path(op, sig)?);
    }
    Ok(checks)
}

fn has_string_path_param(op: &Operation) -> bool {
    op.params
        .iter()
        .any(|p| p.location == Location::Path && p.json_type == "string")
}

/// The path `send` gives `execute` when progenitor's cannot carry a string
/// path parameter (`np6-client/src/adapted.rs`, 3): `None` for an
/// operation without one.
fn raw_path(op: &Operation, args: &[Arg]) -> TokenStream {
    if !has_string_path_param(op) {
        return quote! { let raw_path = ::std::option::Option::None; };
    }
    let params = op
        .params
        .iter()
        .filter(|p| p.location == Location::Path)
        .filter_map(|p| args.iter().find(|a| a.spec_name == p.name))
        .map(|a| {
            let (ident, spec_name) = (&a.ident, &a.spec_name);
            quote! { (#spec_name, &#ident as &dyn ::std::fmt::Display) }
        });
    quote! {
        let raw_path = needs_raw_path
            .then(|| crate::adapted::raw_path(OPERATION, &[#(#params),*]));
    }
}

/// `x-np6-body-from-path`: fill the body's copy of a path parameter, or
/// refuse a body that disagrees with the path.
fn body_from_path(op: &Operation, sig: &Signature<'_>) -> BuildResult<TokenStream> {
    let Some((_, Type::Reference(body_ref))) = sig.body() else {
        return Err("x-np6-body-from-path on an operation without a body by reference".into());
    };
    let owned_ty = &body_ref.elem;
    let mut fills = Vec::new();
    for (property, param) in &op.body_from_path {
        let (ident, _) = sig.arg(param)?;
        // typify names fields after the property, in snake case.
        let field = format_ident!("{}", heck::ToSnakeCase::to_snake_case(property.as_str()));
        fills.push(quote! {
            if crate::generated_support::mirror_missing(OPERATION, #property, #param, &body.#field, &#ident)? {
                crate::generated_support::Mirror::fill(&mut filled.get_or_insert_with(|| body.clone()).#field, #ident.clone());
            }
        });
    }
    // A copy of the body only when a field is filled in.
    Ok(quote! {
        let mut filled: ::std::option::Option<#owned_ty> = None;
        #(#fills)*
        let body = filled.as_ref().unwrap_or(body);
    })
}

#[cfg(test)]
#[path = "tests/requests.rs"]
mod tests;
