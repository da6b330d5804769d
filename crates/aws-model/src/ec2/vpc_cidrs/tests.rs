use std::sync::Arc;

use store::MemoryStore;

use super::super::*;
use crate::clock::ManualClock;

const NOW: f64 = 1_800_000_000.0;

/// A fresh region with one VPC of `primary` and the secondary blocks `before` associated in order.
fn vpc(primary: &str, before: &[&str]) -> (Network, IdSource, String) {
    let mut ids = IdSource::Sequence(0);
    let mut network = Network::new("000000000000", "us-east-1");
    network.initialize(&mut ids);
    let vpc = network.create_vpc(&mut ids, Some(primary), None, &Tags::new()).unwrap().id;
    for block in before {
        network.associate_vpc_cidr_block(&mut ids, &vpc, Some(block), NOW).unwrap();
    }
    (network, ids, vpc)
}

/// The name of an error's variant, so that a case names the refusal without its whole message.
fn variant(error: &Ec2Error) -> String {
    let debug = format!("{error:?}");
    debug.split(['(', ' ', '{']).next().unwrap_or_default().to_owned()
}

fn check(primary: &str, before: &[&str], cidr: Option<&str>, expect: Result<&str, &str>) {
    let (mut network, mut ids, vpc_id) = vpc(primary, before);
    let got = network.associate_vpc_cidr_block(&mut ids, &vpc_id, cidr, NOW);
    let got = got.as_ref().map(|block| block.cidr_block.as_str()).map_err(variant);
    assert_eq!(got, expect.map_err(str::to_owned), "{primary} {before:?} + {cidr:?}");
    if got.is_err() {
        let blocks = network.vpcs[&vpc_id].associated_blocks().len();
        assert_eq!(blocks, 1 + before.len(), "a refused block leaves the VPC as it was");
    }
}

#[test]
fn blocks_are_16_to_28_well_formed_and_apart() {
    check("10.0.0.0/16", &[], Some("100.64.0.0/16"), Ok("100.64.0.0/16"));
    check("10.0.0.0/16", &[], Some("10.1.0.0/16"), Ok("10.1.0.0/16"));
    check("10.0.0.0/16", &[], Some("10.1.0.0/28"), Ok("10.1.0.0/28"));
    check("10.0.0.0/16", &[], Some("10.0.0.0/8"), Err("VpcRange"));
    check("10.0.0.0/16", &[], Some("10.2.0.0/15"), Err("VpcRange"));
    check("10.0.0.0/16", &[], Some("10.1.0.0/29"), Err("VpcRange"));
    check("10.0.0.0/16", &[], Some("10.1.0.1/16"), Err("InvalidParameterValue"));
    check("10.0.0.0/16", &[], Some("10.1.0.0/33"), Err("InvalidParameterValue"));
    check("10.0.0.0/16", &[], Some("10.1.0.0"), Err("InvalidParameterValue"));
    check("10.0.0.0/16", &[], Some("2001:db8::/56"), Err("InvalidParameterValue"));
    check("10.0.0.0/16", &[], Some(""), Err("InvalidParameterValue"));
    check("10.0.0.0/16", &[], Some(&"9".repeat(100_000)), Err("InvalidParameterValue"));
    check("10.0.0.0/16", &[], None, Err("MissingParameter"));
    check("10.0.0.0/16", &[], Some("10.0.128.0/17"), Err("VpcCidrRefused"));
    check("10.0.0.0/16", &["100.64.0.0/16"], Some("100.64.7.0/24"), Err("VpcCidrRefused"));
    check("10.0.0.0/24", &[], Some("10.0.0.0/16"), Err("VpcCidrRefused"));
    check("10.0.0.0/16", &["10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16"], Some("10.4.0.0/16"), Ok("10.4.0.0/16"));
    let four = ["10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16", "10.4.0.0/16"];
    check("10.0.0.0/16", &four, Some("10.5.0.0/16"), Err("CidrLimitExceeded"));
}

#[test]
fn the_primary_block_restricts_the_ranges_of_the_others() {
    for (primary, new, expect) in [
        ("10.0.0.0/16", "172.16.0.0/16", Err("VpcCidrRefused")),
        ("10.0.0.0/16", "192.168.0.0/16", Err("VpcCidrRefused")),
        ("10.0.0.0/16", "198.19.0.0/16", Err("VpcCidrRefused")),
        ("10.1.0.0/16", "10.0.5.0/24", Err("VpcCidrRefused")),
        ("10.2.0.0/16", "10.0.5.0/24", Ok("10.0.5.0/24")),
        ("10.2.0.0/16", "52.1.0.0/16", Ok("52.1.0.0/16")),
        ("172.20.0.0/16", "172.21.0.0/16", Ok("172.21.0.0/16")),
        ("172.20.0.0/16", "172.31.0.0/16", Err("VpcCidrRefused")),
        ("172.20.0.0/16", "10.0.0.0/16", Err("VpcCidrRefused")),
        ("172.20.0.0/16", "192.168.0.0/16", Err("VpcCidrRefused")),
        ("172.20.0.0/16", "100.64.0.0/16", Ok("100.64.0.0/16")),
        ("192.168.0.0/20", "192.168.16.0/20", Ok("192.168.16.0/20")),
        ("192.168.0.0/16", "10.0.0.0/16", Err("VpcCidrRefused")),
        ("192.168.0.0/16", "172.16.0.0/16", Err("VpcCidrRefused")),
        ("192.168.0.0/16", "198.19.0.0/16", Err("VpcCidrRefused")),
        ("192.168.0.0/16", "100.64.0.0/16", Ok("100.64.0.0/16")),
        ("198.19.0.0/24", "198.19.1.0/24", Ok("198.19.1.0/24")),
        ("198.19.0.0/16", "10.0.0.0/16", Err("VpcCidrRefused")),
        ("198.19.0.0/16", "100.64.0.0/16", Ok("100.64.0.0/16")),
        ("100.64.0.0/16", "198.19.0.0/16", Err("VpcCidrRefused")),
        ("100.64.0.0/16", "192.168.0.0/16", Err("VpcCidrRefused")),
        ("100.64.0.0/16", "52.1.0.0/16", Ok("52.1.0.0/16")),
        ("52.1.0.0/16", "10.0.0.0/16", Err("VpcCidrRefused")),
        ("52.1.0.0/16", "100.65.0.0/16", Ok("100.65.0.0/16")),
    ] {
        check(primary, &[], Some(new), expect);
    }
    // A secondary block from 10.0.0.0/15 restricts 10.0.0.0/16 too.
    check("10.2.0.0/16", &["10.1.0.0/16"], Some("10.0.5.0/24"), Err("VpcCidrRefused"));
}

#[test]
fn a_block_wider_than_a_route_of_the_vpc_is_refused() {
    let (mut network, mut ids, vpc_id) = vpc("10.0.0.0/16", &[]);
    let gateway = network.create_internet_gateway(&mut ids, &Tags::new());
    network.attach_internet_gateway(&gateway.id, &vpc_id).unwrap();
    let table = network.create_route_table(&mut ids, &vpc_id, &Tags::new()).unwrap();
    network.create_route(&table.id, Some("10.9.0.0/24"), Some(&gateway.id), None).unwrap();
    let wider = network.associate_vpc_cidr_block(&mut ids, &vpc_id, Some("10.9.0.0/16"), NOW);
    assert_eq!(wider.map_err(|e| variant(&e)), Err("VpcCidrRefused".to_owned()));
    network.associate_vpc_cidr_block(&mut ids, &vpc_id, Some("10.9.1.0/24"), NOW).unwrap();
}

fn local_routes(network: &Network, table: &str) -> Vec<String> {
    let routes = network.route_tables[table].routes.iter();
    routes.filter(|route| route.target == RouteTarget::Local).map(|route| route.destination.clone()).collect()
}

fn states(network: &Network, vpc_id: &str, now: f64) -> Vec<(String, &'static str)> {
    let vpc = &network.vpcs[vpc_id];
    vpc.cidr_associations(now).iter().map(|a| (a.cidr_block.to_owned(), a.state)).collect()
}

#[test]
fn a_secondary_block_holds_subnets_and_routes_until_it_is_disassociated() {
    let (mut network, mut ids, vpc_id) = vpc("10.0.0.0/16", &[]);
    let main = network.route_tables.values().find(|t| t.vpc_id == vpc_id && t.is_main()).unwrap().id.clone();
    let before = network.create_route_table(&mut ids, &vpc_id, &Tags::new()).unwrap().id;
    let pods = network.associate_vpc_cidr_block(&mut ids, &vpc_id, Some("100.64.0.0/16"), NOW).unwrap();
    assert!(pods.association_id.starts_with("vpc-cidr-assoc-") && pods.association_id.len() == 32);
    let after = network.create_route_table(&mut ids, &vpc_id, &Tags::new()).unwrap().id;
    for table in [&main, &before, &after] {
        assert_eq!(local_routes(&network, table), ["10.0.0.0/16", "100.64.0.0/16"], "{table}");
    }
    let subnet_in = |network: &mut Network, ids: &mut IdSource, block: &str| {
        let input = CreateSubnet { vpc_id: vpc_id.clone(), cidr_block: Some(block.into()), ..Default::default() };
        network.create_subnet(ids, &input).map(|subnet| subnet.id)
    };
    let subnet = subnet_in(&mut network, &mut ids, "100.64.32.0/19").unwrap();
    assert_eq!(network.allocate_private_ip(&subnet).unwrap().to_string(), "100.64.32.4");
    assert_eq!(subnet_in(&mut network, &mut ids, "100.65.0.0/24"), Err(Ec2Error::SubnetRange("100.65.0.0/24".into())));
    let across = subnet_in(&mut network, &mut ids, "100.64.0.0/15");
    assert_eq!(across, Err(Ec2Error::SubnetRange("100.64.0.0/15".into())));
    assert_eq!(
        states(&network, &vpc_id, NOW),
        [("10.0.0.0/16".into(), "associated"), ("100.64.0.0/16".into(), "associated")]
    );

    let in_use = network.disassociate_vpc_cidr_block(&pods.association_id, NOW).unwrap_err();
    let message = format!("The vpc {vpc_id} currently has a subnet within CIDR block 100.64.0.0/16");
    assert_eq!(in_use, Ec2Error::CidrBlockInUse(message));
    let primary = network.vpcs[&vpc_id].cidr_association_id.clone();
    let refused = network.disassociate_vpc_cidr_block(&primary, NOW).unwrap_err();
    assert_eq!(variant(&refused), "OperationNotPermitted");
    let unknown = network.disassociate_vpc_cidr_block("vpc-cidr-assoc-nope", NOW).unwrap_err();
    assert_eq!(unknown, Ec2Error::VpcCidrAssociationNotFound("vpc-cidr-assoc-nope".into()));

    network.release_private_ip(&subnet, "100.64.32.4".parse().unwrap()).unwrap();
    network.delete_subnet(&subnet).unwrap();
    let (owner, gone) = network.disassociate_vpc_cidr_block(&pods.association_id, NOW + 10.0).unwrap();
    assert_eq!((owner.as_str(), gone.cidr_block.as_str()), (vpc_id.as_str(), "100.64.0.0/16"));
    for table in [&main, &before, &after] {
        assert_eq!(local_routes(&network, table), ["10.0.0.0/16"], "{table}");
    }
    assert_eq!(subnet_in(&mut network, &mut ids, "100.64.0.0/24"), Err(Ec2Error::SubnetRange("100.64.0.0/24".into())));
    let again = network.disassociate_vpc_cidr_block(&pods.association_id, NOW + 20.0).unwrap_err();
    assert_eq!(again, Ec2Error::VpcCidrAssociationNotFound(pods.association_id.clone()));
    let shown = [("10.0.0.0/16".into(), "associated"), ("100.64.0.0/16".into(), "disassociated")];
    assert_eq!(states(&network, &vpc_id, NOW + 3000.0), shown);
    assert_eq!(states(&network, &vpc_id, NOW + 3700.0), [("10.0.0.0/16".into(), "associated")]);

    // The block may come back, under a new association; the old one is forgotten once an hour has passed.
    let back = network.associate_vpc_cidr_block(&mut ids, &vpc_id, Some("100.64.0.0/16"), NOW + 3700.0).unwrap();
    assert_ne!(back.association_id, pods.association_id);
    assert_eq!(network.vpcs[&vpc_id].secondary_cidr_blocks, [back]);
}

#[test]
fn describe_vpcs_filters_on_every_block_of_the_association_set() {
    let (mut network, mut ids, vpc_id) = vpc("10.0.0.0/16", &["100.64.0.0/16", "10.1.0.0/16"]);
    let old = network.vpcs[&vpc_id].secondary_cidr_blocks[1].association_id.clone();
    network.disassociate_vpc_cidr_block(&old, NOW).unwrap();
    let other = network.create_vpc(&mut ids, Some("10.0.0.0/16"), None, &Tags::new()).unwrap().id;
    let found = |name: &str, value: &str| -> Vec<String> {
        let filter = Filter { name: name.into(), values: vec![value.into()] };
        let vpcs = network.describe_vpcs(&[], &[filter], NOW).unwrap();
        vpcs.into_iter().map(|vpc| vpc.id.clone()).collect()
    };
    assert_eq!(found("cidr-block-association.cidr-block", "100.64.0.0/16"), std::slice::from_ref(&vpc_id));
    assert_eq!(found("cidr", "100.64.0.0/16"), Vec::<String>::new());
    assert_eq!(found("cidr", "10.0.0.0/16").len(), 2);
    assert_eq!(found("cidr-block-association.association-id", &old), std::slice::from_ref(&vpc_id));
    assert_eq!(found("cidr-block-association.state", "disassociated"), std::slice::from_ref(&vpc_id));
    assert_eq!(found("cidr-block-association.state", "associated").len(), 3, "every VPC has its primary block");
    assert!(found("cidr-block-association.cidr-block", "10.1.*").contains(&vpc_id));
    assert!(!found("vpc-id", &other).contains(&vpc_id));
}

#[test]
fn vpc_records_of_earlier_versions_load_and_are_written_back_unchanged() {
    let old = r#"{"id":"vpc-1","cidr_block":"10.0.0.0/16","cidr_association_id":"vpc-cidr-assoc-1","is_default":false,"instance_tenancy":"default","dhcp_options_id":"dopt-1","enable_dns_support":true,"enable_dns_hostnames":false}"#;
    let vpc: Vpc = serde_json::from_str(old).unwrap();
    assert!(vpc.secondary_cidr_blocks.is_empty());
    assert_eq!(vpc.associated_blocks().len(), 1);
    assert_eq!(serde_json::to_string(&vpc).unwrap(), old);
}

#[tokio::test]
async fn racing_associations_and_subnets_keep_the_rules() {
    let ec2 = Ec2::new(Records::new(Arc::new(MemoryStore::new())), Arc::new(ManualClock::new(NOW)));
    let caller = crate::eks::Caller { account: "000000000000".into(), region: "us-east-1".into(), arn: String::new() };
    let vpc_id = ec2
        .change(&caller, &Scope::new(), |network, ids| {
            Ok(network.create_vpc(ids, Some("10.0.0.0/16"), None, &Tags::new())?.id)
        })
        .await
        .unwrap();
    // Overlapping blocks: exactly one is associated.
    let tasks: Vec<_> = ["100.64.0.0/16", "100.64.0.0/17", "100.64.128.0/17", "100.64.0.0/24"]
        .into_iter()
        .map(|block| {
            let (ec2, caller, vpc_id) = (ec2.clone(), caller.clone(), vpc_id.clone());
            tokio::spawn(async move {
                ec2.change(&caller, &scopes::associate_vpc_cidr_block(&vpc_id), |network, ids| {
                    network.associate_vpc_cidr_block(ids, &vpc_id, Some(block), NOW)
                })
                .await
            })
        })
        .collect();
    let mut won = Vec::new();
    for task in tasks {
        if let Ok(block) = task.await.unwrap() {
            won.push(block);
        }
    }
    assert!(won.len() == 1 || (won.len() == 2 && won.iter().all(|b| b.cidr_block.ends_with("/17"))), "{won:?}");
    let blocks = ec2.view(&caller, &scopes::vpc(&vpc_id), |n| n.vpcs[&vpc_id].associated_blocks()).await.unwrap();
    assert_eq!(blocks.len(), 1 + won.len());

    // A subnet created while its block is disassociated: one of the two is refused.
    let association = won[0].association_id.clone();
    let subnet_block = won[0].cidr_block.clone();
    let subnet = {
        let (ec2, caller, vpc_id) = (ec2.clone(), caller.clone(), vpc_id.clone());
        tokio::spawn(async move {
            let input = CreateSubnet { vpc_id: vpc_id.clone(), cidr_block: Some(subnet_block), ..Default::default() };
            ec2.change(&caller, &scopes::create_subnet(&vpc_id), |network, ids| network.create_subnet(ids, &input))
                .await
        })
    };
    let disassociated = ec2
        .change_widening(
            &caller,
            &scopes::disassociate_vpc_cidr_block(),
            |network| scopes::vpc_of_association(network, &association),
            |network, _| network.disassociate_vpc_cidr_block(&association, NOW),
        )
        .await;
    let subnet = subnet.await.unwrap();
    assert!(subnet.is_ok() != disassociated.is_ok(), "{subnet:?} {disassociated:?}");
}
