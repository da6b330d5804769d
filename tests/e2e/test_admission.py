"""What a real control plane adds without being asked: the `default` service account and the cluster CA in every
namespace, and the ServiceAccount admission plugin's changes to new pods."""

import json

import yaml


def pod(name, **spec):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "app", "image": "nginx"}], **spec}}


def create(cluster, manifest, namespace="default", check=True):
    return cluster.kubectl("-n", namespace, "create", "-f", "-", input=yaml.safe_dump(manifest), check=check)


def get(cluster, *args):
    return json.loads(cluster.kubectl("get", *args, "-o", "json").stdout)


def test_every_namespace_has_a_default_service_account_and_the_cluster_ca(cluster):
    cluster.kubectl("create", "namespace", "team")
    for namespace in ["default", "kube-system", "kube-public", "kube-node-lease", "team"]:
        accounts = cluster.kubectl("-n", namespace, "get", "serviceaccounts", "-o", "name").stdout.split()
        assert accounts == ["serviceaccount/default"], namespace
        root_ca = get(cluster, "-n", namespace, "configmap", "kube-root-ca.crt")
        assert root_ca["data"]["ca.crt"].startswith("-----BEGIN CERTIFICATE-----")
    config = yaml.safe_load(cluster.kubeconfig.read_text())
    assert config["clusters"][0]["cluster"]["certificate-authority-data"], "the same CA the kubeconfig trusts"


def test_pods_get_their_service_account_and_api_access_volume(cluster):
    create(cluster, pod("web"))
    spec = get(cluster, "pod", "web")["spec"]
    assert spec["serviceAccountName"] == spec["serviceAccount"] == "default"
    [volume] = spec["volumes"]
    assert volume["name"].startswith("kube-api-access-") and len(volume["name"]) == len("kube-api-access-") + 5
    sources = volume["projected"]["sources"]
    assert sources[0] == {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}
    assert sources[1]["configMap"]["name"] == "kube-root-ca.crt"
    assert sources[2]["downwardAPI"]["items"][0]["fieldRef"]["fieldPath"] == "metadata.namespace"
    assert spec["containers"][0]["volumeMounts"] == [
        {"name": volume["name"], "readOnly": True, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]

    # Opting out on the pod or on its service account leaves the pod without the volume.
    create(cluster, pod("quiet", automountServiceAccountToken=False))
    assert "volumes" not in get(cluster, "pod", "quiet")["spec"]
    cluster.kubectl("create", "serviceaccount", "robot")
    cluster.kubectl("patch", "serviceaccount", "robot", "-p", '{"automountServiceAccountToken": false}')
    create(cluster, pod("robotic", serviceAccountName="robot"))
    robotic = get(cluster, "pod", "robotic")["spec"]
    assert robotic["serviceAccountName"] == "robot" and "volumes" not in robotic


def test_a_pod_naming_a_missing_service_account_is_forbidden(cluster):
    refused = create(cluster, pod("lost", serviceAccountName="nobody"), check=False)
    assert refused.returncode != 0
    assert ('pods "lost" is forbidden: error looking up service account default/nobody: '
            'serviceaccount "nobody" not found') in refused.stderr
    assert cluster.kubectl("get", "pod", "lost", check=False).returncode != 0
