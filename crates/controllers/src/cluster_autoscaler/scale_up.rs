//! Scale up, as upstream's `core/scaleup/orchestrator` decides it (pure: a function of the pending pods, the
//! cluster's snapshot and the groups):
//!
//! 1. Pods that fit on an existing node, or on a node already asked for and not yet registered (upstream's
//!    `clusterstate` upcoming nodes, simulated from their group's template), need nothing.
//! 2. For every other pod and group: a group backed off, at its max size or without a template cannot help;
//!    else the pod must fit a fresh template node (the scheduler's filters).
//! 3. Each group whose template takes some pods is an option: binpacking says how many nodes, capped by the
//!    group's max size and `--max-nodes-total`.
//! 4. The expander chain picks one option; with `--balance-similar-node-groups` its nodes are spread over the
//!    similar groups that are options too (same capacity, labels and taints but for zone and node group names),
//!    smallest group first.
//!
//! Pods no option helps get `NotTriggerScaleUp` with each group's reason counted ("1 max node group size
//! reached", "1 Insufficient cpu", ...); pods the chosen option takes get `TriggeredScaleUp`.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::Pod;
use scheduler::{Snapshot, pod_key, pod_requests};

use super::estimate::{Template, bound, estimate};
use super::expander::{self, Priorities, ScaleUpOption};
use super::flags::Options;
use crate::node_groups::NodeTemplate;

/// A group as the planner sees it.
#[derive(Debug, Clone)]
pub struct GroupState {
    pub id: String,
    pub min: i64,
    pub max: i64,
    pub target: i64,
    /// Its instances whose node has registered.
    pub registered: i64,
    pub template: Option<(NodeTemplate, Template)>,
    /// Its last scale-up did not register in time: it is left alone for a while.
    pub backed_off: bool,
}

impl GroupState {
    /// Nodes asked for and not yet registered.
    pub fn upcoming(&self) -> i64 {
        (self.target - self.registered).max(0)
    }
}

/// One group's new size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Increase {
    pub group: String,
    pub from: i64,
    pub to: i64,
    pub max: i64,
}

/// What a scan decided.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub increases: Vec<Increase>,
    /// Pods the new nodes take.
    pub helped: BTreeSet<String>,
    /// Pods no group can help, with why (the `NotTriggerScaleUp` message).
    pub not_helped: BTreeMap<String, String>,
    /// Pods that will run on existing or upcoming nodes.
    pub fits_existing: BTreeSet<String>,
}

/// The labels that may differ between similar groups.
const IGNORED_LABELS: &[&str] = &[
    "kubernetes.io/hostname",
    "topology.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/zone",
    "topology.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/region",
    "topology.ebs.csi.aws.com/zone",
    "eks.amazonaws.com/nodegroup",
    "eks.amazonaws.com/nodegroup-image",
    "eks.amazonaws.com/sourceLaunchTemplateId",
    "eks.amazonaws.com/sourceLaunchTemplateVersion",
    "alpha.eksctl.io/nodegroup-name",
    "alpha.eksctl.io/instance-id",
    "k8s.amazonaws.com/eniConfig",
    "lifecycle",
];

/// Whether two groups' nodes are alike enough to balance (upstream's `IsCloudProviderNodeInfoSimilar`): same
/// cpu, memory within 1.5%, allocatable within 5%, same taints and labels but for zones and group names.
pub fn similar(a: &NodeTemplate, b: &NodeTemplate) -> bool {
    let within = |x: u64, y: u64, ratio: f64| {
        let (x, y) = (x as f64, y as f64);
        let larger = x.max(y);
        larger == 0.0 || (x - y).abs() / larger <= ratio
    };
    fn labels(t: &NodeTemplate) -> BTreeMap<&String, &String> {
        t.labels.iter().filter(|(key, _)| !IGNORED_LABELS.contains(&key.as_str())).collect()
    }
    a.capacity_cpu_millis == b.capacity_cpu_millis
        && within(a.capacity_memory_bytes, b.capacity_memory_bytes, 0.015)
        && within(a.allocatable_cpu_millis, b.allocatable_cpu_millis, 0.05)
        && within(a.allocatable_memory_bytes, b.allocatable_memory_bytes, 0.05)
        && a.taints == b.taints
        && labels(a) == labels(b)
}

/// Spreads `count` new nodes over groups `(id, target, max)`, each to the smallest group with room.
pub fn balance(groups: &[(String, i64, i64)], count: i64) -> Vec<(String, i64)> {
    let mut sizes: Vec<(String, i64, i64)> = groups.to_vec();
    let mut added: BTreeMap<String, i64> = BTreeMap::new();
    for _ in 0..count {
        let Some(smallest) =
            sizes.iter_mut().filter(|(_, size, max)| size < max).min_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)))
        else {
            break;
        };
        smallest.1 += 1;
        *added.entry(smallest.0.clone()).or_default() += 1;
    }
    added.into_iter().collect()
}

fn reasons_message(reasons: &BTreeMap<String, usize>) -> String {
    let mut parts: Vec<String> = reasons.iter().map(|(reason, n)| format!("{n} {reason}")).collect();
    parts.sort();
    format!("pod didn't trigger scale-up: {}", parts.join(", "))
}

/// Decides a scan's scale-up. `total_nodes` counts the cluster's nodes and those asked for; `seed` breaks ties.
pub fn plan(
    pending: &[&Pod],
    cluster: &Snapshot,
    groups: &[GroupState],
    options: &Options,
    total_nodes: i64,
    priorities: Option<&Priorities>,
    seed: u64,
) -> Plan {
    let mut result = Plan::default();
    // 1. Existing and upcoming nodes first.
    let mut snapshot = cluster.clone();
    for group in groups {
        if let Some((_, template)) = &group.template {
            for index in 0..group.upcoming() {
                template.add_to(&mut snapshot, 1_000_000 + index as usize);
            }
        }
    }
    let mut remaining: Vec<&Pod> = Vec::new();
    for pod in pending {
        match scheduler::schedule(pod, &snapshot) {
            Ok(node) => {
                snapshot.add_pod(&bound(pod, &node));
                result.fits_existing.insert(pod_key(pod));
            }
            Err(_) => remaining.push(pod),
        }
    }
    if remaining.is_empty() {
        return result;
    }
    // 2. and 3. Every group's option.
    let room_in_cluster =
        if options.max_nodes_total > 0 { (options.max_nodes_total - total_nodes).max(0) } else { i64::MAX };
    let mut reasons: Vec<BTreeMap<String, usize>> = vec![BTreeMap::new(); remaining.len()];
    let count = |reasons: &mut Vec<BTreeMap<String, usize>>, index: usize, reason: &str| {
        *reasons[index].entry(reason.to_owned()).or_default() += 1;
    };
    let mut choices = Vec::new();
    for group in groups {
        let Some((node_template, template)) = &group.template else { continue };
        let blocked = if group.backed_off {
            Some("in backoff after failed scale-up")
        } else if group.target >= group.max {
            Some("max node group size reached")
        } else if room_in_cluster == 0 {
            Some("max cluster size reached")
        } else {
            None
        };
        if let Some(reason) = blocked {
            (0..remaining.len()).for_each(|index| count(&mut reasons, index, reason));
            continue;
        }
        let mut fitting = Vec::new();
        for (index, pod) in remaining.iter().enumerate() {
            match template.check(pod) {
                Ok(()) => fitting.push(index),
                Err(why) => why.keys().for_each(|reason| count(&mut reasons, index, reason)),
            }
        }
        if fitting.is_empty() {
            continue;
        }
        let pods: Vec<&Pod> = fitting.iter().map(|index| remaining[*index]).collect();
        let limit = (group.max - group.target).min(room_in_cluster);
        let estimate = estimate(&pods, template, limit);
        if estimate.nodes == 0 {
            continue;
        }
        let taken: Vec<&Pod> = estimate.scheduled.iter().map(|index| pods[*index]).collect();
        let (requested_cpu, requested_memory) = taken.iter().fold((0, 0), |(cpu, memory), pod| {
            let requests = pod_requests(pod);
            (cpu + requests.milli_cpu, memory + requests.memory)
        });
        choices.push(ScaleUpOption {
            group: group.id.clone(),
            node_count: estimate.nodes,
            pods: taken.iter().map(|pod| pod_key(pod)).collect(),
            requested_cpu,
            requested_memory,
            node_cpu: node_template.capacity_cpu_millis as i64,
            node_memory: node_template.capacity_memory_bytes as i64,
            price_per_hour: node_template.price_per_hour,
        });
    }
    let could_help: BTreeSet<String> = choices.iter().flat_map(|option| option.pods.iter().cloned()).collect();
    for (index, pod) in remaining.iter().enumerate() {
        let key = pod_key(pod);
        if !could_help.contains(&key) {
            result.not_helped.insert(key, reasons_message(&reasons[index]));
        }
    }
    // 4. The expander, and balancing.
    let all = choices.clone();
    let Some(best) = expander::choose(&options.expanders, choices, priorities, seed) else { return result };
    let state = |id: &str| groups.iter().find(|group| group.id == id);
    let mut targets: Vec<(String, i64, i64)> = Vec::new();
    if let Some(chosen) = state(&best.group) {
        targets.push((chosen.id.clone(), chosen.target, chosen.max));
        if options.balance_similar_node_groups
            && let Some((chosen_template, _)) = &chosen.template
        {
            for option in all.iter().filter(|option| option.group != best.group) {
                if let Some(other) = state(&option.group)
                    && let Some((other_template, _)) = &other.template
                    && similar(chosen_template, other_template)
                {
                    targets.push((other.id.clone(), other.target, other.max));
                }
            }
        }
    }
    for (group, added) in balance(&targets, best.node_count) {
        if let Some(state) = state(&group) {
            result.increases.push(Increase { group, from: state.target, to: state.target + added, max: state.max });
        }
    }
    result.helped = best.pods.into_iter().collect();
    result
}

/// The `TriggeredScaleUp` message: `pod triggered scale-up: [{<group> 1->3 (max: 10)}]`.
pub fn triggered_message(increases: &[Increase]) -> String {
    let groups: Vec<String> =
        increases.iter().map(|i| format!("{{{} {}->{} (max: {})}}", i.group, i.from, i.to, i.max)).collect();
    format!("pod triggered scale-up: [{}]", groups.join(" "))
}
