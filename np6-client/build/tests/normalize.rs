//! `normalize::adapt` on small fragments: each rewrite of the copy
//! progenitor gets (its runtime half is `np6-client/src/adapted.rs`).

use serde_json::json;

use super::adapt;
use crate::{list_paths, put_paths, schemas, spec};

/// The copy's document as JSON, to look into.
fn copied(adapted: &super::Adapted) -> serde_json::Value {
    serde_json::to_value(&adapted.document).expect("serializes")
}

#[test]
fn a_json_array_and_a_body_less_success_become_one_2xx() {
    let adapted = adapt(&spec(list_paths(), schemas()), false).expect("adapts");
    let responses = &copied(&adapted)["paths"]["/things"]["get"]["responses"];
    let statuses: Vec<&String> = responses.as_object().expect("an object").keys().collect();
    assert_eq!(statuses, ["2XX"]);
    assert_eq!(
        responses["2XX"]["content"]["application/json"]["schema"]["type"],
        "array"
    );
    assert_eq!(adapted.empty_success["getThings"], [(204, "[]")]);
}

#[test]
fn error_responses_are_dropped_from_the_clients_copy_only() {
    let spec = spec(list_paths(), schemas());
    let client = copied(&adapt(&spec, false).expect("adapts"));
    assert!(
        client["paths"]["/things"]["get"]["responses"]
            .get("401")
            .is_none()
    );
    let mocks = copied(&adapt(&spec, true).expect("adapts"));
    assert!(
        mocks["paths"]["/things"]["get"]["responses"]
            .get("401")
            .is_some()
    );
}

#[test]
fn path_item_parameters_are_inlined_and_string_path_constraints_dropped() {
    let adapted = adapt(&spec(put_paths(), schemas()), false).expect("adapts");
    let document = copied(&adapted);
    let item = &document["paths"]["/things/{id}/parts/{partId}"];
    assert!(
        item.get("parameters").is_none(),
        "folded into the operation"
    );
    let params = item["put"]["parameters"].as_array().expect("a list");
    let names: Vec<&str> = params.iter().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(names, ["id", "partId"]);
    assert_eq!(params[0]["schema"], json!({"type": "string"}));
    // A single 204: nothing to merge, nothing read as empty.
    assert!(!adapted.empty_success.contains_key("putPart"));
}

#[test]
fn a_body_less_success_beside_a_json_object_is_refused() {
    let mut paths = list_paths();
    paths["/things"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] =
        json!({"$ref": "#/components/schemas/Thing"});
    let error = adapt(&spec(paths, schemas()), false)
        .err()
        .expect("refused");
    let message = error.to_string();
    assert!(message.contains("operation getThings"), "{message}");
    assert!(
        message.contains("only when the JSON is an array"),
        "{message}"
    );
}
