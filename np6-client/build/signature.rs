//! Reading progenitor's generated methods back with syn: their arguments
//! and result types are exactly progenitor's, so nothing here
//! re-implements typify's mapping of schemas to Rust types.

use heck::ToSnakeCase;
use proc_macro2::TokenStream;
use quote::quote;
use syn::{
    FnArg, GenericArgument, ImplItem, ImplItemFn, Item, Pat, PathArguments, ReturnType, Type,
};

use crate::BuildResult;

/// A method progenitor generated on its inner `Client`.
pub struct Signature<'f> {
    pub name: &'f syn::Ident,
    /// Its arguments after `&self`, by Rust name, in progenitor's order.
    pub args: Vec<(syn::Ident, Type)>,
    /// `T` of its `Result<ResponseValue<T>, _>`.
    pub value: Type,
}

impl Signature<'_> {
    /// The argument for a spec name (`fieldId` -> `field_id`, `type` ->
    /// `type_`).
    pub fn arg(&self, spec_name: &str) -> BuildResult<&(syn::Ident, Type)> {
        let snake = spec_name.to_snake_case();
        self.args
            .iter()
            .find(|(ident, _)| *ident == snake || *ident == format!("{snake}_"))
            .ok_or_else(|| {
                format!("parameter {spec_name} has no argument {snake} in progenitor's method")
                    .into()
            })
    }

    /// The request body argument, if the operation has one.
    pub fn body(&self) -> Option<&(syn::Ident, Type)> {
        self.args.iter().find(|(ident, _)| ident == "body")
    }
}

/// progenitor's method for an operation, read back.
pub fn find<'f>(file: &'f syn::File, method_name: &str) -> BuildResult<Signature<'f>> {
    let method = methods(file)
        .find(|m| m.sig.ident == method_name)
        .ok_or_else(|| format!("progenitor generated no method {method_name}"))?;
    let mut args = Vec::new();
    for input in method.sig.inputs.iter().skip(1) {
        let FnArg::Typed(typed) = input else {
            return Err("unexpected receiver".into());
        };
        let Pat::Ident(ident) = &*typed.pat else {
            return Err("unexpected argument pattern".into());
        };
        args.push((ident.ident.clone(), (*typed.ty).clone()));
    }
    let ReturnType::Type(_, output) = &method.sig.output else {
        return Err("method returns nothing".into());
    };
    let result = first_generic(output, "Result")?;
    Ok(Signature {
        name: &method.sig.ident,
        args,
        value: first_generic(&result, "ResponseValue")?,
    })
}

fn methods(file: &syn::File) -> impl Iterator<Item = &ImplItemFn> {
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
}

/// How an owned value is lent back as progenitor's argument.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// As it is (`i32`, `Option<i32>`).
    Value,
    /// By reference (`&T`, `&str`).
    Ref,
    /// `Option<T>` as `Option<&T>`.
    OptionRef,
    /// `Option<String>` as `Option<&str>`.
    OptionDeref,
}

/// The owned form of an argument type, and how to lend it back.
pub fn owned(ty: &Type) -> (TokenStream, Pass) {
    match ty {
        Type::Reference(r) => match &*r.elem {
            Type::Path(p) if p.path.is_ident("str") => (quote!(::std::string::String), Pass::Ref),
            elem => (quote!(#elem), Pass::Ref),
        },
        Type::Path(_) => match first_generic(ty, "Option") {
            Ok(Type::Reference(inner)) => match &*inner.elem {
                Type::Path(e) if e.path.is_ident("str") => (
                    quote!(::std::option::Option<::std::string::String>),
                    Pass::OptionDeref,
                ),
                elem => (quote!(::std::option::Option<#elem>), Pass::OptionRef),
            },
            _ => (quote!(#ty), Pass::Value),
        },
        other => (quote!(#other), Pass::Value),
    }
}

/// `T` of `Option<T>` (`None` when the type is not an `Option`).
pub fn option_inner(ty: &TokenStream) -> Option<Type> {
    let ty: Type = syn::parse2(ty.clone()).ok()?;
    first_generic(&ty, "Option").ok()
}

/// An owned value lent as progenitor's argument.
pub fn lend(local: &syn::Ident, pass: Pass) -> TokenStream {
    match pass {
        Pass::Value => quote! { #local },
        Pass::Ref => quote! { &#local },
        Pass::OptionRef => quote! { #local.as_ref() },
        Pass::OptionDeref => quote! { #local.as_deref() },
    }
}

pub fn first_generic(ty: &Type, outer: &str) -> BuildResult<Type> {
    if let Type::Path(path) = ty
        && let Some(segment) = path.path.segments.last()
        && segment.ident == outer
        && let PathArguments::AngleBracketed(args) = &segment.arguments
        && let Some(GenericArgument::Type(inner)) = args.args.first()
    {
        return Ok(inner.clone());
    }
    Err(format!("unexpected type shape (expected {outer}<..>)").into())
}

#[cfg(test)]
#[path = "tests/signature.rs"]
mod tests;
