//! What the commands write to stdout. Once stdout is closed early
//! (`cargo xtask validate | head -1`), later writes are skipped instead of
//! panicking like `println!`: the command ends quietly, with the exit code
//! of its own result.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once a write found stdout closed.
static CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `text` to stdout and flushes it.
///
/// # Errors
///
/// When stdout fails for another reason than being closed by its reader.
pub fn print(text: &str) -> Result<(), String> {
    if CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        Err(e) => Err(format!("cannot write to stdout: {e}")),
    }
}

/// Writes `text` and a newline.
///
/// # Errors
///
/// As [`print`].
pub fn line(text: &str) -> Result<(), String> {
    print(&format!("{text}\n"))
}
