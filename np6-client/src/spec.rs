//! What the spec says, as data: the embedded spec text and one entry per
//! operation. Generated from `openapi/np6.yaml` with the client; used by the
//! runtime, the maintainers' `xtask` and mock servers.

use crate::types;

include!(concat!(env!("OUT_DIR"), "/operations.rs"));

/// The OpenAPI description the client was generated from.
///
/// ```
/// assert!(np6_client::spec::SPEC_YAML.contains("openapi: 3.0.3"));
/// ```
pub const SPEC_YAML: &str = include_str!(concat!(env!("OUT_DIR"), "/np6.yaml"));

/// One operation of the spec.
///
/// ```
/// let op = np6_client::spec::operation("putTargetBounce").expect("in the spec");
/// assert_eq!((op.method, op.path), ("PUT", "/targets/{id}/bounces/{fieldId}"));
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
}

impl Operation {
    /// Whether repeating the request cannot change the result (RFC 9110
    /// 9.2.2): such operations are retried by default.
    pub fn is_idempotent(&self) -> bool {
        matches!(
            self.method,
            "GET" | "HEAD" | "PUT" | "DELETE" | "OPTIONS" | "TRACE"
        )
    }
}

/// The operation with this `operationId`.
pub fn operation(id: &str) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|op| op.id == id)
}

/// The operation whose client method has this name (progenitor's
/// `OperationInfo::operation_id`).
pub(crate) fn by_method_name(name: &str) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|op| op.method_name == name)
}
