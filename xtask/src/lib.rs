//! The maintainers' tasks, as a library so that `cargo test` runs them too.
//!
//! - [`model`]: the spec, checked and compiled into validators;
//! - [`validate`]: fixtures against the spec;
//! - [`replay`]: fixtures through the generated client;
//! - [`har`]: HTTP Archives into fixtures;
//! - [`coverage`]: which operation and status has a fixture;
//! - [`report`]: the text and JSON output shared by the commands.

pub mod coverage;
pub mod har;
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

/// Every fixture file below `dirs` (`.yaml`, `.yml`, `.json`), sorted.
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
            walk(dir, &mut files)?;
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, files)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
        {
            files.push(path);
        }
    }
    Ok(())
}

/// A path as shown in reports: relative to the workspace when inside it.
pub fn display_path(path: &Path) -> String {
    let root = project_root();
    path.strip_prefix(&root)
        .unwrap_or(path)
        .display()
        .to_string()
}
