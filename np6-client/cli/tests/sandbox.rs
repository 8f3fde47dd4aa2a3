//! `np6 sandbox`: a mock NP6 on loopback that keeps serving, even when it
//! runs out of file descriptors.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::Duration;

use common::CANARY;

/// Starts `np6 sandbox --port 0 ARGS...` under a file-descriptor limit; returns
/// the process and its base URL (the first line it prints).
fn start(fd_limit: u32, args: &[&str]) -> (Child, String) {
    let binary = assert_cmd::cargo::cargo_bin!("np6");
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -n {fd_limit} && exec \"$0\" sandbox --port 0 \"$@\""
        ))
        .arg(binary)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("np6 sandbox starts");
    let stdout = child.stdout.take().expect("its stdout");
    let mut first = String::new();
    let mut lines = BufReader::new(stdout);
    lines.read_line(&mut first).expect("a first line");
    // Keep draining the log so the sandbox never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.lines() {});
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {first:?}"))
        .to_owned();
    (child, url)
}

async fn redlist(url: &str) -> Result<usize, np6_client::Error> {
    let client = np6_client::Client::builder()
        .api_key(CANARY)
        .base_url(url)
        .build()?;
    client
        .get_mail_redlist()
        .send()
        .await
        .map(|entries| entries.len())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sandbox_serves_and_survives_descriptor_exhaustion() {
    let (mut child, url) = start(64, &[]);
    assert!(redlist(&url).await.expect("an answer") > 0);

    // More connections than the process may hold file descriptors: its
    // accept fails (EMFILE) until they close.
    let address = url.trim_start_matches("http://").to_owned();
    let mut flood = Vec::new();
    for _ in 0..200 {
        if let Ok(Ok(stream)) = tokio::time::timeout(
            Duration::from_millis(200),
            tokio::net::TcpStream::connect(&address),
        )
        .await
        {
            flood.push(stream);
        }
    }
    assert!(flood.len() > 64, "only {} connections", flood.len());
    drop(flood);

    let mut answered = false;
    for _ in 0..50 {
        if matches!(redlist(&url).await, Ok(n) if n > 0) {
            answered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(answered, "the sandbox stopped answering after the flood");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sandbox_answers_from_a_fixtures_folder() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/fixtures");
    let (mut child, url) = start(1024, &["--fixtures", fixtures]);
    let answer = redlist(&url).await;
    let _ = child.kill();
    let _ = child.wait();
    assert!(answer.expect("an answer") > 0);
}

/// The inodes of the TCP sockets process `pid` listens on (Linux `/proc`).
fn listening_sockets(pid: u32) -> Vec<String> {
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).expect("its descriptors");
    let inodes: Vec<String> = fds
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter_map(|link| {
            let link = link.to_string_lossy().into_owned();
            Some(link.strip_prefix("socket:[")?.strip_suffix(']')?.to_owned())
        })
        .collect();
    let mut listening = Vec::new();
    for table in ["tcp", "tcp6"] {
        let text = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")).unwrap_or_default();
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // `st` 0A is LISTEN; the inode is the tenth field.
            if fields.get(3) == Some(&"0A")
                && fields.get(9).is_some_and(|i| inodes.iter().any(|n| n == i))
            {
                listening.push(fields[1].to_owned());
            }
        }
    }
    listening
}

/// The status NP6's sandbox answers a request with an empty `X-Key`.
async fn status_with_empty_key(address: &str) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address).await.ok()?;
    let request =
        "GET /targets/redlist/mail HTTP/1.1\r\nhost: x\r\nx-key: \r\nconnection: close\r\n\r\n";
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut answer = Vec::new();
    let read = stream.read_to_end(&mut answer);
    tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .ok()?
        .ok()?;
    let text = String::from_utf8_lossy(&answer).into_owned();
    text.split_whitespace().nth(1).map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sandbox_listens_on_one_port_and_refuses_an_empty_key() {
    let (mut child, url) = start(1024, &[]);
    assert!(redlist(&url).await.expect("an answer") > 0);
    let listening = listening_sockets(child.id());
    let empty_key = status_with_empty_key(url.trim_start_matches("http://")).await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(listening.len(), 1, "listening on {listening:?}");
    assert_eq!(empty_key.as_deref(), Some("401"));
}
