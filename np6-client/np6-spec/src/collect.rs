//! Reading the operations out of the document, with every problem at its
//! location.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::Issue;
use crate::document::{pointer_token, resolve};
use crate::operation::{Location, Method, Operation, Param, RequestBody, Response, ResponseBody};

/// Every operation of the document; problems go to `issues`.
pub(crate) fn operations(raw: &Value, issues: &mut Vec<Issue>) -> Vec<Operation> {
    let mut operations: Vec<Operation> = Vec::new();
    let global_security = raw.get("security");
    let empty = Map::new();
    let paths = raw
        .get("paths")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    for (path, item) in paths {
        let item = resolve(raw, item);
        for method in Method::ALL {
            let key = method.key();
            let Some(op) = item.get(&key) else { continue };
            let at = format!("/paths/{}/{key}", pointer_token(path));
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                issues.push(Issue::new(at, "every operation needs an operationId"));
                continue;
            };
            if let Some(first) = operations.iter().find(|o| o.id == id) {
                issues.push(Issue::new(
                    format!("{at}/operationId"),
                    format!(
                        "operationId {id} is used more than once (also at {})",
                        first.at
                    ),
                ));
                continue;
            }
            let mut operation = Operation {
                id: id.to_owned(),
                method,
                path: path.clone(),
                summary: text(op, "summary"),
                description: text(op, "description"),
                params: params(raw, path, item, op, &at, issues),
                body: request_body(raw, op, &at),
                responses: responses(raw, op, &at, issues),
                key_headers: key_headers(raw, op.get("security").or(global_security)),
                ordered_params: None,
                body_from_path: Vec::new(),
                item_time: None,
                at,
            };
            extensions(op, &mut operation, issues);
            item_time(raw, op, &mut operation, issues);
            operations.push(operation);
        }
    }
    operations
}

/// A text member of an object.
fn text(node: &Value, key: &str) -> Option<String> {
    node.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// The path item's parameters and the operation's (which override those
/// of the same name and location), path ones first in path order.
fn params(
    raw: &Value,
    path: &str,
    item: &Value,
    op: &Value,
    at: &str,
    issues: &mut Vec<Issue>,
) -> Vec<Param> {
    let listed = |node: &Value, at: String| -> Vec<(String, Value)> {
        node.get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, p)| (format!("{at}/parameters/{i}"), resolve(raw, p).clone()))
            .collect()
    };
    let item_at = at
        .rsplit_once('/')
        .map_or("", |(parent, _)| parent)
        .to_owned();
    let mut params: Vec<Param> = Vec::new();
    for (here, param) in listed(item, item_at)
        .into_iter()
        .chain(listed(op, at.to_owned()))
    {
        let name = param
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let location = match param.get("in").and_then(Value::as_str) {
            Some("path") => Location::Path,
            Some("query") => Location::Query,
            Some("header") => Location::Header,
            Some("cookie") => Location::Cookie,
            other => {
                issues.push(Issue::new(
                    here,
                    format!("unknown parameter location {other:?}"),
                ));
                continue;
            }
        };
        let schema = param.get("schema").cloned().unwrap_or_else(|| json!({}));
        let resolved = resolve(raw, &schema);
        let new = Param {
            name: name.to_owned(),
            location,
            required: location == Location::Path
                || param.get("required") == Some(&Value::Bool(true)),
            json_type: text(resolved, "type").unwrap_or_else(|| "string".to_owned()),
            format: text(resolved, "format"),
            description: text(&param, "description"),
            schema,
            at: here,
        };
        // An operation's parameter replaces its path item's namesake.
        params.retain(|p| !(p.name == new.name && p.location == new.location));
        params.push(new);
    }
    for param in params.iter().filter(|p| p.location == Location::Path) {
        if !path.contains(&format!("{{{}}}", param.name)) {
            issues.push(Issue::new(
                &param.at,
                format!("path parameter {} is not in the path {path}", param.name),
            ));
        }
    }
    params.sort_by_key(|p| match p.location {
        Location::Path => path.find(&format!("{{{}}}", p.name)).unwrap_or(0),
        _ => usize::MAX,
    });
    params
}

fn request_body(raw: &Value, op: &Value, at: &str) -> Option<RequestBody> {
    let body = resolve(raw, op.get("requestBody")?);
    Some(RequestBody {
        required: body.get("required") == Some(&Value::Bool(true)),
        json_schema: json_media(body)
            .map(|media| media.get("schema").cloned().unwrap_or_else(|| json!({}))),
        at: format!("{at}/requestBody"),
    })
}

/// The `application/json` media type of a body or response.
fn json_media(node: &Value) -> Option<&Value> {
    node.get("content")?
        .as_object()?
        .iter()
        .find(|(k, _)| *k == "application/json" || k.starts_with("application/json;"))
        .map(|(_, media)| media)
}

fn responses(
    raw: &Value,
    op: &Value,
    at: &str,
    issues: &mut Vec<Issue>,
) -> BTreeMap<u16, Response> {
    let mut responses = BTreeMap::new();
    for (status, response) in op
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let here = format!("{at}/responses/{}", pointer_token(status));
        let Some(code) = status
            .parse::<u16>()
            .ok()
            .filter(|c| (100..=599).contains(c))
        else {
            issues.push(Issue::new(
                here,
                format!("status {status}: list each status; ranges and default are not supported"),
            ));
            continue;
        };
        let response = resolve(raw, response);
        let has_content = response
            .get("content")
            .and_then(Value::as_object)
            .is_some_and(|c| !c.is_empty());
        let body = match json_media(response) {
            Some(media) => {
                ResponseBody::Json(media.get("schema").cloned().unwrap_or_else(|| json!({})))
            }
            None if has_content => ResponseBody::Opaque,
            None => ResponseBody::Empty,
        };
        responses.insert(code, Response { body, at: here });
    }
    responses
}

/// The header names of the `apiKey` schemes a security requirement uses.
fn key_headers(raw: &Value, security: Option<&Value>) -> Vec<String> {
    let mut headers = Vec::new();
    let names = security
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .flat_map(|requirement| requirement.keys());
    for name in names {
        let scheme = raw.pointer(&format!(
            "/components/securitySchemes/{}",
            pointer_token(name)
        ));
        let scheme = scheme.map(|s| resolve(raw, s));
        if let Some(scheme) = scheme.filter(|s| {
            s.get("type") == Some(&json!("apiKey")) && s.get("in") == Some(&json!("header"))
        }) && let Some(header) = scheme.get("name").and_then(Value::as_str)
            && !headers
                .iter()
                .any(|h: &String| h.eq_ignore_ascii_case(header))
        {
            headers.push(header.to_owned());
        }
    }
    headers
}

/// The one key header every operation applies: the client sends it with
/// every call.
pub(crate) fn api_key_header(operations: &[Operation], issues: &mut Vec<Issue>) -> String {
    let mut headers: Vec<&str> = Vec::new();
    for op in operations {
        match op.key_headers.as_slice() {
            [one] => {
                if !headers.iter().any(|h| h.eq_ignore_ascii_case(one)) {
                    headers.push(one);
                }
            }
            other => issues.push(Issue::new(
                &op.at,
                format!(
                    "the operation must apply exactly one apiKey security scheme in a header \
                     (found {other:?}): the client sends the key with every call"
                ),
            )),
        }
    }
    match headers.as_slice() {
        [one] => (*one).to_owned(),
        [] if operations.is_empty() => String::new(),
        other => {
            issues.push(Issue::new(
                "/security",
                format!("all operations must apply the same apiKey header; found {other:?}"),
            ));
            String::new()
        }
    }
}

/// `x-np6-item-time`: a date-time property of the items of the array
/// the operation answers with, and a window of two optional date-time
/// query parameters (`x-np6-ordered-params`) to place them in.
fn item_time(raw: &Value, op: &Value, operation: &mut Operation, issues: &mut Vec<Issue>) {
    let Some(value) = op.get("x-np6-item-time") else {
        return;
    };
    let here = format!("{}/x-np6-item-time", operation.at);
    let Some(property) = value.as_str() else {
        issues.push(Issue::new(
            here,
            "takes the name of a property of the items",
        ));
        return;
    };
    let window = operation.ordered_params.as_ref().map(|(a, b)| [a, b]);
    let window_ok = window.is_some_and(|names| {
        names.iter().all(|name| {
            operation
                .param(name)
                .is_some_and(|p| p.is_date_time() && !p.required && p.location == Location::Query)
        })
    });
    if !window_ok {
        issues.push(Issue::new(
            &here,
            "needs x-np6-ordered-params naming two optional date-time query parameters (the \
             window)",
        ));
    }
    let mut arrays = operation
        .responses
        .iter()
        .filter(|(status, _)| (200..300).contains(*status))
        .filter_map(|(_, response)| match &response.body {
            ResponseBody::Json(schema) => Some(resolve(raw, schema)),
            _ => None,
        })
        .peekable();
    if arrays.peek().is_none() {
        issues.push(Issue::new(&here, "the operation answers no JSON success"));
    }
    for schema in arrays {
        let item = schema
            .get("items")
            .filter(|_| schema.get("type").and_then(Value::as_str) == Some("array"))
            .map(|items| resolve(raw, items));
        let time = item
            .and_then(|item| item.get("properties"))
            .and_then(|properties| properties.get(property))
            .map(|schema| resolve(raw, schema));
        match (item, time) {
            (None, _) => issues.push(Issue::new(
                &here,
                "a success of the operation is not an array",
            )),
            (Some(_), None) => issues.push(Issue::new(
                &here,
                format!("{property} is not a property of the items"),
            )),
            (Some(_), Some(time)) => {
                if time.get("format").and_then(Value::as_str) != Some("date-time") {
                    issues.push(Issue::new(&here, format!("{property} is not a date-time")));
                }
            }
        }
    }
    operation.item_time = Some(property.to_owned());
}

/// `x-np6-ordered-params` and `x-np6-body-from-path`.
fn extensions(op: &Value, operation: &mut Operation, issues: &mut Vec<Issue>) {
    let at = operation.at.clone();
    if let Some(value) = op.get("x-np6-ordered-params") {
        let here = format!("{at}/x-np6-ordered-params");
        match serde_json::from_value::<[String; 2]>(value.clone()) {
            Ok([first, second]) => {
                for name in [&first, &second] {
                    if operation.param(name).is_none() {
                        issues.push(Issue::new(
                            &here,
                            format!("{name} is not a parameter of the operation"),
                        ));
                    }
                }
                operation.ordered_params = Some((first, second));
            }
            Err(_) => issues.push(Issue::new(here, "takes a list of two parameter names")),
        }
    }
    if let Some(value) = op.get("x-np6-body-from-path") {
        let here = format!("{at}/x-np6-body-from-path");
        let Ok(map) = serde_json::from_value::<BTreeMap<String, String>>(value.clone()) else {
            issues.push(Issue::new(here, "maps body properties to path parameters"));
            return;
        };
        if operation
            .body
            .as_ref()
            .and_then(|b| b.json_schema.as_ref())
            .is_none()
        {
            issues.push(Issue::new(&here, "the operation has no JSON request body"));
        }
        for (property, param) in map {
            if !operation
                .params
                .iter()
                .any(|p| p.location == Location::Path && p.name == param)
            {
                issues.push(Issue::new(
                    &here,
                    format!("{param} is not a path parameter"),
                ));
            }
            operation.body_from_path.push((property, param));
        }
    }
}
