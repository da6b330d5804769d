"""IAM through the real aws CLI and boto3: the EKS cluster and node roles as the EKS user guide creates them, managed
and inline policies, instance profiles, an OIDC provider for a cluster's issuer, users whose access keys then sign
requests that are verified, IAM's pagination, and IAM's errors for bad and garbage input."""

import datetime
import json

import boto3
import botocore.config
import botocore.exceptions
import pytest

from conftest import eks_prereqs_for
from test_eks import raw

ACCOUNT = "000000000000"
CLUSTER_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
NODE_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
S3_READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
AWS_POLICY = "arn:aws:iam::aws:policy/"


def iam_client(server):
    """A boto3 IAM client that leaves validation to the server, so that out-of-range values reach it."""
    return boto3.client("iam", endpoint_url=server.url, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test", config=botocore.config.Config(parameter_validation=False))


def client_error(call, *args, **kwargs):
    """The (code, message, status) of the error a boto3 call raises."""
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call(*args, **kwargs)
    response = raised.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_the_eks_cluster_and_node_roles_as_the_eks_user_guide_creates_them(aws, tmp_path):
    cluster_trust = tmp_path / "eks-cluster-role-trust-policy.json"
    cluster_trust.write_text(json.dumps(CLUSTER_TRUST, indent=2))
    role = aws("iam", "create-role", "--role-name", "myAmazonEKSClusterRole",
               "--assume-role-policy-document", f"file://{cluster_trust}")["Role"]
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/myAmazonEKSClusterRole"
    assert role["RoleId"].startswith("AROA") and len(role["RoleId"]) == 21 and role["RoleId"].isupper()
    assert role["AssumeRolePolicyDocument"] == CLUSTER_TRUST, "the CLI decodes IAM's URL-encoded document"
    assert role["Path"] == "/" and role["MaxSessionDuration"] == 3600
    datetime.datetime.fromisoformat(role["CreateDate"])
    aws("iam", "attach-role-policy", "--policy-arn", AWS_POLICY + "AmazonEKSClusterPolicy",
        "--role-name", "myAmazonEKSClusterRole")
    attached = aws("iam", "list-attached-role-policies", "--role-name", "myAmazonEKSClusterRole")
    assert attached["AttachedPolicies"] == [
        {"PolicyName": "AmazonEKSClusterPolicy", "PolicyArn": AWS_POLICY + "AmazonEKSClusterPolicy"}]

    node_trust = tmp_path / "node-role-trust-policy.json"
    node_trust.write_text(json.dumps(NODE_TRUST))
    aws("iam", "create-role", "--role-name", "myAmazonEKSNodeRole",
        "--assume-role-policy-document", f"file://{node_trust}")
    node_policies = ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly", "AmazonEKS_CNI_Policy"]
    for name in node_policies:
        aws("iam", "attach-role-policy", "--policy-arn", AWS_POLICY + name, "--role-name", "myAmazonEKSNodeRole")
    attached = aws("iam", "list-attached-role-policies", "--role-name", "myAmazonEKSNodeRole")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == node_policies

    aws("iam", "create-instance-profile", "--instance-profile-name", "myAmazonEKSNodeProfile")
    aws("iam", "add-role-to-instance-profile", "--instance-profile-name", "myAmazonEKSNodeProfile",
        "--role-name", "myAmazonEKSNodeRole")
    profile = aws("iam", "get-instance-profile", "--instance-profile-name", "myAmazonEKSNodeProfile")
    profile = profile["InstanceProfile"]
    assert profile["Arn"] == f"arn:aws:iam::{ACCOUNT}:instance-profile/myAmazonEKSNodeProfile"
    assert profile["InstanceProfileId"].startswith("AIPA")
    assert [r["RoleName"] for r in profile["Roles"]] == ["myAmazonEKSNodeRole"]
    assert profile["Roles"][0]["AssumeRolePolicyDocument"] == NODE_TRUST
    listed = aws("iam", "list-instance-profiles")["InstanceProfiles"]
    assert [(p["InstanceProfileName"], [r["RoleName"] for r in p["Roles"]]) for p in listed] == [
        ("myAmazonEKSNodeProfile", ["myAmazonEKSNodeRole"])]
    for_role = aws("iam", "list-instance-profiles-for-role", "--role-name", "myAmazonEKSNodeRole")
    assert [p["InstanceProfileName"] for p in for_role["InstanceProfiles"]] == ["myAmazonEKSNodeProfile"]

    got = aws("iam", "get-role", "--role-name", "myAmazonEKSNodeRole")["Role"]
    assert got["AssumeRolePolicyDocument"] == NODE_TRUST and got["RoleLastUsed"] == {}
    assert [r["RoleName"] for r in aws("iam", "list-roles")["Roles"]] == ["myAmazonEKSClusterRole",
                                                                           "myAmazonEKSNodeRole"]

    iam = iam_client(aws.server)
    assert client_error(iam.delete_role, RoleName="myAmazonEKSNodeRole") == (
        "DeleteConflict", "Cannot delete entity, must detach all policies first.", 409)
    for name in node_policies:
        iam.detach_role_policy(RoleName="myAmazonEKSNodeRole", PolicyArn=AWS_POLICY + name)
    assert client_error(iam.delete_role, RoleName="myAmazonEKSNodeRole") == (
        "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.", 409)
    assert client_error(iam.add_role_to_instance_profile, InstanceProfileName="myAmazonEKSNodeProfile",
                        RoleName="myAmazonEKSClusterRole") == (
        "LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1", 409)
    iam.remove_role_from_instance_profile(InstanceProfileName="myAmazonEKSNodeProfile", RoleName="myAmazonEKSNodeRole")
    iam.delete_instance_profile(InstanceProfileName="myAmazonEKSNodeProfile")
    iam.delete_role(RoleName="myAmazonEKSNodeRole")
    assert client_error(iam.get_role, RoleName="myAmazonEKSNodeRole") == (
        "NoSuchEntity", "The role with name myAmazonEKSNodeRole cannot be found.", 404)
    assert client_error(iam.get_instance_profile, InstanceProfileName="myAmazonEKSNodeProfile") == (
        "NoSuchEntity", "Instance Profile myAmazonEKSNodeProfile cannot be found.", 404)


def test_roles_update_tag_and_conflict(aws):
    iam = iam_client(aws.server)
    iam.create_role(RoleName="app", Path="/apps/", AssumeRolePolicyDocument=json.dumps(CLUSTER_TRUST),
                    Description="first", MaxSessionDuration=7200, Tags=[{"Key": "team", "Value": "a"}])
    assert client_error(iam.create_role, RoleName="APP", AssumeRolePolicyDocument=json.dumps(CLUSTER_TRUST)) == (
        "EntityAlreadyExists", "Role with name APP already exists.", 409)
    iam.update_role(RoleName="app", Description="second", MaxSessionDuration=3600)
    iam.update_assume_role_policy(RoleName="app", PolicyDocument=json.dumps(NODE_TRUST))
    iam.tag_role(RoleName="app", Tags=[{"Key": "env", "Value": "dev"}])
    iam.untag_role(RoleName="app", TagKeys=["team"])
    role = iam.get_role(RoleName="app")["Role"]
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/apps/app"
    assert (role["Description"], role["MaxSessionDuration"]) == ("second", 3600)
    assert role["AssumeRolePolicyDocument"] == NODE_TRUST
    assert role["Tags"] == [{"Key": "env", "Value": "dev"}]
    assert iam.list_role_tags(RoleName="app")["Tags"] == [{"Key": "env", "Value": "dev"}]
    described = iam.update_role_description(RoleName="app", Description="third")["Role"]
    assert described["Description"] == "third" and described["RoleName"] == "app"
    assert [r["RoleName"] for r in iam.list_roles(PathPrefix="/apps/")["Roles"]] == ["app"]
    assert iam.list_roles(PathPrefix="/other/")["Roles"] == []
    code, message, status = client_error(iam.update_role, RoleName="app", MaxSessionDuration=60)
    assert (code, status) == ("ValidationError", 400) and "greater than or equal to 3600" in message


def test_managed_policies_versions_and_listing(aws, tmp_path):
    document = tmp_path / "policy.json"
    document.write_text(json.dumps(S3_READ))
    created = aws("iam", "create-policy", "--policy-name", "s3-read", "--policy-document", f"file://{document}",
                  "--description", "reads objects")["Policy"]
    arn = f"arn:aws:iam::{ACCOUNT}:policy/s3-read"
    assert created["Arn"] == arn and created["DefaultVersionId"] == "v1" and created["PolicyId"].startswith("ANPA")
    iam = iam_client(aws.server)
    assert client_error(iam.create_policy, PolicyName="s3-read", PolicyDocument=json.dumps(S3_READ)) == (
        "EntityAlreadyExists", "A policy called s3-read already exists. Duplicate names are not allowed.", 409)
    for number in range(2, 6):
        version = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(S3_READ),
                                            SetAsDefault=number == 4)["PolicyVersion"]
        assert version["VersionId"] == f"v{number}"
    assert client_error(iam.create_policy_version, PolicyArn=arn, PolicyDocument=json.dumps(S3_READ)) == (
        "LimitExceeded", "A managed policy can have up to 5 versions. Before you create a new version, you must "
        "delete an existing version.", 409)
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in versions] == [
        ("v5", False), ("v4", True), ("v3", False), ("v2", False), ("v1", False)]
    fetched = iam.get_policy_version(PolicyArn=arn, VersionId="v4")["PolicyVersion"]
    assert fetched["Document"] == S3_READ and fetched["IsDefaultVersion"]
    assert client_error(iam.delete_policy_version, PolicyArn=arn, VersionId="v4") == (
        "DeleteConflict", "Cannot delete the default version of a policy.", 409)
    iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v2")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"

    aws_policy = iam.get_policy(PolicyArn=AWS_POLICY + "AmazonEKSWorkerNodePolicy")["Policy"]
    assert aws_policy["AttachmentCount"] == 0 and aws_policy["IsAttachable"]
    worker = iam.get_policy_version(PolicyArn=aws_policy["Arn"], VersionId="v1")["PolicyVersion"]["Document"]
    assert "eks:DescribeCluster" in worker["Statement"][0]["Action"]

    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(NODE_TRUST))
    iam.attach_role_policy(RoleName="r", PolicyArn=arn)
    iam.create_user(UserName="u")
    iam.attach_user_policy(UserName="u", PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 2
    assert iam.list_attached_user_policies(UserName="u")["AttachedPolicies"] == [
        {"PolicyName": "s3-read", "PolicyArn": arn}]
    assert [p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"]] == [arn]
    assert [p["Arn"] for p in iam.list_policies(Scope="Local", OnlyAttached=True)["Policies"]] == [arn]
    assert iam.list_policies(Scope="AWS", OnlyAttached=True)["Policies"] == []
    aws_names = {p["PolicyName"] for p in aws("iam", "list-policies", "--scope", "AWS")["Policies"]}
    assert {"AmazonEKSClusterPolicy", "AmazonEKSVPCResourceController", "AdministratorAccess", "ReadOnlyAccess",
            "AmazonEKSFargatePodExecutionRolePolicy", "AmazonSSMManagedInstanceCore"} <= aws_names
    service_role = iam.list_policies(PathPrefix="/service-role/")["Policies"]
    assert [p["Arn"] for p in service_role] == [AWS_POLICY + "service-role/AmazonEBSCSIDriverPolicy",
                                                AWS_POLICY + "service-role/AmazonEFSCSIDriverPolicy"]
    assert client_error(iam.delete_policy, PolicyArn=arn) == (
        "DeleteConflict", "Cannot delete a policy attached to entities.", 409)
    missing = AWS_POLICY + "AmazonEKSNoSuchPolicy"
    assert client_error(iam.attach_role_policy, RoleName="r", PolicyArn=missing) == (
        "NoSuchEntity", f"Policy {missing} does not exist or is not attachable.", 404)
    assert client_error(iam.get_policy, PolicyArn=missing) == ("NoSuchEntity", f"Policy {missing} was not found.", 404)
    iam.detach_role_policy(RoleName="r", PolicyArn=arn)
    iam.detach_user_policy(UserName="u", PolicyArn=arn)
    assert client_error(iam.delete_policy, PolicyArn=arn)[0] == "DeleteConflict", "it still has versions"
    for version in ["v3", "v4", "v5"]:
        iam.delete_policy_version(PolicyArn=arn, VersionId=version)
    iam.delete_policy(PolicyArn=arn)
    assert iam.list_policies(Scope="Local")["Policies"] == []


def test_inline_role_policies(aws):
    iam = iam_client(aws.server)
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(NODE_TRUST))
    iam.put_role_policy(RoleName="r", PolicyName="read", PolicyDocument=json.dumps(S3_READ))
    got = iam.get_role_policy(RoleName="r", PolicyName="read")
    assert (got["RoleName"], got["PolicyName"], got["PolicyDocument"]) == ("r", "read", S3_READ)
    assert iam.list_role_policies(RoleName="r")["PolicyNames"] == ["read"]
    assert client_error(iam.delete_role, RoleName="r") == (
        "DeleteConflict", "Cannot delete entity, must delete policies first.", 409)
    big = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": [f"arn:aws:s3:::bucket-{i}/*" for i in range(400)]}]}
    assert client_error(iam.put_role_policy, RoleName="r", PolicyName="big", PolicyDocument=json.dumps(big)) == (
        "LimitExceeded", "Maximum policy size of 10240 bytes exceeded for role r", 409)
    assert client_error(iam.get_role_policy, RoleName="r", PolicyName="nope") == (
        "NoSuchEntity", "The role policy with name nope cannot be found.", 404)
    iam.delete_role_policy(RoleName="r", PolicyName="read")
    assert iam.list_role_policies(RoleName="r")["PolicyNames"] == []
    iam.delete_role(RoleName="r")


def test_an_oidc_provider_for_a_clusters_issuer(aws):
    net = eks_prereqs_for(aws.server)
    aws("eks", "create-cluster", "--name", "irsa", "--role-arn", net.cluster_role, "--resources-vpc-config",
        net.vpc_config)
    issuer = aws("eks", "describe-cluster", "--name", "irsa")["cluster"]["identity"]["oidc"]["issuer"]
    created = aws("iam", "create-open-id-connect-provider", "--url", issuer, "--client-id-list", "sts.amazonaws.com")
    arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{issuer.removeprefix('https://')}"
    assert created["OpenIDConnectProviderArn"] == arn
    assert aws("iam", "list-open-id-connect-providers")["OpenIDConnectProviderList"] == [{"Arn": arn}]
    iam = iam_client(aws.server)
    host = issuer.removeprefix("https://")
    irsa_trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": arn}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{host}:aud": "sts.amazonaws.com",
                                       f"{host}:sub": "system:serviceaccount:default:my-service-account"}}}]}
    irsa = iam.create_role(RoleName="my-irsa-role", AssumeRolePolicyDocument=json.dumps(irsa_trust))["Role"]
    assert irsa["AssumeRolePolicyDocument"] == irsa_trust
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="my-app")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="sts.amazonaws.com")
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn, ThumbprintList=["a" * 40])
    provider = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert provider["Url"] == issuer.removeprefix("https://")
    assert (provider["ClientIDList"], provider["ThumbprintList"]) == (["my-app"], ["a" * 40])
    assert client_error(iam.create_open_id_connect_provider, Url=issuer, ClientIDList=["x"]) == (
        "EntityAlreadyExists", f"Provider with url {issuer} already exists.", 409)
    code, _, status = client_error(iam.create_open_id_connect_provider, Url="http://insecure.example")
    assert (code, status) == ("InvalidInput", 400)
    code, _, status = client_error(iam.create_open_id_connect_provider, Url="https://x.example",
                                   ThumbprintList=["short" * 8 + "x"])
    assert (code, status) == ("ValidationError", 400)
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert client_error(iam.get_open_id_connect_provider, OpenIDConnectProviderArn=arn) == (
        "NoSuchEntity", f"OpenIDConnect Provider not found for arn {arn}", 404)

    # The service-linked role came with the account's first cluster.
    linked = iam.get_role(RoleName="AWSServiceRoleForAmazonEKS")["Role"]
    assert linked["Path"] == "/aws-service-role/eks.amazonaws.com/"
    assert linked["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "eks.amazonaws.com"}
    code, _, status = client_error(iam.delete_role, RoleName="AWSServiceRoleForAmazonEKS")
    assert (code, status) == ("UnmodifiableEntity", 400)


def client(server, service, key, secret):
    return boto3.client(service, endpoint_url=server.url, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret)


def test_users_access_keys_sign_requests_that_are_verified(aws):
    iam = iam_client(aws.server)
    user = aws("iam", "create-user", "--user-name", "alice")["User"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/alice" and user["UserId"].startswith("AIDA")
    assert client_error(iam.create_user, UserName="alice") == (
        "EntityAlreadyExists", "User with name alice already exists.", 409)
    iam.create_user(UserName="bob", Path="/team/", Tags=[{"Key": "team", "Value": "b"}])
    assert [u["UserName"] for u in aws("iam", "list-users")["Users"]] == ["alice", "bob"]
    assert [u["Arn"] for u in iam.list_users(PathPrefix="/team/")["Users"]] == [f"arn:aws:iam::{ACCOUNT}:user/team/bob"]
    assert iam.get_user(UserName="bob")["User"]["Tags"] == [{"Key": "team", "Value": "b"}]
    iam.delete_user(UserName="bob")
    key = aws("iam", "create-access-key", "--user-name", "alice")["AccessKey"]
    key_id, secret = key["AccessKeyId"], key["SecretAccessKey"]
    assert key_id.startswith("AKIA") and len(key_id) == 20 and key_id.isupper() and len(secret) == 40
    assert key["Status"] == "Active" and key["UserName"] == "alice"

    identity = client(aws.server, "sts", key_id, secret).get_caller_identity()
    assert (identity["Arn"], identity["UserId"], identity["Account"]) == (user["Arn"], user["UserId"], ACCOUNT)
    env = aws.env(access_key=key_id)
    env["AWS_SECRET_ACCESS_KEY"] = secret
    import subprocess
    cli = subprocess.run(["aws", "sts", "get-caller-identity", "--output", "json"], capture_output=True, text=True,
                         env=env, timeout=30)
    assert json.loads(cli.stdout)["Arn"] == user["Arn"], cli.stderr
    assert client(aws.server, "iam", key_id, secret).get_user()["User"]["UserName"] == "alice", "the caller"

    forged = client(aws.server, "sts", key_id, "x" * 40)
    code, message, status = client_error(forged.get_caller_identity)
    assert (code, status) == ("SignatureDoesNotMatch", 403) and "signature we calculated does not match" in message
    code, _, status = client_error(client(aws.server, "eks", key_id, "x" * 40).list_clusters)
    assert (code, status) == ("InvalidSignatureException", 403)
    assert client(aws.server, "eks", key_id, secret).list_clusters()["clusters"] == []

    iam.update_access_key(UserName="alice", AccessKeyId=key_id, Status="Inactive")
    assert [k["Status"] for k in iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]] == ["Inactive"]
    code, message, status = client_error(client(aws.server, "sts", key_id, secret).get_caller_identity)
    assert (code, message, status) == ("InvalidClientTokenId", "The security token included in the request is invalid.",
                                       403)

    iam.create_access_key(UserName="alice")
    assert client_error(iam.create_access_key, UserName="alice") == (
        "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2", 409)
    assert client_error(iam.delete_user, UserName="alice") == (
        "DeleteConflict", "Cannot delete entity, must delete access keys first.", 409)
    for metadata in iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]:
        iam.delete_access_key(UserName="alice", AccessKeyId=metadata["AccessKeyId"])
    missing = "AKIA" + "Z" * 16
    assert client_error(iam.delete_access_key, UserName="alice", AccessKeyId=missing) == (
        "NoSuchEntity", f"The Access Key with id {missing} cannot be found.", 404)
    iam.delete_user(UserName="alice")
    assert client_error(iam.get_user, UserName="alice") == (
        "NoSuchEntity", "The user with name alice cannot be found.", 404)
    assert iam.list_users()["Users"] == []
    # A deleted key is unknown again, so open mode accepts it as the account root.
    assert client(aws.server, "sts", key_id, secret).get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"


def test_pagination_as_the_cli_and_boto3_page(aws):
    iam = iam_client(aws.server)
    names = [f"role-{i:02}" for i in range(7)]
    for name in reversed(names):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(NODE_TRUST))
    everything = aws("iam", "list-roles", "--page-size", "2")["Roles"]
    assert [r["RoleName"] for r in everything] == names
    first = aws("iam", "list-roles", "--max-items", "3")
    assert [r["RoleName"] for r in first["Roles"]] == names[:3] and first["NextToken"]
    rest = aws("iam", "list-roles", "--max-items", "10", "--starting-token", first["NextToken"], "--page-size", "3")
    assert [r["RoleName"] for r in rest["Roles"]] == names[3:] and "NextToken" not in rest
    page = iam.list_roles(MaxItems=5)
    assert page["IsTruncated"] and len(page["Roles"]) == 5
    after = iam.list_roles(Marker=page["Marker"])
    assert not after["IsTruncated"] and [r["RoleName"] for r in after["Roles"]] == names[5:]
    pages = list(iam.get_paginator("list_policies").paginate(Scope="AWS", PaginationConfig={"PageSize": 4}))
    assert len(pages) >= 5 and all(len(p["Policies"]) <= 4 for p in pages)
    code, message, status = client_error(iam.list_roles, MaxItems=1001)
    assert (code, status) == ("ValidationError", 400) and "less than or equal to 1000" in message


@pytest.mark.parametrize("call, kwargs, code, status, fragment", [
    ("create_role", {"RoleName": "r", "AssumeRolePolicyDocument": "{not json"}, "MalformedPolicyDocument", 400,
     "This policy contains invalid Json"),
    ("create_role", {"RoleName": "r", "AssumeRolePolicyDocument": json.dumps(S3_READ)}, "MalformedPolicyDocument",
     400, ""),
    ("create_role", {"RoleName": "bad name!", "AssumeRolePolicyDocument": json.dumps(NODE_TRUST)}, "ValidationError",
     400, "Member must satisfy regular expression pattern: [\\w+=,.@-]+"),
    ("create_role", {"RoleName": "r" * 65, "AssumeRolePolicyDocument": json.dumps(NODE_TRUST)}, "ValidationError",
     400, "Member must have length less than or equal to 64"),
    ("create_role", {"RoleName": "r", "Path": "nope", "AssumeRolePolicyDocument": json.dumps(NODE_TRUST)},
     "ValidationError", 400, "It must begin and end with /"),
    ("create_role", {"RoleName": "r", "AssumeRolePolicyDocument": json.dumps(NODE_TRUST), "Description": "d" * 1001},
     "ValidationError", 400, "less than or equal to 1000"),
    ("create_role", {"RoleName": "r", "AssumeRolePolicyDocument": json.dumps(NODE_TRUST),
                     "PermissionsBoundary": AWS_POLICY + "NoSuchBoundary"}, "NoSuchEntity", 404, "Scope ARN"),
    ("create_policy", {"PolicyName": "p", "PolicyDocument": json.dumps(NODE_TRUST)}, "MalformedPolicyDocument", 400,
     ""),
    ("create_policy", {"PolicyName": "p" * 129, "PolicyDocument": json.dumps(S3_READ)}, "ValidationError", 400,
     "less than or equal to 128"),
    ("create_policy", {"PolicyName": "p", "PolicyDocument": "x" * 131073}, "ValidationError", 400,
     "less than or equal to 131072"),
    ("create_user", {"UserName": "u" * 65}, "ValidationError", 400, "less than or equal to 64"),
    ("get_role", {"RoleName": "missing"}, "NoSuchEntity", 404, "The role with name missing cannot be found."),
    ("get_user", {"UserName": "missing"}, "NoSuchEntity", 404, "The user with name missing cannot be found."),
    ("get_policy", {"PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/missing"}, "NoSuchEntity", 404, "was not found"),
    ("delete_instance_profile", {"InstanceProfileName": "missing"}, "NoSuchEntity", 404,
     "Instance Profile missing cannot be found."),
    ("list_attached_role_policies", {"RoleName": "missing"}, "NoSuchEntity", 404, "cannot be found"),
    ("list_policies", {"Scope": "Everything"}, "ValidationError", 400, "enum value set"),
    ("create_open_id_connect_provider", {"Url": "https://" + "h" * 300}, "ValidationError", 400,
     "less than or equal to 255"),
])
def test_iam_errors(aws, call, kwargs, code, status, fragment):
    got_code, message, got_status = client_error(getattr(iam_client(aws.server), call), **kwargs)
    assert (got_code, got_status) == (code, status), message
    assert fragment in message


def test_garbage_requests_get_iam_errors(aws):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    headers = {
        "Authorization": f"AWS4-HMAC-SHA256 Credential=test/{now[:8]}/us-east-1/iam/aws4_request, "
                         "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
        "X-Amz-Date": now,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    cases = [
        (b"Action=CreateRole&Version=2010-05-08&RoleName=%ZZ", 400, b"MalformedQueryString"),
        (b"Action=CreateRole&Version=2010-05-08&RoleName=a&RoleName=b", 400, b"MalformedQueryString"),
        (b"Action=CreateRole&Version=2010-05-08", 400, b"Member must not be null"),
        (b"Action=CreateRole&Version=2010-05-08&RoleName=r&AssumeRolePolicyDocument=%00%01", 400, b"ValidationError"),
        (b"Action=CreateRole&Version=2010-05-08&RoleName=r&AssumeRolePolicyDocument=[]", 400,
         b"MalformedPolicyDocument"),
        (b"Action=ListRoles&Version=2010-05-08&MaxItems=-1", 400, b"ValidationError"),
        (b"Action=ListRoles&Version=2010-05-08&Marker=not-a-marker!", 400, b"InvalidInput"),
        (b"Action=GetRole&Version=2010-05-08&RoleName=" + b"x" * 5000, 400, b"ValidationError"),
        (b"Action=DoSomething&Version=2010-05-08", 400, b"InvalidAction"),
        (b"Action=CreateAccessKey&Version=2010-05-08", 400, b"Must specify userName"),
        (b"\xff\xfe=\x00", 400, b"<ErrorResponse"),
    ]
    for body, status, fragment in cases:
        got, _, data = raw(aws.server, "POST", "/", body, headers)
        assert got == status and fragment in data, (body[:80], got, data)
        assert data.startswith(b"<ErrorResponse"), data
    assert iam_client(aws.server).list_roles()["Roles"] == [], "nothing was created"


def test_groups_inline_user_policies_and_tags_on_every_entity(aws):
    iam = iam_client(aws.server)
    iam.create_user(UserName="alice")
    group = aws("iam", "create-group", "--group-name", "devs", "--path", "/teams/")["Group"]
    assert group["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/teams/devs" and group["GroupId"].startswith("AGPA")
    aws("iam", "add-user-to-group", "--group-name", "devs", "--user-name", "alice")
    got = aws("iam", "get-group", "--group-name", "devs")
    assert [u["UserName"] for u in got["Users"]] == ["alice"]
    assert [g["GroupName"] for g in aws("iam", "list-groups-for-user", "--user-name", "alice")["Groups"]] == ["devs"]
    iam.attach_group_policy(GroupName="devs", PolicyArn=AWS_POLICY + "ReadOnlyAccess")
    assert iam.list_attached_group_policies(GroupName="devs")["AttachedPolicies"] == [
        {"PolicyName": "ReadOnlyAccess", "PolicyArn": AWS_POLICY + "ReadOnlyAccess"}]
    iam.put_group_policy(GroupName="devs", PolicyName="read", PolicyDocument=json.dumps(S3_READ))
    iam.put_user_policy(UserName="alice", PolicyName="own", PolicyDocument=json.dumps(S3_READ))
    assert iam.get_user_policy(UserName="alice", PolicyName="OWN")["PolicyName"] == "own"
    assert iam.list_group_policies(GroupName="devs")["PolicyNames"] == ["read"]
    assert iam.get_group_policy(GroupName="devs", PolicyName="read")["PolicyDocument"] == S3_READ

    with pytest.raises(botocore.exceptions.ClientError) as held:
        iam.delete_group(GroupName="devs")
    assert held.value.response["Error"]["Code"] == "DeleteConflict"
    with pytest.raises(botocore.exceptions.ClientError) as member:
        iam.delete_user(UserName="alice")
    assert member.value.response["Error"]["Code"] == "DeleteConflict"

    # Tags on users, customer managed policies, instance profiles and OIDC providers, as on roles.
    policy = iam.create_policy(PolicyName="p", PolicyDocument=json.dumps(S3_READ))["Policy"]["Arn"]
    iam.create_instance_profile(InstanceProfileName="nodes")
    provider = iam.create_open_id_connect_provider(Url="https://oidc.example.com/id/A",
                                                   ClientIDList=["sts.amazonaws.com"])["OpenIDConnectProviderArn"]
    tags = [{"Key": "team", "Value": "a"}]
    iam.tag_user(UserName="alice", Tags=tags)
    iam.tag_policy(PolicyArn=policy, Tags=tags)
    iam.tag_instance_profile(InstanceProfileName="nodes", Tags=tags)
    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=provider, Tags=tags)
    assert iam.list_user_tags(UserName="alice")["Tags"] == tags
    assert iam.list_policy_tags(PolicyArn=policy)["Tags"] == tags
    assert iam.list_instance_profile_tags(InstanceProfileName="nodes")["Tags"] == tags
    assert iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=provider)["Tags"] == tags
    assert iam.get_user(UserName="alice")["User"]["Tags"] == tags
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=provider)["Tags"] == tags
    iam.untag_policy(PolicyArn=policy, TagKeys=["TEAM"])
    assert iam.list_policy_tags(PolicyArn=policy)["Tags"] == []
    with pytest.raises(botocore.exceptions.ClientError) as aws_managed:
        iam.tag_policy(PolicyArn=AWS_POLICY + "ReadOnlyAccess", Tags=tags)
    assert aws_managed.value.response["Error"]["Code"] == "UnmodifiableEntity"

    iam.remove_user_from_group(GroupName="devs", UserName="alice")
    iam.detach_group_policy(GroupName="devs", PolicyArn=AWS_POLICY + "ReadOnlyAccess")
    iam.delete_group_policy(GroupName="devs", PolicyName="read")
    iam.delete_group(GroupName="devs")
    assert iam.list_groups()["Groups"] == []


def test_service_linked_roles(aws):
    created = aws("iam", "create-service-linked-role", "--aws-service-name", "eks-nodegroup.amazonaws.com")["Role"]
    assert created["Arn"].endswith(":role/aws-service-role/eks-nodegroup.amazonaws.com/AWSServiceRoleForAmazonEKSNodegroup")
    attached = aws("iam", "list-attached-role-policies", "--role-name", created["RoleName"])["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AWSServiceRoleForAmazonEKSNodegroup"]
    again = aws("iam", "create-service-linked-role", "--aws-service-name", "eks-nodegroup.amazonaws.com", check=False)
    assert again.returncode != 0 and "InvalidInput" in again.stderr and "has been taken" in again.stderr
    refused = aws("iam", "put-role-policy", "--role-name", created["RoleName"], "--policy-name", "p",
                  "--policy-document", json.dumps(S3_READ), check=False)
    assert refused.returncode != 0 and "UnmodifiableEntity" in refused.stderr
    task = aws("iam", "delete-service-linked-role", "--role-name", created["RoleName"])["DeletionTaskId"]
    status = aws("iam", "get-service-linked-role-deletion-status", "--deletion-task-id", task)["Status"]
    assert status == "SUCCEEDED"


def test_account_authorization_details(aws):
    iam = iam_client(aws.server)
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="own", PolicyDocument=json.dumps(S3_READ))
    iam.create_group(GroupName="devs")
    iam.add_user_to_group(GroupName="devs", UserName="alice")
    iam.create_role(RoleName="nodes", AssumeRolePolicyDocument=json.dumps(NODE_TRUST))
    iam.attach_role_policy(RoleName="nodes", PolicyArn=AWS_POLICY + "AmazonEKSWorkerNodePolicy")
    details = iam.get_account_authorization_details()
    user = details["UserDetailList"][0]
    assert (user["UserName"], user["GroupList"]) == ("alice", ["devs"])
    assert user["UserPolicyList"][0]["PolicyName"] == "own"
    assert [g["GroupName"] for g in details["GroupDetailList"]] == ["devs"]
    role = details["RoleDetailList"][0]
    assert role["AttachedManagedPolicies"] == [
        {"PolicyName": "AmazonEKSWorkerNodePolicy", "PolicyArn": AWS_POLICY + "AmazonEKSWorkerNodePolicy"}]
    assert [p["PolicyName"] for p in details["Policies"]] == ["AmazonEKSWorkerNodePolicy"]
    assert details["Policies"][0]["PolicyVersionList"][0]["IsDefaultVersion"] is True
    only_roles = aws("iam", "get-account-authorization-details", "--filter", "Role")
    assert [r["RoleName"] for r in only_roles["RoleDetailList"]] == ["nodes"] and not only_roles["UserDetailList"]
    bad = aws("iam", "get-account-authorization-details", "--filter", "Robot", check=False)
    assert bad.returncode != 0 and "ValidationError" in bad.stderr
