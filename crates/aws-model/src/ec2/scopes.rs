//! What each EC2 and Auto Scaling operation reads: the [`Scope`] its change or read loads. One function per
//! operation (or family), beside nothing else, so that the rule of `storage.rs` can be checked in one place:
//! a change relies on a whole kind only for which records exist and for fields that never change; the records
//! whose changing fields it relies on are loaded by id (checked at commit) or written.

use super::storage::{Kind, Scope};
use super::templates::TemplateName;
use super::{Instance, Network};

/// DescribeVpcs.
pub fn vpcs() -> Scope {
    Scope::new().all(Kind::Vpc)
}

/// DeleteVpc: the VPC and everything that may depend on it (the ones it deletes with it are written, so
/// checked).
pub fn delete_vpc(vpc_id: &str) -> Scope {
    Scope::new()
        .id(Kind::Vpc, vpc_id)
        .all(Kind::Subnet)
        .all(Kind::InternetGateway)
        .all(Kind::SecurityGroup)
        .all(Kind::RouteTable)
        .all(Kind::NatGateway)
        .all(Kind::NetworkAcl)
        .all(Kind::VpcEndpoint)
}

/// ModifyVpcAttribute, DescribeVpcAttribute, CreateRouteTable.
pub fn vpc(vpc_id: &str) -> Scope {
    Scope::new().id(Kind::Vpc, vpc_id)
}

/// AssociateVpcCidrBlock: the VPC (its blocks are checked at commit, so a CreateSubnet or another association
/// racing with it runs again) and every route table (the VPC's tables get the block's local route, so are
/// written).
pub fn associate_vpc_cidr_block(vpc_id: &str) -> Scope {
    Scope::new().id(Kind::Vpc, vpc_id).all(Kind::RouteTable)
}

/// DisassociateVpcCidrBlock: every VPC, to find the one holding the association, then (widened) that VPC by id.
pub fn disassociate_vpc_cidr_block() -> Scope {
    Scope::new().all(Kind::Vpc)
}

/// Widens [`disassociate_vpc_cidr_block`]: the VPC holding the association, checked, every subnet (a subnet's
/// block never changes, and a subnet created in the block would have read the VPC by id) and every route table
/// (the VPC's tables lose the block's local route, so are written).
pub fn vpc_of_association(network: &Network, association_id: &str) -> Scope {
    match network.vpc_of_association(association_id) {
        Some(vpc) => Scope::new().id(Kind::Vpc, &vpc.id).all(Kind::Subnet).all(Kind::RouteTable),
        None => Scope::new(),
    }
}

/// CreateSubnet: the VPC (its blocks, checked at commit) and every subnet (blocks and zones never change).
pub fn create_subnet(vpc_id: &str) -> Scope {
    Scope::new().id(Kind::Vpc, vpc_id).all(Kind::Subnet)
}

/// DescribeSubnets: with the addresses in use, for their counts.
pub fn subnets() -> Scope {
    Scope::new().all(Kind::Subnet).all_addresses()
}

/// DeleteSubnet: its addresses (every instance, interface, VPC endpoint interface and NAT gateway in it holds one),
/// the NAT gateways, and the route tables it is associated with (written when it is).
pub fn delete_subnet(subnet_id: &str) -> Scope {
    Scope::new().addresses(subnet_id).all(Kind::NatGateway).all(Kind::RouteTable)
}

/// ModifySubnetAttribute.
pub fn subnet(subnet_id: &str) -> Scope {
    Scope::new().id(Kind::Subnet, subnet_id)
}

/// CreateSecurityGroup (its VPC, or the default one; names are unique in a VPC), and Authorize/Revoke (a
/// group by id or by name in the default VPC, and the groups rules name).
pub fn security_groups() -> Scope {
    Scope::new().all(Kind::Vpc).all(Kind::SecurityGroup)
}

/// DeleteSecurityGroup: the group, every other group (rules that name it: adding such a rule moves the kind's
/// generation, see [`Network::authorize`]) and every network interface (those that use it: creating or deleting
/// one moves the kind's generation, and so does changing an interface's groups, see
/// [`Network::modify_network_interface_attribute`]). Reading the interfaces whole is a scan of decoded records
/// (the decode cache parses only what changed) on a rare call; an index of each group's interfaces would instead
/// be written by every interface create and delete, the region's most frequent EC2 writes.
pub fn delete_security_group(group_id: &str) -> Scope {
    Scope::new().id(Kind::SecurityGroup, group_id).all(Kind::SecurityGroup).all(Kind::NetworkInterface)
}

/// DeleteSecurityGroup as the API asks it, by id or by name in the default VPC: every VPC and every group (as
/// [`security_groups`]) and every network interface (as [`delete_security_group`]).
pub fn delete_security_group_by_reference() -> Scope {
    security_groups().all(Kind::NetworkInterface)
}

/// DescribeInternetGateways, CreateRoute (its target), DescribeRouteTables (route states).
pub fn gateways() -> Scope {
    Scope::new().all(Kind::InternetGateway).all(Kind::NatGateway)
}

/// AttachInternetGateway: the gateway, the VPC, and every gateway, checked (a VPC takes one gateway).
pub fn attach_internet_gateway(gateway_id: &str, vpc_id: &str) -> Scope {
    Scope::new().id(Kind::InternetGateway, gateway_id).id(Kind::Vpc, vpc_id).all(Kind::InternetGateway)
}

/// Widens [`attach_internet_gateway`]: every gateway is checked.
pub fn every_gateway(network: &Network) -> Scope {
    Scope::new().ids(Kind::InternetGateway, network.internet_gateways.loaded().keys().cloned())
}

/// DetachInternetGateway, DeleteInternetGateway.
pub fn internet_gateway(gateway_id: &str, vpc_id: Option<&str>) -> Scope {
    let scope = Scope::new().id(Kind::InternetGateway, gateway_id);
    match vpc_id {
        Some(vpc_id) => scope.id(Kind::Vpc, vpc_id),
        None => scope,
    }
}

/// DescribeRouteTables.
pub fn route_tables() -> Scope {
    gateways().all(Kind::RouteTable)
}

/// DeleteRouteTable, DeleteRoute, CreateRoute (with [`gateways`]).
pub fn route_table(table_id: &str) -> Scope {
    Scope::new().id(Kind::RouteTable, table_id)
}

/// AssociateRouteTable and DisassociateRouteTable: every table, and the subnet.
pub fn associations(subnet_id: Option<&str>) -> Scope {
    let scope = Scope::new().all(Kind::RouteTable);
    match subnet_id {
        Some(subnet_id) => scope.id(Kind::Subnet, subnet_id),
        None => scope,
    }
}

/// Widens [`associations`]: the tables of the subnet's VPC are checked (a subnet is in one table).
pub fn tables_of_subnet_vpc(network: &Network, subnet_id: Option<&str>) -> Scope {
    let vpc = subnet_id.and_then(|id| network.subnets.loaded().get(id)).map(|subnet| subnet.vpc_id.clone());
    let tables = network
        .route_tables
        .loaded()
        .values()
        .filter(|table| vpc.as_ref().is_none_or(|vpc| *vpc == table.vpc_id))
        .map(|table| table.id.clone());
    Scope::new().ids(Kind::RouteTable, tables)
}

/// AllocateAddress, ReleaseAddress, DescribeAddresses.
pub fn elastic_ips() -> Scope {
    Scope::new().all(Kind::ElasticIp)
}

/// CreateNatGateway: its subnet's addresses and its Elastic IP.
pub fn create_nat_gateway(subnet_id: Option<&str>, allocation_id: Option<&str>) -> Scope {
    let scope = subnet_id.map_or_else(Scope::new, |subnet| Scope::new().addresses(subnet));
    allocation_id.map_or(scope.clone(), |allocation| scope.id(Kind::ElasticIp, allocation))
}

/// DeleteNatGateway: the gateway, then (widened) its subnet's addresses and its Elastic IP.
pub fn nat_gateway(nat_id: &str) -> Scope {
    Scope::new().id(Kind::NatGateway, nat_id)
}

/// Widens [`nat_gateway`].
pub fn nat_gateway_parts(network: &Network, nat_id: &str) -> Scope {
    match network.nat_gateways.loaded().get(nat_id) {
        Some(nat) => Scope::new().addresses(&nat.subnet_id).id(Kind::ElasticIp, &nat.allocation_id),
        None => Scope::new(),
    }
}

/// DescribeNatGateways.
pub fn nat_gateways() -> Scope {
    Scope::new().all(Kind::NatGateway)
}

/// CreateTags and DeleteTags: each resource by id.
pub fn tagged(resource_ids: &[String]) -> Scope {
    resource_ids.iter().fold(Scope::new(), |scope, id| scope.resource(id))
}

/// DescribeTags: every record of every kind.
pub fn everything_tagged() -> Scope {
    Kind::ALL.into_iter().fold(Scope::new(), Scope::all)
}

/// DescribeInstances: the instances and their interfaces.
pub fn instances() -> Scope {
    Scope::new().all(Kind::Instance).all(Kind::NetworkInterface)
}

/// Stop, Start, TerminateInstances: the instances, then (widened) their subnets' addresses.
pub fn instance_ids(ids: &[String]) -> Scope {
    Scope::new().ids(Kind::Instance, ids.iter().cloned())
}

/// Widens [`instance_ids`]: every loaded instance's interfaces and subnets' addresses.
pub fn instance_subnets(network: &Network) -> Scope {
    instance_interfaces(network, network.instances.loaded().values())
}

/// What a change to instances' addresses reads besides the instances: their interfaces and volumes, as context
/// (each it changes is written, so checked; attaching or detaching one writes its instance), and the addresses of
/// the instances' and the interfaces' subnets (a second widening, once the interfaces are loaded).
pub fn instance_interfaces<'a>(network: &Network, instances: impl Iterator<Item = &'a Instance>) -> Scope {
    instances.fold(Scope::new(), |scope, instance| {
        let scope = scope
            .addresses(&instance.subnet_id)
            .context(Kind::NetworkInterface, instance.network_interfaces.iter().cloned())
            .context(Kind::Volume, instance.volumes.iter().cloned());
        instance
            .network_interfaces
            .iter()
            .filter_map(|id| network.network_interfaces.loaded().get(id))
            .fold(scope, |scope, eni| scope.addresses(&eni.subnet_id))
    })
}

/// DescribeNetworkInterfaces: every interface, and the security groups for their names.
pub fn network_interfaces() -> Scope {
    Scope::new().all(Kind::NetworkInterface).all(Kind::SecurityGroup)
}

/// CreateNetworkInterface: the subnet's addresses and every security group (the VPC's default one, or those
/// named; a group's VPC and name never change).
pub fn create_network_interface(subnet_id: Option<&str>) -> Scope {
    let scope = Scope::new().all(Kind::SecurityGroup);
    subnet_id.map_or(scope.clone(), |subnet| scope.addresses(subnet))
}

/// DeleteNetworkInterface, Assign/UnassignPrivateIpAddresses, Modify/DescribeNetworkInterfaceAttribute: the
/// interface, then (widened, [`interface_parts`]) its subnet's addresses and its instance.
pub fn network_interface(id: &str) -> Scope {
    Scope::new().id(Kind::NetworkInterface, id)
}

/// Widens [`network_interface`]: the loaded interfaces' subnets' addresses and the instances they are attached to.
pub fn interface_parts(network: &Network) -> Scope {
    network.network_interfaces.loaded().values().fold(Scope::new(), |scope, eni| {
        let scope = scope.addresses(&eni.subnet_id);
        match eni.instance_id() {
            Some(instance) => scope.id(Kind::Instance, instance),
            None => scope,
        }
    })
}

/// AttachNetworkInterface: the interface and the instance, then (widened) the instance's interfaces by id.
pub fn attach_network_interface(id: &str, instance_id: &str) -> Scope {
    Scope::new().id(Kind::NetworkInterface, id).id(Kind::Instance, instance_id)
}

/// Widens [`attach_network_interface`].
pub fn interfaces_of_instance(network: &Network, instance_id: &str) -> Scope {
    match network.instances.loaded().get(instance_id) {
        Some(instance) => Scope::new().ids(Kind::NetworkInterface, instance.network_interfaces.iter().cloned()),
        None => Scope::new(),
    }
}

/// DetachNetworkInterface: every interface (to find the attachment), then (widened) the one attached and its
/// instance, by id.
pub fn detach_network_interface() -> Scope {
    Scope::new().all(Kind::NetworkInterface)
}

/// Widens [`detach_network_interface`].
pub fn attachment(network: &Network, attachment_id: &str) -> Scope {
    let found = network
        .network_interfaces
        .loaded()
        .values()
        .find(|eni| eni.attachment.as_ref().is_some_and(|attachment| attachment.id == attachment_id));
    match found.and_then(|eni| Some((eni, eni.instance_id()?))) {
        Some((eni, instance)) => Scope::new().id(Kind::NetworkInterface, &eni.id).id(Kind::Instance, instance),
        None => Scope::new(),
    }
}

/// DescribeNetworkAcls: every ACL and every subnet (associations).
pub fn network_acls() -> Scope {
    Scope::new().all(Kind::NetworkAcl).all(Kind::Subnet)
}

/// CreateNetworkAcl: the VPC.
pub fn create_network_acl(vpc_id: &str) -> Scope {
    Scope::new().id(Kind::Vpc, vpc_id)
}

/// Create/Replace/DeleteNetworkAclEntry: the ACL.
pub fn network_acl(id: &str) -> Scope {
    Scope::new().id(Kind::NetworkAcl, id)
}

/// DeleteNetworkAcl: the ACL and every subnet (their associations: replacing one moves the kind's generation).
pub fn delete_network_acl(id: &str) -> Scope {
    Scope::new().id(Kind::NetworkAcl, id).all(Kind::Subnet)
}

/// ReplaceNetworkAclAssociation: every subnet (to find the association) and every ACL (a subnet that kept its
/// first association is with its VPC's default ACL), the ACL asked for by id, then (widened) the subnet found,
/// by id.
pub fn replace_network_acl_association(acl_id: &str) -> Scope {
    Scope::new().all(Kind::Subnet).all(Kind::NetworkAcl).id(Kind::NetworkAcl, acl_id)
}

/// Widens [`replace_network_acl_association`].
pub fn subnet_of_acl_association(network: &Network, association_id: &str) -> Scope {
    match network.subnet_of_acl_association(association_id) {
        Some(subnet) => Scope::new().id(Kind::Subnet, &subnet.id),
        None => Scope::new(),
    }
}

/// Launch template operations: a template by id, or every template (names are unique in a region).
pub fn launch_templates(which: Option<&TemplateName<'_>>) -> Scope {
    match which {
        Some(TemplateName::Id(id)) => Scope::new().id(Kind::LaunchTemplate, *id),
        _ => Scope::new().all(Kind::LaunchTemplate),
    }
}

/// CreateFleet: every launch template (by name or id; versions never change), VPC, subnet and security group (a
/// group's VPC and name never change), and every instance when it carries a client token (an instance's token
/// never changes); then (widened, [`fleet_subnets`]) the addresses of the subnets it may launch into.
pub fn create_fleet(client_token: bool) -> Scope {
    let scope = Scope::new().all(Kind::LaunchTemplate).all(Kind::Vpc).all(Kind::Subnet).all(Kind::SecurityGroup);
    if client_token { scope.all(Kind::Instance) } else { scope }
}

/// Widens [`create_fleet`]: the addresses of each subnet the fleet's overrides name, or of the default VPC's.
pub fn fleet_subnets(network: &Network, request: &super::fleets::CreateFleet) -> Scope {
    network.fleet_subnets(request).iter().fold(Scope::new(), |scope, subnet| scope.addresses(subnet))
}

/// DescribeVolumes, DescribeVolumesModifications.
pub fn volumes() -> Scope {
    Scope::new().all(Kind::Volume)
}

/// CreateVolume: the snapshot it is made from, and every volume when it carries a client token (a volume's
/// token never changes).
pub fn create_volume(snapshot_id: Option<&str>, client_token: bool) -> Scope {
    let scope = snapshot_id.map_or_else(Scope::new, |id| Scope::new().id(Kind::Snapshot, id));
    if client_token { scope.all(Kind::Volume) } else { scope }
}

/// DeleteVolume, ModifyVolume, CreateSnapshot, DetachVolume: the volume, then (widened, [`volume_instance`])
/// the instance it is attached to.
pub fn volume(id: &str) -> Scope {
    Scope::new().id(Kind::Volume, id)
}

/// Widens [`volume`]: the instance each loaded volume is attached to.
pub fn volume_instance(network: &Network) -> Scope {
    network
        .volumes
        .loaded()
        .values()
        .filter_map(|volume| volume.attachment.as_ref())
        .fold(Scope::new(), |scope, a| scope.id(Kind::Instance, &a.instance_id))
}

/// AttachVolume: the volume and the instance, then (widened) the instance's volumes by id.
pub fn attach_volume(volume_id: &str, instance_id: &str) -> Scope {
    Scope::new().id(Kind::Volume, volume_id).id(Kind::Instance, instance_id)
}

/// Widens [`attach_volume`]: the volumes attached to the instance (their devices).
pub fn volumes_of_instance(network: &Network, instance_id: &str) -> Scope {
    match network.instances.loaded().get(instance_id) {
        Some(instance) => Scope::new().ids(Kind::Volume, instance.volumes.iter().cloned()),
        None => Scope::new(),
    }
}

/// DescribeSnapshots.
pub fn snapshots() -> Scope {
    Scope::new().all(Kind::Snapshot)
}

/// DeleteSnapshot.
pub fn snapshot(id: &str) -> Scope {
    Scope::new().id(Kind::Snapshot, id)
}

/// Key pair operations: every key pair (names are unique in a region).
pub fn key_pairs() -> Scope {
    Scope::new().all(Kind::KeyPair)
}

/// DescribeVpcEndpoints: every endpoint, and the security groups for their names.
pub fn vpc_endpoints() -> Scope {
    Scope::new().all(Kind::VpcEndpoint).all(Kind::SecurityGroup)
}

/// CreateVpcEndpoint: the VPC (its DNS attributes, checked at commit), every endpoint (client tokens, and S3's
/// gateway endpoint for its interface one: an endpoint's VPC, service, type and token never change), every
/// security group (the VPC's default one; a group's VPC and name never change), the route tables named (written)
/// and the subnets' addresses named.
pub fn create_vpc_endpoint(vpc_id: Option<&str>, route_tables: &[String], subnets: &[String]) -> Scope {
    let scope = Scope::new()
        .all(Kind::VpcEndpoint)
        .all(Kind::SecurityGroup)
        .ids(Kind::RouteTable, route_tables.iter().cloned());
    let scope = subnets.iter().fold(scope, |scope, subnet| scope.addresses(subnet));
    vpc_id.map_or(scope.clone(), |vpc| scope.id(Kind::Vpc, vpc))
}

/// ModifyVpcEndpoint: the endpoint, every endpoint and security group (as [`create_vpc_endpoint`]), the route
/// tables and the subnets' addresses named, then (widened, [`endpoint_parts`]) what the endpoint holds.
pub fn modify_vpc_endpoint(id: &str, route_tables: &[String], subnets: &[String]) -> Scope {
    create_vpc_endpoint(None, route_tables, subnets).id(Kind::VpcEndpoint, id)
}

/// DeleteVpcEndpoints: the endpoints, then (widened, [`endpoint_parts`]) what they hold.
pub fn vpc_endpoint_ids(ids: &[String]) -> Scope {
    Scope::new().ids(Kind::VpcEndpoint, ids.iter().cloned())
}

/// Widens the endpoint scopes: each endpoint named's VPC, route tables, network interfaces and the interfaces'
/// subnets' addresses, all by id (each it changes is written, so checked).
pub fn endpoint_parts(network: &Network, ids: &[String]) -> Scope {
    ids.iter().filter_map(|id| network.vpc_endpoints.loaded().get(id)).fold(Scope::new(), |scope, endpoint| {
        let scope = scope
            .id(Kind::Vpc, &endpoint.vpc_id)
            .ids(Kind::RouteTable, endpoint.route_table_ids.iter().cloned())
            .ids(Kind::NetworkInterface, endpoint.network_interface_ids());
        endpoint.interfaces.iter().fold(scope, |scope, eni| scope.addresses(&eni.subnet_id))
    })
}
