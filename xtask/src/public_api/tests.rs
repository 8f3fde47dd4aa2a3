//! The listing of a small crate, documented by the rustdoc of the
//! toolchain that runs the tests (a second or so): what a consumer can
//! name is listed with its signature (the crate's own types by their
//! public path), and nothing private is.

use super::{difference, listing, parse};

const SOURCE: &str = r#"
//! A small crate.
pub mod types {
    /// A struct.
    #[non_exhaustive]
    #[derive(Debug, Clone)]
    pub struct Bounce { pub field_id: Option<i32>, hidden: u8 }
    impl Bounce {
        pub fn new(field_id: i32) -> Self { Self { field_id: Some(field_id), hidden: 0 } }
        pub async fn send(&self, key: &str) -> Result<(), String> { let _ = key; Ok(()) }
        pub fn kind(&self) -> Kind { Kind::Hard }
        fn private(&self) {}
    }
    pub enum Kind { Hard, Other(String), Detailed { code: u16 } }
}
mod private { pub struct Hidden; }
pub use types::Kind as BounceKind;
pub const VERSION: &str = "1";
pub trait Sealed: Clone { fn name(&self) -> &'static str; }
"#;

#[test]
fn a_small_crate_lists_what_a_consumer_can_name() {
    let dir = std::env::temp_dir().join(format!("np6-public-api-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let source = dir.join("small.rs");
    std::fs::write(&source, SOURCE).expect("the source written");
    let status = std::process::Command::new("rustdoc")
        .args([
            "--edition",
            "2024",
            "--crate-type",
            "lib",
            "--crate-name",
            "small",
        ])
        .args(["-Z", "unstable-options", "--output-format", "json", "-o"])
        .arg(&dir)
        .arg(&source)
        .env("RUSTC_BOOTSTRAP", "1")
        .status()
        .expect("rustdoc runs");
    assert!(status.success());
    let text = listing(&dir.join("small.json")).expect("the listing");
    let _ = std::fs::remove_dir_all(&dir);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#') || l.starts_with("#["))
        .collect();
    for expected in [
        "pub mod small",
        "pub mod small::types",
        "#[non_exhaustive] pub struct small::types::Bounce",
        "pub small::types::Bounce::field_id: Option<i32>",
        "pub fn small::types::Bounce::new(field_id: i32) -> Self",
        "pub async fn small::types::Bounce::send(&self, key: &str) -> Result<(), String>",
        "impl Clone for small::types::Bounce",
        "pub enum small::types::Kind",
        "pub small::types::Kind::Other(String)",
        "pub small::types::Kind::Detailed { .. }",
        "pub small::types::Kind::Detailed::code: u16",
        "pub enum small::BounceKind",
        "pub fn small::types::Bounce::kind(&self) -> small::BounceKind",
        "pub const small::VERSION: &str",
        "pub trait small::Sealed: Clone",
        "pub fn small::Sealed::name(&self) -> &'static str",
    ] {
        assert!(lines.contains(&expected), "{expected:?} not in:\n{text}");
    }
    for absent in ["hidden", "private", "Hidden", "From<T>"] {
        assert!(!text.contains(absent), "{absent:?} in:\n{text}");
    }
}

#[test]
fn the_difference_lists_removed_and_added_lines() {
    let old = "pub fn a()\npub fn b()\n";
    let new = "pub fn b()\npub fn c(x: u8)\n";
    assert_eq!(difference(old, new), "- pub fn a()\n+ pub fn c(x: u8)");
    assert_eq!(difference(old, old), "");
}

#[test]
fn another_format_version_is_refused_with_the_way_out() {
    let other = rustdoc_types::FORMAT_VERSION + 1;
    let error = parse(&format!("{{\"format_version\": {other}}}"))
        .err()
        .unwrap_or_default();
    assert!(error.contains("rustdoc-types"), "{error}");
}
