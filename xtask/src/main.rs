//! `cargo xtask`: the maintainers' tool (`cargo xtask --help`).
//!
//! This file only dispatches: the command line is [`flags`], each command
//! is a module with a `run`, the fixture checks live in the `np6-checks`
//! library (`xtask/checks/`) that the workspace tests share.

mod bench;
mod coverage;
mod flags;
mod growth;
mod import_har;
mod inputs;
mod mock;
mod output;
mod package;
mod public_api;
mod replay;
#[cfg(test)]
mod tidy;
mod validate;

use std::process::ExitCode;

use clap::Parser;
use flags::Command;

fn main() -> ExitCode {
    let result = match flags::Cli::parse().command {
        Command::Validate(args) => validate::run(args),
        Command::Replay(args) => replay::run(args),
        Command::ImportHar(args) => import_har::run(args),
        Command::Coverage(args) => coverage::run(args),
        Command::Growth(args) => growth::run(args),
        Command::PublicApi(args) => public_api::run(args),
        Command::Mock(args) => mock::run(args),
        Command::Package(args) => package::run(args),
        Command::Bench(args) => bench::run(args),
        Command::BenchBulk(args) => bench::bulk::run_one(args),
        Command::BenchSide(args) => bench::overhead::run_side(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
