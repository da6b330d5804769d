//! Managed node groups: CreateNodegroup's defaults and rules, their `CREATING -> ACTIVE` and `DELETING -> gone`
//! lifecycle (the cluster delays), and UpdateNodegroupConfig / UpdateNodegroupVersion, which leave an `Update`.
//! A deleted node group stays `DELETING` until the reconciler (`super::reconcile`) has seen its instances
//! terminated and its delay is over.
//!
//! A node group is a record; its Auto Scaling group and EC2 instances follow it (`crate::autoscaling`), which
//! reads every node group of an account and region with [`Eks::all_nodegroups`] and writes sizes changed through
//! Auto Scaling back with [`Eks::set_nodegroup_scaling`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::prerequisites::RoleUse;
use super::support::Transition;
use super::support::{compare_versions, page, validate_name, validate_tags};
use super::updates::{Update, UpdateScope};
use super::{Caller, Eks, EksError, validate_role_arn};
use crate::quotas;
use crate::records::RecordError;

/// The AMI types EKS knows.
pub const AMI_TYPES: &[&str] = &[
    "AL2_x86_64",
    "AL2_x86_64_GPU",
    "AL2_ARM_64",
    "CUSTOM",
    "BOTTLEROCKET_ARM_64",
    "BOTTLEROCKET_x86_64",
    "BOTTLEROCKET_ARM_64_FIPS",
    "BOTTLEROCKET_x86_64_FIPS",
    "BOTTLEROCKET_ARM_64_NVIDIA",
    "BOTTLEROCKET_x86_64_NVIDIA",
    "WINDOWS_CORE_2019_x86_64",
    "WINDOWS_FULL_2019_x86_64",
    "WINDOWS_CORE_2022_x86_64",
    "WINDOWS_FULL_2022_x86_64",
    "AL2023_x86_64_STANDARD",
    "AL2023_ARM_64_STANDARD",
    "AL2023_x86_64_NEURON",
    "AL2023_x86_64_NVIDIA",
    "AL2023_ARM_64_NVIDIA",
];

/// The capacity types EKS knows.
pub const CAPACITY_TYPES: &[&str] = &["ON_DEMAND", "SPOT", "CAPACITY_BLOCK"];

/// The taint effects EKS knows.
pub const TAINT_EFFECTS: &[&str] = &["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"];

/// The AMI build date in the release versions ekslite reports (`<kubernetes version>-<date>`).
const AMI_BUILD: &str = "20251016";

/// `CREATING`, `ACTIVE`, ... as EKS spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NodegroupStatus {
    Creating,
    Active,
    Updating,
    Deleting,
    CreateFailed,
    DeleteFailed,
    Degraded,
}

impl NodegroupStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NodegroupStatus::Creating => "CREATING",
            NodegroupStatus::Active => "ACTIVE",
            NodegroupStatus::Updating => "UPDATING",
            NodegroupStatus::Deleting => "DELETING",
            NodegroupStatus::CreateFailed => "CREATE_FAILED",
            NodegroupStatus::DeleteFailed => "DELETE_FAILED",
            NodegroupStatus::Degraded => "DEGRADED",
        }
    }
}

/// Sizes of the Auto Scaling group behind a node group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScalingConfig {
    pub min_size: i64,
    pub max_size: i64,
    pub desired_size: i64,
}

/// The scaling members a request gives, each optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScalingChange {
    pub min_size: Option<i64>,
    pub max_size: Option<i64>,
    pub desired_size: Option<i64>,
}

/// A Kubernetes taint on every node of the group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Taint {
    pub key: String,
    pub value: Option<String>,
    /// `NO_SCHEDULE`, `NO_EXECUTE` or `PREFER_NO_SCHEDULE`.
    pub effect: String,
}

/// An EC2 launch template by name or id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchTemplate {
    pub name: Option<String>,
    pub id: Option<String>,
    pub version: Option<String>,
}

/// SSH access to the nodes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteAccess {
    pub ec2_ssh_key: Option<String>,
    pub source_security_groups: Vec<String>,
}

/// How many nodes an update may take down at once: a count or a percentage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MaxUnavailable {
    Count(i64),
    Percentage(i64),
}

/// A managed node group as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Nodegroup {
    pub name: String,
    pub arn: String,
    pub cluster: String,
    pub version: String,
    pub release_version: String,
    /// Unix seconds.
    pub created_at: f64,
    pub modified_at: f64,
    pub status: NodegroupStatus,
    pub capacity_type: String,
    pub scaling: ScalingConfig,
    /// Empty when a launch template chooses the instance type.
    pub instance_types: Vec<String>,
    pub subnets: Vec<String>,
    pub remote_access: Option<RemoteAccess>,
    pub ami_type: String,
    pub node_role: String,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    /// `eks-<nodegroup>-<uuid>`, the uuid being the one in the ARN.
    pub auto_scaling_group: String,
    /// `None` when a launch template sets the disk.
    pub disk_size: Option<i64>,
    pub max_unavailable: MaxUnavailable,
    pub launch_template: Option<LaunchTemplate>,
    pub tags: BTreeMap<String, String>,
    /// When a `CREATING` node group becomes `ACTIVE` (Unix seconds).
    pub ready_at: f64,
    /// When a `DELETING` node group is gone (Unix seconds).
    pub gone_at: Option<f64>,
    /// While an update runs, when it ends (Unix seconds).
    pub updating_until: Option<f64>,
    /// Whether a `DELETING` node group's instances are terminated; the record goes once they are and `gone_at`
    /// has passed.
    #[serde(default)]
    pub released: bool,
    /// The `clientRequestToken` of the call that made it: the same call sent again answers with this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_request_token: Option<String>,
}

/// What CreateNodegroup asks for, already decoded from the wire.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CreateNodegroup {
    pub cluster: String,
    pub name: String,
    pub scaling: Option<ScalingChange>,
    pub disk_size: Option<i64>,
    pub subnets: Vec<String>,
    pub instance_types: Option<Vec<String>>,
    pub ami_type: Option<String>,
    pub remote_access: Option<RemoteAccess>,
    pub node_role: String,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    pub tags: BTreeMap<String, String>,
    pub launch_template: Option<LaunchTemplate>,
    pub max_unavailable: Option<MaxUnavailable>,
    pub capacity_type: Option<String>,
    pub version: Option<String>,
    pub release_version: Option<String>,
    pub client_request_token: Option<String>,
}

/// What UpdateNodegroupConfig asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodegroupConfigChange {
    pub scaling: Option<ScalingChange>,
    pub add_labels: BTreeMap<String, String>,
    pub remove_labels: Vec<String>,
    pub add_taints: Vec<Taint>,
    pub remove_taints: Vec<Taint>,
    pub max_unavailable: Option<MaxUnavailable>,
    pub client_request_token: Option<String>,
}

/// The AMI release a node group of `version` gets when none is asked for.
pub fn default_release_version(version: &str) -> String {
    format!("{version}.0-{AMI_BUILD}")
}

impl Eks {
    fn nodegroup_key(caller: &Caller, cluster: &str, name: &str) -> String {
        Self::child_key(caller, "nodegroups", cluster, name)
    }

    /// The node groups of a cluster as they are now.
    pub(crate) async fn nodegroups(&self, caller: &Caller, cluster: &str) -> Result<Vec<Nodegroup>, EksError> {
        let prefix = Self::children_prefix(caller, "nodegroups", cluster);
        let mut out = Vec::new();
        for stored in self.records.list::<Nodegroup>(&prefix).await? {
            if let Some(nodegroup) = self.settle_nodegroup(&stored.key, stored.value, stored.revision).await? {
                out.push(nodegroup);
            }
        }
        Ok(out)
    }

    /// The names of a cluster's node groups, deleting ones included.
    pub(crate) async fn nodegroup_names(&self, caller: &Caller, cluster: &str) -> Result<Vec<String>, EksError> {
        Ok(self.nodegroups(caller, cluster).await?.into_iter().map(|n| n.name).collect())
    }

    pub(crate) async fn settle_nodegroup(
        &self,
        key: &str,
        mut nodegroup: Nodegroup,
        revision: store::Revision,
    ) -> Result<Option<Nodegroup>, EksError> {
        let now = self.clock.now();
        let transition = match nodegroup.status {
            NodegroupStatus::Creating if now >= nodegroup.ready_at => {
                nodegroup.status = NodegroupStatus::Active;
                Transition::Store
            }
            NodegroupStatus::Deleting if nodegroup.released && nodegroup.gone_at.is_some_and(|at| now >= at) => {
                Transition::Remove
            }
            NodegroupStatus::Active if nodegroup.updating_until.is_some_and(|until| now < until) => {
                nodegroup.status = NodegroupStatus::Updating;
                Transition::Unchanged
            }
            _ => Transition::Unchanged,
        };
        let exists = self.write_transition(key, &nodegroup, revision, transition).await?;
        Ok(exists.then_some(nodegroup))
    }

    pub async fn create_nodegroup(&self, caller: &Caller, input: CreateNodegroup) -> Result<Nodegroup, EksError> {
        let cluster = self.existing_cluster(caller, &input.cluster).await?;
        validate_name(&input.name, "nodegroupName", 63)?;
        if let Some(token) = &input.client_request_token {
            super::validate_client_request_token(token)?;
            let key = Self::nodegroup_key(caller, &input.cluster, &input.name);
            if let Some(stored) = self.records.get::<Nodegroup>(&key).await?
                && let Some(made) = self.settle_nodegroup(&key, stored.value, stored.revision).await?
                && made.client_request_token.as_ref() == Some(token)
            {
                return Ok(made);
            }
        }
        validate_role_arn(&input.node_role)?;
        if input.subnets.is_empty() {
            return Err(EksError::InvalidParameter("Subnets are required".into()));
        }
        let scaling = match input.scaling {
            None => ScalingConfig { min_size: 1, max_size: 2, desired_size: 2 },
            Some(ScalingChange { min_size: Some(min_size), max_size: Some(max_size), desired_size }) => {
                ScalingConfig { min_size, max_size, desired_size: desired_size.unwrap_or(min_size) }
            }
            Some(_) => {
                return Err(EksError::InvalidParameter(
                    "When creating a node group, you must specify both minSize and maxSize in scalingConfig".into(),
                ));
            }
        };
        self.validate_scaling(caller, &scaling).await?;
        if input.launch_template.is_some() {
            if input.disk_size.is_some() {
                return Err(EksError::InvalidParameter(
                    "Disk size must be specified within the launch template.".into(),
                ));
            }
            if input.remote_access.is_some() {
                return Err(EksError::InvalidParameter(
                    "Remote access configuration cannot be specified with a launch template.".into(),
                ));
            }
        }
        if let Some(template) = &input.launch_template
            && template.name.is_some() == template.id.is_some()
        {
            return Err(EksError::InvalidParameter(
                "Either launch template ID or launch template name must be specified, but not both".into(),
            ));
        }
        if let Some(size) = input.disk_size
            && !(1..=16384).contains(&size)
        {
            return Err(EksError::InvalidParameter(format!("Disk size {size} is not valid")));
        }
        let ami_type = input.ami_type.clone().unwrap_or_else(|| "AL2023_x86_64_STANDARD".into());
        if !AMI_TYPES.contains(&ami_type.as_str()) {
            return Err(EksError::InvalidParameter(format!("Unsupported amiType {ami_type}")));
        }
        let capacity_type = input.capacity_type.clone().unwrap_or_else(|| "ON_DEMAND".into());
        if !CAPACITY_TYPES.contains(&capacity_type.as_str()) {
            return Err(EksError::InvalidParameter(format!("Unsupported capacityType {capacity_type}")));
        }
        let instance_types = match &input.instance_types {
            Some(types) if types.is_empty() || types.iter().any(String::is_empty) => {
                return Err(EksError::InvalidParameter("instanceTypes must not be empty".into()));
            }
            Some(types) => types.clone(),
            None if input.launch_template.is_some() => Vec::new(),
            None => vec!["t3.medium".into()],
        };
        check_instance_types(&instance_types)?;
        validate_labels(&input.labels)?;
        validate_taints(&input.taints)?;
        validate_tags(&input.tags)?;
        let max_unavailable = input.max_unavailable.unwrap_or(MaxUnavailable::Count(1));
        validate_max_unavailable(max_unavailable)?;
        let version = match &input.version {
            None => cluster.version.clone(),
            Some(version) => {
                self.validate_nodegroup_version(version, &cluster.version)?;
                version.clone()
            }
        };
        check_ami_type_version(&ami_type, &version)?;
        let release_version = input.release_version.clone().unwrap_or_else(|| default_release_version(&version));
        if !release_version.starts_with(&format!("{version}.")) {
            return Err(EksError::InvalidParameter(format!(
                "Requested release version {release_version} is not valid for kubernetes version {version}."
            )));
        }
        self.active_cluster(caller, &input.cluster).await?;
        self.check_role(caller, &input.node_role, RoleUse::Node).await?;
        self.check_child_subnets(caller, &cluster.vpc.vpc_id, &input.subnets, false).await?;
        if let Some(key_name) = input.remote_access.as_ref().and_then(|access| access.ec2_ssh_key.as_deref()) {
            self.check_ssh_key(caller, key_name).await?;
        }
        let launch_template = match &input.launch_template {
            Some(template) => Some(self.resolve_launch_template(caller, template).await?),
            None => None,
        };

        let existing = self.nodegroups(caller, &input.cluster).await?;
        let duplicate = || {
            EksError::ResourceInUse(format!(
                "NodeGroup already exists with name {} and cluster name {}",
                input.name, input.cluster
            ))
        };
        if existing.iter().any(|n| n.name == input.name) {
            return Err(duplicate());
        }
        let limit = self.quota(caller, quotas::EKS_NODEGROUPS, self.config.max_nodegroups as f64).await?;
        if existing.len() as f64 >= limit {
            return Err(EksError::ResourceLimitExceeded(format!(
                "Cluster {} already has the maximum number of managed node groups ({limit})",
                input.cluster
            )));
        }
        let now = self.clock.now();
        let id = crate::ids::uuid();
        let nodegroup = Nodegroup {
            arn: format!(
                "arn:aws:eks:{}:{}:nodegroup/{}/{}/{id}",
                caller.region, caller.account, input.cluster, input.name
            ),
            name: input.name.clone(),
            cluster: input.cluster.clone(),
            version,
            release_version,
            created_at: now,
            modified_at: now,
            status: NodegroupStatus::Creating,
            capacity_type,
            scaling,
            instance_types,
            subnets: input.subnets.clone(),
            remote_access: input.remote_access.clone(),
            ami_type,
            node_role: input.node_role.clone(),
            labels: input.labels.clone(),
            taints: input.taints.clone(),
            auto_scaling_group: format!("eks-{}-{id}", input.name),
            disk_size: if input.launch_template.is_some() { None } else { Some(input.disk_size.unwrap_or(20)) },
            max_unavailable,
            launch_template,
            tags: input.tags.clone(),
            ready_at: now + self.config.create_seconds,
            gone_at: None,
            updating_until: None,
            released: false,
            client_request_token: input.client_request_token.clone(),
        };
        let key = Self::nodegroup_key(caller, &input.cluster, &input.name);
        self.records.create(&key, &nodegroup).await.map_err(|error| match error {
            RecordError::Exists(_) => duplicate(),
            other => other.into(),
        })?;
        Ok(nodegroup)
    }

    async fn validate_scaling(&self, caller: &Caller, scaling: &ScalingConfig) -> Result<(), EksError> {
        let ScalingConfig { min_size, max_size, desired_size } = *scaling;
        if min_size < 0 {
            return Err(EksError::InvalidParameter("Minimum capacity can't be less than 0".into()));
        }
        if max_size < 1 {
            return Err(EksError::InvalidParameter("Maximum capacity can't be less than 1".into()));
        }
        if desired_size < 0 {
            return Err(EksError::InvalidParameter("Desired capacity can't be less than 0".into()));
        }
        if min_size > max_size {
            return Err(EksError::InvalidParameter(format!(
                "Minimum capacity {min_size} can't be greater than max size {max_size}"
            )));
        }
        if min_size > desired_size {
            return Err(EksError::InvalidParameter(format!(
                "Minimum capacity {min_size} can't be greater than desired size {desired_size}"
            )));
        }
        if desired_size > max_size {
            return Err(EksError::InvalidParameter(format!(
                "Desired capacity {desired_size} can't be greater than max size {max_size}"
            )));
        }
        let limit =
            self.quota(caller, quotas::EKS_NODES_PER_NODEGROUP, self.config.max_nodes_per_nodegroup as f64).await?;
        if max_size as f64 > limit {
            return Err(EksError::ResourceLimitExceeded(format!("Maximum limit of nodes per nodegroup is {limit}")));
        }
        Ok(())
    }

    fn validate_nodegroup_version(&self, version: &str, cluster_version: &str) -> Result<(), EksError> {
        let supported = self.config.versions.iter().any(|v| v == version);
        let not_newer = compare_versions(version, cluster_version).is_some_and(|o| o.is_le());
        if supported && not_newer {
            Ok(())
        } else {
            Err(EksError::InvalidParameter(format!(
                "Requested Nodegroup Kubernetes version {version} is not supported for cluster version {cluster_version}"
            )))
        }
    }

    pub async fn describe_nodegroup(&self, caller: &Caller, cluster: &str, name: &str) -> Result<Nodegroup, EksError> {
        self.existing_cluster(caller, cluster).await?;
        let key = Self::nodegroup_key(caller, cluster, name);
        let Some(stored) = self.records.get::<Nodegroup>(&key).await? else { return Err(nodegroup_not_found(name)) };
        self.settle_nodegroup(&key, stored.value, stored.revision).await?.ok_or_else(|| nodegroup_not_found(name))
    }

    pub async fn list_nodegroups(
        &self,
        caller: &Caller,
        cluster: &str,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> Result<(Vec<String>, Option<String>), EksError> {
        self.existing_cluster(caller, cluster).await?;
        page(self.nodegroup_names(caller, cluster).await?, max_results, next_token)
    }

    /// Marks a node group `DELETING` and answers; its instances are terminated in the background.
    pub async fn delete_nodegroup(&self, caller: &Caller, cluster: &str, name: &str) -> Result<Nodegroup, EksError> {
        self.existing_cluster(caller, cluster).await?;
        let key = Self::nodegroup_key(caller, cluster, name);
        for _ in 0..16 {
            let Some(stored) = self.records.get::<Nodegroup>(&key).await? else {
                return Err(nodegroup_not_found(name));
            };
            let revision = stored.revision;
            let Some(mut nodegroup) = self.settle_nodegroup(&key, stored.value, revision).await? else {
                return Err(nodegroup_not_found(name));
            };
            if nodegroup.status == NodegroupStatus::Deleting {
                return Ok(nodegroup);
            }
            nodegroup.status = NodegroupStatus::Deleting;
            nodegroup.gone_at = Some(self.clock.now() + self.config.delete_seconds);
            nodegroup.released = false;
            // A conflict (another writer, or the read settling `CREATING` into `ACTIVE`) reads again.
            match self.records.update(&key, &nodegroup, revision).await {
                Ok(_) => return Ok(nodegroup),
                Err(RecordError::Conflict(_)) => continue,
                Err(RecordError::NotFound(_)) => return Err(nodegroup_not_found(name)),
                Err(error) => return Err(error.into()),
            }
        }
        Err(EksError::Server("the node group kept changing; retry".into()))
    }

    /// A node group that may be changed now: `ACTIVE`, in an active cluster, with no update running.
    async fn updatable_nodegroup(&self, caller: &Caller, cluster: &str, name: &str) -> Result<Nodegroup, EksError> {
        let nodegroup = self.describe_nodegroup(caller, cluster, name).await?;
        self.active_cluster(caller, cluster).await?;
        match nodegroup.status {
            NodegroupStatus::Active => Ok(nodegroup),
            NodegroupStatus::Updating => Err(EksError::ResourceInUse(format!(
                "Nodegroup {name} is currently being updated. Please retry after the update completes."
            ))),
            status => Err(EksError::InvalidRequest(format!(
                "Nodegroup {name} is not in ACTIVE status (it is {})",
                status.as_str()
            ))),
        }
    }

    async fn change_nodegroup(
        &self,
        caller: &Caller,
        cluster: &str,
        name: &str,
        mut change: impl FnMut(&mut Nodegroup),
    ) -> Result<(), EksError> {
        let now = self.clock.now();
        let until = now + self.config.update_seconds;
        let key = Self::nodegroup_key(caller, cluster, name);
        let edited = self
            .edit::<Nodegroup, ()>(&key, |nodegroup| {
                change(nodegroup);
                nodegroup.modified_at = now;
                nodegroup.updating_until = (self.config.update_seconds > 0.0).then_some(until);
                Ok(())
            })
            .await?;
        edited.map(|_| ()).ok_or_else(|| nodegroup_not_found(name))
    }

    pub async fn update_nodegroup_config(
        &self,
        caller: &Caller,
        cluster: &str,
        name: &str,
        change: NodegroupConfigChange,
    ) -> Result<Update, EksError> {
        if let Some(update) = self.replayed_update(caller, cluster, change.client_request_token.as_deref()).await? {
            return Ok(update);
        }
        let nodegroup = self.updatable_nodegroup(caller, cluster, name).await?;
        let mut params = Vec::new();
        let mut scaling = nodegroup.scaling;
        if let Some(sizes) = change.scaling {
            if let Some(desired) = sizes.desired_size {
                scaling.desired_size = desired;
                params.push(("DesiredSize".to_owned(), desired.to_string()));
            }
            if let Some(max) = sizes.max_size {
                scaling.max_size = max;
                params.push(("MaxSize".to_owned(), max.to_string()));
            }
            if let Some(min) = sizes.min_size {
                scaling.min_size = min;
                params.push(("MinSize".to_owned(), min.to_string()));
            }
            self.validate_scaling(caller, &scaling).await?;
        }
        validate_labels(&change.add_labels)?;
        if let Some(both) = change.remove_labels.iter().find(|key| change.add_labels.contains_key(*key)) {
            return Err(EksError::InvalidParameter(format!(
                "The label {both} is specified in both addOrUpdateLabels and removeLabels"
            )));
        }
        if !change.add_labels.is_empty() {
            params.push(("LabelsToAdd".to_owned(), serde_json::json!(change.add_labels).to_string()));
        }
        if !change.remove_labels.is_empty() {
            params.push(("LabelsToRemove".to_owned(), serde_json::json!(change.remove_labels).to_string()));
        }
        validate_taints(&change.add_taints)?;
        validate_taints(&change.remove_taints)?;
        let taint_json = |taints: &[Taint]| {
            let listed: Vec<serde_json::Value> = taints
                .iter()
                .map(|t| serde_json::json!({ "key": t.key, "value": t.value, "effect": t.effect }))
                .collect();
            serde_json::Value::Array(listed).to_string()
        };
        if !change.add_taints.is_empty() {
            params.push(("TaintsToAdd".to_owned(), taint_json(&change.add_taints)));
        }
        if !change.remove_taints.is_empty() {
            params.push(("TaintsToRemove".to_owned(), taint_json(&change.remove_taints)));
        }
        if let Some(max_unavailable) = change.max_unavailable {
            validate_max_unavailable(max_unavailable)?;
            params.push(match max_unavailable {
                MaxUnavailable::Count(n) => ("MaxUnavailable".to_owned(), n.to_string()),
                MaxUnavailable::Percentage(n) => ("MaxUnavailablePercentage".to_owned(), n.to_string()),
            });
        }
        if params.is_empty() {
            return Err(EksError::InvalidParameter("No changes needed".into()));
        }
        let mut labels = nodegroup.labels.clone();
        for key in &change.remove_labels {
            labels.remove(key);
        }
        labels.extend(change.add_labels.clone());
        let mut taints = nodegroup.taints.clone();
        taints.retain(|t| !change.remove_taints.iter().chain(&change.add_taints).any(|r| r.key == t.key));
        taints.extend(change.add_taints.iter().cloned());
        if taints.len() > 50 {
            return Err(EksError::InvalidParameter("A node group can have at most 50 taints".into()));
        }
        self.change_nodegroup(caller, cluster, name, |n| {
            n.scaling = scaling;
            n.labels = labels.clone();
            n.taints = taints.clone();
            if let Some(max_unavailable) = change.max_unavailable {
                n.max_unavailable = max_unavailable;
            }
        })
        .await?;
        let scope = UpdateScope { nodegroup: Some(name), addon: None };
        self.record_update(caller, cluster, scope, "ConfigUpdate", params, change.client_request_token.as_deref()).await
    }

    /// Moves a node group to a Kubernetes version (by default its cluster's) and AMI release.
    pub async fn update_nodegroup_version(
        &self,
        caller: &Caller,
        cluster: &str,
        name: &str,
        version: Option<&str>,
        release_version: Option<&str>,
        token: Option<&str>,
    ) -> Result<Update, EksError> {
        if let Some(update) = self.replayed_update(caller, cluster, token).await? {
            return Ok(update);
        }
        let nodegroup = self.updatable_nodegroup(caller, cluster, name).await?;
        let cluster_version = self.existing_cluster(caller, cluster).await?.version;
        let version = version.unwrap_or(&cluster_version).to_owned();
        self.validate_nodegroup_version(&version, &cluster_version)?;
        if compare_versions(&version, &nodegroup.version).is_some_and(|o| o.is_lt()) {
            return Err(EksError::InvalidParameter(format!(
                "Requested Nodegroup Kubernetes version {version} is older than the node group's version {}",
                nodegroup.version
            )));
        }
        check_ami_type_version(&nodegroup.ami_type, &version)?;
        let release = release_version.map(str::to_owned).unwrap_or_else(|| default_release_version(&version));
        if !release.starts_with(&format!("{version}.")) {
            return Err(EksError::InvalidParameter(format!(
                "Requested release version {release} is not valid for kubernetes version {version}."
            )));
        }
        self.change_nodegroup(caller, cluster, name, |n| {
            n.version = version.clone();
            n.release_version = release.clone();
        })
        .await?;
        let params = vec![("Version".to_owned(), version.clone()), ("ReleaseVersion".to_owned(), release.clone())];
        let scope = UpdateScope { nodegroup: Some(name), addon: None };
        self.record_update(caller, cluster, scope, "VersionUpdate", params, token).await
    }
}

impl Eks {
    /// Every node group of the caller's account and region, statuses settled; the Auto Scaling side reads them.
    pub async fn all_nodegroups(&self, caller: &Caller) -> Result<Vec<Nodegroup>, EksError> {
        let prefix = crate::records::Records::regional_key(&caller.account, &caller.region, "eks", "nodegroups", "");
        let mut out = Vec::new();
        for stored in self.records.list::<Nodegroup>(&prefix).await? {
            if let Some(nodegroup) = self.settle_nodegroup(&stored.key, stored.value, stored.revision).await? {
                out.push(nodegroup);
            }
        }
        Ok(out)
    }

    /// Sets a node group's sizes as its Auto Scaling group was told to (SetDesiredCapacity,
    /// UpdateAutoScalingGroup, TerminateInstanceInAutoScalingGroup): EKS reflects them in `scalingConfig`; no
    /// `Update` is recorded.
    pub async fn set_nodegroup_scaling(
        &self,
        caller: &Caller,
        cluster: &str,
        name: &str,
        scaling: ScalingConfig,
    ) -> Result<Nodegroup, EksError> {
        let key = Self::nodegroup_key(caller, cluster, name);
        let now = self.clock.now();
        let edited = self
            .edit::<Nodegroup, ()>(&key, |nodegroup| {
                if nodegroup.status == NodegroupStatus::Deleting {
                    return Err(EksError::ResourceInUse(format!("Nodegroup {name} is being deleted")));
                }
                nodegroup.scaling = scaling;
                nodegroup.modified_at = now;
                Ok(())
            })
            .await?;
        edited.map(|(nodegroup, ())| nodegroup).ok_or_else(|| nodegroup_not_found(name))
    }
}

/// Instance types EC2 knows, else EKS's `InvalidParameterException`.
/// Amazon Linux 2 images are built for Kubernetes 1.32 and earlier only: EKS refuses AL2 AMI types on 1.33 and
/// later.
fn check_ami_type_version(ami_type: &str, version: &str) -> Result<(), EksError> {
    let amazon_linux_2 = ami_type.starts_with("AL2_");
    if amazon_linux_2 && compare_versions(version, "1.32").is_some_and(|order| order.is_gt()) {
        return Err(EksError::InvalidParameter(format!(
            "AMI Type {ami_type} is only supported for kubernetes versions 1.32 or earlier"
        )));
    }
    Ok(())
}

fn check_instance_types(types: &[String]) -> Result<(), EksError> {
    let unknown: Vec<&str> = types
        .iter()
        .filter(|name| crate::ec2::instance_types::instance_type(name).is_none())
        .map(String::as_str)
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(EksError::InvalidParameter(format!(
            "The following supplied instance types do not exist: [{}]",
            unknown.join(", ")
        )))
    }
}

fn nodegroup_not_found(name: &str) -> EksError {
    EksError::ResourceNotFound(format!("No node group found for name: {name}."))
}

/// Kubernetes labels as EKS takes them: keys and values 1 to 63 characters, at most 50.
fn validate_labels(labels: &BTreeMap<String, String>) -> Result<(), EksError> {
    if labels.len() > 50 {
        return Err(EksError::InvalidParameter("A node group can have at most 50 labels".into()));
    }
    for (key, value) in labels {
        if key.is_empty() || key.len() > 63 || value.is_empty() || value.len() > 63 {
            return Err(EksError::InvalidParameter(format!("Label {key}={value} is not valid")));
        }
    }
    Ok(())
}

/// Taints as EKS takes them: keys 1 to 63 characters, values up to 63, a known effect, at most 50.
fn validate_taints(taints: &[Taint]) -> Result<(), EksError> {
    if taints.len() > 50 {
        return Err(EksError::InvalidParameter("A node group can have at most 50 taints".into()));
    }
    for taint in taints {
        if taint.key.is_empty() || taint.key.len() > 63 || taint.value.as_ref().is_some_and(|v| v.len() > 63) {
            return Err(EksError::InvalidParameter(format!("Taint {} is not valid", taint.key)));
        }
        if !TAINT_EFFECTS.contains(&taint.effect.as_str()) {
            return Err(EksError::InvalidParameter(format!("Unsupported taint effect {}", taint.effect)));
        }
    }
    Ok(())
}

fn validate_max_unavailable(max_unavailable: MaxUnavailable) -> Result<(), EksError> {
    match max_unavailable {
        MaxUnavailable::Count(n) if (1..=100).contains(&n) => Ok(()),
        MaxUnavailable::Percentage(n) if (1..=100).contains(&n) => Ok(()),
        MaxUnavailable::Count(_) => Err(EksError::InvalidParameter("maxUnavailable must be between 1 and 100".into())),
        MaxUnavailable::Percentage(_) => {
            Err(EksError::InvalidParameter("maxUnavailablePercentage must be between 1 and 100".into()))
        }
    }
}

#[cfg(test)]
mod tests;
