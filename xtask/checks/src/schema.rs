//! OpenAPI 3.0 schemas as JSON Schema 2020-12, compiled once.
//!
//! OpenAPI 3.0 schemas are not JSON Schema as they stand; [`translate`]
//! rewrites them (`nullable`, boolean `exclusiveMinimum`/`Maximum`,
//! `int32`/`int64` as numeric bounds, component `$ref`s into `$defs`),
//! then `jsonschema` compiles each one (draft 2020-12, formats checked,
//! offline). The spec's own `example`s are checked the same way.

use jsonschema::Validator;
use np6_spec::{Spec, pointer_token};
use serde_json::{Map, Value, json};

use crate::report::Issue;

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

/// Compiles translated schemas with the spec's components as `$defs`.
pub struct Compiler {
    defs: Value,
}

impl Compiler {
    /// A compiler for the schemas of `spec`.
    pub fn new(spec: &Spec) -> Self {
        let defs = spec
            .component_schemas()
            .map(|(name, schema)| (name.to_owned(), translate(schema)))
            .collect();
        Self {
            defs: Value::Object(defs),
        }
    }

    /// A validator for one schema of the spec.
    ///
    /// # Errors
    ///
    /// When the translated schema does not compile.
    pub fn compile(&self, schema: &Value) -> Result<Validator, String> {
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

    /// Every `example` and `examples` value that its schema rejects.
    pub fn check_examples(&self, spec: &Spec) -> Vec<Issue> {
        let mut issues = Vec::new();
        check_examples(spec, self, &mut issues);
        issues
    }
}

fn check_examples(spec: &Spec, compiler: &Compiler, issues: &mut Vec<Issue>) {
    let raw = spec.raw();
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
        .map(|(name, schema)| {
            (
                format!("/components/schemas/{}", pointer_token(name)),
                schema,
            )
        })
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
            stack.push((format!("{at}/properties/{}", pointer_token(name)), property));
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
                    let schema = spec.resolve(schema);
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
                            let name = pointer_token(name);
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
