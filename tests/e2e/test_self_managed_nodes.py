"""Self-managed nodes as the EKS documentation makes them, through the real aws CLI, boto3 and kubectl: a launch
template whose user data is a nodeadm NodeConfig (in a MIME multipart), an Auto Scaling group of it, and instances
whose instance profile's role the cluster lets in (an EC2_LINUX access entry, or an aws-auth mapRoles entry added
later) joining as Nodes; RunInstances with the Amazon Linux 2 bootstrap line; scaling down and deleting; and the
errors Auto Scaling and EC2 give for bad input."""

import base64
import json

import botocore.exceptions
import pytest

from conftest import Cluster, boto, eks_prereqs_for, run_ekslite, trust, wait_until

CLUSTER = "demo"
KUBERNETES_NAME = "demo.us-east-1.000000000000"


def node_config_mime(labels: str) -> str:
    """The user data the EKS guide gives for Amazon Linux 2023 nodes: a NodeConfig in a MIME multipart."""
    return f"""MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="BOUNDARY"

--BOUNDARY
Content-Type: application/node.eks.aws

---
apiVersion: node.eks.aws/v1alpha1
kind: NodeConfig
spec:
  cluster:
    name: {CLUSTER}
    apiServerEndpoint: https://example.com
    certificateAuthority: Y2VydGlmaWNhdGVBdXRob3JpdHk=
    cidr: 10.100.0.0/16
  kubelet:
    flags:
      - --node-labels={labels}

--BOUNDARY--
"""


def error_of(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call(*args, **kwargs)
    response = raised.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


class World:
    """A server with an EKS cluster in API_AND_CONFIG_MAP mode, its admin kubeconfig, the AMI for its version
    and boto3 clients."""

    def __init__(self, server, tmp_path):
        self.server = server
        self.prereqs = eks_prereqs_for(server)
        self.eks = boto(server)
        self.ec2 = boto(server, "ec2")
        self.iam = boto(server, "iam")
        self.autoscaling = boto(server, "autoscaling")
        self.eks.create_cluster(name=CLUSTER, roleArn=self.prereqs.cluster_role,
                                resourcesVpcConfig=self.prereqs.resources,
                                accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"})
        self.eks.get_waiter("cluster_active").wait(name=CLUSTER, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        version = self.eks.describe_cluster(name=CLUSTER)["cluster"]["version"]
        parameter = f"/aws/service/eks/optimized-ami/{version}/amazon-linux-2023/x86_64/standard/recommended/image_id"
        self.image = boto(server, "ssm").get_parameter(Name=parameter)["Parameter"]["Value"]
        config = run_ekslite("kubeconfig", KUBERNETES_NAME, "--endpoint", server.url)
        assert config.returncode == 0, config.stderr
        kubeconfig = tmp_path / "admin.kubeconfig"
        kubeconfig.write_text(config.stdout)
        self.cluster = Cluster(server, KUBERNETES_NAME, kubeconfig)

    def node_profile(self, name: str) -> str:
        """A node role and an instance profile of the same name holding it; the role's ARN."""
        role = self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust("ec2.amazonaws.com")))
        self.iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy")
        self.iam.create_instance_profile(InstanceProfileName=name)
        self.iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
        return role["Role"]["Arn"]

    def template(self, name: str, profile: str, user_data: str):
        return self.ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData={
            "ImageId": self.image,
            "InstanceType": "t3.medium",
            "IamInstanceProfile": {"Name": profile},
            "UserData": base64.b64encode(user_data.encode()).decode(),
            "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "launched-by", "Value": name}]}],
        })["LaunchTemplate"]

    def nodes(self, ready_only=True) -> list[dict]:
        items = json.loads(self.cluster.kubectl("get", "nodes", "-o", "json").stdout)["items"]
        if not ready_only:
            return items
        return [n for n in items if any(c["type"] == "Ready" and c["status"] == "True"
                                        for c in n.get("status", {}).get("conditions", []))]

    def nodes_labelled(self, key: str, value: str) -> list[dict]:
        return [n for n in self.nodes() if n["metadata"]["labels"].get(key) == value]

    def group_instances(self, name: str) -> list[dict]:
        groups = self.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
        return groups[0]["Instances"] if groups else []


@pytest.fixture
def world(aws, tmp_path):
    """The world on the `aws` fixture's server, so that the aws CLI and boto3 reach the same one."""
    return World(aws.server, tmp_path)


def test_an_auto_scaling_group_of_nodeadm_nodes_joins_and_an_unmapped_role_waits_for_aws_auth(world, aws):
    role = world.node_profile("self-nodes")
    world.eks.create_access_entry(clusterName=CLUSTER, principalArn=role, type="EC2_LINUX")
    template = world.template("self-nodes", "self-nodes", node_config_mime("team=blue,tier=web"))
    subnets = ",".join(world.prereqs.subnets)
    aws("autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", "self-nodes",
        "--launch-template", "LaunchTemplateName=self-nodes,Version=$Latest", "--min-size", "0", "--max-size", "4",
        "--desired-capacity", "2", "--vpc-zone-identifier", subnets,
        "--tags", "ResourceId=self-nodes,ResourceType=auto-scaling-group,Key=Name,Value=worker,PropagateAtLaunch=true",
        "ResourceId=self-nodes,ResourceType=auto-scaling-group,Key=owner,Value=ops,PropagateAtLaunch=false")

    wait_until(lambda: len(world.nodes_labelled("team", "blue")) == 2, "two Ready self-managed nodes")
    group = world.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["self-nodes"])["AutoScalingGroups"][0]
    assert group["LaunchTemplate"] == {"LaunchTemplateId": template["LaunchTemplateId"],
                                       "LaunchTemplateName": "self-nodes", "Version": "$Latest"}
    assert (group["MinSize"], group["MaxSize"], group["DesiredCapacity"]) == (0, 4, 2)
    assert group["VPCZoneIdentifier"] == subnets
    assert {(t["Key"], t["PropagateAtLaunch"]) for t in group["Tags"]} == {("Name", True), ("owner", False)}
    assert all(i["LifecycleState"] == "InService" and i["HealthStatus"] == "Healthy" for i in group["Instances"])
    ids = {i["InstanceId"] for i in group["Instances"]}
    reservations = world.ec2.describe_instances(InstanceIds=sorted(ids))["Reservations"]
    instances = {i["InstanceId"]: i for r in reservations for i in r["Instances"]}
    for node in world.nodes_labelled("team", "blue"):
        labels = node["metadata"]["labels"]
        instance_id = node["spec"]["providerID"].rsplit("/", 1)[1]
        instance = instances[instance_id]
        assert node["metadata"]["name"] == instance["PrivateDnsName"]
        assert node["spec"]["providerID"] == f"aws:///{instance['Placement']['AvailabilityZone']}/{instance_id}"
        assert labels["tier"] == "web"
        assert labels["node.kubernetes.io/instance-type"] == "t3.medium"
        assert labels["topology.kubernetes.io/zone"] == instance["Placement"]["AvailabilityZone"]
        assert "eks.amazonaws.com/nodegroup" not in labels
        tags = {t["Key"]: t["Value"] for t in instance["Tags"]}
        assert tags["Name"] == "worker" and tags["launched-by"] == "self-nodes"
        assert tags["aws:autoscaling:groupName"] == "self-nodes" and "owner" not in tags
        assert instance["IamInstanceProfile"]["Arn"].endswith(":instance-profile/self-nodes")
    activities = world.autoscaling.describe_scaling_activities(AutoScalingGroupName="self-nodes")["Activities"]
    launched = {a["Description"].rsplit(" ", 1)[1] for a in activities if a["Description"].startswith("Launching")}
    assert launched == ids and all(a["StatusCode"] == "Successful" for a in activities)
    tags = world.autoscaling.describe_tags(Filters=[{"Name": "auto-scaling-group", "Values": ["self-nodes"]},
                                                    {"Name": "propagate-at-launch", "Values": ["false"]}])["Tags"]
    assert [(t["Key"], t["Value"]) for t in tags] == [("owner", "ops")]

    # A group whose role has no access: its instance runs, and no Node appears until aws-auth maps the role.
    locked = world.node_profile("locked-nodes")
    world.template("locked-nodes", "locked-nodes", node_config_mime("team=red"))
    world.autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="locked-nodes", LaunchTemplate={"LaunchTemplateName": "locked-nodes"},
        MinSize=1, MaxSize=1, VPCZoneIdentifier=world.prereqs.subnets[0])
    wait_until(lambda: [i["LifecycleState"] for i in world.group_instances("locked-nodes")] == ["InService"],
               "the locked group's instance in service")
    locked_id = world.group_instances("locked-nodes")[0]["InstanceId"]
    wait_until(lambda: f"instance={locked_id}" in world.server.log() and "cannot join" in world.server.log(),
               "the refusal logged")
    assert world.nodes_labelled("team", "red") == []
    assert f"{locked} has no EC2_LINUX access entry" in world.server.log()
    aws_auth = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "aws-auth", "namespace": "kube-system"},
                "data": {"mapRoles": f"- rolearn: {locked}\n  username: system:node:{{{{EC2PrivateDNSName}}}}\n"
                                     "  groups:\n    - system:bootstrappers\n    - system:nodes\n"}}
    world.cluster.kubectl("apply", "-f", "-", input=json.dumps(aws_auth))
    wait_until(lambda: len(world.nodes_labelled("team", "red")) == 1, "the aws-auth mapped node joins")

    # Scale the first group down to one, then to none and delete it, as Terraform drains a group.
    aws("autoscaling", "set-desired-capacity", "--auto-scaling-group-name", "self-nodes", "--desired-capacity", "1")
    wait_until(lambda: len(world.nodes_labelled("team", "blue")) == 1, "one node left after scaling in")
    code, message, status = error_of(world.autoscaling.delete_auto_scaling_group, AutoScalingGroupName="self-nodes")
    assert (code, status) == ("ResourceInUse", 400)
    assert message.startswith("You cannot delete an AutoScalingGroup while there are instances")
    world.autoscaling.update_auto_scaling_group(AutoScalingGroupName="self-nodes", MinSize=0, MaxSize=0,
                                                DesiredCapacity=0)
    wait_until(lambda: world.group_instances("self-nodes") == [], "the group drained")
    world.autoscaling.delete_auto_scaling_group(AutoScalingGroupName="self-nodes")
    assert world.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["self-nodes"])["AutoScalingGroups"] == []
    wait_until(lambda: world.nodes_labelled("team", "blue") == [], "the drained group's nodes gone")
    world.autoscaling.delete_auto_scaling_group(AutoScalingGroupName="locked-nodes", ForceDelete=True)
    wait_until(lambda: world.nodes(ready_only=False) == [], "every node gone")
    state = world.ec2.describe_instances(InstanceIds=[locked_id])["Reservations"][0]["Instances"][0]["State"]
    assert state["Name"] in ("shutting-down", "terminated")


def test_run_instances_with_the_al2_bootstrap_line_joins_and_leaves_when_terminated(world, aws):
    role = world.node_profile("batch-nodes")
    world.eks.create_access_entry(clusterName=CLUSTER, principalArn=role, type="EC2_LINUX")
    script = ("#!/bin/bash\nset -o xtrace\n/etc/eks/bootstrap.sh demo --apiserver-endpoint https://example.com "
              "--kubelet-extra-args '--node-labels=role=batch --register-with-taints=batch=true:NoSchedule'\n")
    run = dict(ImageId=world.image, InstanceType="t3.large", MinCount=1, MaxCount=1,
               SubnetId=world.prereqs.subnets[1], IamInstanceProfile={"Name": "batch-nodes"}, UserData=script,
               ClientToken="batch-1",
               TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "batch"}]}])
    reservation = world.ec2.run_instances(**run)
    instance = reservation["Instances"][0]
    assert instance["InstanceType"] == "t3.large" and instance["SubnetId"] == world.prereqs.subnets[1]
    assert instance["ClientToken"] == "batch-1"
    assert {"Key": "Name", "Value": "batch"} in instance["Tags"]
    again = world.ec2.run_instances(**run)
    assert [i["InstanceId"] for i in again["Instances"]] == [instance["InstanceId"]], "the client token is idempotent"

    wait_until(lambda: len(world.nodes_labelled("role", "batch")) == 1, "the RunInstances node Ready")
    node = world.nodes_labelled("role", "batch")[0]
    assert node["metadata"]["name"] == instance["PrivateDnsName"]
    assert node["metadata"]["labels"]["node.kubernetes.io/instance-type"] == "t3.large"
    assert {"key": "batch", "value": "true", "effect": "NoSchedule"} in node["spec"]["taints"]
    user_data = aws("ec2", "describe-instance-attribute", "--instance-id", instance["InstanceId"],
                    "--attribute", "userData")["UserData"]["Value"]
    assert base64.b64decode(user_data).decode() == script

    aws("ec2", "terminate-instances", "--instance-ids", instance["InstanceId"])
    wait_until(lambda: world.nodes_labelled("role", "batch") == [], "the terminated instance's node gone")


def test_bad_groups_and_launches_get_auto_scaling_s_and_ec2_s_errors(world):
    world.node_profile("nodes")
    world.template("nodes", "nodes", node_config_mime("a=b"))
    autoscaling, ec2 = world.autoscaling, world.ec2
    subnet = world.prereqs.subnets[0]
    good = dict(AutoScalingGroupName="g", LaunchTemplate={"LaunchTemplateName": "nodes"}, MinSize=0, MaxSize=2,
                VPCZoneIdentifier=subnet)

    def refused(expect_code, expect_message, **changes):
        code, message, status = error_of(autoscaling.create_auto_scaling_group, **{**good, **changes})
        assert (code, status) == (expect_code, 400), (code, message)
        assert expect_message in message, message

    refused("ValidationError", "Max bound, 2, must be greater than or equal to min bound, 3", MinSize=3)
    refused("ValidationError", "Desired capacity:5 must be between the specified min size:0 and max size:2",
            DesiredCapacity=5)
    refused("ValidationError", "at 'minSize' failed to satisfy constraint", MinSize=-1)
    refused("ValidationError", "The specified launch template, with template name missing, does not exist",
            LaunchTemplate={"LaunchTemplateName": "missing"})
    refused("ValidationError", "Could not find launch template version 7",
            LaunchTemplate={"LaunchTemplateName": "nodes", "Version": "7"})
    refused("ValidationError", "The subnet ID 'subnet-00000000000000000' does not exist",
            VPCZoneIdentifier="subnet-00000000000000000")
    refused("ValidationError", "autoScalingGroupName", AutoScalingGroupName="bad\x00name")
    refused("ValidationError", "Valid requests must contain either LaunchTemplate", LaunchTemplate={})
    autoscaling.create_auto_scaling_group(**good)
    refused("AlreadyExists", "AutoScalingGroup by this name already exists")
    code, message, status = error_of(autoscaling.delete_auto_scaling_group, AutoScalingGroupName="nobody")
    assert (code, status) == ("ValidationError", 400) and "not found" in message
    code, _, status = error_of(autoscaling.set_desired_capacity, AutoScalingGroupName="g", DesiredCapacity=9)
    assert (code, status) == ("ValidationError", 400)
    tags = [{"ResourceId": "g", "ResourceType": "auto-scaling-group", "Key": f"k{n}", "Value": "v",
             "PropagateAtLaunch": True} for n in range(51)]
    assert error_of(autoscaling.create_or_update_tags, Tags=tags)[::2] == ("LimitExceeded", 400)
    assert autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["g"])["AutoScalingGroups"][0]["Tags"] == []

    launch = dict(ImageId=world.image, InstanceType="t3.medium", MinCount=1, MaxCount=1, SubnetId=subnet)

    def launch_refused(expect_code, expect_message, status=400, **changes):
        code, message, got = error_of(ec2.run_instances, **{**launch, **changes})
        assert (code, got) == (expect_code, status), (code, message)
        assert expect_message in message, message

    launch_refused("InvalidAMIID.NotFound", "ami-0000000000000dead", ImageId="ami-0000000000000dead")
    launch_refused("InvalidAMIID.Malformed", "garbage", ImageId="garbage")
    launch_refused("InvalidSubnetID.NotFound", "subnet-0000000000000beef", SubnetId="subnet-0000000000000beef")
    launch_refused("InvalidParameterValue", "User data is limited to 16384 bytes", UserData="x" * 17000)
    launch_refused("InvalidParameterValue", "Invalid IAM Instance Profile name", IamInstanceProfile={"Name": "nope"})
    launch_refused("InvalidParameterValue", "Invalid value 'z9.huge' for InstanceType", InstanceType="z9.huge")
    launch_refused("InvalidParameterValue", "minCount", MinCount=3, MaxCount=2)
    launch_refused("InvalidParameterCombination", "Network interfaces and an instance-level subnet ID",
                   NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": subnet}])
    launch_refused("DryRunOperation", "Request would have succeeded", status=412, DryRun=True)
    before = ec2.describe_instances()["Reservations"]
    assert [i for r in before for i in r["Instances"] if i.get("SubnetId") == subnet and "aws:autoscaling:groupName"
            not in {t["Key"] for t in i.get("Tags", [])}] == [], "nothing launched by a refused call"


def test_lifecycle_hooks_warm_pools_schedules_and_policies_are_stored_and_described(world):
    world.node_profile("nodes")
    world.template("nodes", "nodes", node_config_mime("a=b"))
    autoscaling = world.autoscaling
    autoscaling.create_auto_scaling_group(AutoScalingGroupName="g", LaunchTemplate={"LaunchTemplateName": "nodes"},
                                          MinSize=0, MaxSize=3, VPCZoneIdentifier=world.prereqs.subnets[0])

    autoscaling.put_lifecycle_hook(AutoScalingGroupName="g", LifecycleHookName="drain",
                                   LifecycleTransition="autoscaling:EC2_INSTANCE_TERMINATING", HeartbeatTimeout=300)
    [hook] = autoscaling.describe_lifecycle_hooks(AutoScalingGroupName="g")["LifecycleHooks"]
    assert (hook["LifecycleHookName"], hook["HeartbeatTimeout"], hook["GlobalTimeout"], hook["DefaultResult"]) == (
        "drain", 300, 30000, "ABANDON")
    code, message, status = error_of(autoscaling.complete_lifecycle_action, AutoScalingGroupName="g",
                                     LifecycleHookName="drain", LifecycleActionResult="CONTINUE",
                                     InstanceId="i-0123456789abcdef0")
    assert (code, status) == ("ValidationError", 400) and "No active Lifecycle Action found" in message
    assert error_of(autoscaling.put_lifecycle_hook, AutoScalingGroupName="g", LifecycleHookName="x",
                    LifecycleTransition="autoscaling:EC2_INSTANCE_LAUNCHING", HeartbeatTimeout=5)[0] == "ValidationError"
    autoscaling.delete_lifecycle_hook(AutoScalingGroupName="g", LifecycleHookName="drain")
    assert autoscaling.describe_lifecycle_hooks(AutoScalingGroupName="g")["LifecycleHooks"] == []

    assert "WarmPoolConfiguration" not in autoscaling.describe_warm_pool(AutoScalingGroupName="g")
    autoscaling.put_warm_pool(AutoScalingGroupName="g", MinSize=1, PoolState="Stopped")
    pool = autoscaling.describe_warm_pool(AutoScalingGroupName="g")
    assert pool["WarmPoolConfiguration"] == {"MinSize": 1, "PoolState": "Stopped"} and pool["Instances"] == []
    autoscaling.delete_warm_pool(AutoScalingGroupName="g")
    assert error_of(autoscaling.delete_warm_pool, AutoScalingGroupName="g")[0] == "ValidationError"

    autoscaling.put_scheduled_update_group_action(AutoScalingGroupName="g", ScheduledActionName="night",
                                                  Recurrence="0 20 * * *", DesiredCapacity=0)
    [action] = autoscaling.describe_scheduled_actions(AutoScalingGroupName="g")["ScheduledUpdateGroupActions"]
    assert (action["ScheduledActionName"], action["Recurrence"], action["DesiredCapacity"]) == ("night", "0 20 * * *", 0)
    autoscaling.delete_scheduled_action(AutoScalingGroupName="g", ScheduledActionName="night")
    assert autoscaling.describe_scheduled_actions(AutoScalingGroupName="g")["ScheduledUpdateGroupActions"] == []

    arn = autoscaling.put_scaling_policy(
        AutoScalingGroupName="g", PolicyName="cpu", PolicyType="TargetTrackingScaling",
        TargetTrackingConfiguration={"PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
                                     "TargetValue": 50.0})["PolicyARN"]
    [policy] = autoscaling.describe_policies(AutoScalingGroupName="g")["ScalingPolicies"]
    assert policy["PolicyARN"] == arn and policy["TargetTrackingConfiguration"]["TargetValue"] == 50.0
    assert error_of(autoscaling.put_scaling_policy, AutoScalingGroupName="g", PolicyName="s",
                    PolicyType="SimpleScaling")[0] == "ValidationError"
    autoscaling.delete_policy(AutoScalingGroupName="g", PolicyName="cpu")
    assert autoscaling.describe_policies(AutoScalingGroupName="g")["ScalingPolicies"] == []
    assert error_of(autoscaling.describe_lifecycle_hooks, AutoScalingGroupName="nobody")[0] == "ValidationError"
