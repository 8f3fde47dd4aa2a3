//! `np6 bounces import` stopped by real signals against a counting server:
//! SIGINT and SIGTERM stop gracefully (exit 130 / 143, nothing sent twice
//! on resume), a second signal stops at once, and kill -9 at random
//! moments loses nothing.

mod common;

use std::fmt::Write as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{code, np6, run, stderr};
use np6_loopback::fault::{FaultConfig, FaultServer};

const RECORDS: usize = 300;
const CONCURRENCY: usize = 8;

fn csv(records: usize) -> String {
    let mut text = "target_id,field_id,type,message,timestamp\n".to_owned();
    for i in 0..records {
        let _ = writeln!(text, "T{i},788,hardUser,550 unknown user,");
    }
    text
}

/// Waits until the server has received at least `count` requests.
async fn wait_for(server: &FaultServer, count: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.counts().requests < count {
        assert!(Instant::now() < deadline, "the import did not progress");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn signal(child: &Child, name: &str) {
    let sent = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success(), "kill -{name}");
}

/// The import of `input` with `journal`, as a child process.
fn import(server: &FaultServer, dir: &std::path::Path) -> Command {
    let mut cmd = np6(&server.base_url());
    cmd.args([
        "bounces",
        "import",
        "--concurrency",
        &CONCURRENCY.to_string(),
    ])
    .arg(dir.join("in.csv"))
    .arg("--journal")
    .arg(dir.join("journal"))
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    cmd
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a folder");
    std::fs::write(dir.path().join("in.csv"), csv(RECORDS)).expect("the input");
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn sigint_and_sigterm_stop_gracefully_and_a_resume_sends_nothing_twice() {
    let server = FaultServer::start(FaultConfig::default().delay(Duration::from_millis(20)))
        .await
        .expect("a server");
    let dir = setup();
    for (name, exit, after) in [("INT", 130, 60), ("TERM", 143, 150)] {
        let child = import(&server, dir.path()).spawn().expect("np6 starts");
        wait_for(&server, after).await;
        signal(&child, name);
        let output = common::finish(child).await;
        assert_eq!(code(&output), Some(exit), "{}", stderr(&output));
        assert!(
            stderr(&output).contains("interrupted: ") && stderr(&output).contains(" sent"),
            "the summary: {}",
            stderr(&output)
        );
    }
    let last = run(import(&server, dir.path()), b"").await;
    assert_eq!(code(&last), Some(0), "{}", stderr(&last));
    assert!(
        stderr(&last).contains("already done (journal)"),
        "{}",
        stderr(&last)
    );
    let counts = server.counts().bounces;
    assert_eq!(counts.len(), RECORDS, "every record sent");
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent twice: {twice:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_signal_stops_at_once() {
    // Every answer takes 10 s: the graceful stop would wait for them.
    let server = FaultServer::start(FaultConfig::default().delay(Duration::from_secs(10)))
        .await
        .expect("a server");
    let dir = setup();
    let child = import(&server, dir.path()).spawn().expect("np6 starts");
    // The server counts a request when it answers, 10 s later: give the
    // import time to start its calls instead.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let started = Instant::now();
    signal(&child, "INT");
    tokio::time::sleep(Duration::from_millis(300)).await;
    signal(&child, "INT");
    let output = common::finish(child).await;
    assert_eq!(code(&output), Some(130), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("stopping at once"),
        "{}",
        stderr(&output)
    );
    // Before the answers came: the process did not wait for them.
    assert!(started.elapsed() < Duration::from_secs(8));
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_at_random_moments_loses_nothing() {
    const KILLS: u64 = 10;
    let server = FaultServer::start(FaultConfig::default().delay(Duration::from_millis(10)))
        .await
        .expect("a server");
    let dir = setup();
    let seed = u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(7, |d| d.subsec_nanos()),
    );
    let mut moment = 0;
    for kill in 0..KILLS {
        // Somewhere in the next 5 to 24 requests: ten kills within the
        // first 250 of the 300 records.
        moment += 5 + (seed.wrapping_mul(kill + 1) >> 3) % 20;
        let mut child = import(&server, dir.path()).spawn().expect("np6 starts");
        wait_for(&server, moment).await;
        child.kill().expect("kill -9");
        let _ = common::finish(child).await;
    }
    let last = run(import(&server, dir.path()), b"").await;
    assert_eq!(code(&last), Some(0), "{}", stderr(&last));
    let counts = server.counts().bounces;
    assert_eq!(counts.len(), RECORDS, "a record was lost (seed {seed})");
    let resent: u32 = counts.values().map(|n| n - 1).sum();
    let most = counts.values().max().copied().unwrap_or(0);
    eprintln!(
        "kill -9 x{KILLS} then resume: {} of {RECORDS} sent, 0 lost, {resent} sent twice \
         (no record more than {most} times; bound: {CONCURRENCY} a kill)",
        counts.len()
    );
    assert!(
        u64::from(resent) <= KILLS * CONCURRENCY as u64,
        "{resent} sent twice over {KILLS} kills (seed {seed})"
    );
}
