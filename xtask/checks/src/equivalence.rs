//! When two JSON bodies say the same thing to NP6.
//!
//! The generated types cannot tell an absent optional property from an
//! explicit `null` when the property is nullable, nor from `{}` when it is
//! a free-form object, nor from `[]` when it is an array: typify maps all
//! of them to one Rust value (`None`, an empty map, an empty list) and
//! leaves it out when encoding. NP6 documents no difference between them
//! either. So a recording and the client's body are compared in a
//! canonical form where, for each *optional* property whose schema says so,
//! an explicit `null`, `{}` or `[]` is the same as leaving it out. Nothing
//! else is equated: a required property, a non-empty value, a property the
//! schema does not describe, or a value of another kind still differs.
//!
//! One more rule, from the spec: a body property the client fills from a
//! path parameter (`x-np6-body-from-path`) says nothing the path does not
//! when it equals that parameter, so such a property is the same as
//! leaving it out ([`without_path_fills`]); one that differs still shows.
//! ARCHITECTURE.md states the rule; `replay` applies it to request and
//! response bodies.

use np6_client::operation::value_from_text;
use np6_spec::resolve;
use serde_json::{Map, Value};

/// `value` in canonical form under `schema` (a schema of the document
/// `root`, possibly a `$ref`).
///
/// ```
/// use serde_json::json;
/// let root = json!({});
/// let schema = json!({"type": "object", "required": ["id"], "properties": {
///     "id": {"type": "string", "nullable": true},
///     "at": {"type": "string", "nullable": true},
///     "detail": {"type": "object", "additionalProperties": true}
/// }});
/// let canonical = |v| np6_checks::equivalence::canonical(&root, &schema, &v);
/// // Optional: null and {} are the same as absent.
/// assert_eq!(canonical(json!({"id": "a", "at": null, "detail": {}})), json!({"id": "a"}));
/// // Required: an explicit null stays.
/// assert_eq!(canonical(json!({"id": null})), json!({"id": null}));
/// ```
pub fn canonical(root: &Value, schema: &Value, value: &Value) -> Value {
    let schema = resolve(root, schema);
    match value {
        Value::Object(members) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            let required = np6_spec::required_properties(schema);
            let mut out = Map::new();
            for (name, member) in members {
                let Some(property) = properties.and_then(|p| p.get(name)) else {
                    out.insert(name.clone(), member.clone());
                    continue;
                };
                let property = resolve(root, property);
                if !required.contains(&name.as_str()) && same_as_absent(property, member) {
                    continue;
                }
                out.insert(name.clone(), canonical(root, property, member));
            }
            Value::Object(out)
        }
        Value::Array(items) => match schema.get("items") {
            Some(item_schema) => Value::Array(
                items
                    .iter()
                    .map(|item| canonical(root, item_schema, item))
                    .collect(),
            ),
            None => value.clone(),
        },
        other => other.clone(),
    }
}

/// `body` without the properties the client fills from the path
/// (`x-np6-body-from-path`) whose value is the path parameter's, typed as
/// the parameter's schema says.
///
/// ```
/// use serde_json::json;
/// let spec = np6_spec::Spec::from_yaml(np6_client::spec::SPEC_YAML).expect("the spec");
/// let op = spec.operations.iter().find(|o| !o.body_from_path.is_empty()).expect("one");
/// let path = [("id".to_owned(), "T1".to_owned()), ("fieldId".to_owned(), "788".to_owned())];
/// let filled = np6_checks::equivalence::without_path_fills(op, &path, &json!({"type": "hardUser", "fieldId": 788}));
/// assert_eq!(filled, json!({"type": "hardUser"}));
/// let other = np6_checks::equivalence::without_path_fills(op, &path, &json!({"fieldId": 7}));
/// assert_eq!(other, json!({"fieldId": 7}));
/// ```
pub fn without_path_fills(
    op: &np6_spec::Operation,
    path_params: &[(String, String)],
    body: &Value,
) -> Value {
    let Value::Object(members) = body else {
        return body.clone();
    };
    let mut out = members.clone();
    for (property, param_name) in &op.body_from_path {
        let from_path = path_params
            .iter()
            .find(|(name, _)| name == param_name)
            .and_then(|(_, text)| {
                let param = op.params.iter().find(|p| p.name == *param_name)?;
                value_from_text(&param.json_type, text).ok()
            });
        if from_path.is_some() && out.get(property) == from_path.as_ref() {
            out.remove(property);
        }
    }
    Value::Object(out)
}

/// Whether an optional property's value is the same as leaving it out,
/// by its (resolved) schema.
fn same_as_absent(schema: &Value, value: &Value) -> bool {
    let kind = schema.get("type").and_then(Value::as_str);
    match value {
        Value::Null => schema.get("nullable") == Some(&Value::Bool(true)),
        Value::Object(members) if members.is_empty() => {
            kind == Some("object")
                && schema
                    .get("properties")
                    .and_then(Value::as_object)
                    .is_none_or(Map::is_empty)
        }
        Value::Array(items) if items.is_empty() => kind == Some("array"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::canonical;

    fn root() -> serde_json::Value {
        json!({"components": {"schemas": {
            "Body": {"type": "object", "required": ["kind"], "properties": {
                "kind": {"type": "string"},
                "when": {"type": "string", "nullable": true},
                "strict": {"type": "string"},
                "extra": {"type": "object", "additionalProperties": true},
                "detail": {"$ref": "#/components/schemas/Detail"},
                "tags": {"type": "array", "items": {"type": "string"}}
            }},
            "Detail": {"type": "object", "properties": {"message": {"type": "string", "nullable": true}}}
        }}})
    }

    fn same(a: serde_json::Value, b: serde_json::Value) -> bool {
        let root = root();
        let schema = json!({"$ref": "#/components/schemas/Body"});
        canonical(&root, &schema, &a) == canonical(&root, &schema, &b)
    }

    #[test]
    fn absent_null_empty_object_and_empty_list_are_one_where_the_schema_allows() {
        assert!(same(
            json!({"kind": "a", "when": null}),
            json!({"kind": "a"})
        ));
        assert!(same(
            json!({"kind": "a", "extra": {}}),
            json!({"kind": "a"})
        ));
        assert!(same(json!({"kind": "a", "tags": []}), json!({"kind": "a"})));
        // Nested, through a $ref.
        assert!(same(
            json!({"kind": "a", "detail": {"message": null}}),
            json!({"kind": "a", "detail": {}})
        ));
        // A list of bodies.
        let root = root();
        let list = json!({"type": "array", "items": {"$ref": "#/components/schemas/Body"}});
        assert_eq!(
            canonical(&root, &list, &json!([{"kind": "a", "when": null}])),
            json!([{"kind": "a"}])
        );
    }

    #[test]
    fn every_real_difference_still_shows() {
        // A value against absence, or against another value.
        assert!(!same(
            json!({"kind": "a", "when": "2020-01-01T00:00:00Z"}),
            json!({"kind": "a"})
        ));
        assert!(!same(
            json!({"kind": "a", "extra": {"k": 1}}),
            json!({"kind": "a"})
        ));
        assert!(!same(
            json!({"kind": "a", "tags": ["t"]}),
            json!({"kind": "a"})
        ));
        assert!(!same(json!({"kind": "a"}), json!({"kind": "b"})));
        // null where the schema is not nullable.
        assert!(!same(
            json!({"kind": "a", "strict": null}),
            json!({"kind": "a"})
        ));
        // {} for an object with properties (not free-form): a value.
        assert!(!same(
            json!({"kind": "a", "detail": {}}),
            json!({"kind": "a"})
        ));
        // A required property: null is not absence.
        assert!(!same(json!({"kind": null}), json!({})));
        // A property the schema does not describe.
        assert!(!same(
            json!({"kind": "a", "other": null}),
            json!({"kind": "a"})
        ));
    }
}
