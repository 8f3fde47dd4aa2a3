//! What the commands read, with the workspace defaults: the spec (loaded
//! into the checking model, or into np6-spec's model for commands that
//! edit copies of it) and the fixture files.

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

/// The workspace spec in the one model of it (`np6_spec`), for commands
/// that edit copies of it (`growth`, the build bench).
///
/// # Errors
///
/// When the spec cannot be read or is not valid.
pub fn workspace_spec() -> Result<np6_spec::Spec, String> {
    let text = std::fs::read_to_string(np6_checks::default_spec())
        .map_err(|e| format!("cannot read the spec: {e}"))?;
    np6_spec::Spec::from_yaml(&text).map_err(|issues| format!("the spec is not valid: {issues:?}"))
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
