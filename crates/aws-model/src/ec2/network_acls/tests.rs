use super::*;
use crate::ec2::CreateSubnet;

fn filter(name: &str, values: &[&str]) -> Filter {
    Filter { name: name.into(), values: values.iter().map(|v| v.to_string()).collect() }
}

/// A VPC `10.0.0.0/16` with a `/24` subnet.
fn network() -> (Network, IdSource, String, String) {
    let mut ids = IdSource::Sequence(0);
    let mut network = Network::new("000000000000", "us-east-1");
    network.initialize(&mut ids);
    let vpc = network.create_vpc(&mut ids, Some("10.0.0.0/16"), None, &Tags::new()).unwrap().id;
    let request =
        CreateSubnet { vpc_id: vpc.clone(), cidr_block: Some("10.0.1.0/24".into()), ..CreateSubnet::default() };
    let subnet = network.create_subnet(&mut ids, &request).unwrap().id;
    (network, ids, vpc, subnet)
}

fn entry(rule_number: i64, egress: bool, protocol: &str, action: &str) -> AclEntryRequest {
    AclEntryRequest {
        rule_number: Some(rule_number),
        egress: Some(egress),
        protocol: Some(protocol.into()),
        action: Some(action.into()),
        cidr_block: Some("10.0.0.0/8".into()),
        port_range: (Some(443), Some(443)),
        icmp: (None, None),
    }
}

#[test]
fn every_vpc_has_a_default_acl_allowing_everything_associated_with_its_subnets() {
    let (network, _, vpc, subnet) = network();
    let acl = network.default_acl(&vpc).unwrap();
    let rules: Vec<(u32, bool, &str, &str)> =
        acl.entries.iter().map(|e| (e.rule_number, e.egress, e.protocol.as_str(), e.action.as_str())).collect();
    assert_eq!(
        rules,
        [
            (100, false, "-1", "allow"),
            (32767, false, "-1", "deny"),
            (100, true, "-1", "allow"),
            (32767, true, "-1", "deny")
        ]
    );
    assert_eq!(
        network.acl_associations(acl),
        vec![(subnet.clone(), network.subnets[&subnet].default_acl_association_id())]
    );
    let default_vpc = network.default_vpc().unwrap().id.clone();
    assert!(network.default_acl(&default_vpc).is_some(), "the default VPC's too");
    let found = |filters: &[Filter]| -> Vec<String> {
        network.describe_network_acls(&[], filters).unwrap().iter().map(|acl| acl.id.clone()).collect()
    };
    assert_eq!(found(&[filter("vpc-id", &[&vpc]), filter("default", &["true"])]), vec![acl.id.clone()]);
    assert_eq!(found(&[filter("association.subnet-id", &[&subnet])]), vec![acl.id.clone()]);
    assert_eq!(found(&[filter("network-acl-id", &[&acl.id])]), vec![acl.id.clone()]);
    assert_eq!(found(&[filter("vpc-id", &[&vpc]), filter("default", &["false"])]), Vec::<String>::new());
    assert_eq!(
        network.describe_network_acls(&[], &[filter("colour", &[])]),
        Err(Ec2Error::InvalidFilter("colour".into()))
    );
    assert_eq!(
        network.describe_network_acls(&["acl-0123456789abcdef0".into()], &[]),
        Err(Ec2Error::NetworkAclNotFound("acl-0123456789abcdef0".into()))
    );
    assert_eq!(
        network.describe_network_acls(&["garbage".into()], &[]),
        Err(Ec2Error::NetworkAclIdMalformed("garbage".into()))
    );
}

#[test]
fn entries_are_created_replaced_and_deleted_by_number_and_direction() {
    let (mut network, mut ids, vpc, _) = network();
    let acl = network.create_network_acl(&mut ids, &vpc, &Tags::new()).unwrap();
    assert_eq!(acl.entries.len(), 2, "only the * rules");
    network.create_network_acl_entry(&acl.id, &entry(100, false, "tcp", "allow")).unwrap();
    network.create_network_acl_entry(&acl.id, &entry(100, true, "-1", "deny")).unwrap();
    assert_eq!(
        network.create_network_acl_entry(&acl.id, &entry(100, false, "6", "deny")),
        Err(Ec2Error::NetworkAclEntryExists(100))
    );
    let stored = &network.network_acls[&acl.id].entries;
    let ingress = stored.iter().find(|e| e.rule_number == 100 && !e.egress).unwrap();
    assert_eq!((ingress.protocol.as_str(), ingress.port_range), ("6", Some((443, 443))));
    network.replace_network_acl_entry(&acl.id, &entry(100, false, "17", "deny")).unwrap();
    assert_eq!(
        network.replace_network_acl_entry(&acl.id, &entry(200, false, "17", "deny")),
        Err(Ec2Error::NetworkAclEntryNotFound(200))
    );
    network.delete_network_acl_entry(&acl.id, Some(100), Some(true)).unwrap();
    assert_eq!(
        network.delete_network_acl_entry(&acl.id, Some(100), Some(true)),
        Err(Ec2Error::NetworkAclEntryNotFound(100))
    );
    // Bad input.
    for bad in [
        entry(0, false, "-1", "allow"),
        entry(32767, false, "-1", "allow"),
        entry(5, false, "bogus", "allow"),
        entry(5, false, "-1", "maybe"),
    ] {
        assert!(
            matches!(network.create_network_acl_entry(&acl.id, &bad), Err(Ec2Error::InvalidParameterValue(_))),
            "{bad:?}"
        );
    }
    let no_ports = AclEntryRequest { port_range: (None, None), ..entry(5, false, "tcp", "allow") };
    assert!(matches!(network.create_network_acl_entry(&acl.id, &no_ports), Err(Ec2Error::MissingParameter(_))));
    assert!(matches!(
        network.delete_network_acl_entry(&acl.id, Some(32767), Some(false)),
        Err(Ec2Error::InvalidParameterValue(_))
    ));
    // At most 20 rules a direction.
    for number in 1..=19 {
        network.create_network_acl_entry(&acl.id, &entry(number, false, "-1", "allow")).unwrap();
    }
    assert_eq!(
        network.create_network_acl_entry(&acl.id, &entry(300, false, "-1", "allow")),
        Err(Ec2Error::NetworkAclEntryLimitExceeded)
    );
}

#[test]
fn associations_move_between_acls_and_hold_acls_and_vpcs() {
    let (mut network, mut ids, vpc, subnet) = network();
    let default = network.default_acl(&vpc).unwrap().id.clone();
    let first = network.subnets[&subnet].default_acl_association_id();
    let acl = network.create_network_acl(&mut ids, &vpc, &Tags::new()).unwrap();
    assert!(matches!(network.delete_network_acl(&default), Err(Ec2Error::InvalidParameterValue(_))));
    let second = network.replace_network_acl_association(&mut ids, &first, &acl.id).unwrap();
    assert_ne!(second, first);
    assert_eq!(network.acl_associations(&network.network_acls[&acl.id]), vec![(subnet.clone(), second.clone())]);
    assert!(network.acl_associations(&network.network_acls[&default]).is_empty());
    assert_eq!(
        network.replace_network_acl_association(&mut ids, &first, &acl.id),
        Err(Ec2Error::AssociationNotFound(first))
    );
    assert!(matches!(network.delete_network_acl(&acl.id), Err(Ec2Error::DependencyViolation(_))));
    // An ACL of another VPC is refused.
    let other_vpc = network.default_vpc().unwrap().id.clone();
    let other = network.default_acl(&other_vpc).unwrap().id.clone();
    assert!(matches!(
        network.replace_network_acl_association(&mut ids, &second, &other),
        Err(Ec2Error::InvalidParameterValue(_))
    ));
    // A VPC with an ACL of its own has dependencies; its default ACL goes with it.
    let back = network.replace_network_acl_association(&mut ids, &second, &default).unwrap();
    network.delete_subnet(&subnet).unwrap();
    assert!(network.subnet_of_acl_association(&back).is_none());
    assert!(matches!(network.delete_vpc(&vpc), Err(Ec2Error::DependencyViolation(_))));
    network.delete_network_acl(&acl.id).unwrap();
    network.delete_vpc(&vpc).unwrap();
    assert!(!network.network_acls.contains_key(&default));
}
