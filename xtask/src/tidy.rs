//! The code invariants of ARCHITECTURE.md as tests (rust-analyzer's
//! `tidy.rs` habit): plain `cargo test` checks them, each failure names
//! the file, what is wrong and how to fix it.
//!
//! The files checked are the `.rs` files git tracks (so nothing under
//! `target/` or generated into `OUT_DIR`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use heck::ToSnakeCase as _;

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

/// Every `operationId` of the spec and its client method name.
fn operation_names() -> BTreeSet<String> {
    let spec = project_root().join("openapi/np6.yaml");
    let text = std::fs::read_to_string(&spec)
        .unwrap_or_else(|e| panic!("{}: cannot read: {e}", spec.display()));
    let value: serde_json::Value = serde_saphyr::from_str(&text)
        .unwrap_or_else(|e| panic!("{}: not YAML: {e}", spec.display()));
    let mut names = BTreeSet::new();
    for item in value["paths"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.values())
    {
        for operation in item.as_object().into_iter().flat_map(|o| o.values()) {
            if let Some(id) = operation["operationId"].as_str() {
                names.insert(id.to_owned());
                names.insert(id.to_snake_case());
            }
        }
    }
    names
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

/// The text with comments and string literals blanked (newlines kept, so
/// line numbers stay true).
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < chars.len() {
        let rest = &chars[i..];
        if rest.starts_with(&['/', '/']) {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if rest.starts_with(&['/', '*']) {
            let mut depth = 0usize;
            while i < chars.len() {
                if chars[i..].starts_with(&['/', '*']) {
                    depth += 1;
                    i += 2;
                } else if chars[i..].starts_with(&['*', '/']) {
                    depth = depth.saturating_sub(1);
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if (rest.starts_with(&['r', '#']) || rest.starts_with(&['r', '"']))
            && (i == 0 || !chars[i - 1].is_alphanumeric() || chars[i - 1] == 'b')
        {
            // A raw string: r"..." or r#"..."#.
            let hashes = rest[1..].iter().take_while(|c| **c == '#').count();
            if rest.get(1 + hashes) != Some(&'"') {
                out.push(chars[i]);
                i += 1;
                continue;
            }
            i += 2 + hashes;
            let end: Vec<char> = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            while i < chars.len() && !chars[i..].starts_with(&end) {
                out.push(blank(chars[i]));
                i += 1;
            }
            i += end.len();
        } else if chars[i] == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                if let Some(&c) = chars.get(i) {
                    out.push(blank(c));
                }
                i += 1;
            }
            i += 1;
        } else if chars[i] == '\'' && rest.get(2) == Some(&'\'') {
            // A character literal such as '{' (lifetimes have no closing quote).
            i += 3;
        } else if chars[i] == '\'' && rest.get(1) == Some(&'\\') {
            // An escaped character literal: '\n', '\'', '\u{1F600}'.
            i += 3;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i += 1;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn is_crate_root(path: &str) -> bool {
    ["lib.rs", "main.rs", "build.rs"]
        .iter()
        .any(|name| Path::new(path).file_name().is_some_and(|f| f == *name))
}

/// The top-level modules a crate root declares, each with its files: a
/// `mod name;` is `name.rs` (or `#[path]`'s file) and every file below
/// `name/`.
fn crate_modules(root: &str, files: &[String]) -> BTreeMap<String, Vec<String>> {
    let dir = Path::new(root).parent().unwrap_or(Path::new(""));
    let text = std::fs::read_to_string(project_root().join(root)).unwrap_or_default();
    let mut modules = BTreeMap::new();
    let mut path_attribute = None;
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("#[path = \"") {
            path_attribute = rest.split('"').next().map(str::to_owned);
            continue;
        }
        let declaration = line
            .trim_start_matches("pub ")
            .trim_start_matches("pub(crate) ");
        let Some(name) = declaration
            .strip_prefix("mod ")
            .and_then(|rest| rest.strip_suffix(';'))
        else {
            if !line.starts_with("#[") {
                path_attribute = None;
            }
            continue;
        };
        let own = match path_attribute.take() {
            Some(path) => dir.join(path),
            None => dir.join(format!("{name}.rs")),
        };
        let below = dir.join(name);
        let mut paths: Vec<String> = files
            .iter()
            .filter(|f| {
                let f = Path::new(f.as_str());
                f == own || f.starts_with(&below) || f == below.join("mod.rs")
            })
            .cloned()
            .collect();
        paths.sort();
        modules.insert(name.to_owned(), paths);
    }
    modules
}

/// The module path of a file of top-level module `module`:
/// `mock/sandbox.rs` is `["mock", "sandbox"]`.
fn module_path(root: &str, module: &str, path: &str) -> Vec<String> {
    let dir = Path::new(root).parent().unwrap_or(Path::new(""));
    let below = Path::new(path)
        .strip_prefix(dir.join(module))
        .ok()
        .map(|rest| {
            rest.with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .filter(|c| c != "mod")
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    std::iter::once(module.to_owned()).chain(below).collect()
}

/// The top-level modules a file refers to (`crate::a::...`,
/// `crate::{a, b}`, `super::...` resolved against the file's module and
/// its inline modules), with the line of each reference.
fn references(text: &str, at: &[String]) -> Vec<(usize, String)> {
    let code = code_only(text);
    let mut found = Vec::new();
    // Inline modules (`mod tests { ... }`) open at a brace depth.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut line = 1;
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &code[i..];
        let boundary = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        match bytes[i] {
            b'\n' => line += 1,
            b'{' => depth += 1,
            b'}' => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            _ => {}
        }
        if boundary && let Some(after) = rest.strip_prefix("mod ") {
            let name: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if after[name.len()..].trim_start().starts_with('{') {
                inline.push((name, depth));
            }
        }
        if boundary && rest.starts_with("crate::") {
            for name in first_segments(&rest["crate::".len()..]) {
                found.push((line, name));
            }
        }
        if boundary && rest.starts_with("super::") {
            let mut ups = 0;
            let mut after = rest;
            while let Some(next) = after.strip_prefix("super::") {
                ups += 1;
                after = next;
            }
            let here: Vec<&String> = at.iter().chain(inline.iter().map(|(n, _)| n)).collect();
            if let Some(keep) = here.len().checked_sub(ups) {
                match here.first() {
                    Some(top) if keep > 0 => found.push((line, (*top).clone())),
                    _ => found.extend(first_segments(after).into_iter().map(|n| (line, n))),
                }
            }
            i += "super::".len() * ups;
            continue;
        }
        i += 1;
    }
    found
}

/// The first path segment after `crate::`: `a` of `a::b`, `a` and `b` of
/// `{a::x, b}`; `*` and `self` are not modules.
fn first_segments(rest: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let rest = rest.trim_start();
    let names = if let Some(group) = rest.strip_prefix('{') {
        let mut names = Vec::new();
        let mut depth = 0usize;
        let mut start = true;
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => start = true,
                c if start && !c.is_whitespace() => {
                    names.push(ident(&group[i..]));
                    start = false;
                }
                _ => {}
            }
        }
        names
    } else {
        vec![ident(rest)]
    };
    names
        .into_iter()
        .filter(|n| !n.is_empty() && n != "self")
        .collect()
}

/// Each group of modules that reach one another (a strongly connected
/// group), with one shortest cycle through its first module.
fn cycles(
    graph: &BTreeMap<String, BTreeMap<String, String>>,
) -> Vec<(BTreeSet<String>, Vec<String>)> {
    let reaches = |from: &str, to: &str| -> Option<Vec<String>> {
        // Breadth first: the shortest path, so the report is short.
        let mut previous: BTreeMap<String, String> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([from.to_owned()]);
        while let Some(node) = queue.pop_front() {
            for next in graph.get(&node).into_iter().flat_map(|e| e.keys()) {
                if next == to {
                    let mut path = vec![to.to_owned(), node.clone()];
                    let mut at = node.clone();
                    while let Some(p) = previous.get(&at) {
                        path.push(p.clone());
                        at = p.clone();
                    }
                    path.reverse();
                    return Some(path);
                }
                if !previous.contains_key(next) && next != from {
                    previous.insert(next.clone(), node.clone());
                    queue.push_back(next.clone());
                }
            }
        }
        None
    };
    let mut reported: BTreeSet<String> = BTreeSet::new();
    let mut found = Vec::new();
    for node in graph.keys() {
        if reported.contains(node) {
            continue;
        }
        if let Some(cycle) = reaches(node, node) {
            // Everything that reaches and is reached by this node is in
            // the same group: one report for the group.
            let group: BTreeSet<String> = graph
                .keys()
                .filter(|other| {
                    *other == node
                        || (reaches(node, other).is_some() && reaches(other, node).is_some())
                })
                .cloned()
                .collect();
            reported.extend(group.iter().cloned());
            found.push((group, cycle));
        }
    }
    found
}

#[test]
fn the_checks_see_what_they_look_for() {
    // The scanners on small inputs, so a check cannot pass by seeing nothing.
    let text = "//! m\nuse crate::{a::X, b};\n// crate::c\nlet s = \"crate::d\";\nmod tests {\n    use super::*;\n    fn f() { super::super::e::f(); crate::g::h(); }\n}\n";
    let found: Vec<String> = references(text, &["m".to_owned()])
        .into_iter()
        .map(|(_, n)| n)
        .collect();
    assert_eq!(found, ["a", "b", "m", "e", "g"]);
    let graph = BTreeMap::from([
        (
            "a".to_owned(),
            BTreeMap::from([("b".to_owned(), String::new())]),
        ),
        (
            "b".to_owned(),
            BTreeMap::from([("c".to_owned(), String::new())]),
        ),
        (
            "c".to_owned(),
            BTreeMap::from([("a".to_owned(), String::new())]),
        ),
        (
            "d".to_owned(),
            BTreeMap::from([("a".to_owned(), String::new())]),
        ),
    ]);
    let found = cycles(&graph);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].1, ["a", "b", "c", "a"]);
    assert_eq!(
        found[0].0,
        BTreeSet::from(["a", "b", "c"].map(str::to_owned))
    );
    assert!(contains_word("x.get_mail_redlist(1)", "get_mail_redlist"));
    assert!(!contains_word("x.get_mail_redlists(1)", "get_mail_redlist"));
    assert!(operation_names().contains("getMailRedlist"));
}
