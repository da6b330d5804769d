//! Tests of the generator: the committed table is the one the source crates give.

#[test]
fn schema_is_fresh() {
    let inputs = crate::locate_inputs().expect("the source crates are in the dependency graph");
    let (text, _) = crate::generate(&inputs).expect("the table generates");
    let committed = std::fs::read_to_string(&inputs.output).unwrap_or_default();
    assert!(committed == text, "{} is stale: run `cargo run -p k8s-protobuf-gen`", inputs.output.display());
}

#[test]
fn normalize_joins_both_spellings() {
    use crate::openapi::normalize;
    assert_eq!(normalize("host_ipc"), normalize("hostIPC"));
    assert_eq!(normalize("ref"), normalize("$ref"));
    assert_eq!(normalize("x_kubernetes_list_type"), normalize("x-kubernetes-list-type"));
}
