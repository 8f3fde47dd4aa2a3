//! The key never escapes the library. A loopback
//! server echoes the key back in every encoding that decodes to it, in
//! `x-request-id`, error bodies and success bodies that do not decode; the
//! key must appear in none of the error's `Display`, `Debug` and sources,
//! the traced output (the `np6.call` span, retry events, TRACE bodies) and
//! the fixtures record mode wrote.

use std::time::Duration;

use np6_client::types::BounceType;
use np6_client::{ApiKey, Client, ErrorKind, RetryPolicy};
use np6_tests::faults::{Fault, FaultServer};
use np6_tests::trace::Captured;

/// A key whose base64 forms differ between the alphabets and that has
/// characters JSON and URLs escape (`/`, `?`).
const KEY: &str = "canary/?>key~7f3a9c1e";

/// Every form of [`KEY`] the server echoes, each decoding back to it.
fn echoes() -> Vec<(&'static str, String)> {
    let json_all: String = KEY
        .chars()
        .map(|c| format!("\\u{:04x}", c as u32))
        .collect();
    let json_upper: String = KEY
        .chars()
        .map(|c| format!("\\u{:04X}", c as u32))
        .collect();
    let json_some = "\\u0063anary\\/?>key~7f3a9c1e".to_owned();
    let percent_upper: String = KEY.bytes().map(|b| format!("%{b:02X}")).collect();
    let percent_lower: String = KEY.bytes().map(|b| format!("%{b:02x}")).collect();
    let percent_mixed: String = KEY
        .bytes()
        .enumerate()
        .map(|(i, b)| match i % 3 {
            0 => format!("%{b:02x}"),
            1 => format!("%{b:02X}"),
            _ => char::from(b).to_string(),
        })
        .collect();
    let percent_twice: String = KEY.bytes().map(|b| format!("%25{b:02X}")).collect();
    let hex: String = KEY.bytes().map(|b| format!("{b:02x}")).collect();
    let mut forms = vec![
        ("raw", KEY.to_owned()),
        ("json-escaped", json_all),
        ("json-escaped upper", json_upper),
        ("json-escaped partly, with \\/", json_some),
        ("percent upper", percent_upper),
        ("percent lower", percent_lower),
        ("percent mixed case", percent_mixed),
        ("percent twice", percent_twice),
        ("hex", hex),
    ];
    for prefix in ["", "x", "xy"] {
        let data = format!("{prefix}{KEY}");
        forms.push(("base64", base64(data.as_bytes(), STANDARD)));
        forms.push(("base64 url-safe", base64(data.as_bytes(), URL_SAFE)));
    }
    forms
}

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Plain base64 with padding (the test's own, not the library's).
fn base64(data: &[u8], alphabet: &[u8; 64]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(alphabet[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Asserts that `text` (named `what`) holds no form of the key: neither
/// one the server sent nor any the library's own check knows.
fn assert_no_key(what: &str, text: &str) {
    assert!(!text.contains(KEY), "{what} holds the key:\n{text}");
    for (name, form) in echoes() {
        // A base64 form with padding embeds the bits of its neighbours;
        // its key-only core is what must not be left.
        let core = form.trim_end_matches('=');
        let core = &core[..core.len().saturating_sub(3)];
        assert!(!text.contains(core), "{what} holds the key {name}:\n{text}");
    }
    assert!(
        !ApiKey::new(KEY).is_echoed_in(text),
        "{what} holds an echo of the key:\n{text}"
    );
}

fn client(server: &FaultServer, record: Option<&std::path::Path>) -> Client {
    let mut builder = Client::builder()
        .api_key(KEY)
        .base_url(&server.base_url)
        .timeout(Duration::from_secs(5))
        .retry(
            RetryPolicy::default()
                .max_attempts(2)
                .initial_backoff(Duration::from_millis(1)),
        );
    if let Some(dir) = record {
        builder = builder.record_to(dir);
    }
    builder.build().expect("valid")
}

/// Asserts that no fixture in `dir` holds the key, in the file's text or in
/// its decoded JSON strings, and returns how many there are.
fn assert_fixtures_clean(dir: &std::path::Path) -> usize {
    let mut count = 0;
    for entry in std::fs::read_dir(dir).expect("the folder") {
        let path = entry.expect("an entry").path();
        let text = std::fs::read_to_string(&path).expect("readable");
        assert_no_key(&path.display().to_string(), &text);
        let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        assert_no_key("the decoded fixture", &value.to_string());
        count += 1;
    }
    count
}

#[test]
fn the_test_covers_both_base64_alphabets() {
    let forms = echoes();
    let base64: Vec<_> = forms
        .iter()
        .filter(|(n, _)| n.starts_with("base64"))
        .collect();
    assert!(base64.chunks(2).any(|pair| pair[0].1 != pair[1].1));
}

#[tokio::test]
async fn echoed_request_id_and_error_body_never_show_the_key() {
    for (name, echo) in echoes() {
        let (captured, _guard) = Captured::install();
        let dir = tempfile::tempdir().expect("a temporary folder");
        let headers = vec![("x-request-id", echo.clone()), ("retry-after", "0".into())];
        let body = format!("{{\"message\":\"{echo}\"}}").into_bytes();
        let server = FaultServer::start(vec![
            Fault::Answer(503, headers.clone(), body.clone()),
            Fault::Answer(401, headers, body),
        ])
        .await;
        let client = client(&server, Some(dir.path()));
        let bounce = np6_tests::bounce(BounceType::HardUser);
        let error = client
            .put_target_bounce("T1", 7, &bounce)
            .send()
            .await
            .expect_err("401");
        assert_eq!((error.status(), error.attempts()), (Some(401), 2), "{name}");
        let what = format!("{name}: ");
        assert_no_key(&format!("{what}Display"), &error.to_string());
        assert_no_key(&format!("{what}Debug"), &format!("{error:?}"));
        assert_no_key(
            &format!("{what}request_id"),
            error.request_id().unwrap_or(""),
        );
        assert!(error.to_string().contains("REDACTED"), "{name}: {error}");
        assert_no_key(&format!("{what}trace"), &captured.text());
        assert!(captured.text().contains("np6: retrying"), "{name}: traced");
        assert_eq!(assert_fixtures_clean(dir.path()), 2, "{name}");
    }
}

#[tokio::test]
async fn json_escaped_echo_is_not_recorded() {
    for (name, echo) in echoes() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let entry = format!(
            "[{{\"id\":\"{echo}\",\"timestamp\":\"2008-12-16T15:26:00Z\",\"origin\":3,\
             \"detail\":{{\"formId\":\"{echo}\",\"{echo}\":[\"{echo}\"]}}}}]"
        );
        let headers = vec![
            ("x-request-id", echo.clone()),
            ("content-type", "application/json".into()),
        ];
        let server =
            FaultServer::start(vec![Fault::Answer(200, headers, entry.into_bytes())]).await;
        let client = client(&server, Some(dir.path()));
        let entries = client.get_mail_redlist().send().await.expect("200");
        assert_eq!(entries.len(), 1, "{name}");
        assert_eq!(assert_fixtures_clean(dir.path()), 1, "{name}");
    }
}

#[tokio::test]
async fn decode_error_does_not_quote_the_key() {
    for (name, echo) in echoes() {
        let (captured, _guard) = Captured::install();
        // `detail` is an object: the decoder's message quotes the string.
        let body = format!("[{{\"id\":\"A\",\"origin\":1,\"detail\":\"{echo}\"}}]");
        let headers = vec![("x-request-id", echo.clone())];
        let server = FaultServer::start(vec![Fault::Answer(200, headers, body.into_bytes())]).await;
        let error = client(&server, None)
            .get_mail_redlist()
            .send()
            .await
            .expect_err("does not decode");
        assert_eq!(error.kind(), ErrorKind::Decode, "{name}: {error}");
        assert_no_key(&format!("{name}: Display"), &error.to_string());
        assert_no_key(&format!("{name}: Debug"), &format!("{error:?}"));
        assert_no_key(&format!("{name}: trace"), &captured.text());
        // The decoder's message and the excerpt both quoted the echo.
        let shown = error.to_string();
        assert!(shown.matches("REDACTED").count() >= 3, "{name}: {shown}");
    }
}

#[tokio::test]
async fn transport_errors_and_sources_never_show_the_key() {
    let (captured, _guard) = Captured::install();
    let server = FaultServer::start(vec![Fault::Answer(
        200,
        vec![("x-request-id", KEY.to_owned())],
        b"[{\"id\":".to_vec(),
    )])
    .await;
    let error = client(&server, None)
        .get_mail_redlist()
        .send()
        .await
        .expect_err("cut body");
    let mut chain = format!("{error} / {error:?}");
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        chain.push_str(&format!(" / {cause} / {cause:?}"));
        source = cause.source();
    }
    assert_no_key("the error chain", &chain);
    assert_no_key("trace", &captured.text());
}

#[tokio::test]
async fn debug_of_public_types_hides_the_key() {
    let server = FaultServer::start(vec![Fault::Answer(204, vec![], vec![])]).await;
    let dir = tempfile::tempdir().expect("a temporary folder");
    // Caller text that holds the key (a folder named after it) is masked too.
    let echo_dir = dir.path().join(KEY.replace('/', "%2F"));
    let builder = Client::builder()
        .api_key(KEY)
        .base_url(&server.base_url)
        .user_agent(format!("agent {KEY}"))
        .record_to(&echo_dir);
    assert_no_key("ClientBuilder Debug", &format!("{builder:?}"));
    let client = builder.build().expect("valid");
    assert_no_key("Client Debug", &format!("{client:?}"));
    let bounce = np6_tests::bounce(BounceType::HardUser);
    let request = client.put_target_bounce("T1", 7, &bounce);
    assert_no_key("request builder Debug", &format!("{request:?}"));
    let (captured, _guard) = Captured::install();
    request.send().await.expect("204");
    assert!(captured.text().contains("exchange recorded"), "traced");
    assert_no_key("trace of a recording", &captured.text());
    assert_no_key("ApiKey Debug", &format!("{:?}", ApiKey::new(KEY)));
    let error = Client::builder()
        .api_key(KEY)
        .base_url(format!("http://np6.example/{KEY}"))
        .build()
        .expect_err("plain http");
    assert_no_key("config error", &format!("{error} {error:?}"));
}

/// A client for calls refused before any request: nothing listens at this
/// loopback port.
fn offline_client() -> Client {
    Client::builder()
        .api_key(KEY)
        .base_url("http://127.0.0.1:9")
        .build()
        .expect("valid")
}

#[tokio::test]
async fn call_operation_argument_errors_do_not_quote_the_key() {
    let client = offline_client();
    for (name, form) in echoes() {
        let args = serde_json::json!({
            "id": "T1",
            "fieldId": form,
            "body": {"type": "hardUser"},
        });
        let args = args.as_object().expect("an object");
        let error = client
            .call_operation("putTargetBounce", args)
            .await
            .expect_err("fieldId is an integer");
        assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{name}: {error}");
        assert!(error.to_string().contains("fieldId"), "{name}: {error}");
        assert_no_key(&format!("{name}: Display"), &error.to_string());
        assert_no_key(&format!("{name}: Debug"), &format!("{error:?}"));
    }
}

#[tokio::test]
async fn an_unknown_operation_id_does_not_quote_the_key() {
    let client = offline_client();
    for (name, form) in echoes() {
        let error = client
            .call_operation(&format!("get{form}"), &serde_json::Map::new())
            .await
            .expect_err("no such operation");
        assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{name}: {error}");
        assert_no_key(&format!("{name}: Display"), &error.to_string());
        assert_no_key(&format!("{name}: Debug"), &format!("{error:?}"));
    }
}

/// A key with the characters HTML escapes by name.
const HTML_KEY: &str = "canary&<key>~7f3a\"9c1e";

/// RFC 4648 base32 with padding (the test's own).
fn base32(data: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    for chunk in data.chunks(5) {
        let mut block = [0u8; 5];
        block[..chunk.len()].copy_from_slice(chunk);
        let n = block.iter().fold(0u64, |n, b| n << 8 | u64::from(*b));
        let used = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            out.push(if i < used {
                char::from(ALPHABET[(n >> (35 - 5 * i)) as usize & 31])
            } else {
                '='
            });
        }
    }
    out
}

/// `text` with `fold` inserted every `width` characters.
fn folded(text: &str, width: usize, fold: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let lines: Vec<String> = chars.chunks(width).map(|c| c.iter().collect()).collect();
    lines.join(fold)
}

/// Bodies echoing `key` in the encodings a header cannot carry, or that
/// need a key with `&`: folded base64, UTF-16, quoted-printable, `%u`,
/// base32, named HTML references.
fn body_echoes(key: &str) -> Vec<(String, Vec<u8>)> {
    let mut forms: Vec<(String, String)> = Vec::new();
    for prefix in ["", "x", "xy"] {
        let encoded = base64(format!("{prefix}{key}").as_bytes(), STANDARD);
        forms.push((
            format!("MIME base64 {prefix:?}"),
            folded(&encoded, 7, "\r\n"),
        ));
        let json = folded(&encoded, 5, "\\n");
        forms.push((
            format!("base64, JSON \\n {prefix:?}"),
            format!("{{\"m\":\"{json}\"}}"),
        ));
    }
    for prefix in ["", "x", "xy", "xyz", "wxyz"] {
        let encoded = base32(format!("{prefix}{key}").as_bytes());
        forms.push((format!("base32 {prefix:?}"), encoded.clone()));
        forms.push((format!("base32 lower {prefix:?}"), encoded.to_lowercase()));
    }
    let qp: String = key.bytes().map(|b| format!("={b:02X}")).collect();
    forms.push(("quoted-printable".into(), folded(&qp, 12, "=\r\n")));
    let mixed: String = key.chars().map(|c| format!("%u{:04X}", c as u32)).collect();
    forms.push(("%u".into(), mixed));
    let html = key
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    forms.push(("HTML named".into(), format!("<p>{html}</p>")));
    let mut bodies: Vec<(String, Vec<u8>)> = forms
        .into_iter()
        .map(|(name, text)| (name, text.into_bytes()))
        .collect();
    let text = format!("bad key {key}");
    let le = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    bodies.push(("UTF-16 LE".into(), le));
    bodies.push(("UTF-16 BE".into(), be));
    bodies
}

/// No trace of `key` in `text`, read raw, with NULs and their escapes
/// removed (UTF-16), or by the library's own check.
fn assert_no_echo(key: &str, what: &str, text: &str) {
    let squeezed = text.replace("\\u{0}", "").replace('\0', "");
    assert!(!squeezed.contains(key), "{what} holds the key:\n{text}");
    assert!(
        !ApiKey::new(key).is_echoed_in(text),
        "{what} holds an echo of the key:\n{text}"
    );
}

#[tokio::test]
async fn the_key_is_masked_in_folded_wide_and_mail_encodings() {
    for key in [KEY, HTML_KEY] {
        for (name, body) in body_echoes(key) {
            let (captured, _guard) = Captured::install();
            let dir = tempfile::tempdir().expect("a temporary folder");
            let headers = vec![("content-type", "text/plain".to_owned())];
            let server = FaultServer::start(vec![Fault::Answer(400, headers, body)]).await;
            let client = Client::builder()
                .api_key(key)
                .base_url(&server.base_url)
                .record_to(dir.path())
                .build()
                .expect("valid");
            let error = client.get_mail_redlist().send().await.expect_err("400");
            let shown = error.to_string();
            assert!(shown.contains("REDACTED"), "{name}: {shown}");
            assert_no_echo(key, &format!("{name}: Display"), &shown);
            assert_no_echo(key, &format!("{name}: Debug"), &format!("{error:?}"));
            assert_no_echo(key, &format!("{name}: trace"), &captured.text());
            for entry in std::fs::read_dir(dir.path()).expect("the folder") {
                let text = std::fs::read_to_string(entry.expect("a file").path()).expect("text");
                assert_no_echo(key, &format!("{name}: fixture"), &text);
            }
        }
    }
}
