//! What the generated code was made from, and the published package's use
//! of the code generated when it was packaged.
//!
//! `FINGERPRINT` holds, on its first line, `inputs` and the FNV-1a (64
//! bits) of the spec and the generator's own sources (`build.rs`,
//! `build/*.rs`, each with its name and length); then one line per
//! generated file, its FNV-1a and its name. The package's build copies
//! exactly those files, once the inputs match the packaged spec and
//! generator and every file matches its line: a folder made from another
//! spec or generator, edited by hand, or partly written fails the build
//! instead of being compiled. It guards against mistakes, not an attacker,
//! and it does not cover the generator's dependencies (np6-spec,
//! progenitor): `cargo xtask package` regenerates the folder every time.

use std::path::Path;

use crate::BuildResult;
use crate::files;

const FINGERPRINT: &str = "FINGERPRINT";

/// Records in `dir` what it holds and what it was made from: the spec copy
/// there and the generator under `manifest_dir`.
#[cfg(feature = "codegen")]
pub(crate) fn write(manifest_dir: &Path, dir: &Path) -> BuildResult<()> {
    let mut text = format!("inputs {}\n", inputs(&dir.join("np6.yaml"), manifest_dir)?);
    let mut names = Vec::new();
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    for name in names.iter().filter(|name| *name != FINGERPRINT) {
        let bytes = read(&dir.join(name))?;
        text.push_str(&format!("{} {name}\n", fnv1a(&[&bytes])));
    }
    let path = dir.join(FINGERPRINT);
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()).into())
}

/// Copies the files `prebuilt` (the package's `generated/`) lists in its
/// fingerprint into `dir`, once they and the package's spec and generator
/// match it.
#[cfg(not(feature = "codegen"))]
pub(crate) fn copy_prebuilt(
    manifest_dir: &Path,
    prebuilt: &Path,
    dir: &Path,
    mock: bool,
) -> BuildResult<()> {
    let modified = "the package was modified after `cargo xtask package` made it";
    if !prebuilt.is_dir() {
        return Err(format!(
            "no generated code at {}, and the `codegen` feature is off: the package was \
             not made by `cargo xtask package` (or turn `codegen` on to generate the \
             client from its np6.yaml)",
            prebuilt.display()
        )
        .into());
    }
    let bytes = read(&prebuilt.join(FINGERPRINT))?;
    let text = String::from_utf8(bytes).map_err(|e| format!("{FINGERPRINT}: {e}"))?;
    let mut lines = text.lines();
    let recorded = lines
        .next()
        .and_then(|line| line.strip_prefix("inputs "))
        .ok_or_else(|| format!("{}: no inputs line", prebuilt.join(FINGERPRINT).display()))?;
    let expected = inputs(&manifest_dir.join("np6.yaml"), manifest_dir)?;
    if recorded.trim() != expected {
        return Err(format!(
            "{} was not generated from this package's np6.yaml and build/ (inputs {} \
             there, {expected} here): {modified}",
            prebuilt.display(),
            recorded.trim()
        )
        .into());
    }
    let mut names = Vec::new();
    for line in lines {
        let (hash, name) = line
            .split_once(' ')
            .ok_or_else(|| format!("{FINGERPRINT}: a line without a name: {line:?}"))?;
        // A plain file name of the folder, nothing that reaches elsewhere.
        if name.is_empty()
            || name.starts_with('.')
            || Path::new(name).file_name().and_then(|n| n.to_str()) != Some(name)
        {
            return Err(format!("{FINGERPRINT}: not a file name: {name:?}").into());
        }
        let bytes = read(&prebuilt.join(name))?;
        if fnv1a(&[&bytes]) != hash {
            return Err(format!(
                "{} is not the file that was generated (edited, or partly written): {modified}",
                prebuilt.join(name).display()
            )
            .into());
        }
        let target = dir.join(name);
        std::fs::write(&target, bytes)
            .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
        names.push(name);
    }
    let needed: &[&str] = if mock {
        &["httpmock.rs", "mock_ext.rs"]
    } else {
        &[]
    };
    for name in needed {
        if !names.contains(name) {
            return Err(format!(
                "{} has no {name}, which the `mock` feature needs: {modified}",
                prebuilt.display()
            )
            .into());
        }
    }
    Ok(())
}

/// The FNV-1a of `spec` and of the generator under `manifest_dir`.
fn inputs(spec: &Path, manifest_dir: &Path) -> BuildResult<String> {
    let mut inputs = vec![
        ("np6.yaml".to_owned(), spec.to_path_buf()),
        ("build.rs".to_owned(), manifest_dir.join("build.rs")),
    ];
    let build_dir = manifest_dir.join("build");
    let entries = std::fs::read_dir(&build_dir)
        .map_err(|e| format!("cannot list {}: {e}", build_dir.display()))?;
    let mut sources = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", build_dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        // An editor's lock or backup file (`.#codegen.rs`) is no source.
        let regular = entry.file_type().is_ok_and(|t| t.is_file());
        if regular && !name.starts_with('.') && name.ends_with(".rs") {
            sources.push((format!("build/{name}"), entry.path()));
        }
    }
    sources.sort();
    inputs.extend(sources);

    let mut parts: Vec<Vec<u8>> = Vec::new();
    for (name, path) in &inputs {
        let bytes = read(path)?;
        parts.push(name.as_bytes().to_vec());
        parts.push((bytes.len() as u64).to_le_bytes().to_vec());
        parts.push(bytes);
    }
    let slices: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    Ok(fnv1a(&slices))
}

fn read(path: &Path) -> BuildResult<Vec<u8>> {
    Ok(files::read_capped(path, files::MAX_FILE_BYTES)
        .map_err(|e| format!("{}: {e}", path.display()))?)
}

/// 64-bit FNV-1a of the concatenated `parts`, as `fnv1a64:<hex>`: a few
/// lines instead of a hashing crate for a build script.
fn fnv1a(parts: &[&[u8]]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in parts.iter().flat_map(|part| part.iter()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("fnv1a64:{hash:016x}")
}
