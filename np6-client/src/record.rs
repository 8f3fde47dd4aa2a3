//! Record mode: every exchange written as a redacted fixture, the answer
//! as received (see `ClientBuilder::record_to`), in a file of its own that
//! is never overwritten, so that clients recording into one folder lose
//! nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::fixture::{
    Fixture, FixtureRequest, FixtureResponse, KEPT_RESPONSE_HEADERS, QueryValue, REDACTED, Source,
    is_credential_name,
};
use crate::secret::ApiKey;

/// Writes fixtures into one folder.
pub(crate) struct Recorder {
    dir: PathBuf,
    /// The name of the header that carries the key (the spec's).
    key_header: &'static str,
    count: AtomicU64,
}

/// What a request carried, taken before it is sent.
pub(crate) struct SentRequest {
    method: String,
    url: reqwest::Url,
    content_type: Option<String>,
    body: Option<Vec<u8>>,
}

impl SentRequest {
    pub(crate) fn of(request: &reqwest::Request) -> Self {
        Self {
            method: request.method().as_str().to_owned(),
            url: request.url().clone(),
            content_type: request
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body: request
                .body()
                .and_then(|b| b.as_bytes())
                .map(<[u8]>::to_vec),
        }
    }
}

impl Recorder {
    /// Writes into `dir`; the key travels in the header `key_header`.
    pub(crate) fn new(dir: PathBuf, key_header: &'static str) -> Self {
        Self {
            dir,
            key_header,
            count: AtomicU64::new(0),
        }
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes one exchange of the operation `operation` (its
    /// `operationId`), the answer as received.
    pub(crate) async fn record(
        &self,
        operation: Option<&'static str>,
        sent: SentRequest,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        key: &ApiKey,
    ) {
        // Checked before anything is masked: masking is linear, but not free.
        let sent_bytes = sent.body.as_ref().map_or(0, Vec::len);
        let bytes = u64::try_from(body.len().saturating_add(sent_bytes)).unwrap_or(u64::MAX);
        if bytes > crate::fixture::MAX_FILE_BYTES {
            tracing::warn!(
                bytes,
                limit = crate::fixture::MAX_FILE_BYTES,
                "np6: exchange not recorded: its bodies are larger than a fixture file may be"
            );
            return;
        }
        let fixture = fixture(operation, sent, status, headers, body, key, self.key_header);
        let text = match fixture_text(&fixture, key) {
            Ok(text) => text,
            Err(reason) => {
                tracing::warn!(reason, "np6: exchange not recorded");
                return;
            }
        };
        let stem = format!("{}-{}", operation.unwrap_or("unknown"), status.as_u16());
        // The folder is the caller's text: shown with any echo of the key
        // masked, like the error (which may quote it).
        match self.write_new(&stem, text.as_bytes()).await {
            Ok(path) => {
                let path = key.redact(&path.to_string_lossy());
                tracing::debug!(path, "np6: exchange recorded");
            }
            Err(e) => tracing::warn!(
                dir = key.redact(&self.dir.to_string_lossy()),
                error = key.redact(&e.to_string()),
                "np6: cannot record the exchange"
            ),
        }
    }

    /// Writes `text` into a new file `<stem>-<ms>-<n>.json` of the folder,
    /// never over an existing one: a name taken (by another client, or
    /// another process recording there) is skipped for the next.
    async fn write_new(&self, stem: &str, text: &[u8]) -> std::io::Result<PathBuf> {
        use tokio::io::AsyncWriteExt;
        tokio::fs::create_dir_all(&self.dir).await?;
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        for _ in 0..MAX_NAME_TRIES {
            let n = self.count.fetch_add(1, Ordering::Relaxed);
            let path = self.dir.join(format!("{stem}-{millis}-{n}.json"));
            let created = tokio::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .await;
            match created {
                Ok(mut file) => {
                    file.write_all(text).await?;
                    file.flush().await?;
                    return Ok(path);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::other(format!(
            "{MAX_NAME_TRIES} file names in a row were taken"
        )))
    }
}

/// How many names a fixture tries before giving up.
const MAX_NAME_TRIES: usize = 1000;

/// The fixture as the file's text, with a last check that no echo of the
/// key is left in it (one crossing JSON syntax, which the walk over the
/// decoded values cannot see, is masked in the text if it stays a
/// fixture, else the exchange is not recorded).
fn fixture_text(fixture: &Fixture, key: &ApiKey) -> Result<String, &'static str> {
    // Through the format's own writer: it refuses what the fixture reader
    // (validate, the sandbox) would refuse, so record mode never writes a
    // fixture its own tools reject.
    let text = fixture
        .to_json()
        .map_err(|_| "it is larger or deeper than a fixture file may be")?;
    if !key.is_echoed_in(&text) {
        return Ok(text + "\n");
    }
    let masked = key.redact(&text);
    match Fixture::from_json(&masked) {
        Ok(_) => Ok(masked + "\n"),
        Err(_) => Err("an echo of the key could not be masked in it"),
    }
}

fn fixture(
    operation: Option<&'static str>,
    sent: SentRequest,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    key: &ApiKey,
    key_header: &str,
) -> Fixture {
    let mut query: BTreeMap<String, QueryValue> = BTreeMap::new();
    for (name, value) in sent.url.query_pairs() {
        let value = if is_credential_name(&name) {
            REDACTED.to_owned()
        } else {
            key.redact(&value)
        };
        let name = key.redact(&name);
        match query.remove(&name) {
            None => query.insert(name, QueryValue::One(value)),
            Some(QueryValue::One(first)) => {
                query.insert(name, QueryValue::Many(vec![first, value]))
            }
            Some(QueryValue::Many(mut values)) => {
                values.push(value);
                query.insert(name, QueryValue::Many(values))
            }
        };
    }
    let mut request_headers = BTreeMap::from([(key_header.to_owned(), REDACTED.to_owned())]);
    if let Some(content_type) = sent.content_type {
        request_headers.insert("content-type".to_owned(), key.redact(&content_type));
    }
    let mut response_headers = BTreeMap::new();
    for name in KEPT_RESPONSE_HEADERS {
        if let Some(value) = headers.get(*name).and_then(|v| v.to_str().ok()) {
            response_headers.insert((*name).to_owned(), key.redact(value));
        }
    }
    let (response_body, body_text) = split_body(body, key);
    Fixture {
        description: format!(
            "Recorded by np6-client {} record mode",
            env!("CARGO_PKG_VERSION")
        ),
        source: Source::Recorded,
        operation: operation.map(str::to_owned),
        request: FixtureRequest {
            method: sent.method,
            path: key.redact(sent.url.path()),
            query,
            headers: request_headers,
            body: sent.body.as_deref().and_then(|b| split_body(b, key).0),
        },
        response: FixtureResponse {
            status: status.as_u16(),
            headers: response_headers,
            body: response_body,
            body_text,
        },
    }
}

/// A body as JSON when it is JSON, else as text; empty is neither. The
/// key is masked in the JSON's decoded values (an escaped echo in the JSON
/// text is masked as the key it decodes to), or in the text.
fn split_body(body: &[u8], key: &ApiKey) -> (Option<Value>, Option<String>) {
    if body.is_empty() {
        return (None, None);
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(mut value) => {
            key.redact_json(&mut value);
            (Some(value), None)
        }
        Err(_) => (None, Some(key.redact(&String::from_utf8_lossy(body)))),
    }
}
