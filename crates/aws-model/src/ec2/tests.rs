use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::sync::Arc;

use store::MemoryStore;

use super::cidr::Cidr;
use super::*;
use crate::clock::ManualClock;

fn network() -> (Network, IdSource) {
    let mut ids = IdSource::Sequence(0);
    let mut network = Network::new("000000000000", "us-east-1");
    network.initialize(&mut ids);
    (network, ids)
}

fn tags(pairs: &[(&str, &str)]) -> Tags {
    pairs.iter().map(|(key, value)| (key.to_string(), value.to_string())).collect()
}

fn filter(name: &str, values: &[&str]) -> Filter {
    Filter { name: name.into(), values: values.iter().map(|v| v.to_string()).collect() }
}

fn check_cidr(text: &str, expect: Option<&str>) {
    assert_eq!(Cidr::parse(text).map(|cidr| cidr.to_string()).as_deref(), expect, "{text}");
}

#[test]
fn cidr_blocks_parse_strictly() {
    check_cidr("10.0.0.0/16", Some("10.0.0.0/16"));
    check_cidr("0.0.0.0/0", Some("0.0.0.0/0"));
    check_cidr("192.168.1.128/25", Some("192.168.1.128/25"));
    check_cidr("10.0.0.1/16", None);
    check_cidr("10.0.0.0/33", None);
    check_cidr("10.0.0/16", None);
    check_cidr("10.0.0.0.0/16", None);
    check_cidr("256.0.0.0/8", None);
    check_cidr("010.0.0.0/8", None);
    check_cidr("10.0.0.0/", None);
    check_cidr("10.0.0.0/+8", None);
    check_cidr("garbage", None);
    check_cidr("", None);
    check_cidr("１0.0.0.0/8", None);
}

#[test]
fn cidr_containment_and_overlap() {
    let vpc = Cidr::parse("10.0.0.0/16").unwrap();
    let inside = Cidr::parse("10.0.1.0/24").unwrap();
    let outside = Cidr::parse("10.1.0.0/24").unwrap();
    assert!(vpc.contains(inside) && !vpc.contains(outside) && !inside.contains(vpc));
    assert!(vpc.overlaps(inside) && inside.overlaps(vpc) && !inside.overlaps(outside));
    assert_eq!(inside.size(), 256);
    assert_eq!(inside.nth(255), Some(Ipv4Addr::new(10, 0, 1, 255)));
    assert_eq!(inside.nth(256), None);
    assert_eq!(inside.offset_of(Ipv4Addr::new(10, 0, 1, 7)), Some(7));
    assert_eq!(inside.offset_of(Ipv4Addr::new(10, 0, 2, 7)), None);
}

fn check_zones(region: &str, expect: &[(&str, &str)]) {
    let zones: Vec<(String, String)> = zones::zones(region).into_iter().map(|zone| (zone.name, zone.id)).collect();
    let expect: Vec<(String, String)> = expect.iter().map(|(n, i)| (n.to_string(), i.to_string())).collect();
    assert_eq!(zones, expect, "{region}");
}

#[test]
fn regions_have_their_real_zones() {
    check_zones("us-west-1", &[("us-west-1a", "usw1-az1"), ("us-west-1c", "usw1-az3")]);
    check_zones(
        "ap-northeast-1",
        &[("ap-northeast-1a", "apne1-az4"), ("ap-northeast-1c", "apne1-az1"), ("ap-northeast-1d", "apne1-az2")],
    );
    check_zones("xx-test-9", &[("xx-test-9a", "xt9-az1"), ("xx-test-9b", "xt9-az2"), ("xx-test-9c", "xt9-az3")]);
    let counts: BTreeMap<&str, usize> = zones::regions().map(|region| (region, zones::zones(region).len())).collect();
    assert_eq!(counts["us-east-1"], 6);
    assert_eq!(counts["us-east-2"], 3);
    assert_eq!(counts["us-west-2"], 4);
    assert_eq!(counts["eu-west-1"], 3);
    assert_eq!(counts["eu-central-1"], 3);
    assert_eq!(counts["ap-southeast-1"], 3);
    assert_eq!(counts.len(), 17);
}

#[test]
fn zone_and_region_lookups_filter_and_refuse_unknown_names() {
    let names = |zones: Vec<zones::Zone>| zones.into_iter().map(|zone| zone.name).collect::<Vec<_>>();
    let all = describe_availability_zones("us-east-2", &[], &[], &[]).unwrap();
    assert_eq!(names(all), ["us-east-2a", "us-east-2b", "us-east-2c"]);
    let by_id = describe_availability_zones("us-east-2", &[], &[], &[filter("zone-id", &["use2-az2"])]).unwrap();
    assert_eq!(names(by_id), ["us-east-2b"]);
    let bad = describe_availability_zones("us-east-2", &["us-east-2z".into()], &[], &[]).unwrap_err();
    assert_eq!(bad, Ec2Error::InvalidParameterValue("Invalid availability zone: [us-east-2z]".into()));
    let bad_filter = describe_availability_zones("us-east-2", &[], &[], &[filter("colour", &["x"])]).unwrap_err();
    assert_eq!(bad_filter, Ec2Error::InvalidFilter("colour".into()));
    assert_eq!(describe_regions(&[], &[filter("region-name", &["eu-*"])]).unwrap().len(), 5);
    assert!(describe_regions(&["mars-1".into()], &[]).is_err());
}

#[test]
fn globs_match_as_ec2_filters_do() {
    for (pattern, text, expect) in [
        ("*", "", true),
        ("vpc-*", "vpc-123", true),
        ("vpc-?23", "vpc-123", true),
        ("vpc-?", "vpc-123", false),
        ("*-1?3", "vpc-123", true),
        ("a*b*c", "aXbYc", true),
        ("a*b*c", "aXbY", false),
        ("exact", "exact", true),
        ("exact", "exactly", false),
    ] {
        assert_eq!(glob(pattern, text), expect, "{pattern} {text}");
    }
}

#[test]
fn a_new_region_has_the_default_vpc_of_a_new_account() {
    let (network, _) = network();
    let vpc = network.default_vpc().unwrap();
    assert_eq!(vpc.cidr_block, "172.31.0.0/16");
    assert!(vpc.enable_dns_hostnames && vpc.enable_dns_support);
    let subnets = network.describe_subnets(&[], &[filter("default-for-az", &["true"])]).unwrap();
    let blocks: Vec<&str> = subnets.iter().map(|subnet| subnet.cidr_block.as_str()).collect();
    assert_eq!(blocks.len(), 6);
    assert!(blocks.contains(&"172.31.0.0/20") && blocks.contains(&"172.31.80.0/20"));
    assert!(subnets.iter().all(|subnet| subnet.map_public_ip_on_launch && subnet.available_ip_address_count() == 4091));
    let placement = network.subnet_placement(&subnets[0].id).unwrap();
    assert!(placement.public && placement.vpc_id == vpc.id);
    let groups = network.describe_security_groups(&[], &["default".into()], &[]).unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(network.internet_gateways.values().filter(|g| g.attached_vpc.as_ref() == Some(&vpc.id)).count(), 1);
}

fn check_create_vpc(cidr: Option<&str>, expect: Result<&str, Ec2Error>) {
    let (mut network, mut ids) = network();
    let got = network.create_vpc(&mut ids, cidr, None, &Tags::new()).map(|vpc| vpc.cidr_block);
    assert_eq!(got.as_deref().map_err(Clone::clone), expect, "{cidr:?}");
}

#[test]
fn vpc_blocks_are_16_to_28() {
    check_create_vpc(Some("10.0.0.0/16"), Ok("10.0.0.0/16"));
    check_create_vpc(Some("10.0.0.0/28"), Ok("10.0.0.0/28"));
    check_create_vpc(Some("10.0.0.0/8"), Err(Ec2Error::VpcRange("10.0.0.0/8".into())));
    check_create_vpc(Some("10.0.0.0/29"), Err(Ec2Error::VpcRange("10.0.0.0/29".into())));
    let garbage = "Value (banana) for parameter cidrBlock is invalid. This is not a valid CIDR block.";
    check_create_vpc(Some("banana"), Err(Ec2Error::InvalidParameterValue(garbage.into())));
    let missing = "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.";
    check_create_vpc(None, Err(Ec2Error::MissingParameter(missing.into())));
}

fn vpc_with_subnets(blocks: &[&str]) -> (Network, IdSource, String, Vec<String>) {
    let (mut network, mut ids) = network();
    let vpc = network.create_vpc(&mut ids, Some("10.0.0.0/16"), None, &Tags::new()).unwrap();
    let subnets = blocks
        .iter()
        .map(|block| {
            let input =
                CreateSubnet { vpc_id: vpc.id.clone(), cidr_block: Some(block.to_string()), ..Default::default() };
            network.create_subnet(&mut ids, &input).unwrap().id
        })
        .collect();
    (network, ids, vpc.id, subnets)
}

fn check_create_subnet(cidr: &str, zone: Option<&str>, expect: Result<(&str, &str), Ec2Error>) {
    let (mut network, mut ids, vpc_id, _) = vpc_with_subnets(&["10.0.1.0/24"]);
    let input = CreateSubnet {
        vpc_id,
        cidr_block: Some(cidr.into()),
        availability_zone: zone.map(str::to_owned),
        ..Default::default()
    };
    let got = network.create_subnet(&mut ids, &input);
    let got = got.as_ref().map(|s| (s.cidr_block.as_str(), s.availability_zone.as_str())).map_err(Clone::clone);
    assert_eq!(got, expect, "{cidr} {zone:?}");
}

#[test]
fn subnets_sit_inside_their_vpc_without_overlap_in_a_real_zone() {
    check_create_subnet("10.0.2.0/24", Some("us-east-1c"), Ok(("10.0.2.0/24", "us-east-1c")));
    check_create_subnet("10.0.2.0/24", None, Ok(("10.0.2.0/24", "us-east-1b")));
    check_create_subnet("10.0.1.128/25", None, Err(Ec2Error::SubnetConflict("10.0.1.128/25".into())));
    check_create_subnet("10.0.0.0/16", None, Err(Ec2Error::SubnetConflict("10.0.0.0/16".into())));
    check_create_subnet("10.1.0.0/24", None, Err(Ec2Error::SubnetRange("10.1.0.0/24".into())));
    check_create_subnet("10.0.0.0/29", None, Err(Ec2Error::SubnetRange("10.0.0.0/29".into())));
    let bad_zone = "Value (us-east-1z) for parameter availabilityZone is invalid. Subnets can currently only be \
                    created in the following availability zones: us-east-1a, us-east-1b, us-east-1c, us-east-1d, \
                    us-east-1e, us-east-1f.";
    check_create_subnet("10.0.2.0/24", Some("us-east-1z"), Err(Ec2Error::InvalidAvailabilityZone(bad_zone.into())));
    let garbage = "Value (10.0.2.0/24x) for parameter cidrBlock is invalid. This is not a valid CIDR block.";
    check_create_subnet("10.0.2.0/24x", None, Err(Ec2Error::InvalidParameterValue(garbage.into())));
}

#[test]
fn private_addresses_are_handed_out_once_and_counted() {
    let (mut network, _, _, subnets) = vpc_with_subnets(&["10.0.1.0/28"]);
    let subnet = &subnets[0];
    assert_eq!(network.subnets[subnet].available_ip_address_count(), 11);
    let handed: Vec<Ipv4Addr> = (0..11).map(|_| network.allocate_private_ip(subnet).unwrap()).collect();
    assert_eq!(handed[0], Ipv4Addr::new(10, 0, 1, 4));
    assert_eq!(handed[10], Ipv4Addr::new(10, 0, 1, 14));
    assert_eq!(network.allocate_private_ip(subnet), Err(Ec2Error::NoFreeAddress(subnet.clone())));
    assert_eq!(network.subnets[subnet].available_ip_address_count(), 0);
    assert!(matches!(network.delete_subnet(subnet), Err(Ec2Error::DependencyViolation(_))));
    network.release_private_ip(subnet, handed[3]).unwrap();
    assert_eq!(network.allocate_private_ip(subnet).unwrap(), handed[3]);
    assert_eq!(network.allocate_private_ip("subnet-nope"), Err(Ec2Error::SubnetNotFound("subnet-nope".into())));
}

#[test]
fn vpcs_are_deleted_only_without_dependencies() {
    let (mut network, mut ids, vpc_id, subnets) = vpc_with_subnets(&["10.0.1.0/24"]);
    let busy = Ec2Error::DependencyViolation(format!("The vpc '{vpc_id}' has dependencies and cannot be deleted."));
    assert_eq!(network.delete_vpc(&vpc_id), Err(busy.clone()));
    network.delete_subnet(&subnets[0]).unwrap();
    let gateway = network.create_internet_gateway(&mut ids, &Tags::new());
    network.attach_internet_gateway(&gateway.id, &vpc_id).unwrap();
    assert_eq!(network.delete_vpc(&vpc_id), Err(busy.clone()));
    network.detach_internet_gateway(&gateway.id, &vpc_id).unwrap();
    let input = CreateSecurityGroup {
        name: Some("web".into()),
        description: Some("web".into()),
        vpc_id: Some(vpc_id.clone()),
        tags: Tags::new(),
    };
    let group = network.create_security_group(&mut ids, &input).unwrap();
    assert_eq!(network.delete_vpc(&vpc_id), Err(busy));
    network.delete_security_group(&group.id).unwrap();
    network.delete_vpc(&vpc_id).unwrap();
    assert!(network.security_groups.values().all(|group| group.vpc_id != vpc_id));
    assert!(network.route_tables.values().all(|table| table.vpc_id != vpc_id));
    assert_eq!(network.delete_vpc(&vpc_id), Err(Ec2Error::VpcNotFound(vpc_id)));
}

fn tcp(port: i64, cidr: &str) -> Rule {
    Rule::new("6", Some(port), Some(port), Peer::Cidr(cidr.into()))
}

fn check_authorize(rules: &[Rule], expect: Result<usize, Ec2Error>) {
    let (mut network, mut ids, vpc_id, _) = vpc_with_subnets(&[]);
    let input = CreateSecurityGroup {
        name: Some("g".into()),
        description: Some("d".into()),
        vpc_id: Some(vpc_id),
        tags: Tags::new(),
    };
    let group = network.create_security_group(&mut ids, &input).unwrap();
    network.authorize(&group.id, Direction::Ingress, &[tcp(443, "0.0.0.0/0")]).unwrap();
    let got = network
        .authorize(&group.id, Direction::Ingress, rules)
        .map(|_| network.security_groups[&group.id].ingress.len());
    assert_eq!(got, expect, "{rules:?}");
}

#[test]
fn security_group_rules_are_checked_and_never_duplicated() {
    check_authorize(&[tcp(22, "10.0.0.0/8")], Ok(2));
    check_authorize(&[tcp(22, "10.0.0.0/8"), tcp(80, "10.0.0.0/8")], Ok(3));
    let duplicate = "peer: 0.0.0.0/0, TCP, from port: 443, to port: 443, ALLOW";
    check_authorize(&[tcp(443, "0.0.0.0/0")], Err(Ec2Error::PermissionDuplicate(duplicate.into())));
    let twice = "peer: 10.0.0.0/8, TCP, from port: 22, to port: 22, ALLOW";
    check_authorize(&[tcp(22, "10.0.0.0/8"), tcp(22, "10.0.0.0/8")], Err(Ec2Error::PermissionDuplicate(twice.into())));
    check_authorize(
        &[tcp(22, "10.0.0.0/33")],
        Err(Ec2Error::InvalidParameterValue("CIDR block 10.0.0.0/33 is malformed".into())),
    );
    let no_ports = Rule { from_port: None, ..tcp(22, "10.0.0.0/8") };
    check_authorize(
        &[no_ports],
        Err(Ec2Error::InvalidParameterValue(
            "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange".into(),
        )),
    );
    let bad_protocol = Rule { protocol: "tcpx".into(), ..tcp(22, "10.0.0.0/8") };
    check_authorize(
        &[bad_protocol],
        Err(Ec2Error::InvalidParameterValue("Invalid value 'tcpx' for IP protocol. Unknown protocol.".into())),
    );
    let unknown_peer = Rule { peer: Peer::Group { group_id: "sg-nope".into(), user_id: String::new() }, ..tcp(22, "") };
    check_authorize(
        &[unknown_peer],
        Err(Ec2Error::GroupNotFound("The security group 'sg-nope' does not exist".into())),
    );
    check_authorize(&[], Err(Ec2Error::MissingParameter("No IP permissions specified".into())));
}

#[test]
fn security_groups_are_unique_per_vpc_and_revocable() {
    let (mut network, mut ids, vpc_id, _) = vpc_with_subnets(&[]);
    let input = CreateSecurityGroup {
        name: Some("g".into()),
        description: Some("d".into()),
        vpc_id: Some(vpc_id.clone()),
        tags: Tags::new(),
    };
    let group = network.create_security_group(&mut ids, &input).unwrap();
    assert_eq!(group.egress.len(), 1);
    assert!(group.egress[0].same_traffic(&network::allow_all_egress()));
    assert!(group.egress[0].id.starts_with("sgr-"));
    let duplicate = network.create_security_group(&mut ids, &input).unwrap_err();
    assert_eq!(duplicate, Ec2Error::GroupDuplicate { name: "g".into(), vpc_id: vpc_id.clone() });
    let in_default = CreateSecurityGroup { vpc_id: None, ..input.clone() };
    assert_ne!(network.create_security_group(&mut ids, &in_default).unwrap().vpc_id, vpc_id);
    let no_description = CreateSecurityGroup { description: None, ..input.clone() };
    assert!(matches!(network.create_security_group(&mut ids, &no_description), Err(Ec2Error::MissingParameter(_))));
    assert_eq!(network.revoke(&group.id, Direction::Egress, &[network::allow_all_egress()]).unwrap(), group.egress);
    assert_eq!(
        network.revoke(&group.id, Direction::Egress, &[network::allow_all_egress()]),
        Err(Ec2Error::PermissionNotFound)
    );
    let default = network.find_group(None, Some("default")).unwrap();
    assert!(matches!(network.delete_security_group(&default), Err(Ec2Error::CannotDelete(_))));
}

#[test]
fn routes_nat_gateways_and_addresses_hang_together() {
    let (mut network, mut ids, vpc_id, subnets) = vpc_with_subnets(&["10.0.1.0/24", "10.0.2.0/24"]);
    let (public, private) = (&subnets[0], &subnets[1]);
    let gateway = network.create_internet_gateway(&mut ids, &Tags::new());
    let table = network.create_route_table(&mut ids, &vpc_id, &Tags::new()).unwrap();
    let different = network.create_route(&table.id, Some("0.0.0.0/0"), Some(&gateway.id), None).unwrap_err();
    assert!(matches!(different, Ec2Error::InvalidParameterValue(_)));
    network.attach_internet_gateway(&gateway.id, &vpc_id).unwrap();
    network.create_route(&table.id, Some("0.0.0.0/0"), Some(&gateway.id), None).unwrap();
    let again = network.create_route(&table.id, Some("0.0.0.0/0"), Some(&gateway.id), None);
    assert_eq!(again, Err(Ec2Error::RouteAlreadyExists("0.0.0.0/0".into())));
    assert!(!network.subnet_placement(public).unwrap().public);
    let association = network.associate_route_table(&mut ids, &table.id, public).unwrap();
    assert!(network.subnet_placement(public).unwrap().public);
    assert!(matches!(network.associate_route_table(&mut ids, &table.id, public), Err(Ec2Error::AlreadyAssociated(_))));

    let address = network.allocate_address(&mut ids, &Tags::new()).unwrap();
    let nat =
        network.create_nat_gateway(&mut ids, Some(public), Some(&address.allocation_id), 5.0, &Tags::new()).unwrap();
    assert_eq!((nat.state.as_str(), nat.private_ip), ("available", Ipv4Addr::new(10, 0, 1, 4)));
    let reused = network.create_nat_gateway(&mut ids, Some(public), Some(&address.allocation_id), 5.0, &Tags::new());
    assert_eq!(reused.unwrap_err(), Ec2Error::AddressInUse(address.allocation_id.clone()));
    assert_eq!(
        network.release_address(Some(&address.allocation_id), None),
        Err(Ec2Error::AddressInUse(address.allocation_id.clone()))
    );
    let private_table = network.create_route_table(&mut ids, &vpc_id, &Tags::new()).unwrap();
    network.create_route(&private_table.id, Some("0.0.0.0/0"), None, Some(&nat.id)).unwrap();
    network.associate_route_table(&mut ids, &private_table.id, private).unwrap();
    assert!(!network.subnet_placement(private).unwrap().public);
    assert!(matches!(network.delete_subnet(public), Err(Ec2Error::DependencyViolation(_))));
    assert!(matches!(network.delete_route_table(&table.id), Err(Ec2Error::DependencyViolation(_))));

    network.delete_nat_gateway(&nat.id, 9.0).unwrap();
    assert_eq!(network.nat_gateways[&nat.id].state, "deleted");
    let routes = &network.route_tables[&private_table.id];
    assert_eq!(network.route_state(routes, &routes.routes[1]), "blackhole");
    network.release_address(Some(&address.allocation_id), None).unwrap();
    network.disassociate_route_table(&association).unwrap();
    assert_eq!(network.disassociate_route_table(&association), Err(Ec2Error::AssociationNotFound(association)));
    network.delete_route_table(&table.id).unwrap();
    network.delete_subnet(public).unwrap();
    let delete_attached = network.delete_internet_gateway(&gateway.id).unwrap_err();
    assert!(matches!(delete_attached, Ec2Error::DependencyViolation(_)));
}

#[test]
fn tags_attach_to_every_kind_and_filter() {
    let (mut network, mut ids, vpc_id, subnets) = vpc_with_subnets(&["10.0.1.0/24"]);
    network.create_tags(&[vpc_id.clone(), subnets[0].clone()], &tags(&[("Name", "demo"), ("env", "test")])).unwrap();
    let by_tag = network.describe_vpcs(&[], &[filter("tag:Name", &["de*"])], 0.0).unwrap();
    assert_eq!(by_tag.iter().map(|vpc| vpc.id.clone()).collect::<Vec<_>>(), std::slice::from_ref(&vpc_id));
    assert_eq!(network.describe_subnets(&[], &[filter("tag-key", &["env"])]).unwrap().len(), 1);
    let described = network.describe_tags(&[filter("resource-type", &["subnet"])]).unwrap();
    assert_eq!(described.len(), 2);
    network
        .delete_tags(std::slice::from_ref(&vpc_id), &[("Name".into(), Some("other".into())), ("env".into(), None)])
        .unwrap();
    assert_eq!(network.tags[&vpc_id], tags(&[("Name", "demo")]));
    assert_eq!(
        network.create_tags(&["vpc-nope".into()], &tags(&[("a", "b")])),
        Err(Ec2Error::VpcNotFound("vpc-nope".into()))
    );
    assert_eq!(network.create_tags(&["bogus".into()], &tags(&[("a", "b")])), Err(Ec2Error::InvalidId("bogus".into())));
    assert!(network.create_tags(std::slice::from_ref(&vpc_id), &tags(&[("aws:x", "b")])).is_err());
    assert_eq!(
        network.describe_vpcs(&[], &[filter("colour", &["x"])], 0.0),
        Err(Ec2Error::InvalidFilter("colour".into()))
    );
    let _ = ids.id("unused");
}

#[tokio::test]
async fn the_service_stores_changes_and_never_hands_an_address_out_twice() {
    let ec2 = Ec2::new(Records::new(Arc::new(MemoryStore::new())), Arc::new(ManualClock::new(0.0)));
    let caller = Caller { account: "000000000000".into(), region: "eu-west-1".into(), arn: String::new() };
    let by_zone = |network: &Network| {
        let mut subnets: Vec<&Subnet> = network.subnets.values().collect();
        subnets.sort_by(|a, b| a.availability_zone.cmp(&b.availability_zone));
        subnets.iter().map(|subnet| subnet.id.clone()).collect::<Vec<_>>()
    };
    let subnets = ec2.view(&caller, &Scope::everything(), by_zone).await.unwrap();
    assert_eq!(subnets.len(), 3);
    let mut handed = Vec::new();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (ec2, caller, subnet) = (ec2.clone(), caller.clone(), subnets[0].clone());
            tokio::spawn(async move { ec2.allocate_private_ip(&caller, &subnet).await })
        })
        .collect();
    for task in tasks {
        handed.push(task.await.unwrap().unwrap());
    }
    handed.sort();
    handed.dedup();
    assert_eq!(handed.len(), 8);
    let placements = ec2.subnet_placements(&caller, &subnets[..2]).await.unwrap();
    assert_eq!(
        placements.iter().map(|p| p.availability_zone.as_str()).collect::<Vec<_>>(),
        ["eu-west-1a", "eu-west-1b"]
    );
    let missing = ec2.subnet_placements(&caller, &["subnet-nope".into()]).await.unwrap_err();
    assert_eq!(missing, Ec2Error::SubnetNotFound("subnet-nope".into()));
    ec2.release_private_ip(&caller, &subnets[0], handed[0]).await.unwrap();
    let other_region = Caller { region: "us-west-1".into(), ..caller.clone() };
    assert_eq!(ec2.view(&other_region, &Scope::everything(), |network| network.subnets.len()).await.unwrap(), 2);
}
