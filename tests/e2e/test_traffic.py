"""Traffic to simulated pods with the real clients: `kubectl port-forward` (kubectl 1.37, which tunnels SPDY through
a WebSocket, and 1.32, which upgrades to SPDY) to a pod, a service and a deployment; the API server's pod and
service proxies through `kubectl get --raw` and `kubectl proxy`; and HTTP readiness probes, which pass on a declared
port and fail with kubelet's event on one that no container declares. Every pod answers with a JSON echo of who
served the request; only kubectl listens, on loopback."""

import json
import subprocess
import urllib.error
import urllib.request

import pytest

from conftest import create_nodes_cluster, free_port, wait_until

KUBECTLS = ("kubectl", "/usr/bin/kubectl")

WEB = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{
                "name": "nginx", "image": "nginx:1.27",
                "ports": [{"containerPort": 8080, "name": "http"}],
                "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
            }]},
        },
    },
}

SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "web"},
    "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
}


@pytest.fixture
def web(ekslite, tmp_path):
    """A one-node EKS cluster running the `web` deployment (two ready pods on port 8080) behind service `web:80`."""
    cluster = create_nodes_cluster(ekslite(), tmp_path, nodes=1)
    cluster.kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": [WEB, SERVICE]}))
    cluster.kubectl("rollout", "status", "deployment/web", "--timeout=60s", timeout=90)

    def ready_endpoints():
        slices = json.loads(cluster.kubectl("get", "endpointslices", "-l", "kubernetes.io/service-name=web",
                                            "-o", "json").stdout)["items"]
        ready = [e for s in slices for e in s.get("endpoints") or [] if e["conditions"].get("ready")]
        return len(ready) == 2
    wait_until(ready_endpoints, "two ready endpoints of service web")
    return cluster


def pods(cluster, selector="app=web"):
    return json.loads(cluster.kubectl("get", "pods", "-l", selector, "-o", "json").stdout)["items"]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class Forward:
    """`kubectl port-forward` running in the background until closed."""

    def __init__(self, cluster, kubectl: str, target: str, remote: int):
        self.port = free_port()
        self.process = subprocess.Popen(
            [kubectl, "--kubeconfig", str(cluster.kubeconfig), "port-forward", target, f"{self.port}:{remote}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line.startswith(f"Forwarding from 127.0.0.1:{self.port}"):
            self.close()
            pytest.fail(f"{kubectl} port-forward {target}: {line!r} {self.process.stderr.read()}")

    def get(self, path: str = "/") -> tuple[int, str]:
        return get(f"http://127.0.0.1:{self.port}{path}")

    def close(self) -> str:
        """Stops kubectl; what it said on stderr."""
        if self.process.poll() is None:
            self.process.terminate()
        _, stderr = self.process.communicate(timeout=30)
        return stderr


@pytest.mark.parametrize("kubectl", KUBECTLS)
def test_port_forward_to_a_pod_a_service_and_a_deployment(web, kubectl):
    names = {p["metadata"]["name"] for p in pods(web)}
    first = sorted(names)[0]
    for target, remote in ((f"pod/{first}", 8080), ("svc/web", 80), ("deploy/web", 8080)):
        forward = Forward(web, kubectl, target, remote)
        try:
            # Several connections through one forward, each a request the pod answers.
            for attempt in range(3):
                status, body = forward.get(f"/hello/{attempt}?from=test")
                assert status == 200, body
                echo = json.loads(body)
                assert echo["pod"] in names and echo["namespace"] == "default", echo
                assert (echo["container"], echo["port"], echo["method"]) == ("nginx", 8080, "GET"), echo
                assert (echo["path"], echo["query"]) == (f"/hello/{attempt}", "from=test"), echo
                if target.startswith("pod/"):
                    assert echo["pod"] == first
        finally:
            forward.close()


@pytest.mark.parametrize("kubectl", KUBECTLS)
def test_port_forward_to_a_closed_port_gets_kubelets_error(web, kubectl):
    name = sorted(p["metadata"]["name"] for p in pods(web))[0]
    forward = Forward(web, kubectl, f"pod/{name}", 81)
    try:
        with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
            forward.get("/")
    finally:
        stderr = forward.close()
    # kubectl 1.32 prints the error stream's message in a sentence, 1.37 as a structured log line.
    said = (f"an error occurred forwarding {forward.port} -> 81: error forwarding port 81 to pod" in stderr
            or ('"An error occurred forwarding" err="error forwarding port 81 to pod' in stderr
                and f"localPort={forward.port} remotePort=81" in stderr))
    assert said, stderr
    assert "dial tcp4 127.0.0.1:81: connect: connection refused" in stderr, stderr
    # The server goes on: the next forward answers.
    again = Forward(web, kubectl, f"pod/{name}", 8080)
    try:
        assert again.get("/")[0] == 200
    finally:
        again.close()


def test_pod_and_service_proxies(web):
    name = sorted(p["metadata"]["name"] for p in pods(web))[0]
    echo = json.loads(web.kubectl("get", "--raw", "/api/v1/namespaces/default/services/web:80/proxy/").stdout)
    assert (echo["port"], echo["path"], echo["method"]) == (8080, "/", "GET"), echo
    echo = json.loads(web.kubectl("get", "--raw", f"/api/v1/namespaces/default/pods/{name}:8080/proxy/a/b?c=d").stdout)
    assert (echo["pod"], echo["path"], echo["query"]) == (name, "/a/b", "c=d"), echo
    # kube-apiserver's errors.
    refused = web.kubectl("get", "--raw", f"/api/v1/namespaces/default/pods/{name}:81/proxy/", check=False)
    assert refused.returncode != 0
    assert "error trying to reach service: dial tcp" in refused.stderr and "connection refused" in refused.stderr
    missing = web.kubectl("get", "--raw", "/api/v1/namespaces/default/services/web:81/proxy/", check=False)
    assert 'no service port 81 found for service "web"' in missing.stderr, missing.stderr
    web.kubectl("create", "service", "clusterip", "empty", "--tcp=80:80")
    empty = web.kubectl("get", "--raw", "/api/v1/namespaces/default/services/empty:80/proxy/", check=False)
    assert 'no endpoints available for service "empty"' in empty.stderr, empty.stderr

    # kubectl proxy, then a plain HTTP client through it: every method, the body and query passed on.
    port = free_port()
    proxy = subprocess.Popen(["kubectl", "--kubeconfig", str(web.kubeconfig), "proxy", f"--port={port}"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proxy.stdout.readline().startswith(f"Starting to serve on 127.0.0.1:{port}")
        base = f"http://127.0.0.1:{port}/api/v1/namespaces/default/services/web:http/proxy"
        status, body = get(f"{base}/cart?id=7")
        assert status == 200, body
        assert (json.loads(body)["path"], json.loads(body)["query"]) == ("/cart", "id=7")
        request = urllib.request.Request(f"{base}/orders", data=b'{"n": 1}', method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            echo = json.loads(response.read())
        assert (echo["method"], echo["bodyBytes"]) == ("POST", 8), echo
    finally:
        proxy.terminate()
        proxy.communicate(timeout=30)


def test_http_readiness_probes_go_through_the_pods_ports(web):
    broken = json.loads(json.dumps(WEB))
    broken["metadata"]["name"] = "broken"
    broken["spec"]["replicas"] = 1
    broken["spec"]["selector"]["matchLabels"] = {"app": "broken"}
    template = broken["spec"]["template"]
    template["metadata"]["labels"] = {"app": "broken"}
    # The program answers 503 on every port, its undeclared health port too.
    template["metadata"]["annotations"] = {"ekslite.dev/http-status": "503"}
    template["spec"]["containers"][0]["readinessProbe"] = {"httpGet": {"path": "/healthz", "port": 81}}
    web.kubectl("apply", "-f", "-", input=json.dumps(broken))

    # The probe on the declared port passed: web's pods are ready.
    assert all(p["status"]["containerStatuses"][0]["ready"] for p in pods(web))

    def running_unready():
        found = pods(web, "app=broken")
        return found and found[0]["status"].get("phase") == "Running" and found[0]
    pod = wait_until(running_unready, "the broken pod to run")
    ip = pod["status"]["podIP"]
    assert ip
    expected = "Readiness probe failed: HTTP probe failed with statuscode: 503"

    def probe_event():
        events = json.loads(web.kubectl("get", "events", "--field-selector",
                                        f"involvedObject.name={pod['metadata']['name']},reason=Unhealthy",
                                        "-o", "json").stdout)["items"]
        return [e for e in events if e["message"] == expected]
    events = wait_until(probe_event, "the kubelet's Unhealthy event")
    assert events[0]["type"] == "Warning" and events[0]["source"]["component"] == "kubelet"
    pod = pods(web, "app=broken")[0]
    assert not pod["status"]["containerStatuses"][0]["ready"]
    ready = next(c for c in pod["status"]["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "False"
    # Without the annotation the same probe, on a port the container does not declare, passes: programs serve their
    # health ports (as CoreDNS serves 8080 and 8181) whether declared or not.
    web.kubectl("patch", "deployment", "broken", "--type=json",
                "-p", '[{"op": "remove", "path": "/spec/template/metadata/annotations"}]')
    wait_until(lambda: (found := [p for p in pods(web, "app=broken") if not p["metadata"].get("deletionTimestamp")])
               and all(c["ready"] for p in found for c in p["status"].get("containerStatuses", [{"ready": False}])),
               "the probe on the undeclared port to pass")
