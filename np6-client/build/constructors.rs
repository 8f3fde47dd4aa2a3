//! Growth-safe data types: every struct and enum typify generates is
//! `#[non_exhaustive]` (through progenitor's supported `TypePatch`), so a
//! new optional property or enum value breaks no consumer; and every struct
//! gets a constructor taking its required fields, plus one `with_<field>`
//! setter per optional field, so consumers can still build values (request
//! bodies, and responses in their own tests).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::punctuated::Punctuated;
use syn::{Fields, Item, Type};

/// The types of progenitor's `types` module that get `#[non_exhaustive]`:
/// structs with named fields and enums (a newtype stays constructible).
pub fn patched_types(file: &syn::File) -> Vec<String> {
    types_module(file)
        .filter_map(|item| match item {
            Item::Struct(s) if matches!(s.fields, Fields::Named(_)) => Some(s.ident.to_string()),
            Item::Enum(e) => Some(e.ident.to_string()),
            _ => None,
        })
        .collect()
}

/// Every struct and enum of progenitor's `types` module.
pub fn all_types(file: &syn::File) -> Vec<String> {
    types_module(file)
        .filter_map(|item| match item {
            Item::Struct(s) => Some(s.ident.to_string()),
            Item::Enum(e) => Some(e.ident.to_string()),
            _ => None,
        })
        .collect()
}

/// `new` and the `with_*` setters of every struct with named fields.
pub fn generate(file: &syn::File) -> TokenStream {
    let impls = types_module(file).filter_map(|item| match item {
        Item::Struct(s) => match &s.fields {
            Fields::Named(fields) => Some(constructor(&s.ident, fields)),
            _ => None,
        },
        _ => None,
    });
    quote! { #(#impls)* }
}

fn types_module(file: &syn::File) -> impl Iterator<Item = &Item> {
    file.items
        .iter()
        .filter_map(|item| match item {
            Item::Mod(m) if m.ident == "types" => m.content.as_ref(),
            _ => None,
        })
        .flat_map(|(_, items)| items)
}

fn constructor(name: &syn::Ident, fields: &syn::FieldsNamed) -> TokenStream {
    let mut required = Vec::new();
    let mut optional = Vec::new();
    for field in &fields.named {
        let Some(ident) = &field.ident else { continue };
        if is_optional(field) {
            optional.push((ident, &field.ty));
        } else {
            required.push((ident, &field.ty));
        }
    }
    let params = required
        .iter()
        .map(|(ident, ty)| quote! { #ident: impl ::std::convert::Into<#ty> });
    let set_required = required
        .iter()
        .map(|(ident, _)| quote! { #ident: #ident.into() });
    let set_optional = optional
        .iter()
        .map(|(ident, _)| quote! { #ident: ::std::default::Default::default() });
    let listed: Vec<String> = required.iter().map(|(i, _)| format!("`{i}`")).collect();
    let new_doc = if listed.is_empty() {
        format!(" A `{name}` with every field left out.")
    } else {
        format!(
            " A `{name}` with its required fields ({}); the optional ones are left out.",
            listed.join(", ")
        )
    };
    let setters = optional.iter().map(|(ident, ty)| {
        let with = format_ident!("with_{}", ident.to_string().trim_start_matches("r#"));
        let doc = format!(" Sets `{ident}`.");
        match option_inner(ty) {
            Some(inner) => quote! {
                #[doc = #doc]
                pub fn #with(mut self, value: impl ::std::convert::Into<#inner>) -> Self {
                    self.#ident = ::std::option::Option::Some(value.into());
                    self
                }
            },
            None => quote! {
                #[doc = #doc]
                pub fn #with(mut self, value: impl ::std::convert::Into<#ty>) -> Self {
                    self.#ident = value.into();
                    self
                }
            },
        }
    });
    quote! {
        impl #name {
            #[doc = #new_doc]
            #[allow(clippy::new_without_default, clippy::too_many_arguments)]
            pub fn new(#(#params),*) -> Self {
                Self { #(#set_required,)* #(#set_optional,)* }
            }

            #(#setters)*
        }
    }
}

/// A field a value may leave out: an `Option`, or one serde defaults
/// (`#[serde(default)]` or `#[serde(default = "path")]`).
fn is_optional(field: &syn::Field) -> bool {
    option_inner(&field.ty).is_some() || field.attrs.iter().any(serde_defaults)
}

/// Whether `attr` is a `#[serde(..)]` whose arguments include `default`.
fn serde_defaults(attr: &syn::Attribute) -> bool {
    type Args = Punctuated<syn::Meta, syn::Token![,]>;
    attr.path().is_ident("serde")
        && attr
            .parse_args_with(Args::parse_terminated)
            .is_ok_and(|args| args.iter().any(|meta| meta.path().is_ident("default")))
}

fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    let segment = path.path.segments.last()?;
    if segment.ident != "Option" {
        return None;
    }
    match &segment.arguments {
        syn::PathArguments::AngleBracketed(args) => match args.args.first()? {
            syn::GenericArgument::Type(inner) => Some(inner),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
#[path = "tests/constructors.rs"]
mod tests;
