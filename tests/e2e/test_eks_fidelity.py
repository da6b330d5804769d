"""EKS details that SDKs, Terraform and eksctl read, through boto3 and the aws CLI: DescribeClusterVersions with
EKS's calendar and filters, encryption and hybrid-node settings kept and reported, AssociateEncryptionConfig,
deletion protection, the extended-support default, idempotent creates, and errors that name what is in the way."""

import datetime
import json

import botocore.exceptions
import pytest

from conftest import boto

KEY = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def error_of(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call(*args, **kwargs)
    return caught.value.response


def test_cluster_versions_carry_the_calendar_and_filter(aws):
    client = boto(aws.server)
    listed = client.describe_cluster_versions()["clusterVersions"]
    newest = listed[0]
    assert newest["clusterVersion"] == "1.34" and newest["defaultVersion"]
    assert newest["kubernetesPatchVersion"].startswith("1.34.")
    assert newest["releaseDate"].date() == datetime.date(2025, 10, 2)
    assert newest["endOfStandardSupportDate"].date() == datetime.date(2026, 12, 2)
    assert newest["endOfExtendedSupportDate"].date() == datetime.date(2027, 12, 2)
    now = datetime.datetime.now(datetime.timezone.utc)
    for version in listed:
        expected = ("STANDARD_SUPPORT" if now < version["endOfStandardSupportDate"]
                    else "EXTENDED_SUPPORT" if now < version["endOfExtendedSupportDate"] else "UNSUPPORTED")
        assert version["versionStatus"] == expected, version
        assert version["status"] == expected.lower().replace("_", "-")
        assert expected != "UNSUPPORTED", "ended versions are listed only with includeAll"

    everything = client.describe_cluster_versions(includeAll=True)["clusterVersions"]
    assert [v["clusterVersion"] for v in everything] == ["1.34", "1.33", "1.32", "1.31", "1.30"]
    named = client.describe_cluster_versions(clusterVersions=["1.30", "1.33"])["clusterVersions"]
    assert [v["clusterVersion"] for v in named] == ["1.33", "1.30"]
    assert [v["clusterVersion"] for v in client.describe_cluster_versions(defaultOnly=True)["clusterVersions"]] == ["1.34"]
    pages = client.get_paginator("describe_cluster_versions").paginate(includeAll=True, PaginationConfig={"PageSize": 2})
    assert [v["clusterVersion"] for page in pages for v in page["clusterVersions"]] == ["1.34", "1.33", "1.32", "1.31", "1.30"]

    for bad in [{"clusterType": "nope"}, {"versionStatus": "SOMETIMES"}, {"nextToken": "garbage"}]:
        response = error_of(client.describe_cluster_versions, **bad)
        assert response["Error"]["Code"] == "InvalidParameterException", bad
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_encryption_hybrid_networks_and_protection_are_kept_and_enforced(aws, eks_prereqs):
    client = boto(aws.server)
    remote = {"remoteNodeNetworks": [{"cidrs": ["10.80.0.0/16"]}], "remotePodNetworks": [{"cidrs": ["10.90.0.0/16"]}]}
    created = client.create_cluster(
        name="sealed", roleArn=eks_prereqs.cluster_role, resourcesVpcConfig=eks_prereqs.resources,
        encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": KEY}}],
        remoteNetworkConfig=remote, deletionProtection=True)["cluster"]
    assert created["upgradePolicy"] == {"supportType": "EXTENDED"}
    described = client.describe_cluster(name="sealed")["cluster"]
    assert described["encryptionConfig"] == [{"resources": ["secrets"], "provider": {"keyArn": KEY}}]
    assert described["remoteNetworkConfig"] == remote
    assert described["deletionProtection"] is True

    refused = error_of(client.delete_cluster, name="sealed")
    assert refused["Error"]["Code"] == "InvalidRequestException"
    assert "deletion protection" in refused["Error"]["Message"]
    assert client.describe_cluster(name="sealed")["cluster"]["status"] == "ACTIVE"
    update = client.update_cluster_config(name="sealed", deletionProtection=False)["update"]
    assert update["type"] == "DeletionProtectionUpdate"
    assert client.describe_cluster(name="sealed")["cluster"]["deletionProtection"] is False

    # The hybrid networks may change after the create; the VPC's own block is refused.
    update = client.update_cluster_config(name="sealed", remoteNetworkConfig={
        "remoteNodeNetworks": [{"cidrs": ["192.168.0.0/16"]}]})["update"]
    assert update["type"] == "RemoteNetworkConfigUpdate"
    assert client.describe_cluster(name="sealed")["cluster"]["remoteNetworkConfig"]["remoteNodeNetworks"] == [
        {"cidrs": ["192.168.0.0/16"]}]
    overlap = error_of(client.update_cluster_config, name="sealed",
                       remoteNetworkConfig={"remoteNodeNetworks": [{"cidrs": ["10.0.0.0/24"]}]})
    assert overlap["Error"]["Code"] == "InvalidParameterException" and "VPC CIDR block" in overlap["Error"]["Message"]

    # A cluster made without encryption gets it once, through the aws CLI.
    aws("eks", "create-cluster", "--name", "plain", "--role-arn", eks_prereqs.cluster_role,
        "--resources-vpc-config", eks_prereqs.vpc_config)
    associated = aws("eks", "associate-encryption-config", "--cluster-name", "plain",
                     "--encryption-config", f"resources=secrets,provider={{keyArn={KEY}}}")["update"]
    assert associated["type"] == "AssociateEncryptionConfig"
    assert associated["params"][0]["type"] == "EncryptionConfig"
    assert aws("eks", "describe-update", "--name", "plain", "--update-id", associated["id"])["update"]["id"] == associated["id"]
    assert client.describe_cluster(name="plain")["cluster"]["encryptionConfig"][0]["provider"]["keyArn"] == KEY
    again = error_of(client.associate_encryption_config, clusterName="plain",
                     encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": KEY}}])
    assert again["Error"]["Code"] == "InvalidRequestException"


@pytest.mark.parametrize("extra, fragment", [
    ({"encryptionConfig": [{"resources": ["configmaps"], "provider": {"keyArn": KEY}}]}, "secrets"),
    ({"encryptionConfig": [{"resources": ["secrets"], "provider": {"keyArn": "not-an-arn"}}]}, "KMS key"),
    ({"encryptionConfig": [{"resources": ["secrets"], "provider": {"keyArn": KEY.replace("us-east-1", "eu-west-1")}}]},
     "same region"),
    ({"remoteNetworkConfig": {"remoteNodeNetworks": [{"cidrs": ["8.8.8.0/24"]}]}}, "RFC-1918"),
    ({"remoteNetworkConfig": {"remoteNodeNetworks": [{"cidrs": ["10.0.1.0/24"]}]}}, "VPC CIDR block"),
    ({"remoteNetworkConfig": {"remoteNodeNetworks": [{"cidrs": ["10.100.0.0/24"]}]}}, "service CIDR"),
    ({"remoteNetworkConfig": {"remoteNodeNetworks": [{"cidrs": ["10.80.0.0/16"]}] * 2}}, "length"),
    ({"upgradePolicy": {"supportType": "FOREVER"}}, "support type"),
    ({"clientRequestToken": "t" * 65}, "clientRequestToken"),
])
def test_bad_cluster_settings_are_refused_and_create_nothing(aws, eks_prereqs, extra, fragment):
    client = boto(aws.server)
    response = error_of(client.create_cluster, name="bad", roleArn=eks_prereqs.cluster_role,
                        resourcesVpcConfig=eks_prereqs.resources, **extra)
    assert response["Error"]["Code"] == "InvalidParameterException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert fragment in response["Error"]["Message"]
    assert client.list_clusters()["clusters"] == []


def test_a_retried_create_gets_the_same_cluster_and_deletes_name_what_blocks_them(aws, eks_prereqs):
    client = boto(aws.server)
    request = {"name": "demo", "roleArn": eks_prereqs.cluster_role, "resourcesVpcConfig": eks_prereqs.resources,
               "clientRequestToken": "retry-1"}
    first = client.create_cluster(**request)["cluster"]
    second = client.create_cluster(**request)["cluster"]
    assert second["arn"] == first["arn"] and second["createdAt"] == first["createdAt"]
    assert second["clientRequestToken"] == "retry-1"
    taken = error_of(client.create_cluster, **{**request, "clientRequestToken": "another"})
    assert taken["Error"]["Code"] == "ResourceInUseException"

    client.create_nodegroup(clusterName="demo", nodegroupName="workers", nodeRole=eks_prereqs.node_role,
                            subnets=eks_prereqs.subnets, scalingConfig={"minSize": 0, "maxSize": 1, "desiredSize": 0})
    blocked = error_of(client.delete_cluster, name="demo")
    assert blocked["Error"]["Code"] == "ResourceInUseException"
    assert blocked["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert blocked["nodegroupName"] == "workers" and blocked["clusterName"] == "demo"


@pytest.mark.parametrize("call, kwargs", [
    ("describe_cluster", {"name": "a\x00b"}),
    ("delete_cluster", {"name": "a\x01b"}),
    ("describe_nodegroup", {"clusterName": "a\x00b", "nodegroupName": "ng"}),
    ("list_tags_for_resource", {"resourceArn": "arn:aws:eks:us-east-1:000000000000:cluster/a\x00b"}),
])
def test_control_characters_in_names_are_refused_before_anything_is_read(aws, call, kwargs):
    response = error_of(getattr(boto(aws.server), call), **kwargs)
    assert response["Error"]["Code"] == "InvalidParameterException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_upgrade_insights_find_what_would_stop_the_next_version(aws, eks_prereqs):
    client = boto(aws.server)
    client.create_cluster(name="old", version="1.32", roleArn=eks_prereqs.cluster_role,
                          resourcesVpcConfig=eks_prereqs.resources)
    client.get_waiter("cluster_active").wait(name="old")
    client.create_addon(clusterName="old", addonName="kube-proxy")
    client.create_nodegroup(clusterName="old", nodegroupName="al2", nodeRole=eks_prereqs.node_role,
                            subnets=eks_prereqs.subnets, amiType="AL2_x86_64",
                            scalingConfig={"minSize": 0, "maxSize": 1, "desiredSize": 0})
    listed = aws("eks", "list-insights", "--cluster-name", "old")["insights"]
    by_name = {insight["name"]: insight for insight in listed}
    assert by_name["Amazon Linux 2 compatibility"]["insightStatus"]["status"] == "ERROR"
    assert by_name["EKS add-on version compatibility"]["insightStatus"]["status"] == "ERROR"
    assert by_name["Kubelet version skew"]["insightStatus"]["status"] == "PASSING"
    assert {insight["kubernetesVersion"] for insight in listed} == {"1.33"}
    assert {insight["category"] for insight in listed} == {"UPGRADE_READINESS"}

    addons = client.describe_insight(clusterName="old", id=by_name["EKS add-on version compatibility"]["id"])["insight"]
    assert addons["categorySpecificSummary"]["addonCompatibilityDetails"] == [
        {"name": "kube-proxy", "compatibleVersions": ["v1.33.5-eksbuild.2"]}]
    assert addons["resources"][0]["arn"].startswith("arn:aws:eks:us-east-1:000000000000:addon/old/kube-proxy/")
    failing = client.list_insights(clusterName="old", filter={"statuses": ["ERROR"]})["insights"]
    assert sorted(i["name"] for i in failing) == ["Amazon Linux 2 compatibility", "EKS add-on version compatibility"]
    pages = client.get_paginator("list_insights").paginate(clusterName="old", PaginationConfig={"PageSize": 1})
    assert sorted(i["id"] for page in pages for i in page["insights"]) == sorted(i["id"] for i in listed)

    missing = error_of(client.describe_insight, clusterName="old", id="00000000-0000-0000-0000-000000000000")
    assert missing["Error"]["Code"] == "ResourceNotFoundException"
    bad = error_of(client.list_insights, clusterName="old", filter={"categories": ["VIBES"]})
    assert bad["Error"]["Code"] == "InvalidParameterException"
    gone = error_of(client.list_insights, clusterName="nope")
    assert gone["Error"]["Code"] == "ResourceNotFoundException"


def test_an_update_retried_with_its_token_is_the_same_update(aws, eks_prereqs):
    client = boto(aws.server)
    client.create_cluster(name="demo", roleArn=eks_prereqs.cluster_role, resourcesVpcConfig=eks_prereqs.resources)
    request = {"name": "demo", "logging": {"clusterLogging": [{"types": ["api"], "enabled": True}]},
               "clientRequestToken": "retry-after-timeout"}
    first = client.update_cluster_config(**request)["update"]
    second = client.update_cluster_config(**request)["update"]
    assert second["id"] == first["id"]
    # boto3 fills in a fresh token for each call that gives none: those are separate updates.
    third = client.update_cluster_config(name="demo", logging={"clusterLogging": [{"types": ["audit"], "enabled": True}]})
    assert third["update"]["id"] != first["id"]
    assert len(client.list_updates(name="demo")["updateIds"]) == 2


def test_a_registered_cluster_is_pending_listed_with_include_all_and_deregistered(aws):
    iam = boto(aws.server, "iam")
    role = iam.create_role(RoleName="eks-connector-agent", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    registered = aws("eks", "register-cluster", "--name", "on-prem",
                     "--connector-config", f"roleArn={role},provider=OTHER")["cluster"]
    assert registered["status"] == "PENDING"
    connector = registered["connectorConfig"]
    assert connector["provider"] == "OTHER" and connector["roleArn"] == role and connector["activationCode"]
    client = boto(aws.server)
    described = client.describe_cluster(name="on-prem")["cluster"]
    assert described["connectorConfig"]["activationId"] == connector["activationId"]
    assert client.list_clusters()["clusters"] == []
    assert client.list_clusters(include=["all"])["clusters"] == ["on-prem"]
    bad = error_of(client.list_clusters, include=["ALL"])
    assert bad["Error"]["Code"] == "InvalidParameterException"
    missing_role = error_of(client.register_cluster, name="other",
                            connectorConfig={"roleArn": "arn:aws:iam::000000000000:role/none", "provider": "GKE"})
    assert missing_role["Error"]["Code"] == "InvalidParameterException"

    gone = client.deregister_cluster(name="on-prem")["cluster"]
    assert gone["status"] == "DELETING"
    assert error_of(client.describe_cluster, name="on-prem")["Error"]["Code"] == "ResourceNotFoundException"
