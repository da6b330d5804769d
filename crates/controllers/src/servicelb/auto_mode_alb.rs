//! EKS Auto Mode's Application Load Balancers: while the cluster has Auto Mode's load balancing capability on,
//! every Ingress of an IngressClass whose controller is `eks.amazonaws.com/alb` gets an ALB made by Auto Mode, with
//! or without the AWS Load Balancer Controller in the cluster. Auto Mode reads an Ingress as the controller does
//! (the `alb.ingress.kubernetes.io/*` annotations, [`super::ingress`]) with these differences, as the EKS user
//! guide lists them:
//!
//! - targets are the pods (`ip`) unless `target-type` says `instance`;
//! - Ingresses share a load balancer only through their class's `IngressClassParams` `group.name`: the
//!   `group.name` annotation and the older `kubernetes.io/ingress.class` annotation are not read;
//! - the class's parameters are `IngressClassParams` of `eks.amazonaws.com/v1` (cluster-scoped; EKS installs their
//!   CRD, [`crd`], once the capability is on): `certificateARNs` rather than `certificateArn`, subnets by `ids` or
//!   `matchTags` (`[{key, values}]`, exactly one of the two), no `loadBalancerName` or `targetType`;
//! - the finalizer is `ingress.eks.amazonaws.com/resources` (`group.ingress.eks.amazonaws.com/<group>` in a
//!   group), and the load balancer's resources are tagged `eks:eks-cluster-name` and
//!   `ingress.eks.amazonaws.com/stack`.
//!
//! While the capability is off such Ingresses stay without an address, and turning it off takes away the load
//! balancers Auto Mode made (their Ingresses lose their status and finalizer).

use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::networking::v1::Ingress;
use kube::api::Api;
use serde_json::{Value, json};

use super::{Controller, Looks};

/// The IngressClass controller of Auto Mode's load balancing.
pub const CONTROLLER: &str = "eks.amazonaws.com/alb";
/// The API group of Auto Mode's resources.
pub const GROUP: &str = "eks.amazonaws.com";
/// Auto Mode's finalizer on an Ingress alone in its group.
pub const IMPLICIT_FINALIZER: &str = "ingress.eks.amazonaws.com/resources";
/// The prefix of Auto Mode's finalizer on the members of a group; the group's name follows.
pub const GROUP_FINALIZER_PREFIX: &str = "group.ingress.eks.amazonaws.com/";
/// How often a cluster whose CRD is not made yet is asked whether Auto Mode load balancing is on, when nothing
/// in the pass asked already.
const LOOK: Duration = Duration::from_secs(10);

/// The annotations Auto Mode does not read.
const UNREAD_ANNOTATIONS: [&str; 1] = ["alb.ingress.kubernetes.io/group.name"];

/// An `IngressClassParams` of `eks.amazonaws.com/v1`, as Auto Mode reads it.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct AutoModeIngressClassParams {
    #[serde(default)]
    pub metadata: kube::core::ObjectMeta,
    #[serde(default)]
    pub spec: Value,
}

custom_resource!(
    AutoModeIngressClassParams,
    kube::core::ClusterResourceScope,
    GROUP,
    "v1",
    "IngressClassParams",
    "ingressclassparams"
);

/// `ingress` without the annotations Auto Mode does not read.
pub fn as_read(ingress: &Ingress) -> Ingress {
    let mut ingress = ingress.clone();
    if let Some(annotations) = ingress.metadata.annotations.as_mut() {
        for key in UNREAD_ANNOTATIONS {
            annotations.remove(key);
        }
    }
    ingress
}

/// The definition of `ingressclassparams.eks.amazonaws.com` as EKS installs it: its fields, enums, bounds,
/// patterns and printer columns.
pub fn crd() -> Value {
    let string = json!({ "type": "string" });
    let strings = json!({ "type": "array", "items": { "type": "string" } });
    let pairs = |key_max: u64, value_max: u64| {
        json!({ "type": "array", "items": { "type": "object", "required": ["key", "value"], "properties": {
            "key": { "type": "string", "minLength": 1, "maxLength": key_max },
            "value": { "type": "string", "maxLength": value_max },
        } } })
    };
    let selector = json!({ "type": "object", "x-kubernetes-map-type": "atomic", "properties": {
        "matchLabels": { "type": "object", "additionalProperties": { "type": "string" } },
        "matchExpressions": { "type": "array", "x-kubernetes-list-type": "atomic", "items": {
            "type": "object", "required": ["key", "operator"], "properties": {
                "key": string, "operator": string,
                "values": { "type": "array", "items": { "type": "string" }, "x-kubernetes-list-type": "atomic" },
            } } },
    } });
    let spec = json!({ "type": "object", "properties": {
        "namespaceSelector": selector,
        "group": { "type": "object", "required": ["name"], "properties": {
            "name": { "type": "string", "minLength": 1, "maxLength": 63,
                      "pattern": "^([a-z0-9][-a-z0-9.]*)?[a-z0-9]$" },
        } },
        "scheme": { "type": "string", "enum": ["internal", "internet-facing"] },
        "ipAddressType": { "type": "string", "enum": ["ipv4", "dualstack", "dualstack-without-public-ipv4"] },
        "inboundCIDRs": strings,
        "sslPolicy": string,
        "certificateARNs": strings,
        "subnets": { "type": "object", "properties": {
            "ids": { "type": "array", "items": { "type": "string", "pattern": "^subnet-[0-9a-f]+$" } },
            "matchTags": { "type": "array", "items": { "type": "object", "required": ["key"], "properties": {
                "key": { "type": "string", "minLength": 1, "maxLength": 128 },
                "values": strings,
            } } },
        } },
        "tags": pairs(128, 256),
        "loadBalancerAttributes": pairs(256, 1024),
        "listeners": { "type": "array", "items": { "type": "object", "required": ["port", "protocol"], "properties": {
            "protocol": { "type": "string", "enum": ["HTTP", "HTTPS"] },
            "port": { "type": "integer", "format": "int32", "minimum": 1, "maximum": 65535 },
            "attributes": pairs(256, 1024),
        } } },
    } });
    let column = |name: &str, path: &str| json!({ "name": name, "jsonPath": path, "type": "string" });
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": { "name": format!("ingressclassparams.{GROUP}") },
        "spec": {
            "group": GROUP,
            "names": { "kind": "IngressClassParams", "listKind": "IngressClassParamsList",
                       "plural": "ingressclassparams", "singular": "ingressclassparams" },
            "scope": "Cluster",
            "versions": [{
                "name": "v1", "served": true, "storage": true,
                "schema": { "openAPIV3Schema": { "type": "object", "properties": { "spec": spec } } },
                "additionalPrinterColumns": [
                    column("GROUP-NAME", ".spec.group.name"),
                    column("SCHEME", ".spec.scheme"),
                    column("IP-ADDRESS-TYPE", ".spec.ipAddressType"),
                    { "name": "AGE", "jsonPath": ".metadata.creationTimestamp", "type": "date" },
                ],
            }],
        },
    })
}

impl Controller {
    /// Puts Auto Mode's `IngressClassParams` CRD into the cluster once its load balancing is on (asked at most
    /// every [`LOOK`] unless the pass asked already), and from then on watches the parameters.
    pub(super) async fn ensure_auto_mode_crd(&mut self, looks: &mut Looks) {
        if self.auto_mode_params.is_some() {
            return;
        }
        let now = Instant::now();
        if looks.auto_mode.is_none() && now < self.next_auto_mode_look {
            return;
        }
        self.next_auto_mode_look = now + LOOK;
        if self.auto_mode(looks).await != Some(true) {
            return;
        }
        if let Err(error) = crate::crds::ensure(&self.client, [crd()]).await {
            tracing::debug!(%error, "could not create Auto Mode's IngressClassParams CRD; trying again");
            return;
        }
        let api = Api::<AutoModeIngressClassParams>::all(self.client.clone());
        let lean: fn(&mut AutoModeIngressClassParams) = |p| p.metadata.managed_fields = None;
        self.auto_mode_params = Some(crate::batch_support::reflect(api, lean, Some(Arc::clone(&self.changed))));
    }
}

#[cfg(test)]
mod tests;
