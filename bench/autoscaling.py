#!/usr/bin/env python3
"""Autoscaling end to end, as a user would run it on EKS: the release binary, the aws CLI, kubectl and `ekslite load`.
An EKS cluster with the metrics-server add-on, a Deployment whose pods each request one CPU under an HPA (target 70%
of the request), and the nodes' autoscaler: the Cluster Autoscaler on a managed node group (`--autoscaler cas`) or
Karpenter with a NodePool (`--autoscaler karpenter`). The workload's load steps from 1 core to 50, then back to 1.
Measured: the time until every replica the HPA asks for runs, the time until the nodes are back to the baseline,
nodes launched, node-hours and vCPU-hours (and their on-demand cost when every node is of the node group's type),
beside what the same run would take on EKS, where a node takes 45-60 s from launch to Ready. Writes
`<target>/bench/autoscaling-<autoscaler>.json` and `.md`.

The autoscalers run with upstream's defaults except what users shorten for a demo, listed in the report: the HPA's
scale-down stabilization window, the Cluster Autoscaler's unneeded time and delay after add, and the NodePool's
`consolidateAfter`.

Usage: python bench/autoscaling.py [--binary PATH] [--autoscaler cas|karpenter] [--peak-cores 50]
Needs the aws CLI and kubectl on PATH (`source .clients/env.sh`).
"""

import argparse
import datetime
import json
import math
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from endtoend import BenchError, free_port, http_status, machine, peak_rss_bytes, poll, target_dir
from scale import REGION, Clients, role

ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]
CLUSTER = "bench"
BASE_CORES = 1
REQUEST_CORES = 1
TARGET_UTILIZATION = 70
MAX_REPLICAS = 100
# m5.2xlarge: 8 vCPU, on-demand in us-east-1 at $0.384 an hour; seven one-core pods a node beside the DaemonSets.
INSTANCE_TYPE = "m5.2xlarge"
PRICE_PER_HOUR = 0.384
MAX_NODES = 20
HPA_SCALE_DOWN_WINDOW_S = 30
SCALE_DOWN_UNNEEDED_S = 30
EKS_NODE_LAUNCH_S = (45, 60)
DEADLINE_S = 900
POLL_S = 1.0
START_POLL_S = 0.05

WORKLOAD = f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: default}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
      - name: app
        image: nginx
        resources: {{requests: {{cpu: "{REQUEST_CORES}", memory: 512Mi}}}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: web, namespace: default}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}
  minReplicas: 1
  maxReplicas: {MAX_REPLICAS}
  metrics:
  - type: Resource
    resource: {{name: cpu, target: {{type: Utilization, averageUtilization: {TARGET_UTILIZATION}}}}}
  behavior:
    scaleDown: {{stabilizationWindowSeconds: {HPA_SCALE_DOWN_WINDOW_S}}}
"""

CLUSTER_AUTOSCALER = f"""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cluster-autoscaler-aws-cluster-autoscaler
  namespace: kube-system
  labels: {{app.kubernetes.io/name: aws-cluster-autoscaler}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app.kubernetes.io/name: aws-cluster-autoscaler}}}}
  template:
    metadata: {{labels: {{app.kubernetes.io/name: aws-cluster-autoscaler}}}}
    spec:
      priorityClassName: system-cluster-critical
      containers:
      - name: aws-cluster-autoscaler
        image: registry.k8s.io/autoscaling/cluster-autoscaler:v1.34.1
        command:
        - ./cluster-autoscaler
        - --cloud-provider=aws
        - --node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/{CLUSTER}
        - --scale-down-unneeded-time={SCALE_DOWN_UNNEEDED_S}s
        - --scale-down-delay-after-add=0s
"""


KARPENTER = f"""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: karpenter
  namespace: kube-system
  labels: {{app.kubernetes.io/name: karpenter, app.kubernetes.io/instance: karpenter}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app.kubernetes.io/name: karpenter, app.kubernetes.io/instance: karpenter}}}}
  template:
    metadata: {{labels: {{app.kubernetes.io/name: karpenter, app.kubernetes.io/instance: karpenter}}}}
    spec:
      priorityClassName: system-cluster-critical
      containers:
      - name: controller
        image: public.ecr.aws/karpenter/controller:1.8.1
        env:
        - {{name: CLUSTER_NAME, value: {CLUSTER}}}
"""

NODE_POOL = f"""
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata: {{name: default}}
spec:
  role: bench-node
  amiSelectorTerms: [{{alias: al2023@latest}}]
  subnetSelectorTerms: [{{tags: {{karpenter.sh/discovery: {CLUSTER}}}}}]
  securityGroupSelectorTerms: [{{tags: {{karpenter.sh/discovery: {CLUSTER}}}}}]
---
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {{name: default}}
spec:
  template:
    spec:
      nodeClassRef: {{group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}}
      requirements:
      - {{key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}}
      - {{key: karpenter.k8s.aws/instance-category, operator: In, values: [c, m, r]}}
      - {{key: kubernetes.io/arch, operator: In, values: [amd64]}}
  limits: {{cpu: "200"}}
  disruption:
    consolidationPolicy: WhenEmptyOrUnderutilized
    consolidateAfter: {SCALE_DOWN_UNNEEDED_S}s
"""


def network(clients: Clients) -> list[str]:
    vpc = clients.aws("ec2", "create-vpc", "--cidr-block", "10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = []
    for index, zone in enumerate(ZONES):
        created = clients.aws("ec2", "create-subnet", "--vpc-id", vpc, "--availability-zone", zone, "--cidr-block",
                              f"10.0.{index * 64}.0/18")
        subnets.append(created["Subnet"]["SubnetId"])
    return subnets


def ready_nodes(clients: Clients) -> int:
    listed = json.loads(clients.kubectl("get", "nodes", "-o", "json"))
    return sum(1 for node in listed["items"] if any(
        c["type"] == "Ready" and c["status"] == "True" for c in node.get("status", {}).get("conditions", []))
        and not node["spec"].get("unschedulable"))


def sample(clients: Clients) -> dict:
    hpa = json.loads(clients.kubectl("get", "hpa", "web", "-o", "json")).get("status", {})
    deployment = json.loads(clients.kubectl("get", "deployment", "web", "-o", "json"))
    nodes = json.loads(clients.kubectl("get", "nodes", "-o", "json"))["items"]
    return {
        "t": time.monotonic(),
        "desired": hpa.get("desiredReplicas", 0),
        "ready": deployment.get("status", {}).get("readyReplicas", 0),
        "nodes": len(nodes),
        "cpus": sum(int(node["status"].get("capacity", {}).get("cpu", "0")) for node in nodes),
        "types": sorted({node["metadata"]["labels"].get("node.kubernetes.io/instance-type", "") for node in nodes}),
        "ready_nodes": sum(1 for node in nodes if any(
            c["type"] == "Ready" and c["status"] == "True" for c in node.get("status", {}).get("conditions", []))),
        "names": sorted(node["metadata"]["name"] for node in nodes),
    }


def load(binary: Path, url: str, cores: int):
    subprocess.run([str(binary), "load", "set", "deployment/web", "--cpu", str(cores), "--cluster",
                    f"{CLUSTER}.{REGION}.000000000000", "--endpoint", url], check=True, capture_output=True, timeout=60)


def apply(clients: Clients, manifest: str):
    done = subprocess.run(["kubectl", "--kubeconfig", str(clients.kubeconfig), "apply", "-f", "-"], input=manifest,
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise BenchError(f"kubectl apply: {done.stderr.strip()}")


def watch(clients: Clients, until, what: str, timeline: list) -> dict:
    """Samples every POLL_S until `until(sample)` holds; every sample goes to `timeline`."""
    started = time.monotonic()
    while True:
        now = sample(clients)
        timeline.append(now)
        if until(now):
            return now
        if time.monotonic() - started > DEADLINE_S:
            raise BenchError(f"{what}: not within {DEADLINE_S} s (last {now})")
        time.sleep(POLL_S)


def integral(timeline: list, key: str) -> float:
    """The sum over the run of `key` (nodes, cpus) times the seconds it held."""
    return sum(a[key] * (b["t"] - a["t"]) for a, b in zip(timeline, timeline[1:]))


def last_rise(timeline: list, started: float) -> float:
    """Seconds from `started` to the last sample whose node count rose: when the last node was launched."""
    last = started
    for a, b in zip(timeline, timeline[1:]):
        if b["nodes"] > a["nodes"]:
            last = b["t"]
    return last - started


def measure(binary: Path, workdir: Path, autoscaler: str, peak_cores: int) -> dict:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(workdir / "ekslite.log", "ab")
    server = subprocess.Popen([str(binary), "serve", "--listen", f"127.0.0.1:{port}", "--data-dir",
                               str(workdir / "data")], stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        poll(lambda: server.poll() is None and http_status(url + "/_ekslite/health") == 200, "the server to answer", 60,
             START_POLL_S)
        clients = Clients(url, workdir)
        cluster_role = role(clients, "bench-cluster", "eks.amazonaws.com", ["AmazonEKSClusterPolicy"])
        node_role = role(clients, "bench-node", "ec2.amazonaws.com",
                         ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly", "AmazonEKS_CNI_Policy"])
        subnets = network(clients)
        clients.aws("eks", "create-cluster", "--name", CLUSTER, "--role-arn", cluster_role,
                    "--resources-vpc-config", f"subnetIds={','.join(subnets)}",
                    "--access-config", "authenticationMode=API_AND_CONFIG_MAP")
        clients.aws("eks", "wait", "cluster-active", "--name", CLUSTER)
        subprocess.run([str(binary), "kubeconfig", f"{CLUSTER}.{REGION}.000000000000", "--endpoint", url],
                       stdout=open(clients.kubeconfig, "w"), check=True, timeout=60)
        clients.aws("eks", "create-nodegroup", "--cluster-name", CLUSTER, "--nodegroup-name", "workers",
                    "--node-role", node_role, "--subnets", *subnets, "--instance-types", INSTANCE_TYPE,
                    "--scaling-config", f"minSize=1,maxSize={MAX_NODES},desiredSize=1")
        clients.aws("eks", "wait", "nodegroup-active", "--cluster-name", CLUSTER, "--nodegroup-name", "workers")
        poll(lambda: ready_nodes(clients) == 1, "the first node", 120, POLL_S)
        clients.aws("eks", "create-addon", "--cluster-name", CLUSTER, "--addon-name", "metrics-server")
        if autoscaler == "cas":
            apply(clients, CLUSTER_AUTOSCALER)
        else:
            # As Karpenter's getting started has it: the node role may join, the subnets and the cluster's
            # security group are tagged for discovery, the controller runs on the managed node group.
            # (The managed node group's role is Karpenter's node role too: EKS gave it its entry already.)
            entries = clients.aws("eks", "list-access-entries", "--cluster-name", CLUSTER)["accessEntries"]
            if node_role not in entries:
                clients.aws("eks", "create-access-entry", "--cluster-name", CLUSTER, "--principal-arn", node_role,
                            "--type", "EC2_LINUX")
            group = clients.aws("eks", "describe-cluster", "--name", CLUSTER)["cluster"]["resourcesVpcConfig"][
                "clusterSecurityGroupId"]
            clients.aws("ec2", "create-tags", "--resources", *subnets, group, "--tags",
                        f"Key=karpenter.sh/discovery,Value={CLUSTER}")
            apply(clients, KARPENTER)
            poll(lambda: "nodepools.karpenter.sh" in clients.kubectl("get", "crd", "-o", "name"), "Karpenter's CRDs",
                 120, POLL_S)
            apply(clients, NODE_POOL)
        apply(clients, WORKLOAD)
        load(binary, url, BASE_CORES)
        baseline_replicas = math.ceil(BASE_CORES * 100 / (REQUEST_CORES * TARGET_UTILIZATION))
        timeline: list = []
        base = watch(clients, lambda s: s["desired"] == baseline_replicas and s["ready"] == baseline_replicas,
                     "the baseline", [])
        baseline_nodes = base["nodes"]
        print(f"baseline: {baseline_replicas} replicas on {baseline_nodes} node(s)", flush=True)

        peak_replicas = min(MAX_REPLICAS, math.ceil(peak_cores * 100 / (REQUEST_CORES * TARGET_UTILIZATION)))
        started = time.monotonic()
        load(binary, url, peak_cores)
        top = watch(clients, lambda s: s["desired"] == peak_replicas and s["ready"] == peak_replicas,
                    f"{peak_replicas} replicas running", timeline)
        up_s = top["t"] - started
        print(f"{peak_cores} cores: {peak_replicas} replicas running on {top['nodes']} nodes after {up_s:.1f} s",
              flush=True)
        launches_end_s = last_rise(timeline, started)

        dropped = time.monotonic()
        load(binary, url, BASE_CORES)
        back = watch(clients, lambda s: s["nodes"] == baseline_nodes and s["desired"] == baseline_replicas
                     and s["ready"] == baseline_replicas, "the baseline again", timeline)
        down_s = back["t"] - dropped
        print(f"back to {baseline_nodes} node(s) after {down_s:.1f} s", flush=True)

        seen = set()
        for point in timeline:
            seen.update(point["names"])
        launched = len(seen - set(base["names"]))
        hours = integral(timeline, "nodes") / 3600
        cpu_hours = integral(timeline, "cpus") / 3600
        types = sorted({kind for point in timeline for kind in point["types"]})
        # On EKS the HPA and the autoscaler decide at the same times (their schedules do not wait for nodes), but
        # the last node launched is Ready 45-60 s later; the load drops then, and the peak's nodes are paid for
        # until it does.
        eks_up = [max(up_s, launches_end_s + launch) for launch in EKS_NODE_LAUNCH_S]
        eks_hours = [hours + top["nodes"] * (up - up_s) / 3600 for up in eks_up]
        return {
            "autoscaler": autoscaler,
            "instance_type": INSTANCE_TYPE,
            "price_per_hour": PRICE_PER_HOUR,
            "peak_cores": peak_cores,
            "baseline_replicas": baseline_replicas,
            "baseline_nodes": baseline_nodes,
            "peak_replicas": peak_replicas,
            "peak_nodes": max(point["nodes"] for point in timeline),
            "nodes_launched": launched,
            "last_launch_s": launches_end_s,
            "up_s": up_s,
            "down_s": down_s,
            "node_hours": hours,
            "vcpu_hours": cpu_hours,
            "instance_types": types,
            "cost": hours * PRICE_PER_HOUR if types == [INSTANCE_TYPE] else None,
            "eks_up_s": eks_up,
            "eks_node_hours": eks_hours,
            "settings": {
                "hpa_sync_period_s": 15,
                "hpa_scale_down_stabilization_s": HPA_SCALE_DOWN_WINDOW_S,
                "scale_down_unneeded_s": SCALE_DOWN_UNNEEDED_S,
                "eks_node_launch_s": list(EKS_NODE_LAUNCH_S),
            },
            "server_peak_rss_bytes": peak_rss_bytes(server.pid),
        }
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def machine_text(about: dict) -> str:
    return (f"{about['cpu_model']}, {about['cores']} cores, {about['memory_bytes'] / 2**30:.1f} GiB, {about['os']} "
            f"(load average {about['load_average_1m_at_start']:.1f} at the start)")


def markdown(report: dict) -> str:
    r = report["result"]
    eks_up = r["eks_up_s"]
    eks_hours = r["eks_node_hours"]
    lines = [
        f"# Autoscaling: a load step from {BASE_CORES} to {r['peak_cores']} cores "
        f"({r['autoscaler']})",
        "",
        f"Run {report['date']} on {machine_text(report['machine'])}. One EKS cluster with the metrics-server add-on; a Deployment "
        f"of pods requesting {REQUEST_CORES} CPU under an HPA at {TARGET_UTILIZATION}% of the request; "
        f"a managed node group of {INSTANCE_TYPE} (${PRICE_PER_HOUR}/h on demand) holding the baseline; new nodes "
        f"come from {'that group' if r['autoscaler'] == 'cas' else 'a Karpenter NodePool of c, m and r types'}. The load steps from {BASE_CORES} core to "
        f"{r['peak_cores']} through `ekslite load set`, then back.",
        "",
        "| Measure | ekslite | On EKS (node launch 45-60 s) |",
        "|---|---:|---:|",
        f"| load up → all {r['peak_replicas']} replicas Running | {r['up_s']:.1f} s | "
        f"{eks_up[0]:.0f}-{eks_up[1]:.0f} s |",
        f"| load down → back to {r['baseline_nodes']} node(s) | {r['down_s']:.1f} s | same autoscaler settings |",
        f"| nodes launched / at the peak | {r['nodes_launched']} / {r['peak_nodes']} | |",
        f"| load up → last node launched | {r['last_launch_s']:.1f} s | same |",
        f"| node-hours{' (cost)' if r['cost'] is not None else ''} | {r['node_hours']:.3f}"
        + (f" (${r['cost']:.3f})" if r["cost"] is not None else "") + f" | {eks_hours[0]:.3f}-{eks_hours[1]:.3f} |",
        f"| vCPU-hours | {r['vcpu_hours']:.2f} | |",
        f"| instance types | {', '.join(r['instance_types'])} | |",
        f"| server peak RSS | {r['server_peak_rss_bytes'] / 2**20:.0f} MiB | |",
        "",
        "Settings (upstream defaults but these, shortened as users shorten them for demos): "
        + ", ".join(f"{k} = {v}" for k, v in r["settings"].items()) + ".",
        "",
        "Nodes here are Ready as they launch. On EKS the metrics, the HPA and the autoscaler decide on the same "
        "schedule (none of them waits for nodes to boot), so the last node is launched at the same time, and is "
        "Ready 45-60 s later: the EKS column is that time (or the time here, if later), and the peak's nodes paid "
        "for until then.",
    ]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", type=Path, default=target_dir() / "release" / "ekslite")
    parser.add_argument("--autoscaler", choices=["cas", "karpenter"], default="cas")
    parser.add_argument("--peak-cores", type=int, default=50)
    args = parser.parse_args()
    if not args.binary.exists():
        sys.exit(f"no binary at {args.binary}: build it with `cargo build --release --locked -p ekslite`")
    with tempfile.TemporaryDirectory(prefix="ekslite-autoscaling-") as directory:
        result = measure(args.binary, Path(directory), args.autoscaler, args.peak_cores)
    report = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "machine": machine(), "result": result}
    out = target_dir() / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"autoscaling-{args.autoscaler}.json").write_text(json.dumps(report, indent=2))
    (out / f"autoscaling-{args.autoscaler}.md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
