//! `requests::generate`: the request builder of each operation, made from
//! the model and progenitor's method.

use super::{generate, type_name};
use crate::{both, normalize, progenitor, signature};

/// The builder of `method_name` (operation number `index`), as text.
fn builder_of(method_name: &str, index: usize) -> String {
    let spec = both();
    let adapted = normalize::adapt(&spec, false).expect("adapts");
    let file = progenitor(&adapted);
    let op = &spec.operations[index];
    let sig = signature::find(&file, method_name).expect("generated");
    let tokens = generate(op, &sig, index).expect("a builder");
    let file: syn::File = syn::parse2(tokens).expect("the builder parses");
    text_of(&file)
}

/// The items as text without spaces, to look into.
fn text_of(file: &syn::File) -> String {
    quote::quote!(#file).to_string().replace(' ', "")
}

#[test]
fn optional_parameters_are_setters_and_ordered_dates_are_checked() {
    let text = builder_of("get_things", 0);
    assert_eq!(type_name(&both().operations[0]), "GetThings");
    assert!(text.contains("pubstructGetThings<'a>"), "{text}");
    for setter in ["pubfnstart_date(", "pubfnset_start_date(", "pubfnend_date("] {
        assert!(text.contains(setter), "{setter} in {text}");
    }
    assert!(
        text.contains("pubfnget_things<'a>(&'aself,)"),
        "no required argument: {text}"
    );
    assert!(text.contains("generated_support::check_ordered"), "{text}");
    assert!(text.contains("generated_support::whole_seconds"), "{text}");
    assert!(text.contains("OPERATIONS[0usize]"), "{text}");
}

#[test]
fn string_path_parameters_are_checked_and_body_fields_filled_from_the_path() {
    let text = builder_of("put_part", 1);
    assert!(
        text.contains("adapted::check_path_segment(OPERATION,\"id\",id)"),
        "{text}"
    );
    assert!(
        !text.contains("check_path_segment(OPERATION,\"partId\""),
        "{text}"
    );
    assert!(text.contains("adapted::raw_path(OPERATION"), "{text}");
    assert!(
        text.contains(
            "generated_support::mirror_missing(OPERATION,\"partId\",\"partId\",&body.part_id"
        ),
        "{text}"
    );
    assert!(text.contains("attempt.put_part(id,part_id,body)"), "{text}");
}
