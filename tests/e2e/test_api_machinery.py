"""API machinery details that clients rely on, checked with raw HTTPS requests through the Python client's
connection pool (so the admin client certificate is used): status subresource, dry run, WatchList, bookmarks,
delete preconditions and finalizers, graceful pod deletion, generateName."""

import datetime

import json

import pytest
from kubernetes import config


@pytest.fixture
def api(cluster):
    client = config.new_client_from_config(str(cluster.kubeconfig))
    host = client.configuration.host

    def request(method, path, body=None, content_type="application/json", preload=True, **query):
        url = f"{host}{path}"
        if query:
            url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
        data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
        response = client.rest_client.pool_manager.request(
            method, url, body=data, headers={"Content-Type": content_type}, preload_content=preload)
        return response

    return request


DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"
DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
    "spec": {"selector": {"matchLabels": {"app": "web"}},
             "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "nginx"}]}}},
}


def put_again_on_conflict(api, path, read_path, change):
    """Reads, changes and writes back, again while the write conflicts, as a client does."""
    while True:
        current = json.loads(api("GET", read_path).data)
        change(current)
        response = api("PUT", path, current)
        if response.status != 409:
            assert response.status == 200, response.data
            return json.loads(response.data)


def test_status_and_spec_are_written_apart(api):
    # A HorizontalPodAutoscaler whose target does not exist: the HPA controller writes its conditions, never its
    # replica counts, so the counts here are the test's own (a write that crosses the controller's is retried).
    autoscalers = "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers"
    body = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                     "maxReplicas": 5},
            "status": {"currentReplicas": 9, "desiredReplicas": 9}}
    created = json.loads(api("POST", autoscalers, body).data)
    assert not created.get("status", {}).get("currentReplicas"), "a create does not set status"
    # The main resource ignores status; the status subresource ignores everything else.

    def change_spec(current):
        current["status"] = {"currentReplicas": 3, "desiredReplicas": 3}
        current["spec"]["maxReplicas"] = 4
    updated = put_again_on_conflict(api, f"{autoscalers}/web", f"{autoscalers}/web", change_spec)
    assert updated["spec"]["maxReplicas"] == 4 and not updated.get("status", {}).get("currentReplicas")
    assert updated["metadata"]["generation"] == 2

    def change_status(current):
        current["status"] = {"currentReplicas": 3, "desiredReplicas": 3, "observedGeneration": 2}
        current["spec"]["maxReplicas"] = 10
    status = put_again_on_conflict(api, f"{autoscalers}/web/status", f"{autoscalers}/web", change_status)
    assert status["status"]["currentReplicas"] == 3 and status["spec"]["maxReplicas"] == 4
    assert status["metadata"]["generation"] == 2, "status writes do not bump the generation"
    patched = json.loads(api("PATCH", f"{autoscalers}/web/status", {"status": {"desiredReplicas": 4}},
                             content_type="application/merge-patch+json").data)
    assert patched["status"]["desiredReplicas"] == 4 and patched["status"]["currentReplicas"] == 3
    assert api("GET", "/api/v1/namespaces/default/configmaps/x/status").status == 404


def test_dry_run_writes_nothing(api):
    response = api("POST", DEPLOYMENTS, DEPLOYMENT, dryRun="All")
    assert response.status == 201 and json.loads(response.data)["metadata"]["name"] == "web"
    assert api("GET", f"{DEPLOYMENTS}/web").status == 404
    api("POST", DEPLOYMENTS, DEPLOYMENT)
    assert api("DELETE", f"{DEPLOYMENTS}/web", dryRun="All").status == 200
    assert api("GET", f"{DEPLOYMENTS}/web").status == 200


def test_generate_name(api):
    body = {"metadata": {"generateName": "job-"}, "data": {"a": "1"}}
    names = {json.loads(api("POST", "/api/v1/namespaces/default/configmaps", body).data)["metadata"]["name"] for _ in range(5)}
    assert len(names) == 5 and all(name.startswith("job-") and len(name) == 9 for name in names)
    missing = json.loads(api("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {}}).data)
    assert missing["code"] == 422 and missing["details"]["causes"][0]["field"] == "metadata.name"


def test_delete_preconditions_and_finalizers(api):
    base = "/api/v1/namespaces/default/configmaps"
    created = json.loads(api("POST", base, {"metadata": {"name": "kept", "finalizers": ["example.com/x"]}}).data)
    wrong = api("DELETE", f"{base}/kept", {"kind": "DeleteOptions", "apiVersion": "v1", "preconditions": {"uid": "nope"}})
    assert wrong.status == 409 and "Precondition failed: UID in precondition: nope" in json.loads(wrong.data)["message"]
    marked = json.loads(api("DELETE", f"{base}/kept", {"preconditions": {"uid": created["metadata"]["uid"]}}).data)
    assert marked["metadata"]["deletionTimestamp"], "a finalizer keeps the object, marked for deletion"
    assert api("GET", f"{base}/kept").status == 200
    gone = api("PATCH", f"{base}/kept", {"metadata": {"finalizers": None}}, content_type="application/merge-patch+json")
    assert gone.status == 200
    assert api("GET", f"{base}/kept").status == 404, "removing the last finalizer deletes it"
    bad = api("DELETE", f"{base}/kept", {"propagationPolicy": "Sideways"})
    assert bad.status in (400, 404)


def pod(name, node=None, grace=None):
    spec = {"containers": [{"name": "app", "image": "nginx"}]}
    if node:
        spec["nodeName"] = node
    if grace is not None:
        spec["terminationGracePeriodSeconds"] = grace
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def seconds_from_now(timestamp):
    at = datetime.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return (at - datetime.datetime.now(datetime.timezone.utc)).total_seconds()


def test_pods_on_a_node_are_deleted_gracefully(api):
    pods = "/api/v1/namespaces/default/pods"
    assert api("POST", "/api/v1/nodes", {"metadata": {"name": "node-1"}}).status == 201
    api("POST", pods, pod("running", node="node-1"))

    first = json.loads(api("DELETE", f"{pods}/running").data)
    assert first["metadata"]["deletionGracePeriodSeconds"] == 30, "the default termination grace period"
    assert 25 <= seconds_from_now(first["metadata"]["deletionTimestamp"]) <= 31
    assert api("GET", f"{pods}/running").status == 200, "the pod waits for its node to stop it"

    longer = json.loads(api("DELETE", f"{pods}/running", gracePeriodSeconds=60).data)
    assert longer["metadata"]["deletionGracePeriodSeconds"] == 30, "a longer grace period changes nothing"
    shorter = json.loads(api("DELETE", f"{pods}/running", {"gracePeriodSeconds": 5}).data)
    assert shorter["metadata"]["deletionGracePeriodSeconds"] == 5
    assert seconds_from_now(shorter["metadata"]["deletionTimestamp"]) <= 6, "the deadline moves earlier"

    # An update (a status report from the node) does not delete a pod within its grace period.
    status = {"status": {"phase": "Running"}}
    assert api("PATCH", f"{pods}/running/status", status, content_type="application/merge-patch+json").status == 200
    assert api("GET", f"{pods}/running").status == 200
    assert api("DELETE", f"{pods}/running", gracePeriodSeconds=0).status == 200
    assert api("GET", f"{pods}/running").status == 404, "grace period 0 deletes at once"

    api("POST", pods, pod("own-grace", node="node-1", grace=7))
    own = json.loads(api("DELETE", f"{pods}/own-grace").data)
    assert own["metadata"]["deletionGracePeriodSeconds"] == 7, "the pod's terminationGracePeriodSeconds"


def test_pods_not_running_on_a_node_are_deleted_at_once(api):
    pods = "/api/v1/namespaces/default/pods"
    for name, node in [("unscheduled", None), ("orphan", "no-such-node")]:
        api("POST", pods, pod(name, node=node))
        assert api("DELETE", f"{pods}/{name}").status == 200
        assert api("GET", f"{pods}/{name}").status == 404, name
    for garbage in ["soon", "1.5"]:
        response = api("DELETE", f"{pods}/whatever", gracePeriodSeconds=garbage)
        assert response.status == 400, garbage
    response = api("DELETE", f"{pods}/whatever", {"gracePeriodSeconds": "ten"})
    assert response.status == 400
    assert json.loads(response.data)["reason"] == "BadRequest"


def test_watch_list_streams_initial_state_then_a_bookmark(api):
    base = "/api/v1/namespaces/default/configmaps"
    for name in ["a", "b"]:
        api("POST", base, {"metadata": {"name": name}})
    response = api("GET", base, preload=False, watch="true", sendInitialEvents="true",
                   resourceVersionMatch="NotOlderThan", allowWatchBookmarks="true", timeoutSeconds="5")
    assert response.status == 200
    events = []
    for line in response.stream(1024 * 64):
        for part in line.decode().splitlines():
            if part.strip():
                events.append(json.loads(part))
        if any(e["type"] == "BOOKMARK" for e in events):
            break
    response.release_conn()
    # Every namespace also holds the kube-root-ca.crt config map, as on a real cluster.
    assert [e["type"] for e in events] == ["ADDED", "ADDED", "ADDED", "BOOKMARK"]
    assert {e["object"]["metadata"]["name"] for e in events[:3]} >= {"kube-root-ca.crt"}
    assert events[3]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    refused = api("GET", base, watch="true", sendInitialEvents="true")
    assert refused.status == 422, "WatchList without bookmarks is refused, so clients fall back"


def test_list_resource_version_semantics(api):
    base = "/api/v1/namespaces/default/configmaps"
    first = json.loads(api("POST", base, {"metadata": {"name": "one"}}).data)["metadata"]["resourceVersion"]
    api("POST", base, {"metadata": {"name": "two"}})
    exact = json.loads(api("GET", base, resourceVersion=first, resourceVersionMatch="Exact").data)
    assert [i["metadata"]["name"] for i in exact["items"]] == ["kube-root-ca.crt", "one"]
    assert exact["metadata"]["resourceVersion"] == first
    latest = json.loads(api("GET", base, resourceVersion="0").data)
    assert len(latest["items"]) == 3, "one, two and kube-root-ca.crt"
    assert api("GET", base, resourceVersion="abc").status == 400
    assert api("GET", base, limit="x").status == 400
    assert api("GET", base, limit="1", **{"continue": "garbage"}).status == 400


def test_paths_that_name_no_resource_answer_a_not_found_status_with_details(api, cluster):
    for path in ("/apis/nothing.example.com/v1", "/api/v1/namespaces/default/nothings",
                 "/api/v1/namespaces/default/nodes/n1", "/api/v1/namespaces/default/pods/p/nothing"):
        response = api("GET", path)
        assert response.status == 404, path
        status = json.loads(response.data)
        assert (status["kind"], status["reason"]) == ("Status", "NotFound"), path
        # Clients read fields of the details (kubectl debug reads the name), so they are present even when empty.
        assert status["details"] == {}, path
    # An object that is not there is named in the details; a core kind's names no group, as upstream omits it.
    assert json.loads(api("GET", "/api/v1/namespaces/default/pods/missing").data)["details"] == {
        "name": "missing", "kind": "pods"}
    assert json.loads(api("GET", f"{DEPLOYMENTS}/missing").data)["details"] == {
        "name": "missing", "group": "apps", "kind": "deployments"}
    # kubectl debug reads them to tell a cluster without ephemeral containers; this one serves them.
    api("POST", "/api/v1/namespaces/default/pods", pod("target"))
    debug = cluster.kubectl("debug", "target", "--image=busybox", "--container=debugger", check=False)
    assert debug.returncode == 0, debug.stderr
    target = json.loads(api("GET", "/api/v1/namespaces/default/pods/target").data)
    assert [c["name"] for c in target["spec"]["ephemeralContainers"]] == ["debugger"]


def test_a_dry_run_patch_answers_the_stored_resource_version(api, cluster):
    maps = "/api/v1/namespaces/default/configmaps"

    def manifest(value):
        return json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"},
                           "data": {"a": value}})

    cluster.kubectl("apply", "-f", "-", input=manifest("1"))
    patched = json.loads(api("PATCH", f"{maps}/settings", {"data": {"a": "2"}},
                             content_type="application/merge-patch+json", dryRun="All").data)
    stored = json.loads(api("GET", f"{maps}/settings").data)
    assert (patched["data"], stored["data"]) == ({"a": "2"}, {"a": "1"})
    assert patched["metadata"]["resourceVersion"] == stored["metadata"]["resourceVersion"]
    # kubectl diff compares the live object with a server-side dry run: the data (and the last-applied
    # annotation that records it) differ, the resource version does not.
    diff = cluster.kubectl("diff", "-f", "-", input=manifest("3"), check=False)
    assert diff.returncode == 1, diff.stderr
    changed = [line for line in diff.stdout.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert '-  a: "1"' in changed and '+  a: "3"' in changed, diff.stdout
    assert not [line for line in changed if "resourceVersion" in line or "generation" in line], diff.stdout


def test_component_statuses_report_the_control_plane(api, cluster):
    listed = api("GET", "/api/v1/componentstatuses")
    assert listed.status == 200
    assert "ComponentStatus is deprecated" in listed.headers.get("Warning", "")
    body = json.loads(listed.data)
    assert body["kind"] == "ComponentStatusList"
    assert [item["metadata"]["name"] for item in body["items"]] == ["scheduler", "controller-manager", "etcd-0"]
    assert all(item["conditions"] == [{"type": "Healthy", "status": "True", "message": "ok"}]
               for item in body["items"])
    assert json.loads(api("GET", "/api/v1/componentstatuses/etcd-0").data)["metadata"]["name"] == "etcd-0"
    missing = api("GET", "/api/v1/componentstatuses/nothing")
    assert missing.status == 404
    assert json.loads(missing.data)["details"] == {"name": "nothing", "kind": "componentstatuses"}
    assert api("POST", "/api/v1/componentstatuses", {"metadata": {"name": "x"}}).status == 405
    assert api("GET", "/api/v1/namespaces/default/componentstatuses").status == 404
    for kubectl in ("kubectl", "/usr/bin/kubectl"):
        shown = cluster.kubectl("get", "cs", kubectl=kubectl)
        assert "deprecated" in shown.stderr, shown.stderr
        rows = [line.split() for line in shown.stdout.splitlines()]
        assert rows[0] == ["NAME", "STATUS", "MESSAGE", "ERROR"], shown.stdout
        assert sorted(row[:3] for row in rows[1:]) == sorted(
            [["controller-manager", "Healthy", "ok"], ["etcd-0", "Healthy", "ok"], ["scheduler", "Healthy", "ok"]])


METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"


def test_metadata_only_reads(api, cluster):
    maps = "/api/v1/namespaces/default/configmaps"
    api("POST", maps, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "m", "labels": {"a": "b"}},
                       "data": {"big": "x" * 1000}})

    def read(path, accept, **query):
        client = config.new_client_from_config(str(cluster.kubeconfig))
        url = client.configuration.host + path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
        return client.rest_client.pool_manager.request("GET", url, headers={"Accept": accept}, preload_content=False)

    # What client-go's metadata client sends: protobuf first, then JSON, then a plain fallback.
    listed = read(maps, "application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,"
                        f"{METADATA_LIST},application/json")
    body = json.loads(listed.read())
    assert (body["kind"], body["apiVersion"]) == ("PartialObjectMetadataList", "meta.k8s.io/v1")
    names = {item["metadata"]["name"] for item in body["items"]}
    assert "m" in names and body["metadata"]["resourceVersion"]
    item = next(item for item in body["items"] if item["metadata"]["name"] == "m")
    assert set(item) == {"kind", "apiVersion", "metadata"} and item["kind"] == "PartialObjectMetadata"
    assert item["metadata"]["labels"] == {"a": "b"}
    one = json.loads(read(f"{maps}/m", "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1beta1").read())
    assert (one["kind"], one["apiVersion"], one["metadata"]["name"]) == (
        "PartialObjectMetadata", "meta.k8s.io/v1beta1", "m")
    assert "data" not in one
    # A watch presents each event's object as metadata.
    watched = read(maps, "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1",
                   watch="true", timeoutSeconds="1", labelSelector="a%3Db")
    event = json.loads(watched.read().splitlines()[0])
    assert event["type"] == "ADDED" and event["object"]["kind"] == "PartialObjectMetadata"
    assert "data" not in event["object"]
    # Nothing answerable: 406 NotAcceptable with a Status.
    for accept in ("application/json;as=Widget;g=meta.k8s.io;v=v1", METADATA_LIST.replace("List", "") + "X",
                   "text/html"):
        refused = read(maps, accept)
        assert refused.status == 406, accept
        assert json.loads(refused.read())["reason"] == "NotAcceptable"
    # A single object's form asked of a list, with no fallback, is refused too.
    assert read(f"{maps}/m", METADATA_LIST).status == 406
