//! Where Fargate pods run: a subnet of their profile (the one with the fewest of this server's Fargate pods)
//! and an address of it, given back when the pod's node goes.

use std::net::IpAddr;

use super::nodes::EksNodes;
use crate::fargate::{FargateCapacity, FargatePlacement};

#[async_trait::async_trait]
impl FargateCapacity for EksNodes {
    async fn place(&self, cluster: &str, profile: &str) -> Result<FargatePlacement, String> {
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
        Ok(FargatePlacement {
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
