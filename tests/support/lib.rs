//! Helpers shared by the workspace integration tests.

pub mod faults;
pub mod trace;

use std::time::Duration;

use httpmock::{Mock, MockServer, Then, When};
use np6_client::{Client, RetryPolicy};

/// The key every test client sends; tests assert it never leaks.
pub const CANARY_KEY: &str = "canary-key-7f3a9c1e";

/// A bounce of `kind` with nothing but its type: the body the tests send
/// when its content does not matter.
pub fn bounce(kind: np6_client::types::BounceType) -> np6_client::types::BounceData {
    np6_client::types::BounceData::new(kind)
}

/// A client for `base_url` with fast retries, so retry tests stay quick.
pub fn client(base_url: &str) -> Client {
    builder(base_url)
        .build()
        .expect("test configuration is valid")
}

/// The builder behind [`client`], to adjust one setting.
pub fn builder(base_url: &str) -> np6_client::ClientBuilder {
    Client::builder()
        .api_key(CANARY_KEY)
        .base_url(base_url)
        .timeout(Duration::from_secs(5))
        .deadline(Duration::from_secs(10))
        .retry(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(1))
                .max_backoff(Duration::from_millis(5)),
        )
}

/// A mock server with one answer, described as for `MockServer::mock_async`.
pub struct OneAnswer {
    server: MockServer,
    mock: usize,
}

impl OneAnswer {
    /// Starts a server whose one mock is what `setup` describes.
    pub async fn start(setup: impl FnOnce(When, Then)) -> Self {
        let server = MockServer::start_async().await;
        let mock = server.mock_async(setup).await.id();
        Self { server, mock }
    }

    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The test [`client`] for this server.
    pub fn client(&self) -> Client {
        client(&self.base_url())
    }

    /// Asserts that the mock matched exactly `calls` requests.
    pub async fn assert_calls(&self, calls: usize) {
        Mock::new(self.mock, &self.server)
            .assert_calls_async(calls)
            .await;
    }
}
