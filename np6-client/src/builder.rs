//! The builder of a [`Client`]: [`ClientBuilder`] owns a `Config` (what
//! the caller asked for, defaults included) and
//! [`build`](ClientBuilder::build) checks it and turns it into the client's
//! shared [`Settings`].

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderValue;

use crate::Client;
use crate::error::{self, Error};
use crate::record::Recorder;
use crate::retry::RetryPolicy;
use crate::secret::ApiKey;
use crate::settings::Settings;

/// The `User-Agent` the client sends unless told otherwise.
pub const DEFAULT_USER_AGENT: &str = concat!("np6-client/", env!("CARGO_PKG_VERSION"));

/// The production server of NP6.
pub const PRODUCTION_URL: &str = "https://api-cm.np6.com";

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
    config: Config,
}

/// What the caller asked for; [`ClientBuilder::build`] checks it.
struct Config {
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
    max_item_bytes: usize,
    record_dir: Option<PathBuf>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = &self.config;
        // Even text the caller gave is shown with any echo of the key masked.
        let mask = |text: &str| match &config.api_key {
            Some(key) => key.redact(text),
            None => text.to_owned(),
        };
        let record_dir = config
            .record_dir
            .as_ref()
            .map(|dir| mask(&dir.to_string_lossy()));
        f.debug_struct("ClientBuilder")
            .field("api_key", &config.api_key)
            .field("base_url", &mask(&config.base_url))
            .field("connect_timeout", &config.connect_timeout)
            .field("timeout", &config.timeout)
            .field("deadline", &config.deadline)
            .field("retry", &config.retry)
            .field("user_agent", &mask(&config.user_agent))
            .field("custom_http_client", &config.http_client.is_some())
            .field("allow_plaintext", &config.allow_plaintext)
            .field("max_response_bytes", &config.max_response_bytes)
            .field("max_item_bytes", &config.max_item_bytes)
            .field("record_dir", &record_dir)
            .finish()
    }
}

impl Client {
    /// A builder with the defaults documented on each of its setters.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
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
        let config = Config {
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
            max_item_bytes: 1024 * 1024,
            record_dir: None,
        };
        Self { config }
    }

    /// The NP6 API key, sent as the `X-Key` header of every request. Required.
    pub fn api_key(mut self, key: impl Into<ApiKey>) -> Self {
        self.config.api_key = Some(key.into());
        self
    }

    /// The server. Default `https://api-cm.np6.com`. A plain `http://` URL
    /// is refused unless its host is loopback or
    /// [`allow_plaintext`](Self::allow_plaintext) is set, and refused
    /// whenever a proxy of the environment (`http_proxy`, `HTTP_PROXY`,
    /// `all_proxy`, `ALL_PROXY`, minus `NO_PROXY`) would carry it. A
    /// client built here reaches a loopback host directly, never through a
    /// proxy.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.config.base_url = url.into();
        self
    }

    /// The longest wait for a TCP and TLS connection. Default 10 s. Not
    /// applied to a client given to [`http_client`](Self::http_client).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// The longest one attempt may take, from sending the request to the
    /// last byte of the answer (a server that stalls mid-body is cut off).
    /// Default 30 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config.timeout = timeout;
        self
    }

    /// The longest a whole call may take, all attempts and waits included.
    /// Default 120 s.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.config.deadline = deadline;
        self
    }

    /// The retry policy. Default [`RetryPolicy::default`].
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.config.retry = policy;
        self
    }

    /// The `User-Agent` header. Default `np6-client/<version>`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.config.user_agent = user_agent.into();
        self
    }

    /// Sends through this `reqwest::Client` (its proxy, TLS roots, pool)
    /// instead of one built here. The key, user agent, attempt timeout and
    /// retries are still applied per request; its own redirect policy is
    /// kept, so keep redirects off: a redirect would carry the key
    /// elsewhere. Its proxies are its own: a plain `http://` base URL, even
    /// loopback, is refused while a proxy of the environment applies to it. Default: a client built here, with the connect and
    /// attempt timeouts, the user agent and no redirects.
    ///
    /// This is how a crate built without a TLS feature (`rustls`,
    /// `native-tls`) talks HTTPS: with a client that brings its own TLS.
    ///
    /// `reqwest::Client` is the one type of another crate in this builder,
    /// on purpose: it lets you share a connection pool, proxy and TLS setup
    /// with the rest of your program. It ties np6-client's semver to
    /// reqwest's: a new major version of reqwest is a new major version of
    /// np6-client.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.config.http_client = Some(client);
        self
    }

    /// Allows a plain `http://` base URL on a non-loopback host. Default
    /// `false`: the key would travel in clear text.
    pub fn allow_plaintext(mut self, allow: bool) -> Self {
        self.config.allow_plaintext = allow;
        self
    }

    /// The largest response body read. Default 64 MiB; a larger answer
    /// fails the call with [`ErrorKind::ResponseTooLarge`](crate::ErrorKind::ResponseTooLarge).
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.config.max_response_bytes = bytes;
        self
    }

    /// The largest item of an answer read as a stream of items (`stream()`
    /// on a request whose answer is an array, [`Items`](crate::Items)).
    /// Default 1 MiB; a larger item ends the stream with
    /// [`ErrorKind::ResponseTooLarge`](crate::ErrorKind::ResponseTooLarge).
    /// The answer as a whole has no limit there: memory holds one item.
    ///
    /// ```
    /// let client = np6_client::Client::builder()
    ///     .api_key("my-np6-key")
    ///     .max_item_bytes(64 * 1024)
    ///     .build()
    ///     .expect("a valid configuration");
    /// # let _ = client;
    /// ```
    pub fn max_item_bytes(mut self, bytes: usize) -> Self {
        self.config.max_item_bytes = bytes;
        self
    }

    /// Record mode: every exchange the client makes is written to `dir` as
    /// a fixture (the format of `openapi/fixtures/README.md`) named
    /// `<operationId>-<status>-<ms>-<n>.json`, where `<ms>` is the time of
    /// writing in milliseconds since the Unix epoch and `<n>` counts the
    /// client's fixtures from 0. The key and any credential-looking header
    /// or query value are replaced by `REDACTED`, and the answer is written
    /// as received (a `204` with no body). Default: off, or the
    /// folder in the `NP6_RECORD_DIR` environment variable when it is set.
    /// A fixture that cannot be written is reported as a `tracing` warning;
    /// the call itself is not affected. An answer read as items
    /// ([`Items`](crate::Items)) is read whole to be recorded, within
    /// [`max_response_bytes`](Self::max_response_bytes): record mode
    /// captures exchanges, not large exports.
    ///
    /// ```
    /// let client = np6_client::Client::builder()
    ///     .api_key("my-np6-key")
    ///     .record_to("recordings")
    ///     .build()?;
    /// # Ok::<(), np6_client::Error>(())
    /// ```
    pub fn record_to(mut self, dir: impl Into<PathBuf>) -> Self {
        self.config.record_dir = Some(dir.into());
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) when the key is missing, empty or not sendable
    /// in a header, the base URL is not an absolute `http(s)` URL, a plain
    /// `http://` URL is not allowed, the user agent is not a valid header
    /// value, the URL is `https` but the crate has no TLS feature and no
    /// [`http_client`](Self::http_client) was given, or the HTTP client
    /// cannot be built.
    pub fn build(mut self) -> Result<Client, Error> {
        let key = self
            .config
            .api_key
            .take()
            .ok_or_else(|| error::config("no API key given (ClientBuilder::api_key)"))?;
        // The messages quote the caller's settings: mask any echo of the key.
        let (base_url, http, settings) = settings(self.config, &key).map_err(|e| e.masked(&key))?;
        Ok(Client {
            base_url: base_url.into(),
            http,
            settings: Arc::new(settings),
            pace: None,
        })
    }
}

/// The base URL, the HTTP client and the settings `config` asks for.
fn settings(config: Config, key: &ApiKey) -> Result<(String, reqwest::Client, Settings), Error> {
    if key.is_blank() {
        return Err(error::config("the API key is empty"));
    }
    let key_header_name = reqwest::header::HeaderName::from_bytes(
        crate::spec::API_KEY_HEADER.as_bytes(),
    )
    .map_err(|_| error::config("the spec's API key header name is not a valid header name"))?;
    let key_header = key.header_value().ok_or_else(|| {
        error::config("the API key has characters that cannot be sent in an HTTP header")
    })?;

    let base_url = config.base_url.trim_end_matches('/').to_owned();
    let url = reqwest::Url::parse(&base_url)
        .map_err(|e| error::config(format!("base URL {base_url:?} is not a URL: {e}")))?;
    let loopback = is_loopback(&url);
    // A client built here sends a loopback call directly; a proxy from the
    // environment would otherwise carry a plain http request, key included.
    let proxied = (!loopback || config.http_client.is_some())
        .then(|| url.host_str().and_then(proxy_for_http))
        .flatten();
    match url.scheme() {
        "https" => {}
        "http" if proxied.is_some() => {
            return Err(error::config(format!(
                "base URL {base_url} is plain http and the environment's {} would carry it: \
                 the API key would reach the proxy in clear text (use https, or exclude the \
                 host with NO_PROXY)",
                proxied.unwrap_or_default()
            )));
        }
        "http" if config.allow_plaintext || loopback => {}
        "http" => {
            return Err(error::config(format!(
                "base URL {base_url} is plain http: the API key would travel in clear text \
                 (use https, or ClientBuilder::allow_plaintext(true))"
            )));
        }
        other => {
            return Err(error::config(format!(
                "base URL scheme {other:?} is not http(s)"
            )));
        }
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(error::config(format!(
            "base URL {base_url} must not have a query or fragment"
        )));
    }
    let user_agent = HeaderValue::from_str(&config.user_agent)
        .map_err(|_| error::config("the user agent is not a valid header value"))?;

    // A client built here applies the attempt timeout and the user agent
    // itself; `exec` adds them per request only where it must.
    let own_client = config.http_client.is_none();
    if own_client
        && url.scheme() == "https"
        && !cfg!(any(feature = "rustls", feature = "native-tls"))
    {
        return Err(error::config(
            "np6-client was built without TLS (features rustls, native-tls): \
             give ClientBuilder::http_client a reqwest::Client that speaks https",
        ));
    }
    let http = match config.http_client {
        Some(client) => client,
        None => {
            let builder = reqwest::Client::builder()
                .connect_timeout(config.connect_timeout)
                .timeout(config.timeout)
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(user_agent.clone());
            // A loopback server is reached directly, never through a proxy.
            let builder = if loopback {
                builder.no_proxy()
            } else {
                builder
            };
            builder
                .build()
                .map_err(|e| error::config(format!("cannot build the HTTP client: {e}")))?
        }
    };
    let settings = Settings {
        key: key.clone(),
        key_header_name,
        key_header,
        user_agent,
        timeout: config.timeout,
        own_client,
        connect_timeout: config.connect_timeout,
        deadline: config.deadline,
        retry: config.retry,
        max_response_bytes: config.max_response_bytes,
        max_item_bytes: config.max_item_bytes,
        recorder: config
            .record_dir
            .or_else(|| {
                std::env::var_os("NP6_RECORD_DIR")
                    .filter(|d| !d.is_empty())
                    .map(PathBuf::from)
            })
            .map(|dir| Recorder::new(dir, crate::spec::API_KEY_HEADER)),
    };
    Ok((base_url, http, settings))
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

/// The environment variable naming the proxy that a `reqwest::Client` with
/// its default settings would send a plain http request for `host`
/// through, if any: `http_proxy`, `HTTP_PROXY`, `all_proxy` or
/// `ALL_PROXY`, unless `NO_PROXY` (or `no_proxy`) lists the host, one of
/// its parent domains, or `*`. Addresses in CIDR notation in `NO_PROXY`
/// are not read, which errs on the side of refusing.
fn proxy_for_http(host: &str) -> Option<&'static str> {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    let variable = ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]
        .into_iter()
        .find(|name| set(name))?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    let excluded = ["NO_PROXY", "no_proxy"]
        .into_iter()
        .filter_map(std::env::var_os)
        .any(|list| {
            list.to_string_lossy().split(',').any(|entry| {
                let entry = entry.trim().trim_start_matches('.').to_ascii_lowercase();
                entry == "*"
                    || (!entry.is_empty()
                        && (host == entry || host.ends_with(&format!(".{entry}"))))
            })
        });
    (!excluded).then_some(variable)
}
