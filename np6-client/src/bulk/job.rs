//! The driver of a bulk job: pulls records while fewer than the job's
//! concurrency are open, calls each under the job's pace, tries a record
//! again after a transient failure (before pulling any new one), yields
//! only final outcomes, and stops on request or when its patience runs out.
//!
//! A record is *open* from the moment it is pulled until its outcome is
//! final: its call is running (waiting for a turn or on the wire) or it
//! waits in `waiting` for its next try. Calls running are at most the
//! concurrency, and open records twice that, so memory stays flat; a
//! record due for a retry is called before any new record is pulled.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::stream::{BoxStream, FuturesUnordered, Stream, StreamExt};
use tokio::time::{Instant, Sleep};

use super::pace::{Pacer, later};
use super::{BulkOutcome, BulkState, Failing};
use crate::{Client, Error};

/// A record's call, boxed: the job holds calls of one type.
pub(super) type Call<R, T> =
    Arc<dyn Fn(Client, R) -> BoxFuture<'static, Result<T, Error>> + Send + Sync>;

/// The wait before a record's second try; it doubles with each failure.
const FIRST_RETRY: Duration = Duration::from_millis(100);

/// What a call came back with.
struct Tried<R, T> {
    index: u64,
    record: R,
    failures: u32,
    result: Result<T, Error>,
}

/// A record waiting for its next try.
struct Retry<R> {
    index: u64,
    record: R,
    failures: u32,
    due: Instant,
}

/// How a job runs, from `BulkOptions`.
pub(super) struct Limits {
    pub(super) concurrency: usize,
    pub(super) max_wait: Duration,
    pub(super) patience: Duration,
}

/// The running job behind `Bulk`.
pub(super) struct Job<R, T> {
    input: Option<BoxStream<'static, R>>,
    next_index: u64,
    call: Call<R, T>,
    /// The client the calls get: it carries the pace.
    client: Client,
    pacer: Arc<Pacer>,
    running: FuturesUnordered<BoxFuture<'static, Tried<R, T>>>,
    /// Sorted by `due`.
    waiting: VecDeque<Retry<R>>,
    timer: Pin<Box<Sleep>>,
    limits: Limits,
    open: usize,
    pub(super) succeeded: u64,
    pub(super) failed: u64,
    pub(super) started: Instant,
    stopping: bool,
    gave_up: bool,
    refused: Option<String>,
}

// No field is ever pinned in place: the records and results are moved.
impl<R, T> Unpin for Job<R, T> {}

impl<R, T> Job<R, T>
where
    R: Clone + Send + 'static,
    T: Send + 'static,
{
    /// A job over `input`; `refused` ends it before it starts, with why.
    pub(super) fn new(
        input: BoxStream<'static, R>,
        call: Call<R, T>,
        client: Client,
        pacer: Arc<Pacer>,
        limits: Limits,
        refused: Option<String>,
    ) -> Self {
        let now = Instant::now();
        Self {
            input: refused.is_none().then_some(input),
            next_index: 0,
            call,
            client,
            pacer,
            running: FuturesUnordered::new(),
            waiting: VecDeque::new(),
            timer: Box::pin(tokio::time::sleep_until(now)),
            limits,
            open: 0,
            succeeded: 0,
            failed: 0,
            started: now,
            stopping: refused.is_some(),
            gave_up: false,
            refused,
        }
    }

    /// Starts no new record and no new attempt; see `Bulk::stop`.
    pub(super) fn stop(&mut self) {
        self.stopping = true;
        self.input = None;
        self.pacer.stop();
    }

    /// Records pulled and not final.
    pub(super) fn pending(&self) -> u64 {
        self.open as u64
    }

    /// The job's state now.
    pub(super) fn state(&self) -> BulkState {
        let now = Instant::now();
        let failing = self.pacer.failing().map(|outage| {
            // The next try is the pacer's next probe when a call waits for
            // it, else the first record due (not before that probe).
            let due = self.waiting.front().map(|r| r.due);
            let next = match due {
                Some(due) if self.running.is_empty() => due.max(outage.next_try),
                _ => outage.next_try,
            };
            Failing {
                status: outage.status,
                error: outage.error,
                duration: now.saturating_duration_since(outage.since),
                next_try_in: next.saturating_duration_since(now),
            }
        });
        BulkState {
            pending: self.pending(),
            in_flight: self.pacer.on_wire(),
            retrying: self.waiting.len(),
            failing,
            stopped: self.stopping,
            gave_up: self.gave_up,
            refused: self.refused.clone(),
        }
    }

    fn start(&mut self, index: u64, record: R, failures: u32) {
        let call = (self.call)(self.client.clone(), record.clone());
        self.running.push(Box::pin(async move {
            Tried {
                index,
                record,
                failures,
                result: call.await,
            }
        }));
    }

    /// A call came back: its outcome if final, else the record waits.
    fn settle(&mut self, tried: Tried<R, T>) -> Option<BulkOutcome<R, T>> {
        let Tried {
            index,
            record,
            failures,
            result,
        } = tried;
        match result {
            Err(error) if error.is_retryable() => {
                if !self.stopping {
                    let failures = failures.saturating_add(1);
                    let due = later(Instant::now(), self.retry_wait(&error, failures));
                    let at = self.waiting.partition_point(|r| r.due <= due);
                    self.waiting.insert(
                        at,
                        Retry {
                            index,
                            record,
                            failures,
                            due,
                        },
                    );
                }
                // Stopping: the record stays open, that is, pending.
                None
            }
            result => {
                self.open = self.open.saturating_sub(1);
                if result.is_ok() {
                    self.succeeded += 1;
                } else {
                    self.failed += 1;
                }
                Some(BulkOutcome {
                    index,
                    record,
                    result,
                })
            }
        }
    }

    /// The wait before a record's next try: the server's `Retry-After`,
    /// or a backoff with jitter, at most the job's longest wait.
    fn retry_wait(&self, error: &Error, failures: u32) -> Duration {
        if let Some(asked) = error.retry_after() {
            return asked.min(self.limits.max_wait);
        }
        let ceiling = FIRST_RETRY
            .saturating_mul(1 << failures.saturating_sub(1).min(16))
            .min(self.limits.max_wait);
        // Between half the ceiling and the ceiling.
        let jitter = Duration::try_from_secs_f64(ceiling.as_secs_f64() / 2.0 * fastrand::f64())
            .unwrap_or_default();
        (ceiling / 2).saturating_add(jitter).min(ceiling)
    }

    /// When the job gives up if NP6 keeps failing.
    fn patience_ends(&self) -> Option<Instant> {
        let outage = self.pacer.failing()?;
        outage.since.checked_add(self.limits.patience)
    }
}

impl<R, T> Stream for Job<R, T>
where
    R: Clone + Send + 'static,
    T: Send + 'static,
{
    type Item = BulkOutcome<R, T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let job = &mut *self;
        loop {
            if let Poll::Ready(Some(tried)) = job.running.poll_next_unpin(cx) {
                match job.settle(tried) {
                    Some(outcome) => return Poll::Ready(Some(outcome)),
                    None => continue,
                }
            }
            if job.stopping {
                // What is still running waits for a turn that never comes:
                // its record stays pending.
                job.pacer.register_idle(cx.waker());
                if job.pacer.on_wire() > 0 {
                    return Poll::Pending;
                }
                job.running = FuturesUnordered::new();
                job.waiting.clear();
                return Poll::Ready(None);
            }
            let now = Instant::now();
            if job.patience_ends().is_some_and(|end| end <= now) {
                job.gave_up = true;
                job.stop();
                continue;
            }
            let mut started = false;
            while job.waiting.front().is_some_and(|r| r.due <= now) {
                if let Some(retry) = job.waiting.pop_front() {
                    job.start(retry.index, retry.record, retry.failures);
                    started = true;
                }
            }
            // Records waiting for a retry (a `Retry-After` of seconds) do
            // not hold up the others, up to as many again.
            let most_open = job.limits.concurrency.saturating_mul(2);
            while job.running.len() < job.limits.concurrency && job.open < most_open {
                let Some(input) = job.input.as_mut() else {
                    break;
                };
                match input.poll_next_unpin(cx) {
                    Poll::Ready(Some(record)) => {
                        let index = job.next_index;
                        job.next_index += 1;
                        job.open += 1;
                        job.start(index, record, 0);
                        started = true;
                    }
                    Poll::Ready(None) => job.input = None,
                    Poll::Pending => break,
                }
            }
            if started {
                continue;
            }
            if job.running.is_empty() && job.waiting.is_empty() && job.input.is_none() {
                return Poll::Ready(None);
            }
            let due = job.waiting.front().map(|r| r.due);
            let wake = match (due, job.patience_ends()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            if let Some(at) = wake {
                job.timer.as_mut().reset(at);
                if job.timer.as_mut().poll(cx).is_ready() {
                    continue;
                }
            }
            return Poll::Pending;
        }
    }
}
