"""The AWS endpoint as a whole, through the real aws CLI: a service it does not serve, or an operation of a served
service that it does not serve, fails with an error botocore parses in that service's protocol (XML for query and
rest-xml, JSON with __type for json and rest-json), naming the service and the operation, never a bare HTTP status."""

import re
import subprocess
import sys
from pathlib import Path

from conftest import ekslite_binary

# aws CLI arguments, then the error code and the operation the CLI names, then what the message must name.
NOT_SERVED_SERVICES = [
    (["s3", "ls"], "NotImplemented", "ListBuckets", ["'s3'", "GET /"]),
    (["elasticache", "describe-cache-clusters"], "InvalidAction", "DescribeCacheClusters",
     ["'elasticache'", "DescribeCacheClusters"]),
    (["logs", "describe-log-groups"], "UnknownOperationException", "DescribeLogGroups",
     ["'logs'", "DescribeLogGroups"]),
    (["cloudformation", "list-stacks"], "InvalidAction", "ListStacks", ["'cloudformation'", "ListStacks"]),
    (["kms", "list-keys"], "UnknownOperationException", "ListKeys", ["'kms'", "ListKeys"]),
]

NOT_SERVED_OPERATIONS = [
    (["iam", "list-saml-providers"], "InvalidAction", "ListSAMLProviders", ["IAM", "ListSAMLProviders"]),
    (["sts", "get-access-key-info", "--access-key-id", "AKIAIOSFODNN7EXAMPLE"], "InvalidAction",
     "GetAccessKeyInfo", ["STS", "GetAccessKeyInfo"]),
    (["ec2", "describe-vpc-peering-connections"], "InvalidAction", "DescribeVpcPeeringConnections",
     ["EC2", "DescribeVpcPeeringConnections"]),
    (["autoscaling", "describe-instance-refreshes", "--auto-scaling-group-name", "g"], "InvalidAction",
     "DescribeInstanceRefreshes", ["Auto Scaling", "DescribeInstanceRefreshes"]),
    (["eks", "list-eks-anywhere-subscriptions"], "UnknownOperationException", "ListEksAnywhereSubscriptions",
     ["EKS", "GET /eks-anywhere-subscriptions"]),
    (["service-quotas", "list-service-quota-increase-requests-in-template"], "UnknownOperationException",
     "ListServiceQuotaIncreaseRequestsInTemplate", ["Service Quotas", "ListServiceQuotaIncreaseRequestsInTemplate"]),
    (["elb", "describe-load-balancer-policies"], "InvalidAction", "DescribeLoadBalancerPolicies",
     ["Elastic Load Balancing (Classic)", "DescribeLoadBalancerPolicies"]),
    (["elbv2", "describe-trust-stores"], "InvalidAction", "DescribeTrustStores",
     ["Elastic Load Balancing v2", "DescribeTrustStores"]),
    (["ssm", "describe-document", "--name", "AWS-RunShellScript"], "UnknownOperationException", "DescribeDocument",
     ["SSM", "DescribeDocument"]),
]


def check_refused(aws, args, code, operation, words):
    result = aws(*args, check=False)
    assert result.returncode != 0, (args, result.stdout)
    error = result.stderr.strip()
    match = re.search(r"An error occurred \(([^)]*)\) when calling the (\w+) operation: (.*)", error)
    assert match, (args, error)
    assert (match.group(1), match.group(2)) == (code, operation), (args, error)
    for word in words:
        assert word in match.group(3), (args, word, error)
    assert "Bad Request" not in error and "(Unknown)" not in error, (args, error)


def test_services_not_served_fail_with_a_message_naming_them(aws):
    for args, code, operation, words in NOT_SERVED_SERVICES:
        check_refused(aws, args, code, operation, words + ["it serves eks, iam"])


def test_operations_not_served_fail_with_a_message_naming_them(aws):
    for args, code, operation, words in NOT_SERVED_OPERATIONS:
        check_refused(aws, args, code, operation, words)
    assert aws("sts", "get-caller-identity")["Account"] == "000000000000", "the endpoint still serves"


def test_every_served_operation_is_in_its_model_and_the_coverage_table_is_current():
    # scripts/aws-coverage.py checks both: each name `ekslite operations` prints is an operation of botocore's model
    # of its service, and docs/aws.md's table is what the script writes.
    script = Path(__file__).resolve().parents[2] / "scripts" / "aws-coverage.py"
    result = subprocess.run([sys.executable, str(script), "--check", "--binary", str(ekslite_binary())],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
