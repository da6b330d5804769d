//! Wiring the AWS side to the Kubernetes side: EKS clusters are `ControlPlanes` clusters (EKS reads their
//! `aws-auth` ConfigMap through them), EKS tokens are accepted by their API servers as the user their access entry
//! or `aws-auth` mapping names, with the access policies of the entry as grants of the ClusterRoles they mirror,
//! and every request the server's own routes do not take goes to the AWS endpoint.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use apiserver::{AccessGrant, AuthenticatedUser, ControlPlanes, TokenAuthenticator};
use aws_api::AwsApi;
use aws_model::eks::authn;
use aws_model::eks::{KubernetesClusters, KubernetesEndpoint, KubernetesSpec};
use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;

/// The largest request body the AWS endpoint reads.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// EKS's clusters, created as ekslite clusters.
#[derive(Debug)]
pub struct Clusters(pub Arc<ControlPlanes>);

#[async_trait::async_trait]
impl KubernetesClusters for Clusters {
    async fn create(&self, spec: &KubernetesSpec) -> Result<KubernetesEndpoint, String> {
        let record = self
            .0
            .create_with(&spec.name, Some(&spec.version), Some(&spec.service_cidr))
            .await
            .map_err(|error| error.to_string())?;
        Ok(KubernetesEndpoint { endpoint: record.endpoint(), ca_pem: record.pki.ca_cert.clone() })
    }

    async fn delete(&self, name: &str) -> Result<(), String> {
        match self.0.delete(name).await {
            Ok(_) | Err(apiserver::ClusterError::NotFound(_)) => Ok(()),
            Err(error) => Err(error.to_string()),
        }
    }

    async fn config_map(
        &self,
        cluster: &str,
        namespace: &str,
        name: &str,
    ) -> Result<Option<BTreeMap<String, String>>, String> {
        self.0.config_map(cluster, namespace, name).await.map_err(|error| error.to_string())
    }
}

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
            ("canonicalArn".to_owned(), vec![authn::canonical_arn(&user.arn)]),
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

/// The fallback route: the AWS endpoint.
pub async fn endpoint(api: Arc<AwsApi>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let limited = http_body_util::Limited::new(body, MAX_BODY_BYTES);
    let bytes = match limited.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return (axum::http::StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
        }
    };
    let response = api.handle(http::Request::from_parts(parts, bytes)).await;
    let (parts, body) = response.into_parts();
    Response::from_parts(parts, Body::from(body))
}
