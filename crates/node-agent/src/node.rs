//! The Node object a kubelet on an EKS AMI registers and reports: labels, taints, provider id, capacity and the
//! allocatable that the AMI's reservations leave, conditions, addresses and `nodeInfo`. Pure functions of a
//! [`NodeSpec`].

use std::collections::BTreeMap;

use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::status::{hex64, timestamp};
use crate::{Capacity, NodeSpec};

const MIB: u64 = 1024 * 1024;
/// The AMI's `evictionHard` `memory.available`.
const EVICTION_MEMORY_BYTES: u64 = 100 * MIB;
/// The AMI's `kubeReserved` `ephemeral-storage`.
const RESERVED_EPHEMERAL_BYTES: u64 = 1024 * MIB;
/// The AMI's `evictionHard` `nodefs.available`, in percent of the disk.
const EVICTION_NODEFS_PERCENT: u64 = 10;

/// The container runtime an EKS AL2023 AMI ships.
pub const CONTAINER_RUNTIME_VERSION: &str = "containerd://1.7.27";
/// The OS image of an EKS AL2023 AMI.
pub const OS_IMAGE: &str = "Amazon Linux 2023.9.20251110";
/// Its kernel.
pub const KERNEL_VERSION: &str = "6.1.156-177.286.amzn2023.x86_64";
/// The port kubelet serves on.
pub const KUBELET_PORT: u16 = 10250;

/// The CPU an EKS AMI reserves for Kubernetes (`kubeReserved.cpu`), in millicores: 6% of the first core, 1% of the
/// second, 0.5% of the third and fourth, 0.25% of every further core.
pub fn reserved_cpu_millis(cpu_millis: u64) -> u64 {
    let cores = cpu_millis / 1000;
    // In tenths of a millicore, so that 0.25% of a core (2.5m) stays exact until the end.
    let tenths = 600 * cores.min(1)
        + 100 * cores.clamp(1, 2).saturating_sub(1)
        + 50 * cores.clamp(2, 4).saturating_sub(2)
        + 25 * cores.saturating_sub(4);
    tenths / 10
}

/// The memory an EKS AMI reserves for Kubernetes (`kubeReserved.memory`): 11 MiB per pod the node may run plus
/// 255 MiB.
pub fn reserved_memory_bytes(max_pods: u32) -> u64 {
    (11 * u64::from(max_pods) + 255) * MIB
}

/// What is left for pods: capacity minus the AMI's `kubeReserved` and `evictionHard` thresholds.
pub fn allocatable(capacity: &Capacity) -> Capacity {
    let eviction_disk = capacity.ephemeral_storage_bytes.saturating_mul(EVICTION_NODEFS_PERCENT) / 100;
    Capacity {
        cpu_millis: capacity.cpu_millis.saturating_sub(reserved_cpu_millis(capacity.cpu_millis)),
        memory_bytes: capacity
            .memory_bytes
            .saturating_sub(reserved_memory_bytes(capacity.pods))
            .saturating_sub(EVICTION_MEMORY_BYTES),
        pods: capacity.pods,
        gpus: capacity.gpus,
        ephemeral_storage_bytes: capacity
            .ephemeral_storage_bytes
            .saturating_sub(RESERVED_EPHEMERAL_BYTES)
            .saturating_sub(eviction_disk),
    }
}

/// CPU as a quantity: whole cores (`2`) or millicores (`1930m`).
pub fn cpu_quantity(millis: u64) -> String {
    if millis.is_multiple_of(1000) { (millis / 1000).to_string() } else { format!("{millis}m") }
}

/// Bytes as a quantity: `Ki` when they are whole kibibytes, as kubelet reports memory, else plain bytes.
pub fn bytes_quantity(bytes: u64) -> String {
    if bytes.is_multiple_of(1024) { format!("{}Ki", bytes / 1024) } else { bytes.to_string() }
}

fn resources(capacity: &Capacity) -> Value {
    let mut list = json!({
        "cpu": cpu_quantity(capacity.cpu_millis),
        "ephemeral-storage": bytes_quantity(capacity.ephemeral_storage_bytes),
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
        "memory": bytes_quantity(capacity.memory_bytes),
        "pods": capacity.pods.to_string(),
    });
    if capacity.gpus > 0 {
        list[k8s_model::NVIDIA_GPU] = json!(capacity.gpus.to_string());
    }
    list
}

/// The node's architecture as Kubernetes names it: its `kubernetes.io/arch` label, else `amd64`.
fn architecture(spec: &NodeSpec) -> &str {
    spec.labels.get("kubernetes.io/arch").map_or("amd64", String::as_str)
}

/// The labels kubelet registers: the spec's, plus hostname, OS and architecture, and the beta aliases that EKS
/// nodes carry for instance type, zone and region.
pub fn labels(spec: &NodeSpec) -> BTreeMap<String, String> {
    let mut labels = spec.labels.clone();
    let hostname = spec
        .addresses
        .iter()
        .find(|(kind, _)| kind == "Hostname")
        .map_or(spec.name.as_str(), |(_, address)| address.as_str());
    let arch = architecture(spec);
    let defaults = [
        ("kubernetes.io/hostname", hostname),
        ("kubernetes.io/os", "linux"),
        ("kubernetes.io/arch", arch),
        ("beta.kubernetes.io/os", "linux"),
        ("beta.kubernetes.io/arch", arch),
    ];
    for (key, value) in defaults {
        labels.entry(key.to_owned()).or_insert_with(|| value.to_owned());
    }
    let aliases = [
        ("node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type"),
        ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone"),
        ("topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region"),
    ];
    for (from, to) in aliases {
        if let Some(value) = spec.labels.get(from) {
            labels.entry(to.to_owned()).or_insert_with(|| value.clone());
        }
    }
    labels
}

/// The annotations kubelet registers besides the spec's.
pub fn annotations(spec: &NodeSpec) -> BTreeMap<String, String> {
    let mut annotations = spec.annotations.clone();
    annotations.entry("node.alpha.kubernetes.io/ttl".into()).or_insert_with(|| "0".into());
    annotations.entry("volumes.kubernetes.io/controller-managed-attach-detach".into()).or_insert_with(|| "true".into());
    annotations
}

/// The Node to create: metadata and spec (the status follows through its subresource).
pub fn node_object(spec: &NodeSpec) -> Value {
    let mut node = json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": { "name": spec.name, "labels": labels(spec), "annotations": annotations(spec) },
        "spec": {},
    });
    if let Some(provider_id) = &spec.provider_id {
        node["spec"]["providerID"] = json!(provider_id);
    }
    if !spec.taints.is_empty() {
        node["spec"]["taints"] = json!(spec.taints);
    }
    node
}

/// The merge patch that brings a registered Node's labels, annotations and taints to `spec`, given the spec it was
/// registered with (`None`: unknown, so nothing is removed).
pub fn node_update(previous: Option<&NodeSpec>, spec: &NodeSpec) -> Value {
    let mut labels: serde_json::Map<String, Value> =
        self::labels(spec).into_iter().map(|(key, value)| (key, json!(value))).collect();
    let mut annotations: serde_json::Map<String, Value> =
        self::annotations(spec).into_iter().map(|(key, value)| (key, json!(value))).collect();
    if let Some(previous) = previous {
        for key in self::labels(previous).into_keys() {
            labels.entry(key).or_insert(Value::Null);
        }
        for key in self::annotations(previous).into_keys() {
            annotations.entry(key).or_insert(Value::Null);
        }
    }
    json!({
        "metadata": { "labels": labels, "annotations": annotations },
        "spec": { "taints": if spec.taints.is_empty() { Value::Null } else { json!(spec.taints) } },
    })
}

/// The Node's status: capacity, allocatable, the four conditions (`lastHeartbeatTime` = `now`), addresses,
/// daemon endpoints and `nodeInfo`.
pub fn node_status(spec: &NodeSpec, kubelet_version: &str, registered: OffsetDateTime, now: OffsetDateTime) -> Value {
    let heartbeat = timestamp(now);
    let transition = timestamp(registered);
    let condition = |type_: &str, status: &str, reason: &str, message: &str| {
        json!({
            "type": type_,
            "status": status,
            "lastHeartbeatTime": heartbeat,
            "lastTransitionTime": transition,
            "reason": reason,
            "message": message,
        })
    };
    let addresses: Vec<Value> =
        spec.addresses.iter().map(|(kind, address)| json!({ "type": kind, "address": address })).collect();
    let digest = hex64(&[&spec.name]);
    let uuid = |hex: &str| format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32]);
    let boot = hex64(&[&spec.name, "boot"]);
    json!({
        "capacity": resources(&spec.capacity),
        "allocatable": resources(&allocatable(&spec.capacity)),
        "conditions": [
            condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
        ],
        "addresses": addresses,
        "daemonEndpoints": { "kubeletEndpoint": { "Port": KUBELET_PORT } },
        "nodeInfo": {
            "machineID": &digest[..32],
            "systemUUID": uuid(&format!("ec2{}", &digest[35..])),
            "bootID": uuid(&boot),
            "kernelVersion": KERNEL_VERSION,
            "osImage": OS_IMAGE,
            "containerRuntimeVersion": CONTAINER_RUNTIME_VERSION,
            "kubeletVersion": kubelet_version,
            "kubeProxyVersion": kubelet_version,
            "operatingSystem": "linux",
            "architecture": architecture(spec),
        },
    })
}

/// The node's primary IP: its first `InternalIP` address.
pub fn internal_ip(spec: &NodeSpec) -> Option<std::net::IpAddr> {
    spec.addresses.iter().find(|(kind, _)| kind == "InternalIP").and_then(|(_, address)| address.parse().ok())
}

#[cfg(test)]
mod tests;
