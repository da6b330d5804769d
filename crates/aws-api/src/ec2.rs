//! EC2 networking over the `ec2` protocol: `Action` and `Name.N` list parameters in, XML with `<item>` lists and
//! `requestId` out, errors as `<Response><Errors><Error>`. Inputs are read under the query names the service
//! model gives them; replies use its `locationName`s.

use std::collections::BTreeMap;

use aws_model::ec2::{
    Address, CreateSecurityGroup, CreateSubnet, Ec2, Ec2Error, Filter, InternetGateway, NatGateway, Network, Peer,
    RouteTable, RouteTarget, Rule, SecurityGroup, Subnet, Tags, Vpc, scopes,
};
use aws_model::ec2::{Kind, Scope as Reads};
use aws_model::eks::Caller;
use aws_protocol::query::{QueryError, Scope};
use aws_protocol::xml::XmlWriter;
use aws_protocol::{AwsError, Protocol};
use http::StatusCode;

use crate::registry::{Outcome, Service, Wire, WireError, operation, wire};
use crate::{AwsApi, Call};

mod account;
mod fleets;
mod group_rules;
mod images;
mod instances;
mod interfaces;
mod key_pairs;
mod network_acls;
mod paging;
mod templates;
mod volumes;
mod vpc_endpoints;

/// EC2 on the wire.
pub(crate) const SERVICE: Service = Service {
    signing_name: "ec2",
    model: "ec2",
    title: "EC2",
    wire: Wire::Ec2 { version: "2016-11-15" },
    operations: &[
        operation!("DescribeRegions", describe_regions),
        operation!("DescribeAvailabilityZones", describe_availability_zones),
        operation!("CreateVpc", create_vpc),
        operation!("DescribeVpcs", describe_vpcs),
        operation!("DeleteVpc", delete_vpc),
        operation!("ModifyVpcAttribute", modify_vpc_attribute),
        operation!("AssociateVpcCidrBlock", associate_vpc_cidr_block),
        operation!("DisassociateVpcCidrBlock", disassociate_vpc_cidr_block),
        operation!("DescribeVpcAttribute", describe_vpc_attribute),
        operation!("CreateSubnet", create_subnet),
        operation!("DescribeSubnets", describe_subnets),
        operation!("DeleteSubnet", delete_subnet),
        operation!("ModifySubnetAttribute", modify_subnet_attribute),
        operation!("CreateSecurityGroup", create_security_group),
        operation!("DescribeSecurityGroups", describe_security_groups),
        operation!("DeleteSecurityGroup", delete_security_group),
        operation!("AuthorizeSecurityGroupIngress", group_rules::authorize),
        operation!("AuthorizeSecurityGroupEgress", group_rules::authorize),
        operation!("RevokeSecurityGroupIngress", group_rules::revoke),
        operation!("RevokeSecurityGroupEgress", group_rules::revoke),
        operation!("DescribeSecurityGroupRules", group_rules::describe_security_group_rules),
        operation!("ModifySecurityGroupRules", group_rules::modify_security_group_rules),
        operation!("UpdateSecurityGroupRuleDescriptionsIngress", group_rules::update_descriptions),
        operation!("UpdateSecurityGroupRuleDescriptionsEgress", group_rules::update_descriptions),
        operation!("CreateInternetGateway", create_internet_gateway),
        operation!("AttachInternetGateway", attach_or_detach_internet_gateway),
        operation!("DetachInternetGateway", attach_or_detach_internet_gateway),
        operation!("DeleteInternetGateway", delete_internet_gateway),
        operation!("DescribeInternetGateways", describe_internet_gateways),
        operation!("CreateRouteTable", create_route_table),
        operation!("DescribeRouteTables", describe_route_tables),
        operation!("DeleteRouteTable", delete_route_table),
        operation!("CreateRoute", create_route),
        operation!("DeleteRoute", delete_route),
        operation!("AssociateRouteTable", associate_route_table),
        operation!("DisassociateRouteTable", disassociate_route_table),
        operation!("AllocateAddress", allocate_address),
        operation!("ReleaseAddress", release_address),
        operation!("DescribeAddresses", describe_addresses),
        operation!("DescribeAddressesAttribute", describe_addresses_attribute),
        operation!("CreateNatGateway", create_nat_gateway),
        operation!("DeleteNatGateway", delete_nat_gateway),
        operation!("DescribeNatGateways", describe_nat_gateways),
        operation!("CreateTags", create_or_delete_tags),
        operation!("DeleteTags", create_or_delete_tags),
        operation!("DescribeTags", describe_tags),
        operation!("DescribeInstances", instances::describe_instances),
        operation!("RunInstances", instances::run_instances),
        operation!("DescribeInstanceAttribute", instances::describe_instance_attribute),
        operation!("TerminateInstances", instances::change_instance_states),
        operation!("StopInstances", instances::change_instance_states),
        operation!("StartInstances", instances::change_instance_states),
        operation!("DescribeInstanceTypes", instances::describe_instance_types),
        operation!("DescribeInstanceTypeOfferings", account::describe_instance_type_offerings),
        operation!("DescribeSpotPriceHistory", fleets::describe_spot_price_history),
        operation!("CreateFleet", fleets::create_fleet),
        operation!("DescribeAccountAttributes", account::describe_account_attributes),
        operation!("DescribeImages", images::describe_images),
        operation!("CreateLaunchTemplate", templates::create_launch_template),
        operation!("CreateLaunchTemplateVersion", templates::create_launch_template_version),
        operation!("ModifyLaunchTemplate", templates::modify_launch_template),
        operation!("DescribeLaunchTemplates", templates::describe_launch_templates),
        operation!("DescribeLaunchTemplateVersions", templates::describe_launch_template_versions),
        operation!("DeleteLaunchTemplateVersions", templates::delete_launch_template_versions),
        operation!("DeleteLaunchTemplate", templates::delete_launch_template),
        operation!("ImportKeyPair", key_pairs::import_key_pair),
        operation!("CreateKeyPair", key_pairs::create_key_pair),
        operation!("DescribeKeyPairs", key_pairs::describe_key_pairs),
        operation!("DeleteKeyPair", key_pairs::delete_key_pair),
        operation!("DescribeNetworkInterfaces", interfaces::describe_network_interfaces),
        operation!("CreateNetworkInterface", interfaces::create_network_interface),
        operation!("DeleteNetworkInterface", interfaces::delete_network_interface),
        operation!("AttachNetworkInterface", interfaces::attach_network_interface),
        operation!("DetachNetworkInterface", interfaces::detach_network_interface),
        operation!("ModifyNetworkInterfaceAttribute", interfaces::modify_network_interface_attribute),
        operation!("DescribeNetworkInterfaceAttribute", interfaces::describe_network_interface_attribute),
        operation!("AssignPrivateIpAddresses", interfaces::assign_private_ip_addresses),
        operation!("UnassignPrivateIpAddresses", interfaces::unassign_private_ip_addresses),
        operation!("DescribeNetworkAcls", network_acls::describe_network_acls),
        operation!("CreateNetworkAcl", network_acls::create_network_acl),
        operation!("DeleteNetworkAcl", network_acls::delete_network_acl),
        operation!("CreateNetworkAclEntry", network_acls::change_network_acl_entry),
        operation!("ReplaceNetworkAclEntry", network_acls::change_network_acl_entry),
        operation!("DeleteNetworkAclEntry", network_acls::delete_network_acl_entry),
        operation!("ReplaceNetworkAclAssociation", network_acls::replace_network_acl_association),
        operation!("CreateVolume", volumes::create_volume),
        operation!("DescribeVolumes", volumes::describe_volumes),
        operation!("DeleteVolume", volumes::delete_volume),
        operation!("AttachVolume", volumes::attach_volume),
        operation!("DetachVolume", volumes::detach_volume),
        operation!("ModifyVolume", volumes::modify_volume),
        operation!("DescribeVolumesModifications", volumes::describe_volumes_modifications),
        operation!("CreateSnapshot", volumes::create_snapshot),
        operation!("DescribeSnapshots", volumes::describe_snapshots),
        operation!("DeleteSnapshot", volumes::delete_snapshot),
        operation!("CreateVpcEndpoint", vpc_endpoints::create_vpc_endpoint),
        operation!("DescribeVpcEndpoints", vpc_endpoints::describe_vpc_endpoints),
        operation!("ModifyVpcEndpoint", vpc_endpoints::modify_vpc_endpoint),
        operation!("DeleteVpcEndpoints", vpc_endpoints::delete_vpc_endpoints),
        operation!("DescribeVpcEndpointServices", vpc_endpoints::describe_vpc_endpoint_services),
        operation!("DescribePrefixLists", vpc_endpoints::describe_prefix_lists),
    ],
};

/// The EC2 wire code of each model error.
fn code(error: &Ec2Error) -> &'static str {
    match error {
        Ec2Error::VpcNotFound(_) => "InvalidVpcID.NotFound",
        Ec2Error::SubnetNotFound(_) => "InvalidSubnetID.NotFound",
        Ec2Error::GroupNotFound(_) => "InvalidGroup.NotFound",
        Ec2Error::InternetGatewayNotFound(_) => "InvalidInternetGatewayID.NotFound",
        Ec2Error::RouteTableNotFound(_) => "InvalidRouteTableID.NotFound",
        Ec2Error::AssociationNotFound(_) => "InvalidAssociationID.NotFound",
        Ec2Error::NatGatewayNotFound(_) => "NatGatewayNotFound",
        Ec2Error::AllocationNotFound(_) => "InvalidAllocationID.NotFound",
        Ec2Error::AddressInUse(_) => "InvalidIPAddress.InUse",
        Ec2Error::SubnetConflict(_) => "InvalidSubnet.Conflict",
        Ec2Error::SubnetRange(_) => "InvalidSubnet.Range",
        Ec2Error::VpcRange(_) | Ec2Error::VpcCidrRefused(_) => "InvalidVpc.Range",
        Ec2Error::CidrLimitExceeded(_) => "CidrLimitExceeded",
        Ec2Error::VpcCidrAssociationNotFound(_) => "InvalidVpcCidrBlockAssociationID.NotFound",
        Ec2Error::CidrBlockInUse(_) => "InvalidCidrBlock.InUse",
        Ec2Error::OperationNotPermitted(_) => "OperationNotPermitted",
        Ec2Error::InvalidParameterValue(_) => "InvalidParameterValue",
        Ec2Error::InvalidParameterCombination(_) => "InvalidParameterCombination",
        Ec2Error::MissingParameter(_) => "MissingParameter",
        Ec2Error::GroupDuplicate { .. } => "InvalidGroup.Duplicate",
        Ec2Error::CannotDelete(_) => "CannotDelete",
        Ec2Error::DependencyViolation(_) => "DependencyViolation",
        Ec2Error::PermissionDuplicate(_) => "InvalidPermission.Duplicate",
        Ec2Error::PermissionNotFound => "InvalidPermission.NotFound",
        Ec2Error::SecurityGroupRuleNotFound(_) => "InvalidSecurityGroupRuleId.NotFound",
        Ec2Error::SecurityGroupRuleIdMalformed(_) => "InvalidSecurityGroupRuleId.Malformed",
        Ec2Error::InvalidFilter(_) => "InvalidFilter",
        Ec2Error::InvalidAvailabilityZone(_) => "InvalidAvailabilityZone",
        Ec2Error::AlreadyAssociated(_) => "Resource.AlreadyAssociated",
        Ec2Error::GatewayNotAttached { .. } => "Gateway.NotAttached",
        Ec2Error::RouteAlreadyExists(_) => "RouteAlreadyExists",
        Ec2Error::RouteNotFound { .. } => "InvalidRoute.NotFound",
        Ec2Error::AddressLimitExceeded(_) => "AddressLimitExceeded",
        Ec2Error::AuthFailure(_) => "AuthFailure",
        Ec2Error::AddressNotFound(_) => "InvalidAddress.NotFound",
        Ec2Error::TagLimitExceeded(_) => "TagLimitExceeded",
        Ec2Error::UserDataMalformed(_) => "InvalidUserData.Malformed",
        Ec2Error::RulesPerGroupExceeded => "RulesPerSecurityGroupLimitExceeded",
        Ec2Error::InvalidId(_) => "InvalidID",
        Ec2Error::NoFreeAddress(_) => "InsufficientFreeAddressesInSubnet",
        Ec2Error::PrivateIpAddressLimitExceeded(_) => "PrivateIpAddressLimitExceeded",
        Ec2Error::NetworkInterfaceNotFound(_) => "InvalidNetworkInterfaceID.NotFound",
        Ec2Error::NetworkInterfaceIdMalformed(_) => "InvalidNetworkInterfaceId.Malformed",
        Ec2Error::NetworkInterfaceInUse(_) => "InvalidNetworkInterface.InUse",
        Ec2Error::AttachmentNotFound(_) => "InvalidAttachmentID.NotFound",
        Ec2Error::AttachmentIdMalformed(_) => "InvalidNetworkInterfaceAttachmentId.Malformed",
        Ec2Error::AttachmentLimitExceeded(_) => "AttachmentLimitExceeded",
        Ec2Error::NetworkAclNotFound(_) => "InvalidNetworkAclID.NotFound",
        Ec2Error::NetworkAclIdMalformed(_) => "InvalidNetworkAclId.Malformed",
        Ec2Error::NetworkAclEntryExists(_) => "NetworkAclEntryAlreadyExists",
        Ec2Error::NetworkAclEntryNotFound(_) => "InvalidNetworkAclEntry.NotFound",
        Ec2Error::NetworkAclEntryLimitExceeded => "NetworkAclEntryLimitExceeded",
        Ec2Error::InstanceNotFound(_) => "InvalidInstanceID.NotFound",
        Ec2Error::InstanceIdMalformed(_) => "InvalidInstanceID.Malformed",
        Ec2Error::IncorrectInstanceState(_) => "IncorrectInstanceState",
        Ec2Error::LaunchTemplateIdNotFound(_) => "InvalidLaunchTemplateId.NotFound",
        Ec2Error::LaunchTemplateNameNotFound(_) => "InvalidLaunchTemplateName.NotFoundException",
        Ec2Error::LaunchTemplateNameExists(_) => "InvalidLaunchTemplateName.AlreadyExistsException",
        Ec2Error::LaunchTemplateNameMalformed(_) => "InvalidLaunchTemplateName.MalformedException",
        Ec2Error::LaunchTemplateVersionNotFound(_) => "InvalidLaunchTemplateId.VersionNotFound",
        Ec2Error::VolumeNotFound(_) => "InvalidVolume.NotFound",
        Ec2Error::VolumeIdMalformed(_) => "InvalidVolumeID.Malformed",
        Ec2Error::VolumeInUse(_) => "VolumeInUse",
        Ec2Error::IncorrectState(_) => "IncorrectState",
        Ec2Error::VolumeZoneMismatch { .. } => "InvalidVolume.ZoneMismatch",
        Ec2Error::VolumeAttachmentNotFound(_) => "InvalidAttachment.NotFound",
        Ec2Error::ModificationNotFound(_) => "InvalidVolumeModification.NotFound",
        Ec2Error::SnapshotNotFound(_) => "InvalidSnapshot.NotFound",
        Ec2Error::SnapshotIdMalformed(_) => "InvalidSnapshotID.Malformed",
        Ec2Error::ZoneNotFound(_) => "InvalidZone.NotFound",
        Ec2Error::InvalidParameterDependency(_) => "InvalidParameterDependency",
        Ec2Error::KeyPairNotFound(_) => "InvalidKeyPair.NotFound",
        Ec2Error::KeyPairDuplicate(_) => "InvalidKeyPair.Duplicate",
        Ec2Error::KeyFormat(_) => "InvalidKey.Format",
        Ec2Error::Unsupported(_) => "UnsupportedOperation",
        Ec2Error::VpcEndpointNotFound(_) => "InvalidVpcEndpointId.NotFound",
        Ec2Error::VpcEndpointIdMalformed(_) => "InvalidVpcEndpointId.Malformed",
        Ec2Error::InvalidServiceName(_) => "InvalidServiceName",
        Ec2Error::PrefixListNotFound(_) => "InvalidPrefixListID.NotFound",
        Ec2Error::InvalidParameter(_) => "InvalidParameter",
        Ec2Error::InvalidPolicyDocument(_) => "InvalidPolicyDocument",
        Ec2Error::IdempotentParameterMismatch(_) => "IdempotentParameterMismatch",
        Ec2Error::Server(_) => "InternalError",
    }
}

impl WireError for Ec2Error {
    fn code_and_status(&self) -> (&'static str, StatusCode) {
        let status = match self {
            Ec2Error::Server(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Ec2Error::AuthFailure(_) => StatusCode::UNAUTHORIZED,
            _ => StatusCode::BAD_REQUEST,
        };
        (code(self), status)
    }
}

/// What every EC2 handler starts from: the model, the request's parameters and the caller; an endpoint that
/// does not serve EC2 refuses every operation.
fn start<'a>(api: &'a AwsApi, call: &'a Call<'_>) -> Result<(&'a Ec2, Input<'a>, &'a Caller), AwsError> {
    let ec2 = api.ec2().ok_or_else(|| AwsError::bad_request("InvalidAction", "EC2 is not served by this endpoint"))?;
    Ok((ec2, Input { params: call.params.root() }, &call.caller))
}

fn bad_params(error: QueryError) -> AwsError {
    error.to_aws_error(Protocol::Ec2)
}

fn invalid(message: impl Into<String>) -> AwsError {
    AwsError::bad_request("InvalidParameterValue", message)
}

async fn describe_regions(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (_, input, _) = start(api, call)?;
    let names = input.strings("RegionName")?;
    let filters = input.filters()?;
    let regions = aws_model::ec2::describe_regions(&names, &filters).map_err(wire)?;
    call.xml(move |xml| {
        xml.list("regionInfo", "item", regions, |xml, region| {
            xml.text("regionName", region)
                .text("regionEndpoint", &format!("ec2.{region}.amazonaws.com"))
                .text("optInStatus", "opt-in-not-required");
        });
    })
}

async fn describe_availability_zones(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (_, input, caller) = start(api, call)?;
    let region = caller.region.clone();
    let names = input.strings("ZoneName")?;
    let ids = input.strings("ZoneId")?;
    let filters = input.filters()?;
    input.params.bool("AllAvailabilityZones").map_err(bad_params)?;
    let zones = aws_model::ec2::describe_availability_zones(&region, &names, &ids, &filters).map_err(wire)?;
    call.xml(move |xml| {
        xml.list("availabilityZoneInfo", "item", zones, |xml, zone| {
            xml.text("optInStatus", "opt-in-not-required")
                .element("messageSet", |_| {})
                .text("regionName", &zone.region)
                .text("zoneName", &zone.name)
                .text("zoneId", &zone.id)
                .text("groupName", &zone.region)
                .text("networkBorderGroup", &zone.region)
                .text("zoneType", "availability-zone")
                .text("zoneState", "available");
        });
    })
}

async fn create_vpc(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let cidr = input.get("CidrBlock");
    let tenancy = input.get("InstanceTenancy");
    let tags = input.tag_specifications("vpc")?;
    let (vpc, network) = ec2
        .change(caller, &Reads::new(), |network, ids| {
            let vpc = network.create_vpc(ids, cidr.as_deref(), tenancy.as_deref(), &tags)?;
            Ok((vpc, network.clone()))
        })
        .await
        .map_err(wire)?;
    let now = ec2.now();
    call.xml(move |xml| {
        xml.element("vpc", |xml| vpc_xml(xml, &network, &vpc, now));
    })
}

async fn describe_vpcs(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let ids = input.strings("VpcId")?;
    let filters = input.filters()?;
    input.paging()?;
    let network = ec2.view(caller, &scopes::vpcs(), Clone::clone).await.map_err(wire)?;
    let now = ec2.now();
    let vpcs: Vec<Vpc> = network.describe_vpcs(&ids, &filters, now).map_err(wire)?.into_iter().cloned().collect();
    call.xml(move |xml| {
        xml.list("vpcSet", "item", &vpcs, |xml, vpc| vpc_xml(xml, &network, vpc, now));
    })
}

async fn delete_vpc(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let id = input.required("VpcId")?;
    ec2.change(caller, &scopes::delete_vpc(&id), |network, _| network.delete_vpc(&id)).await.map_err(wire)?;
    returns_true(call)
}

async fn modify_vpc_attribute(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let id = input.required("VpcId")?;
    let support = input.params.child("EnableDnsSupport").bool("Value").map_err(bad_params)?;
    let hostnames = input.params.child("EnableDnsHostnames").bool("Value").map_err(bad_params)?;
    ec2.change(caller, &scopes::vpc(&id), |network, _| network.modify_vpc_attribute(&id, support, hostnames))
        .await
        .map_err(wire)?;
    returns_true(call)
}

/// The parameters of AssociateVpcCidrBlock that ask for an IPv6 block or a block from an IPAM pool.
const IPV6_AND_IPAM_PARAMETERS: [&str; 7] = [
    "Ipv6CidrBlock",
    "Ipv6Pool",
    "Ipv6CidrBlockNetworkBorderGroup",
    "Ipv6IpamPoolId",
    "Ipv6NetmaskLength",
    "Ipv4IpamPoolId",
    "Ipv4NetmaskLength",
];

/// AssociateVpcCidrBlock: IPv4 blocks only; IPv6 blocks and IPAM pools are refused as unsupported.
async fn associate_vpc_cidr_block(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let vpc_id = input.required("VpcId")?;
    let amazon_ipv6 = input.params.bool("AmazonProvidedIpv6CidrBlock").map_err(bad_params)? == Some(true);
    let asked = IPV6_AND_IPAM_PARAMETERS.into_iter().find(|name| input.get(name).is_some());
    if let Some(name) = asked.or(amazon_ipv6.then_some("AmazonProvidedIpv6CidrBlock")) {
        return Err(AwsError::bad_request(
            "UnsupportedOperation",
            format!("The parameter {name} is not supported: only IPv4 CIDR blocks can be associated with a VPC here."),
        ));
    }
    let cidr = input.get("CidrBlock");
    let now = ec2.now();
    let block = ec2
        .change(caller, &scopes::associate_vpc_cidr_block(&vpc_id), |network, ids| {
            network.associate_vpc_cidr_block(ids, &vpc_id, cidr.as_deref(), now)
        })
        .await
        .map_err(wire)?;
    call.xml(move |xml| {
        xml.element("cidrBlockAssociation", |xml| {
            cidr_association_xml(xml, &block.association_id, &block.cidr_block, "associating");
        })
        .text("vpcId", &vpc_id);
    })
}

/// DisassociateVpcCidrBlock (IPv4 blocks).
async fn disassociate_vpc_cidr_block(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let id = input.required("AssociationId")?;
    let now = ec2.now();
    let (vpc_id, block) = ec2
        .change_widening(
            caller,
            &scopes::disassociate_vpc_cidr_block(),
            |network| scopes::vpc_of_association(network, &id),
            |network, _| network.disassociate_vpc_cidr_block(&id, now),
        )
        .await
        .map_err(wire)?;
    call.xml(move |xml| {
        xml.element("cidrBlockAssociation", |xml| {
            cidr_association_xml(xml, &block.association_id, &block.cidr_block, "disassociating");
        })
        .text("vpcId", &vpc_id);
    })
}

async fn describe_vpc_attribute(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let id = input.required("VpcId")?;
    let attribute = input.required("Attribute")?;
    let vpc = ec2
        .view(caller, &scopes::vpc(&id), |network| network.describe_vpc(&id).cloned())
        .await
        .map_err(wire)?
        .map_err(wire)?;
    let value = match attribute.as_str() {
        "enableDnsSupport" => vpc.enable_dns_support,
        "enableDnsHostnames" => vpc.enable_dns_hostnames,
        "enableNetworkAddressUsageMetrics" => false,
        other => {
            return Err(invalid(format!("Value ({other}) for parameter attribute is invalid. Unknown attribute.")));
        }
    };
    call.xml(move |xml| {
        xml.text("vpcId", &vpc.id).element(&attribute, |xml| {
            xml.value("value", value);
        });
    })
}

async fn create_subnet(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let request = CreateSubnet {
        vpc_id: input.required("VpcId")?,
        cidr_block: input.get("CidrBlock"),
        availability_zone: input.get("AvailabilityZone"),
        availability_zone_id: input.get("AvailabilityZoneId"),
        tags: input.tag_specifications("subnet")?,
    };
    let (subnet, network) = ec2
        .change(caller, &scopes::create_subnet(&request.vpc_id), |network, ids| {
            Ok((network.create_subnet(ids, &request)?, network.clone()))
        })
        .await
        .map_err(wire)?;
    call.xml(move |xml| {
        xml.element("subnet", |xml| subnet_xml(xml, &network, &subnet));
    })
}

async fn describe_subnets(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let ids = input.strings("SubnetId")?;
    let filters = input.filters()?;
    input.paging()?;
    let network = ec2.view(caller, &scopes::subnets(), Clone::clone).await.map_err(wire)?;
    let subnets: Vec<Subnet> = network.describe_subnets(&ids, &filters).map_err(wire)?.into_iter().cloned().collect();
    call.xml(move |xml| {
        xml.list("subnetSet", "item", &subnets, |xml, subnet| subnet_xml(xml, &network, subnet));
    })
}

async fn delete_subnet(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let id = input.required("SubnetId")?;
    ec2.change(caller, &scopes::delete_subnet(&id), |network, _| network.delete_subnet(&id)).await.map_err(wire)?;
    returns_true(call)
}

async fn modify_subnet_attribute(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let id = input.required("SubnetId")?;
    let map_public = input.params.child("MapPublicIpOnLaunch").bool("Value").map_err(bad_params)?;
    ec2.change(caller, &scopes::subnet(&id), |network, _| network.modify_subnet_attribute(&id, map_public))
        .await
        .map_err(wire)?;
    returns_true(call)
}

async fn create_security_group(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let region = caller.region.clone();
    let request = CreateSecurityGroup {
        name: input.get("GroupName"),
        description: input.get("GroupDescription"),
        vpc_id: input.get("VpcId"),
        tags: input.tag_specifications("security-group")?,
    };
    let group = ec2
        .change(caller, &scopes::security_groups(), |network, ids| network.create_security_group(ids, &request))
        .await
        .map_err(wire)?;
    let arn = format!("arn:aws:ec2:{region}:{}:security-group/{}", caller.account, group.id);
    let tags = request.tags.clone();
    call.xml(move |xml| {
        xml.text("return", "true").text("groupId", &group.id).text("securityGroupArn", &arn);
        tag_set(xml, Some(&tags));
    })
}

async fn describe_security_groups(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let ids = input.strings("GroupId")?;
    let names = input.strings("GroupName")?;
    let filters = input.filters()?;
    input.paging()?;
    let network = ec2.view(caller, &scopes::security_groups(), Clone::clone).await.map_err(wire)?;
    let groups: Vec<SecurityGroup> =
        network.describe_security_groups(&ids, &names, &filters).map_err(wire)?.into_iter().cloned().collect();
    call.xml(move |xml| {
        xml.list("securityGroupInfo", "item", &groups, |xml, group| group_xml(xml, &network, group));
    })
}

async fn delete_security_group(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let (id, name) = (input.get("GroupId"), input.get("GroupName"));
    let deleted = ec2
        .change(caller, &scopes::delete_security_group_by_reference(), |network, _| {
            let id = network.find_group(id.as_deref(), name.as_deref())?;
            network.delete_security_group(&id)?;
            Ok(id)
        })
        .await
        .map_err(wire)?;
    call.xml(move |xml| {
        xml.text("return", "true").text("groupId", &deleted);
    })
}

async fn create_internet_gateway(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let tags = input.tag_specifications("internet-gateway")?;
    let (gateway, network) = ec2
        .change(caller, &Reads::new(), |network, ids| {
            Ok((network.create_internet_gateway(ids, &tags), network.clone()))
        })
        .await
        .map_err(wire)?;
    call.xml(move |xml| {
        xml.element("internetGateway", |xml| gateway_xml(xml, &network, &gateway));
    })
}

async fn attach_or_detach_internet_gateway(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let operation = call.operation.name;
    let gateway = input.required("InternetGatewayId")?;
    let vpc = input.required("VpcId")?;
    let attach = operation == "AttachInternetGateway";
    let scope = if attach {
        scopes::attach_internet_gateway(&gateway, &vpc)
    } else {
        scopes::internet_gateway(&gateway, Some(&vpc))
    };
    ec2.change_widening(
        caller,
        &scope,
        |network| if attach { scopes::every_gateway(network) } else { Reads::new() },
        |network, _| {
            if attach {
                network.attach_internet_gateway(&gateway, &vpc)
            } else {
                network.detach_internet_gateway(&gateway, &vpc)
            }
        },
    )
    .await
    .map_err(wire)?;
    returns_true(call)
}

async fn delete_internet_gateway(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let id = input.required("InternetGatewayId")?;
    ec2.change(caller, &scopes::internet_gateway(&id, None), |network, _| network.delete_internet_gateway(&id))
        .await
        .map_err(wire)?;
    returns_true(call)
}

async fn describe_internet_gateways(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let ids = input.strings("InternetGatewayId")?;
    let filters = input.filters()?;
    input.paging()?;
    let network = ec2.view(caller, &scopes::gateways(), Clone::clone).await.map_err(wire)?;
    let gateways: Vec<InternetGateway> =
        network.describe_internet_gateways(&ids, &filters).map_err(wire)?.into_iter().cloned().collect();
    call.xml(move |xml| {
        xml.list("internetGatewaySet", "item", &gateways, |xml, gateway| gateway_xml(xml, &network, gateway));
    })
}

async fn create_route_table(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let vpc = input.required("VpcId")?;
    let tags = input.tag_specifications("route-table")?;
    let (table, network) = ec2
        .change(caller, &scopes::vpc(&vpc), |network, ids| {
            Ok((network.create_route_table(ids, &vpc, &tags)?, network.clone()))
        })
        .await
        .map_err(wire)?;
    call.xml(move |xml| {
        xml.element("routeTable", |xml| table_xml(xml, &network, &table));
    })
}

async fn describe_route_tables(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let ids = input.strings("RouteTableId")?;
    let filters = input.filters()?;
    input.paging()?;
    let network = ec2.view(caller, &scopes::route_tables(), Clone::clone).await.map_err(wire)?;
    let tables: Vec<RouteTable> =
        network.describe_route_tables(&ids, &filters).map_err(wire)?.into_iter().cloned().collect();
    call.xml(move |xml| {
        xml.list("routeTableSet", "item", &tables, |xml, table| table_xml(xml, &network, table));
    })
}

async fn delete_route_table(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let id = input.required("RouteTableId")?;
    ec2.change(caller, &scopes::route_table(&id), |network, _| network.delete_route_table(&id)).await.map_err(wire)?;
    returns_true(call)
}

async fn create_route(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let table = input.required("RouteTableId")?;
    let destination = input.get("DestinationCidrBlock");
    let (gateway, nat) = (input.get("GatewayId"), input.get("NatGatewayId"));
    ec2.change(caller, &scopes::route_table(&table).and(scopes::gateways()).all(Kind::Vpc), |network, _| {
        network.create_route(&table, destination.as_deref(), gateway.as_deref(), nat.as_deref())
    })
    .await
    .map_err(wire)?;
    returns_true(call)
}

async fn delete_route(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let table = input.required("RouteTableId")?;
    let destination = input.required("DestinationCidrBlock")?;
    ec2.change(caller, &scopes::route_table(&table), |network, _| network.delete_route(&table, &destination))
        .await
        .map_err(wire)?;
    returns_true(call)
}

async fn associate_route_table(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let table = input.required("RouteTableId")?;
    let subnet = input.required("SubnetId")?;
    let association = ec2
        .change_widening(
            caller,
            &scopes::associations(Some(&subnet)),
            |network| scopes::tables_of_subnet_vpc(network, Some(&subnet)),
            |network, ids| network.associate_route_table(ids, &table, &subnet),
        )
        .await
        .map_err(wire)?;
    call.xml(move |xml| {
        xml.text("associationId", &association).element("associationState", |xml| {
            xml.text("state", "associated");
        });
    })
}

async fn disassociate_route_table(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let association = input.required("AssociationId")?;
    ec2.change(caller, &scopes::associations(None), |network, _| network.disassociate_route_table(&association))
        .await
        .map_err(wire)?;
    returns_true(call)
}

async fn allocate_address(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let region = caller.region.clone();
    if let Some(domain) = input.get("Domain")
        && domain != "vpc"
        && domain != "standard"
    {
        return Err(invalid(format!("Value ({domain}) for parameter domain is invalid.")));
    }
    let tags = input.tag_specifications("elastic-ip")?;
    let address = ec2
        .change(caller, &scopes::elastic_ips(), |network, ids| network.allocate_address(ids, &tags))
        .await
        .map_err(wire)?;
    call.xml(move |xml| {
        xml.text("publicIp", &address.public_ip.to_string())
            .text("domain", "vpc")
            .text("allocationId", &address.allocation_id)
            .text("publicIpv4Pool", "amazon")
            .text("networkBorderGroup", &region);
    })
}

async fn release_address(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let (id, ip) = (input.get("AllocationId"), input.get("PublicIp"));
    ec2.change(caller, &scopes::elastic_ips(), |network, _| network.release_address(id.as_deref(), ip.as_deref()))
        .await
        .map_err(wire)?;
    returns_true(call)
}

async fn describe_addresses(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let ids = input.strings("AllocationId")?;
    let ips = input.strings("PublicIp")?;
    let filters = input.filters()?;
    let network = ec2.view(caller, &scopes::elastic_ips(), Clone::clone).await.map_err(wire)?;
    let addresses: Vec<Address> =
        network.describe_addresses(&ids, &ips, &filters).map_err(wire)?.into_iter().cloned().collect();
    call.xml(move |xml| {
        xml.list("addressesSet", "item", &addresses, |xml, address| address_xml(xml, &network, address));
    })
}

/// The only attribute is `domain-name`, the address's reverse DNS (PTR) record. No address here has one set, so each
/// is listed with its IP and allocation id alone, as EC2 lists an address whose record was never modified.
async fn describe_addresses_attribute(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let ids = input.strings("AllocationId")?;
    let attribute = input.required("Attribute")?;
    if attribute != "domain-name" {
        return Err(invalid(format!("Value ({attribute}) for parameter attribute is invalid. Unknown attribute.")));
    }
    let network = ec2.view(caller, &scopes::elastic_ips(), Clone::clone).await.map_err(wire)?;
    let addresses: Vec<Address> =
        network.describe_addresses(&ids, &[], &[]).map_err(wire)?.into_iter().cloned().collect();
    call.xml(move |xml| {
        xml.list("addressSet", "item", &addresses, |xml, address| {
            xml.text("publicIp", &address.public_ip.to_string()).text("allocationId", &address.allocation_id);
        });
    })
}

async fn create_nat_gateway(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    if let Some(kind) = input.get("ConnectivityType")
        && kind != "public"
    {
        return Err(invalid(format!("Value ({kind}) for parameter ConnectivityType is not supported.")));
    }
    let subnet = input.get("SubnetId");
    let allocation = input.get("AllocationId");
    let tags = input.tag_specifications("natgateway")?;
    let client_token = input.get("ClientToken");
    let now = ec2.now();
    let (nat, network) = ec2
        .change(caller, &scopes::create_nat_gateway(subnet.as_deref(), allocation.as_deref()), |network, ids| {
            let nat = network.create_nat_gateway(ids, subnet.as_deref(), allocation.as_deref(), now, &tags)?;
            Ok((nat, network.clone()))
        })
        .await
        .map_err(wire)?;
    call.xml(move |xml| {
        xml.optional("clientToken", client_token.as_deref());
        xml.element("natGateway", |xml| nat_xml(xml, &network, &nat));
    })
}

async fn delete_nat_gateway(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let id = input.required("NatGatewayId")?;
    let now = ec2.now();
    ec2.change_widening(
        caller,
        &scopes::nat_gateway(&id),
        |network| scopes::nat_gateway_parts(network, &id),
        |network, _| network.delete_nat_gateway(&id, now),
    )
    .await
    .map_err(wire)?;
    call.xml(move |xml| {
        xml.text("natGatewayId", &id);
    })
}

async fn describe_nat_gateways(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let ids = input.strings("NatGatewayId")?;
    let filters = input.filters_named("Filter")?;
    input.paging()?;
    let network = ec2.view(caller, &scopes::nat_gateways(), Clone::clone).await.map_err(wire)?;
    let nats: Vec<NatGateway> =
        network.describe_nat_gateways(&ids, &filters).map_err(wire)?.into_iter().cloned().collect();
    call.xml(move |xml| {
        xml.list("natGatewaySet", "item", &nats, |xml, nat| nat_xml(xml, &network, nat));
    })
}

async fn create_or_delete_tags(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let operation = call.operation.name;
    let ids = input.strings("ResourceId")?;
    let pairs = input.tag_pairs(input.params.ec2_list("Tag").map_err(bad_params)?)?;
    if operation == "CreateTags" {
        let tags: Tags = pairs.into_iter().map(|(key, value)| (key, value.unwrap_or_default())).collect();
        ec2.change(caller, &scopes::tagged(&ids), |network, _| network.create_tags(&ids, &tags)).await.map_err(wire)?;
    } else {
        ec2.change(caller, &scopes::tagged(&ids), |network, _| network.delete_tags(&ids, &pairs))
            .await
            .map_err(wire)?;
    }
    returns_true(call)
}

async fn describe_tags(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let filters = input.filters()?;
    input.paging()?;
    let tags = ec2
        .view(caller, &scopes::everything_tagged(), |network| network.describe_tags(&filters))
        .await
        .map_err(wire)?
        .map_err(wire)?;
    call.xml(move |xml| {
        xml.list("tagSet", "item", &tags, |xml, tag| {
            xml.text("resourceId", &tag.resource_id)
                .text("resourceType", tag.resource_type)
                .text("key", &tag.key)
                .text("value", &tag.value);
        });
    })
}

/// EC2's answer to a `DryRun` request that would have succeeded.
fn dry_run_succeeded() -> AwsError {
    AwsError::new(
        "DryRunOperation",
        "Request would have succeeded, but DryRun flag is set.",
        StatusCode::PRECONDITION_FAILED,
    )
}

/// Applies a change, or with `DryRun` set only checks it ([`Ec2::rehearse`]) and answers `DryRunOperation` when
/// it would have succeeded.
async fn change_unless_dry_run<T>(
    ec2: &Ec2,
    caller: &Caller,
    input: &Input<'_>,
    scope: &Reads,
    widen: impl Fn(&Network) -> Reads,
    change: impl FnMut(&mut Network, &mut aws_model::ec2::IdSource) -> Result<T, Ec2Error>,
) -> Result<T, AwsError> {
    if input.params.bool("DryRun").map_err(bad_params)? == Some(true) {
        ec2.rehearse(caller, scope, widen, change).await.map_err(wire)?;
        return Err(dry_run_succeeded());
    }
    ec2.change_widening(caller, scope, widen, change).await.map_err(wire)
}

/// The reply of operations that answer only `<return>true</return>`.
fn returns_true(call: &Call<'_>) -> Outcome {
    call.xml(|xml| {
        xml.text("return", "true");
    })
}

/// Typed reading of an EC2 request's parameters, errors already in EC2's words.
struct Input<'a> {
    params: Scope<'a>,
}

impl Input<'_> {
    fn get(&self, name: &str) -> Option<String> {
        self.params.get(name).map(str::to_owned)
    }

    fn required(&self, name: &str) -> Result<String, AwsError> {
        self.params.required(name).map(str::to_owned).map_err(bad_params)
    }

    fn strings(&self, name: &str) -> Result<Vec<String>, AwsError> {
        Ok(self.params.ec2_string_list(name).map_err(bad_params)?.into_iter().map(str::to_owned).collect())
    }

    fn paging(&self) -> Result<(), AwsError> {
        if let Some(max) = self.params.int("MaxResults").map_err(bad_params)?
            && !(5..=1000).contains(&max)
        {
            return Err(invalid(format!(
                "Value ( {max} ) for parameter maxResults is invalid. Parameter must be between 5 and 1000."
            )));
        }
        Ok(())
    }

    fn filters(&self) -> Result<Vec<Filter>, AwsError> {
        self.filters_named("Filter")
    }

    fn filters_named(&self, name: &str) -> Result<Vec<Filter>, AwsError> {
        self.params
            .ec2_list(name)
            .map_err(bad_params)?
            .into_iter()
            .map(|item| {
                let name = item.required("Name").map_err(bad_params)?.to_owned();
                let values = item.ec2_string_list("Value").map_err(bad_params)?;
                Ok(Filter { name, values: values.into_iter().map(str::to_owned).collect() })
            })
            .collect()
    }

    /// `Tag.N.Key` / `Tag.N.Value` items; the value may be absent (DeleteTags).
    fn tag_pairs(&self, items: Vec<Scope<'_>>) -> Result<Vec<(String, Option<String>)>, AwsError> {
        items
            .into_iter()
            .map(|item| {
                let key = item.required("Key").map_err(bad_params)?.to_owned();
                Ok((key, item.get("Value").map(str::to_owned)))
            })
            .collect()
    }

    /// The tags of the `TagSpecification.N` for `resource_type`; a specification for another type is refused.
    fn tag_specifications(&self, resource_type: &str) -> Result<Tags, AwsError> {
        let mut tags = BTreeMap::new();
        for spec in self.params.ec2_list("TagSpecification").map_err(bad_params)? {
            let kind = spec.required("ResourceType").map_err(bad_params)?;
            if kind != resource_type {
                return Err(invalid(format!("'{kind}' is not a valid taggable resource type for this operation.")));
            }
            for (key, value) in self.tag_pairs(spec.ec2_list("Tag").map_err(bad_params)?)? {
                tags.insert(key, value.unwrap_or_default());
            }
        }
        aws_model::ec2::check_tags(&tags).map_err(wire)?;
        Ok(tags)
    }

    /// `IpPermissions.N` (and the older top-level `IpProtocol`/`CidrIp` form), one rule per peer.
    fn permissions(&self) -> Result<Vec<Rule>, AwsError> {
        let mut rules = Vec::new();
        for permission in self.params.ec2_list("IpPermissions").map_err(bad_params)? {
            let protocol = permission.required("IpProtocol").map_err(bad_params)?.to_owned();
            let from_port = permission.int("FromPort").map_err(bad_params)?;
            let to_port = permission.int("ToPort").map_err(bad_params)?;
            let rule = |peer, description: Option<&str>| Rule {
                description: description.map(str::to_owned),
                ..Rule::new(&protocol, from_port, to_port, peer)
            };
            for range in permission.ec2_list("IpRanges").map_err(bad_params)? {
                let cidr = range.required("CidrIp").map_err(bad_params)?.to_owned();
                rules.push(rule(Peer::Cidr(cidr), range.get("Description")));
            }
            for pair in permission.ec2_list("Groups").map_err(bad_params)? {
                let group_id = pair.required("GroupId").map_err(bad_params)?.to_owned();
                let user_id = pair.get("UserId").unwrap_or_default().to_owned();
                rules.push(rule(Peer::Group { group_id, user_id }, pair.get("Description")));
            }
        }
        if let Some(protocol) = self.get("IpProtocol") {
            let cidr = self.get("CidrIp").ok_or_else(|| {
                AwsError::bad_request("MissingParameter", "The request must contain the parameter CidrIp")
            })?;
            rules.push(Rule::new(
                &protocol,
                self.params.int("FromPort").map_err(bad_params)?,
                self.params.int("ToPort").map_err(bad_params)?,
                Peer::Cidr(cidr),
            ));
        }
        Ok(rules)
    }
}

fn tag_set(xml: &mut XmlWriter, tags: Option<&Tags>) {
    if let Some(tags) = tags.filter(|tags| !tags.is_empty()) {
        xml.list("tagSet", "item", tags, |xml, (key, value)| {
            xml.text("key", key).text("value", value);
        });
    }
}

/// A `VpcCidrBlockAssociation`'s members.
fn cidr_association_xml(xml: &mut XmlWriter, association_id: &str, cidr_block: &str, state: &str) {
    xml.text("associationId", association_id).text("cidrBlock", cidr_block).element("cidrBlockState", |xml| {
        xml.text("state", state);
    });
}

fn vpc_xml(xml: &mut XmlWriter, network: &Network, vpc: &Vpc, now: f64) {
    xml.text("vpcId", &vpc.id)
        .text("ownerId", &network.account)
        .text("state", "available")
        .text("cidrBlock", &vpc.cidr_block)
        .list("cidrBlockAssociationSet", "item", vpc.cidr_associations(now), |xml, association| {
            cidr_association_xml(xml, association.association_id, association.cidr_block, association.state);
        })
        .text("dhcpOptionsId", &vpc.dhcp_options_id)
        .text("instanceTenancy", &vpc.instance_tenancy)
        .value("isDefault", vpc.is_default);
    tag_set(xml, network.tags.get(&vpc.id));
}

fn subnet_xml(xml: &mut XmlWriter, network: &Network, subnet: &Subnet) {
    xml.text("subnetId", &subnet.id)
        .text("subnetArn", &format!("arn:aws:ec2:{}:{}:subnet/{}", network.region, network.account, subnet.id))
        .text("state", "available")
        .text("vpcId", &subnet.vpc_id)
        .text("cidrBlock", &subnet.cidr_block)
        .value("availableIpAddressCount", subnet.available_ip_address_count())
        .text("availabilityZone", &subnet.availability_zone)
        .text("availabilityZoneId", &subnet.availability_zone_id)
        .value("defaultForAz", subnet.default_for_az)
        .value("mapPublicIpOnLaunch", subnet.map_public_ip_on_launch)
        .text("ownerId", &network.account)
        .value("assignIpv6AddressOnCreation", false)
        .element("ipv6CidrBlockAssociationSet", |_| {});
    tag_set(xml, network.tags.get(&subnet.id));
}

/// A protocol, a port range and the rules that share them.
type PermissionGroup<'a> = (&'a str, Option<i64>, Option<i64>, Vec<&'a Rule>);

/// Rules grouped back into EC2's `IpPermissions`: one per protocol and port range, in first-seen order.
fn permissions_xml(xml: &mut XmlWriter, name: &str, rules: &[Rule]) {
    let mut groups: Vec<PermissionGroup<'_>> = Vec::new();
    for rule in rules {
        match groups.iter_mut().find(|(p, f, t, _)| *p == rule.protocol && *f == rule.from_port && *t == rule.to_port) {
            Some(group) => group.3.push(rule),
            None => groups.push((&rule.protocol, rule.from_port, rule.to_port, vec![rule])),
        }
    }
    xml.list(name, "item", groups, |xml, (protocol, from, to, rules)| {
        xml.text("ipProtocol", protocol);
        if let Some(from) = from {
            xml.value("fromPort", from);
        }
        if let Some(to) = to {
            xml.value("toPort", to);
        }
        xml.element("groups", |xml| {
            for rule in &rules {
                if let Peer::Group { group_id, user_id } = &rule.peer {
                    xml.element("item", |xml| {
                        xml.text("userId", user_id).text("groupId", group_id);
                        xml.optional("description", rule.description.as_deref());
                    });
                }
            }
        })
        .element("ipRanges", |xml| {
            for rule in &rules {
                if let Peer::Cidr(cidr) = &rule.peer {
                    xml.element("item", |xml| {
                        xml.text("cidrIp", cidr);
                        xml.optional("description", rule.description.as_deref());
                    });
                }
            }
        })
        .element("ipv6Ranges", |_| {})
        .element("prefixListIds", |_| {});
    });
}

fn group_xml(xml: &mut XmlWriter, network: &Network, group: &SecurityGroup) {
    xml.text("ownerId", &network.account)
        .text("groupId", &group.id)
        .text("groupName", &group.name)
        .text("groupDescription", &group.description)
        .text("vpcId", &group.vpc_id)
        .text(
            "securityGroupArn",
            &format!("arn:aws:ec2:{}:{}:security-group/{}", network.region, network.account, group.id),
        );
    permissions_xml(xml, "ipPermissions", &group.ingress);
    permissions_xml(xml, "ipPermissionsEgress", &group.egress);
    tag_set(xml, network.tags.get(&group.id));
}

fn gateway_xml(xml: &mut XmlWriter, network: &Network, gateway: &InternetGateway) {
    xml.text("internetGatewayId", &gateway.id).text("ownerId", &network.account).list(
        "attachmentSet",
        "item",
        &gateway.attached_vpc,
        |xml, vpc| {
            xml.text("vpcId", vpc).text("state", "available");
        },
    );
    tag_set(xml, network.tags.get(&gateway.id));
}

fn table_xml(xml: &mut XmlWriter, network: &Network, table: &RouteTable) {
    xml.text("routeTableId", &table.id)
        .text("vpcId", &table.vpc_id)
        .text("ownerId", &network.account)
        .list("routeSet", "item", &table.routes, |xml, route| {
            match &route.target {
                RouteTarget::Local => xml.text("destinationCidrBlock", &route.destination).text("gatewayId", "local"),
                RouteTarget::Gateway(id) => xml.text("destinationCidrBlock", &route.destination).text("gatewayId", id),
                RouteTarget::NatGateway(id) => {
                    xml.text("destinationCidrBlock", &route.destination).text("natGatewayId", id)
                }
                // A gateway endpoint's route: from its service's prefix list.
                RouteTarget::VpcEndpoint(id) => {
                    xml.text("destinationPrefixListId", &route.destination).text("gatewayId", id)
                }
            };
            xml.text("state", network.route_state(table, route)).text("origin", &route.origin);
        })
        .list("associationSet", "item", &table.associations, |xml, association| {
            xml.value("main", association.subnet_id.is_none())
                .text("routeTableAssociationId", &association.id)
                .text("routeTableId", &table.id)
                .optional("subnetId", association.subnet_id.as_deref())
                .element("associationState", |xml| {
                    xml.text("state", "associated");
                });
        })
        .element("propagatingVgwSet", |_| {});
    tag_set(xml, network.tags.get(&table.id));
}

pub(crate) fn timestamp(seconds: f64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp_nanos((seconds * 1e9) as i128).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

fn nat_xml(xml: &mut XmlWriter, network: &Network, nat: &NatGateway) {
    xml.timestamp("createTime", timestamp(nat.created_at));
    if let Some(deleted) = nat.deleted_at {
        xml.timestamp("deleteTime", timestamp(deleted));
    }
    xml.list("natGatewayAddressSet", "item", [nat], |xml, nat| {
        xml.text("allocationId", &nat.allocation_id)
            .text("privateIp", &nat.private_ip.to_string())
            .text("publicIp", &nat.public_ip)
            .value("isPrimary", true)
            .text("status", if nat.state == "deleted" { "disassociated" } else { "succeeded" });
    })
    .text("natGatewayId", &nat.id)
    .text("state", &nat.state)
    .text("subnetId", &nat.subnet_id)
    .text("vpcId", &nat.vpc_id)
    .text("connectivityType", "public");
    tag_set(xml, network.tags.get(&nat.id));
}

fn address_xml(xml: &mut XmlWriter, network: &Network, address: &Address) {
    xml.text("publicIp", &address.public_ip.to_string())
        .text("allocationId", &address.allocation_id)
        .text("domain", "vpc")
        .text("publicIpv4Pool", "amazon")
        .text("networkBorderGroup", &network.region);
    tag_set(xml, network.tags.get(&address.allocation_id));
}

#[cfg(test)]
pub(crate) mod tests;
