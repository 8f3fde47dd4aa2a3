//! Benchmark 4, `pace`: bulk jobs that find the server's pace against a
//! loopback NP6 (`np6_loopback::fault`) that admits R requests per second
//! and answers `429` with `Retry-After` beyond: the adaptive pace at two
//! rates an order of magnitude apart, with the same default settings,
//! measured over the whole job (its start included), and the fixed pace
//! just under R, pacing records or attempts, against a server that stalls
//! once.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use np6_client::types::{BounceData, BounceType};
use np6_client::{BounceRecord, BulkOptions, Client};
use np6_loopback::fault::{FaultConfig, FaultServer, TICK};

use super::{Row, Sizes};

/// Where the steady rate starts being measured: after the slow start.
const STEADY_AFTER: Duration = Duration::from_secs(5);

/// The rows of the pacing benchmark; `--quick` runs one small case.
///
/// # Errors
///
/// When the loopback server or the client cannot start.
pub fn pace(sizes: Sizes) -> Result<Vec<Row>, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    if !sizes.enforce {
        let figures = runtime.block_on(measure(Pacing::Adaptive, 200.0, 200, false))?;
        return Ok(rows(&figures, false));
    }
    let all = runtime.block_on(all_cases())?;
    Ok(all
        .iter()
        .flat_map(|f| rows(f, f.pacing == Pacing::Adaptive && !f.stall))
        .collect())
}

/// The admitted rate over the whole job (slow start included) and after
/// its first 5 s against R, and the share of requests answered `429`:
/// targets for the adaptive cases without a stall, information for the
/// others.
fn rows(f: &Figures, targeted: bool) -> Vec<Row> {
    let pacing = match f.pacing {
        Pacing::Adaptive => "adaptive".to_owned(),
        Pacing::Fixed(rate) => format!("rate_limit({rate})"),
        Pacing::RecordsPaced(rate) => format!("records paced at {rate}/s"),
    };
    let case = format!(
        "bulk pace, {pacing}, R={}{}",
        f.server_rate,
        if f.stall { " with a 1 s stall" } else { "" }
    );
    let detail = format!(
        "{} records, {} lost; {} requests; whole job {:.1}/s ({:.0}% of R) in {:.1} s",
        f.records,
        f.lost,
        f.requests,
        f.admitted_rate,
        100.0 * f.admitted_rate / f.server_rate,
        f.elapsed.as_secs_f64()
    );
    let mut rows = vec![Row {
        name: format!("{case}: whole-job rate / R"),
        ratio: f.admitted_rate / f.server_rate,
        detail: detail.clone(),
        target: targeted.then_some((0.95, true)),
    }];
    // The steady rate is measured after the first 5 s: only a longer job
    // has one.
    if f.elapsed > STEADY_AFTER {
        rows.push(Row {
            name: format!("{case}: steady rate (after 5 s) / R"),
            ratio: f.steady_rate / f.server_rate,
            detail,
            target: None,
        });
    }
    rows.push(Row {
        name: format!("{case}: requests answered 429"),
        ratio: f.throttled_share(),
        detail: format!("{} of {}; {} records lost", f.throttled, f.requests, f.lost),
        target: targeted.then_some((0.01, false)),
    });
    rows
}

/// How a case paces its job.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pacing {
    /// `BulkOptions::default().adaptive(true)`.
    Adaptive,
    /// `BulkOptions::rate_limit(rate)`: attempts paced.
    Fixed(f64),
    /// Records pulled at `rate` per second with the client's retries on
    /// top, unpaced: what a pace that counts records instead of attempts
    /// does, for comparison.
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
}

/// When the server stalls in the cases with a stall, and for how long.
const STALL_AFTER: Duration = Duration::from_secs(2);
/// See [`STALL_AFTER`].
const STALL_LENGTH: Duration = Duration::from_secs(1);

/// Runs one case: `records` bounces against a server admitting `rate`/s,
/// which stalls once (see [`STALL_AFTER`]) when `stall` is set.
///
/// # Errors
///
/// When the loopback server or the client cannot start.
async fn measure(pacing: Pacing, rate: f64, records: u64, stall: bool) -> Result<Figures, String> {
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
            // Each record pulled takes the next start slot; the client's
            // retries are not paced.
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
    let skip = (STEADY_AFTER.as_millis() / TICK.as_millis()) as usize;
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

/// Every case: adaptive at R = 40 and 400 (20 s of records each); then,
/// against R = 40 with a 1 s stall of the server, the fixed pace at 38 with
/// records paced and with attempts paced, and the adaptive pace.
///
/// # Errors
///
/// See [`measure`].
async fn all_cases() -> Result<Vec<Figures>, String> {
    Ok(vec![
        measure(Pacing::Adaptive, 40.0, 800, false).await?,
        measure(Pacing::Adaptive, 400.0, 8_000, false).await?,
        measure(Pacing::RecordsPaced(38.0), 40.0, 300, true).await?,
        measure(Pacing::Fixed(38.0), 40.0, 300, true).await?,
        measure(Pacing::Adaptive, 40.0, 300, true).await?,
    ])
}
