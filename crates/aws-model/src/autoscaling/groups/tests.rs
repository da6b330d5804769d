use super::*;
use crate::autoscaling::{NodeInstance, instances_by_cluster};
use crate::ec2::templates::CreateLaunchTemplate;
use crate::ec2::{CreateSubnet, IdSource, InstanceState, Tags};

const NOW: f64 = 1_000_000.0;

const NODE_CONFIG: &str = "apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  cluster:\n    name: demo\n  \
                           kubelet:\n    flags:\n      - --node-labels=team=blue\n";

/// A network with a VPC, a subnet in each of two zones and a launch template `nodes` whose user data joins
/// `demo`.
fn network(ids: &mut IdSource) -> (Network, Vec<String>) {
    let mut network = Network::new("000000000000", "us-east-1");
    network.initialize(ids);
    let vpc = network.create_vpc(ids, Some("10.0.0.0/16"), None, &Tags::new()).unwrap();
    let subnets = ["us-east-1a", "us-east-1b"]
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
    let template = CreateLaunchTemplate {
        name: "nodes".into(),
        data: LaunchTemplateData {
            image_id: Some("ami-0123456789abcdef0".into()),
            instance_type: Some("m5.large".into()),
            user_data: Some(crate::ids::base64(NODE_CONFIG.as_bytes())),
            ..LaunchTemplateData::default()
        },
        ..CreateLaunchTemplate::default()
    };
    network.create_launch_template(ids, &template, "me", NOW).unwrap();
    (network, subnets)
}

fn request(subnets: &[String], min: i64, max: i64, desired: Option<i64>) -> GroupRequest {
    GroupRequest {
        name: "self-managed".into(),
        min_size: Some(min),
        max_size: Some(max),
        desired_capacity: desired,
        launch_template: Some(TemplateRequest {
            id: None,
            name: Some("nodes".into()),
            version: Some("$Latest".into()),
        }),
        subnets: Some(subnets.to_vec()),
        tags: vec![
            GroupTag { key: "Name".into(), value: "worker".into(), propagate_at_launch: true },
            GroupTag { key: "team".into(), value: "ops".into(), propagate_at_launch: false },
        ],
        ..GroupRequest::default()
    }
}

fn live(network: &Network) -> Vec<&crate::ec2::Instance> {
    network.instances.values().filter(|i| i.is_live()).collect()
}

#[test]
fn a_user_group_launches_from_its_template_into_its_subnets_and_its_instances_join_the_cluster_they_name() {
    let ids = &mut IdSource::Sequence(0);
    let (mut network, subnets) = network(ids);
    network.create_user_group(&request(&subnets, 1, 4, Some(2)), "uuid-1", NOW).unwrap();
    network.reconcile_groups(&[], ids, NOW);
    let group = &network.auto_scaling_groups["self-managed"];
    assert_eq!(group.instances.len(), 2);
    assert_eq!(group.availability_zones, ["us-east-1a", "us-east-1b"]);
    assert_eq!(group.settings.as_ref().unwrap().launch_template.version, "$Latest");
    assert_eq!(group.activities.len(), 2);
    assert!(group.activities.iter().all(|a| a.description.starts_with("Launching a new EC2 instance: i-")));
    let instances = live(&network);
    assert_eq!(instances.len(), 2);
    let zones: BTreeSet<&str> = instances.iter().map(|i| i.availability_zone.as_str()).collect();
    assert_eq!(zones.len(), 2, "spread over both zones");
    for instance in &instances {
        assert_eq!(instance.instance_type, "m5.large");
        assert_eq!(instance.image_id, "ami-0123456789abcdef0");
        assert!(instance.nodegroup.is_none());
        assert_eq!(instance.bootstrap.as_ref().unwrap().cluster, "demo");
        let tags = &network.tags[&instance.id];
        assert_eq!(tags["Name"], "worker");
        assert!(!tags.contains_key("team"), "not propagated");
        assert_eq!(tags["aws:autoscaling:groupName"], "self-managed");
    }
    let nodes: &Vec<NodeInstance> = &instances_by_cluster(&network, NOW)["demo"];
    assert_eq!(nodes.len(), 2);
    assert!(nodes.iter().all(|node| node.nodegroup.is_empty() && node.self_managed.is_some()));
    assert_eq!(nodes[0].labels["team"], "blue");

    // Nothing more to do: a second reconcile changes nothing.
    let before = network.clone();
    network.reconcile_groups(&[], ids, NOW + 1.0);
    assert_eq!(network.auto_scaling_groups["self-managed"], before.auto_scaling_groups["self-managed"]);
}

#[test]
fn scale_in_leaves_protected_instances_and_a_forced_delete_terminates_the_rest() {
    let ids = &mut IdSource::Sequence(0);
    let (mut network, subnets) = network(ids);
    network.create_user_group(&request(&subnets, 0, 4, Some(3)), "uuid-1", NOW).unwrap();
    network.reconcile_groups(&[], ids, NOW);
    let members = network.auto_scaling_groups["self-managed"].instances.clone();
    network.set_instance_protection("self-managed", &members[..1], true).unwrap();
    let outsider = "i-00000000000000fff".to_owned();
    assert!(matches!(
        network.set_instance_protection("self-managed", &[outsider], true),
        Err(AutoScalingError::Validation(message)) if message.contains("not part of Auto Scaling group")
    ));

    network.update_user_group(&GroupRequest { desired_capacity: Some(0), ..named("self-managed") }).unwrap();
    network.reconcile_groups(&[], ids, NOW + 1.0);
    assert_eq!(network.auto_scaling_groups["self-managed"].instances, members[..1]);
    assert_eq!(live(&network).len(), 1);
    let newest = &network.auto_scaling_groups["self-managed"].activities[0];
    assert!(newest.description.starts_with("Terminating EC2 instance"), "{newest:?}");

    assert!(matches!(network.delete_user_group("self-managed", false), Err(AutoScalingError::ResourceInUse(_))));
    network.delete_user_group("self-managed", true).unwrap();
    assert!(network.auto_scaling_groups["self-managed"].deleting);
    network.reconcile_groups(&[], ids, NOW + 2.0);
    assert!(!network.auto_scaling_groups.contains_key("self-managed"));
    assert!(live(&network).is_empty());
}

fn named(name: &str) -> GroupRequest {
    GroupRequest { name: name.into(), ..GroupRequest::default() }
}

fn check_refused(change: impl FnOnce(&mut Network, &[String]) -> Result<(), AutoScalingError>, expect: &str) {
    let ids = &mut IdSource::Sequence(0);
    let (mut network, subnets) = network(ids);
    let before = network.clone();
    let error = change(&mut network, &subnets).unwrap_err();
    assert!(error.to_string().contains(expect), "{error} does not say {expect}");
    assert_eq!(network.auto_scaling_groups.len(), before.auto_scaling_groups.len(), "nothing half-written");
}

#[test]
fn bad_groups_are_refused_with_auto_scaling_s_messages() {
    let with = |change: fn(&mut GroupRequest)| {
        move |network: &mut Network, subnets: &[String]| {
            let mut request = request(subnets, 1, 2, Some(1));
            change(&mut request);
            network.create_user_group(&request, "u", NOW)
        }
    };
    check_refused(with(|r| r.min_size = Some(3)), "Max bound, 2, must be greater than or equal to min bound, 3");
    check_refused(with(|r| r.desired_capacity = Some(5)), "Desired capacity:5 must be between");
    check_refused(with(|r| r.min_size = Some(-1)), "at 'minSize' failed to satisfy constraint");
    check_refused(with(|r| r.max_size = None), "Value null at 'maxSize'");
    check_refused(with(|r| r.name = "bad\0name".into()), "autoScalingGroupName");
    check_refused(with(|r| r.launch_template = None), "Valid requests must contain either LaunchTemplate");
    check_refused(
        with(|r| r.launch_template = Some(TemplateRequest { name: Some("nope".into()), ..TemplateRequest::default() })),
        "You must use a valid fully-formed launch template. The specified launch template, with template name nope",
    );
    check_refused(
        with(|r| r.launch_template.as_mut().unwrap().version = Some("9".into())),
        "Could not find launch template version 9",
    );
    check_refused(
        with(|r| r.subnets = Some(vec!["subnet-00000000000000bad".into()])),
        "The subnet ID 'subnet-00000000000000bad' does not exist",
    );
    check_refused(with(|r| r.subnets = None), "At least one Availability Zone or VPC Subnet is required.");
    check_refused(with(|r| r.health_check_type = Some("HTTP".into())), "healthCheckType");
    check_refused(
        with(|r| r.tags.push(GroupTag { key: "aws:x".into(), value: String::new(), propagate_at_launch: true })),
        "reserved",
    );
    let ids = &mut IdSource::Sequence(0);
    let (mut network, subnets) = network(ids);
    network.create_user_group(&request(&subnets, 0, 1, None), "u", NOW).unwrap();
    let again = network.create_user_group(&request(&subnets, 0, 2, None), "u", NOW);
    assert!(matches!(again, Err(AutoScalingError::AlreadyExists(m)) if m.contains("already exists")));
    assert_eq!(network.auto_scaling_groups["self-managed"].max_size, 1);
}

#[test]
fn tags_are_put_and_deleted_with_their_propagation() {
    let ids = &mut IdSource::Sequence(0);
    let (mut network, subnets) = network(ids);
    network.create_user_group(&request(&subnets, 0, 1, None), "u", NOW).unwrap();
    let tag = |key: &str, propagate| GroupTag { key: key.into(), value: "v".into(), propagate_at_launch: propagate };
    network
        .put_group_tags(&[("self-managed".into(), tag("team", true)), ("self-managed".into(), tag("x", false))])
        .unwrap();
    let group = &network.auto_scaling_groups["self-managed"];
    assert_eq!(group.tags["team"], "v");
    let settings = group.settings.as_ref().unwrap();
    assert!(!settings.unpropagated.contains("team") && settings.unpropagated.contains("x"));
    network.delete_group_tags(&[("self-managed".into(), "x".into(), Some("other".into()))]).unwrap();
    assert!(network.auto_scaling_groups["self-managed"].tags.contains_key("x"), "the value did not match");
    network.delete_group_tags(&[("self-managed".into(), "x".into(), None)]).unwrap();
    assert!(!network.auto_scaling_groups["self-managed"].tags.contains_key("x"));
    let too_many: Vec<(String, GroupTag)> =
        (0..60).map(|n| ("self-managed".to_owned(), tag(&format!("k{n}"), true))).collect();
    assert!(matches!(network.put_group_tags(&too_many), Err(AutoScalingError::LimitExceeded(_))));
    assert!(network.put_group_tags(&[("nobody".into(), tag("a", true))]).is_err());
}

#[test]
fn a_mixed_instances_policy_launches_its_first_override() {
    let ids = &mut IdSource::Sequence(0);
    let (mut network, subnets) = network(ids);
    let policy = MixedInstancesRequest {
        launch_template: Some(TemplateRequest { name: Some("nodes".into()), ..TemplateRequest::default() }),
        overrides: vec![InstanceOverride { instance_type: Some("c5.xlarge".into()), weighted_capacity: None }],
        distribution: BTreeMap::from([("OnDemandBaseCapacity".to_owned(), "1".to_owned())]),
    };
    let request =
        GroupRequest { launch_template: None, mixed_instances_policy: Some(policy), ..request(&subnets, 1, 1, None) };
    network.create_user_group(&request, "u", NOW).unwrap();
    network.reconcile_groups(&[], ids, NOW);
    let instances = live(&network);
    assert_eq!(instances.len(), 1);
    assert_eq!(instances[0].instance_type, "c5.xlarge");
    assert_eq!(instances[0].state_at(NOW), InstanceState::Running);
}
