//! EKS on Fargate: pods that a Fargate profile selects run each on a node of their own.
//!
//! As on EKS, a webhook ([`FargateWebhook`]) gives every new pod that an ACTIVE profile selects the
//! `fargate-scheduler` and the profile's label; the Fargate scheduler ([`run`]) then sizes each such pod
//! (its requests plus Fargate's overhead, rounded up to a Fargate size), takes an address in one of the profile's
//! subnets, registers a `fargate-ip-...` node of that size (tainted so that nothing else lands on it) and binds
//! the pod to it. When the pod finishes or goes, so does its node, and the address is released.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::task::AbortOnDropHandle;

use apiserver::PodAdmission;
use aws_model::eks::fargate::{capacity_provisioned, fargate_size};
use futures::StreamExt;
use k8s_openapi::api::core::v1::{Binding, Node, ObjectReference, Pod, Taint};
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use node_agent::{Capacity, NodeSpec};
use serde_json::{Value, json};

/// The scheduler name Fargate pods carry.
pub const FARGATE_SCHEDULER: &str = "fargate-scheduler";
/// The label naming a Fargate pod's profile, and the compute type label and taint of Fargate nodes.
const PROFILE_LABEL: &str = "eks.amazonaws.com/fargate-profile";
const COMPUTE_TYPE: &str = "eks.amazonaws.com/compute-type";
const PERIOD: Duration = Duration::from_millis(500);

/// Where a Fargate pod runs: a subnet of its profile and an address in it.
#[derive(Debug, Clone)]
pub struct FargatePlacement {
    pub zone: String,
    pub region: String,
    pub subnet_id: String,
    pub ip: Ipv4Addr,
}

/// What the Fargate scheduler needs from EC2 and EKS.
#[async_trait::async_trait]
pub trait FargateCapacity: Send + Sync + std::fmt::Debug {
    /// An address for a pod of `profile` in one of the profile's subnets.
    async fn place(&self, cluster: &str, profile: &str) -> Result<FargatePlacement, String>;
    /// Returns a Fargate node's address to its subnet.
    async fn release(&self, cluster: &str, subnet_id: &str, ip: Ipv4Addr);
    /// Whether `profile` still places pods: not deleted, nor being deleted.
    async fn profile_active(&self, _cluster: &str, _profile: &str) -> bool {
        true
    }
}

/// EKS's Fargate webhook, as a pod admission hook; it acts once EKS is set (EKS is built after the control
/// planes, which need the hook).
#[derive(Debug, Default)]
pub struct FargateWebhook {
    pub eks: std::sync::OnceLock<aws_model::eks::Eks>,
}

#[async_trait::async_trait]
impl PodAdmission for FargateWebhook {
    async fn admit(
        &self,
        cluster: &str,
        namespace: &str,
        pod: &mut Value,
        _service_account: Option<&Value>,
    ) -> Result<(), String> {
        let scheduler = pod.pointer("/spec/schedulerName").and_then(Value::as_str).unwrap_or("default-scheduler");
        if scheduler != "default-scheduler" {
            return Ok(());
        }
        let Some(eks) = self.eks.get() else { return Ok(()) };
        let Ok(Some((caller, eks_cluster))) = eks.by_kubernetes_name(cluster).await else { return Ok(()) };
        let labels: BTreeMap<String, String> = pod
            .pointer("/metadata/labels")
            .and_then(Value::as_object)
            .map(|labels| labels.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))).collect())
            .unwrap_or_default();
        let profile = eks
            .matching_profile(&caller, &eks_cluster.name, namespace, &labels)
            .await
            .map_err(|error| format!("fargate profile lookup: {error}"))?;
        if let Some(profile) = profile {
            pod["spec"]["schedulerName"] = json!(FARGATE_SCHEDULER);
            if !pod["metadata"]["labels"].is_object() {
                pod["metadata"]["labels"] = json!({});
            }
            pod["metadata"]["labels"][PROFILE_LABEL] = json!(profile.name);
        }
        Ok(())
    }
}

/// The Fargate nodes of every cluster, by cluster and node name: the node agent registers them beside the node
/// groups' nodes. A count of changes wakes the node syncs.
#[derive(Debug, Clone)]
pub struct FargateNodes {
    nodes: Arc<Mutex<HashMap<String, ClusterFargateNodes>>>,
    changes: Arc<tokio::sync::watch::Sender<u64>>,
}

impl Default for FargateNodes {
    fn default() -> FargateNodes {
        FargateNodes { nodes: Arc::default(), changes: Arc::new(tokio::sync::watch::Sender::new(0)) }
    }
}

/// One cluster's Fargate nodes by name.
type ClusterFargateNodes = BTreeMap<String, FargateNode>;

/// A Fargate node: what the node agent registers, where it runs, and the UID of the one pod it is for.
#[derive(Debug, Clone)]
struct FargateNode {
    spec: NodeSpec,
    placement: FargatePlacement,
    pod_uid: String,
}

impl FargateNodes {
    pub fn specs(&self, cluster: &str) -> Vec<NodeSpec> {
        let nodes = self.nodes.lock().expect("fargate node lock");
        nodes.get(cluster).map(|nodes| nodes.values().map(|node| node.spec.clone()).collect()).unwrap_or_default()
    }

    /// How many times a node came or went: read it before [`FargateNodes::specs`].
    pub fn generation(&self) -> u64 {
        *self.changes.borrow()
    }

    /// Follows [`FargateNodes::generation`].
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    fn insert(&self, cluster: &str, node: FargateNode) {
        self.nodes
            .lock()
            .expect("fargate node lock")
            .entry(cluster.to_owned())
            .or_default()
            .insert(node.spec.name.clone(), node);
        self.changes.send_modify(|generation| *generation += 1);
    }

    fn remove(&self, cluster: &str, node: &str) -> Option<FargatePlacement> {
        let removed = {
            let mut nodes = self.nodes.lock().expect("fargate node lock");
            nodes.get_mut(cluster).and_then(|nodes| nodes.remove(node)).map(|node| node.placement)
        };
        if removed.is_some() {
            self.changes.send_modify(|generation| *generation += 1);
        }
        removed
    }

    /// The cluster's Fargate nodes as (node name, pod UID).
    fn owners(&self, cluster: &str) -> Vec<(String, String)> {
        let nodes = self.nodes.lock().expect("fargate node lock");
        let owners = nodes.get(cluster).map(|nodes| nodes.values().map(|n| (n.spec.name.clone(), n.pod_uid.clone())));
        owners.into_iter().flatten().collect()
    }

    /// The node made for the pod with this UID, if any.
    fn node_of(&self, cluster: &str, pod_uid: &str) -> Option<String> {
        let nodes = self.nodes.lock().expect("fargate node lock");
        nodes.get(cluster)?.values().find(|node| node.pod_uid == pod_uid).map(|node| node.spec.name.clone())
    }

    /// The address of a Fargate node: its pod's IP.
    pub fn ip_of(&self, cluster: &str, node: &str) -> Option<Ipv4Addr> {
        let nodes = self.nodes.lock().expect("fargate node lock");
        nodes.get(cluster)?.get(node).map(|node| node.placement.ip)
    }
}

/// A pod's CPU (millicores) and memory (MiB) requests as Fargate sizes them: the containers' sum, or the largest
/// init container if that is more.
pub fn pod_requests(pod: &Pod) -> (u64, u64) {
    let Some(spec) = pod.spec.as_ref() else { return (0, 0) };
    let request = |container: &k8s_openapi::api::core::v1::Container, name: &str| -> u64 {
        let resources = container.resources.as_ref();
        let quantity = resources.and_then(|r| r.requests.as_ref()).and_then(|requests| requests.get(name));
        let quantity = quantity.or_else(|| resources.and_then(|r| r.limits.as_ref()).and_then(|l| l.get(name)));
        match (name, quantity) {
            ("cpu", Some(q)) => k8s_model::rounded_up(&q.0, true).unwrap_or(0),
            (_, Some(q)) => k8s_model::rounded_up(&q.0, false).unwrap_or(0).div_ceil(1024 * 1024),
            (_, None) => 0,
        }
    };
    let sum = |name: &str| spec.containers.iter().map(|c| request(c, name)).sum::<u64>();
    let init = |name: &str| spec.init_containers.iter().flatten().map(|c| request(c, name)).max().unwrap_or(0);
    (sum("cpu").max(init("cpu")), sum("memory").max(init("memory")))
}

fn fargate_node(name: &str, placement: &FargatePlacement, profile: &str, cpu: u64, memory_mib: u64) -> NodeSpec {
    let ip = placement.ip.to_string();
    let labels: BTreeMap<String, String> = [
        (COMPUTE_TYPE, "fargate".to_owned()),
        (PROFILE_LABEL, profile.to_owned()),
        ("topology.kubernetes.io/zone", placement.zone.clone()),
        ("failure-domain.beta.kubernetes.io/zone", placement.zone.clone()),
        ("topology.kubernetes.io/region", placement.region.clone()),
        ("failure-domain.beta.kubernetes.io/region", placement.region.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    NodeSpec {
        name: name.to_owned(),
        labels,
        // Where the address came from, so that it can be given back after a restart (see `adopt_existing`).
        annotations: [(SUBNET_ANNOTATION.to_owned(), placement.subnet_id.clone())]
            .into_iter()
            .filter(|(_, subnet)| !subnet.is_empty())
            .collect(),
        taints: vec![Taint {
            key: COMPUTE_TYPE.to_owned(),
            value: Some("fargate".to_owned()),
            effect: "NoSchedule".to_owned(),
            time_added: None,
        }],
        capacity: Capacity {
            cpu_millis: cpu,
            memory_bytes: memory_mib * 1024 * 1024,
            pods: 1,
            ephemeral_storage_bytes: 20 * 1024 * 1024 * 1024,
            gpus: 0,
        },
        addresses: vec![("InternalIP".into(), ip.clone()), ("Hostname".into(), name.to_owned())],
        provider_id: Some(format!("aws:///{}/fargate-{}", placement.zone, ip)),
        pod_subnet: None,
    }
}

/// The node name Fargate gives a pod's node: `fargate-ip-10-0-1-23.ec2.internal`.
pub fn fargate_node_name(ip: Ipv4Addr, region: &str) -> String {
    format!("fargate-{}", aws_model::ec2::instances::private_dns_name(ip, region))
}

/// Runs the Fargate scheduler of one cluster until the future is dropped.
pub async fn run(cluster: String, client: kube::Client, capacity: Arc<dyn FargateCapacity>, nodes: FargateNodes) {
    let pods_api: Api<Pod> = Api::all(client.clone());
    let (pods, writer) = reflector::store();
    let config = watcher::Config::default().fields(&format!("spec.schedulerName={FARGATE_SCHEDULER}"));
    let stream = reflector::reflector(
        writer,
        watcher(pods_api, config).default_backoff().modify(controllers::without_managed_fields),
    );
    // The watch ends with this future.
    let _watch = AbortOnDropHandle::new(tokio::spawn(stream.applied_objects().for_each(|_| async {})));
    let node_api: Api<Node> = Api::all(client.clone());
    let mut ticker = tokio::time::interval(PERIOD);
    loop {
        ticker.tick().await;
        if pods.wait_until_ready().await.is_err() {
            return;
        }
        adopt_existing(&cluster, &node_api, &pods, &nodes).await;
        schedule(&cluster, &client, &node_api, &pods, capacity.as_ref(), &nodes).await;
        delete_pods_of_deleted_profiles(&cluster, &client, &pods, capacity.as_ref()).await;
        release_finished(&cluster, &pods, capacity.as_ref(), &nodes).await;
    }
}

/// After a restart: the Fargate nodes that live pods are bound to (or were being given) are taken back from their
/// Node objects.
async fn adopt_existing(cluster: &str, node_api: &Api<Node>, pods: &Store<Pod>, nodes: &FargateNodes) {
    let known: Vec<String> = nodes.owners(cluster).into_iter().map(|(node, _)| node).collect();
    for pod in pods.state() {
        let annotated = pod.metadata.annotations.as_ref().and_then(|a| a.get(NODE_ANNOTATION)).cloned();
        let bound = pod.spec.as_ref().and_then(|spec| spec.node_name.clone());
        let (Some(node_name), Some(pod_uid)) = (bound.or(annotated), pod.metadata.uid.clone()) else { continue };
        if known.contains(&node_name) || finished(&pod) {
            continue;
        }
        let Ok(Some(node)) = node_api.get_opt(&node_name).await else { continue };
        let labels = node.metadata.labels.clone().unwrap_or_default();
        let ip = node
            .status
            .as_ref()
            .and_then(|s| s.addresses.as_ref())
            .and_then(|addresses| addresses.iter().find(|a| a.type_ == "InternalIP"))
            .and_then(|a| a.address.parse().ok());
        let (Some(ip), Some(zone), Some(region)) =
            (ip, labels.get("topology.kubernetes.io/zone"), labels.get("topology.kubernetes.io/region"))
        else {
            continue;
        };
        let profile = labels.get(PROFILE_LABEL).cloned().unwrap_or_default();
        let capacity = node.status.as_ref().and_then(|s| s.capacity.clone()).unwrap_or_default();
        let cpu = capacity.get("cpu").and_then(|q| k8s_model::rounded_up(&q.0, true)).unwrap_or(250);
        let memory = capacity.get("memory").and_then(|q| k8s_model::rounded_up(&q.0, false)).unwrap_or(0);
        // The subnet the address came from, as the pod (or the node) recorded it; a node made before the subnet
        // was recorded has it found again when the address is released.
        let subnet_id = annotation(&pod.metadata, SUBNET_ANNOTATION)
            .or_else(|| annotation(&node.metadata, SUBNET_ANNOTATION))
            .unwrap_or_default();
        let placement = FargatePlacement { zone: zone.clone(), region: region.clone(), subnet_id, ip };
        let spec = fargate_node(&node_name, &placement, &profile, cpu, memory / (1024 * 1024));
        nodes.insert(cluster, FargateNode { spec, placement, pod_uid });
    }
}

fn annotation(metadata: &kube::api::ObjectMeta, key: &str) -> Option<String> {
    metadata.annotations.as_ref()?.get(key).filter(|value| !value.is_empty()).cloned()
}

fn finished(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_some()
        || matches!(pod.status.as_ref().and_then(|s| s.phase.as_deref()), Some("Succeeded" | "Failed"))
}

async fn schedule(
    cluster: &str,
    client: &kube::Client,
    node_api: &Api<Node>,
    pods: &Store<Pod>,
    capacity: &dyn FargateCapacity,
    nodes: &FargateNodes,
) {
    for pod in pods.state() {
        let unbound = pod.spec.as_ref().is_some_and(|spec| spec.node_name.is_none());
        if !unbound || finished(&pod) {
            continue;
        }
        let (Some(name), Some(namespace)) = (pod.metadata.name.clone(), pod.metadata.namespace.clone()) else {
            continue;
        };
        let profile = pod.metadata.labels.as_ref().and_then(|l| l.get(PROFILE_LABEL)).cloned().unwrap_or_default();
        let (cpu, memory) = pod_requests(&pod);
        let pods_api: Api<Pod> = Api::namespaced(client.clone(), &namespace);
        let Some((cpu, memory)) = fargate_size(cpu, memory) else {
            tracing::warn!(pod = %name, "the pod is larger than any Fargate size");
            continue;
        };
        let Some(pod_uid) = pod.metadata.uid.clone() else { continue };
        // One node per pod, found by the pod's UID while it is being made: the pod's own copy in the watch cache
        // may not show the annotation yet. The annotation is for a restart (see `adopt_existing`).
        let node_name = match nodes.node_of(cluster, &pod_uid) {
            Some(node) => node,
            None => {
                let placement = match capacity.place(cluster, &profile).await {
                    Ok(placement) => placement,
                    Err(error) => {
                        tracing::warn!(pod = %name, %error, "no Fargate capacity");
                        continue;
                    }
                };
                let node_name = fargate_node_name(placement.ip, &placement.region);
                let spec = fargate_node(&node_name, &placement, &profile, cpu, memory);
                let subnet = placement.subnet_id.clone();
                nodes.insert(cluster, FargateNode { spec, placement, pod_uid });
                let patch = json!({ "metadata": { "annotations": {
                    NODE_ANNOTATION: node_name, SUBNET_ANNOTATION: subnet,
                    "CapacityProvisioned": capacity_provisioned(cpu, memory),
                } } });
                if let Err(error) = pods_api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await {
                    tracing::warn!(pod = %name, %error, "cannot annotate the Fargate pod");
                }
                node_name
            }
        };
        // Bind once the node has registered.
        if !matches!(node_api.get_opt(&node_name).await, Ok(Some(_))) {
            continue;
        }
        let binding = Binding {
            metadata: kube::api::ObjectMeta { name: Some(name.clone()), ..Default::default() },
            target: ObjectReference { kind: Some("Node".into()), name: Some(node_name.clone()), ..Default::default() },
        };
        let body = serde_json::to_vec(&binding).expect("bindings serialize");
        let request = http::Request::post(format!("/api/v1/namespaces/{namespace}/pods/{name}/binding"))
            .header("content-type", "application/json")
            .body(body)
            .expect("a binding request");
        if let Err(error) = client.request::<Value>(request).await {
            tracing::warn!(pod = %name, %error, "cannot bind the Fargate pod");
        }
    }
}

/// As on AWS, deleting a Fargate profile deletes the pods it placed; their nodes and addresses then go with them.
async fn delete_pods_of_deleted_profiles(
    cluster: &str,
    client: &kube::Client,
    pods: &Store<Pod>,
    capacity: &dyn FargateCapacity,
) {
    let live: Vec<_> = pods.state().into_iter().filter(|pod| !finished(pod)).collect();
    let mut profiles: Vec<String> =
        live.iter().filter_map(|pod| pod.metadata.labels.as_ref()?.get(PROFILE_LABEL).cloned()).collect();
    profiles.sort();
    profiles.dedup();
    for profile in profiles {
        if capacity.profile_active(cluster, &profile).await {
            continue;
        }
        let placed =
            live.iter().filter(|pod| pod.metadata.labels.as_ref().and_then(|l| l.get(PROFILE_LABEL)) == Some(&profile));
        for pod in placed {
            let namespace = pod.metadata.namespace.as_deref().unwrap_or("default");
            let name = pod.metadata.name.as_deref().unwrap_or_default();
            let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
            if let Err(error) = api.delete(name, &Default::default()).await {
                tracing::debug!(%error, pod = name, "cannot delete a pod of a deleted Fargate profile");
            }
        }
    }
}

/// The annotation that remembers which Fargate node a pod gets while it is being made.
const NODE_ANNOTATION: &str = "ekslite.dev/fargate-node";

/// The annotation (on the pod and its node) naming the subnet the pod's address came from.
const SUBNET_ANNOTATION: &str = "ekslite.dev/fargate-subnet";

/// Fargate nodes whose pod finished or went are removed, and their addresses released. A node's pod is known by
/// UID, so a pod deleted and made again under the same name gets a node of its own.
async fn release_finished(cluster: &str, pods: &Store<Pod>, capacity: &dyn FargateCapacity, nodes: &FargateNodes) {
    let live: HashSet<String> =
        pods.state().iter().filter(|pod| !finished(pod)).filter_map(|pod| pod.metadata.uid.clone()).collect();
    let gone = nodes.owners(cluster).into_iter().filter(|(_, pod_uid)| !live.contains(pod_uid)).map(|(node, _)| node);
    release_nodes(cluster, gone.collect(), capacity, nodes).await;
}

/// Removes Fargate nodes and returns their addresses to their subnets.
async fn release_nodes(cluster: &str, names: Vec<String>, capacity: &dyn FargateCapacity, nodes: &FargateNodes) {
    for node in names {
        if let Some(placement) = nodes.remove(cluster, &node) {
            capacity.release(cluster, &placement.subnet_id, placement.ip).await;
        }
    }
}

/// Removes every Fargate node of a cluster being deleted and releases its address.
pub async fn release_all(cluster: &str, capacity: &dyn FargateCapacity, nodes: &FargateNodes) {
    let all = nodes.owners(cluster).into_iter().map(|(node, _)| node).collect();
    release_nodes(cluster, all, capacity, nodes).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::runtime::watcher::Event;

    /// Records the addresses given back.
    #[derive(Debug, Default)]
    struct Released(Mutex<Vec<Ipv4Addr>>);

    #[async_trait::async_trait]
    impl FargateCapacity for Released {
        async fn place(&self, _: &str, _: &str) -> Result<FargatePlacement, String> {
            Err("not used".into())
        }
        async fn release(&self, _: &str, _: &str, ip: Ipv4Addr) {
            self.0.lock().unwrap().push(ip);
        }
    }

    fn pod(uid: &str) -> Pod {
        let mut pod = Pod::default();
        pod.metadata.name = Some("lambda".into());
        pod.metadata.namespace = Some("serverless".into());
        pod.metadata.uid = Some(uid.into());
        pod.spec = Some(Default::default());
        pod
    }

    fn node_for(uid: &str, ip: Ipv4Addr) -> FargateNode {
        let placement = FargatePlacement {
            zone: "us-east-1a".into(),
            region: "us-east-1".into(),
            subnet_id: "subnet-1".into(),
            ip,
        };
        let spec = fargate_node(&fargate_node_name(ip, "us-east-1"), &placement, "serverless", 500, 2048);
        FargateNode { spec, placement, pod_uid: uid.into() }
    }

    #[tokio::test]
    async fn a_node_being_made_is_kept_while_its_pod_lives_even_before_the_cache_shows_the_annotation() {
        let (store, mut writer) = reflector::store::<Pod>();
        // The cached pod has neither a node name nor the annotation yet.
        writer.apply_watcher_event(&Event::Apply(pod("uid-1")));
        let nodes = FargateNodes::default();
        let ip = Ipv4Addr::new(10, 0, 1, 23);
        nodes.insert("demo", node_for("uid-1", ip));
        let released = Released::default();

        release_finished("demo", &store, &released, &nodes).await;
        assert_eq!(nodes.node_of("demo", "uid-1").as_deref(), Some("fargate-ip-10-0-1-23.ec2.internal"));
        assert_eq!(nodes.specs("demo").len(), 1);
        assert!(released.0.lock().unwrap().is_empty());

        // A pod of the same name but another UID does not keep the old node.
        writer.apply_watcher_event(&Event::Delete(pod("uid-1")));
        writer.apply_watcher_event(&Event::Apply(pod("uid-2")));
        release_finished("demo", &store, &released, &nodes).await;
        assert_eq!(nodes.node_of("demo", "uid-1"), None);
        assert!(nodes.specs("demo").is_empty());
        assert_eq!(*released.0.lock().unwrap(), vec![ip]);
    }

    #[tokio::test]
    async fn a_finished_pod_gives_its_node_and_address_back() {
        let (store, mut writer) = reflector::store::<Pod>();
        let mut done = pod("uid-1");
        done.status =
            Some(k8s_openapi::api::core::v1::PodStatus { phase: Some("Succeeded".into()), ..Default::default() });
        writer.apply_watcher_event(&Event::Apply(done));
        let nodes = FargateNodes::default();
        let ip = Ipv4Addr::new(10, 0, 2, 7);
        nodes.insert("demo", node_for("uid-1", ip));
        let released = Released::default();
        release_finished("demo", &store, &released, &nodes).await;
        assert!(nodes.specs("demo").is_empty());
        assert_eq!(*released.0.lock().unwrap(), vec![ip]);
    }
}
