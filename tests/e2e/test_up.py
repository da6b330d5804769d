"""`ekslite up` and `ekslite down`, as a newcomer runs them: a cluster with Ready nodes in three zones through the
AWS APIs, a kubeconfig context that kubectl uses, nothing changed by a second run, nothing left after `down`; and
`up` starting a server when none runs."""

import json
import os
import re
import signal
import subprocess

import pytest

from conftest import DEADLINE_SECONDS, ZONES, boto, ekslite_binary, free_port, wait_until

UP_SECONDS = 120


def up(*args, endpoint, kubeconfig, env=None):
    result = subprocess.run([str(ekslite_binary()), *args, "--endpoint", endpoint, "--kubeconfig", str(kubeconfig)],
                            capture_output=True, text=True, timeout=UP_SECONDS, stdin=subprocess.DEVNULL, env=env)
    assert result.returncode == 0, f"ekslite {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def kubectl(kubeconfig, *args):
    result = subprocess.run(["kubectl", "--kubeconfig", str(kubeconfig), "--context", "ekslite-demo", *args],
                            capture_output=True, text=True, timeout=DEADLINE_SECONDS)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_up_twice_then_down(ekslite, tmp_path):
    server = ekslite()
    kubeconfig = tmp_path / "kube" / "config"
    first = up("up", endpoint=server.url, kubeconfig=kubeconfig)
    for step in ("VPC", "subnets", "role ekslite-demo-cluster", "role ekslite-demo-node", "cluster demo",
                 "node group demo-nodes", "nodes", "kubeconfig"):
        assert re.search(rf"^{re.escape(step)}: ", first, re.M), f"no {step!r} line in:\n{first}"
    assert "kubectl --context ekslite-demo get nodes" in first

    nodes = json.loads(kubectl(kubeconfig, "get", "nodes", "-o", "json"))["items"]
    assert len(nodes) == 3
    assert sorted(n["metadata"]["labels"]["topology.kubernetes.io/zone"] for n in nodes) == list(ZONES)
    assert all(any(c["type"] == "Ready" and c["status"] == "True" for c in n["status"]["conditions"]) for n in nodes)
    eks = boto(server, "eks")
    assert eks.list_clusters()["clusters"] == ["demo"]
    nodegroup = eks.describe_nodegroup(clusterName="demo", nodegroupName="demo-nodes")["nodegroup"]
    assert nodegroup["scalingConfig"] == {"minSize": 1, "maxSize": 6, "desiredSize": 3}
    assert nodegroup["instanceTypes"] == ["t3.medium"]
    assert len(nodegroup["subnets"]) == 3, "the node group runs in the private subnets"

    second = up("up", endpoint=server.url, kubeconfig=kubeconfig)
    for line in second.splitlines():
        if line.startswith(("VPC", "role", "cluster", "node group")):
            assert "already present" in line, line
    assert "(already present)" in next(line for line in second.splitlines() if line.startswith("subnets"))
    vpcs = boto(server, "ec2").describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["ekslite-demo"]}])["Vpcs"]
    assert len(vpcs) == 1, "a second run makes nothing new"

    # Pods run and take VPC CNI addresses from their nodes' subnets; `down` must still leave nothing behind.
    kubectl(kubeconfig, "create", "deployment", "web", "--image=nginx", "--replicas=6")

    def pod_ips():
        items = json.loads(kubectl(kubeconfig, "get", "pods", "-o", "json"))["items"]
        ips = {p["status"].get("podIP") for p in items if p["status"].get("phase") == "Running"}
        return ips if len(ips) == 6 and None not in ips else None
    ips = wait_until(pod_ips, "six running pods with addresses")
    instances = [i for r in boto(server, "ec2").describe_instances()["Reservations"] for i in r["Instances"]]
    secondary = {a["PrivateIpAddress"] for i in instances for eni in i["NetworkInterfaces"]
                 for a in eni["PrivateIpAddresses"] if not a["Primary"]}
    assert ips <= secondary, "pod addresses are secondary addresses of the nodes' interfaces"

    # What a user adds to the cluster (a Fargate profile) must not keep `down` from removing it.
    iam = boto(server, "iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                       "Principal": {"Service": "eks-fargate-pods.amazonaws.com"}}]}
    role = iam.create_role(RoleName="pods", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    eks.create_fargate_profile(clusterName="demo", fargateProfileName="serverless", podExecutionRoleArn=role,
                               subnets=nodegroup["subnets"], selectors=[{"namespace": "serverless"}])
    wait_until(lambda: eks.describe_fargate_profile(clusterName="demo", fargateProfileName="serverless")
               ["fargateProfile"]["status"] == "ACTIVE", "the Fargate profile is active")
    kubectl(kubeconfig, "create", "namespace", "serverless")
    kubectl(kubeconfig, "-n", "serverless", "run", "lambda", "--image=nginx")
    wait_until(lambda: kubectl(kubeconfig, "-n", "serverless", "get", "pod", "lambda", "-o",
                               "jsonpath={.spec.nodeName}").startswith("fargate-ip-"), "a pod on Fargate")

    down = up("down", endpoint=server.url, kubeconfig=kubeconfig)
    assert re.search(r"^Fargate profile serverless: deleted", down, re.M), down
    assert re.search(r"^node group demo-nodes: deleted", down, re.M), down
    assert re.search(r"^cluster demo: deleted", down, re.M), down
    assert eks.list_clusters()["clusters"] == []
    roles = [r["RoleName"] for r in boto(server, "iam").list_roles()["Roles"]]
    assert not [r for r in roles if r.startswith("ekslite-demo")], roles
    ec2 = boto(server, "ec2")
    assert ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["ekslite-demo"]}])["Vpcs"] == []
    config = kubeconfig.read_text()
    assert "ekslite-demo" not in config


def test_up_starts_a_server_when_none_runs(tmp_path):
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    env = dict(os.environ, EKSLITE_DATA_DIR=str(tmp_path / "data"))
    output = up("up", "--nodes", "1", endpoint=endpoint, kubeconfig=tmp_path / "config", env=env)
    pid = int(re.search(r"started \(pid (\d+)", output).group(1))
    try:
        nodes = kubectl(tmp_path / "config", "get", "nodes", "-o", "name").split()
        assert len(nodes) == 1
        assert (tmp_path / "data" / "server.log").exists()
    finally:
        os.kill(pid, signal.SIGTERM)
    wait_until(lambda: not os.path.exists(f"/proc/{pid}") or "zombie" in open(f"/proc/{pid}/status").read().lower()
               or None, "the started server to stop")


@pytest.mark.parametrize("args, message", [
    (["--nodes", "-1"], "--nodes"),
    (["--nodes", "many"], "--nodes"),
    (["--name", "bad name!"], "name"),
])
def test_up_refuses_garbage(tmp_path, ekslite, args, message):
    server = ekslite()
    result = subprocess.run([str(ekslite_binary()), "up", *args, "--endpoint", server.url,
                             "--kubeconfig", str(tmp_path / "config")],
                            capture_output=True, text=True, timeout=DEADLINE_SECONDS, stdin=subprocess.DEVNULL)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    assert boto(server, "eks").list_clusters()["clusters"] == [], "nothing was made"
