//! Where a Classic load balancer sits, changed after it is made: its security groups
//! (ApplySecurityGroupsToLoadBalancer), its subnets (AttachLoadBalancerToSubnets, DetachLoadBalancerFromSubnets) and
//! its zones (EnableAvailabilityZonesForLoadBalancer, DisableAvailabilityZonesForLoadBalancer: the default subnet of
//! each zone in its VPC).
//!
//! Its interfaces follow: each new subnet gets one (with the load balancer's groups), each subnet left loses its
//! one, and new groups are set on every one of them. Groups and subnets must exist and be in the load balancer's
//! VPC; a zone takes one subnet; the last subnet stays. A change that is refused leaves everything as it was.

use crate::ec2::{Kind, Scope, interfaces::InterfaceChange, scopes};
use crate::eks::Caller;
use crate::elbv2::{Elbv2Error, ec2_error};

use super::{ClassicLoadBalancer, Elb, ElbError, invalid};

/// The most security groups a Classic load balancer takes.
const MAX_SECURITY_GROUPS: usize = 5;

fn configuration(message: impl Into<String>) -> ElbError {
    ElbError::Shared(Elbv2Error::InvalidConfiguration(message.into()))
}

/// The ids of a request, each once, in order.
fn distinct(ids: &[String]) -> Vec<String> {
    let mut seen = Vec::new();
    for id in ids {
        if !seen.contains(id) {
            seen.push(id.clone());
        }
    }
    seen
}

impl Elb {
    /// ApplySecurityGroupsToLoadBalancer: replaces its groups (1 to 5 of its VPC) on it and its interfaces;
    /// returns them.
    pub async fn apply_security_groups(
        &self,
        caller: &Caller,
        name: &str,
        groups: &[String],
    ) -> Result<Vec<String>, ElbError> {
        let groups = distinct(groups);
        if groups.is_empty() {
            return Err(invalid("SecurityGroups must contain at least one security group"));
        }
        if groups.len() > MAX_SECURITY_GROUPS {
            return Err(ElbError::Shared(Elbv2Error::InvalidSecurityGroup(format!(
                "A load balancer can have at most {MAX_SECURITY_GROUPS} security groups"
            ))));
        }
        let lb = self.load_balancer(caller, name).await?;
        // Checked once for all, before any interface changes.
        let scope = Scope::new().ids(Kind::SecurityGroup, groups.iter().cloned());
        self.ec2
            .view(caller, &scope, |network| {
                for id in &groups {
                    match network.security_groups.loaded().get(id) {
                        None => return Err(format!("The security group '{id}' does not exist")),
                        Some(group) if group.vpc_id != lb.vpc_id => {
                            return Err(format!("The security group '{id}' does not belong to VPC '{}'", lb.vpc_id));
                        }
                        Some(_) => {}
                    }
                }
                Ok(())
            })
            .await
            .map_err(ec2_error)?
            .map_err(|message| {
                ElbError::Shared(Elbv2Error::InvalidSecurityGroup(format!(
                    "One or more security groups are invalid: {message}"
                )))
            })?;
        for (_, _, eni_id) in &lb.subnets {
            let change = InterfaceChange::Groups(groups.clone());
            self.ec2
                .change_widening(
                    caller,
                    &scopes::network_interface(eni_id).all(Kind::SecurityGroup),
                    scopes::interface_parts,
                    |network, _| network.modify_network_interface_attribute(eni_id, change.clone()),
                )
                .await
                .map_err(ec2_error)?;
        }
        let lb = self
            .update(caller, name, |lb| {
                lb.security_groups = groups.clone();
                Ok(())
            })
            .await?;
        Ok(lb.security_groups)
    }

    /// AttachLoadBalancerToSubnets: subnets of its VPC, at most one a zone (those it has are left as they are);
    /// returns all its subnets.
    pub async fn attach_subnets(
        &self,
        caller: &Caller,
        name: &str,
        subnets: &[String],
    ) -> Result<Vec<String>, ElbError> {
        let subnets = distinct(subnets);
        if subnets.is_empty() {
            return Err(invalid("Subnets must contain at least one subnet"));
        }
        let lb = self.load_balancer(caller, name).await?;
        let added: Vec<String> =
            subnets.into_iter().filter(|id| !lb.subnets.iter().any(|(subnet, _, _)| subnet == id)).collect();
        if added.is_empty() {
            return Ok(subnet_ids(&lb));
        }
        let placements = self.ec2.subnet_placements(caller, &added).await.map_err(ec2_error)?;
        let mut zones: Vec<&str> = lb.zones();
        for placement in &placements {
            if placement.vpc_id != lb.vpc_id {
                return Err(configuration("All subnets must belong to the same VPC"));
            }
            if zones.contains(&placement.availability_zone.as_str()) {
                return Err(configuration("ELB cannot be attached to multiple subnets in the same AZ."));
            }
            zones.push(&placement.availability_zone);
        }
        let (held, _) = self.make_interfaces(caller, name, &placements, &lb.security_groups).await?;
        let updated = self
            .update(caller, name, |lb| {
                // Another attach may have taken a zone meanwhile.
                if held.iter().any(|(_, zone, _)| lb.zones().contains(&zone.as_str())) {
                    return Err(configuration("ELB cannot be attached to multiple subnets in the same AZ."));
                }
                lb.subnets.extend(held.iter().cloned());
                Ok(())
            })
            .await;
        match updated {
            Ok(lb) => Ok(subnet_ids(&lb)),
            Err(error) => {
                let _ = self.release(caller, &held).await;
                Err(error)
            }
        }
    }

    /// DetachLoadBalancerFromSubnets: subnets it is not in are ignored; the last one stays. Returns the subnets
    /// left.
    pub async fn detach_subnets(
        &self,
        caller: &Caller,
        name: &str,
        subnets: &[String],
    ) -> Result<Vec<String>, ElbError> {
        let subnets = distinct(subnets);
        if subnets.is_empty() {
            return Err(invalid("Subnets must contain at least one subnet"));
        }
        let mut removed: Vec<(String, String, String)> = Vec::new();
        let lb = self
            .update(caller, name, |lb| {
                if lb.subnets.iter().all(|(subnet, _, _)| subnets.contains(subnet)) {
                    return Err(configuration(format!(
                        "Requested configuration change for LoadBalancer \"{name}\" is invalid because you attempted \
                         to detach all the subnets for this LoadBalancer and a LoadBalancer cannot be attached to \
                         zero subnets in VPC."
                    )));
                }
                let (gone, kept): (Vec<_>, Vec<_>) =
                    lb.subnets.drain(..).partition(|(subnet, _, _)| subnets.contains(subnet));
                lb.subnets = kept;
                removed = gone;
                Ok(())
            })
            .await?;
        // The record names them no more: their interfaces go (one already gone counts as gone).
        self.release(caller, &removed).await?;
        Ok(subnet_ids(&lb))
    }

    /// EnableAvailabilityZonesForLoadBalancer: attaches the default subnet of each zone in its VPC (zones it has
    /// are left as they are); returns all its zones.
    pub async fn enable_zones(&self, caller: &Caller, name: &str, zones: &[String]) -> Result<Vec<String>, ElbError> {
        let zones = distinct(zones);
        if zones.is_empty() {
            return Err(invalid("AvailabilityZones must contain at least one zone"));
        }
        let lb = self.load_balancer(caller, name).await?;
        let wanted: Vec<String> = zones.into_iter().filter(|zone| !lb.zones().contains(&zone.as_str())).collect();
        let subnets = self.default_subnets(caller, &lb.vpc_id, &wanted).await?;
        if !subnets.is_empty() {
            self.attach_subnets(caller, name, &subnets).await?;
        }
        Ok(self.load_balancer(caller, name).await?.zones().into_iter().map(str::to_owned).collect())
    }

    /// DisableAvailabilityZonesForLoadBalancer: detaches its subnets of those zones (zones it is not in are
    /// ignored); the last zone stays. Returns the zones left.
    pub async fn disable_zones(&self, caller: &Caller, name: &str, zones: &[String]) -> Result<Vec<String>, ElbError> {
        let zones = distinct(zones);
        if zones.is_empty() {
            return Err(invalid("AvailabilityZones must contain at least one zone"));
        }
        let lb = self.load_balancer(caller, name).await?;
        let subnets: Vec<String> = lb
            .subnets
            .iter()
            .filter(|(_, zone, _)| zones.contains(zone))
            .map(|(subnet, _, _)| subnet.clone())
            .collect();
        if subnets.is_empty() {
            return Ok(lb.zones().into_iter().map(str::to_owned).collect());
        }
        if subnets.len() == lb.subnets.len() {
            return Err(configuration(format!(
                "Requested configuration change for LoadBalancer \"{name}\" is invalid because you attempted to \
                 disable all the Availability Zones for this LoadBalancer."
            )));
        }
        self.detach_subnets(caller, name, &subnets).await?;
        Ok(self.load_balancer(caller, name).await?.zones().into_iter().map(str::to_owned).collect())
    }

    /// The default subnet of each zone in `vpc_id`, or `InvalidConfigurationRequest` for a zone without one.
    async fn default_subnets(&self, caller: &Caller, vpc_id: &str, zones: &[String]) -> Result<Vec<String>, ElbError> {
        if zones.is_empty() {
            return Ok(Vec::new());
        }
        let defaults: Vec<(String, String)> = self
            .ec2
            .view(caller, &Scope::new().all(Kind::Subnet), |network| {
                network
                    .subnets
                    .loaded()
                    .values()
                    .filter(|subnet| subnet.default_for_az && subnet.vpc_id == vpc_id)
                    .map(|subnet| (subnet.availability_zone.clone(), subnet.id.clone()))
                    .collect()
            })
            .await
            .map_err(ec2_error)?;
        zones
            .iter()
            .map(|zone| {
                defaults.iter().find(|(z, _)| z == zone).map(|(_, id)| id.clone()).ok_or_else(|| {
                    configuration(format!("Availability zone '{zone}' has no default subnet in VPC '{vpc_id}'"))
                })
            })
            .collect()
    }
}

/// A load balancer's subnet ids, in its order.
fn subnet_ids(lb: &ClassicLoadBalancer) -> Vec<String> {
    lb.subnets.iter().map(|(subnet, _, _)| subnet.clone()).collect()
}
