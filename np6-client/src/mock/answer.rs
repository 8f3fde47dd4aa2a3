//! How the sandbox answers a request, in one place: [`FixtureSet::answer`]
//! is called in-process by the standalone server ([`serve`](super::serve))
//! and by the `Sandbox`'s httpmock server (feature `mock`) alike.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::fixture::{Fixture, Stage};
use crate::spec::matching::{find_operation, match_path};
use crate::spec::{API_KEY_HEADER, OPERATIONS, Operation};

/// The query parameters that ask for a time window, and the field of an
/// answer's entries they select on (NP6's timeline convention).
const WINDOW: (&str, &str) = ("startDate", "endDate");
const ENTRY_TIME: &str = "timestamp";

/// The fixtures a sandbox answers from, in the order it tries them
/// (successes first, then by name), and how it answers.
///
/// Made by [`FixtureSet::bundled`] or [`FixtureSet::from_dir`] (or, with
/// the `mock` feature, `SandboxBuilder::load`, or read from a running
/// sandbox with `Sandbox::fixture_set`); [`serve`](super::serve) answers
/// from it.
#[derive(Debug, Clone)]
pub struct FixtureSet {
    list: Arc<Vec<(String, Fixture)>>,
}

/// A request, as the sandbox reads it.
pub(crate) struct Asked<'a> {
    pub(crate) method: &'a str,
    /// As on the wire: percent-encoded, without the query string.
    pub(crate) path: &'a str,
    /// Decoded names and values, in order.
    pub(crate) query: Vec<(String, String)>,
    /// The `X-Key` header, if sent.
    pub(crate) key: Option<&'a [u8]>,
    pub(crate) body: &'a [u8],
}

/// The sandbox's answer.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    fn text(status: u16, text: impl Into<String>) -> Self {
        Self {
            status,
            headers: vec![("content-type".to_owned(), "text/plain".to_owned())],
            body: text.into().into_bytes(),
        }
    }

    /// The fixture's recorded response: status, headers, and the JSON or
    /// text body.
    pub(crate) fn of(fixture: &Fixture) -> Self {
        let response = &fixture.response;
        let mut headers: Vec<(String, String)> = response
            .headers
            .iter()
            .filter(|(name, _)| !name.eq_ignore_ascii_case("content-length"))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        let body = match (&response.body, &response.body_text) {
            (Some(body), _) => {
                if response.header("content-type").is_none() {
                    headers.push(("content-type".to_owned(), "application/json".to_owned()));
                }
                serde_json::to_vec(body).unwrap_or_default()
            }
            (None, Some(text)) => text.as_bytes().to_vec(),
            (None, None) => Vec::new(),
        };
        Self {
            status: response.status,
            headers,
            body,
        }
    }
}

fn is_success(fixture: &Fixture) -> bool {
    (200..300).contains(&fixture.response.status)
}

/// Whether a method and raw path are a request for `op`.
fn is_op(op: &'static Operation, method: &str, path: &str) -> bool {
    find_operation([(op.method, op.path, ())], method, path).is_ok()
}

impl AsRef<FixtureSet> for FixtureSet {
    fn as_ref(&self) -> &FixtureSet {
        self
    }
}

impl FixtureSet {
    /// Orders the fixtures: successes first, then by name (they win when
    /// several match).
    pub(crate) fn new(mut fixtures: Vec<(String, Fixture)>) -> Self {
        fixtures.sort_by_key(|(name, f)| (!is_success(f), name.clone()));
        Self {
            list: Arc::new(fixtures),
        }
    }

    /// The names of the fixtures (their paths below the fixture folder), in
    /// the order they are tried.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.list.iter().map(|(name, _)| name.as_str())
    }

    /// How many fixtures there are.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether there is none (a sandbox always has some).
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The answer, in this order:
    /// 1. `401` when the `X-Key` header is missing or blank, as NP6 does;
    /// 2. the recorded response of a fixture whose request is exactly this
    ///    one (method, path, query, JSON body), successes first;
    /// 3. for a request with `startDate` or `endDate` to an operation whose
    ///    success fixtures list entries with a `timestamp`: those entries
    ///    within the window (both ends included), or the operation's
    ///    empty-success status when none is;
    /// 4. for a path parameter value the fixtures know only from a `404`
    ///    (no success fixture of the operation has it): that `404`, so an
    ///    unknown target stays unknown whatever the rest of the request;
    /// 5. for another request to a known operation, the response of that
    ///    operation's first success fixture;
    /// 6. otherwise `404`, and a `tracing` warning naming the closest
    ///    fixture and the first difference.
    pub(crate) fn answer(&self, asked: &Asked<'_>) -> Reply {
        let (method, path) = (asked.method, asked.path);
        let blank = asked
            .key
            .is_none_or(|key| key.iter().all(u8::is_ascii_whitespace));
        if blank {
            tracing::info!(target: "np6_client::mock", method, path, "401: no {API_KEY_HEADER} header");
            return Reply::text(401, format!("{API_KEY_HEADER} header is missing"));
        }
        let exact = self
            .list
            .iter()
            .find(|(_, f)| difference(f, asked).is_none());
        if let Some((name, fixture)) = exact {
            tracing::info!(target: "np6_client::mock", method, path, fixture = %name, "answered from the matching fixture");
            return Reply::of(fixture);
        }
        let Some(op) = OPERATIONS.iter().find(|op| is_op(op, method, path)) else {
            return self.no_match(asked);
        };
        let of_op = |f: &&(String, Fixture)| is_op(op, &f.1.request.method, &f.1.request.path);
        let successes: Vec<&(String, Fixture)> = self
            .list
            .iter()
            .filter(of_op)
            .filter(|(_, f)| is_success(f))
            .collect();
        if let Some(reply) = window(op, &successes, asked) {
            return reply;
        }
        if let Some((name, fixture)) = self.unknown(op, &successes, asked) {
            tracing::info!(target: "np6_client::mock", method, path, fixture = %name, "404: a path parameter the fixtures know only as not found");
            return Reply::of(fixture);
        }
        match successes.first() {
            Some((name, fixture)) => {
                tracing::info!(target: "np6_client::mock", method, path, operation = op.id, fixture = %name, "no exact fixture: answered with the operation's first success");
                Reply::of(fixture)
            }
            None => self.no_match(asked),
        }
    }

    /// The `404` fixture of `op` that marks a path parameter of the request
    /// as unknown: one with the same value for that parameter, which no
    /// success fixture of the operation has.
    fn unknown(
        &self,
        op: &'static Operation,
        successes: &[&(String, Fixture)],
        asked: &Asked<'_>,
    ) -> Option<&(String, Fixture)> {
        let params = |path: &str| match_path(op.path, path).ok().flatten().unwrap_or_default();
        let known: Vec<(String, String)> = successes
            .iter()
            .flat_map(|(_, f)| params(&f.request.path))
            .collect();
        let asked_params = params(asked.path);
        let unknown: Vec<&(String, String)> =
            asked_params.iter().filter(|p| !known.contains(p)).collect();
        if unknown.is_empty() {
            return None;
        }
        self.list.iter().find(|(_, f)| {
            f.response.status == 404
                && f.request.method.eq_ignore_ascii_case(op.method)
                && params(&f.request.path).iter().any(|p| unknown.contains(&p))
        })
    }

    fn no_match(&self, asked: &Asked<'_>) -> Reply {
        let (name, why) = self
            .list
            .iter()
            .filter_map(|(name, f)| difference(f, asked).map(|(stage, why)| (stage, name, why)))
            .max_by_key(|(stage, _, _)| *stage)
            .map_or_else(
                || ("none".to_owned(), "no fixtures".to_owned()),
                |(_, name, why)| (name.clone(), why),
            );
        tracing::warn!(target: "np6_client::mock", method = asked.method, path = asked.path, closest = %name, difference = %why, "404: no fixture matches");
        Reply::text(
            404,
            "no fixture matches this request (the sandbox log says why)",
        )
    }
}

/// How a request differs from a fixture's; `None` when it is that one.
fn difference(fixture: &Fixture, asked: &Asked<'_>) -> Option<(Stage, String)> {
    fixture
        .request
        .difference(asked.method, asked.path, &asked.query, asked.body)
}

/// The answer to a request for a time window, when the operation's
/// success fixtures list timed entries: those inside the window.
fn window(
    op: &'static Operation,
    successes: &[&(String, Fixture)],
    asked: &Asked<'_>,
) -> Option<Reply> {
    let bound = |name: &str| asked.query.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    let (start, end) = (bound(WINDOW.0), bound(WINDOW.1));
    if start.is_none() && end.is_none() {
        return None;
    }
    let listed: Vec<(&str, &Fixture, &Vec<Value>)> = successes
        .iter()
        .filter_map(|(name, f)| match &f.response.body {
            Some(Value::Array(entries)) if entries.iter().all(|e| e.get(ENTRY_TIME).is_some()) => {
                Some((name.as_str(), f, entries))
            }
            _ => None,
        })
        .collect();
    let (first_name, first, _) = *listed.first()?;
    let parse = |text: Option<&String>, name: &str| match text {
        None => Ok(None),
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| Reply::text(400, format!("{name} is not an RFC 3339 date-time"))),
    };
    let (start, end) = match (parse(start, WINDOW.0), parse(end, WINDOW.1)) {
        (Ok(start), Ok(end)) => (start, end),
        (Err(reply), _) | (_, Err(reply)) => return Some(reply),
    };
    let inside = |entry: &Value| {
        let time = entry.get(ENTRY_TIME).and_then(Value::as_str);
        let time = time.and_then(|t| DateTime::parse_from_rfc3339(t).ok());
        time.is_some_and(|t| start.is_none_or(|s| t >= s) && end.is_none_or(|e| t <= e))
    };
    let mut entries: Vec<Value> = Vec::new();
    for entry in listed.iter().flat_map(|(_, _, entries)| entries.iter()) {
        if inside(entry) && !entries.contains(entry) {
            entries.push(entry.clone());
        }
    }
    tracing::info!(target: "np6_client::mock", method = asked.method, path = asked.path, entries = entries.len(), fixture = %first_name, "answered the window from the fixtures' entries");
    let mut reply = Reply::of(first);
    if let Some((status, _)) = op.empty_success.first().filter(|_| entries.is_empty()) {
        reply.status = *status;
        reply.body.clear();
        reply
            .headers
            .retain(|(name, _)| !name.eq_ignore_ascii_case("content-type"));
        return Some(reply);
    }
    reply.body = serde_json::to_vec(&entries).unwrap_or_default();
    Some(reply)
}
