//! The objects of the `metrics-server` add-on (an EKS community add-on; EKS clusters do not run it by default), as
//! its chart lays them out in `kube-system`: the `metrics-server` Deployment and Service, its service account and
//! RBAC (including `system:aggregated-metrics-reader`, aggregated into the view, edit and admin roles), and the
//! `v1beta1.metrics.k8s.io` APIService that hands the resource metrics API to the Service. The Deployment's pods
//! run metrics-server's image, whose secure port answers the metrics API (`crate::metrics_server`), so that once
//! they are ready the APIService becomes available and `kubectl top` works.

use serde_json::json;

use super::{
    AddonContext, Manifest, NAMESPACE, cluster_role, cluster_role_binding, deployment, manifest, registry,
    role_binding, service_account,
};

/// The add-on's name, and its objects'.
const NAME: &str = "metrics-server";

/// The objects of `metrics-server` at `version`.
pub(super) fn objects(context: &AddonContext, version: &str) -> Vec<Manifest> {
    let labels = json!({ "k8s-app": NAME, "app.kubernetes.io/name": NAME, "app.kubernetes.io/instance": NAME });
    let probe = |path: &str| {
        json!({ "httpGet": { "path": path, "port": "https", "scheme": "HTTPS" }, "periodSeconds": 10,
                "failureThreshold": 3, "initialDelaySeconds": 0 })
    };
    let pod_spec = json!({
        "serviceAccountName": NAME,
        "priorityClassName": "system-cluster-critical",
        "nodeSelector": { "kubernetes.io/os": "linux" },
        "containers": [{
            "name": NAME,
            "image": format!("{}/eks/metrics-server:{version}", registry(&context.region)),
            "args": [
                "--secure-port=10251",
                "--cert-dir=/tmp",
                "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
                "--kubelet-use-node-status-port",
                "--metric-resolution=15s",
            ],
            "ports": [{ "name": "https", "containerPort": 10251, "protocol": "TCP" }],
            "livenessProbe": probe("/livez"),
            "readinessProbe": probe("/readyz"),
            "resources": { "requests": { "cpu": "100m", "memory": "200Mi" } },
            "securityContext": { "readOnlyRootFilesystem": true, "runAsNonRoot": true, "runAsUser": 1000,
                                 "allowPrivilegeEscalation": false },
            "volumeMounts": [{ "name": "tmp", "mountPath": "/tmp" }],
        }],
        "volumes": [{ "name": "tmp", "emptyDir": {} }],
    });
    let read = json!(["get", "list", "watch"]);
    vec![
        service_account(NAMESPACE, NAME),
        manifest(
            "rbac.authorization.k8s.io/v1",
            "clusterroles",
            false,
            json!({
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                "metadata": { "name": "system:aggregated-metrics-reader", "labels": {
                    "rbac.authorization.k8s.io/aggregate-to-admin": "true",
                    "rbac.authorization.k8s.io/aggregate-to-edit": "true",
                    "rbac.authorization.k8s.io/aggregate-to-view": "true",
                } },
                "rules": [{ "apiGroups": ["metrics.k8s.io"], "resources": ["pods", "nodes"], "verbs": read }],
            }),
        ),
        cluster_role(
            "system:metrics-server",
            json!([
                { "apiGroups": [""], "resources": ["nodes/metrics"], "verbs": ["get"] },
                { "apiGroups": [""], "resources": ["pods", "nodes"], "verbs": read },
            ]),
        ),
        role_binding(NAMESPACE, "metrics-server-auth-reader", "extension-apiserver-authentication-reader", NAME),
        cluster_role_binding("metrics-server:system:auth-delegator", "system:auth-delegator", NAME),
        cluster_role_binding("system:metrics-server", "system:metrics-server", NAME),
        manifest(
            "v1",
            "services",
            true,
            json!({
                "apiVersion": "v1", "kind": "Service",
                "metadata": { "name": NAME, "namespace": NAMESPACE, "labels": labels },
                "spec": {
                    "selector": labels,
                    "ports": [{ "name": "https", "port": 443, "protocol": "TCP", "targetPort": "https" }],
                },
            }),
        ),
        deployment(NAMESPACE, NAME, &labels, 2, pod_spec),
        manifest(
            "apiregistration.k8s.io/v1",
            "apiservices",
            false,
            json!({
                "apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
                "metadata": { "name": "v1beta1.metrics.k8s.io", "labels": labels },
                "spec": {
                    "group": "metrics.k8s.io",
                    "version": "v1beta1",
                    "groupPriorityMinimum": 100,
                    "versionPriority": 100,
                    "insecureSkipTLSVerify": true,
                    "service": { "name": NAME, "namespace": NAMESPACE, "port": 443 },
                },
            }),
        ),
    ]
}
