//! Progress of an import on stderr: a live bar on a terminal, a plain line
//! every few seconds otherwise (logs, CI), what the job waits for while NP6
//! fails, and the final summary (a line, and with `--summary json` one
//! JSON object on stdout). `--quiet` leaves only the JSON.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use np6_client::BulkState;

use crate::failure::Failure;

/// Counts of an import so far.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Counts {
    pub(super) sent: u64,
    pub(super) rejected: u64,
    /// Already finished in an earlier run (the journal says so).
    pub(super) skipped: u64,
    /// Read and not finished: not journaled, sent by the next run.
    pub(super) pending: u64,
}

/// Shows progress on stderr.
pub(super) struct Progress {
    bar: Option<ProgressBar>,
    quiet: bool,
    started: Instant,
    last_line: Instant,
}

const PLAIN_EVERY: Duration = Duration::from_secs(5);
/// NP6 failing for less than this is a passing refusal, not news.
const FAILING_SHOWN_AFTER: Duration = Duration::from_secs(1);

impl Progress {
    /// Starts the display (none with `quiet`).
    pub(super) fn start(quiet: bool) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}") {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        let now = Instant::now();
        Self {
            bar,
            quiet,
            started: now,
            // The first plain line comes after `PLAIN_EVERY`.
            last_line: now,
        }
    }

    /// Updates the display with the counts, the job's state and its pace.
    pub(super) fn update(&mut self, counts: Counts, state: &BulkState, pace: (Option<f64>, usize)) {
        if self.quiet {
            return;
        }
        let text = self.describe(counts, state, pace);
        match &self.bar {
            Some(bar) => bar.set_message(text),
            None if self.last_line.elapsed() >= PLAIN_EVERY => {
                self.last_line = Instant::now();
                crate::output::note(&format!("np6: {text}"));
            }
            None => {}
        }
    }

    /// A line of its own (above the bar), unless quiet.
    pub(super) fn note(&self, line: &str) {
        if self.quiet {
            return;
        }
        match &self.bar {
            Some(bar) => bar.suspend(|| crate::output::note(line)),
            None => crate::output::note(line),
        }
    }

    fn describe(&self, counts: Counts, state: &BulkState, pace: (Option<f64>, usize)) -> String {
        let seconds = self.started.elapsed().as_secs_f64().max(0.001);
        let mut text = format!(
            "{} sent, {} rejected, {:.1}/s",
            counts.sent,
            counts.rejected,
            (counts.sent + counts.rejected) as f64 / seconds
        );
        let failing = state
            .failing
            .as_ref()
            .filter(|f| f.duration >= FAILING_SHOWN_AFTER && state.pending > 0);
        if let Some(failing) = failing {
            text.push_str(&format!("; {failing}"));
        } else if let (Some(rate), in_flight) = pace {
            text.push_str(&format!(" (pace {rate:.1}/s, up to {in_flight} in flight)"));
        }
        text
    }

    /// Clears the bar and gives the summary: a line on stderr (unless
    /// quiet), and with `json` one object on stdout.
    pub(super) fn finish(self, counts: Counts, outcome: &str, json: bool) -> Result<(), Failure> {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        let elapsed = self.started.elapsed().as_secs_f64();
        if !self.quiet {
            let mut line = format!(
                "np6: {outcome}: {} sent, {} rejected",
                counts.sent, counts.rejected
            );
            if counts.pending > 0 {
                line.push_str(&format!(", {} pending", counts.pending));
            }
            if counts.skipped > 0 {
                line.push_str(&format!(", {} already done (journal)", counts.skipped));
            }
            line.push_str(&format!(" in {elapsed:.1} s"));
            crate::output::note(&line);
        }
        if json {
            let finished = counts.sent + counts.rejected;
            let summary = serde_json::json!({
                "outcome": outcome,
                "sent": counts.sent,
                "rejected": counts.rejected,
                "pending": counts.pending,
                "skipped": counts.skipped,
                "elapsed": round(elapsed),
                "rate": round(finished as f64 / elapsed.max(0.001)),
            });
            crate::output::print(&format!("{summary}\n"))?;
        }
        Ok(())
    }
}

/// Three decimals are enough for seconds and rates.
fn round(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}
