//! The module graph of a crate, from its sources: which top-level module
//! refers to which (`crate::`, `super::`), and the circles in it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::project_root;
use super::source::code_only;

pub fn is_crate_root(path: &str) -> bool {
    ["lib.rs", "main.rs", "build.rs"]
        .iter()
        .any(|name| Path::new(path).file_name().is_some_and(|f| f == *name))
}

/// The top-level modules a crate root declares, each with its files: a
/// `mod name;` is `name.rs` (or `#[path]`'s file) and every file below
/// `name/`.
pub fn crate_modules(root: &str, files: &[String]) -> BTreeMap<String, Vec<String>> {
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
pub fn module_path(root: &str, module: &str, path: &str) -> Vec<String> {
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
pub fn references(text: &str, at: &[String]) -> Vec<(usize, String)> {
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
pub fn first_segments(rest: &str) -> Vec<String> {
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
pub fn cycles(
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
fn references_and_cycles_are_found() {
    // The scanners on small inputs, so the check cannot pass by seeing nothing.
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
}
