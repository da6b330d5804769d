//! Each cluster's data plane, started beside its API server and stopped before it: the controllers, the scheduler
//! and the simulated nodes, each an in-process client of the cluster's API (`apiserver::LocalService`), as
//! kube-controller-manager, kube-scheduler and kubelets are clients of kube-apiserver.
//!
//! Which nodes a cluster has comes from a [`NodeSource`]: for EKS clusters, the EC2 instances of their managed
//! node groups (see `eks/nodes.rs`). The source is asked again as soon as it reports a change and when a fault is
//! injected (and every few seconds as a safety net), and the node agent follows it.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::Notify;

use apiserver::{ClusterApi, ClusterObserver, ClusterRecord, Identity, LocalService};
use controllers::servicelb::bindings::ControllerWebhooks;
use controllers::{Controllers, ControllersConfig};
use node_agent::{AgentConfig, NodeAgent, NodeSpec, PodNetwork, SubnetPool};
use tokio::task::JoinHandle;

use crate::fargate::{FargateCapacity, FargateNodes};

/// How often a cluster's nodes are asked for while the source does not answer for it.
const NODE_SYNC_PERIOD: Duration = Duration::from_secs(1);
/// How often they are read again when the source answered and reports no change (a safety net: changes wake
/// the sync at once).
const NODE_RESYNC_PERIOD: Duration = Duration::from_secs(5);

/// The nodes a cluster should have now.
#[derive(Debug, Default, Clone)]
pub struct DesiredNodes {
    pub nodes: Vec<NodeSpec>,
    /// Nodes whose machine is down (a stopped instance, an injected failure): their Node objects stay, but
    /// nothing renews their Lease or reports their pods.
    pub failed: Vec<String>,
    /// The source's count of changes when it answered, for [`NodeSource::changed`].
    pub generation: u64,
    /// Nodes to cordon and drain before their machine goes (a managed node group scaling in): each is drained
    /// ([`controllers::drain`]) and then reported with [`NodeSource::drained`].
    pub draining: Vec<String>,
}

/// Where a cluster's nodes come from.
#[async_trait::async_trait]
pub trait NodeSource: Send + Sync + std::fmt::Debug {
    /// The cluster's nodes, or `None` when this source does not manage the cluster (its nodes are then left as
    /// they are).
    async fn nodes(&self, cluster: &str) -> Option<DesiredNodes>;
    /// Hands out pod IPs for the cluster's nodes.
    fn network(&self, cluster: &str) -> Option<Arc<dyn PodNetwork>>;
    /// Where the cluster's EBS volumes live, when somewhere outside the cluster (EC2 for EKS clusters).
    fn ebs(&self, cluster: &str) -> Option<Arc<dyn controllers::ebs::EbsVolumes>> {
        let _ = cluster;
        None
    }
    /// Where the cluster's Service load balancers live (Elastic Load Balancing for EKS clusters); without one,
    /// Services of type `LoadBalancer` stay pending. `client` reaches the cluster.
    fn load_balancers(
        &self,
        cluster: &str,
        client: kube::Client,
    ) -> Option<Arc<dyn controllers::load_balancers::LoadBalancers>> {
        let _ = (cluster, client);
        None
    }
    /// Where the cluster's node groups live (the Auto Scaling groups of EKS managed node groups), for the
    /// cluster autoscaler; without them it never runs.
    fn node_groups(&self, cluster: &str) -> Option<Arc<dyn controllers::node_groups::NodeGroups>> {
        let _ = cluster;
        None
    }
    /// Where the cluster's provisioned instances live (EC2 for EKS clusters), for Karpenter and EKS Auto Mode;
    /// without it neither runs.
    fn fleet(&self, cluster: &str) -> Option<Arc<dyn controllers::fleet::Fleet>> {
        let _ = cluster;
        None
    }
    /// A node of [`DesiredNodes::draining`] is drained: its machine may go.
    async fn drained(&self, cluster: &str, node: &str) {
        let _ = (cluster, node);
    }
    /// Returns once the cluster's nodes may differ from those of [`DesiredNodes::generation`] `after`. A source
    /// that cannot tell never returns; the nodes are read again every few seconds anyway.
    async fn changed(&self, cluster: &str, after: u64) {
        let _ = (cluster, after);
        std::future::pending::<()>().await;
    }
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
    fargate: OnceLock<(Arc<dyn FargateCapacity>, FargateNodes)>,
    /// EFS, where EKS clusters' EFS CSI driver keeps its access points and finds mount targets.
    efs: OnceLock<aws_model::efs::Efs>,
    running: Mutex<HashMap<String, Running>>,
    /// Nodes and zones failed by hand (`/_ekslite/clusters/<name>/{nodes,zones}/<name>/fail`), by cluster.
    injected: Arc<Mutex<HashMap<String, Injected>>>,
    /// Wakes every cluster's node sync when a fault is injected or lifted.
    faults_changed: Arc<Notify>,
}

/// What was failed by hand in one cluster.
#[derive(Debug, Default, Clone)]
struct Injected {
    nodes: Vec<String>,
    zones: Vec<String>,
}

/// The label that names a node's availability zone.
const ZONE_LABEL: &str = "topology.kubernetes.io/zone";

#[derive(Debug)]
struct Running {
    controllers: Controllers,
    /// Which readiness gates the cluster's new pods get (kept by its load balancer controller).
    gates: Arc<ControllerWebhooks>,
    /// The recommendations the Vertical Pod Autoscaler's admission controller gives new pods (kept by its
    /// controller).
    vpa: Arc<controllers::vpa::Recommendations>,
    scheduler: JoinHandle<()>,
    sync: JoinHandle<()>,
    fargate: Option<JoinHandle<()>>,
    /// The workloads' loads set at run time (`ekslite load set`), read by the agent.
    loads: Arc<node_agent::usage::Loads>,
    agent: Arc<NodeAgent>,
}

impl DataPlanes {
    pub fn new(config: DataPlaneConfig) -> DataPlanes {
        DataPlanes {
            config,
            source: Arc::new(OnceLock::new()),
            fargate: OnceLock::new(),
            efs: OnceLock::new(),
            running: Mutex::new(HashMap::new()),
            injected: Arc::new(Mutex::new(HashMap::new())),
            faults_changed: Arc::new(Notify::new()),
        }
    }

    /// Sets where nodes come from (once: it is built after the control planes, which start data planes).
    pub fn set_source(&self, source: Arc<dyn NodeSource>) {
        let _ = self.source.set(source);
    }

    /// Runs a Fargate scheduler beside every cluster started from now on.
    pub fn set_fargate(&self, capacity: Arc<dyn FargateCapacity>, nodes: FargateNodes) {
        let _ = self.fargate.set((capacity, nodes));
    }

    /// Gives every EKS cluster started from now on the EFS CSI driver over `efs`: its controller provisions
    /// access points, its node plugin mounts only where a mount target is.
    pub fn set_efs(&self, efs: aws_model::efs::Efs) {
        let _ = self.efs.set(efs);
    }

    /// Fails a node (`zone` false) or every node of a zone (`zone` true) as if its machines died, or brings
    /// them back (`failed` false); false when the cluster does not run here.
    pub fn set_failed(&self, cluster: &str, name: &str, zone: bool, failed: bool) -> bool {
        if !self.running.lock().expect("data plane lock").contains_key(cluster) {
            return false;
        }
        let mut injected = self.injected.lock().expect("injected lock");
        let entry = injected.entry(cluster.to_owned()).or_default();
        let names = if zone { &mut entry.zones } else { &mut entry.nodes };
        names.retain(|known| known != name);
        if failed {
            names.push(name.to_owned());
        }
        self.faults_changed.notify_waiters();
        true
    }
}

pub(crate) fn client(api: &Arc<ClusterApi>, user: &str) -> kube::Client {
    // In-process components act with cluster-admin rights, as a certificate in system:masters would.
    let identity = Identity::Certificate { user: user.to_owned(), groups: vec!["system:masters".to_owned()] };
    kube::Client::new(LocalService::new(Arc::clone(api), identity), "default")
}

/// The pod webhooks of the cluster's add-ons, read from memory: the AWS Load Balancer Controller's (a new pod of a
/// namespace labelled `elbv2.k8s.aws/pod-readiness-gate-inject: enabled` gets a readiness gate per ip
/// `TargetGroupBinding` whose Service selects it, kept by the cluster's load balancer controller) and the Vertical
/// Pod Autoscaler's admission controller (a new pod of a VPA's target gets its recommended requests, kept by the
/// cluster's VPA controller while the admission controller is installed).
#[async_trait::async_trait]
impl apiserver::PodAdmission for DataPlanes {
    async fn admit(
        &self,
        cluster: &str,
        namespace: &str,
        pod: &mut serde_json::Value,
        _service_account: Option<&serde_json::Value>,
    ) -> Result<(), String> {
        let (gates, vpa) = match self.running.lock().expect("data plane lock").get(cluster) {
            Some(running) => (Arc::clone(&running.gates), Arc::clone(&running.vpa)),
            None => return Ok(()),
        };
        vpa.admit(namespace, pod);
        if !gates.injects(namespace) {
            return Ok(());
        }
        let labels: std::collections::BTreeMap<String, String> =
            pod.pointer("/metadata/labels").and_then(|l| serde_json::from_value(l.clone()).ok()).unwrap_or_default();
        let wanted = gates.gates_for(namespace, &labels);
        controllers::servicelb::bindings::inject_gates(pod, &wanted);
        Ok(())
    }
}

impl DataPlanes {
    /// The run-time loads of a cluster whose data plane runs here.
    pub fn loads(&self, cluster: &str) -> Option<Arc<node_agent::usage::Loads>> {
        Some(Arc::clone(&self.running.lock().expect("data plane lock").get(cluster)?.loads))
    }
}

impl crate::metrics_server::UsageSource for DataPlanes {
    fn usage(&self, cluster: &str) -> Option<node_agent::usage::UsageSnapshot> {
        let agent = Arc::clone(&self.running.lock().expect("data plane lock").get(cluster)?.agent);
        Some(agent.usage())
    }
}

/// The AWS Load Balancer Controller's Service webhook: while it is registered and the controller runs, a new
/// `LoadBalancer` Service without a class gets `service.k8s.aws/nlb`.
#[async_trait::async_trait]
impl apiserver::ServiceAdmission for DataPlanes {
    async fn admit(&self, cluster: &str, _namespace: &str, service: &mut serde_json::Value) -> Result<(), String> {
        let class = self.running.lock().expect("data plane lock").get(cluster).and_then(|r| r.gates.service_class());
        if let Some(class) = class {
            controllers::servicelb::bindings::default_class(service, class);
        }
        Ok(())
    }
}

impl ClusterObserver for DataPlanes {
    fn started(&self, record: &ClusterRecord, api: Arc<ClusterApi>) {
        let name = record.name.clone();
        let mut config = self.config.controllers.clone();
        config.ebs = self.source.get().and_then(|source| source.ebs(&name));
        config.node_groups = self.source.get().and_then(|source| source.node_groups(&name));
        config.fleet = self.source.get().and_then(|source| source.fleet(&name));
        config.load_balancers =
            self.source.get().and_then(|source| source.load_balancers(&name, client(&api, "cloud-controller-manager")));
        let efs = self.efs.get().and_then(|efs| crate::eks::efs::EfsCsi::for_cluster(&name, efs.clone())).map(Arc::new);
        config.efs = efs.clone().map(|efs| efs as Arc<dyn controllers::efs::EfsVolumes>);
        // The cluster's CA is also the CA its API server trusts for client certificates.
        config.signing_ca = Some(controllers::csrsigning::SigningCa {
            cert_pem: record.pki.ca_cert.clone(),
            key_pem: record.pki.ca_key.clone(),
        });
        let gates = Arc::new(ControllerWebhooks::default());
        if config.load_balancers.is_some() {
            config.webhooks = Some(Arc::clone(&gates));
        }
        let vpa = Arc::new(controllers::vpa::Recommendations::default());
        config.vpa = Some(Arc::clone(&vpa));
        let controllers = Controllers::start(client(&api, "system:kube-controller-manager"), config);
        let scheduler =
            tokio::spawn(scheduler::run(client(&api, "system:kube-scheduler"), scheduler::SchedulerConfig::default()));
        let network = self
            .source
            .get()
            .and_then(|source| source.network(&name))
            .unwrap_or_else(|| Arc::new(SubnetPool::default()) as Arc<dyn PodNetwork>);
        let mounts = efs.map(|efs| {
            let mounts = crate::eks::efs::EfsMounts::new(client(&api, "system:node-agent"), efs);
            Arc::new(mounts) as Arc<dyn node_agent::PodVolumes>
        });
        let loads = Arc::new(node_agent::usage::Loads::default());
        let agent = Arc::new(NodeAgent::start_with_volumes(
            client(&api, "system:node-agent"),
            AgentConfig { loads: Arc::clone(&loads), ..self.config.agent.clone() },
            network,
            mounts,
        ));
        let sync = tokio::spawn(sync_nodes(
            name.clone(),
            client(&api, "eks:node-manager"),
            Arc::clone(&self.source),
            Arc::clone(&agent),
            Arc::clone(&self.injected),
            Arc::clone(&self.faults_changed),
        ));
        let fargate = self.fargate.get().map(|(capacity, nodes)| {
            let client = client(&api, "fargate-scheduler");
            tokio::spawn(crate::fargate::run(name.clone(), client, Arc::clone(capacity), nodes.clone()))
        });
        let running = Running { controllers, gates, vpa, scheduler, sync, fargate, agent, loads };
        self.running.lock().expect("data plane lock").insert(name, running);
    }

    fn stopping(&self, name: &str) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        let running = self.running.lock().expect("data plane lock").remove(name);
        Box::pin(async move {
            let Some(running) = running else { return };
            running.sync.abort();
            running.scheduler.abort();
            if let Some(fargate) = running.fargate {
                fargate.abort();
            }
            running.controllers.stop().await;
            match Arc::try_unwrap(running.agent) {
                Ok(agent) => agent.stop().await,
                Err(_) => tracing::warn!("the node agent is still shared; it stops with its last user"),
            }
        })
    }

    fn deleting(&self, name: &str) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        let name = name.to_owned();
        Box::pin(async move {
            // Fargate nodes hold addresses in their subnets; with the cluster gone nothing else would free them.
            if let Some((capacity, nodes)) = self.fargate.get() {
                crate::fargate::release_all(&name, capacity.as_ref(), nodes).await;
            }
        })
    }
}

/// The names whose machine went away since the last call (the name gone, or now on another provider ID), with
/// `machines` brought up to date.
fn replaced_machines(machines: &mut HashMap<String, Option<String>>, nodes: &[NodeSpec]) -> Vec<String> {
    let current: HashMap<String, Option<String>> =
        nodes.iter().map(|node| (node.name.clone(), node.provider_id.clone())).collect();
    let replaced = machines
        .iter()
        .filter(|(name, machine)| current.get(*name).is_none_or(|now| now != *machine))
        .map(|(name, _)| name.clone())
        .collect();
    *machines = current;
    replaced
}

/// Keeps the cluster's node agent following its source.
async fn sync_nodes(
    cluster: String,
    client: kube::Client,
    source: Arc<OnceLock<Arc<dyn NodeSource>>>,
    agent: Arc<NodeAgent>,
    injected: Arc<Mutex<HashMap<String, Injected>>>,
    faults_changed: Arc<Notify>,
) {
    let mut failed_before: Vec<String> = Vec::new();
    // The machine (provider ID) behind each node name at the last sync.
    let mut machines: HashMap<String, Option<String>> = HashMap::new();
    // The drain of each node the source wants drained, kept (finished or not) while it wants it.
    let mut drains: HashMap<String, tokio_util::task::AbortOnDropHandle<()>> = HashMap::new();
    loop {
        // Armed before reading, so that a fault injected meanwhile is not missed.
        let fault = faults_changed.notified();
        tokio::pin!(fault);
        fault.as_mut().enable();
        let Some(source) = source.get() else {
            tokio::time::sleep(NODE_SYNC_PERIOD).await;
            continue;
        };
        // Unknown while the source does not answer for the cluster: then only the period and faults wake it.
        let mut seen = None;
        if let Some(desired) = source.nodes(&cluster).await {
            seen = Some(desired.generation);
            // A node failed by hand is a machine that died: once that machine is gone (its name gone, or reused by
            // a replacement), the failure goes with it, and a replacement is a node never failed before.
            let replaced = replaced_machines(&mut machines, &desired.nodes);
            failed_before.retain(|node| !replaced.contains(node));
            let by_hand = {
                let mut injected = injected.lock().expect("injected lock");
                let by_hand = injected.entry(cluster.clone()).or_default();
                by_hand.nodes.retain(|node| !replaced.contains(node));
                by_hand.clone()
            };
            let mut failed = desired.failed.clone();
            failed.extend(by_hand.nodes);
            for node in &desired.nodes {
                if node.labels.get(ZONE_LABEL).is_some_and(|zone| by_hand.zones.contains(zone)) {
                    failed.push(node.name.clone());
                }
            }
            drains.retain(|node, _| desired.draining.contains(node));
            for node in &desired.draining {
                if !drains.contains_key(node) {
                    let task = drain(cluster.clone(), node.clone(), client.clone(), Arc::clone(source));
                    drains.insert(node.clone(), tokio_util::task::AbortOnDropHandle::new(tokio::spawn(task)));
                }
            }
            agent.set_nodes(desired.nodes);
            for node in failed.iter().filter(|node| !failed_before.contains(node)) {
                agent.fail(node);
            }
            for node in failed_before.iter().filter(|node| !failed.contains(node)) {
                agent.recover(node);
            }
            failed_before = failed;
        }
        let (changed, period) = match seen {
            Some(generation) => {
                (futures::future::Either::Left(source.changed(&cluster, generation)), NODE_RESYNC_PERIOD)
            }
            None => (futures::future::Either::Right(std::future::pending()), NODE_SYNC_PERIOD),
        };
        tokio::select! {
            () = changed => {}
            () = fault => {}
            () = tokio::time::sleep(period) => {}
        }
    }
}

/// How often a drain looks at its node again while pods are still leaving it.
const DRAIN_PERIOD: Duration = Duration::from_secs(1);

/// Drains `node` until no pod but DaemonSet and static ones is left, then tells the source.
async fn drain(cluster: String, node: String, client: kube::Client, source: Arc<dyn NodeSource>) {
    loop {
        match controllers::drain::drain_step(&client, &node).await {
            Ok(true) => break,
            Ok(false) => {}
            Err(error) => tracing::warn!(%error, %node, "draining a node"),
        }
        tokio::time::sleep(DRAIN_PERIOD).await;
    }
    source.drained(&cluster, &node).await;
}

/// The fault routes: `POST /_ekslite/clusters/<cluster>/nodes/<node>/fail` (or `/recover`) and the same under
/// `zones/<zone>`, so that tests and demos can kill nodes and whole zones and watch the cluster heal.
pub fn routes(data_planes: Arc<DataPlanes>) -> axum::Router {
    use axum::extract::{Path, State};
    use axum::http::StatusCode;
    use axum::routing::post;

    async fn fault(
        State(planes): State<Arc<DataPlanes>>,
        Path((cluster, kind, name, action)): Path<(String, String, String, String)>,
    ) -> (StatusCode, axum::Json<serde_json::Value>) {
        let zone = match kind.as_str() {
            "nodes" => false,
            "zones" => true,
            _ => return (StatusCode::NOT_FOUND, axum::Json(serde_json::json!({ "message": "no such fault target" }))),
        };
        let failed = match action.as_str() {
            "fail" => true,
            "recover" => false,
            _ => return (StatusCode::NOT_FOUND, axum::Json(serde_json::json!({ "message": "no such fault action" }))),
        };
        if !planes.set_failed(&cluster, &name, zone, failed) {
            let message = format!("cluster {cluster:?} not found");
            return (StatusCode::NOT_FOUND, axum::Json(serde_json::json!({ "message": message })));
        }
        let state = if failed { "failed" } else { "recovered" };
        (StatusCode::OK, axum::Json(serde_json::json!({ "cluster": cluster, kind: name, "state": state })))
    }

    axum::Router::new().route("/_ekslite/clusters/{name}/{kind}/{target}/{action}", post(fault)).with_state(data_planes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, instance: &str) -> NodeSpec {
        NodeSpec {
            name: name.to_owned(),
            provider_id: Some(format!("aws:///us-east-1a/{instance}")),
            ..NodeSpec::default()
        }
    }

    #[test]
    fn a_name_whose_machine_went_or_changed_is_replaced() {
        let mut machines = HashMap::new();
        assert!(replaced_machines(&mut machines, &[node("a", "i-1"), node("b", "i-2")]).is_empty());
        assert!(replaced_machines(&mut machines, &[node("a", "i-1"), node("b", "i-2")]).is_empty());
        // b's instance is terminated and a new one reuses its address, and so its name; then a goes.
        assert_eq!(replaced_machines(&mut machines, &[node("a", "i-1"), node("b", "i-3")]), vec!["b".to_owned()]);
        assert_eq!(replaced_machines(&mut machines, &[node("b", "i-3")]), vec!["a".to_owned()]);
        assert!(replaced_machines(&mut machines, &[node("b", "i-3")]).is_empty());
    }
}
