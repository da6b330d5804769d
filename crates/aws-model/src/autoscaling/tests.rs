use super::*;
use crate::ec2::CreateSubnet;
use crate::ec2::instances::private_dns_name;

fn slot(zone: &str, in_zone: usize, in_subnet: usize, has_free_address: bool) -> Slot {
    Slot { availability_zone: zone.into(), in_zone, in_subnet, has_free_address }
}

fn check_subnet(slots: &[Slot], expect: Option<usize>) {
    assert_eq!(choose_subnet(slots), expect, "{slots:?}");
}

#[test]
fn a_launch_goes_to_the_emptiest_zone_then_subnet_then_the_first_listed() {
    check_subnet(&[slot("a", 1, 1, true), slot("b", 0, 0, true), slot("c", 0, 0, true)], Some(1));
    check_subnet(&[slot("a", 2, 2, true), slot("b", 2, 1, true), slot("b", 2, 1, true)], Some(1));
    check_subnet(&[slot("a", 1, 0, true), slot("a", 1, 1, true)], Some(0));
    check_subnet(&[slot("a", 0, 0, false), slot("b", 3, 3, true)], Some(1));
    check_subnet(&[slot("a", 0, 0, false)], None);
    check_subnet(&[], None);
}

fn instance(id: &str, zone: &str, launched_at: f64, state: InstanceState) -> Instance {
    let base = crate::ec2::instances::test_instance(id, &format!("subnet-{zone}"), Ipv4Addr::new(10, 0, 0, 4));
    Instance {
        availability_zone: zone.into(),
        private_dns_name: String::new(),
        state,
        launched_at,
        running_at: launched_at,
        state_changed_at: launched_at,
        ..base
    }
}

fn check_victim(members: &[Instance], expect: Option<&str>) {
    let refs: Vec<&Instance> = members.iter().collect();
    assert_eq!(choose_victim(&refs).as_deref(), expect);
}

#[test]
fn scale_in_takes_stopped_first_then_the_oldest_of_the_fullest_zone() {
    use InstanceState::{Running, Stopped};
    let a1 = instance("i-a1", "a", 1.0, Running);
    let a2 = instance("i-a2", "a", 2.0, Running);
    let b1 = instance("i-b1", "b", 0.5, Running);
    check_victim(&[b1.clone(), a2.clone(), a1.clone()], Some("i-a1"));
    check_victim(&[b1.clone(), a1.clone()], Some("i-a1"));
    check_victim(&[b1.clone(), instance("i-c1", "c", 0.1, Running)], Some("i-b1"));
    check_victim(&[a1.clone(), a2.clone(), instance("i-b9", "b", 9.0, Stopped)], Some("i-b9"));
    check_victim(&[], None);
}

const NOW: f64 = 1_000_000.0;

/// A network with a VPC `10.0.0.0/16` and a `/24` subnet in each of three zones.
fn network(ids: &mut IdSource) -> (Network, Vec<String>) {
    let mut network = Network::new("000000000000", "us-east-1");
    network.initialize(ids);
    let vpc = network.create_vpc(ids, Some("10.0.0.0/16"), None, &Tags::new()).unwrap();
    let subnets = ["us-east-1a", "us-east-1b", "us-east-1c"]
        .iter()
        .enumerate()
        .map(|(index, zone)| {
            let input = CreateSubnet {
                vpc_id: vpc.id.clone(),
                cidr_block: Some(format!("10.0.{}.0/24", index + 1)),
                availability_zone: Some((*zone).into()),
                ..CreateSubnet::default()
            };
            network.create_subnet(ids, &input).unwrap().id
        })
        .collect();
    (network, subnets)
}

fn spec(subnets: &[String], desired: i64) -> GroupSpec {
    GroupSpec {
        name: "eks-workers-1234".into(),
        uuid: "1234".into(),
        cluster: "demo".into(),
        nodegroup: "workers".into(),
        scaling: ScalingConfig { min_size: 0, max_size: 10, desired_size: desired },
        deleting: false,
        subnets: subnets.to_vec(),
        instance_type: None,
        ami_type: "AL2023_x86_64_STANDARD".into(),
        release_version: "1.34.0-20251016".into(),
        capacity_type: "ON_DEMAND".into(),
        node_role: "arn:aws:iam::000000000000:role/node".into(),
        key_name: None,
        security_groups: vec!["sg-cluster".into()],
        launch_template: None,
        labels: BTreeMap::from([("tier".to_owned(), "web".to_owned())]),
        taints: Vec::new(),
        boot_seconds: 30.0,
        user: None,
    }
}

/// Marks every draining member's node drained, as the data plane does once its pods are gone.
fn finish_drains(network: &mut Network) {
    for instance in network.instances.values_mut() {
        if let Some(drain) = instance.nodegroup.as_mut().and_then(|member| member.drain.as_mut()) {
            drain.done = true;
        }
    }
}

/// Ids of the live members that are draining.
fn draining(network: &Network) -> Vec<String> {
    network
        .instances
        .values()
        .filter(|i| i.is_live() && i.nodegroup.as_ref().is_some_and(|m| m.drain.is_some_and(|d| !d.done)))
        .map(|i| i.id.clone())
        .collect()
}

#[test]
fn a_managed_group_drains_the_nodes_it_scales_in_before_terminating_them() {
    let mut ids = IdSource::Sequence(0);
    let (mut network, subnets) = network(&mut ids);
    network.reconcile_groups(&[spec(&subnets, 3)], &mut ids, NOW);
    assert!(network.groups_in_line(&[spec(&subnets, 3)], NOW));

    // Scaling in picks one member to drain: it stays live and a member, and no replacement is launched.
    network.reconcile_groups(&[spec(&subnets, 2)], &mut ids, NOW + 1.0);
    let picked = draining(&network);
    assert_eq!(picked.len(), 1);
    assert_eq!(per_zone(&network), vec![1, 1, 1]);
    let by_cluster = instances_by_cluster(&network, NOW + 1.0);
    assert_eq!(by_cluster["demo"].iter().filter(|i| i.draining).count(), 1);
    assert!(network.groups_in_line(&[spec(&subnets, 2)], NOW + 2.0), "waiting for the drain changes nothing");
    assert_eq!(next_change(&network, &[], NOW + 100.0), Some(NOW + 1.0 + DRAIN_LIMIT_SECONDS));

    // Once drained, it is terminated.
    finish_drains(&mut network);
    assert!(!network.groups_in_line(&[spec(&subnets, 2)], NOW + 2.0));
    network.reconcile_groups(&[spec(&subnets, 2)], &mut ids, NOW + 2.0);
    assert!(!network.instances[&picked[0]].is_live());
    assert_eq!(network.auto_scaling_groups["eks-workers-1234"].instances.len(), 2);

    // A node that never drains goes once EKS stops waiting.
    network.reconcile_groups(&[spec(&subnets, 1)], &mut ids, NOW + 3.0);
    let stuck = draining(&network);
    assert_eq!(stuck.len(), 1);
    network.reconcile_groups(&[spec(&subnets, 1)], &mut ids, NOW + 3.0 + DRAIN_LIMIT_SECONDS - 1.0);
    assert!(network.instances[&stuck[0]].is_live());
    assert!(!network.groups_in_line(&[spec(&subnets, 1)], NOW + 3.0 + DRAIN_LIMIT_SECONDS));
    network.reconcile_groups(&[spec(&subnets, 1)], &mut ids, NOW + 3.0 + DRAIN_LIMIT_SECONDS);
    assert!(!network.instances[&stuck[0]].is_live());
    assert!(network.groups_in_line(&[spec(&subnets, 1)], NOW + 4.0 + DRAIN_LIMIT_SECONDS));
}

/// Live instances per zone, in zone order.
fn per_zone(network: &Network) -> Vec<usize> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for instance in network.instances.values().filter(|i| i.is_live()) {
        *counts.entry(&instance.availability_zone).or_default() += 1;
    }
    counts.into_values().collect()
}

fn check_sizes(steps: &[i64], expect: &[Vec<usize>]) {
    let mut ids = IdSource::Sequence(0);
    let (mut network, subnets) = network(&mut ids);
    let mut seen = Vec::new();
    for (step, desired) in steps.iter().enumerate() {
        network.reconcile_groups(&[spec(&subnets, *desired)], &mut ids, NOW + step as f64);
        // The data plane drains the nodes a scale-in picked; then they go.
        finish_drains(&mut network);
        network.reconcile_groups(&[spec(&subnets, *desired)], &mut ids, NOW + step as f64);
        seen.push(per_zone(&network));
    }
    assert_eq!(seen, expect, "{steps:?}");
}

#[test]
fn instances_balance_over_zones_as_the_group_grows_and_shrinks() {
    check_sizes(&[3], &[vec![1, 1, 1]]);
    check_sizes(&[3, 5], &[vec![1, 1, 1], vec![2, 2, 1]]);
    check_sizes(&[5, 2], &[vec![2, 2, 1], vec![1, 1]]);
    check_sizes(&[4, 4, 0], &[vec![2, 1, 1], vec![2, 1, 1], vec![]]);
    check_sizes(&[1, 2, 3], &[vec![1], vec![1, 1], vec![1, 1, 1]]);
}

#[test]
fn launched_instances_carry_addresses_names_and_tags_of_their_group() {
    let mut ids = IdSource::Sequence(0);
    let (mut network, subnets) = network(&mut ids);
    network.reconcile_groups(&[spec(&subnets, 3)], &mut ids, NOW);
    let group = &network.auto_scaling_groups["eks-workers-1234"];
    assert_eq!(group.instances.len(), 3);
    assert_eq!(group.availability_zones, ["us-east-1a", "us-east-1b", "us-east-1c"]);
    for id in &group.instances {
        let instance = &network.instances[id];
        let subnet = &network.subnets[&instance.subnet_id];
        assert!(subnet.allocated.contains(&instance.private_ip));
        assert!(instance.private_ip.to_string().starts_with(&subnet.cidr_block[..7]), "{instance:?}");
        assert_eq!(instance.private_dns_name, private_dns_name(instance.private_ip, "us-east-1"));
        assert_eq!(instance.state_at(NOW), InstanceState::Pending);
        assert_eq!(instance.state_at(NOW + 30.0), InstanceState::Running);
        assert_eq!(instance.instance_type, "t3.medium");
        let image = crate::ec2::images::image("us-east-1", "AL2023_x86_64_STANDARD", "1.34.0-20251016").unwrap();
        assert_eq!(instance.image_id, image.id, "the catalogue's image of the node group's AMI type and release");
        assert_eq!(instance.nodegroup.as_ref().unwrap().labels["tier"], "web");
        let tags = &network.tags[id];
        assert_eq!(tags["aws:autoscaling:groupName"], "eks-workers-1234");
        assert_eq!(tags["kubernetes.io/cluster/demo"], "owned");
        assert_eq!(tags["eks:nodegroup-name"], "workers");
    }
    let template = &network.launch_templates[&group.launch_template.id];
    assert_eq!(template.name, "eks-1234");
}

#[test]
fn terminated_members_are_replaced_and_their_addresses_given_back() {
    let mut ids = IdSource::Sequence(0);
    let (mut network, subnets) = network(&mut ids);
    network.reconcile_groups(&[spec(&subnets, 3)], &mut ids, NOW);
    let victim = network.auto_scaling_groups["eks-workers-1234"].instances[0].clone();
    let (subnet, ip) = (network.instances[&victim].subnet_id.clone(), network.instances[&victim].private_ip);
    network.change_instance_states(std::slice::from_ref(&victim), StateRequest::Terminate, NOW).unwrap();
    assert!(!network.subnets[&subnet].allocated.contains(&ip));
    network.reconcile_groups(&[spec(&subnets, 3)], &mut ids, NOW + 1.0);
    let members = &network.auto_scaling_groups["eks-workers-1234"].instances;
    assert_eq!(members.len(), 3);
    assert!(!members.contains(&victim));
    assert_eq!(per_zone(&network), [1, 1, 1]);
    assert_eq!(network.instances[&victim].state, InstanceState::Terminated);
    // An hour later the terminated instance is forgotten.
    network.reconcile_groups(&[spec(&subnets, 3)], &mut ids, NOW + 3600.0);
    assert!(!network.instances.contains_key(&victim));
}

#[test]
fn pod_addresses_fill_the_primary_interface_then_cni_interfaces_and_go_with_the_instance() {
    let mut ids = IdSource::Sequence(0);
    let (mut network, subnets) = network(&mut ids);
    network.reconcile_groups(&[spec(&subnets, 1)], &mut ids, NOW);
    let id = network.auto_scaling_groups["eks-workers-1234"].instances[0].clone();
    let subnet = network.instances[&id].subnet_id.clone();
    let before = network.subnets[&subnet].available_ip_address_count();
    // Launched with its primary interface, which holds its address.
    let primary = network.instances[&id].network_interfaces.clone();
    assert_eq!(primary.len(), 1);
    assert_eq!(network.network_interfaces[&primary[0]].private_ip, network.instances[&id].private_ip);

    // A t3.medium has 3 interfaces of 6 addresses: 5 secondary ones each, one interface's worth per call.
    let first = network.assign_pod_ips(&mut ids, &id, 5, NOW).unwrap();
    let second = network.assign_pod_ips(&mut ids, &id, 10, NOW).unwrap();
    assert_eq!((first.len(), second.len()), (5, 5));
    let third = network.assign_pod_ips(&mut ids, &id, 3, NOW).unwrap();
    let fourth = network.assign_pod_ips(&mut ids, &id, 5, NOW).unwrap();
    assert_eq!((third.len(), fourth.len()), (3, 2));
    assert_eq!(
        network.assign_pod_ips(&mut ids, &id, 1, NOW),
        Err(crate::ec2::Ec2Error::PrivateIpAddressLimitExceeded(format!(
            "Number of private addresses will exceed limit for instance {id}."
        )))
    );
    let instance = network.instances[&id].clone();
    let interfaces = network.instance_interfaces(&instance);
    assert_eq!(interfaces.len(), 3);
    assert_eq!(interfaces[0].secondary_ips, first);
    for (index, eni) in interfaces.iter().enumerate().skip(1) {
        assert_eq!(eni.attachment.as_ref().unwrap().device_index, index as u32);
        assert!(eni.attachment.as_ref().unwrap().delete_on_termination);
        assert_eq!(eni.description, format!("aws-K8S-{id}"));
        let tags = &network.tags[&eni.id];
        assert_eq!(tags["node.k8s.amazonaws.com/instance_id"], id);
        assert_eq!(tags["cluster.k8s.amazonaws.com/name"], "demo");
        assert_eq!(eni.secondary_ips.len(), 5);
    }
    let held: Vec<Ipv4Addr> = first.iter().chain(&second).chain(&third).chain(&fourth).copied().collect();
    assert_eq!(network.instance_secondary_ips(&instance), held);
    assert!(held.iter().all(|ip| *ip != instance.private_ip));
    let unique: std::collections::BTreeSet<_> = held.iter().collect();
    assert_eq!(unique.len(), 15);
    // Each CNI interface took a primary address of its own too.
    assert_eq!(network.subnets[&subnet].available_ip_address_count(), before - 17);

    // Garbage and unknown ids are refused as EC2 refuses them.
    assert!(matches!(network.assign_private_ips("i-nope", 1), Err(crate::ec2::Ec2Error::InstanceIdMalformed(_))));
    assert!(matches!(
        network.assign_private_ips("i-0123456789abcdef0", 1),
        Err(crate::ec2::Ec2Error::InstanceNotFound(_))
    ));

    network.change_instance_states(std::slice::from_ref(&id), StateRequest::Terminate, NOW).unwrap();
    assert!(network.instances[&id].network_interfaces.is_empty());
    assert!(network.network_interfaces.is_empty(), "every interface was deleted on termination");
    assert!(held.iter().all(|ip| !network.subnets[&subnet].allocated.contains(ip)));
    assert_eq!(network.subnets[&subnet].available_ip_address_count(), before + 1);
    assert!(matches!(network.assign_private_ips(&id, 1), Err(crate::ec2::Ec2Error::IncorrectInstanceState(_))));
}

#[test]
fn a_deleted_node_group_takes_its_group_instances_and_template_with_it() {
    let mut ids = IdSource::Sequence(0);
    let (mut network, subnets) = network(&mut ids);
    network.reconcile_groups(&[spec(&subnets, 2)], &mut ids, NOW);
    // Pod addresses the nodes held go too.
    for id in network.auto_scaling_groups["eks-workers-1234"].instances.clone() {
        network.assign_private_ips(&id, 5).unwrap();
    }
    let mut deleting = spec(&subnets, 2);
    deleting.deleting = true;
    network.reconcile_groups(&[deleting], &mut ids, NOW + 1.0);
    assert_eq!(network.auto_scaling_groups["eks-workers-1234"].desired_capacity, 0);
    assert_eq!(per_zone(&network), Vec::<usize>::new());
    network.reconcile_groups(&[], &mut ids, NOW + 2.0);
    assert!(network.auto_scaling_groups.is_empty() && network.launch_templates.is_empty());
    assert!(network.subnets.values().all(|subnet| subnet.allocated.is_empty()));
    assert_eq!(network.instances.len(), 2);
}

#[test]
fn unknown_or_full_subnets_launch_nothing() {
    let mut ids = IdSource::Sequence(0);
    let (mut network, _) = network(&mut ids);
    network.reconcile_groups(&[spec(&["subnet-missing".to_owned()], 2)], &mut ids, NOW);
    assert!(network.instances.is_empty());
    assert!(network.auto_scaling_groups["eks-workers-1234"].instances.is_empty());
}

fn check_page(token: Option<&str>, max: Option<i64>, expect: Result<(Vec<&str>, bool), &str>) {
    let items = vec!["a", "b", "c"];
    let got = page(items, |item| (*item).to_owned(), max, token)
        .map(|(items, next)| (items, next.is_some()))
        .map_err(|error| error.to_string());
    assert_eq!(got, expect.map_err(str::to_owned), "{token:?} {max:?}");
}

#[test]
fn pages_and_garbage_tokens() {
    check_page(None, None, Ok((vec!["a", "b", "c"], false)));
    check_page(None, Some(2), Ok((vec!["a", "b"], true)));
    check_page(Some("Yg=="), Some(2), Ok((vec!["c"], false)));
    check_page(Some("!!"), None, Err("The token '!!' is invalid."));
    check_page(
        None,
        Some(0),
        Err(
            "1 validation error detected: Value '0' at 'maxRecords' failed to satisfy constraint: Member must have value greater than or equal to 1",
        ),
    );
}

#[test]
fn group_filters_match_tags_and_refuse_unknown_names() {
    let mut ids = IdSource::Sequence(0);
    let (mut network, subnets) = network(&mut ids);
    network.reconcile_groups(&[spec(&subnets, 0)], &mut ids, NOW);
    let group = &network.auto_scaling_groups["eks-workers-1234"];
    let filter = |name: &str, value: &str| vec![(name.to_owned(), vec![value.to_owned()])];
    assert_eq!(group_passes(group, &filter("tag:eks:cluster-name", "demo")), Ok(true));
    assert_eq!(group_passes(group, &filter("tag:eks:cluster-name", "other")), Ok(false));
    assert_eq!(group_passes(group, &filter("tag-key", "k8s.io/cluster-autoscaler/demo")), Ok(true));
    assert_eq!(group_passes(group, &filter("tag-value", "owned")), Ok(true));
    assert!(group_passes(group, &filter("colour", "red")).is_err());
}

#[tokio::test]
async fn every_kind_of_record_reads_back_from_the_store_as_it_was() {
    use std::sync::Arc;

    use crate::clock::ManualClock;
    use crate::ec2::{Ec2, Loaded, Scope};
    use crate::records::Records;

    let mut ids = IdSource::Sequence(0);
    let (mut built, subnets) = network(&mut ids);
    built.reconcile_groups(&[spec(&subnets, 3)], &mut ids, NOW);
    built.assign_private_ips(&built.instances.keys().next().unwrap().clone(), 5).unwrap();
    let ec2 = Ec2::new(Records::new(Arc::new(store::MemoryStore::new())), Arc::new(ManualClock::new(NOW)));
    let caller = Caller { account: built.account.clone(), region: built.region.clone(), arn: String::new() };
    fn copy<T: Clone>(from: &Loaded<T>, to: &mut Loaded<T>) {
        for (id, value) in from.iter() {
            to.insert(id.clone(), value.clone());
        }
    }
    ec2.change(&caller, &Scope::everything(), |network, _| {
        copy(&built.vpcs, &mut network.vpcs);
        copy(&built.subnets, &mut network.subnets);
        copy(&built.security_groups, &mut network.security_groups);
        copy(&built.route_tables, &mut network.route_tables);
        copy(&built.internet_gateways, &mut network.internet_gateways);
        copy(&built.launch_templates, &mut network.launch_templates);
        copy(&built.instances, &mut network.instances);
        copy(&built.auto_scaling_groups, &mut network.auto_scaling_groups);
        network.tags.extend(built.tags.clone());
        Ok(())
    })
    .await
    .unwrap();
    let read = ec2.view(&caller, &Scope::everything(), Clone::clone).await.unwrap();
    fn same<T: PartialEq + std::fmt::Debug>(built: &Loaded<T>, read: &Loaded<T>) {
        for (id, value) in built.iter() {
            assert_eq!(read.get(id), Some(value), "{id}");
        }
    }
    same(&built.vpcs, &read.vpcs);
    same(&built.subnets, &read.subnets);
    same(&built.security_groups, &read.security_groups);
    same(&built.route_tables, &read.route_tables);
    same(&built.internet_gateways, &read.internet_gateways);
    same(&built.launch_templates, &read.launch_templates);
    same(&built.instances, &read.instances);
    same(&built.auto_scaling_groups, &read.auto_scaling_groups);
    assert!(!built.auto_scaling_groups.values().next().unwrap().tags.is_empty(), "a group with tags of its own");
    for (id, tags) in &built.tags {
        assert_eq!(read.tags.get(id), Some(tags), "{id}");
    }
}

#[test]
fn groups_are_in_line_exactly_when_a_reconcile_would_change_nothing() {
    let mut ids = IdSource::Sequence(0);
    let (mut network, subnets) = network(&mut ids);
    let wanted = spec(&subnets, 2);
    assert!(!network.groups_in_line(std::slice::from_ref(&wanted), NOW), "no group yet");
    network.reconcile_groups(std::slice::from_ref(&wanted), &mut ids, NOW);
    assert!(network.groups_in_line(std::slice::from_ref(&wanted), NOW));
    assert!(!network.groups_in_line(&[], NOW), "a group without its node group is deleted");

    // A spec is in line exactly when reconciling with it changes nothing; after one reconcile it is.
    let changes = [
        (spec(&subnets, 3), false),
        (spec(&subnets, 1), false),
        (GroupSpec { labels: BTreeMap::new(), ..spec(&subnets, 2) }, false),
        (GroupSpec { deleting: true, ..spec(&subnets, 2) }, false),
        (spec(&subnets[..1], 2), false),
        (GroupSpec { cluster: "other".into(), ..spec(&subnets, 2) }, false),
        // Only new launches read these.
        (GroupSpec { security_groups: vec!["sg-other".into()], ..spec(&subnets, 2) }, true),
        (GroupSpec { instance_type: Some("m5.large".into()), ..spec(&subnets, 2) }, true),
    ];
    for (changed, in_line) in changes {
        let mut copy = network.clone();
        assert_eq!(copy.groups_in_line(std::slice::from_ref(&changed), NOW), in_line, "{changed:?}");
        copy.reconcile_groups(std::slice::from_ref(&changed), &mut ids, NOW);
        assert_eq!(copy == network, in_line, "{changed:?}");
        assert!(copy.groups_in_line(std::slice::from_ref(&changed), NOW), "{changed:?}");
    }

    // A member terminated behind the group's back is replaced; an hour later it is forgotten.
    let victim = network.auto_scaling_groups["eks-workers-1234"].instances[0].clone();
    network.change_instance_states(std::slice::from_ref(&victim), StateRequest::Terminate, NOW).unwrap();
    assert!(!network.groups_in_line(std::slice::from_ref(&wanted), NOW));
    network.reconcile_groups(std::slice::from_ref(&wanted), &mut ids, NOW + 1.0);
    assert!(network.groups_in_line(std::slice::from_ref(&wanted), NOW + 1.0));
    assert!(!network.groups_in_line(std::slice::from_ref(&wanted), NOW + TERMINATED_VISIBLE_SECONDS));
    network.reconcile_groups(std::slice::from_ref(&wanted), &mut ids, NOW + TERMINATED_VISIBLE_SECONDS);
    assert!(network.groups_in_line(std::slice::from_ref(&wanted), NOW + TERMINATED_VISIBLE_SECONDS));

    // A launch template the user names: in line once the group uses its default version.
    let template = network.auto_scaling_groups["eks-workers-1234"].launch_template.clone();
    let named = GroupSpec { launch_template: Some((Some(template.id), None, None)), ..wanted };
    assert!(!network.groups_in_line(std::slice::from_ref(&named), NOW + 2.0), "the group owned its template");
    network.reconcile_groups(std::slice::from_ref(&named), &mut ids, NOW + 2.0);
    assert!(network.groups_in_line(std::slice::from_ref(&named), NOW + 2.0));
}

/// A node group of the spec's, `DELETING` and released until `gone_at`.
fn deleted_nodegroup(gone_at: f64) -> Nodegroup {
    Nodegroup {
        name: "workers".into(),
        arn: "arn:aws:eks:us-east-1:000000000000:nodegroup/demo/workers/1234".into(),
        cluster: "demo".into(),
        version: "1.34".into(),
        release_version: "1.34.0-20251016".into(),
        created_at: NOW,
        modified_at: NOW,
        status: NodegroupStatus::Deleting,
        capacity_type: "ON_DEMAND".into(),
        scaling: ScalingConfig { min_size: 0, max_size: 2, desired_size: 1 },
        instance_types: Vec::new(),
        subnets: Vec::new(),
        remote_access: None,
        ami_type: "AL2023_x86_64_STANDARD".into(),
        node_role: "arn:aws:iam::000000000000:role/node".into(),
        labels: BTreeMap::new(),
        taints: Vec::new(),
        auto_scaling_group: "eks-workers-1234".into(),
        disk_size: None,
        max_unavailable: crate::eks::nodegroups::MaxUnavailable::Count(1),
        launch_template: None,
        tags: BTreeMap::new(),
        ready_at: NOW,
        gone_at: Some(gone_at),
        updating_until: None,
        released: true,
        client_request_token: None,
    }
}

#[test]
fn the_next_change_is_the_first_boot_delay_or_forgetting_still_ahead() {
    let mut ids = IdSource::Sequence(0);
    let (mut network, subnets) = network(&mut ids);
    assert_eq!(next_change(&network, &[], NOW), None);
    // The spec's instances boot for 30 s.
    network.reconcile_groups(&[spec(&subnets, 2)], &mut ids, NOW);
    assert_eq!(next_change(&network, &[], NOW), Some(NOW + 30.0));
    assert_eq!(next_change(&network, &[], NOW + 30.0), None, "booted");
    let victim = network.auto_scaling_groups["eks-workers-1234"].instances[0].clone();
    network.change_instance_states(std::slice::from_ref(&victim), StateRequest::Terminate, NOW + 40.0).unwrap();
    assert_eq!(next_change(&network, &[], NOW + 40.0), Some(NOW + 40.0 + TERMINATED_VISIBLE_SECONDS));
    // A released node group whose delay is still running goes before.
    let deleted = [deleted_nodegroup(NOW + 100.0)];
    assert_eq!(next_change(&network, &deleted, NOW + 40.0), Some(NOW + 100.0));
    let unreleased = [Nodegroup { released: false, ..deleted_nodegroup(NOW + 100.0) }];
    assert_eq!(next_change(&network, &unreleased, NOW + 40.0), Some(NOW + 40.0 + TERMINATED_VISIBLE_SECONDS));
}

#[test]
fn only_the_groups_out_of_line_are_named() {
    let mut ids = IdSource::Sequence(0);
    let (mut network, subnets) = network(&mut ids);
    let one = spec(&subnets, 1);
    let two = GroupSpec {
        name: "eks-other-5678".into(),
        uuid: "5678".into(),
        nodegroup: "other".into(),
        ..spec(&subnets, 1)
    };
    network.reconcile_groups(&[one.clone(), two.clone()], &mut ids, NOW);
    assert!(network.out_of_line(&[one.clone(), two.clone()], NOW).is_empty());
    let bigger = GroupSpec { scaling: ScalingConfig { desired_size: 2, ..two.scaling }, ..two.clone() };
    let specs = [one.clone(), bigger.clone()];
    let found = network.out_of_line(&specs, NOW);
    assert_eq!(found.groups, [&bigger]);
    assert!(found.unwanted.is_empty() && found.forgotten.is_empty());
    let alone = [one];
    assert_eq!(network.out_of_line(&alone, NOW).unwanted, ["eks-other-5678"]);
}

#[test]
fn terminating_an_instance_costs_its_record_its_interfaces_and_its_volumes() {
    let mut network = Network::new("000000000000", "us-east-1");
    let mut bare = instance("i-a1", "a", 1.0, InstanceState::Running);
    bare.network_interfaces.clear();
    bare.volumes.clear();
    let mut loaded = bare.clone();
    loaded.id = "i-a2".into();
    loaded.network_interfaces = vec!["eni-1".into(), "eni-2".into()];
    loaded.volumes = vec!["vol-1".into(), "vol-2".into(), "vol-3".into()];
    network.instances.insert(bare.id.clone(), bare);
    network.instances.insert(loaded.id.clone(), loaded);
    assert_eq!(network.termination_cost("i-a1"), 1);
    assert_eq!(network.termination_cost("i-a2"), 6);
    assert_eq!(network.termination_cost("i-unknown"), 1);
}

#[test]
fn a_templates_instance_profile_is_named_by_arn() {
    use crate::ec2::templates::{IamInstanceProfile, LaunchTemplateData};
    let with = |arn: Option<&str>, name: Option<&str>| LaunchTemplateData {
        iam_instance_profile: Some(IamInstanceProfile { arn: arn.map(str::to_owned), name: name.map(str::to_owned) }),
        ..LaunchTemplateData::default()
    };
    let arn = "arn:aws:iam::111122223333:instance-profile/nodes/workers";
    assert_eq!(groups::template_instance_profile(&with(Some(arn), None), "111122223333").as_deref(), Some(arn));
    assert_eq!(
        groups::template_instance_profile(&with(None, Some("workers")), "111122223333").as_deref(),
        Some("arn:aws:iam::111122223333:instance-profile/workers")
    );
    assert_eq!(groups::template_instance_profile(&LaunchTemplateData::default(), "111122223333"), None);
}
