//! The spec, checked and compiled: operations with a validator for every
//! parameter, request body and response body.
//!
//! OpenAPI 3.0 schemas are not JSON Schema as they stand; [`translate`]
//! rewrites them once (`nullable`, boolean `exclusiveMinimum`/`Maximum`,
//! `int32`/`int64` as numeric bounds, component `$ref`s into `$defs`), then
//! `jsonschema` compiles each one (draft 2020-12, formats checked, offline).

use std::collections::BTreeMap;
use std::path::Path;

use jsonschema::Validator;
use np6_client::spec::{PathParams, find_operation};
use serde_json::{Map, Value, json};

use crate::report::Issue;

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Path,
    Query,
    Header,
}

/// A parameter with its compiled schema.
pub struct Param {
    pub name: String,
    pub location: Location,
    pub required: bool,
    /// The JSON type its text is converted to before validation.
    pub json_type: String,
    pub validator: Validator,
}

/// What a documented status carries.
pub enum ResponseBody {
    /// No body.
    Empty,
    /// A JSON body, validated.
    Json(Validator),
    /// An opaque body (any content type): kept, not validated.
    Opaque,
}

/// One operation of the spec.
pub struct Operation {
    pub id: String,
    pub method: String,
    pub path: String,
    pub params: Vec<Param>,
    /// The JSON request body: required, validator.
    pub body: Option<(bool, Validator)>,
    pub responses: BTreeMap<u16, ResponseBody>,
    /// Header names of the `apiKey` security schemes that apply.
    pub key_headers: Vec<String>,
}

/// The spec, ready to check fixtures.
pub struct Model {
    pub operations: Vec<Operation>,
}

impl Model {
    /// Loads, checks and compiles the spec. Every problem of the spec is
    /// returned, each with its location in the document.
    ///
    /// # Errors
    ///
    /// The list of problems when the spec is invalid or unreadable.
    pub fn load(path: &Path) -> Result<Model, Vec<Issue>> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            vec![Issue::new(
                "spec",
                format!("cannot read {}: {e}", path.display()),
            )]
        })?;
        let raw: Value = serde_saphyr::from_str(&text)
            .map_err(|e| vec![Issue::new("spec", format!("not YAML: {e}"))])?;
        Self::from_value(&raw)
    }

    /// Checks and compiles a spec already parsed.
    ///
    /// # Errors
    ///
    /// The list of problems when the spec is invalid.
    pub fn from_value(raw: &Value) -> Result<Model, Vec<Issue>> {
        let mut issues = Vec::new();
        match raw.get("openapi").and_then(Value::as_str) {
            Some(v) if v.starts_with("3.0.") => {}
            other => issues.push(Issue::new(
                "openapi",
                format!("expected OpenAPI 3.0.x, found {other:?}"),
            )),
        }
        if let Err(e) = serde_json::from_value::<openapiv3::OpenAPI>(raw.clone()) {
            issues.push(Issue::new(
                "spec",
                format!("not an OpenAPI 3.0 document: {e}"),
            ));
        }
        check_refs(raw, raw, "", &mut issues);
        if !issues.is_empty() {
            return Err(issues);
        }
        let defs = translated_defs(raw);
        let compiler = Compiler { defs };
        check_examples(raw, &compiler, &mut issues);
        let operations = operations(raw, &compiler, &mut issues);
        let mut ids: Vec<&str> = operations.iter().map(|o| o.id.as_str()).collect();
        ids.sort_unstable();
        for pair in ids.windows(2).filter(|w| w[0] == w[1]) {
            issues.push(Issue::new(
                "paths",
                format!("operationId {} is used more than once", pair[0]),
            ));
        }
        if issues.is_empty() {
            Ok(Model { operations })
        } else {
            Err(issues)
        }
    }

    /// The operation with this id.
    pub fn operation(&self, id: &str) -> Option<&Operation> {
        self.operations.iter().find(|o| o.id == id)
    }

    /// The operation for a method and a raw path, with the path parameters
    /// percent-decoded; or why there is none.
    pub fn match_request(
        &self,
        method: &str,
        raw_path: &str,
    ) -> Result<(&Operation, PathParams), String> {
        let operations = self
            .operations
            .iter()
            .map(|op| (op.method.as_str(), op.path.as_str(), op));
        find_operation(operations, method, raw_path).map_err(|e| e.to_string())
    }
}

/// Every `$ref` must be local and resolve.
fn check_refs(root: &Value, node: &Value, at: &str, issues: &mut Vec<Issue>) {
    match node {
        Value::Object(map) => {
            for (key, value) in map {
                let here = format!("{at}/{}", pointer_token(key));
                if key == "$ref" {
                    match value.as_str().and_then(|r| r.strip_prefix('#')) {
                        Some(pointer) if root.pointer(pointer).is_some() => {}
                        _ => issues.push(Issue::new(
                            &here,
                            format!("$ref {value} does not resolve in the document"),
                        )),
                    }
                } else {
                    check_refs(root, value, &here, issues);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check_refs(root, item, &format!("{at}/{i}"), issues);
            }
        }
        _ => {}
    }
}

/// OpenAPI 3.0 schema -> JSON Schema 2020-12.
pub fn translate(schema: &Value) -> Value {
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
        // OpenAPI 3.0 ignores the siblings of a $ref.
        let target = reference.replacen("#/components/schemas/", "#/$defs/", 1);
        return json!({ "$ref": target });
    }
    let mut out = Map::new();
    for (key, value) in map {
        match key.as_str() {
            "properties" | "patternProperties" => {
                let props = value
                    .as_object()
                    .map(|p| {
                        p.iter()
                            .map(|(k, v)| (k.clone(), translate(v)))
                            .collect::<Map<_, _>>()
                    })
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Object(props));
            }
            "items" | "not" => {
                out.insert(key.clone(), translate(value));
            }
            "additionalProperties" => {
                out.insert(
                    key.clone(),
                    if value.is_object() {
                        translate(value)
                    } else {
                        value.clone()
                    },
                );
            }
            "allOf" | "anyOf" | "oneOf" => {
                let list = value
                    .as_array()
                    .map(|l| l.iter().map(translate).collect())
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Array(list));
            }
            "nullable" | "discriminator" | "xml" | "externalDocs" | "example" | "deprecated"
            | "readOnly" | "writeOnly" => {}
            k if k.starts_with("x-") => {}
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    for (flag, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if out.get(flag) == Some(&Value::Bool(true)) {
            match out.remove(bound) {
                Some(limit) => out.insert(flag.to_owned(), limit),
                None => out.remove(flag),
            };
        } else if out.get(flag) == Some(&Value::Bool(false)) {
            out.remove(flag);
        }
    }
    let bounds = match out.get("format").and_then(Value::as_str) {
        Some("int32") => Some((i64::from(i32::MIN), i64::from(i32::MAX))),
        Some("int64") => Some((i64::MIN, i64::MAX)),
        _ => None,
    };
    if let Some((min, max)) = bounds {
        out.entry("minimum").or_insert(json!(min));
        out.entry("maximum").or_insert(json!(max));
    }
    if map.get("nullable") == Some(&Value::Bool(true)) {
        if let Some(Value::String(t)) = out.get("type").cloned() {
            out.insert("type".to_owned(), json!([t, "null"]));
        }
        if let Some(Value::Array(values)) = out.get_mut("enum")
            && !values.contains(&Value::Null)
        {
            values.push(Value::Null);
        }
    }
    Value::Object(out)
}

fn translated_defs(raw: &Value) -> Value {
    let schemas = raw
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    Value::Object(
        schemas
            .iter()
            .map(|(name, schema)| (name.clone(), translate(schema)))
            .collect(),
    )
}

/// Compiles translated schemas with the spec's components as `$defs`.
struct Compiler {
    defs: Value,
}

impl Compiler {
    fn compile(&self, schema: &Value) -> Result<Validator, String> {
        let mut document = match translate(schema) {
            Value::Object(map) => map,
            other => return Err(format!("a schema must be an object, found {other}")),
        };
        document.insert("$defs".to_owned(), self.defs.clone());
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .should_ignore_unknown_formats(true)
            .build(&Value::Object(document))
            .map_err(|e| format!("the schema does not compile: {e}"))
    }
}

/// Checks every `example` and `examples` value against its schema.
fn check_examples(raw: &Value, compiler: &Compiler, issues: &mut Vec<Issue>) {
    let mut check = |at: String, schema: &Value, example: &Value| match compiler.compile(schema) {
        Ok(validator) => {
            for error in validator.iter_errors(example) {
                issues.push(Issue::new(
                    &format!("{at}{}", error.instance_path()),
                    format!("example: {error}"),
                ));
            }
        }
        Err(e) => issues.push(Issue::new(&at, e)),
    };
    // Schemas and their properties.
    let mut stack: Vec<(String, &Value)> = raw
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(name, schema)| (format!("/components/schemas/{name}"), schema))
        .collect();
    while let Some((at, schema)) = stack.pop() {
        if let Some(example) = schema.get("example") {
            check(format!("{at}/example"), schema, example);
        }
        for (name, property) in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            stack.push((format!("{at}/properties/{name}"), property));
        }
        if let Some(items) = schema.get("items") {
            stack.push((format!("{at}/items"), items));
        }
    }
    // Parameters, media types and headers anywhere in the document.
    let mut nodes: Vec<(String, &Value)> = vec![(String::new(), raw)];
    while let Some((at, node)) = nodes.pop() {
        match node {
            Value::Object(map) => {
                if let Some(schema) = map
                    .get("schema")
                    .filter(|_| !at.starts_with("/components/schemas"))
                {
                    let schema = resolve(raw, schema);
                    if let Some(example) = map.get("example") {
                        check(format!("{at}/example"), schema, example);
                    }
                    for (name, example) in map
                        .get("examples")
                        .and_then(Value::as_object)
                        .into_iter()
                        .flatten()
                    {
                        if let Some(value) = example.get("value") {
                            check(format!("{at}/examples/{name}/value"), schema, value);
                        }
                    }
                }
                if !at.starts_with("/components/schemas") {
                    for (key, value) in map {
                        nodes.push((format!("{at}/{}", pointer_token(key)), value));
                    }
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    nodes.push((format!("{at}/{i}"), item));
                }
            }
            _ => {}
        }
    }
}

/// A key as one token of a JSON pointer (RFC 6901: `~` and `/` escaped).
fn pointer_token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Follows local `$ref`s.
pub fn resolve<'a>(root: &'a Value, mut node: &'a Value) -> &'a Value {
    for _ in 0..16 {
        match node
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|p| root.pointer(p))
        {
            Some(target) => node = target,
            None => break,
        }
    }
    node
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

fn operations(raw: &Value, compiler: &Compiler, issues: &mut Vec<Issue>) -> Vec<Operation> {
    let mut operations = Vec::new();
    let global_security = raw.get("security");
    for (path, item) in raw
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let item = resolve(raw, item);
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let at = format!("/paths/{}/{method}", pointer_token(path));
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                issues.push(Issue::new(&at, "every operation needs an operationId"));
                continue;
            };
            let compile =
                |at: &str, schema: &Value, issues: &mut Vec<Issue>| -> Option<Validator> {
                    compiler
                        .compile(schema)
                        .map_err(|e| issues.push(Issue::new(at, e)))
                        .ok()
                };
            let mut params = Vec::new();
            let all_params = item
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .chain(
                    op.get("parameters")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten(),
                );
            for param in all_params {
                let param = resolve(raw, param);
                let name = param
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let location = match param.get("in").and_then(Value::as_str) {
                    Some("path") => Location::Path,
                    Some("query") => Location::Query,
                    Some("header") => Location::Header,
                    _ => continue,
                };
                let schema = param.get("schema").cloned().unwrap_or(json!({}));
                let json_type = resolve(raw, &schema)
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("string")
                    .to_owned();
                let Some(validator) = compile(&format!("{at}/parameters/{name}"), &schema, issues)
                else {
                    continue;
                };
                let required =
                    location == Location::Path || param.get("required") == Some(&Value::Bool(true));
                params.push(Param {
                    name,
                    location,
                    required,
                    json_type,
                    validator,
                });
            }
            let body = op
                .get("requestBody")
                .map(|b| resolve(raw, b))
                .and_then(|body| {
                    let schema = body.pointer("/content/application~1json/schema")?;
                    let required = body.get("required") == Some(&Value::Bool(true));
                    Some((
                        required,
                        compile(&format!("{at}/requestBody"), schema, issues)?,
                    ))
                });
            let mut responses = BTreeMap::new();
            for (status, response) in op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let Ok(code) = status.parse::<u16>() else {
                    issues.push(Issue::new(
                        &format!("{at}/responses/{status}"),
                        "list each status; ranges and default are not supported",
                    ));
                    continue;
                };
                let response = resolve(raw, response);
                let content = response.get("content").and_then(Value::as_object);
                let kind = match content {
                    None => ResponseBody::Empty,
                    Some(c) if c.is_empty() => ResponseBody::Empty,
                    Some(c) => match c.iter().find(|(k, _)| k.starts_with("application/json")) {
                        Some((_, media)) => {
                            let schema = media.get("schema").cloned().unwrap_or(json!({}));
                            match compile(&format!("{at}/responses/{status}"), &schema, issues) {
                                Some(v) => ResponseBody::Json(v),
                                None => continue,
                            }
                        }
                        None => ResponseBody::Opaque,
                    },
                };
                responses.insert(code, kind);
            }
            let security = op.get("security").or(global_security);
            let key_headers = key_headers(raw, security);
            operations.push(Operation {
                id: id.to_owned(),
                method: method.to_uppercase(),
                path: path.clone(),
                params,
                body,
                responses,
                key_headers,
            });
        }
    }
    operations
}

/// The header names of the `apiKey` schemes a security requirement uses.
fn key_headers(raw: &Value, security: Option<&Value>) -> Vec<String> {
    let mut headers = Vec::new();
    for requirement in security.and_then(Value::as_array).into_iter().flatten() {
        for name in requirement
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k)
        {
            let scheme = raw.pointer(&format!("/components/securitySchemes/{name}"));
            if let Some(scheme) = scheme.filter(|s| {
                s.get("type") == Some(&json!("apiKey")) && s.get("in") == Some(&json!("header"))
            }) && let Some(header) = scheme.get("name").and_then(Value::as_str)
            {
                headers.push(header.to_owned());
            }
        }
    }
    headers
}

/// A parameter's text as the JSON value its schema types it as.
pub fn typed_value(json_type: &str, text: &str) -> Result<Value, String> {
    match json_type {
        "integer" => text
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("{text:?} is not an integer")),
        "number" => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| format!("{text:?} is not a number")),
        "boolean" => text
            .parse::<bool>()
            .map(Value::Bool)
            .map_err(|_| format!("{text:?} is not true or false")),
        _ => Ok(Value::String(text.to_owned())),
    }
}
