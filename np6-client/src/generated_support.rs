//! What the generated methods call (see `build/requests.rs` and
//! `build/operations.rs`): argument checks made before any request, dates
//! sent at whole seconds, the JSON arguments and results of
//! `Client::call_operation`, and body fields that repeat a path parameter.
//! A refused argument is an `InvalidArgument` error. (The path segment
//! checks are in `adapted.rs`, beside the rewrite of the spec they answer.)

use std::fmt;

use chrono::{DateTime, SubsecRound, Utc};

use crate::error::{self, Error};
use crate::spec::Operation;

/// An argument refused before any request.
fn invalid(op: &Operation, message: fmt::Arguments<'_>) -> Error {
    error::invalid_argument(op.id, message.to_string())
}

/// `x-np6-ordered-params`: the first value may not be after the second.
pub(crate) fn check_ordered<T: PartialOrd + fmt::Display>(
    op: &Operation,
    (first_name, first): (&str, Option<&T>),
    (second_name, second): (&str, Option<&T>),
) -> Result<(), Error> {
    match (first, second) {
        (Some(a), Some(b)) if a > b => Err(invalid(
            op,
            format_args!("{first_name} ({a}) is after {second_name} ({b})"),
        )),
        _ => Ok(()),
    }
}

/// An item's time (`x-np6-item-time`) as `windows::Windowed::item_time`
/// gives it, whether the property is required or not.
pub(crate) trait AsTime {
    fn as_time(&self) -> Option<DateTime<Utc>>;
}

impl AsTime for DateTime<Utc> {
    fn as_time(&self) -> Option<DateTime<Utc>> {
        Some(*self)
    }
}

impl AsTime for Option<DateTime<Utc>> {
    fn as_time(&self) -> Option<DateTime<Utc>> {
        *self
    }
}

/// NP6 documents dates at whole seconds (`2019-08-24T14:15:22Z`).
pub(crate) fn whole_seconds(value: &DateTime<Utc>) -> DateTime<Utc> {
    value.trunc_subsecs(0)
}

/// One argument of `call_operation` (feature `fixtures`), decoded as the parameter's type; a
/// missing one decodes from `null` (so an optional parameter is `None`).
/// serde's message quotes the value, so any echo of `client`'s key in it
/// is masked.
pub(crate) fn arg<T: serde::de::DeserializeOwned>(
    client: &crate::Client,
    op: &Operation,
    args: &serde_json::Map<String, serde_json::Value>,
    name: &str,
) -> Result<T, Error> {
    let value = args.get(name).cloned().unwrap_or(serde_json::Value::Null);
    let missing = value.is_null();
    serde_json::from_value(value).map_err(|e| {
        let message = if missing {
            format!("argument {name} is required")
        } else {
            format!("argument {name} does not decode: {e}")
        };
        error::invalid_argument(op.id, message).masked(key(client))
    })
}

/// `call_operation`'s answer to an `operationId` the spec lacks. The id is
/// the caller's text, quoted, so any echo of `client`'s key in it is masked.
pub(crate) fn unknown_operation(client: &crate::Client, id: &str) -> Error {
    error::unknown_operation(id).masked(key(client))
}

fn key(client: &crate::Client) -> &crate::ApiKey {
    &client.settings.key
}

/// The result of a typed method as JSON, for `call_operation`.
pub(crate) fn to_json<T: serde::Serialize>(
    op: &Operation,
    value: &T,
) -> Result<serde_json::Value, Error> {
    serde_json::to_value(value).map_err(|e| error::result_not_json(op.id, e))
}

/// A body field that repeats a path parameter (`x-np6-body-from-path`):
/// optional or not, as the schema says.
pub(crate) trait Mirror<V> {
    fn current(&self) -> Option<&V>;
    fn fill(&mut self, value: V);
}

impl<V> Mirror<V> for Option<V> {
    fn current(&self) -> Option<&V> {
        self.as_ref()
    }
    fn fill(&mut self, value: V) {
        *self = Some(value);
    }
}

impl<V> Mirror<V> for V {
    fn current(&self) -> Option<&V> {
        Some(self)
    }
    fn fill(&mut self, value: V) {
        *self = value;
    }
}

/// Whether the body field must be filled from the path: yes when it is
/// left out, no when it agrees, an error when it disagrees.
pub(crate) fn mirror_missing<F: Mirror<V>, V: PartialEq + fmt::Display>(
    op: &Operation,
    property: &str,
    param: &str,
    field: &F,
    path_value: &V,
) -> Result<bool, Error> {
    match field.current() {
        None => Ok(true),
        Some(given) if given == path_value => Ok(false),
        Some(given) => Err(invalid(
            op,
            format_args!(
                "body {property} ({given}) disagrees with path parameter {param} ({path_value})"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    const OP: Operation = Operation {
        id: "testOp",
        method_name: "test_op",
        method: "POST",
        path: "/t/{fieldId}",
        statuses: &[204],
        empty_success: &[],
        idempotent: false,
    };

    #[test]
    fn body_fields_mirror_the_path_or_are_refused() {
        let check = |field: Option<i32>| mirror_missing(&OP, "fieldId", "fieldId", &field, &7);
        assert!(check(None).expect("left out"));
        assert!(!check(Some(7)).expect("agrees"));
        let error = check(Some(8)).expect_err("disagrees");
        assert_eq!(error.kind(), ErrorKind::InvalidArgument);
        assert_eq!(
            error.to_string(),
            "testOp: body fieldId (8) disagrees with path parameter fieldId (7)"
        );
        // A required (non-optional) field is never missing.
        assert!(!mirror_missing(&OP, "fieldId", "fieldId", &7, &7).expect("agrees"));
        let mut field: Option<i32> = None;
        Mirror::fill(&mut field, 7);
        assert_eq!(field, Some(7));
    }

    #[test]
    fn ordered_parameters() {
        assert!(check_ordered(&OP, ("a", Some(&1)), ("b", Some(&2))).is_ok());
        assert!(check_ordered(&OP, ("a", Some(&2)), ("b", Some(&2))).is_ok());
        assert!(check_ordered(&OP, ("a", None::<&i32>), ("b", Some(&2))).is_ok());
        let error = check_ordered(&OP, ("a", Some(&3)), ("b", Some(&2))).expect_err("out of order");
        assert_eq!(error.to_string(), "testOp: a (3) is after b (2)");
    }
}
