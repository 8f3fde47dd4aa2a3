//! A fuzz-style test: random bytes, random YAML documents and
//! random HAR archives fed to the fixture reader and the HAR importer. No
//! panic; every refusal a message; outputs bounded by the inputs; whatever
//! the importer writes, the reader accepts. The seed and the case count are
//! fixed here, so `cargo test` is deterministic and fast.

use np6_client::fixture::{Fixture, MAX_FILE_BYTES};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use serde_json::{Value, json};

fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(0x6e70_3612),
        failure_persistence: None,
        ..Config::default()
    }
}

/// A refusal is a short message, not an echo of the whole input.
fn assert_clear(result: Result<Fixture, String>, input: usize) {
    if let Err(message) = result {
        assert!(!message.trim().is_empty(), "an empty refusal");
        assert!(
            message.len() <= 1000 + input,
            "a refusal of {} bytes",
            message.len()
        );
    }
}

/// Pieces of YAML, good and hostile (anchors, aliases, tags, merges,
/// documents, flow collections, deep nesting), put together at random.
fn yaml_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("description: d\n".to_owned()),
        Just("source: constructed\n".to_owned()),
        Just("request:\n  method: GET\n  path: /targets/redlist/sms\n".to_owned()),
        Just("response:\n  status: 204\n".to_owned()),
        Just("response: {status: 200, body: [1, 2, {a: b}]}\n".to_owned()),
        Just("a: &x [1, 2, 3]\nb: [*x, *x, *x, *x]\n".to_owned()),
        Just("<<: {c: d}\n".to_owned()),
        Just("--- !!str\n".to_owned()),
        Just("---\n".to_owned()),
        Just("? [complex, key]\n: value\n".to_owned()),
        Just("x: !!binary AAAA\n".to_owned()),
        Just("q: {startDate: [1, true, null]}\n".to_owned()),
        (1usize..200).prop_map(|n| format!("{}1{}\n", "[".repeat(n), "]".repeat(n))),
        (1usize..100).prop_map(|n| format!("{}x\n", "- ".repeat(n))),
        "[ -~]{0,40}\n",
        any::<String>().prop_map(|s| format!("\"{}\"\n", s.escape_default())),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        ".{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A HAR entry: NP6's operations or not, any method, status, headers and
/// content, base64 or not.
fn har_entry() -> impl Strategy<Value = Value> {
    let host = prop_oneof![
        Just("https://api-cm.np6.com"),
        Just("http://api-cm.np6.com:8080"),
        Just("https://elsewhere.example"),
        Just(""),
    ];
    let path = prop_oneof![
        Just("/targets/redlist/mail".to_owned()),
        Just("/targets/redlist/sms".to_owned()),
        "[a-zA-Z0-9%._~-]{0,12}".prop_map(|id| format!("/targets/{id}/bounces/788")),
        "/[ -~]{0,30}",
    ];
    let query = prop::collection::vec(("[a-zA-Z_%+]{0,8}", "[ -~]{0,16}"), 0..4);
    let method = prop_oneof![
        Just("GET"),
        Just("PUT"),
        Just("get"),
        Just("BREW"),
        Just("")
    ];
    let status = prop_oneof![
        Just(json!(200)),
        Just(json!(204)),
        Just(json!(503)),
        any::<i64>().prop_map(|n| json!(n)),
        Just(json!("200"))
    ];
    let headers = prop::collection::vec(("[ -~]{0,12}", "[ -~]{0,20}"), 0..4);
    let text = prop_oneof![
        json_value().prop_map(|v| v.to_string()),
        ".{0,60}",
        Just(String::new()),
    ];
    (
        host,
        path,
        query,
        method,
        status,
        headers,
        text,
        any::<bool>(),
        json_value(),
    )
        .prop_map(
            |(host, path, query, method, status, headers, text, base64, body)| {
                let query: Vec<String> =
                    query.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
                let url = format!("{host}{path}?{}", query.join("&"));
                let headers: Vec<Value> = headers
                    .into_iter()
                    .map(|(name, value)| json!({"name": name, "value": value}))
                    .chain([json!({"name": "X-Key", "value": "fuzz-canary-key-0042"})])
                    .collect();
                let content = if base64 {
                    json!({"text": "PGI+ZG93bjwvYj4=", "encoding": "base64"})
                } else {
                    json!({"text": text})
                };
                json!({
                    "request": {"method": method, "url": url, "headers": headers.clone(),
                                "postData": {"text": body.to_string()}},
                    "response": {"status": status, "headers": headers, "content": content},
                })
            },
        )
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn random_bytes_are_read_or_refused_clearly(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        assert_clear(Fixture::parse(&bytes), bytes.len());
    }

    #[test]
    fn random_yaml_documents_are_read_or_refused_clearly(pieces in prop::collection::vec(yaml_piece(), 0..12)) {
        let text = pieces.concat();
        assert_clear(Fixture::parse(text.as_bytes()), text.len());
    }

    #[test]
    fn random_json_values_are_read_or_refused_clearly(value in json_value()) {
        let text = value.to_string();
        assert_clear(Fixture::parse(text.as_bytes()), text.len());
    }
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn random_har_archives_import_or_are_refused_clearly(entries in prop::collection::vec(har_entry(), 0..6), wrap in 0u8..4) {
        let archive = match wrap {
            0 => json!({"log": {"entries": entries}}),
            1 => json!({"log": {"entries": {"not": "a list"}}}),
            2 => json!(entries),
            _ => json!({"log": {"entries": entries, "pages": []}}),
        };
        let text = archive.to_string();
        let dir = tempfile::tempdir().expect("a temporary folder");
        let har = dir.path().join("fuzz.har");
        std::fs::write(&har, &text).expect("written");
        let model = np6_checks::model::Model::load(&np6_checks::default_spec()).expect("spec");
        let out = dir.path().join("out");
        let mut calls = 0;
        let result = np6_checks::har::import_with(&model, &har, &out, np6_checks::har::Options::default(), &mut |_, _| calls += 1);
        match result {
            Err(message) => prop_assert!(!message.is_empty() && message.len() < 1000 + text.len()),
            Ok(imported) => {
                let count = archive.pointer("/log/entries").and_then(Value::as_array).map_or(0, Vec::len);
                prop_assert_eq!(imported.written.len() + imported.skipped.len(), count);
                prop_assert!(calls >= 1);
                for path in &imported.written {
                    let bytes = np6_client::fixture::read_file(path).expect("readable");
                    prop_assert!((bytes.len() as u64) < MAX_FILE_BYTES);
                    prop_assert!(bytes.len() < 4096 + 4 * text.len());
                    prop_assert!(Fixture::parse(&bytes).is_ok(), "written but unreadable: {}", String::from_utf8_lossy(&bytes));
                    prop_assert!(!String::from_utf8_lossy(&bytes).contains("fuzz-canary-key-0042"));
                }
                for note in &imported.skipped {
                    prop_assert!(note.starts_with("entry ") && note.len() < 1000 + text.len(), "{note}");
                }
            }
        }
    }
}
