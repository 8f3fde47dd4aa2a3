//! The files a redlist export writes, with real special files: `-o
//! /dev/stdout` into a file the shell opened in append mode or a pipe,
//! dangling links, the state's lock through a link, `-`, the key file, an
//! emptied state, a future `--until`; against a counting server.

#![cfg(unix)]

mod common;

use std::path::Path;
use std::process::{Output, Stdio};

use common::{CANARY, assert_key_absent, code, np6, run, stderr, stdout};
use np6_loopback::fault::{FaultConfig, FaultServer};

/// What the fault server's empty redlist gives as CSV.
const EMPTY_CSV: &str = "id,origin,timestamp,detail\n";
const SINCE: &str = "2026-10-01T00:00:00Z";

async fn server() -> FaultServer {
    FaultServer::start(FaultConfig::default())
        .await
        .expect("a server")
}

fn redlist(server: &FaultServer) -> std::process::Command {
    let mut cmd = np6(&server.base_url());
    cmd.args(["redlist", "mail", "--since", SINCE]);
    cmd
}

fn requests(server: &FaultServer) -> u64 {
    server.counts().requests
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_stdout_appends_to_the_file_the_shell_opened_and_writes_into_a_pipe() {
    let server = server().await;
    let dir = tempfile::tempdir().expect("a folder");
    let all = dir.path().join("all.csv");
    std::fs::write(&all, "PREV\n").expect("a file");
    let out = std::fs::OpenOptions::new()
        .append(true)
        .open(&all)
        .expect("opened to append");
    let mut cmd = redlist(&server);
    cmd.args(["-o", "/dev/stdout"])
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(Stdio::piped());
    let output: Output = tokio::task::spawn_blocking(move || cmd.output().expect("np6 runs"))
        .await
        .expect("the runner");
    assert_key_absent(&output);
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    assert_eq!(
        std::fs::read_to_string(&all).expect("the file"),
        format!("PREV\n{EMPTY_CSV}")
    );

    // Another descriptor the shell opened to append.
    let np6 = {
        let mut cmd = redlist(&server);
        cmd.args(["-o", "/dev/fd/3"]);
        cmd
    };
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg("exec \"$0\" \"$@\" 3>>all.csv")
        .arg(np6.get_program())
        .args(np6.get_args())
        .env_clear()
        .envs(np6.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .current_dir(dir.path());
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    assert_eq!(
        std::fs::read_to_string(&all).expect("the file"),
        format!("PREV\n{EMPTY_CSV}{EMPTY_CSV}")
    );

    // Stdout a pipe.
    let mut cmd = redlist(&server);
    cmd.args(["-o", "/dev/stdout"]);
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), EMPTY_CSV);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dangling_link_to_the_state_is_the_state() {
    let server = server().await;
    let dir = tempfile::tempdir().expect("a folder");
    let link = dir.path().join("ln.csv");
    std::os::unix::fs::symlink("st.json", &link).expect("a link");
    let mut cmd = redlist(&server);
    cmd.arg("-o")
        .arg(&link)
        .arg("--state")
        .arg(dir.path().join("st.json"));
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("same file"), "{}", stderr(&output));
    assert!(!dir.path().join("st.json").exists());
    assert_eq!(requests(&server), 0, "nothing asked");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_state_is_locked_through_any_link_and_its_lock_is_no_output() {
    let server = server().await;
    let dir = tempfile::tempdir().expect("a folder");
    let state = dir.path().join("sl.json");
    std::fs::write(&state, format!(r#"{{"until":"{SINCE}"}}"#)).expect("a state");
    let other = dir.path().join("other");
    std::fs::create_dir(&other).expect("a folder");
    std::os::unix::fs::symlink("../sl.json", other.join("sl.json")).expect("a link");
    // A run holds the state's lock.
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(dir.path().join("sl.json.lock"))
        .expect("the lock file");
    lock.try_lock().expect("locked");
    let mut cmd = np6(&server.base_url());
    cmd.args(["redlist", "mail", "--state"])
        .arg(other.join("sl.json"));
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(5), "{}", stderr(&output));
    assert!(!other.join("sl.json.lock").exists());
    drop(lock);

    let mut cmd = np6(&server.base_url());
    cmd.args(["redlist", "mail", "-o"])
        .arg(dir.path().join("sl.json.lock"))
        .arg("--state")
        .arg(&state);
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("same file"), "{}", stderr(&output));
    assert_eq!(requests(&server), 0, "nothing asked");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dash_a_device_an_empty_file_and_a_future_until_are_no_state() {
    let server = server().await;
    let dir = tempfile::tempdir().expect("a folder");
    let empty = dir.path().join("es.json");
    std::fs::write(&empty, "").expect("an empty state");
    let future = dir.path().join("fu.json");
    let cases: [(&[&str], &Path, &str); 4] = [
        (&[], Path::new("-"), "needs a file"),
        (&[], Path::new("/dev/null"), "not a regular file"),
        (&[], &empty, "empty"),
        (&["--until", "2099-06-01T00:00:00Z"], &future, "future"),
    ];
    for (flags, state, says) in cases {
        let mut cmd = redlist(&server);
        cmd.args(flags)
            .arg("--state")
            .arg(state)
            .current_dir(dir.path());
        let output = run(cmd, b"").await;
        assert_eq!(code(&output), Some(2), "{state:?}: {}", stderr(&output));
        assert!(stderr(&output).contains(says), "{}", stderr(&output));
        assert_eq!(stdout(&output), "", "nothing written");
    }
    assert!(!dir.path().join("-").exists(), "no file named -");
    assert!(!future.exists(), "no state saved");
    assert_eq!(std::fs::read(&empty).expect("the state"), b"");
    assert_eq!(requests(&server), 0, "nothing asked");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_key_file_is_never_the_output() {
    let server = server().await;
    let dir = tempfile::tempdir().expect("a folder");
    let key = dir.path().join("key2");
    std::fs::write(&key, format!("{CANARY}\n")).expect("a key file");
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod");
    let mut cmd = redlist(&server);
    cmd.env_remove("NP6_API_KEY")
        .env("NP6_KEY_FILE", &key)
        .arg("-o")
        .arg(&key);
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("the key file"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        std::fs::read_to_string(&key).expect("the key"),
        format!("{CANARY}\n")
    );
    assert_eq!(requests(&server), 0, "nothing asked");
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_reaches_stdout_before_np6_answers() {
    let refusing = FaultServer::start(FaultConfig::default().require_key("another key"))
        .await
        .expect("a server");
    let mut no_key = redlist(&refusing);
    no_key.env_remove("NP6_API_KEY");
    let mut plain = redlist(&refusing);
    plain.env("NP6_BASE_URL", "http://np6.example.invalid");
    for (cmd, expected) in [(no_key, 2), (plain, 2), (redlist(&refusing), 3)] {
        let output = run(cmd, b"").await;
        assert_eq!(code(&output), Some(expected), "{}", stderr(&output));
        assert_eq!(stdout(&output), "", "no header before a failure");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reader_that_goes_away_ends_the_export_quietly_saving_no_state() {
    let server = server().await;
    let dir = tempfile::tempdir().expect("a folder");
    let state = dir.path().join("state.json");
    let mut cmd = redlist(&server);
    cmd.arg("--state").arg(&state);
    let output = tokio::task::spawn_blocking(move || {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("np6 starts");
        // The reader goes away before anything is written.
        drop(child.stdout.take());
        child.wait_with_output().expect("np6 ends")
    });
    let output = tokio::time::timeout(std::time::Duration::from_secs(120), output)
        .await
        .expect("np6 ends within 2 minutes")
        .expect("the runner");
    assert_key_absent(&output);
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    assert_eq!(stderr(&output), "", "quietly");
    assert!(!state.exists(), "no state saved for what was not written");
}
