//! The runtime half of `build/normalize.rs`. The build hands progenitor a
//! copy of the spec rewritten to what progenitor 0.15 can generate; each
//! rewrite there has its counterpart here, numbered alike:
//!
//! 1. **One `2XX` success.** progenitor needs one success type, so the copy
//!    merges a JSON success and a body-less one (`200` + `204`) into `2XX`
//!    with the JSON schema. progenitor then decodes a `204` as JSON:
//!    [`empty_success`] gives it the schema's empty value (`[]`) instead,
//!    from the operation table (`Operation::empty_success`, also written
//!    by the build from the same rewrite).
//! 2. **No error responses.** progenitor would drop an undocumented error
//!    body, so the copy declares none: every error status reaches the
//!    runtime as progenitor's `UnexpectedResponse`, its body unread, and
//!    [`error_answer`] reads it for the typed error.
//! 3. **Path parameters.** The copy drops a string path parameter's
//!    `minLength` and `pattern` (typify would make a newtype per
//!    operation); [`check_path_segment`] refuses what a URL cannot carry as
//!    a segment instead. progenitor's encoding of a path parameter leaves
//!    `\` as it is, which the URL parser reads as `/`: such a value is
//!    sent through a path made here ([`raw_path`], [`send_to_raw_path`]).

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;

use crate::error::{self, Answer, Error};
use crate::spec::Operation;

// 1. One `2XX` success.

/// `response` with the schema's empty value as its body when its status is
/// a body-less success of `op` (a `204` read as `[]`); else as it is.
pub(crate) fn empty_success(op: &Operation, response: reqwest::Response) -> reqwest::Response {
    let status = response.status().as_u16();
    let empty = op.empty_success.iter().find(|(s, _)| *s == status);
    match empty {
        Some((_, json)) => {
            let (parts, _) = http::Response::from(response).into_parts();
            let body = reqwest::Body::from(Bytes::from_static(json.as_bytes()));
            reqwest::Response::from(http::Response::from_parts(parts, body))
        }
        None => response,
    }
}

// 2. No error responses.

/// The answer of an error status, `head` with the body read whole (within
/// the attempt's time limit and the client's size cap, `hook.rs`).
pub(crate) async fn error_answer(
    head: Answer,
    response: reqwest::Response,
) -> Result<Answer, reqwest::Error> {
    let body = response.bytes().await?;
    Ok(Answer {
        body: Some(body),
        ..head
    })
}

// 3. Path parameters.

/// A string path parameter must arrive as that parameter of that
/// operation. progenitor percent-encodes it, but leaves `.` and `\\` as
/// they are, and the URL parser then removes a `.` or `..` segment (so the
/// request would go to another endpoint) and reads `\\` as `/`. So:
/// - an empty segment, `.` and `..` cannot be sent as a segment at all
///   (the URL standard reads `%2e` as `.` too): refused, before sending;
/// - a value with a `\\` is sendable, but not through progenitor's URL:
///   `Ok(true)` asks the caller for a [`raw_path`] to send instead.
pub(crate) fn check_path_segment(op: &Operation, name: &str, value: &str) -> Result<bool, Error> {
    let refused = |message: String| Err(error::invalid_argument(op.id, message));
    match value {
        "" => refused(format!("path parameter {name} is empty")),
        "." | ".." => refused(format!(
            "path parameter {name} is {value:?}, which a URL cannot carry as a path \
             segment (it would be read as a relative path and reach another endpoint)"
        )),
        _ => Ok(value.contains('\\')),
    }
}

/// Every byte but the unreserved ones (RFC 3986 2.3) is percent-encoded in
/// a raw path segment: nothing in it is read as syntax.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The operation's path with its parameters filled in, each one
/// percent-encoded as one segment: what `exec` sends instead of
/// progenitor's path when [`check_path_segment`] asks for it.
pub(crate) fn raw_path(op: &Operation, params: &[(&str, &dyn fmt::Display)]) -> Arc<String> {
    let segments: Vec<String> = op
        .path
        .split('/')
        .map(|segment| {
            let name = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}'));
            match name.and_then(|name| params.iter().find(|(n, _)| *n == name)) {
                Some((_, value)) => {
                    percent_encoding::utf8_percent_encode(&value.to_string(), SEGMENT).to_string()
                }
                None => segment.to_owned(),
            }
        })
        .collect();
    Arc::new(segments.join("/"))
}

/// Points `request` at `raw_path`, below the base URL's own path (`exec`).
pub(crate) fn send_to_raw_path(base_url: &str, request: &mut reqwest::Request, raw_path: &str) {
    let base = reqwest::Url::parse(base_url).map(|url| url.path().to_owned());
    let base = base.as_deref().unwrap_or("").trim_end_matches('/');
    request.url_mut().set_path(&format!("{base}{raw_path}"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    const OP: Operation = Operation {
        id: "testOp",
        method_name: "test_op",
        method: "GET",
        path: "/t/{fieldId}",
        statuses: &[200, 204],
        empty_success: &[(204, "[]")],
        idempotent: true,
    };

    fn response(status: u16, body: &'static str) -> reqwest::Response {
        let mut response = http::Response::new(body);
        *response.status_mut() = http::StatusCode::from_u16(status).expect("a status");
        reqwest::Response::from(response)
    }

    #[tokio::test]
    async fn a_body_less_documented_success_reads_as_the_empty_value() {
        let read = |r: reqwest::Response| async { r.bytes().await.expect("in memory") };
        assert_eq!(read(empty_success(&OP, response(204, ""))).await, "[]");
        assert_eq!(read(empty_success(&OP, response(200, "[1]"))).await, "[1]");
        // A status the operation does not document as body-less: as sent.
        let undocumented = Operation {
            empty_success: &[],
            ..OP
        };
        assert_eq!(
            read(empty_success(&undocumented, response(204, ""))).await,
            ""
        );
    }

    #[tokio::test]
    async fn an_error_answer_keeps_its_head_and_the_body_as_received() {
        let head = Answer {
            status: reqwest::StatusCode::BAD_GATEWAY,
            request_id: Some("r-1".to_owned()),
            ..Answer::default()
        };
        let answer = error_answer(head, response(502, "<html>"))
            .await
            .expect("in memory");
        assert_eq!(answer.status, reqwest::StatusCode::BAD_GATEWAY);
        assert_eq!(answer.request_id.as_deref(), Some("r-1"));
        assert_eq!(answer.body.as_deref(), Some(&b"<html>"[..]));
    }

    #[test]
    fn dot_segments_are_refused_and_backslashes_take_a_raw_path() {
        for refused in ["", ".", ".."] {
            let error = check_path_segment(&OP, "id", refused).expect_err(refused);
            assert_eq!(error.kind(), ErrorKind::InvalidArgument);
        }
        for plain in ["...", "%2e", "a/b", "a.b", " ", "é"] {
            assert!(!check_path_segment(&OP, "id", plain).expect(plain));
        }
        assert!(check_path_segment(&OP, "id", "a\\..").expect("sendable"));
        let path = raw_path(&OP, &[("fieldId", &"a\\./%?# é")]);
        assert_eq!(path.as_str(), "/t/a%5C.%2F%25%3F%23%20%C3%A9");
    }

    #[test]
    fn a_raw_path_goes_below_the_base_url_path() {
        let client = reqwest::Client::new();
        let mut request = client
            .get("http://127.0.0.1:1/api/t/x")
            .build()
            .expect("a request");
        send_to_raw_path("http://127.0.0.1:1/api/", &mut request, "/t/a%5Cb");
        assert_eq!(request.url().as_str(), "http://127.0.0.1:1/api/t/a%5Cb");
    }
}
