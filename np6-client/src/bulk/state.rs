//! What a bulk job is doing now ([`BulkState`]) and, while NP6 fails, what
//! it waits for ([`Failing`]), worded for people by its `Display`.

use std::fmt;
use std::time::Duration;

/// A bulk job's state, from [`Bulk::state`](crate::Bulk::state).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BulkState {
    /// Records taken from the input whose outcome is not final yet: their
    /// call is running, or they wait for their next try. Once the job has
    /// ended, the records a later run must send again.
    pub pending: u64,
    /// Attempts on the wire.
    pub in_flight: usize,
    /// Of the pending records, those waiting for their next try.
    pub retrying: usize,
    /// Since NP6's last answer, every attempt failed (a transient failure):
    /// since when, and when the next try is.
    pub failing: Option<Failing>,
    /// No new record or attempt starts: [`Bulk::stop`](crate::Bulk::stop)
    /// was called, the patience ran out, or the options were refused.
    pub stopped: bool,
    /// NP6 kept failing for longer than the job's
    /// [patience](crate::BulkOptions::patience).
    pub gave_up: bool,
    /// Why the job refused to start (see
    /// [`BulkOptions::check`](crate::BulkOptions::check)).
    pub refused: Option<String>,
}

/// NP6 failing: every attempt since its last answer failed for a reason
/// that may pass (`429`, `503`, a timeout, no connection...).
///
/// Shown as e.g. "NP6 answering 503 for 2 min, next try in 10 s".
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Failing {
    /// The last failure's status, when NP6 answered.
    pub status: Option<u16>,
    /// The last failure, as the client's error says it.
    pub error: String,
    /// How long the failures have lasted.
    pub duration: Duration,
    /// When the next attempt may start, from now.
    pub next_try_in: Duration,
}

impl fmt::Display for Failing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            Some(status) => write!(f, "NP6 answering {status}")?,
            None => f.write_str("no answer from NP6")?,
        }
        write!(
            f,
            " for {}, next try in {}",
            Human(self.duration),
            Human(self.next_try_in)
        )
    }
}

/// A duration for people: "0 s", "45 s", "2 min", "1 h 5 min".
struct Human(Duration);

impl fmt::Display for Human {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = self.0.as_secs();
        match seconds {
            0..120 => write!(f, "{seconds} s"),
            120..3600 => write!(f, "{} min", seconds / 60),
            _ => write!(f, "{} h {} min", seconds / 3600, seconds % 3600 / 60),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failing_reads_as_a_sentence() {
        let failing = Failing {
            status: Some(503),
            error: "putTargetBounce: 503".to_owned(),
            duration: Duration::from_secs(150),
            next_try_in: Duration::from_millis(9_500),
        };
        assert_eq!(
            failing.to_string(),
            "NP6 answering 503 for 2 min, next try in 9 s"
        );
        let unreachable = Failing {
            status: None,
            duration: Duration::from_secs(3_900),
            ..failing
        };
        assert_eq!(
            unreachable.to_string(),
            "no answer from NP6 for 1 h 5 min, next try in 9 s"
        );
    }
}
