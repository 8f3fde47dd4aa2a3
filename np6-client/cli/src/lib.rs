//! `np6`: the NP6 API from the command line, built on `np6-client`.
//!
//! The binary is a thin `main` over [`main`]; each subcommand has its own
//! module. It uses only np6-client's public API, as published: the typed
//! methods, the bulk jobs, the testing kit's sandbox, and the operations'
//! descriptions (`np6_client::operations()`) for `np6 call`.

use std::process::ExitCode;

use clap::Parser;

mod bounce;
mod bounce_type;
mod call;
mod cli;
mod config;
mod failure;
mod import;
mod key;
mod lock;
mod output;
mod paths;
mod redlist;
mod sandbox;
mod stop;
mod when;

use cli::{Args, Command};
use failure::Failure;

/// Runs the command line: parses the arguments, runs the subcommand, and
/// returns its exit code (the table in `failure.rs` and `np6 --help`: 0
/// all done, 1 some records rejected, 2 usage or local error, 3 key
/// refused, 4 NP6 unavailable, 5 busy, 130/143 interrupted). Errors are one
/// line on stderr.
pub fn main() -> ExitCode {
    main_from(std::env::args_os())
}

/// [`main`] with these arguments (the first is the program's name): how
/// `cargo xtask mock` runs `np6 sandbox`.
pub fn main_from<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args = Args::parse_from(args);
    if args.global.verbose {
        init_tracing();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return report(Failure::cannot_run(format!("cannot start: {e}"))),
    };
    match runtime.block_on(run(args)) {
        Ok(code) => code,
        Err(failure) => report(failure),
    }
}

/// Prints a failure's line on stderr and gives its exit code.
fn report(failure: Failure) -> ExitCode {
    let (line, code) = failure.into_report();
    output::note(&line);
    code
}

async fn run(args: Args) -> Result<ExitCode, Failure> {
    let mut global = args.global;
    if let Some(connection) = args.command.connection() {
        global.key_file = connection.key_file.clone();
        global.base_url = connection.base_url.clone();
    }
    match args.command {
        Command::Redlist(cmd) => redlist::run(&global, cmd).await,
        Command::Bounce(cmd) => bounce::run(&global, cmd).await,
        Command::Bounces(cli::Bounces::Import(cmd)) => import::run(&global, cmd).await,
        Command::Call(cmd) => call::run(&global, cmd).await,
        Command::Operations => call::list_operations(),
        Command::Sandbox(cmd) => sandbox::run(cmd).await,
        Command::Config(cmd) => config::run(&global, &cmd).await,
        Command::Completions { shell } => {
            output::print(&cli::completions(shell))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `--verbose`: the client's and this tool's events on stderr. The client
/// never logs the key; other libraries' events are left out.
fn init_tracing() {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    let filter = Targets::new()
        .with_target("np6_client", LevelFilter::DEBUG)
        .with_target("np6", LevelFilter::DEBUG);
    let layer = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let _ = tracing_subscriber::registry()
        .with(layer.with_filter(filter))
        .try_init();
}
