//! Why a command could not finish, as one line on stderr and an exit code.

use std::fmt;
use std::process::ExitCode;

/// Exit code: some records were rejected.
pub(crate) const SOME_REJECTED: u8 = 1;
/// Exit code: the command could not run.
pub(crate) const CANNOT_RUN: u8 = 2;

/// A command's failure: one readable line (NP6's request id included when
/// NP6 answered) and the exit code.
#[derive(Debug)]
pub(crate) struct Failure {
    message: String,
    code: u8,
}

impl Failure {
    /// The command could not run (exit code 2).
    pub(crate) fn cannot_run(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: CANNOT_RUN,
        }
    }

    /// The line to print on stderr, and the exit code.
    pub(crate) fn into_report(self) -> (String, ExitCode) {
        (
            format!("np6: {}", one_line(&self.message)),
            ExitCode::from(self.code),
        )
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The client's error says the operation, the status, NP6's request id and
/// a masked excerpt of the body; it never holds the key.
impl From<np6_client::Error> for Failure {
    fn from(error: np6_client::Error) -> Self {
        Self::cannot_run(error.to_string())
    }
}

/// Line breaks of a server's message would split the line.
pub(crate) fn one_line(text: &str) -> String {
    text.split(['\r', '\n'])
        .filter(|part| !part.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn messages_stay_on_one_line() {
        assert_eq!(super::one_line("a\r\nb\n\nc"), "a b c");
    }
}
