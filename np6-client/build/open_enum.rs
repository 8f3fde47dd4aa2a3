//! `x-extensible-enum`: enums that keep values the spec does not list yet.
//!
//! typify turns an `enum` schema into a closed Rust enum whose deserializer
//! fails on any new value NP6 introduces. A schema marked
//! `x-extensible-enum: true` becomes instead an enum with one variant per
//! listed value plus `Other(..)`, serialized exactly as the wire value. The
//! generated types use it through progenitor's `with_replacement`.
//!
//! String enums name their variants after the values (`hardUser` ->
//! `HardUser`); integer enums need `x-enum-varnames`, one name per value.

use heck::ToUpperCamelCase;
use openapiv3::{OpenAPI, ReferenceOr, SchemaKind, Type};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::BuildResult;

pub struct OpenEnum {
    pub name: String,
    description: String,
    values: Values,
}

enum Values {
    Str(Vec<(String, String)>),
    Int(Vec<(String, i64)>),
}

pub fn collect(spec: &OpenAPI) -> BuildResult<Vec<OpenEnum>> {
    let mut found = Vec::new();
    let schemas = spec.components.iter().flat_map(|c| &c.schemas);
    for (name, schema) in schemas {
        let ReferenceOr::Item(schema) = schema else {
            continue;
        };
        let data = &schema.schema_data;
        if data.extensions.get("x-extensible-enum") != Some(&serde_json::Value::Bool(true)) {
            continue;
        }
        let where_ = format!("components/schemas/{name}");
        let description = data.description.clone().unwrap_or_default();
        let values = match &schema.schema_kind {
            SchemaKind::Type(Type::String(s)) => {
                if s.enumeration.is_empty() {
                    return Err(format!("{where_}: x-extensible-enum needs an enum").into());
                }
                let values = s
                    .enumeration
                    .iter()
                    .map(|v| {
                        let v = v
                            .clone()
                            .ok_or(format!("{where_}: null is not an enum value here"))?;
                        Ok((v.to_upper_camel_case(), v))
                    })
                    .collect::<BuildResult<Vec<_>>>()?;
                Values::Str(values)
            }
            SchemaKind::Type(Type::Integer(i)) => {
                let names: Vec<String> = data
                    .extensions
                    .get("x-enum-varnames")
                    .map(|v| serde_json::from_value(v.clone()))
                    .transpose()
                    .map_err(|e| format!("{where_}: x-enum-varnames must be a list of names: {e}"))?
                    .ok_or(format!(
                        "{where_}: an integer x-extensible-enum needs x-enum-varnames"
                    ))?;
                let values: Vec<i64> = i.enumeration.iter().flatten().copied().collect();
                if names.len() != values.len() || values.is_empty() {
                    return Err(format!(
                        "{where_}: x-enum-varnames must name each enum value once"
                    )
                    .into());
                }
                if values.iter().any(|v| i32::try_from(*v).is_err()) {
                    return Err(format!("{where_}: enum values must fit in an int32").into());
                }
                Values::Int(names.into_iter().zip(values).collect())
            }
            _ => {
                return Err(format!(
                    "{where_}: x-extensible-enum applies to string or integer enums"
                )
                .into());
            }
        };
        found.push(OpenEnum {
            name: name.to_upper_camel_case(),
            description,
            values,
        });
    }
    Ok(found)
}

pub fn generate(enums: &[OpenEnum]) -> TokenStream {
    let items = enums.iter().map(generate_one);
    quote! { #(#items)* }
}

fn generate_one(open: &OpenEnum) -> TokenStream {
    let name = format_ident!("{}", open.name);
    let description = open.description.trim();
    let other_doc = "A value this version of the client does not know. It is kept as received, \
                     and sent as given.";
    match &open.values {
        Values::Str(values) => {
            let variants: Vec<_> = values.iter().map(|(v, _)| format_ident!("{}", v)).collect();
            let wire: Vec<&str> = values.iter().map(|(_, w)| w.as_str()).collect();
            let docs = wire.iter().map(|w| format!("`{w}`"));
            let first = wire.first().copied().unwrap_or_default();
            let example = format!(
                "```\nuse np6_client::types::{n};\n\nlet known: {n} = \"{first}\".parse().unwrap();\n\
                 assert_eq!(known.as_str(), \"{first}\");\nlet new: {n} = \"notYetKnown\".parse().unwrap();\n\
                 assert_eq!(new, {n}::Other(\"notYetKnown\".into()));\n```",
                n = open.name
            );
            quote! {
                #[doc = #description]
                ///
                /// # Example
                ///
                #[doc = #example]
                #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
                #[non_exhaustive]
                pub enum #name {
                    #( #[doc = #docs] #variants, )*
                    #[doc = #other_doc]
                    Other(::std::string::String),
                }

                impl #name {
                    /// The values this version of the client knows, as sent on
                    /// the wire, in the spec's order (a newer spec may add some).
                    pub const KNOWN: &'static [&'static str] = &[#( #wire, )*];

                    /// The value as sent on the wire.
                    pub fn as_str(&self) -> &str {
                        match self {
                            #( Self::#variants => #wire, )*
                            Self::Other(value) => value.as_str(),
                        }
                    }
                }

                impl ::std::convert::From<&str> for #name {
                    fn from(value: &str) -> Self {
                        match value {
                            #( #wire => Self::#variants, )*
                            other => Self::Other(other.to_owned()),
                        }
                    }
                }

                impl ::std::convert::From<::std::string::String> for #name {
                    fn from(value: ::std::string::String) -> Self {
                        Self::from(value.as_str())
                    }
                }

                impl ::std::str::FromStr for #name {
                    type Err = ::std::convert::Infallible;
                    fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                        Ok(Self::from(value))
                    }
                }

                impl ::std::fmt::Display for #name {
                    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(self.as_str())
                    }
                }

                impl ::serde::Serialize for #name {
                    fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                        serializer.serialize_str(self.as_str())
                    }
                }

                impl<'de> ::serde::Deserialize<'de> for #name {
                    fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                        let value = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(deserializer)?;
                        Ok(Self::from(value.as_ref()))
                    }
                }

                #[cfg(feature = "schemars")]
                impl ::schemars::JsonSchema for #name {
                    fn schema_name() -> ::std::string::String {
                        stringify!(#name).to_owned()
                    }
                    fn json_schema(_: &mut ::schemars::r#gen::SchemaGenerator) -> ::schemars::schema::Schema {
                        ::schemars::schema::SchemaObject {
                            instance_type: Some(::schemars::schema::InstanceType::String.into()),
                            metadata: Some(Box::new(::schemars::schema::Metadata {
                                description: Some(#description.to_owned()),
                                ..Default::default()
                            })),
                            ..Default::default()
                        }
                        .into()
                    }
                }
            }
        }
        Values::Int(values) => {
            let variants: Vec<_> = values.iter().map(|(v, _)| format_ident!("{}", v)).collect();
            let wire: Vec<i32> = values.iter().map(|(_, w)| *w as i32).collect();
            let docs = wire.iter().map(|w| format!("`{w}`"));
            let (first_name, first) = (&values[0].0, values[0].1);
            let example = format!(
                "```\nuse np6_client::types::{n};\n\nassert_eq!({n}::from({first}), {n}::{first_name});\n\
                 assert_eq!({n}::{first_name}.value(), {first});\nassert_eq!({n}::from(1000), {n}::Other(1000));\n```",
                n = open.name
            );
            quote! {
                #[doc = #description]
                ///
                /// # Example
                ///
                #[doc = #example]
                #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
                #[non_exhaustive]
                pub enum #name {
                    #( #[doc = #docs] #variants, )*
                    #[doc = #other_doc]
                    Other(i32),
                }

                impl #name {
                    /// The value as sent on the wire.
                    pub fn value(&self) -> i32 {
                        match self {
                            #( Self::#variants => #wire, )*
                            Self::Other(value) => *value,
                        }
                    }
                }

                impl ::std::convert::From<i32> for #name {
                    fn from(value: i32) -> Self {
                        match value {
                            #( #wire => Self::#variants, )*
                            other => Self::Other(other),
                        }
                    }
                }

                impl ::std::convert::From<#name> for i32 {
                    fn from(value: #name) -> i32 {
                        value.value()
                    }
                }

                impl ::std::str::FromStr for #name {
                    type Err = ::std::num::ParseIntError;
                    fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                        value.parse::<i32>().map(Self::from)
                    }
                }

                impl ::std::fmt::Display for #name {
                    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        ::std::fmt::Display::fmt(&self.value(), f)
                    }
                }

                impl ::serde::Serialize for #name {
                    fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                        serializer.serialize_i32(self.value())
                    }
                }

                impl<'de> ::serde::Deserialize<'de> for #name {
                    fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                        <i32 as ::serde::Deserialize>::deserialize(deserializer).map(Self::from)
                    }
                }

                #[cfg(feature = "schemars")]
                impl ::schemars::JsonSchema for #name {
                    fn schema_name() -> ::std::string::String {
                        stringify!(#name).to_owned()
                    }
                    fn json_schema(_: &mut ::schemars::r#gen::SchemaGenerator) -> ::schemars::schema::Schema {
                        ::schemars::schema::SchemaObject {
                            instance_type: Some(::schemars::schema::InstanceType::Integer.into()),
                            format: Some("int32".to_owned()),
                            metadata: Some(Box::new(::schemars::schema::Metadata {
                                description: Some(#description.to_owned()),
                                ..Default::default()
                            })),
                            ..Default::default()
                        }
                        .into()
                    }
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "tests/open_enum.rs"]
mod tests;
