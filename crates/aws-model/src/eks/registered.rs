//! Registered clusters (EKS Connector): RegisterCluster records a Kubernetes cluster that runs elsewhere, with the
//! activation an EKS Connector agent would use to connect it, and DeregisterCluster removes it. No agent connects
//! here, so a registration stays `PENDING` until its activation expires (three days, as EKS's) and then reads
//! `FAILED`, as EKS reports a cluster that never connected. Registrations are their own records beside EKS's
//! clusters (`eks/registered-clusters/<name>`), share their names and count against their own quota (10).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::support::validate_tags;
use super::{Caller, Eks, EksError, validate_client_request_token, validate_cluster_name, validate_role_arn};
use crate::records::{RecordError, Records};

/// The providers a registration may name.
pub const PROVIDERS: &[&str] =
    &["EKS_ANYWHERE", "ANTHOS", "GKE", "AKS", "OPENSHIFT", "TANZU", "RANCHER", "EC2", "OTHER"];
/// Registered clusters per account and region (EKS's quota).
pub const MAX_REGISTERED: usize = 10;
/// How long an activation lasts, in seconds.
const ACTIVATION_SECONDS: f64 = 3.0 * 24.0 * 3600.0;

/// `PENDING`, `FAILED` or `DELETING`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RegistrationStatus {
    Pending,
    Failed,
    Deleting,
}

impl RegistrationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationStatus::Pending => "PENDING",
            RegistrationStatus::Failed => "FAILED",
            RegistrationStatus::Deleting => "DELETING",
        }
    }
}

/// A registered cluster as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegisteredCluster {
    pub name: String,
    pub arn: String,
    /// Unix seconds.
    pub created_at: f64,
    pub provider: String,
    pub role_arn: String,
    pub activation_id: String,
    pub activation_code: String,
    /// Unix seconds.
    pub activation_expiry: f64,
    pub status: RegistrationStatus,
    pub tags: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_request_token: Option<String>,
}

/// What RegisterCluster asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegisterCluster {
    pub name: String,
    pub provider: String,
    pub role_arn: String,
    pub tags: BTreeMap<String, String>,
    pub client_request_token: Option<String>,
}

impl Eks {
    fn registered_key(caller: &Caller, name: &str) -> String {
        Records::regional_key(&caller.account, &caller.region, "eks", "registered-clusters", name)
    }

    /// A registration as it reads now (`FAILED` once its activation has expired unconnected); `None` when there
    /// is none.
    pub async fn registered_cluster(&self, caller: &Caller, name: &str) -> Result<Option<RegisteredCluster>, EksError> {
        let Some(stored) = self.records.get::<RegisteredCluster>(&Self::registered_key(caller, name)).await? else {
            return Ok(None);
        };
        let mut cluster = stored.value;
        if cluster.status == RegistrationStatus::Pending && self.clock.now() >= cluster.activation_expiry {
            cluster.status = RegistrationStatus::Failed;
        }
        Ok(Some(cluster))
    }

    /// The names of the caller's registrations.
    pub(crate) async fn registered_names(&self, caller: &Caller) -> Result<Vec<String>, EksError> {
        let prefix = Self::registered_key(caller, "");
        Ok(self
            .records
            .list_shared::<RegisteredCluster>(&prefix)
            .await?
            .into_iter()
            .map(|r| r.value.name.clone())
            .collect())
    }

    pub async fn register_cluster(
        &self,
        caller: &Caller,
        input: RegisterCluster,
    ) -> Result<RegisteredCluster, EksError> {
        validate_cluster_name(&input.name)?;
        if let Some(token) = &input.client_request_token {
            validate_client_request_token(token)?;
            if let Some(made) = self.registered_cluster(caller, &input.name).await?
                && made.client_request_token.as_ref() == Some(token)
            {
                return Ok(made);
            }
        }
        if !PROVIDERS.contains(&input.provider.as_str()) {
            return Err(EksError::InvalidParameter(format!(
                "1 validation error detected: Value '{}' at 'connectorConfig.provider' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                input.provider,
                PROVIDERS.join(", ")
            )));
        }
        validate_role_arn(&input.role_arn)?;
        validate_tags(&input.tags)?;
        self.check_role(caller, &input.role_arn, super::prerequisites::RoleUse::Connector).await?;
        let in_use = || EksError::ResourceInUse(format!("Cluster already exists with name: {}", input.name));
        if self.describe_cluster(caller, &input.name).await.is_ok() {
            return Err(in_use());
        }
        if self.registered_names(caller).await?.len() >= MAX_REGISTERED {
            return Err(EksError::ResourceLimitExceeded(format!(
                "Cannot register cluster {} because {} already has the maximum number of registered clusters ({MAX_REGISTERED})",
                input.name, caller.region
            )));
        }
        let now = self.clock.now();
        let cluster = RegisteredCluster {
            arn: format!("arn:aws:eks:{}:{}:cluster/{}", caller.region, caller.account, input.name),
            name: input.name.clone(),
            created_at: now,
            provider: input.provider.clone(),
            role_arn: input.role_arn.clone(),
            activation_id: crate::ids::uuid(),
            activation_code: crate::ids::base64(crate::ids::hex_lower(24).as_bytes()),
            activation_expiry: now + ACTIVATION_SECONDS,
            status: RegistrationStatus::Pending,
            tags: input.tags.clone(),
            client_request_token: input.client_request_token.clone(),
        };
        self.records.create(&Self::registered_key(caller, &input.name), &cluster).await.map_err(
            |error| match error {
                RecordError::Exists(_) => in_use(),
                other => other.into(),
            },
        )?;
        Ok(cluster)
    }

    /// DeregisterCluster: the registration goes; the call answers with it `DELETING`, as EKS does.
    pub async fn deregister_cluster(&self, caller: &Caller, name: &str) -> Result<RegisteredCluster, EksError> {
        let Some(mut cluster) = self.registered_cluster(caller, name).await? else {
            if self.describe_cluster(caller, name).await.is_ok() {
                return Err(EksError::InvalidRequest(format!(
                    "Cluster {name} is an Amazon EKS cluster, not a registered one: delete it with DeleteCluster"
                )));
            }
            return Err(EksError::ResourceNotFound(format!("No cluster found for name: {name}.")));
        };
        match self.records.delete(&Self::registered_key(caller, name), None).await {
            Ok(()) | Err(RecordError::NotFound(_)) => {}
            Err(error) => return Err(error.into()),
        }
        cluster.status = RegistrationStatus::Deleting;
        Ok(cluster)
    }
}

#[cfg(test)]
mod tests;
