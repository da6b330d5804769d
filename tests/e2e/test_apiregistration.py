"""apiregistration.k8s.io and /openapi/v2: the API server's own APIServices, metrics-server's APIService applied
with kubectl 1.37 and 1.32 and driven with the Python client (its Available condition follows its Service), bad
APIServices refused with upstream's Status, and a 1,200-item `kind: List` applied with client-side validation,
which makes kubectl read /openapi/v2 in protobuf."""

import json

import pytest
import yaml
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from conftest import wait_until

KUBECTLS = ["kubectl", "/usr/bin/kubectl"]

# The APIService of the metrics-server Helm chart (templates/apiservice.yaml), rendered with its defaults.
METRICS_API_SERVICE = """\
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: v1beta1.metrics.k8s.io
  labels:
    app.kubernetes.io/name: metrics-server
    app.kubernetes.io/instance: metrics-server
spec:
  group: metrics.k8s.io
  groupPriorityMinimum: 100
  insecureSkipTLSVerify: true
  service:
    name: metrics-server
    namespace: kube-system
    port: 443
  version: v1beta1
  versionPriority: 100
"""


@pytest.mark.parametrize("kubectl", KUBECTLS)
def test_kubectl_applies_lists_and_deletes_an_api_service(cluster, kubectl):
    applied = cluster.kubectl("apply", "-f", "-", input=METRICS_API_SERVICE, kubectl=kubectl)
    assert "apiservice.apiregistration.k8s.io/v1beta1.metrics.k8s.io created" in applied.stdout, applied.stdout
    rows = [line.split() for line in cluster.kubectl("get", "apiservices", kubectl=kubectl).stdout.splitlines()]
    assert rows[0] == ["NAME", "SERVICE", "AVAILABLE", "AGE"]
    by_name = {row[0]: row for row in rows[1:]}
    for local in ["v1.", "v1.apps", "v1.apiregistration.k8s.io", "v2.autoscaling"]:
        assert by_name[local][1:3] == ["Local", "True"], by_name.get(local)
    assert by_name["v1beta1.metrics.k8s.io"][1] == "kube-system/metrics-server"
    # No Service yet: the availability controller says so.
    wait_until(
        lambda: "False (ServiceNotFound)" in cluster.kubectl(
            "get", "apiservice", "v1beta1.metrics.k8s.io", kubectl=kubectl).stdout,
        "the APIService is unavailable for want of its Service")
    again = cluster.kubectl("apply", "-f", "-", input=METRICS_API_SERVICE, kubectl=kubectl)
    assert "unchanged" in again.stdout, again.stdout
    resources = cluster.kubectl("api-resources", "--api-group=apiregistration.k8s.io", kubectl=kubectl).stdout
    assert "apiservices" in resources and "false" in resources, resources
    explained = cluster.kubectl("explain", "apiservice.spec.groupPriorityMinimum", kubectl=kubectl)
    assert "groupPriorityMinimum" in explained.stdout
    cluster.kubectl("delete", "apiservice", "v1beta1.metrics.k8s.io", kubectl=kubectl)


def test_python_client_creates_an_api_service_that_follows_its_service(cluster):
    api_client = config.new_client_from_config(str(cluster.kubeconfig))
    registration = client.ApiregistrationV1Api(api_client)
    core = client.CoreV1Api(api_client)
    names = [item.metadata.name for item in registration.list_api_service().items]
    assert "v1." in names and "v1.apiregistration.k8s.io" in names
    created = registration.create_api_service(yaml.safe_load(METRICS_API_SERVICE))
    assert created.spec.service.port == 443

    def reason():
        current = registration.read_api_service("v1beta1.metrics.k8s.io")
        conditions = (current.status and current.status.conditions) or []
        return next(((c.status, c.reason) for c in conditions if c.type == "Available"), None)

    wait_until(lambda: reason() == ("False", "ServiceNotFound"), "ServiceNotFound")
    core.create_namespaced_service("kube-system", {
        "metadata": {"name": "metrics-server"},
        "spec": {"ports": [{"name": "https", "port": 443, "targetPort": 10250}]},
    })
    wait_until(lambda: reason() == ("False", "EndpointsNotFound"), "EndpointsNotFound")
    core.create_namespaced_endpoints("kube-system", {
        "metadata": {"name": "metrics-server"},
        "subsets": [{"addresses": [{"ip": "10.0.0.7"}], "ports": [{"name": "https", "port": 10250}]}],
    })
    wait_until(lambda: reason() == ("True", "Passed"), "the APIService is available")
    patched = registration.patch_api_service("v1beta1.metrics.k8s.io", {"spec": {"versionPriority": 5}})
    assert patched.spec.version_priority == 5
    registration.delete_api_service("v1beta1.metrics.k8s.io")
    with pytest.raises(ApiException) as missing:
        registration.read_api_service("v1beta1.metrics.k8s.io")
    assert missing.value.status == 404


def post(api_client, body, content_type="application/json"):
    host = api_client.configuration.host
    return api_client.rest_client.pool_manager.request(
        "POST", f"{host}/apis/apiregistration.k8s.io/v1/apiservices", body=body,
        headers={"Content-Type": content_type})


def test_bad_api_services_get_upstream_status(cluster):
    api_client = config.new_client_from_config(str(cluster.kubeconfig))
    bad_name = yaml.safe_load(METRICS_API_SERVICE)
    bad_name["metadata"]["name"] = "metrics"
    bad_name["spec"]["groupPriorityMinimum"] = 0
    response = post(api_client, json.dumps(bad_name).encode())
    status = json.loads(response.data)
    assert response.status == 422, response.data
    assert status["reason"] == "Invalid"
    assert [(c["field"], c["reason"]) for c in status["details"]["causes"]] == [
        ("metadata.name", "FieldValueInvalid"), ("spec.groupPriorityMinimum", "FieldValueInvalid")]
    assert 'must be `spec.version+"."+spec.group`: "v1beta1.metrics.k8s.io"' in status["message"]

    garbage = post(api_client, b"{not json")
    assert garbage.status == 400, garbage.data
    assert json.loads(garbage.data)["kind"] == "Status"

    oversized = dict(yaml.safe_load(METRICS_API_SERVICE))
    oversized["metadata"]["annotations"] = {"big": "x" * (4 * 1024 * 1024)}
    too_big = post(api_client, json.dumps(oversized).encode())
    assert too_big.status in (413, 422), too_big.data
    assert json.loads(too_big.data)["kind"] == "Status"
    assert cluster.kubectl("get", "apiservice", "v1beta1.metrics.k8s.io", check=False).returncode != 0


def test_openapi_v2_is_served_in_json_and_protobuf_with_an_etag(cluster):
    api_client = config.new_client_from_config(str(cluster.kubeconfig))
    host = api_client.configuration.host
    pool = api_client.rest_client.pool_manager
    as_json = pool.request("GET", f"{host}/openapi/v2", headers={"Accept": "application/json"})
    assert as_json.status == 200
    document = json.loads(as_json.data)
    assert document["swagger"] == "2.0"
    gvk = document["definitions"]["io.k8s.api.core.v1.ConfigMap"]["x-kubernetes-group-version-kind"]
    assert gvk == [{"group": "", "kind": "ConfigMap", "version": "v1"}]
    assert "io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIService" in document["definitions"]
    etag = as_json.headers["ETag"]
    protobuf_type = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
    as_protobuf = pool.request("GET", f"{host}/openapi/v2", headers={"Accept": protobuf_type})
    assert as_protobuf.status == 200
    assert as_protobuf.headers["Content-Type"] == "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
    assert as_protobuf.data[:5] == b"\x0a\x032.0", as_protobuf.data[:16]
    assert as_protobuf.headers["ETag"] == etag
    cached = pool.request("GET", f"{host}/openapi/v2", headers={"Accept": protobuf_type, "If-None-Match": etag})
    assert cached.status == 304
    refused = pool.request("GET", f"{host}/openapi/v2", headers={"Accept": "text/html"})
    assert refused.status == 406


def big_list() -> str:
    items = []
    for i in range(400):
        items.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm-{i}", "namespace": "default"},
                      "data": {"index": str(i)}})
        items.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"svc-{i}", "namespace": "default"},
                      "spec": {"selector": {"app": f"a{i}"}, "ports": [{"port": 80, "targetPort": "http"}]}})
        items.append({"apiVersion": "apps/v1", "kind": "Deployment",
                      "metadata": {"name": f"deploy-{i}", "namespace": "default"},
                      "spec": {"replicas": 0, "selector": {"matchLabels": {"app": f"a{i}"}},
                               "template": {"metadata": {"labels": {"app": f"a{i}"}},
                                            "spec": {"containers": [{"name": "c", "image": "nginx",
                                                                     "ports": [{"name": "http", "containerPort": 80}]}]}}}})
    return yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items})


@pytest.mark.parametrize("kubectl", KUBECTLS)
def test_kubectl_applies_a_1200_item_list_with_validation(cluster, kubectl, tmp_path):
    manifest = tmp_path / "list.yaml"
    manifest.write_text(big_list())
    applied = cluster.kubectl("apply", "--validate=strict", "-f", str(manifest), kubectl=kubectl, timeout=600)
    assert applied.stdout.count(" created") == 1200, applied.stdout[-2000:]
    # A field no schema has is refused by client-side validation, which reads /openapi/v2 for a List.
    broken = {"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "bad", "namespace": "default"},
         "dataa": {"a": "b"}}]}
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(broken))
    refused = cluster.kubectl("apply", "-f", str(bad), kubectl=kubectl, check=False)
    assert refused.returncode != 0
    assert "dataa" in refused.stderr, refused.stderr
    counted = cluster.kubectl("get", "configmaps", "-n", "default", "-o", "name", kubectl=kubectl).stdout
    assert counted.count("configmap/cm-") == 400
    explained = cluster.kubectl("explain", "deployment.spec.replicas", kubectl=kubectl)
    assert "replicas" in explained.stdout
