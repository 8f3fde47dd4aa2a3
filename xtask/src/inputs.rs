//! What the commands read, with the workspace defaults: the spec (loaded
//! into the checking model) and the fixture files.

use std::path::PathBuf;

use np6_checks::model::Model;
use np6_checks::report::Report;

/// The model of `spec` (default: the workspace spec); an invalid spec is
/// a report to print.
///
/// # Errors
///
/// When there is no spec file.
pub fn model(spec: Option<PathBuf>) -> Result<Result<Model, Report>, String> {
    let spec = spec.unwrap_or_else(np6_checks::default_spec);
    if !spec.is_file() {
        return Err(format!("no spec at {}", spec.display()));
    }
    Ok(Model::load(&spec).map_err(|issues| Report::new(issues, Vec::new())))
}

/// The fixture files below `dirs` (default: the workspace fixtures).
///
/// # Errors
///
/// When a folder does not exist or cannot be read.
pub fn fixture_files(dirs: Vec<PathBuf>) -> Result<Vec<PathBuf>, String> {
    let dirs = if dirs.is_empty() {
        vec![np6_checks::default_fixtures()]
    } else {
        dirs
    };
    if let Some(missing) = dirs.iter().find(|d| !d.exists()) {
        return Err(format!("no fixtures at {}", missing.display()));
    }
    np6_checks::fixture_files(&dirs).map_err(|e| e.to_string())
}

/// Prints `report` as `format` asks; returns its exit code.
///
/// # Errors
///
/// When stdout fails.
pub fn print_report(
    report: &Report,
    format: crate::flags::Format,
    verb: &str,
) -> Result<u8, String> {
    match format {
        crate::flags::Format::Text => crate::output::print(&report.text(verb))?,
        crate::flags::Format::Json => crate::output::line(&report.json())?,
    }
    Ok(u8::try_from(report.exit_code()).unwrap_or(2))
}
