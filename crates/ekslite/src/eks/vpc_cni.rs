//! Pod addresses as the Amazon VPC CNI hands them out on EKS nodes.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use node_agent::{PodNetwork, SubnetPool};

/// The instance behind each node and the pod addresses its interfaces hold, by cluster and node name.
pub(super) type NodeInstances = Arc<std::sync::Mutex<HashMap<(String, String), NodeAddresses>>>;

/// What the pod network needs to know of a node's instance.
#[derive(Debug, Clone)]
pub(super) struct NodeAddresses {
    pub(super) instance_id: String,
    /// How many addresses to assign at a time: one interface's worth (its secondary addresses).
    pub(super) batch: usize,
    /// The secondary addresses it held when last seen.
    pub(super) assigned: Vec<Ipv4Addr>,
}

/// Addresses assigned at a time when the instance type is unknown.
pub(super) const WARM_BATCH: usize = 5;

/// Pod IPs as the VPC CNI gives them: secondary private addresses of the node's subnet on the instance's network
/// interfaces in EC2, assigned one interface's worth at a time (the primary interface first, then interfaces the
/// CNI creates and attaches, `aws-K8S-<instance id>`: the CNI's warm ENI) and kept warm on the node when pods go,
/// so that an address is written to EC2 once per batch rather than once per pod. They are freed with the
/// instance and its interfaces, and after a restart the node's warm addresses are read back from EC2. A node holds
/// as many as its interfaces do (15 on a t3.medium, whose max pods also counts two host-network pods); a pod past
/// that gets no address, as on EKS. Hybrid nodes run no VPC CNI: their pods get addresses of the node's block of
/// the remote pod networks, as Cilium or Calico hand them out there.
#[derive(Debug)]
pub struct VpcCni {
    cluster: String,
    caller: aws_model::eks::Caller,
    ec2: aws_model::ec2::Ec2,
    instances: NodeInstances,
    fargate: crate::fargate::FargateNodes,
    /// The addresses of each node's instance, by node name.
    pools: std::sync::Mutex<HashMap<String, WarmPool>>,
    /// Hybrid nodes' pod blocks, by cluster and node name.
    hybrid: super::hybrid::HybridBlocks,
    /// Hybrid nodes' pod addresses, from their blocks of the remote pod networks (no EC2 behind them).
    hybrid_pods: SubnetPool,
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
    /// The pod network of `cluster` (its Kubernetes name), owned by `caller`'s account and region.
    pub(super) fn new(
        cluster: &str,
        caller: aws_model::eks::Caller,
        ec2: aws_model::ec2::Ec2,
        instances: NodeInstances,
        fargate: crate::fargate::FargateNodes,
        hybrid: super::hybrid::HybridBlocks,
    ) -> VpcCni {
        VpcCni {
            cluster: cluster.to_owned(),
            caller,
            ec2,
            instances,
            fargate,
            pools: std::sync::Mutex::default(),
            hybrid,
            hybrid_pods: SubnetPool::new(),
        }
    }

    /// A hybrid node's pod block (`Some(None)`: a hybrid node without one); `None` for every other node.
    fn hybrid_block(&self, node: &str) -> Option<Option<String>> {
        self.hybrid.lock().expect("hybrid block lock").get(&(self.cluster.clone(), node.to_owned())).cloned()
    }

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
        match self.hybrid_block(node) {
            Some(Some(_)) => return self.hybrid_pods.allocate(node).await,
            Some(None) => {
                return Err(format!(
                    "hybrid node {node} has no pod network: the cluster's remoteNetworkConfig names no \
                     remotePodNetworks to give its pods addresses from"
                ));
            }
            None => {}
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
        if self.hybrid_block(node).is_some() {
            return self.hybrid_pods.release(node, IpAddr::V4(ip)).await;
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
        if self.hybrid_block(node).is_some() {
            return self.hybrid_pods.claim(node, IpAddr::V4(ip));
        }
        let known = self.node(node);
        let mut pools = self.pools.lock().expect("pod address lock");
        let pool = pools.entry(node.to_owned()).or_default();
        if let Some(known) = &known {
            pool.follow(known);
        }
        pool.free.remove(&ip);
        pool.used.insert(ip);
    }

    fn node_changed(&self, node: &str, pod_subnet: Option<&str>, own_addresses: &[IpAddr]) {
        if self.hybrid_block(node).is_some() {
            self.hybrid_pods.node_changed(node, pod_subnet, own_addresses);
            if pod_subnet.is_none() {
                self.hybrid.lock().expect("hybrid block lock").remove(&(self.cluster.clone(), node.to_owned()));
            }
            return;
        }
        if pod_subnet.is_none() && self.fargate.ip_of(&self.cluster, node).is_none() {
            // The node is gone; its instance's addresses went with the instance.
            self.pools.lock().expect("pod address lock").remove(node);
            self.instances.lock().expect("node instance lock").remove(&(self.cluster.clone(), node.to_owned()));
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
