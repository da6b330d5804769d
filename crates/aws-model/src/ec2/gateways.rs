//! Internet gateways, route tables, NAT gateways, Elastic IPs and tags over a [`Network`].

use std::net::Ipv4Addr;

use super::cidr::Cidr;
use super::network::{check_filters, local_route, passes, resource_type};
use super::*;

/// The first public address Elastic IPs are handed out from.
const PUBLIC_POOL_START: Ipv4Addr = Ipv4Addr::new(54, 80, 0, 10);

/// A tag of DescribeTags: the resource, its type, and one key and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagDescription {
    pub resource_id: String,
    pub resource_type: &'static str,
    pub key: String,
    pub value: String,
}

impl Network {
    fn gateway(&self, id: &str) -> Result<&InternetGateway, Ec2Error> {
        self.internet_gateways.get(id).ok_or_else(|| Ec2Error::InternetGatewayNotFound(id.to_owned()))
    }

    fn table(&self, id: &str) -> Result<&RouteTable, Ec2Error> {
        self.route_tables.get(id).ok_or_else(|| Ec2Error::RouteTableNotFound(id.to_owned()))
    }

    fn nat(&self, id: &str) -> Result<&NatGateway, Ec2Error> {
        self.nat_gateways.get(id).ok_or_else(|| Ec2Error::NatGatewayNotFound(id.to_owned()))
    }

    fn address(&self, allocation_id: &str) -> Result<&Address, Ec2Error> {
        self.addresses.get(allocation_id).ok_or_else(|| Ec2Error::AllocationNotFound(allocation_id.to_owned()))
    }

    // Internet gateways.

    /// CreateInternetGateway.
    pub fn create_internet_gateway(&mut self, ids: &mut IdSource, tags: &Tags) -> InternetGateway {
        let gateway = InternetGateway { id: ids.id("igw"), attached_vpc: None };
        self.internet_gateways.insert(gateway.id.clone(), gateway.clone());
        self.tag(&gateway.id, tags);
        gateway
    }

    /// AttachInternetGateway: a gateway to one VPC, a VPC to one gateway.
    pub fn attach_internet_gateway(&mut self, gateway_id: &str, vpc_id: &str) -> Result<(), Ec2Error> {
        let gateway = self.gateway(gateway_id)?;
        self.vpc(vpc_id)?;
        if let Some(attached) = &gateway.attached_vpc {
            return Err(Ec2Error::AlreadyAssociated(format!(
                "resource {gateway_id} is already attached to network {attached}"
            )));
        }
        if let Some(other) = self.internet_gateways.values().find(|g| g.attached_vpc.as_deref() == Some(vpc_id)) {
            return Err(Ec2Error::AlreadyAssociated(format!(
                "network {vpc_id} already has an internet gateway attached: {}",
                other.id
            )));
        }
        self.internet_gateways.get_mut(gateway_id).expect("checked above").attached_vpc = Some(vpc_id.to_owned());
        Ok(())
    }

    /// DetachInternetGateway.
    pub fn detach_internet_gateway(&mut self, gateway_id: &str, vpc_id: &str) -> Result<(), Ec2Error> {
        let gateway = self.gateway(gateway_id)?;
        self.vpc(vpc_id)?;
        if gateway.attached_vpc.as_deref() != Some(vpc_id) {
            return Err(Ec2Error::GatewayNotAttached { gateway: gateway_id.to_owned(), vpc_id: vpc_id.to_owned() });
        }
        self.internet_gateways.get_mut(gateway_id).expect("checked above").attached_vpc = None;
        Ok(())
    }

    /// DeleteInternetGateway: only once detached.
    pub fn delete_internet_gateway(&mut self, gateway_id: &str) -> Result<(), Ec2Error> {
        if self.gateway(gateway_id)?.attached_vpc.is_some() {
            return Err(Ec2Error::DependencyViolation(format!(
                "The internetGateway '{gateway_id}' has dependencies and cannot be deleted."
            )));
        }
        self.internet_gateways.remove(gateway_id);
        self.untag(gateway_id);
        Ok(())
    }

    /// DescribeInternetGateways.
    pub fn describe_internet_gateways(
        &self,
        gateway_ids: &[String],
        filters: &[Filter],
    ) -> Result<Vec<&InternetGateway>, Ec2Error> {
        check_filters(filters, &["internet-gateway-id", "attachment.vpc-id", "attachment.state", "owner-id"])?;
        for id in gateway_ids {
            self.gateway(id)?;
        }
        Ok(self
            .internet_gateways
            .values()
            .filter(|gateway| gateway_ids.is_empty() || gateway_ids.contains(&gateway.id))
            .filter(|gateway| {
                passes(filters, self.tags.get(&gateway.id), |name| match name {
                    "internet-gateway-id" => vec![gateway.id.clone()],
                    "attachment.vpc-id" => gateway.attached_vpc.clone().into_iter().collect(),
                    "attachment.state" => gateway.attached_vpc.iter().map(|_| "available".to_owned()).collect(),
                    "owner-id" => vec![self.account.clone()],
                    _ => Vec::new(),
                })
            })
            .collect())
    }

    // Route tables.

    /// CreateRouteTable: with the local route of each block of its VPC.
    pub fn create_route_table(
        &mut self,
        ids: &mut IdSource,
        vpc_id: &str,
        tags: &Tags,
    ) -> Result<RouteTable, Ec2Error> {
        let vpc = self.vpc(vpc_id)?;
        let table = RouteTable {
            id: ids.id("rtb"),
            vpc_id: vpc_id.to_owned(),
            routes: vpc.associated_blocks().iter().map(|block| local_route(&block.to_string())).collect(),
            associations: Vec::new(),
        };
        self.route_tables.insert(table.id.clone(), table.clone());
        self.tag(&table.id, tags);
        Ok(table)
    }

    /// DeleteRouteTable: not the main table, and not while subnets are associated.
    pub fn delete_route_table(&mut self, table_id: &str) -> Result<(), Ec2Error> {
        if !self.table(table_id)?.associations.is_empty() {
            return Err(Ec2Error::DependencyViolation(format!(
                "The routeTable '{table_id}' has dependencies and cannot be deleted."
            )));
        }
        self.route_tables.remove(table_id);
        self.untag(table_id);
        Ok(())
    }

    /// CreateRoute to an internet gateway attached to the table's VPC, or to a NAT gateway in it.
    pub fn create_route(
        &mut self,
        table_id: &str,
        destination: Option<&str>,
        gateway_id: Option<&str>,
        nat_gateway_id: Option<&str>,
    ) -> Result<(), Ec2Error> {
        let table = self.table(table_id)?;
        let destination = destination.ok_or_else(|| {
            Ec2Error::MissingParameter("The request must contain the parameter destinationCidrBlock".into())
        })?;
        let cidr = Cidr::parse(destination).ok_or_else(|| {
            Ec2Error::InvalidParameterValue(format!(
                "Value ({destination}) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block."
            ))
        })?;
        let target = match (gateway_id, nat_gateway_id) {
            (Some(gateway_id), None) => {
                let gateway = self.gateway(gateway_id)?;
                if gateway.attached_vpc.as_deref() != Some(table.vpc_id.as_str()) {
                    return Err(Ec2Error::InvalidParameterValue(format!(
                        "route table {table_id} and network gateway {gateway_id} belong to different networks"
                    )));
                }
                RouteTarget::Gateway(gateway_id.to_owned())
            }
            (None, Some(nat_id)) => {
                let nat = self.nat(nat_id)?;
                if nat.vpc_id != table.vpc_id || nat.state == "deleted" {
                    return Err(Ec2Error::InvalidParameterValue(format!(
                        "route table {table_id} and NAT gateway {nat_id} belong to different networks"
                    )));
                }
                RouteTarget::NatGateway(nat_id.to_owned())
            }
            (None, None) => {
                return Err(Ec2Error::MissingParameter(
                    "The request must contain exactly one of gatewayId, natGatewayId".into(),
                ));
            }
            (Some(_), Some(_)) => {
                return Err(Ec2Error::InvalidParameterCombination(
                    "The request must contain exactly one of gatewayId, natGatewayId".into(),
                ));
            }
        };
        let destination = cidr.to_string();
        if table.routes.iter().any(|route| route.destination == destination) {
            return Err(Ec2Error::RouteAlreadyExists(destination));
        }
        self.route_tables.get_mut(table_id).expect("checked above").routes.push(Route {
            destination,
            target,
            origin: "CreateRoute".into(),
        });
        Ok(())
    }

    /// DeleteRoute: any route but the local one.
    pub fn delete_route(&mut self, table_id: &str, destination: &str) -> Result<(), Ec2Error> {
        let table = self.table(table_id)?;
        let not_found = || Ec2Error::RouteNotFound { destination: destination.to_owned(), table: table_id.to_owned() };
        let index = table.routes.iter().position(|route| route.destination == destination).ok_or_else(not_found)?;
        if table.routes[index].target == RouteTarget::Local {
            return Err(Ec2Error::InvalidParameterValue(format!(
                "cannot remove local route {destination} in route table {table_id}"
            )));
        }
        if let RouteTarget::VpcEndpoint(endpoint) = &table.routes[index].target {
            return Err(Ec2Error::InvalidParameterValue(format!(
                "cannot remove route {destination} in route table {table_id}: it belongs to VPC endpoint {endpoint}"
            )));
        }
        self.route_tables.get_mut(table_id).expect("checked above").routes.remove(index);
        Ok(())
    }

    /// AssociateRouteTable: a subnet of the same VPC, at most one explicit table per subnet.
    pub fn associate_route_table(
        &mut self,
        ids: &mut IdSource,
        table_id: &str,
        subnet_id: &str,
    ) -> Result<String, Ec2Error> {
        let table = self.table(table_id)?;
        let subnet = self.subnet(subnet_id)?;
        if subnet.vpc_id != table.vpc_id {
            return Err(Ec2Error::InvalidParameterValue(format!(
                "Route table {table_id} and subnet {subnet_id} belong to different networks"
            )));
        }
        let taken = self
            .route_tables
            .values()
            .flat_map(|table| &table.associations)
            .find(|association| association.subnet_id.as_deref() == Some(subnet_id));
        if let Some(existing) = taken {
            return Err(Ec2Error::AlreadyAssociated(format!(
                "the specified association for route table {table_id} conflicts with an existing association {}",
                existing.id
            )));
        }
        let id = ids.id("rtbassoc");
        self.route_tables
            .get_mut(table_id)
            .expect("checked above")
            .associations
            .push(Association { id: id.clone(), subnet_id: Some(subnet_id.to_owned()) });
        Ok(id)
    }

    /// DisassociateRouteTable: any association but a main one.
    pub fn disassociate_route_table(&mut self, association_id: &str) -> Result<(), Ec2Error> {
        for table in self.route_tables.values_mut() {
            if let Some(index) = table.associations.iter().position(|association| association.id == association_id) {
                if table.associations[index].subnet_id.is_none() {
                    return Err(Ec2Error::InvalidParameterValue(format!(
                        "cannot disassociate the main route table association {association_id}"
                    )));
                }
                table.associations.remove(index);
                return Ok(());
            }
        }
        Err(Ec2Error::AssociationNotFound(association_id.to_owned()))
    }

    /// DescribeRouteTables.
    pub fn describe_route_tables(
        &self,
        table_ids: &[String],
        filters: &[Filter],
    ) -> Result<Vec<&RouteTable>, Ec2Error> {
        check_filters(
            filters,
            &[
                "route-table-id",
                "vpc-id",
                "association.main",
                "association.subnet-id",
                "association.route-table-association-id",
                "route.destination-cidr-block",
                "route.gateway-id",
                "route.nat-gateway-id",
                "owner-id",
            ],
        )?;
        for id in table_ids {
            self.table(id)?;
        }
        Ok(self
            .route_tables
            .values()
            .filter(|table| table_ids.is_empty() || table_ids.contains(&table.id))
            .filter(|table| {
                passes(filters, self.tags.get(&table.id), |name| match name {
                    "route-table-id" => vec![table.id.clone()],
                    "vpc-id" => vec![table.vpc_id.clone()],
                    "association.main" => vec![table.is_main().to_string()],
                    "association.subnet-id" => table.associations.iter().filter_map(|a| a.subnet_id.clone()).collect(),
                    "association.route-table-association-id" => {
                        table.associations.iter().map(|a| a.id.clone()).collect()
                    }
                    "route.destination-cidr-block" => table.routes.iter().map(|r| r.destination.clone()).collect(),
                    "route.gateway-id" => table
                        .routes
                        .iter()
                        .filter_map(|route| match &route.target {
                            RouteTarget::Gateway(id) => Some(id.clone()),
                            RouteTarget::Local => Some("local".into()),
                            RouteTarget::VpcEndpoint(id) => Some(id.clone()),
                            RouteTarget::NatGateway(_) => None,
                        })
                        .collect(),
                    "route.nat-gateway-id" => table
                        .routes
                        .iter()
                        .filter_map(|route| match &route.target {
                            RouteTarget::NatGateway(id) => Some(id.clone()),
                            _ => None,
                        })
                        .collect(),
                    "owner-id" => vec![self.account.clone()],
                    _ => Vec::new(),
                })
            })
            .collect())
    }

    /// A route's state: `blackhole` when its gateway is gone or detached.
    pub fn route_state(&self, table: &RouteTable, route: &Route) -> &'static str {
        let alive = match &route.target {
            RouteTarget::Local => true,
            RouteTarget::Gateway(id) => {
                self.internet_gateways.get(id).is_some_and(|g| g.attached_vpc.as_deref() == Some(&table.vpc_id))
            }
            RouteTarget::NatGateway(id) => self.nat_gateways.get(id).is_some_and(|nat| nat.state != "deleted"),
            // Deleting an endpoint removes its routes.
            RouteTarget::VpcEndpoint(_) => true,
        };
        if alive { "active" } else { "blackhole" }
    }

    // Elastic IPs.

    /// AllocateAddress: the lowest free address of the pool.
    pub fn allocate_address(&mut self, ids: &mut IdSource, tags: &Tags) -> Result<Address, Ec2Error> {
        let start = u32::from(PUBLIC_POOL_START);
        let public_ip = (0..65_536u32)
            .map(|offset| Ipv4Addr::from(start + offset))
            .find(|ip| !self.addresses.values().any(|address| address.public_ip == *ip))
            .ok_or_else(|| {
                Ec2Error::AddressLimitExceeded("The maximum number of addresses has been reached.".into())
            })?;
        let address = Address { allocation_id: ids.id("eipalloc"), public_ip, nat_gateway_id: None };
        self.addresses.insert(address.allocation_id.clone(), address.clone());
        self.tag(&address.allocation_id, tags);
        Ok(address)
    }

    /// ReleaseAddress, by allocation id or public address; not while a NAT gateway uses it.
    pub fn release_address(&mut self, allocation_id: Option<&str>, public_ip: Option<&str>) -> Result<(), Ec2Error> {
        let id = match (allocation_id, public_ip) {
            (Some(id), _) => self.address(id)?.allocation_id.clone(),
            (None, Some(ip)) => self
                .addresses
                .values()
                .find(|address| address.public_ip.to_string() == ip)
                .map(|address| address.allocation_id.clone())
                .ok_or_else(|| {
                    Ec2Error::AuthFailure("You do not have permission to access the specified resource.".into())
                })?,
            (None, None) => {
                return Err(Ec2Error::MissingParameter("The request must contain the parameter AllocationId".into()));
            }
        };
        if self.addresses[&id].nat_gateway_id.is_some() {
            return Err(Ec2Error::AddressInUse(id));
        }
        self.addresses.remove(&id);
        self.untag(&id);
        Ok(())
    }

    /// DescribeAddresses.
    pub fn describe_addresses(
        &self,
        allocation_ids: &[String],
        public_ips: &[String],
        filters: &[Filter],
    ) -> Result<Vec<&Address>, Ec2Error> {
        check_filters(filters, &["allocation-id", "public-ip", "domain", "association-id", "network-border-group"])?;
        for id in allocation_ids {
            self.address(id)?;
        }
        for ip in public_ips {
            if !self.addresses.values().any(|address| &address.public_ip.to_string() == ip) {
                return Err(Ec2Error::AddressNotFound(format!("Address '{ip}' not found.")));
            }
        }
        Ok(self
            .addresses
            .values()
            .filter(|address| allocation_ids.is_empty() || allocation_ids.contains(&address.allocation_id))
            .filter(|address| public_ips.is_empty() || public_ips.contains(&address.public_ip.to_string()))
            .filter(|address| {
                passes(filters, self.tags.get(&address.allocation_id), |name| match name {
                    "allocation-id" => vec![address.allocation_id.clone()],
                    "public-ip" => vec![address.public_ip.to_string()],
                    "domain" => vec!["vpc".into()],
                    "network-border-group" => vec![self.region.clone()],
                    _ => Vec::new(),
                })
            })
            .collect())
    }

    // NAT gateways.

    /// CreateNatGateway: public ones in a subnet with a free Elastic IP; available at once.
    pub fn create_nat_gateway(
        &mut self,
        ids: &mut IdSource,
        subnet_id: Option<&str>,
        allocation_id: Option<&str>,
        now: f64,
        tags: &Tags,
    ) -> Result<NatGateway, Ec2Error> {
        let subnet_id = subnet_id
            .ok_or_else(|| Ec2Error::MissingParameter("The request must contain the parameter SubnetId".into()))?;
        let vpc_id = self.subnet(subnet_id)?.vpc_id.clone();
        let allocation_id = allocation_id
            .ok_or_else(|| Ec2Error::MissingParameter("The request must contain the parameter AllocationId".into()))?;
        let address = self.address(allocation_id)?;
        if address.nat_gateway_id.is_some() {
            return Err(Ec2Error::AddressInUse(allocation_id.to_owned()));
        }
        let public_ip = address.public_ip.to_string();
        let private_ip = self.allocate_private_ip(subnet_id)?;
        let nat = NatGateway {
            id: ids.id("nat"),
            subnet_id: subnet_id.to_owned(),
            vpc_id,
            allocation_id: allocation_id.to_owned(),
            public_ip,
            private_ip,
            state: "available".into(),
            created_at: now,
            deleted_at: None,
        };
        self.addresses.get_mut(allocation_id).expect("checked above").nat_gateway_id = Some(nat.id.clone());
        self.nat_gateways.insert(nat.id.clone(), nat.clone());
        self.tag(&nat.id, tags);
        Ok(nat)
    }

    /// DeleteNatGateway: it stays visible as `deleted`, its addresses return to their owners.
    pub fn delete_nat_gateway(&mut self, nat_id: &str, now: f64) -> Result<(), Ec2Error> {
        let nat = self.nat(nat_id)?.clone();
        if nat.state == "deleted" {
            return Ok(());
        }
        if let Some(address) = self.addresses.get_mut(&nat.allocation_id) {
            address.nat_gateway_id = None;
        }
        if let Some(subnet) = self.subnets.get_mut(&nat.subnet_id) {
            subnet.allocated.remove(&nat.private_ip);
        }
        let stored = self.nat_gateways.get_mut(nat_id).expect("checked above");
        stored.state = "deleted".into();
        stored.deleted_at = Some(now);
        Ok(())
    }

    /// DescribeNatGateways.
    pub fn describe_nat_gateways(&self, nat_ids: &[String], filters: &[Filter]) -> Result<Vec<&NatGateway>, Ec2Error> {
        check_filters(filters, &["nat-gateway-id", "state", "subnet-id", "vpc-id"])?;
        for id in nat_ids {
            self.nat(id)?;
        }
        Ok(self
            .nat_gateways
            .values()
            .filter(|nat| nat_ids.is_empty() || nat_ids.contains(&nat.id))
            .filter(|nat| {
                passes(filters, self.tags.get(&nat.id), |name| match name {
                    "nat-gateway-id" => vec![nat.id.clone()],
                    "state" => vec![nat.state.clone()],
                    "subnet-id" => vec![nat.subnet_id.clone()],
                    "vpc-id" => vec![nat.vpc_id.clone()],
                    _ => Vec::new(),
                })
            })
            .collect())
    }

    // Tags.

    /// Checks that a resource exists, with the not-found error of its kind.
    pub fn check_resource(&self, id: &str) -> Result<(), Ec2Error> {
        match resource_type(id) {
            Some("vpc") => self.vpc(id).map(drop),
            Some("subnet") => self.subnet(id).map(drop),
            Some("security-group") => self.find_group(Some(id), None).map(drop),
            Some("internet-gateway") => self.gateway(id).map(drop),
            Some("route-table") => self.table(id).map(drop),
            Some("natgateway") => self.nat(id).map(drop),
            Some("elastic-ip") => self.address(id).map(drop),
            Some("network-acl") => self.network_acl(id).map(drop),
            Some("network-interface") => self.interface(id).map(drop),
            Some("instance") => self.check_instance_ids(std::slice::from_ref(&id.to_owned())),
            Some("volume") => self.volume(id).map(drop),
            Some("snapshot") => self.snapshot(id).map(drop),
            Some("key-pair") => self.key_pair_by_id(id).map(drop),
            Some("vpc-endpoint") => self.vpc_endpoint(id).map(drop),
            Some("security-group-rule") => self.group_rule(id).map(drop),
            Some("launch-template") => self.launch_template(&super::templates::TemplateName::Id(id)).map(drop),
            _ => Err(Ec2Error::InvalidId(id.to_owned())),
        }
    }

    /// CreateTags: every resource must exist; keys up to 128 characters, values up to 256, 50 tags each.
    pub fn create_tags(&mut self, resource_ids: &[String], tags: &Tags) -> Result<(), Ec2Error> {
        if resource_ids.is_empty() {
            return Err(Ec2Error::MissingParameter("The request must contain the parameter ResourceId".into()));
        }
        if tags.is_empty() {
            return Err(Ec2Error::MissingParameter("The request must contain the parameter Tag".into()));
        }
        check_tags(tags)?;
        for id in resource_ids {
            self.check_resource(id)?;
            let merged = self
                .tags
                .get(id)
                .map_or(0, |existing| existing.keys().chain(tags.keys()).collect::<BTreeSet<_>>().len());
            if merged > 50 {
                return Err(Ec2Error::TagLimitExceeded(
                    "The maximum number of Tags for a resource has been reached.".into(),
                ));
            }
        }
        for id in resource_ids {
            self.tag(id, tags);
        }
        Ok(())
    }

    /// DeleteTags: keys alone remove whatever value; a key with a value removes it only when it matches; no
    /// tags at all removes every tag.
    pub fn delete_tags(&mut self, resource_ids: &[String], tags: &[(String, Option<String>)]) -> Result<(), Ec2Error> {
        if resource_ids.is_empty() {
            return Err(Ec2Error::MissingParameter("The request must contain the parameter ResourceId".into()));
        }
        for id in resource_ids {
            self.check_resource(id)?;
        }
        for id in resource_ids {
            let Some(existing) = self.tags.get_mut(id) else { continue };
            if tags.is_empty() {
                existing.clear();
            }
            for (key, value) in tags {
                if value.is_none() || existing.get(key) == value.as_ref() {
                    existing.remove(key);
                }
            }
            if existing.is_empty() {
                self.tags.remove(id);
            }
        }
        Ok(())
    }

    /// DescribeTags, filtered by resource-id, resource-type, key and value.
    pub fn describe_tags(&self, filters: &[Filter]) -> Result<Vec<TagDescription>, Ec2Error> {
        for filter in filters {
            if !["resource-id", "resource-type", "key", "value"].contains(&filter.name.as_str()) {
                return Err(Ec2Error::InvalidFilter(filter.name.clone()));
            }
        }
        let mut out = Vec::new();
        for (id, tags) in &self.tags {
            let Some(kind) = resource_type(id) else { continue };
            for (key, value) in tags {
                let keep = passes(filters, None, |name| match name {
                    "resource-id" => vec![id.clone()],
                    "resource-type" => vec![kind.to_owned()],
                    "key" => vec![key.clone()],
                    "value" => vec![value.clone()],
                    _ => Vec::new(),
                });
                if keep {
                    out.push(TagDescription {
                        resource_id: id.clone(),
                        resource_type: kind,
                        key: key.clone(),
                        value: value.clone(),
                    });
                }
            }
        }
        Ok(out)
    }
}

/// Tag keys from 1 to 128 characters, not starting with `aws:`; values up to 256.
pub fn check_tags(tags: &Tags) -> Result<(), Ec2Error> {
    for (key, value) in tags {
        if key.is_empty() || key.chars().count() > 128 {
            return Err(Ec2Error::InvalidParameterValue(format!(
                "Tag key exceeds the maximum length of 128 characters or is empty: '{key}'"
            )));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(Ec2Error::InvalidParameterValue(
                "Tag keys starting with 'aws:' are reserved for internal use".into(),
            ));
        }
        if value.chars().count() > 256 {
            return Err(Ec2Error::InvalidParameterValue(format!(
                "Tag value exceeds the maximum length of 256 characters: '{key}'"
            )));
        }
    }
    if tags.len() > 50 {
        return Err(Ec2Error::TagLimitExceeded("The maximum number of Tags for a resource has been reached.".into()));
    }
    Ok(())
}
