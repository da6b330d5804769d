"""SSM Parameter Store and the EKS-optimized AMIs through the real aws CLI and boto3: the public parameter of an
EKS AMI names an image DescribeImages knows and the instances of a node group of that version and AMI type run;
user parameters round trip (versions, overwrite, selectors, labels, paths, history, tags, delete); bad input gets
SSM's and EC2's errors with their codes and HTTP 400."""

import botocore.exceptions
import pytest

from conftest import boto, wait_until
from test_eks_nodegroups import NODE_ROLE, make_cluster, subnets_of

AL2023 = "/aws/service/eks/optimized-ami/1.34/amazon-linux-2023/x86_64/standard/recommended"
BOTTLEROCKET_ARM = "/aws/service/bottlerocket/aws-k8s-1.34/arm64/latest/image_id"


def error_of(call, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call(**kwargs)
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def instance_images(ec2, nodegroup, count):
    """The image ids of a node group's running or pending instances, once it has `count` of them."""
    def images():
        pages = ec2.get_paginator("describe_instances").paginate(
            Filters=[{"Name": "tag:eks:nodegroup-name", "Values": [nodegroup]},
                     {"Name": "instance-state-name", "Values": ["pending", "running"]}])
        found = [i["ImageId"] for page in pages for r in page["Reservations"] for i in r["Instances"]]
        return found if len(found) == count else None
    return wait_until(images, f"{count} instances of {nodegroup}")


def test_the_eks_ami_parameter_names_the_image_node_groups_run(aws):
    image_id = aws("ssm", "get-parameter", "--name", f"{AL2023}/image_id")["Parameter"]
    assert image_id["ARN"] == f"arn:aws:ssm:us-east-1::parameter{AL2023}/image_id"
    assert image_id["Value"].startswith("ami-") and len(image_id["Value"]) == 21
    recommended = aws("ssm", "get-parameter", "--name", AL2023)["Parameter"]["Value"]
    assert f'"image_id": "{image_id["Value"]}"' in recommended.replace('":"', '": "')

    images = aws("ec2", "describe-images", "--image-ids", image_id["Value"])["Images"]
    assert [(i["Name"], i["OwnerId"], i["State"], i["Architecture"]) for i in images] == [
        ("amazon-eks-node-al2023-x86_64-standard-1.34-v20251016", "602401143452", "available", "x86_64")]
    assert images[0]["BlockDeviceMappings"][0]["DeviceName"] == images[0]["RootDeviceName"] == "/dev/xvda"
    by_name = aws("ec2", "describe-images", "--owners", "amazon", "--filters",
                  "Name=name,Values=amazon-eks-node-al2023-x86_64-standard-1.34-*")["Images"]
    assert [i["ImageId"] for i in by_name] == [image_id["Value"]]
    arm_id = aws("ssm", "get-parameter", "--name", BOTTLEROCKET_ARM)["Parameter"]["Value"]
    arm = aws("ec2", "describe-images", "--image-ids", arm_id)["Images"][0]
    assert arm["Name"].startswith("bottlerocket-aws-k8s-1.34-aarch64-v") and arm["Architecture"] == "arm64"

    client = boto(aws.server)
    ec2 = boto(aws.server, "ec2")
    make_cluster(client)
    client.create_nodegroup(clusterName="demo", nodegroupName="linux", subnets=subnets_of(client)[:1],
                            nodeRole=NODE_ROLE, scalingConfig={"minSize": 2, "maxSize": 2, "desiredSize": 2})
    client.create_nodegroup(clusterName="demo", nodegroupName="rocket", subnets=subnets_of(client)[:1],
                            nodeRole=NODE_ROLE, amiType="BOTTLEROCKET_ARM_64", instanceTypes=["m6g.large"],
                            scalingConfig={"minSize": 1, "maxSize": 1, "desiredSize": 1})
    assert instance_images(ec2, "linux", 2) == [image_id["Value"]] * 2
    assert instance_images(ec2, "rocket", 1) == [arm_id]


def test_describe_images_refuses_what_ec2_refuses(aws):
    ec2 = boto(aws.server, "ec2")
    assert error_of(ec2.describe_images, ImageIds=["ami-12345678"]) == ("InvalidAMIID.NotFound", 400)
    assert error_of(ec2.describe_images, ImageIds=["ami-nope"]) == ("InvalidAMIID.Malformed", 400)
    assert error_of(ec2.describe_images, Owners=["somebody"]) == ("InvalidUserID.Malformed", 400)
    assert error_of(ec2.describe_images, Filters=[{"Name": "colour", "Values": ["red"]}]) == ("InvalidFilter", 400)
    assert ec2.describe_images(Owners=["self"])["Images"] == []
    pages = ec2.get_paginator("describe_images").paginate(Owners=["amazon"], PaginationConfig={"PageSize": 50})
    ids = [image["ImageId"] for page in pages for image in page["Images"]]
    assert len(ids) == len(set(ids)) > 50


def test_user_parameters_round_trip(aws):
    assert aws("ssm", "put-parameter", "--name", "/app/db/url", "--value", "one", "--type", "String",
               "--description", "the database", "--tags", "Key=team,Value=web") == {"Version": 1, "Tier": "Standard"}
    assert aws("ssm", "put-parameter", "--name", "/app/db/url", "--value", "two", "--overwrite")["Version"] == 2
    refused = aws("ssm", "put-parameter", "--name", "/app/db/url", "--value", "three", "--type", "String",
                  check=False)
    assert refused.returncode != 0 and "ParameterAlreadyExists" in refused.stderr
    got = aws("ssm", "get-parameter", "--name", "/app/db/url")["Parameter"]
    assert (got["Value"], got["Version"], got["Type"]) == ("two", 2, "String")
    assert got["ARN"] == "arn:aws:ssm:us-east-1:000000000000:parameter/app/db/url"
    assert aws("ssm", "get-parameter", "--name", "/app/db/url:1")["Parameter"]["Value"] == "one"
    aws("ssm", "label-parameter-version", "--name", "/app/db/url", "--parameter-version", "1", "--labels", "old")
    assert aws("ssm", "get-parameter", "--name", "/app/db/url:old")["Parameter"]["Value"] == "one"

    aws("ssm", "put-parameter", "--name", "/app/db/password", "--value", "hunter2", "--type", "SecureString")
    aws("ssm", "put-parameter", "--name", "/app/name", "--value", "shop", "--type", "String")
    sealed = aws("ssm", "get-parameter", "--name", "/app/db/password")["Parameter"]["Value"]
    assert sealed != "hunter2"
    opened = aws("ssm", "get-parameter", "--name", "/app/db/password", "--with-decryption")["Parameter"]["Value"]
    assert opened == "hunter2"
    ssm = boto(aws.server, "ssm")
    pages = ssm.get_paginator("get_parameters_by_path").paginate(Path="/app", Recursive=True, WithDecryption=True,
                                                                   PaginationConfig={"PageSize": 2})
    found = {p["Name"]: p["Value"] for page in pages for p in page["Parameters"]}
    assert found == {"/app/db/password": "hunter2", "/app/db/url": "two", "/app/name": "shop"}
    one_level = aws("ssm", "get-parameters-by-path", "--path", "/app")["Parameters"]
    assert [p["Name"] for p in one_level] == ["/app/name"]
    both = aws("ssm", "get-parameters", "--names", "/app/name", "/app/none")
    assert [p["Name"] for p in both["Parameters"]] == ["/app/name"] and both["InvalidParameters"] == ["/app/none"]
    described = aws("ssm", "describe-parameters", "--parameter-filters", "Key=Type,Values=SecureString")
    assert [(p["Name"], p["KeyId"]) for p in described["Parameters"]] == [("/app/db/password", "alias/aws/ssm")]

    history = aws("ssm", "get-parameter-history", "--name", "/app/db/url")["Parameters"]
    assert [(h["Version"], h["Value"], h["Labels"]) for h in history] == [(1, "one", ["old"]), (2, "two", [])]
    assert history[1]["Description"] == "the database"

    aws("ssm", "add-tags-to-resource", "--resource-type", "Parameter", "--resource-id", "/app/db/url",
        "--tags", "Key=env,Value=prod")
    aws("ssm", "remove-tags-from-resource", "--resource-type", "Parameter", "--resource-id", "/app/db/url",
        "--tag-keys", "team")
    tags = aws("ssm", "list-tags-for-resource", "--resource-type", "Parameter", "--resource-id", "/app/db/url")
    assert tags["TagList"] == [{"Key": "env", "Value": "prod"}]

    aws("ssm", "delete-parameter", "--name", "/app/db/url")
    deleted = aws("ssm", "delete-parameters", "--names", "/app/name", "/app/db/url")
    assert deleted == {"DeletedParameters": ["/app/name"], "InvalidParameters": ["/app/db/url"]}
    assert error_of(ssm.get_parameter, Name="/app/db/url") == ("ParameterNotFound", 400)


def test_bad_parameters_get_ssm_errors(aws):
    ssm = boto(aws.server, "ssm")
    put = ssm.put_parameter
    assert error_of(put, Name="/big", Value="x" * 5 * 1024, Type="String") == ("ValidationException", 400)
    assert put(Name="/big", Value="x" * 5 * 1024, Type="String", Tier="Advanced")["Tier"] == "Advanced"
    assert error_of(put, Name="/" + "n" * 2048, Value="x", Type="String") == ("ValidationException", 400)
    assert error_of(put, Name="/nul\x00byte", Value="x", Type="String") == ("ValidationException", 400)
    assert error_of(put, Name="/l" * 16, Value="x", Type="String") == ("HierarchyLevelLimitExceededException", 400)
    assert error_of(put, Name="/aws/service/mine", Value="x", Type="String") == ("AccessDeniedException", 400)
    assert error_of(put, Name="ssm-thing", Value="x", Type="String") == ("ValidationException", 400)
    assert error_of(put, Name="/n", Value="abc", Type="String", AllowedPattern="^\\d+$") == (
        "ParameterPatternMismatchException", 400)
    assert error_of(put, Name="/n", Value="x", Type="SecureString", KeyId="not a key") == ("InvalidKeyId", 400)
    assert error_of(put, Name="/n", Value="x", Type="String", DataType="aws:ec2:image") == ("ValidationException", 400)
    assert error_of(ssm.get_parameter, Name="/none:3") == ("ParameterNotFound", 400)
    put(Name="/n", Value="x", Type="String")
    assert error_of(ssm.get_parameter, Name="/n:3") == ("ParameterVersionNotFound", 400)
    assert error_of(ssm.get_parameters_by_path, Path="/", MaxResults=11) == ("ValidationException", 400)
    assert error_of(ssm.describe_parameters, NextToken="garbage!") == ("InvalidNextToken", 400)
    assert error_of(ssm.list_tags_for_resource, ResourceType="Parameter", ResourceId="/none") == (
        "InvalidResourceId", 400)
