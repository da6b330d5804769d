"""The Python client's typed models against the server: its generated models refuse an object that lacks a field
the API declares required, so every kind it reads must come back as kube-apiserver writes it (a new workload's
always-encoded status counters at 0), through create, list and watch. ReplicationControllers are kept by their
controller as on any cluster."""

import json

from kubernetes import client, config, watch

from conftest import wait_until

CONTAINERS = [client.V1Container(name="c", image="nginx")]


def template(app):
    return client.V1PodTemplateSpec(metadata=client.V1ObjectMeta(labels={"app": app}),
                                    spec=client.V1PodSpec(containers=CONTAINERS))


def selector(app):
    return client.V1LabelSelector(match_labels={"app": app})


def test_typed_create_list_and_watch_of_workloads_and_autoscalers(cluster):
    api_client = config.new_client_from_config(str(cluster.kubeconfig))
    apps = client.AppsV1Api(api_client)
    core = client.CoreV1Api(api_client)
    v1_autoscaling = client.AutoscalingV1Api(api_client)
    v2_autoscaling = client.AutoscalingV2Api(api_client)
    target = {"api_version": "apps/v1", "kind": "Deployment", "name": "web"}
    made = [
        (apps.create_namespaced_daemon_set, apps.list_namespaced_daemon_set, client.V1DaemonSet(
            metadata=client.V1ObjectMeta(name="agent"),
            spec=client.V1DaemonSetSpec(selector=selector("agent"), template=template("agent")))),
        (apps.create_namespaced_replica_set, apps.list_namespaced_replica_set, client.V1ReplicaSet(
            metadata=client.V1ObjectMeta(name="rs"),
            spec=client.V1ReplicaSetSpec(replicas=0, selector=selector("rs"), template=template("rs")))),
        (apps.create_namespaced_stateful_set, apps.list_namespaced_stateful_set, client.V1StatefulSet(
            metadata=client.V1ObjectMeta(name="db"),
            spec=client.V1StatefulSetSpec(replicas=0, service_name="db", selector=selector("db"),
                                          template=template("db")))),
        (core.create_namespaced_replication_controller, core.list_namespaced_replication_controller,
         client.V1ReplicationController(
             metadata=client.V1ObjectMeta(name="old"),
             spec=client.V1ReplicationControllerSpec(replicas=2, selector={"app": "old"}, template=template("old")))),
        (v1_autoscaling.create_namespaced_horizontal_pod_autoscaler,
         v1_autoscaling.list_namespaced_horizontal_pod_autoscaler, client.V1HorizontalPodAutoscaler(
             metadata=client.V1ObjectMeta(name="v1"),
             spec=client.V1HorizontalPodAutoscalerSpec(
                 max_replicas=3, scale_target_ref=client.V1CrossVersionObjectReference(**target)))),
        (v2_autoscaling.create_namespaced_horizontal_pod_autoscaler,
         v2_autoscaling.list_namespaced_horizontal_pod_autoscaler, client.V2HorizontalPodAutoscaler(
             metadata=client.V1ObjectMeta(name="v2"),
             spec=client.V2HorizontalPodAutoscalerSpec(
                 max_replicas=3, scale_target_ref=client.V2CrossVersionObjectReference(**target)))),
    ]
    for create, list_kind, body in made:
        kind = type(body).__name__
        # A status sent on create is the server's to replace.
        created = create("default", body)
        assert created.status is not None, kind
        # Both autoscaler versions list the same objects, so each list is checked to hold its own.
        listed = list_kind("default")
        assert body.metadata.name in [item.metadata.name for item in listed.items], kind
        # The stream decodes every event into the typed model (a controller's status write may add one).
        events = list(watch.Watch().stream(list_kind, "default", timeout_seconds=1))
        assert body.metadata.name in {event["object"].metadata.name for event in events}, kind
    daemon_set = apps.read_namespaced_daemon_set("agent", "default").status
    assert (daemon_set.current_number_scheduled, daemon_set.desired_number_scheduled,
            daemon_set.number_misscheduled, daemon_set.number_ready) == (0, 0, 0, 0)
    assert v1_autoscaling.read_namespaced_horizontal_pod_autoscaler("v1", "default").status.desired_replicas == 0

    # The replication controller makes its pods and counts them; kubectl shows them as CURRENT.
    def counted():
        rc = json.loads(cluster.kubectl("get", "rc", "old", "-o", "json").stdout)
        return rc["status"].get("replicas") == 2 and rc["status"].get("observedGeneration") == 1

    wait_until(counted, "the replication controller counts two replicas")
    columns = cluster.kubectl("get", "rc", "old", "--no-headers").stdout.split()
    assert columns[:3] == ["old", "2", "2"], columns
    pods = core.list_namespaced_pod("default", label_selector="app=old").items
    assert len(pods) == 2
    assert {ref.kind for pod in pods for ref in pod.metadata.owner_references} == {"ReplicationController"}
    core.delete_namespaced_replication_controller("old", "default")
    wait_until(lambda: not core.list_namespaced_pod("default", label_selector="app=old").items,
               "the controller's pods are collected with it")


def test_a_status_with_counters_of_the_wrong_type_is_refused(cluster):
    api_client = config.new_client_from_config(str(cluster.kubeconfig))
    body = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "odd"},
            "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "odd"}},
                     "template": {"metadata": {"labels": {"app": "odd"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}
    client.AppsV1Api(api_client).create_namespaced_replica_set("default", body)
    host = api_client.configuration.host
    path = f"{host}/apis/apps/v1/namespaces/default/replicasets/odd/status"
    patch = json.dumps({"status": {"replicas": "many"}}).encode()
    response = api_client.rest_client.pool_manager.request(
        "PATCH", path, body=patch, headers={"Content-Type": "application/merge-patch+json"})
    assert response.status in (400, 422), response.data
    status = json.loads(response.data)
    assert status["kind"] == "Status" and status["status"] == "Failure"
    stored = client.AppsV1Api(api_client).read_namespaced_replica_set("odd", "default")
    assert stored.status.replicas == 0, "nothing was written"
