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

use futures_util::StreamExt;
use np6_client::{BulkOptions, Client, Error};

use crate::cli::{Global, Import};
use crate::failure::{Failure, SOME_REJECTED};
use crate::paths::{INPUT, KEY_FILE, Named, is_stdout, refuse_overlaps};
use crate::stop::Signal;
use input::{Item, Raw};
use job::{InputId, Job};
use journal::{Finished, Journal};
use progress::{Counts, Progress};
use rejects::Rejects;

/// What became of one record.
type Outcome = (u64, Raw, Result<(), Rejection>);

/// Why a record was not sent.
enum Rejection {
    /// It does not read as a bounce; NP6 was not called.
    Invalid(String),
    /// NP6 refused it (after the client's retries).
    Np6(Error),
}

pub(crate) async fn run(global: &Global, cmd: Import) -> Result<ExitCode, Failure> {
    let key_file = crate::key::key_file(global);
    refuse_overlaps(&files(&cmd, key_file.as_deref()))?;
    let client = crate::key::client(global)?;
    let (mut journal, done) = match &cmd.journal {
        Some(path) => {
            let (journal, done) = Journal::open(path, job(&cmd, &client)?)?;
            (Some(journal), done)
        }
        None => (None, Default::default()),
    };
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
    let mut job = start_job(&client, records, options(&cmd));
    let mut counts = Counts {
        skipped,
        ..Counts::default()
    };
    let mut progress = Progress::start();
    let mut stop = std::pin::pin!(tokio::signal::ctrl_c());
    let mut fatal = None;
    let mut interrupted = false;
    loop {
        let (line, raw, result) = tokio::select! {
            biased;
            _ = &mut stop => {
                interrupted = true;
                break;
            }
            next = job.next() => match next {
                Some(outcome) => match outcome.result {
                    Ok(outcome) => outcome,
                    // The job's calls return their outcome as a value (see
                    // `start_job`): an error here is the job's own.
                    Err(error) => {
                        fatal = Some(Failure::from(error));
                        break;
                    }
                },
                None => break,
            },
        };
        let how = match result {
            Ok(()) => {
                counts.sent += 1;
                Finished::Sent
            }
            Err(Rejection::Np6(error)) if matches!(error.status(), Some(401 | 403)) => {
                // Every record would fail the same way: stop, keep the journal.
                fatal = Some(Failure::from(error));
                break;
            }
            Err(rejection) => {
                counts.rejected += 1;
                let why = match rejection {
                    Rejection::Invalid(why) => why,
                    Rejection::Np6(error) => error.to_string(),
                };
                tracing::info!(line, error = %why, "record rejected");
                if let Some(rejects) = &mut rejects {
                    rejects
                        .write(&raw, line, &why)
                        .map_err(Failure::cannot_run)?;
                }
                Finished::Rejected
            }
        };
        if let Some(journal) = &mut journal {
            journal.finished(line, how).map_err(Failure::cannot_run)?;
        }
        progress.update(counts, job.pace());
    }
    // Stops the calls in flight: their records are not in the journal.
    drop(job);
    finish_files(journal.as_mut(), rejects.as_mut())?;
    if let Some(failure) = fatal {
        progress.finish(counts, "stopped");
        return Err(failure);
    }
    if interrupted {
        progress.finish(counts, "interrupted");
        return Err(Failure::interrupted(
            Signal::Interrupt,
            resume_hint(cmd.journal.as_deref()),
        ));
    }
    // The reader ended: was it the end of the input, or an error?
    match reader.join() {
        Ok(Ok(())) => {}
        Ok(Err(error)) => {
            progress.finish(counts, "stopped");
            return Err(Failure::cannot_run(error));
        }
        Err(_) => return Err(Failure::cannot_run("the input reader failed")),
    }
    progress.finish(counts, "done");
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

/// The bulk options of the command line: adaptive unless `--rate` is given.
fn options(cmd: &Import) -> BulkOptions {
    let options = BulkOptions::default().concurrency(cmd.concurrency);
    match cmd.rate {
        Some(rate) => options.rate_limit(rate),
        None => options.adaptive(true),
    }
}

/// The bulk job: each record's call never fails as a call; its outcome
/// (with the line and text the rejects file needs) is the value.
fn start_job(
    client: &Client,
    mut records: tokio::sync::mpsc::Receiver<Item>,
    options: BulkOptions,
) -> np6_client::Bulk<Outcome> {
    let stream = futures_util::stream::poll_fn(move |cx| records.poll_recv(cx));
    client.bulk(stream, options, |client, item: Item| async move {
        let result = match item.record {
            Ok(record) => client
                .put_target_bounce(&record.target_id, record.field_id, &record.bounce)
                .send()
                .await
                .map_err(Rejection::Np6),
            Err(why) => Err(Rejection::Invalid(why)),
        };
        Ok::<Outcome, Error>((item.line, item.raw, result))
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
            "interrupted: run the same command again to resume from {}",
            path.display()
        ),
        None => "interrupted (without --journal, a new run starts from the top)".to_owned(),
    }
}
