use super::*;
use crate::ec2::network::allow_all_egress;
use crate::ec2::{CreateSecurityGroup, IdSource, Tags};

fn tcp(port: i64, cidr: &str) -> Rule {
    Rule::new("tcp", Some(port), Some(port), Peer::Cidr(cidr.into()))
}

/// A network with a VPC and a group `g` in it.
fn network() -> (Network, String) {
    let mut network = Network::new("000000000000", "us-west-2");
    let mut ids = IdSource::Sequence(1);
    let vpc = network.create_vpc(&mut ids, Some("10.0.0.0/16"), None, &Tags::new()).unwrap();
    let input = CreateSecurityGroup {
        name: Some("g".into()),
        description: Some("d".into()),
        vpc_id: Some(vpc.id),
        tags: Tags::new(),
    };
    let group = network.create_security_group(&mut ids, &input).unwrap();
    (network, group.id)
}

fn ids(rules: &[Rule]) -> Vec<String> {
    rules.iter().map(|rule| rule.id.clone()).collect()
}

#[test]
fn every_rule_has_a_stable_id_and_records_without_ids_get_the_same_ones() {
    let (mut network, group_id) = network();
    let added = network.authorize(&group_id, Direction::Ingress, &[tcp(22, "10.0.0.0/8"), tcp(443, "0.0.0.0/0")]);
    let added = added.unwrap();
    assert!(added.iter().all(|rule| rule.id.len() == 21 && rule.id.starts_with("sgr-")), "{added:?}");
    assert_ne!(added[0].id, added[1].id);
    let group = network.security_groups[&group_id].clone();
    assert_eq!(ids(&group.ingress), ids(&added));
    // A record written before rules had ids: its rules get the ids earlier versions derived (from the group and
    // the traffic alone), the same at every read.
    let mut old = group.clone();
    old.rules_added = 0;
    for rule in old.ingress.iter_mut().chain(old.egress.iter_mut()) {
        rule.id.clear();
    }
    let mut tags = std::collections::BTreeMap::new();
    let mut read_again = old.clone();
    settle_read_group(&mut tags, &mut old);
    settle_read_group(&mut tags, &mut read_again);
    assert_eq!(old, read_again);
    assert_eq!(old.ingress[0].id, rule_id(&group_id, Direction::Ingress, &tcp(22, "10.0.0.0/8"), 0));
    assert_eq!(old.rules_added, 0, "reading counts nothing");
    // The default group of a VPC has ids too.
    assert!(network.group_rules().all(|found| found.rule.id.starts_with("sgr-")));
}

#[test]
fn a_modified_rule_keeps_its_id_and_a_new_rule_for_its_old_traffic_gets_another() {
    let (mut network, group_id) = network();
    let [ssh] = network.authorize(&group_id, Direction::Ingress, &[tcp(22, "10.0.0.0/8")]).unwrap().try_into().unwrap();
    let change = Rule { description: Some("ssh from the office".into()), ..tcp(2222, "10.1.0.0/16") };
    network.modify_security_group_rules(&group_id, &[(ssh.id.clone(), change)]).unwrap();
    let found = network.group_rule(&ssh.id).unwrap();
    assert_eq!((found.rule.from_port, found.rule.description.as_deref()), (Some(2222), Some("ssh from the office")));
    let [again] =
        network.authorize(&group_id, Direction::Ingress, &[tcp(22, "10.0.0.0/8")]).unwrap().try_into().unwrap();
    assert_ne!(again.id, ssh.id);
    // A change that would duplicate another rule is refused, and nothing changes.
    let refused = network.modify_security_group_rules(&group_id, &[(ssh.id.clone(), tcp(22, "10.0.0.0/8"))]);
    assert!(matches!(refused, Err(Ec2Error::PermissionDuplicate(_))), "{refused:?}");
    assert_eq!(network.group_rule(&ssh.id).unwrap().rule.from_port, Some(2222));
}

#[test]
fn rules_are_described_filtered_revoked_by_id_and_lose_their_tags() {
    let (mut network, group_id) = network();
    let tags: Tags = [("team".to_owned(), "web".to_owned())].into_iter().collect();
    let added = network.authorize_tagged(&group_id, Direction::Ingress, &[tcp(80, "0.0.0.0/0")], &tags).unwrap();
    let egress = network.security_groups[&group_id].egress[0].id.clone();
    let filter = |name: &str, value: &str| vec![Filter { name: name.into(), values: vec![value.into()] }];
    let described = |network: &Network, filters: &[Filter]| {
        let found = network.describe_security_group_rules(&[], filters).unwrap();
        found.into_iter().map(|found| found.rule.id.clone()).collect::<Vec<_>>()
    };
    assert_eq!(described(&network, &filter("tag:team", "web")), ids(&added));
    let mut both = vec![added[0].id.clone(), egress.clone()];
    both.sort();
    assert_eq!(described(&network, &filter("group-id", &group_id)), both);
    assert_eq!(described(&network, &filter("security-group-rule-id", &egress)), std::slice::from_ref(&egress));
    assert!(matches!(
        network.describe_security_group_rules(&[], &filter("colour", "x")),
        Err(Ec2Error::InvalidFilter(_))
    ));
    assert_eq!(
        network.describe_security_group_rules(&["sgr-0123456789abcdef0".into()], &[]).map(drop),
        Err(Ec2Error::SecurityGroupRuleNotFound("sgr-0123456789abcdef0".into()))
    );
    assert!(matches!(network.group_rule("sg-1"), Err(Ec2Error::SecurityGroupRuleIdMalformed(_))));
    assert!(matches!(network.group_rule("sgr-\0"), Err(Ec2Error::SecurityGroupRuleIdMalformed(_))));
    // An ingress rule is not revoked as egress; the egress rule is.
    let wrong = network.revoke_rule_ids(&group_id, Direction::Egress, &[added[0].id.clone()]);
    assert_eq!(wrong, Err(Ec2Error::SecurityGroupRuleNotFound(added[0].id.clone())));
    let revoked = network.revoke_rule_ids(&group_id, Direction::Ingress, &[added[0].id.clone()]).unwrap();
    assert_eq!(ids(&revoked), ids(&added));
    assert!(!network.tags.contains_key(&added[0].id));
    assert!(network.revoke_rule_ids(&group_id, Direction::Egress, std::slice::from_ref(&egress)).is_ok());
    assert!(network.security_groups[&group_id].egress.is_empty());
}

#[test]
fn descriptions_are_updated_by_traffic_or_by_id_and_checked() {
    let (mut network, group_id) = network();
    let [web] = network.authorize(&group_id, Direction::Ingress, &[tcp(80, "0.0.0.0/0")]).unwrap().try_into().unwrap();
    let described = Rule { description: Some("web".into()), ..tcp(80, "0.0.0.0/0") };
    network.update_rule_descriptions(&group_id, Direction::Ingress, &[described], &[]).unwrap();
    assert_eq!(network.group_rule(&web.id).unwrap().rule.description.as_deref(), Some("web"));
    network.update_rule_descriptions(&group_id, Direction::Ingress, &[], &[(web.id.clone(), None)]).unwrap();
    assert_eq!(network.group_rule(&web.id).unwrap().rule.description, None);
    let bad = |description: &str| {
        network.clone().update_rule_descriptions(
            &group_id,
            Direction::Ingress,
            &[],
            &[(web.id.clone(), Some(description.into()))],
        )
    };
    assert!(matches!(bad("nul\0byte"), Err(Ec2Error::InvalidParameterValue(_))));
    assert!(matches!(bad(&"x".repeat(256)), Err(Ec2Error::InvalidParameterValue(_))));
    assert!(bad(&"x".repeat(255)).is_ok());
    let missing = network.update_rule_descriptions(&group_id, Direction::Ingress, &[tcp(81, "0.0.0.0/0")], &[]);
    assert_eq!(missing, Err(Ec2Error::PermissionNotFound));
    let neither = network.update_rule_descriptions(&group_id, Direction::Ingress, &[], &[]);
    assert!(matches!(neither, Err(Ec2Error::InvalidParameterCombination(_))));
}

#[test]
fn rule_tags_are_stored_in_the_group_record_and_read_back() {
    let (mut network, group_id) = network();
    let tags: Tags = [("Name".to_owned(), "ssh".to_owned())].into_iter().collect();
    let added = network.authorize_tagged(&group_id, Direction::Ingress, &[tcp(22, "10.0.0.0/8")], &tags).unwrap();
    let stored = network.group_to_store(&network.security_groups[&group_id]);
    assert_eq!(stored.ingress[0].tags, tags);
    let mut read = stored.clone();
    let mut read_tags = std::collections::BTreeMap::new();
    settle_read_group(&mut read_tags, &mut read);
    assert_eq!(read, network.security_groups[&group_id]);
    assert_eq!(read_tags.get(&added[0].id), Some(&tags));
    assert!(allow_all_egress().same_traffic(&read.egress[0]));
}

#[test]
fn a_rule_revoked_and_added_again_gets_a_new_id() {
    let (mut network, group_id) = network();
    let [first] =
        network.authorize(&group_id, Direction::Ingress, &[tcp(22, "10.0.0.0/8")]).unwrap().try_into().unwrap();
    network.revoke(&group_id, Direction::Ingress, &[tcp(22, "10.0.0.0/8")]).unwrap();
    let [again] =
        network.authorize(&group_id, Direction::Ingress, &[tcp(22, "10.0.0.0/8")]).unwrap().try_into().unwrap();
    assert_ne!(again.id, first.id);
    assert_eq!(network.group_rule(&again.id).unwrap().rule.from_port, Some(22));
    assert!(network.group_rule(&first.id).is_err());
    // The count the ids come from is the group's, stored with it.
    assert_eq!(network.security_groups[&group_id].rules_added, 3, "its first egress rule and the two added");
}
