//! The fixture checks behind `cargo xtask`, as a library that the workspace
//! tests use too (the `xtask` crate itself is only a binary).
//!
//! - [`model`]: the spec, checked and compiled into validators;
//! - [`validate`]: fixtures against the spec;
//! - [`replay`]: fixtures through the generated client;
//! - [`equivalence`]: when two bodies say the same thing to NP6;
//! - [`har`]: HTTP Archives into fixtures;
//! - [`coverage`]: which operation and status has a fixture;
//! - [`report`]: the text and JSON output shared by the commands;
//! - [`parallel`]: the validator's use of every core;
//! - [`loopback`]: the workspace's loopback test server (`np6-loopback`).

pub mod coverage;
pub mod equivalence;
pub mod har;
pub mod loopback;
pub mod model;
pub mod parallel;
pub mod replay;
pub mod report;
pub mod schema;
pub mod validate;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The workspace root (this crate lives in `xtask/checks/`).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// The spec of the workspace.
pub fn default_spec() -> PathBuf {
    project_root().join("openapi/np6.yaml")
}

/// The fixture corpus of the workspace.
pub fn default_fixtures() -> PathBuf {
    project_root().join("openapi/fixtures")
}

/// Every fixture file below `dirs` (`.yaml`, `.yml`, `.json`), sorted, each
/// real folder walked once ([`np6_client::fixture::files_below`]); a path
/// that is not a folder is taken as it is (the reader refuses what is not a
/// regular file).
///
/// # Errors
///
/// When a folder cannot be read.
pub fn fixture_files(dirs: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for dir in dirs {
        if std::fs::metadata(dir).map_or(true, |m| !m.is_dir()) {
            // Taken as it is: the reader says why, if it is not a fixture.
            files.push(dir.clone());
        } else {
            files.extend(np6_client::fixture::files_below(dir)?);
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

/// A path as shown in reports: relative to the workspace when inside it.
pub fn display_path(path: &Path) -> String {
    // Once per process: this runs for every fixture of a report.
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    let root = ROOT.get_or_init(project_root);
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}
