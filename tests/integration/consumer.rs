//! The testing kit as a consumer uses it: typed mocks and the sandbox.

use httpmock::MockServer;
use np6_client::mock::{MockServerExt, Sandbox};
use np6_client::types::{BounceData, BounceType, RedlistEntry, RedlistOrigin};
use np6_client::{Client, ErrorKind, RetryPolicy};
use serde_json::json;

/// Code under test, as a consumer would write it: counts complaints.
async fn complaints(client: &Client) -> Result<usize, np6_client::Error> {
    let entries = client.get_mail_redlist().send().await?;
    Ok(entries
        .iter()
        .filter(|e| e.origin == RedlistOrigin::Complaint)
        .count())
}

fn entry(id: &str, origin: RedlistOrigin) -> RedlistEntry {
    RedlistEntry::new(id, origin)
}

fn client_for(server: &MockServer) -> Client {
    Client::builder()
        .api_key("test-key")
        .base_url(server.base_url())
        .retry(RetryPolicy::disabled())
        .build()
        .expect("valid")
}

#[tokio::test]
async fn typed_mocks_answer_successes() {
    let server = MockServer::start_async().await;
    let mock = server.get_mail_redlist(|when, then| {
        when.into_inner().header("X-Key", "test-key");
        then.success(
            200,
            &vec![
                entry("A", RedlistOrigin::Complaint),
                entry("B", RedlistOrigin::Api),
            ],
        );
    });
    assert_eq!(complaints(&client_for(&server)).await.expect("counts"), 1);
    mock.assert_async().await;
}

#[tokio::test]
async fn typed_mocks_answer_documented_errors() {
    let server = MockServer::start_async().await;
    server.put_target_bounce(|when, then| {
        when.id("T1").field_id(7);
        then.not_found(json!({"error": "unknown target"}));
    });
    let bounce = np6_tests::bounce(BounceType::HardUser);
    let error = client_for(&server)
        .put_target_bounce("T1", 7, &bounce)
        .send()
        .await
        .expect_err("404");
    assert_eq!(error.status(), Some(404));
    assert_eq!(error.kind(), ErrorKind::Status);
    assert_eq!(
        error.body_text().as_deref(),
        Some(r#"{"error":"unknown target"}"#)
    );
}

#[tokio::test]
async fn typed_mocks_match_the_body() {
    let server = MockServer::start_async().await;
    let bounce = BounceData::new(BounceType::HardDomain).with_field_id(3);
    let mock = server.put_target_bounce(|when, then| {
        when.body(&bounce);
        then.no_content();
    });
    let mut sent = bounce.clone();
    sent.field_id = None;
    client_for(&server)
        .put_target_bounce("T9", 3, &sent)
        .send()
        .await
        .expect("the body is completed and matches");
    mock.assert_async().await;
}

#[tokio::test]
async fn the_sandbox_answers_from_the_bundled_fixtures() {
    let sandbox = Sandbox::start().await.expect("starts");
    let client = sandbox.client();
    // The documented example, answered for any window.
    let mail = client.get_mail_redlist().send().await.expect("200");
    assert_eq!(
        mail.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        ["0003YB53", "0003YB57"]
    );
    // An exact recorded request gets its recorded answer, errors included.
    let start: chrono::DateTime<chrono::Utc> = "2024-01-01T00:00:00Z".parse().expect("date");
    let error = client
        .get_sms_redlist()
        .start_date(start)
        .send()
        .await
        .expect_err("a recorded error");
    assert!(error.status().is_some_and(|s| s >= 400), "{error}");
    let bounce = np6_tests::bounce(BounceType::HardUser);
    client
        .put_target_bounce("any target", 1, &bounce)
        .send()
        .await
        .expect("204");
    assert!(sandbox.fixtures().count() >= 27);
}

#[tokio::test]
async fn the_sandbox_requires_the_key_and_serves_your_fixtures() {
    let dir = tempfile::tempdir().expect("a folder");
    std::fs::write(
        dir.path().join("mine.yaml"),
        "description: one complaint\nsource: constructed\nrequest: {method: GET, path: /targets/redlist/mail}\n\
         response: {status: 200, body: [{id: Z9, origin: 5}]}\n",
    )
    .expect("written");
    let sandbox = Sandbox::builder()
        .fixtures_dir(dir.path())
        .start()
        .await
        .expect("starts");
    assert_eq!(complaints(sandbox.client()).await.expect("counts"), 1);

    let no_key = status_without_key(&format!("{}/targets/redlist/mail", sandbox.base_url())).await;
    assert_eq!(no_key, 401);
    let unknown = Client::builder()
        .api_key("k")
        .base_url(sandbox.base_url())
        .build()
        .expect("valid");
    let error = unknown
        .get_sms_redlist()
        .send()
        .await
        .expect_err("no SMS fixture");
    assert_eq!(error.status(), Some(404));
}

#[tokio::test]
async fn a_broken_fixture_folder_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("a folder");
    std::fs::write(dir.path().join("bad.yaml"), "description: [").expect("written");
    let error = Sandbox::builder()
        .fixtures_dir(dir.path())
        .start()
        .await
        .expect_err("bad fixture");
    assert_eq!(error.kind(), ErrorKind::Config);
    assert!(
        error.to_string().contains("bad.yaml") && error.to_string().contains("YAML"),
        "{error}"
    );
}

/// A request without the key, as another tool would send it.
async fn status_without_key(url: &str) -> u16 {
    let (host_port, path) = url
        .trim_start_matches("http://")
        .split_once('/')
        .expect("a URL with a path");
    let mut stream = tokio::net::TcpStream::connect(host_port)
        .await
        .expect("connects");
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let request = format!("GET /{path} HTTP/1.1\r\nhost: {host_port}\r\nconnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("read");
    answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line")
}
