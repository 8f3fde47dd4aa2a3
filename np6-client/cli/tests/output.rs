//! `np6 redlist --output`: what it replaces (a regular file, a new path,
//! a link's target), what it writes into (a device, a FIFO), what it
//! refuses (a folder, the state file), and `-` for stdout; with real files.

#![cfg(unix)]

mod common;

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;
use std::time::Duration;

use common::{code, np6, run, stderr, stdout};
use np6_loopback::fault::{FaultConfig, FaultServer};

/// What the fault server's empty redlist gives as CSV.
const EMPTY_CSV: &str = "id,origin,timestamp,detail\n";

fn redlist_to(server: &FaultServer, output: &Path) -> std::process::Command {
    let mut cmd = np6(&server.base_url());
    cmd.args(["redlist", "mail", "--until", "2026-11-01T00:00:00Z", "-o"])
        .arg(output);
    cmd
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("the file")
        .permissions()
        .mode()
        & 0o7777
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("the folder")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn an_existing_file_is_replaced_with_its_mode_kept() {
    let server = FaultServer::start(FaultConfig::default())
        .await
        .expect("a server");
    let dir = tempfile::tempdir().expect("a folder");
    let out = dir.path().join("out.csv");
    std::fs::write(&out, "old content that is longer than the new\n").expect("a file");
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let output = run(redlist_to(&server, &out), b"").await;
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    assert_eq!(
        std::fs::read_to_string(&out).expect("the output"),
        EMPTY_CSV
    );
    assert_eq!(mode(&out), 0o640);
    assert_eq!(names(dir.path()), ["out.csv"], "no temporary file left");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_file_gets_0666_less_the_umask() {
    let server = FaultServer::start(FaultConfig::default())
        .await
        .expect("a server");
    let dir = tempfile::tempdir().expect("a folder");
    for (umask, expected) in [("022", 0o644), ("027", 0o640), ("077", 0o600)] {
        let out = dir.path().join(format!("new-{umask}.csv"));
        let np6 = redlist_to(&server, &out);
        // The same command, started by a shell that sets the umask first.
        let mut cmd = std::process::Command::new("sh");
        cmd.arg("-c")
            .arg(format!("umask {umask} && exec \"$0\" \"$@\""))
            .arg(np6.get_program())
            .args(np6.get_args())
            .env_clear()
            .envs(np6.get_envs().filter_map(|(k, v)| Some((k, v?))));
        let output = run(cmd, b"").await;
        assert_eq!(code(&output), Some(0), "{}", stderr(&output));
        assert_eq!(
            std::fs::read_to_string(&out).expect("the output"),
            EMPTY_CSV
        );
        assert_eq!(mode(&out), expected, "umask {umask}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_link_is_followed_and_stays_a_link() {
    let server = FaultServer::start(FaultConfig::default())
        .await
        .expect("a server");
    let dir = tempfile::tempdir().expect("a folder");
    let data = dir.path().join("data");
    std::fs::create_dir(&data).expect("a folder");
    let target = data.join("target.csv");
    std::fs::write(&target, "old\n").expect("the target");
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o604)).expect("chmod");
    // A relative link to a link: both followed.
    let inner = data.join("inner.csv");
    std::os::unix::fs::symlink("target.csv", &inner).expect("a link");
    let link = dir.path().join("link.csv");
    std::os::unix::fs::symlink("data/inner.csv", &link).expect("a link");
    let output = run(redlist_to(&server, &link), b"").await;
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    for path in [&link, &inner] {
        let meta = std::fs::symlink_metadata(path).expect("the link");
        assert!(
            meta.file_type().is_symlink(),
            "{} is still a link",
            path.display()
        );
    }
    assert_eq!(
        std::fs::read_to_string(&target).expect("the target"),
        EMPTY_CSV
    );
    assert_eq!(mode(&target), 0o604);
    assert_eq!(
        names(&data),
        ["inner.csv", "target.csv"],
        "no temporary file left"
    );

    // A link to nothing yet: the file is created where it points.
    let dangling = dir.path().join("dangling.csv");
    std::os::unix::fs::symlink("data/later.csv", &dangling).expect("a link");
    let output = run(redlist_to(&server, &dangling), b"").await;
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    assert!(
        std::fs::symlink_metadata(&dangling)
            .expect("the link")
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        std::fs::read_to_string(data.join("later.csv")).expect("the target"),
        EMPTY_CSV
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_null_is_written_into_not_replaced() {
    let server = FaultServer::start(FaultConfig::default())
        .await
        .expect("a server");
    let output = run(redlist_to(&server, Path::new("/dev/null")), b"").await;
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    let meta = std::fs::symlink_metadata("/dev/null").expect("/dev/null");
    assert!(
        meta.file_type().is_char_device(),
        "/dev/null is still a device"
    );
    assert_eq!(mode(Path::new("/dev/null")), 0o666);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fifo_is_written_into_not_replaced() {
    let server = FaultServer::start(FaultConfig::default())
        .await
        .expect("a server");
    let dir = tempfile::tempdir().expect("a folder");
    let fifo = dir.path().join("pipe");
    let read = common::fifo_read_in_background(&fifo);
    let output = run(redlist_to(&server, &fifo), b"").await;
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    let received = read
        .recv_timeout(Duration::from_secs(30))
        .expect("the reader ends")
        .expect("the FIFO reads");
    assert_eq!(received, EMPTY_CSV);
    let meta = std::fs::symlink_metadata(&fifo).expect("the FIFO");
    assert!(meta.file_type().is_fifo(), "still a FIFO");
    assert_eq!(names(dir.path()), ["pipe"], "no temporary file left");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dash_is_stdout_and_a_folder_is_refused() {
    let server = FaultServer::start(FaultConfig::default())
        .await
        .expect("a server");
    let dir = tempfile::tempdir().expect("a folder");
    let mut cmd = redlist_to(&server, Path::new("-"));
    cmd.current_dir(dir.path());
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), EMPTY_CSV);
    assert!(names(dir.path()).is_empty(), "no file named -");

    let output = run(redlist_to(&server, dir.path()), b"").await;
    assert_eq!(code(&output), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("folder"), "{}", stderr(&output));
    assert!(std::fs::metadata(dir.path()).expect("the folder").is_dir());
}

#[tokio::test(flavor = "multi_thread")]
async fn output_and_state_on_one_file_are_refused_before_any_call() {
    let server = FaultServer::start(FaultConfig::default())
        .await
        .expect("a server");
    let dir = tempfile::tempdir().expect("a folder");
    let state = dir.path().join("state.json");
    std::fs::write(&state, r#"{"until":"2026-10-01T00:00:00Z"}"#).expect("a state");
    let saved = std::fs::read(&state).expect("the state");
    // The same file by another path, and a file not there yet by two paths.
    for (output, state) in [
        (dir.path().join("sub/../state.json"), state.clone()),
        (dir.path().join("new.csv"), dir.path().join("./new.csv")),
    ] {
        std::fs::create_dir_all(dir.path().join("sub")).expect("a folder");
        let mut cmd = redlist_to(&server, &output);
        cmd.arg("--state").arg(&state);
        let refused = run(cmd, b"").await;
        assert_eq!(code(&refused), Some(2), "{}", stderr(&refused));
        assert!(
            stderr(&refused).contains("same file"),
            "{}",
            stderr(&refused)
        );
    }
    assert_eq!(std::fs::read(&state).expect("the state"), saved);
    assert!(!dir.path().join("new.csv").exists());
    assert_eq!(server.counts().requests, 0, "nothing sent");
}
