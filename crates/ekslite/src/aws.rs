//! Wiring the AWS side to the Kubernetes side: EKS clusters are `ControlPlanes` clusters (EKS reads their
//! `aws-auth` ConfigMap through them), EKS tokens are accepted by their API servers as the user their access entry
//! or `aws-auth` mapping names, with the access policies of the entry as grants of the ClusterRoles they mirror,
//! STS checks web identity tokens with the keys of the clusters' issuers, node group instances become the data
//! plane's nodes, and every request the server's own routes do not take goes to the AWS endpoint.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, OnceLock};

use apiserver::{AccessGrant, AuthenticatedUser, ControlPlanes, TokenAuthenticator};
use aws_api::AwsApi;
use aws_model::autoscaling::NodeInstance;
use aws_model::ec2::InstanceState;
use aws_model::eks::authn;
use aws_model::eks::{KubernetesClusters, KubernetesEndpoint, KubernetesSpec};
use node_agent::{Capacity, NodeSpec, PodNetwork};

use crate::dataplane::{DesiredNodes, NodeSource};
use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;

/// The largest request body the AWS endpoint reads.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// EKS's clusters, created as ekslite clusters.
#[derive(Debug)]
pub struct Clusters(pub Arc<ControlPlanes>);

#[async_trait::async_trait]
impl KubernetesClusters for Clusters {
    async fn create(&self, spec: &KubernetesSpec) -> Result<KubernetesEndpoint, String> {
        let created =
            self.0.create_with(&spec.name, Some(&spec.version), Some(&spec.service_cidr), Some(&spec.issuer_id)).await;
        let record = match created {
            Ok(record) => record,
            // A create cut short after its Kubernetes cluster was made, resumed: the cluster runs since start-up.
            Err(apiserver::ClusterError::AlreadyExists(_)) => match self.0.get(&spec.name) {
                Some(record) if record.oidc_issuer_id.as_deref() == Some(spec.issuer_id.as_str()) => record,
                Some(_) => return Err(format!("another Kubernetes cluster named {} exists", spec.name)),
                None => return Err(format!("the Kubernetes cluster {} exists but does not run here", spec.name)),
            },
            Err(error) => return Err(error.to_string()),
        };
        self.0
            .ensure_object(&spec.name, "storage.k8s.io", "storageclasses", gp2_storage_class())
            .await
            .map_err(|error| error.to_string())?;
        Ok(KubernetesEndpoint { endpoint: record.endpoint(), ca_pem: record.pki.ca_cert.clone() })
    }

    async fn delete(&self, name: &str) -> Result<(), String> {
        match self.0.delete(name).await {
            Ok(_) | Err(apiserver::ClusterError::NotFound(_)) => Ok(()),
            Err(error) => Err(error.to_string()),
        }
    }

    async fn config_map(
        &self,
        cluster: &str,
        namespace: &str,
        name: &str,
    ) -> Result<Option<BTreeMap<String, String>>, String> {
        self.0.config_map(cluster, namespace, name).await.map_err(|error| error.to_string())
    }

    async fn addon(&self, cluster: &str, addon: &str, installed: bool) -> Result<(), String> {
        // The EBS CSI driver's registration is what the cluster's volume provisioner answers to.
        if addon != "aws-ebs-csi-driver" {
            return Ok(());
        }
        let result = if installed {
            self.0.ensure_object(cluster, "storage.k8s.io", "csidrivers", ebs_csi_driver()).await
        } else {
            self.0.remove_object(cluster, "storage.k8s.io", "csidrivers", None, "ebs.csi.aws.com").await
        };
        match result {
            Ok(()) | Err(apiserver::ClusterError::NotFound(_)) => Ok(()),
            Err(error) => Err(error.to_string()),
        }
    }
}

/// The StorageClass every EKS cluster is created with: in-tree EBS (served by the EBS CSI driver once that is
/// installed), not the default class (EKS stopped marking it default with Kubernetes 1.30).
fn gp2_storage_class() -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": { "name": "gp2" },
        "provisioner": "kubernetes.io/aws-ebs",
        "parameters": { "type": "gp2", "fsType": "ext4" },
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": false,
    })
}

/// The CSIDriver object the `aws-ebs-csi-driver` add-on registers.
fn ebs_csi_driver() -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "storage.k8s.io/v1",
        "kind": "CSIDriver",
        "metadata": { "name": "ebs.csi.aws.com", "labels": { "app.kubernetes.io/name": "aws-ebs-csi-driver" } },
        "spec": {
            "attachRequired": true,
            "podInfoOnMount": false,
            "fsGroupPolicy": "ReadWriteOnceWithFSType",
            "requiresRepublish": false,
            "storageCapacity": false,
            "seLinuxMount": false,
            "volumeLifecycleModes": ["Persistent"],
        },
    })
}

/// The OpenID Connect issuers of the clusters, whose keys STS checks web identity tokens with (no HTTP fetch).
#[derive(Debug)]
pub struct ClusterIssuers(pub Arc<ControlPlanes>);

#[async_trait::async_trait]
impl aws_model::sts::OidcKeys for ClusterIssuers {
    async fn jwks(&self, issuer_url: &str) -> Option<serde_json::Value> {
        self.0.issuer_jwks(issuer_url)
    }
}

/// EKS tokens, checked by the AWS endpoint once it exists (it is built after the control planes).
#[derive(Debug, Default)]
pub struct EksTokens(pub OnceLock<Arc<AwsApi>>);

#[async_trait::async_trait]
impl TokenAuthenticator for EksTokens {
    async fn authenticate(&self, cluster: &str, token: &str) -> Option<AuthenticatedUser> {
        let api = self.0.get()?;
        let user = api.authenticate_eks_token(cluster, token).await?;
        let extra = [
            ("accessKeyId".to_owned(), vec![user.access_key_id.clone()]),
            ("arn".to_owned(), vec![user.arn.clone()]),
            ("canonicalArn".to_owned(), vec![user.canonical_arn.clone()]),
        ]
        .into_iter()
        .collect();
        // Access policies authorize as the upstream ClusterRoles they mirror, in their scope.
        let grants = user
            .policies
            .iter()
            .filter_map(|policy| {
                let cluster_role = authn::upstream_cluster_role(&policy.policy_arn)?;
                Some(AccessGrant { cluster_role: cluster_role.to_owned(), namespaces: policy.namespaces.clone() })
            })
            .collect();
        Some(AuthenticatedUser { username: user.username, uid: user.uid, groups: user.groups, extra, grants })
    }
}

/// The fallback route: the AWS endpoint.
pub async fn endpoint(api: Arc<AwsApi>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let limited = http_body_util::Limited::new(body, MAX_BODY_BYTES);
    let bytes = match limited.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return (axum::http::StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
        }
    };
    let response = api.handle(http::Request::from_parts(parts, bytes)).await;
    let (parts, body) = response.into_parts();
    Response::from_parts(parts, Body::from(body))
}

/// The nodes of EKS clusters: the EC2 instances of their managed node groups, as the node agent registers them
/// (names, labels, capacity and addresses as EKS nodes have them), and pod IPs from the nodes' subnets as the
/// VPC CNI hands them out.
#[derive(Debug)]
pub struct EksNodes {
    pub eks: aws_model::eks::Eks,
    pub ec2: aws_model::ec2::Ec2,
    /// The instance behind every node seen, by cluster and node name, for the pod network.
    instances: NodeInstances,
    /// Fargate pods per subnet, to spread new ones.
    fargate_per_subnet: std::sync::Mutex<HashMap<String, usize>>,
    /// The Fargate nodes of every cluster.
    pub fargate: crate::fargate::FargateNodes,
    /// Each region's node groups reconciled once per change, for all its clusters.
    regions: crate::regions::RegionSyncs,
}

impl EksNodes {
    pub fn new(
        eks: aws_model::eks::Eks,
        autoscaling: aws_model::autoscaling::AutoScaling,
        ec2: aws_model::ec2::Ec2,
    ) -> EksNodes {
        EksNodes {
            eks,
            ec2,
            instances: NodeInstances::default(),
            fargate_per_subnet: std::sync::Mutex::default(),
            fargate: crate::fargate::FargateNodes::default(),
            regions: crate::regions::RegionSyncs::new(autoscaling),
        }
    }
}

/// EKS's reconciler knows a deleted node group's instances are terminated once the region's Auto Scaling reconcile
/// has run after it saw the node group deleted.
#[async_trait::async_trait]
impl aws_model::eks::reconcile::NodegroupInstances for EksNodes {
    async fn follow(&self, scope: &aws_model::eks::Caller) -> Result<(), String> {
        self.regions.reconciled(scope).await
    }
}

/// Root disk of a node group's instances unless the node group says otherwise (EKS's default `diskSize`).
const ROOT_DISK_BYTES: u64 = 20 * 1024 * 1024 * 1024;

/// A node group instance as the node the kubelet on it registers.
pub fn node_spec(instance: &NodeInstance, region: &str) -> NodeSpec {
    let mut labels = instance.labels.clone();
    let zone = instance.availability_zone.clone();
    for (key, value) in [
        ("eks.amazonaws.com/nodegroup", instance.nodegroup.clone()),
        ("eks.amazonaws.com/capacityType", instance.capacity_type.clone()),
        ("node.kubernetes.io/instance-type", instance.instance_type.clone()),
        ("beta.kubernetes.io/instance-type", instance.instance_type.clone()),
        ("topology.kubernetes.io/zone", zone.clone()),
        ("failure-domain.beta.kubernetes.io/zone", zone.clone()),
        ("topology.kubernetes.io/region", region.to_owned()),
        ("failure-domain.beta.kubernetes.io/region", region.to_owned()),
    ] {
        labels.insert(key.to_owned(), value);
    }
    let taints = instance
        .taints
        .iter()
        .map(|taint| k8s_openapi::api::core::v1::Taint {
            key: taint.key.clone(),
            value: taint.value.clone(),
            effect: match taint.effect.as_str() {
                "NO_EXECUTE" => "NoExecute",
                "PREFER_NO_SCHEDULE" => "PreferNoSchedule",
                _ => "NoSchedule",
            }
            .to_owned(),
            time_added: None,
        })
        .collect();
    let ip = instance.private_ip.to_string();
    let dns = instance.private_dns_name.clone();
    NodeSpec {
        name: dns.clone(),
        labels,
        annotations: [("alpha.kubernetes.io/provided-node-ip".to_owned(), ip.clone())].into(),
        taints,
        capacity: Capacity {
            cpu_millis: u64::from(instance.vcpus) * 1000,
            memory_bytes: instance.memory_mib * 1024 * 1024,
            pods: instance.max_pods,
            ephemeral_storage_bytes: ROOT_DISK_BYTES,
        },
        addresses: vec![("InternalIP".into(), ip), ("InternalDNS".into(), dns.clone()), ("Hostname".into(), dns)],
        provider_id: Some(format!("aws:///{zone}/{}", instance.instance_id)),
        pod_subnet: Some(instance.subnet_cidr.clone()),
    }
}

#[async_trait::async_trait]
impl NodeSource for EksNodes {
    async fn nodes(&self, cluster: &str) -> Option<DesiredNodes> {
        let (caller, eks_cluster) = self.eks.by_kubernetes_name(cluster).await.ok()??;
        // Generations first, then what they count, so that a change in between is seen again.
        let fargate_generation = self.fargate.generation();
        let mut snapshots = self.regions.subscribe(&caller);
        let first = tokio::time::timeout(FIRST_SNAPSHOT, snapshots.wait_for(|s| s.network.is_some())).await;
        let current = first.ok()?.ok()?.cluster(&eks_cluster.name);
        let instances = current.instances;
        let mut desired = DesiredNodes { generation: current.generation + fargate_generation, ..Default::default() };
        let mut known = self.instances.lock().expect("node instance lock");
        for instance in instances.iter() {
            // Only booted machines run a kubelet; a stopped one keeps its Node but goes silent.
            let failed = match instance.state {
                InstanceState::Running => false,
                InstanceState::Stopping | InstanceState::Stopped => true,
                InstanceState::Pending | InstanceState::ShuttingDown | InstanceState::Terminated => continue,
            };
            let spec = node_spec(instance, &caller.region);
            let batch = aws_model::ec2::instance_types::instance_type(&instance.instance_type)
                .map_or(WARM_BATCH, |kind| kind.ipv4_per_eni.saturating_sub(1).max(1) as usize);
            let addresses = NodeAddresses {
                instance_id: instance.instance_id.clone(),
                batch,
                assigned: instance.secondary_ips.clone(),
            };
            known.insert((cluster.to_owned(), spec.name.clone()), addresses);
            if failed {
                desired.failed.push(spec.name.clone());
            }
            desired.nodes.push(spec);
        }
        desired.nodes.extend(self.fargate.specs(cluster));
        Some(desired)
    }

    async fn changed(&self, cluster: &str, after: u64) {
        let Some(caller) = caller_of(cluster) else { return std::future::pending().await };
        // The EKS name is the first part of the Kubernetes one.
        let Some((name, _)) = cluster.split_once('.') else { return std::future::pending().await };
        let mut region = self.regions.subscribe(&caller);
        let mut fargate = self.fargate.subscribe();
        loop {
            if region.borrow_and_update().cluster(name).generation + *fargate.borrow_and_update() > after {
                return;
            }
            tokio::select! {
                changed = region.changed() => if changed.is_err() { return std::future::pending().await },
                changed = fargate.changed() => if changed.is_err() { return std::future::pending().await },
            }
        }
    }

    fn network(&self, cluster: &str) -> Option<Arc<dyn PodNetwork>> {
        let caller = caller_of(cluster)?;
        Some(Arc::new(VpcCni {
            cluster: cluster.to_owned(),
            caller,
            ec2: self.ec2.clone(),
            instances: Arc::clone(&self.instances),
            fargate: self.fargate.clone(),
            pools: std::sync::Mutex::default(),
        }))
    }
}

/// How long a node sync waits for its region's first reconcile.
const FIRST_SNAPSHOT: std::time::Duration = std::time::Duration::from_secs(5);

/// The account and region of an EKS cluster's Kubernetes side, named `<name>.<region>.<account>`.
fn caller_of(cluster: &str) -> Option<aws_model::eks::Caller> {
    let mut parts = cluster.rsplitn(3, '.');
    let (account, region) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    parts.next()?;
    Some(aws_model::eks::Caller { account, region, arn: String::new() })
}

/// The instance behind each node and the pod addresses its interfaces hold, by cluster and node name.
type NodeInstances = Arc<std::sync::Mutex<HashMap<(String, String), NodeAddresses>>>;

/// What the pod network needs to know of a node's instance.
#[derive(Debug, Clone)]
struct NodeAddresses {
    instance_id: String,
    /// How many addresses to assign at a time: one interface's worth (its secondary addresses).
    batch: usize,
    /// The secondary addresses it held when last seen.
    assigned: Vec<Ipv4Addr>,
}

/// Addresses assigned at a time when the instance type is unknown.
const WARM_BATCH: usize = 5;

/// Pod IPs as the VPC CNI gives them: secondary private addresses of the node's subnet, assigned to the node's
/// instance in EC2 one interface's worth at a time (the CNI's warm ENI) and kept warm on the node when pods go,
/// so that an address is written to EC2 once per batch rather than once per pod. They are freed with the
/// instance, and after a restart the node's warm addresses are read back from EC2.
#[derive(Debug)]
struct VpcCni {
    cluster: String,
    caller: aws_model::eks::Caller,
    ec2: aws_model::ec2::Ec2,
    instances: NodeInstances,
    fargate: crate::fargate::FargateNodes,
    /// The addresses of each node's instance, by node name.
    pools: std::sync::Mutex<HashMap<String, WarmPool>>,
}

/// One node's addresses: free ones and those pods hold.
#[derive(Debug, Default)]
struct WarmPool {
    instance_id: String,
    /// Every address assigned to the instance.
    assigned: HashSet<Ipv4Addr>,
    free: BTreeSet<Ipv4Addr>,
    used: HashSet<Ipv4Addr>,
}

impl WarmPool {
    /// Brings the pool in line with the instance now behind the node: a new instance (a node name reused)
    /// starts afresh; the same one learns of addresses assigned before a restart.
    fn follow(&mut self, node: &NodeAddresses) {
        if self.instance_id != node.instance_id {
            if !self.instance_id.is_empty() {
                *self = WarmPool::default();
            }
            self.instance_id = node.instance_id.clone();
        }
        self.add(node.assigned.iter().copied());
    }

    fn add(&mut self, addresses: impl IntoIterator<Item = Ipv4Addr>) {
        for ip in addresses {
            if self.assigned.insert(ip) && !self.used.contains(&ip) {
                self.free.insert(ip);
            }
        }
    }

    fn take(&mut self) -> Option<Ipv4Addr> {
        let ip = self.free.pop_first()?;
        self.used.insert(ip);
        Some(ip)
    }
}

impl VpcCni {
    fn node(&self, node: &str) -> Option<NodeAddresses> {
        let instances = self.instances.lock().expect("node instance lock");
        instances.get(&(self.cluster.clone(), node.to_owned())).cloned()
    }

    /// Takes a warm address of the node's instance, if one is free.
    fn take_warm(&self, node: &str, known: &NodeAddresses) -> Option<Ipv4Addr> {
        let mut pools = self.pools.lock().expect("pod address lock");
        let pool = pools.entry(node.to_owned()).or_default();
        pool.follow(known);
        pool.take()
    }
}

#[async_trait::async_trait]
impl PodNetwork for VpcCni {
    async fn allocate(&self, node: &str) -> Result<IpAddr, String> {
        // A Fargate pod has its node's address.
        if let Some(ip) = self.fargate.ip_of(&self.cluster, node) {
            return Ok(IpAddr::V4(ip));
        }
        let known = self.node(node).ok_or_else(|| format!("node {node} has no instance"))?;
        if let Some(ip) = self.take_warm(node, &known) {
            return Ok(IpAddr::V4(ip));
        }
        let fresh = self
            .ec2
            .assign_private_ips(&self.caller, &known.instance_id, known.batch)
            .await
            .map_err(|error| error.to_string())?;
        let mut pools = self.pools.lock().expect("pod address lock");
        let pool = pools.entry(node.to_owned()).or_default();
        pool.follow(&known);
        if pool.instance_id == known.instance_id {
            pool.add(fresh);
        }
        pool.take().map(IpAddr::V4).ok_or_else(|| format!("no free address on node {node}"))
    }

    async fn release(&self, node: &str, ip: IpAddr) {
        let IpAddr::V4(ip) = ip else { return };
        if self.fargate.ip_of(&self.cluster, node).is_some() {
            return;
        }
        let mut pools = self.pools.lock().expect("pod address lock");
        if let Some(pool) = pools.get_mut(node)
            && pool.used.remove(&ip)
            && pool.assigned.contains(&ip)
        {
            // Kept warm for the node's next pod.
            pool.free.insert(ip);
        }
    }

    fn claim(&self, node: &str, ip: IpAddr) {
        let IpAddr::V4(ip) = ip else { return };
        let known = self.node(node);
        let mut pools = self.pools.lock().expect("pod address lock");
        let pool = pools.entry(node.to_owned()).or_default();
        if let Some(known) = &known {
            pool.follow(known);
        }
        pool.free.remove(&ip);
        pool.used.insert(ip);
    }

    fn node_changed(&self, node: &str, pod_subnet: Option<&str>, _own_addresses: &[IpAddr]) {
        if pod_subnet.is_none() && self.fargate.ip_of(&self.cluster, node).is_none() {
            // The node is gone; its instance's addresses went with the instance.
            self.pools.lock().expect("pod address lock").remove(node);
            self.instances.lock().expect("node instance lock").remove(&(self.cluster.clone(), node.to_owned()));
        }
    }
}

#[async_trait::async_trait]
impl crate::fargate::FargateCapacity for EksNodes {
    async fn place(&self, cluster: &str, profile: &str) -> Result<crate::fargate::FargatePlacement, String> {
        let (caller, eks_cluster) = self
            .eks
            .by_kubernetes_name(cluster)
            .await
            .map_err(|error| error.to_string())?
            .ok_or_else(|| format!("{cluster} is not an EKS cluster"))?;
        let profile =
            self.eks.describe_fargate_profile(&caller, &eks_cluster.name, profile).await.map_err(|e| e.to_string())?;
        let placements = self.ec2.subnet_placements(&caller, &profile.subnets).await.map_err(|e| e.to_string())?;
        // Spread over the profile's subnets: the one with the fewest Fargate pods of this server first.
        let counts = self.fargate_per_subnet.lock().expect("fargate count lock").clone();
        let subnet = placements
            .iter()
            .min_by_key(|p| counts.get(&p.subnet_id).copied().unwrap_or(0))
            .ok_or_else(|| format!("Fargate profile {} has no subnets", profile.name))?;
        let ip = self.ec2.allocate_private_ip(&caller, &subnet.subnet_id).await.map_err(|e| e.to_string())?;
        *self.fargate_per_subnet.lock().expect("fargate count lock").entry(subnet.subnet_id.clone()).or_default() += 1;
        Ok(crate::fargate::FargatePlacement {
            zone: subnet.availability_zone.clone(),
            region: caller.region.clone(),
            subnet_id: subnet.subnet_id.clone(),
            ip,
        })
    }

    async fn profile_active(&self, cluster: &str, profile: &str) -> bool {
        let (caller, eks_cluster) = match self.eks.by_kubernetes_name(cluster).await {
            Ok(Some(found)) => found,
            Ok(None) => return false,
            Err(_) => return true,
        };
        match self.eks.describe_fargate_profile(&caller, &eks_cluster.name, profile).await {
            Ok(profile) => profile.status != aws_model::eks::fargate::FargateProfileStatus::Deleting,
            Err(aws_model::eks::EksError::ResourceNotFound(_)) => false,
            // Anything else (a store hiccup) is no reason to delete pods.
            Err(_) => true,
        }
    }

    async fn release(&self, cluster: &str, subnet_id: &str, ip: std::net::Ipv4Addr) {
        // Known from the name alone, so that a cluster being deleted still gives its addresses back.
        let Some((caller, _)) = aws_model::eks::kubernetes_owner(cluster) else { return };
        let subnet_id = if subnet_id.is_empty() {
            // A node adopted after a restart: its subnet is the profile subnet whose range holds the address.
            let Ok(Some((_, eks_cluster))) = self.eks.by_kubernetes_name(cluster).await else { return };
            let Ok(profiles) = self.eks.fargate_profiles(&caller, &eks_cluster.name).await else { return };
            let mut subnets: Vec<String> = profiles.into_iter().flat_map(|profile| profile.subnets).collect();
            subnets.sort();
            subnets.dedup();
            let Ok(placements) = self.ec2.subnet_placements(&caller, &subnets).await else { return };
            let Some(found) = placements
                .into_iter()
                .find(|p| node_agent::Cidr::parse(&p.cidr_block).is_some_and(|c| c.contains(IpAddr::V4(ip))))
            else {
                return;
            };
            found.subnet_id
        } else {
            subnet_id.to_owned()
        };
        if let Some(count) = self.fargate_per_subnet.lock().expect("fargate count lock").get_mut(&subnet_id) {
            *count = count.saturating_sub(1);
        }
        if let Err(error) = self.ec2.release_private_ip(&caller, &subnet_id, ip).await {
            tracing::warn!(%error, %ip, "cannot release a Fargate node's address");
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use aws_model::clock::ManualClock;
    use aws_model::ec2::{Ec2, Instance, InstanceState, Scope, StateRequest};
    use aws_model::records::Records;

    const NODE: &str = "ip-172-31-0-10.ec2.internal";

    /// A running t3.medium in `subnet` at `ip`, of a node group of `cluster` if one is named.
    pub(crate) fn instance(id: &str, subnet: &aws_model::ec2::Subnet, ip: Ipv4Addr, cluster: Option<&str>) -> Instance {
        let nodegroup = cluster.map(|cluster| aws_model::ec2::NodegroupMember {
            cluster: cluster.to_owned(),
            nodegroup: "workers".into(),
            capacity_type: "ON_DEMAND".into(),
            labels: BTreeMap::new(),
            taints: Vec::new(),
        });
        Instance {
            id: id.to_owned(),
            reservation_id: "r-0123456789abcdef0".into(),
            instance_type: "t3.medium".into(),
            image_id: "ami-1".into(),
            availability_zone: subnet.availability_zone.clone(),
            subnet_id: subnet.id.clone(),
            vpc_id: subnet.vpc_id.clone(),
            private_ip: ip,
            private_dns_name: aws_model::ec2::instances::private_dns_name(ip, "us-east-1"),
            secondary_ips: Vec::new(),
            state: InstanceState::Running,
            launched_at: 0.0,
            running_at: 0.0,
            state_changed_at: 0.0,
            transition_reason: String::new(),
            security_groups: Vec::new(),
            instance_profile_arn: None,
            key_name: None,
            launch_template: None,
            auto_scaling_group: None,
            nodegroup,
        }
    }

    /// An EC2 service with one running t3.medium in the default VPC's first subnet, and that subnet.
    async fn one_instance() -> (Ec2, aws_model::eks::Caller, String, String) {
        let ec2 = Ec2::new(Records::new(Arc::new(store::MemoryStore::new())), Arc::new(ManualClock::new(0.0)));
        let caller =
            aws_model::eks::Caller { account: "000000000000".into(), region: "us-east-1".into(), arn: "".into() };
        let (id, subnet) = ec2
            .change(&caller, &Scope::everything(), |network, _| {
                let subnet = network.subnets.values().min_by_key(|s| s.availability_zone.clone()).unwrap().clone();
                let ip = network.allocate_private_ip(&subnet.id)?;
                let instance = instance("i-0123456789abcdef0", &subnet, ip, None);
                network.instances.insert(instance.id.clone(), instance);
                Ok(("i-0123456789abcdef0".to_owned(), subnet.id))
            })
            .await
            .unwrap();
        (ec2, caller, id, subnet)
    }

    /// The pod network of cluster `demo` as it stands after a node sync that saw the instance as EC2 has it.
    async fn cni(ec2: &Ec2, caller: &aws_model::eks::Caller, id: &str) -> VpcCni {
        let assigned = ec2
            .view(caller, &Scope::everything(), |network| network.instances[id].secondary_ips.clone())
            .await
            .unwrap();
        let instances = NodeInstances::default();
        let node = NodeAddresses { instance_id: id.to_owned(), batch: 5, assigned };
        instances.lock().unwrap().insert(("demo".into(), NODE.into()), node);
        VpcCni {
            cluster: "demo".into(),
            caller: caller.clone(),
            ec2: ec2.clone(),
            instances,
            fargate: crate::fargate::FargateNodes::default(),
            pools: std::sync::Mutex::default(),
        }
    }

    async fn assigned(ec2: &Ec2, caller: &aws_model::eks::Caller, id: &str) -> Vec<Ipv4Addr> {
        ec2.view(caller, &Scope::everything(), |network| network.instances[id].secondary_ips.clone()).await.unwrap()
    }

    fn v4(ip: IpAddr) -> Ipv4Addr {
        match ip {
            IpAddr::V4(ip) => ip,
            IpAddr::V6(_) => panic!("{ip} is not IPv4"),
        }
    }

    #[tokio::test]
    async fn pod_addresses_are_assigned_to_the_instance_a_batch_at_a_time_and_kept_warm() {
        let (ec2, caller, id, subnet) = one_instance().await;
        let cni = cni(&ec2, &caller, &id).await;
        let mut handed = Vec::new();
        for _ in 0..5 {
            handed.push(v4(cni.allocate(NODE).await.unwrap()));
        }
        assert_eq!(assigned(&ec2, &caller, &id).await, handed, "one interface's worth, in one change");
        handed.push(v4(cni.allocate(NODE).await.unwrap()));
        assert_eq!(assigned(&ec2, &caller, &id).await.len(), 10);
        let unique: HashSet<_> = handed.iter().collect();
        assert_eq!(unique.len(), 6);

        // A pod's address goes back to the node, not to the subnet, and is the next one handed out.
        cni.release(NODE, IpAddr::V4(handed[2])).await;
        assert_eq!(assigned(&ec2, &caller, &id).await.len(), 10);
        assert_eq!(v4(cni.allocate(NODE).await.unwrap()), handed[2]);

        // Garbage: a node the network never saw, an address it never gave.
        assert!(cni.allocate("ip-10-9-9-9.ec2.internal").await.is_err());
        cni.release(NODE, "10.200.0.1".parse().unwrap()).await;
        cni.release("nobody", IpAddr::V4(handed[0])).await;

        // The instance goes, and every address with it: the subnet can be deleted.
        ec2.change(&caller, &Scope::everything(), |network, _| {
            network.change_instance_states(std::slice::from_ref(&id), StateRequest::Terminate, 1.0)?;
            network.instances.remove(&id);
            network.delete_subnet(&subnet)
        })
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn after_a_restart_addresses_pods_hold_are_not_handed_out_again() {
        let (ec2, caller, id, _) = one_instance().await;
        let before = cni(&ec2, &caller, &id).await;
        let mut held = Vec::new();
        for _ in 0..4 {
            held.push(v4(before.allocate(NODE).await.unwrap()));
        }
        drop(before);

        // A new run reads the node's addresses back from EC2; the agent claims those its pods still hold.
        let after = cni(&ec2, &caller, &id).await;
        for ip in &held[..3] {
            after.claim(NODE, IpAddr::V4(*ip));
        }
        let next = [v4(after.allocate(NODE).await.unwrap()), v4(after.allocate(NODE).await.unwrap())];
        let warm = assigned(&ec2, &caller, &id).await;
        assert_eq!(next[0], held[3], "the one address no pod holds is used first");
        assert!(!held[..3].contains(&next[1]));
        assert_eq!(warm.len(), 5, "the fifth warm address needed no new assignment");
        after.release(NODE, IpAddr::V4(held[0])).await;
        assert_eq!(v4(after.allocate(NODE).await.unwrap()), held[0]);
        assert_eq!(assigned(&ec2, &caller, &id).await.len(), 5);
    }
}
