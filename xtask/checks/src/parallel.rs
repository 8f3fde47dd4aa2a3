//! The validator's use of every core: a map over a slice on scoped
//! threads, results in input order.
//!
//! Validating a fixture is reading and parsing a small file, then a few
//! schema checks: no shared state, so files are handed out one at a time
//! from an atomic counter (sizes vary, fixed chunks would leave a core
//! idle) and the results put back in input order, so that output is the
//! same whatever the number of cores.

use std::sync::atomic::{AtomicUsize, Ordering};

/// `f` over `items` on `threads` threads (the machine's cores when `None`),
/// results in the order of `items`.
pub fn map<T: Sync, R: Send>(
    items: &[T],
    threads: Option<usize>,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = threads
        .or_else(|| std::thread::available_parallelism().ok().map(usize::from))
        .unwrap_or(1)
        .clamp(1, items.len().max(1));
    if threads == 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else {
                            return done;
                        };
                        done.push((i, f(item)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e))
            })
            .collect()
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_the_input_order_on_any_number_of_threads() {
        let items: Vec<u32> = (0..1_000).collect();
        let expected: Vec<u32> = items.iter().map(|i| i * 3).collect();
        for threads in [1, 2, 7] {
            assert_eq!(super::map(&items, Some(threads), |i| i * 3), expected);
        }
        assert!(super::map(&[] as &[u32], None, |i| *i).is_empty());
    }
}
