//! `cargo xtask import-har`: the NP6 exchanges of a HAR file as redacted
//! fixtures (the work is `np6_checks::har`).

use std::time::{Duration, Instant};

use crate::flags::ImportHar;
use crate::output::line;

/// Imports, then lists what was written and skipped.
pub fn run(args: ImportHar) -> Result<u8, String> {
    let model = crate::inputs::model(None)?.map_err(|r| r.text("spec"))?;
    let out = args
        .out
        .unwrap_or_else(|| np6_checks::default_fixtures().join("recorded"));
    let options = np6_checks::har::Options {
        any_host: args.any_host,
    };
    let started = Instant::now();
    let mut last = started;
    let mut progress = |done: usize, total: usize| {
        // On stderr, at most once a second, so stdout stays the list.
        if last.elapsed() >= Duration::from_secs(1) || done == total {
            last = Instant::now();
            let rate = done as f64 / started.elapsed().as_secs_f64().max(1e-3);
            eprintln!("import-har: {done} of {total} entries ({rate:.0} entries/s)");
        }
    };
    let imported = np6_checks::har::import_with(&model, &args.file, &out, options, &mut progress)?;
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
