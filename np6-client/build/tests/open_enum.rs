//! `open_enum`: `x-extensible-enum` schemas as enums that keep new values.

use serde_json::{Value, json};

use super::{collect, generate};
use crate::document;

fn collected(schemas: Value) -> Result<Vec<super::OpenEnum>, String> {
    let openapi: openapiv3::OpenAPI =
        serde_json::from_value(document(json!({}), schemas)).expect("an OpenAPI document");
    collect(&openapi).map_err(|e| e.to_string())
}

#[test]
fn string_and_integer_enums_become_open_enums() {
    let found = collected(json!({
        "Kind": {"type": "string", "enum": ["hardUser", "soft"], "x-extensible-enum": true},
        "Closed": {"type": "string", "enum": ["a"]},
        "Level": {"type": "integer", "format": "int32", "enum": [1, 2], "x-extensible-enum": true, "x-enum-varnames": ["Low", "High"]}
    }))
    .expect("collected");
    let names: Vec<&str> = found.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["Kind", "Level"], "only the extensible ones");
    let file: syn::File = syn::parse2(generate(&found)).expect("parses");
    let text = quote::quote!(#file).to_string().replace(' ', "");
    assert!(text.contains("pubenumKind{"), "{text}");
    assert!(text.contains("HardUser,"), "{text}");
    assert!(text.contains("Other(::std::string::String)"), "{text}");
    assert!(text.contains("\"hardUser\"=>Self::HardUser"), "{text}");
    assert!(text.contains("Other(i32)"), "{text}");
    assert!(text.contains("1i32=>Self::Low"), "{text}");
}

#[test]
fn malformed_extensible_enums_are_refused_with_their_place() {
    let cases = [
        (
            json!({"type": "integer", "enum": [1], "x-extensible-enum": true}),
            "needs x-enum-varnames",
        ),
        (
            json!({"type": "integer", "enum": [1, 2], "x-extensible-enum": true, "x-enum-varnames": ["One"]}),
            "name each enum value once",
        ),
        (
            json!({"type": "integer", "enum": [4294967296_i64], "x-extensible-enum": true, "x-enum-varnames": ["Big"]}),
            "fit in an int32",
        ),
        (
            json!({"type": "string", "x-extensible-enum": true}),
            "needs an enum",
        ),
        (
            json!({"type": "boolean", "x-extensible-enum": true}),
            "applies to string or integer enums",
        ),
    ];
    for (schema, expected) in cases {
        let error = collected(json!({ "Bad": schema })).err().expect("refused");
        assert!(error.contains("components/schemas/Bad"), "{error}");
        assert!(error.contains(expected), "{expected}: {error}");
    }
}
