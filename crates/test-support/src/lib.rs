//! What the integration tests of the crates that are clients of a cluster's API (controllers, scheduler, node
//! agent) share: a fresh in-process cluster on a memory store with a client of it, polling with a deadline, and
//! objects from JSON. A dev-dependency only: nothing that ships links it.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use apiserver::{ControlPlanes, Identity, LocalService};
use serde::de::DeserializeOwned;

/// A fresh cluster `test` on a memory store and a client acting as `user` in `system:masters`.
pub async fn cluster_as(user: &str) -> (ControlPlanes, kube::Client) {
    let planes = ControlPlanes::new(Arc::new(store::MemoryStore::new()));
    planes.create("test", None).await.expect("create a cluster");
    let api = planes.api("test").expect("the cluster runs");
    let identity = Identity::Certificate { user: user.to_owned(), groups: vec!["system:masters".to_owned()] };
    (planes, kube::Client::new(LocalService::new(api, identity), "default"))
}

/// A fresh cluster `test` on a memory store and its admin client.
pub async fn cluster() -> (ControlPlanes, kube::Client) {
    cluster_as("test-admin").await
}

/// Polls `probe` until it returns `Some`, failing with `what` once `deadline` has passed.
pub async fn eventually<T, F, Fut>(what: &str, deadline: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let give_up = tokio::time::Instant::now() + deadline;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < give_up, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A Kubernetes object from its JSON.
pub fn object<T: DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).expect("a valid object")
}
