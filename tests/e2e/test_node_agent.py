"""Simulated nodes seen through kubectl: a cluster with three t3.medium nodes in three zones (the `nodes_cluster`
fixture) shows them Ready with EKS's labels and allocatable, and runs pods bound to them."""

import json

from conftest import wait_until

ZONES = {"us-east-1a", "us-east-1b", "us-east-1c"}


def nodes(cluster):
    return json.loads(cluster.kubectl("get", "nodes", "-o", "json").stdout)["items"]


def ready(node) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in node["status"].get("conditions", []))


def test_three_ready_nodes_with_eks_labels(nodes_cluster):
    items = wait_until(lambda: (lambda n: n if len(n) == 3 and all(map(ready, n)) else None)(nodes(nodes_cluster)),
                       "three Ready nodes")
    zones = set()
    for node in items:
        labels = node["metadata"]["labels"]
        assert labels["node.kubernetes.io/instance-type"] == "t3.medium"
        assert labels["kubernetes.io/os"] == "linux" and labels["kubernetes.io/arch"] == "amd64"
        assert labels["kubernetes.io/hostname"]
        zones.add(labels["topology.kubernetes.io/zone"])
        assert node["spec"]["providerID"].startswith("aws:///")
        assert node["status"]["capacity"]["pods"] == "17"
        assert node["status"]["allocatable"]["cpu"] == "1930m"
        info = node["status"]["nodeInfo"]
        assert info["containerRuntimeVersion"].startswith("containerd://")
        assert info["kubeletVersion"].startswith("v1.")
        assert node["status"]["daemonEndpoints"]["kubeletEndpoint"]["Port"] == 10250
    assert zones == ZONES
    table = nodes_cluster.kubectl("get", "nodes").stdout
    assert table.count(" Ready ") == 3, table

    leases = json.loads(nodes_cluster.kubectl("get", "leases", "-n", "kube-node-lease", "-o", "json").stdout)["items"]
    assert {lease["spec"]["holderIdentity"] for lease in leases} == {node["metadata"]["name"] for node in items}


def test_a_pod_bound_to_a_node_runs(nodes_cluster):
    node = wait_until(lambda: next((n for n in nodes(nodes_cluster) if ready(n)), None), "a Ready node")
    name = node["metadata"]["name"]
    manifest = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "pinned"},
        "spec": {"nodeName": name, "containers": [{"name": "web", "image": "nginx"}]},
    }
    nodes_cluster.kubectl("apply", "-f", "-", input=json.dumps(manifest))
    nodes_cluster.kubectl("wait", "--for=condition=Ready", "pod/pinned", "--timeout=30s")
    pod = json.loads(nodes_cluster.kubectl("get", "pod", "pinned", "-o", "json").stdout)
    assert pod["status"]["phase"] == "Running"
    assert pod["status"]["podIP"] and pod["status"]["hostIP"]
    status = pod["status"]["containerStatuses"][0]
    assert status["ready"] and status["containerID"].startswith("containerd://")
    events = nodes_cluster.kubectl("get", "events", "--field-selector", "involvedObject.name=pinned").stdout
    assert "Started" in events and "Pulled" in events

    job = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "once", "annotations": {"ekslite.dev/run-seconds": "1"}},
        "spec": {"nodeName": name, "restartPolicy": "Never", "containers": [{"name": "task", "image": "busybox"}]},
    }
    nodes_cluster.kubectl("apply", "-f", "-", input=json.dumps(job))
    nodes_cluster.kubectl("wait", "--for=jsonpath={.status.phase}=Succeeded", "pod/once", "--timeout=30s")

    nodes_cluster.kubectl("delete", "pod", "pinned", "--timeout=30s")
    gone = nodes_cluster.kubectl("get", "pod", "pinned", check=False)
    assert gone.returncode != 0 and "NotFound" in gone.stderr
