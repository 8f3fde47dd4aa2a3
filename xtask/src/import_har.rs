//! `cargo xtask import-har`: the NP6 exchanges of a HAR file as redacted
//! fixtures (the work is `np6_checks::har`).

use crate::flags::ImportHar;
use crate::output::line;

/// Imports, then lists what was written and skipped.
pub fn run(args: ImportHar) -> Result<u8, String> {
    let model = crate::inputs::model(None)?.map_err(|r| r.text("spec"))?;
    let out = args
        .out
        .unwrap_or_else(|| np6_checks::default_fixtures().join("recorded"));
    let imported = np6_checks::har::import(&model, &args.file, &out)?;
    for path in &imported.written {
        line(&format!("wrote {}", np6_checks::display_path(path)))?;
    }
    for note in &imported.skipped {
        line(&format!("skipped {note}"))?;
    }
    line(&format!(
        "import-har: {} fixtures written, {} entries skipped; run `cargo xtask validate` next",
        imported.written.len(),
        imported.skipped.len()
    ))?;
    Ok(0)
}
