//! The one model of the NP6 OpenAPI spec: every question about
//! `openapi/np6.yaml` (its operations, parameters, bodies, statuses,
//! security header and extensions) has its answer here, once.
//!
//! Used by `np6-client/build.rs` (code generation) and by the maintainers'
//! checks in `xtask/` (fixture validation, replay, coverage, HAR import).
//! The client itself never reads the spec at run time: it carries a static
//! table generated from this model (`np6_client::spec::OPERATIONS`).
//!
//! ```
//! let spec = np6_spec::Spec::from_yaml(r#"
//! openapi: 3.0.3
//! info: {title: t, version: 1.0.0}
//! security: [{key: []}]
//! components:
//!   securitySchemes:
//!     key: {type: apiKey, in: header, name: X-Key}
//! paths:
//!   /things/{id}:
//!     get:
//!       operationId: getThing
//!       parameters:
//!         - {name: id, in: path, required: true, schema: {type: string}}
//!       responses:
//!         '204': {description: none}
//! "#).map_err(|issues| format!("{issues:?}"))?;
//! assert_eq!(spec.api_key_header, "X-Key");
//! let op = spec.operation("getThing").expect("declared");
//! assert_eq!((op.method.as_str(), op.path.as_str()), ("GET", "/things/{id}"));
//! assert!(op.method.is_idempotent());
//! # Ok::<(), String>(())
//! ```

mod collect;
mod document;
mod operation;

use std::fmt;

use serde_json::Value;

pub use document::{pointer_token, required_properties, resolve};
pub use operation::{Location, Method, Operation, Param, RequestBody, Response, ResponseBody};

/// A problem of the spec, at a place in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// A JSON pointer into the document (`/paths/~1targets/get`), or a
    /// word such as `spec` when the problem is the whole document.
    pub location: String,
    /// What is wrong.
    pub message: String,
}

impl Issue {
    /// A problem at `location`.
    pub fn new(location: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            location: location.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// The spec, checked: a typed OpenAPI 3.0 document and its operations.
#[derive(Debug, Clone)]
pub struct Spec {
    raw: Value,
    /// The document as `openapiv3` types (what progenitor takes).
    pub document: openapiv3::OpenAPI,
    /// `info.version`.
    pub version: String,
    /// The header of the one `apiKey` security scheme the operations apply.
    pub api_key_header: String,
    /// Every operation, in document order (paths, then methods in
    /// [`Method::ALL`] order).
    pub operations: Vec<Operation>,
}

impl Spec {
    /// Reads a spec from YAML (or JSON) text.
    ///
    /// # Errors
    ///
    /// Every problem found, each with its location: not YAML, not OpenAPI
    /// 3.0.x, a `$ref` that does not resolve, an operation without an
    /// `operationId` or with one used twice, a malformed extension, not
    /// exactly one `apiKey` header applied.
    pub fn from_yaml(text: &str) -> Result<Self, Vec<Issue>> {
        let raw: Value = serde_saphyr::from_str(text).map_err(|e| {
            let message = e.to_string();
            let first = message.lines().next().unwrap_or_default().to_owned();
            vec![Issue::new("spec", format!("not YAML: {first}"))]
        })?;
        Self::from_value(raw)
    }

    /// Checks a document already parsed.
    ///
    /// # Errors
    ///
    /// As [`Spec::from_yaml`].
    pub fn from_value(raw: Value) -> Result<Self, Vec<Issue>> {
        let mut issues = Vec::new();
        match raw.get("openapi").and_then(Value::as_str) {
            Some(v) if v.starts_with("3.0.") => {}
            other => issues.push(Issue::new(
                "/openapi",
                format!("expected OpenAPI 3.0.x, found {other:?}"),
            )),
        }
        let document = serde_json::from_value::<openapiv3::OpenAPI>(raw.clone())
            .map_err(|e| {
                issues.push(Issue::new(
                    "spec",
                    format!("not an OpenAPI 3.0 document: {e}"),
                ))
            })
            .ok();
        document::check_refs(&raw, &mut issues);
        let Some(document) = document.filter(|_| issues.is_empty()) else {
            return Err(issues);
        };
        let operations = collect::operations(&raw, &mut issues);
        let api_key_header = collect::api_key_header(&operations, &mut issues);
        if !issues.is_empty() {
            return Err(issues);
        }
        Ok(Self {
            version: document.info.version.clone(),
            raw,
            document,
            api_key_header,
            operations,
        })
    }

    /// The document as parsed, for locations and the schemas as written.
    pub fn raw(&self) -> &Value {
        &self.raw
    }

    /// Follows local `$ref`s from `node` within this document.
    pub fn resolve<'a>(&'a self, node: &'a Value) -> &'a Value {
        resolve(&self.raw, node)
    }

    /// The operation with this `operationId`.
    pub fn operation(&self, id: &str) -> Option<&Operation> {
        self.operations.iter().find(|op| op.id == id)
    }

    /// The schemas of `components/schemas`, by name, as written.
    pub fn component_schemas(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.raw
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(name, schema)| (name.as_str(), schema))
    }
}

#[cfg(test)]
mod tests;
