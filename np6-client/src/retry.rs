//! When a failed call is tried again, and how long it waits first: the one
//! classification of failures ([`classify`]: permanent, transient, or a
//! throttle signal), [`RetryPolicy`], exponential backoff with full jitter,
//! and the server's `Retry-After`. The loop that applies them is
//! `Client::execute` (`execute.rs`); [`Error::is_retryable`] reads the
//! same classification.
//!
//! # Defaults
//!
//! A call makes at most 4 attempts. It is retried after a connection error,
//! a timeout, a failed transfer, or the statuses 408, 429, 500, 502, 503
//! and 504, when its method is idempotent (GET, HEAD, PUT, DELETE, OPTIONS,
//! TRACE); POST and PATCH are not retried unless
//! [`RetryPolicy::retry_non_idempotent`] is set. The wait before attempt
//! `n + 1` is drawn uniformly from zero to `min(8 s, 250 ms * 2^(n-1))`;
//! a `Retry-After` answer (seconds or HTTP-date) replaces it, cut to 60 s.
//! No wait starts that would end past the call's deadline
//! ([`ClientBuilder::deadline`](crate::ClientBuilder::deadline), default
//! 120 s).

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderValue;
use tokio::time::Instant;

use crate::error::{Error, ErrorKind};

/// What a failed attempt says about trying the call again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Trying again cannot help: NP6 refused the request (a status other
    /// than those below), the answer does not decode or is too large, or
    /// no request was sent (an invalid argument or configuration).
    Permanent,
    /// The failure may pass: no connection, a failed transfer, or the
    /// statuses 408, 500, 502 and 504.
    Transient,
    /// NP6 asks for less traffic: `429`, `503`, or no answer in time.
    /// Retryable too; a bulk job's adaptive pace also slows down on it.
    Throttled,
}

impl Verdict {
    /// Whether the call may succeed if tried again later.
    pub(crate) fn is_retryable(self) -> bool {
        self != Verdict::Permanent
    }
}

/// The one classifier of failures: whether a failed attempt may be
/// retried, and whether it is a throttle signal. The retry loop
/// (`execute.rs`) and [`Error::is_retryable`] read it.
pub(crate) fn classify(error: &Error) -> Verdict {
    match error.kind() {
        ErrorKind::Connect | ErrorKind::Timeout | ErrorKind::Transport | ErrorKind::Status => {}
        _ => return Verdict::Permanent,
    }
    match (error.kind(), error.status()) {
        (ErrorKind::Timeout, _) | (_, Some(429 | 503)) => Verdict::Throttled,
        (ErrorKind::Connect | ErrorKind::Transport, _) | (_, Some(408 | 500 | 502 | 504)) => {
            Verdict::Transient
        }
        _ => Verdict::Permanent,
    }
}

impl Error {
    /// Whether trying the same call again later may succeed: connection
    /// failures, timeouts, failed transfers, and the statuses 408, 429,
    /// 500, 502, 503 and 504.
    pub fn is_retryable(&self) -> bool {
        classify(self).is_retryable()
    }
}

/// When and how calls are retried. Each setter states its default.
///
/// A call is retried on connection errors, timeouts and the statuses 408,
/// 429, 500, 502, 503 and 504, when its method is idempotent (GET, HEAD,
/// PUT, DELETE, OPTIONS, TRACE) or
/// [`retry_non_idempotent`](Self::retry_non_idempotent) is set. Waits grow
/// exponentially with full jitter, capped; a `Retry-After` answer (seconds
/// or HTTP-date) is honoured up to
/// [`max_retry_after`](Self::max_retry_after). No wait outlives the call's
/// deadline.
///
/// ```
/// use std::time::Duration;
/// use np6_client::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_attempts(6)
///     .initial_backoff(Duration::from_millis(100))
///     .max_backoff(Duration::from_secs(5));
/// assert_eq!(policy.attempts(), 6);
/// assert_eq!(RetryPolicy::disabled().attempts(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
    retry_non_idempotent: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
            retry_non_idempotent: false,
        }
    }
}

impl RetryPolicy {
    /// One attempt per call, never retried.
    pub fn disabled() -> Self {
        Self::default().max_attempts(1)
    }

    /// The most attempts per call, the first included. Default 4. `0`, like
    /// `1`, disables retries.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// The attempts a call may make: at least one.
    pub fn attempts(&self) -> u32 {
        self.max_attempts.max(1)
    }

    /// The upper bound of the first wait; each later one doubles it.
    /// Default 250 ms.
    pub fn initial_backoff(mut self, wait: Duration) -> Self {
        self.initial_backoff = wait;
        self
    }

    /// The cap on a backoff wait. Default 8 s.
    pub fn max_backoff(mut self, wait: Duration) -> Self {
        self.max_backoff = wait;
        self
    }

    /// The longest `Retry-After` wait honoured; a longer one is cut to this.
    /// Default 60 s.
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// Retry non-idempotent operations (POST, PATCH) too. Default `false`:
    /// a retried POST may do its work twice.
    pub fn retry_non_idempotent(mut self, yes: bool) -> Self {
        self.retry_non_idempotent = yes;
        self
    }

    /// Whether a call whose method is (not) idempotent may be retried.
    pub(crate) fn may_retry(&self, idempotent: bool) -> bool {
        idempotent || self.retry_non_idempotent
    }

    /// The wait after failed attempt number `attempt` (from 1): the
    /// server's `Retry-After` up to the maximum, or a backoff with full
    /// jitter.
    pub(crate) fn wait(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_retry_after);
        }
        let ceiling = self.backoff_ceiling(attempt);
        // Not `mul_f64`: near `Duration::MAX` its rounding overflows (a
        // panic); the ceiling is the bound anyway.
        Duration::try_from_secs_f64(ceiling.as_secs_f64() * fastrand::f64())
            .map_or(ceiling, |wait| wait.min(ceiling))
    }

    /// The most a backoff wait after attempt number `attempt` may be:
    /// `min(max_backoff, initial_backoff * 2^(attempt-1))`, saturated.
    fn backoff_ceiling(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(20);
        self.initial_backoff
            .saturating_mul(1 << exponent)
            .min(self.max_backoff)
    }
}

/// How far ahead a time that cannot be represented is put: far beyond any
/// wait a call can make (tokio's own timers use the same bound).
const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

/// `at + wait`, or a far future when that cannot be represented (a huge
/// timeout, deadline or `Retry-After`): never a panic.
pub(crate) fn later(at: Instant, wait: Duration) -> Instant {
    at.checked_add(wait)
        .or_else(|| at.checked_add(FAR_FUTURE))
        .unwrap_or(at)
}

/// `Retry-After`: delay-seconds or an HTTP-date (RFC 9110 10.2.3); a date
/// in the past is no wait.
pub(crate) fn parse_retry_after(value: &HeaderValue) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = DateTime::parse_from_rfc2822(text).ok()?;
    let wait = when.with_timezone(&Utc) - Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests;
