//! Captures everything the client logs, at TRACE, as text.
//!
//! One global TRACE subscriber writes into the buffer of the current thread.
//! Thread-local default subscribers would be simpler, but tracing caches
//! whether a callsite is enabled across threads, so tests running in
//! parallel would lose events. Each `#[tokio::test]` runs on its own thread
//! (a current-thread runtime), so a per-thread buffer is a per-test buffer.

use std::cell::RefCell;
use std::io::Write;
use std::sync::{Arc, Mutex, Once, PoisonError};

use tracing_subscriber::fmt::MakeWriter;

thread_local! {
    static CURRENT: RefCell<Option<Captured>> = const { RefCell::new(None) };
}

/// A buffer the client's logs of this thread go into.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

/// Stops capturing on this thread when dropped.
pub struct CaptureGuard(());

impl Drop for CaptureGuard {
    fn drop(&mut self) {
        CURRENT.with(|current| current.borrow_mut().take());
    }
}

impl Captured {
    /// Captures, until the guard is dropped, everything traced on this
    /// thread at any level.
    pub fn install() -> (Self, CaptureGuard) {
        static GLOBAL: Once = Once::new();
        GLOBAL.call_once(|| {
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_writer(ThreadWriter)
                .with_ansi(false)
                .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
                .finish();
            // Another global subscriber (set by a test binary) also works: then
            // nothing is captured and the assertions on the text say so.
            let _ = tracing::subscriber::set_global_default(subscriber);
        });
        let captured = Self::default();
        CURRENT.with(|current| *current.borrow_mut() = Some(captured.clone()));
        (captured, CaptureGuard(()))
    }

    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

/// Writes into the current thread's buffer, if any.
struct ThreadWriter;

impl Write for ThreadWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CURRENT.with(|current| {
            if let Some(captured) = current.borrow().as_ref() {
                captured
                    .0
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for ThreadWriter {
    type Writer = ThreadWriter;

    fn make_writer(&'a self) -> Self::Writer {
        ThreadWriter
    }
}
