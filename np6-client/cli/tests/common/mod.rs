//! Shared by the command-line tests: running `np6` with a canary key, and
//! checking that the key never shows in what it prints.

#![allow(dead_code)] // Each test file uses its own part.

use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The key every test passes: it must never appear in any output.
pub const CANARY: &str = "canary-KEY-5f3e9a1c";

/// `np6` with the canary key and `base_url`, nothing else from the
/// environment that could change its behaviour.
pub fn np6(base_url: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("np6"));
    cmd.env_clear()
        .env("NP6_API_KEY", CANARY)
        .env("NP6_BASE_URL", base_url)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    cmd
}

/// Runs `cmd` with `stdin`, bounded in time; checks the canary is absent.
pub async fn run(mut cmd: std::process::Command, stdin: &[u8]) -> Output {
    let stdin = stdin.to_vec();
    bounded(tokio::task::spawn_blocking(move || {
        cmd.stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().expect("np6 starts");
        if let Some(mut input) = child.stdin.take() {
            let _ = input.write_all(&stdin);
        }
        child.wait_with_output().expect("np6 ends")
    }))
    .await
}

/// Runs `cmd` with stdin, stdout and stderr as given, bounded in time;
/// checks the canary is absent from what was captured.
pub async fn run_with(
    mut cmd: std::process::Command,
    stdin: Stdio,
    stdout: Stdio,
    stderr: Stdio,
) -> Output {
    bounded(tokio::task::spawn_blocking(move || {
        cmd.stdin(stdin).stdout(stdout).stderr(stderr);
        cmd.output().expect("np6 runs")
    }))
    .await
}

/// The output of `runner` (np6 run on a blocking thread), waited for at
/// most 2 minutes; checks the canary is absent.
async fn bounded(runner: tokio::task::JoinHandle<Output>) -> Output {
    let output = tokio::time::timeout(Duration::from_secs(120), runner)
        .await
        .expect("np6 ends within 2 minutes")
        .expect("the runner");
    assert_key_absent(&output);
    output
}

/// Makes a FIFO at `path` and reads it whole on a thread of its own; the
/// text comes through the receiver once the writer closes it.
pub fn fifo_read_in_background(path: &Path) -> mpsc::Receiver<std::io::Result<String>> {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let (tell, read) = mpsc::channel();
    let reading = path.to_owned();
    std::thread::spawn(move || {
        let _ = tell.send(std::fs::read_to_string(&reading));
    });
    read
}

/// Waits for a child started with `spawn`, bounded in time; checks the key
/// is absent from what it printed.
pub async fn finish(child: std::process::Child) -> Output {
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::task::spawn_blocking(move || child.wait_with_output()),
    )
    .await
    .expect("np6 ends within a minute")
    .expect("the runner")
    .expect("np6 ends");
    assert_key_absent(&output);
    output
}

pub fn assert_key_absent(output: &Output) {
    for text in [&output.stdout, &output.stderr] {
        let text = String::from_utf8_lossy(text);
        assert!(!text.contains(CANARY), "the key was printed: {text}");
    }
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn code(output: &Output) -> Option<i32> {
    output.status.code()
}
