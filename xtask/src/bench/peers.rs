//! What the export benchmark compares `np6` with, on the same server and
//! query: the bare transfer (`curl -s -o /dev/null`, else reqwest reading
//! and discarding the body in this process) and `curl | jq -c '.[]'`,
//! each when the machine has the tool.

use std::process::{Command, Stdio};
use std::time::Duration;

use super::child;

/// The key every side sends: not a key of any account.
pub const BENCH_KEY: &str = "bench-not-a-key";
/// How long one run of any side may take before it is killed.
pub const LIMIT: Duration = Duration::from_secs(600);

/// The peers found on this machine.
pub struct Tools {
    curl: bool,
    jq: bool,
}

impl Tools {
    /// curl and jq, when `allowed` and they run.
    pub fn find(allowed: bool) -> Self {
        let runs = |tool: &str| {
            allowed
                && Command::new(tool)
                    .arg("--version")
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
        };
        Self {
            curl: runs("curl"),
            jq: runs("jq"),
        }
    }

    /// What measures the bare transfer.
    pub fn bare_name(&self) -> &'static str {
        if self.curl {
            "curl -s -o /dev/null"
        } else {
            "reqwest reading and discarding the body in this process"
        }
    }

    /// The wall time of the bare transfer of `url`, and the bytes of the
    /// body.
    pub fn bare(&self, url: &str) -> Result<(Duration, u64), String> {
        if !self.curl {
            return read_and_discard(url);
        }
        let mut command = Command::new("curl");
        command
            .args(["-s", "--fail", "-o", "/dev/null"])
            .args(["-w", "%{stderr}%{size_download}", "-H"])
            .arg(format!("X-Key: {BENCH_KEY}"))
            .arg(url)
            .stdin(Stdio::null());
        let finished = child::run(command, LIMIT)?;
        let bytes = finished
            .stderr
            .split_whitespace()
            .last()
            .and_then(|n| n.parse().ok());
        match bytes {
            Some(bytes) if finished.success() => Ok((finished.wall, bytes)),
            _ => Err(format!("curl failed: {}", finished.why())),
        }
    }

    /// The wall time of `curl URL | jq -c '.[]' > /dev/null`, or why it
    /// was not measured.
    pub fn piped(&self, url: &str) -> Result<Result<Duration, String>, String> {
        if !(self.curl && self.jq) {
            return Ok(Err(format!(
                "NOT MEASURED: {}",
                if self.curl { "no jq" } else { "no curl or jq" }
            )));
        }
        let mut curl = Command::new("curl")
            .args(["-s", "--fail", "-H"])
            .arg(format!("X-Key: {BENCH_KEY}"))
            .arg(url)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run curl: {e}"))?;
        let Some(body) = curl.stdout.take() else {
            return Err("curl has no stdout".to_owned());
        };
        let mut jq = Command::new("jq");
        jq.args(["-c", ".[]"])
            .stdout(Stdio::null())
            .stdin(Stdio::from(body));
        let finished = child::run(jq, LIMIT);
        let curl = curl.wait().map_err(|e| e.to_string())?;
        let finished = finished?;
        if finished.success() && curl.success() {
            Ok(Ok(finished.wall))
        } else {
            Ok(Err(format!(
                "curl \\| jq failed: {}, curl {curl}",
                finished.why()
            )))
        }
    }
}

/// The body of `url` read and dropped piece by piece with reqwest: the
/// wall time and the bytes.
fn read_and_discard(url: &str) -> Result<(Duration, u64), String> {
    let runtime = super::runtime()?;
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let started = std::time::Instant::now();
        let mut response = client
            .get(url)
            .header("X-Key", BENCH_KEY)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| e.to_string())?;
        let mut bytes = 0_u64;
        while let Some(piece) = response.chunk().await.map_err(|e| e.to_string())? {
            bytes = bytes.saturating_add(piece.len() as u64);
        }
        Ok((started.elapsed(), bytes))
    })
}
