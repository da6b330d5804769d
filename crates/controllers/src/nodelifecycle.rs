//! Node lifecycle, as kube-controller-manager's node lifecycle and taint eviction controllers run it: a node
//! whose Lease goes unrenewed for the grace period becomes `Ready: Unknown`, nodes that are not ready carry the
//! `not-ready` / `unreachable` taints, and pods on a node with `NoExecute` taints they do not tolerate (or
//! tolerate only for `tolerationSeconds`) are deleted so that their controllers make them elsewhere.
//!
//! The decisions ([`health`], [`desired_taints`], [`eviction`]) are pure; [`run`] watches nodes, leases and
//! pods and acts on them.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, NodeCondition, Pod, PodSpec, PodStatus, Taint, Toleration};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};

use crate::without_managed_fields;
use serde_json::json;
use tokio_util::task::AbortOnDropHandle;

/// The taint of a node whose Ready condition is False.
pub const NOT_READY: &str = "node.kubernetes.io/not-ready";
/// The taint of a node whose Ready condition is Unknown.
pub const UNREACHABLE: &str = "node.kubernetes.io/unreachable";
/// How often the controller looks at every node (upstream's `--node-monitor-period` is 5 s).
const MONITOR_PERIOD: Duration = Duration::from_secs(1);

/// A node's readiness as the controller sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Ready,
    NotReady,
    /// Nothing heard from the node's kubelet within the grace period.
    Unknown,
}

/// The node's health: `Unknown` once its lease has gone `silent_for` >= `grace`, else what its Ready condition
/// says (a missing or garbled condition is NotReady, as a node that never reported is).
pub fn health(node: &Node, silent_for: Duration, grace: Duration) -> Health {
    if silent_for >= grace {
        return Health::Unknown;
    }
    match ready_status(node) {
        Some("True") => Health::Ready,
        Some("Unknown") => Health::Unknown,
        _ => Health::NotReady,
    }
}

fn ready_status(node: &Node) -> Option<&str> {
    let conditions = node.status.as_ref()?.conditions.as_ref()?;
    conditions.iter().find(|c| c.type_ == "Ready").map(|c| c.status.as_str())
}

/// The node's taints with the controller's own set for `health`; `None` when they are already right. Taints
/// of others are kept as they are, and a taint that stays keeps its `timeAdded`.
pub fn desired_taints(node: &Node, health: Health, now: &Time) -> Option<Vec<Taint>> {
    let current = node.spec.as_ref().and_then(|spec| spec.taints.clone()).unwrap_or_default();
    let ours = |taint: &Taint| taint.key == NOT_READY || taint.key == UNREACHABLE;
    let wanted: Vec<(&str, &str)> = match health {
        Health::Ready => vec![],
        Health::NotReady => vec![(NOT_READY, "NoSchedule"), (NOT_READY, "NoExecute")],
        Health::Unknown => vec![(UNREACHABLE, "NoSchedule"), (UNREACHABLE, "NoExecute")],
    };
    let mut taints: Vec<Taint> = current.iter().filter(|t| !ours(t)).cloned().collect();
    for (key, effect) in &wanted {
        let kept = current.iter().find(|t| t.key == *key && t.effect == *effect).cloned();
        taints.push(kept.unwrap_or_else(|| Taint {
            key: (*key).to_owned(),
            effect: (*effect).to_owned(),
            time_added: (*effect == "NoExecute").then(|| now.clone()),
            value: None,
        }));
    }
    let same = taints.len() == current.len() && taints.iter().all(|t| current.contains(t));
    (!same).then_some(taints)
}

/// Whether `toleration` tolerates `taint`, by upstream's rules: an empty key with `Exists` tolerates every
/// taint, an empty effect every effect, and `Equal` (the default operator) needs the same value.
pub fn tolerates(toleration: &Toleration, taint: &Taint) -> bool {
    if toleration.effect.as_deref().is_some_and(|effect| !effect.is_empty() && effect != taint.effect) {
        return false;
    }
    let key = toleration.key.as_deref().unwrap_or_default();
    match toleration.operator.as_deref().unwrap_or("Equal") {
        "Exists" => key.is_empty() || key == taint.key,
        "Equal" => {
            key == taint.key && toleration.value.as_deref().unwrap_or_default() == taint.value.as_deref().unwrap_or("")
        }
        _ => false,
    }
}

/// When a pod must leave a node because of its `NoExecute` taints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Eviction {
    /// Every such taint is tolerated for ever (or there is none).
    Never,
    /// A taint is not tolerated: at once.
    Now,
    /// Every taint is tolerated, the shortest for this long after the taint was added.
    At(time::OffsetDateTime),
}

/// The pod's eviction from a node with `taints`, as the taint eviction controller decides it.
pub fn eviction(pod: &Pod, taints: &[Taint]) -> Eviction {
    let tolerations = pod.spec.as_ref().and_then(|spec| spec.tolerations.as_deref()).unwrap_or_default();
    let mut earliest: Option<time::OffsetDateTime> = None;
    for taint in taints.iter().filter(|taint| taint.effect == "NoExecute") {
        let matching: Vec<&Toleration> = tolerations.iter().filter(|t| tolerates(t, taint)).collect();
        if matching.is_empty() {
            return Eviction::Now;
        }
        // The shortest bound among the tolerations that match; none bounded means for ever.
        let Some(seconds) = matching.iter().filter_map(|t| t.toleration_seconds).min() else { continue };
        let added = taint.time_added.as_ref().map(|time| time.0).unwrap_or_else(timestamp_now);
        let deadline = to_offset(added) + time::Duration::seconds(seconds.max(0));
        earliest = Some(earliest.map_or(deadline, |current| current.min(deadline)));
    }
    earliest.map_or(Eviction::Never, Eviction::At)
}

fn timestamp_now() -> k8s_openapi::jiff::Timestamp {
    k8s_openapi::jiff::Timestamp::now()
}

fn to_offset(timestamp: k8s_openapi::jiff::Timestamp) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp_nanos(timestamp.as_nanosecond())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// The conditions a node gets when its kubelet went silent: every condition it reported becomes Unknown.
pub fn unknown_conditions(node: &Node, now: &Time) -> Vec<NodeCondition> {
    let reported = node.status.as_ref().and_then(|status| status.conditions.clone()).unwrap_or_default();
    let mut conditions: Vec<NodeCondition> = reported
        .into_iter()
        .map(|mut condition| {
            if condition.status != "Unknown" {
                condition.status = "Unknown".into();
                condition.last_transition_time = Some(now.clone());
            }
            condition.reason = Some("NodeStatusUnknown".into());
            condition.message = Some("Kubelet stopped posting node status.".into());
            condition
        })
        .collect();
    if !conditions.iter().any(|c| c.type_ == "Ready") {
        conditions.push(NodeCondition {
            type_: "Ready".into(),
            status: "Unknown".into(),
            reason: Some("NodeStatusNeverUpdated".into()),
            message: Some("Kubelet never posted node status.".into()),
            last_transition_time: Some(now.clone()),
            last_heartbeat_time: None,
        });
    }
    conditions
}

/// When the controller last saw a node's lease change.
#[derive(Debug)]
struct Heard {
    renew_time: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime>,
    at: Instant,
}

/// A pod as this controller needs it: identity, deletion, its node, tolerations and conditions. The rest (most of
/// a pod) is dropped as the watch hands it over, so the cache of every bound pod stays small.
fn lean_pod(pod: &mut Pod) {
    pod.metadata.managed_fields = None;
    pod.metadata.annotations = None;
    pod.metadata.labels = None;
    pod.metadata.owner_references = None;
    pod.spec = pod.spec.take().map(|spec| PodSpec {
        node_name: spec.node_name,
        tolerations: spec.tolerations,
        ..PodSpec::default()
    });
    pod.status = pod.status.take().map(|status| PodStatus { conditions: status.conditions, ..PodStatus::default() });
}

/// Runs the node lifecycle and taint eviction controllers until the future is dropped.
pub async fn run(client: kube::Client, grace: Duration) {
    let nodes: Api<Node> = Api::all(client.clone());
    let leases: Api<Lease> = Api::namespaced(client.clone(), "kube-node-lease");
    let pods: Api<Pod> = Api::all(client.clone());
    let (node_store, node_writer) = reflector::store();
    let (lease_store, lease_writer) = reflector::store();
    let (pod_store, pod_writer) = reflector::store();
    let config = watcher::Config::default();
    let watch_nodes = reflector::reflector(
        node_writer,
        watcher(nodes.clone(), config.clone()).default_backoff().modify(without_managed_fields),
    )
    .applied_objects();
    let watch_leases = reflector::reflector(
        lease_writer,
        watcher(leases, config.clone()).default_backoff().modify(without_managed_fields),
    )
    .applied_objects();
    let watch_pods = reflector::reflector(
        pod_writer,
        watcher(pods.clone(), config.fields("spec.nodeName!=")).default_backoff().modify(lean_pod),
    )
    .applied_objects();
    // The watches end with this future (a detached task would outlive the cluster).
    let _watches = [
        AbortOnDropHandle::new(tokio::spawn(watch_nodes.for_each(|_| async {}))),
        AbortOnDropHandle::new(tokio::spawn(watch_leases.for_each(|_| async {}))),
        AbortOnDropHandle::new(tokio::spawn(watch_pods.for_each(|_| async {}))),
    ];
    let mut heard: HashMap<String, Heard> = HashMap::new();
    let mut ticker = tokio::time::interval(MONITOR_PERIOD);
    loop {
        ticker.tick().await;
        if node_store.wait_until_ready().await.is_err() {
            return;
        }
        monitor(&client, &node_store, &lease_store, &pod_store, &mut heard, grace).await;
    }
}

async fn monitor(
    client: &kube::Client,
    nodes: &Store<Node>,
    leases: &Store<Lease>,
    pods: &Store<Pod>,
    heard: &mut HashMap<String, Heard>,
    grace: Duration,
) {
    let node_api: Api<Node> = Api::all(client.clone());
    let now = Time(k8s_openapi::jiff::Timestamp::now());
    let instant = Instant::now();
    let all: Vec<Arc<Node>> = nodes.state();
    heard.retain(|name, _| all.iter().any(|node| node.metadata.name.as_deref() == Some(name)));
    let mut taints_of: HashMap<String, Vec<Taint>> = HashMap::new();
    for node in &all {
        let Some(name) = node.metadata.name.clone() else { continue };
        let lease = leases.get(&ObjectRef::new(&name).within("kube-node-lease"));
        let renew_time = lease.and_then(|lease| lease.spec.as_ref().and_then(|spec| spec.renew_time.clone()));
        let entry = heard.entry(name.clone()).or_insert_with(|| Heard { renew_time: renew_time.clone(), at: instant });
        if entry.renew_time != renew_time {
            *entry = Heard { renew_time, at: instant };
        }
        let state = health(node, instant.duration_since(entry.at), grace);
        if state == Health::Unknown && ready_status(node) != Some("Unknown") {
            let patch = json!({ "status": { "conditions": unknown_conditions(node, &now) } });
            if let Err(error) = node_api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch)).await {
                tracing::warn!(node = %name, %error, "cannot mark the node Unknown");
            }
            mark_pods_not_ready(client, pods, &name, &now).await;
        }
        let taints = match desired_taints(node, state, &now) {
            Some(taints) => {
                let patch = json!({ "spec": { "taints": taints } });
                if let Err(error) = node_api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await {
                    tracing::warn!(node = %name, %error, "cannot taint the node");
                }
                taints
            }
            None => node.spec.as_ref().and_then(|spec| spec.taints.clone()).unwrap_or_default(),
        };
        taints_of.insert(name, taints);
    }
    evict(client, pods, &taints_of).await;
}

/// Sets the Ready condition of the node's pods to False, as upstream does when a node goes Unknown.
async fn mark_pods_not_ready(client: &kube::Client, pods: &Store<Pod>, node: &str, now: &Time) {
    for pod in pods.state().iter().filter(|pod| pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(node)) {
        let ready = pod
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .and_then(|conditions| conditions.iter().find(|c| c.type_ == "Ready").map(|c| c.status == "True"));
        if ready != Some(true) {
            continue;
        }
        let (Some(name), Some(namespace)) = (pod.metadata.name.as_deref(), pod.metadata.namespace.as_deref()) else {
            continue;
        };
        let patch = json!({ "status": { "conditions": [{
            "type": "Ready", "status": "False", "lastTransitionTime": now,
        }] } });
        let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
        if let Err(error) = api.patch_status(name, &PatchParams::default(), &Patch::Strategic(&patch)).await {
            tracing::debug!(pod = %name, %error, "cannot mark the pod not ready");
        }
    }
}

/// Deletes the pods whose node's `NoExecute` taints they no longer tolerate.
async fn evict(client: &kube::Client, pods: &Store<Pod>, taints_of: &HashMap<String, Vec<Taint>>) {
    let now = time::OffsetDateTime::now_utc();
    for pod in pods.state() {
        if pod.metadata.deletion_timestamp.is_some() {
            continue;
        }
        let Some(node) = pod.spec.as_ref().and_then(|spec| spec.node_name.as_deref()) else { continue };
        let Some(taints) = taints_of.get(node) else { continue };
        let due = match eviction(&pod, taints) {
            Eviction::Never => false,
            Eviction::Now => true,
            Eviction::At(deadline) => deadline <= now,
        };
        if !due {
            continue;
        }
        let (Some(name), Some(namespace)) = (pod.metadata.name.as_deref(), pod.metadata.namespace.as_deref()) else {
            continue;
        };
        tracing::info!(pod = %format!("{namespace}/{name}"), node, "evicting: its node's NoExecute taints");
        let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
        let uid = pod.metadata.uid.clone();
        let params = DeleteParams {
            preconditions: uid.map(|uid| kube::api::Preconditions { uid: Some(uid), resource_version: None }),
            ..DeleteParams::default()
        };
        match api.delete(name, &params).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 404 || status.code == 409 => {}
            Err(error) => tracing::warn!(pod = %name, %error, "cannot evict the pod"),
        }
    }
}

#[cfg(test)]
mod tests;
