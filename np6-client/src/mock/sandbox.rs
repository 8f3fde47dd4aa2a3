//! A loopback mock NP6 that answers from fixtures.

use std::path::PathBuf;

use httpmock::{HttpMockRequest, HttpMockResponse, MockServer};

use super::answer::{Asked, FixtureSet};
use crate::Client;
use crate::error::Error;
#[cfg(feature = "fixtures")]
use crate::fixture::Fixture;
use crate::spec::API_KEY_HEADER;

/// A mock NP6 on loopback, answering from fixtures, with a client for it.
///
/// It answers as [`FixtureSet`] says (the `X-Key` check, the exact
/// fixture, the time window, unknown targets, the operation's first
/// success, else `404`).
///
/// Every answer is logged with `tracing` (target `np6_client::mock`).
///
/// ```
/// use np6_client::mock::Sandbox;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), np6_client::Error> {
/// let sandbox = Sandbox::start().await?;
/// let entries = sandbox.client().get_mail_redlist().send().await?;
/// assert!(!entries.is_empty());
/// println!("a mock NP6 at {}", sandbox.base_url());
/// # Ok(())
/// # }
/// ```
pub struct Sandbox {
    server: MockServer,
    client: Client,
    fixtures: FixtureSet,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("base_url", &self.server.base_url())
            .field("fixtures", &self.fixtures.len())
            .finish()
    }
}

/// Chooses the fixtures of a [`Sandbox`].
#[derive(Debug, Default)]
#[must_use]
pub struct SandboxBuilder {
    dir: Option<PathBuf>,
}

impl SandboxBuilder {
    /// Answer from the fixtures below `dir` (`.yaml`, `.yml`, `.json`)
    /// instead of the crate's corpus. Their format is a contract, written
    /// in `fixtures/README.md` in this crate (the Rust types that read it,
    /// in the `fixture` module, are the np6-rs tools' and not covered by
    /// semver; the file format is).
    pub fn fixtures_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// Starts the sandbox.
    ///
    /// # Errors
    ///
    /// As [`load`](Self::load).
    pub async fn start(self) -> Result<Sandbox, Error> {
        Sandbox::serve(self.load()?).await
    }

    /// Reads and checks the fixtures without starting a server: for
    /// [`serve`](super::serve), which answers from them on one port of
    /// your choosing ([`FixtureSet::from_dir`] or [`FixtureSet::bundled`]
    /// do the same without httpmock, with the `serve` feature alone).
    ///
    /// # Errors
    ///
    /// As [`FixtureSet::from_dir`].
    pub fn load(self) -> Result<FixtureSet, Error> {
        match &self.dir {
            Some(dir) => FixtureSet::from_dir(dir),
            None => FixtureSet::bundled(),
        }
    }
}

impl Sandbox {
    /// The API key of [`client`](Self::client); any non-empty key is accepted.
    pub const API_KEY: &'static str = "sandbox-key";

    /// Starts a sandbox that answers from the crate's fixture corpus.
    ///
    /// # Errors
    ///
    /// See [`SandboxBuilder::start`].
    pub async fn start() -> Result<Self, Error> {
        Self::builder().start().await
    }

    /// A builder, to answer from your own fixtures.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// The sandbox's base URL, e.g. `http://127.0.0.1:41327`.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// A client configured for the sandbox (key [`Sandbox::API_KEY`]).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The httpmock server. Mocks you add are tried after the sandbox's
    /// own, whose last one answers everything: add yours to a
    /// [`MockServer`] of your own instead, or use your own fixtures.
    pub fn server(&self) -> &MockServer {
        &self.server
    }

    /// The names of the fixtures the sandbox answers from (their paths
    /// below the fixture folder), in the order it tries them.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), np6_client::Error> {
    /// let sandbox = np6_client::mock::Sandbox::start().await?;
    /// assert!(sandbox.fixtures().any(|name| name.ends_with(".yaml")));
    /// # Ok(())
    /// # }
    /// ```
    pub fn fixtures(&self) -> impl Iterator<Item = &str> {
        self.fixtures.names()
    }

    /// The fixtures and how they answer, for [`serve`](super::serve).
    pub fn fixture_set(&self) -> &FixtureSet {
        &self.fixtures
    }

    async fn serve(fixtures: FixtureSet) -> Result<Self, Error> {
        let server = MockServer::start_async().await;
        let answers = fixtures.clone();
        server
            .mock_async(move |_, then| {
                then.respond_with(move |req: &HttpMockRequest| {
                    let key = req
                        .headers()
                        .get(API_KEY_HEADER)
                        .map(|v| v.as_bytes().to_vec());
                    let uri = req.uri();
                    let asked = Asked {
                        method: req.method_str(),
                        path: uri.path(),
                        query: req.query_params(),
                        key: key.as_deref(),
                        body: req.body_ref(),
                    };
                    let reply = answers.answer(&asked);
                    HttpMockResponse::builder()
                        .status(reply.status)
                        .headers(reply.headers)
                        .body(reply.body)
                        .build()
                });
            })
            .await;
        let client = Client::builder()
            .api_key(Self::API_KEY)
            .base_url(server.base_url())
            .build()?;
        Ok(Self {
            server,
            client,
            fixtures,
        })
    }
}

impl AsRef<FixtureSet> for Sandbox {
    fn as_ref(&self) -> &FixtureSet {
        &self.fixtures
    }
}

/// Makes an httpmock answer the fixture's recorded response: status,
/// headers, and the JSON or text body.
#[cfg(feature = "fixtures")]
pub(crate) fn respond(then: httpmock::Then, fixture: &Fixture) {
    let reply = super::answer::Reply::of(fixture);
    let mut then = then.status(reply.status);
    for (name, value) in &reply.headers {
        then = then.header(name.as_str(), value.as_str());
    }
    if !reply.body.is_empty() {
        then.body(reply.body);
    }
}
