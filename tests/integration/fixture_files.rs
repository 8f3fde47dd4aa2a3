//! Hostile fixture folders and files (symlink loops,
//! FIFOs, devices, huge files) are listed once and refused by name, in
//! every reader (validate, coverage, replay, the sandbox); what the
//! writers make, validate accepts; what validate accepts, the sandbox
//! answers without a 500.

use std::path::{Path, PathBuf};
use std::time::Duration;

use np6_client::fixture::{Fixture, MAX_FILE_BYTES};
use np6_client::mock::{Limits, Sandbox, serve};

const SMS_503: &str = "constructed/getSmsRedlist-503.yaml";
const MAIL_200: &str = "documentation/getMailRedlist-200-two-entries.yaml";

/// A folder holding two fixtures of the corpus.
fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for name in [SMS_503, MAIL_200] {
        let from = np6_checks::default_fixtures().join(name);
        let to = dir
            .path()
            .join(Path::new(name).file_name().expect("a name"));
        std::fs::copy(from, to).expect("copied");
    }
    dir
}

fn model() -> np6_checks::model::Model {
    np6_checks::model::Model::load(&np6_checks::default_spec()).expect("spec")
}

/// Validates `dir`: (file, valid, first error) per fixture.
fn validate(dir: &Path) -> Vec<(String, bool, String)> {
    let files = np6_checks::fixture_files(&[dir.to_path_buf()]).expect("listed");
    let report = np6_checks::validate::run(&model(), &files);
    report
        .fixtures
        .iter()
        .map(|f| {
            let first = f.errors.first().map(|e| e.message.clone());
            (f.file.clone(), f.valid, first.unwrap_or_default())
        })
        .collect()
}

/// Runs `f` on another thread; fails instead of hanging.
fn within<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(f());
    });
    receive
        .recv_timeout(Duration::from_secs(60))
        .expect("finished in bounded time")
}

fn start_sandbox(dir: PathBuf) -> Result<Sandbox, np6_client::Error> {
    within(move || {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(Sandbox::builder().fixtures_dir(dir).start())
    })
}

#[cfg(unix)]
#[test]
fn symlink_loop_is_walked_once() {
    let dir = folder();
    std::os::unix::fs::symlink(".", dir.path().join("a")).expect("link a");
    std::os::unix::fs::symlink(".", dir.path().join("b")).expect("link b");
    let path = dir.path().to_path_buf();
    let files = within(move || np6_client::fixture::files_below(&path).expect("listed"));
    assert_eq!(files.len(), 2, "{files:?}");
    let results = within({
        let path = dir.path().to_path_buf();
        move || validate(&path)
    });
    assert_eq!(results.len(), 2, "{results:?}");
    assert!(results.iter().all(|(_, valid, _)| *valid), "{results:?}");
    let rows = np6_checks::coverage::table(
        &model(),
        &np6_checks::fixture_files(&[dir.path().to_path_buf()]).expect("listed"),
    );
    let covered: usize = rows.iter().map(|(_, _, files)| files.len()).sum();
    assert_eq!(covered, 2);
    let sandbox = start_sandbox(dir.path().to_path_buf()).expect("the sandbox starts");
    assert_eq!(sandbox.fixtures().count(), 2);
}

#[cfg(unix)]
#[test]
fn linked_fixture_is_counted_once() {
    let dir = folder();
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).expect("sub");
    std::os::unix::fs::symlink(
        dir.path().join("getSmsRedlist-503.yaml"),
        sub.join("again.yaml"),
    )
    .expect("file link");
    std::os::unix::fs::symlink(dir.path(), sub.join("root")).expect("folder link");
    let files = np6_client::fixture::files_below(dir.path()).expect("listed");
    assert_eq!(files.len(), 2, "{files:?}");
}

/// The refusal of one hostile file, by validate and by the sandbox.
#[cfg(unix)]
fn assert_refused(make: impl FnOnce(&Path), reason: &str) {
    let dir = folder();
    let bad = dir.path().join("bad.yaml");
    make(&bad);
    let results = within({
        let path = dir.path().to_path_buf();
        move || validate(&path)
    });
    assert_eq!(results.len(), 3, "{results:?}");
    let (file, valid, message) = results
        .iter()
        .find(|(file, _, _)| file.ends_with("bad.yaml"))
        .expect("the bad file is listed");
    assert!(!valid && message.contains(reason), "{file}: {message}");
    let error = start_sandbox(dir.path().to_path_buf()).expect_err("refused");
    assert!(
        error.to_string().contains("bad.yaml") && error.to_string().contains(reason),
        "{error}"
    );
}

#[cfg(unix)]
#[test]
fn fifo_is_refused_without_waiting() {
    assert_refused(
        |bad| {
            let status = std::process::Command::new("mkfifo")
                .arg(bad)
                .status()
                .expect("mkfifo runs");
            assert!(status.success());
        },
        "not a regular file (a FIFO)",
    );
}

#[cfg(unix)]
#[test]
fn link_to_dev_zero_is_refused() {
    assert_refused(
        |bad| std::os::unix::fs::symlink("/dev/zero", bad).expect("link"),
        "not a regular file (a device)",
    );
}

#[cfg(unix)]
#[test]
fn dangling_link_is_refused_by_name() {
    assert_refused(
        |bad| std::os::unix::fs::symlink("/nowhere/at/all", bad).expect("link"),
        "cannot read",
    );
}

#[cfg(unix)]
#[test]
fn huge_file_is_refused_unread() {
    assert_refused(
        |bad| {
            let file = std::fs::File::create(bad).expect("created");
            // Sparse: no disk is used, and reading it would take 4 GiB.
            file.set_len(4 << 30).expect("grown");
        },
        "larger than",
    );
    let text = "#".repeat(usize::try_from(MAX_FILE_BYTES).expect("fits") + 1);
    assert!(
        Fixture::parse(text.as_bytes())
            .unwrap_err()
            .contains("larger than")
    );
}

/// A redlist answer of `entries` entries (12 YAML nodes each): from
/// 21,000, more nodes than the YAML parser's default budget (250,000).
fn large_redlist(entries: usize) -> Fixture {
    let mut fixture = Fixture::parse(
        &std::fs::read(np6_checks::default_fixtures().join(MAIL_200)).expect("readable"),
    )
    .expect("a fixture");
    let entry = serde_json::json!({"id": "0003YB53", "timestamp": "2008-12-16T15:26:00Z", "origin": 3, "detail": {"formId": "0000GH"}});
    fixture.response.body = Some(serde_json::Value::Array(vec![entry; entries]));
    fixture
}

#[test]
fn large_recorded_redlist_validates_and_is_served() {
    let fixture = large_redlist(25_000);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let yaml = fixture.to_yaml().expect("written as import-har does");
    let json = fixture.to_json().expect("written as record mode does");
    std::fs::write(dir.path().join("large.yaml"), yaml).expect("written");
    std::fs::write(dir.path().join("large.json"), json).expect("written");
    let results = validate(dir.path());
    assert!(results.iter().all(|(_, valid, _)| *valid), "{results:?}");
    let sandbox = start_sandbox(dir.path().to_path_buf()).expect("the sandbox starts");
    assert_eq!(sandbox.fixtures().count(), 2);

    // A fixture too large for a reader is refused by the writer.
    let too_large = large_redlist(200_000);
    assert!(too_large.to_yaml().unwrap_err().contains("more than"));
}

#[test]
fn large_imported_redlist_validates() {
    let body = large_redlist(25_000)
        .response
        .body
        .expect("a body")
        .to_string();
    let har = serde_json::json!({"log": {"entries": [{
        "request": {"method": "GET", "url": "https://api-cm.np6.com/targets/redlist/mail",
                    "headers": [{"name": "X-Key", "value": np6_tests::CANARY_KEY}]},
        "response": {"status": 200, "headers": [{"name": "content-type", "value": "application/json"}],
                     "content": {"text": body}}
    }]}});
    let dir = tempfile::tempdir().expect("a temporary folder");
    let har_path = dir.path().join("large.har");
    std::fs::write(&har_path, har.to_string()).expect("written");
    let out = dir.path().join("out");
    let imported = np6_checks::har::import(&model(), &har_path, &out).expect("imported");
    assert_eq!(imported.written.len(), 1, "{:?}", imported.skipped);
    let results = validate(&out);
    assert!(results.iter().all(|(_, valid, _)| *valid), "{results:?}");
}

/// Every answer a fixture may carry that a server could fail to send:
/// validate refuses it, or the sandbox answers it (never a 500).
#[test]
fn validated_fixture_never_makes_the_sandbox_answer_500() {
    let base = Fixture::parse(
        &std::fs::read(np6_checks::default_fixtures().join(SMS_503)).expect("readable"),
    )
    .expect("a fixture");
    type Change = fn(&mut Fixture);
    let cases: [(&str, Change); 9] = [
        ("body_text under a JSON content type", |f| {
            f.response
                .headers
                .insert("content-type".into(), "application/json".into());
            f.response.body_text = Some("{not json".into());
        }),
        ("a newline in a header value", |f| {
            f.response.headers.insert("x-note".into(), "a\nb".into());
        }),
        ("a header name with a space", |f| {
            f.response.headers.insert("x note".into(), "v".into());
        }),
        ("an empty header name", |f| {
            f.response.headers.insert(String::new(), "v".into());
        }),
        ("a non-ASCII header value", |f| {
            f.response
                .headers
                .insert("x-note".into(), "caf\u{e9}".into());
        }),
        ("transfer-encoding", |f| {
            f.response
                .headers
                .insert("transfer-encoding".into(), "chunked".into());
        }),
        ("content-length that lies", |f| {
            f.response
                .headers
                .insert("content-length".into(), "99999".into());
        }),
        ("a JSON body under a text content type", |f| {
            f.response.body_text = None;
            f.response.body = Some(serde_json::json!({"message": "down"}));
        }),
        ("an informational status", |f| f.response.status = 101),
    ];
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let model = model();
    for (case, change) in cases {
        let mut fixture = base.clone();
        change(&mut fixture);
        let (_, issues) = np6_checks::validate::check(&model, &fixture);
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("case.json");
        std::fs::write(&path, serde_json::to_string(&fixture).expect("JSON")).expect("written");
        let started = runtime.block_on(Sandbox::builder().fixtures_dir(dir.path()).start());
        if !issues.is_empty() {
            assert!(
                started.is_err(),
                "{case}: validate refuses it, the sandbox serves it"
            );
            continue;
        }
        let sandbox = started.unwrap_or_else(|e| panic!("{case}: valid but refused: {e}"));
        let status = runtime.block_on(async {
            reqwest::Client::new()
                .get(format!(
                    "{}/targets/redlist/sms?startDate=2024-01-01T00:00:00Z",
                    sandbox.base_url()
                ))
                .header("X-Key", "k")
                .send()
                .await
                .map(|r| r.status().as_u16())
        });
        assert_eq!(status.ok(), Some(fixture.response.status), "{case}");
    }
}

#[test]
fn deep_bodies_are_refused_alike_by_writers_and_reader() {
    let nested = |levels: usize| {
        let mut fixture = large_redlist(1);
        let mut body = serde_json::json!(1);
        for _ in 0..levels {
            body = serde_json::json!([body]);
        }
        fixture.response.body = Some(body);
        fixture
    };
    let deepest = nested(np6_client::fixture::MAX_DEPTH - 2);
    let yaml = deepest.to_yaml().expect("as deep as a reader reads");
    assert_eq!(Fixture::parse(yaml.as_bytes()), Ok(deepest));
    let too_deep = nested(np6_client::fixture::MAX_DEPTH - 1);
    assert!(too_deep.to_yaml().unwrap_err().contains("levels deep"));
    assert!(too_deep.to_json().unwrap_err().contains("levels deep"));
    // Far deeper YAML is refused by the reader's budget, not by the stack.
    let text = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    let refused = within(move || Fixture::parse(text.as_bytes()));
    assert!(refused.is_err());
}

#[test]
fn deep_json_is_refused_like_deep_yaml() {
    let mut fixture = large_redlist(1);
    let mut body = serde_json::json!(1);
    for _ in 0..100 {
        body = serde_json::json!([body]);
    }
    fixture.response.body = Some(body);
    let json = serde_json::to_string(&fixture).expect("JSON");
    assert!(
        Fixture::parse(json.as_bytes())
            .unwrap_err()
            .contains("levels deep")
    );
}

/// Serves the bundled fixtures with no sandbox server; returns a client.
async fn served_alone() -> np6_client::Client {
    let fixtures = Sandbox::builder().load().expect("the bundled fixtures");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let address = listener.local_addr().expect("an address");
    tokio::spawn(async move { serve(listener, &fixtures, Limits::default()).await });
    np6_client::Client::builder()
        .api_key("k")
        .base_url(format!("http://{address}"))
        .retry(np6_client::RetryPolicy::disabled())
        .build()
        .expect("a client")
}

fn at(text: &str) -> chrono::DateTime<chrono::Utc> {
    text.parse().expect("a date")
}

#[tokio::test]
async fn the_redlist_answers_only_the_window_asked_for() {
    let client = served_alone().await;
    let ids = |entries: Vec<np6_client::types::RedlistEntry>| -> Vec<String> {
        entries.into_iter().map(|e| e.id).collect()
    };
    let window = |start: &str, end: &str| {
        client
            .get_mail_redlist()
            .start_date(at(start))
            .end_date(at(end))
            .send()
    };
    // Both ends included: an entry on an edge is in the window.
    let december = window("2008-12-01T00:00:00Z", "2008-12-31T00:00:00Z").await;
    assert_eq!(ids(december.expect("200")), ["0003YB53"]);
    let edge = window("2008-11-25T15:47:00Z", "2008-11-25T15:47:00Z").await;
    assert_eq!(ids(edge.expect("200")), ["0003YB57"]);
    let both = window("2008-11-01T00:00:00Z", "2009-01-01T00:00:00Z").await;
    assert_eq!(ids(both.expect("200")).len(), 2);
    // No entry in the window: NP6's empty answer (204), an empty list.
    let later = window("2020-01-01T00:00:00Z", "2020-02-01T00:00:00Z").await;
    assert!(later.expect("204").is_empty());
    let since = client
        .get_mail_redlist()
        .start_date(at("2008-12-01T00:00:00Z"));
    assert_eq!(ids(since.send().await.expect("200")), ["0003YB53"]);
}

#[tokio::test]
async fn a_target_the_fixtures_know_as_unknown_answers_404() {
    let client = served_alone().await;
    let bounce = np6_client::types::BounceData::new(np6_client::types::BounceType::HardDomain);
    let unknown = client
        .put_target_bounce("UNKNOWN-TARGET", 12, &bounce)
        .send()
        .await
        .expect_err("unknown target");
    assert_eq!(unknown.status(), Some(404));
    // A known target, with a body no fixture has: the operation's success.
    let known = client
        .put_target_bounce("0003YB53", 12, &bounce)
        .send()
        .await;
    assert!(known.is_ok(), "{known:?}");
}
