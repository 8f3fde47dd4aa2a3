//! `cargo xtask bench`: the client against the physical limit of the
//! transport, each figure a ratio against a baseline run in the same process.
//!
//! 1. Overhead: the generated client vs hand-written reqwest code building
//!    the same request from the same inputs (checked first, as the server
//!    sees them) with the same connection pool settings, for a redlist GET
//!    (100 entries) and a bounce PUT, at concurrency 1 and 64. Calls are
//!    interleaved one by one at concurrency 1, blocks alternate at 64 (see
//!    `compare`), and raw reqwest against itself shows the method's own
//!    error. Target >= 0.97.
//! 2. Bulk: `put_bounces` against a server that answers after 5 ms, at
//!    concurrency 64: throughput vs the ideal 64 / 5 ms (target >= 0.90) and
//!    vs raw reqwest with the same window; peak memory (VmHWM) with 10x the
//!    records, in a fresh process each (target <= 1.2x).
//! 3. Validation: `validate` over a generated corpus, vs parsing alone.

use std::future::Future;
use std::path::Path;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use np6_client::types::{BounceData, BounceDetail, BounceType, RedlistEntry};
use np6_client::{BounceRecord, BulkOptions, Client, RetryPolicy};

use crate::bench_server;

const KEY: &str = "bench-key";
/// The headers the generated client sends besides the key: progenitor's
/// `api-version` and the client's user agent. The baseline sends them too,
/// so both requests are byte for byte the same.
const API_VERSION: (&str, &str) = ("api-version", np6_client::spec::API_VERSION);
const USER_AGENT: (&str, &str) = ("user-agent", np6_client::DEFAULT_USER_AGENT);
const START: &str = "2024-03-01T00:00:00Z";

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
    /// Whether the targets are enforced (not for the quick smoke run).
    pub enforce: bool,
}

impl Sizes {
    /// The sizes of the issue: 100,000 and 1,000,000 bulk records.
    pub fn full() -> Self {
        Self {
            requests_c1: 400,
            requests_c64: 3_000,
            rounds: 101,
            bulk_records: 100_000,
            fixtures: 10_000,
            enforce: true,
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
            enforce: false,
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

fn bounce() -> BounceData {
    BounceData {
        type_: BounceType::HardUser,
        field_id: Some(788),
        detail: Some(BounceDetail {
            message: Some("550 5.1.1 - Unknown address error".to_owned()),
        }),
        timestamp: Some("2008-09-05T19:06:00Z".parse().unwrap_or_default()),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

/// The baseline's `reqwest::Client`, set up as np6-client sets up its own:
/// 10 s connect and 30 s request timeouts, no redirects. Raw reqwest as one
/// would configure it for production: both sides pay for a request timer.
fn http_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())
}

/// Runs `n` calls, `concurrency` at a time; returns calls per second.
async fn drive<F, Fut>(n: usize, concurrency: usize, call: F) -> Result<f64, String>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let started = Instant::now();
    let mut calls = futures_util::stream::iter(0..n)
        .map(|_| call())
        .buffer_unordered(concurrency);
    while let Some(result) = calls.next().await {
        result?;
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

/// Throughput of `a` relative to `b`: the median of `blocks` block ratios,
/// and the mean rates of each side.
///
/// - At concurrency 1, calls are interleaved one by one (which side goes
///   first alternates), each timed, and a block of `n` pairs compares the
///   time each side spent. One call is then a few scheduler wakeups whose
///   latency drifts on a shared machine; interleaving call by call puts
///   both sides under the same conditions to the microsecond, which blocks
///   lasting a fraction of a second do not.
/// - Above, a block runs `n` calls of each side back to back (which goes
///   first alternates): adjacent runs share the machine's state of the
///   moment, and the median resists the rest of the noise.
async fn compare<A, AF, B, BF>(
    n: usize,
    concurrency: usize,
    blocks: usize,
    a: A,
    b: B,
) -> Result<(f64, f64, f64), String>
where
    A: Fn() -> AF,
    AF: Future<Output = Result<(), String>>,
    B: Fn() -> BF,
    BF: Future<Output = Result<(), String>>,
{
    async fn timed<F: Future<Output = Result<(), String>>>(call: F) -> Result<Duration, String> {
        let started = Instant::now();
        call.await?;
        Ok(started.elapsed())
    }
    // Warm up: connections, allocator, caches.
    drive(n / 2 + 1, concurrency, &a).await?;
    drive(n / 2 + 1, concurrency, &b).await?;
    let mut ratios = Vec::with_capacity(blocks);
    let (mut sum_a, mut sum_b) = (0.0, 0.0);
    for block in 0..blocks {
        let (rate_a, rate_b) = if concurrency == 1 {
            let (mut time_a, mut time_b) = (Duration::ZERO, Duration::ZERO);
            for pair in 0..n {
                if pair % 2 == 0 {
                    time_a += timed(a()).await?;
                    time_b += timed(b()).await?;
                } else {
                    time_b += timed(b()).await?;
                    time_a += timed(a()).await?;
                }
            }
            (
                n as f64 / time_a.as_secs_f64(),
                n as f64 / time_b.as_secs_f64(),
            )
        } else if block % 2 == 0 {
            let rate_a = drive(n, concurrency, &a).await?;
            (rate_a, drive(n, concurrency, &b).await?)
        } else {
            let rate_b = drive(n, concurrency, &b).await?;
            (drive(n, concurrency, &a).await?, rate_b)
        };
        ratios.push(rate_a / rate_b);
        sum_a += rate_a;
        sum_b += rate_b;
    }
    ratios.sort_by(f64::total_cmp);
    let median = ratios[ratios.len() / 2];
    Ok((median, sum_a / blocks as f64, sum_b / blocks as f64))
}

/// The two sides of a comparison: the generated client and hand-written
/// reqwest code, with the same connection pool settings, sending the same
/// request built from the same inputs (`same_requests` proves it).
struct Sides {
    base: String,
    http: reqwest::Client,
    client: Client,
    target_id: String,
    field_id: i32,
    body: BounceData,
    start: chrono::DateTime<chrono::Utc>,
}

impl Sides {
    fn new(base: String, retry: RetryPolicy) -> Result<Self, String> {
        // Two pools with the same settings: np6-client builds its own
        // (connect 10 s, request 30 s, no redirects: its defaults), the
        // baseline gets the same from `http_client`.
        let http = http_client()?;
        let client = Client::builder()
            .api_key(KEY)
            .base_url(&base)
            .retry(retry)
            .build()
            .map_err(|e| e.to_string())?;
        let start = START
            .parse()
            .map_err(|e: chrono::ParseError| e.to_string())?;
        Ok(Self {
            base,
            http,
            client,
            target_id: "0003YB53".to_owned(),
            field_id: 788,
            body: bounce(),
            start,
        })
    }

    async fn np6_get(&self) -> Result<(), String> {
        let entries = self
            .client
            .get_mail_redlist(Some(&self.start), None)
            .await
            .map_err(|e| e.to_string())?;
        (entries.len() == 100)
            .then_some(())
            .ok_or_else(|| "wrong entry count".to_owned())
    }

    async fn raw_get(&self) -> Result<(), String> {
        let response = self
            .http
            .get(format!("{}/targets/redlist/mail", self.base))
            .query(&[(
                "startDate",
                self.start
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            )])
            .header("X-Key", KEY)
            .header(API_VERSION.0, API_VERSION.1)
            .header(USER_AGENT.0, USER_AGENT.1)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| e.to_string())?
            .error_for_status()
            .map_err(|e| e.to_string())?;
        let entries: Vec<RedlistEntry> = response.json().await.map_err(|e| e.to_string())?;
        (entries.len() == 100)
            .then_some(())
            .ok_or_else(|| "wrong entry count".to_owned())
    }

    async fn np6_put(&self) -> Result<(), String> {
        self.client
            .put_target_bounce(&self.target_id, self.field_id, &self.body)
            .await
            .map_err(|e| e.to_string())
    }

    async fn raw_put(&self) -> Result<(), String> {
        let response = self
            .http
            .put(format!(
                "{}/targets/{}/bounces/{}",
                self.base, self.target_id, self.field_id
            ))
            .header("X-Key", KEY)
            .header(API_VERSION.0, API_VERSION.1)
            .header(USER_AGENT.0, USER_AGENT.1)
            .json(&self.body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        (response.status() == 204)
            .then_some(())
            .ok_or_else(|| format!("status {}", response.status()))
    }
}

/// Checks that both sides of benchmark 1 send the same requests, as a
/// server receives them: the request line, the set of headers and the
/// body (header order is the HTTP library's business, not a difference).
///
/// # Errors
///
/// A description of the first difference.
pub fn same_requests() -> Result<(), String> {
    let (address, received) = capture_server().map_err(|e| e.to_string())?;
    let sides = Sides::new(format!("http://{address}"), RetryPolicy::disabled())?;
    runtime()?.block_on(async {
        for (call, np6, raw) in [
            ("GET", sides.np6_get().await, sides.raw_get().await),
            ("PUT", sides.np6_put().await, sides.raw_put().await),
        ] {
            np6.map_err(|e| format!("np6-client {call}: {e}"))?;
            raw.map_err(|e| format!("raw reqwest {call}: {e}"))?;
            let seen = || {
                received
                    .recv_timeout(Duration::from_secs(5))
                    .map_err(|_| format!("{call}: the capture server saw no request"))
                    .map(|bytes| canonical_request(&bytes))
            };
            let (np6, raw) = (seen()?, seen()?);
            if np6 != raw {
                return Err(format!(
                    "the two sides send different {call} requests:\nnp6-client:\n{np6}\nraw reqwest:\n{raw}"
                ));
            }
        }
        Ok(())
    })
}

/// A request as text: its request line, its headers (names lowercased)
/// sorted, then its body.
pub fn canonical_request(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_owned();
    let mut headers: Vec<String> = lines
        .map(|line| match line.split_once(':') {
            Some((name, value)) => format!("{}: {}", name.to_ascii_lowercase(), value.trim()),
            None => line.to_owned(),
        })
        .collect();
    headers.sort();
    format!("{request_line}\n{}\n\n{body}", headers.join("\n"))
}

/// A server that hands every request it receives, as bytes, to the
/// returned channel, and answers as the benchmark server does.
fn capture_server() -> std::io::Result<(std::net::SocketAddr, std::sync::mpsc::Receiver<Vec<u8>>)> {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let address = listener.local_addr()?;
    let (sender, receiver) = std::sync::mpsc::channel();
    let redlist = bench_server::redlist_body(100);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (sender, redlist) = (sender.clone(), redlist.clone());
            std::thread::spawn(move || {
                let Ok(mut writer) = stream.try_clone() else {
                    return;
                };
                let mut reader = BufReader::new(stream);
                loop {
                    let mut request = Vec::new();
                    let mut length = 0usize;
                    loop {
                        let mut line = String::new();
                        match reader.read_line(&mut line) {
                            Ok(0) | Err(_) => return,
                            Ok(_) => {}
                        }
                        if let Some((name, value)) = line.split_once(':')
                            && name.eq_ignore_ascii_case("content-length")
                        {
                            length = value.trim().parse().unwrap_or(0);
                        }
                        request.extend_from_slice(line.as_bytes());
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    request.extend_from_slice(&body);
                    let answer = if request.starts_with(b"GET ") {
                        let mut answer = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                            redlist.len()
                        )
                        .into_bytes();
                        answer.extend_from_slice(&redlist);
                        answer
                    } else {
                        b"HTTP/1.1 204 No Content\r\n\r\n".to_vec()
                    };
                    if sender.send(request).is_err() || writer.write_all(&answer).is_err() {
                        return;
                    }
                }
            });
        }
    });
    Ok((address, receiver))
}

/// Benchmark 1: the generated client vs raw reqwest.
pub fn overhead(sizes: Sizes) -> Result<Vec<Row>, String> {
    same_requests()?;
    let address = bench_server::start(bench_server::redlist_body(100), Duration::ZERO)
        .map_err(|e| e.to_string())?;
    let sides = Sides::new(format!("http://{address}"), RetryPolicy::disabled())?;
    // A second baseline, with its own pool: raw reqwest against itself
    // shows what the method reads when there is no difference.
    let twin = Sides::new(format!("http://{address}"), RetryPolicy::disabled())?;
    runtime()?.block_on(async {
        let mut rows = Vec::new();
        let (n1, n64, blocks) = (sizes.requests_c1, sizes.requests_c64, sizes.rounds);
        for concurrency in [1, 64] {
            let cases = [
                (format!("redlist GET, 100 entries, concurrency {concurrency}"), true),
                (format!("bounce PUT, concurrency {concurrency}"), false),
            ];
            for (name, get) in cases {
                let n = if concurrency == 1 { n1 } else { n64 };
                let (ratio, np6, raw) = if get {
                    compare(n, concurrency, blocks, || sides.np6_get(), || sides.raw_get()).await?
                } else {
                    compare(n, concurrency, blocks, || sides.np6_put(), || sides.raw_put()).await?
                };
                let how = if concurrency == 1 {
                    format!("{n} interleaved pairs of calls")
                } else {
                    format!("{n} calls a side, back to back")
                };
                rows.push(Row {
                    name,
                    ratio,
                    detail: format!(
                        "median of {blocks} blocks of {how}; mean np6-client {np6:.0} req/s, raw reqwest {raw:.0} req/s"
                    ),
                    target: Some((0.97, true)),
                });
            }
        }
        for concurrency in [1, 64] {
            let n = if concurrency == 1 { n1 } else { n64 };
            let (ratio, _, _) =
                compare(n, concurrency, blocks, || twin.raw_put(), || sides.raw_put()).await?;
            rows.push(Row {
                name: format!("check: raw reqwest vs itself, bounce PUT, concurrency {concurrency}"),
                ratio,
                detail: "the method's reading when both sides are the same code".to_owned(),
                target: None,
            });
        }
        Ok(rows)
    })
}

/// What one bulk run measured (printed as JSON by the child process).
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct BulkRun {
    pub records: u64,
    pub np6_per_second: f64,
    pub raw_per_second: Option<f64>,
    pub peak_rss_kib: u64,
}

/// Benchmark 2, one size, in this process: `records` bounces at
/// concurrency 64 against a server that answers after 5 ms.
pub fn bulk_run(records: u64, with_baseline: bool) -> Result<BulkRun, String> {
    let address = bench_server::start(bench_server::redlist_body(1), Duration::from_millis(5))
        .map_err(|e| e.to_string())?;
    let sides = Sides::new(format!("http://{address}"), RetryPolicy::default())?;
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
            peak_rss_kib: peak_rss_kib(),
        })
    })
}

/// The process's peak resident memory (Linux `VmHWM`), 0 where unknown.
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
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
        Row {
            name: format!(
                "bulk peak memory, {} vs {} bounces",
                large.records, small_alone.records
            ),
            ratio: large.peak_rss_kib as f64 / small_alone.peak_rss_kib.max(1) as f64,
            detail: format!(
                "{} KiB vs {} KiB (VmHWM)",
                large.peak_rss_kib, small_alone.peak_rss_kib
            ),
            target: Some((1.2, false)),
        },
    ])
}

/// Benchmark 3: `validate` over a generated corpus, vs parsing alone.
pub fn validation(sizes: Sizes) -> Result<Vec<Row>, String> {
    let model = crate::model::Model::load(&crate::default_spec())
        .map_err(|issues| format!("{issues:?}"))?;
    let corpus = crate::fixture_files(&[crate::default_fixtures()]).map_err(|e| e.to_string())?;
    let dir = std::env::temp_dir().join(format!("np6-bench-fixtures-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let mut files = Vec::with_capacity(sizes.fixtures);
    for i in 0..sizes.fixtures {
        let source = &corpus[i % corpus.len()];
        let path = dir.join(format!("{i:05}.yaml"));
        std::fs::copy(source, &path).map_err(|e| e.to_string())?;
        files.push(path);
    }
    let started = Instant::now();
    for file in &files {
        crate::validate::load(file).map_err(|i| i.message)?;
    }
    let parse = started.elapsed();
    let started = Instant::now();
    let report = crate::validate::run(&model, &files);
    let validate = started.elapsed();
    let _ = std::fs::remove_dir_all(&dir);
    if !report.ok() {
        return Err(report.text("validate"));
    }
    let n = files.len() as f64;
    Ok(vec![Row {
        name: format!(
            "validate, {} fixtures: throughput vs parsing alone",
            files.len()
        ),
        ratio: parse.as_secs_f64() / validate.as_secs_f64(),
        detail: format!(
            "{:.0} exchanges/s, {:.2} s in all (parsing alone {:.0}/s)",
            n / validate.as_secs_f64(),
            validate.as_secs_f64(),
            n / parse.as_secs_f64()
        ),
        target: None,
    }])
}

/// CPU time of the calling thread so far (Linux schedstat), in ns.
pub fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// One side of benchmark 1 alone (for profiling with `perf`): calls per
/// second; prints the client thread's CPU time per call.
pub fn side(side: &str, call: &str, n: usize, concurrency: usize) -> Result<f64, String> {
    let address = bench_server::start(bench_server::redlist_body(100), Duration::ZERO)
        .map_err(|e| e.to_string())?;
    let sides = Sides::new(format!("http://{address}"), RetryPolicy::disabled())?;
    runtime()?.block_on(async {
        let cpu = thread_cpu_ns();
        let rate = match (side, call) {
            ("np6", "get") => drive(n, concurrency, || sides.np6_get()).await,
            ("raw", "get") => drive(n, concurrency, || sides.raw_get()).await,
            ("np6", "put") => drive(n, concurrency, || sides.np6_put()).await,
            ("raw", "put") => drive(n, concurrency, || sides.raw_put()).await,
            _ => Err(format!("unknown side {side} {call}: np6|raw get|put")),
        }?;
        eprintln!(
            "client thread CPU: {} ns per call",
            (thread_cpu_ns() - cpu) / n.max(1) as u64
        );
        Ok(rate)
    })
}
