//! `IngressClassParams`: settings an IngressClass gives every Ingress of its class through `spec.parameters`,
//! taking precedence over the Ingresses' own annotations, in two flavours.
//!
//! - The AWS Load Balancer Controller's (`elbv2.k8s.aws/v1beta1`): `group.name`, `scheme`, `ipAddressType`,
//!   `loadBalancerName`, `inboundCIDRs`, `certificateArn`, `subnets` (`ids`, or `tags`: a map of a tag to its
//!   accepted values), `tags` and `loadBalancerAttributes` (each merged over the annotation's) and `targetType`.
//! - EKS Auto Mode's (`eks.amazonaws.com/v1`, [`super::auto_mode_alb`]): the same but `certificateARNs`, and subnets
//!   by `ids` or `matchTags` (`[{key, values}]`); no `loadBalancerName` or `targetType`.
//!
//! Both are cluster-scoped, and their `namespaceSelector` limits the namespaces whose Ingresses may use the class.
//! A class that names parameters of another kind or flavour, parameters that do not exist, a namespace the
//! selector leaves out or subnets given both ways make the Ingress's group fail to build, in the controller's
//! words.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::ResourceExt;
use serde_json::Value;

use super::auto_mode_alb::{self, AutoModeIngressClassParams};
use super::bindings::GROUP;
use crate::load_balancers::Provisioner;

/// An `IngressClassParams` as the controller reads it.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct IngressClassParams {
    #[serde(default)]
    pub metadata: kube::core::ObjectMeta,
    #[serde(default)]
    pub spec: Value,
}

custom_resource!(
    IngressClassParams,
    kube::core::ClusterResourceScope,
    super::bindings::GROUP,
    "v1beta1",
    "IngressClassParams",
    "ingressclassparams"
);

/// The parameters in the cluster, of both flavours.
#[derive(Debug, Clone, Copy)]
pub struct ParamsInCluster<'a> {
    pub controller: &'a [Arc<IngressClassParams>],
    pub auto_mode: &'a [Arc<AutoModeIngressClassParams>],
}

/// Subnets chosen by their tags: each tag's key with one of its values (any value when none is listed).
pub type SubnetTags = Vec<(String, Vec<String>)>;

/// The parameters (their `spec`) the class of `ingress` gives it, `provisioner` serving the class: `None` when
/// its class has none; an error, as the controller words it, when they cannot be used.
pub fn params_of<'a>(
    ingress: &Ingress,
    provisioner: Provisioner,
    classes: &[&IngressClass],
    params: ParamsInCluster<'a>,
    namespace_labels: &BTreeMap<String, String>,
) -> Result<Option<&'a Value>, String> {
    let Some(class_name) = ingress.spec.as_ref().and_then(|s| s.ingress_class_name.as_deref()) else { return Ok(None) };
    let Some(class) = classes.iter().find(|c| c.name_any() == class_name) else { return Ok(None) };
    let Some(reference) = class.spec.as_ref().and_then(|s| s.parameters.as_ref()) else { return Ok(None) };
    let (group, found) = match provisioner {
        Provisioner::AutoMode => {
            (auto_mode_alb::GROUP, params.auto_mode.iter().find(|p| p.name_any() == reference.name).map(|p| &p.spec))
        }
        Provisioner::LoadBalancerController | Provisioner::InTree => {
            (GROUP, params.controller.iter().find(|p| p.name_any() == reference.name).map(|p| &p.spec))
        }
    };
    if reference.api_group.as_deref() != Some(group) || reference.kind != "IngressClassParams" {
        return Err(format!("invalid ingress class: IngressClass {class_name} references unknown parameters"));
    }
    let Some(found) = found else {
        return Err(format!("invalid ingress class: ingressclassparams.{group} \"{}\" not found", reference.name));
    };
    if let Some(selector) = found.get("namespaceSelector").filter(|s| !s.is_null()) {
        let selector: LabelSelector = serde_json::from_value(selector.clone())
            .map_err(|error| format!("invalid ingress class: namespaceSelector: {error}"))?;
        if !crate::batch_support::selector_matches(&selector, namespace_labels) {
            return Err(format!(
                "invalid ingress class: namespaceSelector of IngressClassParams {} mismatch",
                reference.name
            ));
        }
    }
    Ok(Some(found))
}

/// `ingress` with the settings of its class's parameters (of `provisioner`'s flavour) written over its
/// annotations, and the subnets they choose by tags (then the subnets annotation is dropped).
pub fn with_params(
    ingress: &Ingress,
    provisioner: Provisioner,
    params: &Value,
) -> Result<(Ingress, SubnetTags), String> {
    let auto_mode = provisioner == Provisioner::AutoMode;
    let mut ingress = ingress.clone();
    let annotations = ingress.metadata.annotations.get_or_insert_with(BTreeMap::new);
    let mut set = |suffix: &str, value: String| {
        annotations.insert(format!("alb.ingress.kubernetes.io/{suffix}"), value);
    };
    let text = |path: &str| params.pointer(path).and_then(Value::as_str).filter(|v| !v.is_empty()).map(str::to_owned);
    let joined = |path: &str| {
        let items: Vec<&str> = params.pointer(path)?.as_array()?.iter().filter_map(Value::as_str).collect();
        (!items.is_empty()).then(|| items.join(","))
    };
    if let Some(group) = text("/group/name") {
        set("group.name", group);
    }
    let mut texts = vec![("/scheme", "scheme"), ("/ipAddressType", "ip-address-type")];
    if !auto_mode {
        texts.extend([("/loadBalancerName", "load-balancer-name"), ("/targetType", "target-type")]);
    }
    for (path, suffix) in texts {
        if let Some(value) = text(path) {
            set(suffix, value);
        }
    }
    if let Some(value) = joined("/inboundCIDRs") {
        set("inbound-cidrs", value);
    }
    if let Some(value) = joined(if auto_mode { "/certificateARNs" } else { "/certificateArn" }) {
        set("certificate-arn", value);
    }
    let subnet_tags = subnet_tags(params, auto_mode);
    match (joined("/subnets/ids"), subnet_tags.is_empty()) {
        (Some(_), false) => {
            let tags = if auto_mode { "matchTags" } else { "tags" };
            return Err(format!("invalid ingress class: subnets: must specify exactly one of ids or {tags}"));
        }
        (Some(ids), true) => set("subnets", ids),
        (None, false) => {
            annotations.remove("alb.ingress.kubernetes.io/subnets");
        }
        (None, true) => {}
    }
    for (field, suffix) in [("tags", "tags"), ("loadBalancerAttributes", "load-balancer-attributes")] {
        let Some(pairs) = params.get(field).and_then(Value::as_array).filter(|t| !t.is_empty()) else { continue };
        let key = format!("alb.ingress.kubernetes.io/{suffix}");
        let mut merged: BTreeMap<String, String> = annotations
            .get(&key)
            .map(|v| {
                v.split(',')
                    .filter_map(|pair| pair.split_once('=').map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        for pair in pairs {
            if let Some(k) = pair.get("key").and_then(Value::as_str) {
                merged.insert(k.to_owned(), pair.get("value").and_then(Value::as_str).unwrap_or_default().to_owned());
            }
        }
        let text: Vec<String> = merged.iter().map(|(k, v)| format!("{k}={v}")).collect();
        annotations.insert(key, text.join(","));
    }
    Ok((ingress, subnet_tags))
}

/// The subnets parameters choose by tags: Auto Mode's `subnets.matchTags` (`[{key, values}]`) or the
/// controller's `subnets.tags` (`{key: values}`).
fn subnet_tags(params: &Value, auto_mode: bool) -> SubnetTags {
    let values = |list: Option<&Value>| -> Vec<String> {
        list.and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect()
    };
    let mut found: SubnetTags = if auto_mode {
        let terms = params.pointer("/subnets/matchTags").and_then(Value::as_array).into_iter().flatten();
        terms.filter_map(|term| Some((term.get("key")?.as_str()?.to_owned(), values(term.get("values"))))).collect()
    } else {
        let tags = params.pointer("/subnets/tags").and_then(Value::as_object).into_iter().flatten();
        tags.map(|(key, list)| (key.clone(), values(Some(list)))).collect()
    };
    found.retain(|(key, _)| !key.is_empty());
    found
}

#[cfg(test)]
mod tests;
