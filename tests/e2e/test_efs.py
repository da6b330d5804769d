"""EFS with the aws CLI, boto3 and Terraform: file systems, mount targets (each a requester-managed `efs` network
interface in its subnet), access points, lifecycle, backup and file system policies, tags, and EFS's errors for bad
input; then the EFS CSI driver of an EKS cluster: an `efs-ap` StorageClass provisions a ReadWriteMany claim as an
access point, pods in every zone with a mount target share it, a pod in a zone without one waits with FailedMount
until one is made there, and deleting the claim deletes the access point."""

import json
import subprocess

import pytest
from botocore.exceptions import ClientError

from conftest import aws_env, boto, eks_prereqs_for, wait_until
import test_terraform

DEADLINE = 90


def error_of(call, *args, **kwargs):
    """The code and HTTP status of the ClientError a boto3 call raises."""
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    error = raised.value.response
    return error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]


def test_file_systems_mount_targets_and_access_points_with_the_cli(aws):
    prereqs = eks_prereqs_for(aws.server)
    ec2 = boto(aws.server, "ec2")
    made = aws("efs", "create-file-system", "--creation-token", "shared", "--encrypted",
               "--throughput-mode", "elastic", "--tags", "Key=Name,Value=shared-data")
    fs = made["FileSystemId"]
    assert (made["LifeCycleState"], made["Name"], made["Encrypted"]) == ("creating", "shared-data", True)
    assert made["FileSystemArn"] == f"arn:aws:elasticfilesystem:us-east-1:000000000000:file-system/{fs}"
    [described] = aws("efs", "describe-file-systems", "--file-system-id", fs)["FileSystems"]
    assert (described["LifeCycleState"], described["ThroughputMode"], described["NumberOfMountTargets"]) == (
        "available", "elastic", 0)
    assert described["KmsKeyId"].startswith("arn:aws:kms:us-east-1:000000000000:key/")

    # One mount target per zone, each an efs interface in its subnet.
    target = aws("efs", "create-mount-target", "--file-system-id", fs, "--subnet-id", prereqs.subnets[0])
    assert target["LifeCycleState"] == "creating"
    [eni] = ec2.describe_network_interfaces(NetworkInterfaceIds=[target["NetworkInterfaceId"]])["NetworkInterfaces"]
    assert (eni["InterfaceType"], eni["RequesterManaged"], eni["Status"]) == ("efs", True, "in-use")
    assert eni["Description"] == f"EFS mount target for {fs} ({target['MountTargetId']})"
    assert (eni["SubnetId"], eni["PrivateIpAddress"]) == (prereqs.subnets[0], target["IpAddress"])
    conflict = aws("efs", "create-mount-target", "--file-system-id", fs, "--subnet-id", prereqs.subnets[0],
                   check=False)
    assert conflict.returncode != 0 and "MountTargetConflict" in conflict.stderr, conflict.stderr
    refused = aws("ec2", "delete-subnet", "--subnet-id", prereqs.subnets[0], check=False)
    assert refused.returncode != 0 and "DependencyViolation" in refused.stderr, refused.stderr
    refused = aws("ec2", "delete-network-interface", "--network-interface-id", eni["NetworkInterfaceId"], check=False)
    assert refused.returncode != 0 and "InUse" in refused.stderr, refused.stderr
    group = ec2.create_security_group(GroupName="nfs", Description="NFS", VpcId=prereqs.vpc)["GroupId"]
    aws("efs", "modify-mount-target-security-groups", "--mount-target-id", target["MountTargetId"],
        "--security-groups", group)
    assert aws("efs", "describe-mount-target-security-groups", "--mount-target-id",
               target["MountTargetId"])["SecurityGroups"] == [group]
    second = aws("efs", "create-mount-target", "--file-system-id", fs, "--subnet-id", prereqs.subnets[1],
                 "--ip-address", "10.0.1.100", "--security-groups", group)
    assert second["IpAddress"] == "10.0.1.100"
    listed = aws("efs", "describe-mount-targets", "--file-system-id", fs)["MountTargets"]
    assert sorted(t["AvailabilityZoneName"] for t in listed) == ["us-east-1a", "us-east-1b"]

    point = aws("efs", "create-access-point", "--file-system-id", fs, "--posix-user", "Uid=1000,Gid=1000",
                "--root-directory", "Path=/apps/web,CreationInfo={OwnerUid=1000,OwnerGid=1000,Permissions=750}",
                "--tags", "Key=Name,Value=web")
    assert (point["RootDirectory"]["Path"], point["PosixUser"], point["Name"]) == (
        "/apps/web", {"Uid": 1000, "Gid": 1000}, "web")
    [by_point] = aws("efs", "describe-access-points", "--access-point-id", point["AccessPointId"])["AccessPoints"]
    assert by_point["LifeCycleState"] == "available"
    via_point = aws("efs", "describe-mount-targets", "--access-point-id", point["AccessPointId"])["MountTargets"]
    assert len(via_point) == 2

    aws("efs", "put-lifecycle-configuration", "--file-system-id", fs,
        "--lifecycle-policies", "TransitionToIA=AFTER_30_DAYS", "TransitionToPrimaryStorageClass=AFTER_1_ACCESS")
    assert aws("efs", "describe-lifecycle-configuration", "--file-system-id", fs)["LifecyclePolicies"] == [
        {"TransitionToIA": "AFTER_30_DAYS"}, {"TransitionToPrimaryStorageClass": "AFTER_1_ACCESS"}]
    aws("efs", "put-backup-policy", "--file-system-id", fs, "--backup-policy", "Status=ENABLED")
    assert aws("efs", "describe-backup-policy", "--file-system-id", fs)["BackupPolicy"] == {"Status": "ENABLED"}
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "elasticfilesystem:ClientMount",
        "Resource": made["FileSystemArn"]}]})
    aws("efs", "put-file-system-policy", "--file-system-id", fs, "--policy", policy)
    assert json.loads(aws("efs", "describe-file-system-policy", "--file-system-id", fs)["Policy"]) == json.loads(policy)
    aws("efs", "tag-resource", "--resource-id", fs, "--tags", "Key=team,Value=storage")
    aws("efs", "untag-resource", "--resource-id", fs, "--tag-keys", "Name")
    assert aws("efs", "list-tags-for-resource", "--resource-id", fs)["Tags"] == [{"Key": "team", "Value": "storage"}]
    assert "Name" not in aws("efs", "describe-file-systems", "--file-system-id", fs)["FileSystems"][0]
    prefs = aws("efs", "describe-account-preferences")
    assert prefs["ResourceIdPreference"]["ResourceIdType"] == "LONG_ID"

    # The file system stays while it has mount targets; its access points go with it.
    in_use = aws("efs", "delete-file-system", "--file-system-id", fs, check=False)
    assert in_use.returncode != 0 and "FileSystemInUse" in in_use.stderr, in_use.stderr
    for mount_target in listed:
        aws("efs", "delete-mount-target", "--mount-target-id", mount_target["MountTargetId"])
    assert ec2.describe_network_interfaces(
        Filters=[{"Name": "interface-type", "Values": ["efs"]}])["NetworkInterfaces"] == []
    aws("efs", "delete-file-system", "--file-system-id", fs)
    assert aws("efs", "describe-file-systems")["FileSystems"] == []
    assert aws("efs", "describe-access-points")["AccessPoints"] == []
    ec2.delete_subnet(SubnetId=prereqs.subnets[0])


def test_bad_input_gets_efs_errors_and_statuses(aws):
    efs = boto(aws.server, "efs")
    fs = efs.create_file_system(CreationToken="t")["FileSystemId"]
    code, status = error_of(efs.create_file_system, CreationToken="t")
    assert (code, status) == ("FileSystemAlreadyExists", 409)
    with pytest.raises(ClientError) as raised:
        efs.create_file_system(CreationToken="t")
    assert raised.value.response["FileSystemId"] == fs
    assert error_of(efs.describe_file_systems, FileSystemId="fs-0123456789abcdef0") == ("FileSystemNotFound", 404)
    assert error_of(efs.describe_file_systems, FileSystemId="bogus") == ("BadRequest", 400)
    assert error_of(efs.create_file_system, CreationToken="nul\0byte") == ("BadRequest", 400)
    assert error_of(efs.create_file_system, CreationToken="x" * 10_000) == ("BadRequest", 400)
    assert error_of(efs.create_file_system, CreationToken="u", Tags=[{"Key": "k", "Value": "v" * 300}]) == (
        "BadRequest", 400)
    assert error_of(efs.create_file_system, CreationToken="p", ThroughputMode="provisioned") == ("BadRequest", 400)
    assert error_of(efs.describe_mount_targets) == ("BadRequest", 400)
    assert error_of(efs.delete_mount_target, MountTargetId="fsmt-0123456789abcdef0") == ("MountTargetNotFound", 404)
    assert error_of(efs.describe_access_points, AccessPointId="fsap-0123456789abcdef0") == (
        "AccessPointNotFound", 404)
    assert error_of(efs.create_access_point, FileSystemId=fs, RootDirectory={"Path": "relative"}) == (
        "BadRequest", 400)
    assert error_of(efs.create_mount_target, FileSystemId=fs, SubnetId="subnet-0123456789abcdef0") == (
        "SubnetNotFound", 400)
    assert error_of(efs.describe_backup_policy, FileSystemId=fs) == ("PolicyNotFound", 404)
    assert error_of(efs.put_file_system_policy, FileSystemId=fs, Policy="{not json") == (
        "InvalidPolicyException", 400)
    assert error_of(efs.put_backup_policy, FileSystemId=fs, BackupPolicy={"Status": "ENABLING"}) == (
        "ValidationException", 400)
    # Garbage on the wire is a 400, never a 500.
    import urllib.request
    request = urllib.request.Request(f"{aws.server.url}/2015-02-01/file-systems", data=b"{garbage", method="POST",
                                     headers={"Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/"
                                              "elasticfilesystem/aws4_request, SignedHeaders=host, Signature=00"})
    with pytest.raises(urllib.error.HTTPError) as answered:
        urllib.request.urlopen(request, timeout=10)
    assert answered.value.code < 500
    assert [f["FileSystemId"] for f in efs.describe_file_systems()["FileSystems"]] == [fs]


STORAGE_CLASS_AND_CLAIM = """
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: efs-sc
provisioner: efs.csi.aws.com
parameters:
  provisioningMode: efs-ap
  fileSystemId: %(fs)s
  directoryPerms: "700"
  basePath: /dynamic
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: shared
spec:
  accessModes: [ReadWriteMany]
  storageClassName: efs-sc
  resources:
    requests:
      storage: 5Gi
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      topologySpreadConstraints:
      - maxSkew: 1
        topologyKey: topology.kubernetes.io/zone
        whenUnsatisfiable: DoNotSchedule
        labelSelector:
          matchLabels: {app: web}
      containers:
      - name: web
        image: nginx
        volumeMounts:
        - {name: data, mountPath: /data}
      volumes:
      - name: data
        persistentVolumeClaim:
          claimName: shared
"""


def get_json(cluster, *args):
    return json.loads(cluster.kubectl("get", *args, "-o", "json").stdout)


def pods_by_zone(cluster):
    """`{zone: phase}` of the Deployment's pods, by their nodes' zones."""
    zones = {n["metadata"]["name"]: n["metadata"]["labels"]["topology.kubernetes.io/zone"]
             for n in get_json(cluster, "nodes")["items"]}
    pods = get_json(cluster, "pods", "-l", "app=web")["items"]
    return {zones.get(p["spec"].get("nodeName"), "unscheduled"): p["status"].get("phase") for p in pods
            if not p["metadata"].get("deletionTimestamp")}


def test_an_efs_claim_is_shared_by_pods_in_every_zone_with_a_mount_target(nodes_cluster, tmp_path):
    efs = boto(nodes_cluster.server, "efs")
    subnets = {s["AvailabilityZone"]: s["SubnetId"] for s in nodes_cluster.subnets}
    fs = efs.create_file_system(CreationToken="cluster-data", Tags=[{"Key": "Name", "Value": "cluster-data"}])
    fs = fs["FileSystemId"]
    for zone in ("us-east-1a", "us-east-1b"):
        efs.create_mount_target(FileSystemId=fs, SubnetId=subnets[zone])
    env = aws_env(nodes_cluster.server, tmp_path)
    addon = subprocess.run(["aws", "eks", "create-addon", "--cluster-name", "demo", "--addon-name",
                            "aws-efs-csi-driver"], capture_output=True, text=True, env=env, timeout=60)
    assert addon.returncode == 0, addon.stderr
    wait_until(lambda: nodes_cluster.kubectl("get", "csidriver", "efs.csi.aws.com", check=False).returncode == 0,
               "the add-on registers the EFS CSI driver", deadline=DEADLINE)
    nodes_cluster.kubectl("apply", "-f", "-", input=STORAGE_CLASS_AND_CLAIM % {"fs": fs})

    wait_until(lambda: get_json(nodes_cluster, "pvc", "shared").get("status", {}).get("phase") == "Bound",
               "the claim is bound", deadline=DEADLINE)
    claim = get_json(nodes_cluster, "pvc", "shared")
    volume = get_json(nodes_cluster, "pv", claim["spec"]["volumeName"])
    assert volume["spec"]["accessModes"] == ["ReadWriteMany"]
    assert "nodeAffinity" not in volume["spec"], "EFS is regional"
    handle = volume["spec"]["csi"]["volumeHandle"]
    assert volume["spec"]["csi"]["driver"] == "efs.csi.aws.com"
    file_system, access_point = handle.split("::")
    assert file_system == fs
    [point] = efs.describe_access_points(FileSystemId=fs)["AccessPoints"]
    assert point["AccessPointId"] == access_point
    name = claim["spec"]["volumeName"]
    assert point["RootDirectory"] == {"Path": f"/dynamic/{name}", "CreationInfo": {
        "OwnerUid": 50000, "OwnerGid": 50000, "Permissions": "700"}}
    assert (point["PosixUser"], point["ClientToken"]) == ({"Uid": 50000, "Gid": 50000}, name)
    assert point["Tags"] == [{"Key": "efs.csi.aws.com/cluster", "Value": "true"}]

    # Pods in zones a and b run on the shared claim; the one in zone c, where there is no mount target, waits.
    wait_until(lambda: pods_by_zone(nodes_cluster) == {"us-east-1a": "Running", "us-east-1b": "Running",
                                                      "us-east-1c": "Pending"},
               "pods run in the zones with a mount target", deadline=DEADLINE)

    def failed_mount():
        events = get_json(nodes_cluster, "events", "--field-selector", "reason=FailedMount")["items"]
        return [e["message"] for e in events]
    wait_until(failed_mount, "a FailedMount event", deadline=DEADLINE)
    message = failed_mount()[0]
    assert f'MountVolume.SetUp failed for volume "{name}"' in message, message
    assert "ensure that the VPC has an EFS mount target for this file system ID" in message, message

    # A mount target in zone c lets that pod start too.
    efs.create_mount_target(FileSystemId=fs, SubnetId=subnets["us-east-1c"])
    wait_until(lambda: pods_by_zone(nodes_cluster) == {z: "Running" for z in ("us-east-1a", "us-east-1b",
                                                                                "us-east-1c")},
               "every pod runs", deadline=DEADLINE)

    # Deleting the claim deletes its volume and the access point.
    nodes_cluster.kubectl("delete", "deployment", "web")
    nodes_cluster.kubectl("delete", "pvc", "shared", "--wait=false")
    wait_until(lambda: efs.describe_access_points(FileSystemId=fs)["AccessPoints"] == [],
               "the access point is deleted", deadline=DEADLINE)
    wait_until(lambda: not get_json(nodes_cluster, "pv")["items"], "the volume is deleted", deadline=DEADLINE)


def test_a_static_efs_volume_mounts_where_the_file_system_has_a_mount_target(nodes_cluster, tmp_path):
    efs = boto(nodes_cluster.server, "efs")
    subnets = {s["AvailabilityZone"]: s["SubnetId"] for s in nodes_cluster.subnets}
    fs = efs.create_file_system(CreationToken="static")["FileSystemId"]
    efs.create_mount_target(FileSystemId=fs, SubnetId=subnets["us-east-1b"])
    manifest = f"""
apiVersion: v1
kind: PersistentVolume
metadata:
  name: static-efs
spec:
  capacity: {{storage: 5Gi}}
  accessModes: [ReadWriteMany]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: ""
  csi: {{driver: efs.csi.aws.com, volumeHandle: {fs}}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: static
spec:
  accessModes: [ReadWriteMany]
  storageClassName: ""
  volumeName: static-efs
  resources: {{requests: {{storage: 5Gi}}}}
---
apiVersion: v1
kind: Pod
metadata:
  name: in-b
spec:
  nodeSelector: {{topology.kubernetes.io/zone: us-east-1b}}
  containers: [{{name: app, image: busybox}}]
  volumes: [{{name: data, persistentVolumeClaim: {{claimName: static}}}}]
---
apiVersion: v1
kind: Pod
metadata:
  name: in-a
spec:
  nodeSelector: {{topology.kubernetes.io/zone: us-east-1a}}
  containers: [{{name: app, image: busybox}}]
  volumes: [{{name: data, persistentVolumeClaim: {{claimName: static}}}}]
"""
    nodes_cluster.kubectl("apply", "-f", "-", input=manifest)
    phase = lambda pod: get_json(nodes_cluster, "pod", pod).get("status", {}).get("phase")  # noqa: E731
    wait_until(lambda: phase("in-b") == "Running", "the pod in zone b runs", deadline=DEADLINE)

    def failed_in_a():
        events = get_json(nodes_cluster, "events", "--field-selector",
                          "reason=FailedMount,involvedObject.name=in-a")["items"]
        return events
    wait_until(failed_in_a, "the pod in zone a fails to mount", deadline=DEADLINE)
    assert phase("in-a") == "Pending"


TERRAFORM = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  endpoints {
    ec2 = "%(url)s"
    efs = "%(url)s"
    sts = "%(url)s"
  }
}

resource "aws_vpc" "main" {
  cidr_block = "10.1.0.0/16"
}

resource "aws_subnet" "a" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.1.1.0/24"
  availability_zone = "us-east-1a"
}

resource "aws_efs_file_system" "shared" {
  creation_token   = "shared"
  encrypted        = true
  performance_mode = "generalPurpose"
  throughput_mode  = "bursting"
  lifecycle_policy {
    transition_to_ia = "AFTER_30_DAYS"
  }
  tags = {
    Name = "shared"
  }
}

resource "aws_efs_mount_target" "a" {
  file_system_id  = aws_efs_file_system.shared.id
  subnet_id       = aws_subnet.a.id
  security_groups = [aws_vpc.main.default_security_group_id]
}

resource "aws_efs_access_point" "app" {
  file_system_id = aws_efs_file_system.shared.id
  posix_user {
    uid = 1000
    gid = 1000
  }
  root_directory {
    path = "/app"
    creation_info {
      owner_uid   = 1000
      owner_gid   = 1000
      permissions = "0755"
    }
  }
  tags = {
    Name = "app"
  }
}

resource "aws_efs_backup_policy" "shared" {
  file_system_id = aws_efs_file_system.shared.id
  backup_policy {
    status = "ENABLED"
  }
}

resource "aws_efs_file_system_policy" "shared" {
  file_system_id = aws_efs_file_system.shared.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "*" }
      Action    = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
      Resource  = aws_efs_file_system.shared.arn
    }]
  })
}

output "file_system_id" {
  value = aws_efs_file_system.shared.id
}
"""


@test_terraform.needs_terraform
def test_terraform_applies_plans_clean_and_destroys_an_efs_stack(ekslite, tmp_path):
    server = ekslite()
    efs = boto(server, "efs")
    test_terraform.configure(tmp_path, TERRAFORM, server)
    test_terraform.succeeds(tmp_path, "init")
    test_terraform.succeeds(tmp_path, "apply", "-auto-approve")
    fs = json.loads(test_terraform.succeeds(tmp_path, "output", "-json"))["file_system_id"]["value"]
    [described] = efs.describe_file_systems(FileSystemId=fs)["FileSystems"]
    assert (described["Name"], described["NumberOfMountTargets"]) == ("shared", 1)
    assert efs.describe_backup_policy(FileSystemId=fs)["BackupPolicy"]["Status"] == "ENABLED"
    assert len(efs.describe_access_points(FileSystemId=fs)["AccessPoints"]) == 1

    plan = test_terraform.terraform(tmp_path, "plan", "-detailed-exitcode")
    assert plan.returncode == 0, f"the plan is not clean:\n{plan.stdout}\n{plan.stderr}"

    test_terraform.succeeds(tmp_path, "destroy", "-auto-approve")
    assert efs.describe_file_systems()["FileSystems"] == []
    assert efs.describe_access_points()["AccessPoints"] == []
    ec2 = boto(server, "ec2")
    assert ec2.describe_network_interfaces(
        Filters=[{"Name": "interface-type", "Values": ["efs"]}])["NetworkInterfaces"] == []
