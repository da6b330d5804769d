//! EC2 instances: the records of the instances Auto Scaling launches (for managed node groups and for the
//! user's own groups) and of those RunInstances launches, their states (`pending -> running`, `stopping ->
//! stopped`, `shutting-down -> terminated`), DescribeInstances' filters, and TerminateInstances, StopInstances and
//! StartInstances. Every launch goes through [`Network::launch_instance`]: an instance, its primary network
//! interface and the private address they take from its subnet are written in one change; its interfaces are in
//! `interfaces.rs`. An instance keeps its user data, and what that tells its kubelet (`bootstrap.rs`: the cluster
//! a self-managed node joins).
//!
//! Terminated instances stay visible for an hour, as EC2 keeps them, and are forgotten by the next Auto Scaling
//! sync after that.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use super::network::{check_filters, passes};
use super::{Ec2Error, Filter, Network, Tags};
use crate::eks::nodegroups::Taint;

pub mod bootstrap;

pub use bootstrap::Bootstrap;

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
    /// Set once its group scales in and picks it: EKS drains its node before the instance is terminated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drain: Option<Drain>,
}

/// A managed node group instance leaving its group: its node is cordoned and drained first.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Drain {
    /// When the group picked it, Unix seconds.
    pub since: f64,
    /// Whether its node is drained (no pod left but DaemonSet and static ones).
    pub done: bool,
}

impl Eq for Drain {}

/// A launch template as an instance or group refers to it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    /// The user data it was launched with (base64, as given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_data: Option<String>,
    /// What the user data tells its kubelet: the cluster it joins as a self-managed node, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<Bootstrap>,
    /// The `ClientToken` of the RunInstances call that launched it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
    /// Whether it is a Spot Instance (`instanceLifecycle` `spot`) that an EC2 Fleet launched.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub spot: bool,
}

impl Instance {
    /// Whether it runs on spot capacity: a Spot Instance, or a member of a `SPOT` managed node group.
    pub fn is_spot(&self) -> bool {
        self.spot || self.nodegroup.as_ref().is_some_and(|member| member.capacity_type == "SPOT")
    }

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
    let at =
        time::OffsetDateTime::from_unix_timestamp(seconds.max(0.0) as i64).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} GMT",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
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
                    "instance-lifecycle" => {
                        if instance.is_spot() {
                            one("spot")
                        } else {
                            Vec::new()
                        }
                    }
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

/// One instance to launch, its names resolved: what [`Network::launch_instance`] makes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Launch {
    pub subnet_id: String,
    pub instance_type: String,
    pub image_id: String,
    pub security_groups: Vec<String>,
    pub instance_profile_arn: Option<String>,
    pub key_name: Option<String>,
    /// Base64, at most [`super::templates::MAX_USER_DATA_BYTES`] decoded.
    pub user_data: Option<String>,
    pub launch_template: Option<TemplateRef>,
    pub auto_scaling_group: Option<String>,
    pub nodegroup: Option<NodegroupMember>,
    pub tags: Tags,
    pub client_token: Option<String>,
    /// The reservation it joins; a new one when `None`.
    pub reservation_id: Option<String>,
    /// Seconds it stays `pending`.
    pub boot_seconds: f64,
    /// A Spot Instance.
    pub spot: bool,
}

/// What RunInstances asks for, its names resolved (the launch template's data merged under the call's own
/// parameters, the instance profile's ARN).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunInstances {
    pub image_id: String,
    pub instance_type: String,
    pub min_count: usize,
    pub max_count: usize,
    /// The default VPC's subnet in the zone asked for (else its first) when `None`.
    pub subnet_id: Option<String>,
    pub availability_zone: Option<String>,
    /// The VPC's default group when empty.
    pub security_group_ids: Vec<String>,
    pub key_name: Option<String>,
    pub user_data: Option<String>,
    pub instance_profile_arn: Option<String>,
    pub launch_template: Option<TemplateRef>,
    pub tags: Tags,
    pub client_token: Option<String>,
}

impl Network {
    /// Launches one instance into its subnet, with a private address from the subnet and its primary network
    /// interface; returns its id. `None` when the subnet is unknown or full.
    pub fn launch_instance(&mut self, ids: &mut super::IdSource, launch: Launch, now: f64) -> Option<String> {
        let subnet = self.subnets.get(&launch.subnet_id)?;
        let (zone, vpc_id) = (subnet.availability_zone.clone(), subnet.vpc_id.clone());
        let ip: Ipv4Addr = self.allocate_private_ip(&launch.subnet_id).ok()?;
        let id = ids.id("i");
        let reservation_id = launch.reservation_id.clone().unwrap_or_else(|| ids.id("r"));
        let bootstrap = launch.user_data.as_deref().and_then(bootstrap::read_user_data);
        let mut instance = Instance {
            id: id.clone(),
            reservation_id,
            instance_type: launch.instance_type,
            image_id: launch.image_id,
            availability_zone: zone,
            subnet_id: launch.subnet_id,
            vpc_id,
            private_ip: ip,
            private_dns_name: private_dns_name(ip, &self.region),
            network_interfaces: Vec::new(),
            volumes: Vec::new(),
            legacy_secondary_ips: Vec::new(),
            state: InstanceState::Running,
            launched_at: now,
            running_at: now + launch.boot_seconds,
            state_changed_at: now,
            transition_reason: String::new(),
            security_groups: launch.security_groups,
            instance_profile_arn: launch.instance_profile_arn,
            key_name: launch.key_name,
            launch_template: launch.launch_template,
            auto_scaling_group: launch.auto_scaling_group,
            nodegroup: launch.nodegroup,
            user_data: launch.user_data,
            bootstrap,
            client_token: launch.client_token,
            spot: launch.spot,
        };
        instance.network_interfaces = vec![self.add_primary_interface(ids, &instance)];
        if !launch.tags.is_empty() {
            self.tag(&id, &launch.tags);
        }
        self.instances.insert(id.clone(), instance);
        Some(id)
    }

    /// RunInstances: between `min_count` and `max_count` instances (as many as the subnet has addresses for) in
    /// one reservation. A client token already used returns the instances it launched, launching nothing.
    pub fn run_instances(
        &mut self,
        ids: &mut super::IdSource,
        request: &RunInstances,
        now: f64,
    ) -> Result<Vec<String>, Ec2Error> {
        if let Some(token) = request.client_token.as_deref() {
            let mut earlier: Vec<&Instance> =
                self.instances.values().filter(|i| i.client_token.as_deref() == Some(token)).collect();
            if !earlier.is_empty() {
                earlier.sort_by(|a, b| a.launched_at.total_cmp(&b.launched_at).then_with(|| a.id.cmp(&b.id)));
                return Ok(earlier.into_iter().map(|i| i.id.clone()).collect());
            }
        }
        let subnet = match request.subnet_id.as_deref() {
            Some(id) => self.subnets.get(id).ok_or_else(|| Ec2Error::SubnetNotFound(id.to_owned()))?,
            None => self.default_subnet(request.availability_zone.as_deref())?,
        };
        let (subnet_id, vpc_id) = (subnet.id.clone(), subnet.vpc_id.clone());
        let free = usize::try_from(subnet.available_ip_address_count()).unwrap_or(usize::MAX);
        let mut security_groups = Vec::new();
        for id in &request.security_group_ids {
            let group = self
                .security_groups
                .get(id)
                .ok_or_else(|| Ec2Error::GroupNotFound(format!("The security group '{id}' does not exist")))?;
            if group.vpc_id != vpc_id {
                return Err(Ec2Error::InvalidParameterValue(format!(
                    "Security group {id} and subnet {subnet_id} belong to different networks."
                )));
            }
            security_groups.push(id.clone());
        }
        if security_groups.is_empty() {
            let default = self.security_groups.values().find(|g| g.vpc_id == vpc_id && g.name == "default");
            security_groups.extend(default.map(|group| group.id.clone()));
        }
        if free < request.min_count {
            return Err(Ec2Error::NoFreeAddress(format!(
                "There are not enough free addresses in subnet '{subnet_id}' to satisfy the requested number of \
                 instances."
            )));
        }
        let count = request.max_count.min(free);
        let reservation_id = ids.id("r");
        let mut launched = Vec::new();
        for _ in 0..count {
            let launch = Launch {
                subnet_id: subnet_id.clone(),
                instance_type: request.instance_type.clone(),
                image_id: request.image_id.clone(),
                security_groups: security_groups.clone(),
                instance_profile_arn: request.instance_profile_arn.clone(),
                key_name: request.key_name.clone(),
                user_data: request.user_data.clone(),
                launch_template: request.launch_template.clone(),
                tags: request.tags.clone(),
                client_token: request.client_token.clone(),
                reservation_id: Some(reservation_id.clone()),
                ..Launch::default()
            };
            let id = self
                .launch_instance(ids, launch, now)
                .ok_or_else(|| Ec2Error::NoFreeAddress(format!("The subnet '{subnet_id}' has no free address.")))?;
            launched.push(id);
        }
        Ok(launched)
    }

    /// The default VPC's subnet in `zone`, or its first; `MissingParameter` as EC2 words it without a default VPC.
    pub(crate) fn default_subnet(&self, zone: Option<&str>) -> Result<&super::Subnet, Ec2Error> {
        let default_vpc = self.vpcs.values().find(|vpc| vpc.is_default).map(|vpc| vpc.id.clone());
        let mut candidates: Vec<&super::Subnet> = self
            .subnets
            .values()
            .filter(|subnet| Some(&subnet.vpc_id) == default_vpc.as_ref() && subnet.default_for_az)
            .collect();
        candidates.sort_by(|a, b| a.availability_zone.cmp(&b.availability_zone));
        let found = match zone {
            Some(zone) => candidates.into_iter().find(|subnet| subnet.availability_zone == zone),
            None => candidates.into_iter().next(),
        };
        found.ok_or_else(|| {
            Ec2Error::MissingParameter("No default VPC for this user. Specify a subnet to launch into.".into())
        })
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
        user_data: None,
        bootstrap: None,
        client_token: None,
        spot: false,
    }
}

#[cfg(test)]
mod tests;
