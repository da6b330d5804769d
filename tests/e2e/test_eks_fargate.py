"""EKS Fargate profiles through the real aws CLI and boto3: create to delete with botocore's waiters, paging, tags,
and each error as EKS reports it. (The rule that one profile per cluster is CREATING or DELETING at a time needs a
profile delay apart from the cluster delay to be seen here; the model's unit tests cover it.)"""

import json

import pytest

from conftest import boto, eks_prereqs_for
from test_eks import raw
from test_eks_nodegroups import error_of, make_cluster, signed_headers, subnets_of

POD_ROLE = "arn:aws:iam::000000000000:role/pod-execution"


def make_profile(client, name, selectors=None, cluster="demo", **extra):
    return client.create_fargate_profile(clusterName=cluster, fargateProfileName=name, podExecutionRoleArn=POD_ROLE,
                                         selectors=selectors or [{"namespace": name}], **extra)["fargateProfile"]


def test_a_fargate_profile_from_create_to_delete_with_the_cli_and_waiters(aws):
    client = boto(aws.server)
    make_cluster(client)
    private = subnets_of(client)[1]
    created = aws("eks", "create-fargate-profile", "--cluster-name", "demo", "--fargate-profile-name", "apps",
                  "--pod-execution-role-arn", POD_ROLE, "--subnets", private,
                  "--selectors", "namespace=prod-*,labels={app=web}", "namespace=kube-system",
                  "--tags", "team=a")["fargateProfile"]
    assert created["status"] == "CREATING"
    assert created["fargateProfileArn"].startswith("arn:aws:eks:us-east-1:000000000000:fargateprofile/demo/apps/")
    assert created["selectors"] == [{"namespace": "prod-*", "labels": {"app": "web"}},
                                    {"namespace": "kube-system", "labels": {}}]
    assert created["subnets"] == [private] and created["tags"] == {"team": "a"}
    aws("eks", "wait", "fargate-profile-active", "--cluster-name", "demo", "--fargate-profile-name", "apps")
    described = aws("eks", "describe-fargate-profile", "--cluster-name", "demo",
                    "--fargate-profile-name", "apps")["fargateProfile"]
    assert described["status"] == "ACTIVE" and described["podExecutionRoleArn"] == POD_ROLE
    assert aws("eks", "list-fargate-profiles", "--cluster-name", "demo")["fargateProfileNames"] == ["apps"]

    in_use = aws("eks", "delete-cluster", "--name", "demo", check=False)
    assert in_use.returncode != 0 and "ResourceInUseException" in in_use.stderr

    arn = described["fargateProfileArn"]
    aws("eks", "tag-resource", "--resource-arn", arn, "--tags", "more=1")
    assert aws("eks", "list-tags-for-resource", "--resource-arn", arn)["tags"] == {"team": "a", "more": "1"}

    deleting = aws("eks", "delete-fargate-profile", "--cluster-name", "demo",
                   "--fargate-profile-name", "apps")["fargateProfile"]
    assert deleting["status"] == "DELETING"
    aws("eks", "wait", "fargate-profile-deleted", "--cluster-name", "demo", "--fargate-profile-name", "apps")
    assert aws("eks", "list-fargate-profiles", "--cluster-name", "demo")["fargateProfileNames"] == []
    aws("eks", "delete-cluster", "--name", "demo")


def test_profiles_page_and_the_cluster_subnets_are_the_default(aws):
    client = boto(aws.server)
    make_cluster(client)
    for name in ["c", "a", "b"]:
        created = make_profile(client, name)
        assert created["subnets"] == subnets_of(client)
        client.get_waiter("fargate_profile_active").wait(clusterName="demo", fargateProfileName=name)
    first = client.list_fargate_profiles(clusterName="demo", maxResults=2)
    assert first["fargateProfileNames"] == ["a", "b"] and first["nextToken"]
    paged = [n for page in client.get_paginator("list_fargate_profiles").paginate(
        clusterName="demo", PaginationConfig={"PageSize": 1}) for n in page["fargateProfileNames"]]
    assert paged == ["a", "b", "c"]


@pytest.mark.parametrize("kwargs, code, status, message", [
    ({"selectors": []}, "InvalidParameterException", 400, "Fargate Profile requires at least one selector."),
    ({"selectors": [{"namespace": "a", "labels": {str(i): "v" for i in range(6)}}]}, "InvalidParameterException",
     400, "Request contains Selector with more than 5 Label pairs"),
    ({"selectors": [{"namespace": "a"}] * 6}, "InvalidParameterException", 400, "more than 5 selectors"),
    ({"selectors": [{"labels": {"a": "b"}}]}, "InvalidParameterException", 400, "at least one selector with at least one namespace value"),
    ({"podExecutionRoleArn": "role"}, "InvalidParameterException", 400, "Invalid role ARN"),
    ({"fargateProfileName": "-fp"}, "InvalidParameterException", 400, "failed to satisfy constraint"),
    ({"fargateProfileName": "eks-fp"}, "InvalidParameterException", 400, "beginning with 'eks-' are reserved"),
    ({"clusterName": "nope"}, "ResourceNotFoundException", 404, "No cluster found for name: nope."),
    ({"clusterName": "slow"}, "InvalidRequestException", 400, "Cluster 'slow' is not in ACTIVE status"),
])
def test_invalid_profiles_get_eks_errors(ekslite, kwargs, code, status, message):
    server = ekslite(args=["--eks-create-delay", "600"])
    client = boto(server)
    net = eks_prereqs_for(server)
    client.create_cluster(name="slow", roleArn=net.cluster_role, resourcesVpcConfig=net.resources)
    request = {"clusterName": "slow", "fargateProfileName": "fp", "podExecutionRoleArn": POD_ROLE,
               "selectors": [{"namespace": "default"}]}
    request.update(kwargs)
    got_code, got_message, got_status = error_of(client.create_fargate_profile, **request)
    assert (got_code, got_status) == (code, status) and message in got_message, got_message


def test_profile_conflicts_and_missing_ones(aws):
    client = boto(aws.server)
    make_cluster(client)
    make_profile(client, "fp")
    client.get_waiter("fargate_profile_active").wait(clusterName="demo", fargateProfileName="fp")
    assert error_of(make_profile, client, "fp") == (
        "ResourceInUseException", "A Fargate Profile already exists with this name in this cluster.", 409)
    assert error_of(client.describe_fargate_profile, clusterName="demo", fargateProfileName="nope") == (
        "ResourceNotFoundException", "No Fargate Profile found with name: nope.", 404)
    assert error_of(client.delete_fargate_profile, clusterName="demo", fargateProfileName="nope")[0] == \
        "ResourceNotFoundException"
    assert error_of(client.list_fargate_profiles, clusterName="nope")[0::2] == ("ResourceNotFoundException", 404)
    assert error_of(client.list_fargate_profiles, clusterName="demo", maxResults=101)[0] == "InvalidParameterException"


def test_garbage_fargate_requests(aws):
    client = boto(aws.server)
    make_cluster(client)
    headers = signed_headers()
    base = {"fargateProfileName": "fp", "podExecutionRoleArn": POD_ROLE}
    cases = [
        (b"{not json", "BadRequestException"),
        (b"7", "BadRequestException"),
        (json.dumps(dict(base, selectors="all")).encode(), "InvalidParameterException"),
        (json.dumps(dict(base, selectors=["default"])).encode(), "InvalidParameterException"),
        (json.dumps(dict(base, selectors=[{"namespace": "a", "labels": ["x"]}])).encode(), "InvalidParameterException"),
        (json.dumps(dict(base, selectors=[{"namespace": 3}])).encode(), "InvalidParameterException"),
        (json.dumps({"fargateProfileName": "fp"}).encode(), "InvalidParameterException"),
    ]
    for body, code in cases:
        got, reply_headers, data = raw(aws.server, "POST", "/clusters/demo/fargate-profiles", body, headers)
        assert (got, reply_headers.get("x-amzn-errortype")) == (400, code), (body, data)
        assert "message" in json.loads(data)
    assert client.list_fargate_profiles(clusterName="demo")["fargateProfileNames"] == []
