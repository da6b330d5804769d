"""EKS through the real aws CLI and boto3: the whole getting-started script (a VPC with subnets in three zones,
the cluster role, `aws eks create-cluster`, botocore's waiters, `aws eks update-kubeconfig` and kubectl
authenticating with `aws eks get-token`), clusters to delete, and errors as EKS reports them."""

import base64
import datetime
import json
import subprocess
import urllib.error
import urllib.request

import botocore.exceptions
import pytest

from conftest import DEADLINE_SECONDS, boto, eks_prereqs_for, trust

ROLE = "arn:aws:iam::000000000000:role/eks-cluster"


def test_a_cluster_from_create_to_kubectl_to_delete(aws, tmp_path):
    # The network, as the EKS user guide's script makes it: a VPC and a subnet in each of three zones.
    vpc = aws("ec2", "create-vpc", "--cidr-block", "10.0.0.0/16")["Vpc"]["VpcId"]
    zones = [z["ZoneName"] for z in aws("ec2", "describe-availability-zones")["AvailabilityZones"]][:3]
    subnets = [aws("ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", f"10.0.{index}.0/24",
                   "--availability-zone", zone)["Subnet"]["SubnetId"] for index, zone in enumerate(zones)]
    # The cluster role: trusted by EKS, with AmazonEKSClusterPolicy.
    trust_file = tmp_path / "eks-cluster-role-trust-policy.json"
    trust_file.write_text(json.dumps(trust("eks.amazonaws.com")))
    role = aws("iam", "create-role", "--role-name", "myAmazonEKSClusterRole",
               "--assume-role-policy-document", f"file://{trust_file}")["Role"]["Arn"]
    aws("iam", "attach-role-policy", "--role-name", "myAmazonEKSClusterRole",
        "--policy-arn", "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy")

    created = aws("eks", "create-cluster", "--name", "demo", "--role-arn", role,
                  "--resources-vpc-config", "subnetIds=" + ",".join(subnets))
    cluster = created["cluster"]
    assert cluster["status"] == "CREATING"
    assert cluster["arn"] == "arn:aws:eks:us-east-1:000000000000:cluster/demo"
    assert cluster["version"] == "1.34"
    assert cluster["roleArn"] == role
    assert cluster["resourcesVpcConfig"]["vpcId"] == vpc
    assert cluster["resourcesVpcConfig"]["subnetIds"] == subnets
    group_id = cluster["resourcesVpcConfig"]["clusterSecurityGroupId"]
    groups = aws("ec2", "describe-security-groups", "--group-ids", group_id)["SecurityGroups"]
    assert groups[0]["VpcId"] == vpc and groups[0]["GroupName"].startswith("eks-cluster-sg-demo-")
    assert {"Key": "aws:eks:cluster-name", "Value": "demo"} in groups[0]["Tags"]

    aws("eks", "wait", "cluster-active", "--name", "demo")
    described = aws("eks", "describe-cluster", "--name", "demo")["cluster"]
    assert described["status"] == "ACTIVE"
    assert described["endpoint"].startswith("https://127.0.0.1:")
    assert base64.b64decode(described["certificateAuthority"]["data"]).startswith(b"-----BEGIN CERTIFICATE-----")
    assert described["kubernetesNetworkConfig"]["serviceIpv4Cidr"] == "10.100.0.0/16"
    assert described["identity"]["oidc"]["issuer"].startswith(described["endpoint"] + "/id/")
    assert described["accessConfig"] == {"bootstrapClusterCreatorAdminPermissions": True,
                                         "authenticationMode": "CONFIG_MAP"}
    assert aws("eks", "list-clusters")["clusters"] == ["demo"]

    kubeconfig = tmp_path / "kubeconfig"
    updated = aws("eks", "update-kubeconfig", "--name", "demo", "--kubeconfig", str(kubeconfig))
    assert "arn:aws:eks:us-east-1:000000000000:cluster/demo" in updated.stdout
    kubectl_env = aws.env()
    namespaces = subprocess.run(["kubectl", "--kubeconfig", str(kubeconfig), "get", "namespaces", "-o", "name"],
                                capture_output=True, text=True, env=kubectl_env, timeout=DEADLINE_SECONDS)
    assert namespaces.returncode == 0, namespaces.stderr
    assert "namespace/kube-system" in namespaces.stdout.split()
    token = aws("eks", "get-token", "--cluster-name", "demo")["status"]["token"]
    assert token.startswith("k8s-aws-v1.")
    server_url = described["endpoint"]
    url = base64.urlsafe_b64decode(token[len("k8s-aws-v1."):] + "==").decode()

    def reencode(text):
        return "k8s-aws-v1." + base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    assert "Action=GetCallerIdentity" in url and "X-Amz-Date=" in url
    date = url.split("X-Amz-Date=")[1][:16]
    tampered = [
        reencode(url.replace("Action=GetCallerIdentity", "Action=AssumeRole")),
        reencode(url.replace(date, "20200101T000000Z")),
        reencode(url + "&Extra=1"),
        reencode(url.replace("x-k8s-aws-id", "x-other")),
    ]
    for bad in ["k8s-aws-v1.bm90IGEgdXJs", "garbage", "k8s-aws-v1." + "A" * 5000, *tampered]:
        refused = subprocess.run(["kubectl", "--server", server_url, "--insecure-skip-tls-verify", "--token", bad,
                                  "get", "namespaces"], capture_output=True, text=True, timeout=DEADLINE_SECONDS,
                                 env=kubectl_env)
        assert refused.returncode != 0 and "Unauthorized" in refused.stderr, (bad[:30], refused.stderr)

    deleting = aws("eks", "delete-cluster", "--name", "demo")["cluster"]
    assert deleting["status"] == "DELETING"
    aws("eks", "wait", "cluster-deleted", "--name", "demo")
    assert aws("eks", "list-clusters")["clusters"] == []
    left = aws("ec2", "describe-security-groups", "--filters", f"Name=vpc-id,Values={vpc}")["SecurityGroups"]
    assert [g["GroupName"] for g in left] == ["default"], "the cluster security group went with the cluster"
    gone = subprocess.run(["kubectl", "--kubeconfig", str(kubeconfig), "get", "namespaces", "--request-timeout=5s"],
                          capture_output=True, text=True, env=kubectl_env, timeout=DEADLINE_SECONDS)
    assert gone.returncode != 0, "the cluster's API server is gone"


def test_clusters_are_per_account_and_region_and_page(aws, eks_prereqs):
    for name in ["c", "a", "b"]:
        aws("eks", "create-cluster", "--name", name, "--role-arn", ROLE, "--resources-vpc-config",
            eks_prereqs.vpc_config)
    ireland = eks_prereqs_for(aws.server, region="eu-west-1")
    aws("eks", "create-cluster", "--name", "a", "--role-arn", ROLE, "--resources-vpc-config", ireland.vpc_config,
        region="eu-west-1")
    other = eks_prereqs_for(aws.server, access_key="123456789012")
    aws("eks", "create-cluster", "--name", "a", "--role-arn", other.cluster_role, "--resources-vpc-config",
        other.vpc_config, access_key="123456789012")
    assert aws("eks", "list-clusters")["clusters"] == ["a", "b", "c"]
    assert aws("eks", "list-clusters", region="eu-west-1")["clusters"] == ["a"]
    other = aws("eks", "describe-cluster", "--name", "a", access_key="123456789012")["cluster"]
    assert other["arn"] == "arn:aws:eks:us-east-1:123456789012:cluster/a"

    client = boto(aws.server)
    first = client.list_clusters(maxResults=2)
    assert first["clusters"] == ["a", "b"] and first["nextToken"]
    rest = client.list_clusters(maxResults=2, nextToken=first["nextToken"])
    assert rest["clusters"] == ["c"] and "nextToken" not in rest
    paged = [name for page in client.get_paginator("list_clusters").paginate(PaginationConfig={"PageSize": 1})
             for name in page["clusters"]]
    assert paged == ["a", "b", "c"]

    identity = aws("sts", "get-caller-identity", access_key="123456789012")
    assert identity["Account"] == "123456789012" and identity["Arn"] == "arn:aws:iam::123456789012:root"
    versions = client.describe_cluster_versions()["clusterVersions"]
    assert [v["clusterVersion"] for v in versions][:2] == ["1.34", "1.33"] and versions[0]["defaultVersion"]


@pytest.mark.parametrize("kwargs, code, status, message", [
    ({"name": "-bad"}, "InvalidParameterException", 400, "failed to satisfy constraint"),
    ({"version": "1.12"}, "InvalidParameterException", 400, "unsupported Kubernetes version"),
    ({"roleArn": "arn:aws:iam::12:role/x"}, "InvalidParameterException", 400, "Invalid role ARN"),
    ({"resourcesVpcConfig": {"subnetIds": []}}, "InvalidParameterException", 400, "at least two different AZs"),
    ({"kubernetesNetworkConfig": {"serviceIpv4Cidr": "8.8.8.0/24"}}, "InvalidParameterException", 400,
     "serviceIpv4Cidr"),
])
def test_invalid_creates_get_eks_errors_and_create_nothing(aws, eks_prereqs, kwargs, code, status, message):
    client = boto(aws.server)
    request = {"name": "bad", "roleArn": ROLE, "resourcesVpcConfig": eks_prereqs.resources}
    request.update(kwargs)
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        client.create_cluster(**request)
    error = raised.value.response
    assert error["Error"]["Code"] == code and message in error["Error"]["Message"]
    assert error["ResponseMetadata"]["HTTPStatusCode"] == status
    assert client.list_clusters()["clusters"] == []


def test_conflicts_and_missing_clusters(aws, eks_prereqs):
    client = boto(aws.server)
    request = {"name": "one", "roleArn": ROLE, "resourcesVpcConfig": eks_prereqs.resources}
    client.create_cluster(**request)
    with pytest.raises(client.exceptions.ResourceInUseException) as dup:
        client.create_cluster(**request)
    assert dup.value.response["Error"]["Message"] == "Cluster already exists with name: one"
    with pytest.raises(client.exceptions.ResourceNotFoundException) as missing:
        client.describe_cluster(name="nope")
    assert missing.value.response["Error"]["Message"] == "No cluster found for name: nope."
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.delete_cluster(name="nope")
    with pytest.raises(client.exceptions.InvalidParameterException):
        client.list_clusters(maxResults=101)


def raw(server, method, path, body=b"", headers=None):
    request = urllib.request.Request(f"{server.url}{path}", data=body or None, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_garbage_requests_get_aws_errors(aws):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    signed = {
        "Authorization": f"AWS4-HMAC-SHA256 Credential=test/{now[:8]}/us-east-1/eks/aws4_request, "
                         "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
        "X-Amz-Date": now,
        "Content-Type": "application/json",
    }
    cases = [
        ("POST", "/clusters", b"{not json", signed, 400, "BadRequestException"),
        ("POST", "/clusters", b"[1, 2]", signed, 400, "BadRequestException"),
        ("POST", "/clusters", b'{"name": 7}', signed, 400, "InvalidParameterException"),
        ("POST", "/clusters", b'{"name": "x", "roleArn": "%s", "resourcesVpcConfig": "no"}' % ROLE.encode(), signed,
         400, "InvalidParameterException"),
        ("GET", "/clusters/%ZZ", b"", signed, 400, "BadRequestException"),
        ("GET", "/clusters?maxResults=lots", b"", signed, 400, "InvalidParameterException"),
        ("PATCH", "/clusters", b"", signed, 404, "UnknownOperationException"),
        ("GET", "/clusters", b"", dict(signed, Authorization="AWS4-HMAC-SHA256 Credential=broken"), 400,
         "IncompleteSignatureException"),
        ("GET", "/clusters", b"", dict(signed, Authorization="AWS4-HMAC-SHA1 Credential=x"), 400,
         "IncompleteSignatureException"),
    ]
    for method, path, body, headers, status, code in cases:
        got, reply_headers, data = raw(aws.server, method, path, body, headers)
        assert (got, reply_headers.get("x-amzn-errortype")) == (status, code), (method, path, body, data)
        assert "message" in json.loads(data)
        assert reply_headers.get("x-amzn-RequestId") or reply_headers.get("x-amzn-requestid")
    unsigned_sts = raw(aws.server, "POST", "/", b"Action=GetCallerIdentity&Version=2011-06-15",
                       {"Content-Type": "application/x-www-form-urlencoded"})
    assert unsigned_sts[0] == 403 and b"<Code>MissingAuthenticationToken</Code>" in unsigned_sts[2]
    assert aws("eks", "list-clusters")["clusters"] == [], "nothing was created"


def test_delays_make_the_lifecycle_visible(ekslite):
    server = ekslite(args=["--eks-create-delay", "600", "--eks-update-delay", "600"])
    client = boto(server)
    net = eks_prereqs_for(server)
    client.create_cluster(name="slow", roleArn=ROLE, resourcesVpcConfig=net.resources)
    assert client.describe_cluster(name="slow")["cluster"]["status"] == "CREATING", "ACTIVE only after the delay"
    with pytest.raises(client.exceptions.InvalidRequestException):
        client.create_nodegroup(clusterName="slow", nodegroupName="ng", subnets=net.subnets[:1],
                                nodeRole=net.node_role)
    fast = ekslite(args=["--eks-update-delay", "600"])
    client = boto(fast)
    client.create_cluster(name="fast", roleArn=ROLE, resourcesVpcConfig=eks_prereqs_for(fast).resources)
    assert client.describe_cluster(name="fast")["cluster"]["status"] == "ACTIVE"
    update = client.update_cluster_config(
        name="fast", logging={"clusterLogging": [{"types": ["api"], "enabled": True}]})["update"]
    assert update["status"] == "InProgress"
    assert client.describe_update(name="fast", updateId=update["id"])["update"]["status"] == "InProgress"
    assert client.describe_cluster(name="fast")["cluster"]["status"] == "UPDATING"
