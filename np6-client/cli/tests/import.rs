//! `np6 bounces import`: formats, rejects, exit codes, and an import
//! interrupted (Ctrl-C, then a crash) and resumed from its journal.

mod common;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use common::{code, np6, run, stderr};
use np6_loopback::fault::{FaultConfig, FaultServer};

fn csv(records: usize, bad_every: usize) -> String {
    let mut text = "target_id,field_id,type,message,timestamp\n".to_owned();
    for i in 0..records {
        let id = if bad_every > 0 && i % bad_every == 0 {
            format!("BAD{i}")
        } else {
            format!("T{i}")
        };
        let _ = writeln!(
            text,
            "{id},788,hardUser,550 unknown user,2026-11-01T10:00:00Z"
        );
    }
    text
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_with_rejects_exits_1_and_the_rejects_import_again() {
    let server = FaultServer::start(FaultConfig::default().reject_prefix("BAD"))
        .await
        .expect("a server");
    let dir = tempfile::tempdir().expect("a folder");
    let (input, rejects) = (dir.path().join("in.csv"), dir.path().join("rejects.csv"));
    let mut text = csv(50, 10);
    text.push_str("T-no-field,notanumber,hardUser,,\n");
    std::fs::write(&input, text).expect("the input");
    let mut cmd = np6(&server.base_url());
    cmd.args(["bounces", "import"])
        .arg(&input)
        .arg("--rejects")
        .arg(&rejects);
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("45 sent, 6 rejected"),
        "{}",
        stderr(&output)
    );
    assert_eq!(server.counts().bounces.len(), 45);

    let rejected = std::fs::read_to_string(&rejects).expect("the rejects");
    let mut lines = rejected.lines();
    assert_eq!(
        lines.next(),
        Some("target_id,field_id,type,message,timestamp,line,error")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 6, "{rejected}");
    assert!(
        rows.iter()
            .any(|r| r.starts_with("BAD0,788,") && r.contains(",2,") && r.contains("400"))
    );
    assert!(
        rows.iter()
            .any(|r| r.starts_with("T-no-field") && r.contains(",52,"))
    );

    // The rejects file is an input: against a server that takes them all,
    // the five well-formed rows are sent, the malformed one rejected again.
    let lenient = FaultServer::start(FaultConfig::default())
        .await
        .expect("a server");
    let mut cmd = np6(&lenient.base_url());
    cmd.args(["bounces", "import"]).arg(&rejects);
    let again = run(cmd, b"").await;
    assert_eq!(code(&again), Some(1), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("5 sent, 1 rejected"),
        "{}",
        stderr(&again)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ndjson_from_stdin_with_a_fixed_rate_exits_0() {
    let server = FaultServer::start(FaultConfig::default())
        .await
        .expect("a server");
    let mut input = String::new();
    for i in 0..20 {
        let _ = writeln!(
            input,
            r#"{{"target_id":"N{i}","field_id":788,"type":"softMailboxFull"}}"#
        );
    }
    let mut cmd = np6(&server.base_url());
    cmd.args([
        "bounces",
        "import",
        "-",
        "--rate",
        "200",
        "--concurrency",
        "4",
    ]);
    let output = run(cmd, input.as_bytes()).await;
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    assert_eq!(server.counts().bounces.len(), 20);
}

#[tokio::test(flavor = "multi_thread")]
async fn could_not_run_exits_2() {
    let dir = tempfile::tempdir().expect("a folder");
    let mut cmd = np6("http://127.0.0.1:9");
    cmd.args(["bounces", "import"])
        .arg(dir.path().join("missing.csv"));
    let missing = run(cmd, b"").await;
    assert_eq!(code(&missing), Some(2));

    let mut cmd = np6("http://127.0.0.1:9");
    cmd.args(["bounces", "import", "-"]);
    let no_columns = run(cmd, b"a,b\n1,2\n").await;
    assert_eq!(code(&no_columns), Some(2));
    assert!(
        stderr(&no_columns).contains("target_id"),
        "{}",
        stderr(&no_columns)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_key_stops_the_import_with_2_and_journals_nothing() {
    let server = FaultServer::start(FaultConfig::default().require_key("another key"))
        .await
        .expect("a server");
    let dir = tempfile::tempdir().expect("a folder");
    let (input, journal) = (dir.path().join("in.csv"), dir.path().join("journal"));
    std::fs::write(&input, csv(100, 0)).expect("the input");
    let mut cmd = np6(&server.base_url());
    cmd.args(["bounces", "import"])
        .arg(&input)
        .arg("--journal")
        .arg(&journal);
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("401"), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("fault-401"),
        "request id: {}",
        stderr(&output)
    );
    let journaled = std::fs::read_to_string(&journal).expect("the journal");
    assert_eq!(journaled.lines().count(), 1, "only its header: {journaled}");
    // Far fewer calls than records: the import stopped at the first 401.
    assert!(
        server.counts().requests < 50,
        "{:?}",
        server.counts().requests
    );
}

/// Waits until the server has recorded at least `count` bounces.
async fn wait_for(server: &FaultServer, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.counts().bounces.len() < count {
        assert!(Instant::now() < deadline, "the import did not progress");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_import_resumes_without_loss_or_resending() {
    const RECORDS: usize = 300;
    const CONCURRENCY: usize = 4;
    let server = FaultServer::start(FaultConfig::default().delay(Duration::from_millis(20)))
        .await
        .expect("a server");
    let dir = tempfile::tempdir().expect("a folder");
    let (input, journal) = (dir.path().join("in.csv"), dir.path().join("journal"));
    std::fs::write(&input, csv(RECORDS, 0)).expect("the input");
    let command = || {
        let mut cmd = np6(&server.base_url());
        cmd.args([
            "bounces",
            "import",
            "--concurrency",
            &CONCURRENCY.to_string(),
        ])
        .arg(&input)
        .arg("--journal")
        .arg(&journal)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
        cmd
    };

    // Ctrl-C after a while: the import stops, says so, and exits 2.
    let child = command().spawn().expect("np6 starts");
    wait_for(&server, 60).await;
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(interrupted.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("the runner")
        .expect("np6 ends");
    common::assert_key_absent(&output);
    assert_eq!(code(&output), Some(2));
    assert!(
        stderr(&output).contains("interrupted"),
        "{}",
        stderr(&output)
    );

    // A crash (SIGKILL) later on.
    let mut child = command().spawn().expect("np6 starts");
    wait_for(&server, 150).await;
    child.kill().expect("killed");
    let _ = tokio::task::spawn_blocking(move || child.wait()).await;

    // The third run finishes the job.
    let last = run(command(), b"").await;
    assert_eq!(code(&last), Some(0), "{}", stderr(&last));
    assert!(
        stderr(&last).contains("already done (journal)"),
        "{}",
        stderr(&last)
    );

    let counts = server.counts().bounces;
    assert_eq!(counts.len(), RECORDS, "every record sent");
    let resent: u32 = counts.values().map(|n| n - 1).sum();
    // Only calls in flight at each interruption may have been sent twice.
    assert!(
        resent as usize <= 2 * CONCURRENCY,
        "{resent} records sent twice"
    );
}
