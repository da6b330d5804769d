"""EKS's add-ons run in the cluster: a new cluster starts with the VPC CNI, kube-proxy and CoreDNS as EKS installs
them (unless CreateCluster's bootstrapSelfManagedAddons is false), their pods run on the nodes, CreateAddon /
DeleteAddon put an add-on's objects in and take them out (the CSI drivers and CloudWatch Observability included),
and an add-on's health follows its pods: DEGRADED while they have nowhere to run, ACTIVE once they do."""

import json
import subprocess

from conftest import (DEADLINE_SECONDS, Cluster, aws_env, boto, create_nodes_cluster, eks_prereqs_for, run_ekslite,
                      wait_until)


def pods_by_app(cluster, namespace="kube-system"):
    pods = json.loads(cluster.kubectl("get", "pods", "-n", namespace, "-o", "json").stdout)["items"]
    by_app = {}
    for pod in pods:
        labels = pod["metadata"].get("labels", {})
        by_app.setdefault(labels.get("k8s-app", pod["metadata"]["name"]), []).append(pod)
    return by_app


def running(pods):
    return [p for p in pods if p["status"].get("phase") == "Running"
            and all(s.get("ready") for s in p["status"].get("containerStatuses", []))]


def test_a_new_cluster_runs_the_networking_addons_and_addons_come_and_go(tmp_path, ekslite):
    cluster = create_nodes_cluster(ekslite(), tmp_path, nodes=2)

    def networking_runs():
        by_app = pods_by_app(cluster)
        counts = {app: len(running(by_app.get(app, []))) for app in ("aws-node", "kube-proxy", "kube-dns")}
        return by_app if counts == {"aws-node": 2, "kube-proxy": 2, "kube-dns": 2} else None
    by_app = wait_until(networking_runs, "aws-node and kube-proxy on both nodes and two CoreDNS pods")
    node_ips = {n["metadata"]["name"]: next(a["address"] for a in n["status"]["addresses"] if a["type"] == "InternalIP")
                for n in cluster.ready_nodes()}
    for pod in by_app["aws-node"]:
        assert pod["status"]["podIP"] == node_ips[pod["spec"]["nodeName"]], "aws-node runs on the host network"
        assert pod["spec"]["containers"][0]["image"] == \
            "602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.20.4-eksbuild.1"
    service = json.loads(cluster.kubectl("get", "svc", "kube-dns", "-n", "kube-system", "-o", "json").stdout)
    assert service["spec"]["clusterIP"] == "10.100.0.10"
    table = cluster.kubectl("get", "pods", "-n", "kube-system").stdout
    for name in ("aws-node-", "kube-proxy-", "coredns-"):
        assert name in table, table
    daemon_sets = json.loads(cluster.kubectl("get", "ds", "-n", "kube-system", "-o", "json").stdout)["items"]
    assert {d["metadata"]["name"]: d["status"]["numberReady"] for d in daemon_sets} == {"aws-node": 2, "kube-proxy": 2}

    # CreateAddon of the Pod Identity Agent puts its DaemonSet in; DeleteAddon of the VPC CNI takes aws-node out.
    cluster.eks.create_addon(clusterName=cluster.eks_name, addonName="eks-pod-identity-agent")
    wait_until(lambda: len(running(pods_by_app(cluster).get("eks-pod-identity-agent", []))) == 2,
               "the Pod Identity Agent on both nodes")
    # CoreDNS as an EKS add-on takes its configuration values, at create and at update.
    cluster.eks.create_addon(clusterName=cluster.eks_name, addonName="coredns", resolveConflicts="OVERWRITE",
                             configurationValues=json.dumps({"replicaCount": 3}))
    wait_until(lambda: len(running(pods_by_app(cluster).get("kube-dns", []))) == 3, "three CoreDNS pods")
    cluster.eks.get_waiter("addon_active").wait(clusterName=cluster.eks_name, addonName="coredns",
                                                WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    cluster.eks.update_addon(clusterName=cluster.eks_name, addonName="coredns", configurationValues="replicaCount: 1")
    wait_until(lambda: len(pods_by_app(cluster).get("kube-dns", [])) == 1, "one CoreDNS pod")

    cluster.eks.create_addon(clusterName=cluster.eks_name, addonName="vpc-cni",
                             serviceAccountRoleArn="arn:aws:iam::000000000000:role/cni")
    account = json.loads(cluster.kubectl("get", "sa", "aws-node", "-n", "kube-system", "-o", "json").stdout)
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == "arn:aws:iam::000000000000:role/cni"
    cluster.eks.get_waiter("addon_active").wait(clusterName=cluster.eks_name, addonName="vpc-cni",
                                                WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    cluster.eks.delete_addon(clusterName=cluster.eks_name, addonName="vpc-cni")
    cluster.eks.get_waiter("addon_deleted").wait(clusterName=cluster.eks_name, addonName="vpc-cni",
                                                 WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    wait_until(lambda: "aws-node" not in pods_by_app(cluster), "the aws-node pods to go with their DaemonSet")
    names = cluster.kubectl("get", "ds", "-n", "kube-system", "-o", "name").stdout.split()
    assert names == ["daemonset.apps/eks-pod-identity-agent", "daemonset.apps/kube-proxy"], names


def test_bootstrap_self_managed_addons_false_starts_an_empty_kube_system(aws, tmp_path):
    prereqs = eks_prereqs_for(aws.server)
    eks = boto(aws.server, "eks")
    eks.create_cluster(name="bare", roleArn=prereqs.cluster_role, resourcesVpcConfig=prereqs.resources,
                       bootstrapSelfManagedAddons=False)
    eks.get_waiter("cluster_active").wait(name="bare", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    config = run_ekslite("kubeconfig", "bare.us-east-1.000000000000", "--endpoint", aws.server.url)
    kubeconfig = tmp_path / "bare.kubeconfig"
    kubeconfig.write_text(config.stdout)
    bare = Cluster(aws.server, "bare.us-east-1.000000000000", kubeconfig)
    assert bare.kubectl("get", "ds,deploy,svc", "-n", "kube-system", "-o", "name").stdout.split() == [], \
        "no add-on objects"


def aws_cli(cluster, tmp_path, *args):
    """Runs the aws CLI against the cluster's server; the parsed JSON output."""
    result = subprocess.run(["aws", *args, "--output", "json"], capture_output=True, text=True,
                            env=aws_env(cluster.server, tmp_path), timeout=DEADLINE_SECONDS)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else {}


def labelled(cluster, namespace, selector):
    return json.loads(cluster.kubectl("get", "pods", "-n", namespace, "-l", selector, "-o", "json").stdout)["items"]


def names(cluster, kind, namespace=None):
    where = ["-n", namespace] if namespace else []
    return set(cluster.kubectl("get", kind, *where, "-o", "name").stdout.split())


def test_the_csi_drivers_and_cloudwatch_observability_run_their_pods_and_go_with_the_addon(tmp_path, ekslite):
    cluster = create_nodes_cluster(ekslite(), tmp_path, nodes=2)
    eks = ("eks", "create-addon", "--cluster-name", "demo", "--addon-name")
    aws_cli(cluster, tmp_path, *eks, "aws-ebs-csi-driver", "--configuration-values", '{"controller":{"replicaCount":3}}',
            "--service-account-role-arn", "arn:aws:iam::000000000000:role/ebs-csi")
    aws_cli(cluster, tmp_path, *eks, "aws-efs-csi-driver")
    aws_cli(cluster, tmp_path, *eks, "amazon-cloudwatch-observability")

    expected = [("kube-system", "app=ebs-csi-controller", 3), ("kube-system", "app=ebs-csi-node", 2),
                ("kube-system", "app=efs-csi-controller", 2), ("kube-system", "app=efs-csi-node", 2),
                ("amazon-cloudwatch", "control-plane=controller-manager", 1),
                ("amazon-cloudwatch", "app.kubernetes.io/name=cloudwatch-agent", 2),
                ("amazon-cloudwatch", "k8s-app=fluent-bit", 2)]

    def all_run():
        counts = {selector: len(running(labelled(cluster, namespace, selector))) for namespace, selector, _ in expected}
        return counts == {selector: count for _, selector, count in expected}
    wait_until(all_run, "the add-ons' pods Running and Ready on both nodes", deadline=90)
    for name in ("aws-ebs-csi-driver", "aws-efs-csi-driver", "amazon-cloudwatch-observability"):
        aws_cli(cluster, tmp_path, "eks", "wait", "addon-active", "--cluster-name", "demo", "--addon-name", name)
        addon = aws_cli(cluster, tmp_path, "eks", "describe-addon", "--cluster-name", "demo", "--addon-name", name)
        assert addon["addon"]["status"] == "ACTIVE" and addon["addon"]["health"]["issues"] == [], addon

    controller = json.loads(cluster.kubectl("get", "deploy", "ebs-csi-controller", "-n", "kube-system", "-o",
                                            "json").stdout)
    assert controller["spec"]["replicas"] == 3, "the configuration value"
    assert [c["name"] for c in controller["spec"]["template"]["spec"]["containers"]] == [
        "ebs-plugin", "csi-provisioner", "csi-attacher", "csi-snapshotter", "csi-resizer", "liveness-probe"]
    accounts = {a["metadata"]["name"]: a["metadata"].get("annotations", {}) for a in json.loads(
        cluster.kubectl("get", "sa", "-n", "kube-system", "-o", "json").stdout)["items"]}
    assert accounts["ebs-csi-controller-sa"]["eks.amazonaws.com/role-arn"] == "arn:aws:iam::000000000000:role/ebs-csi"
    assert "eks.amazonaws.com/role-arn" not in accounts["ebs-csi-node-sa"], "only the controller calls EC2"
    assert {"csidriver.storage.k8s.io/ebs.csi.aws.com", "csidriver.storage.k8s.io/efs.csi.aws.com"} <= \
        names(cluster, "csidriver")
    assert {"customresourcedefinition.apiextensions.k8s.io/amazoncloudwatchagents.cloudwatch.aws.amazon.com",
            "customresourcedefinition.apiextensions.k8s.io/instrumentations.cloudwatch.aws.amazon.com"} <= \
        names(cluster, "crd")
    assert names(cluster, "mutatingwebhookconfiguration") == set(), "no webhook for a simulated pod to answer"

    # Deleted, the EBS driver's objects go, cluster-scoped ones too; preserved, CloudWatch's stay.
    aws_cli(cluster, tmp_path, "eks", "delete-addon", "--cluster-name", "demo", "--addon-name", "aws-ebs-csi-driver")
    aws_cli(cluster, tmp_path, "eks", "delete-addon", "--cluster-name", "demo", "--addon-name",
            "amazon-cloudwatch-observability", "--preserve")
    for name in ("aws-ebs-csi-driver", "amazon-cloudwatch-observability"):
        aws_cli(cluster, tmp_path, "eks", "wait", "addon-deleted", "--cluster-name", "demo", "--addon-name", name)

    def ebs_gone():
        left = {n for n in names(cluster, "deploy,ds,sa,pdb", "kube-system") | names(cluster, "clusterrole,csidriver")
                if "ebs-" in n}
        return not left and not labelled(cluster, "kube-system", "app.kubernetes.io/name=aws-ebs-csi-driver")
    wait_until(ebs_gone, "the EBS CSI driver's objects and pods to go")
    assert "csidriver.storage.k8s.io/efs.csi.aws.com" in names(cluster, "csidriver"), "the EFS driver stays"
    assert names(cluster, "deploy,ds", "amazon-cloudwatch") == {
        "deployment.apps/amazon-cloudwatch-observability-controller-manager", "daemonset.apps/cloudwatch-agent",
        "daemonset.apps/fluent-bit"}, "preserved"
    assert len(running(labelled(cluster, "amazon-cloudwatch", "k8s-app=fluent-bit"))) == 2


def test_an_addon_without_nodes_is_degraded_until_a_node_group_gives_its_pods_somewhere_to_run(tmp_path, ekslite):
    cluster = create_nodes_cluster(ekslite(args=("--eks-addon-health-grace", "1")), tmp_path, nodes=0)
    cluster.eks.create_addon(clusterName="demo", addonName="aws-ebs-csi-driver")
    cluster.eks.get_waiter("addon_active").wait(clusterName="demo", addonName="aws-ebs-csi-driver",
                                                WaiterConfig={"Delay": 1, "MaxAttempts": 60})

    def described():
        return cluster.eks.describe_addon(clusterName="demo", addonName="aws-ebs-csi-driver")["addon"]
    degraded = wait_until(lambda: (a := described())["status"] == "DEGRADED" and a, "the add-on DEGRADED", deadline=60)
    assert degraded["health"]["issues"] == [{
        "code": "InsufficientNumberOfReplicas", "resourceIds": [],
        "message": "The add-on is unhealthy because it doesn't have the desired number of replicas."}]
    assert all(p["status"]["phase"] == "Pending" for p in labelled(cluster, "kube-system", "app=ebs-csi-controller"))

    cluster.eks.update_nodegroup_config(clusterName="demo", nodegroupName="workers",
                                        scalingConfig={"minSize": 0, "maxSize": 10, "desiredSize": 2})
    healthy = wait_until(lambda: (a := described())["status"] == "ACTIVE" and a, "the add-on ACTIVE again",
                         deadline=90)
    assert healthy["health"]["issues"] == []
    assert len(running(labelled(cluster, "kube-system", "app=ebs-csi-controller"))) == 2
