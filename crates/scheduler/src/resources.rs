//! Resource amounts as the scheduler counts them: quantities parsed once into integers (milli-CPU, bytes, pods),
//! and a pod's effective requests (the larger of its containers' sum and any init container, plus overhead).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, Pod};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

/// The CPU a pod without a CPU request counts as when scoring (upstream's non-zero default, 0.1 core).
pub const DEFAULT_MILLI_CPU: i64 = 100;
/// The memory a pod without a memory request counts as when scoring (upstream's non-zero default, 200 MiB).
pub const DEFAULT_MEMORY: i64 = 200 * 1024 * 1024;

/// Amounts of the resources the scheduler fits pods by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    pub milli_cpu: i64,
    /// Bytes.
    pub memory: i64,
    /// Bytes.
    pub ephemeral_storage: i64,
    /// How many pods (only meaningful for a node's allocatable).
    pub pods: i64,
    /// Extended resources (`nvidia.com/gpu`, `vpc.amazonaws.com/pod-eni`, ...), by name, in whole units; empty
    /// for most pods and nodes (an empty map allocates nothing).
    pub scalar: BTreeMap<String, i64>,
}

/// Whether a resource name is an extended resource the scheduler counts as upstream's `ScalarResources`: a
/// name with a domain outside `kubernetes.io` (`nvidia.com/gpu`), or `hugepages-*` and `attachable-volumes-*`.
pub fn is_scalar(name: &str) -> bool {
    if name.starts_with("hugepages-") || name.starts_with("attachable-volumes-") {
        return true;
    }
    match name.split_once('/') {
        Some((domain, _)) => domain != "kubernetes.io" && !domain.ends_with(".kubernetes.io"),
        None => false,
    }
}

impl Resources {
    /// Reads `cpu`, `memory`, `ephemeral-storage` and `pods` from a resource list.
    pub fn from_list(list: &BTreeMap<String, Quantity>) -> Resources {
        let get = |name: &str, milli: bool| {
            list.get(name)
                .and_then(|q| k8s_model::rounded_up(&q.0, milli))
                .map_or(0, |v| i64::try_from(v).unwrap_or(i64::MAX))
        };
        let scalar = list
            .iter()
            .filter(|(name, _)| is_scalar(name))
            .map(|(name, q)| {
                let amount = k8s_model::rounded_up(&q.0, false).map_or(0, |v| i64::try_from(v).unwrap_or(i64::MAX));
                (name.clone(), amount)
            })
            .collect();
        Resources {
            milli_cpu: get("cpu", true),
            memory: get("memory", false),
            ephemeral_storage: get("ephemeral-storage", false),
            pods: get("pods", false),
            scalar,
        }
    }

    pub fn add(&mut self, other: &Resources) {
        self.milli_cpu += other.milli_cpu;
        self.memory += other.memory;
        self.ephemeral_storage += other.ephemeral_storage;
        self.pods += other.pods;
        for (name, amount) in &other.scalar {
            *self.scalar.entry(name.clone()).or_default() += amount;
        }
    }

    pub fn sub(&mut self, other: &Resources) {
        self.milli_cpu -= other.milli_cpu;
        self.memory -= other.memory;
        self.ephemeral_storage -= other.ephemeral_storage;
        self.pods -= other.pods;
        for (name, amount) in &other.scalar {
            *self.scalar.entry(name.clone()).or_default() -= amount;
        }
    }

    fn max(&mut self, other: &Resources) {
        self.milli_cpu = self.milli_cpu.max(other.milli_cpu);
        self.memory = self.memory.max(other.memory);
        self.ephemeral_storage = self.ephemeral_storage.max(other.ephemeral_storage);
        for (name, amount) in &other.scalar {
            let mine = self.scalar.entry(name.clone()).or_default();
            *mine = (*mine).max(*amount);
        }
    }
}

fn container_requests(container: &Container) -> Resources {
    let Some(resources) = &container.resources else { return Resources::default() };
    // A container with limits and no requests requests its limits (the API server defaults them the same way).
    let mut merged = resources.limits.clone().unwrap_or_default();
    merged.extend(resources.requests.clone().unwrap_or_default());
    Resources::from_list(&merged)
}

/// What a pod requests of its node: the sum over its containers or the largest init container, whichever is
/// larger per resource, plus the pod's overhead; `pods` is 1.
pub fn pod_requests(pod: &Pod) -> Resources {
    let Some(spec) = &pod.spec else { return Resources { pods: 1, ..Resources::default() } };
    let mut total = Resources::default();
    for container in &spec.containers {
        total.add(&container_requests(container));
    }
    for init in spec.init_containers.iter().flatten() {
        total.max(&container_requests(init));
    }
    if let Some(overhead) = &spec.overhead {
        total.add(&Resources::from_list(overhead));
    }
    total.pods = 1;
    total
}

/// The requests kube-scheduler's scoring counts: a pod asking for no CPU or memory counts as asking for the
/// small defaults, so that empty pods still spread.
pub fn non_zero(requests: &Resources) -> Resources {
    Resources {
        milli_cpu: if requests.milli_cpu == 0 { DEFAULT_MILLI_CPU } else { requests.milli_cpu },
        memory: if requests.memory == 0 { DEFAULT_MEMORY } else { requests.memory },
        ..requests.clone()
    }
}
