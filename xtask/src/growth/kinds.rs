//! The usual ways NP6's spec grows, and two that must break, as edits of
//! the spec document. Each edit picks its target from the spec itself (the
//! first operation, the first object schema a request body uses...), so the
//! check keeps working as the spec changes.

use np6_spec::{ResponseBody, Spec};
use serde_json::{Map, Value, json};

/// One kind of growth.
pub struct Kind {
    /// A short name (`optional-query-parameter`).
    pub name: &'static str,
    /// Whether consumers must be able to take it without a code change.
    pub additive: bool,
    /// Edits a copy of the spec document; `Err` says why the spec offers no
    /// place for it (the kind is then skipped, and reported so).
    pub grow: fn(&Spec, &mut Value) -> Result<String, String>,
}

/// Every kind, the additive ones first, then the controls.
pub const KINDS: &[Kind] = &[
    Kind {
        name: "new-operation",
        additive: true,
        grow: new_operation,
    },
    Kind {
        name: "optional-query-parameter",
        additive: true,
        grow: optional_query_parameter,
    },
    Kind {
        name: "optional-request-property",
        additive: true,
        grow: optional_request_property,
    },
    Kind {
        name: "optional-response-property",
        additive: true,
        grow: optional_response_property,
    },
    Kind {
        name: "extensible-enum-value",
        additive: true,
        grow: extensible_enum_value,
    },
    Kind {
        name: "error-status",
        additive: true,
        grow: error_status,
    },
    Kind {
        name: "required-parameter (control)",
        additive: false,
        grow: required_parameter,
    },
    Kind {
        name: "removed-property (control)",
        additive: false,
        grow: removed_property,
    },
];

/// The node of the document at a JSON pointer.
fn at<'a>(doc: &'a mut Value, pointer: &str) -> Result<&'a mut Value, String> {
    doc.pointer_mut(pointer)
        .ok_or_else(|| format!("nothing at {pointer}"))
}

/// The members of an object node.
fn members(node: &mut Value) -> Result<&mut Map<String, Value>, String> {
    node.as_object_mut()
        .ok_or_else(|| "expected an object in the spec".to_owned())
}

fn first_operation(spec: &Spec) -> Result<&np6_spec::Operation, String> {
    spec.operations
        .first()
        .ok_or_else(|| "the spec has no operation".to_owned())
}

/// A new GET operation on a new path, with a path parameter and a JSON
/// answer of its own schema.
fn new_operation(_: &Spec, doc: &mut Value) -> Result<String, String> {
    let paths = members(at(doc, "/paths")?)?;
    paths.insert(
        "/growth-check/{id}".to_owned(),
        json!({"get": {
            "operationId": "getGrowthCheck",
            "summary": "An operation the growth check adds",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {
                "200": {"description": "ok", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["id"],
                    "properties": {"id": {"type": "string"}, "note": {"type": "string"}}
                }}}},
                "404": {"description": "not found"}
            }
        }}),
    );
    Ok("GET /growth-check/{id} (getGrowthCheck)".to_owned())
}

/// Adds a parameter to the first operation; its id.
fn add_parameter(spec: &Spec, doc: &mut Value, param: Value) -> Result<String, String> {
    let op = first_operation(spec)?;
    let params = members(at(doc, &op.at)?)?
        .entry("parameters")
        .or_insert_with(|| json!([]));
    params
        .as_array_mut()
        .ok_or("parameters is not a list")?
        .push(param);
    Ok(op.id.clone())
}

fn optional_query_parameter(spec: &Spec, doc: &mut Value) -> Result<String, String> {
    let param = json!({"name": "growthCheckLimit", "in": "query", "schema": {"type": "integer", "format": "int32"}});
    let id = add_parameter(spec, doc, param)?;
    Ok(format!("{id}: optional query parameter growthCheckLimit"))
}

/// The component schema a body schema refers to (directly or as its
/// array's items).
fn component_of(schema: &Value) -> Option<String> {
    let schema = schema.get("items").unwrap_or(schema);
    schema
        .get("$ref")?
        .as_str()?
        .strip_prefix("#/components/schemas/")
        .map(str::to_owned)
}

/// Adds an optional string property to a component object schema.
fn add_property(doc: &mut Value, schema: &str, property: &str) -> Result<(), String> {
    let pointer = format!("/components/schemas/{}", np6_spec::pointer_token(schema));
    let properties = members(at(doc, &pointer)?)?
        .entry("properties")
        .or_insert_with(|| json!({}));
    members(properties)?.insert(property.to_owned(), json!({"type": "string"}));
    Ok(())
}

fn optional_request_property(spec: &Spec, doc: &mut Value) -> Result<String, String> {
    let schema = spec
        .operations
        .iter()
        .filter_map(|op| op.body.as_ref()?.json_schema.as_ref())
        .find_map(component_of)
        .ok_or("no request body refers to a component schema")?;
    add_property(doc, &schema, "growthCheckNote")?;
    Ok(format!("{schema}: optional property growthCheckNote"))
}

fn optional_response_property(spec: &Spec, doc: &mut Value) -> Result<String, String> {
    let schema = spec
        .operations
        .iter()
        .flat_map(|op| op.responses.range(200..300))
        .filter_map(|(_, response)| match &response.body {
            ResponseBody::Json(schema) => component_of(schema),
            _ => None,
        })
        .next()
        .ok_or("no success response refers to a component schema")?;
    add_property(doc, &schema, "growthCheckChannel")?;
    Ok(format!("{schema}: optional property growthCheckChannel"))
}

fn extensible_enum_value(spec: &Spec, doc: &mut Value) -> Result<String, String> {
    let (name, schema) = spec
        .component_schemas()
        .find(|(_, s)| s.get("x-extensible-enum") == Some(&Value::Bool(true)))
        .ok_or("no schema is an x-extensible-enum")?;
    let integer = schema.get("type") == Some(&json!("integer"));
    let node = members(at(
        doc,
        &format!("/components/schemas/{}", np6_spec::pointer_token(name)),
    )?)?;
    let values = node
        .get_mut("enum")
        .and_then(Value::as_array_mut)
        .ok_or("the enum has no values")?;
    if integer {
        let next = values.iter().filter_map(Value::as_i64).max().unwrap_or(0) + 1;
        values.push(json!(next));
        if let Some(names) = node
            .get_mut("x-enum-varnames")
            .and_then(Value::as_array_mut)
        {
            names.push(json!("GrowthCheckValue"));
        }
    } else {
        values.push(json!("growthCheckValue"));
    }
    Ok(format!("{name}: a new value"))
}

fn error_status(spec: &Spec, doc: &mut Value) -> Result<String, String> {
    let op = first_operation(spec)?;
    let status = [410u16, 422, 451]
        .into_iter()
        .find(|s| !op.responses.contains_key(s))
        .ok_or("the operation documents every candidate status")?;
    let responses = at(doc, &format!("{}/responses", op.at))?;
    members(responses)?.insert(
        status.to_string(),
        json!({"description": "An error status the growth check adds"}),
    );
    Ok(format!("{}: status {status}", op.id))
}

fn required_parameter(spec: &Spec, doc: &mut Value) -> Result<String, String> {
    let param = json!({"name": "growthCheckChannel", "in": "query", "required": true, "schema": {"type": "string"}});
    let id = add_parameter(spec, doc, param)?;
    Ok(format!("{id}: required query parameter growthCheckChannel"))
}

fn removed_property(spec: &Spec, doc: &mut Value) -> Result<String, String> {
    let (name, property) = spec
        .component_schemas()
        .find_map(|(name, schema)| {
            let required = np6_spec::required_properties(schema);
            let property = schema
                .get("properties")?
                .as_object()?
                .keys()
                .find(|p| !required.contains(&p.as_str()))?;
            Some((name.to_owned(), property.clone()))
        })
        .ok_or("no component schema has an optional property")?;
    let pointer = format!(
        "/components/schemas/{}/properties",
        np6_spec::pointer_token(&name)
    );
    members(at(doc, &pointer)?)?.remove(&property);
    Ok(format!("{name}: property {property} removed"))
}
