//! `np6 redlist` writes entries as they arrive; a window whose answer is
//! cut midway is taken back from the output and asked again in halves, so
//! every entry is written once in every format and kind of output.

mod common;

use std::collections::HashMap;

use common::{code, np6, run, stderr, stdout};
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
        let mut cmd = np6(&server.base_url);
        cmd.args(["redlist", "mail", "--format", format, "--since", SINCE])
            .args(["--until", UNTIL]);
        if to_file {
            cmd.arg("-o").arg(&file);
        }
        let output = run(cmd, b"").await;
        let case = format!("{format}, to a file: {to_file}");
        assert_eq!(code(&output), Some(0), "{case}: {}", stderr(&output));
        let text = if to_file {
            std::fs::read_to_string(&file).expect("the file")
        } else {
            stdout(&output)
        };
        let mut counts: HashMap<String, u32> = HashMap::new();
        for id in ids(format, &text) {
            *counts.entry(id).or_default() += 1;
        }
        assert_eq!(counts.len(), 11, "{case}: every entry: {text}");
        assert!(
            counts.values().all(|n| *n == 1),
            "{case}: once each: {text}"
        );
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
