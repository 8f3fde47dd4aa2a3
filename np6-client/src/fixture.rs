//! The fixture format: one HTTP exchange with NP6, as recorded, published or
//! constructed. The contract is documented in `openapi/fixtures/README.md`.
//!
//! The client writes fixtures in record mode
//! ([`ClientBuilder::record_to`](crate::ClientBuilder::record_to)); the
//! maintainers' `cargo xtask` validates and replays them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

mod limits;

pub use limits::MAX_DEPTH;

/// What stands in a fixture wherever a secret was.
pub const REDACTED: &str = "REDACTED";

/// The answer headers a fixture keeps (lowercase), whether it comes from
/// record mode or from an imported HAR file; the others are left out.
///
/// ```
/// use np6_client::fixture::KEPT_RESPONSE_HEADERS;
/// assert!(KEPT_RESPONSE_HEADERS.contains(&"x-request-id"));
/// assert!(!KEPT_RESPONSE_HEADERS.contains(&"set-cookie"));
/// ```
pub const KEPT_RESPONSE_HEADERS: &[&str] = &["content-type", "x-request-id", "retry-after"];

/// One exchange: a request and NP6's answer.
///
/// ```
/// use np6_client::fixture::{Fixture, Source};
///
/// let fixture = Fixture::from_json(r#"{
///   "description": "No SMS redlist entries",
///   "source": "constructed",
///   "request": {"method": "GET", "path": "/targets/redlist/sms", "headers": {"X-Key": "REDACTED"}},
///   "response": {"status": 204}
/// }"#)?;
/// assert_eq!(fixture.source, Source::Constructed);
/// assert_eq!(fixture.request.header("x-key"), Some("REDACTED"));
/// # Ok::<(), String>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    /// What the exchange shows, in a sentence.
    pub description: String,
    /// Where the exchange comes from.
    pub source: Source,
    /// The `operationId`; when present it must match method and path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// The request as sent.
    pub request: FixtureRequest,
    /// The answer as received.
    pub response: FixtureResponse,
}

/// Where a fixture comes from: be honest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Real traffic with NP6 (record mode, an imported HAR).
    Recorded,
    /// An example from NP6's published documentation.
    Documentation,
    /// Written by hand to cover a case no recording shows yet.
    Constructed,
}

/// The request of a fixture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureRequest {
    /// The HTTP method, upper case.
    pub method: String,
    /// The path as on the wire: percent-encoded, without the query string.
    pub path: String,
    /// Query parameters: a name to one value or a list of values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub query: BTreeMap<String, QueryValue>,
    /// Request headers; the API key is always [`REDACTED`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The JSON body, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

/// The answer of a fixture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureResponse {
    /// The HTTP status.
    pub status: u16,
    /// Answer headers (`content-type`, `x-request-id`, `retry-after`...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The JSON body, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// A body that is not JSON, verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_text: Option<String>,
}

/// One query value or several (a repeated parameter).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum QueryValue {
    /// `?name=value`
    One(String),
    /// `?name=a&name=b`
    Many(Vec<String>),
}

impl<'de> Deserialize<'de> for QueryValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Array(items) => items
                .into_iter()
                .map(scalar)
                .collect::<Result<_, _>>()
                .map(Self::Many)
                .map_err(serde::de::Error::custom),
            other => scalar(other)
                .map(Self::One)
                .map_err(serde::de::Error::custom),
        }
    }
}

impl QueryValue {
    /// The values, in order.
    pub fn values(&self) -> Vec<&str> {
        match self {
            Self::One(v) => vec![v.as_str()],
            Self::Many(vs) => vs.iter().map(String::as_str).collect(),
        }
    }
}

/// A YAML scalar (string, number, boolean) as the text it stands for.
fn scalar(value: Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(format!(
            "a query value is a string or a list of strings, not {other}"
        )),
    }
}

fn header<'a>(headers: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

impl FixtureRequest {
    /// A request header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// The query as sorted (name, value) pairs.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        let mut pairs: Vec<(String, String)> = self
            .query
            .iter()
            .flat_map(|(k, v)| {
                v.values()
                    .into_iter()
                    .map(move |v| (k.clone(), v.to_owned()))
            })
            .collect();
        pairs.sort();
        pairs
    }

    /// The first way a request differs from this one: method, path
    /// (percent-encoded), query (decoded pairs, any order), then JSON body
    /// (compared only when the fixture has one). `None` when it is this one.
    ///
    /// ```
    /// use np6_client::fixture::{Fixture, Stage};
    ///
    /// let fixture = Fixture::from_json(r#"{"description": "d", "source": "constructed",
    ///   "request": {"method": "GET", "path": "/targets/redlist/sms", "query": {"startDate": "2024-01-01T00:00:00Z"}},
    ///   "response": {"status": 204}}"#)?;
    /// let query = [("startDate".to_owned(), "2024-01-01T00:00:00Z".to_owned())];
    /// assert!(fixture.request.difference("GET", "/targets/redlist/sms", &query, b"").is_none());
    /// let (stage, why) = fixture.request.difference("GET", "/targets/redlist/sms", &[], b"").unwrap();
    /// assert_eq!(stage, Stage::Query);
    /// assert!(why.starts_with("query []"));
    /// # Ok::<(), String>(())
    /// ```
    pub fn difference(
        &self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        body: &[u8],
    ) -> Option<(Stage, String)> {
        if !method.eq_ignore_ascii_case(&self.method) {
            return Some((
                Stage::Method,
                format!("method {method} instead of {}", self.method),
            ));
        }
        if path != self.path {
            return Some((Stage::Path, format!("path {path} instead of {}", self.path)));
        }
        let mut sent = query.to_vec();
        sent.sort();
        let recorded = self.query_pairs();
        if sent != recorded {
            return Some((
                Stage::Query,
                format!("query {sent:?} instead of {recorded:?}"),
            ));
        }
        if let Some(expected) = &self.body {
            let sent: Option<Value> = serde_json::from_slice(body).ok();
            if sent.as_ref() != Some(expected) {
                return Some((
                    Stage::Body,
                    format!(
                        "body {} instead of {expected}",
                        String::from_utf8_lossy(body)
                    ),
                ));
            }
        }
        None
    }
}

/// Where a request first differs from a fixture's, in matching order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// The HTTP method.
    Method,
    /// The path.
    Path,
    /// The query parameters.
    Query,
    /// The JSON body.
    Body,
}

pub use crate::files::MAX_FILE_BYTES;

/// Every fixture file below `dir` (`.yaml`, `.yml`, `.json`), sorted, each
/// real file once: each real folder is walked once, however many symbolic
/// links lead to it. A fixture name that is not a regular file (a FIFO, a
/// device, a dangling link) is listed too, so that [`read_file`] refuses it
/// by name.
///
/// # Errors
///
/// When a folder cannot be read (the message names it).
pub fn files_below(dir: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    crate::files::files_below(dir)
}

/// The bytes of a fixture file, the one way fixture files are read.
///
/// ```
/// # #[cfg(unix)] {
/// let refused = np6_client::fixture::read_file("/dev/zero".as_ref()).unwrap_err();
/// assert_eq!(refused, "not a regular file (a device)");
/// # }
/// ```
///
/// # Errors
///
/// Why the file is refused: it is not a regular file (a FIFO or a device is
/// never opened for reading), it cannot be read, or it is larger than
/// [`MAX_FILE_BYTES`] (no more than that is ever read).
pub fn read_file(path: &std::path::Path) -> Result<Vec<u8>, String> {
    crate::files::read_capped(path, MAX_FILE_BYTES)
}

/// [`read_file`] with another size limit, for the tools' other inputs
/// (HTTP Archives).
///
/// # Errors
///
/// As [`read_file`], with `max_bytes` as the limit.
pub fn read_file_at_most(path: &std::path::Path, max_bytes: u64) -> Result<Vec<u8>, String> {
    crate::files::read_capped(path, max_bytes)
}

impl FixtureResponse {
    /// An answer header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

impl Fixture {
    /// Reads a fixture from a JSON value; the error names the field at fault.
    ///
    /// # Errors
    ///
    /// A message such as `response: missing field 'status'` when the value
    /// is not a fixture.
    pub fn from_value(value: Value) -> Result<Self, String> {
        if value.is_null() {
            return Err("the file is empty".to_owned());
        }
        if !value.is_object() {
            return Err(
                "a fixture is a mapping with description, source, request and response".to_owned(),
            );
        }
        serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            if path == "." {
                e.inner().to_string()
            } else {
                format!("{path}: {}", e.inner())
            }
        })
    }

    /// Reads a fixture from JSON text.
    ///
    /// # Errors
    ///
    /// When the text is not JSON, or not a fixture.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        Self::from_value(value)
    }

    /// Reads a fixture file's bytes: YAML, or JSON (a subset of YAML).
    ///
    /// # Errors
    ///
    /// A plain message when the bytes are empty, binary, not YAML, or not a
    /// fixture.
    ///
    /// No file of at most [`MAX_FILE_BYTES`] meets another size limit: JSON
    /// is read as JSON, and the YAML parser's budget (nodes, events, depth)
    /// is set above what a file of that size, or any fixture the writers
    /// make, can hold.
    #[cfg(feature = "fixtures")]
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(format!(
                "larger than {MAX_FILE_BYTES} bytes, the most a fixture file may hold"
            ));
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err("the file is empty".to_owned());
        }
        if bytes.contains(&0) {
            return Err("the file is binary, not YAML or JSON".to_owned());
        }
        if let Ok(fixture) = serde_json::from_slice::<Self>(bytes) {
            return fixture.check_depth().map(|()| fixture);
        }
        let text =
            std::str::from_utf8(bytes).map_err(|e| format!("the file is not UTF-8 text: {e}"))?;
        let value: Value = serde_saphyr::from_str_with_options(text, limits::yaml_options())
            .map_err(|e| {
                // The parser's message is followed by a source snippet: keep one line.
                let message = e.to_string();
                format!(
                    "not valid YAML: {}",
                    message
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .trim_start_matches("error: ")
                )
            })?;
        Self::from_value(value)
    }

    /// The fixture as YAML text, in the field order of the format.
    ///
    /// # Errors
    ///
    /// When a value cannot be written as YAML.
    #[cfg(feature = "fixtures")]
    pub fn to_yaml(&self) -> Result<String, String> {
        self.fits(serde_saphyr::to_string(self).map_err(|e| e.to_string()))
    }

    /// The fixture as pretty JSON text, the form record mode writes.
    ///
    /// # Errors
    ///
    /// When the text would be larger than [`MAX_FILE_BYTES`], which
    /// [`read_file`] refuses.
    pub fn to_json(&self) -> Result<String, String> {
        self.fits(serde_json::to_string_pretty(self).map_err(|e| e.to_string()))
    }
}

/// Whether a header or query parameter name looks like it carries a
/// credential (`X-Key`, `Authorization`, `Cookie`, `api_key`, `token`...).
///
/// ```
/// use np6_client::fixture::is_credential_name;
/// assert!(is_credential_name("X-Key") && is_credential_name("access_token"));
/// assert!(!is_credential_name("startDate") && !is_credential_name("content-type"));
/// ```
pub fn is_credential_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let exact = [
        "x-key",
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "key",
    ];
    let parts = [
        "api-key",
        "api_key",
        "apikey",
        "token",
        "secret",
        "password",
        "passwd",
        "session",
        "signature",
        "credential",
    ];
    exact.contains(&name.as_str()) || parts.iter().any(|p| name.contains(p))
}
