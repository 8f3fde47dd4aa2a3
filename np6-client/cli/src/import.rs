//! `np6 bounces import FILE`: every bounce of a file through the library's
//! bulk path (adaptive pace by default), with rejects, a journal to resume
//! from, progress, and an exit code that says how it went.

mod input;
mod job;
mod journal;
mod progress;
mod records;
mod rejects;

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use np6_client::{Bulk, BulkOptions, BulkOutcome, Client, Error};

use crate::cli::{Global, Import, SummaryFormat};
use crate::failure::{Failure, KEY_REFUSED, SOME_REJECTED, UNAVAILABLE};
use crate::paths::{INPUT, KEY_FILE, Named, is_own_stdout, is_stdout, refuse_overlaps};
use crate::stop::{Signal, Stop};
use input::Item;
use job::{InputId, Job};
use journal::{Finished, Journal, Recorded};
use progress::{Counts, Progress};
use rejects::Rejects;

/// How a record's call ended, when it did not fail.
#[derive(Debug)]
enum Sent {
    /// NP6 took it.
    Yes,
    /// It does not read as a bounce; NP6 was not called.
    Invalid(String),
}

/// How the job loop ended.
enum Ending {
    /// The job ran out of records (or gave up: see its state).
    Done,
    /// A signal stopped it gracefully.
    Stopped(Signal),
    /// NP6 refused the key: every record would fail the same way.
    KeyRefused(Error),
}

pub(crate) async fn run(global: &Global, cmd: Import) -> Result<ExitCode, Failure> {
    let key_file = crate::key::key_file(global);
    refuse_overlaps(&files(&cmd, key_file.as_deref()))?;
    if cmd.summary == SummaryFormat::Json && cmd.rejects.as_deref().is_some_and(is_own_stdout) {
        return Err(Failure::usage(
            "--summary json and --rejects /dev/stdout would mix on stdout: \
             write the rejects to a file",
        ));
    }
    // Listening from the start: a signal before the job runs stops it
    // before its first record.
    let stop =
        Stop::install().map_err(|e| Failure::usage(format!("cannot listen for signals: {e}")))?;
    let client = crate::key::client(global)?;
    let (mut journal, recorded) = match &cmd.journal {
        Some(path) => {
            let (journal, recorded) = Journal::open(path, job(&cmd, &client)?)?;
            (Some(journal), recorded)
        }
        None => (None, Recorded::default()),
    };
    let done = recorded.done;
    let resuming = !done.is_empty();
    let skipped = done.len() as u64;
    let input::Input {
        format,
        records,
        reader,
    } = input::start(&cmd, Arc::new(done)).map_err(Failure::cannot_run)?;
    let mut rejects = match &cmd.rejects {
        Some(path) => Some(Rejects::open(path, format, resuming).map_err(Failure::cannot_run)?),
        None => None,
    };
    let mut job = start_job(&client, records, options(&cmd, recorded.pace));
    let mut counts = Counts {
        skipped,
        ..Counts::default()
    };
    let mut progress = Progress::start(global.quiet);
    let ending = {
        let mut files = Files {
            journal: journal.as_mut(),
            rejects: rejects.as_mut(),
        };
        run_job(&mut job, &stop, &mut counts, &mut progress, &mut files).await?
    };
    let state = job.state();
    counts.pending = state.pending;
    // The pace NP6 admitted, for the next run of this job: only from a run
    // that sent records, not one that ended while NP6 was failing.
    let found = counts.sent > 0
        && !state.gave_up
        && state.failing.is_none()
        && !matches!(ending, Ending::KeyRefused(_));
    if let (Some(journal), (Some(rate), _), true) = (journal.as_mut(), job.pace(), found) {
        journal.pace(rate).map_err(Failure::cannot_run)?;
    }
    // Stops what is left (after a graceful stop, nothing is on the wire):
    // the pending records are not in the journal.
    drop(job);
    finish_files(journal.as_mut(), rejects.as_mut())?;
    let summary = |progress: Progress, counts: Counts, outcome: &str| {
        progress.finish(counts, outcome, cmd.summary == SummaryFormat::Json)
    };
    match ending {
        Ending::KeyRefused(error) => {
            summary(progress, counts, "key refused")?;
            crate::output::note(&format!(
                "np6: {}",
                crate::failure::one_line(&error.to_string())
            ));
            return Ok(ExitCode::from(KEY_REFUSED));
        }
        Ending::Stopped(signal) => {
            summary(progress, counts, "interrupted")?;
            crate::output::note(&format!(
                "np6: {}: {}",
                signal.name(),
                resume_hint(cmd.journal.as_deref())
            ));
            return Ok(ExitCode::from(signal.exit_code()));
        }
        Ending::Done => {}
    }
    if state.gave_up || counts.pending > 0 {
        summary(progress, counts, "unavailable")?;
        let why = state
            .failing
            .map_or_else(String::new, |f| format!(" ({})", f.error));
        crate::output::note(&format!(
            "np6: NP6 kept failing for longer than --patience{why}; {} records pending: {}",
            counts.pending,
            resume_hint(cmd.journal.as_deref())
        ));
        return Ok(ExitCode::from(UNAVAILABLE));
    }
    // The job read every record: was it the end of the input, or an error?
    match reader.join() {
        Ok(Ok(())) => {}
        Ok(Err(error)) => {
            summary(progress, counts, "stopped")?;
            return Err(Failure::cannot_run(error));
        }
        Err(_) => return Err(Failure::cannot_run("the input reader failed")),
    }
    summary(progress, counts, "done")?;
    Ok(if counts.rejected > 0 {
        ExitCode::from(SOME_REJECTED)
    } else {
        ExitCode::SUCCESS
    })
}

/// The files of the run, which must be distinct.
fn files<'a>(cmd: &'a Import, key_file: Option<&'a Path>) -> Vec<Named<'a>> {
    let mut files = vec![(INPUT, cmd.file.as_path())];
    files.extend(key_file.map(|p| (KEY_FILE, p)));
    files.extend(cmd.rejects.as_deref().map(|p| ("--rejects", p)));
    files.extend(cmd.journal.as_deref().map(|p| ("--journal", p)));
    files
}

/// How to find the job a journal belongs to: the input's content, and the
/// settings that change what is sent or where. Stdin, a pipe or a device
/// cannot be identified (nor read again), so only a regular file takes a
/// journal; an input that cannot be read is refused before the journal is
/// touched.
fn job<'a>(
    cmd: &'a Import,
    client: &'a Client,
) -> Result<impl FnOnce() -> Result<Job, Failure> + 'a, Failure> {
    if is_stdout(&cmd.file) {
        return Err(Failure::usage(
            "--journal needs the input as a file: stdin cannot be identified, so a later \
             run could not tell whether it is the same input (save it to a file first)",
        ));
    }
    let input = std::fs::File::open(&cmd.file)
        .and_then(|file| file.metadata())
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", cmd.file.display())))?;
    if !input.is_file() {
        return Err(Failure::usage(format!(
            "--journal needs the input as a regular file: {} is not one (a pipe or a device \
             cannot be read again to identify it); save it to a file first",
            cmd.file.display()
        )));
    }
    Ok(move || {
        // The delimiter read with, given or detected alike (none: NDJSON).
        let delimiter = input::delimiter_of(&cmd.file, cmd.delimiter)
            .map_err(Failure::cannot_run)?
            .map_or_else(|| "none".to_owned(), |d| char::from(d).to_string());
        Ok(Job::new(InputId::of(&cmd.file)?)
            .setting("base_url", client.base_url())
            .setting("delimiter", delimiter)
            .setting("allow_unknown_type", cmd.allow_unknown_type.to_string()))
    })
}

/// The files each final outcome is written to.
struct Files<'a> {
    journal: Option<&'a mut Journal>,
    rejects: Option<&'a mut Rejects>,
}

/// Runs the job to its end: journals each final outcome, shows progress
/// (and what the job waits for while NP6 fails), stops gracefully on the
/// first signal.
async fn run_job(
    job: &mut Bulk<Arc<Item>, Sent>,
    signals: &Stop,
    counts: &mut Counts,
    progress: &mut Progress,
    files: &mut Files<'_>,
) -> Result<Ending, Failure> {
    let stop = signals.first();
    tokio::pin!(stop);
    let mut stopped = None;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let outcome = tokio::select! {
            biased;
            signal = &mut stop, if stopped.is_none() => {
                stopped = Some(signal);
                job.stop();
                progress.note(&format!(
                    "np6: {}: finishing the {} calls in flight (again to stop at once)",
                    signal.name(),
                    job.state().in_flight
                ));
                continue;
            }
            next = job.next() => match next {
                Some(outcome) => outcome,
                None => break,
            },
            _ = tick.tick() => {
                progress.update(*counts, &job.state(), job.pace());
                continue;
            }
        };
        let BulkOutcome { record, result, .. } = outcome;
        let how = match result {
            Ok(Sent::Yes) => {
                counts.sent += 1;
                Finished::Sent
            }
            Err(error) if matches!(error.status(), Some(401 | 403)) => {
                return Ok(Ending::KeyRefused(error));
            }
            Ok(Sent::Invalid(why)) => reject(counts, files, &record, &why)?,
            Err(error) => reject(counts, files, &record, &error.to_string())?,
        };
        if let Some(journal) = files.journal.as_deref_mut() {
            journal
                .finished(record.line, how)
                .map_err(Failure::cannot_run)?;
        }
        progress.update(*counts, &job.state(), job.pace());
    }
    Ok(stopped.map_or(Ending::Done, Ending::Stopped))
}

/// Counts a rejected record and writes it to the rejects file.
fn reject(
    counts: &mut Counts,
    files: &mut Files<'_>,
    item: &Item,
    why: &str,
) -> Result<Finished, Failure> {
    counts.rejected += 1;
    tracing::info!(line = item.line, error = %why, "record rejected");
    if let Some(rejects) = files.rejects.as_deref_mut() {
        rejects
            .write(&item.raw, item.line, why)
            .map_err(Failure::cannot_run)?;
    }
    Ok(Finished::Rejected)
}

/// The bulk options of the command line: the adaptive pace, under
/// `--rate` if given.
fn options(cmd: &Import, found: Option<f64>) -> BulkOptions {
    let mut options = BulkOptions::default()
        .adaptive(true)
        .concurrency(cmd.concurrency)
        .patience(cmd.patience);
    if let Some(rate) = found {
        // The pace an earlier run of this job found (its journal's): no
        // slow start, and still under `--rate`.
        options = options.initial_rate(rate);
    }
    match cmd.rate {
        Some(rate) => options.rate_limit(rate),
        None => options,
    }
}

/// The bulk job: each record (shared, so the job's copies for retries are
/// cheap) comes back with its outcome, so its line and text reach the
/// journal and the rejects file; NP6's errors stay errors, for the job to
/// tell the transient from the final.
fn start_job(
    client: &Client,
    mut records: tokio::sync::mpsc::Receiver<Item>,
    options: BulkOptions,
) -> Bulk<Arc<Item>, Sent> {
    let stream = futures_util::stream::poll_fn(move |cx| records.poll_recv(cx)).map(Arc::new);
    client.bulk(stream, options, |client, item: Arc<Item>| async move {
        match &item.record {
            Ok(record) => client
                .put_target_bounce(&record.target_id, record.field_id, &record.bounce)
                .send()
                .await
                .map(|()| Sent::Yes),
            Err(why) => Ok(Sent::Invalid(why.clone())),
        }
    })
}

fn finish_files(
    journal: Option<&mut Journal>,
    rejects: Option<&mut Rejects>,
) -> Result<(), Failure> {
    if let Some(journal) = journal {
        journal.sync().map_err(Failure::cannot_run)?;
    }
    if let Some(rejects) = rejects {
        rejects.sync().map_err(Failure::cannot_run)?;
    }
    Ok(())
}

fn resume_hint(journal: Option<&Path>) -> String {
    match journal {
        Some(path) => format!(
            "run the same command again to resume from {}",
            path.display()
        ),
        None => "without --journal, a new run starts from the top".to_owned(),
    }
}
