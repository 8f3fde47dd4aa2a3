//! Facts about HTTP methods. Also compiled into `build.rs` (with `#[path]`),
//! which documents each generated method's retry behaviour.

/// Methods that may be repeated without changing the result (RFC 9110 9.2.2).
pub(crate) fn is_idempotent(method: &str) -> bool {
    matches!(
        method,
        "GET" | "HEAD" | "PUT" | "DELETE" | "OPTIONS" | "TRACE"
    )
}
