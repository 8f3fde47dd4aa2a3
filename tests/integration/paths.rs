//! Path parameters: an id reaches its own endpoint and nothing else.
//! Random string ids (dots, slashes, `%`, `?`, `#`, `\`, spaces, control
//! and non-ASCII characters) are sent to a loopback server, which checks
//! that the exact raw path it received decodes back to the same operation
//! and the same id; the only ids refused are those a URL cannot carry as a
//! path segment, and they are refused before anything is sent.

use np6_client::ErrorKind;
use np6_client::types::BounceType;
use np6_tests::faults::{Fault, FaultServer};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

/// The ids no URL can carry as a segment: the URL parser drops or climbs
/// out of them (and reads `%2e` as `.`, so encoding does not help).
const UNSENDABLE: [&str; 3] = ["", ".", ".."];

/// Characters that stress the path: the syntax of URLs and of percent
/// escapes, what URL parsers rewrite, and any character at all.
fn id_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => prop::sample::select(vec!['.', '/', '\\', '%', '?', '#', ' ', '+', ';', '&', '=', '2', 'e', 'E']),
        1 => prop::char::range('\u{0}', '\u{1f}'),
        1 => Just('\u{7f}'),
        1 => prop::sample::select(vec!['é', 'ß', '\u{a0}', '\u{2028}', '\u{feff}', '😀', '\u{10ffff}']),
        2 => prop::char::any(),
    ]
}

fn id() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => prop::sample::select(vec![
            "", ".", "..", "...", "%2e", "%2E%2e", ".%2e", "./", "..\\", "\\..", "a/../b", "?", "#",
        ])
        .prop_map(str::to_owned),
        6 => prop::collection::vec(id_char(), 0..8).prop_map(String::from_iter),
    ]
}

/// Sends `id` and checks where it went.
async fn send(server: &FaultServer, id: &str) -> Result<(), TestCaseError> {
    let client = np6_tests::client(&server.base_url);
    let before = server.requests();
    let body = np6_tests::bounce(BounceType::HardUser);
    let outcome = client.put_target_bounce(id, 788, &body).send().await;
    if UNSENDABLE.contains(&id) {
        let error = outcome.expect_err("refused");
        prop_assert_eq!(
            error.kind(),
            ErrorKind::InvalidArgument,
            "{:?}: {}",
            id,
            error
        );
        prop_assert_eq!(error.attempts(), 0);
        prop_assert_eq!(server.requests(), before, "nothing sent for {:?}", id);
        return Ok(());
    }
    prop_assert!(outcome.is_ok(), "{:?}: {:?}", id, outcome);
    prop_assert_eq!(server.requests(), before + 1);
    let target = server.targets().pop().unwrap_or_default();
    let path = target.split('?').next().unwrap_or_default();
    let matched = np6_client::spec::match_request("PUT", path);
    let (op, params) =
        matched.map_err(|e| TestCaseError::fail(format!("{id:?} -> {target}: {e}")))?;
    prop_assert_eq!(op.id, "putTargetBounce", "{:?} -> {}", id, target);
    let expected = vec![
        ("id".to_owned(), id.to_owned()),
        ("fieldId".to_owned(), "788".to_owned()),
    ];
    prop_assert_eq!(params, expected, "{:?} -> {}", id, target);
    prop_assert!(!target.contains('?'), "{:?} -> {} has a query", id, target);
    Ok(())
}

#[test]
fn every_id_reaches_its_own_endpoint() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let server = runtime.block_on(FaultServer::start(vec![Fault::Answer(204, vec![], vec![])]));
    // Fixed seed and case count: the same ids on every run.
    let config = Config {
        cases: 400,
        failure_persistence: None,
        ..Config::default()
    };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[12; 32]);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let outcome = runner.run(&id(), |id| runtime.block_on(send(&server, &id)));
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}

#[tokio::test]
async fn dot_segments_are_refused_and_look_alikes_sent() {
    let server = FaultServer::start(vec![Fault::Answer(204, vec![], vec![])]).await;
    for id in UNSENDABLE.into_iter().chain([
        "...",
        "%2e",
        "%2E",
        ".%2e",
        "..\\",
        "\\",
        "a\\..\\..",
        "..%2f",
        "/..",
        " ..",
    ]) {
        if let Err(e) = send(&server, id).await {
            panic!("{id:?}: {e}");
        }
    }
    let error = np6_tests::client(&server.base_url)
        .put_target_bounce("..", 788, &np6_tests::bounce(BounceType::HardUser))
        .send()
        .await
        .expect_err("refused");
    assert!(
        error.to_string().contains("path parameter id is \"..\""),
        "{error}"
    );
}
