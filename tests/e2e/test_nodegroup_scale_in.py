"""A managed node group scaling in, as EKS does it: the nodes it gives up are cordoned and drained first (pods
evicted within their disruption budget, rescheduled on the nodes that stay), and only then are their instances
terminated, so a Deployment keeps its pods running throughout and none is left bound to a node that is gone."""

import json

from conftest import wait_until

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 6
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx, resources: {requests: {cpu: 100m}}}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  minAvailable: 5
  selector: {matchLabels: {app: web}}
"""


def test_scale_in_cordons_and_drains_before_the_instance_goes(nodes_cluster):
    cluster = nodes_cluster
    cluster.kubectl("apply", "-f", "-", input=DEPLOYMENT)

    def available():
        status = json.loads(cluster.kubectl("get", "deployment", "web", "-o", "json").stdout).get("status", {})
        return status.get("availableReplicas") == 6

    wait_until(available, "six available replicas")
    wait_until(lambda: json.loads(cluster.kubectl("get", "pdb", "web", "-o", "json").stdout)
               .get("status", {}).get("disruptionsAllowed") == 1, "the budget to allow one disruption")

    cluster.eks.update_nodegroup_config(clusterName="demo", nodegroupName="workers",
                                       scalingConfig={"minSize": 0, "maxSize": 10, "desiredSize": 2})

    def cordoned():
        nodes = json.loads(cluster.kubectl("get", "nodes", "-o", "json").stdout)["items"]
        return [n["metadata"]["name"] for n in nodes if n.get("spec", {}).get("unschedulable")]

    leaving = wait_until(cordoned, "a node to be cordoned")
    assert len(leaving) == 1
    # Its instance runs until the node is drained.
    instance = next(n for n in json.loads(cluster.kubectl("get", "nodes", "-o", "json").stdout)["items"]
                    if n["metadata"]["name"] == leaving[0])["spec"]["providerID"].rsplit("/", 1)[1]
    states = cluster.ec2.describe_instances(InstanceIds=[instance])["Reservations"][0]["Instances"][0]["State"]
    assert states["Name"] in ("running", "shutting-down", "terminated")

    def gone():
        names = [n["metadata"]["name"] for n in cluster.ready_nodes()]
        return leaving[0] not in names and len(names) == 2

    wait_until(gone, "the drained node to go", deadline=120)
    state = cluster.ec2.describe_instances(InstanceIds=[instance])["Reservations"][0]["Instances"][0]["State"]
    assert state["Name"] in ("shutting-down", "terminated")
    wait_until(available, "six available replicas on the nodes that stay")
    pods = json.loads(cluster.kubectl("get", "pods", "-l", "app=web", "-o", "json").stdout)["items"]
    assert all(p["spec"].get("nodeName") != leaving[0] for p in pods)
    assert all(p["status"].get("phase") == "Running" for p in pods), [p["status"] for p in pods]
    # Evictions went through the budget: it was spent, never overdrawn.
    events = json.loads(cluster.kubectl("get", "events", "-o", "json").stdout)["items"]
    assert not [e for e in events if e.get("reason") == "FailedScheduling" and "web" in e["involvedObject"]["name"]
                and "not found" in e.get("message", "")]
