//! The behaviour shared by every operation: sending with the key, reading
//! the answer, retries, deadlines, typed errors and tracing.
//!
//! Generated methods (see `build/operations.rs`) check their arguments and
//! hand [`Client::execute`] a closure that sends one attempt through
//! progenitor's generated method. progenitor calls back into
//! [`ClientHooks::exec`] below for the HTTP exchange itself.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use chrono::{DateTime, SubsecRound, Utc};
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo, ResponseValue};
use reqwest::StatusCode;
use reqwest::header::{HeaderName, HeaderValue, RETRY_AFTER, USER_AGENT};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::level_filters::{LevelFilter, STATIC_MAX_LEVEL};
use tracing::{Instrument, Level, field};

use crate::Client;
use crate::config::{ApiKey, RetryPolicy};
use crate::error::{Error, ErrorKind};
use crate::record::{Recorder, SentRequest};
use crate::spec::Operation;

/// The configuration every request of a client shares (progenitor's inner
/// type of the generated client).
#[derive(Clone)]
pub(crate) struct Runtime(pub(crate) Arc<Shared>);

pub(crate) struct Shared {
    pub(crate) key: ApiKey,
    pub(crate) key_header_name: HeaderName,
    pub(crate) key_header: HeaderValue,
    pub(crate) user_agent: HeaderValue,
    pub(crate) timeout: Duration,
    /// Whether the `reqwest::Client` was built here, with `timeout` and the
    /// user agent as its defaults.
    pub(crate) own_client: bool,
    pub(crate) connect_timeout: Duration,
    pub(crate) deadline: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_response_bytes: usize,
    pub(crate) recorder: Option<Recorder>,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.0;
        f.debug_struct("Config")
            .field("api_key", &s.key)
            .field("user_agent", &s.user_agent)
            .field("connect_timeout", &s.connect_timeout)
            .field("timeout", &s.timeout)
            .field("deadline", &s.deadline)
            .field("retry", &s.retry)
            .field("max_response_bytes", &s.max_response_bytes)
            .field("record_dir", &s.recorder.as_ref().map(Recorder::dir))
            .finish()
    }
}

/// The largest body excerpt put in an error message or a TRACE event.
const EXCERPT_CHARS: usize = 200;
const TRACE_BODY_BYTES: usize = 1024;

/// One attempt: what `execute` tells `exec` (the operation, the time
/// limit, whether the call is traced), and what `exec` saw of the answer
/// when `execute` may need it.
///
/// Kept small: the task-local moves it in and out on every poll. What was
/// seen is boxed, and left out for a success with no body to decode (a
/// `204`): nothing can go wrong after it.
struct Exchange {
    op: &'static Operation,
    timeout: Duration,
    traced: bool,
    seen: Option<Box<Seen>>,
}

/// What `exec` saw of an answer.
#[derive(Default)]
struct Seen {
    status: Option<StatusCode>,
    request_id: Option<HeaderValue>,
    retry_after: Option<Duration>,
    body: Bytes,
    too_large: bool,
}

/// NP6's request identifier, quoted in errors and traces.
static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

tokio::task_local! {
    /// The exchange of the attempt being run in this task.
    static EXCHANGE: RefCell<Exchange>;
}

impl Client {
    /// Runs one call: attempts, waits between them, the deadline, and the
    /// mapping of every outcome to `Ok(T)` or a typed [`Error`].
    pub(crate) async fn execute<T, F, Fut>(
        &self,
        op: &'static Operation,
        attempt: F,
    ) -> Result<T, Error>
    where
        T: DeserializeOwned,
        F: Fn() -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, progenitor_client::Error<()>>>,
    {
        let shared = &self.inner.inner().0;
        // With no subscriber listening at INFO, not even a disabled span is
        // built (with tracing's `log` feature, that one would log itself).
        let span = if Level::INFO <= STATIC_MAX_LEVEL && Level::INFO <= LevelFilter::current() {
            tracing::info_span!(
                "np6.call",
                operation = op.id,
                method = op.method,
                attempt = field::Empty,
                status = field::Empty,
                request_id = field::Empty,
                duration_ms = field::Empty,
            )
        } else {
            tracing::Span::none()
        };
        // Clock reads are system calls on some virtual machines: this path
        // reads the clock once per attempt, plus when something is traced.
        let started = Instant::now();
        let deadline = started + shared.deadline;
        let policy = &shared.retry;
        let may_retry = op.is_idempotent() || policy.retry_non_idempotent;
        // Without a subscriber that wants the span, skip its bookkeeping.
        let traced = !span.is_disabled();
        // Inside a bulk job, each attempt waits for the job's pace.
        let pacer = crate::bulk::pace::current();
        let call = async move {
            let mut number = 0u32;
            let mut attempt_started = started;
            let mut deadline = deadline;
            let outcome = loop {
                number += 1;
                let turn = match &pacer {
                    Some(pacer) => {
                        let turn = Box::pin(pacer.turn()).await;
                        attempt_started = Instant::now();
                        if number == 1 {
                            // Waiting for the first turn is not the call's time.
                            deadline = attempt_started
                                .checked_add(shared.deadline)
                                .unwrap_or(deadline);
                        }
                        Some(turn)
                    }
                    None => None,
                };
                if traced {
                    span_record("attempt", number);
                }
                let attempt_deadline = (attempt_started + shared.timeout).min(deadline);
                let limit = attempt_deadline.saturating_duration_since(attempt_started);
                // reqwest's per-request timeout bounds the attempt, from
                // connecting to the last byte of the body (`exec` sets it).
                let exchange = Exchange {
                    op,
                    timeout: limit,
                    traced,
                    seen: None,
                };
                // Scoped: what the attempt holds is not kept across the wait
                // before the next one (the call's future stays small).
                let error = {
                    // Pinned where it is, and lent to the scope: moving the
                    // attempt's large state machine into it would copy it.
                    let attempt = std::pin::pin!(attempt());
                    let mut scoped =
                        std::pin::pin!(EXCHANGE.scope(RefCell::new(exchange), attempt));
                    let result = scoped.as_mut().await;
                    let seen = scoped
                        .as_mut()
                        .take_value()
                        .and_then(|exchange| exchange.into_inner().seen)
                        .map(|seen| *seen)
                        .unwrap_or_default();
                    let outcome = classify(op, shared, result, seen, limit, traced);
                    if let Some(turn) = turn {
                        turn.finish(outcome.as_ref().err());
                    }
                    if tracing::enabled!(Level::DEBUG) {
                        attempt_finished(number, attempt_started, outcome.is_ok());
                    }
                    match outcome {
                        Ok(value) => break Ok(value),
                        Err(error) => error,
                    }
                };
                let retry = may_retry && error.is_retryable() && number < policy.attempts();
                match next_attempt(policy, number, deadline, retry, error) {
                    Ok((wait, next_start)) => {
                        // Boxed: a retry is rare, and the timer would
                        // otherwise make every call's future larger.
                        Box::pin(tokio::time::sleep(wait)).await;
                        attempt_started = next_start;
                    }
                    Err(error) => break Err(error),
                }
            };
            if traced {
                span_record("duration_ms", started.elapsed().as_millis() as u64);
            }
            outcome.map_err(|mut e| {
                e.set_attempts(number);
                e
            })
        };
        if traced {
            call.instrument(span).await
        } else {
            call.await
        }
    }
}

fn span_record(name: &str, value: impl tracing::Value) {
    tracing::Span::current().record(name, value);
}

// The functions below marked `#[cold]` hold what a successful call does
// not run, out of the way of the code it does (measured: instruction cache
// misses are a good part of a small call's cost).

#[cold]
#[inline(never)]
fn attempt_finished(number: u32, started: Instant, ok: bool) {
    tracing::debug!(
        attempt = number,
        elapsed_ms = started.elapsed().as_millis() as u64,
        ok,
        "np6 attempt finished"
    );
}

/// After a failed attempt: how long to wait and when the next attempt
/// starts, or the error to return.
#[cold]
#[inline(never)]
fn next_attempt(
    policy: &RetryPolicy,
    number: u32,
    deadline: Instant,
    retry: bool,
    error: Error,
) -> Result<(Duration, Instant), Error> {
    if !retry {
        return Err(error);
    }
    let wait = retry_wait(policy, number, error.retry_after());
    let now = Instant::now();
    if now + wait >= deadline {
        tracing::info!(
            wait_ms = wait.as_millis() as u64,
            "np6: no time left for a retry"
        );
        return Err(error);
    }
    tracing::info!(
        attempt = number,
        wait_ms = wait.as_millis() as u64,
        error = %error,
        "np6: retrying"
    );
    Ok((wait, now + wait))
}

/// Turns one attempt's outcome into the value or a typed error.
fn classify<T: DeserializeOwned>(
    op: &'static Operation,
    shared: &Shared,
    result: Result<ResponseValue<T>, progenitor_client::Error<()>>,
    seen: Seen,
    limit: Duration,
    traced: bool,
) -> Result<T, Error> {
    if traced {
        span_answer(&seen);
    }
    match result {
        Ok(value) if !seen.too_large => Ok(value.into_inner()),
        Ok(_) => Err(failure::<T>(op, shared, None, seen, limit)),
        Err(error) => Err(failure::<T>(op, shared, Some(error), seen, limit)),
    }
}

#[cold]
#[inline(never)]
fn span_answer(seen: &Seen) {
    if let Some(status) = seen.status {
        span_record("status", status.as_u16());
    }
    if let Some(request_id) = seen.request_id.as_ref().and_then(|v| v.to_str().ok()) {
        span_record("request_id", request_id);
    }
}

/// The typed error for an attempt that did not return the value: an
/// answer larger than allowed (whatever else happened), or `error`.
#[cold]
#[inline(never)]
fn failure<T: DeserializeOwned>(
    op: &'static Operation,
    shared: &Shared,
    error: Option<progenitor_client::Error<()>>,
    seen: Seen,
    limit: Duration,
) -> Error {
    use progenitor_client::Error as P;
    let id = Some(op.id);
    let response_error = |kind, message: String, seen: Seen| {
        let excerpt = excerpt(&seen.body, &shared.key);
        Error::new(kind, id, message)
            .with_response(
                seen.status.unwrap_or_default(),
                text(seen.request_id.as_ref()),
                seen.body,
                excerpt,
            )
            .with_retry_after(seen.retry_after)
    };
    let error = match error {
        Some(error) if !seen.too_large => error,
        _ => {
            return response_error(
                ErrorKind::ResponseTooLarge,
                format!(
                    "the answer is larger than {} bytes",
                    shared.max_response_bytes
                ),
                seen,
            );
        }
    };
    match error {
        P::UnexpectedResponse(response) => {
            let status = response.status();
            let what = if status.is_success() {
                "an undocumented success status"
            } else {
                "status"
            };
            response_error(
                ErrorKind::Status,
                format!("NP6 answered {what} {status}"),
                seen,
            )
        }
        P::ErrorResponse(value) => {
            let status = value.status();
            response_error(
                ErrorKind::Status,
                format!("NP6 answered status {status}"),
                seen,
            )
        }
        P::InvalidResponsePayload(body, _) => {
            let mut de = serde_json::Deserializer::from_slice(&body);
            let detail = match serde_path_to_error::deserialize::<_, T>(&mut de) {
                Err(e) if e.path().to_string() != "." => format!("at {}: {}", e.path(), e.inner()),
                Err(e) => e.inner().to_string(),
                Ok(_) => "the body does not decode".to_owned(),
            };
            let status = seen.status.unwrap_or_default();
            // A success's body is not buffered by `exec`: progenitor's is the one.
            let seen = Seen { body, ..seen };
            response_error(
                ErrorKind::Decode,
                format!("NP6 answered {status} with a body that does not match the spec: {detail}"),
                seen,
            )
        }
        P::CommunicationError(e) | P::ResponseBodyError(e) | P::InvalidUpgrade(e) => {
            let kind = if e.is_connect() {
                ErrorKind::Connect
            } else if e.is_timeout() {
                ErrorKind::Timeout
            } else {
                ErrorKind::Transport
            };
            let message = match kind {
                ErrorKind::Connect => format!("cannot connect to NP6: {}", error_chain(&e)),
                ErrorKind::Timeout => {
                    let what = if limit < shared.timeout {
                        "the call's deadline"
                    } else {
                        "the attempt timeout"
                    };
                    format!("no complete answer within {what} ({limit:?})")
                }
                _ => format!("the connection to NP6 failed: {}", error_chain(&e)),
            };
            let mut error = Error::new(kind, id, message);
            if let Some(status) = seen.status {
                error =
                    error.with_response(status, text(seen.request_id.as_ref()), seen.body, None);
            }
            error.with_source(e)
        }
        P::InvalidRequest(message) => Error::invalid_argument(op.id, message),
        P::Custom(message) => Error::new(ErrorKind::Transport, id, message),
    }
}

/// A header value as text, when it is text.
fn text(value: Option<&HeaderValue>) -> Option<String> {
    value.and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// `reqwest::Error`'s own message is terse; its sources say what happened.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Exponential backoff with full jitter, or the server's `Retry-After`.
fn retry_wait(policy: &RetryPolicy, attempt: u32, retry_after: Option<Duration>) -> Duration {
    if let Some(wait) = retry_after {
        return wait.min(policy.max_retry_after);
    }
    let exponent = attempt.saturating_sub(1).min(20);
    let ceiling = policy
        .initial_backoff
        .saturating_mul(1 << exponent)
        .min(policy.max_backoff);
    ceiling.mul_f64(fastrand::f64())
}

/// `Retry-After`: delay-seconds or an HTTP-date (RFC 9110 10.2.3).
fn parse_retry_after(value: &HeaderValue) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = DateTime::parse_from_rfc2822(text).ok()?;
    let wait = when.with_timezone(&Utc) - Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// The start of a body as text, with any echo of the key masked.
fn excerpt(body: &[u8], key: &ApiKey) -> Option<String> {
    if body.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(body);
    let text = redact(&text, key);
    let mut excerpt: String = text.trim().chars().take(EXCERPT_CHARS).collect();
    if excerpt.len() < text.trim().len() {
        excerpt.push_str("...");
    }
    Some(excerpt)
}

/// The text with every occurrence of the key replaced by `REDACTED`.
pub(crate) fn redact(text: &str, key: &ApiKey) -> String {
    let secret = key.expose();
    if secret.is_empty() {
        text.to_owned()
    } else {
        text.replace(secret, crate::fixture::REDACTED)
    }
}

impl ClientHooks<Runtime> for crate::generated::Client {
    // Not an `async fn`: everything up to sending is done here, so the
    // future returned (held inside every attempt's future) keeps only what
    // the answer needs, not the request.
    fn exec(
        &self,
        mut request: reqwest::Request,
        info: &OperationInfo,
    ) -> impl Future<Output = reqwest::Result<reqwest::Response>> {
        let shared = &self.inner().0;
        let (op, limit, traced) = EXCHANGE
            .try_with(|e| {
                let e = e.borrow();
                (Some(e.op), Some(e.timeout), e.traced)
            })
            .unwrap_or_else(|_| (crate::spec::by_method_name(info.operation_id), None, true));
        if let Some(limit) = limit {
            // A client built here applies `shared.timeout` by itself; a
            // shorter limit (the deadline is near), or a caller's client,
            // needs it on the request.
            if !(shared.own_client && limit == shared.timeout) {
                *request.timeout_mut() = Some(limit);
            }
        }
        let headers = request.headers_mut();
        headers.insert(shared.key_header_name.clone(), shared.key_header.clone());
        if !shared.own_client {
            headers
                .entry(USER_AGENT)
                .or_insert_with(|| shared.user_agent.clone());
        }
        let sent = shared
            .recorder
            .as_ref()
            .map(|_| Box::new(SentRequest::of(&request)));
        let pending = self.client().execute(request);
        async move {
            // Scoped, so that no storage for the answer is kept across the
            // second await (the future stays small).
            let read = {
                let response = pending.await?;
                match answer(shared, op, response, sent, traced) {
                    Answer::Ready(response) => return Ok(response),
                    Answer::Read(read) => read,
                }
            };
            read.await
        }
    }
}

/// What `exec` does with an answer's head.
enum Answer<'a> {
    /// Passed on: progenitor reads the body, if any.
    Ready(reqwest::Response),
    /// Read whole first.
    Read(BoxFuture<'a, reqwest::Result<reqwest::Response>>),
}

/// Decides what to do with an answer (out of line, so that the code a call
/// runs stays small: see `#[cold]` above).
#[inline(never)]
fn answer<'a>(
    shared: &'a Shared,
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
            shared,
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
        (None, Some(length)) if length > shared.max_response_bytes as u64 => {
            record(|e| e.too_large = true);
            with_body(response, Bytes::new())
        }
        (None, Some(_)) => response,
        (None, None) => capped(response, shared.max_response_bytes),
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
    record(|seen| {
        seen.status = Some(status);
        seen.request_id = request_id;
        seen.retry_after = retry_after;
    });
}

/// An answer read whole (within the cap): an error's body for the error,
/// or any answer recorded or traced.
async fn read_whole(
    shared: &Shared,
    op: Option<&'static Operation>,
    mut response: reqwest::Response,
    sent: Option<Box<SentRequest>>,
    empty_value: Option<Bytes>,
) -> reqwest::Result<reqwest::Response> {
    let status = response.status();
    let version = response.version();
    let headers = std::mem::take(response.headers_mut());
    let mut body = match read_capped(response, shared.max_response_bytes).await? {
        Some(body) => body,
        None => {
            record(|e| e.too_large = true);
            Bytes::new()
        }
    };
    if body.is_empty()
        && let Some(json) = empty_value
    {
        body = json;
    }
    if tracing::enabled!(Level::TRACE) {
        let shown = &body[..body.len().min(TRACE_BODY_BYTES)];
        let text = redact(&String::from_utf8_lossy(shown), &shared.key);
        tracing::trace!(status = status.as_u16(), body_len = body.len(), body = %text, "np6 answer");
    }
    if let (Some(recorder), Some(sent)) = (&shared.recorder, sent) {
        recorder
            .record(op, *sent, status, &headers, &body, &shared.key)
            .await;
    }
    record(|e| e.body = body.clone());

    let mut rebuilt = http::Response::new(body);
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
        seen += chunk.len();
        if seen > limit {
            record(|e| e.too_large = true);
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

/// Notes what the attempt saw, for `execute`.
fn record(update: impl FnOnce(&mut Seen)) {
    let _ = EXCHANGE.try_with(|exchange| {
        update(exchange.borrow_mut().seen.get_or_insert_with(Box::default));
    });
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
        if body.len() + chunk.len() > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body.freeze()))
}

// ---- argument checks called by the generated methods ----

/// An argument refused before any request (out of line: calls with valid
/// arguments never run it).
#[cold]
#[inline(never)]
fn invalid(op: &Operation, message: fmt::Arguments<'_>) -> Error {
    Error::invalid_argument(op.id, message.to_string())
}

/// A path parameter is one non-empty segment.
pub(crate) fn check_path_segment(op: &Operation, name: &str, value: &str) -> Result<(), Error> {
    if value.is_empty() {
        return Err(invalid(op, format_args!("path parameter {name} is empty")));
    }
    Ok(())
}

/// `x-np6-ordered-params`: the first value may not be after the second.
pub(crate) fn check_ordered<T: PartialOrd + fmt::Display>(
    op: &Operation,
    (first_name, first): (&str, Option<&T>),
    (second_name, second): (&str, Option<&T>),
) -> Result<(), Error> {
    match (first, second) {
        (Some(a), Some(b)) if a > b => Err(invalid(
            op,
            format_args!("{first_name} ({a}) is after {second_name} ({b})"),
        )),
        _ => Ok(()),
    }
}

/// NP6 documents dates at whole seconds (`2019-08-24T14:15:22Z`).
pub(crate) fn whole_seconds(value: &DateTime<Utc>) -> DateTime<Utc> {
    value.trunc_subsecs(0)
}

/// One argument of `call_operation`, decoded as the parameter's type; a
/// missing one decodes from `null` (so an optional parameter is `None`).
pub(crate) fn arg<T: DeserializeOwned>(
    op: &Operation,
    args: &serde_json::Map<String, serde_json::Value>,
    name: &str,
) -> Result<T, Error> {
    let value = args.get(name).cloned().unwrap_or(serde_json::Value::Null);
    let missing = value.is_null();
    serde_json::from_value(value).map_err(|e| {
        let message = if missing {
            format!("argument {name} is required")
        } else {
            format!("argument {name} does not decode: {e}")
        };
        Error::invalid_argument(op.id, message)
    })
}

pub(crate) fn to_json<T: Serialize>(op: &Operation, value: &T) -> Result<serde_json::Value, Error> {
    serde_json::to_value(value)
        .map_err(|e| Error::invalid_argument(op.id, format!("cannot serialize an argument: {e}")))
}

/// A body field that repeats a path parameter (`x-np6-body-from-path`):
/// optional or not, as the schema says.
pub(crate) trait Mirror<V> {
    fn current(&self) -> Option<&V>;
    fn fill(&mut self, value: V);
}

impl<V> Mirror<V> for Option<V> {
    fn current(&self) -> Option<&V> {
        self.as_ref()
    }
    fn fill(&mut self, value: V) {
        *self = Some(value);
    }
}

impl<V> Mirror<V> for V {
    fn current(&self) -> Option<&V> {
        Some(self)
    }
    fn fill(&mut self, value: V) {
        *self = value;
    }
}

/// Whether the body field must be filled from the path: yes when it is
/// left out, no when it agrees, an error when it disagrees.
pub(crate) fn mirror_missing<F: Mirror<V>, V: PartialEq + fmt::Display>(
    op: &Operation,
    property: &str,
    param: &str,
    field: &F,
    path_value: &V,
) -> Result<bool, Error> {
    match field.current() {
        None => Ok(true),
        Some(given) if given == path_value => Ok(false),
        Some(given) => Err(invalid(
            op,
            format_args!(
                "body {property} ({given}) disagrees with path parameter {param} ({path_value})"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_full_jitter_under_an_exponential_cap() {
        let policy = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(350));
        for _ in 0..200 {
            assert!(retry_wait(&policy, 1, None) <= Duration::from_millis(100));
            assert!(retry_wait(&policy, 2, None) <= Duration::from_millis(200));
            assert!(retry_wait(&policy, 3, None) <= Duration::from_millis(350));
            assert!(retry_wait(&policy, 60, None) <= Duration::from_millis(350));
        }
        let waits: Vec<Duration> = (0..50).map(|_| retry_wait(&policy, 3, None)).collect();
        assert!(
            waits.iter().any(|w| *w != waits[0]),
            "jitter varies the waits"
        );
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_maximum() {
        let policy = RetryPolicy::default().max_retry_after(Duration::from_secs(5));
        assert_eq!(
            retry_wait(&policy, 1, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(
            retry_wait(&policy, 1, Some(Duration::from_secs(90))),
            Duration::from_secs(5)
        );
    }

    #[test]
    fn retry_after_parses_seconds_and_http_dates() {
        let header = |s: &str| HeaderValue::from_str(s).expect("valid header");
        assert_eq!(
            parse_retry_after(&header("3")),
            Some(Duration::from_secs(3))
        );
        assert_eq!(parse_retry_after(&header(" 0 ")), Some(Duration::ZERO));
        let soon = (Utc::now() + chrono::Duration::seconds(30))
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let wait = parse_retry_after(&header(&soon)).expect("an HTTP-date");
        assert!(
            wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        assert_eq!(
            parse_retry_after(&header("Sun, 06 Nov 1994 08:49:37 GMT")),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after(&header("soon")), None);
        assert_eq!(parse_retry_after(&header("-5")), None);
    }

    #[test]
    fn excerpts_are_short_and_mask_the_key() {
        let key = ApiKey::new("sekret");
        assert_eq!(excerpt(b"", &key), None);
        assert_eq!(
            excerpt(b"  bad sekret here \n", &key).as_deref(),
            Some("bad REDACTED here")
        );
        let long = "x".repeat(1000);
        let shown = excerpt(long.as_bytes(), &key).expect("some text");
        assert_eq!(shown.len(), EXCERPT_CHARS + 3);
        assert!(shown.ends_with("..."));
    }

    const OP: Operation = Operation {
        id: "testOp",
        method_name: "test_op",
        method: "POST",
        path: "/t/{fieldId}",
        statuses: &[204],
        empty_success: &[],
        idempotent: false,
    };

    #[test]
    fn body_fields_mirror_the_path_or_are_refused() {
        let check = |field: Option<i32>| mirror_missing(&OP, "fieldId", "fieldId", &field, &7);
        assert!(check(None).expect("left out"));
        assert!(!check(Some(7)).expect("agrees"));
        let error = check(Some(8)).expect_err("disagrees");
        assert_eq!(error.kind(), ErrorKind::InvalidArgument);
        assert_eq!(
            error.to_string(),
            "testOp: body fieldId (8) disagrees with path parameter fieldId (7)"
        );
        // A required (non-optional) field is never missing.
        assert!(!mirror_missing(&OP, "fieldId", "fieldId", &7, &7).expect("agrees"));
        let mut field: Option<i32> = None;
        Mirror::fill(&mut field, 7);
        assert_eq!(field, Some(7));
    }

    #[test]
    fn ordered_parameters() {
        assert!(check_ordered(&OP, ("a", Some(&1)), ("b", Some(&2))).is_ok());
        assert!(check_ordered(&OP, ("a", Some(&2)), ("b", Some(&2))).is_ok());
        assert!(check_ordered(&OP, ("a", None::<&i32>), ("b", Some(&2))).is_ok());
        let error = check_ordered(&OP, ("a", Some(&3)), ("b", Some(&2))).expect_err("out of order");
        assert_eq!(error.to_string(), "testOp: a (3) is after b (2)");
    }

    async fn attempts_of_a_post(policy: RetryPolicy) -> usize {
        let server = httpmock::MockServer::start_async().await;
        let mock = server
            .mock_async(|when, then| {
                when.any_request();
                then.status(503);
            })
            .await;
        let client = Client::builder()
            .api_key("k")
            .base_url(server.base_url())
            .retry(policy.initial_backoff(Duration::from_millis(1)))
            .build()
            .expect("valid");
        // Any generated attempt will do: the operation's method decides.
        let error = client
            .execute(&OP, || client.inner.get_sms_redlist(None, None))
            .await
            .expect_err("503");
        assert_eq!(error.status(), Some(503));
        mock.calls_async().await
    }

    #[tokio::test]
    async fn non_idempotent_operations_are_retried_only_on_opt_in() {
        assert_eq!(attempts_of_a_post(RetryPolicy::default()).await, 1);
        assert_eq!(
            attempts_of_a_post(RetryPolicy::default().retry_non_idempotent(true)).await,
            4
        );
    }
}
