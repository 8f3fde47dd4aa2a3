//! Configuration: the API key, the builder, and the retry policy.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

use crate::Client;
use crate::error::{Error, ErrorKind};
use crate::record::Recorder;
use crate::runtime::{Runtime, Shared};

/// The `User-Agent` the client sends unless told otherwise.
pub const DEFAULT_USER_AGENT: &str = concat!("np6-client/", env!("CARGO_PKG_VERSION"));

/// The production server of NP6.
pub const PRODUCTION_URL: &str = "https://api-cm.np6.com";

/// An NP6 API key. Its `Debug` output never shows the key.
///
/// ```
/// let key = np6_client::ApiKey::new("s3cr3t");
/// assert_eq!(format!("{key:?}"), "ApiKey(REDACTED)");
/// ```
#[derive(Clone)]
pub struct ApiKey(SecretString);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        Self(SecretString::from(key.into()))
    }

    /// The key in the `NP6_API_KEY` environment variable, if it is set and
    /// not empty.
    ///
    /// ```
    /// // Unset in doctests: the quickstart then runs against a local mock.
    /// let key = np6_client::ApiKey::from_env();
    /// # let _ = key;
    /// ```
    pub fn from_env() -> Option<Self> {
        std::env::var("NP6_API_KEY")
            .ok()
            .filter(|k| !k.is_empty())
            .map(Self::new)
    }

    /// The key itself, for the one place that sends it.
    pub(crate) fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(REDACTED)")
    }
}

impl From<&str> for ApiKey {
    fn from(key: &str) -> Self {
        Self::new(key)
    }
}

impl From<String> for ApiKey {
    fn from(key: String) -> Self {
        Self::new(key)
    }
}

/// When and how calls are retried.
///
/// A call is retried on connection errors, timeouts and the statuses 408,
/// 429, 500, 502, 503 and 504, when its method is idempotent (GET, PUT,
/// DELETE, HEAD) or [`retry_non_idempotent`](Self::retry_non_idempotent) is
/// set. Waits grow exponentially with full jitter, capped; a `Retry-After`
/// answer (seconds or HTTP-date) is honoured up to
/// [`max_retry_after`](Self::max_retry_after). No wait outlives the call's
/// deadline.
///
/// ```
/// use std::time::Duration;
/// use np6_client::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_attempts(6)
///     .initial_backoff(Duration::from_millis(100))
///     .max_backoff(Duration::from_secs(5));
/// assert_eq!(policy.attempts(), 6);
/// assert_eq!(RetryPolicy::disabled().attempts(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct RetryPolicy {
    pub(crate) max_attempts: u32,
    pub(crate) initial_backoff: Duration,
    pub(crate) max_backoff: Duration,
    pub(crate) max_retry_after: Duration,
    pub(crate) retry_non_idempotent: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
            retry_non_idempotent: false,
        }
    }
}

impl RetryPolicy {
    /// One attempt per call, never retried.
    pub fn disabled() -> Self {
        Self::default().max_attempts(1)
    }

    /// The most attempts per call, the first included. Default 4. `0`, like
    /// `1`, disables retries.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// The attempts a call may make: at least one.
    pub fn attempts(&self) -> u32 {
        self.max_attempts.max(1)
    }

    /// The upper bound of the first wait; each later one doubles it.
    /// Default 250 ms.
    pub fn initial_backoff(mut self, wait: Duration) -> Self {
        self.initial_backoff = wait;
        self
    }

    /// The cap on a backoff wait. Default 8 s.
    pub fn max_backoff(mut self, wait: Duration) -> Self {
        self.max_backoff = wait;
        self
    }

    /// The longest `Retry-After` wait honoured; a longer one is cut to this.
    /// Default 60 s.
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// Retry non-idempotent operations (POST, PATCH) too. Default `false`:
    /// a retried POST may do its work twice.
    pub fn retry_non_idempotent(mut self, yes: bool) -> Self {
        self.retry_non_idempotent = yes;
        self
    }
}

/// Builds a [`Client`]. Every setter states its default; errors wait for
/// [`build`](Self::build).
///
/// ```
/// use std::time::Duration;
///
/// let client = np6_client::Client::builder()
///     .api_key("my-np6-key")
///     .connect_timeout(Duration::from_secs(5))
///     .timeout(Duration::from_secs(20))
///     .deadline(Duration::from_secs(60))
///     .build()?;
/// # Ok::<(), np6_client::Error>(())
/// ```
#[must_use]
pub struct ClientBuilder {
    api_key: Option<ApiKey>,
    base_url: String,
    connect_timeout: Duration,
    timeout: Duration,
    deadline: Duration,
    retry: RetryPolicy,
    user_agent: String,
    http_client: Option<reqwest::Client>,
    allow_plaintext: bool,
    max_response_bytes: usize,
    record_dir: Option<PathBuf>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key)
            .field("base_url", &self.base_url)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("deadline", &self.deadline)
            .field("retry", &self.retry)
            .field("user_agent", &self.user_agent)
            .field("custom_http_client", &self.http_client.is_some())
            .field("allow_plaintext", &self.allow_plaintext)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("record_dir", &self.record_dir)
            .finish()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientBuilder {
    /// The defaults: production server, no key yet.
    pub fn new() -> Self {
        Self {
            api_key: None,
            base_url: PRODUCTION_URL.to_owned(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            deadline: Duration::from_secs(120),
            retry: RetryPolicy::default(),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            http_client: None,
            allow_plaintext: false,
            max_response_bytes: 64 * 1024 * 1024,
            record_dir: None,
        }
    }

    /// The NP6 API key, sent as the `X-Key` header of every request. Required.
    pub fn api_key(mut self, key: impl Into<ApiKey>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The server. Default `https://api-cm.np6.com`. A plain `http://` URL
    /// is refused unless its host is loopback or
    /// [`allow_plaintext`](Self::allow_plaintext) is set.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The longest wait for a TCP and TLS connection. Default 10 s. Not
    /// applied to a client given to [`http_client`](Self::http_client).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The longest one attempt may take, from sending the request to the
    /// last byte of the answer (a server that stalls mid-body is cut off).
    /// Default 30 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The longest a whole call may take, all attempts and waits included.
    /// Default 120 s.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// The retry policy. Default [`RetryPolicy::default`].
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The `User-Agent` header. Default `np6-client/<version>`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Sends through this `reqwest::Client` (its proxy, TLS roots, pool)
    /// instead of one built here. The key, user agent, timeouts and retries
    /// are still applied per request; its own redirect policy is kept, so
    /// keep redirects off: a redirect would carry the key elsewhere.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Allows a plain `http://` base URL on a non-loopback host. Default
    /// `false`: the key would travel in clear text.
    pub fn allow_plaintext(mut self, allow: bool) -> Self {
        self.allow_plaintext = allow;
        self
    }

    /// The largest response body read. Default 64 MiB; a larger answer
    /// fails the call with [`ErrorKind::ResponseTooLarge`].
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// Record mode: every exchange the client makes is written to `dir` as
    /// a fixture (`<operationId>-<status>-<n>.json`, the format of
    /// `openapi/fixtures/README.md`), with the key and any credential-looking
    /// header or query value replaced by `REDACTED`. Default: off, or the
    /// folder in the `NP6_RECORD_DIR` environment variable when it is set.
    /// A fixture that cannot be written is reported as a `tracing` warning;
    /// the call itself is not affected.
    ///
    /// ```
    /// let client = np6_client::Client::builder()
    ///     .api_key("my-np6-key")
    ///     .record_to("recordings")
    ///     .build()?;
    /// # Ok::<(), np6_client::Error>(())
    /// ```
    pub fn record_to(mut self, dir: impl Into<PathBuf>) -> Self {
        self.record_dir = Some(dir.into());
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`] when the key is missing, empty or not sendable
    /// in a header, the base URL is not an absolute `http(s)` URL, a plain
    /// `http://` URL is not allowed, the user agent is not a valid header
    /// value, or the HTTP client cannot be built.
    pub fn build(self) -> Result<Client, Error> {
        let key = self
            .api_key
            .ok_or_else(|| config("no API key given (ClientBuilder::api_key)"))?;
        if key.expose().trim().is_empty() {
            return Err(config("the API key is empty"));
        }
        let key_header_name =
            reqwest::header::HeaderName::from_bytes(crate::spec::API_KEY_HEADER.as_bytes())
                .map_err(|_| config("the spec's API key header name is not a valid header name"))?;
        let mut key_header = HeaderValue::from_str(key.expose()).map_err(|_| {
            config("the API key has characters that cannot be sent in an HTTP header")
        })?;
        key_header.set_sensitive(true);

        let base_url = self.base_url.trim_end_matches('/').to_owned();
        let url = reqwest::Url::parse(&base_url)
            .map_err(|e| config(format!("base URL {base_url:?} is not a URL: {e}")))?;
        match url.scheme() {
            "https" => {}
            "http" if self.allow_plaintext || is_loopback(&url) => {}
            "http" => {
                return Err(config(format!(
                    "base URL {base_url} is plain http: the API key would travel in clear text \
                     (use https, or ClientBuilder::allow_plaintext(true))"
                )));
            }
            other => return Err(config(format!("base URL scheme {other:?} is not http(s)"))),
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(config(format!(
                "base URL {base_url} must not have a query or fragment"
            )));
        }
        let user_agent = HeaderValue::from_str(&self.user_agent)
            .map_err(|_| config("the user agent is not a valid header value"))?;

        // A client built here applies the attempt timeout and the user agent
        // itself; `exec` adds them per request only where it must.
        let own_client = self.http_client.is_none();
        let http = match self.http_client {
            Some(client) => client,
            None => reqwest::Client::builder()
                .connect_timeout(self.connect_timeout)
                .timeout(self.timeout)
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(user_agent.clone())
                .build()
                .map_err(|e| {
                    Error::new(
                        ErrorKind::Config,
                        None,
                        format!("cannot build the HTTP client: {e}"),
                    )
                })?,
        };
        let shared = Shared {
            key,
            key_header_name,
            key_header,
            user_agent,
            timeout: self.timeout,
            own_client,
            connect_timeout: self.connect_timeout,
            deadline: self.deadline,
            retry: self.retry,
            max_response_bytes: self.max_response_bytes,
            recorder: self
                .record_dir
                .or_else(|| {
                    std::env::var_os("NP6_RECORD_DIR")
                        .filter(|d| !d.is_empty())
                        .map(PathBuf::from)
                })
                .map(Recorder::new),
        };
        let runtime = Runtime(Arc::new(shared));
        Ok(Client {
            inner: crate::generated::Client::new_with_client(&base_url, http, runtime),
        })
    }
}

fn config(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Config, None, message.into())
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}
