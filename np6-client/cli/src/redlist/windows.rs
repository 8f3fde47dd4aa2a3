//! The windows a redlist export asks NP6 for, in time order: the whole
//! window, or `--chunk` pieces of it; and a window NP6 cannot answer
//! whole (a timeout, a 5xx or an answer too large, after the client's
//! retries, or cut midway) split in halves, down to [`FLOOR`].

use chrono::{DateTime, Duration, Utc};
use np6_client::{Error, ErrorKind};

/// A window this long or shorter is not split; `--chunk` is at least this.
pub(crate) const FLOOR: Duration = Duration::minutes(1);

/// How long before a window's start NP6 is asked from, so that an entry
/// on the start is answered whether or not NP6 includes the start.
pub(crate) const ASKED_BEFORE: Duration = Duration::seconds(1);

/// The windows still to ask, `[start, end)`, next first.
#[derive(Debug)]
pub(crate) struct Windows {
    /// Last to ask first: popped from the end.
    stack: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

impl Windows {
    /// `[start, until)` whole, or in pieces that NP6 is asked for as
    /// windows at most `chunk` long (a piece is a second shorter: NP6 is
    /// asked from a second before each piece); nothing when it is empty.
    pub(crate) fn new(start: DateTime<Utc>, until: DateTime<Utc>, chunk: Option<Duration>) -> Self {
        let piece = chunk
            .and_then(|c| c.checked_sub(&ASKED_BEFORE))
            .filter(|p| *p > Duration::zero());
        let mut pieces = Vec::new();
        let mut from = start;
        while from < until {
            let to = piece
                .and_then(|p| from.checked_add_signed(p))
                .map_or(until, |to| to.min(until));
            pieces.push((from, to));
            from = to;
        }
        pieces.reverse();
        Self { stack: pieces }
    }

    /// The next window to ask.
    pub(crate) fn next(&mut self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        self.stack.pop()
    }

    /// Asks `[start, end)` again as two halves (whole seconds), first
    /// half next; false when it is [`FLOOR`] or shorter.
    pub(crate) fn split(&mut self, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
        let length = end.signed_duration_since(start);
        if length <= FLOOR {
            return false;
        }
        let half = Duration::seconds(length.num_seconds() / 2);
        let Some(middle) = start.checked_add_signed(half) else {
            return false;
        };
        self.stack.push((middle, end));
        self.stack.push((start, middle));
        true
    }
}

/// Whether a smaller window may succeed where this one failed: NP6 timed
/// out, failed (5xx), cut its answer, or answered more than the client
/// takes whole. An item too large (the error of a stream, after
/// [`Error::delivered`] items) is as large in any window.
pub(crate) fn worth_splitting(error: &Error) -> bool {
    match error.kind() {
        ErrorKind::Timeout | ErrorKind::Transport => true,
        ErrorKind::ResponseTooLarge => error.delivered().is_none(),
        ErrorKind::Status => error.status().is_some_and(|s| s >= 500),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().expect("a date")
    }

    #[test]
    fn chunks_cover_the_window_in_order_and_halves_go_first() {
        let (start, until) = (at("2026-11-01T00:00:00Z"), at("2026-11-03T12:00:00Z"));
        let mut windows = Windows::new(start, until, Some(Duration::days(1) + ASKED_BEFORE));
        let first = windows.next().expect("a first day");
        assert_eq!(first, (start, at("2026-11-02T00:00:00Z")));
        assert!(windows.split(first.0, first.1));
        assert_eq!(windows.next(), Some((start, at("2026-11-01T12:00:00Z"))));
        assert_eq!(
            windows.next(),
            Some((at("2026-11-01T12:00:00Z"), at("2026-11-02T00:00:00Z")))
        );
        assert_eq!(
            windows.next(),
            Some((at("2026-11-02T00:00:00Z"), at("2026-11-03T00:00:00Z")))
        );
        assert_eq!(windows.next(), Some((at("2026-11-03T00:00:00Z"), until)));
        assert_eq!(windows.next(), None);
        let mut asked_a_day = Windows::new(start, until, Some(Duration::days(1)));
        let piece = asked_a_day.next().expect("a piece");
        assert_eq!(piece.1 - piece.0 + ASKED_BEFORE, Duration::days(1));
        assert!(!windows.split(start, start + FLOOR));
        assert!(windows.split(start, start + FLOOR + Duration::seconds(1)));
        assert_eq!(Windows::new(until, until, None).next(), None);
        let mut whole = Windows::new(start, until, None);
        assert_eq!(whole.next(), Some((start, until)));
    }
}
