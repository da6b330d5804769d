"""EKS Hybrid Nodes as the EKS guide connects them, through the real aws CLI, boto3 and kubectl: a cluster with
remote node and pod networks, the Hybrid Nodes role, an SSM hybrid activation, `ekslite nodeadm init` playing
nodeadm on the machine (refused until a HYBRID_LINUX access entry lets the role in), the node registering with
nodeadm's labels and provider id, pods on it getting addresses of the remote pod network, a node joining with IAM
Roles Anywhere, a deregistered managed instance going NotReady, `ekslite nodeadm uninstall` with nodeadm's
checks, and the errors for bad input."""

import datetime
import ipaddress
import json
import urllib.error
import urllib.request

import botocore.exceptions
import pytest

from conftest import Cluster, boto, eks_prereqs_for, run_ekslite, trust, wait_until

CLUSTER = "hybrid"
KUBERNETES_NAME = "hybrid.us-east-1.000000000000"
NODE_NETWORK = "10.80.0.0/16"
POD_NETWORK = "10.85.0.0/16"


def ssm_config(activation_id: str, code: str, extra_flags: str = "") -> str:
    return f"""apiVersion: node.eks.aws/v1alpha1
kind: NodeConfig
spec:
  cluster:
    name: {CLUSTER}
    region: us-east-1
  hybrid:
    ssm:
      activationCode: {code}
      activationId: {activation_id}
  kubelet:
    flags:
      - --node-labels=site=lab{extra_flags}
"""


def error_of(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call(*args, **kwargs)
    response = raised.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


class World:
    """A server with an API-mode cluster that has remote networks, the Hybrid Nodes role and an activation."""

    def __init__(self, server, tmp_path):
        self.server = server
        self.tmp_path = tmp_path
        prereqs = eks_prereqs_for(server)
        self.eks = boto(server)
        self.ssm = boto(server, "ssm")
        iam = boto(server, "iam")
        self.eks.create_cluster(
            name=CLUSTER, roleArn=prereqs.cluster_role, resourcesVpcConfig=prereqs.resources,
            accessConfig={"authenticationMode": "API"},
            remoteNetworkConfig={"remoteNodeNetworks": [{"cidrs": [NODE_NETWORK]}],
                                 "remotePodNetworks": [{"cidrs": [POD_NETWORK]}]})
        self.eks.get_waiter("cluster_active").wait(name=CLUSTER, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        self.role = iam.create_role(RoleName="AmazonEKSHybridNodesRole",
                                    AssumeRolePolicyDocument=json.dumps(trust("ssm.amazonaws.com")))["Role"]["Arn"]
        config = run_ekslite("kubeconfig", KUBERNETES_NAME, "--endpoint", server.url)
        assert config.returncode == 0, config.stderr
        kubeconfig = tmp_path / "admin.kubeconfig"
        kubeconfig.write_text(config.stdout)
        self.cluster = Cluster(server, KUBERNETES_NAME, kubeconfig)

    def write(self, name: str, text: str) -> str:
        path = self.tmp_path / name
        path.write_text(text)
        return f"file://{path}"

    def nodeadm(self, *args: str):
        return run_ekslite("nodeadm", *args, "--endpoint", self.server.url)

    def node(self, name: str) -> dict | None:
        items = json.loads(self.cluster.kubectl("get", "nodes", "-o", "json").stdout)["items"]
        return next((n for n in items if n["metadata"]["name"] == name), None)

    def ready(self, name: str) -> bool | None:
        node = self.node(name)
        if node is None:
            return None
        conditions = node.get("status", {}).get("conditions", [])
        return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)

    def managed_instances(self) -> list[str]:
        found = self.ssm.describe_instance_information()["InstanceInformationList"]
        return [item["InstanceId"] for item in found]


@pytest.fixture
def world(aws, tmp_path):
    return World(aws.server, tmp_path)


def joined_name(result) -> str:
    assert result.returncode == 0, result.stderr
    # "node <name> joined cluster ..."
    return result.stdout.split()[1]


def test_an_ssm_node_joins_once_a_hybrid_linux_entry_lets_its_role_in(world, aws):
    activation = aws("ssm", "create-activation", "--default-instance-name", "hybrid-ssm-node", "--iam-role",
                     "AmazonEKSHybridNodesRole", "--registration-limit", "2")
    source = world.write("nodeConfig.yaml", ssm_config(activation["ActivationId"], activation["ActivationCode"]))

    # Without an access entry the kubelet would get Unauthorized: nodeadm's check refuses, nothing is registered.
    refused = world.nodeadm("init", "-c", source, "--node-ip", "10.80.3.4")
    assert refused.returncode != 0
    assert "access entry of type HYBRID_LINUX" in refused.stderr
    assert world.managed_instances() == []

    entry = aws("eks", "create-access-entry", "--cluster-name", CLUSTER, "--principal-arn", world.role,
                "--type", "HYBRID_LINUX")["accessEntry"]
    assert entry["type"] == "HYBRID_LINUX"
    assert entry["username"] == "system:node:{{SessionName}}"
    policy = aws("eks", "associate-access-policy", "--cluster-name", CLUSTER, "--principal-arn", world.role,
                 "--policy-arn", "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
                 "--access-scope", "type=cluster", check=False)
    assert policy.returncode != 0, "a node entry takes no access policy"

    name = joined_name(world.nodeadm("init", "-c", source, "--node-ip", "10.80.3.4", "--hostname", "rack7-host"))
    assert name.startswith("mi-") and len(name) == 20
    wait_until(lambda: world.ready(name), f"hybrid node {name} to be Ready")
    node = world.node(name)
    labels = node["metadata"]["labels"]
    assert labels["eks.amazonaws.com/compute-type"] == "hybrid"
    assert labels["eks.amazonaws.com/hybrid-credential-provider"] == "ssm"
    assert labels["site"] == "lab"
    assert "topology.kubernetes.io/zone" not in labels
    assert node["spec"]["providerID"] == f"eks-hybrid:///us-east-1/{CLUSTER}/{name}"
    addresses = {a["type"]: a["address"] for a in node["status"]["addresses"]}
    assert addresses["InternalIP"] == "10.80.3.4"

    instances = world.ssm.describe_instance_information(
        Filters=[{"Key": "ActivationIds", "Values": [activation["ActivationId"]]}])["InstanceInformationList"]
    assert [(i["InstanceId"], i["IPAddress"], i["ComputerName"], i["Name"], i["ResourceType"])
            for i in instances] == [(name, "10.80.3.4", "rack7-host", "hybrid-ssm-node", "ManagedInstance")]
    listed = aws("ssm", "describe-activations", "--filters",
                 f"FilterKey=ActivationIds,FilterValues={activation['ActivationId']}")["ActivationList"]
    assert listed[0]["RegistrationsCount"] == 1 and listed[0]["Expired"] is False

    # Pods scheduled on the hybrid node get addresses of its block of the remote pod network.
    overrides = json.dumps({"spec": {"nodeSelector": {"eks.amazonaws.com/compute-type": "hybrid"}}})
    world.cluster.kubectl("run", "edge-app", "--image=nginx", f"--overrides={overrides}")
    wait_until(lambda: json.loads(world.cluster.kubectl("get", "pod", "edge-app", "-o", "json").stdout)
               .get("status", {}).get("podIP"), "the pod on the hybrid node to get an address")
    pod = json.loads(world.cluster.kubectl("get", "pod", "edge-app", "-o", "json").stdout)
    assert pod["spec"]["nodeName"] == name
    assert ipaddress.ip_address(pod["status"]["podIP"]) in ipaddress.ip_network(POD_NETWORK)

    # A second machine registers with the same activation (limit 2); a third is refused.
    second = joined_name(world.nodeadm("init", "-c", source))
    assert second != name
    wait_until(lambda: world.ready(second), f"hybrid node {second} to be Ready")
    second_ip = {a["type"]: a["address"] for a in world.node(second)["status"]["addresses"]}["InternalIP"]
    assert ipaddress.ip_address(second_ip) in ipaddress.ip_network(NODE_NETWORK)
    third = world.nodeadm("init", "-c", source)
    assert third.returncode != 0 and "registration limit of 2" in third.stderr

    # Deregistering a managed instance takes its credentials away: the node goes NotReady.
    world.ssm.deregister_managed_instance(InstanceId=second)
    # Its lease is no longer renewed: the node lifecycle controller marks it after the grace period (40 s).
    wait_until(lambda: world.ready(second) is False, f"node {second} to go NotReady", deadline=120)

    # nodeadm uninstall wants the node drained and cordoned first.
    busy = world.nodeadm("uninstall", "-c", source, "--node-name", name)
    assert busy.returncode != 0 and "only static pods and pods controlled by daemon-sets" in busy.stderr
    # Its pods move away: the app goes, and CoreDNS, which has no other node to run on, is scaled down.
    world.cluster.kubectl("delete", "pod", "edge-app", "--wait=true")
    world.cluster.kubectl("scale", "deployment", "coredns", "-n", "kube-system", "--replicas", "0")
    wait_until(lambda: not world.cluster.kubectl("get", "pods", "-n", "kube-system", "-l", "k8s-app=kube-dns",
                                                 "--field-selector", f"spec.nodeName={name}",
                                                 "-o", "name").stdout.strip(), f"the CoreDNS pods to leave {name}")
    uncordoned = world.nodeadm("uninstall", "-c", source, "--node-name", name)
    assert uncordoned.returncode != 0 and "cordon" in uncordoned.stderr
    world.cluster.kubectl("cordon", name)
    left = world.nodeadm("uninstall", "-c", source, "--node-name", name)
    assert left.returncode == 0, left.stderr
    wait_until(lambda: world.node(name) is None, f"node {name} to leave")
    assert name not in world.managed_instances()
    gone = world.nodeadm("uninstall", "-c", source, "--node-name", name, "--skip", "pod-validation,node-validation")
    assert gone.returncode != 0 and "No hybrid node" in gone.stderr


def test_an_iam_roles_anywhere_node_joins_under_its_node_name(world, aws):
    aws("eks", "create-access-entry", "--cluster-name", CLUSTER, "--principal-arn", world.role,
        "--type", "HYBRID_LINUX")
    certificate, key = world.tmp_path / "node.crt", world.tmp_path / "node.key"
    config = f"""apiVersion: node.eks.aws/v1alpha1
kind: NodeConfig
spec:
  cluster:
    name: {CLUSTER}
    region: us-east-1
  hybrid:
    iamRolesAnywhere:
      nodeName: edge-1
      trustAnchorArn: arn:aws:rolesanywhere:us-east-1:000000000000:trust-anchor/0f1e2d3c
      profileArn: arn:aws:rolesanywhere:us-east-1:000000000000:profile/4b5a6978
      roleArn: {world.role}
      certificatePath: {certificate}
      privateKeyPath: {key}
  kubelet:
    flags:
      - --node-ip=10.80.9.9
      - --register-with-taints=edge=true:NoSchedule
"""
    source = world.write("anywhere.yaml", config)
    missing = world.nodeadm("init", "-c", source)
    assert missing.returncode != 0 and f"certificate {certificate} not found" in missing.stderr
    certificate.write_text("-----BEGIN CERTIFICATE-----\n")
    key.write_text("-----BEGIN PRIVATE KEY-----\n")
    assert joined_name(world.nodeadm("init", "-c", source)) == "edge-1"
    wait_until(lambda: world.ready("edge-1"), "edge-1 to be Ready")
    node = world.node("edge-1")
    assert node["metadata"]["labels"]["eks.amazonaws.com/hybrid-credential-provider"] == "iam-ra"
    assert {"key": "edge", "value": "true", "effect": "NoSchedule"} in [
        {k: t[k] for k in ("key", "value", "effect")} for t in node["spec"]["taints"]]
    again = world.nodeadm("init", "-c", source)
    assert again.returncode != 0 and "already joined" in again.stderr
    outside = world.write("outside.yaml", config.replace("nodeName: edge-1", "nodeName: edge-2")
                          .replace("10.80.9.9", "192.168.7.7"))
    refused = world.nodeadm("init", "-c", outside)
    assert refused.returncode != 0 and "not in any of the remote network CIDR blocks" in refused.stderr


def test_bad_input_gets_clear_errors(world, aws):
    code, message, status = error_of(world.ssm.create_activation, IamRole="NoSuchRole")
    assert (code, status) == ("InvalidParameters", 400) and "Nonexistent role" in message
    past = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
    code, _, status = error_of(world.ssm.create_activation, IamRole="AmazonEKSHybridNodesRole", ExpirationDate=past)
    assert (code, status) == ("InvalidParameters", 400)
    code, _, status = error_of(world.ssm.create_activation, IamRole="x" * 65)
    assert (code, status) == ("ValidationException", 400)
    code, _, status = error_of(world.ssm.delete_activation, ActivationId="0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b")
    assert (code, status) == ("InvalidActivationId", 400)
    code, _, status = error_of(world.ssm.deregister_managed_instance, InstanceId="mi-0123456789abcdef0")
    assert (code, status) == ("InvalidInstanceId", 400)
    code, _, status = error_of(world.ssm.describe_instance_information, Filters=[{"Key": "Color", "Values": ["x"]}])
    assert (code, status) == ("InvalidFilterKey", 400)

    def post(path: str, body: bytes) -> tuple[int, dict]:
        request = urllib.request.Request(world.server.url + path, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    for body in [b"garbage\x00", b"{}", json.dumps({"config": "\x00\x01"}).encode(),
                 json.dumps({"config": "kind: NodeConfig", "surprise": 1}).encode()]:
        status, answer = post("/_ekslite/nodeadm/init", body)
        assert status == 400 and answer["message"], (body, status, answer)
    status, answer = post("/_ekslite/nodeadm/init", json.dumps({"config": "x" * 200_000}).encode())
    assert status == 413, answer
    status, answer = post("/_ekslite/nodeadm/uninstall", json.dumps(
        {"region": "us-east-1", "cluster": CLUSTER, "nodeName": "x", "skip": ["everything"]}).encode())
    assert status == 400 and "unknown phase" in answer["message"]
    status, answer = post("/_ekslite/nodeadm/init", json.dumps(
        {"config": ssm_config("0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b", "AbCdEfGhIjKlMnOpQrSt"),
         "account": "not-an-account"}).encode())
    assert status == 400 and "12-digit" in answer["message"]
    # An activation that does not exist registers nothing.
    source = world.write("unknown.yaml", ssm_config("0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b", "AbCdEfGhIjKlMnOpQrSt"))
    unknown = world.nodeadm("init", "-c", source)
    assert unknown.returncode != 0 and "does not exist" in unknown.stderr
    assert world.managed_instances() == []
    assert world.nodeadm("init", "-c", "https://example.com/x.yaml").returncode != 0
