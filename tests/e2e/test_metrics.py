"""Resource metrics as on EKS: a cluster has no metrics API until the metrics-server add-on is installed
(`kubectl top` answers "Metrics API not available"); once its pods are ready the `v1beta1.metrics.k8s.io`
APIService is available, the API server passes `metrics.k8s.io` on to it (the aggregation layer), and `kubectl top`
(both kubectl versions) shows nodes and pods from the simulated usage: fixed usage annotations, a workload's load
shared by its ready pods, and the load changed at run time with `ekslite load set`."""

import json
import re
import urllib.error
import urllib.request

from conftest import create_nodes_cluster, run_ekslite, wait_until

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: {ekslite.dev/cpu-load: "600m", ekslite.dev/memory-usage: 96Mi}
    spec:
      containers:
      - name: app
        image: nginx
        resources: {requests: {cpu: 100m, memory: 64Mi}}
"""


def raw(cluster, path, check=True):
    return cluster.kubectl("get", "--raw", path, check=check)


def millicores(quantity: str) -> float:
    if quantity.endswith("n"):
        return int(quantity[:-1]) / 1e6
    if quantity.endswith("u"):
        return int(quantity[:-1]) / 1e3
    if quantity.endswith("m"):
        return float(quantity[:-1])
    return float(quantity) * 1000


def web_cpu(cluster):
    """Each web pod's CPU in millicores, from the metrics API."""
    listed = json.loads(raw(cluster, "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=app%3Dweb")
                        .stdout)
    return sorted(round(millicores(p["containers"][0]["usage"]["cpu"])) for p in listed["items"])


def available(cluster):
    service = json.loads(cluster.kubectl("get", "apiservice", "v1beta1.metrics.k8s.io", "-o", "json").stdout)
    return any(c["type"] == "Available" and c["status"] == "True" for c in service["status"].get("conditions", []))


def test_metrics_server_addon_serves_kubectl_top_and_loads_change_at_run_time(tmp_path, ekslite):
    server = ekslite()
    cluster = create_nodes_cluster(server, tmp_path, nodes=2)
    top = cluster.kubectl("top", "nodes", check=False)
    assert top.returncode != 0 and "Metrics API not available" in top.stderr, top.stderr
    missing = raw(cluster, "/apis/metrics.k8s.io/v1beta1/nodes", check=False)
    assert missing.returncode != 0 and "NotFound" in missing.stderr, missing.stderr

    cluster.kubectl("apply", "-f", "-", input=DEPLOYMENT)
    cluster.eks.create_addon(clusterName=cluster.eks_name, addonName="metrics-server")
    cluster.eks.get_waiter("addon_active").wait(clusterName=cluster.eks_name, addonName="metrics-server",
                                                WaiterConfig={"Delay": 1, "MaxAttempts": 90})

    wait_until(lambda: available(cluster), "the metrics APIService to be available")

    # kubectl top through aggregated discovery and the proxied API, with both kubectl versions.
    for kubectl in ("kubectl", "/usr/bin/kubectl"):
        nodes = wait_until(lambda: cluster.kubectl("top", "nodes", kubectl=kubectl, check=False), "kubectl top nodes")
        assert nodes.returncode == 0, nodes.stderr
        assert "CPU(cores)" in nodes.stdout and "MEMORY(bytes)" in nodes.stdout, nodes.stdout
        assert len(nodes.stdout.strip().splitlines()) == 3, nodes.stdout
    wait_until(lambda: len(web_cpu(cluster)) == 2, "metrics of both web pods")
    assert web_cpu(cluster) == [300, 300], "600m shared by two ready pods"
    pods = cluster.kubectl("top", "pods", "-l", "app=web", "--containers", "--sort-by=cpu")
    assert "app" in pods.stdout and "300m" in pods.stdout and "96Mi" in pods.stdout, pods.stdout
    everywhere = cluster.kubectl("top", "pods", "-A", "--sort-by=memory").stdout
    assert "metrics-server-" in everywhere and "coredns-" in everywhere, everywhere

    # The load changes at run time, without a rollout; scaling out shares it among more pods.
    changed = run_ekslite("load", "set", "deployment/web", "--cpu", "3", "--cluster", cluster.name,
                          "--endpoint", server.url)
    assert changed.returncode == 0, changed.stderr
    wait_until(lambda: web_cpu(cluster) == [1500, 1500], "3 cores over two pods")
    cluster.kubectl("scale", "deployment/web", "--replicas=3")
    wait_until(lambda: web_cpu(cluster) == [1000, 1000, 1000], "3 cores over three pods")
    listed = run_ekslite("load", "list", "--cluster", cluster.name, "--endpoint", server.url)
    assert "deployment/web" in listed.stdout and "3000m" in listed.stdout, listed.stdout
    cleared = run_ekslite("load", "clear", "deployment/web", "--cluster", cluster.name, "--endpoint", server.url)
    assert cleared.returncode == 0, cleared.stderr
    wait_until(lambda: web_cpu(cluster) == [200, 200, 200], "the template's 600m again")

    node = json.loads(raw(cluster, "/apis/metrics.k8s.io/v1beta1/nodes").stdout)["items"][0]
    assert node["window"] == "15s" and re.fullmatch(r"\d+(Ki|Mi|Gi)?", node["usage"]["memory"]), node
    # Bad requests get the API's statuses; the CLI refuses what the route would.
    bad = raw(cluster, "/apis/metrics.k8s.io/v1beta1/pods?labelSelector=a%3D%3D%3Db", check=False)
    assert bad.returncode != 0 and "unable to parse requirement" in bad.stderr, bad.stderr
    gone = raw(cluster, "/apis/metrics.k8s.io/v1beta1/nodes/no-such-node", check=False)
    assert "nodemetrics.metrics.k8s.io \"no-such-node\" not found" in gone.stderr, gone.stderr
    refused = run_ekslite("load", "set", "secret/web", "--cpu", "1", "--cluster", cluster.name,
                          "--endpoint", server.url)
    assert refused.returncode != 0 and "not a kind of workload" in refused.stderr, refused.stderr
    garbage = run_ekslite("load", "set", "deployment/web", "--cpu", "lots", "--cluster", cluster.name,
                          "--endpoint", server.url)
    assert garbage.returncode != 0 and "not a quantity" in garbage.stderr, garbage.stderr
    route = f"{server.url}/_ekslite/clusters/{cluster.name}/loads/default/deployment/web"
    for body, status in ((b"{not json", 400), (b'{"cpu": "' + b"9" * 200_000 + b'"}', 413), (b"[]", 400)):
        request = urllib.request.Request(route, data=body, method="PUT")
        try:
            urllib.request.urlopen(request, timeout=10)
            answered = 200
        except urllib.error.HTTPError as error:
            answered = error.code
        assert answered == status, (body[:20], answered)
    assert web_cpu(cluster) == [200, 200, 200], "refused loads change nothing"
    nowhere = run_ekslite("load", "set", "deployment/web", "--cpu", "1", "--cluster", "nope", "--endpoint", server.url)
    assert nowhere.returncode != 0 and "no data plane" in nowhere.stderr, nowhere.stderr

    # Deleting the add-on takes the API away again.
    cluster.eks.delete_addon(clusterName=cluster.eks_name, addonName="metrics-server")
    wait_until(lambda: "Metrics API not available" in cluster.kubectl("top", "nodes", check=False).stderr,
               "the metrics API to go with the add-on")


def test_an_api_service_whose_service_has_no_ready_pods_is_unavailable(tmp_path, ekslite):
    cluster = create_nodes_cluster(ekslite(), tmp_path, nodes=1)
    cluster.kubectl("apply", "-f", "-", input=json.dumps({
        "apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
        "metadata": {"name": "v1beta1.metrics.k8s.io"},
        "spec": {"group": "metrics.k8s.io", "version": "v1beta1", "groupPriorityMinimum": 100,
                 "versionPriority": 100, "insecureSkipTLSVerify": True,
                 "service": {"name": "metrics-server", "namespace": "kube-system", "port": 443}}}))
    answer = raw(cluster, "/apis/metrics.k8s.io/v1beta1/nodes", check=False)
    assert answer.returncode != 0, answer.stdout
    assert "the server is currently unable to handle the request" in answer.stderr, answer.stderr
    top = cluster.kubectl("top", "pods", check=False)
    assert top.returncode != 0, top.stdout
    legacy = json.loads(raw(cluster, "/apis").stdout)
    assert "metrics.k8s.io" in [g["name"] for g in legacy["groups"]], "listed, as kube-aggregator lists APIServices"
    group = json.loads(raw(cluster, "/apis/metrics.k8s.io").stdout)
    assert group["preferredVersion"]["groupVersion"] == "metrics.k8s.io/v1beta1"
    # A pod that only echoes is no aggregated API server: discovery leaves it out, requests get its echo.
    cluster.kubectl("create", "service", "clusterip", "metrics-server", "-n", "kube-system", "--tcp=443:8443")
    cluster.kubectl("-n", "kube-system", "run", "metrics-server", "--image=nginx", "--port=8443",
                    "--labels=app=metrics-server")
    cluster.kubectl("-n", "kube-system", "wait", "--for=condition=Ready", "pod/metrics-server", "--timeout=60s")
    wait_until(lambda: available(cluster), "the APIService available once its Service has a ready pod")
    echoed = json.loads(raw(cluster, "/apis/metrics.k8s.io/v1beta1/nodes").stdout)
    assert echoed["path"] == "/apis/metrics.k8s.io/v1beta1/nodes" and echoed["pod"] == "metrics-server", echoed
    top = cluster.kubectl("top", "nodes", check=False)
    assert top.returncode != 0 and "Metrics API not available" in top.stderr, top.stderr
