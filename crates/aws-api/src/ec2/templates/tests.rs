use super::super::tests::{api, element, send};

/// A CreateLaunchTemplate form with `data` (already `LaunchTemplateData.`-prefixed parameters).
fn create(name: &str, data: &str) -> String {
    format!("Action=CreateLaunchTemplate&LaunchTemplateName={name}{data}")
}

const FULL: &str = "&LaunchTemplateData.ImageId=ami-1\
    &LaunchTemplateData.IamInstanceProfile.Name=nodes\
    &LaunchTemplateData.BlockDeviceMapping.1.DeviceName=%2Fdev%2Fxvda\
    &LaunchTemplateData.BlockDeviceMapping.1.Ebs.VolumeSize=80\
    &LaunchTemplateData.BlockDeviceMapping.1.Ebs.VolumeType=gp3\
    &LaunchTemplateData.BlockDeviceMapping.1.Ebs.DeleteOnTermination=true\
    &LaunchTemplateData.MetadataOptions.HttpTokens=required\
    &LaunchTemplateData.MetadataOptions.HttpPutResponseHopLimit=2\
    &LaunchTemplateData.Monitoring.Enabled=true\
    &LaunchTemplateData.EbsOptimized=false\
    &LaunchTemplateData.InstanceInitiatedShutdownBehavior=terminate\
    &LaunchTemplateData.NetworkInterface.1.DeviceIndex=0\
    &LaunchTemplateData.NetworkInterface.1.AssociatePublicIpAddress=true\
    &LaunchTemplateData.NetworkInterface.1.SecurityGroupId.1=sg-1\
    &LaunchTemplateData.NetworkInterface.1.SecurityGroupId.2=sg-2\
    &LaunchTemplateData.CpuOptions.CoreCount=2\
    &LaunchTemplateData.InstanceRequirements.VCpuCount.Min=2\
    &LaunchTemplateData.InstanceRequirements.MemoryGiBPerVCpu.Max=4.5\
    &LaunchTemplateData.LicenseSpecification.1.LicenseConfigurationArn=arn%3Alicense";

#[tokio::test]
async fn every_member_comes_back_under_its_reply_name() {
    let api = api();
    let (status, xml) = send(&api, &create("full", FULL)).await;
    assert_eq!(status, 200, "{xml}");
    let (status, xml) =
        send(&api, "Action=DescribeLaunchTemplateVersions&LaunchTemplateName=full&LaunchTemplateVersion.1=%24Latest")
            .await;
    assert_eq!(status, 200, "{xml}");
    let data = element(&xml, "launchTemplateData").unwrap();
    for expected in [
        "<imageId>ami-1</imageId>",
        "<iamInstanceProfile><name>nodes</name></iamInstanceProfile>",
        "<blockDeviceMappingSet><item><deviceName>/dev/xvda</deviceName><ebs><deleteOnTermination>true\
         </deleteOnTermination><volumeSize>80</volumeSize><volumeType>gp3</volumeType></ebs></item>\
         </blockDeviceMappingSet>",
        "<metadataOptions><httpTokens>required</httpTokens><httpPutResponseHopLimit>2</httpPutResponseHopLimit>\
         <httpEndpoint>enabled</httpEndpoint><httpProtocolIpv6>disabled</httpProtocolIpv6><instanceMetadataTags>\
         disabled</instanceMetadataTags></metadataOptions>",
        "<ebsOptimized>false</ebsOptimized>",
        "<networkInterfaceSet><item><associatePublicIpAddress>true</associatePublicIpAddress><deviceIndex>0\
         </deviceIndex><groupSet><groupId>sg-1</groupId><groupId>sg-2</groupId></groupSet></item></networkInterfaceSet>",
        "<monitoring><enabled>true</enabled></monitoring>",
        "<instanceInitiatedShutdownBehavior>terminate</instanceInitiatedShutdownBehavior>",
        "<cpuOptions><coreCount>2</coreCount></cpuOptions>",
        "<instanceRequirements><vCpuCount><min>2</min></vCpuCount><memoryGiBPerVCpu><max>4.5</max>\
         </memoryGiBPerVCpu></instanceRequirements>",
        "<licenseSet><item><licenseConfigurationArn>arn:license</licenseConfigurationArn></item></licenseSet>",
    ] {
        assert!(data.contains(expected), "{expected} not in {data}");
    }
}

async fn check(data: &str, expect: (u16, &str)) {
    let (status, xml) = send(&api(), &create("bad", data)).await;
    let got = if status == 200 { "ok" } else { element(&xml, "Code").unwrap_or("no code") };
    assert_eq!((status, got), expect, "{data}: {xml}");
}

#[tokio::test]
async fn bad_data_gets_ec2_errors() {
    check("&LaunchTemplateData.EbsOptimized=yes", (400, "InvalidParameterValue")).await;
    check("&LaunchTemplateData.CpuOptions.CoreCount=two", (400, "InvalidParameterValue")).await;
    check("&LaunchTemplateData.InstanceInitiatedShutdownBehavior=explode", (400, "InvalidParameterValue")).await;
    check("&LaunchTemplateData.MetadataOptions.HttpTokens=always", (400, "InvalidParameterValue")).await;
    check("&LaunchTemplateData.MetadataOptions.HttpPutResponseHopLimit=65", (400, "InvalidParameterValue")).await;
    check("&LaunchTemplateData.BlockDeviceMapping.1.Ebs.VolumeType=gp9", (400, "InvalidParameterValue")).await;
    check("&LaunchTemplateData.BlockDeviceMapping.1.Ebs.VolumeSize=%00", (400, "InvalidParameterValue")).await;
    check("&LaunchTemplateData.UserData=%00%00", (400, "InvalidUserData.Malformed")).await;
    check("&LaunchTemplateData.InstanceRequirements.MemoryGiBPerVCpu.Max=NaN", (400, "InvalidParameterValue")).await;
    check("&LaunchTemplateData.Placement.Tenancy=host", (200, "ok")).await;
}

#[tokio::test]
async fn versions_are_made_default_and_deleted() {
    let api = api();
    send(&api, &create("web", "&LaunchTemplateData.ImageId=ami-1")).await;
    for _ in 0..2 {
        let (status, xml) = send(
            &api,
            "Action=CreateLaunchTemplateVersion&LaunchTemplateName=web&SourceVersion=1&LaunchTemplateData.KeyName=k",
        )
        .await;
        assert_eq!(status, 200, "{xml}");
        assert!(xml.contains("<imageId>ami-1</imageId>") && xml.contains("<keyName>k</keyName>"), "{xml}");
    }
    let (status, xml) = send(&api, "Action=ModifyLaunchTemplate&LaunchTemplateName=web&SetDefaultVersion=2").await;
    assert_eq!(status, 200, "{xml}");
    assert_eq!(element(&xml, "defaultVersionNumber"), Some("2"));
    assert_eq!(element(&xml, "latestVersionNumber"), Some("3"));
    let (status, xml) = send(
        &api,
        "Action=DeleteLaunchTemplateVersions&LaunchTemplateName=web&LaunchTemplateVersion.1=1&LaunchTemplateVersion.2=2",
    )
    .await;
    assert_eq!(status, 200, "{xml}");
    let deleted = element(&xml, "successfullyDeletedLaunchTemplateVersionSet").unwrap();
    assert!(deleted.contains("<versionNumber>1</versionNumber>") && !deleted.contains("<versionNumber>2<"), "{xml}");
    let refused = element(&xml, "unsuccessfullyDeletedLaunchTemplateVersionSet").unwrap();
    assert!(refused.contains("<versionNumber>2</versionNumber>") && refused.contains("<code>unexpectedError</code>"));
    let (_, xml) = send(&api, "Action=DescribeLaunchTemplateVersions&LaunchTemplateName=web").await;
    assert_eq!(xml.matches("<versionNumber>").count(), 2, "{xml}");
    let (status, xml) = send(&api, "Action=ModifyLaunchTemplate&LaunchTemplateName=web&SetDefaultVersion=1").await;
    assert_eq!((status, element(&xml, "Code")), (400, Some("InvalidLaunchTemplateId.VersionNotFound")), "{xml}");
}
