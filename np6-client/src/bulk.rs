//! Many calls with bounded concurrency, a pace (fixed or adaptive), and a
//! final outcome per record: the common bulk job (bounces from a mail
//! server).
//!
//! The pace travels with the job: each record's call gets a clone of the
//! client that carries the job's pacer (`pace.rs`), and every attempt of
//! that client waits for its turn there. A paced call makes one attempt;
//! after a transient failure the job (`job.rs`) tries the record again,
//! before any new record, until it succeeds, fails for good, or the job
//! stops. `adapt.rs` is the adaptive pace's arithmetic.

mod adapt;
mod job;
mod options;
pub(crate) mod pace;
mod state;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::stream::{Stream, StreamExt};

pub use options::BulkOptions;
pub use state::{BulkState, Failing};

use crate::types::BounceData;
use crate::{Client, Error};

/// The final outcome of one record.
#[derive(Debug)]
pub struct BulkOutcome<R, T> {
    /// The record's position in the input, from 0.
    pub index: u64,
    /// The record, as the input gave it.
    pub record: R,
    /// The call's result: a success, or an error that trying again would
    /// not change (a transient failure is never an outcome).
    pub result: Result<T, Error>,
}

/// Counts of a bulk job so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BulkSummary {
    /// Records whose outcome is final.
    pub done: u64,
    /// Of those, the successes.
    pub succeeded: u64,
    /// Of those, the failures.
    pub failed: u64,
    /// Records taken from the input whose outcome is not final (see
    /// [`BulkState::pending`]).
    pub pending: u64,
    /// Time since the job started.
    pub elapsed: Duration,
}

/// The outcomes of a bulk job, as they become final (not in input order).
///
/// [`stop`](Self::stop) ends it gracefully; dropping it cancels the calls
/// in flight and starts no new ones.
///
/// It is a `Stream` of [`BulkOutcome`]s: the `futures-core` 0.3 trait, the
/// one async code shares (read it with `futures_util::StreamExt` or
/// `tokio_stream::StreamExt`), and so a public dependency, chosen on
/// purpose.
pub struct Bulk<R, T> {
    job: job::Job<R, T>,
    pacer: Arc<pace::Pacer>,
}

impl<R, T> Bulk<R, T>
where
    R: Clone + Send + 'static,
    T: Send + 'static,
{
    /// The counts so far; final once the stream has ended.
    pub fn summary(&self) -> BulkSummary {
        let (succeeded, failed) = (self.job.succeeded, self.job.failed);
        BulkSummary {
            done: succeeded + failed,
            succeeded,
            failed,
            pending: self.job.pending(),
            elapsed: self.job.started.elapsed(),
        }
    }

    /// What the job is doing now: records pending and in flight, and while
    /// NP6 fails, since when and when the next try is.
    pub fn state(&self) -> BulkState {
        self.job.state()
    }

    /// The pace in force: attempts per second (`None` when the job has no
    /// rate), and the most attempts in flight. In adaptive mode it moves
    /// with the server's answers; a later run of the same job may start at
    /// its rate ([`BulkOptions::initial_rate`]).
    pub fn pace(&self) -> (Option<f64>, usize) {
        self.pacer.limits()
    }

    /// Stops the job gracefully: no new record and no new attempt starts;
    /// the attempts on the wire run to their answer (each bounded by the
    /// client's timeout); the stream yields those that are final, then
    /// ends. The records left are never yielded: they are
    /// [pending](BulkState::pending), for a later run to send.
    pub fn stop(&mut self) {
        self.job.stop();
    }

    /// Runs the job to the end, discarding the outcomes; returns the summary.
    pub async fn finish(mut self) -> BulkSummary {
        while self.next().await.is_some() {}
        self.summary()
    }
}

impl<R, T> Stream for Bulk<R, T>
where
    R: Clone + Send + 'static,
    T: Send + 'static,
{
    type Item = BulkOutcome<R, T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.job.poll_next_unpin(cx)
    }
}

impl<R, T> std::fmt::Debug for Bulk<R, T>
where
    R: Clone + Send + 'static,
    T: Send + 'static,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bulk")
            .field("summary", &self.summary())
            .field("state", &self.state())
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
    /// Runs `call` for every record of `records` and yields each record's
    /// final outcome. At most [`BulkOptions::concurrency`] calls run at
    /// once, and as many records again may wait to be called again;
    /// records are pulled only when a place is free, so memory stays flat
    /// whatever the input size.
    ///
    /// `call` gets a clone of this client that carries the job's pace
    /// ([`BulkOptions::rate_limit`], [`BulkOptions::adaptive`]): each of its
    /// attempts waits for its turn, and makes one attempt, with the
    /// client's timeout and deadline counted from its turn. After a
    /// transient failure (a connection error, a timeout, `408`, `429`,
    /// `500`, `502`, `503`, `504`: [`Error::is_retryable`]) the job calls
    /// the record again (with a clone of it) after a backoff or the
    /// server's `Retry-After`, before any new record, until the call
    /// succeeds, fails for good, or the job stops; so `call` should be
    /// safe to repeat. While NP6 keeps failing the job probes it one
    /// attempt at a time ([`Bulk::state`] says since when, and until when),
    /// and gives up after its [patience](BulkOptions::patience).
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
    ///     println!("{}: {:?}", outcome.record, outcome.result.map_err(|e| e.to_string()));
    /// }
    /// println!("{:?}", job.summary());
    /// # }
    /// ```
    pub fn bulk<R, T, S, F, Fut>(&self, records: S, options: BulkOptions, call: F) -> Bulk<R, T>
    where
        S: Stream<Item = R> + Send + 'static,
        R: Clone + Send + 'static,
        T: Send + 'static,
        F: Fn(Client, R) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, Error>> + Send + 'static,
    {
        let refused = options.check().err().map(|e| e.to_string());
        let pacer = pace::Pacer::new(
            options.mode(),
            options.concurrency_limit(),
            options.max_wait(),
        );
        let client = Client {
            pace: Some(pacer.clone()),
            ..self.clone()
        };
        let call: job::Call<R, T> = Arc::new(move |client, record| call(client, record).boxed());
        let limits = job::Limits {
            concurrency: options.concurrency_limit(),
            max_wait: options.max_wait(),
            patience: options.patience_limit(),
        };
        Bulk {
            job: job::Job::new(
                records.boxed(),
                call,
                client,
                pacer.clone(),
                limits,
                refused,
            ),
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
    pub fn put_bounces<S>(&self, records: S, options: BulkOptions) -> Bulk<BounceRecord, ()>
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
