use super::super::tests::{api, element, send};

/// Sends `form` and returns the status and the error code, or `ok`.
async fn code(api: &crate::AwsApi, form: &str) -> (u16, String) {
    let (status, xml) = send(api, form).await;
    (status, if status == 200 { "ok".into() } else { element(&xml, "Code").unwrap_or("no code").to_owned() })
}

/// A VPC with DNS hostnames on, a subnet in `eu-west-1a` and a route table: their ids.
async fn network(api: &crate::AwsApi) -> (String, String, String) {
    let (_, xml) = send(api, "Action=CreateVpc&CidrBlock=10.0.0.0%2F16").await;
    let vpc = element(&xml, "vpcId").unwrap().to_owned();
    let (status, xml) =
        send(api, &format!("Action=ModifyVpcAttribute&VpcId={vpc}&EnableDnsHostnames.Value=true")).await;
    assert_eq!(status, 200, "{xml}");
    let form = format!("Action=CreateSubnet&VpcId={vpc}&CidrBlock=10.0.1.0%2F24&AvailabilityZone=eu-west-1a");
    let (_, xml) = send(api, &form).await;
    let subnet = element(&xml, "subnetId").unwrap().to_owned();
    let (_, xml) = send(api, &format!("Action=CreateRouteTable&VpcId={vpc}")).await;
    let table = element(&xml, "routeTableId").unwrap().to_owned();
    (vpc, subnet, table)
}

#[tokio::test]
async fn endpoints_are_created_described_modified_and_deleted_on_the_wire() {
    let api = api();
    let (vpc, subnet, table) = network(&api).await;
    let form = format!(
        "Action=CreateVpcEndpoint&VpcId={vpc}&ServiceName=com.amazonaws.eu-west-1.s3&RouteTableId.1={table}&\
         TagSpecification.1.ResourceType=vpc-endpoint&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=s3"
    );
    let (status, xml) = send(&api, &form).await;
    assert_eq!(status, 200, "{xml}");
    let gateway = element(&xml, "vpcEndpointId").unwrap().to_owned();
    assert_eq!(element(&xml, "vpcEndpointType"), Some("Gateway"));
    assert_eq!(element(&xml, "state"), Some("available"));
    assert!(xml.contains(&format!("<routeTableIdSet><item>{table}</item></routeTableIdSet>")), "{xml}");
    assert!(xml.contains(r#""Principal":"*","Action":"*""#), "the default policy: {xml}");
    let (_, xml) = send(&api, &format!("Action=DescribeRouteTables&RouteTableId.1={table}")).await;
    assert!(xml.contains("<destinationPrefixListId>pl-") && xml.contains(&format!("<gatewayId>{gateway}</gatewayId>")));

    let form = format!(
        "Action=CreateVpcEndpoint&VpcId={vpc}&ServiceName=com.amazonaws.eu-west-1.ecr.api&VpcEndpointType=Interface&\
         SubnetId.1={subnet}&ClientToken=once"
    );
    let (status, xml) = send(&api, &form).await;
    assert_eq!(status, 200, "{xml}");
    let interface = element(&xml, "vpcEndpointId").unwrap().to_owned();
    assert_eq!(element(&xml, "state"), Some("pending"));
    assert_eq!(element(&xml, "clientToken"), Some("once"));
    assert!(
        xml.contains("<groupName>default</groupName>") && xml.contains("<privateDnsEnabled>true</privateDnsEnabled>")
    );
    assert!(xml.contains("<dnsName>api.ecr.eu-west-1.amazonaws.com</dnsName>"), "{xml}");
    let eni = element(element(&xml, "networkInterfaceIdSet").unwrap(), "item").unwrap().to_owned();
    let (_, again) = send(&api, &form).await;
    assert_eq!(element(&again, "vpcEndpointId"), Some(interface.as_str()), "the client token answers it again");
    let (_, xml) = send(&api, &format!("Action=DescribeNetworkInterfaces&NetworkInterfaceId.1={eni}")).await;
    assert!(xml.contains("<interfaceType>vpc_endpoint</interfaceType>"), "{xml}");
    assert!(xml.contains(&format!("<description>VPC Endpoint Interface {interface}</description>")), "{xml}");
    assert!(xml.contains("<requesterManaged>true</requesterManaged>"), "{xml}");

    let (_, xml) =
        send(&api, "Action=DescribeVpcEndpoints&Filter.1.Name=vpc-endpoint-type&Filter.1.Value.1=Interface").await;
    assert_eq!(xml.matches("<vpcEndpointId>").count(), 1, "{xml}");
    assert_eq!(element(&xml, "state"), Some("available"));
    let (_, xml) = send(&api, "Action=DescribeVpcEndpoints&Filter.1.Name=tag%3AName&Filter.1.Value.1=s3").await;
    assert_eq!(element(&xml, "vpcEndpointId"), Some(gateway.as_str()));
    let (_, xml) = send(&api, "Action=DescribeVpcEndpoints&MaxResults=1").await;
    assert_eq!(xml.matches("<vpcEndpointId>").count(), 1, "{xml}");
    let token = element(&xml, "nextToken").unwrap().to_owned();
    let (_, xml) = send(&api, &format!("Action=DescribeVpcEndpoints&MaxResults=1&NextToken={token}")).await;
    assert_eq!(xml.matches("<vpcEndpointId>").count(), 1, "{xml}");
    assert!(element(&xml, "nextToken").is_none());
    let (_, xml) = send(&api, "Action=DescribeTags&Filter.1.Name=resource-type&Filter.1.Value.1=vpc-endpoint").await;
    assert_eq!(element(&xml, "resourceId"), Some(gateway.as_str()), "{xml}");

    // A dry run checks and changes nothing.
    let modify = format!("Action=ModifyVpcEndpoint&VpcEndpointId={gateway}&RemoveRouteTableId.1={table}");
    assert_eq!(code(&api, &format!("{modify}&DryRun=true")).await, (412, "DryRunOperation".into()));
    let (_, xml) = send(&api, &format!("Action=DescribeVpcEndpoints&VpcEndpointId.1={gateway}")).await;
    assert!(xml.contains(&format!("<item>{table}</item>")));
    assert_eq!(code(&api, &modify).await, (200, "ok".into()));
    let (_, xml) = send(&api, &format!("Action=DescribeVpcEndpoints&VpcEndpointId.1={gateway}")).await;
    assert!(xml.contains("<routeTableIdSet></routeTableIdSet>") || xml.contains("<routeTableIdSet/>"), "{xml}");

    // A subnet holding an endpoint's interface, and a VPC holding endpoints, stay.
    assert_eq!(
        code(&api, &format!("Action=DeleteSubnet&SubnetId={subnet}")).await,
        (400, "DependencyViolation".into())
    );
    assert_eq!(code(&api, &format!("Action=DeleteVpc&VpcId={vpc}")).await, (400, "DependencyViolation".into()));

    let delete = format!(
        "Action=DeleteVpcEndpoints&VpcEndpointId.1={gateway}&VpcEndpointId.2={interface}&VpcEndpointId.3=vpce-0123456789abcdef0"
    );
    let (status, xml) = send(&api, &delete).await;
    assert_eq!(status, 200, "{xml}");
    assert_eq!(element(&xml, "code"), Some("InvalidVpcEndpointId.NotFound"), "{xml}");
    assert_eq!(element(&xml, "resourceId"), Some("vpce-0123456789abcdef0"));
    assert_eq!(xml.matches("<resourceId>").count(), 1, "{xml}");
    assert_eq!(code(&api, &format!("Action=DeleteSubnet&SubnetId={subnet}")).await, (200, "ok".into()));
}

#[tokio::test]
async fn services_and_prefix_lists_on_the_wire() {
    let api = api();
    let (_, xml) = send(&api, "Action=DescribeVpcEndpointServices&ServiceName.1=com.amazonaws.eu-west-1.s3").await;
    assert_eq!(xml.matches("<serviceName>com.amazonaws.eu-west-1.s3</serviceName>").count(), 2, "{xml}");
    assert_eq!(element(&xml, "serviceNameSet"), Some("<item>com.amazonaws.eu-west-1.s3</item>"));
    assert!(xml.contains("<serviceType><item><serviceType>Gateway</serviceType></item></serviceType>"), "{xml}");
    assert!(xml.contains("<baseEndpointDnsNameSet><item>s3.eu-west-1.vpce.amazonaws.com</item>"), "{xml}");
    let form = "Action=DescribeVpcEndpointServices&Filter.1.Name=service-type&Filter.1.Value.1=Interface&\
                Filter.2.Name=service-name&Filter.2.Value.1=*.ecr.*";
    let (_, xml) = send(&api, form).await;
    assert_eq!(xml.matches("<serviceDetailSet>").count(), 1);
    assert!(xml.contains("<privateDnsName>*.dkr.ecr.eu-west-1.amazonaws.com</privateDnsName>"), "{xml}");
    assert_eq!(xml.matches("<serviceId>").count(), 2, "{xml}");
    let (_, xml) = send(
        &api,
        "Action=DescribePrefixLists&Filter.1.Name=prefix-list-name&Filter.1.Value.1=com.amazonaws.eu-west-1.s3",
    )
    .await;
    let id = element(&xml, "prefixListId").unwrap().to_owned();
    assert!(id.starts_with("pl-") && xml.contains("<cidrSet><item>"), "{xml}");
    let (_, xml) = send(&api, &format!("Action=DescribePrefixLists&PrefixListId.1={id}")).await;
    assert_eq!(element(&xml, "prefixListName"), Some("com.amazonaws.eu-west-1.s3"));
}

#[tokio::test]
async fn garbage_endpoint_requests_get_ec2_errors() {
    let api = api();
    let (vpc, subnet, _) = network(&api).await;
    let create = format!("Action=CreateVpcEndpoint&VpcId={vpc}");
    let huge = "x".repeat(30_000);
    for (form, expect) in [
        (create.clone(), "MissingParameter"),
        (format!("{create}&ServiceName=com.amazonaws.eu-west-1.nope"), "InvalidServiceName"),
        (format!("{create}&ServiceName=%00"), "InvalidServiceName"),
        (format!("{create}&ServiceName={huge}"), "InvalidServiceName"),
        (format!("{create}&ServiceName=com.amazonaws.eu-west-1.ec2"), "InvalidParameter"),
        (format!("{create}&ServiceName=com.amazonaws.eu-west-1.s3&VpcEndpointType=Moon"), "InvalidParameter"),
        (format!("{create}&ServiceName=com.amazonaws.eu-west-1.s3&SubnetId.1={subnet}"), "InvalidParameter"),
        (
            format!("{create}&ServiceName=com.amazonaws.eu-west-1.s3&RouteTableId.1=rtb-%00"),
            "InvalidRouteTableID.NotFound",
        ),
        (format!("{create}&ServiceName=com.amazonaws.eu-west-1.s3&PolicyDocument={huge}"), "InvalidPolicyDocument"),
        (format!("{create}&ServiceName=com.amazonaws.eu-west-1.s3&PolicyDocument=%7B"), "InvalidPolicyDocument"),
        (format!("{create}&ServiceName=com.amazonaws.eu-west-1.s3&ClientToken={huge}"), "InvalidParameterValue"),
        (format!("{create}&ServiceName=com.amazonaws.eu-west-1.s3&IpAddressType=ipv6"), "UnsupportedOperation"),
        (format!("{create}&ServiceName=com.amazonaws.eu-west-1.s3&PrivateDnsEnabled=maybe"), "InvalidParameterValue"),
        (
            format!("{create}&ServiceName=com.amazonaws.eu-west-1.sts&VpcEndpointType=Interface&SubnetId.1=subnet-%00"),
            "InvalidSubnetID.NotFound",
        ),
        (
            format!(
                "{create}&ServiceName=com.amazonaws.eu-west-1.sts&VpcEndpointType=Interface&SecurityGroupId.1=sg-nope"
            ),
            "InvalidGroup.NotFound",
        ),
        (
            format!("{create}&ServiceName=com.amazonaws.eu-west-1.s3&TagSpecification.1.ResourceType=vpc"),
            "InvalidParameterValue",
        ),
        (
            "Action=CreateVpcEndpoint&VpcId=vpc-%00&ServiceName=com.amazonaws.eu-west-1.s3".into(),
            "InvalidVpcID.NotFound",
        ),
        ("Action=DescribeVpcEndpoints&VpcEndpointId.1=%00".into(), "InvalidVpcEndpointId.Malformed"),
        ("Action=DescribeVpcEndpoints&VpcEndpointId.1=vpce-0123456789abcdef0".into(), "InvalidVpcEndpointId.NotFound"),
        ("Action=DescribeVpcEndpoints&Filter.1.Name=colour&Filter.1.Value.1=x".into(), "InvalidFilter"),
        ("Action=DescribeVpcEndpoints&MaxResults=0".into(), "InvalidParameterValue"),
        ("Action=DescribeVpcEndpoints&NextToken=%00".into(), "InvalidParameterValue"),
        ("Action=ModifyVpcEndpoint".into(), "MissingParameter"),
        ("Action=ModifyVpcEndpoint&VpcEndpointId=vpce-0123456789abcdef0".into(), "InvalidVpcEndpointId.NotFound"),
        ("Action=DeleteVpcEndpoints".into(), "MissingParameter"),
        ("Action=DescribeVpcEndpointServices&ServiceName.1=nope".into(), "InvalidServiceName"),
        ("Action=DescribeVpcEndpointServices&MaxResults=1".into(), "InvalidParameterValue"),
        ("Action=DescribePrefixLists&PrefixListId.1=pl-nope".into(), "InvalidPrefixListID.NotFound"),
        ("Action=DescribePrefixLists&Filter.1.Name=colour&Filter.1.Value.1=x".into(), "InvalidFilter"),
    ] {
        assert_eq!(code(&api, &form).await, (400, expect.to_owned()), "{}", &form[..form.len().min(200)]);
    }
    let tags: String =
        (1..=51).map(|n| format!("&TagSpecification.1.Tag.{n}.Key=k{n}&TagSpecification.1.Tag.{n}.Value=v")).collect();
    let form =
        format!("{create}&ServiceName=com.amazonaws.eu-west-1.s3&TagSpecification.1.ResourceType=vpc-endpoint{tags}");
    assert_eq!(code(&api, &form).await, (400, "TagLimitExceeded".into()));
    let (_, xml) = send(&api, "Action=DescribeVpcEndpoints").await;
    assert!(element(&xml, "vpcEndpointSet").is_none_or(str::is_empty), "nothing was made: {xml}");
}
