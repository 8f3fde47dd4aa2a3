//! `np6 redlist --state` against a loopback NP6 whose entries sit exactly
//! on window edges, including or excluding each end: successive runs write
//! every entry once; `--overlap` finds late entries without repeating.

mod common;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use http_body_util::Full;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

use common::{code, np6, run, stderr, stdout};

/// Which ends of a window the server includes.
#[derive(Debug, Clone, Copy)]
struct Ends {
    start: bool,
    end: bool,
}

/// A window asked: `startDate` and `endDate`, each if given.
type Window = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

#[derive(Debug, Default)]
struct Served {
    entries: Vec<(String, DateTime<Utc>)>,
    /// Answers `504` (with `Retry-After: 0`) to a longer window.
    longest: Option<Duration>,
    /// Answers `400` to a window ending after this.
    refuse_after: Option<DateTime<Utc>>,
    /// `(startDate, endDate)` of each request.
    windows: Vec<Window>,
}

/// A loopback NP6 redlist: the entries in the window asked, by its rules.
struct EdgeServer {
    address: SocketAddr,
    served: Arc<Mutex<Served>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for EdgeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl EdgeServer {
    async fn start(ends: Ends, entries: Vec<(String, DateTime<Utc>)>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let address = listener.local_addr().expect("an address");
        let served = Arc::new(Mutex::new(Served {
            entries,
            ..Served::default()
        }));
        let shared = served.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let served = shared.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let answer = answer(&served, ends, &request);
                        async move { Ok::<_, Infallible>(answer) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            address,
            served,
            task,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Served> {
        self.served.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn answer(
    served: &Mutex<Served>,
    ends: Ends,
    request: &Request<hyper::body::Incoming>,
) -> Response<Full<Bytes>> {
    let mut served = served.lock().unwrap_or_else(PoisonError::into_inner);
    let query = request.uri().query().unwrap_or_default();
    let param = |name: &str| {
        query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| *key == name)
            .and_then(|(_, value)| value.replace("%3A", ":").replace("%2B", "+").parse().ok())
    };
    let (start, end): Window = (param("startDate"), param("endDate"));
    served.windows.push((start, end));
    let too_long = served.longest.is_some_and(|longest| match (start, end) {
        (Some(start), Some(end)) => end - start > longest,
        _ => true,
    });
    if too_long {
        return reply(
            StatusCode::GATEWAY_TIMEOUT,
            &[("retry-after", "0")],
            b"slow",
        );
    }
    if served
        .refuse_after
        .is_some_and(|last| end.is_none_or(|end| end > last))
    {
        return reply(StatusCode::BAD_REQUEST, &[], b"refused");
    }
    let inside = |at: DateTime<Utc>| {
        let after = start.is_none_or(|s| if ends.start { at >= s } else { at > s });
        let before = end.is_none_or(|e| if ends.end { at <= e } else { at < e });
        after && before
    };
    let body: Vec<serde_json::Value> = served
        .entries
        .iter()
        .filter(|(_, at)| inside(*at))
        .map(|(id, at)| serde_json::json!({"id": id, "origin": 1, "timestamp": at.to_rfc3339()}))
        .collect();
    let body = serde_json::to_vec(&body).unwrap_or_default();
    reply(
        StatusCode::OK,
        &[("content-type", "application/json")],
        &body,
    )
}

fn reply(status: StatusCode, headers: &[(&str, &str)], body: &[u8]) -> Response<Full<Bytes>> {
    let mut builder = Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder
        .body(Full::new(Bytes::from(body.to_vec())))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

fn t0() -> DateTime<Utc> {
    "2026-11-01T00:00:00Z".parse().expect("a date")
}

fn hours(h: i64) -> DateTime<Utc> {
    t0() + Duration::hours(h)
}

fn date(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Entries on every hour's edge (two in that second) and between.
fn edge_entries(last_hour: i64) -> Vec<(String, DateTime<Utc>)> {
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
async fn sync(url: &str, state: &Path, until: &str, extra: &[&str]) -> Vec<String> {
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

#[tokio::test(flavor = "multi_thread")]
async fn incremental_runs_write_edge_entries_once_whatever_ends_np6_includes() {
    for ends in [
        Ends {
            start: true,
            end: true,
        },
        Ends {
            start: true,
            end: false,
        },
        Ends {
            start: false,
            end: false,
        },
    ] {
        let server = EdgeServer::start(ends, edge_entries(5)).await;
        let dir = tempfile::tempdir().expect("a folder");
        let state = dir.path().join("state.json");
        let mut written: HashMap<String, u32> = HashMap::new();
        for h in 1..=4 {
            for id in sync(&server.url(), &state, &date(hours(h)), &[]).await {
                *written.entry(id).or_default() += 1;
            }
        }
        let duplicated: Vec<_> = written.iter().filter(|(_, n)| **n > 1).collect();
        assert!(duplicated.is_empty(), "{ends:?}: {duplicated:?}");
        let expected: Vec<String> = edge_entries(5)
            .into_iter()
            .filter(|(_, at)| *at < hours(4))
            .map(|(id, _)| id)
            .collect();
        let missed: Vec<_> = expected
            .iter()
            .filter(|id| !written.contains_key(*id))
            .collect();
        assert!(missed.is_empty(), "{ends:?}: missed {missed:?}");
        assert_eq!(written.len(), expected.len(), "{ends:?}: {written:?}");
        // Each run asked one second before where the last one ended.
        let windows = server.lock().windows.clone();
        assert_eq!(windows.len(), 4);
        for (h, (start, end)) in windows.iter().enumerate().skip(1) {
            let h = i64::try_from(h).expect("small");
            assert_eq!(*start, Some(hours(h) - Duration::seconds(1)), "{ends:?}");
            assert_eq!(*end, Some(hours(h + 1)), "{ends:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_overlap_writes_late_entries_and_nothing_twice() {
    let ends = Ends {
        start: true,
        end: true,
    };
    let server = EdgeServer::start(ends, edge_entries(3)).await;
    let dir = tempfile::tempdir().expect("a folder");
    let state = dir.path().join("state.json");
    let overlap = ["--overlap", "1h"];
    let first = sync(&server.url(), &state, &date(hours(1)), &overlap).await;
    assert_eq!(first, ["e0a", "e0b", "e0c", "e0d"]);
    // NP6 adds entries late, inside the last run's window.
    server.lock().entries.extend([
        ("late1".to_owned(), hours(0) + Duration::minutes(45)),
        ("late2".to_owned(), hours(1) - Duration::seconds(1)),
    ]);
    let mut second = sync(&server.url(), &state, &date(hours(2)), &overlap).await;
    second.sort();
    assert_eq!(second, ["e1a", "e1b", "e1c", "e1d", "late1", "late2"]);
    // Without --overlap the next run starts at the end: a late entry of an
    // earlier window is not read.
    server
        .lock()
        .entries
        .push(("late3".to_owned(), hours(1) + Duration::minutes(10)));
    let mut third = sync(&server.url(), &state, &date(hours(3)), &[]).await;
    third.sort();
    assert_eq!(third, ["e2a", "e2b", "e2c", "e2d"]);
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&state).expect("the state")).expect("JSON");
    assert_eq!(saved["until"], "2026-11-01T03:00:00Z");
}

#[tokio::test(flavor = "multi_thread")]
async fn until_now_and_an_empty_window() {
    let ends = Ends {
        start: true,
        end: true,
    };
    let server = EdgeServer::start(ends, edge_entries(1)).await;
    let mut cmd = np6(&server.url());
    cmd.args(["redlist", "sms", "--since", "1h", "--until", "now"]);
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    let (start, end) = server.lock().windows[0];
    let (start, end) = (start.expect("a start"), end.expect("an end"));
    assert_eq!(end - start, Duration::seconds(3601));
    assert!((Utc::now() - end).num_seconds().abs() < 60);

    // A window from its end to its end asks nothing and writes no entry.
    let mut cmd = np6(&server.url());
    cmd.args([
        "redlist",
        "mail",
        "--since",
        "2026-11-01T00:00:00Z",
        "--until",
        "2026-11-01T00:00:00Z",
    ]);
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "id,origin,timestamp,detail\n");
    assert_eq!(server.lock().windows.len(), 1);
}

/// Entries every 5 hours and on every day's edge, over `days` days.
fn month_entries(days: i64) -> Vec<(String, DateTime<Utc>)> {
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
fn tally(runs: &[Vec<String>]) -> (HashMap<String, u32>, Vec<String>) {
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

#[tokio::test(flavor = "multi_thread")]
async fn a_window_np6_cannot_answer_whole_is_split_and_every_entry_written_once() {
    const DAYS: i64 = 30;
    let ends = Ends {
        start: true,
        end: true,
    };
    let server = EdgeServer::start(ends, month_entries(DAYS)).await;
    server.lock().longest = Some(Duration::days(1));
    let dir = tempfile::tempdir().expect("a folder");
    let state = dir.path().join("state.json");
    let ids = sync(&server.url(), &state, &date(hours(DAYS * 24)), &[]).await;
    let (written, twice) = tally(&[ids]);
    assert!(twice.is_empty(), "written twice: {twice:?}");
    assert_eq!(written.len(), month_entries(DAYS).len(), "every entry");
    let windows = server.lock().windows.clone();
    let answered = windows
        .iter()
        .filter(|(s, e)| s.zip(*e).is_some_and(|(s, e)| e - s <= Duration::days(1)))
        .count();
    // 30 days in halves: 32 windows of under a day answered.
    assert_eq!(answered, 32, "{windows:?}");

    // --chunk 1d asks day by day, with no failure.
    let server = EdgeServer::start(ends, month_entries(DAYS)).await;
    server.lock().longest = Some(Duration::days(1));
    let state = dir.path().join("chunked.json");
    let ids = sync(
        &server.url(),
        &state,
        &date(hours(DAYS * 24)),
        &["--chunk", "1d"],
    )
    .await;
    let (written, twice) = tally(&[ids]);
    assert!(twice.is_empty(), "written twice: {twice:?}");
    assert_eq!(written.len(), month_entries(DAYS).len());
    // Each asked as at most a day (the piece and the second before it).
    let windows = server.lock().windows.clone();
    assert!(
        windows
            .iter()
            .all(|(s, e)| s.zip(*e).is_some_and(|(s, e)| e - s <= Duration::days(1))),
        "{windows:?}"
    );
    assert_eq!(windows.len(), 31);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chunked_export_that_fails_resumes_after_its_last_chunk() {
    const DAYS: i64 = 10;
    let ends = Ends {
        start: true,
        end: false,
    };
    let server = EdgeServer::start(ends, month_entries(DAYS)).await;
    server.lock().refuse_after = Some(hours(4 * 24));
    let dir = tempfile::tempdir().expect("a folder");
    let state = dir.path().join("state.json");
    let mut cmd = np6(&server.url());
    cmd.args([
        "redlist", "mail", "--format", "ndjson", "--chunk", "1d", "--since",
    ])
    .arg(date(t0()))
    .args(["--until", &date(hours(DAYS * 24))])
    .arg("--state")
    .arg(&state);
    let failed = run(cmd, b"").await;
    assert_eq!(code(&failed), Some(2), "{}", stderr(&failed));
    let first: Vec<String> = stdout(&failed)
        .lines()
        .map(|line| {
            let entry: serde_json::Value = serde_json::from_str(line).expect("an object");
            entry["id"].as_str().expect("an id").to_owned()
        })
        .collect();
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&state).expect("the state")).expect("JSON");
    // Pieces of a day less the second asked before each: the fourth ends
    // 4 s before the fourth day, the last end NP6 answers.
    assert_eq!(
        saved["until"],
        date(hours(4 * 24) - Duration::seconds(4)),
        "the last piece written"
    );

    server.lock().refuse_after = None;
    let rest = sync(
        &server.url(),
        &state,
        &date(hours(DAYS * 24)),
        &["--chunk", "1d"],
    )
    .await;
    let (written, twice) = tally(&[first, rest]);
    assert!(twice.is_empty(), "written twice: {twice:?}");
    assert_eq!(written.len(), month_entries(DAYS).len(), "every entry");
}
