//! `operations::generate`: the operation table and `call_operation`.

use super::generate;
use crate::{both, normalize, progenitor};

fn generated() -> (String, String) {
    let spec = both();
    let adapted = normalize::adapt(&spec, false).expect("adapts");
    let file = progenitor(&adapted);
    let generated = generate(&spec, &adapted, &file).expect("generates");
    let text = |t: &proc_macro2::TokenStream| t.to_string().replace(' ', "");
    (text(&generated.operations), text(&generated.requests))
}

#[test]
fn the_table_holds_each_operations_facts_in_spec_order() {
    let (table, _) = generated();
    let list = table.find("id:\"getThings\"").expect("getThings");
    let put = table.find("id:\"putPart\"").expect("putPart");
    assert!(list < put, "spec order: {table}");
    assert!(table.contains("method_name:\"get_things\",method:\"GET\",path:\"/things\",statuses:&[200u16,204u16,401u16],empty_success:&[(204u16,\"[]\")],idempotent:true"), "{table}");
    assert!(table.contains("method:\"PUT\",path:\"/things/{id}/parts/{partId}\",statuses:&[204u16],empty_success:&[],idempotent:true"), "{table}");
    assert!(
        table.contains("pubconstAPI_KEY_HEADER:&str=\"X-Key\""),
        "{table}"
    );
}

#[test]
fn call_operation_is_public_with_no_feature() {
    let (_, requests) = generated();
    assert!(
        requests.contains("pubasyncfncall_operation"),
        "call_operation is generated"
    );
    // Public and covered by semver: nothing the requests generate is
    // gated on the maintainers' feature.
    assert!(!requests.contains("feature=\"fixtures\""), "{requests}");
    assert!(requests.contains("\"getThings\"=>{"), "{requests}");
    assert!(requests.contains("\"putPart\"=>{"), "{requests}");
}
