//! Benchmark 5, `har`: `import-har` over a generated HTTP Archive: entries per
//! second, and the time per entry at the full size against a tenth of it
//! (about 1 when the import is linear; a name search per entry made it grow
//! with the size). Target: at most 1.5.

use std::path::{Path, PathBuf};
use std::time::Instant;

use np6_checks::har::Options;
use np6_checks::model::Model;
use serde_json::{Value, json};

use super::{Row, Sizes};

/// A temporary folder, removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Benchmark 4.
pub fn har(sizes: Sizes) -> Result<Vec<Row>, String> {
    let model = Model::load(&np6_checks::default_spec()).map_err(|issues| format!("{issues:?}"))?;
    let dir = TempDir(std::env::temp_dir().join(format!("np6-bench-har-{}", std::process::id())));
    let full = sizes.har_entries.max(10);
    let small = (full / 10).max(1);
    let (small_secs, _) = timed_import(&model, &dir.0, "small", small)?;
    let (full_secs, bytes) = timed_import(&model, &dir.0, "full", full)?;
    let per_entry = |secs: f64, n: usize| secs / n as f64;
    let ratio = per_entry(full_secs, full) / per_entry(small_secs, small);
    Ok(vec![Row {
        name: format!("import-har, {full} entries: time per entry vs {small} entries"),
        ratio,
        detail: format!(
            "{:.0} entries/s ({:.1} MB/s of HAR) at {full}, {:.0} entries/s at {small}",
            full as f64 / full_secs,
            bytes as f64 / full_secs / 1e6,
            small as f64 / small_secs,
        ),
        target: Some((1.5, false)),
    }])
}

/// Seconds to import a generated archive of `entries` entries, and its size.
fn timed_import(
    model: &Model,
    dir: &Path,
    name: &str,
    entries: usize,
) -> Result<(f64, usize), String> {
    let har = dir.join(format!("{name}.har"));
    let out = dir.join(name);
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let text = archive(entries).to_string();
    std::fs::write(&har, &text).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let imported =
        np6_checks::har::import_with(model, &har, &out, Options::default(), &mut |_, _| {})?;
    let secs = started.elapsed().as_secs_f64();
    if imported.written.len() != entries {
        return Err(format!(
            "import-har wrote {} of {entries} entries: {:?}",
            imported.written.len(),
            imported.skipped.first()
        ));
    }
    Ok((secs, text.len()))
}

/// An archive of `entries` NP6 exchanges: redlist reads, bounce writes and
/// errors in turn, each sending a key that the import must mask.
pub fn archive(entries: usize) -> Value {
    let header = |name: &str, value: &str| json!({"name": name, "value": value});
    let key = "bench-canary-key-0123456789";
    let entries: Vec<Value> = (0..entries)
        .map(|i| {
            let (method, url, request_body, status, body) = match i % 3 {
                0 => (
                    "GET",
                    "https://api-cm.np6.com/targets/redlist/mail?startDate=2026-11-20T00%3A00%3A00Z".to_owned(),
                    None,
                    200,
                    format!(r#"[{{"id":"{i:08X}","origin":5,"detail":{{}}}}]"#),
                ),
                1 => (
                    "PUT",
                    format!("https://api-cm.np6.com/targets/{i:08X}/bounces/788"),
                    Some(r#"{"type":"hardUser","fieldId":788}"#),
                    204,
                    String::new(),
                ),
                _ => (
                    "GET",
                    "https://api-cm.np6.com/targets/redlist/sms".to_owned(),
                    None,
                    503,
                    "<html>down</html>".to_owned(),
                ),
            };
            let mut request = json!({
                "method": method,
                "url": url,
                "headers": [header("X-Key", key), header("Content-Type", "application/json")],
            });
            if let Some(text) = request_body {
                request["postData"] = json!({"mimeType": "application/json", "text": text});
            }
            json!({
                "startedDateTime": "2026-11-27T10:00:00.000Z",
                "request": request,
                "response": {
                    "status": status,
                    "headers": [header("Content-Type", "application/json"), header("x-request-id", &format!("r-{i}"))],
                    "content": {"text": body},
                },
            })
        })
        .collect();
    json!({"log": {"version": "1.2", "creator": {"name": "bench", "version": "1"}, "entries": entries}})
}
