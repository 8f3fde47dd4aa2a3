//! `cargo xtask validate`: the spec describes every fixture.

use std::path::{Path, PathBuf};

use np6_client::fixture::{Fixture, REDACTED, is_credential_name};
use np6_client::operation::value_from_text;
use serde_json::{Map, Value};

use crate::model::{CheckedBody, CheckedOperation, CheckedParam, Location, Model};
use crate::report::{FixtureResult, Issue, Report};

/// Reads a fixture file (the library's one capped reader and parser); a
/// file that is refused or is not a fixture is one issue.
pub fn load(path: &Path) -> Result<Fixture, Issue> {
    np6_client::fixture::read_file(path)
        .and_then(|bytes| Fixture::parse(&bytes))
        .map_err(|message| Issue::new("file", message))
}

/// Checks one fixture against the spec; returns its operation and issues.
pub fn check<'m>(
    model: &'m Model,
    fixture: &Fixture,
) -> (Option<&'m CheckedOperation>, Vec<Issue>) {
    let mut issues = Vec::new();
    let request = &fixture.request;
    let (op, path_params) = match model.match_request(&request.method, &request.path) {
        Ok(found) => found,
        Err(message) => {
            issues.push(Issue::new("request.path", message));
            return (None, issues);
        }
    };
    if let Some(named) = &fixture.operation
        && *named != op.id
    {
        issues.push(Issue::new(
            "operation",
            format!(
                "says {named}, but {} {} is {}",
                request.method, request.path, op.id
            ),
        ));
    }
    if request.path.contains('?') {
        issues.push(Issue::new(
            "request.path",
            "the path has a query string: put it in request.query",
        ));
    }

    let raw = raw_segments(&op.path, &request.path);
    for (name, text) in &path_params {
        if let Some(param) = op
            .params
            .iter()
            .find(|p| p.location == Location::Path && p.name == *name)
        {
            let at = format!("request.path/{name}");
            let before = issues.len();
            check_param(param, text, &at, &mut issues);
            let written = raw.iter().find(|(n, _)| n == name).map(|(_, w)| *w);
            if let (true, Some(written)) = (issues.len() == before, written) {
                check_sendable(param, text, written, &at, &mut issues);
            }
        }
    }
    for (name, value) in &request.query {
        let at = format!("request.query/{name}");
        let Some(param) = op
            .params
            .iter()
            .find(|p| p.location == Location::Query && p.name == *name)
        else {
            issues.push(Issue::new(
                &at,
                format!("not a query parameter of {}", op.id),
            ));
            continue;
        };
        if is_credential_name(name) && value.values().iter().any(|v| *v != REDACTED) {
            issues.push(Issue::new(&at, "looks like a credential: write REDACTED"));
        }
        match value.values().as_slice() {
            [one] => check_param(param, one, &at, &mut issues),
            many if param.json_type == "array" => {
                let list = Value::Array(
                    many.iter()
                        .map(|v| Value::String((*v).to_owned()))
                        .collect(),
                );
                report_schema(&param.validator, &list, &at, &mut issues);
            }
            _ => issues.push(Issue::new(
                &at,
                "several values for a parameter that takes one",
            )),
        }
    }
    for param in op.params.iter().filter(|p| p.required) {
        let present = match param.location {
            Location::Path => true,
            Location::Query => request.query.contains_key(&param.name),
            Location::Header => request.header(&param.name).is_some(),
            Location::Cookie => request.header("cookie").is_some_and(|cookies| {
                cookies
                    .split(';')
                    .any(|c| c.trim().split('=').next() == Some(param.name.as_str()))
            }),
        };
        if !present {
            issues.push(Issue::new(
                "request",
                format!("required parameter {} is missing", param.name),
            ));
        }
    }
    for param in op.params.iter().filter(|p| p.location == Location::Header) {
        if let Some(value) = request.header(&param.name) {
            check_param(
                param,
                value,
                &format!("request.headers/{}", param.name),
                &mut issues,
            );
        }
    }
    for header in &op.key_headers {
        match request.header(header) {
            None => issues.push(Issue::new(
                "request.headers",
                format!("{header} (the API key) is missing"),
            )),
            Some(REDACTED) => {}
            Some(_) => issues.push(Issue::new(
                &format!("request.headers/{header}"),
                "the API key is not redacted: write REDACTED (and revoke the leaked key)",
            )),
        }
    }
    for (name, value) in &request.headers {
        let is_key = op.key_headers.iter().any(|h| h.eq_ignore_ascii_case(name));
        if !is_key && is_credential_name(name) && value != REDACTED {
            issues.push(Issue::new(
                &format!("request.headers/{name}"),
                "looks like a credential: write REDACTED",
            ));
        }
    }

    match (&op.body, &request.body) {
        (Some((_, validator)), Some(body)) => {
            report_schema(validator, body, "request.body", &mut issues);
            check_path_fills(op, &path_params, body, &mut issues);
        }
        (Some((true, _)), None) => issues.push(Issue::new(
            "request.body",
            format!("{} requires a JSON body", op.id),
        )),
        (None, Some(_)) => issues.push(Issue::new(
            "request.body",
            format!("{} takes no request body", op.id),
        )),
        _ => {}
    }

    let response = &fixture.response;
    match op.responses.get(&response.status) {
        None => {
            let documented: Vec<String> = op.responses.keys().map(u16::to_string).collect();
            issues.push(Issue::new(
                "response.status",
                format!(
                    "{} is not documented for {} (documented: {})",
                    response.status,
                    op.id,
                    documented.join(", ")
                ),
            ));
        }
        Some(CheckedBody::Empty) => {
            if response.body.is_some()
                || response.body_text.as_deref().is_some_and(|t| !t.is_empty())
            {
                issues.push(Issue::new(
                    "response.body",
                    format!("status {} has no body in the spec", response.status),
                ));
            }
        }
        Some(CheckedBody::Json(validator)) => match (&response.body, &response.body_text) {
            (Some(body), None) => report_schema(validator, body, "response.body", &mut issues),
            (_, Some(_)) => issues.push(Issue::new(
                "response.body_text",
                "the spec documents a JSON body here",
            )),
            (None, None) => issues.push(Issue::new(
                "response.body",
                "the spec documents a JSON body here; it is missing",
            )),
        },
        Some(CheckedBody::Opaque) => {}
    }
    if let Err(message) = fixture.servable() {
        issues.push(Issue::new("response", message));
    }
    if response.body.is_some() && response.body_text.is_some() {
        issues.push(Issue::new("response", "give body or body_text, not both"));
    }
    (Some(op), issues)
}

/// The path parameters of `raw_path` as written (percent-encoded), by
/// name, read against the operation's path template.
fn raw_segments<'p>(template: &str, raw_path: &'p str) -> Vec<(String, &'p str)> {
    template
        .split('/')
        .zip(raw_path.split('/'))
        .filter_map(|(pattern, written)| {
            let name = pattern.strip_prefix('{')?.strip_suffix('}')?;
            Some((name.to_owned(), written))
        })
        .collect()
}

/// Percent-encoded in a path segment by the generated client (progenitor's
/// `encode_path`; the URL parser encodes nothing more).
const CLIENT_PATH_SET: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'%');

/// Percent-encoded in a segment the client sends raw (one holding `\`):
/// all but the unreserved characters.
const CLIENT_RAW_SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// How this client writes the path parameter `param` whose value is
/// `text`, or why it cannot send it.
fn client_segment(param: &CheckedParam, text: &str) -> Result<String, String> {
    if param.json_type != "string" {
        // A number is written in its shortest decimal form.
        let value = value_from_text(&param.json_type, text)?;
        return Ok(value.to_string());
    }
    match text {
        "" | "." | ".." => Err(format!(
            "the client refuses {} {text:?}: a URL cannot carry it as a path segment",
            param.name
        )),
        _ if text.contains('\\') => {
            Ok(percent_encoding::utf8_percent_encode(text, CLIENT_RAW_SET).to_string())
        }
        _ => Ok(percent_encoding::utf8_percent_encode(text, CLIENT_PATH_SET).to_string()),
    }
}

/// A path parameter must be written as this client writes it, or replay
/// could not send the recorded request: say how it would be written.
fn check_sendable(
    param: &CheckedParam,
    text: &str,
    written: &str,
    at: &str,
    issues: &mut Vec<Issue>,
) {
    match client_segment(param, text) {
        Ok(sent) if sent == written => {}
        Ok(sent) => issues.push(Issue::new(
            at,
            format!(
                "this client cannot send {written:?}: it writes {} {text:?} as {sent:?} \
                 (write the path as the client sends it)",
                param.name
            ),
        )),
        Err(message) => issues.push(Issue::new(at, message)),
    }
}

/// A body property the client fills from the path (`x-np6-body-from-path`)
/// may be left out, or equal the path's; the client refuses one that
/// differs, so replay could not send it.
fn check_path_fills(
    op: &CheckedOperation,
    path_params: &[(String, String)],
    body: &Value,
    issues: &mut Vec<Issue>,
) {
    let kept = crate::equivalence::without_path_fills(op, path_params, body);
    for (property, param) in &op.body_from_path {
        if let Some(value) = kept.get(property) {
            issues.push(Issue::new(
                &format!("request.body/{property}"),
                format!(
                    "this client cannot send {property} {value} with the path's {param}: \
                     it fills {property} from the path and refuses a body that disagrees"
                ),
            ));
        }
    }
}

fn check_param(param: &CheckedParam, text: &str, at: &str, issues: &mut Vec<Issue>) {
    match value_from_text(&param.json_type, text) {
        Ok(value) => report_schema(&param.validator, &value, at, issues),
        Err(message) => issues.push(Issue::new(
            at,
            format!("{message} ({} is {})", param.name, param.json_type),
        )),
    }
}

fn report_schema(
    validator: &jsonschema::Validator,
    value: &Value,
    at: &str,
    issues: &mut Vec<Issue>,
) {
    for error in validator.iter_errors(value) {
        let location = format!("{at}{}", error.instance_path());
        issues.push(Issue::new(&location, error.to_string()));
    }
}

/// The typed arguments of a fixture's call: path and query parameters by
/// spec name, converted to their schema's JSON type, and the body.
pub fn call_args(
    op: &CheckedOperation,
    fixture: &Fixture,
    path_params: &[(String, String)],
) -> Map<String, Value> {
    let mut args = Map::new();
    for (name, text) in path_params {
        if let Some(param) = op.params.iter().find(|p| p.name == *name) {
            args.insert(
                name.clone(),
                value_from_text(&param.json_type, text).unwrap_or(Value::String(text.clone())),
            );
        }
    }
    for (name, value) in &fixture.request.query {
        let param = op.params.iter().find(|p| p.name == *name);
        let values = value.values();
        let typed = match values.as_slice() {
            [one] => param
                .and_then(|p| value_from_text(&p.json_type, one).ok())
                .unwrap_or(Value::String((*one).to_owned())),
            many => Value::Array(
                many.iter()
                    .map(|v| Value::String((*v).to_owned()))
                    .collect(),
            ),
        };
        args.insert(name.clone(), typed);
    }
    if let Some(body) = &fixture.request.body {
        args.insert("body".to_owned(), body.clone());
    }
    args
}

/// Validates every fixture file of `files`, on every core; the report lists
/// them in the order of `files`.
pub fn run(model: &Model, files: &[PathBuf]) -> Report {
    run_on(model, files, None)
}

/// [`run`] on `threads` threads (every core when `None`).
pub fn run_on(model: &Model, files: &[PathBuf], threads: Option<usize>) -> Report {
    let fixtures = crate::parallel::map(files, threads, |file| {
        let (operation, errors) = match load(file) {
            Ok(fixture) => {
                let (op, issues) = check(model, &fixture);
                (op.map(|o| o.id.clone()), issues)
            }
            Err(issue) => (None, vec![issue]),
        };
        FixtureResult {
            file: crate::display_path(file),
            operation,
            valid: errors.is_empty(),
            errors,
        }
    });
    Report::new(Vec::new(), fixtures)
}
