"""EKS add-ons through the real aws CLI and boto3: the version catalog, configuration schemas, add-ons from create
to delete with botocore's waiters, UpdateAddon's Update records, tags, and each error as EKS reports it."""

import json
import re

from conftest import boto
from test_eks import raw
from test_eks_nodegroups import error_of, make_cluster, signed_headers

ADDONS = ["amazon-cloudwatch-observability", "aws-ebs-csi-driver", "aws-efs-csi-driver", "coredns",
          "eks-pod-identity-agent", "kube-proxy", "metrics-server", "vpc-cni"]


def test_the_catalog_lists_versions_per_kubernetes_version(aws):
    client = boto(aws.server)
    addons = [a for page in client.get_paginator("describe_addon_versions").paginate(
        kubernetesVersion="1.33", PaginationConfig={"PageSize": 2}) for a in page["addons"]]
    assert [a["addonName"] for a in addons] == ADDONS
    for addon in addons:
        community = addon["addonName"] == "metrics-server"
        assert addon["owner"] == ("community" if community else "aws") and addon["publisher"] == "eks"
        defaults = [v for v in addon["addonVersions"] if v["compatibilities"][0]["defaultVersion"]]
        assert len(defaults) == 1, addon["addonName"]
        for version in addon["addonVersions"]:
            assert re.fullmatch(r"v\d+\.\d+\.\d+-eksbuild\.\d+", version["addonVersion"])
            assert [c["clusterVersion"] for c in version["compatibilities"]] == ["1.33"]
    proxy = aws("eks", "describe-addon-versions", "--addon-name", "kube-proxy", "--kubernetes-version", "1.31")
    assert [v["addonVersion"] for v in proxy["addons"][0]["addonVersions"]] == ["v1.31.13-eksbuild.2"]
    schema = aws("eks", "describe-addon-configuration", "--addon-name", "coredns",
                 "--addon-version", "v1.12.3-eksbuild.1")
    assert json.loads(schema["configurationSchema"])["properties"]["replicaCount"] == {}
    assert error_of(client.describe_addon_configuration, addonName="coredns", addonVersion="v0.0.1")[0::2] == (
        "InvalidParameterException", 400)


def test_an_addon_from_create_to_delete_with_the_cli_and_waiters(aws):
    client = boto(aws.server)
    make_cluster(client, version="1.33")
    created = aws("eks", "create-addon", "--cluster-name", "demo", "--addon-name", "coredns",
                  "--configuration-values", "replicaCount: 3", "--resolve-conflicts", "OVERWRITE",
                  "--tags", "team=a")["addon"]
    assert created["status"] == "CREATING" and created["addonVersion"] == "v1.12.3-eksbuild.1"
    assert created["addonArn"].startswith("arn:aws:eks:us-east-1:000000000000:addon/demo/coredns/")
    aws("eks", "wait", "addon-active", "--cluster-name", "demo", "--addon-name", "coredns")
    described = client.describe_addon(clusterName="demo", addonName="coredns")["addon"]
    assert described["status"] == "ACTIVE" and described["configurationValues"] == "replicaCount: 3"
    for name in ["vpc-cni", "kube-proxy"]:
        client.create_addon(clusterName="demo", addonName=name)
    paged = [a for page in client.get_paginator("list_addons").paginate(
        clusterName="demo", PaginationConfig={"PageSize": 2}) for a in page["addons"]]
    assert paged == ["coredns", "kube-proxy", "vpc-cni"]

    update = aws("eks", "update-addon", "--cluster-name", "demo", "--addon-name", "coredns",
                 "--addon-version", "v1.11.4-eksbuild.2", "--resolve-conflicts", "PRESERVE", check=False)
    assert update.returncode != 0 and "Addon version specified is not supported" in update.stderr
    update = client.update_addon(clusterName="demo", addonName="coredns",
                                 configurationValues='{"replicaCount": 4}', resolveConflicts="PRESERVE")["update"]
    assert update["type"] == "AddonUpdate" and update["status"] == "InProgress"
    assert {"type": "ConfigurationValues", "value": '{"replicaCount": 4}'} in update["params"]
    assert client.list_updates(name="demo", addonName="coredns")["updateIds"] == [update["id"]]
    assert client.describe_update(name="demo", updateId=update["id"], addonName="coredns")["update"]["status"] == \
        "Successful"

    arn = described["addonArn"]
    client.tag_resource(resourceArn=arn, tags={"more": "1"})
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "a", "more": "1"}

    deleting = aws("eks", "delete-addon", "--cluster-name", "demo", "--addon-name", "coredns", "--preserve")["addon"]
    assert deleting["status"] == "DELETING"
    aws("eks", "wait", "addon-deleted", "--cluster-name", "demo", "--addon-name", "coredns")
    assert client.list_addons(clusterName="demo")["addons"] == ["kube-proxy", "vpc-cni"]


def test_addon_errors(aws):
    client = boto(aws.server)
    make_cluster(client)
    client.create_addon(clusterName="demo", addonName="vpc-cni")
    assert error_of(client.create_addon, clusterName="demo", addonName="vpc-cni") == (
        "ResourceInUseException", "Addon already exists.", 409)
    assert error_of(client.describe_addon, clusterName="demo", addonName="coredns") == (
        "ResourceNotFoundException", "No addon: coredns found in cluster: demo", 404)
    assert error_of(client.create_addon, clusterName="demo", addonName="nginx") == (
        "InvalidParameterException", "Addon nginx specified is not supported", 400)
    assert error_of(client.create_addon, clusterName="demo", addonName="kube-proxy",
                    addonVersion="v1.30.14-eksbuild.8") == (
        "InvalidParameterException", "Addon version specified is not supported", 400)
    code, message, status = error_of(client.create_addon, clusterName="demo", addonName="coredns",
                                     configurationValues="{broken")
    assert (code, status) == ("InvalidParameterException", 400)
    assert message.startswith("ConfigurationValue provided in request is not supported")
    assert error_of(client.create_addon, clusterName="nope", addonName="coredns")[0::2] == (
        "ResourceNotFoundException", 404)
    with_member = error_of(client.delete_addon, clusterName="demo", addonName="coredns")
    assert with_member[0::2] == ("ResourceNotFoundException", 404)


def test_garbage_addon_requests(aws):
    client = boto(aws.server)
    make_cluster(client)
    client.create_addon(clusterName="demo", addonName="vpc-cni")
    headers = signed_headers()
    cases = [
        ("POST", "/clusters/demo/addons", b"{not json", "BadRequestException"),
        ("POST", "/clusters/demo/addons", b'{"addonName": 1}', "InvalidParameterException"),
        ("POST", "/clusters/demo/addons", b'{"addonName": "coredns", "configurationValues": {"a": 1}}',
         "InvalidParameterException"),
        ("POST", "/clusters/demo/addons/vpc-cni/update", b"[]", "BadRequestException"),
        ("POST", "/clusters/demo/addons/vpc-cni/update", b'{"addonVersion": false}', "InvalidParameterException"),
        ("DELETE", "/clusters/demo/addons/vpc-cni?preserve=maybe", b"", "InvalidParameterException"),
        ("GET", "/addons/supported-versions?maxResults=x", b"", "InvalidParameterException"),
        ("GET", "/addons/configuration-schemas?addonName=coredns", b"", "InvalidParameterException"),
    ]
    for method, path, body, code in cases:
        got, reply_headers, data = raw(aws.server, method, path, body, headers)
        assert (got, reply_headers.get("x-amzn-errortype")) == (400, code), (method, path, body, data)
        assert "message" in json.loads(data)
    assert client.list_addons(clusterName="demo")["addons"] == ["vpc-cni"]
    assert client.describe_addon(clusterName="demo", addonName="vpc-cni")["addon"]["status"] == "ACTIVE"
