//! Unit tests of np6-client's build modules (`np6-client/build/`) on small
//! spec fragments, so that a progenitor or typify upgrade fails next to the
//! module it breaks. The modules are compiled here as build.rs compiles
//! them (`#[path]`); their tests are in `np6-client/build/tests/`.

// The test crate uses only part of each module.
#![allow(dead_code)]

use serde_json::{Value, json};

type BuildResult<T> = Result<T, Box<dyn std::error::Error>>;

#[path = "../np6-client/build/constructors.rs"]
mod constructors;
#[path = "../np6-client/build/normalize.rs"]
mod normalize;
#[path = "../np6-client/build/open_enum.rs"]
mod open_enum;
#[path = "../np6-client/build/operations.rs"]
mod operations;
#[path = "../np6-client/build/requests.rs"]
mod requests;
#[path = "../np6-client/build/signature.rs"]
mod signature;
#[path = "../np6-client/build/windowed.rs"]
mod windowed;

/// A spec document with `paths` and the component `schemas`.
fn document(paths: Value, schemas: Value) -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1.0.0"},
        "security": [{"key": []}],
        "components": {
            "securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "X-Key"}},
            "schemas": schemas,
        },
        "paths": paths,
    })
}

/// The model of a spec with `paths` and `schemas`.
fn spec(paths: Value, schemas: Value) -> np6_spec::Spec {
    np6_spec::Spec::from_value(document(paths, schemas))
        .unwrap_or_else(|issues| panic!("an invalid fragment: {issues:?}"))
}

/// progenitor's output for the client's copy of `spec`, with the settings
/// of `build/codegen.rs` that shape the methods.
fn progenitor(adapted: &normalize::Adapted) -> syn::File {
    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(progenitor::InterfaceStyle::Positional)
        .with_tag(progenitor::TagStyle::Merged);
    let tokens = progenitor::Generator::new(&settings)
        .generate_tokens(&adapted.document)
        .expect("progenitor generates the fragment");
    syn::parse2(tokens).expect("progenitor's output parses")
}

/// The redlist-like operation: a JSON array or nothing, two optional
/// dates, and an error response.
fn list_paths() -> Value {
    json!({
        "/things": {
            "get": {
                "operationId": "getThings",
                "parameters": [
                    {"name": "startDate", "in": "query", "schema": {"type": "string", "format": "date-time"}},
                    {"name": "endDate", "in": "query", "schema": {"type": "string", "format": "date-time"}}
                ],
                "x-np6-ordered-params": ["startDate", "endDate"],
                "responses": {
                    "200": {"description": "some", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}}}},
                    "204": {"description": "none"},
                    "401": {"description": "refused", "content": {"text/plain": {}}}
                }
            }
        }
    })
}

/// The bounce-like operation: a string and an integer path parameter
/// (declared on the path item), and a body repeating the integer.
fn put_paths() -> Value {
    json!({
        "/things/{id}/parts/{partId}": {
            "parameters": [
                {"name": "id", "in": "path", "required": true, "schema": {"type": "string", "minLength": 1, "pattern": "^.+$"}}
            ],
            "put": {
                "operationId": "putPart",
                "parameters": [
                    {"name": "partId", "in": "path", "required": true, "schema": {"type": "integer", "format": "int32"}}
                ],
                "x-np6-body-from-path": {"partId": "partId"},
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Part"}}}},
                "responses": {"204": {"description": "done"}}
            }
        }
    })
}

fn schemas() -> Value {
    json!({
        "Thing": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}, "n": {"type": "integer", "format": "int32"}}},
        "Part": {"type": "object", "required": ["kind"], "properties": {"kind": {"type": "string"}, "partId": {"type": "integer", "format": "int32"}}}
    })
}

/// Both operations, the way the client's build sees them.
fn both() -> np6_spec::Spec {
    let mut paths = list_paths();
    paths
        .as_object_mut()
        .expect("an object")
        .extend(put_paths().as_object().expect("an object").clone());
    spec(paths, schemas())
}
