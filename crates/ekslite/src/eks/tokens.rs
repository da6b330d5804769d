//! EKS tokens (`aws eks get-token`) as the clusters' API servers accept them: the user their access entry or
//! `aws-auth` mapping names, with the access policies of the entry as grants of the ClusterRoles they mirror.

use std::sync::{Arc, OnceLock};

use apiserver::{AccessGrant, AuthenticatedUser, TokenAuthenticator};
use aws_api::AwsApi;
use aws_model::eks::authn;

/// EKS tokens, checked by the AWS endpoint once it exists (it is built after the control planes).
#[derive(Debug, Default)]
pub struct EksTokens(pub OnceLock<Arc<AwsApi>>);

#[async_trait::async_trait]
impl TokenAuthenticator for EksTokens {
    async fn authenticate(&self, cluster: &str, token: &str) -> Option<AuthenticatedUser> {
        let api = self.0.get()?;
        let user = api.authenticate_eks_token(cluster, token).await?;
        let extra = [
            ("accessKeyId".to_owned(), vec![user.access_key_id.clone()]),
            ("arn".to_owned(), vec![user.arn.clone()]),
            ("canonicalArn".to_owned(), vec![user.canonical_arn.clone()]),
        ]
        .into_iter()
        .collect();
        // Access policies authorize as the upstream ClusterRoles they mirror, in their scope.
        let grants = user
            .policies
            .iter()
            .filter_map(|policy| {
                let cluster_role = authn::upstream_cluster_role(&policy.policy_arn)?;
                Some(AccessGrant { cluster_role: cluster_role.to_owned(), namespaces: policy.namespaces.clone() })
            })
            .collect();
        Some(AuthenticatedUser { username: user.username, uid: user.uid, groups: user.groups, extra, grants })
    }
}
