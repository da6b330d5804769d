#!/usr/bin/env python3
"""End-to-end benchmark of ekslite with the real clients: how fast an EKS cluster is usable (create-cluster to
ACTIVE to kubectl), how long `ekslite up` takes from nothing to three Ready nodes, and the EKS API's throughput and
latency through boto3 beside moto's server. Writes `<target>/bench/endtoend.json` and `<target>/bench/endtoend.md`.

Usage: python bench/endtoend.py [--binary PATH] [--quick] [--skip-moto] [--only SECTION ...] [--clusters N]
                                [--reads N] [--client-processes N]
Needs boto3, kubectl and the aws CLI on PATH (`source .clients/env.sh`), and moto unless --skip-moto;
`scripts/bench.sh` installs them all.
"""

import argparse
import contextlib
import datetime
import importlib.metadata
import importlib.util
import json
import multiprocessing
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

REPO = Path(__file__).resolve().parents[1]
REGION = "us-east-1"
ACCESS_KEY = "test"
SECRET_KEY = "test"

SERVER_START_DEADLINE_S = 60
SERVER_STOP_DEADLINE_S = 30
READINESS_DEADLINE_S = 120
READINESS_POLL_S = 0.01
UP_DEADLINE_S = 180
UP_NODES = 3
STATE_WAIT_DEADLINE_S = 180
STATE_POLL_S = 0.05
THREADS = 8
CLIENT_PROCESSES = 4
THREADS_PER_PROCESS = 4
WARMUP_CALLS_PER_CLIENT = 5
API_RATIO_GOAL = 20
CLIENT_SATURATED_PERCENT = 80

SECTIONS = ("readiness", "up", "api")

READINESS_ANCHORS = "real EKS 9–16 min · LocalStack 60–120 s · kind ~30 s"
READINESS_GOAL_S = 1.0
ANCHORS_JSON = {
    "real_eks_s": [540, 960],
    "localstack_s": [60, 120],
    "kind_s": 30,
    "ekslite_goal_s": READINESS_GOAL_S,
}

AWS_POLICY = "arn:aws:iam::aws:policy/"
ROLES = [
    ("eks-cluster", "eks.amazonaws.com", ["AmazonEKSClusterPolicy"]),
    ("eks-node", "ec2.amazonaws.com",
     ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly", "AmazonEKS_CNI_Policy"]),
    ("pod-execution", "eks-fargate-pods.amazonaws.com", ["AmazonEKSFargatePodExecutionRolePolicy"]),
]


class BenchError(Exception):
    """A measurement could not be made."""


# --- processes and polling -------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def poll(probe, what: str, deadline_s: float, interval_s: float):
    """Calls `probe` every `interval_s` until it returns something truthy, and returns that; fails after
    `deadline_s`."""
    end = time.monotonic() + deadline_s
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > end:
            raise BenchError(f"timed out after {deadline_s:g} s waiting for {what}")
        time.sleep(interval_s)


def http_status(url: str) -> int | None:
    """The HTTP status of a GET, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_bytes(pid: int) -> int:
    """The largest resident set a process has had."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise BenchError(f"no VmHWM for process {pid}")


def process_gone(pid: int) -> bool:
    """Whether the process has exited (gone, or a zombie no one has reaped yet)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")


def stop_pid(pid: int):
    """SIGTERM, then waits for the process to go (SIGKILL after the deadline)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    try:
        poll(lambda: process_gone(pid), f"process {pid} to stop", SERVER_STOP_DEADLINE_S, STATE_POLL_S)
    except BenchError:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


class Server:
    """A server process started by the benchmark on a free loopback port, logging to a file."""

    def __init__(self, name: str, command: list[str], port: int, log_path: Path, env: dict | None = None):
        self.name = name
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
                                        env=env)

    def wait_ready(self, path: str):
        """Waits until GET `path` answers 200."""
        poll(lambda: self._answers(path), f"{self.name} to answer on port {self.port}", SERVER_START_DEADLINE_S,
             STATE_POLL_S)

    def _answers(self, path: str) -> bool:
        if self.process.poll() is not None:
            raise BenchError(f"{self.name} exited with {self.process.returncode}; log:\n{self.log_tail()}")
        return http_status(self.url + path) == 200

    def log_tail(self, lines: int = 20) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.process.pid)

    def peak_rss_bytes(self) -> int:
        return peak_rss_bytes(self.process.pid)

    def stop(self):
        """SIGTERM, then waits for the exit (SIGKILL after the deadline)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=SERVER_STOP_DEADLINE_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def start_ekslite(stack: contextlib.ExitStack, binary: Path, directory: Path, args: tuple[str, ...] = ()) -> Server:
    """`ekslite serve` on SQLite in a fresh directory; stopped when `stack` closes."""
    port = free_port()
    directory.mkdir(parents=True)
    command = [str(binary), "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", str(directory / "data"), *args]
    server = Server("ekslite", command, port, directory / "ekslite.log")
    stack.callback(server.stop)
    server.wait_ready("/_ekslite/health")
    return server


def start_moto(stack: contextlib.ExitStack, directory: Path) -> Server:
    """moto's server, with AWS's managed policies loaded so that roles get the same policies as on ekslite;
    stopped when `stack` closes."""
    port = free_port()
    directory.mkdir(parents=True)
    env = dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="true")
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    server = Server("moto", command, port, directory / "moto.log", env=env)
    stack.callback(server.stop)
    server.wait_ready("/moto-api/")
    return server


# --- AWS clients -------------------------------------------------------------------------------------------------

def aws_client(url: str, service: str):
    """A boto3 client of its own session (safe to use from one thread), without retries so that every request
    counts once."""
    session = boto3.session.Session()
    return session.client(service, endpoint_url=url, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                          aws_secret_access_key=SECRET_KEY, config=Config(retries={"total_max_attempts": 1}))


def aws_cli_env(url: str, directory: Path) -> dict:
    """The environment for the aws CLI (and kubectl's `aws eks get-token`) against `url`, with no user config."""
    return dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
                AWS_DEFAULT_REGION=REGION, AWS_ENDPOINT_URL=url, AWS_PAGER="",
                AWS_CONFIG_FILE=str(directory / "no-aws-config"),
                AWS_SHARED_CREDENTIALS_FILE=str(directory / "no-aws-credentials"))


def trust(service: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})


@dataclass
class Prereqs:
    """What EKS needs before a cluster, node group or Fargate profile."""
    account: str
    subnets: list[str]
    role_arns: dict[str, str]


def make_prereqs(url: str) -> Prereqs:
    """As tests/e2e/conftest.py's `make_eks_network_and_roles`: a VPC with a subnet in each of the region's first
    three zones, and the cluster, node and Fargate pod execution roles with their trust and managed policies."""
    ec2, iam = aws_client(url, "ec2"), aws_client(url, "iam")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    zones = [zone["ZoneName"] for zone in ec2.describe_availability_zones()["AvailabilityZones"]][:3]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{index}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
               for index, zone in enumerate(zones)]
    role_arns = {}
    for name, service, policies in ROLES:
        role_arns[name] = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(service))["Role"]["Arn"]
        for policy in policies:
            iam.attach_role_policy(RoleName=name, PolicyArn=AWS_POLICY + policy)
    account = aws_client(url, "sts").get_caller_identity()["Account"]
    return Prereqs(account, subnets, role_arns)


def run_command(command: list[str], timeout_s: float, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, env=env,
                          stdin=subprocess.DEVNULL)


def must_run(command: list[str], timeout_s: float, env: dict | None = None) -> str:
    result = run_command(command, timeout_s, env)
    if result.returncode != 0:
        raise BenchError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


# --- figures -----------------------------------------------------------------------------------------------------

def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, round(fraction * len(sorted_values) + 0.5))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def spread(values: list[float]) -> dict:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def show_duration(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    if seconds < 120:
        return f"{seconds:.2f} s"
    return f"{seconds / 60:.1f} min"


def show_ms(milliseconds: float | None) -> str:
    return "—" if milliseconds is None else show_duration(milliseconds / 1e3)


def plural(count: int, noun: str) -> str:
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {noun}es" if noun.endswith("s") else f"{count} {noun}s"


def show_count(value: float) -> str:
    return f"{value:,.0f}"


def goal_mark(seconds: float) -> str:
    if seconds < READINESS_GOAL_S:
        return "goal < 1 s ✓"
    return f"goal < 1 s ✗ ({seconds / READINESS_GOAL_S:.1f}x)"


# --- 1. cluster readiness ----------------------------------------------------------------------------------------

def measure_readiness(binary: Path, workdir: Path, repetitions: int, kubectl: str, aws: str) -> dict:
    """create-cluster → ACTIVE (describe-cluster every 10 ms) → first successful `kubectl get nodes` with the
    admin kubeconfig of `ekslite kubeconfig`, as the e2e suite writes it; then, apart, the EKS user's path to the
    same command: `aws eks update-kubeconfig` and kubectl authenticating with `aws eks get-token`."""
    with contextlib.ExitStack() as stack:
        server = start_ekslite(stack, binary, workdir / "readiness")
        prereqs = make_prereqs(server.url)
        eks = aws_client(server.url, "eks")
        cli_env = aws_cli_env(server.url, workdir)
        runs = []
        for index in range(repetitions):
            name = f"ready-{index}"
            kubeconfig = workdir / f"{name}.kubeconfig"
            started = time.perf_counter()
            eks.create_cluster(name=name, roleArn=prereqs.role_arns["eks-cluster"],
                               resourcesVpcConfig={"subnetIds": prereqs.subnets})
            poll(lambda: eks.describe_cluster(name=name)["cluster"]["status"] == "ACTIVE",
                 f"cluster {name} to be ACTIVE", READINESS_DEADLINE_S, READINESS_POLL_S)
            active_s = time.perf_counter() - started
            kubernetes_name = f"{name}.{REGION}.{prereqs.account}"
            kubeconfig.write_text(must_run([str(binary), "kubeconfig", kubernetes_name, "--endpoint", server.url],
                                           READINESS_DEADLINE_S))
            attempts = 0

            def kubectl_answers():
                nonlocal attempts
                attempts += 1
                return run_command([kubectl, "--kubeconfig", str(kubeconfig), "get", "nodes"],
                                   READINESS_DEADLINE_S).returncode == 0

            poll(kubectl_answers, f"kubectl get nodes on {name}",
                 READINESS_DEADLINE_S - (time.perf_counter() - started), READINESS_POLL_S)
            ready_s = time.perf_counter() - started

            aws_kubeconfig = workdir / f"{name}.aws.kubeconfig"
            aws_started = time.perf_counter()
            must_run([aws, "eks", "update-kubeconfig", "--name", name, "--kubeconfig", str(aws_kubeconfig)],
                     READINESS_DEADLINE_S, cli_env)
            must_run([kubectl, "--kubeconfig", str(aws_kubeconfig), "get", "nodes"], READINESS_DEADLINE_S, cli_env)
            aws_path_s = time.perf_counter() - aws_started
            runs.append({"cluster": name, "create_to_active_s": active_s, "create_to_kubectl_s": ready_s,
                         "kubectl_attempts": attempts, "aws_update_kubeconfig_and_kubectl_s": aws_path_s})
            print(f"  {name}: ACTIVE {show_duration(active_s)}, kubectl {show_duration(ready_s)} "
                  f"({plural(attempts, 'attempt')}), aws CLI path {show_duration(aws_path_s)}", flush=True)
    return {
        "repetitions": repetitions,
        "poll_interval_s": READINESS_POLL_S,
        "runs": runs,
        "create_to_active_s": spread([run["create_to_active_s"] for run in runs]),
        "create_to_kubectl_s": spread([run["create_to_kubectl_s"] for run in runs]),
        "aws_update_kubeconfig_and_kubectl_s": spread([run["aws_update_kubeconfig_and_kubectl_s"] for run in runs]),
        "anchors": ANCHORS_JSON,
    }


# --- 2. ekslite up -----------------------------------------------------------------------------------------------

UP_STEP = re.compile(r"^(?P<step>[^:]+): (?P<outcome>.*) \((?P<at>[0-9.]+)s\)$")


def ready_node_count(kubectl: str, kubeconfig: Path, context: str) -> int:
    result = run_command([kubectl, "--kubeconfig", str(kubeconfig), "--context", context, "get", "nodes",
                          "-o", "json"], UP_DEADLINE_S)
    if result.returncode != 0:
        return 0
    return sum(1 for node in json.loads(result.stdout)["items"]
               if any(condition["type"] == "Ready" and condition["status"] == "True"
                      for condition in node.get("status", {}).get("conditions", [])))


def servers_serving(data_dir: Path) -> list[int]:
    """The ids of the `ekslite serve` processes of this user with `--data-dir data_dir` (what `ekslite up` starts,
    in its own process group)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != os.getuid():
                continue
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in argv and b"--data-dir" in argv and os.fsencode(data_dir) in argv:
            found.append(int(entry.name))
    return found


def measure_up(binary: Path, workdir: Path, kubectl: str) -> dict:
    """`ekslite up` from nothing (no server: it starts one) until kubectl on its context shows 3 Ready nodes, with
    the steps `up` reports; then `ekslite down`."""
    directory = workdir / "up"
    directory.mkdir()
    data_dir, kubeconfig = directory / "data", directory / "kubeconfig"
    name, context = "benchup", "ekslite-benchup"
    endpoint = f"http://127.0.0.1:{free_port()}"
    common = ["--name", name, "--endpoint", endpoint, "--kubeconfig", str(kubeconfig)]
    try:
        started = time.perf_counter()
        output = must_run([str(binary), "up", *common, "--nodes", str(UP_NODES), "--data-dir", str(data_dir)],
                          UP_DEADLINE_S)
        up_exit_s = time.perf_counter() - started
        poll(lambda: ready_node_count(kubectl, kubeconfig, context) >= UP_NODES,
             f"{UP_NODES} Ready nodes on context {context}", UP_DEADLINE_S - up_exit_s, STATE_POLL_S)
        ready_s = time.perf_counter() - started
        steps = [{"step": match["step"], "outcome": match["outcome"], "at_s": float(match["at"])}
                 for match in map(UP_STEP.match, output.splitlines()) if match]
        down_started = time.perf_counter()
        must_run([str(binary), "down", *common], UP_DEADLINE_S)
        down_s = time.perf_counter() - down_started
    finally:
        for pid in servers_serving(data_dir):
            stop_pid(pid)
    print(f"  up {show_duration(up_exit_s)}, {UP_NODES} Ready nodes {show_duration(ready_s)}, "
          f"down {show_duration(down_s)}", flush=True)
    return {"nodes": UP_NODES, "up_exit_s": up_exit_s, "up_to_ready_nodes_s": ready_s, "down_s": down_s,
            "steps": steps, "anchors": ANCHORS_JSON}


# --- 3. EKS API throughput and latency ---------------------------------------------------------------------------

def run_calls(clients: list, calls: list[tuple[str, dict]]) -> tuple[float, list[float], list[str], float]:
    """Runs `calls` ((method, arguments) pairs) on one thread per client, call i on client i mod N, all threads
    released together; the wall time, the latencies of the calls that succeeded, the errors and this process's
    CPU time over the same span."""
    count = len(clients)
    latencies: list[list[float]] = [[] for _ in clients]
    errors: list[list[str]] = [[] for _ in clients]
    barrier = threading.Barrier(count + 1)

    def work(index: int):
        client = clients[index]
        barrier.wait()
        for method, arguments in calls[index::count]:
            started = time.perf_counter()
            try:
                getattr(client, method)(**arguments)
            except (BotoCoreError, ClientError) as error:
                errors[index].append(f"{method}: {error}")
                continue
            latencies[index].append(time.perf_counter() - started)

    threads = [threading.Thread(target=work, args=(index,), daemon=True) for index in range(count)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started, started_cpu = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.join()
    wall, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    return (wall, [value for values in latencies for value in values], [error for group in errors for error in group],
            cpu)


@dataclass
class Batch:
    """What a load generator measured of one batch of calls."""
    wall_s: float
    latencies: list[float]
    errors: list[str]
    # CPU time of the load generator's processes while they ran the batch.
    client_cpu_s: float


class ThreadDriver:
    """The single-process load generator: `threads` threads in this process, each with its own boto3 client. The
    GIL lets it use about one core."""

    def __init__(self, url: str, threads: int):
        self.processes, self.threads = 1, threads
        self.clients = [aws_client(url, "eks") for _ in range(threads)]

    def run(self, calls: list[tuple[str, dict]]) -> Batch:
        return Batch(*run_calls(self.clients, calls))

    def close(self):
        pass


def client_process(pipe, url: str, threads: int, barrier):
    """A client process of `ProcessDriver`: runs the batches of calls it is sent on `threads` threads with a boto3
    client each, all processes released together by `barrier`, and sends back when it finished, the latencies,
    the errors and its CPU time."""
    clients = [aws_client(url, "eks") for _ in range(threads)]
    pipe.send("ready")
    while (calls := pipe.recv()) is not None:
        barrier.wait()
        _, latencies, errors, client_cpu = run_calls(clients, calls)
        pipe.send((time.monotonic(), latencies, errors, client_cpu))


class ProcessDriver:
    """The multi-process load generator: `processes` client processes (multiprocessing, spawned) with `threads`
    threads each, every thread with its own boto3 client; call i goes to process i mod N."""

    def __init__(self, url: str, processes: int, threads: int):
        self.processes, self.threads = processes, threads
        context = multiprocessing.get_context("spawn")
        self.barrier = context.Barrier(processes + 1)
        self.pipes, self.children = [], []
        for _ in range(processes):
            ours, theirs = context.Pipe()
            child = context.Process(target=client_process, args=(theirs, url, threads, self.barrier), daemon=True)
            child.start()
            self.pipes.append(ours)
            self.children.append(child)
        for pipe in self.pipes:
            if not pipe.poll(SERVER_START_DEADLINE_S) or pipe.recv() != "ready":
                raise BenchError("a client process did not start")

    def run(self, calls: list[tuple[str, dict]]) -> Batch:
        for index, pipe in enumerate(self.pipes):
            pipe.send(calls[index::self.processes])
        self.barrier.wait()
        started = time.monotonic()
        results = [pipe.recv() for pipe in self.pipes]
        return Batch(max(finished for finished, *_ in results) - started,
                     [value for _, latencies, _, _ in results for value in latencies],
                     [error for _, _, errors, _ in results for error in errors],
                     sum(cpu for *_, cpu in results))

    def close(self):
        for pipe in self.pipes:
            with contextlib.suppress(OSError):
                pipe.send(None)
        for child in self.children:
            child.join(SERVER_STOP_DEADLINE_S)
            if child.is_alive():
                child.kill()


def timed_operation(server: Server, driver, name: str, calls: list[tuple[str, dict]]) -> dict:
    """Times one operation: requests per second, latency percentiles, errors, the server's CPU time per request
    and the load generator's own CPU use."""
    server_cpu = server.cpu_seconds()
    batch = driver.run(calls)
    server_cpu = server.cpu_seconds() - server_cpu
    latencies = sorted(batch.latencies)
    result = {
        "requests": len(calls),
        "errors": len(batch.errors),
        "first_error": batch.errors[0] if batch.errors else None,
        "seconds": batch.wall_s,
        "requests_per_s": len(latencies) / batch.wall_s,
        "p50_ms": percentile(latencies, 0.50) * 1e3 if latencies else None,
        "p99_ms": percentile(latencies, 0.99) * 1e3 if latencies else None,
        "server_cpu_s": server_cpu,
        "server_cpu_per_request_us": server_cpu / len(calls) * 1e6,
        "server_cpu_percent_of_one_core": server_cpu / batch.wall_s * 100,
        "client_cpu_percent_of_one_core": batch.client_cpu_s / batch.wall_s * 100,
    }
    print(f"  {server.name} ({plural(driver.processes, 'client process')}) {name}: "
          f"{show_count(result['requests_per_s'])}/s, {show_duration(result['server_cpu_per_request_us'] / 1e6)} "
          f"server CPU per request" + (f", {len(batch.errors)} errors (first: {batch.errors[0]})" if batch.errors
                                        else ""), flush=True)
    return result


def wait_for_all(check, items: list, what: str) -> int:
    """Untimed, between operations: polls until `check(item)` passes for every item, probing only the first item
    not yet seen to pass on each round (so that the polling itself costs the server about one request per item);
    returns how many probes it took."""
    pending = list(items)
    probes = 0

    def settled():
        nonlocal probes
        while pending:
            probes += 1
            if not check(pending[0]):
                return False
            pending.pop(0)
        return True

    poll(settled, what, STATE_WAIT_DEADLINE_S, STATE_POLL_S)
    return probes


def status_is(describe, key: str, wanted: str):
    """A check that the resource `describe(item)` answers is in status `wanted`; a FAILED status is an error."""
    def check(item) -> bool:
        status = describe(item)[key]["status"]
        if "FAILED" in status:
            raise BenchError(f"{key} {item} is {status}")
        return status == wanted
    return check


def gone(eks, describe):
    """A check that `describe(item)` answers ResourceNotFoundException."""
    def check(item) -> bool:
        try:
            describe(item)
        except eks.exceptions.ResourceNotFoundException:
            return True
        return False
    return check


# What each write leaves to wait for, and the read whose cost stands for one probe of that wait.
SETTLED_BY = {
    "create_cluster": "describe_cluster", "create_nodegroup": "describe_nodegroup",
    "create_fargate_profile": "describe_fargate_profile", "delete_fargate_profile": "describe_fargate_profile",
    "delete_nodegroup": "describe_nodegroup", "delete_cluster": "describe_cluster",
}
# The goals on server CPU per request, moto's over ekslite's: reads and metadata writes, and the deletes.
# create_cluster and create_nodegroup start real work (an API server, nodes) and have none.
CPU_GOALS = {
    "describe_cluster": 20, "list_clusters": 20, "describe_nodegroup": 20, "create_fargate_profile": 20,
    "describe_fargate_profile": 20, "delete_fargate_profile": 5, "delete_nodegroup": 5, "delete_cluster": 5,
}
IDLE_SECONDS = 3


def api_workload(server: Server, driver, clusters: int, reads: int) -> dict:
    """The same EKS workload on one server through a load generator: creates, reads and deletes of clusters, node
    groups and Fargate profiles, after the same VPC, subnets and roles were made through its EC2 and IAM. The
    server's CPU is read around each operation, and for writes also until what they started has settled (the
    polling probes then subtracted at the server's own cost of the matching describe)."""
    prereqs = make_prereqs(server.url)
    eks = aws_client(server.url, "eks")
    names = [f"bench-{index:04d}" for index in range(clusters)]
    subnets = prereqs.subnets

    def describe_cluster(name):
        return eks.describe_cluster(name=name)

    def describe_nodegroup(name):
        return eks.describe_nodegroup(clusterName=name, nodegroupName="workers")

    def describe_profile(name):
        return eks.describe_fargate_profile(clusterName=name, fargateProfileName="default")

    def each_cluster(method, **arguments):
        return [(method, {"clusterName": name, **arguments}) for name in names]

    def round_robin(method, **arguments):
        return [(method, {"clusterName": names[index % clusters], **arguments}) for index in range(reads)]

    def settle(check, what):
        return lambda: wait_for_all(check, names, what)

    operations = [
        ("create_cluster",
         [("create_cluster", {"name": name, "roleArn": prereqs.role_arns["eks-cluster"],
                              "resourcesVpcConfig": {"subnetIds": subnets}}) for name in names],
         settle(status_is(describe_cluster, "cluster", "ACTIVE"), "clusters ACTIVE")),
        ("describe_cluster", [("describe_cluster", {"name": names[index % clusters]}) for index in range(reads)],
         None),
        ("list_clusters", [("list_clusters", {})] * reads, None),
        ("create_nodegroup",
         each_cluster("create_nodegroup", nodegroupName="workers", nodeRole=prereqs.role_arns["eks-node"],
                      subnets=subnets, instanceTypes=["t3.medium"],
                      scalingConfig={"minSize": 0, "maxSize": 2, "desiredSize": 1}),
         settle(status_is(describe_nodegroup, "nodegroup", "ACTIVE"), "node groups ACTIVE")),
        ("describe_nodegroup", round_robin("describe_nodegroup", nodegroupName="workers"), None),
        ("create_fargate_profile",
         each_cluster("create_fargate_profile", fargateProfileName="default",
                      podExecutionRoleArn=prereqs.role_arns["pod-execution"], subnets=subnets,
                      selectors=[{"namespace": "default"}]),
         settle(status_is(describe_profile, "fargateProfile", "ACTIVE"), "Fargate profiles ACTIVE")),
        ("describe_fargate_profile", round_robin("describe_fargate_profile", fargateProfileName="default"), None),
        ("delete_fargate_profile", each_cluster("delete_fargate_profile", fargateProfileName="default"),
         settle(gone(eks, describe_profile), "Fargate profiles deleted")),
        ("delete_nodegroup", each_cluster("delete_nodegroup", nodegroupName="workers"),
         settle(gone(eks, describe_nodegroup), "node groups deleted")),
        ("delete_cluster", [("delete_cluster", {"name": name}) for name in names],
         settle(gone(eks, describe_cluster), "clusters deleted")),
    ]
    driver.run([("list_clusters", {})] * (WARMUP_CALLS_PER_CLIENT * driver.processes * driver.threads))
    headers = eks.list_clusters()["ResponseMetadata"]["HTTPHeaders"]
    results = {}
    idle_percent = None
    for name, calls, settled in operations:
        started_cpu, started = server.cpu_seconds(), time.perf_counter()
        results[name] = timed_operation(server, driver, name, calls)
        if settled:
            results[name]["settle_probes"] = settled()
            results[name]["until_settled_s"] = time.perf_counter() - started
            results[name]["server_cpu_until_settled_s"] = server.cpu_seconds() - started_cpu
        if name == "create_nodegroup":
            # Every cluster and node group is up: what the server spends doing nothing asked of it.
            idle_cpu = server.cpu_seconds()
            time.sleep(IDLE_SECONDS)
            idle_percent = (server.cpu_seconds() - idle_cpu) / IDLE_SECONDS * 100
    for name, result in results.items():
        if "settle_probes" in result:
            probe_cost = results[SETTLED_BY[name]]["server_cpu_per_request_us"] / 1e6
            background = max(result["server_cpu_until_settled_s"] - result["settle_probes"] * probe_cost, 0.0)
            result["server_cpu_until_settled_per_request_us"] = background / result["requests"] * 1e6
    return {"operations": results, "server_peak_rss_bytes": server.peak_rss_bytes(),
            "server_idle_cpu_percent_of_one_core": idle_percent,
            "closes_connections": headers.get("connection", "").lower() == "close"}


def quotient(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, or None when either is missing or the denominator is zero."""
    return numerator / denominator if numerator is not None and denominator else None


def measure_api(binary: Path, workdir: Path, clusters: int, reads: int, with_moto: bool, processes: int) -> dict:
    """The EKS workload on ekslite, then on moto's server (one server running at a time), each first driven by
    the single-process load generator and then, on a fresh server, by `processes` client processes; and their
    ratios."""
    servers = {}
    drivers = {"one": lambda url: ThreadDriver(url, THREADS),
               "many": lambda url: ProcessDriver(url, processes, THREADS_PER_PROCESS)}
    starts = {"ekslite": lambda stack, directory: start_ekslite(stack, binary, directory,
                                                                ("--max-clusters", str(clusters)))}
    if with_moto:
        starts["moto"] = start_moto
    for name, start in starts.items():
        runs = {}
        for kind, make_driver in drivers.items():
            with contextlib.ExitStack() as stack:
                server = start(stack, workdir / f"api-{name}-{kind}")
                driver = make_driver(server.url)
                stack.callback(driver.close)
                runs[kind] = api_workload(server, driver, clusters, reads)
        servers[name] = {**runs["one"], "many_clients": runs["many"]}
    ratios = {}
    if with_moto:
        for name, ours in servers["ekslite"]["operations"].items():
            theirs = servers["moto"]["operations"][name]
            ours_many = servers["ekslite"]["many_clients"]["operations"][name]
            theirs_many = servers["moto"]["many_clients"]["operations"][name]
            ratios[name] = {
                "throughput_ratio": quotient(ours["requests_per_s"], theirs["requests_per_s"]),
                "throughput_ratio_many_clients": quotient(ours_many["requests_per_s"], theirs_many["requests_per_s"]),
                "p50_latency_ratio": quotient(theirs["p50_ms"], ours["p50_ms"]),
                "server_cpu_per_request_ratio": quotient(theirs["server_cpu_per_request_us"],
                                                         ours["server_cpu_per_request_us"]),
                "server_cpu_per_request_ratio_many_clients": quotient(theirs_many["server_cpu_per_request_us"],
                                                                      ours_many["server_cpu_per_request_us"]),
                "server_cpu_until_settled_ratio": quotient(theirs.get("server_cpu_until_settled_per_request_us"),
                                                           ours.get("server_cpu_until_settled_per_request_us")),
                "server_cpu_until_settled_ratio_many_clients": quotient(
                    theirs_many.get("server_cpu_until_settled_per_request_us"),
                    ours_many.get("server_cpu_until_settled_per_request_us")),
                "cpu_goal": CPU_GOALS.get(name),
            }
    return {"threads": THREADS, "client_processes": processes, "threads_per_client_process": THREADS_PER_PROCESS,
            "clusters": clusters, "reads": reads, "cores": os.cpu_count(), "cpu_goals": CPU_GOALS,
            "goal_throughput_ratio": API_RATIO_GOAL, "servers": servers, "ekslite_over_moto": ratios}


# --- the machine and the report ----------------------------------------------------------------------------------

def machine() -> dict:
    """CPU model, cores, memory, OS, kernel, and the load when the run started."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                  if line.startswith("model name")), platform.processor() or "unknown CPU")
    memory_kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal:"))
    release = dict(line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line)
    return {
        "cpu_model": model,
        "cores": os.cpu_count(),
        "memory_bytes": memory_kib * 1024,
        "os": release.get("PRETTY_NAME", "unknown").strip('"'),
        "kernel": f"{platform.system()} {platform.release()}",
        "load_average_1m_at_start": os.getloadavg()[0],
    }


def client_versions(binary: Path, kubectl: str, aws: str, with_moto: bool) -> dict:
    """The versions of ekslite and of the clients and servers it is measured with."""
    versions = {
        "ekslite": must_run([str(binary), "--version"], 30).split()[-1],
        "kubectl": json.loads(must_run([kubectl, "version", "--client", "-o", "json"], 30))["clientVersion"][
            "gitVersion"],
        "aws CLI": must_run([aws, "--version"], 30).split()[0].removeprefix("aws-cli/"),
        "boto3": boto3.__version__,
        "Python": platform.python_version(),
    }
    if with_moto:
        versions["moto"] = importlib.metadata.version("moto")
    return versions


def markdown(report: dict) -> str:
    """The report as a short markdown page: a section and a table per measurement."""
    host = report["machine"]
    lines = [
        "# End-to-end benchmark",
        "",
        f"Machine: {host['cpu_model']}, {host['cores']} cores, {host['memory_bytes'] / 2**30:.1f} GiB RAM, "
        f"{host['os']}, {host['kernel']}, {report['timestamp']}",
        "",
        "Clients: " + ", ".join(f"{name} {version}" for name, version in report["versions"].items())
        + f". Load average at start: {host['load_average_1m_at_start']:.2f}."
        + (" Quick run (small counts): a smoke test, not figures to quote." if report["quick"] else ""),
        "",
    ]
    if "cluster_readiness" in report:
        lines += readiness_markdown(report["cluster_readiness"])
    if "ekslite_up" in report:
        lines += up_markdown(report["ekslite_up"])
    if "eks_api" in report:
        lines += api_markdown(report["eks_api"])
    lines.append(f"The whole run took {show_duration(report['run_seconds'])}.")
    return "\n".join(lines) + "\n"


def readiness_markdown(readiness: dict) -> list[str]:
    rows = [
        ("create-cluster → ACTIVE", readiness["create_to_active_s"]),
        ("create-cluster → first successful `kubectl get nodes`", readiness["create_to_kubectl_s"]),
    ]
    lines = [
        "## Cluster readiness",
        "",
        f"On a fresh server (SQLite), {plural(readiness['repetitions'], 'cluster')} one after the other: boto3's "
        "create-cluster, describe-cluster every 10 ms until ACTIVE, then `ekslite kubeconfig` (the admin "
        "certificate, as the e2e suite writes it) and `kubectl get nodes` until it succeeds.",
        "",
        "| measure | min | median | max | anchors and goal |",
        "|---|---:|---:|---:|---|",
    ]
    for label, figures in rows:
        lines.append(f"| {label} | {show_duration(figures['min'])} | {show_duration(figures['median'])} | "
                     f"{show_duration(figures['max'])} | {READINESS_ANCHORS} · {goal_mark(figures['median'])} |")
    aws_path = readiness["aws_update_kubeconfig_and_kubectl_s"]
    lines.append(f"| then, apart: `aws eks update-kubeconfig` + `kubectl get nodes` with `aws eks get-token` | "
                 f"{show_duration(aws_path['min'])} | {show_duration(aws_path['median'])} | "
                 f"{show_duration(aws_path['max'])} | the EKS user's client path, on a ready cluster |")
    comparison = "more" if aws_path["median"] > readiness["create_to_kubectl_s"]["median"] else "less"
    lines += [
        "",
        "The last row is what an EKS user's own clients add on top: two runs of the aws CLI (a Python program; "
        "one writes the kubeconfig, one makes the token kubectl sends) and kubectl. It is mostly client start-up, "
        f"and at the median it took {comparison} than making the cluster and reaching it.",
        "",
    ]
    return lines


def up_markdown(up: dict) -> list[str]:
    ready = up["up_to_ready_nodes_s"]
    lines = [
        "## `ekslite up`",
        "",
        f"From nothing (no server running: `up` starts one in a fresh data directory) to kubectl on the new "
        f"context showing {up['nodes']} Ready nodes; then `ekslite down`.",
        "",
        "| measure | seconds | anchors and goal |",
        "|---|---:|---|",
        f"| `ekslite up` until it exits | {show_duration(up['up_exit_s'])} | |",
        f"| `ekslite up` → kubectl shows {up['nodes']} Ready nodes | {show_duration(ready)} | "
        f"{READINESS_ANCHORS} · {goal_mark(ready)} |",
        f"| `ekslite down` | {show_duration(up['down_s'])} | |",
        "",
        "Where `up`'s time goes, from its own progress lines (elapsed since it started):",
        "",
        "| step | at | outcome |",
        "|---|---:|---|",
    ]
    lines += [f"| {step['step']} | {step['at_s']:.1f} s | {step['outcome']} |" for step in up["steps"]]
    lines += [
        "",
        "`up` polls every 200 ms while it waits for the cluster, the node group and the nodes, so up to about "
        "0.6 s of its time can be polling granularity rather than work.",
        "",
    ]
    return lines


def api_markdown(api: dict) -> list[str]:
    servers = api["servers"]
    ours = servers["ekslite"]["operations"]
    ours_many = servers["ekslite"]["many_clients"]["operations"]
    theirs = servers.get("moto", {}).get("operations")
    theirs_many = servers.get("moto", {}).get("many_clients", {}).get("operations")
    ratios = api["ekslite_over_moto"]
    processes, per_process, cores = api["client_processes"], api["threads_per_client_process"], api["cores"]
    lines = [
        "## EKS API: ekslite and moto",
        "",
        f"The same workload on each server, one server running at a time: {api['clusters']} creates and deletes "
        f"per kind and {api['reads']} calls per read operation, after the same VPC, subnets and roles were made "
        "through the server's own EC2 and IAM APIs and a few warm-up calls. Clusters, node groups (one t3.medium "
        "node each) and Fargate profiles are waited for between operations; ekslite's deletes are asynchronous "
        "(DELETING, then gone), so a delete row times the API call only. ekslite runs on SQLite with "
        f"`--max-clusters {api['clusters']}`. Each server runs the workload twice, fresh each time: driven by one "
        f"Python process ({api['threads']} threads, each with its own boto3 client, no retries), then by "
        f"{plural(processes, 'client process')} of {per_process} threads each.",
        "",
    ]
    if theirs is None:
        lines += ["moto was skipped (`--skip-moto`).", ""]
    lines += [
        "### Requests per second",
        "",
        f"| operation | requests | ekslite /s, 1 process | p50 | p99 | ekslite /s, {processes} processes | "
        f"moto /s, 1 process | p50 | p99 | moto /s, {processes} processes | ekslite/moto, 1 · {processes} |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, figures in ours.items():
        cells = [f"`{name}`", show_count(figures["requests"]), show_count(figures["requests_per_s"]),
                 show_ms(figures["p50_ms"]), show_ms(figures["p99_ms"]), show_count(ours_many[name]["requests_per_s"])]
        if theirs is None:
            cells += ["—"] * 5
        else:
            other, ratio = theirs[name], ratios[name]
            cells += [show_count(other["requests_per_s"]), show_ms(other["p50_ms"]), show_ms(other["p99_ms"]),
                      show_count(theirs_many[name]["requests_per_s"]),
                      f"{show_ratio(ratio['throughput_ratio'])} · {show_ratio(ratio['throughput_ratio_many_clients'])}"]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        f"How busy the load generators were (their processes' CPU time over the operation's wall time, in cores; "
        f"this machine has {cores}): the one process is held to about one core by the GIL; the "
        f"{processes} processes are not, but they share the {cores} cores with the server, so where clients and "
        f"server together use about {cores} cores, the machine, not the client's design, is the limit.",
        "",
        f"| operation | ekslite: client cores, 1 process | server cores | client cores, {processes} processes | "
        f"server cores | moto: client cores, 1 process | server cores | client cores, {processes} processes | "
        "server cores |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in ours:
        cells = [f"`{name}`"]
        for figures in [ours[name], ours_many[name]] + ([theirs[name], theirs_many[name]] if theirs else []):
            cells += [f"{figures['client_cpu_percent_of_one_core'] / 100:.2f}",
                      f"{figures['server_cpu_percent_of_one_core'] / 100:.2f}"]
        cells += ["—"] * (9 - len(cells))
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "### Server CPU per request",
        "",
        "The server process's user and system time from /proc (10 ms ticks, so coarse for small counts) over the "
        "operation's calls, divided by the calls. It compares the servers without the client, though ekslite's "
        "includes what its clusters do meanwhile (controllers, scheduler, node agents, leases), which moto does "
        "not have: idle, with every cluster and node group up, ekslite used "
        f"{idle_share(servers['ekslite'])} and moto {idle_share(servers.get('moto'))}. Goals: moto's CPU per "
        "request at least 20x ekslite's on every read and metadata write, at least 5x on every delete; "
        "create_cluster and create_nodegroup start real work (a Kubernetes API server, nodes) and have none.",
        "",
        f"| operation | ekslite, 1 process | ekslite, {processes} processes | moto, 1 process | "
        f"moto, {processes} processes | moto/ekslite, 1 · {processes} | goal |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name in ours:
        cells = [f"`{name}`", cpu_cell(ours[name]), cpu_cell(ours_many[name])]
        if theirs is None:
            cells += ["—"] * 3 + [goal_cell(CPU_GOALS.get(name), [])]
        else:
            ratio = ratios[name]
            pair = [ratio["server_cpu_per_request_ratio"], ratio["server_cpu_per_request_ratio_many_clients"]]
            cells += [cpu_cell(theirs[name]), cpu_cell(theirs_many[name]),
                      f"{show_ratio(pair[0])} · {show_ratio(pair[1])}", goal_cell(CPU_GOALS.get(name), pair)]
        lines.append("| " + " | ".join(cells) + " |")
    settled = [name for name in ours if "server_cpu_until_settled_per_request_us" in ours[name]]
    lines += [
        "",
        "The writes start work that goes on after the call answers: ekslite's deletes release what the resource "
        "held in the background (the reconciler: a cluster's Kubernetes API server, its objects and security "
        "group; a node group's instances), and its creates start API servers and nodes. The next table counts the "
        "server's CPU from the first call until every resource has reached its state (ACTIVE, or gone), divided "
        "by the calls; the benchmark's own polling then, about one describe per resource, is taken out at the "
        "server's own CPU cost of that describe.",
        "",
        f"| operation | ekslite, 1 process | ekslite, {processes} processes | moto, 1 process | "
        f"moto, {processes} processes | moto/ekslite, 1 · {processes} | goal |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name in settled:
        cells = [f"`{name}`", settled_cell(ours[name]), settled_cell(ours_many[name])]
        if theirs is None:
            cells += ["—"] * 3 + [goal_cell(CPU_GOALS.get(name), [])]
        else:
            ratio = ratios[name]
            pair = [ratio["server_cpu_until_settled_ratio"], ratio["server_cpu_until_settled_ratio_many_clients"]]
            cells += [settled_cell(theirs[name]), settled_cell(theirs_many[name]),
                      f"{show_ratio(pair[0])} · {show_ratio(pair[1])}", goal_cell(CPU_GOALS.get(name), pair)]
        lines.append("| " + " | ".join(cells) + " |")
    peaks = ", ".join(f"{name} {figures['server_peak_rss_bytes'] / 2**20:.0f} MiB"
                      for name, figures in servers.items())
    lines += ["", f"Peak server memory (resident, single-process runs): {peaks}."]
    closing = [name for name, figures in servers.items() if figures["closes_connections"]]
    if closing:
        lines.append(" and ".join(closing) + " closed the connection after every answer (`Connection: close`), so "
                     "each of its requests also paid for a new TCP connection: that is how it ships.")
    lines.append("")
    lines += api_findings(api)
    return lines


def show_ratio(ratio: float | None) -> str:
    return "—" if ratio is None else f"{ratio:.1f}x"


def cpu_cell(figures: dict) -> str:
    return show_duration(figures["server_cpu_per_request_us"] / 1e6)


def settled_cell(figures: dict) -> str:
    return show_duration(figures["server_cpu_until_settled_per_request_us"] / 1e6)


def idle_share(server: dict | None) -> str:
    if not server or server.get("server_idle_cpu_percent_of_one_core") is None:
        return "—"
    return f"{server['server_idle_cpu_percent_of_one_core']:.1f}% of a core"


def goal_cell(goal: int | None, ratios: list[float | None]) -> str:
    """The goal, and whether each measured ratio meets it."""
    if goal is None:
        return "none"
    marks = " · ".join("—" if ratio is None else "✓" if ratio >= goal else "✗" for ratio in ratios)
    return f"≥ {goal}x {marks}".rstrip()


def api_findings(api: dict) -> list[str]:
    """Plain statements, as a list, of failed requests, of the CPU goals missed and of where moto does better."""
    servers, ratios = api["servers"], api["ekslite_over_moto"]
    runs = [(server, "1 process", figures) for server, figures in servers.items()]
    runs += [(server, f"{api['client_processes']} processes", figures["many_clients"])
             for server, figures in servers.items()]
    findings = [f"{server} ({driver}) failed {result['errors']} of {result['requests']} `{name}` requests "
                f"(first: {result['first_error']})."
                for server, driver, figures in runs for name, result in figures["operations"].items()
                if result["errors"]]

    def missed(key: str) -> list[str]:
        return [f"`{name}` ({ratio[key]:.1f}x, goal {ratio['cpu_goal']}x)" for name, ratio in ratios.items()
                if ratio["cpu_goal"] and ratio[key] is not None and ratio[key] < ratio["cpu_goal"]]

    for key, what in [("server_cpu_per_request_ratio_many_clients",
                       f"server CPU per request over the calls, {api['client_processes']} client processes"),
                      ("server_cpu_per_request_ratio", "server CPU per request over the calls, 1 client process"),
                      ("server_cpu_until_settled_ratio_many_clients",
                       f"server CPU per request until settled, {api['client_processes']} client processes")]:
        if below := missed(key):
            findings.append(f"Goal missed on {what}: {', '.join(below)}.")
    slower = [f"`{name}` ({ratio['throughput_ratio_many_clients']:.1f}x)" for name, ratio in ratios.items()
              if ratio["throughput_ratio_many_clients"] is not None and ratio["throughput_ratio_many_clients"] < 1]
    if slower:
        findings.append(f"moto serves more requests per second than ekslite with {api['client_processes']} client "
                        f"processes on {', '.join(slower)}.")
    saturated = [f"`{name}`" for name, result in servers["ekslite"]["operations"].items()
                 if result["client_cpu_percent_of_one_core"] >= CLIENT_SATURATED_PERCENT]
    if saturated:
        findings.append(f"The one Python client process was the limit on ekslite's run for {', '.join(saturated)} "
                        f"(≥ {CLIENT_SATURATED_PERCENT}% of a core).")
    if not findings:
        return []
    return ["Findings:", ""] + [f"- {finding}" for finding in findings] + [""]


# --- main --------------------------------------------------------------------------------------------------------

def target_dir() -> Path:
    path = Path(os.environ.get("CARGO_TARGET_DIR", "target"))
    return path if path.is_absolute() else REPO / path


def parse_arguments() -> argparse.Namespace:
    default_binary = os.environ.get("EKSLITE_BIN") or str(target_dir() / "release" / "ekslite")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default=default_binary,
                        help="the ekslite binary (default: $EKSLITE_BIN, else target/release/ekslite)")
    parser.add_argument("--quick", action="store_true", help="small counts, to check that the benchmark runs")
    parser.add_argument("--skip-moto", action="store_true", help="measure ekslite alone, without moto's server")
    parser.add_argument("--only", action="append", choices=SECTIONS, metavar="SECTION",
                        help=f"run only this section ({', '.join(SECTIONS)}); may be given more than once")
    parser.add_argument("--clusters", type=positive, metavar="N",
                        help="clusters (and node groups and Fargate profiles) the API section creates and deletes "
                             "(default 200; 10 with --quick)")
    parser.add_argument("--reads", type=positive, metavar="N",
                        help="calls per read operation in the API section (default 2000; 50 with --quick)")
    parser.add_argument("--client-processes", type=positive, metavar="N", default=CLIENT_PROCESSES,
                        help="client processes of the API section's second load generator, "
                             f"{THREADS_PER_PROCESS} threads each (default {CLIENT_PROCESSES})")
    return parser.parse_args()


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def required_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        sys.exit(f"endtoend: no {name} on PATH: run scripts/bench.sh, or `source .clients/env.sh` after "
                 "scripts/install-test-clients.sh")
    return path


def main():
    arguments = parse_arguments()
    binary = Path(arguments.binary).resolve()
    if not binary.is_file():
        sys.exit(f"endtoend: no ekslite binary at {binary}: build it with `cargo build --release -p ekslite`, "
                 "or pass --binary")
    with_moto = not arguments.skip_moto
    if with_moto and importlib.util.find_spec("moto") is None:
        sys.exit(f"endtoend: moto is not installed for {sys.executable}: run scripts/bench.sh, which installs it, "
                 "or pass --skip-moto")
    kubectl, aws = required_tool("kubectl"), required_tool("aws")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    repetitions, clusters, reads = (1, 10, 50) if arguments.quick else (5, 200, 2000)
    clusters, reads = arguments.clusters or clusters, arguments.reads or reads
    sections = arguments.only or SECTIONS

    started = time.perf_counter()
    report = {
        "benchmark": "endtoend",
        "timestamp": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "quick": arguments.quick,
        "machine": machine(),
        "versions": client_versions(binary, kubectl, aws, with_moto),
    }
    with tempfile.TemporaryDirectory(prefix="ekslite-endtoend-") as scratch:
        workdir = Path(scratch)
        if "readiness" in sections:
            print("cluster readiness", flush=True)
            report["cluster_readiness"] = measure_readiness(binary, workdir, repetitions, kubectl, aws)
        if "up" in sections:
            print("ekslite up", flush=True)
            report["ekslite_up"] = measure_up(binary, workdir, kubectl)
        if "api" in sections:
            print("EKS API throughput", flush=True)
            report["eks_api"] = measure_api(binary, workdir, clusters, reads, with_moto, arguments.client_processes)
    report["run_seconds"] = time.perf_counter() - started

    results = target_dir() / "bench"
    results.mkdir(parents=True, exist_ok=True)
    (results / "endtoend.json").write_text(json.dumps(report, indent=2) + "\n")
    (results / "endtoend.md").write_text(markdown(report))
    print(f"wrote {results / 'endtoend.json'} and {results / 'endtoend.md'}")


if __name__ == "__main__":
    main()
