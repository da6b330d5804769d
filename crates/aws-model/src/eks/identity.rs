//! Pod identity associations (a namespace's service account to an IAM role) and OIDC identity provider configs,
//! each belonging to a cluster. Associating or disassociating an identity provider config leaves an `Update`; the
//! config is `CREATING` and `DELETING` for the cluster delays.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::support::{page, validate_name, validate_tags};
use super::updates::{Update, UpdateScope};
use super::{Caller, Eks, EksError, validate_role_arn};
use crate::records::RecordError;

/// A pod identity association as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PodIdentityAssociation {
    /// `a-` and 17 lowercase alphanumerics.
    pub id: String,
    pub arn: String,
    pub cluster: String,
    pub namespace: String,
    pub service_account: String,
    pub role_arn: String,
    pub disable_session_tags: bool,
    pub tags: BTreeMap<String, String>,
    /// Unix seconds.
    pub created_at: f64,
    pub modified_at: f64,
}

/// What CreatePodIdentityAssociation asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CreatePodIdentityAssociation {
    pub cluster: String,
    pub namespace: String,
    pub service_account: String,
    pub role_arn: String,
    pub disable_session_tags: Option<bool>,
    pub tags: BTreeMap<String, String>,
}

/// `CREATING`, `ACTIVE` or `DELETING`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConfigStatus {
    Creating,
    Active,
    Deleting,
}

impl ConfigStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConfigStatus::Creating => "CREATING",
            ConfigStatus::Active => "ACTIVE",
            ConfigStatus::Deleting => "DELETING",
        }
    }
}

/// An OIDC identity provider config as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OidcConfig {
    pub name: String,
    pub arn: String,
    pub cluster: String,
    pub issuer_url: String,
    pub client_id: String,
    pub username_claim: Option<String>,
    pub username_prefix: Option<String>,
    pub groups_claim: Option<String>,
    pub groups_prefix: Option<String>,
    pub required_claims: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
    pub status: ConfigStatus,
    /// When a `CREATING` config becomes `ACTIVE` (Unix seconds).
    pub ready_at: f64,
    /// When a `DELETING` config is gone (Unix seconds).
    pub gone_at: Option<f64>,
}

/// What AssociateIdentityProviderConfig asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssociateOidcConfig {
    pub cluster: String,
    pub name: String,
    pub issuer_url: String,
    pub client_id: String,
    pub username_claim: Option<String>,
    pub username_prefix: Option<String>,
    pub groups_claim: Option<String>,
    pub groups_prefix: Option<String>,
    pub required_claims: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
}

/// Pod identity associations per cluster.
const MAX_ASSOCIATIONS: usize = 1000;

/// A new association id: `a-` and 17 lowercase alphanumerics.
fn association_id() -> String {
    format!("a-{}", &crate::ids::hex_lower(9)[..17])
}

impl Eks {
    fn association_key(caller: &Caller, cluster: &str, id: &str) -> String {
        Self::child_key(caller, "podidentity", cluster, id)
    }

    async fn associations(&self, caller: &Caller, cluster: &str) -> Result<Vec<PodIdentityAssociation>, EksError> {
        let prefix = Self::children_prefix(caller, "podidentity", cluster);
        Ok(self.records.list::<PodIdentityAssociation>(&prefix).await?.into_iter().map(|s| s.value).collect())
    }

    /// The pod identity association of a service account, if it has one: what EKS's pod identity webhook injects
    /// credentials for.
    pub async fn pod_identity_of(
        &self,
        caller: &Caller,
        cluster: &str,
        namespace: &str,
        service_account: &str,
    ) -> Result<Option<PodIdentityAssociation>, EksError> {
        let associations = self.associations(caller, cluster).await?;
        Ok(associations.into_iter().find(|a| a.namespace == namespace && a.service_account == service_account))
    }

    pub async fn create_pod_identity_association(
        &self,
        caller: &Caller,
        input: CreatePodIdentityAssociation,
    ) -> Result<PodIdentityAssociation, EksError> {
        self.existing_cluster(caller, &input.cluster).await?;
        if input.namespace.is_empty() || input.service_account.is_empty() {
            return Err(EksError::InvalidParameter("namespace and serviceAccount must not be empty".into()));
        }
        validate_role_arn(&input.role_arn)?;
        validate_tags(&input.tags)?;
        let existing = self.associations(caller, &input.cluster).await?;
        if let Some(taken) =
            existing.iter().find(|a| a.namespace == input.namespace && a.service_account == input.service_account)
        {
            return Err(EksError::ResourceInUse(format!("Association already exists: {}", taken.id)));
        }
        if existing.len() >= MAX_ASSOCIATIONS {
            return Err(EksError::ResourceLimitExceeded(format!(
                "Cluster {} already has the maximum number of pod identity associations ({MAX_ASSOCIATIONS})",
                input.cluster
            )));
        }
        let now = self.clock.now();
        let id = association_id();
        let association = PodIdentityAssociation {
            arn: format!(
                "arn:aws:eks:{}:{}:podidentityassociation/{}/{id}",
                caller.region, caller.account, input.cluster
            ),
            id: id.clone(),
            cluster: input.cluster.clone(),
            namespace: input.namespace.clone(),
            service_account: input.service_account.clone(),
            role_arn: input.role_arn.clone(),
            disable_session_tags: input.disable_session_tags.unwrap_or(false),
            tags: input.tags.clone(),
            created_at: now,
            modified_at: now,
        };
        self.records.create(&Self::association_key(caller, &input.cluster, &id), &association).await?;
        Ok(association)
    }

    pub async fn describe_pod_identity_association(
        &self,
        caller: &Caller,
        cluster: &str,
        id: &str,
    ) -> Result<PodIdentityAssociation, EksError> {
        self.existing_cluster(caller, cluster).await?;
        let key = Self::association_key(caller, cluster, id);
        Ok(self.records.get(&key).await?.ok_or_else(|| association_not_found(id))?.value)
    }

    /// Associations in id order, optionally of one namespace and service account.
    pub async fn list_pod_identity_associations(
        &self,
        caller: &Caller,
        cluster: &str,
        namespace: Option<&str>,
        service_account: Option<&str>,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> Result<(Vec<PodIdentityAssociation>, Option<String>), EksError> {
        self.existing_cluster(caller, cluster).await?;
        let matching: Vec<PodIdentityAssociation> = self
            .associations(caller, cluster)
            .await?
            .into_iter()
            .filter(|a| namespace.is_none_or(|n| a.namespace == n))
            .filter(|a| service_account.is_none_or(|s| a.service_account == s))
            .collect();
        let (ids, token) = page(matching.iter().map(|a| a.id.clone()).collect(), max_results, next_token)?;
        Ok((matching.into_iter().filter(|a| ids.contains(&a.id)).collect(), token))
    }

    pub async fn update_pod_identity_association(
        &self,
        caller: &Caller,
        cluster: &str,
        id: &str,
        role_arn: Option<String>,
        disable_session_tags: Option<bool>,
    ) -> Result<PodIdentityAssociation, EksError> {
        self.existing_cluster(caller, cluster).await?;
        if let Some(role) = &role_arn {
            validate_role_arn(role)?;
        }
        let now = self.clock.now();
        let edited = self
            .edit::<PodIdentityAssociation, ()>(&Self::association_key(caller, cluster, id), |association| {
                if let Some(role) = &role_arn {
                    association.role_arn = role.clone();
                }
                if let Some(disable) = disable_session_tags {
                    association.disable_session_tags = disable;
                }
                association.modified_at = now;
                Ok(())
            })
            .await?;
        edited.map(|(association, ())| association).ok_or_else(|| association_not_found(id))
    }

    pub async fn delete_pod_identity_association(
        &self,
        caller: &Caller,
        cluster: &str,
        id: &str,
    ) -> Result<PodIdentityAssociation, EksError> {
        let association = self.describe_pod_identity_association(caller, cluster, id).await?;
        match self.records.delete(&Self::association_key(caller, cluster, id), None).await {
            Ok(()) => Ok(association),
            Err(RecordError::NotFound(_)) => Err(association_not_found(id)),
            Err(error) => Err(error.into()),
        }
    }

    fn oidc_key(caller: &Caller, cluster: &str, name: &str) -> String {
        Self::child_key(caller, "idpconfigs", cluster, name)
    }

    /// The identity provider configs of a cluster as they are now.
    async fn oidc_configs(&self, caller: &Caller, cluster: &str) -> Result<Vec<OidcConfig>, EksError> {
        let prefix = Self::children_prefix(caller, "idpconfigs", cluster);
        let now = self.clock.now();
        let mut out = Vec::new();
        for stored in self.records.list::<OidcConfig>(&prefix).await? {
            let mut config = stored.value;
            match config.status {
                ConfigStatus::Creating if now >= config.ready_at => {
                    config.status = ConfigStatus::Active;
                    match self.records.update(&stored.key, &config, stored.revision).await {
                        Ok(_) | Err(RecordError::Conflict(_) | RecordError::NotFound(_)) => {}
                        Err(error) => return Err(error.into()),
                    }
                }
                ConfigStatus::Deleting if config.gone_at.is_some_and(|at| now >= at) => {
                    match self.records.delete(&stored.key, Some(stored.revision)).await {
                        Ok(()) | Err(RecordError::Conflict(_) | RecordError::NotFound(_)) => {}
                        Err(error) => return Err(error.into()),
                    }
                    continue;
                }
                _ => {}
            }
            out.push(config);
        }
        Ok(out)
    }

    /// Associates an OIDC provider; a cluster takes one identity provider config.
    pub async fn associate_oidc_config(
        &self,
        caller: &Caller,
        input: AssociateOidcConfig,
    ) -> Result<(Update, OidcConfig), EksError> {
        self.existing_cluster(caller, &input.cluster).await?;
        validate_name(&input.name, "identityProviderConfigName", 100)?;
        if !input.issuer_url.starts_with("https://") || input.issuer_url.len() <= "https://".len() {
            return Err(EksError::InvalidParameter("The issuerUrl must be a valid https URL".into()));
        }
        if input.client_id.is_empty() {
            return Err(EksError::InvalidParameter("clientId must not be empty".into()));
        }
        validate_tags(&input.tags)?;
        self.active_cluster(caller, &input.cluster).await?;
        let configs = self.oidc_configs(caller, &input.cluster).await?;
        if configs.iter().any(|c| c.name == input.name) {
            return Err(EksError::ResourceInUse(format!(
                "An identity provider config named {} is already associated with cluster {}",
                input.name, input.cluster
            )));
        }
        if !configs.is_empty() {
            return Err(EksError::ResourceLimitExceeded(format!(
                "Cluster {} already has the maximum number of identity provider configs (1)",
                input.cluster
            )));
        }
        let now = self.clock.now();
        let config = OidcConfig {
            arn: format!(
                "arn:aws:eks:{}:{}:identityproviderconfig/{}/oidc/{}/{}",
                caller.region,
                caller.account,
                input.cluster,
                input.name,
                crate::ids::uuid()
            ),
            name: input.name.clone(),
            cluster: input.cluster.clone(),
            issuer_url: input.issuer_url.clone(),
            client_id: input.client_id.clone(),
            username_claim: input.username_claim.clone(),
            username_prefix: input.username_prefix.clone(),
            groups_claim: input.groups_claim.clone(),
            groups_prefix: input.groups_prefix.clone(),
            required_claims: input.required_claims.clone(),
            tags: input.tags.clone(),
            status: ConfigStatus::Creating,
            ready_at: now + self.config.create_seconds,
            gone_at: None,
        };
        let key = Self::oidc_key(caller, &input.cluster, &input.name);
        self.records.create(&key, &config).await.map_err(|error| match error {
            RecordError::Exists(_) => EksError::ResourceInUse(format!(
                "An identity provider config named {} is already associated with cluster {}",
                input.name, input.cluster
            )),
            other => other.into(),
        })?;
        let update = self
            .record_update(
                caller,
                &input.cluster,
                UpdateScope::default(),
                "AssociateIdentityProviderConfig",
                vec![idp_param(&input.name)],
                None,
            )
            .await?;
        Ok((update, config))
    }

    pub async fn describe_oidc_config(
        &self,
        caller: &Caller,
        cluster: &str,
        name: &str,
    ) -> Result<OidcConfig, EksError> {
        self.existing_cluster(caller, cluster).await?;
        let configs = self.oidc_configs(caller, cluster).await?;
        configs.into_iter().find(|c| c.name == name).ok_or_else(|| config_not_found(name))
    }

    pub async fn list_oidc_configs(
        &self,
        caller: &Caller,
        cluster: &str,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> Result<(Vec<String>, Option<String>), EksError> {
        self.existing_cluster(caller, cluster).await?;
        let names = self.oidc_configs(caller, cluster).await?.into_iter().map(|c| c.name).collect();
        page(names, max_results, next_token)
    }

    pub async fn disassociate_oidc_config(
        &self,
        caller: &Caller,
        cluster: &str,
        name: &str,
    ) -> Result<Update, EksError> {
        let current = self.describe_oidc_config(caller, cluster, name).await?;
        if current.status != ConfigStatus::Active {
            return Err(EksError::InvalidRequest(format!(
                "Identity provider config {name} is not in ACTIVE status (it is {})",
                current.status.as_str()
            )));
        }
        let gone_at = self.clock.now() + self.config.delete_seconds;
        self.edit::<OidcConfig, ()>(&Self::oidc_key(caller, cluster, name), |config| {
            config.status = ConfigStatus::Deleting;
            config.gone_at = Some(gone_at);
            Ok(())
        })
        .await?
        .ok_or_else(|| config_not_found(name))?;
        let params = vec![idp_param(name)];
        self.record_update(caller, cluster, UpdateScope::default(), "DisassociateIdentityProviderConfig", params, None)
            .await
    }
}

/// The `IdentityProviderConfig` update parameter: the config as a JSON list of `{type, name}`.
fn idp_param(name: &str) -> (String, String) {
    let value = serde_json::json!([{ "type": "oidc", "name": name }]);
    ("IdentityProviderConfig".to_owned(), value.to_string())
}

fn association_not_found(id: &str) -> EksError {
    EksError::ResourceNotFound(format!("No Pod Identity Association found for id: {id}"))
}

fn config_not_found(name: &str) -> EksError {
    EksError::ResourceNotFound(format!("No identity provider config found for name: {name}"))
}

#[cfg(test)]
mod tests;
