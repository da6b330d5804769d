"""The Vertical Pod Autoscaler installed as users install it on EKS (upstream's `vpa-up.sh` Deployments in kube-system,
images `registry.k8s.io/autoscaling/vpa-recommender`, `vpa-updater` and `vpa-admission-controller`), with the
metrics-server add-on: the CRDs appear, a VPA in `Auto` mode recommends its Deployment's usage plus the 15% margin
(`kubectl get vpa`), and its pods are evicted one at a time and come back with the recommended requests; a VPA in
`Off` mode only recommends; the CRD's schema refuses an unknown update mode. Without metrics-server no recommendation
is provided, and a missing target is reported. The components' intervals are shortened by their flags."""

import json

from conftest import create_nodes_cluster, wait_until

COMPONENTS = """
apiVersion: v1
kind: ServiceAccount
metadata: {name: vpa-recommender, namespace: kube-system}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: vpa-updater, namespace: kube-system}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: vpa-admission-controller, namespace: kube-system}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: vpa-recommender, namespace: kube-system}
spec:
  replicas: 1
  selector: {matchLabels: {app: vpa-recommender}}
  template:
    metadata: {labels: {app: vpa-recommender}}
    spec:
      serviceAccountName: vpa-recommender
      containers:
      - name: recommender
        image: registry.k8s.io/autoscaling/vpa-recommender:1.2.1
        args: [--recommender-interval=2s, --v=4]
        resources: {requests: {cpu: 50m, memory: 500Mi}}
        ports: [{name: prometheus, containerPort: 8942}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: vpa-updater, namespace: kube-system}
spec:
  replicas: 1
  selector: {matchLabels: {app: vpa-updater}}
  template:
    metadata: {labels: {app: vpa-updater}}
    spec:
      serviceAccountName: vpa-updater
      containers:
      - name: updater
        image: registry.k8s.io/autoscaling/vpa-updater:1.2.1
        args: [--updater-interval=2s, --min-replicas=2]
        resources: {requests: {cpu: 50m, memory: 500Mi}}
        ports: [{name: prometheus, containerPort: 8943}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: vpa-admission-controller, namespace: kube-system}
spec:
  replicas: 1
  selector: {matchLabels: {app: vpa-admission-controller}}
  template:
    metadata: {labels: {app: vpa-admission-controller}}
    spec:
      serviceAccountName: vpa-admission-controller
      containers:
      - name: admission-controller
        image: registry.k8s.io/autoscaling/vpa-admission-controller:1.2.1
        resources: {requests: {cpu: 50m, memory: 200Mi}}
        ports: [{containerPort: 8000}]
"""


def workload(name: str, replicas: int = 2) -> str:
    # Each pod uses 500m of CPU (and the idle memory of one container).
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: default}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata:
      labels: {{app: {name}}}
      annotations: {{ekslite.dev/cpu-usage: 500m}}
    spec:
      containers:
      - name: app
        image: nginx
        resources: {{requests: {{cpu: 100m, memory: 64Mi}}, limits: {{memory: 128Mi}}}}
"""


def vpa(name: str, mode: str, target: str | None = None) -> str:
    return f"""
apiVersion: autoscaling.k8s.io/v1
kind: VerticalPodAutoscaler
metadata: {{name: {name}, namespace: default}}
spec:
  targetRef: {{apiVersion: apps/v1, kind: Deployment, name: {target or name}}}
  updatePolicy: {{updateMode: "{mode}"}}
"""


def get_json(cluster, *args):
    return json.loads(cluster.kubectl("get", *args, "-o", "json").stdout)


def condition(status, kind):
    return next((c for c in status.get("conditions", []) if c["type"] == kind), {})


def target_of(cluster, name):
    recommendations = get_json(cluster, "vpa", name).get("status", {}).get("recommendation", {})
    containers = recommendations.get("containerRecommendations") or []
    return containers[0] if containers else None


def pods_of(cluster, app):
    pods = get_json(cluster, "pods", "-l", f"app={app}")["items"]
    return [p for p in pods if not p["metadata"].get("deletionTimestamp")]


def install(cluster):
    cluster.kubectl("apply", "-f", "-", input=COMPONENTS)
    wait_until(lambda: cluster.kubectl("get", "crd", "verticalpodautoscalers.autoscaling.k8s.io", check=False)
               .returncode == 0, "the VPA's CRDs", deadline=90)
    wait_until(lambda: cluster.kubectl("get", "crd", "verticalpodautoscalercheckpoints.autoscaling.k8s.io",
                                       check=False).returncode == 0, "the checkpoint CRD")


def test_an_auto_vpa_recreates_pods_with_the_recommendation_and_an_off_vpa_only_recommends(tmp_path, ekslite):
    server = ekslite()
    cluster = create_nodes_cluster(server, tmp_path, nodes=2)
    cluster.eks.create_addon(clusterName=cluster.eks_name, addonName="metrics-server")
    install(cluster)
    cluster.kubectl("apply", "-f", "-", input=workload("web"))
    cluster.kubectl("apply", "-f", "-", input=workload("api"))
    wait_until(lambda: len([p for p in pods_of(cluster, "api") if p["status"].get("phase") == "Running"]) == 2,
               "the api pods to run", deadline=90)
    api_pods = sorted(p["metadata"]["name"] for p in pods_of(cluster, "api"))
    cluster.kubectl("apply", "-f", "-", input=vpa("web", "Auto"))
    cluster.kubectl("apply", "-f", "-", input=vpa("api", "Off"))

    # 500m falls in the histogram bucket ending at 511m; with the 15% margin the target is 587m. The idle memory is
    # far below the 250Mi minimum.
    web = wait_until(lambda: (t := target_of(cluster, "web")) and t["target"].get("cpu") == "587m" and t,
                     "the web VPA to recommend 587m", deadline=120)
    assert web["containerName"] == "app", web
    assert web["target"]["memory"] == "250Mi", web
    assert web["uncappedTarget"] == web["target"], web
    status = get_json(cluster, "vpa", "web")["status"]
    assert condition(status, "RecommendationProvided")["status"] == "True", status
    table = cluster.kubectl("get", "vpa").stdout
    header = table.splitlines()[0].split()
    assert header == ["NAME", "MODE", "CPU", "MEM", "PROVIDED", "AGE"], table
    row = next(line.split() for line in table.splitlines() if line.startswith("web "))
    assert row[1:5] == ["Auto", "587m", "250Mi", "True"], table

    # Requests below the recommendation's lower bound: the updater evicts the pods (one at a time: two replicas at
    # the default tolerance of 0.5), and the admission controller gives the new ones the target, with the memory
    # limit kept at twice the request.
    def recreated():
        pods = pods_of(cluster, "web")
        resources = [p["spec"]["containers"][0]["resources"] for p in pods]
        done = len(pods) == 2 and all(r.get("requests") == {"cpu": "587m", "memory": "250Mi"} for r in resources)
        return done and pods
    pods = wait_until(recreated, "the web pods to come back with the recommended requests", deadline=180)
    for pod in pods:
        assert pod["spec"]["containers"][0]["resources"]["limits"] == {"memory": "500Mi"}, pod["spec"]
        annotations = pod["metadata"]["annotations"]
        assert annotations["vpaObservedContainers"] == "app", annotations
        assert annotations["vpaUpdates"].startswith("Pod resources updated by web: container 0: "), annotations
        assert "cpu request" in annotations["vpaUpdates"] and "memory limit" in annotations["vpaUpdates"], annotations
    events = get_json(cluster, "events", "--field-selector", "reason=EvictedByVPA")["items"]
    assert len(events) >= 2, events
    assert all(e["message"] == "Pod was evicted by VPA Updater to apply resource recommendation."
               for e in events), events
    assert all(e["source"]["component"] == "vpa-updater" for e in events), events
    vpa_events = get_json(cluster, "events", "--field-selector", "reason=EvictedPod,involvedObject.name=web")["items"]
    assert vpa_events and vpa_events[0]["message"].startswith("VPA Updater evicted Pod web-"), vpa_events

    # Off: recommended, but its pods stay as they were, and new ones are not changed either.
    api = wait_until(lambda: target_of(cluster, "api"), "the api VPA to recommend")
    assert api["target"]["cpu"] == "587m", api
    assert sorted(p["metadata"]["name"] for p in pods_of(cluster, "api")) == api_pods
    cluster.kubectl("scale", "deployment", "api", "--replicas=3")
    new = wait_until(lambda: (ps := pods_of(cluster, "api")) and len(ps) == 3 and ps, "a third api pod")
    for pod in new:
        assert pod["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "100m", "memory": "64Mi"}, pod
        assert "vpaUpdates" not in pod["metadata"].get("annotations", {}), pod["metadata"]
    row = next(line.split() for line in cluster.kubectl("get", "vpa").stdout.splitlines() if line.startswith("api "))
    assert row[1] == "Off", row

    # The CRD's schema refuses an update mode that does not exist.
    refused = cluster.kubectl("apply", "-f", "-", input=vpa("bad", "Sometimes", target="web"), check=False)
    assert refused.returncode != 0, refused.stdout
    assert 'spec.updatePolicy.updateMode: Unsupported value: "Sometimes"' in refused.stderr, refused.stderr
    assert cluster.kubectl("get", "vpa", "bad", check=False).returncode != 0


def test_without_metrics_server_no_recommendation_is_provided_and_a_missing_target_is_reported(tmp_path, ekslite):
    server = ekslite()
    cluster = create_nodes_cluster(server, tmp_path, nodes=1)
    install(cluster)
    cluster.kubectl("apply", "-f", "-", input=workload("web"))
    cluster.kubectl("apply", "-f", "-", input=vpa("web", "Auto"))
    cluster.kubectl("apply", "-f", "-", input=vpa("ghost", "Auto", target="does-not-exist"))

    def reported(name, kind, value):
        status = get_json(cluster, "vpa", name).get("status", {})
        return condition(status, kind).get("status") == value and status
    status = wait_until(lambda: reported("web", "RecommendationProvided", "False"),
                        "the web VPA to say it has no recommendation", deadline=90)
    assert "recommendation" not in status, status
    assert not condition(status, "NoPodsMatched"), status
    line = next(line for line in cluster.kubectl("get", "vpa").stdout.splitlines() if line.startswith("web "))
    assert " Auto " in line and " False " in line, line

    status = wait_until(lambda: reported("ghost", "ConfigUnsupported", "True"), "the ghost VPA to report its target")
    assert condition(status, "ConfigUnsupported")["message"] == \
        "Cannot read targetRef. Reason: Deployment default/does-not-exist does not exist", status
    assert condition(status, "NoPodsMatched")["reason"] == "NoPodsMatched", status
    provided = condition(status, "RecommendationProvided")
    assert provided["status"] == "False" and provided["message"] == "No pods match this VPA object", status
    # Nothing to recommend, so nothing is evicted.
    pods = pods_of(cluster, "web")
    assert all(p["spec"]["containers"][0]["resources"]["requests"]["cpu"] == "100m" for p in pods), pods
