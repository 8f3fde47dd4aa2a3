//! The pace of a bulk job: every attempt of the job's calls waits for its
//! [`Turn`] here and reports how it went.
//!
//! The job hands its calls a clone of the client that carries the job's
//! [`Pacer`] (`Client::pace`); `Client::execute` takes a turn before each
//! attempt and [`finishes`](Turn::finish) it with the attempt's error, if
//! any. Such a call makes one attempt: the job, not the call, tries a
//! record again (`job.rs`).
//!
//! What the pacer decides:
//! - **When an attempt starts**: at most the job's rate (fixed, adaptive
//!   per `adapt.rs`, or none), evenly spaced, with at most a number of
//!   attempts in flight.
//! - **Outages**: after [`OUTAGE_AFTER`] transient failures in a row over
//!   at least [`OUTAGE_SPAN`], one attempt at a time, each after a wait
//!   that doubles from [`FIRST_PROBE`] up to the job's longest wait
//!   (`BulkOptions::max_retry_wait`), or after the server's `Retry-After`
//!   up to that wait. The first answer ends the outage; an adaptive pace
//!   then starts its slow start again.
//! - **Stopping**: once [`stop`](Pacer::stop)ped, no attempt starts; the
//!   attempts on the wire run to their answer.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::task::AtomicWaker;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::adapt::Adaptive;
use crate::Error;

/// Transient failures in a row that may start an outage.
const OUTAGE_AFTER: u32 = 3;
/// ... when they span at least this long.
const OUTAGE_SPAN: Duration = Duration::from_millis(250);
/// The wait before the first probe of an outage.
const FIRST_PROBE: Duration = Duration::from_millis(250);
/// How far behind its schedule a pacer may start attempts to catch up.
const CATCH_UP: Duration = Duration::from_millis(10);
/// The slowest fixed pace: one attempt an hour.
const MIN_RATE: f64 = 1.0 / 3600.0;

/// How a pacer spaces attempts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Mode {
    /// No rate: only the number in flight and outages.
    Unlimited,
    /// At most this many attempts per second.
    Fixed(f64),
    /// Follows the server's answers, up to this many per second.
    Adaptive { ceiling: f64, initial: Option<f64> },
}

/// What an outage looks like so far.
#[derive(Debug, Clone)]
pub(super) struct Outage {
    /// When the failures in a row began.
    pub(super) since: Instant,
    /// The last failure's status, if NP6 answered.
    pub(super) status: Option<u16>,
    /// The last failure, as one line.
    pub(super) error: String,
    /// When the next attempt may start.
    pub(super) next_try: Instant,
}

/// The shared pace of one bulk job.
#[derive(Debug)]
pub(crate) struct Pacer {
    max_in_flight: usize,
    max_wait: Duration,
    state: Mutex<State>,
    /// Serialises the waits for a start slot, so a change of rate applies
    /// to the very next attempt (no slots are handed out in advance).
    gate: tokio::sync::Mutex<()>,
    /// Wakes the attempts waiting for a place in flight.
    freed: Notify,
    /// Wakes the job when the last attempt on the wire ends after a stop.
    idle: AtomicWaker,
}

#[derive(Debug)]
struct State {
    fixed: Option<f64>,
    adaptive: Option<Adaptive>,
    next_start: Instant,
    /// Turns given (waiting for their start slot or on the wire).
    places: usize,
    /// Attempts on the wire.
    on_wire: usize,
    /// Transient failures since the last answer that was not one.
    failures_in_row: u32,
    failing: Option<Outage>,
    /// Whether the failures in a row make an outage (probing).
    outage: bool,
    /// When the outage began: only probes, attempts started after it,
    /// lengthen the wait.
    outage_began: Option<Instant>,
    probes: u32,
    stopped: bool,
}

/// The right to run one attempt; dropping it frees its place.
#[derive(Debug)]
pub(crate) struct Turn {
    pacer: Arc<Pacer>,
    started: Instant,
    on_wire: bool,
}

impl Pacer {
    /// A pacer in `mode`, with at most `max_in_flight` attempts at once
    /// and waits between probes of at most `max_wait`.
    pub(super) fn new(mode: Mode, max_in_flight: usize, max_wait: Duration) -> Arc<Self> {
        let now = Instant::now();
        let max_in_flight = max_in_flight.max(1);
        let (fixed, adaptive) = match mode {
            Mode::Unlimited => (None, None),
            Mode::Fixed(rate) => (Some(rate.clamp(MIN_RATE, f64::MAX)), None),
            Mode::Adaptive { ceiling, initial } => (
                None,
                Some(Adaptive::new(ceiling, max_in_flight, initial, now)),
            ),
        };
        Arc::new(Self {
            max_in_flight,
            max_wait,
            state: Mutex::new(State {
                fixed,
                adaptive,
                next_start: now,
                places: 0,
                on_wire: 0,
                failures_in_row: 0,
                failing: None,
                outage: false,
                outage_began: None,
                probes: 0,
                stopped: false,
            }),
            gate: tokio::sync::Mutex::new(()),
            freed: Notify::new(),
            idle: AtomicWaker::new(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The rate in force (attempts per second; `None` without one) and the
    /// most attempts in flight.
    pub(super) fn limits(&self) -> (Option<f64>, usize) {
        let state = self.lock();
        (state.rate(), state.limit(self.max_in_flight))
    }

    /// Attempts on the wire.
    pub(super) fn on_wire(&self) -> usize {
        self.lock().on_wire
    }

    /// The failures in a row so far, when the last attempt failed.
    pub(super) fn failing(&self) -> Option<Outage> {
        let state = self.lock();
        state.failing.clone().map(|mut outage| {
            outage.next_try = outage.next_try.max(state.next_start);
            outage
        })
    }

    /// Starts no attempt from now on; wakes the job when none is on the
    /// wire any more (registered with [`wait_idle`](Self::register_idle)).
    pub(super) fn stop(&self) {
        self.lock().stopped = true;
        self.freed.notify_waiters();
    }

    /// Registers the job's waker, woken when the last attempt on the wire
    /// ends after a stop.
    pub(super) fn register_idle(&self, waker: &std::task::Waker) {
        self.idle.register(waker);
    }

    /// Waits for a place in flight, then for the next start slot (and,
    /// during an outage, for the next probe). Never resolves once the pacer
    /// is stopped.
    pub(crate) async fn turn(self: &Arc<Self>) -> Turn {
        loop {
            let freed = self.freed.notified();
            let (stopped, placed) = {
                let mut state = self.lock();
                let placed = !state.stopped && state.places < state.limit(self.max_in_flight);
                if placed {
                    state.places += 1;
                }
                (state.stopped, placed)
            };
            if stopped {
                return never().await;
            }
            if placed {
                break;
            }
            freed.await;
        }
        // Dropped while waiting below: the place is freed by the turn.
        let mut turn = Turn {
            pacer: self.clone(),
            started: Instant::now(),
            on_wire: false,
        };
        let gate = self.gate.lock().await;
        loop {
            let wait = {
                let mut state = self.lock();
                let now = Instant::now();
                let probe = match &state.failing {
                    Some(failing) if state.outage && failing.next_try > now => {
                        Some(failing.next_try)
                    }
                    _ => None,
                };
                if state.stopped {
                    Wait::Never
                } else if let Some(at) = probe {
                    Wait::Until(at)
                } else {
                    // Slots follow the schedule, not the timer's late
                    // wake-ups (tokio's timer has a millisecond grain); a
                    // pacer that fell behind catches up by `CATCH_UP`.
                    let earliest = now.checked_sub(CATCH_UP).unwrap_or(now);
                    let start = state.next_start.max(earliest);
                    if start <= now {
                        state.next_start = start + state.interval();
                        state.on_wire += 1;
                        Wait::Go
                    } else {
                        Wait::Until(start)
                    }
                }
            };
            match wait {
                Wait::Go => break,
                Wait::Until(at) => tokio::time::sleep_until(at).await,
                Wait::Never => {
                    drop(gate);
                    drop(turn);
                    return never().await;
                }
            }
        }
        turn.on_wire = true;
        turn.started = Instant::now();
        turn
    }

    fn release(&self, on_wire: bool) {
        let mut state = self.lock();
        state.places = state.places.saturating_sub(1);
        if on_wire {
            state.on_wire = state.on_wire.saturating_sub(1);
        }
        let idle = state.stopped && state.on_wire == 0;
        drop(state);
        self.freed.notify_waiters();
        if idle {
            self.idle.wake();
        }
    }
}

/// `at + wait`, or a far future when that cannot be represented (a huge
/// `max_retry_wait`): never a panic.
pub(super) fn later(at: Instant, wait: Duration) -> Instant {
    at.checked_add(wait)
        .or_else(|| at.checked_add(Duration::from_secs(86_400 * 365 * 30)))
        .unwrap_or(at)
}

/// What a turn waits for next.
enum Wait {
    Go,
    Until(Instant),
    Never,
}

/// A future that never resolves: what a turn asked after a stop waits for.
fn never() -> impl Future<Output = Turn> {
    std::future::pending()
}

impl Turn {
    /// Reports how the attempt went: `None` for an answer that was not a
    /// transient failure's.
    pub(crate) fn finish(self, error: Option<&Error>) {
        let now = Instant::now();
        let pacer = &self.pacer;
        let mut state = pacer.lock();
        let transient = error.filter(|e| e.is_retryable());
        let Some(error) = transient else {
            state.answered(now, now.saturating_duration_since(self.started));
            return;
        };
        if let Some(adaptive) = state
            .adaptive
            .as_mut()
            .filter(|_| crate::retry::classify(error) == crate::retry::Verdict::Throttled)
        {
            let overloaded = error.status() != Some(429);
            adaptive.throttle(self.started, now, overloaded);
        }
        state.failures_in_row = state.failures_in_row.saturating_add(1);
        let since = state.failing.as_ref().map_or(now, |f| f.since);
        if !state.outage
            && state.failures_in_row >= OUTAGE_AFTER
            && now.saturating_duration_since(since) >= OUTAGE_SPAN
        {
            state.outage = true;
            state.outage_began = Some(now);
            state.probes = 0;
        }
        let next_try = if state.outage {
            if state.outage_began.is_some_and(|at| self.started >= at) || state.probes == 0 {
                state.probes = state.probes.saturating_add(1);
            }
            let backoff = FIRST_PROBE
                .saturating_mul(1 << state.probes.saturating_sub(1).min(16))
                .min(pacer.max_wait);
            let asked = error.retry_after().unwrap_or_default().min(pacer.max_wait);
            later(now, backoff.max(asked))
        } else {
            now
        };
        state.failing = Some(Outage {
            since,
            status: error.status(),
            error: error.to_string(),
            next_try,
        });
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.pacer.release(self.on_wire);
    }
}

impl State {
    /// NP6 answered (a success, or a refusal that is final): an outage
    /// ends, the adaptive pace learns from it.
    fn answered(&mut self, now: Instant, rtt: Duration) {
        let recovered = self.outage;
        self.failures_in_row = 0;
        self.failing = None;
        self.outage = false;
        self.outage_began = None;
        self.probes = 0;
        if let Some(adaptive) = self.adaptive.as_mut() {
            if recovered {
                adaptive.restart(now);
            } else {
                adaptive.success(now, rtt);
            }
        }
    }

    fn rate(&self) -> Option<f64> {
        self.adaptive.as_ref().map(|a| a.rate).or(self.fixed)
    }

    fn limit(&self, max: usize) -> usize {
        if self.outage {
            return 1;
        }
        self.adaptive.as_ref().map_or(max, |a| a.limit().min(max))
    }

    /// The time between two starts (zero without a rate).
    fn interval(&self) -> Duration {
        self.rate().map_or(Duration::ZERO, |rate| {
            Duration::try_from_secs_f64(1.0 / rate.max(MIN_RATE))
                .unwrap_or(Duration::from_secs(3600))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn fixed_turns_are_spaced_and_places_are_freed() {
        let pacer = Pacer::new(Mode::Fixed(20.0), 2, Duration::from_secs(10));
        let first = pacer.turn().await;
        let second = pacer.turn().await;
        assert_eq!(second.started - first.started, Duration::from_millis(50));
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
        assert!(third.started + CATCH_UP >= freed_at);
        assert_eq!(pacer.on_wire(), 2);
        second.finish(None);
        drop(third);
        assert_eq!(pacer.on_wire(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn no_turn_starts_after_a_stop() {
        let pacer = Pacer::new(Mode::Unlimited, 4, Duration::from_secs(10));
        let on_wire = pacer.turn().await;
        pacer.stop();
        let late = tokio::time::timeout(Duration::from_secs(3600), pacer.turn()).await;
        assert!(late.is_err(), "a turn started after the stop");
        assert_eq!(pacer.on_wire(), 1);
        drop(on_wire);
        assert_eq!(pacer.on_wire(), 0);
    }

    #[test]
    fn any_fixed_rate_gives_a_bounded_interval() {
        for rate in [f64::MIN_POSITIVE, 1e-300, f64::MAX, 1e300] {
            let pacer = Pacer::new(Mode::Fixed(rate), 1, Duration::from_secs(1));
            let wait = pacer.lock().interval();
            assert!(wait <= Duration::from_secs(3600), "{rate}: {wait:?}");
        }
    }
}
