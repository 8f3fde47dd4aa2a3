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

    /// Set in the copy of the test binary that [`a_second_signal_ends_the_process_at_once`]
    /// starts.
    const CHILD: &str = "NP6_STOP_TEST_CHILD";

    /// In the child: reports the first signal, then waits (30 s at most
    /// for each) for the second to end it. Each report is on a line of its
    /// own: the test harness has started a line of its own.
    fn child() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            let stop = Stop::install().expect("signals");
            println!("\nready");
            let wait = std::time::Duration::from_secs(30);
            if let Ok(signal) = tokio::time::timeout(wait, stop.first()).await {
                println!("\nfirst {}", signal.name());
                tokio::time::sleep(wait).await;
            }
        });
        println!("not stopped");
        std::process::exit(0);
    }

    #[cfg(unix)]
    #[test]
    fn a_second_signal_ends_the_process_at_once() {
        use std::io::BufRead;
        if std::env::var_os(CHILD).is_some() {
            child();
            return;
        }
        let mut process = std::process::Command::new(std::env::current_exe().expect("the binary"))
            .args([
                "stop::tests::a_second_signal_ends_the_process_at_once",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the child starts");
        let pid = process.id().to_string();
        let kill = |signal: &str| {
            let sent = std::process::Command::new("kill")
                .args(["-s", signal, &pid])
                .status()
                .expect("kill runs");
            assert!(sent.success());
        };
        let mut lines = std::io::BufReader::new(process.stdout.take().expect("stdout")).lines();
        let mut next_line = |what: &str| loop {
            match lines.next() {
                Some(Ok(line)) if line == what => return,
                Some(Ok(_)) => {}
                other => panic!("the child ended before {what:?}: {other:?}"),
            }
        };
        next_line("ready");
        kill("TERM");
        next_line("first SIGTERM");
        kill("INT");
        let status = process.wait().expect("the child ends");
        assert_eq!(status.code(), Some(130), "the second signal's code");
        let mut rest = String::new();
        for line in lines.map_while(Result::ok) {
            rest.push_str(&line);
        }
        assert!(!rest.contains("not stopped"), "{rest}");
    }

    #[test]
    fn each_signal_has_its_code() {
        assert_eq!(Signal::Interrupt.exit_code(), 130);
        assert_eq!(Signal::Terminate.exit_code(), 143);
        assert_eq!(Signal::Terminate.name(), "SIGTERM");
    }
}
