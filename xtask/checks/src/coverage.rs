//! `cargo xtask coverage`: which operation and documented status has a
//! valid fixture, and which has none.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::model::Model;

/// Each (operation, status) of the spec, with the fixtures that cover it.
pub fn table(model: &Model, files: &[PathBuf]) -> Vec<(String, u16, Vec<String>)> {
    let mut covered: BTreeMap<(String, u16), Vec<String>> = BTreeMap::new();
    for file in files {
        if let Ok(fixture) = crate::validate::load(file)
            && let (Some(op), issues) = crate::validate::check(model, &fixture)
            && issues.is_empty()
        {
            covered
                .entry((op.id.clone(), fixture.response.status))
                .or_default()
                .push(crate::display_path(file));
        }
    }
    let mut rows = Vec::new();
    for op in &model.operations {
        for status in op.responses.keys() {
            let files = covered
                .remove(&(op.id.clone(), *status))
                .unwrap_or_default();
            rows.push((op.id.clone(), *status, files));
        }
    }
    rows
}

/// The table as text, and whether every cell is covered.
pub fn text(rows: &[(String, u16, Vec<String>)]) -> (String, bool) {
    let mut out = String::new();
    let missing = rows.iter().filter(|(_, _, files)| files.is_empty()).count();
    for (op, status, files) in rows {
        let cell = if files.is_empty() {
            "MISSING".to_owned()
        } else {
            format!("{} fixture(s)", files.len())
        };
        out.push_str(&format!("{op:<20} {status}  {cell}\n"));
    }
    out.push_str(&format!(
        "coverage: {} of {} operation x status covered, {missing} missing\n",
        rows.len() - missing,
        rows.len()
    ));
    (out, missing == 0)
}
