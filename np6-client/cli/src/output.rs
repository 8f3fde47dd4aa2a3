//! Where results go: stdout, or a file written atomically (a temporary
//! file in the same folder, synced, then renamed over the target: a reader
//! sees the old file or the whole new one, never half of one).

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::failure::Failure;

/// An output being written.
pub(crate) enum Output {
    Stdout(BufWriter<std::io::Stdout>),
    File {
        temp: BufWriter<NamedTempFile>,
        path: PathBuf,
    },
}

impl Output {
    /// Stdout, or a temporary file beside `path`.
    pub(crate) fn create(path: Option<&Path>) -> Result<Self, Failure> {
        let Some(path) = path else {
            return Ok(Self::Stdout(BufWriter::new(std::io::stdout())));
        };
        let folder = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let temp = NamedTempFile::new_in(folder).map_err(|e| {
            Failure::cannot_run(format!("cannot write in {}: {e}", folder.display()))
        })?;
        Ok(Self::File {
            temp: BufWriter::new(temp),
            path: path.to_owned(),
        })
    }

    /// Flushes, and for a file syncs it and renames it into place.
    pub(crate) fn commit(self) -> Result<(), Failure> {
        match self {
            Self::Stdout(mut out) => out.flush().map_err(|e| write_failed("stdout", &e)),
            Self::File { temp, path } => {
                let name = path.display().to_string();
                let temp = temp
                    .into_inner()
                    .map_err(|e| write_failed(&name, e.error()))?;
                temp.as_file()
                    .sync_all()
                    .map_err(|e| write_failed(&name, &e))?;
                temp.persist(&path)
                    .map_err(|e| write_failed(&name, &e.error))?;
                Ok(())
            }
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Self::Stdout(out) => out.write(buf),
            Self::File { temp, .. } => temp.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Self::Stdout(out) => out.flush(),
            Self::File { temp, .. } => temp.flush(),
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

pub(crate) fn write_failed(what: &str, error: &std::io::Error) -> Failure {
    Failure::cannot_run(format!("cannot write {what}: {error}"))
}

/// Writes `bytes` to `path` atomically (same method as [`Output`]).
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let mut out = Output::create(Some(path))?;
    out.write_all(bytes)
        .map_err(|e| write_failed(&path.display().to_string(), &e))?;
    out.commit()
}
