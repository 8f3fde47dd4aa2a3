//! The key in HAR imports: `import-har` writes no echo of the key in
//! any encoding that decodes back to it (raw, percent-encoded,
//! JSON-escaped, base64), at any exit (query, path, headers, bodies,
//! descriptions, skip notes); entries for other hosts are skipped with a
//! note unless asked for.

use np6_tests::CANARY_KEY;
use serde_json::{Value, json};

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64(data: &[u8], alphabet: &[u8; 64]) -> String {
    let bits: Vec<u8> = data
        .iter()
        .flat_map(|b| (0..8).rev().map(move |i| b >> i & 1))
        .collect();
    bits.chunks(6)
        .map(|c| {
            let n = c
                .iter()
                .chain(std::iter::repeat(&0))
                .take(6)
                .fold(0, |n, b| n << 1 | usize::from(*b));
            char::from(alphabet[n])
        })
        .collect()
}

fn padded(mut text: String) -> String {
    while !text.len().is_multiple_of(4) {
        text.push('=');
    }
    text
}

fn unbase64(text: &[u8]) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    };
    let bits: Vec<u8> = text
        .iter()
        .filter_map(|c| value(*c))
        .flat_map(|v| (0..6).rev().map(move |i| v >> i & 1))
        .collect();
    bits.chunks_exact(8)
        .map(|c| c.iter().fold(0u8, |n, b| n << 1 | b))
        .collect()
}

fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.replace('+', " ").into_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
            Some(b) if bytes[i] == b'%' => {
                out.push(b);
                i += 3;
            }
            _ => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    out
}

/// Whether `text`, decoded in any of the ways, holds the key.
fn leaks(text: &str) -> bool {
    let key = CANARY_KEY.as_bytes();
    let holds = |bytes: &[u8]| bytes.windows(key.len()).any(|w| w == key);
    if holds(text.as_bytes()) || holds(&percent_decode(text)) {
        return true;
    }
    // Every run of base64 characters, at each of the four alignments.
    let runs = text.split(|c: char| !(c.is_ascii_alphanumeric() || "+/-_".contains(c)));
    runs.into_iter()
        .any(|run| (0..4).any(|skip| run.len() > skip && holds(&unbase64(&run.as_bytes()[skip..]))))
}

/// Whether a fixture file leaks: its text, or any string it decodes to.
fn file_leaks(text: &str) -> bool {
    if leaks(text) {
        return true;
    }
    let Ok(fixture) = np6_client::fixture::Fixture::parse(text.as_bytes()) else {
        return false;
    };
    let mut pending = vec![serde_json::to_value(fixture).expect("JSON")];
    while let Some(value) = pending.pop() {
        match value {
            Value::String(s) if leaks(&s) => return true,
            Value::Array(items) => pending.extend(items),
            Value::Object(members) => {
                for (name, value) in members {
                    if leaks(&name) {
                        return true;
                    }
                    pending.push(value);
                }
            }
            _ => {}
        }
    }
    false
}

fn header(name: &str, value: &str) -> Value {
    json!({"name": name, "value": value})
}

/// The key in each encoding the rule names.
fn encodings() -> Vec<(&'static str, String)> {
    let key = CANARY_KEY;
    let percent_all: String = key.bytes().map(|b| format!("%{b:02X}")).collect();
    let percent_lower: String = key.bytes().map(|b| format!("%{b:02x}")).collect();
    let json_escaped: String = key
        .chars()
        .map(|c| format!("\\u{:04x}", c as u32))
        .collect();
    vec![
        ("raw", key.to_owned()),
        ("percent", percent_all),
        ("percent, lower case", percent_lower),
        ("percent, partly", key.replacen('-', "%2D", 1)),
        ("json-escaped", json_escaped),
        ("base64", base64(key.as_bytes(), B64)),
        (
            "base64, offset 1",
            base64(format!("x{key}").as_bytes(), B64),
        ),
        (
            "base64, offset 2",
            base64(format!("xy{key}").as_bytes(), B64),
        ),
        (
            "base64url",
            base64(
                format!("x{key}").as_bytes(),
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
            ),
        ),
    ]
}

/// One entry echoing `echo` at every exit an import writes.
fn entry(echo: &str) -> Value {
    // In the HAR's JSON text the echo is as given: a JSON-escaped form
    // decodes to the key when the archive is read.
    let body = format!(r#"[{{"id":"{echo}","origin":5,"detail":{{"formId":"{echo}"}}}}]"#);
    json!({
        "startedDateTime": format!("2026-11-27T10:00:00Z {echo}"),
        "request": {
            "method": "GET",
            "url": format!("https://api-cm.np6.com/targets/redlist/mail?startDate={echo}&note={echo}"),
            "headers": [header("X-Key", CANARY_KEY), header("Content-Type", &format!("application/json; x={echo}"))],
        },
        "response": {
            "status": 200,
            "headers": [header("Content-Type", "application/json"), header("x-request-id", echo), header("retry-after", echo)],
            "content": {"text": body},
        },
    })
}

fn import(entries: Vec<Value>, any_host: bool) -> (np6_checks::har::Imported, tempfile::TempDir) {
    // The archive text: a JSON-escaped echo must stay escaped in it.
    let text = json!({"log": {"entries": entries}})
        .to_string()
        .replace("\\\\u", "\\u");
    let dir = tempfile::tempdir().expect("a temporary folder");
    let har = dir.path().join("leaky.har");
    std::fs::write(&har, text).expect("written");
    let model = np6_checks::model::Model::load(&np6_checks::default_spec()).expect("spec");
    let options = np6_checks::har::Options { any_host };
    let imported = np6_checks::har::import_with(
        &model,
        &har,
        &dir.path().join("out"),
        options,
        &mut |_, _| {},
    )
    .expect("imported");
    (imported, dir)
}

#[test]
fn har_import_writes_no_echo_of_the_key_in_any_encoding() {
    for (name, echo) in encodings() {
        assert!(
            leaks(&echo) || name == "json-escaped",
            "the oracle misses {name}"
        );
        let mut bodies = vec![entry(&echo)];
        // The echo as a body that is not JSON, and base64-encoded content.
        bodies.push(json!({
            "request": {"method": "GET", "url": format!("https://api-cm.np6.com/targets/redlist/sms?x={echo}"),
                        "headers": [header("X-Key", CANARY_KEY)]},
            "response": {"status": 503, "headers": [header("content-type", "text/html")],
                         "content": {"text": padded(base64(format!("<p>{echo}</p>").as_bytes(), B64)), "encoding": "base64"}}
        }));
        // A path that carries the echo, and a PUT body that does.
        bodies.push(json!({
            "request": {"method": "PUT", "url": format!("https://api-cm.np6.com/targets/{}/bounces/788", echo.replace('/', "%2F")),
                        "headers": [header("X-Key", CANARY_KEY)],
                        "postData": {"text": format!(r#"{{"type":"hardUser","detail":{{"message":"{echo}"}}}}"#)}},
            "response": {"status": 204, "headers": [], "content": {"text": ""}}
        }));
        let (imported, _dir) = import(bodies, false);
        assert_eq!(imported.written.len(), 3, "{name}: {:?}", imported.skipped);
        for path in &imported.written {
            let text = std::fs::read_to_string(path).expect("readable");
            assert!(!file_leaks(&text), "{name}: {}\n{text}", path.display());
        }
        for note in &imported.skipped {
            assert!(!leaks(note), "{name}: {note}");
        }
    }
}

#[test]
fn har_import_skips_other_hosts_with_a_note() {
    let mut other = entry("x");
    other["request"]["url"] = json!(format!(
        "https://{CANARY_KEY}.example.com/targets/redlist/mail"
    ));
    let (imported, _dir) = import(vec![entry("x"), other.clone()], false);
    assert_eq!(imported.written.len(), 1);
    assert_eq!(imported.skipped.len(), 1);
    assert!(
        imported.skipped[0].contains("is not NP6's") && imported.skipped[0].contains("--any-host")
    );
    assert!(!leaks(&imported.skipped[0]), "{}", imported.skipped[0]);

    let (imported, _dir) = import(vec![entry("x"), other], true);
    assert_eq!(imported.written.len(), 2, "{:?}", imported.skipped);
}
