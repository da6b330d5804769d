//! VPC endpoints over the `ec2` protocol: CreateVpcEndpoint, DescribeVpcEndpoints (filters, `VpcEndpointId.N`,
//! paging), ModifyVpcEndpoint, DeleteVpcEndpoints (per-id `unsuccessful` items), DescribeVpcEndpointServices and
//! DescribePrefixLists, what Terraform's `aws_vpc_endpoint` and `aws_vpc_endpoint_service`, eksctl's private
//! clusters and the VPC module's endpoints read and write. The rules are `aws_model::ec2::vpc_endpoints`' and the
//! catalogue `aws_model::ec2::endpoint_services`'. Create, modify and delete honour `DryRun`.

use aws_model::ec2::endpoint_services::{EndpointService, EndpointType, PrefixList};
use aws_model::ec2::vpc_endpoints::{CreateVpcEndpoint, ModifyVpcEndpoint};
use aws_model::ec2::{Network, Scope, VpcEndpoint, scopes};
use aws_protocol::AwsError;
use aws_protocol::xml::XmlWriter;

use super::paging::page;
use super::{Input, bad_params, change_unless_dry_run, code, returns_true, start, tag_set, timestamp};
use crate::registry::{Outcome, wire};
use crate::{AwsApi, Call};

/// Refuses the parameters of endpoint kinds and address families not served here (resource and service network
/// endpoints, IPv6 and dual-stack addressing, chosen addresses per subnet).
fn refuse_unsupported(input: &Input<'_>) -> Result<(), AwsError> {
    let unsupported = |name: &str| {
        AwsError::bad_request(
            "UnsupportedOperation",
            format!("The parameter {name} is not supported: endpoints here reach AWS services over IPv4."),
        )
    };
    for name in ["ServiceNetworkArn", "ResourceConfigurationArn", "SubnetConfiguration.1.SubnetId"] {
        if input.get(name).is_some() {
            return Err(unsupported(name.split('.').next().unwrap_or(name)));
        }
    }
    if input.get("IpAddressType").is_some_and(|kind| kind != "ipv4") {
        return Err(unsupported("IpAddressType"));
    }
    if input.params.child("DnsOptions").get("DnsRecordIpType").is_some_and(|kind| kind != "ipv4") {
        return Err(unsupported("DnsOptions.DnsRecordIpType"));
    }
    Ok(())
}

/// `DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint`.
fn inbound_only(input: &Input<'_>) -> Result<Option<bool>, AwsError> {
    input.params.child("DnsOptions").bool("PrivateDnsOnlyForInboundResolverEndpoint").map_err(bad_params)
}

pub(super) async fn create_vpc_endpoint(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    refuse_unsupported(&input)?;
    if let Some(region) = input.get("ServiceRegion").filter(|region| *region != caller.region) {
        return Err(AwsError::bad_request(
            "UnsupportedOperation",
            format!("The parameter ServiceRegion is not supported: {region} is not this endpoint's region."),
        ));
    }
    let request = CreateVpcEndpoint {
        vpc_id: input.get("VpcId"),
        service_name: input.get("ServiceName"),
        endpoint_type: input.get("VpcEndpointType"),
        policy_document: input.get("PolicyDocument"),
        route_table_ids: input.strings("RouteTableId")?,
        subnet_ids: input.strings("SubnetId")?,
        security_group_ids: input.strings("SecurityGroupId")?,
        private_dns_enabled: input.params.bool("PrivateDnsEnabled").map_err(bad_params)?,
        private_dns_only_for_inbound_resolver_endpoint: inbound_only(&input)?,
        client_token: input.get("ClientToken"),
        tags: input.tag_specifications("vpc-endpoint")?,
    };
    let scope = scopes::create_vpc_endpoint(request.vpc_id.as_deref(), &request.route_table_ids, &request.subnet_ids);
    let now = ec2.now();
    let (endpoint, again, network) = change_unless_dry_run(
        ec2,
        caller,
        &input,
        &scope,
        |_| Scope::new(),
        |network, ids| {
            let (endpoint, again) = network.create_vpc_endpoint(ids, &request, now)?;
            Ok((endpoint, again, network.clone()))
        },
    )
    .await?;
    // An interface endpoint is still being made when its create answers; it is available by the first read.
    let state = if endpoint.endpoint_type == EndpointType::Interface && !again { "pending" } else { "available" };
    let token = request.client_token.clone();
    call.xml(move |xml| {
        xml.element("vpcEndpoint", |xml| endpoint_xml(xml, &network, &endpoint, state));
        xml.optional("clientToken", token.as_deref());
    })
}

pub(super) async fn describe_vpc_endpoints(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let ids = input.strings("VpcEndpointId")?;
    let filters = input.filters()?;
    let max = input.params.int("MaxResults").map_err(bad_params)?;
    let network = ec2.view(caller, &scopes::vpc_endpoints(), Clone::clone).await.map_err(wire)?;
    let found: Vec<VpcEndpoint> =
        network.describe_vpc_endpoints(&ids, &filters).map_err(wire)?.into_iter().cloned().collect();
    let (page, token) = page(found, |endpoint| endpoint.id.clone(), max, input.get("NextToken").as_deref(), (1, 1000))?;
    call.xml(move |xml| {
        xml.list("vpcEndpointSet", "item", &page, |xml, endpoint| endpoint_xml(xml, &network, endpoint, "available"));
        xml.optional("nextToken", token.as_deref());
    })
}

pub(super) async fn modify_vpc_endpoint(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    refuse_unsupported(&input)?;
    let id = input.required("VpcEndpointId")?;
    let request = ModifyVpcEndpoint {
        reset_policy: input.params.bool("ResetPolicy").map_err(bad_params)? == Some(true),
        policy_document: input.get("PolicyDocument"),
        add_route_table_ids: input.strings("AddRouteTableId")?,
        remove_route_table_ids: input.strings("RemoveRouteTableId")?,
        add_subnet_ids: input.strings("AddSubnetId")?,
        remove_subnet_ids: input.strings("RemoveSubnetId")?,
        add_security_group_ids: input.strings("AddSecurityGroupId")?,
        remove_security_group_ids: input.strings("RemoveSecurityGroupId")?,
        private_dns_enabled: input.params.bool("PrivateDnsEnabled").map_err(bad_params)?,
        private_dns_only_for_inbound_resolver_endpoint: inbound_only(&input)?,
    };
    let tables: Vec<String> =
        request.add_route_table_ids.iter().chain(&request.remove_route_table_ids).cloned().collect();
    let scope = scopes::modify_vpc_endpoint(&id, &tables, &request.add_subnet_ids);
    let named = [id.clone()];
    change_unless_dry_run(
        ec2,
        caller,
        &input,
        &scope,
        |network| scopes::endpoint_parts(network, &named),
        |network, ids| network.modify_vpc_endpoint(ids, &id, &request),
    )
    .await?;
    returns_true(call)
}

pub(super) async fn delete_vpc_endpoints(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let ids = input.strings("VpcEndpointId")?;
    let unsuccessful = change_unless_dry_run(
        ec2,
        caller,
        &input,
        &scopes::vpc_endpoint_ids(&ids),
        |network| scopes::endpoint_parts(network, &ids),
        |network, _| network.delete_vpc_endpoints(&ids),
    )
    .await?;
    call.xml(move |xml| {
        xml.list("unsuccessful", "item", &unsuccessful, |xml, (id, error)| {
            xml.element("error", |xml| {
                xml.text("code", code(error)).text("message", &error.to_string());
            })
            .text("resourceId", id);
        });
    })
}

pub(super) async fn describe_vpc_endpoint_services(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (_, input, caller) = start(api, call)?;
    let region = caller.region.clone();
    let names = input.strings("ServiceName")?;
    let filters = input.filters()?;
    let max = input.params.int("MaxResults").map_err(bad_params)?;
    let found =
        aws_model::ec2::endpoint_services::describe_vpc_endpoint_services(&region, &names, &filters).map_err(wire)?;
    let key = |service: &EndpointService| format!("{}/{}", service.name, service.endpoint_type.as_str());
    let (page, token) = page(found, key, max, input.get("NextToken").as_deref(), (5, 1000))?;
    let mut service_names: Vec<&str> = page.iter().map(|service| service.name.as_str()).collect();
    service_names.dedup();
    let service_names: Vec<String> = service_names.into_iter().map(str::to_owned).collect();
    call.xml(move |xml| {
        xml.text_list("serviceNameSet", "item", service_names.iter().map(String::as_str));
        xml.list("serviceDetailSet", "item", &page, |xml, service| service_xml(xml, &region, service));
        xml.optional("nextToken", token.as_deref());
    })
}

pub(super) async fn describe_prefix_lists(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (_, input, caller) = start(api, call)?;
    let ids = input.strings("PrefixListId")?;
    let filters = input.filters()?;
    let max = input.params.int("MaxResults").map_err(bad_params)?;
    let found =
        aws_model::ec2::endpoint_services::describe_prefix_lists(&caller.region, &ids, &filters).map_err(wire)?;
    let (page, token) =
        page(found, |list: &PrefixList| list.id.clone(), max, input.get("NextToken").as_deref(), (5, 1000))?;
    call.xml(move |xml| {
        xml.list("prefixListSet", "item", &page, |xml, list| {
            xml.text_list("cidrSet", "item", list.cidrs.iter().map(String::as_str))
                .text("prefixListId", &list.id)
                .text("prefixListName", &list.name);
        });
        xml.optional("nextToken", token.as_deref());
    })
}

/// A `VpcEndpoint`'s members, in `state`.
fn endpoint_xml(xml: &mut XmlWriter, network: &Network, endpoint: &VpcEndpoint, state: &str) {
    let interface = endpoint.endpoint_type == EndpointType::Interface;
    xml.text("vpcEndpointId", &endpoint.id)
        .text("vpcEndpointType", endpoint.endpoint_type.as_str())
        .text("vpcId", &endpoint.vpc_id)
        .text("serviceName", &endpoint.service_name)
        .text("state", state)
        .text("policyDocument", endpoint.policy())
        .text_list("routeTableIdSet", "item", endpoint.route_table_ids.iter().map(String::as_str))
        .text_list("subnetIdSet", "item", endpoint.interfaces.iter().map(|eni| eni.subnet_id.as_str()))
        .list("groupSet", "item", &endpoint.security_groups, |xml, id| {
            let name = network.security_groups.loaded().get(id).map(|group| group.name.as_str());
            xml.text("groupId", id).optional("groupName", name);
        });
    if interface {
        xml.text("ipAddressType", "ipv4").element("dnsOptions", |xml| {
            xml.text("dnsRecordIpType", "ipv4");
            if let Some(inbound_only) = endpoint.private_dns_only_for_inbound_resolver_endpoint {
                xml.value("privateDnsOnlyForInboundResolverEndpoint", inbound_only);
            }
        });
    }
    xml.value("privateDnsEnabled", endpoint.private_dns_enabled)
        .value("requesterManaged", false)
        .text_list(
            "networkInterfaceIdSet",
            "item",
            endpoint.interfaces.iter().map(|eni| eni.network_interface_id.as_str()),
        )
        .list("dnsEntrySet", "item", endpoint.dns_entries(&network.region), |xml, entry| {
            xml.text("dnsName", &entry.dns_name).text("hostedZoneId", &entry.hosted_zone_id);
        })
        .timestamp("creationTimestamp", timestamp(endpoint.created_at));
    tag_set(xml, network.tags.get(&endpoint.id));
    xml.text("ownerId", &network.account);
}

/// A `ServiceDetail`'s members.
fn service_xml(xml: &mut XmlWriter, region: &str, service: &EndpointService) {
    xml.text("serviceName", &service.name)
        .text("serviceId", &service.id)
        .list("serviceType", "item", [service.endpoint_type], |xml, kind| {
            xml.text("serviceType", kind.as_str());
        })
        .text("serviceRegion", region)
        .text_list("availabilityZoneSet", "item", service.availability_zones.iter().map(String::as_str))
        .text("owner", "amazon")
        .text_list("baseEndpointDnsNameSet", "item", [service.base_endpoint_dns_name.as_str()])
        .optional("privateDnsName", service.private_dns_name.as_deref());
    if let Some(name) = &service.private_dns_name {
        xml.list("privateDnsNameSet", "item", [name], |xml, name| {
            xml.text("privateDnsName", name);
        });
    }
    xml.value("vpcEndpointPolicySupported", service.policy_supported)
        .value("acceptanceRequired", false)
        .value("managesVpcEndpoints", false)
        .element("tagSet", |_| {});
    if service.private_dns_name.is_some() {
        xml.text("privateDnsNameVerificationState", "verified");
    }
    xml.text_list("supportedIpAddressTypeSet", "item", ["ipv4"]);
}

#[cfg(test)]
mod tests;
