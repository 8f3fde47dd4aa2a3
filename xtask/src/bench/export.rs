//! Benchmark 7, `export`: the release `np6` exports the whole 30-day
//! redlist of a streaming loopback server ([`super::redlist_server`]) as
//! NDJSON to a file, each size in a fresh process: its exact peak memory
//! (`wait4`) at N and 10 N entries; its wall time against the bare
//! transfer of the same answer (`curl -s -o /dev/null`, else reqwest
//! reading and discarding it in this process) from a server that sends
//! 100 MB/s, and (information) from the unpaced server, and against
//! `curl | jq -c '.[]'` there; then the same export against a server that
//! answers 504 to any window over a day, without `--chunk` (windows split
//! in halves) and with `--chunk 1d`. Every export's file is checked: every
//! entry exactly once. Targets: 10 N (2,000,000) entries in at most 64 MiB,
//! and at most 1.25x the memory of N; at most 1.15x the bare transfer at
//! 100 MB/s;
//! the 504 server's exports complete.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use super::child::{self, Finished};
use super::peers::{BENCH_KEY, LIMIT, Tools};
use super::redlist_server::{Mode, RedlistServer, index_of};
use super::{Row, Sizes};

/// The window asked: the server's whole span.
const SINCE: &str = "2026-10-02T00:00:00Z";
const UNTIL: &str = "2026-11-01T00:00:00Z";
/// The rate of the paced server: a fast NP6, slower than loopback.
const PACED_BYTES_PER_SECOND: u64 = 100_000_000;
/// The memory target, in MiB.
const MEMORY_TARGET_MIB: f64 = 64.0;

/// A temporary folder, removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Builds `np6` (`cargo build -p np6 --features codegen`: from this
/// checkout's spec; in release when `release`) into
/// the target folder cargo uses here (`CARGO_TARGET_DIR` respected) and
/// returns the binary.
///
/// # Errors
///
/// When cargo fails or names no `np6` executable.
pub fn build_np6(release: bool) -> Result<PathBuf, String> {
    let mut command = Command::new(env!("CARGO"));
    command
        .current_dir(np6_checks::project_root())
        .args(["build", "--quiet", "--package", "np6", "--bin", "np6"])
        .args(["--features", "codegen"])
        .args(["--message-format", "json"])
        .stderr(Stdio::inherit());
    if release {
        command.arg("--release");
    }
    let output = command
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!("cargo build -p np6 failed: {}", output.status));
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "np6")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| "cargo built no np6 executable".to_owned())
}

/// Benchmark 7 with the `np6` binary `np6`.
///
/// # Errors
///
/// When a server cannot start or a file cannot be read; a failing `np6`
/// is a row, not an error.
pub fn export(np6: &Path, sizes: Sizes) -> Result<Vec<Row>, String> {
    let dir =
        TempDir(std::env::temp_dir().join(format!("np6-bench-export-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).map_err(|e| format!("{}: {e}", dir.0.display()))?;
    let (small, large) = (
        sizes.export_entries,
        sizes.export_entries.saturating_mul(10),
    );
    let tools = Tools::find(sizes.export_peers);
    let out = dir.0.join("redlist.ndjson");

    eprintln!("bench: export of {} entries...", label(small));
    let small_run = {
        let server = RedlistServer::start(small, Mode::Whole).map_err(|e| e.to_string())?;
        exported(np6, &server, None, &out, small)?
    };
    // The target is against a server that sends as fast as a fast NP6
    // could (100 MB/s, 800 Mbit/s): whether the client keeps up. The
    // unpaced loopback server makes its JSON faster than any network
    // brings it, so that row only compares the two processes' CPU.
    eprintln!(
        "bench: export of {} entries from a server sending {} MB/s, {} time(s) each side...",
        label(large),
        PACED_BYTES_PER_SECOND / 1_000_000,
        sizes.export_pairs
    );
    let server = RedlistServer::start_paced(large, Mode::Whole, Some(PACED_BYTES_PER_SECOND))
        .map_err(|e| e.to_string())?;
    let url = transfer_url(&server);
    let mut runs = Vec::new();
    let mut bare = Vec::new();
    for pair in 0..sizes.export_pairs.max(1) {
        // Alternated, so that neither side always runs on a warmer machine.
        if pair % 2 == 1 {
            bare.push(tools.bare(&url)?);
        }
        runs.push(exported(np6, &server, None, &out, large)?);
        if pair % 2 == 0 {
            bare.push(tools.bare(&url)?);
        }
    }
    drop(server);
    eprintln!(
        "bench: export of {} entries from an unpaced server...",
        label(large)
    );
    let server = RedlistServer::start(large, Mode::Whole).map_err(|e| e.to_string())?;
    let unpaced_run = exported(np6, &server, None, &out, large)?;
    let unpaced_bare = tools.bare(&transfer_url(&server))?;
    let piped = tools.piped(&transfer_url(&server))?;
    drop(server);

    let mut rows = memory_rows(&small_run, &runs, small, large);
    if let (Some(row), Some(kib)) = (rows.first_mut(), super::proc::peak_rss_kib()) {
        // The servers run in this process: their bodies are made while
        // they are sent, so this stays small whatever the size.
        row.detail.push_str(&format!(
            "; the bench process (the servers) peaked at {:.1} MiB so far",
            kib as f64 / 1024.0
        ));
    }
    rows.extend(time_rows(&runs, &bare, &tools, large));
    rows.extend(unpaced_rows(
        &unpaced_run,
        unpaced_bare,
        &piped,
        &tools,
        large,
    ));
    for chunk in [None, Some("1d")] {
        eprintln!(
            "bench: export of {} entries from a server that answers 504 over a day{}...",
            label(large),
            chunk.map_or(String::new(), |c| format!(" (--chunk {c})"))
        );
        let server = RedlistServer::start(large, Mode::FailOverADay).map_err(|e| e.to_string())?;
        let run = exported(np6, &server, chunk, &out, large)?;
        rows.push(failing_server_row(&run, &server, chunk, large));
    }
    Ok(rows)
}

/// One export and what its file holds.
struct Export {
    finished: Finished,
    /// `Ok` with a summary when the file holds every entry once.
    check: Result<String, String>,
    /// The requests the server received during the export.
    requests: u64,
}

impl Export {
    /// `Ok` when `np6` exited 0 and wrote every entry once.
    fn outcome(&self) -> Result<&str, String> {
        if !self.finished.success() {
            return Err(format!("np6 failed: {}", self.finished.why()));
        }
        self.check.as_deref().map_err(Clone::clone)
    }

    fn peak_mib(&self) -> Option<f64> {
        self.finished.peak_kib.map(|kib| kib as f64 / 1024.0)
    }
}

/// `np6 redlist mail` of the whole span to `out` (NDJSON) in a fresh
/// process, then its file checked against the server's `entries`.
fn exported(
    np6: &Path,
    server: &RedlistServer,
    chunk: Option<&str>,
    out: &Path,
    entries: u64,
) -> Result<Export, String> {
    let _ = std::fs::remove_file(out);
    let mut command = Command::new(np6);
    command
        .args(["redlist", "mail", "--since", SINCE, "--until", UNTIL])
        .args(["--format", "ndjson", "--output"])
        .arg(out)
        .env_remove("NP6_KEY_FILE")
        .env("NP6_API_KEY", BENCH_KEY)
        .env("NP6_BASE_URL", server.base_url())
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    if let Some(chunk) = chunk {
        command.args(["--chunk", chunk]);
    }
    let (before, _) = server.requests();
    let finished = child::run(command, LIMIT)?;
    let requests = server.requests().0.saturating_sub(before);
    let check = if finished.success() {
        every_entry_once(out, entries)
    } else {
        Err("no file checked".to_owned())
    };
    let _ = std::fs::remove_file(out);
    Ok(Export {
        finished,
        check,
        requests,
    })
}

/// Whether the NDJSON file `path` holds each of `entries` entries exactly
/// once (and nothing else): a summary, or what is wrong.
fn every_entry_once(path: &Path, entries: u64) -> Result<String, String> {
    #[derive(serde::Deserialize)]
    struct Id {
        id: String,
    }
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let size = usize::try_from(entries).map_err(|e| e.to_string())?;
    let mut seen = vec![false; size];
    let (mut lines, mut distinct, mut duplicates, mut foreign) = (0_u64, 0_u64, 0_u64, 0_u64);
    for line in std::io::BufReader::new(file).lines() {
        let line = line.map_err(|e| format!("{}: {e}", path.display()))?;
        lines += 1;
        let index = serde_json::from_str::<Id>(&line)
            .ok()
            .and_then(|entry| index_of(&entry.id))
            .and_then(|i| usize::try_from(i).ok())
            .filter(|i| *i < size);
        match index {
            Some(i) if seen[i] => duplicates += 1,
            Some(i) => {
                seen[i] = true;
                distinct += 1;
            }
            None => foreign += 1,
        }
    }
    let summary = format!("{lines} lines, {distinct} of {entries} entries");
    if distinct == entries && duplicates == 0 && foreign == 0 {
        Ok(format!("{summary} once each"))
    } else {
        Err(format!(
            "{summary}: {duplicates} written twice or more, {foreign} not the server's"
        ))
    }
}

/// The whole window as one request: the answer `np6` exports, every
/// entry of the span (none is on either end), however `np6` asks for it.
fn transfer_url(server: &RedlistServer) -> String {
    let query = format!("startDate={SINCE}&endDate={UNTIL}").replace(':', "%3A");
    format!("{}/targets/redlist/mail?{query}", server.base_url())
}

/// The rows of peak memory.
fn memory_rows(small: &Export, large: &[Export], n_small: u64, n_large: u64) -> Vec<Row> {
    let failed = large.iter().find_map(|run| run.outcome().err());
    let peak_large = large
        .iter()
        .map(Export::peak_mib)
        .try_fold(0.0_f64, |max, peak| peak.map(|p| max.max(p)));
    let (memory, memory_detail) = match (&failed, peak_large) {
        (Some(why), _) => (f64::NAN, why.clone()),
        (None, None) => (f64::NAN, "peak memory unknown off Linux".to_owned()),
        (None, Some(peak)) => (
            peak / MEMORY_TARGET_MIB,
            format!(
                "{peak:.1} MiB peak RSS (np6's own; the largest of {} runs), {}",
                large.len(),
                large
                    .first()
                    .and_then(|r| r.outcome().ok())
                    .unwrap_or_default()
            ),
        ),
    };
    let (ratio, ratio_detail) = match (small.outcome(), &failed, small.peak_mib(), peak_large) {
        (Err(why), _, _, _) => (f64::NAN, format!("{}: {why}", label(n_small))),
        (_, Some(why), _, _) => (f64::NAN, format!("{}: {why}", label(n_large))),
        (Ok(_), None, Some(s), Some(l)) => (
            l / s,
            format!("{l:.1} MiB vs {s:.1} MiB, every entry once at both sizes"),
        ),
        _ => (f64::NAN, "peak memory unknown off Linux".to_owned()),
    };
    vec![
        Row {
            name: format!(
                "export {} peak memory / {MEMORY_TARGET_MIB:.0} MiB",
                label(n_large)
            ),
            ratio: memory,
            detail: memory_detail,
            target: Some((1.0, false)),
        },
        Row {
            name: format!("export memory {} / {}", label(n_large), label(n_small)),
            ratio,
            detail: ratio_detail,
            target: Some((1.25, false)),
        },
    ]
}

/// The rows of time: against the bare transfer, and against curl | jq.
fn time_rows(runs: &[Export], bare: &[(Duration, u64)], tools: &Tools, n: u64) -> Vec<Row> {
    let failed = runs.iter().find_map(|run| run.outcome().err());
    let np6: Vec<f64> = runs.iter().map(|r| r.finished.wall.as_secs_f64()).collect();
    let bytes = bare.first().map_or(0, |(_, bytes)| *bytes);
    let bare: Vec<f64> = bare.iter().map(|(d, _)| d.as_secs_f64()).collect();
    let pairs: Vec<f64> = np6.iter().zip(&bare).map(|(a, b)| a / b).collect();
    let (np6_median, bare_median) = (median(&np6), median(&bare));
    let (ratio, detail) = match &failed {
        Some(why) => (f64::NAN, why.clone()),
        None => (
            median(&pairs),
            format!(
                "median of {} alternated pairs: np6 {np6_median:.2} s in {} request(s), \
                 bare transfer {bare_median:.2} s ({}; {:.0} MB, {:.0} MB/s)",
                pairs.len(),
                runs.first().map_or(0, |r| r.requests),
                tools.bare_name(),
                bytes as f64 / 1e6,
                bytes as f64 / 1e6 / bare_median
            ),
        ),
    };
    vec![Row {
        name: format!(
            "export time / bare transfer, server at {} MB/s ({})",
            PACED_BYTES_PER_SECOND / 1_000_000,
            label(n)
        ),
        ratio,
        detail,
        target: Some((1.15, false)),
    }]
}

/// The rows of time against the unpaced server (information: one run
/// each): against the bare transfer, and against `curl | jq`.
fn unpaced_rows(
    run: &Export,
    bare: (Duration, u64),
    piped: &Result<Duration, String>,
    tools: &Tools,
    n: u64,
) -> Vec<Row> {
    let np6 = run.finished.wall.as_secs_f64();
    let (ratio, detail) = match run.outcome() {
        Ok(_) => (
            np6 / bare.0.as_secs_f64(),
            format!(
                "np6 {np6:.2} s in {} request(s), bare transfer {:.2} s ({}; {:.0} MB, {:.0} \
                 MB/s); one run each",
                run.requests,
                bare.0.as_secs_f64(),
                tools.bare_name(),
                bare.1 as f64 / 1e6,
                bare.1 as f64 / 1e6 / bare.0.as_secs_f64()
            ),
        ),
        Err(why) => (f64::NAN, why),
    };
    let (jq_ratio, jq_detail) = match (run.outcome(), piped) {
        (_, Err(why)) => (f64::NAN, why.clone()),
        (Err(why), Ok(_)) => (f64::NAN, why),
        (Ok(_), Ok(piped)) => (
            np6 / piped.as_secs_f64(),
            format!(
                "np6 {np6:.2} s, curl \\| jq -c '.[]' {:.2} s (one run each)",
                piped.as_secs_f64()
            ),
        ),
    };
    vec![
        Row {
            name: format!("export time / bare transfer, unpaced server ({})", label(n)),
            ratio,
            detail,
            target: None,
        },
        Row {
            // `\|`: a bar inside a Markdown table's cell.
            name: format!("export time / curl \\| jq, unpaced server ({})", label(n)),
            ratio: jq_ratio,
            detail: jq_detail,
            target: None,
        },
    ]
}

/// The row of an export against the server that answers 504 over a day.
fn failing_server_row(run: &Export, server: &RedlistServer, chunk: Option<&str>, n: u64) -> Row {
    let (requests, refused) = server.requests();
    let (ratio, what) = match run.outcome() {
        Ok(summary) => (1.0, summary.to_owned()),
        Err(why) => (0.0, why),
    };
    Row {
        name: format!(
            "30-day export against 504-over-a-day server, {} ({})",
            chunk.map_or("no --chunk".to_owned(), |c| format!("--chunk {c}")),
            label(n)
        ),
        ratio,
        detail: format!(
            "{what}; {requests} requests, {refused} answered 504; {:.2} s",
            run.finished.wall.as_secs_f64()
        ),
        target: Some((1.0, true)),
    }
}

/// The median of `values` (NaN when empty).
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => f64::midpoint(sorted[n / 2 - 1], sorted[n / 2]),
    }
}

/// 2000000 as `2M`, 20000 as `20k`.
pub fn label(n: u64) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_failing_np6_is_a_missed_row_with_its_exit_code_and_first_error_line() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = TempDir(
            std::env::temp_dir().join(format!("np6-bench-export-failing-{}", std::process::id())),
        );
        std::fs::create_dir_all(&dir.0).expect("a folder");
        let np6 = dir.0.join("np6");
        std::fs::write(
            &np6,
            "#!/bin/sh\necho 'error: the answer is larger than 67108864 bytes' >&2\n\
             echo 'second line' >&2\nexit 2\n",
        )
        .expect("a script");
        std::fs::set_permissions(&np6, std::fs::Permissions::from_mode(0o755)).expect("mode");
        let mut sizes = crate::bench::Sizes::quick();
        (sizes.export_entries, sizes.export_peers) = (10, false);
        let rows = export(&np6, sizes).expect("the benchmark reports");
        assert_eq!(rows.len(), 7, "{rows:?}");
        let why = "np6 failed: exit 2: error: the answer is larger than 67108864 bytes";
        for row in [&rows[0], &rows[1], &rows[2]] {
            assert!(!row.passed(), "{row:?}");
            assert!(row.detail.contains(why), "{row:?}");
        }
        assert!(rows[3].detail.contains(why), "{rows:?}");
        for row in [&rows[5], &rows[6]] {
            assert_eq!(row.ratio, 0.0, "{row:?}");
            assert!(row.detail.starts_with(why), "{row:?}");
        }
        assert!(crate::bench::table(&rows, true).contains("MISSED"));
    }

    #[test]
    fn sizes_are_labelled_as_the_rows_name_them() {
        assert_eq!(label(2_000_000), "2M");
        assert_eq!(label(200_000), "200k");
        assert_eq!(label(2_500), "2500");
    }
}
