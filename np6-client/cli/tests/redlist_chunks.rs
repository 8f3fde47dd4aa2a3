//! `np6 redlist` over windows NP6 cannot answer whole: `--chunk`, halves
//! of a window that fails, and progress saved after each piece, so that an
//! export that fails or is killed resumes with every entry once.

mod common;
mod edge;

use chrono::Duration;

use common::{code, np6, run, stderr, stdout};
use edge::{
    EdgeServer, Ends, date, hours, ids, month_entries, resume_writes_the_rest, sync, t0, tally,
};

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

    resume_writes_the_rest(&server, &state, DAYS, first, "chunked").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chunked_export_killed_midway_resumes_losing_nothing() {
    const DAYS: i64 = 20;
    let ends = Ends {
        start: false,
        end: true,
    };
    let server = EdgeServer::start(ends, month_entries(DAYS)).await;
    server.lock().delay = std::time::Duration::from_millis(50);
    let dir = tempfile::tempdir().expect("a folder");
    let (state, first_out) = (dir.path().join("state.json"), dir.path().join("1.ndjson"));
    let mut cmd = np6(&server.url());
    cmd.args([
        "redlist", "mail", "--format", "ndjson", "--chunk", "1d", "--since",
    ])
    .arg(date(t0()))
    .args(["--until", &date(hours(DAYS * 24))])
    .arg("--state")
    .arg(&state)
    .stdout(std::fs::File::create(&first_out).expect("the output"))
    .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().expect("np6 starts");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while server.lock().windows.len() < 8 {
        assert!(
            std::time::Instant::now() < deadline,
            "the export did not progress"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    child.kill().expect("killed");
    let _ = tokio::task::spawn_blocking(move || child.wait()).await;
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&state).expect("a state saved")).expect("JSON");
    let until = saved["until"].as_str().expect("an end").to_owned();
    assert!(until < date(hours(DAYS * 24)), "killed before the end");

    let first = ids(&std::fs::read(&first_out).expect("the output"));
    let rest = sync(
        &server.url(),
        &state,
        &date(hours(DAYS * 24)),
        &["--chunk", "1d"],
    )
    .await;
    let (written, twice) = tally(&[first, rest]);
    assert_eq!(written.len(), month_entries(DAYS).len(), "nothing lost");
    // Only the piece being written at the kill may be written again.
    let piece: Vec<String> = month_entries(DAYS)
        .into_iter()
        .filter(|(_, at)| date(*at) >= until && *at < hours(DAYS * 24))
        .map(|(id, _)| id)
        .collect();
    assert!(
        twice.iter().all(|id| piece.contains(id)) && twice.len() <= 7,
        "written twice: {twice:?}"
    );
}
