"""New pods of an EKS cluster get AWS credentials wired in as EKS's pod identity webhook does: IRSA for service
accounts annotated with a role, EKS Pod Identity for service accounts with an association (which wins)."""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

import botocore.exceptions
import pytest

from conftest import boto, create_nodes_cluster, wait_until

POD_IDENTITY_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
     "Action": ["sts:AssumeRole", "sts:TagSession"]}]}

WORKLOAD = """
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {account}
  namespace: default
  annotations: {annotations}
---
apiVersion: v1
kind: Pod
metadata:
  name: {pod}
  namespace: default
  annotations: {pod_annotations}
spec:
  serviceAccountName: {account}
  initContainers:
  - {{name: init, image: busybox}}
  containers:
  - {{name: app, image: nginx}}
  - {{name: sidecar, image: envoy}}
"""


def apply(cluster, account, pod, annotations="{}", pod_annotations="{}"):
    cluster.kubectl("apply", "-f", "-", input=WORKLOAD.format(
        account=account, pod=pod, annotations=annotations, pod_annotations=pod_annotations))
    return json.loads(cluster.kubectl("get", "pod", pod, "-o", "json").stdout)


def boto3_session_client(server, service, credentials):
    """A boto3 client of `service` signed with a session's temporary credentials."""
    import boto3
    return boto3.client(service, endpoint_url=server.url, region_name="us-east-1",
                        aws_access_key_id=credentials["accessKeyId"],
                        aws_secret_access_key=credentials["secretAccessKey"],
                        aws_session_token=credentials["sessionToken"])


def agent_call(server, token):
    """GET the agent's credentials path with `token` as the Authorization header: (status, body)."""
    request = urllib.request.Request(f"{server.url}/v1/credentials")
    if token is not None:
        request.add_header("Authorization", token)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


AGENT_CLIENT = """
import boto3, sys
sts = boto3.client("sts", endpoint_url=sys.argv[1], region_name="us-east-1")
print(sts.get_caller_identity()["Arn"])
"""


def agent_identity(server, token):
    """The caller boto3 is, in a process whose only credentials are the agent's URI and the pod's token."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update({
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": f"{server.url}/v1/credentials",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN": token,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    })
    done = subprocess.run([sys.executable, "-c", AGENT_CLIENT, server.url], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def env_of(container):
    return {var["name"]: var.get("value") for var in container.get("env", [])}


def volume(pod, name):
    return next((v for v in pod["spec"].get("volumes", []) if v["name"] == name), None)


def test_irsa_and_pod_identity_are_injected_as_eks_does(tmp_path, ekslite):
    cluster = create_nodes_cluster(ekslite(), tmp_path, nodes=1)
    iam = boto(cluster.server, "iam")
    irsa_role = "arn:aws:iam::000000000000:role/irsa-app"

    # IRSA: the role annotation, a token lifetime on the account, one container skipped by the pod.
    irsa = apply(cluster, "irsa", "irsa-pod",
                 annotations=json.dumps({"eks.amazonaws.com/role-arn": irsa_role,
                                         "eks.amazonaws.com/token-expiration": "7200"}),
                 pod_annotations=json.dumps({"eks.amazonaws.com/skip-containers": "sidecar"}))
    for container in irsa["spec"]["initContainers"] + irsa["spec"]["containers"][:1]:
        env = env_of(container)
        assert env["AWS_ROLE_ARN"] == irsa_role
        assert env["AWS_WEB_IDENTITY_TOKEN_FILE"] == "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"
        assert env["AWS_STS_REGIONAL_ENDPOINTS"] == "regional"
        assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
        mounts = {m["name"]: m for m in container["volumeMounts"]}
        assert mounts["aws-iam-token"] == {"name": "aws-iam-token", "readOnly": True,
                                           "mountPath": "/var/run/secrets/eks.amazonaws.com/serviceaccount"}
        assert any(name.startswith("kube-api-access-") for name in mounts), mounts
    sidecar = irsa["spec"]["containers"][1]
    assert "AWS_ROLE_ARN" not in env_of(sidecar), sidecar
    token = volume(irsa, "aws-iam-token")["projected"]["sources"][0]["serviceAccountToken"]
    assert token == {"audience": "sts.amazonaws.com", "expirationSeconds": 7200, "path": "token"}
    assert irsa["spec"]["volumes"][0]["name"] == "aws-iam-token", "the webhook puts its volume first"

    # EKS Pod Identity: an association for the account wins over its role annotation.
    role = iam.create_role(RoleName="pod-identity-app",
                           AssumeRolePolicyDocument=json.dumps(POD_IDENTITY_TRUST))["Role"]
    association = cluster.eks.create_pod_identity_association(
        clusterName=cluster.eks_name, namespace="default", serviceAccount="both", roleArn=role["Arn"])
    assert association["association"]["serviceAccount"] == "both"
    both = apply(cluster, "both", "both-pod", annotations=json.dumps({"eks.amazonaws.com/role-arn": irsa_role}))
    env = env_of(both["spec"]["containers"][0])
    assert env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] == "http://169.254.170.23/v1/credentials"
    assert env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] == \
        "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token"
    assert "AWS_ROLE_ARN" not in env, env
    assert both["metadata"]["labels"]["eks.amazonaws.com/pod-identity"] == "enabled"
    token = volume(both, "eks-pod-identity-token")["projected"]["sources"][0]["serviceAccountToken"]
    assert token["audience"] == "pods.eks.amazonaws.com"
    assert 79200 <= token["expirationSeconds"] <= 86400, token

    # A plain account gets nothing; the injected pods still pass validation and run.
    plain = apply(cluster, "plain", "plain-pod")
    assert not any(env_of(c) for c in plain["spec"]["containers"]), plain["spec"]["containers"]
    assert volume(plain, "aws-iam-token") is None and volume(plain, "eks-pod-identity-token") is None

    def running():
        pods = json.loads(cluster.kubectl("get", "pods", "-o", "json").stdout)["items"]
        phases = {p["metadata"]["name"]: p["status"].get("phase") for p in pods}
        return phases if all(phases.get(n) == "Running" for n in ("irsa-pod", "both-pod", "plain-pod")) else None
    wait_until(running, "the three pods to run")

    # The Pod Identity Agent's call: the pod's token, bound to the pod, for the credentials of the associated role.
    token = cluster.kubectl("create", "token", "both", "--audience", "pods.eks.amazonaws.com",
                            "--bound-object-kind", "Pod", "--bound-object-name", "both-pod",
                            "--bound-object-uid", both["metadata"]["uid"]).stdout.strip()
    eks_auth = boto(cluster.server, "eks-auth")
    answer = eks_auth.assume_role_for_pod_identity(clusterName=cluster.eks_name, token=token)
    assert answer["subject"] == {"namespace": "default", "serviceAccount": "both"}
    assert answer["audience"] == "pods.eks.amazonaws.com"
    assert answer["podIdentityAssociation"]["associationId"] == association["association"]["associationId"]
    session_arn = answer["assumedRoleUser"]["arn"]
    assert session_arn.startswith("arn:aws:sts::000000000000:assumed-role/pod-identity-app/eks-demo-both-pod-")
    credentials = answer["credentials"]
    sts = boto3_session_client(cluster.server, "sts", credentials)
    assert sts.get_caller_identity()["Arn"] == session_arn

    # What EKS Auth refuses: another audience, an account without an association, garbage, a missing cluster.
    def refused(code, **request):
        with pytest.raises(botocore.exceptions.ClientError) as raised:
            eks_auth.assume_role_for_pod_identity(**request)
        assert raised.value.response["Error"]["Code"] == code, raised.value.response
    sts_token = cluster.kubectl("create", "token", "both", "--audience", "sts.amazonaws.com").stdout.strip()
    refused("InvalidTokenException", clusterName=cluster.eks_name, token=sts_token)
    plain_token = cluster.kubectl("create", "token", "plain", "--audience", "pods.eks.amazonaws.com").stdout.strip()
    refused("ResourceNotFoundException", clusterName=cluster.eks_name, token=plain_token)
    refused("ResourceNotFoundException", clusterName="nope", token=token)
    refused("InvalidParameterException", clusterName=cluster.eks_name, token="x" * 30000 + ".a.b")
    refused("InvalidParameterException", clusterName=cluster.eks_name, token="\u0000.\u0000.\u0000")

    # The Pod Identity Agent's API on the server's own endpoint: an SDK outside the cluster, given the pod's token
    # and the loopback URI, gets the role's session as the pod would from 169.254.170.23.
    assert agent_identity(cluster.server, token).startswith(
        "arn:aws:sts::000000000000:assumed-role/pod-identity-app/eks-demo-both-pod-")
    status, body = agent_call(cluster.server, token)
    assert status == 200, body
    answer = json.loads(body)
    assert sorted(answer) == ["AccessKeyId", "AccountId", "Expiration", "SecretAccessKey", "Token"], answer
    assert answer["AccessKeyId"].startswith("ASIA") and answer["AccountId"] == "000000000000", answer

    # What the agent refuses, with its status codes and messages.
    assert agent_call(cluster.server, None) == (400, "Service account token cannot be empty\n")
    status, body = agent_call(cluster.server, "garbage")
    assert (status, body.startswith("Service account token cannot be parsed")) == (400, True), body
    status, body = agent_call(cluster.server, "x" * 30000)
    assert (status, body.startswith("Service account token cannot be parsed")) == (400, True), body
    status, body = agent_call(cluster.server, plain_token)
    assert (status, body.startswith("(ResourceNotFoundException): ")) == (404, True), body
    status, body = agent_call(cluster.server, sts_token)
    assert (status, body.startswith("(InvalidTokenException): ")) == (400, True), body


def test_pods_of_a_non_eks_cluster_are_left_alone(cluster):
    annotations = json.dumps({"eks.amazonaws.com/role-arn": "arn:aws:iam::000000000000:role/app"})
    pod = apply(cluster, "app", "app-pod", annotations=annotations)
    assert all("AWS_ROLE_ARN" not in env_of(c) for c in pod["spec"]["containers"])
    assert volume(pod, "aws-iam-token") is None
