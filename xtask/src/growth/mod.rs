//! `cargo xtask growth`: growing the spec never breaks a consumer.
//!
//! Builds the public API of `np6-client` (rustdoc JSON) from the spec as it
//! is, then from copies grown by each usual kind of growth (see
//! [`kinds`]), and asks `cargo-semver-checks` whether a consumer of the
//! first would break on the second. The additive kinds must come out
//! non-breaking; the two controls (a new required parameter, a removed
//! property) must come out breaking, which proves the check can fail.
//!
//! The client is built from another spec through `NP6_CLIENT_SPEC` (read by
//! `np6-client/build.rs`), in the workspace's own target folder: after a
//! `cargo build` only `np6-client` itself is rebuilt for each variant.
//!
//! With `--baseline REV`, the comparison is of the change itself: the
//! public API of the checkout as it is against the one at a git revision
//! ([`baseline`]).

mod baseline;
pub(crate) mod kinds;

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::flags::Growth;
use crate::output;

/// The cargo-semver-checks release this check is written against.
pub const SEMVER_CHECKS_VERSION: &str = "0.51.0";

/// What one comparison found.
pub(crate) enum Verdict {
    Additive,
    Breaking(String),
}

/// Runs the check; exit code 0 when every kind came out as expected, 1
/// when one did not.
///
/// # Errors
///
/// When the spec cannot be read, the client cannot be built from a grown
/// spec, or cargo-semver-checks is missing or fails.
pub fn run(args: Growth) -> Result<u8, String> {
    let checker = semver_checks(args.semver_checks)?;
    let root = np6_checks::project_root();
    let work = target_dir(&root).join("growth");
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let features: &[&str] = if args.default_features_only {
        &[]
    } else {
        &["mock"]
    };
    if let Some(revision) = &args.baseline {
        return baseline::run(&checker, &root, &work, revision, features);
    }
    let spec = crate::inputs::workspace_spec()?;

    output::line("growth: the public API of np6-client from the spec as it is...")?;
    let base = api_of(&root, &work, "base", spec.raw(), features)?;
    let mut all_as_expected = true;
    let mut rows = Vec::new();
    let chosen = kinds::KINDS.iter().filter(|kind| {
        args.only
            .as_deref()
            .is_none_or(|only| kind.name.starts_with(only))
    });
    for kind in chosen {
        let mut grown = spec.raw().clone();
        let what = match (kind.grow)(&spec, &mut grown) {
            Ok(what) => what,
            Err(why) => {
                rows.push(format!("{:<32} skipped: {why}", kind.name));
                continue;
            }
        };
        output::line(&format!("growth: {} ({what})...", kind.name))?;
        let slug: String = kind.name.chars().take_while(|c| *c != ' ').collect();
        let current = api_of(&root, &work, &slug, &grown, features)?;
        let verdict = compare(&checker, &base, &current)?;
        let expected = if kind.additive {
            "non-breaking"
        } else {
            "breaking"
        };
        let (got, ok) = match &verdict {
            Verdict::Additive => ("non-breaking", kind.additive),
            Verdict::Breaking(_) => ("breaking", !kind.additive),
        };
        all_as_expected &= ok;
        rows.push(format!(
            "{:<32} {got:<13} expected {expected:<13} {}",
            kind.name,
            if ok { "ok" } else { "WRONG" }
        ));
        if let (Verdict::Breaking(lints), false) = (&verdict, ok) {
            rows.push(format!("    {lints}"));
        }
    }
    output::line(&format!(
        "\ncargo xtask growth (features: {}):",
        if features.is_empty() {
            "default"
        } else {
            "default + mock"
        }
    ))?;
    for row in &rows {
        output::line(row)?;
    }
    Ok(u8::from(!all_as_expected))
}

/// How to run cargo-semver-checks: the given binary, or the cargo
/// subcommand on `PATH`.
fn semver_checks(given: Option<PathBuf>) -> Result<Vec<String>, String> {
    let command: Vec<String> = match given {
        Some(path) => vec![path.display().to_string(), "semver-checks".to_owned()],
        None => vec![env!("CARGO").to_owned(), "semver-checks".to_owned()],
    };
    let version = Command::new(&command[0])
        .args(&command[1..])
        .arg("--version")
        .output();
    match version {
        Ok(out) if out.status.success() => Ok(command),
        _ => Err(format!(
            "cargo-semver-checks is not installed: `cargo install cargo-semver-checks \
             --version {SEMVER_CHECKS_VERSION} --locked` (or give --semver-checks PATH)"
        )),
    }
}

/// The rustdoc JSON of np6-client built from `spec`, saved as
/// `work/<name>.json`.
fn api_of(
    root: &Path,
    work: &Path,
    name: &str,
    spec: &serde_json::Value,
    features: &[&str],
) -> Result<PathBuf, String> {
    let spec_file = work.join(format!("{name}.spec.json"));
    let text = serde_json::to_string_pretty(spec).map_err(|e| e.to_string())?;
    std::fs::write(&spec_file, text).map_err(|e| format!("{}: {e}", spec_file.display()))?;
    // The generator, which is what reads `NP6_CLIENT_SPEC`; it adds no
    // public item.
    let features: Vec<&str> = std::iter::once("codegen")
        .chain(features.iter().copied())
        .collect();
    let built = rustdoc_json(root, root, &features, Some(&spec_file)).map_err(|e| {
        format!(
            "np6-client does not build from the {name} spec ({}): {e}",
            spec_file.display()
        )
    })?;
    let saved = work.join(format!("{name}.json"));
    std::fs::copy(&built, &saved).map_err(|e| format!("{}: {e}", built.display()))?;
    Ok(saved)
}

/// Runs rustdoc (JSON output) on np6-client in the checkout at `checkout`
/// with `features`, from the spec `spec` if given (`NP6_CLIENT_SPEC`),
/// building into the target folder of the workspace at `root`; returns the
/// JSON file, which the next run overwrites.
pub(crate) fn rustdoc_json(
    root: &Path,
    checkout: &Path,
    features: &[&str],
    spec: Option<&Path>,
) -> Result<PathBuf, String> {
    let target = target_dir(root);
    let mut command = Command::new(env!("CARGO"));
    command
        .current_dir(checkout)
        .args(["rustdoc", "--quiet", "--package", "np6-client", "--lib"])
        .env("CARGO_TARGET_DIR", &target);
    if checkout != root {
        // cargo names a path package's build folders after its path inside
        // its workspace, the same in both checkouts: a profile setting of
        // their own gives the other checkout's workspace crates (np6-client
        // and np6-spec, which its build script reads the spec with) folders
        // of their own; the registry dependencies are still shared.
        command.args([
            "--config",
            "profile.dev.package.np6-client.codegen-units=255",
            "--config",
            "profile.dev.package.np6-spec.codegen-units=255",
        ]);
    }
    for feature in features {
        command.args(["--features", feature]);
    }
    match spec {
        Some(spec) => command.env("NP6_CLIENT_SPEC", spec),
        None => command.env_remove("NP6_CLIENT_SPEC"),
    };
    // rustdoc's JSON output is unstable: RUSTC_BOOTSTRAP lets the stable
    // toolchain write it, as cargo-semver-checks itself does.
    let status = command
        .args(["--", "-Z", "unstable-options", "--output-format", "json"])
        .env("RUSTC_BOOTSTRAP", "1")
        .status()
        .map_err(|e| format!("cannot run cargo rustdoc: {e}"))?;
    if !status.success() {
        return Err(format!("cargo rustdoc failed in {}", checkout.display()));
    }
    Ok(target.join("doc/np6_client.json"))
}

/// The target folder cargo builds into here.
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                root.join(dir)
            }
        })
        .unwrap_or_else(|| root.join("target"))
}

/// cargo-semver-checks' verdict on `current` against `baseline`.
pub(crate) fn compare(
    checker: &[String],
    baseline: &Path,
    current: &Path,
) -> Result<Verdict, String> {
    let out = Command::new(&checker[0])
        .args(&checker[1..])
        .arg("check-release")
        .arg("--baseline-rustdoc")
        .arg(baseline)
        .arg("--current-rustdoc")
        .arg(current)
        .output()
        .map_err(|e| format!("cannot run cargo-semver-checks: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        return Ok(Verdict::Additive);
    }
    let lints: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("--- failure "))
        .map(|l| l.split(':').next().unwrap_or(l))
        .collect();
    if text.contains("semver requires new major version") || !lints.is_empty() {
        Ok(Verdict::Breaking(lints.join(", ")))
    } else {
        Err(format!("cargo-semver-checks failed:\n{text}"))
    }
}
