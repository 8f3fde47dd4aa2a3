//! `cargo xtask coverage`: which operation and documented status has a
//! valid fixture.

use crate::flags::Coverage;

/// Prints the table; exit code 1 when something has no fixture.
pub fn run(args: Coverage) -> Result<u8, String> {
    let files = crate::inputs::fixture_files(args.fixtures)?;
    let model = crate::inputs::model(None)?.map_err(|r| r.text("spec"))?;
    let (text, complete) = np6_checks::coverage::text(&np6_checks::coverage::table(&model, &files));
    crate::output::print(&text)?;
    Ok(if complete { 0 } else { 1 })
}
