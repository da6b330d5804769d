//! Network interfaces over the `ec2` protocol: DescribeNetworkInterfaces (filters, `NetworkInterfaceId.N`,
//! paging), CreateNetworkInterface, DeleteNetworkInterface, AttachNetworkInterface, DetachNetworkInterface,
//! ModifyNetworkInterfaceAttribute, DescribeNetworkInterfaceAttribute, AssignPrivateIpAddresses and
//! UnassignPrivateIpAddresses. The rules are `aws_model::ec2::interfaces`'; `interface_xml` is also how
//! DescribeInstances shows an instance's interfaces.

use aws_model::ec2::instances::private_dns_name;
use aws_model::ec2::interfaces::InterfaceChange;
use aws_model::ec2::{CreateNetworkInterface, Network, NetworkInterface, scopes};
use aws_protocol::AwsError;
use aws_protocol::xml::XmlWriter;

use super::instances::synced;
use super::paging::page;
use super::{bad_params, returns_true, start, tag_set, timestamp};
use crate::registry::{Outcome, wire};
use crate::{AwsApi, Call};

pub(super) async fn describe_network_interfaces(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let ids = input.strings("NetworkInterfaceId")?;
    let filters = input.filters()?;
    let max = input.params.int("MaxResults").map_err(bad_params)?;
    if max.is_some() && !ids.is_empty() {
        return Err(AwsError::bad_request(
            "InvalidParameterCombination",
            "The parameter networkInterfaceIdSet cannot be used with the parameter maxResults",
        ));
    }
    let network = synced(api, ec2, caller, &scopes::network_interfaces()).await?;
    let found: Vec<NetworkInterface> =
        network.describe_network_interfaces(&ids, &filters).map_err(wire)?.into_iter().cloned().collect();
    let (page, token) = page(found, |eni| eni.id.clone(), max, input.get("NextToken").as_deref(), (5, 1000))?;
    call.xml(move |xml| {
        xml.list("networkInterfaceSet", "item", &page, |xml, eni| interface_xml(xml, &network, eni));
        xml.optional("nextToken", token.as_deref());
    })
}

pub(super) async fn create_network_interface(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    if let Some(kind) = input.get("InterfaceType").filter(|kind| kind != "interface") {
        return Err(AwsError::bad_request(
            "UnsupportedOperation",
            format!("The interface type '{kind}' is not supported: only 'interface' network interfaces are."),
        ));
    }
    let mut request = CreateNetworkInterface {
        subnet_id: input.get("SubnetId"),
        description: input.get("Description"),
        private_ip: input.get("PrivateIpAddress"),
        secondary_ips: Vec::new(),
        secondary_count: input.params.int("SecondaryPrivateIpAddressCount").map_err(bad_params)?,
        groups: input.strings("SecurityGroupId")?,
        tags: input.tag_specifications("network-interface")?,
        interface_type: None,
        requester_managed: false,
    };
    for item in input.params.ec2_list("PrivateIpAddresses").map_err(bad_params)? {
        let address = item.required("PrivateIpAddress").map_err(bad_params)?.to_owned();
        if item.bool("Primary").map_err(bad_params)? == Some(true) && request.private_ip.is_none() {
            request.private_ip = Some(address);
        } else if request.private_ip.as_deref() != Some(address.as_str()) {
            request.secondary_ips.push(address);
        }
    }
    let (eni, network) = ec2
        .change(caller, &scopes::create_network_interface(request.subnet_id.as_deref()), |network, ids| {
            let eni = network.create_network_interface(ids, &request)?;
            Ok((eni, network.clone()))
        })
        .await
        .map_err(wire)?;
    call.xml(move |xml| {
        xml.element("networkInterface", |xml| interface_xml(xml, &network, &eni));
    })
}

pub(super) async fn delete_network_interface(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let id = input.required("NetworkInterfaceId")?;
    ec2.change_widening(caller, &scopes::network_interface(&id), scopes::interface_parts, |network, _| {
        network.delete_network_interface(&id)
    })
    .await
    .map_err(wire)?;
    returns_true(call)
}

pub(super) async fn attach_network_interface(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let id = input.required("NetworkInterfaceId")?;
    let instance = input.required("InstanceId")?;
    let device_index = input.params.int("DeviceIndex").map_err(bad_params)?;
    if let Some(card) = input.params.int("NetworkCardIndex").map_err(bad_params)?.filter(|card| *card != 0) {
        return Err(super::invalid(format!(
            "Value ({card}) for parameter networkCardIndex is invalid. The instance type has one network card."
        )));
    }
    let now = ec2.now();
    synced(api, ec2, caller, &aws_model::ec2::Scope::new()).await?;
    let attachment = ec2
        .change_widening(
            caller,
            &scopes::attach_network_interface(&id, &instance),
            |network| scopes::interfaces_of_instance(network, &instance),
            |network, ids| network.attach_network_interface(ids, &id, &instance, device_index, now),
        )
        .await
        .map_err(wire)?;
    call.xml(move |xml| {
        xml.text("attachmentId", &attachment).value("networkCardIndex", 0);
    })
}

pub(super) async fn detach_network_interface(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let attachment = input.required("AttachmentId")?;
    input.params.bool("Force").map_err(bad_params)?;
    ec2.change_widening(
        caller,
        &scopes::detach_network_interface(),
        |network| scopes::attachment(network, &attachment),
        |network, _| network.detach_network_interface(&attachment),
    )
    .await
    .map_err(wire)?;
    returns_true(call)
}

pub(super) async fn modify_network_interface_attribute(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let id = input.required("NetworkInterfaceId")?;
    let mut changes = Vec::new();
    if let Some(text) = input.params.child("Description").get("Value") {
        changes.push(InterfaceChange::Description(text.to_owned()));
    }
    if let Some(value) = input.params.child("SourceDestCheck").bool("Value").map_err(bad_params)? {
        changes.push(InterfaceChange::SourceDestCheck(value));
    }
    let groups = input.strings("SecurityGroupId")?;
    if !groups.is_empty() {
        changes.push(InterfaceChange::Groups(groups));
    }
    let attachment = input.params.child("Attachment");
    if let Some(attachment_id) = attachment.get("AttachmentId") {
        let value = attachment.bool("DeleteOnTermination").map_err(bad_params)?.ok_or_else(|| {
            AwsError::bad_request("MissingParameter", "The request must contain the parameter deleteOnTermination")
        })?;
        changes.push(InterfaceChange::DeleteOnTermination { attachment_id: attachment_id.to_owned(), value });
    }
    let change = match changes.len() {
        1 => changes.remove(0),
        0 => {
            return Err(AwsError::bad_request(
                "MissingParameter",
                "The request must contain one of the parameters description, sourceDestCheck, groupSet or attachment",
            ));
        }
        _ => {
            return Err(AwsError::bad_request(
                "InvalidParameterCombination",
                "Fields for multiple attribute types specified: only one attribute can be modified at a time",
            ));
        }
    };
    let scope = scopes::network_interface(&id).all(aws_model::ec2::Kind::SecurityGroup);
    ec2.change(caller, &scope, |network, _| network.modify_network_interface_attribute(&id, change.clone()))
        .await
        .map_err(wire)?;
    returns_true(call)
}

pub(super) async fn describe_network_interface_attribute(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let id = input.required("NetworkInterfaceId")?;
    let attribute = input.get("Attribute");
    let known = ["description", "groupSet", "sourceDestCheck", "attachment", "associatePublicIpAddress"];
    if let Some(other) = attribute.as_deref().filter(|name| !known.contains(name)) {
        return Err(super::invalid(format!("Value ({other}) for parameter attribute is invalid. Unknown attribute.")));
    }
    let scope = scopes::network_interface(&id).all(aws_model::ec2::Kind::SecurityGroup);
    let (eni, network) = ec2
        .view(caller, &scope, |network| network.interface(&id).cloned().map(|eni| (eni, network.clone())))
        .await
        .map_err(wire)?
        .map_err(wire)?;
    call.xml(move |xml| {
        xml.text("networkInterfaceId", &eni.id);
        let all = attribute.is_none();
        if all || attribute.as_deref() == Some("description") {
            xml.element("description", |xml| {
                xml.text("value", &eni.description);
            });
        }
        if all || attribute.as_deref() == Some("sourceDestCheck") {
            xml.element("sourceDestCheck", |xml| {
                xml.value("value", eni.source_dest_check);
            });
        }
        if all || attribute.as_deref() == Some("groupSet") {
            groups_xml(xml, &network, &eni);
        }
        if (all || attribute.as_deref() == Some("attachment")) && eni.attachment.is_some() {
            attachment_xml(xml, &network, &eni);
        }
        if attribute.as_deref() == Some("associatePublicIpAddress") {
            xml.value("associatePublicIpAddress", false);
        }
    })
}

pub(super) async fn assign_private_ip_addresses(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let id = input.required("NetworkInterfaceId")?;
    let chosen = input.strings("PrivateIpAddress")?;
    let count = input.params.int("SecondaryPrivateIpAddressCount").map_err(bad_params)?;
    input.params.bool("AllowReassignment").map_err(bad_params)?;
    let assigned = ec2
        .change_widening(caller, &scopes::network_interface(&id), scopes::interface_parts, |network, _| {
            network.assign_interface_ips(&id, &chosen, count)
        })
        .await
        .map_err(wire)?;
    call.xml(move |xml| {
        xml.text("networkInterfaceId", &id).list("assignedPrivateIpAddressesSet", "item", &assigned, |xml, ip| {
            xml.text("privateIpAddress", &ip.to_string());
        });
    })
}

pub(super) async fn unassign_private_ip_addresses(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let id = input.required("NetworkInterfaceId")?;
    let addresses = input.strings("PrivateIpAddress")?;
    ec2.change_widening(caller, &scopes::network_interface(&id), scopes::interface_parts, |network, _| {
        network.unassign_interface_ips(&id, &addresses)
    })
    .await
    .map_err(wire)?;
    returns_true(call)
}

fn groups_xml(xml: &mut XmlWriter, network: &Network, eni: &NetworkInterface) {
    xml.list("groupSet", "item", &eni.security_groups, |xml, id| {
        let name = network.security_groups.loaded().get(id).map(|group| group.name.as_str()).unwrap_or_default();
        xml.text("groupId", id).text("groupName", name);
    });
}

fn attachment_xml(xml: &mut XmlWriter, network: &Network, eni: &NetworkInterface) {
    let Some(attachment) = &eni.attachment else { return };
    xml.element("attachment", |xml| {
        xml.text("attachmentId", &attachment.id)
            .text("instanceId", &attachment.instance_id)
            .text("instanceOwnerId", &network.account)
            .value("deviceIndex", attachment.device_index)
            .text("status", "attached")
            .timestamp("attachTime", timestamp(attachment.attached_at))
            .value("deleteOnTermination", attachment.delete_on_termination)
            .value("networkCardIndex", 0);
    });
}

/// A `NetworkInterface`'s members, as DescribeNetworkInterfaces writes them.
pub(super) fn interface_xml(xml: &mut XmlWriter, network: &Network, eni: &NetworkInterface) {
    let region = &network.region;
    xml.text("networkInterfaceId", &eni.id)
        .text("subnetId", &eni.subnet_id)
        .text("vpcId", &eni.vpc_id)
        .text("availabilityZone", &eni.availability_zone)
        .text("description", &eni.description)
        .text("ownerId", &network.account)
        .value("requesterManaged", eni.requester_managed)
        .text("status", eni.status())
        .text("macAddress", &eni.mac_address)
        .text("privateIpAddress", &eni.private_ip.to_string())
        .text("privateDnsName", &private_dns_name(eni.private_ip, region))
        .value("sourceDestCheck", eni.source_dest_check);
    groups_xml(xml, network, eni);
    attachment_xml(xml, network, eni);
    tag_set(xml, network.tags.get(&eni.id));
    xml.list("privateIpAddressesSet", "item", eni.addresses(), |xml, (ip, primary)| {
        xml.text("privateIpAddress", &ip.to_string())
            .text("privateDnsName", &private_dns_name(ip, region))
            .value("primary", primary);
    })
    .element("ipv6AddressesSet", |_| {})
    .text("interfaceType", eni.interface_type());
}

/// An instance's interface as DescribeInstances writes it (`InstanceNetworkInterface`).
pub(super) fn instance_interface_xml(xml: &mut XmlWriter, network: &Network, eni: &NetworkInterface) {
    let region = &network.region;
    xml.text("networkInterfaceId", &eni.id)
        .text("subnetId", &eni.subnet_id)
        .text("vpcId", &eni.vpc_id)
        .text("description", &eni.description)
        .text("ownerId", &network.account)
        .text("status", eni.status())
        .text("macAddress", &eni.mac_address)
        .text("privateIpAddress", &eni.private_ip.to_string())
        .text("privateDnsName", &private_dns_name(eni.private_ip, region))
        .value("sourceDestCheck", eni.source_dest_check);
    groups_xml(xml, network, eni);
    if let Some(attachment) = &eni.attachment {
        xml.element("attachment", |xml| {
            xml.text("attachmentId", &attachment.id)
                .value("deviceIndex", attachment.device_index)
                .text("status", "attached")
                .timestamp("attachTime", timestamp(attachment.attached_at))
                .value("deleteOnTermination", attachment.delete_on_termination)
                .value("networkCardIndex", 0);
        });
    }
    xml.list("privateIpAddressesSet", "item", eni.addresses(), |xml, (ip, primary)| {
        xml.text("privateIpAddress", &ip.to_string())
            .text("privateDnsName", &private_dns_name(ip, region))
            .value("primary", primary);
    })
    .text("interfaceType", "interface");
}
