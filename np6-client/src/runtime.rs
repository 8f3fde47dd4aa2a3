//! The behaviour shared by every operation: sending with the key, reading
//! the answer, retries, deadlines, typed errors and tracing.
//!
//! Generated methods (see `build/operations.rs`) check their arguments and
//! hand [`Client::execute`] a closure that sends one attempt through
//! progenitor's generated method. progenitor calls back into
//! [`ClientHooks::exec`] below for the HTTP exchange itself.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use chrono::{DateTime, SubsecRound, Utc};
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo, ResponseValue};
use reqwest::StatusCode;
use reqwest::header::{HeaderValue, RETRY_AFTER, USER_AGENT};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::{Instrument, field};

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
    pub(crate) key_header: HeaderValue,
    pub(crate) user_agent: HeaderValue,
    pub(crate) timeout: Duration,
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

/// What one attempt saw of the answer, written by `exec` for `execute`.
#[derive(Default)]
struct Exchange {
    status: Option<StatusCode>,
    request_id: Option<String>,
    retry_after: Option<Duration>,
    body: Bytes,
    too_large: bool,
}

tokio::task_local! {
    /// The exchange of the attempt being run in this task.
    static EXCHANGE: Arc<Mutex<Exchange>>;
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
        let span = tracing::info_span!(
            "np6.call",
            operation = op.id,
            method = op.method,
            attempt = field::Empty,
            status = field::Empty,
            request_id = field::Empty,
            duration_ms = field::Empty,
        );
        let started = Instant::now();
        let deadline = started + shared.deadline;
        let policy = &shared.retry;
        let may_retry = op.is_idempotent() || policy.retry_non_idempotent;
        async move {
            let mut number = 0u32;
            let outcome = loop {
                number += 1;
                span_record("attempt", number);
                let exchange = Arc::new(Mutex::new(Exchange::default()));
                let remaining = deadline.saturating_duration_since(Instant::now());
                let limit = shared.timeout.min(remaining);
                let attempt_started = Instant::now();
                let result = EXCHANGE
                    .scope(exchange.clone(), tokio::time::timeout(limit, attempt()))
                    .await;
                let seen =
                    std::mem::take(&mut *exchange.lock().unwrap_or_else(PoisonError::into_inner));
                let outcome = classify(op, shared, result, seen, limit);
                tracing::debug!(
                    attempt = number,
                    elapsed_ms = attempt_started.elapsed().as_millis() as u64,
                    ok = outcome.is_ok(),
                    "np6 attempt finished"
                );
                let error = match outcome {
                    Ok(value) => break Ok(value),
                    Err(error) => error,
                };
                if !(may_retry && error.is_retryable() && number < policy.attempts()) {
                    break Err(error);
                }
                let wait = retry_wait(policy, number, error.retry_after());
                if Instant::now() + wait >= deadline {
                    tracing::info!(
                        wait_ms = wait.as_millis() as u64,
                        "np6: no time left for a retry"
                    );
                    break Err(error);
                }
                tracing::info!(
                    attempt = number,
                    wait_ms = wait.as_millis() as u64,
                    error = %error,
                    "np6: retrying"
                );
                tokio::time::sleep(wait).await;
            };
            span_record("duration_ms", started.elapsed().as_millis() as u64);
            outcome.map_err(|mut e| {
                e.set_attempts(number);
                e
            })
        }
        .instrument(span)
        .await
    }
}

fn span_record(name: &str, value: impl tracing::Value) {
    tracing::Span::current().record(name, value);
}

/// Turns one attempt's outcome into the value or a typed error.
fn classify<T: DeserializeOwned>(
    op: &'static Operation,
    shared: &Shared,
    result: Result<
        Result<ResponseValue<T>, progenitor_client::Error<()>>,
        tokio::time::error::Elapsed,
    >,
    seen: Exchange,
    limit: Duration,
) -> Result<T, Error> {
    use progenitor_client::Error as P;
    let id = Some(op.id);
    if let Some(status) = seen.status {
        span_record("status", status.as_u16());
    }
    if let Some(request_id) = &seen.request_id {
        span_record("request_id", request_id.as_str());
    }
    let Ok(result) = result else {
        let what = if limit < shared.timeout {
            "the call's deadline"
        } else {
            "the attempt timeout"
        };
        return Err(Error::new(
            ErrorKind::Timeout,
            id,
            format!("no complete answer within {what} ({limit:?})"),
        ));
    };
    let response_error = |kind, message: String, seen: Exchange| {
        let excerpt = excerpt(&seen.body, &shared.key);
        Error::new(kind, id, message)
            .with_response(
                seen.status.unwrap_or_default(),
                seen.request_id,
                seen.body,
                excerpt,
            )
            .with_retry_after(seen.retry_after)
    };
    if seen.too_large {
        return Err(response_error(
            ErrorKind::ResponseTooLarge,
            format!(
                "the answer is larger than {} bytes",
                shared.max_response_bytes
            ),
            seen,
        ));
    }
    match result {
        Ok(value) => Ok(value.into_inner()),
        Err(P::UnexpectedResponse(response)) => {
            let status = response.status();
            let what = if status.is_success() {
                "an undocumented success status"
            } else {
                "status"
            };
            Err(response_error(
                ErrorKind::Status,
                format!("NP6 answered {what} {status}"),
                seen,
            ))
        }
        Err(P::ErrorResponse(value)) => {
            let status = value.status();
            Err(response_error(
                ErrorKind::Status,
                format!("NP6 answered status {status}"),
                seen,
            ))
        }
        Err(P::InvalidResponsePayload(body, _)) => {
            let mut de = serde_json::Deserializer::from_slice(&body);
            let detail = match serde_path_to_error::deserialize::<_, T>(&mut de) {
                Err(e) if e.path().to_string() != "." => format!("at {}: {}", e.path(), e.inner()),
                Err(e) => e.inner().to_string(),
                Ok(_) => "the body does not decode".to_owned(),
            };
            let status = seen.status.unwrap_or_default();
            Err(response_error(
                ErrorKind::Decode,
                format!("NP6 answered {status} with a body that does not match the spec: {detail}"),
                seen,
            ))
        }
        Err(P::CommunicationError(e) | P::ResponseBodyError(e) | P::InvalidUpgrade(e)) => {
            let kind = if e.is_connect() {
                ErrorKind::Connect
            } else if e.is_timeout() {
                ErrorKind::Timeout
            } else {
                ErrorKind::Transport
            };
            let message = match kind {
                ErrorKind::Connect => "cannot connect to NP6",
                ErrorKind::Timeout => "NP6 did not answer in time",
                _ => "the connection to NP6 failed",
            };
            let mut error = Error::new(kind, id, format!("{message}: {}", error_chain(&e)));
            if let Some(status) = seen.status {
                error = error.with_response(status, seen.request_id, seen.body, None);
            }
            Err(error.with_source(e))
        }
        Err(P::InvalidRequest(message)) => Err(Error::invalid_argument(op.id, message)),
        Err(P::Custom(message)) => Err(Error::new(ErrorKind::Transport, id, message)),
    }
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

fn redact(text: &str, key: &ApiKey) -> String {
    let secret = key.expose();
    if secret.is_empty() {
        text.to_owned()
    } else {
        text.replace(secret, "REDACTED")
    }
}

impl ClientHooks<Runtime> for crate::generated::Client {
    async fn exec(
        &self,
        mut request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let shared = &self.inner().0;
        let headers = request.headers_mut();
        headers.insert(crate::spec::API_KEY_HEADER, shared.key_header.clone());
        if !headers.contains_key(USER_AGENT) {
            headers.insert(USER_AGENT, shared.user_agent.clone());
        }
        let sent = shared.recorder.as_ref().map(|_| SentRequest::of(&request));
        let response = self.client().execute(request).await?;

        let status = response.status();
        let version = response.version();
        let headers = response.headers().clone();
        let request_id = headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        record(|e| {
            e.status = Some(status);
            e.request_id = request_id;
            e.retry_after = headers.get(RETRY_AFTER).and_then(parse_retry_after);
        });

        let mut body = match read_capped(response, shared.max_response_bytes).await? {
            Some(body) => body,
            None => {
                record(|e| e.too_large = true);
                Bytes::new()
            }
        };
        if body.is_empty() {
            let empty_value = crate::spec::by_method_name(info.operation_id)
                .and_then(|op| op.empty_success.iter().find(|(s, _)| *s == status.as_u16()));
            if let Some((_, json)) = empty_value {
                body = Bytes::from_static(json.as_bytes());
            }
        }
        if tracing::enabled!(tracing::Level::TRACE) {
            let shown = &body[..body.len().min(TRACE_BODY_BYTES)];
            let text = redact(&String::from_utf8_lossy(shown), &shared.key);
            tracing::trace!(status = status.as_u16(), body_len = body.len(), body = %text, "np6 answer");
        }
        if let (Some(recorder), Some(sent)) = (&shared.recorder, sent) {
            let op = crate::spec::by_method_name(info.operation_id);
            recorder
                .record(op, sent, status, &headers, &body, &shared.key)
                .await;
        }
        record(|e| e.body = body.clone());

        let mut rebuilt = http::Response::new(body);
        *rebuilt.status_mut() = status;
        *rebuilt.version_mut() = version;
        *rebuilt.headers_mut() = headers;
        Ok(reqwest::Response::from(rebuilt))
    }
}

fn record(update: impl FnOnce(&mut Exchange)) {
    let _ = EXCHANGE
        .try_with(|exchange| update(&mut exchange.lock().unwrap_or_else(PoisonError::into_inner)));
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

/// A path parameter is one non-empty segment.
pub(crate) fn check_path_segment(op: &Operation, name: &str, value: &str) -> Result<(), Error> {
    if value.is_empty() {
        return Err(Error::invalid_argument(
            op.id,
            format!("path parameter {name} is empty"),
        ));
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
        (Some(a), Some(b)) if a > b => Err(Error::invalid_argument(
            op.id,
            format!("{first_name} ({a}) is after {second_name} ({b})"),
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

/// `x-np6-body-from-path`: the body repeats path parameters. A property left
/// out (or null) is filled from the path; one that disagrees is refused.
pub(crate) fn fill_from_path<B: Serialize + DeserializeOwned>(
    op: &Operation,
    body: &B,
    fills: &[(&str, &str, serde_json::Value)],
) -> Result<B, Error> {
    let mut value = to_json(op, body)?;
    let Some(object) = value.as_object_mut() else {
        return Err(Error::invalid_argument(
            op.id,
            "the body is not a JSON object".to_owned(),
        ));
    };
    for (property, param, path_value) in fills {
        match object.get(*property) {
            None | Some(serde_json::Value::Null) => {
                object.insert((*property).to_owned(), path_value.clone());
            }
            Some(given) if given == path_value => {}
            Some(given) => {
                return Err(Error::invalid_argument(
                    op.id,
                    format!(
                        "body {property} ({given}) disagrees with path parameter {param} ({path_value})"
                    ),
                ));
            }
        }
    }
    serde_json::from_value(value)
        .map_err(|e| Error::invalid_argument(op.id, format!("cannot complete the body: {e}")))
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

    #[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
    struct Body {
        #[serde(rename = "fieldId", skip_serializing_if = "Option::is_none")]
        field_id: Option<i32>,
        kind: String,
    }

    const OP: Operation = Operation {
        id: "testOp",
        method_name: "test_op",
        method: "POST",
        path: "/t/{fieldId}",
        statuses: &[204],
        empty_success: &[],
    };

    #[test]
    fn body_properties_are_filled_from_the_path_or_refused() {
        let fills = [("fieldId", "fieldId", serde_json::json!(7))];
        let body = Body {
            field_id: None,
            kind: "k".into(),
        };
        assert_eq!(
            fill_from_path(&OP, &body, &fills).expect("filled").field_id,
            Some(7)
        );
        let body = Body {
            field_id: Some(7),
            kind: "k".into(),
        };
        assert_eq!(
            fill_from_path(&OP, &body, &fills).expect("agrees").field_id,
            Some(7)
        );
        let body = Body {
            field_id: Some(8),
            kind: "k".into(),
        };
        let error = fill_from_path(&OP, &body, &fills).expect_err("disagrees");
        assert_eq!(error.kind(), ErrorKind::InvalidArgument);
        assert_eq!(
            error.to_string(),
            "testOp: body fieldId (8) disagrees with path parameter fieldId (7)"
        );
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
