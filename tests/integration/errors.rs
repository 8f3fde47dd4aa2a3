//! Every documented error status becomes a typed error with status, request
//! id and body; invalid arguments fail before any request.

use httpmock::Method::{GET, PUT};
use np6_client::types::{BounceData, BounceType};
use np6_client::{Client, ErrorKind};
use np6_tests::{CANARY_KEY, OneAnswer, builder, client};

/// One documented error answer: status, and a body as NP6 might send it.
const ANSWERS: &[(u16, &str)] = &[
    (400, r#"{"error":"invalid payload"}"#),
    (401, r#"{"message":"wrong API key"}"#),
    (403, "Forbidden"),
    (404, r#"{"error":"unknown target"}"#),
    (409, ""),
    (429, "slow down"),
    (500, "<html><body>Internal Server Error</body></html>"),
    (503, "<html>maintenance</html>"),
];

fn bounce() -> BounceData {
    np6_tests::bounce(BounceType::HardDomain)
}

async fn call(client: &Client, operation: &str) -> Result<(), np6_client::Error> {
    match operation {
        "getMailRedlist" => client.get_mail_redlist().send().await.map(drop),
        "getSmsRedlist" => client.get_sms_redlist().send().await.map(drop),
        "putTargetBounce" => client.put_target_bounce("T1", 7, &bounce()).send().await,
        other => panic!("no call for {other}"),
    }
}

#[tokio::test]
async fn every_documented_error_status_is_a_typed_error() {
    for op in np6_client::spec::OPERATIONS {
        let (is_put, path) = match op.id {
            "putTargetBounce" => (true, "/targets/T1/bounces/7"),
            "getMailRedlist" => (false, "/targets/redlist/mail"),
            _ => (false, "/targets/redlist/sms"),
        };
        for &(status, body) in ANSWERS.iter().filter(|(s, _)| op.statuses.contains(s)) {
            let server = OneAnswer::start(|when, then| {
                when.method(if is_put { PUT } else { GET }).path(path);
                then.status(status)
                    .header("x-request-id", format!("req-{status}"))
                    .body(body);
            })
            .await;
            let error = call(&server.client(), op.id)
                .await
                .expect_err("an error status");
            let context = format!("{} {status}: {error:?}", op.id);
            assert_eq!(error.kind(), ErrorKind::Status, "{context}");
            assert_eq!(error.status(), Some(status), "{context}");
            assert_eq!(
                error.request_id(),
                Some(format!("req-{status}").as_str()),
                "{context}"
            );
            assert_eq!(error.body(), Some(body.as_bytes()), "{context}");
            assert_eq!(error.operation(), Some(op.id), "{context}");
            let retried = matches!(status, 429 | 500 | 503);
            assert_eq!(error.is_retryable(), retried, "{context}");
            let attempts = if retried { 4 } else { 1 };
            assert_eq!(error.attempts(), attempts, "{context}");
            server.assert_calls(attempts as usize).await;
            let shown = error.to_string();
            assert!(
                shown.contains(&status.to_string()) && shown.contains(op.id),
                "{shown}"
            );
            assert!(!shown.contains(CANARY_KEY) && !context.contains(CANARY_KEY));
        }
    }
}

#[tokio::test]
async fn a_body_that_does_not_match_the_spec_is_a_decode_error_with_the_path() {
    let server = OneAnswer::start(|when, then| {
        when.method(GET).path("/targets/redlist/mail");
        then.status(200)
            .header("x-request-id", "d-1")
            .body(r#"[{"id":"A","origin":"three"}]"#);
    })
    .await;
    let error = server
        .client()
        .get_mail_redlist()
        .send()
        .await
        .expect_err("wrong shape");
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert_eq!(error.status(), Some(200));
    assert_eq!(error.request_id(), Some("d-1"));
    assert_eq!(
        error.body(),
        Some(br#"[{"id":"A","origin":"three"}]"#.as_slice())
    );
    assert!(error.to_string().contains("[0].origin"), "{error}");
    assert_eq!(error.attempts(), 1);
}

#[tokio::test]
async fn invalid_arguments_fail_before_any_request() {
    let any = OneAnswer::start(|when, then| {
        when.any_request();
        then.status(204);
    })
    .await;
    let client = any.client();

    let error = client
        .put_target_bounce("", 7, &bounce())
        .send()
        .await
        .expect_err("empty id");
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
    assert!(
        error.to_string().contains("path parameter id is empty"),
        "{error}"
    );
    assert_eq!(error.attempts(), 0);

    let mut body = bounce();
    body.field_id = Some(8);
    let error = client
        .put_target_bounce("T1", 7, &body)
        .send()
        .await
        .expect_err("fieldId disagrees");
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
    assert!(
        error
            .to_string()
            .contains("disagrees with path parameter fieldId"),
        "{error}"
    );

    let start: chrono::DateTime<chrono::Utc> = "2020-01-02T00:00:00Z".parse().expect("date");
    let end: chrono::DateTime<chrono::Utc> = "2020-01-01T00:00:00Z".parse().expect("date");
    let error = client
        .get_mail_redlist()
        .start_date(start)
        .end_date(end)
        .send()
        .await
        .expect_err("start after end");
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
    assert!(error.to_string().contains("startDate"), "{error}");

    any.assert_calls(0).await;
}

#[test]
fn configuration_errors_are_reported_by_build() {
    let error = Client::builder().build().expect_err("no key");
    assert_eq!(error.kind(), ErrorKind::Config);
    let error = Client::builder()
        .api_key("  ")
        .build()
        .expect_err("blank key");
    assert!(error.to_string().contains("empty"), "{error}");
    let error = Client::builder()
        .api_key("k\ney")
        .build()
        .expect_err("newline in key");
    assert!(!error.to_string().contains("k\ney"), "{error}");
    let error = builder("http://np6.example.com")
        .build()
        .expect_err("plain http");
    assert!(error.to_string().contains("clear text"), "{error}");
    builder("http://np6.example.com")
        .allow_plaintext(true)
        .build()
        .expect("opted in");
    builder("http://[::1]:8080/").build().expect("loopback");
    let error = builder("not a url").build().expect_err("not a url");
    assert_eq!(error.kind(), ErrorKind::Config);
}

#[test]
fn debug_output_never_shows_the_key() {
    let client = client("https://np6.test");
    let builder = builder("https://np6.test");
    for shown in [
        format!("{client:?}"),
        format!("{builder:?}"),
        format!("{:#?}", client),
    ] {
        assert!(!shown.contains(CANARY_KEY), "{shown}");
        assert!(shown.contains("REDACTED"), "{shown}");
    }
}
