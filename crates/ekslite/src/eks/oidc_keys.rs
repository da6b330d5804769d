//! The keys of the clusters' OpenID Connect issuers, for STS's AssumeRoleWithWebIdentity (IRSA).

use std::sync::Arc;

use apiserver::ControlPlanes;

/// The OpenID Connect issuers of the clusters, whose keys STS checks web identity tokens with (no HTTP fetch).
#[derive(Debug)]
pub struct ClusterIssuers(pub Arc<ControlPlanes>);

#[async_trait::async_trait]
impl aws_model::sts::OidcKeys for ClusterIssuers {
    async fn jwks(&self, issuer_url: &str) -> Option<serde_json::Value> {
        self.0.issuer_jwks(issuer_url)
    }
}
