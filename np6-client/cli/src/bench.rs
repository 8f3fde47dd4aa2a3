//! Measures bulk pacing against a [`FaultServer`] that admits R requests
//! per second: the adaptive pace at two rates an order of magnitude apart,
//! with the same default settings, and the fixed pace just under R, both as
//! it was (records paced, retries on top) and as it is (attempts paced).
//!
//! For `cargo xtask bench` (release build): call [`run`] and print
//! [`Figures`] (its `Display` is one table line).

use std::fmt;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use np6_client::types::{BounceData, BounceType};
use np6_client::{BounceRecord, BulkOptions, Client};

use crate::fault::{FaultConfig, FaultServer, TICK};

/// How a case paces its job.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pacing {
    /// `BulkOptions::default().adaptive(true)`.
    Adaptive,
    /// `BulkOptions::rate_limit(rate)`: attempts paced.
    Fixed(f64),
    /// The defect of the former `rate_limit`, reproduced: records are
    /// pulled at `rate` per second and retries come on top.
    RecordsPaced(f64),
}

/// One measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// The pacing measured.
    pub pacing: Pacing,
    /// Whether the server stalled once during the job.
    pub stall: bool,
    /// The server's admitted rate R (requests per second).
    pub server_rate: f64,
    /// Records in the job.
    pub records: u64,
    /// Records that failed after the client's retries.
    pub lost: u64,
    /// Requests the server received.
    pub requests: u64,
    /// Of those, answered `429`.
    pub throttled: u64,
    /// The job's duration.
    pub elapsed: Duration,
    /// Requests admitted per second over the whole job.
    pub admitted_rate: f64,
    /// Requests admitted per second after the first 5 seconds (the start
    /// of an adaptive job is its slow start).
    pub steady_rate: f64,
}

impl Figures {
    /// The share of requests answered `429`.
    pub fn throttled_share(&self) -> f64 {
        self.throttled as f64 / (self.requests.max(1)) as f64
    }

    /// Whether the case meets the target: at least 90% of R (steady) with
    /// at most 2% of requests answered `429`, and no record lost.
    pub fn meets_target(&self) -> bool {
        self.steady_rate >= 0.9 * self.server_rate
            && self.throttled_share() <= 0.02
            && self.lost == 0
    }
}

impl fmt::Display for Figures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pacing = match self.pacing {
            Pacing::Adaptive => "adaptive (defaults)".to_owned(),
            Pacing::Fixed(rate) => format!("rate_limit({rate}), attempts paced"),
            Pacing::RecordsPaced(rate) => format!("records paced at {rate}/s (former rate_limit)"),
        };
        write!(
            f,
            "| {pacing} | R={}{} | {} records, {} lost | {} requests, {:.1}% 429 | {:.1} s | {:.1}/s ({:.0}% of R) | steady {:.1}/s ({:.0}% of R) |",
            self.server_rate,
            if self.stall { ", 1 s stall" } else { "" },
            self.records,
            self.lost,
            self.requests,
            100.0 * self.throttled_share(),
            self.elapsed.as_secs_f64(),
            self.admitted_rate,
            100.0 * self.admitted_rate / self.server_rate,
            self.steady_rate,
            100.0 * self.steady_rate / self.server_rate,
        )
    }
}

/// When the server stalls in the cases with a stall, and for how long.
pub const STALL_AFTER: Duration = Duration::from_secs(2);
/// See [`STALL_AFTER`].
pub const STALL_LENGTH: Duration = Duration::from_secs(1);

/// Runs one case: `records` bounces against a server admitting `rate`/s,
/// which stalls once (see [`STALL_AFTER`]) when `stall` is set.
///
/// # Errors
///
/// When the loopback server or the client cannot start.
pub async fn measure(
    pacing: Pacing,
    rate: f64,
    records: u64,
    stall: bool,
) -> Result<Figures, String> {
    let mut config = FaultConfig::default().rate(rate);
    if stall {
        config = config.stall(STALL_AFTER, STALL_LENGTH);
    }
    let server = FaultServer::start(config)
        .await
        .map_err(|e| format!("cannot start the loopback server: {e}"))?;
    let client = Client::builder()
        .api_key("bench")
        .base_url(server.base_url())
        .build()
        .map_err(|e| e.to_string())?;
    let bounces = (0..records).map(|i| BounceRecord {
        target_id: format!("T{i}"),
        field_id: 788,
        bounce: BounceData::new(BounceType::HardUser),
    });
    let started = Instant::now();
    let summary = match pacing {
        Pacing::Adaptive => {
            let options = BulkOptions::default().adaptive(true);
            client
                .put_bounces(futures_util::stream::iter(bounces), options)
                .finish()
                .await
        }
        Pacing::Fixed(per_second) => {
            let options = BulkOptions::default().rate_limit(per_second);
            client
                .put_bounces(futures_util::stream::iter(bounces), options)
                .finish()
                .await
        }
        Pacing::RecordsPaced(per_second) => {
            let interval = Duration::from_secs_f64(1.0 / per_second.max(0.001));
            // As the former `bulk` did: each record pulled takes the next
            // start slot; the client's retries are not paced.
            let mut next_start = tokio::time::Instant::now();
            let paced = futures_util::stream::iter(bounces).then(move |record| {
                let start = next_start.max(tokio::time::Instant::now());
                next_start = start + interval;
                async move {
                    tokio::time::sleep_until(start).await;
                    record
                }
            });
            client
                .put_bounces(Box::pin(paced), BulkOptions::default())
                .finish()
                .await
        }
    };
    let elapsed = started.elapsed();
    let counts = server.counts();
    let admitted: u64 = counts.admitted_per_tick.iter().map(|&n| u64::from(n)).sum();
    let skip = (Duration::from_secs(5).as_millis() / TICK.as_millis()) as usize;
    let steady: Vec<u32> = counts
        .admitted_per_tick
        .iter()
        .skip(skip)
        .copied()
        .collect();
    let steady_rate = if steady.is_empty() {
        0.0
    } else {
        steady.iter().map(|&n| f64::from(n)).sum::<f64>()
            / (steady.len() as f64 * TICK.as_secs_f64())
    };
    Ok(Figures {
        pacing,
        stall,
        server_rate: rate,
        records,
        lost: summary.failed,
        requests: counts.requests,
        throttled: counts.throttled,
        elapsed,
        admitted_rate: admitted as f64 / elapsed.as_secs_f64().max(0.001),
        steady_rate,
    })
}

/// The bench of issue 14: adaptive at R = 40 and 400 (20 s of records
/// each); then, against R = 40 with a 1 s stall of the server, the fixed
/// pace at 38 as it was (records paced) and as it is (attempts paced), and
/// the adaptive pace.
///
/// # Errors
///
/// See [`measure`].
pub async fn run() -> Result<Vec<Figures>, String> {
    Ok(vec![
        measure(Pacing::Adaptive, 40.0, 800, false).await?,
        measure(Pacing::Adaptive, 400.0, 8_000, false).await?,
        measure(Pacing::RecordsPaced(38.0), 40.0, 300, true).await?,
        measure(Pacing::Fixed(38.0), 40.0, 300, true).await?,
        measure(Pacing::Adaptive, 40.0, 300, true).await?,
    ])
}
