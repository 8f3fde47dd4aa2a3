//! What `np6 redlist --state` keeps between runs, and which entries a run
//! writes.
//!
//! A run writes the entries of its window `[start, until)`: the start
//! included, the end excluded, decided here from each entry's timestamp
//! and not by NP6 (whose API does not say which ends it includes; it is
//! asked for a window one second wider at the start, and the extra entries
//! are dropped). The next run starts at this `until`: successive runs
//! partition time, so an entry whose timestamp equals a window edge is
//! written exactly once, whichever ends NP6 includes.
//!
//! `--overlap D` reads the last `D` before `until` again, for entries NP6
//! adds late with an earlier timestamp: the state keeps the id and
//! timestamp of every entry written in that period (at most
//! [`MOST_SEEN`]), so the entries read again are dropped and only the late
//! ones written.
//!
//! An entry without a timestamp cannot be placed in a window: NP6 may
//! return it in every window. It is written once: the state keeps the ids
//! of those written (the newest [`MOST_UNTIMED`]), and a later run drops
//! an entry without a timestamp whose id it holds.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The most entries a state keeps for `--overlap`; beyond, the oldest
/// seconds are let go and the next overlap is shorter.
pub(crate) const MOST_SEEN: usize = 100_000;

/// The most ids of entries without a timestamp a state keeps; beyond, the
/// oldest are let go (and written again should NP6 return them again).
pub(crate) const MOST_UNTIMED: usize = 100_000;

/// A state file's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct State {
    /// The end (excluded) of the last window written.
    pub(crate) until: DateTime<Utc>,
    /// From when `seen` holds every entry written up to `until` (absent:
    /// `until`, nothing kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) seen_since: Option<DateTime<Utc>>,
    /// The entries written in `[seen_since, until)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) seen: Vec<Seen>,
    /// The ids of the entries without a timestamp written so far, oldest
    /// first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) untimed: Vec<String>,
}

/// One entry written: its id and timestamp.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct Seen {
    pub(crate) timestamp: DateTime<Utc>,
    pub(crate) id: String,
}

impl State {
    /// Where the next window starts: `until`, or `overlap` before it, but
    /// never before what `seen` covers. The flag says the overlap was
    /// shortened so.
    pub(crate) fn next_start(&self, overlap: Duration) -> (DateTime<Utc>, bool) {
        let wanted = self.until.checked_sub_signed(overlap).unwrap_or(self.until);
        let covered = self.seen_since.unwrap_or(self.until).min(self.until);
        if wanted < covered {
            (covered, true)
        } else {
            (wanted, false)
        }
    }
}

/// Decides which entries a run writes, window after window in time order,
/// and keeps those the next run's overlap will read again.
#[derive(Debug)]
pub(crate) struct Tracker {
    /// The entries written before (from the state).
    before: HashSet<Seen>,
    /// The entries to keep for the next state: written within `overlap`
    /// of the end of the windows written.
    kept: HashSet<Seen>,
    overlap: Duration,
    /// Before this, nothing is known to keep: the previous state's
    /// `seen_since`, or the run's start.
    first: Option<DateTime<Utc>>,
    /// The end of the window being written (excluded).
    end: DateTime<Utc>,
    /// The ids of the entries without a timestamp written, oldest first,
    /// and the same as a set.
    untimed: Vec<String>,
    untimed_ids: HashSet<String>,
    /// What the current window added to `kept`, and how many ids
    /// `untimed` had before it: what [`Tracker::undo`] takes back.
    added: Vec<Seen>,
    untimed_before: usize,
}

impl Tracker {
    /// For a run starting at `start` (none: from the first entry), after
    /// `previous`, keeping `overlap` for the next run. Its first window
    /// is `[start, start)` until [`Tracker::window`] sets one.
    pub(crate) fn new(
        previous: Option<State>,
        start: Option<DateTime<Utc>>,
        overlap: Duration,
    ) -> Self {
        // What is known from: the previous state's kept entries, then
        // this run's windows.
        let first = match &previous {
            Some(state) => {
                let covered = state.seen_since.unwrap_or(state.until);
                Some(start.map_or(covered, |start| start.min(covered)))
            }
            None => start,
        };
        let (seen, untimed) = previous.map(|s| (s.seen, s.untimed)).unwrap_or_default();
        let before: HashSet<Seen> = seen.into_iter().collect();
        let untimed_ids = untimed.iter().cloned().collect();
        Self {
            kept: before.clone(),
            before,
            overlap,
            first,
            end: start.unwrap_or(DateTime::<Utc>::MIN_UTC),
            untimed_before: untimed.len(),
            untimed,
            untimed_ids,
            added: Vec::new(),
        }
    }

    /// The next window to write, ending (excluded) at `end`, after the last one.
    pub(crate) fn window(&mut self, end: DateTime<Utc>) {
        self.end = end;
        self.added.clear();
        self.untimed_before = self.untimed.len();
    }

    /// The current window failed midway: the entries it admitted were not
    /// written after all, and are admitted again when asked again.
    pub(crate) fn undo(&mut self) {
        for seen in self.added.drain(..) {
            self.kept.remove(&seen);
        }
        let before = self.untimed_before.min(self.untimed.len());
        for id in self.untimed.drain(before..) {
            self.untimed_ids.remove(&id);
        }
    }

    /// From when the entries are kept for windows ending at `end`.
    fn keep_from(&self, end: DateTime<Utc>) -> DateTime<Utc> {
        let from = end.checked_sub_signed(self.overlap).unwrap_or(end);
        self.first.map_or(from, |first| from.max(first))
    }

    /// Whether to write the entry `id` of `timestamp`, one of the current
    /// window's (the export keeps only those, `Window::holds`): not
    /// written before. An entry without a timestamp cannot be placed: it
    /// is written the first time its id is seen.
    pub(crate) fn admit(&mut self, id: &str, timestamp: Option<DateTime<Utc>>) -> bool {
        let Some(timestamp) = timestamp else {
            if !self.untimed_ids.insert(id.to_owned()) {
                return false;
            }
            self.untimed.push(id.to_owned());
            return true;
        };
        let keep = timestamp >= self.keep_from(self.end);
        if self.before.is_empty() && !keep {
            // Nothing to compare or keep: no copy of the id.
            return true;
        }
        let seen = Seen {
            timestamp,
            id: id.to_owned(),
        };
        if self.before.contains(&seen) {
            return false;
        }
        if keep {
            // Also drops an entry NP6 sent twice in one answer.
            if !self.kept.insert(seen.clone()) {
                return false;
            }
            self.added.push(seen);
        }
        true
    }

    /// The state once the windows up to the current one's end are
    /// written, and whether [`MOST_SEEN`] shortened the next overlap.
    pub(crate) fn state(&mut self) -> (State, bool) {
        let until = self.end;
        let keep_from = self.keep_from(until);
        self.kept
            .retain(|s| s.timestamp >= keep_from && s.timestamp < until);
        let mut seen: Vec<Seen> = self.kept.iter().cloned().collect();
        seen.sort_unstable();
        let mut seen_since = keep_from;
        let mut shortened = false;
        if seen.len() > MOST_SEEN {
            // Whole seconds from the newest: the next run starts at the
            // oldest second kept whole.
            shortened = true;
            let mut cut = seen.len() - MOST_SEEN;
            let second = |s: &Seen| s.timestamp.timestamp();
            while cut < seen.len() && cut > 0 && second(&seen[cut]) == second(&seen[cut - 1]) {
                cut += 1;
            }
            seen.drain(..cut);
            seen_since = seen.first().map_or(until, |s| {
                DateTime::from_timestamp(second(s), 0).unwrap_or(until)
            });
        }
        let untimed = self.untimed.len().saturating_sub(MOST_UNTIMED);
        let state = State {
            until,
            seen_since: (seen_since < until).then_some(seen_since),
            seen,
            untimed: self.untimed.get(untimed..).unwrap_or_default().to_vec(),
        };
        (state, shortened)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().expect("a date")
    }

    #[test]
    fn an_entry_without_a_timestamp_is_written_once_across_runs() {
        let start = at("2026-11-01T00:00:00Z");
        let mut tracker = Tracker::new(None, Some(start), Duration::zero());
        tracker.window(at("2026-11-01T01:00:00Z"));
        assert!(tracker.admit("a", Some(at("2026-11-01T00:00:00Z"))));
        assert!(tracker.admit("d", None));
        assert!(!tracker.admit("d", None), "once in a run");
        let (state, shortened) = tracker.state();
        assert_eq!(state.untimed, ["d"]);
        let mut next = Tracker::new(Some(state.clone()), Some(state.until), Duration::zero());
        next.window(at("2026-11-01T02:00:00Z"));
        assert!(!next.admit("d", None), "once across runs");
        assert!(next.admit("e", None));
        assert_eq!(next.state().0.untimed, ["d", "e"]);
        assert!(!shortened);
        assert_eq!(state.next_start(Duration::hours(1)), (state.until, true));
        assert_eq!(state.seen_since, None);
        assert!(state.seen.is_empty());
    }

    #[test]
    fn an_overlap_drops_what_was_written_and_keeps_what_it_needs() {
        let hour = Duration::hours(1);
        let mut first = Tracker::new(None, None, hour);
        first.window(at("2026-11-01T02:00:00Z"));
        assert!(first.admit("old", Some(at("2026-11-01T00:30:00Z"))));
        assert!(first.admit("a", Some(at("2026-11-01T01:30:00Z"))));
        assert!(!first.admit("a", Some(at("2026-11-01T01:30:00Z"))));
        let (state, _) = first.state();
        assert_eq!(state.seen_since, Some(at("2026-11-01T01:00:00Z")));
        assert_eq!(state.seen.len(), 1);
        let (start, shortened) = state.next_start(hour);
        assert_eq!((start, shortened), (at("2026-11-01T01:00:00Z"), false));
        let mut second = Tracker::new(Some(state), Some(start), hour);
        // In two windows, the state saved after each.
        second.window(at("2026-11-01T02:00:00Z"));
        assert!(!second.admit("a", Some(at("2026-11-01T01:30:00Z"))));
        assert!(second.admit("late", Some(at("2026-11-01T01:45:00Z"))));
        let (state, _) = second.state();
        let ids: Vec<&str> = state.seen.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["a", "late"]);
        second.window(at("2026-11-01T03:00:00Z"));
        assert!(second.admit("b", Some(at("2026-11-01T02:30:00Z"))));
        let (state, _) = second.state();
        let ids: Vec<&str> = state.seen.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["b"]);
    }

    #[test]
    fn an_empty_window_keeps_what_the_overlap_needs() {
        let hour = Duration::hours(1);
        let until = at("2026-11-01T02:00:00Z");
        let mut first = Tracker::new(None, Some(at("2026-11-01T00:00:00Z")), hour);
        first.window(until);
        assert!(first.admit("a", Some(at("2026-11-01T01:30:00Z"))));
        let (state, _) = first.state();
        // Run again at once: the window is empty.
        let mut again = Tracker::new(Some(state.clone()), Some(until), Duration::zero());
        again.window(until);
        assert_eq!(again.state().0.seen, Vec::new());
        let mut again = Tracker::new(Some(state.clone()), Some(until), hour);
        again.window(until);
        assert_eq!(again.state().0, state);
    }

    #[test]
    fn the_kept_entries_are_bounded_by_whole_seconds() {
        let until = at("2026-11-02T02:00:00Z");
        let mut tracker = Tracker::new(None, None, Duration::days(2));
        tracker.window(until);
        let first = at("2026-11-01T01:00:00Z");
        for i in 0..=MOST_SEEN {
            // Two entries a second.
            let second = Duration::seconds(i64::try_from(i / 2).expect("small"));
            assert!(tracker.admit(&format!("e{i}"), Some(first + second)));
        }
        let (state, shortened) = tracker.state();
        assert!(shortened);
        assert!(state.seen.len() <= MOST_SEEN);
        let since = state.seen_since.expect("a start");
        assert!(state.seen.iter().all(|s| s.timestamp >= since));
        let at_since = state.seen.iter().filter(|s| s.timestamp == since).count();
        assert_eq!(at_since, 2, "the oldest second is kept whole");
    }
}
