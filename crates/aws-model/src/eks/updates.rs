//! Updates: the record every change to a cluster, node group or add-on leaves (`DescribeUpdate`, `ListUpdates`),
//! and the cluster changes themselves (`UpdateClusterConfig`, `UpdateClusterVersion`).
//!
//! A change is applied to its resource at once; its `Update` reads `InProgress` until `update_seconds` have passed
//! and `Successful` after, and the resource reads `UPDATING` meanwhile. The Kubernetes cluster behind an EKS
//! cluster keeps the version it was created with: the API server offers no way to change a running cluster's
//! version, so UpdateClusterVersion is recorded in EKS only.

use serde::{Deserialize, Serialize};

use super::auto_mode::{AutoModeRequest, check_authentication_mode, resolve, update_params};
use super::hybrid::{RemoteNetworkConfig, remote_network_json, validate_remote_network};
use super::support::{next_minor, page_limit};
use super::{Caller, Cluster, ClusterStatus, Eks, EksError, LOG_TYPES};

/// `InProgress`, `Successful`, ... as EKS spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UpdateStatus {
    InProgress,
    Failed,
    Cancelled,
    Successful,
}

impl UpdateStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UpdateStatus::InProgress => "InProgress",
            UpdateStatus::Failed => "Failed",
            UpdateStatus::Cancelled => "Cancelled",
            UpdateStatus::Successful => "Successful",
        }
    }
}

/// One change, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Update {
    pub id: String,
    pub cluster: String,
    /// The node group the update changed, if it was a node group update.
    pub nodegroup: Option<String>,
    /// The add-on the update changed, if it was an add-on update.
    pub addon: Option<String>,
    /// `VersionUpdate`, `ConfigUpdate`, `LoggingUpdate`, ...
    pub kind: String,
    pub status: UpdateStatus,
    /// `(type, value)` pairs, such as `("Version", "1.34")`.
    pub params: Vec<(String, String)>,
    /// Unix seconds.
    pub created_at: f64,
    /// When the update is done (Unix seconds).
    pub done_at: f64,
    /// The `clientRequestToken` of the call that made it: the same call sent again answers with this update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_request_token: Option<String>,
}

/// Which resource's updates to read: the cluster's own, a node group's or an add-on's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpdateScope<'a> {
    pub nodegroup: Option<&'a str>,
    pub addon: Option<&'a str>,
}

/// What UpdateClusterConfig asks for; exactly one part may be given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClusterConfigChange {
    /// The log types to enable and disable.
    pub logging: Option<Vec<(String, bool)>>,
    pub endpoint_public_access: Option<bool>,
    pub endpoint_private_access: Option<bool>,
    pub public_access_cidrs: Option<Vec<String>>,
    pub subnet_ids: Option<Vec<String>>,
    pub security_group_ids: Option<Vec<String>>,
    pub authentication_mode: Option<String>,
    pub support_type: Option<String>,
    pub remote_network: Option<RemoteNetworkConfig>,
    pub deletion_protection: Option<bool>,
    pub client_request_token: Option<String>,
    /// EKS Auto Mode's `computeConfig`, `storageConfig` and `kubernetesNetworkConfig.elasticLoadBalancing`.
    pub auto_mode: AutoModeRequest,
    /// `kubernetesNetworkConfig.serviceIpv4Cidr` and `ipFamily` sent along with an Auto Mode change (Terraform
    /// sends what it read): accepted when they are the cluster's, as they cannot change.
    pub service_ipv4_cidr: Option<String>,
    pub ip_family: Option<String>,
}

/// The authentication modes in the only order a cluster may move through them.
const AUTHENTICATION_MODES: [&str; 3] = ["CONFIG_MAP", "API_AND_CONFIG_MAP", "API"];

impl Eks {
    /// Records an update that has just been applied.
    pub(crate) async fn record_update(
        &self,
        caller: &Caller,
        cluster: &str,
        scope: UpdateScope<'_>,
        kind: &str,
        params: Vec<(String, String)>,
        token: Option<&str>,
    ) -> Result<Update, EksError> {
        let now = self.clock.now();
        let update = Update {
            id: crate::ids::uuid(),
            cluster: cluster.to_owned(),
            nodegroup: scope.nodegroup.map(str::to_owned),
            addon: scope.addon.map(str::to_owned),
            kind: kind.to_owned(),
            status: UpdateStatus::InProgress,
            params,
            created_at: now,
            done_at: now + self.config.update_seconds,
            client_request_token: token.map(str::to_owned),
        };
        self.records.create(&Self::child_key(caller, "updates", cluster, &update.id), &update).await?;
        Ok(update)
    }

    /// The update a call with this `clientRequestToken` already made on the cluster, if any: the same call sent
    /// again answers with it and changes nothing.
    pub(crate) async fn replayed_update(
        &self,
        caller: &Caller,
        cluster: &str,
        token: Option<&str>,
    ) -> Result<Option<Update>, EksError> {
        let Some(token) = token else { return Ok(None) };
        super::validate_client_request_token(token)?;
        let prefix = Self::children_prefix(caller, "updates", cluster);
        let made = self.records.list::<Update>(&prefix).await?.into_iter().map(|stored| stored.value);
        Ok(made
            .into_iter()
            .find(|update| update.client_request_token.as_deref() == Some(token))
            .map(|u| self.settle_update(u)))
    }

    fn settle_update(&self, mut update: Update) -> Update {
        if update.status == UpdateStatus::InProgress && self.clock.now() >= update.done_at {
            update.status = UpdateStatus::Successful;
        }
        update
    }

    /// The updates of a cluster (or of one of its node groups or add-ons), oldest first.
    async fn updates(&self, caller: &Caller, cluster: &str, scope: UpdateScope<'_>) -> Result<Vec<Update>, EksError> {
        self.existing_cluster(caller, cluster).await?;
        if let Some(nodegroup) = scope.nodegroup {
            self.describe_nodegroup(caller, cluster, nodegroup).await?;
        }
        if let Some(addon) = scope.addon {
            self.describe_addon(caller, cluster, addon).await?;
        }
        let prefix = Self::children_prefix(caller, "updates", cluster);
        let mut updates: Vec<Update> = self
            .records
            .list::<Update>(&prefix)
            .await?
            .into_iter()
            .map(|stored| self.settle_update(stored.value))
            .filter(|u| u.nodegroup.as_deref() == scope.nodegroup && u.addon.as_deref() == scope.addon)
            .collect();
        updates.sort_by(|a, b| a.created_at.total_cmp(&b.created_at).then_with(|| a.id.cmp(&b.id)));
        Ok(updates)
    }

    pub async fn describe_update(
        &self,
        caller: &Caller,
        cluster: &str,
        id: &str,
        scope: UpdateScope<'_>,
    ) -> Result<Update, EksError> {
        self.updates(caller, cluster, scope)
            .await?
            .into_iter()
            .find(|update| update.id == id)
            .ok_or_else(|| EksError::ResourceNotFound(format!("No update found for ID: {id}")))
    }

    /// Update ids, oldest first, a page at a time; the token is the base64 of the last id of the previous page.
    pub async fn list_updates(
        &self,
        caller: &Caller,
        cluster: &str,
        scope: UpdateScope<'_>,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> Result<(Vec<String>, Option<String>), EksError> {
        let limit = page_limit(max_results)?;
        let ids: Vec<String> = self.updates(caller, cluster, scope).await?.into_iter().map(|u| u.id).collect();
        let start = match next_token {
            None => 0,
            Some(token) => {
                let after = crate::ids::unbase64(token)
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .and_then(|after| ids.iter().position(|id| *id == after))
                    .ok_or_else(|| EksError::InvalidParameter("The nextToken is invalid".into()))?;
                after + 1
            }
        };
        let page: Vec<String> = ids[start..].iter().take(limit).cloned().collect();
        let more = start + page.len() < ids.len();
        let token = if more { page.last().map(|last| crate::ids::base64(last.as_bytes())) } else { None };
        Ok((page, token))
    }

    /// A cluster that may be changed now: `ACTIVE`, with no update running.
    pub(crate) async fn updatable_cluster(&self, caller: &Caller, name: &str) -> Result<Cluster, EksError> {
        let cluster = self.existing_cluster(caller, name).await?;
        match cluster.status {
            ClusterStatus::Active => Ok(cluster),
            ClusterStatus::Updating => Err(EksError::ResourceInUse(format!(
                "Cluster {name} is currently being updated. Please retry after the update completes."
            ))),
            status => Err(EksError::InvalidRequest(format!(
                "Cluster '{name}' is not in ACTIVE status (it is {})",
                status.as_str()
            ))),
        }
    }

    /// Writes a cluster change and marks the cluster `UPDATING` until the update is done.
    pub(crate) async fn change_cluster(
        &self,
        caller: &Caller,
        name: &str,
        mut change: impl FnMut(&mut Cluster),
    ) -> Result<(), EksError> {
        let until = self.clock.now() + self.config.update_seconds;
        let key = Self::cluster_key(caller, name);
        let changed = self
            .edit::<Cluster, ()>(&key, |cluster| {
                change(cluster);
                cluster.updating_until = (self.config.update_seconds > 0.0).then_some(until);
                Ok(())
            })
            .await?;
        changed.map(|_| ()).ok_or_else(|| super::not_found(name))
    }

    pub async fn update_cluster_config(
        &self,
        caller: &Caller,
        name: &str,
        change: ClusterConfigChange,
    ) -> Result<Update, EksError> {
        let endpoint = change.endpoint_public_access.is_some()
            || change.endpoint_private_access.is_some()
            || change.public_access_cidrs.is_some();
        let vpc = change.subnet_ids.is_some() || change.security_group_ids.is_some();
        let parts = [
            change.logging.is_some(),
            endpoint || vpc,
            change.authentication_mode.is_some(),
            change.support_type.is_some(),
            change.remote_network.is_some(),
            change.deletion_protection.is_some(),
            change.auto_mode.is_given() || change.service_ipv4_cidr.is_some() || change.ip_family.is_some(),
        ];
        let token = change.client_request_token.as_deref();
        if let Some(update) = self.replayed_update(caller, name, token).await? {
            return Ok(update);
        }
        match parts.iter().filter(|given| **given).count() {
            0 => return Err(EksError::InvalidParameter("No changes needed".into())),
            1 => {}
            _ => return Err(EksError::InvalidParameter("Only one type of update can be allowed.".into())),
        }
        let cluster = self.updatable_cluster(caller, name).await?;
        let scope = UpdateScope::default();
        if let Some(logging) = change.logging {
            let mut enabled = cluster.enabled_log_types.clone();
            for (log_type, on) in &logging {
                if !LOG_TYPES.contains(&log_type.as_str()) {
                    return Err(EksError::InvalidParameter(format!("Unknown log type {log_type}")));
                }
                enabled.retain(|t| t != log_type);
                if *on {
                    enabled.push(log_type.clone());
                }
            }
            enabled.sort_by_key(|t| LOG_TYPES.iter().position(|known| known == t));
            let disabled: Vec<&str> = LOG_TYPES.iter().copied().filter(|t| !enabled.iter().any(|e| e == t)).collect();
            let value = serde_json::json!({ "clusterLogging": [
                { "types": enabled, "enabled": true },
                { "types": disabled, "enabled": false },
            ]});
            self.change_cluster(caller, name, |c| c.enabled_log_types = enabled.clone()).await?;
            let params = vec![("ClusterLogging".to_owned(), value.to_string())];
            return self.record_update(caller, name, scope, "LoggingUpdate", params, token).await;
        }
        if endpoint || vpc {
            if let Some(cidrs) = &change.public_access_cidrs {
                if cidrs.len() > 40 {
                    return Err(EksError::InvalidParameter(
                        "The number of publicAccessCidrs must not exceed 40".into(),
                    ));
                }
                for cidr in cidrs {
                    if !is_ipv4_cidr(cidr) {
                        return Err(EksError::InvalidParameter(format!("The CIDR block {cidr} is invalid")));
                    }
                }
            }
            let public = change.endpoint_public_access.unwrap_or(cluster.vpc.endpoint_public_access);
            let private = change.endpoint_private_access.unwrap_or(cluster.vpc.endpoint_private_access);
            if !public && !private {
                return Err(EksError::InvalidParameter(
                    "Either Public or Private access must be enabled for the cluster endpoint".into(),
                ));
            }
            if change.subnet_ids.as_ref().is_some_and(Vec::is_empty) {
                return Err(EksError::InvalidParameter(
                    "Subnets specified must be in at least two different AZs".into(),
                ));
            }
            let mut params = Vec::new();
            if let Some(value) = change.endpoint_public_access {
                params.push(("EndpointPublicAccess".to_owned(), value.to_string()));
            }
            if let Some(value) = change.endpoint_private_access {
                params.push(("EndpointPrivateAccess".to_owned(), value.to_string()));
            }
            if let Some(cidrs) = &change.public_access_cidrs {
                params.push(("PublicAccessCidrs".to_owned(), serde_json::json!(cidrs).to_string()));
            }
            if let Some(subnets) = &change.subnet_ids {
                params.push(("Subnets".to_owned(), serde_json::json!(subnets).to_string()));
            }
            if let Some(groups) = &change.security_group_ids {
                params.push(("SecurityGroups".to_owned(), serde_json::json!(groups).to_string()));
            }
            self.change_cluster(caller, name, |c| {
                c.vpc.endpoint_public_access = public;
                c.vpc.endpoint_private_access = private;
                if let Some(cidrs) = &change.public_access_cidrs {
                    c.vpc.public_access_cidrs = cidrs.clone();
                }
                if let Some(subnets) = &change.subnet_ids {
                    c.vpc.subnet_ids = subnets.clone();
                }
                if let Some(groups) = &change.security_group_ids {
                    c.vpc.security_group_ids = groups.clone();
                }
            })
            .await?;
            let kind = if vpc { "VpcConfigUpdate" } else { "EndpointAccessUpdate" };
            return self.record_update(caller, name, scope, kind, params, token).await;
        }
        if let Some(mode) = change.authentication_mode {
            let Some(to) = AUTHENTICATION_MODES.iter().position(|m| *m == mode) else {
                return Err(EksError::InvalidParameter(format!("Unsupported authentication mode {mode}")));
            };
            let from = AUTHENTICATION_MODES.iter().position(|m| *m == cluster.authentication_mode).unwrap_or(0);
            if to <= from {
                return Err(EksError::InvalidParameter(format!(
                    "Unsupported authentication mode update from {} to {mode}",
                    cluster.authentication_mode
                )));
            }
            self.change_cluster(caller, name, |c| c.authentication_mode = mode.clone()).await?;
            let params = vec![("AuthenticationMode".to_owned(), mode.clone())];
            return self.record_update(caller, name, scope, "AccessConfigUpdate", params, token).await;
        }
        if let Some(remote) = change.remote_network {
            let blocks = self.vpc_blocks(caller, &cluster.vpc.vpc_id).await?;
            validate_remote_network(&remote, &cluster.service_ipv4_cidr, &blocks)?;
            let value = remote_network_json(&remote).to_string();
            // An empty configuration takes the hybrid networks away.
            let kept = (remote != RemoteNetworkConfig::default()).then_some(remote);
            self.change_cluster(caller, name, |c| c.remote_network = kept.clone()).await?;
            let params = vec![("RemoteNetworkConfig".to_owned(), value)];
            return self.record_update(caller, name, scope, "RemoteNetworkConfigUpdate", params, token).await;
        }
        if change.auto_mode.is_given() || change.service_ipv4_cidr.is_some() || change.ip_family.is_some() {
            let unchanged = |given: &Option<String>, current: &str| given.as_deref().is_none_or(|g| g == current);
            if !unchanged(&change.service_ipv4_cidr, &cluster.service_ipv4_cidr)
                || !unchanged(&change.ip_family, &cluster.ip_family)
            {
                return Err(EksError::InvalidParameter(
                    "serviceIpv4Cidr and ipFamily of kubernetesNetworkConfig cannot be updated".into(),
                ));
            }
            if !change.auto_mode.is_given() {
                return Err(EksError::InvalidParameter("No changes needed".into()));
            }
            let Some(settings) = resolve(cluster.auto_mode.as_ref(), &change.auto_mode)? else {
                return Err(EksError::InvalidParameter("No changes needed".into()));
            };
            if settings.enabled() {
                check_authentication_mode(&cluster.authentication_mode)?;
                self.check_auto_mode_roles(caller, &cluster.role_arn, &settings).await?;
            }
            let params = update_params(&settings);
            self.change_cluster(caller, name, |c| c.auto_mode = Some(settings.clone())).await?;
            let mut changed = cluster.clone();
            changed.auto_mode = Some(settings);
            self.grant_auto_mode_nodes(caller, &changed).await?;
            return self.record_update(caller, name, scope, "AutoModeUpdate", params, token).await;
        }
        if let Some(protected) = change.deletion_protection {
            self.change_cluster(caller, name, |c| c.deletion_protection = protected).await?;
            let params = vec![("DeletionProtection".to_owned(), protected.to_string())];
            return self.record_update(caller, name, scope, "DeletionProtectionUpdate", params, token).await;
        }
        let support = change.support_type.unwrap_or_default();
        if support != "STANDARD" && support != "EXTENDED" {
            return Err(EksError::InvalidParameter(format!("Unsupported support type {support}")));
        }
        self.change_cluster(caller, name, |c| c.support_type = support.clone()).await?;
        let params = vec![("UpgradePolicy".to_owned(), serde_json::json!({ "supportType": support }).to_string())];
        self.record_update(caller, name, scope, "UpgradePolicyUpdate", params, token).await
    }

    /// Moves a cluster one minor version up.
    pub async fn update_cluster_version(
        &self,
        caller: &Caller,
        name: &str,
        version: &str,
        token: Option<&str>,
    ) -> Result<Update, EksError> {
        if let Some(update) = self.replayed_update(caller, name, token).await? {
            return Ok(update);
        }
        let cluster = self.updatable_cluster(caller, name).await?;
        if !self.config.versions.iter().any(|v| v == version) {
            return Err(EksError::InvalidParameter("unsupported Kubernetes version".into()));
        }
        if next_minor(&cluster.version).as_deref() != Some(version) {
            return Err(EksError::InvalidParameter(format!(
                "Unsupported Kubernetes minor version update from {} to {version}",
                cluster.version
            )));
        }
        self.change_cluster(caller, name, |c| {
            c.version = version.to_owned();
            c.platform_version = "eks.1".into();
        })
        .await?;
        let params =
            vec![("Version".to_owned(), version.to_owned()), ("PlatformVersion".to_owned(), "eks.1".to_owned())];
        self.record_update(caller, name, UpdateScope::default(), "VersionUpdate", params, token).await
    }
}

/// `a.b.c.d/n`.
fn is_ipv4_cidr(cidr: &str) -> bool {
    cidr.split_once('/').is_some_and(|(address, prefix)| {
        address.parse::<std::net::Ipv4Addr>().is_ok() && prefix.parse::<u8>().is_ok_and(|p| p <= 32)
    })
}

#[cfg(test)]
mod tests;
