//! `np6 redlist mail|sms`: a redlist window written as CSV, NDJSON or JSON,
//! with an optional state file for incremental sync.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use chrono::{DateTime, SubsecRound, Utc};
use np6_client::types::RedlistEntry;
use serde::{Deserialize, Serialize};

use crate::cli::{Channel, Format, Global, Redlist};
use crate::failure::Failure;
use crate::output::{Output, write_atomically, write_failed};
use crate::paths::{Named, refuse_overlaps};
use crate::stop::Stop;
use crate::when;

/// What a state file keeps: where the last successful run's window ended.
#[derive(Debug, Serialize, Deserialize)]
struct State {
    until: DateTime<Utc>,
}

pub(crate) async fn run(global: &Global, cmd: Redlist) -> Result<ExitCode, Failure> {
    let files: Vec<Named<'_>> = [("--output", &cmd.output), ("--state", &cmd.state)]
        .into_iter()
        .filter_map(|(flag, path)| Some((flag, path.as_deref()?)))
        .collect();
    refuse_overlaps(&files)?;
    let stop =
        Stop::install().map_err(|e| Failure::usage(format!("cannot listen for signals: {e}")))?;
    // Held to the end: a second run with this state file is refused (busy).
    let _state_lock = match &cmd.state {
        Some(path) => Some(lock_state(path)?),
        None => None,
    };
    // The export awaits only NP6's answer: a signal stops it before any
    // output is written or state saved; once the answer is in, the writes
    // run to their end.
    tokio::select! {
        done = export(global, cmd) => done,
        signal = stop.first() => Err(Failure::interrupted(
            signal,
            format!("{}: stopped; no output written, the state file unchanged", signal.name()),
        )),
    }
}

/// Opens (creating it empty if need be) and locks the state file.
fn lock_state(path: &Path) -> Result<std::fs::File, Failure> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true);
    crate::lock::open_locked(&options, path, "the state file")
}

async fn export(global: &Global, cmd: Redlist) -> Result<ExitCode, Failure> {
    let now = Utc::now().trunc_subsecs(0);
    let until = match &cmd.until {
        Some(text) => {
            when::parse(text, now).map_err(|e| Failure::cannot_run(format!("--until: {e}")))?
        }
        None => now,
    };
    let since = match (read_state(cmd.state.as_deref())?, &cmd.since) {
        (Some(state), _) => Some(state.until),
        (None, Some(text)) => {
            Some(when::parse(text, now).map_err(|e| Failure::cannot_run(format!("--since: {e}")))?)
        }
        (None, None) => None,
    };
    if since.is_some_and(|since| since > until) {
        return Err(Failure::cannot_run(format!(
            "the window starts after it ends ({} > {until})",
            since.map(|s| s.to_rfc3339()).unwrap_or_default()
        )));
    }
    let client = crate::key::client(global)?;
    let entries = match cmd.channel {
        Channel::Mail => {
            client
                .get_mail_redlist()
                .set_start_date(since)
                .end_date(until)
                .send()
                .await?
        }
        Channel::Sms => {
            client
                .get_sms_redlist()
                .set_start_date(since)
                .end_date(until)
                .send()
                .await?
        }
    };
    let mut out = Output::create(cmd.output.as_deref())?;
    let what = cmd
        .output
        .as_deref()
        .map_or_else(|| "stdout".to_owned(), |p| p.display().to_string());
    write_entries(&mut out, &entries, cmd.format).map_err(|e| write_failed(&what, &e))?;
    out.commit()?;
    // Only now that the output is complete does the next run start here.
    if let Some(path) = &cmd.state {
        let state = serde_json::to_vec_pretty(&State { until })
            .map_err(|e| Failure::cannot_run(format!("cannot encode the state: {e}")))?;
        write_atomically(path, &state)?;
    }
    tracing::info!(entries = entries.len(), "redlist written");
    Ok(ExitCode::SUCCESS)
}

fn read_state(path: Option<&Path>) -> Result<Option<State>, Failure> {
    let Some(path) = path else { return Ok(None) };
    match std::fs::read(path) {
        // Created by the lock of a run that saved nothing.
        Ok(bytes) if bytes.is_empty() => Ok(None),
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

fn write_entries(
    out: &mut impl Write,
    entries: &[RedlistEntry],
    format: Format,
) -> std::io::Result<()> {
    match format {
        Format::Csv => {
            let mut csv = csv::Writer::from_writer(out);
            csv.write_record(["id", "origin", "timestamp", "detail"])?;
            for entry in entries {
                let timestamp = entry.timestamp.map(|t| t.to_rfc3339()).unwrap_or_default();
                let detail = if entry.detail.is_empty() {
                    String::new()
                } else {
                    serde_json::Value::Object(entry.detail.clone()).to_string()
                };
                csv.write_record([
                    entry.id.as_str(),
                    &entry.origin.to_string(),
                    &timestamp,
                    &detail,
                ])?;
            }
            csv.flush()
        }
        Format::Ndjson => {
            for entry in entries {
                serde_json::to_writer(&mut *out, entry)?;
                out.write_all(b"\n")?;
            }
            Ok(())
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, entries)?;
            out.write_all(b"\n")
        }
    }
}
