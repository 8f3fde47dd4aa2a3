//! A loopback NP6 for measurements and tests: it admits a set rate of
//! requests (a token bucket) and answers `429` with `Retry-After` beyond
//! it, can reject some targets or answer slowly, and counts everything it
//! receives.
//!
//! It answers `PUT /targets/{id}/bounces/{fieldId}` with `204` (or `400`
//! for an id starting with the configured prefix), the redlists with `[]`,
//! anything else with `404`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};

/// How a [`FaultServer`] behaves.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct FaultConfig {
    rate: Option<f64>,
    burst: Option<f64>,
    reject_prefix: Option<String>,
    delay: Duration,
    stall: Option<(Duration, Duration)>,
    key: Option<String>,
}

impl FaultConfig {
    /// Admits this many requests per second (a token bucket); `429` with
    /// `Retry-After` beyond. Default: admits everything.
    pub fn rate(mut self, per_second: f64) -> Self {
        self.rate = Some(per_second.max(0.001));
        self
    }

    /// The bucket's size: how many requests may come at once after a quiet
    /// time. Default: a tenth of a second's worth, at least 1.
    pub fn burst(mut self, requests: f64) -> Self {
        self.burst = Some(requests.max(1.0));
        self
    }

    /// Answers `400` to bounces of targets whose id starts with this.
    pub fn reject_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.reject_prefix = Some(prefix.into());
        self
    }

    /// Waits this long before each answer. Default: none.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Answers `401` to requests whose `X-Key` is not this one. Default:
    /// any key is accepted.
    pub fn require_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Stalls once, `after` the start, for `length`: requests arriving
    /// meanwhile are held, then all admitted or refused at its end (a
    /// server's brief pause). Default: no stall.
    pub fn stall(mut self, after: Duration, length: Duration) -> Self {
        self.stall = Some((after, length));
        self
    }
}

/// What a [`FaultServer`] has received so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultCounts {
    /// Requests received, counted as they arrive (before any delay).
    pub received: u64,
    /// Requests that reached the rate check, after any delay or stall.
    pub requests: u64,
    /// Of those, answered `429`.
    pub throttled: u64,
    /// Bounces recorded (`204`), by target id.
    pub bounces: HashMap<String, u32>,
    /// Requests admitted in each tenth of a second since the start.
    pub admitted_per_tick: Vec<u32>,
    /// The query strings of the redlist requests admitted (the first 1,000).
    pub redlist_queries: Vec<String>,
}

/// The length of one `admitted_per_tick` entry.
pub const TICK: Duration = Duration::from_millis(100);
/// Ticks counted: ten minutes.
const MAX_TICKS: usize = 6_000;

/// A running fault server; stops when dropped.
#[derive(Debug)]
pub struct FaultServer {
    address: SocketAddr,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Debug)]
struct State {
    config: FaultConfig,
    started: Instant,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    counts: FaultCounts,
    tokens: f64,
    refilled: Instant,
}

impl FaultServer {
    /// Starts a server on a free loopback port.
    ///
    /// # Errors
    ///
    /// When no port can be bound.
    pub async fn start(config: FaultConfig) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let now = Instant::now();
        let tokens = bucket_size(&config);
        let state = Arc::new(State {
            config,
            started: now,
            inner: Mutex::new(Inner {
                counts: FaultCounts::default(),
                tokens,
                refilled: now,
            }),
        });
        let served = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let state = served.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| answer(state.clone(), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .timer(TokioTimer::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Self {
            address,
            state,
            task,
        })
    }

    /// The base URL, e.g. `http://127.0.0.1:41327`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// What it has received so far.
    pub fn counts(&self) -> FaultCounts {
        self.state.lock().counts.clone()
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl State {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes a token: `Ok` when admitted, else the wait until the next one.
    fn admit(&self) -> Result<(), Duration> {
        let now = Instant::now();
        let mut inner = self.lock();
        inner.counts.requests += 1;
        if let Some(rate) = self.config.rate {
            let refill = now.saturating_duration_since(inner.refilled).as_secs_f64() * rate;
            inner.tokens = (inner.tokens + refill).min(bucket_size(&self.config));
            inner.refilled = now;
            if inner.tokens < 1.0 {
                inner.counts.throttled += 1;
                let wait = (1.0 - inner.tokens) / rate;
                return Err(Duration::try_from_secs_f64(wait).unwrap_or(Duration::MAX));
            }
            inner.tokens -= 1.0;
        }
        let tick =
            (now.saturating_duration_since(self.started).as_millis() / TICK.as_millis()) as usize;
        if tick < MAX_TICKS {
            let ticks = &mut inner.counts.admitted_per_tick;
            if ticks.len() <= tick {
                ticks.resize(tick + 1, 0);
            }
            ticks[tick] += 1;
        }
        Ok(())
    }
}

fn bucket_size(config: &FaultConfig) -> f64 {
    config
        .burst
        .unwrap_or_else(|| config.rate.map_or(1.0, |rate| rate / 10.0))
        .max(1.0)
}

async fn answer(
    state: Arc<State>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    state.lock().counts.received += 1;
    let (parts, body) = request.into_parts();
    // Read (at most 64 KiB of) the body, as a server would.
    let _ = Limited::new(body, 64 * 1024).collect().await;
    if let Some(key) = &state.config.key {
        let sent = parts.headers.get("x-key").map(|v| v.as_bytes());
        if sent != Some(key.as_bytes()) {
            return Ok(reply(
                StatusCode::UNAUTHORIZED,
                &[("x-request-id", "fault-401")],
                "bad key",
            ));
        }
    }
    if !state.config.delay.is_zero() {
        tokio::time::sleep(state.config.delay).await;
    }
    if let Some((after, length)) = state.config.stall {
        let since = state.started.elapsed();
        if since >= after && since < after.saturating_add(length) {
            tokio::time::sleep(after.saturating_add(length) - since).await;
        }
    }
    if let Err(wait) = state.admit() {
        // Whole seconds, at least one (RFC 9110 10.2.3).
        let seconds = wait
            .as_secs()
            .saturating_add(u64::from(wait.subsec_nanos() > 0))
            .max(1);
        return Ok(reply(
            StatusCode::TOO_MANY_REQUESTS,
            &[("retry-after", &seconds.to_string())],
            "slow down",
        ));
    }
    let segments: Vec<&str> = parts.uri.path().split('/').collect();
    Ok(match (parts.method.as_str(), segments.as_slice()) {
        ("PUT", ["", "targets", id, "bounces", _field]) => {
            let id = percent_decode(id);
            let rejected = state
                .config
                .reject_prefix
                .as_deref()
                .is_some_and(|prefix| id.starts_with(prefix));
            if rejected {
                reply(
                    StatusCode::BAD_REQUEST,
                    &[("x-request-id", "fault-400")],
                    "{\"message\":\"rejected target\"}",
                )
            } else {
                *state.lock().counts.bounces.entry(id).or_default() += 1;
                reply(StatusCode::NO_CONTENT, &[], "")
            }
        }
        ("GET", ["", "targets", "redlist", "mail" | "sms"]) => {
            let queries = &mut state.lock().counts.redlist_queries;
            if queries.len() < 1_000 {
                queries.push(parts.uri.query().unwrap_or_default().to_owned());
            }
            reply(
                StatusCode::OK,
                &[("content-type", "application/json")],
                "[]",
            )
        }
        _ => reply(StatusCode::NOT_FOUND, &[], "not found"),
    })
}

fn reply(status: StatusCode, headers: &[(&str, &str)], body: &str) -> Response<Full<Bytes>> {
    let mut builder = Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

fn percent_decode(segment: &str) -> String {
    np6_client::spec::match_path("/{id}", &format!("/{segment}"))
        .ok()
        .flatten()
        .and_then(|params| params.into_iter().next())
        .map_or_else(|| segment.to_owned(), |(_, id)| id)
}
