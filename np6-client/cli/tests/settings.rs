//! Settings: the key from a file (flag or `NP6_KEY_FILE`) with its
//! permissions checked, `np6 config` and `--check`, the plain-http refusal
//! in the command line's terms, flags only where they apply, and `np6
//! call` refusing a parameter given twice.

mod common;

use std::path::Path;

use common::{CANARY, code, np6, run, stderr, stdout};
use np6_loopback::fault::{FaultConfig, FaultServer};

/// A key file holding the canary, with this mode.
fn key_file(dir: &Path, mode: u32) -> std::path::PathBuf {
    let path = dir.join(format!("key-{mode:o}"));
    std::fs::write(&path, format!("{CANARY}\n")).expect("the key file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn the_key_file_comes_from_the_flag_or_np6_key_file_and_is_checked() {
    // Only the canary is accepted: a run that succeeds has read the file.
    let server = FaultServer::start(FaultConfig::default().require_key(CANARY))
        .await
        .expect("a server");
    let dir = tempfile::tempdir().expect("a folder");
    let private = key_file(dir.path(), 0o600);

    let mut cmd = np6(&server.base_url());
    cmd.env_remove("NP6_API_KEY")
        .env("NP6_KEY_FILE", &private)
        .args(["redlist", "sms"]);
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).is_empty(), "{}", stderr(&output));

    #[cfg(unix)]
    {
        let open = key_file(dir.path(), 0o644);
        let mut cmd = np6(&server.base_url());
        cmd.env_remove("NP6_API_KEY")
            .args(["redlist", "sms", "--key-file"])
            .arg(&open);
        let output = run(cmd, b"").await;
        assert_eq!(code(&output), Some(0), "{}", stderr(&output));
        let warning = stderr(&output);
        assert!(
            warning.contains("warning") && warning.contains("chmod 600"),
            "{warning}"
        );
    }

    let mut cmd = np6(&server.base_url());
    cmd.env_remove("NP6_API_KEY")
        .args(["redlist", "sms", "--key-file"])
        .arg(dir.path().join("missing"));
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(2));
    assert!(
        stderr(&output).contains("no such file"),
        "{}",
        stderr(&output)
    );

    // Both variables: which one is meant is not guessed.
    let mut cmd = np6(&server.base_url());
    cmd.env("NP6_KEY_FILE", &private).args(["redlist", "sms"]);
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(2));
    assert!(
        stderr(&output).contains("NP6_KEY_FILE"),
        "{}",
        stderr(&output)
    );
    assert_eq!(server.counts().received, 2, "only the two good runs called");
}

#[tokio::test(flavor = "multi_thread")]
async fn config_shows_where_each_setting_comes_from_and_checks_the_key() {
    let server = FaultServer::start(FaultConfig::default().require_key(CANARY))
        .await
        .expect("a server");
    let mut cmd = np6(&server.base_url());
    cmd.arg("config");
    let shown = run(cmd, b"").await;
    assert_eq!(code(&shown), Some(0), "{}", stderr(&shown));
    let text = stdout(&shown);
    assert!(
        text.contains(&format!("{}  (from NP6_BASE_URL)", server.base_url())),
        "{text}"
    );
    assert!(text.contains("set from NP6_API_KEY"), "{text}");
    assert!(text.contains("connect 10 s"), "{text}");
    assert_eq!(server.counts().received, 0, "no call without --check");

    let mut cmd = np6("https://unused.example");
    cmd.args(["config", "--base-url", &server.base_url(), "--check"]);
    let checked = run(cmd, b"").await;
    assert_eq!(code(&checked), Some(0), "{}", stderr(&checked));
    let text = stdout(&checked);
    assert!(text.contains("(from --base-url)"), "{text}");
    assert!(text.contains("accepted"), "{text}");
    assert_eq!(
        server.counts().redlist_queries.len(),
        1,
        "one read-only call"
    );

    let mut cmd = np6(&server.base_url());
    cmd.env("NP6_API_KEY", "another key")
        .args(["config", "--check"]);
    let refused = run(cmd, b"").await;
    assert_eq!(code(&refused), Some(3), "{}", stderr(&refused));

    let mut cmd = np6("http://127.0.0.1:9");
    cmd.args(["config", "--check"]);
    let unreachable = run(cmd, b"").await;
    assert_eq!(code(&unreachable), Some(4), "{}", stderr(&unreachable));
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_http_is_refused_in_the_command_line_s_terms() {
    let mut cmd = np6("http://np6.example.com");
    cmd.args(["redlist", "mail"]);
    let refused = run(cmd, b"").await;
    assert_eq!(code(&refused), Some(2));
    let message = stderr(&refused);
    assert!(
        message.contains("NP6_BASE_URL") && message.contains("--base-url"),
        "{message}"
    );
    assert!(!message.contains("ClientBuilder"), "{message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_flags_only_where_they_apply() {
    for args in [
        vec!["operations", "--key-file", "k"],
        vec!["completions", "bash", "--base-url", "https://x"],
        vec!["--key-file", "k", "redlist", "mail"],
    ] {
        let mut cmd = np6("http://127.0.0.1:9");
        cmd.args(&args);
        let refused = run(cmd, b"").await;
        assert_eq!(code(&refused), Some(2), "{args:?}");
        assert!(
            stderr(&refused).contains("unexpected argument"),
            "{args:?}: {}",
            stderr(&refused)
        );
    }
    let mut cmd = np6("http://127.0.0.1:9");
    cmd.args(["operations", "--quiet"]);
    let quiet = run(cmd, b"").await;
    assert_eq!(code(&quiet), Some(0), "{}", stderr(&quiet));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_parameter_given_twice_is_refused() {
    let server = FaultServer::start(FaultConfig::default())
        .await
        .expect("a server");
    let mut cmd = np6(&server.base_url());
    cmd.args([
        "call",
        "putTargetBounce",
        "id=T1",
        "id=T2",
        "fieldId=788",
        "--body",
        "-",
    ]);
    let refused = run(cmd, br#"{"type":"hardUser"}"#).await;
    assert_eq!(code(&refused), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("id is given twice"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(server.counts().received, 0, "nothing sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn config_exits_2_when_a_setting_cannot_work() {
    let dir = tempfile::tempdir().expect("a folder");
    let empty = dir.path().join("empty.key");
    std::fs::write(&empty, "\n").expect("an empty key file");
    let missing = dir.path().join("missing.key");
    let mut cases = Vec::new();
    for key_file in [&missing, &empty] {
        let mut cmd = np6("https://np6.example");
        cmd.env_remove("NP6_API_KEY")
            .env("NP6_KEY_FILE", key_file)
            .arg("config");
        cases.push((cmd, "unusable"));
    }
    for url in ["ftp://np6.example", "http://np6.example"] {
        let mut cmd = np6(url);
        cmd.arg("config");
        cases.push((cmd, "unusable"));
    }
    let mut no_key = np6("https://np6.example");
    no_key.env_remove("NP6_API_KEY").arg("config");
    cases.push((no_key, "not set"));
    for (cmd, says) in cases {
        let output = run(cmd, b"").await;
        assert_eq!(code(&output), Some(2), "{}", stderr(&output));
        assert!(stdout(&output).contains(says), "{}", stdout(&output));
        assert!(stderr(&output).starts_with("np6: "), "{}", stderr(&output));
    }
}
