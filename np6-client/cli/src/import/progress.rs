//! Progress of an import: a live bar on a terminal, a plain line every few
//! seconds otherwise (logs, CI), and the final summary.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Counts of an import so far.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Counts {
    pub(super) sent: u64,
    pub(super) rejected: u64,
    /// Already finished in an earlier run (the journal says so).
    pub(super) skipped: u64,
}

/// Shows progress on stderr.
pub(super) struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
    last_line: Instant,
}

const PLAIN_EVERY: Duration = Duration::from_secs(5);

impl Progress {
    pub(super) fn start() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
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
            started: now,
            last_line: now,
        }
    }

    /// Updates the display with the counts and the pace in force.
    pub(super) fn update(&mut self, counts: Counts, pace: Option<(f64, usize)>) {
        let text = self.describe(counts, pace);
        match &self.bar {
            Some(bar) => bar.set_message(text),
            None if self.last_line.elapsed() >= PLAIN_EVERY => {
                self.last_line = Instant::now();
                crate::output::note(&format!("np6: {text}"));
            }
            None => {}
        }
    }

    fn describe(&self, counts: Counts, pace: Option<(f64, usize)>) -> String {
        let seconds = self.started.elapsed().as_secs_f64().max(0.001);
        let mut text = format!(
            "{} sent, {} rejected, {:.1}/s",
            counts.sent,
            counts.rejected,
            (counts.sent + counts.rejected) as f64 / seconds
        );
        if let Some((rate, in_flight)) = pace {
            text.push_str(&format!(" (pace {rate:.1}/s, up to {in_flight} in flight)"));
        }
        text
    }

    /// Clears the bar and prints the summary line.
    pub(super) fn finish(self, counts: Counts, outcome: &str) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        let seconds = self.started.elapsed().as_secs_f64();
        let mut line = format!(
            "np6: {outcome}: {} sent, {} rejected",
            counts.sent, counts.rejected
        );
        if counts.skipped > 0 {
            line.push_str(&format!(", {} already done (journal)", counts.skipped));
        }
        line.push_str(&format!(" in {seconds:.1} s"));
        crate::output::note(&line);
    }
}
