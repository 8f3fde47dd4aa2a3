//! Many calls with bounded concurrency, a pace (fixed or adaptive), and a
//! per-record outcome: the common bulk job (bounces from a mail server).
//!
//! The pace counts attempts, not records: each attempt of each call, a
//! retry as much as a first try, waits for its turn in [`pace`], which the
//! runtime consults through [`pace::current`].

pub(crate) mod pace;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_util::stream::{BoxStream, Stream, StreamExt};

use crate::types::BounceData;
use crate::{Client, Error};

/// How a bulk job runs.
///
/// ```
/// let options = np6_client::BulkOptions::default().concurrency(32).rate_limit(200.0);
/// assert_eq!(options.concurrency_limit(), 32);
/// let adaptive = np6_client::BulkOptions::default().adaptive(true);
/// assert!(adaptive.is_adaptive());
/// ```
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct BulkOptions {
    concurrency: usize,
    rate_limit: Option<f64>,
    adaptive: bool,
}

impl Default for BulkOptions {
    fn default() -> Self {
        Self {
            concurrency: 16,
            rate_limit: None,
            adaptive: false,
        }
    }
}

impl BulkOptions {
    /// The most calls in flight at once. Default 16; 0 counts as 1. Only
    /// this many records are held in memory at a time.
    pub fn concurrency(mut self, calls: usize) -> Self {
        self.concurrency = calls.max(1);
        self
    }

    /// The concurrency in force.
    pub fn concurrency_limit(&self) -> usize {
        self.concurrency
    }

    /// Starts no more than this many attempts per second, evenly spaced:
    /// every attempt counts, a retry as much as a record's first try.
    /// Default: no limit. A value that is not positive and finite means no
    /// limit; a rate under one attempt an hour counts as one an hour. In
    /// [adaptive](Self::adaptive) mode, the most the pace climbs to.
    pub fn rate_limit(mut self, per_second: f64) -> Self {
        self.rate_limit = (per_second.is_finite() && per_second > 0.0).then_some(per_second);
        self
    }

    /// Lets the pace find the server's: the rate of attempts and the number
    /// in flight (up to [`concurrency`](Self::concurrency)) grow while the
    /// server answers, and shrink multiplicatively on `429`, `503` or a
    /// timeout, as the AWS SDKs' adaptive retry mode does. A record's retry
    /// still waits the server's `Retry-After`. It starts at 10 attempts per
    /// second and doubles about every half second until the first sign of
    /// overload. Default: off.
    pub fn adaptive(mut self, yes: bool) -> Self {
        self.adaptive = yes;
        self
    }

    /// Whether the pace is adaptive.
    pub fn is_adaptive(&self) -> bool {
        self.adaptive
    }

    /// The pacer of a job, when it has a pace.
    fn pacer(&self) -> Option<Arc<pace::Pacer>> {
        if self.adaptive {
            Some(pace::Pacer::new(
                pace::Mode::Adaptive,
                self.rate_limit,
                self.concurrency,
            ))
        } else {
            self.rate_limit
                .map(|rate| pace::Pacer::new(pace::Mode::Fixed, Some(rate), self.concurrency))
        }
    }
}

/// The outcome of one record.
#[derive(Debug)]
pub struct BulkOutcome<T> {
    /// The record's position in the input, from 0.
    pub index: u64,
    /// The call's result (after the client's retries).
    pub result: Result<T, Error>,
}

/// Counts of a bulk job so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BulkSummary {
    /// Records whose call has finished.
    pub done: u64,
    /// Of those, the successes.
    pub succeeded: u64,
    /// Of those, the failures.
    pub failed: u64,
    /// Time since the job started.
    pub elapsed: Duration,
}

/// The outcomes of a bulk job, as they complete (not in input order).
///
/// Dropping it cancels the calls in flight and starts no new ones.
///
/// It is a `Stream` of [`BulkOutcome`]s: the `futures-core` 0.3 trait, the
/// one async code shares (read it with `futures_util::StreamExt` or
/// `tokio_stream::StreamExt`), and so a public dependency, chosen on
/// purpose.
pub struct Bulk<T> {
    inner: BoxStream<'static, BulkOutcome<T>>,
    summary: Arc<Mutex<BulkSummary>>,
    started: Instant,
    pacer: Option<Arc<pace::Pacer>>,
}

impl<T> Bulk<T> {
    /// The counts so far; final once the stream has ended.
    pub fn summary(&self) -> BulkSummary {
        let mut summary = *self.summary.lock().unwrap_or_else(PoisonError::into_inner);
        summary.elapsed = self.started.elapsed();
        summary
    }

    /// The pace in force: attempts per second, and the most attempts in
    /// flight. `None` when the job has no pace (no rate limit, not
    /// adaptive). In adaptive mode it moves with the server's answers.
    pub fn pace(&self) -> Option<(f64, usize)> {
        self.pacer.as_ref().map(|pacer| pacer.current_limits())
    }

    /// Runs the job to the end, discarding the outcomes; returns the summary.
    pub async fn finish(mut self) -> BulkSummary {
        while self.next().await.is_some() {}
        self.summary()
    }
}

impl<T> Stream for Bulk<T> {
    type Item = BulkOutcome<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

impl<T> std::fmt::Debug for Bulk<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bulk")
            .field("summary", &self.summary())
            .finish()
    }
}

/// One bounce to report: where, and what.
#[derive(Debug, Clone, PartialEq)]
pub struct BounceRecord {
    /// The target id.
    pub target_id: String,
    /// The contact field that bounced.
    pub field_id: i32,
    /// The bounce; its `field_id` may be left `None`.
    pub bounce: BounceData,
}

impl Client {
    /// Runs `call` for every record of `records`, at most
    /// [`BulkOptions::concurrency`] at once, paced by
    /// [`BulkOptions::rate_limit`] or [`BulkOptions::adaptive`]: every
    /// attempt of the calls `call` makes waits for its turn, retries
    /// included (calls that `call` hands to other tasks, with
    /// `tokio::spawn`, are not paced). Each call gets the client's retries
    /// and deadline; waiting for its first turn does not count against the
    /// deadline. Records are pulled only when a slot is free, so memory stays
    /// flat whatever the input size.
    ///
    /// Works with any operation; [`put_bounces`](Self::put_bounces) is this
    /// for bounces.
    ///
    /// ```
    /// use futures_util::StreamExt;
    /// use np6_client::BulkOptions;
    ///
    /// # async fn run(client: np6_client::Client) {
    /// let windows = futures_util::stream::iter(0..30);
    /// let mut job = client.bulk(windows, BulkOptions::default().concurrency(4), |client, days_ago| async move {
    ///     let since = chrono::Utc::now() - chrono::Duration::days(days_ago);
    ///     client.get_mail_redlist().start_date(since).send().await.map(|entries| entries.len())
    /// });
    /// while let Some(outcome) = job.next().await {
    ///     println!("{}: {:?}", outcome.index, outcome.result.map_err(|e| e.to_string()));
    /// }
    /// println!("{:?}", job.summary());
    /// # }
    /// ```
    pub fn bulk<R, T, S, F, Fut>(&self, records: S, options: BulkOptions, call: F) -> Bulk<T>
    where
        S: Stream<Item = R> + Send + 'static,
        R: Send + 'static,
        T: Send + 'static,
        F: Fn(Client, R) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, Error>> + Send + 'static,
    {
        let summary = Arc::new(Mutex::new(BulkSummary::default()));
        let counts = summary.clone();
        let client = self.clone();
        let call = Arc::new(call);
        let pacer = options.pacer();
        let job_pacer = pacer.clone();
        let inner = records
            .enumerate()
            .map(move |(index, record)| {
                let (client, call) = (client.clone(), call.clone());
                let pacer = job_pacer.clone();
                async move {
                    let result = match pacer {
                        Some(pacer) => pace::paced(pacer, call(client, record)).await,
                        None => call(client, record).await,
                    };
                    BulkOutcome {
                        index: index as u64,
                        result,
                    }
                }
            })
            .buffer_unordered(options.concurrency)
            .inspect(move |outcome| {
                let mut counts = counts.lock().unwrap_or_else(PoisonError::into_inner);
                counts.done += 1;
                if outcome.result.is_ok() {
                    counts.succeeded += 1;
                } else {
                    counts.failed += 1;
                }
            })
            .boxed();
        Bulk {
            inner,
            summary,
            started: Instant::now(),
            pacer,
        }
    }

    /// Reports many bounces: [`bulk`](Self::bulk) over
    /// [`put_target_bounce`](Self::put_target_bounce).
    ///
    /// ```no_run
    /// use futures_util::StreamExt;
    /// use np6_client::types::{BounceData, BounceType};
    /// use np6_client::{BounceRecord, BulkOptions};
    ///
    /// # async fn run(client: np6_client::Client) {
    /// let records = (0..10_000).map(|i| BounceRecord {
    ///     target_id: format!("T{i}"),
    ///     field_id: 788,
    ///     bounce: BounceData::new(BounceType::HardUser),
    /// });
    /// let options = BulkOptions::default().adaptive(true);
    /// let job = client.put_bounces(futures_util::stream::iter(records), options);
    /// let summary = job.finish().await;
    /// println!("{} sent, {} failed in {:?}", summary.succeeded, summary.failed, summary.elapsed);
    /// # }
    /// ```
    pub fn put_bounces<S>(&self, records: S, options: BulkOptions) -> Bulk<()>
    where
        S: Stream<Item = BounceRecord> + Send + 'static,
    {
        self.bulk(records, options, |client, record| async move {
            client
                .put_target_bounce(&record.target_id, record.field_id, &record.bounce)
                .send()
                .await
        })
    }
}

#[cfg(test)]
mod tests;
