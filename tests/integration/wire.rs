//! The exact requests on the wire, and the decoding of successful answers.

use chrono::{DateTime, TimeZone, Utc};
use httpmock::Method::{GET, PUT};
use np6_client::types::{BounceData, BounceDetail, BounceType, RedlistOrigin};
use np6_tests::{CANARY_KEY, OneAnswer};
use serde_json::json;

fn date(s: &str) -> DateTime<Utc> {
    s.parse().expect("a valid RFC 3339 date")
}

#[tokio::test]
async fn mail_redlist_sends_dates_and_key_and_decodes_200() {
    let server = OneAnswer::start(|when, then| {
        when.method(GET)
            .path("/targets/redlist/mail")
            .query_param("startDate", "2019-08-24T14:15:22Z")
            .query_param("endDate", "2019-08-31T00:00:00Z")
            .header("X-Key", CANARY_KEY)
            .header("accept", "application/json")
            .header("user-agent", np6_client::DEFAULT_USER_AGENT)
            .is_true(|req| {
                // Exactly two parameters, percent-encoded as NP6's reference shows.
                req.uri().query().is_some_and(|q| {
                    let mut parts: Vec<&str> = q.split('&').collect();
                    parts.sort_unstable();
                    parts == ["endDate=2019-08-31T00%3A00%3A00Z", "startDate=2019-08-24T14%3A15%3A22Z"]
                })
            });
        then.status(200).header("x-request-id", "r-1").json_body(json!([
            {"id": "0003YB53", "timestamp": "2008-12-16T15:26:00Z", "origin": 3, "detail": {"formId": "0000GH"}},
            {"id": "0003YB57", "timestamp": null, "origin": 1, "detail": {}}
        ]));
    })
    .await;
    let client = server.client();
    let entries = client
        .get_mail_redlist()
        .start_date(date("2019-08-24T14:15:22Z"))
        .end_date(date("2019-08-31T00:00:00Z"))
        .send()
        .await
        .expect("200 decodes");
    server.assert_calls(1).await;
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].id, "0003YB53");
    assert_eq!(entries[0].origin, RedlistOrigin::Form);
    assert_eq!(
        entries[0].timestamp,
        Some(Utc.with_ymd_and_hms(2008, 12, 16, 15, 26, 0).unwrap())
    );
    assert_eq!(entries[0].detail.get("formId"), Some(&json!("0000GH")));
    assert_eq!(entries[1].origin, RedlistOrigin::Api);
    assert_eq!(entries[1].timestamp, None);
}

#[tokio::test]
async fn sms_redlist_without_dates_sends_no_query_and_reads_204_as_empty() {
    let server = OneAnswer::start(|when, then| {
        when.method(GET)
            .path("/targets/redlist/sms")
            .header("X-Key", CANARY_KEY)
            .is_true(|req| req.uri().query().is_none_or(str::is_empty));
        then.status(204);
    })
    .await;
    let entries = server
        .client()
        .get_sms_redlist()
        .send()
        .await
        .expect("204 is success");
    server.assert_calls(1).await;
    assert!(entries.is_empty());
}

#[tokio::test]
async fn sub_second_dates_are_sent_at_whole_seconds() {
    let server = OneAnswer::start(|when, then| {
        when.method(GET)
            .path("/targets/redlist/sms")
            .query_param("startDate", "2019-08-24T14:15:22Z");
        then.status(204);
    })
    .await;
    let start = date("2019-08-24T14:15:22.987654Z");
    server
        .client()
        .get_sms_redlist()
        .start_date(start)
        .send()
        .await
        .expect("sent");
    server.assert_calls(1).await;
}

#[tokio::test]
async fn unknown_enum_values_decode_instead_of_failing() {
    let server = OneAnswer::start(|when, then| {
        when.method(GET).path("/targets/redlist/mail");
        then.status(200)
            .json_body(json!([{"id": "X", "origin": 42}]));
    })
    .await;
    let entries = server
        .client()
        .get_mail_redlist()
        .send()
        .await
        .expect("decodes");
    assert_eq!(entries[0].origin, RedlistOrigin::Other(42));
    assert!(entries[0].detail.is_empty());
}

fn hard_user(field_id: Option<i32>) -> BounceData {
    let mut bounce = BounceData::new(BounceType::HardUser)
        .with_detail(BounceDetail::new().with_message("550 5.1.1 - Unknown address error"))
        .with_timestamp(date("2008-09-05T19:06:00Z"));
    bounce.field_id = field_id;
    bounce
}

#[tokio::test]
async fn bounce_percent_encodes_the_target_id_and_sends_the_json_body() {
    let server = OneAnswer::start(|when, then| {
        when.method(PUT)
            .header("X-Key", CANARY_KEY)
            .header("content-type", "application/json")
            .is_true(|req| req.uri().path() == "/targets/a%2Fb%20c%C3%A9/bounces/788")
            .json_body(json!({
                "type": "hardUser",
                "fieldId": 788,
                "detail": {"message": "550 5.1.1 - Unknown address error"},
                "timestamp": "2008-09-05T19:06:00Z"
            }));
        then.status(204).header("x-request-id", "b-1");
    })
    .await;
    let client = server.client();
    // The body's fieldId is filled in from the path.
    client
        .put_target_bounce("a/b cé", 788, &hard_user(None))
        .send()
        .await
        .expect("204");
    // A body that repeats the path's fieldId is sent as is.
    client
        .put_target_bounce("a/b cé", 788, &hard_user(Some(788)))
        .send()
        .await
        .expect("204");
    server.assert_calls(2).await;
}

#[tokio::test]
async fn bounce_with_an_unknown_type_is_sent_verbatim() {
    let server = OneAnswer::start(|when, then| {
        when.method(PUT)
            .path("/targets/T1/bounces/5")
            .json_body(json!({"type": "softUser", "fieldId": 5}));
        then.status(204);
    })
    .await;
    let body = BounceData::new("softUser");
    server
        .client()
        .put_target_bounce("T1", 5, &body)
        .send()
        .await
        .expect("204");
    server.assert_calls(1).await;
}

#[tokio::test]
async fn a_caller_supplied_http_client_still_sends_the_key_and_user_agent() {
    let server = OneAnswer::start(|when, then| {
        when.method(GET)
            .path("/targets/redlist/sms")
            .header("X-Key", CANARY_KEY)
            .header("user-agent", "my-app/2.0");
        then.status(204);
    })
    .await;
    let http = reqwest::Client::builder().build().expect("a client");
    let client = np6_tests::builder(&server.base_url())
        .http_client(http)
        .user_agent("my-app/2.0")
        .build()
        .expect("valid");
    client.get_sms_redlist().send().await.expect("204");
    server.assert_calls(1).await;
}
