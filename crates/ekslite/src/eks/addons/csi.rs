//! The objects of EKS's CSI driver add-ons, as their charts lay them out in `kube-system`: `aws-ebs-csi-driver`
//! (the `ebs-csi-controller` Deployment with the external provisioner, attacher, snapshotter and resizer beside the
//! driver, its disruption budget, the `ebs-csi-node` DaemonSet, their service accounts and RBAC, the `CSIDriver`
//! `ebs.csi.aws.com`) and `aws-efs-csi-driver` (`efs-csi-controller`, `efs-csi-node` on the host network, the
//! `CSIDriver` `efs.csi.aws.com`). The pods are simulated: the drivers' health ports answer the probes, and the
//! volumes they would serve are provisioned by the cluster's own volume controller once the `CSIDriver` is there.

use serde_json::{Value, json};

use super::{
    AddonContext, Manifest, NAMESPACE, cluster_role, cluster_role_binding, csi_driver, deployment, node_daemon_set,
    pod_disruption_budget, registry, role, role_binding, service_account,
};

/// The image tag of an add-on version (`v1.48.0-eksbuild.2` to `v1.48.0`).
fn driver_tag(version: &str) -> &str {
    version.split('-').next().unwrap_or(version)
}

/// The image of a Kubernetes CSI sidecar as EKS ships it for the cluster's Kubernetes version.
fn sidecar(context: &AddonContext, image: &str, tag: &str) -> String {
    let kubernetes = context.kubernetes_version.replace('.', "-");
    format!("{}/eks/{image}:{tag}-eks-{kubernetes}-1", registry(&context.region))
}

/// A sidecar that talks to the driver over its socket (`ADDRESS`), whose directory is the volume `volume` (the
/// controller's `socket-dir`, the node's `plugin-dir`) mounted at `mount`.
fn socket_sidecar(name: &str, image: String, args: &[&str], socket: &str, (volume, mount): (&str, &str)) -> Value {
    json!({
        "name": name,
        "image": image,
        "args": args,
        "env": [{ "name": "ADDRESS", "value": socket }],
        "resources": { "requests": { "cpu": "10m", "memory": "40Mi" }, "limits": { "memory": "256Mi" } },
        "volumeMounts": [{ "name": volume, "mountPath": mount }],
    })
}

/// The driver container's health port and the probes kubelet makes of it.
fn health(container: &mut Value, port: u16) {
    let probe = json!({ "httpGet": { "path": "/healthz", "port": "healthz" },
                        "initialDelaySeconds": 10, "timeoutSeconds": 3, "periodSeconds": 10, "failureThreshold": 5 });
    container["ports"] = json!([{ "name": "healthz", "containerPort": port, "protocol": "TCP" }]);
    container["livenessProbe"] = probe.clone();
    container["readinessProbe"] = probe;
}

/// The host paths a node plugin mounts: kubelet's directory, its own plugin directory, the registration directory.
fn node_volumes(driver: &str) -> Value {
    json!([
        { "name": "kubelet-dir", "hostPath": { "path": "/var/lib/kubelet", "type": "Directory" } },
        { "name": "plugin-dir", "hostPath": { "path": format!("/var/lib/kubelet/plugins/{driver}/"), "type": "DirectoryOrCreate" } },
        { "name": "registration-dir", "hostPath": { "path": "/var/lib/kubelet/plugins_registry/", "type": "Directory" } },
    ])
}

/// The node-driver-registrar, which registers the node plugin's socket with kubelet.
fn registrar(context: &AddonContext, name: &str, driver: &str) -> Value {
    let registration = format!("/var/lib/kubelet/plugins/{driver}/csi.sock");
    json!({
        "name": name,
        "image": sidecar(context, "csi-node-driver-registrar", "v2.14.0"),
        "args": ["--csi-address=$(ADDRESS)", "--kubelet-registration-path=$(DRIVER_REG_SOCK_PATH)", "--v=2"],
        "env": [
            { "name": "ADDRESS", "value": "/csi/csi.sock" },
            { "name": "DRIVER_REG_SOCK_PATH", "value": registration },
        ],
        "livenessProbe": { "exec": { "command": ["/csi-node-driver-registrar",
            format!("--kubelet-registration-path={registration}"), "--mode=kubelet-registration-probe"] },
            "initialDelaySeconds": 30, "periodSeconds": 90, "timeoutSeconds": 15 },
        "resources": { "requests": { "cpu": "10m", "memory": "40Mi" }, "limits": { "memory": "256Mi" } },
        "volumeMounts": [
            { "name": "plugin-dir", "mountPath": "/csi" },
            { "name": "registration-dir", "mountPath": "/registration" },
        ],
    })
}

/// Controllers stay off Fargate where they can, tolerate `CriticalAddonsOnly` nodes and spread over nodes.
fn controller_placement(spec: &mut Value, app: &str) {
    spec["nodeSelector"] = json!({ "kubernetes.io/os": "linux" });
    spec["priorityClassName"] = json!("system-cluster-critical");
    spec["tolerations"] = json!([
        { "key": "CriticalAddonsOnly", "operator": "Exists" },
        { "effect": "NoExecute", "operator": "Exists", "tolerationSeconds": 300 },
    ]);
    spec["affinity"] = json!({
        "nodeAffinity": { "preferredDuringSchedulingIgnoredDuringExecution": [{ "weight": 1, "preference": {
            "matchExpressions": [{ "key": "eks.amazonaws.com/compute-type", "operator": "NotIn", "values": ["fargate"] }] } }] },
        "podAntiAffinity": { "preferredDuringSchedulingIgnoredDuringExecution": [{ "weight": 100, "podAffinityTerm": {
            "topologyKey": "kubernetes.io/hostname",
            "labelSelector": { "matchExpressions": [{ "key": "app", "operator": "In", "values": [app] }] } } }] },
    });
}

fn leader_leases() -> Value {
    json!({ "apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
            "verbs": ["get", "watch", "list", "delete", "update", "create"] })
}

fn events() -> Value {
    json!({ "apiGroups": [""], "resources": ["events"], "verbs": ["list", "watch", "create", "update", "patch"] })
}

/// The objects of `aws-ebs-csi-driver` at `version`.
pub(super) fn ebs(context: &AddonContext, version: &str) -> Vec<Manifest> {
    let name = "aws-ebs-csi-driver";
    let image = format!("{}/eks/aws-ebs-csi-driver:{}", registry(&context.region), driver_tag(version));
    let controller_labels = json!({ "app": "ebs-csi-controller", "app.kubernetes.io/name": name });
    let node_labels = json!({ "app": "ebs-csi-node", "app.kubernetes.io/name": name });
    let socket = "/var/lib/csi/sockets/pluginproxy/csi.sock";
    let mount = "/var/lib/csi/sockets/pluginproxy/";

    let mut plugin = json!({
        "name": "ebs-plugin",
        "image": image,
        "args": ["controller", "--endpoint=$(CSI_ENDPOINT)", "--batching=true", "--logging-format=text", "--v=2"],
        "env": [
            { "name": "CSI_ENDPOINT", "value": format!("unix://{socket}") },
            { "name": "CSI_NODE_NAME", "valueFrom": { "fieldRef": { "fieldPath": "spec.nodeName" } } },
            { "name": "AWS_REGION", "value": context.region },
        ],
        "resources": { "requests": { "cpu": "10m", "memory": "40Mi" }, "limits": { "memory": "256Mi" } },
        "volumeMounts": [{ "name": "socket-dir", "mountPath": mount }],
    });
    health(&mut plugin, 9808);
    let common = ["--csi-address=$(ADDRESS)", "--v=2", "--leader-election=true", "--timeout=60s"];
    let with = |extra: &[&'static str]| common.iter().copied().chain(extra.iter().copied()).collect::<Vec<_>>();
    let mut controller = json!({
        "serviceAccountName": "ebs-csi-controller-sa",
        "containers": [
            plugin,
            socket_sidecar("csi-provisioner", sidecar(context, "csi-provisioner", "v5.3.0"),
                &with(&["--feature-gates=Topology=true", "--extra-create-metadata", "--default-fstype=ext4"]), socket, ("socket-dir", mount)),
            socket_sidecar("csi-attacher", sidecar(context, "csi-attacher", "v4.9.0"), &with(&[]), socket, ("socket-dir", mount)),
            socket_sidecar("csi-snapshotter", sidecar(context, "csi-snapshotter", "v8.3.0"),
                &with(&["--extra-create-metadata"]), socket, ("socket-dir", mount)),
            socket_sidecar("csi-resizer", sidecar(context, "csi-resizer", "v1.14.0"),
                &with(&["--handle-volume-inuse-error=false"]), socket, ("socket-dir", mount)),
            socket_sidecar("liveness-probe", sidecar(context, "livenessprobe", "v2.16.0"),
                &["--csi-address=/csi/csi.sock"], socket, ("socket-dir", "/csi")),
        ],
        "volumes": [{ "name": "socket-dir", "emptyDir": {} }],
    });
    controller_placement(&mut controller, "ebs-csi-controller");

    let mut node_plugin = json!({
        "name": "ebs-plugin",
        "image": format!("{}/eks/aws-ebs-csi-driver:{}", registry(&context.region), driver_tag(version)),
        "args": ["node", "--endpoint=$(CSI_ENDPOINT)",
                 "--csi-mount-point-prefix=/var/lib/kubelet/plugins/kubernetes.io/csi/ebs.csi.aws.com/",
                 "--logging-format=text", "--v=2"],
        "env": [
            { "name": "CSI_ENDPOINT", "value": "unix:/csi/csi.sock" },
            { "name": "CSI_NODE_NAME", "valueFrom": { "fieldRef": { "fieldPath": "spec.nodeName" } } },
        ],
        "securityContext": { "privileged": true },
        "resources": { "requests": { "cpu": "10m", "memory": "40Mi" }, "limits": { "memory": "256Mi" } },
        "volumeMounts": [
            { "name": "kubelet-dir", "mountPath": "/var/lib/kubelet", "mountPropagation": "Bidirectional" },
            { "name": "plugin-dir", "mountPath": "/csi" },
            { "name": "device-dir", "mountPath": "/dev" },
        ],
    });
    health(&mut node_plugin, 9808);
    let mut volumes = node_volumes("ebs.csi.aws.com");
    if let Some(list) = volumes.as_array_mut() {
        list.push(json!({ "name": "device-dir", "hostPath": { "path": "/dev", "type": "Directory" } }));
    }
    let node = json!({
        "serviceAccountName": "ebs-csi-node-sa",
        "priorityClassName": "system-node-critical",
        "nodeSelector": { "kubernetes.io/os": "linux" },
        "terminationGracePeriodSeconds": 30,
        "containers": [
            node_plugin,
            registrar(context, "node-driver-registrar", "ebs.csi.aws.com"),
            socket_sidecar("liveness-probe", sidecar(context, "livenessprobe", "v2.16.0"),
                &["--csi-address=/csi/csi.sock"], "/csi/csi.sock", ("plugin-dir", "/csi")),
        ],
        "volumes": volumes,
    });

    let pv_read = |verbs: &[&str]| json!({ "apiGroups": [""], "resources": ["persistentvolumes"], "verbs": verbs });
    vec![
        service_account(NAMESPACE, "ebs-csi-controller-sa"),
        service_account(NAMESPACE, "ebs-csi-node-sa"),
        cluster_role(
            "ebs-external-provisioner-role",
            json!([
                pv_read(&["get", "list", "watch", "create", "patch", "delete"]),
                { "apiGroups": [""], "resources": ["persistentvolumeclaims"], "verbs": ["get", "list", "watch", "update"] },
                { "apiGroups": ["storage.k8s.io"], "resources": ["storageclasses", "csinodes", "volumeattachments"],
                  "verbs": ["get", "list", "watch"] },
                { "apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "watch"] },
                { "apiGroups": ["snapshot.storage.k8s.io"], "resources": ["volumesnapshots", "volumesnapshotcontents"],
                  "verbs": ["get", "list"] },
                events(),
            ]),
        ),
        cluster_role(
            "ebs-external-attacher-role",
            json!([
                pv_read(&["get", "list", "watch", "update", "patch"]),
                { "apiGroups": ["storage.k8s.io"], "resources": ["csinodes"], "verbs": ["get", "list", "watch"] },
                { "apiGroups": ["storage.k8s.io"], "resources": ["volumeattachments"],
                  "verbs": ["get", "list", "watch", "update", "patch"] },
                { "apiGroups": ["storage.k8s.io"], "resources": ["volumeattachments/status"], "verbs": ["patch"] },
            ]),
        ),
        cluster_role(
            "ebs-external-resizer-role",
            json!([
                pv_read(&["get", "list", "watch", "update", "patch"]),
                { "apiGroups": [""], "resources": ["persistentvolumeclaims", "pods"], "verbs": ["get", "list", "watch"] },
                { "apiGroups": [""], "resources": ["persistentvolumeclaims/status"], "verbs": ["update", "patch"] },
                events(),
            ]),
        ),
        cluster_role(
            "ebs-external-snapshotter-role",
            json!([
                events(),
                { "apiGroups": ["snapshot.storage.k8s.io"], "resources": ["volumesnapshotclasses"],
                  "verbs": ["get", "list", "watch"] },
                { "apiGroups": ["snapshot.storage.k8s.io"], "resources": ["volumesnapshotcontents"],
                  "verbs": ["get", "list", "watch", "update", "patch"] },
                { "apiGroups": ["snapshot.storage.k8s.io"], "resources": ["volumesnapshotcontents/status"],
                  "verbs": ["update", "patch"] },
            ]),
        ),
        cluster_role(
            "ebs-csi-node-role",
            json!([
                { "apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "patch", "list", "watch"] },
                { "apiGroups": ["storage.k8s.io"], "resources": ["csinodes"], "verbs": ["get"] },
                { "apiGroups": ["storage.k8s.io"], "resources": ["volumeattachments"], "verbs": ["get", "list", "watch"] },
            ]),
        ),
        cluster_role_binding("ebs-csi-provisioner-binding", "ebs-external-provisioner-role", "ebs-csi-controller-sa"),
        cluster_role_binding("ebs-csi-attacher-binding", "ebs-external-attacher-role", "ebs-csi-controller-sa"),
        cluster_role_binding("ebs-csi-resizer-binding", "ebs-external-resizer-role", "ebs-csi-controller-sa"),
        cluster_role_binding("ebs-csi-snapshotter-binding", "ebs-external-snapshotter-role", "ebs-csi-controller-sa"),
        cluster_role_binding("ebs-csi-node-getter-binding", "ebs-csi-node-role", "ebs-csi-node-sa"),
        role(NAMESPACE, "ebs-csi-leases-role", json!([leader_leases()])),
        role_binding(NAMESPACE, "ebs-csi-leases-rolebinding", "ebs-csi-leases-role", "ebs-csi-controller-sa"),
        deployment(NAMESPACE, "ebs-csi-controller", &controller_labels, 2, controller),
        pod_disruption_budget(NAMESPACE, "ebs-csi-controller", &controller_labels),
        node_daemon_set(NAMESPACE, "ebs-csi-node", &node_labels, node),
        csi_driver("ebs.csi.aws.com", name, true),
    ]
}

/// The objects of `aws-efs-csi-driver` at `version`.
pub(super) fn efs(context: &AddonContext, version: &str) -> Vec<Manifest> {
    let name = "aws-efs-csi-driver";
    let image = format!("{}/eks/aws-efs-csi-driver:{}", registry(&context.region), driver_tag(version));
    let controller_labels = json!({ "app": "efs-csi-controller", "app.kubernetes.io/name": name });
    let node_labels = json!({ "app": "efs-csi-node", "app.kubernetes.io/name": name });
    let socket = "/var/lib/csi/sockets/pluginproxy/csi.sock";
    let mount = "/var/lib/csi/sockets/pluginproxy/";

    let mut plugin = json!({
        "name": "efs-plugin",
        "image": image,
        "args": ["--endpoint=$(CSI_ENDPOINT)", "--logtostderr", "--v=2", "--delete-access-point-root-dir=false",
                 "--vol-metrics-opt-in=false"],
        "env": [
            { "name": "CSI_ENDPOINT", "value": format!("unix://{socket}") },
            { "name": "CSI_NODE_NAME", "valueFrom": { "fieldRef": { "fieldPath": "spec.nodeName" } } },
            { "name": "AWS_REGION", "value": context.region },
        ],
        "resources": { "requests": { "cpu": "10m", "memory": "40Mi" }, "limits": { "memory": "256Mi" } },
        "volumeMounts": [{ "name": "socket-dir", "mountPath": mount }],
    });
    health(&mut plugin, 9909);
    let mut controller = json!({
        "serviceAccountName": "efs-csi-controller-sa",
        "containers": [
            plugin,
            socket_sidecar("csi-provisioner", sidecar(context, "csi-provisioner", "v5.3.0"),
                &["--csi-address=$(ADDRESS)", "--v=2", "--feature-gates=Topology=true", "--extra-create-metadata",
                  "--leader-election"], socket, ("socket-dir", mount)),
            socket_sidecar("liveness-probe", sidecar(context, "livenessprobe", "v2.16.0"),
                &["--csi-address=/csi/csi.sock", "--health-port=9909"], socket, ("socket-dir", "/csi")),
        ],
        "volumes": [{ "name": "socket-dir", "emptyDir": {} }],
    });
    controller_placement(&mut controller, "efs-csi-controller");

    let mut node_plugin = json!({
        "name": "efs-plugin",
        "image": format!("{}/eks/aws-efs-csi-driver:{}", registry(&context.region), driver_tag(version)),
        "args": ["--endpoint=$(CSI_ENDPOINT)", "--logtostderr", "--v=2", "--vol-metrics-opt-in=false"],
        "env": [
            { "name": "CSI_ENDPOINT", "value": "unix:/csi/csi.sock" },
            { "name": "CSI_NODE_NAME", "valueFrom": { "fieldRef": { "fieldPath": "spec.nodeName" } } },
        ],
        "securityContext": { "privileged": true },
        "resources": { "requests": { "cpu": "10m", "memory": "40Mi" }, "limits": { "memory": "256Mi" } },
        "volumeMounts": [
            { "name": "kubelet-dir", "mountPath": "/var/lib/kubelet", "mountPropagation": "Bidirectional" },
            { "name": "plugin-dir", "mountPath": "/csi" },
        ],
    });
    health(&mut node_plugin, 9809);
    let node = json!({
        "serviceAccountName": "efs-csi-node-sa",
        "priorityClassName": "system-node-critical",
        "hostNetwork": true,
        "dnsPolicy": "ClusterFirstWithHostNet",
        "nodeSelector": { "kubernetes.io/os": "linux" },
        "terminationGracePeriodSeconds": 30,
        "containers": [
            node_plugin,
            registrar(context, "csi-driver-registrar", "efs.csi.aws.com"),
            socket_sidecar("liveness-probe", sidecar(context, "livenessprobe", "v2.16.0"),
                &["--csi-address=/csi/csi.sock", "--health-port=9809"], "/csi/csi.sock", ("plugin-dir", "/csi")),
        ],
        "volumes": node_volumes("efs.csi.aws.com"),
    });

    vec![
        service_account(NAMESPACE, "efs-csi-controller-sa"),
        service_account(NAMESPACE, "efs-csi-node-sa"),
        cluster_role(
            "efs-csi-external-provisioner-role",
            json!([
                { "apiGroups": [""], "resources": ["persistentvolumes"], "verbs": ["get", "list", "watch", "create", "delete"] },
                { "apiGroups": [""], "resources": ["persistentvolumeclaims"], "verbs": ["get", "list", "watch", "update"] },
                { "apiGroups": ["storage.k8s.io"], "resources": ["storageclasses", "csinodes"], "verbs": ["get", "list", "watch"] },
                { "apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "watch"] },
                events(),
                leader_leases(),
            ]),
        ),
        cluster_role("efs-csi-node-role", json!([{ "apiGroups": [""], "resources": ["nodes"], "verbs": ["get"] }])),
        cluster_role_binding(
            "efs-csi-provisioner-binding",
            "efs-csi-external-provisioner-role",
            "efs-csi-controller-sa",
        ),
        cluster_role_binding("efs-csi-node-binding", "efs-csi-node-role", "efs-csi-node-sa"),
        deployment(NAMESPACE, "efs-csi-controller", &controller_labels, 2, controller),
        node_daemon_set(NAMESPACE, "efs-csi-node", &node_labels, node),
        csi_driver("efs.csi.aws.com", name, false),
    ]
}
