//! progenitor's `exec` hook: every request of the generated client goes
//! out here, with the key, the user agent and the attempt's time limit, and
//! every answer comes back through here: a body-less documented success
//! answered with the schema's empty value, bodies capped, error bodies read
//! for the typed error, exchanges recorded (record mode) and traced.

use std::future::Future;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::StatusCode;
use reqwest::header::{HeaderName, RETRY_AFTER, USER_AGENT};
use std::sync::Arc;
use tracing::Level;

use crate::exchange;
use crate::record::SentRequest;
use crate::retry::parse_retry_after;
use crate::settings::Settings;
use crate::spec::Operation;

/// The most characters of a body shown in a TRACE event.
const TRACE_BODY_CHARS: usize = 1024;

/// NP6's request identifier, quoted in errors and traces.
static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

impl ClientHooks<Arc<Settings>> for crate::generated::Client {
    // Not an `async fn`: everything up to sending is done here, so the
    // future returned (held inside every attempt's future) keeps only what
    // the answer needs, not the request.
    fn exec(
        &self,
        mut request: reqwest::Request,
        _info: &OperationInfo,
    ) -> impl Future<Output = reqwest::Result<reqwest::Response>> {
        let settings: &Settings = self.inner();
        // Every generated method runs inside `Client::execute`, which sets
        // the attempt; without one, the request goes out with the client's
        // own limits and the answer is not tied to an operation.
        let attempt = exchange::attempt();
        let op = attempt.map(|a| a.op);
        let traced = attempt.is_some_and(|a| a.traced);
        if attempt.is_some_and(|a| a.path_given) {
            give_raw_path(self, &mut request);
        }
        if let Some(limit) = attempt.map(|a| a.timeout) {
            // A client built here applies `settings.timeout` by itself; a
            // shorter limit (the deadline is near), or a caller's client,
            // needs it on the request.
            if !(settings.own_client && limit == settings.timeout) {
                *request.timeout_mut() = Some(limit);
            }
        }
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
        let sent = settings
            .recorder
            .as_ref()
            .map(|_| Box::new(SentRequest::of(&request)));
        let pending = self.client().execute(request);
        async move {
            // Scoped, so that no storage for the answer is kept across the
            // second await (the future stays small).
            let read = {
                let response = pending.await?;
                match answer(settings, op, response, sent, traced) {
                    Answer::Ready(response) => return Ok(response),
                    Answer::Read(read) => read,
                }
            };
            read.await
        }
    }
}

/// Sends the request to the path the call gave (`exchange::raw_path`),
/// below the base URL's own path: progenitor's encoding of a path
/// parameter would let the URL parser change it (`\\` is read as `/`).
#[cold]
#[inline(never)]
fn give_raw_path(client: &crate::generated::Client, request: &mut reqwest::Request) {
    let Some(raw_path) = exchange::raw_path() else {
        return;
    };
    let base = reqwest::Url::parse(client.baseurl()).map(|url| url.path().to_owned());
    let base = base.as_deref().unwrap_or("").trim_end_matches('/');
    request.url_mut().set_path(&format!("{base}{raw_path}"));
}

/// What `exec` does with an answer's head.
enum Answer<'a> {
    /// Passed on: progenitor reads the body, if any.
    Ready(reqwest::Response),
    /// Read whole first.
    Read(BoxFuture<'a, reqwest::Result<reqwest::Response>>),
}

/// Decides what to do with an answer (out of line, so that the code a call
/// runs stays small: see the `#[cold]` functions of `execute.rs`).
#[inline(never)]
fn answer<'a>(
    settings: &'a Settings,
    op: Option<&'static Operation>,
    mut response: reqwest::Response,
    sent: Option<Box<SentRequest>>,
    traced: bool,
) -> Answer<'a> {
    let status = response.status();
    let empty_value = op
        .and_then(|op| op.empty_success.iter().find(|(s, _)| *s == status.as_u16()))
        .map(|(_, json)| Bytes::from_static(json.as_bytes()));
    // 204 and 304 answers have no body (RFC 9110 6.4.1), whatever their
    // framing says.
    let no_body = matches!(status.as_u16(), 204 | 304);
    // The common case, a success nobody records or traces, is passed on
    // unread: progenitor decodes it within the attempt's timeout.
    let buffered = sent.is_some() || !status.is_success() || tracing::enabled!(Level::TRACE);
    // After a success with nothing to decode, nothing can fail: what the
    // answer said is only needed when something else may follow.
    if traced || buffered || !(no_body || empty_value.is_some()) {
        note_answer(status, response.headers());
    }
    if buffered {
        // Boxed: an error, a recording or a trace is rare, and inline the
        // read would grow every attempt's future.
        return Answer::Read(Box::pin(read_whole(
            settings,
            op,
            response,
            sent,
            empty_value,
        )));
    }
    // What `execute` needs of the headers is in the exchange already;
    // progenitor would clone the rest into a value nobody reads.
    drop(std::mem::take(response.headers_mut()));
    let length = if no_body {
        Some(0)
    } else {
        response.content_length()
    };
    Answer::Ready(match (empty_value, length) {
        (Some(json), _) => with_body(response, json),
        (None, Some(length)) if length > settings.max_response_bytes as u64 => {
            exchange::note(|seen| seen.too_large = true);
            with_body(response, Bytes::new())
        }
        (None, Some(_)) => response,
        (None, None) => capped(response, settings.max_response_bytes),
    })
}

/// Notes the answer's status and what its headers say for `execute`.
#[inline(never)]
fn note_answer(status: StatusCode, headers: &reqwest::header::HeaderMap) {
    let retry_after = if status.is_success() {
        None
    } else {
        headers.get(RETRY_AFTER).and_then(parse_retry_after)
    };
    let request_id = headers.get(&X_REQUEST_ID).cloned();
    exchange::note(|seen| {
        seen.status = Some(status);
        seen.request_id = request_id;
        seen.retry_after = retry_after;
    });
}

/// An answer read whole (within the cap): an error's body for the error,
/// or any answer recorded or traced. The trace, the recording and the
/// error see the body as received; progenitor gets the schema's empty
/// value for a body-less documented success.
async fn read_whole(
    settings: &Settings,
    op: Option<&'static Operation>,
    mut response: reqwest::Response,
    sent: Option<Box<SentRequest>>,
    empty_value: Option<Bytes>,
) -> reqwest::Result<reqwest::Response> {
    let status = response.status();
    let version = response.version();
    let headers = std::mem::take(response.headers_mut());
    let body = read_capped(response, settings.max_response_bytes).await?;
    if body.is_none() {
        exchange::note(|seen| seen.too_large = true);
    }
    let received = body.clone().unwrap_or_default();
    if tracing::enabled!(Level::TRACE) {
        let text = settings.key.excerpt(&received, TRACE_BODY_CHARS);
        let text = text.as_deref().unwrap_or_default();
        tracing::trace!(status = status.as_u16(), body_len = received.len(), body = %text, "np6 answer");
    }
    if let (Some(recorder), Some(sent)) = (&settings.recorder, sent) {
        recorder
            .record(
                op.map(|op| op.id),
                *sent,
                status,
                &headers,
                &received,
                &settings.key,
            )
            .await;
    }
    if body.is_some() {
        exchange::note(|seen| seen.body = body);
    }
    let decoded = match empty_value {
        Some(json) if received.is_empty() => json,
        _ => received,
    };
    let mut rebuilt = http::Response::new(decoded);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    Ok(reqwest::Response::from(rebuilt))
}

/// The response with another body (its own is dropped unread).
fn with_body(response: reqwest::Response, body: impl Into<reqwest::Body>) -> reqwest::Response {
    let (parts, _) = http::Response::from(response).into_parts();
    reqwest::Response::from(http::Response::from_parts(parts, body.into()))
}

/// A body of unknown length, cut off past `limit` bytes.
fn capped(response: reqwest::Response, limit: usize) -> reqwest::Response {
    let (parts, body) = http::Response::from(response).into_parts();
    let mut seen = 0usize;
    type BoxError = Box<dyn std::error::Error + Send + Sync>;
    let limited = http_body_util::BodyDataStream::new(body).map(move |chunk| {
        // The body's own error passes through as it is, so that reqwest
        // still sees a timeout as a timeout.
        let chunk = chunk.map_err(BoxError::from)?;
        seen = seen.saturating_add(chunk.len());
        if seen > limit {
            exchange::note(|seen| seen.too_large = true);
            return Err(BoxError::from(format!(
                "the answer is larger than {limit} bytes"
            )));
        }
        Ok(chunk)
    });
    reqwest::Response::from(http::Response::from_parts(
        parts,
        reqwest::Body::wrap_stream(limited),
    ))
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
