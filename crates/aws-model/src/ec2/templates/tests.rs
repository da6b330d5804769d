use super::*;

fn network_with(data: LaunchTemplateData) -> Network {
    let mut network = Network::new("000000000000", "us-west-2");
    let input = CreateLaunchTemplate { name: "nodes".into(), data, ..CreateLaunchTemplate::default() };
    network.create_launch_template(&mut IdSource::Sequence(1), &input, "me", 1.0).unwrap();
    network
}

fn ebs(volume_type: Option<&str>, size: Option<i64>, iops: Option<i64>, throughput: Option<i64>) -> LaunchTemplateData {
    let ebs = EbsBlockDevice {
        volume_type: volume_type.map(str::to_owned),
        volume_size: size,
        iops,
        throughput,
        ..EbsBlockDevice::default()
    };
    let mapping = BlockDeviceMapping { device_name: Some("/dev/xvda".into()), ebs: Some(ebs), ..Default::default() };
    LaunchTemplateData { block_device_mappings: vec![mapping], ..LaunchTemplateData::default() }
}

fn metadata(tokens: Option<&str>, hops: Option<i64>) -> LaunchTemplateData {
    let options = MetadataOptions {
        http_tokens: tokens.map(str::to_owned),
        http_put_response_hop_limit: hops,
        ..MetadataOptions::default()
    };
    LaunchTemplateData { metadata_options: Some(options), ..LaunchTemplateData::default() }
}

fn check(data: LaunchTemplateData, expect: Result<(), &str>) {
    assert_eq!(data.check().map_err(|error| error.to_string()), expect.map_err(str::to_owned), "{data:?}");
}

#[test]
fn block_devices_are_checked_as_ec2_checks_volumes() {
    check(ebs(Some("gp3"), Some(50), None, None), Ok(()));
    check(ebs(Some("gp3"), Some(50), Some(4000), Some(250)), Ok(()));
    check(ebs(None, Some(20), None, None), Ok(()));
    check(ebs(Some("io1"), Some(100), None, None), Ok(()));
    check(ebs(None, None, None, None), Ok(()));
    check(
        ebs(Some("gp9"), Some(50), None, None),
        Err(
            "Value (gp9) for parameter volumeType is invalid. Allowed values are [standard, io1, io2, gp2, sc1, st1, gp3]",
        ),
    );
    check(
        ebs(Some("st1"), Some(20), None, None),
        Err("Volume of 20GiB is too small for volume type st1; minimum is 125GiB"),
    );
    check(
        ebs(Some("gp2"), Some(20_000), None, None),
        Err("Volume of 20000GiB is too large for volume type gp2; maximum is 16384GiB"),
    );
    check(ebs(Some("gp2"), None, None, Some(200)), Err("throughput can only be specified for volumeType gp3."));
    check(ebs(Some("gp3"), Some(0), None, None), Err("Value (0) for parameter volumeSize is invalid."));
    check(ebs(Some("gp3"), Some(-5), None, None), Err("Value (-5) for parameter volumeSize is invalid."));
    check(ebs(Some("gp3"), Some(50), Some(100), None), Err("Volume iops of 100 is too low; minimum is 3000."));
}

#[test]
fn metadata_options_are_checked() {
    check(metadata(Some("required"), Some(2)), Ok(()));
    check(metadata(None, Some(64)), Ok(()));
    check(
        metadata(Some("always"), None),
        Err("Value (always) for parameter httpTokens is invalid. Allowed values are [optional, required]"),
    );
    check(
        metadata(None, Some(0)),
        Err("Value (0) for parameter httpPutResponseHopLimit is invalid. The hop limit must be between 1 and 64."),
    );
    check(
        metadata(None, Some(65)),
        Err("Value (65) for parameter httpPutResponseHopLimit is invalid. The hop limit must be between 1 and 64."),
    );
}

#[test]
fn metadata_options_answer_with_ec2_defaults() {
    let given = MetadataOptions { http_tokens: Some("required".into()), ..MetadataOptions::default() };
    let answered = given.with_defaults();
    assert_eq!(answered.http_tokens.as_deref(), Some("required"));
    assert_eq!(answered.http_put_response_hop_limit, None);
    assert_eq!(answered.http_endpoint.as_deref(), Some("enabled"));
    assert_eq!(answered.http_protocol_ipv6.as_deref(), Some("disabled"));
    assert_eq!(answered.instance_metadata_tags.as_deref(), Some("disabled"));
}

#[test]
fn an_instance_profile_is_named_one_way() {
    let profile = |arn: Option<&str>, name: Option<&str>| LaunchTemplateData {
        iam_instance_profile: Some(IamInstanceProfile { arn: arn.map(str::to_owned), name: name.map(str::to_owned) }),
        ..LaunchTemplateData::default()
    };
    check(profile(Some("arn:aws:iam::000000000000:instance-profile/nodes"), None), Ok(()));
    check(profile(None, Some("nodes")), Ok(()));
    assert!(matches!(profile(Some("a"), Some("b")).check(), Err(Ec2Error::InvalidParameterCombination(_))));
}

#[test]
fn a_version_from_a_source_version_keeps_what_it_does_not_set() {
    let placement = Setting::Members(vec![("Tenancy".into(), Setting::Value("default".into()))]);
    let monitoring = |on: &str| Setting::Members(vec![("Enabled".into(), Setting::Value(on.into()))]);
    let first = LaunchTemplateData {
        image_id: Some("ami-1".into()),
        iam_instance_profile: Some(IamInstanceProfile { name: Some("nodes".into()), arn: None }),
        settings: vec![("Placement".into(), placement.clone()), ("Monitoring".into(), monitoring("false"))],
        ..metadata(Some("required"), Some(2))
    };
    let mut network = network_with(first);
    let second = LaunchTemplateData {
        settings: vec![("Monitoring".into(), monitoring("true"))],
        ..ebs(Some("gp3"), Some(80), None, None)
    };
    let (_, version) = network
        .create_launch_template_version(&TemplateName::Name("nodes"), Some("1"), None, &second, "me", 2.0)
        .unwrap();
    let data = &version.data;
    assert_eq!(data.image_id.as_deref(), Some("ami-1"));
    assert_eq!(data.iam_instance_profile().and_then(|p| p.name.as_deref()), Some("nodes"));
    assert_eq!(data.metadata_options.as_ref().and_then(|o| o.http_tokens.as_deref()), Some("required"));
    assert_eq!(data.block_device_mappings[0].ebs.as_ref().and_then(|e| e.volume_size), Some(80));
    assert_eq!(data.setting("Placement"), Some(&placement));
    assert_eq!(data.setting("Monitoring").and_then(|m| m.member("Enabled")).and_then(Setting::value), Some("true"));
    // Without a source version nothing is inherited.
    let (_, third) =
        network.create_launch_template_version(&TemplateName::Name("nodes"), None, None, &second, "me", 3.0).unwrap();
    assert_eq!(third.data.image_id, None);
    assert_eq!(third.data.setting("Placement"), None);
}

#[test]
fn bad_data_makes_no_version() {
    let mut network = network_with(LaunchTemplateData::default());
    let bad = metadata(Some("sometimes"), None);
    assert!(network.create_launch_template_version(&TemplateName::Name("nodes"), None, None, &bad, "me", 2.0).is_err());
    assert_eq!(network.launch_template(&TemplateName::Name("nodes")).unwrap().latest_version(), 1);
    let input = CreateLaunchTemplate { name: "other".into(), data: bad, ..CreateLaunchTemplate::default() };
    assert!(network.create_launch_template(&mut IdSource::Sequence(9), &input, "me", 2.0).is_err());
    assert!(network.launch_template(&TemplateName::Name("other")).is_err());
}

fn three_versions() -> Network {
    let mut network = network_with(LaunchTemplateData::default());
    for now in [2.0, 3.0] {
        network
            .create_launch_template_version(
                &TemplateName::Name("nodes"),
                None,
                None,
                &LaunchTemplateData::default(),
                "me",
                now,
            )
            .unwrap();
    }
    network
}

#[test]
fn the_default_version_moves() {
    let mut network = three_versions();
    let which = TemplateName::Name("nodes");
    assert_eq!(network.modify_launch_template(&which, Some("3")).unwrap().default_version, 3);
    assert_eq!(network.launch_template(&which).unwrap().version(None).unwrap().number, 3);
    assert!(matches!(
        network.modify_launch_template(&which, Some("4")),
        Err(Ec2Error::LaunchTemplateVersionNotFound(_))
    ));
    assert!(matches!(network.modify_launch_template(&which, Some("$Latest")), Err(Ec2Error::InvalidParameterValue(_))));
    assert_eq!(network.modify_launch_template(&which, None).unwrap().default_version, 3);
}

#[test]
fn versions_are_deleted_one_by_one_but_never_the_default() {
    let mut network = three_versions();
    let which = TemplateName::Name("nodes");
    let asked: Vec<String> = ["1", "2", "2", "7", "x"].map(str::to_owned).to_vec();
    let (template, outcomes) = network.delete_launch_template_versions(&which, &asked).unwrap();
    let codes: Vec<Option<&str>> =
        outcomes.iter().map(|outcome| outcome.refusal.as_ref().map(|(code, _)| code.as_str())).collect();
    assert_eq!(
        codes,
        [
            Some("unexpectedError"),
            None,
            Some("launchTemplateVersionDoesNotExist"),
            Some("launchTemplateVersionDoesNotExist"),
            Some("launchTemplateVersionDoesNotExist")
        ]
    );
    assert_eq!(template.versions.iter().map(|v| v.number).collect::<Vec<_>>(), [1, 3]);
    assert_eq!(network.launch_template(&which).unwrap().latest_version(), 3);
    assert!(matches!(network.delete_launch_template_versions(&which, &[]), Err(Ec2Error::MissingParameter(_))));
    let many: Vec<String> = (0..201).map(|n| n.to_string()).collect();
    assert!(matches!(network.delete_launch_template_versions(&which, &many), Err(Ec2Error::InvalidParameterValue(_))));
}
