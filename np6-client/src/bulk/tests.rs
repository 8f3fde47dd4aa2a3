//! Bulk jobs on paused tokio time (minutes of outage run in milliseconds)
//! against a loopback server whose answers each test scripts.
//!
//! The server runs on the test's own runtime (not the workspace's loopback
//! server, which has a runtime and a clock of its own): a paused clock
//! only moves when every task of the runtime waits, so the server's
//! answers and the job's timers stay in one deterministic order.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

use crate::types::{BounceData, BounceType};
use crate::{BounceRecord, BulkOptions, Client};

/// A request as the server saw it.
#[derive(Debug, Clone)]
struct Arrival {
    /// The target id of the bounce.
    target: String,
    /// Since the server started.
    at: Duration,
    status: u16,
}

/// An answer: a status and, maybe, a `Retry-After` in seconds.
type Script = dyn Fn(&str, Duration) -> (u16, Option<u64>) + Send + Sync;

/// Starts a server answering each request as `script` says (from the
/// target id and the time since the start); returns its URL and the log.
async fn scripted(script: Arc<Script>) -> (String, Arc<Mutex<Vec<Arrival>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let address = listener.local_addr().expect("an address");
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    let started = Instant::now();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(answer(stream, script.clone(), seen.clone(), started));
        }
    });
    (format!("http://{address}"), log)
}

async fn answer(
    mut stream: tokio::net::TcpStream,
    script: Arc<Script>,
    log: Arc<Mutex<Vec<Arrival>>>,
    started: Instant,
) {
    let mut request = Vec::new();
    let mut buffer = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buffer[..n]),
        }
    };
    let head = String::from_utf8_lossy(&request[..head_end]).to_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while request.len() < head_end + length {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buffer[..n]),
        }
    }
    // `PUT /targets/{id}/bounces/{field}`: the id is the third segment.
    let path = head.split_whitespace().nth(1).unwrap_or("");
    let target = path.split('/').nth(2).unwrap_or("").to_uppercase();
    let at = started.elapsed();
    let (status, retry_after) = script(&target, at);
    log.lock()
        .expect("the log")
        .push(Arrival { target, at, status });
    let retry_after = retry_after.map_or(String::new(), |s| format!("retry-after: {s}\r\n"));
    let answer = format!(
        "HTTP/1.1 {status} X\r\n{retry_after}content-length: 0\r\nconnection: close\r\n\r\n"
    );
    let _ = stream.write_all(answer.as_bytes()).await;
}

fn client(url: &str) -> Client {
    Client::builder()
        .api_key("k")
        .base_url(url)
        .build()
        .expect("a client")
}

fn records(count: usize) -> impl futures_util::Stream<Item = BounceRecord> + Send + 'static {
    futures_util::stream::iter((0..count).map(|i| BounceRecord {
        target_id: format!("T{i}"),
        field_id: 788,
        bounce: BounceData::new(BounceType::HardUser),
    }))
}

fn arrivals(log: &Mutex<Vec<Arrival>>) -> Vec<Arrival> {
    log.lock().expect("the log").clone()
}

const MINUTE: Duration = Duration::from_secs(60);

#[tokio::test(start_paused = true)]
async fn an_outage_of_minutes_is_probed_slowly_and_every_record_is_sent_after_it() {
    let outage = 5 * MINUTE;
    let (url, log) = scripted(Arc::new(move |_: &str, at: Duration| {
        if at < outage {
            (503, None)
        } else {
            (204, None)
        }
    }))
    .await;
    let options = BulkOptions::default().adaptive(true).concurrency(8);
    let mut job = client(&url).put_bounces(records(40), options);
    let mut outcomes = 0;
    let mut seen_waiting = false;
    loop {
        tokio::select! {
            next = job.next() => match next {
                Some(outcome) => {
                    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
                    outcomes += 1;
                }
                None => break,
            },
            () = tokio::time::sleep(Duration::from_secs(30)) => {
                let state = job.state();
                if let Some(failing) = state.failing.clone().filter(|_| state.pending > 0) {
                    // What a caller shows: since when, and the next try.
                    assert_eq!(failing.status, Some(503));
                    assert!(failing.next_try_in <= Duration::from_secs(10), "{failing}");
                    assert!(state.in_flight <= 1, "probing one at a time: {state:?}");
                    seen_waiting = true;
                }
            }
        }
    }
    let log = arrivals(&log);
    assert_eq!(outcomes, 40);
    assert!(seen_waiting, "the state showed the outage");
    assert_eq!(job.summary().pending, 0);
    // Five minutes of probes, one at most every 10 s once the backoff is
    // at its cap (and a few faster ones before).
    let during = log.iter().filter(|a| a.at < outage).count();
    assert!(
        (20..=60).contains(&during),
        "{during} requests during the outage"
    );
    // Back within the longest wait of the recovery, and every record sent
    // in a few seconds more.
    let first_ok = log.iter().find(|a| a.status == 204).expect("a success").at;
    assert!(first_ok <= outage + Duration::from_secs(10), "{first_ok:?}");
    let last = log.last().expect("requests").at;
    assert!(
        last <= first_ok + Duration::from_secs(5),
        "{:?} after",
        last - first_ok
    );
}

#[tokio::test(start_paused = true)]
async fn a_long_retry_after_is_honoured_up_to_the_longest_wait() {
    let outage = 2 * MINUTE;
    let (url, log) = scripted(Arc::new(move |_: &str, at: Duration| {
        if at < outage {
            (429, Some(3600))
        } else {
            (204, None)
        }
    }))
    .await;
    let options = BulkOptions::default()
        .adaptive(true)
        .max_retry_wait(Duration::from_secs(20));
    let summary = client(&url)
        .put_bounces(records(10), options)
        .finish()
        .await;
    assert_eq!(
        (summary.succeeded, summary.failed, summary.pending),
        (10, 0, 0)
    );
    let log = arrivals(&log);
    // After the first refusals, one try each 20 s: the server's hour, cut.
    let throttled: Vec<Duration> = log
        .iter()
        .filter(|a| a.status == 429)
        .map(|a| a.at)
        .collect();
    let late = &throttled[throttled.len().saturating_sub(4)..];
    for pair in late.windows(2) {
        assert!(pair[1] - pair[0] >= Duration::from_secs(20), "{late:?}");
    }
    let first_ok = log.iter().find(|a| a.status == 204).expect("a success").at;
    assert!(first_ok <= outage + Duration::from_secs(20), "{first_ok:?}");
}

#[tokio::test(start_paused = true)]
async fn a_retry_goes_before_records_pulled_after_it() {
    let failed = std::sync::atomic::AtomicBool::new(false);
    let (url, log) = scripted(Arc::new(move |target: &str, _: Duration| {
        // The first record fails once.
        let first = target == "T0" && !failed.swap(true, std::sync::atomic::Ordering::SeqCst);
        (if first { 503 } else { 204 }, None)
    }))
    .await;
    let script_log = log.clone();
    let options = BulkOptions::default().rate_limit(10.0).concurrency(2);
    let summary = client(&url)
        .put_bounces(records(30), options)
        .finish()
        .await;
    assert_eq!(summary.succeeded, 30, "{summary:?}");
    let log = arrivals(&script_log);
    let position = |target: &str| log.iter().rposition(|a| a.target == target);
    // T0's second try comes before the first try of the fourth record:
    // with two records open, T0 holds one place until it is done.
    let retry = position("T0").expect("T0");
    assert!(retry < position("T3").expect("T3"), "{log:?}");
}

#[tokio::test(start_paused = true)]
async fn waiting_for_a_turn_does_not_use_the_calls_deadline() {
    let (url, log) = scripted(Arc::new(|_: &str, _: Duration| (204, None))).await;
    let client = Client::builder()
        .api_key("k")
        .base_url(url)
        .deadline(Duration::from_secs(2))
        .build()
        .expect("a client");
    // One attempt a second, ten records open at once: the last waits nine
    // seconds for its turn, far past the deadline, and still succeeds.
    let options = BulkOptions::default().rate_limit(1.0).concurrency(10);
    let summary = client.put_bounces(records(10), options).finish().await;
    assert_eq!((summary.succeeded, summary.failed), (10, 0));
    assert_eq!(arrivals(&log).len(), 10, "no attempt failed or was retried");
}

#[tokio::test(start_paused = true)]
async fn a_stopped_job_yields_what_was_sent_and_leaves_the_rest_pending() {
    let (url, log) = scripted(Arc::new(|_: &str, _: Duration| (204, None))).await;
    let options = BulkOptions::default().rate_limit(50.0).concurrency(8);
    let mut job = client(&url).put_bounces(records(1_000), options);
    let mut outcomes = 0u64;
    while outcomes < 20 {
        job.next()
            .await
            .expect("an outcome")
            .result
            .expect("a success");
        outcomes += 1;
    }
    job.stop();
    assert!(job.state().stopped);
    while let Some(outcome) = job.next().await {
        outcome.result.expect("a success");
        outcomes += 1;
    }
    let sent = arrivals(&log).len() as u64;
    // Every request sent became an outcome: nothing sent is left pending.
    assert_eq!(sent, outcomes);
    let summary = job.summary();
    assert_eq!(summary.succeeded, outcomes);
    assert!(summary.pending <= 8, "{summary:?}");
    // Nothing starts after the stream ended.
    tokio::time::sleep(MINUTE).await;
    assert_eq!(arrivals(&log).len() as u64, sent);
}

#[tokio::test(start_paused = true)]
async fn a_job_gives_up_after_its_patience_with_records_pending() {
    let (url, log) = scripted(Arc::new(|_: &str, _: Duration| (502, None))).await;
    let options = BulkOptions::default()
        .concurrency(4)
        .patience(Duration::from_secs(120));
    let mut job = client(&url).put_bounces(records(10), options);
    let started = Instant::now();
    assert!(
        job.next().await.is_none(),
        "a transient failure is never an outcome"
    );
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(120) && waited <= Duration::from_secs(135),
        "{waited:?}"
    );
    let state = job.state();
    assert!(state.gave_up && state.stopped, "{state:?}");
    // Four calls running, and as many records waiting for their retry.
    assert_eq!(state.pending, 8);
    // Probes one at a time, at most every 10 s once the backoff is capped:
    // a few dozen requests in two minutes, not a flood. (The paused clock
    // jumps while the loopback server answers, so the exact count varies
    // by a few between runs.)
    let requests = arrivals(&log).len();
    assert!(
        requests <= 60,
        "{requests} requests in two minutes of outage"
    );
}

#[tokio::test(start_paused = true)]
async fn the_adaptive_pace_stays_under_a_servers_rate_below_its_ceiling() {
    // A token bucket of 40/s, a tenth of a second deep.
    let bucket = Arc::new(Mutex::new((4.0f64, Duration::ZERO)));
    let (url, log) = scripted(Arc::new(move |_: &str, at: Duration| {
        let mut bucket = bucket.lock().expect("the bucket");
        let (tokens, last) = *bucket;
        let tokens = (tokens + (at - last).as_secs_f64() * 40.0).min(4.0);
        if tokens >= 1.0 {
            *bucket = (tokens - 1.0, at);
            (204, None)
        } else {
            *bucket = (tokens, at);
            (429, Some(1))
        }
    }))
    .await;
    let options = BulkOptions::default()
        .adaptive(true)
        .rate_limit(400.0)
        .concurrency(32);
    let summary = client(&url)
        .put_bounces(records(400), options)
        .finish()
        .await;
    assert_eq!(
        (summary.succeeded, summary.failed, summary.pending),
        (400, 0, 0)
    );
    let throttled = arrivals(&log).iter().filter(|a| a.status == 429).count();
    assert!(throttled <= 12, "{throttled} requests answered 429");
}

#[tokio::test(start_paused = true)]
async fn every_attempt_counts_against_the_rate_limit() {
    let (url, log) = scripted(Arc::new(|_: &str, _: Duration| (204, None))).await;
    let options = BulkOptions::default().rate_limit(40.0).concurrency(16);
    let summary = client(&url)
        .put_bounces(records(21), options)
        .finish()
        .await;
    assert_eq!(summary.succeeded, 21);
    let log = arrivals(&log);
    // 21 starts at 40/s: the last 500 ms after the first.
    assert_eq!(log.len(), 21);
    assert_eq!(log[20].at - log[0].at, Duration::from_millis(500));
}

#[tokio::test(start_paused = true)]
async fn rates_that_are_not_finite_and_positive_refuse_the_job() {
    let (url, log) = scripted(Arc::new(|_: &str, _: Duration| (204, None))).await;
    for rate in [f64::NAN, 0.0, -5.0, f64::INFINITY] {
        let mut job = client(&url).put_bounces(records(3), BulkOptions::default().rate_limit(rate));
        assert!(job.next().await.is_none());
        let refused = job.state().refused.expect("refused");
        assert!(refused.contains("rate_limit"), "{refused}");
        let initial = BulkOptions::default().adaptive(true).initial_rate(rate);
        assert!(initial.check().is_err(), "{rate}");
    }
    assert!(arrivals(&log).is_empty());
}

#[tokio::test(start_paused = true)]
async fn huge_waits_neither_overflow_nor_panic() {
    let (url, _) = scripted(Arc::new(|_: &str, _: Duration| (429, Some(u64::MAX)))).await;
    let options = BulkOptions::default()
        .adaptive(true)
        .max_retry_wait(Duration::MAX)
        .patience(MINUTE);
    let mut job = client(&url).put_bounces(records(3), options);
    assert!(job.next().await.is_none());
    let state = job.state();
    assert!(state.gave_up, "{state:?}");
    assert_eq!(state.pending, 3);
}
