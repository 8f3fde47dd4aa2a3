//! Walking the raw document: local `$ref`s and JSON pointers.

use serde_json::Value;

use crate::Issue;

/// How many `$ref`s in a row are followed before a chain counts as a loop.
const MAX_REF_CHAIN: usize = 16;

/// A key as one token of a JSON pointer (RFC 6901: `~` and `/` escaped).
///
/// ```
/// assert_eq!(np6_spec::pointer_token("/targets/{id}"), "~1targets~1{id}");
/// assert_eq!(np6_spec::pointer_token("a~b"), "a~0b");
/// ```
pub fn pointer_token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Follows local `$ref`s from `node` in `root` (at most 16 in a row, so a
/// loop of references ends); a reference that does not resolve is left as
/// it is ([`Spec::from_value`](crate::Spec::from_value) reports those).
///
/// ```
/// let doc = serde_json::json!({"a": {"$ref": "#/b"}, "b": {"type": "string"}});
/// assert_eq!(np6_spec::resolve(&doc, &doc["a"]), &doc["b"]);
/// ```
pub fn resolve<'a>(root: &'a Value, mut node: &'a Value) -> &'a Value {
    for _ in 0..MAX_REF_CHAIN {
        match target(root, node) {
            Some(next) => node = next,
            None => break,
        }
    }
    node
}

/// What a `$ref` node points to, when it is one and resolves.
fn target<'a>(root: &'a Value, node: &Value) -> Option<&'a Value> {
    let reference = node.get("$ref")?.as_str()?;
    root.pointer(reference.strip_prefix('#')?)
}

/// Every `$ref` must be local, resolve, and not start a loop.
pub(crate) fn check_refs(root: &Value, issues: &mut Vec<Issue>) {
    let mut stack: Vec<(String, &Value)> = vec![(String::new(), root)];
    while let Some((at, node)) = stack.pop() {
        match node {
            Value::Object(map) => {
                if let Some(reference) = map.get("$ref") {
                    let here = format!("{at}/$ref");
                    match target(root, node) {
                        None => issues.push(Issue::new(
                            here,
                            format!("$ref {reference} does not resolve in the document"),
                        )),
                        Some(_) if target(root, resolve(root, node)).is_some() => issues.push(
                            Issue::new(here, format!("$ref {reference} is a loop of references")),
                        ),
                        Some(_) => {}
                    }
                    continue;
                }
                for (key, value) in map.iter().rev() {
                    stack.push((format!("{at}/{}", pointer_token(key)), value));
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate().rev() {
                    stack.push((format!("{at}/{i}"), item));
                }
            }
            _ => {}
        }
    }
}

/// The names a schema's `required` lists (none when it lists none).
///
/// ```
/// let schema = serde_json::json!({"required": ["id", "origin"]});
/// assert_eq!(np6_spec::required_properties(&schema), ["id", "origin"]);
/// ```
pub fn required_properties(schema: &Value) -> Vec<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}
