//! Each cluster's data plane, started beside its API server and stopped before it: the controllers, the scheduler
//! and the simulated nodes, each an in-process client of the cluster's API (`apiserver::LocalService`), as
//! kube-controller-manager, kube-scheduler and kubelets are clients of kube-apiserver.
//!
//! Which nodes a cluster has comes from a [`NodeSource`]: for EKS clusters, the EC2 instances of their managed
//! node groups (see `aws.rs`). The source is asked again every second and the node agent follows it.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use apiserver::{ClusterApi, ClusterObserver, ClusterRecord, Identity, LocalService};
use controllers::{Controllers, ControllersConfig};
use node_agent::{AgentConfig, NodeAgent, NodeSpec, PodNetwork, SubnetPool};
use tokio::task::JoinHandle;

/// How often a cluster's nodes are read again from their source.
const NODE_SYNC_PERIOD: Duration = Duration::from_secs(1);

/// The nodes a cluster should have now.
#[derive(Debug, Default, Clone)]
pub struct DesiredNodes {
    pub nodes: Vec<NodeSpec>,
    /// Nodes whose machine is down (a stopped instance, an injected failure): their Node objects stay, but
    /// nothing renews their Lease or reports their pods.
    pub failed: Vec<String>,
}

/// Where a cluster's nodes come from.
#[async_trait::async_trait]
pub trait NodeSource: Send + Sync + std::fmt::Debug {
    /// The cluster's nodes, or `None` when this source does not manage the cluster (its nodes are then left as
    /// they are).
    async fn nodes(&self, cluster: &str) -> Option<DesiredNodes>;
    /// Hands out pod IPs for the cluster's nodes.
    fn network(&self, cluster: &str) -> Option<Arc<dyn PodNetwork>>;
}

/// Settings of every cluster's data plane.
#[derive(Debug, Clone, Default)]
pub struct DataPlaneConfig {
    pub controllers: ControllersConfig,
    pub agent: AgentConfig,
}

/// The data planes of every running cluster.
#[derive(Debug)]
pub struct DataPlanes {
    config: DataPlaneConfig,
    source: Arc<OnceLock<Arc<dyn NodeSource>>>,
    running: Mutex<HashMap<String, Running>>,
    /// Nodes failed by hand (`/_ekslite/clusters/<name>/nodes/<node>/fail`), by cluster.
    injected: Arc<Mutex<HashMap<String, Vec<String>>>>,
}

#[derive(Debug)]
struct Running {
    controllers: Controllers,
    scheduler: JoinHandle<()>,
    sync: JoinHandle<()>,
    agent: Arc<NodeAgent>,
}

impl DataPlanes {
    pub fn new(config: DataPlaneConfig) -> DataPlanes {
        DataPlanes {
            config,
            source: Arc::new(OnceLock::new()),
            running: Mutex::new(HashMap::new()),
            injected: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Sets where nodes come from (once: it is built after the control planes, which start data planes).
    pub fn set_source(&self, source: Arc<dyn NodeSource>) {
        let _ = self.source.set(source);
    }

    /// Fails a node as if its machine died (`failed`) or brings it back.
    pub fn set_failed(&self, cluster: &str, node: &str, failed: bool) -> bool {
        if !self.running.lock().expect("data plane lock").contains_key(cluster) {
            return false;
        }
        let mut injected = self.injected.lock().expect("injected lock");
        let nodes = injected.entry(cluster.to_owned()).or_default();
        nodes.retain(|name| name != node);
        if failed {
            nodes.push(node.to_owned());
        }
        true
    }
}

fn client(api: &Arc<ClusterApi>, user: &str) -> kube::Client {
    // In-process components act with cluster-admin rights, as a certificate in system:masters would.
    let identity = Identity::Certificate { user: user.to_owned(), groups: vec!["system:masters".to_owned()] };
    kube::Client::new(LocalService::new(Arc::clone(api), identity), "default")
}

impl ClusterObserver for DataPlanes {
    fn started(&self, record: &ClusterRecord, api: Arc<ClusterApi>) {
        let name = record.name.clone();
        let controllers =
            Controllers::start(client(&api, "system:kube-controller-manager"), self.config.controllers.clone());
        let scheduler = tokio::spawn(scheduler::run(
            client(&api, "system:kube-scheduler"),
            scheduler::SchedulerConfig::default(),
        ));
        let network = self
            .source
            .get()
            .and_then(|source| source.network(&name))
            .unwrap_or_else(|| Arc::new(SubnetPool::default()) as Arc<dyn PodNetwork>);
        let agent = Arc::new(NodeAgent::start(client(&api, "system:node-agent"), self.config.agent.clone(), network));
        let sync = tokio::spawn(sync_nodes(
            name.clone(),
            Arc::clone(&self.source),
            Arc::clone(&agent),
            Arc::clone(&self.injected),
        ));
        let running = Running { controllers, scheduler, sync, agent };
        self.running.lock().expect("data plane lock").insert(name, running);
    }

    fn stopping(&self, name: &str) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        let running = self.running.lock().expect("data plane lock").remove(name);
        Box::pin(async move {
            let Some(running) = running else { return };
            running.sync.abort();
            running.scheduler.abort();
            running.controllers.stop().await;
            match Arc::try_unwrap(running.agent) {
                Ok(agent) => agent.stop().await,
                Err(_) => tracing::warn!("the node agent is still shared; it stops with its last user"),
            }
        })
    }
}

/// Keeps the cluster's node agent following its source.
async fn sync_nodes(
    cluster: String,
    source: Arc<OnceLock<Arc<dyn NodeSource>>>,
    agent: Arc<NodeAgent>,
    injected: Arc<Mutex<HashMap<String, Vec<String>>>>,
) {
    let mut ticker = tokio::time::interval(NODE_SYNC_PERIOD);
    let mut failed_before: Vec<String> = Vec::new();
    loop {
        ticker.tick().await;
        let Some(source) = source.get() else { continue };
        let Some(desired) = source.nodes(&cluster).await else { continue };
        let mut failed = desired.failed.clone();
        failed.extend(injected.lock().expect("injected lock").get(&cluster).cloned().unwrap_or_default());
        agent.set_nodes(desired.nodes);
        for node in failed.iter().filter(|node| !failed_before.contains(node)) {
            agent.fail(node);
        }
        for node in failed_before.iter().filter(|node| !failed.contains(node)) {
            agent.recover(node);
        }
        failed_before = failed;
    }
}
