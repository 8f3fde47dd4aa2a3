//! `np6 redlist mail|sms`: a redlist window written as CSV, NDJSON or JSON,
//! with an optional state file for incremental sync.
//!
//! The window is `[since, until)`, decided by each entry's timestamp
//! whatever ends NP6 includes (see [`state`]): successive runs with one
//! state file write every entry once. It is asked whole or in pieces
//! ([`windows`]), in time order.

mod held;
mod state;
mod windows;
mod write;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use futures_util::TryStreamExt;

use crate::cli::{Channel, Format, Global, Redlist};
use crate::failure::Failure;
use crate::output::{Output, note, write_atomically, write_failed};
use crate::paths::{KEY_FILE, Named, Target, refuse_overlaps};
use crate::stop::Stop;
use crate::when;
use held::Held;
use state::{State, Tracker};
use windows::{Windows, worth_splitting};
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
                .filter(|c| *c >= windows::FLOOR)
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
    let failed = |e: std::io::Error| write_failed(&what, &e);
    // On stdout, CSV and NDJSON reach the output window by window and the
    // state moves past each; a file is replaced whole at the end, and a
    // JSON array is whole only at its end, so their state moves once.
    let progressive = cmd.output.is_none() && cmd.format != Format::Json;
    let mut tracker = Tracker::new(previous, start, overlap);
    // Opened now (a path that cannot be written is refused before any
    // call), started (the CSV header, the JSON bracket) only once NP6 has
    // answered: a run that fails before writes nothing to stdout.
    let held = Held::new(Output::create(cmd.output.as_deref())?).map_err(failed)?;
    let mut writer = Writer::Pending(held, cmd.format);
    let mut received = 0u64;
    let mut client = None;
    let mut windows = start.map(|start| Windows::new(start, until, chunk));
    loop {
        let (from, to) = match &mut windows {
            Some(windows) => match windows.next() {
                Some((from, to)) => (Some(from), to),
                None => break,
            },
            None => (None, until),
        };
        let client = match &client {
            Some(client) => client,
            None => client.insert(crate::key::client(global)?),
        };
        tracker.window(from, to);
        let error =
            match write_window(client, cmd.channel, (from, to), &mut writer, &mut tracker).await {
                Ok(count) => {
                    received = received.saturating_add(count);
                    None
                }
                Err(Failed::Write(e)) => return Err(failed(e)),
                Err(Failed::Np6(error)) => Some(error),
            };
        if let Some(error) = error {
            // What the window wrote is taken back: it is asked again in
            // halves, or the run fails with nothing of it written.
            tracker.undo();
            if let Writer::Started(entries, count) = &mut writer {
                entries.below(Held::undo).map_err(failed)?;
                entries.forget_after(*count);
            }
            let split = match (&mut windows, from) {
                (Some(windows), Some(from)) => worth_splitting(&error) && windows.split(from, to),
                _ => false,
            };
            if !split {
                return Err(error.into());
            }
            tracing::info!(
                from = from.map(date),
                to = date(to),
                delivered = error.delivered(),
                %error,
                "window split in halves"
            );
            continue;
        }
        if let (Some(path), true) = (&cmd.state, progressive && to < until) {
            save_state(path, &mut tracker, false)?;
        }
        if windows.is_none() {
            break;
        }
    }
    let entries = writer.started().map_err(failed)?;
    let written = entries.written();
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

/// Why a window was not written whole.
enum Failed {
    /// NP6's answer failed, before or after it began.
    Np6(np6_client::Error),
    /// The output could not be written.
    Write(std::io::Error),
}

/// Writes the entries NP6 returns for the window `[start, until)` as they
/// arrive, and hands the window to the output once whole (`held.rs`): how
/// many entries NP6 sent. NP6 is asked from one second before the start,
/// so that an entry on the start is there whether or not NP6 includes the
/// start; the [`Tracker`] drops the extra ones.
async fn write_window(
    client: &np6_client::Client,
    channel: Channel,
    (start, until): (Option<DateTime<Utc>>, DateTime<Utc>),
    writer: &mut Writer<Held>,
    tracker: &mut Tracker,
) -> Result<u64, Failed> {
    let ask_from = start.map(|s| s.checked_sub_signed(windows::ASKED_BEFORE).unwrap_or(s));
    let mut items = match channel {
        Channel::Mail => {
            client
                .get_mail_redlist()
                .set_start_date(ask_from)
                .end_date(until)
                .stream()
                .await
        }
        Channel::Sms => {
            client
                .get_sms_redlist()
                .set_start_date(ask_from)
                .end_date(until)
                .stream()
                .await
        }
    }
    .map_err(Failed::Np6)?;
    let entries = writer.started().map_err(Failed::Write)?;
    entries.below(Held::begin).map_err(Failed::Write)?;
    let mut count = 0u64;
    while let Some(entry) = items.try_next().await.map_err(Failed::Np6)? {
        count = count.saturating_add(1);
        if tracker.admit(&entry.id, entry.timestamp) {
            entries.write(&entry).map_err(Failed::Write)?;
        }
    }
    entries.below(Held::done).map_err(Failed::Write)?;
    writer.window_done();
    Ok(count)
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
