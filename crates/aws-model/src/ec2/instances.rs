//! EC2 instances: the records of the instances Auto Scaling launches for managed node groups, their states
//! (`pending -> running`, `stopping -> stopped`, `shutting-down -> terminated`), DescribeInstances' filters, and
//! TerminateInstances, StopInstances and StartInstances. An instance, its primary network interface and the
//! private address they take from its subnet are written in one change; its interfaces are in `interfaces.rs`.
//!
//! Terminated instances stay visible for an hour, as EC2 keeps them, and are forgotten by the next Auto Scaling
//! sync after that.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use super::network::{check_filters, passes};
use super::{Ec2Error, Filter, Network, Tags};
use crate::eks::nodegroups::Taint;

/// How long a terminated instance stays visible, in seconds.
pub const TERMINATED_VISIBLE_SECONDS: f64 = 3600.0;

/// An instance state as EC2 names and numbers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InstanceState {
    Pending,
    Running,
    ShuttingDown,
    Terminated,
    Stopping,
    Stopped,
}

impl InstanceState {
    /// `pending`, `running`, ... as EC2 spells them.
    pub fn name(self) -> &'static str {
        match self {
            InstanceState::Pending => "pending",
            InstanceState::Running => "running",
            InstanceState::ShuttingDown => "shutting-down",
            InstanceState::Terminated => "terminated",
            InstanceState::Stopping => "stopping",
            InstanceState::Stopped => "stopped",
        }
    }

    /// EC2's state code.
    pub fn code(self) -> u32 {
        match self {
            InstanceState::Pending => 0,
            InstanceState::Running => 16,
            InstanceState::ShuttingDown => 32,
            InstanceState::Terminated => 48,
            InstanceState::Stopping => 64,
            InstanceState::Stopped => 80,
        }
    }
}

/// What an instance of a managed node group knows about its group, for the nodes the data plane makes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodegroupMember {
    pub cluster: String,
    pub nodegroup: String,
    /// `ON_DEMAND`, `SPOT` or `CAPACITY_BLOCK`.
    pub capacity_type: String,
    /// The node group's Kubernetes labels, kept current as the node group changes.
    pub labels: std::collections::BTreeMap<String, String>,
    pub taints: Vec<Taint>,
}

/// A launch template as an instance or group refers to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateRef {
    pub id: String,
    pub name: String,
    /// A version number, `$Latest` or `$Default`.
    pub version: String,
}

/// An EC2 instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    pub id: String,
    pub reservation_id: String,
    pub instance_type: String,
    pub image_id: String,
    pub availability_zone: String,
    pub subnet_id: String,
    pub vpc_id: String,
    pub private_ip: Ipv4Addr,
    pub private_dns_name: String,
    /// The network interfaces attached to it, by id: the primary one first, then in the order attached. Each is
    /// its own record (`interfaces.rs`); terminated instances have none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network_interfaces: Vec<String>,
    /// Secondary addresses that records of earlier versions kept on the instance itself; `migrate.rs` moves them
    /// to the instance's interfaces, and nothing else reads or writes them.
    #[serde(default, rename = "secondary_ips", skip_serializing_if = "Vec::is_empty")]
    pub legacy_secondary_ips: Vec<Ipv4Addr>,
    /// The EBS volumes attached to it, by id, in the order attached (`volumes.rs`); terminated instances have
    /// none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<String>,
    /// The stored state; [`Instance::state_at`] reads `pending` until `running_at`.
    pub state: InstanceState,
    /// Unix seconds.
    pub launched_at: f64,
    /// When a launched instance is running (Unix seconds).
    pub running_at: f64,
    /// When the state last changed by request (Unix seconds).
    pub state_changed_at: f64,
    /// Why the state last changed (`User initiated (...)`), empty at launch.
    pub transition_reason: String,
    pub security_groups: Vec<String>,
    pub instance_profile_arn: Option<String>,
    pub key_name: Option<String>,
    pub launch_template: Option<TemplateRef>,
    /// The Auto Scaling group that launched it.
    pub auto_scaling_group: Option<String>,
    pub nodegroup: Option<NodegroupMember>,
}

impl Instance {
    /// The state at `now`: a running instance reads `pending` until it has booted.
    pub fn state_at(&self, now: f64) -> InstanceState {
        match self.state {
            InstanceState::Running if now < self.running_at => InstanceState::Pending,
            state => state,
        }
    }

    /// Whether it still exists as far as its group is concerned (not terminated or terminating).
    pub fn is_live(&self) -> bool {
        !matches!(self.state, InstanceState::Terminated | InstanceState::ShuttingDown)
    }
}

/// The private DNS name EC2 gives an address: `ip-10-0-1-23.ec2.internal` in us-east-1,
/// `ip-10-0-1-23.<region>.compute.internal` elsewhere.
pub fn private_dns_name(ip: Ipv4Addr, region: &str) -> String {
    let host = format!("ip-{}", ip.to_string().replace('.', "-"));
    if region == "us-east-1" { format!("{host}.ec2.internal") } else { format!("{host}.{region}.compute.internal") }
}

/// `2026-11-28 04:50:00 GMT`, as EC2 writes times into state transition reasons.
pub fn gmt(seconds: f64) -> String {
    let seconds = seconds.max(0.0) as i64;
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} GMT", rest / 3600, rest % 3600 / 60, rest % 60)
}

/// One state change, as TerminateInstances, StopInstances and StartInstances report it: the instance, its
/// previous state and its current one.
pub type StateChange = (String, InstanceState, InstanceState);

/// What StopInstances, StartInstances or TerminateInstances asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateRequest {
    Stop,
    Start,
    Terminate,
}

/// The filters DescribeInstances takes, besides the tag filters.
const INSTANCE_FILTERS: &[&str] = &[
    "instance-id",
    "instance-state-name",
    "instance-state-code",
    "instance-type",
    "image-id",
    "vpc-id",
    "subnet-id",
    "availability-zone",
    "private-ip-address",
    "private-dns-name",
    "reservation-id",
    "owner-id",
    "iam-instance-profile.arn",
    "key-name",
    "instance-lifecycle",
    "network-interface.subnet-id",
    "network-interface.vpc-id",
    "network-interface.addresses.private-ip-address",
    "network-interface.network-interface-id",
    "instance.group-id",
];

/// Whether `id` looks like an instance id (`i-` and 8 or 17 hex digits).
pub fn is_instance_id(id: &str) -> bool {
    id.strip_prefix("i-").is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17) && hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    })
}

/// The instances terminated more than an hour ago, which EC2 no longer shows.
pub fn terminated_long_ago<'a>(instances: impl Iterator<Item = &'a Instance>, now: f64) -> Vec<String> {
    instances
        .filter(|i| i.state == InstanceState::Terminated && now - i.state_changed_at >= TERMINATED_VISIBLE_SECONDS)
        .map(|i| i.id.clone())
        .collect()
}

impl Network {
    /// The records terminating an instance writes: the instance, each of its interfaces (detached or deleted) and
    /// each of its volumes (detached or deleted); 1 for an instance the network does not hold.
    pub fn termination_cost(&self, id: &str) -> usize {
        self.instances.get(id).map_or(1, |instance| 1 + instance.network_interfaces.len() + instance.volumes.len())
    }
}

impl Network {
    /// Refuses malformed instance ids and names the unknown ones as EC2 does.
    pub fn check_instance_ids(&self, ids: &[String]) -> Result<(), Ec2Error> {
        if let Some(bad) = ids.iter().find(|id| !is_instance_id(id)) {
            return Err(Ec2Error::InstanceIdMalformed(bad.clone()));
        }
        let unknown: Vec<&str> = ids.iter().filter(|id| !self.instances.contains_key(id)).map(String::as_str).collect();
        match unknown.as_slice() {
            [] => Ok(()),
            [one] => Err(Ec2Error::InstanceNotFound(format!("The instance ID '{one}' does not exist"))),
            many => Err(Ec2Error::InstanceNotFound(format!("The instance IDs '{}' do not exist", many.join(", ")))),
        }
    }

    /// DescribeInstances: the instances asked for (all when none is named) that pass the filters, in id order.
    pub fn describe_instances(
        &self,
        instance_ids: &[String],
        filters: &[Filter],
        now: f64,
    ) -> Result<Vec<&Instance>, Ec2Error> {
        check_filters(filters, INSTANCE_FILTERS)?;
        self.check_instance_ids(instance_ids)?;
        let one = |value: &str| vec![value.to_owned()];
        Ok(self
            .instances
            .values()
            .filter(|instance| instance_ids.is_empty() || instance_ids.contains(&instance.id))
            .filter(|instance| {
                let state = instance.state_at(now);
                let interfaces = self.instance_interfaces(instance);
                let of_interfaces = |field: &dyn Fn(&super::NetworkInterface) -> Vec<String>| -> Vec<String> {
                    interfaces.iter().flat_map(|eni| field(eni)).collect()
                };
                passes(filters, self.tags.get(&instance.id), |name| match name {
                    "instance-id" => one(&instance.id),
                    "instance-state-name" => one(state.name()),
                    "instance-state-code" => vec![state.code().to_string()],
                    "instance-type" => one(&instance.instance_type),
                    "image-id" => one(&instance.image_id),
                    "vpc-id" => one(&instance.vpc_id),
                    "subnet-id" => one(&instance.subnet_id),
                    "network-interface.vpc-id" => of_interfaces(&|eni| vec![eni.vpc_id.clone()]),
                    "network-interface.subnet-id" => of_interfaces(&|eni| vec![eni.subnet_id.clone()]),
                    "network-interface.network-interface-id" => of_interfaces(&|eni| vec![eni.id.clone()]),
                    "network-interface.addresses.private-ip-address" => {
                        of_interfaces(&|eni| eni.addresses().iter().map(|(ip, _)| ip.to_string()).collect())
                    }
                    "availability-zone" => one(&instance.availability_zone),
                    "private-ip-address" => vec![instance.private_ip.to_string()],
                    "private-dns-name" => one(&instance.private_dns_name),
                    "reservation-id" => one(&instance.reservation_id),
                    "owner-id" => one(&self.account),
                    "iam-instance-profile.arn" => instance.instance_profile_arn.iter().cloned().collect(),
                    "key-name" => instance.key_name.iter().cloned().collect(),
                    "instance-lifecycle" => match instance.nodegroup.as_ref() {
                        Some(member) if member.capacity_type == "SPOT" => one("spot"),
                        _ => Vec::new(),
                    },
                    "instance.group-id" => instance.security_groups.clone(),
                    _ => Vec::new(),
                })
            })
            .collect())
    }

    /// Stops, starts or terminates instances, each from the state it is in. Terminating gives the private
    /// address back to the subnet; an instance leaves its Auto Scaling group, which replaces it when the group is
    /// next reconciled. Stopping keeps the address; a stopped instance stays in its group until it is started
    /// or terminated.
    pub fn change_instance_states(
        &mut self,
        ids: &[String],
        request: StateRequest,
        now: f64,
    ) -> Result<Vec<StateChange>, Ec2Error> {
        if ids.is_empty() {
            return Err(Ec2Error::MissingParameter("The request must contain the parameter InstanceId".into()));
        }
        self.check_instance_ids(ids)?;
        for id in ids {
            let state = self.instances[id].state;
            let refused = match request {
                StateRequest::Stop => matches!(state, InstanceState::Terminated | InstanceState::ShuttingDown),
                StateRequest::Start => matches!(state, InstanceState::Terminated | InstanceState::ShuttingDown),
                StateRequest::Terminate => false,
            };
            if refused {
                let verb = if request == StateRequest::Stop { "stopped" } else { "started" };
                return Err(Ec2Error::IncorrectInstanceState(format!(
                    "This instance '{id}' is not in a state from which it can be {verb}."
                )));
            }
        }
        let reason_time = gmt(now);
        let mut changes = Vec::new();
        for id in ids {
            let instance = self.instances.get_mut(id).expect("checked above");
            let previous = instance.state_at(now);
            let (current, stored) = match (request, instance.state) {
                (StateRequest::Terminate, InstanceState::Terminated) => {
                    (InstanceState::Terminated, InstanceState::Terminated)
                }
                (StateRequest::Terminate, _) => (InstanceState::ShuttingDown, InstanceState::Terminated),
                (StateRequest::Stop, InstanceState::Stopped) => (InstanceState::Stopped, InstanceState::Stopped),
                (StateRequest::Stop, _) => (InstanceState::Stopping, InstanceState::Stopped),
                (StateRequest::Start, InstanceState::Stopped) => (InstanceState::Pending, InstanceState::Running),
                (StateRequest::Start, state) => (instance.state_at(now), state),
            };
            if stored != instance.state {
                let verb = match request {
                    StateRequest::Terminate => "terminated",
                    StateRequest::Stop => "stopped",
                    StateRequest::Start => "started",
                };
                instance.transition_reason = format!("User initiated ({reason_time})");
                if verb == "started" {
                    instance.transition_reason.clear();
                    instance.running_at = now;
                }
                instance.state = stored;
                instance.state_changed_at = now;
                if stored == InstanceState::Terminated {
                    // Its primary interface goes with it, and the others it was told to take, with every address
                    // they held; its volumes are detached, or deleted when told to go with it.
                    let (subnet, ip) = (instance.subnet_id.clone(), instance.private_ip);
                    self.release_instance_interfaces(id);
                    self.release_instance_volumes(id);
                    if let Some(subnet) = self.subnets.get_mut(&subnet) {
                        subnet.allocated.remove(&ip);
                    }
                }
            }
            changes.push((id.clone(), previous, current));
        }
        Ok(changes)
    }

    /// Forgets instances terminated more than an hour ago, and their tags.
    pub fn forget_terminated(&mut self, now: f64) {
        let old = terminated_long_ago(self.instances.values(), now);
        self.forget_instances(&old);
    }

    /// Forgets these instances, and their tags.
    pub fn forget_instances(&mut self, ids: &[String]) {
        for id in ids {
            self.instances.remove(id);
            self.untag(id);
        }
    }

    /// The tags of an instance.
    pub fn instance_tags(&self, id: &str) -> Option<&Tags> {
        self.tags.get(id)
    }
}

/// A running t3.medium in a subnet, for tests.
#[cfg(test)]
pub(crate) fn test_instance(id: &str, subnet_id: &str, ip: Ipv4Addr) -> Instance {
    Instance {
        id: id.to_owned(),
        reservation_id: "r-1".into(),
        instance_type: "t3.medium".into(),
        image_id: "ami-1".into(),
        availability_zone: "eu-west-1a".into(),
        subnet_id: subnet_id.to_owned(),
        vpc_id: "vpc-1".into(),
        private_ip: ip,
        private_dns_name: private_dns_name(ip, "eu-west-1"),
        network_interfaces: Vec::new(),
        legacy_secondary_ips: Vec::new(),
        volumes: Vec::new(),
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
        nodegroup: None,
    }
}

#[cfg(test)]
mod tests;
