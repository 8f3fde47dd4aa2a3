//! The operations of the spec described as data, for programs that drive
//! every operation the same way (a command line, a generic test tool):
//! each one's `operationId`, method, path, parameters and body, generated
//! from the spec with the client. Call one with
//! [`Client::call_operation`](crate::Client::call_operation); code that
//! knows the operation calls its typed method instead.
//!
//! Covered by semver like the rest of the API: a new operation or
//! parameter is a new entry, and the structs are `#[non_exhaustive]`.
//!
//! ```
//! let op = np6_client::operation::find("putTargetBounce").expect("in the spec");
//! assert_eq!((op.method, op.path), ("PUT", "/targets/{id}/bounces/{fieldId}"));
//! let field = op.parameter("fieldId").expect("a parameter");
//! assert_eq!(field.value_from_text("788"), Ok(serde_json::json!(788)));
//! assert!(field.value_from_text("seven").is_err());
//! ```

use serde_json::Value;

include!(concat!(env!("OUT_DIR"), "/generated/descriptions.rs"));

/// Every operation of the spec, in the spec's order.
pub fn operations() -> &'static [Operation] {
    OPERATIONS
}

/// The operation with this `operationId`.
pub fn find(id: &str) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|op| op.id == id)
}

/// One operation of the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Operation {
    /// The `operationId`, e.g. `getMailRedlist`; the [`Client`](crate::Client)
    /// method is its snake case (`get_mail_redlist`).
    pub id: &'static str,
    /// The HTTP method, upper case.
    pub method: &'static str,
    /// The path template, e.g. `/targets/{id}/bounces/{fieldId}`.
    pub path: &'static str,
    /// The spec's `summary` of it.
    pub summary: Option<&'static str>,
    /// Its parameters: those of the path first, in path order, then the
    /// others as the spec lists them.
    pub parameters: &'static [Parameter],
    /// Its JSON request body, passed to `call_operation` as the argument
    /// `body`; `None` when it takes none.
    pub body: Option<RequestBody>,
}

impl Operation {
    /// The parameter with this name (the spec's, e.g. `startDate`).
    pub fn parameter(&self, name: &str) -> Option<&'static Parameter> {
        self.parameters.iter().find(|p| p.name == name)
    }
}

/// A parameter of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Parameter {
    /// Its name in the spec, e.g. `startDate`: the key of its argument to
    /// `call_operation`.
    pub name: &'static str,
    /// Where the request carries it.
    pub location: Location,
    /// The JSON type of its schema: `string`, `integer`, `number` or
    /// `boolean`.
    pub json_type: &'static str,
    /// The `format` of its schema, e.g. `date-time` or `int32`.
    pub format: Option<&'static str>,
    /// Whether a call must give it (path parameters always are).
    pub required: bool,
}

impl Parameter {
    /// A text value (from a command line, say) as the JSON value its type
    /// says: [`value_from_text`] with the parameter's [`json_type`](Self::json_type).
    ///
    /// # Errors
    ///
    /// When the text is not of the parameter's JSON type, with a message
    /// that quotes it.
    pub fn value_from_text(&self, text: &str) -> Result<Value, String> {
        value_from_text(self.json_type, text)
    }
}

/// A text value (from a command line, a path or a query string) as the
/// JSON value of the JSON type `json_type`: `788` is a number for
/// `integer` and a string for `string`. Formats (a date-time's syntax, an
/// integer's range) are checked when the operation is called.
///
/// ```
/// use np6_client::operation::value_from_text;
/// use serde_json::json;
///
/// assert_eq!(value_from_text("integer", "788"), Ok(json!(788)));
/// assert_eq!(value_from_text("string", "788"), Ok(json!("788")));
/// assert!(value_from_text("boolean", "yes").is_err());
/// ```
///
/// # Errors
///
/// When the text is not of that type, with a message that quotes it.
pub fn value_from_text(json_type: &str, text: &str) -> Result<Value, String> {
    match json_type {
        "integer" => text
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("{text:?} is not an integer")),
        "number" => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| format!("{text:?} is not a number")),
        "boolean" => text
            .parse::<bool>()
            .map(Value::Bool)
            .map_err(|_| format!("{text:?} is not true or false")),
        _ => Ok(Value::String(text.to_owned())),
    }
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Location {
    /// A segment of the path template.
    Path,
    /// The query string.
    Query,
    /// A request header.
    Header,
    /// A cookie.
    Cookie,
}

impl Location {
    /// Its name in the spec: `path`, `query`, `header` or `cookie`.
    pub fn as_str(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::Query => "query",
            Location::Header => "header",
            Location::Cookie => "cookie",
        }
    }
}

/// The request body of an operation (JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestBody {
    /// Whether a call must send one.
    pub required: bool,
}
