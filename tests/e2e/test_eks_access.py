"""EKS access entries and access policies through the real aws CLI and boto3: the creator's bootstrap entry,
entries from create to delete, policy associations, and each error as EKS reports it."""

import json
import urllib.parse

from conftest import boto
from test_eks import raw
from test_eks_nodegroups import error_of, make_cluster, signed_headers

ROOT = "arn:aws:iam::000000000000:root"
ROLE = "arn:aws:iam::000000000000:role/dev/admins"
USER = "arn:aws:iam::000000000000:user/alice"
POLICY = "arn:aws:eks::aws:cluster-access-policy/"


def test_the_creator_gets_cluster_admin_in_api_modes(aws):
    client = boto(aws.server)
    make_cluster(client, accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"})
    assert aws("eks", "list-access-entries", "--cluster-name", "demo")["accessEntries"] == [ROOT]
    entry = aws("eks", "describe-access-entry", "--cluster-name", "demo", "--principal-arn", ROOT)["accessEntry"]
    assert entry["username"] == ROOT and entry["type"] == "STANDARD"
    associated = client.list_associated_access_policies(clusterName="demo", principalArn=ROOT)
    assert [p["policyArn"] for p in associated["associatedAccessPolicies"]] == [POLICY + "AmazonEKSClusterAdminPolicy"]
    assert associated["associatedAccessPolicies"][0]["accessScope"] == {"type": "cluster", "namespaces": []}
    make_cluster(client, name="quiet", accessConfig={"authenticationMode": "API",
                                                     "bootstrapClusterCreatorAdminPermissions": False})
    assert client.list_access_entries(clusterName="quiet")["accessEntries"] == []


def test_access_entries_from_create_to_delete(aws):
    client = boto(aws.server)
    make_cluster(client, accessConfig={"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False})
    created = aws("eks", "create-access-entry", "--cluster-name", "demo", "--principal-arn", ROLE,
                  "--kubernetes-groups", "devs")["accessEntry"]
    assert created["username"] == "arn:aws:sts::000000000000:assumed-role/admins/{{SessionName}}"
    assert created["kubernetesGroups"] == ["devs"]
    assert created["accessEntryArn"].startswith(
        "arn:aws:eks:us-east-1:000000000000:access-entry/demo/role/000000000000/admins/")
    client.create_access_entry(clusterName="demo", principalArn=USER, tags={"team": "a"})
    assert client.describe_access_entry(clusterName="demo", principalArn=USER)["accessEntry"]["username"] == USER
    updated = client.update_access_entry(clusterName="demo", principalArn=USER, username="alice",
                                         kubernetesGroups=["viewers"])["accessEntry"]
    assert updated["username"] == "alice" and updated["kubernetesGroups"] == ["viewers"]

    associated = aws("eks", "associate-access-policy", "--cluster-name", "demo", "--principal-arn", USER,
                     "--policy-arn", POLICY + "AmazonEKSViewPolicy",
                     "--access-scope", "type=namespace,namespaces=team-a")
    assert associated["associatedAccessPolicy"]["accessScope"] == {"type": "namespace", "namespaces": ["team-a"]}
    viewers = client.list_access_entries(clusterName="demo", associatedPolicyArn=POLICY + "AmazonEKSViewPolicy")
    assert viewers["accessEntries"] == [USER]
    paged = [e for page in client.get_paginator("list_access_entries").paginate(
        clusterName="demo", PaginationConfig={"PageSize": 1}) for e in page["accessEntries"]]
    assert paged == [ROLE, USER]
    client.disassociate_access_policy(clusterName="demo", principalArn=USER, policyArn=POLICY + "AmazonEKSViewPolicy")
    assert client.list_associated_access_policies(clusterName="demo", principalArn=USER)[
        "associatedAccessPolicies"] == []
    aws("eks", "delete-access-entry", "--cluster-name", "demo", "--principal-arn", USER)
    assert client.list_access_entries(clusterName="demo")["accessEntries"] == [ROLE]

    policies = [p for page in client.get_paginator("list_access_policies").paginate(
        PaginationConfig={"PageSize": 3}) for p in page["accessPolicies"]]
    assert {"name": "AmazonEKSClusterAdminPolicy", "arn": POLICY + "AmazonEKSClusterAdminPolicy"} in policies
    assert len(policies) == len({p["name"] for p in policies}) >= 5


def test_access_entry_errors(aws):
    client = boto(aws.server)
    make_cluster(client, name="legacy")
    assert error_of(client.create_access_entry, clusterName="legacy", principalArn=USER) == (
        "InvalidRequestException",
        "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.",
        400)
    make_cluster(client, accessConfig={"authenticationMode": "API"})
    client.create_access_entry(clusterName="demo", principalArn=USER)
    assert error_of(client.create_access_entry, clusterName="demo", principalArn=USER) == (
        "ResourceInUseException", "The specified access entry resource is already in use on this cluster.", 409)
    code, message, status = error_of(client.describe_access_entry, clusterName="demo", principalArn=ROLE)
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert message.startswith("The specified principalArn could not be found.")
    assert error_of(client.create_access_entry, clusterName="nope", principalArn=USER)[0::2] == (
        "ResourceNotFoundException", 404)
    for bad in [{"principalArn": "alice"}, {"principalArn": USER + "x", "username": "system:admin"},
                {"principalArn": ROLE, "kubernetesGroups": ["system:masters"]},
                {"principalArn": ROLE, "type": "ROBOT"}]:
        assert error_of(client.create_access_entry, clusterName="demo", **bad)[0::2] == (
            "InvalidParameterException", 400), bad
    assert error_of(client.associate_access_policy, clusterName="demo", principalArn=USER,
                    policyArn="arn:aws:iam::aws:policy/AdministratorAccess",
                    accessScope={"type": "cluster"})[0::2] == ("InvalidParameterException", 400)
    assert error_of(client.associate_access_policy, clusterName="demo", principalArn=USER,
                    policyArn=POLICY + "AmazonEKSEditPolicy", accessScope={"type": "namespace"})[0::2] == (
        "InvalidParameterException", 400)
    assert error_of(client.disassociate_access_policy, clusterName="demo", principalArn=USER,
                    policyArn=POLICY + "AmazonEKSEditPolicy")[0::2] == ("ResourceNotFoundException", 404)
    assert error_of(client.list_access_policies, maxResults=101)[0] == "InvalidParameterException"


def test_garbage_access_requests(aws):
    client = boto(aws.server)
    make_cluster(client, accessConfig={"authenticationMode": "API"})
    headers = signed_headers()
    root = urllib.parse.quote(ROOT, safe="")
    cases = [
        ("POST", "/clusters/demo/access-entries", b"{not json", "BadRequestException"),
        ("POST", "/clusters/demo/access-entries", b'{"principalArn": ["x"]}', "InvalidParameterException"),
        ("POST", "/clusters/demo/access-entries", b"{}", "InvalidParameterException"),
        ("POST", f"/clusters/demo/access-entries/{root}", b'{"kubernetesGroups": "devs"}',
         "InvalidParameterException"),
        ("POST", f"/clusters/demo/access-entries/{root}/access-policies", b'{"policyArn": "x"}',
         "InvalidParameterException"),
        ("POST", f"/clusters/demo/access-entries/{root}/access-policies",
         b'{"policyArn": "x", "accessScope": {"type": 1}}', "InvalidParameterException"),
        ("GET", "/access-policies?maxResults=all", b"", "InvalidParameterException"),
    ]
    for method, path, body, code in cases:
        got, reply_headers, data = raw(aws.server, method, path, body, headers)
        assert (got, reply_headers.get("x-amzn-errortype")) == (400, code), (method, path, body, data)
        assert "message" in json.loads(data)
    assert client.list_access_entries(clusterName="demo")["accessEntries"] == [ROOT]
