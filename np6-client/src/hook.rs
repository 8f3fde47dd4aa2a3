//! progenitor's `exec` hook: every request of the generated client goes
//! out here, with the key, the user agent and the attempt's time limit, and
//! every answer comes back through here: its head noted for the typed
//! error, its body capped, a body-less documented success given the
//! schema's empty value, the exchange traced and recorded (record mode).
//!
//! The hook reads the [`Attempt`] that `Client::execute` made the generated
//! client with (progenitor's `ClientInfo::inner`), which names the
//! operation too: progenitor's `OperationInfo` is not needed.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{HeaderMap, HeaderName, RETRY_AFTER, USER_AGENT};
use tracing::Level;

use crate::adapted;
use crate::attempt::{Attempt, AttemptClient};
use crate::error::Answer;
use crate::record::SentRequest;
use crate::retry::parse_retry_after;
use crate::settings::Settings;
use crate::spec::Operation;

/// The most characters of a body shown in a TRACE event.
const TRACE_BODY_CHARS: usize = 1024;

/// reqwest's time limit for a streamed attempt: none that a body read
/// at its reader's pace could meet (tokio's timer takes it as "never").
const STREAMED_BODY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// NP6's request identifier, quoted in errors and traces.
static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

impl ClientHooks<Arc<Attempt>> for AttemptClient {
    async fn exec(
        &self,
        mut request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let attempt: &Attempt = self.inner();
        let settings: &Settings = &attempt.settings;
        let op = attempt.op;
        if let Some(raw_path) = &attempt.raw_path {
            adapted::send_to_raw_path(self.baseurl(), &mut request, raw_path);
        }
        // reqwest's per-request timeout bounds the attempt, from connecting
        // to the last byte of the body. A streamed attempt is bounded by
        // `execute_stream` until its answer begins, and then by the wait
        // for each next byte (`items.rs`): its body may take any time.
        *request.timeout_mut() = Some(if attempt.streamed {
            STREAMED_BODY
        } else {
            attempt.timeout
        });
        let headers = request.headers_mut();
        headers.insert(
            settings.key_header_name.clone(),
            settings.key_header.clone(),
        );
        if !settings.own_client {
            headers
                .entry(USER_AGENT)
                .or_insert_with(|| settings.user_agent.clone());
        }
        // What the attempt asks, for `--verbose` and other DEBUG readers:
        // the path names the target, the query the window; the key is a
        // header and never shown.
        tracing::debug!(
            method = %request.method(),
            path = request.url().path(),
            query = request.url().query().unwrap_or_default(),
            "np6 request"
        );
        let sent = settings
            .recorder
            .as_ref()
            .map(|_| SentRequest::of(&request));

        let mut response = self.client().execute(request).await?;
        attempt.answered(head(&response));
        // A streamed success is read as items, with no size limit on the
        // whole (`items.rs`); every other body is capped.
        let as_items = attempt.streamed && response.status().is_success();
        // Record mode and TRACE read the answer whole to write or show it;
        // a streamed answer is read whole only to be recorded (within the
        // cap), and TRACE shows its head.
        let whole = sent.is_some() || (tracing::enabled!(Level::TRACE) && !as_items);
        if as_items && !whole {
            tracing::trace!(
                status = response.status().as_u16(),
                "np6 answer, read as items"
            );
        }
        let response = if whole {
            read_whole(settings, op, response, sent).await?
        } else {
            // The head is in the attempt; progenitor would copy the
            // headers into a value nothing reads. Measured with callgrind
            // (`xtask bench-side np6 put --concurrency 64`, 3,000 calls):
            // this and the span guard of `execute.rs` together save 2,700
            // instructions of a bounce PUT's 125,000 (2 %).
            *response.headers_mut() = HeaderMap::new();
            if as_items {
                response
            } else {
                capped(response, settings.max_response_bytes)
            }
        };
        let response = adapted::empty_success(op, response);
        Ok(if as_items {
            attempt.keep(response)
        } else {
            response
        })
    }
}

/// What an answer's head says: its status, `x-request-id` and, for an
/// error, `Retry-After`.
pub(crate) fn head(response: &reqwest::Response) -> Answer {
    let status = response.status();
    let headers = response.headers();
    Answer {
        status,
        request_id: headers
            .get(&X_REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        retry_after: if status.is_success() {
            None
        } else {
            headers.get(RETRY_AFTER).and_then(parse_retry_after)
        },
        body: None,
    }
}

/// The error a body larger than the client allows ends with: reading it
/// fails with this as the source ([`TooLarge::find`], for `outcome.rs`).
#[derive(Debug)]
pub(crate) struct TooLarge {
    pub(crate) limit: usize,
}

impl fmt::Display for TooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the answer is larger than {} bytes", self.limit)
    }
}

impl std::error::Error for TooLarge {}

impl TooLarge {
    /// The [`TooLarge`] among an error's sources, if the body was cut there.
    pub(crate) fn find(error: &reqwest::Error) -> Option<&TooLarge> {
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            if let Some(too_large) = cause.downcast_ref::<TooLarge>() {
                return Some(too_large);
            }
            source = cause.source();
        }
        None
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The response with its body cut off past `limit` bytes: reading further
/// fails with [`TooLarge`]. A `Content-Length` over the limit fails at
/// once, with nothing read.
fn capped(response: reqwest::Response, limit: usize) -> reqwest::Response {
    match response.content_length() {
        Some(length) if length <= limit as u64 => return response,
        Some(_) => {
            let (parts, _) = http::Response::from(response).into_parts();
            return reqwest::Response::from(http::Response::from_parts(parts, too_large(limit)));
        }
        None => {}
    }
    let (parts, body) = http::Response::from(response).into_parts();
    let mut read = 0usize;
    let limited = http_body_util::BodyDataStream::new(body).map(move |chunk| {
        // The body's own error passes through as it is, so that reqwest
        // still sees a timeout as a timeout.
        let chunk = chunk.map_err(BoxError::from)?;
        read = read.saturating_add(chunk.len());
        if read > limit {
            return Err(BoxError::from(TooLarge { limit }));
        }
        Ok(chunk)
    });
    reqwest::Response::from(http::Response::from_parts(
        parts,
        reqwest::Body::wrap_stream(limited),
    ))
}

/// A body whose first read fails with [`TooLarge`].
fn too_large(limit: usize) -> reqwest::Body {
    let failure =
        futures_util::stream::once(
            async move { Err::<Bytes, BoxError>(Box::new(TooLarge { limit })) },
        );
    reqwest::Body::wrap_stream(failure)
}

/// An answer read whole (within the cap) to be traced or recorded, then
/// handed on with the same body, or with one that fails with [`TooLarge`].
async fn read_whole(
    settings: &Settings,
    op: &'static Operation,
    mut response: reqwest::Response,
    sent: Option<SentRequest>,
) -> reqwest::Result<reqwest::Response> {
    let limit = settings.max_response_bytes;
    let status = response.status();
    let version = response.version();
    let headers = std::mem::take(response.headers_mut());
    let body = read_capped(response, limit).await?;
    let received = body.clone().unwrap_or_default();
    if tracing::enabled!(Level::TRACE) {
        let text = settings.key.excerpt(&received, TRACE_BODY_CHARS);
        let text = text.as_deref().unwrap_or_default();
        tracing::trace!(status = status.as_u16(), body_len = received.len(), body = %text, "np6 answer");
    }
    if let (Some(recorder), Some(sent)) = (&settings.recorder, sent) {
        recorder
            .record(
                Some(op.id),
                sent,
                status,
                &headers,
                &received,
                &settings.key,
            )
            .await;
    }
    let body = match body {
        Some(body) => reqwest::Body::from(body),
        None => too_large(limit),
    };
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    Ok(reqwest::Response::from(rebuilt))
}

/// Reads the whole body, or `None` past `limit` bytes.
async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> reqwest::Result<Option<Bytes>> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Ok(None);
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len().saturating_add(chunk.len()) > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body.freeze()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The head of an answer with `status` and `headers`.
    fn head_of(status: u16, headers: &[(&'static str, &'static str)]) -> Answer {
        let mut response = http::Response::new("");
        *response.status_mut() = http::StatusCode::from_u16(status).expect("a status");
        let map = response.headers_mut();
        for (name, value) in headers {
            map.insert(*name, reqwest::header::HeaderValue::from_static(value));
        }
        head(&reqwest::Response::from(response))
    }

    #[test]
    fn the_head_keeps_the_request_id_and_an_errors_retry_after() {
        let error = head_of(503, &[("x-request-id", "r-9"), ("retry-after", "7")]);
        assert_eq!(error.status.as_u16(), 503);
        assert_eq!(error.request_id.as_deref(), Some("r-9"));
        assert_eq!(error.retry_after, Some(Duration::from_secs(7)));
        let success = head_of(200, &[("retry-after", "7")]);
        assert_eq!(success.retry_after, None);
        assert_eq!(success.request_id, None);
    }

    #[tokio::test]
    async fn a_body_past_the_cap_fails_with_too_large() {
        let response = reqwest::Response::from(http::Response::new("0123456789"));
        // A known length within the cap passes as it is.
        let fits = capped(response, 10).bytes().await.expect("within the cap");
        assert_eq!(fits, "0123456789");
        let response = reqwest::Response::from(http::Response::new("0123456789"));
        let error = capped(response, 9).bytes().await.expect_err("over the cap");
        let too_large = TooLarge::find(&error);
        assert_eq!(too_large.map(|t| t.limit), Some(9));
        // Without a known length, the chunks are counted as they come.
        let chunks = futures_util::stream::iter(["01234", "56789"].map(Ok::<_, BoxError>));
        let unknown = http::Response::new(reqwest::Body::wrap_stream(chunks));
        let response = reqwest::Response::from(unknown);
        assert_eq!(response.content_length(), None);
        let error = capped(response, 9).bytes().await.expect_err("over the cap");
        assert_eq!(TooLarge::find(&error).map(|t| t.limit), Some(9));
    }
}
