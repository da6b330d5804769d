use super::*;
use crate::ec2::templates::{CreateLaunchTemplate, LaunchTemplateData};
use crate::ec2::{CreateSubnet, InstanceState};

const NOW: f64 = 1000.0;

/// A network with a VPC, a roomy subnet in us-east-1a, a full `/28` in us-east-1b and a launch template `nodes`.
fn network(ids: &mut IdSource) -> (Network, String, String) {
    let mut network = Network::new("000000000000", "us-east-1");
    network.initialize(ids);
    let vpc = network.create_vpc(ids, Some("10.0.0.0/16"), None, &Tags::new()).unwrap();
    let subnet = |network: &mut Network, ids: &mut IdSource, cidr: &str, zone: &str| {
        let input = CreateSubnet {
            vpc_id: vpc.id.clone(),
            cidr_block: Some(cidr.into()),
            availability_zone: Some(zone.into()),
            ..CreateSubnet::default()
        };
        network.create_subnet(ids, &input).unwrap().id
    };
    let roomy = subnet(&mut network, ids, "10.0.0.0/24", "us-east-1a");
    let full = subnet(&mut network, ids, "10.0.1.0/28", "us-east-1b");
    while network.allocate_private_ip(&full).is_ok() {}
    let data = LaunchTemplateData {
        image_id: Some("ami-0123456789abcdef0".into()),
        user_data: Some("IyEvYmluL2Jhc2g=".into()),
        tag_specifications: vec![("instance".into(), [("team".to_owned(), "web".to_owned())].into())],
        iam_instance_profile: Some(crate::ec2::templates::IamInstanceProfile { arn: None, name: Some("nodes".into()) }),
        ..LaunchTemplateData::default()
    };
    let input = CreateLaunchTemplate { name: "nodes".into(), data, ..CreateLaunchTemplate::default() };
    network.create_launch_template(ids, &input, "me", 1.0).unwrap();
    (network, roomy, full)
}

fn candidate(kind: &str, subnet: &str) -> FleetOverride {
    FleetOverride { instance_type: Some(kind.into()), subnet_id: Some(subnet.into()), ..FleetOverride::default() }
}

fn request(overrides: Vec<FleetOverride>, capacity_type: &str) -> CreateFleet {
    CreateFleet {
        fleet_type: "instant".into(),
        configs: vec![FleetConfig {
            template: FleetTemplate { name: Some("nodes".into()), version: Some("$Latest".into()), id: None },
            overrides,
        }],
        total_target_capacity: 1,
        default_target_capacity_type: capacity_type.into(),
        instance_tags: [("karpenter.sh/nodeclaim".to_owned(), "default-abc".to_owned())].into(),
        ..CreateFleet::default()
    }
}

#[test]
fn the_cheapest_override_with_room_is_launched_from_the_template() {
    let ids = &mut IdSource::Sequence(0);
    let (mut network, roomy, full) = network(ids);
    let overrides = vec![candidate("m5.large", &roomy), candidate("t3.micro", &full), candidate("c6g.large", &roomy)];
    let created = network.create_fleet(ids, &request(overrides, "on-demand"), NOW).unwrap();
    // t3.micro in the full subnet is cheaper but has no room; c6g.large is next.
    assert_eq!(created.errors.len(), 1, "{created:?}");
    assert!(matches!(created.errors[0].failure, FleetFailure::InsufficientCapacity(_)));
    assert_eq!(created.errors[0].launched_from.overrides.as_ref().unwrap().instance_type.as_deref(), Some("t3.micro"));
    assert_eq!(created.instances.len(), 1);
    let group = &created.instances[0];
    assert_eq!((group.instance_type.as_str(), group.lifecycle.as_str()), ("c6g.large", "on-demand"));
    assert_eq!(group.launched_from.template_name, "nodes");
    assert_eq!(group.launched_from.version, "$Latest");
    let instance = &network.instances[&group.instance_ids[0]];
    assert_eq!(instance.subnet_id, roomy);
    assert_eq!(instance.image_id, "ami-0123456789abcdef0");
    assert_eq!(instance.user_data.as_deref(), Some("IyEvYmluL2Jhc2g="));
    assert_eq!(instance.instance_profile_arn.as_deref(), Some("arn:aws:iam::000000000000:instance-profile/nodes"));
    assert!(!instance.spot && !instance.security_groups.is_empty());
    let tags = &network.tags[&instance.id];
    assert_eq!(tags["team"], "web");
    assert_eq!(tags["karpenter.sh/nodeclaim"], "default-abc");
    assert_eq!(tags[FLEET_ID_TAG], created.fleet_id);
    assert_eq!(tags["aws:ec2launchtemplate:version"], "1");
}

#[test]
fn spot_fleets_launch_spot_instances_and_respect_the_max_price() {
    let ids = &mut IdSource::Sequence(0);
    let (mut network, roomy, _) = network(ids);
    let cheap_limit = FleetOverride { max_price: Some(0.001), ..candidate("t3.micro", &roomy) };
    let created = network.create_fleet(ids, &request(vec![cheap_limit, candidate("m5.large", &roomy)], "spot"), NOW);
    let created = created.unwrap();
    assert!(matches!(created.errors[0].failure, FleetFailure::SpotMaxPriceTooLow(_)), "{created:?}");
    assert_eq!(created.errors[0].lifecycle, "spot");
    let id = &created.instances[0].instance_ids[0];
    assert_eq!(created.instances[0].lifecycle, "spot");
    assert!(network.instances[id].spot && network.instances[id].is_spot());
}

#[test]
fn prioritized_goes_by_priority_and_no_room_anywhere_is_only_errors() {
    let ids = &mut IdSource::Sequence(0);
    let (mut network, roomy, full) = network(ids);
    let mut asked = request(
        vec![
            FleetOverride { priority: Some(2.0), ..candidate("t3.micro", &roomy) },
            FleetOverride { priority: Some(1.0), ..candidate("m5.large", &roomy) },
        ],
        "on-demand",
    );
    asked.on_demand_allocation_strategy = Some("prioritized".into());
    let created = network.create_fleet(ids, &asked, NOW).unwrap();
    assert_eq!(created.instances[0].instance_type, "m5.large");
    let created = network.create_fleet(ids, &request(vec![candidate("m5.large", &full)], "on-demand"), NOW).unwrap();
    assert!(created.instances.is_empty());
    assert_eq!(created.errors.len(), 1);
}

#[test]
fn a_client_token_used_again_answers_the_same_instances() {
    let ids = &mut IdSource::Sequence(0);
    let (mut network, roomy, _) = network(ids);
    let mut asked = request(vec![candidate("m5.large", &roomy)], "on-demand");
    asked.client_token = Some("default-abc".into());
    let first = network.create_fleet(ids, &asked, NOW).unwrap();
    let again = network.create_fleet(ids, &asked, NOW + 1.0).unwrap();
    assert_eq!(first.fleet_id, again.fleet_id);
    assert_eq!(first.instance_ids().collect::<Vec<_>>(), again.instance_ids().collect::<Vec<_>>());
    assert_eq!(first.instances[0].launched_from, again.instances[0].launched_from);
    let live = network.instances.values().filter(|i| i.state == InstanceState::Running).count();
    assert_eq!(live, 1);
}

fn check_refused(change: impl FnOnce(&mut CreateFleet), expect: &str) {
    let ids = &mut IdSource::Sequence(0);
    let (mut network, roomy, _) = network(ids);
    let mut asked = request(vec![candidate("m5.large", &roomy)], "on-demand");
    change(&mut asked);
    let refused = network.create_fleet(ids, &asked, NOW).unwrap_err();
    assert!(format!("{refused:?}").contains(expect), "{refused:?}");
    assert!(network.instances.is_empty());
}

#[test]
fn bad_requests_are_refused_with_ec2s_errors() {
    check_refused(|r| r.fleet_type = "maintain".into(), "Unsupported");
    check_refused(|r| r.fleet_type = "whatever".into(), "InvalidParameterValue");
    check_refused(|r| r.configs.clear(), "MissingParameter");
    check_refused(|r| r.configs[0].overrides = vec![FleetOverride::default(); 301], "at most 300");
    check_refused(|r| r.configs[0].overrides[0].instance_type = Some("m5.huge".into()), "m5.huge");
    check_refused(|r| r.total_target_capacity = 0, "TotalTargetCapacity");
    check_refused(|r| r.default_target_capacity_type = "reserved".into(), "DefaultTargetCapacityType");
    check_refused(|r| r.spot_allocation_strategy = Some("cheapest".into()), "SpotOptions");
    check_refused(|r| r.configs[0].template.name = Some("missing".into()), "LaunchTemplateNameNotFound");
    check_refused(|r| r.configs[0].template.version = Some("7".into()), "LaunchTemplateVersionNotFound");
    check_refused(|r| r.configs[0].template.id = Some("lt-1".into()), "InvalidParameterCombination");
    check_refused(|r| (r.on_demand_target_capacity, r.spot_target_capacity) = (Some(1), Some(1)), "sum");
}

#[test]
fn target_capacity_splits_by_the_default_type() {
    let split = |on_demand, spot, default: &str| {
        CreateFleet {
            total_target_capacity: 4,
            on_demand_target_capacity: on_demand,
            spot_target_capacity: spot,
            default_target_capacity_type: default.into(),
            ..CreateFleet::default()
        }
        .split()
    };
    assert_eq!(split(None, None, "spot"), (0, 4));
    assert_eq!(split(None, None, "on-demand"), (4, 0));
    assert_eq!(split(Some(1), None, "spot"), (1, 3));
    assert_eq!(split(Some(1), Some(1), "spot"), (1, 3));
    assert_eq!(split(Some(1), Some(1), "on-demand"), (3, 1));
}
