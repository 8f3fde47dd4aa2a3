//! Every retry test of the client: the one classifier of failures, the
//! backoff and `Retry-After`, and the retry loop (`Client::execute`) on
//! paused tokio time. The loop's answers are made in memory, with no
//! socket, so the paused clock moves only when the loop waits and each
//! wait is measured exactly.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::Utc;
use progenitor_client::ResponseValue;
use reqwest::StatusCode;
use reqwest::header::HeaderValue;
use tokio::time::Instant;

use super::*;
use crate::error::{self, Answer};
use crate::spec::Operation;
use crate::{Client, ErrorKind};

const PUT: Operation = Operation {
    id: "putThing",
    method_name: "put_thing",
    method: "PUT",
    path: "/t",
    statuses: &[204],
    empty_success: &[],
    idempotent: true,
};

const POST: Operation = Operation {
    id: "postThing",
    method_name: "post_thing",
    method: "POST",
    path: "/t",
    statuses: &[204],
    empty_success: &[],
    idempotent: false,
};

/// An answer: its status and, if any, its `Retry-After`.
type Scripted = (u16, Option<String>);

fn client(policy: RetryPolicy, deadline: Duration) -> Client {
    Client::builder()
        .api_key("k")
        .deadline(deadline)
        .retry(policy)
        .build()
        .expect("valid")
}

/// What one call did: its result, the attempts sent, and how long it
/// waited (on the paused clock: the sum of its waits).
struct Call {
    result: Result<(), Error>,
    sent: usize,
    waited: Duration,
}

/// Calls `op` through the retry loop; each attempt gets the next answer of
/// `script`, the last one again once it runs out.
async fn call(client: &Client, op: &'static Operation, script: Vec<Scripted>) -> Call {
    let script = Mutex::new(VecDeque::from(script));
    let sent = AtomicUsize::new(0);
    let started = Instant::now();
    let result = client
        .execute(op, None, |_attempt| {
            sent.fetch_add(1, Ordering::SeqCst);
            let mut script = script.lock().expect("not poisoned");
            let (status, retry_after) = match script.len() {
                1 => script[0].clone(),
                _ => script.pop_front().expect("a scripted answer"),
            };
            async move {
                let mut response = http::Response::new("");
                *response.status_mut() = StatusCode::from_u16(status).expect("a status");
                if let Some(wait) = retry_after {
                    let value = HeaderValue::from_str(&wait).expect("a header value");
                    response.headers_mut().insert("retry-after", value);
                }
                let response = reqwest::Response::from(response);
                match status {
                    204 => Ok(ResponseValue::<()>::empty(response)),
                    _ => Err(progenitor_client::Error::UnexpectedResponse(response)),
                }
            }
        })
        .await;
    Call {
        result,
        sent: sent.into_inner(),
        waited: started.elapsed(),
    }
}

fn status(code: u16) -> Scripted {
    (code, None)
}

fn after(code: u16, retry_after: &str) -> Scripted {
    (code, Some(retry_after.to_owned()))
}

const MINUTE: Duration = Duration::from_secs(60);

#[test]
fn failures_are_classified_permanent_transient_or_throttled() {
    let answered = |code: u16| {
        let answer = Answer {
            status: StatusCode::from_u16(code).expect("a status"),
            ..Answer::default()
        };
        error::status("op", String::new(), answer)
    };
    let io = || std::io::Error::other("cut");
    let cases = [
        (answered(429), Verdict::Throttled),
        (answered(503), Verdict::Throttled),
        (
            error::connection(ErrorKind::Timeout, "op", String::new(), io()),
            Verdict::Throttled,
        ),
        (answered(408), Verdict::Transient),
        (answered(500), Verdict::Transient),
        (answered(502), Verdict::Transient),
        (answered(504), Verdict::Transient),
        (
            error::connection(ErrorKind::Connect, "op", String::new(), io()),
            Verdict::Transient,
        ),
        (
            error::connection(ErrorKind::Transport, "op", String::new(), io()),
            Verdict::Transient,
        ),
        (answered(400), Verdict::Permanent),
        (answered(401), Verdict::Permanent),
        (answered(403), Verdict::Permanent),
        (answered(404), Verdict::Permanent),
        (answered(501), Verdict::Permanent),
        (error::invalid_argument("op", "bad"), Verdict::Permanent),
        (error::config("bad"), Verdict::Permanent),
        // Not retried even with a throttling status: the answer itself is
        // the problem.
        (
            error::too_large(
                "op",
                1,
                Answer {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    ..Answer::default()
                },
            ),
            Verdict::Permanent,
        ),
    ];
    for (error, verdict) in cases {
        assert_eq!(classify(&error), verdict, "{error:?}");
        assert_eq!(
            error.is_retryable(),
            verdict != Verdict::Permanent,
            "{error:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn retryable_statuses_are_retried_until_success() {
    let client = client(RetryPolicy::default(), MINUTE);
    for code in [408, 429, 500, 502, 503, 504] {
        let call = call(&client, &PUT, vec![status(code), status(204)]).await;
        assert!(call.result.is_ok(), "{code}: {:?}", call.result);
        assert_eq!(call.sent, 2, "{code}");
    }
}

#[tokio::test(start_paused = true)]
async fn refusals_are_never_retried() {
    let client = client(RetryPolicy::default(), MINUTE);
    for code in [400, 401, 403, 404, 409, 422, 501] {
        let call = call(&client, &PUT, vec![status(code), status(204)]).await;
        let error = call.result.expect_err("a refusal");
        assert_eq!((error.status(), error.attempts()), (Some(code), 1));
        assert_eq!((call.sent, call.waited), (1, Duration::ZERO), "{code}");
    }
}

#[tokio::test(start_paused = true)]
async fn attempts_run_out_on_a_lasting_failure() {
    let policy = RetryPolicy::default().max_attempts(3);
    let call = call(&client(policy, MINUTE), &PUT, vec![status(500)]).await;
    let error = call.result.expect_err("500 every time");
    assert_eq!(
        (error.kind(), error.status()),
        (ErrorKind::Status, Some(500))
    );
    assert_eq!((error.attempts(), call.sent), (3, 3));
}

#[tokio::test(start_paused = true)]
async fn backoff_waits_stay_under_the_exponential_cap() {
    let policy = RetryPolicy::default()
        .initial_backoff(Duration::from_millis(100))
        .max_backoff(Duration::from_millis(150));
    let call = call(&client(policy, MINUTE), &PUT, vec![status(503)]).await;
    assert_eq!(call.sent, 4);
    // At most 100 ms, then 150 ms (not 200), then 150 ms (not 400).
    assert!(
        call.waited <= Duration::from_millis(400),
        "{:?}",
        call.waited
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_seconds_is_waited_for_exactly() {
    let client = client(RetryPolicy::default(), MINUTE);
    let call = call(&client, &PUT, vec![after(429, "2"), status(204)]).await;
    assert!(call.result.is_ok(), "{:?}", call.result);
    assert_eq!(call.sent, 2);
    assert_eq!(call.waited, Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn retry_after_an_http_date_is_waited_for() {
    let client = client(RetryPolicy::default(), MINUTE);
    let when = (Utc::now() + chrono::Duration::seconds(3))
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let call = call(&client, &PUT, vec![after(503, &when), status(204)]).await;
    assert!(call.result.is_ok(), "{:?}", call.result);
    // Whole seconds: two to three of the three are left.
    let waited = call.waited;
    assert!(
        waited >= Duration::from_secs(1) && waited <= Duration::from_secs(3),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_cut_to_the_maximum() {
    let policy = RetryPolicy::default().max_retry_after(Duration::from_secs(5));
    let call = call(
        &client(policy, MINUTE),
        &PUT,
        vec![after(429, "90"), status(204)],
    )
    .await;
    assert!(call.result.is_ok(), "{:?}", call.result);
    assert_eq!(call.waited, Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn no_wait_starts_that_would_end_past_the_deadline() {
    let call = call(
        &client(RetryPolicy::default(), Duration::from_secs(5)),
        &PUT,
        vec![after(503, "10"), status(204)],
    )
    .await;
    let error = call.result.expect_err("no time left to wait");
    assert_eq!(error.retry_after(), Some(Duration::from_secs(10)));
    assert_eq!((error.attempts(), call.waited), (1, Duration::ZERO));
}

#[tokio::test(start_paused = true)]
async fn a_huge_retry_after_ends_the_call_instead_of_overflowing() {
    let huge = u64::MAX.to_string();
    let policy = RetryPolicy::default().max_retry_after(Duration::MAX);
    for deadline in [Duration::from_secs(5), Duration::MAX] {
        let call = call(
            &client(policy.clone(), deadline),
            &PUT,
            vec![after(503, &huge)],
        )
        .await;
        let error = call.result.expect_err("503");
        assert_eq!(error.retry_after(), Some(Duration::from_secs(u64::MAX)));
        assert_eq!(
            (error.attempts(), call.waited),
            (1, Duration::ZERO),
            "{deadline:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_huge_backoff_ends_the_call_instead_of_overflowing() {
    let policy = RetryPolicy::default()
        .initial_backoff(Duration::MAX)
        .max_backoff(Duration::MAX);
    let call = call(
        &client(policy, Duration::from_secs(2)),
        &PUT,
        vec![status(503)],
    )
    .await;
    let error = call.result.expect_err("503");
    assert_eq!(error.status(), Some(503));
    assert!(call.waited < Duration::from_secs(2), "{:?}", call.waited);
}

#[tokio::test(start_paused = true)]
async fn non_idempotent_operations_are_retried_only_on_opt_in() {
    let once = call(
        &client(RetryPolicy::default(), MINUTE),
        &POST,
        vec![status(503)],
    )
    .await;
    assert_eq!(once.sent, 1);
    let opted_in = RetryPolicy::default().retry_non_idempotent(true);
    let retried = call(&client(opted_in, MINUTE), &POST, vec![status(503)]).await;
    assert_eq!(retried.sent, 4);
}

#[test]
fn only_idempotent_methods_are_retried_by_default() {
    let policy = RetryPolicy::default();
    assert!(policy.may_retry(true) && !policy.may_retry(false));
    assert!(policy.retry_non_idempotent(true).may_retry(false));
}

#[test]
fn backoff_is_full_jitter_under_an_exponential_cap() {
    let policy = RetryPolicy::default()
        .initial_backoff(Duration::from_millis(100))
        .max_backoff(Duration::from_millis(350));
    for _ in 0..200 {
        assert!(policy.wait(1, None) <= Duration::from_millis(100));
        assert!(policy.wait(2, None) <= Duration::from_millis(200));
        assert!(policy.wait(3, None) <= Duration::from_millis(350));
        assert!(policy.wait(60, None) <= Duration::from_millis(350));
    }
    let waits: Vec<Duration> = (0..50).map(|_| policy.wait(3, None)).collect();
    assert!(
        waits.iter().any(|w| *w != waits[0]),
        "jitter varies the waits"
    );
}

#[test]
fn huge_waits_saturate_instead_of_overflowing() {
    let policy = RetryPolicy::default()
        .initial_backoff(Duration::MAX)
        .max_backoff(Duration::MAX)
        .max_retry_after(Duration::MAX);
    for attempt in [1, 2, 30, u32::MAX] {
        assert_eq!(policy.backoff_ceiling(attempt), Duration::MAX);
        // Drawn under a ceiling near `Duration::MAX` without a panic.
        let _ = policy.wait(attempt, None);
    }
    let capped = policy.clone().max_backoff(Duration::from_secs(10));
    assert_eq!(capped.backoff_ceiling(u32::MAX), Duration::from_secs(10));
    assert!(capped.wait(u32::MAX, None) <= Duration::from_secs(10));
    let huge = parse_retry_after(&HeaderValue::from_static("18446744073709551615"));
    assert_eq!(huge, Some(Duration::from_secs(u64::MAX)));
    assert_eq!(policy.wait(1, huge), Duration::from_secs(u64::MAX));
    let now = Instant::now();
    assert!(later(now, Duration::MAX) > now + Duration::from_secs(86_400 * 365));
    assert_eq!(
        later(now, Duration::from_secs(1)),
        now + Duration::from_secs(1)
    );
}

#[test]
fn retry_after_is_honoured_up_to_the_maximum() {
    let policy = RetryPolicy::default().max_retry_after(Duration::from_secs(5));
    assert_eq!(
        policy.wait(1, Some(Duration::from_secs(2))),
        Duration::from_secs(2)
    );
    assert_eq!(
        policy.wait(1, Some(Duration::from_secs(90))),
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
