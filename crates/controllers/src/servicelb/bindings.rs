//! What the AWS Load Balancer Controller keeps in the cluster beside its load balancers: a `TargetGroupBinding`
//! (`elbv2.k8s.aws/v1beta1`) per target group it made, named as the target group, in the namespace of the Service
//! whose targets it holds; the CRDs of `TargetGroupBinding` and `IngressClassParams` its helm chart installs; and
//! the pod readiness gates.
//!
//! Readiness gates, as the controller's pod webhook and target group reconciler work them: a pod created in a
//! namespace labelled `elbv2.k8s.aws/pod-readiness-gate-inject: enabled` gets the readiness gate
//! `target-health.elbv2.k8s.aws/<binding>` for each ip `TargetGroupBinding` of its namespace whose Service selects
//! it ([`ControllerWebhooks::gates_for`], asked by the binary's admission hook). Kubelet holds such a pod un-ready
//! until the gate's condition is `True`; its endpoint stays not-ready, yet its containers are ready, so the
//! controller registers it as a target, and once the target is healthy sets the condition, which lets the pod
//! become Ready: a rolling update waits for each new pod to be healthy in its target groups.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::RwLock;

use serde_json::{Value, json};

use crate::load_balancers::{BoundTargetGroup, TargetType};

/// The API group of the controller's resources.
pub const GROUP: &str = "elbv2.k8s.aws";
/// The namespace label that turns readiness gate injection on (value `enabled`).
pub const INJECT_LABEL: &str = "elbv2.k8s.aws/pod-readiness-gate-inject";
/// The prefix of a target health readiness gate's condition type; the binding's name follows.
pub const GATE_PREFIX: &str = "target-health.elbv2.k8s.aws/";
/// The prefix of the gates the older ALB ingress controller used, which injection replaces.
pub const LEGACY_GATE_PREFIX: &str = "target-health.alb.ingress.k8s.aws/";

/// The finalizer the controller puts on a `TargetGroupBinding` made by hand, to deregister its targets when it
/// goes.
pub const BINDING_FINALIZER: &str = "elbv2.k8s.aws/resources";

/// A `TargetGroupBinding` as the controller reads it.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct TargetGroupBinding {
    #[serde(default)]
    pub metadata: kube::core::ObjectMeta,
    #[serde(default)]
    pub spec: BindingSpec,
}

/// What a `TargetGroupBinding` binds: a target group (by ARN) to a Service port.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BindingSpec {
    #[serde(rename = "targetGroupARN", default)]
    pub target_group_arn: String,
    /// `ip` or `instance`; absent: the target group's own type.
    #[serde(default)]
    pub target_type: Option<String>,
    #[serde(default)]
    pub service_ref: ServiceRef,
}

/// The Service port whose endpoints or node port become targets.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ServiceRef {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub port: Option<k8s_openapi::apimachinery::pkg::util::intstr::IntOrString>,
}

custom_resource!(
    TargetGroupBinding,
    kube::core::NamespaceResourceScope,
    GROUP,
    "v1beta1",
    "TargetGroupBinding",
    "targetgroupbindings"
);

impl TargetGroupBinding {
    /// Whether the controller made it for one of its own load balancers (its stack labels say so), rather than a
    /// user for a target group made elsewhere.
    pub fn is_own(&self) -> bool {
        self.metadata.labels.as_ref().is_some_and(|labels| {
            ["service.k8s.aws/stack-name", "ingress.k8s.aws/stack", "ingress.k8s.aws/stack-name"]
                .iter()
                .any(|key| labels.contains_key(*key))
        })
    }
}

/// What owns a set of bindings: a Service, or an Ingress group. Its labels mark the bindings, as the
/// controller's tracking labels do.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Stack {
    Service {
        namespace: String,
        name: String,
    },
    /// An explicit group by its name.
    Group(String),
    /// A lone Ingress.
    Ingress {
        namespace: String,
        name: String,
    },
}

impl Stack {
    /// The labels every binding of the stack carries.
    pub fn labels(&self) -> BTreeMap<String, String> {
        let pairs: Vec<(&str, &str)> = match self {
            Stack::Service { namespace, name } => {
                vec![("service.k8s.aws/stack-namespace", namespace), ("service.k8s.aws/stack-name", name)]
            }
            Stack::Group(group) => vec![("ingress.k8s.aws/stack", group)],
            Stack::Ingress { namespace, name } => {
                vec![("ingress.k8s.aws/stack-namespace", namespace), ("ingress.k8s.aws/stack-name", name)]
            }
        };
        pairs.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
    }

    /// The labels as a label selector.
    pub fn selector(&self) -> String {
        self.labels().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
    }
}

/// The `TargetGroupBinding` of a target group.
pub fn binding(group: &BoundTargetGroup, stack: &Stack) -> Value {
    let port: Value = group.port.parse::<i64>().map_or_else(|_| json!(group.port), |n| json!(n));
    json!({
        "apiVersion": format!("{GROUP}/v1beta1"),
        "kind": "TargetGroupBinding",
        "metadata": { "name": group.name, "namespace": group.namespace, "labels": stack.labels() },
        "spec": {
            "targetGroupARN": group.arn,
            "targetType": target_type(group.target_type),
            "serviceRef": { "name": group.service, "port": port },
            "ipAddressType": "ipv4",
            "vpcID": group.vpc_id,
        },
    })
}

fn target_type(target_type: TargetType) -> &'static str {
    match target_type {
        TargetType::Instance => "instance",
        TargetType::Ip => "ip",
    }
}

/// The CRDs the controller's helm chart installs: `TargetGroupBinding` and `IngressClassParams`, with the
/// chart's printer columns; their schemas keep what they are given.
pub fn crds() -> Vec<Value> {
    let open = json!({ "type": "object", "x-kubernetes-preserve-unknown-fields": true });
    let schema = json!({ "openAPIV3Schema": { "type": "object", "properties": {
        "spec": open, "status": open,
    } } });
    let column = |name: &str, path: &str, kind: &str, description: &str| json!({ "name": name, "jsonPath": path, "type": kind, "description": description });
    let age = json!({ "name": "AGE", "jsonPath": ".metadata.creationTimestamp", "type": "date" });
    let mut arn = column("ARN", ".spec.targetGroupARN", "string", "The AWS TargetGroup's Amazon Resource Name");
    arn["priority"] = json!(1);
    let bindings = json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": { "name": format!("targetgroupbindings.{GROUP}") },
        "spec": {
            "group": GROUP,
            "names": { "kind": "TargetGroupBinding", "listKind": "TargetGroupBindingList",
                       "plural": "targetgroupbindings", "singular": "targetgroupbinding" },
            "scope": "Namespaced",
            "versions": [{
                "name": "v1beta1", "served": true, "storage": true,
                "schema": schema,
                "subresources": { "status": {} },
                "additionalPrinterColumns": [
                    column("SERVICE-NAME", ".spec.serviceRef.name", "string", "The Kubernetes Service's name"),
                    column("SERVICE-PORT", ".spec.serviceRef.port", "string", "The Kubernetes Service's port"),
                    column("TARGET-TYPE", ".spec.targetType", "string", "The AWS TargetGroup's TargetType"),
                    arn,
                    age.clone(),
                ],
            }],
        },
    });
    let params = json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": { "name": format!("ingressclassparams.{GROUP}") },
        "spec": {
            "group": GROUP,
            "names": { "kind": "IngressClassParams", "listKind": "IngressClassParamsList",
                       "plural": "ingressclassparams", "singular": "ingressclassparams" },
            "scope": "Cluster",
            "versions": [{
                "name": "v1beta1", "served": true, "storage": true,
                "schema": schema,
                "additionalPrinterColumns": [
                    column("GROUP-NAME", ".spec.group.name", "string", "The Ingress Group name"),
                    column("SCHEME", ".spec.scheme", "string", "The AWS Load Balancer scheme"),
                    column("IP-ADDRESS-TYPE", ".spec.ipAddressType", "string", "The AWS Load Balancer ipAddressType"),
                    age,
                ],
            }],
        },
    });
    vec![bindings, params]
}

/// One ip binding as readiness gate injection needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateBinding {
    pub namespace: String,
    pub name: String,
    /// The selector of the binding's Service (empty selects nothing).
    pub selector: BTreeMap<String, String>,
}

#[derive(Debug, Default)]
struct GateIndex {
    /// Namespaces labelled for injection.
    enabled: HashSet<String>,
    bindings: Vec<GateBinding>,
}

/// What the AWS Load Balancer Controller's mutating webhooks do, kept by the load balancer controller and read in
/// memory by the binary's admission hooks, once per new pod or Service:
/// - which readiness gates new pods get (namespaces labelled for injection, its ip bindings and their Services'
///   selectors);
/// - whether new `LoadBalancer` Services without a class get the controller's (`service.k8s.aws/nlb`): while the
///   controller runs and the cluster holds a MutatingWebhookConfiguration with its Service webhook
///   (`mservice.elbv2.k8s.aws`), as its helm chart installs it unless `enableServiceMutatorWebhook` is false.
#[derive(Debug, Default)]
pub struct ControllerWebhooks {
    index: RwLock<GateIndex>,
    mutates_services: std::sync::atomic::AtomicBool,
}

/// The name of the controller's Service webhook in its MutatingWebhookConfiguration.
pub const SERVICE_WEBHOOK: &str = "mservice.elbv2.k8s.aws";

impl ControllerWebhooks {
    /// The gates a new pod of `namespace` with `labels` gets: none unless its namespace is labelled for
    /// injection; else one per ip binding of the namespace whose Service's selector matches the labels.
    pub fn gates_for(&self, namespace: &str, labels: &BTreeMap<String, String>) -> Vec<String> {
        let index = self.index.read().expect("readiness gates lock");
        if !index.enabled.contains(namespace) {
            return Vec::new();
        }
        index
            .bindings
            .iter()
            .filter(|b| b.namespace == namespace && !b.selector.is_empty())
            .filter(|b| b.selector.iter().all(|(key, value)| labels.get(key) == Some(value)))
            .map(|b| format!("{GATE_PREFIX}{}", b.name))
            .collect()
    }

    /// The class a new `LoadBalancer` Service without one gets, if any.
    pub fn service_class(&self) -> Option<&'static str> {
        self.mutates_services.load(std::sync::atomic::Ordering::Relaxed).then_some(super::CONTROLLER_CLASS)
    }

    /// Turns the Service webhook on or off.
    pub fn set_mutates_services(&self, on: bool) {
        self.mutates_services.store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether new pods of `namespace` may get gates (its label asks for them).
    pub fn injects(&self, namespace: &str) -> bool {
        self.index.read().expect("readiness gates lock").enabled.contains(namespace)
    }

    /// Replaces what injection reads.
    pub fn replace(&self, enabled: HashSet<String>, bindings: Vec<GateBinding>) {
        let mut index = self.index.write().expect("readiness gates lock");
        if index.enabled != enabled || index.bindings != bindings {
            *index = GateIndex { enabled, bindings };
        }
    }
}

/// Adds `gates` to a pod (JSON, as admission holds it) that lacks them, dropping the older controller's gates
/// when it adds any, as the controller's pod webhook does.
pub fn inject_gates(pod: &mut Value, gates: &[String]) {
    if gates.is_empty() {
        return;
    }
    let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) else { return };
    let list = spec.entry("readinessGates").or_insert_with(|| json!([]));
    let Some(list) = list.as_array_mut() else { return };
    list.retain(|gate| !gate["conditionType"].as_str().is_some_and(|t| t.starts_with(LEGACY_GATE_PREFIX)));
    for gate in gates {
        if !list.iter().any(|g| g["conditionType"] == gate.as_str()) {
            list.push(json!({ "conditionType": gate }));
        }
    }
}

/// Gives a new Service (JSON, as admission holds it) `class` when it is of type `LoadBalancer` without a class, as
/// the controller's Service webhook does (its own Services, labelled with its name, are left alone).
pub fn default_class(service: &mut Value, class: &str) {
    if service.pointer("/metadata/labels/app.kubernetes.io~1name").and_then(Value::as_str)
        == Some(super::CONTROLLER_IMAGE)
    {
        return;
    }
    let Some(spec) = service.get_mut("spec").and_then(Value::as_object_mut) else { return };
    let load_balancer = spec.get("type").and_then(Value::as_str) == Some("LoadBalancer");
    let classless = spec.get("loadBalancerClass").and_then(Value::as_str).is_none_or(str::is_empty);
    if load_balancer && classless {
        spec.insert("loadBalancerClass".into(), json!(class));
    }
}

/// A pod whose containers are ready but which is not Ready (its readiness gates hold it): a target the
/// controller registers. `pending` are its target health gates whose condition is not yet `True`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeldPod {
    pub pending: Vec<String>,
}

/// Whether a pod (as read) is held back only by its readiness gates: containers ready, not deleting, and which
/// of its target health gates still wait.
pub fn held(pod: &k8s_openapi::api::core::v1::Pod) -> Option<HeldPod> {
    if pod.metadata.deletion_timestamp.is_some() {
        return None;
    }
    let conditions = pod.status.as_ref()?.conditions.as_deref().unwrap_or_default();
    let status_of = |kind: &str| conditions.iter().find(|c| c.type_ == kind).map(|c| c.status.as_str());
    if status_of("ContainersReady") != Some("True") {
        return None;
    }
    let gates = pod.spec.as_ref()?.readiness_gates.as_deref().unwrap_or_default();
    let pending = gates
        .iter()
        .map(|g| g.condition_type.clone())
        .filter(|t| t.starts_with(GATE_PREFIX) && status_of(t) != Some("True"))
        .collect();
    Some(HeldPod { pending })
}

/// Pods held back by their gates, by namespace and name, as read in one pass.
pub type HeldPods = HashMap<(String, String), HeldPod>;

#[cfg(test)]
mod tests;
