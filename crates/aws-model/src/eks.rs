//! EKS clusters: their records, the rules CreateCluster applies, and their status lifecycle.
//!
//! Each EKS cluster owns one Kubernetes cluster, which the EKS side asks for through [`KubernetesClusters`]; this
//! crate knows nothing else about Kubernetes. Status changes are computed when a cluster is read: a cluster is
//! `CREATING` until its `ready_at` time and `DELETING` until its `gone_at` time, then `ACTIVE` or gone. Both
//! delays are configuration (zero by default, so that a create answers `CREATING` and the next describe shows
//! `ACTIVE`, and botocore's waiters succeed on their first poll). A delete answers at once: what the cluster held
//! (its Kubernetes cluster, its security group, its child records) is released in the background by
//! [`reconcile`], and the record goes once that is done and `gone_at` has passed. The same reconciler finishes a
//! create that a crash cut short.
//!
//! The resources that hang off a cluster live in submodules, each a part of [`Eks`]: [`nodegroups`] (managed node
//! groups), [`fargate`] (Fargate profiles and the rule that picks one for a pod), [`updates`] (UpdateClusterConfig,
//! UpdateClusterVersion and the `Update` records every change leaves), [`addons`] (the add-on catalog and installed
//! add-ons), [`access`] (access entries and policies), [`identity`] (pod identity associations and identity provider
//! configs), [`auto_mode`] (EKS Auto Mode's compute, block storage and load balancing settings and their rules),
//! [`tags`] (tags by ARN). [`authn`] decides who a token's caller is inside the cluster. [`prerequisites`] holds
//! what EKS checks in IAM and EC2 (roles, subnets, security groups) and the cluster security group it creates.
//! [`reconcile`] is the background half of every lifecycle.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::records::{RecordError, Records, Versioned};
use encryption::EncryptionConfig;
use hybrid::RemoteNetworkConfig;
use support::Transition;

pub mod access;
pub mod addons;
pub mod authn;
pub mod auto_mode;
pub mod encryption;
pub mod fargate;
pub mod hybrid;
pub mod hybrid_nodes;
pub mod identity;
pub mod insights;
pub mod nodegroups;
pub mod prerequisites;
pub mod reconcile;
pub mod registered;
mod support;
pub mod tags;
pub mod updates;
pub mod versions;

/// What the EKS side needs from the Kubernetes side.
#[async_trait::async_trait]
pub trait KubernetesClusters: Send + Sync + std::fmt::Debug {
    /// Creates and starts a Kubernetes cluster; when one of that name and issuer exists already (a create that
    /// was cut short and is resumed), answers where it is.
    async fn create(&self, spec: &KubernetesSpec) -> Result<KubernetesEndpoint, String>;
    /// Stops and deletes a Kubernetes cluster; deleting one that does not exist succeeds.
    async fn delete(&self, name: &str) -> Result<(), String>;
    /// The `data` of a ConfigMap in a Kubernetes cluster (`kube-system/aws-auth` is what EKS reads); `None` when
    /// the ConfigMap does not exist.
    async fn config_map(
        &self,
        _cluster: &str,
        _namespace: &str,
        _name: &str,
    ) -> Result<Option<BTreeMap<String, String>>, String> {
        Ok(None)
    }
    /// Puts an add-on's objects into a Kubernetes cluster as its record asks (version, configuration values,
    /// service account role), again after an update (`installed`), or takes them out; an add-on with nothing to
    /// put in is a no-op.
    async fn addon(&self, _cluster: &str, _addon: &addons::Addon, _installed: bool) -> Result<(), String> {
        Ok(())
    }
    /// Whether an add-on's workloads (its Deployments and DaemonSets) have their desired replicas ready; an
    /// add-on with no workloads is ready. The reconciler asks it of `ACTIVE` and `DEGRADED` add-ons at its pace
    /// (`reconcile::health_step`).
    async fn addon_ready(&self, _cluster: &str, _addon: &addons::Addon) -> Result<bool, String> {
        Ok(true)
    }
}

/// A Kubernetes cluster to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubernetesSpec {
    /// Unique on this server: derived from the account, region and EKS name.
    pub name: String,
    /// `major.minor`.
    pub version: String,
    pub service_cidr: String,
    /// The id of the cluster's OpenID Connect issuer: the issuer is the endpoint plus `/id/<issuer_id>`.
    pub issuer_id: String,
    /// Whether the cluster starts with the networking add-ons EKS installs itself (VPC CNI, kube-proxy, CoreDNS),
    /// as CreateCluster's `bootstrapSelfManagedAddons` asks.
    pub bootstrap_addons: bool,
    /// The cluster's region, which the add-ons' images and settings name.
    pub region: String,
}

/// Where a created Kubernetes cluster answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubernetesEndpoint {
    /// `https://127.0.0.1:<port>`.
    pub endpoint: String,
    /// The cluster CA certificate, PEM.
    pub ca_pem: String,
}

/// How EKS behaves; the defaults are EKS's own where it has one.
#[derive(Debug, Clone)]
pub struct EksConfig {
    /// Kubernetes versions clusters may run, oldest first; the last is the default.
    pub versions: Vec<String>,
    /// The patch release clusters of each version run (`1.34` to `1.34.1`), as DescribeClusterVersions reports.
    pub patch_versions: BTreeMap<String, String>,
    /// Seconds a new cluster stays `CREATING`.
    pub create_seconds: f64,
    /// Seconds a deleted cluster stays `DELETING`.
    pub delete_seconds: f64,
    /// Clusters per account and region.
    pub max_clusters: usize,
    /// Seconds an `Update` stays `InProgress` (and its cluster or node group `UPDATING`).
    pub update_seconds: f64,
    /// Managed node groups per cluster.
    pub max_nodegroups: usize,
    /// Nodes per managed node group (the largest `maxSize`).
    pub max_nodes_per_nodegroup: i64,
    /// Fargate profiles per cluster.
    pub max_fargate_profiles: usize,
    /// Seconds an add-on's workloads have, once it is `ACTIVE` or an update of it ended, to get their replicas
    /// ready before the add-on is `DEGRADED` (`reconcile::health_step`).
    pub addon_health_grace_seconds: f64,
}

/// The default of [`EksConfig::addon_health_grace_seconds`]: long enough for a healthy cluster's nodes to pull an
/// add-on's images and pass its readiness probes (seconds here, well under a minute on EKS), short enough that an
/// add-on with nowhere to run is reported soon after it is made, as EKS reports it within a minute or two.
pub const ADDON_HEALTH_GRACE_SECONDS: f64 = 30.0;

impl Default for EksConfig {
    fn default() -> Self {
        EksConfig {
            versions: ["1.30", "1.31", "1.32", "1.33", "1.34"].map(str::to_owned).to_vec(),
            patch_versions: BTreeMap::new(),
            create_seconds: 0.0,
            delete_seconds: 0.0,
            max_clusters: 100,
            update_seconds: 0.0,
            max_nodegroups: 30,
            max_nodes_per_nodegroup: 450,
            max_fargate_profiles: 10,
            addon_health_grace_seconds: ADDON_HEALTH_GRACE_SECONDS,
        }
    }
}

impl EksConfig {
    /// The limits this configuration sets, by Service Quotas code: the applied values until an account raises
    /// them ([`crate::quotas::Quotas::new`]).
    pub fn quota_limits(&self) -> BTreeMap<&'static str, f64> {
        use crate::quotas::{EKS_CLUSTERS, EKS_FARGATE_PROFILES, EKS_NODEGROUPS, EKS_NODES_PER_NODEGROUP};
        [
            (EKS_CLUSTERS, self.max_clusters as f64),
            (EKS_NODEGROUPS, self.max_nodegroups as f64),
            (EKS_NODES_PER_NODEGROUP, self.max_nodes_per_nodegroup as f64),
            (EKS_FARGATE_PROFILES, self.max_fargate_profiles as f64),
        ]
        .into_iter()
        .collect()
    }
}

/// `CREATING`, `ACTIVE`, `DELETING`, ... as EKS spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ClusterStatus {
    Creating,
    Active,
    Deleting,
    Failed,
    Updating,
    Pending,
}

impl ClusterStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ClusterStatus::Creating => "CREATING",
            ClusterStatus::Active => "ACTIVE",
            ClusterStatus::Deleting => "DELETING",
            ClusterStatus::Failed => "FAILED",
            ClusterStatus::Updating => "UPDATING",
            ClusterStatus::Pending => "PENDING",
        }
    }
}

/// A problem with a cluster or add-on, as `health.issues` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthIssue {
    /// One of EKS's issue codes (`InternalFailure`, `ClusterUnreachable`, ...).
    pub code: String,
    pub message: String,
    pub resource_ids: Vec<String>,
}

/// The network a cluster's control plane is attached to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpcConfig {
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
    pub cluster_security_group_id: String,
    pub vpc_id: String,
    pub endpoint_public_access: bool,
    pub endpoint_private_access: bool,
    pub public_access_cidrs: Vec<String>,
}

/// An EKS cluster as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cluster {
    pub name: String,
    pub arn: String,
    pub id: String,
    /// Unix seconds.
    pub created_at: f64,
    pub version: String,
    pub platform_version: String,
    pub role_arn: String,
    pub vpc: VpcConfig,
    pub service_ipv4_cidr: String,
    pub ip_family: String,
    /// The control plane log types that are enabled.
    pub enabled_log_types: Vec<String>,
    pub oidc_issuer: String,
    pub status: ClusterStatus,
    /// When a `CREATING` cluster becomes `ACTIVE` (Unix seconds).
    pub ready_at: f64,
    /// When a `DELETING` cluster is gone (Unix seconds).
    pub gone_at: Option<f64>,
    pub endpoint: String,
    /// Base64 of the PEM CA certificate, as `certificateAuthority.data` carries it.
    pub certificate_authority: String,
    pub tags: BTreeMap<String, String>,
    pub authentication_mode: String,
    pub bootstrap_cluster_creator_admin_permissions: bool,
    pub support_type: String,
    /// The ARN of the principal that created the cluster.
    pub creator_arn: String,
    /// The name of the Kubernetes cluster behind it.
    pub kubernetes_name: String,
    /// While an update runs, when it ends (Unix seconds); the cluster reads `UPDATING` until then.
    #[serde(default)]
    pub updating_until: Option<f64>,
    /// The server and boot (`<server>#<boot>`) whose CreateCluster call makes the cluster, so that a create cut
    /// short can be told from one in progress; empty in records written before servers were named.
    #[serde(default)]
    pub created_by: String,
    /// Whether what a `DELETING` cluster held (its Kubernetes cluster, security group and child records) has
    /// been released; the record goes once it has and `gone_at` has passed.
    #[serde(default)]
    pub released: bool,
    /// CreateCluster's `bootstrapSelfManagedAddons` (true unless it said false).
    #[serde(default = "yes")]
    pub bootstrap_self_managed_addons: bool,
    /// What went wrong (a `FAILED` cluster says why).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub health: Vec<HealthIssue>,
    /// The envelope encryption of its secrets (at most one entry).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub encryption: Vec<EncryptionConfig>,
    /// Where its hybrid nodes and their pods live.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_network: Option<RemoteNetworkConfig>,
    /// While set, an `ACTIVE` cluster refuses DeleteCluster.
    #[serde(default)]
    pub deletion_protection: bool,
    /// The `clientRequestToken` of the CreateCluster call that made it: the same call sent again answers with
    /// this cluster rather than refusing the name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_request_token: Option<String>,
    /// EKS Auto Mode's settings; `None` for a cluster that never set them (records written before they existed
    /// read so too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_mode: Option<auto_mode::AutoMode>,
}

impl Cluster {
    /// Whether EKS Auto Mode's load balancing capability is on.
    pub fn auto_mode_load_balancing(&self) -> bool {
        self.auto_mode.as_ref().is_some_and(|a| a.load_balancing)
    }

    /// Whether EKS Auto Mode's block storage capability is on.
    pub fn auto_mode_block_storage(&self) -> bool {
        self.auto_mode.as_ref().is_some_and(|a| a.block_storage)
    }

    /// EKS Auto Mode's settings while its compute capability is on.
    pub fn auto_mode_compute(&self) -> Option<&auto_mode::AutoMode> {
        self.auto_mode.as_ref().filter(|a| a.compute)
    }
}

/// What CreateCluster asks for, already decoded from the wire.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CreateCluster {
    pub name: String,
    pub version: Option<String>,
    pub role_arn: String,
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
    pub endpoint_public_access: Option<bool>,
    pub endpoint_private_access: Option<bool>,
    pub public_access_cidrs: Option<Vec<String>>,
    pub service_ipv4_cidr: Option<String>,
    pub ip_family: Option<String>,
    pub enabled_log_types: Vec<String>,
    pub tags: BTreeMap<String, String>,
    pub authentication_mode: Option<String>,
    pub bootstrap_cluster_creator_admin_permissions: Option<bool>,
    pub support_type: Option<String>,
    pub encryption: Vec<EncryptionConfig>,
    pub remote_network: Option<RemoteNetworkConfig>,
    pub deletion_protection: Option<bool>,
    pub client_request_token: Option<String>,
    pub bootstrap_self_managed_addons: Option<bool>,
    /// `computeConfig`, `storageConfig` and `kubernetesNetworkConfig.elasticLoadBalancing`.
    pub auto_mode: auto_mode::AutoModeRequest,
}

/// Who is asking, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub account: String,
    pub region: String,
    /// The caller's ARN as STS GetCallerIdentity reports it.
    pub arn: String,
}

/// EKS's errors, each one of its wire error types.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EksError {
    #[error("{0}")]
    InvalidParameter(String),
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    ResourceInUse(String),
    /// [`EksError::ResourceInUse`] because of a node group, which the error names (`nodegroupName`).
    #[error("{message}")]
    NodegroupInUse { message: String, nodegroup: String },
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("{0}")]
    ResourceLimitExceeded(String),
    #[error("{0}")]
    Server(String),
    /// A malformed request outside the cluster operations (tags: an ARN that is not an EKS ARN).
    #[error("{0}")]
    BadRequest(String),
    /// An ARN that names no resource (tags).
    #[error("{0}")]
    NotFound(String),
}

impl From<RecordError> for EksError {
    fn from(error: RecordError) -> Self {
        EksError::Server(error.to_string())
    }
}

/// `true`, the serde default of flags records written before they existed had on.
fn yes() -> bool {
    true
}

/// The log types EKS knows.
pub const LOG_TYPES: &[&str] = &["api", "audit", "authenticator", "controllerManager", "scheduler"];

/// The EKS service of one server.
#[derive(Debug, Clone)]
pub struct Eks {
    records: Records,
    kubernetes: Arc<dyn KubernetesClusters>,
    clock: Arc<dyn Clock>,
    config: EksConfig,
    /// IAM and EC2, where roles and subnets are checked; `None` only in unit tests of other parts.
    lookups: Option<prerequisites::Lookups>,
    /// Which server this is and which creates its calls are making.
    process: Arc<reconcile::Process>,
}

impl Eks {
    /// An EKS that checks nothing in IAM and EC2 until [`Eks::with_iam_and_ec2`] gives it both.
    pub fn new(
        records: Records,
        kubernetes: Arc<dyn KubernetesClusters>,
        clock: Arc<dyn Clock>,
        config: EksConfig,
    ) -> Eks {
        Eks { records, kubernetes, clock, config, lookups: None, process: Arc::new(reconcile::Process::anonymous()) }
    }

    /// Names the server this EKS runs in and how many times it has started, so that the reconciler can tell a
    /// create this server's earlier run left unfinished (resumed at once) from one another server is making.
    pub fn with_server(self, server: &str, boot: u64) -> Eks {
        Eks { process: Arc::new(reconcile::Process::new(server, boot)), ..self }
    }

    pub fn config(&self) -> &EksConfig {
        &self.config
    }

    fn cluster_key(caller: &Caller, name: &str) -> String {
        Records::regional_key(&caller.account, &caller.region, "eks", "clusters", name)
    }

    fn clusters_prefix(caller: &Caller) -> String {
        Records::regional_key(&caller.account, &caller.region, "eks", "clusters", "")
    }

    /// The Kubernetes cluster name of an EKS cluster: unique per account and region.
    pub fn kubernetes_name(caller: &Caller, name: &str) -> String {
        format!("{name}.{}.{}", caller.region, caller.account)
    }

    pub async fn create_cluster(&self, caller: &Caller, input: CreateCluster) -> Result<Cluster, EksError> {
        validate_cluster_name(&input.name)?;
        if let Some(token) = &input.client_request_token {
            validate_client_request_token(token)?;
            // The same call sent again (a retry after a lost answer) gets the cluster it made.
            if let Some(cluster) = self.current(caller, &input.name).await?
                && cluster.client_request_token.as_ref() == Some(token)
            {
                return Ok(cluster);
            }
        }
        let version = match &input.version {
            None => self.config.versions.last().cloned().unwrap_or_default(),
            Some(version) if self.config.versions.contains(version) => version.clone(),
            Some(_) => return Err(EksError::InvalidParameter("unsupported Kubernetes version".into())),
        };
        validate_role_arn(&input.role_arn)?;
        if input.subnet_ids.is_empty() {
            return Err(EksError::InvalidParameter("Subnets specified must be in at least two different AZs".into()));
        }
        let service_cidr = match &input.service_ipv4_cidr {
            Some(cidr) => validate_service_cidr(cidr)?,
            None => "10.100.0.0/16".to_owned(),
        };
        let ip_family = input.ip_family.clone().unwrap_or_else(|| "ipv4".into());
        if ip_family != "ipv4" && ip_family != "ipv6" {
            return Err(EksError::InvalidParameter(format!("Unsupported ipFamily {ip_family}")));
        }
        for log_type in &input.enabled_log_types {
            if !LOG_TYPES.contains(&log_type.as_str()) {
                return Err(EksError::InvalidParameter(format!("Unknown log type {log_type}")));
            }
        }
        let authentication_mode = input.authentication_mode.clone().unwrap_or_else(|| "CONFIG_MAP".into());
        if !["CONFIG_MAP", "API", "API_AND_CONFIG_MAP"].contains(&authentication_mode.as_str()) {
            return Err(EksError::InvalidParameter(format!("Unsupported authentication mode {authentication_mode}")));
        }
        if authentication_mode == "CONFIG_MAP" && input.bootstrap_cluster_creator_admin_permissions == Some(false) {
            // Without access entries the creator's admin access can only come from the bootstrap.
            return Err(EksError::InvalidParameter(
                "bootstrapClusterCreatorAdminPermissions must be true if cluster authentication mode is set to CONFIG_MAP"
                    .into(),
            ));
        }
        if let Some(cidrs) = &input.public_access_cidrs
            && cidrs.len() > 40
        {
            return Err(EksError::InvalidParameter("The number of publicAccessCidrs must not exceed 40".into()));
        }
        let support_type = input.support_type.clone().unwrap_or_else(|| "EXTENDED".into());
        if support_type != "STANDARD" && support_type != "EXTENDED" {
            return Err(EksError::InvalidParameter(format!("Unsupported support type {support_type}")));
        }
        encryption::validate_encryption(&input.encryption, &caller.region)?;
        if let Some(remote) = &input.remote_network {
            hybrid::validate_remote_network(remote, &service_cidr, &[])?;
        }
        let auto_mode = auto_mode::resolve(None, &input.auto_mode)?;
        if auto_mode.as_ref().is_some_and(auto_mode::AutoMode::enabled) {
            auto_mode::check_authentication_mode(&authentication_mode)?;
        }
        self.check_role(caller, &input.role_arn, prerequisites::RoleUse::Cluster).await?;
        if let Some(settings) = &auto_mode {
            self.check_auto_mode_roles(caller, &input.role_arn, settings).await?;
        }
        let network = self.check_cluster_network(caller, &input.subnet_ids, &input.security_group_ids).await?;
        if let (Some(remote), Some(network)) = (&input.remote_network, &network) {
            let blocks = self.vpc_blocks(caller, &network.vpc_id).await?;
            hybrid::validate_remote_network(remote, &service_cidr, &blocks)?;
        }
        let existing: Vec<Versioned<Arc<Cluster>>> = self.records.list_shared(&Self::clusters_prefix(caller)).await?;
        if existing.iter().any(|c| c.value.name == input.name)
            || self.registered_cluster(caller, &input.name).await?.is_some()
        {
            return Err(EksError::ResourceInUse(format!("Cluster already exists with name: {}", input.name)));
        }
        let limit = self.quota(caller, crate::quotas::EKS_CLUSTERS, self.config.max_clusters as f64).await?;
        if existing.len() as f64 >= limit {
            return Err(EksError::ResourceLimitExceeded(format!(
                "Cannot create cluster {} because {} already has the maximum number of clusters ({limit})",
                input.name, caller.region
            )));
        }

        let now = self.clock.now();
        let id = crate::ids::uuid();
        let issuer_id = crate::ids::hex_upper(16);
        // The security group before the record, so that the record names it from the start: a create cut short
        // after this point leaves nothing its record does not name.
        let security_group = match &network {
            Some(network) => self.create_cluster_security_group(caller, &input.name, &network.vpc_id).await?,
            None => None,
        };
        let cluster = Cluster {
            arn: format!("arn:aws:eks:{}:{}:cluster/{}", caller.region, caller.account, input.name),
            name: input.name.clone(),
            id,
            created_at: now,
            version,
            platform_version: "eks.1".into(),
            role_arn: input.role_arn.clone(),
            vpc: VpcConfig {
                subnet_ids: input.subnet_ids.clone(),
                security_group_ids: input.security_group_ids.clone(),
                cluster_security_group_id: security_group
                    .clone()
                    .unwrap_or_else(|| format!("sg-{}", crate::ids::hex_lower(8))),
                vpc_id: network.as_ref().map(|network| network.vpc_id.clone()).unwrap_or_default(),
                endpoint_public_access: input.endpoint_public_access.unwrap_or(true),
                endpoint_private_access: input.endpoint_private_access.unwrap_or(false),
                public_access_cidrs: input.public_access_cidrs.clone().unwrap_or_else(|| vec!["0.0.0.0/0".into()]),
            },
            service_ipv4_cidr: service_cidr,
            ip_family,
            enabled_log_types: input.enabled_log_types.clone(),
            oidc_issuer: format!("https://oidc.eks.{}.amazonaws.com/id/{issuer_id}", caller.region),
            status: ClusterStatus::Creating,
            ready_at: now + self.config.create_seconds,
            gone_at: None,
            endpoint: String::new(),
            certificate_authority: String::new(),
            tags: input.tags.clone(),
            authentication_mode,
            bootstrap_cluster_creator_admin_permissions: input
                .bootstrap_cluster_creator_admin_permissions
                .unwrap_or(true),
            support_type,
            creator_arn: caller.arn.clone(),
            kubernetes_name: Self::kubernetes_name(caller, &input.name),
            updating_until: None,
            created_by: self.process.name(),
            released: false,
            bootstrap_self_managed_addons: input.bootstrap_self_managed_addons.unwrap_or(true),
            health: Vec::new(),
            encryption: input.encryption.clone(),
            remote_network: input.remote_network.clone(),
            deletion_protection: input.deletion_protection.unwrap_or(false),
            client_request_token: input.client_request_token.clone(),
            auto_mode,
        };
        let key = Self::cluster_key(caller, &input.name);
        // While this call runs, the reconciler leaves the record to it.
        let _in_flight = self.process.creating(&key);
        // The record is the lock: two creates of one name cannot both start a Kubernetes cluster.
        let revision = match self.records.create(&key, &cluster).await {
            Ok(revision) => revision,
            Err(error) => {
                if let Some(group) = &security_group {
                    self.delete_cluster_security_groups(caller, std::slice::from_ref(group)).await?;
                }
                return Err(match error {
                    RecordError::Exists(_) => {
                        EksError::ResourceInUse(format!("Cluster already exists with name: {}", input.name))
                    }
                    other => other.into(),
                });
            }
        };
        match self.finish_create(caller, &key, cluster, revision).await {
            Ok(cluster) => Ok(cluster),
            Err(CreateFailure::Kubernetes(reason)) => {
                // The call fails and leaves nothing behind.
                match self.records.delete(&key, None).await {
                    Ok(()) | Err(RecordError::NotFound(_)) => {}
                    Err(error) => return Err(error.into()),
                }
                if let Some(group) = &security_group {
                    self.delete_cluster_security_groups(caller, std::slice::from_ref(group)).await?;
                }
                Err(EksError::Server(format!("creating the cluster's control plane failed: {reason}")))
            }
            // The record stays CREATING; the reconciler finishes it once this call is over.
            Err(CreateFailure::Eks(error)) => Err(error),
        }
    }

    /// What a create does once its record is written: the Kubernetes cluster, the creator's access entry, then
    /// the control plane's details onto the record, which complete it (a record with an endpoint is whole). Every
    /// step may be taken again, so the reconciler resumes a create that was cut short with the same call.
    pub(crate) async fn finish_create(
        &self,
        caller: &Caller,
        key: &str,
        mut cluster: Cluster,
        mut revision: store::Revision,
    ) -> Result<Cluster, CreateFailure> {
        if !cluster.vpc.vpc_id.is_empty() && cluster.vpc.cluster_security_group_id.is_empty() {
            // Records written before the group was made first name none until they are complete.
            let group = self.create_cluster_security_group(caller, &cluster.name, &cluster.vpc.vpc_id).await?;
            cluster.vpc.cluster_security_group_id = group.unwrap_or_default();
        }
        let issuer_id = cluster.oidc_issuer.rsplit('/').next().unwrap_or_default().to_owned();
        let spec = KubernetesSpec {
            name: cluster.kubernetes_name.clone(),
            version: cluster.version.clone(),
            service_cidr: cluster.service_ipv4_cidr.clone(),
            issuer_id: issuer_id.clone(),
            bootstrap_addons: cluster.bootstrap_self_managed_addons,
            region: caller.region.clone(),
        };
        let endpoint = self.kubernetes.create(&spec).await.map_err(CreateFailure::Kubernetes)?;
        self.bootstrap_creator_access(caller, &cluster).await?;
        self.grant_auto_mode_nodes(caller, &cluster).await?;
        // The Kubernetes side serves the issuer's discovery documents under the cluster's own endpoint.
        let oidc_issuer = format!("{}/id/{issuer_id}", endpoint.endpoint);
        let certificate_authority = crate::ids::base64(endpoint.ca_pem.as_bytes());
        let group = cluster.vpc.cluster_security_group_id.clone();
        // Others may have written the record meanwhile (tags): the control plane's details go onto the latest.
        for _ in 0..16 {
            if cluster.status != ClusterStatus::Creating || !cluster.endpoint.is_empty() {
                return Ok(cluster);
            }
            cluster.oidc_issuer = oidc_issuer.clone();
            cluster.endpoint = endpoint.endpoint.clone();
            cluster.certificate_authority = certificate_authority.clone();
            if cluster.vpc.cluster_security_group_id.is_empty() {
                cluster.vpc.cluster_security_group_id = group.clone();
            }
            match self.records.update(key, &cluster, revision).await {
                Ok(_) => return Ok(cluster),
                Err(RecordError::Conflict(_)) => {
                    let latest = self.records.get::<Cluster>(key).await?.ok_or_else(|| not_found(&cluster.name))?;
                    (cluster, revision) = (latest.value, latest.revision);
                }
                Err(error) => return Err(EksError::from(error).into()),
            }
        }
        Err(EksError::Server("the cluster kept changing while it was created; retry".into()).into())
    }

    /// A cluster as it is now; `None` when it does not exist (or has finished deleting).
    async fn current(&self, caller: &Caller, name: &str) -> Result<Option<Cluster>, EksError> {
        let key = Self::cluster_key(caller, name);
        let Some(stored) = self.records.get_shared::<Cluster>(&key).await? else { return Ok(None) };
        Ok(self.settle_shared(stored).await?.map(Arc::unwrap_or_clone))
    }

    /// Applies the status changes whose time has come, writing them back.
    async fn settle(&self, stored: Versioned<Cluster>) -> Result<Option<Cluster>, EksError> {
        let stored = Versioned { value: Arc::new(stored.value), key: stored.key, revision: stored.revision };
        Ok(self.settle_shared(stored).await?.map(Arc::unwrap_or_clone))
    }

    /// [`Eks::settle`] of a record as the cache shares it: copied only when it reads differently than stored.
    async fn settle_shared(&self, stored: Versioned<Arc<Cluster>>) -> Result<Option<Arc<Cluster>>, EksError> {
        let now = self.clock.now();
        let mut cluster = stored.value;
        let transition = match cluster.status {
            // Not before its control plane is up: until then the creating call has not written the endpoint.
            ClusterStatus::Creating if now >= cluster.ready_at && !cluster.endpoint.is_empty() => {
                Arc::make_mut(&mut cluster).status = ClusterStatus::Active;
                Transition::Store
            }
            ClusterStatus::Deleting if cluster.released && cluster.gone_at.is_some_and(|at| now >= at) => {
                Transition::Remove
            }
            ClusterStatus::Active if cluster.updating_until.is_some_and(|until| now < until) => {
                Arc::make_mut(&mut cluster).status = ClusterStatus::Updating;
                Transition::Unchanged
            }
            _ => Transition::Unchanged,
        };
        let exists = self.write_transition(&stored.key, &*cluster, stored.revision, transition).await?;
        Ok(exists.then_some(cluster))
    }

    pub async fn describe_cluster(&self, caller: &Caller, name: &str) -> Result<Cluster, EksError> {
        self.current(caller, name).await?.ok_or_else(|| not_found(name))
    }

    /// The cluster security group of every cluster of the caller's region, by cluster name, in one read of the
    /// records as stored (empty for a cluster whose create has not made one yet).
    pub async fn cluster_security_groups(&self, caller: &Caller) -> Result<BTreeMap<String, String>, EksError> {
        let clusters = self.records.list_shared::<Cluster>(&Self::clusters_prefix(caller)).await?;
        Ok(clusters
            .into_iter()
            .map(|stored| (stored.value.name.clone(), stored.value.vpc.cluster_security_group_id.clone()))
            .collect())
    }

    /// Names in alphabetical order, a page at a time; the token is the last name of the previous page.
    pub async fn list_clusters(
        &self,
        caller: &Caller,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> Result<(Vec<String>, Option<String>), EksError> {
        self.list_cluster_names(caller, false, max_results, next_token).await
    }

    /// [`Eks::list_clusters`], with the registered clusters too when `include_registered` (ListClusters'
    /// `include=all`).
    pub async fn list_cluster_names(
        &self,
        caller: &Caller,
        include_registered: bool,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> Result<(Vec<String>, Option<String>), EksError> {
        let limit = match max_results {
            None => 100,
            Some(n) if (1..=100).contains(&n) => n as usize,
            Some(_) => {
                return Err(EksError::InvalidParameter(
                    "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100".into(),
                ));
            }
        };
        let after = match next_token {
            None => None,
            Some(token) => Some(
                crate::ids::unbase64(token)
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .ok_or_else(|| EksError::InvalidParameter("The nextToken is invalid".into()))?,
            ),
        };
        let mut names = Vec::new();
        for stored in self.records.list_shared::<Cluster>(&Self::clusters_prefix(caller)).await? {
            if let Some(cluster) = self.settle_shared(stored).await? {
                names.push(cluster.name.clone());
            }
        }
        if include_registered {
            names.extend(self.registered_names(caller).await?);
            names.sort();
        }
        names.retain(|name| after.as_ref().is_none_or(|after| name > after));
        let more = names.len() > limit;
        names.truncate(limit);
        let token = if more { names.last().map(|last| crate::ids::base64(last.as_bytes())) } else { None };
        Ok((names, token))
    }

    pub async fn delete_cluster(&self, caller: &Caller, name: &str) -> Result<Cluster, EksError> {
        let key = Self::cluster_key(caller, name);
        for _ in 0..16 {
            let Some(stored) = self.records.get::<Cluster>(&key).await? else { return Err(not_found(name)) };
            let revision = stored.revision;
            let Some(mut cluster) = self.settle(stored).await? else { return Err(not_found(name)) };
            match cluster.status {
                ClusterStatus::Deleting => return Ok(cluster),
                ClusterStatus::Creating => {
                    return Err(EksError::ResourceInUse(format!(
                        "Cluster {name} is currently being created. Please retry after the cluster is ACTIVE."
                    )));
                }
                _ => {}
            }
            if cluster.deletion_protection && cluster.status == ClusterStatus::Active {
                return Err(EksError::InvalidRequest(format!(
                    "Cluster {name} has deletion protection enabled. Disable it with UpdateClusterConfig before deleting the cluster."
                )));
            }
            if let Some(nodegroup) = self.nodegroup_names(caller, name).await?.into_iter().next() {
                return Err(EksError::NodegroupInUse { message: "Cluster has nodegroups attached".into(), nodegroup });
            }
            if !self.fargate_profile_names(caller, name).await?.is_empty() {
                return Err(EksError::ResourceInUse("Cluster has fargate profiles attached".into()));
            }
            // What the cluster holds is released in the background (see `reconcile`): the call answers at once.
            cluster.status = ClusterStatus::Deleting;
            cluster.gone_at = Some(self.clock.now() + self.config.delete_seconds);
            cluster.released = false;
            // A conflict (another writer, or the read settling `CREATING` into `ACTIVE`) reads again.
            match self.records.update(&key, &cluster, revision).await {
                Ok(_) => return Ok(cluster),
                Err(RecordError::Conflict(_)) => continue,
                Err(RecordError::NotFound(_)) => return Err(not_found(name)),
                Err(error) => return Err(error.into()),
            }
        }
        Err(EksError::Server("the cluster kept changing; retry".into()))
    }

    /// The EKS cluster behind a Kubernetes cluster name, for authenticating its tokens.
    /// The time on EKS's clock (Unix seconds).
    pub(crate) fn now(&self) -> f64 {
        self.clock.now()
    }

    pub async fn by_kubernetes_name(&self, kubernetes_name: &str) -> Result<Option<(Caller, Cluster)>, EksError> {
        let Some((caller, name)) = kubernetes_owner(kubernetes_name) else { return Ok(None) };
        Ok(self.current(&caller, name).await?.map(|cluster| (caller, cluster)))
    }
}

/// The account and region (as a caller) and the EKS name a Kubernetes cluster name (`<name>.<region>.<account>`)
/// is made of, whether or not that cluster still exists.
pub fn kubernetes_owner(kubernetes_name: &str) -> Option<(Caller, &str)> {
    let mut parts = kubernetes_name.rsplitn(3, '.');
    let (Some(account), Some(region), Some(name)) = (parts.next(), parts.next(), parts.next()) else { return None };
    Some((Caller { account: account.to_owned(), region: region.to_owned(), arn: String::new() }, name))
}

/// Why a create could not finish: the Kubernetes side refused (the create fails), or EKS's own records or EC2
/// did (the create is left for the reconciler to finish).
#[derive(Debug)]
pub(crate) enum CreateFailure {
    Kubernetes(String),
    Eks(EksError),
}

impl From<EksError> for CreateFailure {
    fn from(error: EksError) -> Self {
        CreateFailure::Eks(error)
    }
}

impl From<RecordError> for CreateFailure {
    fn from(error: RecordError) -> Self {
        CreateFailure::Eks(error.into())
    }
}

fn not_found(name: &str) -> EksError {
    EksError::ResourceNotFound(format!("No cluster found for name: {name}."))
}

/// `^[0-9A-Za-z][A-Za-z0-9\-_]*`, 1 to 100 characters.
pub fn validate_cluster_name(name: &str) -> Result<(), EksError> {
    let valid = !name.is_empty()
        && name.len() <= 100
        && name.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(EksError::InvalidParameter(format!(
            "1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[0-9A-Za-z][A-Za-z0-9\\-_]*"
        )))
    }
}

/// A `clientRequestToken`: 1 to 64 printable characters (EKS's own tokens are UUIDs).
pub fn validate_client_request_token(token: &str) -> Result<(), EksError> {
    if token.is_empty() || token.len() > 64 || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(EksError::InvalidParameter(
            "1 validation error detected: Value at 'clientRequestToken' failed to satisfy constraint: Member must have length between 1 and 64 printable characters".into(),
        ));
    }
    Ok(())
}

/// `arn:aws:iam::<12 digits>:role/<path and name>`.
pub fn validate_role_arn(arn: &str) -> Result<(), EksError> {
    let valid =
        arn.strip_prefix("arn:aws:iam::").and_then(|rest| rest.split_once(":role/")).is_some_and(|(account, name)| {
            account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty()
        });
    if valid { Ok(()) } else { Err(EksError::InvalidParameter(format!("Invalid role ARN: {arn}"))) }
}

/// A service CIDR EKS accepts: inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, between /24 and /12.
pub fn validate_service_cidr(cidr: &str) -> Result<String, EksError> {
    let invalid = || {
        EksError::InvalidParameter(
            "The specified serviceIpv4Cidr is invalid. The CIDR block must be within 10.0.0.0/8, 172.16.0.0/12, or 192.168.0.0/16, and between /24 and /12.".into(),
        )
    };
    let (address, prefix) = cidr.split_once('/').ok_or_else(invalid)?;
    let address: std::net::Ipv4Addr = address.parse().map_err(|_| invalid())?;
    let prefix: u32 = prefix.parse().map_err(|_| invalid())?;
    if !(12..=24).contains(&prefix) {
        return Err(invalid());
    }
    let [a, b, ..] = address.octets();
    let private = a == 10 || (a == 172 && (16..=31).contains(&b)) || (a == 192 && b == 168);
    let within = match a {
        10 => prefix >= 8,
        172 => prefix >= 12,
        _ => prefix >= 16,
    };
    if !private || !within {
        return Err(invalid());
    }
    let base = u32::from(address) & (u32::MAX << (32 - prefix));
    Ok(format!("{}/{prefix}", std::net::Ipv4Addr::from(base)))
}

#[cfg(test)]
pub(crate) mod tests;
