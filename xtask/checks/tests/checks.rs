//! The fixture checks against deliberately broken fixtures and specs.

use std::path::{Path, PathBuf};

use np6_checks::model::Model;
use serde_json::Value;

fn here(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn model() -> Model {
    Model::load(&np6_checks::default_spec()).expect("the workspace spec is valid")
}

/// Each broken fixture: the location and part of the message it must get.
const BROKEN: &[(&str, &str, &str)] = &[
    (
        "bad-date.yaml",
        "request.query/startDate",
        "is not a \"date-time\"",
    ),
    ("bad-source.yaml", "file", "unknown variant `guessed`"),
    (
        "body-field-disagrees-with-path.yaml",
        "request.body/fieldId",
        "this client cannot send fieldId 789 with the path's fieldId",
    ),
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
        "field-id-leading-zeros.yaml",
        "request.path/fieldId",
        "this client cannot send \"00788\": it writes fieldId \"00788\" as \"788\"",
    ),
    (
        "field-id-percent-encoded.yaml",
        "request.path/fieldId",
        "this client cannot send \"%37%38%38\"",
    ),
    (
        "field-id-plus.yaml",
        "request.path/fieldId",
        "this client cannot send \"+788\"",
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
        "target-id-dot.yaml",
        "request.path/id",
        "the client refuses id \".\"",
    ),
    (
        "target-id-dot-dot.yaml",
        "request.path/id",
        "the client refuses id \"..\"",
    ),
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
    let files = np6_checks::fixture_files(&[here("tests/broken")]).expect("readable");
    assert_eq!(
        files.len(),
        BROKEN.len(),
        "each broken fixture has an expectation"
    );
    let report = np6_checks::validate::run(&model, &files);
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
    let files = np6_checks::fixture_files(&[here("tests/drift")]).expect("readable");
    // Both are valid for the spec...
    assert!(np6_checks::validate::run(&model, &files).ok());
    // ...but the client does not reproduce them.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let report = runtime.block_on(np6_checks::replay::run(&model, &files));
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

#[test]
fn replay_equates_only_what_the_spec_equates() {
    let model = model();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    // An explicit null for an optional nullable property, an empty
    // free-form object: the same bodies as the client's, under the spec.
    let files = np6_checks::fixture_files(&[here("tests/roundtrip")]).expect("readable");
    assert_eq!(files.len(), 3);
    assert!(np6_checks::validate::run(&model, &files).ok());
    let report = runtime.block_on(np6_checks::replay::run(&model, &files));
    assert!(report.ok(), "{}", report.text("replay"));
    // Both ways: the client's body with the path's fieldId against a
    // recording without it, and a recording whose fieldId differs, which
    // validate refuses (the client would not send it) rather than replay.
    let filled = report
        .fixtures
        .iter()
        .find(|f| f.file.ends_with("body-field-filled-from-the-path.yaml"));
    assert!(filled.is_some_and(|f| f.valid), "{}", report.text("replay"));
    let file = here("tests/broken/body-field-disagrees-with-path.yaml");
    let report = runtime.block_on(np6_checks::replay::run(&model, &[file]));
    let errors = &report.fixtures[0].errors;
    assert!(
        errors.iter().any(|e| e.location == "request.body/fieldId"
            && e.message
                .contains("invalid fixture, not replayed: this client cannot send")),
        "{errors:?}"
    );
}

fn spec_issues(edit: impl FnOnce(&mut Value)) -> Vec<String> {
    let text = std::fs::read_to_string(np6_checks::default_spec()).expect("spec");
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
fn the_report_is_the_same_on_one_thread_and_on_many() {
    let model = model();
    let mut files =
        np6_checks::fixture_files(&[here("tests/broken"), here("tests/drift")]).expect("readable");
    files.extend(np6_checks::fixture_files(&[np6_checks::default_fixtures()]).expect("readable"));
    let one = np6_checks::validate::run_on(&model, &files, Some(1));
    for threads in [Some(2), Some(5), None] {
        let many = np6_checks::validate::run_on(&model, &files, threads);
        assert_eq!(many.text("validate"), one.text("validate"));
        assert_eq!(many.json(), one.json());
    }
}

#[test]
fn a_json_fixture_gets_the_same_report_as_its_yaml_twin() {
    // `.json` files take serde_json straight into the typed fixture; the
    // answer must be the YAML path's, valid or not.
    let model = model();
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut sources =
        np6_checks::fixture_files(&[np6_checks::default_fixtures()]).expect("readable");
    sources.extend(np6_checks::fixture_files(&[here("tests/broken")]).expect("readable"));
    let mut checked = 0;
    for source in sources
        .iter()
        .filter(|s| s.extension().is_some_and(|e| e == "yaml"))
    {
        let Ok(text) = std::fs::read_to_string(source) else {
            continue;
        };
        let Ok(value) = serde_saphyr::from_str::<Value>(&text) else {
            continue;
        };
        let twin = dir.path().join("twin.json");
        std::fs::write(&twin, serde_json::to_vec(&value).expect("JSON")).expect("written");
        let yaml = np6_checks::validate::run_on(&model, std::slice::from_ref(source), Some(1));
        let json = np6_checks::validate::run_on(&model, std::slice::from_ref(&twin), Some(1));
        let issues = |r: &np6_checks::report::Report| {
            (
                r.fixtures[0].operation.clone(),
                format!("{:?}", r.fixtures[0].errors),
            )
        };
        assert_eq!(issues(&json), issues(&yaml), "{}", source.display());
        checked += 1;
    }
    assert!(checked > 30, "only {checked} fixtures compared");
}
