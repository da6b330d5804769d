//! Simulated nodes: each registers its Node object, renews its Lease in `kube-node-lease` and runs the pods bound
//! to it as a kubelet would report them (container statuses, readiness, restarts, exits, pod IPs), without running
//! any container. One agent drives many nodes, as kwok does, so that clusters of thousands of nodes fit in one
//! process.
//!
//! The agent is a client of the cluster's API (a [`kube::Client`]). [`NodeAgent::start`] spawns two tasks: one
//! drives every node (registration, Lease renewals in one batch per interval, status heartbeats), the other watches
//! every bound pod once and hands each to one of several drivers by its node, each driving its pods from a
//! deadline queue. What a pod does over time is
//! the pure function [`lifecycle::simulate`]; [`status`] turns its result into kubelet's status and events. The
//! drivers publish their running pods, from which [`NodeAgent::usage`] computes what containers and nodes use
//! ([`usage`]), for a metrics server.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use k8s_openapi::api::core::v1::Taint;
use tokio::sync::watch;
use tokio::task::JoinHandle;

mod agent;
pub mod lifecycle;
mod network;
pub mod node;
pub mod probe;
pub mod status;
pub mod traffic;
pub mod usage;

pub use network::{Cidr, PodNetwork, SubnetPool};
pub use usage::{ContainerUsage, Load, Loads, NodeUsage, PodUsage, UsageSnapshot, Workload};

/// A node's resources: `status.capacity` (and, after the AMI's reservations, `status.allocatable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capacity {
    /// CPU in millicores.
    pub cpu_millis: u64,
    /// Memory in bytes.
    pub memory_bytes: u64,
    /// The most pods the node runs (the VPC CNI's max pods).
    pub pods: u32,
    /// Ephemeral storage (the root volume) in bytes.
    pub ephemeral_storage_bytes: u64,
    /// NVIDIA GPUs, reported as the extended resource `nvidia.com/gpu` (as the NVIDIA device plugin advertises
    /// them on the EKS accelerated AMIs and EKS Auto Mode nodes).
    pub gpus: u32,
}

/// One node the agent runs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NodeSpec {
    /// The Node's name (on EKS, the instance's private DNS name).
    pub name: String,
    /// Labels besides the ones kubelet adds itself.
    pub labels: BTreeMap<String, String>,
    /// Annotations.
    pub annotations: BTreeMap<String, String>,
    /// Taints registered with the node.
    pub taints: Vec<Taint>,
    /// Its resources.
    pub capacity: Capacity,
    /// `(type, address)` pairs: `InternalIP`, `ExternalIP`, `InternalDNS`, `Hostname`, ...
    pub addresses: Vec<(String, String)>,
    /// `spec.providerID`, such as `aws:///us-east-1a/i-0123456789abcdef0`.
    pub provider_id: Option<String>,
    /// The CIDR the node's pod IPs come from (with the VPC CNI, the node's subnet).
    pub pod_subnet: Option<String>,
}

/// How the agent behaves; [`Default`] gives upstream's values.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// The Leases' `leaseDurationSeconds` (kubelet: 40).
    pub lease_duration_seconds: i32,
    /// How often each Lease is renewed (kubelet: 10 s).
    pub renew_interval: Duration,
    /// How often Node status is reported when nothing changed (kubelet: 5 min).
    pub status_interval: Duration,
    /// The kubelet version nodes report, such as `v1.34.2-eks-b3126f4`.
    pub kubelet_version: String,
    /// The first CrashLoopBackOff delay (kubelet: 10 s); it doubles up to `backoff_max`.
    pub backoff_base: Duration,
    /// The longest CrashLoopBackOff delay (kubelet: 300 s).
    pub backoff_max: Duration,
    /// How long a pod's sandbox and image pull take before its containers start.
    pub start_delay: Duration,
    /// The workloads' loads set at run time, over their pods' annotations ([`usage`]); empty by default.
    pub loads: Arc<usage::Loads>,
}

impl Default for AgentConfig {
    fn default() -> AgentConfig {
        AgentConfig {
            lease_duration_seconds: 40,
            renew_interval: Duration::from_secs(10),
            status_interval: Duration::from_secs(300),
            kubelet_version: "v1.34.2-eks-b3126f4".into(),
            backoff_base: Duration::from_secs(10),
            backoff_max: Duration::from_secs(300),
            start_delay: Duration::from_secs(1),
            loads: Arc::default(),
        }
    }
}

impl AgentConfig {
    fn timing(&self) -> lifecycle::Timing {
        lifecycle::Timing {
            start_delay: self.start_delay,
            backoff_base: self.backoff_base,
            backoff_max: self.backoff_max,
        }
    }
}

/// The agent's view of its nodes, shared by its tasks.
#[derive(Debug, Default)]
struct Desired {
    nodes: BTreeMap<String, DesiredNode>,
}

#[derive(Debug, Clone)]
struct DesiredNode {
    spec: Arc<NodeSpec>,
    failed: bool,
}

/// What the tasks share: the desired nodes, a signal bumped at every change of them, and the running pods the
/// drivers publish for [`NodeAgent::usage`].
#[derive(Debug)]
struct Shared {
    desired: RwLock<Desired>,
    changed: watch::Sender<u64>,
    board: usage::Board,
}

impl Shared {
    fn bump(&self) {
        self.changed.send_modify(|version| *version += 1);
    }
}

/// What a node does with a pod's volumes before its containers start: mount them, as kubelet's volume manager
/// does through the volume's CSI driver. `Err` is the `FailedMount` event's message; the pod waits and is tried
/// again. Without one, pods start without waiting for their volumes.
#[async_trait::async_trait]
pub trait PodVolumes: Send + Sync + std::fmt::Debug {
    /// Mounts the volumes of the claims (in `namespace`) that the pod `pod_uid` uses, on `node`.
    async fn mount(&self, node: &NodeSpec, namespace: &str, pod_uid: &str, claims: &[String]) -> Result<(), String>;
}

/// Runs simulated nodes against one cluster.
#[derive(Debug)]
pub struct NodeAgent {
    shared: Arc<Shared>,
    loads: Arc<usage::Loads>,
    network: Arc<dyn PodNetwork>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl NodeAgent {
    /// Starts the agent's tasks (on the current tokio runtime); it runs no node until [`NodeAgent::set_nodes`].
    pub fn start(client: kube::Client, config: AgentConfig, network: Arc<dyn PodNetwork>) -> NodeAgent {
        NodeAgent::start_with_volumes(client, config, network, None)
    }

    /// [`NodeAgent::start`] with what mounts pods' volumes before they start.
    pub fn start_with_volumes(
        client: kube::Client,
        config: AgentConfig,
        network: Arc<dyn PodNetwork>,
        volumes: Option<Arc<dyn PodVolumes>>,
    ) -> NodeAgent {
        let (changed, _) = watch::channel(0);
        let board = usage::Board::new(agent::pods::SHARDS);
        let shared = Arc::new(Shared { desired: RwLock::new(Desired::default()), changed, board });
        let loads = Arc::clone(&config.loads);
        let (shutdown, _) = watch::channel(false);
        let config = Arc::new(config);
        let tasks = vec![
            tokio::spawn(agent::nodes::run(
                client.clone(),
                Arc::clone(&config),
                Arc::clone(&shared),
                shutdown.subscribe(),
            )),
            tokio::spawn(agent::pods::run(
                client,
                config,
                Arc::clone(&shared),
                Arc::clone(&network),
                volumes,
                shutdown.subscribe(),
            )),
        ];
        NodeAgent { shared, loads, network, shutdown, tasks }
    }

    /// The desired set of nodes: new names register, missing names stop and their Node objects (and Leases) are
    /// deleted, changed labels, annotations and taints are applied.
    pub fn set_nodes(&self, nodes: Vec<NodeSpec>) {
        {
            let mut desired = self.shared.desired.write().expect("the node lock is never poisoned");
            let mut next = BTreeMap::new();
            for spec in nodes {
                let known = desired.nodes.get(&spec.name);
                if known.is_none_or(|node| *node.spec != spec) {
                    // The network learns a node's subnet before any of its pods can ask for an address.
                    let own: Vec<std::net::IpAddr> =
                        spec.addresses.iter().filter_map(|(_, address)| address.parse().ok()).collect();
                    self.network.node_changed(&spec.name, spec.pod_subnet.as_deref(), &own);
                }
                // A failure is the machine's: a new machine under the same name (its address reused) starts sound.
                let failed = known.is_some_and(|node| node.failed && node.spec.provider_id == spec.provider_id);
                next.insert(spec.name.clone(), DesiredNode { spec: Arc::new(spec), failed });
            }
            for name in desired.nodes.keys().filter(|name| !next.contains_key(*name)) {
                self.network.node_changed(name, None, &[]);
            }
            desired.nodes = next;
        }
        self.shared.bump();
    }

    /// The node stops renewing its Lease, reporting status and driving its pods, as a dead instance; its Node
    /// object stays.
    pub fn fail(&self, name: &str) {
        self.set_failed(name, true);
    }

    /// A failed node comes back.
    pub fn recover(&self, name: &str) {
        self.set_failed(name, false);
    }

    fn set_failed(&self, name: &str, failed: bool) {
        {
            let mut desired = self.shared.desired.write().expect("the node lock is never poisoned");
            if let Some(node) = desired.nodes.get_mut(name) {
                node.failed = failed;
            }
        }
        self.shared.bump();
    }

    /// What the running containers of the agent's live nodes use now, and those nodes ([`usage`] has the model).
    /// Cheap: no API call, computed from what the pod drivers published, with the load table as it is now.
    pub fn usage(&self) -> UsageSnapshot {
        let nodes: Vec<(String, Capacity, BTreeMap<String, String>)> = {
            let desired = self.shared.desired.read().expect("the node lock is never poisoned");
            desired
                .nodes
                .iter()
                .filter(|(_, node)| !node.failed)
                .map(|(name, node)| (name.clone(), node.spec.capacity, node::labels(&node.spec)))
                .collect()
        };
        let capacities: Vec<(&str, Capacity)> =
            nodes.iter().map(|(name, capacity, _)| (name.as_str(), *capacity)).collect();
        let mut snapshot = self.shared.board.snapshot(time::OffsetDateTime::now_utc(), &capacities, &self.loads);
        let mut labels: HashMap<&str, &BTreeMap<String, String>> =
            nodes.iter().map(|(name, _, labels)| (name.as_str(), labels)).collect();
        for node in &mut snapshot.nodes {
            if let Some(registered) = labels.remove(node.name.as_str()) {
                node.labels = registered.clone();
            }
        }
        snapshot
    }

    /// Stops the agent's tasks and waits for them. Node objects stay as they are.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
    }
}

impl Drop for NodeAgent {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// The agent's failures talking to the API; it logs them and retries.
#[derive(Debug, thiserror::Error)]
enum AgentError {
    /// A request failed.
    #[error("{what}: {source}")]
    Api {
        what: String,
        #[source]
        source: kube::Error,
    },
    /// An object could not be converted.
    #[error("{what}: {source}")]
    Json {
        what: String,
        #[source]
        source: serde_json::Error,
    },
}
