//! Amazon EKS Auth: `AssumeRoleForPodIdentity`, what the EKS Pod Identity Agent on a node calls with a pod's
//! projected service account token to get the credentials of the role the pod's service account is associated
//! with.
//!
//! The token must be one the cluster issued (its OIDC issuer, signed with its keys, unexpired) for the audience
//! `pods.eks.amazonaws.com`; its subject names the service account, and a pod identity association of the cluster
//! for that account names the role. The role must trust `pods.eks.amazonaws.com` with `sts:AssumeRole` and
//! `sts:TagSession`: the session carries EKS's tags (cluster ARN and name, namespace, service account, pod name and
//! uid) unless the association disables them. Sessions last six hours.

use std::sync::Arc;

use serde_json::Value;

use crate::eks::{Caller, Eks, EksError};
use crate::iam::Tag;
use crate::sts::{Assumed, JwtError, OidcKeys, Sts, StsError, WebToken};

/// The audience Pod Identity tokens are issued for, and the service principal roles trust.
pub const POD_IDENTITY_AUDIENCE: &str = "pods.eks.amazonaws.com";
/// How long a Pod Identity session lasts.
const SESSION_SECONDS: i64 = 6 * 3600;
/// The longest token AWS reads.
const MAX_TOKEN_LENGTH: usize = 20_000;

/// EKS Auth's errors, each one of its wire error types.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EksAuthError {
    #[error("{0}")]
    InvalidParameter(String),
    #[error("{0}")]
    InvalidToken(String),
    #[error("{0}")]
    ExpiredToken(String),
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("{0}")]
    AccessDenied(String),
    #[error("{0}")]
    Internal(String),
}

impl From<EksError> for EksAuthError {
    fn from(error: EksError) -> Self {
        match error {
            EksError::ResourceNotFound(message) => EksAuthError::ResourceNotFound(message),
            other => EksAuthError::Internal(other.to_string()),
        }
    }
}

impl From<StsError> for EksAuthError {
    fn from(error: StsError) -> Self {
        EksAuthError::Internal(error.to_string())
    }
}

/// What AssumeRoleForPodIdentity answers.
#[derive(Debug, Clone, PartialEq)]
pub struct PodIdentityCredentials {
    pub namespace: String,
    pub service_account: String,
    pub audience: String,
    pub association_arn: String,
    pub association_id: String,
    pub assumed: Assumed,
}

/// The EKS Auth service of one server.
#[derive(Debug, Clone)]
pub struct EksAuth {
    eks: Eks,
    sts: Sts,
    keys: Arc<dyn OidcKeys>,
}

impl EksAuth {
    /// EKS Auth over the clusters of `eks`, handing out sessions through `sts`, checking tokens with `keys`.
    pub fn new(eks: Eks, sts: Sts, keys: Arc<dyn OidcKeys>) -> EksAuth {
        EksAuth { eks, sts, keys }
    }

    /// AssumeRoleForPodIdentity.
    pub async fn assume_role_for_pod_identity(
        &self,
        caller: &Caller,
        cluster_name: &str,
        token: &str,
    ) -> Result<PodIdentityCredentials, EksAuthError> {
        let name_ok = !cluster_name.is_empty()
            && cluster_name.len() <= 100
            && cluster_name.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
            && cluster_name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !name_ok {
            return Err(EksAuthError::InvalidParameter(format!(
                "1 validation error detected: Value '{cluster_name}' at 'clusterName' failed to satisfy constraint: \
                 Member must satisfy regular expression pattern: [0-9A-Za-z][A-Za-z0-9\\-_]*"
            )));
        }
        let token_ok = token.len() <= MAX_TOKEN_LENGTH
            && token.split('.').count() == 3
            && token.split('.').all(|part| {
                !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'='))
            });
        if !token_ok {
            return Err(EksAuthError::InvalidParameter(
                "1 validation error detected: Value at 'token' failed to satisfy constraint: Member must satisfy \
                 regular expression pattern: [A-Za-z0-9-_=]+\\.[A-Za-z0-9-_=]+\\.[A-Za-z0-9-_=]+"
                    .into(),
            ));
        }
        let cluster = self.eks.describe_cluster(caller, cluster_name).await?;
        let invalid = |why: &str| EksAuthError::InvalidToken(why.to_owned());
        let parsed = WebToken::decode(token).map_err(|_| invalid("Failed to parse the token"))?;
        if parsed.issuer() != Some(cluster.oidc_issuer.as_str()) {
            return Err(invalid("The token was not issued by the cluster"));
        }
        let jwks =
            self.keys.jwks(&cluster.oidc_issuer).await.ok_or_else(|| invalid("The token's issuer has no keys"))?;
        let now = self.eks.now();
        match parsed.verify_signature(&jwks).and_then(|()| parsed.check_times(now)) {
            Ok(()) => {}
            Err(JwtError::Expired { .. }) => return Err(EksAuthError::ExpiredToken("The token has expired".into())),
            Err(_) => return Err(invalid("The token's signature could not be verified")),
        }
        if !parsed.audiences().contains(&POD_IDENTITY_AUDIENCE) {
            return Err(invalid(&format!("The token's audience is not {POD_IDENTITY_AUDIENCE}")));
        }
        let subject = parsed.subject().unwrap_or_default();
        let Some((namespace, service_account)) =
            subject.strip_prefix("system:serviceaccount:").and_then(|rest| rest.split_once(':'))
        else {
            return Err(invalid("The token's subject is not a service account"));
        };
        let association =
            self.eks.pod_identity_of(caller, cluster_name, namespace, service_account).await?.ok_or_else(|| {
                EksAuthError::ResourceNotFound(format!(
                    "No Pod Identity Association found for service account {service_account} in namespace \
                     {namespace} of cluster {cluster_name}"
                ))
            })?;
        let pod = parsed.claims.get("kubernetes.io").and_then(|claims| claims.get("pod"));
        let pod_field = |field: &str| pod.and_then(|pod| pod.get(field)).and_then(Value::as_str).unwrap_or_default();
        let (pod_name, pod_uid) = (pod_field("name"), pod_field("uid"));
        let mut session_name = format!(
            "eks-{cluster_name}-{}-{}",
            if pod_name.is_empty() { service_account } else { pod_name },
            crate::ids::uuid()
        );
        session_name.truncate(64);
        let session_name = session_name.trim_end_matches('-').to_owned();
        let tags: Vec<Tag> = if association.disable_session_tags {
            Vec::new()
        } else {
            [
                ("eks-cluster-arn", cluster.arn.as_str()),
                ("eks-cluster-name", cluster_name),
                ("kubernetes-namespace", namespace),
                ("kubernetes-service-account", service_account),
                ("kubernetes-pod-name", pod_name),
                ("kubernetes-pod-uid", pod_uid),
            ]
            .into_iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(key, value)| Tag { key: key.to_owned(), value: value.to_owned() })
            .collect()
        };
        let assumed = self
            .sts
            .assume_role_for_service(
                POD_IDENTITY_AUDIENCE,
                &association.role_arn,
                &session_name,
                &tags,
                SESSION_SECONDS,
            )
            .await?
            .ok_or_else(|| {
                EksAuthError::AccessDenied(format!(
                    "Failed to assume role {}: its trust policy must allow {POD_IDENTITY_AUDIENCE} sts:AssumeRole and \
                     sts:TagSession",
                    association.role_arn
                ))
            })?;
        Ok(PodIdentityCredentials {
            namespace: namespace.to_owned(),
            service_account: service_account.to_owned(),
            audience: POD_IDENTITY_AUDIENCE.to_owned(),
            association_arn: association.arn,
            association_id: association.id,
            assumed,
        })
    }
}

#[cfg(test)]
mod tests;
