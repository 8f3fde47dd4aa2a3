//! The retry loop: [`Client::execute`] runs one call of any operation
//! (attempts, waits between them, the deadline, the `np6.call` span) and
//! maps every outcome to the value or a typed [`Error`].
//!
//! Generated methods (see `build/requests.rs`) check their arguments and
//! hand `execute` a closure that sends one attempt through progenitor's
//! generated method, on the generated client `execute` made for that
//! attempt (`attempt.rs`); progenitor calls back into the `exec` hook
//! (`hook.rs`) for the HTTP exchange itself.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use progenitor_client::ResponseValue;
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use tracing::{Instrument, Level, field};

use crate::Client;
use crate::attempt::{Attempt, AttemptClient};
use crate::error::{self, Answer, Error};
use crate::items::Items;
use crate::outcome;
use crate::retry::{RetryPolicy, classify, later};
use crate::settings::Settings;
use crate::spec::Operation;

/// How a call's successful answer is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    /// Whole, decoded by progenitor (`send()`).
    Whole,
    /// As items, by [`Items`] (`stream()`): the call ends when the
    /// answer begins.
    Items,
}

/// A call's value, and for [`Read::Items`] the answer to read the items
/// from: its head, the attempt it came at, and the response.
type Called<T> = (T, Option<(Answer, u32, reqwest::Response)>);

impl Client {
    /// Runs one call: attempts, waits between them, the deadline, and the
    /// mapping of every outcome to `Ok(T)` or a typed [`Error`].
    ///
    /// `send` sends one attempt through progenitor's method on the client
    /// it is given. `raw_path`, when given, is the path every attempt is
    /// sent to instead of the one progenitor builds (`adapted.rs`, 3).
    pub(crate) async fn execute<T, F, Fut>(
        &self,
        op: &'static Operation,
        raw_path: Option<Arc<String>>,
        send: F,
    ) -> Result<T, Error>
    where
        T: DeserializeOwned,
        F: Fn(AttemptClient) -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, progenitor_client::Error<()>>>,
    {
        let (value, _) = self.call(op, raw_path, Read::Whole, send).await?;
        Ok(value)
    }

    /// Runs one call of an operation whose success is an array, as
    /// `execute` does, until its answer begins; the answer's items are then
    /// read as the [`Items`] are polled.
    pub(crate) async fn execute_stream<I, F, Fut>(
        &self,
        op: &'static Operation,
        raw_path: Option<Arc<String>>,
        send: F,
    ) -> Result<Items<I>, Error>
    where
        I: DeserializeOwned,
        F: Fn(AttemptClient) -> Fut,
        Fut: Future<Output = Result<ResponseValue<Vec<I>>, progenitor_client::Error<()>>>,
    {
        let (_, kept) = self.call(op, raw_path, Read::Items, send).await?;
        match kept {
            Some((head, attempts, response)) => Ok(Items::new(
                op,
                self.settings.clone(),
                head,
                attempts,
                response,
            )),
            // `exec` keeps every success of a streamed attempt.
            None => Err(error::internal(op.id, "the answer to stream was not kept")),
        }
    }

    async fn call<T, F, Fut>(
        &self,
        op: &'static Operation,
        raw_path: Option<Arc<String>>,
        read: Read,
        send: F,
    ) -> Result<Called<T>, Error>
    where
        T: DeserializeOwned,
        F: Fn(AttemptClient) -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, progenitor_client::Error<()>>>,
    {
        // A span only for a subscriber that wants it: a disabled one still
        // costs its construction and, with tracing's `log` feature (which
        // a dependency turns on), a check of `log`. Measured with callgrind
        // (see `hook.rs`, the headers): the two save 2,700 instructions of
        // a bounce PUT's 125,000 (2 %).
        let span = if tracing::enabled!(Level::INFO) {
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
        let traced = !span.is_disabled();
        let call = async {
            let settings = &*self.settings;
            let policy = &settings.retry;
            let may_retry = policy.may_retry(op.is_idempotent());
            // A bulk job's client carries the job's pace: each attempt waits
            // for its turn, and the job, not this loop, tries a call again.
            let pacer = self.pace.as_ref();
            let paced = pacer.is_some();
            let started = Instant::now();
            let mut deadline = later(started, settings.deadline);
            let mut number = 0u32;
            let outcome = loop {
                number += 1;
                let turn = match &pacer {
                    Some(pacer) => Some(pacer.turn().await),
                    None => None,
                };
                let attempt_started = Instant::now();
                if number == 1 {
                    // Waiting for the first turn is not the call's time.
                    deadline = later(attempt_started, settings.deadline);
                }
                if traced {
                    tracing::Span::current().record("attempt", number);
                }
                let limit = later(attempt_started, settings.timeout)
                    .min(deadline)
                    .saturating_duration_since(attempt_started);
                let streamed = read == Read::Items;
                let attempt =
                    Attempt::new(op, self.settings.clone(), limit, raw_path.clone(), streamed);
                let sent = async {
                    let result = send(attempt.client(&self.base_url, self.http.clone())).await;
                    let answer = attempt.take_answer();
                    if traced {
                        record_answer(settings, answer.as_ref());
                    }
                    outcome::resolve(op, settings, result, answer, limit).await
                };
                let outcome = if streamed {
                    // reqwest does not bound a streamed attempt (`hook.rs`):
                    // its time limit runs until the answer begins.
                    tokio::time::timeout(limit, sent)
                        .await
                        .unwrap_or_else(|_| Err(error::no_answer(op.id, limit)))
                        .map(|(value, head)| {
                            let kept = attempt.take_kept();
                            (value, head.zip(kept).map(|(h, r)| (h, number, r)))
                        })
                } else {
                    sent.await.map(|(value, _)| (value, None))
                };
                if let Some(turn) = turn {
                    turn.finish(outcome.as_ref().err());
                }
                tracing::debug!(
                    attempt = number,
                    elapsed_ms = millis(attempt_started.elapsed()),
                    ok = outcome.is_ok(),
                    "np6 attempt finished"
                );
                let error = match outcome {
                    Ok(value) => break Ok(value),
                    Err(error) => error,
                };
                let retry = !paced
                    && may_retry
                    && classify(&error).is_retryable()
                    && number < policy.attempts();
                match next_wait(policy, number, deadline, retry, error) {
                    Ok(wait) => tokio::time::sleep(wait).await,
                    Err(error) => break Err(error),
                }
            };
            if traced {
                tracing::Span::current().record("duration_ms", millis(started.elapsed()));
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

/// Puts the answer's status and request id on the call's span.
fn record_answer(settings: &Settings, answer: Option<&Answer>) {
    let span = tracing::Span::current();
    if let Some(answer) = answer {
        span.record("status", answer.status.as_u16());
        if let Some(request_id) = &answer.request_id {
            span.record("request_id", settings.key.redact(request_id));
        }
    }
}

/// A duration in whole milliseconds for a trace, saturated (a huge wait
/// is not cut to a small number).
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// After a failed attempt: how long to wait before the next one, or the
/// error to return.
fn next_wait(
    policy: &RetryPolicy,
    number: u32,
    deadline: Instant,
    retry: bool,
    error: Error,
) -> Result<Duration, Error> {
    if !retry {
        return Err(error);
    }
    let wait = policy.wait(number, error.retry_after());
    if later(Instant::now(), wait) >= deadline {
        tracing::info!(wait_ms = millis(wait), "np6: no time left for a retry");
        return Err(error);
    }
    tracing::info!(
        attempt = number,
        wait_ms = millis(wait),
        error = %error,
        "np6: retrying"
    );
    Ok(wait)
}
