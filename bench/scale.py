#!/usr/bin/env python3
"""EC2 at cluster scale, as a new user would drive it: the release binary on SQLite, the aws CLI, kubectl. One EKS
cluster in a VPC with a secondary CIDR block, managed node groups of m5.xlarge nodes, a Deployment with a number of
pods per node; then one `aws ec2 create-tags` on the VPC, measured by what it stores (read back from the SQLite log),
and `aws ec2 describe-instances` paging through every instance with its addresses. Writes
`<target>/bench/scale.json` and `<target>/bench/scale.md`.

Usage: python bench/scale.py [--binary PATH] [--nodes 2000] [--nodegroups 5] [--pods-per-node 30]
Needs the aws CLI and kubectl on PATH (`source .clients/env.sh`).
"""

import argparse
import contextlib
import datetime
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from endtoend import BenchError, free_port, http_status, machine, peak_rss_bytes, poll, target_dir

REGION = "us-east-1"
INSTANCE_TYPE = "m5.xlarge"
ZONES = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"]
# The VPC's primary block and the secondary one pods and nodes also take addresses from; each split in four /18s.
BLOCKS = ["10.0.0.0/16", "10.1.0.0/16"]
TAG_GOAL_BYTES = 4096
RECORD_GOAL_BYTES = 64 * 1024
DEADLINE_S = 1800
POLL_S = 1.0
START_POLL_S = 0.05


class Clients:
    """The aws CLI and kubectl, pointed at the server."""

    def __init__(self, url: str, directory: Path):
        self.env = dict(os.environ, AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                        AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE=str(directory / "aws-config"),
                        AWS_SHARED_CREDENTIALS_FILE=str(directory / "aws-credentials"), AWS_PAGER="")
        self.kubeconfig = directory / "kubeconfig"

    def aws(self, *args: str) -> dict:
        done = subprocess.run(["aws", *args, "--output", "json"], env=self.env, capture_output=True, text=True,
                              timeout=600)
        if done.returncode != 0:
            raise BenchError(f"aws {' '.join(args)}: {done.stderr.strip()}")
        return json.loads(done.stdout) if done.stdout.strip() else {}

    def kubectl(self, *args: str) -> str:
        done = subprocess.run(["kubectl", "--kubeconfig", str(self.kubeconfig), *args], capture_output=True,
                              text=True, timeout=600)
        if done.returncode != 0:
            raise BenchError(f"kubectl {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout


def trust(service: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})


def role(clients: Clients, name: str, service: str, policies: list[str]) -> str:
    arn = clients.aws("iam", "create-role", "--role-name", name, "--assume-role-policy-document",
                      trust(service))["Role"]["Arn"]
    for policy in policies:
        clients.aws("iam", "attach-role-policy", "--role-name", name, "--policy-arn",
                    f"arn:aws:iam::aws:policy/{policy}")
    return arn


def network(clients: Clients) -> tuple[str, list[str]]:
    vpc = clients.aws("ec2", "create-vpc", "--cidr-block", BLOCKS[0])["Vpc"]["VpcId"]
    for block in BLOCKS[1:]:
        clients.aws("ec2", "associate-vpc-cidr-block", "--vpc-id", vpc, "--cidr-block", block)
    subnets = []
    for block in BLOCKS:
        prefix = block.rsplit(".", 2)[0]
        for quarter, zone in enumerate(ZONES):
            created = clients.aws("ec2", "create-subnet", "--vpc-id", vpc, "--availability-zone", zone,
                                  "--cidr-block", f"{prefix}.{quarter * 64}.0/18")
            subnets.append(created["Subnet"]["SubnetId"])
    return vpc, subnets


def log_bytes_since(database: Path, revision: int, key_like: str) -> tuple[int, int]:
    """Bytes (keys and values) and rows written to the SQLite log after `revision` under keys LIKE `key_like`."""
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        row = connection.execute(
            "SELECT COALESCE(SUM(LENGTH(key) + LENGTH(value)), 0), COUNT(*) FROM log WHERE revision > ? AND key LIKE ?",
            (revision, key_like)).fetchone()
    return int(row[0]), int(row[1])


def log_revision(database: Path) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        return int(connection.execute("SELECT COALESCE(MAX(revision), 0) FROM log").fetchone()[0])


def largest_record(database: Path) -> tuple[int, str]:
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        row = connection.execute("SELECT LENGTH(value), key FROM log ORDER BY LENGTH(value) DESC LIMIT 1").fetchone()
    return (int(row[0]), row[1]) if row else (0, "")


def shares(count: int, parts: int) -> list[int]:
    return [count // parts + (1 if part < count % parts else 0) for part in range(parts)]


def measure(binary: Path, workdir: Path, nodes: int, nodegroups: int, pods_per_node: int) -> dict:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    data = workdir / "data"
    log = open(workdir / "ekslite.log", "ab")
    server = subprocess.Popen([str(binary), "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", str(data)],
                              stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        poll(lambda: server.poll() is None and http_status(url + "/_ekslite/health") == 200, "the server to answer", 60,
             START_POLL_S)
        clients = Clients(url, workdir)
        results = {"nodes": nodes, "nodegroups": nodegroups, "pods_per_node": pods_per_node}
        started = time.monotonic()
        cluster_role = role(clients, "scale-cluster", "eks.amazonaws.com", ["AmazonEKSClusterPolicy"])
        node_role = role(clients, "scale-node", "ec2.amazonaws.com",
                         ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly", "AmazonEKS_CNI_Policy"])
        vpc, subnets = network(clients)
        clients.aws("eks", "create-cluster", "--name", "scale", "--role-arn", cluster_role,
                    "--resources-vpc-config", f"subnetIds={','.join(subnets)}")
        clients.aws("eks", "wait", "cluster-active", "--name", "scale")
        subprocess.run([str(binary), "kubeconfig", f"scale.{REGION}.000000000000", "--endpoint", url],
                       stdout=open(clients.kubeconfig, "w"), check=True, timeout=60)
        groups_started = time.monotonic()
        for group, size in enumerate(shares(nodes, nodegroups)):
            clients.aws("eks", "create-nodegroup", "--cluster-name", "scale", "--nodegroup-name", f"group-{group}",
                        "--node-role", node_role, "--subnets", *subnets, "--instance-types", INSTANCE_TYPE,
                        "--scaling-config", f"minSize={size},maxSize={size},desiredSize={size}")

        def ready_nodes() -> int:
            listed = json.loads(clients.kubectl("get", "nodes", "-o", "json"))
            return sum(1 for node in listed["items"] if any(
                c["type"] == "Ready" and c["status"] == "True" for c in node.get("status", {}).get("conditions", [])))

        poll(lambda: ready_nodes() == nodes, f"{nodes} Ready nodes", DEADLINE_S, POLL_S)
        results["nodes_ready_s"] = time.monotonic() - groups_started
        print(f"{nodes} nodes Ready in {results['nodes_ready_s']:.1f} s", flush=True)

        pods = nodes * pods_per_node
        pods_started = time.monotonic()
        clients.kubectl("create", "deployment", "scale", "--image=nginx", f"--replicas={pods}")

        def pods_ready() -> bool:
            status = json.loads(clients.kubectl("get", "deployment", "scale", "-o", "json")).get("status", {})
            return status.get("readyReplicas", 0) == pods

        poll(pods_ready, f"{pods} Ready pods", DEADLINE_S, POLL_S)
        results["pods"] = pods
        results["pods_ready_s"] = time.monotonic() - pods_started
        print(f"{pods} pods Ready in {results['pods_ready_s']:.1f} s", flush=True)

        database = data / "ekslite.db"
        before = log_revision(database)
        clients.aws("ec2", "create-tags", "--resources", vpc, "--tags", "Key=team,Value=platform")
        tag_bytes, tag_rows = log_bytes_since(database, before, "/aws/%/ec2/%")
        results["create_tags_bytes"] = tag_bytes
        results["create_tags_rows"] = tag_rows
        print(f"create-tags on the VPC stored {tag_bytes} bytes in {tag_rows} rows", flush=True)

        paging = time.monotonic()
        listed = clients.aws("ec2", "describe-instances", "--page-size", "1000", "--query",
                             "Reservations[].Instances[].[InstanceId, PrivateIpAddress, State.Name]")
        results["describe_instances_s"] = time.monotonic() - paging
        results["instances_listed"] = len(listed)
        results["instances_with_address"] = sum(1 for _, address, state in listed if address and state == "running")
        if results["instances_with_address"] != nodes:
            raise BenchError(f"describe-instances listed {results['instances_with_address']} running instances with "
                             f"addresses, not {nodes}")
        print(f"describe-instances listed {len(listed)} instances in {results['describe_instances_s']:.1f} s",
              flush=True)

        size, key = largest_record(database)
        results["largest_record_bytes"] = size
        results["largest_record_key"] = key
        results["database_bytes"] = sum(path.stat().st_size for path in data.glob("ekslite.db*"))
        results["server_peak_rss_bytes"] = peak_rss_bytes(server.pid)
        results["total_s"] = time.monotonic() - started
        return results
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def markdown(report: dict) -> str:
    r = report["results"]
    box = report["machine"]
    lines = [
        "# EC2 at cluster scale",
        "",
        f"Machine: {box['cpu_model']}, {box['cores']} cores, {box['memory_bytes'] / 2**30:.1f} GiB RAM, {box['os']}, "
        f"{box['kernel']}, {report['timestamp']}",
        "",
        f"`ekslite serve` (release build, SQLite) driven by the aws CLI and kubectl: one EKS cluster, its VPC with a "
        f"secondary CIDR block and eight /18 subnets in four zones, {r['nodegroups']} managed node groups with "
        f"{r['nodes']:,} {INSTANCE_TYPE} nodes in all, one Deployment of {r['pods']:,} pods ({r['pods_per_node']} per "
        "node, addresses from the VPC CNI); then one `aws ec2 create-tags` on the VPC and `aws ec2 describe-instances "
        "--page-size 1000`. What a write stores is read back from the SQLite log (keys and values).",
        "",
        "| measure | result | goal |",
        "|---|---:|---|",
        f"| create-nodegroup to {r['nodes']:,} Ready nodes | {r['nodes_ready_s']:.1f} s | |",
        f"| create deployment to {r['pods']:,} Ready pods | {r['pods_ready_s']:.1f} s | |",
        f"| bytes one `create-tags` on the VPC stores | {r['create_tags_bytes']:,} B in {r['create_tags_rows']} "
        f"row(s) | < 4 KB {mark(r['create_tags_bytes'] < TAG_GOAL_BYTES)} |",
        f"| `describe-instances` through every instance | {r['describe_instances_s']:.1f} s, "
        f"{r['instances_with_address']:,} running with addresses | all {r['nodes']:,} "
        f"{mark(r['instances_with_address'] == r['nodes'])} |",
        f"| largest record in the store (`{r['largest_record_key']}`) | {r['largest_record_bytes']:,} B | "
        f"< 64 KB {mark(r['largest_record_bytes'] < RECORD_GOAL_BYTES)} |",
        f"| database at the end | {r['database_bytes'] / 2**20:,.0f} MiB | |",
        f"| server peak RSS | {r['server_peak_rss_bytes'] / 2**20:,.0f} MiB | |",
        f"| whole run | {r['total_s']:.0f} s | |",
        "",
    ]
    return "\n".join(lines)


def main():
    default_binary = os.environ.get("EKSLITE_BIN") or str(target_dir() / "release" / "ekslite")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default=default_binary)
    parser.add_argument("--nodes", type=int, default=2000)
    parser.add_argument("--nodegroups", type=int, default=5)
    parser.add_argument("--pods-per-node", type=int, default=30)
    arguments = parser.parse_args()
    binary = Path(arguments.binary).resolve()
    if not binary.is_file():
        sys.exit(f"scale: no ekslite binary at {binary}: build it with `cargo build --release -p ekslite`")
    for tool in ("aws", "kubectl"):
        if shutil.which(tool) is None:
            sys.exit(f"scale: no {tool} on PATH: `source .clients/env.sh` after scripts/install-test-clients.sh")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    report = {
        "benchmark": "scale",
        "timestamp": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine(),
    }
    with tempfile.TemporaryDirectory(prefix="ekslite-scale-") as scratch:
        report["results"] = measure(binary, Path(scratch), arguments.nodes, arguments.nodegroups,
                                    arguments.pods_per_node)
    results = target_dir() / "bench"
    results.mkdir(parents=True, exist_ok=True)
    (results / "scale.json").write_text(json.dumps(report, indent=2) + "\n")
    (results / "scale.md").write_text(markdown(report))
    print(f"wrote {results / 'scale.json'} and {results / 'scale.md'}")


if __name__ == "__main__":
    main()
