//! Listing fixture files. Also compiled into `build.rs` (with `#[path]`),
//! which embeds the corpus and cannot use the crate it builds.

use std::path::{Path, PathBuf};

/// Every fixture file below `dir` (`.yaml`, `.yml`, `.json`), sorted.
pub(crate) fn files_below(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
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
    let mut files = Vec::new();
    walk(dir, &mut files)?;
    files.sort();
    Ok(files)
}
