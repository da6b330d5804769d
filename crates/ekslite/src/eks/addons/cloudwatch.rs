//! The objects of the `amazon-cloudwatch-observability` add-on, as its chart lays them out in the
//! `amazon-cloudwatch` namespace: the CloudWatch agent operator's CustomResourceDefinitions (with schemas that keep
//! whatever their objects hold), the operator's Deployment `amazon-cloudwatch-observability-controller-manager`, the
//! `cloudwatch-agent` DaemonSet with its configuration, the `fluent-bit` DaemonSet that ships container logs, and
//! their service accounts and RBAC.
//!
//! On EKS the operator makes the agent's DaemonSet from an `AmazonCloudWatchAgent` object the add-on creates; the
//! operator here is a simulated pod that makes nothing, so the add-on puts the DaemonSet in itself. The chart's
//! admission webhook configurations are left out: no simulated pod would answer them.

use serde_json::{Value, json};

use super::{
    AddonContext, Manifest, cluster_role, cluster_role_binding_in, crd, deployment, manifest, namespace,
    node_daemon_set, service_account,
};

/// The add-on's namespace.
pub(super) const NAMESPACE: &str = "amazon-cloudwatch";

const GROUP: &str = "cloudwatch.aws.amazon.com";

/// The objects of `amazon-cloudwatch-observability` at `version`.
pub(super) fn objects(context: &AddonContext, version: &str) -> Vec<Manifest> {
    let operator_tag = version.split('-').next().unwrap_or(version).trim_start_matches('v');
    let manager = "amazon-cloudwatch-observability-controller-manager";
    let manager_labels = json!({ "app.kubernetes.io/name": "amazon-cloudwatch-observability",
                                 "control-plane": "controller-manager" });
    let health_probe = |path: &str| json!({ "httpGet": { "path": path, "port": 8081 }, "initialDelaySeconds": 15, "periodSeconds": 20 });
    let manager_spec = json!({
        "serviceAccountName": manager,
        "nodeSelector": { "kubernetes.io/os": "linux" },
        "containers": [{
            "name": "manager",
            "image": format!("public.ecr.aws/cloudwatch-agent/cloudwatch-agent-operator:{operator_tag}"),
            "args": ["--leader-elect", "--health-probe-bind-address=:8081", "--metrics-bind-address=127.0.0.1:8080"],
            "ports": [{ "containerPort": 9443, "name": "webhook-server", "protocol": "TCP" }],
            "livenessProbe": health_probe("/healthz"),
            "readinessProbe": health_probe("/readyz"),
            "resources": { "requests": { "cpu": "100m", "memory": "64Mi" }, "limits": { "cpu": "200m", "memory": "256Mi" } },
        }],
        "terminationGracePeriodSeconds": 10,
    });

    let agent_labels = json!({ "app.kubernetes.io/name": "cloudwatch-agent",
                               "app.kubernetes.io/component": "amazon-cloudwatch-agent",
                               "app.kubernetes.io/managed-by": "amazon-cloudwatch-agent-operator" });
    let field = |path: &str| json!({ "fieldRef": { "fieldPath": path } });
    let agent_spec = json!({
        "serviceAccountName": "cloudwatch-agent",
        "containers": [{
            "name": "cloudwatch-agent",
            "image": "public.ecr.aws/cloudwatch-agent/cloudwatch-agent:1.300060.0b1248",
            "env": [
                { "name": "K8S_NODE_NAME", "valueFrom": field("spec.nodeName") },
                { "name": "HOST_IP", "valueFrom": field("status.hostIP") },
                { "name": "HOST_NAME", "valueFrom": field("spec.nodeName") },
                { "name": "K8S_NAMESPACE", "valueFrom": field("metadata.namespace") },
            ],
            "ports": [
                { "containerPort": 4315, "name": "otlp-grpc", "protocol": "TCP" },
                { "containerPort": 4316, "name": "otlp-http", "protocol": "TCP" },
                { "containerPort": 2000, "name": "xray", "protocol": "TCP" },
            ],
            "resources": { "requests": { "cpu": "250m", "memory": "128Mi" }, "limits": { "cpu": "500m", "memory": "512Mi" } },
            "volumeMounts": [
                { "name": "cwagentconfig", "mountPath": "/etc/cwagentconfig" },
                { "name": "rootfs", "mountPath": "/rootfs", "readOnly": true },
            ],
        }],
        "volumes": [
            { "name": "cwagentconfig", "configMap": { "name": "cloudwatch-agent",
                "items": [{ "key": "cwagentconfig.json", "path": "cwagentconfig.json" }] } },
            { "name": "rootfs", "hostPath": { "path": "/" } },
        ],
        "terminationGracePeriodSeconds": 60,
    });
    let agent_config = json!({
        "agent": { "region": context.region },
        "logs": { "metrics_collected": { "application_signals": {},
            "kubernetes": { "cluster_name": context.cluster, "enhanced_container_insights": true } } },
        "traces": { "traces_collected": { "application_signals": {} } },
    });

    let fluent_bit_labels = json!({ "k8s-app": "fluent-bit" });
    let fluent_bit_spec = json!({
        "serviceAccountName": "cloudwatch-agent",
        "containers": [{
            "name": "fluent-bit",
            "image": "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.5",
            "env": [
                { "name": "AWS_REGION", "value": context.region },
                { "name": "CLUSTER_NAME", "value": context.cluster },
                { "name": "READ_FROM_HEAD", "value": "Off" },
                { "name": "HOST_NAME", "valueFrom": field("spec.nodeName") },
                { "name": "CI_VERSION", "value": "k8s/1.3.17" },
            ],
            "resources": { "requests": { "cpu": "50m", "memory": "25Mi" }, "limits": { "cpu": "500m", "memory": "250Mi" } },
            "volumeMounts": [
                { "name": "fluent-bit-config", "mountPath": "/fluent-bit/etc/" },
                { "name": "varlog", "mountPath": "/var/log", "readOnly": true },
            ],
        }],
        "volumes": [
            { "name": "fluent-bit-config", "configMap": { "name": "fluent-bit-config" } },
            { "name": "varlog", "hostPath": { "path": "/var/log" } },
        ],
        "terminationGracePeriodSeconds": 10,
    });
    let fluent_bit_config = "[SERVICE]\n    Flush 5\n    Grace 30\n    Log_Level error\n    Parsers_File /fluent-bit/parsers/parsers.conf\n\n\
        @INCLUDE application-log.conf\n";
    let application_log = format!(
        "[INPUT]\n    Name tail\n    Tag application.*\n    Path /var/log/containers/*.log\n\n\
         [OUTPUT]\n    Name cloudwatch_logs\n    Match application.*\n    region {}\n\
         \x20   log_group_name /aws/containerinsights/{}/application\n    log_stream_prefix ${{HOST_NAME}}-\n    auto_create_group true\n",
        context.region, context.cluster
    );

    let read = ["get", "list", "watch"];
    let write = ["get", "list", "watch", "create", "update", "patch", "delete"];
    let own_kinds = ["amazoncloudwatchagents", "instrumentations", "neuronmonitors", "dcgmexporters"];
    let status_of = own_kinds.iter().flat_map(|kind| [format!("{kind}/status"), format!("{kind}/finalizers")]);
    vec![
        namespace(NAMESPACE),
        crd(GROUP, "AmazonCloudWatchAgent", "amazoncloudwatchagents", "Namespaced", "v1alpha1"),
        crd(GROUP, "Instrumentation", "instrumentations", "Namespaced", "v1alpha1"),
        crd(GROUP, "NeuronMonitor", "neuronmonitors", "Namespaced", "v1alpha1"),
        crd(GROUP, "DcgmExporter", "dcgmexporters", "Namespaced", "v1alpha1"),
        service_account(NAMESPACE, manager),
        service_account(NAMESPACE, "cloudwatch-agent"),
        cluster_role(
            "amazon-cloudwatch-observability-manager-role",
            json!([
                { "apiGroups": [""], "resources": ["configmaps", "services", "serviceaccounts", "pods", "events"],
                  "verbs": write },
                { "apiGroups": [""], "resources": ["namespaces"], "verbs": read },
                { "apiGroups": ["apps"], "resources": ["daemonsets", "deployments", "statefulsets"], "verbs": write },
                { "apiGroups": ["apps"], "resources": ["replicasets"], "verbs": read },
                { "apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": write },
                { "apiGroups": [GROUP], "resources": own_kinds, "verbs": ["get", "list", "watch", "update", "patch"] },
                { "apiGroups": [GROUP], "resources": status_of.collect::<Vec<_>>(), "verbs": ["get", "update", "patch"] },
            ]),
        ),
        cluster_role_binding_in(
            "amazon-cloudwatch-observability-manager-rolebinding",
            "amazon-cloudwatch-observability-manager-role",
            NAMESPACE,
            manager,
        ),
        cluster_role(
            "cloudwatch-agent-role",
            json!([
                { "apiGroups": [""], "resources": ["pods", "nodes", "endpoints", "services"], "verbs": read },
                { "apiGroups": [""], "resources": ["nodes/proxy", "nodes/stats", "configmaps"], "verbs": ["get"] },
                { "apiGroups": [""], "resources": ["events"], "verbs": ["create", "get"] },
                { "apiGroups": ["apps"], "resources": ["replicasets", "daemonsets", "deployments", "statefulsets"],
                  "verbs": read },
                { "apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["list", "watch"] },
                { "apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": read },
                { "nonResourceURLs": ["/metrics"], "verbs": ["get"] },
            ]),
        ),
        cluster_role_binding_in(
            "cloudwatch-agent-role-binding",
            "cloudwatch-agent-role",
            NAMESPACE,
            "cloudwatch-agent",
        ),
        config_map("cloudwatch-agent", json!({ "cwagentconfig.json": agent_config.to_string() })),
        config_map(
            "fluent-bit-config",
            json!({ "fluent-bit.conf": fluent_bit_config, "application-log.conf": application_log }),
        ),
        deployment(NAMESPACE, manager, &manager_labels, 1, manager_spec),
        node_daemon_set(NAMESPACE, "cloudwatch-agent", &agent_labels, agent_spec),
        node_daemon_set(NAMESPACE, "fluent-bit", &fluent_bit_labels, fluent_bit_spec),
    ]
}

fn config_map(name: &str, data: Value) -> Manifest {
    manifest(
        "v1",
        "configmaps",
        true,
        json!({ "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": { "name": name, "namespace": NAMESPACE, "labels": { "app.kubernetes.io/name": name } },
                "data": data }),
    )
}
