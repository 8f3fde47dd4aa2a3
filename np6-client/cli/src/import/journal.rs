//! The journal of an import: its job (the input's identity and the
//! settings that change what is sent, see [`Job`]), then one line per
//! finished record (sent or rejected), appended as each finishes, so a run
//! after an interruption skips them, and at the end of a run the pace NP6
//! admitted (`pace 38.500`, calls per second), so the next run of the job
//! starts at it instead of from a slow start. A journal is locked for the whole
//! run (a second run is refused as busy) and refuses another job. It is a
//! regular file (a link to one is followed), since the next run reads it
//! back: a device, a FIFO or a descriptor is refused.
//!
//! Each line is written with one `write` as its record finishes: a crash
//! of the process loses none (the kernel has it). The file is synced at
//! most every 200 ms and at the end, which bounds what a power loss can
//! lose (the records then sent again).

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use super::job::Job;
use crate::failure::Failure;
use crate::paths::Target;

const HEADER: &str =
    "# np6 bounces import journal v2: its job, then one finished input line per line";
/// The first line of the journals of earlier versions, which did not
/// record their job.
const HEADER_V1: &str = "# np6 bounces import journal v1: one finished input line per line";
/// The word of a pace line.
const PACE: &str = "pace";
const SYNC_EVERY: Duration = Duration::from_millis(200);

/// An open journal.
#[derive(Debug)]
pub(super) struct Journal {
    file: File,
    name: String,
    last_sync: Instant,
}

impl Journal {
    /// Opens (or creates) and locks the journal, then checks it is `job`'s
    /// (computed once the lock is held: a busy journal is refused at once,
    /// before the input is read to identify it); returns it with the lines
    /// it says are finished and the last pace it found.
    ///
    /// # Errors
    ///
    /// Busy (exit code 5) when another run holds it; a usage error when it
    /// is not a journal, is one of an earlier version, or is another job's,
    /// or `job`'s error.
    pub(super) fn open(
        path: &Path,
        job: impl FnOnce() -> Result<Job, Failure>,
    ) -> Result<(Self, Recorded), Failure> {
        let name = path.display().to_string();
        let target = match crate::paths::resolve(path) {
            Ok(Target::New(target) | Target::Regular(target, _)) => target,
            Ok(_) => {
                return Err(Failure::usage(format!(
                    "the journal {name} is not a regular file: a journal is read back by \
                     the next run, so it must be a file (name a path in a folder)"
                )));
            }
            Err(e) => return Err(Failure::usage(format!("cannot open {name}: {e}"))),
        };
        let mut options = OpenOptions::new();
        options.read(true).append(true).create(true);
        let mut file = crate::lock::open_locked(&options, &target, "the journal")?;
        let job = &job()?;
        let mut text = Vec::new();
        file.read_to_end(&mut text)
            .map_err(|e| Failure::usage(format!("cannot read {name}: {e}")))?;
        let done = if text.is_empty() {
            file.write_all(format!("{HEADER}\n{}", job.header()).as_bytes())
                .map_err(|e| Failure::usage(format!("cannot write {name}: {e}")))?;
            Recorded::default()
        } else {
            let text = String::from_utf8_lossy(&text);
            let done = read(&text, job, &name)?;
            if !text.ends_with('\n') {
                // After a cut line, the next one starts on a line of its own.
                file.write_all(b"\n")
                    .map_err(|e| Failure::usage(format!("cannot write {name}: {e}")))?;
            }
            done
        };
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

    /// Notes the pace NP6 admitted at the end of a run (calls per second;
    /// one that is not finite and above zero is not written).
    pub(super) fn pace(&mut self, per_second: f64) -> Result<(), String> {
        if !(per_second.is_finite() && per_second > 0.0) {
            return Ok(());
        }
        self.file
            .write_all(format!("{PACE} {per_second:.3}\n").as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", self.name))
    }

    /// Syncs what was written to the disk.
    pub(super) fn sync(&mut self) -> Result<(), String> {
        self.last_sync = Instant::now();
        self.file
            .sync_data()
            .map_err(|e| format!("cannot sync {}: {e}", self.name))
    }
}

/// What a journal says of its job's earlier runs.
#[derive(Debug, Default)]
pub(super) struct Recorded {
    /// The input lines finished.
    pub(super) done: HashSet<u64>,
    /// The pace the last run that noted one found, calls per second.
    pub(super) pace: Option<f64>,
}

/// How a record finished.
#[derive(Debug, Clone, Copy)]
pub(super) enum Finished {
    Sent,
    Rejected,
}

/// `pace RATE`, a rate finite and above zero; anything else is `None`.
fn parse_pace(text: &str) -> Option<f64> {
    let rate: f64 = text.strip_prefix(PACE)?.strip_prefix(' ')?.parse().ok()?;
    (rate.is_finite() && rate > 0.0).then_some(rate)
}

/// `LINE ok` or `LINE rejected`; anything else (a cut line) is `None`.
fn parse_line(text: &str) -> Option<u64> {
    let (number, word) = text.split_once(' ')?;
    matches!(word, "ok" | "rejected")
        .then(|| number.parse().ok())
        .flatten()
}

/// The finished lines and the last pace of a journal's `text`, once its
/// header says it is `job`'s.
fn read(text: &str, job: &Job, name: &str) -> Result<Recorded, Failure> {
    let mut lines = text.lines();
    match lines.next() {
        Some(HEADER) => {}
        Some(HEADER_V1) => {
            return Err(Failure::usage(format!(
                "{name} is a journal of an earlier np6, which did not record its input: \
                 finish that import with the version that wrote it, or remove {name} to \
                 start over (what it lists would then be sent again)"
            )));
        }
        _ => {
            return Err(Failure::usage(format!(
                "{name} is not an np6 import journal"
            )));
        }
    }
    let header: Vec<&str> = text
        .lines()
        .skip(1)
        .take_while(|line| line.starts_with("# "))
        .collect();
    let recorded = Job::parse(header.iter().copied())
        .ok_or_else(|| Failure::usage(format!("{name}: the journal's job does not read")))?;
    recorded.check(job, name)?;
    let mut recorded = Recorded::default();
    for (number, text) in lines.enumerate().skip(header.len()) {
        if let Some(rate) = parse_pace(text) {
            recorded.pace = Some(rate);
            continue;
        }
        // A line cut by a crash lacks its word: it is not counted.
        let Some(line) = parse_line(text) else {
            tracing::warn!(journal = %name, at = number + 2, "unreadable journal line skipped");
            continue;
        };
        recorded.done.insert(line);
    }
    Ok(recorded)
}

#[cfg(test)]
mod tests {
    use super::super::job::InputId;
    use super::*;

    fn job_of(dir: &Path, name: &str, content: &str) -> Job {
        let input = dir.join(name);
        std::fs::write(&input, content).expect("an input");
        Job::new(InputId::of(&input).expect("identified")).setting("base_url", "https://np6")
    }

    #[test]
    fn a_journal_reopens_with_its_lines_and_skips_a_cut_one() {
        let dir = tempfile::tempdir().expect("a folder");
        let job = job_of(dir.path(), "in.csv", "a\nb\n");
        let path = dir.path().join("j");
        let (mut journal, recorded) =
            Journal::open(&path, || Ok(job.clone())).expect("a new journal");
        assert!(recorded.done.is_empty() && recorded.pace.is_none());
        journal.finished(2, Finished::Sent).expect("written");
        journal.finished(7, Finished::Rejected).expect("written");
        drop(journal);
        let mut file = OpenOptions::new().append(true).open(&path).expect("open");
        file.write_all(b"93 o").expect("a cut line");
        drop(file);
        let (mut journal, recorded) = Journal::open(&path, || Ok(job.clone())).expect("reopened");
        assert_eq!(recorded.done, HashSet::from([2, 7]));
        journal.finished(11, Finished::Sent).expect("written");
        drop(journal);
        let (_, recorded) = Journal::open(&path, || Ok(job.clone())).expect("reopened");
        assert_eq!(recorded.done, HashSet::from([2, 7, 11]));
        std::fs::write(&path, "not a journal\n").expect("overwritten");
        assert!(Journal::open(&path, || Ok(job.clone())).is_err());
    }

    #[test]
    fn another_input_and_an_old_journal_are_refused() {
        let dir = tempfile::tempdir().expect("a folder");
        let (a, b) = (
            job_of(dir.path(), "a.csv", "a\n"),
            job_of(dir.path(), "b.csv", "b\n"),
        );
        let path = dir.path().join("j");
        let (mut journal, _) = Journal::open(&path, || Ok(a.clone())).expect("a new journal");
        journal.finished(2, Finished::Sent).expect("written");
        drop(journal);
        let refused = Journal::open(&path, || Ok(b.clone())).expect_err("another input");
        assert!(refused.to_string().contains("a.csv"), "{refused}");
        assert!(refused.to_string().contains("b.csv"), "{refused}");

        std::fs::write(&path, format!("{HEADER_V1}\n2 ok\n")).expect("an old journal");
        let refused = Journal::open(&path, || Ok(a.clone())).expect_err("an old journal");
        assert!(refused.to_string().contains("earlier np6"), "{refused}");
        // Refused, and left as it was.
        assert_eq!(
            std::fs::read_to_string(&path).expect("the journal"),
            format!("{HEADER_V1}\n2 ok\n")
        );
    }

    #[test]
    fn the_last_pace_a_run_found_is_read_back() {
        let dir = tempfile::tempdir().expect("a folder");
        let job = job_of(dir.path(), "in.csv", "a\nb\n");
        let path = dir.path().join("j");
        let (mut journal, _) = Journal::open(&path, || Ok(job.clone())).expect("a new journal");
        journal.finished(2, Finished::Sent).expect("written");
        journal.pace(38.5).expect("written");
        journal.pace(f64::NAN).expect("not written");
        journal.pace(0.0).expect("not written");
        drop(journal);
        let (mut journal, recorded) = Journal::open(&path, || Ok(job.clone())).expect("reopened");
        assert_eq!(recorded.pace, Some(38.5));
        assert_eq!(recorded.done, HashSet::from([2]));
        journal.pace(412.25).expect("written");
        drop(journal);
        let (_, recorded) = Journal::open(&path, || Ok(job.clone())).expect("reopened");
        assert_eq!(recorded.pace, Some(412.25), "the last run's pace");
        assert_eq!(parse_pace("pace -3"), None);
        assert_eq!(parse_pace("pace inf"), None);
        assert_eq!(parse_pace("pacer 3"), None);
    }
}
