//! `np6 redlist` writes entries as they arrive; a window whose answer is
//! cut midway is taken back from the output and asked again in halves, so
//! every entry is written once in every format and kind of output.

mod common;
mod edge;

use std::time::Duration;

use common::{code, np6, run, stderr, stdout};
use edge::{EdgeServer, Ends, date, hours, month_entries, resume_writes_the_rest, t0, tally};
use np6_loopback::raw::{Fault, RawServer};

const SINCE: &str = "2026-11-01T00:00:00Z";
const UNTIL: &str = "2026-11-03T00:00:00Z";

/// Ten entries inside the window and one without a timestamp (written
/// once, whatever the window), as NP6 writes them.
fn entries() -> String {
    let mut items: Vec<String> = (0..10)
        .map(|i| {
            format!(
                r#"{{"id":"E{i}","origin":1,"timestamp":"2026-11-0{}T{:02}:00:00Z"}}"#,
                1 + i / 5,
                i * 2
            )
        })
        .collect();
    items.insert(1, r#"{"id":"U","origin":1,"timestamp":null}"#.to_owned());
    format!("[{}]", items.join(","))
}

/// The ids in `text`, written as `format`.
fn ids(format: &str, text: &str) -> Vec<String> {
    match format {
        "json" => serde_json::from_str::<Vec<serde_json::Value>>(text)
            .expect("one JSON array")
            .iter()
            .map(|e| e["id"].as_str().expect("an id").to_owned())
            .collect(),
        "ndjson" => text
            .lines()
            .map(|l| {
                let e: serde_json::Value = serde_json::from_str(l).expect("an object a line");
                e["id"].as_str().expect("an id").to_owned()
            })
            .collect(),
        _ => {
            let mut lines = text.lines();
            assert_eq!(
                lines.next(),
                Some("id,origin,timestamp,detail"),
                "one header"
            );
            lines
                .map(|l| l.split(',').next().unwrap_or_default().to_owned())
                .collect()
        }
    }
}

/// `np6 redlist mail` of `[SINCE, UNTIL)` in `format` with `extra`
/// arguments, to stdout or to `file`: its exit status checked, and what it
/// wrote. `case` names the run in assertion messages.
async fn export_text(
    url: &str,
    format: &str,
    file: Option<&std::path::Path>,
    extra: &[&str],
    case: &str,
) -> String {
    let mut cmd = np6(url);
    cmd.args(["redlist", "mail", "--format", format, "--since", SINCE])
        .args(["--until", UNTIL])
        .args(extra);
    if let Some(file) = file {
        cmd.arg("-o").arg(file);
    }
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(0), "{case}: {}", stderr(&output));
    match file {
        Some(file) => std::fs::read_to_string(file).expect("the file"),
        None => stdout(&output),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_window_cut_midway_is_taken_back_and_every_entry_written_once() {
    let all = entries();
    // The whole window's answer stops after three entries; each half is
    // then answered with every entry (np6 keeps those of the half).
    let cut = all.find(r#"{"id":"E3""#).expect("a fourth entry");
    let dir = tempfile::tempdir().expect("a folder");
    for (format, to_file) in [
        ("ndjson", false),
        ("csv", false),
        ("json", false),
        ("ndjson", true),
        ("csv", true),
        ("json", true),
    ] {
        let server = RawServer::start(vec![
            Fault::CutBody(all.as_bytes()[..cut + 5].to_vec()),
            Fault::Chunked(200, all.clone().into_bytes()),
        ])
        .await;
        let file = dir.path().join(format!("out.{format}"));
        let case = format!("{format}, to a file: {to_file}");
        let to = to_file.then_some(file.as_path());
        let text = export_text(&server.base_url, format, to, &[], &case).await;
        let (written, twice) = tally(&[ids(format, &text)]);
        assert_eq!(written.len(), 11, "{case}: every entry: {text}");
        assert!(twice.is_empty(), "{case}: once each: {text}");
        assert_eq!(server.requests(), 3, "{case}: the window, then its halves");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_cut_in_the_smallest_window_fails_with_nothing_of_it_written() {
    let all = entries();
    let cut = all.find(r#"{"id":"E3""#).expect("a fourth entry");
    let server = RawServer::start(vec![Fault::CutBody(all.as_bytes()[..cut].to_vec())]).await;
    let mut cmd = np6(&server.base_url);
    cmd.args(["redlist", "mail", "--format", "ndjson", "--since", SINCE])
        .args(["--until", "2026-11-01T00:01:00Z"]);
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(4), "{}", stderr(&output));
    assert_eq!(stdout(&output), "", "no entry of the failed window");
    assert!(
        stderr(&output).contains("after 4 items"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn windows_written_to_dash_or_a_fifo_move_the_state_as_stdout_does() {
    // `-o -` is stdout, and a FIFO cannot take back what it was given:
    // a chunked export that fails midway must save the state past the
    // windows written, or its resume writes them again.
    const DAYS: i64 = 10;
    let ends = Ends {
        start: true,
        end: false,
    };
    let dir = tempfile::tempdir().expect("a folder");
    for output in ["fifo", "-"] {
        let server = EdgeServer::start(ends, month_entries(DAYS)).await;
        server.lock().refuse_after = Some(hours(4 * 24));
        let state = dir.path().join(format!("state-{output}.json"));
        let fifo = dir.path().join("out.fifo");
        let mut cmd = np6(&server.url());
        cmd.args([
            "redlist", "mail", "--format", "ndjson", "--chunk", "1d", "--since",
        ])
        .arg(date(t0()))
        .args(["--until", &date(hours(DAYS * 24))])
        .arg("--state")
        .arg(&state);
        let read = (output == "fifo").then(|| common::fifo_read_in_background(&fifo));
        if read.is_some() {
            cmd.arg("-o").arg(&fifo);
        } else {
            cmd.args(["-o", "-"]);
        }
        let failed = run(cmd, b"").await;
        assert_eq!(code(&failed), Some(2), "{output}: {}", stderr(&failed));
        let text = match read {
            Some(read) => read
                .recv_timeout(Duration::from_secs(30))
                .expect("the reader ends")
                .expect("the FIFO reads"),
            None => stdout(&failed),
        };
        let first = ids("ndjson", &text);
        assert!(!first.is_empty(), "{output}: the first days were written");

        resume_writes_the_rest(&server, &state, DAYS, first, output).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_mid_window_leaves_stdout_whole_windows_and_the_state_at_their_end() {
    // Stopped while a window's answer is arriving: stdout holds exactly
    // the entries before the state's end (whole windows, one header),
    // neither a part of the window being read nor less than the state says.
    const DAYS: i64 = 10;
    let entries = month_entries(DAYS);
    let body: Vec<serde_json::Value> = entries
        .iter()
        .map(|(id, at)| serde_json::json!({"id": id, "origin": 1, "timestamp": date(*at)}))
        .collect();
    let body = serde_json::to_vec(&body).expect("JSON");
    let pause = Duration::from_millis(40);
    let server = RawServer::start(vec![Fault::SlowSteady(200, body, 8, pause)]).await;
    let dir = tempfile::tempdir().expect("a folder");
    let (state, out) = (dir.path().join("state.json"), dir.path().join("out.csv"));
    let mut cmd = np6(&server.base_url);
    cmd.args([
        "redlist", "mail", "--format", "csv", "--chunk", "1d", "--since",
    ])
    .arg(date(t0()))
    .args(["--until", &date(hours(DAYS * 24))])
    .arg("--state")
    .arg(&state)
    .stdout(std::fs::File::create(&out).expect("the output"))
    .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().expect("np6 starts");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while server.requests() < 4 {
        assert!(std::time::Instant::now() < deadline, "no progress");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Mid-body of the fourth window's answer.
    tokio::time::sleep(pause * 4).await;
    let sent = std::process::Command::new("kill")
        .args(["-s", "TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let output = common::finish(child).await;
    assert_eq!(code(&output), Some(143), "{}", stderr(&output));
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&state).expect("a state saved")).expect("JSON");
    let until = saved["until"].as_str().expect("an end").to_owned();
    let text = std::fs::read_to_string(&out).expect("the output");
    let mut written = ids("csv", &text);
    written.sort();
    let mut expected: Vec<String> = entries
        .iter()
        .filter(|(_, at)| date(*at) < until)
        .map(|(id, _)| id.clone())
        .collect();
    expected.sort();
    assert!(!expected.is_empty(), "stopped after some windows: {until}");
    assert_eq!(written, expected, "exactly the windows before {until}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_window_cut_after_windows_done_is_taken_back_to_their_end() {
    // The second piece is cut midway after the first was written whole:
    // what is taken back stops at the first's end (the JSON array's
    // separators too), in every format and kind of output.
    let all = entries();
    let cut = all.find(r#"{"id":"E7""#).expect("an eighth entry");
    let dir = tempfile::tempdir().expect("a folder");
    for format in ["ndjson", "csv", "json"] {
        for to_file in [false, true] {
            let server = RawServer::start(vec![
                Fault::Chunked(200, all.clone().into_bytes()),
                Fault::CutBody(all.as_bytes()[..cut + 5].to_vec()),
                Fault::Chunked(200, all.clone().into_bytes()),
            ])
            .await;
            let file = dir.path().join(format!("out.{format}"));
            let case = format!("{format}, to a file: {to_file}");
            let to = to_file.then_some(file.as_path());
            let text = export_text(&server.base_url, format, to, &["--chunk", "1d"], &case).await;
            let (written, twice) = tally(&[ids(format, &text)]);
            assert_eq!(written.len(), 11, "{case}: every entry: {text}");
            assert!(twice.is_empty(), "{case}: twice {twice:?}: {text}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn split_logs_and_stream_errors_never_show_the_key() {
    // NP6 echoing the key (in a 503's body and request id, then in an
    // item off the spec) while a window is split and the export fails, with
    // every log shown: the key never printed (`run` checks both streams).
    let echo = format!("bad gateway for {}", common::CANARY);
    let cut = format!(r#"[{{"id":"A","origin":1,"timestamp":"{SINCE}"}},"#);
    let wrong = format!(
        r#"[{{"id":"A","origin":1}},{{"id":"B","origin":"{}"}}]"#,
        common::CANARY
    );
    let server = RawServer::start(vec![
        Fault::Answer(
            503,
            vec![("x-request-id", common::CANARY.to_owned())],
            echo.into_bytes(),
        ),
        Fault::CutBody(cut.into_bytes()),
        Fault::Chunked(200, wrong.into_bytes()),
    ])
    .await;
    let mut cmd = np6(&server.base_url);
    cmd.args(["--verbose", "redlist", "mail", "--format", "ndjson"])
        .args(["--since", SINCE, "--until", "2026-11-01T00:03:00Z"]);
    let output = run(cmd, b"").await;
    assert_ne!(code(&output), Some(0), "{}", stderr(&output));
    let shown = stderr(&output);
    assert!(
        shown.contains("split") && shown.contains("does not match the spec"),
        "{shown}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn stdout_without_a_temporary_folder_is_refused_before_any_call() {
    // A window's entries wait in a temporary file until the window is
    // whole, since stdout or a device cannot take back a window cut
    // midway: without a usable TMPDIR (a locked-down container) the run
    // says so before asking NP6 anything, and a file output needs none.
    let server = RawServer::start(vec![Fault::Chunked(200, entries().into_bytes())]).await;
    let dir = tempfile::tempdir().expect("a folder");
    let missing = dir.path().join("no-such-folder");
    for output in ["-", "/dev/null"] {
        let mut cmd = np6(&server.base_url);
        cmd.env("TMPDIR", &missing)
            .args(["redlist", "mail", "--format", "ndjson", "--since", SINCE])
            .args(["--until", UNTIL, "-o", output]);
        let done = run(cmd, b"").await;
        assert_eq!(code(&done), Some(2), "{output}: {}", stderr(&done));
        assert!(
            stderr(&done).contains("TMPDIR"),
            "{output}: {}",
            stderr(&done)
        );
    }
    assert_eq!(server.requests(), 0, "nothing asked");
    let file = dir.path().join("out.ndjson");
    let mut cmd = np6(&server.base_url);
    cmd.env("TMPDIR", &missing)
        .args(["redlist", "mail", "--format", "ndjson", "--since", SINCE])
        .args(["--until", UNTIL, "-o"])
        .arg(&file);
    let done = run(cmd, b"").await;
    assert_eq!(code(&done), Some(0), "{}", stderr(&done));
}
