"""EKS after a crash: a server killed (SIGKILL) in the middle of `create-cluster` or right after `delete-nodegroup`
finishes the job once it starts again on the same data directory, so nothing stays CREATING or DELETING."""

import signal
import subprocess
import threading

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from conftest import boto, eks_prereqs_for, run_ekslite, wait_until

ACCOUNT = "000000000000"
ATTEMPTS = 5


def killed_and_restarted(ekslite, server):
    """SIGKILLs `server` and starts a new one on its data directory and port."""
    server.stop(signal.SIGKILL)
    return ekslite(data_dir=server.data_dir, port=server.port)


def gone(call) -> bool:
    try:
        call()
    except ClientError as error:
        return error.response["Error"]["Code"] == "ResourceNotFoundException"
    return False


def recorded(eks, name):
    """The cluster as DescribeCluster shows it, or None while there is none."""
    try:
        return eks.describe_cluster(name=name)["cluster"]
    except ClientError:
        return None


def settled(eks, name):
    """The cluster once it is ACTIVE or FAILED, else None."""
    cluster = recorded(eks, name)
    return cluster if cluster and cluster["status"] in ("ACTIVE", "FAILED") else None


def namespaces(kubeconfig):
    """`kubectl get namespaces` with `kubeconfig`, or None while it fails."""
    result = subprocess.run(["kubectl", "--kubeconfig", str(kubeconfig), "get", "namespaces", "-o", "name"],
                            capture_output=True, text=True, timeout=30)
    return result.stdout if result.returncode == 0 else None


def test_a_cluster_whose_create_was_killed_is_made_after_a_restart(ekslite, tmp_path):
    server = ekslite()
    prereqs = eks_prereqs_for(server)
    caught = []
    for attempt in range(ATTEMPTS):
        name = f"demo{attempt}"
        # No retries: the call dies with the server and must not be repeated against the next one.
        client = boto3.client("eks", endpoint_url=server.url, region_name="us-east-1", aws_access_key_id="test",
                              aws_secret_access_key="test", config=Config(retries={"total_max_attempts": 1}))

        def create():
            try:
                client.create_cluster(name=name, roleArn=prereqs.cluster_role, resourcesVpcConfig=prereqs.resources)
            except (BotoCoreError, ClientError):
                pass

        call = threading.Thread(target=create)
        call.start()
        eks = boto(server)
        seen = wait_until(lambda: recorded(eks, name), f"cluster {name} to be recorded", interval=0)
        server = killed_and_restarted(ekslite, server)
        call.join()
        if seen["status"] == "CREATING" and "endpoint" not in seen:
            caught.append(name)

        eks = boto(server)
        cluster = wait_until(lambda: settled(eks, name), f"cluster {name} to settle")
        assert cluster["status"] == "ACTIVE", cluster["health"]
        assert cluster["endpoint"].startswith("https://127.0.0.1:")
        assert cluster["identity"]["oidc"]["issuer"].startswith(cluster["endpoint"] + "/id/")
        # Its control plane serves, and the security group it was made with is its only one.
        kubeconfig = tmp_path / f"{name}.kubeconfig"
        made = run_ekslite("kubeconfig", f"{name}.us-east-1.{ACCOUNT}", "--endpoint", server.url)
        assert made.returncode == 0, made.stderr
        kubeconfig.write_text(made.stdout)
        listed = wait_until(lambda: namespaces(kubeconfig), f"kubectl to reach {name}")
        assert "kube-system" in listed
        groups = boto(server, "ec2").describe_security_groups(
            Filters=[{"Name": "tag:aws:eks:cluster-name", "Values": [name]}])["SecurityGroups"]
        assert [g["GroupId"] for g in groups] == [cluster["resourcesVpcConfig"]["clusterSecurityGroupId"]]
        if caught:
            break
    assert caught, f"none of {ATTEMPTS} kills came before the control plane answered"

    # The made cluster deletes as any other, taking its security group.
    name = caught[0]
    eks.delete_cluster(name=name)
    wait_until(lambda: gone(lambda: eks.describe_cluster(name=name)), f"cluster {name} to go")
    groups = boto(server, "ec2").describe_security_groups(
        Filters=[{"Name": "tag:aws:eks:cluster-name", "Values": [name]}])["SecurityGroups"]
    assert groups == []


def test_a_node_group_whose_delete_was_killed_goes_after_a_restart_and_the_network_can_go_too(ekslite):
    server = ekslite()
    prereqs = eks_prereqs_for(server)
    eks = boto(server)
    eks.create_cluster(name="demo", roleArn=prereqs.cluster_role, resourcesVpcConfig=prereqs.resources)
    eks.get_waiter("cluster_active").wait(name="demo", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    eks.create_nodegroup(clusterName="demo", nodegroupName="workers", nodeRole=prereqs.node_role,
                         subnets=list(prereqs.subnets), scalingConfig={"minSize": 0, "maxSize": 3, "desiredSize": 2})
    eks.get_waiter("nodegroup_active").wait(clusterName="demo", nodegroupName="workers",
                                            WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    group = eks.describe_nodegroup(clusterName="demo", nodegroupName="workers")["nodegroup"]
    group_name = group["resources"]["autoScalingGroups"][0]["name"]

    def instances(ec2, states):
        reservations = ec2.describe_instances(Filters=[
            {"Name": "tag:eks:nodegroup-name", "Values": ["workers"]},
            {"Name": "instance-state-name", "Values": states}])["Reservations"]
        return [i["InstanceId"] for r in reservations for i in r["Instances"]]

    wait_until(lambda: len(instances(boto(server, "ec2"), ["running"])) == 2, "two running instances")

    deleting = eks.delete_nodegroup(clusterName="demo", nodegroupName="workers")["nodegroup"]
    assert deleting["status"] == "DELETING"
    server = killed_and_restarted(ekslite, server)

    eks, ec2 = boto(server), boto(server, "ec2")
    wait_until(lambda: gone(lambda: eks.describe_nodegroup(clusterName="demo", nodegroupName="workers")),
               "the node group to go")
    assert instances(ec2, ["pending", "running", "stopping", "stopped"]) == []
    assert len(instances(ec2, ["shutting-down", "terminated"])) == 2
    asgs = boto(server, "autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[group_name])
    assert asgs["AutoScalingGroups"] == []

    # Nothing is left holding the network, as `ekslite down` needs.
    eks.delete_cluster(name="demo")
    wait_until(lambda: gone(lambda: eks.describe_cluster(name="demo")), "the cluster to go")
    for subnet in prereqs.subnets:
        ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=prereqs.vpc)


FARGATE_POD_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "eks-fargate-pods.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def test_fargate_pods_give_their_addresses_back_after_a_restart_so_the_network_can_go(ekslite, tmp_path):
    import json

    server = ekslite()
    prereqs = eks_prereqs_for(server)
    eks, iam = boto(server), boto(server, "iam")
    eks.create_cluster(name="demo", roleArn=prereqs.cluster_role, resourcesVpcConfig=prereqs.resources)
    eks.get_waiter("cluster_active").wait(name="demo", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    role = iam.create_role(RoleName="fargate-pods", AssumeRolePolicyDocument=json.dumps(FARGATE_POD_TRUST))["Role"]
    eks.create_fargate_profile(clusterName="demo", fargateProfileName="serverless", podExecutionRoleArn=role["Arn"],
                               subnets=list(prereqs.subnets), selectors=[{"namespace": "serverless"}])
    eks.get_waiter("fargate_profile_active").wait(clusterName="demo", fargateProfileName="serverless",
                                                  WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    config = run_ekslite("kubeconfig", f"demo.us-east-1.{ACCOUNT}", "--endpoint", server.url)
    assert config.returncode == 0, config.stderr
    kubeconfig = tmp_path / "admin.kubeconfig"
    kubeconfig.write_text(config.stdout)

    def kubectl(*args, check=True):
        result = subprocess.run(["kubectl", "--kubeconfig", str(kubeconfig), *args], capture_output=True,
                                text=True, timeout=60)
        assert not check or result.returncode == 0, result.stderr
        return result

    kubectl("create", "namespace", "serverless")
    for name in ("first", "second"):
        kubectl("run", name, "-n", "serverless", "--image=nginx")

    def running(name):
        result = kubectl("get", "pod", name, "-n", "serverless", "-o", "json", check=False)
        return result.returncode == 0 and json.loads(result.stdout)["status"].get("phase") == "Running"

    for name in ("first", "second"):
        wait_until(lambda name=name: running(name), f"Fargate pod {name} to run")

    server = killed_and_restarted(ekslite, server)
    eks, ec2 = boto(server), boto(server, "ec2")
    # One pod goes while the server runs again; the other goes with its profile, then the cluster goes.
    kubectl("delete", "pod", "first", "-n", "serverless", "--wait=true")
    eks.delete_fargate_profile(clusterName="demo", fargateProfileName="serverless")
    wait_until(lambda: gone(lambda: eks.describe_fargate_profile(clusterName="demo", fargateProfileName="serverless")),
               "the Fargate profile to go")
    eks.delete_cluster(name="demo")
    wait_until(lambda: gone(lambda: eks.describe_cluster(name="demo")), "the cluster to go")

    deleted = set()

    def network_deleted():
        for subnet in set(prereqs.subnets) - deleted:
            try:
                ec2.delete_subnet(SubnetId=subnet)
            except ClientError as error:
                if error.response["Error"]["Code"] == "DependencyViolation":
                    return False
                raise
            deleted.add(subnet)
        return True

    # The addresses are given back as the pods' nodes go: every subnet can be deleted (a leak would hold one for
    # good, which the deadline turns into a failure).
    wait_until(network_deleted, "every subnet to be deletable")
    ec2.delete_vpc(VpcId=prereqs.vpc)
