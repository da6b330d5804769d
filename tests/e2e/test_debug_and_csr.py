"""Ephemeral containers (`kubectl debug`) and CertificateSigningRequests (`kubectl certificate approve|deny`, then
logging in with the issued certificate), with kubectl 1.37 and 1.32 and the Python client."""

import base64
import json
import subprocess

import pytest

from conftest import create_nodes_cluster, wait_until

KUBECTLS = ["kubectl", "/usr/bin/kubectl"]


def pod_json(cluster, name):
    return json.loads(cluster.kubectl("get", "pod", name, "-o", "json").stdout)


def ephemeral_state(cluster, pod, container):
    statuses = pod_json(cluster, pod).get("status", {}).get("ephemeralContainerStatuses", [])
    return next((s["state"] for s in statuses if s["name"] == container), {})


@pytest.fixture
def one_node_cluster(ekslite, tmp_path):
    return create_nodes_cluster(ekslite(), tmp_path, nodes=1)


def test_kubectl_debug_adds_running_ephemeral_containers(one_node_cluster):
    from kubernetes import client, config
    from kubernetes.client.rest import ApiException

    cluster = one_node_cluster
    cluster.kubectl("run", "mypod", "--image=nginx")
    wait_until(lambda: pod_json(cluster, "mypod")["status"].get("phase") == "Running", "mypod running")

    for idx, kubectl in enumerate(KUBECTLS):
        name = f"debugger-{idx}"
        added = cluster.kubectl("debug", "mypod", "--image=busybox", f"--container={name}", kubectl=kubectl)
        assert "Defaulting debug container name" not in added.stderr, added.stderr
        wait_until(lambda: "running" in ephemeral_state(cluster, "mypod", name), f"{name} running ({kubectl})")
        status = next(s for s in pod_json(cluster, "mypod")["status"]["ephemeralContainerStatuses"]
                      if s["name"] == name)
        assert status["image"] == "docker.io/library/busybox:latest", status
        assert status["imageID"].startswith("docker.io/library/busybox@sha256:"), status
        assert status["state"]["running"]["startedAt"], status

    # With -it, kubectl adds the container, waits for it to run and attaches, which answers as attaching to
    # any other container of the pod does.
    attach = cluster.kubectl("attach", "mypod", "-c", "mypod", check=False, input="", timeout=60)
    assert attach.returncode != 0
    for idx, kubectl in enumerate(KUBECTLS):
        name = f"interactive-{idx}"
        debug = cluster.kubectl("debug", "mypod", "-it", "--image=busybox", "--target=mypod", f"--container={name}",
                                kubectl=kubectl, check=False, input="", timeout=60)
        spec = pod_json(cluster, "mypod")["spec"]["ephemeralContainers"]
        added = next(c for c in spec if c["name"] == name)
        assert (added["targetContainerName"], added["stdin"], added["tty"]) == ("mypod", True, True)
        assert "running" in ephemeral_state(cluster, "mypod", name), debug.stderr
        assert debug.returncode == attach.returncode, (debug.stderr, attach.stderr)
        assert "ephemeral containers are disabled" not in debug.stderr, debug.stderr

    # Debugging a node and a copy of a pod create pods.
    node = cluster.ready_nodes()[0]["metadata"]["name"]
    for idx, kubectl in enumerate(KUBECTLS):
        made = cluster.kubectl("debug", f"node/{node}", "--image=busybox", kubectl=kubectl)
        debugger = made.stdout.split("Creating debugging pod ")[1].split()[0]
        assert pod_json(cluster, debugger)["spec"]["nodeName"] == node
        cluster.kubectl("debug", "mypod", f"--copy-to=mypod-copy-{idx}", "--image=busybox", "--container=extra",
                        kubectl=kubectl)
        copied = pod_json(cluster, f"mypod-copy-{idx}")["spec"]["containers"]
        assert [c["name"] for c in copied] == ["mypod", "extra"]

    # The Python client's typed call, and upstream's refusals through it.
    api = client.CoreV1Api(config.new_client_from_config(str(cluster.kubeconfig)))
    patched = api.patch_namespaced_pod_ephemeralcontainers(
        "mypod", "default", {"spec": {"ephemeralContainers": [{"name": "from-python", "image": "alpine"}]}})
    assert "from-python" in [c.name for c in patched.spec.ephemeral_containers]
    current = api.read_namespaced_pod_ephemeralcontainers("mypod", "default")
    current.spec.ephemeral_containers = current.spec.ephemeral_containers[1:]
    # The node agent writes the pod's status meanwhile: no resourceVersion, so the update is not a stale one.
    current.metadata.resource_version = None
    with pytest.raises(ApiException) as removed:
        api.replace_namespaced_pod_ephemeralcontainers("mypod", "default", current)
    assert removed.value.status == 422
    body = json.loads(removed.value.body)
    assert body["message"] == ('Pod "mypod" is invalid: spec.ephemeralContainers: Forbidden: existing ephemeral '
                               'containers "debugger-0" may not be removed\n'), body
    with pytest.raises(ApiException) as ports:
        api.patch_namespaced_pod_ephemeralcontainers("mypod", "default", {"spec": {"ephemeralContainers": [
            {"name": "with-ports", "image": "alpine", "ports": [{"containerPort": 80}]}]}})
    assert ports.value.status == 422
    assert "spec.ephemeralContainers[5].ports: Forbidden: cannot be set for an Ephemeral Container" in \
        json.loads(ports.value.body)["message"]
    # A plain update of the pod cannot add one.
    edited = pod_json(cluster, "mypod")
    edited["spec"]["ephemeralContainers"].append({"name": "sneaky", "image": "alpine"})
    replaced = cluster.kubectl("replace", "-f", "-", input=json.dumps(edited), check=False)
    assert replaced.returncode != 0 and "Forbidden: pod updates may not change fields" in replaced.stderr


def make_request(tmp_path, name, subject):
    key = tmp_path / f"{name}.key"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
    request = subprocess.run(["openssl", "req", "-new", "-key", str(key), "-subj", subject],
                             check=True, capture_output=True, text=True).stdout
    return key, request


def csr_manifest(name, request, usages=("client auth",), signer="kubernetes.io/kube-apiserver-client",
                 expiration=None):
    spec = {"request": base64.b64encode(request.encode()).decode(), "signerName": signer, "usages": list(usages)}
    if expiration:
        spec["expirationSeconds"] = expiration
    return json.dumps({"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
                       "metadata": {"name": name}, "spec": spec})


def csr_status(cluster, name):
    return json.loads(cluster.kubectl("get", "csr", name, "-o", "json").stdout).get("status", {})


def test_approved_client_certificates_log_in_with_rbac(cluster, tmp_path):
    from kubernetes import client, config
    from kubernetes.client.rest import ApiException

    key, request = make_request(tmp_path, "jane", "/CN=jane/O=devs")
    cluster.kubectl("create", "-f", "-", input=csr_manifest("jane", request, expiration=3600))
    listed = cluster.kubectl("get", "csr", "jane").stdout
    assert "Pending" in listed and "kubernetes.io/kube-apiserver-client" in listed, listed
    cluster.kubectl("certificate", "approve", "jane")
    wait_until(lambda: csr_status(cluster, "jane").get("certificate"), "jane's certificate")
    certificate = base64.b64decode(csr_status(cluster, "jane")["certificate"]).decode()
    assert "Approved,Issued" in cluster.kubectl("get", "csr", "jane").stdout
    cert_file = tmp_path / "jane.crt"
    cert_file.write_text(certificate)
    shown = subprocess.run(["openssl", "x509", "-noout", "-subject", "-startdate", "-enddate", "-in", str(cert_file)],
                           check=True, capture_output=True, text=True).stdout
    assert "CN=jane" in shown.replace(" ", "") and "O=devs" in shown.replace(" ", ""), shown
    lasts = subprocess.run(["openssl", "x509", "-noout", "-checkend", "3500", "-in", str(cert_file)],
                           capture_output=True, text=True)
    ends_soon = subprocess.run(["openssl", "x509", "-noout", "-checkend", "3700", "-in", str(cert_file)],
                               capture_output=True, text=True)
    assert (lasts.returncode, ends_soon.returncode) == (0, 1), shown

    # A kubeconfig with the key and the issued certificate is jane, and RBAC applies to her.
    jane = tmp_path / "jane.kubeconfig"
    jane.write_text(cluster.kubeconfig.read_text())
    as_jane = ["--kubeconfig", str(jane)]
    for args in (["config", "set-credentials", "jane", f"--client-key={key}", f"--client-certificate={cert_file}",
                  "--embed-certs=true"],
                 ["config", "set-context", "--current", "--user=jane"]):
        subprocess.run(["kubectl", *as_jane, *args], check=True, capture_output=True)
    for kubectl in KUBECTLS:
        forbidden = subprocess.run([kubectl, *as_jane, "get", "pods"], capture_output=True, text=True)
        assert forbidden.returncode != 0
        assert 'User "jane" cannot list resource "pods"' in forbidden.stderr, forbidden.stderr
    whoami = subprocess.run(["kubectl", *as_jane, "auth", "whoami", "-o", "json"], capture_output=True, text=True)
    assert json.loads(whoami.stdout)["status"]["userInfo"]["username"] == "jane", whoami.stderr
    cluster.kubectl("create", "role", "pod-reader", "--verb=get,list", "--resource=pods")
    cluster.kubectl("create", "rolebinding", "jane-reads", "--role=pod-reader", "--group=devs")
    wait_until(lambda: subprocess.run(["kubectl", *as_jane, "auth", "can-i", "list", "pods"],
                                      capture_output=True, text=True).stdout.strip() == "yes", "jane may list pods")
    for kubectl in KUBECTLS:
        subprocess.run([kubectl, *as_jane, "get", "pods"], check=True, capture_output=True)
    assert subprocess.run(["kubectl", *as_jane, "auth", "can-i", "delete", "pods"],
                          capture_output=True, text=True).stdout.strip() == "no"

    # kubectl 1.32 denies; an approval of a denied request is refused as upstream refuses it.
    _, other = make_request(tmp_path, "other", "/CN=other")
    cluster.kubectl("create", "-f", "-", input=csr_manifest("other", other))
    cluster.kubectl("certificate", "deny", "other", kubectl="/usr/bin/kubectl")
    assert "Denied" in cluster.kubectl("get", "csr", "other").stdout
    both = cluster.kubectl("certificate", "approve", "other", check=False)
    assert both.returncode != 0 and 'certificate signing request "other" is already Denied' in both.stderr, \
        both.stderr

    # Usages the signer does not give fail the request with upstream's reason.
    _, server = make_request(tmp_path, "server", "/CN=server")
    cluster.kubectl("create", "-f", "-", input=csr_manifest("server", server, usages=("client auth", "server auth")))
    cluster.kubectl("certificate", "approve", "server", kubectl="/usr/bin/kubectl")
    wait_until(lambda: any(c["type"] == "Failed" for c in csr_status(cluster, "server").get("conditions", [])),
               "the server request failed")
    failed = next(c for c in csr_status(cluster, "server")["conditions"] if c["type"] == "Failed")
    assert (failed["reason"], failed["message"]) == ("SignerValidationFailure",
                                                     "invalid usage for client certificate: server auth")
    assert "certificate" not in csr_status(cluster, "server")

    # Bad requests get upstream's errors.
    garbage = cluster.kubectl("create", "-f", "-", input=csr_manifest("garbage", "not a request"), check=False)
    assert garbage.returncode != 0 and "PEM block type must be CERTIFICATE REQUEST" in garbage.stderr, garbage.stderr
    legacy = cluster.kubectl("create", "-f", "-", check=False,
                             input=csr_manifest("legacy", request, signer="kubernetes.io/legacy-unknown"))
    assert "the legacy signerName is not allowed via this API version" in legacy.stderr, legacy.stderr
    short = cluster.kubectl("create", "-f", "-", check=False, input=csr_manifest("short", request, expiration=599))
    assert "may not specify a duration less than 600 seconds (10 minutes)" in short.stderr, short.stderr
    # A request for a signer of someone else's is stored and left alone.
    cluster.kubectl("create", "-f", "-", input=csr_manifest("elsewhere", request, signer="example.com/signer"))

    api_client = config.new_client_from_config(str(cluster.kubeconfig))
    certificates = client.CertificatesV1Api(api_client)
    with pytest.raises(ApiException) as too_large:
        certificates.create_certificate_signing_request(json.loads(
            csr_manifest("huge", "x" * (4 * 1024 * 1024))))
    assert too_large.value.status == 413
    # An approval changes the conditions only: a changed spec is dropped.
    current = certificates.read_certificate_signing_request_approval("elsewhere")
    current.spec.usages = ["server auth"]
    current.status.conditions = [client.V1CertificateSigningRequestCondition(
        type="Approved", status="True", reason="Checked", message="by a test")]
    approved = certificates.replace_certificate_signing_request_approval("elsewhere", current)
    assert approved.spec.usages == ["client auth"]
    assert [(c.type, c.reason) for c in approved.status.conditions] == [("Approved", "Checked")]
    # The server refuses an approval of a denied request (kubectl does not send one).
    denied = certificates.read_certificate_signing_request_approval("other")
    denied.status.conditions.append(client.V1CertificateSigningRequestCondition(type="Approved", status="True"))
    with pytest.raises(ApiException) as both_conditions:
        certificates.replace_certificate_signing_request_approval("other", denied)
    assert both_conditions.value.status == 422
    assert "Approved and Denied conditions are mutually exclusive" in json.loads(both_conditions.value.body)["message"]
    # Removing the approval is refused.
    approved.status.conditions = []
    with pytest.raises(ApiException) as removed:
        certificates.replace_certificate_signing_request_approval("elsewhere", approved)
    assert removed.value.status == 422
    assert 'Forbidden: updates may not remove a condition of type \\"Approved\\"' in removed.value.body or \
        'updates may not remove a condition of type "Approved"' in json.loads(removed.value.body)["message"]
