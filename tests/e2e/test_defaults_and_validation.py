"""Built-in kinds as kube-apiserver shapes them: the defaults a fresh object shows, and invalid objects refused
with 422 and upstream's field paths, leaving nothing behind."""

import copy
import json

import pytest
import yaml


def pod(name="web", **spec):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}], **spec}}


def deployment(name="web", labels=None, selector=None, **spec):
    labels = labels or {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"selector": {"matchLabels": selector or labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "app", "image": "nginx"}]}}, **spec}}


def create(cluster, manifest, check=True):
    return cluster.kubectl("create", "-f", "-", input=yaml.safe_dump(manifest), check=check)


def get(cluster, kind, name):
    return json.loads(cluster.kubectl("get", kind, name, "-o", "json").stdout)


def test_a_pod_shows_the_defaults_a_real_cluster_adds(cluster):
    create(cluster, pod(containers=[{"name": "app", "image": "nginx:1.27", "ports": [{"containerPort": 80}]},
                                    {"name": "tools", "image": "busybox"}]))
    live = get(cluster, "pod", "web")
    spec = live["spec"]
    checked = {
        "restartPolicy": "Always",
        "dnsPolicy": "ClusterFirst",
        "terminationGracePeriodSeconds": 30,
        "schedulerName": "default-scheduler",
        "securityContext": {},
        "enableServiceLinks": True,
        "serviceAccountName": "default",
        "priority": 0,
        "preemptionPolicy": "PreemptLowerPriority",
    }
    assert {field: spec.get(field) for field in checked} == checked
    app, tools = spec["containers"]
    assert app["imagePullPolicy"] == "IfNotPresent", "a tagged image"
    assert tools["imagePullPolicy"] == "Always", "an untagged image means latest"
    for container in (app, tools):
        assert container["terminationMessagePath"] == "/dev/termination-log"
        assert container["terminationMessagePolicy"] == "File"
    assert app["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    tolerations = {(t["key"], t["effect"], t.get("tolerationSeconds")) for t in spec["tolerations"]}
    assert tolerations == {("node.kubernetes.io/not-ready", "NoExecute", 300),
                           ("node.kubernetes.io/unreachable", "NoExecute", 300)}
    assert live["status"]["qosClass"] == "BestEffort"


def test_workloads_services_and_secrets_get_their_defaults(cluster):
    create(cluster, deployment())
    spec = get(cluster, "deployment", "web")["spec"]
    assert spec["replicas"] == 1 and spec["revisionHistoryLimit"] == 10 and spec["progressDeadlineSeconds"] == 600
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}
    assert spec["template"]["spec"]["restartPolicy"] == "Always"

    cluster.kubectl("create", "job", "once", "--image=busybox")
    job = get(cluster, "job", "once")["spec"]
    assert (job["backoffLimit"], job["completions"], job["parallelism"], job["completionMode"]) == (6, 1, 1, "NonIndexed")
    assert job["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"]
    cluster.kubectl("create", "cronjob", "nightly", "--image=busybox", "--schedule=0 3 * * *")
    cron = get(cluster, "cronjob", "nightly")["spec"]
    assert (cron["concurrencyPolicy"], cron["suspend"], cron["successfulJobsHistoryLimit"],
            cron["failedJobsHistoryLimit"]) == ("Allow", False, 3, 1)

    cluster.kubectl("create", "secret", "generic", "creds", "--from-literal=a=b")
    assert get(cluster, "secret", "creds")["type"] == "Opaque"
    cluster.kubectl("create", "service", "clusterip", "svc", "--tcp=80:8080")
    service = get(cluster, "service", "svc")["spec"]
    assert (service["type"], service["sessionAffinity"], service["internalTrafficPolicy"]) == ("ClusterIP", "None", "Cluster")
    assert service["ports"][0]["protocol"] == "TCP" and service["ports"][0]["targetPort"] == 8080


INVALID = [
    ("bad name", pod(name="Web_1"), "metadata.name", "a lowercase RFC 1123 subdomain"),
    ("long name", pod(name="a" * 254), "metadata.name", "must be no more than 253 characters"),
    ("bad label key", dict(pod(), metadata={"name": "p", "labels": {"bad key!": "x"}}), "metadata.labels",
     "name part must consist of alphanumeric characters"),
    ("bad label value", dict(pod(), metadata={"name": "p", "labels": {"app": "-x-"}}), "metadata.labels",
     "a valid label must be an empty string or consist of alphanumeric characters"),
    ("missing image", pod(containers=[{"name": "app"}]), "spec.containers[0].image", "Required value"),
    ("no containers", pod(containers=[]), "spec.containers", "Required value"),
    ("duplicate containers", pod(containers=[{"name": "a", "image": "x"}, {"name": "a", "image": "busybox"}]),
     "spec.containers[1].name", "Duplicate value"),
    ("bad container name", pod(containers=[{"name": "App", "image": "x"}]), "spec.containers[0].name",
     "a lowercase RFC 1123 label"),
    ("port out of range", pod(containers=[{"name": "a", "image": "x", "ports": [{"containerPort": 70000}]}]),
     "spec.containers[0].ports[0].containerPort", "must be between 1 and 65535"),
    ("bad protocol", pod(containers=[{"name": "a", "image": "x", "ports": [{"containerPort": 80, "protocol": "IP"}]}]),
     "spec.containers[0].ports[0].protocol", "Unsupported value"),
    ("bad restart policy", pod(restartPolicy="Sometimes"), "spec.restartPolicy", "Unsupported value"),
    ("unknown volume", pod(containers=[{"name": "a", "image": "x", "volumeMounts": [{"name": "nope", "mountPath": "/x"}]}]),
     "spec.containers[0].volumeMounts[0].name", "Not found"),
    ("requests over limits", pod(containers=[{"name": "a", "image": "x", "resources": {
        "requests": {"cpu": "2"}, "limits": {"cpu": "1"}}}]),
     "spec.containers[0].resources.requests", "must be less than or equal to cpu limit"),
    ("selector mismatch", deployment(selector={"app": "other"}), "spec.template.metadata.labels",
     "`selector` does not match template `labels`"),
    ("negative replicas", deployment(replicas=-1), "spec.replicas", "must be greater than or equal to 0"),
    ("deployment restart policy", {**deployment(), "spec": {**deployment()["spec"], "template": {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"restartPolicy": "Never", "containers": [{"name": "a", "image": "x"}]}}}},
     "spec.template.spec.restartPolicy", "Unsupported value"),
    ("bad configmap key", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a b": "x"}},
     "data[a b]", "a valid config key must consist of alphanumeric characters"),
    ("bad cron schedule", {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
                           "spec": {"schedule": "every day", "jobTemplate": {"spec": {"template": {"spec": {
                               "restartPolicy": "OnFailure", "containers": [{"name": "a", "image": "x"}]}}}}}},
     "spec.schedule", "Invalid value"),
    ("job restart policy", {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
                            "spec": {"template": {"spec": {"restartPolicy": "Always",
                                                           "containers": [{"name": "a", "image": "x"}]}}}},
     "spec.template.spec.restartPolicy", "Unsupported value"),
    ("service without ports", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {}},
     "spec.ports", "Required value"),
    ("service port range", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
                            "spec": {"ports": [{"port": 0}]}}, "spec.ports[0].port", "must be between 1 and 65535"),
    ("service name", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "1svc"},
                      "spec": {"ports": [{"port": 80}]}}, "metadata.name", "a DNS-1035 label"),
    ("namespace name", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a.b"}}, "metadata.name",
     "must not contain dots"),
    ("namespace name case", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "Team"}}, "metadata.name",
     "a lowercase RFC 1123 label"),
]


@pytest.mark.parametrize("case", INVALID, ids=[case[0] for case in INVALID])
def test_invalid_objects_are_refused_with_field_paths(cluster, case):
    _, manifest, field, message = case
    refused = create(cluster, manifest, check=False)
    assert refused.returncode != 0
    assert "is invalid" in refused.stderr, refused.stderr
    assert field in refused.stderr and message in refused.stderr, refused.stderr
    # Nothing was stored: the object is not there under its kind and name.
    kind = manifest["apiVersion"].rpartition("/")[0]
    kind = manifest["kind"].lower() + (f".{kind}" if kind else "")
    stored = cluster.kubectl("get", kind, manifest["metadata"]["name"], "-o", "name", check=False)
    assert stored.returncode != 0 and "NotFound" in stored.stderr, (stored.stdout, stored.stderr)


def test_invalid_objects_get_a_422_status_with_causes(cluster):
    from kubernetes import client, config
    from kubernetes.client.rest import ApiException

    api = client.CoreV1Api(config.new_client_from_config(str(cluster.kubeconfig)))
    with pytest.raises(ApiException) as raised:
        api.create_namespaced_pod("default", pod(containers=[{"name": "a"}, {"name": "a"}]))
    status = json.loads(raised.value.body)
    assert raised.value.status == 422 and status["reason"] == "Invalid"
    fields = {(c["field"], c["reason"]) for c in status["details"]["causes"]}
    assert ("spec.containers[0].image", "FieldValueRequired") in fields
    assert ("spec.containers[1].name", "FieldValueDuplicate") in fields
    assert status["message"].startswith('Pod "web" is invalid: [')


def test_immutable_fields_cannot_change(cluster):
    create(cluster, deployment())
    live = get(cluster, "deployment", "web")
    changed = copy.deepcopy(live)
    changed["spec"]["selector"] = {"matchLabels": {"app": "web", "tier": "x"}}
    changed["spec"]["template"]["metadata"]["labels"]["tier"] = "x"
    # Without a resourceVersion the replace is unconditional: the Deployment controller writing status meanwhile
    # would otherwise turn the answer into a Conflict, which kube-apiserver checks before validation.
    del changed["metadata"]["resourceVersion"]
    refused = cluster.kubectl("replace", "-f", "-", input=json.dumps(changed), check=False)
    assert refused.returncode != 0 and "spec.selector" in refused.stderr and "field is immutable" in refused.stderr
    assert get(cluster, "deployment", "web")["spec"]["selector"] == live["spec"]["selector"]

    create(cluster, pod())
    patch = '{"spec": {"containers": [{"name": "app", "image": "nginx:1.27", "command": ["sh"]}]}}'
    refused = cluster.kubectl("patch", "pod", "web", "-p", patch, check=False)
    assert refused.returncode != 0 and "pod updates may not change fields other than" in refused.stderr
    cluster.kubectl("set", "image", "pod/web", "app=nginx:1.28")
    assert get(cluster, "pod", "web")["spec"]["containers"][0]["image"] == "nginx:1.28", "the image may change"

    cluster.kubectl("create", "configmap", "frozen", "--from-literal=a=b")
    cluster.kubectl("patch", "configmap", "frozen", "-p", '{"immutable": true}')
    refused = cluster.kubectl("patch", "configmap", "frozen", "-p", '{"data": {"a": "c"}}', check=False)
    assert refused.returncode != 0 and "field is immutable when `immutable` is set" in refused.stderr
