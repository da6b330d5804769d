//! The rules of EC2 networking over one [`Network`]: every operation checks its input against the network,
//! changes it or answers from it, and does no IO. Ids come from an [`IdSource`], time from the caller.

use std::net::Ipv4Addr;

use super::cidr::Cidr;
use super::zones::{Zone, zones};
use super::*;

/// Where new resource ids come from: random as AWS makes them, or a counter for tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdSource {
    /// `<prefix>-` and 17 random lowercase hex digits.
    Random,
    /// `<prefix>-` and the next number as 17 hex digits.
    Sequence(u64),
}

impl IdSource {
    /// A new id with this prefix (`vpc`, `subnet`, `sg`, ...).
    pub fn id(&mut self, prefix: &str) -> String {
        match self {
            IdSource::Random => format!("{prefix}-{}", &crate::ids::hex_lower(9)[..17]),
            IdSource::Sequence(next) => {
                *next += 1;
                format!("{prefix}-{:017x}", *next)
            }
        }
    }
}

/// The CIDR block of the default VPC.
pub const DEFAULT_VPC_CIDR: &str = "172.31.0.0/16";

/// Filters every kind of resource accepts.
fn is_tag_filter(name: &str) -> bool {
    name.starts_with("tag:") || name == "tag-key" || name == "tag-value"
}

/// Checks that every filter is one of `known` (or a tag filter).
pub fn check_filters(filters: &[Filter], known: &[&str]) -> Result<(), Ec2Error> {
    for filter in filters {
        if !is_tag_filter(&filter.name) && !known.contains(&filter.name.as_str()) {
            return Err(Ec2Error::InvalidFilter(filter.name.clone()));
        }
    }
    Ok(())
}

/// Whether a resource passes every filter; `field` gives the resource's values for a filter name.
pub fn passes(filters: &[Filter], tags: Option<&Tags>, field: impl Fn(&str) -> Vec<String>) -> bool {
    filters.iter().all(|filter| {
        let values: Vec<String> = if let Some(key) = filter.name.strip_prefix("tag:") {
            tags.and_then(|tags| tags.get(key)).cloned().into_iter().collect()
        } else if filter.name == "tag-key" {
            tags.map(|tags| tags.keys().cloned().collect()).unwrap_or_default()
        } else if filter.name == "tag-value" {
            tags.map(|tags| tags.values().cloned().collect()).unwrap_or_default()
        } else {
            field(&filter.name)
        };
        values.iter().any(|value| filter.values.iter().any(|pattern| glob(pattern, value)))
    })
}

/// EC2's filter wildcards: `*` for any run of characters, `?` for one.
pub fn glob(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t, mut star, mut mark) = (0, 0, None, 0);
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some(p);
            mark = t;
            p += 1;
        } else if let Some(star) = star {
            p = star + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

fn flag(value: bool) -> Vec<String> {
    vec![value.to_string()]
}

fn one(value: &str) -> Vec<String> {
    vec![value.to_owned()]
}

fn invalid_cidr(cidr: &str, parameter: &str) -> Ec2Error {
    Ec2Error::InvalidParameterValue(format!(
        "Value ({cidr}) for parameter {parameter} is invalid. This is not a valid CIDR block."
    ))
}

/// The resource type DescribeTags reports for an id, from its prefix.
pub fn resource_type(id: &str) -> Option<&'static str> {
    let prefix = id.split_once('-')?.0;
    Some(match prefix {
        "vpc" => "vpc",
        "subnet" => "subnet",
        "sg" => "security-group",
        "igw" => "internet-gateway",
        "rtb" => "route-table",
        "nat" => "natgateway",
        "eipalloc" => "elastic-ip",
        "acl" => "network-acl",
        "eni" if !id.starts_with("eni-attach-") => "network-interface",
        "i" => "instance",
        "lt" => "launch-template",
        "vol" => "volume",
        "snap" => "snapshot",
        "key" => "key-pair",
        "sgr" => "security-group-rule",
        "vpce" => "vpc-endpoint",
        _ => return None,
    })
}

/// What CreateSubnet asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateSubnet {
    pub vpc_id: String,
    pub cidr_block: Option<String>,
    pub availability_zone: Option<String>,
    pub availability_zone_id: Option<String>,
    pub tags: Tags,
}

/// The zones of a region, filtered as DescribeAvailabilityZones filters them.
pub fn describe_availability_zones(
    region: &str,
    names: &[String],
    zone_ids: &[String],
    filters: &[Filter],
) -> Result<Vec<Zone>, Ec2Error> {
    check_filters(filters, &["zone-name", "zone-id", "region-name", "state", "zone-type", "group-name"])?;
    let all = zones(region);
    for name in names {
        if !all.iter().any(|zone| &zone.name == name) {
            return Err(Ec2Error::InvalidParameterValue(format!("Invalid availability zone: [{name}]")));
        }
    }
    for id in zone_ids {
        if !all.iter().any(|zone| &zone.id == id) {
            return Err(Ec2Error::InvalidParameterValue(format!("Invalid availability zone: [{id}]")));
        }
    }
    Ok(all
        .into_iter()
        .filter(|zone| names.is_empty() || names.contains(&zone.name))
        .filter(|zone| zone_ids.is_empty() || zone_ids.contains(&zone.id))
        .filter(|zone| {
            passes(filters, None, |name| match name {
                "zone-name" => one(&zone.name),
                "zone-id" => one(&zone.id),
                "region-name" | "group-name" => one(&zone.region),
                "state" => one("available"),
                "zone-type" => one("availability-zone"),
                _ => Vec::new(),
            })
        })
        .collect())
}

/// The regions, filtered as DescribeRegions filters them.
pub fn describe_regions(names: &[String], filters: &[Filter]) -> Result<Vec<&'static str>, Ec2Error> {
    check_filters(filters, &["endpoint", "region-name", "opt-in-status"])?;
    for name in names {
        if !super::zones::is_known_region(name) {
            return Err(Ec2Error::InvalidParameterValue(format!("Invalid region: {name}")));
        }
    }
    Ok(super::zones::regions()
        .filter(|region| names.is_empty() || names.iter().any(|name| name == region))
        .filter(|region| {
            passes(filters, None, |name| match name {
                "endpoint" => vec![format!("ec2.{region}.amazonaws.com")],
                "region-name" => one(region),
                "opt-in-status" => one("opt-in-not-required"),
                _ => Vec::new(),
            })
        })
        .collect())
}

impl Network {
    /// A whole network with nothing in it, before its default VPC.
    pub fn new(account: &str, region: &str) -> Network {
        let mut network = Network::unloaded(account, region);
        for kind in Kind::ALL {
            network.mark_loaded(kind, true, std::iter::empty());
        }
        network
    }

    /// Makes the default VPC of a new account once: `172.31.0.0/16`, a `/20` default subnet per zone that
    /// maps public addresses, an attached internet gateway and a main route table that uses it.
    pub fn initialize(&mut self, ids: &mut IdSource) {
        if self.default_vpc().is_some() {
            return;
        }
        let vpc = self.add_vpc(ids, DEFAULT_VPC_CIDR, true, "default");
        let gateway = ids.id("igw");
        self.internet_gateways
            .insert(gateway.clone(), InternetGateway { id: gateway.clone(), attached_vpc: Some(vpc.id.clone()) });
        if let Some(table) = self.route_tables.values_mut().find(|table| table.vpc_id == vpc.id) {
            table.routes.push(Route {
                destination: "0.0.0.0/0".into(),
                target: RouteTarget::Gateway(gateway),
                origin: "CreateRoute".into(),
            });
        }
        let block = Cidr::parse(DEFAULT_VPC_CIDR).expect("the default VPC block parses");
        for (index, zone) in zones(&self.region).into_iter().enumerate() {
            let Some(first) = block.nth(index as u64 * 4096) else { break };
            let id = ids.id("subnet");
            self.subnets.insert(
                id.clone(),
                Subnet {
                    id,
                    vpc_id: vpc.id.clone(),
                    cidr_block: format!("{first}/20"),
                    availability_zone: zone.name,
                    availability_zone_id: zone.id,
                    default_for_az: true,
                    map_public_ip_on_launch: true,
                    network_acl: None,
                    allocated: AddressMap::empty(Cidr::parse(&format!("{first}/20")).expect("a /20 parses")),
                },
            );
        }
    }

    fn add_vpc(&mut self, ids: &mut IdSource, cidr: &str, is_default: bool, tenancy: &str) -> Vpc {
        let vpc = Vpc {
            id: ids.id("vpc"),
            cidr_block: cidr.to_owned(),
            cidr_association_id: ids.id("vpc-cidr-assoc"),
            secondary_cidr_blocks: Vec::new(),
            is_default,
            instance_tenancy: tenancy.to_owned(),
            dhcp_options_id: "dopt-00000000000000001".into(),
            enable_dns_support: true,
            enable_dns_hostnames: is_default,
        };
        self.vpcs.insert(vpc.id.clone(), vpc.clone());
        let group = ids.id("sg");
        let self_rule =
            Rule::new("-1", None, None, Peer::Group { group_id: group.clone(), user_id: self.account.clone() });
        let mut default_group = SecurityGroup {
            id: group.clone(),
            name: "default".into(),
            description: "default VPC security group".into(),
            vpc_id: vpc.id.clone(),
            ingress: vec![self_rule],
            egress: vec![allow_all_egress()],
            rules_added: 0,
        };
        default_group.settle_rule_ids();
        self.security_groups.insert(group, default_group);
        let table = ids.id("rtb");
        self.route_tables.insert(
            table.clone(),
            RouteTable {
                id: table,
                vpc_id: vpc.id.clone(),
                routes: vec![local_route(cidr)],
                associations: vec![Association { id: ids.id("rtbassoc"), subnet_id: None }],
            },
        );
        self.add_default_acl(ids, &vpc.id);
        vpc
    }

    /// The default VPC, if it still exists.
    pub fn default_vpc(&self) -> Option<&Vpc> {
        self.vpcs.values().find(|vpc| vpc.is_default)
    }

    pub(super) fn vpc(&self, id: &str) -> Result<&Vpc, Ec2Error> {
        self.vpcs.get(id).ok_or_else(|| Ec2Error::VpcNotFound(id.to_owned()))
    }

    pub(super) fn subnet(&self, id: &str) -> Result<&Subnet, Ec2Error> {
        self.subnets.get(id).ok_or_else(|| Ec2Error::SubnetNotFound(id.to_owned()))
    }

    pub(crate) fn tag(&mut self, id: &str, tags: &Tags) {
        if !tags.is_empty() {
            self.tags.entry(id.to_owned()).or_default().extend(tags.clone());
        }
    }

    pub(crate) fn untag(&mut self, id: &str) {
        self.tags.remove(id);
    }

    // VPCs.

    /// CreateVpc: a block from `/16` to `/28`, with its default security group and main route table.
    pub fn create_vpc(
        &mut self,
        ids: &mut IdSource,
        cidr_block: Option<&str>,
        tenancy: Option<&str>,
        tags: &Tags,
    ) -> Result<Vpc, Ec2Error> {
        let text = cidr_block.ok_or_else(|| {
            Ec2Error::MissingParameter("Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.".into())
        })?;
        let cidr = Cidr::parse(text).ok_or_else(|| invalid_cidr(text, "cidrBlock"))?;
        if !(16..=28).contains(&cidr.prefix()) {
            return Err(Ec2Error::VpcRange(text.to_owned()));
        }
        let tenancy = tenancy.unwrap_or("default");
        if !["default", "dedicated"].contains(&tenancy) {
            return Err(Ec2Error::InvalidParameterValue(format!(
                "Value ({tenancy}) for parameter instanceTenancy is invalid."
            )));
        }
        let vpc = self.add_vpc(ids, &cidr.to_string(), false, tenancy);
        self.tag(&vpc.id, tags);
        Ok(vpc)
    }

    /// DescribeVpcs at `now` (Unix seconds, for the blocks disassociated lately): `cidr` matches the primary
    /// block, the `cidr-block-association.*` filters every entry of the association set.
    pub fn describe_vpcs(&self, vpc_ids: &[String], filters: &[Filter], now: f64) -> Result<Vec<&Vpc>, Ec2Error> {
        check_filters(
            filters,
            &[
                "vpc-id",
                "cidr",
                "cidr-block-association.cidr-block",
                "cidr-block-association.association-id",
                "cidr-block-association.state",
                "state",
                "is-default",
                "owner-id",
                "dhcp-options-id",
            ],
        )?;
        for id in vpc_ids {
            self.vpc(id)?;
        }
        Ok(self
            .vpcs
            .values()
            .filter(|vpc| vpc_ids.is_empty() || vpc_ids.contains(&vpc.id))
            .filter(|vpc| {
                let associations = vpc.cidr_associations(now);
                let of_associations = |field: for<'a> fn(&CidrAssociation<'a>) -> &'a str| {
                    associations.iter().map(|a| field(a).to_owned()).collect()
                };
                passes(filters, self.tags.get(&vpc.id), |name| match name {
                    "vpc-id" => one(&vpc.id),
                    "cidr" => one(&vpc.cidr_block),
                    "cidr-block-association.cidr-block" => of_associations(|a| a.cidr_block),
                    "cidr-block-association.association-id" => of_associations(|a| a.association_id),
                    "cidr-block-association.state" => of_associations(|a| a.state),
                    "state" => one("available"),
                    "is-default" => flag(vpc.is_default),
                    "owner-id" => one(&self.account),
                    "dhcp-options-id" => one(&vpc.dhcp_options_id),
                    _ => Vec::new(),
                })
            })
            .collect())
    }

    /// DeleteVpc: refused while subnets, attached internet gateways, security groups other than the default,
    /// route tables other than the main one, network ACLs other than the default, NAT gateways or VPC endpoints
    /// remain. Its
    /// default security group, main route table and default network ACL go with it.
    pub fn delete_vpc(&mut self, vpc_id: &str) -> Result<(), Ec2Error> {
        self.vpc(vpc_id)?;
        let in_vpc = |other: &str| other == vpc_id;
        let busy = self.subnets.values().any(|subnet| in_vpc(&subnet.vpc_id))
            || self.internet_gateways.values().any(|gateway| gateway.attached_vpc.as_deref() == Some(vpc_id))
            || self.security_groups.values().any(|group| in_vpc(&group.vpc_id) && group.name != "default")
            || self.route_tables.values().any(|table| in_vpc(&table.vpc_id) && !table.is_main())
            || self.network_acls.values().any(|acl| in_vpc(&acl.vpc_id) && !acl.is_default)
            || self.nat_gateways.values().any(|nat| in_vpc(&nat.vpc_id) && nat.state != "deleted")
            || self.vpc_endpoints.values().any(|endpoint| in_vpc(&endpoint.vpc_id));
        if busy {
            return Err(Ec2Error::DependencyViolation(format!(
                "The vpc '{vpc_id}' has dependencies and cannot be deleted."
            )));
        }
        let groups: Vec<String> =
            self.security_groups.values().filter(|group| in_vpc(&group.vpc_id)).map(|group| group.id.clone()).collect();
        let tables: Vec<String> =
            self.route_tables.values().filter(|table| in_vpc(&table.vpc_id)).map(|table| table.id.clone()).collect();
        for id in groups {
            self.security_groups.remove(&id);
            self.untag(&id);
        }
        for id in tables {
            self.route_tables.remove(&id);
            self.untag(&id);
        }
        let acls: Vec<String> =
            self.network_acls.values().filter(|acl| in_vpc(&acl.vpc_id)).map(|acl| acl.id.clone()).collect();
        for id in acls {
            self.network_acls.remove(&id);
            self.untag(&id);
        }
        self.vpcs.remove(vpc_id);
        self.untag(vpc_id);
        Ok(())
    }

    /// ModifyVpcAttribute: one attribute per call, as EC2 requires.
    pub fn modify_vpc_attribute(
        &mut self,
        vpc_id: &str,
        dns_support: Option<bool>,
        dns_hostnames: Option<bool>,
    ) -> Result<(), Ec2Error> {
        self.vpc(vpc_id)?;
        let vpc = self.vpcs.get_mut(vpc_id).expect("checked above");
        match (dns_support, dns_hostnames) {
            (Some(_), Some(_)) => Err(Ec2Error::InvalidParameterCombination(
                "Fields for multiple attribute types specified: enableDnsHostnames, enableDnsSupport".into(),
            )),
            (None, None) => Err(Ec2Error::MissingParameter(
                "The request must contain the parameter EnableDnsSupport or EnableDnsHostnames".into(),
            )),
            (Some(value), None) => {
                vpc.enable_dns_support = value;
                Ok(())
            }
            (None, Some(value)) => {
                vpc.enable_dns_hostnames = value;
                Ok(())
            }
        }
    }

    /// DescribeVpcAttribute: the VPC, for its flags.
    pub fn describe_vpc(&self, vpc_id: &str) -> Result<&Vpc, Ec2Error> {
        self.vpc(vpc_id)
    }

    // Subnets.

    /// CreateSubnet: inside one of the VPC's associated blocks, overlapping no other subnet, in a zone of the
    /// region.
    pub fn create_subnet(&mut self, ids: &mut IdSource, input: &CreateSubnet) -> Result<Subnet, Ec2Error> {
        let text = input
            .cidr_block
            .as_deref()
            .ok_or_else(|| Ec2Error::MissingParameter("The request must contain the parameter cidrBlock".into()))?;
        let vpc = self.vpc(&input.vpc_id)?;
        let cidr = Cidr::parse(text).ok_or_else(|| invalid_cidr(text, "cidrBlock"))?;
        let inside = vpc.associated_blocks().into_iter().any(|block| block.contains(cidr));
        if !(16..=28).contains(&cidr.prefix()) || !inside {
            return Err(Ec2Error::SubnetRange(text.to_owned()));
        }
        let all = zones(&self.region);
        let zone = match (&input.availability_zone, &input.availability_zone_id) {
            (Some(_), Some(_)) => {
                return Err(Ec2Error::InvalidParameterCombination(
                    "Only one of availabilityZone or availabilityZoneId can be specified".into(),
                ));
            }
            (Some(name), None) => all.iter().find(|zone| &zone.name == name).ok_or_else(|| {
                let names: Vec<&str> = all.iter().map(|zone| zone.name.as_str()).collect();
                Ec2Error::InvalidAvailabilityZone(format!(
                    "Value ({name}) for parameter availabilityZone is invalid. Subnets can currently only be \
                     created in the following availability zones: {}.",
                    names.join(", ")
                ))
            })?,
            (None, Some(id)) => all.iter().find(|zone| &zone.id == id).ok_or_else(|| {
                Ec2Error::InvalidParameterValue(format!("Value ({id}) for parameter availabilityZoneId is invalid."))
            })?,
            (None, None) => {
                // The zone with the fewest subnets of this VPC, so that unplaced subnets spread out.
                let count = |zone: &Zone| {
                    self.subnets
                        .values()
                        .filter(|subnet| subnet.vpc_id == input.vpc_id && subnet.availability_zone == zone.name)
                        .count()
                };
                all.iter().min_by_key(|zone| count(zone)).expect("every region has zones")
            }
        };
        let conflict = self.subnets.values().any(|subnet| {
            subnet.vpc_id == input.vpc_id && Cidr::parse(&subnet.cidr_block).is_some_and(|other| other.overlaps(cidr))
        });
        if conflict {
            return Err(Ec2Error::SubnetConflict(text.to_owned()));
        }
        let subnet = Subnet {
            id: ids.id("subnet"),
            vpc_id: input.vpc_id.clone(),
            cidr_block: cidr.to_string(),
            availability_zone: zone.name.clone(),
            availability_zone_id: zone.id.clone(),
            default_for_az: false,
            map_public_ip_on_launch: false,
            network_acl: None,
            allocated: AddressMap::empty(cidr),
        };
        self.subnets.insert(subnet.id.clone(), subnet.clone());
        self.tag(&subnet.id, &input.tags);
        Ok(subnet)
    }

    /// DescribeSubnets.
    pub fn describe_subnets(&self, subnet_ids: &[String], filters: &[Filter]) -> Result<Vec<&Subnet>, Ec2Error> {
        check_filters(
            filters,
            &[
                "vpc-id",
                "subnet-id",
                "availability-zone",
                "availability-zone-id",
                "cidr-block",
                "cidr",
                "cidrBlock",
                "default-for-az",
                "defaultForAz",
                "map-public-ip-on-launch",
                "state",
                "owner-id",
                "available-ip-address-count",
            ],
        )?;
        for id in subnet_ids {
            self.subnet(id)?;
        }
        Ok(self
            .subnets
            .values()
            .filter(|subnet| subnet_ids.is_empty() || subnet_ids.contains(&subnet.id))
            .filter(|subnet| {
                passes(filters, self.tags.get(&subnet.id), |name| match name {
                    "vpc-id" => one(&subnet.vpc_id),
                    "subnet-id" => one(&subnet.id),
                    "availability-zone" => one(&subnet.availability_zone),
                    "availability-zone-id" => one(&subnet.availability_zone_id),
                    "cidr-block" | "cidr" | "cidrBlock" => one(&subnet.cidr_block),
                    "default-for-az" | "defaultForAz" => flag(subnet.default_for_az),
                    "map-public-ip-on-launch" => flag(subnet.map_public_ip_on_launch),
                    "state" => one("available"),
                    "owner-id" => one(&self.account),
                    "available-ip-address-count" => vec![subnet.available_ip_address_count().to_string()],
                    _ => Vec::new(),
                })
            })
            .collect())
    }

    /// DeleteSubnet: refused while a NAT gateway or a handed-out address is in it.
    pub fn delete_subnet(&mut self, subnet_id: &str) -> Result<(), Ec2Error> {
        let subnet = self.subnet(subnet_id)?;
        let busy = !subnet.allocated.is_empty()
            || self.nat_gateways.values().any(|nat| nat.subnet_id == subnet_id && nat.state != "deleted");
        if busy {
            return Err(Ec2Error::DependencyViolation(format!(
                "The subnet '{subnet_id}' has dependencies and cannot be deleted."
            )));
        }
        self.subnets.remove(subnet_id);
        self.untag(subnet_id);
        for table in self.route_tables.values_mut() {
            table.associations.retain(|association| association.subnet_id.as_deref() != Some(subnet_id));
        }
        Ok(())
    }

    /// ModifySubnetAttribute (MapPublicIpOnLaunch).
    pub fn modify_subnet_attribute(&mut self, subnet_id: &str, map_public_ip: Option<bool>) -> Result<(), Ec2Error> {
        self.subnet(subnet_id)?;
        let Some(value) = map_public_ip else {
            return Err(Ec2Error::MissingParameter(
                "The request must contain the parameter MapPublicIpOnLaunch".into(),
            ));
        };
        self.subnets.get_mut(subnet_id).expect("checked above").map_public_ip_on_launch = value;
        Ok(())
    }

    /// The lowest free private address of a subnet (the first four and the last are AWS's).
    pub fn allocate_private_ip(&mut self, subnet_id: &str) -> Result<Ipv4Addr, Ec2Error> {
        Ok(self.allocate_private_ips(subnet_id, 1)?[0])
    }

    /// The `count` lowest free private addresses of a subnet, all or none.
    pub fn allocate_private_ips(&mut self, subnet_id: &str, count: usize) -> Result<Vec<Ipv4Addr>, Ec2Error> {
        let subnet = self.subnet(subnet_id)?;
        let block = Cidr::parse(&subnet.cidr_block).expect("stored subnet blocks parse");
        let free: Vec<Ipv4Addr> = (4..block.size() - 1)
            .filter_map(|offset| block.nth(offset))
            .filter(|address| !subnet.allocated.contains(address))
            .take(count)
            .collect();
        if free.len() < count {
            return Err(Ec2Error::NoFreeAddress(subnet_id.to_owned()));
        }
        self.subnets.get_mut(subnet_id).expect("checked above").allocated.extend(free.iter().copied());
        Ok(free)
    }

    /// Returns a private address to its subnet.
    pub fn release_private_ip(&mut self, subnet_id: &str, ip: Ipv4Addr) -> Result<(), Ec2Error> {
        self.subnet(subnet_id)?;
        self.subnets.get_mut(subnet_id).expect("checked above").allocated.remove(&ip);
        Ok(())
    }

    /// The route table that governs a subnet: its explicit association, else the VPC's main table.
    pub fn route_table_of(&self, subnet: &Subnet) -> Option<&RouteTable> {
        let explicit = self.route_tables.values().find(|table| {
            table.associations.iter().any(|association| association.subnet_id.as_deref() == Some(&subnet.id))
        });
        explicit.or_else(|| self.route_tables.values().find(|table| table.vpc_id == subnet.vpc_id && table.is_main()))
    }

    /// Where a subnet is; public when its route table sends `0.0.0.0/0` to an internet gateway.
    pub fn subnet_placement(&self, subnet_id: &str) -> Result<SubnetPlacement, Ec2Error> {
        let subnet = self.subnet(subnet_id)?;
        let public = self.route_table_of(subnet).is_some_and(|table| {
            table
                .routes
                .iter()
                .any(|route| route.destination == "0.0.0.0/0" && matches!(route.target, RouteTarget::Gateway(_)))
        });
        Ok(SubnetPlacement {
            subnet_id: subnet.id.clone(),
            vpc_id: subnet.vpc_id.clone(),
            availability_zone: subnet.availability_zone.clone(),
            cidr_block: subnet.cidr_block.clone(),
            public,
        })
    }
}

pub(super) fn local_route(cidr: &str) -> Route {
    Route { destination: cidr.to_owned(), target: RouteTarget::Local, origin: "CreateRouteTable".into() }
}

/// The rule every new security group starts with: all traffic out to anywhere.
pub fn allow_all_egress() -> Rule {
    Rule::new("-1", None, None, Peer::Cidr("0.0.0.0/0".into()))
}
