//! Elastic network interfaces over a [`Network`]: each interface its own record (`ec2/network-interface/<id>`,
//! its addresses inside: at most 50, so the record never grows with the region), CreateNetworkInterface,
//! DeleteNetworkInterface, AttachNetworkInterface, DetachNetworkInterface, Modify/DescribeNetworkInterfaceAttribute,
//! Assign/UnassignPrivateIpAddresses and DescribeNetworkInterfaces' filters, with EC2's limits (interfaces per
//! instance, addresses per interface from the instance type) and errors.
//!
//! Every instance has a primary interface (device index 0) made with it, which holds its private address and goes
//! with it when it terminates, as do the interfaces attached with `DeleteOnTermination`; the others are detached.
//! An instance lists the interfaces attached to it, so a change to an instance and its interfaces reads them by
//! id. The VPC CNI's pod addresses are secondary addresses of a node's interfaces: the primary one first, then
//! interfaces the CNI creates and attaches as `aws-K8S-<instance id>` with the CNI's tags
//! ([`Network::assign_private_ips`]). A subnet's addresses in use (`addresses.rs`) hold every address of every
//! interface in it, so a subnet with interfaces cannot be deleted.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use super::cidr::Cidr;
use super::instance_types::{DEFAULT_INSTANCE_TYPE, InstanceType, instance_type};
use super::network::{check_filters, passes};
use super::{Ec2Error, Filter, IdSource, Instance, Network, Tags};

/// The longest description EC2 takes.
pub const DESCRIPTION_MAX: usize = 255;
/// The most addresses an interface holds when no instance type says otherwise (the largest per-interface limit
/// of any type).
pub const ADDRESSES_MAX: usize = 50;
/// The description the VPC CNI gives the interfaces it creates, before the instance id.
pub const CNI_DESCRIPTION_PREFIX: &str = "aws-K8S-";
/// The VPC CNI's tag naming the instance an interface it created belongs to.
pub const CNI_INSTANCE_TAG: &str = "node.k8s.amazonaws.com/instance_id";
/// The VPC CNI's tag naming the cluster.
pub const CNI_CLUSTER_TAG: &str = "cluster.k8s.amazonaws.com/name";
/// The VPC CNI's tag saying when it created the interface.
pub const CNI_CREATED_AT_TAG: &str = "node.k8s.amazonaws.com/createdAt";

/// An interface's attachment to an instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InterfaceAttachment {
    /// `eni-attach-...`.
    pub id: String,
    pub instance_id: String,
    pub device_index: u32,
    /// Unix seconds.
    pub attached_at: f64,
    pub delete_on_termination: bool,
}

/// A network interface.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkInterface {
    pub id: String,
    pub subnet_id: String,
    pub vpc_id: String,
    pub availability_zone: String,
    pub description: String,
    /// Its primary private address.
    pub private_ip: Ipv4Addr,
    /// Its secondary private addresses, in the order assigned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secondary_ips: Vec<Ipv4Addr>,
    pub security_groups: Vec<String>,
    pub mac_address: String,
    pub source_dest_check: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<InterfaceAttachment>,
    /// The interface type when it is not a plain `interface` (`efs` for an EFS mount target's, `vpc_endpoint` for
    /// an interface VPC endpoint's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface_type: Option<String>,
    /// Whether an AWS service made it and manages it (an EFS mount target's, a VPC endpoint's): it is `in-use` from
    /// the start and only that service deletes it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub requester_managed: bool,
}

impl NetworkInterface {
    /// `in-use` while attached or managed by a service, else `available`.
    pub fn status(&self) -> &'static str {
        if self.attachment.is_some() || self.requester_managed { "in-use" } else { "available" }
    }

    /// `interface`, or the type a service gave it (`efs`).
    pub fn interface_type(&self) -> &str {
        self.interface_type.as_deref().unwrap_or("interface")
    }

    /// Every address, the primary first, with whether it is the primary.
    pub fn addresses(&self) -> Vec<(Ipv4Addr, bool)> {
        std::iter::once((self.private_ip, true)).chain(self.secondary_ips.iter().map(|ip| (*ip, false))).collect()
    }

    /// The instance it is attached to.
    pub fn instance_id(&self) -> Option<&str> {
        self.attachment.as_ref().map(|attachment| attachment.instance_id.as_str())
    }
}

/// What CreateNetworkInterface asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateNetworkInterface {
    pub subnet_id: Option<String>,
    pub description: Option<String>,
    /// The primary address, if chosen.
    pub private_ip: Option<String>,
    /// Secondary addresses chosen by the caller.
    pub secondary_ips: Vec<String>,
    /// How many secondary addresses EC2 chooses.
    pub secondary_count: Option<i64>,
    /// Security group ids; the VPC's default group when empty.
    pub groups: Vec<String>,
    pub tags: Tags,
    /// The type a service gives the interfaces it makes (`efs`); a plain `interface` when `None`.
    pub interface_type: Option<String>,
    /// Made by a service (EFS for a mount target), which alone deletes it ([`Network::delete_managed_interface`]).
    pub requester_managed: bool,
}

/// A change of ModifyNetworkInterfaceAttribute: one attribute per call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterfaceChange {
    Description(String),
    SourceDestCheck(bool),
    Groups(Vec<String>),
    DeleteOnTermination { attachment_id: String, value: bool },
}

/// Whether `id` has the shape of `<prefix>-` and 8 or 17 lowercase hex digits.
fn is_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).and_then(|rest| rest.strip_prefix('-')).is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17) && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// Whether `id` looks like a network interface id.
pub fn is_interface_id(id: &str) -> bool {
    is_id(id, "eni")
}

/// Whether `id` looks like an interface attachment id.
pub fn is_attachment_id(id: &str) -> bool {
    is_id(id, "eni-attach")
}

/// Checks a description: at most [`DESCRIPTION_MAX`] characters, no control characters.
pub fn check_description(text: &str) -> Result<(), Ec2Error> {
    if text.chars().count() > DESCRIPTION_MAX {
        return Err(Ec2Error::InvalidParameterValue(format!(
            "Value for parameter description is invalid. Length exceeds maximum of {DESCRIPTION_MAX} characters."
        )));
    }
    if text.chars().any(char::is_control) {
        return Err(Ec2Error::InvalidParameterValue(
            "Value for parameter description is invalid. Control characters are not allowed.".into(),
        ));
    }
    Ok(())
}

/// A MAC address of the locally administered range, from the interface id, so that it is stable.
pub(crate) fn mac_address(id: &str) -> String {
    let hex: Vec<char> =
        id.rsplit('-').next().unwrap_or_default().chars().chain(std::iter::repeat('0')).take(10).collect();
    let pairs: Vec<String> = hex.chunks(2).map(|pair| pair.iter().collect()).collect();
    format!("02:{}", pairs.join(":"))
}

/// `2026-11-28T04:50:00Z`, as the VPC CNI writes its `createdAt` tag.
fn rfc3339(seconds: f64) -> String {
    let gmt = super::instances::gmt(seconds);
    format!("{}Z", gmt.trim_end_matches(" GMT").replacen(' ', "T", 1))
}

/// The filters DescribeNetworkInterfaces takes, besides the tag filters.
const INTERFACE_FILTERS: &[&str] = &[
    "network-interface-id",
    "subnet-id",
    "vpc-id",
    "availability-zone",
    "description",
    "status",
    "group-id",
    "group-name",
    "attachment.instance-id",
    "attachment.attachment-id",
    "attachment.device-index",
    "attachment.status",
    "attachment.delete-on-termination",
    "attachment.instance-owner-id",
    "private-ip-address",
    "addresses.private-ip-address",
    "addresses.primary",
    "mac-address",
    "owner-id",
    "requester-managed",
    "source-dest-check",
    "interface-type",
];

/// The instance type's limits, or those of the default type for one EC2 does not know.
fn limits(instance: &Instance) -> InstanceType {
    instance_type(&instance.instance_type)
        .or_else(|| instance_type(DEFAULT_INSTANCE_TYPE))
        .copied()
        .expect("the default instance type is in the table")
}

impl Network {
    /// An interface by id, with EC2's errors for malformed and unknown ids.
    pub fn interface(&self, id: &str) -> Result<&NetworkInterface, Ec2Error> {
        if !is_interface_id(id) {
            return Err(Ec2Error::NetworkInterfaceIdMalformed(id.to_owned()));
        }
        self.network_interfaces.get(id).ok_or_else(|| Ec2Error::NetworkInterfaceNotFound(id.to_owned()))
    }

    /// The interfaces attached to an instance, by device index.
    pub fn instance_interfaces(&self, instance: &Instance) -> Vec<&NetworkInterface> {
        let mut found: Vec<&NetworkInterface> =
            instance.network_interfaces.iter().filter_map(|id| self.network_interfaces.get(id)).collect();
        found.sort_by_key(|eni| eni.attachment.as_ref().map_or(u32::MAX, |attachment| attachment.device_index));
        found
    }

    /// The secondary addresses of an instance's interfaces: its pod addresses.
    pub fn instance_secondary_ips(&self, instance: &Instance) -> Vec<Ipv4Addr> {
        self.instance_interfaces(instance).into_iter().flat_map(|eni| eni.secondary_ips.iter().copied()).collect()
    }

    /// The most addresses an interface may hold: its instance type's per-interface limit while attached.
    fn address_limit(&self, eni: &NetworkInterface) -> usize {
        eni.instance_id()
            .and_then(|id| self.instances.get(id))
            .map_or(ADDRESSES_MAX, |instance| limits(instance).ipv4_per_eni as usize)
    }

    /// Checks security group ids for an interface of `vpc_id`: each must exist and be in that VPC.
    pub(crate) fn check_interface_groups(&self, vpc_id: &str, groups: &[String]) -> Result<(), Ec2Error> {
        for id in groups {
            let group = self
                .security_groups
                .get(id)
                .ok_or_else(|| Ec2Error::GroupNotFound(format!("The security group '{id}' does not exist")))?;
            if group.vpc_id != vpc_id {
                return Err(Ec2Error::InvalidParameterValue(format!(
                    "The security group '{id}' does not belong to VPC '{vpc_id}'"
                )));
            }
        }
        Ok(())
    }

    /// Takes chosen addresses of a subnet: inside its block, past the reserved ones and free.
    fn take_addresses(&mut self, subnet_id: &str, chosen: &[String]) -> Result<Vec<Ipv4Addr>, Ec2Error> {
        let subnet = self.subnet(subnet_id)?;
        let block = Cidr::parse(&subnet.cidr_block).expect("stored subnet blocks parse");
        let mut taken = Vec::new();
        for text in chosen {
            let ip: Ipv4Addr = text
                .parse()
                .map_err(|_| Ec2Error::InvalidParameterValue(format!("Invalid value '{text}' for IP address")))?;
            let offset = block.offset_of(ip).filter(|offset| *offset >= 4 && *offset + 1 < block.size());
            if offset.is_none() {
                return Err(Ec2Error::InvalidParameterValue(format!(
                    "Address {ip} does not fall within the subnet's address range"
                )));
            }
            if subnet.allocated.contains(&ip) || taken.contains(&ip) {
                return Err(Ec2Error::InvalidParameterValue(format!("Address {ip} is in use.")));
            }
            taken.push(ip);
        }
        self.subnets.get_mut(subnet_id).expect("checked above").allocated.extend(taken.iter().copied());
        Ok(taken)
    }

    /// A count of addresses EC2 is asked to choose: 1 or more.
    fn address_count(count: Option<i64>, parameter: &str) -> Result<usize, Ec2Error> {
        match count {
            None => Ok(0),
            Some(count) if count >= 1 => Ok(usize::try_from(count).unwrap_or(usize::MAX)),
            Some(count) => Err(Ec2Error::InvalidParameterValue(format!(
                "Value ({count}) for parameter {parameter} is invalid. Value must be greater than 0."
            ))),
        }
    }

    /// CreateNetworkInterface: in a subnet, with a description of at most 255 characters, the VPC's default
    /// security group unless groups are named, a primary address (chosen or the lowest free one) and secondary
    /// ones, at most 50 in all. The change reads the subnet's addresses and every security group.
    pub fn create_network_interface(
        &mut self,
        ids: &mut IdSource,
        input: &CreateNetworkInterface,
    ) -> Result<NetworkInterface, Ec2Error> {
        let subnet_id = input
            .subnet_id
            .as_deref()
            .ok_or_else(|| Ec2Error::MissingParameter("The request must contain the parameter subnetId".into()))?;
        let description = input.description.clone().unwrap_or_default();
        check_description(&description)?;
        let subnet = self.subnet(subnet_id)?.clone();
        let groups = if input.groups.is_empty() {
            let default = self.security_groups.values().find(|g| g.vpc_id == subnet.vpc_id && g.name == "default");
            default.map(|group| vec![group.id.clone()]).unwrap_or_default()
        } else {
            self.check_interface_groups(&subnet.vpc_id, &input.groups)?;
            input.groups.clone()
        };
        let count = Self::address_count(input.secondary_count, "secondaryPrivateIpAddressCount")?;
        if count > 0 && !input.secondary_ips.is_empty() {
            return Err(Ec2Error::InvalidParameterCombination(
                "Specify either secondaryPrivateIpAddressCount or privateIpAddresses, not both".into(),
            ));
        }
        if 1 + count.max(input.secondary_ips.len()) > ADDRESSES_MAX {
            return Err(Ec2Error::PrivateIpAddressLimitExceeded(format!(
                "Number of private addresses will exceed limit of {ADDRESSES_MAX} for a network interface."
            )));
        }
        let chosen: Vec<String> = input.private_ip.iter().chain(&input.secondary_ips).cloned().collect();
        let mut taken = self.take_addresses(subnet_id, &chosen)?;
        if input.private_ip.is_none() {
            taken.insert(0, self.allocate_private_ip(subnet_id)?);
        }
        taken.extend(self.allocate_private_ips(subnet_id, count)?);
        let id = ids.id("eni");
        let eni = NetworkInterface {
            mac_address: mac_address(&id),
            id,
            subnet_id: subnet.id.clone(),
            vpc_id: subnet.vpc_id.clone(),
            availability_zone: subnet.availability_zone.clone(),
            description,
            private_ip: taken[0],
            secondary_ips: taken[1..].to_vec(),
            security_groups: groups,
            source_dest_check: true,
            attachment: None,
            interface_type: input.interface_type.clone(),
            requester_managed: input.requester_managed,
        };
        self.network_interfaces.insert(eni.id.clone(), eni.clone());
        self.tag(&eni.id, &input.tags);
        Ok(eni)
    }

    /// DeleteNetworkInterface: not while attached or managed by a service; its addresses go back to the subnet.
    /// The change reads the interface, then its subnet's addresses.
    pub fn delete_network_interface(&mut self, id: &str) -> Result<(), Ec2Error> {
        let eni = self.interface(id)?;
        if eni.attachment.is_some() || eni.requester_managed {
            return Err(Ec2Error::NetworkInterfaceInUse(format!("Network interface '{id}' is currently in use.")));
        }
        self.remove_interface(id);
        Ok(())
    }

    /// Deletes an interface a service made and manages (an EFS mount target's, a VPC endpoint's), as that service
    /// does; one already gone counts as deleted. Its addresses go back to the subnet.
    pub fn delete_managed_interface(&mut self, id: &str) -> Result<(), Ec2Error> {
        match self.network_interfaces.get(id) {
            None => Ok(()),
            Some(eni) if !eni.requester_managed => {
                Err(Ec2Error::OperationNotPermitted(format!("Network interface '{id}' is not managed by a service.")))
            }
            Some(_) => {
                self.remove_interface(id);
                Ok(())
            }
        }
    }

    /// Removes an interface, its tags and its addresses.
    fn remove_interface(&mut self, id: &str) {
        let Some(eni) = self.network_interfaces.remove(id) else { return };
        self.untag(id);
        if let Some(subnet) = self.subnets.get_mut(&eni.subnet_id) {
            for (ip, _) in eni.addresses() {
                subnet.allocated.remove(&ip);
            }
        }
    }

    /// AttachNetworkInterface: an available interface to a live instance of its VPC and zone, at a free device
    /// index, within the instance type's interfaces and addresses per interface. Returns the attachment id. The
    /// change reads the interface, the instance and the instance's interfaces.
    pub fn attach_network_interface(
        &mut self,
        ids: &mut IdSource,
        id: &str,
        instance_id: &str,
        device_index: Option<i64>,
        now: f64,
    ) -> Result<String, Ec2Error> {
        let device_index = device_index
            .ok_or_else(|| Ec2Error::MissingParameter("The request must contain the parameter deviceIndex".into()))?;
        let eni = self.interface(id)?;
        self.check_instance_ids(&[instance_id.to_owned()])?;
        let instance = &self.instances[instance_id];
        if let Some(attachment) = &eni.attachment {
            return Err(Ec2Error::NetworkInterfaceInUse(format!(
                "Interface: [{id}] in use by instance {}.",
                attachment.instance_id
            )));
        }
        if !instance.is_live() {
            return Err(Ec2Error::IncorrectInstanceState(format!(
                "The instance '{instance_id}' is not in a state from which it can be modified."
            )));
        }
        if eni.vpc_id != instance.vpc_id || eni.availability_zone != instance.availability_zone {
            return Err(Ec2Error::InvalidParameterCombination(format!(
                "You may not attach a network interface to an instance if they are not in the same availability \
                 zone and VPC: {id} is in {}, {instance_id} in {}.",
                eni.availability_zone, instance.availability_zone
            )));
        }
        let kind = limits(instance);
        let Ok(device_index) = u32::try_from(device_index) else {
            return Err(Ec2Error::InvalidParameterValue(format!(
                "Value ({device_index}) for parameter deviceIndex is invalid."
            )));
        };
        let attached = self.instance_interfaces(instance);
        if attached.iter().any(|other| other.attachment.as_ref().is_some_and(|a| a.device_index == device_index)) {
            return Err(Ec2Error::InvalidParameterValue(format!(
                "Instance '{instance_id}' already has an interface attached at device index '{device_index}'."
            )));
        }
        if attached.len() >= kind.max_enis as usize {
            return Err(Ec2Error::AttachmentLimitExceeded(format!(
                "Interface count {} exceeds the limit for {}",
                attached.len() + 1,
                kind.name
            )));
        }
        if 1 + eni.secondary_ips.len() > kind.ipv4_per_eni as usize {
            return Err(Ec2Error::PrivateIpAddressLimitExceeded(format!(
                "Number of private addresses of {id} exceeds the limit of {} for {}.",
                kind.ipv4_per_eni, kind.name
            )));
        }
        let attachment = InterfaceAttachment {
            id: ids.id("eni-attach"),
            instance_id: instance_id.to_owned(),
            device_index,
            attached_at: now,
            delete_on_termination: false,
        };
        let attachment_id = attachment.id.clone();
        self.network_interfaces.get_mut(id).expect("checked above").attachment = Some(attachment);
        self.instances.get_mut(instance_id).expect("checked above").network_interfaces.push(id.to_owned());
        Ok(attachment_id)
    }

    /// The interface an attachment id names. Reads every interface.
    pub fn interface_of_attachment(&self, attachment_id: &str) -> Option<&NetworkInterface> {
        self.network_interfaces
            .values()
            .find(|eni| eni.attachment.as_ref().is_some_and(|attachment| attachment.id == attachment_id))
    }

    /// DetachNetworkInterface: any attachment but an instance's primary interface's. The change reads every
    /// interface, then the one attached and its instance by id.
    pub fn detach_network_interface(&mut self, attachment_id: &str) -> Result<(), Ec2Error> {
        if !is_attachment_id(attachment_id) {
            return Err(Ec2Error::AttachmentIdMalformed(attachment_id.to_owned()));
        }
        let eni = self
            .interface_of_attachment(attachment_id)
            .ok_or_else(|| Ec2Error::AttachmentNotFound(attachment_id.to_owned()))?;
        let attachment = eni.attachment.clone().expect("found by its attachment");
        if attachment.device_index == 0 {
            return Err(Ec2Error::OperationNotPermitted(format!(
                "The network interface at device index 0 cannot be detached: {} is the primary interface of {}.",
                eni.id, attachment.instance_id
            )));
        }
        let id = eni.id.clone();
        self.network_interfaces.get_mut(&id).expect("found above").attachment = None;
        if let Some(instance) = self.instances.get_mut(&attachment.instance_id) {
            instance.network_interfaces.retain(|other| *other != id);
        }
        Ok(())
    }

    /// ModifyNetworkInterfaceAttribute. The change reads the interface and every security group.
    pub fn modify_network_interface_attribute(&mut self, id: &str, change: InterfaceChange) -> Result<(), Ec2Error> {
        let eni = self.interface(id)?.clone();
        let stored = match change {
            InterfaceChange::Description(text) => {
                check_description(&text)?;
                NetworkInterface { description: text, ..eni }
            }
            InterfaceChange::SourceDestCheck(value) => NetworkInterface { source_dest_check: value, ..eni },
            InterfaceChange::Groups(groups) => {
                if groups.is_empty() {
                    return Err(Ec2Error::MissingParameter("The request must contain the parameter groupId".into()));
                }
                self.check_interface_groups(&eni.vpc_id, &groups)?;
                // A group may be deleted only while no interface uses it: whoever deletes one must see this change.
                self.moved.insert(super::Kind::NetworkInterface);
                NetworkInterface { security_groups: groups, ..eni }
            }
            InterfaceChange::DeleteOnTermination { attachment_id, value } => {
                let mut attachment = eni.attachment.clone().filter(|attachment| attachment.id == attachment_id);
                let Some(attachment) = attachment.as_mut() else {
                    return Err(Ec2Error::AttachmentNotFound(attachment_id));
                };
                attachment.delete_on_termination = value;
                NetworkInterface { attachment: Some(attachment.clone()), ..eni }
            }
        };
        self.network_interfaces.insert(id.to_owned(), stored);
        Ok(())
    }

    /// AssignPrivateIpAddresses: chosen addresses of the interface's subnet, or a count of the lowest free ones,
    /// within the addresses an interface of its instance's type holds. The change reads the interface, its
    /// subnet's addresses and the instance it is attached to.
    pub fn assign_interface_ips(
        &mut self,
        id: &str,
        chosen: &[String],
        count: Option<i64>,
    ) -> Result<Vec<Ipv4Addr>, Ec2Error> {
        let eni = self.interface(id)?;
        let count = Self::address_count(count, "secondaryPrivateIpAddressCount")?;
        let wanted = match (count, chosen.len()) {
            (0, 0) => {
                return Err(Ec2Error::MissingParameter(
                    "The request must contain the parameter secondaryPrivateIpAddressCount or privateIpAddress".into(),
                ));
            }
            (0, n) => n,
            (n, 0) => n,
            _ => {
                return Err(Ec2Error::InvalidParameterCombination(
                    "Specify either secondaryPrivateIpAddressCount or privateIpAddresses, not both".into(),
                ));
            }
        };
        let limit = self.address_limit(eni);
        if 1 + eni.secondary_ips.len() + wanted > limit {
            return Err(Ec2Error::PrivateIpAddressLimitExceeded(format!(
                "Number of private addresses will exceed limit of {limit} for network interface {id}."
            )));
        }
        let subnet = eni.subnet_id.clone();
        let assigned = if chosen.is_empty() {
            self.allocate_private_ips(&subnet, count)?
        } else {
            self.take_addresses(&subnet, chosen)?
        };
        self.network_interfaces.get_mut(id).expect("checked above").secondary_ips.extend(assigned.iter().copied());
        Ok(assigned)
    }

    /// UnassignPrivateIpAddresses: secondary addresses of the interface, all or none; they go back to the subnet.
    pub fn unassign_interface_ips(&mut self, id: &str, addresses: &[String]) -> Result<(), Ec2Error> {
        let eni = self.interface(id)?;
        if addresses.is_empty() {
            return Err(Ec2Error::MissingParameter("The request must contain the parameter privateIpAddress".into()));
        }
        let mut freed = Vec::new();
        for text in addresses {
            match text.parse::<Ipv4Addr>() {
                Ok(ip) if eni.secondary_ips.contains(&ip) => freed.push(ip),
                _ => {
                    return Err(Ec2Error::InvalidParameterValue(format!(
                        "Some of the specified addresses are not assigned to interface {id}"
                    )));
                }
            }
        }
        let subnet = eni.subnet_id.clone();
        self.network_interfaces.get_mut(id).expect("checked above").secondary_ips.retain(|ip| !freed.contains(ip));
        if let Some(subnet) = self.subnets.get_mut(&subnet) {
            for ip in &freed {
                subnet.allocated.remove(ip);
            }
        }
        Ok(())
    }

    /// Refuses malformed interface ids and names the first unknown one as EC2 does.
    pub fn check_interface_ids(&self, ids: &[String]) -> Result<(), Ec2Error> {
        ids.iter().try_for_each(|id| self.interface(id).map(drop))
    }

    /// DescribeNetworkInterfaces: the interfaces asked for (all when none is named) that pass the filters, in
    /// id order. Reads every interface and every security group (for `group-name`).
    pub fn describe_network_interfaces(
        &self,
        ids: &[String],
        filters: &[Filter],
    ) -> Result<Vec<&NetworkInterface>, Ec2Error> {
        check_filters(filters, INTERFACE_FILTERS)?;
        self.check_interface_ids(ids)?;
        let one = |value: &str| vec![value.to_owned()];
        Ok(self
            .network_interfaces
            .values()
            .filter(|eni| ids.is_empty() || ids.contains(&eni.id))
            .filter(|eni| {
                let attachment = eni.attachment.as_ref();
                passes(filters, self.tags.get(&eni.id), |name| match name {
                    "network-interface-id" => one(&eni.id),
                    "subnet-id" => one(&eni.subnet_id),
                    "vpc-id" => one(&eni.vpc_id),
                    "availability-zone" => one(&eni.availability_zone),
                    "description" => one(&eni.description),
                    "status" => one(eni.status()),
                    "group-id" => eni.security_groups.clone(),
                    "group-name" => eni
                        .security_groups
                        .iter()
                        .filter_map(|id| self.security_groups.get(id).map(|group| group.name.clone()))
                        .collect(),
                    "attachment.instance-id" => attachment.map(|a| a.instance_id.clone()).into_iter().collect(),
                    "attachment.attachment-id" => attachment.map(|a| a.id.clone()).into_iter().collect(),
                    "attachment.device-index" => attachment.map(|a| a.device_index.to_string()).into_iter().collect(),
                    "attachment.status" => attachment.map(|_| "attached".to_owned()).into_iter().collect(),
                    "attachment.delete-on-termination" => {
                        attachment.map(|a| a.delete_on_termination.to_string()).into_iter().collect()
                    }
                    "attachment.instance-owner-id" | "owner-id" => one(&self.account),
                    "private-ip-address" => one(&eni.private_ip.to_string()),
                    "addresses.private-ip-address" => eni.addresses().iter().map(|(ip, _)| ip.to_string()).collect(),
                    "addresses.primary" => vec!["true".into(), "false".into()],
                    "mac-address" => one(&eni.mac_address),
                    "requester-managed" => one(&eni.requester_managed.to_string()),
                    "source-dest-check" => one(&eni.source_dest_check.to_string()),
                    "interface-type" => one(eni.interface_type()),
                    _ => Vec::new(),
                })
            })
            .collect())
    }

    /// Makes the primary interface of an instance being launched, attached at device index 0 and deleted with the
    /// instance, holding its private address (already taken from the subnet). Returns its id.
    pub fn add_primary_interface(&mut self, ids: &mut IdSource, instance: &Instance) -> String {
        let (id, eni) = attached_interface(ids, instance, String::new(), instance.private_ip, 0, instance.launched_at);
        self.network_interfaces.insert(id.clone(), eni);
        id
    }

    /// What terminating an instance does to its interfaces: the primary one and those attached with
    /// `DeleteOnTermination` are deleted with their addresses, the others detached.
    pub(crate) fn release_instance_interfaces(&mut self, instance_id: &str) {
        let Some(instance) = self.instances.get_mut(instance_id) else { return };
        let attached = std::mem::take(&mut instance.network_interfaces);
        for id in attached {
            let Some(eni) = self.network_interfaces.get_mut(&id) else { continue };
            let goes = eni.attachment.as_ref().is_none_or(|a| a.device_index == 0 || a.delete_on_termination);
            if !goes {
                eni.attachment = None;
                continue;
            }
            let eni = self.network_interfaces.remove(&id).expect("found above");
            self.untag(&id);
            if let Some(subnet) = self.subnets.get_mut(&eni.subnet_id) {
                for (ip, _) in eni.addresses() {
                    subnet.allocated.remove(&ip);
                }
            }
        }
    }

    /// Assigns up to `count` more secondary addresses to an instance's interfaces, as the VPC CNI does to hold
    /// pod addresses: to the first interface by device index with room for one (its type's addresses per
    /// interface less the primary), else to a new interface the CNI creates in the instance's subnet with the
    /// instance's security groups, describes as `aws-K8S-<instance id>`, tags with the cluster and the instance,
    /// and attaches at the lowest free device index with `DeleteOnTermination`. One interface's worth at most per
    /// call; `PrivateIpAddressLimitExceeded` once every interface the type allows is full. They go with the
    /// instance. The change reads the instance, its interfaces and their subnets' addresses.
    pub fn assign_pod_ips(
        &mut self,
        ids: &mut IdSource,
        instance_id: &str,
        count: usize,
        now: f64,
    ) -> Result<Vec<Ipv4Addr>, Ec2Error> {
        self.check_instance_ids(&[instance_id.to_owned()])?;
        let instance = self.instances[instance_id].clone();
        if !instance.is_live() {
            return Err(Ec2Error::IncorrectInstanceState(format!(
                "The instance '{instance_id}' is not in a state from which it can be modified."
            )));
        }
        let kind = limits(&instance);
        let room_per_interface = (kind.ipv4_per_eni as usize).saturating_sub(1);
        let attached = self.instance_interfaces(&instance);
        let with_room =
            attached.iter().find(|eni| eni.secondary_ips.len() < room_per_interface).map(|eni| eni.id.clone());
        let (id, room) = match with_room {
            Some(id) => {
                let used = self.network_interfaces[&id].secondary_ips.len();
                (id, room_per_interface - used)
            }
            None if attached.len() < kind.max_enis as usize && room_per_interface > 0 => {
                let used: Vec<u32> =
                    attached.iter().filter_map(|eni| eni.attachment.as_ref()).map(|a| a.device_index).collect();
                let device_index = (0..).find(|index| !used.contains(index)).expect("a free index");
                let id = self.add_cni_interface(ids, &instance, device_index, now)?;
                (id, room_per_interface)
            }
            None => {
                return Err(Ec2Error::PrivateIpAddressLimitExceeded(format!(
                    "Number of private addresses will exceed limit for instance {instance_id}."
                )));
            }
        };
        let subnet = self.network_interfaces[&id].subnet_id.clone();
        let assigned = self.allocate_private_ips(&subnet, count.min(room))?;
        self.network_interfaces.get_mut(&id).expect("found above").secondary_ips.extend(assigned.iter().copied());
        Ok(assigned)
    }

    /// [`Network::assign_pod_ips`] with random ids at the instance's launch time.
    pub fn assign_private_ips(&mut self, instance_id: &str, count: usize) -> Result<Vec<Ipv4Addr>, Ec2Error> {
        let now = self.instances.get(instance_id).map_or(0.0, |instance| instance.launched_at);
        self.assign_pod_ips(&mut IdSource::Random, instance_id, count, now)
    }

    /// A VPC CNI interface of an instance, attached at `device_index`.
    fn add_cni_interface(
        &mut self,
        ids: &mut IdSource,
        instance: &Instance,
        device_index: u32,
        now: f64,
    ) -> Result<String, Ec2Error> {
        let private_ip = self.allocate_private_ip(&instance.subnet_id)?;
        let description = format!("{CNI_DESCRIPTION_PREFIX}{}", instance.id);
        let (id, eni) = attached_interface(ids, instance, description, private_ip, device_index, now);
        let mut tags = Tags::new();
        tags.insert(CNI_INSTANCE_TAG.into(), instance.id.clone());
        tags.insert(CNI_CREATED_AT_TAG.into(), rfc3339(now));
        if let Some(member) = &instance.nodegroup {
            tags.insert(CNI_CLUSTER_TAG.into(), member.cluster.clone());
        }
        self.tag(&id, &tags);
        self.network_interfaces.insert(id.clone(), eni);
        self.instances.get_mut(&instance.id).expect("loaded").network_interfaces.push(id.clone());
        Ok(id)
    }
}

/// A new interface in an instance's subnet with its security groups, attached to it at `device_index` and
/// deleted with it, holding `private_ip`; and its id.
fn attached_interface(
    ids: &mut IdSource,
    instance: &Instance,
    description: String,
    private_ip: Ipv4Addr,
    device_index: u32,
    attached_at: f64,
) -> (String, NetworkInterface) {
    let id = ids.id("eni");
    let eni = NetworkInterface {
        mac_address: mac_address(&id),
        id: id.clone(),
        subnet_id: instance.subnet_id.clone(),
        vpc_id: instance.vpc_id.clone(),
        availability_zone: instance.availability_zone.clone(),
        description,
        private_ip,
        secondary_ips: Vec::new(),
        security_groups: instance.security_groups.clone(),
        source_dest_check: true,
        attachment: Some(InterfaceAttachment {
            id: ids.id("eni-attach"),
            instance_id: instance.id.clone(),
            device_index,
            attached_at,
            delete_on_termination: true,
        }),
        interface_type: None,
        requester_managed: false,
    };
    (id, eni)
}

#[cfg(test)]
mod tests;
