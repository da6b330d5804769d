"""Deployments and ReplicaSets as kubectl drives them on a cluster with nodes: rollout status, a rolling update by
`kubectl set image` within maxUnavailable, `rollout history`, `rollout undo` and `rollout restart`, scaling, the
garbage collector's cascading deletes, and a crash-looping container's growing back-off."""

import json
import re

from conftest import wait_until
from test_dataplane import pods, ready, running_ready

ROLLING = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 6
  selector:
    matchLabels: {app: web}
  strategy:
    rollingUpdate: {maxUnavailable: 1, maxSurge: 1}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: web
        image: nginx:1.27
"""


def deployment(cluster, name="web"):
    return json.loads(cluster.kubectl("get", "deployment", name, "-o", "json").stdout)


def replica_sets(cluster, selector="app=web"):
    return json.loads(cluster.kubectl("get", "rs", "-l", selector, "-o", "json").stdout)["items"]


def images(cluster):
    return sorted({p["spec"]["containers"][0]["image"] for p in pods(cluster) if not p["metadata"].get("deletionTimestamp")})


def test_rolling_update_history_undo_and_restart(nodes_cluster):
    nodes_cluster.kubectl("apply", "-f", "-", input=ROLLING)
    nodes_cluster.kubectl("rollout", "status", "deployment/web", "--timeout=60s")
    running_ready(nodes_cluster, 6)
    status = deployment(nodes_cluster)["status"]
    assert (status["replicas"], status["updatedReplicas"], status["readyReplicas"], status["availableReplicas"]) == \
        (6, 6, 6, 6)
    conditions = {c["type"]: c for c in status["conditions"]}
    assert conditions["Available"]["status"] == "True"
    assert conditions["Progressing"]["reason"] == "NewReplicaSetAvailable"

    # Watch the rollout: never fewer than 5 ready pods of the Deployment, never more than 7 pods.
    nodes_cluster.kubectl("set", "image", "deployment/web", "web=nginx:1.28")
    lowest, highest = 6, 6

    def rolled():
        nonlocal lowest, highest
        current = [p for p in pods(nodes_cluster) if not p["metadata"].get("deletionTimestamp")]
        lowest = min(lowest, sum(1 for p in current if ready(p)))
        highest = max(highest, len(current))
        done = len(current) == 6 and all(ready(p) for p in current) and \
            {p["spec"]["containers"][0]["image"] for p in current} == {"nginx:1.28"}
        return done
    wait_until(rolled, "the rollout to nginx:1.28", interval=0.02)
    assert lowest >= 5, f"maxUnavailable 1: at least 5 ready pods at all times, saw {lowest}"
    assert highest <= 7, f"maxSurge 1: at most 7 pods at all times, saw {highest}"
    nodes_cluster.kubectl("rollout", "status", "deployment/web", "--timeout=60s")

    history = nodes_cluster.kubectl("rollout", "history", "deployment/web").stdout
    assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["1", "2"], history
    sets = {rs["spec"]["template"]["spec"]["containers"][0]["image"]: rs for rs in replica_sets(nodes_cluster)}
    assert sets["nginx:1.27"]["spec"]["replicas"] == 0 and sets["nginx:1.28"]["spec"]["replicas"] == 6
    assert sets["nginx:1.28"]["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"

    # Undo reuses the first ReplicaSet, which becomes revision 3.
    nodes_cluster.kubectl("rollout", "undo", "deployment/web")
    nodes_cluster.kubectl("rollout", "status", "deployment/web", "--timeout=60s")
    wait_until(lambda: images(nodes_cluster) == ["nginx:1.27"] and len(running_ready(nodes_cluster, 6)) == 6,
               "the pods back on nginx:1.27")
    first = next(rs for rs in replica_sets(nodes_cluster)
                 if rs["metadata"]["name"] == sets["nginx:1.27"]["metadata"]["name"])
    assert first["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    assert len(replica_sets(nodes_cluster)) == 2

    # Restart: every pod replaced, through a new ReplicaSet.
    before = {p["metadata"]["name"] for p in pods(nodes_cluster)}
    nodes_cluster.kubectl("rollout", "restart", "deployment/web")
    nodes_cluster.kubectl("rollout", "status", "deployment/web", "--timeout=60s")
    after = {p["metadata"]["name"] for p in running_ready(nodes_cluster, 6)}
    assert not before & after, "every pod was replaced"


def test_scaling_and_cascading_deletes(nodes_cluster):
    nodes_cluster.kubectl("create", "deployment", "web", "--image=nginx", "--replicas=2")
    running_ready(nodes_cluster, 2)
    nodes_cluster.kubectl("scale", "deployment/web", "--replicas=5")
    running_ready(nodes_cluster, 5)
    nodes_cluster.kubectl("scale", "deployment/web", "--replicas=1")
    running_ready(nodes_cluster, 1)

    # Orphan: the ReplicaSet and its pod stay, without their owner.
    nodes_cluster.kubectl("delete", "deployment", "web", "--cascade=orphan")
    orphans = replica_sets(nodes_cluster)
    assert len(orphans) == 1 and not orphans[0]["metadata"].get("ownerReferences")
    running_ready(nodes_cluster, 1)

    # Background (kubectl's default): deleting the ReplicaSet deletes its pod.
    nodes_cluster.kubectl("delete", "rs", orphans[0]["metadata"]["name"])
    wait_until(lambda: not pods(nodes_cluster), "the orphaned ReplicaSet's pods to go")

    # Foreground: the Deployment is gone only after its ReplicaSets and pods.
    nodes_cluster.kubectl("create", "deployment", "api", "--image=nginx", "--replicas=2")
    running_ready(nodes_cluster, 2, selector="app=api")
    nodes_cluster.kubectl("delete", "deployment", "api", "--cascade=foreground", "--wait=true", "--timeout=60s")
    assert not replica_sets(nodes_cluster, "app=api")
    assert not [p for p in pods(nodes_cluster, "app=api") if not p["metadata"].get("deletionTimestamp")]


CRASHING = """apiVersion: v1
kind: Pod
metadata:
  name: crasher
  annotations:
    ekslite.dev/run-seconds: "0.2"
    ekslite.dev/exit-code: "1"
spec:
  containers:
  - name: app
    image: busybox
"""


def test_a_crash_looping_container_backs_off_longer_each_time(nodes_cluster):
    nodes_cluster.kubectl("apply", "-f", "-", input=CRASHING)

    def container():
        pod = json.loads(nodes_cluster.kubectl("get", "pod", "crasher", "-o", "json").stdout)
        statuses = pod["status"].get("containerStatuses") or [{}]
        return statuses[0]

    def backing_off_after(restarts):
        status = container()
        waiting = status.get("state", {}).get("waiting", {})
        if status.get("restartCount", 0) >= restarts and waiting.get("reason") == "CrashLoopBackOff":
            return waiting["message"]
        return None
    first = wait_until(lambda: backing_off_after(1), "CrashLoopBackOff after a restart")
    second = wait_until(lambda: backing_off_after(2), "CrashLoopBackOff after two restarts", deadline=60)
    assert "back-off 10s restarting failed container=app" in first, first
    assert "back-off 20s restarting failed container=app" in second, second
    table = nodes_cluster.kubectl("get", "pod", "crasher").stdout
    assert "CrashLoopBackOff" in table or "Error" in table, table
    last = container()["lastState"]["terminated"]
    assert last["exitCode"] == 1 and last["reason"] == "Error"

    # Each back-off says the same: kubelet's recorder counts it on one event, which kubectl describe shows as such.
    def counted_back_off():
        events = json.loads(nodes_cluster.kubectl("get", "events", "--field-selector",
                                                  "involvedObject.name=crasher,reason=BackOff", "-o", "json").stdout)
        items = events["items"]
        return items if items and max(e.get("count", 1) for e in items) >= 2 else None
    back_off = wait_until(counted_back_off, "the BackOff event counted twice")
    assert len(back_off) == 1, [e["message"] for e in back_off]
    assert back_off[0]["source"]["component"] == "kubelet"
    described = nodes_cluster.kubectl("describe", "pod", "crasher").stdout
    assert re.search(r"BackOff\s+\S+ \(x\d+ over \S+\)\s+kubelet", described), described
