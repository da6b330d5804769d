//! The Kubernetes side of ekslite: clusters, each with its own API server over HTTPS that real `kubectl`, helm
//! and client libraries use unmodified.
//!
//! [`ControlPlanes`] owns every cluster: their records, certificates and running API servers. A cluster's API
//! server keeps its objects as JSON in the shared [`store`], under the cluster's own key prefix, and serves
//! discovery, the REST verbs and watches with kube-apiserver's semantics.

mod admission;
mod allocate;
mod authz;
mod binding;
mod cluster;
mod component_status;
mod crd;
mod decoded;
mod discovery;
mod eviction;
mod local;
mod media;
mod object;
mod pki;
mod registry;
mod request;
mod rest;
mod reviews;
mod selector;
mod server;
mod smp;
mod ssa;
mod status;
mod table;
mod tokens;
mod watch;

pub use cluster::{
    ClusterApi, ClusterError, ClusterObserver, ClusterRecord, ControlPlanes, DEFAULT_VERSION, KUBERNETES_VERSIONS,
};
pub use local::LocalService;
pub use pki::ClusterPki;
pub use server::{AccessGrant, AuthenticatedUser, Identity, PodAdmission, TokenAuthenticator};

#[cfg(test)]
mod tests;
