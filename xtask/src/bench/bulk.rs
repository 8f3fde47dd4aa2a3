//! Benchmark 2, `bulk`: `put_bounces` against a server that answers after 5 ms, at
//! concurrency 64: throughput vs the ideal 64 / 5 ms and vs raw reqwest
//! with the same window; peak memory (VmHWM, Linux) with 10x the records,
//! in a fresh process each.

use std::path::Path;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use np6_client::{BounceRecord, BulkOptions, RetryPolicy};

use super::overhead::{Sides, drive};
use super::{Row, Sizes, bounce, runtime, server};
use crate::flags::BenchBulk;

/// What one bulk run measured (printed as JSON by the child process).
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct BulkRun {
    pub records: u64,
    pub np6_per_second: f64,
    pub raw_per_second: Option<f64>,
    /// Peak resident memory (Linux `VmHWM`); `None` elsewhere.
    pub peak_rss_kib: Option<u64>,
}

/// Benchmark 2, one size, in this process: `records` bounces at
/// concurrency 64 against a server that answers after 5 ms.
pub fn bulk_run(records: u64, with_baseline: bool) -> Result<BulkRun, String> {
    let server = server::delayed(server::redlist_body(1), Duration::from_millis(5))
        .map_err(|e| e.to_string())?;
    let sides = Sides::new(server.base_url(), RetryPolicy::default())?;
    runtime()?.block_on(async {
        let n = usize::try_from(records).map_err(|e| e.to_string())?;
        let raw_per_second = if with_baseline {
            Some(drive(n, 64, || sides.raw_put()).await?)
        } else {
            None
        };
        // Records are made as they are pulled: nothing is materialized.
        let input = futures_util::stream::iter(0..records).map(|i| BounceRecord {
            target_id: format!("T{i:07}"),
            field_id: 788,
            bounce: bounce(),
        });
        let started = Instant::now();
        let summary = sides
            .client
            .put_bounces(input, BulkOptions::default().concurrency(64))
            .finish()
            .await;
        let seconds = started.elapsed().as_secs_f64();
        if summary.failed > 0 || summary.succeeded != records {
            return Err(format!("bulk run: {summary:?}"));
        }
        Ok(BulkRun {
            records,
            np6_per_second: records as f64 / seconds,
            raw_per_second,
            peak_rss_kib: super::proc::peak_rss_kib(),
        })
    })
}

/// Benchmark 2: runs each size in a fresh process (`exe bench-bulk`), so
/// that peak memory is the job's own.
pub fn bulk(exe: &Path, sizes: Sizes) -> Result<Vec<Row>, String> {
    let run = |records: u64, baseline: bool| -> Result<BulkRun, String> {
        let mut command = std::process::Command::new(exe);
        command.args(["bench-bulk", "--records", &records.to_string()]);
        if baseline {
            command.arg("--baseline");
        }
        let output = command
            .output()
            .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
        if !output.status.success() {
            return Err(format!(
                "bench-bulk {records}: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        serde_json::from_slice(&output.stdout).map_err(|e| format!("bench-bulk output: {e}"))
    };
    let small = run(sizes.bulk_records, true)?;
    // Memory is compared between processes that do the same thing: the
    // baseline's own pool and buffers would weigh on the smaller run only.
    let small_alone = run(sizes.bulk_records, false)?;
    let large = run(sizes.bulk_records * 10, false)?;
    let ideal = 64.0 / 0.005;
    let raw = small.raw_per_second.unwrap_or(f64::NAN);
    Ok(vec![
        Row {
            name: format!(
                "bulk, {} bounces, concurrency 64, 5 ms server: vs ideal 12,800/s",
                small.records
            ),
            ratio: small.np6_per_second / ideal,
            detail: format!("{:.0} req/s", small.np6_per_second),
            target: Some((0.90, true)),
        },
        Row {
            name: format!(
                "bulk, {} bounces: vs raw reqwest, same window",
                small.records
            ),
            ratio: small.np6_per_second / raw,
            detail: format!("raw reqwest {raw:.0} req/s"),
            target: None,
        },
        memory_row(&large, &small_alone),
    ])
}

/// Peak memory of the large run vs the small one; without `/proc` (off
/// Linux) the row says so and carries no target.
fn memory_row(large: &BulkRun, small: &BulkRun) -> Row {
    let name = format!(
        "bulk peak memory, {} vs {} bounces",
        large.records, small.records
    );
    match (large.peak_rss_kib, small.peak_rss_kib) {
        (Some(large), Some(small)) => Row {
            name,
            ratio: large as f64 / small.max(1) as f64,
            detail: format!("{large} KiB vs {small} KiB (VmHWM)"),
            target: Some((1.2, false)),
        },
        _ => Row {
            name,
            ratio: f64::NAN,
            detail: "unknown: peak memory is read from Linux /proc only".to_owned(),
            target: None,
        },
    }
}

/// `cargo xtask bench-bulk`: one run, printed as JSON for the parent.
pub fn run_one(args: BenchBulk) -> Result<u8, String> {
    let run = bulk_run(args.records, args.baseline)?;
    crate::output::line(&serde_json::to_string(&run).map_err(|e| e.to_string())?)?;
    Ok(0)
}
