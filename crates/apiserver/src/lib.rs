//! The Kubernetes side of ekslite: clusters, each with its own API server over HTTPS that real `kubectl`, helm
//! and client libraries use unmodified.
//!
//! [`ControlPlanes`] owns every cluster: their records, certificates and running API servers. A cluster's API
//! server keeps its objects as JSON in the shared [`store`], under the cluster's own key prefix, and serves
//! discovery, the REST verbs and watches with kube-apiserver's semantics.
//!
//! # Layers
//!
//! Modules import only from their own layer or below, and never in a cycle (a test in the `ekslite` crate,
//! `tests/architecture.rs`, reads the `crate::` paths of every module and fails on a cycle):
//!
//! 1. Leaves, importing nothing of the crate: `identity` (who sent a request), `registry` (the served resource
//!    types, their decoders and conversions), `request` (path and method to a request), `pki`, `spdy` (SPDY/3.1 frames and
//!    header compression) and `websocket` (WebSocket frames and a byte tunnel over them).
//! 2. Foundations, over the leaves: `status` (`ApiError` as a Kubernetes `Status`), `http` (JSON responses,
//!    bodies, warnings), `plugins` (the authenticator and pod admission traits), `object`, `selector`, `smp`,
//!    `patch` (decoded PATCH bodies), `ssa`, `crd`, `table`, `media`, `discovery`, `allocate`, `tokens`, `decoded`, `record` (a cluster as
//!    stored).
//! 3. `api`: `ClusterApi`, the state one cluster's handlers share, and where its objects are stored.
//! 4. Handlers, each an `impl ClusterApi` block or functions over it: `rest` (the generic verbs, a file each
//!    under `rest/`, watch included), `kinds` (one strategy per kind with behaviour of its own, whose hooks the
//!    generic verbs call), `authn`, `authz`, the connect subresources: `proxy` (pods' and services') and
//!    `portforward`, and `aggregator` (group versions APIServices pass on to a Service, over `proxy`).
//! 5. `server` (TLS and routing) and `local` (the same routing in-process).
//! 6. `cluster`: `ControlPlanes`, which creates, bootstraps, starts and deletes clusters.

mod aggregator;
mod allocate;
mod api;
mod authn;
mod authz;
mod cluster;
mod crd;
mod decoded;
mod discovery;
mod http;
mod identity;
mod kinds;
mod local;
mod media;
mod object;
mod patch;
mod pki;
mod plugins;
mod portforward;
mod proxy;
mod record;
mod registry;
mod request;
mod rest;
mod selector;
mod server;
mod smp;
mod spdy;
mod ssa;
mod status;
mod table;
mod tokens;
mod websocket;

pub use api::ClusterApi;
pub use cluster::{ClusterError, ClusterObserver, ControlPlanes};
pub use identity::{AccessGrant, AuthenticatedUser, Identity};
pub use local::LocalService;
pub use pki::ClusterPki;
pub use plugins::{PodAdmission, PodConnector, ServiceAdmission, TokenAuthenticator};
pub use record::{ClusterRecord, DEFAULT_VERSION, KUBERNETES_VERSIONS};

/// Parses a label selector written as kube-apiserver reads `?labelSelector=` (`app=web,tier in (a,b),!canary`)
/// into kube-core's matcher, for programs that serve lists as an API server does; `Err` is kube-apiserver's
/// message.
pub fn parse_label_selector(text: &str) -> Result<kube_core::Selector, String> {
    selector::LabelSelector::parse(text).map(selector::LabelSelector::into_selector).map_err(|error| error.message)
}

#[cfg(test)]
mod tests;
