//! Where results go: stdout (no path, or `-`), or a file.
//!
//! A regular file, or a path where nothing is yet, is replaced atomically:
//! a temporary file beside it, synced, then renamed over it, so a reader
//! sees the old file or the whole new one, never half of one, and a run
//! that stops early leaves the old one. A symbolic link is followed: its
//! final target is replaced that way and the link stays a link. The
//! replacement keeps an existing file's mode (and, where allowed, its
//! owner); a new file gets `0666` less the umask, as a shell's `>` gives.
//! Anything else (a character device such as `/dev/null`, a FIFO, a
//! socket) is written straight into, never replaced; a folder is refused.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::failure::Failure;

/// An output being written; [`commit`](Self::commit) finishes it. Dropped
/// without a commit, a replacement leaves the old file as it was.
pub(crate) enum Output {
    /// Standard output.
    Stdout(BufWriter<std::io::Stdout>),
    /// A temporary file that `commit` renames over `target`.
    Replace {
        temp: BufWriter<NamedTempFile>,
        target: PathBuf,
        shown: String,
    },
    /// A device, FIFO or socket, written into.
    Into {
        file: BufWriter<File>,
        shown: String,
    },
}

/// What a path names once its links are followed.
enum Target {
    /// Nothing yet: a new file at this path.
    New(PathBuf),
    /// A regular file.
    Regular(PathBuf, std::fs::Metadata),
    /// A folder.
    Folder,
    /// Anything else: a device, a FIFO, a socket.
    Special(PathBuf),
}

/// The most links followed before giving up (as the kernel's `ELOOP`).
const MAX_LINKS: usize = 40;

/// Follows `path`'s symbolic links to what they name, keeping the path of
/// the last link's target even when nothing is there yet.
fn resolve(path: &Path) -> Result<Target, Failure> {
    let mut current = path.to_owned();
    for _ in 0..MAX_LINKS {
        let meta = match std::fs::symlink_metadata(&current) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Target::New(current)),
            Err(e) => return Err(cannot_write(path, &e)),
        };
        let kind = meta.file_type();
        if kind.is_symlink() {
            let link = std::fs::read_link(&current).map_err(|e| cannot_write(path, &e))?;
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
    Err(Failure::usage(format!(
        "cannot write {}: too many levels of symbolic links",
        path.display()
    )))
}

impl Output {
    /// Stdout for `None` or `-`, else [`file`](Self::file).
    pub(crate) fn create(path: Option<&Path>) -> Result<Self, Failure> {
        match path {
            Some(path) if !is_stdout(path) => Self::file(path),
            _ => Ok(Self::Stdout(BufWriter::new(std::io::stdout()))),
        }
    }

    /// The file at `path` (never stdout, even for `-`), as the module says.
    pub(crate) fn file(path: &Path) -> Result<Self, Failure> {
        let shown = path.display().to_string();
        match resolve(path)? {
            Target::Folder => Err(Failure::usage(format!(
                "cannot write {shown}: it is a folder"
            ))),
            Target::Special(target) => {
                let file = OpenOptions::new()
                    .write(true)
                    .open(&target)
                    .map_err(|e| cannot_write(path, &e))?;
                Ok(Self::Into {
                    file: BufWriter::new(file),
                    shown,
                })
            }
            Target::New(target) => {
                let temp = temp_beside(&target, None)?;
                Ok(Self::Replace {
                    temp: BufWriter::new(temp),
                    target,
                    shown,
                })
            }
            Target::Regular(target, meta) => {
                let temp = temp_beside(&target, Some(&meta))?;
                Ok(Self::Replace {
                    temp: BufWriter::new(temp),
                    target,
                    shown,
                })
            }
        }
    }

    /// Flushes; a replacement is synced and renamed into place.
    pub(crate) fn commit(self) -> Result<(), Failure> {
        match self {
            Self::Stdout(mut out) => out.flush().map_err(|e| write_failed("stdout", &e)),
            Self::Into { mut file, shown } => file.flush().map_err(|e| write_failed(&shown, &e)),
            Self::Replace {
                temp,
                target,
                shown,
            } => {
                let temp = temp
                    .into_inner()
                    .map_err(|e| write_failed(&shown, e.error()))?;
                temp.as_file()
                    .sync_all()
                    .map_err(|e| write_failed(&shown, &e))?;
                temp.persist(&target)
                    .map_err(|e| write_failed(&shown, &e.error))?;
                sync_folder(&target);
                Ok(())
            }
        }
    }
}

/// A temporary file in `target`'s folder (so the rename stays on one file
/// system), named after it, with `existing`'s mode and owner, or `0666`
/// less the umask for a new file.
fn temp_beside(
    target: &Path,
    existing: Option<&std::fs::Metadata>,
) -> Result<NamedTempFile, Failure> {
    let folder = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".np6-tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // open(2) takes the umask off this, as for any new file.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let temp = builder
        .tempfile_in(folder)
        .map_err(|e| Failure::usage(format!("cannot write in {}: {e}", folder.display())))?;
    if let Some(meta) = existing {
        keep_mode_and_owner(temp.as_file(), meta)
            .map_err(|e| write_failed(&target.display().to_string(), &e))?;
    }
    Ok(temp)
}

/// Gives `file` the mode of `meta`, and its owner when this process may
/// (root may; others keep their own, as a copy would).
#[cfg(unix)]
fn keep_mode_and_owner(file: &File, meta: &std::fs::Metadata) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    file.set_permissions(meta.permissions())?;
    let mine = file.metadata()?;
    if (mine.uid(), mine.gid()) != (meta.uid(), meta.gid()) {
        // Not allowed for most users: the replacement is then theirs.
        if std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid())).is_ok() {
            // chown clears the set-id bits: put the mode back.
            file.set_permissions(meta.permissions())?;
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn keep_mode_and_owner(file: &File, meta: &std::fs::Metadata) -> std::io::Result<()> {
    file.set_permissions(meta.permissions())
}

/// Makes the rename durable; a folder that cannot be synced (some file
/// systems) is no reason to fail a write that is already complete.
fn sync_folder(target: &Path) {
    #[cfg(unix)]
    if let Some(folder) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        let _ = File::open(folder).and_then(|f| f.sync_all());
    }
    #[cfg(not(unix))]
    let _ = target;
}

/// Whether `path` means stdout (`-`).
pub(crate) fn is_stdout(path: &Path) -> bool {
    path == Path::new("-")
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Self::Stdout(out) => out.write(buf),
            Self::Replace { temp, .. } => temp.write(buf),
            Self::Into { file, .. } => file.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Self::Stdout(out) => out.flush(),
            Self::Replace { temp, .. } => temp.flush(),
            Self::Into { file, .. } => file.flush(),
        }
    }
}

/// Writes `text` to stdout. A reader that went away (`np6 ... | head -1`)
/// ends the output quietly, never in a panic as `println!` would.
pub(crate) fn print(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(write_failed("stdout", &e)),
        _ => Ok(()),
    }
}

/// Writes a line to stderr, ignoring a closed stderr (`eprintln!` would
/// panic).
pub(crate) fn note(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// A write to `what` failed: a local error (exit code 2).
pub(crate) fn write_failed(what: &str, error: &std::io::Error) -> Failure {
    Failure::usage(format!("cannot write {what}: {error}"))
}

fn cannot_write(path: &Path, error: &std::io::Error) -> Failure {
    write_failed(&path.display().to_string(), error)
}

/// Writes `bytes` to the file at `path` (never stdout) as [`Output::file`]
/// does.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let mut out = Output::file(path)?;
    out.write_all(bytes)
        .map_err(|e| write_failed(&path.display().to_string(), &e))?;
    out.commit()
}
