//! The stop signals of an import: the first SIGINT or SIGTERM asks for a
//! graceful stop (the caller finishes what is on the wire, then exits 130
//! or 143); a second one exits the process at once.

/// Which signal asked to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Signal {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM (systemd, `timeout`, `kill`).
    Terminate,
}

impl Signal {
    /// The exit code after a stop by this signal: 128 + its number.
    pub(super) fn exit_code(self) -> u8 {
        match self {
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
        }
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }
}

/// The listeners, installed before the work starts so that no signal is
/// missed (or takes the process down with the default action).
pub(super) struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    /// Listens for SIGINT and SIGTERM (Ctrl-C elsewhere than on Unix).
    pub(super) fn listen() -> Result<Self, String> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let listen = |kind| signal(kind).map_err(|e| format!("cannot listen for signals: {e}"));
            Ok(Self {
                interrupt: listen(SignalKind::interrupt())?,
                terminate: listen(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    /// Resolves on the first signal, saying which; from then on a second
    /// signal exits the process at once with that signal's code.
    pub(super) async fn first(mut self) -> Signal {
        let signal = self.next().await;
        tokio::spawn(async move {
            let again = self.next().await;
            crate::output::note(&format!("np6: {}: stopped at once", again.name()));
            std::process::exit(i32::from(again.exit_code()));
        });
        signal
    }

    async fn next(&mut self) -> Signal {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => Signal::Interrupt,
                _ = self.terminate.recv() => Signal::Terminate,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            Signal::Interrupt
        }
    }
}
