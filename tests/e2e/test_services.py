"""Services as kube-apiserver serves them: cluster IPs from the service CIDR, node ports from 30000-32767,
both kept across updates and given back on delete; and the `kubernetes` service every cluster starts with."""

import ipaddress
import json
from urllib.parse import urlparse

import yaml

SERVICE_CIDR = ipaddress.ip_network("10.100.0.0/16")


def get(cluster, *args):
    return json.loads(cluster.kubectl("get", *args, "-o", "json").stdout)


def apply(cluster, manifest, check=True):
    return cluster.kubectl("apply", "-f", "-", input=yaml.safe_dump(manifest), check=check)


def service(name, **spec):
    ports = spec.pop("ports", [{"name": "http", "port": 80, "targetPort": 8080}])
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"selector": {"app": name}, "ports": ports, **spec}}


def test_every_cluster_has_the_kubernetes_service(cluster):
    svc = get(cluster, "service", "kubernetes")
    assert svc["spec"]["clusterIP"] == "10.100.0.1"
    assert svc["spec"]["ports"] == [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 443}]
    server = yaml.safe_load(cluster.kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
    endpoints = get(cluster, "endpoints", "kubernetes")
    assert endpoints["subsets"][0]["addresses"] == [{"ip": "127.0.0.1"}]
    assert endpoints["subsets"][0]["ports"][0]["port"] == urlparse(server).port


def test_cluster_ips_and_node_ports_are_allocated_and_kept(cluster):
    cluster.kubectl("create", "service", "clusterip", "web", "--tcp=80:8080")
    web = get(cluster, "service", "web")["spec"]
    address = ipaddress.ip_address(web["clusterIP"])
    assert address in SERVICE_CIDR and int(address) - int(SERVICE_CIDR.network_address) >= 256, web["clusterIP"]
    assert web["clusterIPs"] == [web["clusterIP"]]
    assert web["ipFamilies"] == ["IPv4"] and web["ipFamilyPolicy"] == "SingleStack"

    cluster.kubectl("create", "service", "nodeport", "np", "--tcp=80:8080")
    node_port = get(cluster, "service", "np")["spec"]["ports"][0]["nodePort"]
    assert 30000 <= node_port <= 32767

    # Applying a manifest that leaves them out keeps what was allocated, and so does a full replace.
    manifest = service("applied", type="NodePort")
    apply(cluster, manifest)
    first = get(cluster, "service", "applied")["spec"]
    assert "unchanged" in apply(cluster, manifest).stdout
    live = get(cluster, "service", "applied")
    for field in ["clusterIP", "clusterIPs"]:
        del live["spec"][field]
    del live["spec"]["ports"][0]["nodePort"]
    cluster.kubectl("replace", "-f", "-", input=json.dumps(live))
    again = get(cluster, "service", "applied")["spec"]
    assert again["clusterIP"] == first["clusterIP"]
    assert again["ports"][0]["nodePort"] == first["ports"][0]["nodePort"]

    # Every service has its own address and port.
    addresses = [get(cluster, "service", name)["spec"]["clusterIP"] for name in ["web", "np", "applied", "kubernetes"]]
    assert len(set(addresses)) == 4
    assert first["ports"][0]["nodePort"] != node_port

    headless = service("headless", clusterIP="None")
    apply(cluster, headless)
    assert get(cluster, "service", "headless")["spec"]["clusterIPs"] == ["None"]


def test_taken_or_out_of_range_values_are_refused_and_freed_on_delete(cluster):
    apply(cluster, service("fixed", clusterIP="10.100.0.50", type="NodePort",
                           ports=[{"port": 80, "nodePort": 30080}]))
    cases = [
        (service("same-ip", clusterIP="10.100.0.50"), "spec.clusterIPs[0]", "provided IP is already allocated"),
        (service("outside", clusterIP="192.168.0.1"), "spec.clusterIPs[0]", "is not in the valid range"),
        (service("bad-ip", clusterIP="ten.one"), "spec.clusterIPs[0]", "must be a valid IP address"),
        (service("same-port", type="NodePort", ports=[{"port": 80, "nodePort": 30080}]),
         "spec.ports[0].nodePort", "provided port is already allocated"),
        (service("low-port", type="NodePort", ports=[{"port": 80, "nodePort": 80}]),
         "spec.ports[0].nodePort", "provided port is not in the valid range"),
        (service("wrong-type", ports=[{"port": 80, "nodePort": 30081}]),
         "spec.ports[0].nodePort", "may not be used when `type` is 'ClusterIP'"),
    ]
    for manifest, field, message in cases:
        refused = apply(cluster, manifest, check=False)
        assert refused.returncode != 0, manifest["metadata"]["name"]
        assert field in refused.stderr and message in refused.stderr, refused.stderr
        assert cluster.kubectl("get", "service", manifest["metadata"]["name"], check=False).returncode != 0

    # A refused request takes nothing: the port the failed "wrong-type" service named is still free.
    apply(cluster, service("takes-30081", type="NodePort", ports=[{"port": 80, "nodePort": 30081}]))

    changed = get(cluster, "service", "fixed")
    changed["spec"]["clusterIP"] = changed["spec"]["clusterIPs"][0] = "10.100.0.51"
    refused = cluster.kubectl("replace", "-f", "-", input=json.dumps(changed), check=False)
    assert refused.returncode != 0 and "field is immutable" in refused.stderr

    cluster.kubectl("delete", "service", "fixed")
    apply(cluster, service("reuses", clusterIP="10.100.0.50", type="NodePort",
                           ports=[{"port": 80, "nodePort": 30080}]))
    assert get(cluster, "service", "reuses")["spec"]["clusterIP"] == "10.100.0.50"
