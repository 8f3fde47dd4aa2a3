//! `signature`: progenitor's generated methods read back with syn.

use quote::quote;

use super::{Pass, find, lend, option_inner, owned};
use crate::{both, normalize, progenitor};

fn ty(text: &str) -> syn::Type {
    syn::parse_str(text).expect("a type")
}

#[test]
fn progenitors_methods_are_read_back_with_their_arguments_and_value() {
    let adapted = normalize::adapt(&both(), false).expect("adapts");
    let file = progenitor(&adapted);

    let list = find(&file, "get_things").expect("generated");
    let names: Vec<String> = list.args.iter().map(|(i, _)| i.to_string()).collect();
    assert_eq!(names, ["end_date", "start_date"], "progenitor sorts them");
    let value = &list.value;
    assert_eq!(
        quote!(#value).to_string(),
        quote!(::std::vec::Vec<types::Thing>).to_string()
    );
    assert!(list.body().is_none());

    let put = find(&file, "put_part").expect("generated");
    assert_eq!(put.arg("partId").expect("an argument").0, "part_id");
    assert_eq!(put.arg("id").expect("an argument").0, "id");
    assert!(put.body().is_some());
    let value = &put.value;
    assert_eq!(quote!(#value).to_string(), "()");
    assert!(find(&file, "no_such_method").is_err());
}

#[test]
fn argument_types_are_owned_and_lent_back() {
    let cases = [
        ("&'a str", "String", Pass::Ref, "& x"),
        (
            "Option<&'a str>",
            "Option<String>",
            Pass::OptionDeref,
            "x . as_deref ()",
        ),
        (
            "Option<&'a types::T>",
            "Option<types::T>",
            Pass::OptionRef,
            "x . as_ref ()",
        ),
        ("&'a types::T", "types::T", Pass::Ref, "& x"),
        ("i32", "i32", Pass::Value, "x"),
        ("Option<i32>", "Option<i32>", Pass::Value, "x"),
    ];
    let local = syn::Ident::new("x", proc_macro2::Span::call_site());
    for (given, expected, pass, lent) in cases {
        let (owned_ty, got) = owned(&ty(given));
        let owned_ty = owned_ty.to_string().replace(":: std :: string :: ", "");
        let owned_ty = owned_ty
            .replace(":: std :: option :: ", "")
            .replace(' ', "");
        assert_eq!(owned_ty, expected.replace(' ', ""), "{given}");
        assert!(got == pass, "{given}");
        assert_eq!(lend(&local, pass).to_string(), lent, "{given}");
    }
    let inner = option_inner(&quote!(Option<i32>)).expect("an Option");
    assert_eq!(quote!(#inner).to_string(), "i32");
    assert!(option_inner(&quote!(i32)).is_none());
}
