//! The retry loop: [`Client::execute`] runs one call of any operation
//! (attempts, waits between them, the deadline, the `np6.call` span) and
//! maps every outcome to the value or a typed [`Error`].
//!
//! Generated methods (see `build/operations.rs`) check their arguments and
//! hand `execute` a closure that sends one attempt through progenitor's
//! generated method; progenitor calls back into the `exec` hook
//! (`hook.rs`) for the HTTP exchange itself.
//!
//! The functions here marked `#[cold]` hold what a successful call does
//! not run, out of the way of the code it does (measured: instruction
//! cache misses are a good part of a small call's cost, see BENCHMARKS.md).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use progenitor_client::{ClientInfo, ResponseValue};
use serde::de::DeserializeOwned;
use tracing::level_filters::{LevelFilter, STATIC_MAX_LEVEL};
use tracing::{Instrument, Level, field};

use crate::Client;
use crate::error::Error;
use crate::exchange::{self, Attempt};
use crate::outcome::classify;
use crate::retry::{RetryPolicy, later};
use crate::spec::Operation;

impl Client {
    /// Runs one call: attempts, waits between them, the deadline, and the
    /// mapping of every outcome to `Ok(T)` or a typed [`Error`].
    ///
    /// `raw_path`, when given, is the path every attempt is sent to instead
    /// of the one progenitor builds (`generated_support::raw_path`).
    pub(crate) async fn execute<T, F, Fut>(
        &self,
        op: &'static Operation,
        raw_path: Option<Arc<String>>,
        attempt: F,
    ) -> Result<T, Error>
    where
        T: DeserializeOwned,
        F: Fn() -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, progenitor_client::Error<()>>>,
    {
        let settings = &**self.inner.inner();
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
        let deadline = later(started, settings.deadline);
        let policy = &settings.retry;
        let may_retry = policy.may_retry(op.is_idempotent());
        // Without a subscriber that wants the span, skip its bookkeeping.
        let traced = !span.is_disabled();
        // A bulk job's client carries the job's pace: each attempt waits
        // for its turn, and the job, not this loop, tries a call again.
        let pacer = self.pace.clone();
        let paced = pacer.is_some();
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
                            deadline = later(attempt_started, settings.deadline);
                        }
                        Some(turn)
                    }
                    None => None,
                };
                if traced {
                    set_span_field("attempt", number);
                }
                let attempt_deadline = later(attempt_started, settings.timeout).min(deadline);
                let limit = attempt_deadline.saturating_duration_since(attempt_started);
                // reqwest's per-request timeout bounds the attempt, from
                // connecting to the last byte of the body (`exec` sets it).
                let plan = Attempt {
                    op,
                    timeout: limit,
                    traced,
                    path_given: raw_path.is_some(),
                };
                // Scoped: what the attempt holds is not kept across the wait
                // before the next one (the call's future stays small).
                let error = {
                    // Pinned where it is, and lent to the exchange: moving
                    // the attempt's large state machine would copy it.
                    let attempt = std::pin::pin!(attempt());
                    let mut scoped =
                        std::pin::pin!(exchange::scope(plan, raw_path.clone(), attempt));
                    let result = scoped.as_mut().await;
                    let seen = exchange::seen(scoped).map(|seen| *seen).unwrap_or_default();
                    let outcome = classify(op, settings, result, seen, limit, traced);
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
                let retry =
                    !paced && may_retry && error.is_retryable() && number < policy.attempts();
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
                set_span_field("duration_ms", millis(started.elapsed()));
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

/// Sets a field of the call's span (the current one).
fn set_span_field(name: &str, value: impl tracing::Value) {
    tracing::Span::current().record(name, value);
}

/// A duration in whole milliseconds for a trace, saturated (a huge wait
/// is not cut to a small number).
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cold]
#[inline(never)]
fn attempt_finished(number: u32, started: Instant, ok: bool) {
    tracing::debug!(
        attempt = number,
        elapsed_ms = millis(started.elapsed()),
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
    let wait = policy.wait(number, error.retry_after());
    let now = Instant::now();
    let next_start = later(now, wait);
    if next_start >= deadline {
        tracing::info!(wait_ms = millis(wait), "np6: no time left for a retry");
        return Err(error);
    }
    tracing::info!(
        attempt = number,
        wait_ms = millis(wait),
        error = %error,
        "np6: retrying"
    );
    Ok((wait, next_start))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OP: Operation = Operation {
        id: "testOp",
        method_name: "test_op",
        method: "POST",
        path: "/t",
        statuses: &[204],
        empty_success: &[],
        idempotent: false,
    };

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
        // What a generated method does, for an operation the spec does not
        // have: build the request, hand it to the hook, map the answer.
        let attempt = || async {
            use progenitor_client::{ClientHooks, ClientInfo, OperationInfo, ResponseValue};
            let url = format!("{}{}", client.base_url(), OP.path);
            let request = client.inner.client().post(url).build()?;
            let info = OperationInfo {
                operation_id: OP.method_name,
            };
            let response = client.inner.exec(request, &info).await?;
            match response.status().as_u16() {
                204 => Ok(ResponseValue::<()>::empty(response)),
                _ => Err(progenitor_client::Error::UnexpectedResponse(response)),
            }
        };
        let error = client.execute(&OP, None, attempt).await.expect_err("503");
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
