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
/// The API key comes from NP6_API_KEY, --key-file, or a prompt on a
/// terminal; it is never printed.
#[derive(Debug, Parser)]
#[command(name = "np6", version = VERSION.as_str(), about)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Flags every subcommand takes.
#[derive(Debug, ClapArgs)]
pub(crate) struct Global {
    /// Read the API key from the first line of this file.
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) key_file: Option<PathBuf>,
    /// NP6's base URL (default: production).
    #[arg(long, global = true, env = "NP6_BASE_URL", value_name = "URL")]
    pub(crate) base_url: Option<String>,
    /// Log what the client does to stderr (never the key).
    #[arg(short, long, global = true)]
    pub(crate) verbose: bool,
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
    /// Print shell completions.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: Shell,
    },
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
    /// mail or sms.
    #[arg(value_enum)]
    pub(crate) channel: Channel,
    /// Start: a date-time (2026-11-01T00:00:00Z) or a duration before now (7d, 12h, 30m).
    #[arg(long, value_name = "WHEN")]
    pub(crate) since: Option<String>,
    /// End: a date-time or a duration before now (default: now).
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
    /// saved only once the output is complete.
    #[arg(long, value_name = "FILE")]
    pub(crate) state: Option<PathBuf>,
}

#[derive(Debug, ClapArgs)]
pub(crate) struct Bounce {
    /// The target id.
    pub(crate) target: String,
    /// The contact field that bounced (e.g. 788).
    pub(crate) field: i32,
    /// The bounce type (hardUser, hardDomain, softMailboxFull, ...).
    #[arg(long = "type", value_name = "TYPE")]
    pub(crate) kind: String,
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
    Import(Import),
}

#[derive(Debug, ClapArgs)]
pub(crate) struct Import {
    /// The file (columns target_id,field_id,type,message,timestamp), - for stdin.
    pub(crate) file: PathBuf,
    /// The most calls in flight.
    #[arg(long, default_value_t = 32)]
    pub(crate) concurrency: usize,
    /// A fixed pace, in calls per second (retries count); by default the
    /// pace adapts to NP6's answers.
    #[arg(long, value_name = "PER_SECOND")]
    pub(crate) rate: Option<f64>,
    /// Write each rejected record here, with its line and error, in the
    /// input's format: the file can be imported again once fixed.
    #[arg(long, value_name = "FILE")]
    pub(crate) rejects: Option<PathBuf>,
    /// Note each finished record here; run again with the same journal to
    /// resume an interrupted import without re-sending what was done.
    #[arg(long, value_name = "FILE")]
    pub(crate) journal: Option<PathBuf>,
}

#[derive(Debug, ClapArgs)]
pub(crate) struct Call {
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_grammar_is_consistent() {
        <super::Args as clap::CommandFactory>::command().debug_assert();
    }
}
