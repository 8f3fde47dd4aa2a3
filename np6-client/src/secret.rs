//! The API key and the one way its echoes are masked: every exit of text
//! that may hold the key (`Debug`, error messages, `tracing` events,
//! recorded fixtures) goes through [`ApiKey::redact`] or prints
//! [`REDACTED`]; the key itself leaves only as NP6's header
//! ([`ApiKey::header_value`]).
//!
//! A leaf: it uses nothing else of the crate, so any module can mask text.

use std::fmt;

use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

#[cfg(feature = "fixtures")]
mod echoes;

/// What replaces the key, and any other credential, in text the client
/// shows or writes.
pub(crate) const REDACTED: &str = "REDACTED";

/// The most characters of a body put in an error message.
const EXCERPT_CHARS: usize = 200;

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

    /// Whether the key is empty or only white space.
    pub(crate) fn is_blank(&self) -> bool {
        self.0.expose_secret().trim().is_empty()
    }

    /// The key as the value of the header that sends it to NP6, marked
    /// sensitive (HTTP/2 never indexes it; `Debug` prints `Sensitive`), or
    /// `None` when it has characters a header cannot carry. The one way
    /// the key leaves the process.
    pub(crate) fn header_value(&self) -> Option<HeaderValue> {
        let mut value = HeaderValue::from_str(self.0.expose_secret()).ok()?;
        value.set_sensitive(true);
        Some(value)
    }

    /// The text with every occurrence of the key replaced by [`REDACTED`].
    pub(crate) fn redact(&self, text: &str) -> String {
        let secret = self.0.expose_secret();
        if secret.is_empty() {
            text.to_owned()
        } else {
            text.replace(secret, REDACTED)
        }
    }

    /// The start of a body as text for a message, trimmed, with any echo
    /// of the key masked; `None` for an empty body.
    pub(crate) fn excerpt(&self, body: &[u8]) -> Option<String> {
        if body.is_empty() {
            return None;
        }
        let text = self.redact(&String::from_utf8_lossy(body));
        let text = text.trim();
        let mut excerpt: String = text.chars().take(EXCERPT_CHARS).collect();
        if excerpt.len() < text.len() {
            excerpt.push_str("...");
        }
        Some(excerpt)
    }
}

#[cfg(feature = "fixtures")]
impl ApiKey {
    /// The text with every echo of the key masked by [`REDACTED`], in any
    /// encoding that decodes back to it: raw, percent-encoded (`%XX` in any
    /// case, `+` for a space), JSON-escaped (`\u0043`, `\n`...), any mix
    /// of these, and base64 (standard or URL-safe, at any alignment).
    /// For the tools that write files from traffic (`import-har`).
    ///
    /// ```
    /// let key = np6_client::ApiKey::new("Key-42");
    /// assert_eq!(key.redact_echoes("a=%4Bey%2d42&b=\\u004bey-42"), "a=REDACTED&b=REDACTED");
    /// assert!(!key.redact_echoes("S2V5LTQy").contains("S2V5LTQy"));
    /// ```
    pub fn redact_echoes(&self, text: &str) -> String {
        echoes::redact(text, self.0.expose_secret().as_bytes())
    }

    /// Masks the key, as [`redact_echoes`](Self::redact_echoes) does, in
    /// every string and member name of a decoded JSON value (so an escaped
    /// echo, decoded by the parser, is masked too).
    ///
    /// ```
    /// let key = np6_client::ApiKey::new("Key-42");
    /// let mut value: serde_json::Value = serde_json::from_str(r#"{"a": ["\u004bey-42"]}"#).unwrap();
    /// key.redact_json(&mut value);
    /// assert_eq!(value, serde_json::json!({"a": ["REDACTED"]}));
    /// ```
    pub fn redact_json(&self, value: &mut serde_json::Value) {
        use serde_json::Value;
        let mut pending = vec![value];
        while let Some(value) = pending.pop() {
            match value {
                Value::String(text) => *text = self.redact_echoes(text),
                Value::Array(items) => pending.extend(items.iter_mut()),
                Value::Object(members) => {
                    let taken = std::mem::take(members);
                    *members = taken
                        .into_iter()
                        .map(|(name, v)| (self.redact_echoes(&name), v))
                        .collect();
                    pending.extend(members.values_mut());
                }
                _ => {}
            }
        }
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({REDACTED})")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_short_and_mask_the_key() {
        let key = ApiKey::new("sekret");
        assert_eq!(key.excerpt(b""), None);
        assert_eq!(
            key.excerpt(b"  bad sekret here \n").as_deref(),
            Some("bad REDACTED here")
        );
        let long = "x".repeat(1000);
        let shown = key.excerpt(long.as_bytes()).expect("some text");
        assert_eq!(shown.len(), EXCERPT_CHARS + 3);
        assert!(shown.ends_with("..."));
    }

    #[test]
    fn the_key_leaves_only_as_a_sensitive_header() {
        let key = ApiKey::new("sekret");
        let header = key.header_value().expect("sendable");
        assert!(header.is_sensitive());
        assert_eq!(header.as_bytes(), b"sekret");
        assert!(!format!("{header:?}").contains("sekret"));
        assert_eq!(ApiKey::new("a\nb").header_value(), None);
        assert!(ApiKey::new(" \t").is_blank() && !key.is_blank());
        assert_eq!(key.redact("x sekret y sekret"), "x REDACTED y REDACTED");
    }
}
