"""EKS access entries and access policies through the real aws CLI and boto3: the creator's bootstrap entry,
entries from create to delete, policy associations, and each error as EKS reports it; then kubectl as the IAM
users they map: who they are in the cluster and what the policies let them do."""

import json
import subprocess
import urllib.parse

from conftest import DEADLINE_SECONDS, boto, eks_prereqs_for
from test_eks import raw
from test_eks_nodegroups import error_of, make_cluster, signed_headers

ROOT = "arn:aws:iam::000000000000:root"
ROLE = "arn:aws:iam::000000000000:role/dev/admins"
USER = "arn:aws:iam::000000000000:user/alice"
POLICY = "arn:aws:eks::aws:cluster-access-policy/"


def make_principals(server):
    """The IAM role (path /dev/) and user that ROLE and USER name: EKS refuses entries for principals that do not
    exist."""
    iam = boto(server, "iam")
    iam.create_role(RoleName="admins", Path="/dev/", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": ROOT},
                                                 "Action": "sts:AssumeRole"}]}))
    iam.create_user(UserName="alice")


def test_the_creator_gets_cluster_admin_in_api_modes(aws):
    client = boto(aws.server)
    make_cluster(client, accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"})
    assert aws("eks", "list-access-entries", "--cluster-name", "demo")["accessEntries"] == [ROOT]
    entry = aws("eks", "describe-access-entry", "--cluster-name", "demo", "--principal-arn", ROOT)["accessEntry"]
    assert entry["username"] == ROOT and entry["type"] == "STANDARD"
    associated = client.list_associated_access_policies(clusterName="demo", principalArn=ROOT)
    assert [p["policyArn"] for p in associated["associatedAccessPolicies"]] == [POLICY + "AmazonEKSClusterAdminPolicy"]
    assert associated["associatedAccessPolicies"][0]["accessScope"] == {"type": "cluster", "namespaces": []}
    make_cluster(client, name="quiet", accessConfig={"authenticationMode": "API",
                                                     "bootstrapClusterCreatorAdminPermissions": False})
    assert client.list_access_entries(clusterName="quiet")["accessEntries"] == []


def test_access_entries_from_create_to_delete(aws):
    client = boto(aws.server)
    make_principals(aws.server)
    make_cluster(client, accessConfig={"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False})
    created = aws("eks", "create-access-entry", "--cluster-name", "demo", "--principal-arn", ROLE,
                  "--kubernetes-groups", "devs")["accessEntry"]
    assert created["username"] == "arn:aws:sts::000000000000:assumed-role/admins/{{SessionName}}"
    assert created["kubernetesGroups"] == ["devs"]
    assert created["accessEntryArn"].startswith(
        "arn:aws:eks:us-east-1:000000000000:access-entry/demo/role/000000000000/admins/")
    client.create_access_entry(clusterName="demo", principalArn=USER, tags={"team": "a"})
    assert client.describe_access_entry(clusterName="demo", principalArn=USER)["accessEntry"]["username"] == USER
    updated = client.update_access_entry(clusterName="demo", principalArn=USER, username="alice",
                                         kubernetesGroups=["viewers"])["accessEntry"]
    assert updated["username"] == "alice" and updated["kubernetesGroups"] == ["viewers"]

    associated = aws("eks", "associate-access-policy", "--cluster-name", "demo", "--principal-arn", USER,
                     "--policy-arn", POLICY + "AmazonEKSViewPolicy",
                     "--access-scope", "type=namespace,namespaces=team-a")
    assert associated["associatedAccessPolicy"]["accessScope"] == {"type": "namespace", "namespaces": ["team-a"]}
    viewers = client.list_access_entries(clusterName="demo", associatedPolicyArn=POLICY + "AmazonEKSViewPolicy")
    assert viewers["accessEntries"] == [USER]
    paged = [e for page in client.get_paginator("list_access_entries").paginate(
        clusterName="demo", PaginationConfig={"PageSize": 1}) for e in page["accessEntries"]]
    assert paged == [ROLE, USER]
    client.disassociate_access_policy(clusterName="demo", principalArn=USER, policyArn=POLICY + "AmazonEKSViewPolicy")
    assert client.list_associated_access_policies(clusterName="demo", principalArn=USER)[
        "associatedAccessPolicies"] == []
    aws("eks", "delete-access-entry", "--cluster-name", "demo", "--principal-arn", USER)
    assert client.list_access_entries(clusterName="demo")["accessEntries"] == [ROLE]

    policies = [p for page in client.get_paginator("list_access_policies").paginate(
        PaginationConfig={"PageSize": 3}) for p in page["accessPolicies"]]
    assert {"name": "AmazonEKSClusterAdminPolicy", "arn": POLICY + "AmazonEKSClusterAdminPolicy"} in policies
    assert len(policies) == len({p["name"] for p in policies}) >= 5


def test_access_entry_errors(aws):
    client = boto(aws.server)
    make_principals(aws.server)
    make_cluster(client, name="legacy")
    assert error_of(client.create_access_entry, clusterName="legacy", principalArn=USER) == (
        "InvalidRequestException",
        "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.",
        400)
    make_cluster(client, accessConfig={"authenticationMode": "API"})
    client.create_access_entry(clusterName="demo", principalArn=USER)
    assert error_of(client.create_access_entry, clusterName="demo", principalArn=USER) == (
        "ResourceInUseException", "The specified access entry resource is already in use on this cluster.", 409)
    code, message, status = error_of(client.describe_access_entry, clusterName="demo", principalArn=ROLE)
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert message.startswith("The specified principalArn could not be found.")
    assert error_of(client.create_access_entry, clusterName="nope", principalArn=USER)[0::2] == (
        "ResourceNotFoundException", 404)
    for bad in [{"principalArn": "alice"}, {"principalArn": USER + "x", "username": "system:admin"},
                {"principalArn": ROLE, "kubernetesGroups": ["system:masters"]},
                {"principalArn": ROLE, "type": "ROBOT"}]:
        assert error_of(client.create_access_entry, clusterName="demo", **bad)[0::2] == (
            "InvalidParameterException", 400), bad
    assert error_of(client.associate_access_policy, clusterName="demo", principalArn=USER,
                    policyArn="arn:aws:iam::aws:policy/AdministratorAccess",
                    accessScope={"type": "cluster"})[0::2] == ("InvalidParameterException", 400)
    assert error_of(client.associate_access_policy, clusterName="demo", principalArn=USER,
                    policyArn=POLICY + "AmazonEKSEditPolicy", accessScope={"type": "namespace"})[0::2] == (
        "InvalidParameterException", 400)
    assert error_of(client.disassociate_access_policy, clusterName="demo", principalArn=USER,
                    policyArn=POLICY + "AmazonEKSEditPolicy")[0::2] == ("ResourceNotFoundException", 404)
    assert error_of(client.list_access_policies, maxResults=101)[0] == "InvalidParameterException"
    # Principals that IAM does not know, and policies on an entry that is not STANDARD.
    for missing in ["arn:aws:iam::000000000000:user/nobody", "arn:aws:iam::000000000000:role/ops/admins",
                    "arn:aws:iam::111111111111:role/admins"]:
        assert error_of(client.create_access_entry, clusterName="demo", principalArn=missing) == (
            "InvalidParameterException", "The specified principalArn is invalid: invalid principal", 400), missing
    client.create_access_entry(clusterName="demo", principalArn=ROLE, type="EC2_LINUX")
    code, message, status = error_of(client.associate_access_policy, clusterName="demo", principalArn=ROLE,
                                     policyArn=POLICY + "AmazonEKSViewPolicy", accessScope={"type": "cluster"})
    assert (code, status) == ("InvalidRequestException", 400) and "EC2_LINUX" in message
    # A CONFIG_MAP cluster's creator can only get in through the bootstrap.
    net = eks_prereqs_for(aws.server)
    code, message, status = error_of(client.create_cluster, name="locked", roleArn=net.cluster_role,
                                     resourcesVpcConfig=net.resources,
                                     accessConfig={"bootstrapClusterCreatorAdminPermissions": False})
    assert (code, status) == ("InvalidParameterException", 400) and "CONFIG_MAP" in message


def test_garbage_access_requests(aws):
    client = boto(aws.server)
    make_cluster(client, accessConfig={"authenticationMode": "API"})
    headers = signed_headers()
    root = urllib.parse.quote(ROOT, safe="")
    cases = [
        ("POST", "/clusters/demo/access-entries", b"{not json", "BadRequestException"),
        ("POST", "/clusters/demo/access-entries", b'{"principalArn": ["x"]}', "InvalidParameterException"),
        ("POST", "/clusters/demo/access-entries", b"{}", "InvalidParameterException"),
        ("POST", f"/clusters/demo/access-entries/{root}", b'{"kubernetesGroups": "devs"}',
         "InvalidParameterException"),
        ("POST", f"/clusters/demo/access-entries/{root}/access-policies", b'{"policyArn": "x"}',
         "InvalidParameterException"),
        ("POST", f"/clusters/demo/access-entries/{root}/access-policies",
         b'{"policyArn": "x", "accessScope": {"type": 1}}', "InvalidParameterException"),
        ("GET", "/access-policies?maxResults=all", b"", "InvalidParameterException"),
    ]
    for method, path, body, code in cases:
        got, reply_headers, data = raw(aws.server, method, path, body, headers)
        assert (got, reply_headers.get("x-amzn-errortype")) == (400, code), (method, path, body, data)
        assert "message" in json.loads(data)
    assert client.list_access_entries(clusterName="demo")["accessEntries"] == [ROOT]


# Into the cluster: kubectl authenticating with `aws eks get-token` as IAM users that access entries, access policies
# and the aws-auth ConfigMap map, with kubectl 1.37 and /usr/bin/kubectl 1.32.

KUBECTLS = ["kubectl", "/usr/bin/kubectl"]
# kubectl follows this with "(Unauthorized)", or "(the server has asked for the client to provide credentials)".
UNAUTHORIZED = "You must be logged in to the server"


def iam_user(aws, name):
    """An IAM user with an access key: its ARN and the environment that makes the aws CLI act as it."""
    arn = aws("iam", "create-user", "--user-name", name)["User"]["Arn"]
    key = aws("iam", "create-access-key", "--user-name", name)["AccessKey"]
    env = aws.env()
    env.update({"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]})
    return arn, env


def kubeconfig_for(aws, tmp_path, cluster="demo"):
    path = tmp_path / f"{cluster}.kubeconfig"
    aws("eks", "update-kubeconfig", "--name", cluster, "--kubeconfig", str(path))
    return path


def kubectl(kubeconfig, env, *args, binary="kubectl", stdin=None):
    return subprocess.run([binary, "--kubeconfig", str(kubeconfig), *args], capture_output=True, text=True,
                          env=env, input=stdin, timeout=DEADLINE_SECONDS)


def succeeds(kubeconfig, env, *args):
    for binary in KUBECTLS:
        done = kubectl(kubeconfig, env, *args, binary=binary)
        assert done.returncode == 0, (binary, args, done.stderr)
    return done


def write(kubeconfig, env, *args):
    done = kubectl(kubeconfig, env, *args)
    assert done.returncode == 0, (args, done.stderr)
    return done


def refused(kubeconfig, env, *args, message):
    for binary in KUBECTLS:
        done = kubectl(kubeconfig, env, *args, binary=binary)
        assert done.returncode != 0 and message in done.stderr, (binary, args, done.stderr)


def forbidden(user, verb, resource, scope):
    where = f'in the namespace "{scope}"' if scope else "at the cluster scope"
    return f'{resource} is forbidden: User "{user}" cannot {verb} resource "{resource}" in API group "" {where}'


def test_access_entries_and_policies_decide_what_an_iam_user_may_do(aws, tmp_path):
    client = boto(aws.server)
    make_cluster(client, accessConfig={"authenticationMode": "API"})
    kubeconfig = kubeconfig_for(aws, tmp_path)
    admin = aws.env()
    bob, as_bob = iam_user(aws, "bob")

    # The creator is admin through its bootstrap access entry.
    write(kubeconfig, admin, "create", "namespace", "team-a")
    succeeds(kubeconfig, admin, "get", "nodes")
    assert "arn:aws:iam::000000000000:root" in succeeds(kubeconfig, admin, "auth", "whoami").stdout

    # Bob's token is valid, but nothing maps him: 401.
    refused(kubeconfig, as_bob, "get", "pods", "-n", "team-a", message=UNAUTHORIZED)

    entry = aws("eks", "create-access-entry", "--cluster-name", "demo", "--principal-arn", bob)["accessEntry"]
    assert entry["username"] == bob
    refused(kubeconfig, as_bob, "get", "pods", "-n", "team-a", message=forbidden(bob, "list", "pods", "team-a"))
    aws("eks", "associate-access-policy", "--cluster-name", "demo", "--principal-arn", bob,
        "--access-scope", "type=namespace,namespaces=team-a", "--policy-arn", POLICY + "AmazonEKSViewPolicy")
    assert "No resources found in team-a namespace." in succeeds(
        kubeconfig, as_bob, "get", "pods", "-n", "team-a").stderr
    refused(kubeconfig, as_bob, "get", "pods", "-n", "default", message=forbidden(bob, "list", "pods", "default"))
    refused(kubeconfig, as_bob, "get", "nodes", message=forbidden(bob, "list", "nodes", None))
    refused(kubeconfig, as_bob, "create", "configmap", "settings", "-n", "team-a",
            message=forbidden(bob, "create", "configmaps", "team-a"))
    refused(kubeconfig, as_bob, "get", "secrets", "-n", "team-a", message=forbidden(bob, "list", "secrets", "team-a"))
    can_i = kubectl(kubeconfig, as_bob, "auth", "can-i", "watch", "deployments", "-n", "team-a")
    assert can_i.stdout.strip() == "yes", can_i.stderr

    # Taking the policy away takes the permission away at once.
    aws("eks", "disassociate-access-policy", "--cluster-name", "demo", "--principal-arn", bob,
        "--policy-arn", POLICY + "AmazonEKSViewPolicy")
    refused(kubeconfig, as_bob, "get", "pods", "-n", "team-a", message=forbidden(bob, "list", "pods", "team-a"))

    # Namespace wildcards, and a broader policy.
    write(kubeconfig, admin, "create", "namespace", "team-b")
    client.associate_access_policy(clusterName="demo", principalArn=bob, policyArn=POLICY + "AmazonEKSEditPolicy",
                                   accessScope={"type": "namespace", "namespaces": ["team-*"]})
    write(kubeconfig, as_bob, "create", "configmap", "settings", "-n", "team-b")
    succeeds(kubeconfig, as_bob, "get", "configmap", "settings", "-n", "team-b")
    refused(kubeconfig, as_bob, "create", "configmap", "settings", "-n", "default",
            message=forbidden(bob, "create", "configmaps", "default"))
    refused(kubeconfig, as_bob, "get", "namespaces", message=forbidden(bob, "list", "namespaces", None))

    # Kubernetes groups of the entry, bound by the cluster's own RBAC.
    aws("eks", "update-access-entry", "--cluster-name", "demo", "--principal-arn", bob,
        "--kubernetes-groups", "readers", "--username", "bob")
    refused(kubeconfig, as_bob, "get", "services", "-n", "default",
            message=forbidden("bob", "list", "services", "default"))
    write(kubeconfig, admin, "create", "rolebinding", "readers", "--clusterrole=view", "--group=readers",
             "-n", "default")
    assert "kubernetes" in succeeds(kubeconfig, as_bob, "get", "services", "-n", "default").stdout
    whoami = json.loads(succeeds(kubeconfig, as_bob, "auth", "whoami", "-o", "json").stdout)
    assert whoami["status"]["userInfo"]["username"] == "bob"
    assert set(whoami["status"]["userInfo"]["groups"]) == {"readers", "system:authenticated"}

    # Without its entry, bob is nobody again; without theirs, neither is the creator.
    aws("eks", "delete-access-entry", "--cluster-name", "demo", "--principal-arn", bob)
    refused(kubeconfig, as_bob, "get", "services", "-n", "default", message=UNAUTHORIZED)
    aws("eks", "delete-access-entry", "--cluster-name", "demo", "--principal-arn", ROOT)
    refused(kubeconfig, admin, "get", "nodes", message=UNAUTHORIZED)


AWS_AUTH = """apiVersion: v1
kind: ConfigMap
metadata:
  name: aws-auth
  namespace: kube-system
data:
  mapUsers: |
{users}
"""


def aws_auth(users):
    return AWS_AUTH.format(users="\n".join("    " + line for line in users.strip().splitlines()))


def test_the_aws_auth_config_map_maps_users_in_config_map_modes(aws, tmp_path):
    client = boto(aws.server)
    make_cluster(client)
    kubeconfig = kubeconfig_for(aws, tmp_path)
    admin = aws.env()
    bob, as_bob = iam_user(aws, "bob")
    whoami = json.loads(succeeds(kubeconfig, admin, "auth", "whoami", "-o", "json").stdout)
    assert whoami["status"]["userInfo"]["username"] == "kubernetes-admin", "the creator's hidden mapping"
    assert "system:masters" in whoami["status"]["userInfo"]["groups"]
    refused(kubeconfig, as_bob, "get", "pods", message=UNAUTHORIZED)

    users = f"""
- userarn: {bob}
  username: bob-{{{{AccountID}}}}
  groups: [viewers]
"""
    write(kubeconfig, admin, "create", "clusterrolebinding", "viewers", "--clusterrole=view", "--group=viewers")
    applied = kubectl(kubeconfig, admin, "apply", "-f", "-", stdin=aws_auth(users))
    assert applied.returncode == 0, applied.stderr
    whoami = json.loads(succeeds(kubeconfig, as_bob, "auth", "whoami", "-o", "json").stdout)
    assert whoami["status"]["userInfo"]["username"] == "bob-000000000000"
    assert "viewers" in whoami["status"]["userInfo"]["groups"]
    succeeds(kubeconfig, as_bob, "get", "pods", "-A")
    refused(kubeconfig, as_bob, "create", "namespace", "mine",
            message=forbidden("bob-000000000000", "create", "namespaces", None))

    # Garbage in aws-auth maps no one, and harms nobody else.
    garbage = kubectl(kubeconfig, admin, "create", "configmap", "aws-auth", "-n", "kube-system",
                      "--from-literal=mapUsers={{{ not: yaml", "--dry-run=client", "-o", "yaml")
    assert garbage.returncode == 0, garbage.stderr
    replaced = kubectl(kubeconfig, admin, "replace", "-f", "-", stdin=garbage.stdout)
    assert replaced.returncode == 0, replaced.stderr
    refused(kubeconfig, as_bob, "get", "pods", "-A", message=UNAUTHORIZED)
    succeeds(kubeconfig, admin, "get", "pods", "-A")

    # API_AND_CONFIG_MAP: aws-auth still counts, and an access entry wins over it.
    applied = kubectl(kubeconfig, admin, "apply", "-f", "-", stdin=aws_auth(users))
    assert applied.returncode == 0, applied.stderr
    make_cluster(client, name="both", accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"})
    both = kubeconfig_for(aws, tmp_path, "both")
    refused(both, as_bob, "get", "pods", message=UNAUTHORIZED)
    write(both, admin, "create", "clusterrolebinding", "viewers", "--clusterrole=view", "--group=viewers")
    applied = kubectl(both, admin, "apply", "-f", "-", stdin=aws_auth(users))
    assert applied.returncode == 0, applied.stderr
    assert "bob-000000000000" in succeeds(both, as_bob, "auth", "whoami").stdout
    client.create_access_entry(clusterName="both", principalArn=bob, username="entry-bob")
    assert "entry-bob" in succeeds(both, as_bob, "auth", "whoami").stdout
    refused(both, as_bob, "get", "pods", message=forbidden("entry-bob", "list", "pods", "default"))
