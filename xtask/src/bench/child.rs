//! Running a benchmarked command in a child process, bounded in time: its
//! wall time, its exit code, its stderr and its peak memory (unknown off
//! Linux).
//!
//! The peak is the child's own. Linux's `ru_maxrss` (from `wait4`) starts
//! from the peak of the process the child was spawned from: std spawns
//! with the parent's memory (`CLONE_VM`), and `exec` records that memory's
//! peak as the child's. So `wait4`'s figure is taken only when it is above
//! this process's own peak (it is then exact); otherwise the figure is the
//! child's `VmHWM` (`/proc/PID/status`, its memory after `exec` alone),
//! read every [`PEAK_EVERY`] while it runs.

use std::io::Read as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How often a running child's `VmHWM` is read.
const PEAK_EVERY: Duration = Duration::from_millis(10);

/// How a child ended.
#[derive(Debug)]
pub struct Finished {
    /// Its exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    /// From its start to its end.
    pub wall: Duration,
    /// Its peak resident memory, in KiB (see the module).
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
    let status_file = format!("/proc/{pid}/status");
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain integers, for which all zeroes is valid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut killed = false;
    let mut high_water: Option<u64> = None;
    let mut last_read: Option<Instant> = None;
    loop {
        // Read before `wait4`: until it reaps the child, `pid` is the child.
        if last_read.is_none_or(|at| at.elapsed() >= PEAK_EVERY) {
            high_water = super::proc::peak_rss_kib_in(&status_file).or(high_water);
            last_read = Some(Instant::now());
        }
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
    // Linux counts `ru_maxrss` in KiB; the figure is the child's own only
    // above this process's peak (see the module).
    let own_peak = super::proc::peak_rss_kib().unwrap_or(u64::MAX);
    let exact = u64::try_from(usage.ru_maxrss)
        .ok()
        .filter(|&kib| kib > own_peak);
    Ok((code, exact.or(high_water), killed))
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
        command.args(["-c", "echo first >&2; echo second >&2; sleep 0.2; exit 3"]);
        let finished = run(command, Duration::from_secs(60)).expect("sh runs");
        assert_eq!(finished.code, Some(3));
        assert_eq!(finished.why(), "exit 3: first");
        // `sh` is smaller than this test process, from whose peak the
        // kernel's `ru_maxrss` of `sh` starts: the figure is `sh`'s own.
        let own = crate::bench::proc::peak_rss_kib().expect("VmHWM on Linux");
        let peak = finished.peak_kib.expect("sh's VmHWM, read while it ran");
        assert!(
            peak > 0 && peak < own,
            "sh {peak} KiB, this process {own} KiB"
        );
        assert!(!finished.success() && !finished.killed);
    }

    #[test]
    fn a_child_larger_than_this_process_reports_its_own_peak() {
        const MIB: u64 = 256;
        let mut command = Command::new("awk");
        command.arg(format!(
            "BEGIN {{ s = \"x\"; while (length(s) < {MIB} * 1048576) s = s s }}"
        ));
        let finished = run(command, Duration::from_secs(60)).expect("awk runs");
        assert!(finished.success(), "{finished:?}");
        let own = crate::bench::proc::peak_rss_kib().expect("VmHWM on Linux");
        assert!(own < MIB * 1024, "this test process peaked at {own} KiB");
        let peak = finished
            .peak_kib
            .expect("a reading above this process's peak");
        assert!(peak >= MIB * 1024, "{peak} KiB");
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
