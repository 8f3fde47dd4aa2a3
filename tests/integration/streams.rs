//! `stream()`: an answer that is an array, read as items as it arrives:
//! no whole-body cap, retries until the answer begins, and one typed error
//! mid-stream that says how many items came before it.

use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use httpmock::MockServer;
use np6_client::mock::{MockServerExt, Sandbox};
use np6_client::types::{RedlistEntry, RedlistOrigin};
use np6_client::{Client, ErrorKind, Items, RetryPolicy};
use np6_tests::CANARY_KEY;
use np6_tests::faults::{Fault, FaultServer};
use np6_tests::trace::Captured;

/// `n` entries as NP6 writes them, ids `E0`, `E1`, ...
fn entries(n: usize) -> String {
    let items: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"id":"E{i}","origin":{},"timestamp":"2026-11-01T10:00:00Z","detail":{{"formId":"F{i}"}}}}"#,
                i % 10
            )
        })
        .collect();
    format!("[{}]", items.join(",\n "))
}

fn client(url: &str) -> np6_client::ClientBuilder {
    Client::builder()
        .api_key(CANARY_KEY)
        .base_url(url)
        .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(1)))
}

/// Every item until the stream ends: the ids, and the error it ended with.
async fn drain(mut items: Items<RedlistEntry>) -> (Vec<String>, Option<np6_client::Error>) {
    let mut ids = Vec::new();
    while let Some(item) = items.next().await {
        match item {
            Ok(entry) => ids.push(entry.id),
            Err(error) => {
                assert!(items.next().await.is_none(), "nothing after the error");
                return (ids, Some(error));
            }
        }
    }
    (ids, None)
}

#[tokio::test]
async fn an_answer_larger_than_the_body_cap_streams_whole_after_retries() {
    // TRACE, which reads other answers whole to show them, shows only the
    // head of one read as items.
    let (captured, _guard) = Captured::install();
    let body = entries(3_000);
    let server = FaultServer::start(vec![
        Fault::Answer(503, vec![], b"busy".to_vec()),
        Fault::Chunked(200, body.clone().into_bytes()),
    ])
    .await;
    let client = client(&server.base_url)
        .max_response_bytes(4096)
        .max_item_bytes(200)
        .build()
        .expect("valid");
    let items = client.get_mail_redlist().stream().await.expect("begins");
    let (ids, error) = drain(items).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(ids.len(), 3_000);
    assert_eq!(ids.last().map(String::as_str), Some("E2999"));
    assert_eq!(
        server.requests(),
        2,
        "the 503 was retried before the answer began"
    );
    assert!(
        captured.text().contains("read as items"),
        "{}",
        captured.text()
    );
    // `send` reads the same answer whole: over its cap.
    let error = client
        .get_mail_redlist()
        .send()
        .await
        .expect_err("too large");
    assert_eq!(error.kind(), ErrorKind::ResponseTooLarge);
}

#[tokio::test]
async fn an_error_status_fails_stream_itself_with_its_body() {
    let server = FaultServer::start(vec![Fault::Answer(401, vec![], b"bad key".to_vec())]).await;
    let client = client(&server.base_url).build().expect("valid");
    let error = client.get_sms_redlist().stream().await.expect_err("401");
    assert_eq!(
        (error.kind(), error.status()),
        (ErrorKind::Status, Some(401))
    );
    assert_eq!(error.body_text().as_deref(), Some("bad key"));
    assert_eq!(error.delivered(), None);
}

#[tokio::test]
async fn a_cut_body_ends_the_stream_with_the_count_delivered() {
    let body = entries(5);
    let cut = body.find("{\"id\":\"E3\"").expect("a fourth entry");
    let server =
        FaultServer::start(vec![Fault::CutBody(body.as_bytes()[..cut + 8].to_vec())]).await;
    let client = client(&server.base_url).build().expect("valid");
    let items = client.get_mail_redlist().stream().await.expect("begins");
    let (ids, error) = drain(items).await;
    assert_eq!(ids, ["E0", "E1", "E2"]);
    let error = error.expect("cut");
    assert_eq!(error.kind(), ErrorKind::Transport);
    assert_eq!(error.delivered(), Some(3));
    assert_eq!(error.status(), Some(200));
    assert!(error.is_retryable());
    assert!(error.to_string().contains("after 3 items"), "{error}");
    assert_eq!(
        server.requests(),
        1,
        "a failure after the answer began is not retried"
    );
}

#[tokio::test]
async fn a_body_that_stops_coming_times_out_after_the_attempt_timeout() {
    let body = entries(4);
    let cut = body.find("{\"id\":\"E2\"").expect("a third entry");
    let server = FaultServer::start(vec![Fault::StallBody(body.as_bytes()[..cut].to_vec())]).await;
    let client = client(&server.base_url)
        .timeout(Duration::from_millis(300))
        .build()
        .expect("valid");
    let items = client.get_mail_redlist().stream().await.expect("begins");
    let (ids, error) = drain(items).await;
    assert_eq!(ids, ["E0", "E1"]);
    let error = error.expect("stalled");
    assert_eq!(
        (error.kind(), error.delivered()),
        (ErrorKind::Timeout, Some(2))
    );
}

#[tokio::test]
async fn an_item_over_its_cap_or_off_the_spec_ends_the_stream() {
    let big = format!(
        r#"[{{"id":"A","origin":1}},{{"id":"{}","origin":1}}]"#,
        "x".repeat(500)
    );
    let wrong = format!(
        r#"[{{"id":"A","origin":1}},{{"id":"B","origin":"{CANARY_KEY}"}},{{"id":"C","origin":1}}]"#
    );
    let server = FaultServer::start(vec![
        Fault::Chunked(200, big.into_bytes()),
        Fault::Chunked(200, wrong.clone().into_bytes()),
        Fault::Chunked(200, br#"{"id":"A","origin":1}"#.to_vec()),
    ])
    .await;
    let client = client(&server.base_url)
        .max_item_bytes(100)
        .build()
        .expect("valid");
    let stream = || async { client.get_mail_redlist().stream().await.expect("begins") };
    let (ids, error) = drain(stream().await).await;
    let error = error.expect("too large");
    assert_eq!(ids, ["A"]);
    assert_eq!(
        (error.kind(), error.delivered()),
        (ErrorKind::ResponseTooLarge, Some(1))
    );

    let (ids, error) = drain(stream().await).await;
    let error = error.expect("off the spec");
    assert_eq!(ids, ["A"]);
    assert_eq!(
        (error.kind(), error.delivered()),
        (ErrorKind::Decode, Some(1))
    );
    let shown = format!("{error} {error:?}");
    assert!(
        shown.contains("item 2") && shown.contains("origin"),
        "{shown}"
    );
    assert!(!shown.contains(CANARY_KEY), "the key is masked: {shown}");
    assert_eq!(
        error.body_text().as_deref(),
        Some(
            &wrong
                [wrong.find("{\"id\":\"B\"").expect("B")..wrong.find(",{\"id\":\"C\"").expect("C")]
        )
    );

    let (ids, error) = drain(stream().await).await;
    assert!(ids.is_empty());
    assert_eq!(
        error.map(|e| e.kind()),
        Some(ErrorKind::Decode),
        "an object, not an array"
    );
}

#[tokio::test]
async fn no_content_is_an_empty_stream() {
    let server = FaultServer::start(vec![Fault::Answer(204, vec![], Vec::new())]).await;
    let client = client(&server.base_url).build().expect("valid");
    let items = client.get_mail_redlist().stream().await.expect("begins");
    assert_eq!(drain(items).await.0.len(), 0);
}

#[tokio::test]
async fn the_mock_kit_and_the_sandbox_serve_streams() {
    let server = MockServer::start_async().await;
    let mock = server.get_sms_redlist(|_, then| {
        then.success(
            200,
            &vec![
                RedlistEntry::new("A", RedlistOrigin::Complaint),
                RedlistEntry::new("B", RedlistOrigin::Api),
            ],
        );
    });
    let client = client(&server.base_url()).build().expect("valid");
    let ids: Vec<String> = client
        .get_sms_redlist()
        .stream()
        .await
        .expect("begins")
        .map_ok(|e| e.id)
        .try_collect()
        .await
        .expect("two entries");
    assert_eq!(ids, ["A", "B"]);
    mock.assert_async().await;

    let sandbox = Sandbox::start().await.expect("starts");
    let whole = sandbox
        .client()
        .get_mail_redlist()
        .send()
        .await
        .expect("200");
    let streamed: Vec<RedlistEntry> = sandbox
        .client()
        .get_mail_redlist()
        .stream()
        .await
        .expect("begins")
        .try_collect()
        .await
        .expect("the fixture's entries");
    assert_eq!(streamed, whole);
}

#[tokio::test]
async fn only_the_wait_for_a_byte_is_bounded_not_the_readers_own_time() {
    // The body's second half comes 500 ms after its first; the client
    // waits 250 ms for a byte, but the reader spends 450 ms on its first
    // item: it then waits 50 ms, not 500.
    let body = entries(40).into_bytes();
    let gap = Duration::from_millis(500);
    let server = FaultServer::start(vec![Fault::Gapped(body.clone(), gap)]).await;
    let reader = client(&server.base_url)
        .timeout(Duration::from_millis(250))
        .build()
        .expect("valid");
    let mut items = reader.get_mail_redlist().stream().await.expect("begins");
    assert!(items.try_next().await.expect("an entry").is_some());
    tokio::time::sleep(Duration::from_millis(450)).await;
    let (rest, error) = drain(items).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(rest.len(), 39);
    // A reader that waits the whole gap meets the timeout.
    let server = FaultServer::start(vec![Fault::Gapped(body, gap)]).await;
    let waiter = client(&server.base_url)
        .timeout(Duration::from_millis(250))
        .build()
        .expect("valid");
    let items = waiter.get_mail_redlist().stream().await.expect("begins");
    let (_, error) = drain(items).await;
    assert_eq!(error.map(|e| e.kind()), Some(ErrorKind::Timeout));
}

#[tokio::test]
async fn an_answer_that_is_not_an_array_shows_its_start_as_send_does() {
    // A proxy's page instead of the array: the stream's error carries the
    // start of the answer, as `send()`'s does, not only its first byte.
    let page = b"<html>Maintenance until 03:00</html>".to_vec();
    let server = FaultServer::start(vec![Fault::Answer(200, vec![], page)]).await;
    let client = client(&server.base_url).build().expect("valid");
    let sent = client
        .get_mail_redlist()
        .send()
        .await
        .expect_err("no array");
    assert!(
        sent.body_text().is_some_and(|b| b.contains("Maintenance")),
        "{sent:?}"
    );
    let items = client.get_mail_redlist().stream().await.expect("begins");
    let (_, error) = drain(items).await;
    let error = error.expect("no array");
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert!(
        error.body_text().is_some_and(|b| b.contains("Maintenance")),
        "{error:?}"
    );
}

#[tokio::test]
async fn deep_nesting_and_invalid_utf8_in_an_item_end_the_stream_as_decode_errors() {
    // Hostile items that fit the cap: nesting far past serde's recursion
    // limit, and a string with bytes that are not UTF-8.
    let deep = format!(
        r#"[{{"id":"A","origin":1}},{{"id":"B","origin":1,"detail":{{"x":{}{}}}}}]"#,
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    let mut invalid = br#"[{"id":"A","origin":1},{"id":"B"#.to_vec();
    invalid.extend_from_slice(b"\xff\xfe");
    invalid.extend_from_slice(br#"","origin":1}]"#);
    let server = FaultServer::start(vec![
        Fault::Chunked(200, deep.into_bytes()),
        Fault::Chunked(200, invalid),
    ])
    .await;
    let client = client(&server.base_url)
        .max_item_bytes(1 << 20)
        .build()
        .expect("valid");
    for case in ["deep", "not UTF-8"] {
        let items = client.get_mail_redlist().stream().await.expect("begins");
        let (ids, error) = drain(items).await;
        assert_eq!(ids, ["A"], "{case}");
        let error = error.expect("refused");
        assert_eq!(
            (error.kind(), error.delivered()),
            (ErrorKind::Decode, Some(1)),
            "{case}: {error}"
        );
    }
}
