//! The scheduler's view of the cluster: every node with the pods bound to it, kept up to date one change at a
//! time so that a decision never re-sums a node's pods; and the claims, volumes and storage classes that pods'
//! volumes depend on.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

use k8s_openapi::api::core::v1::{Node, Pod, PodAffinityTerm, Taint};

use crate::resources::{self, Resources};
use crate::volumes::Volumes;

/// The label naming a node's zone.
pub const ZONE_LABEL: &str = "topology.kubernetes.io/zone";
/// The label naming a node's host.
pub const HOSTNAME_LABEL: &str = "kubernetes.io/hostname";

/// The reason of the `DisruptionTarget` condition the scheduler puts on the pods it preempts.
pub const PREEMPTED_REASON: &str = "PreemptionByScheduler";

/// A pod's key in the snapshot: `namespace/name`.
pub type PodKey = String;

/// The key of a pod: `namespace/name`.
pub fn pod_key(pod: &Pod) -> PodKey {
    format!("{}/{}", pod.metadata.namespace.as_deref().unwrap_or("default"), pod.metadata.name.as_deref().unwrap_or(""))
}

/// What the scheduler keeps of a bound pod.
#[derive(Debug, Clone)]
pub struct PodInfo {
    pub key: PodKey,
    pub namespace: String,
    pub uid: String,
    pub labels: BTreeMap<String, String>,
    pub priority: i32,
    pub requests: Resources,
    pub node_idx: usize,
    /// The pods of one owner (or, without one, of one label set) spread together by default.
    pub group: Option<u64>,
    /// Required anti-affinity terms, which keep other pods away from this one.
    pub anti_affinity: Vec<PodAffinityTerm>,
    /// Being deleted after the scheduler preempted it (a `DisruptionTarget` condition by `PreemptionByScheduler`).
    pub preempted: bool,
}

/// A pending pod that preemption made room for on a node: the room stays reserved for it (and for pods of its
/// priority or above) while its victims terminate.
#[derive(Debug, Clone)]
pub struct Nominated {
    pub key: PodKey,
    pub priority: i32,
    pub requests: Resources,
}

/// A node and what is bound to it.
#[derive(Debug, Clone, Default)]
pub struct NodeInfo {
    pub name: String,
    /// False for a node known only from pods bound to it: it takes no new pods.
    pub present: bool,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    pub unschedulable: bool,
    pub ready: bool,
    pub allocatable: Resources,
    /// The sum of the requests of the pods bound here.
    pub requested: Resources,
    /// As `requested`, counting requests left empty as the scoring defaults.
    pub non_zero_requested: Resources,
    pub pods: Vec<PodKey>,
    /// How many pods of each default-spreading group are bound here.
    pub groups: HashMap<u64, u32>,
    /// The node's zone as an index into [`Snapshot::zones`].
    pub zone_id: Option<u32>,
    /// Pending pods nominated to this node.
    pub nominated: Vec<Nominated>,
}

impl NodeInfo {
    pub fn zone(&self) -> Option<&str> {
        self.labels.get(ZONE_LABEL).map(String::as_str)
    }
}

/// Every node and bound pod.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    // Invariant: a node's index never changes; a deleted node stays as an absent slot.
    pub(crate) nodes: Vec<NodeInfo>,
    node_index: HashMap<String, usize>,
    /// How many nodes are present.
    n_present: usize,
    pub(crate) pods: HashMap<PodKey, PodInfo>,
    /// Every zone name seen, indexed by `NodeInfo::zone_id`.
    zones: Vec<String>,
    /// Nodes (by index) holding pods of each default-spreading group, with how many.
    pub(crate) group_nodes: HashMap<u64, HashMap<usize, u32>>,
    /// Pods per default-spreading group and zone.
    pub(crate) zone_groups: HashMap<u64, HashMap<String, u32>>,
    /// The pods that carry required anti-affinity terms.
    pub(crate) anti_affinity_pods: HashSet<PodKey>,
    /// Every namespace's labels, for pod affinity terms' `namespaceSelector`.
    pub(crate) namespaces: HashMap<String, BTreeMap<String, String>>,
    /// The node (by index) each nominated pod is nominated to.
    nominations: HashMap<PodKey, usize>,
    /// PersistentVolumeClaims, PersistentVolumes and StorageClasses, as far as scheduling reads them.
    pub(crate) volumes: Volumes,
}

impl Snapshot {
    pub fn new() -> Snapshot {
        Snapshot::default()
    }

    /// Adds or updates a node.
    pub fn upsert_node(&mut self, node: &Node) {
        let name = node.metadata.name.clone().unwrap_or_default();
        let idx = self.node_slot(&name);
        let status = node.status.as_ref();
        let allocatable = status.and_then(|s| s.allocatable.as_ref().or(s.capacity.as_ref()));
        if !self.nodes[idx].present {
            self.n_present += 1;
        }
        let info = &mut self.nodes[idx];
        let old_zone = info.zone().map(str::to_owned);
        info.present = true;
        info.labels = node.metadata.labels.clone().unwrap_or_default();
        info.taints = node.spec.as_ref().and_then(|s| s.taints.clone()).unwrap_or_default();
        info.unschedulable = node.spec.as_ref().and_then(|s| s.unschedulable).unwrap_or(false);
        info.ready = status
            .and_then(|s| s.conditions.as_ref())
            .and_then(|conditions| conditions.iter().find(|c| c.type_ == "Ready"))
            .is_some_and(|c| c.status == "True");
        info.allocatable = allocatable.map(Resources::from_list).unwrap_or_default();
        let new_zone = info.zone().map(str::to_owned);
        let groups: Vec<(u64, u32)> = info.groups.iter().map(|(g, n)| (*g, *n)).collect();
        let zone_id = new_zone.as_deref().map(|zone| match self.zones.iter().position(|z| z == zone) {
            Some(id) => id as u32,
            None => {
                self.zones.push(zone.to_owned());
                (self.zones.len() - 1) as u32
            }
        });
        self.nodes[idx].zone_id = zone_id;
        if old_zone != new_zone {
            for (group, count) in groups {
                if let Some(zone) = &old_zone {
                    self.change_zone_count(group, zone, -(count as i64));
                }
                if let Some(zone) = &new_zone {
                    self.change_zone_count(group, zone, count as i64);
                }
            }
        }
    }

    /// Removes a node; pods still bound to it keep it as an absent slot.
    pub fn remove_node(&mut self, name: &str) {
        if let Some(&idx) = self.node_index.get(name)
            && self.nodes[idx].present
        {
            self.nodes[idx].present = false;
            self.n_present -= 1;
        }
    }

    fn node_slot(&mut self, name: &str) -> usize {
        if let Some(&idx) = self.node_index.get(name) {
            return idx;
        }
        self.nodes.push(NodeInfo { name: name.to_owned(), ..NodeInfo::default() });
        self.node_index.insert(name.to_owned(), self.nodes.len() - 1);
        self.nodes.len() - 1
    }

    fn change_zone_count(&mut self, group: u64, zone: &str, delta: i64) {
        let zones = self.zone_groups.entry(group).or_default();
        let count = zones.entry(zone.to_owned()).or_insert(0);
        *count = (i64::from(*count) + delta).max(0) as u32;
        if *count == 0 {
            zones.remove(zone);
            if zones.is_empty() {
                self.zone_groups.remove(&group);
            }
        }
    }

    /// Pods of a default-spreading group per zone id.
    pub(crate) fn zone_group_counts(&self, group: u64) -> Vec<u32> {
        let mut counts = vec![0; self.zones.len()];
        for (zone, count) in self.zone_groups.get(&group).into_iter().flatten() {
            if let Some(id) = self.zones.iter().position(|z| z == zone) {
                counts[id] = *count;
            }
        }
        counts
    }

    /// Pods of a default-spreading group per node index.
    pub(crate) fn node_group_counts(&self, group: u64) -> Vec<u32> {
        let mut counts = vec![0; self.nodes.len()];
        for (node_idx, count) in self.group_nodes.get(&group).into_iter().flatten() {
            counts[*node_idx] = *count;
        }
        counts
    }

    /// How many pods of a default-spreading group run in `zone`.
    pub fn zone_group_count(&self, group: u64, zone: &str) -> u32 {
        self.zone_groups.get(&group).and_then(|zones| zones.get(zone)).copied().unwrap_or(0)
    }

    /// Accounts for a pod bound to `spec.nodeName` (a finished pod or one without a node is removed instead).
    pub fn add_pod(&mut self, pod: &Pod) {
        let key = pod_key(pod);
        let node = pod.spec.as_ref().and_then(|s| s.node_name.clone()).filter(|n| !n.is_empty());
        let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
        let Some(node) = node.filter(|_| !matches!(phase, Some("Succeeded" | "Failed"))) else {
            self.remove_pod(&key);
            return;
        };
        if let Some(existing) = self.pods.get(&key)
            && self.nodes[existing.node_idx].name == node
            && existing.uid == pod.metadata.uid.clone().unwrap_or_default()
        {
            // Requests do not change once bound; labels and being preempted may.
            let labels = pod.metadata.labels.clone().unwrap_or_default();
            if existing.labels == labels && existing.preempted == preempted(pod) {
                return;
            }
        }
        self.remove_pod(&key);
        let node_idx = self.node_slot(&node);
        let info = pod_info(pod, key.clone(), node_idx);
        let node_info = &mut self.nodes[node_idx];
        node_info.requested.add(&info.requests);
        node_info.non_zero_requested.add(&resources::non_zero(&info.requests));
        node_info.pods.push(key.clone());
        if let Some(group) = info.group {
            *node_info.groups.entry(group).or_insert(0) += 1;
            *self.group_nodes.entry(group).or_default().entry(node_idx).or_insert(0) += 1;
            if let Some(zone) = node_info.zone().map(str::to_owned) {
                self.change_zone_count(group, &zone, 1);
            }
        }
        if !info.anti_affinity.is_empty() {
            self.anti_affinity_pods.insert(key.clone());
        }
        self.pods.insert(key, info);
    }

    /// Forgets a pod (deleted, finished, or an assumption that did not hold).
    pub fn remove_pod(&mut self, key: &str) {
        let Some(info) = self.pods.remove(key) else { return };
        self.anti_affinity_pods.remove(key);
        let node_info = &mut self.nodes[info.node_idx];
        node_info.requested.sub(&info.requests);
        node_info.non_zero_requested.sub(&resources::non_zero(&info.requests));
        node_info.pods.retain(|k| k != key);
        if let Some(group) = info.group {
            if let Some(nodes) = self.group_nodes.get_mut(&group) {
                if let Some(count) = nodes.get_mut(&info.node_idx) {
                    *count = count.saturating_sub(1);
                    if *count == 0 {
                        nodes.remove(&info.node_idx);
                    }
                }
                if nodes.is_empty() {
                    self.group_nodes.remove(&group);
                }
            }
            if let Some(count) = node_info.groups.get_mut(&group) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    node_info.groups.remove(&group);
                }
            }
            if let Some(zone) = node_info.zone().map(str::to_owned) {
                self.change_zone_count(group, &zone, -1);
            }
        }
    }

    /// Records a namespace's labels; true when they changed.
    pub fn set_namespace(&mut self, name: &str, labels: BTreeMap<String, String>) -> bool {
        self.namespaces.insert(name.to_owned(), labels.clone()).is_none_or(|old| old != labels)
    }

    pub fn remove_namespace(&mut self, name: &str) {
        self.namespaces.remove(name);
    }

    /// The namespaces known, for dropping those gone after a relist.
    pub fn namespace_names(&self) -> impl Iterator<Item = &String> {
        self.namespaces.keys()
    }

    /// Reserves room on `node` for a pending pod that preemption made room for (replacing an earlier nomination).
    pub fn nominate(&mut self, pod: &Pod, node: &str) {
        let key = pod_key(pod);
        if self.nominated_node(&key) == Some(node) {
            return;
        }
        self.forget_nomination(&key);
        let node_idx = self.node_slot(node);
        let priority = pod.spec.as_ref().and_then(|s| s.priority).unwrap_or(0);
        let requests = resources::pod_requests(pod);
        self.nodes[node_idx].nominated.push(Nominated { key: key.clone(), priority, requests });
        self.nominations.insert(key, node_idx);
    }

    /// Drops a pod's nomination, if it has one.
    pub fn forget_nomination(&mut self, key: &str) {
        if let Some(node_idx) = self.nominations.remove(key) {
            self.nodes[node_idx].nominated.retain(|n| n.key != key);
        }
    }

    /// The node a pending pod is nominated to.
    pub fn nominated_node(&self, key: &str) -> Option<&str> {
        self.nominations.get(key).map(|&idx| self.nodes[idx].name.as_str())
    }

    pub fn node(&self, name: &str) -> Option<&NodeInfo> {
        self.node_index.get(name).map(|&idx| &self.nodes[idx])
    }

    pub fn pod(&self, key: &str) -> Option<&PodInfo> {
        self.pods.get(key)
    }

    /// How many nodes can take pods.
    pub fn n_nodes(&self) -> usize {
        self.n_present
    }
}

/// The default-spreading group of a pod: its controller's uid, else its namespace and labels.
pub fn spread_group(pod: &Pod) -> Option<u64> {
    let mut hasher = DefaultHasher::new();
    let namespace = pod.metadata.namespace.as_deref().unwrap_or("default");
    namespace.hash(&mut hasher);
    let owner = pod.metadata.owner_references.iter().flatten().find(|o| o.controller == Some(true));
    match owner {
        Some(owner) => owner.uid.hash(&mut hasher),
        None => {
            let labels = pod.metadata.labels.as_ref().filter(|l| !l.is_empty())?;
            labels.hash(&mut hasher);
        }
    }
    Some(hasher.finish())
}

fn pod_info(pod: &Pod, key: PodKey, node_idx: usize) -> PodInfo {
    let spec = pod.spec.as_ref();
    PodInfo {
        key,
        namespace: pod.metadata.namespace.clone().unwrap_or_else(|| "default".into()),
        uid: pod.metadata.uid.clone().unwrap_or_default(),
        labels: pod.metadata.labels.clone().unwrap_or_default(),
        priority: spec.and_then(|s| s.priority).unwrap_or(0),
        requests: resources::pod_requests(pod),
        node_idx,
        group: spread_group(pod),
        anti_affinity: spec
            .and_then(|s| s.affinity.as_ref())
            .and_then(|a| a.pod_anti_affinity.as_ref())
            .and_then(|a| a.required_during_scheduling_ignored_during_execution.clone())
            .unwrap_or_default(),
        preempted: preempted(pod),
    }
}

/// Whether a pod is terminating because the scheduler preempted it (upstream's `podTerminatingByPreemption`).
pub fn preempted(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_some()
        && pod.status.as_ref().and_then(|s| s.conditions.as_ref()).is_some_and(|conditions| {
            conditions.iter().any(|c| {
                c.type_ == "DisruptionTarget" && c.status == "True" && c.reason.as_deref() == Some(PREEMPTED_REASON)
            })
        })
}
