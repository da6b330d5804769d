"""Graviton and GPU node groups as EKS runs them: nodes of an arm64 instance type register `kubernetes.io/arch:
arm64` (and that architecture in `nodeInfo`), nodes of an NVIDIA instance type report `nvidia.com/gpu` in their
capacity and allocatable, and the scheduler fits pods by that extended resource as kube-scheduler does: one pod per
GPU, the next one Pending with `Insufficient nvidia.com/gpu`."""

import json

from conftest import create_nodes_cluster, wait_until

PODS = """
apiVersion: v1
kind: Pod
metadata: {name: on-graviton}
spec:
  nodeSelector: {kubernetes.io/arch: arm64}
  containers: [{name: app, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata: {name: train-1}
spec:
  containers:
  - name: cuda
    image: nvidia/cuda:12.4.1-base-ubuntu22.04
    resources: {limits: {nvidia.com/gpu: 1}}
---
apiVersion: v1
kind: Pod
metadata: {name: train-2}
spec:
  containers:
  - name: cuda
    image: nvidia/cuda:12.4.1-base-ubuntu22.04
    resources: {limits: {nvidia.com/gpu: 1}}
"""


def _json(cluster, *args):
    return json.loads(cluster.kubectl(*args, "-o", "json").stdout)


def test_graviton_and_gpu_nodes_and_pods_that_need_them(tmp_path, ekslite):
    cluster = create_nodes_cluster(ekslite(), tmp_path, nodes=1)
    prereq_role = cluster.eks.describe_nodegroup(clusterName="demo", nodegroupName="workers")["nodegroup"]["nodeRole"]
    subnets = [s["SubnetId"] for s in cluster.subnets]
    for name, kind, ami in [("graviton", "m6g.large", "AL2023_ARM_64_STANDARD"),
                            ("gpu", "g4dn.xlarge", "AL2023_x86_64_NVIDIA")]:
        cluster.eks.create_nodegroup(clusterName="demo", nodegroupName=name, nodeRole=prereq_role, subnets=subnets,
                                     instanceTypes=[kind], amiType=ami,
                                     scalingConfig={"minSize": 1, "maxSize": 1, "desiredSize": 1})
    wait_until(lambda: len(cluster.ready_nodes()) == 3, "the Graviton and GPU nodes to be Ready")

    nodes = {n["metadata"]["labels"]["eks.amazonaws.com/nodegroup"]: n for n in cluster.ready_nodes()}
    arm = nodes["graviton"]
    assert arm["metadata"]["labels"]["kubernetes.io/arch"] == "arm64"
    assert arm["metadata"]["labels"]["beta.kubernetes.io/arch"] == "arm64"
    assert arm["status"]["nodeInfo"]["architecture"] == "arm64"
    assert "nvidia.com/gpu" not in arm["status"]["allocatable"]
    gpu = nodes["gpu"]
    assert gpu["metadata"]["labels"]["kubernetes.io/arch"] == "amd64"
    assert gpu["status"]["capacity"]["nvidia.com/gpu"] == "1"
    assert gpu["status"]["allocatable"]["nvidia.com/gpu"] == "1"
    assert nodes["workers"]["metadata"]["labels"]["kubernetes.io/arch"] == "amd64"
    described = cluster.kubectl("describe", "node", gpu["metadata"]["name"]).stdout
    assert "nvidia.com/gpu:" in described

    cluster.kubectl("apply", "-f", "-", input=PODS)

    def placed():
        pods = {p["metadata"]["name"]: p for p in _json(cluster, "get", "pods")["items"]}
        if pods.get("on-graviton", {}).get("status", {}).get("phase") != "Running":
            return None
        training = [pods.get(n, {}) for n in ("train-1", "train-2")]
        running = [p for p in training if p.get("status", {}).get("phase") == "Running"]
        pending = [p for p in training if any(c.get("reason") == "Unschedulable"
                                               for c in p.get("status", {}).get("conditions", []))]
        return (pods, running, pending) if len(running) == 1 and len(pending) == 1 else None

    pods, running, pending = wait_until(placed, "one GPU pod to run and the other to wait")
    assert pods["on-graviton"]["spec"]["nodeName"] == arm["metadata"]["name"]
    assert running[0]["spec"]["nodeName"] == gpu["metadata"]["name"]
    message = next(c["message"] for c in pending[0]["status"]["conditions"] if c["type"] == "PodScheduled")
    assert message.startswith("0/3 nodes are available:"), message
    assert "Insufficient nvidia.com/gpu" in message, message
    assert "node(s) didn't match" not in message, message
    # kubectl's "Allocated resources" table: requests and limits of the one GPU.
    described = cluster.kubectl("describe", "node", gpu["metadata"]["name"]).stdout
    allocated = described.split("Allocated resources:", 1)[1]
    row = next(line.split() for line in allocated.splitlines() if line.strip().startswith("nvidia.com/gpu"))
    assert row == ["nvidia.com/gpu", "1", "1"], row
