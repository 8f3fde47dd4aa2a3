//! [`BulkOptions`]: how a bulk job runs, and the check of its values.

use std::time::Duration;

use super::pace::Mode;
use crate::Error;

/// How a bulk job runs. Each setter states its default.
///
/// Values are checked when the job starts ([`check`](Self::check)): with a
/// rate that is not a finite number above zero, the job refuses to start
/// (its stream ends at once, no record is pulled, and
/// [`BulkState::refused`](crate::BulkState::refused) says why). A
/// concurrency of 0 counts as 1.
///
/// ```
/// use std::time::Duration;
/// let options = np6_client::BulkOptions::default()
///     .concurrency(32)
///     .rate_limit(200.0)
///     .patience(Duration::from_secs(300));
/// assert_eq!(options.concurrency_limit(), 32);
/// assert!(options.check().is_ok());
/// assert!(np6_client::BulkOptions::default().rate_limit(f64::NAN).check().is_err());
/// let adaptive = np6_client::BulkOptions::default().adaptive(true);
/// assert!(adaptive.is_adaptive());
/// ```
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct BulkOptions {
    concurrency: usize,
    rate_limit: Option<f64>,
    adaptive: bool,
    initial_rate: Option<f64>,
    max_retry_wait: Duration,
    patience: Duration,
}

impl Default for BulkOptions {
    fn default() -> Self {
        Self {
            concurrency: 16,
            rate_limit: None,
            adaptive: false,
            initial_rate: None,
            max_retry_wait: Duration::from_secs(10),
            patience: Duration::from_secs(600),
        }
    }
}

impl BulkOptions {
    /// The most calls running at once (waiting for their turn or on the
    /// wire); as many records again may wait to be tried again. Default
    /// 16; 0 counts as 1. Only twice this many records are held in memory
    /// at a time.
    pub fn concurrency(mut self, calls: usize) -> Self {
        self.concurrency = calls.max(1);
        self
    }

    /// The concurrency in force.
    pub fn concurrency_limit(&self) -> usize {
        self.concurrency
    }

    /// The most attempts started per second, evenly spaced: every attempt
    /// counts, a retry as much as a record's first try. Default: no limit.
    /// Alone, the job keeps this pace; with [`adaptive`](Self::adaptive),
    /// it is the ceiling under which the pace adapts. Must be finite and
    /// above zero (see [`check`](Self::check)).
    pub fn rate_limit(mut self, per_second: f64) -> Self {
        self.rate_limit = Some(per_second);
        self
    }

    /// Lets the pace find the server's: the rate of attempts and the number
    /// in flight grow while the server answers, and shrink on `429`, `503`
    /// or a timeout, in the spirit of the AWS SDKs' adaptive retry mode.
    /// It starts at 20 attempts per second (or the
    /// [`initial_rate`](Self::initial_rate)) and doubles every round trip
    /// (at least 200 ms) until the first sign of overload; then it goes
    /// back to just under the rate the server admitted and probes above it
    /// slowly. It never goes below one attempt per second. Default: off.
    pub fn adaptive(mut self, yes: bool) -> Self {
        self.adaptive = yes;
        self
    }

    /// Whether the pace is adaptive.
    pub fn is_adaptive(&self) -> bool {
        self.adaptive
    }

    /// With [`adaptive`](Self::adaptive): the rate to start at, skipping
    /// the slow start; e.g. the [pace](crate::Bulk::pace) an earlier run of
    /// the same job found. Must be finite and above zero. Default: none.
    pub fn initial_rate(mut self, per_second: f64) -> Self {
        self.initial_rate = Some(per_second);
        self
    }

    /// The longest wait before a record is tried again, and between two
    /// probes while NP6 is failing; a longer `Retry-After` is cut to this.
    /// Default 10 s.
    pub fn max_retry_wait(mut self, wait: Duration) -> Self {
        self.max_retry_wait = wait;
        self
    }

    /// How long NP6 may keep failing (every attempt a transient failure)
    /// before the job gives up: it then stops as [`Bulk::stop`](crate::Bulk::stop)
    /// does, and [`BulkState::gave_up`](crate::BulkState::gave_up) says so.
    /// Default 10 minutes.
    pub fn patience(mut self, patience: Duration) -> Self {
        self.patience = patience;
        self
    }

    /// Whether the values can run a job: a rate limit or an initial rate
    /// that is not a finite number above zero cannot.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument),
    /// saying which value.
    pub fn check(&self) -> Result<(), Error> {
        for (name, value) in [
            ("rate_limit", self.rate_limit),
            ("initial_rate", self.initial_rate),
        ] {
            if let Some(rate) = value.filter(|r| !(r.is_finite() && *r > 0.0)) {
                return Err(crate::error::invalid_argument(
                    "bulk",
                    format!("BulkOptions::{name} must be a finite number above zero, not {rate}"),
                ));
            }
        }
        Ok(())
    }

    /// The pacer's mode.
    pub(super) fn mode(&self) -> Mode {
        match (self.adaptive, self.rate_limit) {
            (true, ceiling) => Mode::Adaptive {
                ceiling: ceiling.unwrap_or(f64::MAX),
                initial: self.initial_rate,
            },
            (false, Some(rate)) => Mode::Fixed(rate),
            (false, None) => Mode::Unlimited,
        }
    }

    pub(super) fn max_wait(&self) -> Duration {
        self.max_retry_wait
    }

    pub(super) fn patience_limit(&self) -> Duration {
        self.patience
    }
}
