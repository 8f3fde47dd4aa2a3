//! The pace of a bulk job: every attempt of every call (retries included)
//! waits for its turn here, and reports how it went.
//!
//! The runtime asks [`current`] once per call; inside a bulk job it gets
//! the job's [`Pacer`], takes a [`Turn`] before each attempt and
//! [`finishes`](Turn::finish) it with the attempt's error, if any. Outside a
//! bulk job `current` is `None` and nothing here runs.
//!
//! Two modes:
//! - fixed: attempts start at most `rate` per second, evenly spaced;
//! - adaptive: the rate and the number of attempts in flight follow the
//!   server's answers, in the spirit of the AWS SDKs' adaptive retry mode
//!   (a CUBIC-shaped rate, RFC 8312): a slow start, then on `429`, `503`
//!   or a timeout a multiplicative decrease (at most one per congestion
//!   event), then a concave climb back to the rate that was admitted and a
//!   slow convex probe beyond it.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::{Error, ErrorKind};

tokio::task_local! {
    /// The pacer of the bulk job running the current task's call.
    static PACER: Arc<Pacer>;
}

/// The pacer of the bulk job this task runs a call for, if any.
pub(crate) fn current() -> Option<Arc<Pacer>> {
    PACER.try_with(Arc::clone).ok()
}

/// Runs `call` with `pacer` as the pace of every attempt it makes.
pub(super) async fn paced<F: std::future::Future>(pacer: Arc<Pacer>, call: F) -> F::Output {
    PACER.scope(pacer, call).await
}

/// The slowest pace either mode goes down to: one attempt an hour.
const MIN_RATE: f64 = 1.0 / 3600.0;
/// The fastest pace the adaptive mode climbs to.
const MAX_RATE: f64 = 100_000.0;
/// The adaptive mode's starting rate, before the server has said anything.
const START_RATE: f64 = 10.0;
/// Multiplicative decrease: the rate and the concurrency keep this share.
const BETA: f64 = 0.7;
/// CUBIC's scale (rate per second cubed), the AWS SDKs' value.
const SCALE: f64 = 0.4;
/// How far behind its schedule a pacer may start attempts to catch up.
const CATCH_UP: Duration = Duration::from_millis(10);
/// The window over which the admitted rate is measured: short, as the
/// rate doubles about every half second in slow start.
const WINDOW: Duration = Duration::from_millis(250);

/// What a pacer does, from [`BulkOptions`](crate::BulkOptions).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Mode {
    /// At most the ceiling's attempts per second.
    Fixed,
    /// Follows the server's answers.
    Adaptive,
}

/// The shared pace of one bulk job.
#[derive(Debug)]
pub(crate) struct Pacer {
    mode: Mode,
    max_in_flight: usize,
    /// The fastest pace allowed (adaptive: `rate_limit`, if set).
    ceiling: f64,
    state: Mutex<State>,
    /// Serialises the waits for a start slot, so a change of rate applies
    /// to the very next attempt (no slots are handed out in advance).
    gate: tokio::sync::Mutex<()>,
    /// Wakes an attempt waiting for a place in flight.
    freed: Notify,
}

#[derive(Debug)]
struct State {
    rate: f64,
    next_start: Instant,
    in_flight: usize,
    /// Adaptive: the most attempts in flight, as a real number.
    concurrency: f64,
    /// Adaptive: no throttle seen yet.
    slow_start: bool,
    /// Adaptive: the rate at the last decrease, and when it was.
    w_max: f64,
    last_decrease: Option<Instant>,
    /// Successful attempts in the current and the previous window
    /// ([`WINDOW`]).
    window_start: Instant,
    admitted_now: u32,
    admitted_before: Option<u32>,
}

/// The right to run one attempt; dropping it unfinished frees its place.
#[derive(Debug)]
pub(crate) struct Turn {
    pacer: Arc<Pacer>,
    started: Instant,
}

impl Pacer {
    /// A pacer for `mode`, never faster than `ceiling` attempts per second
    /// nor with more than `max_in_flight` attempts at once.
    pub(super) fn new(mode: Mode, ceiling: Option<f64>, max_in_flight: usize) -> Arc<Self> {
        let now = Instant::now();
        let ceiling = ceiling.map_or(MAX_RATE, clamp_rate);
        let (rate, concurrency) = match mode {
            Mode::Fixed => (ceiling, max_in_flight as f64),
            Mode::Adaptive => (START_RATE.min(ceiling), (max_in_flight as f64).min(4.0)),
        };
        Arc::new(Self {
            mode,
            max_in_flight: max_in_flight.max(1),
            ceiling,
            state: Mutex::new(State::starting(rate, concurrency, now)),
            gate: tokio::sync::Mutex::new(()),
            freed: Notify::new(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current rate (attempts per second) and concurrency limit.
    pub(super) fn current_limits(&self) -> (f64, usize) {
        let state = self.lock();
        (state.rate, state.limit(self.max_in_flight))
    }

    /// Waits for a place in flight, then for the next start slot.
    pub(crate) async fn turn(self: &Arc<Self>) -> Turn {
        loop {
            let freed = self.freed.notified();
            {
                let mut state = self.lock();
                if state.in_flight < state.limit(self.max_in_flight) {
                    state.in_flight += 1;
                    break;
                }
            }
            freed.await;
        }
        // Dropped while waiting below: the place is freed by the guard.
        let mut turn = Turn {
            pacer: self.clone(),
            started: Instant::now(),
        };
        let _gate = self.gate.lock().await;
        let start = {
            let mut state = self.lock();
            // Slots follow the schedule, not the timer's late wake-ups
            // (tokio's timer has a millisecond grain: at 400/s re-anchoring
            // on each wake-up would lose a fifth of the rate). A pacer that
            // fell behind catches up by at most `CATCH_UP`.
            let now = Instant::now();
            let earliest = now.checked_sub(CATCH_UP).unwrap_or(now);
            let start = state.next_start.max(earliest);
            state.next_start = start + interval(state.rate);
            start
        };
        tokio::time::sleep_until(start).await;
        turn.started = start;
        turn
    }

    fn release(&self) {
        let mut state = self.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
        drop(state);
        self.freed.notify_one();
    }
}

impl Turn {
    /// Reports how the attempt went: `None` for a success.
    pub(crate) fn finish(self, error: Option<&Error>) {
        if self.pacer.mode == Mode::Adaptive {
            let throttled = error.is_some_and(is_throttle);
            let mut state = self.pacer.lock();
            state.adapt(throttled, self.started, Instant::now());
            state.rate = state.rate.min(self.pacer.ceiling);
            state.concurrency = state.concurrency.min(self.pacer.max_in_flight as f64);
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.pacer.release();
    }
}

/// Whether an error says the server is overloaded: slow down.
fn is_throttle(error: &Error) -> bool {
    matches!(error.status(), Some(429 | 503)) || error.kind() == ErrorKind::Timeout
}

impl State {
    /// The state of a job that starts at `now` at `rate` with
    /// `concurrency` places (at least one).
    fn starting(rate: f64, concurrency: f64, now: Instant) -> Self {
        State {
            rate,
            next_start: now,
            in_flight: 0,
            concurrency: concurrency.max(1.0),
            slow_start: true,
            w_max: rate,
            last_decrease: None,
            window_start: now,
            admitted_now: 0,
            admitted_before: None,
        }
    }

    fn limit(&self, max: usize) -> usize {
        // Truncation is the intent: 2.9 allowed in flight means 2.
        (self.concurrency as usize).clamp(1, max)
    }

    /// Adaptive mode: one attempt's answer moves the rate and concurrency.
    fn adapt(&mut self, throttled: bool, started: Instant, now: Instant) {
        self.roll_window(now);
        if throttled {
            // One decrease per congestion event: attempts that started
            // before the last decrease report the same event.
            if self.last_decrease.is_some_and(|at| started < at) {
                return;
            }
            // In slow start the rate overshoots: the decrease starts from
            // what the server admitted in the last window, or half the rate
            // (where it was one doubling ago), whichever is more.
            self.w_max = if self.slow_start {
                let half = self.rate / 2.0;
                self.admitted_rate()
                    .unwrap_or(half)
                    .max(half)
                    .min(self.rate)
            } else {
                self.rate
            };
            self.rate = clamp_rate(self.w_max * BETA);
            self.concurrency = (self.concurrency * BETA).max(1.0);
            self.slow_start = false;
            self.last_decrease = Some(now);
            return;
        }
        self.admitted_now = self.admitted_now.saturating_add(1);
        self.concurrency += 1.0 / self.concurrency;
        self.rate = clamp_rate(if self.slow_start {
            // About doubling every half second at any rate.
            self.rate + 1.5
        } else {
            self.cubic(now)
        });
    }

    /// CUBIC's rate `t` seconds after the last decrease.
    fn cubic(&self, now: Instant) -> f64 {
        let t = self
            .last_decrease
            .map_or(0.0, |at| now.saturating_duration_since(at).as_secs_f64());
        let k = (self.w_max * (1.0 - BETA) / SCALE).cbrt();
        SCALE * (t - k).powi(3) + self.w_max
    }

    fn roll_window(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.window_start);
        if elapsed >= WINDOW {
            // A window with no answer at all in between counts as empty.
            self.admitted_before = Some(if elapsed >= WINDOW * 2 {
                0
            } else {
                self.admitted_now
            });
            self.admitted_now = 0;
            self.window_start = now;
        }
    }

    /// Successful attempts per second over the last full window.
    fn admitted_rate(&self) -> Option<f64> {
        self.admitted_before
            .map(|count| f64::from(count) / WINDOW.as_secs_f64())
    }
}

/// A rate kept within what the pacer can wait for: never a panic, whatever
/// the `f64` (not finite or not positive is taken as the slowest pace).
pub(super) fn clamp_rate(rate: f64) -> f64 {
    if rate.is_nan() {
        MIN_RATE
    } else {
        rate.clamp(MIN_RATE, MAX_RATE)
    }
}

/// The time between two starts at `rate` (already clamped: finite, > 0).
fn interval(rate: f64) -> Duration {
    Duration::try_from_secs_f64(1.0 / clamp_rate(rate)).unwrap_or(Duration::from_secs(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(rate: f64) -> State {
        State::starting(rate, 8.0, Instant::now())
    }

    #[test]
    fn any_rate_gives_a_bounded_interval() {
        for rate in [
            f64::MIN_POSITIVE,
            1e-300,
            0.0,
            -1.0,
            f64::NAN,
            f64::INFINITY,
            1e300,
        ] {
            let wait = interval(rate);
            assert!(wait <= Duration::from_secs(3600), "{rate}: {wait:?}");
        }
        assert_eq!(interval(4.0), Duration::from_millis(250));
    }

    #[test]
    fn a_throttle_cuts_once_per_event_then_climbs_back() {
        let start = Instant::now();
        let mut s = state(100.0);
        s.slow_start = false;
        s.adapt(true, start, start + Duration::from_millis(10));
        assert!((s.rate - 70.0).abs() < 1e-9, "{}", s.rate);
        assert!((s.concurrency - 5.6).abs() < 1e-9);
        // An attempt sent before the decrease reports the same event.
        s.adapt(true, start, start + Duration::from_millis(20));
        assert!((s.rate - 70.0).abs() < 1e-9);
        // Concave climb: back at the old rate after K seconds, not before.
        let k = (100.0f64 * 0.3 / SCALE).cbrt();
        let at = |secs: f64| start + Duration::from_millis(10) + Duration::from_secs_f64(secs);
        assert!(s.cubic(at(k / 2.0)) < 100.0);
        assert!((s.cubic(at(k)) - 100.0).abs() < 0.5);
        s.adapt(false, start, at(k + 2.0));
        assert!(s.rate > 100.0 && s.rate < 105.0, "{}", s.rate);
    }

    #[test]
    fn the_decrease_starts_from_the_admitted_rate() {
        let start = Instant::now();
        let mut s = state(300.0);
        // 50 in a quarter of a second: 200/s.
        s.admitted_before = Some(50);
        assert!(s.slow_start);
        s.adapt(true, start, start);
        assert!((s.rate - 140.0).abs() < 1e-9, "{}", s.rate);
        assert!(!s.slow_start);
    }

    #[tokio::test]
    async fn fixed_turns_are_spaced_and_places_are_freed() {
        let pacer = Pacer::new(Mode::Fixed, Some(20.0), 2);
        let first = pacer.turn().await;
        let second = pacer.turn().await;
        // Lower bounds only: a loaded machine may be late, never early.
        assert!(second.started - first.started >= Duration::from_millis(50));
        // Two in flight: a third waits until one finishes.
        let third = tokio::spawn({
            let pacer = pacer.clone();
            async move { pacer.turn().await }
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!third.is_finished());
        let freed_at = Instant::now();
        drop(first);
        let third = third.await.expect("the third turn");
        // Its slot is on the schedule, at most `CATCH_UP` before it was let in.
        assert!(third.started + CATCH_UP >= freed_at);
        assert_eq!(pacer.lock().in_flight, 2);
        second.finish(None);
        drop(third);
        assert_eq!(pacer.lock().in_flight, 0);
    }
}
