//! The adaptive pace's arithmetic: the rate and the number of attempts in
//! flight after each answer, with no clock and no waiting of its own (the
//! pacer, `pace.rs`, passes the time in).
//!
//! - **Slow start**: from [`START_RATE`] (or the rate a resumed job was
//!   given), the rate doubles every round (about a round trip, at least
//!   [`MIN_ROUND`]) in which it was used, until the first throttle (`429`,
//!   `503`, a timeout).
//! - **On a throttle**: the rate drops to [`MARGIN`] of the rate the server
//!   admitted since the rate last changed (measured over at most
//!   [`MEASURE`]), leaving slow start to at most [`EXIT`] of the rate, or by
//!   [`BETA`] when too few answers came to measure it; at most once per
//!   congestion event (attempts that started before the last decrease, or
//!   throttled too soon after it to measure anything, report the same
//!   event).
//! - **Then**: a CUBIC-shaped climb (RFC 8312), concave back to the
//!   admitted rate and convex beyond it, relative to that rate, so a
//!   server of 40/s and one of 400/s are probed alike.
//! - Never below [`FLOOR`] (an outage is handled by the pacer's probes,
//!   not by the rate), never above the ceiling.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// The slowest adaptive pace, attempts per second.
pub(super) const FLOOR: f64 = 1.0;
/// The adaptive pace's starting rate, before the server has said anything.
pub(super) const START_RATE: f64 = 20.0;
/// After a throttle, the share of the admitted rate the pace goes back to.
const MARGIN: f64 = 0.95;
/// Leaving slow start, the most of the rate kept.
const EXIT: f64 = 0.75;
/// After a throttle with too few answers to measure the admitted rate, the
/// share of the rate kept.
const BETA: f64 = 0.7;
/// The climb's scale, relative to the admitted rate, per second cubed.
const SCALE: f64 = 0.001;
/// The shortest slow-start round: as long as a burst the server may let
/// through (a tenth of a second's worth, commonly), so one round over the
/// server's rate is enough to see a throttle.
const MIN_ROUND: Duration = Duration::from_millis(200);
/// The shortest span over which the admitted rate is measured.
const MIN_SPAN: Duration = Duration::from_millis(50);
/// The longest span over which the admitted rate is measured.
const MEASURE: Duration = Duration::from_secs(1);
/// The fewest successes a measure of the admitted rate needs.
const MIN_SAMPLES: usize = 4;
/// The most success times kept (the measure covers less than [`MEASURE`]
/// above this many per second).
const MAX_SAMPLES: usize = 4096;

/// The adaptive rate and concurrency of one job.
#[derive(Debug)]
pub(super) struct Adaptive {
    /// Attempts per second.
    pub(super) rate: f64,
    /// The most attempts in flight, as a real number.
    pub(super) concurrency: f64,
    ceiling: f64,
    max_in_flight: f64,
    slow_start: bool,
    round_end: Instant,
    round_successes: u32,
    /// The admitted rate at the last decrease, and when it was.
    w_max: f64,
    last_decrease: Option<Instant>,
    /// When the rate last changed by a step (a decrease or a doubling): the
    /// admitted rate is measured from there.
    measure_from: Instant,
    successes: VecDeque<Instant>,
}

impl Adaptive {
    /// A pace that starts at `now`, in slow start from [`START_RATE`], or at
    /// `initial` (a rate found earlier) in its climb.
    pub(super) fn new(
        ceiling: f64,
        max_in_flight: usize,
        initial: Option<f64>,
        now: Instant,
    ) -> Self {
        let max_in_flight = max_in_flight.max(1) as f64;
        let ceiling = ceiling.max(FLOOR);
        let (rate, concurrency, slow_start) = match initial {
            Some(rate) => (rate.clamp(FLOOR, ceiling), max_in_flight, false),
            None => (START_RATE.min(ceiling), max_in_flight.min(4.0), true),
        };
        Self {
            rate,
            concurrency,
            ceiling,
            max_in_flight,
            slow_start,
            round_end: now + round(rate, None),
            round_successes: 0,
            w_max: rate / MARGIN,
            last_decrease: initial.map(|_| now),
            measure_from: now,
            successes: VecDeque::new(),
        }
    }

    /// Whether the pace is still in slow start.
    #[cfg(test)]
    pub(super) fn in_slow_start(&self) -> bool {
        self.slow_start
    }

    /// An answer that was not a throttle, to an attempt that took `rtt`.
    pub(super) fn success(&mut self, now: Instant, rtt: Duration) {
        if self.successes.len() >= MAX_SAMPLES {
            self.successes.pop_front();
        }
        self.successes.push_back(now);
        if self.slow_start {
            self.concurrency = (self.concurrency + 1.0).min(self.max_in_flight);
            self.round_successes = self.round_successes.saturating_add(1);
            if now >= self.round_end {
                let length = round(self.rate, Some(rtt));
                // Doubled only when the round used at least half its rate:
                // a job held back by something else does not race ahead.
                let expected = self.rate * length.as_secs_f64() / 2.0;
                if f64::from(self.round_successes) >= expected {
                    self.rate = (self.rate * 2.0).min(self.ceiling);
                    self.measure_from = now;
                }
                self.round_successes = 0;
                self.round_end = now + round(self.rate, Some(rtt));
            }
        } else {
            self.concurrency = (self.concurrency + 1.0 / self.concurrency).min(self.max_in_flight);
            self.rate = self.cubic(now).clamp(FLOOR, self.ceiling);
        }
    }

    /// A throttle (`429`, `503`, a timeout) to an attempt that started at
    /// `started`; `overloaded` when the server is slow (a timeout or a
    /// `503`), which also cuts the number in flight.
    pub(super) fn throttle(&mut self, started: Instant, now: Instant, overloaded: bool) {
        if self.last_decrease.is_some_and(|at| started < at) {
            return;
        }
        let recent = self
            .last_decrease
            .is_some_and(|at| now.saturating_duration_since(at) < MEASURE);
        let decreased = match self.admitted(now) {
            Some(admitted) => admitted.min(self.rate) * MARGIN,
            // Too soon after the last decrease to measure what the server
            // admits now: its own answers to the last overshoot.
            None if recent => return,
            None if self.slow_start => self.rate * 0.5,
            None => self.rate * BETA,
        };
        self.rate = if self.slow_start {
            // The rate doubled past the server's, whose burst may have
            // hidden one round: between a half and three quarters of it,
            // then measures once the burst is spent.
            decreased.clamp(self.rate * 0.5, self.rate * EXIT)
        } else {
            // Always a real decrease: a measure inflated by a burst the
            // server let through must not keep the pace where it is.
            decreased.min(self.rate * MARGIN)
        }
        .clamp(FLOOR, self.ceiling);
        self.w_max = self.rate / MARGIN;
        if overloaded {
            self.concurrency = (self.concurrency * BETA).max(1.0);
        }
        self.slow_start = false;
        self.last_decrease = Some(now);
        self.measure_from = now;
    }

    /// Starts slow start again from at least [`START_RATE`]: the server
    /// answers again after an outage.
    pub(super) fn restart(&mut self, now: Instant) {
        self.rate = self.rate.max(START_RATE).min(self.ceiling);
        self.concurrency = self.concurrency.max(4.0_f64.min(self.max_in_flight));
        self.slow_start = true;
        self.round_successes = 0;
        self.round_end = now + round(self.rate, None);
        self.measure_from = now;
        self.successes.clear();
    }

    /// The most attempts in flight.
    pub(super) fn limit(&self) -> usize {
        // Truncation is the intent: 2.9 allowed in flight means 2.
        (self.concurrency as usize).max(1)
    }

    /// Successes per second since the rate last changed, over at most
    /// [`MEASURE`]; `None` with too few.
    fn admitted(&self, now: Instant) -> Option<f64> {
        let from = self
            .measure_from
            .max(now.checked_sub(MEASURE).unwrap_or(self.measure_from));
        let count = self
            .successes
            .iter()
            .rev()
            .take_while(|at| **at >= from)
            .count();
        let span = now.saturating_duration_since(from).as_secs_f64();
        (count >= MIN_SAMPLES && span >= MIN_SPAN.as_secs_f64()).then(|| count as f64 / span)
    }

    /// CUBIC's rate now: `w_max` after `K` seconds, concave before, convex
    /// after.
    fn cubic(&self, now: Instant) -> f64 {
        let t = self
            .last_decrease
            .map_or(0.0, |at| now.saturating_duration_since(at).as_secs_f64());
        let k = ((1.0 - MARGIN) / SCALE).cbrt();
        self.w_max * (1.0 + SCALE * (t - k).powi(3))
    }
}

/// A slow-start round at `rate`: about a round trip, at least
/// [`MIN_ROUND`], and long enough for a few attempts.
fn round(rate: f64, rtt: Option<Duration>) -> Duration {
    let few = Duration::try_from_secs_f64(4.0 / rate.max(FLOOR)).unwrap_or(Duration::from_secs(4));
    few.max(MIN_ROUND)
        .max(rtt.unwrap_or_default())
        .min(Duration::from_secs(4))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn slow_start_doubles_per_round_up_to_the_ceiling() {
        let start = Instant::now();
        let mut pace = Adaptive::new(1_000.0, 32, None, start);
        assert_eq!(pace.rate, START_RATE);
        // Answers as fast as the rate allows: the rate doubles each round.
        let mut now = start;
        let mut doublings = 0;
        while pace.rate < 1_000.0 && doublings < 20 {
            let before = pace.rate;
            let end = pace.round_end;
            while now < end {
                now += Duration::from_secs_f64(1.0 / pace.rate);
                pace.success(now, MS);
            }
            if pace.rate > before {
                doublings += 1;
            }
        }
        assert_eq!(pace.rate, 1_000.0);
        // 20 → 1000 capped: six doublings, 640 (over 400) after five
        // rounds, about a second.
        assert_eq!(doublings, 6);
        assert!(
            now - start <= Duration::from_millis(1_250),
            "{:?}",
            now - start
        );
        assert_eq!(pace.limit(), 32);
    }

    #[test]
    fn an_unused_rate_does_not_double() {
        let start = Instant::now();
        let mut pace = Adaptive::new(1_000.0, 32, None, start);
        // One answer a second: far less than the rate.
        for second in 1..10 {
            pace.success(start + Duration::from_secs(second), MS);
        }
        assert_eq!(pace.rate, START_RATE);
    }

    #[test]
    fn a_throttle_drops_to_the_admitted_rate_once_per_event() {
        let start = Instant::now();
        let mut pace = Adaptive::new(1_000.0, 32, Some(400.0), start);
        // 100 successes in the 250 ms since the start: 400/s admitted.
        for i in 1..=100 {
            pace.success(start + Duration::from_micros(2_500 * i), MS);
        }
        let at = start + Duration::from_millis(250);
        pace.throttle(at, at, false);
        assert!((pace.rate - 380.0).abs() < 1.0, "{}", pace.rate);
        assert_eq!(pace.limit(), 32, "a 429 leaves the concurrency");
        // An attempt that started before the decrease: the same event.
        pace.throttle(at - MS, at + MS, true);
        assert!((pace.rate - 380.0).abs() < 1.0, "{}", pace.rate);
        // Concave back to the admitted rate after K seconds, convex beyond.
        let k = ((1.0 - MARGIN) / SCALE).cbrt();
        let later = |secs: f64| at + Duration::from_secs_f64(secs);
        assert!(pace.cubic(later(k / 2.0)) < 400.0);
        assert!((pace.cubic(later(k)) - 400.0).abs() < 1.0);
        assert!(pace.cubic(later(k + 2.0)) > 400.0);
    }

    #[test]
    fn without_a_measure_a_throttle_cuts_by_beta_down_to_the_floor() {
        let start = Instant::now();
        let mut pace = Adaptive::new(1_000.0, 8, Some(100.0), start);
        let mut now = start;
        for _ in 0..40 {
            now += Duration::from_secs(1);
            pace.throttle(now, now, true);
        }
        assert_eq!(pace.rate, FLOOR);
        assert_eq!(pace.limit(), 1);
        pace.restart(now);
        assert_eq!(pace.rate, START_RATE);
        assert_eq!(pace.limit(), 4);
        assert!(pace.in_slow_start());
    }

    #[test]
    fn rounds_are_bounded_whatever_the_rate() {
        for rate in [f64::MIN_POSITIVE, 0.0, -1.0, f64::NAN, 1e300] {
            let length = round(rate, None);
            assert!(
                length >= MIN_ROUND && length <= Duration::from_secs(4),
                "{rate}: {length:?}"
            );
        }
    }
}
