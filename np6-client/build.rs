//! Makes the generated half of np6-client, in `OUT_DIR/generated/`.
//!
//! The spec (`openapi/np6.yaml`) is the single source of truth. There are
//! two ways to the same files, and ARCHITECTURE.md says why:
//!
//! - **`codegen` feature** (on in the np6-rs workspace): `build/codegen.rs`
//!   reads the spec through the one model of it (the `np6-spec` crate),
//!   adapts a copy to what progenitor can express, runs progenitor and
//!   writes the files below. A spec edit and a rebuild grow the client.
//! - **Published package** (no `codegen`): `cargo xtask package` put those
//!   same files, generated from the packaged spec, in `generated/`. They
//!   are copied as they are, after `build/fingerprint.rs` checks that they
//!   were made from the packaged spec by the packaged generator and are
//!   whole, so a consumer compiles neither progenitor nor its dependencies.
//!   In a checkout (`../openapi/np6.yaml` is there), `codegen` is required.
//!
//! The files, none of which is ever committed or edited:
//!
//! - `progenitor.rs`: progenitor's client, types and builders;
//! - `open_enums.rs`: the spec's `x-extensible-enum` schemas as Rust enums
//!   that keep unknown values;
//! - `operations.rs`: the operation table and `Client::call_operation`;
//! - `descriptions.rs`: the public descriptions of the operations
//!   (`np6_client::operations()`) and the spec's version;
//! - `requests.rs`: one public method per operation on `np6_client::Client`
//!   and its request builder, with the argument checks the spec asks for;
//! - `constructors.rs`: `new` and `with_*` for every generated struct;
//! - `np6.yaml`: a copy of the spec, embedded as `np6_client::spec::SPEC_YAML`;
//! - `httpmock.rs` (progenitor's typed httpmock helpers, private) and
//!   `mock_ext.rs` (their sealed public trait), for the `mock` feature;
//! - `FINGERPRINT`: what they were made from, and each file's hash.
//!
//! With the `serve` feature (which `mock` turns on),
//! `OUT_DIR/bundled_fixtures.rs` holds the fixture corpus as constants,
//! either way.

#[path = "build/bundle.rs"]
mod bundle;
#[cfg(feature = "codegen")]
#[path = "build/codegen.rs"]
mod codegen;
#[cfg(feature = "codegen")]
#[path = "build/constructors.rs"]
mod constructors;
#[cfg(feature = "codegen")]
#[path = "build/descriptions.rs"]
mod descriptions;
#[path = "src/files.rs"]
mod files;
#[path = "build/fingerprint.rs"]
mod fingerprint;
#[cfg(feature = "codegen")]
#[path = "build/mock_ext.rs"]
mod mock_ext;
#[cfg(feature = "codegen")]
#[path = "build/normalize.rs"]
mod normalize;
#[cfg(feature = "codegen")]
#[path = "build/open_enum.rs"]
mod open_enum;
#[cfg(feature = "codegen")]
#[path = "build/operations.rs"]
mod operations;
#[cfg(feature = "codegen")]
#[path = "build/requests.rs"]
mod requests;
#[cfg(feature = "codegen")]
#[path = "build/signature.rs"]
mod signature;
#[cfg(feature = "codegen")]
#[path = "build/windowed.rs"]
mod windowed;

use std::error::Error;
use std::path::{Path, PathBuf};

type BuildResult<T> = Result<T, Box<dyn Error>>;

fn main() {
    if let Err(error) = run() {
        // A build script reports through stderr and its exit code; a panic
        // would bury the message under a backtrace.
        eprintln!("error: np6-client: {error}");
        std::process::exit(1);
    }
}

fn run() -> BuildResult<()> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let generated = out_dir.join("generated");
    let mock = std::env::var_os("CARGO_FEATURE_MOCK").is_some();
    println!("cargo:rerun-if-changed=build");
    println!("cargo:rerun-if-env-changed=NP6_CLIENT_SPEC");
    let other_spec = std::env::var_os("NP6_CLIENT_SPEC")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from);
    replace_dir(&generated)?;

    #[cfg(feature = "codegen")]
    {
        let spec_path = match other_spec {
            Some(path) => path,
            None => spec_path(&manifest_dir)?,
        };
        println!("cargo:rerun-if-changed={}", spec_path.display());
        codegen::run(&spec_path, &generated, mock)
            .map_err(|e| format!("code generation failed: {e}"))?;
        fingerprint::write(&manifest_dir, &generated)?;
    }
    #[cfg(not(feature = "codegen"))]
    {
        if other_spec.is_some() {
            return Err(
                "NP6_CLIENT_SPEC needs the `codegen` feature, which generates \
                        the client from a spec at build time"
                    .into(),
            );
        }
        if manifest_dir.join("../openapi/np6.yaml").is_file() {
            // In a checkout, `generated/` is only what the last packaging
            // left: the client is generated from the spec, never taken
            // from there.
            return Err(
                "in a checkout of np6-rs, build np6-client with the `codegen` \
                        feature, which generates it from openapi/np6.yaml (the \
                        workspace's crates turn it on; alone: `cargo build -p \
                        np6-client --features codegen`)"
                    .into(),
            );
        }
        let prebuilt = manifest_dir.join("generated");
        println!("cargo:rerun-if-changed={}", prebuilt.display());
        println!("cargo:rerun-if-changed=np6.yaml");
        fingerprint::copy_prebuilt(&manifest_dir, &prebuilt, &generated, mock)?;
    }

    if std::env::var_os("CARGO_FEATURE_SERVE").is_some() {
        bundle::fixtures(&manifest_dir, &out_dir)?;
    }
    Ok(())
}

/// The spec of the workspace, or the copy packaged with the crate.
///
/// `NP6_CLIENT_SPEC` names another spec instead: the maintainers' growth
/// check (`cargo xtask growth`) builds the client from grown copies of the
/// spec this way.
#[cfg(feature = "codegen")]
fn spec_path(manifest_dir: &Path) -> BuildResult<PathBuf> {
    let candidates = [
        manifest_dir.join("../openapi/np6.yaml"),
        manifest_dir.join("np6.yaml"),
    ];
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| format!("no spec found at {candidates:?}").into())
}

/// Empties `dir` (a folder of `OUT_DIR`, left from the last run), so that
/// what it holds afterwards is exactly what this run writes.
fn replace_dir(dir: &Path) -> BuildResult<()> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot empty {}: {e}", dir.display()).into()),
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()).into())
}
