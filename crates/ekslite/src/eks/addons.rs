//! The Kubernetes objects of EKS's add-ons, as EKS puts them into a cluster: the networking add-ons every new
//! cluster starts with unless CreateCluster's `bootstrapSelfManagedAddons` is false (the VPC CNI's `aws-node`
//! DaemonSet, `kube-proxy`, CoreDNS with its `kube-dns` Service at the cluster DNS address), and the same objects,
//! plus the EKS Pod Identity Agent's DaemonSet, when CreateAddon installs them. Their pods are simulated as any
//! other: they run on the nodes the scheduler gives them.
//!
//! The objects are applied through the cluster's API (server-side apply, defaulting, validation) as the field
//! manager `eks`, forced, so that an add-on's update or a re-created add-on takes its fields back, as EKS's
//! `OVERWRITE` does; the add-on's configuration values and service account role shape them (`configured`).

use std::net::Ipv4Addr;

use aws_model::eks::addons::{Addon, AddonStatus};
use serde_json::{Map, Value, json};

mod cloudwatch;
mod csi;
mod metrics_server;

/// One object and the collection path it is created at.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// `/api/v1/namespaces/kube-system/serviceaccounts`, ...
    pub collection: String,
    pub object: Value,
}

/// What an add-on's objects depend on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddonContext {
    /// The EKS cluster's name.
    pub cluster: String,
    pub region: String,
    /// The Kubernetes `major.minor` version.
    pub kubernetes_version: String,
    /// The cluster's Service CIDR (`10.100.0.0/16`).
    pub service_cidr: String,
}

/// The add-ons a new cluster starts with.
pub const BOOTSTRAP_ADDONS: &[&str] = &["vpc-cni", "kube-proxy", "coredns"];

const NAMESPACE: &str = "kube-system";

/// The ECR registry EKS pulls its add-on images from in `region`.
pub fn registry(region: &str) -> String {
    let account = match region {
        "af-south-1" => "877085696533",
        "ap-east-1" => "800184023465",
        "ap-southeast-3" => "296578399912",
        "me-south-1" => "558608220178",
        "me-central-1" => "759879836304",
        "eu-south-1" => "590381155156",
        "eu-south-2" => "455263428931",
        "il-central-1" => "066635153087",
        "ap-south-2" => "900889452093",
        "ap-southeast-4" => "491585149902",
        "eu-central-2" => "900612956339",
        "ca-west-1" => "761377655185",
        _ => "602401143452",
    };
    format!("{account}.dkr.ecr.{region}.amazonaws.com")
}

/// The cluster DNS address EKS gives CoreDNS's Service: the tenth address of the Service range.
pub fn cluster_dns_ip(service_cidr: &str) -> Option<Ipv4Addr> {
    let (base, _) = service_cidr.split_once('/')?;
    let base: Ipv4Addr = base.parse().ok()?;
    Some(Ipv4Addr::from(u32::from(base) + 10))
}

/// The default version of `addon` for the context's Kubernetes version, from the add-on catalog.
fn default_version(addon: &str, context: &AddonContext) -> String {
    aws_model::eks::addons::addon_info(addon)
        .and_then(|info| {
            info.versions
                .iter()
                .find(|v| v.default_for.contains(&context.kubernetes_version.as_str()))
                .or(info.versions.first())
        })
        .map_or_else(|| "v0.0.0-eksbuild.1".to_owned(), |v| v.version.to_owned())
}

fn collection(group_version: &str, plural: &str, namespace: Option<&str>) -> String {
    let root = if group_version == "v1" { "/api/v1".to_owned() } else { format!("/apis/{group_version}") };
    match namespace {
        Some(namespace) => format!("{root}/namespaces/{namespace}/{plural}"),
        None => format!("{root}/{plural}"),
    }
}

/// A manifest at its collection: a namespaced object's is in the namespace its metadata names (`kube-system`
/// when it names none).
fn manifest(group_version: &str, plural: &str, namespaced: bool, object: Value) -> Manifest {
    let namespace = namespaced.then(|| object["metadata"]["namespace"].as_str().unwrap_or(NAMESPACE).to_owned());
    Manifest { collection: collection(group_version, plural, namespace.as_deref()), object }
}

fn service_account(namespace: &str, name: &str) -> Manifest {
    manifest(
        "v1",
        "serviceaccounts",
        true,
        json!({ "apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": { "name": name, "namespace": namespace, "labels": { "app.kubernetes.io/name": name } } }),
    )
}

fn namespace(name: &str) -> Manifest {
    manifest(
        "v1",
        "namespaces",
        false,
        json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": name, "labels": { "name": name } } }),
    )
}

/// A CustomResourceDefinition of one served version whose schema keeps whatever its objects hold.
fn crd(group: &str, kind: &str, plural: &str, scope: &str, version: &str) -> Manifest {
    manifest(
        "apiextensions.k8s.io/v1",
        "customresourcedefinitions",
        false,
        json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": { "name": format!("{plural}.{group}") },
            "spec": {
                "group": group, "scope": scope,
                "names": { "kind": kind, "plural": plural, "singular": kind.to_lowercase(), "listKind": format!("{kind}List") },
                "versions": [{ "name": version, "served": true, "storage": true,
                               "schema": { "openAPIV3Schema": { "type": "object", "x-kubernetes-preserve-unknown-fields": true } } }],
            },
        }),
    )
}

fn cluster_role(name: &str, rules: Value) -> Manifest {
    manifest(
        "rbac.authorization.k8s.io/v1",
        "clusterroles",
        false,
        json!({ "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": { "name": name },
                "rules": rules }),
    )
}

fn cluster_role_binding(name: &str, role: &str, account: &str) -> Manifest {
    cluster_role_binding_in(name, role, NAMESPACE, account)
}

/// A ClusterRoleBinding of a ClusterRole to the ServiceAccount `namespace/account`.
fn cluster_role_binding_in(name: &str, role: &str, namespace: &str, account: &str) -> Manifest {
    manifest(
        "rbac.authorization.k8s.io/v1",
        "clusterrolebindings",
        false,
        json!({ "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": { "name": name },
                "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role },
                "subjects": [{ "kind": "ServiceAccount", "name": account, "namespace": namespace }] }),
    )
}

/// A namespaced Role.
fn role(namespace: &str, name: &str, rules: Value) -> Manifest {
    manifest(
        "rbac.authorization.k8s.io/v1",
        "roles",
        true,
        json!({ "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                "metadata": { "name": name, "namespace": namespace }, "rules": rules }),
    )
}

/// A RoleBinding of a Role to the ServiceAccount `namespace/account`.
fn role_binding(namespace: &str, name: &str, role: &str, account: &str) -> Manifest {
    manifest(
        "rbac.authorization.k8s.io/v1",
        "rolebindings",
        true,
        json!({ "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                "metadata": { "name": name, "namespace": namespace },
                "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role },
                "subjects": [{ "kind": "ServiceAccount", "name": account, "namespace": namespace }] }),
    )
}

/// A Deployment of `replicas` pods labelled `labels`, which are also its selector.
fn deployment(namespace: &str, name: &str, labels: &Value, replicas: i64, pod_spec: Value) -> Manifest {
    manifest(
        "apps/v1",
        "deployments",
        true,
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": { "name": name, "namespace": namespace, "labels": labels },
            "spec": {
                "replicas": replicas,
                "selector": { "matchLabels": labels },
                "strategy": { "type": "RollingUpdate", "rollingUpdate": { "maxUnavailable": 1 } },
                "template": { "metadata": { "labels": labels }, "spec": pod_spec },
            },
        }),
    )
}

/// A DaemonSet of pods labelled `labels` on the EC2 Linux nodes; unlike the networking add-ons' DaemonSets it
/// keeps the pod network unless its pod spec says otherwise.
fn node_daemon_set(namespace: &str, name: &str, labels: &Value, pod_spec: Value) -> Manifest {
    let mut spec = pod_spec;
    spec["affinity"] = ec2_linux_nodes();
    if spec.get("tolerations").is_none() {
        spec["tolerations"] = json!([{ "operator": "Exists" }]);
    }
    manifest(
        "apps/v1",
        "daemonsets",
        true,
        json!({
            "apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": { "name": name, "namespace": namespace, "labels": labels },
            "spec": {
                "selector": { "matchLabels": labels },
                "updateStrategy": { "type": "RollingUpdate", "rollingUpdate": { "maxUnavailable": "10%" } },
                "template": { "metadata": { "labels": labels }, "spec": spec },
            },
        }),
    )
}

/// A PodDisruptionBudget letting one of the pods labelled `labels` go at a time.
fn pod_disruption_budget(namespace: &str, name: &str, labels: &Value) -> Manifest {
    manifest(
        "policy/v1",
        "poddisruptionbudgets",
        true,
        json!({ "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                "metadata": { "name": name, "namespace": namespace, "labels": labels },
                "spec": { "maxUnavailable": 1, "selector": { "matchLabels": labels } } }),
    )
}

/// The CSIDriver object a CSI driver add-on registers; the cluster's volume provisioner serves the classes of a
/// registered driver.
fn csi_driver(name: &str, addon: &str, attach_required: bool) -> Manifest {
    manifest(
        "storage.k8s.io/v1",
        "csidrivers",
        false,
        json!({
            "apiVersion": "storage.k8s.io/v1", "kind": "CSIDriver",
            "metadata": { "name": name, "labels": { "app.kubernetes.io/name": addon } },
            "spec": {
                "attachRequired": attach_required,
                "podInfoOnMount": false,
                "fsGroupPolicy": "ReadWriteOnceWithFSType",
                "requiresRepublish": false,
                "storageCapacity": false,
                "seLinuxMount": false,
                "volumeLifecycleModes": ["Persistent"],
            },
        }),
    )
}

/// Node affinity that keeps a node add-on off Fargate, hybrid and Auto Mode nodes, as EKS's manifests do.
fn ec2_linux_nodes() -> Value {
    json!({ "nodeAffinity": { "requiredDuringSchedulingIgnoredDuringExecution": { "nodeSelectorTerms": [{
        "matchExpressions": [
            { "key": "kubernetes.io/os", "operator": "In", "values": ["linux"] },
            { "key": "kubernetes.io/arch", "operator": "In", "values": ["amd64", "arm64"] },
            { "key": "eks.amazonaws.com/compute-type", "operator": "NotIn", "values": ["fargate", "hybrid", "auto"] },
        ] }] } } })
}

fn daemon_set(name: &str, account: &str, pod_spec: Value) -> Manifest {
    let mut spec = pod_spec;
    spec["serviceAccountName"] = json!(account);
    spec["priorityClassName"] = json!("system-node-critical");
    spec["hostNetwork"] = json!(true);
    spec["tolerations"] = json!([{ "operator": "Exists" }]);
    spec["affinity"] = ec2_linux_nodes();
    manifest(
        "apps/v1",
        "daemonsets",
        true,
        json!({
            "apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": { "name": name, "namespace": NAMESPACE, "labels": { "k8s-app": name } },
            "spec": {
                "selector": { "matchLabels": { "k8s-app": name } },
                "updateStrategy": { "type": "RollingUpdate", "rollingUpdate": { "maxUnavailable": "10%" } },
                "template": { "metadata": { "labels": { "k8s-app": name } }, "spec": spec },
            },
        }),
    )
}

fn vpc_cni(context: &AddonContext, version: &str) -> Vec<Manifest> {
    let registry = registry(&context.region);
    vec![
        crd("crd.k8s.amazonaws.com", "ENIConfig", "eniconfigs", "Cluster", "v1alpha1"),
        crd("networking.k8s.aws", "PolicyEndpoint", "policyendpoints", "Namespaced", "v1alpha1"),
        service_account(NAMESPACE, "aws-node"),
        cluster_role(
            "aws-node",
            json!([
                { "apiGroups": ["crd.k8s.amazonaws.com"], "resources": ["eniconfigs"], "verbs": ["get", "list", "watch"] },
                { "apiGroups": [""], "resources": ["namespaces", "pods"], "verbs": ["get", "list", "watch"] },
                { "apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "watch", "patch"] },
                { "apiGroups": ["", "events.k8s.io"], "resources": ["events"], "verbs": ["create", "patch", "list"] },
                { "apiGroups": ["networking.k8s.aws"], "resources": ["policyendpoints"], "verbs": ["get", "list", "watch"] },
                { "apiGroups": ["networking.k8s.aws"], "resources": ["policyendpoints/status"], "verbs": ["get"] },
            ]),
        ),
        cluster_role_binding("aws-node", "aws-node", "aws-node"),
        daemon_set(
            "aws-node",
            "aws-node",
            json!({
                "initContainers": [{
                    "name": "aws-vpc-cni-init",
                    "image": format!("{registry}/amazon-k8s-cni-init:{version}"),
                    "env": [{ "name": "DISABLE_TCP_EARLY_DEMUX", "value": "false" }, { "name": "ENABLE_IPv6", "value": "false" }],
                    "resources": { "requests": { "cpu": "25m" } },
                    "securityContext": { "privileged": true },
                }],
                "containers": [
                    {
                        "name": "aws-node",
                        "image": format!("{registry}/amazon-k8s-cni:{version}"),
                        "ports": [{ "containerPort": 61678, "name": "metrics" }],
                        "env": [
                            { "name": "AWS_VPC_K8S_CNI_LOGLEVEL", "value": "DEBUG" },
                            { "name": "ENABLE_PREFIX_DELEGATION", "value": "false" },
                            { "name": "WARM_ENI_TARGET", "value": "1" },
                            { "name": "CLUSTER_NAME", "value": context.cluster },
                            { "name": "VPC_CNI_VERSION", "value": version },
                            { "name": "MY_NODE_NAME", "valueFrom": { "fieldRef": { "fieldPath": "spec.nodeName" } } },
                        ],
                        "readinessProbe": { "exec": { "command": ["/app/grpc-health-probe", "-addr=:50051"] },
                                            "initialDelaySeconds": 1, "timeoutSeconds": 10 },
                        "livenessProbe": { "exec": { "command": ["/app/grpc-health-probe", "-addr=:50051"] },
                                           "initialDelaySeconds": 60, "timeoutSeconds": 10 },
                        "resources": { "requests": { "cpu": "25m" } },
                        "securityContext": { "capabilities": { "add": ["NET_ADMIN", "NET_RAW"] } },
                    },
                    {
                        "name": "aws-eks-nodeagent",
                        "image": format!("{registry}/amazon/aws-network-policy-agent:v1.2.7-eksbuild.1"),
                        "args": ["--enable-ipv6=false", "--enable-network-policy=false", "--metrics-bind-addr=:8162"],
                        "resources": { "requests": { "cpu": "25m" } },
                        "securityContext": { "privileged": true },
                    },
                ],
                "terminationGracePeriodSeconds": 10,
            }),
        ),
    ]
}

fn kube_proxy(context: &AddonContext, version: &str) -> Vec<Manifest> {
    let registry = registry(&context.region);
    let config = "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: iptables\n\
                  clientConnection:\n  kubeconfig: /var/lib/kube-proxy/kubeconfig\nmetricsBindAddress: 0.0.0.0:10249\n";
    vec![
        service_account(NAMESPACE, "kube-proxy"),
        cluster_role_binding("eks:kube-proxy", "system:node-proxier", "kube-proxy"),
        manifest(
            "v1",
            "configmaps",
            true,
            json!({ "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": { "name": "kube-proxy-config", "namespace": NAMESPACE, "labels": { "k8s-app": "kube-proxy", "eks.amazonaws.com/component": "kube-proxy" } },
                    "data": { "config": config } }),
        ),
        daemon_set(
            "kube-proxy",
            "kube-proxy",
            json!({
                "containers": [{
                    "name": "kube-proxy",
                    "image": format!("{registry}/eks/kube-proxy:{version}"),
                    "command": ["kube-proxy", "--v=2", "--config=/var/lib/kube-proxy-config/config", "--hostname-override=$(NODE_NAME)"],
                    "env": [{ "name": "NODE_NAME", "valueFrom": { "fieldRef": { "fieldPath": "spec.nodeName" } } }],
                    "resources": { "requests": { "cpu": "100m" } },
                    "securityContext": { "privileged": true },
                    "volumeMounts": [{ "name": "config", "mountPath": "/var/lib/kube-proxy-config/" }],
                }],
                "volumes": [{ "name": "config", "configMap": { "name": "kube-proxy-config" } }],
            }),
        ),
    ]
}

fn coredns(context: &AddonContext, version: &str) -> Vec<Manifest> {
    let registry = registry(&context.region);
    let corefile = ".:53 {\n    errors\n    health {\n        lameduck 5s\n      }\n    ready\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n      pods insecure\n      fallthrough in-addr.arpa ip6.arpa\n    }\n    prometheus :9153\n    forward . /etc/resolv.conf\n    cache 30\n    loop\n    reload\n    loadbalance\n}\n";
    let labels = json!({ "k8s-app": "kube-dns", "eks.amazonaws.com/component": "coredns" });
    let mut objects = vec![
        service_account(NAMESPACE, "coredns"),
        cluster_role(
            "system:coredns",
            json!([
                { "apiGroups": [""], "resources": ["endpoints", "services", "pods", "namespaces"], "verbs": ["list", "watch"] },
                { "apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["list", "watch"] },
                { "apiGroups": [""], "resources": ["nodes"], "verbs": ["get"] },
            ]),
        ),
        cluster_role_binding("system:coredns", "system:coredns", "coredns"),
        manifest(
            "v1",
            "configmaps",
            true,
            json!({ "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": { "name": "coredns", "namespace": NAMESPACE, "labels": labels },
                    "data": { "Corefile": corefile } }),
        ),
        manifest(
            "apps/v1",
            "deployments",
            true,
            json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": { "name": "coredns", "namespace": NAMESPACE, "labels": labels },
                "spec": {
                    "replicas": 2,
                    "selector": { "matchLabels": labels },
                    "strategy": { "type": "RollingUpdate", "rollingUpdate": { "maxUnavailable": 1 } },
                    "template": {
                        "metadata": { "labels": labels },
                        "spec": {
                            "serviceAccountName": "coredns",
                            "priorityClassName": "system-cluster-critical",
                            "affinity": {
                                "nodeAffinity": { "requiredDuringSchedulingIgnoredDuringExecution": { "nodeSelectorTerms": [{
                                    "matchExpressions": [
                                        { "key": "kubernetes.io/os", "operator": "In", "values": ["linux"] },
                                        { "key": "kubernetes.io/arch", "operator": "In", "values": ["amd64", "arm64"] },
                                    ] }] } },
                                "podAntiAffinity": { "preferredDuringSchedulingIgnoredDuringExecution": [{
                                    "weight": 100,
                                    "podAffinityTerm": { "topologyKey": "kubernetes.io/hostname",
                                        "labelSelector": { "matchExpressions": [
                                            { "key": "k8s-app", "operator": "In", "values": ["kube-dns"] }] } } }] },
                            },
                            "tolerations": [
                                { "key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule" },
                                { "key": "CriticalAddonsOnly", "operator": "Exists" },
                            ],
                            "containers": [{
                                "name": "coredns",
                                "image": format!("{registry}/eks/coredns:{version}"),
                                "args": ["-conf", "/etc/coredns/Corefile"],
                                "ports": [
                                    { "containerPort": 53, "name": "dns", "protocol": "UDP" },
                                    { "containerPort": 53, "name": "dns-tcp", "protocol": "TCP" },
                                    { "containerPort": 9153, "name": "metrics", "protocol": "TCP" },
                                ],
                                "resources": { "limits": { "memory": "170Mi" }, "requests": { "cpu": "100m", "memory": "70Mi" } },
                                "livenessProbe": { "httpGet": { "path": "/health", "port": 8080 },
                                                   "initialDelaySeconds": 60, "timeoutSeconds": 5, "failureThreshold": 5 },
                                "readinessProbe": { "httpGet": { "path": "/ready", "port": 8181 } },
                                "volumeMounts": [{ "name": "config-volume", "mountPath": "/etc/coredns", "readOnly": true }],
                            }],
                            "dnsPolicy": "Default",
                            "volumes": [{ "name": "config-volume", "configMap": {
                                "name": "coredns", "items": [{ "key": "Corefile", "path": "Corefile" }] } }],
                        },
                    },
                },
            }),
        ),
        manifest(
            "policy/v1",
            "poddisruptionbudgets",
            true,
            json!({ "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                    "metadata": { "name": "coredns", "namespace": NAMESPACE, "labels": labels },
                    "spec": { "maxUnavailable": 1, "selector": { "matchLabels": labels } } }),
        ),
    ];
    let mut service = json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": { "name": "kube-dns", "namespace": NAMESPACE,
                      "labels": { "k8s-app": "kube-dns", "kubernetes.io/name": "CoreDNS", "eks.amazonaws.com/component": "kube-dns" },
                      "annotations": { "prometheus.io/port": "9153", "prometheus.io/scrape": "true" } },
        "spec": {
            "selector": { "k8s-app": "kube-dns" },
            "ports": [
                { "name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53 },
                { "name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53 },
                { "name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153 },
            ],
        },
    });
    if let Some(address) = cluster_dns_ip(&context.service_cidr) {
        service["spec"]["clusterIP"] = json!(address.to_string());
    }
    objects.push(manifest("v1", "services", true, service));
    objects
}

fn pod_identity_agent(context: &AddonContext, version: &str) -> Vec<Manifest> {
    let registry = registry(&context.region);
    let image = format!("{registry}/eks/eks-pod-identity-agent:{}", version.split('-').next().unwrap_or("v1"));
    vec![daemon_set(
        "eks-pod-identity-agent",
        "default",
        json!({
            "initContainers": [{
                "name": "eks-pod-identity-agent-init", "image": image,
                "command": ["/go-runner", "/eks-pod-identity-agent", "initialize"],
                "securityContext": { "privileged": true },
            }],
            "containers": [{
                "name": "eks-pod-identity-agent", "image": image,
                "command": ["/go-runner", "/eks-pod-identity-agent", "server"],
                "args": ["--port", "80", "--cluster-name", context.cluster, "--probe-port", "2703"],
                "env": [{ "name": "AWS_REGION", "value": context.region }],
                "ports": [{ "containerPort": 80, "name": "proxy" }, { "containerPort": 2703, "name": "probes-port" }],
                "livenessProbe": { "httpGet": { "path": "/healthz", "port": "probes-port", "host": "localhost" },
                                   "initialDelaySeconds": 30, "timeoutSeconds": 10 },
                "readinessProbe": { "httpGet": { "path": "/readyz", "port": "probes-port", "host": "localhost" },
                                    "initialDelaySeconds": 1, "timeoutSeconds": 10 },
                "securityContext": { "capabilities": { "add": ["CAP_NET_BIND_SERVICE"] } },
            }],
        }),
    )]
}

impl AddonContext {
    /// The context of the Kubernetes cluster `record` behind an EKS cluster (`<name>.<region>.<account>`); `None`
    /// for a cluster EKS did not make.
    pub fn of(record: &apiserver::ClusterRecord) -> Option<AddonContext> {
        let (caller, name) = aws_model::eks::kubernetes_owner(&record.name)?;
        Some(AddonContext {
            cluster: name.to_owned(),
            region: caller.region,
            kubernetes_version: record.version.clone(),
            service_cidr: record.service_cidr.clone().unwrap_or_else(|| "10.100.0.0/16".to_owned()),
        })
    }
}

/// The objects `addon` puts into a cluster at its default version, in the order they go in (namespaces and
/// CustomResourceDefinitions first); none for an add-on ekslite does not know.
pub fn manifests(addon: &str, context: &AddonContext) -> Vec<Manifest> {
    objects(addon, context, &default_version(addon, context))
}

fn objects(addon: &str, context: &AddonContext, version: &str) -> Vec<Manifest> {
    match addon {
        "vpc-cni" => vpc_cni(context, version),
        "kube-proxy" => kube_proxy(context, version),
        "coredns" => coredns(context, version),
        "eks-pod-identity-agent" => pod_identity_agent(context, version),
        "aws-ebs-csi-driver" => csi::ebs(context, version),
        "aws-efs-csi-driver" => csi::efs(context, version),
        "amazon-cloudwatch-observability" => cloudwatch::objects(context, version),
        "metrics-server" => metrics_server::objects(context, version),
        _ => Vec::new(),
    }
}

/// The ServiceAccount that `--service-account-role-arn` annotates with its IAM role: the one whose pods call AWS
/// (the VPC CNI's `aws-node`, the CSI drivers' controllers, the CloudWatch agent); `None` for add-ons that call no
/// AWS API with a role of their own.
pub fn role_account(addon: &str) -> Option<&'static str> {
    match addon {
        "vpc-cni" => Some("aws-node"),
        "aws-ebs-csi-driver" => Some("ebs-csi-controller-sa"),
        "aws-efs-csi-driver" => Some("efs-csi-controller-sa"),
        "amazon-cloudwatch-observability" => Some("cloudwatch-agent"),
        _ => None,
    }
}

/// Whether a workload as read from the cluster (`kind` `Deployment` or `DaemonSet`) has its desired replicas
/// ready: its controller has seen its latest spec, and as many pods are ready as the Deployment's `replicas` or the
/// nodes the DaemonSet is to run on. Other kinds are ready.
pub fn workload_ready(kind: &str, object: &Value) -> bool {
    let status = &object["status"];
    let generation = object["metadata"]["generation"].as_i64().unwrap_or(0);
    if status["observedGeneration"].as_i64().unwrap_or(0) < generation {
        return false;
    }
    let count = |value: &Value| value.as_i64().unwrap_or(0);
    match kind {
        "Deployment" => count(&status["readyReplicas"]) >= object["spec"]["replicas"].as_i64().unwrap_or(1),
        "DaemonSet" => count(&status["numberReady"]) >= count(&status["desiredNumberScheduled"]),
        _ => true,
    }
}

/// The add-on record of a networking add-on a new cluster starts with: the default version, no settings.
pub fn bootstrap(name: &str) -> Addon {
    Addon {
        name: name.to_owned(),
        cluster: String::new(),
        arn: String::new(),
        version: String::new(),
        status: AddonStatus::Active,
        created_at: 0.0,
        modified_at: 0.0,
        service_account_role_arn: None,
        configuration_values: None,
        tags: Default::default(),
        ready_at: 0.0,
        gone_at: None,
        updating_until: None,
        installed: true,
        preserve: false,
        released: false,
        health: Vec::new(),
        client_request_token: None,
    }
}

/// The objects of an add-on as its record asks: its version's images, its configuration values (those the
/// add-on's configuration schema names and ekslite models: CoreDNS's `replicaCount` and `corefile`, the VPC CNI's
/// `env`, kube-proxy's `mode`, the CSI drivers' `controller` and `node` pod settings and the EBS controller's
/// `replicaCount`, the CloudWatch agent's `agent.config` and `containerLogs.enabled`, and everywhere `resources`,
/// `nodeSelector`, `tolerations`, `affinity`, `podAnnotations` and `podLabels`), and the IAM role of its
/// [`role_account`] (`eks.amazonaws.com/role-arn`). Objects the settings turn off are left out: putting the add-on
/// in takes out what [`manifests`] has and this does not.
pub fn configured(addon: &Addon, context: &AddonContext) -> Vec<Manifest> {
    let version = if addon.version.is_empty() { default_version(&addon.name, context) } else { addon.version.clone() };
    let mut objects = objects(&addon.name, context, &version);
    let settings = addon.configuration_values.as_deref().map(parse_settings).unwrap_or_default();
    objects.retain(|manifest| !turned_off(&addon.name, &settings, &manifest.object));
    let account = role_account(&addon.name);
    for manifest in &mut objects {
        apply_settings(&addon.name, &settings, &mut manifest.object);
        if let Some(role) = &addon.service_account_role_arn
            && manifest.object["kind"] == "ServiceAccount"
            && account.is_some_and(|account| manifest.object["metadata"]["name"] == account)
        {
            manifest.object["metadata"]["annotations"] = json!({ "eks.amazonaws.com/role-arn": role });
        }
    }
    objects
}

/// Whether the add-on's settings leave an object out: the CloudWatch add-on's container logs (Fluent Bit) when
/// `containerLogs.enabled` is false.
fn turned_off(addon: &str, settings: &Map<String, Value>, object: &Value) -> bool {
    let logs_off = settings.get("containerLogs").and_then(|logs| logs["enabled"].as_bool()) == Some(false);
    addon == "amazon-cloudwatch-observability"
        && logs_off
        && object["metadata"]["name"].as_str().is_some_and(|name| name.starts_with("fluent-bit"))
}

/// Configuration values (JSON or YAML; CreateAddon checked their syntax) as a JSON object.
fn parse_settings(text: &str) -> Map<String, Value> {
    if text.trim().is_empty() {
        return Map::new();
    }
    let parsed: Option<Value> = serde_json::from_str(text).ok().or_else(|| serde_norway::from_str(text).ok());
    match parsed {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

fn apply_settings(addon: &str, settings: &Map<String, Value>, object: &mut Value) {
    let kind = object["kind"].as_str().unwrap_or_default().to_owned();
    match (addon, kind.as_str()) {
        ("coredns", "Deployment") => {
            if let Some(replicas) = settings.get("replicaCount").and_then(Value::as_i64) {
                object["spec"]["replicas"] = json!(replicas);
            }
        }
        ("metrics-server", "Deployment") => {
            if let Some(replicas) = settings.get("replicas").and_then(Value::as_i64) {
                object["spec"]["replicas"] = json!(replicas);
            }
            let extra: Vec<Value> = settings.get("args").and_then(Value::as_array).cloned().unwrap_or_default();
            if let Some(args) =
                object.pointer_mut("/spec/template/spec/containers/0/args").and_then(Value::as_array_mut)
            {
                for arg in extra.into_iter().filter(Value::is_string) {
                    let flag = arg.as_str().unwrap_or_default().split('=').next().unwrap_or_default().to_owned();
                    args.retain(|kept| kept.as_str().unwrap_or_default().split('=').next() != Some(flag.as_str()));
                    args.push(arg);
                }
            }
        }
        ("coredns", "ConfigMap") => {
            if let Some(corefile) = settings.get("corefile").and_then(Value::as_str) {
                object["data"]["Corefile"] = json!(corefile);
            }
        }
        ("kube-proxy", "ConfigMap") => {
            if let Some(mode) = settings.get("mode").and_then(Value::as_str)
                && let Some(config) = object["data"]["config"].as_str()
            {
                let config = config.replace("mode: iptables", &format!("mode: {mode}"));
                object["data"]["config"] = json!(config);
            }
        }
        ("vpc-cni", "DaemonSet") => {
            if let Some(env) = settings.get("env").and_then(Value::as_object)
                && let Some(container) = object.pointer_mut("/spec/template/spec/containers/0")
            {
                let list = container["env"].as_array_mut();
                if let Some(list) = list {
                    for (name, value) in env {
                        let value = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
                        match list.iter_mut().find(|var| var["name"] == *name) {
                            Some(var) => *var = json!({ "name": name, "value": value }),
                            None => list.push(json!({ "name": name, "value": value })),
                        }
                    }
                }
            }
        }
        ("aws-ebs-csi-driver" | "aws-efs-csi-driver", "Deployment") => {
            if let Some(controller) = settings.get("controller").and_then(Value::as_object) {
                if addon == "aws-ebs-csi-driver"
                    && let Some(replicas) = controller.get("replicaCount").and_then(Value::as_i64)
                {
                    object["spec"]["replicas"] = json!(replicas);
                }
                apply_pod_settings(controller, object);
            }
        }
        ("aws-ebs-csi-driver" | "aws-efs-csi-driver", "DaemonSet") => {
            if let Some(node) = settings.get("node").and_then(Value::as_object) {
                apply_pod_settings(node, object);
            }
        }
        ("amazon-cloudwatch-observability", "ConfigMap") if object["metadata"]["name"] == "cloudwatch-agent" => {
            if let Some(config) = settings.get("agent").and_then(|agent| agent.get("config")).filter(|c| c.is_object())
            {
                object["data"]["cwagentconfig.json"] = json!(config.to_string());
            }
        }
        _ => {}
    }
    if matches!(kind.as_str(), "Deployment" | "DaemonSet") {
        apply_pod_settings(settings, object);
    }
}

/// Applies the pod settings every add-on's schema has (`nodeSelector`, `tolerations`, `affinity`,
/// `podAnnotations`, `podLabels`, and `resources` for the first container) to a workload's pod template.
fn apply_pod_settings(settings: &Map<String, Value>, object: &mut Value) {
    let template = &mut object["spec"]["template"];
    // The setting's node labels join the workload's own (`kubernetes.io/os`), as the charts' templates join them.
    if let Some(extra) = settings.get("nodeSelector").and_then(Value::as_object) {
        let selector = &mut template["spec"]["nodeSelector"];
        if !selector.is_object() {
            *selector = json!({});
        }
        for (key, value) in extra {
            selector[key] = value.clone();
        }
    }
    for field in ["tolerations", "affinity"] {
        if let Some(value) = settings.get(field).filter(|v| v.is_object() || v.is_array()) {
            template["spec"][field] = value.clone();
        }
    }
    for (setting, field) in [("podAnnotations", "annotations"), ("podLabels", "labels")] {
        if let Some(extra) = settings.get(setting).and_then(Value::as_object) {
            let target = &mut template["metadata"][field];
            if !target.is_object() {
                *target = json!({});
            }
            for (key, value) in extra {
                if let Some(value) = value.as_str() {
                    target[key] = json!(value);
                }
            }
        }
    }
    if let Some(resources) = settings.get("resources").filter(|v| v.is_object())
        && let Some(container) = template.pointer_mut("/spec/containers/0")
    {
        container["resources"] = resources.clone();
    }
}

#[cfg(test)]
mod tests;
