//! The DaemonSet controller: one pod per eligible node (node selector, required node affinity, taints against
//! the pod's tolerations plus those every daemon pod gets), each pinned to its node by a `matchFields`
//! node affinity for the scheduler to bind; RollingUpdate (maxUnavailable, maxSurge) and OnDelete updates;
//! ControllerRevisions for history; and the DaemonSet's status counts.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{
    Affinity, Node, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod, PodSpec, Taint,
    Toleration,
};
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use serde_json::json;

use crate::batch_support::revisions::{self, HASH_LABEL};
use crate::batch_support::{
    Clock, ReconcileError, controller_ref, ignore_not_found, is_available, is_controlled_by, is_ready, is_terminating,
    pod_phase, record_event, retry_later, scaled_value,
};

const COMPONENT: &str = "daemonset-controller";

struct Context {
    client: kube::Client,
    clock: Clock,
}

/// Runs the DaemonSet controller until the task is dropped.
pub async fn run(client: kube::Client, clock: Clock) {
    let context = Arc::new(Context { client: client.clone(), clock });
    let controller = Controller::new(Api::<DaemonSet>::all(client.clone()), watcher::Config::default());
    let daemonsets = controller.store();
    let every_daemonset = move |_node: Node| {
        daemonsets.state().into_iter().map(|ds| ObjectRef::from_obj(ds.as_ref())).collect::<Vec<_>>()
    };
    controller
        .owns(Api::<Pod>::all(client.clone()), watcher::Config::default())
        .watches(Api::<Node>::all(client), watcher::Config::default(), every_daemonset)
        .run(reconcile, retry_later, context)
        .for_each(|_| async {})
        .await;
}

/// The tolerations the controller adds to every daemon pod, as upstream does.
pub fn daemon_tolerations(host_network: bool) -> Vec<Toleration> {
    let toleration = |key: &str, effect: &str| Toleration {
        key: Some(key.to_owned()),
        operator: Some("Exists".to_owned()),
        effect: Some(effect.to_owned()),
        ..Toleration::default()
    };
    let mut tolerations = vec![
        toleration("node.kubernetes.io/not-ready", "NoExecute"),
        toleration("node.kubernetes.io/unreachable", "NoExecute"),
        toleration("node.kubernetes.io/disk-pressure", "NoSchedule"),
        toleration("node.kubernetes.io/memory-pressure", "NoSchedule"),
        toleration("node.kubernetes.io/pid-pressure", "NoSchedule"),
        toleration("node.kubernetes.io/unschedulable", "NoSchedule"),
    ];
    if host_network {
        tolerations.push(toleration("node.kubernetes.io/network-unavailable", "NoSchedule"));
    }
    tolerations
}

fn tolerates(toleration: &Toleration, taint: &Taint) -> bool {
    let effect_ok = toleration.effect.as_deref().is_none_or(|e| e.is_empty() || e == taint.effect);
    let key = toleration.key.as_deref().unwrap_or_default();
    match toleration.operator.as_deref().unwrap_or("Equal") {
        "Exists" => effect_ok && (key.is_empty() || key == taint.key),
        "Equal" => {
            effect_ok
                && key == taint.key
                && toleration.value.as_deref().unwrap_or_default() == taint.value.as_deref().unwrap_or_default()
        }
        _ => false,
    }
}

fn term_matches(term: &NodeSelectorTerm, node: &Node) -> bool {
    let labels = node.labels();
    let name = node.name_any();
    let expressions = term
        .match_expressions
        .iter()
        .flatten()
        .all(|r| crate::batch_support::node_requirement_matches(r, labels.get(&r.key)));
    let fields = term.match_fields.iter().flatten().all(|r| {
        let value = (r.key == "metadata.name").then_some(&name);
        crate::batch_support::node_requirement_matches(r, value)
    });
    let empty = term.match_expressions.as_ref().is_none_or(Vec::is_empty)
        && term.match_fields.as_ref().is_none_or(Vec::is_empty);
    !empty && expressions && fields
}

/// Whether a daemon pod with `spec` should run on `node`: its node selector and required node affinity match,
/// and it tolerates every NoSchedule and NoExecute taint (with the daemon tolerations added).
pub fn should_run(node: &Node, spec: &PodSpec) -> bool {
    let labels = node.labels();
    if !spec.node_selector.iter().flatten().all(|(k, v)| labels.get(k) == Some(v)) {
        return false;
    }
    let required = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|a| a.required_during_scheduling_ignored_during_execution.as_ref());
    if let Some(required) = required
        && !required.node_selector_terms.iter().any(|term| term_matches(term, node))
    {
        return false;
    }
    let mut tolerations = spec.tolerations.clone().unwrap_or_default();
    tolerations.extend(daemon_tolerations(spec.host_network == Some(true)));
    let taints = node.spec.as_ref().and_then(|s| s.taints.as_deref()).unwrap_or_default();
    taints
        .iter()
        .filter(|taint| taint.effect == "NoSchedule" || taint.effect == "NoExecute")
        .all(|taint| tolerations.iter().any(|t| tolerates(t, taint)))
}

/// The node a daemon pod is for: where it is bound, else the node its `matchFields` affinity names.
pub fn target_node(pod: &Pod) -> Option<String> {
    let spec = pod.spec.as_ref()?;
    if let Some(node) = spec.node_name.as_ref().filter(|n| !n.is_empty()) {
        return Some(node.clone());
    }
    let required =
        spec.affinity.as_ref()?.node_affinity.as_ref()?.required_during_scheduling_ignored_during_execution.as_ref()?;
    required.node_selector_terms.iter().flat_map(|t| t.match_fields.iter().flatten()).find_map(|r| {
        (r.key == "metadata.name" && r.operator == "In" && r.values.as_ref()?.len() == 1)
            .then(|| r.values.as_ref()?.first().cloned())
            .flatten()
    })
}

/// One node's daemon pods in a rolling update: whether it has an up-to-date pod (and whether it is available)
/// and whether it has an old pod (and whether that is available).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeRollout {
    /// The up-to-date pod's availability, if there is one.
    pub new: Option<bool>,
    /// The old pod's availability, if there is one.
    pub old: Option<bool>,
}

/// Which nodes' old pods to delete now, and on which nodes to surge a new pod, with `maxUnavailable` and
/// `maxSurge` already scaled to numbers.
pub fn rolling_update(nodes: &[NodeRollout], max_unavailable: i32, max_surge: i32) -> (Vec<usize>, Vec<usize>) {
    let mut delete = Vec::new();
    let mut surge = Vec::new();
    if max_surge > 0 {
        let mut surging = nodes.iter().filter(|n| n.old.is_some() && n.new == Some(false)).count() as i32;
        for (index, node) in nodes.iter().enumerate() {
            match (node.old, node.new) {
                (Some(_), Some(true)) | (Some(false), None) => delete.push(index),
                (Some(true), None) if surging < max_surge => {
                    surge.push(index);
                    surging += 1;
                }
                _ => {}
            }
        }
        return (delete, surge);
    }
    let mut unavailable = nodes.iter().filter(|n| n.new != Some(true) && n.old != Some(true)).count() as i32;
    for (index, node) in nodes.iter().enumerate() {
        match node.old {
            Some(false) => delete.push(index),
            Some(true) if node.new.is_none() && unavailable < max_unavailable => {
                delete.push(index);
                unavailable += 1;
            }
            _ => {}
        }
    }
    (delete, surge)
}

fn pod_for(ds: &DaemonSet, node: &str, hash: &str) -> Pod {
    let template = ds.spec.as_ref().map(|s| s.template.clone()).unwrap_or_default();
    let mut pod = Pod { metadata: template.metadata.unwrap_or_default(), spec: template.spec, status: None };
    pod.metadata.name = None;
    pod.metadata.generate_name = Some(format!("{}-", ds.name_any()));
    pod.metadata.namespace = ds.namespace();
    let labels = pod.metadata.labels.get_or_insert_default();
    labels.insert(HASH_LABEL.to_owned(), hash.to_owned());
    labels.insert("pod-template-generation".to_owned(), ds.metadata.generation.unwrap_or(1).to_string());
    pod.metadata.owner_references = Some(vec![controller_ref(ds)]);
    let spec = pod.spec.get_or_insert_default();
    let host_network = spec.host_network == Some(true);
    let tolerations = spec.tolerations.get_or_insert_default();
    for toleration in daemon_tolerations(host_network) {
        if !tolerations.iter().any(|t| t.key == toleration.key && t.effect == toleration.effect) {
            tolerations.push(toleration);
        }
    }
    let affinity = spec.affinity.get_or_insert_with(Affinity::default);
    let node_affinity = affinity.node_affinity.get_or_insert_with(NodeAffinity::default);
    node_affinity.required_during_scheduling_ignored_during_execution = Some(NodeSelector {
        node_selector_terms: vec![NodeSelectorTerm {
            match_fields: Some(vec![NodeSelectorRequirement {
                key: "metadata.name".to_owned(),
                operator: "In".to_owned(),
                values: Some(vec![node.to_owned()]),
            }]),
            match_expressions: None,
        }],
    });
    pod
}

async fn reconcile(ds: Arc<DaemonSet>, context: Arc<Context>) -> Result<Action, ReconcileError> {
    let client = &context.client;
    let Some(spec) = ds.spec.clone() else { return Ok(Action::await_change()) };
    if ds.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let namespace = ds.namespace().unwrap_or_default();
    let uid = ds.uid().unwrap_or_default();
    let now = context.clock.now();
    let pods_api: Api<Pod> = Api::namespaced(client.clone(), &namespace);
    let nodes = Api::<Node>::all(client.clone()).list(&ListParams::default()).await?.items;
    let pods: Vec<Pod> =
        pods_api.list(&ListParams::default()).await?.items.into_iter().filter(|p| is_controlled_by(p, &uid)).collect();
    let live: BTreeSet<String> = pods.iter().filter_map(|p| p.labels().get(HASH_LABEL).cloned()).collect();
    let status = ds.status.clone().unwrap_or_default();
    let collision_count = status.collision_count.unwrap_or(0);
    let (hash, _) = revisions::sync(
        client,
        ds.as_ref(),
        &spec.template,
        collision_count,
        spec.revision_history_limit.unwrap_or(10),
        &live,
    )
    .await?;
    let template_spec = spec.template.spec.clone().unwrap_or_default();
    let min_ready = spec.min_ready_seconds.unwrap_or(0);

    let mut by_node: BTreeMap<String, Vec<&Pod>> = BTreeMap::new();
    for pod in pods.iter().filter(|p| !is_terminating(p)) {
        by_node.entry(target_node(pod).unwrap_or_default()).or_default().push(pod);
    }
    let node_names: BTreeSet<String> = nodes.iter().map(|n| n.name_any()).collect();
    let mut to_delete: Vec<&Pod> = Vec::new();
    let mut to_create: Vec<String> = Vec::new();
    for (node, node_pods) in &by_node {
        if !node_names.contains(node) {
            to_delete.extend(node_pods.iter().copied());
        }
    }
    let (mut desired, mut current, mut misscheduled, mut ready, mut available, mut updated) = (0, 0, 0, 0, 0, 0);
    let mut rollout_nodes = Vec::new();
    let mut rollout_pods: Vec<(String, Option<&Pod>)> = Vec::new();
    let mut requeue = None;
    for node in &nodes {
        let name = node.name_any();
        let node_pods = by_node.get(&name).cloned().unwrap_or_default();
        let (failed, running): (Vec<&Pod>, Vec<&Pod>) = node_pods.into_iter().partition(|p| pod_phase(p) == "Failed");
        to_delete.extend(failed.iter().copied());
        if !should_run(node, &template_spec) {
            if !running.is_empty() {
                misscheduled += 1;
            }
            to_delete.extend(running);
            continue;
        }
        desired += 1;
        if running.is_empty() {
            if !failed.is_empty() {
                record_event(
                    client,
                    COMPONENT,
                    ds.as_ref(),
                    true,
                    "FailedDaemonPod",
                    &format!(
                        "Found failed daemon pod {namespace}/{} on node {name}, will try to kill it",
                        failed[0].name_any()
                    ),
                )
                .await;
            }
            to_create.push(name.clone());
            continue;
        }
        current += 1;
        let (new, old): (Vec<&Pod>, Vec<&Pod>) =
            running.iter().copied().partition(|p| p.labels().get(HASH_LABEL) == Some(&hash));
        if let Some(pod) = new.first().or(old.first()) {
            if is_ready(pod) {
                ready += 1;
            }
            if is_available(pod, min_ready, now) {
                available += 1;
            } else if is_ready(pod) {
                requeue = Some(Duration::from_secs(u64::try_from(min_ready.max(1)).unwrap_or(1)));
            }
        }
        if !new.is_empty() {
            updated += 1;
        }
        // Extra pods on one node: keep the newest up-to-date one (or the oldest old one).
        to_delete.extend(new.iter().skip(1).copied());
        let keep_old = if new.is_empty() || old.len() == 1 { 1 } else { 0 };
        let keep_old = keep_old.min(old.len());
        to_delete.extend(old.iter().skip(keep_old).copied());
        rollout_nodes.push(NodeRollout {
            new: new.first().map(|p| is_available(p, min_ready, now)),
            old: old.first().filter(|_| keep_old == 1).map(|p| is_available(p, min_ready, now)),
        });
        rollout_pods.push((name.clone(), old.first().copied().filter(|_| keep_old == 1)));
    }
    let strategy = spec.update_strategy.clone().unwrap_or_default();
    if strategy.type_.as_deref().unwrap_or("RollingUpdate") == "RollingUpdate" {
        let rolling = strategy.rolling_update.unwrap_or_default();
        let max_surge = scaled_value(rolling.max_surge.as_ref(), desired, true, 0);
        let max_unavailable =
            scaled_value(rolling.max_unavailable.as_ref(), desired, true, 1).max(if max_surge == 0 { 1 } else { 0 });
        let (deletions, surges) = rolling_update(&rollout_nodes, max_unavailable, max_surge);
        for index in deletions {
            if let Some(pod) = rollout_pods[index].1 {
                to_delete.push(pod);
            }
        }
        for index in surges {
            to_create.push(rollout_pods[index].0.clone());
        }
    }

    for node in &to_create {
        let created = pods_api.create(&PostParams::default(), &pod_for(&ds, node, &hash)).await?;
        let message = format!("Created pod: {}", created.name_any());
        record_event(client, COMPONENT, ds.as_ref(), false, "SuccessfulCreate", &message).await;
    }
    for pod in &to_delete {
        ignore_not_found(pods_api.delete(&pod.name_any(), &DeleteParams::default()).await)?;
        let message = format!("Deleted pod: {}", pod.name_any());
        record_event(client, COMPONENT, ds.as_ref(), false, "SuccessfulDelete", &message).await;
    }

    let patch = json!({"status": {
        "desiredNumberScheduled": desired,
        "currentNumberScheduled": current,
        "numberMisscheduled": misscheduled,
        "numberReady": ready,
        "numberAvailable": available,
        "numberUnavailable": (desired - available).max(0),
        "updatedNumberScheduled": updated,
        "observedGeneration": ds.metadata.generation,
    }});
    let api: Api<DaemonSet> = Api::namespaced(client.clone(), &namespace);
    api.patch_status(&ds.name_any(), &PatchParams::default(), &Patch::Merge(patch)).await?;
    Ok(requeue.map(Action::requeue).unwrap_or_else(Action::await_change))
}

#[cfg(test)]
mod tests;
