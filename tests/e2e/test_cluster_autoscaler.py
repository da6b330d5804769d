"""The Kubernetes cluster autoscaler installed as users install it on EKS (the helm chart's Deployment, image
`registry.k8s.io/autoscaling/cluster-autoscaler`, node groups auto-discovered by their Auto Scaling groups' tags):
pending pods grow the managed node group (its desiredSize and its Auto Scaling group's desired capacity) until they
all run, with upstream's events and status ConfigMap; once the pods go, the unneeded nodes are drained and removed
and the node group shrinks back. Time flags are short so that it all plays out in seconds."""

import json

from conftest import create_nodes_cluster, wait_until

AUTOSCALER = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cluster-autoscaler-aws-cluster-autoscaler
  namespace: kube-system
  labels: {app.kubernetes.io/name: aws-cluster-autoscaler, app.kubernetes.io/instance: cluster-autoscaler}
spec:
  replicas: 1
  selector:
    matchLabels: {app.kubernetes.io/name: aws-cluster-autoscaler, app.kubernetes.io/instance: cluster-autoscaler}
  template:
    metadata:
      labels: {app.kubernetes.io/name: aws-cluster-autoscaler, app.kubernetes.io/instance: cluster-autoscaler}
    spec:
      priorityClassName: system-cluster-critical
      containers:
      - name: aws-cluster-autoscaler
        image: registry.k8s.io/autoscaling/cluster-autoscaler:v1.34.1
        imagePullPolicy: IfNotPresent
        command:
        - ./cluster-autoscaler
        - --cloud-provider=aws
        - --namespace=kube-system
        - --node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/demo
        - --logtostderr=true
        - --stderrthreshold=info
        - --v=4
        args:
        - --scan-interval=1s
        - --scale-down-unneeded-time=5s
        - --scale-down-delay-after-add=0s
"""

WORKLOAD = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 40
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx, resources: {requests: {cpu: 250m, memory: 64Mi}}}]
"""


def _json(cluster, *args):
    return json.loads(cluster.kubectl(*args, "-o", "json").stdout)


def _desired(cluster) -> int:
    return cluster.eks.describe_nodegroup(clusterName="demo", nodegroupName="workers")["nodegroup"][
        "scalingConfig"]["desiredSize"]


def _group(cluster) -> dict:
    asg = cluster.eks.describe_nodegroup(clusterName="demo", nodegroupName="workers")["nodegroup"]["resources"][
        "autoScalingGroups"][0]["name"]
    return cluster.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[asg])["AutoScalingGroups"][0]


def _events(cluster, namespace: str, reason: str) -> list[dict]:
    items = _json(cluster, "get", "events", "-n", namespace)["items"]
    return [e for e in items if e.get("reason") == reason]


def _running(cluster) -> int:
    pods = _json(cluster, "get", "pods", "-l", "app=web")["items"]
    return sum(1 for p in pods if p["status"].get("phase") == "Running")


def test_pending_pods_grow_the_node_group_and_unneeded_nodes_shrink_it(tmp_path, ekslite):
    cluster = create_nodes_cluster(ekslite(), tmp_path, nodes=1)
    group = _group(cluster)
    tags = {t["Key"]: t["Value"] for t in group["Tags"]}
    assert tags["k8s.io/cluster-autoscaler/enabled"] == "true"
    assert tags["k8s.io/cluster-autoscaler/demo"] == "owned"

    cluster.kubectl("apply", "-f", "-", input=AUTOSCALER)
    wait_until(lambda: _json(cluster, "get", "deployment", "-n", "kube-system",
                             "cluster-autoscaler-aws-cluster-autoscaler").get("status", {})
               .get("availableReplicas") == 1, "the autoscaler to be available")

    # Its status ConfigMap shows the discovered node group.
    def status_text():
        found = cluster.kubectl("get", "configmap", "-n", "kube-system", "cluster-autoscaler-status", "-o", "json",
                                check=False)
        if found.returncode != 0:
            return None
        config = json.loads(found.stdout)
        return config.get("data", {}).get("status"), config["metadata"].get("annotations", {})

    text, annotations = wait_until(status_text, "the status ConfigMap")
    assert "cluster-autoscaler.kubernetes.io/last-updated" in annotations
    assert "autoscalerStatus: Running" in text
    assert f"- name: {group['AutoScalingGroupName']}" in text
    assert "maxSize: 10" in text

    # 40 pods of 250m: a t3.medium takes about seven beside its DaemonSet pods.
    cluster.kubectl("apply", "-f", "-", input=WORKLOAD)
    wait_until(lambda: _desired(cluster) > 1, "the node group to grow", deadline=60)
    wait_until(lambda: _running(cluster) == 40, "all 40 pods to run", deadline=180)
    peak = _desired(cluster)
    assert 5 <= peak <= 10, peak
    assert _group(cluster)["DesiredCapacity"] == peak
    wait_until(lambda: len(cluster.ready_nodes()) == _desired(cluster), "every node asked for to be Ready")

    asg = group["AutoScalingGroupName"]
    triggered = _events(cluster, "default", "TriggeredScaleUp")
    assert triggered, "no TriggeredScaleUp event"
    assert all(e["message"].startswith(f"pod triggered scale-up: [{{{asg} ") for e in triggered), triggered
    assert any(e["message"].startswith(f"pod triggered scale-up: [{{{asg} 1->") for e in triggered), triggered
    assert all(e["source"]["component"] == "cluster-autoscaler" for e in triggered)
    scaled = _events(cluster, "kube-system", "ScaledUpGroup")
    assert scaled and all(e["involvedObject"]["name"] == "cluster-autoscaler-status" for e in scaled)
    assert any(e["message"].startswith(f"Scale-up: setting group {asg} size to ")
               and e["message"].endswith(" instead of 1 (max: 10)") for e in scaled), scaled

    # One pod left: the unneeded nodes are tainted, drained and their instances terminated.
    cluster.kubectl("scale", "deployment", "web", "--replicas=1")
    wait_until(lambda: _desired(cluster) <= 2, "the node group to shrink back", deadline=180)
    wait_until(lambda: len(cluster.ready_nodes()) == _desired(cluster), "the removed nodes to go", deadline=120)
    assert _group(cluster)["DesiredCapacity"] == _desired(cluster)
    wait_until(lambda: _running(cluster) == 1, "the remaining pod to run")

    scale_downs = _events(cluster, "kube-system", "ScaleDown")
    assert any(e["message"].startswith("Scale-down: removing") for e in scale_downs), scale_downs
    marked = [e for e in _events(cluster, "default", "ScaleDown") if e["involvedObject"]["kind"] == "Node"]
    assert any(e["message"] == "marked the node as toBeDeleted/unschedulable" for e in marked), marked

    def settled():
        text, _ = status_text()
        return f"cloudProviderTarget: {_desired(cluster)}" in text and text
    text = wait_until(settled, "the status to show the smaller group")
    assert "scaleUp:\n    status: NoActivity" in text
