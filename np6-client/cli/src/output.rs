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
//! socket, an open descriptor such as `/dev/stdout` or `/dev/fd/3`) is
//! written straight into, never truncated nor replaced: a descriptor is
//! written where it stands (stdout and stderr as inherited, so `>>`
//! appends), any other path into `/proc` in append mode. A folder is
//! refused. [`Log`] opens a file written record by record (an import's
//! rejects) by the same rules; what [`crate::paths::resolve`] says a path
//! names decides in both.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::failure::Failure;
use crate::paths::{Descriptor, Target, is_stdout, resolve};

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
        match resolve(path).map_err(|e| cannot_write(path, &e))? {
            Target::Folder => Err(Failure::usage(format!(
                "cannot write {shown}: it is a folder"
            ))),
            Target::Special(target) => Ok(Self::Into {
                file: BufWriter::new(open_special(&target).map_err(|e| cannot_write(path, &e))?),
                shown,
            }),
            Target::Descriptor(descriptor) => Ok(Self::Into {
                file: BufWriter::new(
                    open_descriptor(&descriptor).map_err(|e| cannot_write(path, &e))?,
                ),
                shown,
            }),
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

    /// The temporary file of a replacement, flushed: what was written
    /// there can still be cut back. `None` for stdout and what is written
    /// straight into.
    pub(crate) fn replacement(&mut self) -> Option<std::io::Result<&mut File>> {
        match self {
            Self::Replace { temp, .. } => Some(temp.flush().map(|()| temp.get_mut().as_file_mut())),
            Self::Stdout(_) | Self::Into { .. } => None,
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

/// A device, FIFO or socket, opened to write into (never created nor
/// truncated).
fn open_special(target: &Path) -> std::io::Result<File> {
    OpenOptions::new().write(true).open(target)
}

/// The open file `descriptor` names: stdout and stderr shared as they
/// were inherited (their offset and append mode kept), another one opened
/// again in append mode (never truncated).
fn open_descriptor(descriptor: &Descriptor) -> std::io::Result<File> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        match descriptor {
            Descriptor::Stdout => {
                return Ok(File::from(std::io::stdout().as_fd().try_clone_to_owned()?));
            }
            Descriptor::Stderr => {
                return Ok(File::from(std::io::stderr().as_fd().try_clone_to_owned()?));
            }
            Descriptor::Proc(_) => {}
        }
    }
    match descriptor {
        Descriptor::Proc(path) => OpenOptions::new().append(true).open(path),
        _ => Err(std::io::Error::from(std::io::ErrorKind::Unsupported)),
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
/// panic); an empty line is not written.
pub(crate) fn note(line: &str) {
    if !line.is_empty() {
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }
}

/// A write to `what` failed: a local error (exit code 2), or, when its
/// reader went away (a closed pipe or FIFO), a quiet end (exit code 0),
/// as [`print`] does.
pub(crate) fn write_failed(what: &str, error: &std::io::Error) -> Failure {
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        return Failure::reader_gone();
    }
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

/// A file written record by record (an import's rejects): each write goes
/// straight to the file, so a crash keeps what was written.
///
/// A regular file is appended to when `append` (a resumed run), else
/// replaced at once by a new empty file (atomically, its mode kept, a link
/// followed and kept), a new path created with `0666` less the umask; a
/// device, FIFO or open descriptor is written into, never truncated. A
/// sync is asked of a regular file only: a device or a FIFO has nothing
/// to sync, and says so with an error that is no failure.
#[derive(Debug)]
pub(crate) struct Log {
    file: File,
    shown: String,
    regular: bool,
    fresh: bool,
}

impl Log {
    /// Opens `path` (never stdout, even for `-`) as the type says.
    pub(crate) fn open(path: &Path, append: bool) -> Result<Self, Failure> {
        let shown = path.display().to_string();
        let failed = |e: std::io::Error| cannot_write(path, &e);
        let (file, fresh) = match resolve(path).map_err(failed)? {
            Target::Folder => {
                return Err(Failure::usage(format!(
                    "cannot write {shown}: it is a folder"
                )));
            }
            Target::Special(target) => (open_special(&target).map_err(failed)?, !append),
            Target::Descriptor(descriptor) => {
                (open_descriptor(&descriptor).map_err(failed)?, !append)
            }
            Target::New(target) => {
                let file = OpenOptions::new()
                    .append(true)
                    .create(true)
                    .open(&target)
                    .map_err(failed)?;
                (file, true)
            }
            Target::Regular(target, _) if append => {
                let file = OpenOptions::new()
                    .append(true)
                    .open(&target)
                    .map_err(failed)?;
                let empty = file.metadata().map_or(true, |m| m.len() == 0);
                (file, empty)
            }
            Target::Regular(target, meta) => {
                let temp = temp_beside(&target, Some(&meta))?;
                let file = temp
                    .persist(&target)
                    .map_err(|e| write_failed(&shown, &e.error))?;
                sync_folder(&target);
                (file, true)
            }
        };
        let regular = file.metadata().is_ok_and(|m| m.is_file());
        Ok(Self {
            file,
            shown,
            regular,
            fresh,
        })
    }

    /// Whether this run starts the file (new, replaced, or a device or
    /// descriptor written into by a run that does not resume): a header
    /// goes first.
    pub(crate) fn fresh(&self) -> bool {
        self.fresh
    }

    /// The path as given, for messages.
    pub(crate) fn shown(&self) -> &str {
        &self.shown
    }

    /// Syncs a regular file's data to the disk; anything else has nothing
    /// to sync.
    pub(crate) fn sync(&mut self) -> std::io::Result<()> {
        if self.regular {
            self.file.sync_data()
        } else {
            Ok(())
        }
    }
}

impl Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.file.write_all(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}
