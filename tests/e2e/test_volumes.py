"""EBS volumes through the EBS CSI add-on, with real kubectl and the aws CLI: the gp2 StorageClass every EKS cluster
has, claims that wait for their first consumer, then for the driver, volumes provisioned in the zone of the node the
pod was scheduled to, StatefulSet claims, and the scheduler keeping pods off nodes their volumes cannot reach."""

import json
import subprocess

from conftest import aws_env, wait_until
from test_helm import CHART, helm_runner

DEADLINE = 60


def get_json(cluster, *args):
    return json.loads(cluster.kubectl("get", *args, "-o", "json").stdout)


def aws(cluster, tmp_path, *args):
    result = subprocess.run(["aws", *args, "--output", "json"], capture_output=True, text=True,
                            env=aws_env(cluster.server, tmp_path), timeout=DEADLINE)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else {}


def claim_phase(cluster, name):
    return get_json(cluster, "pvc", name).get("status", {}).get("phase")


def event_messages(cluster, name):
    events = get_json(cluster, "events", "--field-selector", f"involvedObject.name={name}")["items"]
    return {(e["reason"], e["message"]) for e in events}


def node_zone(cluster, node):
    return get_json(cluster, "node", node)["metadata"]["labels"]["topology.kubernetes.io/zone"]


def volume_zone(volume):
    term = volume["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"][0]
    assert term["key"] == "topology.kubernetes.io/zone"
    return term["values"][0]


CLAIM_AND_POD = """
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  storageClassName: gp2
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 3Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: db}
spec:
  containers: [{name: db, image: postgres}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
"""


def test_a_gp2_claim_is_provisioned_in_its_pods_zone_once_the_ebs_csi_addon_is_installed(nodes_cluster, tmp_path):
    classes = [line.split() for line in nodes_cluster.kubectl("get", "storageclass").stdout.splitlines()]
    assert classes[0] == ["NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE", "ALLOWVOLUMEEXPANSION", "AGE"]
    assert classes[1][:5] == ["gp2", "kubernetes.io/aws-ebs", "Delete", "WaitForFirstConsumer", "false"]

    nodes_cluster.kubectl("apply", "-f", "-", input=CLAIM_AND_POD.split("---")[0])
    wait_until(lambda: ("WaitForFirstConsumer", "waiting for first consumer to be created before binding")
               in event_messages(nodes_cluster, "data"), "the claim waits for its first consumer")
    nodes_cluster.kubectl("apply", "-f", "-", input=CLAIM_AND_POD.split("---")[1])
    # The scheduler picks a node and tells the claim; without the EBS CSI driver nothing provisions the volume, and
    # the pod waits unbound, as on EKS.
    wait_until(lambda: get_json(nodes_cluster, "pvc", "data")["metadata"].get("annotations", {})
               .get("volume.kubernetes.io/selected-node"), "the claim is told the chosen node")
    node = get_json(nodes_cluster, "pvc", "data")["metadata"]["annotations"]["volume.kubernetes.io/selected-node"]
    wait_until(lambda: any(reason == "ExternalProvisioning" and "'ebs.csi.aws.com'" in message
                           for reason, message in event_messages(nodes_cluster, "data")),
               "the claim waits for the external provisioner")
    assert claim_phase(nodes_cluster, "data") == "Pending"
    assert get_json(nodes_cluster, "pv")["items"] == []
    pod = get_json(nodes_cluster, "pod", "db")
    assert not pod["spec"].get("nodeName") and pod["status"]["phase"] == "Pending"

    aws(nodes_cluster, tmp_path, "eks", "create-addon", "--cluster-name", "demo", "--addon-name", "aws-ebs-csi-driver")
    assert get_json(nodes_cluster, "csidriver", "ebs.csi.aws.com")["spec"]["attachRequired"] is True
    wait_until(lambda: claim_phase(nodes_cluster, "data") == "Bound", "the claim is bound", deadline=DEADLINE)
    wait_until(lambda: get_json(nodes_cluster, "pod", "db")["spec"].get("nodeName") == node,
               "the pod is bound to the chosen node", deadline=DEADLINE)
    claim = get_json(nodes_cluster, "pvc", "data")
    volume = get_json(nodes_cluster, "pv", claim["spec"]["volumeName"])
    assert volume["metadata"]["name"] == "pvc-" + claim["metadata"]["uid"]
    assert volume["spec"]["capacity"]["storage"] == "3Gi"
    assert volume["spec"]["awsElasticBlockStore"]["volumeID"].startswith(f"aws://{node_zone(nodes_cluster, node)}/vol-")
    assert volume_zone(volume) == node_zone(nodes_cluster, node)
    assert volume["spec"]["claimRef"]["name"] == "data" and volume["status"]["phase"] == "Bound"
    rows = [line.split() for line in nodes_cluster.kubectl("get", "pvc", "data").stdout.splitlines()]
    assert rows[1][:7] == ["data", "Bound", volume["metadata"]["name"], "3Gi", "RWO", "gp2", "<unset>"], rows

    # The claim outlives its delete while the pod uses it; the volume goes with the claim (reclaim Delete).
    nodes_cluster.kubectl("delete", "pvc", "data", "--wait=false")
    assert get_json(nodes_cluster, "pvc", "data")["metadata"]["deletionTimestamp"]
    nodes_cluster.kubectl("delete", "pod", "db", "--grace-period=0", "--force")
    wait_until(lambda: get_json(nodes_cluster, "pv")["items"] == [] and
               get_json(nodes_cluster, "pvc")["items"] == [], "the claim and its volume are gone", deadline=DEADLINE)
    aws(nodes_cluster, tmp_path, "eks", "delete-addon", "--cluster-name", "demo", "--addon-name", "aws-ebs-csi-driver")
    wait_until(lambda: nodes_cluster.kubectl("get", "csidriver", "ebs.csi.aws.com", check=False).returncode != 0,
               "the driver is unregistered")


STATEFUL = """
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: gp3
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: ebs.csi.aws.com
volumeBindingMode: WaitForFirstConsumer
parameters: {type: gp3}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 3
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: postgres}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 500Mi}}
"""


def test_statefulset_claims_bind_and_pods_follow_their_volumes_zones(nodes_cluster, tmp_path):
    aws(nodes_cluster, tmp_path, "eks", "create-addon", "--cluster-name", "demo", "--addon-name", "aws-ebs-csi-driver")
    nodes_cluster.kubectl("apply", "-f", "-", input=STATEFUL)
    nodes_cluster.kubectl("rollout", "status", "statefulset/db", f"--timeout={DEADLINE}s", timeout=DEADLINE + 10)
    for ordinal in range(3):
        wait_until(lambda: claim_phase(nodes_cluster, f"data-db-{ordinal}") == "Bound", f"data-db-{ordinal} bound")
        claim = get_json(nodes_cluster, "pvc", f"data-db-{ordinal}")
        assert claim["spec"]["storageClassName"] == "gp3", "the default class is filled in"
        volume = get_json(nodes_cluster, "pv", claim["spec"]["volumeName"])
        assert volume["spec"]["csi"]["driver"] == "ebs.csi.aws.com"
        assert volume["spec"]["capacity"]["storage"] == "1Gi", "EBS sizes are whole GiB"
        pod = get_json(nodes_cluster, "pod", f"db-{ordinal}")
        assert volume_zone(volume) == node_zone(nodes_cluster, pod["spec"]["nodeName"])

    # A replacement pod goes back to its volume's zone.
    zone = volume_zone(get_json(nodes_cluster, "pv", get_json(nodes_cluster, "pvc", "data-db-0")["spec"]["volumeName"]))
    for _ in range(3):
        old = get_json(nodes_cluster, "pod", "db-0")["metadata"]["uid"]
        nodes_cluster.kubectl("delete", "pod", "db-0", "--grace-period=0", "--force")

        def replaced():
            pod = get_json(nodes_cluster, "pod", "db-0")
            return pod["metadata"]["uid"] != old and pod["spec"].get("nodeName")

        wait_until(replaced, "db-0 is replaced and scheduled", deadline=DEADLINE)
        assert node_zone(nodes_cluster, get_json(nodes_cluster, "pod", "db-0")["spec"]["nodeName"]) == zone


def test_a_pod_whose_claim_is_missing_stays_pending_until_it_exists(nodes_cluster, tmp_path):
    aws(nodes_cluster, tmp_path, "eks", "create-addon", "--cluster-name", "demo", "--addon-name", "aws-ebs-csi-driver")
    nodes_cluster.kubectl("apply", "-f", "-", input=CLAIM_AND_POD.split("---")[1])

    def failed_scheduling():
        return any(reason == "FailedScheduling" and 'persistentvolumeclaim "data" not found' in message
                   for reason, message in event_messages(nodes_cluster, "db"))

    wait_until(failed_scheduling, "FailedScheduling naming the missing claim")
    assert not get_json(nodes_cluster, "pod", "db")["spec"].get("nodeName")
    nodes_cluster.kubectl("apply", "-f", "-", input=CLAIM_AND_POD.split("---")[0])
    wait_until(lambda: get_json(nodes_cluster, "pod", "db")["spec"].get("nodeName"), "the pod is scheduled",
               deadline=DEADLINE)


def test_helm_install_wait_returns_once_the_charts_claim_is_bound(nodes_cluster, tmp_path):
    aws(nodes_cluster, tmp_path, "eks", "create-addon", "--cluster-name", "demo", "--addon-name", "aws-ebs-csi-driver")
    helm = helm_runner("helm", nodes_cluster, tmp_path)
    installed = helm("install", "shop", str(CHART), "--wait", "--timeout", "60s",
                     "--set", "storage.enabled=true", "--set", "replicas=1")
    assert "STATUS: deployed" in installed.stdout
    claim = get_json(nodes_cluster, "pvc", "shop-data")
    assert claim["status"]["phase"] == "Bound" and claim["status"]["capacity"]["storage"] == "2Gi"
    pod = get_json(nodes_cluster, "pods", "-l", "app.kubernetes.io/instance=shop")["items"][0]
    volume = get_json(nodes_cluster, "pv", claim["spec"]["volumeName"])
    assert volume_zone(volume) == node_zone(nodes_cluster, pod["spec"]["nodeName"])
    helm("uninstall", "shop", "--wait")
    wait_until(lambda: get_json(nodes_cluster, "pv")["items"] == [], "the chart's volume goes with its claim",
               deadline=DEADLINE)
