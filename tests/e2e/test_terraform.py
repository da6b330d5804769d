"""Terraform's hashicorp/aws provider against the EC2 and SSM endpoints: a VPC (`aws_vpc`, which reads the VPC's
default network ACL, main route table and default security group), a secondary block for pods and a subnet in it
(`aws_vpc_ipv4_cidr_block_association`, `aws_subnet`, whose delete first lists the subnet's network interfaces), a
network ACL with rules for that subnet (`aws_network_acl`), an SSM parameter holding the EKS-optimized AMI that a
`data "aws_ssm_parameter"` reads from the public parameters, applied, planned again with no changes, and destroyed
leaving nothing behind.

Terraform is never downloaded here: the tests need `terraform` on PATH and the provider in a filesystem mirror
(the `registry.terraform.io/hashicorp/aws/<version>/<os_arch>/` layout), named by `$EKSLITE_TERRAFORM_MIRROR` or
found where machines keep one (Terraform's own implied mirror directories, or a directory under /opt). Without
either, they are skipped, saying so."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import boto

PROVIDER = Path("registry.terraform.io") / "hashicorp" / "aws"


def find_mirror() -> str | None:
    """The filesystem mirror that holds hashicorp/aws: `$EKSLITE_TERRAFORM_MIRROR`, else the first of Terraform's
    implied local mirror directories, else a directory right under /opt, that has it."""
    named = os.environ.get("EKSLITE_TERRAFORM_MIRROR")
    if named:
        return named if (Path(named) / PROVIDER).is_dir() else None
    home, data = Path.home(), os.environ.get("XDG_DATA_HOME")
    candidates = [home / ".terraform.d" / "plugins", Path(data or home / ".local" / "share") / "terraform" / "plugins",
                  Path("/usr/local/share/terraform/plugins"), Path("/usr/share/terraform/plugins")]
    candidates += sorted(path for path in Path("/opt").glob("*") if path.is_dir())
    return next((str(path) for path in candidates if (path / PROVIDER).is_dir()), None)


MIRROR = find_mirror()

pytestmark = pytest.mark.skipif(
    not (shutil.which("terraform") and MIRROR),
    reason="needs terraform on PATH and a filesystem mirror with hashicorp/aws ($EKSLITE_TERRAFORM_MIRROR, "
           "Terraform's implied mirror directories or a directory under /opt)",
)

CONFIGURATION = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  endpoints {
    ec2 = "%(url)s"
    ssm = "%(url)s"
    sts = "%(url)s"
  }
}

resource "aws_vpc" "main" {
  cidr_block           = "10.0.0.0/16"
  enable_dns_hostnames = true
  tags = {
    Name = "platform"
  }
}

resource "aws_vpc_ipv4_cidr_block_association" "pods" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "100.64.0.0/16"
}

resource "aws_subnet" "pods" {
  vpc_id            = aws_vpc_ipv4_cidr_block_association.pods.vpc_id
  cidr_block        = "100.64.0.0/19"
  availability_zone = "us-east-1a"
  tags = {
    Name = "pods-us-east-1a"
  }
}

resource "aws_network_acl" "pods" {
  vpc_id     = aws_vpc.main.id
  subnet_ids = [aws_subnet.pods.id]
  ingress {
    rule_no    = 100
    protocol   = "tcp"
    action     = "allow"
    cidr_block = "10.0.0.0/16"
    from_port  = 443
    to_port    = 443
  }
  egress {
    rule_no    = 100
    protocol   = "-1"
    action     = "allow"
    cidr_block = "0.0.0.0/0"
    from_port  = 0
    to_port    = 0
  }
  tags = {
    Name = "pods"
  }
}

data "aws_ssm_parameter" "node_ami" {
  name = "/aws/service/eks/optimized-ami/1.34/amazon-linux-2023/x86_64/standard/recommended/image_id"
}

resource "aws_ssm_parameter" "node_ami" {
  name        = "/platform/eks/node-ami"
  type        = "String"
  data_type   = "aws:ec2:image"
  description = "The AMI our self-managed nodes run"
  value       = data.aws_ssm_parameter.node_ami.value
  tags = {
    team = "platform"
  }
}

output "node_ami" {
  value     = aws_ssm_parameter.node_ami.value
  sensitive = true
}

output "vpc_id" {
  value = aws_vpc.main.id
}

output "network_acl_id" {
  value = aws_network_acl.pods.id
}

output "association_id" {
  value = aws_vpc_ipv4_cidr_block_association.pods.id
}

output "subnet_id" {
  value = aws_subnet.pods.id
}
"""


def terraform(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.update({
        "TF_CLI_CONFIG_FILE": str(workdir / "terraform.rc"),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
        "AWS_CONFIG_FILE": str(workdir / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(workdir / "no-aws-credentials"),
    })
    for name in ["AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]:
        env.pop(name, None)
    return subprocess.run(["terraform", *args, "-no-color"], cwd=workdir, env=env, capture_output=True, text=True,
                          timeout=300)


def succeeds(workdir: Path, *args: str) -> str:
    result = terraform(workdir, *args)
    assert result.returncode == 0, f"terraform {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_a_vpc_its_pod_block_subnet_acl_and_an_ami_parameter_apply_plan_clean_and_destroy(ekslite, tmp_path):
    server = ekslite()
    ec2 = boto(server, "ec2")
    (tmp_path / "terraform.rc").write_text(
        'provider_installation {\n'
        f'  filesystem_mirror {{\n    path = {json.dumps(MIRROR)}\n'
        '    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
        '  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n')
    (tmp_path / "main.tf").write_text(CONFIGURATION % {"url": server.url})
    vpcs_before = {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]}
    acls_before = {a["NetworkAclId"] for a in ec2.describe_network_acls()["NetworkAcls"]}

    succeeds(tmp_path, "init")
    succeeds(tmp_path, "apply", "-auto-approve")
    outputs = json.loads(succeeds(tmp_path, "output", "-json"))
    vpc_id, acl_id = outputs["vpc_id"]["value"], outputs["network_acl_id"]["value"]
    association, subnet = outputs["association_id"]["value"], outputs["subnet_id"]["value"]
    # The parameter holds the public parameter's AMI, one that describe-images knows.
    ami = outputs["node_ami"]["value"]
    assert ec2.describe_images(ImageIds=[ami])["Images"][0]["ImageId"] == ami
    ssm = boto(server, "ssm")
    stored = ssm.get_parameter(Name="/platform/eks/node-ami")["Parameter"]
    assert (stored["Value"], stored["DataType"]) == (ami, "aws:ec2:image")
    vpc = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
    assert [(a["AssociationId"], a["CidrBlock"], a["CidrBlockState"]["State"]) for a in
            vpc["CidrBlockAssociationSet"][1:]] == [(association, "100.64.0.0/16", "associated")]
    described = ec2.describe_subnets(SubnetIds=[subnet])["Subnets"][0]
    assert described["CidrBlock"] == "100.64.0.0/19" and described["VpcId"] == vpc_id
    acl = ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"][0]
    assert [a["SubnetId"] for a in acl["Associations"]] == [subnet]
    rules = sorted((e["RuleNumber"], e["Egress"], e["Protocol"], e["RuleAction"]) for e in acl["Entries"])
    assert rules == [(100, False, "6", "allow"), (100, True, "-1", "allow"),
                     (32767, False, "-1", "deny"), (32767, True, "-1", "deny")]

    # A second plan finds nothing to change: what the provider reads back is what it wrote.
    plan = terraform(tmp_path, "plan", "-detailed-exitcode")
    assert plan.returncode == 0, f"the plan is not clean:\n{plan.stdout}\n{plan.stderr}"

    # Destroy leaves nothing of the stack: the subnet (after the provider lists its network interfaces), the ACL,
    # the block and the VPC with its default ACL.
    succeeds(tmp_path, "destroy", "-auto-approve")
    assert {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]} == vpcs_before
    assert ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"] == []
    assert {a["NetworkAclId"] for a in ec2.describe_network_acls()["NetworkAcls"]} == acls_before
    assert ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
        "NetworkInterfaces"] == []
    assert ssm.describe_parameters()["Parameters"] == []
