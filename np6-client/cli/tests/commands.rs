//! The subcommands other than `bounces import`, against the sandbox and
//! the paced NP6 of `np6_loopback::fault`.

mod common;

use common::{CANARY, code, np6, run, stderr, stdout};
use np6_client::mock::Sandbox;
use np6_loopback::fault::{FaultConfig, FaultServer};

#[tokio::test(flavor = "multi_thread")]
async fn redlist_in_every_format() {
    let sandbox = Sandbox::start().await.expect("the sandbox");
    let url = sandbox.base_url();

    let mut cmd = np6(&url);
    // The sandbox answers the window asked for: its entries are from 2008.
    cmd.args(["redlist", "mail", "--since", "2008-01-01"]);
    let csv = run(cmd, b"").await;
    assert_eq!(code(&csv), Some(0), "{}", stderr(&csv));
    let text = stdout(&csv);
    assert!(text.starts_with("id,origin,timestamp,detail\n"), "{text}");
    assert!(text.lines().count() > 1);

    let mut cmd = np6(&url);
    cmd.args(["redlist", "sms", "--format", "ndjson"]);
    let ndjson = run(cmd, b"").await;
    assert_eq!(code(&ndjson), Some(0), "{}", stderr(&ndjson));
    for line in stdout(&ndjson).lines() {
        let entry: serde_json::Value = serde_json::from_str(line).expect("one object a line");
        assert!(entry["id"].is_string());
    }

    let mut cmd = np6(&url);
    cmd.args(["redlist", "mail", "--format", "json", "-v"]);
    let json = run(cmd, b"").await;
    assert_eq!(code(&json), Some(0), "{}", stderr(&json));
    let entries: Vec<serde_json::Value> =
        serde_json::from_str(&stdout(&json)).expect("a JSON array");
    assert!(!entries.is_empty());
    // Each call says what it was: the operation, the path, the window, the
    // attempt and the status.
    for said in [
        "np6.call",
        "np6 request",
        "/targets/redlist/mail",
        "endDate=",
        "attempt=1",
        "status=200",
    ] {
        assert!(
            stderr(&json).contains(said),
            "verbose logs without {said}: {}",
            stderr(&json)
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn redlist_output_is_atomic_and_state_moves_the_window() {
    let server = FaultServer::start(FaultConfig::default())
        .await
        .expect("a server");
    let dir = tempfile::tempdir().expect("a folder");
    let (out, state) = (dir.path().join("out.csv"), dir.path().join("state.json"));
    let args = |until: &str| {
        let mut cmd = np6(&server.base_url());
        cmd.args([
            "redlist",
            "mail",
            "--since",
            "2026-10-01T00:00:00Z",
            "--until",
            until,
        ])
        .arg("--output")
        .arg(&out)
        .arg("--state")
        .arg(&state);
        cmd
    };
    let first = run(args("2026-11-01T00:00:00Z"), b"").await;
    assert_eq!(code(&first), Some(0), "{}", stderr(&first));
    assert_eq!(
        std::fs::read_to_string(&out).expect("the output"),
        "id,origin,timestamp,detail\n"
    );
    let second = run(args("2026-11-02T00:00:00Z"), b"").await;
    assert_eq!(code(&second), Some(0), "{}", stderr(&second));
    let queries = server.counts().redlist_queries;
    assert!(
        queries[0].contains("startDate=2026-09-30T23%3A59%3A59Z"),
        "{queries:?}"
    );
    // The second window starts where the first ended, not at --since (NP6
    // is asked from a second before, whichever ends it includes).
    assert!(
        queries[1].contains("startDate=2026-10-31T23%3A59%3A59Z"),
        "{queries:?}"
    );
    assert!(
        queries[1].contains("endDate=2026-11-02T00%3A00%3A00Z"),
        "{queries:?}"
    );
    // Only the output, the state and its lock file: no temporary file left.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("the folder")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    let state_name = state
        .file_name()
        .expect("a name")
        .to_string_lossy()
        .into_owned();
    let out_name = out
        .file_name()
        .expect("a name")
        .to_string_lossy()
        .into_owned();
    let mut expected = vec![out_name, format!("{state_name}.lock"), state_name];
    expected.sort();
    assert_eq!(names, expected);

    // A failed run leaves the output and the state as they were.
    let saved = std::fs::read(&state).expect("the state");
    let mut cmd = np6("http://127.0.0.1:9");
    cmd.args(["redlist", "mail", "--until", "2026-11-03T00:00:00Z"])
        .arg("--output")
        .arg(&out)
        .arg("--state")
        .arg(&state);
    let failed = run(cmd, b"").await;
    // NP6 unreachable: exit code 4.
    assert_eq!(code(&failed), Some(4));
    assert_eq!(stderr(&failed).lines().count(), 1, "{}", stderr(&failed));
    assert_eq!(std::fs::read(&state).expect("the state"), saved);
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("the folder").count(),
        names.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn one_bounce_and_its_errors() {
    let server = FaultServer::start(FaultConfig::default().reject_prefix("BAD"))
        .await
        .expect("a server");
    let mut cmd = np6(&server.base_url());
    cmd.args([
        "bounce",
        "T 1/é",
        "788",
        "--type",
        "hardUser",
        "--message",
        "550 5.1.1",
        "--at",
        "1h",
    ]);
    let sent = run(cmd, b"").await;
    assert_eq!(code(&sent), Some(0), "{}", stderr(&sent));
    assert_eq!(server.counts().bounces.get("T 1/é"), Some(&1));

    let mut cmd = np6(&server.base_url());
    cmd.args(["bounce", "BAD1", "788", "--type", "hardUser"]);
    let refused = run(cmd, b"").await;
    // NP6 refused the record: exit 1, as a rejected record of an import.
    assert_eq!(code(&refused), Some(1));
    let line = stderr(&refused);
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(
        line.contains("400") && line.contains("fault-400"),
        "request id: {line}"
    );

    let mut cmd = np6(&server.base_url());
    cmd.env_remove("NP6_API_KEY")
        .args(["bounce", "T1", "788", "--type", "hardUser"]);
    let no_key = run(cmd, b"").await;
    assert_eq!(code(&no_key), Some(2));
    assert!(
        stderr(&no_key).contains("NP6_API_KEY"),
        "{}",
        stderr(&no_key)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_key_file_is_read_and_never_quoted() {
    let server = FaultServer::start(FaultConfig::default())
        .await
        .expect("a server");
    let dir = tempfile::tempdir().expect("a folder");
    let key = dir.path().join("key");
    std::fs::write(&key, format!("{CANARY}\n")).expect("the key file");
    let mut cmd = np6(&server.base_url());
    cmd.env_remove("NP6_API_KEY")
        .args(["-v", "redlist", "sms"])
        .arg("--key-file")
        .arg(&key);
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
}

#[tokio::test(flavor = "multi_thread")]
async fn call_any_operation_with_typed_parameters() {
    let sandbox = Sandbox::start().await.expect("the sandbox");
    let url = sandbox.base_url();
    let mut cmd = np6(&url);
    cmd.args(["call", "getMailRedlist", "startDate=2019-08-24T14:15:22Z"]);
    let listed = run(cmd, b"").await;
    assert_eq!(code(&listed), Some(0), "{}", stderr(&listed));
    let value: serde_json::Value = serde_json::from_str(&stdout(&listed)).expect("JSON");
    assert!(value.is_array());

    let mut cmd = np6(&url);
    cmd.args([
        "call",
        "putTargetBounce",
        "id=0003YB53",
        "fieldId=788",
        "--body",
        "-",
    ]);
    let body = br#"{"type":"hardUser","detail":{"message":"550 5.1.1 - Unknown address error"}}"#;
    let put = run(cmd, body).await;
    assert_eq!(code(&put), Some(0), "{}", stderr(&put));

    for (args, expected) in [
        (
            vec![
                "call",
                "putTargetBounce",
                "id=T1",
                "fieldId=abc",
                "--body",
                "-",
            ],
            "not an integer",
        ),
        (vec!["call", "getMailRedlist", "since=1"], "no parameter"),
        (vec!["call", "deleteEverything"], "no operation"),
        (
            vec!["call", "putTargetBounce", "id=T1", "fieldId=1"],
            "needs a JSON body",
        ),
    ] {
        let mut cmd = np6(&url);
        cmd.args(&args);
        let refused = run(cmd, b"{}").await;
        assert_eq!(code(&refused), Some(2), "{args:?}");
        assert!(
            stderr(&refused).contains(expected),
            "{args:?}: {}",
            stderr(&refused)
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn operations_and_completions() {
    let listed = run(
        {
            let mut cmd = np6("http://127.0.0.1:9");
            cmd.arg("operations");
            cmd
        },
        b"",
    )
    .await;
    assert_eq!(code(&listed), Some(0));
    let text = stdout(&listed);
    for op in np6_client::operations() {
        assert!(text.contains(op.id), "{} missing: {text}", op.id);
    }
    assert!(
        text.contains("startDate=string date-time  (query, optional)"),
        "{text}"
    );
    assert!(text.contains("fieldId=integer"), "{text}");

    for shell in ["bash", "zsh", "fish"] {
        let mut cmd = np6("http://127.0.0.1:9");
        cmd.args(["completions", shell]);
        let script = run(cmd, b"").await;
        assert_eq!(code(&script), Some(0));
        assert!(stdout(&script).contains("redlist"), "{shell}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_stdout_is_no_panic() {
    for args in [["operations", ""], ["completions", "zsh"]] {
        let mut cmd = np6("http://127.0.0.1:9");
        cmd.args(args.iter().filter(|a| !a.is_empty()))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().expect("np6 starts");
        // As `np6 ... | head -0`: the reader goes away before np6 writes.
        drop(child.stdout.take());
        let output = tokio::task::spawn_blocking(move || child.wait_with_output())
            .await
            .expect("the runner")
            .expect("np6 ends");
        assert_eq!(code(&output), Some(0), "{args:?}: {}", stderr(&output));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn call_takes_dates_as_since_does() {
    let server = FaultServer::start(FaultConfig::default())
        .await
        .expect("a server");
    let mut cmd = np6(&server.base_url());
    cmd.args(["call", "getMailRedlist", "startDate=1h", "endDate=now"]);
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    let queries = server.counts().redlist_queries;
    assert_eq!(queries.len(), 1, "{queries:?}");
    let query = queries[0].replace("%3A", ":");
    let param = |name: &str| -> chrono::DateTime<chrono::Utc> {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix(name))
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| panic!("{name} as a date-time in {query}"))
    };
    let (start, end) = (param("startDate="), param("endDate="));
    assert_eq!(end - start, chrono::Duration::hours(1), "{query}");
    let late = chrono::Utc::now() - end;
    assert!(late >= chrono::Duration::zero() && late < chrono::Duration::minutes(2));

    let mut cmd = np6(&server.base_url());
    cmd.args(["call", "getMailRedlist", "startDate=yesterday"]);
    let refused = run(cmd, b"").await;
    assert_eq!(code(&refused), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("startDate"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(
        server.counts().redlist_queries.len(),
        1,
        "nothing more asked"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_version_names_the_spec_it_was_built_from() {
    let mut cmd = np6("http://127.0.0.1:9");
    cmd.arg("--version");
    let version = run(cmd, b"").await;
    assert_eq!(code(&version), Some(0), "{}", stderr(&version));
    assert_eq!(
        stdout(&version).trim(),
        format!(
            "np6 {} (NP6 API {})",
            env!("CARGO_PKG_VERSION"),
            np6_client::SPEC_VERSION
        )
    );
    assert!(!np6_client::SPEC_VERSION.is_empty());
}
