"""The data plane as a whole, through kubectl, helm and the aws CLI's APIs: nodes from an EKS node group over three
zones, a Deployment's pods running and spread over them with IPs from their subnets, max pods per node, a node or a
whole zone failing and the pods coming back elsewhere, `kubectl drain` within a PodDisruptionBudget, EC2 instance
termination, and `helm install --wait`."""

import ipaddress
import json
from collections import Counter

from conftest import ZONES, wait_until
from test_helm import CHART, helm_runner


def pods(cluster, selector="app=web"):
    return json.loads(cluster.kubectl("get", "pods", "-l", selector, "-o", "json").stdout)["items"]


def ready(pod):
    return pod["status"].get("phase") == "Running" and any(
        c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", []))


def nodes_by_name(cluster):
    return {n["metadata"]["name"]: n for n in json.loads(cluster.kubectl("get", "nodes", "-o", "json").stdout)["items"]}


def zone_of(node):
    return node["metadata"]["labels"]["topology.kubernetes.io/zone"]


def deploy(cluster, replicas, name="web"):
    cluster.kubectl("create", "deployment", name, "--image=nginx", f"--replicas={replicas}")


def running_ready(cluster, count, selector="app=web"):
    def enough():
        current = [p for p in pods(cluster, selector) if ready(p) and not p["metadata"].get("deletionTimestamp")]
        return current if len(current) == count else None
    return wait_until(enough, f"{count} ready pods")


def test_node_group_instances_are_ready_nodes_with_eks_labels(nodes_cluster):
    nodes = nodes_by_name(nodes_cluster)
    assert len(nodes) == 3
    assert sorted(zone_of(n) for n in nodes.values()) == list(ZONES)
    reservations = nodes_cluster.ec2.describe_instances()["Reservations"]
    instances = {i["InstanceId"]: i for r in reservations for i in r["Instances"] if i["State"]["Name"] == "running"}
    for name, node in nodes.items():
        labels = node["metadata"]["labels"]
        assert labels["eks.amazonaws.com/nodegroup"] == "workers"
        assert labels["node.kubernetes.io/instance-type"] == "t3.medium"
        assert labels["eks.amazonaws.com/capacityType"] == "ON_DEMAND"
        assert labels["topology.kubernetes.io/region"] == "us-east-1"
        instance_id = node["spec"]["providerID"].rsplit("/", 1)[-1]
        instance = instances[instance_id]
        assert instance["PrivateDnsName"] == name
        internal = [a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP"]
        assert internal == [instance["PrivateIpAddress"]]
        assert node["status"]["capacity"]["pods"] == "17"
    # Every node renews its lease.
    leases = json.loads(nodes_cluster.kubectl("get", "leases", "-n", "kube-node-lease", "-o", "json").stdout)
    assert sorted(lease["metadata"]["name"] for lease in leases["items"]) == sorted(nodes)


def test_a_deployment_runs_spread_over_zones_with_subnet_ips(nodes_cluster):
    deploy(nodes_cluster, 6)
    nodes_cluster.kubectl("rollout", "status", "deployment/web", "--timeout=60s")
    running = running_ready(nodes_cluster, 6)
    nodes = nodes_by_name(nodes_cluster)
    assert Counter(zone_of(nodes[p["spec"]["nodeName"]]) for p in running) == {zone: 2 for zone in ZONES}
    subnets = {s["AvailabilityZone"]: ipaddress.ip_network(s["CidrBlock"]) for s in nodes_cluster.subnets}
    ips = [p["status"]["podIP"] for p in running]
    assert len(set(ips)) == 6, "every pod has its own IP"
    for pod in running:
        zone = zone_of(nodes[pod["spec"]["nodeName"]])
        assert ipaddress.ip_address(pod["status"]["podIP"]) in subnets[zone], "VPC CNI: the pod IP is in its subnet"


def test_a_t3_medium_node_never_holds_more_than_17_pods(nodes_cluster):
    deploy(nodes_cluster, 60)
    # A t3.medium's max pods (17) counts the two host-network pods EKS runs on every node (aws-node, kube-proxy);
    # the other 15 get the addresses its three interfaces hold. CoreDNS's two pods, running already, take two.
    running_ready(nodes_cluster, 43)
    placed = Counter(p["spec"].get("nodeName") for p in pods(nodes_cluster))
    assert placed.pop(None, 0) == 17, "seventeen pods stay Pending"
    everything = json.loads(nodes_cluster.kubectl("get", "pods", "-A", "-o", "json").stdout)["items"]
    per_node = Counter(p["spec"].get("nodeName") for p in everything if p["spec"].get("nodeName"))
    assert sorted(per_node.values()) == [17, 17, 17], per_node
    sandbox_failures = json.loads(nodes_cluster.kubectl("get", "events", "--field-selector",
                                                        "reason=FailedCreatePodSandBox", "-o", "json").stdout)["items"]
    assert sandbox_failures == [], "every pod that fits gets an address"

    def failed_scheduling():
        events = json.loads(nodes_cluster.kubectl("get", "events", "--field-selector", "reason=FailedScheduling",
                                                  "-o", "json").stdout)["items"]
        return [e["message"] for e in events] or None
    messages = wait_until(failed_scheduling, "a FailedScheduling event")
    assert any("0/3 nodes are available: 3 Too many pods." in m for m in messages), messages


def test_a_failed_node_s_pods_come_back_on_other_nodes(nodes_cluster):
    deploy(nodes_cluster, 6)
    running = running_ready(nodes_cluster, 6)
    victim = running[0]["spec"]["nodeName"]
    nodes_cluster.fail("nodes", victim)

    def unknown():
        node = nodes_by_name(nodes_cluster)[victim]
        ready_condition = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
        taints = {t["key"] for t in node["spec"].get("taints", [])}
        return ready_condition["status"] == "Unknown" and "node.kubernetes.io/unreachable" in taints
    wait_until(unknown, "the failed node to go Unknown and be tainted")

    def recovered():
        current = [p for p in pods(nodes_cluster) if ready(p) and not p["metadata"].get("deletionTimestamp")]
        elsewhere = [p for p in current if p["spec"]["nodeName"] != victim]
        return len(elsewhere) == 6
    wait_until(recovered, "six ready pods on the other nodes")


def test_a_failed_zone_s_pods_come_back_in_the_other_zones(nodes_cluster):
    deploy(nodes_cluster, 6)
    running_ready(nodes_cluster, 6)
    nodes_cluster.fail("zones", "us-east-1a")

    def recovered():
        nodes = nodes_by_name(nodes_cluster)
        current = [p for p in pods(nodes_cluster) if ready(p) and not p["metadata"].get("deletionTimestamp")]
        healthy = [p for p in current if zone_of(nodes[p["spec"]["nodeName"]]) != "us-east-1a"]
        return len(healthy) == 6
    wait_until(recovered, "six ready pods in us-east-1b and us-east-1c")


def test_drain_respects_a_pod_disruption_budget(nodes_cluster, tmp_path):
    deploy(nodes_cluster, 3)
    running_ready(nodes_cluster, 3)
    nodes_cluster.kubectl("create", "poddisruptionbudget", "web", "--selector=app=web", "--min-available=3")
    budget = [line.split() for line in nodes_cluster.kubectl("get", "pdb", "web").stdout.splitlines()]
    assert budget[0] == ["NAME", "MIN", "AVAILABLE", "MAX", "UNAVAILABLE", "ALLOWED", "DISRUPTIONS", "AGE"]
    assert budget[1][:4] == ["web", "3", "N/A", "0"], budget
    node = pods(nodes_cluster)[0]["spec"]["nodeName"]
    blocked = nodes_cluster.kubectl("drain", node, "--ignore-daemonsets", "--timeout=8s", check=False)
    assert blocked.returncode != 0
    assert "Cannot evict pod as it would violate the pod's disruption budget." in blocked.stderr
    assert nodes_by_name(nodes_cluster)[node]["spec"].get("unschedulable") is True, "drain cordons first"
    # With room for one disruption, the drain goes through: one pod at a time, each replaced elsewhere.
    nodes_cluster.kubectl("patch", "pdb", "web", "--type=merge", "-p", '{"spec":{"minAvailable":2}}')
    drained = nodes_cluster.kubectl("drain", node, "--ignore-daemonsets", "--timeout=60s")
    assert "drained" in drained.stdout
    running = running_ready(nodes_cluster, 3)
    assert all(p["spec"]["nodeName"] != node for p in running)


def test_terminating_an_instance_replaces_its_node(nodes_cluster):
    before = nodes_by_name(nodes_cluster)
    victim = next(iter(before.values()))
    instance_id = victim["spec"]["providerID"].rsplit("/", 1)[-1]
    nodes_cluster.ec2.terminate_instances(InstanceIds=[instance_id])

    # The replacement may reuse the address, and so the name, of the terminated instance: the provider ID tells.
    def replaced():
        ready = nodes_cluster.ready_nodes()
        ids = {n["spec"].get("providerID") for n in ready}
        return victim["spec"]["providerID"] not in ids and len(ready) == 3
    wait_until(replaced, "the node of the terminated instance to be replaced")


def test_a_failed_node_s_instance_terminated_is_replaced_by_a_sound_node(nodes_cluster):
    victim = next(iter(nodes_by_name(nodes_cluster).values()))
    name = victim["metadata"]["name"]
    nodes_cluster.fail("nodes", name)
    instance_id = victim["spec"]["providerID"].rsplit("/", 1)[-1]
    nodes_cluster.ec2.terminate_instances(InstanceIds=[instance_id])

    # The replacement may get the failed node's address and name; it is another machine and joins Ready.
    def replaced():
        ready = nodes_cluster.ready_nodes()
        ids = {n["spec"].get("providerID") for n in ready}
        return victim["spec"]["providerID"] not in ids and len(ready) == 3
    wait_until(replaced, "a Ready replacement for the failed node's terminated instance", deadline=60)


def test_helm_install_wait_returns_once_the_deployment_is_ready(nodes_cluster, tmp_path):
    helm = helm_runner("helm", nodes_cluster, tmp_path)
    installed = helm("install", "shop", str(CHART), "--wait", "--timeout", "60s")
    assert "STATUS: deployed" in installed.stdout
    deployments = json.loads(nodes_cluster.kubectl("get", "deployments", "-o", "json").stdout)["items"]
    assert deployments and all(d["status"].get("readyReplicas") == d["spec"]["replicas"] for d in deployments)
