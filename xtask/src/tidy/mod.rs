//! The code invariants of ARCHITECTURE.md as tests (rust-analyzer's
//! `tidy.rs` habit): plain `cargo test` checks them, each failure names
//! the file, what is wrong and how to fix it.
//!
//! The files checked are the `.rs` files git tracks (so nothing under
//! `target/` or generated into `OUT_DIR`).

mod modules;
mod source;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use heck::ToSnakeCase as _;
use modules::{crate_modules, cycles, is_crate_root, module_path, references};
use source::code_only;

/// The longest a source file may be.
const MAX_LINES: usize = 500;

/// Places that may name an operation, with the reason (ARCHITECTURE.md,
/// "no per-operation Rust"): `(file, name)`.
const MAY_NAME_AN_OPERATION: &[(&str, &str)] = &[(
    // `Client::put_bounces`, the documented convenience over `Client::bulk`.
    "np6-client/src/bulk.rs",
    "put_target_bounce",
)];

#[test]
fn no_source_file_is_over_500_lines() {
    let mut failures = Vec::new();
    for (path, text) in tracked_rust_files() {
        let lines = text.lines().count();
        if lines > MAX_LINES {
            failures.push(format!(
                "{path}: {lines} lines, over {MAX_LINES}: split it into modules of one concern each"
            ));
        }
    }
    report(&failures);
}

#[test]
fn every_source_file_starts_with_a_module_doc() {
    let mut failures = Vec::new();
    for (path, text) in tracked_rust_files() {
        if !text.starts_with("//!") {
            failures.push(format!(
                "{path}: does not start with a `//!` line: add one saying what the module is for"
            ));
        }
    }
    report(&failures);
}

#[test]
fn no_generated_file_is_committed() {
    // Built from pieces so that this file does not match itself.
    let marker = format!("// @{}", "generated");
    let progenitor = ["Types used as operation ", "parameters and responses."].concat();
    let mut failures = Vec::new();
    for path in tracked_files() {
        let Ok(text) = std::fs::read_to_string(project_root().join(&path)) else {
            continue;
        };
        let marked = text.lines().any(|l| l.trim_start().starts_with(&marker));
        if marked || (text.contains(&progenitor) && text.contains("pub mod types")) {
            failures.push(format!(
                "{path}: generated code is committed (np6-client/build.rs writes it into OUT_DIR at build time): `git rm --cached {path}`"
            ));
        }
    }
    report(&failures);
}

#[test]
fn nothing_in_the_client_sources_names_an_operation() {
    let names = operation_names();
    assert!(
        names.len() >= 2,
        "openapi/np6.yaml lists no operations: {names:?}"
    );
    let mut failures = Vec::new();
    for (path, text) in tracked_rust_files() {
        if !path.starts_with("np6-client/src/") {
            continue;
        }
        // Code only: a doc example calling a generated method is usage,
        // not per-operation code.
        for (number, line) in code_only(&text).lines().enumerate() {
            for name in &names {
                if contains_word(line, name)
                    && !MAY_NAME_AN_OPERATION.contains(&(path.as_str(), name.as_str()))
                {
                    failures.push(format!(
                        "{path}:{}: names the operation `{name}`: go through the operation table (`spec::OPERATIONS`) or the generic `Client::call_operation`; no per-operation Rust (ARCHITECTURE.md)",
                        number + 1
                    ));
                }
            }
        }
    }
    report(&failures);
}

#[test]
fn only_np6_spec_reads_the_spec() {
    let mut failures = Vec::new();
    for (path, text) in tracked_rust_files() {
        let code = code_only(&text);
        let uses = |word: &str| code.lines().any(|line| contains_word(line, word));
        // The typed OpenAPI document: the model, and the build script that
        // hands progenitor its adapted copy.
        let typed_document =
            path.starts_with("np6-client/np6-spec/") || path.starts_with("np6-client/build");
        if uses("openapiv3") && !typed_document {
            failures.push(format!(
                "{path}: uses openapiv3: read the spec through np6_spec::Spec, the one model (ARCHITECTURE.md)"
            ));
        }
        // YAML: the spec (the model) and fixtures (their format), and
        // tests that edit documents.
        let yaml = path.starts_with("np6-client/np6-spec/")
            || path == "np6-client/src/fixture.rs"
            || path.starts_with("np6-client/src/fixture/")
            || path.contains("/tests/");
        if uses("serde_saphyr") && !yaml {
            failures.push(format!(
                "{path}: parses YAML: read the spec through np6_spec::Spec, fixtures through np6_client::fixture"
            ));
        }
    }
    report(&failures);
}

#[test]
fn only_secret_rs_exposes_the_key() {
    let mut failures = Vec::new();
    for (path, text) in tracked_rust_files() {
        let code = code_only(&text);
        if path != "np6-client/src/secret.rs"
            && code
                .lines()
                .any(|line| line.contains("expose_secret") || line.contains("ExposeSecret"))
        {
            failures.push(format!(
                "{path}: exposes the API key: only np6-client/src/secret.rs may, so that every exit is masked in one place"
            ));
        }
    }
    report(&failures);
}

/// Files besides `xtask/loopback` that may open a listening socket, with
/// the reason (ARCHITECTURE.md, "one loopback test server crate").
const MAY_LISTEN: &[(&str, &str)] = &[
    (
        "np6-client/src/mock/standalone.rs",
        "the product's sandbox server",
    ),
    (
        "np6-client/cli/src/sandbox.rs",
        "`np6 sandbox`, the product",
    ),
    (
        "np6-client/src/mock/standalone_tests.rs",
        "the product's sandbox server, under test",
    ),
    (
        "tests/integration/fixture_files.rs",
        "the product's sandbox server, under test",
    ),
    (
        "tests/integration/proxy.rs",
        "a proxy that counts connections and serves nothing",
    ),
    (
        "np6-client/src/bulk/tests.rs",
        "paused time needs the server on the test's own runtime, and the \
         packaged crate's tests cannot use an unpublished crate",
    ),
];

#[test]
fn tests_and_benchmarks_serve_through_np6_loopback() {
    let mut failures = Vec::new();
    let mut listening = BTreeSet::new();
    for (path, text) in tracked_rust_files() {
        let listens = code_only(&text).contains("TcpListener");
        if listens {
            listening.insert(path.clone());
        }
        let allowed =
            path.starts_with("xtask/loopback/") || MAY_LISTEN.iter().any(|(file, _)| *file == path);
        if listens && !allowed {
            failures.push(format!(
                "{path}: opens a listening socket: serve a test or benchmark through np6-loopback \
                 (`Server`, `fault`, or `raw` for bytes HTTP would not send), or add the file \
                 to MAY_LISTEN in xtask/src/tidy/mod.rs with the reason"
            ));
        }
    }
    for (file, _) in MAY_LISTEN {
        if !listening.contains(*file) {
            failures.push(format!(
                "{file}: in MAY_LISTEN but opens no listening socket (or is gone): remove it from the list"
            ));
        }
    }
    report(&failures);
}

#[test]
fn no_module_imports_another_in_a_circle() {
    let files = tracked_files();
    let mut failures = Vec::new();
    for root in files.iter().filter(|f| is_crate_root(f)) {
        let modules = crate_modules(root, &files);
        let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for (module, paths) in &modules {
            for path in paths {
                let Ok(text) = std::fs::read_to_string(project_root().join(path)) else {
                    continue;
                };
                let at = module_path(root, module, path);
                for (line, target) in references(&text, &at) {
                    if target != *module && modules.contains_key(&target) {
                        graph
                            .entry(module.clone())
                            .or_default()
                            .entry(target)
                            .or_insert_with(|| format!("{path}:{line}"));
                    }
                }
            }
        }
        for (group, cycle) in cycles(&graph) {
            let edges: Vec<String> = group
                .iter()
                .flat_map(|from| graph[from].iter().map(move |(to, at)| (from, to, at)))
                .filter(|(_, to, _)| group.contains(*to))
                .map(|(from, to, at)| format!("  {from} -> {to} ({at})"))
                .collect();
            failures.push(format!(
                "{root}: modules {} import each other in a circle (e.g. {}):\n{}\n  fix: move what they share into a leaf module that imports none of them",
                group.iter().cloned().collect::<Vec<_>>().join(", "),
                cycle.join(" -> "),
                edges.join("\n")
            ));
        }
    }
    report(&failures);
}

/// Panics with every failure, one per paragraph.
fn report(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "\n{}\n({} problem(s))\n",
        failures.join("\n"),
        failures.len()
    );
}

fn project_root() -> PathBuf {
    np6_checks::project_root()
}

/// Every file git tracks, relative to the workspace root.
fn tracked_files() -> Vec<String> {
    let output = std::process::Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(project_root())
        .output()
        .unwrap_or_else(|e| panic!("tidy lists the tracked files with git: cannot run git: {e}"));
    assert!(
        output.status.success(),
        "git ls-files failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .split('\0')
        .filter(|p| !p.is_empty() && !p.starts_with("target/"))
        .map(str::to_owned)
        .collect()
}

/// The tracked `.rs` files and their text.
fn tracked_rust_files() -> Vec<(String, String)> {
    tracked_files()
        .into_iter()
        .filter(|p| p.ends_with(".rs"))
        .filter_map(|p| {
            let text = std::fs::read_to_string(project_root().join(&p)).ok()?;
            Some((p, text))
        })
        .collect()
}

/// Every `operationId` of the spec and its client method name, from the
/// one model of the spec.
fn operation_names() -> BTreeSet<String> {
    let spec = project_root().join("openapi/np6.yaml");
    let text = std::fs::read_to_string(&spec)
        .unwrap_or_else(|e| panic!("{}: cannot read: {e}", spec.display()));
    let model = np6_spec::Spec::from_yaml(&text)
        .unwrap_or_else(|issues| panic!("{}: not a valid spec: {issues:?}", spec.display()));
    model
        .operations
        .iter()
        .flat_map(|op| [op.id.clone(), op.id.to_snake_case()])
        .collect()
}

/// Whether `word` appears in `line` as a whole identifier.
fn contains_word(line: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    line.match_indices(word).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

#[test]
fn the_names_checks_see_what_they_look_for() {
    assert!(contains_word("x.get_mail_redlist(1)", "get_mail_redlist"));
    assert!(!contains_word("x.get_mail_redlists(1)", "get_mail_redlist"));
    assert!(operation_names().contains("getMailRedlist"));
    assert_eq!(
        source::code_only("a // b\n\"c\" '{' r#\"d\"# e"),
        "a \n     e"
    );
}
