//! What the controllers' integration tests share: one in-process cluster with the controllers running against it,
//! polling with a deadline, and objects from JSON. Each test binary uses part of it.
#![allow(dead_code)]

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use apiserver::{ControlPlanes, Identity, LocalService};
use controllers::{Controllers, ControllersConfig};
use serde::de::DeserializeOwned;

pub struct Harness {
    pub planes: ControlPlanes,
    pub client: kube::Client,
    pub controllers: Controllers,
}

/// A fresh cluster on a memory store and its admin client, with no controller running.
pub async fn cluster() -> (ControlPlanes, kube::Client) {
    let planes = ControlPlanes::new(Arc::new(store::MemoryStore::new()));
    planes.create("test", None).await.expect("create a cluster");
    let api = planes.api("test").expect("the cluster runs");
    let identity = Identity::Certificate { user: "test-admin".into(), groups: vec!["system:masters".into()] };
    (planes, kube::Client::new(LocalService::new(api, identity), "default"))
}

/// A fresh cluster on a memory store, its admin client, and the controllers with `config`.
pub async fn start_with(config: ControllersConfig) -> Harness {
    let (planes, client) = cluster().await;
    let controllers = Controllers::start(client.clone(), config);
    Harness { planes, client, controllers }
}

impl Harness {
    pub async fn stop(self) {
        self.controllers.stop().await;
        self.planes.stop_all().await;
    }
}

/// Polls `probe` until it returns `Some`, failing after `deadline`.
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
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn object<T: DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).expect("a valid object")
}
