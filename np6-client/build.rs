//! Generates the NP6 client from the OpenAPI spec at build time.
//!
//! The spec (`openapi/np6.yaml`) is the single source of truth. This script
//! reads it into the one model of the spec (the `np6-spec` crate), adapts a
//! copy of it to what progenitor can express (see `build/normalize.rs` and
//! ARCHITECTURE.md), runs progenitor, and writes these files into `OUT_DIR`,
//! none of which is ever committed or edited:
//!
//! - `progenitor.rs`: progenitor's client, types and builders;
//! - `open_enums.rs`: the spec's `x-extensible-enum` schemas as Rust enums
//!   that keep unknown values;
//! - `operations.rs`: the operation table and `Client::call_operation`;
//! - `requests.rs`: one public method per operation on `np6_client::Client`
//!   and its request builder, with the argument checks the spec asks for;
//! - `constructors.rs`: `new` and `with_*` for every generated struct;
//! - `np6.yaml`: a copy of the spec, embedded as `np6_client::spec::SPEC_YAML`;
//! - with the `mock` feature, `httpmock.rs` (progenitor's typed httpmock
//!   helpers, private), `mock_ext.rs` (their sealed public trait) and
//!   `bundled_fixtures.rs` (the fixture corpus as constants).

#[path = "build/constructors.rs"]
mod constructors;
#[path = "src/files.rs"]
mod files;
#[path = "build/mock_ext.rs"]
mod mock_ext;
#[path = "build/normalize.rs"]
mod normalize;
#[path = "build/open_enum.rs"]
mod open_enum;
#[path = "build/operations.rs"]
mod operations;
#[path = "build/requests.rs"]
mod requests;
#[path = "build/signature.rs"]
mod signature;

use std::error::Error;
use std::path::{Path, PathBuf};

type BuildResult<T> = Result<T, Box<dyn Error>>;

fn main() {
    if let Err(error) = run() {
        // A build script reports through stderr and its exit code; a panic
        // would bury the message under a backtrace.
        eprintln!("error: np6-client code generation failed: {error}");
        std::process::exit(1);
    }
}

fn run() -> BuildResult<()> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let spec_path = spec_path(&manifest_dir)?;
    println!("cargo:rerun-if-changed={}", spec_path.display());
    println!("cargo:rerun-if-changed=build");

    let text = std::fs::read_to_string(&spec_path)
        .map_err(|e| format!("cannot read {}: {e}", spec_path.display()))?;
    let spec = np6_spec::Spec::from_yaml(&text).map_err(|issues| {
        let lines: Vec<String> = issues.iter().map(|i| format!("  {i}")).collect();
        format!(
            "{} is not a valid spec:\n{}",
            spec_path.display(),
            lines.join("\n")
        )
    })?;

    let adapted = normalize::adapt(&spec, false)?;

    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(progenitor::InterfaceStyle::Positional)
        .with_tag(progenitor::TagStyle::Merged)
        .with_inner_type(quote::quote!(::std::sync::Arc<crate::settings::Settings>))
        .with_derive("schemars::JsonSchema")
        .with_derive("PartialEq");
    let open_enums = open_enum::collect(&adapted.document)?;
    for open in &open_enums {
        settings.with_replacement(
            &open.name,
            format!("crate::open_enums::{}", open.name),
            [progenitor::TypeImpl::Display, progenitor::TypeImpl::FromStr].into_iter(),
        );
    }

    // Twice: the first pass names the types that the second marks
    // `#[non_exhaustive]` (progenitor's `TypePatch`, not an edit of its output).
    let first = generate(&settings, &adapted.document)?;
    let mut patch = progenitor::TypePatch::default();
    patch.with_attr("#[non_exhaustive]");
    for name in constructors::patched_types(&first) {
        settings.with_patch(name, &patch);
    }
    let mut generator = progenitor::Generator::new(&settings);
    let generated: syn::File = syn::parse2(
        generator
            .generate_tokens(&adapted.document)
            .map_err(|e| format!("progenitor rejected the spec: {e}"))?,
    )?;

    let api = operations::generate(&spec, &adapted, &generated)?;

    if std::env::var_os("CARGO_FEATURE_MOCK").is_some() {
        let with_errors = normalize::adapt(&spec, true)?;
        let mocks = generator
            .httpmock(&with_errors.document, "crate")
            .map_err(|e| format!("progenitor cannot generate the httpmock helpers: {e}"))?;
        let helpers: syn::File = syn::parse2(mocks)?;
        write(
            &out_dir.join("mock_ext.rs"),
            &syn::parse2(mock_ext::generate(&helpers)?)?,
        )?;
        write(&out_dir.join("httpmock.rs"), &helpers)?;
        bundle_fixtures(&manifest_dir, &out_dir)?;
    }

    write(&out_dir.join("progenitor.rs"), &generated)?;
    std::fs::copy(&spec_path, out_dir.join("np6.yaml"))?;
    write(
        &out_dir.join("operations.rs"),
        &syn::parse2(api.operations)?,
    )?;
    write(&out_dir.join("requests.rs"), &syn::parse2(api.requests)?)?;
    write(
        &out_dir.join("constructors.rs"),
        &syn::parse2(constructors::generate(&generated))?,
    )?;
    write(
        &out_dir.join("open_enums.rs"),
        &syn::parse2(open_enum::generate(&open_enums))?,
    )?;
    Ok(())
}

/// progenitor's client and types for `document`, parsed.
fn generate(
    settings: &progenitor::GenerationSettings,
    document: &openapiv3::OpenAPI,
) -> BuildResult<syn::File> {
    let tokens = progenitor::Generator::new(settings)
        .generate_tokens(document)
        .map_err(|e| format!("progenitor rejected the spec: {e}"))?;
    Ok(syn::parse2(tokens)?)
}

/// The fixture corpus as string constants, for the sandbox's default.
fn bundle_fixtures(manifest_dir: &Path, out_dir: &Path) -> BuildResult<()> {
    let root = [
        manifest_dir.join("../openapi/fixtures"),
        manifest_dir.join("fixtures"),
    ]
    .into_iter()
    .find(|p| p.is_dir());
    let mut files = Vec::new();
    if let Some(root) = &root {
        println!("cargo:rerun-if-changed={}", root.display());
        files = files::files_below(root)?;
    }
    let mut entries = Vec::new();
    for file in &files {
        let name = file
            .strip_prefix(root.as_deref().unwrap_or(manifest_dir))
            .unwrap_or(file);
        let name = name.to_string_lossy().replace('\\', "/");
        let bytes = files::read_capped(file, files::MAX_FILE_BYTES)
            .map_err(|e| format!("fixture {}: {e}", file.display()))?;
        let text = String::from_utf8(bytes)
            .map_err(|e| format!("fixture {}: not UTF-8 text: {e}", file.display()))?;
        entries.push(quote::quote! { (#name, #text) });
    }
    let tokens = quote::quote! {
        /// The fixture corpus of `openapi/fixtures`, embedded at build time.
        pub(crate) static BUNDLED: &[(&str, &str)] = &[#(#entries),*];
    };
    write(&out_dir.join("bundled_fixtures.rs"), &syn::parse2(tokens)?)
}

/// The spec of the workspace, or the copy packaged with the crate.
///
/// `NP6_CLIENT_SPEC` names another spec instead: the maintainers' growth
/// check (`cargo xtask growth`) builds the client from grown copies of the
/// spec this way.
fn spec_path(manifest_dir: &Path) -> BuildResult<PathBuf> {
    println!("cargo:rerun-if-env-changed=NP6_CLIENT_SPEC");
    if let Some(path) = std::env::var_os("NP6_CLIENT_SPEC").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    let candidates = [
        manifest_dir.join("../openapi/np6.yaml"),
        manifest_dir.join("np6.yaml"),
    ];
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| format!("no spec found at {:?}", candidates).into())
}

fn write(path: &Path, file: &syn::File) -> BuildResult<()> {
    let text = format!(
        "// @generated by np6-client/build.rs from openapi/np6.yaml. Do not edit.\n{}",
        prettyplease::unparse(file)
    );
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()).into())
}
