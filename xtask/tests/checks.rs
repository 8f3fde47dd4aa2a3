//! The xtask commands against deliberately broken fixtures and specs.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use xtask::model::Model;

fn here(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn model() -> Model {
    Model::load(&xtask::default_spec()).expect("the workspace spec is valid")
}

/// Each broken fixture: the location and part of the message it must get.
const BROKEN: &[(&str, &str, &str)] = &[
    (
        "bad-date.yaml",
        "request.query/startDate",
        "is not a \"date-time\"",
    ),
    ("bad-source.yaml", "file", "unknown variant `guessed`"),
    ("bad-yaml.yaml", "file", "not valid YAML: line 2 column 7"),
    ("binary.json", "file", "binary"),
    (
        "body-on-204.yaml",
        "response.body",
        "has no body in the spec",
    ),
    ("empty.yaml", "file", "empty"),
    (
        "field-id-not-int32.yaml",
        "request.path/fieldId",
        "greater than the maximum of 2147483647",
    ),
    (
        "field-id-not-integer.yaml",
        "request.path/fieldId",
        "is not an integer",
    ),
    (
        "missing-key.yaml",
        "request.headers",
        "X-Key (the API key) is missing",
    ),
    (
        "missing-required-id.yaml",
        "response.body/0",
        "\"id\" is a required property",
    ),
    ("missing-response.yaml", "file", "missing field `response`"),
    ("operation-mismatch.yaml", "operation", "says getSmsRedlist"),
    (
        "undocumented-status.yaml",
        "response.status",
        "418 is not documented",
    ),
    (
        "unknown-bounce-type.yaml",
        "request.body/type",
        "\"bogus\" is not one of",
    ),
    (
        "unknown-origin.yaml",
        "response.body/0/origin",
        "42 is not one of",
    ),
    (
        "unknown-path.yaml",
        "request.path",
        "no operation of the spec",
    ),
    (
        "unknown-query.yaml",
        "request.query/limit",
        "not a query parameter",
    ),
    (
        "unredacted-key.yaml",
        "request.headers/X-Key",
        "not redacted",
    ),
];

#[test]
fn every_broken_fixture_gets_its_error_at_its_location() {
    let model = model();
    let files = xtask::fixture_files(&[here("tests/broken")]).expect("readable");
    assert_eq!(
        files.len(),
        BROKEN.len(),
        "each broken fixture has an expectation"
    );
    let report = xtask::validate::run(&model, &files);
    assert!(!report.ok());
    for (name, location, message) in BROKEN {
        let result = report
            .fixtures
            .iter()
            .find(|f| f.file.ends_with(name))
            .unwrap_or_else(|| panic!("{name} not reported"));
        assert!(!result.valid, "{name} passed");
        assert!(
            result
                .errors
                .iter()
                .any(|e| e.location == *location && e.message.contains(message)),
            "{name}: expected {location}: ...{message}..., got {:?}",
            result.errors
        );
    }
    // One line per failing fixture, then the summary.
    let text = report.text("validate");
    assert_eq!(text.lines().count(), BROKEN.len() + 1, "{text}");
    assert!(
        text.ends_with(&format!(
            "validate: {0} fixtures, 0 passed, {0} failed\n",
            BROKEN.len()
        )),
        "{text}"
    );
}

#[test]
fn replay_catches_a_client_that_differs_from_the_recording() {
    let model = model();
    let files = xtask::fixture_files(&[here("tests/drift")]).expect("readable");
    // Both are valid for the spec...
    assert!(xtask::validate::run(&model, &files).ok());
    // ...but the client does not reproduce them.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let report = runtime.block_on(xtask::replay::run(&model, &files));
    let find = |name: &str| {
        report
            .fixtures
            .iter()
            .find(|f| f.file.ends_with(name))
            .expect("reported")
    };
    let dropped = find("extra-member-dropped.yaml");
    assert_eq!(
        dropped.errors[0].location, "response.body/0/listedBy",
        "{:?}",
        dropped.errors
    );
    let dates = find("date-offset-form.yaml");
    assert!(
        dates.errors[0].message.contains("2019-08-24T14:15:22Z"),
        "{:?}",
        dates.errors
    );
}

fn xtask(args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .expect("xtask runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.code().unwrap_or(-1), text)
}

#[test]
fn exit_codes_are_0_valid_1_invalid_2_usage() {
    let broken = here("tests/broken");
    let broken = broken.to_str().expect("UTF-8 path");
    assert_eq!(xtask(&["validate"]).0, 0);
    assert_eq!(xtask(&["validate", "--fixtures", broken]).0, 1);
    let (code, text) = xtask(&["validate", "--fixtures", "/no/such/folder"]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("no fixtures at /no/such/folder"), "{text}");
    assert_eq!(xtask(&["validate", "--format", "yaml"]).0, 2);
    assert_eq!(xtask(&["validate", "--spec", "/no/spec.yaml"]).0, 2);
}

#[test]
fn json_output_lists_fixtures_and_a_summary() {
    let broken = here("tests/broken");
    let (code, text) = xtask(&[
        "validate",
        "--format",
        "json",
        "--fixtures",
        broken.to_str().expect("UTF-8"),
    ]);
    assert_eq!(code, 1);
    let report: Value = serde_json::from_str(&text).expect("JSON");
    let fixtures = report["fixtures"].as_array().expect("a list");
    assert_eq!(fixtures.len(), BROKEN.len());
    for fixture in fixtures {
        assert_eq!(fixture["valid"], false);
        assert!(fixture["file"].is_string() && fixture.get("operation").is_some());
        assert!(
            fixture["errors"][0]["location"].is_string()
                && fixture["errors"][0]["message"].is_string()
        );
    }
    assert_eq!(report["summary"]["invalid"], BROKEN.len());
}

fn spec_issues(edit: impl FnOnce(&mut Value)) -> Vec<String> {
    let text = std::fs::read_to_string(xtask::default_spec()).expect("spec");
    let mut spec: Value = serde_saphyr::from_str(&text).expect("YAML");
    edit(&mut spec);
    match Model::from_value(&spec) {
        Ok(_) => Vec::new(),
        Err(issues) => issues
            .into_iter()
            .map(|i| format!("{}: {}", i.location, i.message))
            .collect(),
    }
}

#[test]
fn a_broken_spec_is_reported_with_locations() {
    assert!(spec_issues(|_| {}).is_empty());

    let issues = spec_issues(|s| {
        s["components"]["schemas"]["BounceData"]["properties"]["detail"]["$ref"] =
            "#/components/schemas/Nope".into()
    });
    assert!(
        issues.iter().any(
            |i| i.contains("/components/schemas/BounceData/properties/detail/$ref")
                && i.contains("does not resolve")
        ),
        "{issues:?}"
    );

    let issues = spec_issues(|s| {
        s["paths"]["/targets/redlist/sms"]["get"]["operationId"] = "getMailRedlist".into()
    });
    assert!(
        issues
            .iter()
            .any(|i| i.contains("getMailRedlist is used more than once")),
        "{issues:?}"
    );

    let issues = spec_issues(|s| {
        s["components"]["schemas"]["RedlistEntry"]["example"]["origin"] = 99.into()
    });
    assert!(
        issues
            .iter()
            .any(|i| i.starts_with("/components/schemas/RedlistEntry/example/origin")),
        "{issues:?}"
    );

    let issues = spec_issues(|s| s["openapi"] = "3.1.0".into());
    assert!(
        issues.iter().any(|i| i.contains("expected OpenAPI 3.0.x")),
        "{issues:?}"
    );
}

#[test]
fn mock_serves_the_fixtures_and_logs_each_request() {
    use std::io::{BufRead, BufReader, Read, Write};

    let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["mock", "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("xtask mock starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("the base URL line");
    let address = first
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no URL in {first:?}"))
        .to_owned();

    let get = |path: &str, key: bool| {
        let mut stream = std::net::TcpStream::connect(&address).expect("connects");
        let key = if key { "X-Key: any\r\n" } else { "" };
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nhost: x\r\n{key}connection: close\r\n\r\n"
        )
        .expect("sent");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read");
        answer
    };
    assert!(get("/targets/redlist/mail", true).starts_with("HTTP/1.1 200"));
    assert!(get("/targets/redlist/mail", false).starts_with("HTTP/1.1 401"));
    assert!(get("/nowhere", true).starts_with("HTTP/1.1 404"));

    let mut lines = Vec::new();
    for _ in 0..3 {
        let mut line = String::new();
        stdout.read_line(&mut line).expect("a log line");
        lines.push(line);
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        lines[0].contains("fixture=documentation/getMailRedlist-200-two-entries.yaml"),
        "{lines:?}"
    );
    assert!(lines[1].contains("401"), "{lines:?}");
    assert!(
        lines[2].contains("404") && lines[2].contains("closest="),
        "{lines:?}"
    );
}

#[test]
fn the_benchmarks_run_end_to_end_at_tiny_sizes() {
    // Timings of a debug build mean nothing: this only proves every
    // benchmark runs and reports, so `cargo xtask bench` cannot rot.
    let sizes = xtask::bench::Sizes {
        requests_c1: 20,
        requests_c64: 64,
        rounds: 1,
        bulk_records: 200,
        fixtures: 40,
        enforce: false,
    };
    let rows = xtask::bench::overhead(sizes).expect("overhead runs");
    assert_eq!(rows.len(), 6);
    assert!(
        rows.iter().all(|r| r.ratio.is_finite() && r.ratio > 0.0),
        "{rows:?}"
    );
    let bulk = xtask::bench::bulk_run(200, true).expect("bulk runs");
    assert_eq!(bulk.records, 200);
    assert!(bulk.np6_per_second > 0.0 && bulk.raw_per_second.is_some_and(|r| r > 0.0));
    assert!(bulk.peak_rss_kib > 0);
    let validation = xtask::bench::validation(sizes).expect("validation runs");
    assert!(validation[0].detail.contains("40 ") || validation[0].name.contains("40 fixtures"));
    let table = xtask::bench::table(&rows, false);
    assert!(table.contains("not enforced (quick)"), "{table}");
}

#[test]
fn the_overhead_benchmark_compares_requests_as_a_server_sees_them() {
    use xtask::bench::canonical_request;
    let a = canonical_request(b"PUT /t/1 HTTP/1.1\r\nX-Key: k\r\naccept: */*\r\n\r\n{}");
    let reordered = canonical_request(b"PUT /t/1 HTTP/1.1\r\naccept: */*\r\nx-key:  k\r\n\r\n{}");
    assert_eq!(
        a, reordered,
        "header order and name case are not differences"
    );
    for different in [
        &b"PUT /t/2 HTTP/1.1\r\nX-Key: k\r\naccept: */*\r\n\r\n{}"[..],
        b"PUT /t/1 HTTP/1.1\r\nX-Key: other\r\naccept: */*\r\n\r\n{}",
        b"PUT /t/1 HTTP/1.1\r\nX-Key: k\r\n\r\n{}",
        b"PUT /t/1 HTTP/1.1\r\nX-Key: k\r\naccept: */*\r\n\r\n{ }",
    ] {
        assert_ne!(a, canonical_request(different));
    }
    // Both sides of the benchmark pass the check (it runs before every
    // overhead benchmark, too).
    xtask::bench::same_requests().expect("the same requests");
}
