//! The model's answers on small specs, and on the workspace's own.

use serde_json::{Value, json};

use crate::{Location, Method, ResponseBody, Spec};

/// A valid spec with one operation; `edit` breaks or extends it.
fn spec_with(edit: impl FnOnce(&mut Value)) -> Result<Spec, Vec<String>> {
    let mut doc = json!({
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "2.0.0"},
        "security": [{"key": []}],
        "components": {
            "securitySchemes": {
                "key": {"type": "apiKey", "in": "header", "name": "X-Key"},
                "other": {"type": "apiKey", "in": "header", "name": "X-Other"}
            },
            "parameters": {
                "since": {"name": "since", "in": "query", "schema": {"type": "string", "format": "date-time"}}
            },
            "schemas": {"Thing": {"type": "object", "properties": {"n": {"type": "integer"}}}}
        },
        "paths": {
            "/things/{id}/parts/{part}": {
                "parameters": [
                    {"name": "part", "in": "path", "required": true, "schema": {"type": "integer"}},
                    {"name": "lang", "in": "query", "schema": {"type": "string"}}
                ],
                "put": {
                    "operationId": "putPart",
                    "parameters": [
                        {"$ref": "#/components/parameters/since"},
                        {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                        {"name": "lang", "in": "query", "required": true, "schema": {"type": "string"}}
                    ],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                    "responses": {
                        "200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                        "204": {"description": "none"},
                        "500": {"description": "opaque", "content": {"text/plain": {}}}
                    }
                }
            }
        }
    });
    edit(&mut doc);
    Spec::from_value(doc).map_err(|issues| issues.iter().map(ToString::to_string).collect())
}

/// An edit of a spec document.
type Edit = Box<dyn FnOnce(&mut Value)>;

fn op_at(doc: &mut Value) -> &mut Value {
    &mut doc["paths"]["/things/{id}/parts/{part}"]["put"]
}

#[test]
fn an_operation_has_its_facts() {
    let spec = spec_with(|_| {}).expect("valid");
    assert_eq!(spec.version, "2.0.0");
    assert_eq!(spec.api_key_header, "X-Key");
    let op = spec.operation("putPart").expect("declared");
    assert_eq!(op.method, Method::Put);
    assert_eq!(op.at, "/paths/~1things~1{id}~1parts~1{part}/put");
    // Path parameters first in path order, then the others as written; the
    // operation's `lang` replaces the path item's.
    let names: Vec<(&str, Location, bool)> = op
        .params
        .iter()
        .map(|p| (p.name.as_str(), p.location, p.required))
        .collect();
    assert_eq!(
        names,
        [
            ("id", Location::Path, true),
            ("part", Location::Path, true),
            ("since", Location::Query, false),
            ("lang", Location::Query, true),
        ]
    );
    assert!(op.param("since").is_some_and(|p| p.is_date_time()));
    assert_eq!(
        op.param("part").map(|p| p.json_type.as_str()),
        Some("integer")
    );
    let body = op.body.as_ref().expect("a body");
    assert!(body.required);
    assert_eq!(
        body.json_schema,
        Some(json!({"$ref": "#/components/schemas/Thing"}))
    );
    assert_eq!(op.statuses(), [200, 204, 500]);
    assert!(matches!(op.responses[&200].body, ResponseBody::Json(_)));
    assert_eq!(op.responses[&204].body, ResponseBody::Empty);
    assert_eq!(op.responses[&500].body, ResponseBody::Opaque);
}

#[test]
fn idempotent_methods_are_those_of_rfc_9110() {
    let idempotent: Vec<&str> = Method::ALL
        .into_iter()
        .filter(|m| m.is_idempotent())
        .map(Method::as_str)
        .collect();
    assert_eq!(
        idempotent,
        ["GET", "PUT", "DELETE", "HEAD", "OPTIONS", "TRACE"]
    );
}

#[test]
fn broken_specs_are_reported_at_their_location() {
    let cases: Vec<(Edit, &str)> = vec![
        (
            Box::new(|d| d["openapi"] = json!("3.1.0")),
            "/openapi: expected OpenAPI 3.0.x",
        ),
        (
            Box::new(|d| {
                op_at(d)["requestBody"] = json!({"$ref": "#/components/requestBodies/Nope"})
            }),
            "/requestBody/$ref: $ref \"#/components/requestBodies/Nope\" does not resolve",
        ),
        (
            Box::new(|d| {
                d["components"]["schemas"]["A"] = json!({"$ref": "#/components/schemas/B"});
                d["components"]["schemas"]["B"] = json!({"$ref": "#/components/schemas/A"});
            }),
            "/components/schemas/A/$ref: $ref \"#/components/schemas/B\" is a loop",
        ),
        (
            Box::new(|d| {
                op_at(d).as_object_mut().map(|o| o.remove("operationId"));
            }),
            "/put: every operation needs an operationId",
        ),
        (
            Box::new(|d| {
                let copy = op_at(d).clone();
                d["paths"]["/things/{id}/parts/{part}"]["post"] = copy;
            }),
            "/post/operationId: operationId putPart is used more than once",
        ),
        (
            Box::new(|d| op_at(d)["responses"]["2XX"] = json!({"description": "range"})),
            "/responses/2XX: status 2XX: list each status",
        ),
        (
            Box::new(|d| op_at(d)["x-np6-ordered-params"] = json!(["since", "until"])),
            "/x-np6-ordered-params: until is not a parameter",
        ),
        (
            Box::new(|d| op_at(d)["x-np6-ordered-params"] = json!("since")),
            "/x-np6-ordered-params: takes a list of two parameter names",
        ),
        (
            Box::new(|d| op_at(d)["x-np6-item-time"] = json!(3)),
            "/x-np6-item-time: takes the name of a property of the items",
        ),
        (
            Box::new(|d| op_at(d)["x-np6-item-time"] = json!("at")),
            "/x-np6-item-time: needs x-np6-ordered-params naming two optional date-time",
        ),
        (
            Box::new(|d| op_at(d)["x-np6-item-time"] = json!("at")),
            "/x-np6-item-time: a success of the operation is not an array",
        ),
        (
            Box::new(|d| op_at(d)["x-np6-body-from-path"] = json!({"n": "lang"})),
            "/x-np6-body-from-path: lang is not a path parameter",
        ),
        (
            Box::new(|d| op_at(d)["security"] = json!([])),
            "/put: the operation must apply exactly one apiKey security scheme",
        ),
        (
            Box::new(|d| op_at(d)["security"] = json!([{"key": []}, {"other": []}])),
            "exactly one apiKey security scheme in a header (found [\"X-Key\", \"X-Other\"])",
        ),
        (
            Box::new(|d| op_at(d)["parameters"][1]["name"] = json!("ident")),
            "path parameter ident is not in the path",
        ),
    ];
    for (edit, expected) in cases {
        let issues = spec_with(edit).expect_err(expected);
        assert!(
            issues.iter().any(|i| i.contains(expected)),
            "expected {expected:?} in {issues:#?}"
        );
    }
}

#[test]
fn only_schemes_that_security_applies_count() {
    // `other` is declared but applied nowhere: the key header is X-Key.
    let spec = spec_with(|_| {}).expect("valid");
    assert_eq!(spec.operations[0].key_headers, ["X-Key"]);
    // An operation may override the global requirement.
    let spec = spec_with(|d| op_at(d)["security"] = json!([{"other": []}])).expect("valid");
    assert_eq!(spec.api_key_header, "X-Other");
}

#[test]
fn the_workspace_spec_is_a_valid_model() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/np6.yaml");
    let text = std::fs::read_to_string(path).expect("the workspace spec");
    let spec = Spec::from_yaml(&text).expect("valid");
    assert_eq!(spec.api_key_header, "X-Key");
    let bounce = spec.operation("putTargetBounce").expect("declared");
    assert_eq!(
        bounce.body_from_path,
        [("fieldId".to_owned(), "fieldId".to_owned())]
    );
    let redlist = spec.operation("getMailRedlist").expect("declared");
    assert_eq!(
        redlist.ordered_params,
        Some(("startDate".to_owned(), "endDate".to_owned()))
    );
    assert_eq!(redlist.item_time.as_deref(), Some("timestamp"));
    // The item's time must be a date-time property of the array's items.
    let mut raw: serde_json::Value = serde_saphyr::from_str(&text).expect("the spec's YAML");
    raw["paths"]["/targets/redlist/mail"]["get"]["x-np6-item-time"] = json!("origin");
    let issues = Spec::from_value(raw.clone()).expect_err("origin is no date-time");
    assert!(
        issues
            .iter()
            .any(|i| i.to_string().contains("origin is not a date-time")),
        "{issues:?}"
    );
    raw["paths"]["/targets/redlist/mail"]["get"]["x-np6-item-time"] = json!("when");
    let issues = Spec::from_value(raw).expect_err("no such property");
    assert!(
        issues.iter().any(|i| i
            .to_string()
            .contains("when is not a property of the items")),
        "{issues:?}"
    );
}
