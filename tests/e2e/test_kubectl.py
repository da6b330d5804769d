"""kubectl (v1.37 and the image's v1.32) and the Python kubernetes client against a cluster's API server."""

import json
import subprocess
import threading
import time

import pytest

from conftest import create_cluster, run_ekslite, wait_until

KUBECTL_132 = "/usr/bin/kubectl"
MANIFEST = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  labels: {app: web}
data:
  greeting: hello
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx}]
"""


@pytest.mark.parametrize("kubectl", ["kubectl", KUBECTL_132])
def test_version_reports_the_clusters_own_version(cluster, kubectl):
    result = cluster.kubectl("version", "-o", "json", kubectl=kubectl)
    server = json.loads(result.stdout)["serverVersion"]
    assert (server["major"], server["minor"]) == ("1", "34")
    assert server["gitVersion"].startswith("v1.34.")


def test_a_cluster_runs_the_version_asked_for(ekslite, tmp_path):
    old = create_cluster(ekslite(), "old", tmp_path, version="1.31")
    assert json.loads(old.kubectl("version", "-o", "json").stdout)["serverVersion"]["minor"] == "31"


@pytest.mark.parametrize("kubectl", ["kubectl", KUBECTL_132])
def test_discovery(cluster, kubectl):
    resources = cluster.kubectl("api-resources", kubectl=kubectl).stdout
    for row in [("pods", "po", "v1", "true", "Pod"), ("deployments", "deploy", "apps/v1", "true", "Deployment"),
                ("namespaces", "ns", "v1", "false", "Namespace"),
                ("customresourcedefinitions", "crd,crds", "apiextensions.k8s.io/v1", "false", "CustomResourceDefinition")]:
        assert any(line.split() == list(row) for line in resources.splitlines()), f"{row} in:\n{resources}"
    versions = cluster.kubectl("api-versions", kubectl=kubectl).stdout.split()
    for version in ["v1", "apps/v1", "batch/v1", "autoscaling/v2", "autoscaling/v1", "rbac.authorization.k8s.io/v1",
                    "networking.k8s.io/v1", "storage.k8s.io/v1", "coordination.k8s.io/v1"]:
        assert version in versions
    raw = json.loads(cluster.kubectl("get", "--raw", "/api", kubectl=kubectl).stdout)
    assert raw["kind"] == "APIVersions" and raw["versions"] == ["v1"]
    group = json.loads(cluster.kubectl("get", "--raw", "/apis/apps", kubectl=kubectl).stdout)
    assert group["preferredVersion"]["groupVersion"] == "apps/v1"


def test_new_clusters_have_the_standard_namespaces(cluster):
    names = cluster.kubectl("get", "namespaces", "-o", "name").stdout.split()
    assert names == ["namespace/default", "namespace/kube-node-lease", "namespace/kube-public", "namespace/kube-system"]


@pytest.mark.parametrize("kubectl", ["kubectl", KUBECTL_132])
def test_apply_get_and_delete_a_manifest(cluster, kubectl):
    applied = cluster.kubectl("apply", "--validate=false", "-f", "-", input=MANIFEST, kubectl=kubectl).stdout
    assert "configmap/web-config created" in applied and "deployment.apps/web created" in applied
    again = cluster.kubectl("apply", "--validate=false", "-f", "-", input=MANIFEST, kubectl=kubectl).stdout
    assert "configmap/web-config unchanged" in again and "deployment.apps/web unchanged" in again

    config = json.loads(cluster.kubectl("get", "configmap", "web-config", "-o", "json", kubectl=kubectl).stdout)
    assert config["data"] == {"greeting": "hello"}
    assert config["metadata"]["namespace"] == "default"
    assert config["metadata"]["uid"] and config["metadata"]["creationTimestamp"]
    assert int(config["metadata"]["resourceVersion"]) > 0
    deployment = json.loads(cluster.kubectl("get", "deploy", "web", "-o", "json", kubectl=kubectl).stdout)
    assert deployment["metadata"]["generation"] == 1

    by_label = cluster.kubectl("get", "cm,deploy", "-l", "app=web", "-o", "name", kubectl=kubectl).stdout.split()
    assert by_label == ["configmap/web-config", "deployment.apps/web"]
    # Only the config map every namespace has (the cluster's CA) lacks the label.
    unlabelled = cluster.kubectl("get", "cm", "-l", "app!=web", "-o", "name", kubectl=kubectl).stdout
    assert unlabelled == "configmap/kube-root-ca.crt\n"
    by_field = cluster.kubectl("get", "cm", "--field-selector", "metadata.name=web-config", "-o", "name", kubectl=kubectl)
    assert by_field.stdout.split() == ["configmap/web-config"]
    jsonpath = cluster.kubectl("get", "cm", "web-config", "-o", "jsonpath={.data.greeting}", kubectl=kubectl).stdout
    assert jsonpath == "hello"
    across = cluster.kubectl("get", "cm", "-A", "-o", "name", kubectl=kubectl).stdout.split()
    assert "configmap/web-config" in across

    deleted = cluster.kubectl("delete", "-f", "-", input=MANIFEST, kubectl=kubectl).stdout
    assert 'configmap "web-config" deleted' in deleted
    missing = cluster.kubectl("get", "cm", "web-config", check=False, kubectl=kubectl)
    assert missing.returncode == 1
    assert 'configmaps "web-config" not found' in missing.stderr


def test_get_watch_prints_changes_made_elsewhere(cluster):
    watcher = subprocess.Popen(
        ["kubectl", "--kubeconfig", str(cluster.kubeconfig), "get", "configmaps", "--watch", "-o", "name"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(watcher.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        for name in ["first", "second"]:
            manifest = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}})
            cluster.kubectl("apply", "--validate=false", "-f", "-", input=manifest)
        wait_until(lambda: {"configmap/first\n", "configmap/second\n"} <= set(lines), "kubectl get -w to print both")
    finally:
        watcher.kill()
        watcher.wait()


def test_chunked_lists_page_with_continue_tokens(cluster):
    from kubernetes import client, config

    api = client.CoreV1Api(config.new_client_from_config(str(cluster.kubeconfig)))
    for idx in range(1200):
        api.create_namespaced_config_map("default", {"metadata": {"name": f"cm-{idx:04d}"}})
    result = cluster.kubectl("get", "configmaps", "--chunk-size=500", "-o", "name", "-v=6")
    assert len(result.stdout.split()) == 1201, "1,200 plus kube-root-ca.crt"
    requests = [line for line in result.stderr.splitlines() if "/api/v1/namespaces/default/configmaps" in line]
    assert len(requests) == 3, "\n".join(requests)
    assert sum("continue=" in line for line in requests) == 2


def test_python_client_create_list_watch_delete(cluster):
    from kubernetes import client, config, watch

    api = client.CoreV1Api(config.new_client_from_config(str(cluster.kubeconfig)))
    api.create_namespace({"metadata": {"name": "py"}})
    created = api.create_namespaced_config_map("py", {"metadata": {"name": "one", "labels": {"k": "v"}}, "data": {"x": "1"}})
    assert created.metadata.resource_version
    listed = api.list_namespaced_config_map("py", label_selector="k=v")
    assert [item.metadata.name for item in listed.items] == ["one"]

    events = []
    stream = watch.Watch().stream(api.list_namespaced_config_map, "py", resource_version=listed.metadata.resource_version,
                                  allow_watch_bookmarks=True, timeout_seconds=10)
    api.patch_namespaced_config_map("one", "py", {"data": {"x": "2"}})
    api.delete_namespaced_config_map("one", "py")
    for event in stream:
        events.append((event["type"], event["object"].metadata.name))
        if event["type"] == "DELETED":
            break
    assert events == [("MODIFIED", "one"), ("DELETED", "one")]
    assert [item.metadata.name for item in api.list_namespaced_config_map("py").items] == ["kube-root-ca.crt"]


def test_bad_requests_get_kubernetes_status_errors(cluster):
    from kubernetes import client, config
    from kubernetes.client.rest import ApiException

    api_client = config.new_client_from_config(str(cluster.kubeconfig))
    api = client.CoreV1Api(api_client)

    def status_of(call):
        with pytest.raises(ApiException) as raised:
            call()
        body = json.loads(raised.value.body)
        assert body["kind"] == "Status" and body["status"] == "Failure"
        return raised.value.status, body

    code, body = status_of(lambda: api.create_namespaced_config_map("default", {"metadata": {"name": "Bad_Name"}}))
    assert (code, body["reason"]) == (422, "Invalid")
    assert body["details"]["causes"][0]["field"] == "metadata.name"
    code, body = status_of(lambda: api.create_namespaced_config_map("nowhere", {"metadata": {"name": "x"}}))
    assert (code, body["message"]) == (404, 'namespaces "nowhere" not found')
    api.create_namespaced_config_map("default", {"metadata": {"name": "dup"}})
    code, body = status_of(lambda: api.create_namespaced_config_map("default", {"metadata": {"name": "dup"}}))
    assert (code, body["reason"], body["message"]) == (409, "AlreadyExists", 'configmaps "dup" already exists')
    stale = api.read_namespaced_config_map("dup", "default")
    api.replace_namespaced_config_map("dup", "default", stale)
    code, body = status_of(lambda: api.replace_namespaced_config_map("dup", "default", stale))
    assert (code, body["reason"]) == (409, "Conflict")
    assert "the object has been modified" in body["message"]

    raw = cluster.kubectl("get", "--raw", "/api/v1/namespaces/default/frobnicators", check=False)
    assert raw.returncode != 0 and "NotFound" in raw.stderr or "not found" in raw.stderr
    before = cluster.kubectl("get", "cm", "-o", "name").stdout
    for body, content_type, expected in [
        (b"{not json", "application/json", 400),
        (b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}', "text/plain", 415),
        (b'{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"}}', "application/json", 400),
        (b'{"apiVersion":"apps/v1","kind":"ConfigMap","metadata":{"name":"x"}}', "application/json", 400),
        (b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":' + b'"' + b"x" * 3_200_000 + b'"}',
         "application/json", 413),
        (b"[1, 2]", "application/json", 400),
        (b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [x\n", "application/yaml", 400),
    ]:
        response = api_client.rest_client.pool_manager.request(
            "POST", f"{api_client.configuration.host}/api/v1/namespaces/default/configmaps",
            body=body, headers={"Content-Type": content_type},
        )
        assert response.status == expected, (body, response.data)
        assert json.loads(response.data)["kind"] == "Status"
    assert cluster.kubectl("get", "cm", "-o", "name").stdout == before, "nothing was written"
    yaml_body = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  a: '1'\n"
    created = api_client.rest_client.pool_manager.request(
        "POST", f"{api_client.configuration.host}/api/v1/namespaces/default/configmaps",
        body=yaml_body, headers={"Content-Type": "application/yaml"})
    assert created.status == 201 and json.loads(created.data)["data"] == {"a": "1"}


def test_requests_without_a_client_certificate_are_unauthorized(cluster):
    endpoint = json.loads(cluster.kubectl("config", "view", "--raw", "-o", "json").stdout)["clusters"][0]["cluster"]["server"]
    result = subprocess.run(["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", f"{endpoint}/api/v1/namespaces"],
                            capture_output=True, text=True, timeout=30)
    assert result.stdout == "401"
    healthz = subprocess.run(["curl", "-sk", f"{endpoint}/healthz"], capture_output=True, text=True, timeout=30)
    assert healthz.stdout == "ok"


def test_clusters_come_back_after_a_restart(ekslite, tmp_path):
    data_dir = tmp_path / "state"
    server = ekslite(data_dir=data_dir)
    demo = create_cluster(server, "demo", tmp_path)
    demo.kubectl("apply", "--validate=false", "-f", "-", input='{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kept"}}')
    assert server.stop() == 0
    again = ekslite(data_dir=data_dir)
    # The kubeconfig printed before the restart still works: same port, same CA, same admin certificate.
    wait_until(lambda: demo.kubectl("get", "namespace", "kept", check=False).returncode == 0, "the cluster to serve again")
    listed = run_ekslite("cluster", "list", "--endpoint", again.url).stdout
    assert "demo" in listed and "1.34" in listed


def test_cluster_commands_refuse_bad_input(ekslite, tmp_path):
    server = ekslite()
    create_cluster(server, "taken", tmp_path)
    for args, message in [
        (["cluster", "create", "taken"], 'cluster "taken" already exists'),
        (["cluster", "create", "bad name"], "invalid cluster name"),
        (["cluster", "create", "-leading"], "unexpected argument"),
        (["cluster", "create", "x", "--version", "1.99"], 'unsupported Kubernetes version "1.99"'),
        (["cluster", "delete", "nope"], 'no cluster named "nope"'),
        (["kubeconfig", "nope"], 'no cluster named "nope"'),
    ]:
        result = run_ekslite(*args, "--endpoint", server.url)
        assert result.returncode != 0, args
        assert message in result.stderr, (args, result.stderr)
    deleted = run_ekslite("cluster", "delete", "taken", "--endpoint", server.url)
    assert deleted.returncode == 0
    assert "taken" not in run_ekslite("cluster", "list", "--endpoint", server.url).stdout
    unreachable = run_ekslite("cluster", "list", "--endpoint", "http://127.0.0.1:1")
    assert unreachable.returncode == 1 and "cannot reach ekslite" in unreachable.stderr


@pytest.mark.parametrize("kubectl", ["kubectl", KUBECTL_132])
def test_get_prints_the_columns_of_each_kind(cluster, kubectl):
    cluster.kubectl("apply", "--validate=false", "-f", "-", input=MANIFEST)

    def table(*args):
        lines = cluster.kubectl("get", *args, kubectl=kubectl).stdout.strip().splitlines()
        return [line.split() for line in lines]

    deployments = table("deployments")
    assert deployments[0] == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    # The Deployment controller may have made its ReplicaSet (UP-TO-DATE 2); with no nodes nothing is available.
    assert deployments[1][:2] == ["web", "0/2"] and deployments[1][2] in ("0", "2") and deployments[1][3] == "0"
    assert deployments[1][4].endswith("s")
    wide = table("deployments", "-o", "wide")
    assert wide[0] == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]
    assert wide[1][5:] == ["web", "nginx", "app=web"]
    configmaps = table("configmaps")
    assert configmaps[0] == ["NAME", "DATA", "AGE"] and configmaps[1][:2] == ["kube-root-ca.crt", "1"]
    assert configmaps[2][:2] == ["web-config", "1"]
    namespaces = table("namespaces")
    assert namespaces[0] == ["NAME", "STATUS", "AGE"] and all(row[1] == "Active" for row in namespaces[1:])
    labelled = table("configmaps", "--show-labels", "-A")
    assert labelled[0] == ["NAMESPACE", "NAME", "DATA", "AGE", "LABELS"]
    labels = {(row[0], row[1]): row[-1] for row in labelled[1:]}
    assert labels[("default", "web-config")] == "app=web"
    assert labels[("kube-system", "kube-root-ca.crt")] == "<none>", "every namespace has the cluster CA"
    column = table("configmaps", "-L", "app")
    assert column[0][-1] == "APP" and column[2][-1] == "web"
    everything = cluster.kubectl("get", "all", kubectl=kubectl).stdout
    assert "deployment.apps/web" in everything
    sorted_names = cluster.kubectl("get", "cm", "--sort-by=.metadata.name", "-o", "name", kubectl=kubectl).stdout
    assert sorted_names.split() == ["configmap/kube-root-ca.crt", "configmap/web-config"]


MORE_KINDS = """
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 5
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-web}
spec: {podSelector: {matchLabels: {app: web}}, policyTypes: [Ingress]}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-data}
spec:
  capacity: {storage: 5Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: manual
  hostPath: {path: /data}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-manual, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints: [{addresses: [10.0.0.7]}]
"""


@pytest.mark.parametrize("kubectl", ["kubectl", KUBECTL_132])
def test_get_prints_upstream_columns_for_autoscalers_volumes_policies_and_slices(cluster, kubectl):
    cluster.kubectl("apply", "-f", "-", input=MORE_KINDS)

    def table(*args):
        lines = cluster.kubectl("get", *args, kubectl=kubectl).stdout.strip().splitlines()
        return [line.split() for line in lines]

    hpa = table("hpa", "web")
    assert hpa[0] == ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]
    assert hpa[1][:7] == ["web", "Deployment/web", "cpu:", "<unknown>/60%", "2", "5", "0"], hpa
    policies = table("networkpolicy")
    assert policies == [["NAME", "POD-SELECTOR", "AGE"], ["deny-web", "app=web", policies[1][2]]]
    # The PersistentVolume controller makes a new unclaimed volume Available.
    wait_until(lambda: cluster.kubectl("get", "pv", "pv-data", "-o", "jsonpath={.status.phase}").stdout == "Available",
               "the volume is Available")
    volumes = table("pv")
    assert volumes[0] == ["NAME", "CAPACITY", "ACCESS", "MODES", "RECLAIM", "POLICY", "STATUS", "CLAIM",
                          "STORAGECLASS", "VOLUMEATTRIBUTESCLASS", "REASON", "AGE"]
    assert volumes[1][:6] == ["pv-data", "5Gi", "RWO", "Retain", "Available", "manual"], volumes
    slices = table("endpointslices", "web-manual")
    assert slices == [["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"],
                      ["web-manual", "IPv4", "8080", "10.0.0.7", slices[1][4]]]


def test_field_validation_strict_warn_and_ignore(cluster):
    from kubernetes import config

    api_client = config.new_client_from_config(str(cluster.kubeconfig))
    url = f"{api_client.configuration.host}/apis/apps/v1/namespaces/default/deployments"
    deployment = json.loads(json.dumps({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, "bogus": 1,
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "web", "image": "nginx", "colour": "blue"}]}}},
    }))

    def post(validation, body=deployment):
        return api_client.rest_client.pool_manager.request(
            "POST", f"{url}?fieldValidation={validation}", body=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"})

    strict = post("Strict")
    assert strict.status == 400
    assert json.loads(strict.data)["message"] == (
        'strict decoding error: unknown field "spec.bogus", unknown field "spec.template.spec.containers[0].colour"')
    assert cluster.kubectl("get", "deploy", "-o", "name").stdout == "", "a refused request writes nothing"

    warned = post("Warn")
    assert warned.status == 201
    assert warned.headers.get_all("Warning") == [
        '299 - "unknown field \\"spec.bogus\\""', '299 - "unknown field \\"spec.template.spec.containers[0].colour\\""']
    stored = json.loads(cluster.kubectl("get", "deploy", "web", "-o", "json").stdout)
    assert "bogus" not in stored["spec"] and "colour" not in stored["spec"]["template"]["spec"]["containers"][0]

    deployment["metadata"]["name"] = "quiet"
    ignored = post("Ignore")
    assert ignored.status == 201 and not ignored.headers.get_all("Warning")

    wrong_type = dict(deployment, metadata={"name": "typed"}, spec=dict(deployment["spec"], replicas="two"))
    refused = post("Strict", wrong_type)
    assert refused.status == 400
    assert "cannot be handled as a Deployment" in json.loads(refused.data)["message"]
    assert post("Sometimes").status == 400


@pytest.mark.parametrize("kubectl", ["kubectl", KUBECTL_132])
def test_scale_label_annotate_patch_and_set_image(cluster, kubectl):
    cluster.kubectl("apply", "--validate=false", "-f", "-", input=MANIFEST)

    def deployment():
        return json.loads(cluster.kubectl("get", "deploy", "web", "-o", "json").stdout)

    assert "scaled" in cluster.kubectl("scale", "deploy/web", "--replicas=5", kubectl=kubectl).stdout
    scale = json.loads(cluster.kubectl("get", "--raw", "/apis/apps/v1/namespaces/default/deployments/web/scale").stdout)
    assert (scale["kind"], scale["spec"]["replicas"], scale["status"]["selector"]) == ("Scale", 5, "app=web")
    assert deployment()["metadata"]["generation"] == 2, "a spec change bumps the generation"
    not_scalable = cluster.kubectl("scale", "configmap/web-config", "--replicas=1", check=False, kubectl=kubectl)
    assert not_scalable.returncode != 0

    cluster.kubectl("label", "deploy", "web", "tier=front", kubectl=kubectl)
    cluster.kubectl("label", "deploy", "web", "app-", kubectl=kubectl)
    cluster.kubectl("annotate", "deploy", "web", "note=hello", kubectl=kubectl)
    labels, annotations = deployment()["metadata"]["labels"], deployment()["metadata"]["annotations"]
    assert labels == {"tier": "front"} and annotations["note"] == "hello"

    cluster.kubectl("patch", "deploy", "web", "--type", "json", "-p", '[{"op":"replace","path":"/spec/replicas","value":2}]', kubectl=kubectl)
    cluster.kubectl("patch", "deploy", "web", "--type", "merge", "-p", '{"spec":{"paused":true}}', kubectl=kubectl)
    cluster.kubectl("patch", "deploy", "web", "-p", '{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"busybox"}]}}}}', kubectl=kubectl)
    cluster.kubectl("set", "image", "deploy/web", "web=nginx:2", kubectl=kubectl)
    spec = deployment()["spec"]
    assert spec["replicas"] == 2 and spec["paused"] is True
    containers = {c["name"]: c["image"] for c in spec["template"]["spec"]["containers"]}
    assert containers == {"web": "nginx:2", "side": "busybox"}, "strategic merge keeps both containers"
    bad = cluster.kubectl("patch", "deploy", "web", "--type", "json", "-p", '[{"op":"remove","path":"/nope"}]', check=False)
    assert bad.returncode != 0


@pytest.mark.parametrize("kubectl", ["kubectl", KUBECTL_132])
def test_server_side_apply_owns_fields_and_refuses_conflicts(cluster, kubectl):
    applied = cluster.kubectl("apply", "--server-side", "--validate=false", "-f", "-", input=MANIFEST, kubectl=kubectl)
    assert "deployment.apps/web serverside-applied" in applied.stdout
    live = json.loads(cluster.kubectl("get", "deploy", "web", "-o", "json", "--show-managed-fields").stdout)
    entry = live["metadata"]["managedFields"][0]
    assert (entry["manager"], entry["operation"], entry["fieldsType"]) == ("kubectl", "Apply", "FieldsV1")
    containers = entry["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"]
    assert containers == {'k:{"name":"web"}': {".": {}, "f:image": {}, "f:name": {}}}

    # Another manager takes spec.replicas; applying a different value is then a conflict.
    cluster.kubectl("patch", "deploy", "web", "--type", "merge", "-p", '{"spec":{"replicas":5}}', "--field-manager=ops")
    conflict = cluster.kubectl("apply", "--server-side", "--validate=false", "-f", "-", input=MANIFEST, check=False, kubectl=kubectl)
    assert conflict.returncode != 0
    assert 'Apply failed with 1 conflict: conflict with "ops" using apps/v1: .spec.replicas' in conflict.stderr
    assert json.loads(cluster.kubectl("get", "deploy", "web", "-o", "json").stdout)["spec"]["replicas"] == 5
    forced = cluster.kubectl("apply", "--server-side", "--force-conflicts", "--validate=false", "-f", "-", input=MANIFEST, kubectl=kubectl)
    assert forced.returncode == 0
    assert json.loads(cluster.kubectl("get", "deploy", "web", "-o", "json").stdout)["spec"]["replicas"] == 2

    # Fields dropped from the applied configuration are removed.
    without_label = MANIFEST.replace("  labels: {app: web}\ndata:", "data:")
    cluster.kubectl("apply", "--server-side", "--validate=false", "-f", "-", input=without_label, kubectl=kubectl)
    config = json.loads(cluster.kubectl("get", "cm", "web-config", "-o", "json").stdout)
    assert "labels" not in config["metadata"], config["metadata"]


def test_server_side_apply_refuses_bad_requests(cluster):
    from kubernetes import config

    api_client = config.new_client_from_config(str(cluster.kubeconfig))
    url = f"{api_client.configuration.host}/api/v1/namespaces/default/configmaps/applied"

    def patch(body: bytes, query: str):
        return api_client.rest_client.pool_manager.request(
            "PATCH", f"{url}{query}", body=body, headers={"Content-Type": "application/apply-patch+yaml"})

    good = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  a: '1'\n"
    assert patch(good, "").status == 400, "fieldManager is required"
    assert patch(b"apiVersion: v1\nkind: ConfigMap\nmetadata: [oops\n", "?fieldManager=t").status == 400
    assert patch(good.replace(b"name: applied", b"name: other"), "?fieldManager=t").status == 400
    assert patch(good, "?fieldManager=t&force=maybe").status == 400
    assert cluster.kubectl("get", "cm", "applied", check=False).returncode != 0, "nothing was created"
    created = patch(good, "?fieldManager=t")
    assert created.status == 201, created.data
    assert patch(good, "?fieldManager=t").status == 200


def test_watch_from_compacted_history_gets_410_and_the_client_recovers(ekslite, tmp_path):
    from kubernetes import client, config, watch
    from kubernetes.client.rest import ApiException

    server = ekslite(args=["--history-seconds", "0", "--history-revisions", "0", "--compact-interval", "1"])
    demo = create_cluster(server, "demo", tmp_path)
    api = client.CoreV1Api(config.new_client_from_config(str(demo.kubeconfig)))
    old = api.create_namespaced_config_map("default", {"metadata": {"name": "old"}}).metadata.resource_version
    api.create_namespaced_config_map("default", {"metadata": {"name": "newer"}})
    wait_until(lambda: server.health()[1]["store"]["compacted"] > int(old), "history to be compacted")

    stream = watch.Watch().stream(api.list_namespaced_config_map, "default", resource_version=old, timeout_seconds=5)
    with pytest.raises(ApiException) as expired:
        next(iter(stream))
    assert expired.value.status == 410
    # The client recovers as client-go does: list again, then watch from the list's resourceVersion.
    listed = api.list_namespaced_config_map("default")
    assert {item.metadata.name for item in listed.items} == {"old", "newer", "kube-root-ca.crt"}
    fresh = watch.Watch().stream(api.list_namespaced_config_map, "default",
                                 resource_version=listed.metadata.resource_version, timeout_seconds=10)
    api.create_namespaced_config_map("default", {"metadata": {"name": "after"}})
    event = next(iter(fresh))
    assert (event["type"], event["object"].metadata.name) == ("ADDED", "after")
    # A list at an exact compacted revision is refused too.
    with pytest.raises(ApiException) as gone:
        api.list_namespaced_config_map("default", resource_version=old, resource_version_match="Exact")
    assert gone.value.status == 410


@pytest.mark.parametrize("kubectl", ["kubectl", KUBECTL_132])
def test_typed_create_commands_send_protobuf(cluster, kubectl):
    run = lambda *args: cluster.kubectl(*args, kubectl=kubectl).stdout  # noqa: E731
    assert run("create", "namespace", "demo") == "namespace/demo created\n"
    assert run("-n", "demo", "create", "configmap", "settings", "--from-literal=mode=fast") == "configmap/settings created\n"
    assert run("-n", "demo", "create", "secret", "generic", "creds", "--from-literal=password=hunter2") == "secret/creds created\n"
    assert run("-n", "demo", "create", "deployment", "web", "--image=nginx", "--replicas=2", "--port=80") == "deployment.apps/web created\n"
    assert run("-n", "demo", "create", "serviceaccount", "robot") == "serviceaccount/robot created\n"
    secret = json.loads(run("-n", "demo", "get", "secret", "creds", "-o", "json"))
    assert secret["data"] == {"password": "aHVudGVyMg=="}
    deployment = json.loads(run("-n", "demo", "get", "deploy", "web", "-o", "json"))
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert (deployment["spec"]["replicas"], container["image"]) == (2, "nginx")
    assert container["ports"] == [{"containerPort": 80, "protocol": "TCP"}], "the protocol is defaulted"
    assert secret["type"] == "Opaque"
    assert json.loads(run("-n", "demo", "get", "cm", "settings", "-o", "json"))["data"] == {"mode": "fast"}


def test_garbage_protobuf_is_refused(cluster):
    from kubernetes import config

    api_client = config.new_client_from_config(str(cluster.kubeconfig))
    for body in [b"", b"k8s", b"not protobuf at all", b"k8s\x00\x0a\xff\xff\xff\xff\x0f", b"k8s\x00" + bytes(range(256))]:
        response = api_client.rest_client.pool_manager.request(
            "POST", f"{api_client.configuration.host}/api/v1/namespaces/default/configmaps",
            body=body, headers={"Content-Type": "application/vnd.kubernetes.protobuf"})
        assert response.status == 400, (body, response.data)
        assert json.loads(response.data)["reason"] == "BadRequest"
    assert cluster.kubectl("get", "cm", "-o", "name").stdout == "configmap/kube-root-ca.crt\n", "nothing was created"


THREE_WAY_BEFORE = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
  labels: {app: shop, tier: front}
spec:
  replicas: 1
  selector: {matchLabels: {app: shop}}
  template:
    metadata: {labels: {app: shop}}
    spec:
      containers:
      - name: web
        image: nginx:1
        env: [{name: MODE, value: fast}]
      - name: sidecar
        image: busybox
"""
THREE_WAY_AFTER = (THREE_WAY_BEFORE.replace("labels: {app: shop, tier: front}", "labels: {app: shop}")
                   .replace("image: nginx:1", "image: nginx:2")
                   .replace("env: [{name: MODE, value: fast}]", "env: [{name: MODE, value: fast}, {name: COLOUR, value: blue}]"))


@pytest.mark.parametrize("kubectl", ["kubectl", KUBECTL_132])
def test_client_side_apply_is_a_three_way_strategic_merge(cluster, kubectl):
    assert "deployment.apps/shop created" in cluster.kubectl("apply", "-f", "-", input=THREE_WAY_BEFORE, kubectl=kubectl).stdout
    assert "deployment.apps/shop unchanged" in cluster.kubectl("apply", "-f", "-", input=THREE_WAY_BEFORE, kubectl=kubectl).stdout
    # A change made outside the manifest survives the next apply (that is what makes it three-way).
    cluster.kubectl("annotate", "deploy", "shop", "owner=ops")
    assert "deployment.apps/shop configured" in cluster.kubectl("apply", "-f", "-", input=THREE_WAY_AFTER, kubectl=kubectl).stdout
    live = json.loads(cluster.kubectl("get", "deploy", "shop", "-o", "json").stdout)
    assert live["metadata"]["labels"] == {"app": "shop"}, "the label removed from the manifest is gone"
    assert live["metadata"]["annotations"]["owner"] == "ops"
    containers = live["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["web", "sidecar"]
    assert containers[0]["image"] == "nginx:2"
    assert containers[0]["env"] == [{"name": "MODE", "value": "fast"}, {"name": "COLOUR", "value": "blue"}]
    # What the manifest gave, plus the container defaults a real cluster adds.
    assert containers[1] == {"name": "sidecar", "image": "busybox", "imagePullPolicy": "Always", "resources": {},
                             "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}


def test_apply_validates_against_the_servers_openapi(cluster):
    bogus = THREE_WAY_BEFORE.replace("  replicas: 1", "  replicas: 1\n  bogus: true")
    refused = cluster.kubectl("apply", "-f", "-", input=bogus, check=False)
    assert refused.returncode != 0
    assert 'unknown field "spec.bogus"' in refused.stderr
    assert cluster.kubectl("get", "deploy", "-o", "name").stdout == ""
    explained = cluster.kubectl("explain", "deployment.spec.strategy").stdout
    assert "KIND:       Deployment" in explained and "rollingUpdate" in explained
    root = json.loads(cluster.kubectl("get", "--raw", "/openapi/v3").stdout)
    url = root["paths"]["apis/apps/v1"]["serverRelativeURL"]
    document = json.loads(cluster.kubectl("get", "--raw", url).stdout)
    patch = document["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"]["kind"] == "Deployment"
    assert any(p.get("name") == "fieldValidation" for p in patch.get("parameters", []) + document["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"].get("parameters", []))


def test_edit_with_an_editor_script(cluster, tmp_path):
    cluster.kubectl("apply", "-f", "-", input=THREE_WAY_BEFORE)
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/replicas: 1/replicas: 4/' \"$1\"\n")
    editor.chmod(0o755)
    result = subprocess.run(["kubectl", "--kubeconfig", str(cluster.kubeconfig), "edit", "deploy", "shop"],
                            capture_output=True, text=True, timeout=60, env={**__import__("os").environ, "EDITOR": str(editor)})
    assert result.returncode == 0, result.stderr
    assert "deployment.apps/shop edited" in result.stdout
    assert json.loads(cluster.kubectl("get", "deploy", "shop", "-o", "json").stdout)["spec"]["replicas"] == 4


def test_deleting_a_namespace_deletes_what_is_in_it(cluster):
    cluster.kubectl("create", "namespace", "doomed")
    cluster.kubectl("-n", "doomed", "create", "configmap", "one", "--from-literal=a=b")
    cluster.kubectl("-n", "doomed", "create", "deployment", "web", "--image=nginx")
    held = json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                       "metadata": {"name": "held", "namespace": "doomed", "finalizers": ["example.com/hold"]}})
    cluster.kubectl("apply", "-f", "-", input=held)

    cluster.kubectl("delete", "namespace", "doomed", "--wait=false")
    namespace = json.loads(cluster.kubectl("get", "namespace", "doomed", "-o", "json").stdout)
    assert namespace["status"]["phase"] == "Terminating", "a finalizer holds the namespace"
    # The namespace controller removes what is in it in the background, as kube-controller-manager's does.
    wait_until(lambda: cluster.kubectl("-n", "doomed", "get", "deploy,cm", "-o", "name").stdout.split()
               == ["configmap/held"], "the namespace's contents but the held ConfigMap to go")
    refused = cluster.kubectl("-n", "doomed", "create", "configmap", "late", "--from-literal=a=b", check=False)
    assert refused.returncode != 0
    assert "because it is being terminated" in refused.stderr

    # Removing the last finalizer lets the namespace finish on its own.
    cluster.kubectl("-n", "doomed", "patch", "configmap", "held", "--type", "merge", "-p", '{"metadata":{"finalizers":null}}')
    cluster.kubectl("wait", "--for=delete", "namespace/doomed", "--timeout=20s")
    assert cluster.kubectl("get", "namespace", "doomed", check=False).returncode != 0
    assert "doomed" not in cluster.kubectl("get", "cm,deploy", "-A", "-o", "name").stdout

    forbidden = cluster.kubectl("delete", "namespace", "default", check=False)
    assert forbidden.returncode != 0 and "may not be deleted" in forbidden.stderr


@pytest.mark.parametrize("kubectl", ["kubectl", KUBECTL_132])
def test_wait_and_delete_variants(cluster, kubectl):
    cluster.kubectl("apply", "-f", "-", input=MANIFEST)
    met = cluster.kubectl("wait", "--for=jsonpath={.spec.replicas}=2", "deploy/web", "--timeout=20s", kubectl=kubectl)
    assert "condition met" in met.stdout
    deleter = subprocess.Popen(["kubectl", "--kubeconfig", str(cluster.kubeconfig), "delete", "cm", "web-config"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    gone = cluster.kubectl("wait", "--for=delete", "cm/web-config", "--timeout=20s", kubectl=kubectl)
    deleter.wait(timeout=30)
    assert gone.returncode == 0
    for idx in range(3):
        cluster.kubectl("create", "configmap", f"bulk-{idx}", "--from-literal=a=b")
    deleted = cluster.kubectl("delete", "cm", "--all", kubectl=kubectl).stdout
    assert all(f'configmap "bulk-{idx}" deleted' in deleted for idx in range(3))
    assert cluster.kubectl("get", "cm", "-o", "name").stdout == ""
    assert "deleted" in cluster.kubectl("delete", "deploy", "web", "--wait=true", kubectl=kubectl).stdout
    assert cluster.kubectl("get", "deploy", "-o", "name").stdout == ""
