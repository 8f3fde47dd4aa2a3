//! `cargo xtask public-api`: writes `np6-client/api.txt`, the listing of
//! np6-client's public API (default features and `mock`, as a consumer
//! sees them), so that a spec change shows its consumer-visible diff in
//! the commit that makes it; `--check` fails when the file is not up to
//! date and says how to refresh it (`.ci/run` runs it).
//!
//! The listing comes from rustdoc JSON ([`render`]), read with
//! `rustdoc-types` at the format version the toolchain writes.

mod render;
mod signature;

use std::path::Path;

use crate::flags::PublicApi;
use crate::output;

/// The listing's file, from the workspace root.
pub const LISTING: &str = "np6-client/api.txt";

/// The features the listing is made with (besides the default ones):
/// `codegen` adds no public item, `mock` is the testing kit.
const FEATURES: &[&str] = &["codegen", "mock"];

/// Writes (or checks) the listing; exit code 1 when `--check` finds it
/// out of date.
///
/// # Errors
///
/// When rustdoc fails or writes a format this command does not read.
pub fn run(args: PublicApi) -> Result<u8, String> {
    let root = np6_checks::project_root();
    output::line("public-api: rustdoc JSON of np6-client...")?;
    let json = crate::growth::rustdoc_json(&root, &root, FEATURES, None)?;
    let listing = listing(&json)?;
    let path = root.join(LISTING);
    if !args.check {
        std::fs::write(&path, &listing).map_err(|e| format!("{}: {e}", path.display()))?;
        output::line(&format!("wrote {LISTING}"))?;
        return Ok(0);
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed == listing {
        output::line(&format!("{LISTING} is np6-client's public API"))?;
        return Ok(0);
    }
    output::line(&format!(
        "{LISTING} is not np6-client's public API: run `cargo xtask public-api` and \
         commit the file with the change that made the difference:\n{}",
        difference(&committed, &listing)
    ))?;
    Ok(1)
}

/// The listing of the crate in rustdoc JSON file `json`, with its header.
pub fn listing(json: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(json).map_err(|e| format!("{}: {e}", json.display()))?;
    let krate = parse(&text)?;
    let mut out = String::from(
        "# np6-client's public API (default features and `mock`), one item a line.\n\
         # Written by `cargo xtask public-api` from rustdoc JSON; not edited by hand.\n",
    );
    for line in render::lines(&krate) {
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

/// Reads rustdoc JSON, refusing a format version other than the one
/// `rustdoc-types` reads.
fn parse(text: &str) -> Result<rustdoc_types::Crate, String> {
    #[derive(serde::Deserialize)]
    struct Version {
        format_version: u32,
    }
    let version: Version = serde_json::from_str(text)
        .map_err(|e| format!("rustdoc JSON without a format version: {e}"))?;
    if version.format_version != rustdoc_types::FORMAT_VERSION {
        return Err(format!(
            "rustdoc wrote JSON format {} and this command reads {}: move xtask's \
             `rustdoc-types` dependency to the version of that format",
            version.format_version,
            rustdoc_types::FORMAT_VERSION
        ));
    }
    serde_json::from_str(text).map_err(|e| format!("rustdoc JSON does not read: {e}"))
}

/// The lines only in `old` (`-`) and only in `new` (`+`); both listings
/// are sorted sets of lines.
fn difference(old: &str, new: &str) -> String {
    let old_lines: std::collections::BTreeSet<&str> = old.lines().collect();
    let new_lines: std::collections::BTreeSet<&str> = new.lines().collect();
    let mut out = Vec::new();
    for line in old_lines.difference(&new_lines) {
        out.push(format!("- {line}"));
    }
    for line in new_lines.difference(&old_lines) {
        out.push(format!("+ {line}"));
    }
    out.join("\n")
}

#[cfg(test)]
mod tests;
