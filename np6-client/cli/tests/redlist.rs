//! `np6 redlist --state` against a loopback NP6 whose entries sit exactly
//! on window edges, including or excluding each end: successive runs write
//! every entry once; `--overlap` finds late entries without repeating.

mod common;
mod edge;

use std::collections::HashMap;

use chrono::{Duration, Utc};

use common::{code, np6, run, stderr, stdout};
use edge::{EdgeServer, Ends, date, edge_entries, hours, sync};

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

#[tokio::test(flavor = "multi_thread")]
async fn an_entry_without_a_timestamp_is_written_once_across_runs() {
    let server = EdgeServer::start(
        Ends {
            start: true,
            end: false,
        },
        edge_entries(5),
    )
    .await;
    server.lock().untimed = vec!["u1".to_owned(), "u2".to_owned()];
    let dir = tempfile::tempdir().expect("a folder");
    let state = dir.path().join("state.json");
    let mut written: HashMap<String, u32> = HashMap::new();
    for h in 1..=5 {
        let mut cmd = np6(&server.url());
        cmd.args(["redlist", "mail", "--format", "ndjson", "--since"])
            .arg(date(edge::t0()))
            .args(["--until", &date(hours(h))])
            .arg("--state")
            .arg(&state);
        let output = run(cmd, b"").await;
        assert_eq!(code(&output), Some(0), "{}", stderr(&output));
        for line in stdout(&output).lines() {
            let entry: serde_json::Value = serde_json::from_str(line).expect("an object");
            let id = entry["id"].as_str().expect("an id").to_owned();
            *written.entry(id).or_default() += 1;
        }
    }
    assert_eq!(written.get("u1"), Some(&1), "{written:?}");
    assert_eq!(written.get("u2"), Some(&1), "{written:?}");
    assert!(written.values().all(|n| *n == 1), "{written:?}");
}
