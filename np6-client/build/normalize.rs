//! Adapts the spec to what progenitor 0.15 can generate, and collects the
//! facts about each operation that the hand-written runtime needs.
//!
//! Progenitor cannot express three things of the NP6 spec; each is solved
//! here once, for every operation, present or future:
//!
//! 1. A JSON success beside a body-less success (`200` + array and `204`):
//!    progenitor requires one success type. The copy keeps one `2XX` response
//!    with the JSON schema, and the runtime answers a body-less declared
//!    status with the schema's empty value (`[]` for an array).
//! 2. Error responses with opaque bodies: progenitor would drop the body.
//!    The copy declares none, so every error status reaches the runtime as
//!    an unread response, and the typed error keeps status, request id and
//!    body.
//! 3. The `apiKey` security scheme, which progenitor ignores: its header name
//!    is read here and the runtime adds the header (marked sensitive) to every
//!    request.

use std::collections::BTreeMap;

use openapiv3::{
    OpenAPI, Operation, Parameter, ParameterSchemaOrContent, ReferenceOr, Response, SchemaKind,
    SecurityScheme, StatusCode, Type,
};

use crate::BuildResult;

/// The progenitor-ready copy of the spec and what the runtime needs to know.
pub struct Adapted {
    pub spec: OpenAPI,
    pub api_key_header: String,
    pub operations: Vec<OperationFacts>,
}

/// A parameter of an operation.
pub struct ParamFacts {
    pub name: String,
    pub in_path: bool,
    pub required: bool,
    pub kind: ParamKind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    String,
    DateTime,
    Other,
}

/// Facts about one operation, taken from the original spec.
pub struct OperationFacts {
    pub id: String,
    pub method: String,
    pub path: String,
    /// Body-less success statuses and the JSON value they stand for.
    pub empty_success: Vec<(u16, String)>,
    /// Every status the spec documents, successes and errors.
    pub statuses: Vec<u16>,
    /// Parameters, path ones first in path order, then the others in spec order.
    pub params: Vec<ParamFacts>,
    /// `x-np6-ordered-params`: the first may not be after the second.
    pub ordered: Option<(String, String)>,
    /// `x-np6-body-from-path`: body property filled from a path parameter.
    pub body_from_path: Vec<(String, String)>,
}

/// `keep_errors`: the copy for the httpmock helpers keeps the error
/// responses (so that a mock can answer them); the client's copy drops them.
pub fn adapt(mut spec: OpenAPI, keep_errors: bool) -> BuildResult<Adapted> {
    if !spec.openapi.starts_with("3.0.") {
        return Err(format!(
            "the spec is OpenAPI {}; progenitor needs 3.0.x",
            spec.openapi
        )
        .into());
    }
    let api_key_header = api_key_header(&spec)?;
    let components = spec.components.clone().unwrap_or_default();
    let mut operations = Vec::new();

    for (path, item) in spec.paths.paths.iter_mut() {
        let ReferenceOr::Item(item) = item else {
            return Err(format!("path {path}: $ref path items are not supported").into());
        };
        let methods = [
            ("GET", &mut item.get),
            ("PUT", &mut item.put),
            ("POST", &mut item.post),
            ("DELETE", &mut item.delete),
            ("PATCH", &mut item.patch),
            ("HEAD", &mut item.head),
            ("OPTIONS", &mut item.options),
            ("TRACE", &mut item.trace),
        ];
        let shared_params = item.parameters.clone();
        for (method, operation) in methods {
            let Some(operation) = operation.as_mut() else {
                continue;
            };
            let where_ = format!("{method} {path}");
            let id = operation
                .operation_id
                .clone()
                .ok_or_else(|| format!("{where_}: every operation needs an operationId"))?;
            let mut facts = OperationFacts {
                id: id.clone(),
                method: method.to_owned(),
                path: path.clone(),
                empty_success: Vec::new(),
                statuses: Vec::new(),
                params: Vec::new(),
                ordered: None,
                body_from_path: Vec::new(),
            };
            collect_params(&components, &shared_params, operation, &mut facts)?;
            collect_extensions(operation, &mut facts)?;
            adapt_responses(&components, operation, &mut facts, keep_errors)
                .map_err(|e| format!("operation {id} ({where_}): {e}"))?;
            operations.push(facts);
        }
        // Folded into each operation's own parameters above.
        item.parameters.clear();
    }
    let mut ids: Vec<&str> = operations.iter().map(|o| o.id.as_str()).collect();
    ids.sort_unstable();
    if let Some(pair) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(format!("operationId {} is used twice", pair[0]).into());
    }
    Ok(Adapted {
        spec,
        api_key_header,
        operations,
    })
}

/// The header of the one `apiKey` scheme the spec applies.
fn api_key_header(spec: &OpenAPI) -> BuildResult<String> {
    let schemes = spec.components.as_ref().map(|c| &c.security_schemes);
    let headers: Vec<String> = schemes
        .into_iter()
        .flatten()
        .filter_map(|(_, scheme)| match scheme {
            ReferenceOr::Item(SecurityScheme::APIKey {
                location: openapiv3::APIKeyLocation::Header,
                name,
                ..
            }) => Some(name.clone()),
            _ => None,
        })
        .collect();
    match headers.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(format!(
            "the spec must declare exactly one apiKey security scheme in a header; found {headers:?}"
        )
        .into()),
    }
}

fn collect_params(
    components: &openapiv3::Components,
    shared: &[ReferenceOr<Parameter>],
    operation: &mut Operation,
    facts: &mut OperationFacts,
) -> BuildResult<()> {
    let mut all: Vec<Parameter> = Vec::new();
    for param in shared.iter().chain(&operation.parameters) {
        all.push(resolve(&components.parameters, param, "parameters")?.clone());
    }
    for param in &all {
        let data = param.parameter_data_ref();
        let kind = match &data.format {
            ParameterSchemaOrContent::Schema(schema) => {
                let schema = resolve(&components.schemas, schema, "schemas")?;
                match &schema.schema_kind {
                    SchemaKind::Type(Type::String(s)) => match &s.format {
                        openapiv3::VariantOrUnknownOrEmpty::Item(
                            openapiv3::StringFormat::DateTime,
                        ) => ParamKind::DateTime,
                        _ => ParamKind::String,
                    },
                    _ => ParamKind::Other,
                }
            }
            ParameterSchemaOrContent::Content(_) => ParamKind::Other,
        };
        facts.params.push(ParamFacts {
            name: data.name.clone(),
            in_path: matches!(param, Parameter::Path { .. }),
            required: data.required,
            kind,
        });
    }
    // Path parameters come first, in the order of the path template.
    let path = facts.path.clone();
    facts.params.sort_by_key(|p| {
        if p.in_path {
            path.find(&format!("{{{}}}", p.name)).unwrap_or(0)
        } else {
            usize::MAX
        }
    });

    // A string path parameter is a plain `&str` for progenitor: a length
    // constraint would make typify invent a newtype per operation. The
    // runtime checks that a path segment is not empty.
    operation.parameters = all
        .into_iter()
        .map(|mut param| {
            if let Parameter::Path { parameter_data, .. } = &mut param
                && let ParameterSchemaOrContent::Schema(schema) = &mut parameter_data.format
            {
                let mut inlined = resolve(&components.schemas, schema, "schemas")?.clone();
                if let SchemaKind::Type(Type::String(s)) = &mut inlined.schema_kind {
                    s.min_length = None;
                    s.max_length = None;
                    s.pattern = None;
                    *schema = ReferenceOr::Item(inlined);
                }
            }
            Ok(ReferenceOr::Item(param))
        })
        .collect::<BuildResult<_>>()?;
    Ok(())
}

fn collect_extensions(operation: &Operation, facts: &mut OperationFacts) -> BuildResult<()> {
    if let Some(value) = operation.extensions.get("x-np6-ordered-params") {
        let pair: Vec<String> = serde_json::from_value(value.clone())
            .map_err(|e| format!("{}: x-np6-ordered-params must be a list: {e}", facts.id))?;
        let [first, second] = <[String; 2]>::try_from(pair)
            .map_err(|_| format!("{}: x-np6-ordered-params takes two names", facts.id))?;
        facts.ordered = Some((first, second));
    }
    if let Some(value) = operation.extensions.get("x-np6-body-from-path") {
        let map: BTreeMap<String, String> = serde_json::from_value(value.clone()).map_err(|e| {
            format!(
                "{}: x-np6-body-from-path maps body properties to path parameters: {e}",
                facts.id
            )
        })?;
        for (property, param) in map {
            if !facts.params.iter().any(|p| p.in_path && p.name == param) {
                return Err(format!(
                    "{}: x-np6-body-from-path names {param}, which is not a path parameter",
                    facts.id
                )
                .into());
            }
            facts.body_from_path.push((property, param));
        }
    }
    Ok(())
}

fn adapt_responses(
    components: &openapiv3::Components,
    operation: &mut Operation,
    facts: &mut OperationFacts,
    keep_errors: bool,
) -> BuildResult<()> {
    let mut json_successes: Vec<(u16, Response)> = Vec::new();
    let mut empty_successes: Vec<u16> = Vec::new();
    let mut other_successes = false;

    for (status, response) in &operation.responses.responses {
        let StatusCode::Code(code) = status else {
            return Err(format!("status range {status} is not supported; list each status").into());
        };
        facts.statuses.push(*code);
        if !(200..300).contains(code) {
            continue;
        }
        let response = resolve(&components.responses, response, "responses")?;
        if response.content.is_empty() {
            empty_successes.push(*code);
        } else if response
            .content
            .keys()
            .any(|k| k == "application/json" || k.starts_with("application/json;"))
        {
            json_successes.push((*code, response.clone()));
        } else {
            other_successes = true;
        }
    }

    // Errors reach the runtime as unread responses (see the module docs).
    if !keep_errors {
        operation.responses.default = None;
        operation
            .responses
            .responses
            .retain(|status, _| matches!(status, StatusCode::Code(100..=399)));
    }

    if json_successes.is_empty() || empty_successes.is_empty() {
        return Ok(());
    }
    if other_successes {
        return Err("mixes JSON, body-less and other success responses".into());
    }
    let schema_of = |response: &Response| {
        response
            .content
            .iter()
            .find(|(k, _)| k.starts_with("application/json"))
            .and_then(|(_, media)| media.schema.clone())
    };
    let (_, first) = &json_successes[0];
    let schema = schema_of(first).ok_or("a JSON success response has no schema")?;
    for (code, response) in &json_successes[1..] {
        if schema_of(response) != Some(schema.clone()) {
            return Err(format!("JSON success {code} has another schema than the first").into());
        }
    }
    let resolved = resolve(&components.schemas, &schema, "schemas")?;
    let empty_value = match &resolved.schema_kind {
        SchemaKind::Type(Type::Array(_)) => "[]",
        _ => {
            return Err(format!(
                "body-less success {empty_successes:?} beside a JSON success is supported only \
                 when the JSON is an array (it then decodes as an empty list)"
            )
            .into());
        }
    };
    facts.empty_success = empty_successes
        .iter()
        .map(|c| (*c, empty_value.to_owned()))
        .collect();

    let mut single = first.clone();
    single.description = format!(
        "Success ({})",
        status_list(&json_successes, &empty_successes)
    );
    operation
        .responses
        .responses
        .retain(|status, _| !matches!(status, StatusCode::Code(200..=299)));
    operation
        .responses
        .responses
        .insert(StatusCode::Range(2), ReferenceOr::Item(single));
    Ok(())
}

fn status_list(json: &[(u16, Response)], empty: &[u16]) -> String {
    let mut codes: Vec<String> = json.iter().map(|(c, _)| c.to_string()).collect();
    codes.extend(empty.iter().map(|c| format!("{c} as empty")));
    codes.join(", ")
}

/// Follows a local `$ref` into a components map.
pub fn resolve<'a, T>(
    map: &'a indexmap::IndexMap<String, ReferenceOr<T>>,
    item: &'a ReferenceOr<T>,
    kind: &str,
) -> BuildResult<&'a T> {
    let mut current = item;
    for _ in 0..16 {
        match current {
            ReferenceOr::Item(item) => return Ok(item),
            ReferenceOr::Reference { reference } => {
                let prefix = format!("#/components/{kind}/");
                let name = reference.strip_prefix(&prefix).ok_or_else(|| {
                    format!("unsupported $ref {reference} (expected {prefix}...)")
                })?;
                current = map
                    .get(name)
                    .ok_or_else(|| format!("$ref {reference} does not resolve"))?;
            }
        }
    }
    Err(format!("$ref chain too deep in components/{kind}").into())
}
