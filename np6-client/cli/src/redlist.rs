//! `np6 redlist mail|sms`: a redlist window written as CSV, NDJSON or JSON,
//! with an optional state file for incremental sync.
//!
//! The window is `[since, until)`, decided by each entry's timestamp
//! whatever ends NP6 includes (see [`state`]): successive runs with one
//! state file write every entry once. It is asked whole or in pieces
//! ([`windows`]), in time order.

mod held;
mod state;
mod write;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use np6_client::types::RedlistEntry;
use np6_client::windows::{Event, Export, FLOOR, Windowed};

use crate::cli::{Channel, Format, Global, Redlist};
use crate::failure::Failure;
use crate::output::{Output, note, write_atomically, write_failed};
use crate::paths::{KEY_FILE, Named, Target, refuse_overlaps};
use crate::stop::Stop;
use crate::when;
use held::Held;
use state::{State, Tracker};
use write::{Writer, date};

pub(crate) async fn run(global: &Global, mut cmd: Redlist) -> Result<ExitCode, Failure> {
    let (state, lock) = match &cmd.state {
        Some(path) => {
            let (real, lock) = state_paths(path)?;
            (Some(real), Some(lock))
        }
        None => (None, None),
    };
    let key_file = crate::key::key_file(global);
    let files: Vec<Named<'_>> = [
        (KEY_FILE, key_file.as_deref()),
        ("--output", cmd.output.as_deref()),
        ("--state", cmd.state.as_deref()),
        ("the state file's lock", lock.as_deref()),
    ]
    .into_iter()
    .filter_map(|(flag, path)| Some((flag, path?)))
    .collect();
    refuse_overlaps(&files)?;
    let stop =
        Stop::install().map_err(|e| Failure::usage(format!("cannot listen for signals: {e}")))?;
    // Held to the end: a second run with this state file is refused (busy).
    let _state_lock = match &lock {
        Some(path) => Some(crate::lock::open_locked(
            &lock_options(),
            path,
            "the state file's lock",
        )?),
        None => None,
    };
    // From here on, the state is the file its links lead to (the one the
    // lock is beside).
    cmd.state = state;
    // The export awaits only NP6's answers: a signal stops it while it
    // waits for one, so no piece is half written and the state is saved
    // only after what it covers (the whole window, or with `--chunk` to
    // stdout each piece) was written.
    tokio::select! {
        done = export(global, cmd) => done,
        signal = stop.first() => Err(Failure::interrupted(
            signal,
            format!(
                "{}: stopped; the state file covers only what was written whole",
                signal.name()
            ),
        )),
    }
}

/// The state file `path` leads to (its links followed), and its lock
/// `STATE.lock` beside it. The state itself is replaced by a rename at
/// each save (after each piece of a chunked export), and a lock on a
/// replaced file would bind nobody: the lock file is never replaced, so it
/// binds every run, whichever link to the state it was given. A state is
/// read back by the next run: anything but a regular file is refused.
fn state_paths(path: &Path) -> Result<(PathBuf, PathBuf), Failure> {
    let shown = path.display();
    let real = match crate::paths::resolve(path) {
        Ok(Target::New(real) | Target::Regular(real, _)) => real,
        Ok(_) => {
            return Err(Failure::usage(format!(
                "the state file {shown} is not a regular file: the next run reads it back, \
                 so it must be a file (name a path in a folder)"
            )));
        }
        Err(e) => {
            return Err(Failure::usage(format!(
                "cannot open the state file {shown}: {e}"
            )));
        }
    };
    let mut name = real.file_name().unwrap_or(real.as_os_str()).to_owned();
    name.push(".lock");
    let lock = real.with_file_name(name);
    Ok((real, lock))
}

fn lock_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    options
}

async fn export(global: &Global, cmd: Redlist) -> Result<ExitCode, Failure> {
    let now = Utc::now().trunc_subsecs(0);
    let until = match &cmd.until {
        Some(text) => {
            when::parse(text, now).map_err(|e| Failure::cannot_run(format!("--until: {e}")))?
        }
        None => now,
    };
    if cmd.state.is_some() && until > now {
        return Err(Failure::usage(format!(
            "--until {} is in the future: with --state the next run would start there and \
             never write what arrives until then; leave --until out (it is now)",
            date(until)
        )));
    }
    let overlap = match &cmd.overlap {
        Some(text) => when::parse_duration(text)
            .map_err(|e| Failure::cannot_run(format!("--overlap: {e}")))?,
        None => Duration::zero(),
    };
    let chunk = match &cmd.chunk {
        Some(text) => Some(
            when::parse_duration(text)
                .ok()
                .filter(|c| *c >= FLOOR)
                .ok_or_else(|| {
                    Failure::cannot_run(format!(
                        "--chunk: {text:?} is not a duration of 1m or more"
                    ))
                })?,
        ),
        None => None,
    };
    let previous = read_state(cmd.state.as_deref())?;
    let start = match (&previous, &cmd.since) {
        (Some(state), _) => {
            let (start, shortened) = state.next_start(overlap);
            if shortened && !overlap.is_zero() {
                note(&format!(
                    "np6: --overlap reads from {}: the state holds the entries written since \
                     then (a longer overlap takes effect from the next run)",
                    date(start)
                ));
            }
            Some(start)
        }
        (None, Some(text)) => {
            Some(when::parse(text, now).map_err(|e| Failure::cannot_run(format!("--since: {e}")))?)
        }
        (None, None) => None,
    };
    if let Some(start) = start.filter(|start| *start > until) {
        return Err(Failure::cannot_run(format!(
            "the window starts after it ends ({} > {})",
            date(start),
            date(until)
        )));
    }
    if chunk.is_some() && start.is_none() {
        return Err(Failure::cannot_run(
            "--chunk needs a start: --since, or a --state file from an earlier run",
        ));
    }
    let what = cmd
        .output
        .as_deref()
        .map_or_else(|| "stdout".to_owned(), |p| p.display().to_string());
    // Opened now (a path that cannot be written is refused before any
    // call), started (the CSV header, the JSON bracket) only once NP6 has
    // answered: a run that fails before writes nothing to stdout.
    let held = Held::new(Output::create(cmd.output.as_deref())?)
        .map_err(|e| Failure::usage(format!("{what}: {e}")))?;
    let mut run = Run {
        // On stdout, a device or a FIFO, CSV and NDJSON reach the output
        // window by window and the state moves past each; a file is
        // replaced whole at the end, and a JSON array is whole only at its
        // end, so their state moves once.
        progressive: !held.whole_at_end() && cmd.format != Format::Json,
        state: cmd.state.as_deref(),
        until,
        what: &what,
        tracker: Tracker::new(previous, start, overlap),
        writer: Writer::Pending(held, cmd.format),
        received: 0,
    };
    // An empty window asks nothing (and needs no key).
    if start.is_none_or(|start| start < until) {
        let client = crate::key::client(global)?;
        match cmd.channel {
            Channel::Mail => run.export(client.get_mail_redlist(), start, chunk).await?,
            Channel::Sms => run.export(client.get_sms_redlist(), start, chunk).await?,
        }
    }
    let Run {
        mut writer,
        mut tracker,
        received,
        ..
    } = run;
    let failed = |e: std::io::Error| write_failed(&what, &e);
    let written = writer.started().map_err(failed)?.written();
    let held = writer.finish().map_err(failed)?;
    held.into_output().map_err(failed)?.commit()?;
    // Only now that the output is complete does the next run start here.
    if let Some(path) = &cmd.state {
        save_state(path, &mut tracker, true)?;
    }
    tracing::info!(
        received,
        written,
        start = start.map(date),
        until = date(until),
        "redlist written"
    );
    Ok(ExitCode::SUCCESS)
}

/// One export's output and state, window after window.
struct Run<'a> {
    progressive: bool,
    state: Option<&'a Path>,
    until: DateTime<Utc>,
    /// The output, as messages name it.
    what: &'a str,
    tracker: Tracker,
    writer: Writer<Held>,
    received: u64,
}

impl Run<'_> {
    /// Writes the entries of `[start, until)` that `request` returns, as
    /// they arrive, window after window ([`Export`]: whole, or in `chunk`
    /// pieces, and in halves where NP6 fails); a window's entries reach
    /// the output once it is whole (`held.rs`), and a window that fails
    /// midway is taken back.
    async fn export<R>(
        &mut self,
        request: R,
        start: Option<DateTime<Utc>>,
        chunk: Option<Duration>,
    ) -> Result<(), Failure>
    where
        R: Windowed<Item = RedlistEntry> + Clone,
    {
        let mut export = Export::new(request, start, self.until);
        if let Some(chunk) = chunk {
            export = export.chunk(chunk);
        }
        let what = self.what;
        let failed = |e: std::io::Error| write_failed(what, &e);
        // Whether a window has begun and is not done: what a split takes
        // back.
        let mut open = false;
        while let Some(event) = export.next().await {
            match event? {
                Event::Begin(window) => {
                    self.tracker.window(window.end);
                    let entries = self.writer.started().map_err(failed)?;
                    entries.below(Held::begin).map_err(failed)?;
                    open = true;
                }
                Event::Item(entry) => {
                    self.received = self.received.saturating_add(1);
                    if self.tracker.admit(&entry.id, entry.timestamp) {
                        let entries = self.writer.started().map_err(failed)?;
                        entries.write(&entry).map_err(failed)?;
                    }
                }
                Event::Done(window) => {
                    let entries = self.writer.started().map_err(failed)?;
                    entries.below(Held::done).map_err(failed)?;
                    self.writer.window_done();
                    open = false;
                    if let (Some(path), true) = (self.state, self.progressive)
                        && window.end < self.until
                    {
                        save_state(path, &mut self.tracker, false)?;
                    }
                }
                Event::Split { window, error } => {
                    if std::mem::take(&mut open) {
                        self.tracker.undo();
                        if let Writer::Started(entries, done) = &mut self.writer {
                            entries.below(Held::undo).map_err(failed)?;
                            entries.forget_after(*done);
                        }
                    }
                    tracing::info!(
                        from = window.start.map(date),
                        to = date(window.end),
                        delivered = error.delivered(),
                        %error,
                        "window split in halves"
                    );
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Saves the state as of the windows written; `last`: warns when the
/// next overlap is shortened.
fn save_state(path: &Path, tracker: &mut Tracker, last: bool) -> Result<(), Failure> {
    let (state, shortened) = tracker.state();
    if shortened && last {
        note(&format!(
            "np6: more than {} entries in the --overlap period: the next run reads from {}",
            state::MOST_SEEN,
            state.seen_since.map_or_else(|| date(state.until), date)
        ));
    }
    let bytes = serde_json::to_vec_pretty(&state)
        .map_err(|e| Failure::cannot_run(format!("cannot encode the state: {e}")))?;
    write_atomically(path, &bytes)
}

fn read_state(path: Option<&Path>) -> Result<Option<State>, Failure> {
    let Some(path) = path else { return Ok(None) };
    match std::fs::read(path) {
        // A run saves a whole state or none: an empty file is not one of
        // np6's, and starting over would write every entry again.
        Ok(bytes) if bytes.is_empty() => Err(Failure::cannot_run(format!(
            "the state file {} is empty, not a state: restore it, or remove it to start \
             over (with --since)",
            path.display()
        ))),
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            Failure::cannot_run(format!("the state file {} is not one: {e}", path.display()))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Failure::cannot_run(format!(
            "cannot read the state file {}: {e}",
            path.display()
        ))),
    }
}
