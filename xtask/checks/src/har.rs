//! `cargo xtask import-har`: the NP6 exchanges of an HTTP Archive (HAR 1.2,
//! as exported by browser devtools, mitmproxy, Charles or Postman) as
//! fixture files, with every credential redacted.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use np6_client::fixture::{
    Fixture, FixtureRequest, FixtureResponse, KEPT_RESPONSE_HEADERS, QueryValue, REDACTED, Source,
    is_credential_name,
};
use np6_client::{ApiKey, Redactor};
use serde_json::Value;

use crate::model::Model;

/// The largest HTTP Archive read, in bytes (512 MiB).
pub const MAX_HAR_BYTES: u64 = 512 * 1024 * 1024;

/// How often [`import_with`] reports progress, in entries.
pub const PROGRESS_EVERY: usize = 1000;

/// What an import did.
#[derive(Debug, Default)]
pub struct Imported {
    /// Fixture files written.
    pub written: Vec<PathBuf>,
    /// Entries skipped, with the reason.
    pub skipped: Vec<String>,
}

/// How an import treats the archive.
#[derive(Debug, Default, Clone, Copy)]
pub struct Options {
    /// Also import entries for hosts other than the spec's servers (by
    /// default they are skipped with a note).
    pub any_host: bool,
}

/// Converts the archive at `har` into fixtures in `out`, NP6's hosts only.
///
/// # Errors
///
/// See [`import_with`].
pub fn import(model: &Model, har: &Path, out: &Path) -> Result<Imported, String> {
    import_with(model, har, out, Options::default(), &mut |_, _| {})
}

/// Converts the archive at `har` into fixtures in `out`, in time linear in
/// the number of entries, calling `progress(done, total)` every
/// [`PROGRESS_EVERY`] entries. Every key the archive sends (the spec's key
/// header) and every other credential it holds is masked in everything
/// written, in every encoding that decodes back to it
/// ([`ApiKey::redact`]). Existing files are never overwritten.
///
/// # Errors
///
/// When the file cannot be read (not a regular file, larger than
/// [`MAX_HAR_BYTES`]) or is not a HAR, or a fixture cannot be written (the
/// message says which).
pub fn import_with(
    model: &Model,
    har: &Path,
    out: &Path,
    options: Options,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Imported, String> {
    let bytes = np6_client::fixture::read_file_at_most(har, MAX_HAR_BYTES)
        .map_err(|e| format!("{}: {e}", har.display()))?;
    let archive: Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{} is not JSON: {e}", har.display()))?;
    drop(bytes);
    let entries = archive
        .pointer("/log/entries")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{} is not a HAR file (no log.entries)", har.display()))?;
    let source_name = har.file_name().map_or_else(
        || har.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let secrets = secrets(model, entries);
    let hosts: HashSet<String> = model
        .spec
        .document
        .servers
        .iter()
        .filter_map(|s| host(&s.url))
        .collect();
    let mut names = Names::new(out)?;
    let mut imported = Imported::default();
    for (index, entry) in entries.iter().enumerate() {
        if index > 0 && index % PROGRESS_EVERY == 0 {
            progress(index, entries.len());
        }
        if !options.any_host {
            let url = entry.pointer("/request/url").and_then(Value::as_str);
            let found = url.and_then(host);
            if !found.as_ref().is_some_and(|h| hosts.contains(h)) {
                let what = found.map_or_else(
                    || "no absolute URL".to_owned(),
                    |h| format!("host {h} is not NP6's"),
                );
                imported.skipped.push(format!(
                    "entry {index}: {} (import it with --any-host)",
                    redact(&secrets, &what)
                ));
                continue;
            }
        }
        let written = fixture(model, entry, &source_name, index)
            .and_then(|f| redacted(&secrets, f))
            .and_then(|f| {
                let op = f.operation.as_deref().unwrap_or("unknown");
                let stem = format!("{op}-{}", f.response.status);
                Ok((stem, f.to_yaml()?))
            });
        match written {
            Ok((stem, yaml)) => imported
                .written
                .push(names.write(&stem, &redact(&secrets, &yaml))?),
            Err(reason) => imported
                .skipped
                .push(format!("entry {index}: {}", redact(&secrets, &reason))),
        }
    }
    progress(entries.len(), entries.len());
    Ok(imported)
}

/// The host of an absolute URL, lower case, without port or user.
fn host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    let host = authority.split(':').next()?;
    Some(host.to_ascii_lowercase())
}

/// Every key the archive sends in the spec's key header, and every other
/// credential value of 8 characters or more (shorter ones would mask
/// ordinary words), found in one pass.
fn secrets(model: &Model, entries: &[Value]) -> Redactor {
    let mut found = BTreeSet::new();
    let key_header = model.spec.api_key_header.as_str();
    for entry in entries {
        for (name, value) in pairs(entry.pointer("/request/headers")) {
            let is_key = name.eq_ignore_ascii_case(key_header);
            if (is_key && !value.is_empty()) || (is_credential_name(&name) && value.len() >= 8) {
                found.insert(value);
            }
        }
        let query = entry.pointer("/request/url").and_then(Value::as_str);
        for (name, value) in query.map(|u| split_url(u).query).unwrap_or_default() {
            if is_credential_name(&name) && value.len() >= 8 {
                found.insert(value);
            }
        }
    }
    let keys: Vec<ApiKey> = found.into_iter().map(ApiKey::new).collect();
    // One automaton for every secret: masking an entry costs the same
    // whether the archive holds one key or thousands.
    Redactor::new(&keys)
}

fn redact(secrets: &Redactor, text: &str) -> String {
    secrets.redact(text)
}

/// The fixture with every secret masked in every string it holds.
fn redacted(secrets: &Redactor, fixture: Fixture) -> Result<Fixture, String> {
    let mut value = serde_json::to_value(fixture).map_err(|e| e.to_string())?;
    secrets.redact_json(&mut value);
    Fixture::from_value(value)
}

/// The names taken in the output folder, listed once, so that naming an
/// entry's file costs no search.
struct Names {
    out: PathBuf,
    taken: HashSet<String>,
    next: HashMap<String, usize>,
    created: bool,
}

impl Names {
    fn new(out: &Path) -> Result<Self, String> {
        let taken = match std::fs::read_dir(out) {
            Ok(entries) => entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => HashSet::new(),
            Err(e) => return Err(format!("cannot read {}: {e}", out.display())),
        };
        Ok(Self {
            out: out.to_path_buf(),
            taken,
            next: HashMap::new(),
            created: false,
        })
    }

    /// Writes `text` under the first free name for `stem`: `stem.yaml`,
    /// then `stem-2.yaml`... (never over an existing file).
    fn write(&mut self, stem: &str, text: &str) -> Result<PathBuf, String> {
        use std::io::Write as _;
        if !self.created {
            std::fs::create_dir_all(&self.out)
                .map_err(|e| format!("cannot create {}: {e}", self.out.display()))?;
            self.created = true;
        }
        loop {
            let n = self.next.entry(stem.to_owned()).or_insert(1);
            let name = if *n == 1 {
                format!("{stem}.yaml")
            } else {
                format!("{stem}-{n}.yaml")
            };
            *n += 1;
            if !self.taken.insert(name.clone()) {
                continue;
            }
            let path = self.out.join(&name);
            let file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path);
            match file {
                Ok(mut file) => {
                    file.write_all(text.as_bytes())
                        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                    return Ok(path);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(format!("cannot write {}: {e}", path.display())),
            }
        }
    }
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
    let url = split_url(url_text);
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

fn split_url(text: &str) -> SplitUrl {
    let rest = text.split_once("://").map_or(text, |(_, rest)| rest);
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
    SplitUrl {
        path: path.to_owned(),
        query,
    }
}

fn decode_query(text: &str) -> String {
    percent_encoding::percent_decode_str(&text.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}
