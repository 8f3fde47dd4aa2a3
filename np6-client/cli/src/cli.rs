//! The command line's grammar (clap derive): every subcommand and flag.

use std::path::PathBuf;

use clap::{Args as ClapArgs, CommandFactory, Parser, Subcommand, ValueEnum};

/// `np6 --version`: this program's version and the version of the NP6 API
/// spec it was built from (`np6 0.1.0 (NP6 API 8.1.0)`).
static VERSION: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "{} (NP6 API {})",
        env!("CARGO_PKG_VERSION"),
        np6_client::SPEC_VERSION
    )
});

/// The NP6 (Chapsvision) API from the command line.
///
/// The API key comes from --key-file, NP6_API_KEY, NP6_KEY_FILE, or a
/// prompt on a terminal; it is never printed. `np6 config` shows where
/// each setting comes from.
#[derive(Debug, Parser)]
#[command(name = "np6", version = VERSION.as_str(), about, after_help = crate::failure::EXIT_CODES_HELP)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// What every command reads: the flags every subcommand takes (`verbose`,
/// `quiet`), and the connection flags of the command that calls NP6
/// (filled from its [`Connection`] before it runs).
#[derive(Debug, ClapArgs)]
pub(crate) struct Global {
    /// The command's --key-file (NP6_KEY_FILE is read by `key.rs`).
    #[arg(skip)]
    pub(crate) key_file: Option<PathBuf>,
    /// The command's --base-url (NP6_BASE_URL is read by `key.rs`).
    #[arg(skip)]
    pub(crate) base_url: Option<String>,
    /// Log what the client does to stderr (never the key).
    #[arg(short, long, global = true)]
    pub(crate) verbose: bool,
    /// No progress and no summary on stderr; errors and warnings are still
    /// printed, and the exit code tells how it went.
    #[arg(short, long, global = true)]
    pub(crate) quiet: bool,
}

/// The flags of the commands that call NP6.
#[derive(Debug, Clone, Default, ClapArgs)]
pub(crate) struct Connection {
    /// Read the API key from the first line of this file [env: NP6_KEY_FILE].
    #[arg(long, value_name = "FILE")]
    pub(crate) key_file: Option<PathBuf>,
    /// NP6's base URL (default: production) [env: NP6_BASE_URL].
    #[arg(long, value_name = "URL")]
    pub(crate) base_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Export a redlist (mail or SMS) as CSV, NDJSON or JSON.
    Redlist(Redlist),
    /// Report one bounce.
    Bounce(Bounce),
    /// Many bounces at once.
    #[command(subcommand)]
    Bounces(Bounces),
    /// Call any operation of the spec by its operationId.
    Call(Call),
    /// List the operations of the spec with their parameters.
    Operations,
    /// Serve the fixture sandbox as a mock NP6 on loopback.
    Sandbox(Sandbox),
    /// Show the effective settings and where each comes from; --check
    /// tries the key with one read-only call.
    Config(Config),
    /// Print shell completions.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: Shell,
    },
}

impl Command {
    /// The connection flags of a command that calls NP6.
    pub(crate) fn connection(&self) -> Option<&Connection> {
        match self {
            Self::Redlist(cmd) => Some(&cmd.connection),
            Self::Bounce(cmd) => Some(&cmd.connection),
            Self::Bounces(Bounces::Import(cmd)) => Some(&cmd.connection),
            Self::Call(cmd) => Some(&cmd.connection),
            Self::Config(cmd) => Some(&cmd.connection),
            Self::Operations | Self::Sandbox(_) | Self::Completions { .. } => None,
        }
    }
}

#[derive(Debug, ClapArgs)]
pub(crate) struct Config {
    /// Also check the key with one read-only call to NP6 (an empty redlist
    /// window); the exit code says how it went.
    #[arg(long)]
    pub(crate) check: bool,
    #[command(flatten)]
    pub(crate) connection: Connection,
}

/// Which redlist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Channel {
    /// E-mail addresses.
    Mail,
    /// Phone numbers.
    Sms,
}

/// How entries are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub(crate) enum Format {
    /// Comma-separated, with a header row.
    #[default]
    Csv,
    /// One JSON object per line.
    Ndjson,
    /// One JSON array.
    Json,
}

#[derive(Debug, ClapArgs)]
pub(crate) struct Redlist {
    #[command(flatten)]
    pub(crate) connection: Connection,
    /// mail or sms.
    #[arg(value_enum)]
    pub(crate) channel: Channel,
    /// Start (included): a date-time (2026-11-01T00:00:00Z), now, or a
    /// duration before now (7d, 12h, 30m).
    #[arg(long, value_name = "WHEN")]
    pub(crate) since: Option<String>,
    /// End (excluded): a date-time, now, or a duration before now
    /// (default: now).
    #[arg(long, value_name = "WHEN")]
    pub(crate) until: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: Format,
    /// Write to this file (atomically) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Incremental sync: start where the last successful run with this
    /// state file ended (--since then only sets the first run's start);
    /// saved once the output is complete (CSV or NDJSON on stdout: after
    /// each piece, see --chunk). Successive runs write each entry once,
    /// even one on a window's edge.
    #[arg(long, value_name = "FILE")]
    pub(crate) state: Option<PathBuf>,
    /// With --state: read this much before the last run's end again, for
    /// entries NP6 adds late, writing only those not written yet (e.g. 1h).
    #[arg(long, value_name = "DURATION", requires = "state")]
    pub(crate) overlap: Option<String>,
    /// Ask NP6 for the window in pieces, each asked as a window at most
    /// this long (e.g. 1d, at least 1m), in time order; a piece NP6 cannot
    /// answer whole (timeout, 5xx, too large) is split in halves, down to
    /// a minute, whether or not this is given.
    #[arg(long, value_name = "DURATION")]
    pub(crate) chunk: Option<String>,
}

#[derive(Debug, ClapArgs)]
pub(crate) struct Bounce {
    #[command(flatten)]
    pub(crate) connection: Connection,
    /// The target id.
    pub(crate) target: String,
    /// The contact field that bounced (e.g. 788).
    pub(crate) field: i32,
    /// The bounce type, one of the spec's.
    #[arg(long = "type", value_name = "TYPE", value_parser = crate::bounce_type::TypeParser)]
    pub(crate) kind: String,
    /// Send a --type the spec does not have (NP6 may know newer ones).
    #[arg(long)]
    pub(crate) allow_unknown_type: bool,
    /// The server's message (e.g. "550 5.1.1 unknown user").
    #[arg(long)]
    pub(crate) message: Option<String>,
    /// When it bounced: a date-time or a duration before now.
    #[arg(long, value_name = "WHEN")]
    pub(crate) at: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Bounces {
    /// Report every bounce of a CSV (with a header) or NDJSON file.
    #[command(after_help = IMPORT_EXIT_CODES)]
    Import(Import),
}

#[derive(Debug, ClapArgs)]
pub(crate) struct Import {
    #[command(flatten)]
    pub(crate) connection: Connection,
    /// The file (columns target_id,field_id,type,message,timestamp), - for stdin.
    pub(crate) file: PathBuf,
    /// The most calls on the wire at once (as many records again may wait
    /// to be tried again); at least 1.
    #[arg(long, default_value_t = 32, value_parser = parse_concurrency)]
    pub(crate) concurrency: usize,
    /// The most calls per second (retries count), a number above 0: the
    /// pace adapts to NP6's answers under it. Default: no ceiling.
    #[arg(long, value_name = "PER_SECOND", value_parser = parse_rate)]
    pub(crate) rate: Option<f64>,
    /// How long NP6 may keep failing (503, 429, timeouts, no connection)
    /// before the import gives up: records not sent are left for the next
    /// run, and the exit code is 4. E.g. 90s, 10m, 2h.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_patience)]
    pub(crate) patience: std::time::Duration,
    /// The summary's form: a line on stderr (text), or also one JSON object
    /// on stdout (json) with sent, rejected, pending, skipped, elapsed
    /// (seconds) and rate (records per second).
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    pub(crate) summary: SummaryFormat,
    /// Write each rejected record here, with its line and error, in the
    /// input's format: the file can be imported again once fixed.
    #[arg(long, value_name = "FILE")]
    pub(crate) rejects: Option<PathBuf>,
    /// Note each finished record here; run again with the same journal to
    /// resume an interrupted import without re-sending what was done.
    #[arg(long, value_name = "FILE")]
    pub(crate) journal: Option<PathBuf>,
    /// The CSV delimiter: `,`, `;`, `tab` or another ASCII character
    /// (default: the most frequent of `,`, `;` and tab in the header row).
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    pub(crate) delimiter: Option<u8>,
    /// Send records whose type the spec does not have (NP6 may know newer
    /// ones); by default they are rejected without calling NP6.
    #[arg(long)]
    pub(crate) allow_unknown_type: bool,
}

/// `--delimiter`: one ASCII character that is not a quote or a line end,
/// or `tab`.
fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ => match text.as_bytes() {
            [byte] if byte.is_ascii() && !matches!(byte, b'"' | b'\r' | b'\n') => Ok(*byte),
            _ => Err(format!(
                "{text:?} is not one ASCII character (e.g. ',', ';', tab), nor a quote or a line end"
            )),
        },
    }
}

/// How `bounces import` gives its summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SummaryFormat {
    /// A line on stderr.
    Text,
    /// A line on stderr and a JSON object on stdout.
    Json,
}

#[derive(Debug, ClapArgs)]
pub(crate) struct Call {
    #[command(flatten)]
    pub(crate) connection: Connection,
    /// The operation's operationId (see `np6 operations`).
    pub(crate) operation: String,
    /// Parameters as name=value, typed as the spec says.
    #[arg(value_name = "NAME=VALUE")]
    pub(crate) params: Vec<String>,
    /// The JSON request body, from a file or - for stdin.
    #[arg(long, value_name = "FILE")]
    pub(crate) body: Option<PathBuf>,
}

#[derive(Debug, ClapArgs)]
pub(crate) struct Sandbox {
    /// The port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 8080)]
    pub(crate) port: u16,
    /// Answer from the fixtures below this folder instead of the bundled ones.
    #[arg(long, value_name = "DIR")]
    pub(crate) fixtures: Option<PathBuf>,
}

/// A shell to complete in.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// The completion script for `shell`.
pub(crate) fn completions(shell: Shell) -> String {
    let shell = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    // Into memory: clap_complete panics when its writer fails.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Args::command(), "np6", &mut script);
    String::from_utf8_lossy(&script).into_owned()
}

/// The exit codes of `np6 bounces import`, for its `--help`.
const IMPORT_EXIT_CODES: &str = "\
Exit codes: 0 every record sent; 1 some records rejected (see --rejects); \
2 usage or local error; 3 NP6 refused the key; 4 NP6 unreachable or failing \
for longer than --patience (records left pending: run again to send them); \
5 another run holds the journal; 130/143 stopped by SIGINT/SIGTERM after \
the calls in flight finished (a second signal stops at once).

A record is journaled once NP6's answer to it is final (a success or a \
refusal). 408, 429, 5xx, timeouts and connection errors are never final: \
the record is tried again under the pace, or left pending for the next run.";

/// `--rate`: a finite number of calls per second above zero.
fn parse_rate(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err(format!(
            "{text:?} is not a number of calls per second above 0"
        )),
    }
}

/// `--concurrency`: at least 1.
fn parse_concurrency(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("{text:?} is not a whole number of at least 1")),
    }
}

/// `--patience`: a number of seconds (`s`), minutes (`m`) or hours (`h`).
fn parse_patience(text: &str) -> Result<std::time::Duration, String> {
    let wrong = || format!("{text:?} is not a duration such as 90s, 10m or 2h");
    let text = text.trim();
    let unit = text.chars().last().ok_or_else(wrong)?;
    let seconds: u64 = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        _ => return Err(wrong()),
    };
    let number: u64 = text[..text.len() - 1].parse().map_err(|_| wrong())?;
    number
        .checked_mul(seconds)
        .map(std::time::Duration::from_secs)
        .ok_or_else(wrong)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_grammar_is_consistent() {
        <super::Args as clap::CommandFactory>::command().debug_assert();
    }

    #[test]
    fn rates_concurrencies_and_patiences_are_checked() {
        use super::{parse_concurrency, parse_patience, parse_rate};
        assert_eq!(parse_rate("400"), Ok(400.0));
        for bad in ["0", "-5", "nan", "inf", "", "x"] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_concurrency("1"), Ok(1));
        assert!(parse_concurrency("0").is_err());
        assert_eq!(
            parse_patience("90s"),
            Ok(std::time::Duration::from_secs(90))
        );
        assert_eq!(
            parse_patience("10m"),
            Ok(std::time::Duration::from_secs(600))
        );
        assert_eq!(
            parse_patience("2h"),
            Ok(std::time::Duration::from_secs(7_200))
        );
        for bad in ["", "5", "-1m", "1d", "99999999999999999h"] {
            assert!(parse_patience(bad).is_err(), "{bad}");
        }
    }
}
