//! A typed async client for the [NP6](https://www.np6.com) marketing
//! platform API (Chapsvision), generated from the OpenAPI description of
//! the API that ships with the crate (`np6.yaml`): the published package
//! holds the code generated from it; from a checkout, the `codegen` feature
//! generates it at build time.
//!
//! Every operation of the spec is a method of [`Client`], named after its
//! `operationId` (`getMailRedlist` is [`Client::get_mail_redlist`]); its
//! data types are in [`types`]. A thin hand-written layer adds what every
//! call needs: the API key (kept secret), timeouts and an overall deadline,
//! retries with backoff that honour `Retry-After`, typed [`Error`]s that
//! keep NP6's status, `x-request-id` and body, and [`tracing`] spans.
//!
//! # Install
//!
//! From a checkout of the np6-rs workspace (the crate is not on crates.io
//! yet), in your `Cargo.toml`, with the `codegen` feature, which generates
//! the client from the checkout's spec at build time (the published package
//! ships that code instead):
//!
//! ```toml
//! [dependencies]
//! np6-client = { path = "../np6-rs/np6-client", features = ["codegen"] }
//! tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
//! ```
//!
//! Once it is published: `cargo add np6-client`.
//!
//! # A first call
//!
//! Build one [`Client`] with [`Client::builder`] and share it (it is
//! cheap to clone). Required parameters and the request body are a
//! method's arguments; optional parameters are set on the request it
//! returns (see [`requests`]), and `send().await` sends it. Data types are
//! built with `new(required fields)` and `with_<field>(..)`, so the spec
//! can grow without breaking your code.
//!
//! ```no_run
//! use chrono::{Duration, Utc};
//! use np6_client::types::{BounceData, BounceType};
//! use np6_client::{ApiKey, Client};
//!
//! # async fn run() -> Result<(), np6_client::Error> {
//! let key = ApiKey::from_env().expect("set NP6_API_KEY");
//! let client = Client::builder().api_key(key).build()?;
//!
//! let since = Utc::now() - Duration::days(7);
//! for entry in client.get_mail_redlist().start_date(since).send().await? {
//!     println!("{} redlisted ({})", entry.id, entry.origin);
//! }
//!
//! let bounce = BounceData::new(BounceType::HardUser);
//! client.put_target_bounce("0003YB53", 788, &bounce).send().await?;
//! # Ok(())
//! # }
//! ```
//!
//! Dates are [`chrono::DateTime<Utc>`](chrono::DateTime) values; query dates
//! are sent at whole seconds (`2019-08-24T14:15:22Z`), as NP6 documents them.
//! Plain `http://` is refused unless the host is loopback or
//! [`ClientBuilder::allow_plaintext`] is set.
//!
//! # Errors
//!
//! Every call returns one [`Error`] type. [`Error::kind`] says what went
//! wrong ([`ErrorKind`]: configuration, an argument the spec refuses, an
//! HTTP status, a body that does not match the spec, a connection failure,
//! a timeout...); [`Error::status`], [`Error::request_id`] (give it to NP6
//! support), [`Error::body_text`] and [`Error::attempts`] say the rest.
//! Neither `Display` nor `Debug` of an error, the key, the builder or the
//! client ever shows the key.
//!
//! ```no_run
//! # async fn run(client: np6_client::Client) {
//! use np6_client::ErrorKind;
//!
//! match client.get_sms_redlist().send().await {
//!     Ok(entries) => println!("{} entries", entries.len()),
//!     Err(e) if e.status() == Some(401) => eprintln!("wrong key"),
//!     Err(e) if e.kind() == ErrorKind::Timeout => eprintln!("NP6 is slow: {e}"),
//!     Err(e) => eprintln!("{e} (request id {:?})", e.request_id()),
//! }
//! # }
//! ```
//!
//! # Timeouts and retries
//!
//! By default a connection may take 10 s, each attempt 30 s (body
//! included) and the whole call 120 s ([`ClientBuilder::connect_timeout`],
//! [`timeout`](ClientBuilder::timeout), [`deadline`](ClientBuilder::deadline)).
//! Idempotent calls are retried up to 4 attempts on connection errors,
//! timeouts, 408, 429, 500, 502, 503 and 504, with jittered exponential
//! backoff, honouring `Retry-After`; [`RetryPolicy`] changes all of it.
//!
//! # Bulk jobs
//!
//! [`Client::put_bounces`] sends a stream of bounces with bounded
//! concurrency and a fixed or adaptive pace ([`BulkOptions`]), and yields
//! every record's final outcome as it completes: a transient failure is
//! tried again under the pace, never yielded. [`Bulk::state`] says what the
//! job waits for while NP6 fails, and [`Bulk::stop`] ends it gracefully;
//! [`Client::bulk`] does the same for any operation. Memory holds the open
//! records only.
//!
//! # Testing your code
//!
//! The `mock` feature (for your dev-dependencies) adds the testing kit, in
//! the `mock` module: typed [httpmock](https://docs.rs/httpmock) helpers,
//! one per operation, and `Sandbox`, a mock NP6 on loopback that answers
//! from the fixtures bundled with the crate (or a folder of your own) and
//! hands back a configured client:
//!
//! ```
//! # #[cfg(feature = "mock")]
//! # async fn run() -> Result<(), np6_client::Error> {
//! let sandbox = np6_client::mock::Sandbox::start().await?;
//! let entries = sandbox.client().get_sms_redlist().send().await?;
//! println!("{} SMS redlist entries from {}", entries.len(), sandbox.base_url());
//! # Ok(())
//! # }
//! ```
//!
//! The `serve` feature alone (which `mock` turns on) has the part of the
//! kit that needs no httpmock: `mock::serve` answers from the same
//! fixtures on a port of your choosing, a mock NP6 for other tools (the
//! `np6 sandbox` command is made of it).
//!
//! # Any operation by its id
//!
//! [`operations()`] describes every operation of the spec (method, path,
//! parameters, body: see [`operation`]) and [`Client::call_operation`]
//! calls one by its `operationId` with JSON arguments and a JSON result,
//! for programs that drive every operation the same way (the `np6` command
//! line's `np6 call`). [`SPEC_VERSION`] is the spec's version.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! | --- | --- | --- |
//! | `rustls` | yes | HTTPS through rustls (no system OpenSSL) |
//! | `native-tls` | no | HTTPS through the platform's TLS library |
//! | `mock` | no | the testing kit: typed httpmock helpers and the fixture sandbox |
//! | `schemars` | no | `schemars::JsonSchema` (schemars 0.8) on every type of [`types`] |
//! | `fixtures` | no | the maintainers' API, for the np6-rs tools (`cargo xtask`, the workspace tests): not covered by semver |
//! | `codegen` | no | generates the client from the spec at build time (needed from a checkout; the published package ships the generated code) |
//!
//! With neither TLS feature (`default-features = false`) no TLS stack is
//! compiled: bring a `reqwest::Client` that speaks HTTPS with
//! [`ClientBuilder::http_client`].
//!
//! `fixtures` exists for the workspace's own tools (`cargo xtask`, the
//! integration tests): the fixture format (`fixture`), the operation table
//! and request matching (`spec`) and `mock::respond`. It may change in any
//! release; code that uses the client needs none of it, nor do programs that
//! drive any operation by its `operationId` (see "Any operation by its id").
//!
//! # Public dependencies
//!
//! These types of other crates are part of the API, on purpose; a new
//! major version of one of them, where it shows, is a new major version of
//! np6-client:
//!
//! - [`reqwest::Client`], in [`ClientBuilder::http_client`]: to share a
//!   connection pool, proxy and TLS setup with the rest of your program.
//! - [`chrono::DateTime<Utc>`](chrono::DateTime), for the spec's dates (in
//!   [`types`] and the date parameters of [`requests`]).
//! - serde's `Serialize` and `Deserialize` on every type of [`types`], and
//!   [`serde_json::Value`] where the spec allows any JSON (a free-form
//!   object) and in [`ApiKey::redact_json`].
//! - With `schemars`: `schemars::JsonSchema` (schemars 0.8, the version
//!   progenitor speaks), derived on every type of [`types`]. It is a feature
//!   so that moving to schemars 1 touches only the code that opts in.
//! - [`futures_core::Stream`](futures_util::Stream): [`Bulk`] is one, and
//!   [`Client::bulk`] and [`Client::put_bounces`] take one.
//! - With `mock`: httpmock's `MockServer`, `When`, `Then` and `Mock` (the kit
//!   is typed httpmock helpers), and tokio's `TcpListener` in `mock::serve`.
//!
//! Nothing else is: progenitor's runtime, `http`, `bytes`, `tracing` and
//! `secrecy` types stay inside (an [`Error`]'s `source()` is a
//! `dyn std::error::Error`, whose concrete type is not part of the API).
//!
//! # Minimum Rust version
//!
//! 1.89, the highest `rust-version` among the crates it builds on. Raising
//! it is a minor release, and is said in the changelog.
//!
//! # Links
//!
//! - `README.md` and `CHANGELOG.md`, in the package: longer examples (bulk
//!   jobs, typed mocks) and what changed between versions.
//! - The examples: `cargo run --features mock --example quickstart`
//!   (offline against the sandbox unless `NP6_API_KEY` is set).
//! - NP6, the platform: <https://www.np6.com>. The client talks to
//!   [`PRODUCTION_URL`] unless [`ClientBuilder::base_url`] says otherwise.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]
#![warn(rust_2018_idioms, unreachable_pub)]

mod adapted;
mod attempt;
mod builder;
mod bulk;
mod client;
mod error;
mod execute;
// Also compiled into build.rs (`#[path]`), so features cannot trim it:
// without a reader of fixture files (`fixtures`, `serve`), only its size
// limit is used.
#[cfg_attr(not(any(feature = "fixtures", feature = "serve")), allow(dead_code))]
mod files;
#[cfg(feature = "fixtures")]
pub mod fixture;
// Compiled always (record mode writes fixtures; the sandbox reads them),
// public only with `fixtures`: without it, its `pub` items are the crate's own.
#[cfg(not(feature = "fixtures"))]
#[allow(unreachable_pub)]
mod fixture;
mod generated_support;
mod hook;
mod items;
#[cfg(feature = "serve")]
pub mod mock;
pub mod operation;
mod outcome;
mod record;
mod retry;
mod secret;
mod settings;
#[cfg(feature = "fixtures")]
pub mod spec;
pub mod windows;
// Compiled always (every call reads its operation's entry), public only
// with `fixtures`: without it, its `pub` items are the crate's own.
#[cfg(not(feature = "fixtures"))]
#[allow(unreachable_pub)]
mod spec;

/// progenitor's output for `openapi/np6.yaml`: generated, never edited.
#[allow(
    missing_docs,
    unreachable_pub,
    private_interfaces,
    clippy::all,
    clippy::pedantic,
    unused
)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/generated/progenitor.rs"));
}

/// The data types of the NP6 API, generated from the spec's schemas.
///
/// Every struct and enum is `#[non_exhaustive]`, so that the spec can grow
/// (a new optional property, a new enum value) without breaking your code.
/// Build a struct with `new`, which takes its required fields, then set
/// optional ones with `with_<field>` (or assign its public fields). Every
/// type derives `serde`, and with the `schemars` feature
/// `schemars::JsonSchema` (schemars 0.8: a public dependency, see the crate
/// docs). Enums marked extensible
/// in the spec (such as [`BounceType`](types::BounceType)) keep values this
/// client does not know yet in an `Other` variant instead of failing.
///
/// ```
/// use np6_client::types::{BounceData, BounceDetail, BounceType};
///
/// let bounce = BounceData::new(BounceType::HardUser)
///     .with_detail(BounceDetail::new().with_message("550 5.1.1 unknown user"));
/// assert_eq!(bounce.field_id, None); // filled in from the path when sent
/// ```
pub mod types {
    mod constructors {
        use super::*;
        include!(concat!(env!("OUT_DIR"), "/generated/constructors.rs"));
    }
    pub use crate::generated::types::*;
    pub use crate::open_enums::*;
}

/// The spec's `x-extensible-enum` schemas as enums with an `Other` variant
/// (`build/open_enum.rs`), used by `generated` in place of typify's closed
/// enums: generated, never edited.
#[allow(missing_docs)]
mod open_enums {
    include!(concat!(env!("OUT_DIR"), "/generated/open_enums.rs"));
}

/// One request builder per operation, made by the [`Client`] method of
/// the same name: optional parameters are set on it, then `send()` sends it.
pub mod requests {
    use crate::types;
    include!(concat!(env!("OUT_DIR"), "/generated/requests.rs"));
}

/// The crate README's examples, compiled and run as doctests (some need
/// the testing kit).
#[cfg(all(doctest, feature = "mock"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// The maintainers' API is out of the default public surface: without the
/// `fixtures` feature, none of these compile. Checked as doctests where
/// `fixtures` is off (the packaged crate's tests), and in the workspace by
/// `tests/maintainer_api.rs`, which compiles each block of this file
/// against np6-client built without `fixtures`.
///
/// ```compile_fail,E0603
/// use np6_client::fixture::Fixture;
/// ```
///
/// ```compile_fail,E0603
/// let _ = np6_client::spec::find_operation::<()>([], "GET", "/");
/// ```
#[cfg(all(doctest, not(feature = "fixtures")))]
pub struct MaintainerApiNeedsFixtures;

/// The testing kit does not make the maintainers' API public: with `mock`
/// and without `fixtures`, this does not compile.
///
/// ```compile_fail,E0425
/// let _ = np6_client::mock::respond;
/// ```
#[cfg(all(doctest, feature = "mock", not(feature = "fixtures")))]
pub struct MockKeepsTheMaintainerApiPrivate;

pub use builder::{ClientBuilder, DEFAULT_USER_AGENT, PRODUCTION_URL};
pub use bulk::{BounceRecord, Bulk, BulkOptions, BulkOutcome, BulkState, BulkSummary, Failing};
pub use client::Client;
pub use error::{Error, ErrorKind};
pub use items::Items;
pub use operation::{SPEC_VERSION, operations};
pub use retry::RetryPolicy;
pub use secret::{ApiKey, Redactor, printable};
