//! The API key and the one way its echoes are masked: every exit of text
//! that may hold the key (`Display` and `Debug`, error messages, `tracing`
//! fields and events, recorded fixtures) goes through [`ApiKey::redact`]
//! (text), [`ApiKey::redact_json`] (a JSON value) or prints [`REDACTED`];
//! the key itself leaves only as NP6's header ([`ApiKey::header_value`]).
//! What counts as an echo (the key in any encoding that decodes back to
//! it) is decided in one place, `secret/echo.rs`.
//!
//! A leaf: it uses nothing else of the crate, so any module can mask text.

mod automaton;
mod decode;
mod echo;

use std::borrow::Cow;
use std::fmt;

use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

/// What replaces the key, and any other credential, in text the client
/// shows or writes.
pub(crate) const REDACTED: &str = "REDACTED";

/// The most characters of a body put in an error message.
pub(crate) const EXCERPT_CHARS: usize = 200;

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

    /// The text with every echo of the key replaced by `REDACTED`: the
    /// key itself, and any encoding of it that decodes back to it
    /// (percent-encoding in either case and `%u`, JSON, JavaScript and HTML
    /// escapes, named HTML references, quoted-printable, base64 in both
    /// alphabets and base32, folded into lines or not, hex, UTF-16), escapes
    /// mixed or escaped twice. Linear in the length of the text.
    ///
    /// ```
    /// let key = np6_client::ApiKey::new("Sekret-1");
    /// assert_eq!(key.redact("key=Sekret-1"), "key=REDACTED");
    /// assert_eq!(key.redact(r#"{"k":"\u0053ekret-1"}"#), r#"{"k":"REDACTED"}"#);
    /// assert_eq!(key.redact("k=%53ekret%2d1"), "k=REDACTED");
    /// assert_eq!(key.redact("U2VrcmV0LTE="), "REDACTEDE=");
    /// ```
    pub fn redact(&self, text: &str) -> String {
        Redactor::new([self]).redact(text)
    }

    /// Whether the text holds an echo of the key (see [`redact`](Self::redact)).
    ///
    /// ```
    /// let key = np6_client::ApiKey::new("Sekret-1");
    /// assert!(key.is_echoed_in("%53%65%6B%72%65%74%2D%31"));
    /// assert!(!key.is_echoed_in("Sekret-2"));
    /// ```
    pub fn is_echoed_in(&self, text: &str) -> bool {
        Redactor::new([self]).is_echoed_in(text)
    }

    /// Masks every echo of the key in a JSON value, in its decoded strings
    /// (so a `\u0053...` escape in the JSON text is caught as the key it
    /// decodes to), object keys and numbers: the value stays valid JSON.
    ///
    /// ```
    /// let key = np6_client::ApiKey::new("Sekret-1");
    /// let mut value: serde_json::Value = serde_json::from_str(r#"{"a":["\u0053ekret-1"]}"#)?;
    /// key.redact_json(&mut value);
    /// assert_eq!(value, serde_json::json!({"a": ["REDACTED"]}));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn redact_json(&self, value: &mut serde_json::Value) {
        Redactor::new([self]).redact_json(value);
    }

    /// The text as it may be shown or written: every echo of the key
    /// masked ([`redact`](Self::redact)), then every control character
    /// escaped ([`printable`]). The one way a text from NP6 is made safe
    /// to print.
    pub(crate) fn shown(&self, text: &str) -> String {
        printable(&self.redact(text)).into_owned()
    }

    /// The start of a body as text for a message, at most `max_chars`
    /// characters, trimmed, with any echo of the key masked (before it is
    /// cut, so no piece of an echo is shown) and control characters
    /// escaped ([`shown`](Self::shown)); `None` for an empty body.
    pub(crate) fn excerpt(&self, body: &[u8], max_chars: usize) -> Option<String> {
        if body.is_empty() {
            return None;
        }
        // Only what can be shown, and what an echo starting there can
        // span, is decoded and masked.
        let key_chars = self.0.expose_secret().chars().count();
        let read = max_chars
            .saturating_mul(4)
            .saturating_add(key_chars.saturating_mul(echo::MAX_BYTES_PER_CHAR));
        let text = String::from_utf8_lossy(&body[..body.len().min(read)]);
        let text = self.shown(&text);
        let text = text.trim();
        let mut excerpt: String = text.chars().take(max_chars).collect();
        if excerpt.len() < text.len() || body.len() > read {
            excerpt.push_str("...");
        }
        Some(excerpt)
    }
}

/// The text with nothing a terminal or a text file would act on: tabs and
/// line breaks become spaces, and every other control character (escape
/// sequences, bell, backspace, C1 controls) and every bidirectional
/// formatting character is written as a visible `\u{..}` escape, so a
/// server's text can neither move the cursor, retitle the terminal, erase
/// the screen, reorder what is shown nor fake a line of output.
///
/// ```
/// let shown = np6_client::printable("\u{1b}]0;owned\u{7}\u{1b}[2J\r\nall records sent OK");
/// assert_eq!(shown, "\\u{1b}]0;owned\\u{7}\\u{1b}[2J  all records sent OK");
/// assert_eq!(np6_client::printable("plain text"), "plain text");
/// ```
pub fn printable(text: &str) -> Cow<'_, str> {
    let acted_on = |c: char| c.is_control() || is_bidi_format(c);
    if !text.contains(acted_on) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len().saturating_add(16));
    for c in text.chars() {
        match c {
            '\t' | '\n' | '\r' => shown.push(' '),
            c if acted_on(c) => {
                use fmt::Write as _;
                let _ = write!(shown, "\\u{{{:x}}}", u32::from(c));
            }
            c => shown.push(c),
        }
    }
    Cow::Owned(shown)
}

/// The characters that change the order in which text is displayed.
fn is_bidi_format(c: char) -> bool {
    matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Several keys masked at once, as [`ApiKey::redact`] masks one: built
/// once and reused, it masks a text in time linear in its length however
/// many keys it holds (an archive with thousands of keys).
///
/// ```
/// use np6_client::{ApiKey, Redactor};
///
/// let keys = [ApiKey::new("Sekret-1"), ApiKey::new("Other-22")];
/// let redactor = Redactor::new(&keys);
/// assert_eq!(redactor.redact("a=Sekret-1 b=%4Fther-22"), "a=REDACTED b=REDACTED");
/// ```
pub struct Redactor {
    needles: echo::Needles,
}

impl Redactor {
    /// Masks every echo of any of `keys`.
    pub fn new<'a>(keys: impl IntoIterator<Item = &'a ApiKey>) -> Self {
        let needles = echo::needles(keys.into_iter().map(|key| key.0.expose_secret()));
        Self { needles }
    }

    /// The text with every echo of any key replaced by `REDACTED` (see
    /// [`ApiKey::redact`]).
    pub fn redact(&self, text: &str) -> String {
        let mut text = text.to_owned();
        // A second pass, in case masking joined the pieces of another echo.
        for _ in 0..2 {
            let found = echo::find(&self.needles, &text);
            if found.is_empty() {
                break;
            }
            let mut masked = String::with_capacity(text.len());
            let mut copied = 0;
            for range in found {
                masked.push_str(&text[copied..range.start]);
                masked.push_str(REDACTED);
                copied = range.end;
            }
            masked.push_str(&text[copied..]);
            text = masked;
        }
        text
    }

    /// Whether the text holds an echo of any key.
    pub fn is_echoed_in(&self, text: &str) -> bool {
        !echo::find(&self.needles, text).is_empty()
    }

    /// Masks every echo of any key in a JSON value (see
    /// [`ApiKey::redact_json`]).
    pub fn redact_json(&self, value: &mut serde_json::Value) {
        use serde_json::Value;
        match value {
            Value::String(text) => {
                if self.is_echoed_in(text) {
                    *text = self.redact(text);
                }
            }
            Value::Number(number) => {
                if self.is_echoed_in(&number.to_string()) {
                    *value = Value::String(REDACTED.to_owned());
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.redact_json(item)),
            Value::Object(members) => {
                let masked = std::mem::take(members).into_iter().map(|(name, mut item)| {
                    self.redact_json(&mut item);
                    (self.redact(&name), item)
                });
                *members = masked.collect();
            }
            Value::Null | Value::Bool(_) => {}
        }
    }
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({REDACTED})")
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
        assert_eq!(key.excerpt(b"", EXCERPT_CHARS), None);
        assert_eq!(
            key.excerpt(b"  bad sekret here \n", EXCERPT_CHARS)
                .as_deref(),
            Some("bad REDACTED here")
        );
        let long = "x".repeat(1000);
        let shown = key
            .excerpt(long.as_bytes(), EXCERPT_CHARS)
            .expect("some text");
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

    #[test]
    fn excerpts_escape_what_a_terminal_would_act_on() {
        let key = ApiKey::new("sekret");
        let body = "\u{1b}]0;sekret\u{7}\u{1b}[2J\r\nall records sent OK\u{202e}\u{9b}1m";
        let shown = key.excerpt(body.as_bytes(), EXCERPT_CHARS).expect("text");
        assert_eq!(
            shown,
            "\\u{1b}]0;REDACTED\\u{7}\\u{1b}[2J  all records sent OK\\u{202e}\\u{9b}1m"
        );
        assert!(!shown.contains(|c: char| c.is_control()));
        // Escaping twice changes nothing more.
        assert_eq!(printable(&shown), shown.as_str());
    }

    #[test]
    fn an_echo_cut_by_an_excerpt_is_masked_whole() {
        let key = ApiKey::new("sekret-key-42");
        let body = format!("{}{}", "x".repeat(195), "%73ekret-key-42");
        let shown = key
            .excerpt(body.as_bytes(), EXCERPT_CHARS)
            .expect("some text");
        // The cut falls inside the echo: no piece of it is shown.
        assert!(shown.ends_with("xREDAC..."), "{shown}");
    }

    #[test]
    fn json_values_are_masked_in_their_decoded_strings() {
        let key = ApiKey::new("1234567890123");
        let mut value: serde_json::Value =
            serde_json::from_str(r#"{"\u0031234567890123": [1234567890123, "a%31234567890123"]}"#)
                .expect("JSON");
        key.redact_json(&mut value);
        assert_eq!(
            value,
            serde_json::json!({"REDACTED": ["REDACTED", "aREDACTED"]})
        );
    }
}
