//! Discovery: which groups, versions and resources the cluster serves, in the legacy documents (`APIVersions`,
//! `APIGroupList`, `APIGroup`, `APIResourceList`) and as aggregated discovery v2 (`APIGroupDiscoveryList`),
//! which kubectl asks for first.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::registry::{Registry, ResourceType, Subresource};

/// Aggregated API servers' discovery documents, by APIService name: the APIService's revision, when it was
/// fetched, and the resources (`None` when the fetch failed).
#[derive(Debug, Default)]
pub struct BackendDiscovery {
    entries: Mutex<HashMap<String, Fetched>>,
}

/// A backend's revision, when its document was fetched, and its resources.
type Fetched = (String, Instant, Option<Vec<Value>>);

impl BackendDiscovery {
    /// What was fetched for `name` at `revision`, if it is younger than `ttl` (`retry` for a failure).
    pub fn get(&self, name: &str, revision: &str, ttl: Duration, retry: Duration) -> Option<Option<Vec<Value>>> {
        let entries = self.entries.lock().expect("discovery cache lock");
        let (kept, at, resources) = entries.get(name)?;
        let fresh = if resources.is_some() { ttl } else { retry };
        (kept == revision && at.elapsed() < fresh).then(|| resources.clone())
    }

    /// Keeps what was fetched for `name` at `revision`.
    pub fn put(&self, name: &str, revision: &str, resources: Option<Vec<Value>>) {
        let mut entries = self.entries.lock().expect("discovery cache lock");
        entries.insert(name.to_owned(), (revision.to_owned(), Instant::now(), resources));
    }
}

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

/// Aggregated discovery for `/api` (`legacy`, the core group) or `/apis` (every other group), followed by the
/// group versions aggregated APIServices serve (`extra`: group, version, resources, in discovery order).
pub fn aggregated(registry: &Registry, legacy: bool, extra: &[(&str, &str, &[Value])]) -> Value {
    let mut items: Vec<Value> = registry
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
    if !legacy {
        let mut added: Vec<(&str, Vec<Value>)> = Vec::new();
        for (group, version, resources) in extra {
            let entry = json!({ "version": version, "resources": resources, "freshness": "Current" });
            match added.iter_mut().find(|(name, _)| name == group) {
                Some((_, versions)) => versions.push(entry),
                None => added.push((group, vec![entry])),
            }
        }
        items.extend(added.into_iter().map(|(group, versions)| {
            json!({ "metadata": { "name": group, "creationTimestamp": null }, "versions": versions })
        }));
    }
    json!({ "kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items })
}

/// The aggregated discovery entries of the resources an `APIResourceList` lists (an aggregated API server's
/// legacy discovery document), as kube-aggregator converts them: `<resource>/<subresource>` entries become their
/// parent's subresources; entries without a name or kind are skipped.
pub fn aggregated_from_list(list: &Value, group: &str, version: &str) -> Vec<Value> {
    let listed = list["resources"].as_array().map(Vec::as_slice).unwrap_or_default();
    let verbs = |entry: &Value| entry.get("verbs").filter(|v| v.is_array()).cloned().unwrap_or_else(|| json!([]));
    let mut resources: Vec<Value> = Vec::new();
    for entry in listed.iter().filter(|entry| !entry["name"].as_str().unwrap_or_default().contains('/')) {
        let (Some(name), Some(kind)) = (entry["name"].as_str(), entry["kind"].as_str()) else { continue };
        let mut resource = json!({
            "resource": name,
            "responseKind": { "group": group, "version": version, "kind": kind },
            "scope": if entry["namespaced"].as_bool() == Some(true) { "Namespaced" } else { "Cluster" },
            "singularResource": entry["singularName"].as_str().unwrap_or_default(),
            "verbs": verbs(entry),
        });
        for field in ["shortNames", "categories"] {
            if entry[field].as_array().is_some_and(|values| !values.is_empty()) {
                resource[field] = entry[field].clone();
            }
        }
        resources.push(resource);
    }
    for entry in listed {
        let Some((parent, subresource)) = entry["name"].as_str().and_then(|name| name.split_once('/')) else {
            continue;
        };
        let Some(owner) = resources.iter_mut().find(|r| r["resource"] == parent) else { continue };
        let kind = entry["kind"].as_str().unwrap_or_default();
        let sub = json!({
            "subresource": subresource,
            "responseKind": {
                "group": entry["group"].as_str().unwrap_or(group),
                "version": entry["version"].as_str().unwrap_or(version),
                "kind": kind,
            },
            "verbs": verbs(entry),
        });
        match owner["subresources"].as_array_mut() {
            Some(subresources) => subresources.push(sub),
            None => owner["subresources"] = json!([sub]),
        }
    }
    resources
}
