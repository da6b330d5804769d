//! Discovery: which groups, versions and resources the cluster serves, in the legacy documents (`APIVersions`,
//! `APIGroupList`, `APIGroup`, `APIResourceList`) and as aggregated discovery v2 (`APIGroupDiscoveryList`),
//! which kubectl asks for first.

use serde_json::{Value, json};

use crate::registry::{Registry, ResourceType, Subresource};

/// The media type of aggregated discovery v2.
pub const AGGREGATED_V2: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// Whether an `Accept` header asks for aggregated discovery v2.
pub fn wants_aggregated(accept: &str) -> bool {
    accept.split(',').any(|media| {
        let params: Vec<&str> = media.split(';').map(str::trim).collect();
        params.contains(&"g=apidiscovery.k8s.io")
            && params.contains(&"v=v2")
            && params.contains(&"as=APIGroupDiscoveryList")
    })
}

/// `GET /api`.
pub fn api_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{ "clientCIDR": "0.0.0.0/0", "serverAddress": server_address }],
    })
}

fn group_document(group: &str, versions: &[String]) -> Value {
    let versions: Vec<Value> =
        versions.iter().map(|v| json!({ "groupVersion": format!("{group}/{v}"), "version": v })).collect();
    json!({
        "name": group,
        "versions": versions,
        "preferredVersion": versions[0],
    })
}

/// `GET /apis`.
pub fn api_group_list(registry: &Registry) -> Value {
    let groups: Vec<Value> = registry
        .groups()
        .iter()
        .filter(|(group, _)| !group.is_empty())
        .map(|(group, versions)| group_document(group, versions))
        .collect();
    json!({ "kind": "APIGroupList", "apiVersion": "v1", "groups": groups })
}

/// `GET /apis/<group>`, or `None` for a group the cluster does not serve.
pub fn api_group(registry: &Registry, name: &str) -> Option<Value> {
    let groups = registry.groups();
    let (group, versions) = groups.iter().find(|(group, _)| !group.is_empty() && *group == name)?;
    let mut document = group_document(group, versions);
    document["kind"] = json!("APIGroup");
    document["apiVersion"] = json!("v1");
    Some(document)
}

/// The group, version and kind a subresource answers with: `scale` is `autoscaling/v1 Scale`.
fn subresource_kind(resource: &ResourceType, subresource: Subresource) -> (&str, &str, &str) {
    match subresource {
        Subresource::Status => (&resource.group, &resource.version, &resource.kind),
        Subresource::Scale => ("autoscaling", "v1", "Scale"),
        Subresource::Binding => ("", "v1", "Binding"),
        Subresource::Eviction => ("policy", "v1", "Eviction"),
        Subresource::EphemeralContainers => (&resource.group, &resource.version, &resource.kind),
        Subresource::Approval => (&resource.group, &resource.version, &resource.kind),
        Subresource::Proxy if resource.kind == "Pod" => ("", "v1", "PodProxyOptions"),
        Subresource::Proxy => ("", "v1", "ServiceProxyOptions"),
        Subresource::PortForward => ("", "v1", "PodPortForwardOptions"),
    }
}

/// The verbs a subresource answers: `binding` and `eviction` are only posted.
fn subresource_verbs(subresource: Subresource) -> &'static [&'static str] {
    match subresource {
        Subresource::Binding | Subresource::Eviction => &["create"],
        Subresource::Status | Subresource::Scale => &["get", "patch", "update"],
        Subresource::EphemeralContainers => &["get", "patch", "update"],
        Subresource::Approval => &["get", "patch", "update"],
        Subresource::Proxy => &["create", "delete", "get", "patch", "update"],
        Subresource::PortForward => &["create", "get"],
    }
}

/// `GET /api/v1`, `GET /apis/<group>/<version>`, or `None` for a group version the cluster does not serve.
pub fn api_resource_list(registry: &Registry, group: &str, version: &str) -> Option<Value> {
    let resources = registry.group_version(group, version);
    if resources.is_empty() {
        return None;
    }
    let mut entries = Vec::new();
    for resource in resources {
        let mut entry = json!({
            "name": resource.plural,
            "singularName": resource.singular,
            "namespaced": resource.namespaced,
            "kind": resource.kind,
            "verbs": resource.verbs.names(),
        });
        if !resource.short_names.is_empty() {
            entry["shortNames"] = json!(resource.short_names);
        }
        if !resource.categories.is_empty() {
            entry["categories"] = json!(resource.categories);
        }
        entries.push(entry);
        for &subresource in resource.subresources {
            let (sub_group, sub_version, sub_kind) = subresource_kind(resource, subresource);
            let mut entry = json!({
                "name": format!("{}/{}", resource.plural, subresource.name()),
                "singularName": "",
                "namespaced": resource.namespaced,
                "kind": sub_kind,
                "verbs": subresource_verbs(subresource),
            });
            if matches!(subresource, Subresource::Scale | Subresource::Eviction) {
                entry["group"] = json!(sub_group);
                entry["version"] = json!(sub_version);
            }
            entries.push(entry);
        }
    }
    let group_version = if group.is_empty() { version.to_owned() } else { format!("{group}/{version}") };
    Some(json!({ "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": entries }))
}

fn aggregated_resource(resource: &ResourceType) -> Value {
    let mut entry = json!({
        "resource": resource.plural,
        "responseKind": { "group": resource.group, "version": resource.version, "kind": resource.kind },
        "scope": if resource.namespaced { "Namespaced" } else { "Cluster" },
        "singularResource": resource.singular,
        "verbs": resource.verbs.names(),
    });
    if !resource.short_names.is_empty() {
        entry["shortNames"] = json!(resource.short_names);
    }
    if !resource.categories.is_empty() {
        entry["categories"] = json!(resource.categories);
    }
    let subresources: Vec<Value> = resource
        .subresources
        .iter()
        .map(|&subresource| {
            let (group, version, kind) = subresource_kind(resource, subresource);
            json!({
                "subresource": subresource.name(),
                "responseKind": { "group": group, "version": version, "kind": kind },
                "verbs": subresource_verbs(subresource),
            })
        })
        .collect();
    if !subresources.is_empty() {
        entry["subresources"] = json!(subresources);
    }
    entry
}

/// Aggregated discovery for `/api` (`legacy`, the core group) or `/apis` (every other group).
pub fn aggregated(registry: &Registry, legacy: bool) -> Value {
    let items: Vec<Value> = registry
        .groups()
        .iter()
        .filter(|(group, _)| group.is_empty() == legacy)
        .map(|(group, versions)| {
            let versions: Vec<Value> = versions
                .iter()
                .map(|version| {
                    let resources: Vec<Value> =
                        registry.group_version(group, version).into_iter().map(aggregated_resource).collect();
                    json!({ "version": version, "resources": resources, "freshness": "Current" })
                })
                .collect();
            json!({ "metadata": { "name": group, "creationTimestamp": null }, "versions": versions })
        })
        .collect();
    json!({ "kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items })
}
