//! The operations of the spec: method, path, parameters, bodies, statuses,
//! the key header they apply and the `x-np6-*` extensions.

use std::collections::BTreeMap;

use serde_json::Value;

/// An HTTP method an OpenAPI path item can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// `GET`
    Get,
    /// `PUT`
    Put,
    /// `POST`
    Post,
    /// `DELETE`
    Delete,
    /// `PATCH`
    Patch,
    /// `HEAD`
    Head,
    /// `OPTIONS`
    Options,
    /// `TRACE`
    Trace,
}

impl Method {
    /// Every method of an OpenAPI 3.0 path item, in the order operations
    /// are listed.
    pub const ALL: [Method; 8] = [
        Method::Get,
        Method::Put,
        Method::Post,
        Method::Delete,
        Method::Patch,
        Method::Head,
        Method::Options,
        Method::Trace,
    ];

    /// The method as sent, upper case.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Patch => "PATCH",
            Method::Head => "HEAD",
            Method::Options => "OPTIONS",
            Method::Trace => "TRACE",
        }
    }

    /// The method with this name, in any case.
    ///
    /// ```
    /// assert_eq!(np6_spec::Method::parse("put"), Some(np6_spec::Method::Put));
    /// assert_eq!(np6_spec::Method::parse("BREW"), None);
    /// ```
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(name))
    }

    /// Whether repeating the request cannot change the result (RFC 9110
    /// 9.2.2: GET, HEAD, PUT, DELETE, OPTIONS and TRACE).
    pub fn is_idempotent(self) -> bool {
        !matches!(self, Method::Post | Method::Patch)
    }

    /// The key of the operation in its path item (`get`, `put`...).
    pub(crate) fn key(self) -> String {
        self.as_str().to_ascii_lowercase()
    }
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

/// A parameter of an operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// The name in the spec (`startDate`).
    pub name: String,
    /// Where it goes.
    pub location: Location,
    /// Whether a call must give it (path parameters always are).
    pub required: bool,
    /// Its schema as written (possibly a `$ref`).
    pub schema: Value,
    /// The JSON type of its resolved schema (`string` when none is given).
    pub json_type: String,
    /// The `format` of its resolved schema (`date-time`, `int32`...).
    pub format: Option<String>,
    /// Its `description`.
    pub description: Option<String>,
    /// A JSON pointer to the parameter in the document.
    pub at: String,
}

impl Param {
    /// Whether its value is a date-time string.
    pub fn is_date_time(&self) -> bool {
        self.json_type == "string" && self.format.as_deref() == Some("date-time")
    }
}

/// The request body of an operation.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestBody {
    /// Whether a call must send one.
    pub required: bool,
    /// The schema of its `application/json` content, as written; `None`
    /// when the body is not JSON.
    pub json_schema: Option<Value>,
    /// A JSON pointer to the body in the document.
    pub at: String,
}

/// What a documented status carries.
#[derive(Debug, Clone, PartialEq)]
pub enum ResponseBody {
    /// No body.
    Empty,
    /// A JSON body with this schema, as written.
    Json(Value),
    /// A body of another or unspecified content: kept, not checked.
    Opaque,
}

/// A documented answer of an operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// What it carries.
    pub body: ResponseBody,
    /// A JSON pointer to the response in the document.
    pub at: String,
}

/// One operation of the spec.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// The `operationId` (`getMailRedlist`).
    pub id: String,
    /// The HTTP method.
    pub method: Method,
    /// The path template (`/targets/{id}/bounces/{fieldId}`).
    pub path: String,
    /// A JSON pointer to the operation in the document.
    pub at: String,
    /// Its `summary`.
    pub summary: Option<String>,
    /// Its `description`.
    pub description: Option<String>,
    /// Its parameters, those of its path item included: the path ones
    /// first, in path order, then the others in the order written.
    pub params: Vec<Param>,
    /// Its request body.
    pub body: Option<RequestBody>,
    /// Every documented status, successes and errors.
    pub responses: BTreeMap<u16, Response>,
    /// The headers of the `apiKey` schemes its `security` applies.
    pub key_headers: Vec<String>,
    /// `x-np6-ordered-params: [a, b]`: `a` may not be after `b`.
    pub ordered_params: Option<(String, String)>,
    /// `x-np6-body-from-path: {property: param}`: a body property that
    /// repeats a path parameter.
    pub body_from_path: Vec<(String, String)>,
    /// `x-np6-item-time: property`: the operation reads a time window (its
    /// `ordered_params`, two date-time query parameters, both optional)
    /// and answers an array whose items this date-time property places in
    /// time.
    pub item_time: Option<String>,
}

impl Operation {
    /// The parameter with this name.
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }

    /// Every documented status, ascending.
    pub fn statuses(&self) -> Vec<u16> {
        self.responses.keys().copied().collect()
    }
}
