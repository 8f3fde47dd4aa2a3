//! The one error type of the client.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;

/// What went wrong, in the terms a caller acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The client configuration is invalid ([`ClientBuilder::build`](crate::ClientBuilder::build)).
    Config,
    /// An argument breaks a rule of the spec; no request was sent.
    InvalidArgument,
    /// NP6 answered with a status that is not a success of the operation
    /// (a documented error such as 401, or an unexpected status).
    Status,
    /// NP6 answered with success, but the body does not match the spec.
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
/// attempts were made. Neither its `Display` nor its `Debug` output ever
/// contains the API key.
///
/// ```
/// # async fn run(client: np6_client::Client) {
/// use np6_client::ErrorKind;
///
/// match client.get_mail_redlist(None, None).await {
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
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Error {
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
                source: None,
            }),
        }
    }

    pub(crate) fn invalid_argument(operation: &'static str, message: String) -> Self {
        Self::new(ErrorKind::InvalidArgument, Some(operation), message)
    }

    pub(crate) fn unknown_operation(id: &str) -> Self {
        Self::new(
            ErrorKind::InvalidArgument,
            None,
            format!("the spec has no operation {id:?}"),
        )
    }

    pub(crate) fn with_response(
        mut self,
        status: StatusCode,
        request_id: Option<String>,
        body: Bytes,
        excerpt: Option<String>,
    ) -> Self {
        self.inner.status = Some(status);
        self.inner.request_id = request_id;
        self.inner.body = Some(body);
        self.inner.excerpt = excerpt;
        self
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.inner.source = Some(Box::new(source));
        self
    }

    pub(crate) fn with_retry_after(mut self, wait: Option<Duration>) -> Self {
        self.inner.retry_after = wait;
        self
    }

    pub(crate) fn set_attempts(&mut self, attempts: u32) {
        self.inner.attempts = attempts;
    }

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

    /// NP6's `x-request-id` of the last answer: give it to NP6 support.
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }

    /// The raw body of the last answer, exactly as received.
    pub fn body(&self) -> Option<&[u8]> {
        self.inner.body.as_deref()
    }

    /// The body of the last answer as text (invalid UTF-8 replaced).
    pub fn body_text(&self) -> Option<String> {
        self.inner
            .body
            .as_deref()
            .map(|b| String::from_utf8_lossy(b).into_owned())
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

    /// Whether trying the same call again later may succeed: connection
    /// failures, timeouts, and the statuses 408, 429, 500, 502, 503 and 504.
    pub fn is_retryable(&self) -> bool {
        match self.inner.kind {
            ErrorKind::Connect | ErrorKind::Timeout | ErrorKind::Transport => true,
            ErrorKind::Status => self.inner.status.is_some_and(is_retryable_status),
            _ => false,
        }
    }
}

pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        if let Some(op) = inner.operation {
            write!(f, "{op}: ")?;
        }
        f.write_str(&inner.message)?;
        if inner.attempts > 1 {
            write!(f, " (after {} attempts)", inner.attempts)?;
        }
        if let Some(id) = &inner.request_id {
            write!(f, " [x-request-id {id}]")?;
        }
        if let Some(excerpt) = inner.excerpt.as_deref().filter(|e| !e.is_empty()) {
            write!(f, ": {excerpt}")?;
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
