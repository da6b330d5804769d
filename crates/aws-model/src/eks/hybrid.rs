//! EKS Hybrid Nodes' network settings (`remoteNetworkConfig`): the CIDR blocks where a cluster's hybrid nodes
//! live and, optionally, where their pods get addresses. Checked as EKS checks them when a cluster is created or
//! its configuration updated: private (RFC 1918) IPv4 blocks, none overlapping another, the service range or the
//! cluster VPC's blocks.

use serde::{Deserialize, Serialize};

use super::EksError;
use crate::ec2::cidr::Cidr;

/// `remoteNetworkConfig`: each list holds at most one network of one or more blocks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteNetworkConfig {
    pub node_networks: Vec<Vec<String>>,
    pub pod_networks: Vec<Vec<String>>,
}

impl RemoteNetworkConfig {
    /// Every block, nodes' first.
    pub fn blocks(&self) -> impl Iterator<Item = &String> {
        self.node_networks.iter().chain(&self.pod_networks).flatten()
    }
}

/// The private IPv4 ranges of RFC 1918.
const PRIVATE: [&str; 3] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

/// Refuses settings EKS would; `vpc_blocks` are the cluster VPC's IPv4 blocks (empty when unknown).
pub fn validate_remote_network(
    config: &RemoteNetworkConfig,
    service_cidr: &str,
    vpc_blocks: &[String],
) -> Result<(), EksError> {
    let invalid = |message: String| Err(EksError::InvalidParameter(message));
    for (field, networks) in
        [("remoteNodeNetworks", &config.node_networks), ("remotePodNetworks", &config.pod_networks)]
    {
        if networks.len() > 1 {
            return invalid(format!(
                "1 validation error detected: Value at 'remoteNetworkConfig.{field}' failed to satisfy constraint: Member must have length less than or equal to 1"
            ));
        }
        if networks.iter().any(Vec::is_empty) {
            return invalid(format!("Each of {field} must have at least one CIDR block"));
        }
    }
    if config.node_networks.is_empty() && !config.pod_networks.is_empty() {
        return invalid("remotePodNetworks requires remoteNodeNetworks".into());
    }
    let private: Vec<Cidr> = PRIVATE.iter().filter_map(|block| Cidr::parse(block)).collect();
    let mut seen: Vec<(Cidr, &str)> = Vec::new();
    for block in config.blocks() {
        let Some(cidr) = Cidr::parse(block).filter(|cidr| cidr.to_string() == *block) else {
            return invalid(format!("The CIDR block {block} is invalid"));
        };
        if !private.iter().any(|range| range.contains(cidr)) {
            return invalid(format!(
                "The CIDR block {block} is not within an IPv4 RFC-1918 range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)"
            ));
        }
        if let Some((_, other)) = seen.iter().find(|(other, _)| other.overlaps(cidr)) {
            return invalid(format!("The CIDR block {block} overlaps with {other}"));
        }
        if Cidr::parse(service_cidr).is_some_and(|service| service.overlaps(cidr)) {
            return invalid(format!("The CIDR block {block} overlaps with the service CIDR {service_cidr}"));
        }
        if let Some(vpc) = vpc_blocks.iter().find(|vpc| Cidr::parse(vpc).is_some_and(|vpc| vpc.overlaps(cidr))) {
            return invalid(format!("The CIDR block {block} overlaps with the VPC CIDR block {vpc}"));
        }
        seen.push((cidr, block));
    }
    Ok(())
}

/// The settings as the API spells them.
pub fn remote_network_json(config: &RemoteNetworkConfig) -> serde_json::Value {
    let networks = |networks: &Vec<Vec<String>>| -> Vec<serde_json::Value> {
        networks.iter().map(|cidrs| serde_json::json!({ "cidrs": cidrs })).collect()
    };
    serde_json::json!({
        "remoteNodeNetworks": networks(&config.node_networks),
        "remotePodNetworks": networks(&config.pod_networks),
    })
}

#[cfg(test)]
mod tests;
