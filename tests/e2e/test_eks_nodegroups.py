"""EKS node groups, cluster updates and tags through the real aws CLI and boto3: create to delete with botocore's
waiters, UpdateNodegroupConfig / UpdateNodegroupVersion / UpdateClusterConfig / UpdateClusterVersion and their
Update records, TagResource by ARN, and each error as EKS reports it (code, message, HTTP status)."""

import json
import urllib.parse

import botocore.exceptions
import pytest

from conftest import boto, eks_prereqs_for
from test_eks import raw

ROLE = "arn:aws:iam::000000000000:role/eks-cluster"
NODE_ROLE = "arn:aws:iam::000000000000:role/eks-node"


def subnets_of(client):
    """The subnets `make_eks_network_and_roles` made on the client's server."""
    return eks_prereqs_for(client.ekslite_server).subnets


def make_cluster(client, name="demo", **extra):
    net = eks_prereqs_for(client.ekslite_server)
    client.create_cluster(name=name, roleArn=net.cluster_role, resourcesVpcConfig=net.resources, **extra)
    client.get_waiter("cluster_active").wait(name=name)


def make_nodegroup(client, name, cluster="demo", **extra):
    return client.create_nodegroup(clusterName=cluster, nodegroupName=name, subnets=subnets_of(client)[:1],
                                   nodeRole=NODE_ROLE, **extra)["nodegroup"]


def error_of(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call(*args, **kwargs)
    response = raised.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_a_node_group_from_create_to_delete_with_the_cli_and_waiters(aws):
    client = boto(aws.server)
    make_cluster(client)
    created = aws("eks", "create-nodegroup", "--cluster-name", "demo", "--nodegroup-name", "workers",
                  "--subnets", *subnets_of(client)[:2], "--node-role", NODE_ROLE,
                  "--labels", "tier=web", "--taints", "key=dedicated,value=web,effect=NO_SCHEDULE",
                  "--tags", "team=platform")["nodegroup"]
    assert created["status"] == "CREATING"
    assert created["nodegroupArn"].startswith("arn:aws:eks:us-east-1:000000000000:nodegroup/demo/workers/")
    assert created["instanceTypes"] == ["t3.medium"] and created["amiType"] == "AL2023_x86_64_STANDARD"
    assert created["diskSize"] == 20 and created["capacityType"] == "ON_DEMAND"
    assert created["scalingConfig"] == {"minSize": 1, "maxSize": 2, "desiredSize": 2}
    assert created["taints"] == [{"key": "dedicated", "value": "web", "effect": "NO_SCHEDULE"}]
    uuid = created["nodegroupArn"].rsplit("/", 1)[1]
    assert created["resources"]["autoScalingGroups"] == [{"name": f"eks-workers-{uuid}"}]

    aws("eks", "wait", "nodegroup-active", "--cluster-name", "demo", "--nodegroup-name", "workers")
    described = aws("eks", "describe-nodegroup", "--cluster-name", "demo", "--nodegroup-name", "workers")["nodegroup"]
    assert described["status"] == "ACTIVE"
    assert described["labels"] == {"tier": "web"} and described["tags"] == {"team": "platform"}
    assert described["health"] == {"issues": []} and described["version"] == "1.34"
    assert described["releaseVersion"].startswith("1.34.")
    assert aws("eks", "list-nodegroups", "--cluster-name", "demo")["nodegroups"] == ["workers"]

    in_use = aws("eks", "delete-cluster", "--name", "demo", check=False)
    assert in_use.returncode != 0 and "ResourceInUseException" in in_use.stderr
    assert "Cluster has nodegroups attached" in in_use.stderr

    deleting = aws("eks", "delete-nodegroup", "--cluster-name", "demo", "--nodegroup-name", "workers")["nodegroup"]
    assert deleting["status"] == "DELETING"
    aws("eks", "wait", "nodegroup-deleted", "--cluster-name", "demo", "--nodegroup-name", "workers")
    assert aws("eks", "list-nodegroups", "--cluster-name", "demo")["nodegroups"] == []
    aws("eks", "delete-cluster", "--name", "demo")
    aws("eks", "wait", "cluster-deleted", "--name", "demo")


def test_node_groups_page_and_keep_their_options(aws):
    client = boto(aws.server)
    make_cluster(client)
    for name in ["c", "a", "b"]:
        make_nodegroup(client, name)
    first = client.list_nodegroups(clusterName="demo", maxResults=2)
    assert first["nodegroups"] == ["a", "b"] and first["nextToken"]
    paged = [n for page in client.get_paginator("list_nodegroups").paginate(
        clusterName="demo", PaginationConfig={"PageSize": 1}) for n in page["nodegroups"]]
    assert paged == ["a", "b", "c"]
    spot = make_nodegroup(client, "spot", capacityType="SPOT", instanceTypes=["m5.large", "m5a.large"],
                          scalingConfig={"minSize": 0, "maxSize": 10, "desiredSize": 3}, diskSize=50,
                          amiType="BOTTLEROCKET_x86_64", version="1.33",
                          updateConfig={"maxUnavailablePercentage": 33})
    assert spot["capacityType"] == "SPOT" and spot["instanceTypes"] == ["m5.large", "m5a.large"]
    assert spot["scalingConfig"] == {"minSize": 0, "maxSize": 10, "desiredSize": 3} and spot["diskSize"] == 50
    assert spot["version"] == "1.33" and spot["updateConfig"] == {"maxUnavailablePercentage": 33}
    # A launch template named either way comes back with its name, id and version; one that is not there is refused.
    ec2 = boto(client.ekslite_server, "ec2")
    template = ec2.create_launch_template(LaunchTemplateName="nodes", LaunchTemplateData={})["LaunchTemplate"]
    ec2.create_launch_template_version(LaunchTemplateName="nodes", LaunchTemplateData={"InstanceType": "m5.large"})
    templated = make_nodegroup(client, "templated", launchTemplate={"name": "nodes", "version": "2"})
    assert templated["launchTemplate"] == {"name": "nodes", "id": template["LaunchTemplateId"], "version": "2"}
    assert "diskSize" not in templated and "instanceTypes" not in templated
    by_id = make_nodegroup(client, "by-id", launchTemplate={"id": template["LaunchTemplateId"]})
    assert by_id["launchTemplate"] == {"name": "nodes", "id": template["LaunchTemplateId"], "version": "1"}
    for missing in [{"name": "absent"}, {"name": "nodes", "version": "3"}]:
        code, message, status = error_of(make_nodegroup, client, "missing", launchTemplate=missing)
        assert (code, status) == ("InvalidParameterException", 400), missing
    code, message, _ = error_of(make_nodegroup, client, "old", amiType="AL2_x86_64")
    assert (code, message) == ("InvalidParameterException",
                               "AMI Type AL2_x86_64 is only supported for kubernetes versions 1.32 or earlier")


@pytest.mark.parametrize("kwargs, code, status, message", [
    ({"nodegroupName": "-bad"}, "InvalidParameterException", 400, "failed to satisfy constraint"),
    ({"nodeRole": "arn:aws:iam::1:role/x"}, "InvalidParameterException", 400, "Invalid role ARN"),
    ({"subnets": []}, "InvalidParameterException", 400, "Subnets are required"),
    ({"scalingConfig": {"minSize": 3, "maxSize": 5, "desiredSize": 2}}, "InvalidParameterException", 400,
     "Minimum capacity 3 can't be greater than desired size 2"),
    ({"scalingConfig": {"minSize": 1, "maxSize": 2, "desiredSize": 3}}, "InvalidParameterException", 400,
     "Desired capacity 3 can't be greater than max size 2"),
    ({"scalingConfig": {"minSize": 1, "maxSize": 451, "desiredSize": 1}}, "ResourceLimitExceededException", 400,
     "Maximum limit of nodes per nodegroup is 450"),
    ({"launchTemplate": {"name": "lt"}, "diskSize": 30}, "InvalidParameterException", 400,
     "Disk size must be specified within the launch template."),
    ({"launchTemplate": {"name": "lt"}, "remoteAccess": {"ec2SshKey": "k"}}, "InvalidParameterException", 400,
     "Remote access configuration cannot be specified with a launch template."),
    ({"remoteAccess": {"ec2SshKey": "absent"}}, "InvalidParameterException", 400, "KeyPair absent not found"),
    ({"taints": [{"key": "k", "effect": "NoSchedule"}]}, "InvalidParameterException", 400,
     "Unsupported taint effect NoSchedule"),
    ({"version": "1.35"}, "InvalidParameterException", 400, "Requested Nodegroup Kubernetes version 1.35"),
    ({"clusterName": "nope"}, "ResourceNotFoundException", 404, "No cluster found for name: nope."),
])
def test_invalid_node_groups_get_eks_errors(aws, kwargs, code, status, message):
    client = boto(aws.server)
    make_cluster(client)
    request = {"clusterName": "demo", "nodegroupName": "ng", "subnets": subnets_of(client)[:1], "nodeRole": NODE_ROLE}
    request.update(kwargs)
    got_code, got_message, got_status = error_of(client.create_nodegroup, **request)
    assert (got_code, got_status) == (code, status) and message in got_message, got_message
    assert client.list_nodegroups(clusterName="demo")["nodegroups"] == []


def test_node_group_conflicts_and_missing_ones(aws):
    client = boto(aws.server)
    make_cluster(client)
    make_nodegroup(client, "ng")
    assert error_of(make_nodegroup, client, "ng") == (
        "ResourceInUseException", "NodeGroup already exists with name ng and cluster name demo", 409)
    assert error_of(client.describe_nodegroup, clusterName="demo", nodegroupName="nope") == (
        "ResourceNotFoundException", "No node group found for name: nope.", 404)
    assert error_of(client.delete_nodegroup, clusterName="demo", nodegroupName="nope")[0] == \
        "ResourceNotFoundException"
    assert error_of(client.list_nodegroups, clusterName="demo", maxResults=101)[0] == "InvalidParameterException"
    with pytest.raises(client.exceptions.ResourceNotFoundException) as raised:
        client.describe_nodegroup(clusterName="demo", nodegroupName="nope")
    assert raised.value.response["nodegroupName"] == "nope" and raised.value.response["clusterName"] == "demo"


def test_node_group_updates_leave_update_records(aws):
    client = boto(aws.server)
    make_cluster(client)
    make_nodegroup(client, "ng", labels={"keep": "1", "drop": "1"}, version="1.33")
    client.get_waiter("nodegroup_active").wait(clusterName="demo", nodegroupName="ng")
    update = aws("eks", "update-nodegroup-config", "--cluster-name", "demo", "--nodegroup-name", "ng",
                 "--scaling-config", "minSize=2,maxSize=6,desiredSize=4",
                 "--labels", "addOrUpdateLabels={new=2},removeLabels=drop",
                 "--taints", "addOrUpdateTaints=[{key=gpu,value=true,effect=NO_EXECUTE}]")["update"]
    assert update["type"] == "ConfigUpdate" and update["status"] == "InProgress"
    assert {p["type"] for p in update["params"]} >= {"DesiredSize", "MaxSize", "MinSize", "LabelsToAdd",
                                                     "LabelsToRemove", "TaintsToAdd"}
    done = client.describe_update(name="demo", updateId=update["id"], nodegroupName="ng")["update"]
    assert done["status"] == "Successful"
    nodegroup = client.describe_nodegroup(clusterName="demo", nodegroupName="ng")["nodegroup"]
    assert nodegroup["scalingConfig"] == {"minSize": 2, "maxSize": 6, "desiredSize": 4}
    assert nodegroup["labels"] == {"keep": "1", "new": "2"}
    assert nodegroup["taints"] == [{"key": "gpu", "value": "true", "effect": "NO_EXECUTE"}]

    version = client.update_nodegroup_version(clusterName="demo", nodegroupName="ng")["update"]
    assert version["type"] == "VersionUpdate"
    assert {"type": "Version", "value": "1.34"} in version["params"]
    assert client.describe_nodegroup(clusterName="demo", nodegroupName="ng")["nodegroup"]["version"] == "1.34"
    ids = client.list_updates(name="demo", nodegroupName="ng")["updateIds"]
    assert ids == [update["id"], version["id"]]
    assert client.list_updates(name="demo")["updateIds"] == []

    assert error_of(client.update_nodegroup_config, clusterName="demo", nodegroupName="ng",
                    scalingConfig={"desiredSize": 9}) == (
        "InvalidParameterException", "Desired capacity 9 can't be greater than max size 6", 400)
    assert error_of(client.update_nodegroup_config, clusterName="demo", nodegroupName="ng")[0:3:2] == (
        "InvalidParameterException", 400)
    assert error_of(client.update_nodegroup_version, clusterName="demo", nodegroupName="nope") == (
        "ResourceNotFoundException", "No node group found for name: nope.", 404)
    assert error_of(client.describe_update, name="demo", updateId="nope") == (
        "ResourceNotFoundException", "No update found for ID: nope", 404)


def test_cluster_updates(aws):
    client = boto(aws.server)
    make_cluster(client, version="1.32")
    logging = client.update_cluster_config(
        name="demo", logging={"clusterLogging": [{"types": ["api", "audit"], "enabled": True}]})["update"]
    assert logging["type"] == "LoggingUpdate" and logging["status"] == "InProgress"
    client.get_waiter("cluster_active").wait(name="demo")
    cluster = client.describe_cluster(name="demo")["cluster"]
    assert cluster["logging"]["clusterLogging"][0] == {"types": ["api", "audit"], "enabled": True}

    endpoint = aws("eks", "update-cluster-config", "--name", "demo", "--resources-vpc-config",
                   "endpointPrivateAccess=true,publicAccessCidrs=203.0.113.0/24")["update"]
    assert endpoint["type"] == "EndpointAccessUpdate"
    vpc = client.describe_cluster(name="demo")["cluster"]["resourcesVpcConfig"]
    assert vpc["endpointPrivateAccess"] and vpc["publicAccessCidrs"] == ["203.0.113.0/24"]

    access = client.update_cluster_config(name="demo", accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"})
    assert access["update"]["type"] == "AccessConfigUpdate"
    assert error_of(client.update_cluster_config, name="demo", accessConfig={"authenticationMode": "CONFIG_MAP"}) == (
        "InvalidParameterException", "Unsupported authentication mode update from API_AND_CONFIG_MAP to CONFIG_MAP",
        400)
    assert error_of(client.update_cluster_config, name="demo", accessConfig={"authenticationMode": "API"},
                    logging={"clusterLogging": [{"types": ["api"], "enabled": False}]}) == (
        "InvalidParameterException", "Only one type of update can be allowed.", 400)

    assert error_of(client.update_cluster_version, name="demo", version="1.34") == (
        "InvalidParameterException", "Unsupported Kubernetes minor version update from 1.32 to 1.34", 400)
    version = aws("eks", "update-cluster-version", "--name", "demo", "--kubernetes-version", "1.33")["update"]
    assert version["type"] == "VersionUpdate"
    assert client.describe_cluster(name="demo")["cluster"]["version"] == "1.33"
    described = client.describe_update(name="demo", updateId=version["id"])["update"]
    assert described["status"] == "Successful" and {"type": "Version", "value": "1.33"} in described["params"]
    ids = [i for page in client.get_paginator("list_updates").paginate(
        name="demo", PaginationConfig={"PageSize": 1}) for i in page["updateIds"]]
    assert ids == [logging["id"], endpoint["id"], access["update"]["id"], version["id"]]
    assert error_of(client.update_cluster_version, name="nope", version="1.33")[0::2] == (
        "ResourceNotFoundException", 404)


def test_tags_by_arn(aws):
    client = boto(aws.server)
    make_cluster(client, tags={"from": "create"})
    cluster_arn = client.describe_cluster(name="demo")["cluster"]["arn"]
    nodegroup_arn = make_nodegroup(client, "ng")["nodegroupArn"]
    aws("eks", "tag-resource", "--resource-arn", cluster_arn, "--tags", "team=a,env=dev")
    aws("eks", "untag-resource", "--resource-arn", cluster_arn, "--tag-keys", "env", "from")
    assert aws("eks", "list-tags-for-resource", "--resource-arn", cluster_arn)["tags"] == {"team": "a"}
    client.tag_resource(resourceArn=nodegroup_arn, tags={"k": "v"})
    assert client.list_tags_for_resource(resourceArn=nodegroup_arn)["tags"] == {"k": "v"}
    assert client.describe_nodegroup(clusterName="demo", nodegroupName="ng")["nodegroup"]["tags"] == {"k": "v"}
    missing = "arn:aws:eks:us-east-1:000000000000:cluster/nope"
    assert error_of(client.list_tags_for_resource, resourceArn=missing) == (
        "NotFoundException", f"Resource {missing} not found", 404)
    assert error_of(client.tag_resource, resourceArn="arn:aws:iam::000000000000:role/x", tags={"k": "v"})[0::2] == (
        "BadRequestException", 400)
    assert error_of(client.untag_resource, resourceArn="garbage", tagKeys=["k"])[0::2] == ("BadRequestException", 400)


def signed_headers():
    import datetime
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return {
        "Authorization": f"AWS4-HMAC-SHA256 Credential=test/{now[:8]}/us-east-1/eks/aws4_request, "
                         "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
        "X-Amz-Date": now,
        "Content-Type": "application/json",
    }


def test_garbage_node_group_update_and_tag_requests(aws):
    client = boto(aws.server)
    make_cluster(client)
    make_nodegroup(client, "ng")
    headers = signed_headers()
    arn = urllib.parse.quote(client.describe_cluster(name="demo")["cluster"]["arn"], safe="")
    cases = [
        ("POST", "/clusters/demo/node-groups", b"{not json", 400, "BadRequestException"),
        ("POST", "/clusters/demo/node-groups", b'{"nodegroupName": 5}', 400, "InvalidParameterException"),
        ("POST", "/clusters/demo/node-groups", b'{"nodegroupName": "x", "nodeRole": "r"}', 400,
         "InvalidParameterException"),
        ("POST", "/clusters/demo/node-groups",
         json.dumps({"nodegroupName": "x", "nodeRole": NODE_ROLE, "subnets": ["s"],
                     "scalingConfig": {"minSize": "one"}}).encode(), 400, "InvalidParameterException"),
        ("POST", "/clusters/demo/node-groups",
         json.dumps({"nodegroupName": "x", "nodeRole": NODE_ROLE, "subnets": ["s"], "taints": "none"}).encode(),
         400, "InvalidParameterException"),
        ("POST", "/clusters/demo/node-groups/ng/update-config", b"[]", 400, "BadRequestException"),
        ("POST", "/clusters/demo/node-groups/ng/update-config", b'{"labels": {"addOrUpdateLabels": {"k": 1}}}', 400,
         "InvalidParameterException"),
        ("POST", "/clusters/demo/node-groups/ng/update-config",
         b'{"updateConfig": {"maxUnavailable": 1, "maxUnavailablePercentage": 5}}', 400, "InvalidParameterException"),
        ("POST", "/clusters/demo/node-groups/ng/update-version", b'{"version": 1.3}', 400, "InvalidParameterException"),
        ("POST", "/clusters/demo/update-config", b'{"logging": {"clusterLogging": "all"}}', 400,
         "InvalidParameterException"),
        ("POST", "/clusters/demo/updates", b"{}", 400, "InvalidParameterException"),
        ("GET", "/clusters/demo/updates?maxResults=many", b"", 400, "InvalidParameterException"),
        ("GET", "/clusters/demo/node-groups?nextToken=%25%25", b"", 400, "InvalidParameterException"),
        ("POST", f"/tags/{arn}", b'{"tags": "x"}', 400, "BadRequestException"),
        ("POST", f"/tags/{arn}", b"{oops", 400, "BadRequestException"),
        ("DELETE", f"/tags/{arn}", b"", 400, "BadRequestException"),
        ("GET", "/tags/%ZZ", b"", 400, "BadRequestException"),
    ]
    for method, path, body, status, code in cases:
        got, reply_headers, data = raw(aws.server, method, path, body, headers)
        assert (got, reply_headers.get("x-amzn-errortype")) == (status, code), (method, path, body, data)
        assert "message" in json.loads(data)
    assert client.list_nodegroups(clusterName="demo")["nodegroups"] == ["ng"]
    assert client.list_updates(name="demo")["updateIds"] == []
