//! Stopping on SIGINT (Ctrl-C) or SIGTERM (systemd, `timeout`, `kill`):
//! the first asks for a graceful stop, the second ends the process at once.
//!
//! ```ignore
//! let stop = Stop::install().map_err(..)?; // in the runtime, before the work
//! tokio::select! {
//!     done = work() => done,
//!     signal = stop.first() => {
//!         // stop starting things, let those in flight end, save, then:
//!         Err(Failure::interrupted(signal, "interrupted"))  // exit 130 or 143
//!     }
//! }
//! ```
//!
//! While the graceful stop runs, a second SIGINT or SIGTERM exits the
//! process at once with that signal's code (130 or 143), as a shell user
//! expects of a second Ctrl-C.
//!
//! A leaf module: `failure.rs` builds on [`Signal`], not the reverse.

use std::io::Write;

use tokio::sync::watch;

/// A signal that stops a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    /// SIGINT: Ctrl-C on a terminal.
    Interrupt,
    /// SIGTERM: a service manager, `timeout`, `kill`.
    Terminate,
}

impl Signal {
    /// The exit code after a stop by this signal: 130 or 143 (128 + the
    /// signal's number, as shells report a process killed by it; the
    /// `INTERRUPTED_*` constants of `failure.rs`).
    pub(crate) fn exit_code(self) -> u8 {
        match self {
            Self::Interrupt => 128 + 2,
            Self::Terminate => 128 + 15,
        }
    }

    /// `SIGINT` or `SIGTERM`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Interrupt => "SIGINT",
            Self::Terminate => "SIGTERM",
        }
    }
}

/// The stop signals of this process, once [`install`](Self::install)ed.
#[derive(Debug, Clone)]
pub(crate) struct Stop {
    first: watch::Receiver<Option<Signal>>,
}

impl Stop {
    /// Starts listening for SIGINT and SIGTERM (from then on they no longer
    /// kill the process by themselves). Call it inside the Tokio runtime,
    /// once per run; clones share the same listener.
    pub(crate) fn install() -> std::io::Result<Self> {
        let mut signals = Signals::new()?;
        let (tell, first) = watch::channel(None);
        tokio::spawn(async move {
            let signal = signals.next().await;
            let _ = tell.send(Some(signal));
            let again = signals.next().await;
            let _ = writeln!(std::io::stderr(), "np6: {}: stopping at once", again.name());
            std::process::exit(i32::from(again.exit_code()));
        });
        Ok(Self { first })
    }

    /// Resolves when the first SIGINT or SIGTERM has come (at once if it
    /// already has), saying which.
    pub(crate) async fn first(&self) -> Signal {
        let mut first = self.first.clone();
        loop {
            if let Some(signal) = *first.borrow_and_update() {
                return signal;
            }
            if first.changed().await.is_err() {
                // The listener is gone: no signal will ever be reported.
                std::future::pending::<()>().await;
            }
        }
    }
}

/// The two signals' streams.
#[cfg(unix)]
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn new() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    async fn next(&mut self) -> Signal {
        tokio::select! {
            Some(()) = self.interrupt.recv() => Signal::Interrupt,
            Some(()) = self.terminate.recv() => Signal::Terminate,
            else => std::future::pending().await,
        }
    }
}

/// Elsewhere, Ctrl-C only.
#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn new() -> std::io::Result<Self> {
        Ok(Self)
    }

    async fn next(&mut self) -> Signal {
        match tokio::signal::ctrl_c().await {
            Ok(()) => Signal::Interrupt,
            Err(_) => std::future::pending().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_signal_has_its_code() {
        assert_eq!(Signal::Interrupt.exit_code(), 130);
        assert_eq!(Signal::Terminate.exit_code(), 143);
        assert_eq!(Signal::Terminate.name(), "SIGTERM");
    }
}
