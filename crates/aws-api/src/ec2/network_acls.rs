//! Network ACLs over the `ec2` protocol: DescribeNetworkAcls, CreateNetworkAcl, DeleteNetworkAcl,
//! CreateNetworkAclEntry, ReplaceNetworkAclEntry, DeleteNetworkAclEntry and ReplaceNetworkAclAssociation, what
//! Terraform's `aws_vpc`, `aws_default_network_acl` and `aws_network_acl` read and write. The rules are
//! `aws_model::ec2::network_acls`'.

use aws_model::ec2::network_acls::AclEntryRequest;
use aws_model::ec2::{Network, NetworkAcl, scopes};
use aws_protocol::AwsError;
use aws_protocol::xml::XmlWriter;

use super::paging::page;
use super::{Input, bad_params, returns_true, start, tag_set};
use crate::registry::{Outcome, wire};
use crate::{AwsApi, Call};

pub(super) async fn describe_network_acls(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let ids = input.strings("NetworkAclId")?;
    let filters = input.filters()?;
    let max = input.params.int("MaxResults").map_err(bad_params)?;
    let network = ec2.view(caller, &scopes::network_acls(), Clone::clone).await.map_err(wire)?;
    let found: Vec<NetworkAcl> =
        network.describe_network_acls(&ids, &filters).map_err(wire)?.into_iter().cloned().collect();
    let (page, token) = page(found, |acl| acl.id.clone(), max, input.get("NextToken").as_deref(), (5, 100))?;
    call.xml(move |xml| {
        xml.list("networkAclSet", "item", &page, |xml, acl| acl_xml(xml, &network, acl));
        xml.optional("nextToken", token.as_deref());
    })
}

pub(super) async fn create_network_acl(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let vpc_id = input.required("VpcId")?;
    let tags = input.tag_specifications("network-acl")?;
    let (acl, network) = ec2
        .change(caller, &scopes::create_network_acl(&vpc_id), |network, ids| {
            Ok((network.create_network_acl(ids, &vpc_id, &tags)?, network.clone()))
        })
        .await
        .map_err(wire)?;
    call.xml(move |xml| {
        xml.element("networkAcl", |xml| {
            xml.element("associationSet", |_| {});
            entries_xml(xml, &acl);
            xml.value("default", false).text("networkAclId", &acl.id);
            tag_set(xml, network.tags.get(&acl.id));
            xml.text("vpcId", &acl.vpc_id).text("ownerId", &network.account);
        });
    })
}

pub(super) async fn delete_network_acl(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let id = input.required("NetworkAclId")?;
    ec2.change(caller, &scopes::delete_network_acl(&id), |network, _| network.delete_network_acl(&id))
        .await
        .map_err(wire)?;
    returns_true(call)
}

/// CreateNetworkAclEntry and ReplaceNetworkAclEntry.
pub(super) async fn change_network_acl_entry(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let id = input.required("NetworkAclId")?;
    let request = entry_request(&input)?;
    let create = call.operation.name == "CreateNetworkAclEntry";
    ec2.change(caller, &scopes::network_acl(&id), |network, _| {
        if create {
            network.create_network_acl_entry(&id, &request)
        } else {
            network.replace_network_acl_entry(&id, &request)
        }
    })
    .await
    .map_err(wire)?;
    returns_true(call)
}

pub(super) async fn delete_network_acl_entry(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let id = input.required("NetworkAclId")?;
    let number = input.params.int("RuleNumber").map_err(bad_params)?;
    let egress = input.params.bool("Egress").map_err(bad_params)?;
    ec2.change(caller, &scopes::network_acl(&id), |network, _| network.delete_network_acl_entry(&id, number, egress))
        .await
        .map_err(wire)?;
    returns_true(call)
}

pub(super) async fn replace_network_acl_association(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let association = input.required("AssociationId")?;
    let acl = input.required("NetworkAclId")?;
    let new_id = ec2
        .change_widening(
            caller,
            &scopes::replace_network_acl_association(&acl),
            |network| scopes::subnet_of_acl_association(network, &association),
            |network, ids| network.replace_network_acl_association(ids, &association, &acl),
        )
        .await
        .map_err(wire)?;
    call.xml(move |xml| {
        xml.text("newAssociationId", &new_id);
    })
}

/// The rule of CreateNetworkAclEntry or ReplaceNetworkAclEntry; IPv6 blocks are refused as unsupported.
fn entry_request(input: &Input<'_>) -> Result<AclEntryRequest, AwsError> {
    if input.get("Ipv6CidrBlock").is_some() {
        return Err(AwsError::bad_request(
            "UnsupportedOperation",
            "The parameter Ipv6CidrBlock is not supported: network ACL rules here take IPv4 blocks only.",
        ));
    }
    let ports = input.params.child("PortRange");
    let icmp = input.params.child("Icmp");
    Ok(AclEntryRequest {
        rule_number: input.params.int("RuleNumber").map_err(bad_params)?,
        egress: input.params.bool("Egress").map_err(bad_params)?,
        protocol: input.get("Protocol"),
        action: input.get("RuleAction"),
        cidr_block: input.get("CidrBlock"),
        port_range: (ports.int("From").map_err(bad_params)?, ports.int("To").map_err(bad_params)?),
        icmp: (icmp.int("Type").map_err(bad_params)?, icmp.int("Code").map_err(bad_params)?),
    })
}

fn entries_xml(xml: &mut XmlWriter, acl: &NetworkAcl) {
    xml.list("entrySet", "item", &acl.entries, |xml, entry| {
        xml.text("cidrBlock", &entry.cidr_block).value("egress", entry.egress);
        if let Some((kind, code)) = entry.icmp {
            xml.element("icmpTypeCode", |xml| {
                xml.value("code", code).value("type", kind);
            });
        }
        if let Some((from, to)) = entry.port_range {
            xml.element("portRange", |xml| {
                xml.value("from", from).value("to", to);
            });
        }
        xml.text("protocol", &entry.protocol).text("ruleAction", &entry.action).value("ruleNumber", entry.rule_number);
    });
}

/// A `NetworkAcl`'s members.
fn acl_xml(xml: &mut XmlWriter, network: &Network, acl: &NetworkAcl) {
    xml.list("associationSet", "item", network.acl_associations(acl), |xml, (subnet, association)| {
        xml.text("networkAclAssociationId", &association).text("networkAclId", &acl.id).text("subnetId", &subnet);
    });
    entries_xml(xml, acl);
    xml.value("default", acl.is_default).text("networkAclId", &acl.id);
    tag_set(xml, network.tags.get(&acl.id));
    xml.text("vpcId", &acl.vpc_id).text("ownerId", &network.account);
}
