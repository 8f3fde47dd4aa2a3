//! The journal of an import: one line per finished record (sent or
//! rejected), appended as each finishes, so a run after an interruption
//! skips them.
//!
//! Each line is written with one `write` as its record finishes: a crash
//! of the process loses none (the kernel has it). The file is synced at
//! most every 200 ms and at the end, which bounds what a power loss can
//! lose (the records then sent again).

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::time::{Duration, Instant};

const HEADER: &str = "# np6 bounces import journal v1: one finished input line per line";
const SYNC_EVERY: Duration = Duration::from_millis(200);

/// An open journal.
#[derive(Debug)]
pub(super) struct Journal {
    file: File,
    name: String,
    last_sync: Instant,
}

impl Journal {
    /// Opens (or creates) the journal; returns it with the lines it says
    /// are finished.
    pub(super) fn open(path: &Path) -> Result<(Self, HashSet<u64>), String> {
        let name = path.display().to_string();
        let mut done = HashSet::new();
        match File::open(path) {
            Ok(file) => {
                let mut lines = BufReader::new(file).lines();
                match lines.next() {
                    Some(Ok(first)) if first == HEADER => {}
                    None => {}
                    _ => return Err(format!("{name} is not an np6 import journal")),
                }
                for (number, text) in lines.enumerate() {
                    let text = text.map_err(|e| format!("cannot read {name}: {e}"))?;
                    // A line cut by a crash lacks its word: it is not counted.
                    let Some(line) = parse_line(&text) else {
                        tracing::warn!(journal = %name, at = number + 2, "unreadable journal line skipped");
                        continue;
                    };
                    done.insert(line);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot read {name}: {e}")),
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("cannot open {name}: {e}"))?;
        let length = file.metadata().map_or(0, |m| m.len());
        let start = if length == 0 {
            format!("{HEADER}\n")
        } else if ends_with_newline(path) {
            String::new()
        } else {
            // After a cut line, the next one starts on a line of its own.
            "\n".to_owned()
        };
        file.write_all(start.as_bytes())
            .map_err(|e| format!("cannot write {name}: {e}"))?;
        let journal = Self {
            file,
            name,
            last_sync: Instant::now(),
        };
        Ok((journal, done))
    }

    /// Notes that input line `line` is finished (`ok` or `rejected`).
    pub(super) fn finished(&mut self, line: u64, how: Finished) -> Result<(), String> {
        let how = match how {
            Finished::Sent => "ok",
            Finished::Rejected => "rejected",
        };
        self.file
            .write_all(format!("{line} {how}\n").as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", self.name))?;
        if self.last_sync.elapsed() >= SYNC_EVERY {
            self.sync()?;
        }
        Ok(())
    }

    /// Syncs what was written to the disk.
    pub(super) fn sync(&mut self) -> Result<(), String> {
        self.last_sync = Instant::now();
        self.file
            .sync_data()
            .map_err(|e| format!("cannot sync {}: {e}", self.name))
    }
}

/// How a record finished.
#[derive(Debug, Clone, Copy)]
pub(super) enum Finished {
    Sent,
    Rejected,
}

/// `LINE ok` or `LINE rejected`; anything else (a cut line) is `None`.
fn parse_line(text: &str) -> Option<u64> {
    let (number, word) = text.split_once(' ')?;
    matches!(word, "ok" | "rejected")
        .then(|| number.parse().ok())
        .flatten()
}

fn ends_with_newline(path: &Path) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let mut last = [0u8; 1];
    File::open(path)
        .and_then(|mut f| {
            f.seek(SeekFrom::End(-1))?;
            f.read_exact(&mut last)
        })
        .is_ok_and(|()| last[0] == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journal_reopens_with_its_lines_and_skips_a_cut_one() {
        let dir = tempfile::tempdir().expect("a folder");
        let path = dir.path().join("j");
        let (mut journal, done) = Journal::open(&path).expect("a new journal");
        assert!(done.is_empty());
        journal.finished(2, Finished::Sent).expect("written");
        journal.finished(7, Finished::Rejected).expect("written");
        drop(journal);
        let mut file = OpenOptions::new().append(true).open(&path).expect("open");
        file.write_all(b"93 o").expect("a cut line");
        drop(file);
        let (mut journal, done) = Journal::open(&path).expect("reopened");
        assert_eq!(done, HashSet::from([2, 7]));
        journal.finished(11, Finished::Sent).expect("written");
        drop(journal);
        let (_, done) = Journal::open(&path).expect("reopened");
        assert_eq!(done, HashSet::from([2, 7, 11]));
        std::fs::write(&path, "not a journal\n").expect("overwritten");
        assert!(Journal::open(&path).is_err());
    }
}
