//! APIServices (`apiregistration.k8s.io/v1`): the API server's own, one per group version it serves, as
//! kube-apiserver's autoregister controller keeps them (`Local`, `Available=True` with reason `Local`). The
//! `Available` condition of APIServices backed by a Service is kept by the controllers crate's APIService
//! availability controller; requests to their group versions are not proxied.

use serde_json::{Value, json};

use crate::registry::Registry;

/// Upstream's group and version priorities of the built-in group versions (kube-apiserver's
/// `apiVersionPriorities`); group versions missing here get the lowest built-in priorities.
const PRIORITIES: &[(&str, &str, i64, i64)] = &[
    ("", "v1", 18000, 1),
    ("apiregistration.k8s.io", "v1", 18000, 15),
    ("apps", "v1", 17800, 15),
    ("events.k8s.io", "v1", 17750, 15),
    ("authentication.k8s.io", "v1", 17700, 15),
    ("authorization.k8s.io", "v1", 17600, 15),
    ("autoscaling", "v2", 17500, 30),
    ("autoscaling", "v1", 17500, 15),
    ("batch", "v1", 17400, 15),
    ("certificates.k8s.io", "v1", 17300, 15),
    ("networking.k8s.io", "v1", 17200, 15),
    ("policy", "v1", 17100, 15),
    ("rbac.authorization.k8s.io", "v1", 17000, 15),
    ("storage.k8s.io", "v1", 16800, 15),
    ("apiextensions.k8s.io", "v1", 16700, 15),
    ("admissionregistration.k8s.io", "v1", 16700, 15),
    ("scheduling.k8s.io", "v1", 16600, 15),
    ("coordination.k8s.io", "v1", 16500, 15),
    ("node.k8s.io", "v1", 16300, 15),
    ("discovery.k8s.io", "v1", 16200, 15),
];

/// The APIService of each group version `registry` serves, named `<version>.<group>` (`v1.` for the core
/// group), local and available.
pub(crate) fn local_api_services(registry: &Registry, now: &str) -> Vec<(String, Value)> {
    let mut services = Vec::new();
    for (group, versions) in registry.groups() {
        for version in versions {
            let (group_priority, version_priority) = PRIORITIES
                .iter()
                .find(|(g, v, _, _)| *g == group && *v == version)
                .map_or((16000, 15), |(_, _, g, v)| (*g, *v));
            let name = format!("{version}.{group}");
            let object = json!({
                "kind": "APIService",
                "apiVersion": "apiregistration.k8s.io/v1",
                "metadata": {
                    "name": name,
                    "uid": crate::object::new_uid(),
                    "creationTimestamp": now,
                    "generation": 1,
                    "labels": { "kube-aggregator.kubernetes.io/automanaged": "onstart" },
                },
                "spec": {
                    "group": group,
                    "version": version,
                    "groupPriorityMinimum": group_priority,
                    "versionPriority": version_priority,
                },
                "status": { "conditions": [{
                    "type": "Available",
                    "status": "True",
                    "lastTransitionTime": now,
                    "reason": "Local",
                    "message": "Local APIServices are always available",
                }]},
            });
            services.push((name, object));
        }
    }
    services
}
