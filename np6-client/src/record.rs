//! Record mode: every exchange written as a redacted fixture, the answer
//! as received (see `ClientBuilder::record_to`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::fixture::{
    Fixture, FixtureRequest, FixtureResponse, KEPT_RESPONSE_HEADERS, QueryValue, Source,
    is_credential_name,
};
use crate::secret::{ApiKey, REDACTED};

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
        let fixture = fixture(operation, sent, status, headers, body, key, self.key_header);
        let n = self.count.fetch_add(1, Ordering::Relaxed);
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let name = format!(
            "{}-{}-{millis}-{n}.json",
            operation.unwrap_or("unknown"),
            status.as_u16()
        );
        let path = self.dir.join(name);
        let written = async {
            let text = serde_json::to_string_pretty(&fixture).map_err(std::io::Error::other)?;
            tokio::fs::create_dir_all(&self.dir).await?;
            tokio::fs::write(&path, text + "\n").await
        };
        match written.await {
            Ok(()) => tracing::debug!(path = %path.display(), "np6: exchange recorded"),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "np6: cannot record the exchange")
            }
        }
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
        match query.remove(name.as_ref()) {
            None => query.insert(name.into_owned(), QueryValue::One(value)),
            Some(QueryValue::One(first)) => {
                query.insert(name.into_owned(), QueryValue::Many(vec![first, value]))
            }
            Some(QueryValue::Many(mut values)) => {
                values.push(value);
                query.insert(name.into_owned(), QueryValue::Many(values))
            }
        };
    }
    let mut request_headers = BTreeMap::from([(key_header.to_owned(), REDACTED.to_owned())]);
    if let Some(content_type) = sent.content_type {
        request_headers.insert("content-type".to_owned(), content_type);
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
            path: sent.url.path().to_owned(),
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

/// A body as JSON when it is JSON, else as text; empty is neither.
fn split_body(body: &[u8], key: &ApiKey) -> (Option<Value>, Option<String>) {
    if body.is_empty() {
        return (None, None);
    }
    let text = key.redact(&String::from_utf8_lossy(body));
    match serde_json::from_str(&text) {
        Ok(value) => (Some(value), None),
        Err(_) => (None, Some(text)),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fixtures_mask_with_the_same_word_as_the_client() {
        assert_eq!(crate::secret::REDACTED, crate::fixture::REDACTED);
    }
}
