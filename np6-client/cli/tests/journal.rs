//! `np6 bounces import`'s files against a counting server: outputs that
//! would destroy the input, a journal that knows its job, and a journal
//! locked against a second, overlapping run.

mod common;

use std::fmt::Write as _;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{code, np6, run, stderr};
use np6_loopback::fault::{FaultConfig, FaultServer};

fn csv(records: usize, prefix: &str) -> String {
    let mut text = "target_id,field_id,type,message,timestamp\n".to_owned();
    for i in 0..records {
        let _ = writeln!(text, "{prefix}{i},788,hardUser,550 unknown user,");
    }
    text
}

fn import(server: &FaultServer, input: &Path) -> std::process::Command {
    let mut cmd = np6(&server.base_url());
    cmd.args(["bounces", "import"]).arg(input);
    cmd
}

#[tokio::test(flavor = "multi_thread")]
async fn an_output_naming_the_input_is_refused_and_nothing_sent() {
    let server = FaultServer::start(FaultConfig::default())
        .await
        .expect("a server");
    let dir = tempfile::tempdir().expect("a folder");
    let big = dir.path().join("big.csv");
    let text = csv(3_000, "T");
    std::fs::write(&big, &text).expect("the input");
    std::fs::create_dir(dir.path().join("sub")).expect("a folder");
    let new = dir.path().join("new");
    for (flag, path) in [
        ("--rejects", big.clone()),
        ("--journal", big.clone()),
        ("--rejects", dir.path().join("sub/../big.csv")),
    ] {
        let mut cmd = import(&server, &big);
        cmd.arg(flag).arg(&path);
        let refused = run(cmd, b"").await;
        assert_eq!(code(&refused), Some(2), "{flag}: {}", stderr(&refused));
        assert!(
            stderr(&refused).contains("same file as the input"),
            "{}",
            stderr(&refused)
        );
    }
    // Two outputs on one file not there yet, by two spellings.
    let mut cmd = import(&server, &big);
    cmd.arg("--rejects")
        .arg(&new)
        .arg("--journal")
        .arg(dir.path().join("sub/../new"));
    let refused = run(cmd, b"").await;
    assert_eq!(code(&refused), Some(2), "{}", stderr(&refused));
    assert!(!new.exists(), "nothing created");
    assert_eq!(std::fs::read_to_string(&big).expect("the input"), text);
    assert_eq!(server.counts().received, 0, "nothing sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_journal_refuses_another_input_and_stdin() {
    let server = FaultServer::start(FaultConfig::default())
        .await
        .expect("a server");
    let dir = tempfile::tempdir().expect("a folder");
    let (a, b, journal) = (
        dir.path().join("a.csv"),
        dir.path().join("b.csv"),
        dir.path().join("import.journal"),
    );
    std::fs::write(&a, csv(20, "A")).expect("a");
    std::fs::write(&b, csv(20, "B")).expect("b");
    let mut cmd = import(&server, &a);
    cmd.arg("--journal").arg(&journal);
    let first = run(cmd, b"").await;
    assert_eq!(code(&first), Some(0), "{}", stderr(&first));
    assert_eq!(server.counts().bounces.len(), 20);
    let journaled = std::fs::read(&journal).expect("the journal");

    let mut cmd = import(&server, &b);
    cmd.arg("--journal").arg(&journal);
    let refused = run(cmd, b"").await;
    assert_eq!(code(&refused), Some(2), "{}", stderr(&refused));
    let message = stderr(&refused);
    assert!(
        message.contains("a.csv") && message.contains("b.csv"),
        "names both inputs: {message}"
    );
    assert_eq!(server.counts().received, 20, "nothing of b.csv sent");
    assert_eq!(std::fs::read(&journal).expect("the journal"), journaled);

    // The same input against another server is another job too.
    let elsewhere = FaultServer::start(FaultConfig::default())
        .await
        .expect("a server");
    let mut cmd = import(&elsewhere, &a);
    cmd.arg("--journal").arg(&journal);
    let refused = run(cmd, b"").await;
    assert_eq!(code(&refused), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("base_url"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(elsewhere.counts().received, 0);

    let mut cmd = np6(&server.base_url());
    cmd.args(["bounces", "import", "-", "--journal"])
        .arg(dir.path().join("stdin.journal"));
    let refused = run(cmd, csv(3, "S").as_bytes()).await;
    assert_eq!(code(&refused), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("stdin"), "{}", stderr(&refused));
    assert!(
        !dir.path().join("stdin.journal").exists(),
        "no journal made"
    );

    let mut cmd = import(&server, &dir.path().join("missing.csv"));
    cmd.arg("--journal").arg(dir.path().join("missing.journal"));
    let refused = run(cmd, b"").await;
    assert_eq!(code(&refused), Some(2), "{}", stderr(&refused));
    assert!(
        !dir.path().join("missing.journal").exists(),
        "no journal made"
    );
    assert_eq!(server.counts().received, 20);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_run_on_a_journal_in_use_is_busy_and_every_record_is_sent_once() {
    const RECORDS: usize = 200;
    let server = FaultServer::start(FaultConfig::default().delay(Duration::from_millis(20)))
        .await
        .expect("a server");
    let dir = tempfile::tempdir().expect("a folder");
    let (input, journal) = (dir.path().join("in.csv"), dir.path().join("journal"));
    std::fs::write(&input, csv(RECORDS, "T")).expect("the input");
    let command = || {
        let mut cmd = import(&server, &input);
        cmd.args(["--concurrency", "4"])
            .arg("--journal")
            .arg(&journal)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        cmd
    };
    let first = command().spawn().expect("np6 starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.counts().received == 0 {
        assert!(Instant::now() < deadline, "the first run sent nothing");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let started = Instant::now();
    let second = run(command(), b"").await;
    assert_eq!(code(&second), Some(5), "{}", stderr(&second));
    let message = stderr(&second);
    assert!(
        message.contains("journal") && message.contains("another np6 run"),
        "{message}"
    );
    // Refused at once, not after waiting for the first: the first is still
    // running (it needs 200 x 20 ms / 4 = 1 s at least).
    assert!(
        server.counts().bounces.len() < RECORDS,
        "the first run had ended before the second was refused ({:?})",
        started.elapsed()
    );
    let first = tokio::task::spawn_blocking(move || first.wait_with_output())
        .await
        .expect("the runner")
        .expect("np6 ends");
    common::assert_key_absent(&first);
    assert_eq!(code(&first), Some(0), "{}", stderr(&first));
    let counts = server.counts().bounces;
    assert_eq!(counts.len(), RECORDS, "every record sent");
    assert!(counts.values().all(|&n| n == 1), "each once: {counts:?}");
    // The pace the run found is kept for the next run of the job, and the
    // next run reads it (nothing left to send: it sends nothing).
    let text = std::fs::read_to_string(&journal).expect("the journal");
    let pace: f64 = text
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix("pace "))
        .and_then(|rate| rate.parse().ok())
        .unwrap_or_else(|| panic!("a pace line: {text}"));
    assert!(pace.is_finite() && pace > 0.0, "{text}");
    let again = run(command(), b"").await;
    assert_eq!(code(&again), Some(0), "{}", stderr(&again));
    assert_eq!(server.counts().bounces.len(), RECORDS, "nothing sent again");
    assert!(
        server.counts().bounces.values().all(|&n| n == 1),
        "nothing sent again"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_journal_records_the_delimiter_used_given_or_detected() {
    let server = FaultServer::start(FaultConfig::default())
        .await
        .expect("a server");
    let dir = tempfile::tempdir().expect("a folder");
    let (input, journal) = (dir.path().join("a.csv"), dir.path().join("j"));
    std::fs::write(&input, csv(5, "D")).expect("the input");
    let mut cmd = import(&server, &input);
    cmd.arg("--journal").arg(&journal);
    let first = run(cmd, b"").await;
    assert_eq!(code(&first), Some(0), "{}", stderr(&first));
    assert!(
        std::fs::read_to_string(&journal)
            .expect("the journal")
            .contains("# setting delimiter=,\n")
    );
    // The delimiter detected, now given: the same job, nothing sent again.
    let mut cmd = import(&server, &input);
    cmd.arg("--journal")
        .arg(&journal)
        .args(["--delimiter", ","]);
    let again = run(cmd, b"").await;
    assert_eq!(code(&again), Some(0), "{}", stderr(&again));
    assert_eq!(server.counts().received, 5);
    // Another delimiter is another job.
    let mut cmd = import(&server, &input);
    cmd.arg("--journal")
        .arg(&journal)
        .args(["--delimiter", ";"]);
    let refused = run(cmd, b"").await;
    assert_eq!(code(&refused), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("delimiter"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(server.counts().received, 5);
}
