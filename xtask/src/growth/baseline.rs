//! `cargo xtask growth --baseline REV`: the semver verdict of the change
//! under review. The revision is checked out in a git worktree under the
//! target folder, np6-client's public API (rustdoc JSON) is built there and
//! in the checkout as it is, with the same features and into the same
//! target folder (so the dependencies compile once), and cargo-semver-checks
//! compares the two. The worktree is removed afterwards.

use std::path::Path;
use std::process::Command;

use super::{Verdict, compare, rustdoc_json};
use crate::output;

/// Compares the checkout at `root` with `revision`; exit code 0 when the
/// change is additive, 1 when it breaks a consumer.
pub(super) fn run(
    checker: &[String],
    root: &Path,
    work: &Path,
    revision: &str,
    features: &[&str],
) -> Result<u8, String> {
    let checkout = work.join("baseline");
    let features: Vec<&str> = std::iter::once("codegen")
        .chain(features.iter().copied())
        .collect();
    // A worktree left by an interrupted run would stop `worktree add`.
    let _ = git(
        root,
        &["worktree", "remove", "--force", path_text(&checkout)?],
    );
    crate::package::remove_dir(&checkout)?;
    git(
        root,
        &[
            "worktree",
            "add",
            "--detach",
            "--force",
            path_text(&checkout)?,
            revision,
        ],
    )?;
    let verdict = compare_with(checker, root, work, &checkout, &features);
    let removed = git(
        root,
        &["worktree", "remove", "--force", path_text(&checkout)?],
    );
    let verdict = verdict?;
    removed?;
    match verdict {
        Verdict::Additive => {
            output::line(&format!(
                "growth: against {revision}, np6-client's public API changed additively \
                 (no new major version needed)"
            ))?;
            Ok(0)
        }
        Verdict::Breaking(lints) => {
            output::line(&format!(
                "growth: against {revision}, the change BREAKS consumers (a new major \
                 version): {lints}"
            ))?;
            Ok(1)
        }
    }
}

fn compare_with(
    checker: &[String],
    root: &Path,
    work: &Path,
    checkout: &Path,
    features: &[&str],
) -> Result<Verdict, String> {
    output::line("growth: the public API of np6-client at the baseline...")?;
    let baseline = save(
        &rustdoc_json(root, checkout, features, None)?,
        &work.join("baseline.json"),
    )?;
    output::line("growth: the public API of np6-client as it is...")?;
    let current = save(
        &rustdoc_json(root, root, features, None)?,
        &work.join("current.json"),
    )?;
    compare(checker, &baseline, &current)
}

fn save(built: &Path, to: &Path) -> Result<std::path::PathBuf, String> {
    std::fs::copy(built, to).map_err(|e| format!("{}: {e}", built.display()))?;
    Ok(to.to_path_buf())
}

fn path_text(path: &Path) -> Result<&str, String> {
    path.to_str()
        .ok_or_else(|| format!("not a UTF-8 path: {}", path.display()))
}

/// Runs git in `root`; its stderr in the error.
fn git(root: &Path, args: &[&str]) -> Result<(), String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}
