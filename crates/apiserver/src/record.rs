//! A cluster as stored under `/ekslite/clusters/<name>`: its name, uid, Kubernetes version, port, certificates,
//! service range and token issuer, with the kubeconfig and issuer derived from them; and the versions a cluster
//! can run.

use serde::{Deserialize, Serialize};

use crate::allocate::{DEFAULT_SERVICE_CIDR, Ipv4Cidr};
use crate::pki::ClusterPki;

/// The Kubernetes versions a cluster can run, oldest first, with the patch release each reports.
pub const KUBERNETES_VERSIONS: &[(&str, &str)] =
    &[("1.30", "1.30.14"), ("1.31", "1.31.13"), ("1.32", "1.32.9"), ("1.33", "1.33.5"), ("1.34", "1.34.1")];

/// The version a cluster gets when none is asked for.
pub const DEFAULT_VERSION: &str = "1.34";

/// A cluster as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterRecord {
    pub name: String,
    pub uid: String,
    /// `major.minor`, e.g. `1.34`.
    pub version: String,
    pub created: String,
    /// The loopback port of the cluster's API server.
    pub port: u16,
    pub pki: ClusterPki,
    /// The range service cluster IPs come from; [`DEFAULT_SERVICE_CIDR`] when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_cidr: Option<String>,
    /// The id of the cluster's public OpenID Connect issuer, which its API server serves at `/id/<id>`; clusters
    /// without one (and those stored before issuers were served) use the in-cluster issuer name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc_issuer_id: Option<String>,
    /// The issuer URL, `https://127.0.0.1:<port>/id/<id>`, fixed when the API server first gets its port so
    /// that tokens and IAM providers keep naming it across restarts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc_issuer: Option<String>,
}

impl ClusterRecord {
    /// The range service cluster IPs come from.
    pub(crate) fn service_cidr(&self) -> Ipv4Cidr {
        self.service_cidr
            .as_deref()
            .and_then(Ipv4Cidr::parse)
            .unwrap_or_else(|| Ipv4Cidr::parse(DEFAULT_SERVICE_CIDR).expect("the default CIDR parses"))
    }

    pub fn endpoint(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// The `iss` of the cluster's service account tokens.
    pub fn issuer(&self) -> &str {
        self.oidc_issuer.as_deref().unwrap_or(crate::tokens::DEFAULT_ISSUER)
    }

    /// The cluster's service account token issuer (signer, verifier and discovery documents).
    pub(crate) fn token_issuer(&self) -> Result<crate::tokens::TokenIssuer, String> {
        let key = self.pki.service_account_key_der().map_err(|error| error.to_string())?;
        crate::tokens::TokenIssuer::new(&key, self.issuer())
    }

    /// A kubeconfig with the cluster's CA and the admin client certificate.
    pub fn kubeconfig(&self) -> String {
        use base64::Engine;
        let b64 = |pem: &str| base64::engine::general_purpose::STANDARD.encode(pem.as_bytes());
        let name = &self.name;
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: {name}\n  cluster:\n    server: {server}\n    certificate-authority-data: {ca}\ncontexts:\n- name: {name}\n  context:\n    cluster: {name}\n    user: {name}-admin\ncurrent-context: {name}\nusers:\n- name: {name}-admin\n  user:\n    client-certificate-data: {cert}\n    client-key-data: {key}\n",
            server = self.endpoint(),
            ca = b64(&self.pki.ca_cert),
            cert = b64(&self.pki.admin_cert),
            key = b64(&self.pki.admin_key),
        )
    }
}
