//! `IngressClassParams` (`elbv2.k8s.aws/v1beta1`, cluster-scoped): settings an IngressClass of the AWS Load
//! Balancer Controller gives every Ingress of its class through `spec.parameters`, taking precedence over the
//! Ingresses' own annotations: `group.name`, `scheme`, `loadBalancerName`, `inboundCIDRs`, `certificateArn`,
//! `subnets.ids`, `tags` (merged over the annotation's) and `targetType`; `namespaceSelector` limits the namespaces
//! whose Ingresses may use the class. A class that names unknown parameters, parameters that do not exist or a
//! namespace the selector leaves out make the Ingress's group fail to build, in the controller's words.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::ResourceExt;
use serde_json::Value;

use super::bindings::GROUP;
use super::ingress::ALB_CONTROLLER;

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

/// The parameters the class of `ingress` gives it: `None` when its class has none (or is not the controller's);
/// an error, as the controller words it, when they cannot be used.
pub fn params_of<'a>(
    ingress: &Ingress,
    classes: &[&IngressClass],
    params: &'a [std::sync::Arc<IngressClassParams>],
    namespace_labels: &BTreeMap<String, String>,
) -> Result<Option<&'a IngressClassParams>, String> {
    let Some(class_name) = ingress.spec.as_ref().and_then(|s| s.ingress_class_name.as_deref()) else { return Ok(None) };
    let Some(class) = classes.iter().find(|c| c.name_any() == class_name) else { return Ok(None) };
    let spec = class.spec.as_ref();
    let Some(reference) = spec.and_then(|s| s.parameters.as_ref()) else { return Ok(None) };
    if spec.and_then(|s| s.controller.as_deref()) != Some(ALB_CONTROLLER) {
        return Ok(None);
    }
    if reference.api_group.as_deref() != Some(GROUP) || reference.kind != "IngressClassParams" {
        return Err(format!("invalid ingress class: IngressClass {class_name} references unknown parameters"));
    }
    let Some(found) = params.iter().find(|p| p.name_any() == reference.name) else {
        return Err(format!("invalid ingress class: ingressclassparams.{GROUP} \"{}\" not found", reference.name));
    };
    if let Some(selector) = found.spec.get("namespaceSelector").filter(|s| !s.is_null()) {
        let selector: LabelSelector = serde_json::from_value(selector.clone())
            .map_err(|error| format!("invalid ingress class: namespaceSelector: {error}"))?;
        if !crate::batch_support::selector_matches(&selector, namespace_labels) {
            return Err(format!(
                "invalid ingress class: namespaceSelector of IngressClassParams {} mismatch",
                reference.name
            ));
        }
    }
    Ok(Some(found.as_ref()))
}

/// `ingress` with the settings of its class's parameters written over its annotations.
pub fn with_params(ingress: &Ingress, params: &Value) -> Ingress {
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
    for (path, suffix) in
        [("/scheme", "scheme"), ("/loadBalancerName", "load-balancer-name"), ("/targetType", "target-type")]
    {
        if let Some(value) = text(path) {
            set(suffix, value);
        }
    }
    if let Some(value) = joined("/inboundCIDRs") {
        set("inbound-cidrs", value);
    }
    if let Some(value) = joined("/certificateArn") {
        set("certificate-arn", value);
    }
    let subnets: Vec<&str> = params
        .pointer("/subnets/ids")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if !subnets.is_empty() {
        set("subnets", subnets.join(","));
    }
    if let Some(tags) = params.get("tags").and_then(Value::as_array).filter(|t| !t.is_empty()) {
        let key = "alb.ingress.kubernetes.io/tags";
        let mut merged: BTreeMap<String, String> = annotations
            .get(key)
            .map(|v| {
                v.split(',')
                    .filter_map(|pair| pair.split_once('=').map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        for tag in tags {
            if let Some(k) = tag.get("key").and_then(Value::as_str) {
                merged.insert(k.to_owned(), tag.get("value").and_then(Value::as_str).unwrap_or_default().to_owned());
            }
        }
        let text: Vec<String> = merged.iter().map(|(k, v)| format!("{k}={v}")).collect();
        annotations.insert(key.to_owned(), text.join(","));
    }
    ingress
}

#[cfg(test)]
mod tests;
