use std::net::Ipv4Addr;

use super::*;
use crate::ec2::{CreateSubnet, StateRequest};

const NOW: f64 = 1_000_000.0;

fn filter(name: &str, values: &[&str]) -> Filter {
    Filter { name: name.into(), values: values.iter().map(|v| v.to_string()).collect() }
}

/// A VPC `10.0.0.0/16` with a `/24` subnet in us-east-1a, and a running t3.medium in it with its primary
/// interface.
fn network() -> (Network, IdSource, String, String) {
    let mut ids = IdSource::Sequence(0);
    let mut network = Network::new("000000000000", "us-east-1");
    network.initialize(&mut ids);
    let vpc = network.create_vpc(&mut ids, Some("10.0.0.0/16"), None, &Tags::new()).unwrap();
    let request = CreateSubnet {
        vpc_id: vpc.id.clone(),
        cidr_block: Some("10.0.1.0/24".into()),
        availability_zone: Some("us-east-1a".into()),
        ..CreateSubnet::default()
    };
    let subnet = network.create_subnet(&mut ids, &request).unwrap();
    let ip = network.allocate_private_ip(&subnet.id).unwrap();
    let mut instance = crate::ec2::instances::test_instance(&ids.id("i"), &subnet.id, ip);
    instance.vpc_id = vpc.id.clone();
    instance.availability_zone = "us-east-1a".into();
    instance.network_interfaces = vec![network.add_primary_interface(&mut ids, &instance)];
    let id = instance.id.clone();
    network.instances.insert(id.clone(), instance);
    (network, ids, subnet.id, id)
}

fn create(
    network: &mut Network,
    ids: &mut IdSource,
    input: CreateNetworkInterface,
) -> Result<NetworkInterface, Ec2Error> {
    network.create_network_interface(ids, &input)
}

fn in_subnet(subnet: &str) -> CreateNetworkInterface {
    CreateNetworkInterface { subnet_id: Some(subnet.into()), ..CreateNetworkInterface::default() }
}

#[test]
fn an_interface_is_made_described_filtered_and_deleted() {
    let (mut network, mut ids, subnet, instance) = network();
    let before = network.subnets[&subnet].available_ip_address_count();
    let tags: Tags = [("team".to_owned(), "web".to_owned())].into_iter().collect();
    let eni = create(
        &mut network,
        &mut ids,
        CreateNetworkInterface {
            description: Some("hand made".into()),
            secondary_count: Some(2),
            tags: tags.clone(),
            ..in_subnet(&subnet)
        },
    )
    .unwrap();
    assert!(is_interface_id(&eni.id), "{}", eni.id);
    assert_eq!((eni.status(), eni.secondary_ips.len()), ("available", 2));
    assert!(eni.mac_address.starts_with("02:") && eni.mac_address.len() == 17, "{}", eni.mac_address);
    let default_group = network.security_groups.values().find(|g| g.vpc_id == eni.vpc_id && g.name == "default");
    assert_eq!(eni.security_groups, vec![default_group.unwrap().id.clone()], "the VPC's default group");
    assert_eq!(network.subnets[&subnet].available_ip_address_count(), before - 3);

    let check = |network: &Network, filters: &[Filter], expect: &[&str]| {
        let found: Vec<&str> =
            network.describe_network_interfaces(&[], filters).unwrap().iter().map(|e| e.id.as_str()).collect();
        assert_eq!(found, expect, "{filters:?}");
    };
    let primary = network.instances[&instance].network_interfaces[0].clone();
    let mut both = [primary.as_str(), eni.id.as_str()];
    both.sort();
    check(&network, &[filter("subnet-id", &[&subnet])], &both);
    check(&network, &[filter("attachment.instance-id", &[&instance])], &[&primary]);
    check(&network, &[filter("status", &["available"])], &[&eni.id]);
    check(&network, &[filter("description", &["hand*"])], &[&eni.id]);
    check(&network, &[filter("tag:team", &["web"])], &[&eni.id]);
    check(&network, &[filter("group-id", &[&eni.security_groups[0]])], &[&eni.id]);
    check(&network, &[filter("vpc-id", &["vpc-nope"])], &[]);
    check(&network, &[filter("network-interface-id", &[&eni.id])], &[&eni.id]);
    assert_eq!(
        network.describe_network_interfaces(&[], &[filter("colour", &["red"])]),
        Err(Ec2Error::InvalidFilter("colour".into()))
    );
    assert_eq!(network.describe_network_interfaces(std::slice::from_ref(&eni.id), &[]).unwrap().len(), 1);

    network.delete_network_interface(&eni.id).unwrap();
    assert!(!network.tags.contains_key(&eni.id));
    assert_eq!(network.subnets[&subnet].available_ip_address_count(), before);
    assert_eq!(network.delete_network_interface(&eni.id), Err(Ec2Error::NetworkInterfaceNotFound(eni.id.clone())));
}

#[test]
fn bad_input_gets_ec2_s_errors() {
    let (mut network, mut ids, subnet, _) = network();
    let long = "x".repeat(256);
    for description in [long.as_str(), "nul\0byte"] {
        let input = CreateNetworkInterface { description: Some(description.into()), ..in_subnet(&subnet) };
        assert!(matches!(create(&mut network, &mut ids, input), Err(Ec2Error::InvalidParameterValue(_))));
    }
    let fine = CreateNetworkInterface { description: Some("é".repeat(255)), ..in_subnet(&subnet) };
    assert!(create(&mut network, &mut ids, fine).is_ok(), "255 characters are fine");
    assert_eq!(
        create(&mut network, &mut ids, CreateNetworkInterface::default()),
        Err(Ec2Error::MissingParameter("The request must contain the parameter subnetId".into()))
    );
    assert_eq!(
        create(&mut network, &mut ids, in_subnet("subnet-nope")),
        Err(Ec2Error::SubnetNotFound("subnet-nope".into()))
    );
    let groups = CreateNetworkInterface { groups: vec!["sg-nope".into()], ..in_subnet(&subnet) };
    assert!(matches!(create(&mut network, &mut ids, groups), Err(Ec2Error::GroupNotFound(_))));
    let too_many = CreateNetworkInterface { secondary_count: Some(50), ..in_subnet(&subnet) };
    assert!(matches!(create(&mut network, &mut ids, too_many), Err(Ec2Error::PrivateIpAddressLimitExceeded(_))));
    let outside = CreateNetworkInterface { private_ip: Some("10.9.9.9".into()), ..in_subnet(&subnet) };
    assert!(matches!(create(&mut network, &mut ids, outside), Err(Ec2Error::InvalidParameterValue(_))));
    let garbage = CreateNetworkInterface { private_ip: Some("not-an-ip".into()), ..in_subnet(&subnet) };
    assert!(matches!(create(&mut network, &mut ids, garbage), Err(Ec2Error::InvalidParameterValue(_))));
    for id in ["eni-nope", "garbage", "eni-", "ENI-0123456789ABCDEF0"] {
        assert_eq!(network.delete_network_interface(id), Err(Ec2Error::NetworkInterfaceIdMalformed(id.into())));
    }
    assert_eq!(
        network.describe_network_interfaces(&["eni-0123456789abcdef0".into()], &[]),
        Err(Ec2Error::NetworkInterfaceNotFound("eni-0123456789abcdef0".into()))
    );
    assert_eq!(
        network.detach_network_interface("eni-attach-nope"),
        Err(Ec2Error::AttachmentIdMalformed("eni-attach-nope".into()))
    );
    assert_eq!(
        network.detach_network_interface("eni-attach-0123456789abcdef0"),
        Err(Ec2Error::AttachmentNotFound("eni-attach-0123456789abcdef0".into()))
    );
    // Tags follow EC2's tag rules on interfaces too.
    let eni = create(&mut network, &mut ids, in_subnet(&subnet)).unwrap();
    let many: Tags = (0..51).map(|n| (format!("k{n}"), String::new())).collect();
    assert!(matches!(network.create_tags(std::slice::from_ref(&eni.id), &many), Err(Ec2Error::TagLimitExceeded(_))));
}

#[test]
fn attach_detach_and_addresses_follow_the_instance_type() {
    let (mut network, mut ids, subnet, instance) = network();
    let eni = create(&mut network, &mut ids, in_subnet(&subnet)).unwrap();
    let primary = network.instances[&instance].network_interfaces[0].clone();
    assert!(matches!(
        network.attach_network_interface(&mut ids, &eni.id, &instance, Some(0), NOW),
        Err(Ec2Error::InvalidParameterValue(_))
    ));
    assert!(matches!(
        network.attach_network_interface(&mut ids, &eni.id, &instance, None, NOW),
        Err(Ec2Error::MissingParameter(_))
    ));
    let attachment = network.attach_network_interface(&mut ids, &eni.id, &instance, Some(1), NOW).unwrap();
    assert!(is_attachment_id(&attachment), "{attachment}");
    assert_eq!(network.network_interfaces[&eni.id].status(), "in-use");
    assert_eq!(network.instances[&instance].network_interfaces, vec![primary.clone(), eni.id.clone()]);
    assert!(matches!(network.delete_network_interface(&eni.id), Err(Ec2Error::NetworkInterfaceInUse(_))));
    assert!(matches!(
        network.attach_network_interface(&mut ids, &eni.id, &instance, Some(2), NOW),
        Err(Ec2Error::NetworkInterfaceInUse(_))
    ));

    // A t3.medium's interfaces hold 6 addresses each: the primary and 5 more.
    assert_eq!(network.assign_interface_ips(&eni.id, &[], Some(4)).unwrap().len(), 4);
    assert!(matches!(
        network.assign_interface_ips(&eni.id, &[], Some(2)),
        Err(Ec2Error::PrivateIpAddressLimitExceeded(_))
    ));
    let chosen = network.assign_interface_ips(&eni.id, &["10.0.1.200".into()], None).unwrap();
    assert_eq!(chosen, vec![Ipv4Addr::new(10, 0, 1, 200)]);
    assert!(matches!(network.assign_interface_ips(&eni.id, &[], None), Err(Ec2Error::MissingParameter(_))));
    network.unassign_interface_ips(&eni.id, &["10.0.1.200".into()]).unwrap();
    assert!(!network.subnets[&subnet].allocated.contains(&Ipv4Addr::new(10, 0, 1, 200)));
    let primary_ip = network.network_interfaces[&eni.id].private_ip.to_string();
    assert!(matches!(network.unassign_interface_ips(&eni.id, &[primary_ip]), Err(Ec2Error::InvalidParameterValue(_))));
    // A taken address is refused.
    let taken = network.network_interfaces[&eni.id].secondary_ips[0].to_string();
    let other = create(&mut network, &mut ids, in_subnet(&subnet)).unwrap();
    assert!(matches!(network.assign_interface_ips(&other.id, &[taken], None), Err(Ec2Error::InvalidParameterValue(_))));

    // Three interfaces at most on a t3.medium.
    network.attach_network_interface(&mut ids, &other.id, &instance, Some(2), NOW).unwrap();
    let fourth = create(&mut network, &mut ids, in_subnet(&subnet)).unwrap();
    assert!(matches!(
        network.attach_network_interface(&mut ids, &fourth.id, &instance, Some(3), NOW),
        Err(Ec2Error::AttachmentLimitExceeded(_))
    ));

    // The primary interface stays; the others detach.
    let primary_attachment = network.network_interfaces[&primary].attachment.clone().unwrap().id;
    assert!(matches!(network.detach_network_interface(&primary_attachment), Err(Ec2Error::OperationNotPermitted(_))));
    network.detach_network_interface(&attachment).unwrap();
    assert_eq!(network.network_interfaces[&eni.id].status(), "available");
    assert_eq!(network.instances[&instance].network_interfaces, vec![primary.clone(), other.id.clone()]);

    // Terminating deletes the primary interface and those marked DeleteOnTermination, and detaches the rest.
    let other_attachment = network.network_interfaces[&other.id].attachment.clone().unwrap().id;
    let change = InterfaceChange::DeleteOnTermination { attachment_id: other_attachment, value: false };
    network.modify_network_interface_attribute(&other.id, change).unwrap();
    network.change_instance_states(std::slice::from_ref(&instance), StateRequest::Terminate, NOW).unwrap();
    assert!(!network.network_interfaces.contains_key(&primary));
    assert_eq!(network.network_interfaces[&other.id].status(), "available");
    assert!(network.instances[&instance].network_interfaces.is_empty());
}

#[test]
fn attributes_change_one_at_a_time() {
    let (mut network, mut ids, subnet, _) = network();
    let eni = create(&mut network, &mut ids, in_subnet(&subnet)).unwrap();
    network.modify_network_interface_attribute(&eni.id, InterfaceChange::Description("web".into())).unwrap();
    network.modify_network_interface_attribute(&eni.id, InterfaceChange::SourceDestCheck(false)).unwrap();
    let stored = &network.network_interfaces[&eni.id];
    assert_eq!((stored.description.as_str(), stored.source_dest_check), ("web", false));
    assert!(matches!(
        network.modify_network_interface_attribute(&eni.id, InterfaceChange::Description("x".repeat(300))),
        Err(Ec2Error::InvalidParameterValue(_))
    ));
    assert!(matches!(
        network.modify_network_interface_attribute(&eni.id, InterfaceChange::Groups(vec!["sg-nope".into()])),
        Err(Ec2Error::GroupNotFound(_))
    ));
    let change =
        InterfaceChange::DeleteOnTermination { attachment_id: "eni-attach-0123456789abcdef0".into(), value: true };
    assert!(matches!(
        network.modify_network_interface_attribute(&eni.id, change),
        Err(Ec2Error::AttachmentNotFound(_))
    ));
}

#[test]
fn a_subnet_with_an_interface_is_not_deleted() {
    let (mut network, mut ids, _, _) = network();
    let vpc = network.vpcs.values().find(|vpc| !vpc.is_default).unwrap().id.clone();
    let request = CreateSubnet { vpc_id: vpc, cidr_block: Some("10.0.2.0/24".into()), ..CreateSubnet::default() };
    let subnet = network.create_subnet(&mut ids, &request).unwrap().id;
    let eni = create(&mut network, &mut ids, in_subnet(&subnet)).unwrap();
    assert_eq!(
        network.delete_subnet(&subnet),
        Err(Ec2Error::DependencyViolation(format!("The subnet '{subnet}' has dependencies and cannot be deleted.")))
    );
    network.delete_network_interface(&eni.id).unwrap();
    network.delete_subnet(&subnet).unwrap();
}

#[test]
fn a_service_managed_interface_is_in_use_and_only_its_service_deletes_it() {
    let (mut network, mut ids, subnet, _) = network();
    let before = network.subnets[&subnet].available_ip_address_count();
    let input =
        CreateNetworkInterface { interface_type: Some("efs".into()), requester_managed: true, ..in_subnet(&subnet) };
    let eni = create(&mut network, &mut ids, input).unwrap();
    assert_eq!((eni.status(), eni.interface_type()), ("in-use", "efs"));
    let found = network.describe_network_interfaces(&[], &[filter("interface-type", &["efs"])]).unwrap();
    assert_eq!(found.iter().map(|eni| eni.id.as_str()).collect::<Vec<_>>(), [eni.id.as_str()]);
    let managed = network.describe_network_interfaces(&[], &[filter("requester-managed", &["true"])]).unwrap();
    assert_eq!(managed.len(), 1);
    assert!(matches!(network.delete_network_interface(&eni.id), Err(Ec2Error::NetworkInterfaceInUse(_))));
    assert!(network.delete_subnet(&subnet).is_err(), "the subnet holds the interface's address");
    network.delete_managed_interface(&eni.id).unwrap();
    network.delete_managed_interface(&eni.id).unwrap();
    assert_eq!(network.subnets[&subnet].available_ip_address_count(), before);
    let plain = create(&mut network, &mut ids, in_subnet(&subnet)).unwrap();
    assert_eq!(plain.interface_type(), "interface");
    assert!(matches!(network.delete_managed_interface(&plain.id), Err(Ec2Error::OperationNotPermitted(_))));
}

#[test]
fn a_group_in_use_by_an_interface_or_named_by_a_rule_is_not_deleted() {
    let (mut network, mut ids, subnet, _instance) = network();
    let vpc_id = network.subnets[&subnet].vpc_id.clone();
    let mut group = |name: &str| {
        let input = crate::ec2::CreateSecurityGroup {
            name: Some(name.into()),
            description: Some(name.into()),
            vpc_id: Some(vpc_id.clone()),
            tags: Tags::new(),
        };
        network.create_security_group(&mut ids, &input).unwrap().id
    };
    let (web, other, peer) = (group("web"), group("other"), group("peer"));
    let busy = |id: &str| Err(Ec2Error::DependencyViolation(format!("resource {id} has a dependent object")));
    let eni =
        create(&mut network, &mut ids, CreateNetworkInterface { groups: vec![web.clone()], ..in_subnet(&subnet) })
            .unwrap();
    assert_eq!(network.delete_security_group(&web), busy(&web));
    assert!(network.security_groups.contains_key(&web), "a refused delete changes nothing");

    // Moving the interface to another group frees the first, and tells a racing delete that groups moved.
    network.moved.clear();
    network.modify_network_interface_attribute(&eni.id, InterfaceChange::Groups(vec![other.clone()])).unwrap();
    assert!(network.moved.contains(&crate::ec2::Kind::NetworkInterface));
    network.delete_security_group(&web).unwrap();
    assert_eq!(network.delete_security_group(&other), busy(&other));
    network.delete_network_interface(&eni.id).unwrap();

    // A rule of another group that names it as its peer keeps it too, until revoked.
    let rule = crate::ec2::Rule::new(
        "6",
        Some(443),
        Some(443),
        crate::ec2::Peer::Group { group_id: other.clone(), user_id: String::new() },
    );
    network.authorize(&peer, crate::ec2::Direction::Ingress, std::slice::from_ref(&rule)).unwrap();
    assert_eq!(network.delete_security_group(&other), busy(&other));
    network.revoke(&peer, crate::ec2::Direction::Ingress, &[rule]).unwrap();
    network.delete_security_group(&other).unwrap();
}
