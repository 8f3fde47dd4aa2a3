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
fn call_operation_is_compiled_only_with_the_maintainers_feature() {
    let (_, requests) = generated();
    let at = requests
        .find("pubasyncfncall_operation")
        .expect("call_operation is generated");
    let before = &requests[..at];
    let attribute = before.rfind("#[cfg(feature=\"fixtures\")]").expect("gated");
    // The gate is on `call_operation` itself: nothing but its docs and
    // lint settings between them.
    let between = &before[attribute..];
    assert!(
        !between.contains("pubfn") && !between.contains("impl"),
        "{between}"
    );
    assert!(requests.contains("\"getThings\"=>{"), "{requests}");
    assert!(requests.contains("\"putPart\"=>{"), "{requests}");
}
