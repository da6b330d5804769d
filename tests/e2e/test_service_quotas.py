"""Service Quotas through the real aws CLI and boto3: EKS's quotas with AWS's defaults and the server's applied
values, an increase approved at once that EKS then enforces, the request history, and errors as the service words
them."""

import botocore.exceptions
import pytest

from conftest import boto, eks_prereqs_for

CLUSTERS = "L-1194D53C"
NODEGROUPS = "L-6D54EA21"


def error_of(call, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_an_approved_increase_is_what_eks_enforces(ekslite):
    server = ekslite(args=["--max-clusters", "1"])
    quotas = boto(server, "service-quotas")
    eks = boto(server)
    net = eks_prereqs_for(server)

    assert quotas.list_services()["Services"] == [
        {"ServiceCode": "eks", "ServiceName": "Amazon Elastic Kubernetes Service (Amazon EKS)"}]
    applied = quotas.get_service_quota(ServiceCode="eks", QuotaCode=CLUSTERS)["Quota"]
    assert (applied["QuotaName"], applied["Value"], applied["Adjustable"]) == ("Clusters", 1.0, True)
    assert applied["QuotaArn"] == f"arn:aws:servicequotas:us-east-1:000000000000:eks/{CLUSTERS}"
    assert quotas.get_aws_default_service_quota(ServiceCode="eks", QuotaCode=CLUSTERS)["Quota"]["Value"] == 100.0
    listed = [q for page in quotas.get_paginator("list_service_quotas").paginate(
        ServiceCode="eks", PaginationConfig={"PageSize": 2}) for q in page["Quotas"]]
    assert {q["QuotaName"]: q["Value"] for q in listed} == {
        "Clusters": 1.0, "Managed node groups per cluster": 30.0, "Nodes per managed node group": 450.0,
        "Fargate profiles per cluster": 10.0}
    defaults = quotas.list_aws_default_service_quotas(ServiceCode="eks")["Quotas"]
    assert {q["QuotaCode"] for q in defaults} == {q["QuotaCode"] for q in listed}

    eks.create_cluster(name="one", roleArn=net.cluster_role, resourcesVpcConfig=net.resources)
    code, status = error_of(eks.create_cluster, name="two", roleArn=net.cluster_role,
                            resourcesVpcConfig=net.resources)
    assert (code, status) == ("ResourceLimitExceededException", 400)

    requested = quotas.request_service_quota_increase(ServiceCode="eks", QuotaCode=CLUSTERS,
                                                      DesiredValue=2)["RequestedQuota"]
    assert (requested["Status"], requested["DesiredValue"], requested["QuotaName"]) == ("APPROVED", 2.0, "Clusters")
    assert quotas.get_requested_service_quota_change(RequestId=requested["Id"])["RequestedQuota"]["Id"] == requested["Id"]
    eks.create_cluster(name="two", roleArn=net.cluster_role, resourcesVpcConfig=net.resources)
    assert sorted(eks.list_clusters()["clusters"]) == ["one", "two"]

    history = quotas.list_requested_service_quota_change_history_by_quota(ServiceCode="eks", QuotaCode=CLUSTERS)
    assert [r["Id"] for r in history["RequestedQuotas"]] == [requested["Id"]]
    assert quotas.list_requested_service_quota_change_history(Status="DENIED")["RequestedQuotas"] == []


def test_quota_errors(aws):
    quotas = boto(aws.server, "service-quotas")
    assert error_of(quotas.get_service_quota, ServiceCode="eks", QuotaCode="L-00000000") == (
        "NoSuchResourceException", 400)
    assert error_of(quotas.list_service_quotas, ServiceCode="nope") == ("NoSuchResourceException", 400)
    assert error_of(quotas.request_service_quota_increase, ServiceCode="eks", QuotaCode=NODEGROUPS,
                    DesiredValue=5) == ("IllegalArgumentException", 400)
    assert error_of(quotas.list_service_quotas, ServiceCode="eks", NextToken="garbage") == (
        "InvalidPaginationTokenException", 400)
    assert error_of(quotas.get_requested_service_quota_change, RequestId="missing") == (
        "NoSuchResourceException", 400)
    # Through the aws CLI, and a value far past the model's bound.
    result = aws("service-quotas", "request-service-quota-increase", "--service-code", "eks", "--quota-code",
                 NODEGROUPS, "--desired-value", "1e12", check=False)
    assert result.returncode != 0 and "IllegalArgumentException" in result.stderr
    raised = aws("service-quotas", "request-service-quota-increase", "--service-code", "eks", "--quota-code",
                 NODEGROUPS, "--desired-value", "40")["RequestedQuota"]
    assert raised["Status"] == "APPROVED"
    assert aws("service-quotas", "get-service-quota", "--service-code", "eks", "--quota-code",
               NODEGROUPS)["Quota"]["Value"] == 40.0
