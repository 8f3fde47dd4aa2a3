//! What the paths of a run name, and refusing a run whose files overlap.
//!
//! [`resolve`] follows a path's symbolic links to what they name: a new
//! path (even behind a dangling link), a regular file, a folder, an open
//! descriptor of this process (`/dev/stdout`, `/dev/stderr`, `/dev/fd/N`,
//! or any path that leads into `/proc`) or another special file (a
//! device, a FIFO, a socket). Every file `np6` writes is opened after it
//! (see [`crate::output`]).
//!
//! [`refuse_overlaps`]: an output (`--rejects`, `--journal`, `--state`
//! and its lock, `--output`) that is the input, the key file, or another
//! output would destroy what the run reads or writes. Two paths are one
//! file when they reach the same regular file (device and inode, through
//! any link), or, for a file not there yet, the same path once every link
//! is followed. Devices, FIFOs and terminals are not compared: writing
//! into one destroys nothing. `-` is stdin for the input and stdout for
//! `--output`, and compared as such; for any other flag it is refused.

use std::fs::Metadata;
use std::path::{Component, Path, PathBuf};

use crate::failure::Failure;

/// A file of the run, and the flag (or role) that names it.
pub(crate) type Named<'a> = (&'a str, &'a Path);

/// The role of the input among [`Named`] files.
pub(crate) const INPUT: &str = "the input";
/// The role of the key file among [`Named`] files.
pub(crate) const KEY_FILE: &str = "the key file";

/// Whether `path` is `-` (stdin or stdout, where a flag takes it).
pub(crate) fn is_stdout(path: &Path) -> bool {
    path == Path::new("-")
}

/// What a path names once its links are followed.
#[derive(Debug)]
pub(crate) enum Target {
    /// Nothing yet: a new file at this path (a dangling link's target).
    New(PathBuf),
    /// A regular file.
    Regular(PathBuf, Metadata),
    /// A folder.
    Folder,
    /// An open descriptor of this process: written into, never replaced.
    Descriptor(Descriptor),
    /// Anything else (a device, a FIFO, a socket): written into.
    Special(PathBuf),
}

/// An open descriptor named by a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Descriptor {
    /// This process's stdout (`/dev/stdout`, `/dev/fd/1`, ...).
    Stdout,
    /// This process's stderr.
    Stderr,
    /// Another path into `/proc`: opened there, never created.
    Proc(PathBuf),
}

/// The most links followed before giving up (as the kernel's `ELOOP`).
const MAX_LINKS: usize = 40;

/// Follows `path`'s symbolic links to what they name, keeping the path of
/// the last link's target even when nothing is there yet.
pub(crate) fn resolve(path: &Path) -> std::io::Result<Target> {
    let mut current = path.to_owned();
    for _ in 0..MAX_LINKS {
        if let Some(descriptor) = descriptor(&current) {
            return Ok(Target::Descriptor(descriptor));
        }
        let meta = match std::fs::symlink_metadata(&current) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Target::New(current)),
            Err(e) => return Err(e),
        };
        let kind = meta.file_type();
        if kind.is_symlink() {
            let link = std::fs::read_link(&current)?;
            current = match current.parent() {
                Some(parent) if link.is_relative() => parent.join(link),
                _ => link,
            };
        } else if kind.is_file() {
            return Ok(Target::Regular(current, meta));
        } else if kind.is_dir() {
            return Ok(Target::Folder);
        } else {
            return Ok(Target::Special(current));
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

/// The descriptor `path` names when its folder is in `/proc` (where a
/// link such as `/proc/self/fd/1` names an open file, which must be
/// written into and never replaced by the file its link shows).
fn descriptor(path: &Path) -> Option<Descriptor> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let real = std::fs::canonicalize(folder).ok()?;
    if !real.starts_with("/proc") {
        return None;
    }
    let name = path.file_name()?;
    let own = Path::new("/proc").join(std::process::id().to_string());
    let mine =
        real == own.join("fd") || (real.starts_with(own.join("task")) && real.ends_with("fd"));
    Some(match name.to_str() {
        Some("1") if mine => Descriptor::Stdout,
        Some("2") if mine => Descriptor::Stderr,
        _ => Descriptor::Proc(real.join(name)),
    })
}

/// Whether `path` leads to this process's stdout (`/dev/stdout`,
/// `/dev/fd/1`, or a link to one), whatever stdout is (a pipe, a file).
pub(crate) fn is_own_stdout(path: &Path) -> bool {
    matches!(resolve(path), Ok(Target::Descriptor(Descriptor::Stdout)))
}

/// A usage error (exit code 2) naming both when two of `files` are one
/// file, or when `-` names a file for a flag that does not take it.
pub(crate) fn refuse_overlaps(files: &[Named<'_>]) -> Result<(), Failure> {
    let mut keys = Vec::with_capacity(files.len());
    for &(flag, path) in files {
        if is_stdout(path) && flag != INPUT && flag != "--output" {
            let hint = if flag == "--rejects" {
                "name /dev/stdout to write the rejects to stdout"
            } else {
                "it is read back by the next run"
            };
            return Err(Failure::usage(format!(
                "{flag} needs a file: - is not stdin or stdout here ({hint})"
            )));
        }
        keys.push((flag, path, key(flag, path)));
    }
    for (i, (first, a, key_a)) in keys.iter().enumerate() {
        for (second, b, key_b) in keys.iter().skip(i.saturating_add(1)) {
            if key_a.is_some() && key_a == key_b {
                return Err(Failure::usage(format!(
                    "{second} {} is the same file as {first} {}: the run would overwrite \
                     what it {}; name another file",
                    b.display(),
                    a.display(),
                    if *first == INPUT || *first == KEY_FILE {
                        "reads"
                    } else {
                        "writes"
                    },
                )));
            }
        }
    }
    Ok(())
}

/// What tells files apart.
#[derive(Debug, PartialEq, Eq)]
enum Key {
    /// An existing regular file.
    #[cfg(unix)]
    Inode(u64, u64),
    /// A file not there yet (or, off Unix, any file), by its real path.
    Path(PathBuf),
}

/// How `path`, given for `flag`, is compared; `None`: it is not (a
/// device, a FIFO, a terminal, a folder).
fn key(flag: &str, path: &Path) -> Option<Key> {
    if is_stdout(path) {
        return stdio_key(flag == INPUT);
    }
    match resolve(path) {
        Ok(Target::New(target)) => Some(Key::Path(normalised(&target))),
        Ok(Target::Regular(target, meta)) => Some(regular_key(&target, &meta)),
        Ok(Target::Descriptor(Descriptor::Stdout)) => stdio_key(false),
        Ok(Target::Descriptor(Descriptor::Stderr)) => stderr_key(),
        Ok(Target::Descriptor(Descriptor::Proc(target))) => {
            let meta = std::fs::metadata(&target).ok()?;
            meta.is_file().then(|| regular_key(&target, &meta))
        }
        Ok(Target::Folder | Target::Special(_)) => None,
        // Cannot be looked at: compared by its path; opening it will say.
        Err(_) => Some(Key::Path(normalised(path))),
    }
}

/// The key of stdin (`input`) or stdout when it is a regular file.
#[cfg(unix)]
fn stdio_key(input: bool) -> Option<Key> {
    use std::os::fd::AsFd;
    if input {
        descriptor_key(std::io::stdin().as_fd())
    } else {
        descriptor_key(std::io::stdout().as_fd())
    }
}

#[cfg(unix)]
fn stderr_key() -> Option<Key> {
    use std::os::fd::AsFd;
    descriptor_key(std::io::stderr().as_fd())
}

#[cfg(unix)]
fn descriptor_key(fd: std::os::fd::BorrowedFd<'_>) -> Option<Key> {
    let file = std::fs::File::from(fd.try_clone_to_owned().ok()?);
    let meta = file.metadata().ok()?;
    meta.is_file().then(|| regular_key(Path::new("-"), &meta))
}

#[cfg(not(unix))]
fn stdio_key(_: bool) -> Option<Key> {
    None
}

#[cfg(not(unix))]
fn stderr_key() -> Option<Key> {
    None
}

#[cfg(unix)]
fn regular_key(_: &Path, meta: &Metadata) -> Key {
    use std::os::unix::fs::MetadataExt;
    Key::Inode(meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn regular_key(path: &Path, _: &Metadata) -> Key {
    Key::Path(normalised(path))
}

/// `path` absolute, with the links of the deepest folder that exists
/// resolved and `.` and `..` taken out of the rest.
fn normalised(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_owned()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    if let Ok(real) = std::fs::canonicalize(&absolute) {
        return real;
    }
    let lexical = lexical(&absolute);
    // The folder may exist though the file does not.
    match (lexical.parent(), lexical.file_name()) {
        (Some(folder), Some(name)) => match std::fs::canonicalize(folder) {
            Ok(real) => real.join(name),
            Err(_) => lexical,
        },
        _ => lexical,
    }
}

/// `.` and `..` taken out without looking at the disk.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: &Path, b: &Path) -> bool {
        refuse_overlaps(&[("--rejects", a), ("--journal", b)]).is_err()
    }

    #[test]
    fn a_file_is_found_by_another_path_and_a_new_one_by_its_path() {
        let dir = tempfile::tempdir().expect("a folder");
        let file = dir.path().join("in.csv");
        std::fs::write(&file, "x").expect("a file");
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).expect("a folder");
        assert!(same(&file, &sub.join("../in.csv")));
        #[cfg(unix)]
        {
            let link = dir.path().join("link.csv");
            std::os::unix::fs::symlink(&file, &link).expect("a link");
            assert!(same(&file, &link));
            let hard = dir.path().join("hard.csv");
            std::fs::hard_link(&file, &hard).expect("a hard link");
            assert!(same(&file, &hard));
            // A link to nothing yet is the file it will create.
            let dangling = dir.path().join("dangling");
            std::os::unix::fs::symlink("sub/later.json", &dangling).expect("a link");
            assert!(same(&dangling, &sub.join("later.json")));
            // A device is written into, never destroyed: not compared.
            assert!(!same(Path::new("/dev/null"), Path::new("/dev/null")));
        }
        let new = dir.path().join("new.csv");
        assert!(same(&new, &sub.join("./../new.csv")));
        assert!(!same(&new, &file));
        assert!(!same(&new, &dir.path().join("other.csv")));
        assert!(refuse_overlaps(&[(INPUT, &file), ("--rejects", &sub.join("../in.csv"))]).is_err());
        assert!(refuse_overlaps(&[("--output", Path::new("-"))]).is_ok());
        assert!(refuse_overlaps(&[("--state", Path::new("-"))]).is_err());
        assert!(refuse_overlaps(&[(INPUT, &file), ("--journal", &new)]).is_ok());
    }
}
