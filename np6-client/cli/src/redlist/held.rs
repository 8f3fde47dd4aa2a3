//! A window's entries are written as they arrive, but a window NP6 stops
//! answering midway is asked again (in halves): what it wrote must then be
//! taken back, or those entries would be written twice. [`Held`] is the
//! output as the export writes it, with that undo:
//! - a file being replaced is written straight into (its temporary file);
//!   a failed window's part is cut off again (`set_len` to where the
//!   window began);
//! - stdout, a device or a FIFO cannot take anything back: a window's
//!   entries go to an unnamed temporary file (in `TMPDIR`) and are copied
//!   to the output once the window is whole, so such an output receives
//!   whole windows only (`--chunk` makes them small).
//!
//! Memory stays flat either way: the held part is on disk.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};

use crate::output::Output;

/// The output, and where the current window's entries are held.
pub(crate) struct Held {
    output: Output,
    /// For an output that cannot be cut back: the window's entries.
    spool: Option<BufWriter<File>>,
    /// For a replacement: its length when the window began.
    mark: u64,
}

impl Held {
    /// Holds the windows written to `output`.
    pub(crate) fn new(mut output: Output) -> std::io::Result<Self> {
        let spool = match output.replacement() {
            Some(file) => {
                file?;
                None
            }
            None => Some(BufWriter::new(tempfile::tempfile().map_err(|e| {
                let folder = std::env::temp_dir();
                std::io::Error::new(
                    e.kind(),
                    format!(
                        "a window's entries wait in a temporary file until the window is whole \
                         (stdout, a device or a FIFO cannot take back a window NP6 cuts \
                         midway), and none can be made in {} ({e}): set TMPDIR to a writable \
                         folder, or write to a file with --output",
                        folder.display()
                    ),
                )
            })?)),
        };
        Ok(Self {
            output,
            spool,
            mark: 0,
        })
    }

    /// A window begins: what is written from now on can be undone; what
    /// was written before (a CSV header, a JSON bracket) is the output's.
    /// Call with the writers above flushed into this.
    pub(crate) fn begin(&mut self) -> std::io::Result<()> {
        if self.spool.is_some() {
            return self.done();
        }
        if let Some(file) = self.output.replacement() {
            self.mark = file?.stream_position()?;
        }
        Ok(())
    }

    /// The window failed: what it wrote is taken back. Call with the
    /// writers above flushed into this.
    pub(crate) fn undo(&mut self) -> std::io::Result<()> {
        match &mut self.spool {
            Some(spool) => empty(spool),
            None => {
                if let Some(file) = self.output.replacement() {
                    let file = file?;
                    file.set_len(self.mark)?;
                    file.seek(SeekFrom::Start(self.mark))?;
                }
                Ok(())
            }
        }
    }

    /// The window is whole: a spooled window goes to the output, which is
    /// flushed. Call with the writers above flushed into this.
    pub(crate) fn done(&mut self) -> std::io::Result<()> {
        if let Some(spool) = &mut self.spool {
            spool.flush()?;
            let file = spool.get_mut();
            file.seek(SeekFrom::Start(0))?;
            std::io::copy(file, &mut self.output)?;
            empty(spool)?;
        }
        self.output.flush()?;
        // What is done is never taken back.
        if let Some(file) = self.output.replacement() {
            self.mark = file?.stream_position()?;
        }
        Ok(())
    }

    /// Whether the output is whole only at the end (a file being
    /// replaced): else it receives each window once the window is whole.
    pub(crate) fn whole_at_end(&self) -> bool {
        self.spool.is_none()
    }

    /// The output, with what was written last (a JSON array's closing
    /// bracket) handed to it, to commit.
    pub(crate) fn into_output(mut self) -> std::io::Result<Output> {
        self.done()?;
        Ok(self.output)
    }
}

impl Write for Held {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.spool {
            Some(spool) => spool.write(buf),
            None => self.output.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match &mut self.spool {
            Some(spool) => spool.write_all(buf),
            None => self.output.write_all(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.spool {
            Some(spool) => spool.flush(),
            None => self.output.flush(),
        }
    }
}

/// Empties the spool (what its buffer holds too).
fn empty(spool: &mut BufWriter<File>) -> std::io::Result<()> {
    // What the buffer holds is dropped with the rest: written, then cut.
    spool.flush()?;
    let file = spool.get_mut();
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    Ok(())
}
