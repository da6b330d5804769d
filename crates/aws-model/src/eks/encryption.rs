//! Envelope encryption of a cluster's secrets with a KMS key: the `encryptionConfig` of CreateCluster, kept on
//! the cluster and reported by DescribeCluster, and AssociateEncryptionConfig, which gives an existing cluster
//! one. A cluster has at most one configuration, and once given it cannot be taken back, as on EKS.

use serde::{Deserialize, Serialize};

use super::updates::{Update, UpdateScope};
use super::{Caller, Eks, EksError};

/// One `encryptionConfig` entry: what is encrypted (`secrets`) and with which KMS key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptionConfig {
    pub resources: Vec<String>,
    /// The key's ARN or alias ARN, as given.
    pub key_arn: String,
}

/// The only resource EKS encrypts.
const SECRETS: &str = "secrets";

/// Refuses a configuration EKS would: more than one entry, a resource other than `secrets`, or a key that is not
/// a KMS key or alias ARN of the cluster's region.
pub fn validate_encryption(configs: &[EncryptionConfig], region: &str) -> Result<(), EksError> {
    if configs.len() > 1 {
        return Err(EksError::InvalidParameter(
            "1 validation error detected: Value at 'encryptionConfig' failed to satisfy constraint: Member must have length less than or equal to 1".into(),
        ));
    }
    for config in configs {
        if config.resources.is_empty() || config.resources.iter().any(|resource| resource != SECRETS) {
            return Err(EksError::InvalidParameter(format!(
                "Encryption is only supported for the resource \"{SECRETS}\", got {:?}",
                config.resources
            )));
        }
        let key = &config.key_arn;
        let mut parts = key.splitn(6, ':');
        let (arn, partition, service, key_region, account, resource) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next());
        let valid = arn == Some("arn")
            && partition.is_some_and(|p| p.starts_with("aws"))
            && service == Some("kms")
            && account.is_some_and(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
            && resource.is_some_and(|r| {
                r.strip_prefix("key/").or_else(|| r.strip_prefix("alias/")).is_some_and(|name| {
                    !name.is_empty() && name.len() <= 256 && name.bytes().all(|b| b.is_ascii_graphic())
                })
            });
        if !valid {
            return Err(EksError::InvalidParameter(format!("Invalid KMS key ARN: {key}")));
        }
        if key_region != Some(region) {
            return Err(EksError::InvalidParameter(format!(
                "The KMS key {key} must be in the same region as the cluster ({region})"
            )));
        }
    }
    Ok(())
}

impl Eks {
    /// Gives a cluster that has none an encryption configuration; the update reads `InProgress` meanwhile.
    pub async fn associate_encryption_config(
        &self,
        caller: &Caller,
        name: &str,
        configs: Vec<EncryptionConfig>,
        token: Option<&str>,
    ) -> Result<Update, EksError> {
        if let Some(update) = self.replayed_update(caller, name, token).await? {
            return Ok(update);
        }
        if configs.is_empty() {
            return Err(EksError::InvalidParameter("encryptionConfig is required".into()));
        }
        validate_encryption(&configs, &caller.region)?;
        let cluster = self.updatable_cluster(caller, name).await?;
        if !cluster.encryption.is_empty() {
            return Err(EksError::InvalidRequest(format!("Cluster {name} already has an encryption configuration")));
        }
        let value = encryption_json(&configs).to_string();
        self.change_cluster(caller, name, |cluster| {
            if cluster.encryption.is_empty() {
                cluster.encryption = configs.clone();
            }
        })
        .await?;
        let params = vec![("EncryptionConfig".to_owned(), value)];
        self.record_update(caller, name, UpdateScope::default(), "AssociateEncryptionConfig", params, token).await
    }
}

/// The configurations as the API spells them (`[{"resources": [...], "provider": {"keyArn": ...}}]`).
pub fn encryption_json(configs: &[EncryptionConfig]) -> serde_json::Value {
    configs
        .iter()
        .map(|config| serde_json::json!({ "resources": config.resources, "provider": { "keyArn": config.key_arn } }))
        .collect()
}

#[cfg(test)]
mod tests;
