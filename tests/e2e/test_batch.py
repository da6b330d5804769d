"""Jobs, CronJobs, DaemonSets, StatefulSets, Endpoints and EndpointSlices with real kubectl, on a cluster whose
three nodes (in three zones) really run pods; `ekslite.dev/run-seconds` and `ekslite.dev/exit-code` steer how long
containers run and how they exit."""

import json

from conftest import wait_until

DEADLINE = 120


def pod_template(run_seconds: int = 1, exit_code: int = 0, labels: str = "", indent: int = 2,
                 restart: str = "Never", container: str = "{name: main, image: busybox}") -> str:
    """A `template:` block at `indent` spaces whose pods run `run_seconds` and exit with `exit_code`."""
    lines = [
        "template:",
        "  metadata:",
        f"    labels: {{{labels}}}",
        f'    annotations: {{ekslite.dev/run-seconds: "{run_seconds}", ekslite.dev/exit-code: "{exit_code}"}}',
        "  spec:",
        f"    restartPolicy: {restart}",
        f"    containers: [{container}]",
    ]
    return "".join("\n" + " " * indent + line for line in lines) + "\n"


def get_json(cluster, *args):
    return json.loads(cluster.kubectl("get", *args, "-o", "json").stdout)


def test_a_job_completes(nodes_cluster):
    manifest = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: pi}\nspec:\n  completions: 3\n  parallelism: 2\n"
    manifest += pod_template()
    nodes_cluster.kubectl("apply", "-f", "-", input=manifest)
    nodes_cluster.kubectl("wait", "--for=condition=complete", "job/pi", f"--timeout={DEADLINE}s", timeout=DEADLINE + 10)
    job = get_json(nodes_cluster, "job", "pi")
    assert job["status"]["succeeded"] == 3
    assert job["status"]["completionTime"]
    pods = get_json(nodes_cluster, "pods", "-l", "batch.kubernetes.io/job-name=pi")["items"]
    assert len(pods) == 3
    assert all(p["metadata"]["name"].startswith("pi-") for p in pods)
    assert all("batch.kubernetes.io/job-tracking" not in p["metadata"].get("finalizers", []) for p in pods)


def test_a_failing_job_fails_after_its_backoff_limit(nodes_cluster):
    manifest = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: broken}\nspec:\n  backoffLimit: 2\n"
    manifest += pod_template(exit_code=1)
    nodes_cluster.kubectl("apply", "-f", "-", input=manifest)
    # Back-off between attempts is 10 s, then 20 s.
    nodes_cluster.kubectl("wait", "--for=condition=failed", "job/broken", f"--timeout={DEADLINE}s",
                          timeout=DEADLINE + 10)
    job = get_json(nodes_cluster, "job", "broken")
    failed = [c for c in job["status"]["conditions"] if c["type"] == "Failed"][0]
    assert failed["reason"] == "BackoffLimitExceeded"
    assert failed["message"] == "Job has reached the specified backoff limit"
    assert job["status"]["failed"] == 3
    pods = get_json(nodes_cluster, "pods", "-l", "job-name=broken")["items"]
    assert len(pods) == 3


def test_a_job_created_from_a_cronjob_runs(nodes_cluster):
    manifest = """apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  timeZone: Europe/Paris
  jobTemplate:
    spec:""" + pod_template(indent=6)
    nodes_cluster.kubectl("apply", "-f", "-", input=manifest)
    nodes_cluster.kubectl("create", "job", "--from=cronjob/nightly", "manual-run")
    nodes_cluster.kubectl("wait", "--for=condition=complete", "job/manual-run", f"--timeout={DEADLINE}s",
                          timeout=DEADLINE + 10)
    cronjob = get_json(nodes_cluster, "cronjob", "nightly")
    assert cronjob["spec"]["timeZone"] == "Europe/Paris"
    assert "lastScheduleTime" not in cronjob.get("status", {})


def test_a_daemonset_runs_on_every_node(nodes_cluster):
    manifest = """apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}""" + pod_template(run_seconds=3600, labels="app: agent", restart="Always")
    nodes_cluster.kubectl("apply", "-f", "-", input=manifest)
    nodes = {n["metadata"]["name"] for n in get_json(nodes_cluster, "nodes")["items"]}
    assert len(nodes) == 3

    def every_node_has_a_ready_pod():
        status = get_json(nodes_cluster, "daemonset", "agent").get("status", {})
        return status.get("numberReady") == 3 and status.get("desiredNumberScheduled") == 3

    wait_until(every_node_has_a_ready_pod, "a ready agent pod on every node", DEADLINE)
    pods = get_json(nodes_cluster, "pods", "-l", "app=agent")["items"]
    assert {p["spec"]["nodeName"] for p in pods} == nodes
    history = nodes_cluster.kubectl("rollout", "history", "daemonset/agent").stdout
    assert "1" in history.split()


def test_statefulset_pods_start_in_order(nodes_cluster):
    manifest = """apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 3
  serviceName: db
  selector: {matchLabels: {app: db}}""" + pod_template(run_seconds=3600, labels="app: db", restart="Always")
    nodes_cluster.kubectl("apply", "-f", "-", input=manifest)
    nodes_cluster.kubectl("rollout", "status", "statefulset/db", f"--timeout={DEADLINE}s", timeout=DEADLINE + 10)
    pods = sorted(get_json(nodes_cluster, "pods", "-l", "app=db")["items"],
                  key=lambda p: p["metadata"]["creationTimestamp"] + p["metadata"]["name"])
    assert [p["metadata"]["name"] for p in pods] == ["db-0", "db-1", "db-2"]
    assert [p["metadata"]["labels"]["apps.kubernetes.io/pod-index"] for p in pods] == ["0", "1", "2"]
    status = get_json(nodes_cluster, "statefulset", "db")["status"]
    assert status["readyReplicas"] == 3
    assert status["currentRevision"] == status["updateRevision"]


def test_a_service_gets_endpoints_and_endpoint_slices(nodes_cluster):
    manifest = """apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  replicas: 2
  podManagementPolicy: Parallel
  serviceName: web
  selector: {matchLabels: {app: web}}""" + pod_template(
        run_seconds=3600, labels="app: web", restart="Always",
        container="{name: main, image: nginx, ports: [{name: http, containerPort: 8080}]}") + """---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
"""
    nodes_cluster.kubectl("apply", "-f", "-", input=manifest)
    nodes_cluster.kubectl("rollout", "status", "statefulset/web", f"--timeout={DEADLINE}s", timeout=DEADLINE + 10)
    pod_ips = {p["status"]["podIP"] for p in get_json(nodes_cluster, "pods", "-l", "app=web")["items"]}
    assert len(pod_ips) == 2

    def ready_addresses():
        endpoints = get_json(nodes_cluster, "endpoints", "web")
        addresses = {a["ip"] for s in endpoints.get("subsets", []) for a in s.get("addresses", [])}
        return addresses == pod_ips and endpoints

    endpoints = wait_until(ready_addresses, "both pods in the endpoints", DEADLINE)
    assert endpoints["subsets"][0]["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    slices = get_json(nodes_cluster, "endpointslices", "-l", "kubernetes.io/service-name=web")["items"]
    assert len(slices) == 1
    slice_ = slices[0]
    assert slice_["addressType"] == "IPv4"
    assert slice_["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io"
    assert {e["addresses"][0] for e in slice_["endpoints"]} == pod_ips
    assert all(e["conditions"]["ready"] and e.get("zone") and e.get("nodeName") for e in slice_["endpoints"])
    listed = nodes_cluster.kubectl("get", "endpoints", "web").stdout
    assert ":8080" in listed
