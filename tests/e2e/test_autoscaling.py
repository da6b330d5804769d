"""Managed node groups made real: an EKS node group's EC2 instances and its Auto Scaling group, through the real
aws CLI and boto3. Instances spread over the zones of the node group's subnets and take addresses inside them;
SetDesiredCapacity, UpdateAutoScalingGroup and UpdateNodegroupConfig resize both sides; a terminated instance is
replaced; deleting the node group terminates everything; Auto Scaling's errors with their codes, messages and
statuses; garbage parameters."""

import ipaddress
import json
import re

import botocore.exceptions
import pytest

from conftest import boto, wait_until
from test_eks import raw

CLUSTER_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
NODE_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
INSTANCE_ID = re.compile(r"^i-[0-9a-f]{17}$")


def error_of(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call(*args, **kwargs)
    response = raised.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def roles(server):
    """The cluster and node roles EKS's guide makes, with their trust and managed policies."""
    iam = boto(server, "iam")
    cluster = iam.create_role(RoleName="eks-cluster", AssumeRolePolicyDocument=json.dumps(CLUSTER_TRUST))["Role"]
    iam.attach_role_policy(RoleName="eks-cluster", PolicyArn="arn:aws:iam::aws:policy/AmazonEKSClusterPolicy")
    node = iam.create_role(RoleName="eks-node", AssumeRolePolicyDocument=json.dumps(NODE_TRUST))["Role"]
    for policy in ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"]:
        iam.attach_role_policy(RoleName="eks-node", PolicyArn=f"arn:aws:iam::aws:policy/{policy}")
    return cluster["Arn"], node["Arn"]


def network(server):
    """A VPC with one subnet in each of three zones."""
    ec2 = boto(server, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = {}
    for index, zone in enumerate(["us-east-1a", "us-east-1b", "us-east-1c"]):
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{index + 1}.0/24", AvailabilityZone=zone)["Subnet"]
        subnets[subnet["SubnetId"]] = subnet
    return vpc, subnets


def setup(server, size=3, name="workers", **extra):
    cluster_role, node_role = roles(server)
    vpc, subnets = network(server)
    eks = boto(server)
    eks.create_cluster(name="demo", roleArn=cluster_role, resourcesVpcConfig={"subnetIds": list(subnets)})
    eks.get_waiter("cluster_active").wait(name="demo")
    nodegroup = eks.create_nodegroup(clusterName="demo", nodegroupName=name, subnets=list(subnets), nodeRole=node_role,
                                     scalingConfig={"minSize": 1, "maxSize": 6, "desiredSize": size},
                                     **extra)["nodegroup"]
    eks.get_waiter("nodegroup_active").wait(clusterName="demo", nodegroupName=name)
    return vpc, subnets, nodegroup


def instances(server, *states):
    ec2 = boto(server, "ec2")
    filters = [{"Name": "instance-state-name", "Values": list(states)}] if states else []
    pages = ec2.get_paginator("describe_instances").paginate(Filters=filters)
    return [i for page in pages for reservation in page["Reservations"] for i in reservation["Instances"]]


def running(server):
    return instances(server, "running")


def test_a_node_group_of_three_runs_one_instance_per_zone(aws):
    vpc, subnets, nodegroup = setup(aws.server)
    asg_name = nodegroup["resources"]["autoScalingGroups"][0]["name"]
    assert asg_name.startswith("eks-workers-")

    found = aws("ec2", "describe-instances", "--filters", "Name=tag:eks:nodegroup-name,Values=workers")
    listed = [i for r in found["Reservations"] for i in r["Instances"]]
    assert len(listed) == 3 and {i["State"]["Name"] for i in listed} == {"running"}
    assert sorted(i["Placement"]["AvailabilityZone"] for i in listed) == ["us-east-1a", "us-east-1b", "us-east-1c"]
    for instance in listed:
        assert INSTANCE_ID.match(instance["InstanceId"]) and instance["InstanceType"] == "t3.medium"
        assert instance["VpcId"] == vpc and instance["SubnetId"] in subnets
        subnet = subnets[instance["SubnetId"]]
        assert subnet["AvailabilityZone"] == instance["Placement"]["AvailabilityZone"]
        ip = ipaddress.ip_address(instance["PrivateIpAddress"])
        assert ip in ipaddress.ip_network(subnet["CidrBlock"])
        assert instance["PrivateDnsName"] == f"ip-{str(ip).replace('.', '-')}.ec2.internal"
        tags = {t["Key"]: t["Value"] for t in instance["Tags"]}
        assert tags["eks:cluster-name"] == "demo" and tags["eks:nodegroup-name"] == "workers"
        assert tags["kubernetes.io/cluster/demo"] == "owned" and tags["aws:autoscaling:groupName"] == asg_name
        assert instance["IamInstanceProfile"]["Arn"].startswith("arn:aws:iam::000000000000:instance-profile/eks-")
    one = listed[0]["InstanceId"]
    by_id = aws("ec2", "describe-instances", "--instance-ids", one)["Reservations"]
    assert [i["InstanceId"] for r in by_id for i in r["Instances"]] == [one]
    ip_filter = aws("ec2", "describe-instances", "--filters",
                    f"Name=private-ip-address,Values={listed[0]['PrivateIpAddress']}")["Reservations"]
    assert len(ip_filter) == 1
    assert aws("ec2", "describe-instances", "--filters", "Name=availability-zone,Values=us-east-1b",
               "Name=instance-type,Values=t3.medium", f"Name=vpc-id,Values={vpc}")["Reservations"].__len__() == 1
    # The addresses in use are those the network interfaces hold: each instance's primary address, and those the
    # VPC CNI took for pods (CoreDNS's).
    ec2 = boto(aws.server, "ec2")

    def addresses_add_up():
        held = sum(len(i["PrivateIpAddresses"]) for i in ec2.describe_network_interfaces(
            Filters=[{"Name": "subnet-id", "Values": list(subnets)}])["NetworkInterfaces"])
        free = sum(s["AvailableIpAddressCount"] for s in ec2.describe_subnets(SubnetIds=list(subnets))["Subnets"])
        return free == 3 * 251 - held and held >= 3
    wait_until(addresses_add_up, "the subnets' free addresses to match what the interfaces hold")

    groups = aws("autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", asg_name)
    [group] = groups["AutoScalingGroups"]
    assert (group["MinSize"], group["MaxSize"], group["DesiredCapacity"]) == (1, 6, 3)
    assert sorted(group["AvailabilityZones"]) == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert set(group["VPCZoneIdentifier"].split(",")) == set(subnets)
    assert {i["LifecycleState"] for i in group["Instances"]} == {"InService"}
    assert {i["HealthStatus"] for i in group["Instances"]} == {"Healthy"}
    assert {i["InstanceId"] for i in group["Instances"]} == {i["InstanceId"] for i in listed}
    tags = {t["Key"]: t["Value"] for t in group["Tags"]}
    assert tags["k8s.io/cluster-autoscaler/enabled"] == "true" and tags["k8s.io/cluster-autoscaler/demo"] == "owned"
    assert tags["eks:cluster-name"] == "demo" and tags["eks:nodegroup-name"] == "workers"
    assert group["LaunchTemplate"]["LaunchTemplateId"].startswith("lt-")
    by_tag = boto(aws.server, "autoscaling").describe_auto_scaling_groups(
        Filters=[{"Name": "tag:eks:cluster-name", "Values": ["demo"]}])["AutoScalingGroups"]
    assert [g["AutoScalingGroupName"] for g in by_tag] == [asg_name]
    assert boto(aws.server, "autoscaling").describe_auto_scaling_groups(
        Filters=[{"Name": "tag-key", "Values": ["nope"]}])["AutoScalingGroups"] == []
    details = aws("autoscaling", "describe-auto-scaling-instances", "--instance-ids", one)["AutoScalingInstances"]
    assert [(d["InstanceId"], d["AutoScalingGroupName"]) for d in details] == [(one, asg_name)]


def test_scaling_through_auto_scaling_and_eks_moves_both_sides(aws):
    _, _, nodegroup = setup(aws.server)
    asg_name = nodegroup["resources"]["autoScalingGroups"][0]["name"]
    aws("autoscaling", "set-desired-capacity", "--auto-scaling-group-name", asg_name, "--desired-capacity", "5")
    described = aws("eks", "describe-nodegroup", "--cluster-name", "demo", "--nodegroup-name", "workers")
    assert described["nodegroup"]["scalingConfig"] == {"minSize": 1, "maxSize": 6, "desiredSize": 5}
    placed = running(aws.server)
    assert len(placed) == 5
    per_zone = sorted([i["Placement"]["AvailabilityZone"] for i in placed].count(z)
                      for z in ["us-east-1a", "us-east-1b", "us-east-1c"])
    assert per_zone == [1, 2, 2]

    eks = boto(aws.server)
    eks.update_nodegroup_config(clusterName="demo", nodegroupName="workers", scalingConfig={"desiredSize": 2})
    wait_until(lambda: len(running(aws.server)) == 2, "two running instances")
    assert len(instances(aws.server, "terminated")) == 3
    zones = {i["Placement"]["AvailabilityZone"] for i in running(aws.server)}
    assert len(zones) == 2
    group = boto(aws.server, "autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[asg_name])["AutoScalingGroups"][0]
    assert group["DesiredCapacity"] == 2 and len(group["Instances"]) == 2

    autoscaling = boto(aws.server, "autoscaling")
    autoscaling.update_auto_scaling_group(AutoScalingGroupName=asg_name, MinSize=2, MaxSize=4, DesiredCapacity=4)
    assert eks.describe_nodegroup(clusterName="demo", nodegroupName="workers")["nodegroup"]["scalingConfig"] == {
        "minSize": 2, "maxSize": 4, "desiredSize": 4}
    assert len(running(aws.server)) == 4


def test_out_of_range_sizes_are_validation_errors(aws):
    _, _, nodegroup = setup(aws.server)
    asg_name = nodegroup["resources"]["autoScalingGroups"][0]["name"]
    autoscaling = boto(aws.server, "autoscaling")
    assert error_of(autoscaling.set_desired_capacity, AutoScalingGroupName=asg_name, DesiredCapacity=7) == (
        "ValidationError", "New SetDesiredCapacity value 7 is above max value 6 for the AutoScalingGroup.", 400)
    assert error_of(autoscaling.set_desired_capacity, AutoScalingGroupName=asg_name, DesiredCapacity=0) == (
        "ValidationError", "New SetDesiredCapacity value 0 is below min value 1 for the AutoScalingGroup.", 400)
    assert error_of(autoscaling.set_desired_capacity, AutoScalingGroupName="nope", DesiredCapacity=1) == (
        "ValidationError", "AutoScalingGroup name not found - AutoScalingGroup nope not found", 400)
    assert error_of(autoscaling.update_auto_scaling_group, AutoScalingGroupName=asg_name, MinSize=1, MaxSize=3,
                    DesiredCapacity=5) == (
        "ValidationError", "Desired capacity:5 must be between the specified min size:1 and max size:3", 400)
    assert error_of(autoscaling.update_auto_scaling_group, AutoScalingGroupName=asg_name, MinSize=4, MaxSize=2) == (
        "ValidationError", "Max bound, 2, must be greater than or equal to min bound, 4", 400)
    assert error_of(autoscaling.describe_auto_scaling_groups, NextToken="!!") == (
        "InvalidNextToken", "The token '!!' is invalid.", 400)
    assert error_of(autoscaling.terminate_instance_in_auto_scaling_group, InstanceId="i-0123456789abcdef0",
                    ShouldDecrementDesiredCapacity=True) == (
        "ValidationError", "Instance Id not found - No managed instance found for instance ID: i-0123456789abcdef0",
        400)
    result = aws("autoscaling", "set-desired-capacity", "--auto-scaling-group-name", asg_name,
                 "--desired-capacity", "9", check=False)
    assert result.returncode != 0 and "ValidationError" in result.stderr
    assert len(running(aws.server)) == 3


def test_a_terminated_instance_is_replaced_and_a_decremented_one_is_not(aws):
    _, _, nodegroup = setup(aws.server)
    asg_name = nodegroup["resources"]["autoScalingGroups"][0]["name"]
    first = running(aws.server)
    victim = first[0]
    changed = aws("ec2", "terminate-instances", "--instance-ids", victim["InstanceId"])["TerminatingInstances"]
    assert changed == [{"InstanceId": victim["InstanceId"], "CurrentState": {"Code": 32, "Name": "shutting-down"},
                        "PreviousState": {"Code": 16, "Name": "running"}}]
    now = running(aws.server)
    assert len(now) == 3 and victim["InstanceId"] not in {i["InstanceId"] for i in now}
    replacement = [i for i in now if i["InstanceId"] not in {f["InstanceId"] for f in first}]
    assert [i["Placement"]["AvailabilityZone"] for i in replacement] == [victim["Placement"]["AvailabilityZone"]]
    [gone] = instances(aws.server, "terminated")
    assert gone["InstanceId"] == victim["InstanceId"] and gone["StateReason"]["Code"] == "Client.UserInitiatedShutdown"

    autoscaling = boto(aws.server, "autoscaling")
    activity = autoscaling.terminate_instance_in_auto_scaling_group(
        InstanceId=now[0]["InstanceId"], ShouldDecrementDesiredCapacity=True)["Activity"]
    assert activity["AutoScalingGroupName"] == asg_name and "shrinking the capacity from 3 to 2" in activity["Cause"]
    # EKS drains a managed node group's instance before it goes (its pods: CoreDNS's, say), so it may run a moment.
    wait_until(lambda: len(running(aws.server)) == 2, "the instance to be drained and terminated")
    eks = boto(aws.server)
    assert eks.describe_nodegroup(clusterName="demo", nodegroupName="workers")["nodegroup"]["scalingConfig"][
        "desiredSize"] == 2
    autoscaling.terminate_instance_in_auto_scaling_group(
        InstanceId=running(aws.server)[0]["InstanceId"], ShouldDecrementDesiredCapacity=True)
    wait_until(lambda: len(running(aws.server)) == 1, "the second instance to be drained and terminated")
    assert error_of(autoscaling.terminate_instance_in_auto_scaling_group,
                    InstanceId=running(aws.server)[0]["InstanceId"], ShouldDecrementDesiredCapacity=True)[0] == (
        "ValidationError")

    stopped = running(aws.server)[0]["InstanceId"]
    ec2 = boto(aws.server, "ec2")
    assert ec2.stop_instances(InstanceIds=[stopped])["StoppingInstances"][0]["CurrentState"]["Name"] == "stopping"
    assert [i["InstanceId"] for i in instances(aws.server, "stopped")] == [stopped]
    member = autoscaling.describe_auto_scaling_instances(InstanceIds=[stopped])["AutoScalingInstances"][0]
    assert member["HealthStatus"] == "UNHEALTHY"
    assert ec2.start_instances(InstanceIds=[stopped])["StartingInstances"][0]["CurrentState"]["Name"] == "pending"
    assert [i["InstanceId"] for i in running(aws.server)] == [stopped]


def test_deleting_the_node_group_terminates_its_instances_and_group(aws):
    _, _, nodegroup = setup(aws.server)
    asg_name = nodegroup["resources"]["autoScalingGroups"][0]["name"]
    eks = boto(aws.server)
    eks.delete_nodegroup(clusterName="demo", nodegroupName="workers")
    # The delete answers DELETING at once and finishes in the background: the first poll may still see it.
    eks.get_waiter("nodegroup_deleted").wait(clusterName="demo", nodegroupName="workers",
                                             WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    assert running(aws.server) == []
    assert len(instances(aws.server, "terminated")) == 3
    assert boto(aws.server, "autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[asg_name])["AutoScalingGroups"] == []
    # The addresses went back to the subnets.
    subnets = boto(aws.server, "ec2").describe_subnets(Filters=[{"Name": "cidr-block", "Values": ["10.0.*"]}])
    assert {s["AvailableIpAddressCount"] for s in subnets["Subnets"]} == {251}


def test_a_launch_template_chooses_the_instance_type(aws):
    ec2 = boto(aws.server, "ec2")
    template = ec2.create_launch_template(LaunchTemplateName="nodes", LaunchTemplateData={
        "InstanceType": "m5.large", "TagSpecifications": [
            {"ResourceType": "instance", "Tags": [{"Key": "team", "Value": "web"}]}]})["LaunchTemplate"]
    _, _, nodegroup = setup(aws.server, size=2,
                            launchTemplate={"id": template["LaunchTemplateId"], "version": "1"})
    placed = running(aws.server)
    assert {i["InstanceType"] for i in placed} == {"m5.large"} and len(placed) == 2
    assert all({"Key": "team", "Value": "web"} in i["Tags"] for i in placed)
    group = boto(aws.server, "autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"][0]
    assert group["LaunchTemplate"] == {"LaunchTemplateId": template["LaunchTemplateId"],
                                       "LaunchTemplateName": "nodes", "Version": "1"}
    assert error_of(ec2.delete_launch_template, LaunchTemplateId=template["LaunchTemplateId"])[0] == (
        "InvalidLaunchTemplateId.InUse")


def test_instance_errors_and_garbage(aws):
    ec2 = boto(aws.server, "ec2")
    assert error_of(ec2.describe_instances, InstanceIds=["i-0123456789abcdef0"]) == (
        "InvalidInstanceID.NotFound", "The instance ID 'i-0123456789abcdef0' does not exist", 400)
    assert error_of(ec2.describe_instances, InstanceIds=["bogus"]) == (
        "InvalidInstanceID.Malformed", 'Invalid id: "bogus"', 400)
    assert error_of(ec2.terminate_instances, InstanceIds=["i-0123456789abcdef0"])[0] == "InvalidInstanceID.NotFound"
    assert error_of(ec2.describe_instances, Filters=[{"Name": "colour", "Values": ["red"]}]) == (
        "InvalidFilter", "The filter 'colour' is invalid", 400)
    assert error_of(ec2.describe_instances, MaxResults=3)[0] == "InvalidParameterValue"
    assert error_of(ec2.describe_instances, NextToken="%%%")[0] == "InvalidParameterValue"
    assert ec2.describe_instances()["Reservations"] == []
    result = aws("ec2", "describe-instances", "--max-results", "2", check=False)
    assert result.returncode != 0 and "InvalidParameterValue" in result.stderr
    for body in [b"Action=DescribeInstances&Version=2016-11-15&MaxResults=ten",
                 b"Action=TerminateInstances&Version=2016-11-15",
                 b"Action=DescribeInstances&Version=2016-11-15&Filter.1.Value.1=x",
                 b"Action=CreateLaunchTemplate&Version=2016-11-15&LaunchTemplateName=x"]:
        status, _, reply = raw_ec2(aws.server, "ec2", body)
        assert status == 400 and b"<Code>" in reply, (body, reply)
    for body in [b"Action=SetDesiredCapacity&Version=2011-01-01&AutoScalingGroupName=x&DesiredCapacity=many",
                 b"Action=SetDesiredCapacity&Version=2011-01-01",
                 b"Action=DescribeAutoScalingGroups&Version=2011-01-01&MaxRecords=0",
                 b"Action=TerminateInstanceInAutoScalingGroup&Version=2011-01-01&InstanceId=i-1",
                 b"Action=Frobnicate&Version=2011-01-01"]:
        status, _, reply = raw_ec2(aws.server, "autoscaling", body)
        assert status == 400 and b"<ErrorResponse" in reply and b"<Code>" in reply, (body, reply)


def raw_ec2(server, service, body):
    """A form request signed (with a signature that open mode does not check) for `service`."""
    import datetime
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    headers = {
        "Authorization": f"AWS4-HMAC-SHA256 Credential=test/{now[:8]}/us-east-1/{service}/aws4_request, "
                         "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
        "X-Amz-Date": now,
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
    }
    return raw(server, "POST", "/", body, headers)


def test_unknown_instance_types_are_refused_by_eks_and_described_by_ec2(aws):
    ec2 = boto(aws.server, "ec2")
    [medium] = ec2.describe_instance_types(InstanceTypes=["t3.medium"])["InstanceTypes"]
    assert medium["VCpuInfo"]["DefaultVCpus"] == 2 and medium["MemoryInfo"]["SizeInMiB"] == 4096
    assert medium["NetworkInfo"]["MaximumNetworkInterfaces"] == 3
    assert medium["NetworkInfo"]["Ipv4AddressesPerInterface"] == 6
    listed = aws("ec2", "describe-instance-types", "--filters", "Name=vcpu-info.default-vcpus,Values=16")
    assert {t["InstanceType"] for t in listed["InstanceTypes"]} >= {"m5.4xlarge", "c5.4xlarge"}
    assert error_of(ec2.describe_instance_types, InstanceTypes=["t3.enormous"]) == (
        "InvalidInstanceType", "The following supplied instance types do not exist: [t3.enormous]", 400)
    cluster_role, node_role = roles(aws.server)
    _, subnets = network(aws.server)
    eks = boto(aws.server)
    eks.create_cluster(name="demo", roleArn=cluster_role, resourcesVpcConfig={"subnetIds": list(subnets)})
    eks.get_waiter("cluster_active").wait(name="demo")
    assert error_of(eks.create_nodegroup, clusterName="demo", nodegroupName="ng", subnets=list(subnets),
                    nodeRole=node_role, instanceTypes=["t3.enormous"]) == (
        "InvalidParameterException", "The following supplied instance types do not exist: [t3.enormous]", 400)


def test_launch_templates_round_trip(aws):
    ec2 = boto(aws.server, "ec2")
    created = aws("ec2", "create-launch-template", "--launch-template-name", "web",
                  "--version-description", "first",
                  "--launch-template-data", json.dumps({"ImageId": "ami-0123456789abcdef0", "InstanceType": "t3.large",
                                                        "UserData": "ZWNobyBoaQ==", "SecurityGroupIds": ["sg-1"]}),
                  "--tag-specifications", "ResourceType=launch-template,Tags=[{Key=team,Value=web}]")
    template = created["LaunchTemplate"]
    assert template["LaunchTemplateId"].startswith("lt-") and template["LatestVersionNumber"] == 1
    assert template["DefaultVersionNumber"] == 1 and template["Tags"] == [{"Key": "team", "Value": "web"}]
    second = ec2.create_launch_template_version(LaunchTemplateName="web", SourceVersion="1",
                                                LaunchTemplateData={"InstanceType": "m5.xlarge"})
    assert second["LaunchTemplateVersion"]["VersionNumber"] == 2
    assert second["LaunchTemplateVersion"]["LaunchTemplateData"]["ImageId"] == "ami-0123456789abcdef0"
    assert second["LaunchTemplateVersion"]["LaunchTemplateData"]["InstanceType"] == "m5.xlarge"
    versions = aws("ec2", "describe-launch-template-versions", "--launch-template-id",
                   template["LaunchTemplateId"])["LaunchTemplateVersions"]
    assert [v["VersionNumber"] for v in versions] == [2, 1] and versions[1]["DefaultVersion"] is True
    assert versions[1]["LaunchTemplateData"]["UserData"] == "ZWNobyBoaQ=="
    assert versions[1]["LaunchTemplateData"]["SecurityGroupIds"] == ["sg-1"]
    latest = ec2.describe_launch_template_versions(LaunchTemplateName="web", Versions=["$Latest"])
    assert [v["VersionNumber"] for v in latest["LaunchTemplateVersions"]] == [2]
    described = aws("ec2", "describe-launch-templates", "--launch-template-names", "web")["LaunchTemplates"]
    assert described[0]["LatestVersionNumber"] == 2
    assert error_of(ec2.create_launch_template, LaunchTemplateName="web", LaunchTemplateData={}) == (
        "InvalidLaunchTemplateName.AlreadyExistsException", "Launch template name already in use: web", 400)
    assert error_of(ec2.create_launch_template, LaunchTemplateName="x", LaunchTemplateData={})[0] == (
        "InvalidLaunchTemplateName.MalformedException")
    assert error_of(ec2.describe_launch_templates, LaunchTemplateNames=["nope"]) == (
        "InvalidLaunchTemplateName.NotFoundException",
        "The specified launch template, with template name nope, does not exist.", 400)
    assert error_of(ec2.describe_launch_template_versions, LaunchTemplateName="web", Versions=["7"])[0] == (
        "InvalidLaunchTemplateId.VersionNotFound")
    assert error_of(ec2.delete_launch_template)[0] == "MissingParameter"
    deleted = aws("ec2", "delete-launch-template", "--launch-template-name", "web")["LaunchTemplate"]
    assert deleted["LaunchTemplateId"] == template["LaunchTemplateId"]
    assert error_of(ec2.delete_launch_template, LaunchTemplateId=template["LaunchTemplateId"]) == (
        "InvalidLaunchTemplateId.NotFound",
        f"The specified launch template, with template ID {template['LaunchTemplateId']}, does not exist.", 400)
