//! The maintainers' tasks, as a library so that `cargo test` runs them too.
//!
//! - [`model`]: the spec, checked and compiled into validators;
//! - [`validate`]: fixtures against the spec;
//! - [`replay`]: fixtures through the generated client;
//! - [`har`]: HTTP Archives into fixtures;
//! - [`coverage`]: which operation and status has a fixture;
//! - [`mock`]: the fixture sandbox as a standalone server;
//! - [`bench`]: the benchmarks of `cargo xtask bench`;
//! - [`report`]: the text and JSON output shared by the commands.

pub mod bench;
pub mod bench_server;
pub mod coverage;
pub mod har;
pub mod mock;
pub mod model;
pub mod replay;
pub mod report;
pub mod validate;

use std::path::{Path, PathBuf};

/// The workspace root (the parent of `xtask/`).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
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

/// Every fixture file below `dirs` (`.yaml`, `.yml`, `.json`), sorted; a
/// file given by name is taken as it is.
///
/// # Errors
///
/// When a folder cannot be read.
pub fn fixture_files(dirs: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for dir in dirs {
        if dir.is_file() {
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
    let root = project_root();
    path.strip_prefix(&root)
        .unwrap_or(path)
        .display()
        .to_string()
}
