//! One attempt's outcome as the value or a typed [`Error`]: progenitor's
//! result, and the [`Answer`] head that `exec` left in the attempt
//! (`attempt.rs`), are mapped to the error constructors of `error.rs`.
//!
//! Kept apart from `error.rs` so that the error type depends on nothing of
//! progenitor or of the runtime (the constructors take plain values), and
//! so that the one place that knows progenitor's error variants is small.

use std::time::Duration;

use progenitor_client::ResponseValue;
use serde::de::DeserializeOwned;

use crate::adapted;
use crate::error::{self, Answer, Error, ErrorKind};
use crate::hook::{self, TooLarge};
use crate::settings::Settings;
use crate::spec::Operation;

/// Turns one attempt's outcome into the value (with the head of its
/// answer) or a typed error, with any echo of the key masked. `answer` is
/// the head `exec` noted, if an answer came; `limit` is the attempt's time
/// limit.
pub(crate) async fn resolve<T: DeserializeOwned>(
    op: &'static Operation,
    settings: &Settings,
    result: Result<ResponseValue<T>, progenitor_client::Error<()>>,
    answer: Option<Answer>,
    limit: Duration,
) -> Result<(T, Option<Answer>), Error> {
    match result {
        Ok(value) => Ok((value.into_inner(), answer)),
        Err(error) => Err(failure::<T>(op, settings, error, answer, limit)
            .await
            .masked(&settings.key)),
    }
}

/// The typed error for an attempt that did not return the value.
async fn failure<T: DeserializeOwned>(
    op: &'static Operation,
    settings: &Settings,
    error: progenitor_client::Error<()>,
    answer: Option<Answer>,
    limit: Duration,
) -> Error {
    use progenitor_client::Error as P;
    match error {
        // progenitor makes an `ErrorResponse` only for an error response
        // the spec documents. The client's copy of the spec declares none
        // (`adapted.rs`, 2), so the generated methods never build one
        // (their error type is `Error<()>`); it shares this arm only to
        // keep the match exhaustive. Every other status arrives here, its
        // body unread.
        P::UnexpectedResponse(response) => {
            let head = answer.unwrap_or_else(|| hook::head(&response));
            let status = head.status;
            match adapted::error_answer(head.clone(), response).await {
                Ok(answer) => {
                    let what = if status.is_success() {
                        "an undocumented success status"
                    } else {
                        "status"
                    };
                    error::status(op.id, format!("NP6 answered {what} {status}"), answer)
                }
                Err(e) => transfer_failure(op, settings, e, Some(head), limit),
            }
        }
        P::ErrorResponse(value) => {
            let head = answer.unwrap_or_else(|| Answer {
                status: value.status(),
                ..Answer::default()
            });
            error::status(op.id, format!("NP6 answered status {}", head.status), head)
        }
        P::InvalidResponsePayload(body, _) => {
            let mut de = serde_json::Deserializer::from_slice(&body);
            let detail = match serde_path_to_error::deserialize::<_, T>(&mut de) {
                Err(e) if e.path().to_string() != "." => format!("at {}: {}", e.path(), e.inner()),
                Err(e) => e.inner().to_string(),
                Ok(_) => "the body does not decode".to_owned(),
            };
            let head = answer.unwrap_or_default();
            let status = head.status;
            error::decode(
                op.id,
                format!("NP6 answered {status} with a body that does not match the spec: {detail}"),
                Answer {
                    body: Some(body),
                    ..head
                },
            )
        }
        P::CommunicationError(e) | P::ResponseBodyError(e) | P::InvalidUpgrade(e) => {
            transfer_failure(op, settings, e, answer, limit)
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

/// No connection, no complete answer in time, a failed transfer, or an
/// answer larger than allowed; `head` when the answer began.
fn transfer_failure(
    op: &'static Operation,
    settings: &Settings,
    e: reqwest::Error,
    head: Option<Answer>,
    limit: Duration,
) -> Error {
    if let Some(too_large) = TooLarge::find(&e) {
        return error::too_large(op.id, too_large.limit, head.unwrap_or_default());
    }
    // `reqwest::Error`'s own message is terse; its sources say what
    // happened.
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
    match head {
        // The answer began; its body was cut off, so none is kept.
        Some(head) => error.with_answer(Answer { body: None, ..head }),
        None => error,
    }
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
        idempotent: true,
    };

    fn client() -> crate::Client {
        crate::Client::builder()
            .api_key("k")
            .build()
            .expect("valid")
    }

    async fn resolved(error: progenitor_client::Error<()>, answer: Option<Answer>) -> Error {
        let client = client();
        let result: Result<ResponseValue<()>, _> = Err(error);
        resolve(
            &OP,
            &client.settings,
            result,
            answer,
            Duration::from_secs(1),
        )
        .await
        .expect_err("an error")
    }

    #[tokio::test]
    async fn a_hook_refusal_is_not_a_retryable_transport_error() {
        let error = resolved(progenitor_client::Error::Custom("no".to_owned()), None).await;
        assert_eq!(error.kind(), ErrorKind::InvalidArgument);
        assert!(!error.is_retryable());
        assert_eq!(
            error.to_string(),
            "testOp: the request was refused before it was sent: no"
        );
    }

    #[tokio::test]
    async fn a_body_that_does_not_decode_keeps_the_status_and_request_id_of_its_head() {
        let body = bytes::Bytes::from_static(b"{\"k\": 1}");
        let cause = serde_json::from_slice::<u8>(&body).expect_err("not a number");
        let head = Answer {
            status: reqwest::StatusCode::OK,
            request_id: Some("r-1".to_owned()),
            ..Answer::default()
        };
        let error = progenitor_client::Error::InvalidResponsePayload(body.clone(), cause);
        let error = resolved(error, Some(head)).await;
        assert_eq!(error.kind(), ErrorKind::Decode);
        assert_eq!(error.status(), Some(200));
        assert_eq!(error.request_id(), Some("r-1"));
        assert_eq!(error.body(), Some(&body[..]));
    }

    #[tokio::test]
    async fn an_error_status_keeps_its_head_and_body() {
        let mut response = http::Response::new("busy");
        *response.status_mut() = reqwest::StatusCode::SERVICE_UNAVAILABLE;
        response.headers_mut().insert(
            "retry-after",
            reqwest::header::HeaderValue::from_static("3"),
        );
        let response = reqwest::Response::from(response);
        let error = resolved(progenitor_client::Error::UnexpectedResponse(response), None).await;
        assert_eq!(error.kind(), ErrorKind::Status);
        assert_eq!(error.status(), Some(503));
        assert_eq!(error.retry_after(), Some(Duration::from_secs(3)));
        assert_eq!(error.body_text().as_deref(), Some("busy"));
        assert_eq!(
            error.to_string(),
            "testOp: NP6 answered status 503 Service Unavailable: busy"
        );
    }
}
