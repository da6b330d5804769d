use super::super::tests::{api, element, send};

/// The image of the catalogue a launch template names.
fn image() -> String {
    let version = aws_model::eks::EksConfig::default().versions[0].clone();
    let release = aws_model::eks::nodegroups::default_release_version(&version);
    aws_model::ec2::images::image_id("eu-west-1", "AL2023_x86_64_STANDARD", &release)
}

/// An endpoint with a launch template `nodes` and the default VPC's subnets.
async fn setup() -> (crate::AwsApi, Vec<String>) {
    let api = api();
    let form = format!(
        "Action=CreateLaunchTemplate&LaunchTemplateName=nodes&LaunchTemplateData.ImageId={}\
         &LaunchTemplateData.TagSpecification.1.ResourceType=instance\
         &LaunchTemplateData.TagSpecification.1.Tag.1.Key=team&LaunchTemplateData.TagSpecification.1.Tag.1.Value=web",
        image()
    );
    let (status, xml) = send(&api, &form).await;
    assert_eq!(status, 200, "{xml}");
    let (_, xml) = send(&api, "Action=DescribeSubnets").await;
    let subnets: Vec<String> =
        xml.split("<subnetId>").skip(1).map(|rest| rest[..rest.find('<').unwrap()].to_owned()).collect();
    assert_eq!(subnets.len(), 3, "{xml}");
    (api, subnets)
}

fn fleet(overrides: &str, rest: &str) -> String {
    format!(
        "Action=CreateFleet&Type=instant&LaunchTemplateConfigs.1.LaunchTemplateSpecification.LaunchTemplateName=nodes\
         &LaunchTemplateConfigs.1.LaunchTemplateSpecification.Version=%24Latest{overrides}{rest}"
    )
}

#[tokio::test]
async fn an_instant_fleet_launches_the_cheapest_override_and_tags_it() {
    let (api, subnets) = setup().await;
    let overrides = format!(
        "&LaunchTemplateConfigs.1.Overrides.1.InstanceType=m5.large&LaunchTemplateConfigs.1.Overrides.1.SubnetId={}\
         &LaunchTemplateConfigs.1.Overrides.2.InstanceType=t3.small&LaunchTemplateConfigs.1.Overrides.2.SubnetId={}",
        subnets[0], subnets[1]
    );
    let rest = "&TargetCapacitySpecification.TotalTargetCapacity=1\
                &TargetCapacitySpecification.DefaultTargetCapacityType=spot\
                &SpotOptions.AllocationStrategy=price-capacity-optimized\
                &TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=karpenter.sh%2Fnodeclaim\
                &TagSpecification.1.Tag.1.Value=default-x7&TagSpecification.2.ResourceType=fleet\
                &TagSpecification.2.Tag.1.Key=a&TagSpecification.2.Tag.1.Value=b&ClientToken=default-x7";
    let (status, xml) = send(&api, &fleet(&overrides, rest)).await;
    assert_eq!(status, 200, "{xml}");
    assert!(element(&xml, "fleetId").unwrap().starts_with("fleet-"));
    assert_eq!(element(&xml, "instanceType"), Some("t3.small"), "{xml}");
    assert_eq!(element(&xml, "lifecycle"), Some("spot"));
    assert_eq!(element(&xml, "launchTemplateName"), Some("nodes"));
    assert_eq!(element(&xml, "version"), Some("$Latest"));
    assert!(xml.contains("<errorSet/>") || xml.contains("<errorSet></errorSet>"), "{xml}");
    let id = element(&xml, "instanceIds").and_then(|ids| element(ids, "item")).unwrap().to_owned();
    let (_, described) = send(&api, &format!("Action=DescribeInstances&InstanceId.1={id}")).await;
    assert_eq!(element(&described, "instanceLifecycle"), Some("spot"), "{described}");
    assert_eq!(element(&described, "subnetId"), Some(subnets[1].as_str()));
    for tag in ["<key>team</key><value>web</value>", "<key>karpenter.sh/nodeclaim</key><value>default-x7</value>"] {
        assert!(described.contains(tag), "{described}");
    }
    assert!(described.contains("<key>aws:ec2:fleet-id</key>"));
    // The same token answers the same instance.
    let (_, again) = send(&api, &fleet(&overrides, rest)).await;
    assert!(again.contains(&id), "{again}");
    let (_, all) = send(&api, "Action=DescribeInstances").await;
    assert_eq!(all.matches("<instanceId>").count(), 1);
}

async fn check(api: &crate::AwsApi, form: &str, expect: (u16, &str)) {
    let (status, xml) = send(api, form).await;
    let got = if status == 200 { "ok" } else { element(&xml, "Code").unwrap_or("no code") };
    assert_eq!((status, got), expect, "{form}: {xml}");
}

#[tokio::test]
async fn bad_fleets_get_ec2s_errors() {
    let (api, subnets) = setup().await;
    let one = format!(
        "&LaunchTemplateConfigs.1.Overrides.1.InstanceType=m5.large&LaunchTemplateConfigs.1.Overrides.1.SubnetId={}",
        subnets[0]
    );
    let capacity = "&TargetCapacitySpecification.TotalTargetCapacity=1";
    check(&api, &fleet(&one, ""), (400, "MissingParameter")).await;
    check(
        &api,
        &fleet(&one, &format!("{capacity}&Type=maintain")).replace("Type=instant&", ""),
        (400, "UnsupportedOperation"),
    )
    .await;
    check(&api, &fleet(&one.replace("m5.large", "m5.colossal"), capacity), (400, "InvalidParameterValue")).await;
    check(&api, &fleet(&one, "&TargetCapacitySpecification.TotalTargetCapacity=lots"), (400, "InvalidParameterValue"))
        .await;
    check(&api, &fleet(&one, "&TargetCapacitySpecification.TotalTargetCapacity=-1"), (400, "InvalidParameterValue"))
        .await;
    let missing = fleet(&one, capacity).replace("LaunchTemplateName=nodes", "LaunchTemplateName=other");
    check(&api, &missing, (400, "InvalidLaunchTemplateName.NotFoundException")).await;
    let many: String =
        (1..=301).map(|n| format!("&LaunchTemplateConfigs.1.Overrides.{n}.InstanceType=m5.large")).collect();
    check(&api, &fleet(&many, capacity), (400, "InvalidParameterValue")).await;
    check(
        &api,
        &fleet(&one, &format!("{capacity}&OnDemandOptions.AllocationStrategy=random")),
        (400, "InvalidParameterValue"),
    )
    .await;
    check(&api, &fleet(&one, &format!("{capacity}&DryRun=true")), (412, "DryRunOperation")).await;
    check(&api, "Action=CreateFleet&%00=%FF", (400, "MalformedQueryString")).await;
    check(&api, "Action=CreateFleet&Type=instant", (400, "MissingParameter")).await;
    // Nothing was launched by any of them.
    let (_, all) = send(&api, "Action=DescribeInstances").await;
    assert_eq!(all.matches("<instanceId>").count(), 0, "{all}");
}

#[tokio::test]
async fn a_full_subnet_is_insufficient_capacity_in_the_error_set() {
    let api = api();
    let (_, xml) = send(&api, "Action=CreateVpc&CidrBlock=10.9.0.0%2F16").await;
    let vpc = element(&xml, "vpcId").unwrap().to_owned();
    let (_, xml) = send(&api, &format!("Action=CreateSubnet&VpcId={vpc}&CidrBlock=10.9.0.0%2F28")).await;
    let subnet = element(&xml, "subnetId").unwrap().to_owned();
    let form = format!("Action=CreateLaunchTemplate&LaunchTemplateName=nodes&LaunchTemplateData.ImageId={}", image());
    send(&api, &form).await;
    let overrides = format!(
        "&LaunchTemplateConfigs.1.Overrides.1.InstanceType=m5.large&LaunchTemplateConfigs.1.Overrides.1.SubnetId={subnet}"
    );
    // A /28 has 11 addresses.
    let capacity = "&TargetCapacitySpecification.TotalTargetCapacity=12";
    let (status, xml) = send(&api, &fleet(&overrides, capacity)).await;
    assert_eq!(status, 200, "{xml}");
    assert_eq!(element(&xml, "errorCode"), Some("InsufficientInstanceCapacity"), "{xml}");
    assert_eq!(element(&xml, "instanceIds").unwrap().matches("<item>").count(), 11);
}

#[tokio::test]
async fn spot_prices_are_a_fraction_of_on_demand_in_every_zone() {
    let api = api();
    let (status, xml) =
        send(&api, "Action=DescribeSpotPriceHistory&InstanceType.1=m5.large&ProductDescription.1=Linux%2FUNIX").await;
    assert_eq!(status, 200, "{xml}");
    assert_eq!(xml.matches("<spotPrice>0.033600</spotPrice>").count(), 3, "{xml}");
    assert!(xml.contains("<availabilityZone>eu-west-1a</availabilityZone>"));
    let (status, xml) = send(&api, "Action=DescribeSpotPriceHistory&InstanceType.1=m5.giant").await;
    assert_eq!((status, element(&xml, "Code")), (400, Some("InvalidParameterValue")));
    let (_, xml) = send(&api, "Action=DescribeSpotPriceHistory&MaxResults=5").await;
    assert_eq!(xml.matches("<spotPrice>").count(), 5);
    assert!(element(&xml, "nextToken").is_some());
}

#[tokio::test]
async fn instance_types_describe_processors_gpus_and_networks() {
    let api = api();
    let (_, xml) = send(&api, "Action=DescribeInstanceTypes&InstanceType.1=g5.xlarge").await;
    assert_eq!(element(&xml, "manufacturer"), Some("AMD"), "{xml}");
    assert!(xml.contains("<name>A10G</name><manufacturer>NVIDIA</manufacturer><count>1</count>"), "{xml}");
    assert!(xml.contains("<totalGpuMemoryInMiB>24576</totalGpuMemoryInMiB>"));
    assert_eq!(element(&xml, "networkPerformance"), Some("Up to 10 Gigabit"));
    let (_, xml) =
        send(&api, "Action=DescribeInstanceTypes&Filter.1.Name=processor-info.manufacturer&Filter.1.Value.1=AWS").await;
    assert!(xml.contains("<instanceType>m7g.large</instanceType>") && !xml.contains("<instanceType>m5.large<"));
}
