//! What the controllers' integration tests share: one in-process cluster (`test-support`) with the controllers
//! running against it. Each test binary uses part of it.
#![allow(dead_code)]

use apiserver::ControlPlanes;
use controllers::{Controllers, ControllersConfig};
// Each test binary uses part of it.
#[allow(unused_imports)]
pub use test_support::{cluster, eventually, object};

pub struct Harness {
    pub planes: ControlPlanes,
    pub client: kube::Client,
    pub controllers: Controllers,
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
