//! The files an import writes, with real special files: a descriptor the
//! shell opened (`/dev/stderr` into a log in append mode), `/dev/null`, a
//! FIFO, dangling links, `-`, a pipe as input, the key file; against a
//! counting server.

#![cfg(unix)]

mod common;

use std::fmt::Write as _;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::{CANARY, code, np6, run, stderr};
use np6_loopback::fault::{FaultConfig, FaultServer};

/// `records` rows, the targets starting with `X` refused by the server.
fn csv(targets: &[&str]) -> String {
    let mut text = "target_id,field_id,type,message,timestamp\n".to_owned();
    for target in targets {
        let _ = writeln!(text, "{target},788,hardUser,550 unknown user,");
    }
    text
}

fn import(server: &FaultServer, input: &Path) -> std::process::Command {
    let mut cmd = np6(&server.base_url());
    cmd.args(["bounces", "import"]).arg(input);
    cmd
}

async fn rejecting_server() -> FaultServer {
    FaultServer::start(FaultConfig::default().reject_prefix("X"))
        .await
        .expect("a server")
}

fn appending(path: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("opened to append")
}

#[tokio::test(flavor = "multi_thread")]
async fn rejects_to_dev_stderr_append_to_the_log_the_shell_opened() {
    let server = rejecting_server().await;
    let dir = tempfile::tempdir().expect("a folder");
    let input = dir.path().join("one.csv");
    std::fs::write(&input, csv(&["T1", "X2", "T3"])).expect("the input");
    let log = dir.path().join("err.log");
    std::fs::write(&log, "OLD\n").expect("a log");
    let mut cmd = import(&server, &input);
    cmd.args(["--rejects", "/dev/stderr"]);
    let output = common::run_with(cmd, Stdio::null(), Stdio::null(), appending(&log).into()).await;
    let text = std::fs::read_to_string(&log).expect("the log");
    assert_eq!(code(&output), Some(1), "{text}");
    assert!(text.starts_with("OLD\n"), "the log kept: {text}");
    assert!(text.contains("\n3,\"") && text.contains("X2,788"), "{text}");
    assert!(!text.contains(CANARY));
    assert!(
        std::fs::symlink_metadata(&log)
            .expect("the log")
            .file_type()
            .is_file()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rejects_into_dev_null_a_fifo_and_a_pipe_exit_1_not_2() {
    let server = rejecting_server().await;
    let dir = tempfile::tempdir().expect("a folder");
    let input = dir.path().join("one.csv");
    std::fs::write(&input, csv(&["T1", "X2"])).expect("the input");

    let mut cmd = import(&server, &input);
    cmd.args(["--rejects", "/dev/null"]);
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(1), "{}", stderr(&output));

    // Stdout a pipe, the rejects written into it.
    let mut cmd = import(&server, &input);
    cmd.args(["--rejects", "/dev/stdout"]);
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(1), "{}", stderr(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("X2,788"),
        "{output:?}"
    );

    let fifo = dir.path().join("rejects.fifo");
    let read = common::fifo_read_in_background(&fifo);
    let mut cmd = import(&server, &input);
    cmd.arg("--rejects").arg(&fifo);
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(1), "{}", stderr(&output));
    let received = read
        .recv_timeout(Duration::from_secs(30))
        .expect("the reader ends")
        .expect("the FIFO reads");
    assert!(received.contains("X2,788"), "{received}");
    assert!(
        std::fs::symlink_metadata(&fifo)
            .expect("the FIFO")
            .file_type()
            .is_fifo()
    );
}

use std::os::unix::fs::FileTypeExt;

#[tokio::test(flavor = "multi_thread")]
async fn a_journal_that_is_not_a_regular_file_is_refused_before_any_call() {
    let server = rejecting_server().await;
    let dir = tempfile::tempdir().expect("a folder");
    let input = dir.path().join("one.csv");
    std::fs::write(&input, csv(&["T1", "T2", "T3"])).expect("the input");
    let mut cmd = import(&server, &input);
    cmd.args(["--journal", "/dev/null"]);
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("not a regular file"),
        "{}",
        stderr(&output)
    );
    assert_eq!(server.counts().received, 0, "nothing sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_journal_for_a_piped_input_is_refused_before_it_is_read() {
    let server = rejecting_server().await;
    let dir = tempfile::tempdir().expect("a folder");
    let journal = dir.path().join("jf");
    let mut cmd = np6(&server.base_url());
    cmd.args(["bounces", "import", "/dev/stdin", "--journal"])
        .arg(&journal);
    let output = run(cmd, csv(&["T1", "T2"]).as_bytes()).await;
    assert_eq!(code(&output), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("regular file"),
        "{}",
        stderr(&output)
    );
    assert!(!journal.exists(), "no journal written");
    assert_eq!(server.counts().received, 0, "nothing sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dangling_link_to_the_journal_is_the_journal() {
    let server = rejecting_server().await;
    let dir = tempfile::tempdir().expect("a folder");
    let input = dir.path().join("b.csv");
    std::fs::write(&input, csv(&["T1", "X2"])).expect("the input");
    let link = dir.path().join("rl");
    std::os::unix::fs::symlink("j1", &link).expect("a link");
    let mut cmd = import(&server, &input);
    cmd.arg("--journal")
        .arg(dir.path().join("j1"))
        .arg("--rejects")
        .arg(&link);
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("same file"), "{}", stderr(&output));
    assert!(!dir.path().join("j1").exists());
    assert_eq!(server.counts().received, 0, "nothing sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dash_is_refused_for_the_journal_and_the_rejects() {
    let server = rejecting_server().await;
    let dir = tempfile::tempdir().expect("a folder");
    let input = dir.path().join("b.csv");
    std::fs::write(&input, csv(&["T1", "X2"])).expect("the input");
    for flags in [
        &["--journal", "-"][..],
        &["--rejects", "-"],
        &["--journal", "-", "--rejects", "-"],
    ] {
        let mut cmd = import(&server, &input);
        cmd.args(flags).current_dir(dir.path());
        let output = run(cmd, b"").await;
        assert_eq!(code(&output), Some(2), "{flags:?}: {}", stderr(&output));
        assert!(
            stderr(&output).contains("needs a file"),
            "{}",
            stderr(&output)
        );
    }
    assert!(!dir.path().join("-").exists(), "no file named -");
    assert_eq!(server.counts().received, 0, "nothing sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_json_summary_and_rejects_on_stdout_are_refused() {
    let server = rejecting_server().await;
    let dir = tempfile::tempdir().expect("a folder");
    let input = dir.path().join("b.csv");
    std::fs::write(&input, csv(&["T1", "X2"])).expect("the input");
    let mut cmd = import(&server, &input);
    cmd.args(["--summary", "json", "--rejects", "/dev/stdout"]);
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("mix on stdout"),
        "{}",
        stderr(&output)
    );
    assert_eq!(server.counts().received, 0, "nothing sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_key_file_is_never_an_output() {
    let server = rejecting_server().await;
    let dir = tempfile::tempdir().expect("a folder");
    let input = dir.path().join("b.csv");
    std::fs::write(&input, csv(&["T1", "X2"])).expect("the input");
    let key = dir.path().join("key3");
    std::fs::write(&key, format!("{CANARY}\n")).expect("a key file");
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod");
    for flag in ["--rejects", "--journal"] {
        let mut cmd = import(&server, &input);
        cmd.env_remove("NP6_API_KEY")
            .env("NP6_KEY_FILE", &key)
            .arg(flag)
            .arg(&key);
        let output = run(cmd, b"").await;
        assert_eq!(code(&output), Some(2), "{flag}: {}", stderr(&output));
        assert!(
            stderr(&output).contains("the key file"),
            "{}",
            stderr(&output)
        );
    }
    assert_eq!(
        std::fs::read_to_string(&key).expect("the key"),
        format!("{CANARY}\n")
    );
    assert_eq!(server.counts().received, 0, "nothing sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_quote_left_open_is_rejected_not_sent_with_the_rest_of_the_file() {
    let server = rejecting_server().await;
    let dir = tempfile::tempdir().expect("a folder");
    let input = dir.path().join("open.csv");
    std::fs::write(
        &input,
        "target_id,field_id,type,message,timestamp\n\
         T1,788,hardUser,fine,\n\
         T2,788,hardUser,\"oops,\n\
         T3,788,hardUser,x,\n\
         T4,788,hardUser,x,\n\
         T5,788,hardUser,x,\n",
    )
    .expect("the input");
    let rejects = dir.path().join("rejects.csv");
    let mut cmd = import(&server, &input);
    cmd.arg("--rejects").arg(&rejects);
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(1), "{}", stderr(&output));
    let counts = server.counts();
    assert_eq!(counts.received, 1, "only T1 sent: {counts:?}");
    assert!(counts.bounces.contains_key("T1"), "{counts:?}");
    let rejected = std::fs::read_to_string(&rejects).expect("the rejects");
    assert!(
        rejected.contains("3,\"the quote opened on line 3 is not closed"),
        "{rejected}"
    );
    assert!(
        rejected.contains("T5,788"),
        "the bytes kept to fix: {rejected}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_quote_left_open_in_the_header_is_refused() {
    let server = rejecting_server().await;
    let dir = tempfile::tempdir().expect("a folder");
    let input = dir.path().join("open.csv");
    std::fs::write(
        &input,
        "target_id,field_id,type,\"message,timestamp\nT1,788,hardUser,x,\nT2,788,hardUser,x,\n",
    )
    .expect("the input");
    let output = run(import(&server, &input), b"").await;
    assert_eq!(code(&output), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("quote opened on line 1"),
        "{}",
        stderr(&output)
    );
    assert_eq!(server.counts().received, 0, "nothing sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn rejects_naming_the_file_stdin_reads_are_refused() {
    let server = rejecting_server().await;
    let dir = tempfile::tempdir().expect("a folder");
    let big = dir.path().join("big.csv");
    let text = csv(&["T1", "X2", "T3"]);
    std::fs::write(&big, &text).expect("the input");
    for input in ["-", "/dev/stdin"] {
        let mut cmd = np6(&server.base_url());
        cmd.args(["bounces", "import", input, "--rejects"])
            .arg(&big);
        let stdin = std::fs::File::open(&big).expect("the input");
        let output = common::run_with(cmd, stdin.into(), Stdio::null(), Stdio::piped()).await;
        assert_eq!(code(&output), Some(2), "{input}: {}", stderr(&output));
        assert!(stderr(&output).contains("same file"), "{}", stderr(&output));
    }
    assert_eq!(std::fs::read_to_string(&big).expect("the input"), text);
    assert_eq!(server.counts().received, 0, "nothing sent");
}
