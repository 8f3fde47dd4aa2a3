//! Fault injection: every operation against a server that misbehaves on
//! purpose. Each case checks the outcome, the number of requests the server
//! saw, that the call ended within its deadline, and that the canary key is
//! absent from Debug output, error messages and everything traced.

use std::time::{Duration, Instant};

use np6_client::types::{BounceType, RedlistEntry};
use np6_client::{Client, ErrorKind, RetryPolicy};
use np6_tests::CANARY_KEY;
use np6_tests::faults::{Fault, FaultServer};
use np6_tests::trace::Captured;

const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(300);
const DEADLINE: Duration = Duration::from_secs(3);
/// Scheduling slack on a loaded 2-core machine.
const SLACK: Duration = Duration::from_millis(400);
/// The start of an answer that never ends: a cut or stalled body.
const PART_OF_A_BODY: &[u8] = b"[{\"id\":";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Mail,
    Sms,
    Bounce,
}

const OPS: [Op; 3] = [Op::Mail, Op::Sms, Op::Bounce];

impl Op {
    async fn call(self, client: &Client) -> Result<(), np6_client::Error> {
        match self {
            Op::Mail => client.get_mail_redlist().send().await.map(drop),
            Op::Sms => client.get_sms_redlist().send().await.map(drop),
            Op::Bounce => {
                let body = np6_tests::bounce(BounceType::HardUser);
                client.put_target_bounce("T1", 7, &body).send().await
            }
        }
    }

    /// The documented success of the operation.
    fn success(self) -> Fault {
        match self {
            Op::Bounce => Fault::Answer(204, vec![], vec![]),
            _ => Fault::Answer(200, vec![], br#"[{"id":"A","origin":1}]"#.to_vec()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Ok,
    Err(ErrorKind, Option<u16>),
}

/// What each operation meets, or how it ends.
type PerOp<T> = Box<dyn Fn(Op) -> T>;

struct Case {
    script: PerOp<Vec<Fault>>,
    expect: PerOp<Expect>,
    /// Requests the server must have read (`None`: no server listens).
    requests: Option<usize>,
    deadline: Duration,
}

impl Default for Case {
    fn default() -> Self {
        Self {
            script: Box::new(|op| vec![op.success()]),
            expect: Box::new(|_| Expect::Ok),
            requests: Some(1),
            deadline: DEADLINE,
        }
    }
}

impl Case {
    /// The server meets every request with `fault`: the call fails with
    /// `kind` and `status`, after all four attempts.
    fn always(fault: Fault, kind: ErrorKind, status: Option<u16>) -> Self {
        Self {
            script: Box::new(move |_| vec![fault.clone()]),
            expect: Box::new(move |_| Expect::Err(kind, status)),
            requests: Some(4),
            ..Self::default()
        }
    }

    /// A 200 with `body`, which no operation decodes: a decode error, but
    /// for the bounce, which documents 204 only: a 200 is an undocumented
    /// status.
    fn undecodable_200(body: &'static [u8]) -> Self {
        Self {
            script: Box::new(|_| vec![Fault::Answer(200, vec![], body.to_vec())]),
            expect: Box::new(|op| match op {
                Op::Bounce => Expect::Err(ErrorKind::Status, Some(200)),
                _ => Expect::Err(ErrorKind::Decode, Some(200)),
            }),
            ..Self::default()
        }
    }
}

async fn run(case: Case) {
    let (captured, _guard) = Captured::install();
    for op in OPS {
        let server = match case.requests {
            Some(_) => Some(FaultServer::start((case.script)(op)).await),
            None => None,
        };
        let base_url = match &server {
            Some(server) => server.base_url.clone(),
            None => FaultServer::refused_url().await,
        };
        let client = Client::builder()
            .api_key(CANARY_KEY)
            .base_url(&base_url)
            .connect_timeout(Duration::from_millis(500))
            .timeout(ATTEMPT_TIMEOUT)
            .deadline(case.deadline)
            .retry(
                RetryPolicy::default()
                    .initial_backoff(Duration::from_millis(1))
                    .max_backoff(Duration::from_millis(5))
                    .max_retry_after(Duration::from_secs(2)),
            )
            .build()
            .expect("valid configuration");

        let started = Instant::now();
        let outcome = op.call(&client).await;
        let elapsed = started.elapsed();
        let context = format!("{op:?}: {outcome:?} after {elapsed:?}");

        let got = match &outcome {
            Ok(()) => Expect::Ok,
            Err(e) => Expect::Err(e.kind(), e.status()),
        };
        assert_eq!(got, (case.expect)(op), "{context}");
        if let (Some(expected), Some(server)) = (case.requests, &server) {
            assert_eq!(server.requests(), expected, "requests seen; {context}");
            if let Err(e) = &outcome {
                assert_eq!(e.attempts() as usize, expected.max(1), "{context}");
            }
        }
        assert!(
            elapsed <= case.deadline + SLACK,
            "outlived its deadline; {context}"
        );
        if let Err(e) = &outcome {
            for shown in [format!("{e:?}"), format!("{e:#?}"), e.to_string()] {
                assert!(!shown.contains(CANARY_KEY), "key leaked: {shown}");
            }
        }
        assert!(!format!("{client:?}").contains(CANARY_KEY));
    }
    let traced = captured.text();
    if std::env::var_os("NP6_SHOW_TRACE").is_some() {
        eprintln!("{traced}");
    }
    for id in ["getMailRedlist", "getSmsRedlist", "putTargetBounce"] {
        let span = format!("np6.call{{operation=\"{id}\"");
        assert!(traced.contains(&span), "no span for {id}:\n{traced}");
    }
    for field in ["attempt=1", "duration_ms="] {
        assert!(
            traced.contains(field),
            "span field {field} not traced:\n{traced}"
        );
    }
    assert!(
        !traced.contains(CANARY_KEY),
        "key in tracing output:\n{traced}"
    );
}

#[tokio::test]
async fn connection_refused() {
    run(Case {
        expect: Box::new(|_| Expect::Err(ErrorKind::Connect, None)),
        requests: None,
        ..Case::default()
    })
    .await;
}

#[tokio::test]
async fn reset_before_the_response() {
    let case = Case::always(Fault::ResetBeforeResponse, ErrorKind::Transport, None);
    run(case).await;
}

#[tokio::test]
async fn reset_mid_body_then_success() {
    run(Case {
        script: Box::new(|op| match op {
            // A 204 has no body to cut: reset before it instead.
            Op::Bounce => vec![Fault::ResetBeforeResponse, op.success()],
            _ => vec![Fault::CutBody(PART_OF_A_BODY.to_vec()), op.success()],
        }),
        requests: Some(2),
        ..Case::default()
    })
    .await;
}

#[tokio::test]
async fn reset_mid_body_every_time() {
    let cut = Fault::CutBody(PART_OF_A_BODY.to_vec());
    // The head came (200): the error says so, and that the body was cut.
    run(Case::always(cut, ErrorKind::Transport, Some(200))).await;
}

#[tokio::test]
async fn headers_never_sent() {
    let case = Case::always(Fault::HeadersNeverSent, ErrorKind::Timeout, None);
    run(case).await;
}

#[tokio::test]
async fn body_stalled_past_the_timeout() {
    let stall = Fault::StallBody(PART_OF_A_BODY.to_vec());
    // The head came (200): the error says so, and that time ran out.
    run(Case::always(stall, ErrorKind::Timeout, Some(200))).await;
}

#[tokio::test]
async fn chunked_body_stalled_past_the_timeout() {
    run(Case {
        script: Box::new(|op| match op {
            // A 204 has no body to stall: stall before the head instead.
            Op::Bounce => vec![Fault::HeadersNeverSent],
            _ => vec![Fault::ChunkedStall],
        }),
        expect: Box::new(|op| match op {
            Op::Bounce => Expect::Err(ErrorKind::Timeout, None),
            _ => Expect::Err(ErrorKind::Timeout, Some(200)),
        }),
        requests: Some(4),
        ..Case::default()
    })
    .await;
}

#[tokio::test]
async fn the_deadline_cuts_retries_short() {
    run(Case {
        // 300 ms + the 200 ms left of the deadline.
        requests: Some(2),
        deadline: Duration::from_millis(500),
        ..Case::always(Fault::HeadersNeverSent, ErrorKind::Timeout, None)
    })
    .await;
}

#[tokio::test]
async fn bad_gateway_with_an_html_body() {
    let html = vec![("content-type", "text/html".into())];
    let answer = Fault::Answer(502, html, b"<html>502</html>".to_vec());
    run(Case::always(answer, ErrorKind::Status, Some(502))).await;
}

#[tokio::test]
async fn success_with_malformed_json() {
    run(Case::undecodable_200(b"[{\"id\":")).await;
}

#[tokio::test]
async fn success_with_json_of_the_wrong_shape() {
    run(Case::undecodable_200(br#"{"entries":[]}"#)).await;
}

#[tokio::test]
async fn a_server_echoing_the_key_does_not_leak_it() {
    let echo = Fault::Answer(401, vec![], format!("bad key {CANARY_KEY}").into_bytes());
    run(Case {
        requests: Some(1),
        ..Case::always(echo, ErrorKind::Status, Some(401))
    })
    .await;
}

#[tokio::test]
async fn slow_but_steady_inside_the_deadline() {
    run(Case {
        script: Box::new(|op| match op.success() {
            Fault::Answer(status, _, body) => vec![Fault::SlowSteady(
                status,
                body,
                4,
                Duration::from_millis(40),
            )],
            other => vec![other],
        }),
        ..Case::default()
    })
    .await;
}

#[tokio::test]
async fn bodies_are_traced_at_trace_level_only_and_truncated() {
    let (captured, _guard) = Captured::install();
    let body = redlist_of(200);
    let server = FaultServer::start(vec![Fault::Answer(200, vec![], body.clone())]).await;
    let client = np6_tests::client(&server.base_url);
    assert_eq!(
        client
            .get_mail_redlist()
            .send()
            .await
            .expect("decodes")
            .len(),
        200
    );
    let traced = captured.text();
    let line = traced
        .lines()
        .find(|l| l.contains("np6 answer"))
        .expect("the answer is traced");
    assert!(line.contains(" TRACE "), "{line}");
    assert!(line.contains(&format!("body_len={}", body.len())), "{line}");
    assert!(
        line.contains("T00000") && !line.contains("T00199"),
        "body not truncated: {line}"
    );
    assert!(line.len() < 1024 + 300, "{} bytes", line.len());
}

/// A mail redlist of `count` entries, `T00000` upwards, as NP6 sends it.
fn redlist_of(count: usize) -> Vec<u8> {
    let entries: Vec<String> = (0..count)
        .map(|i| format!(r#"{{"id":"T{i:05}","origin":1}}"#))
        .collect();
    format!("[{}]", entries.join(",")).into_bytes()
}

/// Asks a server that answers with `fault` for the mail redlist, taking
/// answers of at most `cap` bytes.
async fn mail_redlist_capped(
    fault: &Fault,
    cap: usize,
) -> Result<Vec<RedlistEntry>, np6_client::Error> {
    let server = FaultServer::start(vec![fault.clone()]).await;
    let client = np6_tests::builder(&server.base_url)
        .max_response_bytes(cap)
        .build()
        .expect("valid");
    client.get_mail_redlist().send().await
}

#[tokio::test]
async fn answers_larger_than_the_cap_are_refused_with_or_without_a_length() {
    let body = redlist_of(100);
    for fault in [
        Fault::Answer(200, vec![], body.clone()),
        Fault::Chunked(200, body.clone()),
    ] {
        let error = mail_redlist_capped(&fault, 1000)
            .await
            .expect_err("too large");
        assert_eq!(
            error.kind(),
            ErrorKind::ResponseTooLarge,
            "{fault:?}: {error}"
        );
        assert_eq!(error.attempts(), 1, "not retried");
        // Under the cap, the same answer decodes.
        let entries = mail_redlist_capped(&fault, body.len()).await.expect("fits");
        assert_eq!(entries.len(), 100, "{fault:?}");
    }
}
