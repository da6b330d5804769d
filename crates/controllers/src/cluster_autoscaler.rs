//! The Kubernetes cluster autoscaler (github.com/kubernetes/autoscaler, `cluster-autoscaler/`) with its AWS cloud
//! provider, as users install it on EKS: it acts while a Deployment whose container image repository is
//! `cluster-autoscaler` (the helm chart's `cluster-autoscaler-aws-cluster-autoscaler`, any namespace) has an
//! available replica, configured by that container's `command` and `args` ([`flags`]). The node groups are Auto
//! Scaling groups reached through [`NodeGroups`]: those auto-discovered by tags
//! (`--node-group-auto-discovery=asg:tag=...`) and those named with `--nodes=<min>:<max>:<name>`.
//!
//! Every `--scan-interval` (upstream's `StaticAutoscaler.RunOnce`):
//!
//! - cluster state: each group's registered nodes (nodes whose provider id names one of its instances) and
//!   upcoming ones (target size minus registered); a scale-up whose nodes do not register within
//!   `--max-node-provision-time` backs the group off for 5 minutes and takes its target back to what registered;
//! - scale up ([`scale_up`]): unschedulable pods (`PodScheduled` False, reason `Unschedulable`, older than
//!   `--new-pod-scale-up-delay`) that fit neither existing nor upcoming nodes are binpacked onto each group's
//!   template node ([`estimate`]), an expander picks the group ([`expander`]), and its desired capacity is set;
//!   events `TriggeredScaleUp` / `NotTriggerScaleUp` on the pods and `ScaledUpGroup` on the status ConfigMap;
//! - scale down ([`scale_down`]): nodes unneeded for `--scale-down-unneeded-time` (and no scale-up for
//!   `--scale-down-delay-after-add`) are tainted `ToBeDeletedByClusterAutoscaler`, drained through the eviction
//!   API ([`crate::drain`]; this also cordons the node, which upstream does not), and their instance terminated
//!   with the group's desired capacity decremented; empty nodes go up to `--max-empty-bulk-delete` at once, a
//!   node with pods one at a time; events `ScaleDown` on the node, its pods and the status ConfigMap;
//! - status ([`status`]): the ConfigMap `cluster-autoscaler-status` in the Deployment's namespace.
//!
//! Unready nodes are candidates too: they go once unneeded for `--scale-down-unready-time` (unless
//! `--scale-down-unready-enabled=false`).
//!
//! Differences from upstream: no node group auto-provisioning, no resource limits but `--max-nodes-total`, and a deletion that fails is retried rather
//! than rolled back.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::core::v1::{ConfigMap, Node, Pod, Taint};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::ResourceExt;
use kube::api::{Api, Patch, PatchParams, PostParams};
use scheduler::{Snapshot, pod_key};
use serde_json::json;

use crate::Clock;
use crate::batch_support::{record_event, reflect};
use crate::node_groups::{NodeGroup, NodeGroups};
use crate::without_managed_fields;

pub mod estimate;
pub mod expander;
pub mod flags;
pub mod scale_down;
pub mod scale_up;
pub mod status;

use flags::{Expander, Options};

const COMPONENT: &str = "cluster-autoscaler";
/// The image repository that marks the autoscaler's Deployment.
pub const IMAGE_REPOSITORY: &str = "cluster-autoscaler";
/// The priority expander's ConfigMap.
pub const PRIORITY_CONFIG_MAP: &str = "cluster-autoscaler-priority-expander";
/// The annotation on the status ConfigMap with the time of its last write.
pub const LAST_UPDATED_ANNOTATION: &str = "cluster-autoscaler.kubernetes.io/last-updated";
/// How long a group whose nodes did not register is left alone (upstream's initial backoff).
const BACKOFF_SECONDS: f64 = 300.0;

/// The autoscaler's command line if `deployment` runs it with an available replica.
pub fn installed(deployment: &Deployment) -> Option<Vec<String>> {
    let available = deployment.status.as_ref().and_then(|status| status.available_replicas).unwrap_or(0);
    if available < 1 {
        return None;
    }
    let spec = deployment.spec.as_ref()?.template.spec.as_ref()?;
    let container = spec.containers.iter().find(|container| {
        container.image.as_deref().is_some_and(|image| k8s_model::image_repository(image) == IMAGE_REPOSITORY)
    })?;
    let mut args = container.command.clone().unwrap_or_default();
    args.extend(container.args.clone().unwrap_or_default());
    Some(args)
}

/// The sizes the autoscaler works a group within, if it works the group at all: those `--nodes` gives it, or its
/// own when its tags match an auto-discovery definition. A group whose max is below its min is left out.
pub fn discovered(group: &NodeGroup, options: &Options) -> Option<(i64, i64)> {
    if let Some(explicit) = options.nodes.iter().find(|node| node.name == group.id) {
        return Some((explicit.min, explicit.max));
    }
    let matches = options.auto_discovery.iter().any(|tags| {
        tags.iter().all(|(key, value)| match value {
            Some(value) => group.tags.get(key) == Some(value),
            None => group.tags.contains_key(key),
        })
    });
    (matches && group.min_size <= group.max_size).then_some((group.min_size, group.max_size))
}

/// Whether the scheduler gave up on the pod for now.
pub fn unschedulable(pod: &Pod) -> bool {
    let bound = pod.spec.as_ref().and_then(|spec| spec.node_name.as_deref()).is_some_and(|n| !n.is_empty());
    let status = pod.status.as_ref();
    let pending = status.and_then(|status| status.phase.as_deref()).is_none_or(|phase| phase == "Pending");
    let condition = status.and_then(|status| status.conditions.as_ref()).into_iter().flatten().any(|condition| {
        condition.type_ == "PodScheduled"
            && condition.status == "False"
            && condition.reason.as_deref() == Some("Unschedulable")
    });
    !bound && pending && condition && pod.metadata.deletion_timestamp.is_none()
}

/// The instance id a node's provider id names (`aws:///us-west-2a/i-0123` is `i-0123`).
fn instance_of(node: &Node) -> Option<String> {
    let provider = node.spec.as_ref()?.provider_id.as_deref()?;
    Some(provider.rsplit('/').next()?.to_owned())
}

fn is_ready(node: &Node) -> bool {
    node.status
        .as_ref()
        .and_then(|status| status.conditions.as_ref())
        .into_iter()
        .flatten()
        .any(|condition| condition.type_ == "Ready" && condition.status == "True")
}

fn has_deletion_taint(node: &Node) -> bool {
    node.spec
        .as_ref()
        .and_then(|spec| spec.taints.as_ref())
        .into_iter()
        .flatten()
        .any(|taint| taint.key == scale_down::TO_BE_DELETED_TAINT)
}

/// A DaemonSet's pod as it would be on a new node.
fn daemon_pod(daemon_set: &DaemonSet) -> Option<Pod> {
    let template = &daemon_set.spec.as_ref()?.template;
    let owner = json!([{
        "apiVersion": "apps/v1", "kind": "DaemonSet", "name": daemon_set.name_any(),
        "uid": daemon_set.metadata.uid.clone().unwrap_or_default(), "controller": true,
    }]);
    let pod = json!({
        "metadata": {
            "name": daemon_set.name_any(),
            "namespace": daemon_set.namespace().unwrap_or_default(),
            "labels": template.metadata.as_ref().and_then(|m| m.labels.clone()).unwrap_or_default(),
            "ownerReferences": owner,
        },
        "spec": template.spec,
    });
    serde_json::from_value(pod).ok()
}

fn seconds(at: jiff::Timestamp) -> f64 {
    at.as_nanosecond() as f64 / 1e9
}

/// A node being deleted.
#[derive(Debug, Clone)]
struct Deleting {
    group: String,
    instance: String,
    empty: bool,
}

/// What the autoscaler remembers between scans.
#[derive(Default)]
struct State {
    unneeded_since: HashMap<String, f64>,
    deleting: HashMap<String, Deleting>,
    last_scale_up: Option<f64>,
    /// Per group: when it was last scaled up, and to what.
    scale_ups: HashMap<String, (f64, i64)>,
    backoff_until: HashMap<String, f64>,
    transitions: status::Transitions,
    /// The last `NotTriggerScaleUp` message per pod.
    told: HashMap<String, String>,
    /// Warnings already logged.
    warned: HashSet<String>,
    /// Whether deletion taints left by an earlier run were taken off.
    cleaned: bool,
}

/// Runs the autoscaler for one cluster until the task is dropped; it acts only while its Deployment is installed.
pub async fn run(client: kube::Client, groups: Arc<dyn NodeGroups>, clock: Clock) {
    let changed = Arc::new(tokio::sync::Notify::new());
    let (deployments, _d) =
        reflect(Api::<Deployment>::all(client.clone()), without_managed_fields, Some(changed.clone()));
    if deployments.wait_until_ready().await.is_err() {
        return;
    }
    let mut state = State::default();
    // What a scan reads is cached only while an autoscaler is installed: a cluster without one (most) keeps no
    // second copy of its pods and nodes.
    let mut caches: Option<Caches> = None;
    loop {
        let active = deployments.state().iter().find_map(|d| Some((d.namespace().unwrap_or_default(), installed(d)?)));
        let Some((namespace, args)) = active else {
            caches = None;
            tokio::select! {
                _ = changed.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            continue;
        };
        if caches.is_none() {
            caches = Caches::start(&client).await;
        }
        let Some(cached) = &caches else {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        };
        let (options, warnings) = flags::parse(&args);
        for warning in warnings {
            if state.warned.insert(warning.clone()) {
                tracing::warn!(%namespace, "cluster-autoscaler: {warning}");
            }
        }
        let scan = Scan {
            client: &client,
            groups: groups.as_ref(),
            namespace: &namespace,
            options: &options,
            now: clock.now(),
            nodes: cached.nodes.state(),
            pods: cached.pods.state(),
            budgets: cached.budgets.state().iter().map(|b| (**b).clone()).collect(),
            daemon_pods: cached.daemon_sets.state().iter().filter_map(|ds| daemon_pod(ds)).collect(),
        };
        scan.run(&mut state).await;
        tokio::time::sleep(options.scan_interval.clamp(Duration::from_millis(100), Duration::from_secs(3600))).await;
    }
}

/// The caches of the objects a scan reads, each kept by its own watch, which stops when they are dropped.
struct Caches {
    nodes: kube::runtime::reflector::Store<Node>,
    pods: kube::runtime::reflector::Store<Pod>,
    budgets: kube::runtime::reflector::Store<PodDisruptionBudget>,
    daemon_sets: kube::runtime::reflector::Store<DaemonSet>,
    _watches: Vec<tokio_util::task::AbortOnDropHandle<()>>,
}

impl Caches {
    /// Starts the watches and waits for their first lists; `None` when one cannot list.
    async fn start(client: &kube::Client) -> Option<Caches> {
        let (pods, p) = reflect(Api::<Pod>::all(client.clone()), without_managed_fields, None);
        let (nodes, n) = reflect(Api::<Node>::all(client.clone()), without_managed_fields, None);
        let (budgets, b) = reflect(Api::<PodDisruptionBudget>::all(client.clone()), without_managed_fields, None);
        let (daemon_sets, s) = reflect(Api::<DaemonSet>::all(client.clone()), without_managed_fields, None);
        let ready = pods.wait_until_ready().await.is_ok()
            && nodes.wait_until_ready().await.is_ok()
            && budgets.wait_until_ready().await.is_ok()
            && daemon_sets.wait_until_ready().await.is_ok();
        ready.then(|| Caches { nodes, pods, budgets, daemon_sets, _watches: vec![p, n, b, s] })
    }
}

/// One scan's inputs.
struct Scan<'a> {
    client: &'a kube::Client,
    groups: &'a dyn NodeGroups,
    namespace: &'a str,
    options: &'a Options,
    now: jiff::Timestamp,
    nodes: Vec<Arc<Node>>,
    pods: Vec<Arc<Pod>>,
    budgets: Vec<PodDisruptionBudget>,
    daemon_pods: Vec<Pod>,
}

/// A discovered group with what the scan found of it.
struct Found {
    group: NodeGroup,
    min: i64,
    max: i64,
    /// Its nodes, by name.
    nodes: Vec<String>,
}

impl Scan<'_> {
    async fn run(&self, state: &mut State) {
        let now = seconds(self.now);
        let all = match self.groups.groups().await {
            Ok(all) => all,
            Err(error) => {
                tracing::warn!(%error, "cluster-autoscaler: cannot list node groups");
                return;
            }
        };
        let by_instance: HashMap<String, &Node> =
            self.nodes.iter().filter_map(|node| Some((instance_of(node)?, node.as_ref()))).collect();
        let mut found = Vec::new();
        for group in all {
            if group.max_size < group.min_size && state.warned.insert(format!("sizes of {}", group.id)) {
                tracing::warn!(group = %group.id, "cluster-autoscaler: max size below min size, group ignored");
            }
            let Some((min, max)) = discovered(&group, self.options) else { continue };
            if group.template.is_none() && state.warned.insert(format!("template of {}", group.id)) {
                tracing::warn!(group = %group.id, "cluster-autoscaler: unknown instance type, group never scaled up");
            }
            let nodes = group
                .instances
                .iter()
                .filter_map(|instance| by_instance.get(&instance.id).map(|node| node.name_any()))
                .collect();
            found.push(Found { group, min, max, nodes });
        }
        if !state.cleaned {
            self.clean_taints().await;
            state.cleaned = true;
        }
        self.check_provisioning(&mut found, state, now).await;
        let mut snapshot = self.snapshot();
        let increased = self.scale_up(&found, &snapshot, state, now).await;
        // Pending pods that fit existing nodes count as on them (upstream's FilterOutSchedulable hints), so that
        // a node they are about to land on is not unneeded.
        let mut hinted = Vec::new();
        for pod in self.pending(now) {
            if let Ok(node) = scheduler::schedule(pod, &snapshot) {
                let placed = estimate::bound(pod, &node);
                snapshot.add_pod(&placed);
                hinted.push(placed);
            }
        }
        let mut candidates_by_group: HashMap<String, usize> = HashMap::new();
        if self.options.scale_down_enabled {
            candidates_by_group = self.scale_down(&found, &snapshot, &hinted, state, now, increased).await;
        }
        self.progress_deletions(state).await;
        self.write_status(&found, state, &candidates_by_group).await;
    }

    /// Backs off groups whose scale-up did not register in time.
    async fn check_provisioning(&self, found: &mut [Found], state: &mut State, now: f64) {
        for entry in found.iter_mut() {
            let id = entry.group.id.clone();
            let registered = entry.nodes.len() as i64;
            let Some((at, target)) = state.scale_ups.get(&id).copied() else { continue };
            if registered >= target.min(entry.group.target_size) {
                state.scale_ups.remove(&id);
            } else if now - at > self.options.max_node_provision_time.as_secs_f64() {
                state.scale_ups.remove(&id);
                state.backoff_until.insert(id.clone(), now + BACKOFF_SECONDS);
                let back = registered.max(entry.min);
                tracing::warn!(group = %id, "cluster-autoscaler: nodes did not register in time, backing off");
                if back < entry.group.target_size {
                    match self.groups.set_target_size(&id, back).await {
                        Ok(()) => entry.group.target_size = back,
                        Err(error) => tracing::warn!(group = %id, %error, "cluster-autoscaler: cannot shrink"),
                    }
                }
            }
        }
        state.backoff_until.retain(|_, until| *until > now);
    }

    fn snapshot(&self) -> Snapshot {
        let mut snapshot = Snapshot::new();
        for node in &self.nodes {
            snapshot.upsert_node(node);
        }
        for pod in &self.pods {
            snapshot.add_pod(pod);
        }
        snapshot
    }

    /// The unschedulable pods old enough to act on (DaemonSet and mirror pods aside).
    fn pending(&self, now: f64) -> Vec<&Pod> {
        let delay = self.options.new_pod_scale_up_delay.as_secs_f64();
        self.pods
            .iter()
            .map(|pod| pod.as_ref())
            .filter(|pod| unschedulable(pod))
            .filter(|pod| !crate::drain::stays(pod))
            .filter(|pod| {
                let created = pod.metadata.creation_timestamp.as_ref().map_or(0.0, |t| seconds(t.0));
                now - created >= delay
            })
            .collect()
    }

    async fn scale_up(&self, found: &[Found], snapshot: &Snapshot, state: &mut State, now: f64) -> bool {
        let pending = self.pending(now);
        let pending_keys: HashSet<String> = pending.iter().map(|pod| pod_key(pod)).collect();
        state.told.retain(|key, _| pending_keys.contains(key));
        if pending.is_empty() {
            return false;
        }
        let groups: Vec<scale_up::GroupState> = found
            .iter()
            .map(|entry| scale_up::GroupState {
                id: entry.group.id.clone(),
                min: entry.min,
                max: entry.max,
                target: entry.group.target_size,
                registered: entry.nodes.len() as i64,
                template: entry.group.template.as_ref().map(|template| {
                    (template.clone(), estimate::Template::new(&entry.group.id, template, &self.daemon_pods))
                }),
                backed_off: state.backoff_until.contains_key(&entry.group.id),
            })
            .collect();
        let upcoming: i64 = groups.iter().map(scale_up::GroupState::upcoming).sum();
        let total = self.nodes.len() as i64 + upcoming;
        let priorities = self.priorities().await;
        let seed = self.now.as_nanosecond() as u64;
        let plan = scale_up::plan(&pending, snapshot, &groups, self.options, total, priorities.as_ref(), seed);
        let mut done = Vec::new();
        for increase in &plan.increases {
            match self.groups.set_target_size(&increase.group, increase.to).await {
                Ok(()) => {
                    tracing::info!(group = %increase.group, from = increase.from, to = increase.to, "cluster-autoscaler: scale-up");
                    state.scale_ups.insert(increase.group.clone(), (now, increase.to));
                    state.last_scale_up = Some(now);
                    done.push(increase.clone());
                }
                Err(error) => tracing::warn!(group = %increase.group, %error, "cluster-autoscaler: scale-up failed"),
            }
        }
        if !done.is_empty() {
            let message = scale_up::triggered_message(&done);
            for pod in pending.iter().filter(|pod| plan.helped.contains(&pod_key(pod))) {
                record_event(self.client, COMPONENT, *pod, false, "TriggeredScaleUp", &message).await;
            }
            for increase in &done {
                let message = format!(
                    "Scale-up: setting group {} size to {} instead of {} (max: {})",
                    increase.group, increase.to, increase.from, increase.max
                );
                self.status_event("ScaledUpGroup", &message).await;
            }
        }
        for pod in &pending {
            let key = pod_key(pod);
            let Some(message) = plan.not_helped.get(&key) else { continue };
            if state.told.get(&key) != Some(message) {
                record_event(self.client, COMPONENT, *pod, false, "NotTriggerScaleUp", message).await;
                state.told.insert(key, message.clone());
            }
        }
        !done.is_empty()
    }

    async fn priorities(&self) -> Option<expander::Priorities> {
        if !self.options.expanders.contains(&Expander::Priority) {
            return None;
        }
        let api: Api<ConfigMap> = Api::namespaced(self.client.clone(), self.namespace);
        let config = api.get_opt(PRIORITY_CONFIG_MAP).await.ok().flatten()?;
        let text = config.data.as_ref()?.get("priorities")?;
        match expander::parse_priorities(text) {
            Ok(priorities) => Some(priorities),
            Err(error) => {
                tracing::warn!(%error, "cluster-autoscaler: priority expander configuration ignored");
                None
            }
        }
    }

    /// Finds unneeded nodes and starts deleting those due; returns the unneeded count per group.
    async fn scale_down(
        &self,
        found: &[Found],
        snapshot: &Snapshot,
        hinted: &[Pod],
        state: &mut State,
        now: f64,
        scaled_up: bool,
    ) -> HashMap<String, usize> {
        let node_by_name: HashMap<String, &Node> =
            self.nodes.iter().map(|node| (node.name_any(), node.as_ref())).collect();
        let mut pods_by_node: HashMap<String, Vec<&Pod>> = HashMap::new();
        for pod in self.pods.iter().map(|pod| pod.as_ref()).chain(hinted) {
            let terminal =
                pod.status.as_ref().and_then(|s| s.phase.as_deref()).is_some_and(|p| p == "Succeeded" || p == "Failed");
            if let Some(node) = pod.spec.as_ref().and_then(|spec| spec.node_name.clone())
                && !terminal
            {
                pods_by_node.entry(node).or_default().push(pod);
            }
        }
        let mut group_of: HashMap<String, &Found> = HashMap::new();
        let mut candidates = Vec::new();
        for entry in found {
            for name in &entry.nodes {
                let Some(node) = node_by_name.get(name) else { continue };
                group_of.insert(name.clone(), entry);
                if state.deleting.contains_key(name) || has_deletion_taint(node) {
                    continue;
                }
                let pods = pods_by_node.get(name).cloned().unwrap_or_default();
                candidates.push(scale_down::Candidate { node, pods, ready: is_ready(node) });
            }
        }
        let verdicts = scale_down::find_unneeded(&candidates, snapshot, &self.budgets, self.options);
        let unneeded: Vec<scale_down::Unneeded> = verdicts.into_iter().filter_map(Result::ok).collect();
        let names: HashSet<&String> = unneeded.iter().map(|u| &u.node).collect();
        state.unneeded_since.retain(|name, _| names.contains(name));
        let mut per_group: HashMap<String, usize> = HashMap::new();
        for node in &unneeded {
            state.unneeded_since.entry(node.node.clone()).or_insert(now);
            if let Some(entry) = group_of.get(&node.node) {
                *per_group.entry(entry.group.id.clone()).or_default() += 1;
            }
        }
        if scaled_up {
            return per_group;
        }
        let mut deleting_per_group: HashMap<String, i64> = HashMap::new();
        for deleting in state.deleting.values() {
            *deleting_per_group.entry(deleting.group.clone()).or_default() += 1;
        }
        let mut empty_started = 0;
        let mut drain_busy = state.deleting.values().any(|deleting| !deleting.empty);
        for node in &unneeded {
            let since = state.unneeded_since.get(&node.node).copied().unwrap_or(now);
            if !scale_down::due(since, now, node.ready, state.last_scale_up, self.options) {
                continue;
            }
            let Some(entry) = group_of.get(&node.node) else { continue };
            let going = deleting_per_group.get(&entry.group.id).copied().unwrap_or(0);
            if entry.group.target_size - going <= entry.min {
                continue;
            }
            let empty = node.pods.is_empty();
            if (empty && empty_started >= self.options.max_empty_bulk_delete) || (!empty && drain_busy) {
                continue;
            }
            let Some(instance) = node_by_name.get(&node.node).and_then(|n| instance_of(n)) else { continue };
            if self.start_deletion(node, node_by_name[&node.node]).await {
                *deleting_per_group.entry(entry.group.id.clone()).or_default() += 1;
                if empty {
                    empty_started += 1;
                } else {
                    drain_busy = true;
                }
                state.deleting.insert(node.node.clone(), Deleting { group: entry.group.id.clone(), instance, empty });
                state.unneeded_since.remove(&node.node);
            }
        }
        per_group
    }

    /// Taints the node and records the scale-down; its pods are evicted by the next steps.
    async fn start_deletion(&self, unneeded: &scale_down::Unneeded, node: &Node) -> bool {
        let mut taints: Vec<Taint> = node.spec.as_ref().and_then(|spec| spec.taints.clone()).unwrap_or_default();
        taints.push(Taint {
            key: scale_down::TO_BE_DELETED_TAINT.to_owned(),
            value: Some(self.now.as_second().to_string()),
            effect: "NoSchedule".to_owned(),
            time_added: None,
        });
        let api: Api<Node> = Api::all(self.client.clone());
        let patch = json!({ "spec": { "taints": taints } });
        if let Err(error) = api.patch(&unneeded.node, &PatchParams::default(), &Patch::Merge(&patch)).await {
            tracing::warn!(node = %unneeded.node, %error, "cluster-autoscaler: cannot taint a node to delete");
            return false;
        }
        record_event(self.client, COMPONENT, node, false, "ScaleDown", "marked the node as toBeDeleted/unschedulable")
            .await;
        let message = if unneeded.pods.is_empty() {
            format!("Scale-down: removing empty node \"{}\"", unneeded.node)
        } else {
            format!(
                "Scale-down: removing node {}, utilization: {:.2}, pods to reschedule: {}",
                unneeded.node,
                unneeded.utilization,
                unneeded.pods.join(",")
            )
        };
        self.status_event("ScaleDown", &message).await;
        for pod in self.pods.iter().filter(|pod| unneeded.pods.contains(&pod_key(pod))) {
            record_event(self.client, COMPONENT, pod.as_ref(), false, "ScaleDown", "deleting pod for node scale down")
                .await;
        }
        true
    }

    /// Takes the deletion taint off nodes an earlier run left it on (upstream does so at start-up).
    async fn clean_taints(&self) {
        let api: Api<Node> = Api::all(self.client.clone());
        for node in self.nodes.iter().filter(|node| has_deletion_taint(node)) {
            let kept: Vec<&Taint> = node
                .spec
                .as_ref()
                .and_then(|spec| spec.taints.as_ref())
                .into_iter()
                .flatten()
                .filter(|taint| taint.key != scale_down::TO_BE_DELETED_TAINT)
                .collect();
            let patch = json!({ "spec": { "taints": kept } });
            if let Err(error) = api.patch(&node.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await {
                tracing::debug!(node = %node.name_any(), %error, "cluster-autoscaler: cannot clear a deletion taint");
            }
        }
    }

    /// Drains the nodes being deleted and terminates the instances of those drained.
    async fn progress_deletions(&self, state: &mut State) {
        let nodes: Api<Node> = Api::all(self.client.clone());
        let names: Vec<String> = state.deleting.keys().cloned().collect();
        for name in names {
            let Some(deleting) = state.deleting.get(&name).cloned() else { continue };
            match crate::drain::drain_step(self.client, &name).await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(error) => {
                    tracing::warn!(node = %name, %error, "cluster-autoscaler: draining");
                    continue;
                }
            }
            let present = nodes.get_opt(&name).await.ok().flatten();
            if let Some(node) = &present {
                record_event(self.client, COMPONENT, node, false, "ScaleDown", "deleting node").await;
            }
            match self.groups.delete_instance(&deleting.group, &deleting.instance).await {
                Ok(()) => {
                    tracing::info!(node = %name, group = %deleting.group, "cluster-autoscaler: node removed");
                    state.deleting.remove(&name);
                }
                // The node went some other way meanwhile.
                Err(_) if present.is_none() => {
                    state.deleting.remove(&name);
                }
                Err(error) => tracing::warn!(node = %name, %error, "cluster-autoscaler: cannot delete the instance"),
            }
        }
    }

    fn status_api(&self) -> Api<ConfigMap> {
        Api::namespaced(self.client.clone(), self.namespace)
    }

    async fn status_event(&self, reason: &str, message: &str) {
        let config = match self.status_api().get_opt(&self.options.status_config_map_name).await {
            Ok(Some(config)) => config,
            _ => match self.write_config_map(BTreeMap::new()).await {
                Some(config) => config,
                None => return,
            },
        };
        record_event(self.client, COMPONENT, &config, false, reason, message).await;
    }

    async fn write_config_map(&self, data: BTreeMap<String, String>) -> Option<ConfigMap> {
        let api = self.status_api();
        let name = &self.options.status_config_map_name;
        let updated = status::go_time(self.now);
        let patch = json!({
            "metadata": { "annotations": { LAST_UPDATED_ANNOTATION: updated } },
            "data": data,
        });
        match api.patch(name, &PatchParams::default(), &Patch::Merge(&patch)).await {
            Ok(config) => Some(config),
            Err(kube::Error::Api(response)) if response.code == 404 => {
                let config: ConfigMap = serde_json::from_value(json!({
                    "metadata": { "name": name, "namespace": self.namespace,
                                  "annotations": { LAST_UPDATED_ANNOTATION: updated } },
                    "data": data,
                }))
                .ok()?;
                match api.create(&PostParams::default(), &config).await {
                    Ok(config) => Some(config),
                    Err(error) => {
                        tracing::debug!(%error, "cluster-autoscaler: cannot write its status");
                        None
                    }
                }
            }
            Err(error) => {
                tracing::debug!(%error, "cluster-autoscaler: cannot write its status");
                None
            }
        }
    }

    async fn write_status(&self, found: &[Found], state: &mut State, candidates: &HashMap<String, usize>) {
        let node_by_name: HashMap<String, &Node> =
            self.nodes.iter().map(|node| (node.name_any(), node.as_ref())).collect();
        let mut cluster = status::NodeCounts::default();
        let mut groups = Vec::new();
        let mut grouped: BTreeSet<String> = BTreeSet::new();
        for entry in found {
            let mut counts = status::NodeCounts::default();
            for name in &entry.nodes {
                grouped.insert(name.clone());
                let Some(node) = node_by_name.get(name) else { continue };
                counts.registered += 1;
                if has_deletion_taint(node) {
                    counts.being_deleted += 1;
                } else if is_ready(node) {
                    counts.ready += 1;
                } else {
                    counts.unready += 1;
                }
            }
            let backed_off = state.backoff_until.contains_key(&entry.group.id);
            counts.unregistered = (entry.group.target_size - counts.registered).max(0);
            if backed_off {
                counts.long_unregistered = counts.unregistered;
            }
            let scale_up = if backed_off {
                "Backoff"
            } else if state.scale_ups.contains_key(&entry.group.id) {
                "InProgress"
            } else {
                "NoActivity"
            };
            cluster.unregistered += counts.unregistered;
            cluster.long_unregistered += counts.long_unregistered;
            groups.push(status::GroupStatus {
                name: entry.group.id.clone(),
                counts,
                target: entry.group.target_size,
                min: entry.min,
                max: entry.max,
                scale_up,
                candidates: candidates.get(&entry.group.id).copied().unwrap_or(0),
            });
        }
        for node in &self.nodes {
            cluster.registered += 1;
            if has_deletion_taint(node) {
                cluster.being_deleted += 1;
            } else if is_ready(node) {
                cluster.ready += 1;
            } else {
                cluster.unready += 1;
            }
        }
        let text = status::render(&groups, &cluster, &mut state.transitions, self.now);
        self.write_config_map([("status".to_owned(), text)].into()).await;
    }
}

#[cfg(test)]
mod tests;
