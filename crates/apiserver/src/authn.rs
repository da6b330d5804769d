//! Bearer token authentication: a cluster's own service account tokens, checked against the objects they are
//! bound to, else the token authenticator the embedding program installed. Client certificates are read by the
//! TLS layer in `server.rs`.

use crate::api::ClusterApi;
use crate::identity::AuthenticatedUser;
use crate::tokens::TokenIssuer;

/// A bearer token's user: a service account token of this cluster, else whatever the installed authenticator
/// (EKS tokens) accepts.
pub(crate) async fn authenticate_bearer(api: &ClusterApi, token: &str) -> Option<AuthenticatedUser> {
    if let Some(claims) = api.tokens.verify(token) {
        // The token stays valid only while its service account (and the pod it is bound to) exist as they were.
        let accounts = api.registry.find("", "v1", "serviceaccounts")?;
        let kv =
            api.store.get(&api.key(accounts, Some(&claims.namespace), &claims.service_account), None).await.ok()??;
        let account: serde_json::Value = serde_json::from_slice(&kv.value).ok()?;
        if account.pointer("/metadata/uid").and_then(|v| v.as_str()) != Some(claims.service_account_uid.as_str()) {
            return None;
        }
        if let Some((pod, uid)) = &claims.pod {
            let pods = api.registry.find("", "v1", "pods")?;
            let kv = api.store.get(&api.key(pods, Some(&claims.namespace), pod), None).await.ok()??;
            let pod: serde_json::Value = serde_json::from_slice(&kv.value).ok()?;
            if pod.pointer("/metadata/uid").and_then(|v| v.as_str()) != Some(uid.as_str()) {
                return None;
            }
        }
        return Some(TokenIssuer::user(&claims));
    }
    match &api.authenticator {
        Some(authenticator) => authenticator.authenticate(&api.name, token).await,
        None => None,
    }
}
