//! VPC endpoints over a [`Network`]: each endpoint its own record (`ec2/vpc-endpoint/<id>`), CreateVpcEndpoint,
//! ModifyVpcEndpoint, DeleteVpcEndpoints and DescribeVpcEndpoints' filters, with EC2's rules and errors. The
//! services endpoints reach are the catalogue of [`super::endpoint_services`].
//!
//! A gateway endpoint (S3, DynamoDB) is a route in each of its route tables, from the service's prefix list to the
//! endpoint (`RouteTarget::VpcEndpoint`), added and removed with the endpoint and by ModifyVpcEndpoint. An interface
//! endpoint holds one requester-managed network interface per subnet, at most one subnet per zone, of type
//! `vpc_endpoint` and described `VPC Endpoint Interface <id>`, with the endpoint's security groups (the VPC's
//! default group unless named), made and deleted with it through `interfaces.rs`, so that a subnet holding one keeps
//! its address and cannot be deleted. Private DNS (on by default for an interface endpoint) needs the VPC's
//! `enableDnsSupport` and `enableDnsHostnames`; S3's interface endpoint, whose private DNS answers only inbound
//! resolver endpoints unless told otherwise, needs a gateway endpoint for S3 in the VPC too. An endpoint's DNS
//! names are derived from its id, its zones and its service, so they are not stored.
//!
//! An endpoint is `available` from the start; CreateVpcEndpoint answers `pending` for an interface endpoint, as
//! EC2 does, which Terraform's waiter and the CLI's take as still being made before they read `available`.

use serde::{Deserialize, Serialize};

use super::endpoint_services::{EndpointType, clip, derived_chars, endpoint_service, services_named, vpce_hosted_zone};
use super::interfaces::CreateNetworkInterface;
use super::network::{check_filters, passes};
use super::{Ec2Error, Filter, IdSource, Network, Route, RouteTarget, Tags};

/// The longest endpoint policy EC2 takes, in characters.
pub const POLICY_MAX: usize = 20_480;
/// The longest client token EC2 takes.
pub const CLIENT_TOKEN_MAX: usize = 64;
/// The policy of an endpoint created without one: full access, as EC2 writes it.
pub const DEFAULT_POLICY: &str =
    r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;
/// The type of the network interfaces of interface endpoints.
pub const INTERFACE_TYPE: &str = "vpc_endpoint";

/// An interface endpoint's network interface in one subnet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointInterface {
    pub subnet_id: String,
    /// The subnet's zone, for the endpoint's zonal DNS names.
    pub availability_zone: String,
    pub network_interface_id: String,
}

/// A VPC endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VpcEndpoint {
    /// `vpce-...`.
    pub id: String,
    pub endpoint_type: EndpointType,
    pub vpc_id: String,
    pub service_name: String,
    /// The policy a caller set; `None` for [`DEFAULT_POLICY`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_document: Option<String>,
    /// A gateway endpoint's route tables, in the order added.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub route_table_ids: Vec<String>,
    /// An interface endpoint's network interfaces, one per subnet, in the order added.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interfaces: Vec<EndpointInterface>,
    /// An interface endpoint's security groups.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_groups: Vec<String>,
    pub private_dns_enabled: bool,
    /// S3's interface endpoint: whether its private DNS answers only inbound resolver endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_dns_only_for_inbound_resolver_endpoint: Option<bool>,
    /// Unix seconds.
    pub created_at: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
}

/// One of an endpoint's DNS names and its hosted zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsEntry {
    pub dns_name: String,
    pub hosted_zone_id: String,
}

impl VpcEndpoint {
    /// Its policy: the one set, else the full-access default.
    pub fn policy(&self) -> &str {
        self.policy_document.as_deref().unwrap_or(DEFAULT_POLICY)
    }

    pub fn subnet_ids(&self) -> Vec<String> {
        self.interfaces.iter().map(|eni| eni.subnet_id.clone()).collect()
    }

    pub fn network_interface_ids(&self) -> Vec<String> {
        self.interfaces.iter().map(|eni| eni.network_interface_id.clone()).collect()
    }

    /// The names an interface endpoint answers to in `region`, as EC2 lists them: the regional name, one per zone,
    /// then the service's private name while private DNS is on. A gateway endpoint has none.
    pub fn dns_entries(&self, region: &str) -> Vec<DnsEntry> {
        if self.endpoint_type != EndpointType::Interface {
            return Vec::new();
        }
        let Some(service) =
            services_named(region, &self.service_name).into_iter().find(|s| s.endpoint_type == self.endpoint_type)
        else {
            return Vec::new();
        };
        let zone = vpce_hosted_zone(region);
        let wildcard = if service.wildcard { "*." } else { "" };
        let label = format!("{}-{}", self.id, derived_chars(&self.id, 8, false));
        let base = &service.base_endpoint_dns_name;
        let entry =
            |dns_name: String, hosted_zone_id: &str| DnsEntry { dns_name, hosted_zone_id: hosted_zone_id.into() };
        let mut entries = vec![entry(format!("{wildcard}{label}.{base}"), &zone)];
        for eni in &self.interfaces {
            entries.push(entry(format!("{wildcard}{label}-{}.{base}", eni.availability_zone), &zone));
        }
        if self.private_dns_enabled
            && let Some(name) = service.private_dns_name
        {
            let private_zone = format!("Z{}", derived_chars(&format!("private/{}", self.id), 20, true));
            entries.push(entry(name, &private_zone));
        }
        entries
    }
}

/// What CreateVpcEndpoint asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateVpcEndpoint {
    pub vpc_id: Option<String>,
    pub service_name: Option<String>,
    /// `Gateway` when `None`.
    pub endpoint_type: Option<String>,
    pub policy_document: Option<String>,
    pub route_table_ids: Vec<String>,
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
    /// `true` for an interface endpoint when `None`.
    pub private_dns_enabled: Option<bool>,
    pub private_dns_only_for_inbound_resolver_endpoint: Option<bool>,
    pub client_token: Option<String>,
    pub tags: Tags,
}

/// What ModifyVpcEndpoint asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModifyVpcEndpoint {
    pub reset_policy: bool,
    pub policy_document: Option<String>,
    pub add_route_table_ids: Vec<String>,
    pub remove_route_table_ids: Vec<String>,
    pub add_subnet_ids: Vec<String>,
    pub remove_subnet_ids: Vec<String>,
    pub add_security_group_ids: Vec<String>,
    pub remove_security_group_ids: Vec<String>,
    pub private_dns_enabled: Option<bool>,
    pub private_dns_only_for_inbound_resolver_endpoint: Option<bool>,
}

/// Whether `id` looks like a VPC endpoint id: `vpce-` and 8 or 17 lowercase hex digits.
pub fn is_endpoint_id(id: &str) -> bool {
    id.strip_prefix("vpce-").is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17) && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// The filters DescribeVpcEndpoints takes, besides the tag filters.
const ENDPOINT_FILTERS: &[&str] =
    &["service-name", "vpc-id", "vpc-endpoint-id", "vpc-endpoint-state", "vpc-endpoint-type", "ip-address-type"];

/// The ids of a list, each once, in first-seen order.
fn distinct(ids: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        if !out.contains(id) {
            out.push(id.clone());
        }
    }
    out
}

/// Checks a policy document: at most [`POLICY_MAX`] characters, a resource policy EC2 can read.
fn check_policy(text: &str) -> Result<(), Ec2Error> {
    if text.chars().count() > POLICY_MAX {
        return Err(Ec2Error::InvalidPolicyDocument(format!(
            "The policy document exceeds the maximum length of {POLICY_MAX} characters."
        )));
    }
    crate::policy::Policy::parse(text, crate::policy::PolicyKind::Resource)
        .map(drop)
        .map_err(|error| Ec2Error::InvalidPolicyDocument(error.to_string()))
}

fn subnets_only_for_interfaces() -> Ec2Error {
    Ec2Error::InvalidParameter(
        "Subnet IDs are only supported for Interface and GatewayLoadBalancer type VPC Endpoints.".into(),
    )
}

fn groups_only_for_interfaces() -> Ec2Error {
    Ec2Error::InvalidParameter("Security group IDs are only supported for Interface type VPC Endpoints.".into())
}

fn route_tables_only_for_gateways() -> Ec2Error {
    Ec2Error::InvalidParameter("Route table IDs are only supported for Gateway type VPC Endpoint.".into())
}

impl Network {
    /// An endpoint by id, with EC2's errors for malformed and unknown ids.
    pub fn vpc_endpoint(&self, id: &str) -> Result<&VpcEndpoint, Ec2Error> {
        if !is_endpoint_id(id) {
            return Err(Ec2Error::VpcEndpointIdMalformed(clip(id)));
        }
        self.vpc_endpoints.get(id).ok_or_else(|| Ec2Error::VpcEndpointNotFound(id.to_owned()))
    }

    /// Checks that a VPC lets an interface endpoint's private DNS answer in it.
    fn check_private_dns(&self, vpc_id: &str) -> Result<(), Ec2Error> {
        let vpc = self.vpc(vpc_id)?;
        if vpc.enable_dns_support && vpc.enable_dns_hostnames {
            return Ok(());
        }
        Err(Ec2Error::InvalidParameter(format!(
            "Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true \
             for {vpc_id}"
        )))
    }

    /// Checks the private DNS settings of an interface endpoint of `service_name`: S3's, answering only inbound
    /// resolver endpoints (its default with private DNS on), needs a gateway endpoint for S3 in the VPC; no other
    /// service takes that setting. Reads every endpoint when it is S3's. Returns the setting as stored.
    fn check_inbound_only(
        &self,
        vpc_id: &str,
        service_name: &str,
        private_dns: bool,
        inbound_only: Option<bool>,
    ) -> Result<Option<bool>, Ec2Error> {
        let has_gateway_type = services_named(&self.region, service_name).len() > 1;
        if !has_gateway_type {
            return match inbound_only {
                Some(_) => Err(Ec2Error::InvalidParameter(
                    "DnsOptions PrivateDnsOnlyForInboundResolverEndpoint is applicable only to services that \
                     support both Gateway and Interface VPC Endpoints."
                        .into(),
                )),
                None => Ok(None),
            };
        }
        let inbound_only = private_dns && inbound_only.unwrap_or(true);
        if inbound_only {
            let gateway = self.vpc_endpoints.values().any(|endpoint| {
                endpoint.vpc_id == vpc_id
                    && endpoint.service_name == service_name
                    && endpoint.endpoint_type == EndpointType::Gateway
            });
            if !gateway {
                return Err(Ec2Error::InvalidParameter(format!(
                    "To set PrivateDnsOnlyForInboundResolverEndpoint to true, the VPC {vpc_id} must have a Gateway \
                     endpoint for the service."
                )));
            }
        }
        Ok(Some(inbound_only))
    }

    /// Adds a gateway endpoint's route from the service's prefix list to each table (of the endpoint's VPC, without
    /// such a route yet).
    fn add_endpoint_routes(&mut self, endpoint: &VpcEndpoint, tables: &[String]) -> Result<(), Ec2Error> {
        let prefix_list = super::endpoint_services::prefix_list_of(&self.region, &endpoint.service_name)
            .ok_or_else(|| Ec2Error::InvalidServiceName(endpoint.service_name.clone()))?;
        for table_id in tables {
            let table = self.route_tables.get(table_id).ok_or_else(|| Ec2Error::RouteTableNotFound(clip(table_id)))?;
            if table.vpc_id != endpoint.vpc_id {
                return Err(Ec2Error::InvalidParameter(format!(
                    "Route table {table_id} does not belong to VPC {}.",
                    endpoint.vpc_id
                )));
            }
            if table.routes.iter().any(|route| route.destination == prefix_list.id) {
                return Err(Ec2Error::RouteAlreadyExists(prefix_list.id.clone()));
            }
        }
        for table_id in tables {
            self.route_tables.get_mut(table_id).expect("checked above").routes.push(Route {
                destination: prefix_list.id.clone(),
                target: RouteTarget::VpcEndpoint(endpoint.id.clone()),
                origin: "CreateRoute".into(),
            });
        }
        Ok(())
    }

    /// Removes a gateway endpoint's route from each table (loaded by id; a table gone since has none).
    fn remove_endpoint_routes(&mut self, endpoint_id: &str, tables: &[String]) {
        let target = RouteTarget::VpcEndpoint(endpoint_id.to_owned());
        for table_id in tables {
            if let Some(table) = self.route_tables.get_mut(table_id) {
                table.routes.retain(|route| route.target != target);
            }
        }
    }

    /// Makes an interface endpoint's network interfaces in `subnets` (of its VPC, each in a zone none of its other
    /// subnets is in), with its security groups. Every subnet is checked before any interface is made.
    fn add_endpoint_interfaces(
        &mut self,
        ids: &mut IdSource,
        endpoint: &mut VpcEndpoint,
        subnets: &[String],
    ) -> Result<(), Ec2Error> {
        let mut zones: Vec<String> = endpoint.interfaces.iter().map(|eni| eni.availability_zone.clone()).collect();
        let mut placed = Vec::new();
        for subnet_id in subnets {
            let subnet = self.subnet(subnet_id).map_err(|_| Ec2Error::SubnetNotFound(clip(subnet_id)))?;
            if subnet.vpc_id != endpoint.vpc_id {
                return Err(Ec2Error::InvalidParameter(format!(
                    "The subnet ID '{subnet_id}' does not belong to VPC '{}'.",
                    endpoint.vpc_id
                )));
            }
            if zones.contains(&subnet.availability_zone) {
                return Err(Ec2Error::InvalidParameter(format!(
                    "Found another VPC endpoint subnet in the availability zone of {subnet_id}. VPC endpoint subnets \
                     should be in different availability zones supported by the VPC endpoint service."
                )));
            }
            zones.push(subnet.availability_zone.clone());
            placed.push((subnet_id.clone(), subnet.availability_zone.clone()));
        }
        for (subnet_id, zone) in placed {
            let request = CreateNetworkInterface {
                subnet_id: Some(subnet_id.clone()),
                description: Some(format!("VPC Endpoint Interface {}", endpoint.id)),
                groups: endpoint.security_groups.clone(),
                interface_type: Some(INTERFACE_TYPE.into()),
                requester_managed: true,
                ..CreateNetworkInterface::default()
            };
            let eni = self.create_network_interface(ids, &request)?;
            endpoint.interfaces.push(EndpointInterface {
                subnet_id,
                availability_zone: zone,
                network_interface_id: eni.id,
            });
        }
        Ok(())
    }

    /// CreateVpcEndpoint at `now` (Unix seconds): a gateway endpoint with its routes, or an interface endpoint
    /// with its network interfaces. With a client token an endpoint already made with it is answered again, and
    /// `true` says so. The change reads the VPC, every endpoint, every security group, the route tables and the
    /// subnets' addresses named.
    pub fn create_vpc_endpoint(
        &mut self,
        ids: &mut IdSource,
        input: &CreateVpcEndpoint,
        now: f64,
    ) -> Result<(VpcEndpoint, bool), Ec2Error> {
        let missing = |name: &str| Ec2Error::MissingParameter(format!("The request must contain the parameter {name}"));
        let vpc_id = input.vpc_id.as_deref().ok_or_else(|| missing("VpcId"))?;
        let service_name = input.service_name.as_deref().ok_or_else(|| missing("ServiceName"))?;
        let endpoint_type = EndpointType::parse(input.endpoint_type.as_deref().unwrap_or("Gateway"))?;
        if let Some(token) = &input.client_token {
            if token.is_empty() || token.chars().count() > CLIENT_TOKEN_MAX || !token.is_ascii() {
                return Err(Ec2Error::InvalidParameterValue(format!(
                    "Value ({}) for parameter clientToken is invalid. It must be 1 to {CLIENT_TOKEN_MAX} ASCII \
                     characters.",
                    clip(token)
                )));
            }
            let made = self.vpc_endpoints.values().find(|endpoint| endpoint.client_token.as_ref() == Some(token));
            if let Some(endpoint) = made {
                if endpoint.vpc_id != vpc_id
                    || endpoint.service_name != service_name
                    || endpoint.endpoint_type != endpoint_type
                {
                    return Err(Ec2Error::IdempotentParameterMismatch(format!(
                        "The client token '{token}' was used with different parameters."
                    )));
                }
                return Ok((endpoint.clone(), true));
            }
        }
        self.vpc(vpc_id).map_err(|_| Ec2Error::VpcNotFound(clip(vpc_id)))?;
        endpoint_service(&self.region, service_name, endpoint_type)?;
        if let Some(policy) = &input.policy_document {
            check_policy(policy)?;
        }
        let mut endpoint = VpcEndpoint {
            id: ids.id("vpce"),
            endpoint_type,
            vpc_id: vpc_id.to_owned(),
            service_name: service_name.to_owned(),
            policy_document: input.policy_document.clone(),
            route_table_ids: Vec::new(),
            interfaces: Vec::new(),
            security_groups: Vec::new(),
            private_dns_enabled: false,
            private_dns_only_for_inbound_resolver_endpoint: None,
            created_at: now,
            client_token: input.client_token.clone(),
        };
        match endpoint_type {
            EndpointType::Gateway => {
                if !input.subnet_ids.is_empty() {
                    return Err(subnets_only_for_interfaces());
                }
                if !input.security_group_ids.is_empty() {
                    return Err(groups_only_for_interfaces());
                }
                if input.private_dns_only_for_inbound_resolver_endpoint.is_some() {
                    return Err(Ec2Error::InvalidParameter(
                        "DnsOptions PrivateDnsOnlyForInboundResolverEndpoint is applicable only to Interface VPC \
                         Endpoints."
                            .into(),
                    ));
                }
                endpoint.private_dns_enabled = input.private_dns_enabled.unwrap_or(false);
                let tables = distinct(&input.route_table_ids);
                self.add_endpoint_routes(&endpoint, &tables)?;
                endpoint.route_table_ids = tables;
            }
            EndpointType::Interface => {
                if !input.route_table_ids.is_empty() {
                    return Err(route_tables_only_for_gateways());
                }
                let private_dns = input.private_dns_enabled.unwrap_or(true);
                if private_dns {
                    self.check_private_dns(vpc_id)?;
                }
                endpoint.private_dns_enabled = private_dns;
                endpoint.private_dns_only_for_inbound_resolver_endpoint = self.check_inbound_only(
                    vpc_id,
                    service_name,
                    private_dns,
                    input.private_dns_only_for_inbound_resolver_endpoint,
                )?;
                let groups = distinct(&input.security_group_ids);
                endpoint.security_groups = if groups.is_empty() {
                    let default = self.security_groups.values().find(|g| g.vpc_id == vpc_id && g.name == "default");
                    default.map(|group| vec![group.id.clone()]).unwrap_or_default()
                } else {
                    self.check_interface_groups(vpc_id, &groups)?;
                    groups
                };
                self.add_endpoint_interfaces(ids, &mut endpoint, &distinct(&input.subnet_ids))?;
            }
        }
        self.vpc_endpoints.insert(endpoint.id.clone(), endpoint.clone());
        self.tag(&endpoint.id, &input.tags);
        Ok((endpoint, false))
    }

    /// ModifyVpcEndpoint: a gateway endpoint's route tables, an interface endpoint's subnets (interfaces made and
    /// deleted), security groups (at least one, set on every interface) and private DNS, either's policy. All or
    /// nothing. The change reads the endpoint, then its VPC, its route tables, its interfaces and the subnets'
    /// addresses, every security group and every endpoint (S3's private DNS).
    pub fn modify_vpc_endpoint(
        &mut self,
        ids: &mut IdSource,
        id: &str,
        request: &ModifyVpcEndpoint,
    ) -> Result<(), Ec2Error> {
        let mut endpoint = self.vpc_endpoint(id)?.clone();
        if request.reset_policy && request.policy_document.is_some() {
            return Err(Ec2Error::InvalidParameterCombination(
                "The parameters ResetPolicy and PolicyDocument cannot be used together.".into(),
            ));
        }
        if let Some(policy) = &request.policy_document {
            check_policy(policy)?;
            endpoint.policy_document = Some(policy.clone());
        }
        if request.reset_policy {
            endpoint.policy_document = None;
        }
        match endpoint.endpoint_type {
            EndpointType::Gateway => {
                if !request.add_subnet_ids.is_empty() || !request.remove_subnet_ids.is_empty() {
                    return Err(subnets_only_for_interfaces());
                }
                if !request.add_security_group_ids.is_empty() || !request.remove_security_group_ids.is_empty() {
                    return Err(groups_only_for_interfaces());
                }
                let removed = distinct(&request.remove_route_table_ids);
                if let Some(unknown) = removed.iter().find(|table| !endpoint.route_table_ids.contains(table)) {
                    return Err(Ec2Error::InvalidParameter(format!(
                        "Route table {} is not associated with VPC endpoint {id}.",
                        clip(unknown)
                    )));
                }
                self.remove_endpoint_routes(id, &removed);
                endpoint.route_table_ids.retain(|table| !removed.contains(table));
                let added: Vec<String> = distinct(&request.add_route_table_ids)
                    .into_iter()
                    .filter(|table| !endpoint.route_table_ids.contains(table))
                    .collect();
                self.add_endpoint_routes(&endpoint, &added)?;
                endpoint.route_table_ids.extend(added);
            }
            EndpointType::Interface => {
                if !request.add_route_table_ids.is_empty() || !request.remove_route_table_ids.is_empty() {
                    return Err(route_tables_only_for_gateways());
                }
                let removed_groups = distinct(&request.remove_security_group_ids);
                if let Some(unknown) = removed_groups.iter().find(|group| !endpoint.security_groups.contains(group)) {
                    return Err(Ec2Error::InvalidParameter(format!(
                        "Security group {} is not associated with VPC endpoint {id}.",
                        clip(unknown)
                    )));
                }
                let added_groups = distinct(&request.add_security_group_ids);
                self.check_interface_groups(&endpoint.vpc_id, &added_groups)?;
                let mut groups: Vec<String> =
                    endpoint.security_groups.iter().filter(|g| !removed_groups.contains(g)).cloned().collect();
                groups.extend(added_groups.into_iter().filter(|group| !groups.contains(group)).collect::<Vec<_>>());
                if groups.is_empty() {
                    return Err(Ec2Error::InvalidParameter(format!(
                        "VPC endpoint {id} must keep at least one security group."
                    )));
                }
                let removed_subnets = distinct(&request.remove_subnet_ids);
                let subnets = endpoint.subnet_ids();
                if let Some(unknown) = removed_subnets.iter().find(|subnet| !subnets.contains(subnet)) {
                    return Err(Ec2Error::InvalidParameter(format!(
                        "Subnet {} is not associated with VPC endpoint {id}.",
                        clip(unknown)
                    )));
                }
                for eni in endpoint.interfaces.iter().filter(|eni| removed_subnets.contains(&eni.subnet_id)) {
                    self.delete_managed_interface(&eni.network_interface_id)?;
                }
                endpoint.interfaces.retain(|eni| !removed_subnets.contains(&eni.subnet_id));
                if groups != endpoint.security_groups {
                    // As ModifyNetworkInterfaceAttribute does: a DeleteSecurityGroup must see the interfaces' groups.
                    self.moved.insert(super::Kind::NetworkInterface);
                    for eni in &endpoint.interfaces {
                        if let Some(stored) = self.network_interfaces.get_mut(&eni.network_interface_id) {
                            stored.security_groups = groups.clone();
                        }
                    }
                    endpoint.security_groups = groups;
                }
                let added_subnets: Vec<String> = distinct(&request.add_subnet_ids)
                    .into_iter()
                    .filter(|subnet| !endpoint.subnet_ids().contains(subnet))
                    .collect();
                self.add_endpoint_interfaces(ids, &mut endpoint, &added_subnets)?;
                let private_dns = request.private_dns_enabled.unwrap_or(endpoint.private_dns_enabled);
                if private_dns && request.private_dns_enabled == Some(true) {
                    self.check_private_dns(&endpoint.vpc_id)?;
                }
                if request.private_dns_enabled.is_some()
                    || request.private_dns_only_for_inbound_resolver_endpoint.is_some()
                {
                    let inbound = request
                        .private_dns_only_for_inbound_resolver_endpoint
                        .or(endpoint.private_dns_only_for_inbound_resolver_endpoint);
                    endpoint.private_dns_only_for_inbound_resolver_endpoint =
                        self.check_inbound_only(&endpoint.vpc_id, &endpoint.service_name, private_dns, inbound)?;
                }
                endpoint.private_dns_enabled = private_dns;
            }
        }
        self.vpc_endpoints.insert(id.to_owned(), endpoint);
        Ok(())
    }

    /// DeleteVpcEndpoints: each endpoint with its routes or network interfaces; the ids that could not be deleted
    /// come back with their error, as EC2's `Unsuccessful` items. The change reads the endpoints, then their route
    /// tables, interfaces and the interfaces' subnets' addresses.
    pub fn delete_vpc_endpoints(&mut self, ids: &[String]) -> Result<Vec<(String, Ec2Error)>, Ec2Error> {
        if ids.is_empty() {
            return Err(Ec2Error::MissingParameter("The request must contain the parameter VpcEndpointId".into()));
        }
        let mut unsuccessful = Vec::new();
        for id in distinct(ids) {
            let endpoint = match self.vpc_endpoint(&id) {
                Ok(endpoint) => endpoint.clone(),
                Err(error) => {
                    unsuccessful.push((id, error));
                    continue;
                }
            };
            self.remove_endpoint_routes(&id, &endpoint.route_table_ids);
            for eni in &endpoint.interfaces {
                self.delete_managed_interface(&eni.network_interface_id)?;
            }
            self.vpc_endpoints.remove(&id);
            self.untag(&id);
        }
        Ok(unsuccessful)
    }

    /// DescribeVpcEndpoints: the endpoints asked for (all when none is named; each must exist) that pass the
    /// filters, in id order. Reads every endpoint.
    pub fn describe_vpc_endpoints(&self, ids: &[String], filters: &[Filter]) -> Result<Vec<&VpcEndpoint>, Ec2Error> {
        check_filters(filters, ENDPOINT_FILTERS)?;
        for id in ids {
            self.vpc_endpoint(id)?;
        }
        Ok(self
            .vpc_endpoints
            .values()
            .filter(|endpoint| ids.is_empty() || ids.contains(&endpoint.id))
            .filter(|endpoint| {
                passes(filters, self.tags.get(&endpoint.id), |name| match name {
                    "service-name" => vec![endpoint.service_name.clone()],
                    "vpc-id" => vec![endpoint.vpc_id.clone()],
                    "vpc-endpoint-id" => vec![endpoint.id.clone()],
                    "vpc-endpoint-state" => vec!["available".into()],
                    "vpc-endpoint-type" => vec![endpoint.endpoint_type.as_str().into()],
                    "ip-address-type" => vec!["ipv4".into()],
                    _ => Vec::new(),
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests;
