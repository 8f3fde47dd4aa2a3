//! `cargo xtask validate`: the spec, then every fixture against it.

use crate::flags::Validate;

/// Prints the report; exit code 0 when everything is valid, 1 otherwise.
pub fn run(args: Validate) -> Result<u8, String> {
    let files = crate::inputs::fixture_files(args.fixtures)?;
    let report = match crate::inputs::model(args.spec)? {
        Ok(model) => np6_checks::validate::run(&model, &files),
        Err(report) => report,
    };
    crate::inputs::print_report(&report, args.format, "validate")
}
