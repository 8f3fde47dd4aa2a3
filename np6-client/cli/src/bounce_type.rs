//! The bounce types the spec has, which `np6 bounce` and `np6 bounces
//! import` hold to unless told otherwise, and `--type`'s parser, which
//! lists them in help and completions.

use clap::builder::{PossibleValue, TypedValueParser};
use np6_client::types::BounceType;

/// The bounce type `text` names: one the client knows (the generated
/// [`BounceType`]), or, when `allow_unknown`, any other as given.
pub(crate) fn bounce_type(text: &str, allow_unknown: bool) -> Result<BounceType, String> {
    match BounceType::from(text) {
        BounceType::Other(_) if !allow_unknown => Err(format!(
            "unknown bounce type {text:?}: the spec has {} (--allow-unknown-type sends it anyway)",
            known_types().join(", ")
        )),
        kind => Ok(kind),
    }
}

/// The values of the spec's `BounceType` (the spec the client is generated
/// from), in its order.
pub(crate) fn known_types() -> &'static [&'static str] {
    BounceType::KNOWN
}

/// `--type`'s parser: any text (checked later, against
/// `--allow-unknown-type`), with the spec's values for help and
/// completions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TypeParser;

impl TypedValueParser for TypeParser {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            known_types().iter().map(|v| PossibleValue::new(*v)),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_known_types_are_the_generated_ones() {
        let known = known_types();
        assert!(!known.is_empty());
        for &value in known {
            let kind = bounce_type(value, false).expect("known");
            assert!(!matches!(kind, BounceType::Other(_)), "{value}");
            assert_eq!(kind.as_str(), value);
        }
        let refused = bounce_type("softMailboxFull", false).expect_err("unknown");
        assert!(refused.contains(&known.join(", ")), "{refused}");
        assert_eq!(
            bounce_type("softMailboxFull", true).expect("allowed"),
            BounceType::Other("softMailboxFull".to_owned())
        );
    }
}
