"""Services of type LoadBalancer on an EKS cluster get their load balancers as on EKS: a Classic ELB or an NLB from
the cloud provider, an NLB with ip or instance targets from the AWS Load Balancer Controller once it is installed,
the DNS name in the Service's status (so `helm --wait` passes), targets that follow the nodes and the pods, events,
and a finalizer that takes the load balancer away with the Service."""

import http.client
import json
import re
import subprocess
import urllib.request
from pathlib import Path

import pytest

from conftest import DEADLINE_SECONDS, FAST_NODE_FAILURES, boto, create_nodes_cluster, wait_until

CHART = Path(__file__).parent / "charts" / "web"
CONTROLLER_IMAGE = "public.ecr.aws/eks/aws-load-balancer-controller:v2.8.1"

WEB = """
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: default}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
      - name: web
        image: nginx
        ports: [{{name: http, containerPort: 8080}}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
  annotations: {annotations}
spec:
  type: LoadBalancer
  selector: {{app: web}}
  ports: [{{name: http, port: 80, targetPort: http}}]
"""

CONTROLLER = f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: aws-load-balancer-controller, namespace: kube-system}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app.kubernetes.io/name: aws-load-balancer-controller}}}}
  template:
    metadata: {{labels: {{app.kubernetes.io/name: aws-load-balancer-controller}}}}
    spec:
      containers:
      - name: aws-load-balancer-controller
        image: {CONTROLLER_IMAGE}
        args: [--cluster-name=demo, --ingress-class=alb]
"""


@pytest.fixture
def cluster(ekslite, tmp_path):
    return create_nodes_cluster(ekslite(args=FAST_NODE_FAILURES), tmp_path)


def get(cluster, *args):
    return json.loads(cluster.kubectl("get", *args, "-o", "json").stdout)


def hostname(cluster, service="web"):
    ingress = get(cluster, "service", service).get("status", {}).get("loadBalancer", {}).get("ingress") or []
    return ingress[0].get("hostname") if ingress else None


def events(cluster, name="web"):
    items = get(cluster, "events", "--field-selector", f"involvedObject.name={name},involvedObject.kind=Service")
    return [(e["type"], e["reason"], e["message"]) for e in items["items"]]


def node_instances(cluster):
    return sorted(n["spec"]["providerID"].rsplit("/", 1)[1] for n in cluster.ready_nodes())


def loopback(cluster, service="web", port=80):
    """The loopback address of the load balancer's listener on `port`, from the Service's annotation."""
    listeners = get(cluster, "service", service)["metadata"].get("annotations", {}).get(
        "ekslite.dev/load-balancer-listeners", "")
    found = dict(pair.split("=", 1) for pair in listeners.split(",") if pair)
    return found.get(str(port))


def served_by(address, requests=12):
    """The pods that answered `requests` HTTP GETs through a load balancer's loopback listener."""
    pods = set()
    for _ in range(requests):
        with urllib.request.urlopen(f"http://{address}/hello", timeout=10) as response:
            answer = json.loads(response.read())
            assert answer["path"] == "/hello", answer
            pods.add(answer["pod"])
    return pods


def answered_by(address, requests=12):
    """`served_by`, or None while a connection goes unanswered (no ready target yet)."""
    try:
        return served_by(address, requests)
    except (OSError, http.client.HTTPException):
        return None


def apply_web(cluster, annotations=None, replicas=2):
    cluster.kubectl("apply", "-f", "-", input=WEB.format(replicas=replicas, annotations=json.dumps(annotations or {})))


def test_the_cloud_provider_gives_a_service_a_classic_elb_on_its_node_ports(cluster):
    apply_web(cluster)
    name = wait_until(lambda: hostname(cluster), "the Service's load balancer")
    service = get(cluster, "service", "web")
    uid = service["metadata"]["uid"].replace("-", "")
    assert re.fullmatch(rf"a{uid[:31]}-\d+\.us-east-1\.elb\.amazonaws\.com", name), name
    assert "service.kubernetes.io/load-balancer-cleanup" in service["metadata"]["finalizers"]
    node_port = service["spec"]["ports"][0]["nodePort"]

    elb = boto(cluster.server, "elb")
    described = elb.describe_load_balancers(LoadBalancerNames=[f"a{uid[:31]}"])["LoadBalancerDescriptions"][0]
    assert described["DNSName"] == name
    assert described["Scheme"] == "internet-facing"
    assert [(l["Listener"]["LoadBalancerPort"], l["Listener"]["InstancePort"], l["Listener"]["Protocol"])
            for l in described["ListenerDescriptions"]] == [(80, node_port, "TCP")]
    assert sorted(i["InstanceId"] for i in described["Instances"]) == node_instances(cluster)
    assert described["HealthCheck"]["Target"] == f"TCP:{node_port}"
    assert sorted(described["Subnets"]) == sorted(s["SubnetId"] for s in cluster.subnets)
    # Its own security group admits the listener's port from anywhere.
    group = boto(cluster.server, "ec2").describe_security_groups(GroupIds=described["SecurityGroups"])["SecurityGroups"][0]
    assert group["GroupName"] == f"k8s-elb-a{uid[:31]}"
    assert any(p["FromPort"] == 80 and p["IpRanges"] == [{"CidrIp": "0.0.0.0/0"}] for p in group["IpPermissions"])
    tags = {t["Key"]: t["Value"] for t in
            elb.describe_tags(LoadBalancerNames=[described["LoadBalancerName"]])["TagDescriptions"][0]["Tags"]}
    assert tags["kubernetes.io/service-name"] == "default/web"
    assert tags["kubernetes.io/cluster/demo"] == "owned"
    reasons = wait_until(lambda: (r := [e[1] for e in events(cluster)]) and "EnsuredLoadBalancer" in r and r,
                         "the service controller's events")
    assert "EnsuringLoadBalancer" in reasons
    printed = cluster.kubectl("get", "service", "web").stdout
    assert name in printed, printed
    # The listener also listens on loopback: connections spread over the pods through the node ports.
    address = wait_until(lambda: loopback(cluster), "the loopback listener")
    pods = {p["metadata"]["name"] for p in get(cluster, "pods", "-l", "app=web")["items"]}
    wait_until(lambda: answered_by(address) == pods, "answers from both pods")
    # A node that fails is out of service, as its failed health checks would make it.
    failed = cluster.ready_nodes()[0]
    failed_instance = failed["spec"]["providerID"].rsplit("/", 1)[1]
    cluster.fail("nodes", failed["metadata"]["name"])

    def states():
        described = elb.describe_instance_health(LoadBalancerName=described_name)["InstanceStates"]
        return {s["InstanceId"]: s["State"] for s in described}
    described_name = described["LoadBalancerName"]
    wait_until(lambda: states().get(failed_instance) == "OutOfService", "the failed node out of service")
    assert sum(state == "InService" for state in states().values()) == 2

    cluster.kubectl("delete", "service", "web", "--wait=true")
    assert elb.describe_load_balancers()["LoadBalancerDescriptions"] == []
    groups = boto(cluster.server, "ec2").describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [f"k8s-elb-a{uid[:31]}"]}])["SecurityGroups"]
    assert groups == []


def test_an_nlb_from_the_cloud_provider_registers_the_nodes_and_follows_them(cluster):
    apply_web(cluster, {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
                        "service.beta.kubernetes.io/aws-load-balancer-internal": "true"})
    name = wait_until(lambda: hostname(cluster), "the Service's load balancer")
    assert re.fullmatch(r"(internal-)?a[0-9a-f]{31}-[0-9a-f]{16}\.elb\.us-east-1\.amazonaws\.com", name), name
    elbv2 = boto(cluster.server, "elbv2")
    lb = elbv2.describe_load_balancers()["LoadBalancers"][0]
    assert (lb["Type"], lb["Scheme"], lb["DNSName"]) == ("network", "internal", name)
    assert "SecurityGroups" not in lb or lb["SecurityGroups"] == []
    listener = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"][0]
    assert (listener["Port"], listener["Protocol"]) == (80, "TCP")
    group_arn = listener["DefaultActions"][0]["TargetGroupArn"]
    group = elbv2.describe_target_groups(TargetGroupArns=[group_arn])["TargetGroups"][0]
    node_port = get(cluster, "service", "web")["spec"]["ports"][0]["nodePort"]
    assert (group["TargetType"], group["Port"], group["Protocol"]) == ("instance", node_port, "TCP")

    def health():
        return sorted((d["Target"]["Id"], d["Target"]["Port"], d["TargetHealth"]["State"])
                      for d in elbv2.describe_target_health(TargetGroupArn=group_arn)["TargetHealthDescriptions"])
    instances = node_instances(cluster)
    wait_until(lambda: health() == [(i, node_port, "healthy") for i in instances], "every node healthy")

    # A node that fails stops being healthy.
    failed = cluster.ready_nodes()[0]
    failed_instance = failed["spec"]["providerID"].rsplit("/", 1)[1]
    cluster.fail("nodes", failed["metadata"]["name"])
    wait_until(lambda: (failed_instance, node_port, "unhealthy") in health(), "the failed node's target unhealthy")

    cluster.kubectl("delete", "service", "web", "--wait=true")
    assert elbv2.describe_load_balancers()["LoadBalancers"] == []
    assert elbv2.describe_target_groups()["TargetGroups"] == []


def test_the_load_balancer_controller_takes_its_services_once_installed(cluster):
    annotations = {"service.beta.kubernetes.io/aws-load-balancer-type": "external",
                   "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
                   "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing"}
    apply_web(cluster, annotations, replicas=3)
    elbv2 = boto(cluster.server, "elbv2")
    # Without the controller nobody takes the Service: it stays pending, as on EKS.
    wait_until(lambda: len(get(cluster, "endpointslices", "-l", "kubernetes.io/service-name=web")["items"]) == 1,
               "the Service's endpoints")
    assert hostname(cluster) is None
    assert elbv2.describe_load_balancers()["LoadBalancers"] == []

    cluster.kubectl("apply", "-f", "-", input=CONTROLLER)
    name = wait_until(lambda: hostname(cluster), "the controller's load balancer")
    service = get(cluster, "service", "web")
    assert "service.k8s.aws/resources" in service["metadata"]["finalizers"]
    assert service["status"]["loadBalancer"]["ingress"][0]["ports"] == [{"port": 80, "protocol": "TCP"}]
    lb = elbv2.describe_load_balancers()["LoadBalancers"][0]
    assert re.fullmatch(r"k8s-default-web-[0-9a-f]{10}", lb["LoadBalancerName"]), lb["LoadBalancerName"]
    assert (lb["Type"], lb["Scheme"], lb["DNSName"]) == ("network", "internet-facing", name)
    assert lb["SecurityGroups"], "the controller's NLBs have a security group of their own"
    tags = {t["Key"]: t["Value"] for t in
            elbv2.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"][0]["Tags"]}
    assert (tags["elbv2.k8s.aws/cluster"], tags["service.k8s.aws/stack"]) == ("demo", "default/web")
    listener = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"][0]
    group_arn = listener["DefaultActions"][0]["TargetGroupArn"]
    group = elbv2.describe_target_groups(TargetGroupArns=[group_arn])["TargetGroups"][0]
    # An ip target group's port is the Service's target port, 1 when it is named (each target has its own).
    assert (group["TargetType"], group["Port"]) == ("ip", 1)
    assert re.fullmatch(r"k8s-default-web-[0-9a-f]{10}", group["TargetGroupName"])

    def pod_ips():
        pods = get(cluster, "pods", "-l", "app=web")["items"]
        return sorted(p["status"]["podIP"] for p in pods if p["metadata"].get("deletionTimestamp") is None
                      and p["status"].get("podIP"))

    def health():
        return sorted((d["Target"]["Id"], d["TargetHealth"]["State"])
                      for d in elbv2.describe_target_health(TargetGroupArn=group_arn)["TargetHealthDescriptions"])
    wait_until(lambda: len(pod_ips()) == 3 and health() == [(ip, "healthy") for ip in pod_ips()],
               "every pod's address a healthy target")
    reasons = [e[1] for e in events(cluster)]
    assert "SuccessfullyReconciled" in reasons, reasons
    address = wait_until(lambda: loopback(cluster), "the loopback listener")
    pods = {p["metadata"]["name"] for p in get(cluster, "pods", "-l", "app=web")["items"]}
    assert served_by(address, requests=15) == pods, "every ready pod answers through the load balancer"

    # Scaling down deregisters the pods that go: their targets drain.
    before = pod_ips()
    cluster.kubectl("scale", "deployment", "web", "--replicas=1")
    wait_until(lambda: len(pod_ips()) == 1, "one pod left")
    kept = pod_ips()[0]
    wait_until(lambda: health() == sorted([(kept, "healthy")] + [(ip, "draining") for ip in before if ip != kept]),
               "the removed pods' targets draining")
    left = {p["metadata"]["name"] for p in get(cluster, "pods", "-l", "app=web")["items"]
            if p["metadata"].get("deletionTimestamp") is None}
    assert served_by(address, requests=5) == left, "only the pod left answers"

    cluster.kubectl("delete", "service", "web", "--wait=true")
    assert elbv2.describe_load_balancers()["LoadBalancers"] == []
    assert elbv2.describe_target_groups()["TargetGroups"] == []


def test_wrong_annotations_are_reported_as_events_and_make_nothing(cluster):
    apply_web(cluster, {"service.beta.kubernetes.io/aws-load-balancer-healthcheck-interval": "often"})
    message = wait_until(lambda: next((e for e in events(cluster) if e[1] == "SyncLoadBalancerFailed"), None),
                         "the controller's refusal")
    assert message[0] == "Warning"
    assert "failed to parse annotation" in message[2] and "often" in message[2], message
    assert hostname(cluster) is None
    assert boto(cluster.server, "elb").describe_load_balancers()["LoadBalancerDescriptions"] == []
    # Once fixed, the Service gets its load balancer.
    cluster.kubectl("annotate", "service", "web", "--overwrite",
                    "service.beta.kubernetes.io/aws-load-balancer-healthcheck-interval=30")
    wait_until(lambda: hostname(cluster), "the Service's load balancer")
    check = boto(cluster.server, "elb").describe_load_balancers()["LoadBalancerDescriptions"][0]["HealthCheck"]
    assert check["Interval"] == 30
    # A Service that stops being a LoadBalancer loses its load balancer, its status and the finalizer.
    cluster.kubectl("patch", "service", "web", "--type=merge", "-p", '{"spec": {"type": "ClusterIP"}}')
    wait_until(lambda: boto(cluster.server, "elb").describe_load_balancers()["LoadBalancerDescriptions"] == [],
               "the load balancer gone")
    service = wait_until(lambda: (s := get(cluster, "service", "web"))
                         and not s["metadata"].get("finalizers") and s, "the finalizer gone")
    assert not service["status"].get("loadBalancer", {}).get("ingress")


@pytest.mark.parametrize("binary", ["helm", "helm3"])
def test_helm_waits_for_a_charts_load_balancer(cluster, binary, tmp_path):
    env = {"PATH": subprocess.os.environ["PATH"], "HOME": str(tmp_path), "KUBECONFIG": str(cluster.kubeconfig),
           "HELM_CACHE_HOME": str(tmp_path / "cache"), "HELM_CONFIG_HOME": str(tmp_path / "config"),
           "HELM_DATA_HOME": str(tmp_path / "data")}

    def helm(*args):
        result = subprocess.run([binary, *args], capture_output=True, text=True, env=env, timeout=DEADLINE_SECONDS)
        assert result.returncode == 0, f"{binary} {' '.join(args)}:\n{result.stderr}"
        return result
    wait = ["--wait=legacy"] if binary == "helm" else ["--wait"]
    # The cluster runs the AWS Load Balancer Controller, for the chart's alb Ingress.
    cluster.kubectl("apply", "-f", "-", input=CONTROLLER + INGRESS_CLASS)
    helm("install", "web", str(CHART), *wait, "--timeout", "90s")
    name = hostname(cluster)
    assert name and name.endswith(".us-east-1.elb.amazonaws.com"), name
    # The Ingress gets its ALB with the pods as ip targets (helm does not wait for Ingresses).
    def ingress_address():
        found = get(cluster, "ingress", "web").get("status", {}).get("loadBalancer", {}).get("ingress") or []
        return found[0].get("hostname") if found else None
    alb = wait_until(ingress_address, "the Ingress's load balancer")
    elbv2 = boto(cluster.server, "elbv2")
    [described] = [lb for lb in elbv2.describe_load_balancers()["LoadBalancers"] if lb["Type"] == "application"]
    assert described["DNSName"] == alb
    [group] = [g for g in elbv2.describe_target_groups()["TargetGroups"] if g["TargetType"] == "ip"]
    pod_ips = sorted(p["status"]["podIP"] for p in get(cluster, "pods", "-l", "app=web")["items"])
    wait_until(lambda: sorted((d["Target"]["Id"], d["TargetHealth"]["State"]) for d in elbv2.describe_target_health(
        TargetGroupArn=group["TargetGroupArn"])["TargetHealthDescriptions"]) == [(ip, "healthy") for ip in pod_ips],
        "the chart's pods healthy behind the ALB")
    # The chart's service account carries IRSA, so its pods get the role's credentials wired in.
    pod = get(cluster, "pods", "-l", "app=web")["items"][0]
    env_names = {v["name"] for v in pod["spec"]["containers"][0].get("env", [])}
    assert {"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"} <= env_names
    helm("upgrade", "web", str(CHART), *wait, "--timeout", "90s", "--set", "replicas=3",
         "--set-json", 'serviceAnnotations={"service.beta.kubernetes.io/aws-load-balancer-type":"nlb"}')
    upgraded = hostname(cluster)
    assert upgraded.endswith(".elb.us-east-1.amazonaws.com"), upgraded
    assert boto(cluster.server, "elb").describe_load_balancers()["LoadBalancerDescriptions"] == []
    kinds = sorted(lb["Type"] for lb in boto(cluster.server, "elbv2").describe_load_balancers()["LoadBalancers"])
    assert kinds == ["application", "network"], kinds
    helm("uninstall", "web", "--wait", "--timeout", "60s")
    wait_until(lambda: boto(cluster.server, "elbv2").describe_load_balancers()["LoadBalancers"] == [],
               "the chart's load balancers gone")


INGRESS_CLASS = """
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: alb}
spec: {controller: ingress.k8s.aws/alb}
"""

INGRESSES = INGRESS_CLASS.lstrip("\n-") + """---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
  namespace: default
  annotations:
    alb.ingress.kubernetes.io/scheme: internet-facing
    alb.ingress.kubernetes.io/group.name: shop
    alb.ingress.kubernetes.io/healthcheck-path: /healthz
spec:
  ingressClassName: alb
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: api
  namespace: default
  annotations:
    alb.ingress.kubernetes.io/group.name: shop
    alb.ingress.kubernetes.io/group.order: "-1"
    alb.ingress.kubernetes.io/target-type: ip
spec:
  ingressClassName: alb
  rules:
  - http:
      paths:
      - {path: /api/, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}
"""


def test_alb_ingresses_of_a_group_share_one_application_load_balancer(cluster):
    cluster.kubectl("apply", "-f", "-", input=WEB.format(replicas=2, annotations="{}").split("---")[0])
    cluster.kubectl("apply", "-f", "-", input=INGRESSES)
    elbv2 = boto(cluster.server, "elbv2")

    def address(name):
        ingress = get(cluster, "ingress", name).get("status", {}).get("loadBalancer", {}).get("ingress") or []
        return ingress[0].get("hostname") if ingress else None
    # Nobody takes them until the controller runs.
    assert address("shop") is None and elbv2.describe_load_balancers()["LoadBalancers"] == []
    cluster.kubectl("apply", "-f", "-", input=CONTROLLER)
    name = wait_until(lambda: address("shop"), "the group's load balancer")
    assert address("api") == name, "the group's members share one load balancer"
    assert re.fullmatch(r"k8s-shop-[0-9a-f]{10}-\d{10}\.us-east-1\.elb\.amazonaws\.com", name), name
    for ingress in ("shop", "api"):
        assert "group.ingress.k8s.aws/shop" in get(cluster, "ingress", ingress)["metadata"]["finalizers"]
    [lb] = elbv2.describe_load_balancers()["LoadBalancers"]
    assert (lb["Type"], lb["Scheme"], lb["DNSName"]) == ("application", "internet-facing", name)
    [listener] = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    assert (listener["Port"], listener["Protocol"]) == (80, "HTTP")
    assert listener["DefaultActions"][0]["Type"] == "fixed-response"
    assert listener["DefaultActions"][0]["FixedResponseConfig"]["StatusCode"] == "404"

    def rules():
        found = elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
        return sorted((r["Priority"], sorted((c["Field"], tuple(c["Values"])) for c in r["Conditions"]))
                      for r in found if not r["IsDefault"])
    # The api Ingress comes first (group.order -1); Prefix paths match themselves and what is under them.
    assert rules() == [("1", [("path-pattern", ("/api", "/api/*"))]),
                       ("2", [("host-header", ("shop.example.com",)), ("path-pattern", ("/*",))])]
    groups = {g["TargetType"]: g for g in elbv2.describe_target_groups()["TargetGroups"]}
    assert set(groups) == {"instance", "ip"}
    assert groups["instance"]["HealthCheckPath"] == "/healthz"
    node_port = get(cluster, "service", "web")["spec"]["ports"][0]["nodePort"]

    def health(kind):
        described = elbv2.describe_target_health(TargetGroupArn=groups[kind]["TargetGroupArn"])
        return sorted((d["Target"]["Id"], d["Target"]["Port"], d["TargetHealth"]["State"])
                      for d in described["TargetHealthDescriptions"])
    wait_until(lambda: health("instance") == [(i, node_port, "healthy") for i in node_instances(cluster)],
               "the nodes healthy behind the instance target group")
    pod_ips = sorted(p["status"]["podIP"] for p in get(cluster, "pods", "-l", "app=web")["items"])
    wait_until(lambda: health("ip") == [(ip, 8080, "healthy") for ip in pod_ips], "the pods healthy behind the ip group")
    assert "SuccessfullyReconciled" in [e["reason"] for e in get(
        cluster, "events", "--field-selector", "involvedObject.kind=Ingress,involvedObject.name=shop")["items"]]

    # The ALB's loopback listener plays out its rules: host and path, else the fixed 404.
    listeners = wait_until(lambda: get(cluster, "ingress", "shop")["metadata"].get("annotations", {}).get(
        "ekslite.dev/load-balancer-listeners"), "the ALB's loopback listener")
    assert listeners == get(cluster, "ingress", "api")["metadata"]["annotations"]["ekslite.dev/load-balancer-listeners"]
    address = dict(pair.split("=", 1) for pair in listeners.split(","))["80"]

    def request(path, host):
        connection = http.client.HTTPConnection(address, timeout=10)
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.read()
    pods = {p["metadata"]["name"] for p in get(cluster, "pods", "-l", "app=web")["items"]}
    status, kind, body = request("/api/users?page=2", "anything.example.org")
    answer = json.loads(body)
    assert (status, answer["path"], answer["query"], answer["pod"] in pods) == (200, "/api/users", "page=2", True)
    assert answer["podIP"] in pod_ips, "the api rule sends to the ip target group: a pod's own address"
    status, _, body = request("/cart", "Shop.Example.com:80")
    assert (status, json.loads(body)["path"]) == (200, "/cart"), "the host rule matches without case or port"
    status, kind, body = request("/cart", "other.example.com")
    assert (status, body) == (404, b""), "no rule takes it: the default action's fixed 404"
    # Garbage and an oversized header get an HTTP error or a closed connection; the listener goes on serving.
    import socket
    host, port = address.rsplit(":", 1)
    for junk in (b"\x00\xffNOT HTTP AT ALL\r\n\r\n", b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 300_000 + b"\r\n\r\n"):
        with socket.create_connection((host, int(port)), timeout=10) as raw:
            try:
                raw.sendall(junk)
                answer = raw.recv(64)
            except OSError:
                answer = b""
            assert answer == b"" or answer.startswith(b"HTTP/1.1 4"), answer
    assert request("/api/x", "a.example.org")[0] == 200, "the listener still serves"

    # A member that leaves takes its rules with it; the last one takes the load balancer.
    cluster.kubectl("delete", "ingress", "api", "--wait=true")
    wait_until(lambda: len(rules()) == 1, "the api rules gone")
    assert len(elbv2.describe_load_balancers()["LoadBalancers"]) == 1
    cluster.kubectl("delete", "ingress", "shop", "--wait=true")
    assert elbv2.describe_load_balancers()["LoadBalancers"] == []
    assert elbv2.describe_target_groups()["TargetGroups"] == []


def test_a_wrong_ingress_is_reported_and_makes_nothing(cluster):
    cluster.kubectl("apply", "-f", "-", input=CONTROLLER)
    cluster.kubectl("apply", "-f", "-", input=INGRESSES.split("---")[0] + "---" + INGRESSES.split("---")[2].replace(
        "alb.ingress.kubernetes.io/scheme: internet-facing", "alb.ingress.kubernetes.io/scheme: outside"))

    def refusal():
        items = get(cluster, "events", "--field-selector", "involvedObject.kind=Ingress,involvedObject.name=shop")
        return next((e for e in items["items"] if e["reason"] == "FailedBuildModel"), None)
    event = wait_until(refusal, "the controller's refusal")
    assert event["type"] == "Warning" and "unknown scheme: outside" in event["message"], event
    assert boto(cluster.server, "elbv2").describe_load_balancers()["LoadBalancers"] == []
    # The Ingress can still be deleted: it never got a finalizer.
    cluster.kubectl("delete", "ingress", "shop", "--wait=true")


GATED = """
apiVersion: v1
kind: Namespace
metadata:
  name: gated
  labels: {elbv2.k8s.aws/pod-readiness-gate-inject: enabled}
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: gated
  annotations:
    service.beta.kubernetes.io/aws-load-balancer-type: external
    service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: ip
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
"""

GATED_DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: gated}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}, annotations: {revision: "%s"}}
    spec:
      containers:
      - {name: web, image: nginx, ports: [{containerPort: 8080}]}
"""


def test_target_group_bindings_and_the_pod_readiness_gate(cluster):
    cluster.kubectl("apply", "-f", "-", input=CONTROLLER)
    cluster.kubectl("apply", "-f", "-", input=GATED)
    elbv2 = boto(cluster.server, "elbv2")
    # Once the controller runs, its CRDs are there (as its chart installs them).
    wait_until(lambda: cluster.kubectl("get", "crd", "targetgroupbindings.elbv2.k8s.aws", check=False).returncode == 0,
               "the TargetGroupBinding CRD")
    # The controller records its target group in a TargetGroupBinding of the target group's name.
    binding = wait_until(lambda: next(iter(get(cluster, "targetgroupbindings", "-n", "gated")["items"]), None),
                         "the Service's TargetGroupBinding")
    [group] = elbv2.describe_target_groups()["TargetGroups"]
    assert binding["metadata"]["name"] == group["TargetGroupName"]
    assert binding["spec"]["targetGroupARN"] == group["TargetGroupArn"]
    assert binding["spec"]["serviceRef"] == {"name": "web", "port": 80}
    assert binding["spec"]["targetType"] == "ip"
    assert binding["metadata"]["labels"]["service.k8s.aws/stack-name"] == "web"
    columns = cluster.kubectl("get", "targetgroupbindings", "-n", "gated").stdout.split("\n")[0].split()
    assert columns == ["NAME", "SERVICE-NAME", "SERVICE-PORT", "TARGET-TYPE", "AGE"], columns
    gate = f"target-health.elbv2.k8s.aws/{group['TargetGroupName']}"

    # New pods of the labelled namespace get the gate; they are Ready only once their targets are healthy.
    cluster.kubectl("apply", "-f", "-", input=GATED_DEPLOYMENT % "1")
    cluster.kubectl("rollout", "status", "deployment/web", "-n", "gated", f"--timeout={DEADLINE_SECONDS}s")
    pods = get(cluster, "pods", "-n", "gated", "-l", "app=web")["items"]
    assert len(pods) == 2
    for pod in pods:
        assert pod["spec"]["readinessGates"] == [{"conditionType": gate}]
        conditions = {c["type"]: c["status"] for c in pod["status"]["conditions"]}
        assert (conditions[gate], conditions["Ready"]) == ("True", "True"), conditions

    def health():
        described = elbv2.describe_target_health(TargetGroupArn=group["TargetGroupArn"])
        return sorted((d["Target"]["Id"], d["TargetHealth"]["State"]) for d in described["TargetHealthDescriptions"])
    ips = sorted(p["status"]["podIP"] for p in pods)
    wait_until(lambda: health() == [(ip, "healthy") for ip in ips], "the gated pods healthy targets")

    # A rolling update waits for each new pod's target: every new pod carries the gate and passes it.
    cluster.kubectl("apply", "-f", "-", input=GATED_DEPLOYMENT % "2")
    cluster.kubectl("rollout", "status", "deployment/web", "-n", "gated", f"--timeout={DEADLINE_SECONDS}s")
    fresh = [p for p in get(cluster, "pods", "-n", "gated", "-l", "app=web")["items"]
             if p["metadata"].get("deletionTimestamp") is None]
    assert {p["metadata"]["annotations"]["revision"] for p in fresh} == {"2"}
    for pod in fresh:
        conditions = {c["type"]: c["status"] for c in pod["status"]["conditions"]}
        assert conditions[gate] == "True", conditions

    # Once the namespace's label goes, its new pods get no gate.
    cluster.kubectl("label", "namespace", "gated", "elbv2.k8s.aws/pod-readiness-gate-inject-")
    attempts = iter(range(1000))

    def ungated_pod():
        name = f"probe-{next(attempts)}"
        cluster.kubectl("run", name, "-n", "gated", "--image=nginx", "--labels=app=web")
        pod = get(cluster, "pod", name, "-n", "gated")
        cluster.kubectl("delete", "pod", name, "-n", "gated", "--wait=false")
        return "readinessGates" not in pod["spec"]
    wait_until(ungated_pod, "a new pod without the gate")

    # A binding made by hand puts the Service's pods into a target group made outside the cluster.
    outside = elbv2.create_target_group(Name="made-by-terraform", Protocol="TCP", Port=8080, VpcId=group["VpcId"],
                                        TargetType="ip")["TargetGroups"][0]
    by_hand = {"apiVersion": "elbv2.k8s.aws/v1beta1", "kind": "TargetGroupBinding",
               "metadata": {"name": "by-hand", "namespace": "gated"},
               "spec": {"targetGroupARN": outside["TargetGroupArn"], "serviceRef": {"name": "web", "port": 80}}}
    cluster.kubectl("apply", "-f", "-", input=json.dumps(by_hand))

    def outside_health():
        described = elbv2.describe_target_health(TargetGroupArn=outside["TargetGroupArn"])
        return sorted((d["Target"]["Id"], d["Target"]["Port"], d["TargetHealth"]["State"])
                      for d in described["TargetHealthDescriptions"])
    current = sorted(p["status"]["podIP"] for p in fresh)
    # The target group is behind no load balancer yet: its targets are registered but `unused`, as on AWS.
    wait_until(lambda: outside_health() == [(ip, 8080, "unused") for ip in current],
               "the pods registered in the target group made outside")
    assert "elbv2.k8s.aws/resources" in get(cluster, "targetgroupbinding", "by-hand", "-n", "gated")["metadata"][
        "finalizers"]
    assert "SuccessfullyReconciled" in [e["reason"] for e in get(
        cluster, "events", "-n", "gated", "--field-selector", "involvedObject.name=by-hand")["items"]]
    # Deleting the binding deregisters its targets; the target group itself stays.
    cluster.kubectl("delete", "targetgroupbinding", "by-hand", "-n", "gated", "--wait=true")
    assert {state for _, _, state in outside_health()} <= {"draining"}
    wrong = dict(by_hand, metadata={"name": "wrong", "namespace": "gated"},
                 spec={"targetGroupARN": outside["TargetGroupArn"], "serviceRef": {"name": "nope", "port": 80}})
    cluster.kubectl("apply", "-f", "-", input=json.dumps(wrong))
    wait_until(lambda: [e["message"] for e in get(cluster, "events", "-n", "gated", "--field-selector",
                                                   "involvedObject.name=wrong,reason=BackendNotFound")["items"]],
               "the wrong binding reported")
    cluster.kubectl("delete", "targetgroupbinding", "wrong", "-n", "gated", "--wait=true")
    garbage = dict(by_hand, metadata={"name": "garbage", "namespace": "gated"},
                   spec={"targetGroupARN": "not-an-arn" * 1000, "serviceRef": {"name": "web", "port": 80}})
    cluster.kubectl("apply", "-f", "-", input=json.dumps(garbage))
    wait_until(lambda: get(cluster, "events", "-n", "gated", "--field-selector",
                           "involvedObject.name=garbage,reason=FailedReconcile")["items"],
               "the binding to no target group reported")
    cluster.kubectl("delete", "targetgroupbinding", "garbage", "-n", "gated", "--wait=true")
    elbv2.delete_target_group(TargetGroupArn=outside["TargetGroupArn"])

    # The Service going takes its binding with it.
    cluster.kubectl("delete", "service", "web", "-n", "gated", "--wait=true")
    wait_until(lambda: get(cluster, "targetgroupbindings", "-n", "gated")["items"] == [], "the binding gone")
    assert elbv2.describe_target_groups()["TargetGroups"] == []


SERVICE_WEBHOOK = """
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: aws-load-balancer-webhook}
webhooks:
- name: mservice.elbv2.k8s.aws
  admissionReviewVersions: [v1]
  sideEffects: None
  failurePolicy: Fail
  clientConfig:
    service: {name: aws-load-balancer-webhook-service, namespace: kube-system, path: /mutate-v1-service}
  objectSelector:
    matchExpressions: [{key: app.kubernetes.io/name, operator: NotIn, values: [aws-load-balancer-controller]}]
  rules:
  - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [services]}
"""


def test_the_controllers_service_webhook_makes_it_the_default_for_new_services(cluster):
    # Without its webhook registered, the controller leaves plain Services to the cloud provider.
    cluster.kubectl("apply", "-f", "-", input=CONTROLLER)
    cluster.kubectl("rollout", "status", "deployment/aws-load-balancer-controller", "-n", "kube-system",
                    f"--timeout={DEADLINE_SECONDS}s")
    apply_web(cluster, replicas=1)
    wait_until(lambda: hostname(cluster), "the cloud provider's load balancer")
    assert get(cluster, "service", "web")["spec"].get("loadBalancerClass") is None
    cluster.kubectl("delete", "service", "web", "--wait=true")

    # Its helm chart registers the Service webhook: new LoadBalancer Services get its class, so its NLB.
    cluster.kubectl("apply", "-f", "-", input=SERVICE_WEBHOOK)
    elbv2 = boto(cluster.server, "elbv2")

    def classed():
        apply_web(cluster, replicas=1)
        service = get(cluster, "service", "web")
        if service["spec"].get("loadBalancerClass") == "service.k8s.aws/nlb":
            return service
        cluster.kubectl("delete", "service", "web", "--wait=true")
        return None
    wait_until(classed, "a new Service given the controller's class")
    name = wait_until(lambda: hostname(cluster), "the controller's load balancer")
    [lb] = elbv2.describe_load_balancers()["LoadBalancers"]
    assert (lb["Type"], lb["Scheme"], lb["DNSName"]) == ("network", "internal", name), "internal by default"
    assert "service.k8s.aws/resources" in get(cluster, "service", "web")["metadata"]["finalizers"]
    assert boto(cluster.server, "elb").describe_load_balancers()["LoadBalancerDescriptions"] == []
    # A class chosen stays.
    other = WEB.format(replicas=1, annotations="{}").split("---")[1].replace("name: web\n", "name: other\n", 1)
    other = other.replace("type: LoadBalancer", "type: LoadBalancer\n  loadBalancerClass: example.com/lb")
    cluster.kubectl("apply", "-f", "-", input=other)
    assert get(cluster, "service", "other")["spec"]["loadBalancerClass"] == "example.com/lb"


PARAMS_CLASS = """
apiVersion: elbv2.k8s.aws/v1beta1
kind: IngressClassParams
metadata: {name: public}
spec:
  scheme: internet-facing
  group: {name: platform}
  tags: [{key: owner, value: platform}]
  namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: default}}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: alb-public}
spec:
  controller: ingress.k8s.aws/alb
  parameters: {apiGroup: elbv2.k8s.aws, kind: IngressClassParams, name: public}
"""


def test_ingress_class_params_apply_to_every_ingress_of_their_class(cluster):
    cluster.kubectl("apply", "-f", "-", input=CONTROLLER)
    wait_until(lambda: cluster.kubectl("get", "crd", "ingressclassparams.elbv2.k8s.aws", check=False).returncode == 0,
               "the IngressClassParams CRD")
    cluster.kubectl("apply", "-f", "-", input=PARAMS_CLASS)
    cluster.kubectl("apply", "-f", "-", input=WEB.format(replicas=1, annotations="{}").split("---")[0])
    cluster.kubectl("create", "service", "nodeport", "web", "--tcp=80:8080")
    ingress = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
               "metadata": {"name": "site", "namespace": "default",
                            "annotations": {"alb.ingress.kubernetes.io/scheme": "internal"}},
               "spec": {"ingressClassName": "alb-public", "defaultBackend": {
                   "service": {"name": "web", "port": {"number": 80}}}}}
    cluster.kubectl("apply", "-f", "-", input=json.dumps(ingress))
    elbv2 = boto(cluster.server, "elbv2")
    lb = wait_until(lambda: next(iter(elbv2.describe_load_balancers()["LoadBalancers"]), None), "the class's ALB")
    assert lb["Scheme"] == "internet-facing", "the parameters' scheme wins over the annotation"
    tags = {t["Key"]: t["Value"] for t in
            elbv2.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"][0]["Tags"]}
    assert tags["owner"] == "platform" and tags["ingress.k8s.aws/stack"] == "platform", tags
    wait_until(lambda: "group.ingress.k8s.aws/platform" in get(cluster, "ingress", "site")["metadata"].get(
        "finalizers", []), "the parameters' group finalizer")
    # A namespace the parameters' selector leaves out may not use the class.
    cluster.kubectl("create", "namespace", "other")
    cluster.kubectl("create", "service", "nodeport", "web", "--tcp=80:8080", "-n", "other")
    cluster.kubectl("apply", "-f", "-", input=json.dumps(dict(ingress, metadata={"name": "site", "namespace": "other"})))
    wait_until(lambda: [e["message"] for e in get(cluster, "events", "-n", "other", "--field-selector",
                                                   "involvedObject.name=site,reason=FailedBuildModel")["items"]
                        if "namespaceSelector of IngressClassParams public mismatch" in e["message"]],
               "the refusal for the other namespace")
    cluster.kubectl("delete", "ingress", "site", "-n", "other", "--wait=true")
    cluster.kubectl("delete", "ingress", "site", "--wait=true")
    assert elbv2.describe_load_balancers()["LoadBalancers"] == []
