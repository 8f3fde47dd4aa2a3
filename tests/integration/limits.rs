//! Limits: the largest durations a setting takes neither overflow nor
//! panic (the huge waits of the retry loop are tested with the loop, in
//! `np6-client/src/retry/tests.rs`), and record mode never loses a
//! recording when clients share a folder.

use std::collections::BTreeSet;
use std::time::Duration;

use np6_client::fixture::Fixture;
use np6_client::{Client, RetryPolicy};
use np6_tests::CANARY_KEY;
use np6_tests::faults::{Fault, FaultServer};

/// Sets one duration of a builder.
type Setting = fn(np6_client::ClientBuilder, Duration) -> np6_client::ClientBuilder;

fn builder(server: &FaultServer) -> np6_client::ClientBuilder {
    Client::builder()
        .api_key(CANARY_KEY)
        .base_url(&server.base_url)
}

#[tokio::test]
async fn duration_max_for_each_setting_does_not_panic() {
    let server = FaultServer::start(vec![Fault::Answer(
        200,
        vec![],
        br#"[{"id":"A","origin":1}]"#.to_vec(),
    )])
    .await;
    let max = Duration::MAX;
    let retry = RetryPolicy::default()
        .initial_backoff(max)
        .max_backoff(max)
        .max_retry_after(max);
    let settings: Vec<(&str, Setting)> = vec![
        ("timeout", |b, d| b.timeout(d)),
        ("connect_timeout", |b, d| b.connect_timeout(d)),
        ("deadline", |b, d| b.deadline(d)),
        ("all", |b, d| b.timeout(d).connect_timeout(d).deadline(d)),
    ];
    for (name, set) in settings {
        let client = set(builder(&server).retry(retry.clone()), max)
            .build()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let entries = client.get_mail_redlist().send().await;
        assert_eq!(entries.map(|e| e.len()).ok(), Some(1), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_recorders_in_one_folder_lose_nothing() {
    const CALLS: usize = 60;
    let server = FaultServer::start(vec![Fault::Answer(
        200,
        vec![("content-type", "application/json".into())],
        br#"[{"id":"A","origin":1}]"#.to_vec(),
    )])
    .await;
    let dir = tempfile::tempdir().expect("a temporary folder");
    let recorder = || {
        builder(&server)
            .record_to(dir.path())
            .build()
            .expect("valid")
    };
    let (first, second) = (recorder(), recorder());
    let run = |client: Client| async move {
        let calls = (0..CALLS).map(|_| {
            let client = client.clone();
            async move { client.get_mail_redlist().send().await.expect("200") }
        });
        futures_util::future::join_all(calls).await
    };
    tokio::join!(run(first), run(second));
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(dir.path()).expect("the folder") {
        let path = entry.expect("an entry").path();
        let text = std::fs::read_to_string(&path).expect("readable");
        Fixture::from_json(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        names.insert(path);
    }
    assert_eq!(names.len(), 2 * CALLS, "every exchange has its own file");
}
