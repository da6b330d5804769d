//! The scheduling decision: which node a pod goes to, as kube-scheduler's default plugins decide it. Filters
//! drop the nodes the pod cannot run on; scores rank the rest; when no node is left, preemption looks for a node
//! where evicting lower-priority pods makes room. Pure: a function of the pod and a [`Snapshot`]. What the pod's
//! volumes ask is worked out in `volumes`.

use kube::core::{Selector, SelectorExt};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

use k8s_openapi::api::core::v1::{
    NodeSelectorRequirement, NodeSelectorTerm, Pod, PodAffinityTerm, Taint, Toleration, TopologySpreadConstraint,
    WeightedPodAffinityTerm,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

use crate::resources::{self, Resources};
use crate::snapshot::{self, NodeInfo, PodInfo, PodKey, Snapshot};
use crate::volumes::{self, PodVolumes};

/// The fewest nodes a decision looks at before it stops searching (upstream's `minFeasibleNodesToFind`).
const MIN_FEASIBLE_NODES: usize = 100;
/// The taint that marks a node which is not ready.
const NOT_READY_TAINT: &str = "node.kubernetes.io/not-ready";
/// The taint that marks a cordoned node.
const UNSCHEDULABLE_TAINT: &str = "node.kubernetes.io/unschedulable";
/// Why preemption cannot help on a node whose failure evicting pods does not cure.
const PREEMPTION_NOT_HELPFUL: &str = "Preemption is not helpful for scheduling";
/// Why a pod with `preemptionPolicy: Never` preempts nothing.
const PREEMPTION_NEVER: &str = "not eligible due to preemptionPolicy=Never.";
/// Upstream's default spreading: at most this skew between zones...
const DEFAULT_ZONE_SKEW: i64 = 3;
/// ...and between nodes, both as scores only.
const DEFAULT_HOST_SKEW: i64 = 5;

/// Why a pod could not be scheduled, and what preemption found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unschedulable {
    /// How many nodes were considered.
    pub n_nodes: usize,
    /// Why no node can take the pod, whatever the node (upstream's PreFilter message: a claim of the pod is
    /// missing, say); `reasons` is empty then.
    pub pre_filter: Option<String>,
    /// How many nodes failed for each reason (a node may give several).
    pub reasons: BTreeMap<String, usize>,
    /// Why preemption did not help, by node count; empty when it was not tried or found victims.
    pub preemption_reasons: BTreeMap<String, usize>,
    /// Why the pod may not preempt now, when it may not: `preemptionPolicy: Never`, or victims of its earlier
    /// preemption still terminating on its nominated node.
    pub not_eligible: Option<&'static str>,
    /// The node where evicting `victims` makes room, if preemption found one.
    pub preemption: Option<Preemption>,
}

/// Lower-priority pods to evict so that the pod fits on `node`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preemption {
    pub node: String,
    pub victims: Vec<PodKey>,
}

impl Unschedulable {
    /// The message of the `FailedScheduling` event and of the pod's `PodScheduled` condition, worded as
    /// kube-scheduler words it.
    pub fn message(&self) -> String {
        if self.n_nodes == 0 {
            return "no nodes available to schedule pods".into();
        }
        let reasons = match &self.pre_filter {
            Some(reason) => reason.clone(),
            None => counted(&self.reasons),
        };
        let mut message = format!("0/{} nodes are available: {reasons}.", self.n_nodes);
        if let Some(why) = self.not_eligible {
            message.push_str(&format!(" preemption: {why}"));
        } else if !self.preemption_reasons.is_empty() {
            message.push_str(&format!(
                " preemption: 0/{} nodes are available: {}.",
                self.n_nodes,
                counted(&self.preemption_reasons)
            ));
        }
        message
    }
}

fn counted(reasons: &BTreeMap<String, usize>) -> String {
    let mut parts: Vec<String> = reasons.iter().map(|(reason, n)| format!("{n} {reason}")).collect();
    parts.sort();
    parts.join(", ")
}

/// Why one node cannot take the pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    Unschedulable,
    Taint {
        key: String,
        value: String,
    },
    NodeAffinity,
    Resources {
        cpu: bool,
        memory: bool,
        ephemeral_storage: bool,
        pods: bool,
        /// The extended resources the node lacks, in the pod's order.
        scalar: Vec<String>,
    },
    PodAffinity,
    PodAntiAffinity,
    ExistingAntiAffinity,
    Spread,
    /// A bound claim's volume is missing or out of the node's reach, or an unbound claim's class cannot
    /// provision a volume for the node.
    VolumeBinding {
        missing_volume: bool,
        affinity_conflict: bool,
        nothing_to_bind: bool,
    },
    /// The node is not in a bound volume's zone or region.
    VolumeZone,
}

impl Failure {
    fn reasons(&self) -> Vec<String> {
        match self {
            Failure::Unschedulable => vec!["node(s) were unschedulable".into()],
            Failure::Taint { key, value } => vec![format!("node(s) had untolerated taint {{{key}: {value}}}")],
            Failure::NodeAffinity => vec!["node(s) didn't match Pod's node affinity/selector".into()],
            Failure::Resources { cpu, memory, ephemeral_storage, pods, scalar } => {
                let mut reasons = Vec::new();
                if *pods {
                    reasons.push("Too many pods".into());
                }
                for (short, name) in [(cpu, "cpu"), (memory, "memory"), (ephemeral_storage, "ephemeral-storage")] {
                    if *short {
                        reasons.push(format!("Insufficient {name}"));
                    }
                }
                reasons.extend(scalar.iter().map(|name| format!("Insufficient {name}")));
                reasons
            }
            Failure::PodAffinity => vec!["node(s) didn't match pod affinity rules".into()],
            Failure::PodAntiAffinity => vec!["node(s) didn't match pod anti-affinity rules".into()],
            Failure::ExistingAntiAffinity => vec!["node(s) didn't satisfy existing pods anti-affinity rules".into()],
            Failure::Spread => vec!["node(s) didn't match pod topology spread constraints".into()],
            Failure::VolumeBinding { missing_volume, affinity_conflict, nothing_to_bind } => {
                let mut reasons = Vec::new();
                if *affinity_conflict {
                    reasons.push("node(s) had volume node affinity conflict".into());
                }
                if *nothing_to_bind {
                    reasons.push("node(s) didn't find available persistent volumes to bind".into());
                }
                if *missing_volume {
                    reasons.push("node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)".into());
                }
                reasons
            }
            Failure::VolumeZone => vec!["node(s) had no available volume zone".into()],
        }
    }

    /// Whether evicting pods could make the node fit (else the node is unschedulable and unresolvable).
    fn preemption_may_help(&self) -> bool {
        matches!(self, Failure::Resources { .. })
    }
}

/// The pod being scheduled, read once per decision.
struct Incoming<'a> {
    key: PodKey,
    namespace: &'a str,
    labels: BTreeMap<String, String>,
    priority: i32,
    may_preempt: bool,
    requests: Resources,
    non_zero: Resources,
    tolerations: &'a [Toleration],
    node_selector: Option<&'a BTreeMap<String, String>>,
    required_node_terms: Option<&'a [NodeSelectorTerm]>,
    preferred_node_terms: Vec<(i32, &'a NodeSelectorTerm)>,
    affinity: &'a [PodAffinityTerm],
    anti_affinity: &'a [PodAffinityTerm],
    preferred_affinity: &'a [WeightedPodAffinityTerm],
    preferred_anti_affinity: &'a [WeightedPodAffinityTerm],
    /// The spread constraints, each selector narrowed by its `matchLabelKeys`.
    spread: Vec<Cow<'a, TopologySpreadConstraint>>,
    group: Option<u64>,
    /// The node an earlier preemption made room on.
    nominated_node: Option<&'a str>,
}

impl<'a> Incoming<'a> {
    fn new(pod: &'a Pod) -> Incoming<'a> {
        let spec = pod.spec.as_ref();
        let affinity = spec.and_then(|s| s.affinity.as_ref());
        let node_affinity = affinity.and_then(|a| a.node_affinity.as_ref());
        let pod_affinity = affinity.and_then(|a| a.pod_affinity.as_ref());
        let pod_anti_affinity = affinity.and_then(|a| a.pod_anti_affinity.as_ref());
        let requests = resources::pod_requests(pod);
        Incoming {
            key: snapshot::pod_key(pod),
            namespace: pod.metadata.namespace.as_deref().unwrap_or("default"),
            labels: pod.metadata.labels.clone().unwrap_or_default(),
            priority: spec.and_then(|s| s.priority).unwrap_or(0),
            may_preempt: spec.and_then(|s| s.preemption_policy.as_deref()) != Some("Never"),
            non_zero: resources::non_zero(&requests),
            requests,
            tolerations: spec.and_then(|s| s.tolerations.as_deref()).unwrap_or(&[]),
            node_selector: spec.and_then(|s| s.node_selector.as_ref()),
            required_node_terms: node_affinity
                .and_then(|a| a.required_during_scheduling_ignored_during_execution.as_ref())
                .map(|s| s.node_selector_terms.as_slice()),
            preferred_node_terms: node_affinity
                .and_then(|a| a.preferred_during_scheduling_ignored_during_execution.as_ref())
                .map(|terms| terms.iter().map(|t| (t.weight, &t.preference)).collect())
                .unwrap_or_default(),
            affinity: pod_affinity
                .and_then(|a| a.required_during_scheduling_ignored_during_execution.as_deref())
                .unwrap_or(&[]),
            anti_affinity: pod_anti_affinity
                .and_then(|a| a.required_during_scheduling_ignored_during_execution.as_deref())
                .unwrap_or(&[]),
            preferred_affinity: pod_affinity
                .and_then(|a| a.preferred_during_scheduling_ignored_during_execution.as_deref())
                .unwrap_or(&[]),
            preferred_anti_affinity: pod_anti_affinity
                .and_then(|a| a.preferred_during_scheduling_ignored_during_execution.as_deref())
                .unwrap_or(&[]),
            spread: spec
                .and_then(|s| s.topology_spread_constraints.as_deref())
                .unwrap_or(&[])
                .iter()
                .map(|constraint| with_match_label_keys(constraint, pod.metadata.labels.as_ref()))
                .collect(),
            group: snapshot::spread_group(pod),
            nominated_node: pod
                .status
                .as_ref()
                .and_then(|s| s.nominated_node_name.as_deref())
                .filter(|n| !n.is_empty()),
        }
    }
}

/// What a decision works out once before looking at nodes: which topology domains hold the pods that the
/// pod's affinity rules and spread constraints are about, and what its volumes ask of a node.
#[derive(Default)]
struct Prepared<'s> {
    volumes: PodVolumes<'s>,
    /// Per required affinity term, the domains holding a matching pod; `None` when the term is waived (no pod
    /// matches anywhere and the pod matches its own term).
    affinity_domains: Vec<Option<HashSet<String>>>,
    /// Per required anti-affinity term, the domains holding a matching pod.
    anti_affinity_domains: Vec<HashSet<String>>,
    /// (topology key, value) pairs where an existing pod's anti-affinity keeps the pod out.
    existing_anti_affinity: HashSet<(String, String)>,
    /// Per `DoNotSchedule` constraint: pods per domain, the smallest count over eligible domains, and 1 when the
    /// pod itself matches the constraint's selector (0 otherwise).
    hard_spread: Vec<(usize, HashMap<String, i64>, i64, i64)>,
}

/// Picks the node for `pod`, or says why there is none (and, when it may help, which pods to preempt).
pub fn schedule(pod: &Pod, snapshot: &Snapshot) -> Result<String, Box<Unschedulable>> {
    let mut incoming = Incoming::new(pod);
    // A nomination known to the scheduler but not yet written to the pod counts too.
    if incoming.nominated_node.is_none() {
        incoming.nominated_node = snapshot.nominated_node(&incoming.key);
    }
    let n_nodes = snapshot.n_nodes();
    let pod_volumes = match volumes::pod_volumes(pod, &snapshot.volumes) {
        Ok(pod_volumes) => pod_volumes,
        Err(reason) => return Err(Box::new(unresolvable(&incoming, n_nodes, reason))),
    };
    let prepared = Prepared { volumes: pod_volumes, ..prepare(&incoming, snapshot) };
    let nodes = &snapshot.nodes;
    // The node a preemption made room on is tried first and taken if the pod fits there now.
    if let Some(node) = incoming.nominated_node.and_then(|name| snapshot.node(name))
        && node.present
        && filter(&incoming, &prepared, node).is_ok()
    {
        return Ok(node.name.clone());
    }
    let to_find = feasible_nodes_to_find(n_nodes);
    let start = if nodes.is_empty() { 0 } else { (hash_of(&incoming.key) as usize) % nodes.len() };
    let mut feasible: Vec<usize> = Vec::with_capacity(to_find.min(nodes.len()));
    let mut failures: Vec<(usize, Failure)> = Vec::new();
    for offset in 0..nodes.len() {
        let node_idx = (start + offset) % nodes.len();
        let node = &nodes[node_idx];
        if !node.present {
            continue;
        }
        match filter(&incoming, &prepared, node) {
            Ok(()) => {
                feasible.push(node_idx);
                if feasible.len() >= to_find {
                    break;
                }
            }
            Err(failure) => failures.push((node_idx, failure)),
        }
    }
    if feasible.is_empty() {
        return Err(Box::new(unschedulable(&incoming, snapshot, n_nodes, &failures)));
    }
    if feasible.len() == 1 {
        return Ok(nodes[feasible[0]].name.clone());
    }
    let totals = score(&incoming, snapshot, &feasible);
    let best = totals.iter().copied().max().unwrap_or(0);
    let ties: Vec<usize> = feasible.iter().zip(&totals).filter(|(_, t)| **t == best).map(|(idx, _)| *idx).collect();
    let pick = ties[(hash_of(&(&incoming.key, "tie")) as usize) % ties.len()];
    Ok(nodes[pick].name.clone())
}

/// How many feasible nodes are enough: all of a small cluster, a shrinking share of a large one (upstream's
/// adaptive `percentageOfNodesToScore`).
fn feasible_nodes_to_find(n_nodes: usize) -> usize {
    if n_nodes < MIN_FEASIBLE_NODES {
        return n_nodes.max(1);
    }
    let percentage = 50usize.saturating_sub(n_nodes / 125).max(5);
    (n_nodes * percentage / 100).max(MIN_FEASIBLE_NODES)
}

fn hash_of<T: Hash>(value: &T) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

fn prepare<'s>(incoming: &Incoming<'_>, snapshot: &'s Snapshot) -> Prepared<'s> {
    let mut prepared = Prepared::default();
    let node_of = |pod: &PodInfo| &snapshot.nodes[pod.node_idx];
    for term in incoming.affinity {
        let domains = term_domains(term, incoming.namespace, snapshot);
        let waived = domains.is_empty()
            && term_matches(term, incoming.namespace, incoming.namespace, &incoming.labels, snapshot);
        prepared.affinity_domains.push((!waived).then_some(domains));
    }
    for term in incoming.anti_affinity {
        prepared.anti_affinity_domains.push(term_domains(term, incoming.namespace, snapshot));
    }
    for key in &snapshot.anti_affinity_pods {
        let Some(existing) = snapshot.pods.get(key) else { continue };
        for term in &existing.anti_affinity {
            if term_matches(term, &existing.namespace, incoming.namespace, &incoming.labels, snapshot)
                && let Some(value) = node_of(existing).labels.get(&term.topology_key)
            {
                prepared.existing_anti_affinity.insert((term.topology_key.clone(), value.clone()));
            }
        }
    }
    for (idx, constraint) in incoming.spread.iter().enumerate() {
        if constraint.when_unsatisfiable != "DoNotSchedule" {
            continue;
        }
        let counts = spread_counts(constraint, incoming, snapshot);
        // Every domain of a node the pod could go to counts, with zero pods if none match there.
        let mut eligible: HashMap<&str, i64> = HashMap::new();
        for node in snapshot.nodes.iter().filter(|n| n.present && node_affinity_ok(incoming, n)) {
            if let Some(value) = node.labels.get(&constraint.topology_key) {
                eligible.insert(value, counts.get(value).copied().unwrap_or(0));
            }
        }
        // Fewer eligible domains than minDomains: the global minimum counts as zero, so no domain may go above
        // maxSkew.
        let too_few = constraint.min_domains.is_some_and(|wanted| (eligible.len() as i64) < i64::from(wanted));
        let min = if too_few { 0 } else { eligible.values().copied().min().unwrap_or(0) };
        let self_match =
            constraint.label_selector.as_ref().is_some_and(|s| selector_matches(s, &incoming.labels)) as i64;
        prepared.hard_spread.push((idx, counts, min, self_match));
    }
    prepared
}

/// The constraint with its selector narrowed to pods that share the incoming pod's value of each `matchLabelKeys`
/// key (keys the pod has no label for are ignored), as kube-scheduler reads it; borrowed as it is when it has no
/// such keys. A constraint without a selector selects nothing, with or without keys.
fn with_match_label_keys<'a>(
    constraint: &'a TopologySpreadConstraint,
    labels: Option<&BTreeMap<String, String>>,
) -> Cow<'a, TopologySpreadConstraint> {
    if constraint.match_label_keys.as_ref().is_none_or(Vec::is_empty) || constraint.label_selector.is_none() {
        return Cow::Borrowed(constraint);
    }
    let mut constraint = constraint.clone();
    let (Some(keys), Some(selector)) = (constraint.match_label_keys.take(), constraint.label_selector.as_mut()) else {
        return Cow::Owned(constraint);
    };
    for key in keys {
        if let Some(value) = labels.and_then(|labels| labels.get(&key)) {
            selector.match_expressions.get_or_insert_with(Vec::new).push(LabelSelectorRequirement {
                key,
                operator: "In".into(),
                values: Some(vec![value.clone()]),
            });
        }
    }
    Cow::Owned(constraint)
}

/// Pods per domain of `constraint.topologyKey` that its selector selects in the pod's namespace.
fn spread_counts(
    constraint: &TopologySpreadConstraint,
    incoming: &Incoming<'_>,
    snapshot: &Snapshot,
) -> HashMap<String, i64> {
    let mut counts = HashMap::new();
    let Some(selector) = constraint.label_selector.as_ref().and_then(compile) else { return counts };
    for pod in snapshot.pods.values() {
        if pod.namespace != incoming.namespace || !selector.matches(&pod.labels) {
            continue;
        }
        if let Some(value) = snapshot.nodes[pod.node_idx].labels.get(&constraint.topology_key) {
            *counts.entry(value.clone()).or_insert(0) += 1;
        }
    }
    counts
}

/// The topology domains (values of the term's key) that hold a pod the term selects.
fn term_domains(term: &PodAffinityTerm, namespace: &str, snapshot: &Snapshot) -> HashSet<String> {
    let mut domains = HashSet::new();
    let compiled = CompiledTerm::of(term);
    for pod in snapshot.pods.values() {
        if compiled.matches(namespace, &pod.namespace, &pod.labels, snapshot)
            && let Some(value) = snapshot.nodes[pod.node_idx].labels.get(&term.topology_key)
        {
            domains.insert(value.clone());
        }
    }
    domains
}

/// Whether a term written in namespace `own` selects a pod in `namespace` with `labels`. The term's namespaces
/// are those it names plus those its `namespaceSelector` selects by their labels (an empty selector selects every
/// namespace); with neither, the term's own namespace.
fn term_matches(
    term: &PodAffinityTerm,
    own: &str,
    namespace: &str,
    labels: &BTreeMap<String, String>,
    snapshot: &Snapshot,
) -> bool {
    CompiledTerm::of(term).matches(own, namespace, labels, snapshot)
}

/// A pod affinity term with its selectors compiled once, for matching many pods.
struct CompiledTerm<'a> {
    namespaces: &'a [String],
    /// `None`: no namespace selector; `Some(None)`: one that selects nothing.
    namespace_selector: Option<Option<Selector>>,
    label_selector: Option<Selector>,
}

impl<'a> CompiledTerm<'a> {
    fn of(term: &'a PodAffinityTerm) -> CompiledTerm<'a> {
        CompiledTerm {
            namespaces: term.namespaces.as_deref().unwrap_or(&[]),
            namespace_selector: term.namespace_selector.as_ref().map(compile),
            label_selector: term.label_selector.as_ref().and_then(compile),
        }
    }

    /// [`term_matches`] of the term.
    fn matches(&self, own: &str, namespace: &str, labels: &BTreeMap<String, String>, snapshot: &Snapshot) -> bool {
        let names = self.namespaces;
        let in_namespace = match &self.namespace_selector {
            None => names.iter().any(|n| n == namespace) || (names.is_empty() && own == namespace),
            Some(selector) => {
                names.iter().any(|n| n == namespace)
                    || selector.as_ref().is_some_and(|selector| {
                        // A namespace not seen yet (its watch lags) has no labels to match but is selected by `{}`.
                        snapshot.namespaces.get(namespace).map_or_else(
                            || selector.matches(&BTreeMap::new()),
                            |namespace_labels| selector.matches(namespace_labels),
                        )
                    })
            }
        };
        in_namespace && self.label_selector.as_ref().is_some_and(|selector| selector.matches(labels))
    }
}

/// A label selector as kube's [`Selector`], compiled once for many matches; `None` for one that selects nothing
/// (an unknown operator, `In` without values).
fn compile(selector: &LabelSelector) -> Option<Selector> {
    Selector::try_from(selector.clone()).ok()
}

/// Whether a label selector selects `labels` (an empty selector selects everything).
pub fn selector_matches(selector: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    compile(selector).is_some_and(|selector| selector.matches(labels))
}

/// What the pods nominated to `node` at the incoming pod's priority or above hold there, the pod itself aside:
/// room that preemption made for them is not the incoming pod's to take.
fn nominated_load(incoming: &Incoming<'_>, node: &NodeInfo) -> Resources {
    let mut load = Resources::default();
    for nominated in node.nominated.iter().filter(|n| n.priority >= incoming.priority && n.key != incoming.key) {
        load.add(&nominated.requests);
    }
    load
}

fn filter(incoming: &Incoming<'_>, prepared: &Prepared<'_>, node: &NodeInfo) -> Result<(), Failure> {
    if node.unschedulable && !tolerates_any(incoming.tolerations, UNSCHEDULABLE_TAINT, "", "NoSchedule") {
        return Err(Failure::Unschedulable);
    }
    if !node.ready && !tolerates_any(incoming.tolerations, NOT_READY_TAINT, "", "NoSchedule") {
        return Err(Failure::Taint { key: NOT_READY_TAINT.into(), value: String::new() });
    }
    if let Some(taint) = node
        .taints
        .iter()
        .find(|t| matches!(t.effect.as_str(), "NoSchedule" | "NoExecute") && !tolerated(incoming.tolerations, t))
    {
        return Err(Failure::Taint { key: taint.key.clone(), value: taint.value.clone().unwrap_or_default() });
    }
    if !node_affinity_ok(incoming, node) {
        return Err(Failure::NodeAffinity);
    }
    if node.nominated.is_empty() {
        fits(&incoming.requests, &node.allocatable, &node.requested)?;
    } else {
        let mut requested = node.requested.clone();
        requested.add(&nominated_load(incoming, node));
        fits(&incoming.requests, &node.allocatable, &requested)?;
    }
    prepared.volumes.check(node)?;
    for (idx, counts, min, self_match) in &prepared.hard_spread {
        let constraint = &incoming.spread[*idx];
        let Some(value) = node.labels.get(&constraint.topology_key) else { return Err(Failure::Spread) };
        let count = counts.get(value).copied().unwrap_or(0);
        if count + self_match - min > i64::from(constraint.max_skew) {
            return Err(Failure::Spread);
        }
    }
    for (term, domains) in incoming.affinity.iter().zip(&prepared.affinity_domains) {
        let Some(domains) = domains else { continue };
        if !node.labels.get(&term.topology_key).is_some_and(|v| domains.contains(v)) {
            return Err(Failure::PodAffinity);
        }
    }
    for (term, domains) in incoming.anti_affinity.iter().zip(&prepared.anti_affinity_domains) {
        if node.labels.get(&term.topology_key).is_some_and(|v| domains.contains(v)) {
            return Err(Failure::PodAntiAffinity);
        }
    }
    if !prepared.existing_anti_affinity.is_empty()
        && node.labels.iter().any(|(k, v)| prepared.existing_anti_affinity.contains(&(k.clone(), v.clone())))
    {
        return Err(Failure::ExistingAntiAffinity);
    }
    Ok(())
}

/// Whether `requests` fit next to `requested` within `allocatable`.
fn fits(requests: &Resources, allocatable: &Resources, requested: &Resources) -> Result<(), Failure> {
    let short = |want: i64, have: i64, used: i64| want > 0 && want > have - used;
    let failure = Failure::Resources {
        cpu: short(requests.milli_cpu, allocatable.milli_cpu, requested.milli_cpu),
        memory: short(requests.memory, allocatable.memory, requested.memory),
        ephemeral_storage: short(
            requests.ephemeral_storage,
            allocatable.ephemeral_storage,
            requested.ephemeral_storage,
        ),
        pods: requested.pods + 1 > allocatable.pods,
        scalar: requests
            .scalar
            .iter()
            .filter(|(name, want)| {
                let have = allocatable.scalar.get(*name).copied().unwrap_or(0);
                let used = requested.scalar.get(*name).copied().unwrap_or(0);
                short(**want, have, used)
            })
            .map(|(name, _)| name.clone())
            .collect(),
    };
    match failure {
        Failure::Resources { cpu: false, memory: false, ephemeral_storage: false, pods: false, ref scalar }
            if scalar.is_empty() =>
        {
            Ok(())
        }
        failure => Err(failure),
    }
}

fn node_affinity_ok(incoming: &Incoming<'_>, node: &NodeInfo) -> bool {
    if let Some(selector) = incoming.node_selector
        && !selector.iter().all(|(k, v)| node.labels.get(k) == Some(v))
    {
        return false;
    }
    match incoming.required_node_terms {
        Some(terms) => terms.iter().any(|term| node_term_matches(term, node)),
        None => true,
    }
}

/// Whether a node selector term selects the node; a term with no requirements selects nothing.
pub(crate) fn node_term_matches(term: &NodeSelectorTerm, node: &NodeInfo) -> bool {
    let expressions = term.match_expressions.as_deref().unwrap_or(&[]);
    let fields = term.match_fields.as_deref().unwrap_or(&[]);
    if expressions.is_empty() && fields.is_empty() {
        return false;
    }
    expressions.iter().all(|r| requirement_matches(r, node.labels.get(&r.key).map(String::as_str)))
        && fields.iter().all(|r| r.key == "metadata.name" && requirement_matches(r, Some(&node.name)))
}

fn requirement_matches(requirement: &NodeSelectorRequirement, value: Option<&str>) -> bool {
    let values = requirement.values.as_deref().unwrap_or(&[]);
    let number = |text: &str| text.parse::<i64>().ok();
    match requirement.operator.as_str() {
        "In" => value.is_some_and(|v| values.iter().any(|w| w == v)),
        "NotIn" => value.is_none_or(|v| !values.iter().any(|w| w == v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        "Gt" | "Lt" => {
            let (Some(have), [bound]) = (value.and_then(number), values) else { return false };
            let Some(bound) = number(bound) else { return false };
            if requirement.operator == "Gt" { have > bound } else { have < bound }
        }
        _ => false,
    }
}

/// Whether a toleration tolerates a taint: same effect (or any), and the key (or any key, with `Exists`) with
/// an equal value unless `Exists`.
fn tolerates(toleration: &Toleration, key: &str, value: &str, effect: &str) -> bool {
    let effect_ok = toleration.effect.as_deref().is_none_or(|e| e.is_empty() || e == effect);
    let operator = toleration.operator.as_deref().unwrap_or("Equal");
    let toleration_key = toleration.key.as_deref().unwrap_or("");
    if !effect_ok {
        return false;
    }
    match operator {
        "Exists" => toleration_key.is_empty() || toleration_key == key,
        "Equal" | "" => toleration_key == key && toleration.value.as_deref().unwrap_or("") == value,
        _ => false,
    }
}

fn tolerated(tolerations: &[Toleration], taint: &Taint) -> bool {
    tolerates_any(tolerations, &taint.key, taint.value.as_deref().unwrap_or(""), &taint.effect)
}

fn tolerates_any(tolerations: &[Toleration], key: &str, value: &str, effect: &str) -> bool {
    tolerations.iter().any(|t| tolerates(t, key, value, effect))
}

/// Each feasible node's weighted score.
fn score(incoming: &Incoming<'_>, snapshot: &Snapshot, feasible: &[usize]) -> Vec<i64> {
    let nodes = &snapshot.nodes;
    let mut totals = vec![0i64; feasible.len()];
    // Resource fit (least allocated) and balanced allocation, weight 1 each.
    for (total, &idx) in totals.iter_mut().zip(feasible) {
        let node = &nodes[idx];
        let fraction = |used: i64, want: i64, have: i64| {
            if have <= 0 { 1.0 } else { ((used + want) as f64 / have as f64).min(1.0) }
        };
        let cpu = fraction(node.non_zero_requested.milli_cpu, incoming.non_zero.milli_cpu, node.allocatable.milli_cpu);
        let memory = fraction(node.non_zero_requested.memory, incoming.non_zero.memory, node.allocatable.memory);
        let least_allocated = ((1.0 - cpu) * 50.0 + (1.0 - memory) * 50.0) as i64;
        let balanced = ((1.0 - (cpu - memory).abs() / 2.0) * 100.0) as i64;
        *total += least_allocated + balanced;
    }
    // Preferred node affinity, weight 2.
    if !incoming.preferred_node_terms.is_empty() {
        let raw: Vec<i64> = feasible
            .iter()
            .map(|&idx| {
                let node = &nodes[idx];
                incoming
                    .preferred_node_terms
                    .iter()
                    .filter(|(_, term)| node_term_matches(term, node))
                    .map(|(weight, _)| i64::from(*weight))
                    .sum()
            })
            .collect();
        add_normalized(&mut totals, &raw, 2, false);
    }
    // Untolerated PreferNoSchedule taints, weight 3: fewer is better.
    let raw: Vec<i64> = feasible
        .iter()
        .map(|&idx| {
            nodes[idx]
                .taints
                .iter()
                .filter(|t| t.effect == "PreferNoSchedule" && !tolerated(incoming.tolerations, t))
                .count() as i64
        })
        .collect();
    add_normalized(&mut totals, &raw, 3, true);
    // Preferred pod affinity and anti-affinity, weight 2.
    if !incoming.preferred_affinity.is_empty() || !incoming.preferred_anti_affinity.is_empty() {
        let weighted: Vec<(i64, &PodAffinityTerm, HashSet<String>)> = incoming
            .preferred_affinity
            .iter()
            .map(|w| (i64::from(w.weight), &w.pod_affinity_term))
            .chain(incoming.preferred_anti_affinity.iter().map(|w| (-i64::from(w.weight), &w.pod_affinity_term)))
            .map(|(weight, term)| (weight, term, term_domains(term, incoming.namespace, snapshot)))
            .collect();
        let raw: Vec<i64> = feasible
            .iter()
            .map(|&idx| {
                weighted
                    .iter()
                    .filter(|(_, term, domains)| {
                        nodes[idx].labels.get(&term.topology_key).is_some_and(|v| domains.contains(v))
                    })
                    .map(|(weight, _, _)| *weight)
                    .sum()
            })
            .collect();
        add_shifted(&mut totals, &raw, 2);
    }
    // Spreading, weight 2: the pod's ScheduleAnyway constraints, or the default ones for its group.
    let soft: Vec<&TopologySpreadConstraint> =
        incoming.spread.iter().map(|c| c.as_ref()).filter(|c| c.when_unsatisfiable == "ScheduleAnyway").collect();
    if !soft.is_empty() {
        let counted: Vec<(&TopologySpreadConstraint, HashMap<String, i64>)> =
            soft.iter().map(|c| (*c, spread_counts(c, incoming, snapshot))).collect();
        let raw: Vec<i64> = feasible
            .iter()
            .map(|&idx| {
                counted
                    .iter()
                    .map(|(c, counts)| {
                        let value = nodes[idx].labels.get(&c.topology_key);
                        value.and_then(|v| counts.get(v)).copied().unwrap_or(0) * 10 + i64::from(c.max_skew) - 1
                    })
                    .sum()
            })
            .collect();
        add_normalized(&mut totals, &raw, 2, true);
    } else if incoming.spread.is_empty()
        && let Some(group) = incoming.group
    {
        let zoned = feasible.iter().any(|&idx| nodes[idx].zone_id.is_some());
        let per_zone = snapshot.zone_group_counts(group);
        let per_node = snapshot.node_group_counts(group);
        let raw: Vec<i64> = feasible
            .iter()
            .map(|&idx| {
                let on_node = i64::from(per_node[idx]);
                let in_zone = nodes[idx].zone_id.map_or(0, |id| i64::from(per_zone[id as usize]));
                // Zones weigh more than nodes, so that replicas spread over zones first.
                let zone_part = if zoned { (in_zone * 10 + DEFAULT_ZONE_SKEW - 1) * 2 } else { 0 };
                zone_part + on_node * 10 + DEFAULT_HOST_SKEW - 1
            })
            .collect();
        add_normalized(&mut totals, &raw, 2, true);
    }
    totals
}

/// Adds `raw` scaled to 0..=100 (by its maximum; reversed when lower is better) times `weight`.
fn add_normalized(totals: &mut [i64], raw: &[i64], weight: i64, lower_is_better: bool) {
    let max = raw.iter().copied().max().unwrap_or(0);
    let min = raw.iter().copied().min().unwrap_or(0);
    for (total, &value) in totals.iter_mut().zip(raw) {
        let score = match (lower_is_better, max) {
            (_, 0) => {
                if lower_is_better {
                    100
                } else {
                    0
                }
            }
            (false, max) => value * 100 / max,
            (true, max) => (max + min - value) * 100 / max,
        };
        *total += score * weight;
    }
}

/// Adds `raw` (which may be negative) shifted and scaled to 0..=100, times `weight`.
fn add_shifted(totals: &mut [i64], raw: &[i64], weight: i64) {
    let max = raw.iter().copied().max().unwrap_or(0);
    let min = raw.iter().copied().min().unwrap_or(0);
    if max == min {
        return;
    }
    for (total, &value) in totals.iter_mut().zip(raw) {
        *total += (value - min) * 100 / (max - min) * weight;
    }
}

fn unschedulable(
    incoming: &Incoming<'_>,
    snapshot: &Snapshot,
    n_nodes: usize,
    failures: &[(usize, Failure)],
) -> Unschedulable {
    let mut reasons = BTreeMap::new();
    for (_, failure) in failures {
        for reason in failure.reasons() {
            *reasons.entry(reason).or_insert(0) += 1;
        }
    }
    let mut result = Unschedulable {
        n_nodes,
        pre_filter: None,
        reasons,
        preemption_reasons: BTreeMap::new(),
        not_eligible: None,
        preemption: None,
    };
    if n_nodes == 0 {
        return result;
    }
    if !incoming.may_preempt {
        result.not_eligible = Some(PREEMPTION_NEVER);
        return result;
    }
    if waiting_for_victims(incoming, snapshot, failures) {
        result.not_eligible = Some("not eligible due to a terminating pod on the nominated node.");
        return result;
    }
    let mut best: Option<((i32, i64, usize, String), Preemption)> = None;
    let mut no_victims = 0;
    let mut not_helpful = 0;
    for (node_idx, failure) in failures {
        if !failure.preemption_may_help() {
            not_helpful += 1;
            continue;
        }
        let node = &snapshot.nodes[*node_idx];
        match victims_on(incoming, snapshot, node) {
            Some(victims) => {
                let priorities: Vec<i32> = victims.iter().map(|v| v.priority).collect();
                let rank = (
                    priorities.iter().copied().max().unwrap_or(i32::MIN),
                    priorities.iter().map(|p| i64::from(*p)).sum(),
                    victims.len(),
                    node.name.clone(),
                );
                if best.as_ref().is_none_or(|(best_rank, _)| rank < *best_rank) {
                    let victims = victims.iter().map(|v| v.key.clone()).collect();
                    best = Some((rank, Preemption { node: node.name.clone(), victims }));
                }
            }
            None => no_victims += 1,
        }
    }
    match best {
        Some((_, preemption)) => result.preemption = Some(preemption),
        None => {
            if no_victims > 0 {
                result.preemption_reasons.insert("No preemption victims found for incoming pod".into(), no_victims);
            }
            if not_helpful > 0 {
                result.preemption_reasons.insert(PREEMPTION_NOT_HELPFUL.into(), not_helpful);
            }
        }
    }
    result
}

/// The pod cannot go to any node, for `reason`, and evicting pods cures nothing anywhere.
fn unresolvable(incoming: &Incoming<'_>, n_nodes: usize, reason: String) -> Unschedulable {
    let mut result = Unschedulable {
        n_nodes,
        pre_filter: Some(reason),
        reasons: BTreeMap::new(),
        preemption_reasons: BTreeMap::new(),
        not_eligible: None,
        preemption: None,
    };
    if n_nodes == 0 {
        return result;
    }
    if incoming.may_preempt {
        result.preemption_reasons.insert(PREEMPTION_NOT_HELPFUL.into(), n_nodes);
    } else {
        result.not_eligible = Some(PREEMPTION_NEVER);
    }
    result
}

/// Whether the pod already preempted on its nominated node and a lower-priority pod there is still terminating
/// because of it: it waits for that room rather than preempting more (unless the node can no longer take it
/// whatever is evicted).
fn waiting_for_victims(incoming: &Incoming<'_>, snapshot: &Snapshot, failures: &[(usize, Failure)]) -> bool {
    let Some(node) = incoming.nominated_node.and_then(|name| snapshot.node(name)) else { return false };
    let unresolvable =
        failures.iter().any(|(idx, failure)| snapshot.nodes[*idx].name == node.name && !failure.preemption_may_help());
    !unresolvable
        && node
            .pods
            .iter()
            .filter_map(|key| snapshot.pods.get(key))
            .any(|pod| pod.preempted && pod.priority < incoming.priority)
}

/// The fewest lower-priority pods on `node` whose eviction lets the pod fit, keeping the highest-priority ones
/// where possible; `None` when evicting all of them is not enough.
fn victims_on<'a>(incoming: &Incoming<'_>, snapshot: &'a Snapshot, node: &NodeInfo) -> Option<Vec<&'a PodInfo>> {
    let mut lower: Vec<&PodInfo> = node
        .pods
        .iter()
        .filter_map(|key| snapshot.pods.get(key))
        .filter(|pod| pod.priority < incoming.priority)
        .collect();
    if lower.is_empty() {
        return None;
    }
    let mut requested = node.requested.clone();
    requested.add(&nominated_load(incoming, node));
    for pod in &lower {
        requested.sub(&pod.requests);
    }
    fits(&incoming.requests, &node.allocatable, &requested).ok()?;
    // Reprieve as many as possible, highest priority first.
    lower.sort_by(|a, b| b.priority.cmp(&a.priority).then_with(|| a.key.cmp(&b.key)));
    let mut victims = Vec::new();
    for pod in lower {
        let mut with_pod = requested.clone();
        with_pod.add(&pod.requests);
        if fits(&incoming.requests, &node.allocatable, &with_pod).is_ok() {
            requested = with_pod;
        } else {
            victims.push(pod);
        }
    }
    Some(victims)
}

#[cfg(test)]
mod tests;
