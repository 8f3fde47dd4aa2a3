//! What every request of one client reads: the settings
//! [`ClientBuilder::build`](crate::ClientBuilder::build) resolves from the
//! builder's `Config`, shared by the clones of the client (progenitor's
//! inner type of the generated client, `Arc<Settings>`).

use std::fmt;
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};

use crate::record::Recorder;
use crate::retry::RetryPolicy;
use crate::secret::ApiKey;

/// The settings of one client, ready for every request: header names and
/// values already parsed.
pub(crate) struct Settings {
    /// Kept to mask its echoes (`ApiKey::redact`).
    pub(crate) key: ApiKey,
    pub(crate) key_header_name: HeaderName,
    /// The key as sent: a sensitive header value.
    pub(crate) key_header: HeaderValue,
    pub(crate) user_agent: HeaderValue,
    pub(crate) timeout: Duration,
    /// Whether the `reqwest::Client` was built here, with `timeout` and the
    /// user agent as its defaults.
    pub(crate) own_client: bool,
    pub(crate) connect_timeout: Duration,
    pub(crate) deadline: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_response_bytes: usize,
    /// The largest item of a streamed answer (`items.rs`).
    pub(crate) max_item_bytes: usize,
    pub(crate) recorder: Option<Recorder>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Even text the caller gave is shown with any echo of the key masked.
        let user_agent = self
            .key
            .redact(&String::from_utf8_lossy(self.user_agent.as_bytes()));
        let record_dir = self
            .recorder
            .as_ref()
            .map(|r| self.key.redact(&r.dir().to_string_lossy()));
        f.debug_struct("Settings")
            .field("api_key", &self.key)
            .field("user_agent", &user_agent)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("deadline", &self.deadline)
            .field("retry", &self.retry)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("max_item_bytes", &self.max_item_bytes)
            .field("record_dir", &record_dir)
            .finish()
    }
}
