use std::sync::Arc;

use aws_model::clock::ManualClock;
use aws_model::ec2::Ec2;
use aws_model::eks::{Eks, EksConfig, KubernetesClusters, KubernetesEndpoint, KubernetesSpec};
use aws_model::records::Records;
use bytes::Bytes;
use http::Request;
use store::MemoryStore;

use crate::AwsApi;

#[derive(Debug)]
struct NoKubernetes;

#[async_trait::async_trait]
impl KubernetesClusters for NoKubernetes {
    async fn create(&self, _: &KubernetesSpec) -> Result<KubernetesEndpoint, String> {
        Err("not in these tests".into())
    }
    async fn delete(&self, _: &str) -> Result<(), String> {
        Ok(())
    }
}

/// An endpoint with EKS (no Kubernetes side), IAM and EC2 on one memory store.
pub(crate) fn api() -> AwsApi {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::new(1_800_000_000.0));
    let eks = Eks::new(Records::new(store.clone()), Arc::new(NoKubernetes), clock.clone(), EksConfig::default());
    let iam = aws_model::iam::Iam::new(Records::new(store.clone()), clock.clone());
    AwsApi::new(eks, iam, clock.clone()).with_ec2(Ec2::new(Records::new(store), clock))
}

/// Sends an EC2 form; the signature is well formed but not checked (no secret is known).
pub(crate) async fn send(api: &AwsApi, form: &str) -> (u16, String) {
    let request = Request::builder()
        .method("POST")
        .uri("/")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-amz-date", "20270115T080000Z")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=test/20270115/eu-west-1/ec2/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000",
        )
        .body(Bytes::from(format!("{form}&Version=2016-11-15")))
        .unwrap();
    let response = api.handle(request).await;
    (response.status().as_u16(), String::from_utf8(response.into_body()).unwrap())
}

pub(super) fn element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let start = xml.find(&format!("<{name}>"))? + name.len() + 2;
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(&xml[start..end])
}

async fn check(form: &str, expect: (u16, &str)) {
    let (status, xml) = send(&api(), form).await;
    let got = if status == 200 { "ok" } else { element(&xml, "Code").unwrap_or("no code") };
    assert_eq!((status, got), expect, "{form}: {xml}");
}

#[tokio::test]
async fn replies_are_ec2_xml_with_locationnames() {
    let api = api();
    let (status, xml) = send(&api, "Action=CreateVpc&CidrBlock=10.1.0.0%2F16").await;
    assert_eq!(status, 200, "{xml}");
    assert!(
        xml.starts_with("<?xml")
            && xml.contains("<CreateVpcResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>")
    );
    let vpc_id = element(&xml, "vpcId").unwrap().to_owned();
    assert!(xml.contains("<cidrBlockAssociationSet><item><associationId>vpc-cidr-assoc-"));
    let form = format!("Action=CreateSubnet&VpcId={vpc_id}&CidrBlock=10.1.2.0%2F24&AvailabilityZoneId=euw1-az2");
    let (_, xml) = send(&api, &form).await;
    assert_eq!(element(&xml, "availabilityZone"), Some("eu-west-1b"));
    assert_eq!(element(&xml, "availableIpAddressCount"), Some("251"));
    let (_, xml) = send(&api, &format!("Action=DescribeVpcs&VpcId.1={vpc_id}")).await;
    assert!(xml.contains("<vpcSet><item><vpcId>") && xml.contains("<isDefault>false</isDefault>"), "{xml}");
    let (_, xml) = send(&api, "Action=DescribeSecurityGroups&GroupName.1=default").await;
    assert!(xml.contains("<ipPermissionsEgress><item><ipProtocol>-1</ipProtocol><groups></groups><ipRanges><item><cidrIp>0.0.0.0/0</cidrIp>"), "{xml}");
}

#[tokio::test]
async fn every_garbage_input_is_an_ec2_error() {
    check("Action=DescribeRegions", (200, "ok")).await;
    check("Action=CreateVpc&CidrBlock=10.0.0.0%2F16", (200, "ok")).await;
    check("Action=CreateVpc&CidrBlock=x", (400, "InvalidParameterValue")).await;
    check("Action=CreateVpc&CidrBlock=10.0.0.0%2F8", (400, "InvalidVpc.Range")).await;
    check("Action=CreateVpc", (400, "MissingParameter")).await;
    check("Action=DescribeVpcs&VpcId.0=a", (400, "MalformedQueryString")).await;
    check("Action=DescribeVpcs&VpcId.01=a", (400, "MalformedQueryString")).await;
    check("Action=DescribeVpcs&VpcId.1=vpc-nope", (400, "InvalidVpcID.NotFound")).await;
    check("Action=DescribeVpcs&Filter.1.Name=x&Filter.1.Value.1=y", (400, "InvalidFilter")).await;
    check("Action=DescribeVpcs&Filter.1.Value.1=y", (400, "MissingParameter")).await;
    check("Action=DescribeVpcs&MaxResults=2", (400, "InvalidParameterValue")).await;
    check("Action=DescribeAvailabilityZones&AllAvailabilityZones=yes", (400, "InvalidParameterValue")).await;
    check("Action=DescribeVpcAttribute&VpcId=vpc-1", (400, "MissingParameter")).await;
    check("Action=ModifySubnetAttribute&SubnetId=subnet-1&MapPublicIpOnLaunch.Value=1", (400, "InvalidParameterValue"))
        .await;
    check(
        "Action=AuthorizeSecurityGroupIngress&GroupName=default&IpPermissions.1.FromPort=1",
        (400, "MissingParameter"),
    )
    .await;
    check(
        "Action=AuthorizeSecurityGroupIngress&GroupName=nope&IpProtocol=tcp&CidrIp=0.0.0.0%2F0&FromPort=1&ToPort=1",
        (400, "InvalidGroup.NotFound"),
    )
    .await;
    check(
        "Action=AuthorizeSecurityGroupIngress&GroupName=default&IpProtocol=tcp&CidrIp=0.0.0.0%2F0&FromPort=1&ToPort=1",
        (200, "ok"),
    )
    .await;
    check("Action=CreateTags&ResourceId.1=vpc-1&Tag.1.Value=v", (400, "MissingParameter")).await;
    check("Action=CreateNatGateway&SubnetId=subnet-1&ConnectivityType=private", (400, "InvalidParameterValue")).await;
    check("Action=AllocateAddress&Domain=moon", (400, "InvalidParameterValue")).await;
    check("Action=CreateInternetGateway&TagSpecification.1.ResourceType=internet-gateway&TagSpecification.1.Tag.1.Key=aws%3Ax", (400, "InvalidParameterValue")).await;
    check("Action=Nope", (400, "InvalidAction")).await;
}

#[tokio::test]
async fn secondary_vpc_blocks_are_associated_used_and_disassociated_on_the_wire() {
    let api = api();
    let (_, xml) = send(&api, "Action=CreateVpc&CidrBlock=10.0.0.0%2F16").await;
    let vpc_id = element(&xml, "vpcId").unwrap().to_owned();
    let (status, xml) =
        send(&api, &format!("Action=AssociateVpcCidrBlock&VpcId={vpc_id}&CidrBlock=100.64.0.0%2F16")).await;
    assert_eq!(status, 200, "{xml}");
    let association = element(&xml, "associationId").unwrap().to_owned();
    assert!(association.starts_with("vpc-cidr-assoc-") && association.len() == 32, "{association}");
    let reply = format!(
        "<cidrBlockAssociation><associationId>{association}</associationId><cidrBlock>100.64.0.0/16</cidrBlock>\
         <cidrBlockState><state>associating</state></cidrBlockState></cidrBlockAssociation><vpcId>{vpc_id}</vpcId>"
    );
    assert!(xml.contains(&reply), "{xml}");
    let (_, xml) = send(&api, &format!("Action=DescribeVpcs&VpcId.1={vpc_id}")).await;
    let set = element(&xml, "cidrBlockAssociationSet").unwrap();
    assert_eq!(set.matches("<state>associated</state>").count(), 2, "{set}");
    assert!(set.contains(&format!("<item><associationId>{association}</associationId><cidrBlock>100.64.0.0/16")));
    let (status, xml) = send(
        &api,
        &format!("Action=CreateSubnet&VpcId={vpc_id}&CidrBlock=100.64.1.0%2F24&AvailabilityZone=eu-west-1a"),
    )
    .await;
    assert_eq!(status, 200, "{xml}");
    let subnet_id = element(&xml, "subnetId").unwrap().to_owned();
    let (_, xml) =
        send(&api, &format!("Action=DescribeRouteTables&Filter.1.Name=vpc-id&Filter.1.Value.1={vpc_id}")).await;
    assert!(xml.contains("<destinationCidrBlock>100.64.0.0/16</destinationCidrBlock><gatewayId>local</gatewayId>"));

    let disassociate = format!("Action=DisassociateVpcCidrBlock&AssociationId={association}");
    let (status, xml) = send(&api, &disassociate).await;
    assert_eq!((status, element(&xml, "Code")), (400, Some("InvalidCidrBlock.InUse")), "{xml}");
    send(&api, &format!("Action=DeleteSubnet&SubnetId={subnet_id}")).await;
    let (status, xml) = send(&api, &disassociate).await;
    assert_eq!(status, 200, "{xml}");
    assert!(xml.contains("<state>disassociating</state>") && xml.contains(&format!("<vpcId>{vpc_id}</vpcId>")));
    let by_state = "Filter.1.Name=cidr-block-association.state&Filter.1.Value.1=disassociated";
    let (_, xml) = send(&api, &format!("Action=DescribeVpcs&{by_state}")).await;
    assert_eq!(element(&xml, "vpcId"), Some(vpc_id.as_str()), "{xml}");
    assert!(xml.contains("<cidrBlock>100.64.0.0/16</cidrBlock><cidrBlockState><state>disassociated</state>"));
    let (status, xml) = send(&api, &disassociate).await;
    assert_eq!((status, element(&xml, "Code")), (400, Some("InvalidVpcCidrBlockAssociationID.NotFound")), "{xml}");
}

#[tokio::test]
async fn garbage_vpc_block_requests_get_ec2_errors() {
    let api = api();
    let (_, xml) = send(&api, "Action=CreateVpc&CidrBlock=10.0.0.0%2F16").await;
    let vpc = element(&xml, "vpcId").unwrap().to_owned();
    let primary = element(&xml, "associationId").unwrap().to_owned();
    let associate = |rest: &str| format!("Action=AssociateVpcCidrBlock&VpcId={vpc}&{rest}");
    let oversized = format!("CidrBlock={}", "1".repeat(200_000));
    let cases = [
        ("Action=AssociateVpcCidrBlock&CidrBlock=10.1.0.0%2F16".to_owned(), "MissingParameter"),
        ("Action=AssociateVpcCidrBlock&VpcId=vpc-nope&CidrBlock=10.1.0.0%2F16".to_owned(), "InvalidVpcID.NotFound"),
        (associate(""), "MissingParameter"),
        (associate("CidrBlock=banana"), "InvalidParameterValue"),
        (associate("CidrBlock=10.1.0.1%2F16"), "InvalidParameterValue"),
        (associate(&oversized), "InvalidParameterValue"),
        (associate("CidrBlock=10.0.0.0%2F8"), "InvalidVpc.Range"),
        (associate("CidrBlock=10.1.0.0%2F29"), "InvalidVpc.Range"),
        (associate("CidrBlock=10.0.4.0%2F24"), "InvalidVpc.Range"),
        (associate("CidrBlock=192.168.0.0%2F16"), "InvalidVpc.Range"),
        (associate("CidrBlock=198.19.0.0%2F16"), "InvalidVpc.Range"),
        (associate("AmazonProvidedIpv6CidrBlock=true"), "UnsupportedOperation"),
        (associate("AmazonProvidedIpv6CidrBlock=perhaps"), "InvalidParameterValue"),
        (associate("Ipv4IpamPoolId=ipam-pool-1&Ipv4NetmaskLength=20"), "UnsupportedOperation"),
        (associate("CidrBlock=10.1.0.0%2F16&Ipv6Pool=pool"), "UnsupportedOperation"),
        ("Action=DisassociateVpcCidrBlock".to_owned(), "MissingParameter"),
        ("Action=DisassociateVpcCidrBlock&AssociationId=nope".to_owned(), "InvalidVpcCidrBlockAssociationID.NotFound"),
        (format!("Action=DisassociateVpcCidrBlock&AssociationId={primary}"), "OperationNotPermitted"),
    ];
    for (form, code) in cases {
        let (status, xml) = send(&api, &form).await;
        assert_eq!((status, element(&xml, "Code")), (400, Some(code)), "{}: {xml}", &form[..form.len().min(120)]);
    }
    for block in ["10.1.0.0%2F16", "10.2.0.0%2F16", "10.3.0.0%2F16", "100.64.0.0%2F16"] {
        let (status, xml) = send(&api, &associate(&format!("CidrBlock={block}"))).await;
        assert_eq!(status, 200, "{xml}");
    }
    let (status, xml) = send(&api, &associate("CidrBlock=100.65.0.0%2F16")).await;
    assert_eq!((status, element(&xml, "Code")), (400, Some("CidrLimitExceeded")), "{xml}");
    let message = format!("This network '{vpc}' has met its maximum number of allowed CIDRs: 5");
    assert_eq!(element(&xml, "Message"), Some(message.as_str()));
    let (_, xml) = send(&api, &format!("Action=DescribeVpcs&VpcId.1={vpc}")).await;
    assert_eq!(element(&xml, "cidrBlockAssociationSet").unwrap().matches("<item>").count(), 5, "{xml}");
}

#[tokio::test]
async fn network_interfaces_on_the_wire_and_their_garbage() {
    let api = api();
    let (_, xml) = send(&api, "Action=CreateVpc&CidrBlock=10.0.0.0%2F16").await;
    let vpc = element(&xml, "vpcId").unwrap().to_owned();
    let (_, xml) =
        send(&api, &format!("Action=CreateSubnet&VpcId={vpc}&CidrBlock=10.0.1.0%2F24&AvailabilityZone=eu-west-1a"))
            .await;
    let subnet = element(&xml, "subnetId").unwrap().to_owned();
    let create = format!(
        "Action=CreateNetworkInterface&SubnetId={subnet}&Description=web&SecondaryPrivateIpAddressCount=2\
         &TagSpecification.1.ResourceType=network-interface&TagSpecification.1.Tag.1.Key=team\
         &TagSpecification.1.Tag.1.Value=web"
    );
    let (status, xml) = send(&api, &create).await;
    assert_eq!(status, 200, "{xml}");
    let eni = element(&xml, "networkInterfaceId").unwrap().to_owned();
    assert!(xml.contains("<status>available</status>") && xml.contains("<description>web</description>"), "{xml}");
    assert_eq!(element(&xml, "privateIpAddressesSet").unwrap().matches("<item>").count(), 3, "{xml}");
    assert!(xml.contains("<tagSet><item><key>team</key><value>web</value></item></tagSet>"), "{xml}");
    let (_, xml) =
        send(&api, &format!("Action=DescribeNetworkInterfaces&Filter.1.Name=subnet-id&Filter.1.Value.1={subnet}"))
            .await;
    assert_eq!(element(&xml, "networkInterfaceId"), Some(eni.as_str()), "{xml}");
    let (status, xml) =
        send(&api, &format!("Action=AssignPrivateIpAddresses&NetworkInterfaceId={eni}&PrivateIpAddress.1=10.0.1.99"))
            .await;
    assert_eq!(status, 200, "{xml}");
    assert!(xml.contains("<assignedPrivateIpAddressesSet><item><privateIpAddress>10.0.1.99</privateIpAddress>"));
    let (_, xml) =
        send(&api, &format!("Action=DescribeNetworkInterfaceAttribute&NetworkInterfaceId={eni}&Attribute=description"))
            .await;
    assert!(xml.contains("<description><value>web</value></description>"), "{xml}");
    let (status, xml) = send(&api, &format!("Action=DeleteSubnet&SubnetId={subnet}")).await;
    assert_eq!((status, element(&xml, "Code")), (400, Some("DependencyViolation")), "{xml}");

    let long = "d".repeat(256);
    let tags: String = (1..=51).map(|n| format!("&TagSpecification.1.Tag.{n}.Key=k{n}")).collect();
    let cases = [
        ("Action=DeleteNetworkInterface&NetworkInterfaceId=garbage".to_owned(), "InvalidNetworkInterfaceId.Malformed"),
        ("Action=DeleteNetworkInterface&NetworkInterfaceId=eni-%00".to_owned(), "InvalidNetworkInterfaceId.Malformed"),
        (
            "Action=DeleteNetworkInterface&NetworkInterfaceId=eni-0123456789abcdef0".to_owned(),
            "InvalidNetworkInterfaceID.NotFound",
        ),
        ("Action=DeleteNetworkInterface".to_owned(), "MissingParameter"),
        (
            "Action=DescribeNetworkInterfaces&NetworkInterfaceId.1=nope".to_owned(),
            "InvalidNetworkInterfaceId.Malformed",
        ),
        ("Action=DescribeNetworkInterfaces&Filter.1.Name=colour&Filter.1.Value.1=red".to_owned(), "InvalidFilter"),
        ("Action=DescribeNetworkInterfaces&MaxResults=2".to_owned(), "InvalidParameterValue"),
        ("Action=DescribeNetworkInterfaces&NextToken=%21%21".to_owned(), "InvalidParameterValue"),
        (
            format!("Action=DescribeNetworkInterfaces&MaxResults=5&NetworkInterfaceId.1={eni}"),
            "InvalidParameterCombination",
        ),
        ("Action=CreateNetworkInterface&SubnetId=subnet-nope".to_owned(), "InvalidSubnetID.NotFound"),
        (format!("Action=CreateNetworkInterface&SubnetId={subnet}&Description={long}"), "InvalidParameterValue"),
        (format!("Action=CreateNetworkInterface&SubnetId={subnet}&Description=a%00b"), "InvalidParameterValue"),
        (
            format!(
                "Action=CreateNetworkInterface&SubnetId={subnet}&TagSpecification.1.ResourceType=network-interface{tags}"
            ),
            "TagLimitExceeded",
        ),
        (
            format!("Action=CreateNetworkInterface&SubnetId={subnet}&SecondaryPrivateIpAddressCount=lots"),
            "InvalidParameterValue",
        ),
        (format!("Action=CreateNetworkInterface&SubnetId={subnet}&SecurityGroupId.1=sg-nope"), "InvalidGroup.NotFound"),
        (
            format!(
                "Action=AttachNetworkInterface&NetworkInterfaceId={eni}&InstanceId=i-0123456789abcdef0&DeviceIndex=1"
            ),
            "InvalidInstanceID.NotFound",
        ),
        (
            format!("Action=AttachNetworkInterface&NetworkInterfaceId={eni}&InstanceId=garbage&DeviceIndex=1"),
            "InvalidInstanceID.Malformed",
        ),
        (
            "Action=DetachNetworkInterface&AttachmentId=eni-attach-nope".to_owned(),
            "InvalidNetworkInterfaceAttachmentId.Malformed",
        ),
        (
            "Action=DetachNetworkInterface&AttachmentId=eni-attach-0123456789abcdef0".to_owned(),
            "InvalidAttachmentID.NotFound",
        ),
        (format!("Action=ModifyNetworkInterfaceAttribute&NetworkInterfaceId={eni}"), "MissingParameter"),
        (
            format!("Action=ModifyNetworkInterfaceAttribute&NetworkInterfaceId={eni}&Description.Value={long}"),
            "InvalidParameterValue",
        ),
        (
            format!(
                "Action=ModifyNetworkInterfaceAttribute&NetworkInterfaceId={eni}&Description.Value=a&SourceDestCheck.Value=false"
            ),
            "InvalidParameterCombination",
        ),
        (
            format!("Action=DescribeNetworkInterfaceAttribute&NetworkInterfaceId={eni}&Attribute=colour"),
            "InvalidParameterValue",
        ),
        (
            format!("Action=AssignPrivateIpAddresses&NetworkInterfaceId={eni}&PrivateIpAddress.1=10.0.1.99"),
            "InvalidParameterValue",
        ),
        (
            format!("Action=AssignPrivateIpAddresses&NetworkInterfaceId={eni}&SecondaryPrivateIpAddressCount=60"),
            "PrivateIpAddressLimitExceeded",
        ),
        (
            format!("Action=UnassignPrivateIpAddresses&NetworkInterfaceId={eni}&PrivateIpAddress.1=10.9.9.9"),
            "InvalidParameterValue",
        ),
        (
            format!("Action=CreateTags&ResourceId.1={eni}{}", tags.replace("TagSpecification.1.", "")),
            "TagLimitExceeded",
        ),
        (
            "Action=CreateTags&ResourceId.1=eni-0123456789abcdef0&Tag.1.Key=k".to_owned(),
            "InvalidNetworkInterfaceID.NotFound",
        ),
    ];
    for (form, code) in cases {
        let (status, xml) = send(&api, &form).await;
        assert_eq!((status, element(&xml, "Code")), (400, Some(code)), "{}: {xml}", &form[..form.len().min(160)]);
    }
    let (status, xml) = send(&api, &format!("Action=DeleteNetworkInterface&NetworkInterfaceId={eni}")).await;
    assert_eq!(status, 200, "{xml}");
    let (status, xml) = send(&api, &format!("Action=DeleteSubnet&SubnetId={subnet}")).await;
    assert_eq!(status, 200, "{xml}");
}

#[tokio::test]
async fn network_acls_on_the_wire_and_their_garbage() {
    let api = api();
    let (_, xml) = send(&api, "Action=CreateVpc&CidrBlock=10.0.0.0%2F16").await;
    let vpc = element(&xml, "vpcId").unwrap().to_owned();
    let (_, xml) = send(&api, &format!("Action=CreateSubnet&VpcId={vpc}&CidrBlock=10.0.1.0%2F24")).await;
    let subnet = element(&xml, "subnetId").unwrap().to_owned();
    let by_vpc = format!("Filter.1.Name=vpc-id&Filter.1.Value.1={vpc}&Filter.2.Name=default&Filter.2.Value.1=true");
    let (status, xml) = send(&api, &format!("Action=DescribeNetworkAcls&{by_vpc}")).await;
    assert_eq!(status, 200, "{xml}");
    let default = element(&xml, "networkAclId").unwrap().to_owned();
    assert!(xml.contains(&format!("<networkAclId>{default}</networkAclId><subnetId>{subnet}</subnetId>")), "{xml}");
    assert!(xml.contains("<cidrBlock>0.0.0.0/0</cidrBlock><egress>false</egress><protocol>-1</protocol><ruleAction>allow</ruleAction><ruleNumber>100</ruleNumber>"), "{xml}");
    assert!(xml.contains("<ruleAction>deny</ruleAction><ruleNumber>32767</ruleNumber>"), "{xml}");
    let association = element(&xml, "networkAclAssociationId").unwrap().to_owned();

    let (status, xml) = send(&api, &format!("Action=CreateNetworkAcl&VpcId={vpc}")).await;
    assert_eq!(status, 200, "{xml}");
    let acl = element(&xml, "networkAclId").unwrap().to_owned();
    let entry = format!(
        "Action=CreateNetworkAclEntry&NetworkAclId={acl}&RuleNumber=100&Protocol=6&RuleAction=allow&Egress=false\
         &CidrBlock=10.0.0.0%2F8&PortRange.From=443&PortRange.To=443"
    );
    assert_eq!(send(&api, &entry).await.0, 200);
    let (status, xml) = send(&api, &entry).await;
    assert_eq!((status, element(&xml, "Code")), (400, Some("NetworkAclEntryAlreadyExists")), "{xml}");
    let replace = format!("Action=ReplaceNetworkAclAssociation&AssociationId={association}&NetworkAclId={acl}");
    let (status, xml) = send(&api, &replace).await;
    assert_eq!(status, 200, "{xml}");
    assert!(element(&xml, "newAssociationId").unwrap().starts_with("aclassoc-"), "{xml}");
    let (_, xml) = send(&api, &format!("Action=DescribeNetworkAcls&NetworkAclId.1={acl}")).await;
    assert!(xml.contains(&format!("<subnetId>{subnet}</subnetId>")), "{xml}");
    assert!(xml.contains("<portRange><from>443</from><to>443</to></portRange><protocol>6</protocol>"), "{xml}");

    let cases = [
        (format!("Action=DeleteNetworkAcl&NetworkAclId={acl}"), "DependencyViolation"),
        (format!("Action=DeleteNetworkAcl&NetworkAclId={default}"), "InvalidParameterValue"),
        ("Action=DeleteNetworkAcl&NetworkAclId=garbage%00".to_owned(), "InvalidNetworkAclId.Malformed"),
        ("Action=DescribeNetworkAcls&NetworkAclId.1=acl-0123456789abcdef0".to_owned(), "InvalidNetworkAclID.NotFound"),
        ("Action=DescribeNetworkAcls&Filter.1.Name=colour&Filter.1.Value.1=red".to_owned(), "InvalidFilter"),
        ("Action=CreateNetworkAcl&VpcId=vpc-nope".to_owned(), "InvalidVpcID.NotFound"),
        (format!("Action=CreateNetworkAclEntry&NetworkAclId={acl}&RuleNumber=abc"), "InvalidParameterValue"),
        (
            format!(
                "Action=CreateNetworkAclEntry&NetworkAclId={acl}&RuleNumber=40000&Protocol=-1&RuleAction=allow&Egress=true&CidrBlock=0.0.0.0%2F0"
            ),
            "InvalidParameterValue",
        ),
        (
            format!(
                "Action=CreateNetworkAclEntry&NetworkAclId={acl}&RuleNumber=10&Protocol=-1&RuleAction=allow&Egress=true"
            ),
            "MissingParameter",
        ),
        (
            format!(
                "Action=CreateNetworkAclEntry&NetworkAclId={acl}&RuleNumber=10&Protocol=-1&RuleAction=allow&Egress=true&Ipv6CidrBlock=%3A%3A%2F0"
            ),
            "UnsupportedOperation",
        ),
        (
            format!(
                "Action=ReplaceNetworkAclEntry&NetworkAclId={acl}&RuleNumber=7&Protocol=-1&RuleAction=allow&Egress=true&CidrBlock=0.0.0.0%2F0"
            ),
            "InvalidNetworkAclEntry.NotFound",
        ),
        (
            format!("Action=DeleteNetworkAclEntry&NetworkAclId={acl}&RuleNumber=7&Egress=true"),
            "InvalidNetworkAclEntry.NotFound",
        ),
        (
            format!("Action=ReplaceNetworkAclAssociation&AssociationId={association}&NetworkAclId={acl}"),
            "InvalidAssociationID.NotFound",
        ),
        (format!("Action=DeleteVpc&VpcId={vpc}"), "DependencyViolation"),
    ];
    for (form, code) in cases {
        let (status, xml) = send(&api, &form).await;
        assert_eq!((status, element(&xml, "Code")), (400, Some(code)), "{}: {xml}", &form[..form.len().min(160)]);
    }
}

#[tokio::test]
async fn volumes_and_snapshots_on_the_wire() {
    let api = api();
    let form = "Action=CreateVolume&AvailabilityZone=eu-west-1a&Size=10&VolumeType=gp3&Iops=4000\
                &TagSpecification.1.ResourceType=volume&TagSpecification.1.Tag.1.Key=team&TagSpecification.1.Tag.1.Value=data";
    let (status, xml) = send(&api, form).await;
    assert_eq!(status, 200, "{xml}");
    assert!(xml.contains("<CreateVolumeResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"), "{xml}");
    let volume = element(&xml, "volumeId").unwrap().to_owned();
    assert_eq!(
        (element(&xml, "status"), element(&xml, "iops"), element(&xml, "throughput"), element(&xml, "size")),
        (Some("creating"), Some("4000"), Some("125"), Some("10"))
    );
    let (_, xml) = send(&api, "Action=DescribeVolumes&Filter.1.Name=tag%3Ateam&Filter.1.Value.1=data").await;
    assert_eq!(element(&xml, "volumeId"), Some(volume.as_str()), "{xml}");
    assert_eq!(element(&xml, "status"), Some("available"));
    assert!(xml.contains("<tagSet><item><key>team</key><value>data</value></item></tagSet>"), "{xml}");

    let (status, xml) = send(&api, &format!("Action=ModifyVolume&VolumeId={volume}&Size=20")).await;
    assert_eq!(status, 200, "{xml}");
    assert_eq!((element(&xml, "modificationState"), element(&xml, "targetSize")), (Some("modifying"), Some("20")));
    let (_, xml) = send(&api, &format!("Action=DescribeVolumesModifications&VolumeId.1={volume}")).await;
    assert_eq!((element(&xml, "modificationState"), element(&xml, "originalSize")), (Some("completed"), Some("10")));

    let (status, xml) = send(&api, &format!("Action=CreateSnapshot&VolumeId={volume}&Description=nightly")).await;
    assert_eq!((status, element(&xml, "status")), (200, Some("pending")), "{xml}");
    let snapshot = element(&xml, "snapshotId").unwrap().to_owned();
    let (_, xml) = send(&api, "Action=DescribeSnapshots&Owner.1=self").await;
    assert_eq!((element(&xml, "snapshotId"), element(&xml, "progress")), (Some(snapshot.as_str()), Some("100%")));
    let (_, xml) = send(&api, &format!("Action=CreateVolume&AvailabilityZone=eu-west-1b&SnapshotId={snapshot}")).await;
    assert_eq!(element(&xml, "size"), Some("20"), "{xml}");

    // Five volumes more, paged two... at least five at a time, as EC2 pages them.
    for _ in 0..5 {
        send(&api, "Action=CreateVolume&AvailabilityZone=eu-west-1a&Size=1").await;
    }
    let (_, xml) = send(&api, "Action=DescribeVolumes&MaxResults=1000").await;
    assert_eq!(xml.matches("<volumeId>").count(), 7, "more than 500 is 500: {xml}");
    let (_, xml) = send(&api, "Action=DescribeVolumes&MaxResults=5").await;
    assert_eq!(xml.matches("<volumeId>").count(), 5, "{xml}");
    let token = element(&xml, "nextToken").unwrap().to_owned();
    let (_, xml) = send(&api, &format!("Action=DescribeVolumes&MaxResults=5&NextToken={token}")).await;
    assert_eq!(xml.matches("<volumeId>").count(), 2, "{xml}");
    assert_eq!(element(&xml, "nextToken"), None);

    let (status, _) = send(&api, &format!("Action=DeleteSnapshot&SnapshotId={snapshot}")).await;
    assert_eq!(status, 200);
    let (status, _) = send(&api, &format!("Action=DeleteVolume&VolumeId={volume}")).await;
    assert_eq!(status, 200);
    let (status, xml) = send(&api, &format!("Action=DescribeVolumes&VolumeId.1={volume}")).await;
    assert_eq!((status, element(&xml, "Code")), (400, Some("InvalidVolume.NotFound")));
    assert_eq!(element(&xml, "Message"), Some(format!("The volume '{volume}' does not exist.").as_str()));
}

#[tokio::test]
async fn garbage_volume_requests_get_ec2_errors() {
    let tags: String = (1..=51).map(|n| format!("&TagSpecification.1.Tag.{n}.Key=k{n}")).collect();
    for (form, code) in [
        ("Action=CreateVolume&Size=1", "MissingParameter"),
        ("Action=CreateVolume&AvailabilityZone=eu-west-1a", "MissingParameter"),
        ("Action=CreateVolume&AvailabilityZone=eu-west-1z&Size=1", "InvalidZone.NotFound"),
        ("Action=CreateVolume&AvailabilityZone=eu-west-1a&Size=99999999", "InvalidParameterValue"),
        ("Action=CreateVolume&AvailabilityZone=eu-west-1a&Size=-3", "InvalidParameterValue"),
        ("Action=CreateVolume&AvailabilityZone=eu-west-1a&Size=ten", "InvalidParameterValue"),
        ("Action=CreateVolume&AvailabilityZone=eu-west-1a&Size=1&VolumeType=ssd", "InvalidParameterValue"),
        ("Action=CreateVolume&AvailabilityZone=eu-west-1a&Size=1&Iops=300", "InvalidParameterCombination"),
        ("Action=CreateVolume&AvailabilityZone=eu-west-1a&Size=1&KmsKeyId=k", "InvalidParameterDependency"),
        (
            "Action=CreateVolume&AvailabilityZone=eu-west-1a&SnapshotId=snap-0000000000000beef",
            "InvalidSnapshot.NotFound",
        ),
        ("Action=CreateVolume&AvailabilityZone=eu-west-1a&SnapshotId=%00", "InvalidSnapshotID.Malformed"),
        ("Action=DescribeVolumes&VolumeId.1=vol-%00%2F", "InvalidVolumeID.Malformed"),
        ("Action=DescribeVolumes&VolumeId.1=vol-0000000000000beef", "InvalidVolume.NotFound"),
        ("Action=DescribeVolumes&Filter.1.Name=colour&Filter.1.Value.1=red", "InvalidFilter"),
        ("Action=DescribeVolumes&MaxResults=3", "InvalidParameterValue"),
        ("Action=DescribeVolumes&MaxResults=5&VolumeId.1=vol-0000000000000beef", "InvalidParameterCombination"),
        ("Action=DescribeVolumes&NextToken=%00%00", "InvalidParameterValue"),
        ("Action=DeleteVolume", "MissingParameter"),
        ("Action=DeleteVolume&VolumeId=garbage", "InvalidVolumeID.Malformed"),
        ("Action=AttachVolume&VolumeId=vol-0000000000000beef&InstanceId=i-0000000000000beef", "MissingParameter"),
        (
            "Action=AttachVolume&VolumeId=vol-0000000000000beef&InstanceId=i-0000000000000beef&Device=%2Fdev%2Fsdf",
            "InvalidVolume.NotFound",
        ),
        ("Action=DetachVolume&VolumeId=vol-0000000000000beef", "InvalidVolume.NotFound"),
        ("Action=ModifyVolume&VolumeId=vol-0000000000000beef&Size=2", "InvalidVolume.NotFound"),
        ("Action=CreateSnapshot&VolumeId=vol-0000000000000beef", "InvalidVolume.NotFound"),
        ("Action=DeleteSnapshot&SnapshotId=snap-0000000000000beef", "InvalidSnapshot.NotFound"),
        ("Action=DescribeSnapshots&SnapshotId.1=garbage", "InvalidSnapshotID.Malformed"),
        ("Action=DescribeVolumesModifications&VolumeId.1=vol-0000000000000beef", "InvalidVolume.NotFound"),
        ("Action=CreateVolume&AvailabilityZone=eu-west-1a&Size=1&MultiAttachEnabled=true", "UnsupportedOperation"),
    ] {
        check(form, (400, code)).await;
    }
    let form =
        format!("Action=CreateVolume&AvailabilityZone=eu-west-1a&Size=1&TagSpecification.1.ResourceType=volume{tags}");
    check(&form, (400, "TagLimitExceeded")).await;
    let form = "Action=CreateVolume&AvailabilityZone=eu-west-1a&Size=1&TagSpecification.1.ResourceType=instance\
                &TagSpecification.1.Tag.1.Key=a";
    check(form, (400, "InvalidParameterValue")).await;
}

#[tokio::test]
async fn volumes_in_use_refuse_deletion_and_detach_as_ec2_says() {
    let api = api();
    let (_, xml) = send(&api, "Action=CreateVolume&AvailabilityZone=eu-west-1a&Size=1").await;
    let volume = element(&xml, "volumeId").unwrap().to_owned();
    let (status, xml) = send(&api, &format!("Action=DetachVolume&VolumeId={volume}")).await;
    assert_eq!((status, element(&xml, "Code")), (400, Some("IncorrectState")), "{xml}");
    assert_eq!(element(&xml, "Message"), Some(format!("Volume '{volume}' is in the 'available' state.").as_str()));
    let form = format!("Action=AttachVolume&VolumeId={volume}&InstanceId=i-0000000000000beef&Device=%2Fdev%2Fsdf");
    let (status, xml) = send(&api, &form).await;
    assert_eq!((status, element(&xml, "Code")), (400, Some("InvalidInstanceID.NotFound")), "{xml}");
    let (_, xml) = send(&api, &format!("Action=DescribeVolumes&VolumeId.1={volume}")).await;
    assert_eq!(element(&xml, "status"), Some("available"), "nothing is half-written: {xml}");
}

#[tokio::test]
async fn an_elastic_ip_has_no_reverse_dns_record_and_other_attributes_are_refused() {
    let api = api();
    let (_, xml) = send(&api, "Action=AllocateAddress&Domain=vpc").await;
    let (allocation, ip) = (element(&xml, "allocationId").unwrap().to_owned(), element(&xml, "publicIp").unwrap());
    let form = format!("Action=DescribeAddressesAttribute&Attribute=domain-name&AllocationId.1={allocation}");
    let (status, xml) = send(&api, &form).await;
    assert_eq!(status, 200, "{xml}");
    let item = format!("<addressSet><item><publicIp>{ip}</publicIp><allocationId>{allocation}</allocationId></item>");
    assert!(xml.contains(&item) && !xml.contains("ptrRecord"), "{xml}");
    check("Action=DescribeAddressesAttribute&Attribute=domain-name", (200, "ok")).await;
    check("Action=DescribeAddressesAttribute&AllocationId.1=eipalloc-1", (400, "MissingParameter")).await;
    check("Action=DescribeAddressesAttribute&Attribute=owner", (400, "InvalidParameterValue")).await;
    check(
        "Action=DescribeAddressesAttribute&Attribute=domain-name&AllocationId.1=eipalloc-1",
        (400, "InvalidAllocationID.NotFound"),
    )
    .await;
}
