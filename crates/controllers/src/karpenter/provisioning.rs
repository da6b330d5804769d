//! Provisioning decisions (pure), as upstream's `pkg/controllers/provisioning/scheduling` makes them: pending pods,
//! largest first, each go onto a NodeClaim being planned that can still take them, else onto a new NodeClaim of the
//! first NodePool (by descending weight, then name) that takes them. A NodeClaim keeps every instance type that
//! satisfies its requirements (the pool's, narrowed by each pod's `nodeSelector` and required node affinity), has an
//! available offering in the class's zones and holds its pods plus the DaemonSet pods that would run there; the
//! pool's taints must be tolerated. A pool's `limits` take away instance types that would exceed what is left
//! (upstream's `filterByRemainingResources`), and each new NodeClaim counts as its largest type against them.
//! Pods with inter-pod (anti-)affinity or host ports are also checked with the scheduler's own filters on a
//! simulated node holding the NodeClaim's pods. Topology spread across new NodeClaims is not planned.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Pod, Taint, Toleration};
use scheduler::{Resources, Snapshot, pod_requests};
use serde_json::json;

use super::requirements::{
    CAPACITY_TYPE, HOSTNAME, Requirements, ZONE, offering_allowed, pod_requirements, type_labels,
};
use crate::fleet::{ClassKind, InstanceTypeInfo};

/// What is left of a pool's limits; `None` where it sets none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Remaining {
    pub cpu_millis: Option<i64>,
    pub memory_bytes: Option<i64>,
    pub nodes: Option<i64>,
}

impl Remaining {
    /// Whether one more node of `info` fits.
    pub fn admits(&self, info: &InstanceTypeInfo) -> bool {
        let fits =
            |left: Option<i64>, wanted: u64| left.is_none_or(|left| i64::try_from(wanted).unwrap_or(i64::MAX) <= left);
        fits(self.cpu_millis, info.capacity_cpu_millis)
            && fits(self.memory_bytes, info.capacity_memory_bytes)
            && fits(self.nodes, 1)
    }

    /// Takes one node of the largest of `types` away.
    pub fn subtract_max<'a>(&mut self, types: impl Iterator<Item = &'a InstanceTypeInfo>) {
        let (mut cpu, mut memory) = (0u64, 0u64);
        for info in types {
            cpu = cpu.max(info.capacity_cpu_millis);
            memory = memory.max(info.capacity_memory_bytes);
        }
        let take = |left: &mut Option<i64>, amount: u64| {
            if let Some(left) = left {
                *left -= i64::try_from(amount).unwrap_or(i64::MAX);
            }
        };
        take(&mut self.cpu_millis, cpu);
        take(&mut self.memory_bytes, memory);
        take(&mut self.nodes, 1);
    }
}

/// A NodePool as provisioning sees it.
#[derive(Debug, Clone)]
pub struct PoolInput {
    pub name: String,
    pub weight: i32,
    pub kind: ClassKind,
    /// The pool's requirements with its template labels and `karpenter.sh/nodepool` as single values.
    pub requirements: Requirements,
    pub taints: Vec<Taint>,
    /// The instance types offered, with their offerings' availability.
    pub types: Vec<InstanceTypeInfo>,
    /// The zones of the class's subnets.
    pub zones: BTreeSet<String>,
    /// One pod per DaemonSet, from its template.
    pub daemon_pods: Vec<Pod>,
    pub remaining: Remaining,
}

/// A NodeClaim to create.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedClaim {
    /// Index into the pools.
    pub pool: usize,
    pub requirements: Requirements,
    /// Indexes into the pool's types, cheapest first.
    pub types: Vec<usize>,
    /// Indexes into the pods.
    pub pods: Vec<usize>,
    /// The pods' and the DaemonSet pods' requests.
    pub requests: Resources,
}

/// What a provisioning round decided.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub claims: Vec<PlannedClaim>,
    /// Why each pod left out fits no pool (upstream's message, without the `Failed to schedule pod, ` prefix).
    pub failures: BTreeMap<usize, String>,
}

/// Whether `tolerations` tolerate `taint` (the scheduler's rule).
pub fn tolerated(tolerations: &[Toleration], taint: &Taint) -> bool {
    tolerations.iter().any(|toleration| {
        let effect = toleration.effect.as_deref().is_none_or(|e| e.is_empty() || e == taint.effect);
        let key = toleration.key.as_deref().unwrap_or("");
        let matches = match toleration.operator.as_deref().unwrap_or("Equal") {
            "Exists" => key.is_empty() || key == taint.key,
            "Equal" | "" => {
                key == taint.key && toleration.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or("")
            }
            _ => false,
        };
        effect && matches
    })
}

/// Whether a pod tolerates every `NoSchedule`/`NoExecute` taint of `taints`.
pub fn tolerates_all(pod: &Pod, taints: &[Taint]) -> bool {
    let tolerations = pod.spec.as_ref().and_then(|spec| spec.tolerations.clone()).unwrap_or_default();
    taints.iter().filter(|taint| taint.effect != "PreferNoSchedule").all(|taint| tolerated(&tolerations, taint))
}

/// Whether an instance type satisfies `requirements` with an available offering in `zones`.
pub fn type_admitted(
    info: &InstanceTypeInfo,
    kind: ClassKind,
    requirements: &Requirements,
    zones: &BTreeSet<String>,
) -> bool {
    let labels = type_labels(info, kind);
    if !requirements.admits(&labels) {
        return false;
    }
    // A requirement on a well-known label the type lacks (a GPU label) must allow its absence.
    let lacking_ok = requirements.0.iter().all(|(key, allowed)| {
        labels.contains_key(key)
            || !super::requirements::well_known(key)
            || matches!(key.as_str(), ZONE | CAPACITY_TYPE | HOSTNAME | "topology.k8s.aws/zone-id")
            || allowed.allows(None)
    });
    lacking_ok
        && info.offerings.iter().any(|offering| {
            offering.available && zones.contains(&offering.zone) && offering_allowed(requirements, offering)
        })
}

/// Whether a node of `info` holds `requests`.
pub fn type_holds(info: &InstanceTypeInfo, requests: &Resources) -> bool {
    let fits = |have: u64, want: i64| want <= i64::try_from(have).unwrap_or(i64::MAX);
    fits(info.allocatable_cpu_millis, requests.milli_cpu)
        && fits(info.allocatable_memory_bytes, requests.memory)
        && fits(info.allocatable_ephemeral_storage_bytes, requests.ephemeral_storage)
        && fits(u64::from(info.max_pods), requests.pods)
        && requests.scalar.iter().all(|(name, want)| {
            // The only extended resource an instance type brings is its GPUs (the device plugin's).
            let have = if name == k8s_model::NVIDIA_GPU { u64::from(info.gpu_count) } else { 0 };
            fits(have, *want)
        })
}

/// The cheapest available price of a type's offerings that `requirements` allow in `zones`.
pub fn cheapest(info: &InstanceTypeInfo, requirements: &Requirements, zones: &BTreeSet<String>) -> f64 {
    info.offerings
        .iter()
        .filter(|o| o.available && zones.contains(&o.zone) && offering_allowed(requirements, o))
        .map(|o| o.price)
        .fold(f64::INFINITY, f64::min)
}

fn needs_scheduler_check(pod: &Pod) -> bool {
    let Some(spec) = pod.spec.as_ref() else { return false };
    let affinity = spec.affinity.as_ref();
    let inter_pod = affinity.is_some_and(|a| a.pod_affinity.is_some() || a.pod_anti_affinity.is_some());
    let ports =
        spec.containers.iter().flat_map(|c| c.ports.iter().flatten()).any(|p| p.host_port.is_some_and(|p| p > 0));
    inter_pod || ports
}

/// The scheduler's filters for `pod` on a simulated node of the claim (its labels, the largest type's
/// allocatable) holding the claim's pods; node affinity, taints and spread are left to the planner.
fn scheduler_admits(pod: &Pod, others: &[&Pod], labels: &BTreeMap<String, String>, largest: &InstanceTypeInfo) -> bool {
    let name = "karpenter-simulated-node";
    let mut labels = labels.clone();
    labels.insert(HOSTNAME.to_owned(), name.to_owned());
    let node = json!({
        "metadata": { "name": name, "labels": labels },
        "status": {
            "allocatable": {
                "cpu": format!("{}m", largest.allocatable_cpu_millis),
                "memory": largest.allocatable_memory_bytes.to_string(),
                "ephemeral-storage": largest.allocatable_ephemeral_storage_bytes.to_string(),
                "pods": largest.max_pods.to_string(),
            },
            "conditions": [{ "type": "Ready", "status": "True" }],
        },
    });
    let Ok(node) = serde_json::from_value(node) else { return false };
    let mut snapshot = Snapshot::new();
    snapshot.upsert_node(&node);
    let strip = |pod: &Pod| {
        let mut copy = pod.clone();
        if let Some(spec) = copy.spec.as_mut() {
            spec.node_selector = None;
            spec.topology_spread_constraints = None;
            if let Some(affinity) = spec.affinity.as_mut() {
                affinity.node_affinity = None;
            }
        }
        copy
    };
    for other in others {
        let mut bound = strip(other);
        bound.spec.get_or_insert_with(Default::default).node_name = Some(name.to_owned());
        snapshot.add_pod(&bound);
    }
    scheduler::schedule(&strip(pod), &snapshot).is_ok()
}

/// A claim being planned.
struct Building {
    claim: PlannedClaim,
}

/// Tries to put `pod` onto a claim of `pool` that has `requirements`, `types` and `requests` so far; the claim's
/// new state, else why not.
fn try_add(
    pod: &Pod,
    pool: &PoolInput,
    requirements: &Requirements,
    types: &[usize],
    requests: &Resources,
    others: &[&Pod],
) -> Result<(Requirements, Vec<usize>, Resources), String> {
    if !tolerates_all(pod, &pool.taints) {
        return Err("did not tolerate taint".to_owned());
    }
    let wanted = pod_requests(pod);
    let mut total = requests.clone();
    total.add(&wanted);
    let mut last_error = String::new();
    for option in pod_requirements(pod) {
        if let Err(error) = requirements.compatible(&option) {
            last_error = format!("incompatible requirements, {error}");
            continue;
        }
        let merged = requirements.intersect(&option);
        let compatible: Vec<usize> =
            types.iter().copied().filter(|&i| type_admitted(&pool.types[i], pool.kind, &merged, &pool.zones)).collect();
        let holding: Vec<usize> = compatible.iter().copied().filter(|&i| type_holds(&pool.types[i], &total)).collect();
        if holding.is_empty() {
            let what = if compatible.is_empty() {
                "no instance type met all requirements"
            } else {
                "no instance type has enough resources"
            };
            last_error =
                format!("{what}, requirements={}, resources={}", merged.describe(), describe_resources(&total));
            continue;
        }
        if needs_scheduler_check(pod) {
            let largest = holding
                .iter()
                .map(|&i| &pool.types[i])
                .max_by_key(|t| (t.allocatable_cpu_millis, t.allocatable_memory_bytes))
                .expect("not empty");
            if !scheduler_admits(pod, others, &merged.labels(), largest) {
                last_error = "pod affinity, anti-affinity or host ports cannot be met on a new node".to_owned();
                continue;
            }
        }
        return Ok((merged, holding, total));
    }
    Err(last_error)
}

/// Requests as upstream prints them in messages (`{"cpu":"1500m","memory":"1Gi","pods":"3"}`).
pub fn describe_resources(resources: &Resources) -> String {
    let mut parts = vec![format!("\"cpu\":\"{}m\"", resources.milli_cpu)];
    if resources.memory > 0 {
        parts.push(format!("\"memory\":\"{}\"", resources.memory));
    }
    parts.push(format!("\"pods\":\"{}\"", resources.pods));
    format!("{{{}}}", parts.join(","))
}

/// The requests of the DaemonSet pods that would run on a node of `pool`.
pub fn daemon_overhead(pool: &PoolInput) -> Resources {
    let mut total = Resources::default();
    for pod in &pool.daemon_pods {
        let fits = tolerates_all(pod, &pool.taints)
            && pod_requirements(pod).iter().any(|option| pool.requirements.compatible(option).is_ok());
        if fits {
            total.add(&pod_requests(pod));
        }
    }
    total
}

/// The pools in the order they are tried: weight descending, then name.
pub fn pool_order(pools: &[PoolInput]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..pools.len()).collect();
    order.sort_by(|&a, &b| pools[b].weight.cmp(&pools[a].weight).then_with(|| pools[a].name.cmp(&pools[b].name)));
    order
}

/// Plans the NodeClaims `pods` need.
pub fn plan(pods: &[&Pod], pools: &[PoolInput]) -> Plan {
    let mut order: Vec<usize> = (0..pods.len()).collect();
    let requests: Vec<Resources> = pods.iter().map(|pod| pod_requests(pod)).collect();
    order.sort_by(|&a, &b| {
        (requests[b].milli_cpu, requests[b].memory).cmp(&(requests[a].milli_cpu, requests[a].memory)).then(a.cmp(&b))
    });
    let pool_order = pool_order(pools);
    let overheads: Vec<Resources> = pools.iter().map(daemon_overhead).collect();
    let mut remaining: Vec<Remaining> = pools.iter().map(|pool| pool.remaining).collect();
    let mut building: Vec<Building> = Vec::new();
    let mut failures = BTreeMap::new();
    for index in order {
        let pod = pods[index];
        // Claims with fewer pods first, as upstream sorts its in-flight claims.
        let mut by_size: Vec<usize> = (0..building.len()).collect();
        by_size.sort_by_key(|&i| building[i].claim.pods.len());
        let mut placed = false;
        for i in by_size {
            let claim = &building[i].claim;
            let pool = &pools[claim.pool];
            let others: Vec<&Pod> = claim.pods.iter().map(|&p| pods[p]).collect();
            if let Ok((requirements, types, total)) =
                try_add(pod, pool, &claim.requirements, &claim.types, &claim.requests, &others)
            {
                let claim = &mut building[i].claim;
                claim.requirements = requirements;
                claim.types = types;
                claim.requests = total;
                claim.pods.push(index);
                placed = true;
                break;
            }
        }
        if placed {
            continue;
        }
        if pools.is_empty() {
            failures.insert(index, "nodepool requirements filtered out all available instance types".to_owned());
            continue;
        }
        let mut errors = Vec::new();
        for &p in &pool_order {
            let pool = &pools[p];
            let types: Vec<usize> = (0..pool.types.len()).filter(|&t| remaining[p].admits(&pool.types[t])).collect();
            if types.is_empty() {
                errors.push("all available instance types exceed limits for nodepool".to_owned());
                continue;
            }
            match try_add(pod, pool, &pool.requirements, &types, &overheads[p], &[]) {
                Ok((requirements, mut types, total)) => {
                    types.sort_by(|&a, &b| {
                        cheapest(&pool.types[a], &requirements, &pool.zones)
                            .total_cmp(&cheapest(&pool.types[b], &requirements, &pool.zones))
                            .then_with(|| pool.types[a].name.cmp(&pool.types[b].name))
                    });
                    remaining[p].subtract_max(types.iter().map(|&t| &pool.types[t]));
                    building.push(Building {
                        claim: PlannedClaim { pool: p, requirements, types, pods: vec![index], requests: total },
                    });
                    placed = true;
                    break;
                }
                Err(error) => errors.push(error),
            }
        }
        if !placed {
            failures.insert(index, errors.join("; "));
        }
    }
    let mut claims: Vec<PlannedClaim> = building.into_iter().map(|b| b.claim).collect();
    for claim in &mut claims {
        claim.pods.sort_unstable();
        let pool = &pools[claim.pool];
        claim.types.sort_by(|&a, &b| {
            cheapest(&pool.types[a], &claim.requirements, &pool.zones)
                .total_cmp(&cheapest(&pool.types[b], &claim.requirements, &pool.zones))
                .then_with(|| pool.types[a].name.cmp(&pool.types[b].name))
        });
    }
    Plan { claims, failures }
}
