//! Benchmark 1, `overhead`: the generated client vs hand-written reqwest code building
//! the same request from the same inputs (checked first, as the server sees
//! them) with the same connection pool settings, for a redlist GET (100
//! entries) and a bounce PUT, at concurrency 1 and 64. Calls are
//! interleaved one by one at concurrency 1, blocks alternate at 64 (see
//! [`compare`]), and raw reqwest against itself shows the method's own
//! error.

use std::future::Future;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use np6_client::types::{BounceData, RedlistEntry};
use np6_client::{Client, RetryPolicy};

use super::{Row, Sizes, bounce, runtime, server};
use crate::flags::BenchSide;

const KEY: &str = "bench-key";
/// The headers the generated client sends besides the key: progenitor's
/// `api-version` and the client's user agent. The baseline sends them too,
/// so both requests are byte for byte the same.
const API_VERSION: (&str, &str) = ("api-version", np6_client::SPEC_VERSION);
const USER_AGENT: (&str, &str) = ("user-agent", np6_client::DEFAULT_USER_AGENT);
const START: &str = "2024-03-01T00:00:00Z";

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
pub async fn drive<F, Fut>(n: usize, concurrency: usize, call: F) -> Result<f64, String>
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
pub struct Sides {
    pub client: Client,
    base: String,
    http: reqwest::Client,
    target_id: String,
    field_id: i32,
    body: BounceData,
    start: chrono::DateTime<chrono::Utc>,
}

impl Sides {
    pub fn new(base: String, retry: RetryPolicy) -> Result<Self, String> {
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
            .get_mail_redlist()
            .start_date(self.start)
            .send()
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
            .send()
            .await
            .map_err(|e| e.to_string())
    }

    pub async fn raw_put(&self) -> Result<(), String> {
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
    let (capture, received) =
        server::capturing(server::redlist_body(100)).map_err(|e| e.to_string())?;
    let sides = Sides::new(capture.base_url(), RetryPolicy::disabled())?;
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
                    .map(|request| request.canonical())
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

/// Benchmark 1: the generated client vs raw reqwest.
pub fn overhead(sizes: Sizes) -> Result<Vec<Row>, String> {
    same_requests()?;
    let server = server::immediate(server::redlist_body(100)).map_err(|e| e.to_string())?;
    let sides = Sides::new(server.base_url(), RetryPolicy::disabled())?;
    // A second baseline, with its own pool: raw reqwest against itself
    // shows what the method reads when there is no difference.
    let twin = Sides::new(server.base_url(), RetryPolicy::disabled())?;
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
                    target: Some((0.95, true)),
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

/// One side of benchmark 1 alone (for profiling with `perf`): calls per
/// second; prints the client thread's CPU time per call.
pub fn side(side: &str, call: &str, n: usize, concurrency: usize) -> Result<f64, String> {
    let server = server::immediate(server::redlist_body(100)).map_err(|e| e.to_string())?;
    let sides = Sides::new(server.base_url(), RetryPolicy::disabled())?;
    runtime()?.block_on(async {
        let cpu = super::proc::thread_cpu_ns();
        let rate = match (side, call) {
            ("np6", "get") => drive(n, concurrency, || sides.np6_get()).await,
            ("raw", "get") => drive(n, concurrency, || sides.raw_get()).await,
            ("np6", "put") => drive(n, concurrency, || sides.np6_put()).await,
            ("raw", "put") => drive(n, concurrency, || sides.raw_put()).await,
            _ => Err(format!("unknown side {side} {call}: np6|raw get|put")),
        }?;
        match (cpu, super::proc::thread_cpu_ns()) {
            (Some(before), Some(after)) => eprintln!(
                "client thread CPU: {} ns per call",
                after.saturating_sub(before) / n.max(1) as u64
            ),
            _ => eprintln!("client thread CPU: unknown (Linux /proc only)"),
        }
        Ok(rate)
    })
}

/// `cargo xtask bench-side`: prints one side's rate.
pub fn run_side(args: BenchSide) -> Result<u8, String> {
    let rate = side(&args.side, &args.call, args.requests, args.concurrency)?;
    crate::output::line(&format!(
        "{} {} c={}: {rate:.0} req/s",
        args.side, args.call, args.concurrency
    ))?;
    Ok(0)
}
