"""Karpenter installed as its getting-started guide installs it on EKS: a node role with an EC2_LINUX access entry,
subnets and the cluster security group tagged `karpenter.sh/discovery: demo`, the chart's Deployment in
kube-system (image `public.ecr.aws/karpenter/controller`), an EC2NodeClass and a NodePool. Pods that do not fit
become NodeClaims whose instances join as nodes with Karpenter's labels; an arm64 pod gets an arm64 instance; once
the pods go, consolidation removes the empty nodes and terminates their instances; a NodePool's cpu limit stops
provisioning with an event; a change to the NodePool's template drifts its node, which is replaced before it goes;
a node left underused is replaced by a cheaper one; a NodePool with a requirement operator Karpenter does not
know is refused."""

import json

from conftest import boto, create_nodes_cluster, trust, wait_until

KARPENTER = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: karpenter
  namespace: kube-system
  labels: {app.kubernetes.io/name: karpenter, app.kubernetes.io/instance: karpenter}
spec:
  replicas: 1
  selector:
    matchLabels: {app.kubernetes.io/name: karpenter, app.kubernetes.io/instance: karpenter}
  template:
    metadata:
      labels: {app.kubernetes.io/name: karpenter, app.kubernetes.io/instance: karpenter}
    spec:
      priorityClassName: system-cluster-critical
      containers:
      - name: controller
        image: public.ecr.aws/karpenter/controller:1.8.1
        env:
        - {name: CLUSTER_NAME, value: demo}
        - {name: KUBERNETES_MIN_VERSION, value: "1.19.0-0"}
        - {name: BATCH_MAX_DURATION, value: 10s}
        - {name: BATCH_IDLE_DURATION, value: 1s}
        resources: {requests: {cpu: 100m, memory: 128Mi}}
"""

NODE_CLASS = """
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata: {name: default}
spec:
  role: KarpenterNodeRole-demo
  amiSelectorTerms: [{alias: al2023@latest}]
  subnetSelectorTerms: [{tags: {karpenter.sh/discovery: demo}}]
  securityGroupSelectorTerms: [{tags: {karpenter.sh/discovery: demo}}]
"""

NODE_POOL = """
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: default}
spec:
  template:
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
      requirements:
      - {key: kubernetes.io/arch, operator: In, values: [amd64, arm64]}
      - {key: kubernetes.io/os, operator: In, values: [linux]}
      - {key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}
      - {key: karpenter.k8s.aws/instance-category, operator: In, values: [c, m, r]}
      - {key: karpenter.k8s.aws/instance-generation, operator: Gt, values: ["2"]}
      expireAfter: 720h
  limits: {cpu: 1000}
  disruption:
    consolidationPolicy: WhenEmptyOrUnderutilized
    consolidateAfter: 2s
"""

INFLATE = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: inflate}
spec:
  replicas: 0
  selector: {matchLabels: {app: inflate}}
  template:
    metadata: {labels: {app: inflate}}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: inflate
        image: public.ecr.aws/eks-distro/kubernetes/pause:3.7
        resources: {requests: {cpu: "1"}}
"""

ARM = """
apiVersion: v1
kind: Pod
metadata: {name: arm}
spec:
  nodeSelector: {kubernetes.io/arch: arm64}
  containers: [{name: app, image: nginx, resources: {requests: {cpu: 500m}}}]
"""

GARBAGE = """
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: garbage}
spec:
  template:
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
      requirements:
      - {key: kubernetes.io/arch, operator: Equals, values: [amd64]}
"""


def _json(cluster, *args):
    return json.loads(cluster.kubectl(*args, "-o", "json").stdout)


def _items(cluster, *args):
    return _json(cluster, "get", *args)["items"]


def _ready(obj) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in obj.get("status", {}).get("conditions", []))


def _karpenter_nodes(cluster) -> list[dict]:
    return [n for n in _items(cluster, "nodes") if "karpenter.sh/nodepool" in n["metadata"].get("labels", {})]


def _running(cluster, selector: str) -> int:
    return sum(1 for p in _items(cluster, "pods", "-l", selector) if p["status"].get("phase") == "Running")


def _events(cluster, reason: str) -> list[dict]:
    return [e for e in _items(cluster, "events", "-A") if e.get("reason") == reason]


def _prepare_account(cluster):
    """The getting-started steps outside Kubernetes: the node role, its access entry, the discovery tags."""
    iam = boto(cluster.server, "iam")
    iam.create_role(RoleName="KarpenterNodeRole-demo", AssumeRolePolicyDocument=json.dumps(trust("ec2.amazonaws.com")))
    for policy in ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly",
                   "AmazonSSMManagedInstanceCore"):
        iam.attach_role_policy(RoleName="KarpenterNodeRole-demo", PolicyArn=f"arn:aws:iam::aws:policy/{policy}")
    role = iam.get_role(RoleName="KarpenterNodeRole-demo")["Role"]["Arn"]
    # Access entries need the API authentication mode, which getting started's cluster has beside the ConfigMap.
    update = cluster.eks.update_cluster_config(name="demo", accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"})
    wait_until(lambda: cluster.eks.describe_update(name="demo", updateId=update["update"]["id"])["update"]["status"]
               == "Successful", "the authentication mode update")
    cluster.eks.create_access_entry(clusterName="demo", principalArn=role, type="EC2_LINUX")
    vpc_config = cluster.eks.describe_cluster(name="demo")["cluster"]["resourcesVpcConfig"]
    discovery = [{"Key": "karpenter.sh/discovery", "Value": "demo"}]
    cluster.ec2.create_tags(Resources=list(vpc_config["subnetIds"]) + [vpc_config["clusterSecurityGroupId"]],
                            Tags=discovery)
    return vpc_config


def _karpenter_instances(cluster) -> list[dict]:
    reservations = cluster.ec2.describe_instances(Filters=[
        {"Name": "tag-key", "Values": ["karpenter.sh/nodepool"]},
        {"Name": "instance-state-name", "Values": ["pending", "running"]},
    ])["Reservations"]
    return [i for r in reservations for i in r["Instances"]]


def test_karpenter_provisions_for_pending_pods_and_consolidates_empty_nodes(tmp_path, ekslite):
    cluster = create_nodes_cluster(ekslite(), tmp_path, nodes=1)
    vpc_config = _prepare_account(cluster)

    cluster.kubectl("apply", "-f", "-", input=KARPENTER)
    wait_until(lambda: _json(cluster, "get", "deployment", "-n", "kube-system", "karpenter").get("status", {})
               .get("availableReplicas") == 1, "Karpenter to be available")
    wait_until(lambda: cluster.kubectl("get", "crd", "nodepools.karpenter.sh", "nodeclaims.karpenter.sh",
                                       "ec2nodeclasses.karpenter.k8s.aws", check=False).returncode == 0,
               "Karpenter's CRDs")

    # Garbage is refused by the schema, as upstream's enum refuses it.
    refused = cluster.kubectl("apply", "-f", "-", input=GARBAGE, check=False)
    assert refused.returncode != 0
    assert "Unsupported value" in refused.stderr and "Equals" in refused.stderr, refused.stderr

    cluster.kubectl("apply", "-f", "-", input=NODE_CLASS)
    cluster.kubectl("apply", "-f", "-", input=NODE_POOL)
    node_class = wait_until(lambda: (c := _json(cluster, "get", "ec2nodeclass", "default")) and _ready(c) and c,
                            "the EC2NodeClass to be Ready")
    status = node_class["status"]
    assert sorted(s["id"] for s in status["subnets"]) == sorted(vpc_config["subnetIds"])
    assert [g["id"] for g in status["securityGroups"]] == [vpc_config["clusterSecurityGroupId"]]
    assert status["amis"] and status["instanceProfile"]
    assert "karpenter.k8s.aws/termination" in node_class["metadata"]["finalizers"]
    wait_until(lambda: _ready(_json(cluster, "get", "nodepool", "default")), "the NodePool to be Ready")
    assert "default" in cluster.kubectl("get", "ec2nc").stdout

    # Ten pods of a whole core each fit no existing node: NodeClaims, nodes, pods Running.
    cluster.kubectl("apply", "-f", "-", input=INFLATE)
    cluster.kubectl("scale", "deployment", "inflate", "--replicas=10")
    wait_until(lambda: _running(cluster, "app=inflate") == 10, "the ten pods to run", deadline=180)
    claims = _items(cluster, "nodeclaims")
    assert claims and all(_ready(c) for c in claims), claims
    for claim in claims:
        labels = claim["metadata"]["labels"]
        assert labels["karpenter.sh/nodepool"] == "default"
        assert labels["karpenter.sh/capacity-type"] == "on-demand"
        assert labels["karpenter.k8s.aws/instance-category"] in ("c", "m", "r")
        assert claim["metadata"]["name"].startswith("default-")
        assert claim["status"]["providerID"].startswith("aws:///")
        assert claim["metadata"]["ownerReferences"][0]["kind"] == "NodePool"
    nodes = _karpenter_nodes(cluster)
    assert len(nodes) == len(claims)
    for node in nodes:
        labels = node["metadata"]["labels"]
        assert labels["karpenter.sh/registered"] == "true"
        assert labels["karpenter.sh/initialized"] == "true"
        assert _ready(node)
        assert "karpenter.sh/termination" in node["metadata"]["finalizers"]
        assert all(t["key"] != "karpenter.sh/unregistered" for t in node["spec"].get("taints", []))
    nominated = _events(cluster, "Nominated")
    assert nominated and all(e["message"].startswith("Pod should schedule on: nodeclaim/default-")
                             for e in nominated), nominated
    instances = _karpenter_instances(cluster)
    assert len(instances) == len(claims)
    table = cluster.kubectl("get", "nodeclaims").stdout.splitlines()[0].split()
    assert table[:6] == ["NAME", "TYPE", "CAPACITY", "ZONE", "NODE", "READY"], table
    pool = _json(cluster, "get", "nodepool", "default")
    assert pool["status"]["nodes"] == len(claims)
    assert pool["status"]["resources"]["cpu"]

    # An arm64 pod gets an arm64 instance.
    cluster.kubectl("apply", "-f", "-", input=ARM)
    wait_until(lambda: _json(cluster, "get", "pod", "arm")["status"].get("phase") == "Running", "the arm64 pod",
               deadline=120)
    arm_node = _json(cluster, "get", "node", _json(cluster, "get", "pod", "arm")["spec"]["nodeName"])
    assert arm_node["metadata"]["labels"]["kubernetes.io/arch"] == "arm64"
    assert "karpenter.sh/nodepool" in arm_node["metadata"]["labels"]

    # Everything goes: consolidation removes the empty nodes and terminates their instances.
    cluster.kubectl("delete", "pod", "arm", "--grace-period=0")
    cluster.kubectl("scale", "deployment", "inflate", "--replicas=0")
    wait_until(lambda: not _items(cluster, "nodeclaims"), "the NodeClaims to go", deadline=180)
    wait_until(lambda: not _karpenter_nodes(cluster), "Karpenter's nodes to go", deadline=60)
    wait_until(lambda: not _karpenter_instances(cluster), "their instances to terminate", deadline=60)
    terminating = _events(cluster, "DisruptionTerminating")
    assert any(e["message"] == "Disrupting NodeClaim: Empty" for e in terminating), terminating

    # A cpu limit stops provisioning, with upstream's reason on the pod.
    # (The managed node group's t3.medium holds one of these pods at most: the others wait.)
    cluster.kubectl("patch", "nodepool", "default", "--type=merge", "-p", '{"spec":{"limits":{"cpu":"1"}}}')
    cluster.kubectl("scale", "deployment", "inflate", "--replicas=3")

    def limited():
        failed = [e for e in _events(cluster, "FailedScheduling")
                  if e["source"].get("component") == "karpenter"
                  and "all available instance types exceed limits for nodepool" in e["message"]]
        return failed
    failed = wait_until(limited, "Karpenter's FailedScheduling event", deadline=60)
    assert failed[0]["message"].startswith("Failed to schedule pod, ")
    assert not _items(cluster, "nodeclaims")

    # The pods are kept to Karpenter's nodes from here, and the limit is lifted: three of them get one node.
    cluster.kubectl("scale", "deployment", "inflate", "--replicas=0")
    wait_until(lambda: not _items(cluster, "pods", "-l", "app=inflate"), "the pods to go")
    cluster.kubectl("patch", "deployment", "inflate", "--type=merge", "-p",
                    '{"spec":{"template":{"spec":{"nodeSelector":{"karpenter.sh/nodepool":"default"}}}}}')
    cluster.kubectl("patch", "nodepool", "default", "--type=merge", "-p", '{"spec":{"limits":{"cpu":"1000"}}}')
    cluster.kubectl("scale", "deployment", "inflate", "--replicas=3")
    wait_until(lambda: _running(cluster, "app=inflate") == 3 and len(_karpenter_nodes(cluster)) == 1,
               "three pods on one new node", deadline=120)
    pool = _json(cluster, "get", "nodepool", "default")
    claim = _items(cluster, "nodeclaims")[0]
    assert claim["metadata"]["annotations"]["karpenter.sh/nodepool-hash"] == \
        pool["metadata"]["annotations"]["karpenter.sh/nodepool-hash"]
    first_type = claim["metadata"]["labels"]["node.kubernetes.io/instance-type"]
    first_cpu = int(claim["metadata"]["labels"]["karpenter.k8s.aws/instance-cpu"])

    # A label added to the template drifts the node: a replacement carrying it comes up, then the old node goes.
    cluster.kubectl("patch", "nodepool", "default", "--type=merge", "-p",
                    '{"spec":{"template":{"metadata":{"labels":{"team":"blue"}}}}}')

    def replaced():
        nodes = _karpenter_nodes(cluster)
        done = len(nodes) == 1 and nodes[0]["metadata"]["labels"].get("team") == "blue"
        return done and _running(cluster, "app=inflate") == 3 and nodes
    wait_until(replaced, "the drifted node replaced", deadline=120)
    launching = [e["message"] for e in _events(cluster, "DisruptionLaunching")]
    assert "Launching NodeClaim: Drifted" in launching, launching
    terminating = [e["message"] for e in _events(cluster, "DisruptionTerminating")]
    assert "Disrupting NodeClaim: Drifted" in terminating, terminating
    waiting = [e["message"] for e in _events(cluster, "DisruptionWaitingReadiness")]
    assert "Waiting on readiness to continue disruption" in waiting, waiting

    # Two of the three pods go: what is left fits a cheaper type, which replaces the node.
    cluster.kubectl("scale", "deployment", "inflate", "--replicas=1")

    def cheaper():
        claims = _items(cluster, "nodeclaims")
        if len(claims) != 1 or _running(cluster, "app=inflate") != 1:
            return None
        labels = claims[0]["metadata"]["labels"]
        return labels["node.kubernetes.io/instance-type"] != first_type and labels
    labels = wait_until(cheaper, "the underused node replaced by a cheaper one", deadline=120)
    assert int(labels["karpenter.k8s.aws/instance-cpu"]) < first_cpu, (first_type, labels)
    launching = [e["message"] for e in _events(cluster, "DisruptionLaunching")]
    assert "Launching NodeClaim: Underutilized" in launching, launching
    terminating = [e["message"] for e in _events(cluster, "DisruptionTerminating")]
    assert "Disrupting NodeClaim: Underutilized" in terminating, terminating
