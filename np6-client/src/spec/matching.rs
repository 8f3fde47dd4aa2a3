//! Which operation of the spec a request is for, from its method and raw
//! path: for the sandbox (feature `mock`) and the np6-rs tools.

/// Why a request matches no operation of the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MatchError {
    /// No path template of the spec has this shape.
    UnknownPath(String),
    /// The path exists, but not with this method.
    MethodNotAllowed {
        /// The method asked for.
        method: String,
        /// The methods the path has.
        allowed: Vec<String>,
    },
    /// A path segment does not percent-decode to UTF-8 text.
    BadEncoding(String),
}

impl std::fmt::Display for MatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UnknownPath(path) => write!(f, "no operation of the spec has the path {path}"),
            Self::MethodNotAllowed { method, allowed } => {
                write!(
                    f,
                    "the path has no {method} operation (only {})",
                    allowed.join(", ")
                )
            }
            Self::BadEncoding(segment) => {
                write!(f, "path segment {segment:?} does not decode to UTF-8")
            }
        }
    }
}

impl std::error::Error for MatchError {}

/// Path parameters by name, percent-decoded, in path order.
pub type PathParams = Vec<(String, String)>;

/// Matches a raw (percent-encoded) path against one path template.
///
/// ```
/// # #[cfg(feature = "fixtures")] {
/// use np6_client::spec::match_path;
///
/// let params = match_path("/targets/{id}/bounces/{fieldId}", "/targets/a%2Fb/bounces/7")?;
/// assert_eq!(params, Some(vec![("id".into(), "a/b".into()), ("fieldId".into(), "7".into())]));
/// assert_eq!(match_path("/targets/redlist/mail", "/targets/redlist/sms")?, None);
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`MatchError::BadEncoding`] when a parameter does not decode to UTF-8.
pub fn match_path(template: &str, raw_path: &str) -> Result<Option<PathParams>, MatchError> {
    let (mut template, mut segments) = (template.split('/'), raw_path.split('/'));
    let mut params = Vec::new();
    loop {
        match (template.next(), segments.next()) {
            (None, None) => return Ok(Some(params)),
            (Some(pattern), Some(segment)) => {
                if let Some(name) = pattern.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    let decoded = percent_encoding::percent_decode_str(segment)
                        .decode_utf8()
                        .map_err(|_| MatchError::BadEncoding(segment.to_owned()))?;
                    params.push((name.to_owned(), decoded.into_owned()));
                } else if pattern != segment {
                    return Ok(None);
                }
            }
            _ => return Ok(None),
        }
    }
}

/// The operation a request is for, and its path parameters percent-decoded.
///
/// ```
/// use np6_client::spec::match_request;
///
/// let (op, params) = match_request("PUT", "/targets/a%2Fb%20c/bounces/788")?;
/// assert_eq!(op.id, "putTargetBounce");
/// assert_eq!(params, [("id".into(), "a/b c".into()), ("fieldId".into(), "788".into())]);
/// # Ok::<(), np6_client::spec::MatchError>(())
/// ```
///
/// # Errors
///
/// [`MatchError`] when no operation has this method and path.
#[cfg(feature = "fixtures")]
pub fn match_request(
    method: &str,
    raw_path: &str,
) -> Result<(&'static super::Operation, PathParams), MatchError> {
    find_operation(
        super::OPERATIONS.iter().map(|op| (op.method, op.path, op)),
        method,
        raw_path,
    )
}

/// The first of `operations` (method, path template, value) that a request
/// matches: [`match_request`] over any list of operations, such as those of
/// another spec.
///
/// # Errors
///
/// [`MatchError`] when none has this method and path.
pub fn find_operation<'a, T>(
    operations: impl IntoIterator<Item = (&'a str, &'a str, T)>,
    method: &str,
    raw_path: &str,
) -> Result<(T, PathParams), MatchError> {
    let mut allowed = Vec::new();
    for (op_method, template, value) in operations {
        let Some(params) = match_path(template, raw_path)? else {
            continue;
        };
        if op_method.eq_ignore_ascii_case(method) {
            return Ok((value, params));
        }
        allowed.push(op_method.to_owned());
    }
    if allowed.is_empty() {
        Err(MatchError::UnknownPath(raw_path.to_owned()))
    } else {
        Err(MatchError::MethodNotAllowed {
            method: method.to_owned(),
            allowed,
        })
    }
}
