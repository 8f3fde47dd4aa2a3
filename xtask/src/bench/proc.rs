//! What the benchmarks read from Linux's `/proc`; elsewhere each reader
//! answers `None`, and the figures that need it say "unknown".

/// The process's peak resident memory (`VmHWM`), in KiB.
pub fn peak_rss_kib() -> Option<u64> {
    peak_rss_kib_in("/proc/self/status")
}

/// The peak resident memory (`VmHWM`) that the `/proc/PID/status` file
/// `status` gives, in KiB.
pub fn peak_rss_kib_in(status: &str) -> Option<u64> {
    std::fs::read_to_string(status)
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// CPU time of the calling thread so far (schedstat), in ns.
pub fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn linux_reports_peak_memory_and_thread_cpu_time() {
        assert!(super::peak_rss_kib().is_some_and(|kib| kib > 0));
        assert!(super::thread_cpu_ns().is_some());
    }
}
