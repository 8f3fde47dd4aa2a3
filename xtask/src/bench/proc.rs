//! What the benchmarks read from Linux's `/proc`; elsewhere each reader
//! answers `None`, and the figures that need it say "unknown".

/// The process's peak resident memory (`VmHWM`), in KiB.
pub fn peak_rss_kib() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .as_deref()
        .and_then(vm_hwm_kib)
}

/// The `VmHWM` line of a `/proc/PID/status` text, in KiB.
pub fn vm_hwm_kib(status: &str) -> Option<u64> {
    status
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
