//! One attempt's outcome as the value or a typed [`Error`]: progenitor's
//! result and what `exec` saw of the answer (`exchange::Seen`) are mapped
//! to the error constructors of `error.rs`.
//!
//! Kept apart from `error.rs` so that the error type depends on nothing of
//! progenitor or of the runtime (the constructors take plain values), and
//! so that the one place that knows progenitor's error variants is small.
//! Everything here but [`classify`] runs only when an attempt failed, so it
//! is `#[cold]` (see `execute.rs`).

use std::time::Duration;

use progenitor_client::ResponseValue;
use reqwest::header::HeaderValue;
use serde::de::DeserializeOwned;

use crate::error::{self, Answered, Error, ErrorKind};
use crate::exchange::Seen;
use crate::secret::{ApiKey, EXCERPT_CHARS};
use crate::settings::Settings;
use crate::spec::Operation;

/// Turns one attempt's outcome into the value or a typed error. `limit` is
/// the attempt's time limit, `traced` whether a subscriber wants the call's
/// span.
pub(crate) fn classify<T: DeserializeOwned>(
    op: &'static Operation,
    settings: &Settings,
    result: Result<ResponseValue<T>, progenitor_client::Error<()>>,
    seen: Seen,
    limit: Duration,
    traced: bool,
) -> Result<T, Error> {
    if traced {
        span_answer(&seen, &settings.key);
    }
    match result {
        Ok(value) if !seen.too_large => Ok(value.into_inner()),
        Ok(_) => Err(failure::<T>(op, settings, None, seen, limit)),
        Err(error) => Err(failure::<T>(op, settings, Some(error), seen, limit)),
    }
}

/// Puts the answer's status and request id on the call's span.
#[cold]
#[inline(never)]
fn span_answer(seen: &Seen, key: &ApiKey) {
    let span = tracing::Span::current();
    if let Some(status) = seen.status {
        span.record("status", status.as_u16());
    }
    if let Some(request_id) = text(seen.request_id.as_ref()) {
        span.record("request_id", key.redact(&request_id));
    }
}

/// The typed error for an attempt that did not return the value: an
/// answer larger than allowed (whatever else happened), or `error`; any
/// echo of the key in it masked.
#[cold]
#[inline(never)]
fn failure<T: DeserializeOwned>(
    op: &'static Operation,
    settings: &Settings,
    error: Option<progenitor_client::Error<()>>,
    seen: Seen,
    limit: Duration,
) -> Error {
    unmasked_failure::<T>(op, settings, error, seen, limit).masked(&settings.key)
}

fn unmasked_failure<T: DeserializeOwned>(
    op: &'static Operation,
    settings: &Settings,
    error: Option<progenitor_client::Error<()>>,
    seen: Seen,
    limit: Duration,
) -> Error {
    use progenitor_client::Error as P;
    let answered = |seen: Seen| Answered {
        status: seen.status.unwrap_or_default(),
        request_id: text(seen.request_id.as_ref()),
        excerpt: seen
            .body
            .as_deref()
            .and_then(|b| settings.key.excerpt(b, EXCERPT_CHARS)),
        body: seen.body,
        retry_after: seen.retry_after,
    };
    let error = match error {
        Some(error) if !seen.too_large => error,
        _ => return error::too_large(op.id, settings.max_response_bytes, answered(seen)),
    };
    match error {
        // progenitor makes an `ErrorResponse` only for an error response
        // the spec documents. The client's copy of the spec declares none
        // (`build/normalize.rs`), so the generated methods never build one
        // (their error type is `Error<()>`); it shares this arm only to
        // keep the match exhaustive. Every other status arrives here, with
        // its body read by `exec`.
        P::UnexpectedResponse(_) | P::ErrorResponse(_) => {
            let status = seen.status.unwrap_or_default();
            let what = if status.is_success() {
                "an undocumented success status"
            } else {
                "status"
            };
            error::status(
                op.id,
                format!("NP6 answered {what} {status}"),
                answered(seen),
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
            // A success's body is not read by `exec` (unless recorded or
            // traced): progenitor's, as received, is the one.
            let seen = Seen {
                body: Some(body),
                ..seen
            };
            error::decode(
                op.id,
                format!("NP6 answered {status} with a body that does not match the spec: {detail}"),
                answered(seen),
            )
        }
        P::CommunicationError(e) | P::ResponseBodyError(e) | P::InvalidUpgrade(e) => {
            // `reqwest::Error`'s own message is terse; its sources say
            // what happened.
            let (kind, message) = if e.is_connect() {
                let message = format!("cannot connect to NP6: {}", error::chain(&e));
                (ErrorKind::Connect, message)
            } else if e.is_timeout() {
                let what = if limit < settings.timeout {
                    "the call's deadline"
                } else {
                    "the attempt timeout"
                };
                let message = format!("no complete answer within {what} ({limit:?})");
                (ErrorKind::Timeout, message)
            } else {
                let message = format!("the connection to NP6 failed: {}", error::chain(&e));
                (ErrorKind::Transport, message)
            };
            let error = error::connection(kind, op.id, message, e);
            match seen.status {
                // The answer began; its body was cut off, so none is kept.
                Some(status) => error.with_answer(Answered {
                    status,
                    request_id: text(seen.request_id.as_ref()),
                    body: None,
                    excerpt: None,
                    retry_after: seen.retry_after,
                }),
                None => error,
            }
        }
        P::InvalidRequest(message) => error::invalid_argument(op.id, message),
        // Made only by a `pre` or `post` hook; this crate's are progenitor's
        // defaults, which never fail. Like `InvalidRequest`, a refusal of
        // the request, not a fault of the connection: never retried.
        P::Custom(message) => error::invalid_argument(
            op.id,
            format!("the request was refused before it was sent: {message}"),
        ),
    }
}

/// A header value as text, when it is text.
fn text(value: Option<&HeaderValue>) -> Option<String> {
    value.and_then(|v| v.to_str().ok()).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OP: Operation = Operation {
        id: "testOp",
        method_name: "test_op",
        method: "GET",
        path: "/t",
        statuses: &[200],
        empty_success: &[],
        idempotent: false,
    };

    fn settings() -> crate::Client {
        crate::Client::builder()
            .api_key("k")
            .build()
            .expect("valid")
    }

    #[test]
    fn a_hook_refusal_is_not_a_retryable_transport_error() {
        let client = settings();
        let settings: &Settings = progenitor_client::ClientInfo::inner(&client.inner);
        let error = failure::<()>(
            &OP,
            settings,
            Some(progenitor_client::Error::Custom("no".to_owned())),
            Seen::default(),
            Duration::from_secs(1),
        );
        assert_eq!(error.kind(), ErrorKind::InvalidArgument);
        assert!(!error.is_retryable());
        assert_eq!(
            error.to_string(),
            "testOp: the request was refused before it was sent: no"
        );
    }

    #[test]
    fn a_too_large_answer_keeps_no_body() {
        let client = settings();
        let settings: &Settings = progenitor_client::ClientInfo::inner(&client.inner);
        let seen = Seen {
            status: Some(reqwest::StatusCode::BAD_GATEWAY),
            too_large: true,
            ..Seen::default()
        };
        let error = failure::<()>(&OP, settings, None, seen, Duration::from_secs(1));
        assert_eq!(error.kind(), ErrorKind::ResponseTooLarge);
        assert_eq!(error.status(), Some(502));
        assert_eq!(error.body(), None);
    }
}
