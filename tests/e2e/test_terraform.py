"""Terraform's hashicorp/aws provider against the EC2 and SSM endpoints: a VPC (`aws_vpc`, which reads the VPC's
default network ACL, main route table and default security group), a secondary block for pods and a subnet in it
(`aws_vpc_ipv4_cidr_block_association`, `aws_subnet`, whose delete first lists the subnet's network interfaces), a
network ACL with rules for that subnet (`aws_network_acl`), an SSM parameter holding the EKS-optimized AMI that a
`data "aws_ssm_parameter"` reads from the public parameters, applied, planned again with no changes, and destroyed
leaving nothing behind. Then an EKS stack written the way users write one, with plain resources: a VPC with public
and private subnets in two zones, internet and NAT gateways, route tables, a security group, IAM roles, a policy, a
user and the cluster's OIDC provider, the cluster, a launch template and a managed node group using it, a Fargate
profile, add-ons, an access entry with a policy, a pod identity association and an SSM parameter; applied, planned
again with no changes, and destroyed leaving nothing behind.

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

from conftest import Cluster, boto, run_ekslite, wait_until

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

needs_terraform = pytest.mark.skipif(
    not (shutil.which("terraform") and MIRROR),
    reason="needs terraform on PATH and a filesystem mirror with hashicorp/aws ($EKSLITE_TERRAFORM_MIRROR, "
           "Terraform's implied mirror directories or a directory under /opt)",
)
pytestmark = needs_terraform

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


def configure(workdir: Path, configuration: str, server) -> None:
    """Writes the CLI configuration (the provider from the mirror only) and `main.tf` pointed at `server`."""
    (workdir / "terraform.rc").write_text(
        'provider_installation {\n'
        f'  filesystem_mirror {{\n    path = {json.dumps(MIRROR)}\n'
        '    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
        '  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n')
    (workdir / "main.tf").write_text(configuration % {"url": server.url})


def test_a_vpc_its_pod_block_subnet_acl_and_an_ami_parameter_apply_plan_clean_and_destroy(ekslite, tmp_path):
    server = ekslite()
    ec2 = boto(server, "ec2")
    configure(tmp_path, CONFIGURATION, server)
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


EKS_CONFIGURATION = """terraform {
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
    autoscaling = "%(url)s"
    ec2         = "%(url)s"
    eks         = "%(url)s"
    iam         = "%(url)s"
    ssm         = "%(url)s"
    sts         = "%(url)s"
  }
}

locals {
  zones = ["us-east-1a", "us-east-1b"]
}

resource "aws_vpc" "main" {
  cidr_block           = "10.0.0.0/16"
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags = {
    Name = "platform"
  }
}

resource "aws_subnet" "public" {
  count                   = 2
  vpc_id                  = aws_vpc.main.id
  cidr_block              = cidrsubnet(aws_vpc.main.cidr_block, 8, count.index)
  availability_zone       = local.zones[count.index]
  map_public_ip_on_launch = true
  tags = {
    Name                     = "public-${local.zones[count.index]}"
    "kubernetes.io/role/elb" = "1"
  }
}

resource "aws_subnet" "private" {
  count             = 2
  vpc_id            = aws_vpc.main.id
  cidr_block        = cidrsubnet(aws_vpc.main.cidr_block, 8, count.index + 10)
  availability_zone = local.zones[count.index]
  tags = {
    Name                              = "private-${local.zones[count.index]}"
    "kubernetes.io/role/internal-elb" = "1"
  }
}

resource "aws_internet_gateway" "main" {
  vpc_id = aws_vpc.main.id
  tags = {
    Name = "platform"
  }
}

resource "aws_eip" "nat" {
  domain = "vpc"
  tags = {
    Name = "platform-nat"
  }
  depends_on = [aws_internet_gateway.main]
}

resource "aws_nat_gateway" "main" {
  allocation_id = aws_eip.nat.id
  subnet_id     = aws_subnet.public[0].id
  tags = {
    Name = "platform"
  }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id
  tags = {
    Name = "public"
  }
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.main.id
}

resource "aws_route_table_association" "public" {
  count          = 2
  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.main.id
  tags = {
    Name = "private"
  }
}

resource "aws_route" "private_nat" {
  route_table_id         = aws_route_table.private.id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.main.id
}

resource "aws_route_table_association" "private" {
  count          = 2
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private.id
}

resource "aws_security_group" "cluster" {
  name        = "platform-cluster"
  description = "Extra rules for the platform control plane"
  vpc_id      = aws_vpc.main.id
  ingress {
    description = "HTTPS from the VPC"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = [aws_vpc.main.cidr_block]
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
  tags = {
    Name = "platform-cluster"
  }
}

resource "aws_iam_role" "cluster" {
  name = "platform-cluster"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "eks.amazonaws.com" }
      Action    = ["sts:AssumeRole", "sts:TagSession"]
    }]
  })
}

resource "aws_iam_role_policy_attachment" "cluster" {
  role       = aws_iam_role.cluster.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
}

resource "aws_iam_role" "node" {
  name = "platform-node"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "node" {
  for_each = toset([
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
  ])
  role       = aws_iam_role.node.name
  policy_arn = each.value
}

resource "aws_iam_role" "fargate" {
  name = "platform-fargate"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "eks-fargate-pods.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "fargate" {
  role       = aws_iam_role.fargate.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonEKSFargatePodExecutionRolePolicy"
}

resource "aws_iam_role" "app" {
  name = "platform-app"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "pods.eks.amazonaws.com" }
      Action    = ["sts:AssumeRole", "sts:TagSession"]
    }]
  })
}

resource "aws_iam_policy" "app" {
  name        = "platform-app-read-config"
  description = "Lets the catalog read its configuration"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["ssm:GetParameter"]
      Resource = "arn:aws:ssm:us-east-1:*:parameter/platform/*"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "app" {
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.app.arn
}

resource "aws_eks_cluster" "main" {
  name     = "platform"
  version  = "1.34"
  role_arn = aws_iam_role.cluster.arn
  vpc_config {
    subnet_ids              = concat(aws_subnet.public[*].id, aws_subnet.private[*].id)
    security_group_ids      = [aws_security_group.cluster.id]
    endpoint_private_access = true
    endpoint_public_access  = true
  }
  access_config {
    authentication_mode                         = "API_AND_CONFIG_MAP"
    bootstrap_cluster_creator_admin_permissions = true
  }
  tags = {
    team = "platform"
  }
  depends_on = [aws_iam_role_policy_attachment.cluster]
}

# IAM gives the provider's URL back without its scheme, as AWS does; the provider compares it to the issuer by parsing
# it as a URL, which fails when the host has a port (`127.0.0.1:<port>/id/...`, where this server's issuer lives), so
# it would plan a replacement every time. Ignoring the attribute is what a user with such an issuer would do.
resource "aws_iam_openid_connect_provider" "cluster" {
  url             = aws_eks_cluster.main.identity[0].oidc[0].issuer
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"]
  lifecycle {
    ignore_changes = [url]
  }
}

resource "aws_launch_template" "node" {
  name_prefix            = "platform-node-"
  vpc_security_group_ids = [aws_eks_cluster.main.vpc_config[0].cluster_security_group_id]
  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size           = 50
      volume_type           = "gp3"
      delete_on_termination = true
      encrypted             = true
    }
  }
  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }
  tag_specifications {
    resource_type = "instance"
    tags = {
      Name = "platform-node"
    }
  }
}

resource "aws_eks_node_group" "main" {
  cluster_name    = aws_eks_cluster.main.name
  node_group_name = "main"
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = aws_subnet.private[*].id
  instance_types  = ["m5.large"]
  scaling_config {
    desired_size = 2
    min_size     = 1
    max_size     = 3
  }
  launch_template {
    id      = aws_launch_template.node.id
    version = aws_launch_template.node.latest_version
  }
  labels = {
    role = "general"
  }
  depends_on = [aws_iam_role_policy_attachment.node]
}

# A self-managed node group as the EKS guide makes one: a role with an instance profile and an EC2_LINUX access
# entry, a launch template whose user data is a nodeadm NodeConfig in a MIME multipart, and an Auto Scaling group.
resource "aws_iam_role" "self_node" {
  name = "platform-self-node"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy_attachment" "self_node" {
  role       = aws_iam_role.self_node.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"
}

resource "aws_iam_instance_profile" "self_node" {
  name = "platform-self-node"
  role = aws_iam_role.self_node.name
}

resource "aws_eks_access_entry" "self_node" {
  cluster_name  = aws_eks_cluster.main.name
  principal_arn = aws_iam_role.self_node.arn
  type          = "EC2_LINUX"
}

data "aws_ssm_parameter" "self_node_ami" {
  name = "/aws/service/eks/optimized-ami/1.34/amazon-linux-2023/x86_64/standard/recommended/image_id"
}

resource "aws_launch_template" "self_node" {
  name_prefix            = "platform-self-node-"
  image_id               = data.aws_ssm_parameter.self_node_ami.insecure_value
  instance_type          = "t3.medium"
  vpc_security_group_ids = [aws_eks_cluster.main.vpc_config[0].cluster_security_group_id]
  iam_instance_profile {
    name = aws_iam_instance_profile.self_node.name
  }
  user_data = base64encode(<<-EOT
    MIME-Version: 1.0
    Content-Type: multipart/mixed; boundary="BOUNDARY"

    --BOUNDARY
    Content-Type: application/node.eks.aws

    ---
    apiVersion: node.eks.aws/v1alpha1
    kind: NodeConfig
    spec:
      cluster:
        name: ${aws_eks_cluster.main.name}
        apiServerEndpoint: ${aws_eks_cluster.main.endpoint}
        certificateAuthority: ${aws_eks_cluster.main.certificate_authority[0].data}
      kubelet:
        flags:
          - --node-labels=role=self-managed

    --BOUNDARY--
    EOT
  )
}

resource "aws_autoscaling_group" "self_node" {
  name                = "platform-self-nodes"
  min_size            = 1
  max_size            = 3
  desired_capacity    = 2
  vpc_zone_identifier = aws_subnet.private[*].id
  launch_template {
    id      = aws_launch_template.self_node.id
    version = "$Latest"
  }
  tag {
    key                 = "kubernetes.io/cluster/platform"
    value               = "owned"
    propagate_at_launch = true
  }
  tag {
    key                 = "Name"
    value               = "platform-self-node"
    propagate_at_launch = true
  }
  depends_on = [aws_eks_access_entry.self_node, aws_iam_role_policy_attachment.self_node]
}

resource "aws_eks_fargate_profile" "system" {
  cluster_name           = aws_eks_cluster.main.name
  fargate_profile_name   = "system"
  pod_execution_role_arn = aws_iam_role.fargate.arn
  subnet_ids             = aws_subnet.private[*].id
  selector {
    namespace = "batch"
    labels = {
      compute = "fargate"
    }
  }
  depends_on = [aws_iam_role_policy_attachment.fargate]
}

resource "aws_eks_addon" "vpc_cni" {
  cluster_name = aws_eks_cluster.main.name
  addon_name   = "vpc-cni"
}

resource "aws_eks_addon" "kube_proxy" {
  cluster_name = aws_eks_cluster.main.name
  addon_name   = "kube-proxy"
}

resource "aws_iam_user" "admin" {
  name = "platform-admin"
}

resource "aws_eks_access_entry" "admin" {
  cluster_name  = aws_eks_cluster.main.name
  principal_arn = aws_iam_user.admin.arn
  type          = "STANDARD"
}

resource "aws_eks_access_policy_association" "admin" {
  cluster_name  = aws_eks_cluster.main.name
  principal_arn = aws_eks_access_entry.admin.principal_arn
  policy_arn    = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
  access_scope {
    type = "cluster"
  }
}

resource "aws_eks_pod_identity_association" "app" {
  cluster_name    = aws_eks_cluster.main.name
  namespace       = "shop"
  service_account = "catalog"
  role_arn        = aws_iam_role.app.arn
}

resource "aws_ssm_parameter" "cluster_endpoint" {
  name  = "/platform/eks/endpoint"
  type  = "String"
  value = aws_eks_cluster.main.endpoint
}

output "cluster_endpoint" {
  value = aws_eks_cluster.main.endpoint
}

output "nat_gateway_id" {
  value = aws_nat_gateway.main.id
}

output "launch_template_id" {
  value = aws_launch_template.node.id
}

output "cluster_name" {
  value = aws_eks_cluster.main.name
}

output "vpc_id" {
  value = aws_vpc.main.id
}

output "oidc_provider_arn" {
  value = aws_iam_openid_connect_provider.cluster.arn
}
"""

# The names of what the EKS stack creates in IAM.
STACK_ROLES = {"platform-cluster", "platform-node", "platform-fargate", "platform-app", "platform-self-node"}


def test_an_eks_stack_with_its_network_roles_node_group_fargate_addons_and_access_applies_plans_clean_and_destroys(
        ekslite, tmp_path):
    server = ekslite()
    ec2, eks, iam = boto(server, "ec2"), boto(server, "eks"), boto(server, "iam")
    configure(tmp_path, EKS_CONFIGURATION, server)
    vpcs_before = {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]}

    succeeds(tmp_path, "init")
    succeeds(tmp_path, "apply", "-auto-approve")
    outputs = {name: value["value"] for name, value in json.loads(succeeds(tmp_path, "output", "-json")).items()}
    vpc_id = outputs["vpc_id"]

    cluster = eks.describe_cluster(name="platform")["cluster"]
    assert (cluster["status"], cluster["version"]) == ("ACTIVE", "1.34")
    assert cluster["accessConfig"]["authenticationMode"] == "API_AND_CONFIG_MAP"
    assert cluster["resourcesVpcConfig"]["vpcId"] == vpc_id and len(cluster["resourcesVpcConfig"]["subnetIds"]) == 4
    nodegroup = eks.describe_nodegroup(clusterName="platform", nodegroupName="main")["nodegroup"]
    assert nodegroup["status"] == "ACTIVE" and nodegroup["launchTemplate"]["id"] == outputs["launch_template_id"]
    assert nodegroup["scalingConfig"] == {"minSize": 1, "maxSize": 3, "desiredSize": 2}
    [version] = ec2.describe_launch_template_versions(LaunchTemplateId=outputs["launch_template_id"],
                                                      Versions=["$Latest"])["LaunchTemplateVersions"]
    [device] = version["LaunchTemplateData"]["BlockDeviceMappings"]
    assert device["DeviceName"] == "/dev/xvda" and device["Ebs"]["VolumeSize"] == 50
    assert (device["Ebs"]["VolumeType"], device["Ebs"]["Encrypted"]) == ("gp3", True)
    metadata = version["LaunchTemplateData"]["MetadataOptions"]
    assert (metadata["HttpTokens"], metadata["HttpPutResponseHopLimit"]) == ("required", 2)
    profile = eks.describe_fargate_profile(clusterName="platform", fargateProfileName="system")["fargateProfile"]
    assert profile["status"] == "ACTIVE" and profile["selectors"] == [
        {"namespace": "batch", "labels": {"compute": "fargate"}}]
    assert sorted(eks.list_addons(clusterName="platform")["addons"]) == ["kube-proxy", "vpc-cni"]
    admin = iam.get_user(UserName="platform-admin")["User"]["Arn"]
    policies = eks.list_associated_access_policies(clusterName="platform", principalArn=admin)["associatedAccessPolicies"]
    assert [p["policyArn"] for p in policies] == [
        "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"]
    [association] = eks.list_pod_identity_associations(clusterName="platform")["associations"]
    assert (association["namespace"], association["serviceAccount"]) == ("shop", "catalog")
    provider = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=outputs["oidc_provider_arn"])
    assert "https://" + provider["Url"] == cluster["identity"]["oidc"]["issuer"]
    [nat] = ec2.describe_nat_gateways(NatGatewayIds=[outputs["nat_gateway_id"]])["NatGateways"]
    assert nat["State"] == "available" and nat["VpcId"] == vpc_id
    ssm = boto(server, "ssm")
    assert ssm.get_parameter(Name="/platform/eks/endpoint")["Parameter"]["Value"] == outputs["cluster_endpoint"]

    # The self-managed group's instances join the cluster as Nodes, without a node group label.
    autoscaling = boto(server, "autoscaling")
    [group] = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["platform-self-nodes"])["AutoScalingGroups"]
    assert len(group["Instances"]) == 2 and group["LaunchTemplate"]["Version"] == "$Latest"
    config = run_ekslite("kubeconfig", "platform.us-east-1.000000000000", "--endpoint", server.url)
    assert config.returncode == 0, config.stderr
    kubeconfig = tmp_path / "platform.kubeconfig"
    kubeconfig.write_text(config.stdout)
    admin_cluster = Cluster(server, "platform.us-east-1.000000000000", kubeconfig)

    def self_managed_nodes():
        nodes = json.loads(admin_cluster.kubectl("get", "nodes", "-l", "role=self-managed", "-o", "json").stdout)
        return [n for n in nodes["items"] if any(c["type"] == "Ready" and c["status"] == "True"
                                                 for c in n["status"].get("conditions", []))]

    wait_until(lambda: len(self_managed_nodes()) == 2, "the self-managed group's two nodes Ready")
    members = {i["InstanceId"] for i in group["Instances"]}
    for node in self_managed_nodes():
        assert node["spec"]["providerID"].rsplit("/", 1)[1] in members
        assert "eks.amazonaws.com/nodegroup" not in node["metadata"]["labels"]

    # A second plan finds nothing to change: what the provider reads back is what it wrote.
    plan = terraform(tmp_path, "plan", "-detailed-exitcode")
    assert plan.returncode == 0, f"the plan is not clean:\n{plan.stdout}\n{plan.stderr}"

    # Destroy leaves nothing of the stack: no cluster, no VPC but the ones there before, none of its IAM roles,
    # policies, users or OIDC providers, no Elastic IP, launch template or parameter.
    succeeds(tmp_path, "destroy", "-auto-approve")
    assert eks.list_clusters()["clusters"] == []
    assert {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]} == vpcs_before
    assert {r["RoleName"] for r in iam.list_roles()["Roles"]} & STACK_ROLES == set()
    assert iam.list_policies(Scope="Local")["Policies"] == []
    assert iam.list_users()["Users"] == []
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []
    assert ec2.describe_addresses()["Addresses"] == []
    assert ec2.describe_launch_templates()["LaunchTemplates"] == []
    assert ssm.describe_parameters()["Parameters"] == []
    assert autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"] == []
    assert iam.list_instance_profiles()["InstanceProfiles"] == []
