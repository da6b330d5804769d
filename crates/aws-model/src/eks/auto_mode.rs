//! EKS Auto Mode: the three capabilities a cluster turns on together (compute, block storage, load balancing),
//! as CreateCluster and UpdateClusterConfig take them (`computeConfig`, `storageConfig.blockStorage`,
//! `kubernetesNetworkConfig.elasticLoadBalancing`) and DescribeCluster shows them.
//!
//! The rules are EKS's: the three are all enabled or all disabled; the built-in node pools are `general-purpose`
//! and `system`, and a node role goes with them (required when pools are named, refused while compute is off, and
//! fixed once compute is on); the cluster's authentication mode must allow access entries, because EKS gives the
//! node role an access entry of type `EC2` with `AmazonEKSAutoNodePolicy` ([`Eks::grant_auto_mode_nodes`]), and
//! the cluster role must let EKS tag its sessions (`sts:TagSession`). [`resolve`] is the decision core: a request
//! against what the cluster has, to what it will have.
//!
//! A cluster that never set any of the three keeps [`None`] and DescribeCluster shows neither `computeConfig` nor
//! `storageConfig` for it; one that set them, enabled or not, keeps an [`AutoMode`].

use serde::{Deserialize, Serialize};

use super::access::{ACCESS_POLICY_PREFIX, AccessScope, CreateAccessEntry};
use super::{Caller, Cluster, Eks, EksError};

/// The node pools EKS Auto Mode builds in.
pub const NODE_POOLS: &[&str] = &["general-purpose", "system"];

/// The access policy of Auto Mode nodes' access entry.
pub const AUTO_NODE_POLICY: &str = "AmazonEKSAutoNodePolicy";

/// The refusal when the three capabilities disagree, as EKS words it.
pub const ALL_OR_NONE: &str = "For EKS Auto Mode, please ensure that all required configs, including computeConfig, \
                               kubernetesNetworkConfig, and blockStorage are all either fully enabled or fully disabled.";

/// A cluster's Auto Mode settings as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoMode {
    /// `computeConfig.enabled`.
    pub compute: bool,
    /// `computeConfig.nodePools`, in the order given.
    #[serde(default)]
    pub node_pools: Vec<String>,
    /// `computeConfig.nodeRoleArn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_role_arn: Option<String>,
    /// `storageConfig.blockStorage.enabled`.
    pub block_storage: bool,
    /// `kubernetesNetworkConfig.elasticLoadBalancing.enabled`.
    pub load_balancing: bool,
}

impl AutoMode {
    /// Whether Auto Mode is on (the three capabilities are enabled together).
    pub fn enabled(&self) -> bool {
        self.compute && self.block_storage && self.load_balancing
    }
}

/// `computeConfig` of a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComputeRequest {
    pub enabled: Option<bool>,
    pub node_pools: Option<Vec<String>>,
    pub node_role_arn: Option<String>,
}

/// What a request says of Auto Mode; `None` members were not given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AutoModeRequest {
    pub compute: Option<ComputeRequest>,
    /// `storageConfig.blockStorage.enabled` (`Some(None)`: a `storageConfig` without it).
    pub block_storage: Option<Option<bool>>,
    /// `kubernetesNetworkConfig.elasticLoadBalancing.enabled` (`Some(None)`: an `elasticLoadBalancing` without it).
    pub load_balancing: Option<Option<bool>>,
}

impl AutoModeRequest {
    /// Whether the request says anything of Auto Mode.
    pub fn is_given(&self) -> bool {
        self.compute.is_some() || self.block_storage.is_some() || self.load_balancing.is_some()
    }
}

/// Auto Mode as a cluster with `current` will have it after `request`: `Ok(None)` when the request says nothing
/// and the cluster never had it. A creating cluster has no `current`; an update changes only what it names. The
/// result must have the three capabilities agree, and its compute settings must follow the pool and role rules.
pub fn resolve(current: Option<&AutoMode>, request: &AutoModeRequest) -> Result<Option<AutoMode>, EksError> {
    if !request.is_given() {
        return Ok(current.cloned());
    }
    let before = current.cloned().unwrap_or_default();
    let mut after = before.clone();
    if let Some(compute) = &request.compute {
        after.compute = compute.enabled.unwrap_or(before.compute);
        if let Some(pools) = &compute.node_pools {
            for pool in pools {
                if !NODE_POOLS.contains(&pool.as_str()) {
                    return Err(EksError::InvalidParameter(format!(
                        "Invalid nodePools value: {pool}. Valid values are: {}",
                        NODE_POOLS.join(", ")
                    )));
                }
            }
            let mut seen = Vec::new();
            for pool in pools {
                if seen.contains(pool) {
                    return Err(EksError::InvalidParameter(format!("Duplicate nodePools value: {pool}")));
                }
                seen.push(pool.clone());
            }
        }
        if !after.compute {
            if compute.node_pools.as_ref().is_some_and(|pools| !pools.is_empty()) || compute.node_role_arn.is_some() {
                return Err(EksError::InvalidParameter(
                    "nodePools and nodeRoleArn can only be specified when computeConfig is enabled".into(),
                ));
            }
            after.node_pools = Vec::new();
            after.node_role_arn = None;
        } else {
            if let Some(pools) = &compute.node_pools {
                after.node_pools = pools.clone();
            }
            if let Some(role) = &compute.node_role_arn {
                if role.is_empty() {
                    return Err(EksError::InvalidParameter("nodeRoleArn must not be empty".into()));
                }
                super::validate_role_arn(role)?;
                if before.compute && before.node_role_arn.as_ref().is_some_and(|old| old != role) {
                    return Err(EksError::InvalidParameter(
                        "nodeRoleArn cannot be changed once the compute capability of EKS Auto Mode is enabled".into(),
                    ));
                }
                after.node_role_arn = Some(role.clone());
            }
            if !after.node_pools.is_empty() && after.node_role_arn.is_none() {
                return Err(EksError::InvalidParameter(
                    "nodeRoleArn is required when nodePools are specified in computeConfig".into(),
                ));
            }
        }
    }
    if let Some(enabled) = request.block_storage {
        after.block_storage = enabled.unwrap_or(false);
    }
    if let Some(enabled) = request.load_balancing {
        after.load_balancing = enabled.unwrap_or(false);
    }
    if after.compute != after.block_storage || after.compute != after.load_balancing {
        return Err(EksError::InvalidParameter(ALL_OR_NONE.into()));
    }
    Ok(Some(after))
}

/// The update parameters an Auto Mode change records: `ComputeConfig`, `StorageConfig` and
/// `KubernetesNetworkConfig`, each the JSON of the settings as they now are.
pub fn update_params(auto_mode: &AutoMode) -> Vec<(String, String)> {
    vec![
        ("ComputeConfig".to_owned(), compute_json(auto_mode).to_string()),
        (
            "StorageConfig".to_owned(),
            serde_json::json!({ "blockStorage": { "enabled": auto_mode.block_storage } }).to_string(),
        ),
        (
            "KubernetesNetworkConfig".to_owned(),
            serde_json::json!({ "elasticLoadBalancing": { "enabled": auto_mode.load_balancing } }).to_string(),
        ),
    ]
}

/// `computeConfig` as DescribeCluster shows it.
pub fn compute_json(auto_mode: &AutoMode) -> serde_json::Value {
    let mut out = serde_json::json!({ "enabled": auto_mode.compute, "nodePools": auto_mode.node_pools });
    if let Some(role) = &auto_mode.node_role_arn {
        out["nodeRoleArn"] = serde_json::json!(role);
    }
    out
}

/// Refuses Auto Mode on a cluster whose authentication mode takes no access entries.
pub fn check_authentication_mode(mode: &str) -> Result<(), EksError> {
    if mode == "CONFIG_MAP" {
        return Err(EksError::InvalidParameter(
            "EKS Auto Mode requires the cluster authentication mode to be API or API_AND_CONFIG_MAP".into(),
        ));
    }
    Ok(())
}

impl Eks {
    /// The checks in IAM an Auto Mode cluster needs: its node role exists and trusts EC2, and the cluster role
    /// lets EKS tag its sessions.
    pub(crate) async fn check_auto_mode_roles(
        &self,
        caller: &Caller,
        cluster_role: &str,
        auto_mode: &AutoMode,
    ) -> Result<(), EksError> {
        if !auto_mode.enabled() {
            return Ok(());
        }
        if let Some(role) = &auto_mode.node_role_arn {
            self.check_role(caller, role, super::prerequisites::RoleUse::AutoModeNode).await?;
        }
        self.check_session_tagging(caller, cluster_role).await
    }

    /// Gives Auto Mode's node role its access entry (type `EC2`, `AmazonEKSAutoNodePolicy` over the cluster), as
    /// EKS does when compute is enabled with a role; an entry already there is kept (a resumed create, an update
    /// turning compute on again).
    pub(crate) async fn grant_auto_mode_nodes(&self, caller: &Caller, cluster: &Cluster) -> Result<(), EksError> {
        let Some(role) = cluster.auto_mode.as_ref().filter(|a| a.compute).and_then(|a| a.node_role_arn.clone()) else {
            return Ok(());
        };
        let input = CreateAccessEntry {
            cluster: cluster.name.clone(),
            principal_arn: role.clone(),
            kind: Some("EC2".into()),
            ..CreateAccessEntry::default()
        };
        // The role was checked in IAM when the settings were accepted.
        let principal = match self.put_access_entry(caller, input, false).await {
            Ok(entry) => entry.principal_arn,
            Err(EksError::ResourceInUse(_)) => role,
            Err(error) => return Err(error),
        };
        let scope = AccessScope { kind: "cluster".into(), namespaces: Vec::new() };
        let policy = format!("{ACCESS_POLICY_PREFIX}{AUTO_NODE_POLICY}");
        match self.associate_access_policy(caller, &cluster.name, &principal, &policy, scope).await {
            Ok(_) => Ok(()),
            // An entry of the role made earlier by hand with another type keeps what it has.
            Err(EksError::InvalidRequest(_)) => Ok(()),
            Err(error) => Err(error),
        }
    }
}

#[cfg(test)]
mod tests;
