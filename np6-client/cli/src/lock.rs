//! Advisory locks on the files a run owns (an import's journal, a
//! redlist's state file), held for the whole run so that two overlapping
//! runs (two cron jobs, a manual run during a scheduled one) never share
//! one: the second fails at once with exit code 5 (busy).
//!
//! The lock is std's `File::try_lock` (an exclusive `flock` on Unix,
//! `LockFileEx` on Windows), stable since Rust 1.89, the workspace's
//! `rust-version`: no crate needed. It is released when the file is closed,
//! so a crashed run (even `kill -9`) leaves no stale lock. A file that is
//! replaced by a rename is not locked itself (a redlist's state is locked
//! through `STATE.lock` beside it); should a locked file be replaced all
//! the same, it is opened again, so the lock is on the file now at the
//! path.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

use crate::failure::Failure;

/// How many times a file replaced under us is opened again.
const REOPENS: usize = 10;

/// Opens `path` with `options` and locks it exclusively, without waiting.
/// `what` names the file's role in messages ("the journal").
///
/// # Errors
///
/// [`Failure::busy`] when another process holds the lock; a usage error
/// when the file cannot be opened or locked.
pub(crate) fn open_locked(options: &OpenOptions, path: &Path, what: &str) -> Result<File, Failure> {
    let shown = path.display();
    for _ in 0..REOPENS {
        let file = options
            .open(path)
            .map_err(|e| Failure::usage(format!("cannot open {what} {shown}: {e}")))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(Failure::busy(format!(
                    "{what} {shown} is locked: another np6 run is using it \
                     (wait for it to end, or use another file)"
                )));
            }
            Err(TryLockError::Error(e)) if e.kind() == std::io::ErrorKind::Unsupported => {
                crate::output::note(&format!(
                    "np6: warning: {what} {shown} cannot be locked on this file system: \
                     make sure no other run uses it"
                ));
                return Ok(file);
            }
            Err(TryLockError::Error(e)) => {
                return Err(Failure::usage(format!("cannot lock {what} {shown}: {e}")));
            }
        }
        if still_at(&file, path) {
            return Ok(file);
        }
    }
    Err(Failure::busy(format!(
        "{what} {shown} keeps being replaced: another np6 run is using it"
    )))
}

/// Whether `path` still names the open `file` (not a file renamed over it).
#[cfg(unix)]
fn still_at(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(open), Ok(now)) => (open.dev(), open.ino()) == (now.dev(), now.ino()),
        _ => false,
    }
}

#[cfg(not(unix))]
fn still_at(_: &File, _: &Path) -> bool {
    // Windows does not rename over an open file.
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_busy_until_the_first_is_closed() {
        let dir = tempfile::tempdir().expect("a folder");
        let path = dir.path().join("journal");
        let mut options = OpenOptions::new();
        options.read(true).append(true).create(true);
        let first = open_locked(&options, &path, "the journal").expect("locked");
        let busy = open_locked(&options, &path, "the journal").expect_err("busy");
        assert_eq!(busy.code(), crate::failure::BUSY);
        assert!(busy.to_string().contains("another np6 run"), "{busy}");
        assert!(busy.to_string().contains("journal"), "{busy}");
        drop(first);
        open_locked(&options, &path, "the journal").expect("free again");
    }
}
