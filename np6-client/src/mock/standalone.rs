//! The sandbox as a standalone mock NP6 on a port of your choosing, hardened
//! against floods: [`serve`] is an HTTP server with bounded connections,
//! timeouts and request size that answers from a [`FixtureSet`].
//!
//! It answers in-process, with the same model as the `Sandbox`'s httpmock
//! server (`answer.rs`): one listening port, and the matching only ever
//! sees complete, bounded requests; idle or slow clients, huge bodies and
//! accept errors stop here.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use super::FixtureSet;
use super::answer::Asked;
use crate::spec::API_KEY_HEADER;

/// What one client of [`serve`] may hold or send.
///
/// ```
/// use std::time::Duration;
/// use np6_client::mock::Limits;
///
/// let limits = Limits::default().max_connections(256).header_timeout(Duration::from_secs(5));
/// assert_eq!(limits.connection_cap(), 256);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Limits {
    max_connections: usize,
    header_timeout: Duration,
    body_timeout: Duration,
    max_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_body_bytes: 1 << 20,
        }
    }
}

impl Limits {
    /// The most connections open at once; one more is closed as soon as it
    /// is accepted. Default 1,024; 0 counts as 1.
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections.max(1);
        self
    }

    /// The connection cap in force.
    pub fn connection_cap(&self) -> usize {
        self.max_connections
    }

    /// How long a connection may take to send a request's headers, idle
    /// connections included: then it is closed. Default 10 s.
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.header_timeout = timeout;
        self
    }

    /// How long a request may take to send its body: then `408`. Default 30 s.
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// The largest request body: a larger one is answered `413` without
    /// being kept. Default 1 MiB.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }
}

/// Serves the fixtures on `listener` until the returned future is dropped:
/// a [`FixtureSet`] ([`FixtureSet::bundled`], [`FixtureSet::from_dir`]),
/// so `listener` is the one port, or, with the `mock` feature, a running
/// `Sandbox` (answered as that sandbox does, without going through its own
/// server).
///
/// The server keeps serving whatever clients do: an `accept` error (file
/// descriptors exhausted) is logged and retried after a growing pause;
/// connections beyond [`Limits::max_connections`] are closed at once;
/// a connection that sends no complete headers within
/// [`Limits::header_timeout`] is closed; a body over
/// [`Limits::max_body_bytes`] is answered `413` (read no further than the
/// limit), one that takes longer than [`Limits::body_timeout`] `408`.
///
/// ```no_run
/// use np6_client::mock::{FixtureSet, Limits};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let fixtures = FixtureSet::bundled()?;
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// tokio::select! {
///     () = np6_client::mock::serve(listener, &fixtures, Limits::default()) => {}
///     _ = tokio::signal::ctrl_c() => {}
/// }
/// # Ok(()) }
/// ```
pub async fn serve(
    listener: TcpListener,
    fixtures: &(impl AsRef<FixtureSet> + ?Sized),
    limits: Limits,
) {
    let front = Arc::new(Front {
        fixtures: fixtures.as_ref().clone(),
        limits: limits.clone(),
    });
    let places = Arc::new(Semaphore::new(limits.max_connections));
    let mut backoff = Backoff::default();
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => {
                backoff.reset();
                accepted
            }
            Err(error) => {
                let pause = backoff.next_pause();
                tracing::warn!(
                    target: "np6_client::mock",
                    %error,
                    pause_ms = pause.as_millis() as u64,
                    "cannot accept a connection; trying again after a pause"
                );
                tokio::time::sleep(pause).await;
                continue;
            }
        };
        let Ok(place) = places.clone().try_acquire_owned() else {
            tracing::warn!(
                target: "np6_client::mock",
                %peer,
                cap = limits.max_connections,
                "connection cap reached: connection closed"
            );
            drop(stream);
            continue;
        };
        let front = front.clone();
        tokio::spawn(async move {
            front.connection(stream, peer).await;
            drop(place);
        });
    }
}

/// What every connection shares.
struct Front {
    fixtures: FixtureSet,
    limits: Limits,
}

impl Front {
    async fn connection(self: Arc<Self>, stream: TcpStream, peer: SocketAddr) {
        let front = self.clone();
        let service =
            hyper::service::service_fn(move |request| front.clone().answer(request, peer));
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(self.limits.header_timeout)
            .max_buf_size(64 * 1024);
        if let Err(error) = http.serve_connection(TokioIo::new(stream), service).await {
            tracing::debug!(target: "np6_client::mock", %peer, %error, "connection ended");
        }
    }

    async fn answer(
        self: Arc<Self>,
        request: Request<Incoming>,
        peer: SocketAddr,
    ) -> Result<Response<Full<Bytes>>, Infallible> {
        let limit = self.limits.max_body_bytes;
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|length| length > limit as u64) {
            return Ok(too_large(limit, peer));
        }
        let (parts, body) = request.into_parts();
        let read = tokio::time::timeout(
            self.limits.body_timeout,
            Limited::new(body, limit).collect(),
        );
        let body = match read.await {
            Ok(Ok(body)) => body.to_bytes(),
            Ok(Err(error)) if error.is::<http_body_util::LengthLimitError>() => {
                return Ok(too_large(limit, peer));
            }
            Ok(Err(error)) => {
                return Ok(plain(
                    StatusCode::BAD_REQUEST,
                    format!("cannot read the request body: {error}"),
                ));
            }
            Err(_) => {
                return Ok(plain(
                    StatusCode::REQUEST_TIMEOUT,
                    "the request body took too long".to_owned(),
                ));
            }
        };
        let asked = Asked {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: query_pairs(parts.uri.query()),
            key: parts.headers.get(API_KEY_HEADER).map(|v| v.as_bytes()),
            body: &body,
        };
        let reply = self.fixtures.answer(&asked);
        let mut response = Response::new(Full::new(Bytes::from(reply.body)));
        *response.status_mut() =
            StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        for (name, value) in reply.headers {
            // Fixtures are checked when loaded: every header can be sent.
            if let (Ok(name), Ok(value)) = (
                header::HeaderName::from_bytes(name.as_bytes()),
                header::HeaderValue::from_str(&value),
            ) {
                response.headers_mut().append(name, value);
            }
        }
        Ok(response)
    }
}

/// The query string's names and values, decoded as a form.
fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    let Some(query) = query else {
        return Vec::new();
    };
    let Ok(mut url) = reqwest::Url::parse("http://sandbox.invalid/") else {
        return Vec::new();
    };
    url.set_query(Some(query));
    url.query_pairs().into_owned().collect()
}

#[cold]
fn too_large(limit: usize, peer: SocketAddr) -> Response<Full<Bytes>> {
    tracing::warn!(target: "np6_client::mock", %peer, limit, "413: request body too large");
    let mut response = plain(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the request body is larger than {limit} bytes"),
    );
    // The rest of the body is not read: the connection cannot be reused.
    response.headers_mut().insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    response
}

fn plain(status: StatusCode, text: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain"),
    );
    response
}

/// The pause after an `accept` error: doubling from 5 ms up to 1 s while
/// errors go on, back to the start after a success. An error such as
/// `EMFILE` lasts until connections close; retrying at once would spin.
#[derive(Debug)]
struct Backoff {
    next: Duration,
}

const FIRST_PAUSE: Duration = Duration::from_millis(5);
const LONGEST_PAUSE: Duration = Duration::from_secs(1);

impl Default for Backoff {
    fn default() -> Self {
        Self { next: FIRST_PAUSE }
    }
}

impl Backoff {
    fn next_pause(&mut self) -> Duration {
        let pause = self.next;
        self.next = self.next.saturating_mul(2).min(LONGEST_PAUSE);
        pause
    }

    fn reset(&mut self) {
        self.next = FIRST_PAUSE;
    }
}

#[cfg(all(test, feature = "mock"))]
#[path = "standalone_tests.rs"]
mod tests;
