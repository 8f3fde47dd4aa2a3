//! Record mode: every exchange becomes a redacted fixture that the spec
//! describes and the client replays.

use std::path::{Path, PathBuf};

use httpmock::Method::{GET, PUT};
use httpmock::MockServer;
use np6_checks::model::Model;
use np6_client::fixture::{Fixture, REDACTED, Source};
use np6_client::types::BounceType;
use np6_tests::{CANARY_KEY, OneAnswer, builder};
use serde_json::json;
use tempfile::TempDir;

/// A client that records every exchange into the returned folder, with
/// retries off, so that each call is one exchange.
fn recording_client(base_url: &str) -> (TempDir, np6_client::Client) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let client = builder(base_url)
        .record_to(dir.path())
        .retry(np6_client::RetryPolicy::disabled())
        .build()
        .expect("valid");
    (dir, client)
}

/// The fixture files recorded into `dir`.
fn recorded(dir: &TempDir) -> Vec<PathBuf> {
    np6_checks::fixture_files(&[dir.path().to_path_buf()]).expect("listed")
}

/// A recorded fixture file: its text, and the fixture it holds.
fn read_fixture(file: &Path) -> (String, Fixture) {
    let text = std::fs::read_to_string(file).expect("readable");
    let fixture = Fixture::from_json(&text).expect("a fixture");
    (text, fixture)
}

#[tokio::test]
async fn recorded_exchanges_are_valid_redacted_fixtures() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/targets/redlist/mail");
            then.status(200)
                .header("content-type", "application/json")
                .header("x-request-id", "rec-1")
                .json_body(json!([{"id": "0003YB53", "timestamp": "2008-12-16T15:26:00Z", "origin": 3, "detail": {"formId": "0000GH"}}]));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(PUT).path("/targets/T%2F1/bounces/7");
            then.status(401)
                .header("x-request-id", "rec-2")
                .body(format!("bad key {CANARY_KEY}"));
        })
        .await;
    let (dir, client) = recording_client(&server.base_url());
    let start: chrono::DateTime<chrono::Utc> = "2008-12-01T00:00:00Z".parse().expect("date");
    client
        .get_mail_redlist()
        .start_date(start)
        .send()
        .await
        .expect("200");
    let bounce = np6_tests::bounce(BounceType::HardUser);
    client
        .put_target_bounce("T/1", 7, &bounce)
        .send()
        .await
        .expect_err("401");

    let model = Model::load(&np6_checks::default_spec()).expect("spec");
    let files = recorded(&dir);
    assert_eq!(files.len(), 2, "{files:?}");
    for file in &files {
        let (text, fixture) = read_fixture(file);
        assert!(
            !text.contains(CANARY_KEY),
            "key in {}:\n{text}",
            file.display()
        );
        assert_eq!(fixture.source, Source::Recorded);
        assert_eq!(fixture.request.header("X-Key"), Some(REDACTED));
        let (op, issues) = np6_checks::validate::check(&model, &fixture);
        assert!(issues.is_empty(), "{}: {issues:?}", file.display());
        assert_eq!(fixture.operation.as_deref(), op.map(|o| o.id.as_str()));
        assert!(
            np6_checks::replay::replay(&model, &fixture)
                .await
                .is_empty(),
            "replays"
        );
    }
    let mail = files
        .iter()
        .find(|f| f.to_string_lossy().contains("getMailRedlist-200"))
        .expect("mail fixture");
    let (_, fixture) = read_fixture(mail);
    assert_eq!(
        fixture.request.query["startDate"].values(),
        ["2008-12-01T00:00:00Z"]
    );
    assert_eq!(fixture.response.header("x-request-id"), Some("rec-1"));
    let bounce = files
        .iter()
        .find(|f| f.to_string_lossy().contains("putTargetBounce-401"))
        .expect("bounce fixture");
    let (_, fixture) = read_fixture(bounce);
    assert_eq!(fixture.request.path, "/targets/T%2F1/bounces/7");
    assert_eq!(
        fixture.request.body,
        Some(json!({"type": "hardUser", "fieldId": 7}))
    );
    assert_eq!(
        fixture.response.body_text.as_deref(),
        Some("bad key REDACTED")
    );
}

#[tokio::test]
async fn a_204_is_recorded_as_received_with_no_body() {
    let server = OneAnswer::start(|when, then| {
        when.method(GET).path("/targets/redlist/mail");
        then.status(204).header("x-request-id", "rec-204");
    })
    .await;
    let (dir, client) = recording_client(&server.base_url());
    let entries = client.get_mail_redlist().send().await.expect("204");
    assert!(entries.is_empty(), "the client still reads 204 as []");

    let files = recorded(&dir);
    assert_eq!(files.len(), 1, "{files:?}");
    let (text, fixture) = read_fixture(&files[0]);
    assert_eq!(fixture.response.status, 204);
    assert_eq!(fixture.response.body, None, "{text}");
    assert_eq!(fixture.response.body_text, None, "{text}");
    assert_eq!(fixture.response.header("x-request-id"), Some("rec-204"));
    let model = Model::load(&np6_checks::default_spec()).expect("spec");
    let (op, issues) = np6_checks::validate::check(&model, &fixture);
    assert!(issues.is_empty(), "{}: {issues:?}", files[0].display());
    assert_eq!(op.map(|o| o.id.as_str()), Some("getMailRedlist"));
}

#[tokio::test]
async fn record_mode_writes_nothing_its_own_reader_would_refuse() {
    // An answer nested deeper than a fixture file may be: the call
    // succeeds, and no fixture is written that validate would reject.
    let mut detail = json!("leaf");
    for _ in 0..np6_client::fixture::MAX_DEPTH {
        detail = json!({ "a": detail });
    }
    let server = OneAnswer::start(|when, then| {
        when.method(GET).path("/targets/redlist/sms");
        then.status(200)
            .header("content-type", "application/json")
            .json_body(json!([{"id": "A1", "origin": 6, "detail": detail}]));
    })
    .await;
    let (dir, client) = recording_client(&server.base_url());
    let entries = client.get_sms_redlist().send().await.expect("200");
    assert_eq!(entries.len(), 1);
    let files = recorded(&dir);
    assert!(files.is_empty(), "{files:?}");
}

#[tokio::test]
async fn a_body_over_the_fixture_cap_is_refused_before_it_is_masked() {
    // Hostile text for the masking: every character opens an escape.
    let body = "%25".repeat((np6_client::fixture::MAX_FILE_BYTES / 3 + 1) as usize);
    let server = OneAnswer::start(|when, then| {
        when.method(GET).path("/targets/redlist/mail");
        then.status(500).body(body);
    })
    .await;
    let (dir, client) = recording_client(&server.base_url());
    let (captured, _guard) = np6_tests::trace::Captured::install();
    client.get_mail_redlist().send().await.expect_err("500");
    let trace = captured.text();
    assert!(
        trace.contains("bodies are larger than a fixture file may be"),
        "{trace}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).map_or(0, Iterator::count), 0);
}
