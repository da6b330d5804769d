//! The custom resource definitions Karpenter's chart installs (`nodepools.karpenter.sh`, `nodeclaims.karpenter.sh`,
//! `ec2nodeclasses.karpenter.k8s.aws`) and the one EKS Auto Mode serves (`nodeclasses.eks.amazonaws.com`), all `v1`,
//! cluster-scoped, with a status subresource and upstream's printer columns, short names and categories.
//!
//! The schemas are structural and cover the fields the provisioner reads; where upstream's generated schema is
//! open (a node class's selector terms, block device mappings, kubelet settings) they keep what they are given.
//! Upstream's validation is kept where the API server checks it: enums (requirement operators, the
//! consolidation policy, budget reasons, taint effects), bounds (weight 1..100) and required fields. Upstream's
//! patterns and CEL rules (durations, `In` with values, `Gt`/`Lt` with one integer) are checked by the provisioner,
//! which reports them on the NodePool's `ValidationSucceeded` condition.

use serde_json::{Value, json};

/// Upstream's pattern of a duration that may be `Never` (`consolidateAfter`, `expireAfter`).
pub const NILLABLE_DURATION_PATTERN: &str = "^(([0-9]+(s|m|h))+|Never)$";
/// Upstream's pattern of a budget's `nodes`.
pub const BUDGET_NODES_PATTERN: &str = "^((100|[0-9]{1,2})%|[0-9]+)$";

fn string() -> Value {
    json!({ "type": "string" })
}

fn strings() -> Value {
    json!({ "type": "array", "items": { "type": "string" } })
}

fn string_map() -> Value {
    json!({ "type": "object", "additionalProperties": { "type": "string" } })
}

fn open() -> Value {
    json!({ "type": "object", "x-kubernetes-preserve-unknown-fields": true })
}

fn open_list() -> Value {
    json!({ "type": "array", "items": open() })
}

fn quantity_map() -> Value {
    json!({ "type": "object", "additionalProperties": {
        "anyOf": [{ "type": "integer" }, { "type": "string" }], "x-kubernetes-int-or-string": true } })
}

fn taints() -> Value {
    json!({ "type": "array", "items": { "type": "object", "required": ["effect", "key"], "properties": {
        "key": { "type": "string", "minLength": 1 },
        "value": string(),
        "effect": { "type": "string", "enum": ["NoSchedule", "PreferNoSchedule", "NoExecute"] },
        "timeAdded": { "type": "string", "format": "date-time" },
    } } })
}

fn requirements() -> Value {
    json!({ "type": "array", "maxItems": 100, "items": { "type": "object", "required": ["key", "operator"],
        "properties": {
            "key": { "type": "string", "maxLength": 316 },
            "operator": { "type": "string",
                          "enum": ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt", "Gte", "Lte"] },
            "values": strings(),
            "minValues": { "type": "integer", "minimum": 1, "maximum": 50 },
        } } })
}

fn conditions() -> Value {
    json!({ "type": "array", "items": { "type": "object", "required": ["lastTransitionTime", "status", "type"],
        "properties": {
            "type": string(), "status": { "type": "string", "enum": ["True", "False", "Unknown"] },
            "reason": string(), "message": string(),
            "lastTransitionTime": { "type": "string", "format": "date-time" },
            "observedGeneration": { "type": "integer", "minimum": 0 },
        } } })
}

fn node_class_ref() -> Value {
    json!({ "type": "object", "required": ["group", "kind", "name"], "properties": {
        "group": { "type": "string", "minLength": 1 },
        "kind": { "type": "string", "minLength": 1 },
        "name": { "type": "string", "minLength": 1 },
    } })
}

/// A NodeClaim's spec, as a NodePool's template holds it too.
fn claim_spec(template: bool) -> Value {
    let mut spec = json!({ "type": "object", "required": ["nodeClassRef", "requirements"], "properties": {
        "taints": taints(),
        "startupTaints": taints(),
        "requirements": requirements(),
        "nodeClassRef": node_class_ref(),
        "terminationGracePeriod": string(),
        "expireAfter": { "type": "string", "default": "720h" },
    } });
    if !template {
        spec["properties"]["resources"] = json!({ "type": "object", "properties": { "requests": quantity_map() } });
    }
    spec
}

fn column(name: &str, path: &str, kind: &str, priority: i64) -> Value {
    let mut column = json!({ "name": name, "type": kind, "jsonPath": path, "description": "" });
    if priority > 0 {
        column["priority"] = json!(priority);
    }
    column
}

fn age() -> Value {
    column("Age", ".metadata.creationTimestamp", "date", 0)
}

fn ready() -> Value {
    column("Ready", ".status.conditions[?(@.type==\"Ready\")].status", "string", 0)
}

fn definition(
    group: &str,
    kind: &str,
    plural: &str,
    short_names: &[&str],
    spec: Value,
    status: Value,
    columns: Vec<Value>,
) -> Value {
    let mut names = json!({
        "kind": kind, "listKind": format!("{kind}List"), "plural": plural,
        "singular": kind.to_lowercase(), "categories": ["karpenter"],
    });
    if !short_names.is_empty() {
        names["shortNames"] = json!(short_names);
    }
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": { "name": format!("{plural}.{group}") },
        "spec": {
            "group": group,
            "names": names,
            "scope": "Cluster",
            "versions": [{
                "name": "v1", "served": true, "storage": true,
                "schema": { "openAPIV3Schema": { "type": "object", "properties": {
                    "apiVersion": string(), "kind": string(), "metadata": { "type": "object" },
                    "spec": spec, "status": status,
                } } },
                "subresources": { "status": {} },
                "additionalPrinterColumns": columns,
            }],
        },
    })
}

/// `nodepools.karpenter.sh`.
pub fn node_pools() -> Value {
    let budget = json!({ "type": "object", "required": ["nodes"], "properties": {
        "nodes": { "type": "string", "default": "10%" },
        "schedule": string(),
        "duration": string(),
        "reasons": { "type": "array", "items": { "type": "string", "enum": ["Underutilized", "Empty", "Drifted"] } },
    } });
    let spec = json!({ "type": "object", "required": ["template"], "properties": {
        "template": { "type": "object", "required": ["spec"], "properties": {
            "metadata": { "type": "object", "properties": { "labels": string_map(), "annotations": string_map() } },
            "spec": claim_spec(true),
        } },
        "disruption": { "type": "object", "default": { "consolidateAfter": "0s" }, "properties": {
            "consolidateAfter": { "type": "string" },
            "consolidationPolicy": { "type": "string", "default": "WhenEmptyOrUnderutilized",
                                     "enum": ["WhenEmpty", "WhenEmptyOrUnderutilized", "Balanced"] },
            "budgets": { "type": "array", "maxItems": 50, "default": [{ "nodes": "10%" }], "items": budget },
        } },
        "limits": quantity_map(),
        "weight": { "type": "integer", "minimum": 1, "maximum": 100 },
        "replicas": { "type": "integer", "minimum": 0 },
    } });
    let status = json!({ "type": "object", "properties": {
        "resources": quantity_map(),
        "nodes": { "type": "integer" },
        "nodeClassObservedGeneration": { "type": "integer" },
        "conditions": conditions(),
    } });
    let columns = vec![
        column("NodeClass", ".spec.template.spec.nodeClassRef.name", "string", 0),
        column("Nodes", ".status.nodes", "string", 0),
        ready(),
        age(),
        column("Weight", ".spec.weight", "integer", 1),
        column("CPU", ".status.resources.cpu", "string", 1),
        column("Memory", ".status.resources.memory", "string", 1),
    ];
    definition(super::GROUP, "NodePool", "nodepools", &[], spec, status, columns)
}

/// `nodeclaims.karpenter.sh`.
pub fn node_claims() -> Value {
    let status = json!({ "type": "object", "properties": {
        "nodeName": string(), "providerID": string(), "imageID": string(),
        "capacity": quantity_map(), "allocatable": quantity_map(),
        "conditions": conditions(),
        "lastPodEventTime": { "type": "string", "format": "date-time" },
    } });
    let columns = vec![
        column("Type", ".metadata.labels.node\\.kubernetes\\.io/instance-type", "string", 0),
        column("Capacity", ".metadata.labels.karpenter\\.sh/capacity-type", "string", 0),
        column("Zone", ".metadata.labels.topology\\.kubernetes\\.io/zone", "string", 0),
        column("Node", ".status.nodeName", "string", 0),
        ready(),
        age(),
        column("ImageID", ".status.imageID", "string", 1),
        column("ID", ".status.providerID", "string", 1),
        column("NodePool", ".metadata.labels.karpenter\\.sh/nodepool", "string", 1),
        column("NodeClass", ".spec.nodeClassRef.name", "string", 1),
        column("Drifted", ".status.conditions[?(@.type==\"Drifted\")].status", "string", 1),
    ];
    definition(super::GROUP, "NodeClaim", "nodeclaims", &[], claim_spec(false), status, columns)
}

fn class_status() -> Value {
    json!({ "type": "object", "properties": {
        "subnets": { "type": "array", "items": { "type": "object", "required": ["id", "zone"], "properties": {
            "id": string(), "zone": string(), "zoneID": string() } } },
        "securityGroups": { "type": "array", "items": { "type": "object", "required": ["id"], "properties": {
            "id": string(), "name": string() } } },
        "amis": { "type": "array", "items": { "type": "object", "required": ["id", "requirements"], "properties": {
            "id": string(), "name": string(), "deprecated": { "type": "boolean" },
            "requirements": requirements() } } },
        "capacityReservations": open_list(),
        "instanceProfile": string(),
        "conditions": conditions(),
    } })
}

/// `ec2nodeclasses.karpenter.k8s.aws`.
pub fn ec2_node_classes() -> Value {
    let spec = json!({ "type": "object", "properties": {
        "role": string(),
        "instanceProfile": string(),
        "amiFamily": string(),
        "amiSelectorTerms": open_list(),
        "subnetSelectorTerms": open_list(),
        "securityGroupSelectorTerms": open_list(),
        "capacityReservationSelectorTerms": open_list(),
        "tags": string_map(),
        "userData": string(),
        "kubelet": open(),
        "blockDeviceMappings": open_list(),
        "metadataOptions": open(),
        "associatePublicIPAddress": { "type": "boolean" },
        "detailedMonitoring": { "type": "boolean" },
        "instanceStorePolicy": { "type": "string", "enum": ["RAID0"] },
        "context": string(),
    } });
    let columns = vec![ready(), age(), column("Role", ".spec.role", "string", 1)];
    definition(super::AWS_GROUP, "EC2NodeClass", "ec2nodeclasses", &["ec2nc", "ec2ncs"], spec, class_status(), columns)
}

/// `nodeclasses.eks.amazonaws.com`, EKS Auto Mode's node class.
pub fn auto_mode_node_classes() -> Value {
    let spec = json!({ "type": "object", "properties": {
        "role": string(),
        "subnetSelectorTerms": open_list(),
        "securityGroupSelectorTerms": open_list(),
        "podSubnetSelectorTerms": open_list(),
        "podSecurityGroupSelectorTerms": open_list(),
        "ephemeralStorage": open(),
        "networkPolicy": { "type": "string", "enum": ["DefaultAllow", "DefaultDeny"] },
        "networkPolicyEventLogs": { "type": "string", "enum": ["Enabled", "Disabled"] },
        "snatPolicy": { "type": "string", "enum": ["Random", "Disabled"] },
        "tags": string_map(),
        "advancedNetworking": open(),
        "advancedSecurity": open(),
    } });
    let columns = vec![column("Role", ".spec.role", "string", 0), ready(), age()];
    let mut crd = definition(super::AUTO_GROUP, "NodeClass", "nodeclasses", &[], spec, class_status(), columns);
    crd["spec"]["names"]["categories"] = json!(["eks"]);
    crd
}

/// The definitions a flavour needs.
pub fn for_kind(kind: crate::fleet::ClassKind) -> Vec<Value> {
    match kind {
        crate::fleet::ClassKind::Ec2NodeClass => vec![node_pools(), node_claims(), ec2_node_classes()],
        crate::fleet::ClassKind::AutoModeNodeClass => vec![node_pools(), node_claims(), auto_mode_node_classes()],
    }
}
