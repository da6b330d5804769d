"""EKS's add-ons run in the cluster: a new cluster starts with the VPC CNI, kube-proxy and CoreDNS as EKS installs
them (unless CreateCluster's bootstrapSelfManagedAddons is false), their pods run on the nodes, and CreateAddon /
DeleteAddon put an add-on's workloads in and take them out."""

import json

from conftest import Cluster, boto, create_nodes_cluster, eks_prereqs_for, run_ekslite, wait_until


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
