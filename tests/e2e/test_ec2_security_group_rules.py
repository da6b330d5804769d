"""EC2 security group rules by id with boto3 and the aws CLI: ids returned when rules are added, found by id, filter
and page, modified, described anew, tagged and revoked by id; EC2's errors for bad input, with nothing half-written.
Then Terraform's `aws_vpc_security_group_ingress_rule` and `aws_vpc_security_group_egress_rule` applied, planned
again with no changes, and destroyed (skipped as `test_terraform.py` is without terraform and the provider)."""

import json

import botocore.exceptions
import pytest

from conftest import boto
from test_terraform import configure, needs_terraform, succeeds, terraform


def error_of(call, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call(**kwargs)
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def make_group(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    return ec2.create_security_group(GroupName="web", Description="web servers", VpcId=vpc)["GroupId"]


def test_rules_have_ids_to_describe_modify_tag_and_revoke_them_by(aws):
    ec2 = boto(aws.server, "ec2")
    group = make_group(ec2)
    added = ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                        "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "https"}],
                        "UserIdGroupPairs": [{"GroupId": group}]}],
        TagSpecifications=[{"ResourceType": "security-group-rule", "Tags": [{"Key": "Name", "Value": "https"}]}])
    assert added["Return"] is True
    rules = added["SecurityGroupRules"]
    assert [(r["IsEgress"], r.get("CidrIpv4"), r.get("ReferencedGroupInfo", {}).get("GroupId")) for r in rules] == [
        (False, "0.0.0.0/0", None), (False, None, group)]
    assert all(r["SecurityGroupRuleId"].startswith("sgr-") and r["Tags"] == [{"Key": "Name", "Value": "https"}]
               for r in rules)
    cidr_rule = rules[0]["SecurityGroupRuleId"]

    listed = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])
    assert len(listed["SecurityGroupRules"]) == 3  # The two added and the default egress rule.
    [egress] = [r for r in listed["SecurityGroupRules"] if r["IsEgress"]]
    assert (egress["IpProtocol"], egress["FromPort"], egress["ToPort"], egress["CidrIpv4"]) == ("-1", -1, -1,
                                                                                                 "0.0.0.0/0")
    pages = ec2.get_paginator("describe_security_group_rules").paginate(PaginationConfig={"PageSize": 5})
    every = [r["SecurityGroupRuleId"] for page in pages for r in page["SecurityGroupRules"]]
    assert len(every) == len(set(every)) >= 5  # The default VPC's and the new VPC's default groups have rules too.

    ec2.modify_security_group_rules(GroupId=group, SecurityGroupRules=[{
        "SecurityGroupRuleId": cidr_rule,
        "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 8443, "ToPort": 8443, "CidrIpv4": "10.0.0.0/8",
                              "Description": "internal"}}])
    ec2.update_security_group_rule_descriptions_egress(
        GroupId=group, SecurityGroupRuleDescriptions=[{"SecurityGroupRuleId": egress["SecurityGroupRuleId"],
                                                       "Description": "anywhere"}])
    [modified] = ec2.describe_security_group_rules(SecurityGroupRuleIds=[cidr_rule])["SecurityGroupRules"]
    assert (modified["FromPort"], modified["CidrIpv4"], modified["Description"]) == (8443, "10.0.0.0/8", "internal")
    [described] = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"]
    assert described["IpPermissionsEgress"][0]["IpRanges"] == [{"CidrIp": "0.0.0.0/0", "Description": "anywhere"}]

    ec2.create_tags(Resources=[cidr_rule], Tags=[{"Key": "team", "Value": "web"}])
    by_tag = ec2.describe_security_group_rules(Filters=[{"Name": "tag:team", "Values": ["web"]}])
    assert [r["SecurityGroupRuleId"] for r in by_tag["SecurityGroupRules"]] == [cidr_rule]
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [cidr_rule]}])["Tags"]
    assert {(t["Key"], t["ResourceType"]) for t in tags} == {("Name", "security-group-rule"),
                                                             ("team", "security-group-rule")}

    revoked = aws("ec2", "revoke-security-group-ingress", "--group-id", group,
                  "--security-group-rule-ids", cidr_rule)
    assert [r["SecurityGroupRuleId"] for r in revoked["RevokedSecurityGroupRules"]] == [cidr_rule]
    assert ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [cidr_rule]}])["Tags"] == []
    assert error_of(ec2.describe_security_group_rules, SecurityGroupRuleIds=[cidr_rule]) == (
        "InvalidSecurityGroupRuleId.NotFound", 400)


def test_bad_rule_requests_get_ec2_errors_and_change_nothing(aws):
    ec2 = boto(aws.server, "ec2")
    group = make_group(ec2)
    before = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])["SecurityGroupRules"]
    [egress] = before
    permission = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}
    for call, kwargs, expect in [
        (ec2.describe_security_group_rules, {"SecurityGroupRuleIds": ["garbage"]},
         "InvalidSecurityGroupRuleId.Malformed"),
        (ec2.describe_security_group_rules, {"SecurityGroupRuleIds": ["sgr-\0"]}, "InvalidSecurityGroupRuleId.Malformed"),
        (ec2.describe_security_group_rules, {"SecurityGroupRuleIds": ["sgr-0123456789abcdef0"]},
         "InvalidSecurityGroupRuleId.NotFound"),
        (ec2.describe_security_group_rules, {"Filters": [{"Name": "colour", "Values": ["x"]}]}, "InvalidFilter"),
        (ec2.modify_security_group_rules, {"GroupId": group, "SecurityGroupRules": [{
            "SecurityGroupRuleId": egress["SecurityGroupRuleId"],
            "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 1, "ToPort": 99999, "CidrIpv4": "0.0.0.0/0"}}]},
         "InvalidParameterValue"),
        (ec2.modify_security_group_rules, {"GroupId": group, "SecurityGroupRules": [{
            "SecurityGroupRuleId": egress["SecurityGroupRuleId"],
            "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "CidrIpv4": "garbage"}}]},
         "InvalidParameterValue"),
        (ec2.update_security_group_rule_descriptions_egress, {"GroupId": group, "SecurityGroupRuleDescriptions": [{
            "SecurityGroupRuleId": egress["SecurityGroupRuleId"], "Description": "x" * 256}]}, "InvalidParameterValue"),
        (ec2.update_security_group_rule_descriptions_ingress, {"GroupId": group, "SecurityGroupRuleDescriptions": [{
            "SecurityGroupRuleId": egress["SecurityGroupRuleId"], "Description": "in"}]},
         "InvalidSecurityGroupRuleId.NotFound"),
        (ec2.authorize_security_group_ingress, {"GroupId": group, "IpPermissions": [permission],
                                                "TagSpecifications": [{"ResourceType": "security-group-rule",
                                                                       "Tags": [{"Key": f"k{i}", "Value": "v"}
                                                                                for i in range(51)]}]},
         "TagLimitExceeded"),
        (ec2.authorize_security_group_ingress, {"GroupId": group, "IpPermissions": [
            {**permission, "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "bad\0"}]}]}, "InvalidParameterValue"),
        (ec2.revoke_security_group_egress, {"GroupId": group, "SecurityGroupRuleIds": ["sgr-0123456789abcdef0"]},
         "InvalidSecurityGroupRuleId.NotFound"),
        (ec2.create_tags, {"Resources": ["sgr-0123456789abcdef0"], "Tags": [{"Key": "k", "Value": "v"}]},
         "InvalidSecurityGroupRuleId.NotFound"),
    ]:
        assert error_of(call, **kwargs) == (expect, 400), kwargs
    after = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])["SecurityGroupRules"]
    assert after == before


# The provider learns the account from STS: a rule naming a group of the caller's account then reads back as the bare
# group id, not `<account>/<group>`.
RULES = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_metadata_api_check     = true
  skip_region_validation      = true
  endpoints {
    ec2 = "%(url)s"
    sts = "%(url)s"
  }
}

resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_security_group" "web" {
  name        = "web"
  description = "web servers"
  vpc_id      = aws_vpc.main.id
}

resource "aws_vpc_security_group_ingress_rule" "https" {
  security_group_id = aws_security_group.web.id
  cidr_ipv4         = "10.0.0.0/8"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  description       = "https from the VPCs"
  tags = {
    Name = "https"
  }
}

resource "aws_vpc_security_group_ingress_rule" "itself" {
  security_group_id            = aws_security_group.web.id
  referenced_security_group_id = aws_security_group.web.id
  ip_protocol                  = "-1"
}

resource "aws_vpc_security_group_egress_rule" "anywhere" {
  security_group_id = aws_security_group.web.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"
}

output "group_id" {
  value = aws_security_group.web.id
}

output "https_rule_id" {
  value = aws_vpc_security_group_ingress_rule.https.security_group_rule_id
}
"""


@needs_terraform
def test_terraform_rule_resources_apply_plan_clean_and_destroy(ekslite, tmp_path):
    server = ekslite()
    ec2 = boto(server, "ec2")
    configure(tmp_path, RULES, server)
    succeeds(tmp_path, "init")
    succeeds(tmp_path, "apply", "-auto-approve")
    outputs = json.loads(succeeds(tmp_path, "output", "-json"))
    group, https = outputs["group_id"]["value"], outputs["https_rule_id"]["value"]
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])["SecurityGroupRules"]
    assert sorted((r["IsEgress"], r["IpProtocol"]) for r in rules) == [(False, "-1"), (False, "tcp"), (True, "-1")]
    [rule] = [r for r in rules if r["SecurityGroupRuleId"] == https]
    assert (rule["FromPort"], rule["Description"], rule["Tags"]) == (443, "https from the VPCs",
                                                                     [{"Key": "Name", "Value": "https"}])
    plan = terraform(tmp_path, "plan", "-detailed-exitcode")
    assert plan.returncode == 0, f"a second plan wants changes:\n{plan.stdout}\n{plan.stderr}"
    succeeds(tmp_path, "destroy", "-auto-approve")
    assert ec2.describe_security_groups(Filters=[{"Name": "group-id", "Values": [group]}])["SecurityGroups"] == []
