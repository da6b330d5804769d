"""EKS Auto Mode on the EKS API and in the cluster: `create-cluster` with `--compute-config`, `--storage-config` and
`--kubernetes-network-config` (all three enabled or none, the built-in node pools, a node role that exists), the
node role's access entry of type `EC2` with `AmazonEKSAutoNodePolicy`, `update-cluster-config` turning Auto Mode on
for an existing cluster (one `AutoModeUpdate`), EKS's errors for wrong or garbage settings, Auto Mode's EBS driver
registered in the cluster, a Service of class `eks.amazonaws.com/nlb` getting its NLB only while Auto Mode load
balancing is on, an Ingress of class `eks.amazonaws.com/alb` getting an ALB from Auto Mode (its IngressClassParams
CRD, the schema refusing a wrong scheme, traffic through the loopback listener to the pods), and Terraform's
`aws_eks_cluster` with Auto Mode applied, planned clean and destroyed."""

import datetime
import http.client
import json
import urllib.request

import pytest

from conftest import AWS_POLICY, Cluster, boto, run_ekslite, wait_until
from test_eks import raw
from test_terraform import configure, needs_terraform, succeeds, terraform

AUTO_NODE_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAutoNodePolicy"
AUTO_POLICIES = ["AmazonEKSAutoNodePolicy", "AmazonEKSBlockStoragePolicy", "AmazonEKSComputePolicy",
                 "AmazonEKSLoadBalancingPolicy", "AmazonEKSNetworkingPolicy"]
CLUSTER_POLICIES = ["AmazonEKSClusterPolicy", "AmazonEKSComputePolicy", "AmazonEKSBlockStoragePolicy",
                    "AmazonEKSLoadBalancingPolicy", "AmazonEKSNetworkingPolicy"]


def auto_cluster_trust():
    """The cluster role's trust policy Auto Mode needs: EKS may assume it and tag its sessions."""
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"},
                                                    "Action": ["sts:AssumeRole", "sts:TagSession"]}]}


def node_trust():
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                    "Action": "sts:AssumeRole"}]}


class AutoPrereqs:
    """A VPC with subnets in three zones, an Auto Mode cluster role and an Auto Mode node role."""

    def __init__(self, server):
        ec2, iam = boto(server, "ec2"), boto(server, "iam")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:3]
        self.subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=zone)["Subnet"][
            "SubnetId"] for i, zone in enumerate(zones)]
        self.cluster_role = iam.create_role(RoleName="AmazonEKSAutoClusterRole",
                                            AssumeRolePolicyDocument=json.dumps(auto_cluster_trust()))["Role"]["Arn"]
        for policy in CLUSTER_POLICIES:
            iam.attach_role_policy(RoleName="AmazonEKSAutoClusterRole", PolicyArn=AWS_POLICY + policy)
        self.node_role = iam.create_role(RoleName="AmazonEKSAutoNodeRole",
                                         AssumeRolePolicyDocument=json.dumps(node_trust()))["Role"]["Arn"]
        for policy in ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly"]:
            iam.attach_role_policy(RoleName="AmazonEKSAutoNodeRole", PolicyArn=AWS_POLICY + policy)

    @property
    def vpc_config(self):
        return "subnetIds=" + ",".join(self.subnets)

    def compute(self, pools="general-purpose,system"):
        return f"enabled=true,nodePools={pools},nodeRoleArn={self.node_role}"

    def request(self, name, **extra):
        """A boto3 CreateCluster request with Auto Mode on, changed by `extra`."""
        request = {
            "name": name, "roleArn": self.cluster_role, "resourcesVpcConfig": {"subnetIds": list(self.subnets)},
            "computeConfig": {"enabled": True, "nodePools": ["general-purpose", "system"],
                              "nodeRoleArn": self.node_role},
            "kubernetesNetworkConfig": {"elasticLoadBalancing": {"enabled": True}},
            "storageConfig": {"blockStorage": {"enabled": True}},
            "accessConfig": {"authenticationMode": "API"},
            "bootstrapSelfManagedAddons": False,
        }
        request.update(extra)
        return request


@pytest.fixture
def prereqs(aws):
    return AutoPrereqs(aws.server)


def kubeconfig_of(server, eks_name, directory):
    name = f"{eks_name}.us-east-1.000000000000"
    config = run_ekslite("kubeconfig", name, "--endpoint", server.url)
    assert config.returncode == 0, config.stderr
    path = directory / f"{eks_name}.kubeconfig"
    path.write_text(config.stdout)
    return Cluster(server, name, path)


def create_auto_mode_cluster(aws, prereqs, name="auto"):
    return aws("eks", "create-cluster", "--name", name, "--role-arn", prereqs.cluster_role,
               "--resources-vpc-config", prereqs.vpc_config,
               "--compute-config", prereqs.compute(),
               "--kubernetes-network-config", json.dumps({"elasticLoadBalancing": {"enabled": True}}),
               "--storage-config", json.dumps({"blockStorage": {"enabled": True}}),
               "--access-config", "authenticationMode=API",
               "--no-bootstrap-self-managed-addons")["cluster"]


def test_an_auto_mode_cluster_from_the_aws_cli(aws, prereqs, tmp_path):
    created = create_auto_mode_cluster(aws, prereqs)
    assert created["computeConfig"] == {"enabled": True, "nodePools": ["general-purpose", "system"],
                                        "nodeRoleArn": prereqs.node_role}
    aws("eks", "wait", "cluster-active", "--name", "auto")
    described = aws("eks", "describe-cluster", "--name", "auto")["cluster"]
    assert described["computeConfig"] == created["computeConfig"]
    assert described["storageConfig"] == {"blockStorage": {"enabled": True}}
    assert described["kubernetesNetworkConfig"]["elasticLoadBalancing"] == {"enabled": True}
    assert described["accessConfig"]["authenticationMode"] == "API"

    # The node role has an access entry of type EC2 holding AmazonEKSAutoNodePolicy, beside the creator's.
    entries = aws("eks", "list-access-entries", "--cluster-name", "auto")["accessEntries"]
    assert prereqs.node_role in entries and len(entries) == 2, entries
    entry = aws("eks", "describe-access-entry", "--cluster-name", "auto",
                "--principal-arn", prereqs.node_role)["accessEntry"]
    assert (entry["type"], entry["username"], entry["kubernetesGroups"]) == (
        "EC2", "system:node:{{EC2PrivateDNSName}}", [])
    policies = aws("eks", "list-associated-access-policies", "--cluster-name", "auto",
                   "--principal-arn", prereqs.node_role)["associatedAccessPolicies"]
    assert [(p["policyArn"], p["accessScope"]["type"]) for p in policies] == [(AUTO_NODE_POLICY, "cluster")]
    listed = {p["name"] for p in aws("eks", "list-access-policies")["accessPolicies"]}
    assert set(AUTO_POLICIES) <= listed

    # The cluster lists Auto Mode's EBS driver.
    cluster = kubeconfig_of(aws.server, "auto", tmp_path)
    wait_until(lambda: "ebs.csi.eks.amazonaws.com" in cluster.kubectl("get", "csidriver", "-o", "name").stdout,
               "Auto Mode's CSIDriver")

    # A cluster without Auto Mode shows none of its compute or storage settings.
    aws("eks", "create-cluster", "--name", "plain", "--role-arn", prereqs.cluster_role,
        "--resources-vpc-config", prereqs.vpc_config)
    plain = aws("eks", "describe-cluster", "--name", "plain")["cluster"]
    assert "computeConfig" not in plain and "storageConfig" not in plain
    assert plain["kubernetesNetworkConfig"]["elasticLoadBalancing"] == {"enabled": False}


@pytest.mark.parametrize("change, message", [
    ({"storageConfig": {"blockStorage": {"enabled": False}}}, "fully enabled or fully disabled"),
    ({"kubernetesNetworkConfig": {}}, "fully enabled or fully disabled"),
    ({"computeConfig": {"enabled": True, "nodePools": ["gpu"], "nodeRoleArn": "NODE"}}, "nodePools"),
    ({"computeConfig": {"enabled": True, "nodePools": ["system"]}}, "nodeRoleArn is required"),
    ({"computeConfig": {"enabled": False, "nodeRoleArn": "NODE"}, "storageConfig": {"blockStorage": {"enabled": False}},
      "kubernetesNetworkConfig": {"elasticLoadBalancing": {"enabled": False}}}, "only be specified when"),
    ({"accessConfig": {"authenticationMode": "CONFIG_MAP"}}, "API or API_AND_CONFIG_MAP"),
    ({"computeConfig": {"enabled": True, "nodePools": ["system"],
                        "nodeRoleArn": "arn:aws:iam::000000000000:role/missing"}}, "could not be assumed"),
])
def test_wrong_auto_mode_settings_get_eks_errors_and_create_nothing(aws, prereqs, change, message):
    eks = boto(aws.server)
    if "computeConfig" in change:
        change["computeConfig"] = {k: (prereqs.node_role if v == "NODE" else v)
                                   for k, v in change["computeConfig"].items()}
    with pytest.raises(eks.exceptions.InvalidParameterException) as refused:
        eks.create_cluster(**prereqs.request("wrong", **change))
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert message in refused.value.response["Error"]["Message"]
    assert eks.list_clusters()["clusters"] == []


def test_a_cluster_role_that_does_not_allow_session_tags_is_refused(aws, prereqs):
    iam, eks = boto(aws.server, "iam"), boto(aws.server)
    plain_role = iam.create_role(RoleName="plain-cluster", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    with pytest.raises(eks.exceptions.InvalidParameterException) as refused:
        eks.create_cluster(**prereqs.request("untagged", roleArn=plain_role))
    assert "sts:TagSession" in refused.value.response["Error"]["Message"]
    assert eks.list_clusters()["clusters"] == []


def test_garbage_and_oversized_compute_configs_are_invalid_parameters(aws, prereqs):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    signed = {
        "Authorization": f"AWS4-HMAC-SHA256 Credential=test/{now[:8]}/us-east-1/eks/aws4_request, "
                         "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
        "X-Amz-Date": now,
        "Content-Type": "application/json",
    }
    base = prereqs.request("garbage")
    for compute in ["yes", {"enabled": "true"}, {"nodePools": "system"}, {"nodePools": [1, 2]},
                    {"enabled": True, "nodePools": ["general-purpose"] * 5000, "nodeRoleArn": prereqs.node_role},
                    {"enabled": True, "nodePools": ["x" * 100_000], "nodeRoleArn": prereqs.node_role}]:
        body = json.dumps(dict(base, computeConfig=compute)).encode()
        status, headers, data = raw(aws.server, "POST", "/clusters", body, signed)
        assert (status, headers.get("x-amzn-errortype")) == (400, "InvalidParameterException"), (compute, data[:200])
        assert "message" in json.loads(data)
    assert aws("eks", "list-clusters")["clusters"] == []


def test_update_cluster_config_turns_auto_mode_on_for_an_existing_cluster(aws, prereqs):
    aws("eks", "create-cluster", "--name", "later", "--role-arn", prereqs.cluster_role,
        "--resources-vpc-config", prereqs.vpc_config, "--access-config", "authenticationMode=API")
    aws("eks", "wait", "cluster-active", "--name", "later")
    update = aws("eks", "update-cluster-config", "--name", "later",
                 "--compute-config", prereqs.compute(),
                 "--kubernetes-network-config", json.dumps({"elasticLoadBalancing": {"enabled": True}}),
                 "--storage-config", json.dumps({"blockStorage": {"enabled": True}}))["update"]
    assert update["type"] == "AutoModeUpdate"
    params = {p["type"]: json.loads(p["value"]) for p in update["params"]}
    assert params == {
        "ComputeConfig": {"enabled": True, "nodePools": ["general-purpose", "system"],
                          "nodeRoleArn": prereqs.node_role},
        "StorageConfig": {"blockStorage": {"enabled": True}},
        "KubernetesNetworkConfig": {"elasticLoadBalancing": {"enabled": True}},
    }
    aws("eks", "wait", "cluster-active", "--name", "later")
    described_update = aws("eks", "describe-update", "--name", "later", "--update-id", update["id"])["update"]
    assert described_update["status"] == "Successful"
    assert update["id"] in aws("eks", "list-updates", "--name", "later")["updateIds"]
    described = aws("eks", "describe-cluster", "--name", "later")["cluster"]
    assert described["computeConfig"]["enabled"] and described["storageConfig"]["blockStorage"]["enabled"]
    assert described["kubernetesNetworkConfig"]["elasticLoadBalancing"]["enabled"]
    entry = aws("eks", "describe-access-entry", "--cluster-name", "later",
                "--principal-arn", prereqs.node_role)["accessEntry"]
    assert entry["type"] == "EC2"

    # Half of Auto Mode is refused; so is another node role once compute is on.
    half = aws("eks", "update-cluster-config", "--name", "later",
               "--storage-config", json.dumps({"blockStorage": {"enabled": False}}), check=False)
    assert half.returncode != 0 and "InvalidParameterException" in half.stderr, half.stderr
    other_role = prereqs.node_role.replace("AmazonEKSAutoNodeRole", "other")
    moved = aws("eks", "update-cluster-config", "--name", "later",
                "--compute-config", f"enabled=true,nodePools=system,nodeRoleArn={other_role}", check=False)
    assert moved.returncode != 0 and "cannot be changed" in moved.stderr, moved.stderr


SERVICE = """
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: default
  annotations: {{service.beta.kubernetes.io/aws-load-balancer-scheme: internet-facing}}
spec:
  type: LoadBalancer
  {klass}
  selector: {{app: {name}}}
  ports: [{{name: http, port: 80, targetPort: 8080}}]
"""


def test_a_service_of_auto_modes_class_gets_an_nlb_only_while_auto_mode_load_balancing_is_on(aws, prereqs, tmp_path):
    aws("eks", "create-cluster", "--name", "lb", "--role-arn", prereqs.cluster_role,
        "--resources-vpc-config", prereqs.vpc_config, "--access-config", "authenticationMode=API")
    aws("eks", "wait", "cluster-active", "--name", "lb")
    cluster = kubeconfig_of(aws.server, "lb", tmp_path)
    manifests = [SERVICE.format(name="auto", klass="loadBalancerClass: eks.amazonaws.com/nlb"),
                 SERVICE.format(name="classic", klass="")]
    cluster.kubectl("apply", "-f", "-", input="---".join(manifests))

    def hostname(name):
        service = json.loads(cluster.kubectl("get", "service", name, "-o", "json").stdout)
        ingress = service.get("status", {}).get("loadBalancer", {}).get("ingress") or []
        return ingress[0].get("hostname") if ingress else None

    # The cloud provider serves the classless Service; nobody serves Auto Mode's class without Auto Mode. The
    # classic Service's load balancer shows the controller has looked at both.
    wait_until(lambda: hostname("classic"), "the classic Service's load balancer")
    assert hostname("auto") is None
    elbv2 = boto(aws.server, "elbv2")
    assert elbv2.describe_load_balancers()["LoadBalancers"] == []

    aws("eks", "update-cluster-config", "--name", "lb", "--compute-config", prereqs.compute(),
        "--kubernetes-network-config", json.dumps({"elasticLoadBalancing": {"enabled": True}}),
        "--storage-config", json.dumps({"blockStorage": {"enabled": True}}))
    # No pods behind it: an NLB with ip targets still gets its DNS name.
    name = wait_until(lambda: hostname("auto"), "Auto Mode's NLB")
    service = json.loads(cluster.kubectl("get", "service", "auto", "-o", "json").stdout)
    assert "service.eks.amazonaws.com/resources" in service["metadata"]["finalizers"]
    [lb] = elbv2.describe_load_balancers()["LoadBalancers"]
    assert (lb["Type"], lb["Scheme"], lb["DNSName"]) == ("network", "internet-facing", name)
    tags = {t["Key"]: t["Value"] for t in
            elbv2.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"][0]["Tags"]}
    assert (tags["eks:eks-cluster-name"], tags["service.eks.amazonaws.com/stack"]) == ("lb", "default/auto")
    listener = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"][0]
    group_arn = listener["DefaultActions"][0]["TargetGroupArn"]
    group = elbv2.describe_target_groups(TargetGroupArns=[group_arn])["TargetGroups"][0]
    assert (group["TargetType"], group["Port"]) == ("ip", 8080)

    cluster.kubectl("delete", "service", "auto", "--wait=true")
    assert elbv2.describe_load_balancers()["LoadBalancers"] == []


AUTO_ALB_CLASS = """
apiVersion: eks.amazonaws.com/v1
kind: IngressClassParams
metadata: {name: alb}
spec:
  scheme: internet-facing
  loadBalancerAttributes: [{key: idle_timeout.timeout_seconds, value: "600"}]
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: alb}
spec:
  controller: eks.amazonaws.com/alb
  parameters: {apiGroup: eks.amazonaws.com, kind: IngressClassParams, name: alb}
"""

AUTO_ALB_APP = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: nginx, ports: [{name: http, containerPort: 8080}], resources: {requests: {cpu: 250m}}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: default}
spec:
  ingressClassName: alb
  rules:
  - http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
"""


def test_an_ingress_of_auto_modes_alb_class_gets_an_application_load_balancer(aws, prereqs, tmp_path):
    create_auto_mode_cluster(aws, prereqs, name="alb")
    aws("eks", "wait", "cluster-active", "--name", "alb")
    cluster = kubeconfig_of(aws.server, "alb", tmp_path)

    # EKS puts Auto Mode's IngressClassParams CRD in; its schema refuses a scheme it does not know.
    wait_until(lambda: cluster.kubectl("get", "crd", "ingressclassparams.eks.amazonaws.com",
                                       check=False).returncode == 0, "Auto Mode's IngressClassParams CRD")
    bad = cluster.kubectl("apply", "-f", "-", check=False,
                          input=AUTO_ALB_CLASS.split("---")[0].replace("internet-facing", "outside"))
    assert bad.returncode != 0 and 'Unsupported value: "outside"' in bad.stderr, bad.stderr
    garbage = cluster.kubectl("apply", "-f", "-", check=False, input=json.dumps({
        "apiVersion": "eks.amazonaws.com/v1", "kind": "IngressClassParams", "metadata": {"name": "junk"},
        "spec": {"scheme": "x" * 100_000, "group": {"name": ""}, "tags": [{"value": 7}]}}))
    assert garbage.returncode != 0 and "is invalid" in garbage.stderr, garbage.stderr
    cluster.kubectl("apply", "-f", "-", input=AUTO_ALB_CLASS)
    cluster.kubectl("apply", "-f", "-", input=AUTO_ALB_APP)

    def address():
        ingress = json.loads(cluster.kubectl("get", "ingress", "web", "-o", "json").stdout)
        found = ingress.get("status", {}).get("loadBalancer", {}).get("ingress") or []
        return found[0].get("hostname") if found else None
    # No AWS Load Balancer Controller runs: Auto Mode makes the ALB, the parameters' scheme on it.
    name = wait_until(address, "the Ingress's ALB")
    assert name in cluster.kubectl("get", "ingress", "web").stdout, "kubectl shows the address"
    ingress = json.loads(cluster.kubectl("get", "ingress", "web", "-o", "json").stdout)
    assert ingress["metadata"]["finalizers"] == ["ingress.eks.amazonaws.com/resources"]
    wait_until(lambda: "SuccessfullyReconciled" in cluster.kubectl(
        "get", "events", "--field-selector", "involvedObject.kind=Ingress,involvedObject.name=web").stdout,
        "Auto Mode's event on the Ingress")
    [lb] = aws("elbv2", "describe-load-balancers")["LoadBalancers"]
    assert (lb["Type"], lb["Scheme"], lb["DNSName"]) == ("application", "internet-facing", name)
    tags = {t["Key"]: t["Value"] for t in aws("elbv2", "describe-tags", "--resource-arns", lb["LoadBalancerArn"])[
        "TagDescriptions"][0]["Tags"]}
    assert (tags["eks:eks-cluster-name"], tags["ingress.eks.amazonaws.com/stack"]) == ("alb", "default/web"), tags
    attributes = {a["Key"]: a["Value"] for a in aws("elbv2", "describe-load-balancer-attributes",
                                                    "--load-balancer-arn", lb["LoadBalancerArn"])["Attributes"]}
    assert attributes["idle_timeout.timeout_seconds"] == "600", "the parameters' attribute"
    [group] = aws("elbv2", "describe-target-groups", "--load-balancer-arn", lb["LoadBalancerArn"])["TargetGroups"]
    assert group["TargetType"] == "ip", "Auto Mode sends to the pods"

    # Auto Mode launches nodes for the pods; the ALB's loopback listener answers through to them.
    def running():
        pods = json.loads(cluster.kubectl("get", "pods", "-l", "app=web", "-o", "json").stdout)["items"]
        ready = [p for p in pods if any(c["type"] == "Ready" and c["status"] == "True"
                                        for c in p["status"].get("conditions", []))]
        return len(ready) == 2 and ready
    pods = wait_until(running, "the pods to run on nodes Auto Mode launched", deadline=180)
    listeners = wait_until(lambda: json.loads(cluster.kubectl("get", "ingress", "web", "-o", "json").stdout)[
        "metadata"].get("annotations", {}).get("ekslite.dev/load-balancer-listeners"), "the ALB's loopback listener")
    loopback = dict(pair.split("=", 1) for pair in listeners.split(","))["80"]

    def answer():
        try:
            with urllib.request.urlopen(f"http://{loopback}/hello", timeout=10) as response:
                return response.status, json.loads(response.read())
        except (OSError, http.client.HTTPException):
            return None
    status, body = wait_until(lambda: (found := answer()) and found[0] == 200 and found, "an answer through the ALB")
    assert body["path"] == "/hello" and body["pod"] in {p["metadata"]["name"] for p in pods}, body
    assert body["podIP"] in {p["status"]["podIP"] for p in pods}, "an ip target: the pod's own address"

    cluster.kubectl("delete", "ingress", "web", "--wait=true")
    assert aws("elbv2", "describe-load-balancers")["LoadBalancers"] == []
    assert aws("elbv2", "describe-target-groups")["TargetGroups"] == []


TERRAFORM = """terraform {
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
    eks = "%(url)s"
    iam = "%(url)s"
    sts = "%(url)s"
  }
}

resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "private" {
  count             = 2
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.0.${count.index}.0/24"
  availability_zone = ["us-east-1a", "us-east-1b"][count.index]
  tags = {
    "kubernetes.io/role/internal-elb" = "1"
  }
}

resource "aws_iam_role" "cluster" {
  name = "auto-cluster"
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
  for_each   = toset(["AmazonEKSClusterPolicy", "AmazonEKSComputePolicy", "AmazonEKSBlockStoragePolicy",
                      "AmazonEKSLoadBalancingPolicy", "AmazonEKSNetworkingPolicy"])
  role       = aws_iam_role.cluster.name
  policy_arn = "arn:aws:iam::aws:policy/${each.value}"
}

resource "aws_iam_role" "node" {
  name = "auto-node"
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
  for_each   = toset(["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly"])
  role       = aws_iam_role.node.name
  policy_arn = "arn:aws:iam::aws:policy/${each.value}"
}

resource "aws_eks_cluster" "auto" {
  name     = "auto"
  role_arn = aws_iam_role.cluster.arn
  version  = "1.34"

  bootstrap_self_managed_addons = false

  access_config {
    authentication_mode = "API"
  }

  compute_config {
    enabled       = true
    node_pools    = ["general-purpose", "system"]
    node_role_arn = aws_iam_role.node.arn
  }

  kubernetes_network_config {
    elastic_load_balancing {
      enabled = true
    }
  }

  storage_config {
    block_storage {
      enabled = true
    }
  }

  vpc_config {
    subnet_ids = aws_subnet.private[*].id
  }

  depends_on = [aws_iam_role_policy_attachment.cluster, aws_iam_role_policy_attachment.node]
}

output "node_role_arn" {
  value = aws_iam_role.node.arn
}
"""


@needs_terraform
def test_terraform_applies_plans_clean_and_destroys_an_auto_mode_cluster(ekslite, tmp_path):
    server = ekslite()
    eks, iam = boto(server), boto(server, "iam")
    configure(tmp_path, TERRAFORM, server)
    succeeds(tmp_path, "init")
    succeeds(tmp_path, "apply", "-auto-approve")
    outputs = {name: value["value"] for name, value in json.loads(succeeds(tmp_path, "output", "-json")).items()}
    cluster = eks.describe_cluster(name="auto")["cluster"]
    assert cluster["status"] == "ACTIVE"
    assert cluster["computeConfig"] == {"enabled": True, "nodePools": ["general-purpose", "system"],
                                        "nodeRoleArn": outputs["node_role_arn"]}
    assert cluster["storageConfig"] == {"blockStorage": {"enabled": True}}
    assert cluster["kubernetesNetworkConfig"]["elasticLoadBalancing"] == {"enabled": True}
    entry = eks.describe_access_entry(clusterName="auto", principalArn=outputs["node_role_arn"])["accessEntry"]
    assert entry["type"] == "EC2"

    # A second plan finds nothing to change: what the provider reads back is what it wrote.
    plan = terraform(tmp_path, "plan", "-detailed-exitcode")
    assert plan.returncode == 0, f"the plan is not clean:\n{plan.stdout}\n{plan.stderr}"

    succeeds(tmp_path, "destroy", "-auto-approve")
    assert eks.list_clusters()["clusters"] == []
    assert {r["RoleName"] for r in iam.list_roles()["Roles"]} & {"auto-cluster", "auto-node"} == set()


GPU_AND_ARM_POOLS = """
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: gpu}
spec:
  template:
    spec:
      nodeClassRef: {group: eks.amazonaws.com, kind: NodeClass, name: default}
      requirements:
      - {key: eks.amazonaws.com/instance-category, operator: In, values: [g]}
      - {key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}
      taints: [{key: nvidia.com/gpu, effect: NoSchedule}]
  disruption: {consolidationPolicy: WhenEmpty, consolidateAfter: 0s}
---
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: graviton}
spec:
  template:
    spec:
      nodeClassRef: {group: eks.amazonaws.com, kind: NodeClass, name: default}
      requirements:
      - {key: kubernetes.io/arch, operator: In, values: [arm64]}
      - {key: eks.amazonaws.com/instance-category, operator: In, values: [c, m, r]}
  disruption: {consolidationPolicy: WhenEmpty, consolidateAfter: 0s}
"""

WORKLOADS = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx, resources: {requests: {cpu: "1", memory: 1Gi}}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: arm}
spec:
  replicas: 1
  selector: {matchLabels: {app: arm}}
  template:
    metadata: {labels: {app: arm}}
    spec:
      nodeSelector: {kubernetes.io/arch: arm64}
      containers: [{name: app, image: nginx, resources: {requests: {cpu: 500m}}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: train}
spec:
  replicas: 1
  selector: {matchLabels: {app: train}}
  template:
    metadata: {labels: {app: train}}
    spec:
      tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
      containers:
      - name: cuda
        image: nvidia/cuda:12.4.1-base-ubuntu22.04
        resources: {limits: {nvidia.com/gpu: 1}}
"""


def _items(cluster, *args):
    return json.loads(cluster.kubectl("get", *args, "-o", "json").stdout)["items"]


def test_auto_mode_launches_matching_nodes_for_pods_and_consolidates_them(aws, prereqs, tmp_path):
    create_auto_mode_cluster(aws, prereqs)
    aws("eks", "wait", "cluster-active", "--name", "auto")
    cluster = kubeconfig_of(aws.server, "auto", tmp_path)

    # EKS puts its kinds, NodeClass and built-in pools in the cluster; there are no nodes yet.
    def built_in():
        found = cluster.kubectl("get", "nodepools", "-o", "json", check=False)
        names = {p["metadata"]["name"] for p in json.loads(found.stdout)["items"]} if found.returncode == 0 else set()
        return names == {"general-purpose", "system"}
    wait_until(built_in, "the built-in NodePools")
    node_class = wait_until(lambda: (c := json.loads(cluster.kubectl("get", "nodeclasses.eks.amazonaws.com", "default",
                                                                     "-o", "json", check=False).stdout or "{}"))
                            .get("status") and c, "the default NodeClass")
    assert node_class["spec"]["role"] == "AmazonEKSAutoNodeRole", node_class["spec"]
    assert _items(cluster, "nodes") == []

    cluster.kubectl("apply", "-f", "-", input=GPU_AND_ARM_POOLS)
    cluster.kubectl("apply", "-f", "-", input=WORKLOADS)

    def running():
        pods = _items(cluster, "pods", "-n", "default")
        return len(pods) == 5 and all(p["status"].get("phase") == "Running" for p in pods) and pods
    pods = wait_until(running, "every pod to run on a node Auto Mode launched", deadline=180)
    nodes = {n["metadata"]["name"]: n for n in _items(cluster, "nodes")}
    ec2 = boto(aws.server, "ec2")
    for pod in pods:
        node = nodes[pod["spec"]["nodeName"]]
        labels = node["metadata"]["labels"]
        assert labels["eks.amazonaws.com/compute-type"] == "auto", labels
        # Auto Mode's nodes are named by their instance.
        assert node["metadata"]["name"].startswith("i-"), node["metadata"]["name"]
        assert node["spec"]["providerID"].endswith("/" + node["metadata"]["name"])
        app = pod["metadata"]["labels"]["app"]
        if app == "arm":
            assert labels["kubernetes.io/arch"] == "arm64" and labels["karpenter.sh/nodepool"] == "graviton", labels
        elif app == "train":
            assert labels["eks.amazonaws.com/instance-category"] == "g", labels
            assert node["status"]["allocatable"]["nvidia.com/gpu"] == "1"
            assert labels["karpenter.sh/nodepool"] == "gpu"
        else:
            # The plain pods asked for no architecture: the scheduler may put one beside the Graviton pod.
            assert labels["karpenter.sh/nodepool"] in ("general-purpose", "graviton"), labels
            assert labels["eks.amazonaws.com/instance-category"] in ("c", "m", "r")
        described = ec2.describe_instances(InstanceIds=[node["metadata"]["name"]])["Reservations"][0]["Instances"][0]
        assert described["InstanceType"] == labels["node.kubernetes.io/instance-type"]
        tags = {t["Key"]: t["Value"] for t in described.get("Tags", [])}
        assert tags["karpenter.sh/nodepool"] == labels["karpenter.sh/nodepool"], tags

    general = [n for n in nodes.values() if n["metadata"]["labels"]["karpenter.sh/nodepool"] == "general-purpose"]
    assert general and all(n["metadata"]["labels"]["kubernetes.io/arch"] == "amd64" for n in general), nodes.keys()

    # Without pods every node is empty: each goes once its pool's consolidateAfter has passed (0 s for the two
    # pools above, 30 s for the built-in one), and its instance is terminated.
    cluster.kubectl("delete", "deployment", "web", "arm", "train")
    wait_until(lambda: not _items(cluster, "nodes"), "the empty nodes to be consolidated", deadline=120)
    states = {i["InstanceId"]: i["State"]["Name"] for r in ec2.describe_instances(InstanceIds=sorted(nodes))[
        "Reservations"] for i in r["Instances"]}
    assert set(states.values()) <= {"shutting-down", "terminated"}, states
    assert not _items(cluster, "nodeclaims")
