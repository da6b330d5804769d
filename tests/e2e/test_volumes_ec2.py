"""EBS volumes in EC2 with the aws CLI and boto3: the EBS CSI driver's volumes of an EKS cluster's claims (made
with the driver's tags, in-use on the pod's node's instance, detached and deleted as pods and claims go), volumes
and snapshots made, attached, modified and deleted by hand, and EC2's errors for bad input."""

import json
import subprocess

import pytest
from botocore.exceptions import ClientError

from conftest import aws_env, wait_until
from test_volumes import CLAIM_AND_POD

DEADLINE = 60


def get_json(cluster, *args):
    return json.loads(cluster.kubectl("get", *args, "-o", "json").stdout)


def cli(cluster, tmp_path, *args, check=True):
    result = subprocess.run(["aws", *args, "--output", "json"], capture_output=True, text=True,
                            env=aws_env(cluster.server, tmp_path), timeout=DEADLINE)
    if check:
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout) if result.stdout.strip() else {}
    return result


def claim_volumes(cluster, tmp_path):
    """The volumes `aws ec2 describe-volumes` finds for the claim `data`."""
    found = cli(cluster, tmp_path, "ec2", "describe-volumes",
                "--filters", "Name=tag:kubernetes.io/created-for/pvc/name,Values=data")
    return found["Volumes"]


def instance_of(cluster, node):
    return get_json(cluster, "node", node)["spec"]["providerID"].rsplit("/", 1)[1]


def test_an_ebs_claim_is_an_ec2_volume_in_use_on_its_pods_node(nodes_cluster, tmp_path):
    cli(nodes_cluster, tmp_path, "eks", "create-addon", "--cluster-name", "demo", "--addon-name", "aws-ebs-csi-driver")
    nodes_cluster.kubectl("apply", "-f", "-", input=CLAIM_AND_POD)
    wait_until(lambda: get_json(nodes_cluster, "pvc", "data").get("status", {}).get("phase") == "Bound",
               "the claim is bound", deadline=DEADLINE)
    wait_until(lambda: get_json(nodes_cluster, "pod", "db")["spec"].get("nodeName"), "the pod is scheduled",
               deadline=DEADLINE)
    node = get_json(nodes_cluster, "pod", "db")["spec"]["nodeName"]
    instance = instance_of(nodes_cluster, node)
    claim = get_json(nodes_cluster, "pvc", "data")
    pv = get_json(nodes_cluster, "pv", claim["spec"]["volumeName"])

    wait_until(lambda: [v["State"] for v in claim_volumes(nodes_cluster, tmp_path)] == ["in-use"],
               "the claim's volume is in use", deadline=DEADLINE)
    [volume] = claim_volumes(nodes_cluster, tmp_path)
    zone = get_json(nodes_cluster, "node", node)["metadata"]["labels"]["topology.kubernetes.io/zone"]
    assert pv["spec"]["awsElasticBlockStore"]["volumeID"] == f"aws://{zone}/{volume['VolumeId']}"
    assert (volume["AvailabilityZone"], volume["Size"], volume["VolumeType"]) == (zone, 3, "gp2")
    [attachment] = volume["Attachments"]
    assert (attachment["InstanceId"], attachment["State"]) == (instance, "attached")
    assert attachment["Device"].startswith("/dev/xvda") and len(attachment["Device"]) == len("/dev/xvdaa")
    tags = {t["Key"]: t["Value"] for t in volume["Tags"]}
    name = "pvc-" + claim["metadata"]["uid"]
    assert tags == {"CSIVolumeName": name, "ebs.csi.aws.com/cluster": "true",
                    "kubernetes.io/created-for/pvc/name": "data",
                    "kubernetes.io/created-for/pvc/namespace": "default",
                    "kubernetes.io/created-for/pv/name": name}
    [volume_attachment] = get_json(nodes_cluster, "volumeattachments")["items"]
    assert volume_attachment["spec"] == {"attacher": "ebs.csi.aws.com", "nodeName": node,
                                         "source": {"persistentVolumeName": name}}
    wait_until(lambda: get_json(nodes_cluster, "volumeattachments")["items"][0].get("status", {}).get("attached"),
               "the VolumeAttachment says attached", deadline=DEADLINE)
    by_instance = cli(nodes_cluster, tmp_path, "ec2", "describe-volumes",
                      "--filters", f"Name=attachment.instance-id,Values={instance}", "Name=status,Values=in-use")
    assert [v["VolumeId"] for v in by_instance["Volumes"]] == [volume["VolumeId"]]

    # While attached, EC2 keeps it.
    refused = cli(nodes_cluster, tmp_path, "ec2", "delete-volume", "--volume-id", volume["VolumeId"], check=False)
    assert refused.returncode != 0 and "VolumeInUse" in refused.stderr, refused.stderr

    # No pod on the node: detached; no claim: deleted.
    nodes_cluster.kubectl("delete", "pod", "db", "--grace-period=0", "--force")
    wait_until(lambda: [v["State"] for v in claim_volumes(nodes_cluster, tmp_path)] == ["available"],
               "the volume is detached", deadline=DEADLINE)
    wait_until(lambda: get_json(nodes_cluster, "volumeattachments")["items"] == [], "the VolumeAttachment is gone",
               deadline=DEADLINE)
    nodes_cluster.kubectl("delete", "pvc", "data")
    wait_until(lambda: claim_volumes(nodes_cluster, tmp_path) == [], "the volume is deleted", deadline=DEADLINE)
    wait_until(lambda: get_json(nodes_cluster, "pv")["items"] == [], "the PersistentVolume is gone", deadline=DEADLINE)


def test_volumes_and_snapshots_by_hand_with_the_aws_cli_and_boto3(nodes_cluster, tmp_path):
    ec2 = nodes_cluster.ec2
    instances = [i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]]
    instance = instances[0]
    zone = instance["Placement"]["AvailabilityZone"]
    made = cli(nodes_cluster, tmp_path, "ec2", "create-volume", "--availability-zone", zone, "--size", "8",
               "--volume-type", "gp3", "--iops", "4000",
               "--tag-specifications", "ResourceType=volume,Tags=[{Key=Name,Value=scratch}]")
    volume = made["VolumeId"]
    assert (made["State"], made["Iops"], made["Throughput"], made["Encrypted"]) == ("creating", 4000, 125, False)
    ec2.get_waiter("volume_available").wait(VolumeIds=[volume], WaiterConfig={"Delay": 1, "MaxAttempts": 30})

    other_zone = next(s["AvailabilityZone"] for s in nodes_cluster.subnets if s["AvailabilityZone"] != zone)
    elsewhere = ec2.create_volume(AvailabilityZone=other_zone, Size=1)["VolumeId"]
    with pytest.raises(ClientError) as caught:
        ec2.attach_volume(VolumeId=elsewhere, InstanceId=instance["InstanceId"], Device="/dev/sdf")
    assert caught.value.response["Error"]["Code"] == "InvalidVolume.ZoneMismatch"

    attached = cli(nodes_cluster, tmp_path, "ec2", "attach-volume", "--volume-id", volume,
                   "--instance-id", instance["InstanceId"], "--device", "/dev/sdf")
    assert (attached["State"], attached["Device"]) == ("attaching", "/dev/sdf")
    ec2.get_waiter("volume_in_use").wait(VolumeIds=[volume], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    with pytest.raises(ClientError) as caught:
        ec2.attach_volume(VolumeId=volume, InstanceId=instance["InstanceId"], Device="/dev/sdg")
    assert caught.value.response["Error"]["Code"] == "VolumeInUse"
    with pytest.raises(ClientError) as caught:
        ec2.delete_volume(VolumeId=volume)
    assert caught.value.response["Error"]["Code"] == "VolumeInUse"

    detached = ec2.detach_volume(VolumeId=volume, Force=True)
    assert detached["State"] == "detaching"
    ec2.get_waiter("volume_available").wait(VolumeIds=[volume], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    with pytest.raises(ClientError) as caught:
        ec2.detach_volume(VolumeId=volume)
    assert caught.value.response["Error"]["Code"] == "IncorrectState"

    modified = cli(nodes_cluster, tmp_path, "ec2", "modify-volume", "--volume-id", volume, "--size", "20",
                   "--throughput", "250")["VolumeModification"]
    assert (modified["ModificationState"], modified["OriginalSize"], modified["TargetSize"],
            modified["TargetThroughput"]) == ("modifying", 8, 20, 250)
    [modification] = ec2.describe_volumes_modifications(VolumeIds=[volume])["VolumesModifications"]
    assert (modification["ModificationState"], modification["Progress"]) == ("completed", 100)
    assert ec2.describe_volumes(VolumeIds=[volume])["Volumes"][0]["Size"] == 20

    snapshot = ec2.create_snapshot(VolumeId=volume, Description="before the upgrade")
    assert snapshot["State"] == "pending"
    ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[snapshot["SnapshotId"]],
                                              WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    mine = cli(nodes_cluster, tmp_path, "ec2", "describe-snapshots", "--owner-ids", "self")["Snapshots"]
    assert [(s["SnapshotId"], s["VolumeSize"], s["Description"]) for s in mine] == \
        [(snapshot["SnapshotId"], 20, "before the upgrade")]
    restored = ec2.create_volume(AvailabilityZone=other_zone, SnapshotId=snapshot["SnapshotId"])
    assert (restored["Size"], restored["SnapshotId"], restored["VolumeType"]) == (20, snapshot["SnapshotId"], "gp2")

    # Pages of at least five, as EC2 gives them, through boto3's paginator.
    for _ in range(4):
        ec2.create_volume(AvailabilityZone=zone, Size=1)
    pages = list(ec2.get_paginator("describe_volumes").paginate(PaginationConfig={"PageSize": 5}))
    assert [len(p["Volumes"]) for p in pages] == [5, 2]

    # Terminating an instance detaches what is attached to it.
    ec2.attach_volume(VolumeId=volume, InstanceId=instance["InstanceId"], Device="/dev/sdh")
    ec2.terminate_instances(InstanceIds=[instance["InstanceId"]])
    ec2.get_waiter("volume_available").wait(VolumeIds=[volume], WaiterConfig={"Delay": 1, "MaxAttempts": 30})

    ec2.delete_snapshot(SnapshotId=snapshot["SnapshotId"])
    for each in ec2.describe_volumes()["Volumes"]:
        ec2.delete_volume(VolumeId=each["VolumeId"])
    assert ec2.describe_volumes()["Volumes"] == []
    with pytest.raises(ClientError) as caught:
        ec2.describe_snapshots(SnapshotIds=[snapshot["SnapshotId"]])
    assert caught.value.response["Error"]["Code"] == "InvalidSnapshot.NotFound"


@pytest.mark.parametrize("args, code", [
    (["create-volume", "--size", "1"], "MissingParameter"),
    (["create-volume", "--availability-zone", "us-east-1z", "--size", "1"], "InvalidZone.NotFound"),
    (["create-volume", "--availability-zone", "us-east-1a", "--size", "20000"], "InvalidParameterValue"),
    (["create-volume", "--availability-zone", "us-east-1a", "--size", "0"], "InvalidParameterValue"),
    (["create-volume", "--availability-zone", "us-east-1a", "--size", "10", "--volume-type", "io1"],
     "MissingParameter"),
    (["create-volume", "--availability-zone", "us-east-1a", "--size", "10", "--iops", "300"],
     "InvalidParameterCombination"),
    (["create-volume", "--availability-zone", "us-east-1a", "--size", "10", "--volume-type", "io1", "--iops",
      "1000"], "InvalidParameterValue"),
    (["create-volume", "--availability-zone", "us-east-1a", "--size", "1", "--tag-specifications",
      "ResourceType=volume,Tags=[" + ",".join(f"{{Key=k{n},Value=v}}" for n in range(51)) + "]"],
     "TagLimitExceeded"),
    (["describe-volumes", "--volume-ids", "vol-garb/age"], "InvalidVolumeID.Malformed"),
    (["describe-volumes", "--volume-ids", "vol-0123456789abcdef0"], "InvalidVolume.NotFound"),
    (["describe-volumes", "--filters", "Name=colour,Values=red"], "InvalidFilter"),
    (["delete-volume", "--volume-id", "not-a-volume"], "InvalidVolumeID.Malformed"),
    (["attach-volume", "--volume-id", "vol-0123456789abcdef0", "--instance-id", "i-0123456789abcdef0",
      "--device", "/dev/sdf"], "InvalidVolume.NotFound"),
    (["detach-volume", "--volume-id", "vol-0123456789abcdef0"], "InvalidVolume.NotFound"),
    (["modify-volume", "--volume-id", "vol-0123456789abcdef0", "--size", "30"], "InvalidVolume.NotFound"),
    (["create-snapshot", "--volume-id", "vol-0123456789abcdef0"], "InvalidVolume.NotFound"),
    (["delete-snapshot", "--snapshot-id", "snap-0123456789abcdef0"], "InvalidSnapshot.NotFound"),
    (["describe-snapshots", "--snapshot-ids", "snap-?"], "InvalidSnapshotID.Malformed"),
])
def test_bad_volume_input_gets_ec2s_errors(aws, args, code):
    result = aws("ec2", *args, check=False)
    assert result.returncode != 0, result.stderr
    assert f"({code})" in result.stderr, result.stderr


def test_a_plain_cluster_keeps_its_volumes_in_kubernetes(cluster, tmp_path):
    """`ekslite cluster create` clusters have no EC2 behind them: their provisioned volumes stay Kubernetes-only."""
    cluster.kubectl("apply", "-f", "-", input="""
apiVersion: storage.k8s.io/v1
kind: CSIDriver
metadata: {name: ebs.csi.aws.com}
spec: {attachRequired: true}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: ebs}
provisioner: ebs.csi.aws.com
volumeBindingMode: Immediate
---
apiVersion: v1
kind: Node
metadata:
  name: node-a
  labels: {topology.kubernetes.io/zone: us-east-1a}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  storageClassName: ebs
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
""")
    wait_until(lambda: get_json(cluster, "pvc", "data").get("status", {}).get("phase") == "Bound",
               "the claim is bound", deadline=DEADLINE)
    pv = get_json(cluster, "pv", get_json(cluster, "pvc", "data")["spec"]["volumeName"])
    assert pv["spec"]["csi"]["volumeHandle"].startswith("vol-")
    assert cli(cluster, tmp_path, "ec2", "describe-volumes")["Volumes"] == []
