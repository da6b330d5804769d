"""helm 4 and helm 3 against a cluster, with OpenAPI validation on: a chart with a Deployment, Service, ConfigMap,
Secret, ServiceAccount, Role, RoleBinding and a CRD with a custom resource is installed, upgraded with a changed
value, rolled back, listed, shown in history and uninstalled."""

import base64
import json
import subprocess
from pathlib import Path

import pytest

from conftest import DEADLINE_SECONDS

CHART = Path(__file__).parent / "charts" / "shop"


def helm_runner(binary, cluster, tmp_path):
    env = {
        "PATH": subprocess.os.environ["PATH"],
        "HOME": str(tmp_path),
        "KUBECONFIG": str(cluster.kubeconfig),
        "HELM_CACHE_HOME": str(tmp_path / "cache"),
        "HELM_CONFIG_HOME": str(tmp_path / "config"),
        "HELM_DATA_HOME": str(tmp_path / "data"),
    }

    def helm(*args, check=True):
        result = subprocess.run([binary, *args], capture_output=True, text=True, env=env, timeout=DEADLINE_SECONDS)
        if check and result.returncode != 0:
            pytest.fail(f"{binary} {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
        return result

    return helm


def get(cluster, *args):
    return json.loads(cluster.kubectl("get", *args, "-o", "json").stdout)


@pytest.mark.parametrize("binary", ["helm", "helm3"])
def test_a_chart_installs_upgrades_rolls_back_and_uninstalls(cluster, tmp_path, binary):
    helm = helm_runner(binary, cluster, tmp_path)
    # No --wait: pods do not run until the data plane exists, so a Deployment never becomes ready.
    installed = helm("install", "shop", str(CHART))
    assert "STATUS: deployed" in installed.stdout

    assert get(cluster, "deployment", "shop-web")["spec"]["replicas"] == 2
    assert get(cluster, "configmap", "shop-config")["data"] == {"greeting": "hello"}
    assert base64.b64decode(get(cluster, "secret", "shop-secret")["data"]["password"]) == b"hunter2"
    assert get(cluster, "service", "shop-web")["spec"]["clusterIP"].startswith("10.100.")
    assert get(cluster, "rolebinding", "shop-reader")["roleRef"]["name"] == "shop-reader"
    assert get(cluster, "serviceaccount", "shop-app")["metadata"]["name"] == "shop-app"
    assert get(cluster, "widget", "shop-widget")["spec"] == {"size": 2}
    listed = json.loads(helm("list", "-o", "json").stdout)
    assert [(r["name"], r["status"], r["revision"]) for r in listed] == [("shop", "deployed", "1")]

    helm("upgrade", "shop", str(CHART), "--set", "greeting=bonjour", "--set", "replicas=3", "--set", "widgetSize=4",
         )
    assert get(cluster, "configmap", "shop-config")["data"] == {"greeting": "bonjour"}
    assert get(cluster, "deployment", "shop-web")["spec"]["replicas"] == 3
    assert get(cluster, "widget", "shop-widget")["spec"] == {"size": 4}

    helm("rollback", "shop", "1")
    assert get(cluster, "configmap", "shop-config")["data"] == {"greeting": "hello"}
    assert get(cluster, "deployment", "shop-web")["spec"]["replicas"] == 2
    history = json.loads(helm("history", "shop", "-o", "json").stdout)
    assert [(h["revision"], h["status"]) for h in history] == [(1, "superseded"), (2, "superseded"), (3, "deployed")]

    # A value the CRD's schema refuses fails the upgrade and changes nothing.
    refused = helm("upgrade", "shop", str(CHART), "--set", "widgetSize=0", check=False)
    assert refused.returncode != 0 and "spec.size" in refused.stderr
    assert get(cluster, "widget", "shop-widget")["spec"] == {"size": 2}

    helm("uninstall", "shop", "--wait", "--timeout", "60s")
    assert json.loads(helm("list", "-o", "json").stdout) == []
    leftovers = cluster.kubectl("get", "deploy,svc,sa,role,rolebinding,widgets", "-o", "name").stdout.split()
    assert leftovers == ["service/kubernetes", "serviceaccount/default"], leftovers
    assert cluster.kubectl("get", "configmap", "shop-config", check=False).returncode != 0
