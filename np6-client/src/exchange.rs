//! The hand-off between `Client::execute` and progenitor's `exec` hook for
//! one attempt, through a task-local, behind five functions: `execute`
//! runs an attempt in a [`scope`] and then takes what was [`seen`]; `exec`
//! reads the [`attempt`] (and, rarely, its [`raw_path`]) and [`note`]s
//! what it sees of the answer.
//!
//! Why a task-local: progenitor calls `exec` with the request and the
//! method's name only. The operation, the attempt's time limit and whether
//! the call is traced have to reach `exec`; the status, `x-request-id`,
//! `Retry-After` and an error's body have to come back to `execute`, which
//! builds the typed error (progenitor's own error keeps none of them for a
//! body that does not decode). A task-local is the one channel the
//! generated method leaves between the two.
//!
//! Why it is shaped this way (measured, see BENCHMARKS.md): the value is
//! moved in and out of the task-local on every poll, so it is small (a
//! reference, a time limit, a flag, an optional box); what was seen is
//! boxed and created only when something was noted, so a success with
//! nothing left to decode (a `204`) notes nothing at all; and the attempt
//! is pinned by the caller and lent to the scope, because moving its large
//! state machine into the scope would copy it. [`scope`] is a plain
//! function for the same reason: an `async fn` would keep its arguments
//! beside the scope (measured: 40 bytes more in every call's future).

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::HeaderValue;
use tokio::task::futures::TaskLocalFuture;

use crate::spec::Operation;

/// What `execute` tells `exec` about one attempt.
#[derive(Clone, Copy)]
pub(crate) struct Attempt {
    pub(crate) op: &'static Operation,
    /// The attempt's time limit: the attempt timeout, or less when the
    /// call's deadline is near.
    pub(crate) timeout: Duration,
    /// Whether a `tracing` subscriber wants the call's span.
    pub(crate) traced: bool,
    /// Whether the request must go out with the [`raw_path`] given to the
    /// scope instead of the one progenitor built (see
    /// `generated_support::raw_path`).
    pub(crate) path_given: bool,
}

/// What `exec` saw of an answer.
#[derive(Default)]
pub(crate) struct Seen {
    pub(crate) status: Option<StatusCode>,
    pub(crate) request_id: Option<HeaderValue>,
    pub(crate) retry_after: Option<Duration>,
    /// The body exactly as received, when `exec` read it whole.
    pub(crate) body: Option<Bytes>,
    /// The answer was larger than the client allows.
    pub(crate) too_large: bool,
}

/// The task-local's value: what went down, and what comes back.
pub(crate) struct Exchange {
    attempt: Attempt,
    seen: Option<Box<Seen>>,
    /// The path to send, when progenitor's cannot be used (rare: a thin
    /// pointer, so that the common case stays small).
    raw_path: Option<Arc<String>>,
}

tokio::task_local! {
    /// The exchange of the attempt being run in this task.
    static EXCHANGE: RefCell<Exchange>;
}

/// An attempt's future, with its [`Attempt`] visible to `exec` while it
/// runs. Await it pinned, then take what `exec` saw with [`seen`].
pub(crate) type Scoped<'a, F> = TaskLocalFuture<RefCell<Exchange>, Pin<&'a mut F>>;

/// Lends `future` (pinned by the caller) to a scope where `exec` finds
/// `attempt`. A plain function, not an `async fn`: the scope is the
/// caller's own state, with nothing kept beside it.
pub(crate) fn scope<F: Future>(
    attempt: Attempt,
    raw_path: Option<Arc<String>>,
    future: Pin<&mut F>,
) -> Scoped<'_, F> {
    let exchange = RefCell::new(Exchange {
        attempt,
        seen: None,
        raw_path,
    });
    EXCHANGE.scope(exchange, future)
}

/// What `exec` noted during a finished attempt, if anything.
pub(crate) fn seen<F: Future>(scoped: Pin<&mut Scoped<'_, F>>) -> Option<Box<Seen>> {
    scoped
        .take_value()
        .and_then(|exchange| exchange.into_inner().seen)
}

/// The attempt being run in this task; `None` outside a [`scope`].
pub(crate) fn attempt() -> Option<Attempt> {
    EXCHANGE.try_with(|e| e.borrow().attempt).ok()
}

/// The path the attempt's request must be sent to, if one was given.
pub(crate) fn raw_path() -> Option<Arc<String>> {
    EXCHANGE
        .try_with(|e| e.borrow().raw_path.clone())
        .ok()
        .flatten()
}

/// Notes what the attempt saw, for `execute` (nothing outside a [`scope`]).
pub(crate) fn note(update: impl FnOnce(&mut Seen)) {
    let _ = EXCHANGE.try_with(|exchange| {
        update(exchange.borrow_mut().seen.get_or_insert_with(Box::default));
    });
}
