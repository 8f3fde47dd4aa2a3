//! The bulk helper on real time: bounded concurrency, rate limit,
//! per-record outcomes, lazy input, cancellation, and a short real outage.
//! (The pace and long outages on paused time: `np6-client/src/bulk/tests.rs`.)

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use np6_client::types::BounceType;
use np6_client::{BounceRecord, BulkOptions, ErrorKind};
use np6_loopback::{Reply, Server, Threads};

/// Answers each request after `delay`: 404 when the path has `missing`,
/// else 204. Counts requests and the most in flight at once.
struct SlowServer {
    base_url: String,
    requests: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
    _server: Server,
}

impl SlowServer {
    fn start(delay: Duration) -> Self {
        let requests = Arc::new(AtomicUsize::new(0));
        let max_in_flight = Arc::new(AtomicUsize::new(0));
        let in_flight = AtomicUsize::new(0);
        let (r, m) = (requests.clone(), max_in_flight.clone());
        // A thread per connection: the handler sleeps.
        let server = Server::start(Threads::PerConnection, move |request| {
            r.fetch_add(1, Ordering::SeqCst);
            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            m.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(delay);
            in_flight.fetch_sub(1, Ordering::SeqCst);
            Reply::status(if request.target.contains("missing") {
                404
            } else {
                204
            })
        })
        .expect("loopback server");
        Self {
            base_url: server.base_url(),
            requests,
            max_in_flight,
            _server: server,
        }
    }
}

fn record(i: u64) -> BounceRecord {
    let target_id = if i % 10 == 3 {
        format!("missing-{i}")
    } else {
        format!("T{i}")
    };
    BounceRecord {
        target_id,
        field_id: 788,
        bounce: np6_tests::bounce(BounceType::HardUser),
    }
}

#[tokio::test]
async fn outcomes_are_per_record_with_bounded_concurrency() {
    let server = SlowServer::start(Duration::from_millis(20));
    let client = np6_tests::client(&server.base_url);
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = pulled.clone();
    let records = futures_util::stream::iter((0..100).map(move |i| {
        counter.fetch_add(1, Ordering::SeqCst);
        record(i)
    }));
    let mut job = client.put_bounces(records, BulkOptions::default().concurrency(8));
    let mut seen = [false; 100];
    let mut outcomes = 0;
    while let Some(outcome) = job.next().await {
        outcomes += 1;
        // Never more pulled than finished plus the window.
        assert!(
            pulled.load(Ordering::SeqCst) <= outcomes + 8,
            "input read ahead of the window"
        );
        let index = usize::try_from(outcome.index).expect("small");
        assert!(!seen[index], "index {index} twice");
        seen[index] = true;
        match outcome.result {
            Ok(()) => assert_ne!(index % 10, 3),
            Err(e) => {
                assert_eq!(index % 10, 3, "{e}");
                assert_eq!((e.kind(), e.status()), (ErrorKind::Status, Some(404)));
            }
        }
    }
    assert!(seen.iter().all(|s| *s));
    let summary = job.summary();
    assert_eq!(
        (summary.done, summary.succeeded, summary.failed),
        (100, 90, 10)
    );
    assert_eq!(server.requests.load(Ordering::SeqCst), 100);
    assert_eq!(
        server.max_in_flight.load(Ordering::SeqCst),
        8,
        "the window is used, and not exceeded"
    );
}

#[tokio::test]
async fn the_rate_limit_paces_the_calls() {
    let server = SlowServer::start(Duration::ZERO);
    let client = np6_tests::client(&server.base_url);
    let started = Instant::now();
    let records = futures_util::stream::iter((0..21).map(|i| record(i * 10)));
    let summary = client
        .put_bounces(records, BulkOptions::default().rate_limit(100.0))
        .finish()
        .await;
    let elapsed = started.elapsed();
    assert_eq!(summary.succeeded, 21);
    // 21 starts at 100/s: the last starts 200 ms after the first.
    assert!(elapsed >= Duration::from_millis(195), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
}

#[tokio::test]
async fn dropping_the_stream_stops_new_requests() {
    let server = SlowServer::start(Duration::from_millis(30));
    let client = np6_tests::client(&server.base_url);
    let records = futures_util::stream::iter((0..1_000_000).map(|i| record(i * 10)));
    let mut job = client.put_bounces(records, BulkOptions::default().concurrency(4));
    for _ in 0..6 {
        job.next().await.expect("an outcome");
    }
    drop(job);
    // Requests already sent when the job was dropped may still reach the
    // server (it counts them on arrival), so the count is read later: by
    // then a job that went on would have sent about ten more (a window of
    // 4, 30 ms each), over the most the drop allows.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let total = server.requests.load(Ordering::SeqCst);
    assert!(
        total <= 6 + 4,
        "{total} requests for 6 outcomes and a window of 4: some started after the drop"
    );
}

#[tokio::test]
async fn a_short_outage_ends_with_every_record_sent_once() {
    const OUTAGE: Duration = Duration::from_secs(2);
    let started = Instant::now();
    let sent: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    let during = Arc::new(AtomicUsize::new(0));
    let (counts, refused) = (sent.clone(), during.clone());
    let server = Server::start(Threads::Shared, move |request| {
        if started.elapsed() < OUTAGE {
            refused.fetch_add(1, Ordering::SeqCst);
            return Reply::status(503);
        }
        let mut counts = counts.lock().expect("the counts");
        *counts.entry(request.target.clone()).or_default() += 1;
        Reply::status(204)
    })
    .expect("loopback server");
    let client = np6_tests::client(&server.base_url());
    let records = futures_util::stream::iter((0..40).map(|i| record(i * 10)));
    let options = BulkOptions::default().adaptive(true).concurrency(8);
    let mut job = client.put_bounces(records, options);
    while let Some(outcome) = job.next().await {
        assert!(
            outcome.result.is_ok(),
            "a final outcome: {:?}",
            outcome.result
        );
    }
    let summary = job.summary();
    assert_eq!(
        (summary.succeeded, summary.failed, summary.pending),
        (40, 0, 0)
    );
    let sent = sent.lock().expect("the counts");
    assert_eq!(sent.len(), 40);
    assert!(sent.values().all(|n| *n == 1), "a record sent twice");
    // Probed, not hammered: a few requests in two seconds of outage.
    let during = during.load(Ordering::SeqCst);
    assert!(during <= 30, "{during} requests during the outage");
}
