use super::super::tests::{api, element, send};

/// Sends `form` and returns the status and the error code, or `ok`.
async fn code(api: &crate::AwsApi, form: &str) -> (u16, String) {
    let (status, xml) = send(api, form).await;
    (status, if status == 200 { "ok".into() } else { element(&xml, "Code").unwrap_or("no code").to_owned() })
}

#[tokio::test]
async fn rules_are_added_found_modified_described_and_revoked_by_id_on_the_wire() {
    let api = api();
    let (status, xml) = send(
        &api,
        "Action=AuthorizeSecurityGroupIngress&GroupName=default&IpPermissions.1.IpProtocol=tcp&\
         IpPermissions.1.FromPort=22&IpPermissions.1.ToPort=22&IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0%2F8&\
         TagSpecification.1.ResourceType=security-group-rule&TagSpecification.1.Tag.1.Key=Name&\
         TagSpecification.1.Tag.1.Value=ssh",
    )
    .await;
    assert_eq!(status, 200, "{xml}");
    let rule_id = element(&xml, "securityGroupRuleId").unwrap().to_owned();
    let group_id = element(&xml, "groupId").unwrap().to_owned();
    assert!(xml.contains("<isEgress>false</isEgress>") && xml.contains("<cidrIpv4>10.0.0.0/8</cidrIpv4>"), "{xml}");
    assert!(xml.contains("<key>Name</key><value>ssh</value>"), "{xml}");
    let (_, xml) = send(&api, &format!("Action=DescribeSecurityGroupRules&SecurityGroupRuleId.1={rule_id}")).await;
    assert_eq!(element(&xml, "fromPort"), Some("22"), "{xml}");
    let modify = format!(
        "Action=ModifySecurityGroupRules&GroupId={group_id}&SecurityGroupRule.1.SecurityGroupRuleId={rule_id}&\
         SecurityGroupRule.1.SecurityGroupRule.IpProtocol=tcp&SecurityGroupRule.1.SecurityGroupRule.FromPort=2222&\
         SecurityGroupRule.1.SecurityGroupRule.ToPort=2222&SecurityGroupRule.1.SecurityGroupRule.CidrIpv4=10.1.0.0%2F16&\
         SecurityGroupRule.1.SecurityGroupRule.Description=moved"
    );
    assert_eq!(code(&api, &modify).await, (200, "ok".into()));
    let (_, xml) = send(&api, "Action=DescribeSecurityGroupRules&Filter.1.Name=tag%3AName&Filter.1.Value.1=ssh").await;
    assert_eq!(element(&xml, "securityGroupRuleId"), Some(rule_id.as_str()));
    assert_eq!(element(&xml, "description"), Some("moved"), "{xml}");
    // The default group's rules (two) and the new one, on one page of five.
    let (_, xml) = send(&api, "Action=DescribeSecurityGroupRules&MaxResults=5").await;
    assert_eq!(xml.matches("<securityGroupRuleId>").count(), 3, "{xml}");
    assert_eq!(
        code(&api, "Action=DescribeSecurityGroupRules&MaxResults=4").await,
        (400, "InvalidParameterValue".into())
    );
    let revoke = format!("Action=RevokeSecurityGroupIngress&GroupId={group_id}&SecurityGroupRuleId.1={rule_id}");
    let (status, xml) = send(&api, &revoke).await;
    assert_eq!((status, element(&xml, "securityGroupRuleId")), (200, Some(rule_id.as_str())), "{xml}");
    assert_eq!(code(&api, &revoke).await, (400, "InvalidSecurityGroupRuleId.NotFound".into()));
}

#[tokio::test]
async fn garbage_rule_requests_get_ec2_errors() {
    let api = api();
    let (_, xml) = send(&api, "Action=DescribeSecurityGroups&GroupName.1=default").await;
    let group = element(&xml, "groupId").unwrap().to_owned();
    for (form, expect) in [
        (
            "Action=DescribeSecurityGroupRules&SecurityGroupRuleId.1=sgr-0000000000000000f".to_owned(),
            "InvalidSecurityGroupRuleId.NotFound",
        ),
        (
            "Action=DescribeSecurityGroupRules&SecurityGroupRuleId.1=garbage".to_owned(),
            "InvalidSecurityGroupRuleId.Malformed",
        ),
        (
            "Action=DescribeSecurityGroupRules&SecurityGroupRuleId.1=sgr-%00".to_owned(),
            "InvalidSecurityGroupRuleId.Malformed",
        ),
        ("Action=DescribeSecurityGroupRules&Filter.1.Name=colour&Filter.1.Value.1=x".to_owned(), "InvalidFilter"),
        ("Action=DescribeSecurityGroupRules&NextToken=%00%00".to_owned(), "InvalidParameterValue"),
        (format!("Action=ModifySecurityGroupRules&GroupId={group}"), "MissingParameter"),
        (
            format!(
                "Action=ModifySecurityGroupRules&GroupId={group}&SecurityGroupRule.1.SecurityGroupRuleId=sgr-1&SecurityGroupRule.1.SecurityGroupRule.IpProtocol=tcp"
            ),
            "InvalidParameterCombination",
        ),
        (
            format!(
                "Action=ModifySecurityGroupRules&GroupId={group}&SecurityGroupRule.1.SecurityGroupRuleId=sgr-1&SecurityGroupRule.1.SecurityGroupRule.IpProtocol=-1&SecurityGroupRule.1.SecurityGroupRule.CidrIpv4=0.0.0.0%2F0"
            ),
            "InvalidSecurityGroupRuleId.NotFound",
        ),
        (
            format!(
                "Action=RevokeSecurityGroupEgress&GroupId={group}&SecurityGroupRuleId.1=sgr-1&IpProtocol=tcp&CidrIp=0.0.0.0%2F0"
            ),
            "InvalidParameterCombination",
        ),
        (
            format!(
                "Action=UpdateSecurityGroupRuleDescriptionsEgress&GroupId={group}&SecurityGroupRuleDescription.1.SecurityGroupRuleId=sgr-1&SecurityGroupRuleDescription.1.Description=x"
            ),
            "InvalidSecurityGroupRuleId.NotFound",
        ),
        (format!("Action=UpdateSecurityGroupRuleDescriptionsIngress&GroupId={group}"), "InvalidParameterCombination"),
        (
            format!(
                "Action=UpdateSecurityGroupRuleDescriptionsIngress&GroupId={group}&IpPermissions.1.IpProtocol=-1&IpPermissions.1.Groups.1.GroupId={group}&IpPermissions.1.Groups.1.Description=bad%00"
            ),
            "InvalidParameterValue",
        ),
        (
            format!(
                "Action=AuthorizeSecurityGroupEgress&GroupId={group}&IpProtocol=tcp&FromPort=1&ToPort=1&CidrIp=10.0.0.0%2F8&TagSpecification.1.ResourceType=vpc&TagSpecification.1.Tag.1.Key=k"
            ),
            "InvalidParameterValue",
        ),
        (
            format!(
                "Action=AuthorizeSecurityGroupEgress&GroupId={group}&IpProtocol=tcp&FromPort=1&ToPort=1&CidrIp=10.0.0.0%2F8&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=1&IpPermissions.1.ToPort=1&IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0%2F8&IpPermissions.1.IpRanges.1.Description={}",
                "x".repeat(300)
            ),
            "InvalidParameterValue",
        ),
        (
            "Action=CreateTags&ResourceId.1=sgr-0000000000000000f&Tag.1.Key=k&Tag.1.Value=v".to_owned(),
            "InvalidSecurityGroupRuleId.NotFound",
        ),
    ] {
        assert_eq!(code(&api, &form).await, (400, expect.to_owned()), "{form}");
    }
    // Nothing was half-written: the default group still has its two rules.
    let (_, xml) = send(&api, "Action=DescribeSecurityGroupRules").await;
    assert_eq!(xml.matches("<securityGroupRuleId>").count(), 2, "{xml}");
}

#[tokio::test]
async fn dry_runs_check_rule_changes_and_store_nothing() {
    let api = api();
    let ssh = "IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=22&IpPermissions.1.ToPort=22&\
               IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0%2F8";
    let authorize = format!("Action=AuthorizeSecurityGroupIngress&GroupName=default&{ssh}");
    assert_eq!(code(&api, &format!("{authorize}&DryRun=true")).await, (412, "DryRunOperation".into()));
    let (_, xml) = send(&api, "Action=DescribeSecurityGroupRules").await;
    assert_eq!(xml.matches("<securityGroupRuleId>").count(), 2, "only the default group's two: {xml}");
    let revoke = format!("Action=RevokeSecurityGroupIngress&GroupName=default&{ssh}&DryRun=true");
    assert_eq!(code(&api, &revoke).await, (400, "InvalidPermission.NotFound".into()), "a dry run still checks");
    let (_, xml) = send(&api, &authorize).await;
    let rule_id = element(&xml, "securityGroupRuleId").unwrap().to_owned();
    let group_id = element(&xml, "groupId").unwrap().to_owned();
    assert_eq!(code(&api, &format!("{authorize}&DryRun=true")).await, (400, "InvalidPermission.Duplicate".into()));
    assert_eq!(code(&api, &revoke).await, (412, "DryRunOperation".into()));
    let modify = format!(
        "Action=ModifySecurityGroupRules&GroupId={group_id}&SecurityGroupRule.1.SecurityGroupRuleId={rule_id}&\
         SecurityGroupRule.1.SecurityGroupRule.IpProtocol=tcp&SecurityGroupRule.1.SecurityGroupRule.FromPort=2222&\
         SecurityGroupRule.1.SecurityGroupRule.ToPort=2222&SecurityGroupRule.1.SecurityGroupRule.CidrIpv4=10.0.0.0%2F8&\
         DryRun=true"
    );
    assert_eq!(code(&api, &modify).await, (412, "DryRunOperation".into()));
    let (_, xml) = send(&api, &format!("Action=DescribeSecurityGroupRules&SecurityGroupRuleId.1={rule_id}")).await;
    assert_eq!(element(&xml, "fromPort"), Some("22"), "nothing changed: {xml}");
}
