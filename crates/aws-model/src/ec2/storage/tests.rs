use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::sync::Arc;

use futures::StreamExt;
use store::{DynStore, MemoryStore};

use super::super::*;
use super::{LAYOUT, RegionRecord};
use crate::clock::ManualClock;

fn service() -> (Ec2, DynStore, Caller) {
    let store: DynStore = Arc::new(MemoryStore::new());
    let ec2 = Ec2::new(Records::new(store.clone()), Arc::new(ManualClock::new(0.0)));
    let caller = Caller { account: "000000000000".into(), region: "eu-west-1".into(), arn: String::new() };
    (ec2, store, caller)
}

/// The keys written after `revision`, with the size of each write.
async fn writes_after(store: &DynStore, revision: store::Revision) -> Vec<(String, usize)> {
    let now = store.status().await.unwrap().revision;
    let mut out = Vec::new();
    if now == revision {
        return out;
    }
    let mut watch = store.watch("/", revision).await.unwrap();
    while let Some(event) = watch.next().await {
        let event = event.unwrap();
        out.push((event.kv.key.clone(), event.kv.key.len() + event.kv.value.len()));
        if event.revision() >= now {
            break;
        }
    }
    out
}

/// A VPC with one `/16` subnet, and 60 running instances in it made through changes of 20.
async fn busy_region(ec2: &Ec2, caller: &Caller) -> (String, String) {
    let vpc = ec2
        .change(caller, &Scope::new(), |network, ids| {
            Ok(network.create_vpc(ids, Some("10.0.0.0/16"), None, &Tags::new())?.id)
        })
        .await
        .unwrap();
    let subnet = ec2
        .change(caller, &scopes::create_subnet(&vpc), |network, ids| {
            let input = CreateSubnet {
                vpc_id: vpc.clone(),
                cidr_block: Some("10.0.0.0/16".into()),
                availability_zone: Some("eu-west-1a".into()),
                availability_zone_id: None,
                tags: Tags::new(),
            };
            Ok(network.create_subnet(ids, &input)?.id)
        })
        .await
        .unwrap();
    for _ in 0..3 {
        ec2.change(caller, &Scope::new().addresses(subnet.as_str()), |network, ids| {
            for _ in 0..20 {
                let ip = network.allocate_private_ip(&subnet)?;
                let mut instance = instances::test_instance(&ids.id("i"), &subnet, ip);
                instance.network_interfaces = vec![network.add_primary_interface(ids, &instance)];
                network.instances.insert(instance.id.clone(), instance);
            }
            Ok(())
        })
        .await
        .unwrap();
    }
    (vpc, subnet)
}

#[tokio::test]
async fn a_change_writes_only_the_records_it_changes() {
    let (ec2, store, caller) = service();
    let (vpc, subnet) = busy_region(&ec2, &caller).await;
    let before = store.status().await.unwrap().revision;
    let tags: Tags = [("team".to_owned(), "web".to_owned())].into_iter().collect();
    ec2.change(&caller, &scopes::tagged(std::slice::from_ref(&vpc)), |network, _| {
        network.create_tags(std::slice::from_ref(&vpc), &tags)
    })
    .await
    .unwrap();
    let written = writes_after(&store, before).await;
    assert_eq!(written.len(), 1, "{written:?}");
    assert!(written[0].0.ends_with(&format!("/ec2/vpc/{vpc}")));
    assert!(written[0].1 < 4096, "a tag write stores {} bytes", written[0].1);

    // Handing out addresses rewrites the interface that takes them and one small chunk, however many are in use.
    let before = store.status().await.unwrap().revision;
    let (instance, interface) = ec2
        .view(&caller, &scopes::instances(), |n| {
            let (id, instance) = n.instances.iter().next().unwrap();
            (id.clone(), instance.network_interfaces[0].clone())
        })
        .await
        .unwrap();
    let assigned = ec2.assign_private_ips(&caller, &instance, 5).await.unwrap();
    assert_eq!(assigned.len(), 5);
    let written = writes_after(&store, before).await;
    let keys: BTreeSet<&str> = written.iter().map(|(key, _)| key.rsplit_once("/ec2/").unwrap().1).collect();
    assert_eq!(
        keys,
        BTreeSet::from([format!("network-interface/{interface}").as_str(), &*format!("subnet-addresses/{subnet}/00")])
    );
    assert!(written.iter().all(|(_, size)| *size < 4096), "{written:?}");

    // A change that changes nothing writes nothing, whatever it read.
    let before = store.status().await.unwrap().revision;
    ec2.change(&caller, &Scope::everything(), |_, _| Ok(())).await.unwrap();
    assert_eq!(store.status().await.unwrap().revision, before);

    // No record of the region is near the 64 KB the layout promises.
    let all = store.list("/aws/", store::ListOptions::default()).await.unwrap().items;
    let largest = all.iter().map(|kv| kv.value.len()).max().unwrap();
    assert!(largest < 64 * 1024, "largest record {largest} bytes");
    assert!(!all.iter().any(|kv| kv.key.ends_with("/ec2/network/state")), "no one-record network");
}

#[tokio::test]
async fn a_refused_change_writes_nothing() {
    let (ec2, store, caller) = service();
    let (vpc, _) = busy_region(&ec2, &caller).await;
    let before = store.status().await.unwrap().revision;
    let error = ec2
        .change(&caller, &scopes::create_subnet(&vpc), |network, ids| {
            let input = CreateSubnet {
                vpc_id: vpc.clone(),
                cidr_block: Some("10.0.128.0/24".into()),
                availability_zone: None,
                availability_zone_id: None,
                tags: Tags::new(),
            };
            network.create_subnet(ids, &input)
        })
        .await
        .unwrap_err();
    assert_eq!(error, Ec2Error::SubnetConflict("10.0.128.0/24".into()));
    assert_eq!(store.status().await.unwrap().revision, before);
}

#[tokio::test]
async fn concurrent_changes_keep_the_rules_that_span_records() {
    let (ec2, _, caller) = service();
    let vpc = ec2
        .change(&caller, &Scope::new(), |network, ids| {
            Ok(network.create_vpc(ids, Some("10.1.0.0/16"), None, &Tags::new())?.id)
        })
        .await
        .unwrap();
    // Sixteen subnets asked for at once, two by two overlapping: exactly one of each pair is made.
    let tasks: Vec<_> = (0..16)
        .map(|n| {
            let (ec2, caller, vpc) = (ec2.clone(), caller.clone(), vpc.clone());
            tokio::spawn(async move {
                let input = CreateSubnet {
                    vpc_id: vpc.clone(),
                    cidr_block: Some(format!("10.1.{}.0/{}", (n / 2) * 4, if n % 2 == 0 { 22 } else { 24 })),
                    availability_zone: None,
                    availability_zone_id: None,
                    tags: Tags::new(),
                };
                ec2.change(&caller, &scopes::create_subnet(&vpc), |network, ids| network.create_subnet(ids, &input))
                    .await
            })
        })
        .collect();
    let mut made = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => made += 1,
            Err(error) => assert!(matches!(error, Ec2Error::SubnetConflict(_)), "{error:?}"),
        }
    }
    assert_eq!(made, 8);

    // Two gateways attached to one VPC at once: one wins.
    let gateways: Vec<String> = ec2
        .change(&caller, &Scope::new(), |network, ids| {
            Ok((0..2).map(|_| network.create_internet_gateway(ids, &Tags::new()).id).collect())
        })
        .await
        .unwrap();
    let tasks: Vec<_> = gateways
        .iter()
        .map(|gateway| {
            let (ec2, caller, vpc, gateway) = (ec2.clone(), caller.clone(), vpc.clone(), gateway.clone());
            tokio::spawn(async move {
                ec2.change_widening(
                    &caller,
                    &scopes::attach_internet_gateway(&gateway, &vpc),
                    scopes::every_gateway,
                    |network, _| network.attach_internet_gateway(&gateway, &vpc),
                )
                .await
            })
        })
        .collect();
    let mut attached = 0;
    for task in tasks {
        if task.await.unwrap().is_ok() {
            attached += 1;
        }
    }
    assert_eq!(attached, 1);
    let on_vpc = ec2
        .view(&caller, &scopes::gateways(), |network| {
            network.internet_gateways.values().filter(|g| g.attached_vpc.as_deref() == Some(vpc.as_str())).count()
        })
        .await
        .unwrap();
    assert_eq!(on_vpc, 1);
}

#[tokio::test]
async fn a_region_of_the_one_record_layout_moves_to_records_on_first_use() {
    let (ec2, store, caller) = service();
    // What an earlier version stored: the whole network, one address in use.
    let mut old = Network::new(&caller.account, &caller.region);
    old.initialize(&mut IdSource::Sequence(0));
    let subnet = old.subnets.values().next().unwrap().id.clone();
    let taken = old.allocate_private_ip(&subnet).unwrap();
    let instance = instances::test_instance("i-0123456789abcdef0", &subnet, taken);
    old.instances.insert(instance.id.clone(), instance);
    old.tags.insert(subnet.clone(), [("Name".to_owned(), "old".to_owned())].into_iter().collect());
    let mut json = serde_json::json!({
        "account": caller.account, "region": caller.region, "initialized": true,
        "tags": old.tags, "instances": old.instances.loaded(),
        "vpcs": old.vpcs.loaded(), "security_groups": old.security_groups.loaded(),
        "internet_gateways": old.internet_gateways.loaded(), "route_tables": old.route_tables.loaded(),
        "nat_gateways": {}, "addresses": {}, "launch_templates": {}, "auto_scaling_groups": {},
    });
    let subnets: serde_json::Map<String, serde_json::Value> = old
        .subnets
        .values()
        .map(|s| {
            let mut value = serde_json::to_value(s).unwrap();
            let allocated: Vec<Ipv4Addr> = if s.id == subnet { vec![taken] } else { Vec::new() };
            value["allocated"] = serde_json::to_value(allocated).unwrap();
            (s.id.clone(), value)
        })
        .collect();
    json["subnets"] = serde_json::Value::Object(subnets);
    let legacy = format!("/aws/{}/{}/ec2/network/state", caller.account, caller.region);
    store.create(&legacy, serde_json::to_vec(&json).unwrap().into()).await.unwrap();

    let (subnets, tags, instances) = ec2
        .view(&caller, &Scope::everything(), |n| (n.subnets.len(), n.tags.get(&subnet).cloned(), n.instances.len()))
        .await
        .unwrap();
    assert_eq!(subnets, 3, "the default VPC's subnets, not a second default VPC");
    assert_eq!(tags.unwrap()["Name"], "old");
    assert_eq!(instances, 1);
    assert!(store.get(&legacy, None).await.unwrap().is_none(), "the old record is gone");
    let next = ec2.allocate_private_ip(&caller, &subnet).await.unwrap();
    assert_ne!(next, taken, "an address in use before the move is not handed out again");
}

#[tokio::test]
async fn a_region_from_before_interfaces_and_acls_is_upgraded_on_first_use() {
    let (ec2, store, caller) = service();
    // What the previous layout stored: records per resource, no network ACLs or interfaces, an instance holding
    // a t3.medium's max pods of secondary addresses itself, and a marker without a layout.
    let mut old = Network::new(&caller.account, &caller.region);
    old.initialize(&mut IdSource::Sequence(0));
    let acls: Vec<String> = old.network_acls.keys().cloned().collect();
    for id in acls {
        old.network_acls.remove(&id);
    }
    let subnet = old.subnets.values().next().unwrap().clone();
    let ip = old.allocate_private_ip(&subnet.id).unwrap();
    let secondary = old.allocate_private_ips(&subnet.id, 17).unwrap();
    let mut instance = instances::test_instance("i-0123456789abcdef0", &subnet.id, ip);
    instance.vpc_id = subnet.vpc_id.clone();
    instance.legacy_secondary_ips = secondary.clone();
    instance.nodegroup = Some(NodegroupMember {
        drain: None,
        cluster: "demo".into(),
        nodegroup: "workers".into(),
        capacity_type: "ON_DEMAND".into(),
        labels: BTreeMap::new(),
        taints: Vec::new(),
    });
    old.instances.insert(instance.id.clone(), instance);
    let storage = Storage { records: &ec2.records, keys: Keys::new(&caller.account, &caller.region) };
    for (_, key, value) in storage.records_of(&old) {
        store.create(&key, value).await.unwrap();
    }
    let marker = serde_json::json!({ "account": caller.account, "region": caller.region });
    store.create(&storage.keys.region(), serde_json::to_vec(&marker).unwrap().into()).await.unwrap();

    let network = ec2.view(&caller, &Scope::everything(), Clone::clone).await.unwrap();
    let vpc = network.default_vpc().unwrap().id.clone();
    let acl = network.default_acl(&vpc).expect("the VPC has its default ACL");
    assert_eq!(acl.id, format!("acl-{}", vpc.trim_start_matches("vpc-")));
    let instance = &network.instances["i-0123456789abcdef0"];
    assert!(instance.legacy_secondary_ips.is_empty());
    let interfaces = network.instance_interfaces(instance);
    assert_eq!(interfaces.len(), 3);
    assert_eq!(interfaces[0].id, "eni-0123456789abcdef0", "the id DescribeInstances showed before");
    assert_eq!(interfaces[0].private_ip, ip);
    assert_eq!(interfaces[1].description, "aws-K8S-i-0123456789abcdef0");
    assert_eq!(network.tags[&interfaces[2].id]["cluster.k8s.amazonaws.com/name"], "demo");
    let mut held: Vec<Ipv4Addr> = interfaces.iter().flat_map(|eni| eni.addresses()).map(|(ip, _)| ip).collect();
    held.sort();
    let mut expected: Vec<Ipv4Addr> = std::iter::once(ip).chain(secondary).collect();
    expected.sort();
    assert_eq!(held, expected, "every address the instance held, on its interfaces");
    let record: RegionRecord =
        serde_json::from_slice(&store.get(&storage.keys.region(), None).await.unwrap().unwrap().value).unwrap();
    assert_eq!(record.layout, LAYOUT);
    // Done once: reading again writes nothing, and upgrading the result changes nothing.
    let revision = store.status().await.unwrap().revision;
    ec2.view(&caller, &Scope::everything(), |_| ()).await.unwrap();
    assert_eq!(store.status().await.unwrap().revision, revision);
    let mut again = network.clone();
    super::super::migrate::upgrade_network(&mut again);
    assert_eq!(again, network);
}

#[test]
fn scopes_cover_what_they_name() {
    let all = Scope::new().all(Kind::Subnet);
    assert!(all.covers(&Scope::new().id(Kind::Subnet, "subnet-1")));
    assert!(!Scope::new().id(Kind::Subnet, "subnet-1").covers(&all));
    assert!(Scope::new().ids(Kind::Vpc, ["a", "b"]).covers(&Scope::new().context(Kind::Vpc, ["a"])));
    assert!(!Scope::new().context(Kind::Vpc, ["a"]).covers(&Scope::new().id(Kind::Vpc, "a")));
    assert!(Scope::everything().covers(&Scope::fabric().addresses("subnet-1")));
    assert!(!Scope::fabric().covers(&Scope::new().addresses("subnet-1")));
    assert_eq!(Kind::of_id("sg-0123"), Some(Kind::SecurityGroup));
    assert_eq!(Kind::of_id("bogus"), None);
}

#[test]
#[should_panic(expected = "was read but not loaded")]
fn reading_a_record_the_scope_did_not_name_is_a_bug() {
    let mut network = Network::unloaded("000000000000", "eu-west-1");
    network.mark_loaded(Kind::Vpc, false, [String::from("vpc-1")].iter());
    let _ = network.vpcs.get("vpc-2");
}

#[tokio::test]
async fn launch_template_versions_are_records_of_their_own() {
    use templates::{CreateLaunchTemplate, LaunchTemplateData, TemplateName};
    let (ec2, store, caller) = service();
    let user_data = crate::ids::base64(&[b'x'; templates::MAX_USER_DATA_BYTES]);
    let data = LaunchTemplateData { user_data: Some(user_data), ..LaunchTemplateData::default() };
    let input =
        CreateLaunchTemplate { name: "big".into(), version_description: None, data: data.clone(), tags: Tags::new() };
    let id = ec2
        .change(&caller, &scopes::launch_templates(None), |network, ids| {
            Ok(network.create_launch_template(ids, &input, "me", 0.0)?.id)
        })
        .await
        .unwrap();
    let which = TemplateName::Id(&id);
    for _ in 0..149 {
        ec2.change(&caller, &scopes::launch_templates(Some(&which)), |network, _| {
            network.create_launch_template_version(&which, None, None, &data, "me", 0.0)
        })
        .await
        .unwrap();
    }
    let numbers = ec2
        .view(&caller, &scopes::launch_templates(None), |network| {
            let versions = network.describe_launch_template_versions(&which, &[], None, None).unwrap().1;
            let mut numbers: Vec<u64> = versions.iter().map(|version| version.number).collect();
            numbers.sort_unstable();
            numbers
        })
        .await
        .unwrap();
    assert_eq!(numbers, (1..=150).collect::<Vec<u64>>());
    let all = store.list("/aws/", store::ListOptions::default()).await.unwrap().items;
    let largest = all.iter().map(|kv| kv.value.len()).max().unwrap();
    assert!(largest < 64 * 1024, "largest record {largest} bytes");

    // Deleting it takes every version, more than one transaction holds.
    ec2.change(&caller, &scopes::launch_templates(Some(&which)), |network, _| network.delete_launch_template(&which))
        .await
        .unwrap();
    let left = store.list("/aws/", store::ListOptions::default()).await.unwrap().items;
    let of_template: Vec<&str> = left
        .iter()
        .map(|kv| kv.key.as_str())
        .filter(|key| key.contains("/ec2/launch-template/") || key.contains("/ec2/launch-template-version/"))
        .collect();
    assert_eq!(of_template, Vec::<&str>::new(), "nothing of the template is left");
    let missing = ec2
        .view(&caller, &scopes::launch_templates(Some(&which)), |network| network.launch_template(&which).map(drop))
        .await
        .unwrap();
    assert!(matches!(missing, Err(Ec2Error::LaunchTemplateIdNotFound(_))), "{missing:?}");
}
