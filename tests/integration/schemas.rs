//! The `schemars` feature: the JSON Schema derived for each generated type
//! says what the spec says of it (its properties and which are required).

use np6_client::types::{BounceData, BounceDetail, BounceType, RedlistEntry};
use serde_json::Value;

/// The spec's schema `name` (`#/components/schemas/<name>`).
fn spec_schema(name: &str) -> Value {
    let text = std::fs::read_to_string(np6_checks::default_spec()).expect("the spec");
    let spec = np6_spec::Spec::from_yaml(&text).expect("a valid spec");
    spec.raw()["components"]["schemas"][name].clone()
}

fn derived<T: schemars::JsonSchema>() -> Value {
    serde_json::to_value(schemars::schema_for!(T)).expect("a schema is JSON")
}

fn sorted(names: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut names: Vec<String> = names.into_iter().collect();
    names.sort();
    names
}

fn properties(schema: &Value) -> Vec<String> {
    sorted(
        schema["properties"]
            .as_object()
            .map(|p| p.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default(),
    )
}

fn required(schema: &Value) -> Vec<String> {
    sorted(
        np6_spec::required_properties(schema)
            .into_iter()
            .map(str::to_owned),
    )
}

#[test]
fn the_derived_schemas_have_the_spec_s_properties_and_required_lists() {
    let cases = [
        ("RedlistEntry", derived::<RedlistEntry>()),
        ("BounceDetail", derived::<BounceDetail>()),
        ("BounceData", derived::<BounceData>()),
    ];
    for (name, schema) in cases {
        let spec = spec_schema(name);
        assert!(spec.is_object(), "{name} is not in the spec");
        assert_eq!(properties(&schema), properties(&spec), "{name}: properties");
        assert_eq!(required(&schema), required(&spec), "{name}: required");
    }
}

#[test]
fn an_extensible_enum_is_described_as_an_open_string() {
    let schema = derived::<BounceType>();
    assert_eq!(schema["type"], "string", "{schema}");
    assert!(
        schema.get("enum").is_none(),
        "an open enum lists no closed set: {schema}"
    );
}
