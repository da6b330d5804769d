use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::registry::{CustomSchema, Registry};

#[test]
fn every_registered_strategy_names_a_built_in_resource() {
    let registry = Registry::builtin();
    let groups = registry.groups();
    for (group, plural, _) in STRATEGIES {
        let served = groups
            .iter()
            .any(|(g, versions)| g == group && versions.iter().any(|v| registry.find(group, v, plural).is_some()));
        assert!(served, "the strategy of {plural:?} in group {group:?} names no served resource");
    }
}

#[test]
fn lookup_finds_the_kind_else_the_generic_strategy() {
    let registry = Registry::builtin();
    let find = |group, plural| registry.find(group, "v1", plural).expect("served");
    assert!(format!("{:?}", strategy(find("", "pods"))).contains("Pods"));
    assert!(format!("{:?}", strategy(find("scheduling.k8s.io", "priorityclasses"))).contains("PriorityClasses"));
    assert!(format!("{:?}", strategy(find("", "configmaps"))).contains("Generic"));
    let mut widgets = find("", "configmaps").clone();
    widgets.decoder = Decoder::Custom(Arc::new(CustomSchema { schema: json!({}), columns: Vec::new() }));
    assert!(format!("{:?}", strategy(&widgets)).contains("CustomResources"));
}

#[test]
fn new_objects_start_with_their_kinds_status() {
    let registry = Registry::builtin();
    let created = |plural: &str| {
        let resource = registry.find("", "v1", plural).expect("served");
        let mut object = json!({ "metadata": { "name": "x" }, "status": { "phase": "Running" } });
        strategy(resource).prepare_status_for_create(resource, &mut object);
        object
    };
    assert_eq!(created("pods")["status"], json!({ "phase": "Pending" }));
    assert_eq!(created("persistentvolumeclaims")["status"], json!({ "phase": "Pending" }));
    assert_eq!(created("nodes")["status"], json!({ "phase": "Running" }), "a node keeps what its kubelet reports");
    assert_eq!(created("services")["status"], json!({}));
    assert_eq!(created("configmaps")["status"], json!({ "phase": "Running" }), "no status subresource: as given");
    let namespace = created("namespaces");
    assert_eq!(namespace["status"], json!({ "phase": "Active" }));
    assert_eq!(namespace["spec"]["finalizers"], json!(["kubernetes"]));
}
