use serde_json::json;

use super::*;

fn api_service(name: &str, group: &str, version: &str, priority: i64, available: &str) -> Value {
    json!({
        "metadata": { "name": name, "resourceVersion": "7" },
        "spec": {
            "group": group,
            "version": version,
            "service": { "namespace": "kube-system", "name": "metrics-server" },
            "groupPriorityMinimum": 100,
            "versionPriority": priority,
        },
        "status": { "conditions": [{ "type": "Available", "status": available }] },
    })
}

#[test]
fn an_api_service_is_aggregated_only_with_a_service() {
    let served = AggregatedApi::of(&api_service("v1beta1.metrics.k8s.io", "metrics.k8s.io", "v1beta1", 100, "True"))
        .expect("backed by a Service");
    assert_eq!(served.port, 443, "the port defaults to 443");
    assert!(served.available);
    assert_eq!((served.service_namespace.as_str(), served.service_name.as_str()), ("kube-system", "metrics-server"));
    assert_eq!(served.revision, "7");

    let not_ready = AggregatedApi::of(&api_service("v1.custom.io", "custom.io", "v1", 1, "False")).unwrap();
    assert!(!not_ready.available);

    let mut local = api_service("v1.apps", "apps", "v1", 15, "True");
    local["spec"].as_object_mut().unwrap().remove("service");
    assert_eq!(AggregatedApi::of(&local), None, "a local APIService is the API server's own");
    local["spec"]["service"] = json!(null);
    assert_eq!(AggregatedApi::of(&local), None);
    assert_eq!(AggregatedApi::of(&json!("garbage")), None);
}

#[test]
fn groups_list_their_versions_in_priority_order() {
    let apis: Vec<AggregatedApi> = [
        api_service("v1beta2.custom.io", "custom.io", "v1beta2", 20, "True"),
        api_service("v1beta1.custom.io", "custom.io", "v1beta1", 10, "False"),
        api_service("v1beta1.metrics.k8s.io", "metrics.k8s.io", "v1beta1", 100, "True"),
    ]
    .iter()
    .filter_map(AggregatedApi::of)
    .collect();
    let groups = api_groups(&apis);
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0]["name"], "custom.io");
    assert_eq!(groups[0]["versions"].as_array().unwrap().len(), 2, "an unavailable version is still listed");
    assert_eq!(groups[0]["preferredVersion"]["groupVersion"], "custom.io/v1beta2");
    assert_eq!(groups[1]["versions"][0]["groupVersion"], "metrics.k8s.io/v1beta1");
}

#[test]
fn a_backends_resource_list_becomes_aggregated_discovery() {
    let list = json!({
        "kind": "APIResourceList",
        "groupVersion": "metrics.k8s.io/v1beta1",
        "resources": [
            { "name": "nodes", "singularName": "", "namespaced": false, "kind": "NodeMetrics", "verbs": ["get", "list"] },
            { "name": "pods", "singularName": "", "namespaced": true, "kind": "PodMetrics", "verbs": ["get", "list"],
              "shortNames": ["pm"] },
            { "name": "pods/status", "namespaced": true, "kind": "PodMetrics", "verbs": ["get"] },
            { "name": "orphans/status", "kind": "X", "verbs": ["get"] },
            { "name": "nameless" },
            "garbage",
        ],
    });
    let resources = crate::discovery::aggregated_from_list(&list, "metrics.k8s.io", "v1beta1");
    assert_eq!(resources.len(), 2, "only named resources with a kind: {resources:?}");
    assert_eq!(resources[0]["scope"], "Cluster");
    assert_eq!(resources[0]["responseKind"]["kind"], "NodeMetrics");
    assert_eq!(resources[1]["scope"], "Namespaced");
    assert_eq!(resources[1]["shortNames"], json!(["pm"]));
    assert_eq!(resources[1]["subresources"][0]["subresource"], "status");
    assert_eq!(resources[1]["verbs"], json!(["get", "list"]));
    assert!(crate::discovery::aggregated_from_list(&json!({"resources": 5}), "g", "v").is_empty());
}
