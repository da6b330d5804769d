use super::*;
use crate::ec2::instance_types::{INSTANCE_TYPES, instance_type};
use crate::ec2::templates::{CreateLaunchTemplate, LaunchTemplateData, TemplateName};
use crate::ec2::{IdSource, Network};

fn check_max_pods(name: &str, expect: Option<u32>) {
    assert_eq!(instance_type(name).map(|kind| kind.max_pods()), expect, "{name}");
}

#[test]
fn max_pods_follow_the_vpc_cni_formula() {
    check_max_pods("t3.micro", Some(4));
    check_max_pods("t3.small", Some(11));
    check_max_pods("t3.medium", Some(17));
    check_max_pods("t3.large", Some(35));
    check_max_pods("t3.xlarge", Some(58));
    check_max_pods("t3a.small", Some(8));
    check_max_pods("m5.large", Some(29));
    check_max_pods("m5.xlarge", Some(58));
    check_max_pods("m5.4xlarge", Some(234));
    check_max_pods("g4dn.xlarge", Some(29));
    check_max_pods("t3.enormous", None);
    check_max_pods("", None);
    check_max_pods("M5.LARGE", None);
}

#[test]
fn the_table_names_each_type_once_with_sane_figures() {
    for (index, kind) in INSTANCE_TYPES.iter().enumerate() {
        assert!(INSTANCE_TYPES[index + 1..].iter().all(|other| other.name != kind.name), "{}", kind.name);
        assert!(kind.vcpus >= 2 && kind.memory_mib >= 512 && kind.max_enis >= 2, "{}", kind.name);
        assert_eq!(kind.cores() * kind.threads_per_core(), kind.vcpus, "{}", kind.name);
    }
}

fn check_dns(ip: [u8; 4], region: &str, expect: &str) {
    assert_eq!(private_dns_name(Ipv4Addr::from(ip), region), expect);
}

#[test]
fn private_dns_names_as_ec2_gives_them() {
    check_dns([10, 0, 1, 23], "us-east-1", "ip-10-0-1-23.ec2.internal");
    check_dns([192, 168, 0, 4], "eu-west-1", "ip-192-168-0-4.eu-west-1.compute.internal");
}

fn check_gmt(seconds: f64, expect: &str) {
    assert_eq!(gmt(seconds), expect);
}

#[test]
fn transition_reasons_carry_gmt_times() {
    check_gmt(0.0, "1970-01-01 00:00:00 GMT");
    check_gmt(1_795_840_200.5, "2026-11-28 04:30:00 GMT");
    check_gmt(951_782_400.0, "2000-02-29 00:00:00 GMT");
    check_gmt(-5.0, "1970-01-01 00:00:00 GMT");
}

fn check_id(id: &str, expect: bool) {
    assert_eq!(is_instance_id(id), expect, "{id}");
}

#[test]
fn instance_ids_are_checked_for_shape() {
    check_id("i-0123456789abcdef0", true);
    check_id("i-12345678", true);
    check_id("i-0123456789ABCDEF0", false);
    check_id("i-", false);
    check_id("vpc-0123456789abcdef0", false);
    check_id("i-0123456789abcdef", false);
    check_id("\u{0}", false);
}

fn empty() -> Network {
    let mut network = Network::new("000000000000", "us-east-1");
    network.initialize(&mut IdSource::Sequence(0));
    network
}

fn check_describe(ids: &[&str], filter: Option<&str>, expect: Result<usize, &str>) {
    let network = empty();
    let ids: Vec<String> = ids.iter().map(|id| (*id).to_owned()).collect();
    let filters: Vec<Filter> =
        filter.map(|name| Filter { name: name.into(), values: vec!["x".into()] }).into_iter().collect();
    let got = network.describe_instances(&ids, &filters, 0.0).map(|found| found.len()).map_err(|e| e.to_string());
    assert_eq!(got, expect.map_err(str::to_owned));
}

#[test]
fn describe_instances_refuses_garbage_ids_and_filters() {
    check_describe(&[], None, Ok(0));
    check_describe(&[], Some("instance-state-name"), Ok(0));
    check_describe(&[], Some("tag:anything"), Ok(0));
    check_describe(&["bogus"], None, Err("Invalid id: \"bogus\""));
    check_describe(&["i-0123456789abcdef0"], None, Err("The instance ID 'i-0123456789abcdef0' does not exist"));
    check_describe(
        &["i-0123456789abcdef0", "i-0123456789abcdef1"],
        None,
        Err("The instance IDs 'i-0123456789abcdef0, i-0123456789abcdef1' do not exist"),
    );
    check_describe(&[], Some("colour"), Err("The filter 'colour' is invalid"));
}

#[test]
fn state_changes_refuse_what_ec2_refuses() {
    let mut network = empty();
    assert!(matches!(network.change_instance_states(&[], StateRequest::Stop, 0.0), Err(Ec2Error::MissingParameter(_))));
    assert!(matches!(
        network.change_instance_states(&["i-0123456789abcdef0".into()], StateRequest::Start, 0.0),
        Err(Ec2Error::InstanceNotFound(_))
    ));
}

fn template_network() -> (Network, String) {
    let mut network = empty();
    let mut ids = IdSource::Sequence(100);
    let input = CreateLaunchTemplate {
        name: "nodes".into(),
        data: LaunchTemplateData { instance_type: Some("m5.large".into()), ..LaunchTemplateData::default() },
        ..CreateLaunchTemplate::default()
    };
    let id = network.create_launch_template(&mut ids, &input, "me", 1.0).unwrap().id;
    let data = LaunchTemplateData { image_id: Some("ami-2".into()), ..LaunchTemplateData::default() };
    network.create_launch_template_version(&TemplateName::Name("nodes"), Some("1"), None, &data, "me", 2.0).unwrap();
    (network, id)
}

fn check_version(which: Option<&str>, expect: Result<(u64, Option<&str>), &str>) {
    let (network, id) = template_network();
    let template = network.launch_template(&TemplateName::Id(&id)).unwrap();
    let got = template
        .version(which)
        .map(|version| (version.number, version.data.instance_type.as_deref()))
        .map_err(|error| error.to_string());
    assert_eq!(got, expect.map_err(|e| e.replace("ID", &id)));
}

#[test]
fn launch_template_versions_resolve_as_ec2_resolves_them() {
    check_version(None, Ok((1, Some("m5.large"))));
    check_version(Some("$Default"), Ok((1, Some("m5.large"))));
    check_version(Some("$Latest"), Ok((2, Some("m5.large"))));
    check_version(Some("2"), Ok((2, Some("m5.large"))));
    check_version(Some("3"), Err("Could not find launch template version 3 for launch template ID."));
    check_version(Some("latest"), Err("Could not find launch template version latest for launch template ID."));
    check_version(Some(""), Err("Could not find launch template version  for launch template ID."));
}

fn check_create(name: &str, expect: Result<(), &str>) {
    let (mut network, _) = template_network();
    let input = CreateLaunchTemplate { name: name.into(), ..CreateLaunchTemplate::default() };
    let got = network.create_launch_template(&mut IdSource::Sequence(500), &input, "me", 3.0).map(drop);
    assert_eq!(got.map_err(|error| error.to_string()), expect.map_err(str::to_owned), "{name}");
}

#[test]
fn launch_template_names_are_checked() {
    check_create("web(1)", Ok(()));
    check_create("nodes", Err("Launch template name already in use: nodes"));
    check_create(
        "ab",
        Err(
            "A launch template name must be between 3 and 128 characters, and may contain letters, numbers, and the following characters: - ( ) . / _.'",
        ),
    );
    check_create(
        "with space",
        Err(
            "A launch template name must be between 3 and 128 characters, and may contain letters, numbers, and the following characters: - ( ) . / _.'",
        ),
    );
    check_create(
        &"x".repeat(129),
        Err(
            "A launch template name must be between 3 and 128 characters, and may contain letters, numbers, and the following characters: - ( ) . / _.'",
        ),
    );
}

#[test]
fn a_template_is_named_by_id_or_name_never_both() {
    assert_eq!(TemplateName::from_request(Some("lt-1"), None), Ok(TemplateName::Id("lt-1")));
    assert_eq!(TemplateName::from_request(None, Some("web")), Ok(TemplateName::Name("web")));
    assert!(matches!(
        TemplateName::from_request(Some("lt-1"), Some("web")),
        Err(Ec2Error::InvalidParameterCombination(_))
    ));
    assert!(matches!(TemplateName::from_request(None, None), Err(Ec2Error::MissingParameter(_))));
}

/// The default VPC's network, with its subnets.
fn default_network(ids: &mut IdSource) -> Network {
    let mut network = Network::new("000000000000", "us-east-1");
    network.initialize(ids);
    network
}

fn run(count: (usize, usize)) -> RunInstances {
    RunInstances {
        image_id: "ami-0123456789abcdef0".into(),
        instance_type: "t3.large".into(),
        min_count: count.0,
        max_count: count.1,
        user_data: Some(crate::ids::base64(b"#!/bin/bash\n/etc/eks/bootstrap.sh demo\n")),
        client_token: Some("token".into()),
        tags: Tags::from([("Name".to_owned(), "batch".to_owned())]),
        ..RunInstances::default()
    }
}

#[test]
fn run_instances_launches_one_reservation_into_the_default_vpc_once_per_client_token() {
    let ids = &mut IdSource::Sequence(0);
    let mut network = default_network(ids);
    let launched = network.run_instances(ids, &run((2, 3)), 10.0).unwrap();
    assert_eq!(launched.len(), 3);
    let instances: Vec<&Instance> = launched.iter().map(|id| &network.instances[id]).collect();
    assert!(instances.iter().all(|i| i.reservation_id == instances[0].reservation_id));
    let default_vpc = network.vpcs.values().find(|vpc| vpc.is_default).unwrap().id.clone();
    for instance in &instances {
        assert_eq!(instance.vpc_id, default_vpc);
        assert_eq!(instance.bootstrap.as_ref().unwrap().cluster, "demo");
        assert_eq!(instance.network_interfaces.len(), 1, "its primary interface");
        assert_eq!(network.tags[&instance.id]["Name"], "batch");
        let group = &network.security_groups[&instance.security_groups[0]];
        assert_eq!((group.name.as_str(), &group.vpc_id), ("default", &default_vpc));
        assert_eq!(instance.auto_scaling_group, None);
    }
    let again = network.run_instances(ids, &run((1, 1)), 20.0).unwrap();
    assert_eq!(again, launched, "the same client token launches nothing more");
    assert_eq!(network.instances.len(), 3);
}

#[test]
fn run_instances_refuses_unknown_subnets_and_groups_and_full_subnets_launching_nothing() {
    let ids = &mut IdSource::Sequence(0);
    let mut network = default_network(ids);
    let unknown_subnet = RunInstances { subnet_id: Some("subnet-0000000000000beef".into()), ..run((1, 1)) };
    assert_eq!(
        network.run_instances(ids, &unknown_subnet, 0.0),
        Err(Ec2Error::SubnetNotFound("subnet-0000000000000beef".into()))
    );
    let unknown_group = RunInstances { security_group_ids: vec!["sg-0000000000000beef".into()], ..run((1, 1)) };
    assert!(matches!(network.run_instances(ids, &unknown_group, 0.0), Err(Ec2Error::GroupNotFound(_))));
    let too_many = RunInstances { client_token: None, ..run((100_000, 100_000)) };
    assert!(matches!(network.run_instances(ids, &too_many, 0.0), Err(Ec2Error::NoFreeAddress(_))));
    assert!(network.instances.is_empty());
}
