//! Why a command could not finish, as one line on stderr and an exit code.
//!
//! The exit codes, for scripts (also in `np6 --help` and the README):
//!
//! | code | meaning |
//! | --- | --- |
//! | 0 | all done |
//! | 1 | some records rejected (NP6 refused them, or they do not read) |
//! | 2 | usage or local error: bad flags or values, unreadable input, refused paths, I/O |
//! | 3 | NP6 refused the key (401 or 403) |
//! | 4 | NP6 unreachable or failing after retries; records left pending |
//! | 5 | another run holds the journal's or the state file's lock |
//! | 130 | stopped by SIGINT (Ctrl-C) |
//! | 143 | stopped by SIGTERM |

use std::fmt;
use std::process::ExitCode;

use np6_client::ErrorKind;

/// Exit code: some records were rejected.
pub(crate) const SOME_REJECTED: u8 = 1;
/// Exit code: a usage or local error (clap's usage errors exit 2 as well).
pub(crate) const USAGE: u8 = 2;
/// Exit code: NP6 refused the key (401 or 403).
pub(crate) const KEY_REFUSED: u8 = 3;
/// Exit code: NP6 unreachable or failing after the client's retries.
pub(crate) const UNAVAILABLE: u8 = 4;
/// Exit code: another run holds a lock this run needs.
pub(crate) const BUSY: u8 = 5;
/// Exit code: stopped by SIGINT (128 + 2, as shells report it).
pub(crate) const INTERRUPTED_INT: u8 = 130;
/// Exit code: stopped by SIGTERM (128 + 15).
pub(crate) const INTERRUPTED_TERM: u8 = 143;

/// The exit codes as `np6 --help` shows them.
pub(crate) const EXIT_CODES_HELP: &str = "\
Exit codes:
  0    all done
  1    some records rejected (NP6 refused them, or they do not read)
  2    usage or local error: bad flags or values, unreadable input, refused paths, I/O
  3    NP6 refused the key (401 or 403)
  4    NP6 unreachable or failing after retries; records left pending
  5    busy: another run holds the journal's or the state file's lock
  130  stopped by SIGINT (Ctrl-C)
  143  stopped by SIGTERM";

/// A command's failure: one readable line (NP6's request id included when
/// NP6 answered) and the exit code.
#[derive(Debug)]
pub(crate) struct Failure {
    message: String,
    code: u8,
}

impl Failure {
    fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code,
        }
    }

    /// A usage or local error (exit code 2).
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::new(USAGE, message)
    }

    /// The same as [`usage`](Self::usage) (exit code 2).
    pub(crate) fn cannot_run(message: impl Into<String>) -> Self {
        Self::usage(message)
    }

    /// Some records were rejected (exit code 1): for a command whose record
    /// NP6 refused (`bounces import` ends with [`SOME_REJECTED`] after its
    /// summary instead).
    #[allow(dead_code)]
    pub(crate) fn some_rejected(message: impl Into<String>) -> Self {
        Self::new(SOME_REJECTED, message)
    }

    /// NP6 refused the key (exit code 3).
    pub(crate) fn key_refused(message: impl Into<String>) -> Self {
        Self::new(KEY_REFUSED, message)
    }

    /// NP6 is unreachable or failing (exit code 4).
    pub(crate) fn unavailable(message: impl Into<String>) -> Self {
        Self::new(UNAVAILABLE, message)
    }

    /// Another run holds a lock (exit code 5).
    pub(crate) fn busy(message: impl Into<String>) -> Self {
        Self::new(BUSY, message)
    }

    /// Stopped by a signal: exit code 130 for SIGINT, 143 for SIGTERM.
    pub(crate) fn interrupted(signal: crate::stop::Signal, message: impl Into<String>) -> Self {
        let code = match signal {
            crate::stop::Signal::Interrupt => INTERRUPTED_INT,
            crate::stop::Signal::Terminate => INTERRUPTED_TERM,
        };
        Self::new(code, message)
    }

    /// The reader of an output went away (`np6 ... | head`): its choice,
    /// so the run ends quietly with exit code 0, writing no more (and, for
    /// a redlist, saving no state past what was written before).
    pub(crate) fn reader_gone() -> Self {
        Self::new(0, "")
    }

    /// The exit code this failure ends the process with.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn code(&self) -> u8 {
        self.code
    }

    /// The line to print on stderr (none for [`Failure::reader_gone`]), and
    /// the exit code.
    pub(crate) fn into_report(self) -> (String, ExitCode) {
        if self.message.is_empty() {
            return (String::new(), ExitCode::from(self.code));
        }
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
/// a masked excerpt of the body; it never holds the key. Its exit code is
/// [`code_of`]'s.
impl From<np6_client::Error> for Failure {
    fn from(error: np6_client::Error) -> Self {
        let message = error.to_string();
        match code_of(&error) {
            KEY_REFUSED => Self::key_refused(message),
            UNAVAILABLE => Self::unavailable(message),
            _ => Self::usage(message),
        }
    }
}

/// The exit code of a client error: 401 and 403 are a refused key (3);
/// what the client retries (no connection, timeouts, a cut connection, 408,
/// 429 and 5xx) and an answer that does not read as the spec says mean NP6
/// is unavailable (4), the client having already retried; anything else (a
/// bad argument, the client's configuration, another 4xx) is a usage error
/// (2).
pub(crate) fn code_of(error: &np6_client::Error) -> u8 {
    match error.status() {
        Some(401 | 403) => return KEY_REFUSED,
        Some(status) if status >= 500 => return UNAVAILABLE,
        _ => {}
    }
    if error.is_retryable() {
        return UNAVAILABLE;
    }
    match error.kind() {
        ErrorKind::Connect
        | ErrorKind::Timeout
        | ErrorKind::Transport
        | ErrorKind::Decode
        | ErrorKind::ResponseTooLarge => UNAVAILABLE,
        _ => USAGE,
    }
}

/// One line, safe for a terminal and a text file: line breaks of a
/// server's message would split the line, and its control characters are
/// escaped ([`np6_client::printable`]).
pub(crate) fn one_line(text: &str) -> String {
    let joined = text
        .split(['\r', '\n'])
        .filter(|part| !part.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    // A server's or a file's text may carry escape sequences: shown, never
    // acted on by the terminal, nor left in a text file.
    np6_client::printable(&joined).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_stay_on_one_line() {
        assert_eq!(super::one_line("a\r\nb\n\nc"), "a b c");
    }

    #[test]
    fn escape_sequences_are_shown_not_acted_on() {
        let line = super::one_line("\u{1b}]0;owned\u{7}\n\u{1b}[2Jall records sent OK");
        assert!(
            !line.contains('\u{1b}') && !line.contains('\u{7}'),
            "{line}"
        );
        assert!(line.contains("\\u{1b}[2J"), "{line}");
    }

    #[test]
    fn each_constructor_has_its_code() {
        use crate::stop::Signal;
        for (failure, code) in [
            (Failure::usage("u"), 2),
            (Failure::cannot_run("c"), 2),
            (Failure::some_rejected("r"), 1),
            (Failure::key_refused("k"), 3),
            (Failure::unavailable("n"), 4),
            (Failure::busy("b"), 5),
            (Failure::interrupted(Signal::Interrupt, "i"), 130),
            (Failure::interrupted(Signal::Terminate, "t"), 143),
        ] {
            assert_eq!(failure.code(), code, "{failure}");
        }
        assert_eq!(Signal::Interrupt.exit_code(), INTERRUPTED_INT);
        assert_eq!(Signal::Terminate.exit_code(), INTERRUPTED_TERM);
    }

    #[tokio::test]
    async fn a_client_error_without_an_answer_is_unavailable_and_a_bad_config_is_usage() {
        let unreachable = np6_client::Client::builder()
            .api_key("k")
            .base_url("http://127.0.0.1:9")
            .retry(np6_client::RetryPolicy::disabled())
            .build()
            .map(|client| async move { client.get_mail_redlist().send().await });
        let error = match unreachable {
            Ok(call) => call.await.err(),
            Err(error) => Some(error),
        };
        let error = error.map(|e| code_of(&e));
        assert_eq!(error, Some(UNAVAILABLE));

        let config = np6_client::Client::builder()
            .api_key("k")
            .base_url("ftp://example.com")
            .build()
            .err()
            .map(|e| code_of(&e));
        assert_eq!(config, Some(USAGE));
    }
}
