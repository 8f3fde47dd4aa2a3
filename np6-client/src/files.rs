//! The one way fixture files are listed and read, safe on hostile folders:
//! each real folder is walked once (symlink loops end), only regular files
//! are read (a FIFO or a device is refused, never opened for reading), and
//! no more than [`MAX_FILE_BYTES`] is read from one. Also compiled into
//! `build.rs` (with `#[path]`), which embeds the corpus and cannot use the
//! crate it builds: this file uses only `std` (and `libc` on Unix).

use std::collections::HashSet;
use std::fs::{File, Metadata};
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// The largest fixture file read, in bytes (16 MiB); a larger one is refused.
pub(crate) const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Every fixture file below `dir` (`.yaml`, `.yml`, `.json`), sorted, each
/// real file once. Each real folder is walked once, however many links lead
/// to it; a fixture name that is not a regular file (a FIFO, a device, a
/// dangling link) is listed, so that [`read_capped`] refuses it by name.
pub(crate) fn files_below(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut seen_dirs = HashSet::new();
    let mut seen_files = HashSet::new();
    let mut files = Vec::new();
    // A stack, not recursion: a deep tree cannot overflow the stack.
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let meta = std::fs::metadata(&dir)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
        if !seen_dirs.insert(identity(&dir, &meta)) {
            continue;
        }
        let mut entries = std::fs::read_dir(&dir)
            .and_then(|entries| {
                entries
                    .map(|e| e.map(|e| e.path()))
                    .collect::<std::io::Result<Vec<_>>>()
            })
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
        // In name order, depth first, so the name kept for a file reached
        // by several is always the same.
        entries.sort();
        let mut below = Vec::new();
        for path in entries {
            match std::fs::metadata(&path) {
                Ok(meta) if meta.is_dir() => below.push(path),
                // A non-file is listed for the reader to refuse; a file
                // reached under a second name is not listed again.
                Ok(meta)
                    if is_fixture_name(&path)
                        && (!meta.is_file() || seen_files.insert(identity(&path, &meta))) =>
                {
                    files.push(path);
                }
                Err(_) if is_fixture_name(&path) => files.push(path),
                _ => {}
            }
        }
        pending.extend(below.into_iter().rev());
    }
    files.sort();
    Ok(files)
}

fn is_fixture_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
}

/// What makes a folder or file the same one under another name.
#[cfg(unix)]
fn identity(_: &Path, meta: &Metadata) -> (u64, u64, PathBuf) {
    use std::os::unix::fs::MetadataExt as _;
    (meta.dev(), meta.ino(), PathBuf::new())
}

#[cfg(not(unix))]
fn identity(path: &Path, _: &Metadata) -> (u64, u64, PathBuf) {
    (
        0,
        0,
        std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
    )
}

/// The bytes of the file at `path`, or why it is refused: it is not a
/// regular file (checked before opening, so a FIFO is never waited on, and
/// again on the opened file), it cannot be read, or it is larger than
/// `max` bytes (at most `max + 1` bytes are ever read).
pub(crate) fn read_capped(path: &Path, max: u64) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    check_regular(&meta, max)?;
    let file = open(path).map_err(|e| format!("cannot read: {e}"))?;
    let meta = file.metadata().map_err(|e| format!("cannot read: {e}"))?;
    check_regular(&meta, max)?;
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > max {
        return Err(too_large(max));
    }
    Ok(bytes)
}

fn check_regular(meta: &Metadata, max: u64) -> Result<(), String> {
    if !meta.is_file() {
        return Err(format!("not a regular file ({})", kind(meta)));
    }
    if meta.len() > max {
        return Err(too_large(max));
    }
    Ok(())
}

fn too_large(max: u64) -> String {
    format!("larger than {max} bytes, the most read from one file")
}

fn kind(meta: &Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        let kind = meta.file_type();
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if meta.is_dir() {
        "a folder"
    } else {
        "not a file"
    }
}

/// Opens for reading without waiting: should the name have become a FIFO
/// since it was checked, the open returns at once (and the check of the
/// opened file refuses it).
#[cfg(unix)]
fn open(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open(path: &Path) -> std::io::Result<File> {
    File::open(path)
}
