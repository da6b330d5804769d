//! EKS Hybrid Nodes: machines outside AWS that joined a cluster with a `remoteNetworkConfig`, as nodeadm joins
//! them. A node's kubelet acts as a session of the Hybrid Nodes IAM role named after the node (its Systems
//! Manager managed instance id, or the node name IAM Roles Anywhere gives it), so it is let in when the cluster
//! maps that session to a user in `system:nodes`: an access entry of type `HYBRID_LINUX`, or an `aws-auth`
//! mapping. Its address must lie in the cluster's remote node networks, as nodeadm checks.
//!
//! Each node gets a block of the cluster's remote pod networks for its pods (a /24, or the whole block when it is
//! smaller), as the CNIs EKS supports on hybrid nodes (Cilium's cluster pool, Calico's IP pools) carve them.
//!
//! Records: `/aws/<account>/<region>/eks/hybridnodes/<cluster>/<node name>`, forgotten with their cluster.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::authn::AwsIdentity;
use super::nodegroups::Taint;
use super::{Caller, Cluster, ClusterStatus, Eks, EksError};
use crate::ec2::cidr::{Cidr, parse_address};
use crate::records::RecordError;

/// How a hybrid node gets its credentials, as nodeadm labels it (`eks.amazonaws.com/hybrid-credential-provider`).
pub const CREDENTIAL_PROVIDERS: &[&str] = &["ssm", "iam-ra"];

/// The prefix length of the pod block each node gets.
pub const POD_BLOCK_PREFIX: u8 = 24;

/// A hybrid node as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HybridNode {
    pub cluster: String,
    /// The Node's name: a managed instance id (`mi-...`) or the IAM Roles Anywhere node name.
    pub name: String,
    /// Its address in the remote node network.
    pub ip: String,
    /// `ssm` or `iam-ra`.
    pub credential_provider: String,
    /// The Hybrid Nodes role its kubelet acts as.
    pub role_arn: String,
    /// Its block of the remote pod networks; `None` when the cluster names none.
    pub pod_cidr: Option<String>,
    /// `--node-labels` from its kubelet flags.
    pub labels: BTreeMap<String, String>,
    /// `--register-with-taints`, effects as EKS spells them.
    pub taints: Vec<Taint>,
    pub cpus: u32,
    pub memory_mib: u64,
    pub max_pods: u32,
    /// Unix seconds.
    pub joined_at: f64,
}

/// What a joining node brings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinHybridNode {
    pub cluster: String,
    pub name: String,
    pub ip: String,
    pub credential_provider: String,
    pub role_arn: String,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    pub cpus: u32,
    pub memory_mib: u64,
    pub max_pods: u32,
}

/// Whether `name` may name a Node: a DNS subdomain of lowercase letters, digits, `-` and `.`, at most 64 long (the
/// limit nodeadm puts on IAM Roles Anywhere node names).
pub fn valid_node_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && name.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric())
}

/// The first block of `prefix` in `networks` that no block of `taken` overlaps.
fn free_block(networks: &[String], taken: &[Cidr], prefix: u8) -> Option<Cidr> {
    for network in networks.iter().filter_map(|block| Cidr::parse(block)) {
        let prefix = prefix.max(network.prefix());
        let step = 1u64 << (32 - prefix);
        let mut offset = 0;
        while offset < network.size() {
            let start = network.nth(offset)?;
            let candidate = Cidr::parse(&format!("{start}/{prefix}"))?;
            if !taken.iter().any(|block| block.overlaps(candidate)) {
                return Some(candidate);
            }
            offset += step;
        }
    }
    None
}

impl Eks {
    fn hybrid_node_key(caller: &Caller, cluster: &str, name: &str) -> String {
        Self::child_key(caller, "hybridnodes", cluster, name)
    }

    /// Checks that `input` may join, as nodeadm's validations and the kubelet's authentication would: the
    /// cluster is active and has remote node networks holding the node's address, and maps the node's session
    /// of its role to a user in `system:nodes`. Answers the cluster.
    pub async fn check_hybrid_join(&self, caller: &Caller, input: &JoinHybridNode) -> Result<Cluster, EksError> {
        if !valid_node_name(&input.name) {
            return Err(EksError::InvalidParameter(format!(
                "The node name {:?} is not valid: 1 to 64 lowercase letters, digits, '-' and '.', starting and \
                 ending with a letter or digit",
                input.name
            )));
        }
        if !CREDENTIAL_PROVIDERS.contains(&input.credential_provider.as_str()) {
            return Err(EksError::InvalidParameter(format!(
                "The credential provider {} is not one of ssm, iam-ra",
                input.credential_provider
            )));
        }
        let cluster = self
            .current(caller, &input.cluster)
            .await?
            .ok_or_else(|| EksError::ResourceNotFound(format!("No cluster found for name: {}.", input.cluster)))?;
        if cluster.status != ClusterStatus::Active {
            return Err(EksError::InvalidRequest(format!(
                "Cluster {} is {:?}: nodes join an ACTIVE cluster",
                cluster.name, cluster.status
            )));
        }
        let Some(remote) = cluster.remote_network.as_ref().filter(|remote| !remote.node_networks.is_empty()) else {
            return Err(EksError::InvalidRequest(format!(
                "remote node networks not found in remote network config for cluster {}",
                cluster.name
            )));
        };
        let blocks: Vec<String> = remote.node_networks.iter().flatten().cloned().collect();
        let ip = parse_address(&input.ip)
            .ok_or_else(|| EksError::InvalidParameter(format!("The node IP {:?} is not an IPv4 address", input.ip)))?;
        let inside = blocks
            .iter()
            .filter_map(|block| Cidr::parse(block))
            .any(|block| Cidr::parse(&format!("{ip}/32")).is_some_and(|host| block.contains(host)));
        if !inside {
            return Err(EksError::InvalidParameter(format!(
                "node IP {ip} is not in any of the remote network CIDR blocks: [{}]",
                blocks.join(" ")
            )));
        }
        let role_name = input
            .role_arn
            .strip_prefix(&format!("arn:aws:iam::{}:role/", caller.account))
            .and_then(|path| path.rsplit('/').next())
            .filter(|name| !name.is_empty())
            .ok_or_else(|| {
                EksError::InvalidParameter(format!("The role {} is not a role of this account", input.role_arn))
            })?;
        let session = AwsIdentity {
            arn: format!("arn:aws:sts::{}:assumed-role/{role_name}/{}", caller.account, input.name),
            account: caller.account.clone(),
            access_key_id: String::new(),
        };
        let identity = self.node_identity(caller, &cluster, &session, None).await?;
        if !identity.is_some_and(|identity| identity.groups.iter().any(|group| group == "system:nodes")) {
            return Err(EksError::InvalidRequest(format!(
                "The role {} cannot join cluster {} as a node. Ensure your EKS cluster has at least one access entry \
                 of type HYBRID_LINUX with the hybrid node IAM role as principal.",
                input.role_arn, cluster.name
            )));
        }
        Ok(cluster)
    }

    /// Joins a hybrid node: checks it as [`Eks::check_hybrid_join`] does, gives it a free block of the remote pod
    /// networks and stores it. A name that already joined is refused.
    pub async fn join_hybrid_node(&self, caller: &Caller, input: JoinHybridNode) -> Result<HybridNode, EksError> {
        let cluster = self.check_hybrid_join(caller, &input).await?;
        let pod_networks: Vec<String> =
            cluster.remote_network.iter().flat_map(|remote| remote.pod_networks.iter().flatten().cloned()).collect();
        for _ in 0..8 {
            let others = self.hybrid_nodes(caller, &cluster.name).await?;
            if others.iter().any(|node| node.name == input.name) {
                return Err(EksError::ResourceInUse(format!(
                    "A node named {} has already joined cluster {}",
                    input.name, cluster.name
                )));
            }
            let pod_cidr = if pod_networks.is_empty() {
                None
            } else {
                let taken: Vec<Cidr> =
                    others.iter().filter_map(|node| node.pod_cidr.as_deref().and_then(Cidr::parse)).collect();
                let block = free_block(&pod_networks, &taken, POD_BLOCK_PREFIX).ok_or_else(|| {
                    EksError::ResourceLimitExceeded(format!(
                        "The remote pod networks of cluster {} ([{}]) have no free block left for another node",
                        cluster.name,
                        pod_networks.join(" ")
                    ))
                })?;
                Some(block.to_string())
            };
            let node = HybridNode {
                cluster: cluster.name.clone(),
                name: input.name.clone(),
                ip: input.ip.clone(),
                credential_provider: input.credential_provider.clone(),
                role_arn: input.role_arn.clone(),
                pod_cidr,
                labels: input.labels.clone(),
                taints: input.taints.clone(),
                cpus: input.cpus,
                memory_mib: input.memory_mib,
                max_pods: input.max_pods,
                joined_at: self.clock.now(),
            };
            match self.records.create(&Self::hybrid_node_key(caller, &cluster.name, &node.name), &node).await {
                Ok(_) => return Ok(node),
                // Another node took the name meanwhile: read again and refuse it.
                Err(RecordError::Exists(_)) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(EksError::Server("the cluster's hybrid nodes kept changing; retry".into()))
    }

    /// The hybrid nodes of a cluster, by name.
    pub async fn hybrid_nodes(&self, caller: &Caller, cluster: &str) -> Result<Vec<HybridNode>, EksError> {
        let prefix = Self::children_prefix(caller, "hybridnodes", cluster);
        let mut nodes: Vec<HybridNode> =
            self.records.list(&prefix).await?.into_iter().map(|stored| stored.value).collect();
        nodes.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(nodes)
    }

    /// Takes a hybrid node out of the cluster (nodeadm uninstall).
    pub async fn remove_hybrid_node(&self, caller: &Caller, cluster: &str, name: &str) -> Result<(), EksError> {
        match self.records.delete(&Self::hybrid_node_key(caller, cluster, name), None).await {
            Ok(()) => Ok(()),
            Err(RecordError::NotFound(_)) => {
                Err(EksError::ResourceNotFound(format!("No hybrid node {name} in cluster {cluster}.")))
            }
            Err(error) => Err(error.into()),
        }
    }
}

#[cfg(test)]
mod tests;
