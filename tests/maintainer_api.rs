//! The maintainers' API is out of the default public surface: each
//! `compile_fail` guard of `np6-client/src/lib.rs` is compiled against
//! np6-client built without the `fixtures` feature, and must fail with the
//! error its fence names.
//!
//! The guards are also doctests of np6-client, but a workspace `cargo test`
//! unifies `fixtures` on (the workspace's tools use it), which compiles
//! them out. So this test builds np6-client once more, in the same target
//! folder (its dependencies are reused; only np6-client is compiled), with
//! `codegen` and `mock` and without `fixtures`, then hands each guard to
//! rustc with that library, as a doctest would be.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// A `compile_fail` block of lib.rs: its code and the error it must fail with.
struct Guard {
    code: String,
    error: String,
}

/// Every ```` ```compile_fail,E0000 ```` block of the docs of `source`.
fn guards(source: &str) -> Vec<Guard> {
    let mut found = Vec::new();
    let mut open: Option<Guard> = None;
    for line in source.lines() {
        let Some(doc) = line.trim_start().strip_prefix("///") else {
            continue;
        };
        let doc = doc.strip_prefix(' ').unwrap_or(doc);
        match (&mut open, doc.strip_prefix("```compile_fail,")) {
            (None, Some(error)) => {
                open = Some(Guard {
                    code: String::new(),
                    error: error.trim().to_owned(),
                });
            }
            (Some(_), _) if doc.trim() == "```" => found.extend(open.take()),
            (Some(guard), _) => {
                guard.code.push_str(doc);
                guard.code.push('\n');
            }
            (None, None) => {}
        }
    }
    found
}

/// The metadata of np6-client without `fixtures`, built by the same cargo
/// in the same target folder.
fn library_without_fixtures() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(["build", "--quiet", "-p", "np6-client", "--lib"])
        .args(["--features", "codegen,mock", "--message-format", "json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "np6-client does not build without fixtures:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The `.rmeta` is always in `deps/` (the `.rlib` may be reported where
    // cargo copies it), beside the libraries it was built with.
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|message| {
            message["reason"] == "compiler-artifact" && message["target"]["name"] == "np6_client"
        })
        .flat_map(|message| message["filenames"].as_array().cloned().unwrap_or_default())
        .filter_map(|file| file.as_str().map(PathBuf::from))
        .find(|file| file.extension().is_some_and(|e| e == "rmeta"))
        .expect("cargo reports np6-client's metadata")
}

/// Whether `guard` compiles against `library`, and rustc's diagnostics.
fn compile(guard: &Guard, library: &Path, dir: &Path) -> (bool, String) {
    let file = dir.join("guard.rs");
    let code = format!("#![allow(unused)]\npub fn guard() {{\n{}}}\n", guard.code);
    std::fs::write(&file, code).expect("writable");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let mut command = Command::new(rustc);
    command
        .args([
            "--edition",
            "2024",
            "--crate-type",
            "lib",
            "--crate-name",
            "guard",
        ])
        .args(["--emit", "metadata", "--error-format", "short", "--out-dir"])
        .arg(dir)
        .arg("-L")
        .arg(format!(
            "dependency={}",
            library.parent().expect("deps/").display()
        ))
        .arg("--extern")
        .arg(format!("np6_client={}", library.display()));
    let output = command.arg(&file).output().expect("rustc runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_maintainers_api_needs_the_fixtures_feature() {
    let lib = Path::new(env!("CARGO_MANIFEST_DIR")).join("../np6-client/src/lib.rs");
    let source = std::fs::read_to_string(&lib).expect("lib.rs is readable");
    let guards = guards(&source);
    assert!(
        guards.len() >= 3,
        "the guards of lib.rs are found: {}",
        guards.len()
    );
    let library = library_without_fixtures();
    let dir = tempfile::tempdir().expect("a temporary folder");
    for guard in &guards {
        let (compiled, diagnostics) = compile(guard, &library, dir.path());
        assert!(!compiled, "compiles without fixtures:\n{}", guard.code);
        assert!(
            diagnostics.contains(&format!("error[{}]", guard.error)),
            "fails, but not with {}:\n{}\n{diagnostics}",
            guard.error,
            guard.code
        );
    }
}
