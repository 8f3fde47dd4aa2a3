//! What the generated code was made from, and the published package's use
//! of the code generated when it was packaged.
//!
//! The fingerprint is FNV-1a (64 bits) over the spec and the generator's own
//! sources (`build.rs`, `build/*.rs`), each with its name and length. It
//! guards against a mistake, not an attacker: a `generated/` folder left
//! from an older spec or generator fails the package's build instead of
//! being published.

use std::path::{Path, PathBuf};

use crate::BuildResult;
use crate::files;

const FINGERPRINT: &str = "FINGERPRINT";

/// Records in `dir` the fingerprint of the spec copy it holds and of the
/// generator under `manifest_dir`.
#[cfg(feature = "codegen")]
pub(crate) fn write(manifest_dir: &Path, dir: &Path) -> BuildResult<()> {
    let value = of(&dir.join("np6.yaml"), manifest_dir)?;
    let path = dir.join(FINGERPRINT);
    std::fs::write(&path, format!("{value}\n"))
        .map_err(|e| format!("cannot write {}: {e}", path.display()).into())
}

/// Copies the files of `prebuilt` (the package's `generated/`) into `dir`,
/// once their fingerprint matches the package's spec and generator.
#[cfg(not(feature = "codegen"))]
pub(crate) fn copy_prebuilt(
    manifest_dir: &Path,
    prebuilt: &Path,
    dir: &Path,
    mock: bool,
) -> BuildResult<()> {
    if !prebuilt.is_dir() {
        return Err(format!(
            "no generated code at {} and the `codegen` feature is off. The published \
             package ships that folder (`cargo xtask package` makes it); from a checkout \
             of np6-rs, depend on np6-client with `features = [\"codegen\"]`, which \
             generates the client from the spec at build time",
            prebuilt.display()
        )
        .into());
    }
    let recorded = read_text(&prebuilt.join(FINGERPRINT))?;
    let expected = of(&manifest_dir.join("np6.yaml"), manifest_dir)?;
    if recorded.trim() != expected {
        return Err(format!(
            "{} was not generated from this package's np6.yaml and build/ (fingerprint \
             {} there, {expected} here): run `cargo xtask package` again",
            prebuilt.display(),
            recorded.trim()
        )
        .into());
    }
    if mock && !prebuilt.join("httpmock.rs").is_file() {
        return Err(format!(
            "{} has no mock helpers (httpmock.rs): `cargo xtask package` generates them",
            prebuilt.display()
        )
        .into());
    }
    let entries = std::fs::read_dir(prebuilt)
        .map_err(|e| format!("cannot list {}: {e}", prebuilt.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", prebuilt.display()))?;
        let bytes = files::read_capped(&entry.path(), files::MAX_FILE_BYTES)
            .map_err(|e| format!("{}: {e}", entry.path().display()))?;
        let target = dir.join(entry.file_name());
        std::fs::write(&target, bytes)
            .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
    }
    Ok(())
}

/// The fingerprint of `spec` and of the generator under `manifest_dir`.
fn of(spec: &Path, manifest_dir: &Path) -> BuildResult<String> {
    let mut inputs: Vec<(String, PathBuf)> = vec![
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
        if name.ends_with(".rs") {
            sources.push((format!("build/{name}"), entry.path()));
        }
    }
    sources.sort();
    inputs.extend(sources);

    let mut hash = Fnv1a::default();
    for (name, path) in &inputs {
        let bytes = files::read_capped(path, files::MAX_FILE_BYTES)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        hash.update(name.as_bytes());
        hash.update(&(bytes.len() as u64).to_le_bytes());
        hash.update(&bytes);
    }
    Ok(format!("fnv1a64:{:016x}", hash.0))
}

#[cfg(not(feature = "codegen"))]
fn read_text(path: &Path) -> BuildResult<String> {
    let bytes = files::read_capped(path, 1024).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(String::from_utf8(bytes).map_err(|e| format!("{}: {e}", path.display()))?)
}

/// 64-bit FNV-1a: a few lines instead of a hashing crate for a build script.
struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv1a {
    fn update(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}
