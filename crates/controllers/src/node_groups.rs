//! The narrow view the cluster autoscaler ([`crate::cluster_autoscaler`]) has of where a cluster's nodes come
//! from: [`NodeGroups`], which the binary implements with the Auto Scaling groups of EKS managed node groups. This
//! crate knows nothing of AWS; a [`NodeGroup`] is what cluster-autoscaler's AWS cloud provider reads of an Auto
//! Scaling group (its sizes, tags and instances) and the [`NodeTemplate`] it builds from the group's instance type,
//! labels and taints for a node that does not exist yet.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Taint;

/// What a new node of a group would look like: the node its kubelet would register.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeTemplate {
    pub instance_type: String,
    /// The node's labels (the group's own, instance type, zone, region, node group).
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    /// The zone a new instance would go to.
    pub zone: String,
    /// Millicores, bytes and pods the node's `status.capacity` would report.
    pub capacity_cpu_millis: u64,
    pub capacity_memory_bytes: u64,
    /// What is left for pods (`status.allocatable`).
    pub allocatable_cpu_millis: u64,
    pub allocatable_memory_bytes: u64,
    pub allocatable_ephemeral_storage_bytes: u64,
    pub max_pods: u32,
    /// NVIDIA GPUs (`nvidia.com/gpu`) the node reports.
    pub gpus: u32,
    /// The on-demand price of an instance per hour in dollars, when known (the `price` expander).
    pub price_per_hour: Option<f64>,
}

/// A member instance of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInstance {
    /// The instance id (`i-0123...`).
    pub id: String,
    /// The provider id its node carries (`aws:///<zone>/<id>`).
    pub provider_id: String,
}

/// An Auto Scaling group as the autoscaler sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeGroup {
    /// The group's name, the autoscaler's node group id.
    pub id: String,
    pub min_size: i64,
    pub max_size: i64,
    /// The desired capacity.
    pub target_size: i64,
    pub tags: BTreeMap<String, String>,
    /// `None` when no template can be built (an unknown instance type): the group is never scaled up.
    pub template: Option<NodeTemplate>,
    /// Its instances that are not terminated.
    pub instances: Vec<GroupInstance>,
}

/// Where a cluster's node groups live. Errors are messages, logged and retried at the next scan.
#[async_trait::async_trait]
pub trait NodeGroups: Send + Sync + std::fmt::Debug {
    /// Every group of the cluster.
    async fn groups(&self) -> Result<Vec<NodeGroup>, String>;
    /// Sets a group's desired capacity (within its sizes).
    async fn set_target_size(&self, group: &str, size: i64) -> Result<(), String>;
    /// Terminates a member instance and decrements the group's desired capacity, so that it is not replaced.
    async fn delete_instance(&self, group: &str, instance_id: &str) -> Result<(), String>;
}
