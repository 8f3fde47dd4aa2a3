//! What the spec says, as data: one entry per operation, generated from
//! `openapi/np6.yaml` with the client, which the runtime reads on every
//! call; with the `fixtures` feature, also the embedded spec text and the
//! matching of a request to an operation, for the np6-rs tools (the `np6`
//! command line, `cargo xtask`, mock servers). Not covered by semver.

include!(concat!(env!("OUT_DIR"), "/generated/operations.rs"));

#[cfg(any(feature = "fixtures", feature = "serve"))]
pub(crate) mod matching;

#[cfg(feature = "fixtures")]
pub use matching::{MatchError, PathParams, find_operation, match_path, match_request};

/// The OpenAPI description the client was generated from.
///
/// ```
/// assert!(np6_client::spec::SPEC_YAML.contains("openapi: 3.0.3"));
/// ```
#[cfg(feature = "fixtures")]
pub const SPEC_YAML: &str = include_str!(concat!(env!("OUT_DIR"), "/generated/np6.yaml"));

/// One operation of the spec.
///
/// ```
/// # #[cfg(feature = "fixtures")] {
/// let op = np6_client::spec::operation("putTargetBounce").expect("in the spec");
/// assert_eq!((op.method, op.path), ("PUT", "/targets/{id}/bounces/{fieldId}"));
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Operation {
    /// The spec's `operationId`, e.g. `getMailRedlist`.
    pub id: &'static str,
    /// The name of the client method, e.g. `get_mail_redlist`.
    pub method_name: &'static str,
    /// The HTTP method, upper case.
    pub method: &'static str,
    /// The path template, e.g. `/targets/{id}/bounces/{fieldId}`.
    pub path: &'static str,
    /// Every status the spec documents for the operation.
    pub statuses: &'static [u16],
    /// Body-less success statuses, and the JSON value the client reads them as.
    pub empty_success: &'static [(u16, &'static str)],
    /// The model's answer, baked in at build time (`np6_spec::Method`).
    pub(crate) idempotent: bool,
}

impl Operation {
    /// Whether repeating the request cannot change the result (RFC 9110
    /// 9.2.2): such operations are retried by default.
    pub fn is_idempotent(&self) -> bool {
        self.idempotent
    }
}

/// The operation with this `operationId`.
#[cfg(feature = "fixtures")]
pub fn operation(id: &str) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|op| op.id == id)
}
