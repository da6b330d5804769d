//! The controllers of kube-controller-manager that make a cluster's objects come true: workload controllers
//! (ReplicaSet, Deployment, StatefulSet, DaemonSet, Job, CronJob), the garbage collector, Endpoints and
//! EndpointSlices, node lifecycle and disruption budgets.
//!
//! Every controller is a client of the cluster's API (a [`kube::Client`]), never of its store: inside ekslite the
//! client reaches the API server in-process, and the same code would run against any cluster.

pub mod disruption;
pub mod nodelifecycle;

use std::time::Duration;

/// What the controllers need to know besides the cluster.
#[derive(Debug, Clone)]
pub struct ControllersConfig {
    /// How long a node's Lease may go unrenewed before the node is NotReady (kube-controller-manager's
    /// `--node-monitor-grace-period`, 40 s upstream).
    pub node_monitor_grace_period: Duration,
}

impl Default for ControllersConfig {
    fn default() -> Self {
        ControllersConfig { node_monitor_grace_period: Duration::from_secs(40) }
    }
}

/// The controllers of one cluster, running until stopped (or dropped).
#[derive(Debug)]
pub struct Controllers {
    tasks: tokio::task::JoinSet<()>,
}

impl Controllers {
    /// Starts every controller against the cluster `client` reaches.
    pub fn start(client: kube::Client, config: ControllersConfig) -> Controllers {
        let mut tasks = tokio::task::JoinSet::new();
        tasks.spawn(nodelifecycle::run(client.clone(), config.node_monitor_grace_period));
        tasks.spawn(disruption::run(client.clone()));
        Controllers { tasks }
    }

    /// Stops every controller.
    pub async fn stop(mut self) {
        self.tasks.shutdown().await;
    }
}
