//! EKS Auto Mode's built-in objects, as EKS keeps them while compute is enabled: the NodeClass `default`
//! (`eks.amazonaws.com/v1`; its role is the cluster's node role, its selector terms the cluster's own subnets and
//! security group, as the fleet resolves a spec without terms), made while at least one built-in pool is enabled,
//! and the NodePools `general-purpose` and `system` (on-demand C, M and R instances of generation 5 or newer,
//! Linux; `general-purpose` amd64 only, `system` amd64 and arm64 with the `CriticalAddonsOnly` taint; consolidation
//! `WhenEmptyOrUnderutilized` after 30s, budget 10%, `expireAfter` 336h, `terminationGracePeriod` 24h). Built-ins
//! carry the label `app.kubernetes.io/managed-by: eks`; a built-in pool no longer enabled is deleted.

use serde_json::{Value, json};

use crate::fleet::ResolvedClass;

/// The label EKS marks its built-in objects with.
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// Its value.
pub const EKS: &str = "eks";
/// The built-in NodeClass's name.
pub const DEFAULT_CLASS: &str = "default";
/// The built-in pools.
pub const BUILT_IN_POOLS: [&str; 2] = ["general-purpose", "system"];

/// The role name of an IAM role ARN (`arn:aws:iam::111122223333:role/path/Name` is `Name`).
pub fn role_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The built-in NodeClass's spec, with the terms of what the cluster's own subnets and security groups resolved to.
pub fn default_class_spec(role_arn: Option<&str>, resolved: &ResolvedClass) -> Value {
    let subnets: Vec<Value> = resolved.subnets.iter().map(|s| json!({ "id": s.id })).collect();
    let groups: Vec<Value> = resolved.security_groups.iter().map(|g| json!({ "id": g.id })).collect();
    let mut spec = json!({
        "ephemeralStorage": { "iops": 3000, "size": "80Gi", "throughput": 125 },
        "networkPolicy": "DefaultAllow",
        "networkPolicyEventLogs": "Disabled",
        "snatPolicy": "Random",
        "subnetSelectorTerms": subnets,
        "securityGroupSelectorTerms": groups,
    });
    if let Some(arn) = role_arn {
        spec["role"] = json!(role_name(arn));
    }
    spec
}

/// The built-in NodeClass.
pub fn default_class(spec: Value) -> Value {
    json!({
        "apiVersion": "eks.amazonaws.com/v1", "kind": "NodeClass",
        "metadata": { "name": DEFAULT_CLASS, "labels": { MANAGED_BY: EKS } },
        "spec": spec,
    })
}

/// The built-in pool `name`, if it is one.
pub fn built_in_pool(name: &str) -> Option<Value> {
    let arch: Vec<&str> = match name {
        "general-purpose" => vec!["amd64"],
        "system" => vec!["amd64", "arm64"],
        _ => return None,
    };
    let mut spec = json!({
        "disruption": {
            "budgets": [{ "nodes": "10%" }],
            "consolidateAfter": "30s",
            "consolidationPolicy": "WhenEmptyOrUnderutilized",
        },
        "template": {
            "metadata": {},
            "spec": {
                "expireAfter": "336h",
                "nodeClassRef": { "group": "eks.amazonaws.com", "kind": "NodeClass", "name": DEFAULT_CLASS },
                "requirements": [
                    { "key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand"] },
                    { "key": "eks.amazonaws.com/instance-category", "operator": "In", "values": ["c", "m", "r"] },
                    { "key": "eks.amazonaws.com/instance-generation", "operator": "Gt", "values": ["4"] },
                    { "key": "kubernetes.io/arch", "operator": "In", "values": arch },
                    { "key": "kubernetes.io/os", "operator": "In", "values": ["linux"] },
                ],
                "terminationGracePeriod": "24h0m0s",
            },
        },
    });
    if name == "system" {
        spec["template"]["spec"]["taints"] = json!([{ "key": "CriticalAddonsOnly", "effect": "NoSchedule" }]);
    }
    Some(json!({
        "apiVersion": "karpenter.sh/v1", "kind": "NodePool",
        "metadata": { "name": name, "labels": { MANAGED_BY: EKS } },
        "spec": spec,
    }))
}
