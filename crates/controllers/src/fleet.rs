//! The narrow view the node provisioner ([`crate::karpenter`]: Karpenter, and EKS Auto Mode's managed Karpenter)
//! has of where instances come from: [`Fleet`], which the binary implements with EC2 for the clusters EKS runs.
//! This crate knows nothing of AWS beyond the words Karpenter's AWS provider uses: a node class (an
//! `EC2NodeClass` of `karpenter.k8s.aws/v1`, or Auto Mode's `NodeClass` of `eks.amazonaws.com/v1`) is resolved to
//! subnets, security groups, an instance profile and images ([`ResolvedClass`]); the instance types offered there
//! come with their facts and priced offerings ([`InstanceTypeInfo`]); a launch ([`LaunchRequest`]) is one
//! CreateFleet call of type `instant` over candidate (instance type, zone, capacity type) overrides, of which EC2
//! takes the cheapest it has capacity for ([`Launched`]).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Taint;

/// Which node class kind a NodePool refers to, and so which flavour of Karpenter provisions for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClassKind {
    /// Karpenter's AWS provider: `karpenter.k8s.aws/v1` `EC2NodeClass`, labels `karpenter.k8s.aws/instance-*`.
    Ec2NodeClass,
    /// EKS Auto Mode: `eks.amazonaws.com/v1` `NodeClass`, labels `eks.amazonaws.com/instance-*`.
    AutoModeNodeClass,
}

/// A subnet a node class selected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassSubnet {
    pub id: String,
    pub zone: String,
    /// The zone's id (`use1-az1`).
    pub zone_id: String,
    /// Free addresses: a subnet without one is not launched into.
    pub available_ips: u64,
}

/// A security group a node class selected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassSecurityGroup {
    pub id: String,
    pub name: String,
}

/// An image a node class selected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassImage {
    pub id: String,
    pub name: String,
    /// Kubernetes architecture names (`amd64`, `arm64`) the image runs on.
    pub architecture: String,
}

/// What a node class's selector terms and role resolve to in the cluster's account and region: what Karpenter
/// writes to the class's status.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResolvedClass {
    pub subnets: Vec<ClassSubnet>,
    pub security_groups: Vec<ClassSecurityGroup>,
    pub images: Vec<ClassImage>,
    /// The instance profile launched instances get (Karpenter makes one for a class's `role`), by name.
    pub instance_profile: String,
}

/// A place and way an instance type can be bought, with its price.
#[derive(Debug, Clone, PartialEq)]
pub struct Offering {
    pub zone: String,
    /// `on-demand` or `spot` (Karpenter's `karpenter.sh/capacity-type` values).
    pub capacity_type: String,
    /// Dollars per hour.
    pub price: f64,
    /// Whether EC2 has capacity for it now (an offering that failed with insufficient capacity is not).
    pub available: bool,
}

/// An instance type and what Karpenter labels its nodes with, before the flavour's prefix
/// (`karpenter.k8s.aws/` or `eks.amazonaws.com/`) is put on the `instance-*` names.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceTypeInfo {
    /// `m5.large`.
    pub name: String,
    /// `amd64` or `arm64`.
    pub architecture: String,
    /// `m`, `c`, `r`, `t`, `g`, ...
    pub category: String,
    /// `m5`.
    pub family: String,
    /// `5`.
    pub generation: u32,
    /// `large`.
    pub size: String,
    pub vcpus: u32,
    pub memory_mib: u64,
    /// `nitro` or `xen`.
    pub hypervisor: String,
    /// `intel`, `amd` or `aws`.
    pub cpu_manufacturer: String,
    pub gpu_count: u32,
    /// `t4`, `a10g`, ... when it has GPUs.
    pub gpu_name: Option<String>,
    /// `nvidia`, ... when it has GPUs.
    pub gpu_manufacturer: Option<String>,
    pub gpu_memory_mib: u64,
    /// Megabits per second.
    pub network_bandwidth_mbps: u64,
    /// Pods the node runs (the VPC CNI's limit).
    pub max_pods: u32,
    /// Millicores, bytes and bytes of ephemeral storage the node's `status.capacity` reports.
    pub capacity_cpu_millis: u64,
    pub capacity_memory_bytes: u64,
    /// What is left for pods (`status.allocatable`), as the EKS AMIs' kubelet reserves.
    pub allocatable_cpu_millis: u64,
    pub allocatable_memory_bytes: u64,
    pub allocatable_ephemeral_storage_bytes: u64,
    /// Where and how it can be bought.
    pub offerings: Vec<Offering>,
}

/// One override of a CreateFleet call: an instance type in a subnet, bought one way.
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchOverride {
    pub instance_type: String,
    pub subnet_id: String,
    pub zone: String,
    /// `on-demand` or `spot`.
    pub capacity_type: String,
    /// Dollars per hour: EC2 takes the cheapest override it has capacity for (`lowest-price`).
    pub price: f64,
}

/// One instance to launch for a NodeClaim.
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchRequest {
    /// The NodeClaim's name (the client token and the `karpenter.sh/nodeclaim` tag).
    pub node_claim: String,
    pub node_pool: String,
    pub class_kind: ClassKind,
    /// The node class's name.
    pub class_name: String,
    pub class: ResolvedClass,
    /// The candidates, at least one.
    pub overrides: Vec<LaunchOverride>,
    /// The labels the node registers with (its kubelet's `--node-labels`).
    pub labels: BTreeMap<String, String>,
    /// The taints it registers with (the pool's taints and startup taints; `--register-with-taints`).
    pub taints: Vec<Taint>,
    /// The instance's tags (the class's own tags, and Karpenter's: `karpenter.sh/nodepool`,
    /// `karpenter.sh/nodeclaim`, `karpenter.k8s.aws/ec2nodeclass` or `eks:eks-cluster-name`, ...).
    pub tags: BTreeMap<String, String>,
}

/// The instance a launch made.
#[derive(Debug, Clone, PartialEq)]
pub struct Launched {
    pub instance_id: String,
    /// `aws:///<zone>/<instance id>`, which its node carries.
    pub provider_id: String,
    pub instance_type: String,
    pub zone: String,
    pub capacity_type: String,
    pub image_id: String,
}

/// Why a launch failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LaunchError {
    /// No override had capacity (`InsufficientInstanceCapacity`, a full subnet): these (instance type, zone,
    /// capacity type) offerings are unavailable for a while, as Karpenter's unavailable offerings cache keeps them.
    InsufficientCapacity { offerings: Vec<(String, String, String)>, message: String },
    /// Anything else (a missing instance profile, a refused parameter), with EC2's message.
    Other(String),
}

/// An instance the fleet launched for the cluster (tagged `karpenter.sh/nodeclaim`), as DescribeInstances shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetInstance {
    pub instance_id: String,
    pub provider_id: String,
    /// `pending`, `running`, `shutting-down`, `terminated`, ...
    pub state: String,
    pub tags: BTreeMap<String, String>,
    /// The subnet it was launched into.
    pub subnet_id: String,
    /// The ids of its security groups.
    pub security_groups: Vec<String>,
}

/// EKS Auto Mode's compute settings of the cluster (`computeConfig`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AutoMode {
    /// The built-in NodePools enabled (`general-purpose`, `system`).
    pub node_pools: Vec<String>,
    /// The IAM role the built-in pools' nodes get.
    pub node_role_arn: Option<String>,
}

/// Where a cluster's provisioned instances live. Errors are messages (EC2's), logged, written to conditions and
/// retried.
#[async_trait::async_trait]
pub trait Fleet: Send + Sync + std::fmt::Debug {
    /// The cluster's Auto Mode compute settings, `None` when Auto Mode is off.
    async fn auto_mode(&self) -> Result<Option<AutoMode>, String>;
    /// Resolves a node class's spec (its JSON `spec`) in the cluster's account and region.
    async fn resolve(&self, kind: ClassKind, name: &str, spec: &serde_json::Value) -> Result<ResolvedClass, String>;
    /// Every instance type offered in the class's zones, with prices.
    async fn instance_types(&self, class: &ResolvedClass) -> Result<Vec<InstanceTypeInfo>, String>;
    /// Launches one instance (CreateFleet, type `instant`, `lowest-price`).
    async fn launch(&self, request: &LaunchRequest) -> Result<Launched, LaunchError>;
    /// Terminates an instance; an instance already gone is not an error.
    async fn terminate(&self, instance_id: &str) -> Result<(), String>;
    /// The instances launched for the cluster that are not terminated.
    async fn instances(&self) -> Result<Vec<FleetInstance>, String>;
}
