//! `cargo xtask import-har`: the NP6 exchanges of an HTTP Archive (HAR 1.2,
//! as exported by browser devtools, mitmproxy, Charles or Postman) as
//! fixture files, with every credential redacted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use np6_client::fixture::{
    Fixture, FixtureRequest, FixtureResponse, KEPT_RESPONSE_HEADERS, QueryValue, REDACTED, Source,
    is_credential_name,
};
use serde_json::Value;

use crate::model::Model;

/// What an import did.
#[derive(Debug, Default)]
pub struct Imported {
    /// Fixture files written.
    pub written: Vec<PathBuf>,
    /// Entries skipped, with the reason.
    pub skipped: Vec<String>,
}

/// Converts the archive at `har` into fixtures in `out`.
///
/// # Errors
///
/// When the file cannot be read or is not a HAR, or a fixture cannot be
/// written (the message says which).
pub fn import(model: &Model, har: &Path, out: &Path) -> Result<Imported, String> {
    let text =
        std::fs::read_to_string(har).map_err(|e| format!("cannot read {}: {e}", har.display()))?;
    let archive: Value =
        serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", har.display()))?;
    let entries = archive
        .pointer("/log/entries")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{} is not a HAR file (no log.entries)", har.display()))?;
    let source_name = har.file_name().map_or_else(
        || har.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut imported = Imported::default();
    for (index, entry) in entries.iter().enumerate() {
        let fixture = match fixture(model, entry, &source_name, index) {
            Ok(fixture) => fixture,
            Err(reason) => {
                imported.skipped.push(format!("entry {index}: {reason}"));
                continue;
            }
        };
        let stem = format!(
            "{}-{}",
            fixture.operation.as_deref().unwrap_or("unknown"),
            fixture.response.status
        );
        let mut path = out.join(format!("{stem}.yaml"));
        let mut n = 1;
        while path.exists() {
            n += 1;
            path = out.join(format!("{stem}-{n}.yaml"));
        }
        let yaml = fixture
            .to_yaml()
            .map_err(|e| format!("entry {index}: cannot write YAML: {e}"))?;
        std::fs::create_dir_all(out)
            .map_err(|e| format!("cannot create {}: {e}", out.display()))?;
        std::fs::write(&path, yaml).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        imported.written.push(path);
    }
    Ok(imported)
}

fn fixture(model: &Model, entry: &Value, source: &str, index: usize) -> Result<Fixture, String> {
    let request = entry.get("request").ok_or("no request")?;
    let response = entry.get("response").ok_or("no response")?;
    let method = request
        .get("method")
        .and_then(Value::as_str)
        .ok_or("no request method")?
        .to_uppercase();
    let url_text = request
        .get("url")
        .and_then(Value::as_str)
        .ok_or("no request url")?;
    let url = reqwest_free_url(url_text)?;
    let (op, _) = model
        .match_request(&method, &url.path)
        .map_err(|e| format!("not an NP6 operation ({method} {url_text}): {e}"))?;

    let mut query: BTreeMap<String, QueryValue> = BTreeMap::new();
    for (name, value) in &url.query {
        let value = if is_credential_name(name) {
            REDACTED.to_owned()
        } else {
            value.clone()
        };
        let merged = match query.remove(name) {
            None => QueryValue::One(value),
            Some(QueryValue::One(first)) => QueryValue::Many(vec![first, value]),
            Some(QueryValue::Many(mut all)) => {
                all.push(value);
                QueryValue::Many(all)
            }
        };
        query.insert(name.clone(), merged);
    }
    let mut headers = BTreeMap::new();
    for (name, value) in pairs(request.get("headers")) {
        let lower = name.to_ascii_lowercase();
        if op.key_headers.iter().any(|h| h.eq_ignore_ascii_case(&name)) {
            headers.insert(name, REDACTED.to_owned());
        } else if lower == "content-type" {
            headers.insert(lower, value);
        } else if is_credential_name(&name) {
            headers.insert(name, REDACTED.to_owned());
        }
    }
    let body = request
        .pointer("/postData/text")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(|t| {
            serde_json::from_str::<Value>(t).map_err(|e| format!("request body is not JSON: {e}"))
        })
        .transpose()?;

    let status = response
        .get("status")
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok())
        .filter(|s| *s >= 100)
        .ok_or("no response status (an aborted request?)")?;
    let mut response_headers = BTreeMap::new();
    for (name, value) in pairs(response.get("headers")) {
        let lower = name.to_ascii_lowercase();
        if KEPT_RESPONSE_HEADERS.contains(&lower.as_str()) {
            response_headers.insert(lower, value);
        }
    }
    let content = response.get("content");
    let text = content
        .and_then(|c| c.get("text"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let text = if content
        .and_then(|c| c.get("encoding"))
        .and_then(Value::as_str)
        == Some("base64")
    {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|e| format!("response body is not valid base64: {e}"))?;
        String::from_utf8(bytes).map_err(|_| "response body is binary, not text")?
    } else {
        text.to_owned()
    };
    let (response_body, body_text) = if text.is_empty() {
        (None, None)
    } else {
        match serde_json::from_str::<Value>(&text) {
            Ok(json) => (Some(json), None),
            Err(_) => (None, Some(text)),
        }
    };
    let started = entry
        .get("startedDateTime")
        .and_then(Value::as_str)
        .unwrap_or("unknown time");
    Ok(Fixture {
        description: format!("Imported from {source}, entry {index} ({started})"),
        source: Source::Recorded,
        operation: Some(op.id.clone()),
        request: FixtureRequest {
            method,
            path: url.path,
            query,
            headers,
            body,
        },
        response: FixtureResponse {
            status,
            headers: response_headers,
            body: response_body,
            body_text,
        },
    })
}

/// HAR name/value pairs.
fn pairs(list: Option<&Value>) -> Vec<(String, String)> {
    list.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| {
            Some((
                p.get("name")?.as_str()?.to_owned(),
                p.get("value")?.as_str()?.to_owned(),
            ))
        })
        .collect()
}

/// The raw path and decoded query of an absolute URL.
struct SplitUrl {
    path: String,
    query: Vec<(String, String)>,
}

fn reqwest_free_url(text: &str) -> Result<SplitUrl, String> {
    let rest = text
        .split_once("://")
        .map(|(_, rest)| rest)
        .ok_or_else(|| format!("{text} is not an absolute URL"))?;
    let rest = rest.split('#').next().unwrap_or_default();
    let after_host = rest.find('/').map_or("/", |i| &rest[i..]);
    let (path, query) = after_host.split_once('?').unwrap_or((after_host, ""));
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_query(k), decode_query(v))
        })
        .collect();
    Ok(SplitUrl {
        path: path.to_owned(),
        query,
    })
}

fn decode_query(text: &str) -> String {
    percent_encoding::percent_decode_str(&text.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}
