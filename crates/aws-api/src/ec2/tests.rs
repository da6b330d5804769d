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
