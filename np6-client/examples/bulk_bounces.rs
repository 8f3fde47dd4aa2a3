//! Bulk bounces: report every bounce of a CSV or NDJSON file, 16 at a time,
//! with a progress bar.
//!
//! ```text
//! cargo run --example bulk_bounces -- np6-client/examples/bounces.csv    # offline, sandbox NP6
//! NP6_API_KEY=... cargo run --example bulk_bounces -- bounces.ndjson --write [--rate 50]
//! ```
//!
//! CSV columns (with a header line): `target_id,field_id,type,message,timestamp`.
//! NDJSON: one object per line with the same names. `timestamp` may be empty.
//! The file is streamed: memory stays flat whatever its size.

use std::io::BufRead;
use std::path::PathBuf;

use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use np6_client::mock::Sandbox;
use np6_client::types::{BounceData, BounceDetail};
use np6_client::{ApiKey, BounceRecord, BulkOptions, Client};
use serde::Deserialize;

/// One line of the input file.
#[derive(Deserialize)]
struct Line {
    target_id: String,
    field_id: i32,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
}

impl Line {
    fn into_record(self) -> Result<BounceRecord, String> {
        let timestamp = match self
            .timestamp
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            Some(t) => Some(
                t.parse::<chrono::DateTime<chrono::Utc>>()
                    .map_err(|e| format!("timestamp {t:?}: {e}"))?,
            ),
            None => None,
        };
        Ok(BounceRecord {
            target_id: self.target_id,
            field_id: self.field_id,
            bounce: {
                let mut bounce = BounceData::new(self.kind.as_str());
                if let Some(message) = self.message.filter(|m| !m.is_empty()) {
                    bounce = bounce.with_detail(BounceDetail::new().with_message(message));
                }
                if let Some(timestamp) = timestamp {
                    bounce = bounce.with_timestamp(timestamp);
                }
                bounce
            },
        })
    }
}

struct Args {
    file: PathBuf,
    write: bool,
    rate: Option<f64>,
    concurrency: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut file = None;
    let (mut write, mut rate, mut concurrency) = (false, None, 16);
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--write" => write = true,
            "--rate" => {
                rate = Some(
                    it.next()
                        .and_then(|v| v.parse().ok())
                        .ok_or("--rate takes requests per second")?,
                )
            }
            "--concurrency" => {
                concurrency = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--concurrency takes a number")?
            }
            other if !other.starts_with("--") && file.is_none() => {
                file = Some(PathBuf::from(other))
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let file = file
        .ok_or("usage: bulk_bounces FILE.csv|FILE.ndjson [--write] [--rate N] [--concurrency N]")?;
    Ok(Args {
        file,
        write,
        rate,
        concurrency,
    })
}

/// Streams the records of the file from a reader thread, through a small
/// bounded channel; bad lines are reported and skipped.
fn read_records(
    file: PathBuf,
    progress: ProgressBar,
) -> Result<tokio::sync::mpsc::Receiver<BounceRecord>, String> {
    let reader = std::io::BufReader::new(
        std::fs::File::open(&file).map_err(|e| format!("{}: {e}", file.display()))?,
    );
    let ndjson = file
        .extension()
        .is_some_and(|e| e == "ndjson" || e == "jsonl");
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    std::thread::spawn(move || {
        let send =
            |number: usize, line: Result<Line, String>| match line.and_then(Line::into_record) {
                Ok(record) => tx.blocking_send(record).is_ok(),
                Err(e) => {
                    note(&progress, format!("line {number}: skipped: {e}"));
                    progress.inc(1);
                    true
                }
            };
        if ndjson {
            for (i, line) in reader.lines().enumerate() {
                let parsed = line
                    .map_err(|e| e.to_string())
                    .and_then(|l| serde_json::from_str(&l).map_err(|e| e.to_string()));
                if !send(i + 1, parsed) {
                    return;
                }
            }
        } else {
            let mut csv = csv::Reader::from_reader(reader);
            for (i, row) in csv.deserialize::<Line>().enumerate() {
                if !send(i + 2, row.map_err(|e| e.to_string())) {
                    return;
                }
            }
        }
    });
    Ok(rx)
}

/// A line above the bar, or on stderr when there is no terminal to draw on.
fn note(progress: &ProgressBar, message: String) {
    if progress.is_hidden() {
        eprintln!("{message}");
    } else {
        progress.println(message);
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let args = parse_args()?;
    let mut _sandbox = None;
    let client = match ApiKey::from_env() {
        Some(key) if args.write => {
            let mut builder = Client::builder().api_key(key);
            if let Ok(url) = std::env::var("NP6_BASE_URL") {
                builder = builder.base_url(url);
            }
            builder.build().map_err(|e| e.to_string())?
        }
        Some(_) => {
            return Err(
                "NP6_API_KEY is set: this sends bounces to NP6, pass --write to confirm".to_owned(),
            );
        }
        None => {
            let sandbox = Sandbox::start().await.map_err(|e| e.to_string())?;
            let client = sandbox.client().clone();
            println!(
                "NP6_API_KEY is not set: sending to a local mock NP6 at {}",
                client.base_url()
            );
            _sandbox = Some(sandbox);
            client
        }
    };

    // A first pass counts the lines for the bar; it holds nothing in memory.
    let total = std::io::BufReader::new(
        std::fs::File::open(&args.file).map_err(|e| format!("{}: {e}", args.file.display()))?,
    )
    .lines()
    .count()
    .saturating_sub(usize::from(
        !args
            .file
            .extension()
            .is_some_and(|e| e == "ndjson" || e == "jsonl"),
    ));
    let progress = ProgressBar::new(total as u64);
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} bounces  {per_sec}  {msg}")
            .map_err(|e| e.to_string())?,
    );
    let mut records = read_records(args.file.clone(), progress.clone())?;
    let stream = futures_util::stream::poll_fn(move |cx| records.poll_recv(cx));
    let mut options = BulkOptions::default().concurrency(args.concurrency);
    if let Some(rate) = args.rate {
        options = options.rate_limit(rate);
    }
    let mut job = client.put_bounces(stream, options);
    while let Some(outcome) = job.next().await {
        if let Err(e) = outcome.result {
            note(&progress, format!("record {}: {e}", outcome.index));
        }
        progress.inc(1);
        let summary = job.summary();
        progress.set_message(format!("{} failed", summary.failed));
    }
    progress.finish();
    let summary = job.summary();
    println!(
        "{} bounces sent, {} failed, in {:.1?}",
        summary.succeeded, summary.failed, summary.elapsed
    );
    Ok(())
}
