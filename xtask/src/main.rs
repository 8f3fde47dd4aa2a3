//! `cargo xtask`: the maintainers' tool. See `cargo xtask --help`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use xtask::model::Model;

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Maintainers' tasks for np6-rs", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// One of the three benchmarks of `bench`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BenchPart {
    Overhead,
    Bulk,
    Validation,
}

#[derive(Subcommand)]
enum Command {
    /// Check the spec, then every fixture against it.
    Validate {
        /// The spec (default: openapi/np6.yaml).
        #[arg(long)]
        spec: Option<PathBuf>,
        /// A fixture folder or file; repeat for several (default: openapi/fixtures).
        #[arg(long = "fixtures")]
        fixtures: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Replay every valid fixture through the generated client.
    Replay {
        /// A fixture folder or file; repeat for several (default: openapi/fixtures).
        #[arg(long = "fixtures")]
        fixtures: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Turn the NP6 exchanges of a HAR 1.2 file into redacted fixtures.
    ImportHar {
        /// The HTTP Archive.
        file: PathBuf,
        /// Where to write (default: openapi/fixtures/recorded).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Serve the fixture sandbox as a standalone mock NP6 until interrupted.
    Mock {
        /// The loopback port (default: any free port).
        #[arg(long)]
        port: Option<u16>,
        /// The fixtures to answer from (default: openapi/fixtures).
        #[arg(long = "fixtures")]
        fixtures: Option<PathBuf>,
    },
    /// Benchmarks (release build): client overhead, bulk throughput and
    /// memory, validation throughput. Exit 1 when a target is missed.
    Bench {
        /// Small sizes, a few seconds, targets not enforced.
        #[arg(long)]
        quick: bool,
        /// Run one benchmark only (default: all three).
        #[arg(long, value_enum)]
        only: Option<BenchPart>,
    },
    /// One bulk benchmark run in this process (used by `bench`).
    #[command(hide = true)]
    BenchBulk {
        #[arg(long)]
        records: u64,
        #[arg(long)]
        baseline: bool,
    },
    /// One side of the overhead benchmark, for profiling (`perf record`).
    #[command(hide = true)]
    BenchSide {
        /// `np6` or `raw`.
        side: String,
        /// `get` or `put`.
        call: String,
        #[arg(long, default_value_t = 20_000)]
        requests: usize,
        #[arg(long, default_value_t = 1)]
        concurrency: usize,
    },
    /// Which operation x documented status has a fixture.
    Coverage {
        #[arg(long = "fixtures")]
        fixtures: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn or_default(dirs: Vec<PathBuf>) -> Vec<PathBuf> {
    if dirs.is_empty() {
        vec![xtask::default_fixtures()]
    } else {
        dirs
    }
}

fn load_model(spec: Option<PathBuf>) -> Result<Result<Model, xtask::report::Report>, String> {
    let spec = spec.unwrap_or_else(xtask::default_spec);
    if !spec.is_file() {
        return Err(format!("no spec at {}", spec.display()));
    }
    Ok(Model::load(&spec).map_err(|issues| xtask::report::Report::new(issues, Vec::new())))
}

fn files(dirs: Vec<PathBuf>) -> Result<Vec<PathBuf>, String> {
    let dirs = or_default(dirs);
    if let Some(missing) = dirs.iter().find(|d| !d.exists()) {
        return Err(format!("no fixtures at {}", missing.display()));
    }
    xtask::fixture_files(&dirs).map_err(|e| e.to_string())
}

fn print(report: &xtask::report::Report, format: Format, verb: &str) -> u8 {
    match format {
        Format::Text => print!("{}", report.text(verb)),
        Format::Json => println!("{}", report.json()),
    }
    report.exit_code() as u8
}

fn run(command: Command) -> Result<u8, String> {
    match command {
        Command::Validate {
            spec,
            fixtures,
            format,
        } => {
            let files = files(fixtures)?;
            let model = match load_model(spec)? {
                Ok(model) => model,
                Err(report) => return Ok(print(&report, format, "validate")),
            };
            Ok(print(
                &xtask::validate::run(&model, &files),
                format,
                "validate",
            ))
        }
        Command::Replay { fixtures, format } => {
            let files = files(fixtures)?;
            let model = match load_model(None)? {
                Ok(model) => model,
                Err(report) => return Ok(print(&report, format, "replay")),
            };
            let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
            let report = runtime.block_on(xtask::replay::run(&model, &files));
            Ok(print(&report, format, "replay"))
        }
        Command::ImportHar { file, out } => {
            let model = load_model(None)?.map_err(|r| r.text("spec"))?;
            let out = out.unwrap_or_else(|| xtask::default_fixtures().join("recorded"));
            let imported = xtask::har::import(&model, &file, &out)?;
            for path in &imported.written {
                println!("wrote {}", xtask::display_path(path));
            }
            for note in &imported.skipped {
                println!("skipped {note}");
            }
            println!(
                "import-har: {} fixtures written, {} entries skipped; run `cargo xtask validate` next",
                imported.written.len(),
                imported.skipped.len()
            );
            Ok(0)
        }
        Command::Mock { port, fixtures } => {
            let dir = fixtures.unwrap_or_else(xtask::default_fixtures);
            let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
            runtime.block_on(xtask::mock::serve(&dir, port.unwrap_or(0)))?;
            Ok(0)
        }
        Command::Bench { quick, only } => {
            if cfg!(debug_assertions) {
                // Timings of a debug build mean nothing: rerun in release.
                let mut command = std::process::Command::new(env!("CARGO"));
                command.args([
                    "run",
                    "--release",
                    "--quiet",
                    "--package",
                    "xtask",
                    "--",
                    "bench",
                ]);
                if quick {
                    command.arg("--quick");
                }
                if let Some(value) = only.and_then(|part| part.to_possible_value()) {
                    command.args(["--only", value.get_name()]);
                }
                let status = command
                    .status()
                    .map_err(|e| format!("cannot run cargo: {e}"))?;
                return Ok(status
                    .code()
                    .and_then(|c| u8::try_from(c).ok())
                    .unwrap_or(2));
            }
            let sizes = if quick {
                xtask::bench::Sizes::quick()
            } else {
                xtask::bench::Sizes::full()
            };
            let exe = std::env::current_exe().map_err(|e| e.to_string())?;
            let runs = |part: BenchPart| only.is_none_or(|only| only == part);
            let mut rows = Vec::new();
            if runs(BenchPart::Overhead) {
                eprintln!("bench: client overhead...");
                rows.extend(xtask::bench::overhead(sizes)?);
            }
            if runs(BenchPart::Bulk) {
                eprintln!(
                    "bench: bulk ({} and {} records)...",
                    sizes.bulk_records,
                    sizes.bulk_records * 10
                );
                rows.extend(xtask::bench::bulk(&exe, sizes)?);
            }
            if runs(BenchPart::Validation) {
                eprintln!("bench: validation...");
                rows.extend(xtask::bench::validation(sizes)?);
            }
            print!("{}", xtask::bench::table(&rows, sizes.enforce));
            let missed = sizes.enforce && rows.iter().any(|r| !r.passed());
            Ok(u8::from(missed))
        }
        Command::BenchSide {
            side,
            call,
            requests,
            concurrency,
        } => {
            let rate = xtask::bench::side(&side, &call, requests, concurrency)?;
            println!("{side} {call} c={concurrency}: {rate:.0} req/s");
            Ok(0)
        }
        Command::BenchBulk { records, baseline } => {
            let run = xtask::bench::bulk_run(records, baseline)?;
            println!(
                "{}",
                serde_json::to_string(&run).map_err(|e| e.to_string())?
            );
            Ok(0)
        }
        Command::Coverage { fixtures } => {
            let files = files(fixtures)?;
            let model = load_model(None)?.map_err(|r| r.text("spec"))?;
            let (text, complete) = xtask::coverage::text(&xtask::coverage::table(&model, &files));
            print!("{text}");
            Ok(if complete { 0 } else { 1 })
        }
    }
}
