//! The one error type of the client: what went wrong ([`ErrorKind`]), what
//! NP6 answered, and the constructors the rest of the crate uses (at the
//! bottom).

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;

use crate::secret::{ApiKey, EXCERPT_CHARS, printable};

/// What went wrong, in the terms a caller acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The client configuration is invalid ([`ClientBuilder::build`](crate::ClientBuilder::build)).
    Config,
    /// An argument breaks a rule of the spec, or the request could not be
    /// built from the arguments; no request was sent.
    InvalidArgument,
    /// NP6 answered with a status that is not a success of the operation
    /// (a documented error such as 401, or an unexpected status).
    Status,
    /// NP6 answered with success, but the body does not match the spec (or,
    /// from `Client::call_operation` of the np6-rs tools, the decoded value
    /// cannot be given back as JSON).
    Decode,
    /// The answer was larger than [`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes).
    ResponseTooLarge,
    /// No connection could be made (refused, DNS, TLS).
    Connect,
    /// An attempt or the call's deadline ran out.
    Timeout,
    /// The connection failed while sending or receiving (reset, cut body).
    Transport,
}

/// An error of an NP6 call.
///
/// It keeps what NP6 support needs: the HTTP status, NP6's `x-request-id`,
/// and the raw body, even when the body is not JSON. It says how many
/// attempts were made. Neither its `Display` nor its `Debug` output, nor
/// its message, request id or source, ever contains the API key, in any
/// encoding (an echo of the key is shown as `REDACTED`); only
/// [`body`](Self::body) is left exactly as received.
///
/// ```
/// # async fn run(client: np6_client::Client) {
/// use np6_client::ErrorKind;
///
/// match client.get_mail_redlist().send().await {
///     Ok(entries) => println!("{} entries", entries.len()),
///     Err(e) if e.status() == Some(401) => eprintln!("check the API key"),
///     Err(e) if e.kind() == ErrorKind::Timeout => eprintln!("NP6 is slow: {e}"),
///     Err(e) => eprintln!("{e} (request id {:?})", e.request_id()),
/// }
/// # }
/// ```
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    operation: Option<&'static str>,
    message: String,
    attempts: u32,
    status: Option<StatusCode>,
    request_id: Option<String>,
    body: Option<Bytes>,
    /// The start of the body for `Display`, with any echo of the key masked.
    excerpt: Option<String>,
    retry_after: Option<Duration>,
    /// For the error a stream of items ends with: the items before it.
    delivered: Option<u64>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// What NP6 answered: the head `exec` (`hook.rs`) reads from every
/// response, and the body when it was read whole. An error keeps it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    /// `x-request-id`, when it is text.
    pub(crate) request_id: Option<String>,
    /// The wait `Retry-After` asked for (error statuses only).
    pub(crate) retry_after: Option<Duration>,
    /// The body exactly as received, when it was read whole.
    pub(crate) body: Option<Bytes>,
}

impl Error {
    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The `operationId` of the call, e.g. `getMailRedlist`.
    pub fn operation(&self) -> Option<&'static str> {
        self.inner.operation
    }

    /// How many requests were sent: 0 when none was (invalid argument),
    /// more than 1 when the call was retried.
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// The HTTP status of NP6's last answer, if one came.
    pub fn status(&self) -> Option<u16> {
        self.inner.status.map(|s| s.as_u16())
    }

    /// NP6's `x-request-id` of the last answer: give it to NP6 support
    /// (with any echo of the key masked).
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }

    /// The body of NP6's last answer, exactly as received, when the client
    /// read it whole: the body of an error status, or of a success that
    /// does not decode.
    ///
    /// `None` when no answer came, when the answer was larger than
    /// [`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes)
    /// (it is not read past the limit), when the connection failed while it
    /// was read, and for a success status the operation does not document
    /// (its body is left unread).
    pub fn body(&self) -> Option<&[u8]> {
        self.inner.body.as_deref()
    }

    /// [`body`](Self::body) as text (invalid UTF-8 replaced).
    pub fn body_text(&self) -> Option<String> {
        self.inner
            .body
            .as_deref()
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }

    /// For the error that ends a stream of items
    /// ([`Items`](crate::Items)): how many items the stream yielded before
    /// it. `None` for the errors of `send()` and of `stream()` itself.
    ///
    /// ```
    /// # async fn run(client: np6_client::Client) -> Result<(), np6_client::Error> {
    /// use futures_util::StreamExt;
    ///
    /// let mut entries = client.get_mail_redlist().stream().await?;
    /// while let Some(entry) = entries.next().await {
    ///     match entry {
    ///         Ok(entry) => println!("{}", entry.id),
    ///         Err(e) => eprintln!("cut after {:?} entries: {e}", e.delivered()),
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn delivered(&self) -> Option<u64> {
        self.inner.delivered
    }

    /// The wait NP6 asked for in `Retry-After`, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// Whether an attempt or the deadline ran out.
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout
    }

    /// Whether no connection could be made.
    pub fn is_connect(&self) -> bool {
        self.inner.kind == ErrorKind::Connect
    }

    // `is_retryable` is defined in `retry.rs`, beside the one classifier
    // of failures it reads.
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        if let Some(op) = inner.operation {
            write!(f, "{op}: ")?;
        }
        // Texts from NP6 are shown with their control characters escaped.
        f.write_str(&printable(&inner.message))?;
        if inner.attempts > 1 {
            write!(f, " (after {} attempts)", inner.attempts)?;
        }
        if let Some(id) = &inner.request_id {
            write!(f, " [x-request-id {}]", printable(id))?;
        }
        if let Some(excerpt) = inner.excerpt.as_deref().filter(|e| !e.is_empty()) {
            write!(f, ": {}", printable(excerpt))?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        let mut s = f.debug_struct("Error");
        s.field("kind", &inner.kind)
            .field("operation", &inner.operation)
            .field("message", &inner.message)
            .field("attempts", &inner.attempts);
        if let Some(delivered) = inner.delivered {
            s.field("delivered", &delivered);
        }
        if let Some(status) = inner.status {
            s.field("status", &status.as_u16());
        }
        if let Some(id) = &inner.request_id {
            s.field("request_id", id);
        }
        if let Some(body) = &inner.body {
            s.field("body_len", &body.len());
        }
        if let Some(wait) = inner.retry_after {
            s.field("retry_after", &wait);
        }
        if let Some(source) = &inner.source {
            s.field("source", &source.to_string());
        }
        s.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

// constructors

impl Error {
    /// An error of `kind`, with no answer from NP6 and no source.
    pub(crate) fn new(kind: ErrorKind, operation: Option<&'static str>, message: String) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                operation,
                message,
                attempts: 0,
                status: None,
                request_id: None,
                body: None,
                excerpt: None,
                retry_after: None,
                delivered: None,
                source: None,
            }),
        }
    }

    /// Keeps what NP6 answered.
    pub(crate) fn with_answer(mut self, answer: Answer) -> Self {
        let inner = &mut self.inner;
        inner.status = Some(answer.status);
        inner.request_id = answer.request_id;
        inner.body = answer.body;
        inner.retry_after = answer.retry_after;
        self
    }

    /// Masks every echo of `key` in what the error shows: its message,
    /// request id and source (replaced by its masked text when that holds
    /// an echo); and makes the body's excerpt for `Display`, masked too.
    /// Every error made where the key is known passes here.
    pub(crate) fn masked(mut self, key: &ApiKey) -> Self {
        let inner = &mut *self.inner;
        inner.excerpt = inner
            .body
            .as_deref()
            .and_then(|body| key.excerpt(body, EXCERPT_CHARS));
        for text in [Some(&mut inner.message), inner.request_id.as_mut()]
            .into_iter()
            .flatten()
        {
            if key.is_echoed_in(text) {
                *text = key.redact(text);
            }
        }
        if let Some(source) = &inner.source {
            let text = chain(source.as_ref());
            if key.is_echoed_in(&text) {
                inner.source = Some(Box::new(MaskedSource(key.redact(&text))));
            }
        }
        self
    }

    /// The number of requests the call sent.
    pub(crate) fn set_attempts(&mut self, attempts: u32) {
        self.inner.attempts = attempts;
    }
}

/// An error's text and its sources', one after the other.
pub(crate) fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// The source of an error whose text held an echo of the key: that text,
/// masked (the original is dropped).
#[derive(Debug)]
struct MaskedSource(String);

impl fmt::Display for MaskedSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MaskedSource {}

/// The configuration given to the builder is refused.
pub(crate) fn config(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Config, None, message.into())
}

/// An argument is refused before any request.
pub(crate) fn invalid_argument(operation: &'static str, message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidArgument, Some(operation), message.into())
}

/// `Client::call_operation` was given an id the spec does not have.
pub(crate) fn unknown_operation(id: &str) -> Error {
    Error::new(
        ErrorKind::InvalidArgument,
        None,
        format!("the spec has no operation {id:?}"),
    )
}

/// NP6 answered with a status that is not a success of the operation.
pub(crate) fn status(operation: &'static str, message: String, answer: Answer) -> Error {
    Error::new(ErrorKind::Status, Some(operation), message).with_answer(answer)
}

/// NP6 answered with success and a body that does not match the spec.
pub(crate) fn decode(operation: &'static str, message: String, answer: Answer) -> Error {
    Error::new(ErrorKind::Decode, Some(operation), message).with_answer(answer)
}

/// `Client::call_operation` cannot give the typed result back as JSON.
pub(crate) fn result_not_json(operation: &'static str, source: serde_json::Error) -> Error {
    let message = format!("the result cannot be given as JSON: {source}");
    let mut error = Error::new(ErrorKind::Decode, Some(operation), message);
    error.inner.source = Some(Box::new(source));
    error
}

/// NP6's answer is larger than `limit` bytes.
pub(crate) fn too_large(operation: &'static str, limit: usize, answer: Answer) -> Error {
    let message = format!("the answer is larger than {limit} bytes");
    Error::new(ErrorKind::ResponseTooLarge, Some(operation), message).with_answer(answer)
}

/// No answer began within `limit` (a streamed attempt).
pub(crate) fn no_answer(operation: &'static str, limit: Duration) -> Error {
    let message = format!("no answer began within {limit:?}");
    Error::new(ErrorKind::Timeout, Some(operation), message)
}

/// A broken promise between two parts of the client: a bug, never
/// retried.
pub(crate) fn internal(operation: &'static str, message: &str) -> Error {
    let message = format!("internal error of np6-client: {message}");
    Error::new(ErrorKind::Decode, Some(operation), message)
}

/// The error that ends a stream of items, after `delivered` of them.
pub(crate) fn in_stream(
    kind: ErrorKind,
    operation: &'static str,
    message: String,
    answer: Answer,
    attempts: u32,
    delivered: u64,
) -> Error {
    let mut error = Error::new(kind, Some(operation), message).with_answer(answer);
    error.inner.attempts = attempts;
    error.inner.delivered = Some(delivered);
    error
}

/// No connection, no complete answer in time, or a connection that failed
/// (`kind` is `Connect`, `Timeout` or `Transport`), caused by `source`.
pub(crate) fn connection(
    kind: ErrorKind,
    operation: &'static str,
    message: String,
    source: impl std::error::Error + Send + Sync + 'static,
) -> Error {
    let mut error = Error::new(kind, Some(operation), message);
    error.inner.source = Some(Box::new(source));
    error
}
