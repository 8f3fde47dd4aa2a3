//! `np6 bounces import` reads its input right: physical line numbers for
//! every line end (and a resume keyed on them), `;` CSV and byte order
//! marks, one cap per record, rejects that keep their bytes and import
//! again, and the spec's bounce types.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{code, np6, run, stderr};
use np6_loopback::fault::{FaultConfig, FaultServer};

const HEADER: &str = "target_id,field_id,type,message,timestamp";

/// `bounces import FILE` with these extra arguments.
fn import(server: &FaultServer, file: &Path, extra: &[&str]) -> std::process::Command {
    let mut cmd = np6(&server.base_url());
    cmd.args(["bounces", "import"]).arg(file).args(extra);
    cmd
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("the file");
    path
}

/// The `line` column of a CSV rejects file, sorted.
fn rejected_lines(path: &Path) -> Vec<u64> {
    let mut lines = rejected_rows(path);
    lines.sort_unstable();
    lines
}

/// The `line` column of a CSV rejects file, in the order written.
fn rejected_rows(path: &Path) -> Vec<u64> {
    let bytes = std::fs::read(path).expect("the rejects");
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
    assert_eq!(
        reader.byte_headers().expect("a header").get(0),
        Some(&b"line"[..])
    );
    reader
        .byte_records()
        .map(|r| {
            let r = r.expect("a row");
            std::str::from_utf8(&r[0])
                .expect("UTF-8")
                .parse()
                .expect("a number")
        })
        .collect()
}

/// The lines a journal says are finished.
fn journaled(path: &Path) -> Vec<u64> {
    let mut lines: Vec<u64> = std::fs::read_to_string(path)
        .expect("the journal")
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(' ')?.0.parse().ok())
        .collect();
    lines.sort_unstable();
    lines
}

#[tokio::test(flavor = "multi_thread")]
async fn line_numbers_are_physical_for_lf_crlf_cr_and_quoted_line_ends() {
    let server = FaultServer::start(FaultConfig::default().reject_prefix("BAD"))
        .await
        .expect("a server");
    let dir = tempfile::tempdir().expect("a folder");
    for (name, end) in [("lf", "\n"), ("crlf", "\r\n"), ("cr", "\r")] {
        // Line 1 the header, 2 a record, 3-4 a record whose message spans
        // two lines, 5 blank, 6 a rejected one, 7 a record, 8 rejected.
        let rows = [
            HEADER,
            "T1,788,hardUser,,",
            &format!("T2,788,hardUser,\"550{end}unknown\","),
            "",
            "BAD1,788,hardUser,,",
            "T3,788,hardUser,,",
            "BAD2,788,hardUser,,",
        ];
        let input = write(&dir, &format!("{name}.csv"), rows.join(end).as_bytes());
        let (rejects, journal) = (
            dir.path().join(format!("{name}.rej")),
            dir.path().join(name),
        );
        let mut cmd = import(&server, &input, &[]);
        cmd.arg("--rejects")
            .arg(&rejects)
            .arg("--journal")
            .arg(&journal);
        let output = run(cmd, b"").await;
        assert_eq!(code(&output), Some(1), "{name}: {}", stderr(&output));
        assert_eq!(rejected_lines(&rejects), vec![6, 8], "{name}");
        assert_eq!(journaled(&journal), vec![2, 3, 6, 7, 8], "{name}");
    }
    // NDJSON the same.
    let input = write(
        &dir,
        "cr.ndjson",
        b"{\"target_id\":\"N1\",\"field_id\":1,\"type\":\"hardUser\"}\r\r{\"target_id\":\"BADN\",\"field_id\":1,\"type\":\"hardUser\"}\r",
    );
    let rejects = dir.path().join("cr.ndjson.rej");
    let mut cmd = import(&server, &input, &[]);
    cmd.arg("--rejects").arg(&rejects);
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(1), "{}", stderr(&output));
    let row: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&rejects).expect("rejects")).expect("one object");
    assert_eq!(row["line"], 3);
    let counts = server.counts().bounces;
    for (id, times) in [("T1", 3), ("T2", 3), ("T3", 3), ("N1", 1)] {
        assert_eq!(counts.get(id), Some(&times), "{id}");
    }
}

/// Waits until the server has recorded at least `count` bounces.
async fn wait_for(server: &FaultServer, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.counts().bounces.len() < count {
        assert!(Instant::now() < deadline, "the import did not progress");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cr_only_file_killed_midway_resumes_with_the_rest() {
    const RECORDS: usize = 120;
    const CONCURRENCY: usize = 4;
    let server = FaultServer::start(FaultConfig::default().delay(Duration::from_millis(20)))
        .await
        .expect("a server");
    let dir = tempfile::tempdir().expect("a folder");
    let mut text = HEADER.to_owned();
    for i in 0..RECORDS {
        text.push_str(&format!("\rT{i},788,hardUser,\"a\rb\","));
    }
    let input = write(&dir, "in.csv", text.as_bytes());
    let journal = dir.path().join("journal");
    let command = || {
        let mut cmd = import(
            &server,
            &input,
            &["--concurrency", &CONCURRENCY.to_string()],
        );
        cmd.arg("--journal").arg(&journal);
        cmd
    };
    let mut child = command()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("np6 starts");
    wait_for(&server, RECORDS / 3).await;
    child.kill().expect("killed");
    let _ = tokio::task::spawn_blocking(move || child.wait()).await;
    let before = server.counts().bounces.len();
    assert!(before < RECORDS, "the kill came too late to test a resume");

    let last = run(command(), b"").await;
    assert_eq!(code(&last), Some(0), "{}", stderr(&last));
    let counts = server.counts().bounces;
    assert_eq!(counts.len(), RECORDS, "every record sent");
    let resent: u32 = counts.values().map(|n| n - 1).sum();
    assert!(resent as usize <= CONCURRENCY, "{resent} sent twice");
    // Each record on its own lines: 2 + 2i.
    let expected: Vec<u64> = (0..RECORDS as u64).map(|i| 2 + 2 * i).collect();
    assert_eq!(journaled(&journal), expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn semicolons_and_byte_order_marks_are_read() {
    let server = FaultServer::start(FaultConfig::default())
        .await
        .expect("a server");
    let dir = tempfile::tempdir().expect("a folder");
    let french = write(
        &dir,
        "fr.csv",
        "\u{feff}target_id;field_id;type;message;timestamp\r\nS1;788;hardUser;\"550; inconnu\";\r\n"
            .as_bytes(),
    );
    let output = run(import(&server, &french, &[]), b"").await;
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    let set = write(
        &dir,
        "set.csv",
        b"target_id|field_id|type|message\nS2|788|hardUser|a,b\n",
    );
    let output = run(import(&server, &set, &["--delimiter", "|"]), b"").await;
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    // Told `,`, a `;` file has no target_id column: a usage error.
    let output = run(import(&server, &french, &["--delimiter", ","]), b"").await;
    assert_eq!(code(&output), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("--delimiter"),
        "{}",
        stderr(&output)
    );
    let ndjson = write(
        &dir,
        "bom.ndjson",
        "\u{feff}{\"target_id\":\"S3\",\"field_id\":788,\"type\":\"hardDomain\"}\n".as_bytes(),
    );
    let output = run(import(&server, &ndjson, &[]), b"").await;
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    let mut cmd = np6(&server.base_url());
    cmd.args(["bounces", "import", "-"]);
    let output = run(
        cmd,
        "\u{feff}{\"target_id\":\"S4\",\"field_id\":788,\"type\":\"hardUser\"}".as_bytes(),
    )
    .await;
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    let counts = server.counts().bounces;
    for id in ["S1", "S2", "S3", "S4"] {
        assert_eq!(counts.get(id), Some(&1), "{id}: {counts:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_huge_record_is_rejected_and_the_import_goes_on() {
    let server = FaultServer::start(FaultConfig::default())
        .await
        .expect("a server");
    let dir = tempfile::tempdir().expect("a folder");
    // 40 MB in one quoted CSV field, and 40 MB on one NDJSON line.
    let huge = "x".repeat(40 << 20);
    let csv = format!("{HEADER}\nH1,788,hardUser,\"{huge}\",\nH2,788,hardUser,,\n");
    let ndjson = format!(
        "{{\"target_id\":\"H3\",\"field_id\":788,\"type\":\"hardUser\",\"message\":\"{huge}\"}}\n\
         {{\"target_id\":\"H4\",\"field_id\":788,\"type\":\"hardUser\"}}\n"
    );
    drop(huge);
    for (name, text) in [("huge.csv", csv), ("huge.ndjson", ndjson)] {
        let input = write(&dir, name, text.as_bytes());
        let rejects = dir.path().join(format!("{name}.rej"));
        let mut cmd = import(&server, &input, &[]);
        cmd.arg("--rejects").arg(&rejects);
        let output = run(cmd, b"").await;
        assert_eq!(code(&output), Some(1), "{name}: {}", stderr(&output));
        let written = std::fs::read_to_string(&rejects).expect("the rejects");
        assert!(written.contains("longer than 1 MiB"), "{name}: {written}");
        assert!(written.len() < 1000, "{name}: the record is not copied");
    }
    let counts = server.counts().bounces;
    assert_eq!(counts.get("H2"), Some(&1));
    assert_eq!(counts.get("H4"), Some(&1));
    assert!(!counts.contains_key("H1") && !counts.contains_key("H3"));
}

/// Replaces every `from` with `to` in `bytes`.
fn replace(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while !rest.is_empty() {
        if rest.starts_with(from) {
            out.extend(to);
            rest = &rest[from.len()..];
        } else {
            out.push(rest[0]);
            rest = &rest[1..];
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn rejects_keep_their_bytes_and_import_again_with_one_header() {
    let server = FaultServer::start(FaultConfig::default().reject_prefix("BAD"))
        .await
        .expect("a server");
    let dir = tempfile::tempdir().expect("a folder");
    let mut input = format!("{HEADER}\nOK1,788,hardUser,,\n").into_bytes();
    input.extend(b"R\xff1,788,hardUser,caf\xe9,\n");
    input.extend(b"BAD2,788,hardUser,\"550\r\n\"\"quoted\"\"\",2026-11-01T10:00:00Z\n");
    input.extend(b"R3,788,softBounce,,\n");
    let input = write(&dir, "in.csv", &input);
    let first = dir.path().join("rejects1.csv");
    // One at a time: the rejects in the input's order.
    let mut cmd = import(&server, &input, &["--concurrency", "1"]);
    cmd.arg("--rejects").arg(&first);
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(1), "{}", stderr(&output));
    let rejected = std::fs::read(&first).expect("the rejects");
    let header = format!("line,error,{HEADER}\n");
    assert!(rejected.starts_with(header.as_bytes()));
    for original in [
        &b"R\xff1,788,hardUser,caf\xe9,\n"[..],
        b"BAD2,788,hardUser,\"550\r\n\"\"quoted\"\"\",2026-11-01T10:00:00Z\n",
        b"R3,788,softBounce,,\n",
    ] {
        assert!(
            rejected.windows(original.len()).any(|w| w == original),
            "{:?} not kept in {:?}",
            String::from_utf8_lossy(original),
            String::from_utf8_lossy(&rejected)
        );
    }
    assert_eq!(rejected_lines(&first), vec![3, 4, 6]);
    let text = String::from_utf8_lossy(&rejected);
    assert!(text.contains("not UTF-8"), "{text}");
    assert!(text.contains("hardUser, hardDomain"), "{text}");

    // Imported again as it is: the same records rejected, the same header,
    // the same data; the lines are the rejects file's own.
    let second = dir.path().join("rejects2.csv");
    let mut cmd = import(&server, &first, &[]);
    cmd.arg("--rejects").arg(&second);
    let output = run(cmd, b"").await;
    assert_eq!(code(&output), Some(1), "{}", stderr(&output));
    let again = std::fs::read(&second).expect("the rejects");
    assert!(again.starts_with(header.as_bytes()));
    assert_eq!(
        String::from_utf8_lossy(&again)
            .matches("line,error")
            .count(),
        1
    );
    assert_eq!(rejected_lines(&second), vec![2, 3, 5]);
    let data = |bytes: &[u8]| -> Vec<Vec<u8>> {
        let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
        let mut rows: Vec<Vec<u8>> = reader
            .byte_records()
            .map(|r| {
                r.expect("a row")
                    .iter()
                    .skip(2)
                    .flatten()
                    .copied()
                    .collect()
            })
            .collect();
        rows.sort();
        rows
    };
    assert_eq!(data(&again), data(&rejected));

    // Fixed, it goes through.
    let fixed = replace(&rejected, b"\xff", b"f");
    let fixed = replace(&fixed, b"\xe9", "é".as_bytes());
    let fixed = replace(&fixed, b"BAD2", b"OK2");
    let fixed = replace(&fixed, b"softBounce", b"hardDomain");
    let fixed = write(&dir, "fixed.csv", &fixed);
    let output = run(import(&server, &fixed, &[]), b"").await;
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    let counts = server.counts().bounces;
    for id in ["OK1", "Rf1", "OK2", "R3"] {
        assert_eq!(counts.get(id), Some(&1), "{id}: {counts:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bounce_types_are_the_specs_unless_allowed() {
    let server = FaultServer::start(FaultConfig::default())
        .await
        .expect("a server");
    let bounce = |extra: &[&str]| {
        let mut cmd = np6(&server.base_url());
        cmd.args(["bounce", "U1", "788", "--type", "softMailboxFull"])
            .args(extra);
        cmd
    };
    let refused = run(bounce(&[]), b"").await;
    assert_eq!(code(&refused), Some(2));
    assert!(
        stderr(&refused).contains("hardUser, hardDomain")
            && stderr(&refused).contains("--allow-unknown-type"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(server.counts().requests, 0);
    let allowed = run(bounce(&["--allow-unknown-type"]), b"").await;
    assert_eq!(code(&allowed), Some(0), "{}", stderr(&allowed));
    assert_eq!(server.counts().bounces.get("U1"), Some(&1));

    let mut cmd = np6(&server.base_url());
    cmd.args(["bounce", "--help"]);
    let help = common::stdout(&run(cmd, b"").await);
    assert!(
        help.contains("[possible values: hardUser, hardDomain]"),
        "{help}"
    );
    assert!(!help.contains("soft"), "{help}");

    let dir = tempfile::tempdir().expect("a folder");
    let input = write(
        &dir,
        "in.ndjson",
        b"{\"target_id\":\"U2\",\"field_id\":788,\"type\":\"softMailboxFull\"}\n",
    );
    let requests = server.counts().requests;
    let output = run(import(&server, &input, &[]), b"").await;
    assert_eq!(code(&output), Some(1), "{}", stderr(&output));
    assert_eq!(server.counts().requests, requests, "NP6 was not called");
    let output = run(import(&server, &input, &["--allow-unknown-type"]), b"").await;
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    assert_eq!(server.counts().bounces.get("U2"), Some(&1));
}
