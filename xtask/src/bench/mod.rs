//! `cargo xtask bench`: the client against the physical limit of the
//! transport, and the validator against the files and against openapi-core;
//! each figure a ratio against a baseline measured in the same run.
//!
//! Numbered as in BENCHMARKS.md; `--only NAME` runs one.
//!
//! 1. [`overhead`]: the generated client vs hand-written reqwest code
//!    building the same request, for a redlist GET and a bounce PUT at
//!    concurrency 1 and 64. Target >= 0.95.
//! 2. [`bulk`]: `put_bounces` against a server that answers after 5 ms, at
//!    concurrency 64: throughput vs the ideal 64 / 5 ms (target >= 0.90) and
//!    vs raw reqwest; peak memory with 10x the records (target <= 1.2x).
//! 3. [`validation`]: `validate` over a generated corpus, on one core and
//!    on all, and vs openapi-core on the same files (target >= 100x).
//! 4. [`pace`]: bulk jobs against a server that admits R requests per
//!    second: the adaptive pace at R = 40 and 400 with the same defaults
//!    (targets: steady rate >= 0.90 R, <= 2% of requests answered 429).
//! 5. [`har`]: `import-har` over a generated archive: entries per second,
//!    and the time per entry at the full size vs a tenth (target <= 1.5:
//!    linear).
//! 6. [`build_cost`] (`--only build`, only when named): a consumer's clean
//!    build with np6-client against reqwest, serde, tokio and chrono alone
//!    (target <= 1.3x), and the rebuild after a spec edit.
//! 7. [`export`]: the release `np6` exports a 30-day redlist of 200,000 and
//!    2,000,000 entries from a streaming server: peak memory (target <= 64
//!    MiB, and <= 1.25x from 200k to 2M), time vs the bare transfer from a
//!    server sending 100 MB/s (target <= 1.15), and from the unpaced server
//!    vs the bare transfer and `curl | jq` (information); and the export
//!    against a server that answers 504 to windows over a day (target:
//!    every entry once).
//! 8. [`install`] (`--only install`, only when named): `cargo install np6
//!    --locked` from the packaged crates, clean, against a comparable clap,
//!    reqwest, tokio and csv command line (target <= 1.3x).
//!
//! The servers are in [`server`] and [`redlist_server`], the `/proc`
//! readers in [`proc`], the child processes' runner in [`child`].

pub mod build_cost;
pub mod bulk;
pub mod child;
pub mod export;
pub mod har;
pub mod install;
pub mod overhead;
pub mod pace;
pub mod peers;
pub mod proc;
pub mod redlist_server;
pub mod server;
pub mod validation;

use np6_client::types::{BounceData, BounceDetail, BounceType};

use crate::flags::{Bench, BenchPart};

/// Sizes of a run.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Concurrency 1: pairs of calls (one each side, interleaved) per block.
    pub requests_c1: usize,
    /// Concurrency 64: calls of each side per block.
    pub requests_c64: usize,
    /// Blocks per comparison: the ratio is their median.
    pub rounds: usize,
    pub bulk_records: u64,
    pub fixtures: usize,
    /// Entries of the generated HTTP Archive.
    pub har_entries: usize,
    /// Whether the validation benchmark installs openapi-core from PyPI
    /// and compares (not in `cargo test`: no network there).
    pub openapi_core: bool,
    /// Whether the targets are enforced (not for the quick smoke run).
    pub enforce: bool,
    /// Entries of the smaller redlist export (the larger is 10x).
    pub export_entries: u64,
    /// Exports of the larger redlist timed, each against a bare transfer.
    pub export_pairs: usize,
    /// Whether the export is also compared with curl and jq (when the
    /// machine has them).
    pub export_peers: bool,
}

impl Sizes {
    /// The full sizes: 100,000 and 1,000,000 bulk records.
    pub fn full() -> Self {
        Self {
            requests_c1: 400,
            requests_c64: 3_000,
            rounds: 101,
            bulk_records: 100_000,
            fixtures: 10_000,
            har_entries: 100_000,
            openapi_core: true,
            enforce: true,
            export_entries: 200_000,
            export_pairs: 3,
            export_peers: true,
        }
    }

    /// A run of a few seconds that proves the benchmark works.
    pub fn quick() -> Self {
        Self {
            requests_c1: 100,
            requests_c64: 1_000,
            rounds: 3,
            bulk_records: 2_000,
            fixtures: 300,
            har_entries: 5_000,
            openapi_core: true,
            enforce: false,
            export_entries: 20_000,
            export_pairs: 1,
            export_peers: true,
        }
    }
}

/// One line of the results table.
#[derive(Debug, Clone)]
pub struct Row {
    pub name: String,
    pub ratio: f64,
    pub detail: String,
    /// `(bound, at_least)`: the ratio must be >= bound, or <= bound.
    pub target: Option<(f64, bool)>,
}

impl Row {
    pub fn passed(&self) -> bool {
        match self.target {
            Some((bound, true)) => self.ratio >= bound,
            Some((bound, false)) => self.ratio <= bound,
            None => true,
        }
    }
}

/// The results as a Markdown table.
pub fn table(rows: &[Row], enforce: bool) -> String {
    let mut out = String::from(
        "| benchmark | ratio | target | result | detail |\n| --- | --- | --- | --- | --- |\n",
    );
    for row in rows {
        let target = match row.target {
            Some((bound, true)) => format!(">= {bound:.2}"),
            Some((bound, false)) => format!("<= {bound:.2}"),
            None => "-".to_owned(),
        };
        let result = match (row.target, enforce, row.passed()) {
            (None, _, _) => "-",
            (Some(_), false, _) => "not enforced (quick)",
            (Some(_), true, true) => "pass",
            (Some(_), true, false) => "MISSED",
        };
        out.push_str(&format!(
            "| {} | {:.3} | {target} | {result} | {} |\n",
            row.name, row.ratio, row.detail
        ));
    }
    out
}

/// Runs the benchmarks `args` asks for and prints the table; exit code 1
/// when a target is missed. A debug build reruns itself in release.
pub fn run(args: Bench) -> Result<u8, String> {
    if cfg!(debug_assertions) {
        return rerun_in_release(&args);
    }
    let sizes = if args.quick {
        Sizes::quick()
    } else {
        Sizes::full()
    };
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let runs = |part: BenchPart| args.only.is_none_or(|only| only == part);
    let mut rows = Vec::new();
    if runs(BenchPart::Overhead) {
        eprintln!("bench: client overhead...");
        rows.extend(overhead::overhead(sizes)?);
    }
    if runs(BenchPart::Bulk) {
        eprintln!(
            "bench: bulk ({} and {} records)...",
            sizes.bulk_records,
            sizes.bulk_records * 10
        );
        rows.extend(bulk::bulk(&exe, sizes)?);
    }
    if args.only == Some(BenchPart::Build) {
        rows.extend(build_cost::build_cost()?); // minutes: only when asked for
    }
    if runs(BenchPart::Validation) {
        eprintln!("bench: validation...");
        rows.extend(validation::validation(&exe, sizes)?);
    }
    if runs(BenchPart::Pace) {
        eprintln!("bench: bulk pace against a server that admits R requests/s...");
        rows.extend(pace::pace(sizes)?);
    }
    if runs(BenchPart::Har) {
        eprintln!("bench: import-har ({} entries)...", sizes.har_entries);
        rows.extend(har::har(sizes)?);
    }
    if runs(BenchPart::Export) {
        eprintln!("bench: redlist export (building np6 in release)...");
        let np6 = export::build_np6(true)?;
        rows.extend(export::export(&np6, sizes)?);
    }
    if args.only == Some(BenchPart::Install) {
        rows.extend(install::install()?); // minutes: only when asked for
    }
    crate::output::print(&table(&rows, sizes.enforce))?;
    let missed = sizes.enforce && rows.iter().any(|r| !r.passed());
    Ok(u8::from(missed))
}

/// Timings of a debug build mean nothing: `cargo run --release` the same
/// command.
fn rerun_in_release(args: &Bench) -> Result<u8, String> {
    use clap::ValueEnum as _;
    let mut command = std::process::Command::new(env!("CARGO"));
    command.args([
        "run",
        "--release",
        "--quiet",
        "--package",
        "xtask",
        "--",
        "bench",
    ]);
    if args.quick {
        command.arg("--quick");
    }
    if let Some(value) = args.only.and_then(|part| part.to_possible_value()) {
        command.args(["--only", value.get_name()]);
    }
    let status = command
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    Ok(status
        .code()
        .and_then(|c| u8::try_from(c).ok())
        .unwrap_or(2))
}

/// The bounce both sides send.
pub fn bounce() -> BounceData {
    BounceData::new(BounceType::HardUser)
        .with_field_id(788)
        .with_detail(BounceDetail::new().with_message("550 5.1.1 - Unknown address error"))
        .with_timestamp(
            "2008-09-05T19:06:00Z"
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap_or_default(),
        )
}

/// A runtime for one side of a benchmark: the client's thread alone.
pub fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

/// Tiny sizes: these prove each benchmark runs and reports, so that
/// `cargo xtask bench` cannot rot; a debug build's timings mean nothing
/// and no target is checked. openapi-core is not installed (no network
/// in `cargo test`).
#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Sizes {
        Sizes {
            requests_c1: 5,
            requests_c64: 64,
            rounds: 1,
            bulk_records: 100,
            fixtures: 20,
            har_entries: 200,
            openapi_core: false,
            enforce: false,
            export_entries: 2_000,
            export_pairs: 1,
            export_peers: false,
        }
    }

    #[test]
    fn the_overhead_benchmark_runs_and_both_sides_send_the_same_requests() {
        overhead::same_requests().expect("the same requests");
        let rows = overhead::overhead(tiny()).expect("overhead runs");
        assert_eq!(rows.len(), 6);
        assert!(
            rows.iter().all(|r| r.ratio.is_finite() && r.ratio > 0.0),
            "{rows:?}"
        );
        let table = table(&rows, false);
        assert!(table.contains("not enforced (quick)"), "{table}");
    }

    #[test]
    fn a_bulk_run_puts_every_record() {
        let run = bulk::bulk_run(100, true).expect("bulk runs");
        assert_eq!(run.records, 100);
        assert!(run.np6_per_second > 0.0 && run.raw_per_second.is_some_and(|r| r > 0.0));
        // Peak memory is a Linux fact (`/proc`): tested in `proc`.
    }

    #[test]
    fn the_validation_benchmark_runs_on_a_tiny_corpus() {
        let exe = std::path::Path::new("not-run: openapi_core is off");
        let rows = validation::validation(exe, tiny()).expect("validation runs");
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert!(rows[0].name.contains("20 JSON fixtures"), "{rows:?}");
        assert!(rows[1].name.contains("20 YAML fixtures"), "{rows:?}");
        assert!(
            rows.iter().all(|r| r.ratio.is_finite() && r.ratio > 0.0),
            "{rows:?}"
        );
    }

    #[test]
    fn the_pace_benchmark_runs_a_small_adaptive_job() {
        let rows = pace::pace(tiny()).expect("pace runs");
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert!(rows[0].ratio > 0.0 && rows[1].ratio >= 0.0, "{rows:?}");
        assert!(rows.iter().all(|r| r.target.is_none()), "{rows:?}");
    }

    #[test]
    fn the_har_benchmark_imports_every_entry() {
        let rows = har::har(tiny()).expect("import-har runs");
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert!(rows[0].ratio.is_finite() && rows[0].ratio > 0.0, "{rows:?}");
        assert!(rows[0].detail.contains("entries/s"), "{rows:?}");
    }

    #[test]
    fn the_export_benchmark_runs_np6_and_checks_every_entry() {
        let np6 = export::build_np6(false).expect("np6 builds");
        let rows = export::export(&np6, tiny()).expect("export runs");
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "export 20k peak memory / 64 MiB",
                "export memory 20k / 2k",
                "export time / bare transfer, server at 100 MB/s (20k)",
                "export time / bare transfer, unpaced server (20k)",
                "export time / curl \\| jq, unpaced server (20k)",
                "30-day export against 504-over-a-day server, no --chunk (20k)",
                "30-day export against 504-over-a-day server, --chunk 1d (20k)",
            ]
        );
        // A tiny export fits in the current np6: every figure is measured.
        assert!(
            rows[..3]
                .iter()
                .all(|r| r.ratio.is_finite() && r.ratio > 0.0),
            "{rows:?}"
        );
        assert!(rows[2].detail.contains("reqwest"), "{rows:?}");
        assert!(rows[3].ratio.is_finite() && rows[3].ratio > 0.0, "{rows:?}");
        assert!(rows[4].detail.starts_with("NOT MEASURED"), "{rows:?}");
        for row in [&rows[5], &rows[6]] {
            assert_eq!(row.ratio, 1.0, "{row:?}");
            assert!(
                row.detail.contains("20000 of 20000 entries once"),
                "{row:?}"
            );
        }
        // A window over a day is refused and split; one day is not.
        assert!(!rows[5].detail.contains(" 0 answered 504"), "{rows:?}");
        assert!(rows[6].detail.contains(" 0 answered 504"), "{rows:?}");
    }

    #[test]
    fn a_missed_target_is_reported_and_an_unknown_figure_is_not_a_pass() {
        let row = |ratio| Row {
            name: "x".to_owned(),
            ratio,
            detail: String::new(),
            target: Some((100.0, true)),
        };
        assert!(row(120.0).passed());
        assert!(!row(99.0).passed());
        assert!(!row(f64::NAN).passed());
        assert!(table(&[row(99.0)], true).contains("MISSED"));
    }
}
