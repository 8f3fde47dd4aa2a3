//! Exit codes a script can act on, with real processes: usage errors, a
//! refused key, NP6 unreachable, a state file another run holds, and
//! `redlist` stopped by SIGINT and SIGTERM.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{code, np6, run, stderr, stdout};
use np6_loopback::fault::{FaultConfig, FaultServer};

/// Waits until the server has seen at least `count` requests arrive.
async fn wait_received(server: &FaultServer, count: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.counts().received < count {
        assert!(Instant::now() < deadline, "no request came");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_errors_exit_2() {
    for args in [
        vec!["--no-such-flag", "redlist", "mail"],
        vec!["redlist", "mail", "--since", "someday"],
        vec!["redlist", "fax"],
    ] {
        let mut cmd = np6("http://127.0.0.1:9");
        cmd.args(&args);
        let output = run(cmd, b"").await;
        assert_eq!(code(&output), Some(2), "{args:?}: {}", stderr(&output));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_help_lists_the_exit_codes() {
    let mut cmd = np6("http://127.0.0.1:9");
    cmd.arg("--help");
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(0));
    let help = stdout(&output);
    for line in [
        "Exit codes:",
        "  3    NP6 refused the key",
        "  4    NP6 unreachable",
        "  5    busy",
        "  130  stopped by SIGINT",
        "  143  stopped by SIGTERM",
    ] {
        assert!(help.contains(line), "{line:?} missing: {help}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_key_exits_3_and_an_unreachable_np6_exits_4() {
    let server = FaultServer::start(FaultConfig::default().require_key("another key"))
        .await
        .expect("a server");
    let mut cmd = np6(&server.base_url());
    cmd.args(["redlist", "mail"]);
    let refused = run(cmd, b"").await;
    assert_eq!(code(&refused), Some(3), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("401"), "{}", stderr(&refused));

    // Nothing listens on the discard port of loopback.
    let mut cmd = np6("http://127.0.0.1:9");
    cmd.args(["redlist", "sms"]);
    let unreachable = run(cmd, b"").await;
    assert_eq!(code(&unreachable), Some(4), "{}", stderr(&unreachable));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_state_file_in_use_is_busy_and_its_window_exported_once() {
    let server = FaultServer::start(FaultConfig::default().delay(Duration::from_secs(2)))
        .await
        .expect("a server");
    let dir = tempfile::tempdir().expect("a folder");
    let state = dir.path().join("state.json");
    let command = |output: &str| {
        let mut cmd = np6(&server.base_url());
        cmd.args(["redlist", "mail", "--since", "2026-10-01T00:00:00Z"])
            .arg("--state")
            .arg(&state)
            .arg("--output")
            .arg(dir.path().join(output))
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        cmd
    };
    let first = command("first.csv").spawn().expect("np6 starts");
    // The first run holds the lock while it waits for NP6.
    wait_received(&server, 1).await;
    let second = run(command("second.csv"), b"").await;
    assert_eq!(code(&second), Some(5), "{}", stderr(&second));
    let message = stderr(&second);
    assert!(
        message.contains("state.json") && message.contains("another np6 run"),
        "{message}"
    );
    let first = common::finish(first).await;
    assert_eq!(code(&first), Some(0), "{}", stderr(&first));
    assert_eq!(server.counts().redlist_queries.len(), 1, "one export");
    assert!(!dir.path().join("second.csv").exists());
    // Once the first has ended, the next run starts where it ended.
    let third = run(command("third.csv"), b"").await;
    assert_eq!(code(&third), Some(0), "{}", stderr(&third));
    assert_eq!(server.counts().redlist_queries.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signal_stops_a_redlist_with_130_or_143_and_nothing_written() {
    let server = FaultServer::start(FaultConfig::default().delay(Duration::from_secs(30)))
        .await
        .expect("a server");
    let dir = tempfile::tempdir().expect("a folder");
    let (out, state) = (dir.path().join("out.csv"), dir.path().join("state.json"));
    std::fs::write(&out, "old output\n").expect("an output");
    std::fs::write(&state, r#"{"until":"2026-10-01T00:00:00Z"}"#).expect("a state");
    let before = (
        std::fs::read(&out).expect("out"),
        std::fs::read(&state).expect("state"),
    );
    for (nth, (signal, expected)) in [("TERM", 143), ("INT", 130)].into_iter().enumerate() {
        let mut cmd = np6(&server.base_url());
        cmd.args(["redlist", "mail", "--until", "2026-11-01T00:00:00Z"])
            .arg("--output")
            .arg(&out)
            .arg("--state")
            .arg(&state)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let child = cmd.spawn().expect("np6 starts");
        wait_received(&server, nth as u64 + 1).await;
        let sent = std::process::Command::new("kill")
            .args(["-s", signal, &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        let output = common::finish(child).await;
        assert_eq!(code(&output), Some(expected), "{}", stderr(&output));
        assert!(
            stderr(&output).contains(&format!("SIG{signal}")),
            "{}",
            stderr(&output)
        );
        let after = (
            std::fs::read(&out).expect("out"),
            std::fs::read(&state).expect("state"),
        );
        assert_eq!(after, before, "output and state unchanged");
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("the folder")
            .map(|e| e.expect("an entry").file_name())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["out.csv", "state.json", "state.json.lock"],
            "no temporary file left"
        );
    }
}
