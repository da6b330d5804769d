"""EC2 networking through the real aws CLI and boto3: the VPC of the EKS getting-started guide built, described
with filters and tags, and taken down in dependency order; the default VPC of every region; EC2's errors with
their codes, messages and statuses; and garbage parameters."""

import datetime
import re
import urllib.error
import urllib.request

import botocore.exceptions
import pytest

from conftest import boto

ID = re.compile(r"^(vpc|subnet|sg|igw|rtb|nat|eipalloc)-[0-9a-f]{17}$")


def tag_spec(kind, name):
    return f"ResourceType={kind},Tags=[{{Key=Name,Value={name}}},{{Key=stack,Value=demo}}]"


def test_the_eks_getting_started_vpc_from_create_to_delete(aws):
    ec2 = lambda *args, **kw: aws("ec2", *args, **kw)  # noqa: E731
    zones = [z["ZoneName"] for z in ec2("describe-availability-zones")["AvailabilityZones"]][:3]
    assert zones == ["us-east-1a", "us-east-1b", "us-east-1c"]

    vpc = ec2("create-vpc", "--cidr-block", "192.168.0.0/16", "--tag-specifications", tag_spec("vpc", "demo"))["Vpc"]
    vpc_id = vpc["VpcId"]
    assert ID.match(vpc_id) and vpc["CidrBlock"] == "192.168.0.0/16" and vpc["IsDefault"] is False
    assert {"Key": "stack", "Value": "demo"} in vpc["Tags"]
    ec2("modify-vpc-attribute", "--vpc-id", vpc_id, "--enable-dns-hostnames", '{"Value":true}')
    assert ec2("describe-vpc-attribute", "--vpc-id", vpc_id, "--attribute", "enableDnsHostnames")[
        "EnableDnsHostnames"] == {"Value": True}

    public, private = [], []
    for index, zone in enumerate(zones):
        for kind, offset, bucket in [("public", 0, public), ("private", 128, private)]:
            subnet = ec2("create-subnet", "--vpc-id", vpc_id, "--cidr-block", f"192.168.{offset + index * 32}.0/19",
                         "--availability-zone", zone,
                         "--tag-specifications", tag_spec("subnet", f"{kind}-{zone}"))["Subnet"]
            assert subnet["AvailabilityZone"] == zone and subnet["AvailableIpAddressCount"] == 8187
            assert subnet["AvailabilityZoneId"].startswith("use1-az") and ID.match(subnet["SubnetId"])
            bucket.append(subnet["SubnetId"])
    for subnet in public:
        ec2("modify-subnet-attribute", "--subnet-id", subnet, "--map-public-ip-on-launch")

    igw = ec2("create-internet-gateway", "--tag-specifications", tag_spec("internet-gateway", "demo"))[
        "InternetGateway"]["InternetGatewayId"]
    ec2("attach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpc_id)
    public_rtb = ec2("create-route-table", "--vpc-id", vpc_id)["RouteTable"]["RouteTableId"]
    assert ec2("create-route", "--route-table-id", public_rtb, "--destination-cidr-block", "0.0.0.0/0",
               "--gateway-id", igw)["Return"] is True
    for subnet in public:
        association = ec2("associate-route-table", "--route-table-id", public_rtb, "--subnet-id", subnet)
        assert association["AssociationState"]["State"] == "associated"

    eip = ec2("allocate-address", "--domain", "vpc")
    assert ID.match(eip["AllocationId"]) and eip["Domain"] == "vpc"
    nat = ec2("create-nat-gateway", "--subnet-id", public[0], "--allocation-id", eip["AllocationId"],
              "--tag-specifications", tag_spec("natgateway", "demo"))["NatGateway"]
    assert nat["State"] == "available" and nat["NatGatewayAddresses"][0]["PublicIp"] == eip["PublicIp"]
    ec2("wait", "nat-gateway-available", "--nat-gateway-ids", nat["NatGatewayId"])
    private_rtb = ec2("create-route-table", "--vpc-id", vpc_id)["RouteTable"]["RouteTableId"]
    ec2("create-route", "--route-table-id", private_rtb, "--destination-cidr-block", "0.0.0.0/0",
        "--nat-gateway-id", nat["NatGatewayId"])
    for subnet in private:
        ec2("associate-route-table", "--route-table-id", private_rtb, "--subnet-id", subnet)

    group = ec2("create-security-group", "--group-name", "eks-control-plane", "--description", "EKS control plane",
                "--vpc-id", vpc_id)["GroupId"]
    ec2("authorize-security-group-ingress", "--group-id", group, "--protocol", "tcp", "--port", "443",
        "--cidr", "0.0.0.0/0")
    ec2("authorize-security-group-ingress", "--group-id", group,
        "--ip-permissions", f"IpProtocol=-1,UserIdGroupPairs=[{{GroupId={group}}}]")

    # Described back, with filters and tags.
    assert [v["VpcId"] for v in ec2("describe-vpcs", "--filters", "Name=tag:Name,Values=demo")["Vpcs"]] == [vpc_id]
    assert len(ec2("describe-vpcs")["Vpcs"]) == 2, "the default VPC and ours"
    described = ec2("describe-subnets", "--filters", f"Name=vpc-id,Values={vpc_id}")["Subnets"]
    assert sorted(s["SubnetId"] for s in described) == sorted(public + private)
    in_a = ec2("describe-subnets", "--filters", f"Name=vpc-id,Values={vpc_id}", "Name=availability-zone,Values="
               "us-east-1a")["Subnets"]
    assert sorted(s["CidrBlock"] for s in in_a) == ["192.168.0.0/19", "192.168.128.0/19"]
    public_subnets = ec2("describe-subnets", "--filters", "Name=tag:Name,Values=public-*")["Subnets"]
    assert sorted(s["SubnetId"] for s in public_subnets) == sorted(public)
    assert all(s["MapPublicIpOnLaunch"] for s in public_subnets)
    tables = ec2("describe-route-tables", "--filters", f"Name=vpc-id,Values={vpc_id}")["RouteTables"]
    assert len(tables) == 3
    main = [t for t in tables if any(a["Main"] for a in t["Associations"])]
    assert len(main) == 1 and main[0]["Routes"] == [{"DestinationCidrBlock": "192.168.0.0/16", "GatewayId": "local",
                                                      "State": "active", "Origin": "CreateRouteTable"}]
    by_rtb = {t["RouteTableId"]: t for t in tables}
    assert by_rtb[public_rtb]["Routes"][1] == {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": igw,
                                               "State": "active", "Origin": "CreateRoute"}
    assert by_rtb[private_rtb]["Routes"][1]["NatGatewayId"] == nat["NatGatewayId"]
    groups = ec2("describe-security-groups", "--filters", f"Name=vpc-id,Values={vpc_id}")["SecurityGroups"]
    assert sorted(g["GroupName"] for g in groups) == ["default", "eks-control-plane"]
    ours = next(g for g in groups if g["GroupId"] == group)
    assert {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []} in ours["IpPermissions"]
    assert ours["IpPermissionsEgress"][0]["IpProtocol"] == "-1"
    assert ours["IpPermissionsEgress"][0]["IpRanges"] == [{"CidrIp": "0.0.0.0/0"}]
    gateways = ec2("describe-internet-gateways", "--filters", f"Name=attachment.vpc-id,Values={vpc_id}")
    assert gateways["InternetGateways"][0]["Attachments"] == [{"VpcId": vpc_id, "State": "available"}]
    nats = ec2("describe-nat-gateways", "--filter", f"Name=vpc-id,Values={vpc_id}")["NatGateways"]
    assert [n["NatGatewayId"] for n in nats] == [nat["NatGatewayId"]]
    assert ec2("describe-addresses")["Addresses"][0]["AllocationId"] == eip["AllocationId"]

    ec2("create-tags", "--resources", vpc_id, group, "--tags", "Key=team,Value=platform")
    tagged = ec2("describe-tags", "--filters", "Name=key,Values=team")["Tags"]
    assert sorted((t["ResourceId"], t["ResourceType"]) for t in tagged) == sorted(
        [(vpc_id, "vpc"), (group, "security-group")])
    ec2("delete-tags", "--resources", group, "--tags", "Key=team")
    assert [t["ResourceId"] for t in ec2("describe-tags", "--filters", "Name=key,Values=team")["Tags"]] == [vpc_id]

    # Taken down: first the refusals, then in dependency order.
    client = boto(aws.server, "ec2")
    for call, args, message in [
        (client.delete_vpc, {"VpcId": vpc_id}, f"The vpc '{vpc_id}' has dependencies and cannot be deleted."),
        (client.delete_subnet, {"SubnetId": public[0]},
         f"The subnet '{public[0]}' has dependencies and cannot be deleted."),
        (client.delete_internet_gateway, {"InternetGatewayId": igw},
         f"The internetGateway '{igw}' has dependencies and cannot be deleted."),
    ]:
        with pytest.raises(botocore.exceptions.ClientError) as raised:
            call(**args)
        assert raised.value.response["Error"] == {"Code": "DependencyViolation", "Message": message}
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    ec2("delete-nat-gateway", "--nat-gateway-id", nat["NatGatewayId"])
    ec2("wait", "nat-gateway-deleted", "--nat-gateway-ids", nat["NatGatewayId"])
    blackhole = ec2("describe-route-tables", "--route-table-ids", private_rtb)["RouteTables"][0]["Routes"][1]
    assert blackhole["State"] == "blackhole"
    ec2("release-address", "--allocation-id", eip["AllocationId"])
    for table in [public_rtb, private_rtb]:
        described = ec2("describe-route-tables", "--route-table-ids", table)["RouteTables"][0]
        for association in described["Associations"]:
            ec2("disassociate-route-table", "--association-id", association["RouteTableAssociationId"])
        ec2("delete-route-table", "--route-table-id", table)
    for subnet in public + private:
        ec2("delete-subnet", "--subnet-id", subnet)
    ec2("detach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpc_id)
    ec2("delete-internet-gateway", "--internet-gateway-id", igw)
    ec2("delete-security-group", "--group-id", group)
    ec2("delete-vpc", "--vpc-id", vpc_id)
    assert [v["IsDefault"] for v in ec2("describe-vpcs")["Vpcs"]] == [True]
    left = ec2("describe-tags")["Tags"]
    assert {t["ResourceId"] for t in left} == {nat["NatGatewayId"]}, "a deleted NAT gateway stays visible, tagged"


@pytest.mark.parametrize("region, zones", [
    ("us-east-1", ["a", "b", "c", "d", "e", "f"]),
    ("us-west-1", ["a", "c"]),
    ("us-west-2", ["a", "b", "c", "d"]),
    ("ap-northeast-1", ["a", "c", "d"]),
    ("eu-central-1", ["a", "b", "c"]),
])
def test_every_region_has_its_zones_and_a_default_vpc(aws, region, zones):
    described = aws("ec2", "describe-availability-zones", region=region)["AvailabilityZones"]
    assert [z["ZoneName"] for z in described] == [f"{region}{letter}" for letter in zones]
    assert all(z["State"] == "available" and z["RegionName"] == region for z in described)
    vpcs = aws("ec2", "describe-vpcs", "--filters", "Name=is-default,Values=true", region=region)["Vpcs"]
    assert len(vpcs) == 1 and vpcs[0]["CidrBlock"] == "172.31.0.0/16"
    subnets = aws("ec2", "describe-subnets", "--filters", "Name=default-for-az,Values=true", region=region)["Subnets"]
    assert sorted(s["AvailabilityZone"] for s in subnets) == [f"{region}{letter}" for letter in zones]
    assert all(s["CidrBlock"].endswith("/20") and s["AvailableIpAddressCount"] == 4091 for s in subnets)
    default_group = aws("ec2", "describe-security-groups", "--group-names", "default", region=region)
    assert default_group["SecurityGroups"][0]["VpcId"] == vpcs[0]["VpcId"]
    regions = [r["RegionName"] for r in aws("ec2", "describe-regions", region=region)["Regions"]]
    assert region in regions and len(regions) == 17


def test_default_vpcs_are_per_account_and_region(aws):
    first = aws("ec2", "describe-vpcs")["Vpcs"][0]["VpcId"]
    assert aws("ec2", "describe-vpcs")["Vpcs"][0]["VpcId"] == first, "made once"
    assert aws("ec2", "describe-vpcs", region="eu-west-1")["Vpcs"][0]["VpcId"] != first
    assert aws("ec2", "describe-vpcs", access_key="123456789012")["Vpcs"][0]["OwnerId"] == "123456789012"


def error_of(call, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call(**kwargs)
    response = raised.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_errors_have_ec2_codes_messages_and_statuses(aws):
    client = boto(aws.server, "ec2")
    vpc = client.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = client.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]
    group = client.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    client.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    zones = "us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1e, us-east-1f"
    cases = [
        (client.describe_vpcs, {"VpcIds": ["vpc-0123456789abcdef0"]},
         ("InvalidVpcID.NotFound", "The vpc ID 'vpc-0123456789abcdef0' does not exist")),
        (client.delete_vpc, {"VpcId": "vpc-x"}, ("InvalidVpcID.NotFound", "The vpc ID 'vpc-x' does not exist")),
        (client.describe_subnets, {"SubnetIds": ["subnet-x"]},
         ("InvalidSubnetID.NotFound", "The subnet ID 'subnet-x' does not exist")),
        (client.create_subnet, {"VpcId": vpc, "CidrBlock": "10.0.1.128/25"},
         ("InvalidSubnet.Conflict", "The CIDR '10.0.1.128/25' conflicts with another subnet")),
        (client.create_subnet, {"VpcId": vpc, "CidrBlock": "10.9.0.0/24"},
         ("InvalidSubnet.Range", "The CIDR '10.9.0.0/24' is invalid.")),
        (client.create_subnet, {"VpcId": vpc, "CidrBlock": "10.0.2.0/24", "AvailabilityZone": "us-east-1z"},
         ("InvalidAvailabilityZone", "Value (us-east-1z) for parameter availabilityZone is invalid. Subnets can "
          f"currently only be created in the following availability zones: {zones}.")),
        (client.create_vpc, {"CidrBlock": "10.0.0.0/8"}, ("InvalidVpc.Range", "The CIDR '10.0.0.0/8' is invalid.")),
        (client.create_vpc, {"CidrBlock": "10.0.0.0/33"},
         ("InvalidParameterValue", "Value (10.0.0.0/33) for parameter cidrBlock is invalid. This is not a valid "
          "CIDR block.")),
        (client.create_security_group, {"GroupName": "web", "Description": "again", "VpcId": vpc},
         ("InvalidGroup.Duplicate", f"The security group 'web' already exists for VPC '{vpc}'")),
        (client.describe_security_groups, {"GroupIds": ["sg-x"]},
         ("InvalidGroup.NotFound", "The security group 'sg-x' does not exist")),
        (client.authorize_security_group_ingress, {"GroupId": group, "IpPermissions": [
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]},
         ("InvalidPermission.Duplicate",
          'the specified rule "peer: 10.0.0.0/8, TCP, from port: 22, to port: 22, ALLOW" already exists')),
        (client.revoke_security_group_ingress, {"GroupId": group, "IpPermissions": [
            {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]},
         ("InvalidPermission.NotFound", "The specified rule does not exist in this security group.")),
        (client.describe_vpcs, {"Filters": [{"Name": "colour", "Values": ["blue"]}]},
         ("InvalidFilter", "The filter 'colour' is invalid")),
        (client.describe_internet_gateways, {"InternetGatewayIds": ["igw-x"]},
         ("InvalidInternetGatewayID.NotFound", "The internetGateway ID 'igw-x' does not exist")),
        (client.describe_route_tables, {"RouteTableIds": ["rtb-x"]},
         ("InvalidRouteTableID.NotFound", "The routeTable ID 'rtb-x' does not exist")),
        (client.release_address, {"AllocationId": "eipalloc-x"},
         ("InvalidAllocationID.NotFound", "The allocation ID 'eipalloc-x' does not exist")),
        (client.describe_nat_gateways, {"NatGatewayIds": ["nat-x"]},
         ("NatGatewayNotFound", "The Nat Gateway nat-x was not found")),
        (client.disassociate_route_table, {"AssociationId": "rtbassoc-x"},
         ("InvalidAssociationID.NotFound", "The association ID 'rtbassoc-x' does not exist")),
        (client.create_tags, {"Resources": ["bogus"], "Tags": [{"Key": "a", "Value": "b"}]},
         ("InvalidID", "The ID 'bogus' is not valid")),
        (client.describe_availability_zones, {"ZoneNames": ["us-east-1z"]},
         ("InvalidParameterValue", "Invalid availability zone: [us-east-1z]")),
    ]
    for call, kwargs, (code, message) in cases:
        assert error_of(call, **kwargs) == (code, message, 400), (call.__name__, kwargs)
    # Nothing of the refused calls was made.
    assert len(client.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]) == 1
    assert len(client.describe_vpcs()["Vpcs"]) == 2


def raw_ec2(server, body: bytes):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    headers = {
        "Authorization": f"AWS4-HMAC-SHA256 Credential=test/{now[:8]}/us-east-1/ec2/aws4_request, "
                         "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
        "X-Amz-Date": now,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    request = urllib.request.Request(f"{server.url}/", data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_garbage_parameters_get_ec2_errors(aws):
    version = "Version=2016-11-15"
    cases = [
        (b"Action=CreateVpc&CidrBlock=banana", "InvalidParameterValue"),
        (b"Action=CreateVpc&CidrBlock=10.0.0.1%2F16", "InvalidParameterValue"),
        (b"Action=CreateVpc&CidrBlock=999.0.0.0%2F16", "InvalidParameterValue"),
        (b"Action=CreateVpc", "MissingParameter"),
        (b"Action=CreateSubnet&CidrBlock=10.0.0.0%2F24", "MissingParameter"),
        (b"Action=DescribeVpcs&VpcId.0=vpc-1", "MalformedQueryString"),
        (b"Action=DescribeVpcs&VpcId.x=vpc-1", "MalformedQueryString"),
        (b"Action=DescribeVpcs&Filter.1.Value.1=x", "MissingParameter"),
        (b"Action=DescribeVpcs&Filter.1.Name=bogus&Filter.1.Value.1=x", "InvalidFilter"),
        (b"Action=DescribeVpcs&MaxResults=lots", "InvalidParameterValue"),
        (b"Action=ModifyVpcAttribute&VpcId=vpc-1&EnableDnsSupport.Value=maybe", "InvalidParameterValue"),
        (b"Action=AuthorizeSecurityGroupIngress&GroupName=default&IpPermissions.1.IpProtocol=tcp"
         b"&IpPermissions.1.FromPort=22&IpPermissions.1.ToPort=x", "InvalidParameterValue"),
        (b"Action=AuthorizeSecurityGroupIngress&GroupName=default&IpPermissions.1.IpProtocol=tcp"
         b"&IpPermissions.1.FromPort=22&IpPermissions.1.ToPort=22&IpPermissions.1.IpRanges.1.CidrIp=nope",
         "InvalidParameterValue"),
        (b"Action=CreateVpc&CidrBlock=10.0.0.0%2F16&TagSpecification.1.ResourceType=subnet"
         b"&TagSpecification.1.Tag.1.Key=a", "InvalidParameterValue"),
        (b"Action=CreateTags&ResourceId.1=vpc-1", "MissingParameter"),
        (b"Action=LaunchRockets", "InvalidAction"),
    ]
    for body, code in cases:
        status, text = raw_ec2(aws.server, body + b"&" + version.encode())
        assert status == 400 and f"<Code>{code}</Code>" in text, (body, status, text)
        assert "<Response><Errors><Error>" in text and "<RequestID>" in text
    # A body that cannot be decoded fails before its service is known, in the query protocol's envelope.
    status, text = raw_ec2(aws.server, b"Action=DescribeSubnets&SubnetId.1=%FF&" + version.encode())
    assert status == 400 and "<Code>MalformedQueryString</Code>" in text
    assert len(aws("ec2", "describe-vpcs")["Vpcs"]) == 1, "nothing was created"


def test_node_group_instances_are_ec2_resources_with_tags_and_addresses(aws):
    from test_autoscaling import running, setup

    _, subnets, _ = setup(aws.server, size=6)
    ec2 = boto(aws.server, "ec2")
    [first, *_] = running(aws.server)
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [first["InstanceId"]]}])["Tags"]
    assert {"Key": "eks:cluster-name", "ResourceId": first["InstanceId"], "ResourceType": "instance",
            "Value": "demo"} in tags
    ec2.create_tags(Resources=[first["InstanceId"]], Tags=[{"Key": "owner", "Value": "me"}])
    found = aws("ec2", "describe-instances", "--filters", "Name=tag:owner,Values=me")["Reservations"]
    assert [i["InstanceId"] for r in found for i in r["Instances"]] == [first["InstanceId"]]
    # A subnet with a running instance in it cannot be deleted.
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        ec2.delete_subnet(SubnetId=first["SubnetId"])
    assert raised.value.response["Error"]["Code"] == "DependencyViolation"
    # Paging walks every reservation once.
    pages = list(ec2.get_paginator("describe_instances").paginate(PaginationConfig={"PageSize": 5}))
    assert [len(page["Reservations"]) for page in pages] == [5, 1]
    ids = [i["InstanceId"] for page in pages for r in page["Reservations"] for i in r["Instances"]]
    assert len(set(ids)) == 6 and len(subnets) == 3


def test_oversized_inputs_are_refused_and_the_region_keeps_working(aws):
    """Inputs AWS refuses for their size get AWS's errors, and leave nothing behind: a launch template with
    20 KB of user data, a rule with 2,000 address blocks, a 51st tag. The region answers as before."""
    import base64

    client = boto(aws.server, "ec2")
    vpc = client.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    group = client.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    big = base64.b64encode(b"#!/bin/bash\n" + b"x" * 20 * 1024).decode()
    assert error_of(client.create_launch_template, LaunchTemplateName="big",
                    LaunchTemplateData={"UserData": big}) == (
        "InvalidUserData.Malformed", "User data is limited to 16384 bytes.", 400)
    assert error_of(client.create_launch_template, LaunchTemplateName="garbled",
                    LaunchTemplateData={"UserData": "not base64 at all!"})[0] == "InvalidUserData.Malformed"
    fits = base64.b64encode(b"x" * 16384).decode()
    template = client.create_launch_template(LaunchTemplateName="fits", LaunchTemplateData={"UserData": fits})
    template_id = template["LaunchTemplate"]["LaunchTemplateId"]
    assert error_of(client.create_launch_template_version, LaunchTemplateId=template_id,
                    LaunchTemplateData={"UserData": big})[0] == "InvalidUserData.Malformed"

    blocks = [{"CidrIp": f"10.{n // 256}.{n % 256}.0/24"} for n in range(2000)]
    assert error_of(client.authorize_security_group_ingress, GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": blocks}]) == (
        "RulesPerSecurityGroupLimitExceeded", "The maximum number of rules per security group has been reached.", 400)
    # Sixty fit, the sixty-first does not.
    client.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": blocks[:60]}])
    assert error_of(client.authorize_security_group_ingress, GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": blocks[60:61]}])[0] == (
        "RulesPerSecurityGroupLimitExceeded")

    tags = [{"Key": f"k{n}", "Value": "v"} for n in range(50)]
    client.create_tags(Resources=[vpc], Tags=tags)
    assert error_of(client.create_tags, Resources=[vpc], Tags=[{"Key": "one-more", "Value": "v"}])[0] == (
        "TagLimitExceeded")

    # Nothing refused was stored, and every service of the region still answers.
    described = client.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]
    assert len(described["IpPermissions"][0]["IpRanges"]) == 60
    templates = client.describe_launch_templates()["LaunchTemplates"]
    assert [t["LaunchTemplateName"] for t in templates] == ["fits"]
    versions = client.describe_launch_template_versions(LaunchTemplateId=template_id)["LaunchTemplateVersions"]
    assert [v["VersionNumber"] for v in versions] == [1]
    assert len(client.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["Tags"]) == 50
    client.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")
    assert len(aws("autoscaling", "describe-auto-scaling-groups")["AutoScalingGroups"]) == 0
    assert aws("eks", "list-clusters")["clusters"] == []


def test_a_secondary_block_for_pods_from_associate_to_disassociate(aws):
    """EKS custom networking's first step: a 100.64.0.0/16 block added to the cluster's VPC, a pod subnet in it,
    and the block taken away again once its subnet is gone."""
    ec2 = lambda *args, **kw: aws("ec2", *args, **kw)  # noqa: E731
    client = boto(aws.server, "ec2")
    vpc_id = ec2("create-vpc", "--cidr-block", "10.0.0.0/16")["Vpc"]["VpcId"]
    table = ec2("create-route-table", "--vpc-id", vpc_id)["RouteTable"]["RouteTableId"]

    associated = ec2("associate-vpc-cidr-block", "--vpc-id", vpc_id, "--cidr-block", "100.64.0.0/16")
    association = associated["CidrBlockAssociation"]
    assert associated["VpcId"] == vpc_id and association["CidrBlock"] == "100.64.0.0/16"
    assert re.match(r"^vpc-cidr-assoc-[0-9a-f]{17}$", association["AssociationId"])
    assert association["CidrBlockState"]["State"] == "associating"

    def blocks():
        vpc = ec2("describe-vpcs", "--vpc-ids", vpc_id)["Vpcs"][0]
        assert vpc["CidrBlock"] == "10.0.0.0/16", "the primary block stays the VPC's CidrBlock"
        return [(a["CidrBlock"], a["CidrBlockState"]["State"]) for a in vpc["CidrBlockAssociationSet"]]

    assert blocks() == [("10.0.0.0/16", "associated"), ("100.64.0.0/16", "associated")]
    found = ec2("describe-vpcs", "--filters", "Name=cidr-block-association.cidr-block,Values=100.64.0.0/16")
    assert [v["VpcId"] for v in found["Vpcs"]] == [vpc_id]
    routes = ec2("describe-route-tables", "--route-table-ids", table)["RouteTables"][0]["Routes"]
    assert {"DestinationCidrBlock": "100.64.0.0/16", "GatewayId": "local", "Origin": "CreateRouteTable",
            "State": "active"} in routes

    subnet = ec2("create-subnet", "--vpc-id", vpc_id, "--cidr-block", "100.64.0.0/19",
                 "--availability-zone", "us-east-1a")["Subnet"]
    assert subnet["CidrBlock"] == "100.64.0.0/19" and subnet["AvailableIpAddressCount"] == 8187
    assert error_of(client.create_subnet, VpcId=vpc_id, CidrBlock="100.65.0.0/24")[0] == "InvalidSubnet.Range"

    # Refused while the subnet is in the block, and the primary block never.
    assert error_of(client.disassociate_vpc_cidr_block, AssociationId=association["AssociationId"]) == (
        "InvalidCidrBlock.InUse", f"The vpc {vpc_id} currently has a subnet within CIDR block 100.64.0.0/16", 400)
    primary = client.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["CidrBlockAssociationSet"][0]["AssociationId"]
    assert error_of(client.disassociate_vpc_cidr_block, AssociationId=primary)[0] == "OperationNotPermitted"

    ec2("delete-subnet", "--subnet-id", subnet["SubnetId"])
    gone = ec2("disassociate-vpc-cidr-block", "--association-id", association["AssociationId"])
    assert gone["VpcId"] == vpc_id and gone["CidrBlockAssociation"]["CidrBlockState"]["State"] == "disassociating"
    assert blocks() == [("10.0.0.0/16", "associated"), ("100.64.0.0/16", "disassociated")]
    routes = ec2("describe-route-tables", "--route-table-ids", table)["RouteTables"][0]["Routes"]
    assert [r["DestinationCidrBlock"] for r in routes] == ["10.0.0.0/16"]
    assert error_of(client.create_subnet, VpcId=vpc_id, CidrBlock="100.64.0.0/19")[0] == "InvalidSubnet.Range"
    assert error_of(client.disassociate_vpc_cidr_block, AssociationId=association["AssociationId"])[0] == (
        "InvalidVpcCidrBlockAssociationID.NotFound")


def test_secondary_blocks_follow_ec2s_rules(aws):
    client = boto(aws.server, "ec2")
    vpc = client.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    refused = [
        ({"CidrBlock": "10.0.0.0/8"}, ("InvalidVpc.Range", "The CIDR '10.0.0.0/8' is invalid.")),
        ({"CidrBlock": "10.1.0.0/29"}, ("InvalidVpc.Range", "The CIDR '10.1.0.0/29' is invalid.")),
        ({"CidrBlock": "10.0.128.0/17"}, ("InvalidVpc.Range", None)),
        ({"CidrBlock": "192.168.0.0/16"}, ("InvalidVpc.Range", None)),
        ({"CidrBlock": "198.19.0.0/16"}, ("InvalidVpc.Range", None)),
        ({"CidrBlock": "not-a-block"}, ("InvalidParameterValue", "Value (not-a-block) for parameter cidrBlock is "
                                        "invalid. This is not a valid CIDR block.")),
        ({"CidrBlock": "1" * 50_000}, ("InvalidParameterValue", None)),
        ({"AmazonProvidedIpv6CidrBlock": True}, ("UnsupportedOperation", None)),
    ]
    for kwargs, (code, message) in refused:
        got = error_of(client.associate_vpc_cidr_block, VpcId=vpc, **kwargs)
        assert got[0] == code and got[2] == 400 and message in (None, got[1]), (kwargs, got)
    assert error_of(client.associate_vpc_cidr_block, VpcId="vpc-x", CidrBlock="10.1.0.0/16")[0] == (
        "InvalidVpcID.NotFound")
    for block in ["10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16", "100.64.0.0/16"]:
        client.associate_vpc_cidr_block(VpcId=vpc, CidrBlock=block)
    assert error_of(client.associate_vpc_cidr_block, VpcId=vpc, CidrBlock="100.65.0.0/16") == (
        "CidrLimitExceeded", f"This network '{vpc}' has met its maximum number of allowed CIDRs: 5", 400)
    described = client.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["CidrBlockAssociationSet"]
    assert [a["CidrBlock"] for a in described] == ["10.0.0.0/16", "10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16",
                                                   "100.64.0.0/16"]


def test_instance_type_offerings_and_account_attributes(aws):
    ec2 = boto(aws.server, "ec2")
    in_region = ec2.describe_instance_type_offerings(
        Filters=[{"Name": "instance-type", "Values": ["m5.large", "t3.medium"]}])["InstanceTypeOfferings"]
    assert sorted(o["InstanceType"] for o in in_region) == ["m5.large", "t3.medium"]
    assert {(o["LocationType"], o["Location"]) for o in in_region} == {("region", "us-east-1")}
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
    by_zone = [o for page in ec2.get_paginator("describe_instance_type_offerings").paginate(
        LocationType="availability-zone", Filters=[{"Name": "instance-type", "Values": ["m5.large"]}],
        PaginationConfig={"PageSize": 5}) for o in page["InstanceTypeOfferings"]]
    assert sorted(o["Location"] for o in by_zone) == sorted(zones)
    one_zone = ec2.describe_instance_type_offerings(LocationType="availability-zone-id",
                                                    Filters=[{"Name": "location", "Values": ["use1-az1"]}])
    assert one_zone["InstanceTypeOfferings"] and all(o["Location"] == "use1-az1"
                                                     for o in one_zone["InstanceTypeOfferings"])
    with pytest.raises(botocore.exceptions.ClientError) as bad:
        ec2.describe_instance_type_offerings(LocationType="planet")
    assert bad.value.response["Error"]["Code"] == "InvalidParameterValue"

    attributes = {a["AttributeName"]: [v["AttributeValue"] for v in a["AttributeValues"]]
                  for a in ec2.describe_account_attributes()["AccountAttributes"]}
    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    assert attributes["default-vpc"] == [default_vpc] and attributes["supported-platforms"] == ["VPC"]
    only = ec2.describe_account_attributes(AttributeNames=["default-vpc"])["AccountAttributes"]
    assert [a["AttributeName"] for a in only] == ["default-vpc"]
