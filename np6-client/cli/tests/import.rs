//! `np6 bounces import`: formats, rejects, exit codes, the pace against a
//! server slower than `--rate`, NP6 unreachable, and the JSON summary.
//! (Stops by signal and crashes: `import_stop.rs`.)

mod common;

use std::fmt::Write as _;

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
        Some("line,error,target_id,field_id,type,message,timestamp")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 6, "{rejected}");
    assert!(rows.iter().any(|r| r.starts_with("2,")
        && r.contains("400")
        && r.ends_with(",BAD0,788,hardUser,550 unknown user,2026-11-01T10:00:00Z")));
    assert!(
        rows.iter()
            .any(|r| r.starts_with("52,") && r.ends_with(",T-no-field,notanumber,hardUser,,"))
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
            r#"{{"target_id":"N{i}","field_id":788,"type":"hardDomain"}}"#
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
async fn a_refused_key_stops_the_import_with_3_and_journals_nothing() {
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
    assert_eq!(code(&output), Some(3), "{}", stderr(&output));
    assert!(stderr(&output).contains("401"), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("fault-401"),
        "request id: {}",
        stderr(&output)
    );
    let journaled = std::fs::read_to_string(&journal).expect("the journal");
    assert!(
        journaled.lines().all(|line| line.starts_with("# ")),
        "only its header: {journaled}"
    );
    // Far fewer calls than records: the import stopped at the first 401.
    assert!(
        server.counts().requests < 50,
        "{:?}",
        server.counts().requests
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rate_ten_times_the_servers_rejects_nothing_and_sends_everything() {
    const RECORDS: usize = 300;
    let server = FaultServer::start(FaultConfig::default().rate(40.0))
        .await
        .expect("a server");
    let dir = tempfile::tempdir().expect("a folder");
    let input = dir.path().join("in.csv");
    std::fs::write(&input, csv(RECORDS, 0)).expect("the input");
    let mut cmd = np6(&server.base_url());
    cmd.args(["bounces", "import", "--rate", "400", "--summary", "json"])
        .arg(&input);
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    let summary: serde_json::Value =
        serde_json::from_str(common::stdout(&output).trim()).expect("a JSON summary");
    assert_eq!(summary["sent"], RECORDS);
    assert_eq!(summary["rejected"], 0);
    assert_eq!(summary["pending"], 0);
    let counts = server.counts();
    assert_eq!(counts.bounces.len(), RECORDS);
    assert!(
        counts.bounces.values().all(|n| *n == 1),
        "a record sent twice"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn nonsense_rates_and_concurrencies_are_usage_errors() {
    for flags in [
        ["--rate", "0"],
        ["--rate", "-5"],
        ["--rate", "nan"],
        ["--rate", "inf"],
        ["--concurrency", "0"],
        ["--patience", "soon"],
    ] {
        let mut cmd = np6("http://127.0.0.1:9");
        cmd.args(["bounces", "import", "-"]).args(flags);
        let output = run(cmd, b"").await;
        assert_eq!(code(&output), Some(2), "{flags:?}: {}", stderr(&output));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn np6_unreachable_past_the_patience_exits_4_with_records_pending() {
    let dir = tempfile::tempdir().expect("a folder");
    let (input, journal) = (dir.path().join("in.csv"), dir.path().join("journal"));
    std::fs::write(&input, csv(20, 0)).expect("the input");
    // Nothing listens on port 9 of loopback: every call fails to connect.
    let mut cmd = np6("http://127.0.0.1:9");
    cmd.args([
        "bounces",
        "import",
        "--patience",
        "2s",
        "--concurrency",
        "4",
    ])
    .args(["--summary", "json", "--quiet"])
    .arg(&input)
    .arg("--journal")
    .arg(&journal);
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(4), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("--patience"),
        "{}",
        stderr(&output)
    );
    assert!(
        !stderr(&output).contains(" sent, "),
        "--quiet: {}",
        stderr(&output)
    );
    let summary: serde_json::Value =
        serde_json::from_str(common::stdout(&output).trim()).expect("a JSON summary");
    assert_eq!(summary["sent"], 0);
    // Records read and not sent: the calls running (4), and up to as many
    // waiting for their retry.
    let pending = summary["pending"].as_u64().expect("a count");
    assert!((4..=8).contains(&pending), "{summary}");
    let journaled = std::fs::read_to_string(&journal).expect("the journal");
    assert_eq!(
        journaled.lines().filter(|l| !l.starts_with('#')).count(),
        0,
        "only its header: {journaled}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn what_the_import_waits_for_is_shown_on_stderr_unless_quiet() {
    let dir = tempfile::tempdir().expect("a folder");
    let input = dir.path().join("in.csv");
    std::fs::write(&input, csv(5, 0)).expect("the input");
    // Not a terminal: a plain progress line every 5 s.
    let mut cmd = np6("http://127.0.0.1:9");
    cmd.args(["bounces", "import", "--patience", "7s"])
        .arg(&input);
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(4), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("no answer from NP6 for ")
            && stderr(&output).contains(", next try in "),
        "{}",
        stderr(&output)
    );
}
