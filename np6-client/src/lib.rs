//! A typed client for the [NP6](https://www.np6.com) marketing platform API
//! (Chapsvision), generated at build time from the OpenAPI description in
//! `openapi/np6.yaml`.
//!
//! Every operation of the spec is a method of [`Client`]; its data types are
//! in [`types`]. A thin hand-written layer adds what every call needs: the
//! API key (kept secret), timeouts and an overall deadline, retries with
//! backoff that honour `Retry-After`, typed [`Error`]s that keep NP6's status,
//! `x-request-id` and body, and [`tracing`] spans.
//!
//! ```no_run
//! use chrono::{Duration, Utc};
//! use np6_client::Client;
//!
//! # async fn run() -> Result<(), np6_client::Error> {
//! let client = Client::builder().api_key("my-np6-key").build()?;
//! let since = Utc::now() - Duration::days(7);
//! for entry in client.get_mail_redlist().start_date(since).send().await? {
//!     println!("{} redlisted ({})", entry.id, entry.origin);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Dates are [`chrono::DateTime<Utc>`](chrono::DateTime) values; query dates
//! are sent at whole seconds (`2019-08-24T14:15:22Z`), as NP6 documents them.
#![deny(missing_docs)]
#![warn(rust_2018_idioms, unreachable_pub)]

mod builder;
mod bulk;
mod client;
mod error;
mod exchange;
mod execute;
mod files;
pub mod fixture;
mod generated_support;
mod hook;
#[cfg(feature = "mock")]
pub mod mock;
mod outcome;
mod record;
mod retry;
mod secret;
mod settings;
pub mod spec;

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
    include!(concat!(env!("OUT_DIR"), "/progenitor.rs"));
}

/// The data types of the NP6 API, generated from the spec's schemas.
///
/// Every struct and enum is `#[non_exhaustive]`, so that the spec can grow
/// (a new optional property, a new enum value) without breaking your code.
/// Build a struct with `new`, which takes its required fields, then set
/// optional ones with `with_<field>` (or assign its public fields). Every
/// type derives `serde` and `schemars::JsonSchema`. Enums marked extensible
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
        include!(concat!(env!("OUT_DIR"), "/constructors.rs"));
    }
    pub use crate::generated::types::*;
    pub use crate::open_enums::*;
}

/// The spec's `x-extensible-enum` schemas as enums with an `Other` variant
/// (`build/open_enum.rs`), used by `generated` in place of typify's closed
/// enums: generated, never edited.
#[allow(missing_docs)]
mod open_enums {
    include!(concat!(env!("OUT_DIR"), "/open_enums.rs"));
}

/// One request builder per operation, made by the [`Client`] method of
/// the same name: optional parameters are set on it, then `send()` sends it.
pub mod requests {
    use crate::types;
    include!(concat!(env!("OUT_DIR"), "/requests.rs"));
}

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

pub use builder::{ClientBuilder, DEFAULT_USER_AGENT, PRODUCTION_URL};
pub use bulk::{BounceRecord, Bulk, BulkOptions, BulkOutcome, BulkSummary};
pub use client::Client;
pub use error::{Error, ErrorKind};
pub use retry::RetryPolicy;
pub use secret::ApiKey;
