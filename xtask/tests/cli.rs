//! The `cargo xtask` binary as a user runs it: exit codes, output formats,
//! the standalone mock, a stdout closed early.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};

use serde_json::Value;

fn here(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The deliberately broken fixtures of `np6-checks` (one error each).
fn broken() -> String {
    here("checks/tests/broken")
        .to_str()
        .expect("UTF-8 path")
        .to_owned()
}

fn broken_count() -> usize {
    std::fs::read_dir(broken()).expect("readable").count()
}

fn xtask(args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .expect("xtask runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.code().unwrap_or(-1), text)
}

#[test]
fn exit_codes_are_0_valid_1_invalid_2_usage() {
    let broken = &broken();
    assert_eq!(xtask(&["validate"]).0, 0);
    assert_eq!(xtask(&["validate", "--fixtures", broken]).0, 1);
    let (code, text) = xtask(&["validate", "--fixtures", "/no/such/folder"]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("no fixtures at /no/such/folder"), "{text}");
    assert_eq!(xtask(&["validate", "--format", "yaml"]).0, 2);
    assert_eq!(xtask(&["validate", "--spec", "/no/spec.yaml"]).0, 2);
}

#[test]
fn json_output_lists_fixtures_and_a_summary() {
    let (code, text) = xtask(&["validate", "--format", "json", "--fixtures", &broken()]);
    assert_eq!(code, 1);
    let report: Value = serde_json::from_str(&text).expect("JSON");
    let fixtures = report["fixtures"].as_array().expect("a list");
    assert_eq!(fixtures.len(), broken_count());
    for fixture in fixtures {
        assert_eq!(fixture["valid"], false);
        assert!(fixture["file"].is_string() && fixture.get("operation").is_some());
        assert!(
            fixture["errors"][0]["location"].is_string()
                && fixture["errors"][0]["message"].is_string()
        );
    }
    assert_eq!(report["summary"]["invalid"], broken_count());
}

/// `xtask mock` running on a free port.
struct MockProcess {
    child: Child,
    stdout: BufReader<ChildStdout>,
    /// The `host:port` it listens on.
    address: String,
}

impl MockProcess {
    fn start() -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(["mock", "--port", "0"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("xtask mock starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
        let mut first = String::new();
        stdout.read_line(&mut first).expect("the base URL line");
        let address = first
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no URL in {first:?}"))
            .to_owned();
        Self {
            child,
            stdout,
            address,
        }
    }

    /// Sends `request` on a new connection and reads the answer until the
    /// server closes it.
    fn ask(&self, request: &str) -> String {
        let mut stream = TcpStream::connect(&self.address).expect("connects");
        stream.write_all(request.as_bytes()).expect("sent");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read");
        answer
    }

    /// The next `count` lines of its request log.
    fn read_log(&mut self, count: usize) -> Vec<String> {
        let mut lines = Vec::new();
        for _ in 0..count {
            let mut line = String::new();
            self.stdout.read_line(&mut line).expect("a log line");
            lines.push(line);
        }
        lines
    }
}

impl Drop for MockProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn mock_serves_the_fixtures_and_logs_each_request() {
    let mut mock = MockProcess::start();
    let get = |path: &str, key: bool| {
        let key = if key { "X-Key: any\r\n" } else { "" };
        mock.ask(&format!(
            "GET {path} HTTP/1.1\r\nhost: x\r\n{key}connection: close\r\n\r\n"
        ))
    };
    assert!(get("/targets/redlist/mail", true).starts_with("HTTP/1.1 200"));
    assert!(get("/targets/redlist/mail", false).starts_with("HTTP/1.1 401"));
    assert!(get("/nowhere", true).starts_with("HTTP/1.1 404"));

    let lines = mock.read_log(3);
    assert!(
        lines[0].contains("fixture=documentation/getMailRedlist-200-two-entries.yaml"),
        "{lines:?}"
    );
    assert!(lines[1].contains("401"), "{lines:?}");
    assert!(
        lines[2].contains("404") && lines[2].contains("closest="),
        "{lines:?}"
    );
}

#[test]
fn a_stdout_closed_early_ends_the_command_quietly() {
    // `cargo xtask validate | head -0`: the reader is gone before the
    // command writes; it must end with its own exit code, not a panic.
    for (args, expected) in [
        (
            vec!["validate".to_owned(), "--fixtures".to_owned(), broken()],
            1,
        ),
        (
            vec![
                "validate".to_owned(),
                "--format".to_owned(),
                "json".to_owned(),
            ],
            0,
        ),
        (vec!["coverage".to_owned()], 0),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("xtask runs");
        drop(child.stdout.take());
        let output = child.wait_with_output().expect("xtask ends");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn xtask_mock_refuses_a_huge_body_and_keeps_serving() {
    let mut mock = MockProcess::start();
    // Idle connections that never send a byte, then a body far over the
    // front server's limit: a 413, and the mock still answers.
    let idle: Vec<_> = (0..64)
        .map(|_| TcpStream::connect(&mock.address).expect("connects"))
        .collect();
    let mut stream = TcpStream::connect(&mock.address).expect("connects");
    let huge = 64 << 20;
    write!(
        stream,
        "PUT /targets/x/bounces/788 HTTP/1.1\r\nhost: x\r\nX-Key: any\r\ncontent-type: application/json\r\ncontent-length: {huge}\r\n\r\n"
    )
    .expect("sent");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    drop(idle);

    let answer = mock.ask(
        "GET /targets/redlist/mail HTTP/1.1\r\nhost: x\r\nX-Key: any\r\nconnection: close\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let lines = mock.read_log(2);
    assert!(
        lines[0].contains("413: request body too large"),
        "{lines:?}"
    );
    assert!(lines[1].contains("getMailRedlist"), "{lines:?}");
}
