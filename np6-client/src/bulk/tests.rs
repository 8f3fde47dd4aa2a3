//! Tests of the bulk pace against a loopback server that refuses every
//! record's first attempt (`503`, `Retry-After: 0`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::types::{BounceData, BounceType};
use crate::{BounceRecord, BulkOptions, Client};

/// A server answering `503` then `204`, alternately, on fresh connections;
/// it notes when each request arrived.
async fn alternating_server() -> (String, Arc<Mutex<Vec<Instant>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let address = listener.local_addr().expect("an address");
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let seen = arrivals.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 4096];
                let mut request = Vec::new();
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let number = {
                    let mut seen = seen.lock().expect("the arrivals");
                    seen.push(Instant::now());
                    seen.len()
                };
                let answer: &[u8] = if number % 2 == 1 {
                    b"HTTP/1.1 503 Service Unavailable\r\nretry-after: 0\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                } else {
                    b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n"
                };
                let _ = stream.write_all(answer).await;
            });
        }
    });
    (format!("http://{address}"), arrivals)
}

fn records(count: usize) -> impl futures_util::Stream<Item = BounceRecord> {
    futures_util::stream::iter((0..count).map(|i| BounceRecord {
        target_id: format!("T{i}"),
        field_id: 788,
        bounce: BounceData::new(BounceType::HardUser),
    }))
}

#[tokio::test]
async fn every_attempt_counts_against_the_rate_limit() {
    let (url, arrivals) = alternating_server().await;
    let client = Client::builder()
        .api_key("k")
        .base_url(url)
        .build()
        .expect("a client");
    let options = BulkOptions::default().concurrency(1).rate_limit(40.0);
    let summary = client.put_bounces(records(10), options).finish().await;
    assert_eq!((summary.succeeded, summary.failed), (10, 0));
    let arrivals = arrivals.lock().expect("the arrivals").clone();
    // Ten records, twenty attempts: at 40 per second the attempts span at
    // least 19 intervals of 25 ms (18 here: the pacer may catch up 10 ms,
    // and arrivals are timed at the server). Paced by records, as before,
    // the retries came at once: about 9 intervals.
    assert_eq!(arrivals.len(), 20);
    let span = arrivals[19] - arrivals[0];
    assert!(span >= Duration::from_millis(18 * 25), "{span:?}");
}

#[tokio::test]
async fn no_rate_panics_and_a_tiny_one_still_starts_the_first_call() {
    // (rate, adaptive, whether the record finishes at once)
    let cases = [
        (f64::MIN_POSITIVE, false, false),
        (1e-300, false, false),
        (f64::MIN_POSITIVE, true, false),
        (f64::MAX, false, true),
        (f64::MAX, true, true),
        (f64::NAN, false, true),
        (-1.0, false, true),
        (0.0, false, true),
    ];
    for (rate, adaptive, at_once) in cases {
        let (url, _) = alternating_server().await;
        let client = Client::builder()
            .api_key("k")
            .base_url(url)
            .build()
            .expect("a client");
        let options = BulkOptions::default().rate_limit(rate).adaptive(adaptive);
        let mut job = client.put_bounces(records(1), options);
        // The first attempt starts at once and gets a 503; at a tiny rate
        // the retry waits for its turn, an hour away (the slowest pace).
        let outcome = tokio::time::timeout(Duration::from_millis(500), job.next()).await;
        assert_eq!(
            outcome.is_ok(),
            at_once,
            "rate {rate}, adaptive {adaptive}: {:?}",
            outcome.map(|o| o.map(|o| o.result))
        );
        drop(job);
    }
}

#[tokio::test]
async fn the_adaptive_pace_slows_down_on_overload() {
    let (url, _) = alternating_server().await;
    let client = Client::builder()
        .api_key("k")
        .base_url(url)
        .build()
        .expect("a client");
    let options = BulkOptions::default().adaptive(true);
    let mut job = client.put_bounces(records(4), options);
    let (start_rate, _) = job.pace().expect("an adaptive pace");
    while job.next().await.is_some() {}
    let (rate, concurrency) = job.pace().expect("an adaptive pace");
    // A 503 cut the rate (to 7/s from 10/s), the successes after it add
    // less than the cut.
    assert!(rate < start_rate, "{rate} >= {start_rate}");
    assert!(concurrency >= 1);
    assert_eq!(job.summary().succeeded, 4);
}
