//! The client type, [`Client`]. Its methods, one per operation, are
//! generated (`build/requests.rs`); how it is built is in `builder.rs`,
//! how a call runs in `execute.rs` and `hook.rs`.

use std::sync::Arc;

use crate::settings::Settings;

/// A client of the NP6 API: one method per operation of the spec.
///
/// Cheap to clone (the connection pool and configuration are shared), and
/// safe to use from many tasks at once. Build one with [`Client::builder`].
///
/// ```
/// let client = np6_client::Client::builder()
///     .api_key("my-np6-key")
///     .build()
///     .expect("a valid configuration");
/// assert_eq!(client.base_url(), "https://api-cm.np6.com");
/// ```
#[derive(Clone)]
pub struct Client {
    /// Without a trailing slash.
    pub(crate) base_url: Arc<str>,
    pub(crate) http: reqwest::Client,
    pub(crate) settings: Arc<Settings>,
    /// The pace of the bulk job this clone was handed to, if any
    /// (`Client::bulk`): every attempt waits for its turn there.
    pub(crate) pace: Option<std::sync::Arc<crate::bulk::pace::Pacer>>,
}

impl Client {
    /// The base URL every request goes to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let settings = &self.settings;
        f.debug_struct("Client")
            .field("base_url", &settings.key.redact(self.base_url()))
            .field("settings", settings)
            .finish()
    }
}
