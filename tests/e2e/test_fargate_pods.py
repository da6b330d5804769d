"""Pods that a Fargate profile selects run each on a Fargate node of their own, sized from their requests, with an
address in one of the profile's subnets; other pods run on the node group's EC2 nodes."""

import ipaddress
import json

from conftest import boto, wait_until

POD_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "eks-fargate-pods.amazonaws.com"}, "Action": "sts:AssumeRole"}]}

POD = """
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: {namespace}, labels: {{app: {name}}}}}
spec:
  containers:
  - name: app
    image: nginx
    resources: {{requests: {{cpu: 500m, memory: 1Gi}}}}
"""


def fargate_profile(cluster):
    iam = boto(cluster.server, "iam")
    role = iam.create_role(RoleName="eksFargatePodRole", AssumeRolePolicyDocument=json.dumps(POD_TRUST))["Role"]
    iam.attach_role_policy(RoleName="eksFargatePodRole",
                           PolicyArn="arn:aws:iam::aws:policy/AmazonEKSFargatePodExecutionRolePolicy")
    cluster.eks.create_fargate_profile(clusterName=cluster.eks_name, fargateProfileName="serverless",
                                       podExecutionRoleArn=role["Arn"],
                                       subnets=[s["SubnetId"] for s in cluster.subnets],
                                       selectors=[{"namespace": "serverless"}])
    cluster.eks.get_waiter("fargate_profile_active").wait(clusterName=cluster.eks_name,
                                                          fargateProfileName="serverless",
                                                          WaiterConfig={"Delay": 1, "MaxAttempts": 60})


def pod(cluster, name, namespace):
    return json.loads(cluster.kubectl("get", "pod", name, "-n", namespace, "-o", "json").stdout)


def running(cluster, name, namespace):
    def ready():
        current = pod(cluster, name, namespace)
        return current if current["status"].get("phase") == "Running" else None
    return wait_until(ready, f"{namespace}/{name} to run")


def test_a_selected_pod_runs_on_its_own_fargate_node(nodes_cluster):
    fargate_profile(nodes_cluster)
    nodes_cluster.kubectl("create", "namespace", "serverless")
    nodes_cluster.kubectl("apply", "-f", "-", input=POD.format(name="lambda", namespace="serverless"))
    nodes_cluster.kubectl("apply", "-f", "-", input=POD.format(name="classic", namespace="default"))

    serverless = running(nodes_cluster, "lambda", "serverless")
    assert serverless["spec"]["schedulerName"] == "fargate-scheduler"
    assert serverless["metadata"]["labels"]["eks.amazonaws.com/fargate-profile"] == "serverless"
    # 500m and 1 GiB plus Fargate's 256 MiB: the 0.5 vCPU size with 2 GB.
    assert serverless["metadata"]["annotations"]["CapacityProvisioned"] == "0.5vCPU 2GB"
    node_name = serverless["spec"]["nodeName"]
    assert node_name.startswith("fargate-ip-")
    node = json.loads(nodes_cluster.kubectl("get", "node", node_name, "-o", "json").stdout)
    assert node["metadata"]["labels"]["eks.amazonaws.com/compute-type"] == "fargate"
    assert any(t["key"] == "eks.amazonaws.com/compute-type" for t in node["spec"]["taints"])
    internal = next(a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP")
    assert serverless["status"]["podIP"] == internal, "a Fargate pod has its node's address"
    networks = [ipaddress.ip_network(s["CidrBlock"]) for s in nodes_cluster.subnets]
    assert any(ipaddress.ip_address(internal) in network for network in networks)

    classic = running(nodes_cluster, "classic", "default")
    assert classic["spec"]["schedulerName"] == "default-scheduler"
    classic_node = json.loads(nodes_cluster.kubectl("get", "node", classic["spec"]["nodeName"], "-o", "json").stdout)
    assert classic_node["metadata"]["labels"]["eks.amazonaws.com/nodegroup"] == "workers"

    # The node goes with its pod.
    nodes_cluster.kubectl("delete", "pod", "lambda", "-n", "serverless", "--wait=true")

    def node_gone():
        names = nodes_cluster.kubectl("get", "nodes", "-o", "name").stdout.split()
        return f"node/{node_name}" not in names
    wait_until(node_gone, "the Fargate node to go with its pod")


def test_deleting_a_fargate_profile_deletes_its_pods_and_frees_their_addresses(nodes_cluster):
    fargate_profile(nodes_cluster)
    nodes_cluster.kubectl("create", "namespace", "serverless")

    def free_addresses():
        subnets = nodes_cluster.ec2.describe_subnets(SubnetIds=[s["SubnetId"] for s in nodes_cluster.subnets])
        return sum(s["AvailableIpAddressCount"] for s in subnets["Subnets"])

    before = free_addresses()
    nodes_cluster.kubectl("apply", "-f", "-", input=POD.format(name="lambda", namespace="serverless"))
    node_name = running(nodes_cluster, "lambda", "serverless")["spec"]["nodeName"]
    assert free_addresses() == before - 1

    nodes_cluster.eks.delete_fargate_profile(clusterName=nodes_cluster.eks_name, fargateProfileName="serverless")
    wait_until(lambda: nodes_cluster.kubectl("get", "pod", "lambda", "-n", "serverless",
                                             check=False).returncode != 0, "the profile's pod is deleted")
    wait_until(lambda: nodes_cluster.kubectl("get", "node", node_name, check=False).returncode != 0,
               "its Fargate node goes")
    wait_until(lambda: free_addresses() == before, "its address is free again")
