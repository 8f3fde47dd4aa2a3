//! Adapts a copy of the spec to what progenitor 0.15 can generate.
//!
//! Every fact about the spec comes from the model (`np6_spec::Spec`); this
//! module only rewrites a JSON copy of the document for progenitor, for
//! every operation, present or future:
//!
//! 1. A JSON success beside a body-less success (`200` + array and `204`):
//!    progenitor requires one success type. The copy keeps one `2XX`
//!    response with the JSON schema, and the runtime answers a body-less
//!    declared status with the schema's empty value (`[]` for an array).
//! 2. Error responses with opaque bodies: progenitor would drop the body.
//!    The client's copy declares none, so every error status reaches the
//!    runtime as an unread response, and the typed error keeps status,
//!    request id and body. (The copy for the httpmock helpers keeps them, so
//!    that a mock can answer them.)
//! 3. Parameters: those of a path item are folded into each operation, and
//!    a string path parameter loses its length and pattern constraints,
//!    which would make typify invent a newtype per operation; the generated
//!    method refuses an empty segment instead.
//!
//! The `apiKey` security scheme, which progenitor ignores, needs no
//! rewriting: the model names its header and the runtime sends it.

use std::collections::BTreeMap;

use np6_spec::{Location, Operation, ResponseBody, Spec};
use serde_json::{Value, json};

use crate::BuildResult;

/// The progenitor-ready copy of the spec, and the body-less successes of
/// each operation with the JSON value the client reads them as.
pub struct Adapted {
    pub document: openapiv3::OpenAPI,
    pub empty_success: BTreeMap<String, Vec<(u16, &'static str)>>,
}

/// `keep_errors`: the copy for the httpmock helpers keeps the error
/// responses; the client's copy drops them.
pub fn adapt(spec: &Spec, keep_errors: bool) -> BuildResult<Adapted> {
    let mut copy = spec.raw().clone();
    let mut empty_success = BTreeMap::new();
    for op in &spec.operations {
        let params: Vec<Value> = op.params.iter().map(|p| param(spec, p)).collect();
        let (successes, empty) = successes(spec, op).map_err(|e| {
            format!(
                "operation {} ({} {}): {e}",
                op.id,
                op.method.as_str(),
                op.path
            )
        })?;
        let node = copy
            .pointer_mut(&op.at)
            .ok_or_else(|| format!("operation {} is not at {}", op.id, op.at))?;
        node["parameters"] = Value::Array(params);
        let responses = node["responses"]
            .as_object_mut()
            .ok_or_else(|| format!("operation {} has no responses", op.id))?;
        if !keep_errors {
            responses.retain(|status, _| matches!(status.parse::<u16>(), Ok(100..=399)));
        }
        if let Some((statuses, schema)) = successes {
            responses.retain(|status, _| !matches!(status.parse::<u16>(), Ok(200..=299)));
            responses.insert(
                "2XX".to_owned(),
                json!({
                    "description": format!("Success ({statuses})"),
                    "content": {"application/json": {"schema": schema}},
                }),
            );
            empty_success.insert(op.id.clone(), empty);
        }
    }
    // Folded into each operation's own parameters above.
    for item in copy
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|paths| paths.values_mut())
    {
        if let Some(item) = item.as_object_mut() {
            item.remove("parameters");
        }
    }
    let document = serde_json::from_value(copy)
        .map_err(|e| format!("the adapted spec is not an OpenAPI 3.0 document: {e}"))?;
    Ok(Adapted {
        document,
        empty_success,
    })
}

/// A parameter inlined; a string path parameter without constraints.
fn param(spec: &Spec, param: &np6_spec::Param) -> Value {
    let mut inlined = spec
        .raw()
        .pointer(&param.at)
        .map(|node| spec.resolve(node).clone())
        .unwrap_or(Value::Null);
    if param.location == Location::Path && param.json_type == "string" {
        let mut schema = spec.resolve(&param.schema).clone();
        if let Some(schema) = schema.as_object_mut() {
            for constraint in ["minLength", "maxLength", "pattern"] {
                schema.remove(constraint);
            }
        }
        inlined["schema"] = schema;
    }
    inlined
}

/// When an operation has JSON and body-less successes: the list of its
/// success statuses (for the docs), the JSON schema, and each body-less
/// status with the value it reads as.
#[allow(clippy::type_complexity)]
fn successes(
    spec: &Spec,
    op: &Operation,
) -> BuildResult<(Option<(String, Value)>, Vec<(u16, &'static str)>)> {
    let mut json: Vec<(u16, &Value)> = Vec::new();
    let mut empty: Vec<u16> = Vec::new();
    let mut other = false;
    for (status, response) in op.responses.range(200..300) {
        match &response.body {
            ResponseBody::Json(schema) => json.push((*status, schema)),
            ResponseBody::Empty => empty.push(*status),
            ResponseBody::Opaque => other = true,
        }
    }
    let Some((_, schema)) = json.first().copied() else {
        return Ok((None, Vec::new()));
    };
    if empty.is_empty() {
        return Ok((None, Vec::new()));
    }
    if other {
        return Err("mixes JSON, body-less and other success responses".into());
    }
    if let Some((code, _)) = json.iter().find(|(_, s)| *s != schema) {
        return Err(format!("JSON success {code} has another schema than the first").into());
    }
    let empty_value = match spec.resolve(schema).get("type").and_then(Value::as_str) {
        Some("array") => "[]",
        _ => {
            return Err(format!(
                "body-less success {empty:?} beside a JSON success is supported only when the \
                 JSON is an array (it then decodes as an empty list)"
            )
            .into());
        }
    };
    let mut statuses: Vec<String> = json.iter().map(|(c, _)| c.to_string()).collect();
    statuses.extend(empty.iter().map(|c| format!("{c} as empty")));
    Ok((
        Some((statuses.join(", "), schema.clone())),
        empty.into_iter().map(|c| (c, empty_value)).collect(),
    ))
}

#[cfg(test)]
#[path = "tests/normalize.rs"]
mod tests;
