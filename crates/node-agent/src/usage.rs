//! How much CPU and memory the simulated containers use, for a metrics server (`metrics.k8s.io`, what kubelet's
//! resource metrics endpoint gives metrics-server) and the HPAs that read it. Nothing runs, so usage is a model,
//! computed whenever [`crate::NodeAgent::usage`] is asked from what the pod drivers publish (a [`Board`]); no usage
//! is stored per pod and nothing here calls the API.
//!
//! The model:
//! - Only running containers use anything: the regular containers, and restartable sidecar init containers, whose
//!   state is `running` in the status the agent computes, of pods whose phase is `Running`. Other pods, and pods
//!   of failed nodes (whose kubelet cannot be scraped), report nothing.
//! - **Fixed usage**: the annotations [`CPU_USAGE`] and [`MEMORY_USAGE`] (quantities) are the pod's usage of that
//!   resource, split over its running containers in proportion to their requests of it (evenly when none requests
//!   it; a request defaults to the limit, as the API server defaults it).
//! - **Workload load**: the annotations [`CPU_LOAD`] (cores, `"3"` or `"1500m"`) and [`MEMORY_LOAD`] (`"6Gi"`),
//!   normally set through a pod template, are the load of the pod's [`Workload`], shared equally by the
//!   workload's pods that are Ready (condition `Ready` is `True`) among those the agent drives: scaling out lowers
//!   each pod's share. A pod's share is split over its containers as fixed usage is; a pod that is not Ready gets
//!   the idle usage. The run-time table [`Loads`] overrides the annotations, resource by resource (a table entry
//!   without CPU leaves the CPU annotation in force); a change shows in the next snapshot.
//! - Fixed usage wins over a load, resource by resource.
//! - **Idle usage** when neither applies: [`IDLE_CPU_NANOCORES`] and [`IDLE_MEMORY_BYTES`] per running container,
//!   what an idle process uses, far below typical requests so that an HPA over an idle workload scales it down.
//! - **CPU limits throttle**: a container's CPU never exceeds its CPU limit (the CFS quota), and a node's never
//!   exceeds its capacity. Memory is not capped: a container whose memory is above its limit is OOM-killed
//!   instead (below).
//! - **Node usage**: the sum over its running pods' containers plus [`SYSTEM_CPU_MILLIS`] and
//!   [`SYSTEM_MEMORY_BYTES`] for kubelet, containerd and the OS.
//! - **OOMKilled**: a regular container whose memory (its part of the fixed usage, or of its pod's share of a
//!   memory load) is above its memory limit is ended by the kernel's OOM killer shortly after each start
//!   ([`crate::lifecycle::OOM_AFTER`]): reason `OOMKilled`, exit code 137, restarted as the pod's restart policy
//!   says with kubelet's CrashLoopBackOff back-off. This is decided when the node admits the pod, as part of its
//!   lifecycle plan: a memory load is then compared as shared by the workload's Ready pods plus the new one. A
//!   later change of the annotations, the load table or the number of Ready pods changes the usage reported but
//!   OOM-kills (or spares) only pods admitted after it.

use std::collections::{BTreeMap, HashMap};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use k8s_openapi::api::core::v1::{Container, Pod};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::Capacity;

/// Annotation: the CPU a pod uses, a quantity.
pub const CPU_USAGE: &str = "ekslite.dev/cpu-usage";
/// Annotation: the memory a pod uses, a quantity.
pub const MEMORY_USAGE: &str = "ekslite.dev/memory-usage";
/// Annotation: the CPU load of the pod's workload, in cores (a quantity), shared by its Ready pods.
pub const CPU_LOAD: &str = "ekslite.dev/cpu-load";
/// Annotation: the memory load of the pod's workload, a quantity, shared by its Ready pods.
pub const MEMORY_LOAD: &str = "ekslite.dev/memory-load";

/// The CPU a running container uses when nothing says otherwise: 1 millicore.
pub const IDLE_CPU_NANOCORES: u64 = 1_000_000;
/// The memory a running container uses when nothing says otherwise: 4 MiB.
pub const IDLE_MEMORY_BYTES: u64 = 4 << 20;
/// What kubelet, containerd and the OS use on every node, in millicores, besides the pods: a few tens of
/// millicores, as an idle node shows, below the EKS AMI's `kubeReserved` (70m on a 2-core node).
pub const SYSTEM_CPU_MILLIS: u64 = 30;
/// What kubelet, containerd and the OS use on every node, in bytes, besides the pods: a few hundred MiB, below
/// the EKS AMI's `kubeReserved` (574 MiB for 29 pods).
pub const SYSTEM_MEMORY_BYTES: u64 = 350 << 20;

const NANOS_PER_MILLI: u64 = 1_000_000;

/// The CPU and memory a pod's [`CPU_USAGE`] and [`MEMORY_USAGE`] annotations declare (quantities such as `250m`
/// and `128Mi`). `None` where an annotation is absent or unreadable; huge values saturate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// CPU in millicores.
    pub cpu_millis: Option<u64>,
    /// Memory in bytes.
    pub memory_bytes: Option<u64>,
}

impl Usage {
    /// The usage a pod's annotations declare.
    pub fn of(pod: &Pod) -> Usage {
        Usage { cpu_millis: quantity(pod, CPU_USAGE, true), memory_bytes: quantity(pod, MEMORY_USAGE, false) }
    }
}

/// An annotation's quantity in whole units (thousandths when `milli`); `None` when absent or unreadable.
fn quantity(pod: &Pod, key: &str, milli: bool) -> Option<u64> {
    let text = pod.metadata.annotations.as_ref()?.get(key)?;
    k8s_model::rounded_up(text, milli)
}

/// What a pod belongs to for a load: its controller, except that a ReplicaSet named `<deployment>-<the pod's
/// pod-template-hash label>` stands for the Deployment `<deployment>` (so a rolling update's two ReplicaSets share
/// one load); a pod without a controller is its own workload, of kind `Pod`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Workload {
    /// The namespace.
    pub namespace: String,
    /// `Deployment`, `StatefulSet`, `DaemonSet`, `ReplicaSet`, `Job`, `Pod`, ...
    pub kind: String,
    /// Its name.
    pub name: String,
}

/// The label the Deployment controller puts on its ReplicaSets' pods, the suffix of the ReplicaSets' names.
const POD_TEMPLATE_HASH: &str = "pod-template-hash";

impl Workload {
    /// The workload of a pod.
    pub fn of(pod: &Pod) -> Workload {
        let namespace = pod.metadata.namespace.clone().unwrap_or_default();
        let owners = pod.metadata.owner_references.as_deref().unwrap_or_default();
        let Some(owner) = owners.iter().find(|owner| owner.controller == Some(true)) else {
            let name = pod.metadata.name.clone().unwrap_or_default();
            return Workload { namespace, kind: "Pod".into(), name };
        };
        let hash = pod.metadata.labels.as_ref().and_then(|labels| labels.get(POD_TEMPLATE_HASH));
        if owner.kind == "ReplicaSet"
            && owner.api_version.starts_with("apps/")
            && let Some(hash) = hash.filter(|hash| !hash.is_empty())
            && let Some(deployment) = owner.name.strip_suffix(hash.as_str()).and_then(|rest| rest.strip_suffix('-'))
            && !deployment.is_empty()
        {
            return Workload { namespace, kind: "Deployment".into(), name: deployment.to_owned() };
        }
        Workload { namespace, kind: owner.kind.clone(), name: owner.name.clone() }
    }
}

/// A workload's load: the CPU and memory its Ready pods share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Load {
    /// CPU in millicores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_millis: Option<u64>,
    /// Memory in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_bytes: Option<u64>,
}

impl Load {
    /// The load a pod's [`CPU_LOAD`] and [`MEMORY_LOAD`] annotations declare (unreadable ones are absent).
    pub fn of(pod: &Pod) -> Load {
        Load { cpu_millis: quantity(pod, CPU_LOAD, true), memory_bytes: quantity(pod, MEMORY_LOAD, false) }
    }

    /// This load where it says something, `fallback` elsewhere.
    fn over(self, fallback: Load) -> Load {
        Load {
            cpu_millis: self.cpu_millis.or(fallback.cpu_millis),
            memory_bytes: self.memory_bytes.or(fallback.memory_bytes),
        }
    }
}

/// The run-time load table: a workload's entry overrides its pods' load annotations. Shared by the agent and
/// whoever changes loads; every change shows in the next [`crate::NodeAgent::usage`].
#[derive(Debug, Default)]
pub struct Loads {
    table: RwLock<BTreeMap<Workload, Load>>,
}

impl Loads {
    /// An empty table.
    pub fn new() -> Loads {
        Loads::default()
    }

    fn read(&self) -> RwLockReadGuard<'_, BTreeMap<Workload, Load>> {
        self.table.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, BTreeMap<Workload, Load>> {
        self.table.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sets a workload's load, replacing what it had.
    pub fn set(&self, workload: Workload, load: Load) {
        self.write().insert(workload, load);
    }

    /// Removes a workload's entry (its pods' annotations apply again); what it was.
    pub fn clear(&self, workload: &Workload) -> Option<Load> {
        self.write().remove(workload)
    }

    /// A workload's entry.
    pub fn get(&self, workload: &Workload) -> Option<Load> {
        self.read().get(workload).copied()
    }

    /// Every entry, by workload.
    pub fn list(&self) -> Vec<(Workload, Load)> {
        self.read().iter().map(|(workload, load)| (workload.clone(), *load)).collect()
    }

    /// The load of a pod of `workload` whose annotations say `annotated`.
    fn effective(table: &BTreeMap<Workload, Load>, workload: &Workload, annotated: Load) -> Load {
        table.get(workload).map_or(annotated, |entry| entry.over(annotated))
    }
}

/// What a container uses, as metrics-server reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerUsage {
    /// The container's name.
    pub name: String,
    /// CPU in nanocores.
    pub cpu_nanocores: u64,
    /// Memory (working set) in bytes.
    pub memory_bytes: u64,
}

/// What a running pod's containers use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodUsage {
    /// The pod's namespace.
    pub namespace: String,
    /// The pod's name.
    pub name: String,
    /// Its node.
    pub node: String,
    /// Its labels, which metrics are selected by.
    pub labels: BTreeMap<String, String>,
    /// Its running containers.
    pub containers: Vec<ContainerUsage>,
    /// When the earliest current run of its running containers started.
    pub start: OffsetDateTime,
}

/// What a node uses: its pods and its system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeUsage {
    /// The node's name.
    pub name: String,
    /// The labels its Node registers with, which metrics are selected by.
    pub labels: BTreeMap<String, String>,
    /// CPU in nanocores.
    pub cpu_nanocores: u64,
    /// Memory in bytes.
    pub memory_bytes: u64,
}

/// Usage at one moment: every live node and every running pod of the agent, sorted by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageSnapshot {
    /// When it was taken.
    pub at: OffsetDateTime,
    /// The nodes, by name.
    pub nodes: Vec<NodeUsage>,
    /// The running pods, by namespace and name.
    pub pods: Vec<PodUsage>,
}

/// A container's requests and limits of CPU (millicores) and memory (bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Resources {
    /// The CPU request (the limit when only that is given).
    pub cpu_request: u64,
    /// The memory request (the limit when only that is given).
    pub memory_request: u64,
    /// The CPU limit.
    pub cpu_limit: Option<u64>,
    /// The memory limit.
    pub memory_limit: Option<u64>,
}

impl Resources {
    /// A container's resources; unreadable quantities count as absent.
    pub(crate) fn of(container: &Container) -> Resources {
        let resources = container.resources.as_ref();
        let get = |requests: bool, name: &str, milli: bool| {
            let map = resources.and_then(|r| if requests { r.requests.as_ref() } else { r.limits.as_ref() });
            map.and_then(|map| map.get(name)).and_then(|quantity| k8s_model::rounded_up(&quantity.0, milli))
        };
        let (cpu_limit, memory_limit) = (get(false, "cpu", true), get(false, "memory", false));
        Resources {
            cpu_request: get(true, "cpu", true).or(cpu_limit).unwrap_or(0),
            memory_request: get(true, "memory", false).or(memory_limit).unwrap_or(0),
            cpu_limit,
            memory_limit,
        }
    }
}

/// The containers that use resources while the pod runs: the regular ones and restartable sidecars.
pub(crate) fn long_running(pod: &Pod) -> impl Iterator<Item = (&Container, bool)> {
    let spec = pod.spec.as_ref();
    let regular = spec.into_iter().flat_map(|spec| spec.containers.iter()).map(|c| (c, false));
    let sidecars = spec
        .into_iter()
        .flat_map(|spec| spec.init_containers.iter().flatten())
        .filter(|c| c.restart_policy.as_deref() == Some("Always"))
        .map(|c| (c, true));
    regular.chain(sidecars)
}

/// One running container of a published pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContainerEntry {
    pub name: String,
    pub resources: Resources,
}

/// What a pod driver publishes about one of its running pods: all [`crate::NodeAgent::usage`] needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PodEntry {
    pub namespace: String,
    pub name: String,
    pub node: String,
    pub labels: BTreeMap<String, String>,
    pub workload: Workload,
    /// Its `Ready` condition is `True`.
    pub ready: bool,
    /// When the earliest current run of its running containers started.
    pub start: OffsetDateTime,
    /// Its running containers (regular ones and restartable sidecars).
    pub containers: Vec<ContainerEntry>,
    /// Its fixed usage annotations.
    pub fixed: Usage,
    /// Its load annotations.
    pub load: Load,
}

/// The running pods the drivers publish, one map (by uid) per driver, so that drivers never wait on each other
/// and a snapshot holds one lock at a time.
#[derive(Debug)]
pub(crate) struct Board {
    shards: Vec<RwLock<HashMap<String, PodEntry>>>,
}

impl Board {
    pub(crate) fn new(shards: usize) -> Board {
        Board { shards: (0..shards).map(|_| RwLock::default()).collect() }
    }

    fn shard(&self, shard: usize) -> &RwLock<HashMap<String, PodEntry>> {
        &self.shards[shard % self.shards.len()]
    }

    /// Publishes a pod's entry (`None`: it does not run, or is gone) in the driver's `shard`.
    pub(crate) fn publish(&self, shard: usize, uid: &str, entry: Option<PodEntry>) {
        let lock = self.shard(shard);
        let known = lock.read().unwrap_or_else(|poisoned| poisoned.into_inner()).get(uid) == entry.as_ref();
        if known {
            return;
        }
        let mut map = lock.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        match entry {
            Some(entry) => map.insert(uid.to_owned(), entry),
            None => map.remove(uid),
        };
    }

    /// Visits every published pod, one shard at a time.
    fn each(&self, visit: &mut Visit<'_>) {
        for shard in &self.shards {
            let map = shard.read().unwrap_or_else(|poisoned| poisoned.into_inner());
            map.values().for_each(&mut *visit);
        }
    }

    /// How many published pods of `workload` are Ready.
    pub(crate) fn ready_pods(&self, workload: &Workload) -> u64 {
        let mut count = 0;
        self.each(&mut |entry| count += u64::from(entry.ready && entry.workload == *workload));
        count
    }

    /// The usage of the published pods on `nodes`, and of those nodes.
    pub(crate) fn snapshot(&self, at: OffsetDateTime, nodes: &[(&str, Capacity)], loads: &Loads) -> UsageSnapshot {
        compute(at, nodes, loads, &mut |visit| self.each(visit))
    }
}

/// What looks at each published pod in turn.
pub(crate) type Visit<'a> = dyn FnMut(&PodEntry) + 'a;

/// Usage at `at` of `nodes` and of the running pods `pods` visits (on those nodes); `pods` is called twice.
pub(crate) fn compute(
    at: OffsetDateTime,
    nodes: &[(&str, Capacity)],
    loads: &Loads,
    pods: &mut dyn FnMut(&mut Visit<'_>),
) -> UsageSnapshot {
    let table = loads.read().clone();
    let node_index: HashMap<&str, usize> = nodes.iter().enumerate().map(|(index, (name, _))| (*name, index)).collect();
    // First pass: how many Ready pods share each workload's load.
    let mut ready: HashMap<Workload, u64> = HashMap::new();
    pods(&mut |entry| {
        if entry.ready && node_index.contains_key(entry.node.as_str()) {
            match ready.get_mut(&entry.workload) {
                Some(count) => *count += 1,
                None => {
                    ready.insert(entry.workload.clone(), 1);
                }
            }
        }
    });
    // Second pass: each pod's containers, summed by node.
    let mut sums: Vec<(u64, u64)> = vec![(0, 0); nodes.len()];
    let mut pod_usages = Vec::new();
    pods(&mut |entry| {
        let Some(&index) = node_index.get(entry.node.as_str()) else { return };
        let load = Loads::effective(&table, &entry.workload, entry.load);
        let peers = ready.get(&entry.workload).copied().unwrap_or(0);
        let containers = containers_usage(entry, load, peers);
        let sum = &mut sums[index];
        for container in &containers {
            sum.0 = sum.0.saturating_add(container.cpu_nanocores);
            sum.1 = sum.1.saturating_add(container.memory_bytes);
        }
        pod_usages.push(PodUsage {
            namespace: entry.namespace.clone(),
            name: entry.name.clone(),
            node: entry.node.clone(),
            labels: entry.labels.clone(),
            containers,
            start: entry.start,
        });
    });
    pod_usages.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    let mut node_usages: Vec<NodeUsage> = nodes
        .iter()
        .zip(sums)
        .map(|((name, capacity), (cpu, memory))| node_usage(name, capacity, cpu, memory))
        .collect();
    node_usages.sort_by(|a, b| a.name.cmp(&b.name));
    UsageSnapshot { at, nodes: node_usages, pods: pod_usages }
}

/// A node's usage from its pods' sums: plus the system's, CPU capped at the capacity (when it has one).
fn node_usage(name: &str, capacity: &Capacity, pods_cpu: u64, pods_memory: u64) -> NodeUsage {
    let mut cpu = pods_cpu.saturating_add(SYSTEM_CPU_MILLIS * NANOS_PER_MILLI);
    if capacity.cpu_millis > 0 {
        cpu = cpu.min(capacity.cpu_millis.saturating_mul(NANOS_PER_MILLI));
    }
    NodeUsage {
        name: name.to_owned(),
        labels: BTreeMap::new(),
        cpu_nanocores: cpu,
        memory_bytes: pods_memory.saturating_add(SYSTEM_MEMORY_BYTES),
    }
}

/// The pod's total of one resource, if fixed usage or a load sets it: fixed usage first, else the pod's share of
/// the load when it is Ready (`peers` Ready pods share it).
fn pod_total(fixed: Option<u64>, load: Option<u64>, ready: bool, peers: u64) -> Option<u64> {
    fixed.or_else(|| load.filter(|_| ready).map(|load| load / peers.max(1)))
}

/// The usage of one published pod's running containers, given its workload's effective load and Ready pods.
fn containers_usage(entry: &PodEntry, load: Load, peers: u64) -> Vec<ContainerUsage> {
    let millis_to_nanos = |millis: u64| millis.saturating_mul(NANOS_PER_MILLI);
    let cpu = pod_total(
        entry.fixed.cpu_millis.map(millis_to_nanos),
        load.cpu_millis.map(millis_to_nanos),
        entry.ready,
        peers,
    );
    let memory = pod_total(entry.fixed.memory_bytes, load.memory_bytes, entry.ready, peers);
    let cpu = cpu.map(|total| split(total, entry.containers.iter().map(|c| c.resources.cpu_request)));
    let memory = memory.map(|total| split(total, entry.containers.iter().map(|c| c.resources.memory_request)));
    entry
        .containers
        .iter()
        .enumerate()
        .map(|(index, container)| {
            let cpu = cpu.as_ref().map_or(IDLE_CPU_NANOCORES, |parts| parts[index]);
            let cpu = container.resources.cpu_limit.map_or(cpu, |limit| cpu.min(millis_to_nanos(limit)));
            ContainerUsage {
                name: container.name.clone(),
                cpu_nanocores: cpu,
                memory_bytes: memory.as_ref().map_or(IDLE_MEMORY_BYTES, |parts| parts[index]),
            }
        })
        .collect()
}

/// `total` split in proportion to `weights` (evenly when they are all 0); the parts add up to `total`, the
/// remainder of the rounding going to the first parts.
pub(crate) fn split(total: u64, weights: impl Iterator<Item = u64>) -> Vec<u64> {
    let mut weights: Vec<u128> = weights.map(u128::from).collect();
    if weights.is_empty() {
        return Vec::new();
    }
    if weights.iter().all(|weight| *weight == 0) {
        weights.iter_mut().for_each(|weight| *weight = 1);
    }
    let sum: u128 = weights.iter().sum();
    let total = u128::from(total);
    let mut parts: Vec<u128> = weights.iter().map(|weight| total * weight / sum).collect();
    let mut left = total - parts.iter().sum::<u128>();
    for (part, weight) in parts.iter_mut().zip(&weights) {
        if left == 0 {
            break;
        }
        if *weight > 0 {
            *part += 1;
            left -= 1;
        }
    }
    // Each part is at most `total`, which fits.
    parts.into_iter().map(|part| u64::try_from(part).unwrap_or(u64::MAX)).collect()
}

/// Which of the pod's regular containers (in order) use more memory than their limit when it runs: their part of
/// the fixed memory usage, else of the pod's share of its workload's memory load (the table's, else the
/// annotation's), shared with the `ready_peers` Ready pods of the workload besides this one.
pub(crate) fn out_of_memory(pod: &Pod, loads: &Loads, ready_peers: impl FnOnce(&Workload) -> u64) -> Vec<bool> {
    let containers: Vec<(Resources, bool)> =
        long_running(pod).map(|(container, sidecar)| (Resources::of(container), sidecar)).collect();
    let regular = containers.iter().filter(|(_, sidecar)| !sidecar).count();
    if !containers.iter().any(|(resources, _)| resources.memory_limit.is_some()) {
        return vec![false; regular];
    }
    let total = Usage::of(pod).memory_bytes.or_else(|| {
        let workload = Workload::of(pod);
        let load = Loads::effective(&loads.read(), &workload, Load::of(pod)).memory_bytes?;
        Some(load / ready_peers(&workload).saturating_add(1))
    });
    let Some(total) = total else { return vec![false; regular] };
    let parts = split(total, containers.iter().map(|(resources, _)| resources.memory_request));
    containers
        .iter()
        .zip(parts)
        .filter(|((_, sidecar), _)| !sidecar)
        .map(|((resources, _), part)| resources.memory_limit.is_some_and(|limit| part > limit))
        .collect()
}

#[cfg(test)]
mod tests;
