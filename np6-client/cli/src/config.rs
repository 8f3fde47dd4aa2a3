//! `np6 config [--check]`: the effective connection settings and where
//! each comes from (the key only as "set from ...", never the key), and,
//! with `--check`, one read-only call that says whether NP6 takes the key:
//! exit code 0, 3 (key refused) or 4 (NP6 unavailable). A setting that
//! cannot work (no key, a key file missing or empty, a base URL that is
//! not https, or plain http away from loopback) exits 2, `--check` or not.

use std::process::ExitCode;
use std::time::Duration;

use chrono::{SubsecRound, Utc};
use np6_client::RetryPolicy;

use crate::cli::{Config, Global};
use crate::failure::Failure;
use crate::key::{self, KeySource};

pub(crate) async fn run(global: &Global, cmd: &Config) -> Result<ExitCode, Failure> {
    let (url, origin) = key::base_url(global);
    let source = key::key_source(global)?;
    let mut key_line = source.to_string();
    // Says what is wrong with the file, never what it holds.
    let key_problem = key::check_key(&source).err();
    if let (KeySource::File(..), Some(problem)) = (&source, &key_problem) {
        key_line.push_str(&format!(" (unusable: {problem})"));
    }
    let url_problem = key::check_base_url(global).err();
    let url_line = match &url_problem {
        Some(_) => format!("{url}  ({origin}; unusable)"),
        None => format!("{url}  ({origin})"),
    };
    let text = format!(
        "base URL  {url_line}\n\
         API key   {key_line}\n\
         timeouts  connect {}, each attempt {}, a call with its retries {}\n\
         retries   up to {} attempts an idempotent call, after connection errors, \
         timeouts, 408, 429 and 5xx\n",
        seconds(key::CONNECT_TIMEOUT),
        seconds(key::ATTEMPT_TIMEOUT),
        seconds(key::CALL_DEADLINE),
        RetryPolicy::default().attempts(),
    );
    crate::output::print(&text)?;
    // A setting that cannot work is an error, with or without --check.
    if let Some(problem) = url_problem.or(key_problem) {
        return Err(problem);
    }
    if !cmd.check {
        return Ok(ExitCode::SUCCESS);
    }
    let client = key::client(global)?;
    // An empty window ending now: read-only, and next to nothing to send.
    let now = Utc::now().trunc_subsecs(0);
    client
        .get_mail_redlist()
        .start_date(now)
        .end_date(now)
        .send()
        .await?;
    crate::output::print(&format!("check     the key is accepted by {url}\n"))?;
    Ok(ExitCode::SUCCESS)
}

fn seconds(duration: Duration) -> String {
    format!("{} s", duration.as_secs())
}
