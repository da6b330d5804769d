"""Scheduling by priority and across namespaces, through kubectl: PriorityClasses and the Priority admission plugin,
preemption (the preemptor's nominated node kept for it while its victim terminates, the victim's DisruptionTarget
condition and Preempted event), repeated FailedScheduling events counted on one event, and pod affinity whose terms
select namespaces by label."""

import json
import re

from conftest import wait_until

PRIORITIES_AND_FILLER = """
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: low}
value: 10
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 1000
description: for the pods that must run
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: filler}
spec:
  replicas: 3
  selector: {matchLabels: {app: filler}}
  template:
    metadata:
      labels: {app: filler}
      annotations: {ekslite.dev/termination-seconds: "2"}
    spec:
      priorityClassName: low
      terminationGracePeriodSeconds: 5
      containers:
      - name: app
        image: nginx
        resources: {requests: {cpu: 1200m}}
"""

URGENT = """
apiVersion: v1
kind: Pod
metadata: {name: urgent}
spec:
  priorityClassName: high
  containers:
  - name: app
    image: nginx
    resources: {requests: {cpu: "1"}}
"""


def get(cluster, *args):
    return json.loads(cluster.kubectl("get", *args, "-o", "json").stdout)


def pod_items(cluster, selector):
    return get(cluster, "pods", "-l", selector)["items"]


def running_on(pod):
    return pod["status"].get("phase") == "Running" and pod["spec"].get("nodeName")


def events(cluster, reason):
    return get(cluster, "events", "--field-selector", f"reason={reason}")["items"]


def test_priority_classes_set_pod_priority(nodes_cluster):
    listed = nodes_cluster.kubectl("get", "priorityclasses").stdout
    assert re.search(r"system-node-critical\s+2000001000\s+false", listed), listed
    assert re.search(r"system-cluster-critical\s+2000000000\s+false", listed), listed
    nodes_cluster.kubectl("create", "priorityclass", "batch", "--value=500", "--global-default=true",
                          "--preemption-policy=Never")
    second = nodes_cluster.kubectl("create", "priorityclass", "other", "--value=5", "--global-default=true",
                                   check=False)
    assert second.returncode != 0
    assert "PriorityClass batch is already marked as default. Only one default can exist" in second.stderr
    reserved = nodes_cluster.kubectl("create", "priorityclass", "system-mine", "--value=5", check=False)
    assert "reserved for system use only" in reserved.stderr
    too_high = nodes_cluster.kubectl("create", "priorityclass", "huge", "--value=1000000001", check=False)
    assert "maximum allowed value of a user defined priority is 1000000000" in too_high.stderr

    # A pod naming no class gets the default class; one naming a class gets that class's value.
    nodes_cluster.kubectl("run", "plain", "--image=nginx")
    plain = get(nodes_cluster, "pod", "plain")["spec"]
    assert (plain["priorityClassName"], plain["priority"], plain["preemptionPolicy"]) == ("batch", 500, "Never")
    critical = nodes_cluster.kubectl(
        "run", "critical", "--image=nginx", "--overrides",
        json.dumps({"spec": {"priorityClassName": "system-cluster-critical"}}))
    assert critical.returncode == 0
    assert get(nodes_cluster, "pod", "critical")["spec"]["priority"] == 2000000000
    missing = nodes_cluster.kubectl("run", "lost", "--image=nginx", "--overrides",
                                    json.dumps({"spec": {"priorityClassName": "nope"}}), check=False)
    assert missing.returncode != 0
    assert 'pods "lost" is forbidden: no PriorityClass with name nope was found' in missing.stderr
    forced = nodes_cluster.kubectl("run", "forced", "--image=nginx", "--overrides",
                                   json.dumps({"spec": {"priority": 7}}), check=False)
    assert "the integer value of priority (7) must not be provided in pod spec" in forced.stderr
    assert "forced" not in nodes_cluster.kubectl("get", "pods", "-o", "name").stdout


def test_a_high_priority_pod_preempts_and_its_node_waits_for_it(nodes_cluster):
    nodes_cluster.kubectl("apply", "-f", "-", input=PRIORITIES_AND_FILLER)

    def three_running():
        running = [p for p in pod_items(nodes_cluster, "app=filler") if running_on(p)]
        return running if len(running) == 3 else None
    fillers = wait_until(three_running, "one 1.2-CPU filler pod running on each node")
    assert len({p["spec"]["nodeName"] for p in fillers}) == 3
    nodes_cluster.kubectl("apply", "-f", "-", input=URGENT)
    assert get(nodes_cluster, "pod", "urgent")["spec"]["priority"] == 1000

    # No node has a free CPU: the scheduler nominates a node for the pod and preempts the filler there.
    nominated = wait_until(lambda: get(nodes_cluster, "pod", "urgent")["status"].get("nominatedNodeName"),
                           "the urgent pod to be nominated to a node")

    def victim_marked():
        for pod in pod_items(nodes_cluster, "app=filler"):
            conditions = {c["type"]: c for c in pod["status"].get("conditions", [])}
            target = conditions.get("DisruptionTarget")
            if pod["spec"].get("nodeName") == nominated and pod["metadata"].get("deletionTimestamp") and target:
                return target
        return None
    target = wait_until(victim_marked, "the filler on the nominated node to be terminating for the preemption")
    assert (target["status"], target["reason"]) == ("True", "PreemptionByScheduler")
    assert target["message"] == "default-scheduler: preempting to accommodate a higher priority pod"

    # The replacement filler may not take the room while the victim terminates, nor after: it is the urgent pod's.
    urgent = wait_until(lambda: (lambda p: p if running_on(p) else None)(get(nodes_cluster, "pod", "urgent")),
                        "the urgent pod to run")
    assert urgent["spec"]["nodeName"] == nominated
    preempted = events(nodes_cluster, "Preempted")
    assert [e["message"] for e in preempted] == [f"Preempted by pod default/urgent on node {nominated}"]

    def replacement_pending():
        pending = [p for p in pod_items(nodes_cluster, "app=filler")
                   if not p["spec"].get("nodeName") and not p["metadata"].get("deletionTimestamp")]
        return pending[0] if len(pending) == 1 else None
    replacement = wait_until(replacement_pending, "the replacement filler to wait for a node")
    name, uid = replacement["metadata"]["name"], replacement["metadata"]["uid"]

    # Each failed attempt with the same message counts on one event; a cluster change makes it try again.
    def repeated():
        nodes_cluster.kubectl("label", "namespace", "default", "--overwrite", f"attempt={len(attempts)}")
        attempts.append(None)
        mine = [e for e in events(nodes_cluster, "FailedScheduling") if e["involvedObject"]["uid"] == uid]
        return mine if any(e.get("count", 1) >= 2 for e in mine) else None
    attempts = []
    mine = wait_until(repeated, "a repeated FailedScheduling event", interval=1)
    messages = [e["message"] for e in mine]
    assert len(messages) == len(set(messages)), "one event per message"
    assert any("Insufficient cpu" in m for m in messages), messages
    described = nodes_cluster.kubectl("describe", "pod", name).stdout
    assert re.search(r"FailedScheduling\s+\S+ \(x\d+ over \S+\)\s+default-scheduler", described), described
    assert len(events(nodes_cluster, "Preempted")) == 1, "no further preemption"


def test_pod_affinity_terms_select_namespaces_by_label(nodes_cluster):
    nodes_cluster.kubectl("create", "namespace", "data")
    nodes_cluster.kubectl("label", "namespace", "data", "team=storage")
    nodes_cluster.kubectl("run", "cache", "-n", "data", "--image=redis", "--labels=app=cache")
    cache = wait_until(lambda: (lambda p: p if running_on(p) else None)(get(nodes_cluster, "pod", "cache", "-n", "data")),
                       "the cache to run")
    near = {"spec": {"affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{
        "topologyKey": "kubernetes.io/hostname",
        "namespaceSelector": {"matchLabels": {"team": "storage"}},
        "labelSelector": {"matchLabels": {"app": "cache"}},
    }]}}}}
    for n in range(3):
        nodes_cluster.kubectl("run", f"web-{n}", "--image=nginx", "--overrides", json.dumps(near))
    for n in range(3):
        web = wait_until(lambda: (lambda p: p if running_on(p) else None)(get(nodes_cluster, "pod", f"web-{n}")),
                         f"web-{n} to run")
        assert web["spec"]["nodeName"] == cache["spec"]["nodeName"]

    # A selector no namespace's labels match finds no cache: the pod stays Pending and says why.
    away = json.loads(json.dumps(near))
    away["spec"]["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0][
        "namespaceSelector"] = {"matchLabels": {"team": "nobody"}}
    nodes_cluster.kubectl("run", "lonely", "--image=nginx", "--overrides", json.dumps(away))

    def refused():
        mine = [e["message"] for e in events(nodes_cluster, "FailedScheduling")
                if e["involvedObject"]["name"] == "lonely"]
        return mine or None
    messages = wait_until(refused, "a FailedScheduling event for the lonely pod")
    assert any("3 node(s) didn't match pod affinity rules" in m for m in messages), messages
    # Labelling a namespace so that the selector matches lets it go next to the cache.
    nodes_cluster.kubectl("label", "namespace", "data", "--overwrite", "team=nobody")
    lonely = wait_until(lambda: (lambda p: p if running_on(p) else None)(get(nodes_cluster, "pod", "lonely")),
                        "the lonely pod to run once the namespace matches")
    assert lonely["spec"]["nodeName"] == cache["spec"]["nodeName"]
