"""EC2 VPC endpoints with the aws CLI and boto3, as a private EKS cluster's network makes them: a gateway endpoint for
S3 routing its prefix list in a route table, interface endpoints (ECR, STS) with a requester-managed network
interface per subnet, private DNS names and security groups, found by filters and pages, modified, tagged, refusing
the deletion of their subnet and VPC, deleted with per-id errors; the services and prefix lists they reach; EC2's
errors for bad input, with nothing half-written. Then Terraform's `aws_vpc_endpoint` (an interface endpoint with
private DNS, a gateway endpoint for S3 with a route table) applied, planned again with no changes, and destroyed
leaving nothing (skipped as `test_terraform.py` is without terraform and the provider)."""

import json

import botocore.exceptions
import pytest

from conftest import boto
from test_terraform import configure, needs_terraform, succeeds, terraform


def error_of(call, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call(**kwargs)
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def private_network(ec2):
    """A VPC with DNS support and hostnames, two private subnets in two zones and their route table."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{n}.0/24", AvailabilityZone=f"us-east-1{zone}")
               ["Subnet"]["SubnetId"] for n, zone in [(1, "a"), (2, "b")]]
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    for subnet in subnets:
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    return vpc, subnets, table


def test_gateway_and_interface_endpoints_of_a_private_cluster(aws):
    ec2 = boto(aws.server, "ec2")
    vpc, subnets, table = private_network(ec2)
    group = ec2.create_security_group(GroupName="endpoints", Description="HTTPS from the VPC", VpcId=vpc)["GroupId"]

    # S3's gateway endpoint: a route from S3's prefix list through the endpoint.
    s3 = aws("ec2", "create-vpc-endpoint", "--vpc-id", vpc, "--service-name", "com.amazonaws.us-east-1.s3",
             "--route-table-ids", table,
             "--tag-specifications", "ResourceType=vpc-endpoint,Tags=[{Key=Name,Value=s3}]")["VpcEndpoint"]
    assert (s3["VpcEndpointType"], s3["State"], s3["RouteTableIds"]) == ("Gateway", "available", [table])
    assert json.loads(s3["PolicyDocument"])["Statement"] == [
        {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]
    [prefix_list] = ec2.describe_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": ["com.amazonaws.us-east-1.s3"]}])["PrefixLists"]
    assert prefix_list["PrefixListId"].startswith("pl-") and prefix_list["Cidrs"]
    routes = ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"][0]["Routes"]
    assert {"DestinationPrefixListId": prefix_list["PrefixListId"], "GatewayId": s3["VpcEndpointId"],
            "Origin": "CreateRoute", "State": "active"} in routes

    # ECR's API: a network interface per subnet, the security group named, private DNS by default.
    ecr = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.ecr.api",
                                  VpcEndpointType="Interface", SubnetIds=subnets, SecurityGroupIds=[group],
                                  ClientToken="ecr-api")["VpcEndpoint"]
    assert ecr["State"] == "pending"  # As EC2 answers an interface endpoint's create; it reads available after.
    assert ecr["PrivateDnsEnabled"] is True and ecr["Groups"] == [{"GroupId": group, "GroupName": "endpoints"}]
    assert sorted(ecr["SubnetIds"]) == sorted(subnets) and len(ecr["NetworkInterfaceIds"]) == 2
    names = [entry["DnsName"] for entry in ecr["DnsEntries"]]
    regional = f"{ecr['VpcEndpointId']}-"
    assert names[0].startswith(regional) and names[0].endswith(".api.ecr.us-east-1.vpce.amazonaws.com")
    assert any(name.endswith("-us-east-1a.api.ecr.us-east-1.vpce.amazonaws.com") for name in names)
    assert names[-1] == "api.ecr.us-east-1.amazonaws.com"
    assert ecr["DnsEntries"][0]["HostedZoneId"] == "Z7HUB22UULQXV"
    again = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.ecr.api",
                                    VpcEndpointType="Interface", SubnetIds=subnets, SecurityGroupIds=[group],
                                    ClientToken="ecr-api")["VpcEndpoint"]
    assert again["VpcEndpointId"] == ecr["VpcEndpointId"]
    interfaces = ec2.describe_network_interfaces(NetworkInterfaceIds=ecr["NetworkInterfaceIds"])["NetworkInterfaces"]
    for eni in interfaces:
        assert (eni["InterfaceType"], eni["RequesterManaged"], eni["Status"]) == ("vpc_endpoint", True, "in-use")
        assert eni["Description"] == f"VPC Endpoint Interface {ecr['VpcEndpointId']}"
        assert eni["Groups"] == [{"GroupId": group, "GroupName": "endpoints"}]
    assert error_of(ec2.delete_network_interface, NetworkInterfaceId=interfaces[0]["NetworkInterfaceId"]) == (
        "InvalidNetworkInterface.InUse", 400)

    # STS without private DNS: only the endpoint's own names.
    sts = aws("ec2", "create-vpc-endpoint", "--vpc-id", vpc, "--service-name", "com.amazonaws.us-east-1.sts",
              "--vpc-endpoint-type", "Interface", "--subnet-ids", subnets[0], "--no-private-dns-enabled")["VpcEndpoint"]
    assert sts["PrivateDnsEnabled"] is False and len(sts["DnsEntries"]) == 2
    assert sts["Groups"][0]["GroupName"] == "default"

    def ids(**kwargs):
        return [e["VpcEndpointId"] for e in ec2.describe_vpc_endpoints(**kwargs)["VpcEndpoints"]]

    assert sorted(ids(Filters=[{"Name": "vpc-id", "Values": [vpc]}])) == sorted(
        [s3["VpcEndpointId"], ecr["VpcEndpointId"], sts["VpcEndpointId"]])
    assert ids(Filters=[{"Name": "vpc-endpoint-type", "Values": ["Gateway"]}]) == [s3["VpcEndpointId"]]
    assert ids(Filters=[{"Name": "service-name", "Values": ["*.ecr.api"]}]) == [ecr["VpcEndpointId"]]
    assert ids(Filters=[{"Name": "tag:Name", "Values": ["s3"]}]) == [s3["VpcEndpointId"]]
    assert len(ids(Filters=[{"Name": "vpc-endpoint-state", "Values": ["available"]}])) == 3
    pages = ec2.get_paginator("describe_vpc_endpoints").paginate(PaginationConfig={"PageSize": 2})
    paged = [e["VpcEndpointId"] for page in pages for e in page["VpcEndpoints"]]
    assert sorted(paged) == sorted(ids())
    described = aws("ec2", "describe-vpc-endpoints", "--vpc-endpoint-ids", ecr["VpcEndpointId"])["VpcEndpoints"][0]
    assert described["State"] == "available" and described["DnsEntries"] == ecr["DnsEntries"]

    # Tags through the generic calls.
    ec2.create_tags(Resources=[ecr["VpcEndpointId"]], Tags=[{"Key": "team", "Value": "platform"}])
    tags = ec2.describe_tags(Filters=[{"Name": "resource-type", "Values": ["vpc-endpoint"]}])["Tags"]
    assert {(t["ResourceId"], t["Key"]) for t in tags} == {(s3["VpcEndpointId"], "Name"),
                                                            (ecr["VpcEndpointId"], "team")}

    # Modify: STS moves to the other subnet and gets the group; S3 leaves its table and gets a policy.
    ec2.modify_vpc_endpoint(VpcEndpointId=sts["VpcEndpointId"], AddSubnetIds=[subnets[1]],
                            RemoveSubnetIds=[subnets[0]], AddSecurityGroupIds=[group])
    [moved] = ec2.describe_vpc_endpoints(VpcEndpointIds=[sts["VpcEndpointId"]])["VpcEndpoints"]
    assert moved["SubnetIds"] == [subnets[1]]
    assert {g["GroupId"] for g in moved["Groups"]} == {group, sts["Groups"][0]["GroupId"]}
    assert ec2.describe_network_interfaces(
        Filters=[{"Name": "network-interface-id", "Values": sts["NetworkInterfaceIds"]}])["NetworkInterfaces"] == []
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::prod-ecr-*/*"}]})
    ec2.modify_vpc_endpoint(VpcEndpointId=s3["VpcEndpointId"], RemoveRouteTableIds=[table], PolicyDocument=policy)
    [changed] = ec2.describe_vpc_endpoints(VpcEndpointIds=[s3["VpcEndpointId"]])["VpcEndpoints"]
    assert changed["RouteTableIds"] == [] and changed["PolicyDocument"] == policy
    routes = ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"][0]["Routes"]
    assert all(route.get("GatewayId") != s3["VpcEndpointId"] for route in routes)
    assert error_of(ec2.modify_vpc_endpoint, VpcEndpointId=s3["VpcEndpointId"], AddRouteTableIds=[table],
                    DryRun=True) == ("DryRunOperation", 412)
    assert ec2.describe_vpc_endpoints(VpcEndpointIds=[s3["VpcEndpointId"]])["VpcEndpoints"][0]["RouteTableIds"] == []
    ec2.modify_vpc_endpoint(VpcEndpointId=s3["VpcEndpointId"], AddRouteTableIds=[table], ResetPolicy=True)

    # A subnet holding an endpoint's interface, and a VPC holding endpoints, stay.
    assert error_of(ec2.delete_subnet, SubnetId=subnets[1]) == ("DependencyViolation", 400)
    assert error_of(ec2.delete_vpc, VpcId=vpc) == ("DependencyViolation", 400)

    gone = "vpce-0123456789abcdef0"
    result = ec2.delete_vpc_endpoints(VpcEndpointIds=[s3["VpcEndpointId"], ecr["VpcEndpointId"], sts["VpcEndpointId"],
                                                      gone])
    assert [(item["ResourceId"], item["Error"]["Code"]) for item in result["Unsuccessful"]] == [
        (gone, "InvalidVpcEndpointId.NotFound")]
    assert ids(Filters=[{"Name": "vpc-id", "Values": [vpc]}]) == []
    assert ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["NetworkInterfaces"] == []
    assert error_of(ec2.describe_vpc_endpoints, VpcEndpointIds=[ecr["VpcEndpointId"]]) == (
        "InvalidVpcEndpointId.NotFound", 400)
    for subnet in subnets:
        ec2.disassociate_route_table(AssociationId=next(
            a["RouteTableAssociationId"] for a in ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"][0]
            ["Associations"] if a.get("SubnetId") == subnet))
        ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_route_table(RouteTableId=table)
    ec2.delete_security_group(GroupId=group)
    ec2.delete_vpc(VpcId=vpc)


def test_the_services_a_private_cluster_needs_are_offered(aws):
    ec2 = boto(aws.server, "ec2")
    names = aws("ec2", "describe-vpc-endpoint-services")["ServiceNames"]
    for service in ["ec2", "ec2messages", "ecr.api", "ecr.dkr", "s3", "dynamodb", "sts", "logs", "elasticloadbalancing",
                    "autoscaling", "ssm", "ssmmessages", "eks", "eks-auth", "kms", "sqs", "xray", "elasticfilesystem",
                    "cloudformation", "monitoring"]:
        assert f"com.amazonaws.us-east-1.{service}" in names, service
    details = ec2.describe_vpc_endpoint_services(ServiceNames=["com.amazonaws.us-east-1.s3"])["ServiceDetails"]
    assert sorted(d["ServiceType"][0]["ServiceType"] for d in details) == ["Gateway", "Interface"]
    [dkr] = ec2.describe_vpc_endpoint_services(
        Filters=[{"Name": "service-name", "Values": ["com.amazonaws.us-east-1.ecr.dkr"]},
                 {"Name": "service-type", "Values": ["Interface"]}])["ServiceDetails"]
    assert dkr["BaseEndpointDnsNames"] == ["dkr.ecr.us-east-1.vpce.amazonaws.com"]
    assert dkr["PrivateDnsName"] == "*.dkr.ecr.us-east-1.amazonaws.com" and dkr["Owner"] == "amazon"
    assert dkr["AvailabilityZones"][0] == "us-east-1a" and dkr["VpcEndpointPolicySupported"] is True
    pages = ec2.get_paginator("describe_vpc_endpoint_services").paginate(PaginationConfig={"PageSize": 5})
    assert len([d for page in pages for d in page["ServiceDetails"]]) == len(names) + 1  # S3 is two services.
    assert error_of(ec2.describe_vpc_endpoint_services, ServiceNames=["com.amazonaws.us-east-1.nope"]) == (
        "InvalidServiceName", 400)
    lists = ec2.describe_prefix_lists()["PrefixLists"]
    assert sorted(pl["PrefixListName"] for pl in lists) == ["com.amazonaws.us-east-1.dynamodb",
                                                            "com.amazonaws.us-east-1.s3"]


def test_bad_endpoint_requests_get_ec2_errors_and_change_nothing(aws):
    ec2 = boto(aws.server, "ec2")
    vpc, subnets, table = private_network(ec2)
    other_vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    other_table = ec2.create_route_table(VpcId=other_vpc)["RouteTable"]["RouteTableId"]
    other_subnet = ec2.create_subnet(VpcId=other_vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
    same_zone = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.3.0/24", AvailabilityZone="us-east-1a")["Subnet"]
    no_dns = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    gateway = {"VpcId": vpc, "ServiceName": "com.amazonaws.us-east-1.s3"}
    interface = {"VpcId": vpc, "ServiceName": "com.amazonaws.us-east-1.sts", "VpcEndpointType": "Interface"}
    before = {
        "endpoints": ec2.describe_vpc_endpoints()["VpcEndpoints"],
        "interfaces": ec2.describe_network_interfaces()["NetworkInterfaces"],
        "tables": ec2.describe_route_tables()["RouteTables"],
    }
    create = ec2.create_vpc_endpoint
    for kwargs, expect in [
        ({**gateway, "ServiceName": "com.amazonaws.us-east-1.nope"}, "InvalidServiceName"),
        ({**gateway, "ServiceName": "com.amazonaws.us-east-1.s3\0"}, "InvalidServiceName"),
        ({**gateway, "ServiceName": "x" * 5000}, "InvalidServiceName"),
        ({**gateway, "ServiceName": "com.amazonaws.us-east-1.ec2"}, "InvalidParameter"),
        ({**gateway, "SubnetIds": subnets}, "InvalidParameter"),
        ({**gateway, "RouteTableIds": [other_table]}, "InvalidParameter"),
        ({**gateway, "RouteTableIds": [table, "rtb-0123456789abcdef0"]}, "InvalidRouteTableID.NotFound"),
        ({**gateway, "VpcId": "vpc-0123456789abcdef0"}, "InvalidVpcID.NotFound"),
        ({**gateway, "PolicyDocument": "{not json"}, "InvalidPolicyDocument"),
        ({**gateway, "PolicyDocument": json.dumps({"Statement": [{"Sid": "x" * 21000}]})}, "InvalidPolicyDocument"),
        ({**gateway, "ClientToken": "t" * 65}, "InvalidParameterValue"),
        ({**gateway, "TagSpecifications": [{"ResourceType": "vpc-endpoint",
                                             "Tags": [{"Key": f"k{i}", "Value": "v"} for i in range(51)]}]},
         "TagLimitExceeded"),
        ({**gateway, "TagSpecifications": [{"ResourceType": "vpc-endpoint", "Tags": [{"Key": "aws:x", "Value": "v"}]}]},
         "InvalidParameterValue"),
        ({**interface, "SubnetIds": [subnets[0], same_zone["SubnetId"]]}, "InvalidParameter"),
        ({**interface, "SubnetIds": [subnets[0], other_subnet]}, "InvalidParameter"),
        ({**interface, "SubnetIds": ["subnet-0123456789abcdef0"]}, "InvalidSubnetID.NotFound"),
        ({**interface, "RouteTableIds": [table]}, "InvalidParameter"),
        ({**interface, "SecurityGroupIds": ["sg-0123456789abcdef0"]}, "InvalidGroup.NotFound"),
        ({**interface, "VpcId": no_dns}, "InvalidParameter"),
        ({**interface, "ServiceName": "com.amazonaws.us-east-1.s3", "SubnetIds": [subnets[0]]}, "InvalidParameter"),
        ({**interface, "IpAddressType": "ipv6"}, "UnsupportedOperation"),
        ({**gateway, "RouteTableIds": [table], "DryRun": True}, "DryRunOperation"),
    ]:
        status = 412 if expect == "DryRunOperation" else 400
        assert error_of(create, **kwargs) == (expect, status), kwargs
    for call, kwargs, expect in [
        (ec2.describe_vpc_endpoints, {"VpcEndpointIds": ["garbage"]}, "InvalidVpcEndpointId.Malformed"),
        (ec2.describe_vpc_endpoints, {"VpcEndpointIds": ["vpce-0123456789abcdef0"]}, "InvalidVpcEndpointId.NotFound"),
        (ec2.describe_vpc_endpoints, {"Filters": [{"Name": "colour", "Values": ["x"]}]}, "InvalidFilter"),
        (ec2.modify_vpc_endpoint, {"VpcEndpointId": "vpce-0123456789abcdef0"}, "InvalidVpcEndpointId.NotFound"),
        (ec2.describe_prefix_lists, {"PrefixListIds": ["pl-00000000"]}, "InvalidPrefixListID.NotFound"),
        (ec2.create_tags, {"Resources": ["vpce-0123456789abcdef0"], "Tags": [{"Key": "k", "Value": "v"}]},
         "InvalidVpcEndpointId.NotFound"),
    ]:
        assert error_of(call, **kwargs) == (expect, 400), kwargs
    [malformed] = ec2.delete_vpc_endpoints(VpcEndpointIds=["vpce-\0"])["Unsuccessful"]
    assert malformed["Error"]["Code"] == "InvalidVpcEndpointId.Malformed"
    after = {
        "endpoints": ec2.describe_vpc_endpoints()["VpcEndpoints"],
        "interfaces": ec2.describe_network_interfaces()["NetworkInterfaces"],
        "tables": ec2.describe_route_tables()["RouteTables"],
    }
    assert after == before


# A private cluster's endpoints: ECR's API with private DNS in the private subnets, S3's gateway in their route table.
ENDPOINTS = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  endpoints {
    ec2 = "%(url)s"
    sts = "%(url)s"
  }
}

resource "aws_vpc" "main" {
  cidr_block           = "10.0.0.0/16"
  enable_dns_support   = true
  enable_dns_hostnames = true
}

resource "aws_subnet" "private" {
  count             = 2
  vpc_id            = aws_vpc.main.id
  cidr_block        = cidrsubnet(aws_vpc.main.cidr_block, 8, count.index)
  availability_zone = ["us-east-1a", "us-east-1b"][count.index]
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.main.id
}

resource "aws_route_table_association" "private" {
  count          = 2
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private.id
}

resource "aws_security_group" "endpoints" {
  name        = "endpoints"
  description = "HTTPS to the endpoints"
  vpc_id      = aws_vpc.main.id
}

data "aws_vpc_endpoint_service" "ecr_api" {
  service      = "ecr.api"
  service_type = "Interface"
}

resource "aws_vpc_endpoint" "ecr_api" {
  vpc_id              = aws_vpc.main.id
  service_name        = data.aws_vpc_endpoint_service.ecr_api.service_name
  vpc_endpoint_type   = "Interface"
  subnet_ids          = aws_subnet.private[*].id
  security_group_ids  = [aws_security_group.endpoints.id]
  private_dns_enabled = true
  tags = {
    Name = "ecr-api"
  }
}

resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.main.id
  service_name      = "com.amazonaws.us-east-1.s3"
  vpc_endpoint_type = "Gateway"
}

resource "aws_vpc_endpoint_route_table_association" "s3" {
  vpc_endpoint_id = aws_vpc_endpoint.s3.id
  route_table_id  = aws_route_table.private.id
}

output "vpc_id" {
  value = aws_vpc.main.id
}

output "ecr_api_id" {
  value = aws_vpc_endpoint.ecr_api.id
}

output "ecr_api_dns" {
  value = aws_vpc_endpoint.ecr_api.dns_entry[0].dns_name
}

output "s3_id" {
  value = aws_vpc_endpoint.s3.id
}

output "s3_prefix_list" {
  value = aws_vpc_endpoint.s3.prefix_list_id
}
"""


@needs_terraform
def test_terraform_vpc_endpoints_apply_plan_clean_and_destroy(ekslite, tmp_path):
    server = ekslite()
    ec2 = boto(server, "ec2")
    configure(tmp_path, ENDPOINTS, server)
    succeeds(tmp_path, "init")
    succeeds(tmp_path, "apply", "-auto-approve")
    outputs = {name: value["value"] for name, value in json.loads(succeeds(tmp_path, "output", "-json")).items()}
    [ecr] = ec2.describe_vpc_endpoints(VpcEndpointIds=[outputs["ecr_api_id"]])["VpcEndpoints"]
    assert (ecr["VpcEndpointType"], ecr["PrivateDnsEnabled"], len(ecr["NetworkInterfaceIds"])) == ("Interface", True, 2)
    assert ecr["Tags"] == [{"Key": "Name", "Value": "ecr-api"}]
    assert outputs["ecr_api_dns"].endswith(".api.ecr.us-east-1.vpce.amazonaws.com")
    [s3] = ec2.describe_vpc_endpoints(VpcEndpointIds=[outputs["s3_id"]])["VpcEndpoints"]
    [table] = s3["RouteTableIds"]
    routes = ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"][0]["Routes"]
    assert any(r.get("DestinationPrefixListId") == outputs["s3_prefix_list"]
               and r.get("GatewayId") == s3["VpcEndpointId"] for r in routes)

    plan = terraform(tmp_path, "plan", "-detailed-exitcode")
    assert plan.returncode == 0, f"a second plan wants changes:\n{plan.stdout}\n{plan.stderr}"
    succeeds(tmp_path, "destroy", "-auto-approve")
    assert ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [outputs["vpc_id"]]}])["VpcEndpoints"] == []
    assert ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [outputs["vpc_id"]]}])["Vpcs"] == []
    assert ec2.describe_network_interfaces(
        Filters=[{"Name": "interface-type", "Values": ["vpc_endpoint"]}])["NetworkInterfaces"] == []
