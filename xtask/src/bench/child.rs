//! Running a benchmarked command in a child process, bounded in time: its
//! wall time, its exit code, its stderr and its exact peak memory (the
//! kernel's `ru_maxrss` of that child alone, from `wait4`; unknown off
//! Unix).

use std::io::Read as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How a child ended.
#[derive(Debug)]
pub struct Finished {
    /// Its exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    /// From its start to its end.
    pub wall: Duration,
    /// Its peak resident memory, in KiB.
    pub peak_kib: Option<u64>,
    /// What it wrote to stderr.
    pub stderr: String,
    /// Whether it was killed for running longer than allowed.
    pub killed: bool,
}

impl Finished {
    /// Whether it exited with 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// Why it failed, in one line: the exit code and stderr's first line.
    pub fn why(&self) -> String {
        let first = self
            .stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("(nothing on stderr)");
        match (self.killed, self.code) {
            (true, _) => format!("killed after the time allowed: {first}"),
            (false, Some(code)) => format!("exit {code}: {first}"),
            (false, None) => format!("ended by a signal: {first}"),
        }
    }
}

/// Runs `command` (stderr captured; stdin and stdout as it sets them) and
/// waits for it, killing it after `limit`.
///
/// # Errors
///
/// When it cannot be started or waited for.
pub fn run(mut command: Command, limit: Duration) -> Result<Finished, String> {
    command.stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot run {:?}: {e}", command.get_program()))?;
    let stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut stderr) = stderr {
            let _ = stderr.read_to_string(&mut text);
        }
        text
    });
    let (code, peak_kib, killed) = wait(&mut child, started, limit)?;
    let wall = started.elapsed();
    let stderr = reader.join().unwrap_or_default();
    Ok(Finished {
        code,
        wall,
        peak_kib,
        stderr,
        killed,
    })
}

/// Reaps `child` with `wait4`, polling so that it can be killed after
/// `limit`: its exit code, its peak memory and whether it was killed.
#[cfg(unix)]
fn wait(
    child: &mut std::process::Child,
    started: Instant,
    limit: Duration,
) -> Result<(Option<i32>, Option<u64>, bool), String> {
    let pid = libc::pid_t::try_from(child.id()).map_err(|e| e.to_string())?;
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain integers, for which all zeroes is valid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut killed = false;
    loop {
        // SAFETY: `pid` is this process's child, not reaped yet (only this
        // loop reaps it); `status` and `usage` are valid for writes.
        let reaped = unsafe { libc::wait4(pid, &raw mut status, libc::WNOHANG, &raw mut usage) };
        if reaped == pid {
            break;
        }
        if reaped < 0 {
            let error = std::io::Error::last_os_error();
            if error.kind() != std::io::ErrorKind::Interrupted {
                return Err(format!("wait4: {error}"));
            }
        }
        if !killed && started.elapsed() > limit {
            // The child is not reaped yet: `pid` is still it.
            let _ = child.kill();
            killed = true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    // Linux counts `ru_maxrss` in KiB.
    Ok((code, u64::try_from(usage.ru_maxrss).ok(), killed))
}

/// Waits for `child`, killing it after `limit`; peak memory unknown.
#[cfg(not(unix))]
fn wait(
    child: &mut std::process::Child,
    started: Instant,
    limit: Duration,
) -> Result<(Option<i32>, Option<u64>, bool), String> {
    let mut killed = false;
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            return Ok((status.code(), None, killed));
        }
        if !killed && started.elapsed() > limit {
            let _ = child.kill();
            killed = true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_child_reports_its_code_stderr_and_own_peak_memory() {
        let mut command = Command::new("sh");
        command.args(["-c", "echo first >&2; echo second >&2; exit 3"]);
        let finished = run(command, Duration::from_secs(60)).expect("sh runs");
        assert_eq!(finished.code, Some(3));
        assert_eq!(finished.why(), "exit 3: first");
        assert!(finished.peak_kib.is_some_and(|kib| kib > 0), "{finished:?}");
        assert!(!finished.success() && !finished.killed);
    }

    #[test]
    fn a_child_over_its_time_is_killed() {
        let mut command = Command::new("sleep");
        command.arg("30");
        let finished = run(command, Duration::from_millis(50)).expect("sleep runs");
        assert!(finished.killed && finished.code.is_none(), "{finished:?}");
        assert!(finished.wall < Duration::from_secs(30), "{finished:?}");
    }
}
