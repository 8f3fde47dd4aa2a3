//! `cargo xtask replay`: every valid fixture through the generated client.
//!
//! A loopback httpmock server expects exactly the recorded request and
//! answers the recorded response; the client is called by `operationId`
//! ([`np6_client::Client::call_operation`], generated for every operation)
//! with the fixture's parameters and body. A success must decode to the
//! recorded body; an error must carry the recorded status, request id and
//! body. Nothing here names an operation.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use httpmock::{HttpMockRequest, MockServer};
use np6_client::fixture::{Fixture, REDACTED};
use np6_client::{Client, ErrorKind, RetryPolicy};
use np6_spec::ResponseBody;
use serde_json::Value;

use crate::equivalence::{canonical, without_path_fills};
use crate::model::{CheckedOperation, Model};
use crate::report::{FixtureResult, Issue, Report};

/// Replays every fixture of `files`.
pub async fn run(model: &Model, files: &[PathBuf]) -> Report {
    let mut results = Vec::new();
    for file in files {
        let (operation, errors) = match crate::validate::load(file) {
            Err(issue) => (None, vec![issue]),
            Ok(fixture) => match crate::validate::check(model, &fixture) {
                (op, issues) if !issues.is_empty() => {
                    let issues = issues
                        .into_iter()
                        .map(|i| {
                            Issue::new(
                                &i.location,
                                format!("invalid fixture, not replayed: {}", i.message),
                            )
                        })
                        .collect();
                    (op.map(|o| o.id.clone()), issues)
                }
                (Some(op), _) => (Some(op.id.clone()), replay(model, &fixture).await),
                (None, _) => (None, vec![Issue::new("request", "matches no operation")]),
            },
        };
        results.push(FixtureResult {
            file: crate::display_path(file),
            operation,
            valid: errors.is_empty(),
            errors,
        });
    }
    Report::new(Vec::new(), results)
}

/// Replays one valid fixture; the issues say how the client differs.
pub async fn replay(model: &Model, fixture: &Fixture) -> Vec<Issue> {
    let request = &fixture.request;
    let response = &fixture.response;
    let Ok((op, path_params)) = model.match_request(&request.method, &request.path) else {
        return vec![Issue::new("request.path", "matches no operation")];
    };
    let server = MockServer::start_async().await;
    let expected = server
        .mock_async(|mut when, then| {
            let path = request.path.clone();
            when = when
                .method(request.method.as_str())
                .is_true(move |req| req.uri().path() == path)
                .header(np6_client::spec::API_KEY_HEADER, REDACTED);
            let query = request.query_pairs();
            when = when.is_true(move |req| {
                let mut sent = req.query_params();
                sent.sort();
                sent == query
            });
            if let Some(body) = &request.body {
                // Compared under the spec's equivalences (see
                // `equivalence`): an explicit null for an optional nullable
                // property is the same body as one without it.
                // So is a property the client fills from the path, equal
                // to it, and the same body without it.
                let root = model.spec.raw().clone();
                let schema = request_schema(op).unwrap_or(Value::Null);
                let spec_op: np6_spec::Operation = (**op).clone();
                let params = path_params.clone();
                let same = move |body: &Value| {
                    canonical(&root, &schema, &without_path_fills(&spec_op, &params, body))
                };
                let recorded = same(body);
                when.is_true(move |req| {
                    serde_json::from_slice::<Value>(req.body_ref())
                        .is_ok_and(|sent| same(&sent) == recorded)
                });
            }
            np6_client::mock::respond(then, fixture);
        })
        .await;
    let strays: Arc<Mutex<Vec<HttpMockRequest>>> = Arc::default();
    let seen = strays.clone();
    server
        .mock_async(move |when, then| {
            when.is_true(move |req| {
                seen.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(req.clone());
                true
            });
            then.status(599)
                .body("replay: no recorded exchange matches this request");
        })
        .await;

    let client = match Client::builder()
        .api_key(REDACTED)
        .base_url(server.base_url())
        .timeout(Duration::from_secs(10))
        .retry(RetryPolicy::disabled())
        .build()
    {
        Ok(client) => client,
        Err(e) => return vec![Issue::new("client", e.to_string())],
    };
    let args = crate::validate::call_args(op, fixture, &path_params);
    let outcome = client.call_operation(&op.id, &args).await;

    let mut issues = Vec::new();
    let stray = strays
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .first()
        .cloned();
    if let Some(sent) = stray {
        issues.push(Issue::new(
            "request",
            format!(
                "the client's request differs from the recording: {}",
                difference(fixture, &sent)
            ),
        ));
        return issues;
    }
    if expected.calls_async().await != 1 {
        issues.push(Issue::new("request", "the client sent no request"));
        return issues;
    }
    let success = (200..300).contains(&response.status);
    match outcome {
        Ok(value) if success => {
            let recorded = match &response.body {
                Some(body) => body.clone(),
                None => np6_client::spec::operation(&op.id)
                    .and_then(|o| o.empty_success.iter().find(|(s, _)| *s == response.status))
                    .and_then(|(_, json)| serde_json::from_str(json).ok())
                    .unwrap_or(Value::Null),
            };
            let root = model.spec.raw();
            let schema = success_schema(op, response.status).unwrap_or(Value::Null);
            if let Some(diff) = first_difference(
                &canonical(root, &schema, &recorded),
                &canonical(root, &schema, &value),
                "response.body",
            ) {
                issues.push(Issue::new(
                    &diff.0,
                    format!("the client decodes something else: {}", diff.1),
                ));
            }
        }
        Ok(_) => issues.push(Issue::new(
            "response.status",
            format!(
                "{} is an error status, but the call succeeded",
                response.status
            ),
        )),
        Err(e) if success => issues.push(Issue::new(
            "response",
            format!("the call failed on a success: {e}"),
        )),
        Err(e) => {
            if e.kind() != ErrorKind::Status || e.status() != Some(response.status) {
                issues.push(Issue::new(
                    "response.status",
                    format!("expected a status error {}, got {e}", response.status),
                ));
            }
            if let Some(id) = response.header("x-request-id")
                && e.request_id() != Some(id)
            {
                issues.push(Issue::new(
                    "response.headers/x-request-id",
                    format!("the error has request id {:?}", e.request_id()),
                ));
            }
            let body = e.body().unwrap_or_default();
            let kept = match (&response.body, &response.body_text) {
                (Some(recorded), _) => {
                    serde_json::from_slice::<Value>(body).ok().as_ref() == Some(recorded)
                }
                (None, Some(text)) => body == text.as_bytes(),
                (None, None) => body.is_empty(),
            };
            if !kept {
                issues.push(Issue::new(
                    "response.body",
                    format!(
                        "the error does not keep the body: {:?}",
                        String::from_utf8_lossy(body)
                    ),
                ));
            }
        }
    }
    issues
}

/// The JSON schema of an operation's request body.
fn request_schema(op: &CheckedOperation) -> Option<Value> {
    let op: &np6_spec::Operation = op;
    op.body.as_ref()?.json_schema.clone()
}

/// The JSON schema of an operation's answer with `status`.
fn success_schema(op: &CheckedOperation, status: u16) -> Option<Value> {
    let op: &np6_spec::Operation = op;
    match &op.responses.get(&status)?.body {
        ResponseBody::Json(schema) => Some(schema.clone()),
        _ => None,
    }
}

/// Why a request the client sent is not the recorded one.
fn difference(fixture: &Fixture, sent: &HttpMockRequest) -> String {
    if sent
        .headers()
        .get(np6_client::spec::API_KEY_HEADER)
        .is_none()
    {
        return format!("no {} header", np6_client::spec::API_KEY_HEADER);
    }
    fixture
        .request
        .difference(
            sent.method_str(),
            sent.uri().path(),
            &sent.query_params(),
            sent.body_ref(),
        )
        .map_or_else(|| "headers differ".to_owned(), |(_, why)| why)
}

/// The first place two JSON values differ: location and what.
pub fn first_difference(expected: &Value, actual: &Value, at: &str) -> Option<(String, String)> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, value) in e {
                match a.get(key) {
                    None => {
                        return Some((
                            format!("{at}/{key}"),
                            "the recorded member is dropped".to_owned(),
                        ));
                    }
                    Some(other) => {
                        if let Some(d) = first_difference(value, other, &format!("{at}/{key}")) {
                            return Some(d);
                        }
                    }
                }
            }
            a.keys().find(|k| !e.contains_key(*k)).map(|k| {
                (
                    format!("{at}/{k}"),
                    "a member the recording does not have".to_owned(),
                )
            })
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                return Some((
                    at.to_owned(),
                    format!("{} items instead of {}", a.len(), e.len()),
                ));
            }
            e.iter()
                .zip(a)
                .enumerate()
                .find_map(|(i, (x, y))| first_difference(x, y, &format!("{at}/{i}")))
        }
        (e, a) if e == a => None,
        (Value::Number(e), Value::Number(a)) if e.as_f64() == a.as_f64() => None,
        (Value::String(e), Value::String(a)) if same_instant(e, a) => None,
        (e, a) => Some((at.to_owned(), format!("{a} instead of {e}"))),
    }
}

/// Two RFC 3339 dates for the same instant (`Z` and `+00:00` alike).
fn same_instant(a: &str, b: &str) -> bool {
    match (
        chrono::DateTime::parse_from_rfc3339(a),
        chrono::DateTime::parse_from_rfc3339(b),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
