//! The VPA admission controller (upstream's `pkg/admission-controller/resource/pod`): a new pod whose controller is
//! the target of a VPA in a mode other than `Off` gets its containers' requests set to the VPA's recommendation
//! (capped as [`super::updater::capped_for_pod`] caps it) and, for `RequestsAndLimits` containers, limits that keep
//! their original ratio to the requests; the annotation `vpaUpdates` says what changed and `vpaObservedContainers`
//! lists the pod's containers.
//!
//! [`Recommendations`] is the table the controller keeps in memory per cluster and the binary's pod admission hook
//! reads, once per new pod, while the cluster runs the admission controller.

use std::collections::{BTreeMap, HashMap};
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};

use super::api::{Amounts, ContainerRecommendation, ControlledValues, Resource, Spec, TargetRef, amounts};
use super::updater::{OBSERVED_CONTAINERS, capped_for_pod};

/// The annotation that says which resources the admission controller set.
pub const UPDATES_ANNOTATION: &str = "vpaUpdates";

/// One VPA as admission matches pods against it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub vpa: String,
    pub target: TargetRef,
    /// The target's pod selector.
    pub selector: kube::core::Selector,
    pub spec: Spec,
    pub recommendation: Vec<ContainerRecommendation>,
}

/// What the VPA's admission controller answers, by namespace, kept by the VPA controller.
#[derive(Debug, Default)]
pub struct Recommendations {
    entries: RwLock<HashMap<String, Vec<Entry>>>,
    installed: AtomicBool,
}

impl Recommendations {
    /// Replaces the table.
    pub fn replace(&self, entries: HashMap<String, Vec<Entry>>) {
        *self.entries.write().expect("recommendations lock") = entries;
    }

    /// Turns admission on or off (while the admission controller's Deployment is available).
    pub fn set_installed(&self, installed: bool) {
        self.installed.store(installed, Ordering::Relaxed);
    }

    /// Whether the admission controller acts.
    pub fn installed(&self) -> bool {
        self.installed.load(Ordering::Relaxed)
    }

    /// Mutates a new pod (JSON, as admission holds it) of `namespace` as the admission controller would; answers
    /// whether it changed anything.
    pub fn admit(&self, namespace: &str, pod: &mut Value) -> bool {
        if !self.installed() {
            return false;
        }
        let entry = {
            let entries = self.entries.read().expect("recommendations lock");
            let Some(candidates) = entries.get(namespace) else { return false };
            match matching(candidates, pod) {
                Some(entry) => entry.clone(),
                None => return false,
            }
        };
        patch_pod(pod, &entry.vpa, &entry.spec, &entry.recommendation);
        true
    }
}

/// The controller owner reference of a pod (JSON): kind and name.
fn controller_of(pod: &Value) -> Option<(String, String)> {
    let owners = pod.pointer("/metadata/ownerReferences")?.as_array()?;
    let owner = owners.iter().find(|o| o.get("controller").and_then(Value::as_bool) == Some(true))?;
    Some((owner.get("kind")?.as_str()?.to_owned(), owner.get("name")?.as_str()?.to_owned()))
}

/// Whether a pod whose controller is `owner` and whose labels are `labels` belongs to `target`: the target itself,
/// or a Deployment's ReplicaSet of the pod's template hash, or a CronJob's Job.
pub fn controlled_by_target(owner: &(String, String), labels: &BTreeMap<String, String>, target: &TargetRef) -> bool {
    let (kind, name) = owner;
    if *kind == target.kind && *name == target.name {
        return true;
    }
    match (target.kind.as_str(), kind.as_str()) {
        ("Deployment", "ReplicaSet") => {
            labels.get("pod-template-hash").is_some_and(|hash| *name == format!("{}-{hash}", target.name))
        }
        ("CronJob", "Job") => name
            .strip_prefix(&format!("{}-", target.name))
            .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit())),
        _ => false,
    }
}

/// The VPA that controls a new pod among a namespace's, if any (modes other than `Off`); the first by name when
/// several do.
pub fn matching<'a>(entries: &'a [Entry], pod: &Value) -> Option<&'a Entry> {
    use kube::core::SelectorExt;
    let owner = controller_of(pod)?;
    let labels: BTreeMap<String, String> =
        pod.pointer("/metadata/labels").and_then(|l| serde_json::from_value(l.clone()).ok()).unwrap_or_default();
    entries
        .iter()
        .filter(|e| e.spec.update_mode != super::api::UpdateMode::Off)
        .filter(|e| controlled_by_target(&owner, &labels, &e.target) && e.selector.matches(&labels))
        .min_by(|a, b| a.vpa.cmp(&b.vpa))
}

/// Sets a pod's (JSON) requests and limits from a VPA's recommendation and adds the annotations.
pub fn patch_pod(pod: &mut Value, vpa: &str, spec: &Spec, recommendation: &[ContainerRecommendation]) {
    let Some(containers) = pod.pointer("/spec/containers").and_then(Value::as_array) else { return };
    let views: Vec<(String, Amounts, Amounts)> = containers
        .iter()
        .map(|c| {
            (
                c.get("name").and_then(Value::as_str).unwrap_or_default().to_owned(),
                amounts(c.pointer("/resources/requests")),
                amounts(c.pointer("/resources/limits")),
            )
        })
        .collect();
    let names: Vec<String> = views.iter().map(|(name, _, _)| name.clone()).collect();
    let capped = capped_for_pod(recommendation, spec, &views);
    let mut updates = Vec::new();
    if let Some(containers) = pod.pointer_mut("/spec/containers").and_then(Value::as_array_mut) {
        for (index, container) in containers.iter_mut().enumerate() {
            let (name, _, _) = &views[index];
            let Some(rec) = capped.iter().find(|r| r.container_name == *name) else { continue };
            let original = recommendation.iter().find(|r| r.container_name == *name);
            let mut notes = capping_notes(original, spec, name, &views[index].2);
            let changed = patch_container(container, &rec.target, spec.controlled_values(name), &mut notes);
            if changed {
                updates.push(format!("container {index}: {}", notes.join(", ")));
            }
        }
    }
    let Some(metadata) = pod.get_mut("metadata").and_then(Value::as_object_mut) else { return };
    let annotations = metadata.entry("annotations").or_insert_with(|| json!({}));
    if !annotations.is_object() {
        *annotations = json!({});
    }
    let Some(annotations) = annotations.as_object_mut() else { return };
    if !updates.is_empty() {
        let text = format!("Pod resources updated by {vpa}: {}", updates.join("; "));
        annotations.insert(UPDATES_ANNOTATION.to_owned(), Value::String(text));
    }
    annotations.insert(OBSERVED_CONTAINERS.to_owned(), Value::String(names.join(", ")));
}

/// Upstream's capping annotations of a container's target (`cpu capped to maxAllowed`, ...).
fn capping_notes(
    original: Option<&ContainerRecommendation>,
    spec: &Spec,
    container: &str,
    limits: &Amounts,
) -> Vec<String> {
    let Some(original) = original else { return Vec::new() };
    let policy = spec.policy_of(container);
    let requests_only = spec.controlled_values(container) == ControlledValues::RequestsOnly;
    let mut notes = Vec::new();
    for (resource, value) in &original.target {
        let mut value = *value;
        if let Some(min) = policy.and_then(|p| p.min_allowed.get(resource)).filter(|m| **m > 0 && value < **m) {
            value = *min;
            notes.push(format!("{} capped to minAllowed", resource.name()));
        }
        if let Some(max) = policy.and_then(|p| p.max_allowed.get(resource)).filter(|m| **m > 0 && value > **m) {
            value = *max;
            notes.push(format!("{} capped to maxAllowed", resource.name()));
        }
        if requests_only && limits.get(resource).is_some_and(|limit| value > *limit) {
            notes.push(format!("{} capped to container limit", resource.name()));
        }
    }
    notes
}

/// Sets one container's requests (and proportional limits); answers whether anything was set.
fn patch_container(container: &mut Value, target: &Amounts, values: ControlledValues, notes: &mut Vec<String>) -> bool {
    if target.is_empty() {
        return false;
    }
    let Some(object) = container.as_object_mut() else { return false };
    let resources = object.entry("resources").or_insert_with(|| json!({}));
    if !resources.is_object() {
        *resources = json!({});
    }
    let old_requests = resources.get("requests").cloned();
    let old_limits = resources.get("limits").cloned();
    let mut set_requests = Vec::new();
    let mut set_limits = Vec::new();
    let mut limits: BTreeMap<Resource, String> = BTreeMap::new();
    if values == ControlledValues::RequestsAndLimits {
        let mut limit_notes = Vec::new();
        for resource in Resource::ALL {
            let original_limit = quantity(old_limits.as_ref(), resource);
            let original_request = quantity(old_requests.as_ref(), resource);
            match proportional_limit(
                resource,
                original_limit.as_deref(),
                original_request.as_deref(),
                target.get(&resource).copied(),
            ) {
                Ok(limit) => {
                    limits.insert(resource, limit);
                }
                Err(note) => limit_notes.push(note),
            }
        }
        if !limits.is_empty() {
            notes.extend(limit_notes);
        }
    }
    if !resources.get("requests").is_some_and(Value::is_object) {
        resources["requests"] = json!({});
    }
    for (resource, amount) in target {
        resources["requests"][resource.name()] = Value::String(resource.quantity(*amount));
        set_requests.push(format!("{} request", resource.name()));
    }
    for (resource, limit) in &limits {
        if !resources.get("limits").is_some_and(Value::is_object) {
            resources["limits"] = json!({});
        }
        resources["limits"][resource.name()] = Value::String(limit.clone());
        set_limits.push(format!("{} limit", resource.name()));
    }
    notes.extend(set_requests);
    notes.extend(set_limits);
    true
}

fn quantity(list: Option<&Value>, resource: Resource) -> Option<String> {
    match list?.get(resource.name())? {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// The limit that keeps the original limit-to-request ratio for a new request (upstream's
/// `getProportionalResourceLimit`), or the note saying why there is none.
pub fn proportional_limit(
    resource: Resource,
    original_limit: Option<&str>,
    original_request: Option<&str>,
    recommended: Option<i64>,
) -> Result<String, String> {
    let value = |text: Option<&str>| text.and_then(|t| k8s_model::rounded_up(t, false)).unwrap_or(0);
    let milli = |text: Option<&str>| text.and_then(|t| k8s_model::rounded_up(t, true)).unwrap_or(0);
    let name = resource.name();
    if value(original_limit) == 0 {
        return Err(format!("{name}: limit NOT set since originalLimit is nil or 0"));
    }
    let recommended = recommended.unwrap_or(0);
    let recommended_value = match resource {
        Resource::Cpu => (recommended + 999) / 1000,
        Resource::Memory => recommended,
    };
    if recommended_value <= 0 {
        return Err(format!("{name}: limit NOT set since recommendedRequest is nil or 0"));
    }
    if value(original_request) == 0 || milli(original_request) == milli(original_limit) {
        return Ok(resource.quantity(recommended));
    }
    match resource {
        Resource::Cpu => {
            let scaled =
                i128::from(milli(original_limit)) * i128::from(recommended) / i128::from(milli(original_request));
            Ok(resource.quantity(i64::try_from(scaled).unwrap_or(i64::MAX)))
        }
        Resource::Memory => {
            let scaled =
                i128::from(value(original_limit)) * i128::from(recommended) / i128::from(value(original_request));
            let bytes = i64::try_from(scaled).unwrap_or(i64::MAX);
            let binary = original_limit.is_some_and(|t| t.trim_end().ends_with('i'));
            Ok(if binary {
                super::api::binary_quantity(bytes)
            } else {
                k8s_model::canonical_quantity(&bytes.to_string(), false).unwrap_or_else(|| bytes.to_string())
            })
        }
    }
}
