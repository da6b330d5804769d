//! Who a request comes from: the identity a connection or token proves, the user an authenticator reports, and
//! the grants it attaches beside RBAC. A leaf: it imports nothing of the crate.

use std::collections::BTreeMap;

/// Who sent a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    Anonymous,
    /// Presented a client certificate that the cluster's CA signed.
    Certificate {
        user: String,
        groups: Vec<String>,
    },
    /// Presented a bearer token that a [`TokenAuthenticator`] accepted.
    Token(AuthenticatedUser),
}

/// A user as an authenticator reports it: what kube-apiserver's `user.Info` holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatedUser {
    pub username: String,
    pub uid: String,
    pub groups: Vec<String>,
    pub extra: BTreeMap<String, Vec<String>>,
    /// Permissions the authenticator grants beside RBAC (EKS access policies).
    pub grants: Vec<AccessGrant>,
}

/// A permission an authenticator grants beside RBAC: the rules of a ClusterRole, in the whole cluster or only
/// in some namespaces. The authorizer allows a request that RBAC or any grant in scope allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessGrant {
    /// The ClusterRole whose rules (with those it aggregates) are granted.
    pub cluster_role: String,
    /// `None`: everywhere, cluster-scoped requests included. Else only requests in a namespace one of these
    /// names matches, where `*` matches any run of characters.
    pub namespaces: Option<Vec<String>>,
}
