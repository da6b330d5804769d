"""Authentication and authorization as kube-apiserver does them: the admin certificate is system:masters,
service account tokens from `kubectl create token` authenticate as their service account, RBAC decides what each
may do with upstream's default roles and 403 messages, and the access reviews answer `kubectl auth can-i` and
`kubectl auth whoami`."""

import json
import subprocess

import pytest
import yaml

from conftest import DEADLINE_SECONDS


def token_kubeconfig(cluster, token, path):
    admin = yaml.safe_load(cluster.kubeconfig.read_text())
    config = {
        "apiVersion": "v1", "kind": "Config", "current-context": "token",
        "clusters": [{"name": "c", "cluster": admin["clusters"][0]["cluster"]}],
        "users": [{"name": "u", "user": {"token": token}}],
        "contexts": [{"name": "token", "context": {"cluster": "c", "user": "u", "namespace": "default"}}],
    }
    path.write_text(yaml.safe_dump(config))
    return path


def as_token(kubeconfig, *args, check=True):
    result = subprocess.run(["kubectl", "--kubeconfig", str(kubeconfig), *args], capture_output=True, text=True,
                            timeout=DEADLINE_SECONDS)
    if check and result.returncode != 0:
        pytest.fail(f"kubectl {' '.join(args)} failed:\n{result.stderr}")
    return result


def unauthorized(result):
    """Whether kubectl reports a 401 (its wording differs between versions)."""
    return result.returncode != 0 and ("Unauthorized" in result.stderr or "must be logged in" in result.stderr)


def test_the_admin_is_system_masters_and_default_roles_exist(cluster):
    whoami = json.loads(cluster.kubectl("auth", "whoami", "-o", "json").stdout)
    assert whoami["status"]["userInfo"]["username"] == "kubernetes-admin"
    assert set(whoami["status"]["userInfo"]["groups"]) == {"system:masters", "system:authenticated"}
    assert cluster.kubectl("auth", "can-i", "delete", "nodes").stdout.strip() == "yes"
    roles = cluster.kubectl("get", "clusterroles", "cluster-admin", "admin", "edit", "view", "-o", "name").stdout
    assert roles.split() == ["clusterrole.rbac.authorization.k8s.io/" + n for n in ["cluster-admin", "admin", "edit", "view"]]
    binding = json.loads(cluster.kubectl("get", "clusterrolebinding", "cluster-admin", "-o", "json").stdout)
    assert binding["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:masters"}]


def test_service_account_tokens_and_rbac(cluster, tmp_path):
    cluster.kubectl("create", "serviceaccount", "robot")
    token = cluster.kubectl("create", "token", "robot").stdout.strip()
    assert token.count(".") == 2
    robot = token_kubeconfig(cluster, token, tmp_path / "robot.kubeconfig")

    who = json.loads(as_token(robot, "auth", "whoami", "-o", "json").stdout)["status"]["userInfo"]
    assert who["username"] == "system:serviceaccount:default:robot"
    assert set(who["groups"]) == {"system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"}

    denied = as_token(robot, "get", "pods", check=False)
    assert denied.returncode != 0
    assert ('pods is forbidden: User "system:serviceaccount:default:robot" cannot list resource "pods" in API '
            'group "" in the namespace "default"') in denied.stderr
    assert as_token(robot, "auth", "can-i", "list", "pods", check=False).stdout.strip() == "no"
    assert as_token(robot, "get", "--raw", "/apis").returncode == 0, "discovery is open to every authenticated user"

    cluster.kubectl("create", "rolebinding", "robot-view", "--clusterrole=view", "--serviceaccount=default:robot")
    assert as_token(robot, "get", "pods").returncode == 0
    assert as_token(robot, "auth", "can-i", "list", "deployments.apps").stdout.strip() == "yes"
    assert as_token(robot, "auth", "can-i", "delete", "pods", check=False).stdout.strip() == "no"
    assert as_token(robot, "auth", "can-i", "list", "pods", "-n", "kube-system", check=False).stdout.strip() == "no"
    cluster.kubectl("create", "configmap", "shared", "--from-literal=a=b")
    refused = as_token(robot, "delete", "configmap", "shared", check=False)
    assert 'configmaps "shared" is forbidden' in refused.stderr and "cannot delete resource" in refused.stderr
    listing = as_token(robot, "auth", "can-i", "--list").stdout
    assert "deployments.apps" in listing and "selfsubjectaccessreviews.authorization.k8s.io" in listing

    # A Role of its own lets it write configmaps in its namespace only.
    cluster.kubectl("create", "role", "cm-writer", "--verb=create,delete,get", "--resource=configmaps")
    cluster.kubectl("create", "rolebinding", "robot-cm", "--role=cm-writer", "--serviceaccount=default:robot")
    assert as_token(robot, "delete", "configmap", "shared").returncode == 0

    # The token dies with its service account, even if one of the same name comes back.
    cluster.kubectl("delete", "serviceaccount", "robot")
    cluster.kubectl("create", "serviceaccount", "robot")
    gone = as_token(robot, "get", "pods", check=False)
    assert unauthorized(gone), gone.stderr


def test_bad_tokens_and_token_requests(cluster, tmp_path):
    cluster.kubectl("create", "serviceaccount", "robot")
    token = cluster.kubectl("create", "token", "robot").stdout.strip()
    header, payload, signature = token.split(".")
    for bad in ["garbage", f"{header}.{payload}.{signature[:-4]}AAAA", f"{header}.{payload}", "a.b.c"]:
        result = as_token(token_kubeconfig(cluster, bad, tmp_path / "bad.kubeconfig"), "get", "pods", check=False)
        assert unauthorized(result), (bad, result.stderr)

    short = cluster.kubectl("create", "token", "robot", "--duration=1m", check=False)
    assert short.returncode != 0 and "may not specify a duration less than 10 minutes" in short.stderr
    missing = cluster.kubectl("create", "token", "nobody", check=False)
    assert missing.returncode != 0 and 'serviceaccounts "nobody" not found' in missing.stderr
    audience = cluster.kubectl("create", "token", "robot", "--audience=sts.amazonaws.com").stdout.strip()
    other = as_token(token_kubeconfig(cluster, audience, tmp_path / "aud.kubeconfig"), "get", "pods", check=False)
    assert unauthorized(other), "a token for another audience"

    review = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": token}}
    # --validate=false: kubectl validates kinds without a PATCH operation against /openapi/v2, which is not served.
    answered = json.loads(cluster.kubectl("create", "--validate=false", "-f", "-", "-o", "json",
                                          input=json.dumps(review)).stdout)
    assert answered["status"]["authenticated"] is True
    assert answered["status"]["user"]["username"] == "system:serviceaccount:default:robot"
    jwks = json.loads(cluster.kubectl("get", "--raw", "/openid/v1/jwks").stdout)
    assert jwks["keys"][0]["alg"] == "ES256"
