//! The fixture format: one HTTP exchange with NP6, as recorded, published or
//! constructed. The contract is documented in `openapi/fixtures/README.md`.
//!
//! The client writes fixtures in record mode
//! ([`ClientBuilder::record_to`](crate::ClientBuilder::record_to)); the
//! sandbox (feature `serve`) reads and answers them; the maintainers'
//! `cargo xtask` validates and replays them. Public with the `fixtures`
//! feature only, for the np6-rs tools: not covered by semver.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[cfg(any(feature = "fixtures", feature = "serve"))]
mod compare;
mod limits;
#[cfg(any(feature = "fixtures", feature = "serve"))]
mod read;

#[cfg(any(feature = "fixtures", feature = "serve"))]
pub use compare::Stage;
#[cfg(feature = "fixtures")]
pub use limits::MAX_DEPTH;
#[cfg(feature = "fixtures")]
pub use read::read_file_at_most;
#[cfg(any(feature = "fixtures", feature = "serve"))]
pub use read::{files_below, read_file};

/// What stands in a fixture wherever a secret was: the word the client
/// masks the key with.
pub const REDACTED: &str = crate::secret::REDACTED;

/// The answer headers a fixture keeps (lowercase), whether it comes from
/// record mode or from an imported HAR file; the others are left out.
///
/// ```
/// # #[cfg(feature = "fixtures")] {
/// use np6_client::fixture::KEPT_RESPONSE_HEADERS;
/// assert!(KEPT_RESPONSE_HEADERS.contains(&"x-request-id"));
/// assert!(!KEPT_RESPONSE_HEADERS.contains(&"set-cookie"));
/// # }
/// ```
pub const KEPT_RESPONSE_HEADERS: &[&str] = &["content-type", "x-request-id", "retry-after"];

/// One exchange: a request and NP6's answer.
///
/// ```
/// # #[cfg(feature = "fixtures")] {
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
/// # }
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

/// The largest fixture file read or written, in bytes (16 MiB); a larger
/// one is refused.
pub const MAX_FILE_BYTES: u64 = crate::files::MAX_FILE_BYTES;

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
        // The path to what does not match is looked for only then.
        if let Ok(fixture) = Self::deserialize(&value) {
            return Ok(fixture);
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
/// # #[cfg(feature = "fixtures")] {
/// use np6_client::fixture::is_credential_name;
/// assert!(is_credential_name("X-Key") && is_credential_name("access_token"));
/// assert!(!is_credential_name("startDate") && !is_credential_name("content-type"));
/// # }
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
