//! Scale down, as upstream's `core/scaledown/` decides it (pure): a node of a group is unneeded when its pods'
//! requests are below `--scale-down-utilization-threshold` of its allocatable (the larger of the cpu and memory
//! ratios), nothing blocks it, and every pod that must go fits on another node (the scheduler's filters on the
//! cluster's snapshot, nodes already chosen left out). What blocks a node: the
//! `cluster-autoscaler.kubernetes.io/scale-down-disabled` annotation, and pods that may not move: annotated
//! `safe-to-evict: "false"`, without a controller, in kube-system without a disruption budget (with
//! `--skip-nodes-with-system-pods`), with local storage not listed in `safe-to-evict-local-volumes` (with
//! `--skip-nodes-with-local-storage`), or whose budget allows no disruption now. `safe-to-evict: "true"` lets a pod
//! go whatever else it is, but for its budget. DaemonSet and mirror pods and finished pods stay ([`crate::drain`]).

use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use scheduler::{Snapshot, pod_key, pod_requests};

use super::estimate::bound;
use super::flags::Options;

/// The annotation that keeps a node.
pub const SCALE_DOWN_DISABLED: &str = "cluster-autoscaler.kubernetes.io/scale-down-disabled";
/// The annotation that says whether a pod may be evicted.
pub const SAFE_TO_EVICT: &str = "cluster-autoscaler.kubernetes.io/safe-to-evict";
/// The annotation that lists the local volumes a pod may lose.
pub const SAFE_TO_EVICT_LOCAL_VOLUMES: &str = "cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes";
/// The taint on a node being deleted.
pub const TO_BE_DELETED_TAINT: &str = "ToBeDeletedByClusterAutoscaler";

/// Why a node stays (upstream's `UnremovableReason`s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocker {
    ScaleDownDisabledAnnotation,
    NotUnderutilized,
    NotSafeToEvictAnnotation(String),
    NotReplicated(String),
    UnmovableKubeSystemPod(String),
    LocalStorageRequested(String),
    NotEnoughPdb(String),
    NoPlaceToMovePods,
    /// The node is not Ready and `--scale-down-unready-enabled=false`.
    ScaleDownUnreadyDisabled,
}

fn annotation<'a>(
    object: &'a k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    key: &str,
) -> Option<&'a str> {
    object.annotations.as_ref()?.get(key).map(String::as_str)
}

/// The pods of a node that would have to move: not DaemonSet, mirror, finished or already terminating pods.
pub fn pods_to_move<'a>(pods: &[&'a Pod]) -> Vec<&'a Pod> {
    pods.iter().copied().filter(|pod| !crate::drain::stays(pod) && pod.metadata.deletion_timestamp.is_none()).collect()
}

fn budgets_of<'a>(pod: &Pod, budgets: &'a [PodDisruptionBudget]) -> Vec<&'a PodDisruptionBudget> {
    let labels = pod.metadata.labels.clone().unwrap_or_default();
    budgets
        .iter()
        .filter(|budget| budget.metadata.namespace == pod.metadata.namespace)
        .filter(|budget| {
            let selector = budget.spec.as_ref().and_then(|spec| spec.selector.as_ref());
            selector.is_some_and(|selector| scheduler::selector_matches(selector, &labels))
        })
        .collect()
}

/// What keeps `pod` where it is, if anything.
pub fn pod_blocker(pod: &Pod, budgets: &[PodDisruptionBudget], options: &Options) -> Option<Blocker> {
    let key = pod_key(pod);
    let matching = budgets_of(pod, budgets);
    if matching.iter().any(|budget| budget.status.as_ref().is_none_or(|status| status.disruptions_allowed < 1)) {
        return Some(Blocker::NotEnoughPdb(key));
    }
    match annotation(&pod.metadata, SAFE_TO_EVICT) {
        Some("true") => return None,
        Some("false") => return Some(Blocker::NotSafeToEvictAnnotation(key)),
        _ => {}
    }
    let controlled = pod.metadata.owner_references.iter().flatten().any(|owner| owner.controller == Some(true));
    if !controlled {
        return Some(Blocker::NotReplicated(key));
    }
    if options.skip_nodes_with_system_pods
        && pod.metadata.namespace.as_deref() == Some("kube-system")
        && matching.is_empty()
    {
        return Some(Blocker::UnmovableKubeSystemPod(key));
    }
    if options.skip_nodes_with_local_storage {
        let allowed: Vec<&str> = annotation(&pod.metadata, SAFE_TO_EVICT_LOCAL_VOLUMES)
            .map(|list| list.split(',').map(str::trim).collect())
            .unwrap_or_default();
        let local = pod.spec.as_ref().and_then(|spec| spec.volumes.as_ref()).into_iter().flatten().any(|volume| {
            (volume.empty_dir.is_some() || volume.host_path.is_some()) && !allowed.contains(&volume.name.as_str())
        });
        if local {
            return Some(Blocker::LocalStorageRequested(key));
        }
    }
    None
}

/// The larger of the node's cpu and memory requests ratios to its allocatable (every pod bound to it counts).
pub fn utilization(node: &Node, pods: &[&Pod]) -> f64 {
    let list = node.status.as_ref().and_then(|status| status.allocatable.clone()).unwrap_or_default();
    let allocatable = scheduler::Resources::from_list(&list);
    let (cpu, memory) = pods.iter().fold((0i64, 0i64), |(cpu, memory), pod| {
        let requests = pod_requests(pod);
        (cpu + requests.milli_cpu, memory + requests.memory)
    });
    let ratio = |used: i64, total: i64| if total > 0 { used as f64 / total as f64 } else { 0.0 };
    ratio(cpu, allocatable.milli_cpu).max(ratio(memory, allocatable.memory))
}

/// A node that may go, with what goes with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Unneeded {
    pub node: String,
    /// Whether the node is Ready: an unready one goes after `--scale-down-unready-time` instead.
    pub ready: bool,
    pub utilization: f64,
    /// Keys of the pods to move.
    pub pods: Vec<String>,
}

/// One node of a group to look at, with the pods bound to it.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    pub node: &'a Node,
    pub pods: Vec<&'a Pod>,
    /// Whether its Ready condition is True.
    pub ready: bool,
}

/// Which candidates are unneeded now, least used first; each unneeded node's pods are placed on the rest of the
/// cluster in `snapshot` (which should hold every node and pod), and the node left out as a destination for the
/// next ones. The others get the reason they stay.
pub fn find_unneeded(
    candidates: &[Candidate],
    snapshot: &Snapshot,
    budgets: &[PodDisruptionBudget],
    options: &Options,
) -> Vec<Result<Unneeded, (String, Blocker)>> {
    let mut snapshot = snapshot.clone();
    let mut order: Vec<(usize, f64)> =
        candidates.iter().enumerate().map(|(index, c)| (index, utilization(c.node, &c.pods))).collect();
    order.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    let mut out = Vec::new();
    for (index, used) in order {
        let candidate = &candidates[index];
        let name = candidate.node.metadata.name.clone().unwrap_or_default();
        let verdict = check(candidate, used, &mut snapshot, budgets, options);
        out.push(match verdict {
            Ok(pods) => Ok(Unneeded { node: name, ready: candidate.ready, utilization: used, pods }),
            Err(blocker) => Err((name, blocker)),
        });
    }
    out
}

fn check(
    candidate: &Candidate,
    used: f64,
    snapshot: &mut Snapshot,
    budgets: &[PodDisruptionBudget],
    options: &Options,
) -> Result<Vec<String>, Blocker> {
    if annotation(&candidate.node.metadata, SCALE_DOWN_DISABLED) == Some("true") {
        return Err(Blocker::ScaleDownDisabledAnnotation);
    }
    if !candidate.ready && !options.scale_down_unready_enabled {
        return Err(Blocker::ScaleDownUnreadyDisabled);
    }
    if used >= options.scale_down_utilization_threshold {
        return Err(Blocker::NotUnderutilized);
    }
    let moving = pods_to_move(&candidate.pods);
    if let Some(blocker) = moving.iter().find_map(|pod| pod_blocker(pod, budgets, options)) {
        return Err(blocker);
    }
    let name = candidate.node.metadata.name.clone().unwrap_or_default();
    let mut trial = snapshot.clone();
    trial.remove_node(&name);
    for pod in &moving {
        let key = pod_key(pod);
        trial.remove_pod(&key);
        let mut pending = (*pod).clone();
        if let Some(spec) = pending.spec.as_mut() {
            spec.node_name = None;
        }
        match scheduler::schedule(&pending, &trial) {
            Ok(destination) => trial.add_pod(&bound(&pending, &destination)),
            Err(_) => return Err(Blocker::NoPlaceToMovePods),
        }
    }
    *snapshot = trial;
    Ok(moving.iter().map(|pod| pod_key(pod)).collect())
}

/// Whether a node unneeded since `since` (Unix seconds) may go at `now`: unneeded long enough
/// (`--scale-down-unneeded-time`, or `--scale-down-unready-time` for a node that is not Ready), and the last
/// scale-up (if any) at least `--scale-down-delay-after-add` ago.
pub fn due(since: f64, now: f64, ready: bool, last_scale_up: Option<f64>, options: &Options) -> bool {
    let wait = if ready { options.scale_down_unneeded_time } else { options.scale_down_unready_time };
    let unneeded_long_enough = now - since >= wait.as_secs_f64();
    let after_add = last_scale_up.is_none_or(|at| now - at >= options.scale_down_delay_after_add.as_secs_f64());
    unneeded_long_enough && after_add
}
