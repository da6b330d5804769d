"""EC2 Fleet and the instance type catalogue through boto3 and the aws CLI, as Karpenter's AWS provider uses them:
instance types with processors, GPUs, network performance; spot prices per zone; CreateFleet of type instant
launching the cheapest override with room from a launch template, answering instances and per-override errors,
idempotent by client token; and EC2's errors for bad requests."""

import botocore.exceptions
import pytest

from conftest import boto


def error_of(call, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call(**kwargs)
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def al2023_image(ec2):
    images = ec2.describe_images(Owners=["amazon"], Filters=[
        {"Name": "name", "Values": ["amazon-eks-node-al2023-x86_64-standard-*"]}])["Images"]
    assert images
    return images[0]["ImageId"]


def default_subnets(ec2):
    subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    return sorted(subnets, key=lambda subnet: subnet["AvailabilityZone"])


def template(ec2, name="karpenter-nodes"):
    data = {"ImageId": al2023_image(ec2),
            "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "team", "Value": "web"}]}]}
    return ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData=data)["LaunchTemplate"]


def fleet_request(overrides, capacity_type="on-demand", total=1, name="karpenter-nodes", **extra):
    request = {
        "Type": "instant",
        "LaunchTemplateConfigs": [{
            "LaunchTemplateSpecification": {"LaunchTemplateName": name, "Version": "$Latest"},
            "Overrides": overrides,
        }],
        "TargetCapacitySpecification": {"TotalTargetCapacity": total, "DefaultTargetCapacityType": capacity_type},
    }
    request.update(extra)
    return request


def test_instance_types_describe_processors_gpus_and_networks(aws):
    ec2 = boto(aws.server, "ec2")
    types = {t["InstanceType"]: t for t in ec2.describe_instance_types(
        InstanceTypes=["m7g.large", "g5.2xlarge", "p3.2xlarge", "c7i.large"])["InstanceTypes"]}
    assert types["m7g.large"]["ProcessorInfo"] == {"SupportedArchitectures": ["arm64"], "Manufacturer": "AWS"}
    assert types["c7i.large"]["ProcessorInfo"]["Manufacturer"] == "Intel"
    assert types["c7i.large"]["NetworkInfo"]["NetworkPerformance"] == "Up to 12.5 Gigabit"
    gpu = types["g5.2xlarge"]["GpuInfo"]
    assert gpu["Gpus"] == [{"Name": "A10G", "Manufacturer": "NVIDIA", "Count": 1, "MemoryInfo": {"SizeInMiB": 24576}}]
    assert gpu["TotalGpuMemoryInMiB"] == 24576
    assert types["p3.2xlarge"]["Hypervisor"] == "xen" and types["p3.2xlarge"]["GpuInfo"]["Gpus"][0]["Name"] == "V100"
    graviton = aws("ec2", "describe-instance-types", "--filters",
                   "Name=processor-info.manufacturer,Values=AWS")["InstanceTypes"]
    assert graviton and all(t["ProcessorInfo"]["SupportedArchitectures"] == ["arm64"] for t in graviton)


def test_spot_prices_are_a_fraction_of_on_demand_in_every_zone(aws):
    ec2 = boto(aws.server, "ec2")
    prices = ec2.describe_spot_price_history(InstanceTypes=["m5.large"],
                                             ProductDescriptions=["Linux/UNIX"])["SpotPriceHistory"]
    assert sorted(p["AvailabilityZone"] for p in prices)[:3] == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert {p["SpotPrice"] for p in prices} == {"0.033600"}
    assert all(p["InstanceType"] == "m5.large" and p["ProductDescription"] == "Linux/UNIX" for p in prices)
    paged = aws("ec2", "describe-spot-price-history", "--instance-types", "t3.micro", "m5.large",
                "--page-size", "5")["SpotPriceHistory"]
    assert len(paged) == 2 * 2 * len(prices)


def test_an_instant_fleet_launches_the_cheapest_override_with_room(aws):
    ec2 = boto(aws.server, "ec2")
    made = template(ec2)
    subnets = default_subnets(ec2)
    overrides = [
        {"InstanceType": "m5.xlarge", "SubnetId": subnets[0]["SubnetId"]},
        {"InstanceType": "m5.large", "SubnetId": subnets[1]["SubnetId"]},
        {"InstanceType": "c7g.large", "SubnetId": subnets[2]["SubnetId"]},
    ]
    tags = [{"ResourceType": "instance", "Tags": [{"Key": "karpenter.sh/nodeclaim", "Value": "default-x7k2p"}]},
            {"ResourceType": "fleet", "Tags": [{"Key": "karpenter.sh/nodeclaim", "Value": "default-x7k2p"}]}]
    answer = ec2.create_fleet(**fleet_request(overrides, OnDemandOptions={"AllocationStrategy": "lowest-price"},
                                              TagSpecifications=tags, ClientToken="default-x7k2p"))
    assert answer["FleetId"].startswith("fleet-") and answer["Errors"] == []
    [launched] = answer["Instances"]
    assert launched["InstanceType"] == "c7g.large" and launched["Lifecycle"] == "on-demand"
    spec = launched["LaunchTemplateAndOverrides"]["LaunchTemplateSpecification"]
    assert spec == {"LaunchTemplateId": made["LaunchTemplateId"], "LaunchTemplateName": "karpenter-nodes",
                    "Version": "$Latest"}
    assert launched["LaunchTemplateAndOverrides"]["Overrides"]["SubnetId"] == subnets[2]["SubnetId"]
    [instance_id] = launched["InstanceIds"]
    instance = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    assert instance["SubnetId"] == subnets[2]["SubnetId"] and instance["Architecture"] == "arm64"
    tags = {t["Key"]: t["Value"] for t in instance["Tags"]}
    assert tags["team"] == "web" and tags["karpenter.sh/nodeclaim"] == "default-x7k2p"
    assert tags["aws:ec2:fleet-id"] == answer["FleetId"]
    assert tags["aws:ec2launchtemplate:id"] == made["LaunchTemplateId"]
    # The same client token answers the same instance and launches nothing.
    again = ec2.create_fleet(**fleet_request(overrides, ClientToken="default-x7k2p"))
    assert again["FleetId"] == answer["FleetId"]
    assert [i["InstanceIds"] for i in again["Instances"]] == [[instance_id]]
    assert sum(len(r["Instances"]) for r in ec2.describe_instances()["Reservations"]) == 1


def test_spot_fleets_launch_spot_instances_and_report_per_override_errors(aws):
    ec2 = boto(aws.server, "ec2")
    template(ec2)
    subnets = default_subnets(ec2)
    overrides = [
        {"InstanceType": "t3.micro", "SubnetId": subnets[0]["SubnetId"], "MaxPrice": "0.0001"},
        {"InstanceType": "m5.large", "SubnetId": subnets[0]["SubnetId"]},
    ]
    answer = ec2.create_fleet(**fleet_request(overrides, "spot",
                                              SpotOptions={"AllocationStrategy": "price-capacity-optimized"}))
    [error] = answer["Errors"]
    assert error["ErrorCode"] == "SpotMaxPriceTooLow" and error["Lifecycle"] == "spot"
    assert error["LaunchTemplateAndOverrides"]["Overrides"]["InstanceType"] == "t3.micro"
    [launched] = answer["Instances"]
    assert launched["Lifecycle"] == "spot" and launched["InstanceType"] == "m5.large"
    instance = ec2.describe_instances(InstanceIds=launched["InstanceIds"])["Reservations"][0]["Instances"][0]
    assert instance["InstanceLifecycle"] == "spot"
    spot = ec2.describe_instances(Filters=[{"Name": "instance-lifecycle", "Values": ["spot"]}])["Reservations"]
    assert [r["Instances"][0]["InstanceId"] for r in spot] == launched["InstanceIds"]


def test_a_full_subnet_is_insufficient_capacity_and_the_rest_launches(aws):
    ec2 = boto(aws.server, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    small = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.0.0/28", AvailabilityZone="us-east-1a")["Subnet"]
    big = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24", AvailabilityZone="us-east-1b")["Subnet"]
    template(ec2)
    overrides = [{"InstanceType": "t3.nano", "SubnetId": small["SubnetId"]},
                 {"InstanceType": "m5.large", "SubnetId": big["SubnetId"]}]
    # A /28 has 11 free addresses: the cheap override fills it, the next takes the rest.
    answer = ec2.create_fleet(**fleet_request(overrides, total=13))
    launched = {i["InstanceType"]: len(i["InstanceIds"]) for i in answer["Instances"]}
    assert launched == {"t3.nano": 11, "m5.large": 2}
    [error] = answer["Errors"]
    assert error["ErrorCode"] == "InsufficientInstanceCapacity"
    assert error["LaunchTemplateAndOverrides"]["Overrides"]["SubnetId"] == small["SubnetId"]


def test_bad_fleets_get_ec2s_errors_and_launch_nothing(aws):
    ec2 = boto(aws.server, "ec2")
    template(ec2)
    subnet = default_subnets(ec2)[0]["SubnetId"]
    one = [{"InstanceType": "m5.large", "SubnetId": subnet}]
    assert error_of(ec2.create_fleet, **fleet_request(one, Type="maintain")) == ("UnsupportedOperation", 400)
    assert error_of(ec2.create_fleet, **fleet_request([{"InstanceType": "m5.colossal", "SubnetId": subnet}])) == (
        "InvalidParameterValue", 400)
    assert error_of(ec2.create_fleet, **fleet_request(one, name="missing")) == (
        "InvalidLaunchTemplateName.NotFoundException", 400)
    many = [{"InstanceType": "m5.large", "SubnetId": subnet}] * 301
    assert error_of(ec2.create_fleet, **fleet_request(many)) == ("InvalidParameterValue", 400)
    assert error_of(ec2.create_fleet, **fleet_request(one, OnDemandOptions={"AllocationStrategy": "random"})) == (
        "InvalidParameterValue", 400)
    missing_capacity = fleet_request(one)
    missing_capacity["TargetCapacitySpecification"] = {"DefaultTargetCapacityType": "on-demand"}
    with pytest.raises(botocore.exceptions.ParamValidationError):
        ec2.create_fleet(**missing_capacity)
    no_configs = fleet_request(one)
    no_configs["LaunchTemplateConfigs"] = []
    assert error_of(ec2.create_fleet, **no_configs) == ("MissingParameter", 400)
    assert error_of(ec2.create_fleet, DryRun=True, **fleet_request(one))[0] == "DryRunOperation"
    assert ec2.describe_instances()["Reservations"] == []
