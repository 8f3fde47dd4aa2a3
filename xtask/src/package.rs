//! `cargo xtask package`: writes `np6-client/generated/`, the client
//! generated from the spec, which the published package ships so that its
//! consumers compile neither progenitor nor its dependencies; then packages
//! np6-spec, np6-client and np6 (the command line, which depends on the
//! np6-client package) with `cargo publish` (`--dry-run` unless
//! `--publish`).
//!
//! cargo counts a packaged file that git ignores as an uncommitted change,
//! so `cargo publish` runs with `--allow-dirty`; this command checks
//! instead that git has nothing uncommitted and that every packaged file
//! but `generated/` is one git tracks (an ignored file under `src/` or
//! `openapi/fixtures/` would otherwise be published unseen).
//!
//! The files are the ones `np6-client/build.rs` writes with the `codegen`
//! feature (and `mock`, so the testing kit's helpers are there too), taken
//! from its `OUT_DIR` as they are: there is one generator, and it runs
//! every time. The folder is git-ignored; the package's own build checks
//! its fingerprint against the packaged spec, generator and files.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::flags;
use crate::output;

/// Generates `np6-client/generated/`, then packages (and publishes).
pub fn run(args: flags::Package) -> Result<u8, String> {
    let root = np6_checks::project_root();
    if !args.allow_dirty {
        committed(&root)?;
    }
    let (names, fingerprint) = write_generated(&root)?;
    output::line(&format!(
        "np6-client/generated/: {} ({fingerprint})",
        names.join(", ")
    ))?;
    if !args.allow_dirty {
        only_tracked_files(&root)?;
    }
    let mut publish = Command::new(cargo());
    publish
        .args([
            "publish",
            "--allow-dirty",
            "-p",
            "np6-spec",
            "-p",
            "np6-client",
            "-p",
            "np6",
        ])
        .current_dir(&root);
    if !args.publish {
        publish.arg("--dry-run");
    }
    if args.no_verify {
        publish.arg("--no-verify");
    }
    let status = publish
        .status()
        .map_err(|e| format!("cannot run cargo publish: {e}"))?;
    if !status.success() {
        return Err("cargo publish failed".to_owned());
    }
    Ok(0)
}

/// The packages and their folders.
const PACKAGES: [(&str, &str); 3] = [
    ("np6-spec", "np6-client/np6-spec"),
    ("np6-client", "np6-client"),
    ("np6", "np6-client/cli"),
];

/// Fails when a package would hold a file git does not track (following
/// the symlinks to `openapi/`), other than what cargo writes and
/// np6-client's `generated/`.
fn only_tracked_files(root: &Path) -> Result<(), String> {
    let Ok(listed) = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(root)
        .output()
    else {
        return Ok(()); // no git: nothing to compare with
    };
    if !listed.status.success() {
        return Ok(());
    }
    let tracked: std::collections::HashSet<PathBuf> = listed
        .stdout
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .filter_map(|p| {
            root.join(String::from_utf8_lossy(p).as_ref())
                .canonicalize()
                .ok()
        })
        .collect();
    let mut untracked = Vec::new();
    for (name, folder) in PACKAGES {
        let listed = stdout_of(
            Command::new(cargo())
                .args(["package", "--list", "--allow-dirty", "-p", name])
                .current_dir(root),
        )?;
        for file in listed.lines() {
            let written_by_cargo = matches!(
                file,
                ".cargo_vcs_info.json" | "Cargo.toml" | "Cargo.toml.orig" | "Cargo.lock"
            );
            let generated = name == "np6-client" && file.starts_with("generated/");
            if written_by_cargo || generated {
                continue;
            }
            let path = root.join(folder).join(file);
            if !path.canonicalize().is_ok_and(|p| tracked.contains(&p)) {
                untracked.push(format!("{name}: {file}"));
            }
        }
    }
    if untracked.is_empty() {
        return Ok(());
    }
    Err(format!(
        "the packages would hold files git does not track (ignored ones too; remove \
         them, or pass --allow-dirty):\n  {}",
        untracked.join("\n  ")
    ))
}

/// Fails when git has uncommitted changes in the checkout (a checkout
/// without git, or without git installed, has nothing to compare).
fn committed(root: &Path) -> Result<(), String> {
    let Ok(status) = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=all"])
        .current_dir(root)
        .output()
    else {
        return Ok(());
    };
    if !status.status.success() {
        return Ok(());
    }
    let changes = String::from_utf8_lossy(&status.stdout);
    if changes.trim().is_empty() {
        return Ok(());
    }
    Err(format!(
        "uncommitted changes would be packaged (commit them, or pass --allow-dirty):\n{changes}"
    ))
}

/// Runs `command`, returning its stdout; its stderr in the error.
pub(crate) fn stdout_of(command: &mut Command) -> Result<String, String> {
    let output = command
        .output()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{command:?} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Removes the folder `dir` and what it holds; one that does not exist is
/// already gone (an error only when it exists and cannot be removed).
pub(crate) fn remove_dir(dir: &std::path::Path) -> Result<(), String> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("cannot remove {}: {e}", dir.display())),
    }
}

fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// Writes `np6-client/generated/` under `root`; returns the names of its
/// files and the first line of their fingerprint (what they were made
/// from).
pub fn write_generated(root: &Path) -> Result<(Vec<String>, String), String> {
    let out_dir = generate(root)?;
    let from = out_dir.join("generated");
    let to = root.join("np6-client/generated");
    remove_dir(&to)?;
    std::fs::create_dir_all(&to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    let entries =
        std::fs::read_dir(&from).map_err(|e| format!("cannot list {}: {e}", from.display()))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", from.display()))?;
        std::fs::copy(entry.path(), to.join(entry.file_name()))
            .map_err(|e| format!("cannot copy {}: {e}", entry.path().display()))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    let fingerprint = std::fs::read_to_string(to.join("FINGERPRINT"))
        .map_err(|e| format!("the generator wrote no FINGERPRINT: {e}"))?;
    let inputs = fingerprint.lines().next().unwrap_or_default().to_owned();
    Ok((names, inputs))
}

/// Builds np6-client with `codegen` and `mock` from the workspace's spec and
/// returns its build script's `OUT_DIR`.
fn generate(root: &Path) -> Result<PathBuf, String> {
    let cargo = cargo();
    let pkgid = Command::new(&cargo)
        .args(["pkgid", "-p", "np6-client"])
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run cargo pkgid: {e}"))?;
    let pkgid = String::from_utf8_lossy(&pkgid.stdout).trim().to_owned();
    let output = Command::new(&cargo)
        .args([
            "build",
            "--package",
            "np6-client",
            "--lib",
            "--features",
            "codegen,mock",
            "--message-format=json-render-diagnostics",
        ])
        .env_remove("NP6_CLIENT_SPEC")
        .current_dir(root)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo build: {e}"))?;
    if !output.status.success() {
        return Err("cargo build of np6-client with `codegen` failed".to_owned());
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| {
            message["reason"] == "build-script-executed" && message["package_id"] == *pkgid
        })
        .find_map(|message| message["out_dir"].as_str().map(PathBuf::from))
        .ok_or_else(|| format!("cargo build reported no build script run for {pkgid}"))
}
