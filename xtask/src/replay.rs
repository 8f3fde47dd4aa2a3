//! `cargo xtask replay`: every valid fixture through the generated client.

use crate::flags::Replay;

/// Prints the report; exit code 0 when every fixture replays, 1 otherwise.
pub fn run(args: Replay) -> Result<u8, String> {
    let files = crate::inputs::fixture_files(args.fixtures)?;
    let report = match crate::inputs::model(None)? {
        Ok(model) => {
            let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
            runtime.block_on(np6_checks::replay::run(&model, &files))
        }
        Err(report) => report,
    };
    crate::inputs::print_report(&report, args.format, "replay")
}
