//! A loopback mock NP6 that answers from fixtures.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use httpmock::{HttpMockRequest, MockServer};

use crate::Client;
use crate::error::{Error, ErrorKind};
use crate::fixture::{Fixture, Stage};
use crate::spec::API_KEY_HEADER;
use crate::spec::matching::find_operation;

include!(concat!(env!("OUT_DIR"), "/bundled_fixtures.rs"));

/// A mock NP6 on loopback, answering from fixtures, with a client for it.
///
/// For each request the sandbox answers, in this order:
/// 1. `401` when the `X-Key` header is missing, as NP6 does;
/// 2. the recorded response of a fixture whose request is exactly this one
///    (method, path, query, JSON body), successes first;
/// 3. for another request to a known operation, the response of that
///    operation's first success fixture;
/// 4. otherwise `404`, and a `tracing` warning naming the closest fixture and
///    the first difference.
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
    fixtures: Arc<Vec<(String, Fixture)>>,
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
    /// [`ErrorKind::Config`] when a fixture file is refused (not a regular
    /// file, larger than 16 MiB), is not a fixture, or has an answer that
    /// cannot be sent (a status that is not final, a header HTTP cannot
    /// carry or that frames the message, such as `content-length`); the
    /// message names the file. Also when there is no fixture.
    pub async fn start(self) -> Result<Sandbox, Error> {
        let fixtures = match &self.dir {
            Some(dir) => load_dir(dir)?,
            None => BUNDLED
                .iter()
                .map(|(name, text)| {
                    Fixture::parse(text.as_bytes())
                        .and_then(|f| f.servable().map(|()| ((*name).to_owned(), f)))
                        .map_err(|e| config(format!("bundled fixture {name}: {e}")))
                })
                .collect::<Result<_, _>>()?,
        };
        if fixtures.is_empty() {
            return Err(config(
                "the sandbox has no fixtures to answer from".to_owned(),
            ));
        }
        Sandbox::serve(fixtures).await
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
        self.fixtures.iter().map(|(name, _)| name.as_str())
    }

    async fn serve(mut fixtures: Vec<(String, Fixture)>) -> Result<Self, Error> {
        // Successes first, then by name: they win when several match.
        fixtures.sort_by_key(|(name, f)| (!(200..300).contains(&f.response.status), name.clone()));
        let fixtures = Arc::new(fixtures);
        let server = MockServer::start_async().await;

        server
            .mock_async(|when, then| {
                when.is_true(|req| {
                    let missing = req.headers().get(API_KEY_HEADER).is_none();
                    if missing {
                        tracing::info!(
                            target: "np6_client::mock",
                            method = req.method_str(),
                            path = req.uri().path(),
                            "401: no {API_KEY_HEADER} header"
                        );
                    }
                    missing
                });
                then.status(401)
                    .header("content-type", "text/plain")
                    .body(format!("{API_KEY_HEADER} header is missing"));
            })
            .await;

        for (name, fixture) in fixtures.iter() {
            let (name, expected) = (name.clone(), fixture.clone());
            server
                .mock_async(move |when, then| {
                    when.is_true(move |req| {
                        let matched = difference(&expected, req).is_none();
                        if matched {
                            tracing::info!(
                                target: "np6_client::mock",
                                method = req.method_str(),
                                path = req.uri().path(),
                                fixture = %name,
                                "answered from the matching fixture"
                            );
                        }
                        matched
                    });
                    respond(then, fixture);
                })
                .await;
        }

        for op in crate::spec::OPERATIONS {
            // Whether a method and raw path are a request for this operation.
            let is_op = move |method: &str, path: &str| {
                find_operation([(op.method, op.path, ())], method, path).is_ok()
            };
            let first_success = fixtures.iter().find(|(_, f)| {
                (200..300).contains(&f.response.status) && is_op(&f.request.method, &f.request.path)
            });
            let Some((name, fixture)) = first_success else {
                continue;
            };
            let name = name.clone();
            server
                .mock_async(move |when, then| {
                    when.is_true(move |req| {
                        let matched = is_op(req.method_str(), req.uri().path());
                        if matched {
                            tracing::info!(
                                target: "np6_client::mock",
                                method = req.method_str(),
                                path = req.uri().path(),
                                operation = op.id,
                                fixture = %name,
                                "no exact fixture: answered with the operation's first success"
                            );
                        }
                        matched
                    });
                    respond(then, fixture);
                })
                .await;
        }

        let all = fixtures.clone();
        server
            .mock_async(move |when, then| {
                when.is_true(move |req| {
                    let (name, why) = closest(&all, req);
                    tracing::warn!(
                        target: "np6_client::mock",
                        method = req.method_str(),
                        path = req.uri().path(),
                        closest = %name,
                        difference = %why,
                        "404: no fixture matches"
                    );
                    true
                });
                then.status(404)
                    .header("content-type", "text/plain")
                    .body("no fixture matches this request (the sandbox log says why)");
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

fn config(message: String) -> Error {
    Error::new(ErrorKind::Config, None, message)
}

fn load_dir(dir: &Path) -> Result<Vec<(String, Fixture)>, Error> {
    let files = crate::fixture::files_below(dir)
        .map_err(|e| config(format!("cannot read the fixtures: {e}")))?;
    files
        .into_iter()
        .map(|path| {
            let name = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .display()
                .to_string();
            let fixture = crate::fixture::read_file(&path)
                .and_then(|bytes| Fixture::parse(&bytes))
                .and_then(|f| f.servable().map(|()| f))
                .map_err(|e| config(format!("fixture {}: {e}", path.display())))?;
            Ok((name, fixture))
        })
        .collect()
}

/// Makes an httpmock answer the fixture's recorded response: status,
/// headers, and the JSON or text body.
pub(crate) fn respond(then: httpmock::Then, fixture: &Fixture) {
    let response = &fixture.response;
    let mut then = then.status(response.status);
    for (name, value) in &response.headers {
        if !name.eq_ignore_ascii_case("content-length") {
            then = then.header(name.as_str(), value.as_str());
        }
    }
    match (&response.body, &response.body_text) {
        (Some(body), _) => {
            if response.header("content-type").is_none() {
                then = then.header("content-type", "application/json");
            }
            then.body(serde_json::to_vec(body).unwrap_or_default());
        }
        (None, Some(text)) => {
            then.body(text.as_bytes());
        }
        (None, None) => {}
    }
}

/// How a request differs from a fixture's; `None` when it is that one.
fn difference(fixture: &Fixture, req: &HttpMockRequest) -> Option<(Stage, String)> {
    fixture.request.difference(
        req.method_str(),
        req.uri().path(),
        &req.query_params(),
        req.body_ref(),
    )
}

/// The fixture a request came closest to, and how it differs.
fn closest(fixtures: &[(String, Fixture)], req: &HttpMockRequest) -> (String, String) {
    fixtures
        .iter()
        .filter_map(|(name, f)| difference(f, req).map(|(stage, why)| (stage, name, why)))
        .max_by_key(|(stage, _, _)| *stage)
        .map_or_else(
            || ("none".to_owned(), "no fixtures".to_owned()),
            |(_, name, why)| (name.clone(), why),
        )
}
