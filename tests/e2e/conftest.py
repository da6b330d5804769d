"""The end-to-end harness: starts the release `ekslite` binary (and, when a test asks, a real etcd) on free
loopback ports in temporary directories, waits for them to be healthy, and tears everything down.

Later suites add test files here and use the `ekslite` and `etcd` fixtures. The binary is
`$EKSLITE_BIN`, else `target/release/ekslite`; `scripts/test.sh` builds it first.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEADLINE_SECONDS = 30


# Ports for servers the tests start come from below the kernel's ephemeral range (32768 and up on Linux), so no
# outgoing connection takes one between the check and the server's bind, and each pytest-xdist worker has its own
# block, so two workers never hand out the same port.
_PORT_BLOCK = 1500
_port_cursor = 0


def free_port() -> int:
    global _port_cursor
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker[2:].isdigit() else 0
    base = 20000 + (index % 8) * _PORT_BLOCK
    for _ in range(_PORT_BLOCK):
        port = base + _port_cursor
        _port_cursor = (_port_cursor + 1) % _PORT_BLOCK
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {base}..{base + _PORT_BLOCK}")


def wait_until(predicate, what: str, deadline: float = DEADLINE_SECONDS, interval: float = 0.05):
    """Polls `predicate` until it returns something truthy; fails the test after `deadline` seconds."""
    end = time.monotonic() + deadline
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > end:
            pytest.fail(f"timed out after {deadline}s waiting for {what}")
        time.sleep(interval)


def http_get(url: str, timeout: float = 5):
    """(status, parsed JSON body) of a GET; the body is None when it is not JSON."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    try:
        return status, json.loads(body)
    except ValueError:
        return status, None


def ekslite_binary() -> Path:
    path = Path(os.environ.get("EKSLITE_BIN", REPO / "target" / "release" / "ekslite"))
    if not path.is_file():
        pytest.fail(f"no ekslite binary at {path}: run `cargo build --release -p ekslite` or set EKSLITE_BIN")
    return path


class Server:
    """One running `ekslite serve`."""

    def __init__(self, binary: Path, data_dir: Path, log_path: Path, args: list[str], port: int):
        self.data_dir = data_dir
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self._log = open(log_path, "ab")
        command = [str(binary), "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", str(data_dir), *args]
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log)

    def health(self):
        return http_get(f"{self.url}/_ekslite/health")

    def wait_healthy(self) -> dict:
        def healthy():
            if self.process.poll() is not None:
                pytest.fail(f"ekslite exited with {self.process.returncode} before it was healthy:\n{self.log()}")
            try:
                status, body = self.health()
            except OSError:
                return None
            if body and body.get("server", {}).get("pid") not in (None, self.process.pid):
                pytest.fail(f"another process (pid {body['server']['pid']}) answers on port {self.port}")
            return body if status == 200 else None

        return wait_until(healthy, f"ekslite on port {self.port} to be healthy")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Sends `sig` and returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=DEADLINE_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                pytest.fail(f"ekslite did not stop within {DEADLINE_SECONDS}s of signal {sig}:\n{self.log()}")
        self._log.close()
        return self.process.returncode

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def ekslite(tmp_path):
    """Starts servers: `ekslite(data_dir=None, args=(), port=None, wait=True)`. All are stopped at teardown."""
    binary = ekslite_binary()
    servers: list[Server] = []

    def start(data_dir: Path | None = None, args=(), port: int | None = None, wait: bool = True) -> Server:
        data_dir = data_dir or tmp_path / f"data-{len(servers)}"
        server = Server(binary, data_dir, tmp_path / f"ekslite-{len(servers)}.log", list(args), port or free_port())
        servers.append(server)
        if wait:
            server.wait_healthy()
        return server

    yield start
    for server in servers:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()


def run_ekslite(*args: str, timeout: float = DEADLINE_SECONDS) -> subprocess.CompletedProcess:
    """Runs the binary to completion (for commands that are expected to exit)."""
    return subprocess.run(
        [str(ekslite_binary()), *args], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )


class Etcd:
    """A single-member etcd 3.4 on loopback ports."""

    def __init__(self, directory: Path):
        binary = shutil.which("etcd")
        if binary is None:
            pytest.fail("no etcd on PATH: run scripts/install-test-clients.sh and source .clients/env.sh")
        self.client_port, peer_port = free_port(), free_port()
        self.endpoint = f"127.0.0.1:{self.client_port}"
        client_url, peer_url = f"http://{self.endpoint}", f"http://127.0.0.1:{peer_port}"
        self._log = open(directory / "etcd.log", "ab")
        self.process = subprocess.Popen(
            [
                binary,
                "--name=e2e",
                f"--data-dir={directory / 'etcd-data'}",
                f"--listen-client-urls={client_url}",
                f"--advertise-client-urls={client_url}",
                f"--listen-peer-urls={peer_url}",
                f"--initial-advertise-peer-urls={peer_url}",
                f"--initial-cluster=e2e={peer_url}",
                "--log-level=error",
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
        )
        wait_until(self._ready, "etcd to answer")

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            pytest.fail(f"etcd exited with {self.process.returncode}")
        try:
            status, _ = http_get(f"http://{self.endpoint}/health", timeout=1)
        except OSError:
            return False
        return status == 200

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._log.close()


@pytest.fixture
def etcd(tmp_path):
    server = Etcd(tmp_path)
    yield server
    server.stop()


class Cluster:
    """A cluster created on a running server, with a kubeconfig file for it."""

    def __init__(self, server: Server, name: str, kubeconfig: Path):
        self.server = server
        self.name = name
        self.kubeconfig = kubeconfig

    def kubectl(self, *args: str, kubectl: str = "kubectl", check: bool = True, input: str | None = None,
                timeout: float = DEADLINE_SECONDS) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [kubectl, "--kubeconfig", str(self.kubeconfig), *args],
            capture_output=True, text=True, timeout=timeout, input=input,
        )
        if check and result.returncode != 0:
            pytest.fail(f"kubectl {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
        return result


def create_cluster(server: Server, name: str, directory: Path, version: str | None = None) -> Cluster:
    args = ["cluster", "create", name, "--endpoint", server.url]
    if version:
        args += ["--version", version]
    created = run_ekslite(*args)
    assert created.returncode == 0, created.stderr
    config = run_ekslite("kubeconfig", name, "--endpoint", server.url)
    assert config.returncode == 0, config.stderr
    kubeconfig = directory / f"{name}.kubeconfig"
    kubeconfig.write_text(config.stdout)
    return Cluster(server, name, kubeconfig)


@pytest.fixture
def cluster(ekslite, tmp_path):
    """A server with one fresh cluster named `demo`."""
    return create_cluster(ekslite(), "demo", tmp_path)


# The AWS side: the real aws CLI and boto3 against a fresh server, with throwaway credentials and no user config.

def aws_env(server, tmp_path, access_key="test", region="us-east-1"):
    env = dict(os.environ)
    env.update({
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": region,
        "AWS_ENDPOINT_URL": server.url,
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "AWS_PAGER": "",
    })
    return env


@pytest.fixture
def aws(ekslite, tmp_path):
    """Runs the aws CLI against a fresh server: `aws("eks", "list-clusters")` returns the parsed JSON output (or the
    completed process when there is none, or when `check=False` and the command failed)."""
    server = ekslite()

    def run(*args, check=True, access_key="test", region="us-east-1"):
        result = subprocess.run(["aws", *args, "--output", "json"], capture_output=True, text=True,
                                env=aws_env(server, tmp_path, access_key, region), timeout=DEADLINE_SECONDS)
        if check and result.returncode != 0:
            pytest.fail(f"aws {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
        if result.returncode == 0 and result.stdout.lstrip().startswith(("{", "[")):
            return json.loads(result.stdout)
        return result

    run.server = server
    run.env = lambda **kw: aws_env(server, tmp_path, **kw)
    return run


def boto(server, service="eks", access_key="test", region="us-east-1"):
    """A boto3 client for `service` against `server`; `client.ekslite_server` is the server."""
    import boto3

    client = boto3.client(service, endpoint_url=server.url, region_name=region,
                          aws_access_key_id=access_key, aws_secret_access_key="test")
    client.ekslite_server = server
    return client


# What EKS needs before a cluster: a VPC with subnets in three zones and the IAM roles, made as a user's script
# makes them (EKS checks the roles' trust and policies and the subnets' zones).

AWS_POLICY = "arn:aws:iam::aws:policy/"


def trust(service):
    """A trust policy that lets `service` assume the role."""
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}


class EksPrereqs:
    """The network and roles of `make_eks_network_and_roles`."""

    def __init__(self, vpc, subnets, account):
        self.vpc = vpc
        self.subnets = subnets
        self.cluster_role = f"arn:aws:iam::{account}:role/eks-cluster"
        self.node_role = f"arn:aws:iam::{account}:role/eks-node"
        self.pod_role = f"arn:aws:iam::{account}:role/pod-execution"

    @property
    def vpc_config(self):
        """`--resources-vpc-config` for the aws CLI."""
        return "subnetIds=" + ",".join(self.subnets)

    @property
    def resources(self):
        """`resourcesVpcConfig` for boto3."""
        return {"subnetIds": list(self.subnets)}


ROLES = [
    ("eks-cluster", "eks.amazonaws.com", ["AmazonEKSClusterPolicy"]),
    ("eks-node", "ec2.amazonaws.com",
     ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly", "AmazonEKS_CNI_Policy"]),
    ("pod-execution", "eks-fargate-pods.amazonaws.com", ["AmazonEKSFargatePodExecutionRolePolicy"]),
]


def make_eks_network_and_roles(server, access_key="test", region="us-east-1") -> EksPrereqs:
    """A VPC (10.0.0.0/16) with a private subnet in each of the region's first three zones, and the cluster role
    (`eks-cluster`), node role (`eks-node`) and Fargate pod execution role (`pod-execution`) with their trust
    policies and managed policies. Roles that exist already (IAM is global) are kept."""
    ec2 = boto(server, "ec2", access_key, region)
    iam = boto(server, "iam", access_key, region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    zones = [zone["ZoneName"] for zone in ec2.describe_availability_zones()["AvailabilityZones"]][:3]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{index}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
               for index, zone in enumerate(zones)]
    for name, service, policies in ROLES:
        try:
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust(service)))
        except iam.exceptions.EntityAlreadyExistsException:
            continue
        for policy in policies:
            iam.attach_role_policy(RoleName=name, PolicyArn=AWS_POLICY + policy)
    account = boto(server, "sts", access_key, region).get_caller_identity()["Account"]
    return EksPrereqs(vpc, subnets, account)


def eks_prereqs_for(server, access_key="test", region="us-east-1") -> EksPrereqs:
    """`make_eks_network_and_roles` once per server, account key and region."""
    made = server.__dict__.setdefault("eks_prereqs", {})
    if (access_key, region) not in made:
        made[(access_key, region)] = make_eks_network_and_roles(server, access_key, region)
    return made[(access_key, region)]


@pytest.fixture
def eks_prereqs(aws) -> EksPrereqs:
    """The network and roles an EKS cluster needs, on the `aws` fixture's server."""
    return eks_prereqs_for(aws.server)


# A cluster whose pods run: an EKS cluster with a managed node group of t3.medium nodes over three AZs, made as a
# user's script makes it (VPC, subnets, roles with the seed's trust and managed policies), reached with the admin
# kubeconfig of `ekslite kubeconfig`.

ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")


class NodesCluster(Cluster):
    """An EKS cluster with running nodes: `kubectl` as its admin, `ec2`/`eks`/`autoscaling` boto3 clients."""

    def __init__(self, server, name, kubeconfig, eks_name, subnets):
        super().__init__(server, name, kubeconfig)
        self.eks_name = eks_name
        self.subnets = subnets
        self.ec2 = boto(server, "ec2")
        self.eks = boto(server, "eks")
        self.autoscaling = boto(server, "autoscaling")

    def ready_nodes(self) -> list[dict]:
        nodes = json.loads(self.kubectl("get", "nodes", "-o", "json").stdout)["items"]
        return [n for n in nodes if any(c["type"] == "Ready" and c["status"] == "True"
                                        for c in n.get("status", {}).get("conditions", []))]

    def fail(self, what: str, name: str, recover: bool = False):
        """Fails (or recovers) a node or a whole zone through the server's fault route."""
        action = "recover" if recover else "fail"
        request = urllib.request.Request(
            f"{self.server.url}/_ekslite/clusters/{self.name}/{what}/{name}/{action}", method="POST", data=b"")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200


def create_nodes_cluster(server, directory: Path, nodes: int = 3, instance_type: str = "t3.medium") -> NodesCluster:
    prereqs = eks_prereqs_for(server)
    subnets = boto(server, "ec2").describe_subnets(SubnetIds=prereqs.subnets)["Subnets"]
    eks = boto(server, "eks")
    eks.create_cluster(name="demo", roleArn=prereqs.cluster_role, resourcesVpcConfig=prereqs.resources)
    eks.get_waiter("cluster_active").wait(name="demo", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    eks.create_nodegroup(clusterName="demo", nodegroupName="workers", nodeRole=prereqs.node_role,
                         subnets=list(prereqs.subnets), instanceTypes=[instance_type],
                         scalingConfig={"minSize": 0, "maxSize": 10, "desiredSize": nodes})
    eks.get_waiter("nodegroup_active").wait(clusterName="demo", nodegroupName="workers",
                                            WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    name = "demo.us-east-1.000000000000"
    config = run_ekslite("kubeconfig", name, "--endpoint", server.url)
    assert config.returncode == 0, config.stderr
    kubeconfig = directory / "demo.kubeconfig"
    kubeconfig.write_text(config.stdout)
    cluster = NodesCluster(server, name, kubeconfig, "demo", subnets)
    wait_until(lambda: len(cluster.ready_nodes()) == nodes, f"{nodes} Ready nodes")
    if nodes:
        # As on EKS, the networking add-ons (aws-node, kube-proxy, CoreDNS) run before the cluster is put to work.
        def system_pods_run():
            pods = json.loads(cluster.kubectl("get", "pods", "-n", "kube-system", "-o", "json").stdout)["items"]
            return len(pods) >= 2 * nodes + 2 and all(
                p["status"].get("phase") == "Running"
                and all(c.get("ready") for c in p["status"].get("containerStatuses", [])) for p in pods)
        wait_until(system_pods_run, "the kube-system add-ons to run")
    return cluster


# Nodes that stop are noticed after 3 s and their pods leave 2 s later, so that failures play out in seconds.
FAST_NODE_FAILURES = ("--node-monitor-grace-period", "3", "--default-toleration-seconds", "2")


@pytest.fixture
def nodes_cluster(ekslite, tmp_path):
    """A server with an EKS cluster `demo` whose node group runs three t3.medium nodes, one per zone."""
    return create_nodes_cluster(ekslite(args=FAST_NODE_FAILURES), tmp_path)
