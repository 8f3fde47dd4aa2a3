//! `cargo xtask import-har`: NP6 entries become redacted, valid fixtures;
//! other entries are skipped with a note.

use np6_client::fixture::REDACTED;
use np6_tests::CANARY_KEY;
use serde_json::json;

fn header(name: &str, value: &str) -> serde_json::Value {
    json!({"name": name, "value": value})
}

#[test]
fn har_entries_become_redacted_valid_fixtures() {
    let har = json!({"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": [
        {
            "startedDateTime": "2026-11-27T10:00:00.000Z",
            "request": {
                "method": "GET",
                "url": "https://api-cm.np6.com/targets/redlist/mail?startDate=2026-11-20T00%3A00%3A00Z&access_token=abc",
                "headers": [header("X-Key", CANARY_KEY), header("Authorization", "Bearer xyz"), header("Accept", "application/json")]
            },
            "response": {
                "status": 200,
                "headers": [header("Content-Type", "application/json"), header("x-request-id", "har-1"), header("Set-Cookie", "s=1")],
                "content": {"mimeType": "application/json", "text": "[{\"id\":\"0003YB53\",\"origin\":5,\"detail\":{}}]"}
            }
        },
        {
            "startedDateTime": "2026-11-27T10:00:01.000Z",
            "request": {
                "method": "PUT",
                "url": "https://api-cm.np6.com/targets/0003YB53/bounces/788",
                "headers": [header("x-key", CANARY_KEY), header("Content-Type", "application/json")],
                "postData": {"mimeType": "application/json", "text": "{\"type\":\"hardUser\",\"fieldId\":788}"}
            },
            "response": {"status": 204, "headers": [], "content": {"mimeType": "", "text": ""}}
        },
        {
            "startedDateTime": "2026-11-27T10:00:02.000Z",
            "request": {"method": "GET", "url": "https://api-cm.np6.com/targets/redlist/sms", "headers": [header("X-Key", CANARY_KEY)]},
            "response": {"status": 503, "headers": [header("Content-Type", "text/html")],
                         "content": {"mimeType": "text/html", "encoding": "base64", "text": "PGh0bWw+ZG93bjwvaHRtbD4="}}
        },
        {
            "startedDateTime": "2026-11-27T10:00:03.000Z",
            "request": {"method": "GET", "url": "https://cdn.example.com/app.js", "headers": []},
            "response": {"status": 200, "headers": [], "content": {"text": "console.log(1)"}}
        }
    ]}});
    let dir = tempfile::tempdir().expect("a temporary folder");
    let har_path = dir.path().join("session.har");
    std::fs::write(&har_path, har.to_string()).expect("written");
    let out = dir.path().join("fixtures");
    let model = np6_checks::model::Model::load(&np6_checks::default_spec()).expect("spec");

    let imported = np6_checks::har::import(&model, &har_path, &out).expect("imported");
    let names: Vec<String> = imported
        .written
        .iter()
        .map(|p| {
            p.file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(
        names,
        [
            "getMailRedlist-200.yaml",
            "putTargetBounce-204.yaml",
            "getSmsRedlist-503.yaml"
        ]
    );
    assert_eq!(imported.skipped.len(), 1);
    assert!(
        imported.skipped[0].contains("entry 3")
            && imported.skipped[0].contains("host cdn.example.com is not NP6's")
    );

    // What was sent is kept (redacted): the stray credential parameter is
    // not in the spec, and validate says so; the rest is valid.
    let report = np6_checks::validate::run(&model, &imported.written);
    let issues: Vec<String> = report
        .fixtures
        .iter()
        .flat_map(|f| {
            f.errors
                .iter()
                .map(|e| format!("{}: {}", e.location, e.message))
        })
        .collect();
    assert_eq!(
        issues,
        ["request.query/access_token: not a query parameter of getMailRedlist"]
    );
    for path in &imported.written {
        let text = std::fs::read_to_string(path).expect("readable");
        assert!(
            !text.contains(CANARY_KEY) && !text.contains("Bearer") && !text.contains("abc"),
            "{text}"
        );
        let fixture = np6_checks::validate::load(path).expect("a fixture");
        assert_eq!(fixture.request.header("x-key"), Some(REDACTED), "{text}");
    }
    let mail = np6_checks::validate::load(&imported.written[0]).expect("fixture");
    assert_eq!(
        mail.request.query["startDate"].values(),
        ["2026-11-20T00:00:00Z"]
    );
    assert_eq!(mail.request.query["access_token"].values(), [REDACTED]);
    assert_eq!(mail.request.header("authorization"), Some(REDACTED));
    assert_eq!(mail.response.header("x-request-id"), Some("har-1"));
    assert!(mail.response.header("set-cookie").is_none());
    let sms = np6_checks::validate::load(&imported.written[2]).expect("fixture");
    assert_eq!(sms.response.body_text.as_deref(), Some("<html>down</html>"));

    // A second import does not overwrite the first.
    let again = np6_checks::har::import(&model, &har_path, &out).expect("imported");
    assert!(
        again.written[0].ends_with("getMailRedlist-200-2.yaml"),
        "{:?}",
        again.written
    );
}

#[test]
fn every_one_of_many_distinct_keys_is_masked_in_every_entry() {
    // Each entry sends its own key, and echoes the next entry's key in
    // its answer: every key must be masked wherever it appears.
    let n = 300;
    let key = |i: usize| format!("distinct-key-{i:04}-7f3a9c1e");
    let entries: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            json!({
                "startedDateTime": "2026-11-27T10:00:00.000Z",
                "request": {
                    "method": "GET",
                    "url": "https://api-cm.np6.com/targets/redlist/sms",
                    "headers": [header("X-Key", &key(i))]
                },
                "response": {"status": 401, "headers": [header("x-request-id", &key((i + 1) % n))],
                             "content": {"text": format!("bad key %{:02X}{}", b'd', &key((i + 1) % n)[1..])}}
            })
        })
        .collect();
    let har = json!({"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": entries}});
    let dir = tempfile::tempdir().expect("a temporary folder");
    let har_path = dir.path().join("many.har");
    std::fs::write(&har_path, har.to_string()).expect("written");
    let out = dir.path().join("fixtures");
    let model = np6_checks::model::Model::load(&np6_checks::default_spec()).expect("spec");
    let imported = np6_checks::har::import(&model, &har_path, &out).expect("imported");
    assert_eq!(imported.written.len(), n, "{:?}", imported.skipped);
    for path in &imported.written {
        let text = std::fs::read_to_string(path).expect("readable");
        assert!(
            !text.contains("distinct-key"),
            "{}:\n{text}",
            path.display()
        );
        assert!(!text.contains("istinct-key"), "{}:\n{text}", path.display());
        assert!(text.matches(REDACTED).count() >= 3, "{text}");
    }
}
