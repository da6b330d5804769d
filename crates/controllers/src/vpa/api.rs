//! The `autoscaling.k8s.io/v1` objects of the Vertical Pod Autoscaler (upstream's
//! `pkg/apis/autoscaling.k8s.io/v1/types.go`): the `VerticalPodAutoscaler` as read from the cluster, its spec read
//! leniently into [`Spec`] (a field that does not parse keeps its default), and the two CRDs its charts install,
//! written here for clusters whose installation brought the components without them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The API group.
pub const GROUP: &str = "autoscaling.k8s.io";

/// A `VerticalPodAutoscaler` as read: metadata, and spec and status as JSON.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct VerticalPodAutoscaler {
    #[serde(default)]
    pub metadata: kube::core::ObjectMeta,
    #[serde(default)]
    pub spec: Value,
    #[serde(default)]
    pub status: Value,
}

custom_resource!(
    VerticalPodAutoscaler,
    kube::core::NamespaceResourceScope,
    GROUP,
    "v1",
    "VerticalPodAutoscaler",
    "verticalpodautoscalers"
);

impl VerticalPodAutoscaler {
    /// The spec as the components read it.
    pub fn parsed(&self) -> Spec {
        Spec::read(&self.spec)
    }
}

/// `spec.updatePolicy.updateMode`: when pods' resources change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateMode {
    /// Only recommend.
    Off,
    /// Set resources when pods are created, never evict.
    Initial,
    /// Set them at creation and evict pods whose resources are off (upstream's default).
    Recreate,
    /// Deprecated, the same as `Recreate`.
    Auto,
    /// In-place resize where possible, else as `Recreate`: here always as `Recreate`.
    InPlaceOrRecreate,
    /// In-place resize only (behind a feature gate upstream, off by default): never evicts here.
    InPlace,
}

impl UpdateMode {
    fn parse(text: &str) -> Option<UpdateMode> {
        Some(match text {
            "Off" => UpdateMode::Off,
            "Initial" => UpdateMode::Initial,
            "Recreate" => UpdateMode::Recreate,
            "Auto" => UpdateMode::Auto,
            "InPlaceOrRecreate" => UpdateMode::InPlaceOrRecreate,
            "InPlace" => UpdateMode::InPlace,
            _ => return None,
        })
    }

    /// Whether the updater evicts pods of this mode.
    pub fn evicts(self) -> bool {
        matches!(self, UpdateMode::Recreate | UpdateMode::Auto | UpdateMode::InPlaceOrRecreate)
    }
}

/// `controlledValues` of a container policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ControlledValues {
    /// Requests follow the recommendation and limits keep their ratio to requests (the default).
    #[default]
    RequestsAndLimits,
    /// Only requests change; recommendations are capped at the limits.
    RequestsOnly,
}

/// A resource the autoscaler controls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Resource {
    Cpu,
    Memory,
}

impl Resource {
    /// Both, in the order upstream lists them.
    pub const ALL: [Resource; 2] = [Resource::Cpu, Resource::Memory];

    /// The resource's name in a resource list.
    pub fn name(self) -> &'static str {
        match self {
            Resource::Cpu => "cpu",
            Resource::Memory => "memory",
        }
    }

    fn parse(name: &str) -> Option<Resource> {
        match name {
            "cpu" => Some(Resource::Cpu),
            "memory" => Some(Resource::Memory),
            _ => None,
        }
    }

    /// A quantity of this resource in the unit the recommender counts it in: millicores for CPU, bytes for
    /// memory (rounded up, as Kubernetes' `MilliValue` and `Value` round); `None` when it is not a quantity.
    pub fn amount(self, quantity: &Value) -> Option<i64> {
        let text = match quantity {
            Value::String(text) => text.clone(),
            Value::Number(number) => number.to_string(),
            _ => return None,
        };
        let amount = k8s_model::rounded_up(&text, self == Resource::Cpu)?;
        Some(i64::try_from(amount).unwrap_or(i64::MAX))
    }

    /// The quantity the recommender writes for an amount: `NNNm` (or whole cores) for CPU, bytes with the
    /// largest binary suffix that divides them for memory.
    pub fn quantity(self, amount: i64) -> String {
        let amount = amount.max(0);
        match self {
            Resource::Cpu => k8s_model::canonical_quantity(&format!("{amount}m"), true).unwrap_or_default(),
            Resource::Memory => binary_quantity(amount),
        }
    }
}

/// Bytes as Kubernetes writes a binary-SI quantity: `250Mi`, `1536Ki`, `380258472`.
pub fn binary_quantity(bytes: i64) -> String {
    if bytes < 1024 {
        return k8s_model::canonical_quantity(&bytes.to_string(), false).unwrap_or_else(|| bytes.to_string());
    }
    let mut value = bytes;
    let mut power = 0;
    while power < 6 && value % 1024 == 0 {
        value /= 1024;
        power += 1;
    }
    format!("{value}{}", ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][power])
}

/// Amounts by resource.
pub type Amounts = BTreeMap<Resource, i64>;

/// A resource list (`{"cpu": "250m"}`) read into amounts; entries that are not quantities are left out.
pub fn amounts(list: Option<&Value>) -> Amounts {
    let Some(list) = list.and_then(Value::as_object) else { return Amounts::new() };
    list.iter()
        .filter_map(|(name, quantity)| {
            let resource = Resource::parse(name)?;
            Some((resource, resource.amount(quantity)?))
        })
        .collect()
}

/// Amounts written as a resource list.
pub fn resource_list(amounts: &Amounts) -> Value {
    let map: serde_json::Map<String, Value> = amounts
        .iter()
        .map(|(resource, amount)| (resource.name().to_owned(), Value::String(resource.quantity(*amount))))
        .collect();
    Value::Object(map)
}

/// One entry of `spec.resourcePolicy.containerPolicies`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContainerPolicy {
    /// A container's name, or `*` for those without their own entry.
    pub container_name: String,
    /// `mode: Off` turns the autoscaler off for the container.
    pub off: bool,
    pub min_allowed: Amounts,
    pub max_allowed: Amounts,
    /// `None`: both resources.
    pub controlled_resources: Option<Vec<Resource>>,
    pub controlled_values: ControlledValues,
}

impl ContainerPolicy {
    /// The resources the policy lets the autoscaler control.
    pub fn controlled(policy: Option<&ContainerPolicy>) -> Vec<Resource> {
        policy.and_then(|p| p.controlled_resources.clone()).unwrap_or_else(|| Resource::ALL.to_vec())
    }
}

/// `spec.targetRef`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TargetRef {
    pub api_version: String,
    pub kind: String,
    pub name: String,
}

/// A VPA's spec as the recommender, the updater and the admission controller read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    pub target_ref: Option<TargetRef>,
    pub update_mode: UpdateMode,
    /// `updatePolicy.minReplicas`, which overrides the updater's `--min-replicas`.
    pub min_replicas: Option<i64>,
    /// `updatePolicy.evictAfterOOMSeconds`.
    pub evict_after_oom_seconds: Option<i64>,
    pub container_policies: Vec<ContainerPolicy>,
    /// The names in `spec.recommenders` (empty: the default recommender's).
    pub recommenders: Vec<String>,
}

impl Spec {
    /// Reads a spec; what is missing or unreadable takes upstream's default.
    pub fn read(spec: &Value) -> Spec {
        let target_ref = spec.get("targetRef").and_then(Value::as_object).map(|target| TargetRef {
            api_version: text(target.get("apiVersion")),
            kind: text(target.get("kind")),
            name: text(target.get("name")),
        });
        let policy = spec.get("updatePolicy");
        let update_mode = policy
            .and_then(|p| p.get("updateMode"))
            .and_then(Value::as_str)
            .and_then(UpdateMode::parse)
            .unwrap_or(UpdateMode::Recreate);
        let container_policies = spec
            .pointer("/resourcePolicy/containerPolicies")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|p| ContainerPolicy {
                container_name: text(p.get("containerName")),
                off: p.get("mode").and_then(Value::as_str) == Some("Off"),
                min_allowed: amounts(p.get("minAllowed")),
                max_allowed: amounts(p.get("maxAllowed")),
                controlled_resources: p
                    .get("controlledResources")
                    .and_then(Value::as_array)
                    .map(|names| names.iter().filter_map(Value::as_str).filter_map(Resource::parse).collect()),
                controlled_values: match p.get("controlledValues").and_then(Value::as_str) {
                    Some("RequestsOnly") => ControlledValues::RequestsOnly,
                    _ => ControlledValues::RequestsAndLimits,
                },
            })
            .collect();
        let recommenders = spec
            .get("recommenders")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| r.get("name").and_then(Value::as_str).map(str::to_owned))
            .collect();
        Spec {
            target_ref,
            update_mode,
            min_replicas: policy.and_then(|p| p.get("minReplicas")).and_then(Value::as_i64),
            evict_after_oom_seconds: policy.and_then(|p| p.get("evictAfterOOMSeconds")).and_then(Value::as_i64),
            container_policies,
            recommenders,
        }
    }

    /// The policy of a container: its own entry, else the `*` entry (upstream's `GetContainerResourcePolicy`).
    pub fn policy_of(&self, container: &str) -> Option<&ContainerPolicy> {
        self.container_policies
            .iter()
            .find(|p| p.container_name == container)
            .or_else(|| self.container_policies.iter().find(|p| p.container_name == "*"))
    }

    /// The container's controlled values.
    pub fn controlled_values(&self, container: &str) -> ControlledValues {
        self.policy_of(container).map(|p| p.controlled_values).unwrap_or_default()
    }
}

fn text(value: Option<&Value>) -> String {
    value.and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// One container's recommendation, in amounts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContainerRecommendation {
    pub container_name: String,
    pub target: Amounts,
    pub lower_bound: Amounts,
    pub upper_bound: Amounts,
    pub uncapped_target: Amounts,
}

impl ContainerRecommendation {
    /// As `status.recommendation.containerRecommendations[]` holds it.
    pub fn to_json(&self) -> Value {
        json!({
            "containerName": self.container_name,
            "target": resource_list(&self.target),
            "lowerBound": resource_list(&self.lower_bound),
            "upperBound": resource_list(&self.upper_bound),
            "uncappedTarget": resource_list(&self.uncapped_target),
        })
    }

    /// Read back from a status entry.
    pub fn from_json(value: &Value) -> ContainerRecommendation {
        ContainerRecommendation {
            container_name: text(value.get("containerName")),
            target: amounts(value.get("target")),
            lower_bound: amounts(value.get("lowerBound")),
            upper_bound: amounts(value.get("upperBound")),
            uncapped_target: amounts(value.get("uncappedTarget")),
        }
    }
}

/// The recommendation in a VPA's status.
pub fn recommendation_of(status: &Value) -> Vec<ContainerRecommendation> {
    status
        .pointer("/recommendation/containerRecommendations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(ContainerRecommendation::from_json)
        .collect()
}

/// The CRDs the VPA's charts install: `verticalpodautoscalers` (short name `vpa`, upstream's printer columns and
/// a schema that refuses unknown update modes, container modes and controlled values) and
/// `verticalpodautoscalercheckpoints`, both served at `v1`.
pub fn crds() -> Vec<Value> {
    let quantities = json!({
        "type": "object",
        "additionalProperties": { "x-kubernetes-int-or-string": true },
    });
    let string = json!({ "type": "string" });
    let integer = json!({ "type": "integer" });
    let recommendation = json!({
        "type": "object",
        "required": ["target"],
        "properties": {
            "containerName": string, "target": quantities, "lowerBound": quantities,
            "upperBound": quantities, "uncappedTarget": quantities,
        },
    });
    let container_policy = json!({
        "type": "object",
        "properties": {
            "containerName": string,
            "mode": { "type": "string", "enum": ["Auto", "Off"] },
            "minAllowed": quantities,
            "maxAllowed": quantities,
            "controlledResources": { "type": "array", "items": string },
            "controlledValues": { "type": "string", "enum": ["RequestsAndLimits", "RequestsOnly"] },
            "oomBumpUpRatio": { "x-kubernetes-int-or-string": true },
            "oomMinBumpUp": { "x-kubernetes-int-or-string": true },
            "memoryAggregationIntervalSeconds": { "type": "integer", "minimum": 1 },
            "memoryAggregationIntervalCount": { "type": "integer", "minimum": 1 },
            "startupBoost": { "type": "object", "x-kubernetes-preserve-unknown-fields": true },
        },
    });
    let spec = json!({
        "type": "object",
        "required": ["targetRef"],
        "properties": {
            "targetRef": {
                "type": "object",
                "required": ["kind", "name"],
                "properties": { "apiVersion": string, "kind": string, "name": string },
            },
            "updatePolicy": {
                "type": "object",
                "properties": {
                    "updateMode": {
                        "type": "string",
                        "enum": ["Off", "Initial", "Recreate", "InPlaceOrRecreate", "InPlace", "Auto"],
                    },
                    "minReplicas": integer,
                    "evictAfterOOMSeconds": { "type": "integer", "minimum": 1 },
                    "evictionRequirements": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["changeRequirement", "resources"],
                            "properties": {
                                "changeRequirement": {
                                    "type": "string",
                                    "enum": ["TargetHigherThanRequests", "TargetLowerThanRequests"],
                                },
                                "resources": { "type": "array", "items": string },
                            },
                        },
                    },
                },
            },
            "resourcePolicy": {
                "type": "object",
                "properties": { "containerPolicies": { "type": "array", "items": container_policy } },
            },
            "recommenders": {
                "type": "array",
                "items": { "type": "object", "required": ["name"], "properties": { "name": string } },
            },
            "startupBoost": { "type": "object", "x-kubernetes-preserve-unknown-fields": true },
        },
    });
    let condition = json!({
        "type": "object",
        "required": ["status", "type"],
        "properties": {
            "lastTransitionTime": { "type": "string", "format": "date-time" },
            "message": string, "reason": string, "status": string, "type": string,
            "observedGeneration": { "type": "integer", "minimum": 0 },
        },
    });
    let status = json!({
        "type": "object",
        "properties": {
            "conditions": { "type": "array", "items": condition },
            "observedGeneration": { "type": "integer", "minimum": 0 },
            "recommendation": {
                "type": "object",
                "properties": { "containerRecommendations": { "type": "array", "items": recommendation } },
            },
        },
    });
    let column = |name: &str, kind: &str, path: &str| json!({ "name": name, "type": kind, "jsonPath": path });
    let mut min_replicas = column("MinReplicas", "integer", ".spec.updatePolicy.minReplicas");
    min_replicas["priority"] = json!(1);
    let mut oom_seconds = column("OOMSeconds", "integer", ".spec.updatePolicy.evictAfterOOMSeconds");
    oom_seconds["priority"] = json!(1);
    let autoscalers = json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": format!("verticalpodautoscalers.{GROUP}"),
            "annotations": { "api-approved.kubernetes.io": "https://github.com/kubernetes/kubernetes/pull/63797" },
        },
        "spec": {
            "group": GROUP,
            "names": { "kind": "VerticalPodAutoscaler", "listKind": "VerticalPodAutoscalerList",
                       "plural": "verticalpodautoscalers", "singular": "verticalpodautoscaler",
                       "shortNames": ["vpa"] },
            "scope": "Namespaced",
            "versions": [{
                "name": "v1", "served": true, "storage": true,
                "schema": { "openAPIV3Schema": {
                    "type": "object",
                    "required": ["spec"],
                    "properties": {
                        "apiVersion": string, "kind": string, "metadata": { "type": "object" },
                        "spec": spec, "status": status,
                    },
                } },
                "subresources": { "status": {} },
                "additionalPrinterColumns": [
                    column("Mode", "string", ".spec.updatePolicy.updateMode"),
                    column("CPU", "string", ".status.recommendation.containerRecommendations[0].target.cpu"),
                    column("Mem", "string", ".status.recommendation.containerRecommendations[0].target.memory"),
                    column("Provided", "string",
                           ".status.conditions[?(@.type=='RecommendationProvided')].status"),
                    column("Age", "date", ".metadata.creationTimestamp"),
                    min_replicas,
                    oom_seconds,
                ],
            }],
        },
    });
    let open = json!({ "type": "object", "x-kubernetes-preserve-unknown-fields": true });
    let checkpoints = json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": format!("verticalpodautoscalercheckpoints.{GROUP}"),
            "annotations": { "api-approved.kubernetes.io": "https://github.com/kubernetes/kubernetes/pull/63797" },
        },
        "spec": {
            "group": GROUP,
            "names": { "kind": "VerticalPodAutoscalerCheckpoint",
                       "listKind": "VerticalPodAutoscalerCheckpointList",
                       "plural": "verticalpodautoscalercheckpoints",
                       "singular": "verticalpodautoscalercheckpoint", "shortNames": ["vpacheckpoint"] },
            "scope": "Namespaced",
            "versions": [{
                "name": "v1", "served": true, "storage": true,
                "schema": { "openAPIV3Schema": {
                    "type": "object",
                    "properties": {
                        "apiVersion": string, "kind": string, "metadata": { "type": "object" },
                        "spec": {
                            "type": "object",
                            "properties": { "containerName": string, "vpaObjectName": string },
                        },
                        "status": open,
                    },
                } },
                "subresources": { "status": {} },
            }],
        },
    });
    vec![autoscalers, checkpoints]
}
