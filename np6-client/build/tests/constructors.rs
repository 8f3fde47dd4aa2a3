//! `constructors`: `#[non_exhaustive]` targets, `new` and `with_*`.

use super::{all_types, generate, is_optional, patched_types};

fn types_module() -> syn::File {
    syn::parse_str(
        r#"
        pub mod types {
            pub struct Thing {
                pub id: String,
                #[serde(default, skip_serializing_if = "Vec::is_empty")]
                pub tags: Vec<String>,
                #[serde(rename = "default")]
                pub named_default: String,
                #[serde(default = "defaults::n")]
                pub n: i32,
                pub note: Option<String>,
            }
            pub struct Id(String);
            pub enum Kind { A, B }
        }
        "#,
    )
    .expect("parses")
}

fn field(file: &syn::File, name: &str) -> syn::Field {
    let syn::Item::Mod(module) = &file.items[0] else {
        panic!("a module")
    };
    let items = &module.content.as_ref().expect("inline").1;
    let syn::Item::Struct(thing) = &items[0] else {
        panic!("a struct")
    };
    thing
        .fields
        .iter()
        .find(|f| f.ident.as_ref().is_some_and(|i| i == name))
        .cloned()
        .expect("the field")
}

#[test]
fn a_field_is_optional_when_an_option_or_defaulted_by_serde() {
    let file = types_module();
    for (name, optional) in [
        ("id", false),
        ("tags", true),
        ("named_default", false),
        ("n", true),
        ("note", true),
    ] {
        assert_eq!(is_optional(&field(&file, name)), optional, "{name}");
    }
}

#[test]
fn named_structs_and_enums_are_patched_and_structs_get_constructors() {
    let file = types_module();
    assert_eq!(patched_types(&file), ["Thing", "Kind"]);
    assert_eq!(all_types(&file), ["Thing", "Id", "Kind"]);
    let text = generate(&file).to_string().replace(' ', "");
    assert!(
        text.contains("pubfnnew(id:impl::std::convert::Into<String>,named_default:impl::std::convert::Into<String>)"),
        "{text}"
    );
    for setter in ["pubfnwith_tags(", "pubfnwith_n(", "pubfnwith_note("] {
        assert!(text.contains(setter), "{setter} in {text}");
    }
    assert!(
        !text.contains("implId"),
        "a newtype gets no constructor: {text}"
    );
}
