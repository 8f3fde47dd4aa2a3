//! One attempt of a call, as progenitor's generated client sees it: the
//! generated `Client` is made for each attempt (`Client::execute`), with
//! an [`Attempt`] as its inner value. progenitor hands that value to the
//! `exec` hook (`ClientInfo::inner`), so the attempt's settings go down
//! and the answer's head comes back through a value the code passes, not
//! through a task-local or a global.
//!
//! The generated method's future owns its client (the generated `send`
//! moves it in), and `execute` keeps a second handle on the [`Attempt`]
//! to take the answer afterwards. A closure that borrowed the client
//! instead (`AsyncFn(&Client)`) makes the call's future not `Send` for
//! every lifetime, which rustc cannot prove through the borrow.
//!
//! Why the head comes back this way: when a success's body does not
//! decode, progenitor's error (`InvalidResponsePayload`) keeps the body but
//! not the status or `x-request-id`, and the typed error needs both.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::error::Answer;
use crate::settings::Settings;
use crate::spec::Operation;

/// progenitor's client for one attempt: its `inner` is the [`Attempt`].
pub(crate) type AttemptClient = crate::generated::Client;

/// What `exec` reads for one attempt, and the answer it leaves.
#[derive(Debug)]
pub(crate) struct Attempt {
    /// The operation called.
    pub(crate) op: &'static Operation,
    pub(crate) settings: Arc<Settings>,
    /// The attempt's time limit: the attempt timeout, or less when the
    /// call's deadline is near.
    pub(crate) timeout: Duration,
    /// The path to send instead of progenitor's, when progenitor's cannot
    /// carry a path parameter (`adapted::check_path_segment`).
    pub(crate) raw_path: Option<Arc<String>>,
    /// Whether a success's body is kept for [`Items`](crate::Items)
    /// (`Client::execute_stream`) instead of being decoded by progenitor.
    pub(crate) streamed: bool,
    /// The answer's head (no body), set by `exec` when an answer came.
    answer: Mutex<Option<Answer>>,
    /// A streamed attempt's success, its body unread (`keep`).
    kept: Mutex<Option<reqwest::Response>>,
}

impl Attempt {
    /// An attempt at `op` with the time limit `timeout`.
    pub(crate) fn new(
        op: &'static Operation,
        settings: Arc<Settings>,
        timeout: Duration,
        raw_path: Option<Arc<String>>,
        streamed: bool,
    ) -> Arc<Attempt> {
        Arc::new(Attempt {
            op,
            settings,
            timeout,
            raw_path,
            streamed,
            answer: Mutex::new(None),
            kept: Mutex::new(None),
        })
    }

    /// progenitor's client for this attempt, at `base_url` through `http`.
    pub(crate) fn client(self: &Arc<Self>, base_url: &str, http: reqwest::Client) -> AttemptClient {
        AttemptClient::new_with_client(base_url, http, Arc::clone(self))
    }

    /// Notes the answer's head (`exec`).
    pub(crate) fn answered(&self, head: Answer) {
        *self.answer.lock().unwrap_or_else(PoisonError::into_inner) = Some(head);
    }

    /// Keeps a streamed success whose body is read as items (`exec`), and
    /// gives progenitor the same answer with an empty array as its body:
    /// the generated method then returns at once, with an empty value.
    pub(crate) fn keep(&self, response: reqwest::Response) -> reqwest::Response {
        let mut empty = http::Response::new(reqwest::Body::from("[]"));
        *empty.status_mut() = response.status();
        *empty.version_mut() = response.version();
        *self.kept.lock().unwrap_or_else(PoisonError::into_inner) = Some(response);
        reqwest::Response::from(empty)
    }

    /// The success `keep` kept (`execute_stream`, after the attempt).
    pub(crate) fn take_kept(&self) -> Option<reqwest::Response> {
        self.kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// The answer's head, if an answer came (`execute`, after the attempt).
    pub(crate) fn take_answer(&self) -> Option<Answer> {
        self.answer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}
