"""What EKS checks before it creates: the roles in IAM (they exist, trust the right service, and node roles carry
the worker policies), the subnets and security groups in EC2 (they exist, share the cluster's VPC, span two
zones, and are private for Fargate), quotas and in-use resources, each refused with EKS's code, message and HTTP
status and leaving nothing behind. Also garbage on the EKS front, and the whole AWS side surviving a restart."""

import json
import signal
import subprocess
import urllib.parse

import boto3

from conftest import AWS_POLICY, DEADLINE_SECONDS, aws_env, boto, eks_prereqs_for, trust
from test_eks import raw
from test_eks_nodegroups import error_of, make_cluster, signed_headers, subnets_of

ASSUME = "could not be assumed because it does not exist or the trusted entity is not correct"
NODE_POLICIES = ("The provided role doesn't have the Amazon EKS Managed Policies associated with it. Please ensure "
                 "the following policies [arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy, "
                 "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly] are attached")


def make_role(server, name, service, policies=()):
    iam = boto(server, "iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust(service)))["Role"]["Arn"]
    for policy in policies:
        iam.attach_role_policy(RoleName=name, PolicyArn=AWS_POLICY + policy)
    return arn


def other_network(server):
    """A second VPC with a subnet in each of two zones and a security group."""
    ec2 = boto(server, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
               for i, zone in enumerate(["us-east-1a", "us-east-1b"])]
    group = ec2.create_security_group(GroupName="elsewhere", Description="d", VpcId=vpc)["GroupId"]
    return vpc, subnets, group


def cluster_refusals(server, net):
    ec2 = boto(server, "ec2")
    one_zone = ec2.create_subnet(VpcId=net.vpc, CidrBlock="10.0.10.0/24", AvailabilityZone="us-east-1a")
    one_zone = one_zone["Subnet"]["SubnetId"]
    _, elsewhere, foreign_group = other_network(server)
    untrusting = make_role(server, "untrusting", "ec2.amazonaws.com", ["AmazonEKSClusterPolicy"])
    missing = "arn:aws:iam::000000000000:role/missing"
    return [
        ({"resourcesVpcConfig": {"subnetIds": [net.subnets[0], one_zone]}},
         "Subnets specified must be in at least two different AZs"),
        ({"resourcesVpcConfig": {"subnetIds": [net.subnets[0]]}}, "Subnets specified must be in at least two different AZs"),
        ({"roleArn": untrusting}, f"Role with arn: {untrusting}, {ASSUME}"),
        ({"roleArn": missing}, f"Role with arn: {missing}, {ASSUME}"),
        ({"roleArn": "arn:aws:iam::123456789012:role/eks-cluster"},
         f"Role with arn: arn:aws:iam::123456789012:role/eks-cluster, {ASSUME}"),
        ({"resourcesVpcConfig": {"subnetIds": [net.subnets[0], "subnet-0123456789abcdef0"]}},
         "The subnet ID 'subnet-0123456789abcdef0' does not exist (Service: AmazonEC2; Status Code: 400; "
         "Error Code: InvalidSubnetID.NotFound; Request ID: "),
        ({"resourcesVpcConfig": {"subnetIds": [net.subnets[0], elsewhere[1]]}},
         "Subnets specified must belong to the same VPC"),
        ({"resourcesVpcConfig": {"subnetIds": net.subnets, "securityGroupIds": ["sg-0123456789abcdef0"]}},
         "The security group 'sg-0123456789abcdef0' does not exist"),
        ({"resourcesVpcConfig": {"subnetIds": net.subnets, "securityGroupIds": [foreign_group]}},
         f"Security group(s) [{foreign_group}] are not in the same VPC as the subnets."),
    ]


def test_clusters_are_refused_for_their_roles_and_networks(aws, eks_prereqs):
    client = boto(aws.server)
    for change, message in cluster_refusals(aws.server, eks_prereqs):
        request = {"name": "refused", "roleArn": eks_prereqs.cluster_role, "resourcesVpcConfig": eks_prereqs.resources}
        request.update(change)
        code, got, status = error_of(client.create_cluster, **request)
        assert (code, status) == ("InvalidParameterException", 400), (change, got)
        assert got.startswith(message), (change, got)
    assert client.list_clusters()["clusters"] == []
    groups = boto(aws.server, "ec2").describe_security_groups()["SecurityGroups"]
    assert not [g for g in groups if g["GroupName"].startswith("eks-")], "no cluster security group was left"

    # The aws CLI reports the same refusal.
    one_zone = aws("eks", "create-cluster", "--name", "cli", "--role-arn", eks_prereqs.cluster_role,
                   "--resources-vpc-config", f"subnetIds={eks_prereqs.subnets[0]}", check=False)
    assert one_zone.returncode != 0
    assert "InvalidParameterException" in one_zone.stderr
    assert "Subnets specified must be in at least two different AZs" in one_zone.stderr

    # With a security group of its VPC, the cluster is created and keeps it beside its own.
    group = boto(aws.server, "ec2").create_security_group(GroupName="extra", Description="d",
                                                          VpcId=eks_prereqs.vpc)["GroupId"]
    created = client.create_cluster(name="ok", roleArn=eks_prereqs.cluster_role,
                                    resourcesVpcConfig=dict(eks_prereqs.resources, securityGroupIds=[group]))
    vpc = created["cluster"]["resourcesVpcConfig"]
    assert vpc["vpcId"] == eks_prereqs.vpc and vpc["securityGroupIds"] == [group]
    assert vpc["clusterSecurityGroupId"] not in ("", group)


def test_node_groups_and_fargate_profiles_are_refused_for_their_roles_and_subnets(aws, eks_prereqs):
    client = boto(aws.server)
    make_cluster(client)
    server = aws.server
    bare = make_role(server, "bare-node", "ec2.amazonaws.com", ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy"])
    lambda_role = make_role(server, "lambda-node", "lambda.amazonaws.com",
                            ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly"])
    _, elsewhere, _ = other_network(server)
    nodegroup = {"clusterName": "demo", "nodegroupName": "ng", "subnets": eks_prereqs.subnets[:1],
                 "nodeRole": eks_prereqs.node_role}
    cases = [
        ({"nodeRole": bare}, NODE_POLICIES),
        ({"nodeRole": lambda_role}, "Following required service principals [ec2.amazonaws.com] were not found in "
                                    f"the trust relationships of nodeRole {lambda_role}"),
        ({"nodeRole": "arn:aws:iam::000000000000:role/nope"},
         f"Role with arn: arn:aws:iam::000000000000:role/nope, {ASSUME}"),
        ({"subnets": ["subnet-0123456789abcdef0"]}, "The subnet ID 'subnet-0123456789abcdef0' does not exist"),
        ({"subnets": elsewhere[:1]}, f"Specified subnets must belong to cluster's vpc {eks_prereqs.vpc}"),
    ]
    for change, message in cases:
        code, got, status = error_of(client.create_nodegroup, **dict(nodegroup, **change))
        assert (code, status) == ("InvalidParameterException", 400) and got.startswith(message), (change, got)
    assert client.list_nodegroups(clusterName="demo")["nodegroups"] == []

    # The CNI policy may live on the aws-node service account's IRSA role instead: EKS does not ask for it.
    no_cni = make_role(server, "no-cni-node", "ec2.amazonaws.com",
                       ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly"])
    assert client.create_nodegroup(**dict(nodegroup, nodeRole=no_cni))["nodegroup"]["nodeRole"] == no_cni

    ec2 = boto(server, "ec2")
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=eks_prereqs.vpc)
    public = ec2.create_subnet(VpcId=eks_prereqs.vpc, CidrBlock="10.0.20.0/24",
                               AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    table = ec2.create_route_table(VpcId=eks_prereqs.vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
    ec2.associate_route_table(RouteTableId=table, SubnetId=public)
    profile = {"clusterName": "demo", "fargateProfileName": "fp", "podExecutionRoleArn": eks_prereqs.pod_role,
               "selectors": [{"namespace": "default"}]}
    cases = [
        ({"podExecutionRoleArn": eks_prereqs.node_role},
         "Following required service principals [eks-fargate-pods.amazonaws.com] were not found in the trust "
         f"relationships of podExecutionRoleArn {eks_prereqs.node_role}"),
        ({"podExecutionRoleArn": "arn:aws:iam::000000000000:role/nope"}, "Role with arn: "),
        ({"subnets": [public]}, f"Subnet {public} provided in Fargate Profile is not a private subnet"),
        ({"subnets": elsewhere[:1]}, "Specified subnets must belong to cluster's vpc"),
        ({"subnets": ["subnet-nope"]}, "The subnet ID 'subnet-nope' does not exist"),
    ]
    for change, message in cases:
        code, got, status = error_of(client.create_fargate_profile, **dict(profile, **change))
        assert (code, status) == ("InvalidParameterException", 400) and got.startswith(message), (change, got)
    assert client.list_fargate_profiles(clusterName="demo")["fargateProfileNames"] == []
    assert client.create_fargate_profile(**profile)["fargateProfile"]["subnets"] == eks_prereqs.subnets


def test_a_cluster_with_node_groups_is_in_use(aws):
    client = boto(aws.server)
    make_cluster(client)
    client.create_nodegroup(clusterName="demo", nodegroupName="ng", subnets=subnets_of(client)[:1],
                            nodeRole=eks_prereqs_for(aws.server).node_role)
    assert error_of(client.delete_cluster, name="demo") == (
        "ResourceInUseException", "Cluster has nodegroups attached", 409)
    assert client.describe_cluster(name="demo")["cluster"]["status"] == "ACTIVE"


def test_the_cluster_quota_per_region(ekslite):
    server = ekslite(args=["--max-clusters", "2"])
    client = boto(server)
    net = eks_prereqs_for(server)
    for name in ["one", "two"]:
        client.create_cluster(name=name, roleArn=net.cluster_role, resourcesVpcConfig=net.resources)
    assert error_of(client.create_cluster, name="three", roleArn=net.cluster_role,
                    resourcesVpcConfig=net.resources) == (
        "ResourceLimitExceededException",
        "Cannot create cluster three because us-east-1 already has the maximum number of clusters (2)", 400)
    ireland = eks_prereqs_for(server, region="eu-west-1")
    boto(server, region="eu-west-1").create_cluster(name="three", roleArn=ireland.cluster_role,
                                                     resourcesVpcConfig=ireland.resources)
    assert client.list_clusters()["clusters"] == ["one", "two"]


def test_garbage_on_the_eks_front_changes_nothing(aws, eks_prereqs):
    client = boto(aws.server)
    make_cluster(client)
    headers = signed_headers()
    request = {"name": "x", "roleArn": eks_prereqs.cluster_role, "resourcesVpcConfig": eks_prereqs.resources}
    cases = [
        (b'{"name": "x", "roleArn": ', 400, "BadRequestException"),
        (json.dumps(dict(request, resourcesVpcConfig={"subnetIds": "subnet-a"})).encode(), 400,
         "InvalidParameterException"),
        (json.dumps(dict(request, tags=["a"])).encode(), 400, "InvalidParameterException"),
        (json.dumps({"name": "x", "roleArn": eks_prereqs.cluster_role}).encode(), 400, "InvalidParameterException"),
        (json.dumps({"name": "x", "resourcesVpcConfig": eks_prereqs.resources}).encode(), 400,
         "InvalidParameterException"),
        (b"\xff\xfe", 400, "BadRequestException"),
    ]
    for body, status, code in cases:
        got, reply_headers, data = raw(aws.server, "POST", "/clusters", body, headers)
        assert (got, reply_headers.get("x-amzn-errortype")) == (status, code), (body, data)
        assert "message" in json.loads(data)

    too_large = raw(aws.server, "POST", "/clusters", b"{" + b" " * (16 * 1024 * 1024) + b"}", headers)
    assert too_large[0] == 413

    # A key IAM issued is checked: the wrong secret is refused as AWS refuses it.
    iam = boto(aws.server, "iam")
    iam.create_user(UserName="alice")
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    forged = boto3.client("eks", endpoint_url=aws.server.url, region_name="us-east-1",
                          aws_access_key_id=key["AccessKeyId"], aws_secret_access_key="not-the-secret")
    code, message, status = error_of(forged.create_cluster, **request)
    assert (code, status) == ("InvalidSignatureException", 403), message
    assert client.list_clusters()["clusters"] == ["demo"]


def test_the_aws_side_survives_a_restart(ekslite, tmp_path):
    data_dir = tmp_path / "state"
    server = ekslite(data_dir=data_dir)
    net = eks_prereqs_for(server)
    iam = boto(server, "iam")
    iam.put_role_policy(RoleName="eks-node", PolicyName="read", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))
    iam.create_user(UserName="alice")
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    client = boto(server)
    client.create_cluster(name="demo", roleArn=net.cluster_role, resourcesVpcConfig=net.resources,
                          accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"}, tags={"team": "a"})
    client.get_waiter("cluster_active").wait(name="demo")
    cluster = client.describe_cluster(name="demo")["cluster"]
    issuer = cluster["identity"]["oidc"]["issuer"]
    provider = iam.create_open_id_connect_provider(Url=issuer, ClientIDList=["sts.amazonaws.com"])
    provider = provider["OpenIDConnectProviderArn"]
    client.create_nodegroup(clusterName="demo", nodegroupName="ng", subnets=net.subnets[:2], nodeRole=net.node_role)
    client.create_fargate_profile(clusterName="demo", fargateProfileName="fp", podExecutionRoleArn=net.pod_role,
                                  selectors=[{"namespace": "serverless"}])
    client.create_addon(clusterName="demo", addonName="vpc-cni")
    alice = "arn:aws:iam::000000000000:user/alice"
    client.create_access_entry(clusterName="demo", principalArn=alice, kubernetesGroups=["devs"])
    kubeconfig = tmp_path / "kubeconfig"
    updated = subprocess.run(["aws", "eks", "update-kubeconfig", "--name", "demo", "--kubeconfig", str(kubeconfig)],
                             capture_output=True, text=True, env=aws_env(server, tmp_path), timeout=DEADLINE_SECONDS)
    assert updated.returncode == 0, updated.stderr

    assert server.stop(signal.SIGTERM) == 0
    server = ekslite(data_dir=data_dir, port=server.port)
    client = boto(server)
    iam = boto(server, "iam")
    ec2 = boto(server, "ec2")

    assert ec2.describe_vpcs(VpcIds=[net.vpc])["Vpcs"][0]["CidrBlock"] == "10.0.0.0/16"
    subnets = ec2.describe_subnets(SubnetIds=net.subnets)["Subnets"]
    assert sorted(s["AvailabilityZone"] for s in subnets) == ["us-east-1a", "us-east-1b", "us-east-1c"]
    group = ec2.describe_security_groups(GroupIds=[cluster["resourcesVpcConfig"]["clusterSecurityGroupId"]])
    assert group["SecurityGroups"][0]["VpcId"] == net.vpc
    attached = iam.list_attached_role_policies(RoleName="eks-node")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == [
        "AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly", "AmazonEKS_CNI_Policy"]
    assert iam.list_role_policies(RoleName="eks-node")["PolicyNames"] == ["read"]
    assert iam.get_role(RoleName="eks-cluster")["Role"]["AssumeRolePolicyDocument"] == trust("eks.amazonaws.com")
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=provider)["ClientIDList"] == ["sts.amazonaws.com"]
    as_alice = boto3.client("sts", endpoint_url=server.url, region_name="us-east-1",
                            aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    assert as_alice.get_caller_identity()["Arn"] == alice

    described = client.describe_cluster(name="demo")["cluster"]
    assert (described["status"], described["tags"], described["endpoint"]) == ("ACTIVE", {"team": "a"},
                                                                                cluster["endpoint"])
    assert described["resourcesVpcConfig"]["vpcId"] == net.vpc
    assert client.describe_nodegroup(clusterName="demo", nodegroupName="ng")["nodegroup"]["status"] == "ACTIVE"
    assert client.describe_fargate_profile(clusterName="demo", fargateProfileName="fp")["fargateProfile"][
        "selectors"] == [{"namespace": "serverless", "labels": {}}]
    assert client.describe_addon(clusterName="demo", addonName="vpc-cni")["addon"]["status"] == "ACTIVE"
    assert client.describe_access_entry(clusterName="demo", principalArn=alice)["accessEntry"][
        "kubernetesGroups"] == ["devs"]
    assert client.list_tags_for_resource(resourceArn=cluster["arn"])["tags"] == {"team": "a"}

    namespaces = subprocess.run(["kubectl", "--kubeconfig", str(kubeconfig), "get", "namespaces", "-o", "name"],
                                capture_output=True, text=True, env=aws_env(server, tmp_path),
                                timeout=DEADLINE_SECONDS)
    assert namespaces.returncode == 0, namespaces.stderr
    assert "namespace/kube-system" in namespaces.stdout.split()
    assert urllib.parse.urlparse(described["endpoint"]).hostname == "127.0.0.1"
