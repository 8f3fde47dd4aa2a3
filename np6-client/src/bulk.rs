//! Many calls with bounded concurrency, an optional rate limit, and a
//! per-record outcome: the common bulk job (bounces from a mail server).

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
/// ```
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct BulkOptions {
    concurrency: usize,
    rate_limit: Option<f64>,
}

impl Default for BulkOptions {
    fn default() -> Self {
        Self {
            concurrency: 16,
            rate_limit: None,
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

    /// Starts no more than this many calls per second (retries are not
    /// counted). Default: no limit. A value that is not positive and finite
    /// means no limit.
    pub fn rate_limit(mut self, per_second: f64) -> Self {
        self.rate_limit = (per_second.is_finite() && per_second > 0.0).then_some(per_second);
        self
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
pub struct Bulk<T> {
    inner: BoxStream<'static, BulkOutcome<T>>,
    summary: Arc<Mutex<BulkSummary>>,
    started: Instant,
}

impl<T> Bulk<T> {
    /// The counts so far; final once the stream has ended.
    pub fn summary(&self) -> BulkSummary {
        let mut summary = *self.summary.lock().unwrap_or_else(PoisonError::into_inner);
        summary.elapsed = self.started.elapsed();
        summary
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
    /// [`BulkOptions::rate_limit`]. Each call gets the client's retries and
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
        let interval = options
            .rate_limit
            .map(|rate| Duration::from_secs_f64(1.0 / rate));
        let mut next_start = tokio::time::Instant::now();
        let inner = records
            .enumerate()
            .then(move |(index, record)| {
                // Pacing happens as records are pulled, before each call starts.
                let wait = interval.map(|interval| {
                    let now = tokio::time::Instant::now();
                    let start = next_start.max(now);
                    next_start = start + interval;
                    start
                });
                async move {
                    if let Some(start) = wait {
                        tokio::time::sleep_until(start).await;
                    }
                    (index as u64, record)
                }
            })
            .map(move |(index, record)| {
                let (client, call) = (client.clone(), call.clone());
                async move {
                    BulkOutcome {
                        index,
                        result: call(client, record).await,
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
    /// let job = client.put_bounces(futures_util::stream::iter(records), BulkOptions::default());
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
