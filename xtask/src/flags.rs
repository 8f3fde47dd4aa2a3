//! The command line of `cargo xtask` (clap derive): one variant per command,
//! each with the arguments its module's `run` takes.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Maintainers' tasks for np6-rs", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Check the spec, then every fixture against it.
    Validate(Validate),
    /// Replay every valid fixture through the generated client.
    Replay(Replay),
    /// Turn the NP6 exchanges of a HAR 1.2 file into redacted fixtures.
    ImportHar(ImportHar),
    /// Which operation x documented status has a fixture.
    Coverage(Coverage),
    /// Grow copies of the spec by each usual kind of growth and check with
    /// cargo-semver-checks that none breaks a consumer (and that the two
    /// controls do).
    Growth(Growth),
    /// Write np6-client/api.txt, the listing of np6-client's public API
    /// (from rustdoc JSON), or check that it is up to date (`--check`).
    PublicApi(PublicApi),
    /// Serve the fixture sandbox as a standalone mock NP6 until interrupted.
    Mock(Mock),
    /// Write np6-client/generated/ (the generated client the published
    /// package ships), then `cargo publish --dry-run` np6-spec, np6-client
    /// and np6.
    Package(Package),
    /// Benchmarks (release build): client overhead, bulk throughput and
    /// memory, validation and HAR import throughput, redlist export. Exit
    /// 1 when a target is missed.
    Bench(Bench),
    /// One bulk benchmark run in this process (used by `bench`).
    #[command(hide = true)]
    BenchBulk(BenchBulk),
    /// One side of the overhead benchmark, for profiling (`perf record`).
    #[command(hide = true)]
    BenchSide(BenchSide),
}

/// How a report is printed.
#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Args)]
pub struct Validate {
    /// The spec (default: openapi/np6.yaml).
    #[arg(long)]
    pub spec: Option<PathBuf>,
    /// A fixture folder or file; repeat for several (default: openapi/fixtures).
    #[arg(long = "fixtures")]
    pub fixtures: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

#[derive(Args)]
pub struct Replay {
    /// A fixture folder or file; repeat for several (default: openapi/fixtures).
    #[arg(long = "fixtures")]
    pub fixtures: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

#[derive(Args)]
pub struct ImportHar {
    /// The HTTP Archive.
    pub file: PathBuf,
    /// Where to write (default: openapi/fixtures/recorded).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also import entries for hosts other than the spec's servers.
    #[arg(long)]
    pub any_host: bool,
}

#[derive(Args)]
pub struct Coverage {
    /// A fixture folder or file; repeat for several (default: openapi/fixtures).
    #[arg(long = "fixtures")]
    pub fixtures: Vec<PathBuf>,
}

#[derive(Args)]
pub struct Growth {
    /// The cargo-semver-checks binary (default: `cargo semver-checks`).
    #[arg(long)]
    pub semver_checks: Option<PathBuf>,
    /// Check the default features only (default: with `mock` too).
    #[arg(long)]
    pub default_features_only: bool,
    /// Check only the kinds whose name starts with this (default: all).
    #[arg(long, conflicts_with = "baseline")]
    pub only: Option<String>,
    /// Instead of the synthetic growths: the semver verdict of the public
    /// API as it is against the one at this git revision (a branch, a tag,
    /// a commit). Exit 0 when additive, 1 when breaking.
    #[arg(long)]
    pub baseline: Option<String>,
}

#[derive(Args)]
pub struct PublicApi {
    /// Check that np6-client/api.txt is the public API (exit 1 when not)
    /// instead of writing it.
    #[arg(long)]
    pub check: bool,
}

#[derive(Args)]
pub struct Mock {
    /// The loopback port (default: any free port).
    #[arg(long)]
    pub port: Option<u16>,
    /// The fixtures to answer from (default: openapi/fixtures).
    #[arg(long = "fixtures")]
    pub fixtures: Option<PathBuf>,
}

#[derive(Args)]
pub struct Package {
    /// Publish to crates.io (default: `--dry-run`).
    #[arg(long)]
    pub publish: bool,
    /// Package without building the packages (as `cargo publish --no-verify`).
    #[arg(long)]
    pub no_verify: bool,
    /// Package uncommitted changes too.
    #[arg(long)]
    pub allow_dirty: bool,
}

/// One of the benchmarks of `bench`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchPart {
    Overhead,
    Bulk,
    Validation,
    Pace,
    Har,
    /// A consumer's clean build with np6-client vs without (only when named).
    Build,
    /// The `np6 redlist` export of a large redlist.
    Export,
    /// `cargo install np6` vs a comparable command line (only when named).
    Install,
}

#[derive(Args)]
pub struct Bench {
    /// Small sizes, a few seconds, targets not enforced.
    #[arg(long)]
    pub quick: bool,
    /// Run one benchmark only (default: all).
    #[arg(long, value_enum)]
    pub only: Option<BenchPart>,
}

#[derive(Args)]
pub struct BenchBulk {
    #[arg(long)]
    pub records: u64,
    #[arg(long)]
    pub baseline: bool,
}

#[derive(Args)]
pub struct BenchSide {
    /// `np6` or `raw`.
    pub side: String,
    /// `get` or `put`.
    pub call: String,
    #[arg(long, default_value_t = 20_000)]
    pub requests: usize,
    #[arg(long, default_value_t = 1)]
    pub concurrency: usize,
}
