"""HorizontalPodAutoscalers act on the simulated load: with the metrics-server add-on installed, an HPA on a
Deployment reads its pods' CPU through `metrics.k8s.io`, grows the Deployment as `ekslite load set` raises the load
(within maxReplicas, at the pace its behavior allows) and shrinks it when the load drops, with upstream's status,
conditions and events; `kubectl autoscale` (kubectl 1.32) makes one too. The server runs the HPA controller every
second (`--horizontal-pod-autoscaler-sync-period`), as kube-controller-manager's flag shortens it."""

import json

from conftest import create_nodes_cluster, run_ekslite, wait_until

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: {ekslite.dev/cpu-load: "40m"}
    spec:
      containers:
      - name: app
        image: nginx
        resources: {requests: {cpu: 100m, memory: 32Mi}}
"""

HPA = """
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: default}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 6
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
  behavior:
    scaleUp:
      stabilizationWindowSeconds: 0
      policies: [{type: Pods, value: 10, periodSeconds: 1}]
    scaleDown:
      stabilizationWindowSeconds: 0
      policies: [{type: Percent, value: 100, periodSeconds: 1}]
"""


def hpa(cluster, name="web"):
    return json.loads(cluster.kubectl("get", "hpa", name, "-o", "json").stdout)


def condition(status, kind):
    return next((c for c in status.get("conditions", []) if c["type"] == kind), {})


def replicas(cluster):
    return json.loads(cluster.kubectl("get", "deployment", "web", "-o", "json").stdout)["spec"]["replicas"]


def test_an_hpa_follows_the_load_up_to_its_maximum_and_back_down(tmp_path, ekslite):
    server = ekslite(args=["--horizontal-pod-autoscaler-sync-period", "1"])
    cluster = create_nodes_cluster(server, tmp_path, nodes=2)
    cluster.eks.create_addon(clusterName=cluster.eks_name, addonName="metrics-server")
    cluster.kubectl("apply", "-f", "-", input=DEPLOYMENT)
    cluster.kubectl("apply", "-f", "-", input=HPA)

    def measured():
        status = hpa(cluster).get("status", {})
        current = status.get("currentMetrics") or []
        # A metric not yet read is an empty status (`type: ""`), as upstream writes it.
        utilization = current[0].get("resource", {}).get("current", {}).get("averageUtilization") if current else None
        return status if utilization == 40 else None
    status = wait_until(measured, "the HPA to measure 40% of the CPU request", deadline=90)
    assert status["desiredReplicas"] == 1 and status["currentReplicas"] == 1, status
    assert condition(status, "ScalingActive")["reason"] == "ValidMetricFound", status
    assert condition(status, "AbleToScale")["status"] == "True", status

    raised = run_ekslite("load", "set", "deployment/web", "--cpu", "450m", "--cluster", cluster.name,
                         "--endpoint", server.url)
    assert raised.returncode == 0, raised.stderr
    wait_until(lambda: replicas(cluster) == 6, "the Deployment to grow to maxReplicas", deadline=60)
    status = wait_until(lambda: (s := hpa(cluster).get("status", {})) and condition(s, "ScalingLimited").get("reason")
                        == "TooManyReplicas" and s, "the HPA limited by maxReplicas")
    assert condition(status, "ScalingLimited")["status"] == "True", status
    table = cluster.kubectl("get", "hpa", "web").stdout
    assert "/50%" in table and " 6 " in table, table
    events = cluster.kubectl("get", "events", "--field-selector", "involvedObject.name=web,reason=SuccessfulRescale",
                             "-o", "json").stdout
    messages = [e["message"] for e in json.loads(events)["items"]]
    assert any(m.startswith("New size: ") and "cpu resource utilization (percentage of request) above target" in m
               for m in messages), messages

    lowered = run_ekslite("load", "set", "deployment/web", "--cpu", "100m", "--cluster", cluster.name,
                          "--endpoint", server.url)
    assert lowered.returncode == 0, lowered.stderr
    # 100m over six pods is 17% of the request: ceil(6 * 16.7 / 50) = 2 pods.
    wait_until(lambda: replicas(cluster) == 2, "the Deployment to shrink to two pods", deadline=60)
    described = cluster.kubectl("describe", "hpa", "web").stdout
    assert "below target" in described, described


def test_kubectl_autoscale_makes_an_hpa_that_reports_a_missing_request(tmp_path, ekslite):
    server = ekslite(args=["--horizontal-pod-autoscaler-sync-period", "1"])
    cluster = create_nodes_cluster(server, tmp_path, nodes=1)
    cluster.eks.create_addon(clusterName=cluster.eks_name, addonName="metrics-server")
    cluster.kubectl("create", "deployment", "bare", "--image=nginx")
    cluster.kubectl("autoscale", "deployment", "bare", "--min=1", "--max=3", "--cpu-percent=80",
                    kubectl="/usr/bin/kubectl")
    # Until metrics-server is ready the metrics cannot be fetched; then, without a CPU request, a utilization
    # target cannot be computed: both as upstream reports them.
    status = wait_until(lambda: (s := hpa(cluster, "bare").get("status", {})) and
                        condition(s, "ScalingActive").get("status") == "False" and s,
                        "the HPA to report it cannot compute utilization", deadline=90)
    active = condition(status, "ScalingActive")
    assert active["reason"] == "FailedGetResourceMetric", active
    assert active["message"].startswith("the HPA was unable to compute the replica count: failed to get cpu"), active
    missing = wait_until(lambda: "missing request for cpu in container nginx of Pod bare-" in
                         condition(hpa(cluster, "bare").get("status", {}), "ScalingActive").get("message", ""),
                         "the HPA to name the container without a CPU request", deadline=90)
    assert missing
    table = cluster.kubectl("get", "hpa", "bare", kubectl="/usr/bin/kubectl").stdout
    assert "cpu: <unknown>/80%" in table, table
    # A target that does not exist.
    cluster.kubectl("autoscale", "deployment", "bare", "--name=ghost", "--min=1", "--max=2", "--cpu-percent=50")
    cluster.kubectl("patch", "hpa", "ghost", "--type=merge", "-p",
                    json.dumps({"spec": {"scaleTargetRef": {"name": "does-not-exist"}}}))
    status = wait_until(lambda: (s := hpa(cluster, "ghost").get("status", {})) and
                        condition(s, "AbleToScale").get("reason") == "FailedGetScale" and s,
                        "the HPA to report the missing target")
    assert condition(status, "AbleToScale")["status"] == "False", status
