//! A loopback NP6 redlist for the `np6 redlist` tests: its entries sit
//! on window edges, it includes or excludes each end of a window as told,
//! can refuse long windows (`504`) or late ones (`400`), and records every
//! window asked; and the helpers the tests share.

#![allow(dead_code)] // Each test file uses its own part.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use np6_loopback::{Received, Reply, Server, Threads};

use crate::common::{code, np6, run, stderr, stdout};

/// Which ends of a window the server includes.
#[derive(Debug, Clone, Copy)]
pub struct Ends {
    /// `startDate` is included.
    pub start: bool,
    /// `endDate` is included.
    pub end: bool,
}

/// A window asked: `startDate` and `endDate`, each if given.
pub type Window = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// What the server answers from, and what it was asked.
#[derive(Debug, Default)]
pub struct Served {
    /// Each entry's id and timestamp.
    pub entries: Vec<(String, DateTime<Utc>)>,
    /// Answers `504` (with `Retry-After: 0`) to a longer window.
    pub longest: Option<Duration>,
    /// Answers `400` to a window ending after this.
    pub refuse_after: Option<DateTime<Utc>>,
    /// Waits this long before each answer.
    pub delay: std::time::Duration,
    /// `(startDate, endDate)` of each request.
    pub windows: Vec<Window>,
    /// The ids of entries without a timestamp, in every answer.
    pub untimed: Vec<String>,
}

/// A loopback NP6 redlist (`np6_loopback`): the entries in the
/// window asked, by its rules.
pub struct EdgeServer {
    server: Server,
    served: Arc<Mutex<Served>>,
}

impl EdgeServer {
    /// Serves `entries` on a free loopback port.
    pub async fn start(ends: Ends, entries: Vec<(String, DateTime<Utc>)>) -> Self {
        let served = Arc::new(Mutex::new(Served {
            entries,
            ..Served::default()
        }));
        let shared = served.clone();
        // A thread per connection: the answer's delay may block.
        let server = Server::start(Threads::PerConnection, move |request| {
            let (reply, delay) = answer(&shared, ends, request);
            std::thread::sleep(delay);
            reply
        })
        .expect("a loopback server");
        Self { server, served }
    }

    /// Its base URL.
    pub fn url(&self) -> String {
        self.server.base_url()
    }

    /// What it serves and was asked, to read or change.
    pub fn lock(&self) -> std::sync::MutexGuard<'_, Served> {
        self.served.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The answer to `request`, and how long to wait before it.
fn answer(served: &Mutex<Served>, ends: Ends, request: &Received) -> (Reply, std::time::Duration) {
    let mut served = served.lock().unwrap_or_else(PoisonError::into_inner);
    let query = request
        .target
        .split_once('?')
        .map_or("", |(_, query)| query);
    let param = |name: &str| {
        query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| *key == name)
            .and_then(|(_, value)| value.replace("%3A", ":").replace("%2B", "+").parse().ok())
    };
    let (start, end): Window = (param("startDate"), param("endDate"));
    served.windows.push((start, end));
    let delay = served.delay;
    let too_long = served.longest.is_some_and(|longest| match (start, end) {
        (Some(start), Some(end)) => end - start > longest,
        _ => true,
    });
    if too_long {
        return (Reply::status(504).header("retry-after", "0"), delay);
    }
    if served
        .refuse_after
        .is_some_and(|last| end.is_none_or(|end| end > last))
    {
        return (Reply::status(400), delay);
    }
    let inside = |at: DateTime<Utc>| {
        let after = start.is_none_or(|s| if ends.start { at >= s } else { at > s });
        let before = end.is_none_or(|e| if ends.end { at <= e } else { at < e });
        after && before
    };
    let mut body: Vec<serde_json::Value> = served
        .entries
        .iter()
        .filter(|(_, at)| inside(*at))
        .map(|(id, at)| serde_json::json!({"id": id, "origin": 1, "timestamp": at.to_rfc3339()}))
        .collect();
    body.extend(
        served
            .untimed
            .iter()
            .map(|id| serde_json::json!({"id": id, "origin": 1, "timestamp": null})),
    );
    let body = serde_json::to_vec(&body).unwrap_or_default();
    (Reply::json(Bytes::from(body)), delay)
}

/// The first edge: 2026-11-01T00:00:00Z.
pub fn t0() -> DateTime<Utc> {
    "2026-11-01T00:00:00Z".parse().expect("a date")
}

/// `h` hours after [`t0`].
pub fn hours(h: i64) -> DateTime<Utc> {
    t0() + Duration::hours(h)
}

/// A date as `np6` writes it.
pub fn date(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Entries on every hour's edge (two in that second) and between.
pub fn edge_entries(last_hour: i64) -> Vec<(String, DateTime<Utc>)> {
    let mut entries = Vec::new();
    for h in 0..=last_hour {
        entries.push((format!("e{h}a"), hours(h)));
        entries.push((format!("e{h}b"), hours(h)));
        entries.push((format!("e{h}c"), hours(h) + Duration::minutes(30)));
        entries.push((format!("e{h}d"), hours(h) + Duration::seconds(3599)));
    }
    entries
}

/// One incremental run; the ids it wrote (NDJSON), checking its dates.
pub async fn sync(url: &str, state: &Path, until: &str, extra: &[&str]) -> Vec<String> {
    let mut cmd = np6(url);
    cmd.args(["redlist", "mail", "--format", "ndjson", "--since"])
        .arg(date(t0()))
        .args(["--until", until])
        .arg("--state")
        .arg(state)
        .args(extra);
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    stdout(&output)
        .lines()
        .map(|line| {
            let entry: serde_json::Value = serde_json::from_str(line).expect("an object");
            let at = entry["timestamp"].as_str().expect("a timestamp");
            assert!(at.ends_with('Z') && at.len() == 20, "{at}");
            entry["id"].as_str().expect("an id").to_owned()
        })
        .collect()
}

/// Lets `server` answer every window again, resumes the chunked export of
/// `days` days from `state` (whose first run wrote `first`), and checks
/// that the two runs wrote every entry once; `case` names it.
pub async fn resume_writes_the_rest(
    server: &EdgeServer,
    state: &Path,
    days: i64,
    first: Vec<String>,
    case: &str,
) {
    server.lock().refuse_after = None;
    let rest = sync(
        &server.url(),
        state,
        &date(hours(days * 24)),
        &["--chunk", "1d"],
    )
    .await;
    let (written, twice) = tally(&[first, rest]);
    assert!(twice.is_empty(), "{case}: written twice: {twice:?}");
    assert_eq!(
        written.len(),
        month_entries(days).len(),
        "{case}: every entry"
    );
}

/// Entries every 5 hours and on every day's edge, over `days` days.
pub fn month_entries(days: i64) -> Vec<(String, DateTime<Utc>)> {
    let mut entries = Vec::new();
    for h in (0..days * 24).step_by(5) {
        entries.push((format!("h{h}"), hours(h)));
    }
    for d in 0..days {
        entries.push((format!("d{d}"), hours(d * 24)));
    }
    entries
}

/// The ids written, and each written more than once.
pub fn tally(runs: &[Vec<String>]) -> (HashMap<String, u32>, Vec<String>) {
    let mut written: HashMap<String, u32> = HashMap::new();
    for id in runs.iter().flatten() {
        *written.entry(id.clone()).or_default() += 1;
    }
    let twice = written
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| id.clone())
        .collect();
    (written, twice)
}

/// The ids of NDJSON entries.
pub fn ids(ndjson: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(ndjson)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|entry| entry["id"].as_str().map(str::to_owned))
        .collect()
}
